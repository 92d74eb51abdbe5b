"""What the gate tells a user: the Colab-like warning and block texts, the deny text, and their parts, in the
user's language (:mod:`nbwarden.i18n`)."""

from __future__ import annotations

from typing import Any

from ..evidence import group_evidence
from ..i18n import N_, Translator
from ..policy import Outcome

V1 = "v1.kernel.websocket.jupyter.org"
ENAME = "PolicyViolation"

DEFAULT_MESSAGE = N_("""\
{lead}
Category: {category_label} ({category}).
Evidence: {evidence}
{next}
Please note the prohibited actions specified in the acceptable use policy: {policy_link}
Reference {ref}. If you think this is a mistake, appeal at {appeal_url} and quote the reference.""")

DEFAULT_DENY = N_("""\
Your account is restricted: {restriction}.
Reason: {reason}
Code does not run on this server while the restriction lasts.
The acceptable use policy: {policy_link}
To appeal, go to {appeal_url} and quote reference {ref}.""")

LEADS = {
    "warn": N_("You may be executing code that is disallowed, and this may restrict your ability to use "
               "this service in the future."),
    "block": N_("This code is disallowed and was not run. Running disallowed code may restrict your ability to "
                "use this service in the future."),
    "error": N_("This code could not be checked against the acceptable use policy, so it was not run."),
}


class _Formatter(dict):
    def __missing__(self, key: str) -> str:  # unknown fields in an operator's template stay visible
        return "{" + key + "}"


def _duration(t: Translator, seconds: float) -> str:
    seconds = int(seconds)
    if seconds % 3600 == 0 and seconds >= 3600:
        return t.fmt("{n} h", n=seconds // 3600)
    if seconds % 60 == 0 and seconds >= 60:
        return t.fmt("{n} min", n=seconds // 60)
    return t.fmt("{n} s", n=seconds)


def _rung_text(t: Translator, step: dict[str, Any]) -> str:
    level = step.get("restrict")
    hours = step.get("hours")
    timed = bool(hours) and level != "ban"
    if level == "block_category":
        return (t.fmt("the category is blocked for you for {hours} h", hours=f"{hours:g}") if timed
                else t._("the category is blocked for you"))
    if level == "suspend":
        return (t.fmt("code execution is suspended for {hours} h", hours=f"{hours:g}") if timed
                else t._("code execution is suspended"))
    if level == "ban":
        return t._("the account is banned")
    return str(level)


def _evidence(outcome: Outcome, t: Translator | None = None, limit: int = 3) -> list[str]:
    """One line per location (cell, line) with the rules that matched there, the strongest first."""
    t = t or Translator("en")
    lines = []
    groups = group_evidence(outcome.findings, min_severity="warn") or group_evidence(outcome.findings)
    for group in groups[:limit]:
        text = group["evidence"]
        if group["via"]:
            text = t.fmt("{text} (via {via})", text=text, via=group["via"])
        if len(text) > 160:
            text = text[:159] + "…"
        where = ", ".join(p for p in (group["unit"],
                                      t.fmt("cell {n}", n=group["cell"]) if group["cell"] is not None else "",
                                      t.fmt("line {n}", n=group["line"]) if group["line"] is not None else "") if p)
        lines.append(f"{where + ': ' if where else ''}{text} [{', '.join(group['rules'])}]")
    if len(groups) > limit:
        lines.append(t.fmt("and {n} more", n=len(groups) - limit))
    return lines


def evidence_text(lines: list[str]) -> str:
    """The ``{evidence}`` field: one location a line, the later ones indented under the first."""
    if not lines:
        return "-"
    return lines[0] + "".join(f"\n          {line}" for line in lines[1:])
