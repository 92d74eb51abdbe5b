"""The prefilter's words: which words wake the deep analysis for a pattern (program names, or the most
distinctive argument of a generic one; the literal core of a glob), which words are too common to, and which
group of a multi-part rule is its rarest."""

from __future__ import annotations

import re
from typing import Any

from .. import behaviour, regexlit
from ..rules import Rule, pattern_kind

# Words that make a cell worth a deep look even when no rule word is visible:
# they are how code hides strings from a plain text search.
DECODE_TRIGGERS = ("b64decode", "decodebytes", "a2b_base64", "fromhex", "unhexlify", "a2b_hex", "rot13",
                   "rot_13", "unicode_escape", "[::-1]", "chr(", "exec(", "eval(", "compile(", "__import__", "import_module",
                   "codecs.decode", "zlib.decompress", "b32decode", "b85decode", "reversed(", "\"\".join(", "''.join(",
                   "system(", "popen(", "subprocess", "%%writefile", "write_text(",
                   # runners whose names hold "subprocess" only inside a longer word, or not at all
                   "create_subprocess_exec", "create_subprocess_shell", "posix_spawn", "execv(", "execvp(",
                   "execl(", "execlp(", "execve(",
                   "!{", "!./{", "!$", "!./$", "${", "\n$", "&& $", "; $", "| $",  # program names from variables
                   # computed look-ups (the analysis folds only these shapes; a join with a separator is not how
                   # names are hidden)
                   "__dict__[", "__dict__.get(", "__dict__)", "vars(", "globals(", "__builtins__",
                   "sys.modules[", "sys.modules.get(",
                   "base64 -d", "base64 --decode", "base64 -D", "| rev", "xxd -r",  # echo <text> | base64 -d | bash
                   # shell values worked out by analysis.shellfold (a Python copy of a program is read when the
                   # cell runs it: its runner is a trigger of its own)
                   "!rev ", "\nrev ", "$(printf", "| tr '", "command -v ", "$(which ", "`which ", "\nalias ",
                   "expand_aliases",
                   # service units written for systemd or supervisord, and templates filled in (their commands run later)
                   "execstart", "[program:", "substitute(")
# Trigger words that wake the deep analysis only when one of their companions is also in the text: an endless
# loop floods only if something in the unit talks to the network (the loop's body is read by the flood shape).
_NETWORK_WORDS = ("requests", "socket", "urllib", "urlopen", "httpx", "aiohttp", "http.client", "httplib", "scapy",
                  "pycurl", "curl", "wget", "fetch(", "axios", "dgram", "hping", "sendto", "connect(", "send(")
COMPANIONS: dict[str, tuple[str, ...]] = {"while true": _NETWORK_WORDS, "while 1": _NETWORK_WORDS}
BUILTIN_CALL_TRIGGERS = {"exec(", "eval(", "compile(", "reversed(", "chr("}
GENERIC_MODULE_ROOTS = {"modules", "lib", "src", "core", "utils", "app", "models", "scripts", "tools", "common",
                        "main", "api", "server", "client", "module", "pkg"}


def _is_glob(text: str) -> bool:
    return any(ch in text for ch in "*?[")


def _literal_core(glob: str) -> str:
    """Longest run of plain characters in a glob, for the prefilter (a common word only when there is no other:
    ``*colab*ssh*`` wakes on "ssh", not on every notebook that mentions Colab)."""
    runs = [run for run in re.split(r"[*?\[\]]+", glob.lower()) if run]
    rare = [run for run in runs if run.strip("-_.") not in COMMON_WORDS]
    return max(rare or runs, key=len) if runs else ""


GENERIC_PROGRAM = re.compile(r"^(python|pypy|ipython|bash|sh|zsh|node|java|perl|ruby|php|deno|bun|npx|go|docker|"
                             r"podman|apt|apt-get|pip|pip3|git|code|bot|lt|ab|wg|hey|run|set|service|systemctl|"
                             r"rc-service|invoke-rc\.d|accelerate|proxy|mono|torchrun|uv|conda|source|\.|ping|"
                             r"download|colab|connect)[\d.?*]*$")
# Words too common in ordinary code to be worth a deep look on their own.
COMMON_WORDS = {"run", "set", "code", "test", "app", "main", "start", "serve", "server", "install", "build", "bot",
                "data", "http://", "https://", "--host", "--port", "-p", "add", "get", "new", "up",
                "open", "connect", "socket", "ssl", "time", "json", "os", "sys", "re", "io"}


COMMON_WORDS |= {"while", "true", "false", "thread", "process", "import", "from", "return", "print", "self",
                 "class", "def", "for", "with", "open", "send", "recv", "get", "post", "head", "http",
                 "colab", "download", "google", "drive", "content", "client", "linux", "tools"}


def _regex_literal(regex: str) -> str:
    """Longest plain word a regex needs, to rank how rare its matches are (``""`` if none)."""
    text = re.sub(r"\\[a-zA-Z]", " ", regex)  # \b \s \d ... are not literals
    text = re.sub(r"\[[^\]]*\]|\{[^}]*\}|\([^()|]*\|[^()]*\)", " ", text)  # classes, counts, alternations
    runs = [r.lower() for r in re.findall(r"[A-Za-z0-9_/.-]{3,}", text.replace("\\", ""))]
    runs = [r for r in runs if r.strip("./-") not in COMMON_WORDS]
    return max(runs, key=len) if runs else ""


def _specific(word: str) -> bool:
    core = _literal_core(word).strip("-")
    return len(core) >= 3 and core not in COMMON_WORDS and _literal_core(word) not in COMMON_WORDS


def _command_triggers(program: str, spec: dict[str, Any]) -> list[str]:
    """Words whose presence makes a command pattern possible at all.

    For interpreters and short or common program names (``python``,
    ``bash``, ``lt``, ``code``) the name is everywhere, so the most
    distinctive required argument, or all the alternative arguments, are the
    trigger instead.
    """
    core = _literal_core(program)
    if not GENERIC_PROGRAM.match(program) and len(core) >= 3 and core not in COMMON_WORDS:
        return [core]

    def listed(key: str) -> list[str]:
        value = spec.get(key) or []
        return [value] if isinstance(value, str) else list(value)

    required = [a for a in listed("args") if _specific(a)]
    if required:
        return [_literal_core(max(required, key=len))]
    alternatives = listed("args_any")
    if alternatives and all(_specific(a) for a in alternatives):
        return [_literal_core(a) for a in alternatives]
    return [core]


def _rarest_group(rule: Rule) -> int:
    """The group of a multi-part rule whose trigger words are least common."""

    def score(group: list[dict[str, Any]]) -> tuple[int, int]:
        words: list[str] = []
        for pattern in group:
            kind = pattern_kind(pattern)
            spec = pattern[kind]
            values = [spec] if isinstance(spec, (str, dict)) else list(spec)
            for value in values:
                if kind == "command":
                    programs = value["program"]
                    for program in [programs] if isinstance(programs, str) else programs:
                        words += _command_triggers(program.lower(), value)
                elif kind == "import":
                    words.append(value.split(".")[0])
                elif kind == "regex":
                    needed = regexlit.required_literals(value)  # any one of them: the weakest is what counts
                    words += sorted(needed) if needed else [_regex_literal(value)]
                elif kind == "signature":
                    words.append("")  # not in source code at all: never the rarest
                elif kind == "behaviour":
                    words += behaviour.triggers_for(value)
                else:
                    words.append(_literal_core(value))
        # a pattern with no word of its own to look for (a regex of alternatives only) is weaker than a common word:
        # it would wake the deep analysis wherever it matches, on the commonest text
        weakest = min((-1 if not w.strip("-") else 0 if w.strip("-") in COMMON_WORDS else len(w.strip("-"))
                       for w in words), default=0)
        return (weakest, -len(words))

    scores = [score(group) for group in rule.groups]
    return max(range(len(scores)), key=scores.__getitem__)
