"""The block-rate alert: blocks and kills that jump with no rule change (a poisoned dependency).

One home for its rule, so that the enforcement pass (:func:`rate_alert`), the
dashboard's charts (the baseline and threshold drawn over the hourly blocks)
and the Prometheus gauge ``nbwarden_block_rate_alert`` agree.
"""

from __future__ import annotations

import time
from typing import Any

from .models import HubStore

WINDOW_S = 3600.0  # the recent window
BASELINE_H = 24.0  # the window's baseline: the mean of the windows in the hours before it
FACTOR = 5.0  # a jump is more than FACTOR times the baseline (taken as at least 1)...
MIN_COUNT = 10  # ...and at least MIN_COUNT blocks and kills


def baseline_windows(*, window_s: float = WINDOW_S, baseline_h: float = BASELINE_H) -> float:
    """How many windows the baseline spans: its block count divided by this is the baseline per window."""
    return max(baseline_h * 3600.0 / window_s, 1.0)


def threshold(baseline_per_window: float, *, factor: float = FACTOR, min_count: int = MIN_COUNT) -> float:
    """Blocks and kills in one window from which on it counts as a jump, given the baseline."""
    return max(float(min_count), factor * max(baseline_per_window, 1.0))


def rate_alert(store: HubStore, now: float | None = None, *, window_s: float = WINDOW_S, baseline_h: float = BASELINE_H,
               factor: float = FACTOR, min_count: int = MIN_COUNT) -> dict[str, Any]:
    """Did blocks and kills jump in the last ``window_s`` with no rule change?

    A jump with unchanged rule packs means the users' code changed, or something under it did: a
    poisoned dependency that starts a miner everywhere looks exactly like that.  A jump right after a
    rule update is more likely the update, and is reported as such, not as an alert.
    """
    now = time.time() if now is None else now
    start = now - window_s - baseline_h * 3600.0
    rows = store.decisions_since(start, actions=("block",))
    recent = [r for r in rows if r["at"] >= now - window_s]
    baseline = [r for r in rows if r["at"] < now - window_s]
    per_window = len(baseline) / baseline_windows(window_s=window_s, baseline_h=baseline_h)
    recent_versions = {r["rules_version"] for r in recent if r["rules_version"]}
    baseline_versions = {r["rules_version"] for r in baseline if r["rules_version"]}
    rules_changed = bool(baseline_versions) and not recent_versions <= baseline_versions
    jump = len(recent) >= min_count and len(recent) > factor * max(per_window, 1.0)
    top: dict[str, int] = {}
    for r in recent:
        for rule in (r["rules"] or "").split(","):
            if rule:
                top[rule] = top.get(rule, 0) + 1
    return {"alert": jump and not rules_changed, "jump": jump, "rules_changed": rules_changed,
            "recent": len(recent), "baseline_per_window": round(per_window, 3), "window_s": window_s,
            "threshold": threshold(per_window, factor=factor, min_count=min_count),
            "users": len({r["user"] for r in recent}),
            "top_rules": sorted(top.items(), key=lambda kv: -kv[1])[:5]}
