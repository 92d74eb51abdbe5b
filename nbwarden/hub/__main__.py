"""``python -m nbwarden.hub``: start the demo platform and print where it is (``make run``).

Starts JupyterHub with :mod:`nbwarden.hub.demo_config` (configurable-http-proxy
from ``./node_modules``, the nbwarden service, the agent, the SQLite ledger),
waits until it answers, prints the URL and the demo credentials, and stops
everything it started on Ctrl-C, SIGTERM, SIGHUP or SIGQUIT, even one its parent
ignored (:func:`stop_all`).  Settings are environment variables (see the config's
docstring); ``--config FILE`` runs your own ``jupyterhub_config.py`` instead.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

from .hooks import ADMIN_PASSWORD, DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
# whatever stops the launcher stops the platform, even a signal its parent told it to ignore
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nbwarden.hub", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(Path(__file__).with_name("demo_config.py")),
                        help="JupyterHub config file (default: the demo config)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the hub to answer")
    parser.add_argument("--stop-timeout", type=float, default=8.0,
                        help="seconds JupyterHub gets to stop what it started before everything left is killed")
    args = parser.parse_args(argv)
    state = Path(os.environ.get("NBWARDEN_HUB_DIR", ROOT / "var" / "hub")).resolve()
    state.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["NBWARDEN_HUB_DIR"] = str(state)
    env["PATH"] = os.pathsep.join([str(ROOT / "node_modules" / ".bin"), str(Path(sys.executable).parent),
                                   env.get("PATH", "")])
    ip = env.get("NBWARDEN_HUB_IP", "127.0.0.1")
    port = env.get("NBWARDEN_HUB_PORT", "8000")
    url = f"http://{ip}:{port}/"
    _become_subreaper()
    hub: subprocess.Popen | None = None
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop)
    try:
        hub = subprocess.Popen([str(Path(sys.executable).with_name("jupyterhub")), "-f", args.config], cwd=state,
                               env=env, start_new_session=True, preexec_fn=_child_setup)
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            if hub.poll() is not None:
                print(f"JupyterHub exited with {hub.returncode}", file=sys.stderr)
                return 1
            try:
                with urllib.request.urlopen(url + "hub/api/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            print(f"JupyterHub did not answer at {url} within {args.timeout:.0f} s", file=sys.stderr)
            return 1
        admins = env.get("NBWARDEN_ADMINS", "admin")
        banner = [
            "", "=" * 72, f" nbwarden demo platform: {url}", "",
            f"   users  alice, bob (group free), carol (group pro)   password: "
            f"{env.get('NBWARDEN_DEMO_PASSWORD', DEMO_PASSWORD)}",
            f"   admin  {admins}   password: {env.get('NBWARDEN_ADMIN_PASSWORD', ADMIN_PASSWORD)}", "",
            f"   dashboard  {url}services/nbwarden/admin   (admins)",
            f"   your page  {url}services/nbwarden/        (appeals, usage)",
            f"   ledger     {env.get('NBWARDEN_DB_URL') or 'sqlite:///' + str(state / 'ledger.sqlite')}",
            f"   mode       {env.get('NBWARDEN_MODE', 'enforce')}        state: {state}",
            "   Ctrl-C stops everything.", "=" * 72, "",
        ]
        if env.get("NBWARDEN_AUTH", "demo") != "demo":
            banner[4:6] = ["   authentication: as configured in NBWARDEN_HUB_EXTRA_CONFIG"]
        print("\n".join(banner), flush=True)
        while hub.poll() is None:
            _descendants()  # reaps adopted orphans
            time.sleep(1.0)
        return hub.returncode
    except Stop as stop:
        print(f"nbwarden: {signal.Signals(stop.signum).name}: stopping the platform", file=sys.stderr, flush=True)
        return 0
    finally:
        left = stop_all(hub, args.stop_timeout) if hub is not None else 0
        if left:
            print(f"nbwarden: {left} process(es) outlived JupyterHub's shutdown and were ended", file=sys.stderr,
                  flush=True)


class Stop(Exception):
    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, _frame: object) -> None:
    """The first signal starts the shutdown; later ones are ignored while it runs (it is bounded)."""
    for other in STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    raise Stop(signum)


def _prctl(option: int, value: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):  # not Linux
        return False


def _become_subreaper() -> None:
    """Orphans of the platform (a server whose parent died, a kernel's daemon) become our children, not
    init's, so :func:`stop_all` still finds them."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1)


def _child_setup() -> None:
    """In JupyterHub before exec: default dispositions for the stop signals (JupyterHub installs its handlers
    only after it started the proxy and the services, which would otherwise inherit an ignored SIGINT and
    never stop on JupyterHub's SIGINT), and SIGTERM when the launcher dies, even by SIGKILL."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _descendants() -> list[psutil.Process]:
    """Live descendants; zombies among our own children (orphans adopted as subreaper) are reaped."""
    live = []
    for proc in psutil.Process().children(recursive=True):
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                if proc.ppid() == os.getpid():
                    os.waitpid(proc.pid, os.WNOHANG)
                continue
            live.append(proc)
        except (psutil.Error, ChildProcessError):
            pass
    return live


def stop_all(hub: subprocess.Popen, grace_s: float) -> int:
    """Stop JupyterHub and everything under it; returns how many processes had to be signalled directly.

    JupyterHub gets SIGTERM and ``grace_s`` to stop its proxy, services and the users' servers itself.  Then
    every process group that still holds one of our descendants (JupyterHub starts each child in a session of
    its own, jupyter_client each kernel) gets SIGTERM, and after 2 s SIGKILL.
    """
    if hub.poll() is None:
        hub.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and (hub.poll() is None or _descendants()):
        time.sleep(0.1)
    left = _descendants()
    count = len(left)
    for signum in (signal.SIGTERM, signal.SIGKILL):
        if not left:
            break
        own = os.getpgrp()
        for pgid in {_pgid(p) for p in left} - {own, None}:
            try:
                os.killpg(pgid, signum)
            except OSError:
                pass
        for proc in left:
            try:
                if _pgid(proc) in (own, None):
                    proc.send_signal(signum)
            except psutil.Error:
                pass
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline and (left := _descendants()):
            time.sleep(0.1)
    if hub.poll() is None:
        hub.wait(timeout=5)
    return count


def _pgid(proc: psutil.Process) -> int | None:
    try:
        return os.getpgid(proc.pid)
    except OSError:
        return None

if __name__ == "__main__":
    sys.exit(main())
