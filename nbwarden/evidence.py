"""Evidence grouped by where it is: one entry per location (cell, line), with every rule that matched there.

One miner command often matches three rules (the program, a wrapper name, the
stratum URL), and listing the same line three times reads like three problems.
The notebook message, the user page, the dashboard and the API show one line
per location with the rules listed together; the API keeps the per-rule
findings as well.

Findings come as the engine's :class:`~nbwarden.engine.Finding` objects (the
gate, before recording) or as dicts (from the ledger).  A location is the cell
and line, plus the file for findings that came from a ``%run`` file or from
``user_expressions`` (their lines count in that unit, not in the cell).  The
agent's findings have no line: those are grouped by identical evidence text.
An agent decision stores its evidence as one dict whose ``findings`` are read
here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

RANK = {"audit": 1, "warn": 2, "block": 3}


def _get(finding: Any, key: str) -> Any:
    return finding.get(key) if isinstance(finding, dict) else getattr(finding, key, None)


def _flatten(findings: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for finding in findings or ():
        nested = finding.get("findings") if isinstance(finding, dict) and "rule" not in finding else None
        if isinstance(nested, list):
            out.extend(f for f in nested if isinstance(f, dict))
        elif _get(finding, "rule"):
            out.append(finding)
    return out


def _unit(via: str) -> str:
    """The file a finding's line counts in: ``%run x.py`` or ``user_expressions`` (``_merge`` in the gate), else ''."""
    head = (via or "").split(": ", 1)[0]
    return head if head.startswith(("%run ", "user_expressions")) else ""


def group_evidence(findings: Iterable[Any], *, min_severity: str | None = None) -> list[dict[str, Any]]:
    """One dict per location, in order of first appearance: ``cell``, ``line``, ``unit``, ``evidence`` (the
    text as written where one finding has it, else the decoded text), ``via``, ``severity`` (the strongest),
    ``rules`` (ids, each once) and ``descriptions`` (rule id -> description).

    ``min_severity`` leaves out findings below it (the notebook message skips audit-level mentions).
    """
    floor = RANK.get(min_severity or "", 0)
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for finding in _flatten(findings):
        severity = _get(finding, "severity") or "audit"
        if RANK.get(severity, 0) < floor:
            continue
        line = _get(finding, "line")
        via = _get(finding, "via") or ""
        text = str(_get(finding, "evidence") or "")
        if line is None:  # the agent: a process, a file, a socket
            key: tuple[Any, ...] = (None, None, _get(finding, "source") or "", text)
        else:
            key = (_get(finding, "cell"), line, _unit(via))
        group = groups.get(key)
        if group is None:
            group = groups[key] = {"cell": key[0], "line": line, "unit": key[2] if line is not None else "",
                                   "evidence": text, "via": via, "severity": severity, "rules": [],
                                   "descriptions": {}}
        elif group["via"] and not via and text:  # prefer the text as the user wrote it over a decoded one
            group["evidence"], group["via"] = text, ""
        if RANK.get(severity, 0) > RANK.get(group["severity"], 0):
            group["severity"] = severity
        rule = str(_get(finding, "rule"))
        if rule not in group["rules"]:
            group["rules"].append(rule)
            group["descriptions"][rule] = _get(finding, "description") or ""
    return list(groups.values())

