"""Shell values worked out without running anything: the text a command substitution gives when it only
prints and decodes (``$(printf '\\141\\162...')``, ``$(echo ... | base64 -d | rev)``, ``$(echo ... | tr a-z n-za-m)``)
or names a program's path (``$(command -v socat)``, ``$(which ab)``), and a script's aliases.

:mod:`.commands` fills these in before it reads a line, as it fills in ``NAME=value`` variables, so that
``cp "$(command -v ab)" bench2`` copies ``ab`` and ``T=$(printf '\\150...'); bench2 "$T"`` names its target."""

from __future__ import annotations

import re
import shlex

from .. import shell

# an innermost $( ... ) (no parentheses inside) or a backtick command
SUBSTITUTION = re.compile(r"\$\(([^()]*)\)|`([^`]*)`")
ALIAS = re.compile(r"^\s*alias\s+([\w.-]+)=(.+)$")
# a function defined on one line: _d(){ printf '%s' "$1" | base64 -d; }, function r { rev <<<"$1"; }
FUNCTION = re.compile(r"^\s*(?:function\s+([A-Za-z_][\w-]*)\s*(?:\(\s*\))?|([A-Za-z_][\w-]*)\s*\(\s*\))\s*\{\s*(.+?);?\s*\}\s*$")
HERESTRING = re.compile(r"^\s*([^<|]+?)\s*<<<\s*(\"[^\"]*\"|'[^']*'|\S+)\s*(\|.*)?$")
ARGUMENT = re.compile(r"\$\{?([1-9@*])\}?")
MAX_VALUE = 4096  # longest text a substitution may give


def evaluate(command: str) -> str | None:
    """The text a command substitution's inside gives, when it only prints and decodes or names a program's
    path; None for anything that would have to run."""
    here = HERESTRING.match(command)
    if here is not None:  # base64 -d <<<"$1": the word is the pipeline's input
        command = f"printf '%s' {here.group(2)} | {here.group(1)} {here.group(3) or ''}"
    try:
        stages = shell.split_pipeline(shell.tokenize(command))
    except ValueError:
        return None
    if not stages or not stages[0]:
        return None
    first = stages[0]
    program = shell.program_name(first[0])
    if program in {"command", "which", "type"} and len(stages) == 1:
        names = [a for a in first[1:] if not a.startswith("-")]
        return names[-1] if len(names) == 1 and re.fullmatch(r"[\w.+-]+", names[0]) else None
    text = shell.printed_pipeline(stages)
    if text is None or len(text) > MAX_VALUE:
        return None
    return text.strip("\n")


def function(line: str) -> tuple[str, str] | None:
    """A shell function defined on one line: (its name, its body)."""
    match = FUNCTION.match(line)
    return (match.group(1) or match.group(2), match.group(3)) if match else None


def _called(command: str, functions: dict[str, str]) -> str | None:
    """``_d aHR0cHM6...`` where ``_d`` is a function of the script: its body with the arguments in place."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if not words or words[0] not in functions:
        return None
    args = words[1:]

    def argument(match: re.Match) -> str:
        which = match.group(1)
        if which in "@*":
            return " ".join(shlex.quote(a) for a in args)
        index = int(which) - 1
        return shlex.quote(args[index]) if index < len(args) else "''"
    body = functions[words[0]]
    return ARGUMENT.sub(argument, re.sub(r"\"(\$\{?[1-9@*]\}?)\"", r"\1", body))


def filled(line: str, functions: dict[str, str] | None = None) -> str:
    """``line`` with each ``$'...'`` quoting decoded and each substitution that :func:`evaluate` can read replaced
    by its text; a substitution that calls one of the script's one-line ``functions`` is read as its body."""
    line = shell.ansi_c(line)
    if "$(" not in line and "`" not in line:
        return line

    def one(match: re.Match) -> str:
        inner = match.group(1) if match.group(1) is not None else match.group(2)
        body = _called(inner, functions) if functions else None
        value = evaluate(body if body is not None else inner)
        if value is None or '"' in value:
            return match.group(0)
        # NAME=$(...) keeps the whole text, spaces and all: quoted, as the assignment reads it
        return f'"{value}"' if match.start() > 0 and line[match.start() - 1] == "=" else value
    return SUBSTITUTION.sub(one, line)


def alias(line: str) -> tuple[str, str] | None:
    """``alias grab='aria2c --enable-dht=true'``: (name, what it stands for); the value is one quoted word, as
    bash takes it."""
    match = ALIAS.match(line)
    if match is None:
        return None
    try:
        words = shlex.split(match.group(2))
    except ValueError:
        return None
    return (match.group(1), words[0]) if len(words) == 1 else None


def with_aliases(line: str, aliases: dict[str, str]) -> str:
    """A line whose first word is an alias, with the alias written out."""
    if not aliases:
        return line
    stripped = line.lstrip()
    word = stripped.split(None, 1)[0] if stripped else ""
    if word in aliases:
        return line[:len(line) - len(stripped)] + aliases[word] + stripped[len(word):]
    return line
