"""Hub pieces without a hub: quota arithmetic, usage sampling, the block-rate alert, bulk pardon."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nbwarden.hub.models import HubStore
from nbwarden.hub.quotas import Quotas, UsageSampler, describe_refusal
from nbwarden.hub.service import rate_alert
from nbwarden.ledger import Ledger
from nbwarden.policy import Policy


@pytest.fixture()
def store(ledger_url):
    ledger = Ledger(ledger_url)
    yield HubStore(ledger)
    ledger.close()


QUOTAS = Quotas(groups={"tiny": {"cpu_hours": 10 / 3600, "window_hours": 100 / 3600},
                        "free": {"cpu_hours": 1.0, "gpu_hours": 0.5, "window_hours": 24}},
                order=["tiny", "free"], default_group="free")


def test_quota_exhausted_until_old_usage_leaves_the_window(store):
    t0 = 1_000_000.0
    store.add_usage({"u": (6.0, 0.0)}, now=t0)
    store.add_usage({"u": (6.0, 0.0)}, now=t0 + 50)
    state = QUOTAS.state(store, "u", ["tiny"], now=t0 + 60)
    assert state.exhausted() == ["cpu_hours"]
    assert state.frees_at("cpu_hours") == t0 + 100  # the first 6 s leave the window, 6 < 10
    text, when = describe_refusal(state)
    assert "CPU quota used up" in text and when == t0 + 100
    # after that moment the same user is under the limit again
    later = QUOTAS.state(store, "u", ["tiny"], now=t0 + 101)
    assert later.exhausted() == [] and later.used_s["cpu_hours"] == 6.0


def test_quota_warns_at_80_percent_not_below(store):
    t0 = 2_000_000.0
    store.add_usage({"w": (8.5, 0.0), "v": (7.0, 0.0)}, now=t0)
    assert QUOTAS.state(store, "w", ["tiny"], now=t0 + 1).warned() == ["cpu_hours"]
    assert QUOTAS.state(store, "v", ["tiny"], now=t0 + 1).warned() == []
    # group membership picks the limits; an unknown group falls back to the default
    assert QUOTAS.state(store, "w", ["free"], now=t0 + 1).warned() == []
    assert QUOTAS.state(store, "w", ["nobody-group"], now=t0 + 1).group == "free"


def _burn(env: dict[str, str], seconds: float) -> subprocess.Popen:
    code = f"import time\nt = time.time()\nwhile time.time() - t < {seconds}: pass\n"
    return subprocess.Popen([sys.executable, "-c", code], env=env)


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc (what the kernel charged it so far)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_sampler_counts_cpu_of_jupyterhub_users_only(store):
    sampler = UsageSampler(gpu=False, source="test")
    sampler.sample()  # baseline
    base = {k: v for k, v in os.environ.items() if k != "JUPYTERHUB_USER"}
    mine = _burn({**base, "JUPYTERHUB_USER": "sampled-user"}, 3)
    plain = _burn(base, 3)  # the same work with no hub user: nobody's quota
    try:
        time.sleep(1.2)
        samples = sampler.sample_and_record(store)
        # what each burner really got: on a loaded machine that is less than the 1.2 s of wall time
        mine_cpu, plain_cpu = _cpu_seconds(mine.pid), _cpu_seconds(plain.pid)
    finally:
        for proc in (mine, plain):
            proc.kill()
            proc.wait()
    used = samples.get("sampled-user", (0.0, 0.0))[0]
    assert used > 0.2 and mine_cpu > 0.2
    assert abs(used - mine_cpu) <= 0.15 + 0.2 * mine_cpu  # its own CPU time ...
    assert used < mine_cpu + 0.5 * plain_cpu  # ... not the other process's as well
    assert "" not in samples
    assert store.usage("sampled-user", 0)[0] == pytest.approx(used)


def test_block_rate_alert_on_a_jump_without_rule_change(store):
    now = time.time()
    ledger = store.ledger
    for i in range(6):  # baseline: a few blocks a day
        ledger.record_decision(user=f"b{i}", action="block", rules=["crypto_mining.miner-program"],
                               rules_version="packs@1", now=now - 20 * 3600 + i * 600)
    assert not rate_alert(store, now)["alert"]
    for i in range(25):  # then 25 in one hour, same packs: a poisoned dependency looks like this
        ledger.record_decision(user=f"u{i}", action="block", rules=["crypto_mining.miner-program"],
                               rules_version="packs@1", now=now - 600 + i)
    alert = rate_alert(store, now)
    assert alert["alert"] and alert["recent"] == 25 and not alert["rules_changed"]
    assert alert["top_rules"][0] == ("crypto_mining.miner-program", 25)


def test_block_rate_jump_after_a_rule_update_is_not_an_alert(store):
    now = time.time()
    ledger = store.ledger
    for i in range(6):
        ledger.record_decision(user=f"b{i}", action="block", rules=["r.old"], rules_version="packs@1",
                               now=now - 20 * 3600 + i * 600)
    for i in range(25):
        ledger.record_decision(user=f"u{i}", action="block", rules=["r.new"], rules_version="packs@2",
                               now=now - 600 + i)
    alert = rate_alert(store, now)
    assert alert["jump"] and alert["rules_changed"] and not alert["alert"]


def test_bulk_pardon_forgives_one_rule_in_a_time_range(store):
    ledger = store.ledger
    policy = Policy()
    t0 = time.time() - 7200
    kwargs = dict(action="block", strike=True, ladder=policy.ladder_step, window_s=policy.window_s,
                  category="crypto_mining", severity="block")
    for i in range(3):  # three blocks by a rule that turned out to be wrong: the ladder restricted the user
        ledger.record_decision(user="victim", rules=["crypto_mining.bad-rule"], now=t0 + i, **kwargs)
    ledger.record_decision(user="miner", rules=["crypto_mining.miner-program"], now=t0 + 10, **kwargs)
    ledger.record_decision(user="victim", rules=["crypto_mining.bad-rule"], now=t0 + 5000,
                           action="block", category="crypto_mining", severity="block", strike=True,
                           window_s=policy.window_s)  # outside the range
    assert ledger.active_restrictions("victim")
    result = store.bulk_pardon("crypto_mining.bad-rule", t0 - 1, t0 + 100, by="admin", reason="false positive")
    assert result["decisions"] == 3 and result["strikes_pardoned"] == 3 and result["restrictions_lifted"] == 1
    assert result["users"] == ["victim"]
    assert not ledger.active_restrictions("victim")
    assert len(ledger.strikes("victim")) == 1  # the one outside the range stays
    assert len(ledger.strikes("miner")) == 1  # another rule's strike stays


def test_agent_reports_usage_to_the_ledger_when_asked(ledger_url):
    from nbwarden.agent.app import Agent, AgentConfig

    url = ledger_url
    agents = [Agent(AgentConfig(ledger_url=url, gpu=False, report_usage=flag)) for flag in (True, False)]
    base = {k: v for k, v in os.environ.items() if k != "JUPYTERHUB_USER"}
    for agent in agents:
        agent.resource_scan()
    burner = _burn({**base, "JUPYTERHUB_USER": "agent-user"}, 3)
    try:
        time.sleep(1.0)
        for agent in agents:
            agent.resource_scan()
    finally:
        burner.kill()
        burner.wait()
    store = HubStore(Ledger(url))
    rows = store.usage_rows("agent-user", 0)
    assert len(rows) == 1  # one sample, from the agent with report_usage on; none from the other
    assert rows[0][1] >= 0.5


def test_quota_states_of_all_users_at_once_equal_each_users_state(store):
    """The dashboard, the metrics and the enforcement pass read everyone's use in one query per window."""
    quotas = Quotas(groups={"tiny": {"cpu_hours": 10 / 3600, "window_hours": 100 / 3600},
                            "free": {"cpu_hours": 1.0, "gpu_hours": 0.5, "window_hours": 24}},
                    order=["tiny", "free"], default_group="free")
    now = 1_000_000.0
    store.add_usage({"a": (6.0, 0.0), "b": (2000.0, 2000.0), "c": (1.0, 0.0)}, now=now - 200)  # outside tiny's window
    store.add_usage({"a": (6.0, 0.0), "b": (700.0, 0.0), "c": (9.0, 1.0)}, now=now - 50)
    groups = {"a": ["tiny"], "b": [], "c": ["tiny"], "nobody": ["free"]}
    batch = quotas.states(store, groups, now)
    for user, member in groups.items():
        single = quotas.state(store, user, member, now)
        assert batch[user].to_dict() == single.to_dict() and batch[user].rows == single.rows, user
    assert batch["b"].exhausted() == ["gpu_hours"] and batch["c"].warned() == ["cpu_hours"]
