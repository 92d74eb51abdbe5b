"""Policy: per-group actions, category blocks, the strike ladder."""

from __future__ import annotations

import pytest
from traitlets import TraitError
from traitlets.config import Config

from nbwarden.engine import Finding, Verdict
from nbwarden.ledger import Ledger, RestrictionInfo
from nbwarden.policy import Policy


def finding(rule, category, severity, evidence="x"):
    return Finding(rule, category, severity, "d", evidence, None, 1, "exec", "literal", "", severity)


def verdict(*findings):
    action = {"block": "block", "warn": "warn"}.get(findings[0].severity, "allow") if findings else "allow"
    return Verdict(action, findings[0].category if findings else None, 0.9, list(findings))


def test_no_findings_allows():
    assert Policy().evaluate(verdict(), "free").action == "allow"


def test_severity_maps_to_action_by_default():
    policy = Policy()
    assert policy.evaluate(verdict(finding("ssh.server", "remote_desktop_ssh", "block")), "free").action == "block"
    assert policy.evaluate(verdict(finding("web.share", "web_file_hosting", "warn")), "free").action == "warn"
    out = policy.evaluate(verdict(finding("c.comment", "crypto_mining", "audit")), "free")
    assert out.action == "audit" and out.category == "crypto_mining"


def test_group_overrides_by_category_rule_and_glob():
    config = Config()
    config.Policy.group_actions = {
        "pro": {"remote_desktop_ssh": "audit", "web_file_hosting.ngrok": "block"},
        "*": {"torrent_p2p.*": "warn"},
    }
    policy = Policy(config=config)
    ssh = verdict(finding("remote_desktop_ssh.sshd", "remote_desktop_ssh", "block"))
    assert policy.evaluate(ssh, "free").action == "block"  # Colab: SSH is banned for free users
    pro = policy.evaluate(ssh, "pro")
    assert pro.action == "audit" and pro.overridden
    assert policy.evaluate(verdict(finding("web_file_hosting.ngrok", "web_file_hosting", "warn")), "pro").action == "block"
    assert policy.evaluate(verdict(finding("torrent_p2p.aria2", "torrent_p2p", "block")), "free").action == "warn"
    # a rule id beats a category in the same table
    config.Policy.group_actions = {"pro": {"remote_desktop_ssh": "audit", "remote_desktop_ssh.sshd": "block"}}
    assert Policy(config=config).evaluate(ssh, "pro").action == "block"


def test_strongest_finding_decides_and_rules_are_listed():
    out = Policy().evaluate(verdict(finding("a.warn", "web_file_hosting", "warn"),
                                    finding("b.block", "crypto_mining", "block"),
                                    finding("c.audit", "deepfake", "audit")), "free")
    assert out.action == "block" and out.category == "crypto_mining"
    assert out.rules == ["b.block", "a.warn", "c.audit"]


def test_block_category_restriction_turns_warnings_into_blocks():
    restriction = RestrictionInfo(1, "u", "block_category", "web_file_hosting", "r", 0.0, "ladder", None)
    out = Policy().evaluate(verdict(finding("w", "web_file_hosting", "warn")), "free", [restriction])
    assert out.action == "block" and out.restriction is restriction
    other = Policy().evaluate(verdict(finding("w", "deepfake", "warn")), "free", [restriction])
    assert other.action == "warn"


def test_groups():
    policy = Policy()
    assert policy.group_for([]) == "free"
    assert policy.group_for(["students", "pro"]) == "pro"
    config = Config()
    config.Policy.groups = ["staff", "pro"]
    config.Policy.default_group = "guest"
    assert Policy(config=config).group_for(["pro", "staff"]) == "staff"
    assert Policy(config=config).group_for(["x"]) == "guest"


def test_ladder_lookup_and_steps():
    config = Config()
    config.Policy.ladders = {
        "crypto_mining:block": [{"strikes": 1, "restrict": "suspend", "hours": 24}],
        "deepfake": [{"strikes": 2, "restrict": "block_category", "hours": 1}, {"strikes": 4, "restrict": "ban"}],
        "warn": [{"strikes": 3, "restrict": "block_category", "hours": 168}],
        "default": [{"strikes": 5, "restrict": "suspend", "hours": 24}],
    }
    policy = Policy(config=config)
    assert policy.ladder_step(1, "crypto_mining", "block").restrict == "suspend"
    assert policy.ladder_step(1, "deepfake", "block") is None
    assert policy.ladder_step(3, "deepfake", "warn").restrict == "block_category"
    assert policy.ladder_step(9, "deepfake", "block").restrict == "ban"
    assert policy.ladder_step(3, "torrent_p2p", "warn").hours == 168
    assert policy.ladder_step(4, "torrent_p2p", "block") is None
    assert policy.ladder_step(5, "torrent_p2p", "block").restrict == "suspend"
    assert policy.next_step(2, "deepfake", "block")["strikes"] == 4


def test_default_ladder_escalates_warn_block_suspend_ban(ledger_url):
    policy = Policy()
    ledger = Ledger(ledger_url)
    seen = []
    for i in range(10):
        rec = ledger.record_decision(user="u", action="block", category="crypto_mining", severity="block",
                                     strike=True, ladder=policy.ladder_step, window_s=policy.window_s,
                                     now=1000.0 + i)
        seen.append(rec.restriction.level if rec.restriction else None)
    assert seen == [None, None, "block_category", None, "suspend", None, None, None, None, "ban"]


def test_bad_configuration_is_refused():
    with pytest.raises(TraitError):
        Policy(group_actions={"pro": {"x": "explode"}})
    with pytest.raises(TraitError):
        Policy(ladders={"default": [{"strikes": 0, "restrict": "ban"}]})
    with pytest.raises(TraitError):
        Policy(ladders={"default": [{"strikes": 1, "restrict": "exile"}]})
