"""What the engine hands out: :class:`Finding` and :class:`Verdict`, the weights a verdict's confidence is
made of, and :func:`code_hash`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ..analysis import CODE, EXEC, INERT

ACTIONS = {"block": "block", "warn": "warn", "audit": "allow"}
SEVERITY_WEIGHT = {"block": 0.9, "warn": 0.6, "audit": 0.2}
CONTEXT_WEIGHT = {EXEC: 1.0, CODE: 0.75, INERT: 0.25}


@dataclass(slots=True)
class Finding:
    """One rule hit, with the evidence a person needs to check it."""

    rule: str
    category: str
    severity: str  # effective severity after the context cap
    description: str
    evidence: str
    cell: int | None
    line: int
    context: str
    pattern: str  # kind of pattern that matched, e.g. "command"
    via: str = ""
    rule_severity: str = ""  # the rule's own severity before any cap
    parts: list[dict[str, Any]] = field(default_factory=list)  # for rules with several groups

    def to_dict(self) -> dict[str, Any]:
        data = {
            "rule": self.rule, "category": self.category, "severity": self.severity,
            "rule_severity": self.rule_severity, "description": self.description,
            "evidence": self.evidence, "cell": self.cell, "line": self.line,
            "context": self.context, "pattern": self.pattern,
        }
        if self.via:
            data["via"] = self.via
        if self.parts:
            data["parts"] = self.parts
        return data


@dataclass(slots=True)
class Verdict:
    """What to do about a piece of code, and why."""

    action: str  # allow | warn | block
    category: str | None
    confidence: float
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rules_version: str = ""
    # Why part of the check fell back to the text-level checks (an internal error, input that
    # could not be read), or None.  The verdict still stands on what the text-level checks found.
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action, "category": self.category, "confidence": round(self.confidence, 3),
            "findings": [f.to_dict() for f in self.findings], "notes": self.notes,
            "rules_version": self.rules_version, "error": self.error,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


def code_hash(source: str) -> str:
    """Stable id of a piece of code, for the ledger and the "still run" window."""
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
