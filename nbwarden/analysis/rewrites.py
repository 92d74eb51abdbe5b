"""AST rewrites that turn a few statements into one expression the folder can read.

A def of a few local assignments and a return (``a = f(x); return g(a)`` as ``g(f(x))``), also when it grows a
local list before returning it (an argv built with appends, the conditional ones left out), a generator that only
yields (``[a] + [f(x) for x in it]``), a function's body with one call's arguments in place of its parameters, and
a loop that pipes a value through a list of decoders (``for op in ops: data = op(data)`` as ``c(b(a(data)))``),
and a loop over a progress bar as a loop over what the bar is given (``tqdm(steps)`` as ``steps``, ``trange(n)``
as ``range(n)``).
Rewriting keeps one reader (the folder) instead of a second evaluator per statement shape.
"""

from __future__ import annotations

import ast
import copy
import re
from typing import Any

MAX_LOCALS = 5  # assignments before its return that a def may make and still be read as one expression
MAX_GROWTH = 12  # appends, extends and += to a local list that it may make besides
GROWERS = frozenset({"append", "extend"})


def _def_statements(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt] | None:
    """A def's statements after its docstring; None when it is decorated (what runs is not its body alone), except
    by ``@property``, which only changes how the body is reached (``self.argv``)."""
    if node.decorator_list and not is_property(node):
        return None
    return node.body[1:] if ast.get_docstring(node, clean=False) is not None else node.body


def is_property(node: ast.FunctionDef) -> bool:
    return len(node.decorator_list) == 1 and type(node.decorator_list[0]) is ast.Name and \
        node.decorator_list[0].id == "property"


def _plain_assign(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)


def _unpacked(stmt: ast.stmt) -> list[tuple[str, ast.expr]] | None:
    """``a, b = x, y`` as the steps ``a = x`` and ``b = y``, when no value reads a name the statement binds (the
    values are all read before any is bound); None for any other statement."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Tuple) and
            isinstance(stmt.value, ast.Tuple) and len(stmt.targets[0].elts) == len(stmt.value.elts) and
            all(isinstance(t, ast.Name) for t in stmt.targets[0].elts)):
        return None
    names = [t.id for t in stmt.targets[0].elts]
    if any(isinstance(n, ast.Name) and n.id in names for v in stmt.value.elts for n in ast.walk(v)):
        return None
    return list(zip(names, stmt.value.elts, strict=True))


def _growth(stmt: ast.stmt, lists: set[str]) -> ast.expr | None:
    """``argv.append(x)``, ``argv.extend(xs)`` or ``argv += [...]`` on a local list as the list's new value
    (``argv + [x]``); None for any other statement."""
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Add) and isinstance(stmt.target, ast.Name) and \
            stmt.target.id in lists:
        return ast.BinOp(left=ast.Name(id=stmt.target.id, ctx=ast.Load()), op=ast.Add(), right=_as_list(stmt.value))
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in GROWERS and \
            isinstance(call.func.value, ast.Name) and call.func.value.id in lists and len(call.args) == 1 and \
            not call.keywords:
        added = ast.List(elts=[call.args[0]], ctx=ast.Load()) if call.func.attr == "append" else _as_list(call.args[0])
        return ast.BinOp(left=ast.Name(id=call.func.value.id, ctx=ast.Load()), op=ast.Add(), right=added)
    return None


def _as_list(expr: ast.expr) -> ast.expr:
    return expr if isinstance(expr, ast.List) else ast.Call(func=ast.Name(id="list", ctx=ast.Load()), args=[expr],
                                                            keywords=[])


def _only_grows(stmt: ast.stmt, lists: set[str]) -> bool:
    """An ``if``/``for``/``while`` whose every statement only grows local lists (``if verbose: argv.append('-v')``),
    or sets a name of its own on the way (``mount, perm = spec.split(':')``): what it adds depends on the run, so the
    rewrite leaves it out and keeps the list's certain part."""
    if isinstance(stmt, (ast.Pass, ast.Continue)) or _growth(stmt, lists) is not None:
        return True
    if isinstance(stmt, ast.Assign):
        targets = {n.id for t in stmt.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        return all(isinstance(t, (ast.Name, ast.Tuple)) for t in stmt.targets) and not targets & lists
    if isinstance(stmt, (ast.If, ast.For, ast.While)):
        return all(_only_grows(s, lists) for s in [*stmt.body, *stmt.orelse])
    return False


def _local_steps(statements: list[ast.stmt]) -> list[tuple[str, ast.expr]] | None:
    """The (name, value) assignments a def's statements before its return amount to, appends to local lists as
    assignments (``argv = argv + [x]``) and conditional ones left out; None when a statement is anything else or
    there are too many."""
    steps: list[tuple[str, ast.expr]] = []
    lists: set[str] = set()
    growth = 0
    for stmt in statements:
        if _plain_assign(stmt):
            name = stmt.targets[0].id
            (lists.add if isinstance(stmt.value, ast.List) else lists.discard)(name)
            steps.append((name, stmt.value))
            continue
        if (pairs := _unpacked(stmt)) is not None:  # lo, up = string.ascii_lowercase, string.ascii_uppercase
            for name, value in pairs:
                lists.discard(name)
                steps.append((name, value))
            continue
        grown = _growth(stmt, lists)
        if grown is not None:
            steps.append((grown.left.id, grown))
        elif _side_step(stmt):
            continue  # urlretrieve(url, dst) before return dst: a call made for its effect binds no local
        elif not (lists and _only_grows(stmt, lists)):
            return None
        growth += 1
    if len(steps) - growth > MAX_LOCALS or growth > MAX_GROWTH:
        return None
    return steps


def _side_step(stmt: ast.stmt) -> bool:
    """A call made for its effect (``urlretrieve(url, dst)``, ``os.chmod(p, 0o755)``), alone or in a ``with`` block
    of such calls: it changes no local name the return could read (``exec`` and ``eval`` aside)."""
    if isinstance(stmt, ast.With):
        return bool(stmt.body) and all(_side_step(s) for s in stmt.body)
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and not (
        isinstance(stmt.value.func, ast.Name) and stmt.value.func.id in {"exec", "eval", "setattr", "globals", "locals"})


def _returns_after_locals(statements: list[ast.stmt]) -> bool:
    """A return of a value after at most :data:`MAX_LOCALS` plain assignments to local names (and appends to
    local lists, :func:`_local_steps`)."""
    return bool(statements) and isinstance(statements[-1], ast.Return) and statements[-1].value is not None and \
        _local_steps(statements[:-1]) is not None


def foldable_def(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Can :meth:`_Folder.function` read this def as one expression (a return after a few local assignments,
    or a generator that only yields)?"""
    statements = _def_statements(node)
    return statements is not None and (_returns_after_locals(statements) or yielded(statements) is not None)


def _inlined_locals(statements: list[ast.stmt]) -> ast.expr | None:
    """``a = f(x); b = g(a); return h(b)`` as the one expression ``h(g(f(x)))``; None when the statements are not
    a return after local steps (:func:`_returns_after_locals`, whose check this repeats in the same pass)."""
    if not statements or not isinstance(statements[-1], ast.Return) or statements[-1].value is None:
        return None
    steps = _local_steps(statements[:-1])
    if steps is None:
        return None
    returned = statements[-1].value
    for name, value in reversed(steps):
        returned = substituted(returned, {name: value})
    return returned


def yielded(statements: list[ast.stmt]) -> ast.expr | None:
    """A generator's body made of ``yield a``, ``yield from b`` and ``for x in it: yield f(x)`` as one list
    expression (``[a] + list(b) + [f(x) for x in it]``); None for any other statement."""
    parts: list[ast.expr] = []
    for stmt in statements:
        value = stmt.value if isinstance(stmt, ast.Expr) else None
        if isinstance(value, ast.Yield) and value.value is not None:
            parts.append(ast.List(elts=[value.value], ctx=ast.Load()))
        elif isinstance(value, ast.YieldFrom):
            parts.append(ast.Call(func=ast.Name(id="list", ctx=ast.Load()), args=[value.value], keywords=[]))
        elif isinstance(stmt, ast.For) and not stmt.orelse and len(stmt.body) == 1 and \
                isinstance(stmt.body[0], ast.Expr) and isinstance(stmt.body[0].value, ast.Yield) and \
                stmt.body[0].value.value is not None:
            parts.append(ast.ListComp(elt=stmt.body[0].value.value, generators=[
                ast.comprehension(target=stmt.target, iter=stmt.iter, ifs=[], is_async=0)]))
        else:
            return None
    if not parts:
        return None
    expr = parts[0]
    for part in parts[1:]:
        expr = ast.BinOp(left=expr, op=ast.Add(), right=part)
    return expr


class _Put(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, ast.expr]) -> None:
        self.mapping = mapping

    def visit_Name(self, name: ast.Name) -> ast.AST:
        return copy.deepcopy(self.mapping[name.id]) if name.id in self.mapping else name


def substituted(expr: ast.expr, mapping: dict[str, ast.expr]) -> ast.expr:
    """A copy of ``expr`` with the names in ``mapping`` replaced by (copies of) their expressions: a function's
    body with the arguments of one call in place of its parameters."""
    return _Put(mapping).visit(copy.deepcopy(expr))


MAX_PIPELINE = 8  # decoders one loop may apply in turn


def piped(loop: ast.For, sequence: ast.expr | None = None) -> ast.Assign | None:
    """``for op in (a, b, c): data = op(data)`` as the assignment ``data = c(b(a(data)))``; a call table walked
    by constant keys the same way: ``for k in range(3): data = table[k](data)`` is
    ``data = table[2](table[1](table[0](data)))``.

    ``sequence`` is what the loop goes over when it names a list bound earlier (``ops = [b64decode, ...]``);
    None when the loop is not such a pipeline."""
    if loop.orelse or len(loop.body) != 1 or not isinstance(loop.target, ast.Name):
        return None
    stmt = loop.body[0]
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
        return None
    name, item = stmt.targets[0].id, loop.target.id
    if _applies(stmt.value, item, name):
        items = loop.iter if isinstance(loop.iter, (ast.List, ast.Tuple)) else sequence
        steps = items.elts if isinstance(items, (ast.List, ast.Tuple)) else None
    elif _applies_entry(stmt.value, item, name):
        table = stmt.value.func.value
        keys = _constant_keys(loop.iter if sequence is None else sequence)
        steps = None if keys is None else [ast.Subscript(value=table, slice=ast.Constant(k), ctx=ast.Load())
                                           for k in keys]
    else:
        return None
    if steps is None or not 0 < len(steps) <= MAX_PIPELINE:
        return None
    assign = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())],
                        value=_chained(steps, ast.Name(id=name, ctx=ast.Load())))
    return ast.fix_missing_locations(ast.copy_location(assign, stmt))


def _applies_entry(expr: ast.expr, key: str, argument: str) -> bool:
    """``table[key](argument)``: an entry of a named table, chosen by the loop's key, called with the value."""
    return _called_with(expr, argument) and isinstance(expr.func, ast.Subscript) and \
        isinstance(expr.func.value, ast.Name) and isinstance(expr.func.slice, ast.Name) and expr.func.slice.id == key


def _constant_keys(items: ast.expr | None) -> list[object] | None:
    """The keys a loop goes over when they are written out: ``(0, 2, 1)``, ``range(3)``, ``"021"`` (its
    characters) or ``map(int, "021")``; None otherwise."""
    if isinstance(items, (ast.List, ast.Tuple)) and all(isinstance(e, ast.Constant) for e in items.elts):
        return [e.value for e in items.elts]
    if isinstance(items, ast.Constant) and isinstance(items.value, str):
        return list(items.value)
    if not isinstance(items, ast.Call) or not isinstance(items.func, ast.Name) or items.keywords:
        return None
    args = items.args
    if items.func.id == "range" and 0 < len(args) <= 2 and \
            all(isinstance(a, ast.Constant) and type(a.value) is int for a in args):
        bounds = [a.value for a in args]
        return list(range(*bounds)) if len(range(*bounds)) <= MAX_PIPELINE else None
    if items.func.id == "map" and len(args) == 2 and isinstance(args[0], ast.Name) and args[0].id == "int" and \
            isinstance(args[1], ast.Constant) and isinstance(args[1].value, str) and args[1].value.isdigit():
        return [int(c) for c in args[1].value]
    return None


def reduced(func: ast.expr, sequence: ast.expr, start: ast.expr) -> ast.expr | None:
    """``reduce(lambda acc, f: f(acc), (a, b, c), data)`` as ``c(b(a(data)))``: the same pipeline as :func:`piped`,
    written as one call; None for any other reduction."""
    if not isinstance(func, ast.Lambda) or not isinstance(sequence, (ast.List, ast.Tuple)) or \
            not 0 < len(sequence.elts) <= MAX_PIPELINE:
        return None
    params = [a.arg for a in func.args.args]
    if len(params) != 2 or func.args.vararg or not _applies(func.body, params[1], params[0]):
        return None
    return _chained(sequence.elts, start)


def composed(factory: Any, steps: list[ast.expr]) -> ast.Lambda | None:
    """``pipe(a, b, c)`` where ``pipe = lambda *fs: lambda x: reduce(lambda acc, f: f(acc), fs, x)`` (a
    compose helper of the cell, as a one-expression function of the folder) as ``lambda x: c(b(a(x)))``; None for
    any other call."""
    body = getattr(factory, "body", None)
    rest = getattr(factory, "rest", None)
    if rest is None or getattr(factory, "params", None) or not isinstance(body, ast.Lambda) or \
            len(body.args.args) != 1 or not 0 < len(steps) <= MAX_PIPELINE or \
            any(isinstance(step, ast.Starred) for step in steps):
        return None
    call = body.body
    if not (isinstance(call, ast.Call) and isinstance(call.func, (ast.Name, ast.Attribute)) and len(call.args) == 3
            and (call.func.id if isinstance(call.func, ast.Name) else call.func.attr) == "reduce"
            and isinstance(call.args[1], ast.Name) and call.args[1].id == rest
            and isinstance(call.args[2], ast.Name) and call.args[2].id == body.args.args[0].arg):
        return None
    inner = ast.Lambda(args=body.args, body=ast.List(elts=list(steps), ctx=ast.Load()))
    pipeline = reduced(call.args[0], inner.body, call.args[2])
    if pipeline is None:
        return None
    return ast.fix_missing_locations(ast.copy_location(ast.Lambda(args=body.args, body=pipeline), call))


def _applies(expr: ast.expr, function: str, argument: str) -> bool:
    """``function(argument)``: one name called with another and nothing else (``op(data)``, ``f(acc)``)."""
    return _called_with(expr, argument) and isinstance(expr.func, ast.Name) and expr.func.id == function


def _called_with(expr: ast.expr, argument: str) -> bool:
    """A call whose one argument is the name ``argument`` and nothing else."""
    return isinstance(expr, ast.Call) and len(expr.args) == 1 and not expr.keywords and \
        isinstance(expr.args[0], ast.Name) and expr.args[0].id == argument


def _chained(steps: list[ast.expr], start: ast.expr) -> ast.expr:
    """``c(b(a(start)))`` for the steps ``a, b, c``."""
    expr = start
    for step in steps:
        expr = ast.Call(func=copy.deepcopy(step), args=[expr], keywords=[])
    return expr


def listed(expr: ast.expr) -> list[ast.expr] | None:
    """The items of ``[a] + [b] + [c]`` (a generator that only yields, as :func:`yielded` writes it); None when a
    part is no list display."""
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        left, right = listed(expr.left), listed(expr.right)
        return None if left is None or right is None else left + right
    return list(expr.elts) if isinstance(expr, ast.List) else None


def unpacked(expr: ast.expr, count: int) -> list[ast.expr] | None:
    """What an unpacking takes item by item from ``map(f, (a, b))`` or ``(f(m) for m in (a, b))`` (also inside
    ``list()`` or ``tuple()``): the expressions ``f(a)``, ``f(b)``, so that ``o, s = map(__import__, ('os',
    'subprocess'))`` binds each name as its own import would.  None for anything else, or a count that differs."""
    while isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in {"list", "tuple"} \
            and len(expr.args) == 1 and not expr.keywords:
        expr = expr.args[0]
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "map" \
            and len(expr.args) == 2 and isinstance(expr.args[1], (ast.Tuple, ast.List)):
        items = expr.args[1].elts
        made = [ast.copy_location(ast.Call(func=expr.args[0], args=[item], keywords=[]), item) for item in items]
    elif isinstance(expr, (ast.GeneratorExp, ast.ListComp)) and len(expr.generators) == 1:
        loop = expr.generators[0]
        if loop.ifs or loop.is_async or not isinstance(loop.target, ast.Name) or \
                not isinstance(loop.iter, (ast.Tuple, ast.List)):
            return None
        items = loop.iter.elts
        made = [substituted(expr.elt, {loop.target.id: item}) for item in items]
    else:
        return None
    if len(made) != count or any(isinstance(item, ast.Starred) for item in items):
        return None
    return made


def zipped_table(expr: ast.expr) -> ast.Dict | None:
    """``dict(zip('sop', map(f, (a, b, c))))`` (or ``zip(keys, [x, y])`` with a list or tuple of keys) as the dict
    display ``{'s': f(a), 'o': f(b), 'p': f(c)}``: a table of modules or functions picked by key later."""
    if not (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "dict"
            and len(expr.args) == 1 and not expr.keywords):
        return None
    inner = expr.args[0]
    if not (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id == "zip"
            and len(inner.args) == 2 and not inner.keywords):
        return None
    keys, values = inner.args
    if isinstance(keys, ast.Constant) and isinstance(keys.value, str):
        keys = [ast.Constant(c) for c in keys.value]
    elif isinstance(keys, (ast.Tuple, ast.List)) and all(isinstance(k, ast.Constant) for k in keys.elts):
        keys = list(keys.elts)
    else:
        return None
    items = list(values.elts) if isinstance(values, (ast.Tuple, ast.List)) else unpacked(values, len(keys))
    if items is None or len(items) != len(keys) or any(isinstance(i, ast.Starred) for i in items):
        return None
    return ast.Dict(keys=keys, values=items)


# progress bars that hand back the items they are given (tqdm, rich's track, alive-progress), by the name they are
# called under; and tqdm's trange, a range with a bar
PROGRESS_BARS = frozenset({"tqdm", "track", "alive_it", "progressbar"})
RANGE_BARS = frozenset({"trange"})
PROGRESS_HINTS = tuple(sorted(PROGRESS_BARS | RANGE_BARS))  # looked for as plain text first, then as a call:
PROGRESS_WORDS = re.compile(r"\b(?:" + "|".join(PROGRESS_HINTS) + r")\s*\(")  # a unit worth the rewrite


def _bar(node: ast.expr) -> str:
    func = node.func if isinstance(node, ast.Call) else None
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name if isinstance(node, ast.Call) and node.args and not isinstance(node.args[0], ast.Starred) else ""


def unwrap_progress_bars(tree: ast.AST) -> None:
    """Loops over a progress bar read as loops over its items, in place: ``for s in tqdm(steps, desc=...)`` goes
    over ``steps``, ``for i in trange(n)`` over ``range(n)``.  The bar only draws; what the loop does with each item
    is the same, and every check that counts a loop's rounds or reads its items sees them this way."""
    for node in ast.walk(tree):
        loops = [node] if isinstance(node, (ast.For, ast.AsyncFor)) else \
            node.generators if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)) else ()
        for loop in loops:
            for _ in range(3):  # tqdm(enumerate(...)) and bars in bars
                name = _bar(loop.iter)
                if name in PROGRESS_BARS:
                    loop.iter = loop.iter.args[0]
                elif name in RANGE_BARS:
                    loop.iter = ast.copy_location(ast.Call(func=ast.copy_location(ast.Name(id="range", ctx=ast.Load()),
                                                                                  loop.iter.func),
                                                           args=loop.iter.args, keywords=[]), loop.iter)
                else:
                    break
