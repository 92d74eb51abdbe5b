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

**Many writers.**  Gates on every user server, agents on every node and the
hub service write to one database at once.  Counting a user's strikes and
deciding the next rung is a read-modify-write, so the writes that touch a
user's strikes or restrictions (:meth:`Ledger.record_decision` with a strike,
:meth:`Ledger.restrict`, :meth:`Ledger.pardon`) are serialised per user:

* PostgreSQL: the transaction's first statement is
  ``pg_advisory_xact_lock(NAMESPACE, key(user))``.  A second writer for the same
  user waits there until the first commits; under READ COMMITTED its count then
  sees the first one's strike.  The lock needs no row to exist, is released by
  commit, rollback or a dropped connection (a SIGKILLed writer holds nothing),
  and two users whose keys collide merely wait for each other.
* SQLite has one writer at a time.  Write transactions start with ``BEGIN
  IMMEDIATE``, so the writer lock is taken before the first read and a
  transaction never has to upgrade a read snapshot (which fails at once with
  "database is locked" instead of waiting).

So every strike is counted once, strikes of a user are numbered 1..N in commit
order, a rung is created once however many hosts strike in the same second,
and a restriction is visible to every reader from its commit on.

**Outages.**  Connections are checked before use (``pool_pre_ping``).  On
PostgreSQL, a write or read that fails because the connection broke (a
restart, a failover) is retried for up to ``retry_s`` seconds.
:meth:`Ledger.record_decision` is idempotent by its reference: a retry first
looks the reference up, so a commit whose answer was lost is not written
twice.  After ``retry_s`` the error reaches the caller, which applies its own
fail mode (README, "Ledger").
"""

from .records import DecisionRecord, LadderStep, RestrictionInfo, excerpt, iso, new_ref
from .schema import (
    ACTIONS,
    AGENT_KINDS,
    EXCERPT_CHARS,
    LEVEL_RANK,
    LEVELS,
    LOCK_NAMESPACE,
    RAN,
    Acknowledgement,
    Appeal,
    Base,
    Decision,
    Restriction,
    Str,
    Strike,
    Txt,
    storable,
)
from .store import MIGRATIONS, Ledger, default_url, user_lock_key

__all__ = [
    "ACTIONS",
    "AGENT_KINDS",
    "Acknowledgement",
    "Appeal",
    "Base",
    "Decision",
    "DecisionRecord",
    "EXCERPT_CHARS",
    "LEVELS",
    "LEVEL_RANK",
    "LOCK_NAMESPACE",
    "MIGRATIONS",
    "LadderStep",
    "Ledger",
    "RAN",
    "Restriction",
    "RestrictionInfo",
    "Str",
    "Strike",
    "Txt",
    "default_url",
    "excerpt",
    "iso",
    "new_ref",
    "storable",
    "user_lock_key",
]
