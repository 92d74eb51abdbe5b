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

    kind: str  # command | import | pip | apt | git | download | url | text
    value: Any  # argv tuple for commands, (url, filename) for downloads, str otherwise
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
    cwd: str = ""  # the directory a %cd or cd moved to, as the unit goes: `cd roop; python run.py` runs roop/run.py

    lines: list[str] = field(default_factory=list)

    def context_at(self, line: int, col: int) -> str:
        """Context of raw text at ``line`` (1-based) and ``col`` (0-based characters)."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if line in self.shell_lines:
            if self.shell_lines[line] == INERT:
                return INERT
            return INERT if _comment_start(text, [], shell=True) <= col else EXEC
        spans = self.spans.get(line, [])
        for start, end, ctx in spans:
            if start <= col < end:
                return ctx
        if self.kind == "data" or _comment_start(text, spans) <= col:
            return INERT
        return CODE


def _comment_start(text: str, spans: list[tuple[int, int, str]], shell: bool = False) -> int:
    """Column where a ``#`` comment starts on the line, or a huge number."""
    pos = text.find("#")
    while pos != -1:
        if spans:
            if not any(start <= pos < end for start, end, _ in spans):
                return pos
        elif (prefix := text[:pos]).count("'") % 2 == 0 and prefix.count('"') % 2 == 0:
            if not shell or pos == 0 or text[pos - 1] in " \t;|&(":
                return pos
        pos = text.find("#", pos + 1)
    return 1 << 30


def clip(text: str, limit: int = 160) -> str:
    """Evidence text on one line, cut to ``limit`` characters (only the head of a long text is read)."""
    text = " ".join(str(text)[: limit * 8].split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
