"""Appeals: filed by a user about a decision or a restriction, decided by an admin (a part of :class:`Ledger`).

**What granting does.**  An appeal names a decision (its reference), a
restriction, both, or neither.  Granting it forgives exactly what it concerns,
in one transaction that holds the user's lock (the same one a strike takes),
so the strike ladder stays exact however many gates strike the user meanwhile:

* the strike of the named decision, and of the decision that created the named
  restriction (a ladder rung), are pardoned;
* the named restriction and the restrictions those decisions created are lifted;
* every other active ladder restriction of the user is counted again without the
  pardoned strikes (the strikes of its category and severity in the window before
  it was created): one whose rung is no longer reached is lifted too.  So pardoning
  the first of three strikes lifts the rung the third one reached;
* an appeal that names nothing is about the account: everything is forgiven, as
  ``nbwarden ledger pardon`` does; one that names a decision or restriction that is
  not the user's forgives nothing.

Later strikes are counted without the pardoned ones.  Nothing is deleted: a
pardoned strike keeps its row with who pardoned it, why and through which
appeal; a lifted restriction keeps who lifted it and why; the appeal keeps who
decided it, when, the response and the effect (the strikes and restrictions it
changed).

The methods live here, not in :mod:`nbwarden.ledger`, to keep that module to its
core (decisions, strikes, restrictions, outages); the tables are defined there,
and imported when a method runs (the ledger module imports this one).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

STATES = ("open", "granted", "denied")


class AppealsMixin:
    """``file_appeal``, ``decide_appeal`` and ``appeals`` of :class:`nbwarden.ledger.Ledger`."""

    def file_appeal(self, user: str, text: str, *, restriction_id: int | None = None,
                    decision_ref: str | None = None, now: float | None = None) -> int:
        from .ledger import Appeal

        with self._writer() as session, session.begin():
            row = Appeal(user=user, text=text, restriction_id=restriction_id, decision_ref=decision_ref,
                         created_at=time.time() if now is None else now, state="open")
            session.add(row)
            session.flush()
            return row.id

    def decide_appeal(self, appeal_id: int, granted: bool, *, by: str = "operator", response: str = "",
                      ladder: Callable[[int, str, str], Any] | None = None, window_s: float = 30 * 86400.0,
                      now: float | None = None) -> dict[str, Any]:
        """Close an appeal.  Granting forgives what it concerns (module docstring); ``ladder`` and ``window_s``
        (the policy's) let the other rungs be counted again.  Returns the appeal with its ``effect``."""
        from .ledger import Appeal

        now = time.time() if now is None else now
        with self._writer() as session, session.begin():
            row = session.get(Appeal, appeal_id)
            if row is None:
                raise KeyError(f"no appeal {appeal_id}")
            self._lock_user(session, row.user)
            session.refresh(row)  # as committed when the lock was granted: two admins cannot both decide it
            if row.state != "open":
                raise ValueError(f"appeal {appeal_id} is already {row.state}")
            row.state = "granted" if granted else "denied"
            row.decided_at, row.decided_by, row.response = now, by, response
            if granted:
                reason = f"appeal {appeal_id} granted by {by}" + (f": {response}" if response else "")
                row.effect = json.dumps(self._grant(session, row, by, reason, ladder, window_s, now))
        return self.appeals(appeal_id=appeal_id)[0]

    def _grant(self, session: Session, appeal: Any, by: str, reason: str,
               ladder: Callable[[int, str, str], Any] | None, window_s: float, now: float) -> dict[str, Any]:
        from .ledger import LEVEL_RANK, Decision, Restriction, Strike

        user = appeal.user
        decision = None
        if appeal.decision_ref:
            decision = session.scalar(select(Decision).where(Decision.ref == appeal.decision_ref,
                                                             Decision.user == user))
        restriction = session.get(Restriction, appeal.restriction_id) if appeal.restriction_id else None
        if restriction is not None and restriction.user != user:
            restriction = None
        # an appeal that names something not found (someone else's reference) forgives nothing, not the account
        named = bool(appeal.decision_ref or appeal.restriction_id)
        effect: dict[str, Any] = {"scope": "decision" if named else "account", "strikes_pardoned": [],
                                  "restrictions_lifted": []}

        def pardon(strike: Any) -> None:
            strike.pardoned_at, strike.pardoned_by, strike.pardon_reason = now, by, reason
            strike.appeal_id = appeal.id
            ref = session.scalar(select(Decision.ref).where(Decision.id == strike.decision_id))
            effect["strikes_pardoned"].append({"id": strike.id, "category": strike.category,
                                               "severity": strike.severity, "decision_ref": ref})

        def lift(row: Any, why: str) -> None:
            row.lifted_at, row.lifted_by, row.lift_reason = now, by, why
            effect["restrictions_lifted"].append({"id": row.id, "level": row.level, "category": row.category})

        def active(row: Any) -> bool:
            return row.lifted_at is None and (row.expires_at is None or row.expires_at > now)

        if effect["scope"] == "account":
            for strike in session.scalars(select(Strike).where(Strike.user == user, Strike.pardoned_at.is_(None))):
                pardon(strike)
            for row in session.scalars(select(Restriction).where(Restriction.user == user,
                                                                 Restriction.lifted_at.is_(None))):
                if active(row):
                    lift(row, reason)
            return effect

        concerned = {decision.id} if decision is not None else set()
        if restriction is not None and restriction.created_by == "ladder" and restriction.decision_id:
            concerned.add(restriction.decision_id)
        if concerned:
            for strike in session.scalars(select(Strike).where(Strike.decision_id.in_(concerned),
                                                               Strike.pardoned_at.is_(None))):
                pardon(strike)
        if restriction is not None and active(restriction):
            lift(restriction, reason)
        lifted = {r["id"] for r in effect["restrictions_lifted"]}
        for row in session.scalars(select(Restriction).where(Restriction.user == user, Restriction.lifted_at.is_(None),
                                                             Restriction.created_by == "ladder")
                                   .order_by(Restriction.id)):
            if row.id in lifted or not active(row):
                continue
            if row.decision_id in concerned:
                lift(row, reason)
                continue
            if ladder is None or not effect["strikes_pardoned"]:
                continue
            rung = session.scalar(select(Strike).where(Strike.decision_id == row.decision_id))
            if rung is None:
                continue
            count = self._strike_count(session, user, rung.category, rung.severity, row.created_at, window_s,
                                       up_to_at=row.created_at)
            step = ladder(count, rung.category, rung.severity)
            if step is None or not step.restrict or LEVEL_RANK.get(step.restrict, -1) < LEVEL_RANK[row.level]:
                lift(row, f"{reason}; {count} {rung.category} strike(s) remain, below this rung")
        return effect

    def appeals(self, user: str | None = None, *, state: str | None = None,
                appeal_id: int | None = None) -> list[dict[str, Any]]:
        from .ledger import Appeal, iso

        query = select(Appeal).order_by(Appeal.id)
        if user:
            query = query.where(Appeal.user == user)
        if state:
            query = query.where(Appeal.state == state)
        if appeal_id is not None:
            query = query.where(Appeal.id == appeal_id)

        def read(_attempt: int) -> list[dict[str, Any]]:
            with self._session() as session:
                return [{"id": a.id, "user": a.user, "created": iso(a.created_at), "text": a.text,
                         "restriction_id": a.restriction_id, "decision_ref": a.decision_ref, "state": a.state,
                         "decided": iso(a.decided_at), "decided_by": a.decided_by, "response": a.response,
                         "effect": json.loads(a.effect) if a.effect else None}
                        for a in session.scalars(query)]

        return self._retry(read)
