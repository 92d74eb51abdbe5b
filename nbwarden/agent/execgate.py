"""The exec gate: deny a prohibited program before it runs a single instruction.

Linux fanotify permission events (``FAN_OPEN_EXEC_PERM``) make the kernel
hold every exec of a file on a marked mount until a root process answers
allow or deny.  A denied ``execve`` fails with ``EPERM``: the program never
runs, not even for a microsecond, so a renamed miner, a short-lived cracker
or a tunnel that forks into the background at once never gets started.  A
kill after exec (the agent's proc-connector path, cryptnono) always lets the
program run for a while first.

Pieces, top to bottom:

* :class:`Fanotify`: ``fanotify_init`` / ``fanotify_mark`` through ctypes
  (no compiler, no kernel headers), event parsing and responses;
* :class:`Decider`: one executable -> allow / deny / report, using the core
  engine (:meth:`nbwarden.engine.Engine.check_file`: signature patterns of
  the rule packs over the bytes, ``#!`` scripts as code, the name as a
  command), SHA-256 deny and allow lists, system paths, the packer policy;
* :class:`ExecGate`: the event loop.  Cheap decisions (cache hits, system
  paths) are answered in the reading thread; content checks go to worker
  threads.  Every event has a deadline; a watchdog thread answers what is
  still pending when it passes (allow-and-report, or deny with
  ``fail_closed``), and drains the queue itself if the reading thread
  stalls.  Decisions are cached by (device, inode, size, mtime);
* :class:`GateProcess`: how ``nbwarden agent`` runs the gate: a child
  process (``python -m nbwarden.agent.execgate --child``), so that nothing
  in the agent (the GIL, a slow ledger write, a crash) can hold execs, and
  ``PR_SET_PDEATHSIG`` ends it with the agent.  The child reports decisions
  and heartbeats as JSON lines; the agent records them through its recorder
  (ledger and strike ladder) and tells the kernel's sensor, which writes the
  explanation under the cell.  A child that stops sending heartbeats is
  SIGKILLed and restarted;
* :func:`main`: the gate on its own (``python -m nbwarden.agent.execgate``).

When the fanotify group's file descriptor closes (the gate exits, crashes or
is SIGKILLed) the kernel removes its marks and answers every pending event
with allow, so a dead gate never wedges the host.  A *frozen* gate (SIGSTOP)
would hold execs on its mounts: the agent's heartbeat check kills it.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import hashlib
import json
import logging
import os
import queue
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ..links import appeal_link, policy_section

log = logging.getLogger("nbwarden.agent")

# <linux/fanotify.h>
FAN_CLOEXEC = 0x01
FAN_NONBLOCK = 0x02
FAN_CLASS_CONTENT = 0x04
FAN_UNLIMITED_QUEUE = 0x10
FAN_OPEN_PERM = 0x00010000
FAN_OPEN_EXEC_PERM = 0x00040000
FAN_Q_OVERFLOW = 0x00004000
FAN_MARK_ADD = 0x01
FAN_MARK_REMOVE = 0x02
FAN_MARK_MOUNT = 0x10
FAN_ALLOW = 0x01
FAN_DENY = 0x02
FAN_NOFD = -1
AT_FDCWD = -100
PR_SET_PDEATHSIG = 1
METADATA = struct.Struct("=IBBHQii")  # event_len, vers, reserved, metadata_len, mask, fd, pid
RESPONSE = struct.Struct("=iI")       # fd, response
O_LARGEFILE = getattr(os, "O_LARGEFILE", 0) or 0o100000

DEFAULT_PATHS = ["/home", "/root", "/tmp", "/var/tmp", "/dev/shm", "/content", "/srv"]
SYSTEM_PATHS = ["/usr/", "/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/opt/"]
CATEGORY_LABEL = {"crypto_mining": "cryptocurrency mining", "password_cracking": "password cracking",
                  "proxy_tunnel": "proxies and tunnels", "remote_desktop_ssh": "remote desktops and SSH servers",
                  "torrent_p2p": "torrents and peer-to-peer sharing", "web_file_hosting": "web and file hosting",
                  "dos_attack": "denial-of-service attacks", "deepfake": "deepfakes"}


# ---------------------------------------------------------------------- fanotify through ctypes

_libc = None


def _lib():
    global _libc
    if _libc is None:
        lib = ctypes.CDLL(None, use_errno=True)
        lib.fanotify_init.argtypes = [ctypes.c_uint, ctypes.c_uint]
        lib.fanotify_init.restype = ctypes.c_int
        lib.fanotify_mark.argtypes = [ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_int, ctypes.c_char_p]
        lib.fanotify_mark.restype = ctypes.c_int
        lib.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        _libc = lib
    return _libc


@dataclass(slots=True)
class Event:
    mask: int
    fd: int
    pid: int


class Fanotify:
    """One fanotify group of class FAN_CLASS_CONTENT (permission events)."""

    def __init__(self, *, nonblock: bool = True) -> None:
        flags = FAN_CLASS_CONTENT | FAN_CLOEXEC | (FAN_NONBLOCK if nonblock else 0)
        fd = _lib().fanotify_init(flags, os.O_RDONLY | O_LARGEFILE | os.O_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"fanotify_init: {os.strerror(err)}")
        self.fd = fd
        self.marked: list[str] = []

    def fileno(self) -> int:
        return self.fd

    def mark(self, path: str, mask: int = FAN_OPEN_EXEC_PERM, *, mount: bool = True) -> None:
        flags = FAN_MARK_ADD | (FAN_MARK_MOUNT if mount else 0)
        if _lib().fanotify_mark(self.fd, flags, mask, AT_FDCWD, os.fsencode(path)) < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"fanotify_mark {path}: {os.strerror(err)}")
        self.marked.append(path)

    def read(self, size: int = 65536) -> list[Event]:
        try:
            buf = os.read(self.fd, size)
        except BlockingIOError:
            return []
        except InterruptedError:
            return []
        out: list[Event] = []
        off = 0
        while off + METADATA.size <= len(buf):
            length, _vers, _res, _mlen, mask, fd, pid = METADATA.unpack_from(buf, off)
            if length < METADATA.size:
                break
            out.append(Event(mask, fd, pid))
            off += length
        return out

    def respond(self, fd: int, allow: bool) -> bool:
        try:
            os.write(self.fd, RESPONSE.pack(fd, FAN_ALLOW if allow else FAN_DENY))
            return True
        except OSError:  # ENOENT: already answered (or the group is closing)
            return False

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # the kernel drops the marks and allows whatever is pending
            self.fd = -1


def available(probe_dir: str | None = None) -> tuple[bool, str]:
    """Can this process get exec permission events?  (ok, reason when not)."""
    try:
        fan = Fanotify()
    except OSError as exc:
        why = {errno.EPERM: "needs CAP_SYS_ADMIN (run the agent as root)",
               errno.ENOSYS: "the kernel has no fanotify",
               errno.EINVAL: "the kernel lacks fanotify permission events"}.get(exc.errno, "")
        return False, f"{exc.strerror or exc}{': ' + why if why else ''}"
    try:
        # an inode mark on a directory: nothing ever execs a directory, so this holds nothing
        fan.mark(probe_dir or os.path.dirname(os.path.abspath(__file__)), FAN_OPEN_EXEC_PERM, mount=False)
        return True, ""
    except OSError as exc:
        why = "the kernel lacks FAN_OPEN_EXEC_PERM (Linux 5.0+, CONFIG_FANOTIFY_ACCESS_PERMISSIONS)" \
            if exc.errno == errno.EINVAL else ""
        return False, f"{exc.strerror or exc}{': ' + why if why else ''}"
    finally:
        fan.close()


def mount_point(path: str) -> str:
    """The mount point that holds ``path`` (longest prefix in /proc/self/mountinfo)."""
    real = os.path.realpath(path)
    best = "/"
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) < 5:
                    continue
                mnt = parts[4].replace("\\040", " ")
                if (real == mnt or real.startswith(mnt.rstrip("/") + "/")) and len(mnt) > len(best):
                    best = mnt
    except OSError:
        pass
    return best


# ---------------------------------------------------------------------- settings and decisions

@dataclass
class GateConfig:
    """Settings of the exec gate (``exec_gate_settings:`` in the agent's YAML)."""

    mode: str = "on"                      # on | audit (record "would deny", deny nothing)
    paths: list[str] = field(default_factory=lambda: list(DEFAULT_PATHS))  # their mounts are marked
    notebook_root: str = ""               # also marked (JupyterHub's notebook_dir, a shared volume...)
    extra_paths: list[str] = field(default_factory=list)
    system_paths: list[str] = field(default_factory=lambda: list(SYSTEM_PATHS))
    allow_paths: list[str] = field(default_factory=list)     # prefixes never denied
    allow_names: list[str] = field(default_factory=list)     # basenames never denied
    allow_uids: list[int] = field(default_factory=list)      # processes of these uids are never denied
    allow_hashes: list[str] = field(default_factory=list)    # sha256 of executables always allowed
    deny_hashes: dict[str, str] = field(default_factory=dict)  # sha256 -> category (denied even in /usr)
    hash_files: list[str] = field(default_factory=list)      # lines "sha256 [category|allow]"
    scope_env: dict[str, str] = field(default_factory=dict)  # deny only processes whose chain has these
    deadline_ms: float = 1000.0           # per event; then the default answer
    fail_closed: bool = False             # default answer on timeout/overload: deny instead of allow
    read_budget: int = 16 << 20           # bytes of an executable searched (head and tail)
    hash_limit: int = 256 << 20           # files larger than this are not hashed
    on_warn: str = "report"               # engine verdict warn: report (allow) | deny
    packed: str = "report"                # UPX and similar in user paths: allow | report | deny
    workers: int = 2
    max_pending: int = 4096               # more events than this in flight = overloaded
    cache_size: int = 16384
    report_every_s: float = 10.0          # repeated denials of one file: one report per interval (+count)
    appeal_url: str = "https://example.org/acceptable-use/appeal"
    policy_url: str = ""                  # the explanation links to its section of the category (nbwarden.links)
    debug_delay_ms: float = 0.0           # tests and benchmarks: slow every content check down

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> GateConfig:
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown exec gate setting(s): {', '.join(unknown)}")
        return cls(**data)

    def all_paths(self) -> list[str]:
        out = [*self.paths, *self.extra_paths]
        if self.notebook_root:
            out.append(self.notebook_root)
        return out


@dataclass(slots=True)
class Decision:
    """What the gate says about one executable (cached by file identity)."""

    action: str                 # allow | deny | report (allow, but tell)
    reason: str                 # system-path | allow-hash | allow-path | clean | signature | hash | packed | ...
    category: str | None = None
    severity: str = ""
    rules: list[str] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    sha256: str = ""
    packed: str = ""
    notes: list[str] = field(default_factory=list)
    check_us: int = 0


def load_hash_files(cfg: GateConfig) -> None:
    for path in cfg.hash_files:
        try:
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    parts = line.split("#", 1)[0].split()
                    if not parts or len(parts[0]) != 64:
                        continue
                    digest, label = parts[0].lower(), (parts[1] if len(parts) > 1 else "deny")
                    if label == "allow":
                        cfg.allow_hashes.append(digest)
                    else:
                        cfg.deny_hashes[digest] = label if label != "deny" else "policy"
        except OSError as exc:
            log.warning("exec gate: hash file %s unreadable: %s", path, exc)


class Decider:
    """One executable (an open fd and its path) -> :class:`Decision`.  Thread-safe."""

    def __init__(self, engine, cfg: GateConfig) -> None:
        self.engine = engine
        self.cfg = cfg
        self.allow_hashes = {h.lower() for h in cfg.allow_hashes}
        self.deny_hashes = {k.lower(): v for k, v in cfg.deny_hashes.items()}
        self.allow_paths = tuple(cfg.allow_paths)
        self.system_paths = tuple(cfg.system_paths)
        self.allow_names = set(cfg.allow_names)
        self.rules_version = getattr(engine, "version", "")

    def is_system(self, path: str, st: os.stat_result) -> bool:
        """Under a system prefix, owned by root and not writable by group or others."""
        return path.startswith(self.system_paths) and st.st_uid == 0 and not st.st_mode & 0o022

    def quick(self, path: str, st: os.stat_result) -> Decision | None:
        """A decision that needs no read of the file, or None."""
        if path.startswith(self.allow_paths) and self.allow_paths:
            return Decision("allow", "allow-path")
        if os.path.basename(path) in self.allow_names:
            return Decision("allow", "allow-name")
        if not self.deny_hashes and self.is_system(path, st):
            return Decision("allow", "system-path")
        return None

    def decide(self, fd: int, path: str, st: os.stat_result) -> Decision:
        t0 = time.perf_counter_ns()
        decision = self.quick(path, st) or self._content(fd, path, st)
        decision.check_us = (time.perf_counter_ns() - t0) // 1000
        return decision

    def _content(self, fd: int, path: str, st: os.stat_result) -> Decision:
        cfg = self.cfg
        if cfg.debug_delay_ms:
            time.sleep(cfg.debug_delay_ms / 1000)
        system = self.is_system(path, st)
        want_hash = bool(self.deny_hashes or self.allow_hashes) and st.st_size <= cfg.hash_limit
        data, digest, notes = read_fd(fd, st.st_size, cfg.read_budget, want_hash)
        if digest and digest in self.allow_hashes:
            return Decision("allow", "allow-hash", sha256=digest)
        if digest and digest in self.deny_hashes:
            category = self.deny_hashes[digest]
            category = category if category in CATEGORY_LABEL else None
            finding = {"rule": "execgate.hash-deny", "category": category, "severity": "block",
                       "description": "This executable is on the operator's deny list.",
                       "evidence": f"sha256 {digest}", "pattern": "hash"}
            return Decision("deny", "hash", category, "block", ["execgate.hash-deny"], [finding], digest, notes=notes)
        if system:
            return Decision("allow", "system-path", sha256=digest)
        verdict = self.engine.check_file(data, name=path)  # never raises; a failed step leaves verdict.error
        from ..engine import packer

        packed = packer(data) or ""
        findings = [f.to_dict() for f in verdict.findings if f.severity in ("block", "warn")]
        rules = [f["rule"] for f in findings]
        notes = [*notes, *verdict.notes, *([f"text-level check only: {verdict.error}"] if verdict.error else [])]
        if verdict.action == "block":
            return Decision("deny", "signature", verdict.category, "block", rules, findings, digest, packed, notes)
        if verdict.action == "warn":
            action = "deny" if cfg.on_warn == "deny" else "report"
            return Decision(action, "warn", verdict.category, "warn", rules, findings, digest, packed, notes)
        if packed and cfg.packed in ("report", "deny"):
            finding = {"rule": "execgate.packed", "category": None, "severity": "block" if cfg.packed == "deny"
                       else "warn", "description": f"The executable is packed ({packed}), which hides its contents.",
                       "evidence": f"{os.path.basename(path)}: {packed} packer", "pattern": "packer"}
            return Decision("deny" if cfg.packed == "deny" else "report", "packed", None, finding["severity"],
                            ["execgate.packed"], [finding], digest, packed, notes)
        return Decision("allow", "clean", sha256=digest, packed=packed, notes=notes)


def read_fd(fd: int, size: int, budget: int, want_hash: bool) -> tuple[bytes, str, list[str]]:
    """(bytes to search: whole file or head+tail within ``budget``, sha256 of the whole file or '', notes)."""
    from ..engine import read_budgeted  # the engine loads lazily, as elsewhere in this module

    notes: list[str] = []
    data = read_budgeted(fd, budget, notes)
    if not want_hash:
        return data, "", notes
    if not notes:  # read whole: hash what was read
        return data, hashlib.sha256(data).hexdigest(), notes
    sha = hashlib.sha256()
    offset = 0
    while chunk := os.pread(fd, 4 << 20, offset):
        sha.update(chunk)
        offset += len(chunk)
    return data, sha.hexdigest(), notes


# ---------------------------------------------------------------------- the event loop

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
            key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
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
        from . import processes

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
        from . import processes

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


def message(d: dict[str, Any], ref: str | None = None, appeal_url: str | None = None, policy_url: str = "") -> str:
    """The sentence a user reads: the file, the rule, the evidence, what happened, the policy's section of the
    category, how to appeal (a link that opens the form with the reference)."""
    top = (d.get("evidence") or {}).get("top") or {}
    path = d.get("exe") or "?"
    label = CATEGORY_LABEL.get(d.get("category") or "", "this kind of program")
    rule = top.get("rule") or (d.get("rules") or ["?"])[0]
    evidence = top.get("evidence") or ""
    what = {"veto": "was blocked before it ran", "late": "was checked too late and ran",
            "would_deny": "would have been blocked (audit mode: it ran)", "report": "was allowed and reported",
            "spared": "was allowed (exempt)"}.get(d.get("action", ""), d.get("action", ""))
    text = f"nbwarden: the program {path} {what}: {label} is not allowed on this service " \
           f"(rule {rule}: {evidence})."
    if d.get("action") == "veto":
        text += " Not one instruction of it ran; the exec failed with 'Operation not permitted'."
    if policy_url:
        text += f" The acceptable use policy: {policy_section(policy_url, d.get('category'))}."
    if ref:
        text += f" Reference {ref}."
    if appeal_url:
        text += f" If you think this is a mistake, appeal at {appeal_link(appeal_url, ref)} and quote the reference."
    return text


# ---------------------------------------------------------------------- the gate as the agent's child process

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
        from .app import emit

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
                text = message(decision, decision.get("ref"), self.cfg.appeal_url, self.cfg.policy_url)
                from . import actions

                decision["evidence"]["notified"] = actions.notify_sensor(
                    sensor["reply"], text, raise_in_cell=False)

    def _supervise(self) -> None:
        from .app import emit

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
    from .app import emit

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


# ---------------------------------------------------------------------- standalone / child entry point

def _set_pdeathsig(parent: int) -> None:
    try:
        _lib().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if parent and os.getppid() != parent:
        os._exit(3)  # the agent died before we got here


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nbwarden.agent.execgate",
                                 description="nbwarden exec gate: deny prohibited programs before they run")
    ap.add_argument("--mount", action="append", default=[], help="mark the mount holding this path (repeatable)")
    ap.add_argument("--audit", action="store_true", help="record what would be denied, deny nothing")
    ap.add_argument("--fail-closed", action="store_true", help="deny on timeout or overload (default allow)")
    ap.add_argument("--deadline-ms", type=float)
    ap.add_argument("--cache-size", type=int)
    ap.add_argument("--workers", type=int)
    ap.add_argument("--deny-hash", action="append", default=[], help="SHA256[:CATEGORY]")
    ap.add_argument("--allow-hash", action="append", default=[])
    ap.add_argument("--allow-path", action="append", default=[])
    ap.add_argument("--hash-file", action="append", default=[])
    ap.add_argument("--rules", action="append", default=[], help="extra rule-pack directory")
    ap.add_argument("--decisions", help="write decisions as JSON lines to this file")
    ap.add_argument("--ledger", help="ledger database URL")
    ap.add_argument("--sensor-dir", help="tell kernels' sensors (k-PID.sock) about denials")
    ap.add_argument("--appeal-url")
    ap.add_argument("--policy-url")
    ap.add_argument("--stats-file", help="write the counters here on exit")
    ap.add_argument("--debug-delay-ms", type=float, help="slow each content check down (tests, benchmarks)")
    ap.add_argument("--check", action="store_true", help="say whether this host supports the gate, then exit")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--parent-pid", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--config-json", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    out_lock = threading.Lock()

    def emit_line(item: dict) -> None:
        line = json.dumps(item, default=str, ensure_ascii=False)
        with out_lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    if args.check:
        ok, why = available()
        emit_line({"type": "check", "available": ok, "reason": why})
        return 0 if ok else 1
    if args.child:
        _set_pdeathsig(args.parent_pid)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="execgate: %(message)s")
    raw = sys.stdin.read() if args.config_json == "-" else args.config_json
    conf = json.loads(raw) if raw else {}
    cfg = GateConfig.from_dict(conf.get("gate"))
    if args.mount:
        cfg.paths, cfg.extra_paths, cfg.notebook_root = list(args.mount), [], ""
    if args.audit:
        cfg.mode = "audit"
    if args.fail_closed:
        cfg.fail_closed = True
    for name in ("deadline_ms", "cache_size", "workers", "debug_delay_ms", "appeal_url", "policy_url"):
        if getattr(args, name) is not None:
            setattr(cfg, name, getattr(args, name))
    for item in args.deny_hash:
        digest, _, category = item.partition(":")
        cfg.deny_hashes[digest.lower()] = category or "policy"
    cfg.allow_hashes += [h.lower() for h in args.allow_hash]
    cfg.allow_paths += args.allow_path
    cfg.hash_files += args.hash_file
    ok, why = available()
    if not ok:
        emit_line({"type": "unavailable", "reason": why})
        return 1
    from .classify import load_engine

    engine, err = load_engine(conf.get("rules", []) + args.rules, conf.get("disable", []))
    if err:
        emit_line({"type": "error", "error": err})
    recorder = None
    if not args.child and (args.decisions or args.ledger):
        from .recorder import Recorder

        recorder = Recorder(args.ledger, args.decisions)

    def report(item: dict) -> None:
        if item.get("kind") == "exec":
            if recorder is not None:
                rec = recorder.record(item)
                item["ref"] = rec.get("ref")
                kpid = (item.get("kernel") or {}).get("pid")
                if args.sensor_dir and kpid and item["action"] in ("veto", "would_deny"):
                    from . import actions

                    item["evidence"]["notified"] = actions.notify_sensor(
                        os.path.join(args.sensor_dir, f"k-{kpid}.sock"), message(item, item["ref"], cfg.appeal_url, cfg.policy_url),
                        raise_in_cell=False)
            emit_line({"type": "decision", "decision": item})
        else:
            emit_line(item)

    gate = ExecGate(engine, cfg, report=report, own_pids={args.parent_pid} if args.parent_pid else set())
    gate.keep_waits = bool(args.stats_file)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        mounts = gate.start()
    except OSError as exc:
        emit_line({"type": "unavailable", "reason": str(exc)})
        return 1
    emit_line({"type": "ready", "mounts": mounts, "pid": os.getpid(), "mode": cfg.mode,
               "rules_version": gate.decider.rules_version})
    try:
        while not stop.wait(0.5):
            emit_line({"type": "heartbeat", "reader_age_ms": round((time.monotonic() - gate.heartbeat) * 1000, 1),
                       "stats": asdict(gate.stats)})
    finally:
        gate.close()
        if args.stats_file:
            with open(args.stats_file, "w", encoding="utf-8") as fh:
                waits = sorted(gate.waits_us)
                q = {f"wait_{name}_us": waits[min(len(waits) - 1, int(f * len(waits)))] if waits else 0
                     for name, f in (("p50", 0.5), ("p99", 0.99), ("max", 1.0))}
                json.dump({**asdict(gate.stats), **q, "pending": len(gate._pending), "mounts": mounts}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
