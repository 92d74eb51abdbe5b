"""Hub tables: usage samples, login events, quota events, notices, linked-account cases.

Revision ID: 0002_hub
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_hub"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_usage_samples",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user", sa.String(255), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("cpu_s", sa.Float(), nullable=False),
        sa.Column("gpu_s", sa.Float(), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
    )
    op.create_index("ix_hub_usage_user_at", "hub_usage_samples", ["user", "at"])
    op.create_table(
        "hub_login_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user", sa.String(255), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
    )
    op.create_index("ix_hub_login_events_user", "hub_login_events", ["user"])
    op.create_index("ix_hub_login_at", "hub_login_events", ["at"])
    op.create_table(
        "hub_quota_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user", sa.String(255), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("resource", sa.String(32), nullable=True),
        sa.Column("used", sa.Float(), nullable=True),
        sa.Column("limit", sa.Float(), nullable=True),
        sa.Column("window_s", sa.Float(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_index("ix_hub_quota_events_user", "hub_quota_events", ["user"])
    op.create_index("ix_hub_quota_events_at", "hub_quota_events", ["at"])
    op.create_table(
        "hub_notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user", sa.String(255), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_hub_notices_user", "hub_notices", ["user"])
    op.create_table(
        "hub_link_cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_a", sa.String(255), nullable=False),
        sa.Column("user_b", sa.String(255), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("signals", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("decided_at", sa.Float(), nullable=True),
        sa.Column("decided_by", sa.String(255), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_hub_link_pair", "hub_link_cases", ["user_a", "user_b"])


def downgrade() -> None:
    for table in ("hub_link_cases", "hub_notices", "hub_quota_events", "hub_login_events", "hub_usage_samples"):
        op.drop_table(table)
