"""Is this process prohibited?  Command line, executable name and path, binary content.

All detection data lives in the rule packs and all matching in the core
engine: the command line goes through ``check_command``, the executable
through ``check_file`` (its name, and the packs' ``signature`` strings over
its bytes, so a renamed or stripped miner is still recognised).  The file is
read through ``/proc/PID/exe`` (which works even when it was deleted or
renamed after exec) within a size budget and hashed against the operator's
deny list.  Results are cached by (device, inode, size, mtime), so a binary is
read once however often it runs.  ``signatures.yaml`` keeps only what is not
a rule: port tables, watched file names and the SHA-256 deny list.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..rules import SEVERITY_RANK
from . import processes
from .sharelinks import load_share_link_clients

HERE = Path(__file__).parent
DEFAULT_SIGNATURES = HERE / "signatures.yaml"
INTERPRETERS = {"python", "python3", "bash", "sh", "dash", "zsh", "perl", "node", "ruby"}
_SCRIPT_LIMIT = 256 << 10


def engine_error(error: str, what: str, subject: str, source: str) -> AgentFinding:
    """The engine's full check of ``subject`` failed and its text-level check decided: an audit finding,
    recorded with a hash of the input so that operators can find it, never acted on by itself."""
    digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()
    return AgentFinding("agent.engine-error", None, "audit", f"the full check of this {what} failed; the "
                        "text-level check decided", f"{error[:200]} (sha256 {digest[:16]})", source,
                        {"sha256": digest})


@dataclass(slots=True)
class AgentFinding:
    """One reason to act on a process (or a network/resource signal about it)."""

    rule: str
    category: str | None
    severity: str  # block | warn | audit
    description: str
    evidence: str
    source: str  # cmdline | name | binary | hash | script | network | resource | sensor
    details: dict[str, Any] = field(default_factory=dict)
    rule_severity: str = ""  # same meaning as the engine's Finding (policy.evaluate reads it)

    def to_dict(self) -> dict[str, Any]:
        data = {"rule": self.rule, "category": self.category, "severity": self.severity,
                "description": self.description, "evidence": self.evidence, "source": self.source}
        if self.details:
            data["details"] = self.details
        return data


@dataclass(slots=True)
class Assessment:
    """Findings about one process and the strongest of them."""

    findings: list[AgentFinding] = field(default_factory=list)

    @property
    def severity(self) -> str:
        best = "allow"
        for f in self.findings:
            if SEVERITY_RANK.get(f.severity, 0) > SEVERITY_RANK.get(best, 0):
                best = f.severity
        return best

    @property
    def action(self) -> str:
        return {"block": "block", "warn": "warn"}.get(self.severity, "allow")

    @property
    def top(self) -> AgentFinding | None:
        ranked = sorted(self.findings, key=lambda f: (-SEVERITY_RANK.get(f.severity, 0), f.source == "resource"))
        return ranked[0] if ranked else None

    @property
    def category(self) -> str | None:
        top = self.top
        return top.category if top and top.severity != "audit" else None

    @property
    def confidence(self) -> float:
        if not self.findings:
            return 0.0
        sources = {f.source for f in self.findings if f.severity != "audit" and f.category == self.category}
        base = {"block": 0.8, "warn": 0.55, "audit": 0.2}.get(self.severity, 0.0)
        return min(0.99, base + 0.06 * max(0, len(sources) - 1))


def load_engine(extra_dirs=(), disable=()):
    """The core engine, or, when a rule pack does not load, an empty one plus the error.

    The agent must keep running (names, binary signatures, network) while an
    operator fixes a broken pack; the error is logged and exported as a metric.
    """
    from ..engine import Engine
    from ..rules import PackError, RuleSet

    try:
        return Engine(extra_dirs=list(extra_dirs), disable=list(disable)), ""
    except (PackError, OSError, ValueError) as exc:
        return Engine(ruleset=RuleSet({}, [])), f"rule packs failed to load: {exc}"


class Signatures:
    """The agent's own data in signatures.yaml (and operators' private files on top).

    Program names and embedded strings are rules and live in the rule packs;
    this holds host-level tables: ports, watched file names, the hash deny list.
    """

    def __init__(self, paths: list[str | Path] | None = None) -> None:
        self.hashes: dict[str, str] = {}
        self.files: dict[str, list[str]] = {}
        self.ports: dict[str, Any] = {"pool": [], "torrent": [], "listen": {}}
        for path in [DEFAULT_SIGNATURES, *(paths or [])]:
            self.load(path)
        self._compile()

    def load(self, path: str | Path) -> None:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if data.get("programs") or data.get("binary"):
            raise ValueError(f"{path}: program names and binary strings are rules now: put them in a rule pack "
                             "('command' and 'signature' patterns)")
        self.hashes.update({k.lower(): v for k, v in (data.get("hashes") or {}).items()})
        for category, globs in (data.get("files") or {}).items():
            self.files.setdefault(category, []).extend(globs)
        ports = data.get("ports") or {}
        for key in ("pool", "torrent"):
            if key in ports:
                self.ports[key] = sorted(set(self.ports[key]) | set(ports[key]))
        for category, plist in (ports.get("listen") or {}).items():
            self.ports["listen"][category] = sorted(set(self.ports["listen"].get(category, [])) | set(plist))

    def _compile(self) -> None:
        self.listen_ports: dict[int, str] = {}
        for category, plist in self.ports["listen"].items():
            for port in plist:
                self.listen_ports.setdefault(int(port), category)
        self.pool_ports = {int(p) for p in self.ports["pool"]}
        self.torrent_ports = {int(p) for p in self.ports["torrent"]}

    def file_category(self, path: str) -> str | None:
        base = os.path.basename(path).lower()
        for category, globs in self.files.items():
            if any(fnmatch.fnmatchcase(base, g) for g in globs):
                return category
        return None


class Classifier:
    """Classify processes; thread-safe; caches binary scans."""

    def __init__(self, engine=None, signatures: Signatures | None = None, *, read_budget: int = 64 << 20,
                 cache_size: int = 4096, scripts: bool = True, share_link_clients: bool = True) -> None:
        self.engine_error = ""
        if engine is None:
            engine, self.engine_error = load_engine()
        self.engine = engine
        self.sigs = signatures or Signatures()
        # the exec gate's exception, for the same reason: a published share-link client carries frp's signature
        self.share_link_clients = load_share_link_clients() if share_link_clients else {}
        self.read_budget = read_budget
        self.scripts = scripts
        self._cache: OrderedDict[tuple, tuple[list[AgentFinding], str, bool]] = OrderedDict()
        self._cache_size = cache_size
        self._cmd_cache: OrderedDict[tuple, tuple] = OrderedDict()
        self._name_cache: OrderedDict[str, tuple] = OrderedDict()
        self._allowed: dict[tuple, bool] = {}  # (raw command line, executable identity) seen and allowed
        self._lock = threading.Lock()
        self.bytes_read = 0

    # ------------------------------------------------------------------ public

    def classify(self, pid: int, argv: list[str], exe: str | None, comm: str = "",
                 identity: tuple | None = None) -> Assessment:
        """``identity``: the executable's (device, inode, size, mtime, ...) when the caller has stat'ed it."""
        result = Assessment()
        if argv:
            result.findings += self.cmdline_findings(argv, exe)
        result.findings += self.name_findings(argv, exe, comm)
        result.findings += self.binary_findings(pid, exe, identity)
        if self.scripts and argv:
            result.findings += self.script_findings(pid, argv, exe)
        seen: set[str] = set()  # the same rule through two routes (argv and exe name) is one finding
        result.findings = [f for f in result.findings if not (f.rule in seen or seen.add(f.rule))]
        return result

    def known_allowed(self, raw: bytes, identity: tuple | None) -> bool:
        """Was this exact exec (command line and executable file) classified and allowed before?

        Most execs on a host repeat, and this answers them with one lookup and no
        parsing, which is what keeps the agent's cost per exec small.  The
        executable's identity includes its ctime, so a replaced, renamed or
        re-linked file misses; so does any change of the rule packs (a new
        classifier).
        """
        return identity is not None and (raw, identity) in self._allowed

    def remember_allowed(self, raw: bytes, identity: tuple | None, pid: int, argv: list[str], exe: str | None,
                         comm: str = "") -> None:
        """Record an allowed exec for :meth:`known_allowed`.

        Not remembered: an interpreter running a script file (the file can
        change under the same command line), and a process whose name is
        neither its argv[0] nor its executable's (run through a symlink or
        ``exec -a``), since the key leaves the name out to save a read.
        """
        if identity is None or self._script_path(pid, argv, exe) is not None:
            return
        if comm and comm not in {processes.comm_name(name) for name in (argv[0] if argv else "", exe or "")}:
            return
        with self._lock:
            if len(self._allowed) >= self._cache_size * 4:
                del self._allowed[next(iter(self._allowed))]  # oldest first
            self._allowed[(raw, identity)] = True

    def cmdline_findings(self, argv: list[str], exe: str | None) -> list[AgentFinding]:
        """Engine findings for a command line; identical command lines (most execs on a host) are cached."""
        key = (exe, tuple(argv))
        with self._lock:
            cached = self._cmd_cache.get(key)
            if cached is not None:
                self._cmd_cache.move_to_end(key)
        if cached is None:
            verdict = self.engine.check_command(argv, exe=exe)  # never raises (see Verdict.error)
            cached = tuple((f.rule, f.category, f.severity, f.description, f.evidence, f.pattern, f.via)
                           for f in verdict.findings)
            if verdict.error:
                failed = engine_error(verdict.error, "command line", "\0".join(argv), "cmdline")
                cached += ((failed.rule, None, "audit", failed.description, failed.evidence, "engine-error", ""),)
            with self._lock:
                self._cmd_cache[key] = cached
                while len(self._cmd_cache) > self._cache_size:
                    self._cmd_cache.popitem(last=False)
        return [AgentFinding(rule, cat, sev, desc, ev, "cmdline", {"pattern": pat, "via": via} if via else
                             {"pattern": pat}) for rule, cat, sev, desc, ev, pat, via in cached]

    def name_findings(self, argv: list[str], exe: str | None, comm: str = "") -> list[AgentFinding]:
        """Program-name rules of the packs applied to the executable's and the process's own names.

        ``argv[0]`` is covered by the command line; the real executable path
        and ``comm`` (which ``prctl`` can change) catch a process that lies in
        its argv.
        """
        out: list[AgentFinding] = []
        seen = {os.path.basename(argv[0]).lower()} if argv else set()
        for where, name in (("exe", (exe or "").removesuffix(" (deleted)")), ("comm", comm)):
            base = os.path.basename(name).lower()
            if not base or base in seen:
                continue
            seen.add(base)
            for rule, category, severity, description, pattern, rule_severity in self._name_verdict(name):
                out.append(AgentFinding(rule, category, severity, description, f"{where}={name}", "name",
                                        {"pattern": pattern}, rule_severity))
        return out

    def _name_verdict(self, name: str) -> tuple:
        """Engine findings for a bare program name, cached: a host runs the same few programs all day."""
        with self._lock:
            cached = self._name_cache.get(name)
        if cached is None:
            cached = tuple((f.rule, f.category, f.severity, f.description, f.pattern, f.rule_severity)
                           for f in self.engine.check_command([name]).findings)
            with self._lock:
                self._name_cache[name] = cached
                while len(self._name_cache) > self._cache_size:
                    self._name_cache.popitem(last=False)
        return cached

    def binary_findings(self, pid: int, exe: str | None, identity: tuple | None = None) -> list[AgentFinding]:
        """Findings of the executable the process runs, cached by the file's identity.

        The file is opened once and its identity checked on that descriptor: a process that exec'd again since
        ``identity`` was read (``ip netns exec``, ``env``, a shell starting a program) now runs another file,
        and scanning that one under the first one's key would pin its findings on the wrapper for good. Such a
        process is left to its newer exec's event.
        """
        identity = identity or processes.exe_identity(pid)
        if identity is None:
            return []
        with self._lock:
            cached = self._cache.get(identity)
            if cached is not None:
                self._cache.move_to_end(identity)
                return cached[0]
        try:
            fd = os.open(f"{processes.PROC}/{pid}/exe", os.O_RDONLY)
        except OSError:
            return []
        try:
            st = os.fstat(fd)
            if processes.file_identity(st) != identity:
                return []  # no longer the file the identity was read from
            findings, digest, complete = self._scan_file(fd, st.st_size, exe or f"/proc/{pid}/exe")
        finally:
            os.close(fd)
        with self._lock:
            self._cache[identity] = (findings, digest, complete)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return findings

    def script_findings(self, pid: int, argv: list[str], exe: str | None) -> list[AgentFinding]:
        """``python script.py`` / ``bash run.sh``: check the script's text with the engine."""
        found = self._script_path(pid, argv, exe)
        if found is None:
            return []
        script, path, kind = found
        try:
            with open(path, "rb") as fh:
                data = fh.read(_SCRIPT_LIMIT)
        except OSError:
            return []
        text = data.decode("utf-8", "replace")
        verdict = self.engine.check_code(text, kind)
        found = [AgentFinding(f.rule, f.category, f.severity, f.description, f.evidence, "script",
                              {"script": script, "line": f.line}) for f in verdict.findings]
        return found + ([engine_error(verdict.error, "script", text, "script")] if verdict.error else [])

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _script_path(pid: int, argv: list[str], exe: str | None) -> tuple[str, str, str] | None:
        """(script as named, path to open, language) when an interpreter runs a script file."""
        interp = os.path.basename(exe or (argv[0] if argv else "")).lower()
        base = interp.rstrip("0123456789.")
        if base not in INTERPRETERS or len(argv) < 2:
            return None
        script = next((a for a in argv[1:3] if not a.startswith("-")), None)
        if not script or argv[1] in ("-c", "-m"):
            return None
        path = script if script.startswith("/") else os.path.join(f"/proc/{pid}/cwd", script)
        return script, path, "python" if base == "python" else "shell"

    def _scan_file(self, source: str | int, size: int, label: str) -> tuple[list[AgentFinding], str, bool]:
        """Hash the executable (a path or an open descriptor) and let the engine check its name and contents
        (within the budget)."""
        from ..engine import read_budgeted

        notes: list[str] = []
        try:
            data = read_budgeted(source if isinstance(source, int) else Path(source), self.read_budget, notes)
        except OSError:
            return [], "", False
        self.bytes_read += len(data)
        complete = not notes
        digest = hashlib.sha256(data).hexdigest() if complete else ""
        findings: list[AgentFinding] = []
        if digest and digest in self.sigs.hashes:
            category = self.sigs.hashes[digest]
            findings.append(AgentFinding(f"agent.hash.{category}", category, "block",
                                         "executable matches a known-bad hash", digest, "hash",
                                         {"sha256": digest, "exe": label}, "block"))
        verdict = self.engine.check_file(data, name=label.removesuffix(" (deleted)"))
        if verdict.error:
            findings.append(engine_error(verdict.error, "executable", label, "binary"))
        share_link_client = digest in self.share_link_clients
        for f in verdict.findings:
            source = "binary" if f.pattern == "signature" else "name"
            if share_link_client and source == "binary":
                continue  # its command line and network use are still judged
            findings.append(AgentFinding(f.rule, f.category, f.severity, f.description, f.evidence, source,
                                         {"exe": label, "sha256": digest, "size": size, "notes": verdict.notes},
                                         f.rule_severity))
        return findings, digest, complete
