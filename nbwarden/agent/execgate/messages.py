"""The sentence a user reads about a denied or reported program (:func:`message`), and the category labels."""

from __future__ import annotations

from typing import Any

from ...links import appeal_link, policy_section

CATEGORY_LABEL = {"crypto_mining": "cryptocurrency mining", "password_cracking": "password cracking",
                  "proxy_tunnel": "proxies and tunnels", "remote_desktop_ssh": "remote desktops and SSH servers",
                  "torrent_p2p": "torrents and peer-to-peer sharing", "web_file_hosting": "web and file hosting",
                  "dos_attack": "denial-of-service attacks", "deepfake": "deepfakes"}


def message(d: dict[str, Any], ref: str | None = None, appeal_url: str | None = None, policy_url: str = "") -> str:
    """The sentence a user reads: the file, the rule, the evidence, what happened, the policy's section of the
    category, how to appeal (a link that opens the form with the reference)."""
    top = (d.get("evidence") or {}).get("top") or {}
    path = d.get("exe") or "?"
    label = CATEGORY_LABEL.get(d.get("category") or "", "this kind of program")
    rule = top.get("rule") or (d.get("rules") or ["?"])[0]
    evidence = top.get("evidence") or ""
    what = {"veto": "was blocked before it ran", "late": "was checked too late and ran",
            "would_deny": "would have been blocked (audit mode: it ran)", "report": "was allowed and reported",
            "spared": "was allowed (exempt)"}.get(d.get("action", ""), d.get("action", ""))
    text = f"nbwarden: the program {path} {what}: {label} is not allowed on this service " \
           f"(rule {rule}: {evidence})."
    if d.get("action") == "veto":
        text += " Not one instruction of it ran; the exec failed with 'Operation not permitted'."
    if policy_url:
        text += f" The acceptable use policy: {policy_section(policy_url, d.get('category'))}."
    if ref:
        text += f" Reference {ref}."
    if appeal_url:
        text += f" If you think this is a mistake, appeal at {appeal_link(appeal_url, ref)} and quote the reference."
    return text
