"""Which words a regex cannot match without: literals that gate it behind the Aho-Corasick pass.

One RE2 set over every rule's regex gets slower with each regex added (its DFA
grows with the alternatives), while most regexes cannot match unless a plain
word occurs in the text (``aria2.addtorrent``, ``make_animation(``).  The
engine therefore puts those words into its Aho-Corasick automaton and runs a
regex only when one of its words is there; only the few regexes without such
a word stay in the set.  This is the idea of RE2's FilteredRE2.

:func:`required_literals` reads Python's parse of the regex (RE2 syntax is a
subset here) and returns a set of lower-case words of which every match
contains at least one, or None when it cannot promise that.
"""

from __future__ import annotations

import re
from re import _constants as c  # noqa: PLC2701 - the parser's own node names
from re import _parser as parser  # noqa: PLC2701

MIN_LITERAL = 3  # shorter words occur nearly everywhere: a regex gated by them gains nothing
MAX_ALTERNATIVES = 32


def required_literals(pattern: str) -> frozenset[str] | None:
    """Words (lower case, at least MIN_LITERAL characters) at least one of which is in every match, or None."""
    try:
        tree = parser.parse(pattern)
    except (re.error, RecursionError, ValueError, OverflowError):
        return None
    try:
        return _sequence(list(tree))
    except RecursionError:
        return None


def _sequence(items: list) -> frozenset[str] | None:
    """The best requirement of a sequence: its longest literal run, or the strongest requirement of a part."""
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def close() -> None:
        if len(run) >= MIN_LITERAL:
            candidates.append(frozenset({"".join(run).lower()}))
        run.clear()

    for op, av in items:
        if op is c.LITERAL:
            run.append(chr(av))
            continue
        if op is c.AT:  # ^ $ \b: zero-width, the run goes on
            continue
        close()
        need = _node(op, av)
        if need:
            candidates.append(need)
    close()
    if not candidates:
        return None
    # the requirement whose weakest word is longest is the rarest
    return max(candidates, key=lambda words: (min(map(len, words)), -len(words)))


def _node(op, av) -> frozenset[str] | None:
    if op is c.SUBPATTERN:
        return _sequence(list(av[-1]))
    if op is c.ATOMIC_GROUP:
        return _sequence(list(av))
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        low, _high, item = av
        return _sequence(list(item)) if low >= 1 else None
    if op is c.BRANCH:
        words: set[str] = set()
        for branch in av[1]:
            need = _sequence(list(branch))
            if not need:
                return None  # one way through needs no word: nothing is promised
            words |= need
        return frozenset(words) if len(words) <= MAX_ALTERNATIVES else None
    return None  # classes, any character, back references, look-arounds: no word
