"""The acceptable-use policy page, generated from the rule packs and the platform's settings.

``/services/nbwarden/policy`` is public (no login): people read the rules before
they sign up.  Everything on it comes from what enforces it:

* the categories, from the packs (each pack's description and its rules'
  descriptions, by what happens: blocked, a warning first, recorded only), each
  under an anchor named after the category (``#crypto_mining``) that the gate's
  messages, the agent's explanations in the cell and the spawn refusal page link
  to (:func:`nbwarden.links.policy_section`);
* the groups: what each group's overrides change (``Policy.group_actions``) and
  its usage limits (the service's quotas);
* the strike ladder (``Policy.ladders`` and the strike window);
* the packs' versions and changelogs (a private pack shows its version only: its
  changelog could tell what its patterns look for).

The prose (a plain-language summary of each category, what is allowed instead,
how appeals work) is in the templates ``policy.html`` and ``policy_texts.html``;
operators add their own text in ``policy_operator.html`` or override any of
them from a template directory of their own (README, "The policy page").
"""

from __future__ import annotations

from typing import Any

from ..explain import CATEGORY_LABELS, category_label
from ..i18n import Translator
from ..policy import Policy
from ..rules import CATEGORIES, RuleSet
from ..rules import load as load_rules
from .quotas import Quotas

# how a rule's severity reads on the page, strongest first
SEVERITY_ORDER = ("block", "warn", "audit")
ACTION_ORDER = ("block", "warn", "audit", "allow")


def load_ruleset(config: dict[str, Any]) -> RuleSet:
    """The rules the gates enforce: the built-in packs plus the service's ``rules_dirs`` and ``disable_rules``
    (:func:`nbwarden.hub.hooks.configure` gives the gates and the service the same ones)."""
    return load_rules(config.get("rules_dirs") or [], disable=config.get("disable_rules") or [])


def _categories(ruleset: RuleSet, t: Translator) -> list[dict[str, Any]]:
    rules = ruleset.enabled()
    named = {r.category for r in rules} | {c for c in CATEGORIES}
    order = [c for c in CATEGORIES if c in named] + sorted(named - set(CATEGORIES))
    packs = {p.name: p for p in ruleset.packs}
    out = []
    for category in order:
        own = [r for r in rules if r.category == category]
        # the pack named after the category describes it; a pack that only lends it a rule or two describes
        # its own category (a file-hosting pack's text under remote desktops read as noise)
        names = [category] if category in packs else list(dict.fromkeys(r.pack for r in own))
        descriptions: list[str] = []
        for name in names:
            pack = packs.get(name)
            text = " ".join((pack.describe(t.lang) or "").split()) if pack is not None else ""
            if text and text not in descriptions:
                descriptions.append(text)
        by_severity = {s: sorted(({"id": r.id, "description": " ".join(r.describe(t.lang).split())}
                                  for r in own if r.severity == s), key=lambda r: r["id"]) for s in SEVERITY_ORDER}
        out.append({"id": category, "label": category_label(t, category), "descriptions": descriptions,
                    "rules": by_severity, "count": len(own)})
    return out


def _groups(policy: Policy, quotas: Quotas, t: Translator) -> list[dict[str, Any]]:
    names = list(dict.fromkeys([*quotas.order, *policy.groups, policy.default_group, *quotas.groups]))
    everyone = dict(policy.group_actions.get("*") or {})
    out = []
    for name in names:
        overrides = {**everyone, **(policy.group_actions.get(name) or {})}
        spec = quotas.spec(name)
        out.append({"name": name, "default": name == policy.default_group,
                    "overrides": [{"target": key, "label": category_label(t, key) if key in CATEGORY_LABELS else key,
                                   "action": action}
                                  for key, action in sorted(overrides.items(),
                                                            key=lambda kv: (ACTION_ORDER.index(kv[1]), kv[0]))],
                    "quota": {"cpu_hours": spec.cpu_hours, "gpu_hours": spec.gpu_hours,
                              "window_hours": spec.window_hours, "max_lifetime_hours": spec.max_lifetime_hours,
                              "idle_minutes": spec.idle_minutes, "warn_percent": round(100 * spec.warn_fraction)}})
    return out


def _ladders(policy: Policy, t: Translator) -> list[dict[str, Any]]:
    """The ladders by key, the two defaults first (blocked cells, then acknowledged warnings)."""
    keys = sorted(policy.ladders, key=lambda k: ({"block": 0, "warn": 1, "default": 2}.get(k, 3), k))
    out = []
    for key in keys:
        if ":" in key:
            category, severity = key.split(":", 1)
        elif key in ("block", "warn", "audit", "default"):
            category, severity = None, None if key == "default" else key
        else:
            category, severity = key, None
        rungs = sorted(policy.ladders[key], key=lambda r: r["strikes"])
        out.append({"key": key, "category": category,
                    "category_label": category_label(t, category) if category else None,
                    "severity": severity,
                    "rungs": [{"strikes": r["strikes"], "restrict": r.get("restrict"), "hours": r.get("hours")}
                              for r in rungs]})
    return out


def _packs(ruleset: RuleSet) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for rule in ruleset.enabled():
        counts[rule.pack] = counts.get(rule.pack, 0) + 1
    return [{"name": p.name, "version": p.version, "private": p.private, "rules": counts.get(p.name, 0),
             "changelog": [] if p.private else p.changelog} for p in ruleset.packs]


def policy_data(ruleset: RuleSet, policy: Policy, quotas: Quotas, *, mode: str = "enforce",
                lang: str | None = None) -> dict[str, Any]:
    """Everything the policy page shows, as plain data (also ``GET api/policy``), in ``lang``."""
    t = Translator(lang or "en")
    return {"categories": _categories(ruleset, t), "groups": _groups(policy, quotas, t),
            "ladders": _ladders(policy, t), "language": t.lang,
            "strike_window_days": round(policy.strike_window_h / 24, 2), "packs": _packs(ruleset),
            "rules_version": ruleset.fingerprint(), "mode": mode}
