"""Builtins and standard-library functions called in a folded expression, by their resolved name (``chr``,
``map``, ``sorted``, ``struct.pack``, ``functools.reduce``, ``json.loads``, ``urllib.parse.unquote``,
``os.path.join``, ``itertools.cycle`` ...), and what reading back a file the unit wrote gives: a mixin of
:class:`.folding._Folder`, which supplies ``fold``, ``name``, ``env``, ``_callee``, ``_invoke``, ``_call``,
``_condition``, ``_restore``, ``_packed``, ``as_text`` and ``methods``."""

from __future__ import annotations

import ast
import base64
import csv
import html
import importlib
import inspect
import io
import itertools
import json
import math
import posixpath
import textwrap
import tomllib
import unicodedata
import urllib.parse
import zlib
from typing import Any

import yaml

from .callables import TEMPLATE, Column, _Function, _Object
from .decoders import COMPRESSORS, MAX_FOLD, MAX_ITEMS, capped, decode, decoder_kind, fernet_key, formatted, stretched
from .rewrites import reduced

MAX_JSON = 1 << 16  # longest JSON string literal the folder will decode
# base64's encoders: a key or a blob made from a constant (Fernet keys are urlsafe_b64encode of a digest)
BASE_ENCODERS = {f"base64.{name}": getattr(base64, name) for name in (
    "b64encode", "urlsafe_b64encode", "standard_b64encode", "b32encode", "b16encode", "b85encode", "a85encode")}
UNICODE_FORMS = frozenset({"NFC", "NFD", "NFKC", "NFKD"})
# ``env``'s slot for the value the unit last wrote to a file (``json.dump(spec, fh)``, ``fh.write(text)``), which a
# later read of a file gives back: one slot, since a program that hides a value this way writes it once
WRITTEN = "<written file>"
SOURCE_OF = "<source>"  # env key suffix: a definition's text, for inspect.getsource (pythonpass._documents)
DATA_LOADS = frozenset({"json.load", "pickle.load", "yaml.load", "yaml.safe_load", "yaml.full_load", "toml.load",
                        "tomllib.load", "marshal.load"})
# the runtime the code runs on is a Linux notebook server: a cross-platform branch takes its Linux side there
RUNTIME = {"sys.platform": "linux", "platform.system": "Linux"}
# pandas and numpy containers made from a list the cell spells out: the folder keeps them as that list
ARRAY_MAKERS = frozenset({"pandas.Series", "pandas.array", "numpy.array", "numpy.asarray", "numpy.fromiter"})
_PREDICATES = frozenset({"islower", "isupper", "isdigit", "isalpha", "isalnum", "isspace", "isascii"})


def _adds(node: ast.AST) -> bool:
    """``lambda a, b: a + b``."""
    return isinstance(node, ast.Lambda) and len(node.args.args) == 2 and isinstance(node.body, ast.BinOp) and \
        isinstance(node.body.op, ast.Add) and [getattr(node.body.left, "id", None), getattr(node.body.right, "id", None)] \
        == [a.arg for a in node.args.args]


class _Builtins:
    env: dict[str, Any]
    methods: set[str]

    def _named(self, node: ast.Call, name: str, depth: int) -> Any:
        """The value of a call of the function ``name`` names; None when it cannot be known."""
        fold = self.fold
        func = node.func
        args = node.args
        short = name.rsplit(".", 1)[-1]
        if short in {"run_in_executor", "to_thread", "run_sync"} and len(args) >= (2 if short == "run_in_executor" else 1):
            # loop.run_in_executor(None, fetch, url), asyncio.to_thread(fetch, url), anyio.to_thread.run_sync(fetch,
            # url): what fetch(url) returns
            given = args[1:] if short == "run_in_executor" else args
            return fold(ast.Call(func=given[0], args=given[1:], keywords=[]), depth + 1)
        if name in BASE_ENCODERS and len(args) == 1:
            data = fold(args[0], depth + 1)
            data = data.encode() if isinstance(data, str) else data
            return BASE_ENCODERS[name](data) if isinstance(data, bytes) and len(data) <= MAX_FOLD // 2 else None
        if name == "hashlib.pbkdf2_hmac" and 4 <= len(args) <= 5:  # a key stretched from a constant password
            return stretched(*(fold(a, depth + 1) for a in args))
        if short == "Fernet" and len(args) == 1:  # Fernet(k): a key whose decrypt() the folder can work out
            return fernet_key(fold(args[0], depth + 1))
        if name == "struct.pack" and args:
            return self._packed(args, depth)
        if short == "reduce" and len(args) == 3 and (pipeline := reduced(*args)) is not None:
            return fold(pipeline, depth + 1)  # reduce(lambda acc, f: f(acc), (b64decode, decompress), blob)
        if short == "reduce" and len(args) in (2, 3) and (
                self.name(args[0], depth + 1) in {"operator.add", "operator.concat"} or _adds(args[0])):
            items = fold(args[1], depth + 1)  # reduce(lambda a, b: a + b, parts, ''): the parts joined
            start = fold(args[2], depth + 1) if len(args) == 3 else ""
            if isinstance(items, list) and isinstance(start, str) and all(isinstance(x, str) for x in items):
                return capped(start + "".join(items))
            return None
        if short == "reduce" and len(args) in (2, 3) and (reduction := self._reduction(args, depth)) is not None:
            return reduction  # reduce(lambda acc, layer: {**acc, **layer}, (base, net), {}): any two-argument step
        module = name.split(".", 1)[0]
        if short == "compress" and module in COMPRESSORS and args:
            # zlib.decompress(zlib.compress(src.encode())): compressed here so that the decompression gives it back
            value = fold(args[0], depth + 1)
            return importlib.import_module(module).compress(value) \
                if isinstance(value, bytes) and len(value) <= MAX_FOLD else None
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
        if name in ARRAY_MAKERS and len(args) == 1:  # pd.Series(['xm', 'ri', 'g']), np.array(codes): its items
            value = fold(args[0], depth + 1)
            return Column(value) if isinstance(value, list) else None
        if name == "pandas.DataFrame" and len(args) == 1:  # a table of columns spelled out: a dict of lists
            value = fold(args[0], depth + 1)
            return value if isinstance(value, dict) and all(isinstance(v, list) for v in value.values()) else None
        if name in {"pandas.read_csv", "pandas.read_json"} and args and type(args[0]) is ast.Call and \
                self.name(args[0].func, depth + 1) == "io.StringIO" and args[0].args:
            # a table written inline (read_csv(io.StringIO("url,weight\n..."))): its columns, as a dict of lists
            return _inline_table(fold(args[0].args[0], depth + 1), name.endswith("json"))
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
        if name == "platform.system" and not args:
            return RUNTIME[name]
        if name == "filter" and len(args) == 2:
            return self._filtered(args[0], args[1], depth + 1)
        if name == "next" and args:  # next(filter(fits, profiles)), next(iter(rows)): the first item it may give
            inner = args[0]
            which = self.name(inner.func, depth + 1) if isinstance(inner, ast.Call) and inner.args else ""
            if which == "filter" and len(inner.args) == 2:
                items = self._filtered(inner.args[0], inner.args[1], depth + 1, unknown_kept=True)
            else:
                items = fold(inner.args[0], depth + 1) if which == "iter" else None
            return items[0] if isinstance(items, (list, str)) and items else None
        if name in {"operator.itemgetter", "itemgetter"} and args and not any(isinstance(a, ast.Starred) for a in args):
            # pick = itemgetter('exe', 'url'): the function lambda row: (row['exe'], row['url'])
            row = ast.Name(id="_row", ctx=ast.Load())
            taken = [ast.Subscript(value=row, slice=key, ctx=ast.Load()) for key in args]
            body = taken[0] if len(taken) == 1 else ast.Tuple(elts=taken, ctx=ast.Load())
            made = ast.Lambda(args=ast.arguments(posonlyargs=[], args=[ast.arg(arg="_row")], kwonlyargs=[],
                                                 kw_defaults=[], defaults=[]), body=body)
            return fold(ast.copy_location(made, node), depth + 1)
        if name in {"str", "bytes", "bytearray"} and args and (len(args) > 1 or node.keywords):
            value = fold(args[0], depth + 1)  # str(data, 'utf-8'), bytes(text, encoding='utf-8')
            codec = fold(args[1], depth + 1) if len(args) > 1 else next(
                (fold(k.value, depth + 1) for k in node.keywords if k.arg == "encoding"), "utf-8")
            if isinstance(codec, str) and name == "str" and isinstance(value, bytes):
                return value.decode(codec, "replace")
            if isinstance(codec, str) and name != "str" and isinstance(value, str):
                return value.encode(codec, "replace")
            return None
        if name == "dict" and len(args) <= 1 and (args or node.keywords):
            # dict(zip(names, map(decode, blobs))), dict(a='kawpow', port=3636), dict(base, **extra)
            pairs = fold(args[0], depth + 1) if args else {}
            if isinstance(pairs, list) and all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], (str, int))
                                               for p in pairs):
                pairs = {key: value for key, value in pairs}
            if not isinstance(pairs, dict):
                return None
            made = dict(pairs)
            for keyword in node.keywords[:MAX_ITEMS]:
                value = fold(keyword.value, depth + 1)
                if value is None or keyword.arg is None and not isinstance(value, dict):
                    return None
                if keyword.arg is None:
                    made.update(value)
                else:
                    made[keyword.arg] = value
            return made
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
            if name == "list" and isinstance(value, (str, list)) or name in {"list", "tuple"} and isinstance(value, dict):
                return list(value)  # (a dict's keys)
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
        if name == "format" and len(args) == 2:  # format(120, 'c'), format(n, 'x'): as f'{120:c}' writes it
            value = fold(args[0], depth + 1)
            return formatted(value, fold(args[1], depth + 1)) if isinstance(value, (str, int)) else None
        if name == "ord" and len(args) == 1:
            value = fold(args[0], depth + 1)
            return ord(value) if isinstance(value, str) and len(value) == 1 else None
        if short in {"unquote", "unquote_plus", "unquote_to_bytes", "unescape"} and len(args) == 1 and \
                module in {"urllib", "html", "parse", "unquote", "unquote_plus", "unescape"}:
            value = fold(args[0], depth + 1)  # %78%6d... or &#120;&#109;...: the web's own escapes
            if isinstance(value, str):
                self.methods.add("url-escape" if "unquote" in short else "html-escape")
                return capped(html.unescape(value) if short == "unescape" else urllib.parse.unquote_plus(value)
                            if short == "unquote_plus" else urllib.parse.unquote(value))
            return None
        if short in {"dedent", "cleandoc"} and len(args) == 1 and module in {"textwrap", "inspect", short}:
            value = fold(args[0], depth + 1)  # code written indented inside a triple-quoted string
            return (textwrap.dedent(value) if short == "dedent" else inspect.cleandoc(value)) \
                if isinstance(value, str) else None
        if short == "getdoc" and len(args) == 1 and isinstance(args[0], ast.Name):  # inspect.getdoc(f): cleaned
            doc = self.env.get(f"{args[0].id}.__doc__")
            return inspect.cleandoc(doc) if isinstance(doc, str) else None
        if short == "getsource" and len(args) == 1 and isinstance(args[0], ast.Name):
            return self.env.get(f"{args[0].id}.{SOURCE_OF}")  # inspect.getsource(f): the cell's own text of f
        if short in {"normalize", "lookup"} and module in {"unicodedata", "normalize", "lookup"}:
            values = [fold(a, depth + 1) for a in args]  # full-width or mathematical letters, character names
            if short == "normalize" and len(values) == 2 and values[0] in UNICODE_FORMS and isinstance(values[1], str):
                self.methods.add("unicode-normalize")
                return unicodedata.normalize(values[0], values[1])
            if short == "lookup" and len(values) == 1 and isinstance(values[0], str) and len(values[0]) < 100:
                self.methods.add("unicode-names")
                return unicodedata.lookup(values[0])  # KeyError (an unknown name) is an unknown value
            return None
        if WRITTEN in self.env and (name in DATA_LOADS and args or type(func) is ast.Attribute and not args and
                                    func.attr in {"read", "read_text", "read_bytes"}):
            return self._read_back(name in DATA_LOADS, name.split(".", 1)[0])
        if name == "json.dumps" and args:  # open(p, 'w').write(json.dumps(plan)): the text a read gives back
            value = fold(args[0], depth + 1)
            return json.dumps(value) if isinstance(value, (dict, list, str)) else None
        if name in {"Template", "string.Template"} and len(args) == 1:
            text = fold(args[0], depth + 1)  # the template, for a substitute() here or where it is kept
            return _Object(TEMPLATE, {"template": text}) if isinstance(text, str) else None
        if name in {"json.loads"} and len(args) == 1:
            value = fold(args[0], depth + 1)  # json.loads('"\\u0078mrig"'): a string behind JSON escapes
            if isinstance(value, (bytes, bytearray)):  # json.loads(b64decode(blob)): JSON takes bytes too
                value = bytes(value).decode("utf-8", "replace")
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
        if name.startswith("ipywidgets.") and name.rsplit(".", 1)[-1][:1].isupper():
            return self._widget(node, depth)
        if name in {"yaml.safe_load", "tomllib.loads", "toml.loads"} and len(args) == 1:
            value = fold(args[0], depth + 1)  # settings written inline: yaml.safe_load("""endpoint: ...""")
            return _settings(value, name.startswith("yaml")) if isinstance(value, str) and len(value) < MAX_JSON \
                else None
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
        if name in {"itertools.chain", "chain"} and args and not node.keywords:
            parts = [fold(a, depth + 1) for a in args]  # chain(('/tmp/x',), flags, (source,)): one list
            return capped([x for part in parts for x in part]) if all(isinstance(p, list) for p in parts) else None
        if name in {"itertools.repeat", "repeat"} and 1 <= len(args) <= 2 and (item := fold(args[0], depth + 1)) is not None:
            times = fold(args[1], depth + 1) if len(args) == 2 else None  # unknown or endless: the item once
            return [item] * (max(0, min(times, MAX_ITEMS)) if isinstance(times, int) else 1)
        if name in {"itertools.starmap", "starmap"} and len(args) == 2:
            rows = fold(args[1], depth + 1)  # starmap("--{}={}".format, options.items()): each row spread
            if not isinstance(rows, list) or len(rows) > MAX_ITEMS or not all(
                    isinstance(r, list) and all(isinstance(v, (str, int)) for v in r) for r in rows):
                return None
            out = [self._call(ast.Call(func=args[0], args=[ast.Constant(v) for v in row], keywords=[]), depth + 1)
                   for row in rows]
            return None if any(v is None for v in out) else out
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
        if name in {"os.path.dirname", "os.path.basename", "posixpath.dirname", "posixpath.basename"} and \
                len(args) == 1 and isinstance(path := fold(args[0], depth + 1), str):
            return posixpath.dirname(path) if name.endswith("dirname") else posixpath.basename(path)
        if name in {"os.path.join", "posixpath.join", "Path", "pathlib.Path"} and args:
            parts = [fold(a, depth + 1) for a in args]
            if all(isinstance(p, str) for p in parts):
                return "/".join(p.rstrip("/") for p in parts)
        return None

    def _reduction(self, args: list[ast.expr], depth: int) -> Any:
        """``reduce(f, items[, start])`` with ``f`` a two-parameter function of the cell folded step by step."""
        function = self._callee(args[0], depth)
        items = self.fold(args[1], depth + 1)
        if function is None or len(function.params) != 2 or function.rest is not None or \
                not isinstance(items, list) or not items or len(items) > MAX_ITEMS:
            return None
        acc, rest = (self.fold(args[2], depth + 1), items) if len(args) == 3 else (items[0], items[1:])
        for item in rest:
            if acc is None:
                return None
            acc = self._invoke(function, [acc, item], {}, depth + 1)
        return acc

    def _widget(self, node: ast.Call, depth: int) -> dict[str, Any] | None:
        """An ipywidgets control (``Text(value=...)``, ``Dropdown(options=[...])``) as the dict of what its
        callbacks read: ``w.value`` is the value it was given, or a choice's first option (a form's default)."""
        given = {k.arg: self.fold(k.value, depth + 1) for k in node.keywords if k.arg in {"value", "options"}}
        options = given.get("options")
        if given.get("value") is None and isinstance(options, list) and options:
            first = options[0]
            given["value"] = first[1] if isinstance(first, list) and len(first) == 2 else first
        widget = {key: value for key, value in given.items() if value is not None}
        return widget or None

    def _read_back(self, parsed: bool, loader: str = "json") -> Any:
        """What reading a file gives back in a unit that wrote one: the value written (parsed again by a loader
        when it was written as text: ``fh.write(json.dumps(plan))`` then ``json.load(fh)``; YAML or TOML settings
        text written, then read with ``yaml.safe_load(f)`` or ``tomllib.load(f)``)."""
        value = self.env[WRITTEN]
        if parsed and isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if parsed and isinstance(value, str) and len(value) < MAX_JSON:
            if loader in {"yaml", "toml", "tomllib"}:
                return _settings(value, loader == "yaml")
            try:
                return json.loads(value)
            except (ValueError, RecursionError):
                return None
        return value

    def _filtered(self, func: ast.AST, iterable: ast.AST, depth: int, unknown_kept: bool = False) -> list[Any] | None:
        """``filter(lambda c: not c.isupper(), s)``, ``filter(str.isalpha, s)``: the items a known test keeps
        (with ``unknown_kept``, also those a test the folder cannot decide may keep: the candidates of ``next``)."""
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
                if keep is None and not unknown_kept:
                    return None
                if keep or keep is None:
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


def _inline_table(text: Any, is_json: bool) -> dict[str, list] | None:
    """The columns of a CSV text (header line first) or a JSON list of records, each a list of its cells as
    text (a JSON number stays a number); None for anything else or a table of more than :data:`MAX_ITEMS` rows."""
    if not isinstance(text, str) or len(text) > MAX_JSON:
        return None
    if is_json:
        try:
            records = json.loads(text)
        except (ValueError, RecursionError):
            return None
        if not (isinstance(records, list) and 0 < len(records) <= MAX_ITEMS and
                all(isinstance(r, dict) for r in records)):
            return None
        keys = list(dict.fromkeys(k for r in records for k in r))
        return {k: [r.get(k) for r in records] for k in keys}
    try:
        rows = list(csv.reader(io.StringIO(text.strip("\n"))))
    except csv.Error:  # a NUL byte, a field past the module's limit
        return None
    if len(rows) < 2 or len(rows) > MAX_ITEMS + 1 or len(set(rows[0])) != len(rows[0]):
        return None
    return {key.strip(): [row[i] if i < len(row) else "" for row in rows[1:]] for i, key in enumerate(rows[0])}


def _settings(text: str, is_yaml: bool) -> dict | list | None:
    """Settings text (YAML read the safe way, or TOML) as the folder's values: dicts, lists, text and numbers
    (booleans, nulls and dates are left out); None when the text does not parse."""
    try:
        value = yaml.safe_load(text) if is_yaml else tomllib.loads(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError, ValueError, RecursionError):
        return None

    budget = [MAX_ITEMS * 16]  # nodes read: YAML aliases can make a small text a huge tree (a "billion laughs")

    def kept(item: Any, depth: int = 0) -> Any:
        budget[0] -= 1
        if depth > 20 or budget[0] < 0:
            return None
        if isinstance(item, dict):
            return {k: v for k, value in item.items() if isinstance(k, (str, int)) and not isinstance(k, bool)
                    and (v := kept(value, depth + 1)) is not None}
        if isinstance(item, list):
            items = [kept(value, depth + 1) for value in item]
            return items if all(i is not None for i in items) else None
        return item if isinstance(item, (str, int, float)) and not isinstance(item, bool) else None

    value = kept(value)
    return value if isinstance(value, (dict, list)) and budget[0] >= 0 else None
