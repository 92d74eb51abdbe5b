"""Appeals that forgive exactly what they concern, with the audit trail; notices for the next cell.

* ``strikes``: ``pardoned_by``, ``pardon_reason`` and ``appeal_id`` (who forgave a
  strike, why, and through which appeal; a pardoned strike keeps its row);
* ``appeals``: ``effect``, the strikes and restrictions a grant changed (JSON);
* ``hub_notices``: ``deliver`` (``now``: under the running cell, as quota warnings;
  ``next_cell``: under the next cell the user runs, as an appeal's answer) and
  ``delivered_at``.

Revision ID: 0005_appeals
Revises: 0004_charts
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_appeals"
down_revision = "0004_charts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("strikes") as batch:
        batch.add_column(sa.Column("pardoned_by", sa.String(255), nullable=True))
        batch.add_column(sa.Column("pardon_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("appeal_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("appeals") as batch:
        batch.add_column(sa.Column("effect", sa.Text(), nullable=True))
    with op.batch_alter_table("hub_notices") as batch:
        batch.add_column(sa.Column("deliver", sa.String(16), nullable=False, server_default="now"))
        batch.add_column(sa.Column("delivered_at", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hub_notices") as batch:
        batch.drop_column("delivered_at")
        batch.drop_column("deliver")
    with op.batch_alter_table("appeals") as batch:
        batch.drop_column("effect")
    with op.batch_alter_table("strikes") as batch:
        batch.drop_column("appeal_id")
        batch.drop_column("pardon_reason")
        batch.drop_column("pardoned_by")
