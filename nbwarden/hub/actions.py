"""What users and admins do through the pages and the API: file an appeal; pardon, restrict, decide appeals and
cases, bulk pardon.  One function per kind of action, shared by the form handlers and the REST API, so both check
the same things and answer the same way."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tornado import web

if TYPE_CHECKING:
    from .service import Service

log = logging.getLogger("nbwarden.hub.service")


def file_appeal(svc: Service, user: str, text: str, restriction: Any, ref: str | None) -> int:
    """File ``user``'s appeal; the restriction and the decision must be the user's own, so that granting it
    can never forgive someone else's record."""
    restriction_id = int(restriction) if restriction not in (None, "") else None
    if restriction_id is not None and restriction_id not in {r.id for r in svc.ledger.restrictions(user)}:
        raise web.HTTPError(403, "that restriction is not yours")
    if ref:
        decision = svc.ledger.get_decision(ref, ref_only=True)
        if decision is None or decision["user"] != user:
            raise web.HTTPError(404, f"no decision {ref} of yours")
    if restriction_id is None and not ref:  # an appeal about nothing named: the account's one restriction, if any
        active = [r for r in svc.ledger.active_restrictions(user)]
        restriction_id = active[0].id if len(active) == 1 else None
    return svc.ledger.file_appeal(user, text[:5000], restriction_id=restriction_id, decision_ref=ref)


async def perform(svc: Service, admin: str, action: str, args: dict[str, Any]) -> str:
    """Admin actions shared by the dashboard forms and the API."""
    if action == "pardon":
        user = str(args["user"])
        lifted = svc.ledger.pardon(user, by=admin, reason=str(args.get("reason") or ""),
                                   restriction_id=int(args["restriction_id"]) if args.get("restriction_id") else None)
        return f"{user}: {lifted} restriction(s) lifted, strikes forgiven"
    if action == "restrict":
        user = str(args["user"])
        level = str(args.get("level") or "suspend")
        hours_text = str(args.get("hours") or "24")
        hours = float(hours_text) if hours_text not in ("", "0") else None
        try:
            restriction = svc.ledger.restrict(user, level, hours=hours, category=args.get("category") or None,
                                              reason=str(args.get("reason") or "restricted by an admin"), by=admin)
        except ValueError as exc:
            raise web.HTTPError(400, str(exc)) from exc
        if svc.mode == "enforce" and level in ("suspend", "ban"):
            try:
                users = await svc.refresh_users()
                if ((users.get(user) or {}).get("servers") or {}).get(""):
                    await svc.stop_server(user, "restricted")
            except Exception as exc:
                log.warning("nbwarden: could not stop %s's server: %s", user, exc)
        return f"{user}: restriction {restriction.id}: {restriction.describe()}"
    if action in ("approve", "deny"):
        try:
            appeal = svc.decide_appeal(int(args["appeal_id"]), action == "approve", admin,
                                       str(args.get("response") or ""))
        except (KeyError, ValueError) as exc:
            raise web.HTTPError(400, str(exc)) from exc
        return f"appeal {appeal['id']} {appeal['state']}"
    if action == "case":
        try:
            case = svc.store.decide_case(int(args["case_id"]), str(args.get("state") or "dismissed"), by=admin,
                                         note=str(args.get("note") or ""))
        except (KeyError, ValueError) as exc:
            raise web.HTTPError(400, str(exc)) from exc
        return f"case {case['id']} {case['state']}"
    if action == "bulk_pardon":
        since, until = _time_arg(args.get("since")), _time_arg(args.get("until"))
        if not args.get("rule") or since is None or until is None:
            raise web.HTTPError(400, "bulk pardon needs rule, since and until")
        result = svc.store.bulk_pardon(str(args["rule"]), since, until, by=admin, reason=str(args.get("reason") or ""))
        return (f"bulk pardon of {result['rule']}: {result['decisions']} decisions, {result['strikes_pardoned']} "
                f"strikes forgiven, {result['restrictions_lifted']} restrictions lifted")
    raise web.HTTPError(400, f"unknown action {action!r}")


def _time_arg(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        pass
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
