"""Shell commands inside files that are not scripts: Dockerfiles, CI pipelines, compose files, Procfiles, expect
scripts, systemd and supervisord units, and the command lines a JavaScript launcher hands to a shell (Pinokio's ``shell.run`` messages, Node's
``exec("...")``).

A Dockerfile's ``RUN apt-get install -y jellyfin`` or a pipeline's ``script: - ./xmrig -o pool:3333`` runs
as shell, but the file's suffix says "data", so only the text-level checks would read it.  These functions
return the file's commands as a shell script with every command on the line it came from (other lines are
blank), so the shell analysis applies and evidence keeps the file's line numbers.  They read lines, not
YAML or Dockerfile grammar: a file they cannot follow yields fewer commands, never an error.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
import shlex
from pathlib import PurePath

PIPELINE_FILES = frozenset({".gitlab-ci.yml", ".gitlab-ci.yaml", ".travis.yml", "bitbucket-pipelines.yml",
                            "azure-pipelines.yml", "cloudbuild.yaml", "cloudbuild.yml", "docker-compose.yml",
                            "docker-compose.yaml", "compose.yml", "compose.yaml", "render.yaml", "app.yaml",
                            "codemagic.yaml", ".drone.yml", "action.yml", "action.yaml"})
# YAML keys whose values are commands (CI steps, compose and Kubernetes-style entries)
COMMAND_KEYS = ("script", "before_script", "after_script", "run", "command", "commands", "entrypoint", "cmd",
                "args", "start", "build_command", "start_command", "startCommand", "buildCommand")
ARGV_KEYS = frozenset({"command", "entrypoint", "args", "cmd"})  # as lists, one command's arguments
_IMAGE = re.compile(r"^(\s*)(?:-\s+)?image\s*:\s*(\S+)\s*$")
_KEY = re.compile(r"^(\s*)(?:-\s+)?(" + "|".join(COMMAND_KEYS) + r")\s*:\s*(.*?)\s*$")
_DOCKER = re.compile(r"^\s*(RUN|CMD|ENTRYPOINT)\s+(.*)$", re.IGNORECASE)
_SETTING = re.compile(r"^\s*(ENV|ARG)\s+(\S.*?)\s*$", re.IGNORECASE)
_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+\S+)?\s*$", re.IGNORECASE)
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_]\w*)\1")
_EXPECT = re.compile(r"^\s*(spawn|send|exec)\s+(.*)$")


# a YAML file anywhere whose keys say it is a CI job or a compose file (a workflow kept outside .github/workflows)
_PIPELINE_KEYS = (re.compile(r"(?m)^\s*runs-on\s*:"), re.compile(r"(?m)^\s*steps\s*:"))
_COMPOSE_KEYS = (re.compile(r"(?m)^services\s*:"), re.compile(r"(?m)^\s+image\s*:"))


_DOCKERFILE_NAME = re.compile(r"^(docker|container)file([._-]|$)|[._-]dockerfile$")


def kind_of_name(path: str | PurePath, text: str = "") -> str | None:
    """``dockerfile``, ``pipeline``, ``procfile`` or ``expect`` for a file whose commands are embedded (by its
    name, or for a YAML file by the keys in ``text``)."""
    p = PurePath(path)
    name = p.name.lower()
    if _DOCKERFILE_NAME.search(name):  # Dockerfile, Dockerfile.gpu, Dockerfile-cuda, app.dockerfile
        return "dockerfile"
    if name in PIPELINE_FILES or (name.endswith((".yml", ".yaml")) and (
            "workflows" in p.parts[:-1] or "compose" in name)):  # docker-compose.prod.yml, miner-compose.yaml
        return "pipeline"
    if name.endswith((".yml", ".yaml")) and text and (all(k.search(text) for k in _PIPELINE_KEYS)
                                                      or all(k.search(text) for k in _COMPOSE_KEYS)):
        return "pipeline"
    if "compose" in name and text and _COMPOSE_KEYS[1].search(text):
        # a compose file kept as a copy or template (docker-compose.yml.example, compose.orig), also in the first
        # format, whose services are the top-level keys (no services: key above them)
        return "pipeline"
    if name == "procfile":
        return "procfile"
    if name.endswith((".service", ".socket")) or name.endswith(".conf") and SERVICE_COMMAND.search(text):
        return "service"  # a systemd unit, or a supervisord program section
    if name.endswith(".exp"):
        return "expect"
    if p.suffix.lower() in JAVASCRIPT_SUFFIXES:
        return "javascript"
    return None


def commands(kind: str, text: str) -> str:
    """The file's commands as shell, one per original line (``""`` when none were found)."""
    lines = text.split("\n")
    out = {"dockerfile": _dockerfile, "pipeline": _pipeline, "procfile": _procfile,
           "expect": _expect, "javascript": _javascript, "service": _service}[kind](lines)
    return "\n".join(out) if any(line.strip() for line in out) else ""


# the command lines of a service manager's unit: systemd's ExecStart (and its Pre/Post), supervisord's command
SERVICE_COMMAND = re.compile(r"^[ \t]*(?:ExecStart(?:Pre|Post)?|command)[ \t]*=[ \t]*[-@+!:]*(\S[^\n]*)$", re.M)


def _service(lines: list[str]) -> list[str]:
    """What systemd or supervisord will run: each command line where it stands, other lines left empty."""
    return [m.group(1) if (m := SERVICE_COMMAND.match(line)) else "" for line in lines]


def _exec_form(value: str) -> str:
    """``["python", "app.py"]`` (Docker's exec form, a YAML flow list) as a command line."""
    value = value.strip()
    try:
        items = json.loads(value)
    except ValueError:
        if not value.endswith("]"):
            return value  # not a list after all: the text as it is
        items = [part.strip().strip("'\"") for part in value[1:-1].split(",")]
    if not isinstance(items, list):
        return value
    return " ".join(shlex.quote(str(item)) for item in items)


def _dockerfile(lines: list[str]) -> list[str]:
    out = [""] * len(lines)
    i = 0
    while i < len(lines):
        m = _DOCKER.match(lines[i])
        setting = None if m else _SETTING.match(lines[i])
        if setting and not setting.group(2).endswith("\\"):
            # ENV and ARG are the shell's variables in the RUN lines below (wget $TOR_URL): written as assignments
            out[i] = _assignment(setting.group(2))
            i += 1
            continue
        if not m:
            # the base image is the program the container is built around (FROM jellyfin/jellyfin: a media
            # server, whatever the entrypoint script does before starting it), read as `docker run IMAGE`
            base = _FROM.match(lines[i])
            if base and base.group(1).lower() != "scratch" and "$" not in base.group(1):
                out[i] = f"docker run {base.group(1)}"
            i += 1
            continue
        body = m.group(2).strip()
        if body.startswith("["):
            start = i
            while body.endswith("\\") and i + 1 < len(lines):  # an exec form split over lines: one command
                i += 1
                body = body[:-1] + " " + lines[i].strip()
            out[start] = _exec_form(body)
            i += 1
            continue
        out[i] = body
        heredoc = _HEREDOC.search(body)
        if heredoc:  # BuildKit's here-document (RUN cat <<'EOF' > app.py): its lines are the shell's, to the end word
            end = heredoc.group(2)
            while i + 1 < len(lines):
                i += 1
                out[i] = lines[i]
                if lines[i].strip() == end:
                    break
            i += 1
            continue
        while lines[i].rstrip().endswith("\\") and i + 1 < len(lines):  # continuation lines stay as they are
            i += 1
            out[i] = lines[i]
            # Docker drops comment lines and empty lines inside a continued instruction (RUN a \ / # step two /
            # && b): the instruction goes on after them, so they stand as an empty continued line here
            while (lines[i].lstrip().startswith("#") or not lines[i].strip()) and i + 1 < len(lines):
                out[i] = " \\"
                i += 1
                out[i] = lines[i]
        i += 1
    return out


def _assignment(body: str) -> str:
    """``ENV KEY=value K2="v 2"`` as it stands (shell's own syntax), ``ENV KEY value`` as ``KEY="value"``;
    ``ARG NAME`` with no default assigns nothing."""
    name, _, rest = body.partition(" ")
    if "=" in name:
        return body
    if not re.fullmatch(r"[A-Za-z_]\w*", name) or not rest.strip():
        return ""
    return f'{name}="{rest.strip().replace(chr(34), chr(92) + chr(34))}"'


def _scalar(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _pipeline(lines: list[str]) -> list[str]:
    out = [""] * len(lines)
    images: list[tuple[int, int, str]] = []  # (line, indent, image) of compose and Kubernetes containers
    argvs: dict[int, tuple[int, str]] = {}  # a command key's line -> (its indent, the one command it gives)
    i = 0
    while i < len(lines):
        image = _IMAGE.match(lines[i])
        if image:
            images.append((i, len(image.group(1)), _scalar(image.group(2))))
            i += 1
            continue
        m = _KEY.match(lines[i])
        if not m:
            i += 1
            continue
        key_line, indent, key, rest = i, len(m.group(1)), m.group(2), m.group(3)
        if rest.startswith("#"):
            rest = ""
        if rest and rest[0] not in "|>":
            out[i] = _exec_form(rest) if rest.startswith("[") else _scalar(rest)
            argvs[key_line] = (indent, out[i])
            i += 1
            continue
        first, argv = i + 1, []
        i += 1  # a block: deeper lines, or list items at the key's own indent (GitLab's style), are commands
        while i < len(lines):
            line = lines[i]
            stripped = line.strip()
            depth = len(line) - len(line.lstrip())
            if stripped and not (depth > indent or depth == indent and stripped.startswith("- ")
                                 and not _KEY.match(line)):
                break
            item = stripped.startswith("- ")
            if item:
                stripped = stripped[2:].strip()
            if stripped and not stripped.startswith("#"):
                if key in ARGV_KEYS and item and stripped[0] not in "|>":
                    argv.append(_scalar(stripped))  # compose's command: [a, b, c] written as a list: one argv
                elif not (item and stripped[0] in "|>"):
                    out[i] = _scalar(stripped)
            i += 1
        if argv:
            out[first] = " ".join(shlex.quote(a) for a in argv)
            argvs[key_line] = (indent, out[first])
    for line, indent, image in images:
        # a service's container runs as `docker run IMAGE COMMAND`, with the command given beside its image
        command = next((text for key_line, (depth, text) in argvs.items()
                        if depth == indent and _same_block(lines, line, key_line, indent)), "")
        out[line] = f"docker run {image} {command}".rstrip()
    return out


def _same_block(lines: list[str], a: int, b: int, indent: int) -> bool:
    """No line between ``a`` and ``b`` is indented less than ``indent`` (both belong to one mapping)."""
    lo, hi = sorted((a, b))
    return all(not line.strip() or len(line) - len(line.lstrip()) >= indent for line in lines[lo + 1:hi])


def _procfile(lines: list[str]) -> list[str]:
    return [line.split(":", 1)[1].strip() if re.match(r"^\s*[\w.-]+\s*:", line) else "" for line in lines]


JAVASCRIPT_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".ts"})
# a JavaScript string that starts like a command line: the programs launchers hand to a shell
_JS_COMMAND = re.compile(r"^(?:sudo\s+)?(?:git|python[\d.]*|pip[\d.]*|conda|uv|npm|npx|bash|sh|wget|curl|"
                         r"apt(?:-get)?|docker|chmod|nohup|screen|\./[\w./-]+)\s+\S")
_JS_STRING = re.compile(r"""'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\\n]|\\.)*)`""")
# ["python", script, "--config", cfg].join(" "): an argv written as an array of words
_JS_JOINED = re.compile(r"""\[([^\[\]]{1,2000})\]\s*\.join\(\s*["'` ]\s*["'`]\s*\)""")
_JS_TEMPLATE_HOLE = re.compile(r"\$\{([^{}]*)\}")


def _js_hole(expr: str) -> str:
    """A placeholder for a value only known at run time (``${cfg.port}``, a variable in an argv array)."""
    return "{" + re.sub(r"\W+", "_", expr).strip("_") + "}"


def _javascript(lines: list[str]) -> list[str]:
    """String literals that are command lines (``"git clone https://..."``, ``"python run.py -s x"``), and arrays
    of words joined with spaces whose first word is a program, each on the line it starts on; a template literal's
    ``${x}`` and an array's non-literal words become ``{x}`` placeholders."""
    text = "\n".join(lines)
    out = [""] * len(lines)
    starts = list(itertools.accumulate((len(line) + 1 for line in lines[:-1]), initial=0))

    def put(offset: int, command: str) -> None:
        row = bisect.bisect_right(starts, offset) - 1
        out[row] = f"{out[row]}; {command}" if out[row] else command

    for m in _JS_JOINED.finditer(text):
        words = [w.strip() for w in m.group(1).split(",") if w.strip()]
        parts = [s.group(1) or s.group(2) or s.group(3) or "" if (s := _JS_STRING.fullmatch(w)) else _js_hole(w)
                 for w in words]
        if parts and _JS_COMMAND.match(" ".join(parts)):
            put(m.start(), shlex.join(parts))
    for m in _JS_STRING.finditer(text):
        body = m.group(1) or m.group(2) or m.group(3) or ""
        body = _JS_TEMPLATE_HOLE.sub(lambda h: _js_hole(h.group(1)), body)
        body = body.replace("\\'", "'").replace('\\"', '"')
        if _JS_COMMAND.match(body):
            put(m.start(), body)
    return out


def _expect(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        m = _EXPECT.match(line)
        if not m:
            out.append("")
            continue
        verb, body = m.group(1), m.group(2).strip()
        if verb == "send":
            body = _scalar(body).replace("\\r", "").replace("\\n", "")
        out.append(body)
    return out
