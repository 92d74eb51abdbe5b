"""Ledger tables: decisions, acknowledgements, strikes, restrictions, appeals.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "restrictions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user", sa.String(255), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=True),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("lifted_at", sa.Float(), nullable=True),
        sa.Column("lifted_by", sa.String(255), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_restrictions_user", "restrictions", ["user"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ref", sa.String(32), nullable=False, unique=True),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("user", sa.String(255), nullable=False),
        sa.Column("user_group", sa.String(64), nullable=True),
        sa.Column("server", sa.String(255), nullable=True),
        sa.Column("kernel_id", sa.String(64), nullable=True),
        sa.Column("notebook", sa.Text(), nullable=True),
        sa.Column("cell_id", sa.String(128), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=True),
        sa.Column("excerpt", sa.Text(), nullable=True),
        sa.Column("code_size", sa.Integer(), nullable=True),
        sa.Column("verdict", sa.String(16), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("ran", sa.Boolean(), nullable=False),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("rules", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("rules_version", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("restriction_id", sa.Integer(), sa.ForeignKey("restrictions.id"), nullable=True),
    )
    op.create_index("ix_decisions_at", "decisions", ["at"])
    op.create_index("ix_decisions_user", "decisions", ["user"])
    op.create_index("ix_decisions_code_hash", "decisions", ["code_hash"])
    op.create_index("ix_decisions_action", "decisions", ["action"])
    op.create_table(
        "acknowledgements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("user", sa.String(255), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=True),
        sa.Column("warn_decision_id", sa.Integer(), sa.ForeignKey("decisions.id"), nullable=True),
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("decisions.id"), nullable=True),
    )
    op.create_index("ix_acknowledgements_user", "acknowledgements", ["user"])
    op.create_table(
        "strikes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("user", sa.String(255), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("decisions.id"), nullable=True),
        sa.Column("pardoned_at", sa.Float(), nullable=True),
    )
    op.create_index("ix_strikes_user_category_at", "strikes", ["user", "category", "at"])
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("restriction_id", sa.Integer(), sa.ForeignKey("restrictions.id"), nullable=True),
        sa.Column("decision_ref", sa.String(32), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("decided_at", sa.Float(), nullable=True),
        sa.Column("decided_by", sa.String(255), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
    )
    op.create_index("ix_appeals_user", "appeals", ["user"])


def downgrade() -> None:
    for table in ("appeals", "strikes", "acknowledgements", "decisions", "restrictions"):
        op.drop_table(table)
