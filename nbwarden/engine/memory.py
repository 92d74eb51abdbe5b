"""Partial matches of multi-group rules carried from cell to cell (:class:`Memory`)."""

from __future__ import annotations

from .. import analysis as an
from ..analysis import INERT
from .refs import _Match


class Memory:
    """Partial matches of multi-group rules, carried from cell to cell.

    The gate keeps one per kernel so that ``import insightface`` in one cell
    and ``inswapper_128.onnx`` in the next still complete the face-swap rule.
    Only the last ``window`` cells count: a kernel that lives for days must
    not assemble a rule from unrelated cells run hours apart.
    """

    def __init__(self, window: int = 20) -> None:
        self.window = window
        self.seq = 0
        self.parts: dict[int, dict[int, tuple[int, _Match]]] = {}
        self.earlier = an.EarlierCells()
        self.word_sets: dict[str, frozenset[str]] = {}  # the word model's reading of recent cells, by source

    def next_cell(self) -> None:
        self.seq += 1
        oldest = self.seq - self.window
        for rule in list(self.parts):
            groups = {g: entry for g, entry in self.parts[rule].items() if entry[0] > oldest}
            if groups:
                self.parts[rule] = groups
            else:
                del self.parts[rule]

    def recent(self) -> list[_Match]:
        return [match for groups in self.parts.values() for _, match in groups.values()]

    def remember(self, matches: list[_Match]) -> None:
        for match in matches:
            if match.context != INERT:
                self.parts.setdefault(match.ref.rule, {})[match.ref.group] = (self.seq, match)
