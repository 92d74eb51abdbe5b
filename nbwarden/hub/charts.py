"""The dashboard's figures: flags per hour, top rules, kills against blocks, quota use per group.

The dashboard's charts draw what :func:`chart_data` returns (``GET api/charts``),
and its overview line counts :func:`flag_totals`; both read the ledger here, in
a few grouped queries over ``ix_decisions_action_at`` (migration
``0004_charts``), never row by row.

A *flag* is every decision other than an allowed or audited cell.  The host
agent's ``block`` is a kill (or an exec refused before it ran), so it is counted
as ``kill``, apart from the gate's blocks.  The block-rate baseline and
threshold drawn over the hourly flags come from :mod:`nbwarden.hub.alerts`,
bucket by bucket, exactly as the enforcement pass computes them for the newest
bucket.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Integer, cast, func, select

from ..ledger import AGENT_KINDS, Decision, iso
from . import alerts
from .models import HubStore
from .quotas import RESOURCES, QuotaState

# flags in the order they are stacked: what the block-rate alert counts (block, kill) at the bottom, so the
# top of those two bars meets the threshold line on the same scale
FLAGS = ("block", "kill", "deny", "warn", "still_run")
STORED_FLAGS = ("block", "deny", "warn", "still_run")  # the kill is a stored block with an agent kind
RANGES = {"24h": 24, "7d": 7 * 24}  # hours shown
TOP_RULES = 10
UNCATEGORISED = "uncategorised"


def flag_label(action: str, kind: str | None) -> str:
    """The action as the dashboard names it: an agent's block is a kill."""
    return "kill" if action == "block" and kind in AGENT_KINDS else action


def flag_totals(store: HubStore) -> dict[str, int]:
    """Flags in the whole ledger by :data:`FLAGS` label (only those that occurred), for the overview."""
    query = (select(Decision.action, Decision.kind, func.count()).where(Decision.action.in_(STORED_FLAGS))
             .group_by(Decision.action, Decision.kind))
    totals: dict[str, int] = {}
    with store._session() as session:
        for action, kind, n in session.execute(query):
            label = flag_label(action, kind)
            totals[label] = totals.get(label, 0) + int(n)
    return {label: totals[label] for label in FLAGS if label in totals}


def _bucket(store: HubStore, since: float, width: float) -> Any:
    """``floor((at - since) / width)`` in SQL: SQLite truncates a cast (``at >= since``), PostgreSQL rounds it."""
    offset = (Decision.at - since) / width
    return func.floor(offset) if store.ledger.is_postgresql else cast(offset, Integer)


def _hourly(store: HubStore, since: float, until: float, width: float) -> list[tuple[int, str, str | None, int]]:
    """(bucket, label, category, count) of the flags in [since, until], bucket 0 starting at ``since``."""
    bucket = _bucket(store, since, width)
    query = (select(bucket, Decision.action, Decision.kind, Decision.category, func.count())
             .where(Decision.action.in_(STORED_FLAGS), Decision.at >= since, Decision.at <= until)
             .group_by(bucket, Decision.action, Decision.kind, Decision.category))
    with store._session() as session:
        return [(int(b), flag_label(action, kind), category, int(n))
                for b, action, kind, category, n in session.execute(query)]


def _rules(store: HubStore, since: float, until: float) -> list[tuple[str, str, int]]:
    """(rules, label, count) of the flags in [since, until] (rules: the stored comma-separated ids)."""
    query = (select(Decision.rules, Decision.action, Decision.kind, func.count())
             .where(Decision.action.in_(STORED_FLAGS), Decision.at >= since, Decision.at <= until)
             .group_by(Decision.rules, Decision.action, Decision.kind))
    with store._session() as session:
        return [(rules or "", flag_label(action, kind), int(n)) for rules, action, kind, n in session.execute(query)]


def _series(counts: dict[str, list[int]], order: list[str]) -> list[dict[str, Any]]:
    return [{"name": name, "data": counts[name], "total": sum(counts[name])} for name in order if any(counts[name])]


def quota_by_group(states: dict[str, QuotaState]) -> list[dict[str, Any]]:
    """Use of each group's capacity in its window: the members' used hours over the sum of their limits."""
    groups: dict[str, dict[str, Any]] = {}
    for state in states.values():
        entry = groups.setdefault(state.group, {"group": state.group, "users": 0, "window_hours": state.spec.window_hours,
                                                "resources": {r: {"used_hours": 0.0, "limit_hours": None,
                                                                  "warned": 0, "exhausted": 0} for r in RESOURCES}})
        entry["users"] += 1
        for resource in RESOURCES:
            use = entry["resources"][resource]
            use["used_hours"] += state.used_s.get(resource, 0.0) / 3600.0
            limit = state.spec.limit_s(resource)
            if limit is not None:
                use["limit_hours"] = (use["limit_hours"] or 0.0) + limit / 3600.0
                fraction = state.fraction(resource) or 0.0
                use["warned"] += int(state.spec.warn_fraction <= fraction < 1.0)
                use["exhausted"] += int(fraction >= 1.0)
    out = []
    for name in sorted(groups):
        entry = groups[name]
        for use in entry["resources"].values():
            limit = use["limit_hours"]
            use["percent"] = None if not limit else round(100.0 * use["used_hours"] / limit, 1)
            use["used_hours"] = round(use["used_hours"], 4)
        out.append(entry)
    return out


def chart_data(store: HubStore, states: dict[str, QuotaState], *, range_key: str = "24h",
               now: float | None = None) -> dict[str, Any]:
    """Everything the dashboard's charts draw for the last ``range_key`` (:data:`RANGES`).

    The buckets are the alert's windows (:data:`alerts.WINDOW_S`, an hour), ending at ``now``, so the newest
    bucket is the window :func:`alerts.rate_alert` judges and its baseline and threshold are the alert's own.
    """
    if range_key not in RANGES:
        raise ValueError(f"range must be one of {', '.join(RANGES)}")
    now = time.time() if now is None else now
    width = alerts.WINDOW_S
    n = int(round(RANGES[range_key] * 3600.0 / width))
    before = int(round(alerts.BASELINE_H * 3600.0 / width))  # buckets the baseline of the first one needs
    start = now - n * width
    rows = _hourly(store, start - before * width, now, width)

    alerted = [0] * (before + n)  # blocks and kills per bucket, the baseline's buckets first
    by_action = {label: [0] * n for label in FLAGS}
    by_category: dict[str, list[int]] = {}
    stopped: dict[str, dict[str, int]] = {}  # category -> gate blocks and agent kills
    for b, label, category, count in rows:
        b = min(b, before + n - 1)  # a decision at exactly ``now`` belongs to the newest bucket
        if label in ("block", "kill"):
            alerted[b] += count
        i = b - before
        if i < 0:
            continue
        name = category or UNCATEGORISED
        by_action[label][i] += count
        by_category.setdefault(name, [0] * n)[i] += count
        if label in ("block", "kill"):
            stop = stopped.setdefault(name, {"block": 0, "kill": 0})
            stop[label] += count

    windows = alerts.baseline_windows()
    baseline = [sum(alerted[i:i + before]) / windows for i in range(n)]
    top: dict[str, dict[str, int]] = {}
    for rules, label, count in _rules(store, start, now):
        for rule in filter(None, rules.split(",")):
            counts = top.setdefault(rule, {})
            counts[label] = counts.get(label, 0) + count
    ranked = sorted(top.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))[:TOP_RULES]
    categories = sorted(by_category, key=lambda c: (-sum(by_category[c]), c))
    return {
        "range": range_key, "now": now, "bucket_s": width, "start": start,
        "labels": [iso(start + i * width) for i in range(n)],
        "by_action": _series(by_action, list(FLAGS)),
        "by_category": _series(by_category, categories),
        "alert": {"baseline": [round(b, 3) for b in baseline], "threshold": [alerts.threshold(b) for b in baseline],
                  "counted": ["block", "kill"], "factor": alerts.FACTOR, "min_count": alerts.MIN_COUNT,
                  "baseline_h": alerts.BASELINE_H},
        "top_rules": [{"rule": rule, "total": sum(c.values()), "by_action": c} for rule, c in ranked],
        "stops": [{"category": c, "block": stopped[c]["block"], "kill": stopped[c]["kill"]}
                  for c in sorted(stopped, key=lambda c: (-sum(stopped[c].values()), c))],
        "quota": quota_by_group(states),
    }
