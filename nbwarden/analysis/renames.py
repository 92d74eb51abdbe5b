"""Programs run under another name.

A tool fetched and saved under a new file name (``wget .../cloudflared-linux-amd64 -O cfd``), or copied, moved or
linked to one (``cp $(which rclone) gatewayd``, ``shutil.copy(shutil.which('rclone'), gw)``), is still that tool
when the new name runs.  :func:`add_renamed` reads a unit's facts for such renames and writes each command run by
a new name out again under the name it had, so the rules that know the tool find it.  The renames a cell makes are
kept for the cells after it (:attr:`.earlier.EarlierCells.renamed`)."""

from __future__ import annotations

import posixpath
import re

from ..shell import program_name
from .facts import INERT, Analysis, Fact

# shell programs that copy, move or link their first operand to their last
SHELL_COPIERS = frozenset({"cp", "mv", "ln", "install", "rsync"})
MAX_RENAMES = 64


# what a release file's name adds to the tool's: archive suffixes, then platform and version parts
# (xmrig-6.21.0-linux-static-x64.tar.gz, cloudflared-linux-amd64, bombardier_linux_amd64)
_ARCHIVE = re.compile(r"\.(tar\.gz|tar\.xz|tar\.bz2|tgz|zip|gz|xz|bz2)$")
_RELEASE_PARTS = re.compile(r"(?:[-_.](?:linux|amd64|x86_64|x64|x86|arm64|aarch64|armv7|static|musl|gnu|v?\d+(?:\.\d+)*))+$")


def _tool(url: str) -> str:
    """The tool a release URL fetches (``.../cloudflared-linux-amd64`` -> ``cloudflared``)."""
    name = _ARCHIVE.sub("", program_name(url.split("?", 1)[0]))
    return _RELEASE_PARTS.sub("", name) or name


def renames_in(analysis: Analysis) -> dict[str, str]:
    """New name -> the program it holds, from the unit's downloads, copies, moves and links."""
    found: dict[str, str] = {}
    for fact in analysis.facts:
        if fact.context == INERT or len(found) >= MAX_RENAMES:
            continue
        if fact.kind == "download" and isinstance(fact.value, tuple) and len(fact.value) == 2:
            url, saved = fact.value
            tool = _tool(str(url))
            if isinstance(saved, str) and saved and program_name(saved) != tool and tool:
                found[program_name(saved)] = tool
        elif fact.kind == "copy" and isinstance(fact.value, tuple) and len(fact.value) == 2:
            source, target = (program_name(str(v)) for v in fact.value)
            if source and target and source != target:
                found[target] = source
        elif fact.kind == "command" and fact.value and program_name(str(fact.value[0])) in SHELL_COPIERS:
            operands = [str(w) for w in fact.value[1:] if not str(w).startswith("-")]
            if len(operands) == 2 and not operands[1].endswith("/"):
                source, target = program_name(operands[0]), program_name(operands[1])
                if source and target and source != target:
                    found[target] = source
    return found


def add_renamed(analysis: Analysis, earlier: dict[str, str] | None = None) -> dict[str, str]:
    """Write each command run by a new name out again under the program's own name (``cfd tunnel`` as
    ``cloudflared-linux-amd64 tunnel``), from this unit's renames and ``earlier`` cells'; return this unit's."""
    own = renames_in(analysis)
    known = {**(earlier or {}), **own}
    if not known:
        return own
    for fact in list(analysis.facts):
        if fact.kind != "command" or not fact.value or fact.via.startswith("renamed"):
            continue
        program = program_name(str(fact.value[0]))
        original = known.get(program)
        if original is not None and original != program:
            argv = (posixpath.basename(original), *fact.value[1:])
            analysis.facts.append(Fact("command", argv, fact.context, fact.line,
                                       f"{fact.evidence}  ⇒  {program} is {original}", f"renamed {fact.via}".strip()))
    return own
