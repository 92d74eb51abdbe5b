"""The standard library's decoders applied to values the folder knows: base64 and its kin, hex, zlib, gzip, bz2,
lzma, the ``codecs`` module and ``marshal`` (plain data only, read here, never by ``marshal`` itself), plus what a
decoded blob looks like (compressed? readable text?).

The folder decides which call is a decoder and folds its arguments; this module only turns bytes into bytes or text,
within the folder's size limit, so both the folder and the blind reading of string literals use one copy.
"""

from __future__ import annotations

import base64
import binascii
import bz2
import codecs
import hashlib
import lzma
import re
import struct
import zlib
from dataclasses import dataclass
from typing import Any

MAX_FOLD = 1 << 20  # longest string the folder will build (and a decompressed blob may reach)
MAX_ITEMS = 65536  # longest list, dict or comprehension the folder will build
BASE_DECODERS = frozenset({"b64decode", "decodebytes", "a2b_base64", "urlsafe_b64decode", "decodestring",
                           "b32decode", "b16decode", "b85decode", "a85decode", "standard_b64decode", "a2b_uu"})
HEX_DECODERS = frozenset({"unhexlify", "a2b_hex"})
COMPRESSORS = frozenset({"zlib", "gzip", "bz2", "lzma"})
CODEC_CALLS = frozenset({"codecs.decode", "codecs.encode"})


def decoder_kind(name: str, short: str, module: str) -> str | None:
    """Which decoder a call is (``base``, ``hex``, ``decompress``, ``codec``), or None."""
    if short in BASE_DECODERS:
        return "base"
    if short in HEX_DECODERS:
        return "hex"
    if short == "decompress" and module in COMPRESSORS:
        return "decompress"
    if short == "loads" and module == "marshal":
        return "marshal"
    return "codec" if name in CODEC_CALLS else None


def decode(kind: str, which: str, value: Any, extra: Any, methods: set[str]) -> Any:
    """The decoder's output for a folded ``value``: ``which`` is the function (``b64decode``) or, for
    ``decompress``, the module; ``extra`` is zlib's ``wbits`` or the codec's name.  ``methods`` collects the
    decoders used, for the evidence.  None when the value is not what the decoder takes."""
    if kind == "base":
        if not isinstance(value, (str, bytes)):
            return None
        methods.add("base64" if "64" in which or which in {"decodebytes", "decodestring"} else which)
        data = value.encode() if isinstance(value, str) else value
        decoder = getattr(base64, which, None) or getattr(binascii, which, None)  # a2b_base64, a2b_uu (one line)
        if which in {"urlsafe_b64decode", "b64decode"}:
            data = data + b"=" * (-len(data.strip()) % 4)
        return decoder(data) if decoder else None
    if kind == "hex":
        if not isinstance(value, (str, bytes)):
            return None
        methods.add("hex")
        return binascii.unhexlify(value)
    if kind == "decompress":
        if not isinstance(value, bytes) or not isinstance(extra, int):
            return None
        methods.add(which)
        return _decompress(which, value, extra)
    if kind == "marshal":
        if not isinstance(value, bytes):
            return None
        methods.add("marshal")
        return unmarshal(value)
    return _codec(value, extra, methods)


MARSHAL_DEPTH = 32
_SHORT_TEXT = {ord("z"), ord("Z")}
_TEXT = {ord("u"), ord("t"), ord("a"), ord("A")}
_CONSTANTS = {ord("N"): None, ord("T"): True, ord("F"): False}


def unmarshal(data: bytes) -> Any:
    """``marshal.loads`` for plain data (str, bytes, int, float, bool, None, and lists, tuples, sets and dicts of
    them), read without ``marshal``: that module trusts its input, and a cell's blob may be made to crash it.  Code
    objects and anything unusual give None.  Tuples and sets come back as lists, as the folder keeps them."""
    refs: list[Any] = []
    budget = [MAX_ITEMS]

    def read(at: int, depth: int) -> tuple[Any, int]:
        if depth > MARSHAL_DEPTH or at >= len(data) or budget[0] <= 0:
            raise ValueError("too deep or too long")
        budget[0] -= 1
        code, flagged = data[at] & 0x7F, data[at] & 0x80
        at += 1
        slot = len(refs)
        if flagged:
            refs.append(None)
        if code in _CONSTANTS:
            value: Any = _CONSTANTS[code]
        elif code == ord("i"):
            value, at = struct.unpack_from("<i", data, at)[0], at + 4
        elif code == ord("g"):
            value, at = struct.unpack_from("<d", data, at)[0], at + 8
        elif code == ord("l"):
            size = struct.unpack_from("<i", data, at)[0]
            at += 4
            digits = struct.unpack_from(f"<{abs(size)}H", data, at) if abs(size) <= 1024 else None
            if digits is None:
                raise ValueError("long too long")
            value = sum(d << (15 * i) for i, d in enumerate(digits)) * (-1 if size < 0 else 1)
            at += 2 * abs(size)
        elif code in _SHORT_TEXT or code in _TEXT or code == ord("s"):
            if code in _SHORT_TEXT:
                size, at = data[at], at + 1
            else:
                size, at = struct.unpack_from("<i", data, at)[0], at + 4
            raw = data[at:at + size]
            if size < 0 or len(raw) != size or size > MAX_FOLD:
                raise ValueError("bad length")
            value, at = (raw if code == ord("s") else raw.decode("utf-8")), at + size
        elif code in (ord("("), ord(")"), ord("["), ord("<"), ord(">")):
            if code == ord(")"):
                count, at = data[at], at + 1
            else:
                count, at = struct.unpack_from("<i", data, at)[0], at + 4
            if not 0 <= count <= budget[0]:
                raise ValueError("bad count")
            value = []
            for _ in range(count):
                item, at = read(at, depth + 1)
                value.append(item)
        elif code == ord("{"):
            value = {}
            while at < len(data) and data[at] != ord("0"):
                key, at = read(at, depth + 1)
                item, at = read(at, depth + 1)
                value[key if isinstance(key, (str, bytes, int, float, bool, type(None))) else str(key)] = item
            at += 1
        elif code == ord("r"):
            index, at = struct.unpack_from("<i", data, at)[0], at + 4
            if not 0 <= index < len(refs):
                raise ValueError("bad reference")
            value = refs[index]
        else:
            raise ValueError(f"unsupported marshal type {chr(code)!r}")  # code objects among them
        if flagged:
            refs[slot] = value
        return value, at

    try:
        return read(0, 0)[0]
    except (ValueError, struct.error, UnicodeDecodeError, IndexError, RecursionError):
        return None


def _codec(value: Any, codec: Any, methods: set[str]) -> Any:
    """``codecs.decode(value, codec)`` for the codecs that hide text (rot13, hex, base64, zlib, escapes)."""
    if not isinstance(codec, str):
        return None
    key = codec.replace("_", "").replace("-", "").lower()
    if key == "rot13" and isinstance(value, str):
        methods.add("rot13")
        return codecs.decode(value, "rot13")
    if key in {"hex", "hexcodec"}:
        methods.add("hex")
        return binascii.unhexlify(value)
    if key in {"base64", "base64codec"}:
        methods.add("base64")
        return base64.b64decode(value)
    if key in {"zlib", "zlibcodec", "zip"} and isinstance(value, bytes):
        methods.add("zlib")
        return _decompress("zlib", value, zlib.MAX_WBITS)
    if key == "unicodeescape" and isinstance(value, (str, bytes)):
        return codecs.decode(value, "unicode_escape")
    if isinstance(value, bytes):
        return value.decode(codec, "replace")
    return None


def _decompress(module: str, data: bytes, wbits: int) -> bytes:
    """Decompressed ``data``, at most ``MAX_FOLD`` bytes of it (a small bomb stays small)."""
    if module == "zlib":
        return zlib.decompressobj(wbits).decompress(data, MAX_FOLD)
    if module == "gzip":
        return zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(data, MAX_FOLD)
    if module == "bz2":
        return bz2.BZ2Decompressor().decompress(data, MAX_FOLD)
    return lzma.LZMADecompressor().decompress(data, MAX_FOLD)



_COMPRESSED = ((b"\x78\x01", "zlib"), (b"\x78\x5e", "zlib"), (b"\x78\x9c", "zlib"), (b"\x78\xda", "zlib"),
               (b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ", "lzma"))


def unpacked(data: bytes) -> tuple[bytes, str | None]:
    """Bytes that start with a compressor's magic number, decompressed (at most ``MAX_FOLD`` of them), and the
    compressor's name; anything else as it is.  A compressed blob inside a base64 literal is a payload, wherever
    it is used."""
    for magic, module in _COMPRESSED:
        if data.startswith(magic):
            try:
                return _decompress(module, data, zlib.MAX_WBITS), module
            except (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError):
                return data, None
    return data, None


def printable(data: bytes | str) -> str | None:
    """Decoded bytes as text if they look like text, else None."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    else:
        text = data
    if not text:
        return None
    good = sum(1 for ch in text[:2000] if ch.isprintable() or ch in "\n\t\r")
    return text if good >= 0.9 * min(len(text), 2000) else None


STRUCT_FORMAT = re.compile(r"[<>!=@]?(\d{0,4}[bBhHiIlLqQx])+")  # integer formats only


def packed(fmt: str, values: list[Any]) -> bytes | None:
    """Text kept as integers, packed back into bytes (``struct.pack('<5I', *words)``; integer formats only, within
    :data:`MAX_FOLD` bytes); None for anything else."""
    if not STRUCT_FORMAT.fullmatch(fmt) or not all(type(v) is int for v in values):
        return None
    try:
        if struct.calcsize(fmt) > MAX_FOLD:
            return None
        return struct.pack(fmt, *values)
    except struct.error:
        return None


def formatted(value: Any, spec: Any) -> str | None:
    """``format(value, spec)`` as ``f'{value:spec}'`` writes it (``120:c`` is ``x``); None for a spec that is not
    text or asks for a width of 10,000 or more (it would only pad)."""
    if not isinstance(spec, str) or re.search(r"\d{5,}", spec):
        return None
    return format(value, spec)


def capped(value: Any) -> Any:
    """``value``, or ValueError when it is longer than the folder builds (the folder reads that as unknown)."""
    if isinstance(value, (str, bytes)) and len(value) > MAX_FOLD or isinstance(value, list) and len(value) > MAX_ITEMS:
        raise ValueError("folded value too long")
    return value


@dataclass(frozen=True, slots=True)
class FernetKey:
    """``Fernet(key)`` with a key the cell spells out: what its ``decrypt`` gives can be worked out."""

    key: bytes

    def __repr__(self) -> str:
        return ""  # never text of its own


def fernet_key(value: Any) -> FernetKey | None:
    key = value.encode() if isinstance(value, str) else value
    return FernetKey(key) if isinstance(key, bytes) and len(key) == 44 else None


def fernet_decrypt(sealer: FernetKey, token: Any) -> bytes | None:
    """What ``Fernet(key).decrypt(token)`` gives, by ``cryptography``'s own Fernet when it is installed (a payload
    the cell encrypted with a key it carries is as readable as base64); the time-to-live is not checked, as a
    payload decrypted later would pass it.  None for anything else."""
    token = token.encode() if isinstance(token, str) else token
    if not isinstance(token, bytes) or len(token) > MAX_FOLD:
        return None
    try:
        from cryptography.fernet import Fernet, InvalidToken
    except ImportError:
        return None
    try:
        return Fernet(sealer.key).decrypt(token)
    except (InvalidToken, ValueError, TypeError):
        return None


DIGESTS = frozenset({"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "blake2b", "blake2s", "sha3_256",
                     "sha3_512"})
MAX_PBKDF2_ROUNDS = 250_000  # a key stretched further is left unknown: the folder's time is the gate's


def hashed(algorithm: str, data: Any) -> bytes | None:
    """A digest of bytes or text the cell spells out (a key derived from a constant); None for anything else."""
    data = data.encode() if isinstance(data, str) else data
    if algorithm not in DIGESTS or not isinstance(data, bytes) or len(data) > MAX_FOLD:
        return None
    return hashlib.new(algorithm, data).digest()


def stretched(algorithm: Any, password: Any, salt: Any, rounds: Any, length: Any = None) -> bytes | None:
    """``hashlib.pbkdf2_hmac(...)`` of constants, for at most :data:`MAX_PBKDF2_ROUNDS` rounds; None otherwise."""
    password = password.encode() if isinstance(password, str) else password
    salt = salt.encode() if isinstance(salt, str) else salt
    if algorithm not in DIGESTS or not isinstance(password, bytes) or not isinstance(salt, bytes) or \
            not isinstance(rounds, int) or not 0 < rounds <= MAX_PBKDF2_ROUNDS or \
            length is not None and not (isinstance(length, int) and 0 < length <= 1024):
        return None
    return hashlib.pbkdf2_hmac(algorithm, password, salt, rounds, length)

