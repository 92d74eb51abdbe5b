"""IPython syntax: ``!cmd``, ``%magic`` and ``%%cell`` magics turned into Python placeholders (same line
numbers) and queued shell lines; ``%run`` and ``%%writefile`` recorded."""

from __future__ import annotations

import re

from .. import shell
from .facts import CODE, EXEC, INERT, Analysis, Fact
from .nesting import _writefile

CELL_MAGIC_SHELL = {"bash", "sh", "system", "!", "script"}
CELL_MAGIC_PYTHON = {"python", "python3", "capture", "time", "timeit", "prun", "debug", "pypy"}
CELL_MAGIC_INERT = {"html", "javascript", "js", "markdown", "latex", "svg", "md"}
LINE_MAGIC_SHELL = {"sx", "system", "sc"}
MAGIC_LINE = re.compile(r"^[ \t]*(?:[!%]|sudo[ \t])|=[ \t]*(?:!|%sx|%system)", re.M)
# `sudo cmd` pasted into a code cell without its `!`: no Python statement starts that way, so it is read as the
# shell line it was meant to be (a notebook kept as a list of commands for a terminal)
PASTED_SUDO = re.compile(r"sudo[ \t]+(?!(?:and|or|in|is|not|if|else|for|async|await)\b)[\w./-]")
ASSIGN_SHELL = re.compile(r"^(\s*)([\w., ]+?)\s*=\s*(!|%sx\b|%system\b)\s*(.*)$")


def script_language(args: str) -> str | None:
    """What ``%%script <args>`` runs its body with: "shell" (bash, sh), "python" (python3, python3.11), or None."""
    words = args.split()
    program = shell.program_name(words[0]) if words else ""
    return "shell" if program in shell.SHELLS else "python" if shell.PYTHONS.match(program) else None


def shell_assignment(text: str) -> re.Match | None:
    """``files = !ls`` or ``out = %sx cmd`` on one line; the regex runs only where ``=`` and a shell escape occur."""
    return ASSIGN_SHELL.match(text) if ("!" in text or "%s" in text) and "=" in text else None


def _without_leading_indent(lines: list[str]) -> list[str]:
    """IPython runs a cell whose first line is indented (pasted from inside a function) with that indentation
    taken off every line that has it; the lines keep their numbers."""
    first = next((text for text in lines if text.strip()), "")
    space = first[: len(first) - len(first.lstrip(" \t"))]
    if not space:
        return lines
    return [text[len(space):] if text.startswith(space) else text for text in lines]


def split_ipython(source: str, analysis: Analysis, env_text: list[tuple[str, int, str]]) -> str:
    """Replace IPython-only lines by Python placeholders, recording shell facts.

    Returns Python source with the same number of lines.  Shell lines are
    queued in ``env_text`` as (text, line, via) so that ``{var}`` and ``$var``
    can be filled in once the Python constants are known.
    """
    lines = _without_leading_indent(source.split("\n"))
    # a cell magic after comment lines is read as one too: IPython would refuse it there, but one deleted
    # comment makes it run, and a scanner shown such a cell judges what it is written to do
    first = next((i for i, text in enumerate(lines) if text.strip() and not text.lstrip().startswith("#")), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        header = lines[first].strip()[2:]
        name, _, args = header.partition(" ")
        name = name.strip()
        body_start = first + 1
        body = "\n".join(lines[body_start:])
        interpreter = script_language(args) if name == "script" else None
        if name in CELL_MAGIC_SHELL and (name != "script" or interpreter == "shell"):
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
        if name not in CELL_MAGIC_PYTHON and interpreter != "python":
            # an unknown cell magic: keep its text as code for literal checks
            for i in range(first, len(lines)):
                analysis.shell_lines[i + 1] = EXEC
            return "\n" * (len(lines) - 1)
        lines[first] = ""
        if args.strip() and interpreter is None:
            lines[first] = args  # %%time x = 1 -> runs `x = 1` (%%script python3 --bg runs its body)
    if not MAGIC_LINE.search("\n".join(lines)):
        return "\n".join(lines)  # plain Python: nothing to rewrite
    out: list[str] = []
    i = 0
    in_string = None  # the open triple quote: IPython does not rewrite lines inside a string
    continued = _Continuation()
    while i < len(lines):
        text = lines[i]
        stripped = text.lstrip()
        indent = text[: len(text) - len(stripped)]
        lineno = i + 1
        if in_string:
            out.append(text)
            closing = in_string
            in_string = _open_triple(text, in_string)
            if in_string is None:  # the code after the closing quote: `""")` closes a bracket
                continued.add(text[text.find(closing) + 3:])
            i += 1
            continue
        pasted = PASTED_SUDO.match(stripped) is not None and not continued.inside()
        if (stripped.startswith("!") and not stripped.startswith("!=")
                or stripped.startswith("%") and not stripped.startswith("%%") and not continued.inside() or pasted):
            # join continuation lines of a shell escape
            command = "!" + stripped if pasted else stripped
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
        match = shell_assignment(text)
        if match and not stripped.startswith("#"):
            command = ("!" if match.group(3) == "!" else "%sx ") + match.group(4)
            _line_magic(analysis, command, lineno, env_text)
            analysis.shell_lines[lineno] = EXEC
            out.append(f"{match.group(1)}{match.group(2)} = None")
            i += 1
            continue
        out.append(text)
        continued.add(text)
        if "\"\"\"" in text or "'''" in text:
            in_string = _open_triple(text, None)
        i += 1
    return "\n".join(out)


_TRIPLE = re.compile(r"\"\"\"|'''|#")

# what can change the bracket depth of a line: a string on one line, a comment, a bracket
_BRACKET_TOKEN = re.compile(r"""'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|#.*|[()\[\]{}]""")


class _Continuation:
    """Is the next line the continuation of a statement (inside open brackets, or after a backslash)?

    IPython reads ``!`` and ``%`` as escapes only at the start of a statement: the ``% (a, b)`` line of a
    string formatting split over lines is Python.  (A ``!`` line is read as a shell line wherever it is: Python
    has no ``!`` operator, and a broken cell is still read for what it would run.)  The code lines are kept as
    they come and read only when a ``%`` line asks.
    """

    def __init__(self) -> None:
        self.pending: list[str] = []
        self.depth = 0
        self.backslash = False

    def add(self, code: str) -> None:
        self.pending.append(code)

    def inside(self) -> bool:
        for text in self.pending:
            if "\"\"\"" in text or "'''" in text:  # a triple-quoted string opens: its brackets are text
                text = text[: min(p for p in (text.find("\"\"\""), text.find("'''")) if p >= 0)]
            for token in _BRACKET_TOKEN.findall(text):
                if token in "([{":
                    self.depth += 1
                elif token in ")]}":
                    self.depth = max(0, self.depth - 1)
            self.backslash = text.rstrip().endswith("\\") and "#" not in text
        self.pending.clear()
        return self.depth > 0 or self.backslash


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


# %env PHONE=+1555..., %env PHONE +1555..., %set_env PHONE=...: a variable set for the code that follows
ENV_MAGIC = re.compile(r"^\s*([A-Za-z_]\w*)(?:\s*=\s*|\s+)(\S.*)$")
MAX_MAGIC_ENV = 64


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
        if name in {"env", "set_env"} and (set_to := ENV_MAGIC.match(rest)) and len(analysis.environ) < MAX_MAGIC_ENV:
            analysis.environ[set_to.group(1)] = set_to.group(2).strip().strip("'\"")  # os.environ['PHONE'] reads it
