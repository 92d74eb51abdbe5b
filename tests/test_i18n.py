"""Messages in the user's language: how the language is chosen, and the gate, the explanations and the kernel
following it in a real server (the browser's view is in test_hub_appeals_browser.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from gate_support import BLOCK_CELL, JupyterServer  # noqa: E402

from nbwarden import explain, i18n  # noqa: E402
from nbwarden.gate.messages import LEADS  # noqa: E402

pytestmark = pytest.mark.timeout(300)


def test_accept_language_is_ranked_by_quality():
    assert i18n.parse_accept_language("fr;q=0.9, de-AT;q=0.95, en;q=0.1, *;q=0.5") == ["de-AT", "fr", "en"]
    assert i18n.parse_accept_language("en;q=0, zh-CN") == ["zh-CN"]
    assert i18n.parse_accept_language("x" * 30 + ", <script>, de") == ["de"]
    assert i18n.parse_accept_language("de," * 100_000) == ["de"] * 667  # only the first 2,000 characters
    assert i18n.parse_accept_language(None) == [] and i18n.parse_accept_language("") == []


@pytest.mark.parametrize("tag, lang", [("de-DE", "de"), ("de_AT", "de"), ("zh-Hans-CN", "zh_CN"), ("zh", "zh_CN"),
                                       ("zh-TW", None), ("zh-Hant", None), ("en-GB", "en"), ("fr", None),
                                       ("", None), ("default", None)])
def test_tags_map_to_the_languages_we_ship(tag, lang):
    assert i18n.supported(tag) == lang


def test_the_first_language_we_ship_wins_then_the_default(monkeypatch):
    monkeypatch.delenv("NBWARDEN_LANGUAGE", raising=False)
    assert i18n.negotiate(None, ["fr", "zh-TW", "de", "zh-CN"]) == "de"
    assert i18n.negotiate("zh_CN", ["de"]) == "zh_CN"  # JupyterLab's setting before the browser's
    assert i18n.negotiate(None, ["fr"]) == "en"
    assert i18n.negotiate(None, ["fr"], default="de") == "de"
    monkeypatch.setenv("NBWARDEN_LANGUAGE", "zh_CN")
    assert i18n.negotiate(None, ["fr"]) == "zh_CN"


def _lab_setting(settings_dir: Path, text: str) -> None:
    path = settings_dir / i18n.JUPYTERLAB_SETTING
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_jupyterlab_setting_is_read_with_its_comments(tmp_path):
    assert i18n.jupyterlab_locale(tmp_path) is None  # no file: no choice
    _lab_setting(tmp_path, '{\n  // the language\n  "locale": "de_DE", /* the pack */\n  "url": "http://x//y",\n}')
    assert i18n.jupyterlab_locale(tmp_path) == "de"
    _lab_setting(tmp_path, '{"locale": "default"}')  # JupyterLab's own default: follow the browser
    assert i18n.jupyterlab_locale(tmp_path) is None
    _lab_setting(tmp_path, '{"locale": "zh_CN" ')  # broken: no choice, no error
    assert i18n.jupyterlab_locale(tmp_path) is None


def test_kernels_follow_the_language_the_gate_remembered(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTERLAB_SETTINGS_DIR", str(tmp_path / "lab"))
    monkeypatch.setenv(i18n.LANGUAGE_FILE_ENV, str(tmp_path / "runtime" / "nbwarden-language"))
    monkeypatch.delenv("NBWARDEN_LANGUAGE", raising=False)
    assert i18n.user_language() == "en"
    i18n.remember_language("de")
    assert i18n.user_language() == "de"
    _lab_setting(tmp_path / "lab", '{"locale": "zh_CN"}')
    assert i18n.user_language() == "zh_CN"


@pytest.mark.parametrize("lang", ["de", "zh_CN"])
def test_the_agents_explanation_is_rendered_in_the_users_language_with_its_reference(lang):
    fields = {"action": "kill", "pid": 4242, "name": "xmrig", "category": "crypto_mining",
              "rule": "crypto_mining.miner-program", "evidence": "xmrig -o pool:3333", "package": None,
              "ref": "a1b2c3d4e5f6", "policy_url": "/services/nbwarden/policy", "appeal_url": "/services/nbwarden/"}
    english = explain.render({"kind": "process", "fields": fields}, i18n.Translator("en"))
    local = explain.render({"kind": "process", "fields": fields}, i18n.Translator(lang))
    assert "stopped process 4242" in english and "?ref=a1b2c3d4e5f6" in english
    assert local != english
    for kept in ("4242", "xmrig -o pool:3333", "crypto_mining.miner-program", "/services/nbwarden/policy#crypto_mining",
                 "/services/nbwarden/?ref=a1b2c3d4e5f6"):
        assert kept in local
    # a dependency's process: no strike, no appeal link
    dependency = explain.render({"kind": "process", "fields": {**fields, "package": {"name": "evil", "version": "1"}}},
                                i18n.Translator(lang))
    assert "evil 1" in dependency and "?ref=" not in dependency
    # anything broken falls back to the English text the agent sent
    assert explain.render({"kind": "nope"}, i18n.Translator(lang), fallback="as sent") == "as sent"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = JupyterServer(tmp_path_factory.mktemp("i18n"))
    srv.start()
    yield srv
    srv.stop()


def _evalue(server, kernel, headers, cell=BLOCK_CELL):
    client = server.connect(kernel, headers=headers)
    try:
        result = client.execute(cell)
    finally:
        client.close()
    errors = [m for m in result["outputs"] if m["header"]["msg_type"] == "error"]
    return errors[0]["content"]["evalue"] if errors else result["text"]


def test_the_gate_speaks_the_browsers_language_then_the_jupyterlab_setting(server):
    kernel = server.start_session("lang.ipynb")
    english = _evalue(server, kernel, ["Accept-Language: fr-FR, en;q=0.5"])
    assert english.startswith(LEADS["block"])
    german = _evalue(server, kernel, ["Accept-Language: de-DE,de;q=0.9,en;q=0.8"])
    de = i18n.Translator("de")
    assert german.startswith(de._(LEADS["block"])) and de._(LEADS["block"]) != LEADS["block"]
    assert "crypto_mining.miner-program" in german and "stratum+tcp://pool.example:3333" in german
    assert de._("cryptocurrency mining") in german
    # the kernel is told, and explains a veto or a kill in the same language
    language_file = server.runtime / "nbwarden-language"
    assert language_file.read_text() == "de"
    notice = {"type": "notice", "text": "english", "explain": {"kind": "process", "fields": {
        "action": "kill", "pid": 7, "name": "xmrig", "category": "crypto_mining", "rule": "r.x", "evidence": "e",
        "ref": "feedbeef0001", "policy_url": "", "appeal_url": ""}}}
    said = _evalue(server, kernel, ["Accept-Language: de"],
                   f"from nbwarden.agent.sensor import _notice_text\nprint(_notice_text({json.dumps(notice)}))")
    assert said.strip() == explain.render(notice["explain"], de)
    # JupyterLab's language setting comes before the browser's
    _lab_setting(server.base / "config" / "lab" / "user-settings", '{\n // Language\n "locale": "zh_CN"\n}')
    chinese = _evalue(server, kernel, ["Accept-Language: de-DE"])
    assert chinese.startswith(i18n.Translator("zh_CN")._(LEADS["block"]))
    assert language_file.read_text() == "zh_CN"


def test_hub_notices_reach_the_notebook_in_the_users_language(tmp_path, monkeypatch):
    """The service stores a notice as data beside its English text; the user's server renders it in the
    user's language (here: the one the gate remembered)."""
    from nbwarden.hub.models import HubStore
    from nbwarden.hub.notify import format_notice
    from nbwarden.ledger import Ledger

    monkeypatch.setenv("JUPYTERLAB_SETTINGS_DIR", str(tmp_path / "lab"))
    monkeypatch.setenv(i18n.LANGUAGE_FILE_ENV, str(tmp_path / "nbwarden-language"))
    store = HubStore(Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}"))
    appeal = {"kind": "appeal", "fields": explain.appeal_fields({
        "id": 3, "decision_ref": "abc123", "state": "granted", "decided_by": "admin", "response": "fine",
        "effect": {"strikes_pardoned": [{"category": "crypto_mining"}], "restrictions_lifted": [{"id": 7, "level": "suspend"}]}})}
    english = explain.render(appeal, i18n.Translator("en"))
    assert english == ('Your appeal 3 about decision abc123 was granted by admin: "fine". 1 strike removed '
                       '(crypto_mining). Lifted: restriction 7 (suspend).')
    store.add_notice("kim", english, "info", deliver="next_cell", explain=appeal)
    quota = {"kind": "server", "fields": {"why": "quota", "label": "CPU", "used": "7.1", "limit": "7", "window": "24",
                                          "when": "2026-12-04T10:00:00Z"}}
    store.add_notice("kim", explain.render(quota, i18n.Translator("en")), "error", explain=quota)
    store.add_notice("kim", "an old notice, text only")
    first, second, old = store.notices("kim")
    i18n.remember_language("de")
    de = i18n.Translator("de")
    assert format_notice(first) == f"\n[nbwarden] {explain.render(appeal, de)}\n" != f"\n[nbwarden] {english}\n"
    assert "abc123" in format_notice(first) and "7.1" in format_notice(second) and "2026-12-04T10:00:00Z" in \
        format_notice(second)
    assert format_notice(second) != f"\n[nbwarden] {second['text']}\n"
    assert format_notice(old) == "\n[nbwarden] an old notice, text only\n"
    # a broken notice falls back to its English text
    assert format_notice({**second, "explain": {"kind": "server", "fields": {"why": "?"}}}) == \
        f"\n[nbwarden] {second['text']}\n"


@pytest.mark.parametrize("lang", ["de", "zh_CN"])
def test_the_policy_page_shows_the_packs_translated_descriptions(lang):
    from nbwarden.hub.policy_page import load_ruleset, policy_data
    from nbwarden.hub.quotas import Quotas
    from nbwarden.policy import Policy

    ruleset = load_ruleset({})
    pack = next(p for p in ruleset.packs if p.name == "crypto_mining")
    rule = next(r for r in ruleset.enabled() if r.description_i18n.get(lang) and r.category == "crypto_mining")
    english = policy_data(ruleset, Policy(), Quotas())
    local = policy_data(ruleset, Policy(), Quotas(), lang=lang)
    mining = next(c for c in local["categories"] if c["id"] == "crypto_mining")
    assert mining["descriptions"][0] == " ".join(pack.description_i18n[lang].split()) != \
        next(c for c in english["categories"] if c["id"] == "crypto_mining")["descriptions"][0]
    shown = {r["id"]: r["description"] for r in mining["rules"][rule.severity]}
    assert shown[rule.id] == " ".join(rule.description_i18n[lang].split())
    assert mining["label"] == i18n.Translator(lang)._("cryptocurrency mining") and local["language"] == lang
    # a rule without a translation keeps its English description
    plain = next(r for r in ruleset.enabled() if r.category == "crypto_mining" and lang not in r.description_i18n)
    assert {r["id"]: r["description"] for r in mining["rules"][plain.severity]}[plain.id] == \
        " ".join(plain.description.split())
