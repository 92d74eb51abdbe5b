"""The ledger: every decision, strike, restriction and appeal, durably.

One small SQLAlchemy 2.x model shared by the gate, the host agent and the
hub.  SQLite is the default (a file, WAL journal, ``synchronous=FULL``);
PostgreSQL works by URL.  The schema is managed by Alembic; :class:`Ledger`
upgrades it to the newest revision when it opens the database.

Writes are transactions that commit before the method returns, so a caller
that answers a user only after :meth:`Ledger.record_decision` returned never
answers for a decision that a crash could lose.

Times are seconds since the epoch (UTC) as floats: portable, cheap to
compare, and turned into ISO 8601 text by the export helpers.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

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
EXCERPT_CHARS = 500


class Base(DeclarativeBase):
    pass


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)  # short public id shown to the user
    at: Mapped[float] = mapped_column(Float, index=True)
    user: Mapped[str] = mapped_column(String(255), index=True)
    user_group: Mapped[str | None] = mapped_column(String(64))
    server: Mapped[str | None] = mapped_column(String(255))
    kernel_id: Mapped[str | None] = mapped_column(String(64))
    notebook: Mapped[str | None] = mapped_column(Text)
    cell_id: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))  # cell | terminal | kernel_start | command
    code_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    excerpt: Mapped[str | None] = mapped_column(Text)
    code_size: Mapped[int | None] = mapped_column(Integer)
    verdict: Mapped[str | None] = mapped_column(String(16))  # the engine's action
    action: Mapped[str] = mapped_column(String(16), index=True)  # the final action
    ran: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str | None] = mapped_column(String(64))
    severity: Mapped[str | None] = mapped_column(String(16))
    rules: Mapped[str | None] = mapped_column(Text)  # comma-separated rule ids
    confidence: Mapped[float | None] = mapped_column(Float)
    findings: Mapped[str | None] = mapped_column(Text)  # JSON list of findings
    rules_version: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    restriction_id: Mapped[int | None] = mapped_column(ForeignKey("restrictions.id"))


class Acknowledgement(Base):
    """A "still run": the user ran a warned cell again within the window."""

    __tablename__ = "acknowledgements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    user: Mapped[str] = mapped_column(String(255), index=True)
    code_hash: Mapped[str | None] = mapped_column(String(64))
    warn_decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))


class Strike(Base):
    __tablename__ = "strikes"
    __table_args__ = (Index("ix_strikes_user_category_at", "user", "category", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    user: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    pardoned_at: Mapped[float | None] = mapped_column(Float)


class Restriction(Base):
    __tablename__ = "restrictions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(String(255), index=True)
    level: Mapped[str] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(255), default="ladder")
    expires_at: Mapped[float | None] = mapped_column(Float)  # None: until lifted
    decision_id: Mapped[int | None] = mapped_column(Integer)
    lifted_at: Mapped[float | None] = mapped_column(Float)
    lifted_by: Mapped[str | None] = mapped_column(String(255))
    lift_reason: Mapped[str | None] = mapped_column(Text)


class Appeal(Base):
    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text, default="")
    restriction_id: Mapped[int | None] = mapped_column(ForeignKey("restrictions.id"))
    decision_ref: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | granted | denied
    decided_at: Mapped[float | None] = mapped_column(Float)
    decided_by: Mapped[str | None] = mapped_column(String(255))
    response: Mapped[str | None] = mapped_column(Text)


# ---------------------------------------------------------------------------- plain results


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
    return uuid.uuid4().hex[:12]


def excerpt(code: str | None, limit: int = EXCERPT_CHARS) -> str | None:
    if code is None:
        return None
    return code if len(code) <= limit else code[: limit - 1] + "…"


def default_url() -> str:
    """``NBWARDEN_DB_URL``, or a SQLite file in the Jupyter data directory."""
    url = os.environ.get("NBWARDEN_DB_URL")
    if url:
        return url
    try:
        from jupyter_core.paths import jupyter_data_dir

        base = Path(jupyter_data_dir())
    except ImportError:  # pragma: no cover - jupyter_core comes with the gate's dependencies
        base = Path.home() / ".local" / "share" / "jupyter"
    return f"sqlite:///{base / 'nbwarden' / 'ledger.sqlite'}"


# ---------------------------------------------------------------------------- the API


class Ledger:
    """The database, with the few operations the gate, the agent and the hub need."""

    def __init__(self, url: str | None = None, *, migrate: bool = True, echo: bool = False):
        self.url = url or default_url()
        self.is_sqlite = self.url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            path = self.url.split(":///", 1)[-1] if ":///" in self.url else ""
            if path and path != ":memory:":
                Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: SAEngine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            self.upgrade()

    # -- schema

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` with Alembic (a no-op when it is there)."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
        last: Exception | None = None
        for attempt in range(5):  # two processes opening a fresh file at once: one waits for the other
            try:
                with self.engine.begin() as conn:
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, revision)
                return
            except OperationalError as exc:  # pragma: no cover - timing dependent
                last = exc
                time.sleep(0.2 * (attempt + 1))
        raise last  # type: ignore[misc]

    def revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def close(self) -> None:
        self.engine.dispose()

    # -- decisions

    def record_decision(self, *, user: str, action: str, kind: str = "cell", group: str | None = None,
                        server: str | None = None, kernel_id: str | None = None, notebook: str | None = None,
                        cell_id: str | None = None, code: str | None = None, code_hash: str | None = None,
                        verdict: str | None = None, category: str | None = None, severity: str | None = None,
                        rules: Iterable[str] = (), confidence: float | None = None,
                        findings: list[dict[str, Any]] | None = None, rules_version: str | None = None,
                        message: str | Callable[[DecisionRecord], str] | None = None, error: str | None = None,
                        restriction_id: int | None = None, strike: bool = False,
                        ladder: Callable[[int, str, str], LadderStep | None] | None = None,
                        window_s: float = 30 * 86400.0, acknowledges: int | None = None,
                        ref: str | None = None, now: float | None = None) -> DecisionRecord:
        """Write one decision (and its strike, escalation and acknowledgement) in one transaction.

        ``strike``: count this decision as a strike in ``category``/``severity``;
        ``ladder(count, category, severity)`` then says which rung the user is on
        and a new restriction is created unless an equal or stronger one is
        already active.  ``message`` may be a function of the record, so that
        the text the user sees (and that is stored) can name the reference and
        the new restriction.  Returns after the commit.
        """
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        now = time.time() if now is None else now
        ref = ref or new_ref()
        with self._session() as session, session.begin():
            row = Decision(
                ref=ref, at=now, user=user, user_group=group, server=server, kernel_id=kernel_id,
                notebook=notebook, cell_id=cell_id, kind=kind, code_hash=code_hash, excerpt=excerpt(code),
                code_size=len(code) if code is not None else None, verdict=verdict, action=action,
                ran=action in RAN, category=category, severity=severity, rules=",".join(rules) or None,
                confidence=confidence, findings=json.dumps(findings, ensure_ascii=False) if findings else None,
                rules_version=rules_version, error=error, restriction_id=restriction_id,
            )
            session.add(row)
            session.flush()
            record = DecisionRecord(row.id, ref, now, action)
            if strike and category:
                session.add(Strike(at=now, user=user, category=category, severity=severity or "block",
                                   decision_id=row.id))
                session.flush()
                count = session.scalar(
                    select(func.count(Strike.id)).where(
                        Strike.user == user, Strike.category == category,
                        Strike.severity == (severity or "block"), Strike.at > now - window_s,
                        Strike.pardoned_at.is_(None)))
                record.strike_count = int(count or 0)
                step = ladder(record.strike_count, category, severity or "block") if ladder else None
                if step is not None and step.restrict:
                    restriction = self._escalate(session, user, step, category, row.id, now)
                    if restriction is not None:
                        record.restriction = restriction
                        row.restriction_id = restriction.id
            if acknowledges is not None or action == "still_run":
                session.add(Acknowledgement(at=now, user=user, code_hash=code_hash,
                                            warn_decision_id=acknowledges, decision_id=row.id))
            if callable(message):
                message = message(record)
            row.message = message
            record.message = message or ""
        return record

    def _escalate(self, session: Session, user: str, step: LadderStep, category: str, decision_id: int,
                  now: float) -> RestrictionInfo | None:
        for active in self._active(session, user, now):
            if LEVEL_RANK[active.level] > LEVEL_RANK[step.restrict]:
                return None
            if active.level == step.restrict and (active.level != "block_category" or active.category == category):
                return None
        expires = None if step.restrict == "ban" or not step.hours else now + step.hours * 3600.0
        row = Restriction(user=user, level=step.restrict, category=category if step.restrict == "block_category" else None,
                          reason=f"{step.strikes} or more {category} violations within the strike window",
                          created_at=now, created_by="ladder", expires_at=expires, decision_id=decision_id)
        session.add(row)
        session.flush()
        return _info(row)

    def get_decision(self, key: int | str) -> dict[str, Any] | None:
        with self._session() as session:
            if isinstance(key, int) or str(key).isdigit():
                row = session.get(Decision, int(key))
            else:
                row = session.scalar(select(Decision).where(Decision.ref == key))
            return _decision_dict(row) if row else None

    def decisions(self, *, user: str | None = None, action: str | None = None, since: float | None = None,
                  kind: str | None = None, limit: int | None = 100,
                  exclude_action: str | None = None) -> list[dict[str, Any]]:
        """Newest first."""
        query = select(Decision).order_by(Decision.id.desc())
        if user:
            query = query.where(Decision.user == user)
        if action:
            query = query.where(Decision.action == action)
        if exclude_action:
            query = query.where(Decision.action != exclude_action)
        if kind:
            query = query.where(Decision.kind == kind)
        if since is not None:
            query = query.where(Decision.at >= since)
        if limit:
            query = query.limit(limit)
        with self._session() as session:
            return [_decision_dict(row) for row in session.scalars(query)]

    def count_decisions(self, **filters: Any) -> int:
        return len(self.decisions(limit=None, **filters))

    def acknowledge(self, *, user: str, code_hash: str | None, warn_decision_id: int | None,
                    decision_id: int | None, now: float | None = None) -> int:
        """Record a "still run" on its own (``record_decision`` does it for the gate)."""
        with self._session() as session, session.begin():
            row = Acknowledgement(at=time.time() if now is None else now, user=user, code_hash=code_hash,
                                  warn_decision_id=warn_decision_id, decision_id=decision_id)
            session.add(row)
            session.flush()
            return row.id

    def acknowledgements(self, user: str | None = None) -> list[dict[str, Any]]:
        query = select(Acknowledgement).order_by(Acknowledgement.id)
        if user:
            query = query.where(Acknowledgement.user == user)
        with self._session() as session:
            return [{"id": a.id, "at": a.at, "time": iso(a.at), "user": a.user, "code_hash": a.code_hash,
                     "warn_decision_id": a.warn_decision_id, "decision_id": a.decision_id}
                    for a in session.scalars(query)]

    # -- strikes and restrictions

    def strikes(self, user: str, *, category: str | None = None, since: float | None = None,
                include_pardoned: bool = False) -> list[dict[str, Any]]:
        query = select(Strike).where(Strike.user == user).order_by(Strike.id)
        if category:
            query = query.where(Strike.category == category)
        if since is not None:
            query = query.where(Strike.at > since)
        if not include_pardoned:
            query = query.where(Strike.pardoned_at.is_(None))
        with self._session() as session:
            return [{"id": s.id, "at": s.at, "time": iso(s.at), "category": s.category, "severity": s.severity,
                     "decision_id": s.decision_id, "pardoned": s.pardoned_at is not None}
                    for s in session.scalars(query)]

    def _active(self, session: Session, user: str, now: float) -> list[RestrictionInfo]:
        query = select(Restriction).where(
            Restriction.user == user, Restriction.lifted_at.is_(None),
            (Restriction.expires_at.is_(None)) | (Restriction.expires_at > now))
        rows = [_info(r) for r in session.scalars(query)]
        rows.sort(key=lambda r: (-LEVEL_RANK.get(r.level, 0), -(r.expires_at or float("inf"))))
        return rows

    def active_restrictions(self, user: str, now: float | None = None) -> list[RestrictionInfo]:
        """Every active restriction of ``user``, strongest first."""
        with self._session() as session:
            return self._active(session, user, time.time() if now is None else now)

    def status(self, user: str, now: float | None = None) -> RestrictionInfo | None:
        """The active restriction that stops all execution (suspend or ban), or None."""
        for restriction in self.active_restrictions(user, now):
            if restriction.blocks_everything():
                return restriction
        return None

    def restrictions(self, user: str | None = None, *, active_only: bool = False) -> list[RestrictionInfo]:
        query = select(Restriction).order_by(Restriction.id)
        if user:
            query = query.where(Restriction.user == user)
        now = time.time()
        with self._session() as session:
            rows = [_info(r) for r in session.scalars(query)]
        return [r for r in rows if r.active(now)] if active_only else rows

    def restrict(self, user: str, level: str = "suspend", *, hours: float | None = 24.0, category: str | None = None,
                 reason: str = "", by: str = "operator", now: float | None = None) -> RestrictionInfo:
        """Restrict ``user`` (``hours=None``: until lifted)."""
        if level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}")
        if level == "block_category" and not category:
            raise ValueError("block_category needs a category")
        now = time.time() if now is None else now
        with self._session() as session, session.begin():
            row = Restriction(user=user, level=level, category=category, reason=reason, created_at=now,
                              created_by=by, expires_at=None if hours is None or level == "ban" else now + hours * 3600)
            session.add(row)
            session.flush()
            return _info(row)

    def pardon(self, user: str, *, by: str = "operator", reason: str = "", clear_strikes: bool = True,
               restriction_id: int | None = None, now: float | None = None) -> int:
        """Lift ``user``'s active restrictions (or one of them) and, by default, forgive their strikes.

        Returns how many restrictions were lifted.
        """
        now = time.time() if now is None else now
        lifted = 0
        with self._session() as session, session.begin():
            query = select(Restriction).where(Restriction.user == user, Restriction.lifted_at.is_(None))
            if restriction_id is not None:
                query = query.where(Restriction.id == restriction_id)
            for row in session.scalars(query):
                row.lifted_at, row.lifted_by, row.lift_reason = now, by, reason
                lifted += 1
            if clear_strikes:
                for strike in session.scalars(select(Strike).where(Strike.user == user, Strike.pardoned_at.is_(None))):
                    strike.pardoned_at = now
        return lifted

    # -- appeals

    def file_appeal(self, user: str, text: str, *, restriction_id: int | None = None,
                    decision_ref: str | None = None, now: float | None = None) -> int:
        with self._session() as session, session.begin():
            row = Appeal(user=user, text=text, restriction_id=restriction_id, decision_ref=decision_ref,
                         created_at=time.time() if now is None else now, state="open")
            session.add(row)
            session.flush()
            return row.id

    def decide_appeal(self, appeal_id: int, granted: bool, *, by: str = "operator", response: str = "",
                      now: float | None = None) -> dict[str, Any]:
        """Close an appeal; granting it pardons the user (the named restriction, or all)."""
        now = time.time() if now is None else now
        with self._session() as session, session.begin():
            row = session.get(Appeal, appeal_id)
            if row is None:
                raise KeyError(f"no appeal {appeal_id}")
            if row.state != "open":
                raise ValueError(f"appeal {appeal_id} is already {row.state}")
            row.state = "granted" if granted else "denied"
            row.decided_at, row.decided_by, row.response = now, by, response
            user, restriction_id = row.user, row.restriction_id
        if granted:
            self.pardon(user, by=by, reason=f"appeal {appeal_id} granted: {response}".strip(),
                        restriction_id=restriction_id, now=now)
        return self.appeals(appeal_id=appeal_id)[0]

    def appeals(self, user: str | None = None, *, state: str | None = None,
                appeal_id: int | None = None) -> list[dict[str, Any]]:
        query = select(Appeal).order_by(Appeal.id)
        if user:
            query = query.where(Appeal.user == user)
        if state:
            query = query.where(Appeal.state == state)
        if appeal_id is not None:
            query = query.where(Appeal.id == appeal_id)
        with self._session() as session:
            return [{"id": a.id, "user": a.user, "created": iso(a.created_at), "text": a.text,
                     "restriction_id": a.restriction_id, "decision_ref": a.decision_ref, "state": a.state,
                     "decided": iso(a.decided_at), "decided_by": a.decided_by, "response": a.response}
                    for a in session.scalars(query)]

    # -- export

    def export(self, table: str = "decisions", fmt: str = "jsonl", **filters: Any) -> Iterator[str]:
        """Rows of one table as JSON lines or CSV text (chunks to write in order)."""
        if table == "decisions":
            rows = list(reversed(self.decisions(limit=None, **filters)))
        elif table == "restrictions":
            rows = [r.to_dict() for r in self.restrictions(filters.get("user"))]
        elif table == "strikes":
            rows = self.strikes(filters["user"], include_pardoned=True) if filters.get("user") else self._all_strikes()
        elif table == "appeals":
            rows = self.appeals(filters.get("user"))
        elif table == "acknowledgements":
            rows = self.acknowledgements(filters.get("user"))
        else:
            raise ValueError(f"unknown table {table!r}")
        if fmt == "jsonl":
            for row in rows:
                yield json.dumps(row, ensure_ascii=False) + "\n"
        elif fmt == "csv":
            if not rows:
                return
            buf = io.StringIO()
            writer = csv.DictWriter(buf, fieldnames=list(rows[0]), extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in row.items()})
            yield buf.getvalue()
        else:
            raise ValueError(f"unknown format {fmt!r}")

    def _all_strikes(self) -> list[dict[str, Any]]:
        with self._session() as session:
            return [{"id": s.id, "at": s.at, "time": iso(s.at), "user": s.user, "category": s.category,
                     "severity": s.severity, "decision_id": s.decision_id, "pardoned": s.pardoned_at is not None}
                    for s in session.scalars(select(Strike).order_by(Strike.id))]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _info(row: Restriction) -> RestrictionInfo:
    return RestrictionInfo(row.id, row.user, row.level, row.category, row.reason or "", row.created_at,
                           row.created_by, row.expires_at, row.lifted_at, row.decision_id)


def _decision_dict(row: Decision) -> dict[str, Any]:
    return {
        "id": row.id, "ref": row.ref, "at": row.at, "time": iso(row.at), "user": row.user, "group": row.user_group,
        "server": row.server, "kernel_id": row.kernel_id, "notebook": row.notebook, "cell_id": row.cell_id,
        "kind": row.kind, "code_hash": row.code_hash, "excerpt": row.excerpt, "code_size": row.code_size,
        "verdict": row.verdict, "action": row.action, "ran": bool(row.ran), "category": row.category,
        "severity": row.severity, "rules": row.rules.split(",") if row.rules else [],
        "confidence": row.confidence, "findings": json.loads(row.findings) if row.findings else [],
        "rules_version": row.rules_version, "message": row.message, "error": row.error,
        "restriction_id": row.restriction_id,
    }
