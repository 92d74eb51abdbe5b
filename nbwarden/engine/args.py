"""The arguments of ``command`` patterns: needles lower-cased once (:class:`_ArgSpec`) and
:func:`_args_match`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_WORD_NEEDLE = re.compile(r"[a-z0-9_]{1,3}")  # a short word: "a" of mdk4, "up" of wg-quick, "run" of go
_OFF = frozenset({"false", "no", "off"})  # --enable-dht=false switches the option off: it is not there


@dataclass(frozen=True, slots=True)
class _ArgSpec:
    """The argument needles of a command pattern, lower-cased once, with one regex for the "any of" list:
    rules for any program (``program: "*"``) are tried on every command, so their quick test is one call.
    ``words``: for each needle that is a short plain word (three characters or fewer), the regex that finds it as a
    word, not inside another ("a" inside "wlan0mon", "up" inside "update", "dev" inside "device"); digits and
    punctuation may touch it (``-f flv``, ``ssh://``).  Longer needles stay substrings on purpose: "bomb" is meant
    to find ``smsbomber.py`` and "start" to find ``restart``."""

    required: tuple[str, ...]
    alternatives: tuple[str, ...]
    forbidden: tuple[str, ...]
    any_of: re.Pattern | None
    words: dict[str, re.Pattern]
    not_local: bool = False  # not matched when every address among the arguments is this machine's or a private name


def _arg_lists(spec: dict[str, Any]) -> _ArgSpec:
    def listed(key: str) -> tuple[str, ...]:
        value = spec.get(key) or []
        return (value.lower(),) if isinstance(value, str) else tuple(v.lower() for v in value)

    alternatives = listed("args_any")
    any_of = re.compile("|".join(map(re.escape, alternatives))) if alternatives else None
    required, forbidden = listed("args"), listed("not_args")
    words = {n: re.compile(rf"(?<![a-z]){re.escape(n)}(?![a-z])") for n in (*required, *alternatives, *forbidden)
             if _WORD_NEEDLE.fullmatch(n)}
    return _ArgSpec(required, alternatives, forbidden, any_of, words, bool(spec.get("not_local")))


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
            return any(a == needle or a.startswith(needle + "=") and a[len(needle) + 1:] not in _OFF or
                       (len(needle) == 2 and a.startswith(needle) and not a.startswith("--")) for a in args_low)
        word = spec.words.get(needle)
        return word is None or word.search(joined) is not None

    return (all(present(n) for n in required)
            and (not alternatives or any(present(n) for n in alternatives))
            and not any(present(n) for n in forbidden)
            and not (spec.not_local and _only_local_addresses(args_low)))


_URL_HOST = re.compile(r"^['\"]?[a-z][a-z0-9+.-]*://(\[[^\]]*\]|[^/:?#\s'\"]+)")
_LOOPBACK = re.compile(r"^(localhost|127(\.\d{1,3}){3}|0\.0\.0\.0|\[::1?\])$")


def _only_local_addresses(args_low: list[str]) -> bool:
    """Do the arguments give URLs, all of them to this machine (localhost, 127.x) or to a host with a name of one
    label (``http://api:8080``: a service of a private Docker or Compose network, unknown on the internet)?"""
    hosts = [m.group(1) for a in args_low for m in [_URL_HOST.match(a.rpartition("=")[2] if a.startswith("-") else a)]
             if m]
    return bool(hosts) and all(_LOOPBACK.match(h) or "." not in h and h[:1].isalpha() and not h.startswith("[")
                               for h in hosts)
