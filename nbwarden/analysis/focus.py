"""The focused walk of :class:`.pythonpass._PythonPass`: only the statements that cover a prefilter hit, the
assignments and imports that may feed them, and the lines that use a name bound at a hit (a decoded value, a
module).  Most cells have a few hits in many lines; walking only these keeps the
pass cheap without losing a name assembled a few statements before the line that uses it.

A mixin: the pass provides ``focus``, ``bound``, ``decoded``, ``related``, ``everything``, ``analysis``,
``assigns``, ``loops``, ``_read_docs`` and ``_walk``, ``_import``, ``_pipeline``."""

from __future__ import annotations

import ast
import bisect

from .folding import dotted
from .rewrites import foldable_def

MAX_BOUND = 64  # names bound at prefilter hits whose later uses a focused walk follows ...
MAX_RELATED = 4096  # ... and the lines it looks up for them; past either, it walks everything

# Calls whose result is worth following to its uses: decoders, look-ups by a computed name, calls made ready
DECODING_CALLS = {"b64decode", "decodebytes", "a2b_base64", "urlsafe_b64decode", "b32decode", "b16decode",
                  "b85decode", "a85decode", "standard_b64decode", "unhexlify", "a2b_hex", "fromhex", "decompress",
                  "chr", "reversed", "__import__", "import_module", "getattr", "eval", "methodcaller", "partial", "vars",
                  "globals"}
COMPOUND = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor, ast.While,
            ast.With, ast.AsyncWith, ast.Try, ast.TryStar, ast.Match)


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _sets_self(stmt: ast.Assign) -> bool:
    """``self.x = ...`` (or ``self.x, self.y = x, y``): state a method leaves for the others, kept even where the
    prefilter saw nothing."""
    targets = [e for t in stmt.targets for e in (t.elts if type(t) is ast.Tuple else (t,))]
    return all(type(t) is ast.Attribute and type(t.value) is ast.Name and t.value.id == "self" for t in targets)


def _bound_names(stmt: ast.Assign | ast.AnnAssign | ast.AugAssign) -> set[str]:
    """The plain names an assignment binds (``a``, ``a, b``; not ``self.a`` or ``d[k]``)."""
    names, todo = set(), list(stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
    while todo:
        target = todo.pop()
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            todo.extend(target.elts)
        elif isinstance(target, ast.Starred):
            todo.append(target.value)
    return names


def _root_name(node: ast.AST | None) -> str:
    """``a`` for ``a``, ``a.b.c``; empty for anything else."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _decoding(root: ast.AST) -> bool:
    """Does the code decode something or look it up by a computed name (``DECODING_CALLS``, ``''.join``,
    ``[::-1]``, ``codecs.decode(x, 'rot13')``, a lambda)?  Its result is worth following to its uses."""
    for node in ast.walk(root):
        kind = type(node)
        if kind is ast.Call:
            func = node.func
            name = func.attr if type(func) is ast.Attribute else func.id if type(func) is ast.Name else ""
            if name in DECODING_CALLS or name == "decode" and node.args:
                return True
            if name == "join" and type(func) is ast.Attribute and type(func.value) is ast.Constant and not func.value.value:
                return True
        elif kind is ast.Lambda or kind is ast.Slice and node.step is not None:
            return True
    return False


def _grows_list(stmt: ast.Expr) -> bool:
    """``name.append(x)``, ``name.extend([...])`` or ``name.reverse()`` as a statement: it changes a list the
    cell may run; or ``os.environ.update({...})`` or ``.setdefault(k, v)``, which set what later lines read back."""
    call = stmt.value
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
        return False
    if (call.func.attr == "update" and len(call.args) == 1 or call.func.attr == "setdefault" and len(call.args) == 2) \
            and dotted(call.func.value) == "os.environ":
        return True
    return _list_name(call.func.value) is not None and (
        call.func.attr in {"append", "extend"} and len(call.args) == 1 or call.func.attr == "reverse" and not call.args)


def _list_name(node: ast.AST) -> str | None:
    """The name a growing list is kept under: ``argv``, or ``self.args`` (an object's list, filled by its
    methods)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return None


DATA_DUMPS = frozenset({"json.dump", "pickle.dump", "yaml.dump", "yaml.safe_dump", "toml.dump", "marshal.dump"})


def _stores_data(stmt: ast.Expr) -> bool:
    """``json.dump(spec, fh)``, ``fh.write(text)``, ``Path(p).write_text(text)`` as a statement: a value put in a
    file, which a later read in the unit gives back (``builtincalls.WRITTEN``)."""
    call = stmt.value
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
        return False
    if call.func.attr in {"write", "write_text", "write_bytes"}:
        return len(call.args) == 1
    return len(call.args) == 2 and dotted(call.func) in DATA_DUMPS


def _holds_text(value: ast.expr | None) -> bool:
    """Does the value hold a string (what a hit inside it is), in a display, an expression or a call's arguments
    (``pd.DataFrame({'bin': ['<the word>']})``)?"""
    return value is not None and any(type(n) is ast.Constant and isinstance(n.value, str) for n in ast.walk(value))


def _filled_containers(stmt: ast.Assign | ast.AnnAssign | ast.AugAssign) -> set[str]:
    """The names whose items or columns an assignment sets (``df['cmd'] = ...``, ``cfg['tool'] = ...``)."""
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    return {t.value.id for t in targets if type(t) is ast.Subscript and type(t.value) is ast.Name}


class _FocusedWalk:
    def _hit(self, node: ast.AST) -> bool:
        """Does the statement cover a line where the prefilter saw something?"""
        focus = self.focus
        index = bisect.bisect_left(focus, node.lineno)
        return index < len(focus) and focus[index] <= (node.end_lineno or node.lineno)

    def _visit_body(self, body: list[ast.stmt]) -> None:
        """Walk only the statements that contain prefilter hits.

        Simple assignments and imports are always kept, because an obfuscated
        name is often assembled a few statements before the line that uses it
        and aliases name the modules.  A line without a hit counts as one when
        it uses a name assigned a decoded value or a module where there was one
        (``n = b64decode(...)`` then ``getattr(os, n)(c)``; ``m = __import__(...)``
        then ``m.run(...)``).
        """
        for stmt in body:
            kind = type(stmt)
            if kind is ast.Import or kind is ast.ImportFrom:
                hit = self._hit(stmt)
                self._import(stmt, facts=hit)
                if hit:  # import subprocess as sp ... sp.run([...]): the alias hides the word
                    self._note_bound({a.asname or a.name for a in stmt.names
                                      if a.asname or kind is ast.ImportFrom and a.name != "*"})
                continue
            hit = self._hit(stmt) or self._related(stmt)
            if kind is ast.For and not hit and (pipeline := self._pipeline(stmt)) is not None:
                self.assigns.append(pipeline)  # for op in ops: data = op(data), with no word of its own
                continue
            if kind is ast.FunctionDef and foldable_def(stmt):
                self.assigns.append(stmt)  # a one-line decoder: def d(s): return b64decode(s)
                if hit and self._decoding(stmt):
                    self._note_bound({stmt.name}, decoded=True)
            if kind is ast.Expr and (_grows_list(stmt) or _stores_data(stmt)):
                if not hit:  # (a walked one is kept by the walk: kept twice, argv.reverse() would undo itself)
                    self.assigns.append(stmt)
                    if stmt.value.args:  # json.dump({"cmd": "<blob>"}, fh): a config put in a file, read back later
                        self._keep_payloads(stmt.value.args[0])
                    continue
            if kind is ast.Assign or kind is ast.AnnAssign or kind is ast.AugAssign:
                if hit:
                    self._walk(stmt)
                    if stmt.value is not None and self._decoding(stmt.value):
                        self._note_bound(_bound_names(stmt), decoded=True)
                    elif _root_name(stmt.value) in self.bound:  # run = sp.run
                        self._note_bound(_bound_names(stmt))
                    elif _holds_text(stmt.value):
                        # cmds = ['<the word> ...']; df['cmd'] = '<the word> ' + df.host: where it goes, the hit goes
                        self._note_bound(_bound_names(stmt) | _filled_containers(stmt))
                else:
                    self.assigns.append(stmt)
                    self._keep_payloads(stmt.value)
                continue
            if not hit:
                if kind is ast.ClassDef or kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                    if self._read_docs:  # docstrings the cell reads back (__doc__, getsource) hold payloads too
                        self.strings.extend(n.value for n in ast.walk(stmt) if id(n) in self._read_docs)
                    for inner in stmt.body:  # class Vnc(Proc): blob = '...'; def payload(): return '...'
                        if type(inner) in (ast.Assign, ast.AnnAssign, ast.Return):
                            self._keep_payloads(inner.value)
                        if type(inner) is ast.Assign and (_sets_self(inner) or kind is ast.ClassDef):
                            self.assigns.append(inner)  # def __init__(self, *parts): self.parts = parts; key = 0x5A
                elif kind is ast.With or kind is ast.If or kind is ast.Try:
                    for block in (stmt.body, getattr(stmt, "orelse", ()), getattr(stmt, "finalbody", ())):
                        self._visit_body(block)  # with open(p) as fh: cfg = json.load(fh): the bindings inside
                continue
            if kind not in COMPOUND:
                self._walk(stmt)
                continue
            if kind is ast.For:
                self.loops.append(stmt)
            for name, value in ast.iter_fields(stmt):
                if name in ("body", "orelse", "finalbody"):
                    self._visit_body(value)
                elif name in ("handlers", "cases"):
                    for part in value:
                        for sub_name, sub_value in ast.iter_fields(part):
                            if sub_name == "body":
                                self._visit_body(sub_value)
                            else:
                                self._walk_value(sub_value)
                else:
                    self._walk_value(value)

    def _keep_payloads(self, value: ast.expr | None) -> None:
        """Long constants a statement with no hit binds or returns may be encoded payloads used elsewhere (base64
        lists read in a loop, blobs kept on classes or returned by a function): their strings are read for what
        they decode to."""
        items = value.elts if type(value) in (ast.List, ast.Tuple) else value.values if type(value) is ast.Dict \
            else (value,)  # a config's values ({"src": "...", "args": "..."}) too
        for node in items:
            if type(node) is ast.Constant and isinstance(node.value, str) and len(node.value) >= 16:
                self.strings.append(node)

    def _related(self, stmt: ast.stmt) -> bool:
        """Does the statement cover a line that uses a name bound at a hit?"""
        if self.everything:
            return True
        related = self.related
        index = bisect.bisect_left(related, stmt.lineno)
        return index < len(related) and related[index] <= (stmt.end_lineno or stmt.lineno)

    def _decoding(self, root: ast.AST) -> bool:
        """Is the value decoded (``_decoding``) or made from a name that was?  Then its uses are followed."""
        decoded = self.decoded
        return _decoding(root) or bool(decoded) and any(type(n) is ast.Name and n.id in decoded for n in ast.walk(root))

    def _note_bound(self, names: set[str], decoded: bool = False) -> None:
        """Names bound at a hit: the lines that use them become related.  Past ``MAX_BOUND`` names or
        ``MAX_RELATED`` lines the focus gives up and every statement is walked (linear, like a full walk)."""
        if decoded:
            self.decoded |= names
        new = names - self.bound
        if not new or self.everything:
            return
        self.bound |= new
        if len(self.bound) > MAX_BOUND:
            self.everything = True
            return
        source, found = self.analysis.source, []
        for name in new:  # str.find and a boundary check: cheaper than compiling a regex per batch
            start = source.find(name)
            while start >= 0:
                end = start + len(name)
                if not (start and _word_char(source[start - 1]) or end < len(source) and _word_char(source[end])):
                    found.append(start)
                    if len(found) > MAX_RELATED:
                        self.everything = True
                        return
                    end = source.find("\n", end)  # one use a line is enough
                    if end < 0:
                        break
                start = source.find(name, end)
        lines, line, last = set(), 1, 0
        for start in sorted(found):
            line += source.count("\n", last, start)
            last = start
            lines.add(line)
        if lines:
            self.related = sorted(lines.union(self.related))

    def _walk_value(self, value: object) -> None:
        if isinstance(value, ast.AST):
            self._walk(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, ast.AST):
                    self._walk(item)
