"""``mining/pow``: a proof-of-work search whose find is sent away, the shape of a miner written in plain Python.

A nonce loop hashes a header that the nonce is part of, reads the digest as a number, compares it with a target,
and when it is below, sends something off (``sock.sendall``, ``requests.post``, a JSON-RPC ``submit``): the pool or
the node gets the share.  Blockchain lessons search for nonces too, but they compare a hex prefix with zeros, or
keep the block they found, or hand it to a node on this machine; none of those is matched.  A stratum client's
method names may be assembled at run time (``".".join((NS, verb))``); this shape does not need them.
"""

from __future__ import annotations

import ast

from .trials import _hashing
from .unit import LOCAL_HOSTS, Found, _derived, _loop_targets, _names, _Unit

SENDS = frozenset({"send", "sendall", "sendto", "post", "put", "request", "write", "submit", "submitblock",
                   "submit_share", "submitwork", "submit_work"})


def _numeric_digest(unit: _Unit, side: ast.AST) -> bool:
    """``int.from_bytes(d[::-1], 'big')``, ``int(h, 16)``: a digest read as a number."""
    for node in ast.walk(side):
        if isinstance(node, ast.Call):
            name = unit.name(node)
            if name.endswith("from_bytes") or name == "int" and len(node.args) == 2 and unit.value(node.args[1]) == 16:
                return True
    return False


def _bytes_digest(unit: _Unit, sides: list[ast.AST]) -> ast.AST | None:
    """``h[::-1] < b'\\x00\\x00\\x00\\xff'``: a digest compared as bytes with a target of leading zero bytes,
    which orders like the number it spells (big-endian); the side that is not the target."""
    if len(sides) != 2:
        return None
    values = [unit.value(side) for side in sides]
    for side, other in ((sides[0], values[1]), (sides[1], values[0])):
        if isinstance(other, bytes) and other.startswith(b"\x00") and not isinstance(side, ast.Constant):
            return side
    return None


def _counters(loop: ast.AST) -> set[str]:
    """A loop's nonce: its target (``for nonce in range(...)``) or a name stepped in its body (``nonce += 1``)."""
    names = set(_loop_targets(loop))
    names |= {n.target.id for n in ast.walk(loop) if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)}
    return names


def _sent_away(unit: _Unit, body: list[ast.stmt]) -> ast.Call | None:
    """A send (or any call naming a submit) in the body of the branch taken on a find, unless it goes to this
    machine."""
    for stmt in body:
        for node in ast.walk(stmt):
            if not isinstance(node, ast.Call):
                continue
            short = unit.name(node).rsplit(".", 1)[-1]
            where = unit.value(node.args[0]) if node.args else None
            named = [v for v in map(unit.value, node.args[:2]) if isinstance(v, str)]
            if short not in SENDS and "submit" not in short.lower() and not any(
                    "submit" in v.lower() for v in named) and not _sends_in(unit, short):
                continue  # rpc.call('mining.submit', ...), call(3, 'submit', ...), tx(4, k, ...) whose body sends
            if isinstance(where, str) and where.split("://", 1)[-1].startswith(LOCAL_HOSTS):
                continue  # a lesson's node on localhost
            return node
    return None


def _sends_in(unit: _Unit, name: str) -> bool:
    """Is ``name`` a function of the cell that sends on a connection (``sock.sendall``, ``requests.post``, or a
    write to a socket's file, ``io = conn.makefile('rwb')``)?  A write to an ordinary file keeps the find."""
    for function in unit.functions.get(name, [])[:1]:
        for node in ast.walk(function):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            short = unit.name(node).rsplit(".", 1)[-1]
            if short in SENDS - {"write"}:
                return True
            owner = node.func.value
            if short == "write" and isinstance(owner, ast.Name) and any(
                    isinstance(v, ast.Call) and unit.name(v).rsplit(".", 1)[-1] == "makefile"
                    for v in unit.names_bound_to.get(owner.id, ())[:4]):
                return True
    return False


def _pow_submits(unit: _Unit) -> list[Found]:
    for compare in unit.compares:
        if not any(isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for op in compare.ops):
            continue
        sides = [compare.left, *compare.comparators]
        digest = next((s for s in sides if _numeric_digest(unit, s)), None) or _bytes_digest(unit, sides)
        branch = unit.parent.get(id(compare))
        loop = next(iter(unit.loops_around(compare)), None)
        if isinstance(branch, ast.comprehension) and compare in branch.ifs and isinstance(
                made := unit.parent.get(id(branch)), (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            body = [ast.Expr(made.elt)]  # [submit(n) for n in range(2**32) if digest(n) < target]
        elif isinstance(branch, ast.If) and branch.test is compare:
            body = branch.body
        else:
            continue
        if digest is None or loop is None:
            continue
        if not any(isinstance(n, ast.Call) and _hashing(unit, n) for n in ast.walk(loop)):
            continue
        scope = unit.function_of(compare) or unit.tree
        used = _names(digest) | {n for name in _names(digest) for v in unit.names_bound_to.get(name, ())[:2]
                                 for n in _names(v)}
        if not _derived(unit, scope, _counters(loop)) & used:
            continue  # the number compared is not made from the loop's nonce
        sent = _sent_away(unit, body)
        if sent is not None:
            return [Found("mining/pow", compare.lineno, "a nonce search whose digest is compared with a target as a "
                          f"number, the find sent away ({unit.name(sent)}, line {sent.lineno})")]
    return []
