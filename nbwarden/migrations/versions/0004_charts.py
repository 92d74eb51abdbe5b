"""An index for the dashboard's charts: flags per hour by action, category and layer.

``ix_decisions_action`` (action) becomes ``ix_decisions_action_at`` (action, at,
category, kind).  The charts count the flags (warn, still_run, block, deny) of
the last 24 hours or 8 days per hour, category and kind; with this index the
database reads only those entries, in time order, and never the table (an
index-only scan on PostgreSQL, a covering index on SQLite), instead of every
decision of the range, 80 % of which are allowed cells.  The block-rate alert's
query (blocks after a time) is a range of the same index.  The composite index
serves every lookup by action alone as well, so the old one goes.  Figures:
BENCHMARKS.md, "Scale".

Revision ID: 0004_charts
Revises: 0003_scale
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0004_charts"
down_revision = "0003_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_decisions_action_at", "decisions", ["action", "at", "category", "kind"])
    op.drop_index("ix_decisions_action", table_name="decisions")


def downgrade() -> None:
    op.create_index("ix_decisions_action", "decisions", ["action"])
    op.drop_index("ix_decisions_action_at", table_name="decisions")
