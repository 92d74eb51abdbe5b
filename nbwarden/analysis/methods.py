"""Methods of strings, bytes, numbers and dicts called in a folded expression (``s.join(parts)``,
``blob.decode()``, ``'{t} -o {p}'.format(**cfg)``, ``n.to_bytes(7, 'big')``, ``s.translate(table)``): a mixin
of :class:`.folding._Folder`, which supplies ``fold``, ``name``, ``looked_up``, ``_pack``, ``methods`` and
``substitutions``."""

from __future__ import annotations

import ast
import codecs
import string
from typing import Any

from .callables import TEMPLATE, Column, _Object
from .decoders import MAX_ITEMS, capped

MAX_SUBSTITUTIONS = 4  # maketrans tables kept for reading the cell's literals through them
UNREAD = object()  # a method this mixin does not read: the folder tries the call by its name next


class _Methods:
    methods: set[str]
    substitutions: list[dict[int, Any]]

    def _method(self, node: ast.Call, func: ast.Attribute, depth: int) -> Any:
        """The value of ``func.value.<method>(...)``, None when it cannot be known, UNREAD when the method is
        not one of these."""
        fold = self.fold
        args = node.args
        method = func.attr
        if method == "join" and len(args) == 1:
            sep, items = fold(func.value, depth + 1), fold(args[0], depth + 1)
            if isinstance(sep, (str, bytes)) and isinstance(items, list) and all(isinstance(x, type(sep)) for x in items):
                if sep == "" and items and all(isinstance(x, str) and len(x) == 1 for x in items):
                    self.methods.add("chr-join")
                return capped(sep.join(items))
            return None
        if method in {"map", "apply"} and len(args) == 1:
            return self._column_map(node, func, depth)
        if method in {"itertuples", "iterrows"} and not args:  # a table's rows, each a dict of its cells
            rows = self._rows(self.fold(func.value, depth + 1))
            return None if rows is None else rows if method == "itertuples" else [[i, r] for i, r in enumerate(rows)]
        if method in {"tolist", "to_list"} and not args:  # a pandas Series or numpy array as a list
            base = fold(func.value, depth + 1)
            return base if isinstance(base, list) else None
        if method == "cat" and type(func.value) is ast.Attribute and func.value.attr == "str":
            return self._str_cat(node, func.value.value, depth)
        if method in {"decode", "encode"}:
            base = fold(func.value, depth + 1)  # (bytes.decode(data) is read as data.decode() by _call)
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
                return capped(base.replace(old, new))
            if isinstance(base, str) and isinstance(old, str) and old and old not in base:
                return base  # part.replace('@CODE@', code): nothing to replace, whatever code is
            return None
        if method == "splitlines" and not args:
            base = fold(func.value, depth + 1)
            return capped(base.splitlines()) if isinstance(base, (str, bytes)) else None
        if method in {"split", "rsplit"} and len(args) <= 2:
            base = fold(func.value, depth + 1)
            sep = fold(args[0], depth + 1) if args else None
            limit = fold(args[1], depth + 1) if len(args) > 1 else -1
            if isinstance(base, (str, bytes)) and (sep is None) == (not args) and isinstance(limit, int):
                return capped(getattr(base, method)(sep, limit))
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
                return capped(base.format(*values, **kwargs))
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
                return capped(base.translate(table))
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
            return capped(string.Template(text).safe_substitute(known))
        if method in {"get", "pop"} and 1 <= len(args) <= 2:  # d.pop('t'): the value taken out (d is not changed)
            base = fold(func.value, depth + 1)
            if isinstance(base, dict):
                key = fold(args[0], depth + 1)
                if not isinstance(key, (str, int)):
                    return None
                return base[key] if key in base else fold(args[1], depth + 1) if len(args) == 2 else None
        return UNREAD

    def _column_map(self, node: ast.Call, func: ast.Attribute, depth: int) -> Any:
        """``col.map(f)``/``col.apply(f)``: ``f`` of each cell, a column again; ``df.apply(f, axis=1)``: ``f`` of
        each row (a dict of the row's cells, read as ``row.name`` or ``row['name']``)."""
        base = self.fold(func.value, depth + 1)
        by_row = next((self.fold(k.value, depth + 1) for k in node.keywords if k.arg == "axis"), 0) in (1, "columns")
        if by_row:
            items: list | None = self._rows(base)
            if items is None:
                return None
        elif isinstance(base, Column) and not node.keywords:
            items = list(base[:MAX_ITEMS])
        else:
            return None
        out = [self._apply(node.args[0], item, depth + 1) for item in items]
        return None if any(item is None for item in out) else Column(out)

    @staticmethod
    def _rows(table: Any) -> list[dict] | None:
        """A table (a dict of equally long columns) as its rows, each a dict of its cells; None for anything else."""
        if not (isinstance(table, dict) and table and all(isinstance(v, list) for v in table.values())):
            return None
        count = len(next(iter(table.values())))
        if any(len(v) != count for v in table.values()) or count > MAX_ITEMS:
            return None
        return [{key: column[i] for key, column in table.items()} for i in range(count)]

    def _str_cat(self, node: ast.Call, series: ast.AST, depth: int) -> Any:
        """pandas' ``s.str.cat()``: the items joined (with ``sep=``); ``s.str.cat([t, u])``: the columns
        joined item by item."""
        fold = self.fold
        base = fold(series, depth + 1)
        sep = next((fold(k.value, depth + 1) for k in node.keywords if k.arg == "sep"), "")
        if not isinstance(base, list) or not isinstance(sep, str) or not all(isinstance(x, str) for x in base):
            return None
        others = fold(node.args[0], depth + 1) if node.args else next(
            (fold(k.value, depth + 1) for k in node.keywords if k.arg == "others"), None)
        if others is None:
            return None if node.args else capped(sep.join(base))
        columns = others if isinstance(others, list) and others and all(isinstance(c, list) for c in others) \
            else [others]
        if not all(isinstance(c, list) and len(c) == len(base) and all(isinstance(x, str) for x in c) for c in columns):
            return None
        return [capped(sep.join(row)) for row in zip(base, *columns, strict=True)]
