"""The cells that ran before this one (:class:`EarlierCells`): their top-level values (text, numbers, short
tables, one-expression functions such as a decoder) and the directory their ``cd`` left, looked up only when a
later cell needs them."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from .callables import _Function
from .facts import MAX_DEEP_BYTES, Analysis
from .folding import _Folder
from .ipython import split_ipython
from .parsing import parse_code
from .rewrites import foldable_def


@dataclass(slots=True)
class EarlierCell:
    source: str
    cell: int | None
    matches: list | None = None  # the engine's multi-group matches, once it has looked
    backfilled: bool = False  # looked at only because a later cell needed it


_CD_LINE = re.compile(r"^[ \t]*(?:%cd|!cd|cd)[ \t]+([^\s;&|]+)", re.M)


class EarlierCells:
    """The cells that ran before this one, looked at again only when needed.

    ``!wget {url}`` often takes ``url`` from an earlier cell, and a rule that
    combines weak signals may find its other half there.  Parsing every
    earlier cell up front would cost every check; instead the sources are
    kept, their top-level string assignments are folded the first time a
    shell line names something the current cell does not define, and the
    engine analyses them in full only when a multi-part rule is half matched.
    """

    def __init__(self, limit: int = 200) -> None:
        self.entries: list[EarlierCell] = []
        self.limit = limit
        self._env: dict[str, Any] = {}
        self._unfolded: list[str] = []  # sources added since the last look-up
        self.cwd = ""  # where the last %cd or !cd of the cells so far left the kernel
        self.renamed: dict[str, str] = {}  # a program's new name -> the program (analysis.renames), as cells left it

    def note_renamed(self, renamed: dict[str, str]) -> None:
        """Keep a cell's renamed programs for the cells after it, the newest last and at most ``4 * limit``."""
        for name, program in renamed.items():
            self.renamed.pop(name, None)
            self.renamed[name] = program
        while len(self.renamed) > 4 * self.limit:
            del self.renamed[next(iter(self.renamed))]

    def add(self, source: str, cell: int | None = None, matches: list | None = None) -> None:
        if len(source) <= MAX_DEEP_BYTES:
            self.entries = (self.entries + [EarlierCell(source, cell, matches)])[-self.limit :]
            self._unfolded = (self._unfolded + [source])[-self.limit :]
            moves = _CD_LINE.findall(source)
            if moves:
                self.cwd = moves[-1].strip("'\"").rstrip("/")

    def get(self, name: str, default: Any = None) -> Any:
        """The value of a top-level name as the cells so far left it: text, a number, a short list or dict of
        them, or a one-expression function (a decoder).  The cells are parsed (each once) when one of them
        assigns or defines the name."""
        if name not in self._env and self._unfolded and \
                any(_assigns(source, name) for source in self._unfolded):
            self._fold_pending()
        return self._env.get(name, default)

    def _fold_pending(self) -> None:
        """Fold the top-level assignments of the cells added since the last fold, in the order they ran."""
        folder = _Folder(self._env)
        for source in self._unfolded:
            try:
                tree = parse_code(split_ipython(source, Analysis(source="", kind="cell"), []))
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue
            for stmt in tree.body:
                name, value = None, None
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                    name = stmt.targets[0].id
                    value = folder.function(stmt.value) if isinstance(stmt.value, ast.Lambda) else folder.fold(stmt.value)
                elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and foldable_def(stmt):
                    name, value = stmt.name, folder.function(stmt)  # a decoder defined here, applied in a later cell
                if name is not None and (isinstance(value, (str, int, _Function)) or _plain_table(value)):
                    self._env.pop(name, None)  # newest last, so the oldest go first
                    self._env[name] = value
        self._unfolded = []
        while len(self._env) > 4 * self.limit:
            del self._env[next(iter(self._env))]


def _assigns(source: str, name: str) -> bool:
    """Does a line of ``source`` start by assigning or defining ``name`` (``name = ...``, ``def name(``)?"""
    return re.search(rf"^(?:{re.escape(name)}[ \t]*(?::[^=\n]+)?=(?!=)|(?:async[ \t]+)?def[ \t]+{re.escape(name)}\b)",
                     source, re.M) is not None


MAX_TABLE = 256  # items of a list or dict kept from an earlier cell


def _plain_table(value: Any) -> bool:
    """A short list or dict of text and numbers (``opts = {'dir': ..., 'seed-time': '30'}``)."""
    items = list(value.items()) if isinstance(value, dict) else value if isinstance(value, list) else None
    if items is None or len(items) > MAX_TABLE:
        return False
    flat = [x for item in items for x in (item if isinstance(item, tuple) else (item,))]
    return all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in flat)
