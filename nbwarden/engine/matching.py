"""How one fact (a command, an import, a package, a clone, a download, a URL, a behaviour shape, decoded text)
is matched against the engine's indexes: :class:`_FactMatching`, a part of :class:`.core.Engine` (which builds the
indexes it reads: ``_programs``, ``_imports``, ``_packages``, ``_gits``, ``_hosts``, the glob sets, the automaton
and the regexes)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .. import analysis as an
from .. import behaviour, shell
from .args import _args_match
from .refs import _Match, _Ref
from .text import _host_of, _normalize_repo, _on_word_boundary, _starts_word

# Words in a repository's name that say it studies an activity rather than performs it (ddos-detection,
# deepfake-dataset, faceswap-classifier): a glob that knows a tool by its name skips such repositories.
_STUDIES = re.compile(r"detect|classif|dataset|analy[sz]|defen[cs]|mitigat|prevent|protect|monitor|simulat|research|"
                      r"paper|survey|awesome|benchmark|forensic|anti[-_]?|-ids\b|[-_]ml\b|course|lecture|homework")


class _FactMatching:
    """The fact matchers of :class:`.core.Engine`."""

    def _match_fact(self, fact: an.Fact, cell: int | None, out: list[_Match], private_names: bool = True) -> None:
        """``private_names``: whether a one-label host name in a URL is a private service's (see
        :func:`.args._only_local_addresses`); False for code that maps names to addresses itself."""
        kind, value = fact.kind, fact.value

        def hit(refs: Iterable[_Ref], via: str = "") -> None:
            for ref in refs:
                out.append(_Match(ref, fact.context, cell, fact.line, fact.evidence, fact.via or via))

        if kind == "command":
            argv = list(value)
            hit(self._command_refs(argv, private_names))
            for shape in behaviour.command_shapes(argv):  # args/*: what the arguments say, whatever the program
                hit(self._behaviour_globs.refs(shape))
            # the program path and arguments are text too (pool URLs, hashes, model files)
            self._match_text(" ".join(argv), fact, cell, out)
        elif kind == "import":
            parts = value.lower().split(".")
            for i in range(1, len(parts) + 1):
                hit(self._imports.get(".".join(parts[:i]), ()))
            for j in range(1, len(parts) - 1):  # a tool's modules vendored under a package (see _vendored_imports)
                for i in range(j + 2, len(parts) + 1):
                    hit(self._vendored_imports.get(".".join(parts[j:i]), ()))
        elif kind in {"pip", "apt"}:
            name = value.lower()
            hit(self._packages[kind].get(name, ()))
            hit(self._package_glob_sets[kind].refs(name))
        elif kind == "git":
            url = _normalize_repo(value)
            hit(ref for needle, ref in self._gits if needle in url)
            if not _STUDIES.search(url.rsplit("/", 1)[-1]):  # a repository named for studying the activity is not it
                hit(self._git_glob_set.refs(url))
            self._match_host(_host_of(value), fact, cell, out)
        elif kind == "download":
            source, filename = value
            name = filename.lower()
            hit(self._download_globs.refs(name))
            published = source.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1].lower()
            if published and published != name:  # `wget -O core.zip .../v2ray-linux-64.zip`: the file as published
                hit(self._download_globs.refs(published))
            self._match_text(f"{source} {filename}", fact, cell, out)
        elif kind == "url":
            self._match_host(_host_of(value), fact, cell, out)
        elif kind == "behaviour":
            hit(self._behaviour_globs.refs(value))
        elif kind == "text" and fact.via:
            self._match_text(value, fact, cell, out)

    def _match_host(self, host: str, fact: an.Fact, cell: int | None, out: list[_Match]) -> None:
        labels = host.lower().split(".")
        for i in range(len(labels) - 1):
            for ref in self._hosts.get(".".join(labels[i:]), ()):
                out.append(_Match(ref, fact.context, cell, fact.line, fact.evidence, fact.via))

    def _command_refs(self, argv: list[str], private_names: bool = True) -> list[_Ref]:
        """The command patterns that match this argv (program name, then arguments)."""
        refs, needed = self._program_refs(shell.program_name(argv[0])) if argv else ((), None)
        if not refs:
            return []
        args_low = [a.lower() for a in argv[1:]]
        joined = " ".join(args_low)
        if needed is not None and needed.search(joined) is None:
            return []
        return [ref for ref in refs if _args_match(self._arg_specs[id(ref.spec)], args_low, joined, private_names)]

    def _program_refs(self, program: str) -> tuple[tuple[_Ref, ...], re.Pattern | None]:
        """Command patterns for a program name, exact and glob, and one regex of the argument text at
        least one of them needs (None when one needs none).  Memoised: hosts and notebooks run the same
        few programs over and over, and the patterns for any program (``program: "*"``) apply to all."""
        memo = self._program_memo.get(program)
        if memo is None:
            found = list(self._programs.get(program, ()))
            if self._program_glob_any is not None and self._program_glob_any.match(program):
                for regex, ref in self._glob_buckets.get(program[:2], []) + self._glob_buckets.get("", []):
                    if regex.match(program):
                        found.append(ref)
            needles: set[str] = set()
            for ref in found:
                spec = self._arg_specs[id(ref.spec)]
                if spec.required:
                    needles.add(spec.required[0])  # every required needle is in the arguments' text
                elif spec.alternatives:
                    needles.update(spec.alternatives)
                else:
                    needles = set()
                    break
            needed = re.compile("|".join(map(re.escape, sorted(needles)))) if needles and found else None
            memo = (tuple(found), needed)
            if len(self._program_memo) >= 16384:
                self._program_memo.clear()
            self._program_memo[program] = memo
        return memo

    def _match_text(self, text: str, fact: an.Fact, cell: int | None, out: list[_Match]) -> None:
        """Literals and regexes over text that is not verbatim in the source."""
        if not text or not fact.via and fact.kind != "text":
            return
        low = text.lower()
        gates: set[int] = set()
        if self._has_needles:
            ascii_text = low.isascii()
            for end, (needle, refs, gated, _, _, gated_at_start, common_gated, common_at_start) in \
                    self._automaton.iter(low):
                gates.update(gated)
                gates.update(common_gated)
                start = end - len(needle) + 1
                if (gated_at_start or common_at_start) and _starts_word(low, start, ascii_text):
                    gates.update(gated_at_start)
                    gates.update(common_at_start)
                for ref in refs:
                    if ref.kind == "literal" and (not ref.word or _on_word_boundary(low, start, end + 1, needle)):
                        out.append(_Match(ref, fact.context, cell, fact.line, fact.evidence, fact.via))
        if self._regexes:
            for index in self._regex_indices(text, self._common_gates(low, gates)):
                out.append(_Match(self._regex_refs[index], fact.context, cell, fact.line, fact.evidence, fact.via))
