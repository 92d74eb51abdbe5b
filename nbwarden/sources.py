"""Reading notebooks and scripts from disk, tolerantly.

Real notebooks are often broken: truncated JSON, ``source`` as a string
instead of a list, nbformat 3 worksheets, cells without a type, odd
encodings.  Everything here either returns something checkable or raises
:class:`SourceError` with a message fit for a per-file error report; it
never lets a ``RecursionError`` or ``UnicodeError`` escape.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from .embedded import commands, kind_of_name

MAX_FILE_BYTES = 128 * 1024 * 1024
CODE_SUFFIXES = {".ipynb": "notebook", ".py": "python", ".pyw": "python", ".ipy": "python", ".sh": "shell",
                 ".bash": "shell", ".zsh": "shell", ".ksh": "shell", ".command": "shell",
                 ".bat": "shell", ".cmd": "shell"}  # a batch file is command lines too (call, start, set X=...)
# Programs in languages the analysis does not parse: checked as code at the text level (what a rule finds in
# them keeps its severity, as in a cell), not as data, which only ever records.  A Go or C flood tool is code.
OTHER_CODE_SUFFIXES = frozenset({".go", ".js", ".mjs", ".cjs", ".ts", ".c", ".h", ".cc", ".cpp", ".cxx", ".rs",
                                 ".rb", ".pl", ".pm", ".php", ".java", ".kt", ".cs", ".lua", ".ps1", ".vbs",
                                 ".swift", ".scala", ".r", ".jl", ".exp", ".tcl", ".nim", ".zig", ".cr",
                                 ".dart", ".ex", ".exs", ".hs", ".groovy"})
# A server's or a service manager's settings (haproxy.cfg, squid.conf, a systemd unit): what the server will do, read
# like the same text written by a cell (%%writefile haproxy.cfg), not as data that only records
CONFIG_SUFFIXES = frozenset({".cfg", ".conf", ".ini", ".service", ".socket"})
# Suffixes that claim nothing about the content, so the content decides: none at all (``run``,
# ``start``, ``entrypoint``, a notebook saved without ``.ipynb``) and ``.run`` (runner scripts,
# self-extracting installers).  Any other suffix (``.txt``, ``.json``, ``.csv``, ``.log``...) says
# "data" and is believed: sniffing every file would turn logs that quote a #! line into code.
SNIFFED_SUFFIXES = frozenset({"", ".run"})
HEAD_BYTES = 4096  # a shebang or a notebook's first key is always in here
TAIL_BYTES = 1024  # writers that sort keys put "nbformat" last, after the cells


class SourceError(ValueError):
    """A file that cannot be checked at all; the message says why."""


def decode(data: bytes) -> tuple[str, list[str]]:
    """Bytes to text: BOMs honoured, UTF-8 preferred, Latin-1 as the last resort."""
    notes: list[str] = []
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                          (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding), notes
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8"), notes
    except UnicodeDecodeError:
        notes.append("not valid UTF-8: decoded as Latin-1")
        return data.decode("latin-1"), notes


def looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if not sample:
        return False
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return False
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return control > len(sample) * 0.1


def _open_regular(path: Path):
    """A binary handle on a regular file.

    Opened non-blocking and checked after opening, so that a FIFO, a device
    or a socket found in a directory walk is refused instead of hanging the scan.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SourceError("cannot read: not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    try:
        with _open_regular(path) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                raise SourceError(f"file is {size} bytes, over the {limit}-byte limit")
            return handle.read(limit + 1)
    except SourceError:
        raise
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from exc
    except (ValueError, UnicodeError) as exc:  # a NUL byte or a lone surrogate in the name
        raise SourceError(f"cannot read: not a usable file name ({type(exc).__name__})") from exc


_PYTHON = re.compile(r"(?:python|pypy|ipython)[\d.]*")
_SHELL = re.compile(r"(?:sh|bash|dash|zsh|ksh|ksh93|mksh|ash|yash|posh|lksh|pdksh|csh|tcsh|fish)[\d.]*")
_NOTEBOOK_KEY = re.compile(rb'"(?:cells|worksheets|nbformat)"\s*:')


def shebang_kind(first_line: str) -> str | None:
    """'python' or 'shell' from a ``#!`` line, None for any other interpreter.

    ``env`` (with ``-S``, options and ``VAR=value``) and ``busybox`` are
    looked through: ``#!/usr/bin/env -S python3 -u`` is Python.
    """
    if not first_line.startswith("#!"):
        return None
    words = first_line[2:].split()
    while words and (words[0].rsplit("/", 1)[-1] in {"env", "busybox"} or words[0].startswith("-") or "=" in words[0]):
        words = words[1:]
    if not words:
        return None
    name = words[0].rsplit("/", 1)[-1]
    if _PYTHON.fullmatch(name) or (name == "uv" and "run" in words):  # PEP 723: #!/usr/bin/env -S uv run --script
        return "python"
    return "shell" if _SHELL.fullmatch(name) else None


def sniff(head: bytes, tail: bytes = b"") -> str | None:
    """'notebook', 'python' or 'shell' from a file's first (and last) bytes; None for anything else.

    A candidate only: :func:`units_of_file` confirms a notebook by parsing it.
    """
    if not head.strip() or looks_binary(head):
        return None
    text = decode(head)[0].lstrip("\ufeff")
    if text.startswith("#!"):
        return shebang_kind(text.split("\n", 1)[0])
    if text.startswith("#/") and (kind := shebang_kind("#!" + text[1:].split("\n", 1)[0])) is not None:
        return kind  # "#/bin/bash": a shebang with its "!" missing, which a user's loader or `bash file` still runs
    if text.lstrip().startswith("{"):
        encoded = text.encode("utf-8", "replace")
        if _NOTEBOOK_KEY.search(encoded) or _NOTEBOOK_KEY.search(tail):
            return "notebook"
    return "shell" if reads_as_commands(text) else None


# the first words of lines in a shell script that has no #! line (an extension-less `install` or `run`)
_COMMAND_WORDS = frozenset({
    "apt", "apt-get", "sudo", "wget", "curl", "echo", "cd", "mkdir", "chmod", "chown", "git", "pip", "pip3",
    "python", "python3", "export", "cp", "mv", "rm", "ln", "tar", "unzip", "systemctl", "service", "npm", "yarn",
    "docker", "nohup", "screen", "tmux", "dpkg", "yum", "dnf", "apk", "snap", "useradd", "usermod", "crontab",
    "tee", "sed", "awk", "printf", "conda", "ufw", "iptables", "add-apt-repository", "update-rc.d", "ssh-keygen",
    "openssl", "pkill", "ls", "[", "[[", "fi", "done", "esac"})


def reads_as_commands(text: str) -> bool:
    """A script without a ``#!`` line: most of its first lines start with a shell command word.  Prose (a
    LICENSE, a README without a suffix), Makefiles and configuration files do not."""
    lines = [line.strip() for line in text.split("\n")[:60]]
    lines = [line for line in lines if line and not line.startswith("#")][:40]
    if len(lines) < 2:
        return False
    starts = sum(1 for line in lines if line.split(None, 1)[0].split("=", 1)[0] in _COMMAND_WORDS
                 or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=\S", line))
    return starts >= 2 and starts >= 0.6 * len(lines)


def sniff_file(path: Path) -> str | None:
    """:func:`sniff` on a file, reading only its head and tail; None for what cannot or need not be read.

    Empty files, files over :data:`MAX_FILE_BYTES`, special files and
    unreadable ones are None: a directory walk skips them silently.
    """
    try:
        with _open_regular(path) as handle:
            size = os.fstat(handle.fileno()).st_size
            if not 0 < size <= MAX_FILE_BYTES:
                return None
            head = handle.read(HEAD_BYTES)
            tail = b""
            if size > HEAD_BYTES and head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
                handle.seek(max(HEAD_BYTES, size - TAIL_BYTES))
                tail = handle.read(TAIL_BYTES)
            return sniff(head, tail)
    except (OSError, ValueError, UnicodeError, SourceError):
        return None


def is_notebook(nb: Any) -> bool:
    """The shape of a notebook: an object with ``cells`` (or nbformat 3 ``worksheets``) and an
    ``nbformat`` number, or, without the number, a non-empty list of cell objects."""
    if not isinstance(nb, dict):
        return False
    if isinstance(nb.get("nbformat"), int) and ("cells" in nb or "worksheets" in nb):
        return True
    cells = nb.get("cells")
    if cells is None and isinstance(nb.get("worksheets"), list):
        cells = [c for ws in nb["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", []) or []]
    return isinstance(cells, list) and bool(cells) and all(
        isinstance(c, dict) and ("cell_type" in c or "source" in c or "input" in c) for c in cells)


def kind_of(suffix: str, data: bytes) -> tuple[str, str | None]:
    """A file's kind ('notebook', 'python', 'shell', 'text' for code in another language, or 'data') and,
    when its content decided, why.

    The suffix decides, with two refinements: a script's ``#!`` line
    chooses between shell and Python (a ``.py`` that starts ``#!/bin/sh``
    runs as shell), and a suffix in :data:`SNIFFED_SUFFIXES` is decided by
    the content alone.  A JSON file is a notebook only if it parses into a
    notebook's shape (or, broken, still has ``"cell_type"`` keys to salvage).
    """
    claimed = CODE_SUFFIXES.get(suffix)
    if claimed == "notebook":
        return claimed, None
    if claimed and data[:HEAD_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") and \
            sniff(data[:HEAD_BYTES], data[-TAIL_BYTES:]) == "notebook" and _notebook_shaped(data):
        return "notebook", "kind from content: notebook (JSON with cells) under a script's name"
    if claimed:
        first = data[:HEAD_BYTES].split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff")
        return shebang_kind(first) or claimed, None
    if suffix in OTHER_CODE_SUFFIXES or suffix in CONFIG_SUFFIXES:
        return "text", None
    if suffix not in SNIFFED_SUFFIXES:
        return "data", None
    kind = sniff(data[:HEAD_BYTES], data[-TAIL_BYTES:])
    if kind == "notebook":
        if not _notebook_shaped(data):
            return "data", None
        return kind, "kind from content: notebook (JSON with cells)"
    if kind:
        return kind, f"kind from content: {kind} (#! line)"
    return "data", None


def _notebook_shaped(data: bytes) -> bool:
    """Does JSON that names notebook keys parse into a notebook (or, broken, still hold cells to salvage)?"""
    try:
        return is_notebook(parse_notebook_text(decode(data)[0]))
    except SourceError:
        return b'"cell_type"' in data


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return ""


def cells_of(nb: Any) -> tuple[list[tuple[str, str]], list[str]]:
    """(cell_type, source) pairs from a parsed notebook of any nbformat version."""
    notes: list[str] = []
    if not isinstance(nb, dict):
        raise SourceError("not a notebook: the top level is not a JSON object")
    raw_cells = nb.get("cells")
    if raw_cells is None and isinstance(nb.get("worksheets"), list):  # nbformat 3
        notes.append("nbformat 3 notebook")
        raw_cells = [c for ws in nb["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", []) or []]
    if not isinstance(raw_cells, list):
        raise SourceError("not a notebook: no 'cells' list")
    cells: list[tuple[str, str]] = []
    for index, cell in enumerate(raw_cells):
        if not isinstance(cell, dict):
            notes.append(f"cell {index}: not an object, skipped")
            cells.append(("raw", ""))
            continue
        cell_type = cell.get("cell_type")
        if cell_type not in {"code", "markdown", "raw", "heading"}:
            notes.append(f"cell {index}: unknown cell_type {cell_type!r}, treated as code")
            cell_type = "code"
        source = _text(cell.get("source", cell.get("input", "")))
        cells.append(("code" if cell_type == "code" else "markdown", source))
    return cells, notes


# kernels whose cells are shell commands (bash_kernel and the like run `xmrig -o …` with no `!` in front)
SHELL_LANGUAGES = frozenset({"bash", "sh", "zsh", "ksh", "dash", "shell"})


def code_kind(language: str | None) -> str:
    """How a code cell is read for a kernel of this language: ``shell`` for a shell kernel, else ``cell``
    (IPython, whose ``!`` lines are shell).  The gate and the notebook reader both decide here."""
    return "shell" if isinstance(language, str) and language.strip().lower() in SHELL_LANGUAGES else "cell"


def foreign_language(language: str | None) -> bool:
    """A kernel that is neither IPython nor a shell (R, Julia, …): its cells are read as IPython all the same,
    and the shell commands they hand over (:func:`foreign_commands`) are read as shell."""
    name = (language or "").strip().lower()
    return bool(name) and code_kind(name) == "cell" and not name.startswith(("python", "ipython"))


# a call that hands the shell a string, named just before its "(" (the search runs up to the bracket)
# (R system/system2/pipe, Julia run/pipeline/read, C++ system/popen, Java exec and ProcessBuilder, Node
# exec/execSync/spawn, PHP shell_exec/passthru/proc_open, Go exec.Command, .NET Process.Start)
_SHELL_CALL = re.compile(r"\b(system2?|shell|pipe|run|pipeline|popen|read|exec|execSync|execFile|execFileSync|spawn|"
                         r"spawnSync|shell_exec|passthru|proc_open|Command|CommandContext|ProcessBuilder|Start)\s*\Z")
_LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'|`([^`\n]*)`')
# a name given a literal (PHP's and Perl's $x = '...', R's x <- "...", JavaScript's const x = `...`, Go's x := "..."),
# or given another such name made safe for the shell ($c = escapeshellcmd($line))
_ASSIGNED = re.compile(r"""(?:^|[\s;{(])(?:const\s+|let\s+|var\s+|my\s+)?[$@]?([A-Za-z_]\w{0,59})\s*(?::?=|<-)\s*"""
                       r"""(?:escapeshellcmd\s*\(\s*[$@]?([A-Za-z_]\w{0,59})\s*\)|(?=['"`]))""")
_INTERPOLATED = re.compile(r"\{?\$([A-Za-z_]\w{0,59})\}?")
_NAME = re.compile(r"[$@]?([A-Za-z_]\w{0,59})(?!\w)(?!\s*\()")  # a name that is not called


def _assigned_literals(code: str) -> dict[str, str]:
    """Names the code gives one literal (or one such name, quoted again), with that literal's text; a name given
    two values has none."""
    values: dict[str, str | None] = {}
    for match in _ASSIGNED.finditer(code):
        name, alias = match.group(1), match.group(2)
        literal = None if alias else _LITERAL.match(code, match.end())
        value = values.get(alias) if alias else next(g for g in literal.groups() if g is not None) if literal else None
        values[name] = value if name not in values else None
    return {name: value for name, value in values.items() if value}


def foreign_commands(code: str, limit: int = 200) -> str:
    """The commands a cell of another language hands to the shell, one a line: the string literals inside each
    ``system("…")``, ``system2("prog", c("-a", "b"))`` (R), ``run(`…`)`` (Julia), ``exec``/``spawn`` (Node, Java,
    PHP), ``exec.Command`` (Go) call, joined by spaces; a name inside the call that the code gives one literal
    (``$cmd = '…'; exec($cmd)``) stands for that literal.  One pass over the text with a stack of open brackets,
    so no cell can make it slow."""
    lines: list[str] = []
    stack: list[list[str] | None] = []  # per open bracket: the words of a shell call, or None for any other
    assigned = _assigned_literals(code) if "=" in code or "<-" in code else {}
    i, end = 0, len(code)
    while i < end and len(lines) < limit:
        ch = code[i]
        if ch in "\"'`":
            literal = _LITERAL.match(code, i)
            if literal is None:
                i += 1
                continue
            frame = next((f for f in reversed(stack) if f is not None), None)
            if frame is not None:
                text = next(g for g in literal.groups() if g is not None)
                if assigned and "$" in text:  # "$env prog $x": PHP's, Perl's and Julia's names filled in
                    text = _INTERPOLATED.sub(lambda m: assigned.get(m.group(1)) or m.group(0), text)
                frame.append(text)
            i = literal.end()
            continue
        if assigned and (ch.isalpha() or ch in "_$@") and any(f is not None for f in stack) and \
                not (code[i - 1:i].isalnum() or code[i - 1:i] in "_$@.") and (name := _NAME.match(code, i)):
            if name.group(1) in assigned:
                next(f for f in reversed(stack) if f is not None).append(assigned[name.group(1)])
            i = name.end()
            continue
        if ch == "(":
            stack.append([] if _SHELL_CALL.search(code, max(0, i - 24), i) else None)
        elif ch == ")" and stack:
            frame = stack.pop()
            if frame:
                lines.append(" ".join(frame))
        i += 1
    lines += [" ".join(frame) for frame in stack if frame]  # a call left open at the end of the cell
    return "\n".join(lines[:limit])


def cell_readings(code: str, language: str | None) -> list[tuple[str, str]]:
    """How one code cell of a kernel in this language is checked, as (text, kind) pairs: the cell itself (as shell
    for a shell kernel, else as IPython), then, for other languages, the commands it hands the shell.  The gate and
    the notebook reader both read cells here."""
    readings = [(code, code_kind(language))]
    if foreign_language(language) and (commands := foreign_commands(code)):
        readings.append((commands, "shell"))  # R's system("…"), Julia's run(`…`): what they hand the shell
    return readings


def kernel_language(nb: Any) -> str | None:
    """The language a notebook's metadata names for its kernel (kernelspec, then language_info), if any."""
    meta = nb.get("metadata") if isinstance(nb, dict) else None
    if not isinstance(meta, dict):
        return None
    for key, field in (("kernelspec", "language"), ("language_info", "name"), ("kernelspec", "name")):
        value = meta.get(key)
        if isinstance(value, dict) and isinstance(value.get(field), str) and value[field].strip():
            return value[field]
    return None


def parse_notebook_text(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise SourceError("notebook JSON is nested too deeply") from exc
    except json.JSONDecodeError as exc:
        raise SourceError(f"invalid notebook JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc


Unit = tuple[str, str, "int | None"]  # (source, kind, cell index)


def _units(cells: list[tuple[str, str]], nb: Any) -> list[Unit]:
    language = kernel_language(nb)
    units: list[Unit] = []
    for i, (ctype, src) in enumerate(cells):
        if src and ctype == "code":
            units += [(text, kind, i) for text, kind in cell_readings(src, language)]
        elif src:
            units.append((src, "markdown", i))
    return units


def notebook_units(data: bytes) -> tuple[list[Unit], list[str], str | None]:
    """What to check in a notebook's bytes: units, notes, and a problem (None for a proper notebook).

    Never raises.  A notebook that is not valid JSON is still checked: cell
    sources are salvaged where possible, else its raw text gets the
    text-level checks, so a broken file can neither crash a check nor hide a
    miner.
    """
    if not data.strip():
        return [], [], "empty file, not a notebook"
    if looks_binary(data):
        return [], [], "binary data, not a notebook"
    text, notes = decode(data)
    try:
        nb = parse_notebook_text(text)
        cells, more = cells_of(nb)
    except SourceError as exc:
        salvaged = salvage_sources(text)
        if any(salvaged):
            units = [(src, "cell", i) for i, src in enumerate(salvaged) if src]
            return units, notes + [f"{len(units)} cell sources salvaged; text-level checks otherwise"], str(exc)
        if not text.lstrip("\ufeff \t\r\n").startswith(("{", "[")):
            # not JSON at all: a notebook exported or saved as its code (cells pasted one after another)
            return [(text, "cell", None)], notes + ["not notebook JSON: read as the code of one cell"], str(exc)
        return [(text, "text", None)], notes + ["text-level checks only"], str(exc)
    return _units(cells, nb), notes + more, None


def _is_path(value: str) -> bool:
    """Is this string a file name rather than notebook JSON?"""
    return not value.lstrip("\ufeff \t\r\n").startswith(("{", "[")) and len(value) < 4096 \
        and "\n" not in value and "\x00" not in value


def read_notebook(notebook: str | Path | dict | bytes) -> tuple[list[Unit], list[str], str | None]:
    """Units of a notebook given as a path, JSON text, bytes or a parsed dict (see :func:`notebook_units`).

    Raises :class:`SourceError` only for a path that cannot be read.
    """
    if isinstance(notebook, dict):
        try:
            cells, notes = cells_of(notebook)
        except SourceError as exc:
            return [], [], str(exc)
        return _units(cells, notebook), notes, None
    if isinstance(notebook, Path) or (isinstance(notebook, str) and _is_path(notebook)):
        return notebook_units(read_bytes(Path(notebook)))
    if isinstance(notebook, str):
        return notebook_units(notebook.encode("utf-8", "surrogatepass"))
    return notebook_units(bytes(notebook))


def units_of_file(path: Path) -> tuple[list[Unit], list[str], str | None]:
    """What to check in a file: (source, kind, cell) triples, notes, and a problem.

    The problem (why a notebook is not a proper one) is returned so that the
    report can show it and ``--strict`` can fail on it.
    """
    data = read_bytes(path)
    kind, why = kind_of(path.suffix.lower(), data)
    if kind == "notebook":
        units, notes, problem = notebook_units(data)
        if not units and problem:
            raise SourceError(problem)
        return units, ([why] if why else []) + notes, problem
    if kind != "data" and looks_binary(data):
        raise SourceError("binary data, not source code")
    text, notes = decode(data)
    if why:
        notes.insert(0, why)
    if kind in ("text", "data"):
        embedded = kind_of_name(path, text)
        # a Dockerfile, a pipeline or a compose file runs what it says: its settings (a proxy's listen address in
        # a service's environment) are code, not data that only ever records
        units: list[Unit] = [(text, "text" if embedded else kind, None)]
        shell = commands(embedded, text) if embedded and not looks_binary(data) else ""
        if shell:  # a Dockerfile's RUN lines, a pipeline's steps: also checked as the shell they are
            units.append((shell, "shell", None))
            notes.append(f"{embedded}: its commands checked as shell")
        if kind == "text" and path.suffix.lower() in OTHER_CODE_SUFFIXES and (handed := foreign_commands(text)):
            units.append((handed, "shell", None))  # PHP's exec("…"), Go's exec.Command("…"): what they run
            notes.append("the commands its calls hand the shell checked as shell")
        return units, notes, None
    return [(text, "cell" if kind == "python" else kind, None)], notes, None


_SOURCE_KEY = re.compile(r'"(?:source|input)"\s*:\s*')
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_GAP = re.compile(r"[\s,]*")
_NEXT = re.compile(r'[\s,]*(?:"|\]|$)')
MAX_SALVAGE_LINE = 1 << 16
_LINE = re.compile(r'"(.*)",?[ \t]*\r?$', re.MULTILINE)  # one list item per line, as nbformat writes them


def _unescape(body: str) -> str:
    try:
        return json.loads(f'"{body}"')
    except (json.JSONDecodeError, RecursionError):
        return body.replace("\\n", "\n").replace('\\"', '"')


def salvage_sources(text: str) -> list[str]:
    """Cell sources from a notebook whose JSON is broken (truncated, bad commas, unescaped quotes).

    The ``"source"`` strings are read one by one; a string cut off at the end
    of the file is kept up to the cut.  Returns [] when nothing looks like a
    notebook cell.
    """
    sources: list[str] = []
    for key in _SOURCE_KEY.finditer(text):
        pos = key.end()
        parts: list[str] = []
        in_list = text.startswith("[", pos)
        if in_list:
            pos += 1
        while pos < len(text):
            pos = _GAP.match(text, pos).end()
            match = _STRING.match(text, pos)
            if match and in_list and not _NEXT.match(text, match.end()):
                # a quote left unescaped by hand-editing ends the string early: take the whole line instead
                # (only a line of ordinary length: a minified notebook is one line, read string by string)
                eol = text.find("\n", pos)
                eol = len(text) if eol < 0 else eol
                if eol - pos <= MAX_SALVAGE_LINE:
                    match = _LINE.match(text, pos, eol) or match
            if match:
                parts.append(_unescape(match.group(1) if match.re is _LINE else match.group(0)[1:-1]))
                pos = match.end()
                if not in_list:
                    break
                continue
            if text.startswith('"', pos):  # cut off mid-string
                parts.append(_unescape(text[pos + 1 :]))
            break
        sources.append("".join(parts))
    return sources
