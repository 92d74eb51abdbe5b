"""The host agent (:class:`Agent`): its threads and the main loop.

Threads (all daemon threads; every handler is wrapped so that one bad event,
one vanished process or one malformed /proc file never stops the agent):

* ``procconn``: drains the netlink socket into a bounded queue; an overrun
  (ENOBUFS) or a full queue is counted as lost and triggers a resync sweep;
* ``sensor``: receives reports from in-kernel sensors (Unix datagrams,
  sender checked with SO_PASSCRED);
* the main loop: handles exec events, and runs the periodic sweep (psutil:
  processes that predate the agent, argv rewritten after exec, the polling
  fallback), the network scan, the resource scan and the egress report.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import queue
import socket
import struct
import threading
import time
import uuid
from collections import deque
from typing import Any

from . import actions, network, procconn, processes
from .classify import AgentFinding, Assessment, Classifier, Signatures, load_engine
from .config import AgentConfig, emit
from .metrics import Metrics
from .recorder import Recorder
from .resources import CpuTracker, Gpu, ResourceConfig, per_user

log = logging.getLogger("nbwarden.agent")
SO_PASSCRED = getattr(socket, "SO_PASSCRED", 16)
SCM_CREDENTIALS = getattr(socket, "SCM_CREDENTIALS", 2)
BOOT_CLOCK = getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC)
TICKS = os.sysconf("SC_CLK_TCK")



class Agent:
    def __init__(self, config: AgentConfig | None = None, *, classifier: Classifier | None = None,
                 metrics: Metrics | None = None, recorder: Recorder | None = None) -> None:
        self.cfg = cfg = config or AgentConfig()
        self.metrics = metrics or Metrics()
        sigs = Signatures(cfg.signature_files)
        if classifier is None:
            engine, err = load_engine(cfg.rules, cfg.disable)
            if err:
                emit("rule packs failed to load; running on names, signatures and network only",
                     logging.ERROR, error=err)
                self.metrics.errors.labels("rules").inc()
            classifier = Classifier(engine, sigs, read_budget=cfg.binary_read_budget,
                                    share_link_clients=bool(cfg.exec_gate_settings.get("share_link_clients", True)))
        self.classifier = classifier
        self.sigs = classifier.sigs
        self.recorder = recorder or Recorder(cfg.ledger_url or None, cfg.decisions_file or None, cfg.policy)
        self.net = network.NetScanner(self.sigs, network.NetConfig(**cfg.network))
        self.cpu = CpuTracker(ResourceConfig(**cfg.resources))
        self.gpu = Gpu() if cfg.gpu else None
        self.guard = actions.Guard(set(cfg.allow_users), set(cfg.allow_uids), tuple(cfg.allow_paths),
                                   set(cfg.allow_names))
        self.guard.refresh()
        self.queue: queue.Queue = queue.Queue(maxsize=cfg.queue_size)
        self.stop_event = threading.Event()
        self.pc: procconn.ProcConnector | None = None
        self.source = "psutil"
        self._resync = threading.Event()
        self._threads: list[threading.Thread] = []
        self._seen: dict[tuple[int, int], str] = {}      # (pid, start) -> cmdline key last classified
        self._acted: dict[tuple[int, int], str] = {}     # (pid, start) -> what we did
        self._starts: dict[int, int] = {}                # pid -> start of the process we classified
        self._signals: dict[int, list[AgentFinding]] = {}  # pid -> findings from network/sensor/resources
        self.sensors: dict[int, dict[str, Any]] = {}     # kernel pid -> hello
        self.spawns: deque = deque(maxlen=2000)          # sensor subprocess reports
        self.decisions: deque = deque(maxlen=1000)       # recent decisions (tests, `--once`)
        self.exec_seen: set[int] = set()                 # pids of exec events (benchmark, tests)
        self.track_execs = False
        self._sensor_sock: socket.socket | None = None
        self._boot_ns = 0
        self.gpu_status: dict[str, Any] = {}
        self._lock = threading.RLock()
        self.ready = threading.Event()  # set after the startup sweep

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        cfg = self.cfg
        if cfg.mode in ("auto", "netlink"):
            try:
                self.pc = procconn.ProcConnector(rcvbuf=cfg.netlink_rcvbuf, exec_only=cfg.netlink_exec_only)
                self.source = "netlink"
            except OSError as exc:
                if cfg.mode == "netlink":
                    raise
                emit("proc connector unavailable; polling with psutil", logging.WARNING, error=str(exc),
                     interval_s=cfg.poll_interval_s)
        if self.pc is not None:
            self._spawn(self._netlink_reader, "procconn")
        self._open_sensor_socket()
        if cfg.metrics_port:
            self.metrics.serve(cfg.metrics_port, cfg.metrics_addr)
        if cfg.egress.get("enabled"):
            self._apply_egress()
        from . import execgate

        self.exec_gate = execgate.attach(self)  # its own process; None when off or unavailable
        emit("agent started", source=self.source, dry_run=cfg.dry_run, pid=os.getpid(),
             gpu=(self.gpu.available if self.gpu else False), gpu_reason=(self.gpu.reason if self.gpu else "off"),
             rules_version=getattr(self.classifier.engine, "version", ""))

    def stop(self) -> None:
        self.stop_event.set()
        if getattr(self, "exec_gate", None) is not None:
            self.exec_gate.close()
        for t in self._threads:
            t.join(timeout=2)
        if self.pc is not None:
            self.pc.close()
        if self._sensor_sock is not None:
            self._sensor_sock.close()
        if self.gpu is not None:
            self.gpu.close()

    def run(self, duration: float | None = None) -> None:
        """The main loop (in the calling thread) until stop() or ``duration`` seconds."""
        self._spawn_main = False
        end = None if duration is None else time.monotonic() + duration
        t0 = time.monotonic()
        checked = self._safe(self.sweep, "startup")
        # the rule engine and the startup state live for the whole run: keep them out of the garbage
        # collector's full passes, which would otherwise walk them (tens of ms) in the middle of a kill
        gc.freeze()
        self.ready.set()
        emit("ready", startup_sweep_s=round(time.monotonic() - t0, 3), processes=checked)
        timers = {"sweep": time.monotonic() + (self.cfg.rescan_interval_s if self.pc else self.cfg.poll_interval_s),
                  "net": time.monotonic() + self.cfg.net_interval_s,
                  "res": time.monotonic() + min(self.cfg.resource_interval_s, 1.0)}
        while not self.stop_event.is_set():
            now = time.monotonic()
            if end is not None and now >= end:
                break
            wait = max(0.0, min(timers.values()) - now)
            try:
                item = self.queue.get(timeout=min(wait, 0.25))
                with self._lock:
                    self._handle(item)
                    # drain what is there without waiting
                    for _ in range(512):
                        try:
                            self._handle(self.queue.get_nowait())
                        except queue.Empty:
                            break
            except queue.Empty:
                pass
            self.metrics.queue.set(self.queue.qsize())
            if self._resync.is_set():
                self._resync.clear()
                self.metrics.resyncs.inc()
                with self._lock:
                    self._safe(self.sweep, "resync")
            now = time.monotonic()
            if now >= timers["sweep"]:
                with self._lock:
                    self._safe(self.sweep, "psutil")
                timers["sweep"] = now + (self.cfg.rescan_interval_s if self.pc else self.cfg.poll_interval_s)
            if now >= timers["net"]:
                with self._lock:
                    self._safe(self.network_scan)
                timers["net"] = now + self.cfg.net_interval_s
            if now >= timers["res"]:
                self._safe(self.resource_scan)
                timers["res"] = now + self.cfg.resource_interval_s

    def start_background(self) -> threading.Thread:
        self.start()
        t = threading.Thread(target=self._safe_run, name="nbwarden-agent", daemon=True)
        t.start()
        self._threads.append(t)
        return t

    def _safe_run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.run()
            except Exception:
                self.metrics.errors.labels("main").inc()
                log.exception("main loop error; continuing")
                time.sleep(0.1)

    def _spawn(self, target, name: str) -> None:
        t = threading.Thread(target=target, name=f"nbwarden-{name}", daemon=True)
        t.start()
        self._threads.append(t)

    def _safe(self, fn, *args) -> Any:
        try:
            return fn(*args)
        except Exception:
            self.metrics.errors.labels(getattr(fn, "__name__", "handler")).inc()
            log.exception("handler error", extra={"data": {"handler": getattr(fn, "__name__", "")}})
            return None

    # ------------------------------------------------------------------ event sources

    def _netlink_reader(self) -> None:
        """Receive exec events and handle them in this thread, waking as rarely as latency allows.

        Each wake-up costs more than handling one more event, because the
        interpreter starts from cold caches.  At ordinary rates the reader
        blocks in one receive (see ProcConnector.wait) and handles each exec at
        once.  Once execs arrive faster than ``netlink_coalesce_rate`` per
        second (counted over half a second), it stops blocking and wakes every
        ``netlink_coalesce_ms`` instead, handling everything queued meanwhile in
        one batch: under such load a kill can come up to that much later.  The
        kernel buffers the events in between (``netlink_rcvbuf``).
        """
        pc = self.pc
        coalesce = max(0.0, self.cfg.netlink_coalesce_ms) / 1000
        window_start, window_events, rate = time.monotonic(), 0, 0.0
        while not self.stop_event.is_set():
            try:
                if coalesce and rate >= self.cfg.netlink_coalesce_rate:
                    time.sleep(coalesce)
                    batch = pc.read()
                    if batch:
                        self.metrics.coalesced.inc()
                else:
                    batch = pc.wait()
                now = time.monotonic()
                if now - window_start >= 0.5:
                    rate = window_events / (now - window_start)
                    window_start, window_events = now, 0
                if not batch:
                    continue
                window_events += len(batch)
                events = [ev for ev in batch if not isinstance(ev, procconn.Lost)]
                if len(events) < len(batch):
                    lost = len(batch) - len(events)
                    self.metrics.lost.labels("netlink").inc(lost)
                    self._resync.set()
                    emit("netlink events lost; resync sweep scheduled", logging.WARNING, overruns=lost)
                if not events:
                    continue
                if self.cfg.inline_events:
                    # no hand-over between threads; the socket's 8 MiB buffer absorbs bursts meanwhile
                    with self._lock:
                        self._handle(events)
                else:
                    try:
                        self.queue.put_nowait(events)
                    except queue.Full:
                        self.metrics.lost.labels("queue").inc()
                        self._resync.set()
            except Exception:
                self.metrics.errors.labels("netlink").inc()
                log.exception("netlink reader error; continuing")
                time.sleep(0.05)

    def _open_sensor_socket(self) -> None:
        d = self.cfg.sensor_dir
        if not d:
            return
        try:
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o1733)  # like /tmp: kernels (any uid) may create their reply sockets
            path = os.path.join(d, "agent.sock")
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, SO_PASSCRED, 1)
            sock.bind(path)
            os.chmod(path, 0o666)
            sock.settimeout(0.25)
            self._sensor_sock = sock
            self._spawn(self._sensor_reader, "sensor")
        except OSError as exc:
            emit("sensor socket unavailable", logging.WARNING, error=str(exc), dir=d)

    def _sensor_reader(self) -> None:
        sock = self._sensor_sock
        cred_size = struct.calcsize("iII")
        while not self.stop_event.is_set():
            try:
                data, anc, _flags, _addr = sock.recvmsg(65536, socket.CMSG_SPACE(cred_size))
            except TimeoutError:
                continue
            except OSError:
                if self.stop_event.is_set():
                    return
                time.sleep(0.05)
                continue
            try:
                creds = None
                for level, kind, payload in anc:
                    if level == socket.SOL_SOCKET and kind == SCM_CREDENTIALS and len(payload) >= cred_size:
                        creds = struct.unpack("iII", payload[:cred_size])
                msg = json.loads(data)
                if not isinstance(msg, dict):
                    continue
                self._on_sensor(msg, creds)
            except Exception:
                self.metrics.errors.labels("sensor").inc()

    # ------------------------------------------------------------------ handlers

    def _handle(self, ev) -> None:
        """Handle one event or a batch: first the /proc reads of every exec, then the classification of
        those the classifier does not already allow, so that each phase runs with warm caches."""
        novel = []
        for item in ev if isinstance(ev, list) else [ev]:
            try:
                if isinstance(item, procconn.Exec):
                    if self.track_execs:
                        self.exec_seen.add(item.pid)
                    read = self._read_exec(item.pid, "netlink")
                    if read is not None:
                        novel.append((item, read))
                elif isinstance(item, procconn.Exit):
                    self._forget(item.pid)
            except Exception:
                self.metrics.errors.labels("event").inc()
                log.exception("event handler error")
        for item, read in novel:
            try:
                self._classify_exec(item.pid, item.ts_ns, "netlink", *read)
            except Exception:
                self.metrics.errors.labels("event").inc()
                log.exception("event handler error")

    def _forget(self, pid: int) -> None:
        self._signals.pop(pid, None)
        self.net.forget(pid)
        start = self._starts.pop(pid, None)
        if start is not None:
            self._seen.pop((pid, start), None)
            self._acted.pop((pid, start), None)

    def on_exec(self, pid: int, ts_ns: int | None, source: str) -> None:
        """Classify a process that just exec'd and act."""
        read = self._read_exec(pid, source)
        if read is not None:
            self._classify_exec(pid, ts_ns, source, *read)

    def _read_exec(self, pid: int, source: str) -> tuple | None:
        """What an exec needs classifying, or None when the process is gone or the exec is known and allowed.

        The common case, an exec the classifier has seen and allowed before,
        costs one small /proc read, one stat and one lookup; at 100 execs/s
        this path is most of what the agent does.
        """
        raw = processes.read_cmdline_raw(pid)
        if raw is None:
            return None
        identity = processes.exe_identity(pid)
        self.metrics.count_checked(source)
        if self.classifier.known_allowed(raw, identity):
            return None
        argv = processes.split_cmdline(raw)
        exe = processes.read_exe(pid)
        # comm is set at exec from the executed path's name, so it only tells something new when argv[0]
        # and the executable disagree (a symlink of another name run with argv[0] set to the target's name
        # slips through here; the sweep reads comm for every process within rescan_interval_s)
        name = processes.comm_name(exe or "")
        comm = name if argv and processes.comm_name(argv[0]) == name else processes.read_comm(pid)
        return raw, identity, argv, exe, comm

    def _classify_exec(self, pid: int, ts_ns: int | None, source: str, raw: bytes, identity: tuple | None,
                       argv: list[str], exe: str | None, comm: str) -> None:
        assessment = self.classifier.classify(pid, argv, exe, comm, identity)
        if assessment.action == "allow":
            # not entered in _seen: the next sweep looks at it once more, from the caches
            self.classifier.remember_allowed(raw, identity, pid, argv, exe, comm)
            return
        stat = processes.read_stat(pid)
        if stat is None:
            return
        key = (pid, stat["start"])
        self._seen[key] = "\0".join(argv)
        self._starts[pid] = stat["start"]
        self._acted.pop(key, None)  # a new program image in the same process: decide afresh
        self.decide(pid, stat["start"], assessment, source, ts_ns, argv=argv)

    def sweep(self, source: str = "psutil") -> int:
        """Check every process whose command line is new or changed since we last looked."""
        import psutil

        count = 0
        now_keys: set[tuple[int, int]] = set()
        for p in psutil.process_iter(["pid"]):
            pid = p.info["pid"]
            stat = processes.read_stat(pid)
            if stat is None or processes.is_kernel_thread(pid, stat):
                continue
            key = (pid, stat["start"])
            now_keys.add(key)
            argv = processes.read_cmdline(pid)
            if argv is None:
                continue
            joined = "\0".join(argv)
            if self._seen.get(key) == joined:
                continue
            rewritten = key in self._seen
            self._seen[key] = joined
            self._starts[pid] = stat["start"]
            count += 1
            self.metrics.count_checked(source)
            assessment = self.classifier.classify(pid, argv, processes.read_exe(pid), stat["comm"])
            if assessment.action != "allow":
                if rewritten:
                    for f in assessment.findings:
                        f.details.setdefault("note", "command line rewritten after exec")
                self.decide(pid, stat["start"], assessment, source, None, argv=argv)
        for key in [k for k in self._seen if k not in now_keys]:
            self._seen.pop(key, None)
            if self._starts.get(key[0]) == key[1]:
                self._starts.pop(key[0], None)
        for key in [k for k in self._acted if k not in now_keys]:
            self._acted.pop(key, None)
        return count

    def network_scan(self) -> None:
        pids = []
        for pid in processes.all_pids():
            if pid in self.guard.own:
                continue
            pids.append(pid)
        for pid, pnet in self.net.scan(pids).items():
            findings = self.net.classify(pnet)
            if not findings:
                continue
            stat = processes.read_stat(pid)
            if stat is None:
                continue
            assessment = Assessment(list(findings))
            # combine with what we know about the process itself
            argv = processes.read_cmdline(pid) or []
            assessment.findings += self.classifier.classify(pid, argv, processes.read_exe(pid), stat["comm"]).findings
            assessment.findings += self._signals.get(pid, [])
            details = pnet.summary()
            for f in assessment.findings:
                if f.source == "network":
                    f.details.setdefault("sockets", details)
            self.decide(pid, stat["start"], assessment, "network", None, argv=argv)

    def resource_scan(self) -> None:
        if self.cfg.report_usage and getattr(self.recorder, "ledger", None) is not None:
            self._report_usage()
        pids = processes.all_pids()
        rates = self.cpu.sample(pids)
        owners = {}
        for pid in rates:
            uid = processes.read_uid(pid)
            owners[pid] = processes.user_name(uid) if uid is not None else ""
        for user, cores in per_user(rates, owners).items():
            self.metrics.cpu.labels(user or "unknown").set(round(cores, 3))
        for pid in rates:
            found = self.cpu.findings(pid)
            if found:
                self._signals[pid] = [f for f in self._signals.get(pid, []) if f.source != "resource"] + found
        if self.gpu is not None:
            status = self.gpu.sample()
            self.gpu_status = {"available": status.available, "reason": status.reason, "devices": status.devices,
                               "processes": status.processes}
            if status.available:
                per: dict[str, float] = {}
                for p in status.processes:
                    if "pid" not in p:
                        continue
                    chain = processes.ancestry(p["pid"], limit=32)
                    user, _ = processes.user_of(chain)
                    p["user"] = user
                    p["kernel"] = processes.kernel_of(chain)
                    per[user] = per.get(user, 0.0) + float(p.get("memory_bytes") or 0)
                for user, mem in per.items():
                    self.metrics.gpu_memory.labels(user or "unknown").set(mem)

    def _report_usage(self) -> None:
        """Hub quotas: the same accounting as the hub service's own sampler, for this host."""
        if getattr(self, "_usage", None) is None:
            from ..hub.models import HubStore
            from ..hub.quotas import UsageSampler

            self._usage = (UsageSampler(gpu=self.cfg.gpu, source=f"agent:{socket.gethostname()}"),
                           HubStore(self.recorder.ledger))
        sampler, store = self._usage
        sampler.sample_and_record(store)

    # ------------------------------------------------------------------ sensor

    def _on_sensor(self, msg: dict[str, Any], creds: tuple[int, int, int] | None) -> None:
        kind = str(msg.get("type", "?"))[:32]
        self.metrics.sensor_events.labels(kind).inc()
        claimed = msg.get("pid")
        pid = creds[0] if creds else claimed
        msg["verified"] = bool(creds and creds[0] == claimed)
        msg["pid"] = pid
        if creds:
            msg["uid"] = creds[1]
        if kind == "hello":
            reply = str(msg.get("reply") or "")
            expected = os.path.join(self.cfg.sensor_dir, f"k-{pid}.sock")
            self.sensors[pid] = {**msg, "reply": reply if reply == expected else "", "at": time.time()}
            return
        if kind == "subprocess":
            argv = msg.get("argv") or []
            name = os.path.basename(argv[0]) if argv else ""
            self.spawns.append((time.monotonic(), pid, name, msg))
            verdict = msg.get("verdict") or {}
            if msg.get("vetoed") or verdict.get("action") in ("block", "warn"):
                self._sensor_decision(msg, "veto" if msg.get("vetoed") else "report", verdict)
            return
        if kind in ("compile", "import"):
            verdict = msg.get("verdict") or {}
            if verdict.get("action") in ("block", "warn"):
                self._sensor_decision(msg, "veto" if msg.get("vetoed") else "report", verdict)
            return
        if kind == "open" and msg.get("category"):
            self._sensor_decision(msg, "report", {"action": "warn", "category": msg["category"],
                                                  "rules": [f"agent.sensor.file.{msg['category']}"],
                                                  "evidence": [msg.get("path", "")]})
            return
        if kind == "connect" and msg.get("pool_port"):
            finding = AgentFinding("agent.sensor.pool-port", "crypto_mining", "warn",
                                   "Python code connected to a mining-pool port",
                                   f"{msg.get('host')}:{msg.get('port')}", "sensor", {"cell": msg.get("cell")})
            self._signals.setdefault(pid, []).append(finding)

    def _sensor_decision(self, msg: dict[str, Any], action: str, verdict: dict[str, Any]) -> None:
        pid = msg.get("pid")
        chain = processes.ancestry(pid) if isinstance(pid, int) else []
        user, user_how = processes.user_of(chain)
        package = msg.get("package")
        dependency = bool(package)
        category = verdict.get("category")
        pod = processes.pod_of(chain[0].cgroup) if chain else None
        decision = {
            "kind": "sensor", "source": f"sensor.{msg.get('type')}", "user": user, "user_source": user_how, "pod": pod,
            "action": action if not self.cfg.dry_run or action != "veto" else "audit",
            "category": category, "severity": "block" if action == "veto" else "warn",
            "rules": list(verdict.get("rules") or []), "verdict": verdict.get("action"),
            "kernel": {"pid": pid, "kernel_id": msg.get("kernel_id", "")}, "cmdline": msg.get("argv") or [],
            "attribution": "dependency" if dependency else "user-code",
            "strike": action == "veto" and (not dependency or self.cfg.strike_dependencies),
            "evidence": {"sensor": {k: v for k, v in msg.items() if k not in ("type",)}, "verified": msg["verified"],
                         "pod": pod},
            "rules_version": getattr(self.classifier.engine, "version", ""),
        }
        decision["message"] = _message_sensor(decision, msg)
        self._record(decision)

    def sensor_origin(self, chain: list[processes.Proc], argv: list[str], exe: str | None,
                      wait_s: float = 0.0) -> dict[str, Any] | None:
        """The sensor report of the subprocess call that started this process (its package and cell)."""
        names = {os.path.basename(argv[0]) if argv else "", os.path.basename(exe or "")} - {""}
        pids = {p.pid for p in chain[1:]}
        deadline = time.monotonic() + wait_s
        while True:
            for _at, spid, name, msg in reversed(self.spawns):
                if spid in pids and (name in names or not names):
                    return msg
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.005)

    # ------------------------------------------------------------------ decide and act

    def in_scope(self, chain: list[processes.Proc]) -> tuple[bool, str]:
        cfg = self.cfg
        if cfg.scope_env:
            for proc in chain:
                env = processes.read_environ(proc.pid, tuple(cfg.scope_env)) if not all(
                    k in proc.env for k in cfg.scope_env) else proc.env
                if all(env.get(k) == v for k, v in cfg.scope_env.items()):
                    break
            else:
                return False, "outside the configured scope"
        target = chain[0]
        if target.uid is not None and target.uid >= cfg.min_uid:
            return True, f"uid {target.uid}"
        if any(p.env.get("JUPYTERHUB_USER") or p.env.get("NBWARDEN_KERNEL_ID") for p in chain):
            return True, "JupyterHub user environment"
        if processes.kernel_of(chain):
            return True, "under a Jupyter kernel"
        return False, "system process (uid below min_uid, not under a kernel)"

    def decide(self, pid: int, start: int, assessment: Assessment, source: str, ts_ns: int | None,
               argv: list[str] | None = None) -> dict[str, Any] | None:
        key = (pid, start)
        top = assessment.top
        if top is None or assessment.action == "allow":
            return None
        cfg = self.cfg
        severity = assessment.severity
        category = assessment.category
        planned = cfg.category_actions.get(category or "", cfg.on_block if severity == "block" else cfg.on_warn)
        previous = self._acted.get(key)
        if previous is not None and (previous != "report" or planned != "kill"):
            return None  # already handled this process (a report is redone only when it now means a kill)
        chain = processes.ancestry(pid)
        if not chain or chain[0].start != start:
            return None
        target = chain[0]
        ok, scope_reason = self.in_scope(chain)
        if not ok:
            self.metrics.spared.labels(top.rule, "out-of-scope").inc()
            self._acted[key] = "spared"
            if cfg.scope_env:
                return None  # not ours at all (e.g. tests sharing a host): stay silent
            emit("spared", rule=top.rule, pid=pid, reason=scope_reason, cmdline=target.cmdline[:16])
            return None
        user, user_how = processes.user_of(chain)
        restrictions = self.recorder.restrictions(user)
        if planned != "kill" and severity == "warn" and any(
                getattr(r, "level", "") == "block_category" and getattr(r, "category", None) == category
                for r in restrictions):
            planned = "kill"  # the user is already restricted in this category
        reason = self.guard.protected(target)
        action = planned
        if reason:
            action = "report"
            self.metrics.spared.labels(top.rule, reason).inc()
        elif planned == "kill" and cfg.dry_run:
            action = "would_kill"
            self.metrics.spared.labels(top.rule, "dry-run").inc()
        result = None
        if action == "kill":
            result = actions.kill_tree(pid, start, self.guard)
            if result.gone and not result.killed:
                action = "report"
                self.metrics.spared.labels(top.rule, "exited").inc()
            else:
                self.metrics.killed.labels(top.rule, category or "").inc()
                latency = self._latency(ts_ns, start, result.at_ns)
                if latency is not None:
                    self.metrics.kill_latency.observe(latency)
        self._acted[key] = "kill" if action == "kill" else action
        kernel = processes.kernel_of(chain)
        origin = self.sensor_origin(chain, target.cmdline, target.exe,
                                    wait_s=0.2 if kernel and kernel.get("pid") in self.sensors else 0.0)
        packages = processes.packages_in_chain(chain)
        package = (origin or {}).get("package") or (packages[0] if packages else None)
        dependency = package is not None
        ref = uuid.uuid4().hex[:12]  # the reference the cell's explanation quotes, before the decision is written
        kernel_notes = (self._act_on_kernel(kernel, action, target, top, category, package, ref)
                        if kernel else {})
        pod = processes.pod_of(target.cgroup)
        decision = {
            "ref": ref, "kind": "process", "source": source, "action": action, "pid": pid, "user": user, "user_source": user_how,
            "pod": pod,
            "scope": scope_reason, "category": category, "severity": severity, "confidence": assessment.confidence,
            "rules": _rules(assessment), "verdict": assessment.action, "cmdline": target.cmdline[:64],
            "exe": target.exe, "kernel": kernel, "attribution": "dependency" if dependency else "user",
            "strike": action == "kill" and (not dependency or cfg.strike_dependencies),
            "spared_reason": reason or None,
            "evidence": {
                "findings": [f.to_dict() for f in assessment.findings],
                "chain": processes.describe_chain(chain[:12]),
                "cgroup": target.cgroup, "pod": pod, "package": package, "packages_in_chain": packages,
                "sensor": origin, "killed": result.killed if result else [],
                "latency_s": self._latency(ts_ns, start, result.at_ns) if result and result.killed else None,
                "kernel_action": kernel_notes,
            },
            "rules_version": getattr(self.classifier.engine, "version", ""),
        }
        decision["message"] = _message_process(decision, top)
        self._record(decision)
        return decision

    def _latency(self, ts_ns: int | None, start: int, at_ns: int) -> float | None:
        if not at_ns:
            return None
        if ts_ns:
            return max(0.0, (at_ns - ts_ns) / 1e9)
        # sweep: from the process start (clock ticks since boot) to now
        started = start / TICKS
        return max(0.0, time.clock_gettime(BOOT_CLOCK) - started)

    def _act_on_kernel(self, kernel: dict, action: str, target: processes.Proc, top: AgentFinding,
                       category: str | None, package: dict | None, ref: str) -> dict[str, Any]:
        notes: dict[str, Any] = {}
        if action not in ("kill", "report") or self.cfg.kernel_action == "none":
            return notes
        kpid = kernel.get("pid")
        sensor = self.sensors.get(kpid) if kpid else None
        explanation = {"kind": "process", "fields": {
            "action": action, "pid": target.pid, "name": target.name, "category": category, "rule": top.rule,
            "evidence": top.evidence, "package": package, "ref": ref, "policy_url": self.cfg.policy_url,
            "appeal_url": self.cfg.appeal_url}}
        if sensor and sensor.get("reply"):
            notes["notified"] = actions.notify_sensor(sensor["reply"], explanation, raise_in_cell=action == "kill")
        if action == "kill" and kpid:
            if self.cfg.kernel_action == "interrupt":
                notes["interrupted"] = actions.interrupt_kernel(int(kpid))
            elif self.cfg.kernel_action == "shutdown":
                notes["shutdown"] = actions.shutdown_kernel(kernel, self.guard)
        return notes

    def _record(self, decision: dict[str, Any]) -> None:
        try:
            rec = self.recorder.record(decision)
        except Exception as exc:
            self.metrics.errors.labels("record").inc()
            rec = {"ref": decision.get("ref"), "error": str(exc)}
        decision.update({"ref": rec.get("ref"), "recorded_via": rec.get("via"),
                         "restriction": rec.get("restriction")})
        self.metrics.reported.labels(decision["rules"][0] if decision["rules"] else "",
                                     decision.get("category") or "", decision["action"]).inc()
        with self._lock:
            self.decisions.append(decision)
        emit("decision", **{k: decision.get(k) for k in ("ref", "action", "kind", "source", "pid", "user", "pod",
                                                          "category", "rules", "attribution", "cmdline", "message")})

    # ------------------------------------------------------------------ egress

    def _apply_egress(self) -> None:
        e = self.cfg.egress
        try:
            network.apply_egress(list(e.get("ports", [80, 443, 9418])), tuple(e.get("uid_range", (1000, 65533))),
                                 netns=e.get("netns"), allow_loopback=e.get("allow_loopback", True))
            emit("egress policy installed", ports=e.get("ports", [80, 443, 9418]))
        except Exception as exc:
            emit("egress policy failed", logging.ERROR, error=str(exc))

    def egress_report(self) -> list[dict[str, Any]]:
        e = self.cfg.egress
        attempts = network.blocked_attempts(e.get("netns"))
        new = []
        seen = getattr(self, "_egress_seen", set())
        for a in attempts:
            k = (a["uid"], a["address"], a["port"])
            if k not in seen:
                seen.add(k)
                new.append(a)
        self._egress_seen = seen
        for a in new:
            self.metrics.egress_blocked.inc()
            user = processes.user_name(int(a["uid"])) if str(a["uid"]).isdigit() else str(a["uid"])
            category = "crypto_mining" if a["port"] in self.sigs.pool_ports else None
            self._record({"kind": "network", "source": "egress", "action": "report", "user": user,
                          "category": category, "severity": "warn", "rules": ["agent.egress.blocked"],
                          "verdict": "block", "cmdline": [], "attribution": "user", "strike": False,
                          "evidence": {"blocked": a}, "message": f"blocked egress to {a['address']}:{a['port']}"})
        return new


def _rules(assessment: Assessment) -> list[str]:
    out: list[str] = []
    for f in sorted(assessment.findings, key=lambda f: -{"block": 3, "warn": 2, "audit": 1}.get(f.severity, 0)):
        if f.rule not in out:
            out.append(f.rule)
    return out


def _message_process(d: dict[str, Any], top: AgentFinding) -> str:
    what = {"kill": "was stopped", "would_kill": "would have been stopped (dry run)",
            "report": "was reported"}.get(d["action"], d["action"])
    name = os.path.basename(d["cmdline"][0]) if d.get("cmdline") else str(d.get("pid"))
    text = f"Process {d.get('pid')} ({name}) {what}: {(d.get('category') or 'policy').replace('_', ' ')} " \
           f"(rule {top.rule}; {top.evidence})."
    if d.get("attribution") == "dependency":
        pkg = d["evidence"].get("package") or {}
        text += f" Started by the package {pkg.get('name')} {pkg.get('version', '')}; the user is not penalised."
    return text


def _message_sensor(d: dict[str, Any], msg: dict[str, Any]) -> str:
    what = "blocked" if d["action"] == "veto" else "reported"
    text = f"In-kernel sensor {what} {msg.get('type')} in cell {msg.get('cell')}: " \
           f"{(d.get('category') or 'policy').replace('_', ' ')} ({', '.join(d['rules'][:3])})."
    if d.get("attribution") == "dependency":
        pkg = msg.get("package") or {}
        text += f" Called from the package {pkg.get('name')} {pkg.get('version', '')}."
    return text
