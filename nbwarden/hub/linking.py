"""Multi-account evasion: link accounts through shared signals, as cases for an admin.

Colab forbids "using multiple accounts to work around access or resource usage
restrictions".  Each signal alone is weak (a campus shares one NAT address,
a class runs the same tutorial), so accounts are linked only when several
independent signals agree within a time window, and a link is never an
action: it becomes a :class:`~nbwarden.hub.models.LinkCase` with its evidence,
and an admin confirms or dismisses it.

Signals between two accounts A and B (weights in :class:`LinkConfig`):

``ip_ua`` (weak)
    logins from the same IP address *and* the same user agent within ``login_window_h``.
``code`` (weak)
    the same cells (code hashes) run by both, ignoring cells that ``popular_users``
    or more accounts ran (tutorials, course material).
``artefact`` (strong)
    the same prohibited work: a warned or blocked cell or process with the same
    code hash, or the same rule matched on the same evidence (a wallet, a pool URL).
``handoff`` (strong)
    A hit a quota or was restricted, and within ``handoff_window_h`` B ran work A
    had run before (same code hash) or work of the restricted category.

A case opens when the summed weight reaches ``threshold`` with at least
``min_kinds`` different signal kinds.  Two strangers who share a NAT address,
a browser and a popular notebook reach 2 of the default 3: no case.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from .models import HubStore

FLAGGED = ("warn", "still_run", "block", "deny")


@dataclass(slots=True)
class LinkConfig:
    lookback_h: float = 7 * 24.0
    login_window_h: float = 6.0
    handoff_window_h: float = 2.0
    popular_users: int = 3
    min_shared_cells: int = 2
    weights: dict[str, float] | None = None
    threshold: float = 3.0
    min_kinds: int = 2

    def weight(self, kind: str) -> float:
        defaults = {"ip_ua": 1.0, "code": 1.0, "artefact": 2.0, "handoff": 2.0}
        return (self.weights or {}).get(kind, defaults[kind])


def _evidence_keys(row: dict[str, Any]) -> set[str]:
    """Rule + evidence text of a flagged decision's findings (the 'same artefact' key)."""
    keys: set[str] = set()
    try:
        findings = json.loads(row.get("findings") or "[]")
    except ValueError:
        findings = []
    for f in findings if isinstance(findings, list) else []:
        if isinstance(f, dict) and f.get("rule") and f.get("evidence") and f.get("severity") in ("warn", "block"):
            keys.add(f"{f['rule']}|{str(f['evidence'])[:200]}")
    return keys


def find_links(store: HubStore, config: LinkConfig | None = None, now: float | None = None
               ) -> list[dict[str, Any]]:
    """Pairs of accounts whose signals reach the threshold: [{users, score, signals}]."""
    cfg = config or LinkConfig()
    now = time.time() if now is None else now
    since = now - cfg.lookback_h * 3600.0
    pair_signals: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(dict)

    def add(a: str, b: str, kind: str, evidence: dict[str, Any]) -> None:
        if a == b:
            return
        pair = tuple(sorted((a, b)))
        entry = pair_signals[pair].setdefault(kind, {"kind": kind, "weight": cfg.weight(kind), "evidence": []})
        if len(entry["evidence"]) < 5:
            entry["evidence"].append(evidence)

    # ip + user agent
    logins = store.logins(since=since, limit=None)
    by_client: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for login in logins:
        if login["ip"] and login["user_agent"]:
            by_client[(login["ip"], login["user_agent"])].append(login)
    window = cfg.login_window_h * 3600.0
    for (ip, agent), rows in by_client.items():
        rows.sort(key=lambda r: r["at"])
        for i, first in enumerate(rows):
            for second in rows[i + 1:]:
                if second["at"] - first["at"] > window:
                    break
                if first["user"] != second["user"]:
                    add(first["user"], second["user"], "ip_ua",
                        {"ip": ip, "user_agent": agent[:120], "logins": [first["time"], second["time"]]})

    # code hashes, benign and flagged
    decisions = store.decisions_since(since)
    users_by_hash: dict[str, set[str]] = defaultdict(set)
    for d in decisions:
        if d["code_hash"]:
            users_by_hash[d["code_hash"]].add(d["user"])
    popular = {h for h, users in users_by_hash.items() if len(users) >= cfg.popular_users}
    shared_cells: dict[tuple[str, str], set[str]] = defaultdict(set)
    flagged_hash: dict[str, set[str]] = defaultdict(set)
    flagged_key: dict[str, set[str]] = defaultdict(set)
    work_by_user: dict[str, list[tuple[float, str | None, str | None]]] = defaultdict(list)
    for d in decisions:
        work_by_user[d["user"]].append((d["at"], d["code_hash"], d["category"] if d["action"] in FLAGGED else None))
        if d["action"] in FLAGGED:
            if d["code_hash"] and d["code_hash"] not in popular:
                flagged_hash[d["code_hash"]].add(d["user"])
            for key in _evidence_keys(d):
                flagged_key[key].add(d["user"])
    for digest, users in users_by_hash.items():
        if digest in popular or len(users) < 2:
            continue
        for a, b in combinations(sorted(users), 2):
            shared_cells[(a, b)].add(digest)
    for (a, b), digests in shared_cells.items():
        benign = digests - set(flagged_hash)
        if len(benign) >= cfg.min_shared_cells:
            add(a, b, "code", {"shared_cells": len(benign), "hashes": sorted(benign)[:3]})
    for digest, users in flagged_hash.items():
        for a, b in combinations(sorted(users), 2):
            add(a, b, "artefact", {"code_hash": digest})
    for key, users in flagged_key.items():
        if len(users) >= cfg.popular_users:
            continue
        rule, _, evidence = key.partition("|")
        for a, b in combinations(sorted(users), 2):
            add(a, b, "artefact", {"rule": rule, "evidence": evidence[:120]})

    # handoff after a quota hit or a restriction
    events = [{"user": e["user"], "at": e["at"], "what": f"quota {e['kind']} ({e['resource']})", "category": None}
              for e in store.quota_events(since=since, limit=None) if e["kind"] in ("stop", "refuse")]
    events += [{"user": r["user"], "at": r["at"], "what": f"restriction {r['level']}", "category": r["category"]}
               for r in store.restriction_events(since)]
    handoff = cfg.handoff_window_h * 3600.0
    for event in events:
        owner, at = event["user"], event["at"]
        before = {h for t, h, _ in work_by_user.get(owner, []) if h and t <= at and h not in popular}
        categories = {c for t, _, c in work_by_user.get(owner, []) if c and t <= at}
        if event["category"]:
            categories.add(event["category"])
        for other, work in work_by_user.items():
            if other == owner:
                continue
            for t, digest, category in work:
                if not at <= t <= at + handoff:
                    continue
                if (digest and digest in before) or (category and category in categories):
                    add(owner, other, "handoff", {"after": event["what"], "minutes_later": round((t - at) / 60, 1),
                                                  "same": "code" if digest in before else f"category {category}"})
                    break

    links = []
    for (a, b), signals in pair_signals.items():
        score = sum(s["weight"] for s in signals.values())
        if score >= cfg.threshold and len(signals) >= cfg.min_kinds:
            links.append({"users": [a, b], "score": score, "signals": sorted(signals.values(),
                                                                             key=lambda s: -s["weight"])})
    links.sort(key=lambda link: -link["score"])
    return links


def update_cases(store: HubStore, config: LinkConfig | None = None, now: float | None = None) -> list[int]:
    """Open or refresh a case for every link; returns the ids of new cases."""
    created = []
    for link in find_links(store, config, now):
        case_id, new = store.upsert_case(link["users"][0], link["users"][1], link["score"], link["signals"], now)
        if new:
            created.append(case_id)
    return created
