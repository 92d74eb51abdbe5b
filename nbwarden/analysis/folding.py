"""Value resolution and decoding: :class:`_Folder` folds the string-building expressions obfuscators use
(concatenation, ``join``, ``chr`` lists, slicing, base64/hex/rot13/zlib decoding, one-expression functions) back
into plain values, and resolves call targets to dotted names through aliases and computed look-ups."""

from __future__ import annotations

import ast
import binascii
import lzma
import operator
import shlex
import string
import zlib
from collections.abc import Callable
from typing import Any

from .builtincalls import _PREDICATES, RUNTIME, _Builtins
from .callables import TEMPLATE, Column, _Class, _Function, _Object, _Objects
from .decoders import MAX_FOLD, MAX_ITEMS, FernetKey, capped, fernet_decrypt, formatted, hashed, packed
from .methods import UNREAD, _Methods
from .naming import MAX_CHAIN, _chained, _Names
from .rewrites import _def_statements, _inlined_locals, composed, substituted, yielded

MAX_FOLD_STEPS = 1 << 18  # nodes one expression may fold (comprehensions and lambdas multiply work)
MAX_FOLD_TOTAL = 1 << 20  # nodes one cell may fold in all
STRING_CONSTANTS = frozenset({"ascii_letters", "ascii_lowercase", "ascii_uppercase", "digits", "hexdigits", "octdigits",
                              "punctuation", "printable", "whitespace"})
MAX_SHLEX = 1 << 14  # longest command line the folder will split like a shell
_INT_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Mod: operator.mod,
            ast.FloorDiv: operator.floordiv, ast.BitXor: operator.xor, ast.BitAnd: operator.and_, ast.BitOr: operator.or_}
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
            ast.GtE: operator.ge, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}

# os constants as a Linux runtime has them: os.path.join(os.sep, 'bin', 'bash') spells a path without a slash
OS_CONSTANTS = {"sep": "/", "curdir": ".", "pardir": "..", "extsep": ".", "pathsep": ":", "linesep": "\n",
                "devnull": "/dev/null", "name": "posix"}

ENVIRONMENT_READS = frozenset({"os.environ.get", "os.getenv", "environ.get", "getenv"})
ARRAY_VIEWS = frozenset({"iloc", "loc", "values", "array"})  # a Series' or an array's items seen another way

PARTIAL_ARG = "partial_arg_"  # the one further argument a partial of a named function is given


def _key(value: Any) -> Any:
    """A hashable stand-in for an argument: the value itself, or its identity when it is a list or a table."""
    return value if isinstance(value, (str, bytes, int, float)) else id(value)


def _instance(node: ast.AST) -> bool:
    """``self``, ``cls``, ``Job()``, ``(j := Job())`` or a class itself (``Job.argv()``, a classmethod): a
    receiver whose method the folder may apply."""
    if isinstance(node, ast.NamedExpr):
        node = node.value
    return isinstance(node, ast.Name) and (node.id in {"self", "cls"} or node.id.lstrip("_")[:1].isupper()) or \
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id[:1].isupper()


# str and bytes methods a cell may call through their class once it has a name or a table entry for them
CLASS_METHODS = frozenset({"bytes.fromhex", "bytearray.fromhex", "bytes.decode", "bytearray.decode", "str.encode"})
BUILTIN_TYPES = frozenset({"str", "bytes", "bytearray", "int"})
STATIC_METHODS = frozenset({"fromhex", "maketrans", "from_bytes"})  # called on the type itself, not on an object


class _Flag:
    """``None``, ``True`` or ``False`` written as an item of a list or tuple (``('fetch', argv, None)``): the folder
    does not carry them as values (None means "not known" to it), but a row that holds one is still known: the
    item stands as this marker, which no command, text or number accepts, and which ``is None`` tests read."""

    __slots__ = ("value",)

    def __init__(self, value: bool | None) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"<flag {self.value}>"


FLAGS = {value: _Flag(value) for value in (None, True, False)}


class _Folder(_Names, _Objects, _Methods, _Builtins):
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
        self.active: set[tuple[int, tuple[Any, ...]]] = set()  # calls being folded now (a body and its arguments)

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
        if isinstance(node, ast.Attribute) and node.attr == "platform" and self.name(node.value, depth + 1) == "sys":
            return RUNTIME["sys.platform"]
        if isinstance(node, ast.Attribute) and node.attr in ARRAY_VIEWS and \
                isinstance(base := fold(node.value, depth + 1), list):
            return base  # parts.iloc[1], col.values: a pandas Series or numpy array kept as its list of items
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):  # self.cmd, Config.tool
            module = self.aliases.get(node.value.id, node.value.id)
            if module == "string" and node.attr in STRING_CONSTANTS:
                return getattr(string, node.attr)  # string.ascii_letters[::-1]: the alphabet of a substitution
            if module == "sys" and node.attr == "executable":
                return "python"  # [sys.executable, 'run.py', ...]: the interpreter, whatever its path
            value = self.env.get(f"{node.value.id}.{node.attr}")
            if value is None and isinstance(table := self.env.get(node.value.id), dict) and node.attr in table:
                # df.url: a column of a table the cell spelled out or read inline; row.url inside df.apply(f, axis=1)
                found = table[node.attr]
                return Column(found) if isinstance(found, list) else found
            if value is None and node.value.id == "cls":  # a classmethod reads the class's attributes
                value = self.env.get(f"self.{node.attr}")
            if value is None and node.value.id == "self" and node.attr in self.properties and \
                    isinstance(getter := self.env.get(node.attr), _Function) and getter.params == ["self"]:
                return fold(getter.body, depth + 1)  # self.argv, a @property of the cell's class: its body
            if value is None and self.classes and isinstance(obj := self.env.get(node.value.id), _Object):
                value = self.attribute(obj, node.attr, depth)  # src.text: an object's attribute, property or hook
            return None if isinstance(value, _Function) else value
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            # os.environ.get('CFG') or json.dumps({...}): a variable the cell does not set is unset where it runs,
            # so what follows it does; any other unknown operand leaves the whole unknown
            for operand in node.values:
                value = fold(operand, depth + 1)
                if value:
                    return value
                if value is None and not (isinstance(operand, ast.Call) and self.name(operand.func, depth + 1) in
                                          ENVIRONMENT_READS):
                    return None
            return None
        if isinstance(node, ast.Await):  # await fetch(): what the cell's coroutine returns
            return fold(node.value, depth + 1)
        if isinstance(node, ast.JoinedStr):
            text = joined(node, lambda value: self._formatted(value, depth))
            return None if text is None else capped(text)
        if isinstance(node, ast.BinOp):
            left, right = fold(node.left, depth + 1), fold(node.right, depth + 1)
            if left is None or right is None:
                return None
            if isinstance(node.op, ast.Add) and (isinstance(left, Column) or isinstance(right, Column)):
                return _cell_by_cell(left, right)  # 'aria2c "' + df.magnet + '"': pandas' column arithmetic
            if isinstance(node.op, ast.Add) and type(left) is type(right) and isinstance(left, (str, bytes, list)):
                return capped(left + right)
            if isinstance(node.op, ast.Div) and isinstance(left, str) and isinstance(right, str):
                return capped(f"{left.rstrip('/')}/{right.lstrip('/')}" if left else right)  # Path(a) / 'b'
            if isinstance(node.op, ast.Mult) and isinstance(left, (str, bytes)) and isinstance(right, int):
                return capped(left * max(0, min(right, 1000)))
            if isinstance(node.op, ast.Mod) and isinstance(left, str):
                return capped(left % (tuple(right) if isinstance(right, list) else right))
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
            if items is not None and len(items) == len(node.elts):  # ('fetch', argv, None): a row with a flag
                items = [FLAGS[elt.value] if item is None and type(elt) is ast.Constant and
                         (elt.value is None or isinstance(elt.value, bool)) else item
                         for item, elt in zip(items, node.elts, strict=True)]
            return None if items is None or any(item is None for item in items) else items
        if isinstance(node, ast.Dict):
            # partial: a key whose value is unknown is left out, so the known ones can still be looked up
            table = {}
            for key_node, value_node in zip(node.keys[:MAX_ITEMS], node.values[:MAX_ITEMS], strict=False):
                if key_node is None and isinstance(merged := fold(value_node, depth + 1), dict):
                    table.update(merged)  # {**acc, **layer}: the known mapping's entries
                    continue
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
                found = base[fold(sl, depth + 1)]  # df['cmd'] of a table: a column
                return Column(found) if isinstance(found, list) and not isinstance(found, Column) and \
                    all(isinstance(v, list) for v in base.values()) else found
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
        if value.conversion in (ord("r"), ord("a")) and isinstance(inner, (str, bytes, int, list, dict)):
            inner = repr(inner) if value.conversion == ord("r") else ascii(inner)  # f"W = {path!r}": quoted
        spec = self.fold(value.format_spec, depth + 1) if value.format_spec is not None else ""
        if spec != "":  # f"{120:c}", f"{n:x}": the value as the spec writes it
            return formatted(inner, spec)
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
        if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and \
                test.func.attr in {"startswith", "endswith"} and len(test.args) == 1 and not test.keywords:
            base, affix = self.fold(test.func.value, depth), self.fold(test.args[0], depth)  # c.startswith('/')
            if isinstance(affix, list) and all(isinstance(a, str) for a in affix):
                affix = tuple(affix)
            return getattr(base, test.func.attr)(affix) if isinstance(base, str) and \
                isinstance(affix, (str, tuple)) else None
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in (ast.Is, ast.IsNot) and \
                type(test.comparators[0]) is ast.Constant and test.comparators[0].value in (None, True, False):
            # a is None: a None, True or False written in a list (a flag), or any value the folder knows (not None)
            value, wanted = self.fold(test.left, depth), test.comparators[0].value
            if value is None:
                return None
            same = value.value is wanted if isinstance(value, _Flag) else False
            return same if type(test.ops[0]) is ast.Is else not same
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

    def function(self, node: ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef, depth: int = 0) -> _Function | None:
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
        if isinstance(func, (ast.Subscript, ast.Call)) and not (isinstance(func, ast.Call) and _chained(func) > MAX_CHAIN) \
                and isinstance(value := self.fold(func, depth + 1), _Function):
            # T['d'](s) with T = {'d': lambda s: ...}: a call table of the cell's own functions; a function made by a
            # call (itemgetter('exe', 'url')(row))
            return value
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
        call = (id(function.body), tuple(_key(bound[p]) for p in names))
        if call in self.active:  # f = lambda s: f(s) + f(s): the call needs itself, Python would never return
            return None
        self.active.add(call)
        try:
            with self.bound({p: bound[p] for p in names}):
                result = self.fold(function.body, depth + 1)
        finally:
            self.active.discard(call)
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

    # -- calls

    def _call(self, node: ast.Call, depth: int) -> Any:
        fold = self.fold
        func = node.func
        args = node.args
        if self.classes and (made := self.object_call(node, depth)) is not self:
            return made
        function = self._callee(func, depth)
        if function is not None and (made := composed(function, args)) is not None:
            return self.function(made, depth)  # pipe(str.encode, b64decode, bytes.decode): one function of x
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
        if isinstance(func, ast.Attribute) and func.attr in {"digest", "hexdigest"} and not args and \
                type(func.value) is ast.Call:
            made = func.value  # hashlib.sha256(b'...').digest(): a key derived from a constant
            algorithm = self.name(made.func, depth + 1)
            data = fold(made.args[-1], depth + 1) if made.args else None
            if algorithm == "hashlib.new" and len(made.args) == 2:
                algorithm = f"hashlib.{fold(made.args[0], depth + 1)}"
            digest = hashed(algorithm.removeprefix("hashlib."), data) if algorithm.startswith("hashlib.") else None
            return digest if digest is None or func.attr == "digest" else digest.hex()
        if isinstance(func, ast.Attribute) and func.attr == "decrypt" and len(args) == 1 and \
                isinstance(sealer := fold(func.value, depth + 1), FernetKey):
            return fernet_decrypt(sealer, fold(args[0], depth + 1))  # Fernet(k).decrypt(blob), f.decrypt(blob)
        if isinstance(func, ast.Attribute) and name not in {"codecs.decode", "codecs.encode"} and \
                (value := self._method(node, func, depth)) is not UNREAD:
            return value
        return self._named(node, name, depth)


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


def _cell_by_cell(left: Any, right: Any) -> Column | None:
    """``left + right`` where one side is a column: text joined to each cell, or two columns of text joined
    row by row; None for anything else."""
    if isinstance(left, Column) and isinstance(right, Column):
        if len(left) != len(right) or not all(isinstance(x, str) for x in (*left, *right)):
            return None
        return Column(capped(a + b) for a, b in zip(left, right, strict=True))
    column, text = (left, right) if isinstance(left, Column) else (right, left)
    if not isinstance(text, str) or not all(isinstance(x, str) for x in column):
        return None
    return Column(capped(x + text) if column is left else capped(text + x) for x in column)
