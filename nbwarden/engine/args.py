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
    not_local: bool = False  # not matched when every host among the arguments is this machine or a private name


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


def _args_match(spec: _ArgSpec, args_low: list[str], joined: str, private_names: bool = True) -> bool:
    required, alternatives, forbidden = spec.required, spec.alternatives, spec.forbidden
    if not required and not alternatives and not forbidden:
        return not (spec.not_local and _only_local_addresses(args_low, private_names))
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
            and not (spec.not_local and _only_local_addresses(args_low, private_names)))


_URL_HOST = re.compile(r"^['\"]?[a-z][a-z0-9+.-]*://(\[[^\]]*\]|[^/:?#\s'\"]+)")
# socat's connecting addresses (TCP:host:port, OPENSSL:host:port); its listening ones (TCP-LISTEN:9000) name none
_SOCKET_HOST = re.compile(r"^(?:tcp[46]?|udp[46]?|openssl|socks4a?|proxy):(\[[^\]]*\]|[^:,\s]+)")
# a bare target: an IPv4 or IPv6 literal, localhost, or a dotted name ending in a word (victim.example); a
# one-label word is not taken for a host here (``slowloris target``), nor a name ending in a script's suffix
_BARE_HOST = re.compile(r"^(\[[0-9a-f:.]*\]|::1|localhost|\d{1,3}(?:\.\d{1,3}){3}|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24})"
                        r"(?::\d{1,5})?/?$")
_FILE_SUFFIXES = frozenset("py pl sh rb js go php lua exe txt log csv json yaml yml conf cfg ini md html pcap zip gz "
                           "tar jar out".split())
_LOOPBACK = re.compile(r"^(localhost|127(\.\d{1,3}){3}|0\.0\.0\.0|\[::1?\]|::1)$")


def _address_hosts(args_low: list[str]) -> list[tuple[str, bool]]:
    """The hosts the arguments name, each with whether it was written inside a URL (where a one-label name is a
    host for certain)."""
    hosts = []
    for arg in args_low:
        # an option's or a variable's value (--host=http://..., -e T=http://...), unless the = is a URL's own
        value = arg.rpartition("=")[2] if "=" in arg and not _URL_HOST.match(arg) else arg
        if m := _URL_HOST.match(value):
            hosts.append((m.group(1), True))
        elif m := _SOCKET_HOST.match(value):
            hosts.append((m.group(1), False))
        elif (m := _BARE_HOST.match(value)) and m.group(1).rpartition(".")[2] not in _FILE_SUFFIXES:
            hosts.append((m.group(1), False))
    return hosts


def _only_local_addresses(args_low: list[str], private_names: bool = True) -> bool:
    """Do the arguments name hosts, all of them this machine (localhost, 127.x) or, in a URL, a host with a name of
    one label (``http://api:8080``: a service of a private Docker or Compose network, unknown on the internet)?
    ``private_names`` is False where the code maps names to addresses itself (``/etc/hosts``, ``--add-host``): a
    one-label name may then stand for any address."""
    hosts = _address_hosts(args_low)
    return bool(hosts) and all(_LOOPBACK.match(h) or private_names and in_url and "." not in h and h[:1].isalpha()
                               for h, in_url in hosts)
