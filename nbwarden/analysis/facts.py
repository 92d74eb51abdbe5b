"""What the analysis produces: :class:`Fact` and :class:`Analysis`, the three contexts, the limits every
pass shares, and :func:`clip` for evidence text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EXEC, CODE, INERT = "exec", "code", "inert"
CONTEXT_RANK = {INERT: 0, CODE: 1, EXEC: 2}

MAX_DEEP_BYTES = 512 * 1024  # larger cells get the text-level checks only
MAX_DEPTH = 3  # exec(decode(exec(decode(...)))) nesting we follow


@dataclass(slots=True)
class Fact:
    """One observation about the code, with where it was seen."""

    kind: str  # command | import | pip | apt | git | download | copy | url | text
    value: Any  # argv tuple for commands, (url, filename) for downloads, (source, target) for copies, str otherwise
    context: str  # exec | code | inert
    line: int  # 1-based, within the unit analysed
    evidence: str  # what a person should be shown
    via: str = ""  # how it was reached: "base64", "bash -c", "exec", ...


@dataclass(slots=True)
class Analysis:
    """Everything the engine needs to know about one unit of code."""

    source: str
    kind: str
    facts: list[Fact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    parsed: bool = False
    # per-line context information for locating raw text matches
    shell_lines: dict[int, str] = field(default_factory=dict)  # line -> EXEC or INERT (whole line)
    spans: dict[int, list[tuple[int, int, str]]] = field(default_factory=dict)  # line -> (start, end, ctx)
    files_run: list[tuple[str, int]] = field(default_factory=list)  # %run X, bash X.sh: (path, line)
    environ: dict[str, str] = field(default_factory=dict)  # what %env NAME=value put in os.environ for the code
    cwd: str = ""  # the directory a %cd or cd moved to, as the unit goes: `cd roop; python run.py` runs roop/run.py

    lines: list[str] = field(default_factory=list)
    # line -> where its comment starts: computed once per line, however many hits the line has
    _comments: dict[int, int] = field(default_factory=dict, repr=False, compare=False)

    def context_at(self, line: int, col: int) -> str:
        """Context of raw text at ``line`` (1-based) and ``col`` (0-based characters)."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if line in self.shell_lines:
            if self.shell_lines[line] == INERT:
                return INERT
            return INERT if self._comment(line, text, [], True) <= col else EXEC
        spans = self.spans.get(line, [])
        for start, end, ctx in spans:
            if start <= col < end:
                return ctx
        if self.kind == "data" or self._comment(line, text, spans, False) <= col:
            return INERT
        return CODE

    def _comment(self, line: int, text: str, spans: list[tuple[int, int, str]], shell: bool) -> int:
        found = self._comments.get(line)
        if found is None:
            found = self._comments[line] = _comment_start(text, spans, shell)
        return found


def _comment_start(text: str, spans: list[tuple[int, int, str]], shell: bool = False) -> int:
    """Column where a ``#`` comment starts on the line, or a huge number (one pass over the line: a long line
    with many ``#`` and many hits must not cost the square of its length)."""
    if spans:  # a # outside every span (strings are spans): the spans merged, walked once
        merged: list[list[int]] = []
        for start, end in sorted((start, end) for start, end, _ in spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        i = 0
        pos = text.find("#")
        while pos != -1:
            while i < len(merged) and merged[i][1] <= pos:
                i += 1
            if i == len(merged) or pos < merged[i][0]:
                return pos
            pos = text.find("#", pos + 1)
        return 1 << 30
    single = double = 0  # quotes before the current position, counted as the scan goes
    last = 0
    pos = text.find("#")
    while pos != -1:
        chunk = text[last:pos]
        single += chunk.count("'")
        double += chunk.count('"')
        last = pos
        if single % 2 == 0 and double % 2 == 0:
            if not shell or pos == 0 or text[pos - 1] in " \t;|&(":
                return pos
        pos = text.find("#", pos + 1)
    return 1 << 30


def clip(text: str, limit: int = 160) -> str:
    """Evidence text on one line, cut to ``limit`` characters (only the head of a long text is read)."""
    text = " ".join(str(text)[: limit * 8].split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
