"""What a callee names (:class:`_Names`, the half of the folder that reads names rather than values):
``getattr(os, 'sys' + 'tem')``, ``__import__(x).system``, ``vars(os)[k]`` and a cell's one-expression wrappers of
them are all ``os.system``."""

from __future__ import annotations

import ast
import re

from .decoders import MAX_ITEMS
from .rewrites import substituted
from .wrappers import table_entries

IMPORT_CALLS = {"__import__", "importlib.import_module", "importlib.__import__"}
NAMESPACE_CALLS = {"globals", "locals", "vars"}  # vars(os)[x], globals()[x]: names looked up by a computed key
DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
# C libraries loaded through ctypes: their functions (libc.system) are named like a module's
LIBRARY_LOADERS = frozenset({"ctypes.CDLL", "ctypes.cdll.LoadLibrary", "ctypes.PyDLL", "ctypes.CDLL.LoadLibrary"})


MAX_CHAIN = 6  # calls of calls (partial(f, a)(b), itemgetter(k)(row)) the names are read through


def _chained(node: ast.Call) -> int:
    """How many calls deep a callee goes (``f(a)(b)(c)`` is 3), counted up to ``MAX_CHAIN + 1``."""
    count = 0
    while isinstance(node, ast.Call) and count <= MAX_CHAIN:
        node, count = node.func, count + 1
    return count


class _Names:
    """The name-reading methods of :class:`.folding._Folder`, which supplies ``fold``, ``_callee``, ``aliases``
    and ``steps``."""

    def name(self, node: ast.AST, depth: int = 0) -> str:
        """The dotted name an expression refers to, seen through aliases and computed look-ups.

        ``__import__('os').system``, ``getattr(os, 'sys' + 'tem')``, ``vars(os)[x]``,
        ``os.__dict__[x]``, ``sys.modules['os'].system`` and ``m.system`` after
        ``m = importlib.import_module(x)`` are all ``os.system``; builtins lose their
        ``builtins.`` prefix.  Like :func:`.folding.dotted`, ``f().x`` is ``f.x``; a part that
        cannot be known makes the result ``""`` or leaves it out.
        """
        if depth == 0:
            self.steps = 0
        elif depth > 40:
            return ""
        if isinstance(node, ast.Name):
            return _unbuiltin(self.aliases.get(node.id, node.id))
        if isinstance(node, ast.Attribute):
            base = self.name(node.value, depth + 1)
            if node.attr == "__dict__":
                return base
            held = self.aliases.get(f".{node.attr}") if self.aliases else None
            if held and not _names_module(node.value, self.aliases):
                return held  # self.go = subprocess.run in one place, r.go(argv) in another: the one callable held
            return _unbuiltin(f"{base}.{node.attr}" if base else node.attr)
        if isinstance(node, ast.Subscript):
            if isinstance(node.value, ast.Name) and self.aliases:  # run = {'go': os.system}; run['go'](cmd)
                key = self.fold(node.slice, depth + 1)
                entry = self.aliases.get(f"{node.value.id}[{key!r}]") if isinstance(key, (str, int)) else None
                if entry is not None:
                    return _unbuiltin(entry)
            if isinstance(node.value, (ast.List, ast.Tuple, ast.Dict)):  # [os.system][0], {'r': os.system}['r']
                key = self.fold(node.slice, depth + 1)
                item = next((item for k, item in table_entries(node.value, MAX_ITEMS) if k == key), None) \
                    if isinstance(key, (str, int)) else None
                return self.name(item, depth + 1) if item is not None else ""
            space = self._namespace(node.value, depth + 1)
            return self._lookup(space, node.slice, depth) if space is not None else ""
        if isinstance(node, ast.IfExp):  # (sp.Popen if background else sp.run)(line, shell=True): either may run
            return self.name(node.body, depth + 1) or self.name(node.orelse, depth + 1)
        if not isinstance(node, ast.Call):
            return ""
        if _chained(node) > MAX_CHAIN:
            return ""  # f(a)(b)(c)...: each level would be read twice over, so a long chain costs 2**n
        inlined = self._inlined(node, depth)
        if inlined is not None:  # g = lambda o, n: getattr(o, n[::-1]); g(os, 'metsys'): the look-up it makes
            return self.name(inlined, depth + 1)
        func = self.name(node.func, depth + 1)
        args = node.args
        if func in IMPORT_CALLS:
            module = self.fold(args[0], depth + 1) if args else None
            if not isinstance(module, str) or not DOTTED_NAME.fullmatch(module):
                return ""
            # __import__('a.b') returns a unless a fromlist asks for a.b
            whole = func != "__import__" or len(args) > 3 or any(k.arg == "fromlist" for k in node.keywords)
            return module if whole else module.split(".")[0]
        lookup = self._computed(node, func, depth)
        return func if lookup is None else lookup

    def _computed(self, node: ast.Call, func: str, depth: int) -> str | None:
        """The name a look-up call reaches (``getattr(os, x)``, ``vars(os).get(x)``, ``eval('os.system')``):
        ``""`` when its key cannot be folded, None when the call is no look-up."""
        args = node.args
        if func == "getattr" and len(args) >= 2:
            base = self.name(args[0], depth + 1)
            return self._lookup(base, args[1], depth) if base else ""
        if func.endswith((".__getattribute__", ".__getattr__")) and args:
            return self._lookup(func.rsplit(".", 1)[0], args[0], depth)
        if func.endswith(".get") and args and isinstance(node.func, ast.Attribute):
            space = self._namespace(node.func.value, depth + 1)
            return None if space is None else self._lookup(space, args[0], depth)
        if func == "eval" and args:
            return self._lookup("", args[0], depth)
        inner = node.func
        if isinstance(inner, ast.Call) and len(inner.args) == 1 and len(args) == 1 and \
                self.name(inner.func, depth + 1) in {"operator.attrgetter", "attrgetter"}:
            base = self.name(args[0], depth + 1)  # operator.attrgetter('new')(hashlib): hashlib.new
            return self._lookup(base, inner.args[0], depth) if base else ""
        return None

    def reference(self, node: ast.AST) -> str | None:
        """The dotted name when ``node`` is a module or an attribute of one (``os.path``, ``m`` after
        ``m = __import__(x)``, ``getattr(os, x)``, ``get_ipython()``), for aliases; None for any other value."""
        base = node
        while isinstance(base, ast.Attribute):
            base = base.value
        if isinstance(base, ast.Name):
            # a module the cell imported, or a builtin type whose methods decode (h = bytes.fromhex)
            known = base.id in self.aliases or base.id in {"bytes", "bytearray"} and node is not base
        elif isinstance(base, ast.Call):
            inlined = self._inlined(base, 0)
            if inlined is not None:
                return self.reference(inlined) if base is node else (self.name(node) or None)
            func = self.name(base.func)
            known = func in IMPORT_CALLS or func in LIBRARY_LOADERS or func == "get_ipython" or \
                self._computed(base, func, 0) is not None
        else:
            known = isinstance(base, ast.Subscript)
        return (self.name(node) or None) if known else None

    def imported(self, node: ast.Call) -> str | None:
        """The module a call imports, itself (``__import__(x)``) or through the cell's one-expression wrapper
        (``load = lambda s: importlib.import_module(s[::-1])``; ``load('tekcos')``); None for other calls."""
        call = self._inlined(node, 0) or node
        if self.name(call.func) not in IMPORT_CALLS or not call.args:
            return None
        module = self.fold(call.args[0])
        return module if isinstance(module, str) else None

    def _inlined(self, node: ast.Call, depth: int) -> ast.Call | None:
        """A call of the cell's one-expression function whose body is a look-up or an import (``getattr``,
        ``__import__``, ``import_module``), with the arguments put in place of the parameters; else None."""
        function = self._callee(node.func, depth)
        if function is None or node.keywords or any(isinstance(a, ast.Starred) for a in node.args) or \
                len(node.args) < len(function.params) or len(node.args) > len(function.params) and not function.rest or \
                not isinstance(function.body, ast.Call) or \
                self.name(function.body.func, depth + 1) not in {"getattr", *IMPORT_CALLS}:
            return None
        given = dict(zip(function.params, node.args, strict=False))
        if function.rest:  # lambda *n: __import__(''.join(map(chr, n))): the further arguments as one tuple
            given[function.rest] = ast.Tuple(elts=list(node.args[len(function.params):]), ctx=ast.Load())
        return substituted(function.body, given)

    def _namespace(self, node: ast.AST, depth: int) -> str | None:
        """The prefix of the names found by subscripting ``node`` (``vars(os)``, ``os.__dict__``: ``os``;
        ``globals()``, ``__builtins__``, ``sys.modules``: none), or None when it is no namespace."""
        if isinstance(node, ast.Call):
            func = self.name(node.func, depth + 1)
            if func not in NAMESPACE_CALLS:
                return None
            return (self.name(node.args[0], depth + 1) or None) if node.args else ""
        if isinstance(node, ast.Attribute) and node.attr == "__dict__":
            return self.name(node.value, depth + 1) or None
        raw = self.aliases.get(node.id, "") if isinstance(node, ast.Name) else ""
        if raw.endswith(".__dict__"):  # a name bound to vars(os) or os.__dict__ (see module_namespace)
            space = raw[:-len(".__dict__")]
            return "" if space in {"builtins", "__builtins__"} else space  # _B = vars(builtins); _B['exec']
        name = self.name(node, depth + 1)
        return "" if name in {"__builtins__", "builtins", "sys.modules"} else None

    def module_namespace(self, node: ast.AST) -> str:
        """The module whose namespace ``node`` is (``vars(os)``, ``os.__dict__``: ``os``), or ``""``."""
        if not (isinstance(node, ast.Call) or isinstance(node, ast.Attribute) and node.attr == "__dict__"):
            return ""  # (a plain name or attribute is read by _namespace only to find builtins, not a module)
        return self._namespace(node, 1) or ""

    def _lookup(self, space: str, key_node: ast.AST, depth: int) -> str:
        """``space.key`` for a folded key; with no space the key names a module or a name of the cell."""
        key = self.fold(key_node, depth + 1)
        if not isinstance(key, str) or not DOTTED_NAME.fullmatch(key):
            return ""
        if space:
            return _unbuiltin(f"{space}.{key}")
        head, _, rest = key.partition(".")
        full = self.aliases.get(head, head)
        return _unbuiltin(f"{full}.{rest}" if rest else full)


def _names_module(node: ast.AST, aliases: dict[str, str]) -> bool:
    """Does an attribute's base start at a name the cell imported or bound to a module (``os`` in ``os.path``)?"""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id in aliases


def _unbuiltin(name: str) -> str:
    """``builtins.exec`` and ``__builtins__.exec`` are ``exec``."""
    if "builtins" not in name:
        return name
    for prefix in ("builtins.", "__builtins__."):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name
