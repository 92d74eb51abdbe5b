"""What the engine hands out: :class:`Finding` and :class:`Verdict`, how they are assembled from matches
(:func:`assemble_findings`, :func:`decide`), the weights a verdict's confidence is made of, and :func:`code_hash`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

from ..analysis import CODE, CONTEXT_RANK, EXEC, INERT, clip
from ..rules import SEVERITY_RANK, Rule
from .refs import UNLESS, _Match

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


def assemble_findings(matches: list[_Match], extra: list[_Match], rules: list[Rule], multi: Container[int]
                      ) -> list[Finding]:
    """Matches grouped by rule into findings: a rule counts when all its groups matched and nothing from its
    "unless" list runs beside it; ``extra`` (earlier cells) only completes multi-part rules."""
    by_rule: dict[int, dict[int, list[_Match]]] = {}
    for match in matches:
        by_rule.setdefault(match.ref.rule, {}).setdefault(match.ref.group, []).append(match)
    for match in extra:  # earlier cells, for multi-group rules and "unless" patterns only
        if match.ref.rule in multi and match.ref.rule in by_rule:
            by_rule[match.ref.rule].setdefault(match.ref.group, []).append(match)
    findings: list[Finding] = []
    for r_index, groups in by_rule.items():
        rule = rules[r_index]
        if any(m.context != INERT for m in groups.pop(UNLESS, ())):
            continue  # something that makes it allowed runs beside it
        if len(groups) < len(rule.groups):
            continue
        if len(rule.groups) == 1:
            # one finding per cell, with the strongest evidence in that cell
            per_cell: dict[int | None, _Match] = {}
            for match in groups[0]:
                best = per_cell.get(match.cell)
                if best is None or _stronger(match, best):
                    per_cell[match.cell] = match
            for match in per_cell.values():
                findings.append(_finding(rule, match, match.context, []))
        else:
            best = [max(ms, key=_strength) for _, ms in sorted(groups.items())]
            acting = [m for m in best if not m.ref.describes] or best  # a banner in a print() still describes
            context = min((m.context for m in acting), key=CONTEXT_RANK.__getitem__)
            parts = [{"cell": m.cell, "line": m.line, "evidence": m.evidence, "pattern": m.ref.kind,
                      "context": m.context} for m in best]
            anchor = max(best, key=lambda m: ((m.cell or 0), m.line))
            findings.append(_finding(rule, anchor, context, parts))
    findings.sort(key=lambda f: (-SEVERITY_RANK[f.severity], f.cell or 0, f.line, f.rule))
    return findings


def _finding(rule: Rule, match: _Match, context: str, parts: list[dict[str, Any]]) -> Finding:
    severity = rule.severity if context != INERT else "audit"
    evidence = match.evidence
    if parts:
        evidence = " + ".join(clip(p["evidence"], 80) for p in parts)
    return Finding(rule.id, rule.category, severity, rule.description, evidence, match.cell,
                   match.line, context, match.ref.kind, match.via, rule.severity, parts)


def decide(findings: list[Finding], notes: list[str], errors: list[str], rule_by_id: dict[str, Rule],
           version: str) -> Verdict:
    """The action (the strongest finding's), the category (what the code does: a supporting finding, a tunnel,
    never names it while another acts) and the confidence."""
    error = "; ".join(dict.fromkeys(errors)) or None
    if not findings:
        return Verdict("allow", None, 0.0, [], notes, version, error)
    # the category names what the code does: supporting evidence (a tunnel) never names it while another
    # finding acts; the action is still the strongest finding's
    top = next((f for f in findings if f.severity != "audit" and not rule_by_id[f.rule].supporting),
               findings[0])
    if top is not findings[0]:
        findings = [top, *(f for f in findings if f is not top)]
    miss = 1.0
    for finding in findings:
        if finding.category != top.category:
            continue
        rule = rule_by_id.get(finding.rule)
        weight = rule.confidence if rule and rule.confidence is not None else SEVERITY_WEIGHT[finding.rule_severity]
        miss *= 1.0 - weight * CONTEXT_WEIGHT[finding.context]
    strongest = max((f.severity for f in findings), key=SEVERITY_RANK.__getitem__)
    return Verdict(ACTIONS[strongest], top.category, 1.0 - miss, findings, notes, version, error)


def _strength(match: _Match) -> tuple[int, int]:
    return (CONTEXT_RANK[match.context], -match.line)


def _stronger(a: _Match, b: _Match) -> bool:
    return _strength(a) > _strength(b)
