"""The unit, walked once: what every shape check needs (parents, calls, functions, aliases, constants),
the helpers that follow names through it, and the result type :class:`Found`."""

from __future__ import annotations

import ast
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..analysis.rewrites import unpacked
from ..analysis.wrappers import table_entries

LOCAL_HOSTS = ("127.", "localhost", "::1", "0:0:0:0:0:0:0:1")
DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
PUBLIC_HOSTS = ("", "0.0.0.0", "::", "0:0:0:0:0:0:0:0", "*")


LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
SPAWNERS = {"Thread", "Process", "Timer", "submit", "apply_async", "start_new_thread", "create_task",
            "ensure_future", "run_in_executor", "spawn", "start_soon",  # (start_soon: trio nurseries, anyio groups)
            "call_soon", "call_soon_threadsafe", "call_later", "call_at"}  # an event loop's callbacks
# spawners whose function is not their first argument: a delay, a time or an executor comes before it
CALLABLE_AT = {"Timer": 1, "call_later": 1, "call_at": 1, "run_in_executor": 1}
# calls that run a function once per item of what they are given (filter too: its test is the function)
MAPPERS = {"map", "imap", "imap_unordered", "starmap", "map_async", "starmap_async", "filter", "filterfalse"}
# socket calls by their last name, as the flood and server readings both see them
SOCKET_READS = frozenset({"recv", "recvfrom", "recv_into", "read", "readline", "readexactly", "readuntil"})
CONNECTS = frozenset({"connect", "connect_ex", "create_connection", "open_connection"})
# calls that return what a person types at the keyboard: one answer, not a list of candidates or a stream of sends
TYPED_BY_A_PERSON = frozenset({"input", "raw_input", "getpass", "askstring", "prompt", "password_prompt", "ask"})
HTTP_VERBS = {"get", "post", "head", "put", "delete", "patch", "request", "options", "urlopen", "fetch"}


@dataclass(slots=True)
class Found:
    """One shape, where it shows (the line of its key node) and why, in a few words."""

    shape: str
    line: int
    detail: str


def _dotted(node: ast.AST) -> bool:
    """A plain dotted name (``s.sendto``, ``requests``), with no call or subscript in it."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


class _Unit:
    """What every check needs, gathered in one walk: parents, calls, functions, aliases, constants."""

    def __init__(self, tree: ast.AST, fold: Callable[[ast.AST], Any],
                 reference: Callable[[ast.AST], str | None] = lambda node: None, read_lines: frozenset[int] = frozenset()):
        self.tree = tree
        self.read_lines = read_lines  # lines where the Python pass read the code run or the command started
        self.fold = fold
        self.reference = reference  # the folder's reading of look-up calls: getattr(s, 'dnib'[::-1]) is s.bind
        self.parent: dict[int, ast.AST] = {}
        self.calls: list[ast.Call] = []
        self.functions: dict[str, list[ast.AST]] = {}
        self.classes: list[ast.ClassDef] = []
        self._with_items: list[ast.expr] = []  # what each `with ... as name` enters (see _entered)
        self.aliases: dict[str, str] = {}
        self.constants: dict[str, Any] = {}  # simple top-level NAME = constant
        self.strings: list[tuple[ast.AST, str]] = []
        self.names_bound_to: dict[str, list[ast.AST]] = {}  # NAME -> values assigned to it anywhere
        self.star_imports: set[str] = set()  # from scapy.all import *
        self.compares: list[ast.Compare] = []
        self.subscripts: list[ast.Subscript] = []  # x[k], s[::-1], vars(m)[name]
        self.xors: list[ast.BinOp] = []  # a ^ b
        self.memo: dict[object, Any] = {}  # answers of checks that walk the unit's helpers, kept for the unit
        self._call_names: dict[int, str] = {}  # id(call) -> name(call)
        todo = deque([tree])  # ast.walk's order, with each node's children listed once, not twice
        while todo:
            node = todo.popleft()
            children = list(ast.iter_child_nodes(node))
            for child in children:
                self.parent[id(child)] = node
            todo.extend(children)
            kind = type(node)
            if kind is ast.Call:
                self.calls.append(node)
            elif kind is ast.Compare:
                self.compares.append(node)
            elif kind is ast.Subscript:
                self.subscripts.append(node)
            elif kind is ast.BinOp and type(node.op) is ast.BitXor:
                self.xors.append(node)
            elif kind is ast.ClassDef:
                self.classes.append(node)
            elif kind in (ast.FunctionDef, ast.AsyncFunctionDef):
                self.functions.setdefault(node.name, []).append(node)
                args = node.args
                # a parameter whose default is a function (def bind(k, f=os.dup2), runner=subprocess.Popen): named
                # like the function, as a name bound once to it is
                for param, default in [*zip((*args.posonlyargs, *args.args)[::-1], args.defaults[::-1], strict=False),
                                       *zip(args.kwonlyargs, args.kw_defaults, strict=True)]:
                    # (server_class=HTTPServer, the http.server docs' own idiom: a class handed in as a default)
                    if default is not None and (isinstance(default, (ast.Attribute, ast.Name)) or
                                                isinstance(default, ast.Call) and isinstance(default.func, ast.Name)
                                                and default.func.id == "getattr"):
                        self.names_bound_to.setdefault(param.arg, []).append(default)
            elif kind is ast.Import:
                for alias in node.names:
                    self.aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname \
                        else alias.name.split(".")[0]
            elif kind is ast.ImportFrom and node.module:
                for alias in node.names:
                    if alias.name == "*":
                        self.star_imports.add(node.module)
                    else:
                        self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif kind is ast.Assign:
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.names_bound_to.setdefault(target.id, []).append(node.value)
                    elif isinstance(target, ast.Tuple) and (parts := node.value.elts if isinstance(
                            node.value, ast.Tuple) else unpacked(node.value, len(target.elts))) is not None and \
                            len(target.elts) == len(parts):
                        # name, rd = z.namelist()[0], getattr(z, x); ip, tx = (getattr(sc, n) for n in ('IP', 'send'))
                        for part, value in zip(target.elts, parts, strict=True):
                            if isinstance(part, ast.Name):
                                self.names_bound_to.setdefault(part.id, []).append(value)
                    elif isinstance(target, ast.Tuple):  # url, body = random.choice(SERVICES): item i of the value
                        for index, part in enumerate(target.elts):
                            if isinstance(part, ast.Name):
                                self.names_bound_to.setdefault(part.id, []).append(ast.copy_location(
                                    ast.Subscript(value=node.value, slice=ast.Constant(index), ctx=ast.Load()), node))
                    elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                        # self.post = getattr(requests, 'post'): named like a name, "self.post"
                        self.names_bound_to.setdefault(f"{target.value.id}.{target.attr}", []).append(node.value)
            elif kind in (ast.With, ast.AsyncWith):
                for item in node.items:
                    if isinstance(item.optional_vars, ast.Name):
                        self.names_bound_to.setdefault(item.optional_vars.id, []).append(item.context_expr)
                        self._with_items.append(item.context_expr)
            elif kind is ast.Constant and isinstance(node.value, (str, bytes)):
                text = node.value.decode("latin-1") if isinstance(node.value, bytes) else node.value
                self.strings.append((node, text))
        self._entered()
        for name, values in self.names_bound_to.items():
            if name in self.aliases or len(values) != 1:
                continue  # a name bound once: r = __import__('requests'), send = s.sendto, g = getattr(requests, 'get')
            value = values[0]
            # (a call the pass read as a look-up, or an entry of a module's namespace: vars(socket)['create_...'])
            looked_up = reference(value) if isinstance(value, (ast.Call, ast.Subscript)) else None
            if isinstance(value, ast.Attribute) and _dotted(value):
                self.aliases[name] = self.dotted_name(value)
            elif isinstance(value, ast.Name) and value.id in self.aliases:  # cls = HTTPServer (imported)
                self.aliases[name] = self.aliases[value.id]
            elif looked_up and DOTTED.fullmatch(looked_up) and looked_up != "get_ipython":
                # what the Python pass read the call to reach: h = load('erdhrfgf') through a rot13 import
                # wrapper is requests, self.fetch = getattr(h, 'g' + 'et') is requests.get
                self.aliases[name] = looked_up
            elif isinstance(value, ast.Call) and value.args:
                callee = self.name(value).rsplit(".", 1)[-1]
                first = fold(value.args[0]) if callee in {"__import__", "import_module"} else None
                if isinstance(first, str) and first.replace(".", "").replace("_", "").isalnum():
                    self.aliases[name] = first
                elif callee == "partial" and len(value.args) == 1 and not value.keywords and \
                        isinstance(value.args[0], ast.Attribute) and _dotted(value.args[0]):
                    self.aliases[name] = self.dotted_name(value.args[0])  # send = partial(conn.send_message)
                elif callee == "getattr" and len(value.args) >= 2 and _dotted(value.args[0]):
                    attr = fold(value.args[1])
                    if isinstance(attr, str) and attr.isidentifier():
                        base = self.dotted_name(value.args[0])
                        self.aliases[name] = f"{base}.{attr}"
        if isinstance(tree, ast.Module):
            for stmt in tree.body:
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                    value = fold(stmt.value)
                    if isinstance(value, (str, int, bytes)):
                        self.constants[stmt.targets[0].id] = value

    # -- names and values

    def _entered(self) -> None:
        """``with LocalServer() as url``: the name is what the unit's own class returns from ``__enter__`` (a
        fixture's address), not the object, when that method returns something else than ``self``."""
        returns = {}
        for cls in self.classes:
            enter = next((f for f in cls.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                          and f.name in {"__enter__", "__aenter__"}), None)
            given = [n.value for n in ast.walk(enter) if isinstance(n, ast.Return) and n.value is not None] \
                if enter is not None else []
            if len(given) == 1 and not (isinstance(given[0], ast.Name) and given[0].id == "self"):
                returns[cls.name] = given[0]
        if not returns:
            return
        entered = {id(item) for item in self._with_items}
        for values in self.names_bound_to.values():
            for i, value in enumerate(values):
                if id(value) in entered and isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and \
                        value.func.id in returns:
                    values[i] = returns[value.func.id]

    def name(self, call: ast.Call) -> str:
        """Dotted name of the callee through import aliases: ``zf.extractall`` stays ``zf.extractall`` (worked out
        once per call: every shape asks)."""
        found = self._call_names.get(id(call))
        if found is None:
            found = self._call_names[id(call)] = self.dotted_name(call.func)
        return found

    def dotted_name(self, node: ast.AST) -> str:
        """Dotted name of an expression through import aliases (a callee, or a value bound to a name)."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and (alias := self.aliases.get(f"{node.value.id}.{node.attr}")):
                parts.append(alias)  # self.post, bound once to requests.post
                return ".".join(reversed(parts))
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Subscript):  # ops['go'](url) with ops = {'go': requests.get}: the value named
            node = self._entry(node)
            if node is None:
                return ".".join(reversed(parts))
            return ".".join([self.dotted_name(node), *reversed(parts)]).strip(".")
        if isinstance(node, ast.Name):
            parts.append(self.aliases.get(node.id, node.id))
        elif isinstance(node, ast.Call):
            looked_up = self.reference(node) if isinstance(node.func, (ast.Name, ast.Call)) else None
            parts.append(looked_up or self.name(node) + "()")
        return ".".join(reversed(parts))

    def _entry(self, node: ast.Subscript) -> ast.AST | None:
        """The value at a constant key of a dict bound once to a name (a display, or a comprehension over names
        spelled out), if it is a plain dotted name or a look-up the folder reads (``getattr(asyncio, k)``)."""
        table = self.bound_once(node.value)
        key = self.value(node.slice)
        if key is None or not isinstance(table, (ast.Dict, ast.DictComp)):
            return None
        for k, v in table_entries(table, 256):
            if k == key:
                return v if _dotted(v) or isinstance(v, ast.Call) and isinstance(v.func, ast.Name) else None
        return None

    def bound_once(self, node: ast.AST | None) -> ast.AST | None:
        """What a name is bound to, when it is bound exactly once (``server_address = ('', 8000)``)."""
        bound = self.names_bound_to.get(node.id, ()) if isinstance(node, ast.Name) else ()
        return bound[0] if len(bound) == 1 else None

    def value(self, node: ast.AST | None) -> Any:
        """A constant the node stands for, when the unit says so (folded, or a top-level constant)."""
        if node is None:
            return None
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.constants[node.id]
        return self.fold(node)

    def ancestors(self, node: ast.AST) -> Iterable[ast.AST]:
        current = self.parent.get(id(node))
        while current is not None:
            yield current
            current = self.parent.get(id(current))

    def function_of(self, node: ast.AST) -> ast.AST | None:
        return next((a for a in self.ancestors(node) if isinstance(a, FUNCTIONS)), None)

    def loops_around(self, node: ast.AST) -> list[ast.AST]:
        """Loops that contain ``node``, innermost first, up to its function (past a lambda handed to a call where
        it stands, ``run_in_executor(None, lambda ws=words: ...)``, which runs in that loop)."""
        out = []
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, FUNCTIONS) and not (isinstance(ancestor, ast.Lambda) and isinstance(
                    self.parent.get(id(ancestor)), (ast.Call, ast.keyword))):
                break
            if isinstance(ancestor, LOOPS):
                out.append(ancestor)
        return out

    def imports(self, module: str) -> bool:
        return any(v.split(".")[0] == module for v in self.aliases.values()) or \
            any(m.split(".")[0] == module for m in self.star_imports)

    def keyword(self, call: ast.Call, *names: str) -> ast.AST | None:
        return next((k.value for k in call.keywords if k.arg in names), None)

    def text(self, node: ast.AST, follow: int = 0) -> str:
        """The string constants inside an expression, joined by spaces: the skeleton of a formatted string or
        an argv list.  With ``follow``, names are read through what they are bound to, that many levels deep
        (``s.send(bytes(buf, 'utf-8'))`` with ``buf = "GET ... Content-Length: ..."`` above)."""
        parts = []
        for n in _in_order(node):
            if isinstance(n, ast.Constant) and isinstance(n.value, (str, bytes)):
                parts.append(n.value.decode("latin-1") if isinstance(n.value, bytes) else n.value)
            elif follow and isinstance(n, ast.Name) and 0 < len(self.names_bound_to.get(n.id, ())) <= 2:
                parts.extend(self.text(v, follow - 1) for v in self.names_bound_to[n.id])
        return " ".join(parts)


def _in_order(node: ast.AST) -> Iterable[ast.AST]:
    """The nodes under ``node`` in source order (depth first), unlike ``ast.walk``'s breadth-first order: the
    words of ``['apt', 'install'] + packages`` come out program first."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(ast.iter_child_nodes(current))))


def _names(node: ast.AST | None) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} if node is not None else set()


def _partials_of(unit: _Unit, functions: set[str] | dict) -> dict[str, str]:
    """``{name: function}`` for names bound to a partial of one of ``functions`` (``check = partial(attempt,
    archive, member)``): calling the name calls the function."""
    return {name: v.args[0].id for name, values in unit.names_bound_to.items() for v in values[:4]
            if isinstance(v, ast.Call) and unit.name(v).rsplit(".", 1)[-1] == "partial" and v.args and
            isinstance(v.args[0], ast.Name) and v.args[0].id in functions}


def _target_names(target: ast.AST) -> set[str]:
    """The names an assignment target binds or changes: ``found[key] = v`` changes ``found``, not the names the
    key is read from (``found[remaining.pop(h)] = w`` binds nothing to ``remaining`` or ``h``)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*map(_target_names, target.elts)) if target.elts else set()
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    while isinstance(target, (ast.Subscript, ast.Attribute)):
        target = target.value
    return {target.id} if isinstance(target, ast.Name) else set()


def _params(function: ast.AST) -> list[str]:
    args = function.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)] + \
        ([args.vararg.arg] if args.vararg else [])


def _loop_targets(loop: ast.AST) -> set[str]:
    if isinstance(loop, (ast.For, ast.AsyncFor)):
        return _names(loop.target)
    if isinstance(loop, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
        return set().union(*(_names(g.target) for g in loop.generators))
    return set()


def _loop_iters(loop: ast.AST) -> list[ast.AST]:
    if isinstance(loop, (ast.For, ast.AsyncFor)):
        return [loop.iter]
    if isinstance(loop, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
        return [g.iter for g in loop.generators]
    return []


def _derived(unit: _Unit, scope: ast.AST, seeds: set[str]) -> set[str]:
    """``seeds`` plus every name assigned (in ``scope``) from an expression that uses one of them."""
    tainted = set(seeds)
    # assignments, and a hash object fed the value (m = hashlib.md5(); m.update(line): m is made from line), the
    # items of a collection made from one (for part in tainted_list: part is made from it too), and a lambda's
    # default (lambda ws=words: ...: the parameter is bound to it, a batch handed to a worker)
    flows: list[tuple[set[str], list[ast.AST] | set[str]]] = []  # (names read, what they bind)
    for node in ast.walk(scope):
        kind = type(node)
        if kind is ast.Assign:
            flows.append((_free_names(node.value), node.targets))
        elif kind in (ast.AugAssign, ast.AnnAssign, ast.NamedExpr):
            flows.append((_free_names(node.value) if node.value is not None else set(), [node.target]))
        elif kind in (ast.For, ast.AsyncFor, ast.comprehension):
            flows.append((_free_names(node.iter), [node.target]))
        elif kind is ast.Match:  # match line: case ["GET", target, *_]: the captures are made from the subject
            captured = {n.name for case in node.cases for n in ast.walk(case.pattern)
                        if isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name}
            captured |= {n.rest for case in node.cases for n in ast.walk(case.pattern)
                         if isinstance(n, ast.MatchMapping) and n.rest}
            flows.append((_free_names(node.subject), captured))
        elif kind is ast.Call and isinstance(node.func, ast.Attribute) and node.func.attr == "update" and \
                isinstance(node.func.value, ast.Name) and node.args:
            flows.append((_free_names(ast.Tuple(elts=node.args)), [node.func.value]))
        elif kind is ast.Lambda and node.args.defaults:
            params = [*node.args.posonlyargs, *node.args.args][-len(node.args.defaults):]
            flows += [(_names(default), {param.arg}) for param, default in zip(params, node.args.defaults, strict=False)]
    for _ in range(3):
        grew = False
        for used, bound in flows:
            if not used & tainted:
                continue
            names = bound if isinstance(bound, set) else set().union(*map(_target_names, bound))
            if new := names - tainted:
                tainted |= new
                grew = True
        if not grew:
            break
    return tainted


def _written_once(items: ast.AST | None) -> ast.List | ast.Tuple | None:
    """The list or tuple a collection repeats (``[url] * 1000``, ``400 * [u]``), or None."""
    if isinstance(items, ast.BinOp) and isinstance(items.op, ast.Mult):
        return next((side for side in (items.left, items.right) if isinstance(side, (ast.List, ast.Tuple))), None)
    return None


def _awaited(expr: ast.AST | None) -> ast.AST | None:
    """The call an ``await`` waits for (``words = await q.get()``, ``r, w = await open_connection(...)``), or the
    expression itself."""
    return expr.value if isinstance(expr, ast.Await) else expr


def _free_names(value: ast.AST) -> set[str]:
    """The names an expression reads from outside it: a comprehension's or a lambda's own variables are not
    (``targets = {f(h) for h in blobs}`` does not use an outer ``h``)."""
    inner = set()
    for node in ast.walk(value):
        if isinstance(node, ast.comprehension):
            inner |= _names(node.target)
        elif isinstance(node, ast.Lambda):
            inner |= {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}
    return _names(value) - inner


def _driven_function(unit: _Unit, call: ast.Call, functions: dict[str, Any]) -> tuple[str | None, list[ast.AST]]:
    """Which of ``functions`` this call runs (directly, as a thread target, through an executor or map),
    and the arguments it passes."""
    short = unit.name(call).rsplit(".", 1)[-1]
    if short in functions:
        return short, [*call.args, *(k.value for k in call.keywords)]
    target = unit.keyword(call, "target", "func", "function")
    at = CALLABLE_AT.get(short, 0)
    if short in SPAWNERS | MAPPERS and target is None and call.args:
        target = call.args[at] if len(call.args) > at else call.args[0]
    if target is None:
        return None, []
    target_name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
    if target_name not in functions:
        return None, []
    passed = [*call.args[at + 1:],
              *(k.value for k in call.keywords if k.arg not in ("target", "func", "function"))]
    return target_name, passed
