"""``password-trial/*``: password candidates from a word source tried against an archive, a hash, a login
or a cracking tool, in a loop or in a function a loop drives."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from .unit import (
    HTTP_VERBS,
    MAPPERS,
    TYPED_BY_A_PERSON,
    Found,
    _awaited,
    _derived,
    _driven_function,
    _loop_iters,
    _loop_targets,
    _names,
    _params,
    _partials_of,
    _Unit,
)

_PASSWORD_OPTION = re.compile(r"(^|\s|')(-p|-P|--password|-pass|--passphrase|-k)")  # a command's password option
WORD_NAMES = re.compile(r"pass|pwd|words?(_|$|list)|dict|combo|cred|guess|cand|brute|rockyou|(^|_)pins?($|_)", re.I)
# a file that holds password candidates, named in the code (open('rockyou.txt'), read_lines('common-passwords.txt'))
WORDLIST_FILE = re.compile(r"rockyou|word_?list|passw(or)?ds?\b|pass_?list|\.(lst|dic)$", re.I)
BARE_PASSWORD = re.compile(r"\s*passw(or)?ds?\s*", re.I)  # the word alone is a key or a label ({"password": ...})
# hashing under other names (pwntools' sha256sumhex, md5sum, a helper named ntlm_hash)
HASH_NAME = re.compile(r"md[45]|sha\d|sha3_|blake2|ntlm|nthash|lmhash|hash(pw|_?password)|^crypt$|digest$", re.I)
# a form field that sets an account's password rather than logging in with one (an account made or changed per row)
NEW_PASSWORD_KEY = re.compile(r"(initial|new|temp|temporary|default|confirm|first)_?pass", re.I)
# a one-time code's field in a login form (an OTP, a PIN, a 2FA code): tried only when the value is a number
# written at a fixed width (f"{i:06d}", str(i).zfill(4), "%04d" % i), the shape of a code counted through
OTP_KEY = re.compile(r"otp|(^|_)pin($|_)|2fa|totp|mfa|passcode|(verif\w*|sms|auth|login|security|one_?time|mfa)_?code|"
                     r"^code$", re.I)
# what a call that takes a user and a password does when it is no login (it makes, stores or changes an account)
ACCOUNT_WORK = re.compile(r"^_*(create|add|set|update|insert|register|new|make|change|reset|hash|encrypt|save|store|"
                          r"generate|validate_new|signup|sign_up)", re.I)


# what opens a crypto wallet's encrypted keystore with a password, its second argument (eth_account's
# Account.decrypt, pyethereum's decode_keystore_json, web3/ethereumjs-style loaders); decrypt only on a wallet
WALLET_OPENERS = frozenset({"decrypt", "decode_keystore_json", "decrypt_keystore", "from_encrypted_json", "fromV3",
                            "from_v3", "from_keystore"})
WALLET_OWNER = re.compile(r"account|wallet|keystore|keyfile|eth", re.I)
# what turns a wallet's seed words and a BIP39 passphrase, the second argument, into its keys (Electrum's keystore,
# python-mnemonic, bip_utils)
SEED_PASSPHRASES = frozenset({"from_bip39_seed", "mnemonic_to_seed", "bip39_to_seed", "to_seed"})

# a client's login method given a user and a password (FTP, SMTP, IMAP, paramiko transports)
LOGINS = frozenset({"login", "auth_password", "auth_plain", "auth_login"})


# what makes a password hash to store: a check against a hash the cell has just made this way is a round trip
HASH_MAKERS = frozenset({"hashpw", "hash", "generate_password_hash", "make_password", "encrypt"})


def _checks_own_hash(unit: _Unit, call: ast.Call) -> bool:
    """Is one argument a hash made in the same round of the same loop (``h = bcrypt.hashpw(pw, salt)`` then
    ``bcrypt.checkpw(pw, h)``): a benchmark or a test of its own hashing, not a guess against a stored hash?"""
    loops = unit.loops_around(call)[:1]
    return bool(loops) and any(isinstance(arg, ast.Name) and any(
        isinstance(value, ast.Call) and unit.name(value).rsplit(".", 1)[-1] in HASH_MAKERS
        and unit.loops_around(value)[:1] == loops for value in unit.names_bound_to.get(arg.id, ())[:4])
        for arg in call.args[:2])


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
    if short in {"decrypt", "authenticate"} and call.args and re.search(r"pdf|fitz|pikepdf|reader|doc", _owner(unit, call), re.I):
        return "archive", call.args[0]
    if short in SEED_PASSPHRASES and len(call.args) >= 2:
        return "archive", call.args[1]  # a wallet's seed words with a guessed BIP39 passphrase (the "25th word")
    if short in WALLET_OPENERS and len(call.args) >= 2 and (short != "decrypt" or WALLET_OWNER.search(_owner(unit, call))
                                                            or WALLET_OWNER.search(ast.unparse(call.args[0])[:80])):
        return "archive", call.args[1]  # Account.decrypt(keystore, pw): a wallet's keystore opened with a guess
    if short in {"SevenZipFile", "RarFile", "AESZipFile", "load_key"}:
        pwd = unit.keyword(call, "password", "pwd")
        if pwd is None and short == "load_key" and call.args:
            pwd = call.args[0]  # msoffcrypto's office_file.load_key(pw): an Office document's password
        if pwd is not None:
            return "archive", pwd
    if short in {"checkpw", "verify", "check_password_hash", "check_password", "verify_password"} and call.args \
            and not _checks_own_hash(unit, call):
        return "hash", call
    if short == "decode" and unit.name(call).startswith("jwt.") and len(call.args) >= 2:
        return "hash", call.args[1]  # jwt.decode(token, secret): a token's signature checked with a guessed secret
    if short in LOGINS and (len(call.args) >= 2 or unit.keyword(call, "passwd", "password")):
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
        if isinstance(data, ast.Name):  # data = {"user": u, "password": p}; post(url, data=data)
            data = next((v for v in unit.names_bound_to.get(data.id, ())[:4] if isinstance(v, ast.Dict)), data)
        if isinstance(data, ast.Dict):
            for key, value in zip(data.keys, data.values, strict=False):
                name = unit.value(key)  # a field named in the call, or decoded there: {b("cHdk"): pw}
                if isinstance(name, str) and re.search(r"pass|pwd", name, re.I) and not NEW_PASSWORD_KEY.match(name):
                    return "login", value
                if isinstance(name, str) and OTP_KEY.search(name) and _fixed_width_number(unit, value):
                    return "login", value
    if short == "send_keys" and call.args and isinstance(call.func, ast.Attribute) and \
            re.search(r"pass|pwd|pin\b", f"{unit.text(call.func.value, follow=1)} {ast.unparse(call.func.value)[:200]}", re.I):
        return "login", call.args[0]  # a browser typing into a password field: driver.find_element(..., 'pass').send_keys(pw)
    if short[:1].islower() and not ACCOUNT_WORK.match(short) and \
            unit.keyword(call, "user", "username", "login", "uname", "host", "hostname") is not None:
        pwd = unit.keyword(call, "password", "passwd")  # ssh(host=h, user=u, password=pw): any client's login
        if pwd is not None:
            return "login", pwd
    auth = unit.keyword(call, "auth", "credentials")
    if isinstance(auth, ast.Tuple) and len(auth.elts) == 2 and not ACCOUNT_WORK.match(short):
        return "login", auth.elts[1]  # winrm.Session(host, auth=(user, pw)), any client given a user and password
    if short in {"run", "call", "Popen", "check_output", "check_call", "system", "getoutput", "getstatusoutput",
                 "popen"} and call.args:
        text = unit.text(call.args[0]).lower()
        # a password-taking tool, or any command's login (`vpn login -u {user} -p {pw}`: an account checker)
        if re.search(r"\b(unzip|7za?|unrar|sshpass|steghide|qpdf|openssl|gpg|ssh-keygen|login)\b", text) and \
                _PASSWORD_OPTION.search(unit.text(call.args[0])):
            return "tool", _option_value(call.args[0])
        glued = _glued_password(call.args[0])
        if glued is not None:
            return "tool", glued
        if re.search(r"\bnmcli\b", text) and "password" in text.split():  # nmcli d wifi connect SSID password PW
            return "login", _after_word(call.args[0], "password")
    return None


def _fixed_width_number(unit: _Unit, expr: ast.AST, depth: int = 0) -> bool:
    """Is the value a number written at a fixed width with leading zeros (``f"{i:06d}"``, ``str(n).zfill(4)``,
    ``"%04d" % n``, or a name bound to one)?  That is a code counted through, not a code a person typed."""
    for node in ast.walk(expr):
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None and \
                re.fullmatch(r"0\d+d?", ast.unparse(node.format_spec).strip("f'\"")):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "zfill":
            return True
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and \
                isinstance(node.left, ast.Constant) and re.search(r"%0\d+d", str(node.left.value)):
            return True
        if isinstance(node, ast.Name) and depth < 2 and any(
                _fixed_width_number(unit, v, depth + 1) for v in unit.names_bound_to.get(node.id, ())[:4]):
            return True
    return False


def login_trial(unit: _Unit, call: ast.Call) -> ast.AST | None:
    """The password this call logs in with, when it is a login (not an archive, a hash or a tool)."""
    trial = _trial(unit, call)
    return trial[1] if trial is not None and trial[0] == "login" else None


def _owner(unit: _Unit, call: ast.Call) -> str:
    """The call's name and what its receiver was made by (``f = PyPDF2.PdfFileReader(...)``; ``f.decrypt``)."""
    name = unit.name(call)
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    if isinstance(receiver, ast.Name):
        name += " " + " ".join(unit.name(v) for v in unit.names_bound_to.get(receiver.id, ())[:4]
                               if isinstance(v, ast.Call))
    return name


_FLAG = re.compile(_PASSWORD_OPTION.pattern + r"(=|\s*)['\"]?$")  # the option, ending the text before its value


def _glued_password(command: ast.AST) -> ast.AST | None:
    """7-Zip's extract command with the password glued to its option (``[exe, 'x', f'-p{pw}', archive]``), whatever
    the program's path is held in: the value after ``-p``."""
    if not isinstance(command, (ast.List, ast.Tuple)):
        return None
    words = [e.value for e in command.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    if not {"x", "e", "t"} & set(words):
        return None
    for element in command.elts:
        if isinstance(element, ast.JoinedStr) and len(element.values) == 2 and \
                isinstance(element.values[0], ast.Constant) and element.values[0].value == "-p" and \
                isinstance(element.values[1], ast.FormattedValue):
            return element.values[1].value
    return None


def _pieces(expr: ast.AST) -> list[ast.AST]:
    """The parts of a command built by an f-string, ``+`` or a list, in order."""
    if isinstance(expr, ast.JoinedStr):
        return [v.value if isinstance(v, ast.FormattedValue) else v for v in expr.values]
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return _pieces(expr.left) + _pieces(expr.right)
    if isinstance(expr, (ast.List, ast.Tuple)):
        return [p for e in expr.elts for p in (*_pieces(e), ast.Constant(" "))]
    return [expr]


def _option_value(command: ast.AST) -> ast.AST:
    """What follows the password option in a command (``-p {pw}``), else the whole command."""
    return _value_after(command, lambda text: _FLAG.search(text) is not None)


def _after_word(command: ast.AST, word: str) -> ast.AST:
    """What follows a bare word in a command (``[..., 'password', pw]``, ``f"... password {pw}"``), else the whole
    command."""
    return _value_after(command, lambda text: text.split()[-1:] == [word])


def _value_after(command: ast.AST, leads: Callable[[str], bool]) -> ast.AST:
    """The first non-constant piece of a command whose constant piece before it ``leads`` to it, else the command."""
    pieces = [p for p in _pieces(command) if not (isinstance(p, ast.Constant) and p.value == " ")]
    for before, after in zip(pieces, pieces[1:], strict=False):
        if isinstance(before, ast.Constant) and isinstance(before.value, str) and leads(before.value) \
                and not isinstance(after, ast.Constant):
            return after
    return command


def _hash_compares(unit: _Unit) -> list[tuple[ast.AST, ast.AST]]:
    """Comparisons of a digest of something with something else: ``md5(w).hexdigest() == target``, or a look-up of
    the digest in a mapping (``wanted.get(md5(w).hexdigest())``, ``wanted[digest]``: hashes to users)."""
    found: list[tuple[ast.AST, ast.AST]] = []
    for node, key in _lookups(unit):
        if _a_digest(unit, key) and not _digest_of_own(unit, _looked_in(node)):
            found.append((node, key))
    for node in unit.compares:
        if not any(isinstance(op, (ast.Eq, ast.NotEq, ast.In)) for op in node.ops) or _skips_done(unit, node):
            continue
        for side in (node.left, *node.comparators):
            if _a_digest(unit, side):
                others = [o for o in (node.left, *node.comparators) if o is not side]
                if not _proof_of_work(unit, node, side) and not any(_digest_of_own(unit, o) for o in others):
                    found.append((node, side))
                break
    return found


def _skips_done(unit: _Unit, compare: ast.Compare) -> bool:
    """``if digest in done: continue``: a digest found among the program's own results skips work already done
    (a resumable audit); a cracker's match is what it stops, prints or returns on."""
    if len(compare.ops) != 1 or not isinstance(compare.ops[0], ast.In):
        return False  # (if digest != wanted: continue is a cracker skipping what does not match)
    parent = unit.parent.get(id(compare))
    return isinstance(parent, ast.If) and parent.test is compare and not parent.orelse and \
        all(isinstance(stmt, ast.Continue) for stmt in parent.body)


def _a_digest(unit: _Unit, expr: ast.AST) -> bool:
    """Is ``expr`` a digest: made by hashing in itself, or in what a name in it was bound to
    (``h = md5(w).hexdigest(); h == target``)?"""
    # (a name read only for one of its attributes is not that value: b.nonce % 2000 of a block that can hash itself)
    attribute_bases = {id(n.value) for n in ast.walk(expr) if isinstance(n, ast.Attribute)}
    whole = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name) and id(n) not in attribute_bases}
    values = [expr, *(v for n in whole for v in unit.names_bound_to.get(n, ())[:4])]
    return any(_hashing(unit, n) for value in values for n in ast.walk(value) if isinstance(n, ast.Call))


def _lookups(unit: _Unit) -> list[tuple[ast.AST, ast.AST]]:
    """Look-ups of a key in a mapping of the unit's (``m.get(k)``, ``m.get(k, ())``, ``m[k]`` read), with the key."""
    out: list[tuple[ast.AST, ast.AST]] = []
    for call in unit.calls:
        if isinstance(call.func, ast.Attribute) and call.func.attr == "get" and 1 <= len(call.args) <= 2 and \
                isinstance(call.func.value, ast.Name) and call.func.value.id not in unit.aliases:  # not requests.get
            out.append((call, call.args[0]))
    out += [(s, s.slice) for s in unit.subscripts if isinstance(s.value, ast.Name) and isinstance(s.ctx, ast.Load)
            and not isinstance(s.slice, (ast.Slice, ast.Constant))]
    return out


def _looked_in(node: ast.AST) -> ast.AST:
    """The mapping a look-up reads (``m`` of ``m.get(k)`` or ``m[k]``), or the comparison itself."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.value
    return node.value if isinstance(node, ast.Subscript) else node


def _digest_of_own(unit: _Unit, expr: ast.AST, depth: int = 0) -> bool:
    """Is the wanted digest made by the program from a password it holds (``target = md5(b'cbda').hexdigest()``,
    or a parameter that every caller fills with such a digest)?  Matching candidates against it recovers nothing
    the program was not given: a lesson on how fast each hash falls, not a cracker."""
    if depth > 5:
        return False
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        # game.challenge, set by the cell's class as self.challenge = md5(str(secret)).hexdigest()
        bound = [*unit.names_bound_to.get(f"{expr.value.id}.{expr.attr}", ()),
                 *unit.names_bound_to.get(f"self.{expr.attr}", ())][:4]
        return bool(bound) and all(_digest_of_own(unit, value, depth + 1) for value in bound)
    if isinstance(expr, ast.Name):
        bound = unit.names_bound_to.get(expr.id, ())[:4]
        if bound:
            return all(_digest_of_own(unit, value, depth + 1) for value in bound)
        function = unit.function_of(expr)
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or expr.id not in _params(function):
            return False
        params = _params(function)
        called = function.name
        owner = unit.parent.get(id(function))
        if called == "__init__" and isinstance(owner, ast.ClassDef):  # Matcher(wanted): the class is what is called
            called, params = owner.name, [p for p in params if p not in {"self", "cls"}]
        index = params.index(expr.id)
        given = [next((k.value for k in call.keywords if k.arg == expr.id), None) or
                 (call.args[index] if index < len(call.args) else None)
                 for call in unit.calls if unit.name(call).rsplit(".", 1)[-1] == called]
        return bool(given) and all(g is not None and _digest_of_own(unit, g, depth + 1) for g in given)
    if isinstance(expr, ast.Call) and len(expr.args) == 1 and not expr.keywords and \
            unit.name(expr) in {"set", "frozenset", "list", "tuple"}:
        return _digest_of_own(unit, expr.args[0], depth + 1)  # set(targets): the digests it was given
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)) and expr.elts:
        return all(_digest_of_own(unit, e, depth + 1) for e in expr.elts)
    made = [n for n in ast.walk(expr) if isinstance(n, ast.Call) and _hashing(unit, n) and n.args]
    return bool(made) and all(_held(unit, call.args[0]) for call in made)


def _held(unit: _Unit, expr: ast.AST) -> bool:
    """A constant, a name bound only to constants or to numbers the program draws itself (``secret =
    random.randint(0, 9999)``: a proof-of-work game's challenge), or either encoded or written out
    (``b'cbda'``, ``pw.encode()``, ``str(secret)``)."""
    while isinstance(expr, ast.Call) and len(expr.args) <= 1 and (
            isinstance(expr.func, ast.Attribute) and expr.func.attr == "encode" or
            isinstance(expr.func, ast.Name) and expr.func.id == "str" and expr.args):
        expr = expr.func.value if isinstance(expr.func, ast.Attribute) else expr.args[0]
    if unit.value(expr) is not None or _drawn(unit, expr):
        return True
    bound = unit.names_bound_to.get(expr.id, ())[:4] if isinstance(expr, ast.Name) else ()
    return bool(bound) and all(unit.value(value) is not None or _drawn(unit, value) for value in bound)


def _drawn(unit: _Unit, value: ast.AST) -> bool:
    """A random number or choice the program draws itself (``randint(0, 9999)``, ``secrets.randbelow(n)``)."""
    if not isinstance(value, ast.Call):
        return False
    name = unit.name(value)
    return name.rsplit(".", 1)[-1] in RANDOM_DRAWS and name.split(".", 1)[0] in {"random", "numpy", "secrets",
                                                                                    *RANDOM_DRAWS}


def _proof_of_work(unit: _Unit, compare: ast.Compare, digest: ast.AST) -> bool:
    """A digest's prefix compared with a run of zeros (``h[:n] == '0' * n``, ``block_hash[:4] == target``): a
    nonce search, the proof of work of a blockchain lesson, not a password matched against its hash.  A cracker
    compares the whole digest with the one it wants."""
    if isinstance(digest, ast.Name):
        digest = unit.bound_once(digest) or digest
    if isinstance(digest, ast.Subscript) and isinstance(digest.slice, ast.Slice):
        return True
    for other in (compare.left, *compare.comparators):
        if other is digest:
            continue
        value = unit.value(other)
        if value is None and isinstance(other, ast.Name):
            value = unit.value(unit.bound_once(other))
        if value is None and isinstance(other, ast.BinOp) and isinstance(other.op, ast.Mult):  # '0' * n
            value = next((v for v in (unit.value(other.left), unit.value(other.right)) if isinstance(v, str)), None)
        if isinstance(value, str) and value and set(value) == {"0"}:
            return True
    return False


HASH_HELPER_DEPTH = 3  # helpers between a call and the hashing it does (an md5-crypt's hash -> rounds -> md5)


def _hashes_itself(unit: _Unit, call: ast.Call) -> bool:
    """A call that hashes by its own name (``hashlib``, ``hmac``, a name that says so)."""
    name = unit.name(call)
    return bool(HASH_NAME.search(name.rsplit(".", 1)[-1])) or name.startswith(
        ("hashlib.", "hmac.", "crypt.", "bcrypt.", "passlib.", "Crypto.Hash", "zlib.crc32"))


def _helper(unit: _Unit, call: ast.Call) -> str:
    """The name of the cell's own function or method a call reaches (``derive(pw)``, ``self.hash(pw)``,
    ``c.seal(pw)`` of the cell's class; not a module's function such as ``requests.get``)."""
    name = unit.name(call)
    root = name.split(".", 1)[0]
    return name.rsplit(".", 1)[-1] if name.count(".") == 1 and (root in {"self", "cls"} or root not in unit.aliases) \
        else name


def _hashing_helpers(unit: _Unit) -> frozenset[str]:
    """The cell's functions that hash, themselves or through up to :data:`HASH_HELPER_DEPTH` helpers: each
    function is walked once per unit, then the helpers that call hashing ones are added level by level."""
    if "hashing helpers" not in unit.memo:
        hashing: set[str] = set()
        if any(_hashes_itself(unit, n) for n in unit.calls):  # no hashing anywhere: no helper can hash
            calls = {name: [n for n in ast.walk(nodes[0]) if isinstance(n, ast.Call)]
                     for name, nodes in unit.functions.items()}
            for name, values in unit.names_bound_to.items():  # d = lambda b: sha256(sha256(b).digest()).digest()
                lam = next((v for v in values[:2] if isinstance(v, ast.Lambda)), None)
                if lam is not None and name not in calls:
                    calls[name] = [n for n in ast.walk(lam.body) if isinstance(n, ast.Call)]
            hashing = {name for name, found in calls.items() if any(_hashes_itself(unit, n) for n in found)}
            for _ in range(HASH_HELPER_DEPTH - 1):
                hashing |= {name for name, found in calls.items() if any(_helper(unit, n) in hashing for n in found)}
        unit.memo["hashing helpers"] = frozenset(hashing)
    return unit.memo["hashing helpers"]


def _hashing(unit: _Unit, call: ast.Call) -> bool:
    """Does the call hash, or call a helper of the cell that does (``def derive(pw): return pbkdf2_hmac('sha1',
    pw, ssid, 4096)``, or a method called on ``self``; see :func:`_hashing_helpers`)?"""
    return _hashes_itself(unit, call) or _helper(unit, call) in _hashing_helpers(unit)


def _word_source(unit: _Unit, expr: ast.AST, depth: int = 0) -> bool:
    """Does iterating ``expr`` give password candidates (file lines, a brute-force product, a PIN range)?"""
    if depth > 3:
        return False
    if _typed(unit, expr):
        return False  # getpass.getpass() or input(): one person typing a password, not a list of candidates
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)) and len(expr.elts) < 3 and \
            not any(isinstance(e, ast.Starred) for e in expr.elts):
        return False  # for attempt in [password, b'wrong']: a login checked with the right and a wrong password
    for node in ast.walk(expr):
        if isinstance(node, ast.Call):
            name = unit.name(node)
            short = name.rsplit(".", 1)[-1]
            if short in {"open", "readlines", "splitlines", "read_text", "product", "permutations", "combinations",
                         "combinations_with_replacement", "fileinput"} or name.startswith("itertools."):
                return True
            if short == "range" and node.args and not _counts_random_draws(unit, node):
                return True
            if name in unit.functions and _generates_words(unit, unit.functions[name][0], depth):
                return True  # for pw in candidates(): a generator of the cell that yields from a word source
            if short == "split" and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value == "\n":
                return True  # the lines of a pasted list: text.split("\n")
            if short == "split" and isinstance(node.func, ast.Attribute) and _reads_file(unit, node.func.value):
                return True  # the words of a file read whole: data = f.read(); data.split()
        elif isinstance(node, ast.Name):
            if WORD_NAMES.search(node.id):
                return True
            if _whole_read(unit, node):
                continue  # md5(f.read()): a file's whole content hashed, not its lines tried one by one
            if any(_word_source(unit, value, depth + 1) for value in unit.names_bound_to.get(node.id, ())[:4]):
                return True
        elif isinstance(node, ast.Attribute) and (node.attr in {"ascii_letters", "ascii_lowercase", "digits",
                                                                 "printable", "ascii_uppercase", "punctuation"}
                                                  or WORD_NAMES.search(node.attr)) and not _drawn_at_random(unit, node):
            return True
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set)) and len(node.elts) >= 3 and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            return True
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                (_charset(node.value) or len(node.value) < 200 and WORDLIST_FILE.search(node.value)
                 and not BARE_PASSWORD.fullmatch(node.value)):
            return True  # charlist = 'abc...XYZ0123...' (candidates built by hand), or a word list's file name
    return False


def _typed(unit: _Unit, expr: ast.AST) -> bool:
    """Is the value what a person types (``input(...)``, ``str(input(...)).lower().strip()``,
    ``getpass.getpass().encode()``)?"""
    while isinstance(expr, ast.Call):
        if isinstance(expr.func, ast.Attribute) and isinstance(expr.func.value, ast.Call) and \
                expr.func.attr in {"encode", "strip", "rstrip", "lstrip", "lower", "upper", "casefold"}:
            expr = expr.func.value
        elif isinstance(expr.func, ast.Name) and expr.func.id in {"str", "bytes"} and len(expr.args) == 1:
            expr = expr.args[0]
        else:
            return unit.name(expr).rsplit(".", 1)[-1] in TYPED_BY_A_PERSON
    return False


# random draws: of characters (a new password), or of a number (a game's secret)
RANDOM_DRAWS = frozenset({"choice", "choices", "sample", "shuffle", "token_urlsafe", "token_hex", "randbelow", "randint",
                          "randrange", "getrandbits"})


def _drawn_at_random(unit: _Unit, node: ast.AST) -> bool:
    """Is a character set handed to a random draw (``secrets.choice(string.ascii_letters)``)?  That makes a new
    password, not candidates for an old one."""
    parent = unit.parent.get(id(node))
    while isinstance(parent, (ast.BinOp, ast.Attribute)):  # string.ascii_letters + string.digits
        parent = unit.parent.get(id(parent))
    return isinstance(parent, ast.Call) and unit.name(parent).rsplit(".", 1)[-1] in RANDOM_DRAWS


def _counts_random_draws(unit: _Unit, call: ast.Call) -> bool:
    """Is a ``range`` only the length of a random string (``''.join(secrets.choice(abc) for _ in range(16))``)?"""
    generator = unit.parent.get(id(call))
    made = unit.parent.get(id(generator)) if isinstance(generator, ast.comprehension) else None
    element = getattr(made, "elt", None)
    return element is not None and any(isinstance(n, ast.Call) and unit.name(n).rsplit(".", 1)[-1] in RANDOM_DRAWS
                                       for n in ast.walk(element))


def _reads_file(unit: _Unit, expr: ast.AST, depth: int = 0) -> bool:
    """Is the value read from a file (``f.read()``, ``open(p).read()``, ``Path(p).read_text()``, or a name bound to
    one)?"""
    for node in ast.walk(expr):
        if isinstance(node, ast.Call) and unit.name(node).rsplit(".", 1)[-1] in {"open", "read", "read_text"}:
            return True
        if isinstance(node, ast.Name) and depth < 3 and any(
                _reads_file(unit, value, depth + 1) for value in unit.names_bound_to.get(node.id, ())[:4]):
            return True
    return False


def _whole_read(unit: _Unit, name: ast.Name) -> bool:
    """Is the name only read whole here (``f.read()``, ``f.read().encode()``), its text never split into lines or
    words on the way?"""
    node: ast.AST = name
    parent = unit.parent.get(id(node))
    if not (isinstance(parent, ast.Attribute) and parent.attr == "read"):
        return False
    while isinstance(parent, (ast.Attribute, ast.Call)):
        if isinstance(parent, ast.Attribute) and parent.attr in {"split", "splitlines", "readlines", "rsplit"}:
            return False
        node, parent = parent, unit.parent.get(id(parent))
    return True


def _generates_words(unit: _Unit, function: ast.AST, depth: int) -> bool:
    """Is ``function`` a generator whose yields come from a loop over a word source?"""
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in ast.walk(function)) and any(
        isinstance(loop, (ast.For, ast.AsyncFor)) and _word_source(unit, loop.iter, depth + 1)
        for loop in ast.walk(function))


def _charset(text: str) -> bool:
    """A character set written out (``'abcdefghijklmnopqrstuvwxyz0123456789'``): 20 or more characters, nearly
    all different, letters or digits among them, no spaces."""
    return 20 <= len(text) <= 200 and " " not in text and len(set(text)) >= 0.9 * len(text) and \
        any(c.isalnum() for c in text)


def _driven_loop(unit: _Unit, node: ast.AST, used: set[str], outside: ast.AST | None = None) -> ast.AST | None:
    """The word-source loop around ``node`` whose variables reach ``used``, if any (only loops around
    ``outside`` when it is given)."""
    function = unit.function_of(node)
    loops = unit.loops_around(node)
    if outside is not None:
        loops = loops[loops.index(outside) + 1:] if outside in loops else []
    for loop in loops:
        if not any(_word_source(unit, it) for it in _loop_iters(loop)) and not isinstance(loop, ast.While):
            continue
        if _waits_for_a_person(unit, loop):
            continue  # a menu or a login prompt asked again each round: paced by whoever types
        seeds = _loop_targets(loop)
        if isinstance(loop, ast.While):  # while True: pw = next(gen) / f.readline() / generate()
            seeds = {n for a in ast.walk(loop) if isinstance(a, ast.Assign) and isinstance(got := _awaited(a.value), ast.Call)
                     and (_word_source(unit, got) or unit.name(got).endswith(("next", "readline"))
                          or _queued_words(unit, got))
                     for t in a.targets for n in _names(t)}
        if _derived(unit, function or unit.tree, seeds) & used:
            return loop
    return None


def _waits_for_a_person(unit: _Unit, loop: ast.AST) -> bool:
    """Does each round of the loop ask a person for something (``input()``, ``getpass()``) in its own body?"""
    return isinstance(loop, (ast.For, ast.AsyncFor, ast.While)) and any(
        isinstance(n, ast.Call) and unit.name(n).rsplit(".", 1)[-1] in TYPED_BY_A_PERSON
        for stmt in loop.body for n in ast.walk(stmt))  # (a comprehension has no body of statements)


def _queued_words(unit: _Unit, call: ast.Call) -> bool:
    """``q.get()`` of a queue that a loop over password candidates fills (``for w in words: q.put(w)``): the
    threaded cracker hands its workers the words through a queue."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in {"get", "get_nowait"} and isinstance(func.value, ast.Name)):
        return False
    return any(isinstance(put.func, ast.Attribute) and put.func.attr in {"put", "put_nowait"} and
               isinstance(put.func.value, ast.Name) and put.func.value.id == func.value.id and
               any(_word_source(unit, it) for loop in unit.loops_around(put) for it in _loop_iters(loop))
               for put in unit.calls)


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
    given: dict[str, tuple[int, str]] = {}  # a class among them: the constructor parameter that holds the candidate
    for kind, node, candidate in trials:
        loop = _driven_loop(unit, node, _names(candidate))
        if loop is not None and kind == "hash" and _among_items(unit, node, candidate, loop):
            # each stored hash against its own user's row: the candidates may still come from a loop around it
            loop = _driven_loop(unit, node, _names(candidate), outside=loop)
            if loop is None or _among_items(unit, node, candidate, loop):
                continue
        if loop is not None:
            found.append(Found(f"password-trial/{kind}", node.lineno, f"{_what(kind)} inside a loop over "
                               f"password candidates (line {loop.lineno})"))
            continue
        function = unit.function_of(node)
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                _derived(unit, function, set(_params(function)) - {"self", "cls"}) & _names(candidate):
            trial_functions.setdefault(function.name, (kind, node))
        elif isinstance(function, ast.Lambda) and (name := _lambda_name(unit, function)) is not None and \
                {a.arg for a in function.args.args} & _names(candidate):
            trial_functions.setdefault(name, (kind, node))  # matches = lambda w: md5(w).hexdigest() == target
        elif isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            made = _constructed_with(unit, function, candidate)
            if made is not None:  # Finder(password=pw).run(): the class is called like a trial function
                trial_functions.setdefault(made[0], (kind, node))
                given.setdefault(made[0], made[1:])
    # an object whose __call__ makes the trial (match = Matcher(algo, hashes); match(word)): calling it drives it
    for function in [f for f in unit.functions.get("__call__", ()) if "__call__" in trial_functions]:
        owner = unit.parent.get(id(function))
        if isinstance(owner, ast.ClassDef):
            for name, values in unit.names_bound_to.items():
                if any(isinstance(v, ast.Call) and unit.name(v) == owner.name for v in values[:4]):
                    trial_functions.setdefault(name, trial_functions["__call__"])
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
    # a partial of a trial function (check = partial(attempt, archive, member)) tries what it is called with
    for name, function in _partials_of(unit, trial_functions).items():
        trial_functions.setdefault(name, trial_functions[function])
    reported = {f.line for f in found}
    for call in unit.calls:
        target, args = _driven_function(unit, call, trial_functions)
        if target is None:
            continue
        kind, node = trial_functions[target]
        if node.lineno in reported:
            continue
        if target in given:  # only what the constructor keeps as the tried value counts, not the archive's name
            index, param = given[target]
            args = [k.value for k in call.keywords if k.arg == param] + call.args[index:index + 1]
        short = unit.name(call).rsplit(".", 1)[-1]
        if short in MAPPERS and len(call.args) >= 2 and _word_source(unit, call.args[1]):
            loop = call
        elif (mapped := _mapped_over(unit, call)) is not None:
            loop = mapped
        else:
            loop = _driven_loop(unit, call, set().union(*(_names(a) for a in args))) if args else None
        if loop is not None and len(args) >= 2 and isinstance(loop, (ast.For, ast.AsyncFor, ast.ListComp,
                                                                        ast.SetComp, ast.GeneratorExp)):
            items = _loop_targets(loop)
            if all(isinstance(a, ast.Subscript) and _names(a.slice) & items and not _names(a.value) & items
                   for a in args):
                # verify(users[u], store[u]) for u in users: each key's password checked against its own stored
                # hash (a combo list's entries handed on, login(u, p) or login(row[0], row[1]), is still a trial)
                continue
        if loop is not None:
            reported.add(node.lineno)
            found.append(Found(f"password-trial/{kind}", node.lineno, f"{_what(kind)} in {target}(), run for "
                               f"each password candidate (line {getattr(loop, 'lineno', call.lineno)})"))
    return found


def _lambda_name(unit: _Unit, lam: ast.Lambda) -> str | None:
    """The name a lambda is bound to (``matches = lambda word: ...``), if it is."""
    parent = unit.parent.get(id(lam))
    return parent.targets[0].id if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and \
        isinstance(parent.targets[0], ast.Name) else None


def _mapped_over(unit: _Unit, call: ast.Call) -> ast.Call | None:
    """The mapping call that runs ``call`` once per item of a word source, when ``call`` is the body of the lambda
    it maps (``pool.map(lambda b: try_batch(TOKEN, b), batches)``)."""
    lam = unit.parent.get(id(call))
    mapper = unit.parent.get(id(lam)) if isinstance(lam, ast.Lambda) else None
    if isinstance(mapper, ast.Call) and unit.name(mapper).rsplit(".", 1)[-1] in MAPPERS and \
            len(mapper.args) >= 2 and mapper.args[0] is lam and _word_source(unit, mapper.args[1]):
        return mapper
    return None


def _constructed_with(unit: _Unit, method: ast.AST, candidate: ast.AST) -> tuple[str, int, str] | None:
    """The class whose method tries ``self.x`` when its ``__init__`` sets ``self.x`` from a parameter (or from
    ``**kwargs``): making the object hands it the candidate, so the class drives the trial like a function.
    With the class: the parameter's position among the constructor's arguments and its name."""
    attrs = {n.attr for n in ast.walk(candidate) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
             and n.value.id == "self"}
    owner = unit.parent.get(id(method))
    if not attrs or not isinstance(owner, ast.ClassDef):
        return None
    init = next((s for s in owner.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None)
    if init is None:
        return None
    params = [p for p in _params(init) if p not in ("self", "cls")]
    for node in ast.walk(init):
        if not isinstance(node, ast.Assign) or not any(
                isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"
                and t.attr in attrs for t in node.targets):
            continue
        for index, param in enumerate(params):
            if _derived(unit, init, {param}) & _names(node.value):
                return owner.name, index, param
        if init.args.kwarg and init.args.kwarg.arg in _names(node.value):  # self.password = kwargs['password']
            key = next((unit.value(n.slice) for n in ast.walk(node.value) if isinstance(n, ast.Subscript)), None)
            return (owner.name, len(params), key) if isinstance(key, str) else None
    return None


def _among_items(unit: _Unit, compare: ast.AST, candidate: ast.AST, loop: ast.AST) -> bool:
    """Is a digest compared with another value made from the loop's own items (each line's hash against the first
    line's: a consistency check), rather than with a target from outside the loop?"""
    others = [side for side in (compare.left, *compare.comparators) if side is not candidate] \
        if isinstance(compare, ast.Compare) else [_looked_in(compare)]
    made = _derived(unit, unit.function_of(compare) or unit.tree, _loop_targets(loop))
    # a collection the loop fills with its items' values (seen.add(digest): a duplicate check)
    made |= {n.func.value.id for n in ast.walk(loop) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and n.func.attr in {"add", "append", "extend", "insert", "update"} and isinstance(n.func.value, ast.Name)
             and any(_names(a) & made for a in n.args)}
    return bool(others) and all(_names(side) & made for side in others)


def _what(kind: str) -> str:
    return {"archive": "an archive password try", "hash": "a hash comparison", "login": "a login attempt",
            "tool": "a password-cracking command"}[kind]
