"""``make run`` and ``python -m nbwarden.hub`` stop everything they started, whatever the signal.

A shell script's ``cmd &`` starts ``cmd`` with SIGINT and SIGQUIT ignored, and ignored signals stay
ignored through fork and exec.  JupyterHub installs its own handlers only after it has started its
proxy and services, so those inherited the ignored SIGINT: JupyterHub's SIGINT to the service did
nothing, the hub hung at "Cleaning up 1 services", and the launcher's last resort killed only
JupyterHub's process group.  These tests start the platform that way, log a user in, start the
user's server and a kernel, send one signal, and look for any process of the platform 15 s later.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psutil
import pytest

from tests.http_support import json_request
from tests.hub_support import CHP, EXTRA_CONFIG, ROOT, free_port

pytest.importorskip("jupyterhub")
if not CHP.exists() and not shutil.which("configurable-http-proxy"):
    pytest.skip("configurable-http-proxy is not installed (make run / make test installs it)", allow_module_level=True)

from nbwarden.hub.hooks import DEMO_PASSWORD  # noqa: E402

SIGINT_BIT = 1 << (signal.SIGINT - 1)
STOP_WITHIN_S = 15.0


def _env(base: Path, port: int, token: str) -> dict[str, str]:
    extra = base / "extra_config.py"
    extra.write_text(EXTRA_CONFIG % {"token": token})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NBWARDEN"))}
    env.update({
        "NBWARDEN_HUB_DIR": str(base), "NBWARDEN_HUB_PORT": str(port), "NBWARDEN_HUB_EXTRA_CONFIG": str(extra),
        # the agent runs as root with an exec gate over the host's mounts: not on a machine shared with other tests
        "NBWARDEN_AGENT": "0", "NBWARDEN_SERVICE_LOG": str(base / "service.log"), "PYTHONUNBUFFERED": "1",
        "JUPYTER_PLATFORM_DIRS": "1", "JUPYTER_DATA_DIR": str(base / "jupyter-data"),
        "JUPYTER_RUNTIME_DIR": str(base / "jupyter-runtime"),
    })
    return env


def _ignored_sigint(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & SIGINT_BIT)
    return False


def _launcher(root: psutil.Process) -> psutil.Process | None:
    """``python -m nbwarden.hub`` among ``root`` and its descendants."""
    for proc in [root, *root.children(recursive=True)]:
        try:
            if "nbwarden.hub" in proc.cmdline() and "-m" in proc.cmdline():
                return proc
        except psutil.Error:
            pass
    return None


def _wait_hub(url: str, token: str, timeout: float, alive) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert alive(), "the platform exited while starting"
        try:
            status, _ = json_request(url + "/hub/api/users/alice", "GET", token=token, timeout=5)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"the hub did not answer within {timeout} s")


def _login_and_spawn(url: str, token: str) -> None:
    """Alice logs in through the login form; the hub sends her on to her server, which it spawns."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(url + "/hub/login", timeout=30) as response:
        form = response.read().decode()
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form).group(1)
    body = urllib.parse.urlencode({"username": "alice", "password": DEMO_PASSWORD, "_xsrf": xsrf}).encode()
    with opener.open(url + "/hub/login", data=body, timeout=60) as response:
        response.read()
    assert any(c.name.startswith("jupyterhub-hub-login") for c in jar), "the login did not succeed"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status, user = json_request(url + "/hub/api/users/alice", "GET", token=token)
        server = (user.get("servers") or {}).get("") if status == 200 else None
        if server and server.get("ready"):
            break
        time.sleep(0.5)
    else:
        raise AssertionError("alice's server did not become ready after her login")
    # a kernel too: jupyter_client starts kernels in sessions of their own
    status, kernel = json_request(url + "/user/alice/api/kernels", "POST", {"name": "python3"}, token=token)
    assert status == 201, kernel


def _platform(base: Path, marker: str, roots: list[psutil.Process]) -> list[psutil.Process]:
    """Live processes of this platform: descendants of ``roots``, and anything that names its state dir or
    marker in its environment, command line or working directory (a process that escaped to init)."""
    found: dict[int, psutil.Process] = {}
    for root in roots:
        try:
            for proc in [root, *root.children(recursive=True)]:
                found[proc.pid] = proc
        except psutil.Error:
            pass
    for proc in psutil.process_iter(["pid", "cmdline", "environ", "cwd"]):
        info = proc.info
        text = " ".join(info.get("cmdline") or []) + " " + (info.get("cwd") or "") + " " + " ".join(
            (info.get("environ") or {}).values())
        if str(base) in text or marker in text:
            found[proc.pid] = proc
    alive = []
    for proc in found.values():
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE and proc.pid != os.getpid():
                alive.append(proc)
        except psutil.Error:
            pass
    return alive


def _describe(procs: list[psutil.Process]) -> str:
    out = []
    for proc in procs:
        try:
            out.append(f"{proc.pid} pgid {os.getpgid(proc.pid)}: {' '.join(proc.cmdline())[:160]}")
        except (psutil.Error, OSError):
            pass
    return "\n".join(out)


def _check_everything_stops(base: Path, marker: str, root: psutil.Process, send, log: Path) -> None:
    before = _platform(base, marker, [root])
    names = " ".join(" ".join(p.cmdline()) for p in before)
    for part in ("jupyterhub", "configurable-http-proxy", "nbwarden.hub.service", "jupyterhub-singleuser",
                 "ipykernel"):
        assert part in names, f"{part} is not running before the signal:\n{_describe(before)}"
    sent = time.monotonic()
    send()
    left = before
    while time.monotonic() - sent < STOP_WITHIN_S:
        left = [p for p in _platform(base, marker, [root]) if p.pid != root.pid or p.is_running()]
        if not left:
            break
        time.sleep(0.25)
    try:
        assert not left, (f"still running {STOP_WITHIN_S:.0f} s after the signal:\n{_describe(left)}\n"
                          f"--- log\n{log.read_text(errors='replace')[-4000:]}")
    finally:
        for proc in left:
            try:
                proc.kill()
            except psutil.Error:
                pass


def test_make_run_in_background_stops_everything_on_sigterm(tmp_path):
    """The issue's case: a script runs ``make run &``, a user works, the script's caller sends SIGTERM."""
    base, port, token, marker = tmp_path / "hub", free_port(), uuid.uuid4().hex, f"nbwarden-test-{uuid.uuid4().hex}"
    base.mkdir()
    env = {**_env(base, port, token), "NBWARDEN_TEST_MARK": marker}
    log = tmp_path / "make-run.log"
    script = tmp_path / "start.sh"
    script.write_text(f"#!/bin/bash\nmake -C {ROOT} run > {log} 2>&1 &\necho $! > {tmp_path / 'pid.tmp'}\n"
                      f"mv {tmp_path / 'pid.tmp'} {tmp_path / 'make.pid'}\nwait\n")
    shell = subprocess.Popen(["bash", str(script)], env=env, start_new_session=True)
    root = psutil.Process(shell.pid)
    try:
        while not (tmp_path / "make.pid").exists():
            time.sleep(0.05)
        make = psutil.Process(int((tmp_path / "make.pid").read_text()))
        while make.name() != "make":  # bash forked; the exec follows
            time.sleep(0.02)
        assert _ignored_sigint(make.pid), "the background job should start with SIGINT ignored"
        _wait_hub(f"http://127.0.0.1:{port}", token, 300, lambda: shell.poll() is None)
        assert _launcher(make) is not None
        _login_and_spawn(f"http://127.0.0.1:{port}", token)
        _check_everything_stops(base, marker, root, lambda: make.send_signal(signal.SIGTERM), log)
        assert shell.wait(timeout=5) == 0
    finally:
        for proc in _platform(base, marker, [root]):
            try:
                proc.kill()
            except psutil.Error:
                pass
        if shell.poll() is None:
            shell.kill()
        shell.wait()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGHUP])
def test_launcher_stops_everything_on_any_signal_with_sigint_ignored(tmp_path, signum):
    """``python -m nbwarden.hub`` itself, started with SIGINT ignored, then sent SIGINT or SIGHUP."""
    base, port, token, marker = tmp_path / "hub", free_port(), uuid.uuid4().hex, f"nbwarden-test-{uuid.uuid4().hex}"
    base.mkdir()
    env = {**_env(base, port, token), "NBWARDEN_TEST_MARK": marker}
    log = tmp_path / "hub.log"

    def ignore_sigint() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "nbwarden.hub"], env=env, cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=ignore_sigint)
    root = psutil.Process(proc.pid)
    try:
        assert _ignored_sigint(proc.pid)
        _wait_hub(f"http://127.0.0.1:{port}", token, 180, lambda: proc.poll() is None)
        _login_and_spawn(f"http://127.0.0.1:{port}", token)
        _check_everything_stops(base, marker, root, lambda: proc.send_signal(signum), log)
        assert proc.wait(timeout=5) == 0
    finally:
        for leftover in _platform(base, marker, [root]):
            try:
                leftover.kill()
            except psutil.Error:
                pass
        if proc.poll() is None:
            proc.kill()
        proc.wait()


STUBBORN = r"""
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
if sys.argv[1] == "hub":
    # a child in a session of its own that ignores SIGTERM, and an orphan that escaped by a double fork
    subprocess.Popen([sys.executable, __file__, "child"], start_new_session=True)
    if os.fork() == 0:
        if os.fork() == 0:
            os.setsid()
            subprocess.Popen([sys.executable, __file__, "orphan"])
            time.sleep(600)
        os._exit(0)
time.sleep(600)
"""


def test_stop_all_ends_groups_and_orphans_that_ignore_sigterm(tmp_path):
    """The last resort: a hub that ignores SIGTERM, a child in its own session, an orphan adopted by the launcher."""
    script = tmp_path / "stubborn.py"
    script.write_text(STUBBORN)
    driver = (
        "import subprocess, sys, time\n"
        "from nbwarden.hub.__main__ import _become_subreaper, _descendants, stop_all\n"
        "_become_subreaper()\n"
        f"hub = subprocess.Popen([sys.executable, {str(script)!r}, 'hub'], start_new_session=True)\n"
        "deadline = time.monotonic() + 20\n"
        "while len(_descendants()) < 4 and time.monotonic() < deadline: time.sleep(0.1)\n"
        "print('before', len(_descendants()), flush=True)\n"
        "t = time.monotonic(); n = stop_all(hub, 1.0)\n"
        "print('after', len(_descendants()), n, round(time.monotonic() - t, 1), flush=True)\n"
    )
    out = subprocess.run([sys.executable, "-c", driver], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    # hub, child, the orphan's session leader (sleeping) and its child; the intermediate fork exited
    assert int(lines["before"]) >= 4, out.stdout
    left, signalled, took = lines["after"].split()
    assert int(left) == 0 and int(signalled) >= 4 and float(took) < 6.0, out.stdout
    assert not [p for p in psutil.process_iter(["cmdline"]) if str(script) in " ".join(p.info["cmdline"] or [])]
