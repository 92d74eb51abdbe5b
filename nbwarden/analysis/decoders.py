"""The standard library's decoders applied to values the folder knows: base64 and its kin, hex, zlib, gzip, bz2,
lzma and the ``codecs`` module, plus what a decoded blob looks like (compressed? readable text?).

The folder decides which call is a decoder and folds its arguments; this module only turns bytes into bytes or text,
within the folder's size limit, so both the folder and the blind reading of string literals use one copy.
"""

from __future__ import annotations

import base64
import binascii
import bz2
import codecs
import lzma
import zlib
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
    return _codec(value, extra, methods)


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
