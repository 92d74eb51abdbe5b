"""``shell/socket``: a shell whose standard input and output are a network connection.

The descriptor of a socket (accepted by a server, or connected out) is duplicated onto 0, 1 or 2
(``os.dup2(c.fileno(), 0)``) and a shell is started (``pty.spawn('/bin/bash')``, ``os.execv('/bin/sh', ...)``,
``subprocess.call(['bash', '-i'])``), or a shell is started with the connection as its input and output
(``Popen(['/bin/sh', '-i'], stdin=s.fileno(), stdout=s.fileno())``): a bind or a reverse shell, which hands the
runtime to whoever is at the other end, whatever hides the names.  A log file put in place of stdout
(``os.dup2(log.fileno(), 1)``) is not a connection, so a script run after it is not a remote shell.  Without the
descriptors: lines read from a connection and run by a shell (``for line in conn.makefile():
subprocess.run(line, shell=True)``) are the same remote shell; a server that runs a fixed command when asked is
not.

``shell/web``: a shell on a pseudo-terminal (``pty.fork()``, ``os.openpty()``) whose terminal is written with what a
web handler or a connection received (``os.write(fd, self.rfile.read(n))``, a websocket's messages, what an
``asyncio.open_connection`` reader returned): a web terminal or a reverse shell written by hand, the runtime's shell
handed to whoever opens the page or listens at the other end.  A program that drives a terminal with its
own input (a test of a CLI through a pty) writes nothing a client sent.
"""

from __future__ import annotations

import ast

from .handlers import _handler_input
from .unit import Found, _awaited, _driven_function, _names, _params, _Unit

SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ash", "ksh", "fish", "cmd", "cmd.exe", "powershell", "pwsh"})
STARTS = frozenset({"spawn", "execv", "execl", "execvp", "execlp", "execve", "execle", "execvpe", "call", "run",
                    "Popen", "check_call", "check_output", "system"})
CONNECTIONS = frozenset({"accept", "create_connection", "socket", "connect", "socketpair", "fromfd", "open_connection"})
RECEIVES = frozenset({"recv", "recvfrom", "makefile", "readline", "read"})
SHELL_RUNNERS = frozenset({"system", "popen", "getoutput", "getstatusoutput"})  # a command line, always a shell


def _connections(unit: _Unit) -> set[str]:
    """Names bound to a socket or to what ``accept()`` returns (``c, addr = srv.accept()``), and the parameters
    of the cell's functions that are called with one (``session(c)``)."""
    names: set[str] = set()
    for node in ast.walk(unit.tree):
        if isinstance(node, ast.Assign) and isinstance(value := _awaited(node.value), ast.Call) and \
                unit.name(value).rsplit(".", 1)[-1] in CONNECTIONS:  # r, w = await asyncio.open_connection(h, p)
            names |= set().union(*(_names(t) for t in node.targets))
    functions = {name: definitions[0] for name, definitions in unit.functions.items()}
    for call in unit.calls:  # session(c), Thread(target=self.serve, args=(conn,))
        name, passed = _driven_function(unit, call, functions)
        if name is not None:
            params = [p for p in _params(functions[name]) if p not in {"self", "cls"}]
            names |= {p for p, arg in zip(params, passed, strict=False) if _names(arg) & names}
    return names


def _received(unit: _Unit, connections: set[str]) -> set[str]:
    """Names that hold what a connection sends: ``data = c.recv(1024)``, ``for line in c.makefile('rb')``."""
    names: set[str] = set()
    for node in ast.walk(unit.tree):
        if isinstance(node, ast.Assign):
            value, targets = node.value, node.targets
        elif isinstance(node, ast.NamedExpr):  # while chunk := await r.read(4096)
            value, targets = node.value, [node.target]
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            value, targets = node.iter, [node.target]
        else:
            continue
        if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in RECEIVES and
               _names(n.func.value) & connections for n in ast.walk(value)):
            names |= set().union(*(_names(t) for t in targets))
    if not names:
        return names
    # a helper that returns what it received (def reliable_receive(self): ... return json.loads(data)): what its
    # callers bind holds it too
    helpers = {name for name, definitions in unit.functions.items() if any(
        isinstance(n, ast.Return) and n.value is not None and _names(n.value) & names
        for n in ast.walk(definitions[0]))}
    for node in ast.walk(unit.tree) if helpers else ():
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                unit.name(node.value).rsplit(".", 1)[-1] in helpers:
            names |= set().union(*(_names(t) for t in node.targets))
    return names


def _command_server(unit: _Unit, connections: set[str]) -> Found | None:
    """Commands read from a connection run by a shell (``subprocess.run(line.decode(), shell=True)``,
    ``os.system(data)``): a remote shell written without a descriptor duplicated."""
    received = _received(unit, connections) if connections else set()
    if not received:
        return None
    for call in unit.calls:
        short = unit.name(call).rsplit(".", 1)[-1]
        shell = short in SHELL_RUNNERS or short in STARTS and any(
            k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value is True for k in call.keywords)
        if not shell or not call.args:
            continue
        if _names(call.args[0]) & received or _handed_received(unit, call, received):
            return Found("shell/socket", call.lineno, "commands read from a network connection are run by a shell "
                         f"({unit.name(call)})")
    return None


def _handed_received(unit: _Unit, call: ast.Call, received: set[str]) -> bool:
    """Is the shell's command a parameter of the function it is in, which the cell calls with what it received
    (``def execute(self, command): return check_output(command, shell=True)``; ``self.execute(received)``)?"""
    function = unit.function_of(call)
    command = _names(call.args[0])
    if function is None or not command & set(_params(function)):
        return False
    params = [p for p in _params(function) if p not in {"self", "cls"}]
    return any(unit.name(caller).rsplit(".", 1)[-1] == function.name and
               any(param in command and _names(arg) & received for param, arg in zip(params, caller.args, strict=False))
               for caller in unit.calls)


def _shell(unit: _Unit, call: ast.Call) -> str | None:
    """The shell a call starts, when its program is one (``'/bin/bash'``, ``['bash', '-i']``)."""
    if unit.name(call).rsplit(".", 1)[-1] not in STARTS or not call.args:
        return None
    first = unit.value(call.args[0])
    if isinstance(first, list) and first:
        first = first[0]
    if isinstance(first, bytes):  # libc.execve(b'/bin/bash', ...) through ctypes
        first = first.decode("latin-1")
    if not isinstance(first, str) or not first.split():
        return None
    program = first.split()[0].rsplit("/", 1)[-1].lower()
    return first if program in SHELLS else None


def _duplicated(unit: _Unit, connections: set[str]) -> list[tuple[ast.Call, set[str]]]:
    """``os.dup2(c.fileno(), 0)`` and ``partial(os.dup2, fd)`` (mapped over 0, 1, 2), with the names whose
    descriptor is duplicated: the receiver of ``fileno()``, there or where ``fd = c.fileno()`` was bound, or a
    connection that is a descriptor itself (``fd = libc.socket(2, 1, 0)`` through ctypes)."""
    found = []
    for call in unit.calls:
        short = unit.name(call).rsplit(".", 1)[-1]
        if short == "dup2" and call.args:
            descriptor = call.args[0]
        elif short == "partial" and len(call.args) >= 2 and \
                unit.dotted_name(call.args[0]).rsplit(".", 1)[-1] == "dup2":
            descriptor = call.args[1]
        else:
            continue
        owners = {n for v in _with_bindings(unit, descriptor)
                  if isinstance(v, ast.Call) and unit.name(v).rsplit(".", 1)[-1] == "fileno"
                  for n in _names(_receiver(v))}
        if isinstance(descriptor, ast.Name) and descriptor.id in connections:
            owners.add(descriptor.id)
        if owners:
            found.append((call, owners))
    return found


def _with_bindings(unit: _Unit, node: ast.AST) -> list[ast.AST]:
    """The node and, for a name, the first two values bound to it (``fd = c.fileno()``): where a descriptor
    comes from."""
    return [node, *(unit.names_bound_to.get(node.id, ())[:2] if isinstance(node, ast.Name) else ())]


def _receiver(call: ast.Call) -> ast.AST | None:
    """``c`` of ``c.fileno()`` or of ``getattr(c, 'fileno')()``."""
    if isinstance(call.func, ast.Attribute):
        return call.func.value
    if isinstance(call.func, ast.Call) and call.func.args:
        return call.func.args[0]
    return None


def _handed_connection(unit: _Unit, connections: set[str]) -> Found | None:
    """A shell started with a connection as its standard input or output (``Popen(['/bin/sh', '-i'],
    stdin=s.fileno(), stdout=s.fileno())``, or ``fd = s.fileno()`` passed): the same wiring without ``dup2``."""
    if not connections:
        return None
    for call in unit.calls:
        streams = [k.value for k in call.keywords if k.arg in ("stdin", "stdout")]
        if not streams or (shell := _shell(unit, call)) is None:
            continue
        for stream in streams:
            if set().union(*(_names(v) for v in _with_bindings(unit, stream))) & connections:
                return Found("shell/socket", call.lineno, f"a shell ({shell[:40]}) given a network connection as "
                             "its input or output")
    return None


PTY_MAKERS = frozenset({"pty.fork", "pty.openpty", "os.openpty", "os.forkpty"})
# what reads a client's message: a socket's or a websocket's receive, a request's body
CLIENT_READS = frozenset({"recv", "recvfrom", "receive", "receive_text", "receive_bytes", "receive_json", "get_data",
                          "get_json"})


def _from_client(unit: _Unit, expr: ast.AST, messages: set[str], depth: int = 0) -> bool:
    """Is the value what a client sent: a handler's request (``self.rfile.read(n)``), a receive call, a message of
    an ``async for`` over a connection, Flask's ``request.data``, or a name bound to one?"""
    if _handler_input(expr):
        return True
    for node in ast.walk(expr):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CLIENT_READS:
            return True
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "request" and \
                node.attr in {"data", "form", "json", "args", "values"}:
            return True
        if isinstance(node, ast.Name) and (node.id in messages or depth < 2 and any(
                _from_client(unit, v, messages, depth + 1) for v in unit.names_bound_to.get(node.id, ())[:4])):
            return True
    return False


def _web_terminal(unit: _Unit) -> Found | None:
    """A pseudo-terminal's descriptor written with what a client sent, and a shell started (``shell/web``)."""
    made = [call for call in unit.calls if unit.name(call) in PTY_MAKERS]
    terminals = {n for call in made if isinstance(assign := unit.parent.get(id(call)), ast.Assign)
                 for t in assign.targets for n in _names(t)}
    if not terminals or not any(_shell(unit, call) for call in unit.calls):
        return None
    writes = any(unit.name(call) == "os.write" for call in unit.calls)
    messages = {n for node in ast.walk(unit.tree) if isinstance(node, ast.AsyncFor) for n in _names(node.target)} \
        if writes else set()
    if writes:  # what a connection the unit opened sent (a reverse shell on a pseudo-terminal)
        messages |= _received(unit, _connections(unit))
    for call in unit.calls:
        if unit.name(call) == "os.write" and len(call.args) == 2 and _names(call.args[0]) & terminals and \
                _from_client(unit, call.args[1], messages):
            return Found("shell/web", call.lineno, "a shell's terminal is written with what a client or a connection "
                         "sent (a web terminal or a reverse shell)")
    return None


def _socket_shells(unit: _Unit) -> list[Found]:
    if (terminal := _web_terminal(unit)) is not None:
        return [terminal]
    connections = _connections(unit)
    dups = _duplicated(unit, connections)
    if (handed := _handed_connection(unit, connections)) is not None:
        return [handed]
    if not dups:
        server = _command_server(unit, connections)
        return [server] if server is not None else []
    wired = [c for c, owners in dups if owners & connections]
    if not wired:
        return []
    for call in unit.calls:
        shell = _shell(unit, call)
        if shell is not None:
            return [Found("shell/socket", call.lineno, f"a shell ({shell[:40]}) whose input and output are a "
                          f"network connection (line {wired[0].lineno})")]
    return []
