"""The sentence a user reads about a denied or reported program (its one home is :mod:`nbwarden.explain`)."""

from __future__ import annotations

from typing import Any

from ...explain import CATEGORY_LABELS as CATEGORY_LABEL
from ...explain import exec_fields, exec_program
from ...i18n import Translator

__all__ = ["CATEGORY_LABEL", "message", "notice"]


def notice(d: dict[str, Any], ref: str | None = None, appeal_url: str | None = None,
           policy_url: str = "") -> dict[str, Any]:
    """The explanation as data, for the user's kernel to render in the user's language."""
    return {"kind": "exec", "fields": exec_fields(d, ref, appeal_url, policy_url)}


def message(d: dict[str, Any], ref: str | None = None, appeal_url: str | None = None, policy_url: str = "",
            lang: str | None = "en") -> str:
    """The sentence a user reads: the file, the rule, the evidence, what happened, the policy's section of the
    category, how to appeal (a link that opens the form with the reference)."""
    return exec_program(Translator(lang), exec_fields(d, ref, appeal_url, policy_url))
