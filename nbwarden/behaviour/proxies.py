"""``proxy-trial/loop``: each proxy of a collection tried in turn. The proxies mapping that HTTP clients take
(``{'http': 'http://' + p}``, ``{'https': f'socks5://{p}'}``) is built from a loop's item, or from a parameter
of a function that a loop, a pool or threads run for each item: a proxy checker or a rotating scraper, whatever
its names say. One configured proxy (a constant, a setting read once) is not a trial.

``proxy-trial/draw``: a proxies mapping (or a ``proxy=`` argument) made from a proxy drawn from a collection
(``random.choice(pool)``, ``next(cycle(pool))``, ``pool[i % len(pool)]``) and handed to a call, directly or as
what a function returns to the call that takes it (``proxies=rotate()``, with ``rotate`` made by a factory): a
rotating pool, each request through another proxy.

``proxy-client/one``: no trial, and a proxies mapping handed to a request whose every value is one fixed address
(a constant, however it was put together): a client of one configured proxy, what a course on scraping or a
corporate network setting looks like. Packs use it to keep the word model quiet about such clients.

``proxy-list/unused``: proxy lists fetched from their sources (a URL that names proxies) and nothing in the
program goes through a proxy: no proxies mapping or proxy option handed to a call, no proxy handler or
connector, no proxy in the environment or on a command line, no socket connected, no other program run (it may
be the list's checker). A scraper that only keeps the list, which the labelling policy allows; packs use it to
keep the word model quiet about such programs.

``proxy-remote/socks``: PySocks' default proxy set to a host off this machine, whatever hides the host (decoded,
split from a string): every socket the program opens then goes through that remote proxy."""

from __future__ import annotations

import ast

from .unit import (
    CONNECTS,
    LOCAL_HOSTS,
    MAPPERS,
    Found,
    _derived,
    _driven_function,
    _loop_targets,
    _names,
    _params,
    _Unit,
)

DEFAULT_PROXY_CALLS = frozenset({"set_default_proxy", "setdefaultproxy"})  # PySocks, and its old name
# the keys of a proxies mapping (requests, httpx, urllib's ProxyHandler)
PROXY_KEYS = frozenset({"http", "https", "http://", "https://", "all://", "socks5", "ftp"})


# calls that only keep or show a mapping (a list of proxies collected for later is not yet a trial)
KEEPING = frozenset({"append", "extend", "add", "insert", "put", "put_nowait", "print", "write", "dump", "dumps",
                     "pprint", "format", "update"})


# how a program uses a proxy rather than keeping a list of them: keyword arguments, callables (by their last
# name or the class they come from) and words of an environment setting or a command line
PROXY_USE_KEYWORDS = frozenset({"proxies", "proxy", "proxy_url", "proxy_host", "proxy_type", "proxy_auth",
                                "proxy_info", "proxy_server", "http_proxy", "https_proxy", "proxy_headers"})
PROXY_USE_CALLS = frozenset({"ProxyHandler", "ProxyConnector", "ProxyManager", "SOCKSProxyManager", "proxy_from_url",
                             "ProxyInfo", "Proxy", "set_proxy", *DEFAULT_PROXY_CALLS})
PROXY_USE_WORDS = ("--proxy-server", "proxychains", "http_proxy", "https_proxy", "all_proxy", "socks_proxy")
# list files by their protocol's name (monosans/proxy-list's http.txt, socks5.txt)
_LIST_FILES = ("/http.txt", "/https.txt", "/socks4.txt", "/socks5.txt", "/proxies.txt", "/proxy.txt")


def _handed_on(unit: _Unit, node: ast.Dict) -> bool:
    """Is the mapping given to a call that uses it (``proxies=m``, ``get(url, m)``), directly or through the
    name it is assigned to, in the same function?"""
    parent = unit.parent.get(id(node))
    if isinstance(parent, ast.keyword):
        parent = unit.parent.get(id(parent))
    if isinstance(parent, ast.Call):  # (a session's proxies updated with it are used by its every request)
        name = unit.name(parent)
        return name.rsplit(".", 1)[-1] not in KEEPING or _session_proxies(name.split("."))
    if not isinstance(parent, ast.Assign):
        return False
    held = set().union(*(_names(t) for t in parent.targets))
    scope = unit.function_of(node) or unit.tree
    for call in (n for n in ast.walk(scope) if isinstance(n, ast.Call)):
        if unit.name(call).rsplit(".", 1)[-1] in KEEPING:
            continue
        if any(isinstance(a, ast.Name) and a.id in held for a in (*call.args, *(k.value for k in call.keywords))):
            return True
    return False


def _proxy_dicts(unit: _Unit) -> list[ast.Dict]:
    """Dict displays whose every key is a proxies key (``{'http': p, 'https': p}``), not a record that happens
    to hold one; found once per unit."""
    if "proxy dicts" not in unit.memo:
        unit.memo["proxy dicts"] = [node for node in ast.walk(unit.tree) if isinstance(node, ast.Dict) and node.keys
                                    and all(isinstance(k, ast.Constant) and k.value in PROXY_KEYS for k in node.keys)]
    return unit.memo["proxy dicts"]


def _proxy_maps(unit: _Unit) -> list[tuple[ast.Dict, set[str]]]:
    """Proxies mappings whose value is built from names (not a constant) and that are handed to a call, with
    those names."""
    out = []
    for node in _proxy_dicts(unit):
        used = set().union(*(_names(v) for v in node.values))
        if used and _handed_on(unit, node):
            out.append((node, used))
    return out


def proxy_from_parameters(unit: _Unit, call: ast.Call) -> bool:
    """Is this call's ``proxies=``/``proxy=`` argument made from the first parameter of the function it is in
    (what a loop or a pool's map hands each run), not from an option with a default (``proxies=CORP``)?"""
    proxy = unit.keyword(call, "proxies", "proxy")
    function = unit.function_of(call)
    if proxy is None or not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    first = [p for p in _params(function) if p not in {"self", "cls"}][:1]
    return bool(first) and bool(_names(proxy) & _derived(unit, function, set(first)))


def _proxy_trials(unit: _Unit) -> list[Found]:
    found: list[Found] = []
    functions: dict[str, ast.AST] = {}
    for call in unit.calls:  # a request given the proxy its function was handed: check(p) -> get(url, proxies=p)
        if proxy_from_parameters(unit, call):
            functions.setdefault(unit.function_of(call).name, call)
    for node, used in _proxy_maps(unit):
        function = unit.function_of(node)
        loop = next((loop for loop in unit.loops_around(node)
                     if _derived(unit, function or unit.tree, _loop_targets(loop)) & used), None)
        if loop is not None:
            found.append(Found("proxy-trial/loop", node.lineno, f"a proxy made from each item of a loop "
                               f"(line {loop.lineno}) and handed to a call"))
            return found
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                _derived(unit, function, set(_params(function))) & used:
            functions.setdefault(function.name, node)
    for call in unit.calls:
        target, passed = _driven_function(unit, call, functions)
        if target is None:
            continue
        short = unit.name(call).rsplit(".", 1)[-1]
        mapped = short in MAPPERS and len(call.args) >= 2
        loop = next((loop for loop in unit.loops_around(call)
                     if _derived(unit, unit.function_of(call) or unit.tree, _loop_targets(loop)) &
                     set().union(*(_names(a) for a in passed))), None) if passed else None
        if mapped or loop is not None:
            node = functions[target]
            found.append(Found("proxy-trial/loop", node.lineno, f"a proxy made in {target}(), run for each item "
                               f"(line {call.lineno if mapped else loop.lineno})"))
            return found
    return found


DRAWS = frozenset({"choice", "choices", "sample"})  # random's draws from a collection
_DRAW_DEPTH = 3


def _drawn(unit: _Unit, expr: ast.AST, depth: int = 0) -> bool:
    """Is the value drawn from a collection, one item per call: ``random.choice(pool)``, ``next(ring)`` of an
    ``itertools.cycle``, ``pool[i % len(pool)]``, or a name bound to one of them (``pr = random.choice(pool)``)?"""
    for node in ast.walk(expr):
        if isinstance(node, ast.Call) and node.args:
            short = unit.name(node).rsplit(".", 1)[-1]
            if short in DRAWS or short == "next" and _cycled(unit, node.args[0]):
                return True
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.BinOp) and \
                isinstance(node.slice.op, ast.Mod):
            return True
        elif isinstance(node, ast.Name) and depth < _DRAW_DEPTH and any(
                _drawn(unit, value, depth + 1) for value in unit.names_bound_to.get(node.id, ())[:4]):
            return True
    return False


def _cycled(unit: _Unit, expr: ast.AST) -> bool:
    """Is the iterator an endless ring over a collection (``itertools.cycle(pool)``, or a name or an attribute of
    ``self`` bound to one: ``self._ring = cycle(entries)``)?"""
    values = [expr, *(unit.names_bound_to.get(expr.id, ())[:4] if isinstance(expr, ast.Name) else ())]
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
        values += [node.value for node in ast.walk(unit.tree) if isinstance(node, (ast.Assign, ast.AnnAssign))
                   and node.value is not None and any(
                       isinstance(t, ast.Attribute) and t.attr == expr.attr and isinstance(t.value, ast.Name)
                       and t.value.id == "self" for t in (node.targets if isinstance(node, ast.Assign) else [node.target]))]
    return any(isinstance(v, ast.Call) and unit.name(v).rsplit(".", 1)[-1] == "cycle" for v in values)


def _makers(unit: _Unit) -> set[str]:
    """The cell's functions that return a drawn proxies mapping, and the names bound to what a function that
    returns one of them by name gives back (``rotate = make_rotator()``, whose ``return nxt`` hands on such a
    function)."""
    makers = {function.name for node in _proxy_dicts(unit) if isinstance(unit.parent.get(id(node)), ast.Return)
              and isinstance(function := unit.function_of(node), (ast.FunctionDef, ast.AsyncFunctionDef))
              and _drawn(unit, node)}
    if not makers:
        return makers
    factories = {name for name, functions in unit.functions.items() for function in functions
                 for ret in ast.walk(function) if isinstance(ret, ast.Return)
                 and isinstance(ret.value, ast.Name) and ret.value.id in makers}
    makers |= {name for name, values in unit.names_bound_to.items() for value in values[:4]
               if isinstance(value, ast.Call) and unit.name(value).rsplit(".", 1)[-1] in factories}
    return makers


def _proxy_draws(unit: _Unit) -> list[Found]:
    """A request's proxy drawn from a collection (see ``proxy-trial/draw`` in the module's docstring)."""
    if not unit.subscripts and not any(unit.name(c).rsplit(".", 1)[-1] in DRAWS | {"next"} for c in unit.calls):
        return []  # nothing is drawn anywhere (no random draw, no next(), no pool[i % n])
    for node in _proxy_dicts(unit):
        if _handed_on(unit, node) and _drawn(unit, node):
            return [Found("proxy-trial/draw", node.lineno, "a proxy drawn from a collection for each request")]
    makers = _makers(unit) if unit.functions else set()
    for call in unit.calls:
        given = unit.keyword(call, "proxies", "proxy")
        if given is None:
            continue
        made = [given, *(unit.names_bound_to.get(given.id, ())[:4] if isinstance(given, ast.Name) else ())]
        if any(isinstance(m, ast.Call) and unit.name(m).rsplit(".", 1)[-1] in makers for m in made) or \
                not isinstance(given, ast.Dict) and _drawn(unit, given):  # px = self.rotator.next(); proxies=px
            return [Found("proxy-trial/draw", call.lineno, "a proxy drawn from a collection for each request "
                          f"({ast.unparse(given)[:60]})")]
    return []


def _proxy_clients(unit: _Unit) -> list[Found]:
    """A proxy trial, or else one configured proxy handed to a request."""
    trials = _proxy_trials(unit) or _proxy_draws(unit)
    if trials:
        return trials
    for node in _proxy_dicts(unit):
        values = [unit.value(v) for v in node.values]  # a folded value may be a list ({'http': [...]}: a table)
        if not all(isinstance(a, str) and a.strip() for a in values):
            continue
        addresses = set(values)
        if len(addresses) <= 2 and _handed_on(unit, node):
            return [Found("proxy-client/one", node.lineno, f"requests go through one configured proxy "
                          f"({sorted(addresses)[0][:60]})")]
    return []


def _session_proxies(parts: list[str]) -> bool:
    """``session.proxies.update(...)``: a client object's proxies set (a scraper's own ``self.proxies`` is its list)."""
    return len(parts) >= 3 and parts[-2:] == ["proxies", "update"] and parts[-3] != "self"


def _proxy_lists_unused(unit: _Unit) -> list[Found]:
    """Proxy lists fetched, and no proxy used anywhere in the unit (see the module's docstring)."""
    source = next(((node, text) for node, text in unit.strings if text.lower().startswith(("http://", "https://"))
                   and ("prox" in text.lower() or text.lower().endswith(_LIST_FILES))), None)
    if source is None:
        return []
    for call in unit.calls:
        parts = unit.name(call).split(".")
        if parts[0] == "subprocess" or parts[-1] == "Popen" or \
                (parts[0] == "os" and parts[-1].startswith(("system", "popen", "exec", "spawn"))) or \
                parts[-1] in CONNECTS or parts[-1] in {"bind", "listen"} or \
                any(p in PROXY_USE_CALLS for p in parts[-2:]) or _session_proxies(parts) or \
                any(k.arg and k.arg.lower() in PROXY_USE_KEYWORDS for k in call.keywords):
            return []
    if any(word in text.lower() for _, text in unit.strings for word in PROXY_USE_WORDS):
        return []
    if any(isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and node.attr in PROXY_USE_KEYWORDS
           for node in ast.walk(unit.tree)):  # session.proxies = {...}
        return []
    if any(_handed_on(unit, node) for node in _proxy_dicts(unit)):
        return []
    return [Found("proxy-list/unused", getattr(source[0], "lineno", 1),
                  f"proxy lists fetched ({source[1][:60]}) and nothing sent through a proxy")]


def _remote_default_proxy(unit: _Unit) -> list[Found]:
    """``socks.set_default_proxy(SOCKS5, host, port)`` with ``host`` a known address that is not this machine's
    (Tor's 127.0.0.1:9050 and a local client's own port are not remote)."""
    for call in unit.calls:
        if unit.name(call).rsplit(".", 1)[-1] not in DEFAULT_PROXY_CALLS:
            continue
        host = unit.value(call.args[1] if len(call.args) > 1 else unit.keyword(call, "addr"))
        if isinstance(host, str) and host.strip() and not host.lower().startswith((*LOCAL_HOSTS, "0.0.0.0")):
            return [Found("proxy-remote/socks", call.lineno, f"every socket goes through the proxy at {host[:60]}")]
    return []
