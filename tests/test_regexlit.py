"""Regex gates: a regex whose words are missing from a text must not match it, or the engine would miss it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.corpus import NOTEBOOK_IDIOMS, bad_cells
from nbwarden.engine import Engine
from nbwarden.regexlit import required_literals


@pytest.mark.parametrize("pattern,words", [
    (r"\bmake_animation\s*\(", {"make_animation"}),
    (r"stratum[12]?\+(tcp|ssl|tls)://", {"stratum"}),
    (r"(ngrok|cloudflared)[^\n]{0,40}\b(6006|7860)\b", {"ngrok", "cloudflared"}),
    (r"(?i)foo(bar)?baz", {"foo"}),
    (r"(?:abc)+x", {"abc"}),
    (r"a|bc", None),                                    # a branch without a word: nothing promised
    (r"\b[a-z0-9][a-z0-9.-]*\.[a-z]{2,12}:\d{3,5}\b", None),
    (r"(?:xyz)?abc", {"abc"}),                          # an optional part promises nothing
    (r"[", None),                                       # not a regex at all
])
def test_required_literals(pattern, words):
    found = required_literals(pattern)
    assert (set(found) if found else None) == words


def _texts() -> list[str]:
    engine = Engine()
    texts = [*bad_cells(), *NOTEBOOK_IDIOMS]
    for rule in engine.rules:
        for key in ("match", "no_match"):
            texts += [e if isinstance(e, str) else e.get("code", "") for e in rule.examples.get(key, [])
                      if isinstance(e, (str, dict))]
    return [t for t in texts if t]


TEXTS = _texts()


def test_every_pack_regex_matches_only_texts_holding_one_of_its_words():
    """The gate of each real rule regex is sound on the labelled corpus and every rule example."""
    engine = Engine()
    checked = 0
    for text in engine._regex_texts:
        words = required_literals(text)
        if not words:
            continue
        compiled = re.compile(text, re.I)
        for sample in TEXTS:
            if compiled.search(sample):
                checked += 1
                assert any(w in sample.lower() for w in words), (text, words, sample[:200])
    assert checked > 100


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.sampled_from(["abc", "def", "x", "(", ")", "|", "?", "*", "+", "[a-z]", "\\b", "\\s*", ".", "{2,3}",
                                 "(?:", "^", "$"]), min_size=1, max_size=12).map("".join),
       st.text(st.sampled_from("abcdefx .-"), max_size=40))
def test_a_gated_regex_never_matches_without_its_words(pattern, text):
    try:
        compiled = re.compile(pattern)
    except re.error:
        return
    words = required_literals(pattern)
    if words and compiled.search(text):
        assert any(w in text.lower() for w in words), (pattern, words, text)
