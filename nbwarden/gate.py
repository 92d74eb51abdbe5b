"""The gate: a jupyter_server extension that checks every cell before it runs.

Enable it with ``jupyter server extension enable nbwarden``.  At load time it

* wraps whatever kernel websocket connection class the server uses
  (``ServerApp.kernel_websocket_connection_class``) in :class:`GateMixin`, so
  that every ``execute_request`` a frontend sends is checked before the kernel
  receives it (v1 binary and legacy JSON websocket protocols alike);
* wraps the terminal websocket handler, so that a command line typed into a
  terminal is checked when Enter is pressed (or turns terminals off);
* wraps ``MappingKernelManager.start_kernel``, so that a restricted user's
  kernels refuse to start.

Decisions are made locally and synchronously (``handle_incoming_message`` is
not awaited by tornado) and written to the ledger, committed, before the
frontend gets an answer.

Blocked and warned cells never reach the kernel.  For Python kernels the gate
forwards a statement that raises ``PolicyViolation`` instead of the code
(*rewrite* mode): the kernel then aborts its queue as for any error, so "Run
All" stops at the blocked cell, and the gate replaces the kernel's traceback
with its own message on the way back.  Other kernels get a synthesized error
reply (*reply* mode).

This is the warning layer, not the security boundary: users control their own
kernel.  See the README's threat model.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shlex
import socket
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traitlets import Bool, Enum, Float, Instance, Int, List, Unicode, default
from traitlets.config import LoggingConfigurable

from .engine import Engine, Finding, Memory, Verdict, code_hash
from .ledger import DecisionRecord, Ledger, RestrictionInfo
from .policy import ACTION_RANK, Outcome, Policy

V1 = "v1.kernel.websocket.jupyter.org"
ENAME = "PolicyViolation"

CATEGORY_LABELS = {
    "deepfake": "deepfake creation",
    "crypto_mining": "cryptocurrency mining",
    "torrent_p2p": "torrents or peer-to-peer file sharing",
    "remote_desktop_ssh": "remote desktop or SSH",
    "proxy_tunnel": "a remote proxy or tunnel",
    "web_file_hosting": "file hosting, media serving or a web service",
    "dos_attack": "a denial-of-service attack",
    "password_cracking": "password cracking",
}

DEFAULT_MESSAGE = """\
{lead}
Category: {category_label} ({category}). Rule: {rules}.
Evidence: {evidence}
{next}
Please note the prohibited actions specified in the acceptable use policy: {policy_url}
Reference {ref}. If you think this is a mistake, appeal at {appeal_url} and quote the reference."""

DEFAULT_DENY = """\
Your account is restricted: {restriction}.
Reason: {reason}
Code does not run on this server while the restriction lasts.
To appeal, go to {appeal_url} and quote reference {ref}."""

LEADS = {
    "warn": "You may be executing code that is disallowed, and this may restrict your ability to use "
            "this service in the future.",
    "block": "This code is disallowed and was not run. Running disallowed code may restrict your ability to "
             "use this service in the future.",
    "error": "This code could not be checked against the acceptable use policy, so it was not run.",
}


# ---------------------------------------------------------------------------- results


@dataclass(slots=True)
class GateResult:
    """What the gate does with one cell or command line."""

    run: bool
    action: str  # the ledger action: allow | audit | warn | still_run | block | deny
    message: str = ""
    rules: list[str] = field(default_factory=list)
    category: str | None = None
    evidence: list[str] = field(default_factory=list)
    record: DecisionRecord | None = None
    error: str | None = None


class _Failure(Exception):
    """The check could not be done (engine error, deadline, size)."""


class _Formatter(dict):
    def __missing__(self, key: str) -> str:  # unknown fields in an operator's template stay visible
        return "{" + key + "}"


# ---------------------------------------------------------------------------- the gate


class NbwardenGate(LoggingConfigurable):
    """Settings and decisions of the gate (``c.NbwardenGate.…``)."""

    enabled = Bool(True, help="Check cells at all (False: the extension does nothing).").tag(config=True)
    fail_mode = Enum(["open", "closed"], "open",
                     help="When the full check fails or misses the deadline, the text-level check of the same "
                          "cell decides; for what it does not find, 'open' runs the cell and records the failure, "
                          "'closed' blocks it with a message.").tag(config=True)
    deadline_ms = Float(1000.0, help="Longest time a check may take before fail_mode applies.").tag(config=True)
    inline_check_bytes = Int(
        32 * 1024, help="Cells up to this size are checked on the server's thread (fast: no hand-off); larger "
                        "ones in a worker thread with the deadline enforced. 0: always use the worker."
    ).tag(config=True)
    max_cell_bytes = Int(4 * 1024 * 1024, help="Cells larger than this get only the text-level check; fail_mode "
                                               "applies to what it does not find.").tag(config=True)
    max_text_check_bytes = Int(16 * 1024 * 1024, help="How much of a cell the text-level check reads when the full "
                                                     "check fails, misses its deadline or is skipped.").tag(config=True)
    warn_window_s = Float(300.0, help="Running a warned cell again within this many seconds runs it "
                                      "(\"Still run\"); the acknowledgement is recorded.").tag(config=True)
    message_template = Unicode(DEFAULT_MESSAGE, help="Text of warn and block messages. Fields: {lead} {action} "
                               "{category} {category_label} {rules} {evidence} {next} {policy_url} {appeal_url} "
                               "{ref} {user} {window_s}.").tag(config=True)
    deny_template = Unicode(DEFAULT_DENY, help="Text shown to a restricted user. Fields: {restriction} {level} "
                            "{until} {reason} {appeal_url} {policy_url} {ref} {user}.").tag(config=True)
    policy_url = Unicode("https://example.org/acceptable-use", help="The acceptable use policy.").tag(config=True)
    appeal_url = Unicode("https://example.org/acceptable-use/appeal", help="Where users appeal.").tag(config=True)
    terminals = Enum(["gate", "off", "allow"], "gate",
                     help="'gate' checks terminal command lines, 'off' disables terminals, 'allow' lets them "
                          "through unchecked.").tag(config=True)
    mode = Enum(["auto", "rewrite", "reply"], "auto",
                help="How blocked cells are answered: 'rewrite' forwards a raising statement so the kernel "
                     "aborts its queue (Python kernels), 'reply' synthesizes the error; 'auto' picks "
                     "rewrite for Python kernels.").tag(config=True)
    db_url = Unicode("", help="Ledger database URL (default: $NBWARDEN_DB_URL or a SQLite file in the Jupyter "
                              "data directory).").tag(config=True)
    rules_dirs = List(Unicode(), help="Extra (private) rule pack directories.").tag(config=True)
    disable_rules = List(Unicode(), help="Rule ids or globs to turn off.").tag(config=True)
    user = Unicode("", help="User name (default: $JUPYTERHUB_USER, else the OS user).").tag(config=True)
    group = Unicode("", help="Group or tier (default: $NBWARDEN_GROUP, else from the JupyterHub groups "
                             "through Policy.groups, else Policy.default_group).").tag(config=True)
    server_name = Unicode("", help="Name of this server in the ledger (default: host:port).").tag(config=True)
    status_ttl_s = Float(2.0, help="How long a user's restriction status is cached.").tag(config=True)
    record_allowed = Bool(False, help="Also record cells that produced no finding at all.").tag(config=True)
    check_run_files = Bool(True, help="Read and check the file of `%run FILE`.").tag(config=True)
    max_run_file_bytes = Int(4 * 1024 * 1024, help="Largest `%run` file that is read.").tag(config=True)

    policy = Instance(Policy)
    ledger = Instance(Ledger, allow_none=True)
    engine = Instance(Engine, allow_none=True)

    @default("policy")
    def _default_policy(self) -> Policy:
        return Policy(parent=self)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        if self.engine is None:
            self.engine = Engine(extra_dirs=self.rules_dirs, disable=self.disable_rules)
        if self.ledger is None:
            self.ledger = Ledger(self.db_url or None)
        self._memories: OrderedDict[str, Memory] = OrderedDict()
        self._warned: dict[tuple[str, str], tuple[float, int]] = {}
        self._acked: dict[tuple[str, str], float] = {}
        self._status: dict[str, tuple[float, list[RestrictionInfo]]] = {}
        self._rewritten: OrderedDict[str, tuple[float, str, dict[str, Any]]] = OrderedDict()
        self._term_lines: dict[str, _LineState] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.stats = {"checked": 0, "errors": 0}
        # per execute_request: time in the websocket hook, and the engine's share of it (ms)
        self.hook_ms: deque[float] = deque(maxlen=100_000)
        self.check_ms: deque[float] = deque(maxlen=100_000)
        self._last_check_ms = 0.0

    # ------------------------------------------------------------------ identity

    def identity(self, handler: Any = None) -> tuple[str, str]:
        user = self.user or os.environ.get("JUPYTERHUB_USER") or _os_user()
        group = self.group or os.environ.get("NBWARDEN_GROUP", "")
        if not group:
            group = self.policy.group_for(_hub_groups(handler))
        return user, group

    def restrictions(self, user: str, now: float | None = None) -> list[RestrictionInfo]:
        """Active restrictions, cached for ``status_ttl_s``."""
        now = time.time() if now is None else now
        cached = self._status.get(user)
        if cached is not None and cached[0] > now:
            rows = cached[1]
        else:
            rows = self.ledger.active_restrictions(user, now)
            self._status[user] = (now + self.status_ttl_s, rows)
        return [r for r in rows if r.active(now)]

    def forget_status(self, user: str | None = None) -> None:
        if user is None:
            self._status.clear()
        else:
            self._status.pop(user, None)

    # ------------------------------------------------------------------ checks

    def check_cell(self, code: str, *, kernel_id: str | None = None, notebook: str | None = None,
                   cell_id: str | None = None, cwd: str | None = None,
                   user_expressions: dict[str, Any] | None = None, user: str | None = None,
                   group: str | None = None, now: float | None = None) -> GateResult:
        """Decide about one cell; the decision is in the ledger when this returns."""
        if user is None or group is None:
            user, group = self.identity()
        memory = self._memory(kernel_id) if kernel_id else None

        def verdict_fn() -> Verdict:
            verdict = self.engine.check_code(code, "cell", memory=memory)
            extra = self._extra_units(code, cwd, user_expressions)
            return _merge(verdict, extra) if extra else verdict

        return self._decide(code, "cell", verdict_fn, user=user, group=group, kernel_id=kernel_id,
                            notebook=notebook, cell_id=cell_id, now=now)

    def check_terminal_line(self, line: str, *, terminal: str | None = None, user: str | None = None,
                            group: str | None = None, now: float | None = None) -> GateResult:
        if user is None or group is None:
            user, group = self.identity()
        return self._decide(line, "terminal", lambda: self.engine.check_code(line, "shell"), user=user,
                            group=group, notebook=f"terminals/{terminal}" if terminal else None, now=now)

    def check_kernel_start(self, *, path: str | None = None, kernel_name: str | None = None,
                           user: str | None = None, group: str | None = None) -> GateResult:
        """Refuse a kernel for a restricted user (recorded); otherwise allow (not recorded)."""
        if user is None or group is None:
            user, group = self.identity()
        denial = self._deny_if_restricted(user, group, "kernel_start", None, notebook=path,
                                          kernel_id=None, cell_id=kernel_name, now=time.time())
        return denial or GateResult(True, "allow")

    def _decide(self, code: str, kind: str, verdict_fn: Any, *, user: str, group: str,
                kernel_id: str | None = None, notebook: str | None = None, cell_id: str | None = None,
                now: float | None = None) -> GateResult:
        now = time.time() if now is None else now
        if not isinstance(code, str):
            code = str(code)
        denial = self._deny_if_restricted(user, group, kind, code, notebook=notebook, kernel_id=kernel_id,
                                          cell_id=cell_id, now=now)
        if denial is not None:
            return denial
        digest = code_hash(code)
        self.stats["checked"] += 1
        try:
            verdict = self._run_check(code, verdict_fn)
            failure = verdict.error  # part of the check fell back to the text-level checks
        except _Failure as exc:
            # the full check failed or ran out of time: the text-level check of the same text decides
            failure = str(exc)
            verdict = self.engine.check_text(code[: self.max_text_check_bytes], "shell" if kind == "terminal" else "cell")
        outcome = self.policy.evaluate(verdict, group, self.restrictions(user, now))
        where = dict(user=user, group=group, kernel_id=kernel_id, notebook=notebook, cell_id=cell_id, now=now)
        if failure and outcome.action in ("allow", "audit"):
            # nothing the text-level check found is worth acting on: only now does fail_mode decide
            return self._failed(failure, code, digest, kind, outcome=outcome, verdict=verdict, **where)
        if failure:
            self.stats["errors"] += 1
            self.log.error("nbwarden: the full check of a %s failed (%s); decided on the text-level check", kind,
                           failure)
        common = dict(kind=kind, server=self.server, code=code, code_hash=digest, verdict=verdict.action,
                      category=outcome.category, severity=outcome.severity, rules=outcome.rules,
                      confidence=round(verdict.confidence, 3), rules_version=verdict.rules_version,
                      findings=[f.to_dict() for f in outcome.findings] or None, error=failure, **where)
        action = outcome.action
        evidence = _evidence(outcome)
        if action in ("allow", "audit"):
            record = None
            if outcome.findings or self.record_allowed or action == "audit":
                record = self.ledger.record_decision(action="audit" if outcome.findings else "allow", **common)
            return GateResult(True, "audit" if outcome.findings else "allow", rules=outcome.rules,
                              category=outcome.category, evidence=evidence, record=record, error=failure)
        key = (user, digest)
        if action == "warn":
            self._prune(now)
            acked = self._acked.get(key)
            if acked is not None and now - acked <= self.warn_window_s:
                record = self.ledger.record_decision(action="still_run", **common)
                return GateResult(True, "still_run", rules=outcome.rules, category=outcome.category,
                                  evidence=evidence, record=record, error=failure)
            warned = self._warned.get(key)
            if warned is not None and now - warned[0] <= self.warn_window_s:
                record = self.ledger.record_decision(
                    action="still_run", strike=True, ladder=self.policy.ladder_step, window_s=self.policy.window_s,
                    acknowledges=warned[1], **common)
                self._warned.pop(key, None)
                self._acked[key] = now
                if record.restriction is not None:
                    self.forget_status(user)
                return GateResult(True, "still_run", rules=outcome.rules, category=outcome.category,
                                  evidence=evidence, record=record, error=failure)
            record = self.ledger.record_decision(
                action="warn", message=lambda rec: self._message("warn", outcome, rec, user), **common)
            self._warned[key] = (now, record.id)
            return GateResult(False, "warn", record.message, outcome.rules, outcome.category, evidence, record, failure)
        # block
        record = self.ledger.record_decision(
            action="block", strike=True, ladder=self.policy.ladder_step, window_s=self.policy.window_s,
            message=lambda rec: self._message("block", outcome, rec, user), **common)
        if record.restriction is not None:
            self.forget_status(user)
        return GateResult(False, "block", record.message, outcome.rules, outcome.category, evidence, record, failure)

    def _deny_if_restricted(self, user: str, group: str, kind: str, code: str | None, *, notebook: str | None,
                            kernel_id: str | None, cell_id: str | None, now: float) -> GateResult | None:
        restriction = next((r for r in self.restrictions(user, now) if r.blocks_everything()), None)
        if restriction is None:
            return None
        record = self.ledger.record_decision(
            user=user, group=group, action="deny", kind=kind, server=self.server, kernel_id=kernel_id,
            notebook=notebook, cell_id=cell_id, code=code, code_hash=code_hash(code) if code is not None else None,
            restriction_id=restriction.id, now=now,
            message=lambda rec: self._deny_message(restriction, rec, user))
        return GateResult(False, "deny", record.message, record=record)

    def _failed(self, reason: str, code: str, digest: str, kind: str, *, outcome: Outcome, verdict: Verdict,
                **where: Any) -> GateResult:
        """The full check failed and the text-level check found nothing to act on: ``fail_mode`` decides.

        Either way the failure is in the ledger with the code's hash, so operators can find the input.
        """
        self.stats["errors"] += 1
        self.log.error("nbwarden: could not check a %s (%s); fail_mode=%s", kind, reason, self.fail_mode)
        found = dict(verdict=verdict.action, category=outcome.category, severity=outcome.severity,
                     rules=outcome.rules, rules_version=verdict.rules_version,
                     findings=[f.to_dict() for f in outcome.findings] or None)
        if self.fail_mode == "open":
            record = self.ledger.record_decision(action="allow", code=code, code_hash=digest, kind=kind,
                                                 server=self.server, error=reason, **found, **where)
            return GateResult(True, "allow", record=record, error=reason)
        record = self.ledger.record_decision(
            action="block", code=code, code_hash=digest, kind=kind, server=self.server, error=reason,
            message=lambda rec: (f"{LEADS['error']}\nReason: {reason}.\nThis server refuses code it cannot "
                                 f"check (fail_mode=closed). Reference {rec.ref}; appeal at {self.appeal_url}."),
            **found, **where)
        return GateResult(False, "block", record.message, record=record, error=reason)

    def _run_check(self, code: str, verdict_fn: Any) -> Verdict:
        size = len(code)
        if size > self.max_cell_bytes:
            raise _Failure(f"the cell is {size} characters, over the {self.max_cell_bytes} limit")
        deadline = self.deadline_ms / 1000.0
        if size <= self.inline_check_bytes:
            start = time.perf_counter()
            try:
                verdict = verdict_fn()
            except Exception as exc:
                raise _Failure(f"the engine failed: {type(exc).__name__}: {exc}") from exc
            elapsed = time.perf_counter() - start
            self._last_check_ms = elapsed * 1000
            if elapsed > deadline:
                # it finished, so its answer is used; the overrun is worth a warning
                self.log.warning("nbwarden: an inline check took %.0f ms (deadline %.0f ms)", elapsed * 1000,
                                 self.deadline_ms)
            return verdict
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="nbwarden-check")
        future = self._pool.submit(verdict_fn)
        start = time.perf_counter()
        try:
            verdict = future.result(timeout=deadline)
            self._last_check_ms = (time.perf_counter() - start) * 1000
            return verdict
        except FutureTimeout as exc:
            future.cancel()
            raise _Failure(f"the check took longer than the {self.deadline_ms:.0f} ms deadline") from exc
        except Exception as exc:
            raise _Failure(f"the engine failed: {type(exc).__name__}: {exc}") from exc

    # ------------------------------------------------------------------ %run and friends

    def _extra_units(self, code: str, cwd: str | None, user_expressions: dict[str, Any] | None
                     ) -> list[tuple[str, Verdict]]:
        extra: list[tuple[str, Verdict]] = []
        if user_expressions:
            exprs = "\n".join(str(v) for v in user_expressions.values() if v)
            if exprs:
                extra.append(("user_expressions", self.engine.check_code(exprs, "python")))
        if self.check_run_files and "%run" in code:
            for target in _run_targets(code):
                verdict = self._check_run_file(target, cwd)
                if verdict is not None:
                    extra.append((f"%run {target}", verdict))
        return extra

    def _check_run_file(self, target: str, cwd: str | None) -> Verdict | None:
        path = Path(os.path.expanduser(target))
        if not path.is_absolute():
            path = Path(cwd or os.getcwd()) / path
        candidates = [path] if path.suffix else [path, path.with_suffix(".py"), path.with_suffix(".ipy")]
        for candidate in candidates:
            try:
                if not candidate.is_file():
                    continue
                size = candidate.stat().st_size
                if size > self.max_run_file_bytes:
                    raise _Failure(f"%run {target}: the file is {size} bytes, over the limit")
                data = candidate.read_bytes()
            except OSError as exc:
                self.log.warning("nbwarden: cannot read %%run file %s: %s", candidate, exc)
                return None
            from .sources import decode, kind_of

            kind, _ = kind_of(candidate.suffix.lower(), data)
            if kind == "notebook":
                return self.engine.check_notebook(data)
            text, _ = decode(data)
            # %run executes Python whatever the name says, unless the #! line says shell
            return self.engine.check_code(text, "shell" if kind == "shell" else "python")
        return None

    # ------------------------------------------------------------------ messages

    @property
    def server(self) -> str:
        if not self.server_name:
            self.server_name = os.environ.get("JUPYTERHUB_SERVER_NAME") or socket.gethostname()
        return self.server_name

    def _message(self, action: str, outcome: Outcome, record: DecisionRecord, user: str) -> str:
        category = outcome.category or "unknown"
        lines = []
        if action == "warn":
            lines.append(f"The cell has not run. Run it again within {_duration(self.warn_window_s)} to run it "
                         "anyway (\"Still run\"); that choice is recorded.")
        else:
            lines.append("The cell was blocked and has not run.")
            if outcome.restriction is not None:
                lines.append(f"Warnings in this category are blocked for you: {outcome.restriction.describe()}.")
        if record.strike_count:
            step = self.policy.next_step(record.strike_count, category, outcome.severity or "block")
            lines.append(f"This is strike {record.strike_count} for {category}."
                         + (f" At {step['strikes']}: {_rung_text(step)}." if step else ""))
        if record.restriction is not None:
            lines.append(f"Because of repeated violations, {record.restriction.describe()}.")
        fields = _Formatter(
            lead=LEADS[action], action=action, category=category,
            category_label=CATEGORY_LABELS.get(category, category.replace("_", " ")),
            rules=", ".join(outcome.rules) or "-", evidence="; ".join(_evidence(outcome)) or "-",
            next="\n".join(lines), policy_url=self.policy_url, appeal_url=self.appeal_url, ref=record.ref,
            user=user, window_s=int(self.warn_window_s))
        try:
            return self.message_template.format_map(fields)
        except (ValueError, IndexError, AttributeError) as exc:
            self.log.error("nbwarden: bad message_template (%s); using the default", exc)
            return DEFAULT_MESSAGE.format_map(fields)

    def _deny_message(self, restriction: RestrictionInfo, record: DecisionRecord, user: str) -> str:
        fields = _Formatter(restriction=restriction.describe(), level=restriction.level,
                            until=restriction.until_text(), reason=restriction.reason or "-",
                            appeal_url=self.appeal_url, policy_url=self.policy_url, ref=record.ref, user=user)
        try:
            return self.deny_template.format_map(fields)
        except (ValueError, IndexError, AttributeError):
            return DEFAULT_DENY.format_map(fields)

    # ------------------------------------------------------------------ bookkeeping

    def _memory(self, kernel_id: str) -> Memory:
        memory = self._memories.get(kernel_id)
        if memory is None:
            memory = self._memories[kernel_id] = Memory()
            while len(self._memories) > 1000:
                self._memories.popitem(last=False)
        return memory

    def forget_kernel(self, kernel_id: str) -> None:
        self._memories.pop(kernel_id, None)

    def _prune(self, now: float) -> None:
        if len(self._warned) + len(self._acked) < 512:
            return
        window = self.warn_window_s
        self._warned = {k: v for k, v in self._warned.items() if now - v[0] <= window}
        self._acked = {k: v for k, v in self._acked.items() if now - v <= window}

    def remember_rewrite(self, msg_id: str, original: str, error: dict[str, Any]) -> None:
        now = time.time()
        with self._lock:
            self._rewritten[msg_id] = (now, original, error)
            while self._rewritten and (len(self._rewritten) > 10000
                                       or next(iter(self._rewritten.values()))[0] < now - 3600):
                self._rewritten.popitem(last=False)

    def error_content(self, result: GateResult) -> dict[str, Any]:
        text = result.message or "This code is disallowed."
        traceback = [f"\x1b[0;31m{ENAME}\x1b[0m: " + text.splitlines()[0], *text.splitlines()[1:]]
        return {"ename": ENAME, "evalue": text, "traceback": traceback}

    def timing(self) -> dict[str, Any]:
        """Percentiles of the time the gate spent on execute_requests (for /api/nbwarden/stats)."""
        hooks, checks = list(self.hook_ms), list(self.check_ms)
        overhead = [h - c for h, c in zip(hooks, checks, strict=False)]
        return {"execute_requests": len(hooks), "hook_ms": _percentiles(hooks), "check_ms": _percentiles(checks),
                "overhead_ms": _percentiles(overhead), **self.stats}

    def reset_timing(self) -> None:
        self.hook_ms.clear()
        self.check_ms.clear()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self.ledger is not None:
            self.ledger.close()


# ---------------------------------------------------------------------------- helpers


def _percentiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 4)

    return {"median": pick(0.5), "p90": pick(0.9), "p99": pick(0.99), "max": round(ordered[-1], 4),
            "mean": round(sum(ordered) / len(ordered), 4)}


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return str(os.getuid())


def _hub_groups(handler: Any) -> list[str]:
    if handler is None:
        return []
    try:
        user = handler.current_user
    except Exception:
        return []
    hub_user = getattr(user, "hub_user", None)
    if isinstance(hub_user, dict):
        return [str(g) for g in hub_user.get("groups") or []]
    return []


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds % 3600 == 0 and seconds >= 3600:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0 and seconds >= 60:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def _rung_text(step: dict[str, Any]) -> str:
    level = step.get("restrict")
    hours = step.get("hours")
    span = f" for {hours:g} h" if hours and level != "ban" else ""
    return {"block_category": f"the category is blocked for you{span}",
            "suspend": f"code execution is suspended{span}", "ban": "the account is banned"}.get(level, str(level))


def _evidence(outcome: Outcome, limit: int = 3) -> list[str]:
    seen: list[str] = []
    for finding in outcome.findings:
        if ACTION_RANK.get(finding.severity, 0) == 0:
            continue
        text = finding.evidence
        if finding.via:
            text = f"{text} (via {finding.via})"
        if finding.cell is not None:
            text = f"line {finding.line}: {text}"
        elif finding.line:
            text = f"line {finding.line}: {text}"
        if len(text) > 160:
            text = text[:159] + "…"
        if text not in seen:
            seen.append(text)
        if len(seen) >= limit:
            break
    return seen


def _merge(primary: Verdict, extra: list[tuple[str, Verdict]]) -> Verdict:
    """One verdict for a cell and the files or expressions it pulls in."""
    findings: list[Finding] = list(primary.findings)
    best = primary
    notes = list(primary.notes)
    for label, verdict in extra:
        for finding in verdict.findings:
            finding.via = f"{label}: {finding.via}" if finding.via else label
            findings.append(finding)
        notes.extend(f"{label}: {n}" for n in verdict.notes)
        if ACTION_RANK[verdict.action] > ACTION_RANK[best.action]:
            best = verdict
    findings.sort(key=lambda f: -ACTION_RANK.get(f.severity, 0))
    errors = [f"{label}: {v.error}" for label, v in extra if v.error]
    error = "; ".join(([primary.error] if primary.error else []) + errors) or None
    return Verdict(best.action, best.category, max(primary.confidence, best.confidence), findings, notes,
                   primary.rules_version, error)


_RUN_LINE = re.compile(r"^[ \t]*%run[ \t]+(.+)$", re.M)


def _run_targets(code: str) -> list[str]:
    """File names of ``%run`` lines (``-m module`` runs are not files)."""
    targets = []
    for match in _RUN_LINE.finditer(code):
        try:
            args = shlex.split(match.group(1))
        except ValueError:
            args = match.group(1).split()
        for arg in args:
            if arg == "-m":
                break
            if arg.startswith("-"):
                continue
            targets.append(arg)
            break
    return targets[:8]


# ---------------------------------------------------------------------------- kernel websocket


def _json_default(obj: Any) -> Any:
    from jupyter_client.jsonutil import json_default

    return json_default(obj)


class GateMixin:
    """Mixed into the server's kernel websocket connection class at load time."""

    _nbw_gate: NbwardenGate | None = None
    _nbw_can_rewrite = True  # the base class has ZMQChannelsWebsocketConnection's _on_error hook

    async def prepare(self) -> None:  # type: ignore[override]
        parent = getattr(super(), "prepare", None)
        if parent is not None:
            await parent()
        self._nbw_info = None
        gate = self._nbw_gate
        if gate is None:
            return
        try:
            self._nbw_info = await _connection_info(self, gate)
        except Exception:
            gate.log.warning("nbwarden: could not resolve the notebook of kernel %s", self.kernel_id,
                             exc_info=True)

    def handle_incoming_message(self, incoming_msg: Any) -> None:
        gate = self._nbw_gate
        if gate is None or not gate.enabled or not getattr(self, "channels", True):
            return super().handle_incoming_message(incoming_msg)  # type: ignore[misc]
        start = time.perf_counter()
        if self.subprotocol == V1 and not _valid_v1(incoming_msg):
            # jupyter_server itself would loop for ages over a bogus offset count: drop it here
            gate.log.warning("nbwarden: dropped a malformed v1 kernel websocket frame")
            return None
        try:
            parsed = peek_execute_request(self, incoming_msg)
        except Exception as exc:
            if gate.fail_mode == "closed":
                gate.log.warning("nbwarden: dropped a malformed kernel message (%s)", exc)
                return None
            return super().handle_incoming_message(incoming_msg)  # type: ignore[misc]
        if parsed is None:
            return super().handle_incoming_message(incoming_msg)  # type: ignore[misc]
        try:
            result = self._nbw_check(gate, parsed)
        except Exception as exc:  # the gate itself failed: never take the server down with it
            gate.log.error("nbwarden: gate error", exc_info=True)
            if gate.fail_mode == "open":
                return super().handle_incoming_message(incoming_msg)  # type: ignore[misc]
            result = GateResult(False, "block", f"{LEADS['error']}\nReason: internal error {type(exc).__name__}.")
        gate.hook_ms.append((time.perf_counter() - start) * 1000)
        gate.check_ms.append(gate._last_check_ms)
        gate._last_check_ms = 0.0
        if result.run:
            return super().handle_incoming_message(incoming_msg)  # type: ignore[misc]
        self._nbw_stop(gate, parsed, result)
        return None

    def _nbw_check(self, gate: NbwardenGate, parsed: _Parsed) -> GateResult:
        info = getattr(self, "_nbw_info", None) or {}
        user, group = info.get("user"), info.get("group")
        if not user:
            user, group = gate.identity(getattr(self, "websocket_handler", None))
        content = parsed.content
        code = content.get("code", "")
        if not isinstance(code, str):
            code = json.dumps(code, default=str)
        metadata = parsed.metadata if isinstance(parsed.metadata, dict) else {}
        user_expressions = content.get("user_expressions")
        return gate.check_cell(code, kernel_id=self.kernel_id, notebook=info.get("path"),
                               cell_id=str(metadata.get("cellId") or "") or None, cwd=info.get("cwd"),
                               user_expressions=user_expressions if isinstance(user_expressions, dict) else None,
                               user=user, group=group)

    def _nbw_stop(self, gate: NbwardenGate, parsed: _Parsed, result: GateResult) -> None:
        error = gate.error_content(result)
        info = getattr(self, "_nbw_info", None) or {}
        mode = gate.mode
        if mode == "auto":
            mode = "rewrite" if (info.get("language") or "python") == "python" and self._nbw_can_rewrite else "reply"
        if mode == "rewrite" and self._nbw_can_rewrite:
            msg_id = parsed.header.get("msg_id")
            original = parsed.content.get("code", "")
            content = dict(parsed.content)
            content["code"] = (f"raise type({ENAME!r}, (Exception,), {{}})"
                               f"({result.message[:2000]!r}) from None")
            content["user_expressions"] = {}
            content["stop_on_error"] = True
            if msg_id:
                gate.remember_rewrite(msg_id, original if isinstance(original, str) else "", error)
            super().handle_incoming_message(_repack(self, parsed, content))  # type: ignore[misc]
            return
        _reply(self, parsed, error)

    def _on_error(self, channel: Any, msg: Any, msg_list: Any) -> None:
        parent = super()
        if hasattr(parent, "_on_error"):
            parent._on_error(channel, msg, msg_list)  # type: ignore[misc]
        gate = self._nbw_gate
        if gate is None or not gate._rewritten or channel not in ("iopub", "shell"):
            return
        try:
            _fix_outgoing(self, gate, channel, msg, msg_list)
        except Exception:
            gate.log.warning("nbwarden: could not rewrite an outgoing message", exc_info=True)


@dataclass(slots=True)
class _Parsed:
    channel: str
    header: dict[str, Any]
    metadata: Any
    content: dict[str, Any]
    msg_list: list[bytes] | None  # v1
    msg: dict[str, Any] | None  # legacy
    binary: bool = False


def _valid_v1(ws_msg: Any) -> bool:
    """A v1 frame whose offset table is consistent (checked before anything trusts it)."""
    if not isinstance(ws_msg, (bytes, bytearray, memoryview)):
        return False
    size = len(ws_msg)
    if size < 16:
        return False
    count = int.from_bytes(ws_msg[:8], "little")
    if count < 2 or count > 4096 or 8 * (count + 1) > size:
        return False
    previous = 8 * (count + 1)
    for i in range(count):
        offset = int.from_bytes(ws_msg[8 * (i + 1): 8 * (i + 2)], "little")
        if offset < previous or offset > size:
            return False
        previous = offset
    return True


def peek_execute_request(conn: Any, ws_msg: Any) -> _Parsed | None:
    """The execute_request in a websocket message, or None for anything else."""
    session = conn.session
    if conn.subprotocol == V1:
        from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1

        channel, msg_list = deserialize_msg_from_ws_v1(ws_msg)
        if channel != "shell":
            return None
        header = session.unpack(msg_list[0])
        if header.get("msg_type") != "execute_request":
            return None
        content = session.unpack(msg_list[3])
        if not isinstance(content, dict):
            raise ValueError("content is not an object")
        return _Parsed(channel, header, session.unpack(msg_list[2]), content, msg_list, None)
    binary = isinstance(ws_msg, bytes)
    if binary:
        from jupyter_server.services.kernels.connection.base import deserialize_binary_message

        msg = deserialize_binary_message(ws_msg)
    else:
        msg = json.loads(ws_msg)
    channel = msg.get("channel") or "shell"
    if channel != "shell":
        return None
    header = msg.get("header") or {}
    if header.get("msg_type") != "execute_request":
        return None
    content = msg.get("content")
    if not isinstance(content, dict):
        raise ValueError("content is not an object")
    return _Parsed(channel, header, msg.get("metadata"), content, None, msg, binary)


def _repack(conn: Any, parsed: _Parsed, content: dict[str, Any]) -> Any:
    if parsed.msg_list is not None:
        from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

        msg_list = list(parsed.msg_list)
        msg_list[3] = conn.session.pack(content)
        return serialize_msg_to_ws_v1(msg_list, parsed.channel)
    msg = dict(parsed.msg or {})
    msg["content"] = content
    msg["channel"] = parsed.channel
    if parsed.binary:
        from jupyter_server.services.kernels.connection.base import serialize_binary_message

        return serialize_binary_message(msg)
    return json.dumps(msg, default=_json_default)


def _reply(conn: Any, parsed: _Parsed, error: dict[str, Any]) -> None:
    """Answer like a kernel: busy, error, execute_reply(error), idle."""
    session = conn.session
    parent = parsed.header
    reply = {"status": "error", "execution_count": None, **error}
    messages = [
        ("iopub", session.msg("status", {"execution_state": "busy"}, parent=parent)),
        ("iopub", session.msg("error", dict(error), parent=parent)),
        ("shell", session.msg("execute_reply", reply, parent=parent)),
        ("iopub", session.msg("status", {"execution_state": "idle"}, parent=parent)),
    ]
    for channel, msg in messages:
        if conn.subprotocol == V1:
            from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

            conn.write_message(serialize_msg_to_ws_v1(msg, channel, session.pack), binary=True)
        else:
            msg["channel"] = channel
            conn.write_message(json.dumps(msg, default=_json_default))


def _fix_outgoing(conn: Any, gate: NbwardenGate, channel: str, msg: dict[str, Any], parts: list[bytes]) -> None:
    """Put the gate's message in place of the kernel's traceback for a rewritten request."""
    session = conn.session
    v1 = conn.subprotocol == V1
    parent = session.unpack(parts[1]) if v1 else msg.get("parent_header") or {}
    entry = gate._rewritten.get(parent.get("msg_id", "")) if isinstance(parent, dict) else None
    if entry is None:
        return
    _, original, error = entry
    header = session.unpack(parts[0]) if v1 else msg.get("header") or {}
    msg_type = header.get("msg_type")
    if msg_type not in ("error", "execute_reply", "execute_input"):
        return
    content = session.unpack(parts[3]) if v1 else msg.get("content")
    if not isinstance(content, dict):
        return
    if msg_type == "execute_input":
        content["code"] = original
    elif msg_type == "error" or content.get("status") == "error":
        content.update(error)
    else:
        return
    if v1:
        parts[3] = session.pack(content)
    else:
        msg["content"] = content


async def _connection_info(conn: Any, gate: NbwardenGate) -> dict[str, Any]:
    handler = getattr(conn, "websocket_handler", None)
    user, group = gate.identity(handler)
    info: dict[str, Any] = {"user": user, "group": group, "path": None, "cwd": None, "language": None}
    km = conn.kernel_manager
    try:
        spec = km.kernel_spec
        info["language"] = (spec.language or "").lower() if spec is not None else None
    except Exception:
        info["language"] = None
    mkm = getattr(conn, "multi_kernel_manager", None)
    sm = handler.settings.get("session_manager") if handler is not None else None
    if sm is not None:
        for session in await sm.list_sessions():
            if (session.get("kernel") or {}).get("id") == conn.kernel_id:
                info["path"] = session.get("path")
                break
    try:
        if info["path"] and mkm is not None and hasattr(mkm, "cwd_for_path"):
            info["cwd"] = mkm.cwd_for_path(info["path"])
        elif mkm is not None:
            info["cwd"] = os.path.expanduser(mkm.root_dir)
    except Exception:
        pass
    return info


def gated_connection_class(base: type, gate: NbwardenGate) -> type:
    """``type("Nbwarden" + base.__name__, (GateMixin, base), {})`` bound to ``gate``."""
    if issubclass(base, GateMixin):
        base._nbw_gate = gate
        return base
    return type("Nbwarden" + base.__name__, (GateMixin, base),
                {"_nbw_gate": gate, "_nbw_can_rewrite": hasattr(base, "_on_error")})


# ---------------------------------------------------------------------------- terminals


@dataclass(slots=True)
class _LineState:
    buf: list[str] = field(default_factory=list)
    paste: bool = False
    edited: bool = False


class GateTermMixin:
    """Mixed into the terminal websocket handler: checks each command line on Enter."""

    _nbw_gate: NbwardenGate | None = None

    async def get(self, *args: Any, **kwargs: Any) -> None:
        gate = self._nbw_gate
        if gate is not None and gate.enabled:
            from tornado import web

            if gate.terminals == "off":
                raise web.HTTPError(403, "Terminals are turned off on this server.")
            user, group = gate.identity(self)
            denial = gate._deny_if_restricted(user, group, "terminal", None, notebook=f"terminals/{args[0] if args else ''}",
                                              kernel_id=None, cell_id=None, now=time.time())
            if denial is not None:
                raise web.HTTPError(403, denial.message)
        return await super().get(*args, **kwargs)  # type: ignore[misc]

    async def on_message(self, message: Any) -> None:
        gate = self._nbw_gate
        if gate is None or not gate.enabled or gate.terminals == "allow":
            return await super().on_message(message)  # type: ignore[misc]
        try:
            command = json.loads(message)
            is_stdin = isinstance(command, list) and len(command) > 1 and command[0] == "stdin" \
                and isinstance(command[1], str)
        except Exception:
            is_stdin = False
        if not is_stdin:
            return await super().on_message(message)  # type: ignore[misc]
        try:
            forward, notices = self._nbw_filter(gate, command[1])
        except Exception:
            gate.log.error("nbwarden: terminal gate error", exc_info=True)
            if gate.fail_mode == "open":
                return await super().on_message(message)  # type: ignore[misc]
            forward, notices = "\x03", ["nbwarden: internal error; the line was not run (fail_mode=closed)."]
        for text in notices:
            body = "\r\n".join(text.splitlines())
            self.send_json_message(["stdout", f"\r\n\x1b[1;31m[nbwarden]\x1b[0m {body}\r\n"])  # type: ignore[attr-defined]
        if forward:
            return await super().on_message(json.dumps(["stdin", forward]))  # type: ignore[misc]
        return None

    def _nbw_filter(self, gate: NbwardenGate, text: str) -> tuple[str, list[str]]:
        """Track the line being typed; on Enter, check it and forward Enter or Ctrl-C."""
        name = getattr(self, "term_name", "") or ""
        state = gate._term_lines.setdefault(name, _LineState())
        out: list[str] = []
        notices: list[str] = []
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if ch == "\x1b":  # escape sequences: arrows, bracketed paste markers
                j = i + 1
                if j < n and text[j] == "[":
                    j += 1
                    while j < n and not ("\x40" <= text[j] <= "\x7e"):
                        j += 1
                seq = text[i:j + 1]
                if seq == "\x1b[200~":
                    state.paste = True
                elif seq == "\x1b[201~":
                    state.paste = False
                else:
                    state.edited = True
                out.append(seq)
                i = j + 1
                continue
            if ch in "\r\n" and not state.paste:
                line = "".join(state.buf)
                state.buf.clear()
                state.edited = False
                if line.strip():
                    user, group = gate.identity(self)
                    result = gate.check_terminal_line(line, terminal=name, user=user, group=group)
                    if not result.run:
                        out.append("\x03")
                        notices.append(result.message)
                        i += 1
                        continue
                out.append(ch)
            elif ch in "\r\n":  # a newline inside a bracketed paste is part of the line
                state.buf.append("\n")
                out.append(ch)
            elif ch in "\x7f\b":
                if state.buf:
                    state.buf.pop()
                out.append(ch)
            elif ch in "\x03\x15\x04":  # Ctrl-C, Ctrl-U, Ctrl-D discard the line
                state.buf.clear()
                out.append(ch)
            elif ch == "\t" or ord(ch) < 0x20:
                state.edited = True
                out.append(ch)
            else:
                state.buf.append(ch)
                out.append(ch)
            i += 1
        return "".join(out), notices


def _patch_terminal_handlers(serverapp: Any, gate: NbwardenGate) -> int:
    """Swap the terminal websocket handler class in the server's routing table."""
    try:
        from terminado.websocket import TermSocket as BaseTermSocket
    except ImportError:
        return 0
    patched = 0
    for host_rule in getattr(serverapp.web_app.default_router, "rules", []):
        router = getattr(host_rule, "target", None)
        for rule in getattr(router, "rules", []):
            target = getattr(rule, "target", None)
            if isinstance(target, type) and issubclass(target, BaseTermSocket):
                if issubclass(target, GateTermMixin):
                    target._nbw_gate = gate
                else:
                    rule.target = type("Nbwarden" + target.__name__, (GateTermMixin, target), {"_nbw_gate": gate})
                patched += 1
    return patched


# ---------------------------------------------------------------------------- kernel start


def _kernel_refused(message: str) -> Exception:
    """A 403 whose text is just the message (the sessions API turns any error into 500 + str(error))."""
    from tornado import web

    class KernelRefused(web.HTTPError):
        def __str__(self) -> str:
            return self.log_message or "refused"

    return KernelRefused(403, message.replace("%", "%%"))


def _wrap_start_kernel(serverapp: Any, gate: NbwardenGate) -> None:
    km = serverapp.kernel_manager
    if getattr(km.start_kernel, "_nbwarden", False):
        return
    original = km.start_kernel

    async def start_kernel(*args: Any, **kwargs: Any) -> str:
        if gate.enabled:
            result = gate.check_kernel_start(path=kwargs.get("path"), kernel_name=kwargs.get("kernel_name"))
            if not result.run:
                raise _kernel_refused(result.message)
        from jupyter_core.utils import ensure_async

        return await ensure_async(original(*args, **kwargs))

    start_kernel._nbwarden = True  # type: ignore[attr-defined]
    km.start_kernel = start_kernel


# ---------------------------------------------------------------------------- stats endpoint


def _stats_handler() -> type:
    from jupyter_server.base.handlers import APIHandler
    from tornado import web

    class GateStatsHandler(APIHandler):
        """``GET /api/nbwarden/stats``: counters and timing; ``DELETE`` clears the timing."""

        @web.authenticated
        def get(self) -> None:
            gate = self.settings.get("nbwarden_gate")
            if gate is None:
                raise web.HTTPError(404)
            self.finish(json.dumps(gate.timing()))

        @web.authenticated
        def delete(self) -> None:
            gate = self.settings.get("nbwarden_gate")
            if gate is None:
                raise web.HTTPError(404)
            gate.reset_timing()
            self.set_status(204)
            self.finish()

    return GateStatsHandler


# ---------------------------------------------------------------------------- extension hooks


def _link_jupyter_server_extension(serverapp: Any) -> None:
    """Runs before any extension loads: turning terminals off must happen now."""
    gate_config = serverapp.config.get("NbwardenGate", {})
    if gate_config.get("terminals") == "off" or os.environ.get("NBWARDEN_TERMINALS") == "off":
        serverapp.terminals_enabled = False


class RefuseAllMixin:
    """Installed when the gate could not start and fail_mode is closed: no cell runs, and the user is told why."""

    _nbw_reason = ""

    def handle_incoming_message(self, incoming_msg: Any) -> None:
        parsed = None
        if self.subprotocol != V1 or _valid_v1(incoming_msg):
            try:
                parsed = peek_execute_request(self, incoming_msg)
            except Exception:
                parsed = None
        if parsed is None:
            return super().handle_incoming_message(incoming_msg)  # type: ignore[misc]
        text = (f"{LEADS['error']}\nThe acceptable-use gate of this server could not start ({self._nbw_reason}), "
                "and the server is set to refuse code it cannot check (fail_mode=closed). Tell the operator.")
        _reply(self, parsed, {"ename": ENAME, "evalue": text, "traceback": text.splitlines()})
        return None


def _load_jupyter_server_extension(serverapp: Any) -> None:
    try:
        gate = NbwardenGate(parent=serverapp, log=serverapp.log)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        fail_mode = serverapp.config.get("NbwardenGate", {}).get("fail_mode", "open")
        serverapp.log.critical("nbwarden gate could not start (%s); fail_mode=%s", reason, fail_mode, exc_info=True)
        if fail_mode == "closed":
            settings = serverapp.web_app.settings
            base = settings.get("kernel_websocket_connection_class") or serverapp.kernel_websocket_connection_class
            settings["kernel_websocket_connection_class"] = type(
                "NbwardenRefuseAll" + base.__name__, (RefuseAllMixin, base), {"_nbw_reason": reason[:300]})
            return
        raise
    _install(serverapp, gate)


def _install(serverapp: Any, gate: NbwardenGate) -> None:
    if os.environ.get("NBWARDEN_TERMINALS") in ("gate", "off", "allow"):
        gate.terminals = os.environ["NBWARDEN_TERMINALS"]
    serverapp.web_app.settings["nbwarden_gate"] = gate
    settings = serverapp.web_app.settings
    base = settings.get("kernel_websocket_connection_class") or serverapp.kernel_websocket_connection_class
    settings["kernel_websocket_connection_class"] = gated_connection_class(base, gate)
    _wrap_start_kernel(serverapp, gate)
    from jupyter_server.utils import url_path_join

    serverapp.web_app.add_handlers(".*$", [(url_path_join(serverapp.base_url, "/api/nbwarden/stats"),
                                            _stats_handler())])
    if gate.terminals != "allow":
        found = _patch_terminal_handlers(serverapp, gate)
        if not found:  # the terminals extension may load after us
            from tornado.ioloop import IOLoop

            IOLoop.current().add_callback(_patch_terminal_handlers, serverapp, gate)
    serverapp.log.info("nbwarden gate: %d rules (%s), ledger %s, fail_mode=%s, terminals=%s",
                       len(gate.engine.rules), gate.engine.version, _safe_url(gate.ledger.url), gate.fail_mode,
                       gate.terminals)


def _safe_url(url: str) -> str:
    return re.sub(r"//[^/@]*@", "//***@", url)
