"""Decorators that transform arguments, applied where the decorated function is called.

An obfuscated cell can hide its commands behind a decorator of its own::

    def decoded(fn):
        def inner(*words):
            return fn([codecs.decode(w, 'rot13') for w in words])
        return inner

    @decoded
    def sh(argv):
        subprocess.run(argv)

    sh('ncg-trg', 'vafgnyy', ...)

What ``sh`` receives is ``inner``'s expression with the call's arguments in place of its parameters.  Each such
call site is rewritten to pass that expression (``sh([codecs.decode(w, 'rot13') for w in ['ncg-trg', ...]])``),
so the rest of the analysis reads it like any other call.  Only decorators of that one shape are applied: one
parameter, an inner function that calls it once with plain positional arguments and is returned; a decorator
factory's parameters (``@staged('P_BIN')``) are bound to the decorator line's arguments the same way.
"""

from __future__ import annotations

import ast

from .rewrites import substituted

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
MAX_SITES = 256  # call sites rewritten in one cell


def _transform(decorator: ast.FunctionDef) -> tuple[ast.FunctionDef, ast.Call] | None:
    """The inner function and its call of the decorated function, when ``decorator`` has the one shape read."""
    if len(decorator.args.args) != 1 or decorator.args.vararg or decorator.args.kwonlyargs:
        return None
    fn = decorator.args.args[0].arg
    inner = _returned_def(decorator)
    if inner is None or inner.args.kwonlyargs or inner.args.kwarg or inner.args.defaults:
        return None
    calls = [n for n in ast.walk(inner) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == fn]
    if len(calls) != 1 or calls[0].keywords:
        return None
    return inner, calls[0]


def _returned_def(function: ast.FunctionDef) -> ast.FunctionDef | None:
    """The function a def defines in its body and returns (``def deco(fn): def inner(...): ...; return inner``)."""
    inner = next((s for s in function.body if isinstance(s, ast.FunctionDef)), None)
    returned = next((s for s in function.body if isinstance(s, ast.Return)), None)
    if inner is None or returned is None or not (isinstance(returned.value, ast.Name) and returned.value.id == inner.name):
        return None
    return inner


def _bound(spec: ast.arguments, args: list[ast.expr]) -> dict[str, ast.expr] | None:
    """Positional parameters bound to a call's arguments, ``*rest`` to a list of the further ones; None when the
    numbers do not fit."""
    params = [a.arg for a in spec.args]
    if len(args) < len(params) or len(args) > len(params) and spec.vararg is None:
        return None
    bound: dict[str, ast.expr] = dict(zip(params, args, strict=False))
    if spec.vararg is not None:
        bound[spec.vararg.arg] = ast.List(elts=list(args[len(params):]), ctx=ast.Load())
    return bound


def _made(factory: ast.FunctionDef, call: ast.Call) -> tuple[ast.FunctionDef, dict[str, ast.expr]] | None:
    """``@staged('P_BIN', 'P_POOL')``: the decorator a factory of the cell returns (``def staged(*keys): def
    deco(fn): ...; return deco``) and the factory's parameters bound to the decorator line's arguments."""
    inner = _returned_def(factory)
    spec = factory.args
    if inner is None or call.keywords or spec.kwonlyargs or spec.kwarg or \
            any(isinstance(a, ast.Starred) for a in call.args):
        return None
    bound = _bound(spec, call.args)
    return None if bound is None else (inner, bound)


def _registered(decorator: ast.FunctionDef, bound: dict[str, ast.expr], function: str) -> list[ast.Assign]:
    """What a registering decorator stores (``REG[name] = fn``, ``for a in aliases: REG[a] = fn``,
    ``REG[fn.__name__] = fn``), as assignments of the decorated function under each key it is given."""
    if len(decorator.args.args) != 1:
        return []
    fn = decorator.args.args[0].arg
    if not any(isinstance(n, ast.Return) and isinstance(n.value, ast.Name) and n.value.id == fn
               for n in decorator.body):
        return []  # (a decorator that returns something else than the function changes what the name is)
    loops = {n.target.id: n.iter for n in ast.walk(decorator) if isinstance(n, ast.For) and isinstance(n.target, ast.Name)}
    stores = []
    for node in ast.walk(decorator):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Name) and
                node.value.id == fn and isinstance(table := node.targets[0], ast.Subscript) and
                isinstance(table.value, ast.Name)):
            continue
        key = table.slice
        if isinstance(key, ast.Attribute) and key.attr == "__name__" and isinstance(key.value, ast.Name) and \
                key.value.id == fn:
            keys: list[ast.expr] = [ast.Constant(function)]
        elif isinstance(key, ast.Name) and key.id in loops and isinstance(loops[key.id], ast.Name):
            given = bound.get(loops[key.id].id)  # for a in aliases: REG[a] = fn, with @worker('nv', 'cuda')
            keys = list(given.elts) if isinstance(given, (ast.List, ast.Tuple)) else []
        elif isinstance(key, ast.Name):
            keys = [bound[key.id]] if key.id in bound else []
        else:
            keys = [key] if isinstance(key, ast.Constant) else []
        stores += [ast.Assign(targets=[ast.Subscript(value=ast.Name(table.value.id, ast.Load()), slice=k,
                                                     ctx=ast.Store())],
                              value=ast.Name(function, ast.Load())) for k in keys[:MAX_SITES]]
    return stores


def apply_decorators(tree: ast.Module) -> None:
    """Rewrite the calls of functions decorated by an argument-transforming decorator of the cell (in place), or by
    one that a decorator factory of the cell makes (``@staged(path)``); after a function that a registering
    decorator of the cell stores in a table (``@worker('cuda')``), add the store it makes (``TABLE['cuda'] = f``)."""
    top = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    decorated: dict[str, tuple[ast.FunctionDef, ast.Call, dict[str, ast.expr]]] = {}
    registered: list[tuple[ast.AST, list[ast.Assign]]] = []
    for node in tree.body:
        if not isinstance(node, FUNCTIONS) or len(node.decorator_list) != 1:
            continue
        line = node.decorator_list[0]
        made = None
        if isinstance(line, ast.Name) and line.id in top:
            made = (top[line.id], {})
        elif isinstance(line, ast.Call) and isinstance(line.func, ast.Name) and line.func.id in top:
            made = _made(top[line.func.id], line)
        shape = _transform(made[0]) if made is not None else None
        if shape is not None:
            decorated[node.name] = (*shape, made[1])
        elif made is not None and (stores := _registered(made[0], made[1], node.name)):
            registered.append((node, stores))
            node.decorator_list = []  # it returns the function itself: the name is that function
    for node, stores in reversed(registered):
        at = tree.body.index(node) + 1
        for store in stores:
            ast.copy_location(store, node)
            ast.fix_missing_locations(store)
        tree.body[at:at] = stores
    if not decorated:
        return
    sites = 0
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in decorated) or \
                call.keywords or any(isinstance(a, ast.Starred) for a in call.args):
            continue
        inner, passed, factory_bound = decorated[call.func.id]
        if (bound := _bound(inner.args, call.args)) is None:
            continue
        mapping = {**factory_bound, **bound}
        call.args = [substituted(a, mapping) for a in passed.args]
        for arg in call.args:
            for node in ast.walk(arg):  # every part stands where the call does (evidence, the focused walk)
                if "lineno" in node._attributes:
                    ast.copy_location(node, call)
        sites += 1
        if sites >= MAX_SITES:
            break
