"""Per-group usage quotas over rolling windows, and the accounting that feeds them.

**Limits** (per group; a user's group is the first of ``Quotas.groups`` the
user belongs to in JupyterHub, else ``default_group``):

* ``cpu_hours`` and ``gpu_hours`` within a rolling ``window_hours``;
* ``max_lifetime_hours``: a server is stopped that long after it started;
* ``idle_minutes``: a server without activity that long is stopped.

``None`` means no limit.  At ``warn_fraction`` (80 %) of a resource the user
gets a notice in the running notebook; at 100 % the server is stopped through
the Hub REST API and spawns are refused until enough old usage leaves the
window (:meth:`QuotaState.frees_at` says when).

**Accounting: one home.**  Usage is rows of :class:`~nbwarden.hub.models.UsageSample`
(user, time, CPU seconds, GPU seconds) written by :class:`UsageSampler`.  The
sampler attributes every process whose environment (or an ancestor's) carries
``JUPYTERHUB_USER`` to that user; CPU seconds are the growth of the process's
CPU time between samples, GPU seconds are the sampling interval for each user
holding a GPU context (NVML, through the agent's :class:`~nbwarden.agent.resources.Gpu`),
optionally weighted by SM utilisation.  On a single machine the hub service
runs the sampler itself (``NbwardenService.sample_usage``, the default); on a
cluster each host's agent runs it (``report_usage: true`` in the agent
config) and the service's own sampler is turned off, so no usage is counted
twice.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import psutil
from traitlets import Dict, Float, List, Unicode
from traitlets.config import Configurable

from ..i18n import Translator
from .models import HubStore

RESOURCES = ("cpu_hours", "gpu_hours")

DEFAULT_QUOTAS: dict[str, dict[str, Any]] = {
    "free": {"cpu_hours": 12.0, "gpu_hours": 4.0, "window_hours": 24.0, "max_lifetime_hours": 12.0,
             "idle_minutes": 90.0},
    "pro": {"cpu_hours": 96.0, "gpu_hours": 24.0, "window_hours": 24.0, "max_lifetime_hours": 24.0,
            "idle_minutes": 180.0},
    "admin": {},
}


@dataclass(slots=True)
class QuotaSpec:
    cpu_hours: float | None = None
    gpu_hours: float | None = None
    window_hours: float = 24.0
    max_lifetime_hours: float | None = None
    idle_minutes: float | None = None
    warn_fraction: float = 0.8

    @property
    def window_s(self) -> float:
        return self.window_hours * 3600.0

    def limit_s(self, resource: str) -> float | None:
        value = getattr(self, resource)
        return None if value is None else float(value) * 3600.0


@dataclass(slots=True)
class QuotaState:
    """One user's use against their group's limits, at ``now``."""

    user: str
    group: str
    spec: QuotaSpec
    now: float
    used_s: dict[str, float] = field(default_factory=dict)  # resource -> seconds used in the window
    rows: list[tuple[float, float, float]] = field(default_factory=list)

    def fraction(self, resource: str) -> float | None:
        limit = self.spec.limit_s(resource)
        if limit is None:
            return None
        if limit <= 0:
            return float("inf")
        return self.used_s.get(resource, 0.0) / limit

    def exhausted(self) -> list[str]:
        return [r for r in RESOURCES if (self.fraction(r) or 0.0) >= 1.0]

    def warned(self) -> list[str]:
        return [r for r in RESOURCES if self.spec.warn_fraction <= (self.fraction(r) or 0.0) < 1.0]

    def frees_at(self, resource: str) -> float | None:
        """When enough usage leaves the window for ``resource`` to be below its limit again."""
        limit = self.spec.limit_s(resource)
        if limit is None:
            return None
        index = 1 if resource == "cpu_hours" else 2
        used = self.used_s.get(resource, 0.0)
        if used < limit:
            return self.now
        for row in self.rows:  # oldest first
            used -= row[index]
            if used < limit:
                return row[0] + self.spec.window_s
        return self.now + self.spec.window_s

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"user": self.user, "group": self.group, "limits": asdict(self.spec), "usage": {}}
        for resource in RESOURCES:
            limit = self.spec.limit_s(resource)
            used = self.used_s.get(resource, 0.0)
            entry: dict[str, Any] = {"used_hours": round(used / 3600.0, 4),
                                     "limit_hours": None if limit is None else round(limit / 3600.0, 4),
                                     "percent": None if limit is None else round(100.0 * (self.fraction(resource)
                                                                                          or 0.0), 1)}
            if limit is not None and used >= limit:
                entry["frees_at"] = self.frees_at(resource)
            out["usage"][resource] = entry
        return out


class Quotas(Configurable):
    """``c.Quotas.groups = {"free": {"cpu_hours": 12, "window_hours": 24, ...}, ...}``."""

    groups = Dict(DEFAULT_QUOTAS, help="Per-group limits: cpu_hours, gpu_hours, window_hours, "
                                       "max_lifetime_hours, idle_minutes, warn_fraction (None: no limit)."
                  ).tag(config=True)
    order = List(Unicode(), ["admin", "pro", "free"],
                 help="Groups in the order they are tried; a user in several gets the first.").tag(config=True)
    default_group = Unicode("free", help="Group of users in none of `order`.").tag(config=True)
    gpu_weight_by_sm = Float(0.0, help="0: a GPU-second is any second holding a GPU context; 1: weighted by "
                                       "SM utilisation.").tag(config=True)

    def group_for(self, memberships: list[str] | set[str] | tuple[str, ...]) -> str:
        member = set(memberships)
        for group in list(self.order) + [g for g in self.groups if g not in self.order]:
            if group in member:
                return group
        return self.default_group

    def spec(self, group: str) -> QuotaSpec:
        data = dict(self.groups.get(group, self.groups.get(self.default_group, {})) or {})
        known = set(QuotaSpec.__dataclass_fields__)
        return QuotaSpec(**{k: v for k, v in data.items() if k in known})

    def state(self, store: HubStore, user: str, groups: list[str] | set[str] | tuple[str, ...] = (),
              now: float | None = None) -> QuotaState:
        now = time.time() if now is None else now
        group = self.group_for(groups)
        spec = self.spec(group)
        return self._state(store, user, group, spec, store.usage(user, now - spec.window_s), now)

    def states(self, store: HubStore, groups: dict[str, list[str]], now: float | None = None
               ) -> dict[str, QuotaState]:
        """:meth:`state` of every user in ``groups`` (user -> memberships), with one query per window
        length instead of one per user (the dashboard, the metrics scrape, the enforcement pass)."""
        now = time.time() if now is None else now
        specs = {user: (group, self.spec(group)) for user, group in
                 ((user, self.group_for(member)) for user, member in groups.items())}
        usage = {window: store.usage_by_user(now - window) for window in {s.window_s for _, s in specs.values()}}
        return {user: self._state(store, user, group, spec, usage[spec.window_s].get(user, (0.0, 0.0)), now)
                for user, (group, spec) in specs.items()}

    @staticmethod
    def _state(store: HubStore, user: str, group: str, spec: QuotaSpec, used: tuple[float, float],
               now: float) -> QuotaState:
        state = QuotaState(user, group, spec, now, {"cpu_hours": used[0], "gpu_hours": used[1]})
        if state.exhausted():  # only then are the rows needed (to say when capacity frees)
            state.rows = store.usage_rows(user, now - spec.window_s)
        return state


def quota_fields(state: QuotaState, resource: str) -> dict[str, str]:
    """A resource's use as the texts show it: label (CPU, GPU), used and limit in hours, the window."""
    limit = state.spec.limit_s(resource) or 0.0
    return {"label": "CPU" if resource == "cpu_hours" else "GPU", "used": f"{state.used_s.get(resource, 0.0) / 3600:.3g}",
            "limit": f"{limit / 3600:.3g}", "window": f"{state.spec.window_hours:g}"}


def describe_refusal(state: QuotaState, t: Translator | None = None) -> tuple[str, float | None]:
    """The text a user sees when a spawn is refused for quota (in ``t``'s language), and when capacity frees."""
    t = t or Translator("en")
    parts = []
    frees = []
    for resource in state.exhausted():
        when = state.frees_at(resource)
        if when is not None:
            frees.append(when)
        parts.append(t.fmt("{label} quota used up: {used} of {limit} {label}-hours in the last {window} h",
                           **quota_fields(state, resource)))
    when = max(frees) if frees else None
    return "; ".join(parts), when


# ---------------------------------------------------------------------------- accounting


def _user_of(proc: psutil.Process, cache: dict[int, str]) -> str:
    """JUPYTERHUB_USER of the process or its nearest ancestor that has one ('' if none)."""
    chain = []
    current: psutil.Process | None = proc
    user = ""
    for _ in range(16):
        if current is None:
            break
        if current.pid in cache:
            user = cache[current.pid]
            break
        chain.append(current.pid)
        try:
            env = current.environ()
        except (psutil.Error, OSError):
            env = {}
        if env.get("JUPYTERHUB_USER"):
            user = env["JUPYTERHUB_USER"]
            break
        try:
            current = current.parent()
        except (psutil.Error, OSError):
            current = None
    for pid in chain:
        cache[pid] = user
    return user


class UsageSampler:
    """Per-user CPU and GPU seconds between calls of :meth:`sample`.

    A process is known by (pid, create time).  Its CPU time counts from the
    moment the sampler first saw it; processes that started after the previous
    sample count whole, so short busy processes are not lost between samples.
    """

    def __init__(self, *, gpu: bool = True, gpu_weight_by_sm: float = 0.0, source: str | None = None):
        self.source = source or f"sampler:{socket.gethostname()}"
        self._cpu: dict[tuple[int, float], float] = {}
        self._user: dict[tuple[int, float], str] = {}
        self._last: float | None = None
        self._gpu = None
        self.gpu_weight_by_sm = gpu_weight_by_sm
        if gpu:
            try:
                from ..agent.resources import Gpu

                probe = Gpu()
                self._gpu = probe if probe.available else None
            except Exception:
                self._gpu = None
        self._own = os.getpid()
        self._pending: dict[str, tuple[float, float]] = {}

    def sample(self, now: float | None = None) -> dict[str, tuple[float, float]]:
        now = time.time() if now is None else now
        previous = self._last
        self._last = now
        out: dict[str, list[float]] = {}
        seen: dict[tuple[int, float], float] = {}
        user_cache: dict[int, str] = {}
        for proc in psutil.process_iter(["pid", "create_time", "cpu_times"]):
            info = proc.info
            if info.get("cpu_times") is None or info["pid"] == self._own:
                continue
            key = (info["pid"], info["create_time"])
            total = info["cpu_times"].user + info["cpu_times"].system
            before = self._cpu.get(key)
            if before is None:
                self._user[key] = _user_of(proc, user_cache)
                # new since the last sample: count it whole; present at the first sample: baseline only
                before = 0.0 if previous is not None and info["create_time"] >= previous - 1.0 else total
            user = self._user.get(key, "")
            seen[key] = total
            if user and total > before:
                out.setdefault(user, [0.0, 0.0])[0] += total - before
        self._cpu = seen
        self._user = {key: u for key, u in self._user.items() if key in seen}
        by_pid = {pid: u for (pid, _), u in self._user.items()}
        if self._gpu is not None and previous is not None:
            interval = max(0.0, now - previous)
            status = self._gpu.sample()
            holders: dict[str, float] = {}
            for p in status.processes:
                pid = p.get("pid")
                if pid is None:
                    continue
                try:
                    user = by_pid.get(pid) or _user_of(psutil.Process(pid), user_cache)
                except psutil.Error:
                    continue
                if not user:
                    continue
                weight = 1.0
                if self.gpu_weight_by_sm and p.get("sm_percent") is not None:
                    weight = (1 - self.gpu_weight_by_sm) + self.gpu_weight_by_sm * p["sm_percent"] / 100.0
                holders[user] = max(holders.get(user, 0.0), weight)
            for user, weight in holders.items():
                out.setdefault(user, [0.0, 0.0])[1] += interval * weight
        return {u: (v[0], v[1]) for u, v in out.items()}

    def sample_and_record(self, store: HubStore, now: float | None = None) -> dict[str, tuple[float, float]]:
        """Sample and write; samples a failed write could not store are added to the next write."""
        samples = self.sample(now)
        pending = dict(self._pending)
        for user, (cpu, gpu) in samples.items():
            before = pending.get(user, (0.0, 0.0))
            pending[user] = (before[0] + cpu, before[1] + gpu)
        try:
            store.add_usage(pending, source=self.source, now=now)
        except Exception:
            self._pending = pending  # the ledger is away: the usage is not lost, only late
            raise
        self._pending = {}
        return samples
