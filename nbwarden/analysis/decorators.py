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
parameter, an inner function that calls it once with plain positional arguments and is returned.
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
    inner = next((s for s in decorator.body if isinstance(s, ast.FunctionDef)), None)
    returned = next((s for s in decorator.body if isinstance(s, ast.Return)), None)
    if inner is None or returned is None or not (isinstance(returned.value, ast.Name) and returned.value.id == inner.name):
        return None
    if inner.args.kwonlyargs or inner.args.kwarg or inner.args.defaults:
        return None
    calls = [n for n in ast.walk(inner) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == fn]
    if len(calls) != 1 or calls[0].keywords:
        return None
    return inner, calls[0]


def apply_decorators(tree: ast.Module) -> None:
    """Rewrite the calls of functions decorated by an argument-transforming decorator of the cell (in place)."""
    top = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    decorated: dict[str, tuple[ast.FunctionDef, ast.Call]] = {}
    for node in tree.body:
        if isinstance(node, FUNCTIONS) and len(node.decorator_list) == 1 and \
                isinstance(node.decorator_list[0], ast.Name) and node.decorator_list[0].id in top:
            shape = _transform(top[node.decorator_list[0].id])
            if shape is not None:
                decorated[node.name] = shape
    if not decorated:
        return
    sites = 0
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in decorated) or \
                call.keywords or any(isinstance(a, ast.Starred) for a in call.args):
            continue
        inner, passed = decorated[call.func.id]
        params = [a.arg for a in inner.args.args]
        if len(call.args) < len(params) or len(call.args) > len(params) and inner.args.vararg is None:
            continue
        mapping: dict[str, ast.expr] = dict(zip(params, call.args, strict=False))
        if inner.args.vararg is not None:
            mapping[inner.args.vararg.arg] = ast.List(elts=list(call.args[len(params):]), ctx=ast.Load())
        call.args = [substituted(a, mapping) for a in passed.args]
        for arg in call.args:
            for node in ast.walk(arg):  # every part stands where the call does (evidence, the focused walk)
                if "lineno" in node._attributes:
                    ast.copy_location(node, call)
        sites += 1
        if sites >= MAX_SITES:
            break
