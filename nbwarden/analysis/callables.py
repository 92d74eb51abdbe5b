"""What the folder can apply: one-expression functions, and instances of the cell's own small classes.

An obfuscator keeps its decoder in a lambda, a one-line ``def``, or an object: ``u = Shift(7)`` then
``u(111, 123)``, ``str(_K(51, 52))``, ``string.Template(t).substitute(...)`` with the template kept in a name.
An object is read as the class's constants, the attributes its ``__init__`` set (``self.k = k``; a dataclass's
fields) and the one-expression methods of its class (``__call__``, ``__str__``, any named method, a property, an
``__getattr__`` hook that hands out attributes), applied like a lambda with ``self.k`` bound.  Classes whose
methods are all longer than one expression are not objects here: their calls fold to nothing, as before.
"""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .decoders import MAX_ITEMS

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
    properties: frozenset[str] = frozenset()  # methods read as attributes (@property)
    statics: list[tuple[str, ast.expr]] = field(default_factory=list)  # class-level NAME = value


class Column(list):
    """A pandas column or Series (or a numpy array) the folder knows, as its list of items: ``+`` joins text to
    it cell by cell, and its ``map``/``apply`` give a column again."""


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
        """The class as an object's maker, when it has a method the folder can use an object through (a
        one-expression method, a property, an ``__getattr__`` hook).  A dataclass's fields are its ``__init__``;
        class-level constants are attributes of every object."""
        methods: dict[str, _Function] = {}
        properties: set[str] = set()
        init: _Function | None = None
        sets: list[tuple[str, ast.expr]] = []
        statics = [(stmt.targets[0].id, stmt.value) for stmt in node.body if isinstance(stmt, ast.Assign) and
                   len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)]
        if _is_dataclass(node):
            fields = [stmt for stmt in node.body if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                      and "ClassVar" not in ast.unparse(stmt.annotation)]
            defaults = {f.target.id: value for f in fields if f.value is not None and
                        (value := self.fold(_unwrapped_field(f.value))) is not None}
            init = _Function([f.target.id for f in fields], defaults, ast.Constant(None))
            sets = [(f.target.id, ast.Name(id=f.target.id, ctx=ast.Load())) for f in fields]
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
                if any(isinstance(d, ast.Name) and d.id in {"property", "cached_property"} or
                       isinstance(d, ast.Attribute) and d.attr == "cached_property" for d in stmt.decorator_list):
                    properties.add(stmt.name)
        if not methods and not (_is_dataclass(node) and sets) and not statics:
            return None  # (a dataclass of settings, or a class of constants: its fields alone)
        return _Class(init or _Function([], {}, ast.Constant(None)), sets, methods, frozenset(properties), statics)

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
        """``Shift(7)``: the class's constants and the attributes ``__init__`` sets, each folded with its
        parameters bound."""
        cls = self.classes[name]
        attrs = {attr: value for attr, expr in cls.statics if (value := self.fold(expr, depth + 1)) is not None}
        init = cls.init
        given = {**init.defaults, **dict(zip(init.params, values, strict=False)), **keywords} \
            if init.rest is None and len(values) <= len(init.params) else None
        for attr, expr in cls.sets:
            if given is not None:  # each attribute needs only the parameters it reads (a float field elsewhere)
                used = [p for p in init.params if any(isinstance(n, ast.Name) and n.id == p for n in ast.walk(expr))]
                value = self._invoke(_Function(used, {}, expr), [given.get(p) for p in used], {}, depth) \
                    if all(given.get(p) is not None for p in used) else None
            else:
                value = self._invoke(_Function(init.params, init.defaults, expr, init.rest), values, keywords, depth)
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

    def attribute(self, obj: _Object, name: str, depth: int) -> Any:
        """``obj.name`` read without a call: an attribute the object holds, a property's value, or what the
        class's ``__getattr__`` hook hands out for that name."""
        if obj.cls == TEMPLATE:
            return None
        if name in obj.attrs:
            return obj.attrs[name]
        cls = self.classes[obj.cls]
        if name in cls.properties:
            return self.apply(obj, name, [], {}, depth)
        if "__getattr__" in cls.methods:
            return self.apply(obj, "__getattr__", [name], {}, depth)
        return None

    def looked_up(self, mapping: _Object, form: str, depth: int) -> dict[str, Any] | None:
        """The fields of a format string looked up in an object of the cell's class whose ``__getitem__`` or
        ``__missing__`` hook makes the values (``'{kaHR0c...}'.format_map(Settings())``); a field the hook
        cannot fold stays a placeholder."""
        if mapping.cls == TEMPLATE:
            return None
        methods = self.classes[mapping.cls].methods
        hook = "__getitem__" if "__getitem__" in methods else "__missing__" if "__missing__" in methods else None
        if hook is None:
            return None
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(form) if name}
        except ValueError:
            return None
        values = {}
        for name in list(fields)[:MAX_ITEMS]:
            value = mapping.attrs.get(name) if hook == "__missing__" else None
            value = value if value is not None else self.apply(mapping, hook, [name], {}, depth)
            values[name] = value if isinstance(value, (str, int, float)) else "{" + name + "}"
        return values

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


FIELD_BASES = frozenset({"BaseModel", "BaseSettings", "NamedTuple"})  # bases whose annotated fields are __init__


def _is_dataclass(node: ast.ClassDef) -> bool:
    """``@dataclass``, ``@dataclass(frozen=True)``, ``@dataclasses.dataclass``, or a class of fields made by its
    base (pydantic's ``BaseModel``, ``NamedTuple``): its annotated fields are its ``__init__``."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Name) and target.id == "dataclass" or \
                isinstance(target, ast.Attribute) and target.attr == "dataclass":
            return True
    return any((base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else "")
               in FIELD_BASES for base in node.bases)


def _unwrapped_field(value: ast.expr) -> ast.expr:
    """A dataclass field's default: ``field(default=x)`` or ``field(default_factory=lambda: [...])`` as ``x`` or
    the list; any other value as written."""
    if isinstance(value, ast.Call) and isinstance(value.func, (ast.Name, ast.Attribute)) and \
            (value.func.id if isinstance(value.func, ast.Name) else value.func.attr) == "field":
        for keyword in value.keywords:
            if keyword.arg == "default":
                return keyword.value
            if keyword.arg == "default_factory" and isinstance(keyword.value, ast.Lambda):
                return keyword.value.body
    return value
