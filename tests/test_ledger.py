"""The ledger: schema by Alembic, durable decisions, strikes, restrictions, appeals, export, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest
from pg_support import plain_query
from sqlalchemy import inspect

import nbwarden.ledger
from nbwarden.ledger import LadderStep, Ledger


@pytest.fixture
def url(ledger_url):
    return ledger_url


@pytest.fixture
def ledger(url):
    led = Ledger(url)
    yield led
    led.close()


LEDGER_TABLES = {"decisions", "strikes", "restrictions", "appeals", "acknowledgements"}


def _head():
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(nbwarden.ledger.MIGRATIONS)).get_current_head()


def test_schema_is_created_by_alembic_and_reopening_is_a_no_op(url):
    first = Ledger(url)
    assert first.revision() == _head()
    first.record_decision(user="u", action="block", category="crypto_mining")
    second = Ledger(url)  # upgrade again: nothing to do, nothing lost
    assert second.revision() == _head()
    assert len(second.decisions()) == 1
    assert LEDGER_TABLES | {"alembic_version"} <= set(inspect(second.engine).get_table_names())
    if second.is_sqlite:
        assert plain_query(url, "pragma journal_mode") == [("wal",)]


def test_models_match_the_migration(ledger):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from nbwarden.ledger import Base

    def ours(obj, name, type_, reflected, compare_to):  # other components add their own tables
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return table is None or table.name in LEDGER_TABLES

    with ledger.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": ours})
        assert compare_metadata(context, Base.metadata) == []


def test_record_decision_is_committed_and_readable_from_another_connection(ledger, url):
    record = ledger.record_decision(
        user="alice", group="free", action="block", kind="cell", server="host:8888", kernel_id="k1",
        notebook="a/b.ipynb", cell_id="c7", code="!xmrig -o stratum+tcp://x:1\n" * 50, code_hash="h" * 64,
        verdict="block", category="crypto_mining", severity="block", rules=["r1", "r2"], confidence=0.99,
        findings=[{"rule": "r1", "evidence": "!xmrig"}], rules_version="v", message=lambda rec: f"ref {rec.ref}")
    assert record.id > 0 and len(record.ref) == 12 and record.message == f"ref {record.ref}"
    # a plain driver connection (another process would see the same) finds the row
    [row] = plain_query(url, 'select "user", action, rules, ran, notebook, cell_id, message from decisions '
                             "where ref = :ref", ref=record.ref)
    assert row == ("alice", "block", "r1,r2", False, "a/b.ipynb", "c7", f"ref {record.ref}")
    shown = ledger.get_decision(record.ref)
    assert shown["findings"] == [{"rule": "r1", "evidence": "!xmrig"}]
    assert len(shown["excerpt"]) <= 500 and shown["code_size"] == len("!xmrig -o stratum+tcp://x:1\n") * 50
    assert ledger.get_decision(record.id)["ref"] == record.ref


def test_unknown_action_is_refused(ledger):
    with pytest.raises(ValueError):
        ledger.record_decision(user="u", action="maybe")


def test_strikes_climb_the_ladder_and_restrictions_expire(ledger):
    def ladder(count, category, severity):
        steps = {2: LadderStep(2, "block_category", 1.0), 3: LadderStep(3, "suspend", 24.0),
                 4: LadderStep(4, "ban")}
        return steps.get(min(count, 4))

    now = 1_000_000.0
    levels = []
    for i in range(5):
        rec = ledger.record_decision(user="bob", action="block", category="crypto_mining", severity="block",
                                     strike=True, ladder=ladder, window_s=3600, now=now + i)
        levels.append(rec.restriction.level if rec.restriction else None)
        assert rec.strike_count == i + 1
    # a rung already reached (or a stronger one) is not created again
    assert levels == [None, "block_category", "suspend", "ban", None]
    active = ledger.active_restrictions("bob", now=now + 10)
    assert [r.level for r in active] == ["ban", "suspend", "block_category"]
    assert ledger.status("bob", now=now + 10).level == "ban"
    suspend = next(r for r in active if r.level == "suspend")
    assert suspend.expires_at == pytest.approx(now + 2 + 24 * 3600)
    # strikes outside the window do not count
    rec = ledger.record_decision(user="bob", action="block", category="crypto_mining", severity="block",
                                 strike=True, ladder=ladder, window_s=3600, now=now + 7200)
    assert rec.strike_count == 1
    # expiry: the block_category restriction ends after an hour, the ban never
    later = [r.level for r in ledger.active_restrictions("bob", now=now + 2 * 3600)]
    assert later == ["ban", "suspend"]


def test_restrict_status_pardon(ledger):
    assert ledger.status("carol") is None
    r = ledger.restrict("carol", "suspend", hours=2, reason="manual", by="ops")
    status = ledger.status("carol")
    assert status.id == r.id and status.blocks_everything() and "suspended until" in status.describe()
    ledger.restrict("carol", "block_category", category="torrent_p2p", hours=None)
    ledger.record_decision(user="carol", action="block", category="torrent_p2p", strike=True)
    assert len(ledger.strikes("carol")) == 1
    assert ledger.pardon("carol", by="ops", reason="ok") == 2
    assert ledger.status("carol") is None and ledger.active_restrictions("carol") == []
    assert ledger.strikes("carol") == [] and len(ledger.strikes("carol", include_pardoned=True)) == 1
    lifted = ledger.restrictions("carol")
    assert all(r.lifted_at is not None for r in lifted)
    with pytest.raises(ValueError):
        ledger.restrict("carol", "block_category")  # needs a category
    with pytest.raises(ValueError):
        ledger.restrict("carol", "nap")


def test_appeals(ledger):
    r = ledger.restrict("dave", "ban", reason="mining")
    appeal = ledger.file_appeal("dave", "it was a tutorial", restriction_id=r.id, decision_ref="abc")
    assert ledger.appeals(state="open")[0]["id"] == appeal
    denied_id = ledger.file_appeal("dave", "second try")
    assert ledger.decide_appeal(denied_id, False, response="no")["state"] == "denied"
    assert ledger.status("dave") is not None
    decided = ledger.decide_appeal(appeal, True, by="ops", response="tutorial, fine")
    assert decided["state"] == "granted" and decided["decided_by"] == "ops"
    assert ledger.status("dave") is None
    with pytest.raises(ValueError):
        ledger.decide_appeal(appeal, True)


def test_acknowledgements(ledger):
    warn = ledger.record_decision(user="erin", action="warn", category="web_file_hosting", code_hash="x")
    ran = ledger.record_decision(user="erin", action="still_run", category="web_file_hosting", code_hash="x",
                                 acknowledges=warn.id)
    acks = ledger.acknowledgements("erin")
    assert len(acks) == 1 and acks[0]["warn_decision_id"] == warn.id and acks[0]["decision_id"] == ran.id
    assert ledger.acknowledge(user="erin", code_hash="y", warn_decision_id=None, decision_id=None) > 0
    assert len(ledger.acknowledgements("erin")) == 2


def test_export_jsonl_and_csv(ledger):
    for i in range(3):
        ledger.record_decision(user=f"u{i}", action="block", category="crypto_mining", rules=["a", "b"])
    lines = "".join(ledger.export("decisions", "jsonl")).splitlines()
    assert [json.loads(line)["user"] for line in lines] == ["u0", "u1", "u2"]
    text = "".join(ledger.export("decisions", "csv"))
    assert text.splitlines()[0].startswith("id,ref,at,time,user") and len(text.splitlines()) == 4
    assert "".join(ledger.export("decisions", "jsonl", user="u1")).count("\n") == 1
    with pytest.raises(ValueError):
        list(ledger.export("nope"))


def test_concurrent_writers_lose_nothing(url):
    ledgers = [Ledger(url) for _ in range(4)]

    def write(led, n):
        for _ in range(25):
            led.record_decision(user=f"w{n}", action="block", category="c", strike=True)

    threads = [threading.Thread(target=write, args=(led, n)) for n, led in enumerate(ledgers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert ledgers[0].count_decisions() == 100
    assert all(len(ledgers[0].strikes(f"w{n}")) == 25 for n in range(4))


def test_cli(url, capsys):
    from nbwarden.cli import main

    def run(*args):
        code = main(["ledger", *args, "--db", url])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    led = Ledger(url)
    rec = led.record_decision(user="frank", action="block", category="crypto_mining", rules=["crypto_mining.x"],
                              code="!xmrig")
    # once as a real command
    out = subprocess.run([sys.executable, "-m", "nbwarden.cli", "ledger", "list", "--db", url],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "frank" in out.stdout and "crypto_mining.x" in out.stdout
    assert "1 decisions" in out.stdout
    code, out, _ = run("list", "--json", "--only", "block")
    assert json.loads(out)[0]["ref"] == rec.ref
    code, out, _ = run("show", rec.ref)
    assert json.loads(out)["excerpt"] == "!xmrig"
    code, out, _ = run("restrict", "frank", "--hours", "3", "--reason", "test")
    assert code == 0 and "suspended until" in out
    code, out, _ = run("show", "frank")
    report = json.loads(out)
    assert report["status"] == "restricted" and report["active_restrictions"][0]["reason"] == "test"
    code, out, _ = run("restrict", "frank", "--level", "block_category")
    assert code == 2
    code, out, _ = run("pardon", "frank")
    assert code == 0 and "1 restriction(s) lifted" in out
    assert led.status("frank") is None
    code, out, _ = run("export", "--table", "restrictions", "--format", "csv")
    assert code == 0 and out.startswith("id,user,level")
    code, out, _ = run("show")
    assert code == 2


def test_what_users_control_is_always_recordable(ledger):
    """PostgreSQL refuses NUL characters and over-long VARCHARs where SQLite keeps anything; a cell must
    never become unrecordable (and so, in a fail-open gate, unchecked) because of what a user typed."""
    name = "u" * 300  # longer than the 255 of the column
    code = "!xmrig\x00 -o stratum+tcp://x:1  # \ud800 lone surrogate"
    record = ledger.record_decision(user=name, action="block", kind="cell", cell_id="c" * 5000,
                                    kernel_id="k" * 100, notebook="n\x00.ipynb", code=code, category="crypto_mining",
                                    severity="block", rules=["r"], strike=True, message="seen \x00",
                                    findings=[{"evidence": "\x00\ud800"}])
    stored = ledger.get_decision(record.ref)
    assert stored["cell_id"] == "c" * 128 and stored["kernel_id"] == "k" * 64 and stored["user"] == name[:255]
    assert stored["excerpt"].startswith("!xmrig\\x00 -o") and "\\ud800" in stored["excerpt"]
    assert stored["findings"] == [{"evidence": "\x00\ud800"}]  # JSON escapes survive as they were
    assert ledger.decisions(user=name)[0]["ref"] == record.ref  # the same clipping applies to queries
    assert len(ledger.strikes(name)) == 1 and record.strike_count == 1


def test_a_known_reference_is_not_written_twice(ledger):
    def ladder(count, category, severity):
        return LadderStep(1, "suspend", 1.0)

    first = ledger.record_decision(user="rae", action="block", category="c", strike=True, ladder=ladder, ref="r" * 12,
                                   message="first")
    again = ledger.record_decision(user="rae", action="block", category="c", strike=True, ladder=ladder,
                                   ref="r" * 12, message="second")
    assert (again.id, again.strike_count, again.message) == (first.id, 1, "first")
    assert again.restriction.id == first.restriction.id
    assert len(ledger.decisions(user="rae")) == 1 and len(ledger.strikes("rae")) == 1


def test_migrations_upgrade_and_downgrade(url):
    from alembic.script import ScriptDirectory

    led = Ledger(url, migrate=False)
    assert led.revision() is None
    script = ScriptDirectory(str(nbwarden.ledger.MIGRATIONS))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    for revision in revisions:  # one step at a time, each one applied on its own
        led.upgrade(revision)
        assert led.revision() == revision
    led.record_decision(user="u", action="block", category="crypto_mining", strike=True)
    for revision in reversed(revisions[:-1]):
        led.downgrade(revision)
        assert led.revision() == revision
    led.downgrade("base")
    assert led.revision() is None
    assert set(inspect(led.engine).get_table_names()) <= {"alembic_version"}
    led.upgrade()  # and back up: an empty, working ledger
    assert led.revision() == _head() and led.decisions() == []
    led.close()


def test_everyones_restrictions_and_strikes_at_once_equal_each_users(ledger):
    now = 1_000_000.0
    ledger.restrict("a", "suspend", hours=1, now=now)
    ledger.restrict("a", "block_category", category="deepfake", hours=None, now=now)
    ledger.restrict("b", "ban", now=now)
    ledger.restrict("c", "suspend", hours=1, now=now - 7200)  # expired
    gone = ledger.restrict("d", "suspend", hours=1, now=now)
    ledger.pardon("d", restriction_id=gone.id, now=now)
    for user, category in [("a", "x"), ("a", "x"), ("a", "y"), ("b", "x"), ("d", "x")]:
        ledger.record_decision(user=user, action="block", category=category, strike=True, now=now)
    ledger.pardon("d", now=now)
    batch = ledger.active_restrictions_by_user(now)
    for user in "abcd":
        assert [r.id for r in batch.get(user, [])] == [r.id for r in ledger.active_restrictions(user, now)], user
    assert set(batch) == {"a", "b"}
    assert ledger.strike_levels() == {"a": {"x": 2, "y": 1}, "b": {"x": 1}}


def test_a_reference_of_digits_is_still_a_reference(ledger, monkeypatch):
    """About 1 in 280 twelve-hex references is all digits; one read as a row id could not be shown or appealed."""
    record = ledger.record_decision(user="dana", action="warn", ref="123456789012")
    assert ledger.get_decision("123456789012")["user"] == "dana"
    assert ledger.get_decision("123456789012", ref_only=True)["id"] == record.id
    assert ledger.get_decision(str(record.id), ref_only=True) is None  # what a user types is never a row id
    assert ledger.get_decision(str(record.id))["ref"] == "123456789012"  # the operator's CLI takes either
    import uuid

    from nbwarden.ledger import records

    digits = iter([uuid.UUID(int=0x123456789012 << 80), uuid.UUID(int=0xABC456789012 << 80)])
    monkeypatch.setattr(records.uuid, "uuid4", lambda: next(digits))
    assert records.new_ref() == "abc456789012"  # an all-digit draw is drawn again
