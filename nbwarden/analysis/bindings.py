"""What the cell's assignments bind (:class:`_Bindings`, the half of the Python pass that reads statements rather
than calls): folded values in ``env``, loose command lines in ``loose_env``, modules and callables in ``aliases``,
lists grown by ``append``/``extend``, attributes of objects and of classes made by ``type(...)``."""

from __future__ import annotations

import ast
from typing import Any

from .builtincalls import WRITTEN
from .focus import _list_name, _stores_data
from .folding import MAX_FOLD, MAX_ITEMS, _Flag, _Function, _target_names, dotted
from .rewrites import is_property
from .wrappers import table_entries

MAX_ATTRIBUTES = 4096  # bindings in env past which `self.x = ...` / `Class.x = ...` are no longer recorded
METHOD_CALLERS = frozenset({"operator.methodcaller", "methodcaller"})  # methodcaller('open', p)(pk): pk.open(p)


class _Bindings:
    """The statement-reading methods of :class:`.pythonpass._PythonPass`, which supplies ``env``, ``loose_env``,
    ``aliases``, ``folder``, ``history``, ``partials``, ``looked_up``, ``class_of``, ``shell_env`` and the loop
    readers (``loop_of``, ``loops``, ``_loop_items``, ``_per_item``, ``_loose``, ``_loose_part``, ``_derive``,
    ``_reference``, ``_unpacked``, ``_zipped``)."""

    def _assign(self, node: ast.AST) -> None:
        """Remember what an assignment binds: folded values in ``env``, modules and attributes in ``aliases``.

        The cell's last binding of a name wins for uses inside functions (a
        call in a function defined above the assignment still sees the value);
        a top-level call reads a name bound more than once as it was at that
        point (:meth:`_call_as_of`).
        """
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if (function := self.folder.function(node)) is not None:
                self.env[node.name] = function
                if is_property(node):
                    self.folder.properties.add(node.name)
            return
        if isinstance(node, ast.Expr) and _stores_data(node):  # json.dump(spec, fh): what a later read gives back
            if (value := self.folder.fold(node.value.args[0])) is not None:
                self.env[WRITTEN] = value
            return
        if isinstance(node, ast.Expr):  # argv.append(x) / argv.extend([...]) on a list built above
            self._grow(node)
            return
        if node.value is None:
            return
        self._binding_end = (node.end_lineno or node.lineno, node.end_col_offset or 0)
        value = self.folder.fold(node.value)
        self._derive(node.value, value)
        if isinstance(node, ast.AugAssign):
            old = self.env.get(node.target.id) if isinstance(node.target, ast.Name) else None
            grown = self._grown_per_item(node) if isinstance(old, list) and isinstance(node.op, ast.Add) else None
            if grown is not None:  # for k, v in opts.items(): argv += [k, v]
                added = [word for part in grown for word in part]
                if len(old) + len(added) <= MAX_ITEMS:
                    self.env[node.target.id] = old + added
                    self._remember(node.target.id)
                return
            if isinstance(node.op, ast.Add) and type(old) is type(value) and isinstance(value, (str, bytes, list)):
                self.env[node.target.id] = old + value if len(old) + len(value) <= MAX_FOLD else old
                self._remember(node.target.id)
            elif isinstance(node.op, ast.Add) and isinstance(old, list) and value is None and \
                    isinstance(node.value, (ast.List, ast.Tuple)) and isinstance(loose := self._loose(node.value), list):
                # argv += ["-f", "flv", ingest + key] with the key read at run time: the list is known no more, and
                # its loose reading goes on with {key} in place
                base = self.loose_env.get(node.target.id, old)
                if isinstance(base, list) and len(base) + len(loose) <= MAX_ITEMS:
                    del self.env[node.target.id]
                    self.loose_env[node.target.id] = [*base, *loose]
                    self._remember(node.target.id)
            return
        for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
            self._bind(target, node.value, value)
            owner = self.class_of.get(id(node))
            if owner and isinstance(target, ast.Name):  # class Job: tool = '...'; launcher = subprocess.Popen
                self._member(owner, target.id, value, self.aliases.get(target.id))

    def _own_function(self, expr: ast.AST) -> _Function | None:
        """The cell's function a name refers to (``job`` after ``def job(p): ...``), or None."""
        found = self.env.get(expr.id) if isinstance(expr, ast.Name) else None
        return found if isinstance(found, _Function) else None

    def _made_class(self, owner: str, members: ast.Dict) -> None:
        """``Worker = type('W', (), {'argv': [...], 'go': subprocess.run})``: the members of a class made by a call,
        read like a class body's (``Worker.argv``, ``self.argv``, ``w.go(...)``)."""
        for key_node, item in zip(members.keys, members.values, strict=True):
            key = self.folder.fold(key_node) if key_node is not None else None
            if not isinstance(key, str) or not key.isidentifier() or len(self.env) >= MAX_ATTRIBUTES:
                continue
            value = self.folder.fold(item)
            self._member(owner, key, value, self._reference(item) if value is None else None)

    def _member(self, owner: str, attribute: str, value: Any, reference: str | None) -> None:
        """A member of the cell's class: a value, read as ``Class.x`` and ``self.x``; else a callable it holds
        (see :meth:`_hold`)."""
        if value is not None:
            self.env[f"{owner}.{attribute}"] = self.env[f"self.{attribute}"] = value
        elif reference is not None:
            self._hold(attribute, reference)

    def _hold(self, attribute: str, name: str) -> None:
        """An attribute bound to a callable (``self.go = subprocess.run``), for ``r.go(argv)`` anywhere in the
        cell (see ``_Names.name``); two different callables under one attribute name make it unknown."""
        held = f".{attribute}"
        self.aliases[held] = name if self.aliases.get(held, name) == name else ""

    def _grow(self, stmt: ast.Expr) -> None:
        """``argv.append(x)`` / ``argv.extend([...])``: the list grows, in ``env`` while every item is known and
        in ``loose_env`` (unknown items as ``{name}``) always; once per item in a loop over a known list.  Also
        ``os.environ.update({...})`` and ``os.environ.setdefault(k, v)``."""
        call = stmt.value
        if call.func.attr == "update":  # os.environ.update({'JOB': ...})
            values = self.folder.fold(call.args[0])
            if isinstance(values, dict) and len(self.shell_env) + len(values) <= MAX_ITEMS:
                self.shell_env.update((str(k), v) for k, v in values.items() if isinstance(v, str))
            return
        if call.func.attr == "setdefault":  # os.environ.setdefault('JOB', ...)
            key, value = self.folder.fold(call.args[0]), self.folder.fold(call.args[1])
            if isinstance(key, str) and isinstance(value, str) and len(self.shell_env) < MAX_ITEMS:
                self.shell_env.setdefault(key, value)
            return
        name = _list_name(call.func.value)
        if call.func.attr == "reverse":
            for env in (self.env, self.loose_env):
                if isinstance(env.get(name), list):
                    env[name] = env[name][::-1]
            return
        arg = call.args[0]
        per_item = self._items_of_loop(stmt, arg) if call.func.attr == "append" else None
        if per_item is not None:
            known, loose = per_item
        elif call.func.attr == "append":
            known, loose = [self.folder.fold(arg)], [self._loose_part(arg, 0)]
        elif isinstance(arg, (ast.List, ast.Tuple)):
            known, loose = [self.folder.fold(e) for e in arg.elts], self._loose(arg)
        else:
            return
        base = self.loose_env.get(name, self.env.get(name))
        if isinstance(base, list) and len(base) + len(loose) <= MAX_ITEMS:
            self.loose_env[name] = [*base, *loose]
        current = self.env.get(name)
        if isinstance(current, list) and all(isinstance(k, (str, int)) for k in known):
            self.env[name] = [*current, *known]

    def _items_of_loop(self, stmt: ast.Expr, arg: ast.AST) -> tuple[list[Any], list[Any]] | None:
        """What ``argv.append(x)`` adds in the body of a loop over a list the cell spells out, when ``x`` reads the
        loop's name: one known and one loose value per item (``for t in seg: argv.append(decode(t))``)."""
        if self.loop_of is None:
            self.loop_of = {id(s): loop for loop in self.loops for s in loop.body}
        loop = self.loop_of.get(id(stmt))
        names = set(_target_names(loop.target) or ()) if loop is not None else set()
        items = self._loop_items(loop) if names & {n.id for n in ast.walk(arg) if type(n) is ast.Name} else None
        if items is None:
            return None
        known: list[Any] = []
        loose: list[Any] = []

        def step() -> None:
            known.append(self.folder.fold(arg))
            loose.append(self._loose_part(arg, 0))

        self._per_item(loop, items, names, step)
        return known, loose

    def _grown_per_item(self, node: ast.AugAssign) -> list[list[Any]] | None:
        """What ``argv += [k, v]`` adds in the body of a loop over items the cell spells out, when the value reads the
        loop's names: one known list per item (``for k, v in opts.items(): argv += [k] if v is None else [k, v]``)."""
        if self.loop_of is None:
            self.loop_of = {id(s): loop for loop in self.loops for s in loop.body}
        loop = self.loop_of.get(id(node))
        names = set(_target_names(loop.target) or ()) if loop is not None else set()
        items = self._loop_items(loop) if names & {n.id for n in ast.walk(node.value) if type(n) is ast.Name} else None
        if items is None:
            return None
        grown: list[Any] = []
        self._per_item(loop, items, names, lambda: grown.append(self.folder.fold(node.value)))
        return grown if grown and all(isinstance(part, list) for part in grown) else None

    def _remember(self, name: str) -> None:
        """Note the value a name holds after the assignment being read (see ``history``)."""
        bindings = self.history.setdefault(name, [])
        if len(bindings) < MAX_ITEMS:
            bindings.append((self._binding_end, self.env.get(name), self.loose_env.get(name)))

    def _bind(self, target: ast.AST, expr: ast.AST, value: Any) -> None:
        if isinstance(value, _Flag):
            value = None  # a None, True or False unpacked from a row: a value only as an item of the row
        if isinstance(target, ast.Name):  # a table of functions: {'go': os.system}, [os.system, subprocess.call]
            for key, item in table_entries(self._zipped(expr), MAX_ITEMS):
                if (name := self._reference(item)) is not None:
                    self.aliases[f"{target.id}[{key!r}]"] = name
        if isinstance(target, ast.Name) and isinstance(expr, ast.Call) and len(expr.args) == 3 and \
                isinstance(expr.args[2], ast.Dict) and self.folder.name(expr.func) == "type":
            self._made_class(target.id, expr.args[2])
        if isinstance(target, ast.Name) and isinstance(expr, ast.Call) and expr.args and \
                self.folder.name(expr.func) in {"functools.partial", "partial", *METHOD_CALLERS}:
            self.partials[target.id] = expr
        if isinstance(target, ast.Name):
            if value is not None:
                self.env[target.id] = value
            elif (name := self._reference(expr)) is not None:
                self.aliases[target.id] = name  # m = __import__(x); s = getattr(os, y)
                self.looked_up.add(target.id)
            elif space := self.folder.module_namespace(expr):
                self.aliases[target.id] = f"{space}.__dict__"  # ops = vars(os); ops['po' + 'pen'](cmd)
            elif isinstance(expr, (ast.JoinedStr, ast.BinOp, ast.List, ast.Tuple, ast.IfExp, ast.Call)):
                loose = self._loose(expr)  # cmd = f"run.py {flag}" with flag unknown: for `!python $cmd`
                if loose is not None and len(self.loose_env) < MAX_ITEMS:
                    self.loose_env[target.id] = loose
            self._remember(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)) and not any(isinstance(t, ast.Starred) for t in target.elts):
            parts = expr.elts if isinstance(expr, (ast.Tuple, ast.List)) else self._unpacked(expr, len(target.elts))
            if parts is not None and len(parts) == len(target.elts):
                values = value if isinstance(value, list) else [self.folder.fold(p) for p in parts]
                for sub, part, item in zip(target.elts, parts, values, strict=True):
                    self._bind(sub, part, item)
            elif isinstance(value, list) and len(value) == len(target.elts):
                for sub, item in zip(target.elts, value, strict=True):
                    self._bind(sub, expr, item)
        elif isinstance(target, ast.Attribute) and value is None and (name := self._reference(expr)) is not None:
            self._hold(target.attr, name)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and value is not None:
            if len(self.env) < MAX_ATTRIBUTES:
                self.env[f"{target.value.id}.{target.attr}"] = value  # self.cmd = ...; Config.tool = ...
        elif isinstance(target, ast.Subscript) and dotted(target.value) == "os.environ" and isinstance(value, str):
            key = self.folder.fold(target.slice)
            if isinstance(key, str) and len(self.shell_env) < MAX_ITEMS:
                self.shell_env[key] = value
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and (value is not None or (
                value := self._own_function(expr)) is not None):  # REG['cuda'] = job: a table of the cell's functions
            container, key = self.env.get(target.value.id), self.folder.fold(target.slice)
            if isinstance(container, dict) and isinstance(key, (str, int)) and len(container) < MAX_ITEMS:
                container[key] = value  # d['cmd'] = b64decode(...)
            elif isinstance(container, list) and isinstance(key, int) and -len(container) <= key < len(container):
                container[key] = value
