"""What the agent can do to a process or a kernel, and the guard that keeps it from harming the host.

* :func:`kill_tree`: SIGSTOP the process (no more forks), collect its
  descendants, SIGKILL them all; the start time is checked so a reused PID is
  never hit.
* :func:`interrupt_kernel` / :func:`shutdown_kernel`: SIGINT, or cgroup.kill
  of the kernel's cgroup (SIGKILL of its tree without one).
* :func:`notify_sensor`: tell the kernel's sensor, which writes the
  explanation under the running cell and raises it there.
* :class:`Guard`: never pid 1, the agent, its parents, kernel threads,
  allow-listed users, paths or names.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import processes as procs


@dataclass
class Guard:
    allow_users: set[str] = field(default_factory=set)
    allow_uids: set[int] = field(default_factory=set)
    allow_paths: tuple[str, ...] = ()
    allow_names: set[str] = field(default_factory=set)
    own: set[int] = field(default_factory=set)

    def refresh(self) -> None:
        self.own = {p.pid for p in procs.ancestry(os.getpid())} | {os.getpid(), 1}

    def protected(self, proc: procs.Proc) -> str:
        """Why this process must not be touched ('' when it may be)."""
        if not self.own:
            self.refresh()
        if proc.pid in self.own or proc.pid <= 1:
            return "self-or-init"
        if proc.kthread:
            return "kernel-thread"
        if proc.uid in self.allow_uids or proc.user in self.allow_users:
            return "allow-listed user"
        exe = proc.exe or ""
        if exe and any(exe.startswith(prefix) for prefix in self.allow_paths):
            return "allow-listed path"
        if proc.name in self.allow_names or os.path.basename(exe) in self.allow_names:
            return "allow-listed name"
        return ""


@dataclass
class KillResult:
    killed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    gone: bool = False  # the target had exited (or its pid was reused) before we acted
    at_ns: int = 0


def kill_tree(pid: int, start: int | None = None, guard: Guard | None = None) -> KillResult:
    result = KillResult()
    stat = procs.read_stat(pid)
    if stat is None or (start is not None and stat["start"] != start):
        result.gone = True
        result.at_ns = time.monotonic_ns()
        return result
    try:
        os.kill(pid, signal.SIGSTOP)
    except ProcessLookupError:
        result.gone = True
        result.at_ns = time.monotonic_ns()
        return result
    except PermissionError:
        pass
    targets = [pid] + procs.descendants(pid)
    for target in targets:
        if guard is not None and target in guard.own:
            continue
        try:
            os.kill(target, signal.SIGKILL)
            result.killed.append(target)
        except ProcessLookupError:
            pass
        except OSError:
            result.failed.append(target)
        if target == pid:
            result.at_ns = time.monotonic_ns()
    return result


def interrupt_kernel(kernel_pid: int) -> bool:
    try:
        os.kill(kernel_pid, signal.SIGINT)
        return True
    except OSError:
        return False


def shutdown_kernel(kernel: dict, guard: Guard | None = None) -> list[int]:
    """cgroup.kill of the kernel's own cgroup (nbwarden provisioner), else SIGKILL of its tree."""
    cg = kernel.get("cgroup") or ""
    if "/nbwarden-kernels/" in cg:
        from .provisioner import cgroup2_mount, kill_cgroup

        mount = cgroup2_mount()
        if mount is not None:
            path = Path(str(mount) + cg)
            pids = []
            try:
                pids = [int(x) for x in (path / "cgroup.procs").read_text().split()]
            except (OSError, ValueError):
                pass
            if kill_cgroup(path):
                return pids
    if kernel.get("pid"):
        return kill_tree(int(kernel["pid"]), guard=guard).killed
    return []


def notify_sensor(reply_path: str, explanation: dict, *, raise_in_cell: bool = True) -> bool:
    """Tell the kernel's sensor to print an explanation (:mod:`nbwarden.explain`, as data) in the cell: it renders
    it in the user's language; the English text goes along for a sensor that cannot."""
    from ..explain import render
    from ..i18n import Translator

    notice = {"type": "notice", "text": render(explanation, Translator("en")), "raise": raise_in_cell,
              "explain": explanation}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            sock.sendto(json.dumps(notice, default=str).encode(), reply_path)
        return True
    except OSError:
        return False
