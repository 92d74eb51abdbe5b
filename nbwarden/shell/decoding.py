"""Text a pipeline prints and decodes without running anything (``printf '%s' a b | rev | base64 -d``), and the
scripts such pipelines hand a shell: what :func:`.parsing.parse` reads as the command lines they hide, and what
:mod:`nbwarden.analysis.shellfold` gives for a command substitution."""

from __future__ import annotations

import base64
import re

from .words import OPERATORS, REDIRECTS, SHELL_KEYWORDS, SHELLS, program_name, unescape

# `echo <text> | base64 -d | bash` (or `| rev`, `| xxd -r -p`, `base64 -d <<< <text>`): the text is a command line
# hidden from a reader; decoded here, it is parsed like any other line
_DECODED_PIPE = re.compile(
    r"(?:(?:echo|printf)\s+(?:-[neE]+\s+)?(?:'([^'\n]{8,})'|\"([^\"\n]{8,})\"|([A-Za-z0-9+/=_\-]{8,}))\s*\|\s*"
    r"(base64\s+(?:-d|--decode|-D)|rev\b|xxd\s+-r\s+-p|xxd\s+-p\s+-r)"
    r"|(base64\s+(?:-d|--decode|-D))\s*<<<\s*[\"']?([A-Za-z0-9+/=]{8,}))")


def decoded_stage(text: str, program: str) -> str | None:
    """``text`` after one decoding filter of a pipeline: ``base64`` (-d; standard or URL-safe letters, whitespace
    ignored), ``rev`` (line by line) or ``xxd`` (-r -p); None when the result is not UTF-8 text. Shared by the
    pipelines hidden in a line (below) and the substitutions :mod:`.analysis.shellfold` works out."""
    try:
        if program == "base64":
            compact = "".join(text.split())
            raw = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True,
                                   altchars=b"-_" if "-" in compact or "_" in compact else None)
        elif program == "rev":
            return "\n".join(line[::-1] for line in text.split("\n"))
        elif program == "xxd":
            raw = bytes.fromhex("".join(text.split()))
        else:
            return None
        return raw.decode("utf-8")
    except (ValueError, UnicodeDecodeError):  # binascii.Error is a ValueError
        return None


def _printed(argv: list[str]) -> str | None:
    """What ``echo`` or ``printf`` prints (printf only with a format of escapes, or ``%s`` of its arguments)."""
    program, args = program_name(argv[0]), argv[1:]
    if program == "echo":
        flags = [a for a in args if re.fullmatch(r"-[neE]+", a)]
        words = args[len(flags):]
        text = " ".join(words)
        return unescape(text) if any("e" in f for f in flags) else text
    if program == "printf" and args:
        form, rest = args[0], args[1:]
        if "%" not in form and not rest:
            return unescape(form)
        if form in {"%s", "%s\\n"} and rest:
            return "".join(rest)
    return None


MAX_TR_SET = 1024  # longest tr set written out: a range such as \x00-\U0010ffff would be a million characters


def _expanded(spec: str) -> str:
    """A ``tr`` set with its ranges written out (``a-z`` -> ``abc...z``); empty when it would pass MAX_TR_SET."""
    out, i = [], 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            low, high = ord(spec[i]), ord(spec[i + 2])
            if high - low >= MAX_TR_SET:
                return ""
            out.extend(chr(c) for c in range(low, high + 1))
            i += 3
        else:
            out.append(spec[i])
            i += 1
        if len(out) > MAX_TR_SET:
            return ""
    return "".join(out)


def _filtered(text: str, argv: list[str]) -> str | None:
    """``text`` through one decoding stage of a pipeline (base64 -d, rev, xxd -r -p, tr SET1 SET2), else None."""
    program, args = program_name(argv[0]), argv[1:]
    if (program == "base64" and {"-d", "--decode", "-D"} & set(args) or program == "rev" and not args
            or program == "xxd" and "-r" in args and "-p" in args):
        return decoded_stage(text, program)
    if program == "tr" and len(args) == 2 and not args[0].startswith("-"):
        source, target = _expanded(args[0]), _expanded(args[1])
        if source and target:
            target = target + target[-1] * (len(source) - len(target))  # tr pads the second set with its last
            return text.translate(str.maketrans(source, target[:len(source)]))
    return None


def printed_pipeline(stages: list[list[str]]) -> str | None:
    """The text a pipeline gives when it only prints and decodes (``printf '%s' a b | rev | base64 -d``): its
    first stage prints, each later one is a decoding filter; None for anything that would have to run, or text
    that is not printable (newlines aside)."""
    if not stages or not stages[0]:
        return None
    text = _printed(stages[0])
    for stage in stages[1:]:
        if text is None or not stage:
            return None
        text = _filtered(text, stage)
    return text if text is not None and text.replace("\n", "").isprintable() else None


def _piped_scripts(tokens: list[str]) -> list[str]:
    """The scripts that pipelines print and decode into a shell (``printf '%s' "$a" "$b" | base64 -d | sh``)."""
    scripts: list[str] = []
    stages: list[list[str]] = [[]]
    skip = False
    for token in [*tokens, ";"]:
        if skip:
            skip = False
        elif token == "|":
            stages.append([])
        elif token in OPERATORS or set(token) <= set(";&|()") and token:
            last = stages[-1]
            first = stages[0]
            while first and (first[0] in SHELL_KEYWORDS or first[0] == "function" or first[0].endswith("()")):
                first = first[1:]  # run() { printf ... | sh; }, if true; then ... | bash: the pipeline after them
            if len(stages) > 1 and last and program_name(last[0]) in SHELLS and all(a in {"-s", "-"} for a in last[1:]):
                text = printed_pipeline([first, *stages[1:-1]])
                if text and text.strip():
                    scripts.append(text)
            stages = [[]]
        elif token in REDIRECTS or (token and token[-1] in "<>" and set(token) <= set("0123456789<>&")):
            skip = True
        else:
            stages[-1].append(token)
    return scripts


def _decoded_pipes(line: str) -> list[str]:
    """The command lines hidden in ``echo ... | base64 -d`` style pipelines of ``line``."""
    out = []
    for match in _DECODED_PIPE.finditer(line):
        echoed = match.group(1) or match.group(2) or match.group(3)
        text, how = (echoed, match.group(4)) if echoed else (match.group(6), match.group(5))
        decoded = decoded_stage(text, how.split()[0])
        if decoded is None:
            continue
        if decoded.strip() and decoded.isprintable() or "\n" in decoded and decoded.replace("\n", "").isprintable():
            out.append(decoded)
    return out
