"""Text helpers: line offsets, valid Unicode, word boundaries, regex unions, repository and host names."""

from __future__ import annotations

import re
from itertools import accumulate


def _line_starts(text: str) -> list[int]:
    """Offsets where each line begins (split, len, the +1 and accumulate all run in C: no Python per line)."""
    return list(accumulate(map(_PLUS_ONE, map(len, text.split("\n")[:-1])), initial=0))


_PLUS_ONE = (1).__add__


def _locate(starts: list[int], offset: int) -> tuple[int, int]:
    from bisect import bisect_right

    index = bisect_right(starts, offset) - 1
    return index + 1, offset - starts[index]


def _valid_unicode(text: str, notes: list[str]) -> str:
    """Replace lone surrogates (from ``surrogateescape`` decoding) so RE2 can read the text, and read Windows
    (and old Mac) line endings as ``\n``: rules end their lines with ``\n``, and a script saved on Windows is
    the same script."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        notes.append("invalid Unicode replaced")
        return text.encode("utf-8", "replace").decode("utf-8")


def scoped(regex: str) -> str:
    """A rule's regex as one alternative of a union: a leading ``(?m)`` becomes ``(?m:...)``."""
    match = re.match(r"^\(\?([aiLmsux]+)\)", regex)
    return f"(?{match.group(1)}:{regex[match.end():]})" if match else f"(?:{regex})"


def _on_word_boundary(text: str, start: int, end: int, needle: str, word_chars: str = "") -> bool:
    """Is ``needle`` at text[start:end] a whole word (alphanumerics plus ``word_chars``)?"""
    if needle[:1].isalnum() and start > 0 and (text[start - 1].isalnum() or text[start - 1] in word_chars):
        return False
    if needle[-1:].isalnum() and end < len(text) and (text[end].isalnum() or text[end] in word_chars):
        return False
    return True


_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")  # of lower-cased text


def _starts_word(low: str, start: int, ascii_text: bool) -> bool:
    """Does a word begin at ``low[start]``, as RE2's ASCII ``\\b`` sees it?  In text that is not ASCII the answer
    is always yes: lower-casing can turn a non-word character into a word one (the Kelvin sign into "k")."""
    return start == 0 or not ascii_text or low[start - 1] not in _ASCII_WORD


_SINK_WORDS = re.compile(r"subprocess|popen|system|spawn|exec|\brun\(|call\(")


def _command_position(low: str, start: int, stop: int) -> bool:
    """Can a program name at ``low[start:stop]`` be a command?  Not as a method (``x.lt``), a Python or JS call
    (``lt(90)`` of turtle), or a quoted word that follows a comma or a word (``open(f, 'ab')``, ``"a" or "ab"``)
    in a text with no call that runs programs: a quoted program that is run starts its list or its string."""
    before = low[start - 1] if start else "\n"
    after = low[stop] if stop < len(low) else "\n"
    if before == "." or after == "(" and before not in "'\"":
        return False
    if before in "'\"" and after == before:
        index = start - 2
        while index >= 0 and low[index] in " \t":
            index -= 1
        if index >= 0 and (low[index] == "," or low[index].isalnum()) and not _SINK_WORDS.search(low):
            return False
    return True


def _normalize_repo(url: str) -> str:
    url = url.lower().strip()
    url = re.sub(r"^(git\+)?(https?|git|ssh)://", "", url)
    url = re.sub(r"^git@([^:]+):", r"\1/", url)
    url = re.sub(r"^[^@/]+@", "", url)
    return url[:-4] if url.endswith(".git") else url.rstrip("/")


def _host_of(url: str) -> str:
    text = re.sub(r"^[a-z0-9+.-]+://", "", url.strip().lower())
    text = re.sub(r"^git@", "", text)
    host = re.split(r"[/:?#]", text, maxsplit=1)[0]
    return host.rsplit("@", 1)[-1]
