"""Behaviour analysis: what a unit of Python does, read from its shape when no tool name gives it away.

Several prohibited activities are written as plain Python: a loop that tries
the lines of a word list against a zip file, threads that send requests to
one address forever, a socket server on every interface that hands out
files.  Names alone cannot tell these from their look-alikes (unzipping with
a known password, a crawler, a tutorial echo server on localhost), so this
module reads the *shape* of the code from the AST and reports it as facts of
kind ``behaviour`` that rule packs match like any other fact::

    - behaviour: "password-trial/*"   # fnmatch glob over the names below

Shapes found (the value of each fact):

``password-trial/archive|hash|login|tool``
    a password candidate that comes from a word source (the lines of a file,
    ``itertools.product`` over a character set, a numeric range, a list of
    passwords) is tried against an archive (``extractall(pwd=...)``,
    ``setpassword``, a PDF ``decrypt``), a hash (a digest of the candidate
    compared with a target), a login (``login(user, pw)``,
    ``connect(password=pw)``, a posted form) or a cracking tool's password
    option, inside the loop or in a function the loop drives (directly, as a
    thread target, through an executor or ``map``).
``flood/http|socket|packet|slow``
    requests, socket sends or raw packets to one fixed, non-local target,
    whose answers are not used, repeated without pause (``while True``
    without a sleep of half a second or more, or tens of thousands of
    iterations) or from many workers (threads, processes, tasks started in a
    loop); ``flood/slow`` is the slowloris and slow-POST shape: sockets opened
    in a loop that are fed partial header lines, or a huge Content-Length,
    with pauses in between.
``server/files|media|relay`` and ``server-local/...``
    a server bound to every interface (``server/``) or to loopback
    (``server-local/``) that serves files or directories (or takes uploads),
    streams media, or relays traffic (HTTP ``CONNECT``, SOCKS, two sockets
    piped into each other).  A loopback server is allowed on its own; packs
    combine ``server-local/*`` with a tunnel to catch it being exposed.

Everything here is total (bad trees give no shapes, never an exception in the
caller: :func:`find` catches) and linear in the size of the tree.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# Words whose presence makes the pass worth running (lower case; the engine also adds them to its
# prefilter for every rule that uses a shape of that family).
TRIGGERS: dict[str, tuple[str, ...]] = {
    "password-trial": ("pwd=", "setpassword", "password=", "passwd=", ".login(", "checkpw", "hexdigest",
                       "crypt(", "decrypt(", "authenticate(", "sshpass", "unzip", "pxssh", "ftplib", "7z", "unrar",
                       "steghide"),
    "flood": ("thread(", "process(", "while true", "while 1", "threadpoolexecutor", "gather(", "sendto(",
              "sock_raw", "scapy", "create_task(", "range(10000", "range(100000", "range(1000000"),
    "server": ("0.0.0.0", ".bind(", "httpserver", "tcpserver", "run_app(", "start_server(", "serve(",
               "connect", "send_file", "send_from_directory", "fileresponse", "staticfiles", "x-mixed-replace",
               ".listen("),
}
ALL_TRIGGERS = tuple(sorted({w for words in TRIGGERS.values() for w in words}))
_WANTED = re.compile("|".join(re.escape(w) for w in ALL_TRIGGERS))

LOCAL_HOSTS = ("127.", "localhost", "::1", "0:0:0:0:0:0:0:1")
PUBLIC_HOSTS = ("", "0.0.0.0", "::", "0:0:0:0:0:0:0:0", "*")
WORD_NAMES = re.compile(r"pass|pwd|words?(_|$|list)|dict|combo|cred|guess|cand|brute|rockyou|(^|_)pins?($|_)", re.I)
LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
SPAWNERS = {"Thread", "Process", "Timer", "submit", "apply_async", "start_new_thread", "create_task",
            "ensure_future", "run_in_executor", "spawn"}
MAPPERS = {"map", "imap", "imap_unordered", "starmap", "map_async", "starmap_async"}
HTTP_VERBS = {"get", "post", "head", "put", "delete", "patch", "request", "options", "urlopen", "fetch"}
SOCKET_SENDS = {"send", "sendall", "sendto", "connect", "connect_ex", "write"}
PACKET_SENDS = {"send", "sendp", "sr", "sr1", "srp", "srloop", "srploop", "sendpfast"}
ANSWER_USES = {"text", "content", "json", "iter_content", "iter_lines", "raw", "read", "readline", "readlines",
               "recv", "recvfrom", "recv_into", "history", "cookies"}
HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:\s")
SLEEP_MIN_S = 0.5  # a pause this long or longer between sends is pacing, not a flood


@dataclass(slots=True)
class Found:
    """One shape, where it shows (the line of its key node) and why, in a few words."""

    shape: str
    line: int
    detail: str


def triggers_for(glob: str) -> list[str]:
    """The trigger words of every shape family a ``behaviour:`` glob can match."""
    import fnmatch

    return [w for family, words in TRIGGERS.items() if fnmatch.fnmatchcase(family, glob.split("/", 1)[0])
            or fnmatch.fnmatchcase(family + "/x", glob) for w in words]


def wanted(low_source: str) -> bool:
    """Is any shape's trigger word in this (lower-cased) source?"""
    return _WANTED.search(low_source) is not None


def find(tree: ast.AST, fold: Callable[[ast.AST], Any] | None = None) -> list[Found]:
    """Every shape in a parsed unit; [] when the tree is odd in a way the checks did not expect."""
    try:
        unit = _Unit(tree, fold or (lambda node: None))
        return [*_password_trials(unit), *_floods(unit), *_servers(unit)]
    except (RecursionError, ValueError, TypeError, AttributeError, KeyError, IndexError):
        return []


# ---------------------------------------------------------------------------- the unit, walked once


class _Unit:
    """What every check needs, gathered in one walk: parents, calls, functions, aliases, constants."""

    def __init__(self, tree: ast.AST, fold: Callable[[ast.AST], Any]):
        self.tree = tree
        self.fold = fold
        self.parent: dict[int, ast.AST] = {}
        self.calls: list[ast.Call] = []
        self.functions: dict[str, list[ast.AST]] = {}
        self.aliases: dict[str, str] = {}
        self.constants: dict[str, Any] = {}  # simple top-level NAME = constant
        self.strings: list[tuple[ast.AST, str]] = []
        self.names_bound_to: dict[str, list[ast.AST]] = {}  # NAME -> values assigned to it anywhere
        self.star_imports: set[str] = set()  # from scapy.all import *
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parent[id(child)] = node
            kind = type(node)
            if kind is ast.Call:
                self.calls.append(node)
            elif kind in (ast.FunctionDef, ast.AsyncFunctionDef):
                self.functions.setdefault(node.name, []).append(node)
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
            elif kind in (ast.With, ast.AsyncWith):
                for item in node.items:
                    if isinstance(item.optional_vars, ast.Name):
                        self.names_bound_to.setdefault(item.optional_vars.id, []).append(item.context_expr)
            elif kind is ast.Constant and isinstance(node.value, (str, bytes)):
                text = node.value.decode("latin-1") if isinstance(node.value, bytes) else node.value
                self.strings.append((node, text))
        if isinstance(tree, ast.Module):
            for stmt in tree.body:
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                    value = fold(stmt.value)
                    if isinstance(value, (str, int, bytes)):
                        self.constants[stmt.targets[0].id] = value

    # -- names and values

    def name(self, call: ast.Call) -> str:
        """Dotted name of the callee through import aliases: ``zf.extractall`` stays ``zf.extractall``."""
        parts: list[str] = []
        node: ast.AST | None = call.func
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            parts.append(self.aliases.get(node.id, node.id))
        elif isinstance(node, ast.Call):
            parts.append(self.name(node) + "()")
        return ".".join(reversed(parts))

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
        """Loops that contain ``node``, innermost first, up to its function."""
        out = []
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, FUNCTIONS):
                break
            if isinstance(ancestor, LOOPS):
                out.append(ancestor)
        return out

    def imports(self, module: str) -> bool:
        return any(v.split(".")[0] == module for v in self.aliases.values()) or \
            any(m.split(".")[0] == module for m in self.star_imports)

    def keyword(self, call: ast.Call, *names: str) -> ast.AST | None:
        return next((k.value for k in call.keywords if k.arg in names), None)

    def text(self, node: ast.AST) -> str:
        """The string constants inside an expression, joined by spaces: the skeleton of a formatted string or
        an argv list."""
        return " ".join(n.value.decode("latin-1") if isinstance(n.value, bytes) else n.value
                       for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, (str, bytes)))


def _names(node: ast.AST | None) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} if node is not None else set()


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
    assigns = [n for n in ast.walk(scope) if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.NamedExpr))]
    for _ in range(3):
        grew = False
        for node in assigns:
            value = node.value
            if value is None or not (_names(value) & tainted):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                new = _names(target) - tainted
                if new:
                    tainted |= new
                    grew = True
        if not grew:
            break
    return tainted


# ---------------------------------------------------------------------------- password trials


def _trial(unit: _Unit, call: ast.Call) -> tuple[str, ast.AST] | None:
    """(target kind, candidate expression) when this call tries a password."""
    name = unit.name(call)
    short = name.rsplit(".", 1)[-1]
    if short in {"extractall", "extract", "open", "read", "testzip", "extractfile"}:
        pwd = unit.keyword(call, "pwd", "password")
        if pwd is not None:
            return "archive", pwd
    if short == "setpassword" and call.args:
        return "archive", call.args[0]
    if short in {"decrypt", "authenticate"} and call.args and re.search(r"pdf|fitz|pikepdf|reader|doc", name, re.I):
        return "archive", call.args[0]
    if short in {"SevenZipFile", "RarFile", "AESZipFile", "load_key"}:
        pwd = unit.keyword(call, "password", "pwd")
        if pwd is not None:
            return "archive", pwd
    if short in {"checkpw", "verify", "check_password_hash", "check_password", "verify_password"} and call.args:
        return "hash", call
    if short == "login" and (len(call.args) >= 2 or unit.keyword(call, "passwd", "password")):
        return "login", unit.keyword(call, "passwd", "password") or call.args[1]
    if short in {"connect", "FTP", "FTP_TLS", "SMTP", "simple_bind_s", "bind_s", "Connection"}:
        pwd = unit.keyword(call, "password", "passwd", "pwd")
        if pwd is None and short == "connect" and len(call.args) >= 4:
            pwd = call.args[3]
        if pwd is None and short in {"FTP", "FTP_TLS"} and len(call.args) >= 3:
            pwd = call.args[2]
        if pwd is None and short in {"simple_bind_s", "bind_s"} and len(call.args) >= 2:
            pwd = call.args[1]
        if pwd is not None:
            return "login", pwd
    if short in HTTP_VERBS and short != "urlopen":
        auth = unit.keyword(call, "auth")
        if auth is not None:
            return "login", auth
        data = unit.keyword(call, "data", "json", "params")
        if isinstance(data, ast.Dict):
            for key, value in zip(data.keys, data.values, strict=False):
                if isinstance(key, ast.Constant) and isinstance(key.value, str) and re.search(r"pass|pwd", key.value, re.I):
                    return "login", value
    if short in {"run", "call", "Popen", "check_output", "check_call", "system", "getoutput", "popen"} and call.args:
        text = unit.text(call.args[0]).lower()
        if re.search(r"\b(unzip|7za?|unrar|sshpass|steghide|qpdf|openssl|gpg)\b", text) and \
                re.search(r"(^|\s|')(-p|-P|--password|-pass|--passphrase|-k)", unit.text(call.args[0])):
            return "tool", call.args[0]
    return None


def _hash_compares(unit: _Unit) -> list[tuple[ast.Compare, ast.AST]]:
    """Comparisons of a digest of something with something else: ``md5(w).hexdigest() == target``."""
    found = []
    for node in ast.walk(unit.tree):
        if not isinstance(node, ast.Compare) or not any(isinstance(op, (ast.Eq, ast.NotEq, ast.In)) for op in node.ops):
            continue
        for side in (node.left, *node.comparators):
            # the digest in the comparison itself, or in the name compared (h = md5(w).hexdigest(); h == target)
            values = [side, *(v for n in _names(side) for v in unit.names_bound_to.get(n, ())[:4])]
            if any(_hashing(unit, n) for value in values for n in ast.walk(value) if isinstance(n, ast.Call)):
                found.append((node, side))
                break
    return found


def _hashing(unit: _Unit, call: ast.Call) -> bool:
    name = unit.name(call)
    short = name.rsplit(".", 1)[-1]
    return short in {"hexdigest", "digest", "crypt", "hashpw", "hash_password", "nthash", "md4", "md5", "sha1", "sha224",
                     "sha256", "sha384", "sha512", "sha3_256", "sha3_512", "blake2b", "blake2s", "ntlm", "lmhash"} or \
        name.startswith(("hashlib.", "crypt.", "bcrypt.", "passlib.", "Crypto.Hash", "zlib.crc32"))


def _word_source(unit: _Unit, expr: ast.AST, depth: int = 0) -> bool:
    """Does iterating ``expr`` give password candidates (file lines, a brute-force product, a PIN range)?"""
    if depth > 3:
        return False
    for node in ast.walk(expr):
        if isinstance(node, ast.Call):
            name = unit.name(node)
            short = name.rsplit(".", 1)[-1]
            if short in {"open", "readlines", "splitlines", "read_text", "product", "permutations", "combinations",
                         "combinations_with_replacement", "fileinput"} or name.startswith("itertools."):
                return True
            if short == "range" and node.args:
                return True
        elif isinstance(node, ast.Name):
            if WORD_NAMES.search(node.id):
                return True
            if any(_word_source(unit, value, depth + 1) for value in unit.names_bound_to.get(node.id, ())[:4]):
                return True
        elif isinstance(node, ast.Attribute) and (node.attr in {"ascii_letters", "ascii_lowercase", "digits",
                                                                 "printable", "ascii_uppercase", "punctuation"}
                                                  or WORD_NAMES.search(node.attr)):
            return True
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set)) and len(node.elts) >= 3 and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            return True
    return False


def _driven_loop(unit: _Unit, node: ast.AST, used: set[str]) -> ast.AST | None:
    """The word-source loop around ``node`` whose variables reach ``used``, if any."""
    function = unit.function_of(node)
    for loop in unit.loops_around(node):
        if not any(_word_source(unit, it) for it in _loop_iters(loop)) and not isinstance(loop, ast.While):
            continue
        seeds = _loop_targets(loop)
        if isinstance(loop, ast.While):  # while True: pw = next(gen) / f.readline() / generate()
            seeds = {n for a in ast.walk(loop) if isinstance(a, ast.Assign) and isinstance(a.value, ast.Call)
                     and (_word_source(unit, a.value) or unit.name(a.value).endswith(("next", "readline")))
                     for t in a.targets for n in _names(t)}
        if _derived(unit, function or unit.tree, seeds) & used:
            return loop
    return None


def _password_trials(unit: _Unit) -> list[Found]:
    trials: list[tuple[str, ast.AST, ast.AST]] = []  # (kind, call or compare, candidate)
    for call in unit.calls:
        hit = _trial(unit, call)
        if hit:
            trials.append((hit[0], call, hit[1]))
    trials += [("hash", compare, side) for compare, side in _hash_compares(unit)]
    if not trials:
        return []
    found: list[Found] = []
    # functions whose parameters reach a trial: their callers in a word-source loop drive them
    trial_functions: dict[str, tuple[str, ast.AST]] = {}
    for kind, node, candidate in trials:
        loop = _driven_loop(unit, node, _names(candidate))
        if loop is not None:
            found.append(Found(f"password-trial/{kind}", node.lineno, f"{_what(kind)} inside a loop over "
                               f"password candidates (line {loop.lineno})"))
            continue
        function = unit.function_of(node)
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                _derived(unit, function, set(_params(function))) & _names(candidate):
            trial_functions.setdefault(function.name, (kind, node))
    # one level of wrapping: a function that calls a trial function with its own parameters
    for name, functions in unit.functions.items():
        if name in trial_functions:
            continue
        for function in functions:
            params = _derived(unit, function, set(_params(function)))
            for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
                if unit.name(call).rsplit(".", 1)[-1] in trial_functions and \
                        any(_names(a) & params for a in (*call.args, *(k.value for k in call.keywords))):
                    trial_functions[name] = trial_functions[unit.name(call).rsplit(".", 1)[-1]]
    reported = {f.line for f in found}
    for call in unit.calls:
        target, args = _driven_function(unit, call, trial_functions)
        if target is None:
            continue
        kind, node = trial_functions[target]
        if node.lineno in reported:
            continue
        short = unit.name(call).rsplit(".", 1)[-1]
        if short in MAPPERS and len(call.args) >= 2 and _word_source(unit, call.args[1]):
            loop = call
        else:
            loop = _driven_loop(unit, call, set().union(*(_names(a) for a in args))) if args else None
        if loop is not None:
            reported.add(node.lineno)
            found.append(Found(f"password-trial/{kind}", node.lineno, f"{_what(kind)} in {target}(), run for "
                               f"each password candidate (line {getattr(loop, 'lineno', call.lineno)})"))
    return found


def _driven_function(unit: _Unit, call: ast.Call, functions: dict[str, Any]) -> tuple[str | None, list[ast.AST]]:
    """Which of ``functions`` this call runs (directly, as a thread target, through an executor or map),
    and the arguments it passes."""
    short = unit.name(call).rsplit(".", 1)[-1]
    if short in functions:
        return short, [*call.args, *(k.value for k in call.keywords)]
    target = unit.keyword(call, "target", "func")
    if short in SPAWNERS | MAPPERS and target is None and call.args:
        target = call.args[0]
    if target is None:
        return None, []
    target_name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
    if target_name not in functions:
        return None, []
    passed = [*call.args[1:], *(k.value for k in call.keywords if k.arg not in ("target", "func"))]
    return target_name, passed


def _what(kind: str) -> str:
    return {"archive": "an archive password try", "hash": "a hash comparison", "login": "a login attempt",
            "tool": "a password-cracking command"}[kind]


# ---------------------------------------------------------------------------- floods


def _send(unit: _Unit, call: ast.Call) -> tuple[str, ast.AST | None] | None:
    """(kind, target expression) when this call sends something to a host."""
    name = unit.name(call)
    short = name.rsplit(".", 1)[-1]
    module = name.split(".", 1)[0]
    if module in {"requests", "httpx", "urllib", "urllib2", "urllib3", "cloudscraper", "aiohttp", "http", "grequests"} or \
            short in {"urlopen", "Request"}:
        if short in HTTP_VERBS:
            return "http", call.args[0] if call.args else unit.keyword(call, "url")
    if short in HTTP_VERBS and isinstance(call.func, ast.Attribute) and (
            re.search(r"session|client|scraper|http|sess|^s$|pool|conn", name.rsplit(".", 1)[0], re.I)
            or _http_client(unit, call.func.value)):
        return "http", (call.args[1] if short == "request" and len(call.args) > 1 else
                        call.args[0] if call.args else unit.keyword(call, "url"))
    if short in PACKET_SENDS and call.args and (name.startswith("scapy") or name == short and unit.imports("scapy")):
        return "packet", call.args[0]
    if short in SOCKET_SENDS and isinstance(call.func, ast.Attribute):
        if short in {"connect", "connect_ex"}:
            return "socket", call.args[0] if call.args else None
        if short == "sendto" and len(call.args) >= 2:
            return "socket", call.args[1]
        # send/sendall name no target: a server answering its clients looks the same; the connect before it,
        # or sendto, is what a flood repeats
    return None


def _http_client(unit: _Unit, receiver: ast.AST) -> bool:
    """Is this name an HTTP client (``with httpx.AsyncClient() as c``, ``s = requests.Session()``)?"""
    if not isinstance(receiver, ast.Name):
        return False
    return any(isinstance(v, ast.Call) and unit.name(v).split(".", 1)[0] in
               {"requests", "httpx", "aiohttp", "urllib3", "cloudscraper", "grequests", "niquests"}
               for v in unit.names_bound_to.get(receiver.id, ())[:4])


def _fixed_public(unit: _Unit, target: ast.AST | None, at: ast.AST) -> bool:
    """Is the target one address (not one per item of a collection) and not this machine?"""
    if target is None:
        return True
    value = unit.value(target)
    if isinstance(value, (list, tuple)) and value:
        value = value[0]
    text = (value.decode("latin-1") if isinstance(value, bytes) else str(value)) if value is not None \
        else unit.text(target)
    host = re.sub(r"^[a-z]+://", "", text.lower())
    if host.startswith(LOCAL_HOSTS) or host.startswith("0.0.0.0"):
        return False
    function = unit.function_of(at)
    for loop in unit.loops_around(at):
        iters = _loop_iters(loop)
        counted = all(isinstance(i, ast.Call) and unit.name(i) in {"range", "itertools.count", "count"}
                      for i in iters)
        if iters and (not counted or isinstance(target, ast.Tuple)):
            if _derived(unit, function or unit.tree, _loop_targets(loop)) & _names(target):
                return False  # one request per item or per port: a crawler or a scanner, not one target
    if _names(target) & {"url", "link", "href"} and any(
            isinstance(a, ast.Call) and unit.name(a).rsplit(".", 1)[-1] in {"get", "get_nowait", "pop", "popleft"}
            for n in _names(target) for a in unit.names_bound_to.get(n, ())):
        return False  # taken from a work queue
    return True


def _answer_used(unit: _Unit, call: ast.Call) -> bool:
    parent = unit.parent.get(id(call))
    while isinstance(parent, ast.Await):
        parent = unit.parent.get(id(parent))
    if isinstance(parent, ast.Expr):
        return False
    if isinstance(parent, ast.Attribute):
        return parent.attr in ANSWER_USES
    if isinstance(parent, (ast.withitem, ast.Assign, ast.NamedExpr)):
        targets = (_names(parent.optional_vars) if isinstance(parent, ast.withitem) else
                   _names(parent.target) if isinstance(parent, ast.NamedExpr) else
                   set().union(*(_names(t) for t in parent.targets)))
        scope = unit.function_of(call) or unit.tree
        for node in ast.walk(scope):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in targets \
                    and node.attr in ANSWER_USES:
                return True
            if isinstance(node, ast.Call) and any(isinstance(a, ast.Name) and a.id in targets for a in node.args) \
                    and unit.name(node).rsplit(".", 1)[-1] not in {"print", "len", "str", "append", "close"}:
                return True
        return False
    return True  # handed to something else: assume it is read


def _paced(unit: _Unit, loop: ast.AST) -> bool:
    """Does the loop pause at least SLEEP_MIN_S per round (time.sleep / asyncio.sleep of a known length)?"""
    for node in ast.walk(loop):
        if isinstance(node, ast.Call) and unit.name(node).rsplit(".", 1)[-1] in {"sleep", "wait"} and node.args:
            value = unit.value(node.args[0])
            if isinstance(value, (int, float)) and value >= SLEEP_MIN_S:
                return True
            if isinstance(node.args[0], ast.Call):  # random.uniform(a, b): the lower bound
                low = unit.value(node.args[0].args[0]) if node.args[0].args else None
                if isinstance(low, (int, float)) and low >= SLEEP_MIN_S:
                    return True
    return False


def _endless(unit: _Unit, loop: ast.AST) -> bool:
    """``while True``, a loop on a flag, or a huge or unknown ``range``: a loop that does not end by itself.
    ``while i < n`` with ``i`` stepped inside the loop is a counted loop, not an endless one."""
    if isinstance(loop, ast.While):
        test = unit.value(loop.test)
        if test is not None:
            return bool(test)
        stepped = {n for a in ast.walk(loop) if isinstance(a, ast.AugAssign) for n in _names(a.target)}
        return isinstance(loop.test, (ast.Name, ast.Attribute, ast.Compare, ast.UnaryOp, ast.Call)) and \
            not (_names(loop.test) & stepped)
    for iterable in _loop_iters(loop):
        if isinstance(iterable, ast.Call) and unit.name(iterable).rsplit(".", 1)[-1] in {"range", "count", "cycle"}:
            if unit.name(iterable).endswith(("count", "cycle")):
                return True
            bound = unit.value(iterable.args[-1] if len(iterable.args) < 3 else iterable.args[1]) \
                if iterable.args else None
            if bound is None or isinstance(bound, int) and bound >= 10000:
                return True  # unknown (argv, input) or huge
    return False


def _workers(unit: _Unit, function: ast.AST | None) -> tuple[ast.AST | None, bool]:
    """Where ``function`` is started as many workers (a loop or a map), and whether it is 100 or more
    (or an unknown number): a thread per request is a flood only in numbers."""
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None, False
    owner = unit.parent.get(id(function))
    if function.name == "run" and isinstance(owner, ast.ClassDef) and any(
            re.search(r"(Thread|Process)$", ast.unparse(base)) for base in owner.bases):
        for call in unit.calls:  # class Worker(threading.Thread): def run(self): ... started in a loop
            if unit.name(call).rsplit(".", 1)[-1] == owner.name:
                for loop in unit.loops_around(call):
                    if _endless(unit, loop) or _many(unit, loop):
                        return loop, any(_count(unit, it) >= 100 for it in _loop_iters(loop)) or \
                            isinstance(loop, ast.While)
    for call in unit.calls:
        short = unit.name(call).rsplit(".", 1)[-1]
        target, _ = _driven_function(unit, call, {function.name: None})
        if target != function.name:
            continue
        if short == function.name:  # a direct call counts when it makes a task: gather(*[f() for ...])
            if not any(isinstance(p, ast.Call) and unit.name(p).rsplit(".", 1)[-1] in
                       {"create_task", "gather", "ensure_future", "wait", "as_completed"} for p in unit.ancestors(call)):
                continue
        elif short not in SPAWNERS | MAPPERS:
            continue
        if short in MAPPERS and len(call.args) >= 2:
            return call, _count(unit, call.args[1]) >= 100
        for loop in unit.loops_around(call):
            if _endless(unit, loop):
                return loop, True
            if _many(unit, loop):
                return loop, any(_count(unit, it) >= 100 for it in _loop_iters(loop)) or isinstance(loop, ast.While)
    return None, False


def _count(unit: _Unit, iterable: ast.AST) -> float:
    """How many items a ``range(...)`` gives (inf when unknown); 0 for anything else."""
    if isinstance(iterable, ast.Call) and unit.name(iterable) == "range" and iterable.args:
        bound = unit.value(iterable.args[-1] if len(iterable.args) < 3 else iterable.args[1])
        return float(bound) if isinstance(bound, int) else float("inf")
    return 0


def _many(unit: _Unit, loop: ast.AST) -> bool:
    """A loop of at least 10 rounds (a known range), or of unknown length."""
    for iterable in _loop_iters(loop):
        if isinstance(iterable, ast.Call) and unit.name(iterable) == "range":
            bound = unit.value(iterable.args[-1] if len(iterable.args) < 3 else iterable.args[1]) \
                if iterable.args else None
            return bound is None or isinstance(bound, int) and bound >= 10
    return isinstance(loop, ast.While)


def _floods(unit: _Unit) -> list[Found]:
    found: list[Found] = []
    seen: set[str] = set()
    for call in unit.calls:
        sent = _send(unit, call)
        if sent is None:
            continue
        kind, target = sent
        if kind in seen or not _fixed_public(unit, target, call) or (kind == "http" and _answer_used(unit, call)):
            continue
        if kind == "socket" and any(isinstance(n, ast.Call) and unit.name(n).rsplit(".", 1)[-1] in {"recv", "recvfrom"}
                                    for loop in unit.loops_around(call)[:1] for n in ast.walk(loop)):
            continue  # a client that reads its answers
        repeated = _repetition(unit, call)
        if repeated is None and kind == "packet" and (unit.value(unit.keyword(call, "loop")) or
                                                      (unit.value(unit.keyword(call, "count")) or 0) >= 1000):
            repeated = (call, "scapy repeats it itself")
        if repeated is not None:
            where, how = repeated
            found.append(Found(f"flood/{kind}", call.lineno, f"{kind} sends to one target, answers unused, {how} "
                               f"(line {where.lineno})"))
            seen.add(kind)
    slow = _slow_headers(unit) or _trickling_workers(unit)
    if slow is not None:
        found.append(slow)
    return found


def _repetition(unit: _Unit, node: ast.AST, depth: int = 0) -> tuple[ast.AST, str] | None:
    """Where ``node`` is repeated like a flood: an endless loop without pause around it (in its function or a
    caller's), or many workers running it (threads, processes, tasks, maps, Thread subclasses)."""
    loops = unit.loops_around(node)
    hot = next((loop for loop in loops if _endless(unit, loop) and not _paced(unit, loop)), None)
    if hot is not None:
        return hot, "in an endless loop without pause"
    function = unit.function_of(node)
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or depth > 2:
        return None
    workers, many = _workers(unit, function)
    if workers is not None and (loops or many):
        return workers, "from many workers"
    for call in _callers(unit, function):
        found = _repetition(unit, call, depth + 1)
        if found is not None:
            return found
    return None


def _callers(unit: _Unit, function: ast.AST) -> list[ast.Call]:
    """Calls of a function by its name (``f(...)``, ``self.f(...)``), outside the function itself."""
    inside = {id(n) for n in ast.walk(function)}
    return [c for c in unit.calls if unit.name(c).rsplit(".", 1)[-1] == function.name and id(c) not in inside]


def _trickling_workers(unit: _Unit) -> Found | None:
    """Many workers, each opening a connection and writing to it in a loop with pauses: connections held open
    on purpose (the asyncio or threaded slowloris)."""
    for call in unit.calls:
        if unit.name(call).rsplit(".", 1)[-1] not in {"open_connection", "create_connection", "connect"}:
            continue
        function = unit.function_of(call)
        spawned, many = _workers(unit, function)
        if spawned is None or not many:
            continue
        for loop in (n for n in ast.walk(function) if isinstance(n, (ast.For, ast.AsyncFor, ast.While))):
            writes = [n for n in ast.walk(loop) if isinstance(n, ast.Call)
                      and unit.name(n).rsplit(".", 1)[-1] in {"write", "send", "sendall"}]
            iterated = [unit.functions.get(unit.name(i).rsplit(".", 1)[-1], []) for i in _loop_iters(loop)
                        if isinstance(i, ast.Call)]
            sleeps = [n for scope in [loop, *(f for fs in iterated for f in fs)] for n in ast.walk(scope)
                      if isinstance(n, ast.Call) and unit.name(n).rsplit(".", 1)[-1] == "sleep"]
            if writes and sleeps:
                return Found("flood/slow", writes[0].lineno, "many workers each hold a connection open and trickle "
                             f"data into it with pauses (line {spawned.lineno})")
    return None


def _slow_headers(unit: _Unit) -> Found | None:
    """Slowloris / slow POST: sockets opened in a loop, fed partial headers or a huge body slowly."""
    opened_in_loop = any(unit.name(c).endswith(("socket", "create_connection", "wrap_socket")) and (unit.loops_around(c) or _workers(unit, unit.function_of(c)))
                         for c in unit.calls)
    if not opened_in_loop:
        return None
    for call in unit.calls:
        short = unit.name(call).rsplit(".", 1)[-1]
        if short not in {"send", "sendall", "write"} or not call.args:
            continue
        text = unit.text(call.args[0])
        partial = HEADER_LINE.match(text.lstrip()) and "\r\n\r\n" not in text and text.count("\n") <= 1
        huge = re.search(r"content-length:\s*(\d{6,})", text, re.I)
        if not (partial or huge):
            continue
        loop = next((loop for loop in unit.loops_around(call) if _endless(unit, loop) or isinstance(loop, ast.For)),
                    None)
        if loop is not None and any(isinstance(n, ast.Call) and unit.name(n).rsplit(".", 1)[-1] == "sleep"
                                    for outer in [*unit.loops_around(call)] for n in ast.walk(outer)):
            return Found("flood/slow", call.lineno, "many sockets kept open with partial headers or a huge body "
                         f"sent slowly (line {loop.lineno})")
    return None


# ---------------------------------------------------------------------------- servers

SERVER_CLASSES = {"HTTPServer", "ThreadingHTTPServer", "TCPServer", "ThreadingTCPServer", "UDPServer",
                  "ThreadingUDPServer", "ForkingTCPServer", "WSGIServer", "make_server", "FTPServer",
                  "ThreadedFTPServer"}
APP_RUNNERS = {"run": "127.0.0.1", "run_app": "0.0.0.0", "serve": "0.0.0.0", "listen": "", "start_server": "",
               "create_server": "", "run_simple": "127.0.0.1"}
FILE_SERVING = {"send_file", "send_from_directory", "FileResponse", "StaticFiles", "static", "add_static",
                "SimpleHTTPRequestHandler", "CGIHTTPRequestHandler", "serve_file", "FileWrapper", "sendfile",
                "FTPHandler", "DummyAuthorizer", "send_static_file", "directory_listing", "list_directory"}
MEDIA_SERVING = ("multipart/x-mixed-replace", "video/", "audio/", ".m3u8", "mpegurl", "icy-")
RELAY_TEXT = ("CONNECT", "\x05\x00", "\x05\x01", "\x05\x02", "socks5", "socks4")


def _servers(unit: _Unit) -> list[Found]:
    binds: list[tuple[str, ast.Call]] = []
    for call in unit.calls:
        host = _bound_host(unit, call)
        if host is _NOT_A_SERVER:
            continue
        text = host.decode("latin-1") if isinstance(host, bytes) else str(host)
        scope = "server-local" if text.startswith(LOCAL_HOSTS) else "server"
        binds.append((scope, call))
    if not binds:
        return []
    kinds = _served(unit)
    found = []
    for scope in ("server", "server-local"):
        call = next((c for s, c in binds if s == scope), None)
        if call is None:
            continue
        where = "every interface" if scope == "server" else "loopback"
        for kind, line in kinds.items():
            found.append(Found(f"{scope}/{kind}", call.lineno, f"a server on {where} that {_serves(kind)} "
                               f"(line {line})"))
    return found


_NOT_A_SERVER = object()


def _bound_host(unit: _Unit, call: ast.Call) -> Any:
    """The host a call makes a server listen on (\"?\" when it cannot be known), or _NOT_A_SERVER."""
    name = unit.name(call)
    short = name.rsplit(".", 1)[-1]
    module = name.split(".", 1)[0]
    if short == "bind" or short in SERVER_CLASSES:
        if call.args and isinstance(call.args[0], ast.Tuple) and call.args[0].elts:
            host = unit.value(call.args[0].elts[0])
            return "?" if host is None else host
        return _NOT_A_SERVER
    given = unit.keyword(call, "host", "address", "bind", "hostname")
    if short == "run" and _app_like(unit, call) or short == "run_simple":
        default = "127.0.0.1"
    elif short in {"run_app", "start_server", "create_server"} or \
            short == "serve" and module in {"waitress", "hypercorn", "websockets", "bjoern", "gevent", "uvicorn"}:
        default = ""  # aiohttp, asyncio, waitress and websockets listen on every interface by default
        if given is None and short in {"start_server", "create_server", "serve"} and len(call.args) >= 2:
            given = call.args[1]
    elif short == "listen" and isinstance(call.func, ast.Attribute) and call.args and \
            isinstance(unit.value(call.args[0]), int) and unit.value(call.args[0]) > 1024:
        default = ""  # tornado's app.listen(port): every interface
    else:
        return _NOT_A_SERVER
    if given is None:
        return default
    host = unit.value(given)
    return "?" if host is None else host


def _app_like(unit: _Unit, call: ast.Call) -> bool:
    """``X.run(...)`` is a web app being served (Flask, socketio, bottle), not any ``run``."""
    base = unit.name(call).rsplit(".", 1)[0]
    return bool(re.search(r"app|flask|socketio|bottle|server|uvicorn|waitress|web", base, re.I)) or \
        unit.keyword(call, "host", "port") is not None


def _served(unit: _Unit) -> dict[str, int]:
    """What the unit's server hands out, with a line that shows it."""
    out: dict[str, int] = {}
    for call in unit.calls:
        short = unit.name(call).rsplit(".", 1)[-1]
        if short in FILE_SERVING:
            out.setdefault("files", call.lineno)
        elif short == "save" and "files" in unit.name(call):
            out.setdefault("files", call.lineno)
        elif short == "imencode" and any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in
                                         ast.walk(unit.function_of(call) or unit.tree)):
            out.setdefault("media", call.lineno)  # camera frames yielded one by one: a video stream
    for node in ast.walk(unit.tree):
        if isinstance(node, ast.Attribute) and node.attr == "files" and isinstance(node.value, ast.Name) \
                and node.value.id == "request":
            out.setdefault("files", node.lineno)  # request.files: an upload portal
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "do_CONNECT":
            out.setdefault("relay", node.lineno)
        elif getattr(node, "id", getattr(node, "attr", None)) in {"SimpleHTTPRequestHandler", "CGIHTTPRequestHandler"}:
            out.setdefault("files", node.lineno)
    for node, text in unit.strings:
        low = text.lower()
        if any(m in low for m in MEDIA_SERVING) and _near_server_io(unit, node):
            out.setdefault("media", node.lineno)
        if (text == "CONNECT" or any(m in text for m in RELAY_TEXT[1:])) and _near_server_io(unit, node):
            out.setdefault("relay", node.lineno)
    pipe = _pipe(unit)
    if pipe is not None:
        out.setdefault("relay", pipe)
    return out


def _near_server_io(unit: _Unit, node: ast.AST) -> bool:
    """Is this constant used where a server answers (compared with a request, sent, returned, a header)?"""
    parent = unit.parent.get(id(node))
    return isinstance(parent, (ast.Compare, ast.Return, ast.keyword, ast.Call, ast.Dict, ast.BinOp, ast.JoinedStr,
                               ast.Tuple, ast.List, ast.Assign))


def _pipe(unit: _Unit) -> int | None:
    """Two sockets or streams copied into each other: ``select`` over both, or recv from one and send to
    another in one loop, with an outgoing connection made by the same unit."""
    outgoing = any(unit.name(c).rsplit(".", 1)[-1] in {"create_connection", "open_connection", "connect"}
                   for c in unit.calls)
    if not outgoing:
        return None
    for call in unit.calls:
        if unit.name(call).rsplit(".", 1)[-1] != "select" or not call.args:
            continue
        first = call.args[0]
        if isinstance(first, (ast.List, ast.Tuple)) and len(first.elts) >= 2:
            return call.lineno
    for call in unit.calls:
        if unit.name(call).rsplit(".", 1)[-1] not in {"sendall", "send", "write"} or not call.args:
            continue
        loop = next(iter(unit.loops_around(call)), None)
        if loop is None:
            continue
        source = _names(call.args[0])
        receiver = unit.name(call).rsplit(".", 1)[0]
        for node in ast.walk(loop):
            if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Call, ast.Await)):
                inner = node.value.value if isinstance(node.value, ast.Await) else node.value
                if isinstance(inner, ast.Call) and unit.name(inner).rsplit(".", 1)[-1] in {"recv", "read"} and \
                        unit.name(inner).rsplit(".", 1)[0] != receiver and \
                        set().union(*(_names(t) for t in node.targets)) & source:
                    return call.lineno
    return None


def _serves(kind: str) -> str:
    return {"files": "serves files or takes uploads", "media": "streams media",
            "relay": "relays other connections (a proxy)"}[kind]
