"""Shell command lines turned into the argv lists that actually run.

The engine cares about the program that runs and its arguments, not about
shell syntax.  This module splits a command line on ``;``, ``&&``, ``|`` and
friends, drops redirections, unwraps launchers such as ``sudo``, ``nohup``,
``env`` and ``bash -c``, and pulls out the things the rules talk about:
packages installed, repositories cloned and files downloaded.  It never
raises on bad input: a line that cannot be tokenised falls back to a plain
whitespace split.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from functools import lru_cache

from .decoding import _decoded_pipes, _piped_scripts
from .words import PYTHONS, SHELL_CLAUSES, SHELL_KEYWORDS, SHELLS, program_name, split_pipeline, tokenize

# Launchers that run the rest of their arguments as a command.  The value is
# the number of option arguments that take a value, by option name.
WRAPPERS: dict[str, dict[str, int]] = {
    "sudo": {"-u": 1, "-g": 1, "-C": 1, "-D": 1, "-h": 1, "-p": 1, "-r": 1, "-t": 1, "-U": 1},
    "doas": {"-u": 1, "-C": 1},
    "nohup": {},
    "nice": {"-n": 1},
    "ionice": {"-c": 1, "-n": 1, "-p": 1},
    "time": {"-f": 1, "-o": 1},
    "exec": {"-a": 1},
    "command": {},
    "builtin": {},
    "setsid": {},
    "stdbuf": {"-i": 1, "-o": 1, "-e": 1},
    "chrt": {},
    "taskset": {},
    "env": {"-u": 1, "-C": 1, "-S": 0},
    "timeout": {"-s": 1, "-k": 1, "--signal": 1, "--kill-after": 1},
    "xargs": {"-I": 1, "-n": 1, "-P": 1, "-d": 1, "-L": 1, "-s": 1, "-a": 1, "-E": 1},
    "proxychains": {"-f": 1},
    "proxychains4": {"-f": 1},
    "torsocks": {},
    "watch": {"-n": 1, "-d": 0},
    "unbuffer": {},
    "strace": {"-o": 1, "-e": 1, "-p": 1, "-s": 1},
    "ltrace": {"-o": 1, "-e": 1},
    "firejail": {},
    "fakeroot": {},
    "runuser": {"-u": 1, "-g": 1},
    "catchsegv": {},
    "caffeinate": {},
    "cpulimit": {"-l": 1, "-p": 1, "-e": 1, "-P": 1, "-c": 1},  # cpulimit -l 50 -- ./miner ...
    # a cluster's job step: srun -J job -N1 --time=1:00:00 prog ...
    "srun": {opt: 1 for opt in ("-J", "-N", "-n", "-c", "-p", "-t", "-A", "-o", "-e", "-w", "-G", "--job-name",
                                "--nodes", "--ntasks", "--partition", "--time", "--gres", "--gpus", "--mem",
                                "--cpus-per-task", "--account", "--output", "--error", "--nodelist", "--qos")},
    "daemonize": {"-a": 0, "-c": 1, "-e": 1, "-E": 1, "-l": 1, "-o": 1, "-p": 1, "-u": 1, "-v": 0},
    "call": {},  # Windows batch: call C:\\env\\python.exe run.py
    # Windows batch: start /b miner.exe, start "" /d %DIR% miner.exe (the quoted first word is a window title)
    "start": {"/b": 0, "/min": 0, "/max": 0, "/wait": 0, "/i": 0, "/d": 1, "/low": 0, "/normal": 0, "/high": 0,
              "/belownormal": 0, "/abovenormal": 0, "/realtime": 0, "/separate": 0, "/shared": 0},
}
# Tools whose subcommand runs the rest of their arguments as a command, in an environment or a container:
# (subcommands, options that take a value, positional words before the command: the image)
RUN_SUBCOMMANDS: dict[str, tuple[frozenset[str], dict[str, int], int]] = {
    **{tool: (frozenset({"run"}), {"-n": 1, "--name": 1, "-p": 1, "--prefix": 1, "--cwd": 1, "-e": 1,
                                   "--environment": 1, "--with": 1, "--python": 1, "--project": 1,
                                   "--manifest-path": 1}, 0)
       for tool in ("conda", "mamba", "micromamba", "pixi", "poetry", "pipenv", "pdm", "hatch", "uv")},
    **{tool: (frozenset({"exec", "run"}), {"-B": 1, "--bind": 1, "--env": 1, "--pwd": 1, "-H": 1, "--home": 1,
                                            "-W": 1, "--workdir": 1, "-o": 1, "--overlay": 1}, 1)
       for tool in ("apptainer", "singularity")},
}
# Daemon launchers that name the program in an option and pass it the words after ``--``
# (``start-stop-daemon --start --exec /usr/sbin/gotty -- -w bash``, as init scripts run services).
DAEMON_LAUNCHERS: dict[str, tuple[str, ...]] = {
    "start-stop-daemon": ("--exec", "-x", "--startas", "-a"),
}
# Wrappers whose first positional argument is not the command (timeout 10 cmd).
WRAPPER_SKIP_POSITIONAL = {"timeout": 1, "chrt": 1, "taskset": 1}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PIP_VERSIONED = re.compile(r"^pip\d")
# programs whose arguments _add_command reads for more facts
PACKAGE_TOOLS = frozenset({"pip", "pip3", "uv", "conda", "mamba", "micromamba", "pipx"})
SYSTEM_PACKAGE_TOOLS = frozenset({"apt", "apt-get", "aptitude", "yum", "dnf", "apk", "snap", "zypper", "pacman",
                                  "brew"})
GIT_TOOLS = frozenset({"git", "gh"})
DOWNLOADERS = frozenset({"wget", "curl", "aria2c", "axel", "gdown", "huggingface-cli", "hf", "rclone", "lftp"})
SESSIONS = frozenset({"screen", "tmux", "su", "script"})
CONTAINER_TOOLS = frozenset({"docker", "podman", "nerdctl", "udocker"})
PACKAGE_RUNNERS = frozenset({"npx", "bunx", "pnpx"})  # run a package's program: npx -y autocannon ...
# `docker run` options that take a value (the others are flags); --entrypoint names the program
_CONTAINER_VALUE_OPTS = frozenset({
    "-p", "--publish", "-v", "--volume", "-e", "--env", "--env-file", "--name", "-w", "--workdir", "-u", "--user",
    "--network", "--net", "--restart", "-m", "--memory", "--cpus", "--gpus", "-l", "--label", "--mount", "-h",
    "--hostname", "--add-host", "--device", "--log-opt", "--log-driver", "--shm-size", "--ulimit", "--platform",
    "--pull", "--runtime", "--security-opt", "--cap-add", "--cap-drop", "--ipc", "--pid", "--dns", "--expose",
    "--entrypoint", "--cidfile", "--tmpfs", "--sysctl", "--volumes-from", "--link", "--stop-signal"})
SCREEN_VALUE_OPTS = frozenset("SceHhpstT")  # screen's options that take a value
SCREEN_FLAGS = frozenset("dmLaAiqRrUOxDfl")  # and some that take none
SOURCES = frozenset({"source", "."})
URL_RE = re.compile(r"(?:https?|ftp|magnet|stratum\+\w+|stratum\d?\+\w+|ssh|socks5h?|wss?|git)://[^\s'\"<>`]+|magnet:\?[^\s'\"<>`]+", re.I)


_URL_PARTS = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://[^/?#]*)?([^?#]*)")


def url_path(url: str) -> str:
    """The path of a URL, for any text: ``urllib.parse`` raises on ``https://]x`` and ``s://[::-1]``,
    which would let one odd argument abort the check of a whole cell."""
    return _URL_PARTS.match(url).group(1)


@dataclass(slots=True)
class Command:
    """One program invocation: ``argv[0]`` is the program as written."""

    argv: list[str]
    via: str = ""  # how it was reached: "bash -c", "sudo", "python -m", ...

    @property
    def program(self) -> str:
        return program_name(self.argv[0]) if self.argv else ""


@dataclass(slots=True)
class ShellFacts:
    """What a command line does, in the terms the rules use."""

    commands: list[Command] = field(default_factory=list)
    pip: list[str] = field(default_factory=list)
    apt: list[str] = field(default_factory=list)
    git: list[str] = field(default_factory=list)
    downloads: list[tuple[str, str]] = field(default_factory=list)  # (url or source, file name)
    urls: list[str] = field(default_factory=list)
    python_code: list[str] = field(default_factory=list)  # python -c '...'
    files_run: list[str] = field(default_factory=list)  # scripts run: bash x.sh, python x.py


def _strip_assignments(argv: list[str]) -> list[str]:
    i = 0
    while i < len(argv) and _ASSIGNMENT.match(argv[i]):
        i += 1
    return argv[i:]


def _unwrap(argv: list[str], depth: int) -> tuple[list[str], str]:
    """Remove launchers in front of the real program."""
    via = ""
    for _ in range(8):
        while argv and argv[0] in SHELL_KEYWORDS:
            argv = argv[1:]
        if argv and (argv[0] in SHELL_CLAUSES or argv[0].endswith("()")):
            return [], via
        argv = _strip_assignments(argv)
        if not argv:
            return argv, via
        name = program_name(argv[0])
        if name in DAEMON_LAUNCHERS:
            return _daemon_command(argv, DAEMON_LAUNCHERS[name]), f"{via} {name}".strip()
        if name in RUN_SUBCOMMANDS and len(argv) > 1 and argv[1] in RUN_SUBCOMMANDS[name][0]:
            _, options, positional_to_skip = RUN_SUBCOMMANDS[name]
            argv = argv[1:]  # conda run -n env prog: the words after the subcommand are read like a wrapper's
        elif name not in WRAPPERS:
            return argv, via
        else:
            if name in {"command", "builtin"} and len(argv) > 1 and argv[1] in {"-v", "-V"}:
                return [], via  # `command -v slowloris`: asks whether the program exists, runs nothing
            options = WRAPPERS[name]
            positional_to_skip = WRAPPER_SKIP_POSITIONAL.get(name, 0)
        i = 1
        while i < len(argv):
            word = argv[i]
            if word == "--":
                i += 1
                break
            if word.startswith("-") or word.lower() in options:  # (batch options: start /b)
                # a Unix option's case matters (xargs -P 400 is not -p); a value may be attached (-P400, -I{})
                takes = options.get(word, options.get(word.lower(), 0))
                i += 1 + (takes if word in options or word.lower() in options else 0)
                continue
            if name == "env" and "=" in word:
                i += 1
                continue
            if name == "start" and i + 1 < len(argv) and (not word or " " in word or argv[i + 1].lower() in options):
                i += 1  # start "" prog, start "Miner" /min prog: the window title, only ever quoted
                continue
            if positional_to_skip:
                positional_to_skip -= 1
                i += 1
                continue
            break
        via = f"{via} {name}".strip()
        argv = argv[i:]
    return argv, via


def _daemon_command(argv: list[str], program_options: tuple[str, ...]) -> list[str]:
    """The command a daemon launcher starts: its program option's value and the words after ``--``
    (its own argv when it starts nothing: ``start-stop-daemon --stop --exec /usr/sbin/nginx`` stops it)."""
    if not {"--start", "-S"} & set(argv):
        return argv
    program = ""
    for i, word in enumerate(argv[1:], start=1):
        if word == "--":
            break
        option, _, value = word.partition("=")
        if option in program_options:
            program = value or (argv[i + 1] if i + 1 < len(argv) else "")
    if not program:
        return argv
    rest = argv[argv.index("--") + 1:] if "--" in argv else []
    return [program, *rest]


_BACKTICKS = re.compile(r"`([^`]*)`")


def _substitutions(line: str) -> tuple[str, list[str]]:
    """The line with each outermost ``$(...)``, ``<(...)``, ``>(...)`` and backtick command as the word ``$_``,
    and their insides (nested ones are found when the insides are parsed).  Parentheses are counted, so a
    subshell inside (``<((for f in *; do echo $f; done) | shuf)``) does not end the substitution early; an
    unclosed one runs to the end of the line.  Linear in the line."""
    if "(" not in line and "`" not in line:
        return line, []
    insides: list[str] = []
    out: list[str] = []
    index, size = 0, len(line)
    while index < size:
        opening = line.find("(", index)
        if opening < 1 or line[opening - 1] not in "$<>":
            stop = size if opening < 0 else opening + 1
            out.append(line[index:stop])
            index = stop
            continue
        out.append(line[index:opening - 1])
        depth, cursor = 1, opening + 1
        while cursor < size and depth:
            char = line[cursor]
            depth += (char == "(") - (char == ")")
            cursor += 1
        insides.append(line[opening + 1:cursor - 1 if depth == 0 else cursor])
        out.append("$_")
        index = cursor
    outer = "".join(out)
    if "`" in outer:
        insides += _BACKTICKS.findall(outer)
        outer = _BACKTICKS.sub("$_", outer)
    return outer, insides


def parse(line: str, depth: int = 0) -> ShellFacts:
    """Parse one shell command line (or a whole script) into facts."""
    facts = ShellFacts()
    if depth > 4 or not line.strip():
        return facts
    # $(...), <(...), >(...) and `...` run too: parse their insides as well; each stays one word of the outer
    # command (curl -o x-$(arch).tar.gz URL; ffmpeg -i <(ls *.avi | shuf) ... -f flv $URL)
    outer, insides = _substitutions(line)
    for sub in insides:
        if sub.strip():
            _merge(facts, parse(sub, depth + 1), "subshell")
    for argv in split_pipeline(tokenize(outer)):
        _add_command(facts, argv, depth, "")
    if "|" in line or "<<<" in line:
        for decoded in _decoded_pipes(line):
            _merge(facts, parse(decoded, depth + 1), "decoded")
    if "|" in outer:
        for script in _piped_scripts(tokenize(outer)):
            _merge(facts, parse(script, depth + 1), "decoded")
    for url in URL_RE.findall(line):
        if url not in facts.urls:
            facts.urls.append(url.rstrip(").,;"))
    return facts


def parse_argv(argv: list[str]) -> ShellFacts:
    """Facts for an argv that is executed directly (no shell in between)."""
    facts = ShellFacts()
    _add_command(facts, [str(a) for a in argv], 0, "")
    for arg in argv:
        for url in URL_RE.findall(str(arg)):
            facts.urls.append(url)
    return facts


def _merge(into: ShellFacts, other: ShellFacts, via: str) -> None:
    for cmd in other.commands:
        cmd.via = f"{via} {cmd.via}".strip()
        into.commands.append(cmd)
    into.pip += other.pip
    into.apt += other.apt
    into.git += other.git
    into.downloads += other.downloads
    into.urls += other.urls
    into.python_code += other.python_code
    into.files_run += other.files_run


def _add_command(facts: ShellFacts, argv: list[str], depth: int, via: str) -> None:
    argv, wrapped = _unwrap(argv, depth)
    via = f"{via} {wrapped}".strip()
    if not argv:
        return
    # IPython-only helpers that may sneak in (e.g. ``!{sys.executable} -m pip``)
    name = program_name(argv[0])
    if name.startswith("{") and "executable" in name:
        name = "python"
        argv = ["python"] + argv[1:]
    facts.commands.append(Command(list(argv), via))
    args = argv[1:]
    if name == "eval" and args:  # eval "ngrok config ...": its words are a command line read again
        _merge(facts, parse(" ".join(args), depth + 1), f"{via} eval".strip())
    elif name in SHELLS:
        _shell_launch(facts, name, args, depth, via)
    elif PYTHONS.match(name):
        _python_launch(facts, args, depth, via)
    elif name in PACKAGE_TOOLS or _PIP_VERSIONED.match(name):
        _packages(facts, name, args)
    elif name in SYSTEM_PACKAGE_TOOLS:
        facts.apt += _install_targets(args, {"install", "add", "-S"})
    elif name in GIT_TOOLS:
        _git(facts, name, args)
    elif name in DOWNLOADERS:
        _download(facts, name, args)
    elif name in SESSIONS:
        _session_launch(facts, name, args, depth, via)
    elif name in CONTAINER_TOOLS and args[:1] in (["run"], ["create"]):
        _container_run(facts, name, args[1:], depth, via)
    elif name in CONTAINER_TOOLS and args[:1] == ["exec"]:
        _container_exec(facts, name, args[1:], depth, via)
    elif name in PACKAGE_RUNNERS:
        _package_run(facts, name, args, depth, via)
    elif name in SOURCES and args:
        facts.files_run.append(args[0])
    elif name.startswith("./") or name.endswith((".sh", ".py")):
        facts.files_run.append(argv[0])


def is_plain(argv: list[str], joined: str | None = None) -> bool:
    """True when ``parse_argv(argv)`` yields this one command and nothing else: no variable assignment,
    launcher, shell, interpreter, package, git or download tool, session, script or URL.  Most command
    lines a host runs are plain, and the engine checks them without the full parse.  ``joined``: the
    arguments joined with spaces or quoted (a URL cannot span them, since it stops at spaces and quotes)."""
    if not argv or _ASSIGNMENT.match(argv[0]) or not _plain_program(program_name(argv[0])):
        return False
    text = " ".join(argv) if joined is None else joined
    return ":" not in text or URL_RE.search(text) is None  # every URL form has a colon


@lru_cache(maxsize=8192)
def _plain_program(name: str) -> bool:
    """The negation of every branch of ``_unwrap`` and ``_add_command`` that reads arguments."""
    return not (name in WRAPPERS or name == "eval" or name in SHELL_KEYWORDS or name in SHELL_CLAUSES or name.endswith("()")
                or name in SHELLS or PYTHONS.match(name) or name in PACKAGE_TOOLS
                or _PIP_VERSIONED.match(name) or name in SYSTEM_PACKAGE_TOOLS or name in GIT_TOOLS or name in CONTAINER_TOOLS
                or name in PACKAGE_RUNNERS
                or name in DOWNLOADERS or name in SESSIONS or name in SOURCES or name.startswith(("./", "{"))
                or name.endswith((".sh", ".py")))


def _shell_launch(facts: ShellFacts, name: str, args: list[str], depth: int, via: str) -> None:
    if name == "busybox" and args:
        _add_command(facts, args, depth, f"{via} busybox")
        return
    for i, arg in enumerate(args):
        if arg == "-c" and i + 1 < len(args) or (arg.startswith("-") and "c" in arg[1:] and not arg.startswith("--") and i + 1 < len(args)):
            _merge(facts, parse(args[i + 1], depth + 1), f"{via} {name} -c".strip())
            return
        if not arg.startswith("-"):
            facts.files_run.append(arg)
            return


def _python_launch(facts: ShellFacts, args: list[str], depth: int, via: str) -> None:
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-c" and i + 1 < len(args):
            facts.python_code.append(args[i + 1])
            return
        if arg == "-m" and i + 1 < len(args):
            module_argv = args[i + 1 :]
            if module_argv[0] == "pip":
                _packages(facts, "pip", module_argv[1:])
            else:
                facts.commands.append(Command(list(module_argv), f"{via} python -m".strip()))
            return
        if arg.startswith("-c") and len(arg) > 2:
            facts.python_code.append(arg[2:])
            return
        if arg.startswith("-"):
            i += 2 if arg in {"-W", "-X"} else 1
            continue
        facts.files_run.append(arg)
        return


def _session_launch(facts: ShellFacts, name: str, args: list[str], depth: int, via: str) -> None:
    """screen -dmS x cmd ...; tmux new -d 'cmd'; su -c 'cmd' user; script -qfc 'cmd' log (a terminal recorder)."""
    if name in {"su", "script"}:
        for i, arg in enumerate(args):
            cluster = name == "script" and arg.startswith("-") and not arg.startswith("--") and arg.endswith("c")
            if (arg in {"-c", "--command"} or cluster) and i + 1 < len(args):
                _merge(facts, parse(args[i + 1], depth + 1), f"{via} {name} -c".strip())
            elif arg.startswith("--command=") and name == "su":  # su --login --command="TERM=xterm rtorrent" user
                _merge(facts, parse(arg[len("--command="):], depth + 1), f"{via} {name} -c".strip())
        return
    rest: list[str] = []
    i = 0
    value_opts = {"-S", "-s", "-t", "-n", "-c", "-x", "-y", "-e", "-F", "-L", "-p", "-T", "-l"}
    while i < len(args):
        arg = args[i]
        if name == "tmux" and arg in {"new", "new-session", "new-window", "send-keys", "send", "neww", "run", "run-shell"}:
            i += 1
            continue
        if name == "screen" and arg.startswith("-") and not arg.startswith("--"):
            # a cluster such as -dmS name or -dmSL name (flags after the S, as people write it): the value is the
            # next argument; -Sname carries its own
            letters = arg[1:]
            taker = next((j for j, ch in enumerate(letters) if ch in SCREEN_VALUE_OPTS), None)
            attached = taker is not None and not set(letters[taker + 1:]) <= SCREEN_FLAGS
            i += 2 if taker is not None and not attached else 1
            continue
        if arg.startswith("-"):
            i += 2 if arg in value_opts else 1
            continue
        rest = args[i:]
        break
    if not rest:
        return
    if len(rest) == 1 and " " in rest[0]:
        _merge(facts, parse(rest[0], depth + 1), f"{via} {name}".strip())
    else:
        _add_command(facts, rest, depth + 1, f"{via} {name}".strip())


def _container_run(facts: ShellFacts, name: str, args: list[str], depth: int, via: str) -> None:
    """``docker run [options] IMAGE [command]``: what runs in the container is a command too.  Without a
    command, the image's own program runs: named after the image (``ngrok/ngrok:latest`` runs ``ngrok``,
    ``metal3d/xmrig`` runs ``xmrig``), or ``--entrypoint``."""
    entrypoint = None
    i = 0
    while i < len(args) and args[i].startswith("-"):
        option, _, attached = args[i].partition("=")
        if option == "--entrypoint":
            entrypoint = attached or (args[i + 1] if i + 1 < len(args) else None)
        i += 2 if option in _CONTAINER_VALUE_OPTS and not attached else 1
    if i >= len(args):
        return
    image, rest = args[i], args[i + 1:]
    program = entrypoint or image.rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]
    if not program:
        return
    via = f"{via} {name} run".strip()
    if entrypoint or not rest or rest[0].startswith("-"):
        _add_command(facts, [program, *rest], depth + 1, via)
        return
    # the arguments replace the image's command, or follow its entrypoint: which one, only the image knows
    _add_command(facts, rest, depth + 1, via)
    if program_name(rest[0]) != program:
        facts.commands.append(Command([program, *rest], via))


def _first_operand(args: list[str], valued: frozenset[str] | set[str]) -> int:
    """The index of the first word after a command's leading options; an option in ``valued`` takes the next word
    unless its value is attached (``-u root``, ``--user=root``)."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        option, _, attached = args[i].partition("=")
        i += 2 if option in valued and not attached else 1
    return i


def _package_run(facts: ShellFacts, name: str, args: list[str], depth: int, via: str) -> None:
    """``npx -y autocannon -c 3000 URL`` (also bunx, pnpx): the package's program runs with the arguments after
    it, as if called by its own name (the npx command itself stays a command too)."""
    i = _first_operand(args, {"-p", "--package", "-c", "--call"})
    if i < len(args):
        package = args[i].rsplit("@", 1)[0] if args[i].rfind("@") > 0 else args[i]  # autocannon@7
        _add_command(facts, [package.rsplit("/", 1)[-1], *args[i + 1:]], depth + 1, f"{via} {name}".strip())


def _container_exec(facts: ShellFacts, name: str, args: list[str], depth: int, via: str) -> None:
    """``docker exec [options] CONTAINER command``: the command runs in the container."""
    i = _first_operand(args, _CONTAINER_VALUE_OPTS)
    if i + 1 < len(args):
        _add_command(facts, args[i + 1:], depth + 1, f"{via} {name} exec".strip())


def _install_targets(args: list[str], verbs: set[str]) -> list[str]:
    names: list[str] = []
    if not any(a in verbs for a in args):
        return names
    started = False
    for arg in args:
        if not started:
            started = arg in verbs
            continue
        if arg.startswith("-"):
            continue
        names.append(arg.lower())
    return names


def normalize_package(spec: str) -> str:
    """``Foo_Bar[extra]>=1.0`` -> ``foo-bar``; a VCS or URL spec keeps its repo name."""
    spec = spec.strip().strip("'\"")
    if "://" in spec or spec.startswith("git+"):
        url = spec.split("git+", 1)[-1].split("#", 1)[0].split("@")[0] if "@" not in spec.split("://", 1)[-1].split("/", 1)[0] else spec
        name = posixpath.basename(url_path(url.replace("git+", "")).rstrip("/"))
        if name.endswith(".git"):
            name = name[:-4]
        name = re.sub(r"\.(zip|tar\.gz|tgz|whl)$", "", name)
        return re.sub(r"[-_.]+", "-", name).lower()
    if " @ " in spec:
        spec = spec.split(" @ ", 1)[0]
    name = re.split(r"[\[<>=!~;@ ]", spec, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


# pip's global options that take a value (pip --proxy http://p:3128 install x)
PIP_GLOBAL_VALUES = frozenset({"--log", "--proxy", "--retries", "--timeout", "--exists-action", "--trusted-host",
                               "--cert", "--client-cert", "--cache-dir", "--python", "--use-feature", "--use-deprecated"})


def _packages(facts: ShellFacts, name: str, args: list[str]) -> None:
    if name == "uv" and args[:1] == ["pip"]:
        args = args[1:]
    while args and args[0].startswith("-"):  # global options before the verb (pip -q install x)
        args = args[2:] if args[0] in PIP_GLOBAL_VALUES and len(args) > 1 else args[1:]
    if not args or args[0] not in {"install", "add", "create", "inject"}:
        return
    value_opts = {"-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url",
                  "-f", "--find-links", "-t", "--target", "--prefix", "--root", "-n", "--name", "-p",
                  "--channel", "-e", "--editable", "--python"}
    i = 1
    while i < len(args):
        arg = args[i]
        if arg in {"-e", "--editable"} and i + 1 < len(args):
            target = args[i + 1]
            if "://" in target or target.startswith("git+"):
                facts.git.append(target.replace("git+", "", 1))
                facts.pip.append(normalize_package(target))
            i += 2
            continue
        if arg in value_opts:
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        if "://" in arg or arg.startswith("git+"):
            url = arg.replace("git+", "", 1)
            if "github" in url or "gitlab" in url or url.endswith(".git") or arg.startswith("git+"):
                facts.git.append(url)
            else:
                facts.downloads.append((url, posixpath.basename(url_path(url))))
        facts.pip.append(normalize_package(arg))
        i += 1


def _git(facts: ShellFacts, name: str, args: list[str]) -> None:
    if name == "gh":
        if args[:2] == ["repo", "clone"] and len(args) > 2:
            facts.git.append(args[2])
        return
    verbs = {"clone", "submodule", "pull", "fetch", "remote"}
    for i, arg in enumerate(args):
        if arg in verbs:
            for target in args[i + 1 :]:
                if target.startswith("-") or target in {"add", "update"}:
                    continue
                if "/" in target or ":" in target:
                    facts.git.append(target)
                    break
            break


def _download(facts: ShellFacts, name: str, args: list[str]) -> None:
    out = ""
    urls: list[str] = []
    out_opts = {"-O", "-o", "--output", "--output-document", "--out", "-d", "--dir", "-P", "--directory-prefix"}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in out_opts and i + 1 < len(args):
            if arg not in {"-d", "--dir", "-P", "--directory-prefix"}:
                out = args[i + 1]
            i += 2
            continue
        if arg.startswith("--output-document=") or arg.startswith("--out=") or arg.startswith("-O") and len(arg) > 2 and name == "wget":
            out = arg.split("=", 1)[-1] if "=" in arg else arg[2:]
        elif not arg.startswith("-"):
            urls.append(arg)
        i += 1
    if name in {"huggingface-cli", "hf"} and urls[:1] == ["download"]:
        repo = urls[1] if len(urls) > 1 else ""
        files = urls[2:] or [repo]
        for f in files:
            facts.downloads.append((f"hf://{repo}", posixpath.basename(f)))
        return
    for url in urls:
        filename = out or posixpath.basename(url_path(url)) or url
        facts.downloads.append((url, posixpath.basename(filename)))
