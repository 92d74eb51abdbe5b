"""The gate as the agent's child process: :class:`GateProcess` (start it, record what it reports, kill and
restart it if it stalls) and :func:`attach`."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from typing import Any

from .decide import GateConfig
from .fanotify import available
from .messages import notice

log = logging.getLogger("nbwarden.agent")


class GateProcess:
    """The agent's side: start the gate child, record what it reports, kill and restart it if it stalls."""

    def __init__(self, agent, cfg: GateConfig, *, stall_kill_s: float = 5.0, max_restarts: int = 5) -> None:
        self.agent = agent
        self.cfg = cfg
        self.stall_kill_s = stall_kill_s
        self.max_restarts = max_restarts
        self.proc: subprocess.Popen | None = None
        self.ready = threading.Event()
        self.mounts: list[str] = []
        self.stats: dict[str, Any] = {}
        self.last_line = time.monotonic()
        self.restarts = 0
        self.kills = 0
        self.error = ""
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def child_config(self) -> dict[str, Any]:
        acfg = self.agent.cfg
        data = asdict(self.cfg)
        data["deny_hashes"] = {**{k: v for k, v in self.agent.sigs.hashes.items()}, **data["deny_hashes"]}
        data["allow_paths"] = [*data["allow_paths"], *acfg.allow_paths]
        data["allow_names"] = [*data["allow_names"], *acfg.allow_names]
        data["allow_uids"] = [*data["allow_uids"], *acfg.allow_uids]
        data["scope_env"] = {**acfg.scope_env, **data["scope_env"]}
        return {"gate": data, "rules": list(acfg.rules), "disable": list(acfg.disable)}

    def start(self) -> None:
        self._launch()
        t = threading.Thread(target=self._supervise, name="nbwarden-execgate-supervisor", daemon=True)
        t.start()
        self._threads.append(t)

    def _launch(self) -> None:
        argv = [sys.executable, "-m", "nbwarden.agent.execgate", "--child", "--parent-pid", str(os.getpid()),
                "--config-json", "-"]  # on stdin: hash lists can exceed the kernel's limit for one argument
        self.ready.clear()
        self.last_line = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None,
                                     close_fds=True, text=True, bufsize=1)
        try:
            self.proc.stdin.write(json.dumps(self.child_config()))
            self.proc.stdin.close()
        except OSError:
            pass
        t = threading.Thread(target=self._read, args=(self.proc,), name="nbwarden-execgate-lines", daemon=True)
        t.start()
        self._threads.append(t)

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self.last_line = time.monotonic()
            try:
                item = json.loads(line)
            except ValueError:
                continue
            try:
                self._on_item(item)
            except Exception:
                log.exception("exec gate report handling failed")

    def _on_item(self, item: dict[str, Any]) -> None:
        from ..app import emit

        kind = item.get("type")
        if kind == "heartbeat":
            self.stats = item.get("stats") or {}
            return
        if kind == "ready":
            self.mounts = item.get("mounts") or []
            self.ready.set()
            emit("exec gate on", mounts=self.mounts, mode=self.cfg.mode, pid=self.proc.pid if self.proc else None)
            return
        if kind == "unavailable":
            self.error = item.get("reason", "")
            emit("exec gate unavailable; running without it", logging.WARNING, reason=self.error)
            return
        if kind == "error":
            emit("exec gate error", logging.ERROR, error=item.get("error"))
            return
        if kind in ("timeout", "overload", "overflow"):
            emit(f"exec gate {kind}", logging.WARNING, **{k: v for k, v in item.items() if k != "type"})
            self.agent.metrics.errors.labels(f"execgate-{kind}").inc()
            return
        if kind == "decision":
            self.record(item["decision"])

    def record(self, decision: dict[str, Any]) -> None:
        """Through the agent: recorder (ledger, strike ladder), metrics, log; then tell the kernel's sensor."""
        agent = self.agent
        agent._record(decision)
        kernel = decision.get("kernel") or {}
        kpid = kernel.get("pid")
        if decision["action"] in ("veto", "would_deny") and kpid and agent.cfg.kernel_action != "none":
            sensor = agent.sensors.get(kpid)
            if sensor and sensor.get("reply"):
                from .. import actions

                decision["evidence"]["notified"] = actions.notify_sensor(
                    sensor["reply"], notice(decision, decision.get("ref"), self.cfg.appeal_url, self.cfg.policy_url),
                    raise_in_cell=False)

    def _supervise(self) -> None:
        from ..app import emit

        while not self._stop.wait(0.25):
            proc = self.proc
            if proc is None:
                continue
            code = proc.poll()
            if code is None and self.ready.is_set() and time.monotonic() - self.last_line > self.stall_kill_s:
                # frozen or wedged: a dead gate releases every exec, a stuck one holds them
                emit("exec gate stalled; killing it", logging.ERROR, pid=proc.pid, silent_s=self.stall_kill_s)
                self.ready.clear()
                self.kills += 1
                proc.kill()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    continue
                code = proc.returncode
            if code is None:
                continue
            self.ready.clear()
            if self._stop.is_set():
                return
            if self.error:
                return  # unavailable: said once at start
            if self.restarts >= self.max_restarts:
                emit("exec gate stopped for good after restarts", logging.ERROR, restarts=self.restarts)
                self.proc = None
                return
            self.restarts += 1
            emit("exec gate exited; restarting", logging.WARNING, code=code, restart=self.restarts)
            time.sleep(min(5.0, 0.5 * self.restarts))
            if not self._stop.is_set():
                self._launch()

    def close(self) -> None:
        self._stop.set()
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        for t in self._threads:
            t.join(timeout=2)


def attach(agent) -> GateProcess | None:
    """Start the exec gate for an agent per ``exec_gate`` (auto | on | off | audit); None when off.

    ``auto`` turns it on where fanotify permission events are available,
    except for an agent scoped to a subset of processes (``scope_env``): the
    gate marks whole mounts, so a scoped agent gets it only when told ``on``
    or ``audit`` (it then acts only on processes in its scope).
    """
    from ..app import emit

    raw = getattr(agent.cfg, "exec_gate", "auto")
    # YAML reads a bare on/off as a boolean
    setting = {True: "on", False: "off", None: "auto"}.get(raw, raw) if isinstance(raw, (bool, type(None))) else raw
    setting = str(setting).lower()
    if setting == "off" or (setting == "auto" and agent.cfg.scope_env):
        return None
    try:
        settings = getattr(agent.cfg, "exec_gate_settings", {}) or {}
        cfg = GateConfig.from_dict(settings)
        for name in ("policy_url", "appeal_url"):  # the agent's links, unless the exec gate has its own
            if getattr(agent.cfg, name, "") and name not in settings:
                setattr(cfg, name, getattr(agent.cfg, name))
    except (TypeError, ValueError) as exc:
        emit("exec gate not started: bad settings", logging.ERROR, error=str(exc))
        return None
    if setting == "audit":
        cfg.mode = "audit"
    ok, why = available()
    if not ok:
        emit("exec gate unavailable; running without it", logging.WARNING, reason=why, setting=setting)
        return None
    gate = GateProcess(agent, cfg)
    try:
        gate.start()
    except OSError as exc:
        emit("exec gate failed to start; running without it", logging.ERROR, error=str(exc))
        return None
    return gate
