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
import bz2
import codecs
import lzma
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
MAX_FOLD_STEPS = 1 << 18  # nodes one expression may fold (comprehensions and lambdas multiply work)
MAX_FOLD_TOTAL = 1 << 20  # nodes one cell may fold in all
MAX_ITEMS = 65536  # longest list, dict or comprehension the folder will build
MAX_BOUND = 64  # names bound at prefilter hits whose later uses a focused walk follows ...
MAX_RELATED = 4096  # ... and the lines it looks up for them; past either, it walks everything

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
NAMESPACE_CALLS = {"globals", "locals", "vars"}  # vars(os)[x], globals()[x]: names looked up by a computed key
# Calls whose result is worth following to its uses: decoders and look-ups by a computed name
DECODING_CALLS = {"b64decode", "decodebytes", "a2b_base64", "urlsafe_b64decode", "b32decode", "b16decode",
                  "b85decode", "a85decode", "standard_b64decode", "unhexlify", "a2b_hex", "fromhex", "decompress",
                  "chr", "reversed", "__import__", "import_module", "getattr", "eval"}
DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
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
    cwd: str = ""  # the directory a %cd or cd moved to, as the unit goes: `cd roop; python run.py` runs roop/run.py

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
    elif name == "cd":
        env_text.append((f"cd {rest}", lineno, "%cd"))  # in order with the shell lines: it moves the later ones
    elif name in {"env", "set_env", "bookmark", "load", "loadpy"}:
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
        if cmd.argv[0] in {"cd", "pushd"} and len(cmd.argv) > 1:
            analysis.cwd = cmd.argv[1].strip("'\"").rstrip("/")
        elif analysis.cwd:
            launched = _launched_in(analysis.cwd, cmd.argv)
            if launched:  # the tool the directory holds: `cd roop && python run.py` is roop/run.py
                analysis.facts.append(Fact("command", launched, context, line, evidence,
                                           f"{via} cd {analysis.cwd}".strip()))
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


def _launched_in(cwd: str, argv: list[str]) -> tuple[str, ...] | None:
    """``python run.py -s x`` run in ``/content/roop`` as ``python roop/run.py -s x`` (None: nothing relative)."""
    folder = cwd.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    if not folder or folder in {".", "..", "~", "content", "workspace", "home"}:
        return None
    name = shell.program_name(argv[0])
    if argv[0].startswith("./"):
        return (f"{folder}/{argv[0][2:]}", *argv[1:])
    if shell.PYTHONS.match(name) or name in shell.SHELLS or name in {"accelerate", "torchrun", "deepspeed"}:
        for i, arg in enumerate(argv[1:], 1):
            if arg.startswith("-"):
                if arg in {"-m", "-c"}:
                    return None
                continue
            if not arg.startswith(("/", "~", "$")) and arg.endswith((".py", ".sh")):
                return (argv[0], *argv[1:i], f"{folder}/{arg.removeprefix('./')}", *argv[i + 1:])
            return None
    return None


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


@dataclass(slots=True, repr=False)
class _Function:
    """A one-expression function (``lambda s: ...``, ``def f(s): return ...``): decoders are often wrapped in one."""

    params: list[str]
    defaults: dict[str, Any]
    body: ast.expr


class _Folder:
    """Evaluates the string-building expressions obfuscators use, and nothing else.

    Decoders nest freely (``zlib.decompress(base64.b64decode(s[::-1]))``), call
    targets are named through import aliases and computed look-ups (``name``),
    and one-expression functions are applied.  Work is counted: one expression
    may fold ``MAX_FOLD_STEPS`` nodes and a cell ``MAX_FOLD_TOTAL``, so nested
    comprehensions or chains of lambdas cannot multiply into minutes.
    """

    def __init__(self, env: dict[str, Any], aliases: dict[str, str] | None = None):
        self.env = env
        self.aliases = aliases if aliases is not None else {}  # name -> dotted module or attribute
        self.methods: set[str] = set()  # which decoders were used, for evidence
        self.steps = 0  # nodes folded for the current top-level expression
        self.total = 0  # nodes folded in all
        self.exhausted = False  # a cap was hit: some values are unknown

    def fold(self, node: ast.AST, depth: int = 0) -> Any:
        if depth == 0:
            self.steps = 0
        elif depth > 40:
            return None
        self.steps += 1
        self.total += 1
        if self.steps > MAX_FOLD_STEPS or self.total > MAX_FOLD_TOTAL:
            self.exhausted = True
            return None
        try:
            return self._fold(node, depth)
        except (ValueError, TypeError, UnicodeError, binascii.Error, zlib.error, lzma.LZMAError, OSError, EOFError, OverflowError,
                RecursionError, MemoryError, IndexError, KeyError, LookupError, AttributeError):
            return None

    def _fold(self, node: ast.AST, depth: int) -> Any:
        fold = self.fold
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, (str, bytes, int)) and not isinstance(node.value, bool) else None
        if isinstance(node, ast.Name):
            value = self.env.get(node.id)
            return None if isinstance(value, _Function) else value  # applied by _call, never turned into text
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
            if isinstance(node.op, ast.Add) and type(left) is type(right) and isinstance(left, (str, bytes, list)):
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
            items = [fold(elt, depth + 1) for elt in node.elts[:MAX_ITEMS]]
            return None if any(item is None for item in items) else items
        if isinstance(node, ast.Dict):
            # partial: a key whose value is unknown is left out, so the known ones can still be looked up
            table = {}
            for key_node, value_node in zip(node.keys[:MAX_ITEMS], node.values[:MAX_ITEMS], strict=False):
                key = fold(key_node, depth + 1) if key_node is not None else None  # None: a **mapping
                if isinstance(key, (str, int)) and (value := fold(value_node, depth + 1)) is not None:
                    table[key] = value
            return table
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
            if isinstance(base, dict):
                return base[fold(sl, depth + 1)]
            return None
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)) and len(node.generators) == 1:
            gen = node.generators[0]
            items = fold(gen.iter, depth + 1)
            if not isinstance(items, (list, str, bytes)) or not isinstance(gen.target, ast.Name) or gen.ifs:
                return None
            out = []
            saved = self.env.get(gen.target.id)
            for item in list(items)[:MAX_ITEMS]:
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
        if isinstance(node, ast.Lambda):
            return self.function(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        return None

    def _restore(self, name: str, saved: Any) -> None:
        if saved is None:
            self.env.pop(name, None)
        else:
            self.env[name] = saved

    # -- one-expression functions

    def function(self, node: ast.Lambda | ast.FunctionDef, depth: int = 0) -> _Function | None:
        """``lambda s: ...`` or ``def f(s): return ...`` as something ``_invoke`` can apply, else None."""
        spec = node.args
        if spec.vararg or spec.kwarg or spec.kwonlyargs:
            return None
        if isinstance(node, ast.Lambda):
            body = node.body
        else:
            statements = node.body[1:] if ast.get_docstring(node, clean=False) is not None else node.body
            if node.decorator_list or len(statements) != 1 or not isinstance(statements[0], ast.Return):
                return None
            body = statements[0].value
            if body is None:
                return None
        params = [arg.arg for arg in (*spec.posonlyargs, *spec.args)]
        defaults = {}
        for param, default in zip(params[len(params) - len(spec.defaults):], spec.defaults, strict=True):
            if (value := self.fold(default, depth + 1)) is not None:
                defaults[param] = value
        return _Function(params, defaults, body)

    def _callee(self, func: ast.AST, depth: int) -> _Function | None:
        if isinstance(func, ast.Lambda):
            return self.function(func, depth)
        if isinstance(func, ast.Name) and isinstance(value := self.env.get(func.id), _Function):
            return value
        return None

    def _invoke(self, function: _Function, values: list[Any], keywords: dict[str, Any], depth: int) -> Any:
        """Fold the body with the parameters bound (dynamic scope: the cell's names stay visible)."""
        bound = {**function.defaults, **dict(zip(function.params, values, strict=False)), **keywords}
        if len(values) > len(function.params) or any(bound.get(p) is None for p in function.params):
            return None
        missing = object()
        saved = {p: self.env.get(p, missing) for p in function.params}
        self.env.update((p, bound[p]) for p in function.params)
        try:
            return self.fold(function.body, depth + 1)
        finally:
            for param, value in saved.items():
                if value is missing:
                    self.env.pop(param, None)
                else:
                    self.env[param] = value

    def _apply(self, func: ast.AST, value: Any, depth: int) -> Any:
        """``func(value)`` for ``map(func, ...)``: a lambda, a function of the cell or a decoder by name."""
        function = self._callee(func, depth)
        if function is not None:
            return self._invoke(function, [value], {}, depth)
        if isinstance(value, (str, bytes, int)):
            return self._call(ast.Call(func=func, args=[ast.Constant(value)], keywords=[]), depth)
        return None

    # -- names

    def name(self, node: ast.AST, depth: int = 0) -> str:
        """The dotted name an expression refers to, seen through aliases and computed look-ups.

        ``__import__('os').system``, ``getattr(os, 'sys' + 'tem')``, ``vars(os)[x]``,
        ``os.__dict__[x]``, ``sys.modules['os'].system`` and ``m.system`` after
        ``m = importlib.import_module(x)`` are all ``os.system``; builtins lose their
        ``builtins.`` prefix.  Like :func:`dotted`, ``f().x`` is ``f.x``; a part that
        cannot be known makes the result ``""`` or leaves it out.
        """
        if depth == 0:
            self.steps = 0
        elif depth > 40:
            return ""
        if isinstance(node, ast.Name):
            return _unbuiltin(self.aliases.get(node.id, node.id))
        if isinstance(node, ast.Attribute):
            base = self.name(node.value, depth + 1)
            if node.attr == "__dict__":
                return base
            return _unbuiltin(f"{base}.{node.attr}" if base else node.attr)
        if isinstance(node, ast.Subscript):
            space = self._namespace(node.value, depth + 1)
            return self._lookup(space, node.slice, depth) if space is not None else ""
        if not isinstance(node, ast.Call):
            return ""
        func = self.name(node.func, depth + 1)
        args = node.args
        if func in IMPORT_CALLS:
            module = self.fold(args[0], depth + 1) if args else None
            if not isinstance(module, str) or not DOTTED_NAME.fullmatch(module):
                return ""
            # __import__('a.b') returns a unless a fromlist asks for a.b
            whole = func != "__import__" or len(args) > 3 or any(k.arg == "fromlist" for k in node.keywords)
            return module if whole else module.split(".")[0]
        lookup = self._computed(node, func, depth)
        return func if lookup is None else lookup

    def _computed(self, node: ast.Call, func: str, depth: int) -> str | None:
        """The name a look-up call reaches (``getattr(os, x)``, ``vars(os).get(x)``, ``eval('os.system')``):
        ``""`` when its key cannot be folded, None when the call is no look-up."""
        args = node.args
        if func == "getattr" and len(args) >= 2:
            base = self.name(args[0], depth + 1)
            return self._lookup(base, args[1], depth) if base else ""
        if func.endswith((".__getattribute__", ".__getattr__")) and args:
            return self._lookup(func.rsplit(".", 1)[0], args[0], depth)
        if func.endswith(".get") and args and isinstance(node.func, ast.Attribute):
            space = self._namespace(node.func.value, depth + 1)
            return None if space is None else self._lookup(space, args[0], depth)
        if func == "eval" and args:
            return self._lookup("", args[0], depth)
        return None

    def reference(self, node: ast.AST) -> str | None:
        """The dotted name when ``node`` is a module or an attribute of one (``os.path``, ``m`` after
        ``m = __import__(x)``, ``getattr(os, x)``, ``get_ipython()``), for aliases; None for any other value."""
        base = node
        while isinstance(base, ast.Attribute):
            base = base.value
        if isinstance(base, ast.Name):
            known = base.id in self.aliases
        elif isinstance(base, ast.Call):
            func = self.name(base.func)
            known = func in IMPORT_CALLS or func == "get_ipython" or self._computed(base, func, 0) is not None
        else:
            known = isinstance(base, ast.Subscript)
        return (self.name(node) or None) if known else None

    def _namespace(self, node: ast.AST, depth: int) -> str | None:
        """The prefix of the names found by subscripting ``node`` (``vars(os)``, ``os.__dict__``: ``os``;
        ``globals()``, ``__builtins__``, ``sys.modules``: none), or None when it is no namespace."""
        if isinstance(node, ast.Call):
            func = self.name(node.func, depth + 1)
            if func not in NAMESPACE_CALLS:
                return None
            return (self.name(node.args[0], depth + 1) or None) if node.args else ""
        if isinstance(node, ast.Attribute) and node.attr == "__dict__":
            return self.name(node.value, depth + 1) or None
        return "" if self.name(node, depth + 1) in {"__builtins__", "builtins", "sys.modules"} else None

    def _lookup(self, space: str, key_node: ast.AST, depth: int) -> str:
        """``space.key`` for a folded key; with no space the key names a module or a name of the cell."""
        key = self.fold(key_node, depth + 1)
        if not isinstance(key, str) or not DOTTED_NAME.fullmatch(key):
            return ""
        if space:
            return _unbuiltin(f"{space}.{key}")
        head, _, rest = key.partition(".")
        full = self.aliases.get(head, head)
        return _unbuiltin(f"{full}.{rest}" if rest else full)

    # -- calls

    def _call(self, node: ast.Call, depth: int) -> Any:
        fold = self.fold
        func = node.func
        args = node.args
        function = self._callee(func, depth)
        if function is not None:
            values = [fold(a, depth + 1) for a in args]
            keywords = {k.arg: fold(k.value, depth + 1) for k in node.keywords if k.arg}
            return self._invoke(function, values, keywords, depth)
        name = self.name(func, depth + 1)
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
            if method in {"split", "rsplit"} and len(args) <= 2:
                base = fold(func.value, depth + 1)
                sep = fold(args[0], depth + 1) if args else None
                limit = fold(args[1], depth + 1) if len(args) > 1 else -1
                if isinstance(base, (str, bytes)) and (sep is None) == (not args) and isinstance(limit, int):
                    return _cap(getattr(base, method)(sep, limit))
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
            if method == "get" and args:
                base = fold(func.value, depth + 1)
                if isinstance(base, dict):
                    key = fold(args[0], depth + 1)
                    return base[key] if key in base or len(args) < 2 else fold(args[1], depth + 1)
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
        module = name.split(".", 1)[0]
        if short == "decompress" and args and module in {"zlib", "gzip", "bz2", "lzma"}:
            value = fold(args[0], depth + 1)
            wbits = fold(args[1], depth + 1) if len(args) > 1 and module == "zlib" else zlib.MAX_WBITS
            if isinstance(value, bytes) and isinstance(wbits, int):
                self.methods.add(module)
                return _decompress(module, value, wbits)
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
            if key in {"zlib", "zlibcodec", "zip"} and isinstance(value, bytes):
                self.methods.add("zlib")
                return _decompress("zlib", value, zlib.MAX_WBITS)
            if key == "unicodeescape" and isinstance(value, (str, bytes)):
                return codecs.decode(value, "unicode_escape")
            if isinstance(value, bytes):
                return value.decode(codec, "replace")
            return None
        if name == "chr" and len(args) == 1:
            value = fold(args[0], depth + 1)
            if isinstance(value, int) and 0 <= value < 0x110000:
                self.methods.add("chr")
                return chr(value)
            return None
        if name == "map" and len(args) == 2:
            items = fold(args[1], depth + 1)
            if not isinstance(items, (list, str, bytes)):
                return None
            out = [self._apply(args[0], item, depth + 1) for item in list(items)[:MAX_ITEMS]]
            return None if any(item is None for item in out) else out
        if name in {"str", "bytes", "bytearray"} and args and (len(args) > 1 or node.keywords):
            value = fold(args[0], depth + 1)  # str(data, 'utf-8'), bytes(text, encoding='utf-8')
            codec = fold(args[1], depth + 1) if len(args) > 1 else next(
                (fold(k.value, depth + 1) for k in node.keywords if k.arg == "encoding"), "utf-8")
            if isinstance(codec, str) and name == "str" and isinstance(value, bytes):
                return value.decode(codec, "replace")
            if isinstance(codec, str) and name != "str" and isinstance(value, str):
                return value.encode(codec, "replace")
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
        if name == "int" and 1 <= len(args) <= 2:
            value = fold(args[0], depth + 1)
            radix = fold(args[1], depth + 1) if len(args) > 1 else 10
            if isinstance(value, int) and len(args) == 1:
                return value
            return int(value, radix) if isinstance(value, (str, bytes)) and isinstance(radix, int) else None
        if name == "ord" and len(args) == 1:
            value = fold(args[0], depth + 1)
            return ord(value) if isinstance(value, str) and len(value) == 1 else None
        if name in {"os.path.join", "posixpath.join", "Path", "pathlib.Path"} and args:
            parts = [fold(a, depth + 1) for a in args]
            if all(isinstance(p, str) for p in parts):
                return "/".join(p.rstrip("/") for p in parts)
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


def _unbuiltin(name: str) -> str:
    """``builtins.exec`` and ``__builtins__.exec`` are ``exec``."""
    if "builtins" not in name:
        return name
    for prefix in ("builtins.", "__builtins__."):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _cap(value: Any) -> Any:
    if isinstance(value, (str, bytes)) and len(value) > MAX_FOLD or isinstance(value, list) and len(value) > MAX_ITEMS:
        raise ValueError("folded value too long")
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


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _one_expression(node: ast.FunctionDef) -> bool:
    """Could ``def`` be a one-expression function (a docstring at most, then ``return``)?"""
    return len(node.body) <= 2 and type(node.body[-1]) is ast.Return and not node.decorator_list


def _bound_names(stmt: ast.Assign | ast.AnnAssign | ast.AugAssign) -> set[str]:
    """The plain names an assignment binds (``a``, ``a, b``; not ``self.a`` or ``d[k]``)."""
    names, todo = set(), list(stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
    while todo:
        target = todo.pop()
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            todo.extend(target.elts)
        elif isinstance(target, ast.Starred):
            todo.append(target.value)
    return names


def _root_name(node: ast.AST | None) -> str:
    """``a`` for ``a``, ``a.b.c``; empty for anything else."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _decoding(root: ast.AST) -> bool:
    """Does the code decode something or look it up by a computed name (``DECODING_CALLS``, ``''.join``,
    ``[::-1]``, ``codecs.decode(x, 'rot13')``, a lambda)?  Its result is worth following to its uses."""
    for node in ast.walk(root):
        kind = type(node)
        if kind is ast.Call:
            func = node.func
            name = func.attr if type(func) is ast.Attribute else func.id if type(func) is ast.Name else ""
            if name in DECODING_CALLS or name == "decode" and node.args:
                return True
            if name == "join" and type(func) is ast.Attribute and type(func.value) is ast.Constant and not func.value.value:
                return True
        elif kind is ast.Lambda or kind is ast.Slice and node.step is not None:
            return True
    return False


def _grows_list(stmt: ast.Expr) -> bool:
    """``name.append(x)`` or ``name.extend([...])`` as a statement: it changes a list the cell may run."""
    call = stmt.value
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and \
        call.func.attr in {"append", "extend"} and isinstance(call.func.value, ast.Name) and len(call.args) == 1


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
        self.loose_env: dict[str, Any] = {}  # values with unknown parts as {name}, for commands and `$name`
        self.folder = _Folder(self.env, self.aliases)
        self.string_ctx: dict[int, str] = {}  # id(node) -> context override
        # focused walk: names bound where the prefilter saw something, and the lines that use them
        self.bound: set[str] = set()
        self.decoded: set[str] = set()  # the bound names that hold decoded values (what is made from them is too)
        self.related: list[int] = []  # sorted line numbers
        self.everything = False  # too many: every statement counts as related

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
        if self.folder.exhausted:
            self.analysis.notes.append("string folding stopped at its work limit; some values were not decoded")

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
            elif kind is ast.Assign or kind is ast.AnnAssign or kind is ast.AugAssign or kind is ast.FunctionDef and (
                    _one_expression(node)):
                assigns.append(node)
            elif kind is ast.Expr and isinstance(node.value, (ast.Constant, ast.JoinedStr)):
                self._mark(node.value, INERT)  # docstrings and bare strings
            elif kind is ast.Expr and _grows_list(node):
                assigns.append(node)

    def _hit(self, node: ast.AST) -> bool:
        """Does the statement cover a line where the prefilter saw something?"""
        focus = self.focus
        index = bisect.bisect_left(focus, node.lineno)
        return index < len(focus) and focus[index] <= (node.end_lineno or node.lineno)

    def _visit_body(self, body: list[ast.stmt]) -> None:
        """Walk only the statements that contain prefilter hits.

        Simple assignments and imports are always kept, because an obfuscated
        name is often assembled a few statements before the line that uses it
        and aliases name the modules.  A line without a hit counts as one when
        it uses a name assigned a decoded value or a module where there was one
        (``n = b64decode(...)`` then ``getattr(os, n)(c)``; ``m = __import__(...)``
        then ``m.run(...)``).
        """
        for stmt in body:
            kind = type(stmt)
            if kind is ast.Import or kind is ast.ImportFrom:
                hit = self._hit(stmt)
                self._import(stmt, facts=hit)
                if hit:  # import subprocess as sp ... sp.run([...]): the alias hides the word
                    self._note_bound({a.asname or a.name for a in stmt.names
                                      if a.asname or kind is ast.ImportFrom and a.name != "*"})
                continue
            hit = self._hit(stmt) or self._related(stmt)
            if kind is ast.FunctionDef and _one_expression(stmt):
                self.assigns.append(stmt)  # a one-line decoder: def d(s): return b64decode(s)
                if hit and self._decoding(stmt):
                    self._note_bound({stmt.name}, decoded=True)
            if kind is ast.Expr and _grows_list(stmt):
                self.assigns.append(stmt)
                if not hit:
                    continue
            if kind is ast.Assign or kind is ast.AnnAssign or kind is ast.AugAssign:
                if hit:
                    self._walk(stmt)
                    if stmt.value is not None and self._decoding(stmt.value):
                        self._note_bound(_bound_names(stmt), decoded=True)
                    elif _root_name(stmt.value) in self.bound:  # run = sp.run
                        self._note_bound(_bound_names(stmt))
                else:
                    self.assigns.append(stmt)
                    # long constants may be encoded payloads used elsewhere (base64 lists in a loop)
                    value = stmt.value
                    items = value.elts if type(value) in (ast.List, ast.Tuple) else (value,)
                    for node in items:
                        if type(node) is ast.Constant and isinstance(node.value, str) and len(node.value) >= 16:
                            self.strings.append(node)
                continue
            if not hit:
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

    def _related(self, stmt: ast.stmt) -> bool:
        """Does the statement cover a line that uses a name bound at a hit?"""
        if self.everything:
            return True
        related = self.related
        index = bisect.bisect_left(related, stmt.lineno)
        return index < len(related) and related[index] <= (stmt.end_lineno or stmt.lineno)

    def _decoding(self, root: ast.AST) -> bool:
        """Is the value decoded (``_decoding``) or made from a name that was?  Then its uses are followed."""
        decoded = self.decoded
        return _decoding(root) or bool(decoded) and any(type(n) is ast.Name and n.id in decoded for n in ast.walk(root))

    def _note_bound(self, names: set[str], decoded: bool = False) -> None:
        """Names bound at a hit: the lines that use them become related.  Past ``MAX_BOUND`` names or
        ``MAX_RELATED`` lines the focus gives up and every statement is walked (linear, like a full walk)."""
        if decoded:
            self.decoded |= names
        new = names - self.bound
        if not new or self.everything:
            return
        self.bound |= new
        if len(self.bound) > MAX_BOUND:
            self.everything = True
            return
        source, found = self.analysis.source, []
        for name in new:  # str.find and a boundary check: cheaper than compiling a regex per batch
            start = source.find(name)
            while start >= 0:
                end = start + len(name)
                if not (start and _word_char(source[start - 1]) or end < len(source) and _word_char(source[end])):
                    found.append(start)
                    if len(found) > MAX_RELATED:
                        self.everything = True
                        return
                    end = source.find("\n", end)  # one use a line is enough
                    if end < 0:
                        break
                start = source.find(name, end)
        lines, line, last = set(), 1, 0
        for start in sorted(found):
            line += source.count("\n", last, start)
            last = start
            lines.add(line)
        if lines:
            self.related = sorted(lines.union(self.related))

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
        """The dotted name of a call target: ``__import__('os').system`` and ``getattr(os, x)`` are ``os.system``."""
        return self.folder.name(node)

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

    def _import(self, node: ast.AST, facts: bool = True) -> None:
        """Import facts and aliases; with ``facts=False`` only the aliases (an import line the prefilter passed over)."""
        if isinstance(node, ast.Import):
            for alias in node.names:
                if facts:
                    self._fact("import", alias.name, node)
                self.aliases[(alias.asname or alias.name).split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        else:
            module = node.module or ""
            if node.level:
                return  # relative imports name the user's own code
            if facts:
                self._fact("import", module, node)
            for alias in node.names:
                if alias.name != "*":
                    if facts:
                        self._fact("import", f"{module}.{alias.name}", node)
                    self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}"

    def _assign(self, node: ast.AST) -> None:
        """Remember what an assignment binds: folded values in ``env``, modules and attributes in ``aliases``.

        The cell's last binding of a name wins, for every use (a call in a
        function defined above the assignment still sees the value).
        """
        if isinstance(node, ast.FunctionDef):
            if (function := self.folder.function(node)) is not None:
                self.env[node.name] = function
            return
        if isinstance(node, ast.Expr):  # argv.append(x) / argv.extend([...]) on a list built above
            self._grow(node.value)
            return
        if node.value is None:
            return
        value = self.folder.fold(node.value)
        self._derive(node.value, value)
        if isinstance(node, ast.AugAssign):
            old = self.env.get(node.target.id) if isinstance(node.target, ast.Name) else None
            if isinstance(node.op, ast.Add) and type(old) is type(value) and isinstance(value, (str, bytes, list)):
                self.env[node.target.id] = old + value if len(old) + len(value) <= MAX_FOLD else old
            return
        for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
            self._bind(target, node.value, value)

    def _grow(self, call: ast.Call) -> None:
        """``argv.append(x)`` / ``argv.extend([...])``: the list grows, in ``env`` while every item is known and
        in ``loose_env`` (unknown items as ``{name}``) always."""
        name, arg = call.func.value.id, call.args[0]
        if call.func.attr == "append":
            known, loose = [self.folder.fold(arg)], [self._loose_part(arg, 0)]
        elif isinstance(arg, (ast.List, ast.Tuple)):
            known, loose = [self.folder.fold(e) for e in arg.elts], self._loose(arg)
        else:
            return
        base = self.loose_env.get(name, self.env.get(name))
        if isinstance(base, list) and len(base) + len(loose) <= MAX_ITEMS:
            self.loose_env[name] = [*base, *loose]
        current = self.env.get(name)
        if isinstance(current, list) and all(isinstance(k, (str, int)) for k in known):
            self.env[name] = [*current, *known]

    def _bind(self, target: ast.AST, expr: ast.AST, value: Any) -> None:
        if isinstance(target, ast.Name):
            if value is not None:
                self.env[target.id] = value
            elif (name := self.folder.reference(expr)) is not None:
                self.aliases[target.id] = name  # m = __import__(x); s = getattr(os, y)
            elif isinstance(expr, (ast.JoinedStr, ast.BinOp, ast.List, ast.Tuple, ast.IfExp, ast.Call)):
                loose = self._loose(expr)  # cmd = f"run.py {flag}" with flag unknown: for `!python $cmd`
                if loose is not None and len(self.loose_env) < MAX_ITEMS:
                    self.loose_env[target.id] = loose
        elif isinstance(target, (ast.Tuple, ast.List)) and not any(isinstance(t, ast.Starred) for t in target.elts):
            parts = expr.elts if isinstance(expr, (ast.Tuple, ast.List)) else None
            if parts is not None and len(parts) == len(target.elts):
                values = value if isinstance(value, list) else [self.folder.fold(p) for p in parts]
                for sub, part, item in zip(target.elts, parts, values, strict=True):
                    self._bind(sub, part, item)
            elif isinstance(value, list) and len(value) == len(target.elts):
                for sub, item in zip(target.elts, value, strict=True):
                    self._bind(sub, expr, item)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and value is not None:
            container, key = self.env.get(target.value.id), self.folder.fold(target.slice)
            if isinstance(container, dict) and isinstance(key, (str, int)) and len(container) < MAX_ITEMS:
                container[key] = value  # d['cmd'] = b64decode(...)
            elif isinstance(container, list) and isinstance(key, int) and -len(container) <= key < len(container):
                container[key] = value

    def _derive(self, expr: ast.AST, value: Any) -> None:
        """A string assembled at run time (chr lists, base64, concatenation) may be used anywhere later:
        record it, alone or as an item of a literal list, tuple or dict."""
        if isinstance(expr, (ast.Call, ast.BinOp, ast.Subscript)) and isinstance(value, (str, bytes)):
            self._derived(value, expr, CODE, "+".join(sorted(self.folder.methods)) or "concat")
        elif isinstance(expr, (ast.List, ast.Tuple)) and isinstance(value, list):
            for item, folded in zip(expr.elts[:64], value, strict=False):
                self._derive(item, folded)
        elif isinstance(expr, ast.Dict) and isinstance(value, dict):
            for key, item in zip(expr.keys[:64], expr.values, strict=False):
                if isinstance(key, ast.Constant) and isinstance(key.value, (str, int)):
                    self._derive(item, value.get(key.value))

    def _fold_arg(self, node: ast.Call, index: int, keyword: str, loose: bool = False) -> Any:
        expr = node.args[index] if 0 <= index < len(node.args) else next(
            (kw.value for kw in node.keywords if kw.arg == keyword), None)
        if expr is None:
            return None
        value = self.folder.fold(expr)
        return self._loose(expr) if value is None and loose else value

    def _loose(self, expr: ast.AST, depth: int = 0) -> Any:
        """A command line whose parts are not all known: unknown parts become ``{name}`` (``sys.executable`` is
        ``python``).  Lists, f-strings, ``+``, ``%`` and ``.format`` are read this way, ``a if c else b`` as
        ``a``, and a name bound earlier to such a value as that value."""
        if depth > 8:
            return None
        if isinstance(expr, (ast.List, ast.Tuple)) and expr.elts:
            items = [self.folder.fold(e) for e in expr.elts[:4096]]
            return [v if isinstance(v, (str, int)) else self._loose_part(e, depth)
                    for v, e in zip(items, expr.elts[:4096], strict=True)]
        if isinstance(expr, ast.JoinedStr):
            parts = []
            for value in expr.values:
                if isinstance(value, ast.Constant):
                    parts.append(str(value.value))
                elif isinstance(value, ast.FormattedValue):
                    parts.append(self._loose_part(value.value, depth))
            return "".join(parts)
        if isinstance(expr, ast.Name):
            return self.loose_env.get(expr.id)
        if isinstance(expr, ast.IfExp):
            return self._loose_part(expr.body, depth)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            left, right = self._loose_part(expr.left, depth), self._loose_part(expr.right, depth)
            return left + right
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod) and isinstance(expr.left, ast.Constant) \
                and isinstance(expr.left.value, str):
            values = expr.right.elts if isinstance(expr.right, ast.Tuple) else [expr.right]
            parts = iter([self._loose_part(v, depth) for v in values])
            return re.sub(r"%[-+ #0]*\d*(?:\.\d+)?[sdirfx]", lambda m: next(parts, m.group(0)), expr.left.value)
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "format" \
                and isinstance(expr.func.value, ast.Constant) and isinstance(expr.func.value.value, str):
            parts = iter([self._loose_part(a, depth) for a in expr.args])
            named = {k.arg: self._loose_part(k.value, depth) for k in expr.keywords if k.arg}
            return re.sub(r"\{(\w*)[^{}]*\}", lambda m: named.get(m.group(1)) or next(parts, m.group(0)),
                          expr.func.value.value)
        return None

    def _loose_part(self, expr: ast.AST, depth: int) -> str:
        value = self.folder.fold(expr)
        if isinstance(value, (str, int)):
            return str(value)
        if dotted(expr) == "sys.executable":
            return "python"
        loose = self._loose(expr, depth + 1)
        if isinstance(loose, list):
            return " ".join(map(str, loose))
        return loose if isinstance(loose, str) else _placeholder(expr)

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


_CD_LINE = re.compile(r"^[ \t]*(?:%cd|!cd|cd)[ \t]+([^\s;&|]+)", re.M)


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
        self.cwd = ""  # where the last %cd or !cd of the cells so far left the kernel

    def add(self, source: str, cell: int | None = None, matches: list | None = None) -> None:
        if len(source) <= MAX_DEEP_BYTES:
            self.entries = (self.entries + [EarlierCell(source, cell, matches)])[-self.limit :]
            self._unfolded = (self._unfolded + [source])[-self.limit :]
            moves = _CD_LINE.findall(source)
            if moves:
                self.cwd = moves[-1].strip("'\"").rstrip("/")

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
    analysis = Analysis(source=source, kind=kind, lines=source.split("\n"), cwd=earlier.cwd if earlier else "")
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
    tree = _parse(python, analysis.notes)
    env: dict[str, Any] = {}
    if tree is not None:
        analysis.parsed = True
        walker = _PythonPass(analysis, tree, depth, sorted(focus) if focus is not None else None)
        try:
            walker.run()
        except RecursionError:
            analysis.notes.append("code nested too deeply; analysis incomplete")
        env = {**walker.loose_env, **walker.env}  # a known value wins over a loose reading of the same name
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


_PY2_PRINT = re.compile(r"^([ \t]*)print(?:[ \t]+(?![ \t]*[(=.,])(.*?)|[ \t]*)[ \t]*(#.*)?$", re.M)
_LEADING_TABS = re.compile(r"^[ \t]+", re.M)
_PY2_PRINT_TO = re.compile(r"^([ \t]*)print\(>>[ \t]*([\w.]+)[ \t]*,[ \t]*(.*)\)[ \t]*$", re.M)
_PY2_LONG = re.compile(r"\b(\d+)[lL]\b")
_PY2_OCTAL = re.compile(r"([^\w.])0([0-7]+)\b")
_PY2_EXCEPT = re.compile(r"^([ \t]*except[ \t]+[\w.()\s,]*?)[ \t]*,[ \t]*(\w+)[ \t]*:", re.M)


def _parse(python: str, notes: list[str]) -> ast.Module | None:
    """The AST, or None with a note.

    Python 2 scripts (old security tools often are) are read as Python 3
    after their ``print`` statements, ``except X, e`` clauses and the like
    are rewritten, line numbers unchanged.  A unit that still does not parse
    is read block by block (top-level statements), so one broken statement
    costs only its own block.
    """
    try:
        return ast.parse(python)
    except SyntaxError as exc:
        error = exc
    except (ValueError, RecursionError, MemoryError) as exc:
        notes.append(f"cannot parse ({type(exc).__name__}); text-level checks only")
        return None
    tree = _parse_py2(python)
    if tree is not None:
        notes.append("read as Python 2")
        return tree
    tree = _parse_blocks(python)
    if tree is not None:
        notes.append(f"syntax error at line {error.lineno}: {error.msg}; the other top-level blocks were analysed")
        return tree
    notes.append(f"syntax error at line {error.lineno}: {error.msg}; text-level checks only")
    return None


def _parse_py2(python: str) -> ast.Module | None:
    if "print" not in python and "except" not in python and "<>" not in python:
        return None
    converted = python.replace("\r\n", "\n")  # a \r left inside print(...) would count as a line break
    converted = _PY2_PRINT.sub(lambda m: f"{m.group(1)}print({m.group(2) or ''})", converted)
    converted = _PY2_EXCEPT.sub(r"\1 as \2:", converted)
    converted = _PY2_PRINT_TO.sub(r"\1print(\3, file=\2)", converted)
    converted = converted.replace("<>", "!=")
    converted = _PY2_LONG.sub(r"\1", _PY2_OCTAL.sub(r"\g<1>0o\2", converted))
    if "\t" in converted:  # Python 2 read a leading tab as up to eight columns; Python 3 refuses the mix
        converted = _LEADING_TABS.sub(lambda m: m.group(0).expandtabs(8), converted)
    if converted == python:
        return None
    try:
        return ast.parse(converted)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


_BLOCK_START = re.compile(r"^(?![ \t#)\]}]|$|else\b|elif\b|except\b|finally\b)", re.M)
MAX_BLOCKS = 2000


def _parse_blocks(python: str) -> ast.Module | None:
    """Parse each top-level block on its own and keep the ones that parse (None when none or one does)."""
    starts = [m.start() for m in _BLOCK_START.finditer(python)]
    if len(starts) < 2 or len(starts) > MAX_BLOCKS:
        return None
    body: list[ast.stmt] = []
    failed = 0
    for begin, end in zip(starts, [*starts[1:], len(python)], strict=True):
        chunk = python[begin:end]
        try:
            tree = ast.parse(chunk)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            tree = _parse_py2(chunk)
        if tree is None:
            failed += 1
            continue
        ast.increment_lineno(tree, python.count("\n", 0, begin))
        body.extend(tree.body)
    return ast.Module(body=body, type_ignores=[]) if body and failed else None


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
