"""The event loop (:class:`ExecGate`): marks mounts, answers every exec permission event on them, with
workers for content checks, a watchdog for deadlines and a reporter."""

from __future__ import annotations

import logging
import os
import queue
import select
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..processes import file_identity
from .decide import Decider, Decision, GateConfig, load_hash_files
from .fanotify import FAN_NOFD, FAN_Q_OVERFLOW, Event, Fanotify, mount_point
from .messages import message

log = logging.getLogger("nbwarden.agent")


@dataclass(slots=True)
class Pending:
    fd: int
    pid: int
    t0: int                   # monotonic ns when read
    path: str = ""
    answered: bool = False
    answer: str = ""          # allow | deny, and how: "allow", "deny", "allow:timeout", ...


@dataclass
class Stats:
    events: int = 0
    answered: int = 0
    allowed: int = 0
    denied: int = 0
    would_deny: int = 0
    cache_hits: int = 0
    checks: int = 0
    timeouts: int = 0
    overload: int = 0
    watchdog_drained: int = 0
    overflow: int = 0
    errors: int = 0
    max_wait_us: int = 0
    spared: int = 0


class ExecGate:
    """Marks mounts and answers every exec permission event on them."""

    def __init__(self, engine, cfg: GateConfig | None = None, *, report: Callable[[dict], None] | None = None,
                 own_pids: set[int] | None = None) -> None:
        self.cfg = cfg = cfg or GateConfig()
        load_hash_files(cfg)
        self.decider = Decider(engine, cfg)
        self.report_sink = report or (lambda item: None)
        self.own = {os.getpid(), *(own_pids or set())}
        self.fan: Fanotify | None = None
        self.mounts: list[str] = []
        self.stats = Stats()
        self.stop_event = threading.Event()
        self.ready = threading.Event()
        self.heartbeat = time.monotonic()
        self.deadline_ns = int(cfg.deadline_ms * 1e6)
        self._cache: OrderedDict[tuple, Decision] = OrderedDict()
        self._pending: dict[int, Pending] = {}
        self._lock = threading.Lock()
        self._work: queue.Queue = queue.Queue()
        self._reports: queue.Queue = queue.Queue(maxsize=10000)
        self._last_report: dict[tuple, list] = {}
        self._threads: list[threading.Thread] = []
        self.waits_us: list[int] = []       # per event wait (benchmarks), bounded
        self.keep_waits = False

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> list[str]:
        """Open the group, mark the mounts, start the threads.  Raises OSError when unavailable."""
        self.fan = Fanotify()
        marked: dict[str, str] = {}
        for path in self.cfg.all_paths():
            if not os.path.exists(path):
                continue
            mnt = mount_point(path)
            if mnt in marked:
                continue
            try:
                self.fan.mark(path)
                marked[mnt] = path
            except OSError as exc:
                log.warning("exec gate: cannot mark %s: %s", path, exc)
        self.mounts = sorted(marked)
        for target, name in ((self._reader, "reader"), (self._watchdog, "watchdog"), (self._reporter, "reporter")):
            self._spawn(target, name)
        for i in range(max(1, self.cfg.workers)):
            self._spawn(self._worker, f"worker{i}")
        self.ready.set()
        return self.mounts

    def _spawn(self, target, name: str) -> None:
        t = threading.Thread(target=target, name=f"nbwarden-execgate-{name}", daemon=True)
        t.start()
        self._threads.append(t)

    def close(self) -> None:
        self.stop_event.set()
        for _ in self._threads:
            self._work.put(None)
        for t in self._threads:
            t.join(timeout=2)
        if self.fan is not None:
            # answer whatever is still pending ourselves, then let the kernel drop the marks
            with self._lock:
                pending = list(self._pending.values())
            for p in pending:
                self._answer(p, not self.cfg.fail_closed, "allow:shutdown")
            self.fan.close()

    # ------------------------------------------------------------------ threads

    def _reader(self) -> None:
        fan = self.fan
        poller = select.poll()
        poller.register(fan.fd, select.POLLIN)
        timeout_ms = max(1, min(100, int(self.cfg.deadline_ms / 4)))  # the watchdog reads a quiet reader as stuck
        while not self.stop_event.is_set():
            self.heartbeat = time.monotonic()
            try:
                if not poller.poll(timeout_ms):
                    continue
                for ev in fan.read():
                    self._on_event(ev)
            except Exception:
                self.stats.errors += 1
                log.exception("exec gate reader error; continuing")
                time.sleep(0.01)

    def _on_event(self, ev: Event) -> None:
        if ev.mask & FAN_Q_OVERFLOW:
            self.stats.overflow += 1
            self._queue_report({"type": "overflow"})
            return
        if ev.fd == FAN_NOFD:
            return
        self.stats.events += 1
        p = Pending(ev.fd, ev.pid, time.monotonic_ns())
        try:
            st = os.fstat(ev.fd)
            key = file_identity(st)
            with self._lock:
                cached = self._cache.get(key)
                if cached is not None:
                    self._cache.move_to_end(key)
            if cached is not None:
                self.stats.cache_hits += 1
                if cached.action == "allow":   # the hot path: no path lookup, no /proc reads
                    self._answer(p, True, "allow")
                    os.close(ev.fd)
                    return
                p.path = _fd_path(ev.fd)
                self._finish(p, cached)
                return
            p.path = _fd_path(ev.fd)
            quick = self.decider.quick(p.path, st)
            if quick is not None:
                self._remember(key, quick)
                self._finish(p, quick)
                return
            with self._lock:
                overloaded = len(self._pending) >= self.cfg.max_pending
                if not overloaded:
                    self._pending[ev.fd] = p
            if overloaded:
                self.stats.overload += 1
                self._answer(p, not self.cfg.fail_closed, "deny:overload" if self.cfg.fail_closed else "allow:overload")
                self._queue_report({"type": "overload", "pid": p.pid, "path": p.path})
                os.close(ev.fd)
                return
            self._work.put((p, st, key))
        except Exception:
            self.stats.errors += 1
            log.exception("exec gate event error; allowing")
            self._answer(p, True, "allow:error")
            _close(ev.fd)

    def _worker(self) -> None:
        while not self.stop_event.is_set():
            item = self._work.get()
            if item is None:
                return
            p, st, key = item
            try:
                with self._lock:
                    decision = self._cache.get(key)
                if decision is None:
                    self.stats.checks += 1
                    decision = self.decider.decide(p.fd, p.path, st)
                    self._remember(key, decision)
                self._finish(p, decision)
            except Exception:
                self.stats.errors += 1
                log.exception("exec gate check error; allowing")
                self._answer(p, True, "allow:error")
                _close(p.fd)
            finally:
                with self._lock:  # by identity: the fd number may already belong to a newer event
                    if self._pending.get(p.fd) is p:
                        del self._pending[p.fd]

    def _watchdog(self) -> None:
        period = min(0.05, max(0.002, self.cfg.deadline_ms / 4000))
        while not self.stop_event.wait(period):
            now = time.monotonic_ns()
            with self._lock:
                late = [p for p in self._pending.values() if not p.answered and now - p.t0 > self.deadline_ns]
            for p in late:
                allow, how, rules = self._late_answer(p)
                if self._answer(p, allow, how):
                    self.stats.timeouts += 1
                    self._queue_report({"type": "timeout", "pid": p.pid, "path": p.path,
                                        "answer": "allow" if allow else "deny", "how": how, "rules": rules})
            # the reader itself is stuck: answer the queue from here until it comes back
            if time.monotonic() - self.heartbeat > self.cfg.deadline_ms / 1000 and self.fan is not None:
                for ev in self.fan.read():
                    if ev.fd == FAN_NOFD:
                        continue
                    self.stats.events += 1
                    self.stats.watchdog_drained += 1
                    dp = Pending(ev.fd, ev.pid, time.monotonic_ns())
                    self._answer(dp, not self.cfg.fail_closed, "allow:watchdog")
                    _close(ev.fd)

    def _late_answer(self, p: Pending) -> tuple[bool, str, list[str]]:
        """The full check missed its deadline: the executable's name, its text-level check, decides what
        it can (a program named like a miner is denied all the same); the rest gets the default answer."""
        try:
            verdict = self.decider.engine.check_command([p.path]) if p.path else None
            if verdict is not None and verdict.action == "block" and self.cfg.mode != "audit" \
                    and not p.path.startswith(self.decider.allow_paths or ("\0",)) \
                    and os.path.basename(p.path) not in self.decider.allow_names \
                    and not self._context(p.pid).get("exempt"):
                return False, "deny:timeout-name", [f.rule for f in verdict.findings]
        except Exception:  # noqa: BLE001 - the default answer below still holds
            log.exception("exec gate: name check of a late event failed")
        allow = not self.cfg.fail_closed
        return allow, "allow:timeout" if allow else "deny:timeout", []

    def _reporter(self) -> None:
        while not self.stop_event.is_set():
            try:
                item = self._reports.get(timeout=0.25)
            except queue.Empty:
                continue
            try:
                if item.get("type") == "decision-raw":
                    item = self._build_decision(item)
                    if item is None:
                        continue
                self.report_sink(item)
            except Exception:
                self.stats.errors += 1
                log.exception("exec gate report error")

    # ------------------------------------------------------------------ answering

    def _remember(self, key: tuple, decision: Decision) -> None:
        if self.cfg.cache_size <= 0:
            return
        with self._lock:
            self._cache[key] = decision
            while len(self._cache) > self.cfg.cache_size:
                self._cache.popitem(last=False)

    def _answer(self, p: Pending, allow: bool, how: str) -> bool:
        """Respond once; False when someone (the watchdog, a worker) already did."""
        with self._lock:
            if p.answered:
                return False
            p.answered = True
            p.answer = how
        # measured before the response: writing it may switch this CPU to the woken exec at once
        wait = (time.monotonic_ns() - p.t0) // 1000
        if self.fan is not None:
            self.fan.respond(p.fd, allow)
        st = self.stats
        st.answered += 1
        if allow:
            st.allowed += 1
        else:
            st.denied += 1
        if wait > st.max_wait_us:
            st.max_wait_us = wait
        if self.keep_waits and len(self.waits_us) < 2_000_000:
            self.waits_us.append(wait)
        return True

    def _finish(self, p: Pending, decision: Decision) -> None:
        """Apply exemptions and the mode, answer, close the event fd, queue the report."""
        try:
            if decision.action == "allow":
                self._answer(p, True, "allow")
                return
            context = self._context(p.pid)
            if context.get("exempt"):
                self.stats.spared += 1
                self._answer(p, True, "allow:" + context["exempt"])
                if context["exempt"] != "out-of-scope":
                    self._queue_raw(p, decision, context, "spared")
                return
            if decision.action == "deny" and self.cfg.mode == "audit":
                self.stats.would_deny += 1
                self._answer(p, True, "allow:audit")
                self._queue_raw(p, decision, context, "would_deny")
                return
            if decision.action == "deny":
                answered = self._answer(p, False, "deny")
                self._queue_raw(p, decision, context, "veto" if answered else "late")
                return
            self._answer(p, True, "allow:report")
            self._queue_raw(p, decision, context, "report")
        finally:
            _close(p.fd)

    def _context(self, pid: int) -> dict[str, Any]:
        """Who is exec'ing (read while the exec is held, so the process is still there)."""
        from .. import processes

        chain = processes.ancestry(pid, limit=32)
        ctx: dict[str, Any] = {"chain": chain}
        # the agent itself and the helpers it starts (ip, nft...); not their descendants, since a user's
        # server may be started by whatever runs the agent
        if pid in self.own or (len(chain) > 1 and chain[1].pid in self.own):
            ctx["exempt"] = "agent"
        elif chain and chain[0].uid in set(self.cfg.allow_uids):
            ctx["exempt"] = "allow-listed uid"
        elif self.cfg.scope_env and not any(
                all(proc.env.get(k) == v or processes.read_environ(proc.pid, (k,)).get(k) == v
                    for k, v in self.cfg.scope_env.items()) for proc in chain):
            ctx["exempt"] = "out-of-scope"
        return ctx

    def _queue_raw(self, p: Pending, decision: Decision, context: dict, action: str) -> None:
        self._queue_report({"type": "decision-raw", "p": p, "decision": decision, "context": context,
                            "action": action, "wait_us": (time.monotonic_ns() - p.t0) // 1000})

    def _queue_report(self, item: dict) -> None:
        try:
            self._reports.put_nowait(item)
        except queue.Full:
            self.stats.errors += 1

    def _build_decision(self, raw: dict) -> dict | None:
        from .. import processes

        p: Pending = raw["p"]
        decision: Decision = raw["decision"]
        action = raw["action"]
        # one report per file and action per interval; the next one says how many were folded in
        key = (p.path, decision.sha256, action)
        now = time.monotonic()
        last = self._last_report.get(key)
        if last is not None and now - last[0] < self.cfg.report_every_s:
            last[1] += 1
            return None
        suppressed = last[1] if last else 0
        self._last_report[key] = [now, 0]
        if len(self._last_report) > 4096:
            self._last_report.clear()
        chain = raw["context"].get("chain") or []
        user, user_how = processes.user_of(chain)
        # the exec'ing process has not exec'd yet: a fork still shows its parent's command line, and a
        # kernel's fork is not a kernel
        forked = len(chain) > 1 and chain[0].cmdline == chain[1].cmdline
        kernel = processes.kernel_of(chain[1:] if forked else chain)
        top = decision.findings[0] if decision.findings else {}
        d = {
            "kind": "exec", "source": "execgate", "action": action, "pid": p.pid, "user": user,
            "user_source": user_how, "category": decision.category, "severity": decision.severity,
            "confidence": 0.9 if decision.severity == "block" else 0.6, "rules": list(decision.rules),
            "verdict": "block" if decision.action == "deny" else "warn", "cmdline": [p.path], "exe": p.path,
            "kernel": kernel, "attribution": "user", "strike": action == "veto",
            "spared_reason": raw["context"].get("exempt"),
            "evidence": {"path": p.path, "sha256": decision.sha256, "reason": decision.reason,
                         "findings": decision.findings, "packed": decision.packed, "notes": decision.notes,
                         "chain": processes.describe_chain(chain[:8]), "mode": self.cfg.mode,
                         "wait_us": raw["wait_us"], "check_us": decision.check_us, "suppressed": suppressed,
                         "top": {k: top.get(k) for k in ("rule", "evidence", "description")}},
            "rules_version": self.decider.rules_version,
        }
        d["message"] = message(d)
        return d


def _fd_path(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
