"""What the gate tells a user: the Colab-like warning and block texts, the deny text, and their parts."""

from __future__ import annotations

from typing import Any

from ..evidence import group_evidence
from ..policy import Outcome

V1 = "v1.kernel.websocket.jupyter.org"
ENAME = "PolicyViolation"

CATEGORY_LABELS = {
    "deepfake": "deepfake creation",
    "crypto_mining": "cryptocurrency mining",
    "torrent_p2p": "torrents or peer-to-peer file sharing",
    "remote_desktop_ssh": "remote desktop or SSH",
    "proxy_tunnel": "a remote proxy or tunnel",
    "web_file_hosting": "file hosting, media serving or a web service",
    "dos_attack": "a denial-of-service attack",
    "password_cracking": "password cracking",
}

DEFAULT_MESSAGE = """\
{lead}
Category: {category_label} ({category}).
Evidence: {evidence}
{next}
Please note the prohibited actions specified in the acceptable use policy: {policy_link}
Reference {ref}. If you think this is a mistake, appeal at {appeal_url} and quote the reference."""

DEFAULT_DENY = """\
Your account is restricted: {restriction}.
Reason: {reason}
Code does not run on this server while the restriction lasts.
The acceptable use policy: {policy_link}
To appeal, go to {appeal_url} and quote reference {ref}."""

LEADS = {
    "warn": "You may be executing code that is disallowed, and this may restrict your ability to use "
            "this service in the future.",
    "block": "This code is disallowed and was not run. Running disallowed code may restrict your ability to "
             "use this service in the future.",
    "error": "This code could not be checked against the acceptable use policy, so it was not run.",
}


class _Formatter(dict):
    def __missing__(self, key: str) -> str:  # unknown fields in an operator's template stay visible
        return "{" + key + "}"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds % 3600 == 0 and seconds >= 3600:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0 and seconds >= 60:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def _rung_text(step: dict[str, Any]) -> str:
    level = step.get("restrict")
    hours = step.get("hours")
    span = f" for {hours:g} h" if hours and level != "ban" else ""
    return {"block_category": f"the category is blocked for you{span}",
            "suspend": f"code execution is suspended{span}", "ban": "the account is banned"}.get(level, str(level))


def _evidence(outcome: Outcome, limit: int = 3) -> list[str]:
    """One line per location (cell, line) with the rules that matched there, the strongest first."""
    lines = []
    groups = group_evidence(outcome.findings, min_severity="warn") or group_evidence(outcome.findings)
    for group in groups[:limit]:
        text = group["evidence"]
        if group["via"]:
            text = f"{text} (via {group['via']})"
        if len(text) > 160:
            text = text[:159] + "…"
        where = ", ".join(p for p in (group["unit"], f"cell {group['cell']}" if group["cell"] is not None else "",
                                      f"line {group['line']}" if group["line"] is not None else "") if p)
        lines.append(f"{where + ': ' if where else ''}{text} [{', '.join(group['rules'])}]")
    if len(groups) > limit:
        lines.append(f"and {len(groups) - limit} more")
    return lines


def evidence_text(lines: list[str]) -> str:
    """The ``{evidence}`` field: one location a line, the later ones indented under the first."""
    if not lines:
        return "-"
    return lines[0] + "".join(f"\n          {line}" for line in lines[1:])
