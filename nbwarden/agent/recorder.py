"""Record the agent's decisions: through the shared ledger when it is there, JSON lines otherwise.

The ledger (:mod:`nbwarden.ledger`) commits before ``record_decision``
returns and applies the strike ladder of :mod:`nbwarden.policy` in the same
transaction, so the agent and the gate escalate users the same way.  When
no ledger URL is configured, the module is missing, or a write fails, the
decision goes to a JSON-lines file instead (flushed and fsynced).

A ledger outage loses nothing.  A decision whose ledger write failed (after the
ledger's own retries) is also appended, fsynced, to a spool file with the
reference the agent already showed the user; the next write that succeeds
replays the spool into the ledger first, oldest first, with each decision's
reference and time (the ledger skips a reference it already has, so nothing is
written twice) and its strike.  A ledger that could not be opened at all is
tried again at most every ``reopen_s``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

log = logging.getLogger("nbwarden.agent")

# the ledger's action vocabulary
LEDGER_ACTION = {"kill": "block", "kill_kernel": "block", "shutdown_kernel": "block", "interrupt": "block",
                 "report": "warn", "would_kill": "audit", "audit": "audit", "veto": "block"}


def default_spool(ledger_url: str) -> Path:
    """``$NBWARDEN_SPOOL``, else a file per ledger under /var/lib/nbwarden (root) or the user's state dir."""
    if os.environ.get("NBWARDEN_SPOOL"):
        return Path(os.environ["NBWARDEN_SPOOL"])
    base = Path("/var/lib/nbwarden") if os.geteuid() == 0 else Path.home() / ".local" / "state" / "nbwarden"
    name = f"ledger-spool-{hashlib.sha256(ledger_url.encode()).hexdigest()[:12]}.jsonl"
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        base = Path(tempfile.gettempdir())
    return base / name


class Recorder:
    def __init__(self, ledger_url: str | None = None, jsonl_path: str | None = None,
                 policy_config: dict | None = None, *, spool_path: str | None = None, reopen_s: float = 30.0):
        self.jsonl_path = jsonl_path
        self.ledger_url = ledger_url
        self.ledger = None
        self.policy = None
        self.ledger_error = ""
        self.reopen_s = reopen_s
        self._next_open = 0.0
        self._lock = threading.Lock()
        self.spool = Path(spool_path) if spool_path else (default_spool(ledger_url) if ledger_url else None)
        if ledger_url:
            self._open()
            try:
                from traitlets.config import Config

                from ..policy import Policy

                self.policy = Policy(config=Config({"Policy": policy_config or {}}))
            except Exception as exc:
                log.error("policy unavailable, no strike ladder: %s", exc)

    def _open(self) -> None:
        self._next_open = time.monotonic() + self.reopen_s
        try:
            from ..ledger import Ledger

            self.ledger = Ledger(self.ledger_url)
            self.ledger_error = ""
        except Exception as exc:  # missing module, bad URL, unreachable database, migration failure
            self.ledger_error = f"ledger unavailable, writing JSON lines and the spool: {exc}"
            log.error(self.ledger_error)

    def restrictions(self, user: str) -> list:
        if self.ledger is None or not user:
            return []
        try:
            return self.ledger.active_restrictions(user)
        except Exception:
            return []

    def record(self, decision: dict[str, Any]) -> dict[str, Any]:
        """Write one decision; returns {"ref", "strike_count", "restriction", "via"}.  A ``ref`` in the decision
        is kept (the agent names it in the cell before it writes)."""
        if self.ledger is None and self.ledger_url and time.monotonic() >= self._next_open:
            self._open()
        if self.ledger is not None:
            try:
                self._replay()
                return self._to_ledger(decision, ref=decision.get("ref"))
            except Exception as exc:
                log.error("ledger write failed, falling back to JSON lines and the spool: %s", exc)
                decision = {**decision, "ledger_error": str(exc)}
        out = self._to_jsonl(decision)
        if self.spool is not None:
            self._append(self.spool, {**decision, "ref": out["ref"], "at": out["at"]})
        return out

    def _to_ledger(self, d: dict[str, Any], *, ref: str | None = None, now: float | None = None) -> dict[str, Any]:
        policy = self.policy
        strike = bool(d.get("strike")) and policy is not None
        pod = d.get("pod") or {}
        rec = self.ledger.record_decision(
            user=d.get("user") or "unknown", action=LEDGER_ACTION.get(d["action"], "audit"),
            kind=d.get("kind", "process"), kernel_id=(d.get("kernel") or {}).get("kernel_id") or None,
            server=f"pod/{pod['uid']}" if pod.get("uid") else None,  # on Kubernetes: the pod (evidence has more)
            code=" ".join(d.get("cmdline") or [])[:2000] or None, verdict=d.get("verdict"),
            category=d.get("category"), severity=d.get("severity"), rules=d.get("rules", []),
            confidence=d.get("confidence"), findings=[d.get("evidence", {})], rules_version=d.get("rules_version"),
            message=d.get("message"), strike=strike,
            ladder=policy.ladder_step if policy is not None else None,
            window_s=policy.window_s if policy is not None else 30 * 86400.0, ref=ref, now=now,
        )
        restriction = rec.restriction.to_dict() if rec.restriction is not None else None
        return {"ref": rec.ref, "strike_count": rec.strike_count, "restriction": restriction, "via": "ledger"}

    def _replay(self) -> None:
        """Spooled decisions into the ledger, oldest first; stops (keeping the rest) at the first failure."""
        if self.spool is None or not self.spool.exists():
            return
        with self._lock:
            lines = [line for line in self.spool.read_text(encoding="utf-8").splitlines() if line.strip()]
            done = 0
            try:
                for line in lines:
                    try:
                        d = json.loads(line)
                    except ValueError:  # a line cut short by a crash while it was written
                        log.error("spool: skipped a line that is not JSON: %.200s", line)
                        done += 1
                        continue
                    self._to_ledger(d, ref=d["ref"], now=d.get("at"))
                    done += 1
            finally:
                if done:
                    log.warning("spool: %d decision(s) written to the ledger after an outage", done)
                    rest = lines[done:]
                    tmp = self.spool.with_suffix(".tmp")
                    tmp.write_text("".join(line + "\n" for line in rest), encoding="utf-8")
                    os.replace(tmp, self.spool)
                    if not rest:
                        self.spool.unlink(missing_ok=True)

    def _append(self, path: Path | str, data: dict[str, Any]) -> None:
        line = json.dumps(data, default=str, ensure_ascii=False)
        with self._lock:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
                fh.flush()
                os.fsync(fh.fileno())

    def _to_jsonl(self, d: dict[str, Any]) -> dict[str, Any]:
        ref = d.get("ref") or "A" + uuid.uuid4().hex[:11]  # unique: the spool's replay skips a reference it has
        at = time.time()
        if self.jsonl_path:
            self._append(self.jsonl_path, {"ref": ref, "at": at, **d})
        return {"ref": ref, "strike_count": 0, "restriction": None, "via": "jsonl", "at": at}
