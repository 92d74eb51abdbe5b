"""The entry point: :func:`analyze` reads one unit of code (IPython syntax, the AST pass, shapes, the shell
lines with their ``{var}`` and ``$name`` filled in)."""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from .. import behaviour
from .commands import add_shell
from .decorators import apply_decorators
from .earlier import EarlierCells
from .facts import EXEC, INERT, MAX_DEEP_BYTES, Analysis, Fact, clip
from .foreign import read_foreign_literals
from .ipython import split_ipython
from .parsing import _parse
from .pythonpass import _PythonPass
from .renames import add_renamed
from .rewrites import PROGRESS_HINTS, PROGRESS_WORDS, unwrap_progress_bars
from .surface import _fallback_imports, surface
from .wrappers import RUNNER_WORDS

MAX_EARLIER_NAMES = 64  # names a cell reads from earlier cells


def analyze(source: str, kind: str = "cell", depth: int = 0, focus: set[int] | None = None,
            earlier: EarlierCells | None = None, environ: dict[str, str] | None = None) -> Analysis:
    """Analyse one unit of code.

    ``kind`` is ``cell`` or ``python`` (Python with IPython syntax), ``shell``
    (a shell script or command line), ``markdown`` or ``data`` (never runs),
    or ``text`` (unknown language: text-level checks only).  ``focus`` lists
    the lines where the engine's prefilter found something; when given, only
    statements covering those lines are walked in depth.  ``environ`` is what
    code around this unit put in ``os.environ`` (for code inside code).
    """
    analysis = Analysis(source=source, kind=kind, lines=source.split("\n"), cwd=earlier.cwd if earlier else "")
    if kind in {"markdown", "data"}:
        for i in range(1, source.count("\n") + 2):
            analysis.shell_lines[i] = INERT
        return analysis
    if kind == "shell":
        for i, text in enumerate(source.split("\n"), start=1):
            analysis.shell_lines[i] = INERT if text.lstrip().startswith("#") else EXEC
        add_shell(analysis, source, 1, "", EXEC, depth)
        return _renamed(analysis, depth, earlier)
    if kind == "text":  # a program in another language, or prose: its literals read on their looks
        read_foreign_literals(analysis, source)
        return analysis
    if "\x00" in source or len(source) > MAX_DEEP_BYTES:
        analysis = surface(source, kind)
        analysis.notes.append("binary content: text-level checks only" if "\x00" in source
                              else f"cell larger than {MAX_DEEP_BYTES} bytes: text-level checks only")
        return analysis
    pending: list[tuple[str, int, str]] = []
    python = split_ipython(source, analysis, pending)
    tree = _parse(python, analysis.notes)
    env: dict[str, Any] = {}
    fold = None
    if tree is not None:
        analysis.parsed = True
        if analysis.environ:  # %env lines: what os.environ holds for the cell's code
            environ = {**(environ or {}), **analysis.environ}
        walker = _PythonPass(analysis, tree, depth, sorted(focus) if focus is not None else None, environ)
        if earlier is not None and depth == 0 and any(word in python for word in RUNNER_WORDS):
            walker.env.update(_from_earlier(tree, earlier))  # (a cell that runs something: its values matter)
        try:
            apply_decorators(tree)
            if any(word in python for word in PROGRESS_HINTS) and PROGRESS_WORDS.search(python):
                unwrap_progress_bars(tree)
            walker.run()
        except RecursionError:
            analysis.notes.append("code nested too deeply; analysis incomplete")
        env = {**walker.loose_env, **walker.env}  # a known value wins over a loose reading of the same name
        fold = walker.folder.fold
        # the shape of the whole unit, not only the lines with hits; a cell that decodes its own strings may hide
        # the very words that wake the shape checks (getattr(os, "du" + "p2")), so it is always read for shapes;
        # so is one whose calls through names it looked up name a shape's words (aio['start_server'] of a table)
        if behaviour.wanted(source.lower()) or walker.folder.methods or behaviour.wanted(
                " ".join(str(f.value) for f in analysis.facts if f.via == "lookup").lower()):
            # a command whose parts are all known ({...} stands for a value the pass could not read), or code run
            read = frozenset(f.line for f in analysis.facts if f.kind == "command" and not any(
                str(part).startswith("{") for part in f.value) or any(w in f.via for w in ("exec", "eval", "compile")))
            for found in behaviour.find(tree, walker.folder.fold, walker.folder.reference, read):
                line = analysis.lines[found.line - 1] if 0 < found.line <= len(analysis.lines) else ""
                analysis.facts.append(Fact("behaviour", found.shape, EXEC, found.line,
                                           f"{clip(line, 100)}  ⇒  {found.detail}", "behaviour"))
    else:
        _fallback_imports(analysis, python)
    for text, line, via in pending:
        filled = _interpolate(text, env, earlier, fold)
        evidence = f"{clip(text, 100)}  ⇒  {clip(filled, 120)}" if filled != text else ""
        add_shell(analysis, filled, line, via, EXEC, depth, evidence)
    return _renamed(analysis, depth, earlier)


RUN_MODULES = ("os.", "subprocess.", "pty.", "asyncio.", "pexpect.", "sh.", "get_ipython(")  # what runs programs


def _from_earlier(tree: ast.AST, earlier: EarlierCells) -> dict[str, Any]:
    """The values earlier cells left in the names this cell hands to something that runs (directly, or through a
    name it builds from them) but never sets: ``SRC`` decoded in cell 2 and ``opts`` spelled out in cell 3, both
    put on the argv of cell 4."""
    stored: set[str] = set()
    built: dict[str, set[str]] = {}  # a name the cell assigns -> the names its value reads
    run_args: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            stored.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stored.add(node.name)
        elif isinstance(node, ast.alias):
            stored.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            stored.add(node.arg)
        elif isinstance(node, ast.Assign):
            reads = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
            for target in node.targets:
                for n in ast.walk(target):
                    if isinstance(n, ast.Name):
                        built.setdefault(n.id, set()).update(reads)
        elif isinstance(node, ast.Call) and ast.unparse(node.func).startswith(RUN_MODULES):
            run_args.update(n.id for a in (*node.args, *(k.value for k in node.keywords))
                            for n in ast.walk(a) if isinstance(n, ast.Name))
    needed = set(run_args)
    for _ in range(3):  # argv = ['aria2c'] + flags + [SRC]; flags = [... for k, v in opts.items()]
        needed |= {r for name in needed for r in built.get(name, ())}
    values = {}
    for name in sorted(needed - stored)[:MAX_EARLIER_NAMES]:
        value = earlier.get(name)
        if value is not None:
            values[name] = value.copy() if isinstance(value, (list, dict)) else value  # the cell may change it
    return values


def _renamed(analysis: Analysis, depth: int, earlier: EarlierCells | None) -> Analysis:
    """Commands run by a program's new name read again under its own (:mod:`.renames`), once per outer unit;
    the unit's renames are kept for the cells after it."""
    if depth == 0:
        own = add_renamed(analysis, earlier.renamed if earlier is not None else None)
        if earlier is not None:
            earlier.note_renamed(own)
    return analysis


def _interpolate(text: str, env: dict[str, Any], earlier: EarlierCells | None = None,
                 fold: Callable[[ast.AST], Any] | None = None) -> str:
    """IPython expands ``{expr}`` and ``$name`` in shell escapes: a name from what the cell (or an earlier one)
    left in it, any other expression as the Python pass folds it (``{u('fybjybevf')}`` with a decoder of the cell)."""
    if (not env and earlier is None) or ("{" not in text and "$" not in text):
        return text

    def brace(match: re.Match) -> str:
        name = unicodedata.normalize("NFKC", match.group(1))  # {ｓｒｃ} is src, as Python reads its names
        if not name.isidentifier():
            return _folded(name, fold) or match.group(0)
        value = env.get(name)
        if value is None and earlier is not None:
            value = earlier.get(name)
        return str(value) if isinstance(value, (str, int)) else match.group(0)

    text = re.sub(r"\{([^{}\n]{1,200})\}", brace, text)
    return re.sub(r"\$([^\W\d]\w*)", brace, text)  # ($1 is a shell function's argument, not a Python name)


def _folded(expression: str, fold: Callable[[ast.AST], Any] | None) -> str | None:
    """The text a ``{expression}`` of a shell escape gives, when the Python pass can fold it; else None."""
    if fold is None:
        return None
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    value = fold(node)
    return str(value) if isinstance(value, (str, int)) else None
