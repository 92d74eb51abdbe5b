"""``python -m nbwarden.hub``: start the demo platform and print where it is (``make run``).

Starts JupyterHub with :mod:`nbwarden.hub.demo_config` (configurable-http-proxy
from ``./node_modules``, the nbwarden service, the agent, the SQLite ledger),
waits until it answers, prints the URL and the demo credentials, and stops
everything on Ctrl-C.  Settings are environment variables (see the config's
docstring); ``--config FILE`` runs your own ``jupyterhub_config.py`` instead.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .hooks import ADMIN_PASSWORD, DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nbwarden.hub", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(Path(__file__).with_name("demo_config.py")),
                        help="JupyterHub config file (default: the demo config)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the hub to answer")
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
    def _interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM/SIGHUP: stop the hub and everything it started, as Ctrl-C does

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    hub = subprocess.Popen([str(Path(sys.executable).with_name("jupyterhub")), "-f", args.config], cwd=state, env=env,
                           start_new_session=True)
    try:
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
        return hub.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if hub.poll() is None:
            hub.send_signal(signal.SIGINT)  # JupyterHub stops its proxy, services and (with cleanup) servers
            try:
                hub.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(hub.pid, signal.SIGKILL)
                hub.wait()


if __name__ == "__main__":
    sys.exit(main())
