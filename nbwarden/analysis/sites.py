"""Parameters whose value the cell shows: a function (or a class's ``__init__``) called once, with constants; and
names a call binds where the cell shows what it gives (``with local_server() as base`` of the cell's context
manager, ``args = parser.parse_args()`` of the options the cell declares).

Obfuscated cells spread their work over helpers: ``class Boot: def __init__(self, blob): text = decode(blob) ...``
then ``Boot('M25s...')``.  Inside the helper ``blob`` is just a name; at its one call site it is a constant.
Binding such a parameter to that constant lets the folder decode what the body makes of it, where the body
stands.  Only names that nothing else binds are bound, so no other code's name changes meaning.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable
from typing import Any

from .callables import _Object
from .rewrites import substituted

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# how a dict of a function's arguments is handed over to it: fn(**args), an agent framework's tool call
RECORDED_CALL_WORDS = ("(**", ", **", "arguments", "tool_use", "execute_function", "function_call")
MAX_SITE_FUNCTIONS = 64  # functions looked at in one cell


def _params(function: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> list[ast.arg]:
    params = [*function.args.posonlyargs, *function.args.args]
    return params[1:] if method else params


def _callables(tree: ast.Module) -> dict[str, tuple[ast.FunctionDef | ast.AsyncFunctionDef, bool]]:
    """The cell's top-level functions by name, its top-level classes by name (their ``__init__``), under
    ``Class()`` what calling an instance runs (``__call__``: ``Job()(line)``), and under ``.name`` the other
    methods whose name no other class of the cell uses (``runner.run(bundle)``: only one method it can be)."""
    found: dict[str, tuple[ast.FunctionDef | ast.AsyncFunctionDef, bool]] = {}
    methods: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
    for node in tree.body:
        if isinstance(node, FUNCTIONS):
            found[node.name] = (node, False)
        elif isinstance(node, ast.ClassDef):
            for method in node.body:
                if isinstance(method, FUNCTIONS) and method.name in {"__init__", "__call__"}:
                    found[node.name if method.name == "__init__" else f"{node.name}()"] = (method, True)
                elif isinstance(method, FUNCTIONS) and not method.decorator_list and not method.name.startswith("__"):
                    methods.setdefault(method.name, []).append(method)
        if len(found) >= MAX_SITE_FUNCTIONS:
            break
    for name, defined in methods.items():
        if len(defined) == 1 and len(found) < MAX_SITE_FUNCTIONS:
            found[f".{name}"] = (defined[0], True)
    return found


def _imported(tree: ast.Module) -> frozenset[str]:
    """The names the cell's top-level imports bind (a module's ``x.run(...)`` is never the cell's method)."""
    return frozenset((alias.asname or alias.name).split(".")[0] for node in tree.body
                     if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names)


def _site_name(call: ast.Call, modules: frozenset[str] = frozenset()) -> str | None:
    """``f`` for ``f(...)``, ``C()`` for ``C()(...)``, ``.m`` for ``obj.m(...)`` on anything but an imported
    module: the key of :func:`_callables` a call reaches."""
    func = call.func
    if type(func) is ast.Name:
        return func.id
    if type(func) is ast.Call and type(func.func) is ast.Name:
        return f"{func.func.id}()"
    if type(func) is ast.Attribute:
        root = func.value
        while type(root) is ast.Attribute:
            root = root.value
        if not (type(root) is ast.Name and root.id in modules):
            return f".{func.attr}"
    return None


def _call_sites(tree: ast.Module, names: dict, lines: list[str]) -> dict[str, list[ast.Call]]:
    """The calls of ``names``: in the cell's statements outside its functions and classes (all of them: a focused
    pass may have skipped the line that calls), and inside a function or class only where the text shows the name
    called (``def script(): voiced('...')``), so the bodies of the rest are not walked."""
    sites: dict[str, list[ast.Call]] = {}
    walked: list[ast.stmt] = []
    defs: list[ast.stmt] = []
    for stmt in tree.body:
        (defs if isinstance(stmt, (*FUNCTIONS, ast.ClassDef)) else walked).append(stmt)
    words = {name.rstrip("()") for name in names}
    called = re.compile(r"\b(" + "|".join(map(re.escape, sorted(words))) + r")\s*\(")
    for stmt in defs:
        # its decorators' lines (@voiced('...') calls voiced) and its body, not its own def line
        first = min((d.lineno for d in stmt.decorator_list), default=stmt.lineno)
        text = [*lines[first - 1:stmt.lineno - 1], *lines[stmt.lineno:stmt.end_lineno or stmt.lineno]]
        if stmt.body and stmt.body[0].lineno == stmt.lineno:  # def go(): voiced('...') on one line
            text.append(lines[stmt.lineno - 1])
        if any(called.search(line) for line in text):
            walked.append(stmt)
    modules = _imported(tree)
    for stmt in walked:
        for node in ast.walk(stmt):
            if type(node) is ast.Call and (key := _site_name(node, modules)) in names:
                sites.setdefault(key, []).append(node)
            elif type(node) is ast.Call and (handed := _handed_call(node)) is not None and \
                    (key := _site_name(handed, modules)) in names:
                sites.setdefault(key, []).append(handed)
    return sites


# calls that run a function they are handed with the arguments after it (a thread, an executor)
HANDING = {"run_sync": 0, "to_thread": 0, "run_in_executor": 1, "submit": 0, "start_soon": 0}


def _handed_call(call: ast.Call) -> ast.Call | None:
    """``anyio.to_thread.run_sync(fetch, cfg)``, ``loop.run_in_executor(None, fetch, cfg)``: the call it makes,
    ``fetch(cfg)``."""
    func = call.func
    where = HANDING.get(func.attr if type(func) is ast.Attribute else func.id if type(func) is ast.Name else "")
    if where is None or len(call.args) <= where or type(call.args[where]) is not ast.Name or \
            any(type(a) is ast.Starred for a in call.args):
        return None
    return ast.copy_location(ast.Call(func=call.args[where], args=list(call.args[where + 1:]), keywords=[]), call)


def _given(params: list[ast.arg], positional: list[ast.AST | Any], call: ast.Call) -> dict[str, ast.AST | Any]:
    """What a call hands each parameter it fills: its positional arguments in order, then its keywords."""
    given = {p.arg: a for p, a in zip(params, positional, strict=False)}
    given.update((k.arg, k.value) for k in call.keywords if k.arg)
    return given


def _sites_and_bindings(tree: ast.Module, names: set[str]) -> tuple[dict[str, int], dict[str, int]]:
    """In one walk of the whole cell: how many calls each of ``names`` has, and how many times each name is bound
    (parameters, assignments, loop targets, imports).  Only done when a constant argument was found."""
    sites: dict[str, int] = {}
    counts: dict[str, int] = {}
    modules = _imported(tree)
    for node in ast.walk(tree):
        kind = type(node)
        if kind is ast.Call:
            if (key := _site_name(node, modules)) in names or \
                    (handed := _handed_call(node)) is not None and (key := _site_name(handed, modules)) in names:
                sites[key] = sites.get(key, 0) + 1
            continue
        if kind is ast.arg:
            name = node.arg
        elif kind is ast.Name and type(node.ctx) is not ast.Load:
            name = node.id
        elif kind is ast.alias:
            name = (node.asname or node.name).split(".")[0]
        else:
            continue
        counts[name] = counts.get(name, 0) + 1
    return sites, counts


def _positional(call: ast.Call, fold: Callable[[ast.AST], Any]) -> list[ast.AST | Any] | None:
    """A call's positional arguments, a starred one spread when it folds to a list (``start(*(decode(k) for k in
    keys))``, as a decorator's rewrite leaves it): expressions, or the spread values; None when one is unknown."""
    out: list[ast.AST | Any] = []
    for arg in call.args:
        if isinstance(arg, ast.Starred):
            spread = fold(arg.value)
            if not isinstance(spread, list):
                return None
            out.extend(spread)
        else:
            out.append(arg)
    return out


def constant_arguments(tree: ast.Module, fold: Callable[[ast.AST], Any], source: str) -> tuple[dict[str, Any], bool]:
    """``{parameter: value}`` for each parameter of a function called exactly once whose argument there (or
    default) folds to a constant, or of a function no call names whose one recorded dict of arguments gives it
    (:func:`recorded_calls`), when the parameter's name is bound nowhere else in the cell.  The calls are
    looked for where the text shows them (cheap); the whole cell is walked only to confirm a candidate.  Also
    whether a one-call site spreads values that did not fold yet (``start(*(os.environ[k] for k in keys))``) or
    passes a name the cell binds at its top level (``Job(CFG)``): worth asking again once the cell's assignments
    are read."""
    callables = _callables(tree)
    if not callables:
        return {}, False
    candidates: dict[str, tuple[str, Any]] = {}  # parameter -> (callable, value)
    recorded: dict[str, tuple[str, Any]] = {}  # the same, from a function's one recorded dict of arguments
    forwarded: dict[str, list[str]] = {}  # parameter -> the callables whose one call hands it on under its name
    unresolved = False
    top = {t.id for stmt in tree.body if type(stmt) is ast.Assign for t in stmt.targets if type(t) is ast.Name}
    called = _call_sites(tree, callables, source.split("\n"))
    if any(word in source for word in RECORDED_CALL_WORDS):
        # a function no call names, handed its arguments as one dict the cell spells out (a model's recorded
        # tool call: tools[name](**block["input"])): its parameters hold that dict's values
        for function, bindings in recorded_calls(tree, fold, source, {n for n in callables if not n.startswith(".")} - set(called)):
            if len(bindings) == 1:
                recorded.update((param, (function.name, value)) for param, value in bindings[0].items())
    for name, found in called.items():
        if len(found) != 1:
            continue
        if (positional := _positional(found[0], fold)) is None:
            unresolved = True
            continue
        function, method = callables[name]
        params = _params(function, method)
        rest = function.args.vararg
        if rest is not None and len(positional) > len(params):  # Warmup('...', '...'): *parts, the further ones
            values = [fold(a) if isinstance(a, ast.AST) else a for a in positional[len(params):]]
            if all(isinstance(v, (str, bytes, int)) and not isinstance(v, bool) for v in values):
                candidates[rest.arg] = (name, values)
        defaults = dict(zip([p.arg for p in params][len(params) - len(function.args.defaults):],
                            function.args.defaults, strict=False))
        given = _given(params, positional, found[0])
        for param in params:
            expr = given.get(param.arg, defaults.get(param.arg))
            if type(expr) is ast.Name and expr.id == param.arg:
                forwarded.setdefault(param.arg, []).append(name)  # g(cfg) inside f(cfg): the same value passed on
                continue
            value = (fold(expr) if isinstance(expr, ast.AST) else expr) if expr is not None else None
            if isinstance(value, (str, bytes, int, list, dict, _Object)) and not isinstance(value, bool):
                candidates[param.arg] = (name, value)  # a dict or an object too: Job(CFG) reads self.cfg['cmd']
            elif type(expr) is ast.Name and expr.id in top or type(expr) is ast.Attribute and \
                    type(expr.value) is ast.Name and expr.value.id in top:
                # Job(CFG), storm(url.value) with CFG, url bound by the cell: known once its assignments are read
                unresolved = True
    if not candidates and not recorded:
        return {}, unresolved
    sites, counts = _sites_and_bindings(tree, {name for name, _ in (*candidates.values(), *recorded.values())} |
                                        {name for names in forwarded.values() for name in names})

    def once(param: str) -> bool:
        """Bound only here, or also as the parameter of functions each called once and handed it on by name."""
        passed_on = [name for name in forwarded.get(param, []) if sites.get(name) == 1]
        return counts.get(param, 0) == 1 + len(passed_on)

    bound = {param: value for param, (name, value) in recorded.items()
             if not sites.get(name) and counts.get(param, 0) == 1}
    bound.update((param, value) for param, (name, value) in candidates.items()
                 if sites.get(name) == 1 and once(param))
    return bound, unresolved


MAX_SITES = 8  # calls of one function read one by one (see several_sites)


def several_sites(tree: ast.Module, fold: Callable[[ast.AST], Any], source: str,
                  wanted: set[str]) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, list[dict[str, Any]]]]:
    """Of the cell's top-level functions named in ``wanted``, those called two to :data:`MAX_SITES` times, each
    call with arguments that fold to constants (``_install(TTYD_URL, '/usr/local/bin/nbhelper')`` and
    ``_install(CF_URL, ...)``): per function, the parameters' values at each call.  One binding cannot hold both,
    so the body is read once per call."""
    callables = {name: found for name, found in _callables(tree).items() if not found[1] and name in wanted}
    if not callables:
        return []
    out = []
    for name, found in _call_sites(tree, callables, source.split("\n")).items():
        if not 2 <= len(found) <= MAX_SITES:
            continue
        function = callables[name][0]
        params = _params(function, False)
        bindings = []
        for call in found:
            positional = _positional(call, fold)
            if positional is None or len(positional) > len(params):
                break
            given = _given(params, positional, call)
            values = {param: fold(expr) if isinstance(expr, ast.AST) else expr for param, expr in given.items()}
            if not values or any(not isinstance(v, (str, bytes, int, list)) or isinstance(v, bool)
                                 for v in values.values()):
                break
            bindings.append(values)
        else:
            if len({tuple(sorted(map(repr, b.items()))) for b in bindings}) > 1:
                out.append((function, bindings))
    return out


MAX_RECORDS = 8  # dicts of arguments read against one function (see recorded_calls)


@functools.lru_cache(maxsize=1)
def _keyed_dicts(tree: ast.Module) -> tuple[ast.Dict, ...]:
    """The dict displays of a cell whose keys are all strings, found in one walk: the pass asks for the same
    cell's twice (its one-call parameters, then its functions' recorded calls)."""
    return tuple(node for node in ast.walk(tree) if isinstance(node, ast.Dict) and node.keys and
                 all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys))


def recorded_calls(tree: ast.Module, fold: Callable[[ast.AST], Any], source: str,
                   wanted: set[str]) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, list[dict[str, Any]]]]:
    """Of the cell's top-level functions named in ``wanted``, those whose parameters are the keys of a dict the
    cell spells out (``{"ref": "...", "out_dir": "..."}``: a model's recorded tool call, handed over later as
    ``fn(**args)`` by an agent framework): per function, the parameters' values in each such dict.  A dict counts
    when its keys are constants, all of them parameters, and every parameter without a default is among them."""
    def quoted(name: str) -> bool:
        return f'"{name}"' in source or f"'{name}'" in source

    # each function with its parameters and those without a default; a dict's keys are quoted in the source, so a
    # function whose required parameters are not is passed over before any walk
    functions = []
    for node in tree.body:
        if isinstance(node, FUNCTIONS) and node.name in wanted:
            params = [p.arg for p in _params(node, False)]
            required = set(params[:len(params) - len(node.args.defaults)])
            if params and all(map(quoted, required)):
                functions.append((node, set(params), required))
    if not functions:
        return []
    dicts = _keyed_dicts(tree)
    out = []
    for function, params, required in functions:
        inside = {id(n) for n in ast.walk(function)}
        bindings = []
        for node in dicts:
            keys = [k.value for k in node.keys]
            if id(node) in inside or not set(keys) <= params or not required <= set(keys):
                continue
            values = {key: fold(value) for key, value in zip(keys, node.values, strict=True)}
            values = {key: value for key, value in values.items()
                      if isinstance(value, (str, bytes, int, list)) and not isinstance(value, bool)}
            if values:
                bindings.append(values)
            if len(bindings) >= MAX_RECORDS:
                break
        if bindings:
            out.append((function, bindings))
    return out


def context_values(tree: ast.Module, fold: Callable[[ast.AST], Any]) -> dict[str, Any]:
    """``with local_server(app) as base``, where ``local_server`` is the cell's ``@contextmanager`` generator that
    yields one value (``yield f'http://127.0.0.1:{port}'``): ``base`` is that value, folded with the call's
    arguments (and the defaults) in place of the parameters."""
    managers = {node.name: node for node in tree.body if isinstance(node, FUNCTIONS) and any(
        (getattr(d, "attr", None) or getattr(d, "id", "")) in {"contextmanager", "asynccontextmanager"}
        for d in node.decorator_list)}
    found: dict[str, Any] = {}
    for node in ast.walk(tree) if managers else ():
        if not isinstance(node, (ast.With, ast.AsyncWith)):
            continue
        for item in node.items:
            call = item.context_expr
            if not (isinstance(item.optional_vars, ast.Name) and isinstance(call, ast.Call) and
                    isinstance(call.func, ast.Name) and call.func.id in managers):
                continue
            manager = managers[call.func.id]
            yields = [n for n in ast.walk(manager) if isinstance(n, ast.Yield) and n.value is not None]
            params = _params(manager, False)
            if len(yields) != 1 or len(call.args) > len(params) or any(isinstance(a, ast.Starred) for a in call.args):
                continue
            defaults = manager.args.defaults
            given: dict[str, ast.AST] = dict(zip((p.arg for p in params[len(params) - len(defaults):]), defaults,
                                                 strict=True))
            given.update(zip((p.arg for p in params), call.args, strict=False))
            given.update({k.arg: k.value for k in call.keywords if k.arg})
            value = fold(substituted(yields[0].value, given))
            if value is not None:
                found[item.optional_vars.id] = value
    return found


def parsed_arguments(tree: ast.Module, fold: Callable[[ast.AST], Any]) -> dict[str, dict[str, Any]]:
    """``args = parser.parse_args()`` of an ``argparse.ArgumentParser`` the cell builds: the options it declares
    (``add_argument('--pool', default=...)``) filled from the list ``parse_args`` is given, or from ``sys.argv`` as
    the cell sets it, else their defaults; ``args.pool`` then reads as that value."""
    parsers: dict[str, list[ast.Call]] = {}
    argv: list[Any] | None = None
    results: list[tuple[str, str, ast.Call]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if isinstance(value, ast.Call) and isinstance(value.func, (ast.Name, ast.Attribute)) and \
                    (getattr(value.func, "attr", None) or getattr(value.func, "id", "")) == "ArgumentParser" and \
                    isinstance(target, ast.Name):
                parsers.setdefault(target.id, [])
            elif isinstance(target, ast.Attribute) and target.attr == "argv" and isinstance(target.value, ast.Name) and \
                    target.value.id == "sys" and isinstance(folded := fold(value), list):
                argv = folded  # sys.argv = ['nb', '--pool', ...]: what parse_args() reads
            elif isinstance(target, ast.Name) and isinstance(value, ast.Call) and \
                    isinstance(value.func, ast.Attribute) and value.func.attr in {"parse_args", "parse_known_args"} and \
                    isinstance(value.func.value, ast.Name):
                results.append((target.id, value.func.value.id, value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument" \
                and isinstance(node.func.value, ast.Name):
            parsers.setdefault(node.func.value.id, []).append(node)
    found: dict[str, dict[str, Any]] = {}
    for name, parser, call in results:
        if parser not in parsers or call.func.attr == "parse_known_args":
            continue
        given = fold(call.args[0]) if call.args else next((fold(k.value) for k in call.keywords if k.arg == "args"),
                                                           None if argv is None else argv[1:])
        words = [str(w) for w in given] if isinstance(given, list) and all(isinstance(w, (str, int)) for w in given) \
            else []
        found[name] = _options(parsers[parser], words, fold)
    return found


def _options(declared: list[ast.Call], words: list[str], fold: Callable[[ast.AST], Any]) -> dict[str, Any]:
    """The namespace ``parse_args(words)`` gives for the declared options (values as text or numbers; a flag's
    ``store_true`` as True; positionals in order)."""
    values: dict[str, Any] = {}
    flags: dict[str, tuple[str, bool]] = {}  # option string -> (dest, takes no value)
    positionals: list[str] = []
    for call in declared[:MAX_SITE_FUNCTIONS]:
        names = [fold(a) for a in call.args]
        if not names or not all(isinstance(n, str) for n in names):
            continue
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        long = next((n for n in names if n.startswith("--")), names[0])
        dest = fold(keywords["dest"]) if "dest" in keywords else long.lstrip("-").replace("-", "_")
        if not isinstance(dest, str):
            continue
        action = fold(keywords["action"]) if "action" in keywords else None
        default = fold(keywords["default"]) if "default" in keywords else None
        if default is not None:
            values[dest] = default
        if names[0].startswith("-"):
            flags.update((n, (dest, action in {"store_true", "store_false"})) for n in names)
        else:
            positionals.append(dest)
    i = 0
    while i < len(words):
        word = words[i]
        option, _, attached = word.partition("=")
        if option in flags:
            dest, bare = flags[option]
            if bare:
                values[dest] = True
            elif attached or "=" in word:
                values[dest] = attached
            elif i + 1 < len(words):
                values[dest] = words[i + 1]
                i += 1
        elif not word.startswith("-") and positionals:
            values[positionals.pop(0)] = word
        i += 1
    return values


def default_references(tree: ast.Module, reference: Callable[[ast.AST], str | None],
                       wanted: Callable[[str], bool]) -> dict[str, str]:
    """``{parameter: callable}`` for parameters whose default is a callable the cell names (``def __init__(self,
    system=os.system)``, ``def run(cmd, runner=subprocess.run)``) and that ``wanted`` accepts, when nothing else
    in the cell binds that name: a runner handed in by default is that runner wherever the parameter is called."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if type(node) not in FUNCTIONS:
            continue
        spec = node.args
        params = [*spec.posonlyargs, *spec.args]
        pairs = [*zip(params[len(params) - len(spec.defaults):], spec.defaults, strict=True),
                 *((p, d) for p, d in zip(spec.kwonlyargs, spec.kw_defaults, strict=True) if d is not None)]
        for param, default in pairs:
            if type(default) in (ast.Attribute, ast.Name) and (name := reference(default)) and wanted(name):
                found[param.arg] = name
        if len(found) >= MAX_SITE_FUNCTIONS:
            break
    if not found:
        return found
    _, counts = _sites_and_bindings(tree, set())
    return {param: name for param, name in found.items() if counts.get(param, 0) == 1}
