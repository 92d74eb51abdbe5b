"""The hub's own tables, on the ledger's SQLAlchemy ``Base`` (same database, same migrations).

* ``hub_usage_samples``: CPU and GPU seconds a user consumed in a sampling
  interval, from the hub service's local sampler or from a host agent.
* ``hub_login_events``: login IP and user agent (the ``post_auth_hook``).
* ``hub_quota_events``: 80 % warnings, stops at 100 %, refused spawns, lifetime
  and idle stops.
* ``hub_notices``: messages for a user's running notebooks; the user server's
  ``nbwarden.hub.notify`` extension shows them under the running cell (``deliver``
  ``now``: quota warnings) or under the next cell the user runs (``next_cell``: the
  answer to an appeal, kept until a notebook is there to show it).
* ``hub_link_cases``: two accounts that shared signals, for an admin to judge.

:class:`HubStore` is the small API over them.  It opens its own sessions on the
ledger's engine and never changes ledger tables except through the ledger's
own methods (bulk pardon marks strikes and lifts restrictions with plain
updates, as :meth:`nbwarden.ledger.Ledger.pardon` does).
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Float, Index, Integer, func, select
from sqlalchemy.orm import Mapped, mapped_column

from ..ledger import Base, Decision, Ledger, Restriction, Str, Strike, Txt, iso


class UsageSample(Base):
    __tablename__ = "hub_usage_samples"
    __table_args__ = (Index("ix_hub_usage_user_at", "user", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(Str(255))
    at: Mapped[float] = mapped_column(Float)
    cpu_s: Mapped[float] = mapped_column(Float, default=0.0)
    gpu_s: Mapped[float] = mapped_column(Float, default=0.0)
    source: Mapped[str] = mapped_column(Str(255), default="")


class LoginEvent(Base):
    __tablename__ = "hub_login_events"
    __table_args__ = (Index("ix_hub_login_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(Str(255), index=True)
    at: Mapped[float] = mapped_column(Float)
    ip: Mapped[str | None] = mapped_column(Str(64))
    user_agent: Mapped[str | None] = mapped_column(Txt)


class QuotaEvent(Base):
    __tablename__ = "hub_quota_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(Str(255), index=True)
    at: Mapped[float] = mapped_column(Float, index=True)
    kind: Mapped[str] = mapped_column(Str(16))  # warn | stop | refuse | lifetime | idle
    resource: Mapped[str | None] = mapped_column(Str(32))  # cpu_hours | gpu_hours | lifetime | idle
    used: Mapped[float | None] = mapped_column(Float)
    limit: Mapped[float | None] = mapped_column(Float)
    window_s: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[str | None] = mapped_column(Txt)


class Notice(Base):
    __tablename__ = "hub_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(Str(255), index=True)
    at: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(Str(16), default="warning")
    text: Mapped[str] = mapped_column(Txt)
    deliver: Mapped[str] = mapped_column(Str(16), default="now", server_default="now")  # now | next_cell (0005_appeals)
    delivered_at: Mapped[float | None] = mapped_column(Float)
    explain: Mapped[str | None] = mapped_column(Txt)  # JSON {kind, fields}: the text in the user's language (0006)


class LinkCase(Base):
    __tablename__ = "hub_link_cases"
    __table_args__ = (Index("ix_hub_link_pair", "user_a", "user_b"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_a: Mapped[str] = mapped_column(Str(255))
    user_b: Mapped[str] = mapped_column(Str(255))
    score: Mapped[float] = mapped_column(Float)
    signals: Mapped[str] = mapped_column(Txt)  # JSON list of {kind, weight, evidence}
    state: Mapped[str] = mapped_column(Str(16), default="open")  # open | confirmed | dismissed
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    decided_at: Mapped[float | None] = mapped_column(Float)
    decided_by: Mapped[str | None] = mapped_column(Str(255))
    note: Mapped[str | None] = mapped_column(Txt)


def _json_or_none(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _case_dict(row: LinkCase) -> dict[str, Any]:
    return {"id": row.id, "users": [row.user_a, row.user_b], "score": row.score,
            "signals": json.loads(row.signals or "[]"), "state": row.state, "created": iso(row.created_at),
            "updated": iso(row.updated_at), "decided": iso(row.decided_at), "decided_by": row.decided_by,
            "note": row.note}


class HubStore:
    """Reads and writes of the hub tables (and the few cross-table queries the hub needs)."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self._session = ledger.session  # reads; writes use ledger.session(write=True)

    # ------------------------------------------------------------------ usage

    def add_usage(self, samples: dict[str, tuple[float, float]], *, source: str = "", now: float | None = None) -> int:
        """``{user: (cpu_s, gpu_s)}`` for one interval; zero rows are skipped."""
        now = time.time() if now is None else now
        rows = [UsageSample(user=u, at=now, cpu_s=float(c), gpu_s=float(g), source=source)
                for u, (c, g) in samples.items() if u and (c > 0 or g > 0)]
        if rows:
            with self.ledger.session(write=True) as session, session.begin():
                session.add_all(rows)
        return len(rows)

    def usage(self, user: str, since: float) -> tuple[float, float]:
        """(cpu_s, gpu_s) of ``user`` after ``since``."""
        with self._session() as session:
            row = session.execute(select(func.coalesce(func.sum(UsageSample.cpu_s), 0.0),
                                         func.coalesce(func.sum(UsageSample.gpu_s), 0.0))
                                  .where(UsageSample.user == user, UsageSample.at > since)).one()
        return float(row[0]), float(row[1])

    def usage_by_user(self, since: float) -> dict[str, tuple[float, float]]:
        """(cpu_s, gpu_s) after ``since`` of every user with usage, in one query."""
        query = (select(UsageSample.user, func.sum(UsageSample.cpu_s), func.sum(UsageSample.gpu_s))
                 .where(UsageSample.at > since).group_by(UsageSample.user))
        with self._session() as session:
            return {user: (float(cpu or 0.0), float(gpu or 0.0)) for user, cpu, gpu in session.execute(query)}

    def usage_rows(self, user: str, since: float) -> list[tuple[float, float, float]]:
        """(at, cpu_s, gpu_s) of ``user`` after ``since``, oldest first."""
        with self._session() as session:
            return [(r.at, r.cpu_s, r.gpu_s) for r in session.scalars(
                select(UsageSample).where(UsageSample.user == user, UsageSample.at > since)
                .order_by(UsageSample.at))]

    def usage_users(self, since: float) -> list[str]:
        with self._session() as session:
            return sorted(session.scalars(select(UsageSample.user).where(UsageSample.at > since).distinct()))

    # ------------------------------------------------------------------ logins

    def add_login(self, user: str, ip: str | None, user_agent: str | None, now: float | None = None) -> int:
        with self.ledger.session(write=True) as session, session.begin():
            row = LoginEvent(user=user, at=time.time() if now is None else now, ip=ip,
                             user_agent=(user_agent or "")[:1000] or None)
            session.add(row)
            session.flush()
            return row.id

    def logins(self, *, user: str | None = None, since: float | None = None, limit: int | None = 200
               ) -> list[dict[str, Any]]:
        query = select(LoginEvent).order_by(LoginEvent.id.desc())
        if user:
            query = query.where(LoginEvent.user == user)
        if since is not None:
            query = query.where(LoginEvent.at >= since)
        if limit:
            query = query.limit(limit)
        with self._session() as session:
            return [{"id": r.id, "user": r.user, "at": r.at, "time": iso(r.at), "ip": r.ip,
                     "user_agent": r.user_agent} for r in session.scalars(query)]

    # ------------------------------------------------------------------ quota events and notices

    def add_quota_event(self, user: str, kind: str, *, resource: str | None = None, used: float | None = None,
                        limit: float | None = None, window_s: float | None = None, detail: str = "",
                        now: float | None = None) -> int:
        with self.ledger.session(write=True) as session, session.begin():
            row = QuotaEvent(user=user, at=time.time() if now is None else now, kind=kind, resource=resource,
                             used=used, limit=limit, window_s=window_s, detail=detail or None)
            session.add(row)
            session.flush()
            return row.id

    def quota_events(self, *, user: str | None = None, kind: str | None = None, since: float | None = None,
                     limit: int | None = 200) -> list[dict[str, Any]]:
        query = select(QuotaEvent).order_by(QuotaEvent.id.desc())
        if user:
            query = query.where(QuotaEvent.user == user)
        if kind:
            query = query.where(QuotaEvent.kind == kind)
        if since is not None:
            query = query.where(QuotaEvent.at >= since)
        if limit:
            query = query.limit(limit)
        with self._session() as session:
            return [{"id": r.id, "user": r.user, "at": r.at, "time": iso(r.at), "kind": r.kind,
                     "resource": r.resource, "used": r.used, "limit": r.limit, "window_s": r.window_s,
                     "detail": r.detail} for r in session.scalars(query)]

    def add_notice(self, user: str, text: str, level: str = "warning", now: float | None = None, *,
                   deliver: str = "now", explain: dict[str, Any] | None = None) -> int:
        """``deliver``: ``now`` (under the running cell) or ``next_cell`` (under the next cell the user runs).
        ``explain``: the notice as data (:mod:`nbwarden.explain`), which the user's server renders in the user's
        language; ``text`` is its English."""
        if deliver not in ("now", "next_cell"):
            raise ValueError("deliver must be now or next_cell")
        with self.ledger.session(write=True) as session, session.begin():
            row = Notice(user=user, at=time.time() if now is None else now, level=level, text=text, deliver=deliver,
                         explain=json.dumps(explain, default=str) if explain else None)
            session.add(row)
            session.flush()
            return row.id

    def notices(self, user: str, *, after_id: int = 0, since: float | None = None, deliver: str | None = None,
                undelivered: bool = False) -> list[dict[str, Any]]:
        query = select(Notice).where(Notice.user == user, Notice.id > after_id).order_by(Notice.id)
        if since is not None:
            query = query.where(Notice.at >= since)
        if deliver is not None:
            query = query.where(Notice.deliver == deliver)
        if undelivered:
            query = query.where(Notice.delivered_at.is_(None))
        with self._session() as session:
            return [{"id": r.id, "at": r.at, "time": iso(r.at), "level": r.level, "text": r.text,
                     "deliver": r.deliver, "delivered": iso(r.delivered_at), "explain": _json_or_none(r.explain)}
                    for r in session.scalars(query)]

    def mark_delivered(self, ids: list[int], now: float | None = None) -> None:
        if not ids:
            return
        with self.ledger.session(write=True) as session, session.begin():
            for row in session.scalars(select(Notice).where(Notice.id.in_(ids), Notice.delivered_at.is_(None))):
                row.delivered_at = time.time() if now is None else now

    def last_notice_id(self) -> int:
        with self._session() as session:
            return int(session.scalar(select(func.coalesce(func.max(Notice.id), 0))) or 0)

    # ------------------------------------------------------------------ linked-account cases

    def upsert_case(self, user_a: str, user_b: str, score: float, signals: list[dict[str, Any]],
                    now: float | None = None) -> tuple[int, bool]:
        """Open a case for the pair, or refresh the open one.  Returns (id, created).

        A pair an admin already judged gets a new case only when new signal
        kinds appear that the judged case did not have.
        """
        now = time.time() if now is None else now
        a, b = sorted((user_a, user_b))
        with self.ledger.session(write=True) as session, session.begin():
            rows = list(session.scalars(select(LinkCase).where(LinkCase.user_a == a, LinkCase.user_b == b)
                                        .order_by(LinkCase.id.desc())))
            open_row = next((r for r in rows if r.state == "open"), None)
            if open_row is not None:
                open_row.score, open_row.signals, open_row.updated_at = score, json.dumps(signals), now
                return open_row.id, False
            kinds = {s["kind"] for s in signals}
            for judged in rows:
                if kinds <= {s["kind"] for s in json.loads(judged.signals or "[]")}:
                    return judged.id, False
            row = LinkCase(user_a=a, user_b=b, score=score, signals=json.dumps(signals), state="open",
                           created_at=now, updated_at=now)
            session.add(row)
            session.flush()
            return row.id, True

    def cases(self, *, state: str | None = None, user: str | None = None, case_id: int | None = None
              ) -> list[dict[str, Any]]:
        query = select(LinkCase).order_by(LinkCase.id.desc())
        if state:
            query = query.where(LinkCase.state == state)
        if user:
            query = query.where((LinkCase.user_a == user) | (LinkCase.user_b == user))
        if case_id is not None:
            query = query.where(LinkCase.id == case_id)
        with self._session() as session:
            return [_case_dict(r) for r in session.scalars(query)]

    def decide_case(self, case_id: int, state: str, *, by: str, note: str = "", now: float | None = None
                    ) -> dict[str, Any]:
        if state not in ("open", "confirmed", "dismissed"):
            raise ValueError("state must be open, confirmed or dismissed")
        with self.ledger.session(write=True) as session, session.begin():
            row = session.get(LinkCase, case_id)
            if row is None:
                raise KeyError(f"no case {case_id}")
            row.state, row.decided_by, row.note = state, by, note or None
            row.decided_at = time.time() if now is None else now
            return _case_dict(row)

    # ------------------------------------------------------------------ decisions, for linking and alerts

    def decisions_since(self, since: float, *, actions: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        query = select(Decision.id, Decision.user, Decision.at, Decision.action, Decision.code_hash,
                       Decision.category, Decision.rules, Decision.findings, Decision.rules_version,
                       Decision.kind).where(Decision.at >= since).order_by(Decision.id)
        if actions:
            query = query.where(Decision.action.in_(actions))
        with self._session() as session:
            return [dict(r._mapping) for r in session.execute(query)]

    def restriction_events(self, since: float) -> list[dict[str, Any]]:
        with self._session() as session:
            return [{"user": r.user, "at": r.created_at, "level": r.level, "category": r.category}
                    for r in session.scalars(select(Restriction).where(Restriction.created_at >= since))]

    # ------------------------------------------------------------------ bulk pardon

    def bulk_pardon(self, rule: str, since: float, until: float, *, by: str, reason: str = "",
                    now: float | None = None) -> dict[str, Any]:
        """Forgive every strike of decisions by ``rule`` in [since, until], and lift the restrictions
        those decisions caused.  The decisions stay in the ledger (marked in the reason), so the
        audit trail keeps them."""
        now = time.time() if now is None else now
        with self.ledger.session(write=True) as session, session.begin():
            ids = [d.id for d in session.scalars(select(Decision).where(Decision.at >= since, Decision.at <= until))
                   if rule in (d.rules or "").split(",")]
            strikes = lifted = 0
            users: set[str] = set()
            if ids:
                for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
                    for strike in session.scalars(select(Strike).where(Strike.decision_id.in_(chunk),
                                                                       Strike.pardoned_at.is_(None))):
                        strike.pardoned_at, strike.pardoned_by = now, by
                        strike.pardon_reason = f"bulk pardon of {rule}: {reason}".strip()
                        strikes += 1
                        users.add(strike.user)
                    for row in session.scalars(select(Restriction).where(Restriction.decision_id.in_(chunk),
                                                                         Restriction.lifted_at.is_(None))):
                        row.lifted_at, row.lifted_by = now, by
                        row.lift_reason = f"bulk pardon of {rule}: {reason}".strip()
                        lifted += 1
                        users.add(row.user)
        return {"rule": rule, "since": iso(since), "until": iso(until), "decisions": len(ids),
                "strikes_pardoned": strikes, "restrictions_lifted": lifted, "users": sorted(users)}


def flagged_decisions(store: HubStore, *, user: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Newest decisions other than plain ``allow`` (the gate records every cell's hash when
    ``record_allowed`` is on; those rows are signals, not events to review)."""
    return store.ledger.decisions(user=user, exclude_action="allow", limit=limit)


def decision_counts(store: HubStore) -> dict[str, int]:
    with store._session() as session:
        return {action: int(n) for action, n in session.execute(
            select(Decision.action, func.count(Decision.id)).group_by(Decision.action))}


def ledger_users(store: HubStore) -> list[str]:
    with store._session() as session:
        return sorted(set(session.scalars(select(Decision.user).distinct()))
                      | set(session.scalars(select(Restriction.user).distinct())))
