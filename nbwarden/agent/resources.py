"""CPU per process and per user (from /proc, as psutil reads it), GPU through NVML when present.

Resource use is a *signal*: a process that keeps a core busy for minutes is
what a miner looks like, and also what training looks like.  Findings from
here are therefore always ``audit``; they raise the confidence of a finding
from another source and are recorded, but never trigger an action alone.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from . import processes as procs
from .classify import AgentFinding

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class CpuSample:
    ticks: int
    at: float
    busy_since: float | None = None


@dataclass
class ResourceConfig:
    busy_fraction: float = 0.9    # of one core
    sustained_s: float = 300.0    # for this long


class CpuTracker:
    """Per-process CPU rate between samples, and how long a process has been busy."""

    def __init__(self, config: ResourceConfig | None = None) -> None:
        self.cfg = config or ResourceConfig()
        self._last: dict[tuple[int, int], CpuSample] = {}
        self.rates: dict[int, float] = {}

    def sample(self, pids: list[int], now: float | None = None) -> dict[int, float]:
        now = time.monotonic() if now is None else now
        rates: dict[int, float] = {}
        alive: set[tuple[int, int]] = set()
        for pid in pids:
            stat = procs.read_stat(pid)
            if stat is None:
                continue
            key = (pid, stat["start"])
            alive.add(key)
            prev = self._last.get(key)
            cur = CpuSample(stat["cpu_ticks"], now)
            if prev is not None and now > prev.at:
                rate = (cur.ticks - prev.ticks) / TICKS / (now - prev.at)
                rates[pid] = rate
                if rate >= self.cfg.busy_fraction:
                    cur.busy_since = prev.busy_since if prev.busy_since is not None else prev.at
            self._last[key] = cur
        for key in [k for k in self._last if k not in alive]:
            del self._last[key]
        self.rates = rates
        return rates

    def busy_for(self, pid: int) -> float:
        for (p, _), s in self._last.items():
            if p == pid and s.busy_since is not None:
                return s.at - s.busy_since
        return 0.0

    def findings(self, pid: int) -> list[AgentFinding]:
        busy = self.busy_for(pid)
        if busy >= self.cfg.sustained_s:
            return [AgentFinding("agent.resource.sustained-cpu", None, "audit",
                                 "sustained full-core CPU use (a signal, not a verdict)",
                                 f"{busy:.0f} s at >= {self.cfg.busy_fraction:.0%} of a core", "resource",
                                 {"busy_s": round(busy, 1), "cpu": round(self.rates.get(pid, 0.0), 3)})]
        return []


def per_user(rates: dict[int, float], owners: dict[int, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for pid, rate in rates.items():
        user = owners.get(pid, "")
        out[user] = out.get(user, 0.0) + rate
    return out


@dataclass
class GpuStatus:
    available: bool
    reason: str = ""
    devices: int = 0
    processes: list[dict[str, Any]] = field(default_factory=list)


class Gpu:
    """NVML per-process GPU use.  Without the library or a driver it reports why and does nothing."""

    def __init__(self) -> None:
        self.nvml = None
        self.reason = ""
        self.count = 0
        try:
            import pynvml  # provided by nvidia-ml-py
        except ImportError as exc:
            self.reason = f"nvidia-ml-py not installed ({exc})"
            return
        try:
            pynvml.nvmlInit()
            self.count = pynvml.nvmlDeviceGetCount()
        except Exception as exc:  # NVMLError_LibraryNotFound, DriverNotLoaded, ...
            self.reason = f"NVML unavailable: {exc}"
            return
        self.nvml = pynvml

    @property
    def available(self) -> bool:
        return self.nvml is not None

    def sample(self) -> GpuStatus:
        if self.nvml is None:
            return GpuStatus(False, self.reason)
        nv = self.nvml
        out: list[dict[str, Any]] = []
        for index in range(self.count):
            try:
                handle = nv.nvmlDeviceGetHandleByIndex(index)
                util: dict[int, dict[str, int]] = {}
                try:
                    for u in nv.nvmlDeviceGetProcessUtilization(handle, 0):
                        util[u.pid] = {"sm": u.smUtil, "mem": u.memUtil}
                except nv.NVMLError:
                    pass
                for p in nv.nvmlDeviceGetComputeRunningProcesses(handle):
                    out.append({"gpu": index, "pid": p.pid, "memory_bytes": p.usedGpuMemory,
                                "sm_percent": util.get(p.pid, {}).get("sm"),
                                "mem_percent": util.get(p.pid, {}).get("mem")})
            except nv.NVMLError as exc:
                out.append({"gpu": index, "error": str(exc)})
        return GpuStatus(True, "", self.count, out)

    def close(self) -> None:
        if self.nvml is not None:
            try:
                self.nvml.nvmlShutdown()
            except Exception:
                pass
