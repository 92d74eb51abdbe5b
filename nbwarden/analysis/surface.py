"""The text-level reading (:func:`surface`): each line's context from its first characters, shell lines
parsed one by one, imports from a regex; for units the full analysis cannot read."""

from __future__ import annotations

import re

from .commands import add_shell
from .facts import CODE, EXEC, INERT, MAX_DEPTH, Analysis, Fact, clip
from .ipython import CELL_MAGIC_INERT, CELL_MAGIC_SHELL, _line_magic, shell_assignment

MAX_SURFACE_LINE = 64 * 1024  # longer shell lines keep only their raw text in the surface reading


def surface(source: str, kind: str = "cell") -> Analysis:
    """The text-level reading of a unit, for when the full analysis failed or ran out of time.

    Each line gets its context from its first characters (a ``#`` comment is
    inert; ``!`` and ``%`` lines, shell scripts and ``%%bash`` bodies run),
    and each line that runs as shell is parsed on its own, so a line that
    breaks the parser costs only itself and a miner's command line is still
    a command.  Imports come from a regex.  Linear in the size of the text.
    """
    analysis = Analysis(source=source, kind=kind, lines=source.split("\n"))
    lines = analysis.lines
    if kind in {"markdown", "data"}:
        for number in range(1, len(lines) + 1):
            analysis.shell_lines[number] = INERT
        return analysis
    body = EXEC if kind == "shell" else None  # the context of every line of a %%magic body
    for number, text in enumerate(lines, 1):
        stripped = text.lstrip()
        if stripped.startswith("%%") and body is None and not any(t.strip() for t in lines[: number - 1]):
            name, _, args = stripped[2:].partition(" ")
            script = name == "writefile" and args.strip().endswith(".sh")  # a script that will run later
            body = EXEC if name in CELL_MAGIC_SHELL or script else INERT if name in CELL_MAGIC_INERT else CODE
            analysis.shell_lines[number] = EXEC
            continue
        if body == INERT or stripped.startswith("#"):
            analysis.shell_lines[number] = INERT
            continue
        pending: list[tuple[str, int, str]] = []
        try:
            if body == EXEC:
                pending.append((text, number, ""))
            elif stripped.startswith(("!", "%")) and not stripped.startswith("!="):
                _line_magic(analysis, stripped, number, pending)
            elif match := shell_assignment(text):
                _line_magic(analysis, ("!" if match.group(3) == "!" else "%sx ") + match.group(4), number, pending)
            for command, line, via in pending:
                analysis.shell_lines[line] = EXEC
                if len(command) <= MAX_SURFACE_LINE:
                    add_shell(analysis, command, line, via, EXEC, MAX_DEPTH)
        except Exception:  # noqa: BLE001 - one unreadable line must not cost the others
            analysis.notes.append(f"line {number}: not readable as a shell line; raw text only")
    if kind != "shell":
        try:
            _fallback_imports(analysis, source)
        except Exception:  # noqa: BLE001
            pass
    return analysis


IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import|import[ \t]+([\w., \t]+))", re.M)


def _fallback_imports(analysis: Analysis, python: str) -> None:
    """Imports found by a regex when the AST is unavailable (linear: line numbers are counted as it goes)."""
    line, counted = 1, 0
    for match in IMPORT_LINE.finditer(python):
        line += python.count("\n", counted, match.start())
        counted = match.start()
        names = [match.group(1)] if match.group(1) else [n.strip().split(" ")[0] for n in match.group(2).split(",")]
        for name in names:
            if name:
                analysis.facts.append(Fact("import", name, EXEC, line, clip(match.group(0)), "regex"))
