"""Code found inside code: ``exec(...)``, ``python -c``, decoded payloads and ``%%writefile`` bodies are
analysed as units of their own and merged into the outer analysis; and whether a text reads as code at all.

``_writefile`` and ``_nested`` are the one way back up: they call :func:`nbwarden.analysis.unit.analyze`, which is
imported when they run (``unit`` imports every other module of the package, this one included)."""

from __future__ import annotations

import ast
import re

from .. import embedded
from .facts import CONTEXT_RANK, EXEC, INERT, Analysis, Fact, clip

MIN_CODE_LITERAL, MAX_CODE_LITERAL = 24, 20_000  # a code fragment's size, read as code (see _code_literals)
IMPORT_STATEMENT = re.compile(r"^\s*(import\s+\w|from\s+[\w.]+\s+import\b)", re.M)
CODE_BLOCK = re.compile(r"^\s*(def|class|for|while|async\s+def|with)\b[^\n]*:\s*$", re.M)  # a block opened


def _reads_as_code(text: str, block: bool = False) -> bool:
    """Is the text a Python program of its own: several lines, of a fragment's size, that parse, with an import,
    a definition or a block among them (not a sentence, a one-word name or a data table)?  With ``block``, only a
    definition or a block counts (a literal of the cell's own, not a decoded one)."""
    if not (MIN_CODE_LITERAL <= len(text) <= MAX_CODE_LITERAL and "\n" in text.strip()):
        return False
    if not CODE_BLOCK.search(text) and (block or not IMPORT_STATEMENT.search(text)):
        return False
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def service_commands(text: str) -> str:
    """The command lines of a unit file in ``text`` (:func:`nbwarden.embedded.commands`), "" when none."""
    return embedded.commands("service", text) if "=" in text else ""


def _writefile(analysis: Analysis, path: str, body: str, first_line: int, via: str = "",
               environ: dict[str, str] | None = None) -> None:
    """``%%writefile x.sh``, ``cat > x.py <<EOF``, ``python3 - <<EOF``: the body runs (now or later), so analyse
    it now, as the language its name says, with its own line numbers; a service unit's command lines as the shell
    lines they are."""
    from .unit import analyze  # the way back up: unit imports this module

    kind = "shell" if path.endswith(".sh") else "python" if path.endswith(".py") else "text"
    if kind == "text" and (commands := service_commands(body)):
        body, kind = commands, "shell"
    sub = analyze(body, kind=kind, depth=1, environ=environ)  # environ: what the script exported before it
    for fact in sub.facts:
        fact.line += first_line - 1
        fact.via = f"{via or '%%writefile ' + path} {fact.via}".strip()
        analysis.facts.append(fact)
    for line_no, ctx in sub.shell_lines.items():
        analysis.shell_lines[line_no + first_line - 1] = ctx if kind == "shell" else EXEC
    for line_no in range(first_line, first_line + body.count("\n") + 1):
        analysis.shell_lines.setdefault(line_no, EXEC)


def _nested(analysis: Analysis, code: str, kind: str, line: int, via: str, context: str, depth: int,
            environ: dict[str, str] | None = None) -> None:
    """Analyse code found inside code (``exec(...)``, ``python -c``) and merge it.  ``environ`` is what the outer
    code put in ``os.environ`` so far: the inner code reads it back (``os.system(os.environ['J'])``)."""
    from .unit import analyze  # the way back up: unit imports this module

    sub = analyze(code, kind=kind, depth=depth, environ=environ)
    outer = analysis.lines[line - 1].strip() if 0 < line <= len(analysis.lines) else ""
    for fact in sub.facts:
        fact.line = line
        fact.via = f"{via} {fact.via}".strip()
        if outer and outer not in fact.evidence:
            fact.evidence = f"{clip(outer, 100)}  ⇒  {fact.evidence}"
        if fact.context != INERT and CONTEXT_RANK[context] < CONTEXT_RANK[fact.context]:
            fact.context = context
        analysis.facts.append(fact)
    for path, _ in sub.files_run:
        analysis.files_run.append((path, line))
    analysis.facts.append(Fact("text", code, context, line, clip(code), via))
