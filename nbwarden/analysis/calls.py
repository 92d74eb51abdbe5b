"""How a Python call runs a command: the shell and argv calls of ``os``/``subprocess``/``get_ipython``, the cell's own
wrappers around them, workers started on them, calls in a loop over steps the cell spells out, and the downloads
and written scripts beside them.

:class:`_CallHandlers` is mixed into the walk in :mod:`.pythonpass`, which decides which handler a call goes to;
the handlers turn the call's folded arguments into command, download and script facts.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .. import shell
from .builtincalls import WRITTEN
from .commands import add_shell, add_written_file
from .decoders import printable
from .facts import CODE, EXEC, MAX_DEPTH, Analysis, clip
from .focus import _stores_data
from .folding import _Function, _target_names, dotted, joined
from .ipython import CELL_MAGIC_PYTHON, CELL_MAGIC_SHELL, _line_magic, script_language
from .nesting import _nested, _reads_as_code, _writefile, service_commands
from .rewrites import substituted
from .sites import RECORDED_CALL_WORDS, recorded_calls, several_sites
from .wrappers import ARGV, PYTHON, SHELL, VARARGS, Wrapper

# written files whose name says they hold something other than Python (the rest are read as Python if they parse)
PLAIN_SUFFIX = re.compile(r"\.(txt|md|json|ya?ml|toml|ini|cfg|conf|csv|tsv|html?|js|css|xml|log|rst)$", re.I)

SHELL_CALLS = {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
               "commands.getoutput", "commands.getstatusoutput", "asyncio.create_subprocess_shell",
               "get_ipython.system", "get_ipython.getoutput", "get_ipython.system_raw",
               "get_ipython.system_piped", "IPython.get_ipython.system", "IPython.utils.process.system",
               "IPython.utils.process.getoutput",
               # invoke's local runner: c = Context(); c.run("line"), and invoke.run("line")
               "invoke.run", "invoke.Context.run", "invoke.context.Context.run",
               # the C library's system() through ctypes
               "ctypes.CDLL.system", "ctypes.cdll.LoadLibrary.system", "ctypes.PyDLL.system"}
ARGV_CALLS = {"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
              "subprocess.Popen", "asyncio.create_subprocess_exec", "pty.spawn", "os.posix_spawn",
              "os.posix_spawnp", "sh.Command", "pexpect.spawn", "pexpect.run",
              # the async frameworks' own (a sequence is an argv, a string a shell line)
              "anyio.open_process", "anyio.run_process", "trio.run_process", "trio.lowlevel.open_process"}
EXEC_CALLS = {"exec", "eval", "compile", "builtins.exec", "builtins.eval", "execfile"}
# the runners above that are methods of an object the cell makes (c = Context(); c.run(line))
RUNNER_METHODS = frozenset(name for name in SHELL_CALLS | ARGV_CALLS if name.split(".")[-2:-1] and
                           name.split(".")[-2][:1].isupper())
# Docker's SDK: a container started with an image and a command, or a command run in one (read as the CLI's line)
CONTAINER_CALLS = (".containers.run", ".containers.create", ".exec_run")
# the modules (and builtins) the calls above come from: an alias of one may run a command
RUNNER_ROOTS = frozenset(name.split(".")[0] for name in (*SHELL_CALLS, *ARGV_CALLS, *EXEC_CALLS))
# Calls that start a worker on a function and its arguments (Thread(target=os.system, args=(cmd,)))
WORKER_CALLS = {"Thread", "Process", "Timer", "submit", "apply_async", "run_in_executor", "start_new_thread"}
# methods that hand each item of their second argument to their first (executor.map(f, xs), pool.imap(f, xs))
ITEM_MAPPERS = frozenset({"map", "imap", "imap_unordered", "map_async"})
# plumbum's ways of running a bound command: enc[args] & BG (in the background), & FG, & TF, & RETCODE
PLUMBUM_MODIFIERS = frozenset({"BG", "FG", "TF", "TEE", "RETCODE", "NOHUP"})
MAX_LOOP_ITEMS = 64  # a loop over more items than this is data, not a list of steps
MAX_LOOP_ASSIGNS = 32  # a loop body with more assignments than this is a program, not a step filled in
MAX_WRITTEN_COMMANDS = 400  # commands read from one written compose file, pipeline or Dockerfile


def shell_keyword(call: ast.Call) -> bool:
    """``shell=True``: an argv call that runs its argument as a shell line."""
    return any(k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value for k in call.keywords)


def run_kind(name: str, call: ast.Call) -> str | None:
    """How a call of ``name`` runs its first argument: a shell line, an argv list, Python code, or not at all."""
    if name in SHELL_CALLS or name in ARGV_CALLS and shell_keyword(call):
        return SHELL
    if name in ARGV_CALLS:
        return ARGV
    if name in EXEC_CALLS:
        return PYTHON
    return None


def _bound_here(node: ast.AST) -> set[str]:
    """The names an assignment, a list-growing statement (``argv.append(x)``) or a file write binds or changes."""
    if isinstance(node, ast.Expr):  # argv.append(x), or json.dump(spec, fh): the file's slot
        owner = node.value.func.value
        return {WRITTEN} if _stores_data(node) or not isinstance(owner, ast.Name) else {owner.id}
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


def _placeholder(node: ast.AST) -> str:
    """Stand-in for a value the folder cannot know, e.g. ``{hash_file}``."""
    return "{" + (dotted(node) or "?") + "}"


# a URL read loosely that still says where it downloads from and what: a known host, a known last path part
LOOSE_URL = re.compile(r"https?://[\w.-]+(?::\d+)?/[^\s]*/[^{}/\s?]+\.[\w.]+")
TEMP_FILES = frozenset({"mkstemp", "NamedTemporaryFile"})  # a temporary file: its suffix says what it holds


class _CallHandlers:
    """The command-running calls of :class:`.pythonpass._PythonPass` (which provides ``folder``, ``analysis``,
    ``depth``, ``shell_env``, ``loose_env``, ``_mark``, ``_fact``, ``_evidence`` and ``_derived``), and the
    reading of command lines whose parts are not all known (``_loose``)."""

    analysis: Analysis
    depth: int
    shell_env: dict[str, str]
    loose_env: dict[str, Any]
    tree: ast.Module

    def _handed_command(self, node: ast.Call, short: str) -> bool:
        """``Thread(target=os.system, args=(cmd,))``, ``pool.submit(subprocess.run, argv)``: the command a worker
        is started with runs too."""
        target = next((k.value for k in node.keywords if k.arg == "target"), None)
        payload = next((k.value for k in node.keywords if k.arg == "args"), None)
        position = {"run_in_executor": 1, "Timer": 1}.get(short, 0)
        if target is None and len(node.args) > position:
            target = node.args[position]
            if payload is None and len(node.args) > position + 1:
                payload = node.args[position + 1] if short in {"start_new_thread", "Timer"} else \
                    ast.Tuple(elts=node.args[position + 1:], ctx=ast.Load())
        name = self.resolve(target) if target is not None else ""
        if not (name in SHELL_CALLS or name in ARGV_CALLS) or payload is None:
            return False
        first = payload.elts[0] if isinstance(payload, (ast.Tuple, ast.List)) and payload.elts else None
        if first is None:
            return False
        self._mark(first, EXEC)
        value = self.folder.fold(first)
        if value is None:
            value = self._loose(first)
        if name in SHELL_CALLS and isinstance(value, str):
            self._shell_line(value, node.lineno, f"{short}({name})")
        elif name in ARGV_CALLS:
            self._run_argv(node, f"{short}({name})", value)
        return True

    def _shell_line(self, text: str, line: int, via: str) -> None:
        """A shell line a call runs, with the variables the cell put in ``os.environ`` expanded as the shell
        would (``os.environ['T'] = 'x'`` then ``os.system('$T ...')``)."""
        if self.shell_env and "$" in text:
            text = re.sub(r"\$\{?(\w+)\}?", lambda m: self.shell_env.get(m.group(1), m.group(0)), text)
        add_shell(self.analysis, text, line, via, EXEC, self.depth)

    def _container_call(self, node: ast.Call, name: str, short: str) -> None:
        """Docker's SDK (``client.containers.run(image, command, ports=...)``, ``container.exec_run(cmd)``): read
        as the ``docker run`` or ``docker exec`` line it stands for, so the image and the command are read as the
        command line's are."""
        command = self._fold_arg(node, 0 if short == "exec_run" else 1, "cmd" if short == "exec_run" else "command",
                                 loose=True)
        if short == "exec_run":
            words = ["docker", "exec", "{container}"]
        else:
            image = self._fold_arg(node, 0, "image", loose=True)
            words = ["docker", "run"]
            ports = self._fold_arg(node, -1, "ports")
            for inner, outer in (ports.items() if isinstance(ports, dict) else ()):
                words += ["-p", f"{outer}:{str(inner).split('/')[0]}"]
            words.append(image if isinstance(image, str) else _placeholder(node.args[0] if node.args else node))
        if isinstance(command, list):
            words += [str(word) for word in command]
        elif isinstance(command, str):
            words += ["sh", "-c", command]
        for arg in node.args[:2]:
            self._mark(arg, EXEC)
        self._shell_line(shlex.join(words), node.lineno, f"{short}({name})")

    def _note_derived(self, arg: ast.AST, value: str) -> None:
        if not isinstance(arg, ast.Constant):
            via = "+".join(sorted(self.folder.methods)) or "concat"
            self._derived(value, arg, EXEC, via)

    def _argv_call(self, node: ast.Call, name: str) -> None:
        argv: Any
        if name.startswith(("os.exec", "os.spawn", "os.posix_spawn")):
            # the program is the path argument; argv[0] is only a display name
            first = 1 if name.startswith("os.spawn") else 0
            program = self.folder.fold(node.args[first]) if len(node.args) > first else None
            if name.startswith(("os.execl", "os.spawnl")):
                rest = [self.folder.fold(a) for a in node.args[first + 2:]]
            else:
                # an argv with a part known only at run time (f"http://127.0.0.1:{port}") is read loose
                listed = self._loose_list(node.args[first + 1], 0) if len(node.args) > first + 1 else []
                rest = [str(v) for v in listed[1:]] if isinstance(listed, list) else []
                if not isinstance(program, str) and isinstance(listed, list) and listed:
                    program = listed[0]  # shutil.which(a[0]) or '/usr/sbin/' + a[0]: argv[0] names it
            argv = [program, *rest] if isinstance(program, str) and all(isinstance(v, str) for v in rest) else None
        elif name == "asyncio.create_subprocess_exec":  # (program, *args): each argument is a word
            argv = self._spread(node.args)
        else:
            argv = self._fold_arg(node, 0, "args", loose=True)
        for arg in node.args:
            self._mark(arg, EXEC)
        entries = self._entries_chosen(node.args[0]) or self._methods_chosen(node.args[0]) \
            if argv is None and node.args else None
        for entry in entries or [argv]:  # TABLE[key] with a key known only at run time: each entry may run
            self._run_argv(node, name, entry)
        if isinstance(argv, list) and argv and self.depth < MAX_DEPTH and node.keywords:
            self._program_on_stdin(node, name, argv)

    def _program_on_stdin(self, node: ast.Call, name: str, argv: list[Any]) -> None:
        """``subprocess.run(['bash', '-s'], input=script)``: an interpreter with no script of its own reads its
        program from the input it is handed, so that text runs."""
        program = shell.program_name(str(argv[0]))
        kind = "shell" if program in shell.SHELLS else "python" if shell.PYTHONS.match(program) else None
        if kind is None or not all(str(a).startswith("-") for a in argv[1:]):
            return
        text = self._fold_arg(node, -1, "input")  # (keyword only)
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        if isinstance(text, str) and text.strip():
            _nested(self.analysis, text, kind, node.lineno, f"{name} {program} <input>", EXEC, self.depth + 1,
                    self.shell_env)

    def _entries_chosen(self, expr: ast.AST) -> list[Any] | None:
        """The entries of a table the cell spells out (a dict or a list), when one is picked by a key or an index
        the pass cannot read (``subprocess.call(TABLE[mode])``)."""
        if type(expr) is not ast.Subscript or isinstance(expr.slice, ast.Slice) or \
                self.folder.fold(expr.slice) is not None:
            return None
        table = self.folder.fold(expr.value)
        entries = list(table.values()) if isinstance(table, dict) else table if isinstance(table, list) else None
        return entries if entries and len(entries) <= MAX_LOOP_ITEMS else None

    def _methods_chosen(self, expr: ast.AST) -> list[Any] | None:
        """The argv lists the cell's classes would give, when the object whose method makes one is picked at run
        time (``REGISTRY[key]().argv(t)``, a plugin chosen from a table): each class's method may run."""
        if type(expr) is not ast.Call or type(expr.func) is not ast.Attribute or \
                type(expr.func.value) is not ast.Call or type(expr.func.value.func) is ast.Name:
            return None  # (Pinger().argv(t) and self.argv(t) are read as they are)
        found: list[Any] = []
        for name, cls in list(self.folder.classes.items())[:MAX_LOOP_ITEMS]:
            method = cls.methods.get(expr.func.attr)
            if method is None or method.rest is not None:
                continue
            # (self.binary: the class's own attribute)
            argv = self._loose_applied(method, expr, {"self": ast.Name(name, ast.Load())})
            if isinstance(argv, list) and argv and argv not in found:
                found.append(argv)
        return found or None

    def _spread(self, args: list[ast.expr]) -> list[Any] | None:
        """Positional arguments as one word list, ``*argv`` spread in place."""
        words: list[Any] = []
        unknown = 0
        for arg in args[:256]:
            if isinstance(arg, ast.Starred):  # (tool, '--flood', *extra, host): unknown words stand as one placeholder
                value = self._loose_list(arg.value, 0)
                unknown += value is None
                words.extend(value if value is not None else [_placeholder(arg.value)])
            else:
                words.append(self._loose_part(arg, 0))
        return words if len(words) > unknown else None

    def _wrapped(self, node: ast.Call, func: str, wrapper: Wrapper) -> None:
        """A call of the cell's own command wrapper (:mod:`.wrappers`): read as the command it runs."""
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            self._mark(arg, EXEC)
        if wrapper.index == VARARGS:
            value: Any = self._spread(node.args)  # sh('a', 'b'), sh(*decoded_words)
        else:
            expr = node.args[wrapper.index] if wrapper.index < len(node.args) else next(
                (k.value for k in node.keywords if k.arg == wrapper.param), None)
            if expr is None:
                return
            value = self.folder.fold(expr)
            if value is None:
                value = self._loose(expr)
        if not isinstance(value, (str, list)) or not value:
            return
        template = wrapper.template
        if not (type(template) is ast.Name and template.id == wrapper.param):
            bound = {wrapper.param: value}  # the parameters, seen through the wrapper's own expression
            for index, param in wrapper.others:
                expr = node.args[index] if index < len(node.args) else next(
                    (k.value for k in node.keywords if k.arg == param), None)
                other = self.folder.fold(expr) if expr is not None else None
                if isinstance(other, (str, int, list)):
                    bound[param] = other
            with self._scoped(set(bound)):
                for param, other in bound.items():
                    self.env[param] = other
                built = self.folder.fold(template)
                value = built if built is not None else self._loose(template) or value
        via = f"{func}() {wrapper.inner}"
        if wrapper.kind == ARGV:
            self._run_argv(node, via, value)
            return
        text = " ".join(map(str, value)) if isinstance(value, list) else str(value)
        if wrapper.kind == SHELL:
            self._shell_line(text, node.lineno, via)
        elif wrapper.kind == PYTHON and self.depth < MAX_DEPTH:
            _nested(self.analysis, text, "python", node.lineno, via, EXEC, self.depth + 1, self.shell_env)

    def _plumbum_runs(self) -> None:
        """plumbum's commands: ``enc = local["ffmpeg"]`` (or ``local.cmd.ffmpeg``), then ``enc(*args)``,
        ``enc[args]()`` or ``enc[args] & BG``: the program run with those arguments."""
        for node in ast.walk(self.tree):
            if type(node) is ast.Call:
                target, extra = node.func, node.args
            elif type(node) is ast.BinOp and type(node.op) is ast.BitAnd and type(node.right) is ast.Name and \
                    node.right.id in PLUMBUM_MODIFIERS:
                target, extra = node.left, []
            else:
                continue
            bound: list[ast.expr] = []
            if type(target) is ast.Subscript and type(target.value) is ast.Name:  # enc[args]: arguments bound
                bound = target.slice.elts if type(target.slice) is ast.Tuple else [target.slice]
                target = target.value
            program = self._plumbum_program(target)
            if program is None:
                continue
            words: list[str] = [program]
            for part in [*bound, *extra]:
                value = self.folder.fold(part.value if type(part) is ast.Starred else part)
                if isinstance(value, list):  # enc[args] or enc(*args) with args a list the cell spells out
                    words.extend(str(v) for v in value)
                else:
                    words.append(str(value) if isinstance(value, (str, int)) else _placeholder(part))
            self._mark(node, EXEC)
            self._run_argv(node, "plumbum", words)

    def _plumbum_program(self, expr: ast.AST) -> str | None:
        """The program a plumbum command object stands for (``local["ff" + "mpeg"]``, a name bound to one)."""
        if type(expr) is ast.Name:
            expr = self._first_binding(expr.id)
        if type(expr) is ast.Subscript and self.resolve(expr.value) == "plumbum.local":
            program = self.folder.fold(expr.slice)
            return program if isinstance(program, str) and program else None
        if type(expr) is ast.Attribute and self.resolve(expr.value) == "plumbum.local.cmd":
            return expr.attr
        return None

    def _run_argv(self, node: ast.Call, name: str, argv: Any) -> None:
        """Command facts for an argv list (or a line to split) that a call runs."""
        if isinstance(argv, str):
            argv = shell.tokenize(argv)
        if isinstance(argv, list) and argv and all(isinstance(v, (str, int)) for v in argv):
            argv = [str(v) for v in argv]
            facts = shell.parse_argv(argv)
            evidence = self._evidence(node)
            folded_via = "+".join(sorted(self.folder.methods))
            if folded_via:
                evidence = f"{evidence}  ⇒  {clip(' '.join(argv), 120)}"
            for cmd in facts.commands:
                self._fact("command", tuple(cmd.argv), node, EXEC, f"{name} {cmd.via} {folded_via}".strip(), evidence)
            # code handed to an interpreter (python -c CODE) is read as given: the shell line made of the argv
            # below would cut a program of several lines at its first line break
            code = set(facts.python_code)
            for program in code if self.depth < MAX_DEPTH else ():
                _nested(self.analysis, program, "python", node.lineno, f"{name} python -c", EXEC, self.depth + 1,
                        self.shell_env)
            line = [a for before, a in zip(["", *argv], argv, strict=False) if not (before == "-c" and a in code)]
            sub = Analysis(source="", kind="python")
            add_shell(sub, " ".join(shlex.quote(a) for a in line), node.lineno, name, EXEC, self.depth)
            for fact in sub.facts:
                if fact.kind != "command":
                    fact.evidence = evidence
                    self.analysis.facts.append(fact)
            self.analysis.files_run.extend(sub.files_run)

    def _ipython_call(self, node: ast.Call, method: str) -> None:
        values = [self.folder.fold(a) for a in node.args]
        for arg in node.args:
            self._mark(arg, EXEC)
        if method in {"system", "getoutput", "system_raw", "system_piped"} and values[:1] and (
                isinstance(line := values[0] if values[0] is not None else self._loose(node.args[0]), str)):
            # (a line with parts known only at run time, '... "{magnet}"'.format_map(row), is read loose)
            add_shell(self.analysis, line, node.lineno, f"get_ipython().{method}", EXEC, self.depth)
        elif method == "run_line_magic" and len(values) >= 2 and all(isinstance(v, str) for v in values[:2]):
            env: list = []
            _line_magic(self.analysis, f"%{values[0]} {values[1]}", node.lineno, env)
            for text, line, via in env:
                add_shell(self.analysis, text, line, via, EXEC, self.depth)
        elif method == "run_cell_magic" and len(values) >= 3 and all(isinstance(v, str) for v in values[:3]):
            magic, line, body = values[:3]
            if magic == "script":  # run_cell_magic('script', 'python3 --bg', code): what the line names runs it
                magic = {"shell": "bash", "python": "python3"}.get(script_language(line) or "", "script")
            if magic in CELL_MAGIC_SHELL:
                add_shell(self.analysis, body, node.lineno, f"%%{magic}", EXEC, self.depth)
            elif magic == "writefile":
                _writefile(self.analysis, line.split()[-1] if line.split() else "", body, node.lineno)
            elif magic in CELL_MAGIC_PYTHON and self.depth < MAX_DEPTH:
                _nested(self.analysis, body, "python", node.lineno, f"%%{magic}", EXEC, self.depth + 1)

    def _download(self, node: ast.Call, name: str, spec: tuple[int, str, int, str]) -> None:
        url_index, url_kw, file_index, file_kw = spec
        url = named = self._fold_arg(node, url_index, url_kw)
        filename = self._fold_arg(node, file_index, file_kw) if file_kw else None
        if not isinstance(url, str):
            # a release URL with an unknown version in it (".../download/" + spec["v"] + "/tool.tar.gz"): read with
            # the unknown part as a placeholder, kept when the host and the file's name are known
            url = self._fold_arg(node, url_index, url_kw, loose=True)
            if not isinstance(url, str) or not LOOSE_URL.fullmatch(url):
                return
            named = re.sub(r"\{[^{}]*\}", "_", url)  # a placeholder's "?" is no query
        if "hf_hub_download" in name or "snapshot_download" in name:
            source = f"hf://{url}"
        else:
            source = url
            self._fact("url", url, node)
        if not isinstance(filename, str) or not filename:
            filename = named.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        self._fact("download", (source, filename.rsplit("/", 1)[-1]), node, via=name.rsplit(".", 1)[-1])

    def _opened_as(self, name: str) -> ast.Call | None:
        """The call a file name was first bound to (``with open(p, 'w') as name``, ``name = open(p, 'w')``); the
        table is built once per unit, on the first write that needs it."""
        table = getattr(self, "_openers", None)
        if table is None:
            table = self._openers = {}
            for node in ast.walk(self.tree):
                if isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name) and \
                        isinstance(node.context_expr, ast.Call):
                    table.setdefault(node.optional_vars.id, node.context_expr)
                elif isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                        isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call):
                    table.setdefault(node.targets[0].id, node.value)
        return table.get(name)

    def _mapped_runs(self) -> list[ast.Call]:
        """A runner handed items to run one by one (``map(os.system, cmds)``, ``pool.map(subprocess.run, argvs)``,
        ``df.cmd.map(os.system)``, ``df['cmd'].apply(os.system)``, ``col.map(lambda a: subprocess.Popen(a))``):
        the call it makes for each item the folder knows (``os.system(cmds[0])``, ...), read like any call."""
        made: list[ast.Call] = []
        for call in self.calls:
            func, args = call.func, call.args
            if type(func) is ast.Name and func.id == "map" and len(args) == 2 or \
                    type(func) is ast.Attribute and func.attr in ITEM_MAPPERS and len(args) == 2:
                runner, items = args  # map(f, xs), executor.map(f, xs), pool.imap(f, xs)
            elif type(func) is ast.Attribute and func.attr in {"map", "apply"} and len(args) == 1 and \
                    not call.keywords:
                runner, items = args[0], func.value  # a pandas column's map or apply
            else:
                continue
            if type(runner) is ast.Lambda:
                # lambda a: subprocess.Popen(a, ...): the runner's call in the body, with the item for the parameter
                params = runner.args.args
                if len(params) != 1 or type(runner.body) is not ast.Call or \
                        self._classify(runner.body)[1] is None:
                    continue
                body, param = runner.body, params[0].arg
            elif self._classify(ast.Call(func=runner, args=[items], keywords=[]))[1] is None:
                continue
            else:
                body, param = None, ""
            value = self.folder.fold(items)
            for index in range(min(len(value), MAX_LOOP_ITEMS) if isinstance(value, list) else 0):
                item = ast.copy_location(ast.Subscript(value=items, slice=ast.Constant(index), ctx=ast.Load()), call)
                one = substituted(body, {param: item}) if body is not None else \
                    ast.Call(func=runner, args=[item], keywords=[])
                made.append(ast.fix_missing_locations(ast.copy_location(one, call)))
        return made

    def _calls_per_item(self) -> None:
        """A call in a loop over a list the cell spells out (``for step in steps: os.system(step)``, commands
        filled from a table each round, argv lists built item by item in the body) is handled once per item,
        with the loop's name bound to that item and the body's assignments read again for it."""
        handled = {id(call) for call in self.calls}
        loops: list[tuple[ast.AST, ast.For | ast.comprehension]] = [(loop, loop) for loop in self.loops]
        loops += [(node.elt, node.generators[0]) for node in self.comprehensions if len(node.generators) == 1]
        for scope, loop in loops:  # [Popen([tool, u]) for u in targets]: the element once per item too
            names = _target_names(loop.target)
            if not names or not self._spelled_out(loop.iter):
                continue  # numbers, lines of a file, data the cell does not show: not a list of steps
            inside = {id(n) for n in ast.walk(scope)}
            body = [a for a in self.assigns if id(a) in inside]
            if len(body) > MAX_LOOP_ASSIGNS:
                body = []
            bound = {*names, *(name for a in body for name in _bound_here(a))}
            inner = [n for n in ast.walk(scope) if type(n) is ast.Call and id(n) in handled and
                     any(type(a) is ast.Name and a.id in bound for arg in (*n.args, *(k.value for k in n.keywords))
                         for a in ast.walk(arg))]
            items = self._loop_items(loop) if inner else None
            if items is None:
                continue

            def step(body: list[ast.AST] = body, inner: list[ast.Call] = inner) -> None:
                for node in body:  # argv = []; for t in seg: argv.append(decode(t))
                    self._assign(node)
                for call in inner:
                    self._call(call)

            self._per_item(loop, items, bound, step)

    def _calls_per_function(self) -> None:
        """A call in a loop or comprehension over a tuple of the cell's own functions (``for g in (a, b):
        run(*g())``, ``[spawn(*g()) for g in (a, b)]``) is handled once per function, with its name in place of
        the loop's."""
        handled = {id(call) for call in self.calls}
        for node in (*self.loops, *self.comprehensions):
            if type(node) is ast.For:
                target, items, scope = node.target, node.iter, node
            elif len(node.generators) == 1:
                target, items, scope = node.generators[0].target, node.generators[0].iter, node.elt
            else:
                continue
            if type(target) is not ast.Name or type(items) not in (ast.Tuple, ast.List) or \
                    not 0 < len(items.elts) <= MAX_LOOP_ITEMS:
                continue
            names = [e.id for e in items.elts if type(e) is ast.Name and isinstance(self.env.get(e.id), _Function)]
            if len(names) != len(items.elts):
                continue
            for call in [n for n in ast.walk(scope) if type(n) is ast.Call and id(n) in handled]:
                if any(type(n) is ast.Name and n.id == target.id for n in ast.walk(call)):
                    for name in names:
                        self._call(ast.copy_location(substituted(call, {target.id: ast.Name(id=name, ctx=ast.Load())}),
                                                     call))

    def _calls_per_site(self) -> None:
        """A function of the cell called a few times with different constants (``_install(TTYD_URL, VIEWER)``,
        ``_install(CF_URL, EDGE)``): the calls in its body that use its parameters are handled once per call site,
        with the parameters bound to that site's values and the body's assignments read again."""
        handled = {id(call) for call in self.calls}
        wanted = self._worth_reading_again(handled, lambda stmt: self.analysis.source.count(stmt.name + "(") >= 3)
        if wanted:
            for function, bindings in several_sites(self.tree, self.folder.fold, self.analysis.source, wanted):
                self._read_per_binding(function, bindings, handled)

    def _worth_reading_again(self, handled: set[int], first: Callable[[ast.AST], bool]) -> set[str]:
        """The names of the top-level functions that pass ``first`` (a cheap test of the text, tried before any
        walk) and whose body holds a call this pass handled: the ones worth reading again with other bindings."""
        return {stmt.name for stmt in getattr(self.tree, "body", ()) if type(stmt) in (ast.FunctionDef, ast.AsyncFunctionDef)
                and first(stmt) and any(type(n) is ast.Call and id(n) in handled for n in ast.walk(stmt))}

    def _read_per_binding(self, function: ast.AST, bindings: list[dict[str, Any]], handled: set[int]) -> None:
        """Handle the calls in ``function``'s body that use its parameters once per binding of them, the body's
        assignments read again each time (per call site, or per recorded dict of arguments)."""
        inside = {id(n) for n in ast.walk(function)}
        params = {name for b in bindings for name in b}
        body = [a for a in self.assigns if id(a) in inside and a is not function]
        bound = {*params, *(name for a in body for name in _bound_here(a))}
        calls = [c for c in self.calls if id(c) in inside and id(c) in handled and
                 any(type(n) is ast.Name and n.id in bound for n in ast.walk(c))]
        if calls:
            with self._scoped(bound):
                for values in bindings:
                    self._read_again(values, body, calls)

    def _calls_per_record(self) -> None:
        """A function of the cell (a tool an agent calls) whose parameters are the keys of a dict the cell spells
        out, a recorded tool call's arguments: the calls in its body that use its parameters are handled once per
        such dict, with the parameters bound to its values (:func:`.sites.recorded_calls`)."""
        source = self.analysis.source
        if not any(word in source for word in RECORDED_CALL_WORDS):
            return  # (a walk of the whole tree for its dicts is not worth it in a cell that hands none over)
        handled = {id(call) for call in self.calls}
        wanted = self._worth_reading_again(handled, lambda stmt: any(  # a parameter's name quoted: a dict's key
            f'"{a.arg}"' in source or f"'{a.arg}'" in source for a in (*stmt.args.posonlyargs, *stmt.args.args)))
        if wanted:
            for function, bindings in recorded_calls(self.tree, self.folder.fold, source, wanted):
                self._read_per_binding(function, bindings, handled)

    def _calls_per_subclass(self) -> None:
        """A base class whose methods run what its subclasses keep (``class Svc: def start(self): spawn(self.argv)``
        and ``class Browser(Svc): _enc = [...]``): the base's calls are handled once per subclass of the cell, with
        ``self.<name>`` set to that subclass's class attributes and the methods' assignments read again."""
        classes = {node.name: node for node in self.tree.body if type(node) is ast.ClassDef}
        if len(classes) < 2:
            return
        handled = {id(call) for call in self.calls}
        for sub in classes.values():
            bases = [classes[b.id] for b in sub.bases if type(b) is ast.Name and b.id in classes]
            kept = {f"self.{t.id}": stmt.value for stmt in sub.body if type(stmt) is ast.Assign
                    for t in stmt.targets if type(t) is ast.Name}
            if len(bases) != 1 or not kept:
                continue
            inside = {id(n) for n in ast.walk(bases[0])}
            in_methods = {id(n) for method in bases[0].body if type(method) in (ast.FunctionDef, ast.AsyncFunctionDef)
                          for stmt in method.body for n in ast.walk(stmt)}  # not the base's own class attributes
            body = [a for a in self.assigns if id(a) in in_methods and type(a) is not ast.FunctionDef]
            calls = [c for c in self.calls if id(c) in inside and id(c) in handled]
            if not calls:
                continue
            values = {name: self.folder.fold(expr) for name, expr in kept.items()}
            with self._scoped({*values, *(name for a in body for name in _bound_here(a))}):
                self._read_again(values, body, calls)

    def _read_again(self, values: dict[str, Any], body: list[ast.AST], calls: list[ast.Call]) -> None:
        """Bind ``values``, read ``body``'s assignments again with them, and handle ``calls`` again (inside a
        :meth:`_scoped` block, which puts the names back afterwards)."""
        for name, value in values.items():
            self._put(name, value, None)
        for node in body:
            self._assign(node)
        for call in calls:
            self._call(call)

    def _per_item(self, loop: ast.For | ast.comprehension, items: list[Any], names: set[str],
                  step: Callable[[], None]) -> None:
        """Run ``step`` once per item with the loop's target bound to it; afterwards ``names`` (the target's and
        any the step binds) hold what they held before."""
        with self._scoped(names):
            for item in items:
                if self.folder._bind(loop.target, item):
                    step()

    @contextmanager
    def _scoped(self, names: set[str]) -> Iterator[None]:
        """Within the block ``names`` may be bound at will; afterwards they hold what they held before, and their
        binding history is as it was."""
        saved = {name: (self.env.get(name), self.loose_env.get(name)) for name in names}
        remembered = {name: len(self.history.get(name, ())) for name in names}
        try:
            yield
        finally:
            for name, (value, loose) in saved.items():
                self._put(name, value, loose)
            for name, count in remembered.items():
                if name in self.history:
                    del self.history[name][count:]

    def _loop_items(self, loop: ast.For | ast.comprehension) -> list[Any] | None:
        """The items a loop goes over, when the cell spells them out and there are not too many."""
        if not self._spelled_out(loop.iter):
            return None
        items = self.folder.fold(loop.iter)
        if isinstance(items, dict):
            items = list(items)
        return items if isinstance(items, list) and 0 < len(items) <= MAX_LOOP_ITEMS else None

    def _spelled_out(self, node: ast.AST) -> bool:
        """Does a loop go over items the cell writes out: a short literal list, a name bound to a known list or
        dict, or ``enumerate``/``zip``/``.items()`` of one?  Checked before any walk or fold of the loop."""
        kind = type(node)
        if kind is ast.List or kind is ast.Tuple:
            return len(node.elts) <= MAX_LOOP_ITEMS
        if kind is ast.Name:
            return isinstance(self.env.get(node.id), (list, dict))
        if kind is ast.Attribute and type(node.value) is ast.Name:  # for p in self.parts: kept by __init__
            return isinstance(self.env.get(f"{node.value.id}.{node.attr}"), (list, dict))
        if kind is ast.Subscript and type(node.slice) is ast.Constant:  # for p in self.spec["parts"]: a known entry
            return self._spelled_out(node.value)
        if kind is ast.Call:
            func = node.func
            if type(func) is ast.Attribute and func.attr in {"items", "values", "keys", "itertuples", "iterrows"}:
                return self._spelled_out(func.value)  # (a pandas table the cell spells out: its rows)
            if type(func) is ast.Attribute and func.attr in {"split", "splitlines"}:  # the lines of a known script
                return type(func.value) is ast.Name and isinstance(self.env.get(func.value.id), str) or \
                    type(func.value) is ast.Call  # dx(enc).split(" "): the words of a decoded command
            if type(func) is ast.Name and func.id in {"enumerate", "zip", "reversed", "sorted", "product"} or \
                    dotted(func) == "itertools.product":
                return bool(node.args) and all(self._spelled_out(a) for a in node.args[:4])
            if type(func) is ast.Name and not node.args and isinstance(self.env.get(func.id), _Function):
                return True  # for line in build_steps(): the list the cell's own function returns
        return False

    def _written(self, node: ast.Call, name: str) -> None:
        low_level = name == "os.write" and len(node.args) == 2  # os.write(fd, data) to a descriptor
        written = node.args[1] if low_level else node.args[0]
        content = self.folder.fold(written)
        if content is None:  # a template filled with values known only at run time: its known words
            content = self._loose(written)
        if isinstance(content, list):
            content = "".join(c for c in content if isinstance(c, str))
        if isinstance(content, bytes):
            content = printable(content)
        if not isinstance(content, str) or not content.strip():
            return
        target = ""
        func = node.func
        opener = func.value if isinstance(func, ast.Attribute) else None
        if isinstance(opener, ast.Name):  # with open('job.sh', 'w') as f: f.write(...)
            opener = self._opened_as(opener.id)
        if isinstance(opener, ast.Call) and dotted(opener.func).rsplit(".", 1)[-1] in TEMP_FILES:
            target = self._suffix(opener)  # NamedTemporaryFile(suffix='.sh')
        elif isinstance(opener, ast.Call) and opener.args:
            target = self.folder.fold(opener.args[0]) or self._loose(opener.args[0]) or ""  # /tmp/x_{pid}.sh
        elif isinstance(opener, ast.BinOp):  # (app / "__main__.py").write_text(...)
            target = self.folder.fold(opener) or ""
        if low_level and isinstance(node.args[0], ast.Name):
            target = self._temp_suffix(node.args[0].id)
        for command in filter(None, service_commands(content).split("\n")):
            # a service manager's unit (systemd ExecStart=, supervisord command=): it runs these lines later
            add_shell(self.analysis, command, node.lineno, f"service unit {target or 'written'}", CODE, self.depth)
        is_script = str(target).endswith(".sh") or content.startswith("#!/bin/") or content.startswith("#!/usr/bin/env bash")
        # Path('stack/docker-compose.yml').write_text(compose): its services are what compose runs later
        if target and add_written_file(self.analysis, str(target), content, node.lineno, f"written to {target}", CODE,
                                       self.depth, numbered=False, limit=MAX_WRITTEN_COMMANDS):
            return
        if is_script:
            add_shell(self.analysis, content, node.lineno, f"written to {target or 'a file'}", CODE, self.depth)
        elif self.depth < MAX_DEPTH and (str(target).endswith(".py") or
                                         not PLAIN_SUFFIX.search(str(target)) and _reads_as_code(content)):
            # a .py file, or a program written where the name gives no kind (a module run later by its package)
            _nested(self.analysis, content, "python", node.lineno, f"written to {target or 'a file'}", CODE,
                    self.depth + 1)

    def _temp_suffix(self, name: str) -> str:
        """The suffix of the temporary file a name holds (``fd, path = tempfile.mkstemp(suffix='.sh')``)."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                    dotted(node.value.func).rsplit(".", 1)[-1] in TEMP_FILES and \
                    any(isinstance(n, ast.Name) and n.id == name for t in node.targets for n in ast.walk(t)):
                return self._suffix(node.value)
        return ""

    def _suffix(self, maker: ast.Call) -> str:
        """The ``suffix=`` a temporary file is made with (``''`` when none is known)."""
        suffix = next((k.value for k in maker.keywords if k.arg == "suffix"), None)
        value = self.folder.fold(suffix) if suffix is not None else None
        return value if isinstance(value, str) else ""

    def _loose(self, expr: ast.AST, depth: int = 0) -> Any:
        """A command line whose parts are not all known: unknown parts become ``{name}`` (``sys.executable`` is
        ``python``).  Lists, f-strings, ``+``, ``%`` and ``.format`` are read this way, ``a if c else b`` as
        ``a``, and a name bound earlier to such a value as that value."""
        if depth > 8:
            return None
        if isinstance(expr, (ast.List, ast.Tuple)) and expr.elts:
            words: list[Any] = []
            for e in expr.elts[:4096]:
                if isinstance(e, ast.Starred):  # [tool, *flags, host]: the words of flags in place
                    spread = self._loose_list(e.value, depth)
                    words.extend(map(str, spread) if spread is not None else [_placeholder(e.value)])
                    continue
                v = self.folder.fold(e)
                words.append(v if isinstance(v, (str, int)) else self._loose_part(e, depth))
            return words
        if isinstance(expr, ast.JoinedStr):
            return joined(expr, lambda value: self._loose_part(value.value, depth))
        if isinstance(expr, ast.Name):
            return self.loose_env.get(expr.id)
        if isinstance(expr, ast.Call) and not expr.keywords and (  # shlex.split(cmd), cmd.split(): the line itself
                dotted(expr.func) == "shlex.split" and len(expr.args) == 1
                or isinstance(expr.func, ast.Attribute) and expr.func.attr == "split" and not expr.args):
            inner = self._loose(expr.args[0] if expr.args else expr.func.value, depth + 1)
            return inner if isinstance(inner, str) else None
        if isinstance(expr, ast.IfExp):
            return self._loose_part(expr.body, depth)
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "join" and \
                len(expr.args) == 1 and isinstance(sep := self.folder.fold(expr.func.value), str) and \
                isinstance(parts := self._loose(expr.args[0], depth + 1), list):
            return sep.join(map(str, parts))  # " ".join([ns.exe, f"--url={ns.pool}", ...]) with a part unknown
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and \
                expr.func.attr in {"encode", "decode"} and len(expr.args) <= 1 and not expr.keywords:
            inner = self._loose(expr.func.value, depth + 1)  # ('... %d' % port).encode(): the line as bytes
            return inner if isinstance(inner, str) else None
        if isinstance(expr, ast.Call) and isinstance(expr.func, (ast.Name, ast.Attribute)) and \
                not any(isinstance(a, ast.Starred) for a in expr.args) and \
                isinstance(function := self.folder._callee(expr.func, depth), _Function) and function.rest is None:
            # argv_for("seed", item), self.argv(): the cell's own function or method, its body read with the call's
            # arguments in place
            # (an argument with no known value, a loop's item, stays a placeholder)
            return self._loose_applied(function, expr, {}, depth + 1)
        if isinstance(expr, ast.Call) and not expr.keywords and isinstance(expr.func, ast.Name) and (
                expr.func.id in {"list", "tuple"} and len(expr.args) == 1 or expr.func.id == "filter" and
                len(expr.args) == 2 and isinstance(expr.args[0], ast.Constant) and expr.args[0].value is None):
            inner = self._loose(expr.args[-1], depth + 1)  # list(filter(None, [exe, "-o", pool, ...]))
            return [v for v in inner if v != ""] if isinstance(inner, list) and expr.func.id == "filter" else inner
        if isinstance(expr, ast.Call) and expr.args and not expr.keywords and \
                dotted(expr.func) in {"os.path.join", "posixpath.join", "path.join"}:
            # os.path.join(BASE, "run_server.py"): the script's name is known even when its folder is not
            return "/".join(self._loose_part(a, depth).rstrip("/") for a in expr.args[:16])
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            sides = [self._loose_list(side, depth) for side in (expr.left, expr.right)]
            if all(isinstance(side, list) for side in sides):  # cli + ["download", link]: one argv
                return sides[0] + sides[1]
            left, right = self._loose_part(expr.left, depth), self._loose_part(expr.right, depth)
            return left + right
        # a template written here or kept in a name or a class attribute: CMD % (a, b), CMD.format(path=p)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod) and \
                isinstance(template := self.folder.fold(expr.left), str):
            values = expr.right.elts if isinstance(expr.right, ast.Tuple) else [expr.right]
            parts = iter([self._loose_part(v, depth) for v in values])
            return re.sub(r"%[-+ #0]*\d*(?:\.\d+)?[sdirfx]", lambda m: next(parts, m.group(0)), template)
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and \
                expr.func.attr in {"substitute", "safe_substitute"} and isinstance(expr.func.value, ast.Call) and \
                dotted(expr.func.value.func).rsplit(".", 1)[-1] == "Template" and expr.func.value.args and \
                isinstance(template := self.folder.fold(expr.func.value.args[0]), str):
            # string.Template(text).substitute(name=..., ...): $name and ${name} filled, unknown values as {name}
            named = {k.arg: self._loose_part(k.value, depth) for k in expr.keywords if k.arg}
            return re.sub(r"\$(?:(\w+)|\{(\w+)\})",
                          lambda m: named.get(m.group(1) or m.group(2), m.group(0)), template)
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and \
                expr.func.attr in {"format", "format_map"} and isinstance(template := self.folder.fold(expr.func.value), str):
            if expr.func.attr == "format_map":  # '... -d "{dir}" "{magnet}"'.format_map(row): known keys filled
                mapping = self.folder.fold(expr.args[0]) if len(expr.args) == 1 else None
                parts = iter(())
                named = {k: str(v) for k, v in mapping.items() if isinstance(v, (str, int))} \
                    if isinstance(mapping, dict) else {}
            else:
                parts = iter([self._loose_part(a, depth) for a in expr.args])
                named = {k.arg: self._loose_part(k.value, depth) for k in expr.keywords if k.arg}
            return re.sub(r"\{(\w*)[^{}]*\}", lambda m: named.get(m.group(1)) or next(parts, m.group(0)), template)
        return None

    def _loose_applied(self, function: _Function, call: ast.Call, bound: dict[str, ast.expr], depth: int = 0) -> Any:
        """The loose reading of a one-expression function's body with a call's arguments in place of its parameters
        (and ``bound`` for the names the call does not pass)."""
        given = {**bound, **dict(zip(function.params, call.args, strict=False))}
        given.update({k.arg: k.value for k in call.keywords if k.arg in function.params})
        return self._loose(substituted(function.body, given), depth)

    def _loose_list(self, expr: ast.AST, depth: int) -> list[Any] | None:
        """An argv list, known or loose (``["npx", "webtorrent-cli"]`` kept in a name), else None."""
        value = self.folder.fold(expr)
        if not isinstance(value, list):
            value = self._loose(expr, depth + 1)
        return value if isinstance(value, list) else None

    def _loose_part(self, expr: ast.AST, depth: int) -> str:
        value = self.folder.fold(expr)
        if isinstance(value, (str, int)):
            return str(value)  # sys.executable folds to "python"
        loose = self._loose(expr, depth + 1)
        if isinstance(loose, list):
            return " ".join(map(str, loose))
        return loose if isinstance(loose, str) else _placeholder(expr)
