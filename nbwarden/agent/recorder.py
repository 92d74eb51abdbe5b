"""Record the agent's decisions: through the shared ledger when it is there, JSON lines otherwise.

The ledger (:mod:`nbwarden.ledger`) commits before ``record_decision``
returns and applies the strike ladder of :mod:`nbwarden.policy` in the same
transaction, so the agent and the gate escalate users the same way.  When
no ledger URL is configured, the module is missing, or a write fails, the
decision goes to a JSON-lines file instead (flushed and fsynced), so no
decision is lost to a database outage.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Any

log = logging.getLogger("nbwarden.agent")

# the ledger's action vocabulary
LEDGER_ACTION = {"kill": "block", "kill_kernel": "block", "shutdown_kernel": "block", "interrupt": "block",
                 "report": "warn", "would_kill": "audit", "audit": "audit", "veto": "block"}


class Recorder:
    def __init__(self, ledger_url: str | None = None, jsonl_path: str | None = None, policy_config: dict | None = None):
        self.jsonl_path = jsonl_path
        self.ledger = None
        self.policy = None
        self.ledger_error = ""
        self._lock = threading.Lock()
        if ledger_url:
            try:
                from ..ledger import Ledger

                self.ledger = Ledger(ledger_url)
            except Exception as exc:  # missing module, bad URL, migration failure
                self.ledger_error = f"ledger unavailable, writing JSON lines: {exc}"
                log.error(self.ledger_error)
            try:
                from traitlets.config import Config

                from ..policy import Policy

                self.policy = Policy(config=Config({"Policy": policy_config or {}}))
            except Exception as exc:
                log.error("policy unavailable, no strike ladder: %s", exc)

    def restrictions(self, user: str) -> list:
        if self.ledger is None or not user:
            return []
        try:
            return self.ledger.active_restrictions(user)
        except Exception:
            return []

    def record(self, decision: dict[str, Any]) -> dict[str, Any]:
        """Write one decision; returns {"ref", "strike_count", "restriction", "via"}."""
        if self.ledger is not None:
            try:
                return self._to_ledger(decision)
            except Exception as exc:
                log.error("ledger write failed, falling back to JSON lines: %s", exc)
                decision = {**decision, "ledger_error": str(exc)}
        return self._to_jsonl(decision)

    def _to_ledger(self, d: dict[str, Any]) -> dict[str, Any]:
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
            window_s=policy.window_s if policy is not None else 30 * 86400.0,
        )
        restriction = rec.restriction.to_dict() if rec.restriction is not None else None
        return {"ref": rec.ref, "strike_count": rec.strike_count, "restriction": restriction, "via": "ledger"}

    def _to_jsonl(self, d: dict[str, Any]) -> dict[str, Any]:
        ref = d.get("ref") or f"A{int(time.time() * 1000):x}{os.getpid() % 997:03d}"
        line = json.dumps({"ref": ref, "at": time.time(), **d}, default=str, ensure_ascii=False)
        if self.jsonl_path:
            with self._lock:
                with open(self.jsonl_path, "a", encoding="utf-8") as fh:
                    fh.write(line + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
        return {"ref": ref, "strike_count": 0, "restriction": None, "via": "jsonl"}
