"""Command wrappers: a cell's own function that hands one of its parameters to the shell, to ``subprocess``
or to ``exec`` (``def sh(c): subprocess.run(c, shell=True)``, ``run = lambda *a: Popen(list(a))``).

Notebooks wrap commands this way all the time, and obfuscated cells use it to keep the program name away
from ``os.system``.  A call of such a wrapper is read as the command it runs: ``sh("xmrig -o pool:443")`` is
the shell line ``xmrig -o pool:443``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .rewrites import substituted

SHELL, ARGV, PYTHON = "shell", "argv", "python"
VARARGS = -1  # the wrapper passes all its positional arguments on (``*a``)
MAX_WRAPPERS = 64


@dataclass(frozen=True)
class Wrapper:
    """How a call of the wrapper runs: ``kind`` (shell line, argv list or Python code), which argument
    carries the command (``index``, or ``VARARGS``), the parameter's name, and the expression that builds
    the command from it (``f"{c} 2>&1"``; the bare parameter when it is passed as it is).  ``others``: the
    further parameters the expression uses, by position (``def hit(url, n): Popen([TOOL, '-c', str(n), url])``)."""

    kind: str
    index: int
    param: str
    template: ast.expr
    inner: str  # the call the wrapper makes, for the evidence (``subprocess.run``)
    others: tuple[tuple[int, str], ...] = ()


def _uses(node: ast.AST, name: str) -> bool:
    return any(type(n) is ast.Name and n.id == name for n in ast.walk(node))


def _carried(arg: ast.expr, params: list[str], vararg: str | None) -> list[tuple[int, str]] | None:
    """Which parameters the command argument is made from, the first one first: ``c``, ``f"{c} &"``,
    ``c + " &"``, ``list(a)``, ``[*a]``, ``" ".join(a)``, ``decode(c)``, ``[tool, "-c", str(n), url]``.
    None when it uses none."""
    if vararg and (type(arg) is ast.Name and arg.id == vararg or _uses(arg, vararg) and not any(
            _uses(arg, p) for p in params)):
        return [(VARARGS, vararg)]
    used = [(i, p) for i, p in enumerate(params) if _uses(arg, p)]
    if used and type(arg) in (ast.Name, ast.JoinedStr, ast.BinOp, ast.List, ast.Tuple, ast.Call):
        return used  # a call too: run(d(t)) with d a decoder, c.format(...), " ".join(a)
    return None


def table_entries(table: ast.AST, limit: int) -> list[tuple[str | int, ast.AST]]:
    """(key, item) of a dict with constant keys or of a list or tuple (keys 0, 1, ...): a table of functions that a
    cell calls by key or index (``ops['go'](cmd)``, ``ops[i](cmd)``); [] for anything else."""
    if type(table) is ast.Dict:
        return [(key.value, item) for key, item in zip(table.keys[:limit], table.values, strict=False)
                if type(key) is ast.Constant and isinstance(key.value, (str, int))]
    if type(table) in (ast.List, ast.Tuple):
        return list(enumerate(table.elts[:limit]))
    if type(table) is ast.DictComp and len(table.generators) == 1:
        # {k: getattr(asyncio, k) for k in ['open_connection', 'start_server']}: one entry per name spelled out
        entries = []
        for bound in _spelled_bindings(table.generators[0], limit):
            key = substituted(table.key, bound)
            if type(key) is ast.Constant and isinstance(key.value, (str, int)):
                entries.append((key.value, substituted(table.value, bound)))
        return entries
    return []


def _spelled_bindings(gen: ast.comprehension, limit: int) -> list[dict[str, ast.expr]]:
    """What a comprehension's target takes, one binding per round, when the cell spells its items out:
    ``for k in ['open_connection', ...]`` (constants), or ``for k, v in {'mix': 'seamless' + 'Clone'}.items()``."""
    if gen.ifs:
        return []
    target, source = gen.target, gen.iter
    if type(target) is ast.Name and type(source) in (ast.List, ast.Tuple) and \
            all(type(e) is ast.Constant and isinstance(e.value, (str, int)) for e in source.elts):
        return [{target.id: item} for item in source.elts[:limit]]
    if type(target) is ast.Tuple and len(target.elts) == 2 and all(type(t) is ast.Name for t in target.elts) and \
            type(source) is ast.Call and type(source.func) is ast.Attribute and source.func.attr == "items" and \
            not source.args and type(source.func.value) is ast.Dict:
        names = [t.id for t in target.elts]
        pairs = zip(source.func.value.keys[:limit], source.func.value.values, strict=False)
        return [dict(zip(names, pair, strict=True)) for pair in pairs if pair[0] is not None]
    return []


# a wrapper's body names one of these; a cell without any of them has none (a quick test before any walk)
RUNNER_WORDS = ("system", "popen", "subprocess", "exec", "eval", "spawn", "getoutput", "pexpect", "pty", "compile",
                "getattr", "__import__", "import_module", "get_ipython", "__dict__", "modules[")


def find_wrappers(body: list[ast.stmt], classify: Callable[[ast.Call], tuple[str, str | None]],
                  source: str = "", runners: Iterable[str] = ()) -> dict[str, Wrapper]:
    """The wrappers among a cell's top-level functions and lambdas.  ``classify`` names a call and says how it
    runs its first argument (``SHELL``, ``ARGV``, ``PYTHON`` or None: :func:`.calls.run_kind`).  A wrapper may
    call an earlier one (``def run(c): sh(c)``); a second round follows such chains.

    With ``source`` (the text the tree's lines number), a function is walked only when its own lines name a
    runner word, a shell escape, one of ``runners`` (the cell's aliases of runner modules and calls: ``_s`` of
    ``import subprocess as _s``) or, in the second round, a wrapper already found: most cells define
    functions, few wrap commands."""
    if source and not any(word in source for word in RUNNER_WORDS):
        return {}
    lines = source.split("\n") if source else None
    candidates: list[tuple[str, list[str], str | None, list[ast.AST], str | None]] = []
    for stmt in body:
        if type(stmt) in (ast.FunctionDef, ast.AsyncFunctionDef):
            candidates.append((stmt.name, *_params(stmt.args), stmt.body, _own_text(stmt, lines)))
            # a helper defined inside it (async def boot(): async def sh(cmd): ... create_subprocess_shell(cmd))
            candidates += [(inner.name, *_params(inner.args), inner.body, _own_text(inner, lines)) for inner in stmt.body
                           if type(inner) in (ast.FunctionDef, ast.AsyncFunctionDef)]
        elif type(stmt) is ast.Assign and len(stmt.targets) == 1 and type(stmt.targets[0]) is ast.Name \
                and type(stmt.value) is ast.Lambda:
            candidates.append((stmt.targets[0].id, *_params(stmt.value.args), [stmt.value.body],
                               _own_text(stmt, lines)))
        elif type(stmt) is ast.Assign and len(stmt.targets) == 1 and type(stmt.targets[0]) is ast.Name:
            for key, item in table_entries(stmt.value, MAX_WRAPPERS):  # a table of lambdas, called as ops['go'](c)
                if type(item) is ast.Lambda:
                    candidates.append((f"{stmt.targets[0].id}[{key!r}]", *_params(item.args), [item.body],
                                       _own_text(stmt, lines)))
        elif type(stmt) is ast.ClassDef:  # a method, named Class.method, called on an instance (self not passed)
            for item in stmt.body:
                if type(item) in (ast.FunctionDef, ast.AsyncFunctionDef) and item.args.args and \
                        item.args.args[0].arg in {"self", "cls"} and not item.args.posonlyargs:
                    params, vararg = _params(item.args)
                    candidates.append((f"{stmt.name}.{item.name}", params[1:], vararg, item.body,
                                       _own_text(item, lines)))
    runners = tuple(runners)
    found: dict[str, Wrapper] = {}
    for round_ in range(2):
        for name, params, vararg, statements, text in candidates[:MAX_WRAPPERS]:
            if name in found or text is not None and not (
                    any(word in text for word in found) if round_ else _may_run(text, runners)):
                continue
            if not params and not vararg:
                continue  # nothing to pass on
            kept = _kept(statements)
            for stmt in statements:
                wrapper = _wrapping(stmt, params, vararg, classify, found, kept)
                if wrapper is not None:
                    found[name] = wrapper
                    break
        if not found:
            break
    return found


def _params(spec: ast.arguments) -> tuple[list[str], str | None]:
    return [a.arg for a in (*spec.posonlyargs, *spec.args)], spec.vararg.arg if spec.vararg else None


def _may_run(text: str, runners: tuple[str, ...]) -> bool:
    low = text.lower()
    return "!" in text or any(word in low for word in RUNNER_WORDS) or any(name in text for name in runners)


def _own_text(stmt: ast.stmt, lines: list[str] | None) -> str | None:
    """The lines a statement spans, or None when they cannot be told (no source, or lines out of range)."""
    end = getattr(stmt, "end_lineno", None)
    if lines is None or end is None or not 0 < stmt.lineno <= end <= len(lines):
        return None
    return "\n".join(lines[stmt.lineno - 1:end])


def _kept(statements: list[ast.AST]) -> dict[str, ast.expr]:
    """Names a wrapper binds once (``cmd = [PROG, *args]``), so that a command kept in one before the call is
    read through what it was made of."""
    bound: dict[str, ast.expr | None] = {}
    for stmt in statements:
        for node in ast.walk(stmt):
            if type(node) is ast.Assign and len(node.targets) == 1 and type(node.targets[0]) is ast.Name:
                name = node.targets[0].id
                bound[name] = None if name in bound else node.value
            elif type(node) in (ast.AugAssign, ast.AnnAssign, ast.For) and type(node.target) is ast.Name:
                bound[node.target.id] = None  # changed after it was made, or a loop's: not one value
    return {name: value for name, value in bound.items() if value is not None}


def _wrapping(root: ast.AST, params: list[str], vararg: str | None,
              classify: Callable[[ast.Call], tuple[str, str | None]], known: dict[str, Wrapper],
              kept: dict[str, ast.expr]) -> Wrapper | None:
    for node in ast.walk(root):
        if type(node) is not ast.Call:
            continue
        inner, kind = classify(node)
        if inner in known:
            kind, position = known[inner].kind, known[inner].index
        elif kind is not None:
            position = 0
        else:
            continue
        if position == VARARGS:
            args = node.args
            if len(args) != 1 or type(args[0]) is not ast.Starred:
                continue
            arg = args[0].value
        else:
            arg = node.args[position] if len(node.args) > position else next(
                (k.value for k in node.keywords if k.arg in {"args", "command", "cmd"}), None)
        if arg is None:
            continue
        if type(arg) is ast.Starred and kind == ARGV:
            arg = arg.value  # create_subprocess_exec(*argv), os.spawnlp(..., *argv): the list spread
        if type(arg) is ast.Name and arg.id in kept and arg.id not in params and arg.id != vararg:
            arg = kept[arg.id]
        elif type(arg) in (ast.List, ast.Tuple):  # ["tmux", "new", "-d", inner]: the words kept in names read through
            local = {name: value for name, value in kept.items() if name not in params and name != vararg and
                     any(type(e) is ast.Name and e.id == name for e in arg.elts)}
            arg = substituted(arg, local) if local else arg
        carried = _carried(arg, params, vararg)
        if carried is not None:
            (index, param), *others = carried
            return Wrapper(kind, index, param, arg, inner, tuple(others))
    return None
