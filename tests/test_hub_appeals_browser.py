"""In Chromium, as a person sees it: the policy page and its links, an appeal from a decision row to the
admin's grant and the answer under the user's next cell, and a German browser reading all of it in German.

A real JupyterHub with configurable-http-proxy, the gate and the nbwarden
service (tests/hub_support.py); SQLite only, the ledger's part runs on both
backends in test_appeals.py.  Screenshots: artifacts/appeals-*.png.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.hub_support import (
    CHP,
    CHROMIUM,
    Hub,
    browser_context,
    launch_chromium,
    login,
    screenshot,
    write_notebook,
)

pytest.importorskip("jupyterhub")
playwright_api = pytest.importorskip("playwright.sync_api")

if not CHP.exists() and not shutil.which("configurable-http-proxy"):
    pytest.skip("configurable-http-proxy is not installed (make run / make test installs it)", allow_module_level=True)
if not Path(CHROMIUM).exists():
    pytest.skip("Debian chromium is not installed", allow_module_level=True)

from nbwarden.gate.messages import LEADS  # noqa: E402
from nbwarden.hub.hooks import ADMIN_PASSWORD, DEMO_PASSWORD  # noqa: E402
from nbwarden.i18n import Translator  # noqa: E402

pytestmark = pytest.mark.backends("sqlite")

BLOCK_CELL = "!./xmrig -o stratum+tcp://pool.example:3333"
RULES = ("crypto_mining.miner-program", "crypto_mining.stratum-url")
GROUPS = {"free": ["nina"], "pro": ["omar"], "admin": ["admin"]}
QUOTAS = {"free": {"cpu_hours": 7.0, "window_hours": 24}, "pro": {"cpu_hours": 70.0, "window_hours": 24}, "admin": {}}


@pytest.fixture(scope="module")
def hub(tmp_path_factory, module_ledger_url):
    base = tmp_path_factory.mktemp("hub")
    write_notebook(base / "home" / "nina" / "work.ipynb")
    write_notebook(base / "home" / "omar" / "work.ipynb")
    hub = Hub(base, groups=GROUPS, quotas=QUOTAS, db_url=module_ledger_url).start()
    try:
        yield hub
    finally:
        hub.stop_and_keep_log("hub-appeals")


@pytest.fixture(scope="module")
def browser():
    yield from launch_chromium(playwright_api)


@pytest.fixture(scope="module")
def nina(hub, browser):
    """Nina's browser, logged in, with work.ipynb open and a kernel; kept for the whole module (the notice of
    the last test goes under the next cell of this notebook)."""
    context = browser_context(browser)
    page = context.new_page()
    login(page, hub, "nina", DEMO_PASSWORD)
    page.wait_for_url("**/user/nina/lab**", timeout=90_000)
    page.goto(f"{hub.url}/user/nina/lab/tree/work.ipynb")
    page.locator(".jp-Notebook .jp-Cell .cm-content").first.wait_for(timeout=90_000)
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)
    try:
        yield page
    finally:
        context.close()


def _run_cell(page, index: int, code: str):
    """Type ``code`` into cell ``index`` of the open notebook, run it, and return the cell."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.locator(".cm-content").click()
    page.keyboard.type(code)
    page.keyboard.press("Shift+Enter")
    return cell


def _section_in_view(page, section: str) -> None:
    """The page is at ``#section``: the URL, the :target element, and that element visible on screen."""
    assert page.url.endswith(f"#{section}"), page.url
    assert page.evaluate("document.querySelector(':target') && document.querySelector(':target').id") == section
    box = page.locator(f"section#{section}").bounding_box()
    assert box is not None and 0 <= box["y"] < 1000  # scrolled to, within the viewport


def _open_link(page, link):
    """Follow a link as a person does: in a new tab if it opens one (JupyterLab's output links do)."""
    if link.get_attribute("target") == "_blank":
        with page.context.expect_page() as new:
            link.click()
        tab = new.value
        tab.wait_for_load_state()
        return tab
    link.click()
    page.wait_for_load_state()
    return page


def test_gate_message_links_to_the_policy_section_and_the_filled_in_form(hub, browser, nina):
    cell = _run_cell(nina, 0, BLOCK_CELL)
    output = cell.locator(".jp-OutputArea-output", has_text="PolicyViolation")
    output.wait_for(timeout=60_000)
    text = output.inner_text()
    # grouped evidence: the three rules that matched the one line, on one line
    lines = [line for line in text.splitlines() if "xmrig" in line]
    assert len(lines) == 1 and all(rule in lines[0] for rule in RULES), text
    ref = re.search(r"Reference (\w+)\.", text).group(1)
    screenshot(nina, "appeals-notebook-message")

    policy = output.locator("a[href$='/services/nbwarden/policy#crypto_mining']")
    assert policy.count() == 1, text  # the message's policy link is a link, to the category's section
    tab = _open_link(nina, policy.first)
    try:
        _section_in_view(tab, "crypto_mining")
        assert "Not allowed: cryptocurrency mining" in tab.locator("section#crypto_mining h2").inner_text()
        screenshot(tab, "appeals-policy-page")
    finally:
        if tab is not nina:
            tab.close()

    form = output.locator(f"a[href$='/services/nbwarden/?ref={ref}']")
    assert form.count() == 1, text
    tab = _open_link(nina, form.first)
    try:
        tab.locator("[data-testid=appeal-form]").wait_for()
        assert tab.locator("[data-testid=appeal-ref]").input_value() == ref
        target = tab.locator("[data-testid=appeal-target]").inner_text()
        assert ref in target and "xmrig" in target
        # the decision row's category links to the same section
        row = tab.locator(f"[data-testid=decision-{ref}]")
        evidence = row.locator("[data-testid=evidence-line]")
        assert evidence.count() == 1 and all(rule in evidence.inner_text() for rule in RULES)
        category = row.locator("[data-testid=policy-link]")
        assert category.inner_text() == "crypto_mining"
        category.click()
        tab.wait_for_url("**/policy#crypto_mining")
        _section_in_view(tab, "crypto_mining")
    finally:
        if tab is not nina:
            tab.close()


def test_the_policy_page_is_public_and_generated_from_the_packs(hub, browser):
    context = browser_context(browser)  # nobody logged in
    try:
        page = context.new_page()
        response = page.goto(f"{hub.url}/services/nbwarden/policy")
        assert response.status == 200 and "/hub/login" not in page.url
        for category in ("crypto_mining", "torrent_p2p", "proxy_tunnel", "deepfake"):
            assert page.locator(f"section#{category} h2").inner_text().startswith("Not allowed:")
        assert page.locator("[data-testid=summary-crypto_mining]").inner_text().strip()
        # what is allowed instead: one's own web UI through the hub
        route = page.locator("section#proxy_tunnel [data-testid=proxy-route]").inner_text()
        assert route == "/user/<you>/proxy/<port>/"
        # the groups' quotas, the ladder, appeals, the packs with their versions and changelogs
        groups = page.locator("section#groups").inner_text()
        assert "free" in groups and "pro" in groups and "7" in groups and "70" in groups
        strikes = page.locator("section#strikes").inner_text()
        assert "code execution is suspended for 24 h" in strikes
        assert "strike is removed" in page.locator("section#appeals").inner_text()
        mining = page.locator("[data-testid=pack-crypto_mining]")
        assert re.search(r"\d", mining.locator("td").nth(1).inner_text())
        mining.locator("summary").click()
        assert mining.locator("details li").count() >= 1
        # a section link on the page goes where it says
        page.locator("[data-testid=policy-intro] a[href='#torrent_p2p']").click()
        _section_in_view(page, "torrent_p2p")
        # the API says the same, without a login either
        api = context.request.get(f"{hub.url}/services/nbwarden/api/policy")
        assert api.status == 200 and "crypto_mining" in {c["id"] for c in api.json()["categories"]}
    finally:
        context.close()


def test_appeal_from_a_decision_row_granted_by_the_admin_seen_by_the_user(hub, browser, nina):
    decisions = hub.ledger().ledger.decisions(user="nina", action="block")
    assert decisions, "the previous test's block"
    ref = decisions[0]["ref"]
    strike = next(s for s in hub.ledger().ledger.strikes("nina") if s["decision_ref"] == ref)

    page = nina.context.new_page()
    admin_ctx = browser_context(browser)
    try:
        page.goto(f"{hub.url}/services/nbwarden/")
        assert "crypto_mining" in page.locator("[data-testid=strike-level]").inner_text()
        # the strike has its own Appeal action, about the same decision
        assert page.locator(f"[data-testid=appeal-strike-{strike['id']}]").get_attribute("href").endswith(
            f"?ref={ref}#appeal")
        page.click(f"[data-testid=appeal-{ref}]")  # the decision row's Appeal action
        page.wait_for_url(f"**/services/nbwarden/?ref={ref}**")
        assert page.locator("[data-testid=appeal-ref]").input_value() == ref
        page.fill("[data-testid=appeal-text]", "A unit test of my stratum parser; the binary is a stub.")
        page.click("[data-testid=appeal-submit]")
        flash = page.locator("[data-testid=flash]").inner_text()
        appeal_id = int(re.search(r"Appeal (\d+) filed", flash).group(1))
        assert page.locator(f"[data-testid=appealed-{ref}]").inner_text() == f"appeal {appeal_id}: open"

        admin = admin_ctx.new_page()
        login(admin, hub, "admin", ADMIN_PASSWORD, next_path="/services/nbwarden/admin")
        admin.wait_for_url("**/services/nbwarden/admin**")
        evidence = admin.locator(f"[data-testid=appeal-evidence-{appeal_id}]")
        assert evidence.locator("[data-testid=evidence-line]").count() == 1  # beside the appeal, grouped
        assert "xmrig" in evidence.inner_text() and all(rule in evidence.inner_text() for rule in RULES)
        row = admin.locator(f"[data-testid=decisions] [data-testid=decision-{ref}]")
        assert row.locator("[data-testid=evidence-line]").count() == 1  # the dashboard groups it too
        screenshot(admin, "appeals-dashboard")
        admin.fill(f"[data-testid=appeal-response-{appeal_id}]", "stub confirmed, strike removed")
        admin.click(f"[data-testid=approve-{appeal_id}]")
        assert "granted" in admin.locator("[data-testid=flash]").inner_text()
        assert f"strike {strike['id']} removed" in admin.locator(
            f"[data-testid=appeal-effect-{appeal_id}]").inner_text()

        page.goto(f"{hub.url}/services/nbwarden/")
        assert page.locator(f"[data-testid=appealed-{ref}]").inner_text() == f"appeal {appeal_id}: granted"
        response = page.locator(f"[data-testid=appeal-response-{appeal_id}]").inner_text()
        assert "stub confirmed" in response and f"strike {strike['id']} (crypto_mining) removed" in response
        assert page.locator(f"[data-testid=strike-pardoned-{strike['id']}]").is_visible()
        assert page.locator("[data-testid=strike-level]").inner_text().strip() == "none"
        screenshot(page, "appeals-user-page")
    finally:
        page.close()
        admin_ctx.close()

    # the answer, under the next cell Nina runs
    nina.bring_to_front()
    cell = _run_cell(nina, 1, "print('after' + ' the appeal')")
    cell.locator(".jp-OutputArea-output", has_text="after the appeal").wait_for(timeout=60_000)
    notice = cell.locator(".jp-OutputArea-output", has_text="[nbwarden]")
    notice.wait_for(timeout=30_000)
    assert f"Your appeal {appeal_id} about decision {ref} was granted" in notice.inner_text()
    assert "stub confirmed" in notice.inner_text()
    assert notice.get_attribute("data-mime-type") == "application/vnd.jupyter.stdout"  # good news is not red
    screenshot(nina, "appeals-notebook-notice")
    # shown once: the cell after that has no notice
    cell = _run_cell(nina, 2, "print('once' + ' more')")
    cell.locator(".jp-OutputArea-output", has_text="once more").wait_for(timeout=60_000)
    assert cell.locator(".jp-OutputArea-output", has_text="[nbwarden]").count() == 0


def test_a_german_browser_gets_the_german_message_and_pages(hub, browser):
    """Omar's browser asks for German (Accept-Language de-DE): the gate's message in the notebook, his page and
    the policy page are German, with the same evidence, rules and links."""
    de = Translator("de")
    context = browser_context(browser, locale="de-DE")
    page = context.new_page()
    try:
        login(page, hub, "omar", DEMO_PASSWORD)
        page.wait_for_url("**/user/omar/lab**", timeout=90_000)
        page.goto(f"{hub.url}/user/omar/lab/tree/work.ipynb")
        page.locator(".jp-Notebook .jp-Cell .cm-content").first.wait_for(timeout=90_000)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)
        cell = _run_cell(page, 0, BLOCK_CELL)
        output = cell.locator(".jp-OutputArea-output", has_text="PolicyViolation")
        output.wait_for(timeout=60_000)
        text = " ".join(output.inner_text().split())
        assert " ".join(de._(LEADS["block"]).split()) in text and LEADS["block"] not in text, text
        assert de._("cryptocurrency mining") in text and all(rule in text for rule in RULES), text
        assert "stratum+tcp://pool.example:3333" in text
        screenshot(page, "i18n-notebook-message-de")
        link = output.locator("a[href*='/services/nbwarden/?ref=']")
        assert link.count() == 1, text
        ref = link.first.get_attribute("href").split("?ref=", 1)[1]
        assert ref in text

        page.goto(f"{hub.url}/services/nbwarden/?ref={ref}#appeal")
        page.locator("[data-testid=appeal-form]").wait_for()
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.locator("section h2").first.inner_text() == de._("Account of %(user)s") % {"user": "omar"}
        assert page.locator("[data-testid=appeal-submit]").inner_text() == de._("File appeal")
        assert page.locator("[data-testid=appeal-ref]").input_value() == ref
        assert page.locator(f"[data-testid=appeal-{ref}]").inner_text() == de._("Appeal")
        assert page.locator(f"[data-testid=decision-{ref}] td.block").inner_text() == de._("block")
        screenshot(page, "i18n-user-page-de")

        page.goto(f"{hub.url}/services/nbwarden/policy#crypto_mining")
        heading = page.locator("section#crypto_mining h2").inner_text()
        assert heading == de._("Not allowed: %(label)s") % {"label": de._("cryptocurrency mining")}
        summary = page.locator("[data-testid=summary-crypto_mining]").inner_text()
        assert summary and summary != "Mining cryptocurrency, with a miner program, a Python or browser miner, " \
                                      "alone or in a pool."
        assert page.locator("[data-testid=nav-policy]").inner_text() == de._("Acceptable use policy")
        screenshot(page, "i18n-policy-page-de")
    finally:
        context.close()
