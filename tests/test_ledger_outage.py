"""A ledger that goes away: each layer's fail mode, its log line, no crash, and recovery when it returns.

Each test owns a PostgreSQL cluster (:class:`pg_support.Cluster`) so that it can
stop it without disturbing the rest of the suite.  ``NBWARDEN_DB_RETRY_S`` is
short here so that a test does not wait through the production retry window.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import time

import pytest
from gate_support import BLOCK_CELL, JupyterServer, wait_for
from hub_support import CHP, Hub
from pg_support import Cluster, unavailable
from sqlalchemy.exc import OperationalError

from nbwarden.agent.recorder import Recorder
from nbwarden.hub.models import HubStore
from nbwarden.hub.quotas import UsageSampler
from nbwarden.ledger import Ledger

pytestmark = [pytest.mark.timeout(300),
              pytest.mark.skipif(bool(unavailable()), reason=unavailable() or "")]
RETRY = {"NBWARDEN_DB_RETRY_S": "1"}
STRIKE = {"action": "kill", "kind": "process", "category": "crypto_mining", "severity": "block", "strike": True,
          "rules": ["crypto_mining.miner-binary"], "cmdline": ["./train_model"], "evidence": {}}


@pytest.fixture
def cluster():
    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@pytest.mark.parametrize("fail_mode", ["open", "closed"])
def test_gate_applies_fail_mode_while_the_ledger_is_down_and_records_again_after(cluster, tmp_path, fail_mode):
    url = cluster.database()
    with JupyterServer(tmp_path, db_url=url, env=RETRY, gate_config={"fail_mode": fail_mode, "status_ttl_s": 0},
                       extra_args=['--Policy.ladders={"default": [{"strikes": 1000, "restrict": "ban"}]}']) as srv:
        client = srv.connect(srv.start_session("outage.ipynb"))
        try:
            assert client.execute(BLOCK_CELL)["reply"]["status"] == "error"
            cluster.pg_ctl("stop", "-m", "fast")
            # a failed record never opens a block: the miner is refused in both modes
            during = client.execute(BLOCK_CELL + "  # during the outage")
            assert during["reply"]["status"] == "error" and during["reply"]["ename"] == "PolicyViolation"
            benign = client.execute("print('benign ' + 'cell')")
            if fail_mode == "open":  # checked and allowed: it runs; the block above waits in the spool
                assert "crypto_mining.miner-program" in during["text"]
                assert benign["reply"]["status"] == "ok" and "benign cell" in benign["text"]
                assert "could not record a block decision" in srv.log()
                shown = re.search(r"Reference (\w+)", during["text"]).group(1)
            else:  # the user's restriction status cannot be read: refused, with the reason
                assert benign["reply"]["status"] == "error" and "could not be checked" in benign["text"]
                assert "OperationalError" in benign["text"]
            log = srv.log()
            assert "nbwarden ledger: database unavailable" in log
            assert srv.proc.poll() is None  # never a crash
            cluster.pg_ctl("start")
            again = client.execute(BLOCK_CELL + "  # after the outage")
            assert again["reply"]["status"] == "error" and again["reply"]["ename"] == "PolicyViolation"
        finally:
            client.close()
    rows = Ledger(url).decisions(action="block")
    if fail_mode == "open":  # the spooled decision went in with the reference the user was shown
        assert [r["excerpt"] for r in rows] == [BLOCK_CELL + "  # after the outage", BLOCK_CELL + "  # during the outage",
                                                BLOCK_CELL]
        assert rows[1]["ref"] == shown
    else:
        assert [r["excerpt"] for r in rows] == [BLOCK_CELL + "  # after the outage", BLOCK_CELL]


def test_gate_that_cannot_reach_its_ledger_at_start_refuses_code_when_fail_closed(cluster, tmp_path):
    url = cluster.database()
    cluster.pg_ctl("stop", "-m", "fast")
    with JupyterServer(tmp_path, db_url=url, env=RETRY, gate_config={"fail_mode": "closed"}) as srv:
        client = srv.connect(srv.start_session("x.ipynb"))
        try:
            result = client.execute("print(1)")
            assert result["reply"]["status"] == "error" and "could not start" in result["text"]
            assert "OperationalError" in result["text"]
        finally:
            client.close()
        assert "nbwarden gate could not start" in srv.log() and "database unavailable" in srv.log()


def test_agent_recorder_spools_through_an_outage_and_replays_in_order(cluster, tmp_path, caplog):
    url = cluster.database()
    spool = tmp_path / "spool.jsonl"
    recorder = Recorder(url, str(tmp_path / "decisions.jsonl"), spool_path=str(spool))
    recorder.ledger.retry_s = 0.5
    first = recorder.record({**STRIKE, "user": "mallory"})
    assert first["via"] == "ledger" and first["strike_count"] == 1
    cluster.pg_ctl("stop", "-m", "fast")
    with caplog.at_level(logging.ERROR, logger="nbwarden.agent"):
        during = [recorder.record({**STRIKE, "user": "mallory", "cmdline": [f"./train_{i}"]}) for i in range(3)]
    assert [d["via"] for d in during] == ["jsonl"] * 3
    assert "ledger write failed, falling back to JSON lines and the spool" in caplog.text
    assert len(spool.read_text().splitlines()) == 3  # fsynced before record() returned
    cluster.pg_ctl("start")
    after = recorder.record({**STRIKE, "user": "mallory", "cmdline": ["./after"]})
    assert after["via"] == "ledger" and after["strike_count"] == 5  # the three spooled strikes came first
    assert not spool.exists()
    ledger = Ledger(url)
    rows = list(reversed(ledger.decisions(user="mallory")))
    assert [r["ref"] for r in rows] == [first["ref"], *(d["ref"] for d in during), after["ref"]]
    assert [r["at"] for r in rows[1:4]] == sorted(r["at"] for r in rows[1:4])
    assert len(ledger.strikes("mallory")) == 5
    assert recorder.record({**STRIKE, "user": "mallory"})["strike_count"] == 6  # replayed once, not twice


def test_agent_that_starts_during_an_outage_opens_the_ledger_when_it_returns(cluster, tmp_path, monkeypatch):
    monkeypatch.setenv("NBWARDEN_DB_RETRY_S", "0.5")
    url = cluster.database()
    Ledger(url).close()  # the schema exists; the database then goes away
    cluster.pg_ctl("stop", "-m", "fast")
    recorder = Recorder(url, None, spool_path=str(tmp_path / "spool.jsonl"), reopen_s=0.0)
    assert recorder.ledger is None and "ledger unavailable" in recorder.ledger_error
    assert recorder.record({**STRIKE, "user": "ivan"})["via"] == "jsonl"
    cluster.pg_ctl("start")
    out = recorder.record({**STRIKE, "user": "ivan"})
    assert out["via"] == "ledger" and out["strike_count"] == 2 and len(Ledger(url).decisions(user="ivan")) == 2


def test_usage_a_failed_write_could_not_store_is_added_to_the_next_one(cluster):
    url = cluster.database()
    store = HubStore(Ledger(url, retry_s=0.5))
    sampler = UsageSampler(gpu=False, source="test")
    env = {k: v for k, v in os.environ.items() if k != "JUPYTERHUB_USER"}
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"], env={**env, "JUPYTERHUB_USER": "burner"})
    try:
        sampler.sample()  # baseline
        time.sleep(1.0)
        cluster.pg_ctl("stop", "-m", "fast")
        with pytest.raises(OperationalError):  # reaches the service loop, which logs it
            sampler.sample_and_record(store)
        cluster.pg_ctl("start")
        time.sleep(0.5)
        second = sampler.sample_and_record(store)["burner"][0]
    finally:
        burner.kill()
        burner.wait()
    assert store.usage("burner", 0)[0] > second + 0.1  # the first interval's CPU was kept, not dropped


@pytest.mark.skipif(not CHP.exists() and not shutil.which("configurable-http-proxy"),
                    reason="configurable-http-proxy is not installed (make test installs it)")
def test_hub_service_and_spawn_hook_survive_an_outage(cluster, tmp_path):
    url = cluster.database()
    hub = Hub(tmp_path, groups={"free": ["alice"], "admin": ["admin"]}, quotas={"free": {"cpu_hours": 10}},
              reconcile_s=1.0, db_url=url, env=RETRY).start()
    try:
        assert hub.service_api("GET", "/users/alice", "admin")[0] == 200
        cluster.pg_ctl("stop", "-m", "fast")
        status, data = hub.service_api("GET", "/users/alice", "admin")
        assert status == 500 and isinstance(data, dict) and data["status"] == 500
        # the spawn check fails open by default (fail_closed refuses instead), and says so
        status, _ = hub.spawn("alice")
        assert status in (201, 202)
        assert wait_for(lambda: "nbwarden: spawn check failed for alice" in hub.log(), 30)
        assert wait_for(lambda: "nbwarden: enforcement pass failed" in hub.log(), 30)
        assert "nbwarden ledger: database unavailable" in hub.log()
        assert hub.proc.poll() is None
        hub.stop_server("alice")
        cluster.pg_ctl("start")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and hub.service_api("GET", "/users/alice", "admin")[0] != 200:
            time.sleep(0.5)
        assert hub.service_api("GET", "/users/alice", "admin")[0] == 200
    finally:
        hub.stop()
