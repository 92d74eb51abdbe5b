"""The two links every explanation carries: the policy's section of a category, and the appeal form.

Pure string functions with no dependencies, so the gate, the agent, the
in-kernel sensor and the hub build the same links the same way.  The hub's
policy page (``/services/nbwarden/policy``) has one anchor per category, named
after the category (``#crypto_mining``); the user page takes ``?ref=`` (a
decision's reference) and ``?restriction=`` and opens the appeal form with
them filled in.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


def policy_section(policy_url: str, category: str | None) -> str:
    """``policy_url`` pointing at the section of ``category`` (unchanged when it already names a section)."""
    if not policy_url or not category or "#" in policy_url:
        return policy_url
    return f"{policy_url}#{category}"


def appeal_link(appeal_url: str, ref: str | None = None, restriction: int | str | None = None) -> str:
    """The appeal URL that opens the form about decision ``ref`` (and ``restriction``).

    An operator's URL may say where the values go (``https://aup.example/appeal/{ref}``); otherwise they are
    added as the query parameters ``ref`` and ``restriction``, which the hub's user page reads.
    """
    if not appeal_url or (ref is None and restriction is None):
        return appeal_url
    if "{ref}" in appeal_url or "{restriction}" in appeal_url:
        return appeal_url.replace("{ref}", ref or "").replace("{restriction}", "" if restriction is None
                                                              else str(restriction))
    parts = urlsplit(appeal_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("ref", "restriction")]
    if ref:
        query.append(("ref", ref))
    if restriction is not None:
        query.append(("restriction", str(restriction)))
    return urlunsplit(parts._replace(query=urlencode(query)))
