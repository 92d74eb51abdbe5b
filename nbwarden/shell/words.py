"""Shell words: a command line cut into words (quotes, escapes, Windows paths and odd input handled), the
words that join or redirect commands, and the name of the program a word names."""

from __future__ import annotations

import posixpath
import re
import shlex
from functools import lru_cache

OPERATORS = {";", "&&", "||", "|", "&", "|&", "(", ")", ";;", "\n"}
REDIRECTS = {">", ">>", "<", "<<", "<<<", "&>", "&>>", ">&", "<&", "2>", "2>>", "1>"}

# Reserved words that open or continue a compound command: the words after them are the command that runs
# (``if ! wget …; then ./run; fi``, ``while true; do hping3 …; done``, ``{ xmrig; }``).
SHELL_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{"})
# Words that close a compound command or only declare something: nothing in that simple command runs
# (``for x in a b``, ``case $x in``, ``function f``, ``f()``, ``done``, ``fi``).
# (with a Windows batch file's comment lines, REM and ::, which run nothing either)
SHELL_CLAUSES = frozenset({"fi", "done", "esac", "}", "for", "select", "case", "function", "in", "rem", "REM", "Rem",
                           "::"})

SHELLS = {"sh", "bash", "dash", "zsh", "ksh", "ash", "busybox"}
PYTHONS = re.compile(r"^(python|python\d(\.\d+)?|pypy\d?|ipython\d?)$")

@lru_cache(maxsize=8192)
def program_name(word: str) -> str:
    """``/usr/local/bin/XMRig.exe`` -> ``xmrig`` (memoised: called for every word that may be a program)."""
    name = posixpath.basename(word.strip().rstrip("/")).lower()
    if name.endswith(".exe"):
        name = name[:-4]
    return name



MAX_SHLEX = 16 * 1024  # shlex grows each word a character at a time: quadratic in the longest word


# A Windows command line (batch files, PowerShell): its backslashes separate directories, where a POSIX shell
# would read them as escapes and run the names together (%USERPROFILE%\env\python.exe -> %USERPROFILE%envpython.exe)
_WINDOWS_LINE = re.compile(r"%\w+%\\|\b[A-Za-z]:\\|\\[\w.-]+\.(exe|bat|cmd|ps1)\b", re.I)
_PATH_BACKSLASH = re.compile(r"(?<=[\w%:.])\\(?=[\w%.])")
# a file descriptor's number in front of a redirection (2>&1, 2>/dev/null, 1>>log): shlex would make the digit a
# word of its own, an argument of the command. Only the forms that cannot be code (python -c "x = 3>2" stays)
_FD_REDIRECT = re.compile(r"(?<=\s)[0-9](?=>&[0-9-]|>>?\s*/dev/null\b)")


_ANSI_C = re.compile(r"\$'((?:[^'\\]|\\.)*)'", re.S)
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|0?[0-7]{1,3}|c.|.)", re.S)
_NAMED_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f",
                  "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}


def unescape(text: str) -> str:
    """The shell's backslash escapes decoded, as ``$'...'``, ``printf`` and ``echo -e`` read them: ``\x78``,
    ``\170`` and ``\0170``, ``\u0078``, ``\n``, ``\\cA``; an unknown escape stays as written."""
    def one(match: re.Match) -> str:
        code = match.group(1)
        if code[0] in "xuU" and len(code) > 1:
            value = int(code[1:], 16)
            return chr(value) if value <= 0x10FFFF else ""
        if code[0].isdigit():
            return chr(int(code, 8) & 0xFF)
        if code[0] == "c" and len(code) == 2:
            return chr(ord(code[1].upper()) & 0x1F)
        return _NAMED_ESCAPES.get(code, "\\" + code)
    return _ESCAPE.sub(one, text)


def ansi_c(text: str) -> str:
    """Each ``$'\x78mrig'`` written as the single-quoted word it stands for (``'xmrig'``)."""
    if "$'" not in text:
        return text
    return _ANSI_C.sub(lambda m: "'" + unescape(m.group(1)).replace("'", "'\"'\"'") + "'", text)


def tokenize(line: str) -> list[str]:
    """Split a command line into words and operators; never raises, and stays linear in the line."""
    text = ansi_c(line.replace("\\\n", " "))
    if "\\" in text and _WINDOWS_LINE.search(text):
        text = _PATH_BACKSLASH.sub("/", text)
    if ">" in text:
        text = _FD_REDIRECT.sub("", text)
    if len(text) > MAX_SHLEX:  # a giant line: a plain split keeps programs and arguments apart all the same
        return _plain_split(text)
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    tokens: list[str] = []
    try:
        for token in lexer:
            tokens.append(token)
            if len(tokens) > 20000:
                break
    except ValueError:  # unbalanced quotes: fall back to a plain split
        tokens = _plain_split(text)
    return tokens


def _plain_split(text: str) -> list[str]:
    return text.replace(";", " ; ").replace("&&", " && ").replace("|", " | ").split()[:20001]


def split_pipeline(tokens: list[str]) -> list[list[str]]:
    """Cut tokens into simple commands and drop redirection targets."""
    commands: list[list[str]] = []
    current: list[str] = []
    skip_next = False
    for token in tokens:
        if skip_next:
            skip_next = False
            continue
        if token in OPERATORS or set(token) <= set(";&|()") and token:
            if current:
                commands.append(current)
            current = []
            continue
        if token in REDIRECTS or (token and token[-1] in "<>" and set(token) <= set("0123456789<>&")):
            skip_next = True
            continue
        current.append(token)
    if current:
        commands.append(current)
    return commands
