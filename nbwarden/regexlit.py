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
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_BOUNDING_AT = {c.AT_BOUNDARY, c.AT_BEGINNING, c.AT_BEGINNING_STRING}


def required_literals(pattern: str) -> frozenset[str] | None:
    """Words (lower case, at least MIN_LITERAL characters) at least one of which is in every match, or None."""
    words = required_words(pattern)
    return frozenset(words) if words is not None else None


def required_words(pattern: str) -> dict[str, bool] | None:
    """:func:`required_literals` with, for each word that begins with a word character, whether the regex only
    matches it at the start of a word (after ``\\b``, ``^``, a space or punctuation): ``\\bfor\\s+`` needs "for"
    but never the one inside "format", so the engine wakes that regex only on a "for" that starts a word.  ASCII
    word characters, as RE2's ``\\b``."""
    try:
        tree = parser.parse(pattern)
    except (re.error, RecursionError, ValueError, OverflowError):
        return None
    try:
        found = _sequence(list(tree), False)
    except RecursionError:
        return None
    if not found:
        return None
    words: dict[str, bool] = {}
    for word, at_start in found:
        words[word] = words.get(word, True) and at_start  # a word met both ways promises no start
    return words


def _sequence(items: list, before: bool) -> frozenset[tuple[str, bool]] | None:
    """The best requirement of a sequence: its longest literal run, or the strongest requirement of a part.
    ``before``: whether whatever precedes the sequence ends on a non-word character or a boundary."""
    candidates: list[frozenset[tuple[str, bool]]] = []
    run: list[str] = []
    run_start = False

    def close() -> None:
        if len(run) >= MIN_LITERAL:
            word = "".join(run)
            candidates.append(frozenset({(word.lower(), run_start and word[0] in _WORD)}))
        run.clear()

    state = before
    for op, av in items:
        if op is c.LITERAL:
            if not run:
                run_start = state
            run.append(chr(av))
        elif op is not c.AT:  # ^ $ \b: zero-width, the run goes on
            close()
            need = _node(op, av, state)
            if need:
                candidates.append(need)
        state = _ends_bounded(op, av, state)
    close()
    if not candidates:
        return None
    # the requirement whose weakest word is longest is the rarest
    return max(candidates, key=lambda words: (min(len(w) for w, _ in words), -len(words)))


def _node(op, av, before: bool) -> frozenset[tuple[str, bool]] | None:
    if op is c.SUBPATTERN:
        return _sequence(list(av[-1]), before)
    if op is c.ATOMIC_GROUP:
        return _sequence(list(av), before)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        low, _high, item = av
        return _sequence(list(item), before) if low >= 1 else None  # its first round follows what came before
    if op is c.BRANCH:
        words: set[tuple[str, bool]] = set()
        for branch in av[1]:
            need = _sequence(list(branch), before)
            if not need:
                return None  # one way through needs no word: nothing is promised
            words |= need
        return frozenset(words) if len({w for w, _ in words}) <= MAX_ALTERNATIVES else None
    return None  # classes, any character, back references, look-arounds: no word


def _ends_bounded(op, av, before: bool) -> bool:
    """Does every way through this item end on a non-word character or a word boundary (``before``: whether
    what came before it does, for the ways that match nothing)?  Unsure is False: the gate then wakes on any
    occurrence of the word, as it did before."""
    if op is c.AT:
        return av in _BOUNDING_AT
    if op is c.LITERAL:
        return chr(av) not in _WORD
    if op is c.IN:
        return _non_word_class(av)
    if op is c.SUBPATTERN:
        return _items_end_bounded(list(av[-1]), before)
    if op is c.ATOMIC_GROUP:
        return _items_end_bounded(list(av), before)
    if op is c.BRANCH:
        return all(_items_end_bounded(list(branch), before) for branch in av[1])
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        low, high, item = av
        if high == 0:
            return before
        # one round or more ends as the item ends, whatever came before that round
        rounds = _items_end_bounded(list(item), False) or (
            before and _items_end_bounded(list(item), True))
        return rounds if low >= 1 else rounds and before  # no round at all ends as what came before
    return False


def _items_end_bounded(items: list, before: bool) -> bool:
    state = before
    for op, av in items:
        state = _ends_bounded(op, av, state)
    return state


def _non_word_class(items: list) -> bool:
    for op, av in items:
        if op is c.NEGATE:
            return False
        if op is c.LITERAL and chr(av) in _WORD:
            return False
        if op is c.RANGE and any(chr(ch) in _WORD for ch in range(av[0], av[1] + 1)):
            return False
        if op is c.CATEGORY and av not in (c.CATEGORY_SPACE, c.CATEGORY_NOT_WORD):
            return False
        if op not in (c.LITERAL, c.RANGE, c.CATEGORY):
            return False
    return True
