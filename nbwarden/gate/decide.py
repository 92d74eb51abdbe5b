"""The gate's decisions: one cell, command line or kernel start in, a GateResult out, recorded in the ledger.

Nothing here knows about websockets or terminals: :mod:`.websocket` and
:mod:`.terminal` hand text to :class:`NbwardenGate` and act on its result.
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

from .. import explain, i18n
from ..engine import Engine, Finding, Memory, Verdict, code_hash
from ..i18n import Translator
from ..ledger import DecisionRecord, Ledger, RestrictionInfo, new_ref
from ..links import appeal_link, policy_section
from ..policy import ACTION_RANK, Outcome, Policy
from ..sources import cell_readings, decode, kind_of
from .messages import (
    DEFAULT_DENY,
    DEFAULT_MESSAGE,
    ENAME,
    LEADS,
    _duration,
    _evidence,
    _Formatter,
    _rung_text,
    evidence_text,
)


@dataclass(slots=True)
class _LineState:
    buf: list[str] = field(default_factory=list)
    paste: bool = False
    edited: bool = False


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
                               "{category} {category_label} {rules} {evidence} {next} {policy_url} {policy_link} "
                               "{appeal_url} {ref} {user} {window_s}. {policy_link} is the policy's section of the "
                               "category, {appeal_url} carries the reference.").tag(config=True)
    deny_template = Unicode(DEFAULT_DENY, help="Text shown to a restricted user. Fields: {restriction} {level} "
                            "{until} {reason} {appeal_url} {policy_url} {policy_link} {ref} {user}.").tag(config=True)
    policy_url = Unicode("https://example.org/acceptable-use",
                         help="The acceptable use policy; messages link to its section of the category "
                              "(#crypto_mining). Under JupyterHub, configure() sets the hub's policy page."
                         ).tag(config=True)
    appeal_url = Unicode("https://example.org/acceptable-use/appeal",
                         help="Where users appeal. Messages add the decision's reference as ?ref= (or put {ref} "
                              "where it goes). Under JupyterHub, configure() sets the user page.").tag(config=True)
    language = Unicode("", help="Language of messages when neither the user's JupyterLab language setting nor "
                                "their browser names one we ship (en, de, zh_CN). Default: $NBWARDEN_LANGUAGE, "
                                "else English.").tag(config=True)
    follow_jupyterlab_language = Bool(True, help="Messages follow the language chosen in JupyterLab (Settings > "
                                                 "Language) before the browser's.").tag(config=True)
    terminals = Enum(["gate", "off", "allow"], "gate",
                     help="'gate' checks terminal command lines, 'off' disables terminals, 'allow' lets them "
                          "through unchecked.").tag(config=True)
    mode = Enum(["auto", "rewrite", "reply"], "auto",
                help="How blocked cells are answered: 'rewrite' forwards a raising statement so the kernel "
                     "aborts its queue (Python kernels), 'reply' synthesizes the error; 'auto' picks "
                     "rewrite for Python kernels.").tag(config=True)
    db_url = Unicode("", help="Ledger database URL (default: $NBWARDEN_DB_URL or a SQLite file in the Jupyter "
                              "data directory).").tag(config=True)
    spool_path = Unicode("", help="Where decisions wait, fsynced, while the ledger cannot take them (default: "
                                  "<jupyter data dir>/nbwarden/ledger-spool.jsonl). They are written to the ledger, "
                                  "with the references users were shown, as soon as it answers again.").tag(config=True)
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
        self._spool = Path(self.spool_path) if self.spool_path else _default_spool()
        self._spooled = self._spool.exists()
        self.stats = {"checked": 0, "errors": 0}
        # per execute_request: time in the websocket hook, and the engine's share of it (ms)
        self.hook_ms: deque[float] = deque(maxlen=100_000)
        self.check_ms: deque[float] = deque(maxlen=100_000)
        self._last_check_ms = 0.0
        self._browser_language: list[str] = []

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
            try:
                rows = self.ledger.active_restrictions(user, now)
            except Exception as exc:  # the ledger is down
                if self.fail_mode == "closed":
                    raise  # closed: code of a user whose status cannot be read now is refused (the gate-error path)
                self.log.error("nbwarden: restriction status of %s unavailable (%s); using the last known one",
                               user, type(exc).__name__)
                return [r for r in (cached[1] if cached else []) if r.active(now)]
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
                   group: str | None = None, now: float | None = None, language: str | None = None,
                   kernel_language: str | None = None) -> GateResult:
        """Decide about one cell; the decision is in the ledger when this returns.  ``language`` is the one the
        user reads messages in; ``kernel_language`` the kernel's (a shell kernel's cells are read as shell)."""
        if user is None or group is None:
            user, group = self.identity()
        memory = self._memory(kernel_id) if kernel_id else None

        def verdict_fn() -> Verdict:
            (text, kind), *handed = cell_readings(code, kernel_language)
            verdict = self.engine.check_code(text, kind, memory=memory)
            extra = self._extra_units(code, cwd, user_expressions)
            extra += [("shell commands", self.engine.check_code(t, k)) for t, k in handed]
            return _merge(verdict, extra) if extra else verdict

        return self._decide(code, "cell", verdict_fn, user=user, group=group, kernel_id=kernel_id,
                            notebook=notebook, cell_id=cell_id, now=now, language=language)

    def check_terminal_line(self, line: str, *, terminal: str | None = None, user: str | None = None,
                            group: str | None = None, now: float | None = None,
                            language: str | None = None) -> GateResult:
        if user is None or group is None:
            user, group = self.identity()
        return self._decide(line, "terminal", lambda: self.engine.check_code(line, "shell"), user=user,
                            group=group, notebook=f"terminals/{terminal}" if terminal else None, now=now,
                            language=language)

    def check_kernel_start(self, *, path: str | None = None, kernel_name: str | None = None,
                           user: str | None = None, group: str | None = None,
                           language: str | None = None) -> GateResult:
        """Refuse a kernel for a restricted user (recorded); otherwise allow (not recorded)."""
        if user is None or group is None:
            user, group = self.identity()
        denial = self._deny_if_restricted(user, group, "kernel_start", None, notebook=path, kernel_id=None,
                                          cell_id=kernel_name, now=time.time(), t=self.translator(language))
        return denial or GateResult(True, "allow")

    def _decide(self, code: str, kind: str, verdict_fn: Any, *, user: str, group: str,
                kernel_id: str | None = None, notebook: str | None = None, cell_id: str | None = None,
                now: float | None = None, language: str | None = None) -> GateResult:
        now = time.time() if now is None else now
        t = self.translator(language)
        if not isinstance(code, str):
            code = str(code)
        denial = self._deny_if_restricted(user, group, kind, code, notebook=notebook, kernel_id=kernel_id,
                                          cell_id=cell_id, now=now, t=t)
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
            return self._failed(failure, code, digest, kind, outcome=outcome, verdict=verdict, t=t, **where)
        if failure:
            self.stats["errors"] += 1
            self.log.error("nbwarden: the full check of a %s failed (%s); decided on the text-level check", kind,
                           failure)
        common = dict(kind=kind, server=self.server, code=code, code_hash=digest, verdict=verdict.action,
                      category=outcome.category, severity=outcome.severity, rules=outcome.rules,
                      confidence=round(verdict.confidence, 3), rules_version=verdict.rules_version,
                      findings=[f.to_dict() for f in outcome.findings] or None, error=failure, **where)
        action = outcome.action
        evidence = _evidence(outcome, t)
        if action in ("allow", "audit"):
            record = None
            if outcome.findings or self.record_allowed or action == "audit":
                record = self._record(action="audit" if outcome.findings else "allow", **common)
            return GateResult(True, "audit" if outcome.findings else "allow", rules=outcome.rules,
                              category=outcome.category, evidence=evidence, record=record, error=failure)
        key = (user, digest)
        if action == "warn":
            self._prune(now)
            acked = self._acked.get(key)
            if acked is not None and now - acked <= self.warn_window_s:
                record = self._record(action="still_run", **common)
                return GateResult(True, "still_run", rules=outcome.rules, category=outcome.category,
                                  evidence=evidence, record=record, error=failure)
            warned = self._warned.get(key)
            if warned is not None and now - warned[0] <= self.warn_window_s:
                record = self._record(
                    action="still_run", strike=True, ladder=self.policy.ladder_step, window_s=self.policy.window_s,
                    acknowledges=warned[1], **common)
                self._warned.pop(key, None)
                self._acked[key] = now
                if record.restriction is not None:
                    self.forget_status(user)
                return GateResult(True, "still_run", rules=outcome.rules, category=outcome.category,
                                  evidence=evidence, record=record, error=failure)
            record = self._record(
                action="warn", message=lambda rec: self._message("warn", outcome, rec, user, t), **common)
            self._warned[key] = (now, record.id)
            return GateResult(False, "warn", record.message, outcome.rules, outcome.category, evidence, record, failure)
        # block
        record = self._record(
            action="block", strike=True, ladder=self.policy.ladder_step, window_s=self.policy.window_s,
            message=lambda rec: self._message("block", outcome, rec, user, t), **common)
        if record.restriction is not None:
            self.forget_status(user)
        return GateResult(False, "block", record.message, outcome.rules, outcome.category, evidence, record, failure)

    def _record(self, **decision: Any) -> DecisionRecord:
        """Write one decision.  When the ledger cannot take it, the decision stands all the same (a failed record
        never opens a block or a warning) and waits in the spool with the reference the user is shown."""
        try:
            if self._spooled:
                self._replay()
            return self.ledger.record_decision(**decision)
        except Exception as exc:  # noqa: BLE001 - an unreachable or broken database: the decision is kept
            self.stats["errors"] += 1
            self.log.critical("nbwarden: the ledger could not record a %s decision (%s: %s); it stands and waits in %s",
                              decision.get("action"), type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc)
                              else "", self._spool)
            return self._to_spool(decision)

    def _to_spool(self, decision: dict[str, Any]) -> DecisionRecord:
        now = decision.get("now") or time.time()
        record = DecisionRecord(0, decision.get("ref") or new_ref(), now, decision["action"])
        message = decision.get("message")
        record.message = (message(record) if callable(message) else message) or ""
        kept = {k: v for k, v in decision.items() if k not in {"ladder", "message", "now", "ref", "window_s"}}
        line = json.dumps({**kept, "ref": record.ref, "at": now, "message": record.message}, default=str,
                          ensure_ascii=False)
        with self._lock:
            self._spool.parent.mkdir(parents=True, exist_ok=True)
            with self._spool.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            self._spooled = True
        return record

    def _replay(self) -> None:
        """Spooled decisions into the ledger, oldest first, each with its reference and time (a reference the
        ledger already has is skipped) and its strike; the rest stays when one fails."""
        with self._lock:
            try:
                lines = [line for line in self._spool.read_text(encoding="utf-8").splitlines() if line.strip()]
            except FileNotFoundError:
                self._spooled = False
                return
            done = 0
            try:
                for line in lines:
                    try:
                        data = json.loads(line)
                    except ValueError:  # cut short by a crash while it was written
                        done += 1
                        continue
                    ref, at = data.pop("ref"), data.pop("at")
                    strike = bool(data.get("strike"))
                    self.ledger.record_decision(**data, ref=ref, now=at, ladder=self.policy.ladder_step if strike
                                                else None, window_s=self.policy.window_s)
                    done += 1
            finally:
                if done:
                    rest = lines[done:]
                    self.log.warning("nbwarden: %d spooled decision(s) written to the ledger", done)
                    if rest:
                        tmp = self._spool.with_suffix(".tmp")
                        tmp.write_text("".join(line + "\n" for line in rest), encoding="utf-8")
                        os.replace(tmp, self._spool)
                    else:
                        self._spool.unlink(missing_ok=True)
                        self._spooled = False

    def _deny_if_restricted(self, user: str, group: str, kind: str, code: str | None, *, notebook: str | None,
                            kernel_id: str | None, cell_id: str | None, now: float,
                            t: Translator) -> GateResult | None:
        restriction = next((r for r in self.restrictions(user, now) if r.blocks_everything()), None)
        if restriction is None:
            return None
        record = self._record(
            user=user, group=group, action="deny", kind=kind, server=self.server, kernel_id=kernel_id,
            notebook=notebook, cell_id=cell_id, code=code, code_hash=code_hash(code) if code is not None else None,
            restriction_id=restriction.id, now=now,
            message=lambda rec: self._deny_message(restriction, rec, user, t))
        return GateResult(False, "deny", record.message, record=record)

    def _failed(self, reason: str, code: str, digest: str, kind: str, *, outcome: Outcome, verdict: Verdict,
                t: Translator, **where: Any) -> GateResult:
        """The full check failed and the text-level check found nothing to act on: ``fail_mode`` decides.

        Either way the failure is in the ledger with the code's hash, so operators can find the input.
        """
        self.stats["errors"] += 1
        self.log.error("nbwarden: could not check a %s (%s); fail_mode=%s", kind, reason, self.fail_mode)
        found = dict(verdict=verdict.action, category=outcome.category, severity=outcome.severity,
                     rules=outcome.rules, rules_version=verdict.rules_version,
                     findings=[f.to_dict() for f in outcome.findings] or None)
        if self.fail_mode == "open":
            record = self._record(action="allow", code=code, code_hash=digest, kind=kind,
                                                 server=self.server, error=reason, **found, **where)
            return GateResult(True, "allow", record=record, error=reason)
        record = self._record(
            action="block", code=code, code_hash=digest, kind=kind, server=self.server, error=reason,
            message=lambda rec: t._(LEADS["error"]) + "\n" + t.fmt(
                "Reason: {reason}.\nThis server refuses code it cannot check (fail_mode=closed). Reference {ref}; "
                "appeal at {url}.", reason=reason, ref=rec.ref, url=appeal_link(self.appeal_url, rec.ref)),
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

    def translator(self, language: str | None) -> Translator:
        """Messages in ``language`` (already chosen by :meth:`language_of`), else the gate's default."""
        return Translator(i18n.negotiate(language, default=self.language or None))

    def language_of(self, handler: Any = None) -> str:
        """The user's language: JupyterLab's setting, then the browser's ``Accept-Language``, then the default.
        Kernels started later are told (the in-kernel sensor explains vetoes and kills in it)."""
        lab = i18n.jupyterlab_locale() if self.follow_jupyterlab_language else None
        browser = i18n.request_languages(handler)
        if browser is None:
            browser = self._browser_language
        self._browser_language = browser  # a kernel start has no request of its own: the last one's language
        lang = i18n.negotiate(lab, browser, default=self.language or None)
        i18n.remember_language(lang)
        return lang

    def _message(self, action: str, outcome: Outcome, record: DecisionRecord, user: str,
                 t: Translator | None = None) -> str:
        t = t or self.translator(None)
        category = outcome.category or "unknown"
        lines = []
        if action == "warn":
            lines.append(t.fmt("The cell has not run. Run it again within {duration} to run it anyway (\"Still "
                               "run\"); that choice is recorded.", duration=_duration(t, self.warn_window_s)))
        else:
            lines.append(t._("The cell was blocked and has not run."))
            if outcome.restriction is not None:
                lines.append(t.fmt("Warnings in this category are blocked for you: {restriction}.",
                                   restriction=explain.restriction(t, outcome.restriction)))
        if record.strike_count:
            step = self.policy.next_step(record.strike_count, category, outcome.severity or "block")
            lines.append(t.fmt("This is strike {n} for {category}.", n=record.strike_count, category=category)
                         + (" " + t.fmt("At {n}: {rung}.", n=step["strikes"], rung=_rung_text(t, step))
                            if step else ""))
        if record.restriction is not None:
            lines.append(t.fmt("Because of repeated violations, {restriction}.",
                               restriction=explain.restriction(t, record.restriction)))
        fields = _Formatter(
            lead=t._(LEADS[action]), action=action, category=category,
            category_label=explain.category_label(t, category),
            rules=", ".join(outcome.rules) or "-", evidence=evidence_text(_evidence(outcome, t)),
            next="\n".join(lines), policy_url=self.policy_url, policy_link=policy_section(self.policy_url, category),
            appeal_url=appeal_link(self.appeal_url, record.ref), ref=record.ref, user=user,
            window_s=int(self.warn_window_s))
        return self._fill(self.message_template, DEFAULT_MESSAGE, fields, t)

    def _deny_message(self, restriction: RestrictionInfo, record: DecisionRecord, user: str,
                      t: Translator | None = None) -> str:
        t = t or self.translator(None)
        fields = _Formatter(restriction=explain.restriction(t, restriction), level=restriction.level,
                            until=explain.until(t, restriction.expires_at), reason=restriction.reason or "-",
                            appeal_url=appeal_link(self.appeal_url, record.ref, restriction.id),
                            policy_url=self.policy_url,
                            policy_link=policy_section(self.policy_url, restriction.category), ref=record.ref,
                            user=user)
        return self._fill(self.deny_template, DEFAULT_DENY, fields, t)

    def _fill(self, template: str, default: str, fields: _Formatter, t: Translator) -> str:
        """The operator's template as written, or ours in the user's language (English when a translation's
        fields are broken)."""
        if template == default:
            template = t._(default)
        try:
            return template.format_map(fields)
        except (ValueError, IndexError, AttributeError) as exc:
            self.log.error("nbwarden: bad message template (%s); using the default", exc)
            return default.format_map(fields)

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
        text = result.message or Translator(self.language or None)._("This code is disallowed.")
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


def _default_spool() -> Path:
    try:
        from jupyter_core.paths import jupyter_data_dir

        base = Path(jupyter_data_dir())
    except ImportError:  # pragma: no cover - jupyter_core comes with the gate's dependencies
        base = Path.home() / ".local" / "share" / "jupyter"
    return base / "nbwarden" / "ledger-spool.jsonl"
