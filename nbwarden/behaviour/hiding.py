"""``obscured/exec|run|names``: code that hides what it runs, in a way nbwarden cannot read back.

The folder decodes what it can (reversed strings, rot13, base64 through zlib, character codes), the Python pass
reads payloads on their looks and through class methods, and what they read is judged by what it says, like any
code.  But each writer combines the tricks differently: chunks woven together by slice assignment, a
substitution table built at run time, names decoded from a loop's values, a class whose ``__getattr__`` hands
out modules.  Widening the folder one idiom at a time does not reach the next writer.  What does not change is
that such code cannot be checked by anyone reading it, and that ordinary code decodes *data* (an image, a
secret from the environment, a download), not its own imports and programs.  So unread hiding is the shape:

``obscured/exec``
    code run by ``exec``, ``eval``, ``compile``, ``types.FunctionType`` is made in the unit by a decoding step
    from the unit's own text, and neither the folder nor the Python pass read what it is.
``obscured/run``
    a program started (``subprocess``, ``os.system``, ``pty.spawn``) whose program, command line or the code it
    is handed after ``-c`` is made the same way and was not read (a decoded argument alone, a URL or a package
    name, is not).
``obscured/names``
    two or more modules, functions or attributes reached through names spelled so that a reader cannot read
    them (``__import__('so'[::-1])``, ``getattr(m, codecs.decode('flfgrz', 'rot13'))``, ``vars(m)[dec([..])]``),
    of which one is not read back, or in a unit that also carries a blob that is not.

A decoding step counts only when its input is the unit's own text: decoding a secret read from the
environment, a file or a response is how credentials and data arrive.  Helpers are followed by name: a lambda,
function, method or property of the unit whose body decodes makes every call of it a decoding step, and what a
helper decodes from its parameters is read at each of its calls.
"""

from __future__ import annotations

import ast
from typing import Any

from ..analysis.literals import on_its_looks
from .unit import Found, _Unit

# calls that turn text into other text or bytes (their last name); ``translate`` and ``decompress`` are here too,
# since a cell's own blob is what they read when the input check below passes
DECODERS = frozenset({"b64decode", "b32decode", "b16decode", "b85decode", "a85decode", "urlsafe_b64decode",
                      "standard_b64decode", "decodebytes", "decodestring", "decompress", "unhexlify", "a2b_hex",
                      "a2b_base64", "a2b_uu", "a2b_qp", "fromhex", "translate"})
# codecs.decode/encode with one of these names a decoder too
CODEC_NAMES = frozenset({"rot13", "rot_13", "rot-13", "hex", "hex_codec", "base64", "base64_codec", "base_64",
                         "zlib", "zlib_codec", "zip", "bz2", "bz2_codec", "uu", "uu_codec"})
# Python's compile(source, filename, mode) is one only with its mode given (re.compile has no third argument)
EXECUTORS = frozenset({"exec", "eval", "compile", "FunctionType", "CodeType", "execfile"})
COMPILE_MODES = frozenset({"exec", "eval", "single"})
# programs started, by the module that starts them (a bare ``run`` or ``call`` is anyone's method)
STARTER_MODULES = frozenset({"subprocess", "os", "pty", "asyncio", "commands", "sh"})
STARTERS = frozenset({"system", "popen", "Popen", "run", "call", "check_call", "check_output", "getoutput",
                      "getstatusoutput", "spawn", "spawnv", "spawnvp", "spawnl", "spawnlp", "create_subprocess_exec",
                      "create_subprocess_shell", "execv", "execvp", "execl", "execlp", "execve", "execvpe",
                      "posix_spawn", "posix_spawnp"})
IMPORTERS = frozenset({"__import__", "import_module"})
LOOKUPS = frozenset({"getattr", "attrgetter", "methodcaller"})
NAMESPACES = frozenset({"vars", "globals", "locals"})
# where data comes from outside the unit: decoding it is how secrets and downloads arrive
OUTSIDE_CALLS = frozenset({"read", "read_text", "read_bytes", "readline", "readlines", "get", "getenv", "input",
                           "getpass", "recv", "urlopen", "open", "load", "json", "communicate", "check_output"})
BLOB_CHARS, BLOB_INTS = 32, 16
OUTSIDE_ATTRS = frozenset({"environ", "argv", "stdin", "content", "text", "stdout", "body", "data", "files", "form"})


class _Hiding:
    """Which expressions of a unit are made by decoding the unit's own text, with the step that shows it."""

    def __init__(self, unit: _Unit):
        self.unit = unit
        self._functions: dict[str, str | None] = {}  # name -> the step its body shows (None while being read)
        self._names: dict[str, str | None] = {}
        self._blobs: tuple[bool, bool] | None = None

    @property
    def blobs(self) -> tuple[bool, bool]:
        """(a payload read on its looks, one that is not), worked out when first asked."""
        if self._blobs is None:
            self._blobs = _blobs(self.unit)
        return self._blobs

    def may_decode(self) -> bool:
        """Could any expression of the unit be a decoding step?  A cheap look at the callees and the operators
        first: most units that wake the shape pass decode nothing, and the full reading follows names."""
        for call in self.unit.calls:
            short = self._callee(call)
            if short in DECODERS or short == "chr" or short in {"decode", "encode"} and \
                    self.unit.name(call).startswith("codecs.") or \
                    short in {"map", "bytes", "bytearray"} and call.args and \
                    isinstance(call.args[0], (ast.Name, ast.List, ast.Tuple, ast.GeneratorExp, ast.ListComp)):
                return True
        return bool(self.unit.xors) or any(isinstance(n.slice, ast.Slice) and _minus_one(n.slice.step)
                                           for n in self.unit.subscripts)

    def step(self, node: ast.AST) -> str | None:
        """The first decoding step found in an expression, following the unit's names and helpers.  What a
        look-up returns (``getattr(m, 'x'[::-1])``, ``__import__(...)``) is a module or a function, not decoded
        text: its hidden name is counted by the names shape, and using what it returns is no decoding step."""
        todo = [node]
        while todo:
            n = todo.pop()
            found = self._own_step(n)
            if found:
                return found
            if isinstance(n, ast.Call) and self._callee(n) in IMPORTERS | LOOKUPS:
                continue
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                found = self._name(n.id)
            elif isinstance(n, ast.Call):
                found = self._helper(self._callee(n))
            elif isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load):
                found = self._helper(n.attr)  # a property or method of the unit: box.script
            if found:
                return found
            todo.extend(ast.iter_child_nodes(n))
        return None

    def unread(self, node: ast.AST, depth: int = 4) -> str | None:
        """The decoding step of an expression that the folder could not read back, or None.  A step the folder
        decodes (``b64decode('Z29v...')``, ``_n('onfr64')`` through its lambda) is judged by what it says, like
        any code; one it cannot (chunks interleaved by slice assignment, a table built at run time) hides it."""
        value = self.unit.value(node)
        if _fully_known(value) or isinstance(value, list) and value and _fully_known(value[0]):
            return None  # (an argv is read back when its program is; an object of the cell's class is not a value)
        todo = [node]
        while todo:
            n = todo.pop()
            step = self._own_step(n)
            if step is None and isinstance(n, ast.Call):
                step = self._helper(self._callee(n))
            elif step is None and isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load):
                step = self._helper(n.attr)
            if step is not None:
                if not _fully_known(self.unit.value(n)):
                    return step  # (a table of decoded values with holes in it is not read back either)
                continue  # read back: what it decodes to is known
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and depth:
                found = next((s for v in self.unit.names_bound_to.get(n.id, ()) if (s := self.unread(v, depth - 1))),
                             None)
                if found:
                    return found
            todo.extend(ast.iter_child_nodes(n))
        return None

    def unread_here(self, node: ast.AST) -> bool:
        """Is a hidden name, code or command one the folder cannot read back?  Inside a helper that decodes what
        it is given (``lambda h: import_module(bytes.fromhex(h).decode())``) it is read at each call of the
        helper, with that call's arguments: unread when one of them cannot be folded."""
        function = self.unit.function_of(node)
        order = _ordered_parameters(function)
        read = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        used = [p for p in order if p in read]
        if not used:
            return self.unread(node) is not None
        if "self" in order or "cls" in order:
            return True  # a method (__getattr__ spelling what it is asked for): the folder does not follow its uses
        name = _helper_name(self.unit, function)
        sites = [c for c in self.unit.calls if isinstance(c.func, ast.Name) and c.func.id == name] if name else []
        if not sites:
            return True  # a helper never called by its name: not read here
        for site in sites:
            passed = {**dict(zip(order, site.args, strict=False)), **{k.arg: k.value for k in site.keywords if k.arg}}
            if any(p not in passed or isinstance(passed[p], ast.Starred) for p in used):
                return True
            probe = ast.Call(func=ast.Lambda(args=ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in used],
                                                                 kwonlyargs=[], kw_defaults=[], defaults=[]),
                                             body=node), args=[passed[p] for p in used], keywords=[])
            if self.unit.value(probe) is None:
                return True
        return False

    def opaque(self) -> str | None:
        """A decoding step anywhere in the unit (outside a helper's own body) whose result the folder cannot
        read back, even as part of the expression around it (``chr(c)`` inside a join that folds is read), in a
        unit that carries a blob: a cipher lesson that shifts a sentence decodes words, not a payload."""
        if not self.blobs[1]:
            return None
        for n in ast.walk(self.unit.tree):
            step = self._own_step(n)
            if step is None and isinstance(n, ast.Call):
                step = self._helper(self._callee(n))
            if step is None or self._in_helper(n):
                continue
            if all(self.unit.value(e) is None for e in self._enclosing(n)):
                return step
        return None

    def _in_helper(self, node: ast.AST) -> bool:
        """Inside a function or lambda whose parameters it reads: decoded at each call, not here."""
        function = self.unit.function_of(node)
        return function is not None and bool((_parameters(function) - {"self", "cls"}) & {
            n.id for n in ast.walk(node) if isinstance(n, ast.Name)})

    def _enclosing(self, node: ast.AST) -> list[ast.AST]:
        """The node and the expressions around it, up to its statement."""
        out = [node]
        for ancestor in self.unit.ancestors(node):
            if not isinstance(ancestor, ast.expr):
                break
            out.append(ancestor)
        return out

    def _own_step(self, n: ast.AST) -> str | None:
        """A decoding step written at this node, whose input is the unit's own text."""
        if isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Slice) and _minus_one(n.slice.step) and \
                self._text_like(n.value):
            return "a reversed string"
        if isinstance(n, ast.Call):
            short = self._callee(n)
            inputs = [*n.args, *(k.value for k in n.keywords)]
            if isinstance(n.func, ast.Attribute) and short in {"translate", "fromhex", "decode"}:
                inputs.append(n.func.value)
            if short in DECODERS and inputs and self._own(inputs):
                return short
            if short in {"decode", "encode"} and len(n.args) >= 2 and self.unit.name(n).startswith("codecs.") and \
                    str(self.unit.value(n.args[1])).lower() in CODEC_NAMES and self._own(n.args[:1]):
                return f"codecs {self.unit.value(n.args[1])}"
            if short == "chr" and n.args and not isinstance(n.args[0], ast.Constant) and self._own(n.args):
                return "character codes"
            if short == "map" and n.args and isinstance(n.args[0], ast.Name) and n.args[0].id == "chr":
                return "character codes"
            if short in {"bytes", "bytearray"} and n.args and _int_list(n.args[0]):
                return "character codes"
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitXor) and self._in_text_maker(n):
            return "XOR"
        return None

    def _in_text_maker(self, node: ast.AST) -> bool:
        """Inside ``chr``, ``bytes`` or a join, within the same function: XOR that makes characters, not a hash
        or a checksum."""
        for ancestor in self.unit.ancestors(node):
            if isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                return False
            if isinstance(ancestor, ast.Call) and self._callee(ancestor) in {"chr", "bytes", "bytearray", "join"}:
                return True
        return False

    def _callee(self, call: ast.Call) -> str:
        return self.unit.name(call).rsplit(".", 1)[-1]

    def _text_like(self, node: ast.AST) -> bool:
        """A string written in the unit, or a helper's parameter (``lambda s: s[::-1]``); a list or an array
        reversed (``np.argsort(x)[::-1]``) is not."""
        if isinstance(node, ast.Constant):
            return isinstance(node.value, (str, bytes))
        if isinstance(node, ast.Name):
            bound = self.unit.names_bound_to.get(node.id)
            if not bound:
                function = self.unit.function_of(node)
                return function is not None and node.id in _parameters(function)
            return all(isinstance(v, ast.Constant) and isinstance(v.value, (str, bytes)) for v in bound)
        return False

    def _own(self, inputs: list[ast.AST], depth: int = 3) -> bool:
        """Is this input the unit's own text: nothing read from outside (a file, a response, the environment),
        following names bound in the unit a few levels deep?"""
        for node in inputs:
            for n in ast.walk(node):
                if isinstance(n, ast.Call) and self._callee(n) in OUTSIDE_CALLS:
                    return False
                if isinstance(n, ast.Attribute) and n.attr in OUTSIDE_ATTRS:
                    return False
                if depth and isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and \
                        not self._own(self.unit.names_bound_to.get(n.id, []), depth - 1):
                    return False
        return True

    def _name(self, name: str) -> str | None:
        if name not in self._names:
            self._names[name] = None  # a name bound to itself (x = x[::-1]) is read once
            self._names[name] = next((s for v in self.unit.names_bound_to.get(name, ()) if (s := self.step(v))), None)
        return self._names[name]

    def _helper(self, name: str) -> str | None:
        """The step a function, method or property of the unit shows in its body, by its name."""
        bodies = [stmt for f in self.unit.functions.get(name, ()) for stmt in f.body] + \
            [v.body for v in self.unit.names_bound_to.get(name, ()) if isinstance(v, ast.Lambda)]
        if not bodies:
            return None
        if name not in self._functions:
            self._functions[name] = None
            self._functions[name] = next((s for body in bodies if (s := self.step(body))), None)
        return self._functions[name]


def _fully_known(value: Any, depth: int = 3) -> bool:
    """Is a folded value known throughout: text, bytes or a number, or a list or dict of them without unknown
    items (to a few levels)?  An object the folder made of the cell's class is not a value read back."""
    if isinstance(value, (str, bytes, int, float)):
        return True
    if depth and isinstance(value, (list, tuple)):
        return all(_fully_known(v, depth - 1) for v in value[:64])
    if depth and isinstance(value, dict):
        return all(_fully_known(v, depth - 1) for v in list(value.values())[:64])
    return False


def _blobs(unit: _Unit) -> tuple[bool, bool]:
    """Does the unit carry a payload nbwarden reads on its looks (base64, hex, compressed base85 that decode to
    text), and one it cannot (a blob in pieces, translated, XORed; 16 or more integers written out)?"""
    readable = unreadable = False
    for _, text in unit.strings:
        if _blob_like(text):
            if on_its_looks(text)[0]:
                readable = True
            else:
                unreadable = True
    unreadable = unreadable or any(isinstance(n, (ast.List, ast.Tuple)) and len(n.elts) >= BLOB_INTS and
                                   _int_list(n) for n in ast.walk(unit.tree))
    return readable, unreadable


def _blob_like(text: str) -> bool:
    """Long, without spaces or a path's and a URL's punctuation, and mixed like encoded bytes: hex digits
    only, or upper and lower case letters with digits (a file path or an identifier is not)."""
    if len(text) < BLOB_CHARS or any(c.isspace() or c in ".:\\," for c in text):
        return False
    if all(c in "0123456789abcdefABCDEF" for c in text):
        return True
    return any(c.isdigit() for c in text) and any(c.isupper() for c in text) and any(c.islower() for c in text)


def _minus_one(node: ast.AST | None) -> bool:
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and \
        isinstance(node.operand, ast.Constant) and node.operand.value == 1


def _int_list(node: ast.AST) -> bool:
    """A list or tuple of four or more integer constants: character codes written out."""
    return isinstance(node, (ast.List, ast.Tuple)) and len(node.elts) >= 4 and \
        all(isinstance(e, ast.Constant) and type(e.value) is int for e in node.elts)


def _parameters(function: ast.AST) -> set[str]:
    return set(_ordered_parameters(function))


def _ordered_parameters(function: ast.AST | None) -> list[str]:
    if function is None:
        return []
    args = function.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]


def _helper_name(unit: _Unit, function: ast.AST) -> str | None:
    """The name a helper is called by: a def's name, or the name a lambda is bound to."""
    if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return function.name
    parent = unit.parent.get(id(function))
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        return parent.targets[0].id
    return None


def _hidden_code(unit: _Unit) -> list[Found]:
    """The three shapes, each reported once, at its first line."""
    hiding = _Hiding(unit)
    if not hiding.may_decode():
        return []
    found: dict[str, Found] = {}
    names: list[tuple[int, str, bool]] = []
    for call in unit.calls:
        dotted = unit.name(call)
        short = dotted.rsplit(".", 1)[-1]
        # what the Python pass read at the call (the code run, the command started) is judged by what it says
        read = call.lineno in unit.read_lines
        if not read and _executes(unit, call, short) and "exec" not in found and \
                (step := hiding.step(call.args[0])) and hiding.unread_here(call.args[0]):
            found["exec"] = Found("obscured/exec", call.lineno,
                                  f"{short} runs code the cell decodes from its own text ({step})")
        elif not read and "run" not in found and (step := _hidden_run(unit, hiding, call, dotted, short)):
            found["run"] = Found("obscured/run", call.lineno,
                                 f"{short} starts a command the cell decodes from its own text ({step})")
        if short in IMPORTERS | LOOKUPS and call.args and (short != "getattr" or len(call.args) >= 2):
            name = call.args[1] if short == "getattr" else call.args[0]
            if step := hiding.step(name):
                names.append((call.lineno, step, hiding.unread_here(name)))
    for node in unit.subscripts:  # vars(m)[dec(...)], globals()[dec(...)], m.__dict__[dec(...)]
        if _namespace(unit, node.value) and (step := hiding.step(node.slice)):
            names.append((node.lineno, step, hiding.unread_here(node.slice)))
    # names the folder reads back are judged by what they say; the shape needs something it cannot read, a name
    # or the blob the names are used to decode
    if len(names) >= 2 and (any(unread for _, _, unread in names) or hiding.opaque()):
        line, step, _ = min(names)
        found["names"] = Found("obscured/names", line,
                               f"{len(names)} modules or functions reached through names the cell hides ({step})")
    return list(found.values())


def _hidden_run(unit: _Unit, hiding: _Hiding, call: ast.Call, dotted: str, short: str) -> str | None:
    """A program started through a known starter whose program or command line the folder cannot read back."""
    module = dotted.split(".", 1)[0]
    if short not in STARTERS or module not in STARTER_MODULES or not call.args or \
            module == "asyncio" and not short.startswith("create_subprocess"):
        return None  # asyncio.run(main()) runs a coroutine, not a program
    for part in (_program(unit, call.args[0]), *_inline_code(unit, call.args[0])):
        step = hiding.step(part)
        if step and hiding.unread_here(part):
            return step
    return None


def _inline_code(unit: _Unit, argv: ast.AST) -> list[ast.AST]:
    """The code an interpreter is handed in an argv list: what follows ``-c`` (``[sys.executable, '-c', src]``,
    ``['bash', '-c', cmd]``)."""
    if isinstance(argv, ast.Name) and (bound := unit.bound_once(argv)) is not None:
        argv = bound
    if not isinstance(argv, (ast.List, ast.Tuple)):
        return []
    items = argv.elts
    return [after for flag, after in zip(items, items[1:], strict=False) if unit.value(flag) in ("-c", "-e")]


def _program(unit: _Unit, node: ast.AST, depth: int = 3) -> ast.AST:
    """The part of a command that names what runs: the first item of an argv list (``argv + [url]`` through
    its left side and a name bound once), or the whole command line.  A decoded argument (a URL, a package
    name) is how some people keep links out of sight; a decoded program is hiding what runs."""
    for _ in range(depth):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            node = node.left
        elif isinstance(node, (ast.List, ast.Tuple)) and node.elts:
            node = node.elts[0]
        elif isinstance(node, ast.Name) and (bound := unit.bound_once(node)) is not None:
            node = bound
        else:
            break
    return node


def _executes(unit: _Unit, call: ast.Call, short: str) -> bool:
    """Does this call run Python code given as its first argument?  Also through a name bound to a look-up
    whose object has no dotted name (``run = getattr(sys.modules['builtins'], 'cexe'[::-1])``)."""
    looked_up = unit.bound_once(call.func)
    if short not in EXECUTORS and isinstance(looked_up, ast.Call) and len(looked_up.args) == 2 and \
            unit.name(looked_up) == "getattr":
        short = str(unit.value(looked_up.args[1]))
    if short not in EXECUTORS or not call.args:
        return False
    if short != "compile":
        return True
    mode = call.args[2] if len(call.args) >= 3 else unit.keyword(call, "mode")
    return unit.value(mode) in COMPILE_MODES


def _namespace(unit: _Unit, node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        return unit.name(node) in NAMESPACES
    return isinstance(node, ast.Attribute) and node.attr == "__dict__"
