"""The cells read as one program: behaviour shapes whose parts sit in different cells.

Notebooks define a function in one cell and start it in another: a relay's handler in cell 3 and its accept
loop in cell 7, a flood's worker in one cell and its threads in the next.  Each cell alone shows half a shape.
When a cell with a shape's trigger words defines a function or class that a later such cell uses, those cells'
Python is read once more, joined in order, and each shape found there is reported at the cell and line it
points to.  (Commands, imports and the rest are read per cell as before; only shapes are looked for here.)
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable

from .. import analysis as an
from .. import behaviour

MAX_CELLS = 200  # the look-back's own limit: a kernel that ran thousands of cells is read from its last ones


_DEFINES = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)", re.M)
_IMPORTS = re.compile(r"^[ \t]*(?:import[ \t]+(?:\w+[ \t]*,[ \t]*)*|from[ \t]+)(" +
                      "|".join(behaviour.SHAPE_MODULES) + r")\b", re.M)


def linked_cells(cells: list[tuple[str, int | None]], current: bool = False) -> list[tuple[str, int | None]]:
    """The cells worth reading together: a cell with a shape's trigger words and the earlier cells that define a
    function or class it uses or import a module a shape asks about (pyautogui, scapy); a loop in a cell without
    the words that drives such a helper that has them (a cracker's try in one cell, its loop in the next); and
    the earlier cells that set names they read (:func:`_settings_of`).  Most notebooks have none, and cost
    nothing more.  With ``current`` (the gate: the last cell is about to run), only the links that cell makes:
    a harmless cell run after a flagged pair is not flagged for it again."""
    wanted = [i for i, (source, _) in enumerate(cells) if behaviour.wanted(source.lower())]
    if not wanted:
        return []
    chosen = set(wanted)
    # a helper without the words, or a loop driving one, is taken from a small cell only: a notebook grown cell by
    # cell; long cells of library-like code are read alone, as before
    small = {i for i, (source, _) in enumerate(cells) if len(source) <= SMALL_CELL}
    defined: dict[str, int] = {}
    for i, (source, _) in enumerate(cells[:-1]):
        if i in chosen or i in small:
            for name in (*_DEFINES.findall(source), *_IMPORTS.findall(source)):
                defined.setdefault(name, i)
    if not defined:
        return []
    uses = re.compile(r"\b(" + "|".join(map(re.escape, defined)) + r")\b")
    links: dict[int, set[int]] = {}  # a cell -> the earlier cells whose helpers it uses
    for i in range(min(defined.values()) + 1, len(cells)):
        driver = i in chosen or i in small and _LOOP.search(cells[i][0]) is not None
        for name in set(uses.findall(cells[i][0])) if driver else ():
            d = defined[name]
            if d < i and (i in chosen and d in chosen or {i, d} <= small and (i in chosen or d in chosen)):
                links.setdefault(i, set()).add(d)
    if current:  # the last cell and the cells it reaches through the helpers it uses, and theirs
        keep, todo = set(), [len(cells) - 1]
        while todo:
            for d in links.get(todo.pop(), ()):
                if d not in keep:
                    keep.add(d)
                    todo.append(d)
        if keep:
            keep.add(len(cells) - 1)
    else:
        keep = {c for i, ds in links.items() for c in (i, *ds)}
    return [cells[i] for i in sorted(keep | _settings_of(cells, keep))]


SMALL_CELL = 2048  # characters of a cell that may join a program without trigger words of its own
_LOOP = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:for|while)\b", re.M)
_ASSIGNS = re.compile(r"^([A-Za-z_]\w*)[ \t]*(?::[^=\n]+)?=(?!=)", re.M)
MAX_SETTINGS = 8  # earlier cells of settings joined to a program


def may_drive(source: str) -> bool:
    """Could this cell, without a shape's words, be the loop that drives an earlier cell's helper?  The gate
    reads the cells as one program for such a cell too (a cracker's try in one cell, its loop in the next)."""
    return len(source) <= SMALL_CELL and _LOOP.search(source) is not None


def _settings_of(cells: list[tuple[str, int | None]], keep: set[int]) -> set[int]:
    """The earlier cells that set top-level names the linked cells read (``URL = ...`` in cell 1, the worker
    that requests it in cell 2): the latest such cell before the first one that reads each name."""
    if not keep:
        return set()
    first = min(keep)
    assigned: dict[str, int] = {}
    for i, (source, _) in enumerate(cells[:first]):
        if len(source) <= SMALL_CELL:
            for name in _ASSIGNS.findall(source):
                assigned[name] = i
    if not assigned:
        return set()
    uses = re.compile(r"\b(" + "|".join(map(re.escape, assigned)) + r")\b")
    settings = {assigned[name] for i in keep for name in set(uses.findall(cells[i][0]))}
    return set(sorted(settings)[-MAX_SETTINGS:])


def shapes_across_cells(cells: Iterable[tuple[str, int | None]], current: bool = False
                        ) -> list[tuple[int | None, an.Fact]]:
    """Behaviour facts of the cells read as one program, each with the cell it belongs to and its line there.
    ``cells``: (source, cell number) in the order they ran; only :func:`linked_cells` of them are read."""
    cells = linked_cells(list(cells)[-MAX_CELLS:], current)
    if not cells:
        return []
    pieces: list[str] = []
    starts: list[int] = []  # the joined line each cell starts at
    line = 1
    for source, _ in cells:
        python = an.split_ipython(source, an.Analysis(source=source, kind="cell"), [])  # keeps the line count
        starts.append(line)
        pieces.append(python)
        line += python.count("\n") + 1
    joined = "\n".join(pieces)
    if len(joined) > an.MAX_DEEP_BYTES:
        return []
    found: list[tuple[int | None, an.Fact]] = []
    for fact in an.analyze(joined, "python").facts:
        if fact.kind != "behaviour":
            continue
        index = max(0, bisect_right(starts, fact.line) - 1)
        local = fact.line - starts[index] + 1
        found.append((cells[index][1], an.Fact(fact.kind, fact.value, fact.context, local,
                                               f"{fact.evidence} (the cells read as one program)", fact.via)))
    return found
