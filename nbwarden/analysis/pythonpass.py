"""Python AST fact extraction: :class:`_PythonPass` walks a parsed unit once (or only the statements the
prefilter's hits cover) and records imports, commands run through ``subprocess``/``os``/``get_ipython``, code
handed to ``exec``, downloads, written scripts, derived strings and the context of every string literal."""

from __future__ import annotations

import ast
import functools
import re
from typing import Any

from .bindings import METHOD_CALLERS, _Bindings
from .builtincalls import SOURCE_OF
from .calls import (
    ARGV_CALLS,
    CONTAINER_CALLS,
    RUNNER_METHODS,
    RUNNER_ROOTS,
    SHELL_CALLS,
    WORKER_CALLS,
    _CallHandlers,
    run_kind,
)
from .decoders import printable
from .decoders import unpacked as decompressed
from .facts import CODE, CONTEXT_RANK, EXEC, INERT, MAX_DEPTH, Analysis, Fact, clip
from .focus import _FocusedWalk, _grows_list, _stores_data
from .folding import (
    MAX_FOLD,
    MAX_ITEMS,
    _Folder,
    _Function,
)
from .literals import _LiteralReader
from .nesting import _nested, _reads_as_code
from .rewrites import foldable_def, listed, piped, unpacked, zipped_table
from .sites import constant_arguments, context_values, default_references, parsed_arguments
from .wrappers import ARGV, PYTHON, SHELL, find_wrappers

RUNNER_DEFAULT_WORDS = ("system", "popen", "Popen", "subprocess", "getoutput", "spawn")  # a runner as a default
MAX_NAMESPACE_VALUE = 4096  # characters of one value an exec namespace hands its code (CFG = {...})
COPY_CALLS = frozenset({"shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.move", "os.rename", "os.replace",
                        "os.symlink", "os.link"})  # (source, target): what the target is after the call
RUNPY_CALLS = frozenset({"runpy.run_path", "runpy.run_module"})  # a script run in-process with sys.argv as its arguments
PRINT_LIKE = {"print", "display", "Markdown", "HTML", "Latex", "warn", "info", "debug", "warning",
              "error", "critical", "exception", "log", "echo", "secho", "write_stdout"}
# Calls that download something: name -> (url arg, url keyword, file arg, file keyword)
DOWNLOAD_CALLS: dict[str, tuple[int, str, int, str]] = {
    "urllib.request.urlretrieve": (0, "url", 1, "filename"),
    "urllib.urlretrieve": (0, "url", 1, "filename"),
    "wget.download": (0, "url", 1, "out"),
    "gdown.download": (0, "url", 1, "output"),
    "gdown.cached_download": (0, "url", 1, "path"),
    "torch.hub.download_url_to_file": (0, "url", 1, "dst"),
    "torch.hub.load_state_dict_from_url": (0, "url", -1, "file_name"),
    "load_file_from_url": (0, "url", 2, "file_name"),
    "basicsr.utils.download_util.load_file_from_url": (0, "url", 2, "file_name"),
    "torchvision.datasets.utils.download_url": (0, "url", 2, "filename"),
    "tf.keras.utils.get_file": (1, "origin", 0, "fname"),
    "keras.utils.get_file": (1, "origin", 0, "fname"),
    "requests.get": (0, "url", -1, ""),
    "requests.post": (0, "url", -1, ""),
    "httpx.get": (0, "url", -1, ""),
    "urllib.request.urlopen": (0, "url", -1, ""),
    "urlopen": (0, "url", -1, ""),
    "hf_hub_download": (0, "repo_id", 1, "filename"),
    "huggingface_hub.hf_hub_download": (0, "repo_id", 1, "filename"),
    "snapshot_download": (0, "repo_id", -1, ""),
    "huggingface_hub.snapshot_download": (0, "repo_id", -1, ""),
}


# decoders whose result is worth reading wherever the call stands, not only when a name is bound to it
DECODER_CALLS = frozenset({"codecs.decode", "b64decode", "b32decode", "b85decode", "a85decode", "urlsafe_b64decode",
                           "decodebytes", "unhexlify", "a2b_hex", "fromhex", "decompress"})


class _PythonPass(_Bindings, _CallHandlers, _LiteralReader, _FocusedWalk):
    """One walk over a parsed cell collecting facts, spans and derived strings."""

    def __init__(self, analysis: Analysis, tree: ast.Module, depth: int, focus: list[int] | None = None,
                 environ: dict[str, str] | None = None):
        self.analysis = analysis
        self.focus = focus
        self.tree = tree
        self.depth = depth
        self.aliases: dict[str, str] = {}
        self.env: dict[str, Any] = {}
        self.loose_env: dict[str, Any] = {}  # values with unknown parts as {name}, for commands and `$name`
        # os.environ['T'] = 'x': what `$T` is in a later os.system line (starting from what outer code set)
        self.shell_env: dict[str, str] = dict(environ or {})
        self.env["os.environ"] = self.shell_env  # and what os.environ['T'] reads back in Python
        self.folder = _Folder(self.env, self.aliases)
        self.string_ctx: dict[int, str] = {}  # id(node) -> context override
        # focused walk: names bound where the prefilter saw something, and the lines that use them
        self.bound: set[str] = set()
        self.decoded: set[str] = set()  # the bound names that hold decoded values (what is made from them is too)
        self.related: list[int] = []  # sorted line numbers
        self.everything = False  # too many: every statement counts as related
        # name -> [(where its binding ends, env value, loose value)], in order: a name bound again later (cmd = A;
        # run(cmd); cmd = B; run(cmd)) is read at each top-level call as the code left it there
        self.history: dict[str, list[tuple[tuple[int, int], Any, Any]]] = {}
        self.derived_nodes: set[int] = set()  # expressions whose value is already recorded (an assignment's)
        self.loop_of: dict[int, ast.For] | None = None  # a statement's id -> the loop whose body holds it
        self._binding_end = (0, 0)
        self._codecs_named = {}  # codec pattern -> does the unit name it (_LiteralReader._cell_names)
        self._keys = None  # the XOR keys the unit holds (_LiteralReader._xor_keys), found when first needed
        self._bases = None  # the number bases the unit parses text in (_LiteralReader._int_bases)

    def run(self) -> None:
        self.calls: list[ast.Call] = []
        self.self_calls: dict[int, str] | None = None  # calls on their own instance: see _own_class
        self.loops: list[ast.For] = []
        self.comprehensions: list[ast.ListComp | ast.GeneratorExp | ast.SetComp] = []
        self.unpacked: dict[int, list[ast.expr] | None] = {}  # map/generator unpackings, item by item
        self.partials: dict[str, ast.Call] = {}  # names bound once to functools.partial(F, ...)
        self.looked_up: set[str] = set()  # names bound to a module or function found by a computed look-up
        self.tables: dict[int, ast.Dict | None] = {}  # dict(zip(keys, map(...))) as the dict display it makes
        self.strings: list[ast.AST] = []
        self.unread_exec = False  # an exec or compile whose code the folder could not put together
        self.code_read = 0  # texts read as code because they look like it (see _reads_as_code)
        self.assigns: list[ast.AST] = []
        self.slices: list[ast.Subscript] = []
        if self.focus is None:
            self._walk(self.tree)
        else:
            self._visit_body(self.tree.body)
        self.assigns += [bound for call in self.calls if type(call.func) is ast.Lambda
                         for bound in _lambda_bindings(call)]
        if self.loops:
            self._pipelines()
        self.assigns.sort(key=lambda n: (n.lineno, n.col_offset))
        # class attributes are read as Class.name and self.name too (class C: tool = ...; C.tool)
        self.class_of = {id(stmt): node.name for node in self.tree.body if type(node) is ast.ClassDef
                         for stmt in node.body if type(stmt) in (ast.Assign, ast.AnnAssign)}
        self.env.update(_documents(self.tree, self.analysis.source))
        # classes whose objects are called or turned into text (u = Shift(7); u(111)): see callables
        self.folder.classes = {node.name: cls for node in self.tree.body if type(node) is ast.ClassDef
                               and (cls := self.folder.read_class(node)) is not None}
        bound, unresolved = constant_arguments(self.tree, self.folder.fold, self.analysis.source)
        self.env.update(bound)
        if "=" in self.analysis.source and any(word in self.analysis.source for word in RUNNER_DEFAULT_WORDS):
            # def __init__(self, system=os.system): the parameter is that runner
            self.aliases.update(default_references(self.tree, self.folder.reference,
                                                   lambda name: name in SHELL_CALLS or name in ARGV_CALLS))
        if "contextmanager" in self.analysis.source:
            for name, value in context_values(self.tree, self.folder.fold).items():
                self.env.setdefault(name, value)
        if "parse_args" in self.analysis.source:  # args = parser.parse_args(): the namespace the cell's options make
            for name, value in parsed_arguments(self.tree, self.folder.fold).items():
                self.env.setdefault(name, value)
        for node in self.assigns:
            self._assign(node)
        if unresolved:
            # a call spreads values the cell's assignments make (start(*(os.environ[k] for k in keys))): bind its
            # parameters now that they are known, and read the assignments again with them
            later, _ = constant_arguments(self.tree, self.folder.fold, self.analysis.source)
            if any(name not in bound for name in later):
                self.env.update(later)
                for node in self.assigns:
                    self._assign(node)
        runners = [name for name, target in self.aliases.items() if target.split(".")[0] in RUNNER_ROOTS]
        self.wrappers = find_wrappers(self.tree.body, self._classify, self.analysis.source, runners)
        if self.focus is not None and self.wrappers:
            self._wrapper_calls()
        self.calls.extend(self._mapped_runs())
        if "plumbum" in self.analysis.source:
            self._plumbum_runs()
        rebound = {name for name, bindings in self.history.items() if len(bindings) > 1}
        top = self._top_level_calls() if rebound else set()
        for node in self.calls:
            names = {n.id for n in ast.walk(node) if type(n) is ast.Name} & rebound if id(node) in top else None
            if names:
                self._call_as_of(node, names)
            else:
                self._call(node)
        if self.loops or self.comprehensions:
            self._calls_per_item()
        if self.loops or self.comprehensions:
            self._calls_per_function()
        self._calls_per_subclass()
        self._calls_per_site()
        self._calls_per_record()
        for node in self.slices:  # self.call('ebircsbus.gninim'[::-1]): decoded where it stands
            if id(node) not in self.derived_nodes:
                self._derive(node, self.folder.fold(node))
        for node in self.strings:
            self._string(node)
        if self.unread_exec and self.depth < MAX_DEPTH:
            self._code_literals()
        if self.folder.exhausted:
            self.analysis.notes.append("string folding stopped at its work limit; some values were not decoded")

    def _code_literals(self) -> None:
        """In a unit that runs code it puts together at run time (``exec(ast.unparse(module))`` of fragments,
        ``compile('\\n'.join(parts))``) that the folder could not follow: its string literals that are Python
        blocks of their own (a ``def``, a loop, several lines that parse) are read as the code they are."""
        for node in self.strings:
            text = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                self.string_ctx.get(id(node)) != INERT else ""  # (not a docstring or a printed message)
            if not (text and _reads_as_code(text, block=True)):
                continue
            _nested(self.analysis, text, "python", node.lineno, "code fragment", CODE, self.depth + 1, self.shell_env)
            self.code_read += 1
            if self.code_read >= MAX_CODE_LITERALS:
                break

    def _runpy(self, node: ast.Call, name: str) -> None:
        """``runpy.run_path('inference.py')`` after ``sys.argv = [...]`` runs the script as its command line would:
        read as ``python inference.py ARGS`` (``run_module``: ``python -m MODULE ARGS``)."""
        target = self.folder.fold(node.args[0])
        if not isinstance(target, str) or not target:
            return
        argv = self.env.get("sys.argv")
        args = [str(a) for a in argv[1:]] if isinstance(argv, list) else []
        program = ["python", target] if name.endswith("run_path") else ["python", "-m", target]
        self._mark(node.args[0], EXEC)
        self._run_argv(node, name, program + args)

    def _wrapper_calls(self) -> None:
        """A focused walk reads only lines with a hit, and a wrapper's call may have none (``ipfs('daemon')``, the
        tool's name inside the wrapper): the calls of the cell's wrappers are read wherever they stand."""
        names = {name for name in self.wrappers if name.isidentifier()}
        seen = {id(call) for call in self.calls}
        loops = {id(node) for node in (*self.loops, *self.comprehensions)}
        for node in ast.walk(self.tree):
            if type(node) is ast.Call and id(node) not in seen and type(node.func) is ast.Name and node.func.id in names:
                self.calls.append(node)
            elif type(node) in (ast.For, ast.ListComp, ast.GeneratorExp, ast.SetComp) and id(node) not in loops and any(
                    type(n) is ast.Call and type(n.func) is ast.Name and n.func.id in names for n in ast.walk(node)):
                # for t in targets: hit(t): the loop too, so that the call is read once per item
                (self.loops if type(node) is ast.For else self.comprehensions).append(node)

    def _pipeline(self, loop: ast.For) -> ast.Assign | None:
        """A loop that pipes a value through a list of decoders, as one assignment (:func:`piped`); a list named
        by the loop is the last one bound to that name before it."""
        sequence = None
        if isinstance(loop.iter, ast.Name):
            sequence = next((a.value for a in reversed(self.assigns) if type(a) is ast.Assign and a.lineno < loop.lineno
                             and len(a.targets) == 1 and type(a.targets[0]) is ast.Name
                             and a.targets[0].id == loop.iter.id), None)
        return piped(loop, sequence)

    def _pipelines(self) -> None:
        """Replace the assignment inside each pipeline loop the walk collected by the pipeline's own."""
        for loop in self.loops:
            if (pipeline := self._pipeline(loop)) is not None:
                inner = loop.body[0]
                self.assigns = [pipeline if a is inner else a for a in self.assigns]

    def _first_binding(self, name: str) -> ast.expr | None:
        """What the cell's first plain assignment to ``name`` gives it (``j = Job()``, ``mods = tuple(map(...))``)."""
        return next((a.value for a in self.assigns if type(a) is ast.Assign and len(a.targets) == 1
                     and type(a.targets[0]) is ast.Name and a.targets[0].id == name), None)

    def _class_of(self, receiver: ast.AST) -> str:
        """The class an instance was made from, when the cell shows it: ``C()`` itself or a name bound to one."""
        if isinstance(receiver, ast.Name):
            receiver = self._first_binding(receiver.id)
        return receiver.func.id if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) else ""

    def _made_by(self, receiver: ast.AST) -> str:
        """The dotted name of what made an object, when the cell shows it: ``invoke.Context`` for ``c`` after
        ``c = Context()`` (imported from invoke), or for ``Context()`` itself."""
        if isinstance(receiver, ast.Name):
            receiver = self._first_binding(receiver.id)
        return self.resolve(receiver.func) if isinstance(receiver, ast.Call) else ""

    def _own_class(self, call: ast.Call) -> str:
        """The class whose method makes this call on its own instance (``self.run_cmd(c)`` inside ``Setup``)."""
        if self.self_calls is None:
            self.self_calls = {
                id(node): cls.name for cls in self.tree.body if type(cls) is ast.ClassDef
                for item in cls.body if type(item) in (ast.FunctionDef, ast.AsyncFunctionDef) and item.args.args
                for node in ast.walk(item) if type(node) is ast.Call and type(node.func) is ast.Attribute
                and type(node.func.value) is ast.Name and node.func.value.id == item.args.args[0].arg}
        return self.self_calls.get(id(call), "")

    def _top_level_calls(self) -> set[int]:
        """The calls that run where they stand (not in a function or class body, which runs later, when the last
        binding of a name is as good a guess as any)."""
        found: set[int] = set()
        todo: list[ast.AST] = list(self.tree.body)
        while todo:
            node = todo.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            if type(node) is ast.Call:
                found.add(id(node))
            todo.extend(ast.iter_child_nodes(node))
        return found

    def _call_as_of(self, node: ast.Call, names: set[str]) -> None:
        """Handle a top-level call with each re-bound name it reads set to its value at that point."""
        here = (node.lineno, node.col_offset)
        saved = {name: (self.env.get(name), self.loose_env.get(name)) for name in names}
        for name in names:
            earlier = [b for b in self.history[name] if b[0] <= here]
            self._put(name, *(earlier[-1][1:] if earlier else (None, None)))
        try:
            self._call(node)
        finally:
            for name, (value, loose) in saved.items():
                self._put(name, value, loose)

    def _put(self, name: str, value: Any, loose: Any) -> None:
        """Set a name's known and loose values (None: not known)."""
        for env, item in ((self.env, value), (self.loose_env, loose)):
            if item is None:
                env.pop(name, None)
            else:
                env[name] = item

    @functools.cached_property
    def _read_docs(self) -> frozenset[int]:
        """The docstring statements of the cell's definitions, when the cell reads text back from its own
        definitions (``__doc__``, ``inspect.getsource``): see :func:`_documents`."""
        source = self.analysis.source
        if "__doc__" not in source and "getsource" not in source and "getdoc" not in source:
            return frozenset()
        return frozenset(id(node.body[0]) for node in ast.walk(self.tree)
                         if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body
                         and ast.get_docstring(node, clean=False) is not None)

    def _walk(self, root: ast.AST) -> None:
        calls, strings, assigns = self.calls, self.strings, self.assigns
        for node in ast.walk(root):
            kind = type(node)
            if kind is ast.Call:
                calls.append(node)
            elif kind is ast.Constant:
                if isinstance(node.value, str):
                    strings.append(node)
            elif kind is ast.JoinedStr:
                strings.append(node)
            elif kind is ast.Import or kind is ast.ImportFrom:
                self._import(node)
            elif kind is ast.For:
                self.loops.append(node)
            elif kind is ast.ListComp or kind is ast.GeneratorExp or kind is ast.SetComp:
                self.comprehensions.append(node)
            elif kind is ast.Subscript and type(node.slice) is ast.Slice and node.slice.step is not None:
                self.slices.append(node)  # s[::-1], s[::2]: a string read backwards or interleaved
            elif kind is ast.Assign or kind is ast.AnnAssign or kind is ast.AugAssign or (
                    kind is ast.FunctionDef or kind is ast.AsyncFunctionDef) and foldable_def(node):
                assigns.append(node)
            elif kind is ast.Expr and isinstance(node.value, (ast.Constant, ast.JoinedStr)):
                # docstrings and bare strings; a definition's docstring is data where the cell reads it back
                self._mark(node.value, CODE if id(node) in self._read_docs else INERT)
            elif kind is ast.Expr and (_grows_list(node) or _stores_data(node)):
                assigns.append(node)

    # -- helpers

    def _mark(self, node: ast.AST, ctx: str) -> None:
        for sub in ast.walk(node):
            if isinstance(sub, (ast.Constant, ast.JoinedStr)):
                current = self.string_ctx.get(id(sub))
                if current is None or (ctx == INERT) or CONTEXT_RANK[ctx] > CONTEXT_RANK[current]:
                    self.string_ctx[id(sub)] = ctx

    def resolve(self, node: ast.AST) -> str:
        """The dotted name of a call target: ``__import__('os').system`` and ``getattr(os, x)`` are ``os.system``."""
        return self.folder.name(node)

    def _evidence(self, node: ast.AST) -> str:
        lines = self.analysis.lines
        lineno = getattr(node, "lineno", 1)
        return clip(lines[lineno - 1] if 0 < lineno <= len(lines) else "")

    def _fact(self, kind: str, value: Any, node: ast.AST, context: str = EXEC, via: str = "", evidence: str = "") -> None:
        self.analysis.facts.append(Fact(kind, value, context, getattr(node, "lineno", 1),
                                        evidence or self._evidence(node), via))

    def _derived(self, value: Any, node: ast.AST, context: str, via: str) -> str | None:
        """Record a folded value that does not appear verbatim in the source."""
        text = printable(value) if isinstance(value, (str, bytes)) else None
        packed = None
        if text is None and isinstance(value, bytes):  # an item of a decoded table that is compressed source
            raw, packed = decompressed(value)
            text = printable(raw) if packed else None
            via = f"{via}+{packed}" if packed else via
        if text is None and isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            text = " ".join(value)
        if text:
            self._fact("text", text, node, context, via, evidence=f"{self._evidence(node)}  ⇒  {clip(text, 120)}")
            if self.depth < MAX_DEPTH and self.code_read < MAX_CODE_LITERALS and _reads_as_code(text):
                # source decoded at run time (a compressed item of a table, a reversed blob), whoever runs it
                self.code_read += 1
                _nested(self.analysis, text, "python", getattr(node, "lineno", 1), via, CODE, self.depth + 1)
        return text

    # -- node handlers

    def _import(self, node: ast.AST, facts: bool = True) -> None:
        """Import facts and aliases; with ``facts=False`` only the aliases (an import line the prefilter passed over)."""
        if isinstance(node, ast.Import):
            for alias in node.names:
                if facts:
                    self._fact("import", alias.name, node)
                self.aliases[(alias.asname or alias.name).split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        else:
            module = node.module or ""
            if node.level:
                return  # relative imports name the user's own code
            if facts:
                self._fact("import", module, node)
            for alias in node.names:
                if alias.name != "*":
                    if facts:
                        self._fact("import", f"{module}.{alias.name}", node)
                    self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}"

    def _partial_call(self, node: ast.Call, made: ast.Call) -> ast.Call:
        """``run(x)`` after ``run = partial(F, a, k=v)``, read as the call it makes: ``F(a, x, k=v)``;
        ``operator.methodcaller('open', p, password=w)(pk)`` (also through a name) as ``pk.open(p, password=w)``."""
        if self.folder.name(made.func) in METHOD_CALLERS:
            method = self.folder.fold(made.args[0])
            if isinstance(method, str) and method.isidentifier() and len(node.args) == 1 and not node.keywords:
                # rewritten where it stands, so that the shape checks read the plain call too
                node.func = ast.copy_location(ast.Attribute(value=node.args[0], attr=method, ctx=ast.Load()), node)
                node.args, node.keywords = made.args[1:], made.keywords
            return node
        call = ast.Call(func=made.args[0], args=[*made.args[1:], *node.args], keywords=[*made.keywords, *node.keywords])
        return ast.copy_location(call, node)

    def _template_skeleton(self, expr: ast.AST) -> str | None:
        """Code rendered from a known template whose fields are not all known (``exec(TPL % params)`` with
        ``params = {'to': VICTIM, 'user': input()}``): the template with each unknown field written as a
        placeholder of its type (``%(user)r`` as ``'{user}'``), so the code's shape can be read."""
        if not (isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod)):
            return None
        template = self.folder.fold(expr.left)
        table = expr.right
        if isinstance(table, ast.Name):  # the dict display the name was last given before this line
            given = [a.value for a in self.assigns if isinstance(a, ast.Assign) and a.lineno <= expr.lineno and
                     any(isinstance(t, ast.Name) and t.id == table.id for t in a.targets)]
            table = given[-1] if given else None
        if not isinstance(template, str) or not isinstance(table, ast.Dict) or len(template) > MAX_FOLD:
            return None
        values = {key: self.folder.fold(v) for k, v in zip(table.keys, table.values, strict=True)
                  if k is not None and isinstance(key := self.folder.fold(k), str)}

        def field(match: re.Match) -> str:
            name, kind = match.group(1), match.group(2)
            value = values.get(name)
            if value is None:
                return repr(f"{{{name}}}") if kind == "r" else "0" if kind in "di" else f"{{{name}}}"
            return repr(value) if kind == "r" else str(value)
        return re.sub(r"%\((\w+)\)[-+ #0]*\d*(?:\.\d+)?([srdi])", field, template.replace("%%", "\0")).replace("\0", "%")

    def _namespace_given(self, node: ast.Call) -> str:
        """``exec(code, {'CFG': cfg})``: the names the namespace gives the code, as assignments put before it (each
        value the pass can read and write back as a literal), so that the inner code's reads of them fold."""
        lines = []
        for expr in node.args[1:3] + [k.value for k in node.keywords if k.arg in {"globals", "locals"}]:
            space = self.folder.fold(expr)
            for name, value in space.items() if isinstance(space, dict) else ():
                text = repr(value) if isinstance(name, str) and name.isidentifier() and _literal(value) else ""
                if text and len(text) <= MAX_NAMESPACE_VALUE:
                    lines.append(f"{name} = {text}\n")
        return "".join(lines[:MAX_ITEMS])

    def _plain_call(self, node: ast.Call, name: str) -> None:
        """A call whose function the cell hides (``getattr(s, 'tnerrot_dda'[::-1])(p)``, ``push(d)`` after
        ``push = s.sendto``, ``S(opts)`` after ``S = getattr(lt, 'session')``), written out plainly as derived
        text: the rules' regexes read it as they would read ``s.add_torrent(p)``."""
        args = ", ".join(clip(ast.unparse(a), 80) for a in node.args[:4])
        self._derived(f"{name}({args})", node, CODE, "lookup")

    def _spread_keywords(self, node: ast.Call, name: str) -> None:
        """``m.tts_to_file(**kw)`` with ``kw = {'speaker' + '_wav': ref, ...}``: the keywords a spread dict gives,
        written out as derived text (``tts_to_file(text=..., speaker_wav='ref.wav')``) when one of their names is
        not written in the cell, so the rules read them as they would read the call spelled out."""
        given: dict[str, Any] = {}
        for keyword in node.keywords:
            value = self.folder.fold(keyword.value) if keyword.arg is None else None
            shown = self._first_binding(keyword.value.id) if type(keyword.value) is ast.Name else None
            if isinstance(shown, ast.Dict):  # kw = {'speaker' + '_wav': ref, ...} with ref a parameter: the names
                value = {**{self.folder.fold(k): self.folder.fold(v) for k, v in zip(
                    shown.keys[:MAX_ITEMS], shown.values, strict=False) if k is not None},
                    **(value if isinstance(value, dict) else {})}
            if isinstance(value, dict):
                given.update((k, v) for k, v in list(value.items())[:MAX_ITEMS] if isinstance(k, str) and k.isidentifier())
        if not any(key not in self.analysis.source for key in given):
            return
        words = ", ".join(f"{k}={clip(repr(v), 80) if isinstance(v, (str, int)) else '...'}" for k, v in given.items())
        self._derived(f"{name.rsplit('.', 1)[-1]}({words})", node, CODE, "keywords")

    def _zipped(self, expr: ast.AST) -> ast.AST:
        """:func:`.rewrites.zipped_table` made once per expression (its calls read with the cell's own), else
        the expression itself."""
        if id(expr) not in self.tables:
            table = self.tables[id(expr)] = zipped_table(expr)
            self.calls.extend(v for v in (table.values if table is not None else ()) if isinstance(v, ast.Call))
        return self.tables[id(expr)] or expr

    def _unpacked(self, expr: ast.AST, count: int) -> list[ast.expr] | None:
        """:func:`.rewrites.unpacked`, made once per expression; each item's call is read later with the
        cell's own calls (``o, s = map(__import__, ('os', 'subprocess'))`` imports both)."""
        if id(expr) not in self.unpacked:
            if isinstance(expr, ast.Name):  # mods = tuple(map(...)); a, b = mods
                expr = self._first_binding(expr.id) or expr
            function = self.env.get(expr.func.id) if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) \
                and not expr.args and not expr.keywords else None
            if isinstance(function, _Function) and not function.params and function.rest is None:
                parts = listed(function.body)  # a, b, c = stages(): a generator of the cell that only yields
                parts = parts if parts is not None and len(parts) == count else None
            else:
                parts = unpacked(expr, count)
            self.unpacked[id(expr)] = parts
            self.calls.extend(part for part in parts or () if isinstance(part, ast.Call))
        return self.unpacked[id(expr)]

    def _classify(self, call: ast.Call) -> tuple[str, str | None]:
        """A call's name and how it runs its first argument (:func:`.calls.run_kind`), for the wrapper search;
        of a choice of callee (``(Popen if bg else run)(c, shell=True)``), the first side that runs it."""
        func = call.func
        names = [self.resolve(side) for side in ((func.body, func.orelse) if type(func) is ast.IfExp else (func,))]
        return next(((n, kind) for n in names if (kind := run_kind(n, call))), (names[0], None))

    def _reference(self, expr: ast.AST) -> str | None:
        """:meth:`_Folder.reference`, also through a choice (``a if c else b``, ``a or b``): either side
        names what the cell means to call."""
        if isinstance(expr, ast.IfExp):
            return self.folder.reference(expr.body) or self.folder.reference(expr.orelse)
        if isinstance(expr, ast.BoolOp):
            return next((n for v in expr.values if (n := self.folder.reference(v)) is not None), None)
        return self.folder.reference(expr)

    def _derive(self, expr: ast.AST, value: Any) -> None:
        """A string assembled at run time (chr lists, base64, concatenation) may be used anywhere later:
        record it, alone or as an item of a literal list, tuple or dict."""
        if isinstance(expr, (ast.Call, ast.BinOp, ast.Subscript)) and isinstance(value, (str, bytes)):
            self.derived_nodes.add(id(expr))
            self._derived(value, expr, CODE, "+".join(sorted(self.folder.methods)) or "concat")
        elif isinstance(expr, ast.Call) and isinstance(value, (list, dict)) and value:
            self.derived_nodes.add(id(expr))  # dict(zip(keys, map(decode, blobs))): each decoded string
            via = "+".join(sorted(self.folder.methods)) or "concat"
            for item in list(value.values() if isinstance(value, dict) else value)[:64]:
                if isinstance(item, (str, bytes)):
                    self._derived(item, expr, CODE, via)
        elif isinstance(expr, (ast.List, ast.Tuple)) and isinstance(value, list):
            for item, folded in zip(expr.elts[:64], value, strict=False):
                self._derive(item, folded)
        elif isinstance(expr, ast.Dict) and isinstance(value, dict):
            for key, item in zip(expr.keys[:64], expr.values, strict=False):
                if isinstance(key, ast.Constant) and isinstance(key.value, (str, int)):
                    self._derive(item, value.get(key.value))

    def _fold_arg(self, node: ast.Call, index: int, keyword: str, loose: bool = False) -> Any:
        expr = node.args[index] if 0 <= index < len(node.args) else next(
            (kw.value for kw in node.keywords if kw.arg == keyword), None)
        if expr is None:
            return None
        value = self.folder.fold(expr)
        return self._loose(expr) if value is None and loose else value

    def _call(self, node: ast.Call) -> None:
        if type(node.func) is ast.Name and node.func.id in self.partials:
            node = self._partial_call(node, self.partials[node.func.id])
        elif type(node.func) is ast.Call and node.func.args and self.folder.name(node.func.func) in METHOD_CALLERS:
            node = self._partial_call(node, node.func)
        if type(node.func) is ast.Name and (wrapper := self.wrappers.get(node.func.id)) is not None:
            self._wrapped(node, node.func.id, wrapper)
            return
        if type(node.func) is ast.Subscript and self.wrappers and type(node.func.value) is ast.Name:
            key = self.folder.fold(node.func.slice)  # ops['go'](cmd), ops[i](cmd): a lambda kept in a table
            entry = f"{node.func.value.id}[{key!r}]" if isinstance(key, (str, int)) else ""
            if (wrapper := self.wrappers.get(entry)) is not None:
                self._wrapped(node, entry, wrapper)
                return
        if type(node.func) is ast.Attribute and self.wrappers and (wrapper := self.wrappers.get(
                f"{self._class_of(node.func.value) or self._own_class(node)}.{node.func.attr}")) is not None:
            self._wrapped(node, node.func.attr, wrapper)  # Job().start(cmd), job.start(cmd), self.start(cmd)
            return
        name = self.resolve(node.func)
        if type(node.func) is ast.Attribute and (made := self._made_by(node.func.value)) and \
                f"{made}.{node.func.attr}" in RUNNER_METHODS:
            name = f"{made}.{node.func.attr}"  # c = invoke.Context(); c.run(line)
        short = name.rsplit(".", 1)[-1]
        written = node.func.attr if type(node.func) is ast.Attribute else node.func.id if type(node.func) is ast.Name else ""
        if "." in name and short.isidentifier() and (short != written or self.looked_up and (
                root := _root_name(node.func)) in self.looked_up and not name.startswith(f"{root}.")):
            self._plain_call(node, name)  # (ssh.create_server(...) after ssh = importlib.import_module(x))
        if short in PRINT_LIKE or name.startswith(("logging.", "logger.", "log.")):
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                self._mark(arg, INERT)
            return
        if any(k.arg is None for k in node.keywords):
            self._spread_keywords(node, name)
        if name.startswith("get_ipython.") or name.startswith("IPython.get_ipython."):
            self._ipython_call(node, short)
            return
        if short in WORKER_CALLS and self._handed_command(node, short):
            return
        if name.endswith(CONTAINER_CALLS) or name == "exec_run":
            self._container_call(node, name, short)
            return
        kind = run_kind(name, node)
        if kind == SHELL:
            value = self._fold_arg(node, 0, "args" if name in ARGV_CALLS else "command", loose=True)
            if node.args:
                self._mark(node.args[0], EXEC)
            if isinstance(value, list):
                value = " ".join(str(v) for v in value)
            if isinstance(value, bytes):  # libc.system(b'...') through ctypes
                value = printable(value)
            if isinstance(value, str):
                self._note_derived(node.args[0] if node.args else node, value)
                self._shell_line(value, node.lineno, name)
            return
        if kind == ARGV or name.startswith(("os.exec", "os.spawn")):
            self._argv_call(node, name)
            return
        if name in RUNPY_CALLS and node.args:
            self._runpy(node, name)
            return
        if kind == PYTHON and node.args:
            code = self.folder.fold(node.args[0])
            if code is None:
                code = self._template_skeleton(node.args[0])
            text = printable(code) if isinstance(code, (str, bytes)) else None
            if not text:
                self.unread_exec = True  # code put together at run time (ast.unparse of fragments): see _code_literals
            if text and self.depth < MAX_DEPTH:
                via = "+".join(sorted(self.folder.methods)) or "exec"
                self._mark(node.args[0], EXEC)
                _nested(self.analysis, self._namespace_given(node) + text, "python", node.lineno, f"{short}({via})",
                        EXEC, self.depth + 1, self.shell_env)
            return
        module = self.folder.imported(node)
        if module is not None:
            self._fact("import", module, node, via=short)
            return
        if name in COPY_CALLS and len(node.args) >= 2:  # shutil.copy(shutil.which('rclone'), gw): a renamed program
            source, target = self.folder.fold(node.args[0]), self.folder.fold(node.args[1])
            if isinstance(source, str) and isinstance(target, str):
                self._fact("copy", (source, target), node, via=short)
            return
        spec = DOWNLOAD_CALLS.get(name) or DOWNLOAD_CALLS.get(short) if short in {
            "hf_hub_download", "snapshot_download", "load_file_from_url", "urlretrieve", "download_url_to_file",
            "get_file", "urlopen"} else DOWNLOAD_CALLS.get(name)
        if spec:
            self._download(node, name, spec)
            return
        if name in {"torch.hub.load", "torch.hub.list", "torch.hub.help"} and node.args:
            repo = self.folder.fold(node.args[0])
            if isinstance(repo, str) and "/" in repo and not repo.startswith(("/", ".")):
                self._fact("git", f"github.com/{repo.split(':')[0]}", node, via="torch.hub")
            return
        for arg in (*node.args, *(k.value for k in node.keywords)):
            if isinstance(arg, ast.BinOp) and id(arg) not in self.derived_nodes:  # get_model("/c/" + "inswap" + ...)
                self._derive(arg, self.folder.fold(arg))
        if id(node) not in self.derived_nodes and (name in DECODER_CALLS or short in DECODER_CALLS or
                                                   type(node.func) is ast.Name and
                                                   isinstance(self.env.get(node.func.id), _Function)):
            value = self.folder.fold(node)  # if msg['method'] == R('lsvgba.tavavz'): decoded where it stands
            # fn('ONSWC...') with fn = lambda s: getattr(cv, b32decode(s)): the name it looks up, as text
            self._derive(node, value if value is not None else self.folder.reference(node))
        if short in {"write", "write_text", "writelines", "write_bytes"} and node.args:
            self._written(node, name)


def _literal(value: Any, depth: int = 0) -> bool:
    """Is ``repr(value)`` Python that gives the value back (plain data, a few levels deep)?"""
    if value is None or type(value) in (str, bytes, int, float, bool):
        return True
    if depth > 4 or type(value) not in (list, tuple, dict):
        return False
    items = [*value.keys(), *value.values()] if type(value) is dict else value
    return all(_literal(item, depth + 1) for item in items)


def _lambda_bindings(call: ast.Call) -> list[ast.Assign]:
    """``(lambda f, c: f(c))(os.system, cmd)`` binds its parameters as assignments would: ``f = os.system``."""
    params = call.func.args.args
    out = []
    for param, arg in zip(params, call.args, strict=False):
        if isinstance(arg, ast.Starred):
            break
        out.append(ast.Assign(targets=[ast.Name(id=param.arg, ctx=ast.Store())], value=arg, lineno=call.lineno,
                              col_offset=call.col_offset, end_lineno=call.lineno, end_col_offset=call.col_offset))
    return out


def _root_name(node: ast.AST) -> str:
    """The name an attribute chain starts from (``ssh`` of ``ssh.create_server``), else ""."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


MAX_CODE_LITERALS = 16  # texts read as code because they look like it, per unit


def _documents(tree: ast.Module, source: str) -> dict[str, str]:
    """Text a cell can read back from its own definitions: ``f.__doc__`` and ``C.__doc__`` of its top-level
    functions and classes (and ``self.__doc__`` when one class has a docstring), and, when the cell calls
    ``getsource``, ``f.<source>``: what ``inspect.getsource(f)`` gives.  Payloads kept in docstrings and comments."""
    found: dict[str, str] = {}
    documented = []
    wants_source = "getsource" in source
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        doc = ast.get_docstring(node, clean=False)
        if doc is not None:
            found[f"{node.name}.__doc__"] = doc
            if isinstance(node, ast.ClassDef):
                documented.append(doc)
        if wants_source and (text := ast.get_source_segment(source, node, padded=True)) is not None:
            found[f"{node.name}.{SOURCE_OF}"] = text
    if len(documented) == 1:
        found["self.__doc__"] = found["cls.__doc__"] = documented[0]
    return found

