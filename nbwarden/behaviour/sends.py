"""What a call sends and where to (an HTTP request, a socket's connect or datagram, a scapy packet, a request
program started by the shell), and whether the answer is read: the sends the flood shapes (:mod:`.floods`) judge."""

from __future__ import annotations

import ast
import re
from typing import Any

from ..analysis.calls import ARGV_CALLS, SHELL_CALLS
from .unit import CONNECTS, HTTP_VERBS, MAPPERS, SPAWNERS, _names, _Unit, _written_once

# HTTP client libraries: their get/post/request calls (module-level or on a session they made) are requests
HTTP_MODULES = frozenset({"requests", "httpx", "urllib", "urllib2", "urllib3", "cloudscraper", "aiohttp", "http",
                          "grequests", "niquests", "curl_cffi", "tls_client", "hrequests", "requests_html", "httplib2",
                          "treq"})
SOCKET_SENDS = {"send", "sendall", "sendto", "connect", "connect_ex", "create_connection", "open_connection", "write"}
REQUEST_PROGRAMS = frozenset({"curl", "wget", "http", "https", "xh", "curlie"})  # one request a run
# modules whose connect() opens a database, a file or a device, not a socket to a host
NOT_SOCKETS = frozenset({"sqlite3", "aiosqlite", "apsw", "duckdb", "psycopg", "psycopg2", "pymysql", "MySQLdb", "mysql",
                         "asyncpg", "pg8000", "pyodbc", "cx_Oracle", "oracledb", "sqlalchemy", "pymongo", "redis",
                         "lancedb", "chromadb", "snowflake", "ibm_db", "serial", "dbus", "libvirt"})
PACKET_SENDS = {"send", "sendp", "sr", "sr1", "srp", "srloop", "srploop", "sendpfast"}
ANSWER_USES = {"text", "content", "json", "iter_content", "iter_lines", "raw", "read", "readline", "readlines",
               "recv", "recvfrom", "recv_into", "history", "cookies", "headers"}
GATHERERS = frozenset({"gather", "wait", "as_completed"})  # what collects the answers of many requests at once


def _send(unit: _Unit, call: ast.Call) -> tuple[str, ast.AST | None] | None:
    """(kind, target expression) when this call sends something to a host."""
    name = unit.name(call)
    short = name.rsplit(".", 1)[-1]
    module = name.split(".", 1)[0]
    if module in HTTP_MODULES or \
            short in {"urlopen", "Request"}:
        if short in HTTP_VERBS:
            return "http", call.args[0] if call.args else unit.keyword(call, "url")
    if short in HTTP_VERBS and isinstance(call.func, ast.Attribute) and _own_method(unit, call.func.value, short):
        return None  # client.get(url) of the unit's own class: the send inside the method is judged where it stands
    # a client's verb called as a method, or through a name bound to it (fn = getattr(session, "get"); fn(url))
    if short in HTTP_VERBS and (isinstance(call.func, ast.Attribute) or "." in name) and (
            re.search(r"session|client|scraper|http|sess|^s$|pool|conn", name.rsplit(".", 1)[0], re.I)
            or isinstance(call.func, ast.Attribute) and _http_client(unit, call.func.value)):
        target = call.args[1] if short == "request" and len(call.args) > 1 else \
            call.args[0] if call.args else unit.keyword(call, "url")
        host = _connection_host(unit, call.func.value) if isinstance(call.func, ast.Attribute) else None
        written = unit.value(target) if target is not None else None
        if host is not None and not (isinstance(written, str) and "://" in written):
            return "http", host  # http.client, or a client's base_url: the path alone names no host
        return "http", target
    if short == "open" and isinstance(call.func, ast.Attribute) and call.args and _http_client(unit, call.func.value):
        return "http", call.args[0]  # opener = urllib.request.build_opener(); opener.open(url)
    if short in PACKET_SENDS and call.args and (name.startswith("scapy") or name == short and unit.imports("scapy")):
        return "packet", call.args[0]
    if name in SHELL_CALLS or name in ARGV_CALLS:  # os.system("curl -s URL &"): a request by a program
        command = call.args[0] if call.args else None
        words = unit.text(command, follow=2).split() if command is not None else []
        if isinstance(command, (ast.List, ast.Tuple)) and command.elts:
            words = [unit.text(e) for e in command.elts]
        if words and words[0].rsplit("/", 1)[-1] in REQUEST_PROGRAMS:
            return "http", command
    method = isinstance(call.func, ast.Attribute) or "." in name  # s.sendto(...), or send(...) after send = s.sendto
    if short in SOCKET_SENDS and method and module not in NOT_SOCKETS:
        if short in CONNECTS:
            return "socket", call.args[0] if call.args else None
        if short == "sendto" and len(call.args) >= 2:
            return "socket", call.args[1]
        # send/sendall name no target: a server answering its clients looks the same; the connect before it,
        # or sendto, is what a flood repeats. A socket this unit connected itself and then keeps writing to, with
        # nothing typed or read in between, is a stream pushed at that target.
        if short in {"send", "sendall"} and isinstance(call.func, ast.Attribute):
            target = _connected_to(unit, call.func.value)
            if target is not None and not _waits(unit, call):
                return "stream", target  # one connection: weaker than many (a throughput test looks the same)
    return None


def _own_method(unit: _Unit, receiver: ast.AST, verb: str) -> bool:
    """Is ``receiver.verb`` a method the unit writes itself: on an instance of one of its classes
    (``client = PoliteClient(...)``; ``client.get(url)``) or on ``self`` in a class that defines it?"""
    if not isinstance(receiver, ast.Name):
        return False
    if receiver.id == "self":
        method = unit.function_of(receiver)
        owners = [c for c in unit.classes if any(s is method for s in c.body)]
    else:
        made = {unit.name(v).rsplit(".", 1)[-1] for v in unit.names_bound_to.get(receiver.id, ())[:4]
                if isinstance(v, ast.Call)}
        owners = [c for c in unit.classes if c.name in made]
    return any(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == verb
               for c in owners for s in c.body)


def _connected_to(unit: _Unit, receiver: ast.AST) -> ast.AST | None:
    """The address a socket name was connected to by this unit (``s.connect(addr)``,
    ``s = socket.create_connection(addr)``), if it was."""
    if not isinstance(receiver, ast.Name):
        return None
    for call in unit.calls:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in {"connect", "connect_ex"} and call.args and \
                isinstance(func.value, ast.Name) and func.value.id == receiver.id:
            return call.args[0]
    for value in unit.names_bound_to.get(receiver.id, ())[:4]:
        if isinstance(value, ast.Call) and unit.name(value).rsplit(".", 1)[-1] == "create_connection" and value.args:
            return value.args[0]
    return None


# calls that make a loop wait for someone: what a user types, a file's next chunk, a queue's next item, an answer
WAITING = {"input", "read", "readline", "recv", "recvfrom", "get", "getline", "read_frame", "capture"}


def _waits(unit: _Unit, call: ast.Call) -> bool:
    """Does the loop around this send wait for input or data to pass on (a chat client, a file upload)?"""
    loops = unit.loops_around(call)
    if not loops or not isinstance(loops[0], ast.While):
        return True  # one send, or a counted batch (records loaded into a service), not a stream kept up
    return any(isinstance(n, ast.Call) and unit.name(n).rsplit(".", 1)[-1] in WAITING for n in ast.walk(loops[0]))


def _http_client(unit: _Unit, receiver: ast.AST) -> bool:
    """Is this name an HTTP client (``with httpx.AsyncClient() as c``, ``s = requests.Session()``)?"""
    if not isinstance(receiver, ast.Name):
        return False
    return any(_makes_http_client(unit, v) for v in unit.names_bound_to.get(receiver.id, ())[:4])


def _connection_host(unit: _Unit, receiver: ast.AST) -> ast.AST | None:
    """The host a client was made for: an ``http.client`` connection's (``c = HTTPConnection(host, 80)``), or a
    client's ``base_url`` (``httpx.AsyncClient(base_url=...)``), directly or through a function of the unit that
    returns it; its ``c.request('GET', path)``, ``c.get('/predict')`` name only a path."""
    if not isinstance(receiver, ast.Name):
        return None
    for value in unit.names_bound_to.get(receiver.id, ())[:4]:
        value = next(iter(_made_by(unit, value)), value)
        if not isinstance(value, ast.Call):
            continue
        name = unit.name(value)
        if name.startswith("http.client.") and name.endswith("Connection"):
            return value.args[0] if value.args else unit.keyword(value, "host")
        if name.split(".", 1)[0] in HTTP_MODULES and (base := unit.keyword(value, "base_url")) is not None:
            return base
    return None


def _makes_http_client(unit: _Unit, value: ast.AST) -> bool:
    """A call that makes an HTTP client: of an HTTP module, or of a function of the unit that only returns one
    (``def new_conn(): return http.client.HTTPConnection(host)``)."""
    made = _made_by(unit, value)
    return bool(made) and all(isinstance(m, ast.Call) and unit.name(m).split(".", 1)[0] in HTTP_MODULES for m in made)


def _made_by(unit: _Unit, value: ast.AST) -> list[ast.AST]:
    """What a call gives: itself when it calls an HTTP module, else what the unit's function it calls returns (each
    ``return`` with a value); nothing for anything else."""
    if not isinstance(value, ast.Call):
        return []
    name = unit.name(value)
    if name.split(".", 1)[0] in HTTP_MODULES:
        return [value]
    return [n.value for f in unit.functions.get(name, [])[:1] for n in ast.walk(f)
            if isinstance(n, ast.Return) and n.value is not None]


def _spawned_send(unit: _Unit, call: ast.Call) -> tuple[str, ast.AST | None] | None:
    """(kind, target) when a worker or a map is handed a request function itself with its target:
    ``pool.submit(requests.get, url)``, ``Thread(target=session.post, args=(url,))``, ``map(requests.get, urls)``."""
    short = unit.name(call).rsplit(".", 1)[-1]
    if short not in SPAWNERS | MAPPERS:
        return None
    function = unit.keyword(call, "target") or (call.args[0] if call.args else None)
    if not isinstance(function, ast.Attribute) or function.attr not in HTTP_VERBS - {"fetch"}:
        return None
    receiver = ast.unparse(function.value)
    if receiver.split(".", 1)[0] not in HTTP_MODULES and \
            not _http_client(unit, function.value):
        return None
    if unit.keyword(call, "target") is not None:
        args = unit.keyword(call, "args")
        return "http", args.elts[0] if isinstance(args, (ast.Tuple, ast.List)) and args.elts else None
    if short in MAPPERS:  # one target only when the items repeat it: [url] * 1000, itertools.repeat(url, n)
        items = call.args[1] if len(call.args) > 1 else None
        if (shown := _written_once(items)) is not None:
            return ("http", shown.elts[0]) if len(shown.elts) == 1 else None
        if isinstance(items, ast.Call) and unit.name(items).rsplit(".", 1)[-1] == "repeat" and items.args:
            return "http", items.args[0]
        return None  # one request per item: a crawler
    return "http", call.args[1] if len(call.args) > 1 else None


def _answers_gathered(unit: _Unit, comprehension: ast.AST) -> bool:
    """Requests made in a comprehension (``[s.get(url) for _ in range(1000)]``): are their answers read?  Only if
    what gathers them (``asyncio.gather``, ``wait``) is itself read; a list kept or handed elsewhere counts as read."""
    parent = unit.parent.get(id(comprehension))
    if isinstance(parent, ast.Starred):
        parent = unit.parent.get(id(parent))
    if isinstance(parent, ast.Lambda):  # Thread(target=lambda: [s.get(u) for _ in range(n)])
        return _lambda_result_used(unit, parent)
    if isinstance(parent, ast.Call):
        if unit.name(parent).rsplit(".", 1)[-1] in GATHERERS | {"map", "imap"}:
            return _answer_used(unit, parent)  # asyncio.gather(*[...]), grequests.map(... for _ in ...)
        return True
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        name = parent.targets[0].id
        scope = unit.function_of(comprehension) or unit.tree
        users = [n for n in ast.walk(scope) if isinstance(n, ast.Call) and any(
            (isinstance(a, ast.Starred) and isinstance(a.value, ast.Name) and a.value.id == name) or
            (isinstance(a, ast.Name) and a.id == name) for a in n.args)]
        return not users or any(unit.name(u).rsplit(".", 1)[-1] not in GATHERERS | {"map", "imap"} or
                                _answer_used(unit, u) for u in users)
    return True


def _answer_used(unit: _Unit, call: ast.Call) -> bool:
    parent = unit.parent.get(id(call))
    while isinstance(parent, ast.Await):
        parent = unit.parent.get(id(parent))
    if isinstance(parent, ast.Expr):
        return _response_read(unit, call)
    if isinstance(parent, ast.Lambda):
        return _lambda_result_used(unit, parent)
    if isinstance(parent, ast.Attribute):
        test = unit.parent.get(id(parent))
        if isinstance(test, ast.If) and test.test is parent and any(isinstance(n, (ast.Break, ast.Return))
                                                                     for n in test.body):
            return True  # if session.get(url).ok: return True: tried until it works, a retry
        return parent.attr in ANSWER_USES and not _thrown_away(unit, parent)
    if isinstance(parent, (ast.ListComp, ast.GeneratorExp, ast.SetComp)) and parent.elt is call:
        return _answers_gathered(unit, parent)
    if isinstance(parent, ast.Call) and unit.name(parent) in {"list", "tuple", "set"}:
        return _answer_used(unit, parent)  # list(pool.map(...)) only drains the results
    if isinstance(parent, (ast.withitem, ast.Assign, ast.NamedExpr)):
        targets = (_names(parent.optional_vars) if isinstance(parent, ast.withitem) else
                   _names(parent.target) if isinstance(parent, ast.NamedExpr) else
                   set().union(*(_names(t) for t in parent.targets)))
        scope = unit.function_of(call) or unit.tree
        for node in ast.walk(scope):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in targets \
                    and node.attr in ANSWER_USES and not _thrown_away(unit, node):
                return True
            if isinstance(node, ast.If) and _names(node.test) & targets and \
                    any(isinstance(n, (ast.Break, ast.Return)) for n in node.body):
                return True  # if r.ok: break: tried until it works, a retry
            if isinstance(node, ast.Call) and any(isinstance(a, ast.Name) and a.id in targets for a in node.args) \
                    and unit.name(node).rsplit(".", 1)[-1] not in {"print", "len", "str", "append", "close"}:
                return True
        return False
    return True  # handed to something else: assume it is read


def _response_read(unit: _Unit, call: ast.Call) -> bool:
    """``conn.request('GET', path)`` gives nothing back: http.client hands the answer to ``conn.getresponse()``
    on the same connection, so the answer is used when that call's is."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in {"request", "putrequest", "endheaders"}):
        return False
    owner = ast.unparse(func.value)
    scope = unit.function_of(call) or unit.tree
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "getresponse" and
               ast.unparse(n.func.value) == owner and _answer_used(unit, n) for n in ast.walk(scope))


def _thrown_away(unit: _Unit, read: ast.Attribute) -> bool:
    """``r.read()`` or ``await r.text()`` as a statement of its own: the body is drained, not used."""
    node: ast.AST = read
    parent = unit.parent.get(id(node))
    if isinstance(parent, ast.Call) and parent.func is node:
        node, parent = parent, unit.parent.get(id(parent))
    while isinstance(parent, ast.Await):
        parent = unit.parent.get(id(parent))
    if isinstance(parent, ast.Lambda):  # lambda u: urlopen(u).read(), its result thrown away where it is called
        return not _lambda_result_used(unit, parent)
    return isinstance(parent, ast.Expr)


def _holder(unit: _Unit, lam: ast.Lambda) -> ast.AST | None:
    """The call a lambda is handed to, as an argument or a keyword (``Thread(target=lambda: ...)``)."""
    parent = unit.parent.get(id(lam))
    return unit.parent.get(id(parent)) if isinstance(parent, ast.keyword) else parent


def _lambda_result_used(unit: _Unit, lam: ast.Lambda) -> bool:
    """A lambda's result is thrown away when it is a worker's target, and read only as its map's results are."""
    spawner = _holder(unit, lam)
    if not isinstance(spawner, ast.Call):
        # called by name or from a dict (ops['go'](u)) outside other lambdas: used when any call uses it
        callers = [c for c in _lambda_callers(unit, lam) if not isinstance(unit.function_of(c), ast.Lambda)]
        return not callers or any(_answer_used(unit, c) for c in callers)
    short = unit.name(spawner).rsplit(".", 1)[-1]
    if short in MAPPERS:
        return _answer_used(unit, spawner)
    return short not in SPAWNERS


def _lambda_callers(unit: _Unit, lam: ast.Lambda) -> list[ast.Call]:
    """Calls of a lambda bound to a name (``go = lambda u: ...; go(u)``) or kept in a dict under a constant key
    (``ops = {'go': lambda u: ...}; ops['go'](u)``) or in a list (``ops[1](u)``), outside the lambda itself."""
    parent = unit.parent.get(id(lam))
    key: Any = None
    if isinstance(parent, ast.Dict):
        keys = [k for k, v in zip(parent.keys, parent.values, strict=True) if v is lam]
        key = unit.value(keys[0]) if keys and keys[0] is not None else None
        if key is None:
            return []
        parent = unit.parent.get(id(parent))
    elif isinstance(parent, (ast.List, ast.Tuple)):
        key = next(i for i, item in enumerate(parent.elts) if item is lam)
        parent = unit.parent.get(id(parent))
    if not isinstance(parent, ast.Assign) or len(parent.targets) != 1 or not isinstance(parent.targets[0], ast.Name):
        return []
    name = parent.targets[0].id
    inside = {id(n) for n in ast.walk(lam)}
    out = []
    for call in unit.calls:
        func = call.func
        if key is not None and isinstance(func, ast.Subscript):
            named = isinstance(func.value, ast.Name) and func.value.id == name and unit.value(func.slice) == key
        else:
            named = key is None and isinstance(func, ast.Name) and func.id == name
        if named and id(call) not in inside:
            out.append(call)
    return out
