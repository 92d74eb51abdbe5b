"""Every shell command in README.md, run as written, so the README cannot drift from the code.

Each ```bash block's lines are commands (comments stripped, continuation lines joined), run in order
with bash in one environment per block: the working directory is a copy of the repository's tracked
files (a fresh clone), HOME is empty, the ledger is a SQLite file holding one decision of alice (as a
gate would have written), and a block that runs ``pip install`` gets a fresh virtual environment of
its own.  A command must exit 0 unless ``EXIT`` says otherwise and why; ``CHECKS`` adds what its output
must show.  Long-running servers (``SERVERS``) are started, checked to answer on loopback, and stopped.
Commands that need root, a cluster, Docker or a database server are in ``SKIPPED`` with the reason;
anything else, including a command added to the README later, is run.  As root, ``sudo`` is dropped.

``make test`` is what CI runs (.ci/run); ``make run`` is run here (SERVERS), with the demo's own
settings for a free port, a temporary state directory and no host agent.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from hub_support import free_port

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
pytestmark = pytest.mark.timeout(1500)

HOST_AGENT = ("a root agent on this whole (shared) machine: it acts on every process, takes /run/nbwarden/agent.sock "
              "and, with exec_gate auto, marks the host's mounts; tests/test_agent_*.py and test_execgate.py run "
              "the same code scoped to their own processes and a tmpfs")
NO_DOCKER = "no Docker engine or registry here; tests/test_k8s_images.py replays this Dockerfile's RUN lines"
CLUSTER = "needs a Kubernetes cluster; tests/test_k8s_deploy.py validates deploy/kubernetes without one"
SKIPPED = {
    "make test": "runs the whole suite, this test included; CI runs it (.ci/run)",
    "sudo nbwarden agent --config /etc/nbwarden/agent.yaml": HOST_AGENT,
    "sudo nbwarden agent --dry-run --decisions /tmp/d.jsonl": HOST_AGENT,
    "sudo nbwarden agent": HOST_AGENT,
    "sudo python -m nbwarden.agent.execgate --mount /home --decisions /tmp/d.jsonl":
        "holds every exec on the host's /home mount; tests/test_execgate.py marks a tmpfs of its own",
    "docker build -f deploy/kubernetes/Dockerfile.hub -t registry.example.org/nbwarden/hub:0.1.0 .": NO_DOCKER,
    "docker build -f deploy/kubernetes/Dockerfile.singleuser -t registry.example.org/nbwarden/singleuser:0.1.0 .":
        NO_DOCKER,
    "docker build -f deploy/kubernetes/Dockerfile.agent -t registry.example.org/nbwarden/agent:0.1.0 .": NO_DOCKER,
    "psql -h DB-HOST -U postgres -c \"CREATE ROLE nbwarden LOGIN PASSWORD 'PASSWORD'\" "
    "-c \"CREATE DATABASE nbwarden OWNER nbwarden\"": "needs the operator's PostgreSQL server",
    "kubectl create namespace jhub": CLUSTER,
    "kubectl --namespace jhub create secret generic nbwarden-ledger "
    "--from-literal=url='postgresql+psycopg://nbwarden:PASSWORD@DB-HOST:5432/nbwarden'": CLUSTER,
    "helm repo add jupyterhub https://hub.jupyter.org/helm-chart/": "a chart repository outside this machine",
    "helm upgrade --install jhub jupyterhub/jupyterhub --namespace jhub --version 4.4.0 "
    "--values deploy/kubernetes/config.yaml": CLUSTER,
    "kubectl --namespace jhub apply -f deploy/kubernetes/agent.yaml": CLUSTER,
}
EXIT = {  # documented non-zero exits
    "nbwarden scan examples/": 1,  # examples/ holds blocked notebooks: findings at block
    "nbwarden scan examples/ --format sarif -o report.sarif": 1,
    "nbwarden scan examples/ --fail-on warn": 1,
    "echo '!xmrig -o stratum+tcp://pool.example:3333' | nbwarden check -": 1,  # a blocked cell
}


def _sarif(res, env) -> None:
    report = json.loads((env.cwd / "report.sarif").read_text())
    assert report["version"] == "2.1.0" and report["runs"][0]["results"]


def _verdict(res, env) -> None:
    verdict = json.loads(res.stdout)
    assert verdict["action"] == "block" and verdict["category"] == "crypto_mining"


def _enabled(res, env) -> None:
    config = env.venv / "etc" / "jupyter" / "jupyter_server_config.d" / "nbwarden.json"
    assert json.loads(config.read_text())["ServerApp"]["jpserver_extensions"]["nbwarden"] is True


def _kernelspec(res, env) -> None:
    spec = json.loads((env.home / ".local/share/jupyter/kernels/python3-nbwarden/kernel.json").read_text())
    assert "nbwarden.agent.launcher" in spec["argv"]


def _listed(res, env) -> None:
    rows = json.loads(res.stdout)
    assert [r["user"] for r in rows] == ["alice"] and rows[0]["action"] == "block"


def _shown(res, env) -> None:
    assert "crypto_mining.miner-program" in res.stdout


def _exported(res, env) -> None:
    lines = (env.cwd / "decisions.csv").read_text().splitlines()
    assert lines[0].startswith(("id,", "ref,")) or "user" in lines[0]
    assert any("alice" in line for line in lines[1:])


def _wheel(res, env) -> None:
    assert list((env.cwd / "dist").glob("nbwarden-*.whl"))


CHECKS = {
    "nbwarden scan examples/ --format sarif -o report.sarif": _sarif,
    "echo '!xmrig -o stratum+tcp://pool.example:3333' | nbwarden check -": _verdict,
    "jupyter server extension enable --sys-prefix nbwarden": _enabled,
    "nbwarden agent kernelspec ~/.local/share/jupyter/kernels/python3-nbwarden": _kernelspec,
    "nbwarden ledger list --user alice --only block --since 24 --json": _listed,
    "nbwarden ledger show 1": _shown,
    "nbwarden ledger export --table decisions --format csv -o decisions.csv": _exported,
    "python -m build --wheel --outdir dist .": _wheel,
}


# ---------------------------------------------------------------------- the README's commands


def _strip_comment(line: str) -> str:
    """The line without its shell comment: a # outside quotes, at the start or after whitespace."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def blocks() -> list[tuple[int, list[str]]]:
    """(line of the fence, commands) of every ```bash block."""
    out: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    pending = ""
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), 1):
        if current is None:
            if line.strip() == "```bash":
                current = []
                out.append((number, current))
            continue
        if line.strip() == "```":
            current = None
            continue
        text = _strip_comment(line)
        if text.endswith("\\"):
            pending += text[:-1].rstrip() + " "
            continue
        command = re.sub(r"\s+", " ", (pending + text).strip())
        pending = ""
        if command:
            current.append(command)
    return out


def test_special_cases_are_in_the_readme():
    """No stale entries: each skipped, checked or non-zero command is still in the README."""
    commands = {c for _line, cs in blocks() for c in cs}
    assert len(blocks()) >= 7
    for table in (SKIPPED, EXIT, CHECKS, SERVERS):
        assert not set(table) - commands, set(table) - commands


def test_strip_comment_keeps_quoted_hashes():
    assert _strip_comment("echo '#x' \"#y\" # comment") == "echo '#x' \"#y\""
    assert _strip_comment("# only a comment") == ""
    assert _strip_comment("make run     # fresh machine") == "make run"


# ---------------------------------------------------------------------- running them


class Env:
    """Where and with what a block's commands run."""

    def __init__(self, base: Path, *, own_venv: bool) -> None:
        self.base = base
        self.cwd = base / "clone"
        self.home = base / "home"
        self.home.mkdir()
        listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, timeout=60)
        if listed.returncode != 0:
            pytest.skip("needs a git checkout: its tracked files are the fresh clone the commands run in")
        files = listed.stdout.decode().split("\0")
        for name in filter(None, files):
            if (ROOT / name).is_file():
                (self.cwd / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, self.cwd / name)
        self.venv = base / "venv"
        bin_dir = Path(sys.executable).parent
        if own_venv:
            subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True, timeout=120)
            bin_dir = self.venv / "bin"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NBWARDEN", "VIRTUAL_ENV"))}
        self.db = base / "ledger.sqlite"
        self.port = free_port()
        self.token = uuid.uuid4().hex
        config = base / "jupyter-config"
        config.mkdir()
        # a server started by a command listens on loopback, on a free port, with a known token
        (config / "jupyter_server_config.json").write_text(json.dumps({
            "ServerApp": {"ip": "127.0.0.1", "port": self.port, "port_retries": 0, "open_browser": False,
                          "allow_root": True},
            "IdentityProvider": {"token": self.token}}))
        env.update({"PATH": f"{bin_dir}:{env.get('PATH', '/usr/bin:/bin')}", "HOME": str(self.home),
                    "NBWARDEN_DB_URL": f"sqlite:///{self.db}", "JUPYTER_CONFIG_DIR": str(config),
                    "JUPYTER_PLATFORM_DIRS": "1", "PYTHONUNBUFFERED": "1"})
        if own_venv:
            env["VIRTUAL_ENV"] = str(self.venv)
        self.env = env
        from nbwarden.ledger import Ledger

        Ledger(env["NBWARDEN_DB_URL"]).record_decision(
            user="alice", action="block", kind="cell", code="!xmrig -o stratum+tcp://pool.example:3333",
            category="crypto_mining", severity="block", rules=["crypto_mining.miner-program"],
            message="PolicyViolation: crypto_mining")

    def run(self, command: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-c", command], cwd=self.cwd, env=self.env, capture_output=True, text=True,
                              timeout=timeout)


def _get(url: str, token: str | None = None) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def _serve(command: str, env: Env, cwd: Path, extra: dict[str, str], ready, timeout: float = 240) -> str:
    """Start a long-running command, wait until ``ready(output so far)`` holds, stop it; returns its output."""
    log = env.base / f"server-{uuid.uuid4().hex[:6]}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(["bash", "-c", command], cwd=cwd, env={**env.env, **extra}, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            while not ready(log.read_text(errors="replace")):
                assert proc.poll() is None, f"{command} exited {proc.returncode}:\n{log.read_text()[-4000:]}"
                assert time.monotonic() < deadline, f"{command} did not answer:\n{log.read_text()[-4000:]}"
                time.sleep(0.5)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=60)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
    return log.read_text(errors="replace")


def _make_run(command: str, env: Env) -> None:
    """The demo platform: JupyterHub answers, the nbwarden service is behind it, and it stops on SIGTERM."""
    port = free_port()
    state = env.base / "hub"
    url = f"http://127.0.0.1:{port}"
    extra = {"NBWARDEN_HUB_PORT": str(port), "NBWARDEN_HUB_DIR": str(state), "NBWARDEN_AGENT": "0",
             "NBWARDEN_DB_URL": f"sqlite:///{state / 'ledger.sqlite'}", "JUPYTER_DATA_DIR": str(state / "data"),
             "JUPYTER_RUNTIME_DIR": str(state / "runtime")}
    banner = f"nbwarden demo platform: {url}/"
    _serve(command, env, ROOT, extra, lambda out: banner in out and _get(f"{url}/hub/api") == 200
           and _get(f"{url}/services/nbwarden/") in (200, 302))
    assert _get(f"{url}/hub/api") == 0, "the hub still answers after make run was stopped"


def _jupyter_server(command: str, env: Env) -> None:
    """The gate is loaded: its stats endpoint answers with the server's token."""
    base = f"http://127.0.0.1:{env.port}"
    stats = f"{base}/api/nbwarden/stats"
    _serve(command, env, env.cwd, {}, lambda _out: _get(stats, env.token) == 200, timeout=120)


SERVERS = {
    "make run": _make_run,
    'jupyter server --ServerApp.jpserver_extensions="nbwarden=True"': _jupyter_server,
}


@pytest.mark.parametrize("line, commands", blocks(), ids=[f"README-line-{n}" for n, _ in blocks()])
def test_readme_block(line, commands, tmp_path):
    env = Env(tmp_path, own_venv=any(c.startswith("pip install") for c in commands))
    ran, skipped = [], []
    for command in commands:
        if command in SKIPPED:
            skipped.append(command)
            continue
        runnable = command
        if command.startswith("sudo "):
            if os.geteuid() != 0:
                skipped.append(command)  # needs root
                continue
            runnable = command[len("sudo "):]  # root already; CI has no sudo
        if command in SERVERS:
            SERVERS[command](runnable, env)
            ran.append(command)
            continue
        res = env.run(runnable, timeout=600 if command.startswith("pip ") else 300)
        expected = EXIT.get(command, 0)
        assert res.returncode == expected, f"README line {line}ff: {command!r} exited {res.returncode} " \
                                           f"(expected {expected})\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
        assert "Traceback" not in res.stderr, res.stderr[-3000:]
        if command in CHECKS:
            CHECKS[command](res, env)
        ran.append(command)
    assert ran or all(c in SKIPPED for c in commands), (ran, skipped)
