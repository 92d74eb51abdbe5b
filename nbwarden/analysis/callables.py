"""What the folder can apply: one-expression functions, and instances of the cell's own small classes.

An obfuscator keeps its decoder in a lambda, a one-line ``def``, or an object: ``u = Shift(7)`` then
``u(111, 123)``, ``str(_K(51, 52))``, ``string.Template(t).substitute(...)`` with the template kept in a name.
An object is read as the attributes its ``__init__`` set (``self.k = k``) and the one-expression methods of its
class (``__call__``, ``__str__``), applied like a lambda with ``self.k`` bound.  Classes whose methods are longer
than one expression are not objects here: their calls fold to nothing, as before.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# the methods an object is used through without being named: calling it, and turning it into text
OBJECT_METHODS = frozenset({"__call__", "__str__", "__repr__", "__format__"})
TEMPLATE = "string.Template"  # the one library class the folder builds: its template kept in a name


@dataclass(slots=True, repr=False)
class _Function:
    """A one-expression function (``lambda s: ...``, ``def f(s): return ...``): decoders are often wrapped in one."""

    params: list[str]
    defaults: dict[str, Any]
    body: ast.expr
    rest: str | None = None  # ``*xs``: the further positional arguments, as a list


@dataclass(slots=True)
class _Class:
    """One of the cell's classes as an object's maker: ``__init__``'s parameters, the ``self.X = ...`` it runs,
    and the methods the folder can apply (``self`` dropped)."""

    init: _Function  # the parameters of __init__ (its body unused: ``sets`` are folded one by one)
    sets: list[tuple[str, ast.expr]]
    methods: dict[str, _Function] = field(default_factory=dict)


@dataclass(slots=True, repr=False)
class _Object:
    """An instance: its class's name and the attributes the folder knows."""

    cls: str
    attrs: dict[str, Any]

    def __repr__(self) -> str:
        return ""  # never text of its own: an object turns into text only through its __str__


class _Objects:
    """A mixin of :class:`.folding._Folder`, which provides ``env``, ``classes``, ``fold``, ``function``,
    ``_spread`` and ``_invoke``; ``signature`` serves ``function`` too."""

    env: dict[str, Any]
    classes: dict[str, _Class]

    def read_class(self, node: ast.ClassDef) -> _Class | None:
        """The class as an object's maker, when it has a method the folder can use an object through."""
        methods: dict[str, _Function] = {}
        init: _Function | None = None
        sets: list[tuple[str, ast.expr]] = []
        for stmt in node.body:
            if not isinstance(stmt, ast.FunctionDef) or not stmt.args.args or stmt.args.args[0].arg != "self":
                continue
            if stmt.name == "__init__":
                signature = self.signature(stmt.args)
                if signature is None:
                    return None
                params, defaults, rest = signature
                init = _Function(params[1:], defaults, ast.Constant(None), rest)
                sets = [(s.targets[0].attr, s.value) for s in stmt.body if isinstance(s, ast.Assign) and
                        len(s.targets) == 1 and isinstance(s.targets[0], ast.Attribute) and
                        isinstance(s.targets[0].value, ast.Name) and s.targets[0].value.id == "self"]
            elif (function := self.function(stmt)) is not None:
                methods[stmt.name] = _Function(function.params[1:], function.defaults, function.body, function.rest)
        if not OBJECT_METHODS & methods.keys():
            return None
        return _Class(init or _Function([], {}, ast.Constant(None)), sets, methods)

    def signature(self, spec: ast.arguments, depth: int = 0) -> tuple[list[str], dict[str, Any], str | None] | None:
        """A function's positional parameters, the defaults that fold, and its ``*rest``; None when it takes
        keyword-only or ``**`` parameters (nothing the folder applies)."""
        if spec.kwarg or spec.kwonlyargs:
            return None
        params = [arg.arg for arg in (*spec.posonlyargs, *spec.args)]
        defaults = {}
        for param, default in zip(params[len(params) - len(spec.defaults):], spec.defaults, strict=True):
            if (value := self.fold(default, depth + 1)) is not None:
                defaults[param] = value
        return params, defaults, spec.vararg.arg if spec.vararg else None

    def object_call(self, node: ast.Call, depth: int) -> Any:
        """A call that makes one of the cell's objects (``Shift(7)``), calls one (``u(111)``) or a method of one
        (``u.decode(...)``); ``self`` when the call is none of these."""
        func = node.func
        if type(func) is ast.Name and func.id in self.classes and not isinstance(self.env.get(func.id), _Function):
            name, obj = func.id, None
        elif type(func) is ast.Name and isinstance(value := self.env.get(func.id), _Object):
            name, obj = "__call__", value
        elif type(func) is ast.Attribute and (type(func.value) is ast.Name and isinstance(
                self.env.get(func.value.id), _Object) or type(func.value) is ast.Call and
                type(func.value.func) is ast.Name and func.value.func.id in self.classes):
            name, obj = func.attr, self.fold(func.value, depth + 1)
            if not isinstance(obj, _Object) or obj.cls == TEMPLATE:
                return self
        else:
            return self
        values = self._spread(node.args, depth)
        if values is None:
            return None
        keywords = {k.arg: self.fold(k.value, depth + 1) for k in node.keywords if k.arg}
        if obj is None:
            return self.construct(name, values, keywords, depth)
        return self.apply(obj, name, values, keywords, depth)

    def construct(self, name: str, values: list[Any], keywords: dict[str, Any], depth: int) -> _Object | None:
        """``Shift(7)``: the attributes ``__init__`` sets, each folded with its parameters bound."""
        cls = self.classes[name]
        attrs = {}
        for attr, expr in cls.sets:
            maker = _Function(cls.init.params, cls.init.defaults, expr, cls.init.rest)
            value = self._invoke(maker, values, keywords, depth)
            if value is not None:
                attrs[attr] = value
        return _Object(name, attrs)

    def apply(self, obj: _Object, method: str, values: list[Any], keywords: dict[str, Any], depth: int) -> Any:
        """A method of the object's class, folded with the object's attributes as ``self.X``."""
        if obj.cls == TEMPLATE:
            return None  # only substitute() reads a template (folding._call)
        function = self.classes[obj.cls].methods.get(method)
        if function is None:
            return None
        with self.bound({f"self.{attr}": value for attr, value in obj.attrs.items()}):
            return self._invoke(function, values, keywords, depth)

    @contextmanager
    def bound(self, values: dict[str, Any]) -> Iterator[None]:
        """``env`` with these names bound for the block, and as it was afterwards."""
        missing = object()
        saved = {name: self.env.get(name, missing) for name in values}
        self.env.update(values)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is missing:
                    self.env.pop(name, None)
                else:
                    self.env[name] = value

    def as_text(self, obj: _Object, depth: int) -> str | None:
        """``str(obj)``, ``f'{obj}'``: what the object's ``__str__`` (or ``__repr__``) gives."""
        if obj.cls == TEMPLATE:
            return None
        for method in ("__str__", "__repr__"):
            if method in self.classes[obj.cls].methods:
                text = self.apply(obj, method, [], {}, depth)
                return text if isinstance(text, str) else None
        return None
