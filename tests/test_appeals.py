"""Appeals that forgive exactly what they concern, grouped evidence, the links, the policy page's data and the
answer under the next cell, without a hub (the browser flow is in test_hub_appeals_browser.py)."""

from __future__ import annotations

import asyncio
import time

import pytest
from traitlets.config import Config

from nbwarden.evidence import group_evidence
from nbwarden.ledger import Ledger
from nbwarden.links import appeal_link, policy_section
from nbwarden.policy import Policy

LADDER = {"block": [{"strikes": 2, "restrict": "block_category", "hours": 24},
                    {"strikes": 3, "restrict": "suspend", "hours": 24}]}


@pytest.fixture
def ledger(ledger_url):
    led = Ledger(ledger_url)
    yield led
    led.close()


def _strike(ledger: Ledger, policy: Policy, user: str, now: float, category: str = "crypto_mining"):
    return ledger.record_decision(user=user, action="block", category=category, severity="block", strike=True,
                                  ladder=policy.ladder_step, window_s=policy.window_s, now=now,
                                  rules=[f"{category}.x"], findings=[{"rule": f"{category}.x", "line": 1,
                                                                      "severity": "block", "evidence": "x"}])


# ---------------------------------------------------------------------------- the ledger


def test_granting_an_appeal_removes_its_strike_and_the_rungs_it_no_longer_reaches(ledger):
    policy = Policy(ladders=LADDER)
    now = 1_000_000.0
    first, second, third = (_strike(ledger, policy, "dana", now + i) for i in range(3))
    assert third.restriction is not None and third.restriction.level == "suspend"
    assert {r.level for r in ledger.active_restrictions("dana", now=now + 5)} == {"block_category", "suspend"}
    appeal = ledger.file_appeal("dana", "a test of my own pool simulator", decision_ref=second.ref, now=now + 5)
    decided = ledger.decide_appeal(appeal, True, by="ops", response="fine", ladder=policy.ladder_step,
                                   window_s=policy.window_s, now=now + 6)
    assert decided["state"] == "granted" and decided["response"] == "fine"
    # the appealed strike only; the other two still count
    assert [s["decision_ref"] for s in decided["effect"]["strikes_pardoned"]] == [second.ref]
    strikes = {s["decision_ref"]: s for s in ledger.strikes("dana", include_pardoned=True)}
    assert strikes[second.ref]["pardoned"] and strikes[second.ref]["appeal_id"] == appeal
    assert strikes[second.ref]["pardoned_by"] == "ops" and "appeal" in strikes[second.ref]["pardon_reason"]
    assert not strikes[first.ref]["pardoned"] and not strikes[third.ref]["pardoned"]
    # the block_category rung came from the pardoned strike: lifted; the suspension had 3 strikes, now 2: the
    # ladder says block_category there, weaker than suspend: lifted too
    assert ledger.active_restrictions("dana", now=now + 7) == []
    assert len(decided["effect"]["restrictions_lifted"]) == 2
    # the next strike counts without the pardoned one: 3 again, suspend again
    again = _strike(ledger, policy, "dana", now + 8)
    assert again.strike_count == 3 and again.restriction is not None and again.restriction.level == "suspend"


def test_a_denied_appeal_changes_nothing_and_a_foreign_reference_forgives_nothing(ledger):
    policy = Policy(ladders=LADDER)
    now = 1_000_000.0
    mine = [_strike(ledger, policy, "erin", now + i) for i in range(2)]
    other = _strike(ledger, policy, "frank", now)
    denied = ledger.file_appeal("erin", "please", decision_ref=mine[0].ref, now=now + 3)
    result = ledger.decide_appeal(denied, False, by="ops", response="no", ladder=policy.ladder_step, now=now + 4)
    assert result["state"] == "denied" and result["effect"] is None
    assert len(ledger.strikes("erin")) == 2 and len(ledger.active_restrictions("erin", now=now + 5)) == 1
    # an appeal naming someone else's decision: granting it is not an account-wide pardon
    foreign = ledger.file_appeal("erin", "that one", decision_ref=other.ref, now=now + 5)
    result = ledger.decide_appeal(foreign, True, by="ops", ladder=policy.ladder_step, now=now + 6)
    assert result["effect"]["strikes_pardoned"] == [] and result["effect"]["restrictions_lifted"] == []
    assert len(ledger.strikes("erin")) == 2 and len(ledger.strikes("frank")) == 1
    # an appeal naming nothing is about the account: everything is forgiven
    account = ledger.file_appeal("erin", "all of it", now=now + 7)
    result = ledger.decide_appeal(account, True, by="ops", now=now + 8)
    assert result["effect"]["scope"] == "account" and ledger.strikes("erin") == []
    assert ledger.active_restrictions("erin", now=now + 9) == [] and len(ledger.strikes("frank")) == 1


# ---------------------------------------------------------------------------- evidence


def test_evidence_one_line_per_location_with_its_rules():
    findings = [
        {"rule": "crypto_mining.miner-program", "cell": None, "line": 1, "severity": "block",
         "evidence": "./xmrig -o stratum+tcp://p:3333", "via": "!"},
        {"rule": "crypto_mining.miner-wrapper-name", "cell": None, "line": 1, "severity": "block",
         "evidence": "./xmrig -o stratum+tcp://p:3333", "via": "!"},
        {"rule": "crypto_mining.stratum-url", "cell": None, "line": 1, "severity": "block",
         "evidence": "!./xmrig -o stratum+tcp://p:3333", "via": ""},
    ]
    groups = group_evidence(findings)
    assert len(groups) == 1
    assert groups[0]["rules"] == ["crypto_mining.miner-program", "crypto_mining.miner-wrapper-name",
                                  "crypto_mining.stratum-url"]
    assert groups[0]["evidence"] == "!./xmrig -o stratum+tcp://p:3333" and groups[0]["via"] == ""  # as written


def test_evidence_the_same_text_at_two_places_stays_two_lines():
    """The look-alike: one rule, identical evidence, but two lines (and a %run file's line 1 is not the cell's)."""
    same = {"rule": "crypto_mining.miner-program", "severity": "block", "evidence": "xmrig", "via": ""}
    findings = [{**same, "line": 1}, {**same, "line": 4}, {**same, "line": 1, "via": "%run mine.py: exec"}]
    groups = group_evidence(findings)
    assert [(g["line"], g["unit"]) for g in groups] == [(1, ""), (4, ""), (1, "%run mine.py")]
    assert all(g["rules"] == ["crypto_mining.miner-program"] for g in groups)
    assert group_evidence(findings, min_severity="warn") == groups
    assert group_evidence([{**same, "line": 1, "severity": "audit"}], min_severity="warn") == []


def test_the_api_keeps_every_finding_and_adds_the_groups(ledger):
    findings = [{"rule": r, "line": 2, "severity": "block", "evidence": "xmrig"} for r in ("a.one", "a.two")]
    rec = ledger.record_decision(user="gil", action="block", category="crypto_mining", findings=findings)
    row = ledger.get_decision(rec.ref)
    assert len(row["findings"]) == 2 and [g["rules"] for g in row["evidence"]] == [["a.one", "a.two"]]


def test_the_gate_message_groups_evidence_and_links_to_the_section_and_the_form(ledger_url):
    from gate_support import BLOCK_CELL

    from nbwarden.engine import Engine
    from nbwarden.gate import NbwardenGate

    gate = NbwardenGate(config=Config(), engine=Engine(), ledger=Ledger(ledger_url), user="hana", group="free",
                        policy_url="https://hub.example/services/nbwarden/policy",
                        appeal_url="https://hub.example/services/nbwarden/")
    try:
        result = gate.check_cell(BLOCK_CELL)
        evidence = [line for line in result.message.splitlines() if "xmrig" in line]
        assert len(evidence) == 1, result.message  # three rules, one line
        assert "crypto_mining.miner-program" in evidence[0] and "crypto_mining.stratum-url" in evidence[0]
        assert "https://hub.example/services/nbwarden/policy#crypto_mining" in result.message
        assert f"https://hub.example/services/nbwarden/?ref={result.record.ref}" in result.message
    finally:
        gate.close()


# ---------------------------------------------------------------------------- links


def test_links():
    assert policy_section("https://x/policy", "crypto_mining") == "https://x/policy#crypto_mining"
    assert policy_section("https://x/policy#all", "crypto_mining") == "https://x/policy#all"  # the operator's own
    assert policy_section("", "crypto_mining") == ""
    assert appeal_link("https://x/s/", "ab12") == "https://x/s/?ref=ab12"
    assert appeal_link("https://x/s/?lang=de&ref=old", "ab12", 7) == "https://x/s/?lang=de&ref=ab12&restriction=7"
    assert appeal_link("https://aup.example/appeal/{ref}", "ab12") == "https://aup.example/appeal/ab12"
    assert appeal_link("https://x/s/") == "https://x/s/"


# ---------------------------------------------------------------------------- the hub's pieces


def test_policy_page_data_comes_from_the_packs_the_policy_and_the_quotas():
    from nbwarden.hub.policy_page import load_ruleset, policy_data
    from nbwarden.hub.quotas import Quotas

    ruleset = load_ruleset({})
    quotas = Quotas(groups={"free": {"cpu_hours": 3.0, "window_hours": 24}, "pro": {"cpu_hours": 40.0}},
                    order=["pro", "free"])
    policy = Policy(ladders=LADDER, group_actions={"pro": {"web_file_hosting": "audit"}})
    data = policy_data(ruleset, policy, quotas)
    ids = [c["id"] for c in data["categories"]]
    assert {r.category for r in ruleset.enabled()} <= set(ids) and "crypto_mining" in ids
    mining = next(c for c in data["categories"] if c["id"] == "crypto_mining")
    assert any(r["id"] == "crypto_mining.miner-program" for r in mining["rules"]["block"])
    groups = {g["name"]: g for g in data["groups"]}
    assert groups["free"]["quota"]["cpu_hours"] == 3.0 and groups["pro"]["quota"]["cpu_hours"] == 40.0
    assert {"target": "web_file_hosting", "action": "audit"}.items() <= groups["pro"]["overrides"][0].items()
    assert [r["restrict"] for r in data["ladders"][0]["rungs"]] == ["block_category", "suspend"]
    assert {p["name"] for p in data["packs"]} == {p.name for p in ruleset.packs}
    assert all(p["version"] and (p["changelog"] or p["private"]) for p in data["packs"])


def test_the_operators_text_goes_on_the_policy_page(tmp_path):
    from nbwarden.hub.policy_page import load_ruleset, policy_data
    from nbwarden.hub.quotas import Quotas
    from nbwarden.hub.service import templates

    (tmp_path / "policy_operator.html").write_text('<p data-testid="operator">Run by the Example Lab.</p>')
    data = policy_data(load_ruleset({}), Policy(), Quotas())
    names = dict(me="", admin=False, prefix="/services/nbwarden/", xsrf="", iso=str, now=0, hub_prefix="/hub/",
                 policy_url="/services/nbwarden/policy", policy_section=lambda c: c, flash="",
                 proxy_route="/user/<you>/proxy/<port>/", data=data)
    ours = templates([]).get_template("policy.html").render(**names)
    theirs = templates([str(tmp_path)]).get_template("policy.html").render(**names)
    assert "Example Lab" in theirs and "Example Lab" not in ours
    assert 'id="crypto_mining"' in ours and "/user/&lt;you&gt;/proxy/&lt;port&gt;/" in ours


def test_user_pages_never_show_another_users_decision(ledger):
    from nbwarden.hub.records import annotate_appeals, appeal_target

    mine = ledger.record_decision(user="ivy", action="block", category="crypto_mining")
    theirs = ledger.record_decision(user="jon", action="block", category="torrent_p2p")
    record = {"user": "ivy", "active_restrictions": []}
    assert appeal_target(ledger, record, mine.ref)["decision"]["ref"] == mine.ref
    target = appeal_target(ledger, record, theirs.ref)
    assert target["decision"] is None and target["ref"] == theirs.ref  # left as typed, nothing shown
    appeal = ledger.file_appeal("ivy", "x", decision_ref=theirs.ref)  # filed past the form's check
    shown = annotate_appeals(ledger, ledger.appeals(appeal_id=appeal))
    assert shown[0]["decision"] is None
    good = ledger.file_appeal("ivy", "x", decision_ref=mine.ref)
    assert annotate_appeals(ledger, ledger.appeals(appeal_id=good))[0]["decision"]["ref"] == mine.ref


class _Conn:
    def __init__(self):
        self.sent: list[tuple[str, str]] = []

    def nbw_send_notice(self, text: str, stream: str = "stderr") -> None:
        self.sent.append((text, stream))


def test_an_appeals_answer_waits_for_the_next_cell_once(ledger_url):
    import logging

    from nbwarden.hub.models import HubStore
    from nbwarden.hub.notify import NoticePoller

    store = HubStore(Ledger(ledger_url))
    poller = NoticePoller("kim", ledger_url, logging.getLogger("test"), 0.1)
    store.add_notice("kim", "80 % of your CPU quota", deliver="now")
    answer = store.add_notice("kim", "Your appeal 3 was granted", "info", deliver="next_cell")
    store.add_notice("lou", "someone else's answer", deliver="next_cell")

    async def run() -> _Conn:
        await poller.tick()
        conn = _Conn()
        assert list(poller.pending) == [answer]  # not the quota warning, not lou's
        poller.deliver_pending(conn)
        await asyncio.sleep(0.5)  # marked delivered in a worker thread
        return conn

    conn = asyncio.run(run())
    assert conn.sent == [("\n[nbwarden] Your appeal 3 was granted\n", "stdout")] and poller.pending == {}
    assert store.notices("kim", deliver="next_cell", undelivered=True) == []
    # a server started later does not show it again
    later = NoticePoller("kim", ledger_url, logging.getLogger("test"), 0.1)
    asyncio.run(later.tick())
    assert later.pending == {}
    # one that arrived while no server ran is picked up by the next server
    waiting = store.add_notice("kim", "Your appeal 4 was denied", deliver="next_cell", now=time.time() - 3600)
    fresh = NoticePoller("kim", ledger_url, logging.getLogger("test"), 0.1)
    asyncio.run(fresh.tick())
    assert list(fresh.pending) == [waiting]


# ---------------------------------------------------------------------------- the other explanations' links


def test_the_agents_explanations_link_to_the_section_and_the_form(monkeypatch):
    from nbwarden.agent import execgate, sensor
    from nbwarden.engine import Engine

    d = {"action": "veto", "exe": "/home/ana/train_model", "category": "crypto_mining",
         "evidence": {"top": {"rule": "crypto_mining.miner-binary", "evidence": "'randomx'"}}}
    text = execgate.message(d, "A12", "https://hub.example/services/nbwarden/", "https://hub.example/policy")
    assert "https://hub.example/policy#crypto_mining" in text and "/services/nbwarden/?ref=A12" in text
    verdict = Engine().check_code("import subprocess\nsubprocess.run(['xmrig', '-o', 'stratum+tcp://p:1'])")
    monkeypatch.delenv("NBWARDEN_POLICY_URL", raising=False)
    monkeypatch.delenv("NBWARDEN_APPEAL_URL", raising=False)
    assert "#" not in sensor._explain(verdict, "starting xmrig")  # nothing configured: no link
    monkeypatch.setenv("NBWARDEN_POLICY_URL", "https://hub.example/policy")
    monkeypatch.setenv("NBWARDEN_APPEAL_URL", "https://hub.example/services/nbwarden/")
    text = sensor._explain(verdict, "starting xmrig")
    assert "https://hub.example/policy#crypto_mining" in text and "appeal at https://hub.example/services/nbwarden/" in text


def test_policy_url_overrides_the_generated_page(tmp_path):
    from nbwarden.hub import hooks

    saved = dict(hooks.SETTINGS)
    try:
        ours, theirs = Config(), Config()
        hooks.configure(ours, db_url=f"sqlite:///{tmp_path / 'l.sqlite'}", public_url="http://hub:8000")
        settings = hooks.configure(theirs, db_url=f"sqlite:///{tmp_path / 'l.sqlite'}", public_url="http://hub:8000",
                                   policy_url="https://aup.example/rules")
        assert "--NbwardenGate.policy_url=http://hub:8000/services/nbwarden/policy" in ours.Spawner.args
        assert "--NbwardenGate.policy_url=https://aup.example/rules" in theirs.Spawner.args
        assert theirs.Spawner.environment["NBWARDEN_POLICY_URL"] == "https://aup.example/rules"  # kernels, agent
        assert hooks.SETTINGS["policy_url"] == "https://aup.example/rules"  # the refusal page
        assert settings["policy_url"] == "https://aup.example/rules"  # the service's links
    finally:
        hooks.SETTINGS.clear()
        hooks.SETTINGS.update(saved)


def test_the_0005_columns_match_the_models(ledger):
    """test_ledger.py compares the ledger's own tables; this migration also changes the hub's notices."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import nbwarden.hub.models  # noqa: F401  (its tables join the metadata)
    from nbwarden.ledger import Base

    def ours(obj, name, type_, reflected, compare_to):
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return table is None or table.name in {"strikes", "appeals", "hub_notices"}

    with ledger.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": ours})
        assert compare_metadata(context, Base.metadata) == []
