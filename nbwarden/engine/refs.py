"""Compiled patterns and their matches: :class:`_Ref` (which rule, which group, what kind), :class:`_GlobSet`
and :class:`_Match`."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any

_TRIGGER = ("__trigger__",)
UNLESS = -1  # the group index of a rule's "unless" patterns


@dataclass(slots=True)
class _Ref:
    """A compiled pattern: which rule, which group, what kind."""

    rule: int
    group: int
    kind: str
    spec: Any
    word: bool = True
    describes: bool = False  # the program's words about itself: not what sets a finding's context


class _GlobSet:
    """Many globs behind one regex: most names match none of them and cost one call."""

    def __init__(self, globs: list[tuple[str, _Ref]]):
        self.globs = [(re.compile(fnmatch.translate(glob)), ref) for glob, ref in globs]
        self.any = re.compile("|".join(fnmatch.translate(glob) for glob, _ in globs)) if globs else None

    def refs(self, name: str) -> list[_Ref]:
        if self.any is None or self.any.match(name) is None:
            return []
        return [ref for regex, ref in self.globs if regex.match(name)]


@dataclass(slots=True)
class _Match:
    ref: _Ref
    context: str
    cell: int | None
    line: int
    evidence: str
    via: str = ""
