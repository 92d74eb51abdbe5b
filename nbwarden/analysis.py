"""Code analysis: what a cell, script or command line would actually do.

The engine matches rules against *facts*.  A fact is one thing the code does
(runs a command, imports a module, installs a package, clones a repository,
downloads a file, mentions a URL) or one piece of text it contains, tagged
with the context it appears in:

* ``exec``  - it runs: a shell command, an import, an argument of
  ``subprocess.run``, code handed to ``exec``;
* ``code``  - it is part of the program but does not obviously run: a string
  constant, an identifier;
* ``inert`` - it never runs: a comment, a markdown cell, a printed message,
  a docstring, data.

IPython syntax (``!cmd``, ``%pip``, ``%%bash``, ``get_ipython().system``) is
turned into shell facts, and simple obfuscation (concatenation, ``join``,
``chr`` lists, reversed strings, base64/hex/rot13 decoding, f-strings of
constants) is folded back into plain strings before matching.  Nothing here
raises on bad input: code that does not parse still yields its shell lines
and text, and a note says why.
"""

from __future__ import annotations

import ast
import base64
import binascii
import bisect
import codecs
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

from . import behaviour, shell

EXEC, CODE, INERT = "exec", "code", "inert"
CONTEXT_RANK = {INERT: 0, CODE: 1, EXEC: 2}

MAX_DEEP_BYTES = 512 * 1024  # larger cells get the text-level checks only
MAX_FOLD = 1 << 20  # longest string the folder will build
MAX_DEPTH = 3  # exec(decode(exec(decode(...)))) nesting we follow

PRINT_LIKE = {"print", "display", "Markdown", "HTML", "Latex", "warn", "info", "debug", "warning",
              "error", "critical", "exception", "log", "echo", "secho", "write_stdout"}
SHELL_CALLS = {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
               "commands.getoutput", "commands.getstatusoutput", "asyncio.create_subprocess_shell",
               "get_ipython.system", "get_ipython.getoutput", "get_ipython.system_raw",
               "get_ipython.system_piped", "IPython.get_ipython.system"}
ARGV_CALLS = {"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
              "subprocess.Popen", "asyncio.create_subprocess_exec", "pty.spawn", "os.posix_spawn",
              "os.posix_spawnp", "sh.Command", "pexpect.spawn", "pexpect.run"}
EXEC_CALLS = {"exec", "eval", "compile", "builtins.exec", "builtins.eval", "execfile"}
IMPORT_CALLS = {"__import__", "importlib.import_module", "importlib.__import__"}
# Calls that download something: name -> (url arg, url keyword, file arg, file keyword)
DOWNLOAD_CALLS: dict[str, tuple[int, str, int, str]] = {
    "urllib.request.urlretrieve": (0, "url", 1, "filename"),
    "urllib.urlretrieve": (0, "url", 1, "filename"),
    "wget.download": (0, "url", 1, "out"),
    "gdown.download": (0, "url", 1, "output"),
    "gdown.cached_download": (0, "url", 1, "path"),
    "torch.hub.download_url_to_file": (0, "url", 1, "dst"),
    "torch.hub.load_state_dict_from_url": (0, "url", -1, "file_name"),
    "load_file_from_url": (0, "url", 2, "file_name"),
    "basicsr.utils.download_util.load_file_from_url": (0, "url", 2, "file_name"),
    "torchvision.datasets.utils.download_url": (0, "url", 2, "filename"),
    "tf.keras.utils.get_file": (1, "origin", 0, "fname"),
    "keras.utils.get_file": (1, "origin", 0, "fname"),
    "requests.get": (0, "url", -1, ""),
    "requests.post": (0, "url", -1, ""),
    "httpx.get": (0, "url", -1, ""),
    "urllib.request.urlopen": (0, "url", -1, ""),
    "urlopen": (0, "url", -1, ""),
    "hf_hub_download": (0, "repo_id", 1, "filename"),
    "huggingface_hub.hf_hub_download": (0, "repo_id", 1, "filename"),
    "snapshot_download": (0, "repo_id", -1, ""),
    "huggingface_hub.snapshot_download": (0, "repo_id", -1, ""),
}
URL_RE = shell.URL_RE
B64_RE = re.compile(r"^[A-Za-z0-9+/_\-\s]{16,}={0,2}$")
HEX_RE = re.compile(r"^(?:[0-9a-fA-F]{2}){8,}$")


@dataclass(slots=True)
class Fact:
    """One observation about the code, with where it was seen."""

    kind: str  # command | import | pip | apt | git | download | url | text
    value: Any  # argv tuple for commands, (url, filename) for downloads, str otherwise
    context: str  # exec | code | inert
    line: int  # 1-based, within the unit analysed
    evidence: str  # what a person should be shown
    via: str = ""  # how it was reached: "base64", "bash -c", "exec", ...


@dataclass(slots=True)
class Analysis:
    """Everything the engine needs to know about one unit of code."""

    source: str
    kind: str
    facts: list[Fact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    parsed: bool = False
    # per-line context information for locating raw text matches
    shell_lines: dict[int, str] = field(default_factory=dict)  # line -> EXEC or INERT (whole line)
    spans: dict[int, list[tuple[int, int, str]]] = field(default_factory=dict)  # line -> (start, end, ctx)
    files_run: list[tuple[str, int]] = field(default_factory=list)  # %run X, bash X.sh: (path, line)

    lines: list[str] = field(default_factory=list)

    def context_at(self, line: int, col: int) -> str:
        """Context of raw text at ``line`` (1-based) and ``col`` (0-based characters)."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if line in self.shell_lines:
            if self.shell_lines[line] == INERT:
                return INERT
            return INERT if _comment_start(text, [], shell=True) <= col else EXEC
        spans = self.spans.get(line, [])
        for start, end, ctx in spans:
            if start <= col < end:
                return ctx
        if self.kind == "data" or _comment_start(text, spans) <= col:
            return INERT
        return CODE


def _comment_start(text: str, spans: list[tuple[int, int, str]], shell: bool = False) -> int:
    """Column where a ``#`` comment starts on the line, or a huge number."""
    pos = text.find("#")
    while pos != -1:
        if spans:
            if not any(start <= pos < end for start, end, _ in spans):
                return pos
        elif (prefix := text[:pos]).count("'") % 2 == 0 and prefix.count('"') % 2 == 0:
            if not shell or pos == 0 or text[pos - 1] in " \t;|&(":
                return pos
        pos = text.find("#", pos + 1)
    return 1 << 30


# ---------------------------------------------------------------------------
# IPython syntax


CELL_MAGIC_SHELL = {"bash", "sh", "system", "!", "script"}
CELL_MAGIC_PYTHON = {"python", "python3", "capture", "time", "timeit", "prun", "debug", "pypy"}
CELL_MAGIC_INERT = {"html", "javascript", "js", "markdown", "latex", "svg", "md"}
LINE_MAGIC_SHELL = {"sx", "system", "sc"}
MAGIC_LINE = re.compile(r"^[ \t]*[!%]|=[ \t]*(?:!|%sx|%system)", re.M)
ASSIGN_SHELL = re.compile(r"^(\s*)([\w., ]+?)\s*=\s*(!|%sx\b|%system\b)\s*(.*)$")


def split_ipython(source: str, analysis: Analysis, env_text: list[tuple[str, int, str]]) -> str:
    """Replace IPython-only lines by Python placeholders, recording shell facts.

    Returns Python source with the same number of lines.  Shell lines are
    queued in ``env_text`` as (text, line, via) so that ``{var}`` and ``$var``
    can be filled in once the Python constants are known.
    """
    lines = source.split("\n")
    first = next((i for i, text in enumerate(lines) if text.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        header = lines[first].strip()[2:]
        name, _, args = header.partition(" ")
        name = name.strip()
        body_start = first + 1
        body = "\n".join(lines[body_start:])
        if name in CELL_MAGIC_SHELL and (name != "script" or args.split()[:1] and shell.program_name(args.split()[0]) in shell.SHELLS):
            for i in range(body_start, len(lines)):
                analysis.shell_lines[i + 1] = EXEC
            env_text.append((body, body_start + 1, f"%%{name}"))
            return "\n" * (len(lines) - 1)
        if name == "writefile":
            path = args.split()[-1] if args.split() else ""
            analysis.shell_lines[first + 1] = EXEC
            _writefile(analysis, path, body, body_start + 1)
            return "\n" * (len(lines) - 1)
        if name in CELL_MAGIC_INERT:
            for i in range(first, len(lines)):
                analysis.shell_lines[i + 1] = INERT
            return "\n" * (len(lines) - 1)
        if name not in CELL_MAGIC_PYTHON:
            # an unknown cell magic: keep its text as code for literal checks
            for i in range(first, len(lines)):
                analysis.shell_lines[i + 1] = EXEC
            return "\n" * (len(lines) - 1)
        lines[first] = ""
        if args.strip():
            lines[first] = args  # %%time x = 1 -> runs `x = 1`
    if not MAGIC_LINE.search(source):
        return "\n".join(lines)  # plain Python: nothing to rewrite
    out: list[str] = []
    i = 0
    in_string = None  # the open triple quote: IPython does not rewrite lines inside a string
    while i < len(lines):
        text = lines[i]
        stripped = text.lstrip()
        indent = text[: len(text) - len(stripped)]
        lineno = i + 1
        if in_string:
            out.append(text)
            in_string = _open_triple(text, in_string)
            i += 1
            continue
        if stripped.startswith(("!", "%")) and not stripped.startswith(("%%", "!=")):
            # join continuation lines of a shell escape
            command = stripped
            extra = 0
            while command.endswith("\\") and i + extra + 1 < len(lines):
                extra += 1
                command = command[:-1] + " " + lines[i + extra].strip()
            _line_magic(analysis, command, lineno, env_text)
            for k in range(extra + 1):
                analysis.shell_lines[lineno + k] = EXEC
            out.append(indent + "pass")
            out.extend([""] * extra)
            i += extra + 1
            continue
        match = ASSIGN_SHELL.match(text) if ("!" in text or "%s" in text) and "=" in text else None
        if match and not stripped.startswith("#"):
            command = ("!" if match.group(3) == "!" else "%sx ") + match.group(4)
            _line_magic(analysis, command, lineno, env_text)
            analysis.shell_lines[lineno] = EXEC
            out.append(f"{match.group(1)}{match.group(2)} = None")
            i += 1
            continue
        out.append(text)
        if "\"\"\"" in text or "'''" in text:
            in_string = _open_triple(text, None)
        i += 1
    return "\n".join(out)


_TRIPLE = re.compile(r"\"\"\"|'''|#")


def _open_triple(text: str, state: str | None) -> str | None:
    """The triple quote still open at the end of ``text`` (None if none), given the one open before it."""
    pos = 0
    while True:
        if state:
            end = text.find(state, pos)
            if end < 0:
                return state
            state, pos = None, end + 3
            continue
        match = _TRIPLE.search(text, pos)
        if not match or match.group() == "#":
            return None
        state, pos = match.group(), match.end()


def _line_magic(analysis: Analysis, command: str, lineno: int, env_text: list) -> None:
    if command.startswith("!"):
        env_text.append((command.lstrip("!"), lineno, "!"))
        return
    name, _, rest = command[1:].partition(" ")
    if name in {"pip", "conda", "mamba", "uv"}:
        env_text.append((f"{name} {rest}", lineno, f"%{name}"))
    elif name in LINE_MAGIC_SHELL or name == "":
        env_text.append((rest, lineno, f"%{name}"))
    elif name == "run":
        args = [a for a in shell.tokenize(rest) if not a.startswith("-")]
        if args:
            analysis.files_run.append((args[0], lineno))
            analysis.facts.append(Fact("command", ("python", *args), EXEC, lineno, command, "%run"))
    elif name in {"cd", "env", "set_env", "bookmark", "load", "loadpy"}:
        analysis.facts.append(Fact("text", rest, CODE, lineno, command, f"%{name}"))


def _writefile(analysis: Analysis, path: str, body: str, first_line: int) -> None:
    """``%%writefile x.sh``: the body will run later, so analyse it now."""
    kind = "shell" if path.endswith(".sh") else "python" if path.endswith(".py") else "text"
    sub = analyze(body, kind=kind, depth=1)
    for fact in sub.facts:
        fact.line += first_line - 1
        fact.via = f"%%writefile {path} {fact.via}".strip()
        analysis.facts.append(fact)
    for line_no, ctx in sub.shell_lines.items():
        analysis.shell_lines[line_no + first_line - 1] = ctx if kind == "shell" else EXEC
    for line_no in range(first_line, first_line + body.count("\n") + 1):
        analysis.shell_lines.setdefault(line_no, EXEC)


# ---------------------------------------------------------------------------
# Shell facts


def add_shell(analysis: Analysis, text: str, line: int, via: str, context: str = EXEC, depth: int = 0,
              evidence: str = "") -> None:
    """Record the facts of a shell command line (or a script)."""
    if "\n" in text.strip():
        # a script: keep line numbers per line, honouring continuations and NAME=value variables
        logical = ""
        start = line
        variables: dict[str, str] = {}
        for offset, raw in enumerate(text.split("\n")):
            if not logical:
                start = line + offset
            if raw.rstrip().endswith("\\"):
                logical += raw.rstrip()[:-1] + " "
                continue
            logical += raw
            assignment = SHELL_ASSIGN.match(logical)
            if assignment:
                variables[assignment.group(1)] = assignment.group(2).strip("'\"")
            elif logical.strip() and not logical.lstrip().startswith("#"):
                filled = _shell_vars(logical, variables)
                shown = f"{clip(logical, 100)}  ⇒  {clip(filled, 120)}" if filled != logical else ""
                add_shell(analysis, filled, start, via, context, depth, shown)
            logical = ""
        return
    facts = shell.parse(text)
    evidence = evidence or clip(text, 200)
    for cmd in facts.commands:
        analysis.facts.append(Fact("command", tuple(cmd.argv), context, line, evidence, f"{via} {cmd.via}".strip()))
    for name in facts.pip:
        analysis.facts.append(Fact("pip", name, context, line, evidence, via))
    for name in facts.apt:
        analysis.facts.append(Fact("apt", name, context, line, evidence, via))
    for repo in facts.git:
        analysis.facts.append(Fact("git", repo, context, line, evidence, via))
    for url, filename in facts.downloads:
        analysis.facts.append(Fact("download", (url, filename), context, line, evidence, via))
    for url in facts.urls:
        analysis.facts.append(Fact("url", url, context, line, evidence, via))
    for path in facts.files_run:
        analysis.files_run.append((path, line))
    for code in facts.python_code:
        if depth < MAX_DEPTH:
            _nested(analysis, code, "python", line, f"{via} python -c".strip(), context, depth + 1)


SHELL_ASSIGN = re.compile(r"^\s*(?:export\s+)?([A-Za-z_]\w*)=('[^']*'|\"[^\"]*\"|[^\s;&|]*)\s*$")


def _shell_vars(line: str, variables: dict[str, str]) -> str:
    if not variables or "$" not in line:
        return line
    return re.sub(r"\$\{?([A-Za-z_]\w*)\}?", lambda m: variables.get(m.group(1), m.group(0)), line)


def _nested(analysis: Analysis, code: str, kind: str, line: int, via: str, context: str, depth: int) -> None:
    """Analyse code found inside code (``exec(...)``, ``python -c``) and merge it."""
    sub = analyze(code, kind=kind, depth=depth)
    outer = analysis.lines[line - 1].strip() if 0 < line <= len(analysis.lines) else ""
    for fact in sub.facts:
        fact.line = line
        fact.via = f"{via} {fact.via}".strip()
        if outer and outer not in fact.evidence:
            fact.evidence = f"{clip(outer, 100)}  ⇒  {fact.evidence}"
        if fact.context != INERT and CONTEXT_RANK[context] < CONTEXT_RANK[fact.context]:
            fact.context = context
        analysis.facts.append(fact)
    for path, _ in sub.files_run:
        analysis.files_run.append((path, line))
    analysis.facts.append(Fact("text", code, context, line, clip(code), via))


def clip(text: str, limit: int = 160) -> str:
    """Evidence text on one line, cut to ``limit`` characters (only the head of a long text is read)."""
    text = " ".join(str(text)[: limit * 8].split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------
# Constant folding


class _Folder:
    """Evaluates the string-building expressions obfuscators use, and nothing else."""

    def __init__(self, env: dict[str, Any]):
        self.env = env
        self.methods: set[str] = set()  # which decoders were used, for evidence

    def fold(self, node: ast.AST, depth: int = 0) -> Any:
        if depth > 40:
            return None
        try:
            return self._fold(node, depth)
        except (ValueError, TypeError, UnicodeError, binascii.Error, zlib.error, OverflowError,
                RecursionError, MemoryError, IndexError, KeyError, LookupError, AttributeError):
            return None

    def _fold(self, node: ast.AST, depth: int) -> Any:
        fold = self.fold
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, (str, bytes, int)) and not isinstance(node.value, bool) else None
        if isinstance(node, ast.Name):
            return self.env.get(node.id)
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    parts.append(str(value.value))
                elif isinstance(value, ast.FormattedValue):
                    inner = fold(value.value, depth + 1)
                    if inner is None:
                        return None
                    parts.append(inner.decode("utf-8", "replace") if isinstance(inner, bytes) else str(inner))
            return _cap("".join(parts))
        if isinstance(node, ast.BinOp):
            left, right = fold(node.left, depth + 1), fold(node.right, depth + 1)
            if left is None or right is None:
                return None
            if isinstance(node.op, ast.Add) and type(left) is type(right) and isinstance(left, (str, bytes)):
                return _cap(left + right)
            if isinstance(node.op, ast.Mult) and isinstance(left, (str, bytes)) and isinstance(right, int):
                return _cap(left * max(0, min(right, 1000)))
            if isinstance(node.op, ast.Mod) and isinstance(left, str):
                return _cap(left % (tuple(right) if isinstance(right, list) else right))
            if isinstance(node.op, ast.BitXor) and isinstance(left, int) and isinstance(right, int):
                return left ^ right
            if isinstance(node.op, (ast.Add, ast.Sub)) and isinstance(left, int) and isinstance(right, int):
                return left + right if isinstance(node.op, ast.Add) else left - right
            return None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Invert)):
            value = fold(node.operand, depth + 1)
            if isinstance(value, int):
                return -value if isinstance(node.op, ast.USub) else ~value if isinstance(node.op, ast.Invert) else value
            return None
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [fold(elt, depth + 1) for elt in node.elts[:4096]]
            return None if any(item is None for item in items) else items
        if isinstance(node, ast.Subscript):
            base = fold(node.value, depth + 1)
            sl = node.slice
            if isinstance(base, (str, bytes, list)) and isinstance(sl, ast.Slice):
                step = fold(sl.step, depth + 1) if sl.step else 1
                lower = fold(sl.lower, depth + 1) if sl.lower else None
                upper = fold(sl.upper, depth + 1) if sl.upper else None
                if isinstance(step, int) and step != 0:
                    if step == -1:
                        self.methods.add("reversed")
                    return base[lower:upper:step]
            if isinstance(base, (str, bytes, list)):
                index = fold(sl, depth + 1)
                if isinstance(index, int):
                    return base[index]
            return None
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)) and len(node.generators) == 1:
            gen = node.generators[0]
            items = fold(gen.iter, depth + 1)
            if not isinstance(items, (list, str, bytes)) or not isinstance(gen.target, ast.Name) or gen.ifs:
                return None
            out = []
            saved = self.env.get(gen.target.id)
            for item in list(items)[:65536]:
                self.env[gen.target.id] = item
                value = fold(node.elt, depth + 1)
                if value is None:
                    break
                out.append(value)
            else:
                self._restore(gen.target.id, saved)
                return out
            self._restore(gen.target.id, saved)
            return None
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        return None

    def _restore(self, name: str, saved: Any) -> None:
        if saved is None:
            self.env.pop(name, None)
        else:
            self.env[name] = saved

    def _call(self, node: ast.Call, depth: int) -> Any:
        fold = self.fold
        func = node.func
        name = dotted(func)
        args = node.args
        if isinstance(func, ast.Attribute) and name not in {"codecs.decode", "codecs.encode"}:
            method = func.attr
            if method == "join" and len(args) == 1:
                sep, items = fold(func.value, depth + 1), fold(args[0], depth + 1)
                if isinstance(sep, (str, bytes)) and isinstance(items, list) and all(isinstance(x, type(sep)) for x in items):
                    if sep == "" and items and all(isinstance(x, str) and len(x) == 1 for x in items):
                        self.methods.add("chr-join")
                    return _cap(sep.join(items))
                return None
            if method in {"decode", "encode"}:
                base = fold(func.value, depth + 1)
                codec = fold(args[0], depth + 1) if args else "utf-8"
                if isinstance(codec, str) and codec.replace("_", "").replace("-", "").lower() in {"rot13"}:
                    self.methods.add("rot13")
                    return codecs.decode(base, "rot13") if isinstance(base, str) else None
                if method == "decode" and isinstance(base, bytes):
                    return base.decode(codec if isinstance(codec, str) else "utf-8", "replace")
                if method == "encode" and isinstance(base, str):
                    return base.encode("utf-8", "replace")
                return None
            if method in {"lower", "upper", "strip", "lstrip", "rstrip", "title", "casefold", "swapcase"} and not args:
                base = fold(func.value, depth + 1)
                return getattr(base, method)() if isinstance(base, (str, bytes)) else None
            if method == "replace" and len(args) >= 2:
                base, old, new = (fold(x, depth + 1) for x in (func.value, args[0], args[1]))
                if all(isinstance(x, str) for x in (base, old, new)):
                    return _cap(base.replace(old, new))
                return None
            if method == "format":
                base = fold(func.value, depth + 1)
                values = [fold(a, depth + 1) for a in args]
                kwargs = {k.arg: fold(k.value, depth + 1) for k in node.keywords if k.arg}
                if isinstance(base, str) and all(v is not None for v in values) and all(v is not None for v in kwargs.values()):
                    return _cap(base.format(*values, **kwargs))
                return None
            if method in {"fromhex"} and args:
                value = fold(args[0], depth + 1)
                if isinstance(value, str):
                    self.methods.add("hex")
                    return bytes.fromhex(value)
                return None
        short = name.rsplit(".", 1)[-1]
        if short in {"b64decode", "decodebytes", "a2b_base64", "urlsafe_b64decode", "decodestring",
                     "b32decode", "b16decode", "b85decode", "a85decode", "standard_b64decode"} and args:
            value = fold(args[0], depth + 1)
            if isinstance(value, (str, bytes)):
                self.methods.add("base64" if "64" in short or short in {"decodebytes", "decodestring"} else short)
                data = value.encode() if isinstance(value, str) else value
                decoder = getattr(base64, short, None) if short not in {"a2b_base64"} else binascii.a2b_base64
                if short == "urlsafe_b64decode" or short == "b64decode":
                    data = data + b"=" * (-len(data.strip()) % 4)
                return decoder(data) if decoder else None
            return None
        if short in {"unhexlify", "a2b_hex"} and args:
            value = fold(args[0], depth + 1)
            if isinstance(value, (str, bytes)):
                self.methods.add("hex")
                return binascii.unhexlify(value)
            return None
        if short in {"decompress"} and args and name.startswith(("zlib", "gzip", "bz2", "lzma")):
            value = fold(args[0], depth + 1)
            if isinstance(value, bytes) and name.startswith("zlib"):
                self.methods.add("zlib")
                return zlib.decompressobj().decompress(value, MAX_FOLD)
            return None
        if name in {"codecs.decode", "codecs.encode"} and args:
            value = fold(args[0], depth + 1)
            codec = fold(args[1], depth + 1) if len(args) > 1 else next(
                (fold(k.value, depth + 1) for k in node.keywords if k.arg == "encoding"), "utf-8")
            if not isinstance(codec, str):
                return None
            key = codec.replace("_", "").replace("-", "").lower()
            if key == "rot13" and isinstance(value, str):
                self.methods.add("rot13")
                return codecs.decode(value, "rot13")
            if key in {"hex", "hexcodec"}:
                self.methods.add("hex")
                return binascii.unhexlify(value)
            if key in {"base64", "base64codec"}:
                self.methods.add("base64")
                return base64.b64decode(value)
            if isinstance(value, bytes):
                return value.decode(codec, "replace")
            return None
        if name == "chr" and len(args) == 1:
            value = fold(args[0], depth + 1)
            if isinstance(value, int) and 0 <= value < 0x110000:
                self.methods.add("chr")
                return chr(value)
            return None
        if name in {"map"} and len(args) == 2 and dotted(args[0]) == "chr":
            items = fold(args[1], depth + 1)
            if isinstance(items, list) and all(isinstance(x, int) for x in items):
                self.methods.add("chr")
                return [chr(x) for x in items]
            return None
        if name in {"str", "bytes", "bytearray", "list", "reversed", "tuple"} and len(args) == 1:
            value = fold(args[0], depth + 1)
            if name == "reversed" and isinstance(value, (str, list)):
                self.methods.add("reversed")
                return list(reversed(value))
            if name in {"bytes", "bytearray"} and isinstance(value, list) and all(isinstance(x, int) for x in value):
                return bytes(x & 0xFF for x in value)
            if name == "list" and isinstance(value, (str, list)):
                return list(value)
            if name == "str" and isinstance(value, (str, int)):
                return str(value)
            return value if name == "tuple" else value if name in {"bytes", "bytearray"} and isinstance(value, bytes) else None
        if name == "ord" and len(args) == 1:
            value = fold(args[0], depth + 1)
            return ord(value) if isinstance(value, str) and len(value) == 1 else None
        if name in {"os.path.join", "posixpath.join", "Path", "pathlib.Path"} and args:
            parts = [fold(a, depth + 1) for a in args]
            if all(isinstance(p, str) for p in parts):
                return "/".join(p.rstrip("/") for p in parts)
        return None


def _cap(value: Any) -> Any:
    if isinstance(value, (str, bytes)) and len(value) > MAX_FOLD:
        raise ValueError("folded string too long")
    return value


def dotted(node: ast.AST | None) -> str:
    """``a.b.c`` for attribute chains; ``f.x`` for ``f().x``."""
    parts: list[str] = []
    while node is not None:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            break
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            break
    return ".".join(reversed(parts))


def _placeholder(node: ast.AST) -> str:
    """Stand-in for a value the folder cannot know, e.g. ``{hash_file}``."""
    return "{" + (dotted(node) or "?") + "}"


def _printable(data: bytes | str) -> str | None:
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


# ---------------------------------------------------------------------------
# The AST pass


COMPOUND = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor, ast.While,
            ast.With, ast.AsyncWith, ast.Try, ast.TryStar, ast.Match)


class _PythonPass:
    """One walk over a parsed cell collecting facts, spans and derived strings."""

    def __init__(self, analysis: Analysis, tree: ast.Module, depth: int, focus: list[int] | None = None):
        self.analysis = analysis
        self.focus = focus
        self.tree = tree
        self.depth = depth
        self.aliases: dict[str, str] = {}
        self.env: dict[str, Any] = {}
        self.folder = _Folder(self.env)
        self.string_ctx: dict[int, str] = {}  # id(node) -> context override

    def run(self) -> None:
        self.calls: list[ast.Call] = []
        self.strings: list[ast.AST] = []
        self.assigns: list[ast.AST] = []
        if self.focus is None:
            self._walk(self.tree)
        else:
            self._visit_body(self.tree.body)
        self.assigns.sort(key=lambda n: (n.lineno, n.col_offset))
        for node in self.assigns:
            self._assign(node)
        for node in self.calls:
            self._call(node)
        for node in self.strings:
            self._string(node)

    def _walk(self, root: ast.AST) -> None:
        calls, strings, assigns = self.calls, self.strings, self.assigns
        for node in ast.walk(root):
            kind = type(node)
            if kind is ast.Call:
                calls.append(node)
            elif kind is ast.Constant:
                if isinstance(node.value, str):
                    strings.append(node)
            elif kind is ast.JoinedStr:
                strings.append(node)
            elif kind is ast.Import or kind is ast.ImportFrom:
                self._import(node)
            elif kind is ast.Assign or kind is ast.AnnAssign or kind is ast.AugAssign:
                assigns.append(node)
            elif kind is ast.Expr and isinstance(node.value, (ast.Constant, ast.JoinedStr)):
                self._mark(node.value, INERT)  # docstrings and bare strings

    def _hit(self, node: ast.AST) -> bool:
        """Does the statement cover a line where the prefilter saw something?"""
        focus = self.focus
        index = bisect.bisect_left(focus, node.lineno)
        return index < len(focus) and focus[index] <= (node.end_lineno or node.lineno)

    def _visit_body(self, body: list[ast.stmt]) -> None:
        """Walk only the statements that contain prefilter hits.

        Simple assignments are always kept, because an obfuscated name is
        often assembled a few statements before the line that uses it.
        """
        for stmt in body:
            kind = type(stmt)
            if kind is ast.Assign or kind is ast.AnnAssign or kind is ast.AugAssign:
                if self._hit(stmt):
                    self._walk(stmt)
                else:
                    self.assigns.append(stmt)
                    # long constants may be encoded payloads used elsewhere (base64 lists in a loop)
                    value = stmt.value
                    items = value.elts if type(value) in (ast.List, ast.Tuple) else (value,)
                    for node in items:
                        if type(node) is ast.Constant and isinstance(node.value, str) and len(node.value) >= 16:
                            self.strings.append(node)
                continue
            if not self._hit(stmt):
                continue
            if kind not in COMPOUND:
                self._walk(stmt)
                continue
            for name, value in ast.iter_fields(stmt):
                if name in ("body", "orelse", "finalbody"):
                    self._visit_body(value)
                elif name in ("handlers", "cases"):
                    for part in value:
                        for sub_name, sub_value in ast.iter_fields(part):
                            if sub_name == "body":
                                self._visit_body(sub_value)
                            else:
                                self._walk_value(sub_value)
                else:
                    self._walk_value(value)

    def _walk_value(self, value: object) -> None:
        if isinstance(value, ast.AST):
            self._walk(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, ast.AST):
                    self._walk(item)

    # -- helpers

    def _mark(self, node: ast.AST, ctx: str) -> None:
        for sub in ast.walk(node):
            if isinstance(sub, (ast.Constant, ast.JoinedStr)):
                current = self.string_ctx.get(id(sub))
                if current is None or (ctx == INERT) or CONTEXT_RANK[ctx] > CONTEXT_RANK[current]:
                    self.string_ctx[id(sub)] = ctx

    def resolve(self, node: ast.AST) -> str:
        base = node
        while isinstance(base, ast.Attribute):
            base = base.value
        if isinstance(base, ast.Call) and dotted(base.func) in {"__import__", "importlib.import_module"} and base.args:
            module = self.folder.fold(base.args[0])  # __import__('os').system(...) is os.system(...)
            if isinstance(module, str):
                return module + dotted(node)[len(dotted(base)):]
        name = dotted(node)
        head, _, rest = name.partition(".")
        if head in self.aliases:
            full = self.aliases[head]
            return f"{full}.{rest}" if rest else full
        return name

    def _evidence(self, node: ast.AST) -> str:
        lines = self.analysis.lines
        lineno = getattr(node, "lineno", 1)
        return clip(lines[lineno - 1] if 0 < lineno <= len(lines) else "")

    def _fact(self, kind: str, value: Any, node: ast.AST, context: str = EXEC, via: str = "", evidence: str = "") -> None:
        self.analysis.facts.append(Fact(kind, value, context, getattr(node, "lineno", 1),
                                        evidence or self._evidence(node), via))

    def _derived(self, value: Any, node: ast.AST, context: str, via: str) -> str | None:
        """Record a folded value that does not appear verbatim in the source."""
        text = _printable(value) if isinstance(value, (str, bytes)) else None
        if text is None and isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            text = " ".join(value)
        if text:
            self._fact("text", text, node, context, via, evidence=f"{self._evidence(node)}  ⇒  {clip(text, 120)}")
        return text

    # -- node handlers

    def _import(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                self._fact("import", alias.name, node)
                self.aliases[(alias.asname or alias.name).split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        else:
            module = node.module or ""
            if node.level:
                return  # relative imports name the user's own code
            self._fact("import", module, node)
            for alias in node.names:
                if alias.name != "*":
                    self._fact("import", f"{module}.{alias.name}", node)
                    self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}"

    def _assign(self, node: ast.AST) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if node.value is None:
            return
        value = self.folder.fold(node.value)
        if value is None:
            return
        if isinstance(value, (str, bytes)) and isinstance(node.value, (ast.Call, ast.BinOp, ast.Subscript)):
            # a name assembled at run time (chr lists, base64, concatenation) may be used anywhere later
            self._derived(value, node.value, CODE, "+".join(sorted(self.folder.methods)) or "concat")
        for target in targets:
            if isinstance(target, ast.Name):
                if isinstance(node, ast.AugAssign):
                    old = self.env.get(target.id)
                    if isinstance(old, type(value)) and isinstance(value, (str, bytes)):
                        self.env[target.id] = old + value
                else:
                    self.env[target.id] = value

    def _fold_arg(self, node: ast.Call, index: int, keyword: str, loose: bool = False) -> Any:
        expr = node.args[index] if 0 <= index < len(node.args) else next(
            (kw.value for kw in node.keywords if kw.arg == keyword), None)
        if expr is None:
            return None
        value = self.folder.fold(expr)
        return self._loose(expr) if value is None and loose else value

    def _loose(self, expr: ast.AST) -> Any:
        """A command line whose parts are not all known: unknown parts become ``{name}``."""
        if isinstance(expr, (ast.List, ast.Tuple)) and expr.elts:
            items = [self.folder.fold(e) for e in expr.elts[:4096]]
            if not isinstance(items[0], str):
                return None
            return [v if isinstance(v, (str, int)) else _placeholder(e) for v, e in zip(items, expr.elts[:4096], strict=True)]
        if isinstance(expr, ast.JoinedStr):
            parts = []
            for value in expr.values:
                if isinstance(value, ast.Constant):
                    parts.append(str(value.value))
                elif isinstance(value, ast.FormattedValue):
                    inner = self.folder.fold(value.value)
                    parts.append(str(inner) if isinstance(inner, (str, int)) else _placeholder(value.value))
            return "".join(parts)
        return None

    def _call(self, node: ast.Call) -> None:
        name = self.resolve(node.func)
        short = name.rsplit(".", 1)[-1]
        if short in PRINT_LIKE or name.startswith(("logging.", "logger.", "log.")):
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                self._mark(arg, INERT)
            return
        if name.startswith("get_ipython.") or name.startswith("IPython.get_ipython."):
            self._ipython_call(node, short)
            return
        if name in SHELL_CALLS or (name in ARGV_CALLS and self._shell_kw(node)):
            value = self._fold_arg(node, 0, "args" if name in ARGV_CALLS else "command", loose=True)
            if node.args:
                self._mark(node.args[0], EXEC)
            if isinstance(value, list):
                value = " ".join(str(v) for v in value)
            if isinstance(value, str):
                self._note_derived(node.args[0] if node.args else node, value)
                add_shell(self.analysis, value, node.lineno, name, EXEC, self.depth)
            return
        if name in ARGV_CALLS or name.startswith(("os.exec", "os.spawn")):
            self._argv_call(node, name)
            return
        if name in EXEC_CALLS and node.args:
            code = self.folder.fold(node.args[0])
            text = _printable(code) if isinstance(code, (str, bytes)) else None
            if text and self.depth < MAX_DEPTH:
                via = "+".join(sorted(self.folder.methods)) or "exec"
                self._mark(node.args[0], EXEC)
                _nested(self.analysis, text, "python", node.lineno, f"{short}({via})", EXEC, self.depth + 1)
            return
        if name in IMPORT_CALLS and node.args:
            module = self.folder.fold(node.args[0])
            if isinstance(module, str):
                self._fact("import", module, node, via=short)
            return
        spec = DOWNLOAD_CALLS.get(name) or DOWNLOAD_CALLS.get(short) if short in {
            "hf_hub_download", "snapshot_download", "load_file_from_url", "urlretrieve", "download_url_to_file",
            "get_file", "urlopen"} else DOWNLOAD_CALLS.get(name)
        if spec:
            self._download(node, name, spec)
            return
        if name in {"torch.hub.load", "torch.hub.list", "torch.hub.help"} and node.args:
            repo = self.folder.fold(node.args[0])
            if isinstance(repo, str) and "/" in repo and not repo.startswith(("/", ".")):
                self._fact("git", f"github.com/{repo.split(':')[0]}", node, via="torch.hub")
            return
        if short in {"write", "write_text", "writelines", "write_bytes"} and node.args:
            self._written(node, name)

    def _shell_kw(self, node: ast.Call) -> bool:
        return any(k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value for k in node.keywords)

    def _note_derived(self, arg: ast.AST, value: str) -> None:
        if not isinstance(arg, ast.Constant):
            via = "+".join(sorted(self.folder.methods)) or "concat"
            self._derived(value, arg, EXEC, via)

    def _argv_call(self, node: ast.Call, name: str) -> None:
        argv: Any
        if name.startswith(("os.exec", "os.spawn", "os.posix_spawn")):
            # the program is the path argument; argv[0] is only a display name
            first = 1 if name.startswith("os.spawn") else 0
            program = self.folder.fold(node.args[first]) if len(node.args) > first else None
            if name.startswith(("os.execl", "os.spawnl")):
                rest = [self.folder.fold(a) for a in node.args[first + 2:]]
            else:
                listed = self.folder.fold(node.args[first + 1]) if len(node.args) > first + 1 else []
                rest = list(listed[1:]) if isinstance(listed, list) else []
            argv = [program, *rest] if isinstance(program, str) and all(isinstance(v, str) for v in rest) else None
        else:
            argv = self._fold_arg(node, 0, "args", loose=True)
        for arg in node.args:
            self._mark(arg, EXEC)
        if isinstance(argv, str):
            argv = shell.tokenize(argv)
        if isinstance(argv, list) and argv and all(isinstance(v, (str, int)) for v in argv):
            argv = [str(v) for v in argv]
            facts = shell.parse_argv(argv)
            evidence = self._evidence(node)
            folded_via = "+".join(sorted(self.folder.methods))
            if folded_via:
                evidence = f"{evidence}  ⇒  {clip(' '.join(argv), 120)}"
            for cmd in facts.commands:
                self._fact("command", tuple(cmd.argv), node, EXEC, f"{name} {cmd.via} {folded_via}".strip(), evidence)
            sub = Analysis(source="", kind="python")
            add_shell(sub, " ".join(shell.shlex.quote(a) for a in argv), node.lineno, name, EXEC, self.depth)
            for fact in sub.facts:
                if fact.kind != "command":
                    fact.evidence = evidence
                    self.analysis.facts.append(fact)
            self.analysis.files_run.extend(sub.files_run)

    def _ipython_call(self, node: ast.Call, method: str) -> None:
        values = [self.folder.fold(a) for a in node.args]
        for arg in node.args:
            self._mark(arg, EXEC)
        if method in {"system", "getoutput", "system_raw", "system_piped"} and values[:1] and isinstance(values[0], str):
            add_shell(self.analysis, values[0], node.lineno, f"get_ipython().{method}", EXEC, self.depth)
        elif method == "run_line_magic" and len(values) >= 2 and all(isinstance(v, str) for v in values[:2]):
            env: list = []
            _line_magic(self.analysis, f"%{values[0]} {values[1]}", node.lineno, env)
            for text, line, via in env:
                add_shell(self.analysis, text, line, via, EXEC, self.depth)
        elif method == "run_cell_magic" and len(values) >= 3 and all(isinstance(v, str) for v in values[:3]):
            magic, line, body = values[:3]
            if magic in CELL_MAGIC_SHELL:
                add_shell(self.analysis, body, node.lineno, f"%%{magic}", EXEC, self.depth)
            elif magic == "writefile":
                _writefile(self.analysis, line.split()[-1] if line.split() else "", body, node.lineno)
            elif magic in CELL_MAGIC_PYTHON and self.depth < MAX_DEPTH:
                _nested(self.analysis, body, "python", node.lineno, f"%%{magic}", EXEC, self.depth + 1)

    def _download(self, node: ast.Call, name: str, spec: tuple[int, str, int, str]) -> None:
        url_index, url_kw, file_index, file_kw = spec
        url = self._fold_arg(node, url_index, url_kw)
        filename = self._fold_arg(node, file_index, file_kw) if file_kw else None
        if not isinstance(url, str):
            return
        if "hf_hub_download" in name or "snapshot_download" in name:
            source = f"hf://{url}"
        else:
            source = url
            self._fact("url", url, node)
        if not isinstance(filename, str) or not filename:
            filename = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        self._fact("download", (source, filename.rsplit("/", 1)[-1]), node, via=name.rsplit(".", 1)[-1])

    def _written(self, node: ast.Call, name: str) -> None:
        content = self.folder.fold(node.args[0])
        if isinstance(content, list):
            content = "".join(c for c in content if isinstance(c, str))
        if isinstance(content, bytes):
            content = _printable(content)
        if not isinstance(content, str) or not content.strip():
            return
        target = ""
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) and func.value.args:
            target = self.folder.fold(func.value.args[0]) or ""
        is_script = str(target).endswith(".sh") or content.startswith("#!/bin/") or content.startswith("#!/usr/bin/env bash")
        if is_script:
            add_shell(self.analysis, content, node.lineno, f"written to {target or 'a file'}", CODE, self.depth)
        elif str(target).endswith(".py") and self.depth < MAX_DEPTH:
            _nested(self.analysis, content, "python", node.lineno, f"written to {target}", CODE, self.depth + 1)

    def _string(self, node: ast.AST) -> None:
        ctx = self.string_ctx.get(id(node), CODE)
        self._span(node, ctx)
        if isinstance(node, ast.JoinedStr):
            return
        value = node.value
        if ctx != CODE or len(value) < 8:
            return
        for url in URL_RE.findall(value):
            self._fact("url", url, node, ctx)
        if len(value) >= 16 and " " not in value.strip():
            decoded = None
            compact = "".join(value.split())
            if HEX_RE.match(compact):
                decoded = _printable(binascii.unhexlify(compact))
                method = "hex"
            elif B64_RE.match(value) and len(compact) % 4 in (0, 2, 3):
                try:
                    decoded = _printable(base64.b64decode(compact + "=" * (-len(compact) % 4), altchars=b"-_" if ("-" in compact or "_" in compact) else None))
                except (binascii.Error, ValueError):
                    decoded = None
                method = "base64"
            if decoded and len(decoded) >= 4:
                self._fact("text", decoded, node, CODE, method,
                           evidence=f"{self._evidence(node)}  ⇒  {clip(decoded, 120)}")
                if self.depth < MAX_DEPTH and any(ch in decoded for ch in " (.=/"):
                    _nested(self.analysis, decoded, "python", node.lineno, method, CODE, self.depth + 1)
                    # the decoded text may be a shell line too
                    if "/" in decoded or " -" in decoded:
                        add_shell(self.analysis, decoded, node.lineno, method, CODE, self.depth)

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


# ---------------------------------------------------------------------------
# Entry point


@dataclass(slots=True)
class EarlierCell:
    source: str
    cell: int | None
    matches: list | None = None  # the engine's multi-group matches, once it has looked
    backfilled: bool = False  # looked at only because a later cell needed it


class EarlierCells:
    """The cells that ran before this one, looked at again only when needed.

    ``!wget {url}`` often takes ``url`` from an earlier cell, and a rule that
    combines weak signals may find its other half there.  Parsing every
    earlier cell up front would cost every check; instead the sources are
    kept, their top-level string assignments are folded the first time a
    shell line names something the current cell does not define, and the
    engine analyses them in full only when a multi-part rule is half matched.
    """

    def __init__(self, limit: int = 200) -> None:
        self.entries: list[EarlierCell] = []
        self.limit = limit
        self._env: dict[str, Any] = {}
        self._unfolded: list[str] = []  # sources added since the last look-up

    def add(self, source: str, cell: int | None = None, matches: list | None = None) -> None:
        if len(source) <= MAX_DEEP_BYTES:
            self.entries = (self.entries + [EarlierCell(source, cell, matches)])[-self.limit :]
            self._unfolded = (self._unfolded + [source])[-self.limit :]

    def get(self, name: str, default: Any = None) -> Any:
        """The value of a top-level name as the cells so far left it (each cell is folded once)."""
        if self._unfolded:
            folder = _Folder(self._env)
            for source in self._unfolded:
                try:
                    tree = ast.parse(split_ipython(source, Analysis(source="", kind="cell"), []))
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    continue
                for stmt in tree.body:
                    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                        value = folder.fold(stmt.value)
                        if isinstance(value, (str, int)):
                            self._env.pop(stmt.targets[0].id, None)  # newest last, so the oldest go first
                            self._env[stmt.targets[0].id] = value
            self._unfolded = []
            while len(self._env) > 4 * self.limit:
                del self._env[next(iter(self._env))]
        return self._env.get(name, default)


def analyze(source: str, kind: str = "cell", depth: int = 0, focus: set[int] | None = None,
            earlier: EarlierCells | None = None) -> Analysis:
    """Analyse one unit of code.

    ``kind`` is ``cell`` or ``python`` (Python with IPython syntax), ``shell``
    (a shell script or command line), ``markdown`` or ``data`` (never runs),
    or ``text`` (unknown language: text-level checks only).  ``focus`` lists
    the lines where the engine's prefilter found something; when given, only
    statements covering those lines are walked in depth.
    """
    analysis = Analysis(source=source, kind=kind, lines=source.split("\n"))
    if kind in {"markdown", "data"}:
        for i in range(1, source.count("\n") + 2):
            analysis.shell_lines[i] = INERT
        return analysis
    if kind == "shell":
        for i, text in enumerate(source.split("\n"), start=1):
            analysis.shell_lines[i] = INERT if text.lstrip().startswith("#") else EXEC
        add_shell(analysis, source, 1, "", EXEC, depth)
        return analysis
    if kind == "text":
        return analysis
    if "\x00" in source or len(source) > MAX_DEEP_BYTES:
        analysis = surface(source, kind)
        analysis.notes.append("binary content: text-level checks only" if "\x00" in source
                              else f"cell larger than {MAX_DEEP_BYTES} bytes: text-level checks only")
        return analysis
    pending: list[tuple[str, int, str]] = []
    python = split_ipython(source, analysis, pending)
    tree = None
    try:
        tree = ast.parse(python)
    except SyntaxError as exc:
        analysis.notes.append(f"syntax error at line {exc.lineno}: {exc.msg}; text-level checks only")
    except (ValueError, RecursionError, MemoryError) as exc:
        analysis.notes.append(f"cannot parse ({type(exc).__name__}); text-level checks only")
    env: dict[str, Any] = {}
    if tree is not None:
        analysis.parsed = True
        walker = _PythonPass(analysis, tree, depth, sorted(focus) if focus is not None else None)
        try:
            walker.run()
        except RecursionError:
            analysis.notes.append("code nested too deeply; analysis incomplete")
        env = walker.env
        if behaviour.wanted(source.lower()):  # the shape of the whole unit, not only the lines with hits
            for found in behaviour.find(tree, walker.folder.fold):
                line = analysis.lines[found.line - 1] if 0 < found.line <= len(analysis.lines) else ""
                analysis.facts.append(Fact("behaviour", found.shape, EXEC, found.line,
                                           f"{clip(line, 100)}  ⇒  {found.detail}", "behaviour"))
    else:
        _fallback_imports(analysis, python)
    for text, line, via in pending:
        filled = _interpolate(text, env, earlier)
        evidence = f"{clip(text, 100)}  ⇒  {clip(filled, 120)}" if filled != text else ""
        add_shell(analysis, filled, line, via, EXEC, depth, evidence)
    return analysis


MAX_SURFACE_LINE = 64 * 1024  # longer shell lines keep only their raw text in the surface reading


def surface(source: str, kind: str = "cell") -> Analysis:
    """The text-level reading of a unit, for when the full analysis failed or ran out of time.

    Each line gets its context from its first characters (a ``#`` comment is
    inert; ``!`` and ``%`` lines, shell scripts and ``%%bash`` bodies run),
    and each line that runs as shell is parsed on its own, so a line that
    breaks the parser costs only itself and a miner's command line is still
    a command.  Imports come from a regex.  Linear in the size of the text.
    """
    analysis = Analysis(source=source, kind=kind, lines=source.split("\n"))
    lines = analysis.lines
    if kind in {"markdown", "data"}:
        for number in range(1, len(lines) + 1):
            analysis.shell_lines[number] = INERT
        return analysis
    body = EXEC if kind == "shell" else None  # the context of every line of a %%magic body
    for number, text in enumerate(lines, 1):
        stripped = text.lstrip()
        if stripped.startswith("%%") and body is None and not any(t.strip() for t in lines[: number - 1]):
            name, _, args = stripped[2:].partition(" ")
            script = name == "writefile" and args.strip().endswith(".sh")  # a script that will run later
            body = EXEC if name in CELL_MAGIC_SHELL or script else INERT if name in CELL_MAGIC_INERT else CODE
            analysis.shell_lines[number] = EXEC
            continue
        if body == INERT or stripped.startswith("#"):
            analysis.shell_lines[number] = INERT
            continue
        pending: list[tuple[str, int, str]] = []
        try:
            if body == EXEC:
                pending.append((text, number, ""))
            elif stripped.startswith(("!", "%")) and not stripped.startswith("!="):
                _line_magic(analysis, stripped, number, pending)
            elif (match := ASSIGN_SHELL.match(text)) and ("!" in text or "%s" in text):
                _line_magic(analysis, ("!" if match.group(3) == "!" else "%sx ") + match.group(4), number, pending)
            for command, line, via in pending:
                analysis.shell_lines[line] = EXEC
                if len(command) <= MAX_SURFACE_LINE:
                    add_shell(analysis, command, line, via, EXEC, MAX_DEPTH)
        except Exception:  # noqa: BLE001 - one unreadable line must not cost the others
            analysis.notes.append(f"line {number}: not readable as a shell line; raw text only")
    if kind != "shell":
        try:
            _fallback_imports(analysis, source)
        except Exception:  # noqa: BLE001
            pass
    return analysis


IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import|import[ \t]+([\w., \t]+))", re.M)


def _fallback_imports(analysis: Analysis, python: str) -> None:
    """Imports found by a regex when the AST is unavailable (linear: line numbers are counted as it goes)."""
    line, counted = 1, 0
    for match in IMPORT_LINE.finditer(python):
        line += python.count("\n", counted, match.start())
        counted = match.start()
        names = [match.group(1)] if match.group(1) else [n.strip().split(" ")[0] for n in match.group(2).split(",")]
        for name in names:
            if name:
                analysis.facts.append(Fact("import", name, EXEC, line, clip(match.group(0)), "regex"))


def _interpolate(text: str, env: dict[str, Any], earlier: EarlierCells | None = None) -> str:
    """IPython expands ``{expr}`` and ``$name`` in shell escapes."""
    if (not env and earlier is None) or ("{" not in text and "$" not in text):
        return text

    def brace(match: re.Match) -> str:
        value = env.get(match.group(1))
        if value is None and earlier is not None:
            value = earlier.get(match.group(1))
        return str(value) if isinstance(value, (str, int)) else match.group(0)

    text = re.sub(r"\{(\w+)\}", brace, text)
    return re.sub(r"\$(\w+)", brace, text)
