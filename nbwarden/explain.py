"""The explanations the agent, the exec gate and the in-kernel sensor print in a user's cell, in their language.

The agent runs as root and does not know the user's language; the sensor inside the user's kernel does
(:func:`nbwarden.i18n.user_language`).  So the agent sends an explanation as data (``{"kind", "fields"}``)
beside its English text, and the sensor renders it again with :func:`render` in the user's language.  Each
text has one home here, whoever prints it.
"""

from __future__ import annotations

from typing import Any

from .i18n import N_, Translator
from .links import appeal_link, policy_section

CATEGORY_LABELS = {
    "deepfake": N_("deepfake creation"),
    "crypto_mining": N_("cryptocurrency mining"),
    "torrent_p2p": N_("torrents or peer-to-peer file sharing"),
    "remote_desktop_ssh": N_("remote desktop or SSH"),
    "proxy_tunnel": N_("a remote proxy or tunnel"),
    "web_file_hosting": N_("file hosting, media serving or a web service"),
    "dos_attack": N_("a denial-of-service attack"),
    "password_cracking": N_("password cracking"),
    "obscured_code": N_("code that hides what it runs"),
}


def category_label(t: Translator, category: str | None) -> str:
    if not category:
        return t._("the acceptable use policy")
    label = CATEGORY_LABELS.get(category)
    return t._(label) if label else category.replace("_", " ")


def _links(t: Translator, fields: dict[str, Any], *, quote_ref: bool = False) -> str:
    text = ""
    if fields.get("policy_url"):
        text += " " + t.fmt("The acceptable use policy: {link}.",
                            link=policy_section(fields["policy_url"], fields.get("category")))
    if fields.get("ref"):
        text += " " + t.fmt("Reference {ref}.", ref=fields["ref"])
    appeal = fields.get("appeal_url")
    if appeal and not fields.get("package"):
        link = appeal_link(appeal, fields.get("ref"))
        text += " " + (t.fmt("If you think this is a mistake, appeal at {url} and quote the reference.", url=link)
                       if fields.get("ref") else t.fmt("If you think this is a mistake, appeal at {url}.", url=link))
    elif not fields.get("package") and quote_ref:
        text += " " + t._("If you think this is a mistake, contact the administrators.")
    return text


def process(t: Translator, fields: dict[str, Any]) -> str:
    """The agent stopped (or noticed) a process of the user's kernel."""
    stopped = fields.get("action") == "kill"
    what = dict(pid=fields.get("pid"), name=fields.get("name"), category=category_label(t, fields.get("category")),
                rule=fields.get("rule"), evidence=fields.get("evidence"))
    text = (t.fmt("nbwarden stopped process {pid} ({name}): {category} is not allowed here (rule {rule}: {evidence}).",
                  **what) if stopped else
            t.fmt("nbwarden noticed process {pid} ({name}): {category} is not allowed here (rule {rule}: {evidence}).",
                  **what))
    package = fields.get("package")
    if package:
        text += " " + t.fmt("It was started by the package {package}, not by your code; no strike was recorded. "
                            "Consider removing or pinning that package.",
                            package=f"{package.get('name')} {package.get('version', '')}".strip())
    return text + _links(t, fields)


EXEC_OUTCOMES = {
    "veto": N_("nbwarden: the program {path} was blocked before it ran: {category} is not allowed on this service "
               "(rule {rule}: {evidence})."),
    "late": N_("nbwarden: the program {path} was checked too late and ran: {category} is not allowed on this "
               "service (rule {rule}: {evidence})."),
    "would_deny": N_("nbwarden: the program {path} would have been blocked (audit mode: it ran): {category} is not "
                     "allowed on this service (rule {rule}: {evidence})."),
    "report": N_("nbwarden: the program {path} was allowed and reported: {category} is not allowed on this service "
                 "(rule {rule}: {evidence})."),
    "spared": N_("nbwarden: the program {path} was allowed (exempt): {category} is not allowed on this service "
                 "(rule {rule}: {evidence})."),
}


def exec_fields(d: dict[str, Any], ref: str | None = None, appeal_url: str | None = None,
                policy_url: str = "") -> dict[str, Any]:
    """What :func:`exec_program` needs of an exec gate decision ``d``."""
    top = (d.get("evidence") or {}).get("top") or {}
    return {"path": d.get("exe") or "?", "action": d.get("action", ""), "category": d.get("category"),
            "rule": top.get("rule") or (d.get("rules") or ["?"])[0], "evidence": top.get("evidence") or "",
            "ref": ref, "appeal_url": appeal_url or "", "policy_url": policy_url}


def exec_program(t: Translator, fields: dict[str, Any]) -> str:
    """The exec gate denied (or reported) a program: the file, the rule, the evidence, what happened, the
    policy's section of the category, how to appeal (a link that opens the form with the reference)."""
    template = EXEC_OUTCOMES.get(fields.get("action", ""), EXEC_OUTCOMES["report"])
    category = CATEGORY_LABELS.get(fields.get("category") or "")
    text = t.fmt(template, path=fields.get("path"), rule=fields.get("rule"), evidence=fields.get("evidence"),
                 category=t._(category) if category else t._("this kind of program"))
    if fields.get("action") == "veto":
        text += " " + t._("Not one instruction of it ran; the exec failed with 'Operation not permitted'.")
    return text + _links(t, fields)


def sensor_veto(t: Translator, fields: dict[str, Any]) -> str:
    """The in-kernel sensor refused a command or dynamically built code."""
    what = (t._("this dynamically built code") if fields.get("what") == "code" else t._("this command"))
    text = t.fmt("nbwarden: {what} is not allowed on this service ({category}; rule {rules}).", what=what,
                 category=category_label(t, fields.get("category")), rules=fields.get("rules"))
    return text + _links(t, fields, quote_ref=True)


def server_stop(t: Translator, fields: dict[str, Any]) -> str:
    """The hub service stops (or warns about) the user's server: a restriction, a quota, its lifetime, idle time."""
    why = fields.get("why")
    if why == "restricted":
        return t.fmt("Your account is restricted ({restriction}); your server is being stopped.",
                     restriction=restriction(t, fields.get("restriction") or {}))
    quota = dict(label=fields.get("label"), used=fields.get("used"), limit=fields.get("limit"),
                 window=fields.get("window"))
    if why == "quota":
        return t.fmt("{label} quota used up ({used} of {limit} {label}-hours in {window} h). Your server is being "
                     "stopped; you can start it again at {when}.", when=fields.get("when") or t._("later"), **quota)
    if why == "quota_warning":
        return t.fmt("You have used {percent}% of your {label} quota ({used} of {limit} {label}-hours in {window} h). "
                     "At 100% your server will be stopped.", percent=fields.get("percent"), **quota)
    if why == "lifetime":
        return t.fmt("Your server reached its maximum lifetime of {hours} h and is being stopped.",
                     hours=fields.get("hours"))
    if why == "idle":
        return t.fmt("Your server was idle for more than {minutes} min and is being stopped.",
                     minutes=fields.get("minutes"))
    raise ValueError(f"unknown server notice {why!r}")


APPEAL_OUTCOMES = {"granted": N_("granted"), "denied": N_("denied"), "open": N_("open")}


def appeal_answer(t: Translator, a: dict[str, Any]) -> str:
    """The answer to an appeal, under the user's next cell (``a``: :func:`appeal_fields`)."""
    state = t._(APPEAL_OUTCOMES[a["state"]]) if a.get("state") in APPEAL_OUTCOMES else str(a.get("state"))
    if a.get("decision_ref"):
        text = t.fmt("Your appeal {id} about decision {ref} was {state} by {by}", id=a["id"], ref=a["decision_ref"],
                     state=state, by=a.get("decided_by"))
    elif a.get("restriction_id"):
        text = t.fmt("Your appeal {id} about restriction {restriction} was {state} by {by}", id=a["id"],
                     restriction=a["restriction_id"], state=state, by=a.get("decided_by"))
    else:
        text = t.fmt("Your appeal {id} was {state} by {by}", id=a["id"], state=state, by=a.get("decided_by"))
    text += t.fmt(": \"{response}\".", response=a["response"]) if a.get("response") else "."
    strikes, lifted = a.get("strikes") or [], a.get("lifted") or []
    if strikes:
        text += " " + t.ngettext("{n} strike removed ({categories}).", "{n} strikes removed ({categories}).",
                                 len(strikes)).format(n=len(strikes), categories=", ".join(dict.fromkeys(strikes)))
    if lifted:
        names = [t.fmt("restriction {id} ({level})", id=r.get("id"), level=r.get("level")) for r in lifted]
        text += " " + t.fmt("Lifted: {restrictions}.", restrictions=", ".join(names))
    if a.get("state") == "denied" and not strikes and not lifted:
        text += " " + t._("The decision stands.")
    return text


def appeal_fields(appeal: dict[str, Any]) -> dict[str, Any]:
    """What :func:`appeal_answer` needs of a decided appeal (the ledger's dict)."""
    effect = appeal.get("effect") or {}
    return {"id": appeal.get("id"), "decision_ref": appeal.get("decision_ref"),
            "restriction_id": appeal.get("restriction_id"), "state": appeal.get("state"),
            "decided_by": appeal.get("decided_by"), "response": appeal.get("response"),
            "strikes": [s.get("category") for s in effect.get("strikes_pardoned") or []],
            "lifted": [{"id": r.get("id"), "level": r.get("level")} for r in effect.get("restrictions_lifted") or []]}


RENDERERS = {"process": process, "exec": exec_program, "sensor_veto": sensor_veto, "server": server_stop,
             "appeal": appeal_answer}


def for_user(explanation: Any, fallback: str) -> str:
    """What the user's own server or kernel prints for an explanation sent as data: rendered in the user's
    language (:func:`nbwarden.i18n.user_language`), else ``fallback`` (the English text it came with)."""
    if not isinstance(explanation, dict):
        return fallback
    from .i18n import user_language

    return render(explanation, Translator(user_language()), fallback=fallback) or fallback


def render(explanation: dict[str, Any] | None, t: Translator, fallback: str = "") -> str:
    """An explanation sent as data, in ``t``'s language (``fallback`` for anything unknown or broken)."""
    try:
        kind, fields = explanation["kind"], explanation["fields"]  # type: ignore[index]
        return RENDERERS[kind](t, fields)
    except (KeyError, TypeError, AttributeError, ValueError):
        return fallback


def until(t: Translator, expires_at: float | None) -> str:
    from .ledger import iso

    return t._("further notice") if expires_at is None else iso(expires_at)


def restriction(t: Translator, r: Any) -> str:
    """A restriction (:class:`nbwarden.ledger.RestrictionInfo`, or its fields as a dict) in words: what it
    stops, and until when."""
    level, category, expires = (r.get("level"), r.get("category"), r.get("expires_at")) if isinstance(r, dict) \
        else (r.level, r.category, r.expires_at)
    when = until(t, expires)
    if level == "block_category":
        return t.fmt("{category} is blocked until {until}", category=category_label(t, category), until=when)
    if level == "suspend":
        return t.fmt("execution is suspended until {until}", until=when)
    if level == "ban":
        return t.fmt("the account is banned until {until}", until=when)
    return t.fmt("{level} until {until}", level=level, until=when)
