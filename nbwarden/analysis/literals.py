"""String literals read for what they hold: URLs, and what they decode to on their looks alone (hex, base64,
compressed base85, rot13 in a cell that names it), with the context each literal's characters are in.

A mixin of :class:`.pythonpass._PythonPass`, which provides ``analysis``, ``depth``, ``string_ctx``, ``_fact`` and
``_evidence``; kept apart because reading literals blind is its own concern beside following the code.
"""

from __future__ import annotations

import ast
import base64
import binascii
import codecs
import json
import re
import shlex

from .. import shell
from .commands import add_shell
from .decoders import printable, unpacked
from .facts import CODE, EXEC, MAX_DEPTH, Analysis, clip
from .folding import _Folder
from .nesting import _nested

URL_RE = shell.URL_RE
B64_RE = re.compile(r"^[A-Za-z0-9+/_\-\s]{16,}={0,2}$")
B85_RE = re.compile(r"^[0-9A-Za-z!#$%&()*+\-;<=>?@^_`{|}~]+$")
HEX_RE = re.compile(r"^(?:[0-9a-fA-F]{2}){8,}$")
B32_RE = re.compile(r"^[A-Z2-7]+=*$")
ROT13_NAME = re.compile(r"rot[-_]?13", re.I)
B85_NAME = re.compile(r"\b[ab]85decode\b")  # base64.b85decode / a85decode named in the cell
# int(token, 36): numbers written in another base, turned back into bytes (to_bytes) or characters (chr)
INT_BASE = re.compile(r"\bint\s*\((?:[^()\n]|\([^()\n]{0,40}\)){1,80},\s*(?:base\s*=\s*)?(\d{1,2})\s*\)")
BASE_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
MIN_BASE_TOKEN = 3  # shorter tokens are lengths and counts beside the payload's numbers ('20:...')
ESCAPE_CODEC = re.compile(r"(?:unicode|string)[-_]escape", re.I)
# s[::-1], reversed(s), the shell's rev (!rev f | base64 -d): the cell reads text backwards
REVERSAL = re.compile(r"\[\s*:\s*:\s*-\s*1\s*\]|\breversed\s*\(|(?:^|[!|;&]\s*)rev\b", re.M)
ESCAPE_SEQ = re.compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[0-7]{3})")
MAX_LAYERS = 3  # encodings peeled on their looks alone, one inside another
MAX_ROT13 = 400  # longest string read rot13'd on a cell's word alone
MAX_SUBSTITUTED = 4096  # characters of a literal read through a cell's substitution table
CONTROL_RUN = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]+")
# XOR keys: a quoted word of 1-32 characters, or a hex word in a config text (seed = 63306c61); numbers XORed in
XOR_KEY_WORD = re.compile(r"""(?<=['"])[^'"\s]{1,32}(?=['"])|(?<=[=:]\s)[0-9a-fA-F]{4,64}\b""")
HEX_WORD = re.compile(r"[0-9a-fA-F]+")
XOR_NUMBER = re.compile(r"\^\s*(0x[0-9a-fA-F]{1,2}|\d{1,3})\b")
XOR_BYTE_LIST = re.compile(r"\b(?:bytes|bytearray)\(\s*\[((?:\s*(?:0[xX][0-9a-fA-F]{1,2}|\d{1,3})\s*,?){1,32})\]\s*\)")
XOR_BYTES_LITERAL = re.compile(r"""\bb['"]((?:\\x[0-9a-fA-F]{2}|[^'"\\\s]){1,32})['"]""")
MAX_XOR_KEYS = 32  # keys tried on each blob that is not text
XOR_WORDY = 0.9  # share of word characters above which an XORed blob is taken as text
MAX_XORED = 4096  # bytes of a blob tried with each key
# the values of a configuration text kept in a string (INI, YAML, JSON): read on their looks one by one
CONFIG_VALUE = re.compile(r"[A-Za-z0-9+/=_\-]{16,}")
MAX_CONFIG_VALUES = 32


# the fields of a JSON text that hold a command line: a job spec's "command", a recorded tool call's arguments
COMMAND_KEYS = frozenset({"command", "cmd", "commands", "shell", "script", "run", "exec", "argv", "args_line"})
JSON_COMMAND = re.compile(r'"(?:' + "|".join(sorted(COMMAND_KEYS)) + r')\\*"\s*:')  # also with escaped quotes
MAX_JSON_TEXT = 200_000  # characters of a JSON text parsed for its commands
MAX_JSON_COMMANDS = 32


def json_commands(text: str) -> list[str]:
    """The command lines a JSON text holds under a command's field (``{"command": "aria2c ..."}``), also inside
    string fields that are JSON themselves (a model's tool call, whose ``arguments`` is JSON text); [] when the text
    is not JSON or holds none."""
    found: list[str] = []

    def walk(node: object, depth: int) -> None:
        if depth > 8 or len(found) >= MAX_JSON_COMMANDS:
            return
        if isinstance(node, dict):
            for key, value in node.items():
                if str(key).lower() in COMMAND_KEYS:
                    if isinstance(value, str) and value.strip():
                        found.append(value)
                    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                        found.append(shlex.join(value))  # an argv
                walk(value, depth + 1)
        elif isinstance(node, list):
            for item in node[:256]:
                walk(item, depth + 1)
        elif isinstance(node, str) and node[:1] in "{[" and JSON_COMMAND.search(node):
            walk(_json(node), depth + 1)  # "arguments": "{\"command\": ...}"

    if JSON_COMMAND.search(text[:MAX_JSON_TEXT]):
        walk(_json(text), 0)
    return found


def _json(text: str) -> object:
    """The value a JSON text holds, or None when it is not JSON (or too long to parse here)."""
    if len(text) > MAX_JSON_TEXT:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def on_its_looks(value: str, keys: tuple[bytes, ...] = ()) -> tuple[str | None, str]:
    """What a string without spaces decodes to on its looks alone (hex, base64, compressed base85), as readable
    text, and how; (None, method) when it does not read as any of them.  Bytes that are not text are tried XORed
    with each of ``keys`` (a repeating key the cell holds, for a cell that XORs)."""
    decoded, method = None, ""
    compact = "".join(value.split())
    if HEX_RE.match(compact):  # text, or a compressed payload written out in hex
        raw, packer = unpacked(binascii.unhexlify(compact))
        decoded = printable(raw)
        method = f"hex+{packer}" if packer else "hex"
        if decoded is None and not packer:
            decoded, method = _unxored(raw, keys, method)
    elif B64_RE.match(value) and len(compact) % 4 in (0, 2, 3):
        method = "base64"
        try:
            raw, packer = unpacked(base64.b64decode(compact + "=" * (-len(compact) % 4),
                                                     altchars=b"-_" if ("-" in compact or "_" in compact) else None))
            decoded = printable(raw)
            method += f"+{packer}" if packer else ""
            if decoded is None and not packer:
                decoded, method = _unxored(raw, keys, method)
        except (binascii.Error, ValueError):
            decoded = None
    elif len(compact) >= 24 and B85_RE.match(compact):
        # base85 text is rarely readable by chance: only a compressed payload inside it is taken
        try:
            raw, packer = unpacked(base64.b85decode(compact))
        except ValueError:
            raw, packer = b"", None
        if packer:
            decoded, method = printable(raw), f"base85+{packer}"
    if decoded is None and len(compact) >= 16 and len(compact) % 8 == 0 and B32_RE.match(compact):
        try:  # base32: its letters are base64's too, but decoded as base64 they make no text
            raw, packer = unpacked(base64.b32decode(compact))
        except (binascii.Error, ValueError):
            raw, packer = b"", None
        text = printable(raw)
        if text is not None:
            decoded, method = text, "base32" + (f"+{packer}" if packer else "")
    return decoded, method


def _base85(value: str) -> str | None:
    """The text a base85 or Ascii85 string spells, when it spells text; None otherwise."""
    compact = "".join(value.split())
    if not compact.isascii():
        return None
    for decode in (base64.b85decode, base64.a85decode):
        try:
            text = printable(decode(compact))
        except ValueError:
            continue
        if text is not None and len(text.strip()) >= 4:
            return text
    return None


def _numbers_as_text(value: str, base: int) -> list[str]:
    """The texts that a literal's tokens spell when each is a number in ``base`` turned into its bytes
    (``int(tok, 36).to_bytes(...)``), in order; empty when they do not all spell text."""
    digits = BASE_DIGITS[:base]
    tokens = [t for t in re.findall(r"[0-9a-z]+", value.lower()) if len(t) >= MIN_BASE_TOKEN]
    if not tokens or any(ch not in digits for t in tokens for ch in t):
        return []
    pieces = []
    for token in tokens:
        number = int(token, base)
        piece = printable(number.to_bytes((number.bit_length() + 7) // 8, "big"))
        if piece is None:
            return []
        pieces.append(piece)
    return pieces if len("".join(pieces).strip()) >= 4 else []


def _unxored(raw: bytes, keys: tuple[bytes, ...], method: str) -> tuple[str | None, str]:
    """``raw`` XORed with the key that turns it into the most word-like text (letters, digits and the marks of
    paths, addresses and options, not punctuation soup), and how; (None, method) when none does."""
    best, best_score = None, XOR_WORDY
    for key in keys:
        text = printable(bytes(b ^ key[i % len(key)] for i, b in enumerate(raw[:MAX_XORED])))
        if text and len(text.strip()) >= 4:
            score = sum(1 for ch in text if ch.isalnum() or ch in " ./:-_=@\n") / len(text)
            if score > best_score:
                best, best_score = text, score
    return (best, f"{method}+xor") if best is not None else (None, method)


def xor_keys(source: str) -> tuple[bytes, ...]:
    """The repeating keys a cell that XORs may hold, the likeliest first: byte lists and byte literals, numbers
    XORed in (``b ^ 0x5A``), hex words (also as the bytes they spell), then short quoted strings; empty for a cell
    without ``^``."""
    if "^" not in source:
        return ()
    keys: dict[bytes, None] = {}
    for listed in XOR_BYTE_LIST.findall(source):  # bytes([0x13, 0x37, 0x42])
        numbers = [int(n, 0) for n in re.findall(r"0[xX][0-9a-fA-F]+|\d+", listed)]
        if numbers and all(n < 256 for n in numbers):
            keys[bytes(numbers)] = None
    for escaped in XOR_BYTES_LITERAL.findall(source):  # b"\x13\x37B"
        keys[codecs.escape_decode(escaped.encode())[0]] = None
    for number in XOR_NUMBER.findall(source):
        value = int(number, 0)
        if 0 < value < 256:
            keys[bytes([value])] = None
    words = XOR_KEY_WORD.findall(source)
    for word in words:
        if len(word) % 2 == 0 and HEX_WORD.fullmatch(word):
            keys[bytes.fromhex(word)] = None
    for word in words:
        keys[word.encode()] = None
    return tuple(keys)[:MAX_XOR_KEYS]


class _LiteralReader:
    analysis: Analysis
    depth: int
    string_ctx: dict[int, str]
    _codecs_named: dict[re.Pattern[str], bool]
    _keys: tuple[bytes, ...] | None
    _bases: list[int] | None
    folder: _Folder

    def _string(self, node: ast.AST) -> None:
        ctx = self.string_ctx.get(id(node), CODE)
        self._span(node, ctx)
        if isinstance(node, ast.JoinedStr):
            return
        value = node.value
        if ctx not in (CODE, EXEC) or len(value) < 8:
            return
        if ctx == EXEC:  # a command's part the folder could not read (p('6d78...')): its looks are all there is
            self._looks(node, value)
            return
        rot13 = codecs.decode(value, "rot13") if self._cell_names(ROT13_NAME) and len(value) <= MAX_ROT13 and \
            value.isascii() else None
        if rot13:
            self._blind(node, rot13, "rot13")  # a cell that decodes rot13 somewhere
            if rot13 != value:  # and what the rot13'd text holds on its looks (base32 under rot13)
                self._looks(node, rot13, "rot13+")
        backwards = self._cell_names(REVERSAL) and not self._reversed_here(node)
        if backwards and len(value) <= MAX_ROT13:
            # a cell that reads text backwards somewhere (a hook or a helper the folder cannot follow): the string
            # reversed, and reversed after rot13 when the cell names that too
            self._blind(node, value[::-1], "reversed")
            if rot13:
                self._blind(node, rot13[::-1], "rot13+reversed")
        if len(value) <= MAX_ROT13 and self._cell_names(B85_NAME, "85decode"):
            plain = _base85(value)  # plain base85 in a cell that decodes it (compressed base85 is read on its looks)
            if plain:
                self._blind(node, plain, "base85")
        for base in self._int_bases():  # tokens of a number base the cell parses (int(tok, 36)), as bytes
            for text in (value, *(value.translate(t) for t in self.folder.substitutions)):
                pieces = _numbers_as_text(text[:MAX_SUBSTITUTED], base)
                for glue in ("", " ")[:len(pieces)]:  # chunks of one text, or words of a command
                    self._blind(node, glue.join(pieces), f"base{base}")
        if backwards and value[:1] == "=":  # base64 written backwards (rev | base64 -d), however long
            self._looks(node, value[::-1])
        for table in self.folder.substitutions:  # a substitution alphabet the cell made (str.maketrans(a, b))
            swapped = value[:MAX_SUBSTITUTED].translate(table)
            if swapped != value[:MAX_SUBSTITUTED]:
                self._blind(node, swapped, "translate")
        if value.isascii() and len(ESCAPE_SEQ.findall(value)) >= 2 and self._cell_names(ESCAPE_CODEC):
            # escapes written out literally (r"\x61\x72..."), turned into text by a codec the cell names
            self._blind(node, codecs.decode(value, "unicode_escape", "replace"), "unicode_escape")
        for url in URL_RE.findall(value):
            self._fact("url", url, node, ctx)
        self._looks(node, value)
        if "\n" in value and ("=" in value or ":" in value):  # a configuration text: each value on its looks
            for word in CONFIG_VALUE.findall(value)[:MAX_CONFIG_VALUES]:
                self._looks(node, word)
        if value.lstrip()[:1] in "{[" and '"' in value:  # a JSON job spec or a recorded tool call: its commands
            for command in json_commands(value.strip()):
                add_shell(self.analysis, command, node.lineno, "json", CODE, self.depth)

    def _looks(self, node: ast.Constant, value: str, before: str = "") -> None:
        """A compact string read on its looks (hex, base64, compressed base85), and each layer inside it that
        still reads as one, up to :data:`MAX_LAYERS`; each inner layer also backwards where the cell reverses text.
        ``before``: how ``value`` was itself decoded from the literal ("rot13+")."""
        if len(value) >= 16 and " " not in value.strip():
            decoded, method = on_its_looks(value, self._xor_keys())
            method = before + method
            if decoded:
                self._blind(node, decoded, method)
                if not before and len(decoded) <= MAX_ROT13 and decoded.isascii():
                    # rot13 or reversed text under base32 or base64, in a cell that names rot13 or reads backwards
                    if self._cell_names(ROT13_NAME):
                        self._blind(node, codecs.decode(decoded, "rot13"), f"{method}+rot13")
                    if self._cell_names(REVERSAL):
                        self._blind(node, decoded[::-1], f"{method}+reversed")
            for _ in range(MAX_LAYERS - 1):  # hex of base64 of ...: each layer that still reads as one is peeled
                if not decoded or len(decoded) < 16 or " " in decoded.strip():
                    break
                inner, how = on_its_looks(decoded.strip())
                if not inner:
                    break
                decoded, method = inner, f"{method}+{how}"
                self._blind(node, decoded, method)
                if self._cell_names(REVERSAL):
                    self._blind(node, decoded[::-1], f"{method}+reversed")

    def _reversed_here(self, node: ast.Constant) -> bool:
        """Is the literal itself sliced backwards where it stands (``'gimx'[::-1]``)?  The folder reads that one
        exactly, with the value's later fate, so it is not read blind."""
        lines = self.analysis.lines
        if node.end_lineno is None or node.end_col_offset is None or not 0 < node.end_lineno <= len(lines):
            return False
        rest = lines[node.end_lineno - 1].encode()[node.end_col_offset:].decode("utf-8", "ignore")
        return REVERSAL.match(rest.lstrip()) is not None

    def _blind(self, node: ast.Constant, decoded: str, method: str) -> None:
        """What a string decodes to on its looks alone: text, and code or a shell line when it reads as one.  The
        code is read, never run: its facts stay in the ``code`` context."""
        decoded = CONTROL_RUN.sub(" ", decoded)  # argv packed with control characters ('xmrig\x1f-o\x1f...')
        if len(decoded) < 4:
            return
        self._fact("text", decoded, node, CODE, method, evidence=f"{self._evidence(node)}  ⇒  {clip(decoded, 120)}")
        if self.depth < MAX_DEPTH and any(ch in decoded for ch in " (.=/"):
            _nested(self.analysis, decoded, "python", node.lineno, method, CODE, self.depth + 1)
            if "/" in decoded or " -" in decoded:  # the decoded text may be a shell line too
                add_shell(self.analysis, decoded, node.lineno, method, CODE, self.depth)

    def _xor_keys(self) -> tuple[bytes, ...]:
        """:func:`xor_keys` of the unit, found once."""
        if self._keys is None:
            self._keys = xor_keys(self.analysis.source)
        return self._keys

    def _int_bases(self) -> list[int]:
        """The number bases other than ten and sixteen that the unit parses text in (``int(tok, 36)``; hex is read
        on its looks)."""
        if self._bases is None:
            bases = {int(b) for b in INT_BASE.findall(self.analysis.source)} if "int" in self.analysis.source else set()
            self._bases = sorted(b for b in bases if 2 <= b <= 36 and b not in (10, 16))
        return self._bases

    def _cell_names(self, codec: re.Pattern[str], hint: str = "") -> bool:
        """Does the unit name this codec anywhere (``codecs.decode(s, 'rot13')``, ``'unicode_escape'``)?  Decided
        once per codec; a ``hint`` the name must contain is looked for first, as plain text."""
        if codec not in self._codecs_named:
            source = self.analysis.source
            self._codecs_named[codec] = (not hint or hint in source) and codec.search(source) is not None
        return self._codecs_named[codec]

    def _span(self, node: ast.AST, ctx: str) -> None:
        lines = self.analysis.lines
        start, end = node.lineno, node.end_lineno or node.lineno
        for line in range(start, end + 1):
            if not 0 < line <= len(lines):
                continue
            text = lines[line - 1]
            c0 = node.col_offset if line == start else 0
            c1 = node.end_col_offset if line == end and node.end_col_offset is not None else len(text.encode())
            if not text.isascii():
                raw = text.encode()
                c0 = len(raw[:c0].decode("utf-8", "ignore"))
                c1 = len(raw[:c1].decode("utf-8", "ignore"))
            self.analysis.spans.setdefault(line, []).append((c0, c1, ctx))
