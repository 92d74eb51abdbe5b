"""A real JupyterHub (with configurable-http-proxy) running the nbwarden demo config, for the hub tests.

The hub is ``python -m nbwarden.hub`` on 127.0.0.1 with free ports and a temp
state directory; a ``tester`` service with an admin role and a known token
drives the Hub API.  :meth:`Hub.stop` ends the hub, its proxy, services and
user servers (the whole process group, SIGKILL as a last resort).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from http_support import json_request

ROOT = Path(__file__).resolve().parents[1]
CHP = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
ARTIFACTS = ROOT / "artifacts"

EXTRA_CONFIG = """
c.JupyterHub.services.append({"name": "tester", "api_token": %(token)r})
c.JupyterHub.load_roles.append({"name": "tester", "services": ["tester"],
    "scopes": ["admin:users", "admin:servers", "access:servers", "tokens", "list:users", "read:users",
               "admin:groups", "access:services"]})
c.JupyterHub.cleanup_servers = True
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Hub:
    def __init__(self, base: Path, *, groups: dict[str, list[str]], quotas: dict[str, Any], reconcile_s: float = 2.0,
                 link_s: float = 2.0, db_url: str | None = None, env: dict[str, str] | None = None):
        self.base = Path(base)
        self.port = free_port()
        self.token = uuid.uuid4().hex
        self.groups = groups
        self.quotas = quotas
        self.reconcile_s = reconcile_s
        self.link_s = link_s
        self.proc: subprocess.Popen | None = None
        self.log_path = self.base / "hub.log"
        self.db_url = db_url or f"sqlite:///{self.base / 'ledger.sqlite'}"
        self._tokens: dict[str, str] = {}
        self.env = env or {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> Hub:
        self.base.mkdir(parents=True, exist_ok=True)
        extra = self.base / "extra_config.py"
        extra.write_text(EXTRA_CONFIG % {"token": self.token})
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NBWARDEN"))}
        env.update({
            "NBWARDEN_HUB_DIR": str(self.base), "NBWARDEN_HUB_PORT": str(self.port), "NBWARDEN_DB_URL": self.db_url,
            "NBWARDEN_DEMO_GROUPS": json.dumps(self.groups), "NBWARDEN_QUOTAS": json.dumps(self.quotas),
            "NBWARDEN_RECONCILE_S": str(self.reconcile_s), "NBWARDEN_LINK_S": str(self.link_s),
            "NBWARDEN_AGENT": "0", "NBWARDEN_HUB_EXTRA_CONFIG": str(extra), "NBWARDEN_NOTICE_POLL_S": "0.5",
            "NBWARDEN_SERVICE_LOG": str(self.base / "service.log"), "PYTHONUNBUFFERED": "1",
            "JUPYTER_PLATFORM_DIRS": "1", "JUPYTER_DATA_DIR": str(self.base / "jupyter-data"),
            "JUPYTER_RUNTIME_DIR": str(self.base / "jupyter-runtime"),
        })
        env.update(self.env)
        self.log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "nbwarden.hub", "--timeout", str(timeout)],
                                     stdout=self.log_file, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited {self.proc.returncode}:\n{self.log()[-5000:]}")
            try:
                status, _ = self.api("GET", "/services/nbwarden/api/alerts", token=self.admin_token())
                if status == 200:
                    return self
            except (OSError, RuntimeError):
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"hub did not start in {timeout} s:\n{self.log()[-5000:]}")

    def log(self) -> str:
        text = ""
        for path in (self.log_path, self.base / "service.log"):
            try:
                text += f"--- {path.name}\n" + path.read_text(errors="replace")
            except OSError:
                pass
        return text

    def stop_and_keep_log(self, name: str) -> None:
        """Stop the hub and keep its logs as artifacts/hub/NAME.log (what CI keeps of a failed run)."""
        self.stop()
        (ARTIFACTS / "hub").mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "hub" / f"{name}.log").write_text(self.log())

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGINT)
                self.proc.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        # user servers and the service started their own sessions: kill what is left that names this hub's
        # state dir anywhere in its environment (the ledger may live elsewhere, in PostgreSQL or a temp dir)
        import psutil

        for proc in psutil.process_iter(["pid", "cmdline", "environ"]):
            try:
                env = proc.info.get("environ") or {}
                if any(str(self.base) in value for value in env.values()):
                    proc.kill()
            except (psutil.Error, OSError):
                pass
        self.log_file.close()

    # -- HTTP

    def api(self, method: str, path: str, body: Any = None, token: str | None = None,
            timeout: float = 30) -> tuple[int, Any]:
        return json_request(self.url + path, method, body, token or self.token, timeout)

    def hub_api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return self.api(method, "/hub/api" + path, body)

    def user_token(self, user: str) -> str:
        if user not in self._tokens:
            status, data = self.hub_api("POST", f"/users/{user}/tokens", {"note": "hub tests", "expires_in": 3600})
            if status != 201:
                raise RuntimeError(f"token for {user}: {status} {data}")
            self._tokens[user] = data["token"]
        return self._tokens[user]

    def admin_token(self) -> str:
        return self.user_token("admin")

    def service_api(self, method: str, path: str, user: str, body: Any = None) -> tuple[int, Any]:
        return self.api(method, "/services/nbwarden/api" + path, body, token=self.user_token(user))

    def server(self, user: str) -> dict[str, Any] | None:
        status, data = self.hub_api("GET", f"/users/{user}")
        return (data.get("servers") or {}).get("") if status == 200 else None

    def wait_server(self, user: str, ready: bool = True, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.server(user)
            if ready and server and server.get("ready"):
                return True
            if not ready and not server:
                return True
            time.sleep(0.3)
        return False

    def spawn(self, user: str) -> tuple[int, Any]:
        return self.hub_api("POST", f"/users/{user}/server")

    def stop_server(self, user: str) -> None:
        self.hub_api("DELETE", f"/users/{user}/server")
        self.wait_server(user, ready=False, timeout=30)

    def ledger(self):
        from nbwarden.hub.models import HubStore
        from nbwarden.ledger import Ledger

        return HubStore(Ledger(self.db_url))


def login(page: Any, hub: Hub, user: str, password: str, next_path: str = "") -> None:
    suffix = f"?next={next_path}" if next_path else ""
    page.goto(f"{hub.url}/hub/login{suffix}")
    page.fill("#username_input", user)
    page.fill("#password_input", password)
    page.click("#login_submit")


# -- the browser side, shared by the hub's Chromium tests


def write_notebook(path: Path, *sources: str) -> None:
    """A notebook with one code cell per source (one empty cell by default), for a user's home."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cells = [{"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None,
              "id": f"c{i + 1}"} for i, source in enumerate(sources or ("",))]
    path.write_text(json.dumps({"cells": cells, "metadata": {"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}))


def launch_chromium(playwright_api: Any) -> Any:
    """Headless Debian Chromium, as a generator for a module fixture (it closes the browser at the end)."""
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def browser_context(browser: Any, agent: str = "nbwarden-tests", locale: str = "en-US") -> Any:
    """A fresh browser profile; ``locale`` is its language (navigator.language and Accept-Language)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, user_agent=agent, locale=locale)
    context.set_default_timeout(60_000)
    return context


def screenshot(page: Any, name: str) -> Path:
    """artifacts/NAME.png (git-ignored), the whole page."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
