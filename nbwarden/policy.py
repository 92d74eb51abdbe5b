"""Policy: from an engine verdict and a user to the action the gate takes.

Three things are configurable here (as traitlets, so ``jupyter_server_config.py``
sets them as ``c.Policy.…``):

* **per-group actions.**  Colab forbids some activities (SSH, remote desktops)
  only to free users and others to everyone.  ``group_actions`` maps a group
  (tier) to overrides keyed by rule id, rule-id glob or category, e.g.
  ``{"pro": {"remote_desktop_ssh": "audit"}, "*": {"torrent_p2p.*": "warn"}}``.
* **the strike ladder.**  A strike is a blocked cell or an acknowledged warning
  ("still run").  ``ladders`` maps ``category:severity``, ``category``,
  ``severity`` or ``default`` to rungs ``{"strikes": N, "restrict": LEVEL,
  "hours": H}``; the rung with the highest ``strikes`` not above the number of
  strikes in the window (per user, category and severity) applies.
* **which group a user is in**: ``default_group`` and the ordered ``groups``.

Everything here is pure and fast: the gate calls :meth:`Policy.evaluate` on
every checked cell.  The ledger calls :meth:`Policy.ladder_step` inside the
transaction that records the strike.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from traitlets import Dict, Float, List, TraitError, Unicode, validate
from traitlets.config import Configurable

from .ledger import LEVELS, LadderStep, RestrictionInfo

ACTION_RANK = {"allow": 0, "audit": 1, "warn": 2, "block": 3}
SEVERITY_ACTION = {"audit": "audit", "warn": "warn", "block": "block"}

DEFAULT_LADDERS: dict[str, list[dict[str, Any]]] = {
    # blocked cells: the block itself is the first rung
    "block": [
        {"strikes": 3, "restrict": "block_category", "hours": 24},
        {"strikes": 5, "restrict": "suspend", "hours": 24},
        {"strikes": 10, "restrict": "ban"},
    ],
    # warnings the user chose to run anyway
    "warn": [
        {"strikes": 3, "restrict": "block_category", "hours": 24 * 7},
        {"strikes": 6, "restrict": "suspend", "hours": 24},
        {"strikes": 12, "restrict": "ban"},
    ],
}


@dataclass(slots=True)
class Outcome:
    """What the policy makes of a verdict for one user."""

    action: str  # allow | audit | warn | block
    verdict: str  # the engine's own action
    category: str | None
    severity: str | None  # the engine severity of the deciding finding
    rules: list[str] = field(default_factory=list)
    findings: list[Any] = field(default_factory=list)  # engine Findings, deciding ones first
    restriction: RestrictionInfo | None = None  # a block_category restriction that raised the action
    overridden: bool = False  # a group override changed the action


class Policy(Configurable):
    """Per-group actions, the strike ladder, and group membership."""

    default_group = Unicode("free", help="Group of users who are in none of `groups`.").tag(config=True)
    groups = List(Unicode(), ["pro", "free"],
                  help="Known groups, strongest first; a user in several gets the first.").tag(config=True)
    group_actions = Dict(
        {}, help="Per-group overrides: {group or '*': {rule id, rule-id glob or category: action}}, "
                 "action one of allow, audit, warn, block. Rule ids win over globs, globs over categories."
    ).tag(config=True)
    ladders = Dict(DEFAULT_LADDERS, help="Strike ladders keyed 'category:severity', 'category', "
                                         "'severity' or 'default'.").tag(config=True)
    strike_window_h = Float(24 * 30.0, help="Strikes older than this many hours no longer count.").tag(config=True)

    @validate("group_actions")
    def _check_group_actions(self, proposal: Any) -> dict[str, dict[str, str]]:
        value = proposal["value"]
        for group, table in value.items():
            if not isinstance(table, dict):
                raise TraitError(f"group_actions[{group!r}] must be a mapping")
            for key, action in table.items():
                if action not in ACTION_RANK:
                    raise TraitError(f"group_actions[{group!r}][{key!r}]: unknown action {action!r}")
        return value

    @validate("ladders")
    def _check_ladders(self, proposal: Any) -> dict[str, list[dict[str, Any]]]:
        value = proposal["value"]
        for key, rungs in value.items():
            for rung in rungs:
                if not isinstance(rung.get("strikes"), int) or rung["strikes"] < 1:
                    raise TraitError(f"ladders[{key!r}]: each rung needs strikes >= 1")
                if rung.get("restrict") not in (None, *LEVELS):
                    raise TraitError(f"ladders[{key!r}]: unknown restriction {rung.get('restrict')!r}")
        return value

    # ------------------------------------------------------------------ groups

    def group_for(self, memberships: Iterable[str] = ()) -> str:
        member = set(memberships)
        for group in self.groups:
            if group in member:
                return group
        return self.default_group

    # ------------------------------------------------------------------ actions

    def action_for(self, finding: Any, group: str) -> tuple[str, bool]:
        """The action one finding asks for in ``group``, and whether an override set it."""
        base = SEVERITY_ACTION.get(finding.severity, "audit")
        if finding.severity == "audit":  # inert mentions (comments, printed text) are never raised
            return base, False
        for table in (self.group_actions.get(group), self.group_actions.get("*")):
            if not table:
                continue
            if finding.rule in table:
                return table[finding.rule], True
            for key, action in table.items():
                if any(ch in key for ch in "*?[") and fnmatch.fnmatchcase(finding.rule, key):
                    return action, True
            if finding.category in table:
                return table[finding.category], True
        return base, False

    def evaluate(self, verdict: Any, group: str,
                 restrictions: Iterable[RestrictionInfo] = ()) -> Outcome:
        """Combine a verdict, the group's overrides and category restrictions."""
        if not verdict.findings:
            return Outcome("allow", verdict.action, None, None)
        blocked = {r.category: r for r in restrictions if r.level == "block_category"}
        outcome = Outcome("allow", verdict.action, None, None)
        ranked = []
        for index, finding in enumerate(verdict.findings):
            action, overridden = self.action_for(finding, group)
            restriction = None
            if action == "warn" and finding.category in blocked:
                action, restriction = "block", blocked[finding.category]
            ranked.append((ACTION_RANK[action], -index, finding, action, overridden, restriction))
        ranked.sort(key=lambda item: (item[0], item[1]), reverse=True)
        _, _, top, action, overridden, restriction = ranked[0]
        outcome.action = action
        outcome.category = top.category
        outcome.severity = top.rule_severity or top.severity
        outcome.overridden = overridden
        outcome.restriction = restriction
        outcome.findings = [item[2] for item in ranked]
        rules: list[str] = []
        for item in ranked:
            if item[2].rule not in rules and item[0] > 0:
                rules.append(item[2].rule)
        outcome.rules = rules or [top.rule]
        return outcome

    # ------------------------------------------------------------------ ladder

    @property
    def window_s(self) -> float:
        return self.strike_window_h * 3600.0

    def ladder_for(self, category: str, severity: str) -> list[dict[str, Any]]:
        for key in (f"{category}:{severity}", category, severity, "default"):
            if key in self.ladders:
                return self.ladders[key]
        return []

    def ladder_step(self, count: int, category: str, severity: str) -> LadderStep | None:
        """The rung reached with ``count`` strikes (None below the first)."""
        reached = None
        for rung in sorted(self.ladder_for(category, severity), key=lambda r: r["strikes"]):
            if count >= rung["strikes"]:
                reached = rung
        if reached is None:
            return None
        return LadderStep(reached["strikes"], reached.get("restrict"), reached.get("hours"))

    def next_step(self, count: int, category: str, severity: str) -> dict[str, Any] | None:
        """The next rung above ``count`` strikes, to tell the user what comes next."""
        for rung in sorted(self.ladder_for(category, severity), key=lambda r: r["strikes"]):
            if rung["strikes"] > count and rung.get("restrict"):
                return rung
        return None
