"""Hand-written servers' handlers: what a client chose (a path in its request, a line it sent), and whether the
handler sends a file read from there (``server/files``) or keeps what it was sent in a file (an upload).
:mod:`.servers` asks these when it judges what a server serves."""

from __future__ import annotations

import ast
from collections.abc import Callable

from .unit import SOCKET_READS, _derived, _driven_function, _names, _params, _Unit

RECEIVING = SOCKET_READS | {"readlines"}  # a connection's reads, and a function of the unit that returns one

HANDLER_INPUT = frozenset({"path", "rfile", "headers", "requestline"})


def _handler_input(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr in HANDLER_INPUT and isinstance(n.value, ast.Name)
               and n.value.id == "self" for n in ast.walk(node))


def _opened(unit: _Unit, scope: ast.AST) -> list[tuple[ast.Call, set[str], str]]:
    """Files opened in a scope: (the ``open`` call, the names that hold it or what was read from it, its mode)."""
    pairs: list[tuple[ast.AST, ast.AST | None]] = []
    for node in ast.walk(scope):
        if isinstance(node, ast.withitem) and isinstance(node.context_expr, ast.Call):
            pairs.append((node.context_expr, node.optional_vars))
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Tuple) and \
                isinstance(node.value, ast.Tuple) and len(node.targets[0].elts) == len(node.value.elts):
            pairs.extend(zip(node.value.elts, node.targets[0].elts, strict=True))  # body, kind = open(p).read(), ...
        elif isinstance(node, ast.Assign):
            pairs.append((node.value, node.targets[0]))
    found = []
    for opener, held in pairs:
        if isinstance(opener, ast.Call) and isinstance(opener.func, ast.Attribute) and opener.func.attr == "read" \
                and isinstance(opener.func.value, ast.Call):
            opener = opener.func.value  # body = open(path, 'rb').read()
        if not isinstance(opener, ast.Call) or held is None or not opener.args or \
                unit.name(opener).rsplit(".", 1)[-1] not in {"open", "fdopen"}:
            continue
        mode = unit.value(opener.args[1]) if len(opener.args) > 1 else unit.value(unit.keyword(opener, "mode"))
        found.append((opener, _names(held), mode if isinstance(mode, str) else "r"))
    return found


# what a handler reads from its client: a socket's data, or a line of an asyncio stream (await reader.readline())
CLIENT_READS = frozenset({"recv", "recvfrom", "recv_into", "readline", "readuntil", "readexactly"})
PATH_READS = frozenset({"read_bytes", "read_text"})  # pathlib: a file read whole at the path it is called on


def _chosen_by_client(scope: ast.AST, unit: _Unit, received: set[str]) -> set[str]:
    """Names in a scope made from what the client sent: ``received`` (what the unit read), a handler's request, or
    what a socket received in the scope."""
    seeds = {name for node in ast.walk(scope) if isinstance(node, ast.Assign) and (_handler_input(node.value) or any(
                 isinstance(c, ast.Call) and unit.name(c).rsplit(".", 1)[-1] in CLIENT_READS
                 for c in ast.walk(node.value)))
             for target in node.targets for name in _names(target)}
    return received | (_derived(unit, scope, seeds) if seeds else set())


def _file_sent(unit: _Unit) -> int | None:
    """A socket send of what was read from a file that the client chose (``path = root + request.split()[1]``,
    ``with open(path, 'rb') as f: c.sendall(f.read())``; an http.server handler's ``self.wfile.write(f.read())``
    of a file named by ``self.path``): a hand-written server handing out files.  A course exercise that sends
    every client the same fixed file chooses nothing for them."""
    received: set[str] | None = None
    files_in: dict[int, set[str]] = {}  # per scope: handlers send many times

    def chosen_files(scope: ast.AST) -> set[str]:
        """The names holding files opened for reading at a path the client chose, in ``scope``."""
        nonlocal received
        if id(scope) not in files_in:
            received = _received(unit) if received is None else received
            chosen = _chosen_by_client(scope, unit, received)
            held = {held for opener, names, mode in _opened(unit, scope) if not set(mode) & set("wax")
                    and (_names(opener.args[0]) & chosen or _handler_input(opener.args[0])) for held in names}
            # body = path.read_bytes(), with the path made from the request
            held |= {name for node in ast.walk(scope) if isinstance(node, ast.Assign) for call in ast.walk(node.value)
                     if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in PATH_READS
                     and _names(call.func.value) & chosen for target in node.targets for name in _names(target)}
            # for chunk in body(path): a helper of the unit's that reads the file it is handed and gives its bytes
            for node in ast.walk(scope):
                made = node.value if isinstance(node, ast.Assign) else node.iter if isinstance(node, ast.For) else None
                targets = node.targets if isinstance(node, ast.Assign) else [node.target] if made is not None else []
                if isinstance(made, ast.Call) and _reads_what_it_is_handed(unit, made, chosen):
                    held |= {name for target in targets for name in _names(target)}
            files_in[id(scope)] = held
        return files_in[id(scope)]

    writers = _stream_writers(unit)
    for call in unit.calls:
        name = unit.name(call)
        short = name.rsplit(".", 1)[-1]
        if short == "copyfileobj" and len(call.args) == 2 and "wfile" in ast.unparse(call.args[1]):
            data = call.args[0]  # shutil.copyfileobj(f, self.wfile)
        elif (short in {"send", "sendall", "sendfile"} or name.endswith("wfile.write") or short == "write" and
              writers and (unit.function_of(call), name.split(".", 1)[0]) in writers) and call.args and \
                isinstance(call.func, ast.Attribute):
            data = call.args[0]
        else:
            continue
        scope = unit.function_of(call) or unit.tree
        opened = chosen_files(scope)
        if opened and _names(data) & (_derived(unit, scope, opened) | opened):
            return call.lineno
    return _file_sent_by_helper(unit, chosen_files)


def _reached_in_helper(unit: _Unit, call: ast.Call, names: set[str]) -> tuple[ast.AST, set[str]] | None:
    """The unit's own function ``call`` runs, and the names in it that the arguments carrying ``names`` reach (the
    parameters they are passed as, and what the function makes from them); None for any other call, or when no
    argument carries them."""
    name = unit.name(call).rsplit(".", 1)[-1]
    if name not in unit.functions:
        return None
    function = unit.functions[name][0]
    params = [p for p in _params(function) if p not in ("self", "cls")]
    handed = {param for param, arg in zip(params, call.args, strict=False) if _names(arg) & names}
    return (function, _derived(unit, function, handed) | handed) if handed else None


def _reads_what_it_is_handed(unit: _Unit, call: ast.Call, chosen: set[str]) -> bool:
    """Is ``call`` a helper of the unit's, handed a path the client chose, that opens it for reading (``def
    body(path): with open(path, 'rb') as f: yield from ...``)?"""
    reached = _reached_in_helper(unit, call, chosen)
    return reached is not None and any(not set(mode) & set("wax") and opener.args and _names(opener.args[0]) & reached[1]
                                       for opener, _, mode in _opened(unit, reached[0]))


def _file_sent_by_helper(unit: _Unit, chosen_files: Callable[[ast.AST], set[str]]) -> int | None:
    """A handler that reads the file its client chose and hands the bytes to a helper of the unit's that sends
    what it is given (``reply(c, 200, f.read())`` with ``def reply(c, code, body): c.sendall(head + body)``)."""
    for call in unit.calls:
        if unit.name(call).rsplit(".", 1)[-1] not in unit.functions or (scope := unit.function_of(call)) is None:
            continue
        opened = chosen_files(scope)
        if not opened or (reached := _reached_in_helper(unit, call, _derived(unit, scope, opened) | opened)) is None:
            continue
        function, sent = reached
        if any(isinstance(n, ast.Call) and unit.name(n).rsplit(".", 1)[-1] in {"send", "sendall"} and n.args and
               _names(n.args[0]) & sent for n in ast.walk(function)):
            return call.lineno
    return None


def _stream_writers(unit: _Unit) -> set[tuple[ast.AST, str]]:
    """The writer parameter of each handler the unit hands ``asyncio.start_server`` (``async def h(reader,
    writer)``): what it writes goes to the client."""
    found: set[tuple[ast.AST, str]] = set()
    for call in unit.calls:
        if unit.name(call).rsplit(".", 1)[-1] in {"start_server", "start_unix_server"} and call.args and \
                isinstance(call.args[0], ast.Name):
            for handler in unit.functions.get(call.args[0].id, ()):
                params = [p for p in _params(handler) if p not in {"self", "cls"}]
                if len(params) >= 2:
                    found.add((handler, params[1]))
    return found


def _file_writes(unit: _Unit, scope: ast.AST) -> list[tuple[ast.Call, ast.Call, set[str], str]]:
    """Writes into a file opened in a scope: (the ``write`` call, the ``open`` call, the names that hold the file,
    its mode), for ``with open(p, 'wb') as f: f.write(d)`` and for ``open(p, 'wb').write(d)`` on one line."""
    found = []
    opened = None
    for call in (n for n in ast.walk(scope) if isinstance(n, ast.Call)):
        if unit.name(call).rsplit(".", 1)[-1] not in {"write", "writelines"} or not call.args or \
                not isinstance(call.func, ast.Attribute):
            continue
        receiver = call.func.value
        if isinstance(receiver, ast.Call) and unit.name(receiver).rsplit(".", 1)[-1] == "open" and receiver.args:
            mode = unit.value(receiver.args[1]) if len(receiver.args) > 1 else unit.value(unit.keyword(receiver, "mode"))
            found.append((call, receiver, set(), mode if isinstance(mode, str) else "r"))
            continue
        opened = _opened(unit, scope) if opened is None else opened
        holders = _names(receiver)
        found += [(call, opener, names, mode) for opener, names, mode in opened if names & holders]
    return found


def _kept(unit: _Unit, write: ast.Call, opener: ast.Call, mode: str, sent: Callable[[ast.AST], bool]) -> bool:
    """Does the write keep what a client ``sent`` in a file, as bytes or under a name the client gave?"""
    return bool(set(mode) & set("wax")) and sent(write.args[0]) and ("b" in mode or sent(opener.args[0]))


def _upload_kept(unit: _Unit) -> int | None:
    """A hand-written server that writes what a client sent into a file, as bytes or under a name the client gave
    (``do_POST`` reading ``self.rfile``, a socket's data), there or in a helper of the cell's that it hands the
    data (``save(name, data)``, a function or a named lambda): an upload portal.  A webhook that appends a line of
    text to a fixed log file is not one."""
    chosen_in: dict[int, set[str]] = {}

    def sent_in(scope: ast.AST) -> Callable[[ast.AST], bool]:
        if id(scope) not in chosen_in:  # not any file's read(): a copy of one's own file is no upload
            chosen_in[id(scope)] = _chosen_by_client(scope, unit, set())
        chosen = chosen_in[id(scope)]
        return lambda expr: bool(_names(expr) & chosen) or _handler_input(expr)

    helpers: dict[str, tuple[ast.AST, list[str]]] = {}
    for name, functions in unit.functions.items():
        helpers[name] = (functions[0], [p for p in _params(functions[0]) if p not in ("self", "cls")])
    for name, values in unit.names_bound_to.items():
        if isinstance(values[0], ast.Lambda):
            helpers.setdefault(name, (values[0], _params(values[0])))
    for scope in {id(f): f for f in (unit.function_of(c) for c in unit.calls) if f is not None}.values():
        for write, opener, _, mode in _file_writes(unit, scope):
            if _kept(unit, write, opener, mode, sent_in(scope)):
                return write.lineno
    # a helper handed the client's data: its parameters stand for what each caller passes
    for call in unit.calls:
        name = unit.name(call).rsplit(".", 1)[-1]
        if name not in helpers or (caller := unit.function_of(call)) is None:
            continue
        function, params = helpers[name]
        given = dict(zip(params, call.args, strict=False)) | {k.arg: k.value for k in call.keywords if k.arg}
        sent = sent_in(caller)
        passed = {param for param, arg in given.items() if sent(arg)}
        if not passed:
            continue
        derived = _derived(unit, function, passed)
        for write, opener, _, mode in _file_writes(unit, function):
            if _kept(unit, write, opener, mode, lambda expr, held=derived: bool(_names(expr) & held)):
                return call.lineno
    return None


def _received(unit: _Unit) -> set[str]:
    """Names holding what the unit received from a connection, or anything computed from it, followed into
    the unit's own functions through the arguments they are called with."""
    def receives(node: ast.AST) -> bool:
        return any(isinstance(c, ast.Call) and unit.name(c).rsplit(".", 1)[-1] in readers for c in ast.walk(node))

    # a function of the unit that returns what it read (def read_request(s): return s.recv(4096)) reads too
    readers = set(RECEIVING)
    for name, definitions in unit.functions.items():
        if any(isinstance(n, ast.Return) and n.value is not None for d in definitions for n in ast.walk(d)) and \
                any(receives(d) for d in definitions):
            readers.add(name)
    seeds: set[str] = set()
    for node in ast.walk(unit.tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and node.value is not None \
                and receives(node.value):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                seeds |= _names(target)
        elif isinstance(node, (ast.For, ast.AsyncFor)) and receives(node.iter):
            seeds |= _names(node.target)
    received = _derived(unit, unit.tree, seeds)
    functions = {name: definitions[0] for name, definitions in unit.functions.items()}
    for _ in range(2):  # handle(client, host) called with what was parsed from the request
        grew = False
        for call in unit.calls:
            name, passed = _driven_function(unit, call, functions)
            if name is None:
                continue
            params = [p for p in _params(functions[name]) if p not in {"self", "cls"}]
            fresh = {p for p, arg in zip(params, passed, strict=False) if _names(arg) & received} - received
            if fresh:
                received |= _derived(unit, functions[name], fresh)
                grew = True
        if not grew:
            break
    return received


# where a web framework keeps what the client sent: a URL read from there and fetched is an open web proxy
