"""Notices in the user's language: the notice as data beside its English text.

* ``hub_notices``: ``explain`` (JSON ``{"kind", "fields"}``, :mod:`nbwarden.explain`),
  which the user's server renders in the user's language; ``text`` stays the
  English one (logs, the dashboard, older servers).

Revision ID: 0006_notice_i18n
Revises: 0005_appeals
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_notice_i18n"
down_revision = "0005_appeals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hub_notices") as batch:
        batch.add_column(sa.Column("explain", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hub_notices") as batch:
        batch.drop_column("explain")
