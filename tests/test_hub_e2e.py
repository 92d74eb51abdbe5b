"""End to end: the real hub, configurable-http-proxy, user servers with the gate, and headless Chromium.

One hub serves the whole module (a spawn takes seconds).  The tests run in
file order and each leaves the users it touched as the next one expects.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
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
websocket = pytest.importorskip("websocket")

if not CHP.exists() and not shutil.which("configurable-http-proxy"):
    pytest.skip("configurable-http-proxy is not installed (make run / make test installs it)", allow_module_level=True)
if not Path(CHROMIUM).exists():
    pytest.skip("Debian chromium is not installed", allow_module_level=True)

from nbwarden.hub.hooks import ADMIN_PASSWORD, DEMO_PASSWORD  # noqa: E402
from nbwarden.i18n import Translator  # noqa: E402

NEWS_PLUGIN = "@jupyterlab/apputils-extension:announcements"  # asks "get notified about official Jupyter news?"
BLOCK_CELL = "!./xmrig -o stratum+tcp://pool.example:3333"
RECONCILE_S = 2.0
TINY_CPU_S = 30.0
TINY_WINDOW_S = 150.0
GROUPS = {"free": ["alice", "bob"], "pro": ["carol"], "tiny": ["quinn", "rita"], "admin": ["admin"]}
QUOTAS = {
    "free": {"cpu_hours": 10.0, "window_hours": 24},
    "pro": {"cpu_hours": 50.0, "window_hours": 24},
    "tiny": {"cpu_hours": TINY_CPU_S / 3600, "window_hours": TINY_WINDOW_S / 3600, "warn_fraction": 0.8},
    "admin": {},
}


@pytest.fixture(scope="module")
def hub(tmp_path_factory, module_ledger_url):
    """One hub per ledger backend: the whole module runs on SQLite, then on PostgreSQL."""
    base = tmp_path_factory.mktemp("hub")
    for user in ("alice", "bob"):
        write_notebook(base / "home" / user / "work.ipynb")
    hub = Hub(base, groups=GROUPS, quotas=QUOTAS, reconcile_s=RECONCILE_S, db_url=module_ledger_url).start()
    try:
        yield hub
    finally:
        hub.stop_and_keep_log(f"hub-{module_ledger_url.split(':')[0].split('+')[0]}")


@pytest.fixture(scope="module")
def browser():
    yield from launch_chromium(playwright_api)


def test_blocked_cell_warning_then_dashboard_shows_evidence(hub, browser):
    user_ctx = browser_context(browser)
    admin_ctx = browser_context(browser)
    try:
        page = user_ctx.new_page()
        login(page, hub, "alice", DEMO_PASSWORD)
        page.wait_for_url("**/user/alice/lab**", timeout=90_000)
        page.goto(f"{hub.url}/user/alice/lab/tree/work.ipynb")
        editor = page.locator(".jp-Notebook .jp-Cell .cm-content").first
        editor.wait_for(timeout=90_000)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)  # the kernel is connected
        # the demo turns JupyterLab's news prompt off (its announcements plugin), which shows once Lab is restored
        lab_config = json.loads(page.locator("#jupyter-config-data").text_content())
        assert NEWS_PLUGIN in lab_config["disabledExtensions"]
        assert page.get_by_text("official Jupyter news").count() == 0
        editor.click()
        page.keyboard.type(BLOCK_CELL)
        page.keyboard.press("Shift+Enter")
        output = page.locator(".jp-OutputArea-output", has_text="PolicyViolation").first
        output.wait_for(timeout=60_000)
        text = output.inner_text()
        assert "disallowed" in text and "cryptocurrency mining" in text
        assert "/services/nbwarden/" in text  # the appeal link leads to the user page
        screenshot(page, "hub-warning")

        # the login was recorded with its IP address and user agent
        logins = hub.ledger().logins(user="alice")
        assert logins and logins[0]["ip"] == "127.0.0.1" and logins[0]["user_agent"] == "nbwarden-tests"

        admin = admin_ctx.new_page()
        login(admin, hub, "admin", ADMIN_PASSWORD, next_path="/services/nbwarden/admin")
        admin.wait_for_url("**/services/nbwarden/admin**")
        row = admin.locator("[data-testid=decisions] tr", has_text="alice").filter(has_text="block").first
        row.wait_for()
        row_text = row.inner_text()
        assert "crypto_mining" in row_text and "xmrig" in row_text
        assert "work.ipynb" in row_text  # the notebook the cell came from
        screenshot(admin, "hub-dashboard")
    finally:
        user_ctx.close()
        admin_ctx.close()


def test_appeal_filed_by_user_and_approved_by_admin(hub, browser):
    status, data = hub.service_api("POST", "/users/alice/restrict", "admin",
                                   {"level": "suspend", "hours": 24, "reason": "mining on the free tier"})
    assert status == 200, data
    assert hub.wait_server("alice", ready=False, timeout=30)  # a suspension stops the running server
    user_ctx = browser_context(browser)
    admin_ctx = browser_context(browser)
    try:
        page = user_ctx.new_page()
        login(page, hub, "alice", DEMO_PASSWORD, next_path="/services/nbwarden/")
        page.wait_for_url("**/services/nbwarden/**")
        assert page.locator("[data-testid=status]").inner_text() == "restricted"
        restriction = str(max(r["id"] for r in data["user"]["active_restrictions"]))
        page.click(f"[data-testid=appeal-restriction-{restriction}]")  # the restriction's Appeal action
        page.wait_for_url(f"**/services/nbwarden/?restriction={restriction}**")
        assert page.locator("[data-testid=appeal-restriction]").input_value() == restriction
        assert f"restriction {restriction}: suspend" in page.locator("[data-testid=appeal-target]").inner_text()
        page.fill("[data-testid=appeal-text]", "I was benchmarking my own pool simulator, not mining.")
        page.click("[data-testid=appeal-submit]")
        flash = page.locator("[data-testid=flash]").inner_text()
        assert "filed" in flash
        appeal_id = int(flash.split()[1])

        admin = admin_ctx.new_page()
        login(admin, hub, "admin", ADMIN_PASSWORD, next_path="/services/nbwarden/admin")
        admin.wait_for_url("**/services/nbwarden/admin**")
        admin.fill(f"[data-testid=appeal-response-{appeal_id}]", "simulator confirmed")
        admin.click(f"[data-testid=approve-{appeal_id}]")
        assert "granted" in admin.locator("[data-testid=flash]").inner_text()

        page.reload()
        assert page.locator("[data-testid=status]").inner_text() == "ok"
        assert "granted" in page.locator(f"[data-testid=appeal-{appeal_id}]").inner_text()
    finally:
        user_ctx.close()
        admin_ctx.close()
    status, record = hub.service_api("GET", "/users/alice", "alice")
    assert status == 200 and record["status"] == "ok" and not record["active_restrictions"]


def test_suspended_user_cannot_spawn_until_pardoned(hub, browser):
    status, _ = hub.service_api("POST", "/users/bob/restrict", "admin",
                                {"level": "suspend", "hours": 48, "reason": "torrent seeding"})
    assert status == 200
    # the API refuses too, with the reason
    status, data = hub.spawn("bob")
    assert status == 403 and "torrent seeding" in data["message"]
    user_ctx = browser_context(browser, locale="de-DE")  # bob reads German: the refusal page is in German
    admin_ctx = browser_context(browser)
    try:
        page = user_ctx.new_page()
        login(page, hub, "bob", DEMO_PASSWORD)
        refusal = page.locator("[data-testid=nbwarden-refusal]")
        refusal.wait_for()
        de = Translator("de")
        assert refusal.locator("strong").inner_text() == de._("Your account is restricted") != \
            "Your account is restricted"
        assert page.locator("[data-testid=refusal-appeal]").inner_text() == de._("Appeal this decision")
        assert "torrent seeding" in page.locator("[data-testid=refusal-reason]").inner_text()
        until = page.locator("[data-testid=refusal-until]").inner_text()
        assert until.startswith("20") and until.endswith("Z")  # an ISO end date
        # the appeal link opens the form about this restriction; the policy link names what restrictions mean
        assert "/services/nbwarden/?restriction=" in page.locator("[data-testid=refusal-appeal]").get_attribute("href")
        assert page.locator("[data-testid=refusal-policy]").get_attribute("href").endswith(
            "/services/nbwarden/policy#strikes")
        screenshot(page, "hub-spawn-refused")

        admin = admin_ctx.new_page()
        login(admin, hub, "admin", ADMIN_PASSWORD, next_path="/services/nbwarden/admin")
        admin.wait_for_url("**/services/nbwarden/admin**")
        admin.click("[data-testid=pardon-bob]")
        assert "bob: 1 restriction(s) lifted" in admin.locator("[data-testid=flash]").inner_text()

        # no hub restart: the next spawn works
        page.goto(f"{hub.url}/hub/spawn/bob")
        page.wait_for_url("**/user/bob/lab**", timeout=90_000)
        assert hub.wait_server("bob", timeout=30)
        _check_server_proxy(hub, "bob")
    finally:
        user_ctx.close()
        admin_ctx.close()
        hub.stop_server("bob")


def _check_server_proxy(hub: Hub, user: str) -> None:
    """jupyter-server-proxy: a user's own web UI through the hub, behind its login (no public tunnel)."""
    import subprocess
    import sys
    import tempfile
    import urllib.request

    from tests.hub_support import free_port

    port = free_port()
    with tempfile.TemporaryDirectory() as site:
        Path(site, "index.html").write_text("nbwarden-proxy-ok")
        web = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=site,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            path = f"/user/{user}/proxy/{port}/"
            deadline = time.monotonic() + 20
            status, body = 0, ""
            while time.monotonic() < deadline:
                status, body = hub.api("GET", path, token=hub.user_token(user))
                if status == 200:
                    break
                time.sleep(0.5)
            assert status == 200 and "nbwarden-proxy-ok" in str(body)
            with urllib.request.urlopen(hub.url + path, timeout=10) as anonymous:  # redirected to the login
                assert "nbwarden-proxy-ok" not in anonymous.read().decode(errors="replace")
                assert "/hub/login" in anonymous.url or "oauth" in anonymous.url
        finally:
            web.kill()
            web.wait()


def test_api_scopes_users_see_only_their_own_records(hub):
    status, data = hub.service_api("GET", "/users/bob", "alice")
    assert status == 403 and "another user" in data["message"]
    status, _ = hub.service_api("GET", "/decisions?user=bob", "alice")
    assert status == 403
    status, _ = hub.service_api("GET", "/cases", "alice")
    assert status == 403
    status, data = hub.service_api("POST", "/users/alice/pardon", "alice", {"reason": "I pardon myself"})
    assert status == 403 and "not an nbwarden admin" in data["message"]
    # what is allowed
    status, data = hub.service_api("GET", "/users/alice", "alice")
    assert status == 200 and data["user"] == "alice"
    status, data = hub.service_api("GET", "/decisions", "alice")
    assert status == 200 and data and {d["user"] for d in data} == {"alice"}
    status, data = hub.service_api("GET", "/users/bob", "admin")
    assert status == 200 and data["user"] == "bob"
    status, data = hub.service_api("POST", "/users/bob/pardon", "admin", {"reason": "check"})
    assert status == 200
    status, text = hub.api("GET", "/services/nbwarden/metrics", token=hub.admin_token())
    assert status == 200 and 'nbwarden_decisions{action="block"}' in text
    status, _ = hub.api("GET", "/services/nbwarden/metrics", token=hub.user_token("alice"))
    assert status == 403


def _kernel_ws(hub: Hub, user: str):
    token = hub.user_token(user)
    status, kernel = hub.api("POST", f"/user/{user}/api/kernels", {"name": "python3"}, token=token)
    assert status == 201, kernel
    ws = websocket.create_connection(f"ws://127.0.0.1:{hub.port}/user/{user}/api/kernels/{kernel['id']}/channels",
                                     header=[f"Authorization: token {token}"], timeout=5)
    return ws


def _execute(ws, code: str) -> str:
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({"header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "t",
                                   "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
                        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                                    "allow_stdin": False, "stop_on_error": True}}))
    return msg_id


# a minute of waiting for a quota window each; the quota queries run on both backends in test_hub_units.py
@pytest.mark.backends("sqlite")
def test_quota_warns_in_the_notebook_then_stops_the_server(hub):
    status, data = hub.spawn("quinn")
    assert status in (201, 202), data
    assert hub.wait_server("quinn", timeout=60)
    ws = _kernel_ws(hub, "quinn")
    store = hub.ledger()
    try:
        msg_id = _execute(ws, "import time\nt = time.time()\nwhile time.time() - t < 150:\n    pass\n")
        warning = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and warning is None:
            try:
                msg = json.loads(ws.recv())
            except websocket.WebSocketTimeoutException:
                continue
            except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
                break
            if msg.get("msg_type") == "stream" and "[nbwarden]" in msg["content"].get("text", ""):
                warning = msg
        assert warning is not None, hub.log()[-3000:]
        assert "of your CPU quota" in warning["content"]["text"]
        assert warning["parent_header"].get("msg_id") == msg_id  # shown under the running cell
    finally:
        ws.close()
    assert hub.wait_server("quinn", ready=False, timeout=TINY_CPU_S + 30), "the server was not stopped"
    events = store.quota_events(user="quinn", limit=None)
    warn = [e for e in events if e["kind"] == "warn"]
    stop = [e for e in events if e["kind"] == "stop"]
    assert warn and stop and warn[-1]["at"] < stop[-1]["at"]
    assert 80.0 <= 100 * warn[-1]["used"] / warn[-1]["limit"] < 100.0
    # stopped within one enforcement interval of crossing the limit
    rows = store.usage_rows("quinn", 0)
    total, crossed = 0.0, None
    for at, cpu, _gpu in rows:
        total += cpu
        if total >= TINY_CPU_S:
            crossed = at
            break
    assert crossed is not None and stop[-1]["at"] - crossed <= RECONCILE_S + 1.0
    # and a spawn is refused, saying when capacity frees
    status, data = hub.spawn("quinn")
    assert status == 403 and "You can start a server again at" in data["message"]


@pytest.mark.backends("sqlite")
def test_spawn_refused_until_the_window_frees_capacity(hub):
    store = hub.ledger()
    now = time.time()
    # rita used twice her CPU quota, early in the window: 8 s from now that use leaves the window
    store.add_usage({"rita": (2 * TINY_CPU_S, 0.0)}, source="test", now=now - TINY_WINDOW_S + 8)
    status, data = hub.spawn("rita")
    assert status == 403 and "You can start a server again at" in data["message"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, data = hub.spawn("rita")
        if status in (201, 202):
            break
        assert status == 403
        time.sleep(1)
    assert status in (201, 202), data
    assert time.time() >= now + 8 - 1  # not before the window freed
    refusals = store.quota_events(user="rita", kind="refuse", limit=None)
    assert refusals
    assert hub.wait_server("rita", timeout=60)
    hub.stop_server("rita")
