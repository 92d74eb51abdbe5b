"""``server/files|media|relay`` and ``server-local/...``: a server on every interface (or loopback) that serves
files or uploads, streams media, or relays connections."""

from __future__ import annotations

import ast
import re
from typing import Any

from .handlers import _file_sent, _received, _upload_kept
from .unit import CONNECTS, LOCAL_HOSTS, Found, _names, _params, _Unit

SERVER_CLASSES = {"HTTPServer", "ThreadingHTTPServer", "TCPServer", "ThreadingTCPServer", "UDPServer",
                  "ThreadingUDPServer", "ForkingTCPServer", "WSGIServer", "make_server", "FTPServer",
                  "ThreadedFTPServer"}
APP_RUNNERS = {"run": "127.0.0.1", "run_app": "0.0.0.0", "serve": "0.0.0.0", "listen": "", "start_server": "",
               "create_server": "", "run_simple": "127.0.0.1"}
FILE_SERVING = {"send_file", "send_from_directory", "FileResponse", "StaticFiles", "static", "add_static",
                "SimpleHTTPRequestHandler", "CGIHTTPRequestHandler", "serve_file", "FileWrapper", "sendfile",
                "FTPHandler", "DummyAuthorizer", "send_static_file", "directory_listing", "list_directory",
                "static_file", "AutoIndex"}
FILE_HANDLERS = {"SimpleHTTPRequestHandler", "CGIHTTPRequestHandler", "StaticFileHandler"}  # named, not called
FILE_TEXT = ("tools.staticdir.", "tools.staticfile.")  # cherrypy's static-file tools, switched on in its config
MEDIA_SERVING = ("multipart/x-mixed-replace", "video/", "audio/", ".m3u8", "mpegurl", "icy-")
RELAY_TEXT = ("CONNECT", "\x05\x00", "\x05\x01", "\x05\x02", "socks5", "socks4")


def _servers(unit: _Unit) -> list[Found]:
    binds: list[tuple[str, ast.Call]] = []
    subclasses = _server_subclasses(unit)
    for call in unit.calls:
        host = _bound_host(unit, call, subclasses)
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


def _bound_host(unit: _Unit, call: ast.Call, subclasses: frozenset[str]) -> Any:
    """The host a call makes a server listen on (\"?\" when it cannot be known), or _NOT_A_SERVER; ``subclasses``
    are the unit's own server classes (:func:`_server_subclasses`)."""
    name = unit.name(call)
    short = name.rsplit(".", 1)[-1]
    module = name.split(".", 1)[0]
    if short in {"Thread", "Process"} and (started := _started_call(unit, call)) is not None:
        return _bound_host(unit, started, subclasses)  # Thread(target=app.run, kwargs={'host': '0.0.0.0'})
    if short == "bind" or short in SERVER_CLASSES or short in subclasses:
        address = call.args[0] if call.args else None
        if isinstance(address, ast.Name):  # server_address = ('', 8000); HTTPServer(server_address, Handler)
            address = unit.bound_once(address)
        if isinstance(address, ast.Tuple) and address.elts:
            host = unit.value(address.elts[0])
            return "?" if host is None else host
        folded = unit.value(address)  # bind(route["listen"]), bind(cfg.addr): the pair the cell spelled elsewhere
        if isinstance(folded, (tuple, list)) and len(folded) == 2 and isinstance(folded[0], str):
            return folded[0]
        return _NOT_A_SERVER
    given = unit.keyword(call, "host", "address", "bind", "hostname")
    if short == "run" and _app_like(unit, call) or short == "run_simple":
        default = "127.0.0.1"
        if given is None and call.args and isinstance(unit.value(call.args[0]), str):
            given = call.args[0]  # app.run('0.0.0.0', 8000), run_simple('0.0.0.0', 8000, app)
    elif short == "Config" and module == "uvicorn":  # uvicorn.Server(uvicorn.Config(app, host=...)).run()
        default = "127.0.0.1"
    elif short == "TCPSite":  # aiohttp's web.TCPSite(runner, host, port): every interface unless a host is given
        default = ""
        if given is None and len(call.args) >= 2:
            given = call.args[1]
    elif short in {"run_app", "start_server", "create_server"} or \
            short == "serve" and module in {"waitress", "hypercorn", "websockets", "bjoern", "gevent", "uvicorn"}:
        default = ""  # aiohttp, asyncio, waitress and websockets listen on every interface by default
        if given is None and short in {"start_server", "create_server", "serve"} and len(call.args) >= 2:
            given = call.args[1]
    elif short == "quickstart" and module == "cherrypy":
        # cherrypy listens on loopback unless its config says otherwise (server.socket_host)
        default = "0.0.0.0" if any(t in {"0.0.0.0", "::"} for _, t in unit.strings) else "127.0.0.1"
    elif short == "listen" and isinstance(call.func, ast.Attribute) and call.args and \
            isinstance(unit.value(call.args[0]), int) and unit.value(call.args[0]) > 1024:
        default = ""  # tornado's app.listen(port): every interface
    else:
        return _NOT_A_SERVER
    if given is None:
        return default
    host = unit.value(given)
    return "?" if host is None else host


def _server_subclasses(unit: _Unit) -> frozenset[str]:
    """The unit's own classes built on a server class (``class UploadServer(ThreadingHTTPServer)``): constructing
    one binds as the base does."""
    return frozenset(node.name for node in unit.classes if any(
        (getattr(base, "attr", None) or getattr(base, "id", "")) in SERVER_CLASSES for base in node.bases))


def _started_call(unit: _Unit, call: ast.Call) -> ast.Call | None:
    """The call a thread or process constructor makes (``target=app.run`` with its ``args`` and ``kwargs``), as a
    call the bind checks can read; None when the target is not a method or its arguments are not written out."""
    target = unit.keyword(call, "target")
    args, kwargs = unit.keyword(call, "args"), unit.keyword(call, "kwargs")
    if isinstance(kwargs, ast.Name):  # cfg = {"host": ..., "port": ...}; Thread(..., kwargs=cfg)
        kwargs = unit.bound_once(kwargs) or kwargs
    if isinstance(kwargs, ast.Call) and isinstance(kwargs.func, ast.Name) and kwargs.func.id == "dict" and \
            not kwargs.args and all(k.arg for k in kwargs.keywords):  # dict(host='0.0.0.0', port=8001)
        kwargs = ast.Dict(keys=[ast.Constant(k.arg) for k in kwargs.keywords], values=[k.value for k in kwargs.keywords])
    if not isinstance(target, ast.Attribute) or (args is not None and not isinstance(args, (ast.Tuple, ast.List))) \
            or (kwargs is not None and not isinstance(kwargs, ast.Dict)):
        return None
    keywords = [ast.keyword(arg=k.value, value=v) for k, v in zip(kwargs.keys, kwargs.values, strict=False)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)] if kwargs is not None else []
    return ast.copy_location(ast.Call(func=target, args=list(args.elts) if args is not None else [],
                                      keywords=keywords), call)


def _app_like(unit: _Unit, call: ast.Call) -> bool:
    """``X.run(...)`` is a web app being served (Flask, socketio, bottle), not any ``run``."""
    base = unit.name(call).rsplit(".", 1)[0]
    return bool(re.search(r"app|flask|socketio|bottle|server|uvicorn|waitress|web", base, re.I)) or \
        unit.keyword(call, "host", "port") is not None


# calls that keep what a server was sent (save an upload, copy its stream, write it to a file)
STORING = frozenset({"save", "copyfileobj", "write_bytes", "write", "writelines", "move", "upload_file"})
# calls that list a folder to visitors (the uploads a portal shows)
LISTING = frozenset({"listdir", "scandir", "iterdir", "glob", "iglob", "walk"})


def _served(unit: _Unit) -> dict[str, int]:
    """What the unit's server hands out, with a line that shows it."""
    out: dict[str, int] = {}
    # an upload is file hosting only when it is kept and shown to visitors: a form that reads the upload, works
    # on it (in memory, or saved to a path for the model) and answers (an image-analysis app behind a tunnel)
    # keeps nothing for anyone
    stores = lists = False
    for call in unit.calls:
        short = unit.name(call).rsplit(".", 1)[-1]
        stores = stores or short in STORING
        lists = lists or short in LISTING
        if short in FILE_SERVING:
            out.setdefault("files", call.lineno)
        elif short == "save" and "files" in unit.name(call):
            out.setdefault("files", call.lineno)
        elif short == "StreamingResponse" and any(isinstance(n, ast.Call) and unit.name(n).rsplit(".", 1)[-1] == "open"
                                                 for n in ast.walk(call)):
            out.setdefault("files", call.lineno)
        elif short == "imencode" and any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in
                                         ast.walk(unit.function_of(call) or unit.tree)):
            out.setdefault("media", call.lineno)  # camera frames yielded one by one: a video stream
    for node in ast.walk(unit.tree):
        named = getattr(node, "attr", None)
        if isinstance(node, ast.Name):  # a handler class under another name (H = getattr(http.server, x))
            named = unit.aliases.get(node.id, node.id).rsplit(".", 1)[-1]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr":
            named = (unit.reference(node) or "").rsplit(".", 1)[-1]  # partial(getattr(srv, decoded), ...)
            if not named and len(node.args) >= 2 and isinstance(attr := unit.value(node.args[1]), str):
                named = attr  # getattr(mods["web"], "send_from_directory"): the attribute, whatever the module
                if named in FOLDER_SERVERS:
                    out.setdefault("files", node.lineno)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "do_CONNECT":
            out.setdefault("relay", node.lineno)
        elif named in FILE_HANDLERS:
            out.setdefault("files", node.lineno)
        elif stores and lists and (named == "UploadFile" or named == "files" and isinstance(node, ast.Attribute)
                         and isinstance(node.value, ast.Name) and node.value.id == "request"):
            out.setdefault("files", node.lineno)  # request.files or UploadFile, kept: an upload portal
    for node, text in unit.strings:
        low = text.lower()
        if any(m in low for m in MEDIA_SERVING) and _near_server_io(unit, node):
            out.setdefault("media", node.lineno)
        if low.startswith(FILE_TEXT):
            out.setdefault("files", node.lineno)
        if (text == "CONNECT" or any(m in text for m in RELAY_TEXT[1:])) and _near_server_io(unit, node) \
                and _connects_out(unit):
            out.setdefault("relay", node.lineno)
    # the same text put together from pieces (VERB = "CON" + "NE" + "CT"), where the name is compared or sent
    assembled = {name for name, value in unit.constants.items() if isinstance(value, str) and
                 (value == "CONNECT" or any(m in value for m in RELAY_TEXT[1:]))}
    if assembled and "relay" not in out and _connects_out(unit):
        for node in ast.walk(unit.tree):
            if isinstance(node, ast.Name) and node.id in assembled and isinstance(node.ctx, ast.Load) and \
                    _near_server_io(unit, node):
                out.setdefault("relay", node.lineno)
                break
    pipe = _pipe(unit)
    if pipe is not None:
        kind = _piped_to(unit)
        if kind is not None:
            out.setdefault(kind, pipe)
    fetches = _fetches_for_client(unit)
    if fetches is not None:
        out.setdefault("relay", fetches)
    sent = _file_sent(unit)
    if sent is None:
        sent = _upload_kept(unit)
    if sent is None:
        sent = _drop_box(unit)
    if sent is not None:
        out.setdefault("files", sent)
    if "files" in out and (portal := _portal(unit)) is not None:
        out["portal"] = portal
    if (board := _board(unit)) is not None:
        out.setdefault("board", board)
    if ("files" in out or "media" in out) and (library := _library(unit)) is not None:
        out["library"] = library
    return out


SERVED_FROM = frozenset({"send_from_directory", "FileResponse", "send_file", "StaticFiles", "static"})
FOLDER_SERVERS = frozenset({"send_from_directory", "StaticFiles", "static"})  # their first argument is the folder


def _library(unit: _Unit) -> int | None:
    """The line where the server hands out a folder's files that it lists and that the unit never writes (a
    Drive folder of films, music or documents): a library served to visitors, not a model's outputs."""
    listed: set[object] = set()
    served: dict[object, int] = {}
    written: set[object] = set()
    for call in unit.calls:
        short = unit.name(call).rsplit(".", 1)[-1]
        if short in LISTING and call.args:
            folder = _folder(unit, call.args[0], whole=short != "glob") or _folder(unit, call.args[0])
            if folder is not None:
                listed.add(folder)
        elif short == "open" and call.args and unit.function_of(call) is not None:
            mode = str(unit.value(call.args[1]) or "") if len(call.args) > 1 else "r"
            folder = _folder(unit, call.args[0])
            if folder is not None and ("w" in mode or "a" in mode):
                written.add(folder)
            elif folder is not None:  # read inside a handler: a file handed out
                served.setdefault(folder, call.lineno)
        elif short in SERVED_FROM:
            folder = _served_folder(unit, call, short)
            if folder is not None:
                served.setdefault(folder, call.lineno)
        elif short in STORING | {"imwrite", "makedirs"} and call.args:
            folder = _folder(unit, call.args[0])
            if folder is not None:
                written.add(folder)
    shared = (listed & served.keys()) - written
    return min(served[f] for f in shared) if shared else None


# the calls of a web app that only takes files in and files them: the framework, paths, settings and its answer
FILING = frozenset({
    "Flask", "FastAPI", "Blueprint", "route", "get", "post", "put", "getlist", "save", "join", "exists", "isdir",
    "isfile", "makedirs", "mkdir", "secure_filename", "render_template", "render_template_string", "redirect",
    "url_for", "flash", "jsonify", "make_response", "abort", "HTMLResponse", "JSONResponse", "File", "UploadFile",
    "ArgumentParser", "add_argument", "parse_args", "run", "print", "len", "str", "int", "getenv", "info",
    "warning", "error", "debug", "basicConfig", "getLogger", "replace", "format", "lower", "strip", "split",
    "rsplit", "splitext", "basename", "dirname", "abspath", "endswith", "startswith", "append", "Path", "uuid4",
    "now", "strftime", "isoformat", "enumerate", "range", "isinstance"})


def _drop_box(unit: _Unit) -> int | None:
    """The line where a web app keeps an upload under the name its visitor gave it (``f.save(join(UP,
    f.filename))``) when the program does nothing else with what it keeps: a drop box for anyone's files.  An app
    that reads, converts or feeds its uploads to a model calls more than :data:`FILING` and is a tool, not this."""
    line = None
    for call in unit.calls:
        short = unit.name(call).rsplit(".", 1)[-1]
        if short == "save" and call.args and _an_upload(unit, call):
            path = call.args[0]
            if isinstance(path, ast.Name) and (bound := unit.bound_once(path)) is not None:
                path = bound  # where = os.path.join(UP, f.filename); f.save(where)
            if any(isinstance(n, ast.Attribute) and n.attr == "filename" for n in ast.walk(path)):
                line = line or call.lineno
                continue
        if short not in FILING and short not in unit.functions:
            return None
    return line


def _portal(unit: _Unit) -> int | None:
    """The line where the server hands out files from the folder it keeps its uploads in (``f.save(join(UP,
    name))`` and ``send_from_directory(UP, name)``): a share portal, whatever else the notebook does (a model
    that writes its outputs elsewhere and serves those is a demo, not this)."""
    kept: set[object] = set()
    served: dict[object, int] = {}
    for call in unit.calls:
        short = unit.name(call).rsplit(".", 1)[-1]
        if short in {"save", "copyfileobj"} and call.args and _an_upload(unit, call) or short == "open" and \
                len(call.args) >= 2 and "w" in str(unit.value(call.args[1]) or "") and _in_upload_handler(unit, call):
            folder = _folder(unit, call.args[1] if short == "copyfileobj" and len(call.args) > 1 else call.args[0])
            if folder is not None:
                kept.add(folder)
        elif short in SERVED_FROM:
            folder = _served_folder(unit, call, short)
            if folder is not None:
                served.setdefault(folder, call.lineno)
    common = kept & served.keys()
    return min(served[f] for f in common) if common else None


ROUTES = frozenset({"route", "get", "post", "put", "patch", "api_route"})  # @app.route('/'), @app.post('/post')


def _board(unit: _Unit) -> int | None:
    """The line where a web handler stores what a visitor sent in a database (``INSERT`` with the handler's
    parameters or the request's form) when a handler also reads the stored rows back (``SELECT``): a guestbook, a
    message board, a shop, a website kept for its users.  A model's demo stores nothing its visitors see again."""
    stored = None
    read = False
    kept: dict[str, tuple[int, ast.AST]] = {}  # a module-level dict or list a handler keeps a visitor's value in
    handlers = []
    top = {t.id for stmt in unit.tree.body if isinstance(stmt, ast.Assign) for t in stmt.targets
           if isinstance(t, ast.Name) and isinstance(stmt.value, (ast.Dict, ast.List, ast.Call))}
    for function in (f for found in unit.functions.values() for f in found):
        if not any(isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in ROUTES
                   for d in function.decorator_list) and function.name not in {"do_POST", "do_GET"}:
            continue
        handlers.append(function)
        given = set(_params(function)) - {"self", "cls"}
        for name, line in _kept_in_memory(unit, function, given, top):
            kept.setdefault(name, (line, function))
        for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
            sql = unit.value(call.args[0]) if call.args and unit.name(call).rsplit(".", 1)[-1] in {
                "execute", "executemany"} else None
            words = sql.lstrip().lower() if isinstance(sql, str) else ""
            if words.startswith(("insert", "replace")) and len(call.args) > 1 and (
                    _names(call.args[1]) & given or "request" in ast.unparse(call.args[1])):
                stored = stored or call.lineno
            read = read or words.startswith("select")
    if stored is None or not read:  # DB[k] = url in one handler, DB[k] read back by another: the same, in memory
        for name, (line, keeper) in kept.items():
            if any(h is not keeper and any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
                                           for n in ast.walk(h)) for h in handlers):
                return line
    return stored if read else None


def _kept_in_memory(unit: _Unit, function: ast.AST, given: set[str], top: set[str]) -> list[tuple[str, int]]:
    """The module-level collections (``top``) a handler keeps what a visitor sent in (``DB[k] = url``,
    ``posts.append(text)`` with ``url`` or ``text`` a parameter of the handler or read from the request)."""
    out = []
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and
                                                t.value.id in top for t in node.targets):
            name, value = next(t.value.id for t in node.targets if isinstance(t, ast.Subscript)), node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in {
                "append", "insert", "add"} and isinstance(node.func.value, ast.Name) and node.func.value.id in top \
                and node.args:
            name, value = node.func.value.id, node.args[-1]
        else:
            continue
        if _names(value) & given or "request" in ast.unparse(value):
            out.append((name, node.lineno))
    return out


def _an_upload(unit: _Unit, call: ast.Call) -> bool:
    """Is what ``f.save(...)`` or ``copyfileobj(src, ...)`` keeps a visitor's upload (``request.files``, an
    ``UploadFile``, a loop over ``request.files.getlist(...)``), not a file the unit made (a model's image)?"""
    source = call.args[0] if unit.name(call).rsplit(".", 1)[-1] == "copyfileobj" else \
        call.func.value if isinstance(call.func, ast.Attribute) else None
    if source is None:
        return False
    text = ast.unparse(source)
    if "files" in text or "UploadFile" in text or "upload" in text.lower():
        return True
    names = _names(source)
    function = unit.function_of(call)
    scope = function or unit.tree
    handed = _handed_uploads(unit, function) if function is not None else set()
    return any(isinstance(n, (ast.For, ast.AsyncFor)) and _names(n.target) & names and
               ("files" in ast.unparse(n.iter) or _names(n.iter) & handed)
               or isinstance(n, ast.Assign) and any(_names(t) & names for t in n.targets) and
               "files" in ast.unparse(n.value) for n in ast.walk(scope)) or bool(names & handed) or \
        any(isinstance(a, ast.arg) and a.arg in names and a.annotation is not None and
            "UploadFile" in ast.unparse(a.annotation) for a in ast.walk(scope))


def _handed_uploads(unit: _Unit, function: ast.AST) -> set[str]:
    """The parameters of a helper that its callers hand uploads (``file_all(request.files.getlist('f'), UP)``)."""
    params = [p for p in _params(function) if p not in ("self", "cls")]
    handed = set()
    for call in unit.calls:
        if unit.name(call).rsplit(".", 1)[-1] == getattr(function, "name", None):
            handed |= {param for param, arg in zip(params, call.args, strict=False) if "files" in ast.unparse(arg)}
    return handed


UPLOAD_WORDS = re.compile(r"request\.files|\brfile\b|UploadFile|\bupload", re.I)


def _in_upload_handler(unit: _Unit, call: ast.Call) -> bool:
    """Is a file opened for writing inside a function that takes an upload (``request.files``, ``self.rfile``,
    an ``UploadFile``)?"""
    function = unit.function_of(call)
    return function is not None and UPLOAD_WORDS.search(ast.unparse(function)) is not None


def _served_folder(unit: _Unit, call: ast.Call, short: str) -> object | None:
    """The folder a file-serving call hands files out of (``send_from_directory(UP, n)``, ``StaticFiles(
    directory=LIB)``, ``FileResponse(join(LIB, n))``), as a :func:`_folder` key."""
    given = call.args[0] if call.args else unit.keyword(call, "directory", "path")
    return _folder(unit, given, whole=short in FOLDER_SERVERS) if given is not None else None


def _folder(unit: _Unit, node: ast.AST, whole: bool = False) -> object | None:
    """The folder a path expression lies in, as a comparable key (a name or a constant): ``join(UP, n)``,
    ``UP + '/' + n``, ``f'{UP}/{n}'``; with ``whole``, the expression is the folder itself."""
    if not whole:
        if isinstance(node, ast.Name) and isinstance(bound := unit.bound_once(node), (ast.Call, ast.BinOp,
                                                                                     ast.JoinedStr)):
            node = bound  # path = os.path.join(ROOT, name); open(path, 'rb')
        if isinstance(node, ast.Call) and unit.name(node).rsplit(".", 1)[-1] == "join" and node.args:
            node = node.args[0]
        elif isinstance(node, ast.BinOp):
            while isinstance(node, ast.BinOp):
                node = node.left
        elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.FormattedValue):
            node = node.values[0].value
        else:
            return None
    if isinstance(node, ast.Name):
        return ("name", node.id)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return ("text", node.value.rstrip("/"))
    return None


# what http.server gives a request handler: the client's request line, body and headers (self.path, self.rfile)


def _piped_to(unit: _Unit) -> str | None:
    """Where a pipe's outgoing connections go. ``relay`` when an address comes from what the unit received (a
    SOCKS request, a CONNECT line, a URL in a request: an open proxy that takes anyone anywhere); ``forward``
    when every one goes to a fixed address on another machine (a port forward); None when they go to this
    machine or to an address set at run time (a course's forwarder to its own server, an argv target)."""
    received = _received(unit)
    remote = False
    for call in unit.calls:
        if unit.name(call).rsplit(".", 1)[-1] not in CONNECTS or not (call.args or call.keywords):
            continue
        parts = [*call.args[:2], *(k.value for k in call.keywords if k.arg in {"host", "address", "port"})]
        if set().union(*(_names(part) for part in parts)) & received:
            return "relay"
        first = call.args[0] if call.args else unit.keyword(call, "host", "address")
        host = unit.value(first.elts[0] if isinstance(first, ast.Tuple) and first.elts else first)
        if isinstance(host, (tuple, list)) and host:  # an address kept whole under a name: R = (host, port)
            host = host[0]
        if isinstance(host, bytes):
            host = host.decode("latin-1")
        if isinstance(host, str) and host and not host.startswith(LOCAL_HOSTS):
            remote = True
    return "forward" if remote else None


_CLIENT_INPUT = re.compile(r"\brequest\.(args|values|form|query_params|query|GET|POST|match_info|path_params)\b")
_FETCHES = {"get", "post", "request", "urlopen", "fetch", "stream"}
_HTTP_CLIENTS = frozenset({"requests", "httpx", "urllib", "aiohttp", "session", "client"})


def _is_fetch(name: str) -> bool:
    """``requests.get``, ``session.post``, ``urllib.request.urlopen``: an HTTP client fetching a page."""
    return name.rsplit(".", 1)[-1] in _FETCHES and name.split(".", 1)[0] in _HTTP_CLIENTS


def _fetches_for_client(unit: _Unit) -> int | None:
    """A server that fetches the URL its client names (``requests.get(request.args['url'])``) and hands the page
    back: a web proxy."""
    for call in unit.calls:
        name = unit.name(call)
        if not call.args or not _is_fetch(name):
            continue
        arg = call.args[0]
        sources = [arg, *(v for n in _names(arg) for v in unit.names_bound_to.get(n, ())[:4])]
        if any(_CLIENT_INPUT.search(ast.unparse(s)) for s in sources) and _handed_back(unit, call):
            return call.lineno
    return None


def _handed_back(unit: _Unit, call: ast.Call) -> bool:
    """Is what the fetch brought returned to the client (the page itself, not something computed from it)?"""
    if any(isinstance(a, ast.Return) for a in unit.ancestors(call)):
        return True
    parent = unit.parent.get(id(call))
    held = _names(parent.optional_vars) if isinstance(parent, ast.withitem) else \
        set().union(*(_names(t) for t in parent.targets)) if isinstance(parent, ast.Assign) else set()
    function = unit.function_of(call)
    returns = [n.value for n in ast.walk(function) if isinstance(n, ast.Return) and n.value is not None] \
        if function is not None else []
    # return r.content, Response(r.iter_content()), r.text: the fetched page, as it came
    return any(isinstance(n, ast.Name) and n.id in held and not isinstance(unit.parent.get(id(n)), ast.Call)
               for value in returns for n in ast.walk(value))


def _connects_out(unit: _Unit) -> bool:
    """Does the unit open any connection of its own?  A relay must: a CONNECT among the HTTP methods a course's
    Flask route lists, answered by the route itself, relays nothing."""
    for call in unit.calls:
        name = unit.name(call)
        short = name.rsplit(".", 1)[-1]
        if short in CONNECTS or short == "urlopen" or _is_fetch(name):
            return True
    return False


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
        for node in ast.walk(loop):  # data = r.recv(n) in the loop, or while data := await r.read(n)
            if isinstance(node, (ast.Assign, ast.NamedExpr)) and isinstance(node.value, (ast.Call, ast.Await)):
                inner = node.value.value if isinstance(node.value, ast.Await) else node.value
                targets = [node.target] if isinstance(node, ast.NamedExpr) else node.targets
                if isinstance(inner, ast.Call) and unit.name(inner).rsplit(".", 1)[-1] in {"recv", "read"} and \
                        unit.name(inner).rsplit(".", 1)[0] != receiver and \
                        set().union(*(_names(t) for t in targets)) & source:
                    return call.lineno
    return None


def _serves(kind: str) -> str:
    return {"files": "serves files or takes uploads", "media": "streams media",
            "portal": "keeps its visitors' uploads and hands them out again (a share portal)",
            "board": "keeps what its visitors post and shows it to others (a website kept for its users)",
            "library": "lists a folder it never writes and hands out its files (a library served to visitors)",
            "relay": "relays other connections (a proxy)",
            "forward": "forwards the connections it takes to one fixed address elsewhere (a port forward)"}[kind]
