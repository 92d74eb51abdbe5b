"""The share-link clients the agent lets run (``share_link_clients.sha256``; its header says why and where the
digests come from).  One home for the list, read by the exec gate and by the process classifier, so the two
never disagree about gradio's ``frpc``."""

from __future__ import annotations

import logging
import os

log = logging.getLogger("nbwarden.agent")
SHARE_LINK_CLIENTS = os.path.join(os.path.dirname(__file__), "share_link_clients.sha256")


def load_share_link_clients(path: str = SHARE_LINK_CLIENTS) -> dict[str, str]:
    """sha256 -> "client platform" from a list of share-link clients; an unreadable list allows none."""
    clients: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                parts = line.split("#", 1)[0].split()
                if parts and len(parts[0]) == 64:
                    clients[parts[0].lower()] = " ".join(parts[1:])
    except OSError as exc:
        log.warning("share-link client list %s unreadable: %s", path, exc)
    return clients
