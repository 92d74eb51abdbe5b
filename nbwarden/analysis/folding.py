"""Value resolution and decoding: :class:`_Folder` folds the string-building expressions obfuscators use
(concatenation, ``join``, ``chr`` lists, slicing, base64/hex/rot13/zlib decoding, one-expression functions) back
into plain values, and resolves call targets to dotted names through aliases and computed look-ups."""

from __future__ import annotations

import ast
import binascii
import codecs
import html
import itertools
import json
import lzma
import math
import operator
import re
import shlex
import string
import urllib.parse
import zlib
from collections.abc import Callable
from typing import Any

from .callables import TEMPLATE, _Class, _Function, _Object, _Objects
from .decoders import MAX_FOLD, MAX_ITEMS, decode, decoder_kind, packed
from .naming import _Names
from .rewrites import _def_statements, _inlined_locals, reduced, substituted, yielded

MAX_FOLD_STEPS = 1 << 18  # nodes one expression may fold (comprehensions and lambdas multiply work)
MAX_FOLD_TOTAL = 1 << 20  # nodes one cell may fold in all
STRING_CONSTANTS = frozenset({"ascii_letters", "ascii_lowercase", "ascii_uppercase", "digits", "hexdigits", "octdigits",
                              "punctuation", "printable", "whitespace"})
MAX_JSON = 1 << 16  # longest JSON string literal the folder will decode
MAX_SHLEX = 1 << 14  # longest command line the folder will split like a shell
MAX_SUBSTITUTIONS = 4  # maketrans tables kept for reading the cell's literals through them
# ``env``'s slot for the value the unit last wrote to a file (``json.dump(spec, fh)``, ``fh.write(text)``), which a
# later read of a file gives back: one slot, since a program that hides a value this way writes it once
WRITTEN = "<written file>"
DATA_LOADS = frozenset({"json.load", "pickle.load", "yaml.load", "yaml.safe_load", "yaml.full_load", "toml.load",
                        "tomllib.load", "marshal.load"})
_INT_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Mod: operator.mod,
            ast.FloorDiv: operator.floordiv, ast.BitXor: operator.xor, ast.BitAnd: operator.and_, ast.BitOr: operator.or_}
_PREDICATES = frozenset({"islower", "isupper", "isdigit", "isalpha", "isalnum", "isspace", "isascii"})
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
            ast.GtE: operator.ge, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}

# os constants as a Linux runtime has them: os.path.join(os.sep, 'bin', 'bash') spells a path without a slash
OS_CONSTANTS = {"sep": "/", "curdir": ".", "pardir": "..", "extsep": ".", "pathsep": ":", "linesep": "\n",
                "devnull": "/dev/null"}

PARTIAL_ARG = "partial_arg_"  # the one further argument a partial of a named function is given


def _instance(node: ast.AST) -> bool:
    """``self``, ``cls``, ``Job()``, ``(j := Job())`` or a class itself (``Job.argv()``, a classmethod): a
    receiver whose method the folder may apply."""
    if isinstance(node, ast.NamedExpr):
        node = node.value
    return isinstance(node, ast.Name) and (node.id in {"self", "cls"} or node.id.lstrip("_")[:1].isupper()) or \
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id[:1].isupper()


def _adds(node: ast.AST) -> bool:
    """``lambda a, b: a + b``."""
    return isinstance(node, ast.Lambda) and len(node.args.args) == 2 and isinstance(node.body, ast.BinOp) and \
        isinstance(node.body.op, ast.Add) and [getattr(node.body.left, "id", None), getattr(node.body.right, "id", None)] \
        == [a.arg for a in node.args.args]


# str and bytes methods a cell may call through their class once it has a name or a table entry for them
CLASS_METHODS = frozenset({"bytes.fromhex", "bytearray.fromhex", "bytes.decode", "bytearray.decode", "str.encode"})
BUILTIN_TYPES = frozenset({"str", "bytes", "bytearray", "int"})
STATIC_METHODS = frozenset({"fromhex", "maketrans", "from_bytes"})  # called on the type itself, not on an object

class _Folder(_Names, _Objects):
    """Evaluates the string-building expressions obfuscators use, and nothing else.

    Decoders nest freely (``zlib.decompress(base64.b64decode(s[::-1]))``), call
    targets are named through import aliases and computed look-ups (``name``),
    and one-expression functions are applied.  Work is counted: one expression
    may fold ``MAX_FOLD_STEPS`` nodes and a cell ``MAX_FOLD_TOTAL``, so nested
    comprehensions or chains of lambdas cannot multiply into minutes.
    """

    def __init__(self, env: dict[str, Any], aliases: dict[str, str] | None = None):
        self.env = env
        self.aliases = aliases if aliases is not None else {}  # name -> dotted module or attribute
        self.methods: set[str] = set()  # which decoders were used, for evidence
        self.substitutions: list[dict[int, Any]] = []  # str.maketrans tables the cell made (read blind on literals)
        self.steps = 0  # nodes folded for the current top-level expression
        self.total = 0  # nodes folded in all
        self.exhausted = False  # a cap was hit: some values are unknown
        self.properties: set[str] = set()  # names of the cell's @property methods (self.argv folds their body)
        self.classes: dict[str, _Class] = {}  # the cell's classes whose objects the folder can use (callables)

    def fold(self, node: ast.AST, depth: int = 0) -> Any:
        if depth == 0:
            self.steps = 0
        elif depth > 40:
            return None
        self.steps += 1
        self.total += 1
        if self.steps > MAX_FOLD_STEPS or self.total > MAX_FOLD_TOTAL:
            self.exhausted = True
            return None
        try:
            return self._fold(node, depth)
        except (ValueError, TypeError, UnicodeError, binascii.Error, zlib.error, lzma.LZMAError, OSError, EOFError, OverflowError,
                RecursionError, MemoryError, IndexError, KeyError, LookupError, AttributeError):
            return None

    def _fold(self, node: ast.AST, depth: int) -> Any:
        fold = self.fold
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, (str, bytes, int)) and not isinstance(node.value, bool) else None
        if isinstance(node, ast.Name):
            value = self.env.get(node.id)
            return None if isinstance(value, _Function) else value  # applied by _call, never turned into text
        if isinstance(node, ast.Attribute) and node.attr in OS_CONSTANTS and \
                self.name(node.value, depth + 1) in {"os", "os.path", "posixpath"}:  # under any alias
            return OS_CONSTANTS[node.attr]
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):  # self.cmd, Config.tool
            module = self.aliases.get(node.value.id, node.value.id)
            if module == "string" and node.attr in STRING_CONSTANTS:
                return getattr(string, node.attr)  # string.ascii_letters[::-1]: the alphabet of a substitution
            if module == "sys" and node.attr == "executable":
                return "python"  # [sys.executable, 'run.py', ...]: the interpreter, whatever its path
            value = self.env.get(f"{node.value.id}.{node.attr}")
            if value is None and node.value.id == "cls":  # a classmethod reads the class's attributes
                value = self.env.get(f"self.{node.attr}")
            if value is None and node.value.id == "self" and node.attr in self.properties and \
                    isinstance(getter := self.env.get(node.attr), _Function) and getter.params == ["self"]:
                return fold(getter.body, depth + 1)  # self.argv, a @property of the cell's class: its body
            if value is None and self.classes and isinstance(obj := self.env.get(node.value.id), _Object):
                value = self.attribute(obj, node.attr, depth)  # src.text: an object's attribute, property or hook
            return None if isinstance(value, _Function) else value
        if isinstance(node, ast.JoinedStr):
            text = joined(node, lambda value: self._formatted(value, depth))
            return None if text is None else _cap(text)
        if isinstance(node, ast.BinOp):
            left, right = fold(node.left, depth + 1), fold(node.right, depth + 1)
            if left is None or right is None:
                return None
            if isinstance(node.op, ast.Add) and type(left) is type(right) and isinstance(left, (str, bytes, list)):
                return _cap(left + right)
            if isinstance(node.op, ast.Mult) and isinstance(left, (str, bytes)) and isinstance(right, int):
                return _cap(left * max(0, min(right, 1000)))
            if isinstance(node.op, ast.Mod) and isinstance(left, str):
                return _cap(left % (tuple(right) if isinstance(right, list) else right))
            if isinstance(left, int) and isinstance(right, int) and type(node.op) in _INT_OPS:
                if isinstance(node.op, (ast.Mod, ast.FloorDiv)) and right == 0 or \
                        isinstance(node.op, ast.Mult) and abs(right) > MAX_FOLD:
                    return None
                return _INT_OPS[type(node.op)](left, right)  # chr((ord(c) - 97 - 3) % 26 + 97): a Caesar shift
            return None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Invert)):
            value = fold(node.operand, depth + 1)
            if isinstance(value, int):
                return -value if isinstance(node.op, ast.USub) else ~value if isinstance(node.op, ast.Invert) else value
            return None
        if isinstance(node, (ast.List, ast.Tuple)):
            items = self._spread(node.elts[:MAX_ITEMS], depth)  # [tool, *flags, host]: the list spread in place
            return None if items is None or any(item is None for item in items) else items
        if isinstance(node, ast.Dict):
            # partial: a key whose value is unknown is left out, so the known ones can still be looked up
            table = {}
            for key_node, value_node in zip(node.keys[:MAX_ITEMS], node.values[:MAX_ITEMS], strict=False):
                key = fold(key_node, depth + 1) if key_node is not None else None  # None: a **mapping
                if isinstance(key, (str, int)) and (value := fold(value_node, depth + 1)) is not None:
                    table[key] = value
            return table
        if isinstance(node, ast.Subscript):
            base = fold(node.value, depth + 1)
            sl = node.slice
            if isinstance(base, (str, bytes, list)) and isinstance(sl, ast.Slice):
                step = fold(sl.step, depth + 1) if sl.step else 1
                lower = fold(sl.lower, depth + 1) if sl.lower else None
                upper = fold(sl.upper, depth + 1) if sl.upper else None
                if isinstance(step, int) and step != 0:
                    if step == -1:
                        self.methods.add("reversed")
                    return base[lower:upper:step]
            if isinstance(base, (str, bytes, list)):
                index = fold(sl, depth + 1)
                if isinstance(index, int):
                    return base[index]
            if isinstance(base, dict):
                return base[fold(sl, depth + 1)]
            if isinstance(base, _Object) and base.cls != TEMPLATE and "__getitem__" in self.classes[base.cls].methods:
                key = fold(sl, depth + 1)  # reg['r'] through the class's __getitem__ hook
                return None if key is None else self.apply(base, "__getitem__", [key], {}, depth)
            return None
        if isinstance(node, ast.DictComp) and len(node.generators) == 1:  # {k: dec(v) for k, v in table.items()}
            pairs = self._comprehension(node.generators[0], (node.key, node.value), depth)
            return None if pairs is None else {k: v for k, v in pairs if isinstance(k, (str, int))}
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)) and len(node.generators) == 1:
            values = self._comprehension(node.generators[0], (node.elt,), depth)  # c for c in s if c != 'Q'
            return None if values is None else [value for value, in values]
        if isinstance(node, ast.IfExp):  # chr(...) if c.islower() else c: the branch the test picks
            test = self._condition(node.test, depth + 1)
            return None if test is None else fold(node.body if test else node.orelse, depth + 1)
        if isinstance(node, ast.Lambda):
            return self.function(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        return None

    def _formatted(self, value: ast.FormattedValue, depth: int) -> str | None:
        """One ``{...}`` of an f-string, as the string it becomes (None when unknown)."""
        inner = self.fold(value.value, depth + 1)
        if isinstance(inner, _Object):
            inner = self.as_text(inner, depth)
        if inner is None:
            return None
        spec = self.fold(value.format_spec, depth + 1) if value.format_spec is not None else ""
        if not isinstance(spec, str) or re.search(r"\d{5,}", spec):
            return None  # (a width of 10,000 or more would only pad)
        if spec:  # f"{120:c}", f"{n:x}": the value as the spec writes it
            return format(inner, spec)
        return inner.decode("utf-8", "replace") if isinstance(inner, bytes) else str(inner)

    def _comprehension(self, gen: ast.comprehension, elts: tuple[ast.AST, ...], depth: int) -> list[list[Any]] | None:
        """The values of ``elts`` for each item a comprehension's one generator keeps (a dict comprehension's key
        and value), or None when any is unknown."""
        items = self.fold(gen.iter, depth + 1)
        names = _target_names(gen.target)
        if not isinstance(items, (list, str, bytes)) or names is None:
            return None
        out = []
        saved = {name: self.env.get(name) for name in names}
        try:
            for item in list(items)[:MAX_ITEMS]:
                if not self._bind(gen.target, item):
                    return None
                kept = [self._condition(test, depth + 1) for test in gen.ifs]
                if None in kept:
                    return None
                if all(kept):
                    values = [self.fold(elt, depth + 1) for elt in elts]
                    if any(v is None for v in values):
                        return None
                    out.append(values)
            return out
        finally:
            for name, value in saved.items():
                self._restore(name, value)

    def _bind(self, target: ast.AST, item: Any) -> bool:
        """Bind a comprehension's target (a name, or a tuple of names: ``for a, b in zip(x, y)``) to one item."""
        if isinstance(target, ast.Name):
            self.env[target.id] = item
            return True
        if not isinstance(item, (list, tuple)) or len(item) != len(target.elts):
            return False
        return all(self._bind(elt, value) for elt, value in zip(target.elts, item, strict=True))

    def _condition(self, test: ast.AST, depth: int) -> bool | None:
        """A filter or a test: one comparison of folded values, or a string's own predicate (``c.islower()``);
        None when it cannot be known."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):  # not c.isupper()
            value = self._condition(test.operand, depth)
            return None if value is None else not value
        if isinstance(test, ast.BoolOp):  # c.isalpha() and c != 'q'
            values = [self._condition(v, depth) for v in test.values]
            if None in values:
                return None
            return all(values) if isinstance(test.op, ast.And) else any(values)
        if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr in _PREDICATES \
                and not test.args:
            base = self.fold(test.func.value, depth)
            return getattr(base, test.func.attr)() if isinstance(base, str) else None
        if not isinstance(test, ast.Compare) or len(test.ops) != 1 or type(test.ops[0]) not in _COMPARE:
            return None
        left, right = self.fold(test.left, depth), self.fold(test.comparators[0], depth)
        if left is None or right is None:
            return None
        try:
            return bool(_COMPARE[type(test.ops[0])](left, right))
        except TypeError:
            return None

    def _restore(self, name: str, saved: Any) -> None:
        if saved is None:
            self.env.pop(name, None)
        else:
            self.env[name] = saved

    # -- one-expression functions

    def function(self, node: ast.Lambda | ast.FunctionDef, depth: int = 0) -> _Function | None:
        """``lambda s: ...`` or ``def f(s): return ...`` as something ``_invoke`` can apply, else None."""
        if node.args.kwarg or node.args.kwonlyargs:
            return None
        if isinstance(node, ast.Lambda):
            body = node.body
        else:
            statements = _def_statements(node)
            if statements is None:
                return None
            body = _inlined_locals(statements)  # raw = fromhex(h); return bytes(...raw...).decode()
            if body is None:
                body = yielded(statements)  # def parts(): yield a; for c in blobs: yield decode(c)
            if body is None:
                return None
        params, defaults, rest = self.signature(node.args, depth)  # the defaults folded once the body is known
        return _Function(params, defaults, body, rest)

    def _packed(self, args: list[ast.expr], depth: int) -> bytes | None:
        """``struct.pack('<5I', *words)``: the format and the words folded, then :meth:`_pack`."""
        fmt, values = self.fold(args[0], depth + 1), self._spread(args[1:], depth)
        return self._pack(fmt, values) if isinstance(fmt, str) and values is not None else None

    def _pack(self, fmt: str, values: list[Any]) -> bytes | None:
        """:func:`.decoders.packed`, noted as a decoding step when it packs."""
        data = packed(fmt, values)
        if data is not None:
            self.methods.add("struct")
        return data

    def _partial(self, args: list[ast.expr], keywords: list[ast.keyword], depth: int) -> _Function | None:
        """``functools.partial(lambda f, s: ..., base64.b32decode)``: the function with its first parameters
        replaced by the expressions given (decoders handed in as arguments are read where they are used);
        ``partial(codecs.decode, encoding='rot13')``: a call of it with one more argument."""
        given = args[1:]
        if any(isinstance(a, ast.Starred) for a in given) or any(k.arg is None for k in keywords):
            return None
        function = self._callee(args[0], depth)
        if function is None:
            if not self.name(args[0], depth + 1):
                return None
            call = ast.Call(func=args[0], args=[*given, ast.Name(id=PARTIAL_ARG, ctx=ast.Load())], keywords=keywords)
            return _Function([PARTIAL_ARG], {}, call)
        if keywords or function.rest is not None or len(given) > len(function.params):
            return None
        fixed = dict(zip(function.params, given, strict=False))
        rest = function.params[len(given):]
        return _Function(rest, {p: v for p, v in function.defaults.items() if p in rest},
                         substituted(function.body, fixed))

    def _callee(self, func: ast.AST, depth: int) -> _Function | None:
        if isinstance(func, ast.Lambda):
            return self.function(func, depth)
        if isinstance(func, ast.Name) and isinstance(value := self.env.get(func.id), _Function):
            return value
        if isinstance(func, ast.Subscript) and isinstance(value := self.fold(func, depth + 1), _Function):
            return value  # T['d'](s) with T = {'d': lambda s: ...}: a call table of the cell's own functions
        if isinstance(func, ast.Attribute) and _instance(func.value) and \
                isinstance(value := self.env.get(func.attr), _Function) and value.params[:1] in (["self"], ["cls"]):
            # self._x(h), Job().argv(): a method of the cell's class, its self left to the attributes the folder
            # knows (self.K)
            return _Function(value.params[1:], value.defaults, value.body, value.rest)
        return None

    def _invoke(self, function: _Function, values: list[Any], keywords: dict[str, Any], depth: int) -> Any:
        """Fold the body with the parameters bound (dynamic scope: the cell's names stay visible)."""
        bound = {**function.defaults, **dict(zip(function.params, values, strict=False)), **keywords}
        names = function.params
        if function.rest is not None:  # lambda *xs: ''.join(chr(x + 40) for x in xs)
            rest = values[len(names):]
            if any(v is None for v in rest):
                return None
            bound[function.rest] = list(rest)
            names = [*names, function.rest]
        elif len(values) > len(names):
            return None
        if any(bound.get(p) is None for p in names):
            return None
        with self.bound({p: bound[p] for p in names}):
            result = self.fold(function.body, depth + 1)
        if isinstance(result, _Function):  # lambda k: (lambda data: ... k ...): the inner one keeps k
            kept = {p: ast.Constant(bound[p]) for p in names
                    if p not in result.params and isinstance(bound[p], (str, bytes, int, float))}
            result = _Function(result.params, result.defaults, substituted(result.body, kept), result.rest)
        return result

    def _spread(self, args: list[ast.expr], depth: int) -> list[Any] | None:
        """Folded items of a list display or a call's positional arguments, ``*xs`` spread in place when it folds
        to a list (``[tool, *flags]``; ``lambda *ix: p + n(*ix)`` hands its own varargs on); None when a starred
        one does not fold."""
        values: list[Any] = []
        for arg in args:
            if isinstance(arg, ast.Starred):
                spread = self.fold(arg.value, depth + 1)
                if not isinstance(spread, (list, tuple)):
                    return None
                values.extend(spread)
            else:
                values.append(self.fold(arg, depth + 1))
        return values

    def _filtered(self, func: ast.AST, iterable: ast.AST, depth: int) -> list[Any] | None:
        """``filter(lambda c: not c.isupper(), s)``, ``filter(str.isalpha, s)``: the items a known test keeps."""
        items = self.fold(iterable, depth)
        if not isinstance(items, (list, str)):
            return None
        items = list(items)[:MAX_ITEMS]
        predicate = self.name(func, depth).rpartition(".")[2]
        function = self._callee(func, depth)
        if predicate in _PREDICATES and function is None:
            return [item for item in items if isinstance(item, str) and getattr(item, predicate)()]
        if function is None or len(function.params) != 1 or function.rest is not None:
            return None
        param, = function.params
        saved = self.env.get(param)
        kept = []
        try:
            for item in items:
                self.env[param] = item
                keep = self._condition(function.body, depth + 1)
                if keep is None:
                    return None
                if keep:
                    kept.append(item)
            return kept
        finally:
            self._restore(param, saved)

    def _apply(self, func: ast.AST, value: Any, depth: int) -> Any:
        """``func(value)`` for ``map(func, ...)``: a lambda, a function of the cell or a decoder by name."""
        function = self._callee(func, depth)
        if function is not None:
            return self._invoke(function, [value], {}, depth)
        if isinstance(value, (str, bytes, int)):
            return self._call(ast.Call(func=func, args=[ast.Constant(value)], keywords=[]), depth)
        return None

    # -- calls

    def _call(self, node: ast.Call, depth: int) -> Any:
        fold = self.fold
        func = node.func
        args = node.args
        if self.classes and (made := self.object_call(node, depth)) is not self:
            return made
        function = self._callee(func, depth)
        if function is not None:
            values = self._spread(args, depth)
            if values is None:
                return None
            keywords = {k.arg: fold(k.value, depth + 1) for k in node.keywords if k.arg}
            return self._invoke(function, values, keywords, depth)
        name = self.name(func, depth + 1)
        if name in {"functools.partial", "partial"} and args:
            return self._partial(args, node.keywords, depth)
        if name == "shutil.which" and args:  # the program found on PATH: its name is what the analysis needs
            return fold(args[0], depth + 1)
        if name == "shlex.split" and len(args) == 1:  # before the str methods: shlex is a module, not a string
            value = fold(args[0], depth + 1)
            if isinstance(value, str):
                try:
                    return shlex.split(value[:MAX_SHLEX])
                except ValueError:
                    return value.split()
            return None
        if type(func) is ast.Attribute and args and func.attr not in STATIC_METHODS and \
                self.name(func.value, depth + 1) in BUILTIN_TYPES:
            # str.upper(s), int.to_bytes(n, 9, 'big'), vars(builtins)['bytes'].decode(raw): a method called through
            # its type, the object its first argument
            bound = ast.Call(func=ast.Attribute(value=args[0], attr=func.attr), args=args[1:], keywords=node.keywords)
            return self._call(bound, depth)
        if name in CLASS_METHODS and type(func) is not ast.Attribute:
            # h = bytes.fromhex; h('78'), or {2: bytes.decode}[2](raw): the method called through its class
            cls, method = name.split(".")
            method_call = ast.Call(func=ast.Attribute(value=ast.Name(id=cls), attr=method), args=args, keywords=[])
            return self._call(method_call, depth)
        if isinstance(func, ast.Attribute) and name not in {"codecs.decode", "codecs.encode"}:
            method = func.attr
            if method == "join" and len(args) == 1:
                sep, items = fold(func.value, depth + 1), fold(args[0], depth + 1)
                if isinstance(sep, (str, bytes)) and isinstance(items, list) and all(isinstance(x, type(sep)) for x in items):
                    if sep == "" and items and all(isinstance(x, str) and len(x) == 1 for x in items):
                        self.methods.add("chr-join")
                    return _cap(sep.join(items))
                return None
            if method in {"decode", "encode"}:
                base = fold(func.value, depth + 1)  # (bytes.decode(data) is read as data.decode() above)
                codec = fold(args[0], depth + 1) if args else "utf-8"
                if isinstance(codec, str) and codec.replace("_", "").replace("-", "").lower() in {"rot13"}:
                    self.methods.add("rot13")
                    return codecs.decode(base, "rot13") if isinstance(base, str) else None
                if method == "decode" and isinstance(base, bytes):
                    return base.decode(codec if isinstance(codec, str) else "utf-8", "replace")
                if method == "encode" and isinstance(base, str):
                    return base.encode("utf-8", "replace")
                return None
            if method in {"lower", "upper", "strip", "lstrip", "rstrip", "title", "casefold", "swapcase"} and not args:
                base = fold(func.value, depth + 1)
                return getattr(base, method)() if isinstance(base, (str, bytes)) else None
            if method in {"strip", "lstrip", "rstrip"} and len(args) == 1:  # packed.rstrip(b"\0"): the padding cut
                base, chars = fold(func.value, depth + 1), fold(args[0], depth + 1)
                return getattr(base, method)(chars) if isinstance(base, (str, bytes)) and type(chars) is type(base) \
                    else None
            if method == "hex" and not args:
                base = fold(func.value, depth + 1)
                return base.hex() if isinstance(base, bytes) else None
            if method == "tobytes" and not args and type(func.value) is ast.Call and \
                    self.name(func.value.func, depth + 1) in {"array.array", "array"} and len(func.value.args) == 2:
                # array.array('I', words).tobytes(): the same packed integers as struct.pack('<nI', *words)
                code, words = (fold(a, depth + 1) for a in func.value.args)
                if isinstance(code, str) and len(code) == 1 and isinstance(words, list):
                    return self._pack(f"<{len(words)}{code}", words)
                return None
            if method == "replace" and len(args) >= 2:
                base, old, new = (fold(x, depth + 1) for x in (func.value, args[0], args[1]))
                if all(isinstance(x, str) for x in (base, old, new)):
                    return _cap(base.replace(old, new))
                if isinstance(base, str) and isinstance(old, str) and old and old not in base:
                    return base  # part.replace('@CODE@', code): nothing to replace, whatever code is
                return None
            if method in {"split", "rsplit"} and len(args) <= 2:
                base = fold(func.value, depth + 1)
                sep = fold(args[0], depth + 1) if args else None
                limit = fold(args[1], depth + 1) if len(args) > 1 else -1
                if isinstance(base, (str, bytes)) and (sep is None) == (not args) and isinstance(limit, int):
                    return _cap(getattr(base, method)(sep, limit))
                return None
            if method == "format" or method == "format_map" and len(args) == 1:
                base = fold(func.value, depth + 1)
                values = [fold(a, depth + 1) for a in args] if method == "format" else []
                kwargs = {k.arg: fold(k.value, depth + 1) for k in node.keywords if k.arg}
                for k in node.keywords:
                    if k.arg is None:  # '{t} -P {w}'.format(**parts): a known dict's entries
                        extra = fold(k.value, depth + 1)
                        if not isinstance(extra, dict):
                            return None
                        kwargs.update((str(key), value) for key, value in extra.items())
                if method == "format_map":  # '{a}{b}'.format_map({'a': ..., 'b': ...})
                    kwargs = fold(args[0], depth + 1)
                    if isinstance(kwargs, _Object) and isinstance(base, str):
                        kwargs = self.looked_up(kwargs, base, depth)  # a mapping of the cell's own class
                    if not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
                        return None
                if isinstance(base, str) and all(v is not None for v in values) and all(v is not None for v in kwargs.values()):
                    return _cap(base.format(*values, **kwargs))
                return None
            if method in {"fromhex"} and args:
                value = fold(args[0], depth + 1)
                if isinstance(value, str):
                    self.methods.add("hex")
                    return bytes.fromhex(value)
                return None
            if method == "to_bytes" and 1 <= len(args) <= 2:  # 0x6861...to_bytes(7, 'big'): text kept as a number
                base, size = fold(func.value, depth + 1), fold(args[0], depth + 1)
                order = fold(args[1], depth + 1) if len(args) > 1 else next(
                    (fold(k.value, depth + 1) for k in node.keywords if k.arg == "byteorder"), "big")
                if isinstance(base, int) and not isinstance(base, bool) and isinstance(size, int) and \
                        0 < size <= 4096 and order in {"big", "little"}:
                    try:
                        self.methods.add("to_bytes")
                        return base.to_bytes(size, order)
                    except OverflowError:
                        return None
                return None
            if method in {"values", "keys", "items"} and not args:  # ''.join(parts.values()), f'--{k}={v}' for k, v in ...
                base = fold(func.value, depth + 1)
                if not isinstance(base, dict):
                    return None
                return [list(pair) for pair in base.items()] if method == "items" else list(getattr(base, method)())
            if method == "translate" and len(args) == 1:  # s.translate(str.maketrans(src, dst)): a substitution cipher
                base, table = fold(func.value, depth + 1), fold(args[0], depth + 1)
                if isinstance(base, str) and isinstance(table, dict):
                    self.methods.add("translate")
                    return _cap(base.translate(table))
                return None
            if method == "maketrans" and 1 <= len(args) <= 3:
                parts = [fold(a, depth + 1) for a in args]
                if len(parts) >= 2 and all(isinstance(p, str) for p in parts) and len(parts[0]) == len(parts[1]):
                    table = str.maketrans(*parts)
                    if len(self.substitutions) < MAX_SUBSTITUTIONS and table not in self.substitutions:
                        self.substitutions.append(table)
                    return table
                return None
            if method in {"substitute", "safe_substitute"} and type(func.value) in (ast.Call, ast.Name):
                # Template('./$exe --pool $pool').substitute(vars(self)), or the template kept in a name: an
                # unknown value keeps its placeholder
                template = fold(func.value, depth + 1)
                if not isinstance(template, _Object) or template.cls != TEMPLATE:
                    return None
                text = template.attrs.get("template")
                mapping = fold(args[0], depth + 1) if args else {}
                if not isinstance(text, str) or not isinstance(mapping, dict):
                    return None
                mapping = {**mapping, **{k.arg: fold(k.value, depth + 1) for k in node.keywords if k.arg}}
                known = {str(k): v for k, v in mapping.items() if isinstance(v, (str, int)) and not isinstance(v, bool)}
                return _cap(string.Template(text).safe_substitute(known))
            if method == "get" and args:
                base = fold(func.value, depth + 1)
                if isinstance(base, dict):
                    key = fold(args[0], depth + 1)
                    return base[key] if key in base or len(args) < 2 else fold(args[1], depth + 1)
        short = name.rsplit(".", 1)[-1]
        if name == "struct.pack" and args:
            return self._packed(args, depth)
        if short == "reduce" and len(args) == 3 and (pipeline := reduced(*args)) is not None:
            return fold(pipeline, depth + 1)  # reduce(lambda acc, f: f(acc), (b64decode, decompress), blob)
        if short == "reduce" and len(args) in (2, 3) and (
                self.name(args[0], depth + 1) in {"operator.add", "operator.concat"} or _adds(args[0])):
            items = fold(args[1], depth + 1)  # reduce(lambda a, b: a + b, parts, ''): the parts joined
            start = fold(args[2], depth + 1) if len(args) == 3 else ""
            if isinstance(items, list) and isinstance(start, str) and all(isinstance(x, str) for x in items):
                return _cap(start + "".join(items))
            return None
        module = name.split(".", 1)[0]
        if args and (kind := decoder_kind(name, short, module)) is not None:
            value = fold(args[0], depth + 1)
            if kind == "codec":
                extra = fold(args[1], depth + 1) if len(args) > 1 else next(
                    (fold(k.value, depth + 1) for k in node.keywords if k.arg == "encoding"), "utf-8")
            elif kind == "decompress":
                extra = fold(args[1], depth + 1) if len(args) > 1 and module == "zlib" else zlib.MAX_WBITS
            else:
                extra = None
            return decode(kind, short if kind != "decompress" else module, value, extra, self.methods)
        if name == "chr" and len(args) == 1:
            value = fold(args[0], depth + 1)
            if isinstance(value, int) and 0 <= value < 0x110000:
                self.methods.add("chr")
                return chr(value)
            return None
        if name == "map" and len(args) == 2:
            items = fold(args[1], depth + 1)
            if not isinstance(items, (list, str, bytes)):
                return None
            out = [self._apply(args[0], item, depth + 1) for item in list(items)[:MAX_ITEMS]]
            return None if any(item is None for item in out) else out
        if name in {"compile", "builtins.compile"} and args:  # exec(compile(src, ...)) runs src: the code is its text
            value = fold(args[0], depth + 1)
            return value if isinstance(value, str) else None
        if name == "vars" and len(args) == 1 and type(args[0]) is ast.Name and args[0].id == "self":
            return {key[5:]: value for key, value in self.env.items()  # vars(self): the attributes the cell sets
                    if key.startswith("self.") and not isinstance(value, _Function)}
        if name == "filter" and len(args) == 2:
            return self._filtered(args[0], args[1], depth + 1)
        if name in {"str", "bytes", "bytearray"} and args and (len(args) > 1 or node.keywords):
            value = fold(args[0], depth + 1)  # str(data, 'utf-8'), bytes(text, encoding='utf-8')
            codec = fold(args[1], depth + 1) if len(args) > 1 else next(
                (fold(k.value, depth + 1) for k in node.keywords if k.arg == "encoding"), "utf-8")
            if isinstance(codec, str) and name == "str" and isinstance(value, bytes):
                return value.decode(codec, "replace")
            if isinstance(codec, str) and name != "str" and isinstance(value, str):
                return value.encode(codec, "replace")
            return None
        if name == "dict" and len(args) == 1 and not node.keywords:  # dict(zip(names, map(decode, blobs)))
            pairs = fold(args[0], depth + 1)
            if isinstance(pairs, dict):
                return pairs
            if isinstance(pairs, list) and all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], (str, int))
                                               for p in pairs):
                return {key: value for key, value in pairs}
            return None
        if name == "sorted" and len(args) == 1 and all(k.arg == "reverse" for k in node.keywords):
            # pieces put back in order (''.join(v for _, v in sorted(frags.items()))): a reordering that hides text
            value = fold(args[0], depth + 1)
            reverse = [fold(k.value, depth + 1) for k in node.keywords]
            if isinstance(value, dict):
                value = list(value)
            if not isinstance(value, (list, str)) or len(value) > MAX_ITEMS or reverse not in ([], [True], [False]):
                return None
            try:
                return sorted(value, reverse=bool(reverse and reverse[0]))
            except TypeError:  # items of kinds that do not compare
                return None
        if name in {"str", "bytes", "bytearray", "list", "reversed", "tuple"} and len(args) == 1:
            value = fold(args[0], depth + 1)
            if name == "reversed" and isinstance(value, (str, list, bytes)):  # bytes: its codes, for bytes(...)
                self.methods.add("reversed")
                return list(reversed(value))
            if name in {"bytes", "bytearray"} and isinstance(value, list) and all(isinstance(x, int) for x in value):
                return bytes(x & 0xFF for x in value)
            if name == "list" and isinstance(value, (str, list)):
                return list(value)
            if name == "str" and isinstance(value, (str, int)):
                return str(value)
            if name == "str" and isinstance(value, _Object):  # str(_K(51, 52)): the object's __str__
                return self.as_text(value, depth)
            return value if name == "tuple" else value if name in {"bytes", "bytearray"} and isinstance(value, bytes) else None
        if name == "int" and 1 <= len(args) <= 2:
            value = fold(args[0], depth + 1)
            radix = fold(args[1], depth + 1) if len(args) > 1 else 10
            if isinstance(value, int) and len(args) == 1:
                return value
            return int(value, radix) if isinstance(value, (str, bytes)) and isinstance(radix, int) else None
        if name == "ord" and len(args) == 1:
            value = fold(args[0], depth + 1)
            return ord(value) if isinstance(value, str) and len(value) == 1 else None
        if short in {"unquote", "unquote_plus", "unquote_to_bytes", "unescape"} and len(args) == 1 and \
                module in {"urllib", "html", "parse", "unquote", "unquote_plus", "unescape"}:
            value = fold(args[0], depth + 1)  # %78%6d... or &#120;&#109;...: the web's own escapes
            if isinstance(value, str):
                self.methods.add("url-escape" if "unquote" in short else "html-escape")
                return _cap(html.unescape(value) if short == "unescape" else urllib.parse.unquote_plus(value)
                            if short == "unquote_plus" else urllib.parse.unquote(value))
            return None
        if WRITTEN in self.env and (name in DATA_LOADS and args or type(func) is ast.Attribute and not args and
                                    func.attr in {"read", "read_text", "read_bytes"}):
            return self._read_back(name in DATA_LOADS)
        if name == "json.dumps" and args:  # open(p, 'w').write(json.dumps(plan)): the text a read gives back
            value = fold(args[0], depth + 1)
            return json.dumps(value) if isinstance(value, (dict, list, str)) else None
        if name in {"Template", "string.Template"} and len(args) == 1:
            text = fold(args[0], depth + 1)  # the template, for a substitute() here or where it is kept
            return _Object(TEMPLATE, {"template": text}) if isinstance(text, str) else None
        if name in {"json.loads"} and len(args) == 1:
            value = fold(args[0], depth + 1)  # json.loads('"\\u0078mrig"'): a string behind JSON escapes
            if isinstance(value, (dict, list)):
                return value  # json.loads(fh.read()) of what the unit wrote with json.dump
            if isinstance(value, str) and value == self.env.get(WRITTEN) and len(value) < MAX_JSON:
                return self._read_back(True)  # json.loads(p.read_text()) of the JSON text the unit wrote
            if isinstance(value, str) and value.strip()[:1] in ('"', "{", "[") and len(value) < MAX_JSON:
                try:  # a string behind escapes, or a plan kept as JSON text (in a name, in os.environ)
                    decoded = json.loads(value)
                except (ValueError, RecursionError):
                    return None
                return decoded if isinstance(decoded, (str, dict, list)) else None
            return None
        if name in {"os.getenv", "getenv"} and len(args) == 1:  # set earlier in the cell (os.environ['K'] = ...)
            environ, key = self.env.get("os.environ"), fold(args[0], depth + 1)
            return environ.get(key) if isinstance(environ, dict) and isinstance(key, str) else None
        if name in {"min", "max"} and len(args) >= 2:  # steps[min(i, 1)]
            values = [fold(a, depth + 1) for a in args[:8]]
            return (min if name == "min" else max)(values) if all(isinstance(v, int) for v in values) else None
        if name in {"os.environ.get", "os.getenv", "environ.get", "getenv"} and len(args) == 2:
            return fold(args[1], depth + 1)  # the default is what runs wherever the variable is unset
        if name == "zip" and 2 <= len(args) <= 3:
            columns = [fold(a, depth + 1) for a in args]
            if all(isinstance(c, (list, str, bytes)) for c in columns):
                return [list(row) for row in zip(*columns, strict=False)][:MAX_ITEMS]
            return None
        if name in {"itertools.product", "product"} and 1 <= len(args) <= 4 and not node.keywords:
            # for host, mode in product(TARGETS, MODES): every combination of lists the cell spells out
            columns = [fold(a, depth + 1) for a in args]
            columns = [list(c) if isinstance(c, dict) else c for c in columns]
            if all(isinstance(c, (list, str)) for c in columns) and \
                    math.prod(len(c) for c in columns) <= MAX_ITEMS:
                return [list(row) for row in itertools.product(*columns)]
            return None
        if name in {"itertools.cycle", "cycle"} and len(args) == 1:  # zip(data, cycle(key)): a repeating XOR key
            value = fold(args[0], depth + 1)
            if isinstance(value, (list, str, bytes)) and value:
                return (list(value) * (MAX_ITEMS // len(value) + 1))[:MAX_ITEMS]
            return None
        if name in {"len", "enumerate", "range"} and args:  # the counting a cipher loop does (k[i % len(k)])
            values = [fold(a, depth + 1) for a in args[:3]]
            if name == "len" and isinstance(values[0], (str, bytes, list, dict)):
                return len(values[0])
            if name == "enumerate" and isinstance(values[0], (str, bytes, list)):
                start = values[1] if len(values) > 1 and isinstance(values[1], int) else 0
                return [[start + i, item] for i, item in enumerate(list(values[0])[:MAX_ITEMS])]
            if name == "range" and all(isinstance(v, int) for v in values):
                return list(range(*values)[:MAX_ITEMS]) if not (len(values) == 3 and values[2] == 0) else None
            return None
        if name in {"os.path.expanduser", "os.path.expandvars", "os.path.normpath", "os.path.abspath"} and len(args) == 1:
            return fold(args[0], depth + 1)  # the same path where it is written and where it is run
        if name in {"os.path.join", "posixpath.join", "Path", "pathlib.Path"} and args:
            parts = [fold(a, depth + 1) for a in args]
            if all(isinstance(p, str) for p in parts):
                return "/".join(p.rstrip("/") for p in parts)
        return None

    def _read_back(self, parsed: bool) -> Any:
        """What reading a file gives back in a unit that wrote one: the value written (parsed again by a loader
        when it was written as text: ``fh.write(json.dumps(plan))`` then ``json.load(fh)``)."""
        value = self.env[WRITTEN]
        if parsed and isinstance(value, str) and len(value) < MAX_JSON:
            try:
                return json.loads(value)
            except (ValueError, RecursionError):
                return None
        return value


def joined(node: ast.JoinedStr, render: Callable[[ast.FormattedValue], str | None]) -> str | None:
    """An f-string with each ``{...}`` written by ``render``; None when ``render`` cannot write one."""
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
        elif isinstance(value, ast.FormattedValue):
            text = render(value)
            if text is None:
                return None
            parts.append(text)
    return "".join(parts)


def _cap(value: Any) -> Any:
    if isinstance(value, (str, bytes)) and len(value) > MAX_FOLD or isinstance(value, list) and len(value) > MAX_ITEMS:
        raise ValueError("folded value too long")
    return value


def _target_names(target: ast.AST) -> list[str] | None:
    """The names a comprehension target binds, or None for targets the folder does not follow."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple) and target.elts and all(isinstance(e, ast.Name) for e in target.elts):
        return [e.id for e in target.elts]
    return None


def dotted(node: ast.AST | None) -> str:
    """``a.b.c`` for attribute chains; ``f.x`` for ``f().x``."""
    parts: list[str] = []
    while node is not None:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            break
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            break
    return ".".join(reversed(parts))
