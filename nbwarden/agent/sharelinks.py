"""The share-link clients the agent lets run (``share_link_clients.sha256``; its header says why and where the
digests come from).  One home for the list, read by the exec gate and by the process classifier, so the two
never disagree about gradio's ``frpc``."""

from __future__ import annotations

import logging
import os

log = logging.getLogger("nbwarden.agent")
SHARE_LINK_CLIENTS = os.path.join(os.path.dirname(__file__), "share_link_clients.sha256")


def read_digests(path: str) -> list[tuple[str, list[str]]]:
    """A list of executables by digest, the format of this list and of the exec gate's ``hash_files``: one
    ``sha256 word...`` a line, ``#`` starting a comment.  (sha256 in lower case, the words after it), in order."""
    with open(path, encoding="utf-8") as fh:
        return [(parts[0].lower(), parts[1:]) for line in fh
                if (parts := line.split("#", 1)[0].split()) and len(parts[0]) == 64]


def load_share_link_clients(path: str = SHARE_LINK_CLIENTS) -> dict[str, str]:
    """sha256 -> "client platform" from a list of share-link clients; an unreadable list allows none."""
    try:
        return {digest: " ".join(words) for digest, words in read_digests(path)}
    except OSError as exc:
        log.warning("share-link client list %s unreadable: %s", path, exc)
        return {}
