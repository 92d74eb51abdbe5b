"""``flood/http|socket|packet|slow``: sends to one fixed, non-local target, answers unused, repeated without
pause or from many workers; and the slowloris / slow-POST shape."""

from __future__ import annotations

import ast
import re

from .proxies import proxy_from_parameters
from .sends import _answer_used, _holder, _lambda_callers, _send, _spawned_send
from .trials import login_trial
from .unit import (
    FUNCTIONS,
    LOCAL_HOSTS,
    MAPPERS,
    SOCKET_READS,
    SPAWNERS,
    TYPED_BY_A_PERSON,
    Found,
    _derived,
    _driven_function,
    _loop_iters,
    _loop_targets,
    _names,
    _partials_of,
    _Unit,
    _written_once,
)

_URL_HOST = re.compile(r"[a-z][a-z0-9+.-]*://([^/\s'\"]+)")
HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:\s")
_HOST_WORDS = re.compile(r"localhost|[a-z0-9-]+(?:\.[a-z0-9-]+)+")  # the host-like words of a text
SLEEP_MIN_S = 0.5  # a pause this long or longer between sends is pacing, not a flood


def _part(value: object) -> str:
    """One folded part of a formatted string as text, ``{}`` where it is not known."""
    return str(value) if isinstance(value, (str, int)) else "{}"


def _constructed_local(unit: _Unit, at: ast.AST, target: ast.Attribute) -> bool:
    """``self.url`` in a method of a class whose ``__init__`` sets it from a parameter, when every construction of
    the class in the unit passes this machine's address there (``LoadTest(url)`` with ``url`` a local fixture's)."""
    if not (isinstance(target.value, ast.Name) and target.value.id == "self"):
        return False
    cls = next((a for a in unit.ancestors(at) if isinstance(a, ast.ClassDef)), None)
    init = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None) \
        if cls is not None else None
    if init is None:
        return False
    params = [a.arg for a in init.args.args[1:]]
    position = None
    for node in ast.walk(init):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            left, right = node.targets[0], node.value
            pairs = zip(left.elts, right.elts, strict=False) if isinstance(left, ast.Tuple) and \
                isinstance(right, ast.Tuple) else [(left, right)]
            for part, given in pairs:
                if isinstance(part, ast.Attribute) and part.attr == target.attr and isinstance(given, ast.Name) \
                        and given.id in params:
                    position = params.index(given.id)
    if position is None:
        return False
    passed = [c.args[position] for c in unit.calls if isinstance(c.func, ast.Name) and c.func.id == cls.name
              and len(c.args) > position]
    hosts = [h for arg in passed for h in _HOST_WORDS.findall(unit.text(arg, follow=2).lower())]
    return bool(passed) and bool(hosts) and all(_local_text(h) for h in hosts)


def _fixed_public(unit: _Unit, target: ast.AST | None, at: ast.AST) -> bool:
    """Is the target one address (not one per item of a collection) and not this machine?"""
    if target is None:
        return True
    value = unit.value(target)
    if isinstance(value, (list, tuple)) and value:
        value = value[0]
    text = (value.decode("latin-1") if isinstance(value, bytes) else str(value)) if value is not None \
        else unit.text(target)
    if isinstance(target, (ast.List, ast.Tuple)) and value is None:
        text = " ".join(unit.text(e) for e in target.elts)
    if isinstance(target, ast.JoinedStr) and value is None:  # f"http://{HOST}:{port}/": each part read alone
        text = "".join(str(part.value) if isinstance(part, ast.Constant) else _part(unit.value(part.value))
                       for part in target.values)
    url = _URL_HOST.search(text.lower())  # a URL inside a command line or an f-string: its host
    host = url.group(1) if url else re.sub(r"^[a-z]+://", "", text.lower())
    if _local_text(host):
        return False
    if value is None and isinstance(target, ast.Name):  # pkt = IP(dst=LAB)/UDP(dport=80), LAB = "127.0.0.1"
        hosts = _HOST_WORDS.findall(unit.text(target, follow=2).lower())
        if hosts and all(_local_text(h) for h in hosts):
            return False  # every address the packet or request names is this machine
    if value is None and not isinstance(target, ast.Name):
        # IP(dst=dst)/TCP(...) with dst known (a parameter bound by the function's one call or recorded arguments)
        known = [v for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(v := unit.value(n), str)]
        hosts = [h for v in known for h in _HOST_WORDS.findall(v.lower())]
        if hosts and all(_local_text(h) for h in hosts):
            return False
    if value is None and isinstance(target, ast.Attribute) and _attribute_local(unit, target.attr):
        return False  # cfg.url with a dataclass field url = "http://127.0.0.1:8000/" and no other value given
    if value is None and isinstance(target, ast.Attribute) and _constructed_local(unit, at, target):
        return False  # self.url set by __init__ from LoadTest(url) with url this machine's address
    function = unit.function_of(at)
    if value is None and any(_callers_pass_local(unit, f, _names(target)) for f in unit.ancestors(at)
                             if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))):
        return False  # def burst(host, port): ... burst(BROKER_HOST, 1883) with BROKER_HOST = "localhost"
    loops = unit.loops_around(at)
    for index, loop in enumerate(loops):
        iters = _loop_iters(loop)
        counted = all(_counted(unit, i) or _made_up(unit, i) for i in iters)
        if iters and all(_made_up(unit, i, endless=True) for i in iters):
            continue  # for port in ports(), a generator that yields from a `while True`: the loop never ends
        if iters and (not counted or isinstance(target, ast.Tuple)):
            per_item = _derived(unit, function or unit.tree, _loop_targets(loop))
            if per_item & _names(target) and not _sweep_repeated(unit, target, per_item, loops[index + 1:]):
                return False  # one request per item or per port: a crawler or a scanner, not one target
    if _names(target) & {"url", "link", "href"} and any(_queued(unit, n) for n in _names(target)):
        return False  # taken from a work queue
    ports = {n for n in _names(target) if "port" in n.lower()}
    if ports and (any(_queued(unit, n) for n in ports) or any(
            (passed := _passed(unit, f, ports)) and all(isinstance(v, ast.Name) and _queued(unit, v.id) for v in passed)
            for f in unit.ancestors(at) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)))):
        return False  # a port taken from a work queue, by the function or by every caller: a scanner's workers
    return True


def _counted(unit: _Unit, iterable: ast.AST) -> bool:
    return isinstance(iterable, ast.Call) and unit.name(iterable) in {"range", "itertools.count", "count"}


def _made_up(unit: _Unit, iterable: ast.AST, endless: bool = False) -> bool:
    """A loop over the cell's own generator that yields from an endless ``while`` or a counted range (packets
    and ports made up on the fly, ``for data, dst in payloads()``), not from a list of hosts or pages: its items
    are no more one request per item than ``range()``'s.  With ``endless``, only a generator whose ``while``
    never ends (the loop over it repeats without end, as a sweep of ports started again does)."""
    if isinstance(iterable, ast.Call) and unit.name(iterable) == "enumerate" and iterable.args:
        iterable = iterable.args[0]
    if not isinstance(iterable, ast.Call):
        return False
    function = next(iter(unit.functions.get(unit.name(iterable).rsplit(".", 1)[-1], [])), None)
    if function is None or not any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in ast.walk(function)):
        return False
    loops = [n for n in ast.walk(function) if isinstance(n, (ast.For, ast.AsyncFor, ast.While))]
    made_up = bool(loops) and all(isinstance(loop, ast.While) or _counted(unit, loop.iter) for loop in loops)
    return made_up and (not endless or any(isinstance(loop, ast.While) and _endless(unit, loop) for loop in loops))


def _sweep_repeated(unit: _Unit, target: ast.AST | None, per_item: set[str], outer: list[ast.AST]) -> bool:
    """``while time.time() < end: for port in range(...): s.sendto(junk, (HOST, port))``: the ports change but
    the host does not, and the sweep starts again without end or pause. A scanner sweeps once."""
    return isinstance(target, ast.Tuple) and len(target.elts) >= 2 and not (_names(target.elts[0]) & per_item) \
        and any(_endless(unit, loop) and not _paced(unit, loop) for loop in outer)


def _passed(unit: _Unit, function: ast.AST, names: set[str]) -> list[ast.AST | None]:
    """What every call of the function (directly, or as a thread's or executor's target) passes for its parameters
    among ``names``: one expression (or None, not passed) per call and parameter."""
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    offset = 1 if params[:1] in (["self"], ["cls"]) else 0
    wanted = [(i - offset, p) for i, p in enumerate(params) if p in names and i >= offset]
    if not wanted:
        return []
    values: list[ast.AST | None] = []
    for call in unit.calls:
        if _driven_function(unit, call, {function.name: None})[0] is None:
            continue
        short = unit.name(call).rsplit(".", 1)[-1]
        if short == function.name:
            passed, keywords = list(call.args), {k.arg: k.value for k in call.keywords}
        elif short in MAPPERS - {"starmap", "starmap_async"} and len(call.args) == 2:
            # pool.map(f, items): each call is given an item, written as *items ("each item of")
            passed, keywords = [ast.Starred(value=call.args[1], ctx=ast.Load())], {}
        else:  # Thread(target=f, args=(...)): the tuple is the call's arguments
            tuple_args = unit.keyword(call, "args")
            passed, keywords = list(tuple_args.elts) if isinstance(tuple_args, (ast.Tuple, ast.List)) else [], {}
        for index, name in wanted:
            values.append(keywords.get(name) if name in keywords else passed[index] if index < len(passed) else None)
    return values


def _queued(unit: _Unit, name: str) -> bool:
    """Is the name bound to an item taken from a work queue (``q.get()``, ``todo.pop()``)?  A look-up by a
    written key (``os.environ.get("URL", ...)``, ``cfg.get("target")``) is a setting, not a queue's item."""
    return any(isinstance(a, ast.Call) and unit.name(a).rsplit(".", 1)[-1] in {"get", "get_nowait", "pop", "popleft"}
               and not (a.args and isinstance(a.args[0], ast.Constant) and isinstance(a.args[0].value, str))
               for a in unit.names_bound_to.get(name, ()))


def _attribute_local(unit: _Unit, attr: str) -> bool:
    """Is every value the cell gives an attribute of this name this machine's address, and is there one: a class
    field's default (``url: str = ...``), ``self.url = ...``, a keyword ``url=...`` of a call?"""
    given: list[ast.AST] = [v for c in unit.classes for stmt in c.body
                            if (v := _field_default(stmt, attr)) is not None]
    given += [n.value for n in ast.walk(unit.tree) if isinstance(n, ast.Assign) and any(
        isinstance(t, ast.Attribute) and t.attr == attr for t in n.targets)]
    given += [k.value for call in unit.calls for k in call.keywords if k.arg == attr]
    given = [g for node in given for g in _method_arguments(unit, node)]
    if not given:
        return False
    for node in given:
        if isinstance(node, ast.Constant) and node.value is None:
            continue  # self._url = None in __init__, set by a method before use
        value = unit.value(node)
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        if not isinstance(text, str) or not _local_text(text):
            return False
    return True


def _method_arguments(unit: _Unit, node: ast.AST) -> list[ast.AST]:
    """A parameter of a method (``def url(self, u): self._url = u``) as what its calls pass for it
    (``LoadTest().url('http://127.0.0.1:5055/')``, a builder's chained setter); anything else as itself."""
    function = unit.function_of(node)
    if not (isinstance(node, ast.Name) and isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))):
        return [node]
    params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    if node.id not in params or params[:1] != ["self"]:
        return [node]
    passed = _passed(unit, function, {node.id})
    return passed if passed and all(p is not None for p in passed) else [node]


def _field_default(stmt: ast.stmt, attr: str) -> ast.AST | None:
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == attr:
        return stmt.value
    if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == attr for t in stmt.targets):
        return stmt.value
    return None


def _local_text(text: str) -> bool:
    """Does an address or URL name this machine?"""
    return re.sub(r"^[a-z]+://", "", text.lower()).startswith((*LOCAL_HOSTS, "0.0.0.0"))


def _callers_pass_local(unit: _Unit, function: ast.AST, names: set[str]) -> bool:
    """Is a parameter among ``names`` given this machine's address by every call of the function, and is there at
    least one such call?"""
    values = _passed(unit, function, names)
    if not values:
        return False
    for node in values:
        if isinstance(node, ast.Starred):  # each item of a mapped collection: every one this machine
            items = unit.value(node.value)
            if items is None and (shown := _written_once(node.value)) is not None:
                items = [unit.value(e) for e in shown.elts]  # [f'{base}/predict'] * 400: the items written once
            if not (isinstance(items, list) and items and all(isinstance(i, str) and _local_text(i) for i in items)):
                return False
            continue
        value = unit.value(node) if node is not None else None
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        if not isinstance(text, str) or not _local_text(text):
            return False
    return True


def _with_generators(unit: _Unit, loops: list[ast.AST]) -> list[ast.AST]:
    """The loops, and the unit's generator functions they iterate (``for line in self.ticks()``): a pause or an
    endless ``while`` inside such a generator is the loop's own."""
    return [*loops, *(f for loop in loops for it in _loop_iters(loop) if isinstance(it, ast.Call)
                      for f in unit.functions.get(unit.name(it).rsplit(".", 1)[-1], [])[:1])]


def _paced(unit: _Unit, loop: ast.AST, minimum: float = SLEEP_MIN_S) -> bool:
    """Does the loop pause at least ``minimum`` seconds per round (time.sleep / asyncio.sleep of a known length),
    itself or in a generator it iterates, or wait for a person each round (a menu that asks what to do next)?"""
    if _asks_person(unit, loop):
        return True
    for node in (n for scope in _with_generators(unit, [loop]) for n in ast.walk(scope)):
        if isinstance(node, ast.Call) and unit.name(node).rsplit(".", 1)[-1] in {"sleep", "wait"} and node.args:
            value = unit.value(node.args[0])
            if isinstance(value, (int, float)) and value >= minimum:
                return True
            if isinstance(node.args[0], ast.Call):  # random.uniform(a, b): the lower bound
                low = unit.value(node.args[0].args[0]) if node.args[0].args else None
                if isinstance(low, (int, float)) and low >= minimum:
                    return True
    return False


def _asks_person(unit: _Unit, loop: ast.AST) -> bool:
    """Does each round of the loop read what a person types (``input()``, or a function of the unit that
    does, such as a ``safe_input`` wrapper)?"""
    rounds = [*getattr(loop, "body", []), *([loop.test] if isinstance(loop, ast.While) else [])]
    for node in (n for part in rounds for n in ast.walk(part)):  # not a for loop's iterable: read once
        if isinstance(node, ast.Call):
            short = unit.name(node).rsplit(".", 1)[-1]
            wrapped = (n for f in unit.functions.get(short, [])[:1] for n in ast.walk(f) if isinstance(n, ast.Call))
            if short in TYPED_BY_A_PERSON or any(unit.name(n).rsplit(".", 1)[-1] in TYPED_BY_A_PERSON for n in wrapped):
                return True
    return False


def _drains_queue(loop: ast.AST) -> bool:
    """``while not q.empty():``: a worker taking jobs (ports, pages) from a queue, which ends when it is empty and
    repeats nothing; its many workers are a pool, not a flood."""
    return isinstance(loop, ast.While) and any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in {"empty", "qsize"}
        for n in ast.walk(loop.test))


CONSTANT_MAKERS = frozenset({"int", "str", "float", "bool", "list", "dict", "tuple", "object"})  # the same value each call


def _endless(unit: _Unit, loop: ast.AST) -> bool:
    """``while True``, a loop on a flag, or a huge or unknown ``range``: a loop that does not end by itself.
    ``while i < n`` with ``i`` stepped inside the loop is a counted loop, not an endless one."""
    if isinstance(loop, ast.While):
        test = unit.value(loop.test)
        if test is not None:
            return bool(test)
        stepped = {n for a in ast.walk(loop) if isinstance(a, ast.AugAssign) for n in _names(a.target)}
        return isinstance(loop.test, (ast.Name, ast.Attribute, ast.Compare, ast.UnaryOp, ast.Call, ast.BoolOp)) and \
            not (_names(loop.test) & stepped)  # a BoolOp: while running and time.time() < end
    if any(isinstance(n, ast.While) and _endless(unit, n) and any(isinstance(y, ast.Yield) for y in ast.walk(n))
           for f in _with_generators(unit, [loop])[1:] for n in ast.walk(f)):
        return True  # for line in self.ticks(): a generator of the unit that yields forever
    for iterable in _loop_iters(loop):
        if isinstance(iterable, ast.Call) and unit.name(iterable) == "iter" and len(iterable.args) == 2 and \
                isinstance(iterable.args[0], ast.Name) and iterable.args[0].id in CONSTANT_MAKERS and \
                unit.value(iterable.args[1]) not in (None, 0, ""):
            return True  # iter(int, 1): int() gives 0 and never the sentinel
        if isinstance(iterable, ast.Call) and unit.name(iterable).rsplit(".", 1)[-1] in {"range", "count", "cycle"}:
            if unit.name(iterable).endswith(("count", "cycle")):
                return True
            given = iterable.args[-1] if len(iterable.args) < 3 else iterable.args[1] if iterable.args else None
            bound = unit.value(given) if given is not None else None
            if bound is None and given is not None:
                bound = _parameter_bound(unit, loop, given)
            if bound is None or isinstance(bound, int) and bound >= 10000:
                return True  # unknown (argv, input) or huge
    return False


def _parameter_bound(unit: _Unit, loop: ast.AST, given: ast.AST) -> int | None:
    """``def latency(url, n=3): for _ in range(n)``: the largest count the function is given, its default or
    what its calls pass (None when a call passes one that cannot be known)."""
    function = unit.function_of(loop)
    if not isinstance(given, ast.Name) or not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    defaults = dict(zip(params[len(params) - len(function.args.defaults):], function.args.defaults, strict=True))
    if given.id not in params or given.id not in defaults:
        return None
    counts = [unit.value(defaults[given.id])]
    index = params.index(given.id)
    for call in unit.calls:
        if not isinstance(call.func, ast.Name) or call.func.id != function.name:
            continue
        passed = next((k.value for k in call.keywords if k.arg == given.id), None)
        if passed is None and len(call.args) > index:
            passed = call.args[index]
        if passed is not None:
            counts.append(unit.value(passed))
    return max(counts) if all(isinstance(c, int) and not isinstance(c, bool) for c in counts) else None


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
            return call, _count(unit, call.args[1]) >= 100 or _copies(unit, call.args[1])
        if short == "map" and len(call.args) == 1 and isinstance(call.func, ast.Attribute):
            # a collection's own map over a range it made (dask.bag.range(N).map(f), ray.data.range(N).map(f))
            source = call.func.value
            if isinstance(source, ast.Call) and unit.name(source).rsplit(".", 1)[-1] == "range" and source.args:
                size = unit.value(source.args[0])
                return call, not isinstance(size, int) or size >= 100
        for loop in unit.loops_around(call):
            if _endless(unit, loop):
                return loop, True
            if _many(unit, loop):
                return loop, any(_count(unit, it) >= 100 for it in _loop_iters(loop)) or isinstance(loop, ast.While)
    return None, False


def _over_items(unit: _Unit, iterable: ast.AST) -> bool:
    """``range(len(urls))``: the indices of a collection, a loop over its items like ``for url in urls``."""
    return isinstance(iterable, ast.Call) and unit.name(iterable) == "range" and len(iterable.args) == 1 \
        and isinstance(iterable.args[0], ast.Call) and unit.name(iterable.args[0]) == "len"


def _count(unit: _Unit, iterable: ast.AST) -> float:
    """How many items a ``range(...)`` gives (inf when unknown), or a comprehension over one (``(f"{URL}?id={i}"
    for i in range(200_000))``); 0 for anything else (a collection's items)."""
    if _over_items(unit, iterable):
        return 0
    if isinstance(iterable, (ast.GeneratorExp, ast.ListComp)) and len(iterable.generators) == 1 and \
            not iterable.generators[0].ifs:
        return _count(unit, iterable.generators[0].iter)
    if isinstance(iterable, ast.Call) and unit.name(iterable) == "range" and iterable.args:
        bound = unit.value(iterable.args[-1] if len(iterable.args) < 3 else iterable.args[1])
        return float(bound) if isinstance(bound, int) else float("inf")
    return 0


def _many(unit: _Unit, loop: ast.AST) -> bool:
    """A loop of at least 10 rounds (a known range), or of unknown length."""
    for iterable in _loop_iters(loop):
        if isinstance(iterable, ast.Call) and unit.name(iterable) == "range":
            return _count(unit, iterable) >= 10  # range(len(urls)) counts 0: one worker per item of a collection
    return isinstance(loop, ast.While)


def _floods(unit: _Unit) -> list[Found]:
    found: list[Found] = []
    seen: set[str] = set()
    # a unit that accepts connections opens its own to where its clients ask: a relay, not a flood; a datagram
    # server (bind, then recvfrom) answers whoever wrote to it
    called = {unit.name(c).rsplit(".", 1)[-1] for c in unit.calls}
    serving = bool(called & {"accept", "start_server", "serve_forever"}) or {"bind", "recvfrom"} <= called
    # an event-driven client (sockets handed to a selector, read when they are ready) reads its answers in the
    # selector's loop, not in the loop that opens them
    evented_reader = {"register", "recv"} <= called
    for call in unit.calls:
        sent = _send(unit, call) or _spawned_send(unit, call)
        if sent is None:
            continue
        kind, target = sent
        if kind in {"socket", "stream"} and (serving or evented_reader):
            continue
        if kind in seen or not _fixed_public(unit, target, call) or (kind == "http" and _answer_used(unit, call)):
            continue
        # a client that reads its answers (in the loop that sends, or in the function a worker runs)
        reader = unit.loops_around(call)[:1] or [unit.function_of(call) or unit.tree]
        if kind in {"socket", "stream"} and any(
                isinstance(n, ast.Call) and unit.name(n).rsplit(".", 1)[-1] in SOCKET_READS
                for scope in reader for n in ast.walk(scope)):
            continue
        if _tries_credentials(unit, reader):
            continue  # each connection logs in with the next password: a password trial (trials.py), not a flood
        if _through_each_proxy(unit, call):
            continue  # the same page fetched once through each proxy of a list: a proxy checker (proxies.py)
        repeated = _repetition(unit, call)
        if repeated is None and unit.name(call).rsplit(".", 1)[-1] in SPAWNERS | MAPPERS:
            repeated = _spawned_many(unit, call)
        if repeated is None and kind == "packet" and (unit.value(unit.keyword(call, "loop")) or
                                                      (unit.value(unit.keyword(call, "count")) or 0) >= 1000):
            repeated = (call, "scapy repeats it itself")
        if repeated is None and kind == "packet" and call.args:
            repeated = _packet_batches(unit, call)
        if repeated is not None:
            where, how = repeated
            found.append(Found(f"flood/{kind}", call.lineno, f"{kind} sends to one target, answers unused, {how} "
                               f"(line {where.lineno})"))
            seen.add(kind)
    slow = _slow_headers(unit) or _trickling_workers(unit)
    if slow is not None:
        found.append(slow)
    return found


PACKET_BATCH = 1000  # packets built in one list and sent by one call: a burst no probe or scan needs
REPEATED_BATCH = 100  # or a smaller batch sent again and again


def _packet_batches(unit: _Unit, call: ast.Call) -> tuple[ast.AST, str] | None:
    """``send([IP(dst=t)/TCP(flags='S') for _ in range(5000)])``: a list of packets made by a comprehension over a
    range and sent at once, large, or repeated by a loop around the send or around a call of its function."""
    made = call.args[0]
    if isinstance(made, ast.Name):
        made = next((v for v in unit.names_bound_to.get(made.id, ())[:4] if isinstance(v, (ast.ListComp,
                                                                                          ast.GeneratorExp))), made)
    if not isinstance(made, (ast.ListComp, ast.GeneratorExp)):
        return None
    size = _count(unit, made)
    if size >= PACKET_BATCH:
        return call, f"{size:.0f} packets built and sent in one batch" if size != float("inf") else \
            "a batch of packets of unknown size sent at once"
    if size < REPEATED_BATCH:
        return None
    function = unit.function_of(call)
    callers = _callers(unit, function) if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
    for site in [call, *callers[:4]]:
        loop = next((loop for loop in unit.loops_around(site) if _many(unit, loop)), None)
        if loop is not None:
            return loop, f"batches of {size:.0f} packets sent in a loop"
    return None


def _through_each_proxy(unit: _Unit, call: ast.Call) -> bool:
    """A request whose proxy is the item its worker was handed (``ex.map(check, proxies)`` with
    ``requests.get(test_url, proxies=p)``), in no endless loop: one request per proxy, however many workers."""
    return proxy_from_parameters(unit, call) and not any(_endless(unit, loop) for loop in unit.loops_around(call))


def _tries_credentials(unit: _Unit, scopes: list[ast.AST]) -> bool:
    """Does the loop (or function) that sends also log in with a password that changes, a variable rather than
    a constant (``server.login(user, password)``, ``client.connect(ip, password=guess)``)?  Such connections
    are password trials (:func:`.trials.login_trial`), not a flood."""
    return any(isinstance(node, ast.Call) and isinstance(login_trial(unit, node), ast.Name)
               for scope in scopes for node in ast.walk(scope))


def _repetition(unit: _Unit, node: ast.AST, depth: int = 0) -> tuple[ast.AST, str] | None:
    """Where ``node`` is repeated like a flood: an endless loop without pause around it (in its function or a
    caller's), or many workers running it (threads, processes, tasks, maps, Thread subclasses)."""
    loops = [loop for loop in unit.loops_around(node) if not _drains_queue(loop)]
    hot = next((loop for loop in loops if _endless(unit, loop) and not _paced(unit, loop)), None)
    if hot is not None:
        return hot, "in an endless loop without pause"
    function = unit.function_of(node)
    if isinstance(function, ast.Lambda):
        found = _lambda_workers(unit, function)
        for call in _lambda_callers(unit, function) if found is None and depth <= 2 else ():
            found = _repetition(unit, call, depth + 1)
            if found is not None:
                break
        return found
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or depth > 2:
        return None
    again = _reschedules_itself(unit, function)
    if again is not None:
        return again, "rescheduled by itself without pause"
    workers, many = _workers(unit, function)
    if workers is not None and (loops or many):
        return workers, "from many workers"
    for call in _callers(unit, function):
        found = _repetition(unit, call, depth + 1)
        if found is not None:
            return found
    return None


def _lambda_workers(unit: _Unit, lam: ast.Lambda) -> tuple[ast.AST, str] | None:
    """A lambda handed to workers: mapped over 100 or more items, or started from an endless or 100-round loop."""
    spawner = _holder(unit, lam)
    if not isinstance(spawner, ast.Call):
        return None
    short = unit.name(spawner).rsplit(".", 1)[-1]
    if short in MAPPERS and len(spawner.args) > 1 and spawner.args[0] is lam:
        return (spawner, "from many workers") if _count(unit, spawner.args[1]) >= 100 else None
    return _spawned_many(unit, spawner) if short in SPAWNERS else None


def _reschedules_itself(unit: _Unit, function: ast.AST) -> ast.AST | None:
    """``def h(): send(); Timer(0.01, h).start()``: a function that starts itself again, with no real pause, also
    through a small function that starts it (``loop.call_soon(spawn)`` where ``spawn`` makes ``h()`` a task)."""
    again = {function.name: None}
    for name, defined in unit.functions.items():
        if name != function.name and len(defined) == 1 and len(defined[0].body) <= 3 and any(
                isinstance(n, ast.Call) and unit.name(n) == function.name for n in ast.walk(defined[0])):
            again[name] = None  # a trampoline: it only starts the function again
    for node in ast.walk(function):
        short = unit.name(node).rsplit(".", 1)[-1] if isinstance(node, ast.Call) else ""
        if short in SPAWNERS and _driven_function(unit, node, again)[0] is not None:
            delay = unit.value(node.args[0]) if short in {"Timer", "call_later"} and node.args else 0
            if isinstance(delay, (int, float)) and delay < SLEEP_MIN_S and not _paced(unit, function):
                return node
    return None


def _spawned_many(unit: _Unit, call: ast.Call) -> tuple[ast.AST, str] | None:
    """A request function handed to workers: started 100 times or more, or mapped over 100 or more targets."""
    for loop in unit.loops_around(call):
        if _endless(unit, loop) or any(_count(unit, it) >= 100 for it in _loop_iters(loop)):
            return loop, "from many workers"
    if unit.name(call).rsplit(".", 1)[-1] in MAPPERS and len(call.args) > 1 and _copies(unit, call.args[1]):
        return call, "from many workers"  # [url] * 1000, repeat(url, n) with n unknown or large
    return None


# methods and wrappers that keep a collection's items (shuffled, as a list): what they hold is what was repeated
ITEMS_KEPT = frozenset({"list", "tuple", "tolist", "to_list", "sample", "copy", "to_numpy"})


def _copies(unit: _Unit, items: ast.AST, depth: int = 0) -> bool:
    """Is the collection a few items copied 100 times or more: ``[url] * 1000``, ``itertools.repeat(url, n)``,
    a pandas column's ``repeat(w * 20000)`` (shuffled or turned into a list on the way), or, through a name bound
    to it once, anything :func:`_count` counts 100 or more of?  A count that cannot be known counts as many."""
    if depth > 3:
        return False
    if isinstance(items, ast.Name):
        bound = unit.bound_once(items)
        return bound is not None and _copies(unit, bound, depth + 1)
    while isinstance(items, ast.Call) and unit.name(items).rsplit(".", 1)[-1] in ITEMS_KEPT and (
            isinstance(items.func, ast.Attribute) or len(items.args) == 1):
        items = items.func.value if isinstance(items.func, ast.Attribute) else items.args[0]
    if isinstance(items, ast.BinOp) and isinstance(items.op, ast.Mult):
        sizes = [unit.value(items.left), unit.value(items.right)]
        return any(not isinstance(n, int) or n >= 100 for n in sizes if not isinstance(n, (list, tuple, str)))
    if isinstance(items, ast.Call) and unit.name(items).rsplit(".", 1)[-1] == "repeat":
        count = items.args[-1] if isinstance(items.func, ast.Attribute) and items.args else \
            items.args[1] if len(items.args) > 1 else unit.keyword(items, "times")
        if count is None:
            return True  # itertools.repeat(url): without end
        known = [n.value for n in ast.walk(count) if isinstance(n, ast.Constant) and type(n.value) is int]
        return max(known, default=100) >= 100  # repeat(n), repeat(df.weight * 20000)
    return depth > 0 and _count(unit, items) >= 100  # urls = [f"{URL}?q={i}" for i in range(5000)]


def _callers(unit: _Unit, function: ast.AST) -> list[ast.Call]:
    """Calls of a function by its name (``f(...)``, ``self.f(...)``), outside the function itself; a lambda's
    calls through the name or table it is kept in (``mk = lambda: socket(...)``; ``mk()``)."""
    if isinstance(function, ast.Lambda):
        return _lambda_callers(unit, function)
    inside = {id(n) for n in ast.walk(function)}
    # names bound to a partial of it (make = partial(opener, host, port); make()), and maps that run it per item
    bound = set(_partials_of(unit, {function.name}))
    return [c for c in unit.calls if id(c) not in inside and (
        (short := unit.name(c).rsplit(".", 1)[-1]) == function.name or short in bound or
        short in MAPPERS and c.args and isinstance(c.args[0], ast.Name) and c.args[0].id == function.name)]


def _trickling_workers(unit: _Unit) -> Found | None:
    """Many workers, each opening a connection and writing to it in a loop with pauses: connections held open
    on purpose (the asyncio or threaded slowloris)."""
    for call in unit.calls:
        if unit.name(call).rsplit(".", 1)[-1] not in {"open_connection", "create_connection", "connect", *ASYNC_CONNECTS}:
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


def _sleeps_in(unit: _Unit, loops: list[ast.AST]) -> bool:
    """Does any of the loops pause, itself or in a generator of the unit that it iterates (``for line in
    self.ticks()`` with ``ticks`` sleeping between its yields)?"""
    return any(isinstance(n, ast.Call) and unit.name(n).rsplit(".", 1)[-1] == "sleep"
               for scope in _with_generators(unit, loops) for n in ast.walk(scope))


def _slow_headers(unit: _Unit) -> Found | None:
    """Slowloris / slow POST: sockets opened in a loop, fed partial headers or a huge body slowly.  The opening,
    the headers and the trickle may each sit in a function of their own, called from the loop."""
    opened_in_loop = any(unit.name(c).endswith(("socket", "create_connection", "wrap_socket", *ASYNC_CONNECTS)) and
                         (_loops_reaching(unit, c) or _workers(unit, unit.function_of(c))[0] is not None)
                         for c in unit.calls)
    if not opened_in_loop:
        return None
    # the trickle may come from a loop of its own: open and send the headers first, then feed them all slowly
    sends = [c for c in unit.calls if unit.name(c).rsplit(".", 1)[-1] in {"send", "sendall", "write"}]
    helpers = _sending_helpers(unit)
    sends += [c for c in unit.calls if unit.name(c).rsplit(".", 1)[-1] in helpers]
    keep_alive = {id(loop): loop for c in sends for loop in _loops_reaching(unit, c)
                  if isinstance(loop, (ast.While, ast.For)) and _endless(unit, loop)}
    for call in sends:
        if not call.args:
            continue
        if (helper := helpers.get(unit.name(call).rsplit(".", 1)[-1])) is not None:
            texts = [_filled_template(unit, helper, call)]
        else:
            sent = call.args[0]
            if isinstance(sent, ast.Call) and isinstance(sent.func, ast.Attribute) and sent.func.attr == "encode":
                sent = sent.func.value  # header.encode('utf-8'): the header, not the codec's name
            if isinstance(sent, ast.Call) and isinstance(sent.func, ast.Attribute) and sent.func.attr == "format" or \
                    isinstance(sent, ast.BinOp) and isinstance(sent.op, ast.Mod):
                sent = sent.func.value if isinstance(sent, ast.Call) else sent.left  # 'X-a: {}\r\n'.format(n)
            texts = [_sent_text(unit, node) for node in _sent_sources(unit, sent)]
        if not _partial_or_huge(texts):
            continue
        loops = _loops_reaching(unit, call)
        loop = next((loop for loop in loops if _endless(unit, loop) or isinstance(loop, ast.For)), None)
        if loop is not None and (_sleeps_in(unit, loops) or _sleeps_in(unit, list(keep_alive.values()))):
            return Found("flood/slow", call.lineno, "many sockets kept open with partial headers or a huge body "
                         f"sent slowly (line {loop.lineno})")
    return None


ASYNC_CONNECTS = ("connect_tcp", "open_tcp_stream", "open_connection")  # anyio's, trio's and asyncio's connections


def _partial_or_huge(texts: list[str]) -> bool:
    """One header line and no blank line after it (a request left open), or a huge Content-Length."""
    return any(HEADER_LINE.match(text.lstrip()) and "\r\n\r\n" not in text and text.count("\n") <= 1
               or re.search(r"content-length:\s*(\d{6,})", text, re.I) for text in texts)


def _sending_helpers(unit: _Unit) -> dict[str, ast.AST]:
    """The unit's functions that send on a socket, themselves or through one another of them (``send_header``
    calling ``send_line`` calling ``self.send``: slowloris's helpers, set on the socket class with setattr)."""
    sending: dict[str, ast.AST] = {}
    for _ in range(2):
        for name, functions in unit.functions.items():
            if name not in sending and any(isinstance(n, ast.Call) and (short := unit.name(n).rsplit(".", 1)[-1]) in
                                           {"send", "sendall", *sending} and short != name
                                           for n in ast.walk(functions[0])):
                sending[name] = functions[0]
    return sending


def _filled_template(unit: _Unit, helper: ast.AST, call: ast.Call) -> str:
    """The text a sending helper formats, with its parameters filled by the call's constant arguments
    (``send_header('X-a', n)`` over ``'{name}: {value}'``: ``X-a: {value}``)."""
    params = [a.arg for a in helper.args.args]
    if params[:1] == ["self"] and isinstance(call.func, ast.Attribute):
        params = params[1:]
    given = {p: v for p, a in zip(params, call.args, strict=False) if isinstance(v := unit.value(a), (str, int))}
    templates = [n.value if isinstance(n, ast.Constant) else "".join(  # an f-string: its names kept as {name}
        p.value if isinstance(p, ast.Constant) else "{%s}" % (p.value.id if isinstance(p.value, ast.Name) else "")
        for p in n.values) for n in ast.walk(helper) if isinstance(n, ast.JoinedStr) or
        isinstance(n, ast.Constant) and isinstance(n.value, str) and "{" in n.value and
        not isinstance(unit.parent.get(id(n)), ast.JoinedStr)]
    return "".join(re.sub(r"\{(\w+)\}", lambda m: str(given.get(m.group(1), m.group(0))), t) for t in templates[:1])


def _sent_text(unit: _Unit, sent: ast.AST) -> str:
    value = unit.value(sent)  # decoded where the cell hides it (rot13('K-n: {}')), else its constants
    return value if isinstance(value, str) else value.decode("latin-1") if isinstance(value, bytes) \
        else unit.text(sent, follow=2)


def _sent_sources(unit: _Unit, sent: ast.AST) -> list[ast.AST]:
    """What a send may carry: the expression, the argument of a one-argument wrapper of the cell's own
    (``enc(x)`` with ``enc = lambda s: s.encode()``), and for ``next(g)`` the values that the generator ``g`` was
    made from yields (``g = lines()``: slowloris keeping its header lines in a generator)."""
    sources = [sent]
    if isinstance(sent, ast.Call) and len(sent.args) == 1 and isinstance(sent.func, ast.Name) and \
            (sent.func.id in unit.functions or sent.func.id in unit.names_bound_to):
        sources.append(sent := sent.args[0])
    if isinstance(sent, ast.Call) and unit.name(sent) == "next" and sent.args and isinstance(sent.args[0], ast.Name):
        for bound in unit.names_bound_to.get(sent.args[0].id, ())[:2]:
            if isinstance(bound, ast.Call):
                for function in unit.functions.get(unit.name(bound).rsplit(".", 1)[-1], [])[:1]:
                    sources += [n.value for n in ast.walk(function) if isinstance(n, ast.Yield) and n.value is not None]
    return sources


def _loops_reaching(unit: _Unit, node: ast.AST, depth: int = 2) -> list[ast.AST]:
    """The loops around ``node``, and around the calls of the function it is in (two calls deep)."""
    loops = list(unit.loops_around(node))
    function = unit.function_of(node)
    if depth and isinstance(function, FUNCTIONS):
        for call in _callers(unit, function)[:8]:
            loops += [loop for loop in _loops_reaching(unit, call, depth - 1) if loop not in loops]
    return loops
