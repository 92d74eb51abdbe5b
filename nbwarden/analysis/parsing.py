"""Parsing Python that may not be Python 3: Python 2 scripts rewritten line for line, and a unit that still
does not parse read block by block."""

from __future__ import annotations

import ast
import re
import warnings

_PY2_PRINT = re.compile(r"^([ \t]*)print(?:[ \t]+(?![ \t]*[(=.,])(.*?)|[ \t]*)[ \t]*(#.*)?$", re.M)
_LEADING_TABS = re.compile(r"^[ \t]+", re.M)
_PY2_PRINT_TO = re.compile(r"^([ \t]*)print\(>>[ \t]*([\w.]+)[ \t]*,[ \t]*(.*)\)[ \t]*$", re.M)
_PY2_LONG = re.compile(r"\b(\d+)[lL]\b")
_PY2_OCTAL = re.compile(r"([^\w.])0([0-7]+)\b")
_PY2_EXCEPT = re.compile(r"^([ \t]*except[ \t]+[\w.()\s,]*?)[ \t]*,[ \t]*(\w+)[ \t]*:", re.M)


# The code parsed is the user's, not ours: its invalid escapes and decimal literals would print a SyntaxWarning
# (a DeprecationWarning before 3.12) into the server's log for every cell read. A filter set once here, on a
# file name only this module uses, keeps them quiet without touching warnings state while threads parse.
USER_CODE = "<nbwarden user code>"
warnings.filterwarnings("ignore", category=SyntaxWarning, module=USER_CODE)
warnings.filterwarnings("ignore", category=DeprecationWarning, module=USER_CODE)


def parse_code(python: str) -> ast.Module:
    """``ast.parse`` of user code, without its warnings."""
    return ast.parse(python, filename=USER_CODE)


def _parse(python: str, notes: list[str]) -> ast.Module | None:
    """The AST, or None with a note.

    Python 2 scripts (old security tools often are) are read as Python 3
    after their ``print`` statements, ``except X, e`` clauses and the like
    are rewritten, line numbers unchanged.  A unit that still does not parse
    is read block by block (top-level statements), so one broken statement
    costs only its own block.
    """
    try:
        return parse_code(python)
    except SyntaxError as exc:
        error = exc
    except (ValueError, RecursionError, MemoryError) as exc:
        notes.append(f"cannot parse ({type(exc).__name__}); text-level checks only")
        return None
    tree = _parse_py2(python)
    if tree is not None:
        notes.append("read as Python 2")
        return tree
    tree = _parse_blocks(python)
    if tree is not None:
        notes.append(f"syntax error at line {error.lineno}: {error.msg}; the other top-level blocks were analysed")
        return tree
    notes.append(f"syntax error at line {error.lineno}: {error.msg}; text-level checks only")
    return None


def _parse_py2(python: str) -> ast.Module | None:
    if "print" not in python and "except" not in python and "<>" not in python:
        return None
    converted = python.replace("\r\n", "\n")  # a \r left inside print(...) would count as a line break
    converted = _PY2_PRINT.sub(lambda m: f"{m.group(1)}print({m.group(2) or ''})", converted)
    converted = _PY2_EXCEPT.sub(r"\1 as \2:", converted)
    converted = _PY2_PRINT_TO.sub(r"\1print(\3, file=\2)", converted)
    converted = converted.replace("<>", "!=")
    converted = _PY2_LONG.sub(r"\1", _PY2_OCTAL.sub(r"\g<1>0o\2", converted))
    if "\t" in converted:  # Python 2 read a leading tab as up to eight columns; Python 3 refuses the mix
        converted = _LEADING_TABS.sub(lambda m: m.group(0).expandtabs(8), converted)
    if converted == python:
        return None
    try:
        return parse_code(converted)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


_BLOCK_START = re.compile(r"^(?![ \t#)\]}]|$|else\b|elif\b|except\b|finally\b)", re.M)
MAX_BLOCKS = 2000


def _parse_blocks(python: str) -> ast.Module | None:
    """Parse each top-level block on its own and keep the ones that parse, a block whose few broken lines can
    be left out included (None when none does, or when all do as they are)."""
    starts = [m.start() for m in _BLOCK_START.finditer(python)]
    # a decorator belongs to the definition below it: no block starts right after one
    starts = [start for i, start in enumerate(starts) if i == 0 or python[starts[i - 1]] != "@"]
    if len(starts) > MAX_BLOCKS:
        return None
    if len(starts) < 2:  # one block (a single function): only its broken lines can go
        return _repaired(python) if len(python) <= MAX_REPAIR_BYTES else None
    body: list[ast.stmt] = []
    failed = 0
    for begin, end in zip(starts, [*starts[1:], len(python)], strict=True):
        chunk = python[begin:end]
        try:
            tree = parse_code(chunk)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            failed += 1  # counted even when a repair reads it: the unit did not parse as it is
            tree = _parse_py2(chunk)
            if tree is None and failed <= MAX_REPAIRED_BLOCKS and len(chunk) <= MAX_REPAIR_BYTES:
                tree = _repaired(chunk)
        if tree is None:
            continue
        ast.increment_lineno(tree, python.count("\n", 0, begin))
        body.extend(tree.body)
    return ast.Module(body=body, type_ignores=[]) if body and failed else None


MAX_REPAIRS = 4  # broken lines replaced in one block before giving up on it
MAX_REPAIRED_BLOCKS = 16  # blocks of one unit that are repaired (each repair parses the block again)
MAX_REPAIR_BYTES = 64 * 1024  # a bigger block is skipped whole, as before: repairing it would cost more parses


def _repaired(chunk: str) -> ast.Module | None:
    """The block with its broken lines replaced by ``pass`` (same indentation, same line numbers), when that
    is all it takes: a bot handler with one unterminated string still shows the command it runs."""
    lines = chunk.split("\n")
    replaced: set[int] = set()
    for _ in range(MAX_REPAIRS):
        try:
            return parse_code("\n".join(lines))
        except SyntaxError as exc:
            index = (exc.lineno or 0) - 1
            if "expected 'except' or 'finally'" in str(exc.msg):
                # a try whose handler was commented out (or cut off): read as `if True:`, same lines, same body
                at = _open_try(lines, index)
                if at is None:
                    return None
                line = lines[at]
                lines[at] = line[:len(line) - len(line.lstrip())] + "if True:"
                continue
            if not 0 <= index < len(lines) or lines[index].strip() == "pass":
                return None
            # the rest of a string broken over lines keeps the indentation of the line it continues
            line = lines[index - 1] if index - 1 in replaced else lines[index]
            lines[index] = line[:len(line) - len(line.lstrip())] + "pass"
            replaced.add(index)
        except (ValueError, RecursionError, MemoryError):
            return None
    return None


def _open_try(lines: list[str], before: int) -> int | None:
    """The index of the last ``try:`` above line ``before`` that no ``except``/``finally`` at its level
    closes (the line that ends it without one is where the parser complains; past the last line, the end)."""
    open_tries: list[tuple[int, str]] = []
    for at, line in enumerate(lines[:max(before, 0)] if 0 <= before < len(lines) else lines):
        stripped = line.strip()
        if not stripped:
            continue
        indent = line[:len(line) - len(line.lstrip())]
        if stripped == "try:":
            open_tries.append((at, indent))
        elif stripped.startswith(("except", "finally")) and open_tries and open_tries[-1][1] == indent:
            open_tries.pop()
    return open_tries[-1][0] if open_tries else None
