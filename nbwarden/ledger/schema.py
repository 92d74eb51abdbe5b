"""The ledger's tables and the values they hold (levels, actions, kinds), as SQLAlchemy models.

Alembic revisions (``nbwarden/migrations``) create and change these tables; the models say what a row is."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Restriction levels, weakest first.  ``block_category`` turns warnings of one
# category into blocks; ``suspend`` stops all execution until it expires;
# ``ban`` is a suspension without an end.
LEVELS = ("block_category", "suspend", "ban")
LEVEL_RANK = {level: i for i, level in enumerate(LEVELS)}
# Final actions a decision can record.  ``still_run`` is a warning the user
# acknowledged by running the cell again; ``deny`` is code refused because the
# account is restricted.
ACTIONS = ("allow", "audit", "warn", "still_run", "block", "deny")
RAN = {"allow", "audit", "still_run"}
# Decision kinds the host agent records (the gate records cell, terminal and kernel_start); the agent's
# ``block`` is a kill, or an exec denied before it ran.
AGENT_KINDS = ("process", "network", "exec", "sensor")
EXCERPT_CHARS = 500
# first key of the PostgreSQL advisory locks that serialise a user's strikes ("nbwd")
LOCK_NAMESPACE = 0x6E627764


def storable(value: str) -> str:
    """Text any backend stores: PostgreSQL refuses NUL characters, and no driver encodes lone surrogates."""
    if "\x00" in value:
        value = value.replace("\x00", "\\x00")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


class Str(TypeDecorator):
    """``VARCHAR(n)`` that clips to ``n``: PostgreSQL refuses longer values where SQLite keeps them, and a
    field a user controls (a cell id, a name) must never make a decision unrecordable."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        value = storable(str(value))
        length = self.impl.length
        return value[:length] if length and len(value) > length else value


class Txt(TypeDecorator):
    """``TEXT`` made :func:`storable`."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return None if value is None else storable(str(value))


class Base(DeclarativeBase):
    pass


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_user_id", "user", "id"),  # a user's newest first (0003_scale)
                      Index("ix_decisions_action_at", "action", "at", "category", "kind"))  # charts (0004_charts)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(Str(32), unique=True)  # short public id shown to the user
    at: Mapped[float] = mapped_column(Float, index=True)
    user: Mapped[str] = mapped_column(Str(255))
    user_group: Mapped[str | None] = mapped_column(Str(64))
    server: Mapped[str | None] = mapped_column(Str(255))
    kernel_id: Mapped[str | None] = mapped_column(Str(64))
    notebook: Mapped[str | None] = mapped_column(Txt)
    cell_id: Mapped[str | None] = mapped_column(Str(128))
    kind: Mapped[str] = mapped_column(Str(32))  # cell | terminal | kernel_start (gate); AGENT_KINDS
    code_hash: Mapped[str | None] = mapped_column(Str(64), index=True)
    excerpt: Mapped[str | None] = mapped_column(Txt)
    code_size: Mapped[int | None] = mapped_column(Integer)
    verdict: Mapped[str | None] = mapped_column(Str(16))  # the engine's action
    action: Mapped[str] = mapped_column(Str(16))  # the final action
    ran: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str | None] = mapped_column(Str(64))
    severity: Mapped[str | None] = mapped_column(Str(16))
    rules: Mapped[str | None] = mapped_column(Txt)  # comma-separated rule ids
    confidence: Mapped[float | None] = mapped_column(Float)
    findings: Mapped[str | None] = mapped_column(Txt)  # JSON list of findings
    rules_version: Mapped[str | None] = mapped_column(Txt)
    message: Mapped[str | None] = mapped_column(Txt)
    error: Mapped[str | None] = mapped_column(Txt)
    restriction_id: Mapped[int | None] = mapped_column(ForeignKey("restrictions.id"))


class Acknowledgement(Base):
    """A "still run": the user ran a warned cell again within the window."""

    __tablename__ = "acknowledgements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    user: Mapped[str] = mapped_column(Str(255), index=True)
    code_hash: Mapped[str | None] = mapped_column(Str(64))
    warn_decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))


class Strike(Base):
    __tablename__ = "strikes"
    __table_args__ = (Index("ix_strikes_user_category_at", "user", "category", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    user: Mapped[str] = mapped_column(Str(255))
    category: Mapped[str] = mapped_column(Str(64))
    severity: Mapped[str] = mapped_column(Str(16))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    pardoned_at: Mapped[float | None] = mapped_column(Float)
    pardoned_by: Mapped[str | None] = mapped_column(Str(255))  # 0005_appeals: who forgave it, why, through which appeal
    pardon_reason: Mapped[str | None] = mapped_column(Txt)
    appeal_id: Mapped[int | None] = mapped_column(Integer)


class Restriction(Base):
    __tablename__ = "restrictions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(Str(255), index=True)
    level: Mapped[str] = mapped_column(Str(32))
    category: Mapped[str | None] = mapped_column(Str(64))
    reason: Mapped[str] = mapped_column(Txt, default="")
    created_at: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(Str(255), default="ladder")
    expires_at: Mapped[float | None] = mapped_column(Float)  # None: until lifted
    decision_id: Mapped[int | None] = mapped_column(Integer)
    lifted_at: Mapped[float | None] = mapped_column(Float)
    lifted_by: Mapped[str | None] = mapped_column(Str(255))
    lift_reason: Mapped[str | None] = mapped_column(Txt)


class Appeal(Base):
    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(Str(255), index=True)
    created_at: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Txt, default="")
    restriction_id: Mapped[int | None] = mapped_column(ForeignKey("restrictions.id"))
    decision_ref: Mapped[str | None] = mapped_column(Str(32))
    state: Mapped[str] = mapped_column(Str(16), default="open")  # open | granted | denied
    decided_at: Mapped[float | None] = mapped_column(Float)
    decided_by: Mapped[str | None] = mapped_column(Str(255))
    response: Mapped[str | None] = mapped_column(Txt)
    effect: Mapped[str | None] = mapped_column(Txt)  # JSON: the strikes and restrictions a grant changed (0005_appeals)
