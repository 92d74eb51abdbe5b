"""Plain results of the ledger (restrictions, decisions, ladder steps) and small helpers for times, references
and excerpts: data that stays valid after the database session closed."""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from .schema import EXCERPT_CHARS


@dataclass(slots=True)
class RestrictionInfo:
    """A restriction as plain data, safe to keep after the session closed."""

    id: int
    user: str
    level: str
    category: str | None
    reason: str
    created_at: float
    created_by: str
    expires_at: float | None
    lifted_at: float | None = None
    decision_id: int | None = None

    def active(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return self.lifted_at is None and (self.expires_at is None or self.expires_at > now)

    def blocks_everything(self) -> bool:
        return self.level in ("suspend", "ban")

    def until_text(self) -> str:
        return "further notice" if self.expires_at is None else iso(self.expires_at)

    def describe(self) -> str:
        what = {"block_category": f"{self.category} is blocked", "suspend": "execution is suspended",
                "ban": "the account is banned"}.get(self.level, self.level)
        return f"{what} until {self.until_text()}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created"] = iso(self.created_at)
        data["expires"] = iso(self.expires_at) if self.expires_at else None
        data["active"] = self.active()
        return data


@dataclass(slots=True)
class DecisionRecord:
    """What :meth:`Ledger.record_decision` committed."""

    id: int
    ref: str
    at: float
    action: str
    strike_count: int = 0  # strikes in the window after this one, when a strike was recorded
    restriction: RestrictionInfo | None = None  # created by the ladder with this decision
    message: str = ""


@dataclass(slots=True)
class LadderStep:
    """One rung of a strike ladder, as the policy hands it to the ledger."""

    strikes: int
    restrict: str | None  # None | block_category | suspend | ban
    hours: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def new_ref() -> str:
    """Twelve hex characters, never all digits: a reference must not read as a row id (about 1 in 280 would)."""
    while True:
        ref = uuid.uuid4().hex[:12]
        if not ref.isdigit():
            return ref


def excerpt(code: str | None, limit: int = EXCERPT_CHARS) -> str | None:
    if code is None:
        return None
    return code if len(code) <= limit else code[: limit - 1] + "…"
