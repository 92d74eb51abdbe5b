"""String literals of programs in other languages (JavaScript, Ruby, PHP, Perl, Go, PowerShell, C...), read for
what they hold.

nbwarden parses Python and the shell; a script in another language is read as text, so a tool name or a pool
address kept there in base64 or hex (``Base64.decode64('bWluZXJk')``, ``atob(...)``, ``hex2bin(...)``), or cut
into pieces joined with ``+`` or ``.`` (``'xm' + 'rig'``), was never seen.  This reading finds the quoted
literals of such a text, decodes each on its looks (:func:`.literals.on_its_looks`) and glues literals joined by an
operator, and records what comes out as ``text`` facts in the ``code`` context (read, never run), with a shell
reading where the text looks like a command line.  Short literals (8 to 15 characters) are tried only in a text
that names a decoder, as a program that hides its words must."""

from __future__ import annotations

import base64
import binascii
import re

from .commands import add_shell
from .decoders import printable
from .facts import CODE, Analysis, Fact, clip
from .literals import URL_RE, on_its_looks

# a quoted literal on one line: '...', "..." or `...`, with backslash escapes inside
LITERAL = re.compile(r"""'((?:[^'\\\n]|\\.){1,4096})'|"((?:[^"\\\n]|\\.){1,4096})"|`([^`\n]{1,4096})`""")
# what may stand between two literals glued into one (+ in JavaScript, Go, Java, C#, PowerShell, Ruby; . and .. in
# PHP, Perl, Lua; nothing in C), and between the items of an array of literals
GLUE = re.compile(r"\s*(?:\+|\.\.?)?\s*")
COMMA = re.compile(r"\s*,\s*")
# after an array's last item: its join (['mag', 'net'].join('') in JavaScript and Ruby, (...) -join '' in
# PowerShell), with the separator as the first group when one is given
JOIN_AFTER = re.compile(r"""\s*[\])]\s*(?:\.join\b\s*(?:\(\s*(?:'([^'\n]{0,4})'|"([^"\n]{0,4})")?\s*\))?|-join\b\s*(?:'([^'\n]{0,4})'|"([^"\n]{0,4})")?)""")
WORDS_JOIN = re.compile(r"""%w[\[(]([^\])\n]{1,400})[\])]\.join\b(?:\(\s*['"]([^'"\n]{0,4})['"]\s*\))?""")  # Ruby
# what names a decoder in these languages: a text that hides words this way says so
DECODERS = re.compile(r"decode64|atob\s*\(|frombase64string|base64_decode|stdencoding|decodestring|base64::decode|"
                      r"buffer\.from\s*\(|hex2bin|hex\.decodestring|unpack\s*\(\s*['\"][mh]|\[convert\]::|"
                      r"b64decode|base64\.b64|decodebase64|from_base64|base64::|strrev|str_rot13|\.reverse\b",
                      re.IGNORECASE)
# a text worth reading this way: it names a decoder, joins an array of literals, or glues literals with an operator
HIDES_WORDS = re.compile(DECODERS.pattern + r"""|\.join\b|-join\b|%w[\[(]|['"]\s*(?:\+|\.\.?)\s*['"]""", re.IGNORECASE)
SHORT_B64 = re.compile(r"^[A-Za-z0-9+/]{8,15}={0,2}$")
MAX_LITERALS = 2000  # literals read in one text (a data file of strings is not a program)


def read_foreign_literals(analysis: Analysis, source: str) -> None:
    """Add what the text's literals decode to, and what joined literals spell, as ``text`` facts."""
    names_decoder = DECODERS.search(source) is not None
    lines = source.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    seen: set[str] = set()

    def record(text: str, offset: int, method: str) -> None:
        if text in seen or len(text.strip()) < 4:
            return
        seen.add(text)
        line = _line_of(starts, offset)
        shown = f"{clip(lines[line - 1].strip(), 100)}  ⇒  {clip(text, 120)}"
        analysis.facts.append(Fact("text", text, CODE, line, shown, method))
        for url in URL_RE.findall(text):
            analysis.facts.append(Fact("url", url, CODE, line, shown, method))
        if " " in text.strip() and ("/" in text or " -" in text) and len(text) < 4096:  # a command line: read, not run
            add_shell(analysis, text, line, method, CODE)

    literals: list[tuple[int, int, str]] = []  # (start, end, value) of each quoted literal, in order
    for match in LITERAL.finditer(source):
        if len(literals) >= MAX_LITERALS:
            break
        value = next(group for group in match.groups() if group is not None)
        literals.append((match.start(), match.end(), value))
        if " " in value.strip():
            continue
        decoded, method = on_its_looks(value) if len(value) >= 16 else (None, "")
        if decoded is None and names_decoder and SHORT_B64.match(value):
            decoded, method = _short_base64(value), "base64"
        if decoded:
            record(decoded, match.start(), method)
    for text, offset, how in _glued(source, literals):
        record(text, offset, how)


def _glued(source: str, literals: list[tuple[int, int, str]]) -> list[tuple[str, int, str]]:
    """Runs of literals glued by an operator into one text, and arrays of literals joined: (text, offset, how)."""
    found: list[tuple[str, int, str]] = []
    i = 0
    while i < len(literals):
        j = i
        while j + 1 < len(literals) and GLUE.fullmatch(source, literals[j][1], literals[j + 1][0]):
            j += 1
        if j > i:
            found.append(("".join(value for _, _, value in literals[i:j + 1]), literals[i][0], "concat"))
            i = j + 1
            continue
        j = i
        while j + 1 < len(literals) and COMMA.fullmatch(source, literals[j][1], literals[j + 1][0]):
            j += 1
        joined = JOIN_AFTER.match(source, literals[j][1]) if j > i else None
        if joined is not None:
            separator = next((g for g in joined.groups() if g is not None), "")
            found.append((separator.join(value for _, _, value in literals[i:j + 1]), literals[i][0], "join"))
        i = j + 1
    for match in WORDS_JOIN.finditer(source) if "%w" in source else ():
        found.append(((match.group(2) or "").join(match.group(1).split()), match.start(), "join"))
    return found


def _short_base64(value: str) -> str | None:
    """A short base64 word (``bWluZXJk``) as the text it spells, when it spells text."""
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    text = printable(raw)
    return text if text and len(text) >= 4 and re.fullmatch(r"[\w.:/+@=-]+", text) else None


def _line_of(starts: list[int], offset: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high:  # the last line start at or before the offset
        middle = (low + high + 1) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle - 1
    return low + 1
