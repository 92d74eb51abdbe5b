"""The word model: which category a whole program's words read like, for the files no rule describes.

Rules name tools, calls and shapes; a kit's entry point, a bomber written against its own helpers or a proxy
set up by a shell script often shows none of them, yet its words (``flood``, ``threads``, ``target``,
``socks5``, ``xray``) say what it is.  This is a multinomial logistic regression over the set of words of a
program (identifiers and the words inside strings, lower-cased), trained by ``eval/train_words.py`` on the
``dev`` half of the reference set only, shipped as data (``nbwarden/models/words.json``) and read here with no
dependency.  It judges whole programs, never fragments: a document needs ``min_words`` known words, and prose
(markdown cells, documentation, data files) is not read.  What it finds is a ``behaviour`` fact,
``words/<category>``, which each pack's ``<category>.word-model`` rule turns into a warning (never a block) that
names the words that weighed most and where they are.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MODEL_FILE = Path(__file__).resolve().parent.parent / "models" / "words.json"
WORD = re.compile(r"[a-z][a-z0-9]{1,30}")
READ_KINDS = frozenset({"cell", "python", "shell", "text"})  # code; not markdown, data or prose
READ_LIMIT = 1 << 20  # characters of code read from one document


def words_of(text: str) -> set[str]:
    """The word set the model reads: runs of letters and digits that start with a letter (2 to 31 long)."""
    return set(WORD.findall(text.lower()))


def program_words(code: list[tuple[str, int | None]], cache: dict[str, frozenset[str]] | None = None) -> set[str]:
    """The words of code units read as one program, at most :data:`READ_LIMIT` characters of them.

    ``cache`` (a kernel's recent cells, by source) spares reading a cell's text again each time a later cell is
    judged with it; it keeps only the units of the latest call.
    """
    words: set[str] = set()
    budget = READ_LIMIT
    for source, _ in code:
        if budget <= 0:
            break
        if cache is None:
            words |= words_of(source[:budget])
        else:
            if source not in cache:
                cache[source] = frozenset(words_of(source[:budget]))
            words |= cache[source]
        budget -= len(source)
    if cache is not None and len(cache) > 2 * len(code):
        keep = {source for source, _ in code}
        for source in [s for s in cache if s not in keep]:
            del cache[source]
    return words


def first_place(code: list[tuple[str, int | None]], word: str) -> tuple[int | None, int] | None:
    """The cell and line where ``word`` first stands as a word of its own (any case): the evidence's places."""
    pattern = re.compile(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", re.I)
    for source, cell in code:
        found = pattern.search(source)
        if found:
            return cell, source.count("\n", 0, found.start()) + 1
    return None


@dataclass(frozen=True, slots=True)
class Judgement:
    category: str
    probability: float  # that the program is prohibited (1 - the probability of "none")
    words: tuple[tuple[str, float], ...]  # the known words that weighed most toward the category, heaviest first


class WordModel:
    """A trained word model (see the module docstring); :meth:`judge` is all the engine calls."""

    def __init__(self, data: dict) -> None:
        self.version = str(data["version"])
        self.classes: list[str] = list(data["classes"])
        self.threshold = float(data["threshold"])
        # a category whose words are shared with everyday code (proxy settings) needs more certainty
        self.thresholds: dict[str, float] = {c: float(t) for c, t in (data.get("thresholds") or {}).items()}
        self.min_words = int(data["min_words"])
        self.min_chars = int(data.get("min_chars", 0))
        self.bias: list[float] = [float(b) for b in data["bias"]]
        self.idf: dict[str, float] = {w: float(v) for w, v in data["idf"].items()}
        self.weights: dict[str, tuple[float, ...]] = {w: tuple(float(x) for x in row)
                                                      for w, row in data["weights"].items()}
        self._vocabulary = frozenset(self.idf)
        self._weighted = frozenset(self.weights)
        self._idf2 = {w: v * v for w, v in self.idf.items()}
        if self.classes[0] != "none" or any(len(row) != len(self.classes) for row in self.weights.values()):
            raise ValueError("word model: the first class must be 'none' and every row one weight per class")
        if len(self.bias) != len(self.classes) or not self._weighted <= self._vocabulary:
            raise ValueError("word model: one bias per class, and an idf for every weighted word")
        if not set(self.thresholds) <= set(self.classes[1:]):
            raise ValueError("word model: a threshold for a category it does not have")

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> WordModel:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def judge(self, words: Iterable[str]) -> Judgement | None:
        """The category the words read like, when the model is at least that category's threshold (``thresholds``,
        else ``threshold``) sure the program is prohibited."""
        known = self._vocabulary.intersection(words)
        if len(known) < self.min_words:
            return None
        norm = math.sqrt(sum(map(self._idf2.__getitem__, known)))
        weighted = self._weighted.intersection(known)
        rows = list(map(self.weights.__getitem__, weighted))
        # one sum per class over the words' rows (their columns): no Python loop over words times classes
        logits = [b + sum(column) / norm for b, column in zip(self.bias, zip(*rows, strict=True), strict=True)] \
            if rows else list(self.bias)
        top = max(logits)
        exps = [math.exp(x - top) for x in logits]
        probability = 1.0 - exps[0] / sum(exps)
        best = max(range(1, len(self.classes)), key=lambda i: logits[i])
        if probability < self.thresholds.get(self.classes[best], self.threshold):
            return None
        pull = sorted(((w, (self.weights[w][best] - self.weights[w][0]) / norm) for w in weighted),
                      key=lambda item: -item[1])
        return Judgement(self.classes[best], probability, tuple((w, round(p, 3)) for w, p in pull[:5] if p > 0))


@lru_cache(maxsize=1)
def default_model() -> WordModel | None:
    """The shipped model, or None when its file is missing (the rules work without it)."""
    return WordModel.load() if MODEL_FILE.exists() else None
