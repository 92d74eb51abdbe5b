"""The :class:`Ledger`: one database connection, its transactions, and the operations the gate, the agent and
the hub perform on decisions, strikes and restrictions (the package docstring says how writers are serialised)."""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import (
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..appeals import AppealsMixin
from ..evidence import group_evidence
from .records import DecisionRecord, LadderStep, RestrictionInfo, excerpt, iso, new_ref
from .schema import (
    ACTIONS,
    LEVEL_RANK,
    LEVELS,
    LOCK_NAMESPACE,
    RAN,
    Acknowledgement,
    Decision,
    Restriction,
    Strike,
    storable,
)

log = logging.getLogger("nbwarden.ledger")
# the Alembic scripts that create and change the tables (a sibling of this package)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


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


def _retried(method: Callable[..., Any]) -> Callable[..., Any]:
    """A read: retried through :meth:`Ledger._retry` (reads are idempotent)."""

    @functools.wraps(method)
    def wrapper(self: Ledger, *args: Any, **kwargs: Any) -> Any:
        return self._retry(lambda _attempt: method(self, *args, **kwargs))

    return wrapper


def user_lock_key(user: str) -> int:
    """The second key of a user's advisory lock: a stable signed 32-bit hash of the name."""
    return int.from_bytes(hashlib.sha256(storable(user).encode()).digest()[:4], "big", signed=True)


class Ledger(AppealsMixin):
    """The database, with the few operations the gate, the agent and the hub need (appeals: :mod:`.appeals`).

    ``retry_s``: how long a PostgreSQL operation is retried after its connection broke (0: never).
    """

    def __init__(self, url: str | None = None, *, migrate: bool = True, echo: bool = False,
                 retry_s: float | None = None):
        self.url = url or default_url()
        self.is_sqlite = self.url.startswith("sqlite")
        if retry_s is None:
            retry_s = float(os.environ.get("NBWARDEN_DB_RETRY_S") or 10.0)
        self.retry_s = 0.0 if self.is_sqlite else retry_s  # SQLite waits in busy_timeout instead
        self._down_since: float | None = None
        kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": True}
        if self.is_sqlite:
            path = self.url.split(":///", 1)[-1] if ":///" in self.url else ""
            if path and path != ":memory:":
                Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        elif self.url.startswith("postgresql"):
            kwargs["connect_args"] = {"connect_timeout": 5}
        self.engine: SAEngine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        self.is_postgresql = self.engine.dialect.name == "postgresql"
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        # write transactions: BEGIN IMMEDIATE on SQLite (see the module docstring)
        self._writer = sessionmaker(self.engine.execution_options(nbwarden_write=True), expire_on_commit=False)
        if migrate:
            self.upgrade()

    def session(self, write: bool = False) -> Session:
        """A new session on the ledger's database; ``write=True`` for one that will write (on SQLite it begins
        IMMEDIATE: a transaction that reads before it writes must not fail to upgrade its snapshot)."""
        return (self._writer if write else self._session)()

    # -- outages and concurrency

    def _retry(self, operation: Callable[[int], Any]) -> Any:
        """Run ``operation(attempt)``; on a broken PostgreSQL connection, again until ``retry_s`` has passed.

        Once the database stayed away for a whole ``retry_s``, each call tries once
        and fails at once, so that a caller on an event loop (the gate, the hub
        service) is not held ``retry_s`` per request through a long outage; the
        first success ends that state.
        """
        deadline = time.monotonic() + (0.0 if self._down_since is not None else self.retry_s)
        attempt = 0
        while True:
            try:
                result = operation(attempt)
            except DBAPIError as exc:
                if not (exc.connection_invalidated or isinstance(exc, OperationalError)) or self.is_sqlite:
                    raise
                reason = str(exc.orig or exc).strip().splitlines()[0]
                if time.monotonic() >= deadline:
                    if self._down_since is None:
                        self._down_since = time.time()
                        log.error("nbwarden ledger: database unavailable, gave up after %.0f s (%s); until it "
                                  "answers again every call tries once", self.retry_s, reason)
                    raise
                attempt += 1
                log.warning("nbwarden ledger: database unavailable (%s); retry %d", reason, attempt)
                time.sleep(min(0.05 * 2 ** attempt, 1.0, max(0.0, deadline - time.monotonic())))
            else:
                if self._down_since is not None:
                    log.warning("nbwarden ledger: database available again after %.0f s",
                                time.time() - self._down_since)
                    self._down_since = None
                return result

    def _lock_user(self, session: Session, user: str) -> None:
        """Serialise this transaction with every other one that locks ``user`` (module docstring)."""
        if self.is_postgresql:
            session.execute(text("SELECT pg_advisory_xact_lock(:ns, :key)"),
                            {"ns": LOCK_NAMESPACE, "key": user_lock_key(user)})

    # -- schema

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` with Alembic (a no-op when it is there).

        Many processes may open a fresh database at once: on PostgreSQL they wait
        for each other on an advisory lock, on SQLite on the writer lock.
        """
        self._migrate("upgrade", revision)

    def downgrade(self, revision: str) -> None:
        """Take the schema back to ``revision`` (``base``: no tables at all)."""
        self._migrate("downgrade", revision)

    def _migrate(self, direction: str, revision: str) -> None:
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        writer = self.engine.execution_options(nbwarden_write=True)

        def run(_attempt: int) -> None:
            with writer.begin() as conn:
                if self.is_postgresql:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:ns, 0)"), {"ns": LOCK_NAMESPACE})
                cfg.attributes["connection"] = conn
                getattr(command, direction)(cfg, revision)

        self._retry(run)

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
        the new restriction.  Returns after the commit.  ``ref`` makes the call
        idempotent: a decision whose reference is already stored is returned as
        it was stored, not written again.
        """
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        now = time.time() if now is None else now
        ref_given = bool(ref)
        ref = ref or new_ref()
        strike = bool(strike and category)
        strike_severity = severity or "block"

        def write(attempt: int) -> DecisionRecord:
            with self._writer() as session, session.begin():
                if strike:
                    self._lock_user(session, user)
                if attempt or ref_given:
                    stored = session.scalar(select(Decision).where(Decision.ref == ref))
                    if stored is not None:  # committed before the connection broke, or written by an earlier call
                        return self._stored_record(session, stored, window_s)
                row = Decision(
                    ref=ref, at=now, user=user, user_group=group, server=server, kernel_id=kernel_id,
                    notebook=notebook, cell_id=cell_id, kind=kind, code_hash=code_hash, excerpt=excerpt(code),
                    code_size=len(code) if code is not None else None, verdict=verdict, action=action,
                    ran=action in RAN, category=category, severity=severity, rules=",".join(rules) or None,
                    confidence=confidence,
                    findings=json.dumps(findings, ensure_ascii=False) if findings else None,
                    rules_version=rules_version, error=error, restriction_id=restriction_id,
                    message=None if callable(message) else message,
                )
                session.add(row)
                session.flush()
                record = DecisionRecord(row.id, ref, now, action)
                if strike:
                    session.add(Strike(at=now, user=user, category=category, severity=strike_severity,
                                       decision_id=row.id))
                    session.flush()
                    record.strike_count = self._strike_count(session, user, category, strike_severity, now,
                                                             window_s)
                    step = ladder(record.strike_count, category, strike_severity) if ladder else None
                    if step is not None and step.restrict:
                        restriction = self._escalate(session, user, step, category, row.id, now)
                        if restriction is not None:
                            record.restriction = restriction
                            row.restriction_id = restriction.id
                if acknowledges is not None or action == "still_run":
                    session.add(Acknowledgement(at=now, user=user, code_hash=code_hash,
                                                warn_decision_id=acknowledges, decision_id=row.id))
                if callable(message):  # the one case that needs a second statement: the text names the record
                    row.message = message(record)
                record.message = row.message or ""
                return record

        return self._retry(write)

    @staticmethod
    def _strike_count(session: Session, user: str, category: str, severity: str, now: float, window_s: float,
                      up_to_id: int | None = None, up_to_at: float | None = None) -> int:
        query = select(func.count(Strike.id)).where(
            Strike.user == user, Strike.category == category, Strike.severity == severity,
            Strike.at > now - window_s, Strike.pardoned_at.is_(None))
        if up_to_id is not None:
            query = query.where(Strike.id <= up_to_id)
        if up_to_at is not None:
            query = query.where(Strike.at <= up_to_at)
        return int(session.scalar(query) or 0)

    def _stored_record(self, session: Session, row: Decision, window_s: float) -> DecisionRecord:
        """The record of a decision already in the ledger, as :meth:`record_decision` returned it."""
        record = DecisionRecord(row.id, row.ref, row.at, row.action, message=row.message or "")
        strike = session.scalar(select(Strike).where(Strike.decision_id == row.id))
        if strike is not None:
            record.strike_count = self._strike_count(session, strike.user, strike.category, strike.severity,
                                                     strike.at, window_s, up_to_id=strike.id)
        if row.restriction_id is not None:
            restriction = session.get(Restriction, row.restriction_id)
            if restriction is not None and restriction.decision_id == row.id:
                record.restriction = _info(restriction)
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

    @_retried
    def get_decision(self, key: int | str, *, ref_only: bool = False) -> dict[str, Any] | None:
        """A decision by its reference, or by its row id (an int, or digits that are no reference). ``ref_only``:
        by reference alone, for what a user types (a user names decisions by the reference they were shown)."""
        with self._session() as session:
            row = None
            if not isinstance(key, int):
                row = session.scalar(select(Decision).where(Decision.ref == str(key)))
            if row is None and not ref_only and (isinstance(key, int) or str(key).isdigit()):
                row = session.get(Decision, int(key))
            return _decision_dict(row) if row else None

    @_retried
    def decisions_by(self, *, refs: Iterable[str] = (), ids: Iterable[int] = ()) -> dict[Any, dict[str, Any]]:
        """Decisions by reference and by id, in one query (an appeal's evidence, a strike's decision)."""
        refs, ids = sorted({r for r in refs if r}), sorted({int(i) for i in ids if i is not None})
        if not refs and not ids:
            return {}
        query = select(Decision).where(Decision.ref.in_(refs) | Decision.id.in_(ids))
        with self._session() as session:
            out: dict[Any, dict[str, Any]] = {}
            for row in session.scalars(query):
                data = _decision_dict(row)
                out[row.ref] = out[row.id] = data
            return out

    @_retried
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
        with self._writer() as session, session.begin():
            row = Acknowledgement(at=time.time() if now is None else now, user=user, code_hash=code_hash,
                                  warn_decision_id=warn_decision_id, decision_id=decision_id)
            session.add(row)
            session.flush()
            return row.id

    @_retried
    def acknowledgements(self, user: str | None = None) -> list[dict[str, Any]]:
        query = select(Acknowledgement).order_by(Acknowledgement.id)
        if user:
            query = query.where(Acknowledgement.user == user)
        with self._session() as session:
            return [{"id": a.id, "at": a.at, "time": iso(a.at), "user": a.user, "code_hash": a.code_hash,
                     "warn_decision_id": a.warn_decision_id, "decision_id": a.decision_id}
                    for a in session.scalars(query)]

    # -- strikes and restrictions

    @_retried
    def strikes(self, user: str, *, category: str | None = None, since: float | None = None,
                include_pardoned: bool = False) -> list[dict[str, Any]]:
        query = (select(Strike, Decision.ref).outerjoin(Decision, Decision.id == Strike.decision_id)
                 .where(Strike.user == user).order_by(Strike.id))
        if category:
            query = query.where(Strike.category == category)
        if since is not None:
            query = query.where(Strike.at > since)
        if not include_pardoned:
            query = query.where(Strike.pardoned_at.is_(None))
        with self._session() as session:
            return [_strike_dict(s, ref) for s, ref in session.execute(query)]

    def _active(self, session: Session, user: str, now: float) -> list[RestrictionInfo]:
        query = select(Restriction).where(
            Restriction.user == user, Restriction.lifted_at.is_(None),
            (Restriction.expires_at.is_(None)) | (Restriction.expires_at > now))
        rows = [_info(r) for r in session.scalars(query)]
        rows.sort(key=lambda r: (-LEVEL_RANK.get(r.level, 0), -(r.expires_at or float("inf"))))
        return rows

    @_retried
    def active_restrictions(self, user: str, now: float | None = None) -> list[RestrictionInfo]:
        """Every active restriction of ``user``, strongest first."""
        with self._session() as session:
            return self._active(session, user, time.time() if now is None else now)

    @_retried
    def active_restrictions_by_user(self, now: float | None = None) -> dict[str, list[RestrictionInfo]]:
        """Every user's active restrictions, strongest first, in one query (the dashboard, the enforcement pass)."""
        now = time.time() if now is None else now
        query = select(Restriction).where(Restriction.lifted_at.is_(None),
                                          (Restriction.expires_at.is_(None)) | (Restriction.expires_at > now))
        out: dict[str, list[RestrictionInfo]] = {}
        with self._session() as session:
            for row in session.scalars(query):
                out.setdefault(row.user, []).append(_info(row))
        for rows in out.values():
            rows.sort(key=lambda r: (-LEVEL_RANK.get(r.level, 0), -(r.expires_at or float("inf"))))
        return out

    @_retried
    def strike_levels(self) -> dict[str, dict[str, int]]:
        """Unpardoned strikes per user and category, in one query."""
        query = (select(Strike.user, Strike.category, func.count(Strike.id)).where(Strike.pardoned_at.is_(None))
                 .group_by(Strike.user, Strike.category))
        out: dict[str, dict[str, int]] = {}
        with self._session() as session:
            for user, category, count in session.execute(query):
                out.setdefault(user, {})[category] = int(count)
        return out

    def status(self, user: str, now: float | None = None) -> RestrictionInfo | None:
        """The active restriction that stops all execution (suspend or ban), or None."""
        for restriction in self.active_restrictions(user, now):
            if restriction.blocks_everything():
                return restriction
        return None

    @_retried
    def restrictions(self, user: str | None = None, *, active_only: bool = False,
                     ids: Iterable[int] | None = None) -> list[RestrictionInfo]:
        query = select(Restriction).order_by(Restriction.id)
        if user:
            query = query.where(Restriction.user == user)
        if ids is not None:
            query = query.where(Restriction.id.in_(sorted({int(i) for i in ids})))
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
        with self._writer() as session, session.begin():
            self._lock_user(session, user)
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
        with self._writer() as session, session.begin():
            self._lock_user(session, user)
            query = select(Restriction).where(Restriction.user == user, Restriction.lifted_at.is_(None))
            if restriction_id is not None:
                query = query.where(Restriction.id == restriction_id)
            for row in session.scalars(query):
                row.lifted_at, row.lifted_by, row.lift_reason = now, by, reason
                lifted += 1
            if clear_strikes:
                for strike in session.scalars(select(Strike).where(Strike.user == user, Strike.pardoned_at.is_(None))):
                    strike.pardoned_at, strike.pardoned_by, strike.pardon_reason = now, by, reason
        return lifted

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

    @_retried
    def _all_strikes(self) -> list[dict[str, Any]]:
        query = select(Strike, Decision.ref).outerjoin(Decision, Decision.id == Strike.decision_id).order_by(Strike.id)
        with self._session() as session:
            return [{**_strike_dict(s, ref), "user": s.user} for s, ref in session.execute(query)]


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # the driver's own transaction handling off: the "begin" listener below emits BEGIN itself
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("nbwarden_write") else "BEGIN")


def _info(row: Restriction) -> RestrictionInfo:
    return RestrictionInfo(row.id, row.user, row.level, row.category, row.reason or "", row.created_at,
                           row.created_by, row.expires_at, row.lifted_at, row.decision_id)


def _decision_dict(row: Decision) -> dict[str, Any]:
    data = {
        "id": row.id, "ref": row.ref, "at": row.at, "time": iso(row.at), "user": row.user, "group": row.user_group,
        "server": row.server, "kernel_id": row.kernel_id, "notebook": row.notebook, "cell_id": row.cell_id,
        "kind": row.kind, "code_hash": row.code_hash, "excerpt": row.excerpt, "code_size": row.code_size,
        "verdict": row.verdict, "action": row.action, "ran": bool(row.ran), "category": row.category,
        "severity": row.severity, "rules": row.rules.split(",") if row.rules else [],
        "confidence": row.confidence, "findings": json.loads(row.findings) if row.findings else [],
        "rules_version": row.rules_version, "message": row.message, "error": row.error,
        "restriction_id": row.restriction_id,
    }
    data["evidence"] = group_evidence(data["findings"])  # one entry per (cell, line); the findings stay per rule
    return data


def _strike_dict(s: Strike, decision_ref: str | None) -> dict[str, Any]:
    return {"id": s.id, "at": s.at, "time": iso(s.at), "category": s.category, "severity": s.severity,
            "decision_id": s.decision_id, "decision_ref": decision_ref, "pardoned": s.pardoned_at is not None,
            "pardoned_at": iso(s.pardoned_at), "pardoned_by": s.pardoned_by, "pardon_reason": s.pardon_reason,
            "appeal_id": s.appeal_id}
