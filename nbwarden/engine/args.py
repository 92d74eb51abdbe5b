"""The arguments of ``command`` patterns: needles lower-cased once (:class:`_ArgSpec`) and
:func:`_args_match`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class _ArgSpec:
    """The argument needles of a command pattern, lower-cased once, with one regex for the "any of" list:
    rules for any program (``program: "*"``) are tried on every command, so their quick test is one call."""

    required: tuple[str, ...]
    alternatives: tuple[str, ...]
    forbidden: tuple[str, ...]
    any_of: re.Pattern | None


def _arg_lists(spec: dict[str, Any]) -> _ArgSpec:
    def listed(key: str) -> tuple[str, ...]:
        value = spec.get(key) or []
        return (value.lower(),) if isinstance(value, str) else tuple(v.lower() for v in value)

    alternatives = listed("args_any")
    any_of = re.compile("|".join(map(re.escape, alternatives))) if alternatives else None
    return _ArgSpec(listed("args"), alternatives, listed("not_args"), any_of)


def _args_match(spec: _ArgSpec, args_low: list[str], joined: str) -> bool:
    required, alternatives, forbidden = spec.required, spec.alternatives, spec.forbidden
    if not required and not alternatives and not forbidden:
        return True
    # every way an argument can be present implies its text is in the joined arguments
    for needle in required:
        if needle not in joined:
            return False
    if spec.any_of is not None and spec.any_of.search(joined) is None:
        return False

    def present(needle: str) -> bool:
        if needle not in joined:
            return False
        if needle.startswith("-"):
            return any(a == needle or a.startswith(needle + "=") or (len(needle) == 2 and a.startswith(needle)
                       and not a.startswith("--")) for a in args_low)
        return True

    return (all(present(n) for n in required)
            and (not alternatives or any(present(n) for n in alternatives))
            and not any(present(n) for n in forbidden))
