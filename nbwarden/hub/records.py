"""Appeals as the pages and the API show them: one click from a decision, a strike or a restriction.

* :func:`annotate_user` adds to a user's record what their page needs to offer
  an *Appeal* action on every decision, strike and restriction (and to show the
  appeal instead once one is filed);
* :func:`appeal_target` is what the form is filled in with, from the page's
  ``?ref=`` and ``?restriction=`` (the links in the gate's messages carry them);
* :func:`annotate_appeals` puts the decision's evidence beside each appeal for
  the admins (the decision named, or the one that created the restriction);

Nothing here reads another user's records: every lookup is by the user whose
record it is, or for admins.
"""

from __future__ import annotations

import time
from typing import Any

from ..ledger import Ledger


def annotate_user(ledger: Ledger, record: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """Mark what is already appealed (an item shows its appeal, not a second Appeal button), name the
    decision behind each restriction (its Appeal link carries the reference) and add the pardoned strikes
    (the page shows what an appeal removed)."""
    now = time.time() if now is None else now
    user = record["user"]
    appeals = record["appeals"]
    by_ref: dict[str, dict[str, Any]] = {}
    by_restriction: dict[int, dict[str, Any]] = {}
    for appeal in appeals:  # oldest first: the newest appeal about a thing wins
        if appeal["decision_ref"]:
            by_ref[appeal["decision_ref"]] = appeal
        if appeal["restriction_id"] is not None:
            by_restriction[appeal["restriction_id"]] = appeal
    active = {r["id"] for r in record["active_restrictions"]}
    causes = ledger.decisions_by(ids=[r["decision_id"] for r in record["active_restrictions"] if r["decision_id"]])
    for restriction in record["active_restrictions"]:
        cause = causes.get(restriction["decision_id"]) if restriction["decision_id"] else None
        restriction["decision_ref"] = cause["ref"] if cause and cause["user"] == user else None
        restriction["appeal"] = by_restriction.get(restriction["id"]) or (
            by_ref.get(restriction["decision_ref"]) if restriction["decision_ref"] else None)
    for decision in record["decisions"]:
        # the appeal link names the restriction the decision created or was refused by, while it lasts
        if decision.get("restriction_id") not in active:
            decision["restriction_id"] = None
    record["appeals_by_ref"] = by_ref
    record["strikes_all"] = ledger.strikes(user, include_pardoned=True)
    return record


def appeal_target(ledger: Ledger, record: dict[str, Any], ref: str = "", restriction: str = "") -> dict[str, Any]:
    """What the appeal form says and is filled in with.  A reference that is not one of the user's decisions
    is left in the field as typed, and nothing about it is shown."""
    user = record["user"]
    target: dict[str, Any] = {"ref": (ref or "").strip()[:32], "restriction_id": None, "decision": None,
                              "restriction": None}
    active = {r["id"]: r for r in record["active_restrictions"]}
    if target["ref"]:
        decision = ledger.get_decision(target["ref"], ref_only=True)
        if decision is not None and decision["user"] == user:
            target["decision"] = decision
            if decision.get("restriction_id") in active:
                target["restriction_id"] = decision["restriction_id"]
    if restriction and str(restriction).isdigit() and int(restriction) in active:
        target["restriction_id"] = int(restriction)
    if target["restriction_id"] is not None:
        target["restriction"] = active[target["restriction_id"]]
    elif not target["ref"] and len(active) == 1:  # the page on its own: the one restriction there is
        target["restriction_id"] = next(iter(active))
    return target


def annotate_appeals(ledger: Ledger, appeals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each appeal with ``decision`` (its evidence) and ``restriction``, in three queries for all of them."""
    restrictions = {r.id: r for r in ledger.restrictions(ids=[a["restriction_id"] for a in appeals
                                                               if a["restriction_id"] is not None])}
    decisions = ledger.decisions_by(refs=[a["decision_ref"] for a in appeals if a["decision_ref"]],
                                    ids=[r.decision_id for r in restrictions.values() if r.decision_id])
    for appeal in appeals:
        restriction = restrictions.get(appeal["restriction_id"])
        restriction = restriction if restriction is not None and restriction.user == appeal["user"] else None
        appeal["restriction"] = restriction.to_dict() if restriction is not None else None
        decision, role = decisions.get(appeal["decision_ref"]) if appeal["decision_ref"] else None, "decision"
        if decision is None and restriction is not None and restriction.decision_id:
            decision, role = decisions.get(restriction.decision_id), "restriction"
        if decision is not None and decision["user"] != appeal["user"]:
            decision = None  # a reference typed by hand that names someone else's decision
        appeal["decision"], appeal["decision_role"] = decision, role if decision is not None else None
    return appeals
