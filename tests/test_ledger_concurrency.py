"""Many writers, one ledger: gates, agents and the hub at once, SIGKILLs, and a PostgreSQL restart mid-burst.

Every test forks 16 real writer processes (:mod:`ledger_writers`) against one
fresh database that none of them has opened before, so the first thing they
race on is the schema migration.  Four gates (four hosts) and six agents
(six nodes) strike the same user, ``mallory``; four more gates strike a user
each; two hub writers record usage, quota events and notices.
"""

from __future__ import annotations

import random
import signal
import time

import pytest
from ledger_writers import CATEGORY, LADDER, Writer, acks, start

from nbwarden.engine import Engine
from nbwarden.hub.models import UsageSample
from nbwarden.ledger import Decision, Ledger, Restriction, Strike

pytestmark = pytest.mark.timeout(300)
RUNGS = [(rung["strikes"], rung["restrict"]) for rung in LADDER[f"{CATEGORY}:block"]]


@pytest.fixture(scope="module")
def engine():
    return Engine()


def sixteen(count: int) -> list[Writer]:
    return ([Writer("gate", f"host{i}", "mallory", count) for i in range(4)]
            + [Writer("gate", f"host{4 + i}", f"gina{i}", count) for i in range(4)]
            + [Writer("agent", f"node{i}", "mallory", count) for i in range(6)]
            + [Writer("hub", f"hub{i}", "mallory", count) for i in range(2)])


def check_ledger(url: str, writers: list[Writer]) -> dict[str, list[dict]]:
    """What must hold after any burst, complete or cut short: returns the acknowledgements by writer name."""
    ledger = Ledger(url)
    got = {w.name: acks(w) for w in writers}
    with ledger.session() as session:
        decisions = {d.ref: d for d in session.query(Decision)}
        strikes = session.query(Strike).order_by(Strike.id).all()
        restrictions = session.query(Restriction).order_by(Restriction.id).all()
        usage = session.query(UsageSample).all()
    by_user: dict[str, list[Strike]] = {}
    for strike in strikes:
        by_user.setdefault(strike.user, []).append(strike)
    # no strike without its decision, no struck decision without exactly one strike
    struck = [d for d in decisions.values() if d.action == "block" and d.category == CATEGORY]
    assert sorted(s.decision_id for s in strikes) == sorted(d.id for d in struck)
    for writer in writers:
        for ack in got[writer.name]:
            assert "crash" not in ack, ack["crash"]
            if not ack.get("ref"):
                continue
            row = decisions.get(ack["ref"])
            assert row is not None, f"acknowledged decision {ack['ref']} of {writer.name} is not in the ledger"
            assert row.user == writer.user and row.action == ack["action"]
            if ack["strike"]:
                # strike k of a user is the k-th strike in commit order: counted once, nothing skipped
                assert by_user[writer.user][ack["strike"] - 1].decision_id == row.id, (writer.name, ack)
        if writer.role == "hub":
            done = [a for a in got[writer.name] if "usage_rows" in a]
            stored = [u for u in usage if u.source == f"agent:{writer.name}"]
            assert len(stored) >= 5 * len(done)
    # exactly one restriction per rung reached, created by the strike that reached it
    for user, rows in by_user.items():
        ladder = [r for r in restrictions if r.user == user and r.created_by == "ladder"]
        reached = [(n, level) for n, level in RUNGS if len(rows) >= n]
        assert [r.level for r in ladder] == [level for _, level in reached], user
        for restriction, (n, _) in zip(ladder, reached, strict=True):
            assert restriction.decision_id == rows[n - 1].decision_id, (user, n)
    ledger.close()
    return got


def test_sixteen_writers_count_every_strike_once_and_escalate_once_per_rung(ledger_url, engine, tmp_path):
    writers = sixteen(15)
    procs, _ = start(writers, ledger_url, engine, tmp_path)
    for proc in procs:
        proc.join(240)
        assert proc.exitcode == 0
    got = check_ledger(ledger_url, writers)
    for writer in writers:
        assert not [a for a in got[writer.name] if "error" in a], got[writer.name]
        assert got[writer.name][-1].get("done")
    ledger = Ledger(ledger_url)
    # mallory: every strike numbered 1..N exactly once across ten processes on ten machines
    numbers = sorted(a["strike"] for w in writers if w.user == "mallory" for a in got[w.name] if a.get("strike"))
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) == len(ledger.strikes("mallory"))
    assert len(numbers) >= 6 * 15  # the agents never stop recording kills
    # a restriction takes effect on every host: once a gate saw the suspension, it never blocked-and-ran again,
    # and after the burst every one of mallory's gates refuses code
    for writer in writers:
        if writer.role == "gate" and writer.user == "mallory":
            actions = [a["action"] for a in got[writer.name] if "action" in a]
            if "deny" in actions:
                assert set(actions[actions.index("deny"):]) == {"deny"}
            assert got[writer.name][-1]["final"] == "deny"
    assert ledger.status("mallory").level == "ban"
    for i in range(4):  # the others: 15 strikes each, numbered 1..15, one block_category
        assert [a["strike"] for a in got[f"host{4 + i}"] if a.get("strike")] == list(range(1, 16))
        assert [r.level for r in ledger.restrictions(f"gina{i}")] == ["block_category"]
    ledger.close()


def _acknowledged(writer) -> int:
    """How many decisions the writer has acknowledged so far (a line being written is not counted yet)."""
    text = writer.ack.read_text() if writer.ack.exists() else ""
    return text.count('"i": ')


def test_sigkill_writers_at_random_moments_loses_no_acknowledged_decision(ledger_url, engine, tmp_path):
    writers = sixteen(150)
    procs, _ = start(writers, ledger_url, engine, tmp_path, pause_s=0.002)
    rng = random.Random()
    # each chosen writer is killed once it has acknowledged a random number of its decisions, not at a moment on
    # the clock: on a loaded machine the writers may not have begun by then, on a fast one they may have finished
    targets = sorted((rng.randint(1, 100), index) for index in rng.sample(range(len(procs)), 8))
    victims = []  # the chosen writers still running when their target came (a fast machine finishes some first)
    for target, index in targets:
        deadline = time.monotonic() + 60
        while procs[index].is_alive() and _acknowledged(writers[index]) < target and time.monotonic() < deadline:
            time.sleep(0.005)
        if procs[index].is_alive():
            procs[index].kill()  # SIGKILL, mid-transaction or not
            victims.append(index)
    for proc in procs:
        proc.join(240)
    # a writer that ended between the check and the kill was not killed: it is a survivor like the others
    victims = [i for i in victims if procs[i].exitcode == -signal.SIGKILL]
    for index, proc in enumerate(procs):
        assert proc.exitcode == (-signal.SIGKILL if index in victims else 0)
    got = check_ledger(ledger_url, writers)
    killed_with_acks = [i for i in victims if any(a.get("ref") or a.get("usage_rows") for a in got[writers[i].name])]
    assert killed_with_acks, "no victim had written anything: the kills came too early to test anything"
    survivors = [w for i, w in enumerate(writers) if i not in victims]
    for writer in survivors:
        assert got[writer.name][-1].get("done"), got[writer.name][-3:]
    # the ledger stays usable: a new writer strikes mallory with the next number
    ledger = Ledger(ledger_url)
    before = len(ledger.strikes("mallory"))
    record = ledger.record_decision(user="mallory", action="block", category=CATEGORY, severity="block", strike=True)
    assert record.strike_count == before + 1
    ledger.close()


def test_postgresql_restart_mid_burst_writers_reconnect_and_lose_nothing(pg_cluster, engine, tmp_path):
    url = pg_cluster.database()
    try:
        writers = sixteen(60)
        procs, _ = start(writers, url, engine, tmp_path, pause_s=0.01)
        time.sleep(0.5)
        began = time.time()
        pg_cluster.pg_ctl("restart", "-m", "fast")
        back = time.time()
        for proc in procs:
            proc.join(240)
            assert proc.exitcode == 0
        got = check_ledger(url, writers)
        for writer in writers:
            assert got[writer.name][-1].get("done"), got[writer.name][-3:]
            if writer.role != "hub":  # gates and agents retried through the restart: not one error
                assert not [a for a in got[writer.name] if "error" in a], [a for a in got[writer.name] if "error" in a]
        times = [a["t"] for w in writers for a in got[w.name] if "t" in a]
        assert min(times) < began and max(times) > back  # the restart really came in the middle of the burst
    finally:
        pg_cluster.drop(url)
