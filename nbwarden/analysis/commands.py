"""Shell facts: a command line or script (``!cmd``, ``%%bash``, ``subprocess.run(..., shell=True)``) parsed by
:mod:`nbwarden.shell` into command, pip, apt, git, download and URL facts, with ``NAME=value`` variables filled in
and the launcher facts of a ``cd``: ``cd roop && python run.py`` also runs ``roop/run.py``."""

from __future__ import annotations

import re
import shlex

from .. import embedded, shell
from . import shellfold
from .facts import EXEC, MAX_DEPTH, Analysis, Fact, clip
from .nesting import _nested, _writefile


def add_shell(analysis: Analysis, text: str, line: int, via: str, context: str = EXEC, depth: int = 0,
              evidence: str = "") -> None:
    """Record the facts of a shell command line (or a script)."""
    if "\n" in text.strip():
        # a script: keep line numbers per line, honouring continuations and NAME=value variables
        logical = ""
        start = line
        variables: dict[str, str] = {}
        aliases: dict[str, str] = {}
        functions: dict[str, str] = {}  # one-line shell functions, for the substitutions that call them
        raws = text.split("\n")
        skip_to = -1
        for offset, raw in enumerate(raws):
            if offset <= skip_to:
                continue  # the body of a here-document read as the file it writes (below)
            if not logical:
                start = line + offset
                skip_to = _embedded_heredoc(analysis, raws, offset, line, via, context, depth, variables)
                if skip_to < 0:
                    skip_to = _embedded_echo(analysis, raws, offset, line, via, context, depth)
                if skip_to > offset:
                    continue
            if not logical and raw.lstrip().startswith("#"):
                continue  # a comment: a backslash at its end continues nothing (#aria2c ... \ above the real line)
            if raw.rstrip().endswith(("\\", " ^", " `")):  # POSIX, Windows batch and PowerShell continuations
                logical += raw.rstrip()[:-1] + " "
                continue
            logical += raw
            if ARRAY_OPEN.match(logical) and logical.count("(") > logical.count(")") and offset + 1 < len(raws):
                logical += " "  # seg=( "part1" \n "part2" \n ): an array written over several lines
                continue
            if (defined := shellfold.function(logical)) is not None and len(functions) < 64:
                functions[defined[0]] = defined[1]
            steps = _steps(logical)
            if len(steps) > 1 and all(SHELL_ASSIGN.match(step) or ARRAY_ASSIGN.match(step) for step in steps):
                logical = steps[-1]  # root=/srv; port=8080: each set in turn
                for step in steps[:-1]:
                    _assign(variables, shellfold.filled(_shell_vars(step, variables), functions))
            assignment = SHELL_ASSIGN.match(shellfold.filled(logical, functions)) or ARRAY_ASSIGN.match(logical)
            named = shellfold.alias(logical)
            if named is not None:
                aliases[named[0]] = shellfold.filled(named[1])
            if assignment:
                _assign(variables, shellfold.filled(_shell_vars(logical, variables), functions) if not
                        ARRAY_ASSIGN.match(logical) else logical)
            elif (loop := _FOR_WORDS.match(logical)) and "$" in loop.group(3):
                for word in _shell_vars(loop.group(2), variables).split()[:MAX_LOOP_WORDS]:
                    each = {**variables, loop.group(1): word}  # for v in s1 s2; do eval "${!v} &"; done
                    add_shell(analysis, _shell_vars(loop.group(3), each), start, f"{via} for {loop.group(1)}".strip(),
                              context, depth, clip(logical, 200))
            elif logical.strip() and not logical.lstrip().startswith("#"):
                filled = shellfold.with_aliases(shellfold.filled(_shell_vars(logical, variables), functions), aliases)
                shown = f"{clip(logical, 100)}  ⇒  {clip(filled, 120)}" if filled != logical else ""
                # a line the script's variables filled in is not verbatim in the source: its text is read again
                reached = f"{via} $variables".strip() if filled != logical else via
                if filled != logical:  # the line as it runs, for the patterns written for whole lines
                    analysis.facts.append(Fact("text", filled, context, start, shown, reached))
                add_shell(analysis, filled, start, reached, context, depth, shown)
            logical = ""
        return
    line += text[:len(text) - len(text.lstrip())].count("\n")  # one command after blank lines: its own line
    text = shellfold.filled(text)  # $(command -v ab), $(printf '\141...'): the text each gives
    steps = _assigned_steps(text)
    if steps:  # t=hping3; $t --flood ...: one line, read step by step like a script so the name is filled in
        add_shell(analysis, "\n".join(steps) + "\n", line, via, context, depth, evidence or clip(text, 200))
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


# `cat <<EOF > compose.yaml`, `cat > compose.yaml <<'EOF'`, `tee docker-compose.yml <<-EOF`: a here-document
# written to a file (the file's name after `>` or `tee`)
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
_HEREDOC_FILE = re.compile(r"(?:>|\btee\s+(?:-a\s+)?)\s*['\"]?([^\s'\";&|<>]+)")
# `python3 - <<'PY'`, `bash -s <<EOF`, `sudo python <<EOF`: a here-document fed to an interpreter as its program
_HEREDOC_INTERPRETER = re.compile(r"^\s*(?:sudo\s+(?:-\S+\s+)*)?(python3?(?:\.\d+)?|bash|sh|zsh|dash)\b(?:\s+-[su]?)*\s*<<")


def _embedded_heredoc(analysis: Analysis, raws: list[str], offset: int, line: int, via: str, context: str,
                      depth: int, variables: dict[str, str] | None = None) -> int:
    """A here-document that writes a compose file, a CI pipeline or a Dockerfile is read as that file: its
    ``image:`` and command keys are what will run (``docker compose up`` starts them).  Returns the offset of
    the document's last line when it was read so, else -1 (the lines stay shell lines, as before).  A document fed
    to an interpreter (``python3 - <<'PY'``) is that interpreter's program, read with the script's variables so
    far as its environment; one written to a ``.py`` or ``.sh`` file is a script for later."""
    head = raws[offset]
    if "<<" not in head:
        return -1
    tag, target = _HEREDOC.search(head), _HEREDOC_FILE.search(_HEREDOC.sub(" ", head))
    fed = _HEREDOC_INTERPRETER.match(head)
    if tag is None or target is None and fed is None:
        return -1
    end = next((i for i in range(offset + 1, len(raws)) if raws[i].strip() == tag.group(2)), None)
    if end is None:
        return -1
    body = "\n".join(raws[offset + 1:end])
    if fed is not None and depth < MAX_DEPTH:  # python3 - <<'PY': the document is the program the interpreter runs
        _writefile(analysis, f"<stdin>.{'py' if fed.group(1).startswith('python') else 'sh'}", body, line + offset + 1,
                   f"{via} {fed.group(1)} <<{tag.group(2)}".strip(), variables)
        return end
    return end if _read_as_file(analysis, target.group(1), body, line + offset + 1, via, context, depth) else -1


# `echo "services: ..." > docker-compose.yml` (or printf, or inside `bash -c '...'`): a quoted text over several
# lines written to a file
_ECHO_WRITE = re.compile(r"""^[^\n]*?\b(?:echo|printf)\s+(?:-[ne]+\s+)*(["'])(.*?)(?<!\\)\1\s*>{1,2}\s*['"]?([^\s'";&|<>]+)""",
                         re.S)
MAX_ECHOED_LINES = 400


def _embedded_echo(analysis: Analysis, raws: list[str], offset: int, line: int, via: str, context: str,
                   depth: int) -> int:
    """An echoed text over several lines written to a compose file, a CI pipeline or a Dockerfile, read as that
    file like a here-document; the offset of its last line, else -1."""
    head = raws[offset]
    if "echo" not in head and "printf" not in head or head.count('"') % 2 == 0 and head.count("'") % 2 == 0:
        return -1  # the quote closes on its own line: an ordinary one-line echo
    match = _ECHO_WRITE.match("\n".join(raws[offset:offset + MAX_ECHOED_LINES]))
    if match is None or "\n" not in match.group(2):
        return -1
    body = match.group(2).replace('\\"', '"') if match.group(1) == '"' else match.group(2)
    end = offset + match.group(0).count("\n")
    return end if _read_as_file(analysis, match.group(3), body, line + offset, via, context, depth) else -1


def _read_as_file(analysis: Analysis, name: str, body: str, first: int, via: str, context: str, depth: int) -> bool:
    """Record the commands of a text written to ``name`` when the name says it runs commands (compose, CI,
    Dockerfile), numbered from line ``first``."""
    if embedded.kind_of_name(name, body) is None and name.endswith((".py", ".sh")) and depth < MAX_DEPTH:
        _writefile(analysis, name, body, first, f"{via} > {name}".strip())  # cat > run.py <<EOF: a script for later
        return True
    return add_written_file(analysis, name, body, first, f"{via} {name}".strip(), context, depth)


def add_written_file(analysis: Analysis, name: str, body: str, first: int, via: str, context: str, depth: int,
                     numbered: bool = True, limit: int | None = None) -> bool:
    """The commands of a text written to a file whose name says it runs them (a compose file, a CI pipeline, a
    Dockerfile): what ``docker compose up`` or the pipeline later runs, numbered from line ``first`` (or all at
    ``first``, the line that writes it, when the text is not written out line by line there); False for any
    other file."""
    kind = embedded.kind_of_name(name, body)
    if kind is None:
        return False
    for offset, command in enumerate(embedded.commands(kind, body).split("\n")[:limit]):
        if command.strip():
            add_shell(analysis, command, first + offset if numbered else first, via, context, depth)
    return True


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
# a bash array (args=(client --auth "u:p" host R:1080:socks)): its words, as written, stand for "${args[@]}"
ARRAY_ASSIGN = re.compile(r"^\s*(?:declare\s+-a\s+|local\s+)?([A-Za-z_]\w*)=\((.*)\)\s*$")
ARRAY_OPEN = re.compile(r"^\s*(?:declare\s+-a\s+|local\s+)?[A-Za-z_]\w*=\(")
_ARRAY_USE = re.compile(r"\"?\$\{([A-Za-z_]\w*)\[([@*])\]\}\"?")


def _array(match: re.Match, variables: dict[str, str]) -> str:
    """``"${a[@]}"``: the array's words as written; ``"${a[*]}"``: its words joined by IFS's first character
    (``IFS=; j="${parts[*]}"`` glues ``(x m r i g)`` into ``xmrig``)."""
    words = variables.get(f"{match.group(1)}[@]")
    if words is None:
        return match.group(0)
    if match.group(2) == "*" and "IFS" in variables:
        try:
            return variables["IFS"][:1].join(shlex.split(words))
        except ValueError:
            return match.group(0)
    return words


def _assign(variables: dict[str, str], step: str) -> None:
    """Record one ``NAME=value`` or ``NAME=(words...)`` step."""
    array = ARRAY_ASSIGN.match(step)
    if array:
        variables[f"{array.group(1)}[@]"] = array.group(2).strip()
        return
    plain = SHELL_ASSIGN.match(step)
    if plain:
        variables[plain.group(1)] = plain.group(2).strip("'\"")


# a line's pieces: a quoted string (to its end if unclosed), a step separator, or text between them
_STEP_PARTS = re.compile(r"'[^']*'?|\"[^\"]*\"?|&&|;|[^'\";&]+|&")


def _steps(text: str) -> list[str]:
    """The ``;``/``&&``-separated steps of one line (outside quotes); linear in the line (a megabyte line of a
    fuzzed cell took minutes when the steps were built character by character)."""
    steps: list[str] = []
    current: list[str] = []
    for piece in _STEP_PARTS.findall(text):
        if piece == ";" or piece == "&&":
            steps.append("".join(current))
            current = []
        else:
            current.append(piece)
    steps.append("".join(current))
    return [step.strip() for step in steps if step.strip()]


def _assigned_steps(text: str) -> list[str]:
    """The ``;``/``&&``-separated steps of a one-line command whose first step sets a variable a later step reads
    (outside quotes); [] otherwise."""
    if "$" not in text or not re.match(r"\s*(?:export\s+)?[A-Za-z_]\w*=", text):
        return []
    steps = _steps(text)
    return steps if len(steps) > 1 and SHELL_ASSIGN.match(steps[0]) else []


# for v in a b c; do ...; done on one line: the body is read once for each word (a loop over the script's own
# variable names or commands names its programs only through the loop variable)
_FOR_WORDS = re.compile(r"^\s*for\s+([A-Za-z_]\w*)\s+in\s+([^;]*?)\s*;\s*do\s+(.*?)\s*;?\s*done\s*$")
MAX_LOOP_WORDS = 8


def _shell_vars(line: str, variables: dict[str, str]) -> str:
    if not variables or "$" not in line:
        return line
    if "[" in line:
        line = _ARRAY_USE.sub(lambda m: _array(m, variables), line)
    if "${" in line:
        line = _EXPANSION.sub(lambda m: _expanded(m, variables), line)
    return re.sub(r"\$\{?([A-Za-z_]\w*)\}?", lambda m: variables.get(m.group(1), m.group(0)), line)


# ${!name} (the variable name holds), ${v:2:3} (a substring), ${v%suffix}, ${v#prefix}: bash's own expansions
_EXPANSION = re.compile(r"\$\{(!?)([A-Za-z_]\w*)(?::(\d+)(?::(\d+))?|(%%?|##?)([^}]*))?\}")


def _expanded(match: re.Match, variables: dict[str, str]) -> str:
    indirect, name, offset, length, cut, pattern = match.groups()
    value = variables.get(name)
    if indirect:
        value = variables.get(value) if value is not None else None
    if value is None:
        return match.group(0)
    if offset is not None:
        start = int(offset)
        return value[start:start + int(length)] if length is not None else value[start:]
    if cut and pattern and not any(ch in pattern for ch in "*?["):  # (a glob would need matching: left alone)
        if cut.startswith("%"):
            return value[:-len(pattern)] if value.endswith(pattern) else value
        return value[len(pattern):] if value.startswith(pattern) else value
    return value if not cut else match.group(0)
