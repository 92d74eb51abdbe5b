"""Settings and decisions: :class:`GateConfig`, :class:`Decision`, and :class:`Decider` (one executable ->
allow / deny / report, using the core engine, hash lists, system paths and the packer policy)."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass, field, fields
from typing import Any

from ..sharelinks import load_share_link_clients, read_digests
from .messages import CATEGORY_LABEL

log = logging.getLogger("nbwarden.agent")
DEFAULT_PATHS = ["/home", "/root", "/tmp", "/var/tmp", "/dev/shm", "/content", "/srv"]
SYSTEM_PATHS = ["/usr/", "/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/opt/"]


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
    share_link_clients: bool = True       # allow the published share-link clients (nbwarden.agent.sharelinks)
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
            digests = read_digests(path)
        except OSError as exc:
            log.warning("exec gate: hash file %s unreadable: %s", path, exc)
            continue
        for digest, words in digests:
            label = words[0] if words else "deny"
            if label == "allow":
                cfg.allow_hashes.append(digest)
            else:
                cfg.deny_hashes[digest] = label if label != "deny" else "policy"


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
        # a share link is at most `audit` in the cell policy, so the client that opens it is not denied here
        self.share_link_clients = load_share_link_clients() if cfg.share_link_clients else {}
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
        from ...engine import packer

        packed = packer(data) or ""
        findings = [f.to_dict() for f in verdict.findings if f.severity in ("block", "warn")]
        rules = [f["rule"] for f in findings]
        notes = [*notes, *verdict.notes, *([f"text-level check only: {verdict.error}"] if verdict.error else [])]
        if verdict.action in ("block", "warn") and self.share_link_clients and st.st_size <= cfg.hash_limit:
            # hashed only when it would be stopped: the published clients carry a tunnel agent's signature
            digest = digest or sha256_fd(fd)
            if digest in self.share_link_clients:
                return Decision("allow", "share-link-client", sha256=digest,
                                notes=[*notes, f"published share-link client: {self.share_link_clients[digest]}"])
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
    from ...engine import read_budgeted  # the engine loads lazily, as elsewhere in this module

    notes: list[str] = []
    data = read_budgeted(fd, budget, notes)
    if not want_hash:
        return data, "", notes
    if not notes:  # read whole: hash what was read
        return data, hashlib.sha256(data).hexdigest(), notes
    return data, sha256_fd(fd), notes


def sha256_fd(fd: int) -> str:
    """The sha256 of the whole file behind ``fd`` (read by offset, so the fd's position does not matter)."""
    sha = hashlib.sha256()
    offset = 0
    while chunk := os.pread(fd, 4 << 20, offset):
        sha.update(chunk)
        offset += len(chunk)
    return sha.hexdigest()
