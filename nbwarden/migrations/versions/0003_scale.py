"""Indexes for a shared ledger at scale: a user's decisions newest first.

``ix_decisions_user`` (user) becomes ``ix_decisions_user_id`` (user, id).  The
user page, ``GET api/decisions?user=`` and ``nbwarden ledger list --user`` ask
for a user's newest decisions; with (user) alone the database reads every
decision of the user and sorts them (10,000 rows for the busiest user of the
1-million-decision benchmark), with (user, id) it walks the index backwards and
stops after the limit.  The composite index serves every lookup by user alone
as well, so the old one goes.  Figures: BENCHMARKS.md, "Scale".

Revision ID: 0003_scale
Revises: 0002_hub
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0003_scale"
down_revision = "0002_hub"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_decisions_user_id", "decisions", ["user", "id"])
    op.drop_index("ix_decisions_user", table_name="decisions")


def downgrade() -> None:
    op.create_index("ix_decisions_user", "decisions", ["user"])
    op.drop_index("ix_decisions_user_id", table_name="decisions")
