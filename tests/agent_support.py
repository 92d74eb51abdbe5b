"""Shared helpers for the agent tests: compiled test programs, network namespaces, a running agent."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).parent / "agent_programs"
IS_ROOT = os.geteuid() == 0

needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root (proc connector for all users, netns, kill)")


def proc_connector_ok() -> bool:
    from nbwarden.agent import procconn

    return procconn.available()[0]


def compile_program(name: str, dest: Path) -> Path:
    """Compile tests/agent_programs/<name>.c into dest (skips the test when gcc is missing)."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.skip("gcc not installed (scripts/setup-system installs it)")
    out = dest / name
    if not out.exists():
        subprocess.run([gcc, "-O1", "-o", str(out), str(PROGRAMS / f"{name}.c")], check=True, timeout=60)
    return out


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


class Netns:
    """A network namespace with only loopback, removed (with every process in it) at the end."""

    def __init__(self) -> None:
        self.name = f"nbwt-{uuid.uuid4().hex[:8]}"
        subprocess.run(["ip", "netns", "add", self.name], check=True, timeout=10)
        subprocess.run(["ip", "netns", "exec", self.name, "ip", "link", "set", "lo", "up"], check=True, timeout=10)

    def argv(self, *args: str) -> list[str]:
        return ["ip", "netns", "exec", self.name, *args]

    def close(self) -> None:
        res = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True, text=True, timeout=10)
        for line in res.stdout.split():
            try:
                os.kill(int(line), signal.SIGKILL)
            except (ValueError, OSError):
                pass
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=10)


class Procs:
    """Processes started by a test; all killed at the end."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.started: list[subprocess.Popen] = []

    def start(self, argv: list[str], *, scoped: bool = True, **kwargs) -> subprocess.Popen:
        """Start a process; ``scoped=False`` for test infrastructure the agent must not act on."""
        env = {**os.environ, **(self.env if scoped else {}), **kwargs.pop("env", {})}
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        p = subprocess.Popen([str(a) for a in argv], env=env, start_new_session=True, **kwargs)
        self.started.append(p)
        return p

    def close(self) -> None:
        for p in self.started:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
                try:
                    p.kill()
                except OSError:
                    pass
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def decisions_for(agent, pid: int | None = None, **match):
    out = []
    for d in list(agent.decisions):
        if pid is not None and d.get("pid") != pid:
            continue
        if all(d.get(k) == v for k, v in match.items()):
            out.append(d)
    return out
