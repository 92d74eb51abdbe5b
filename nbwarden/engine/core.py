"""The :class:`Engine`: rules compiled once into the indexes, and the checks (code, text, commands,
notebooks, files) that match facts against them and turn the matches into a verdict."""

from __future__ import annotations

import fnmatch
import itertools
import logging
import re
import shlex
import sys
import traceback
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import ahocorasick

from .. import analysis as an
from .. import behaviour, regexlit, shell
from .. import rules as rulesmod
from ..analysis import EXEC, clip
from ..rules import SEVERITY_RANK, Rule, RuleSet, pattern_kind
from .args import _arg_lists
from .files import packer, read_budgeted
from .matching import _FactMatching
from .memory import Memory
from .program import may_drive, shapes_across_cells
from .refs import _TRIGGER, UNLESS, _GlobSet, _Match, _Ref
from .scanning import _TextScanning
from .text import (
    _line_starts,
    _locate,
    _on_word_boundary,
    _valid_unicode,
    scoped,
)
from .triggers import (
    DECODE_TRIGGERS,
    GENERIC_MODULE_ROOTS,
    _command_triggers,
    _is_glob,
    _literal_core,
    _rarest_group,
)
from .verdict import Finding, Verdict, assemble_findings, decide
from .wordmodel import READ_KINDS, WordModel, default_model, first_place, program_words

try:  # RE2 runs all regexes in one linear pass; fall back to ``re`` if missing
    import re2  # type: ignore
except ImportError:  # pragma: no cover - exercised only where google-re2 is absent
    re2 = None


log = logging.getLogger("nbwarden.engine")
_RUNS_SCRIPT = re.compile(r"\.(py|sh)\b|(^|[\s;&|!])\./")
# code that maps host names to addresses itself: a one-label name in its URLs may stand for any address
_MAPS_NAMES = re.compile(r"/etc/hosts|--add-host|--resolve[\s=]|extra_hosts|hostaliases")
# roots of dotted import patterns that stay roots: the standard library's and frameworks' own packages
NOT_VENDORED = frozenset(sys.stdlib_module_names) | {"torch", "aiohttp", "tornado"}
# letters Python reads as ASCII in names (full-width ｏｓ, mathematical 𝐨𝐬): the prefilter and the patterns read
# such a text as Python does (NFKC); the analysis parses it as written (ast normalises the names itself)
_COMPAT_LETTERS = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\U0001d400-\U0001d7ff]")
# short string literals glued with + ("slow" + "httptest", 'ip' + 'fs'): a tool's name kept out of the text
# (written literal first, then each "+ literal": a pattern that starts at any quote backtracks far less)
_GLUED = re.compile(r"""["'][\w.-]{1,16}["'](?:\s*\+\s*["'][\w.-]{1,16}["'])+""")
_GLUED_PART = re.compile(r"""["']([\w.-]{1,16})["']""")


# RE2's default memory budget (8 MB) is too small for the DFA of a bounded gap (``.{0,1000}?``) on a long
# cell: RE2 then falls back to a slower matcher and logs "DFA out of memory" to stderr for each such search
RE2_MAX_MEM = 64 << 20



def _runs_renamed(low: str, renamed: dict[str, str]) -> bool:
    """Does the text run a program by a name an earlier cell gave it (``!./b -c 2000 ...`` after ``-O b``)?"""
    return any(re.search(rf"(?:^|[\s!/;&|(]){re.escape(name)}(?:\s|$)", low, re.M) for name in list(renamed)[:64])

def _re2_options():
    options = re2.Options()
    options.case_sensitive = False
    options.max_mem = RE2_MAX_MEM
    return options


def _regex_set(texts: list[str]):
    """One case-insensitive RE2 set over ``texts``, or None: no RE2, nothing to add, or over RE2's size limit
    (the caller then searches them one by one)."""
    if re2 is None or not texts:
        return None
    regex_set = re2.Set.SearchSet(_re2_options())
    try:
        for text in texts:
            regex_set.Add(text)
        regex_set.Compile()
    except re2.error:
        return None
    return regex_set


class Engine(_FactMatching, _TextScanning):
    """Compiled rules.  Build one and reuse it; checking is thread-safe."""

    def __init__(self, ruleset: RuleSet | None = None, *, extra_dirs: Iterable[str | Path] = (),
                 disable: Iterable[str] = (), word_model: WordModel | None | bool = True):
        self.ruleset = ruleset or rulesmod.load(list(extra_dirs), disable=list(disable))
        self.rules: list[Rule] = self.ruleset.enabled()
        self._rule_by_id = {r.id: r for r in self.rules}
        # True: the shipped model (nbwarden/models/words.json); False or None: the rules alone
        self._word_model = default_model() if word_model is True else (word_model or None)
        self.version = self.ruleset.fingerprint()
        if self._word_model is not None:
            self.version += f"+words@{self._word_model.version}"  # a decision is reproduced with the same model
        self._compile()

    # ------------------------------------------------------------------ compile

    def _compile(self) -> None:
        self._automaton = ahocorasick.Automaton()
        needles: dict[str, list[_Ref]] = {}
        self._programs: dict[str, list[_Ref]] = {}
        self._program_globs: list[tuple[str, _Ref]] = []
        self._imports: dict[str, list[_Ref]] = {}
        self._packages: dict[str, dict[str, list[_Ref]]] = {"pip": {}, "apt": {}}
        self._package_globs: dict[str, list[tuple[str, _Ref]]] = {"pip": [], "apt": []}
        self._hosts: dict[str, list[_Ref]] = {}
        self._gits: list[tuple[str, _Ref]] = []
        self._git_globs: list[tuple[str, _Ref]] = []  # a repository known by its name: */*face-swap*
        self._downloads: list[tuple[str, _Ref]] = []
        self._behaviour_refs: list[tuple[str, _Ref]] = []
        self._signatures: list[_Ref] = []
        regexes: list[tuple[str, _Ref]] = []

        # rules whose other parts (or "unless" patterns) may sit on other lines or in earlier cells
        self._multi = {i for i, rule in enumerate(self.rules) if len(rule.groups) > 1 or rule.unless}
        program_words: set[str] = set()
        other_words: set[str] = set()
        file_words: set[str] = set()  # a downloaded file name's word: crd_colab_exe.sh joins its words with "_"
        self._chosen: dict[int, int] = {}
        for r_index, rule in enumerate(self.rules):
            chosen = self._chosen[r_index] = _rarest_group(rule) if len(rule.groups) > 1 else 0
            for g_index, group in [*enumerate(rule.groups), (UNLESS, rule.unless)]:
                # a multi-part rule needs every group, so only its rarest group has to wake the deep
                # analysis; the other parts are found by looking back at earlier cells (_backfill)
                def add_needle(text: str, ref: _Ref | tuple, _chosen: bool = g_index == chosen) -> None:
                    text = text.lower()
                    if text and (ref is not _TRIGGER or _chosen):
                        needles.setdefault(text, []).append(ref)

                for pattern in group:
                    kind = pattern_kind(pattern)
                    spec = pattern[kind]
                    values = [spec] if isinstance(spec, (str, dict)) else list(spec)
                    for value in values:
                        ref = _Ref(r_index, g_index, kind, value, pattern.get("word", True),
                                   pattern.get("describes", False))
                        if kind == "literal":
                            add_needle(value, ref)
                        elif kind == "regex":
                            regexes.append((value, ref))
                        elif kind == "command":
                            programs = value["program"]
                            for program in [programs] if isinstance(programs, str) else programs:
                                prog_ref = _Ref(r_index, g_index, kind, value)
                                program = program.lower()
                                if any(ch in program for ch in "*?["):
                                    self._program_globs.append((program, prog_ref))
                                else:
                                    self._programs.setdefault(program, []).append(prog_ref)
                                for trigger in _command_triggers(program, value):
                                    add_needle(trigger, _TRIGGER)
                                    program_words.add(trigger.lower())
                        elif kind == "import":
                            self._imports.setdefault(value.lower(), []).append(ref)
                            root = value.split(".")[0]
                            # modules.core, lib.cli: the root alone is in every project; the dotted name is rarer
                            trigger = value if root.lower() in GENERIC_MODULE_ROOTS and "." in value else root
                            add_needle(trigger, _TRIGGER)
                            other_words.add(trigger.lower())
                        elif kind in {"pip", "apt"}:
                            name = shell.normalize_package(value) if kind == "pip" and not _is_glob(value) else value.lower()
                            if _is_glob(name):
                                self._package_globs[kind].append((name, ref))
                            else:
                                self._packages[kind].setdefault(name, []).append(ref)
                            add_needle(_literal_core(name), _TRIGGER)
                            if kind == "pip":
                                add_needle(_literal_core(name).replace("-", "_"), _TRIGGER)
                        elif kind == "host":
                            self._hosts.setdefault(value.lower().lstrip("."), []).append(ref)
                            add_needle(value, _TRIGGER)
                        elif kind == "git":
                            if _is_glob(value):
                                self._git_globs.append((value.lower(), ref))
                                add_needle(_literal_core(value), _TRIGGER)
                            else:
                                self._gits.append((value.lower(), ref))
                                add_needle(value, _TRIGGER)
                        elif kind == "download":
                            self._downloads.append((value.lower(), ref))
                            add_needle(_literal_core(value), _TRIGGER)
                            file_words.add(_literal_core(value))
                        elif kind == "behaviour":
                            self._behaviour_refs.append((value, ref))
                            for trigger in behaviour.triggers_for(value):
                                add_needle(trigger, _TRIGGER)
                        elif kind == "signature":
                            self._signatures.append(ref)
        for word in DECODE_TRIGGERS:
            needles.setdefault(word, []).append(_TRIGGER)
        # regexes that cannot match without a word wait behind that word in the automaton; the rest form the set.
        # Regexes waiting behind the same words form one gate group, searched in one RE2 set pass: many share a
        # common word ("for" opens the loop regexes of five languages), and one pass costs less than ten searches
        # A word the regex needs at the start of a word ("for" of \bfor\s+) gates it only there, not inside "format".
        # Common parts of multi-part rules (a loop, a `for` over a range) form groups of their own, kept apart in the
        # automaton: alone they wake nothing, so a cell with no rarer part (most cells) never runs their RE2 sets.
        gates: dict[tuple[str, bool], list[int]] = {}
        common_gates: dict[tuple[str, bool], list[int]] = {}
        groups: dict[tuple[tuple[tuple[str, bool], ...], bool], int] = {}
        self._gate_groups: list[list[int]] = []
        self._ungated: list[int] = []
        for index, (text, ref) in enumerate(regexes):
            words = tuple(sorted((regexlit.required_words(text) or {}).items()))
            if not words:
                self._ungated.append(index)
                continue
            key = (words, self._wakes(ref))
            if key not in groups:
                groups[key] = len(self._gate_groups)
                self._gate_groups.append([])
                for word in words:
                    (gates if key[1] else common_gates).setdefault(word, []).append(groups[key])
            self._gate_groups[groups[key]].append(index)
        self._sig_automaton = ahocorasick.Automaton()
        sig_needles: dict[str, list[tuple[_Ref, int]]] = {}
        for ref in self._signatures:
            for index, text in enumerate(ref.spec["strings"]):
                sig_needles.setdefault(text.lower(), []).append((ref, index))
        for text, refs in sig_needles.items():
            self._sig_automaton.add_word(text, (text, tuple(refs)))
        if sig_needles:
            self._sig_automaton.make_automaton()
        # each word: (word, literal refs, gated regex groups, whether it is a trigger or a literal at all,
        # whether it wakes the deep analysis: a trigger, or a literal of a single-part rule or a rarest part,
        # groups gated by the word only where it starts a word, and the same two for groups of common parts)
        # Words that only gate common parts ("for", "import", "mode": nearly half of all hits in ordinary cells) sit in
        # an automaton of their own, read only when a common part is wanted (:meth:`_common_gates`).
        self._common_automaton = ahocorasick.Automaton()
        for text in needles.keys() | {word for word, _ in gates} | {word for word, _ in common_gates}:
            refs = needles.get(text, ())
            literal_refs = tuple(r for r in refs if r is not _TRIGGER)
            wakes = len(literal_refs) < len(refs) or any(self._wakes(r) for r in literal_refs)
            anywhere, at_start = gates.get((text, False), ()), gates.get((text, True), ())
            common_anywhere, common_at_start = common_gates.get((text, False), ()), common_gates.get((text, True), ())
            if not refs and not anywhere and not at_start:
                self._common_automaton.add_word(text, (text, tuple(common_anywhere), tuple(common_at_start)))
                continue
            self._automaton.add_word(text, (text, literal_refs, tuple(anywhere), bool(refs), wakes, tuple(at_start),
                                            tuple(common_anywhere), tuple(common_at_start)))
        self._has_needles = len(self._automaton) > 0
        if self._has_needles:
            self._automaton.make_automaton()
        self._has_common_words = len(self._common_automaton) > 0
        if self._has_common_words:
            self._common_automaton.make_automaton()
        # dotted module names of a tool that a project vendors under its own package (src.rtvc.synthesizer.inference):
        # matched from any part of an import, unless their root is the standard library's or a generic folder name
        self._vendored_imports = {name: refs for name, refs in self._imports.items() if "." in name and
                                  name.split(".")[0] not in GENERIC_MODULE_ROOTS | NOT_VENDORED}
        self._download_globs = _GlobSet(self._downloads)
        self._git_glob_set = _GlobSet(self._git_globs)
        self._behaviour_globs = _GlobSet(self._behaviour_refs)
        self._word_rules = any(value.startswith("words/") for value, _ in self._behaviour_refs)
        self._package_glob_sets = {kind: _GlobSet(globs) for kind, globs in self._package_globs.items()}
        # one regex says whether any program glob can match, so most programs cost one call
        self._program_glob_any = re.compile("|".join(fnmatch.translate(g) for g, _ in self._program_globs)) \
            if self._program_globs else None
        # globs bucketed by their first two literal characters ("" when they start with a wildcard)
        self._glob_buckets: dict[str, list[tuple[re.Pattern, _Ref]]] = {}
        for glob, ref in self._program_globs:
            prefix = re.split(r"[*?\[]", glob, maxsplit=1)[0]
            key = prefix[:2] if len(prefix) >= 2 else ""
            self._glob_buckets.setdefault(key, []).append((re.compile(fnmatch.translate(glob)), ref))
        self._program_memo: dict[str, tuple[tuple[_Ref, ...], re.Pattern | None]] = {}
        self._arg_specs = {id(ref.spec): _arg_lists(ref.spec)
                           for refs in [*self._programs.values(), [r for _, r in self._program_globs]] for ref in refs}
        self._program_only = program_words - other_words
        self._file_words = file_words
        self._regex_refs = [ref for _, ref in regexes]
        # located with RE2 too where it is installed: Python's re backtracks, and one rule's regex over a long line
        # of dotted names cost seconds (quadratic); RE2 is linear
        self._regex_texts = [text for text, _ in regexes]
        self._uses_re2 = re2 is not None  # the text passes (scanning.py) hand RE2 bytes, Python's re text
        self._regexes = [re2.compile(text, _re2_options()) if re2 is not None else re.compile(text, re.I)
                         for text in self._regex_texts]
        self._regex_set = _regex_set([self._regex_texts[i] for i in self._ungated])
        # a set even for one regex: one call into RE2, where a search goes through the wrapper's match objects
        self._group_sets = [_regex_set([self._regex_texts[i] for i in members]) for members in self._gate_groups]
        self._regex_union = None  # without RE2 (a set RE2 cannot compile is searched regex by regex instead)
        if self._ungated and re2 is None:
            self._regex_union = re.compile("|".join(scoped(self._regex_texts[i]) for i in self._ungated), re.I)

    # ------------------------------------------------------------------ public API

    def check_code(self, source: str, kind: str = "cell", *, cell: int | None = None,
                   memory: Memory | None = None) -> Verdict:
        """Check one cell, script or text.  ``kind``: cell, python, shell, markdown, data, text.

        Never raises: a step that fails degrades its unit to :meth:`check_text`
        and says so in ``Verdict.error`` and the notes.
        """
        notes: list[str] = []
        source = _valid_unicode(source if isinstance(source, str) else str(source), notes)
        errors: list[str] = []
        try:
            earlier = memory.earlier if memory is not None else None
            common = memory is not None and (bool(memory.parts) or kind != "cell")
            matches, analysed, woke = self._scan_unit(source, kind, cell, notes, earlier, errors, common)
            if memory is None:
                if woke:
                    matches += self._word_matches([(source, kind, cell)], errors)
                return self._verdict(self._findings(matches), notes, errors)
            memory.next_cell()
            # a shape this cell completes with earlier ones: it has the shape's words, or it is a loop that may
            # drive an earlier cell's helper
            wanted = kind == "cell" and (behaviour.wanted(source.lower()) or may_drive(source))
            if wanted or kind == "cell" and woke:
                window = [(e.source, e.cell) for e in memory.earlier.entries[-memory.window:]]
                if wanted:
                    matches += self._across_cells([*window, (source, cell)], matches, errors, current=True)
                if woke:  # the cells so far as one program; only when this cell's words weigh in
                    matches += self._word_matches([*((s, kind, c) for s, c in window), (source, kind, cell)], errors,
                                                  current=True, cache=memory.word_sets)
            looked_back = self._backfill(matches, memory.earlier, memory.window, errors)
            remembered = memory.recent()
            memory.earlier.add(source, cell, self._multi_matches(matches) if analysed else None)
            memory.remember(matches + looked_back)
            return self._verdict(self._findings(matches, extra=remembered + looked_back), notes, errors)
        except Exception as exc:  # noqa: BLE001 - a failure outside one unit: the whole text, text-level
            errors.append(_failure(exc, "check_code"))
            return self._verdict(self._findings(self._text_level(source, kind, cell, notes)), notes, errors)

    def check_text(self, source: str, kind: str = "cell", *, cell: int | None = None) -> Verdict:
        """The text-level check alone: Aho-Corasick and RE2 over the raw text, contexts from each line's
        first characters, and each shell line parsed on its own (:func:`nbwarden.analysis.surface`).

        Linear in the size of the text and total: what the gate, the agent and
        the exec gate decide on when the full check fails or misses its
        deadline.  A miner's command line is blocked here too.
        """
        notes: list[str] = []
        source = _valid_unicode(source if isinstance(source, str) else str(source), notes)
        return self._verdict(self._findings(self._text_level(source, kind, cell, notes)), notes)

    def check_command(self, argv: list[str] | tuple[str, ...], exe: str | None = None) -> Verdict:
        """Check a process command line as the agent sees it (no shell involved).  Never raises."""
        notes: list[str] = []
        argv = [_valid_unicode(a if isinstance(a, str) else str(a), notes) for a in argv if a is not None]
        if not argv:
            return self._verdict([], [])
        exe = _valid_unicode(exe, notes) if isinstance(exe, str) else None
        try:
            return self._check_command(argv, exe)
        except Exception as exc:  # noqa: BLE001 - the command line as one shell line, text-level
            text = shlex.join(argv) + (f"; {shlex.quote(exe)}" if exe else "")
            matches = self._text_level(text, "shell", None, notes)
            return self._verdict(self._findings(matches), notes, [_failure(exc, "check_command")])

    def _check_command(self, argv: list[str], exe: str | None) -> Verdict:
        text = shlex.join(argv)
        low = text.lower()
        # the executable's own name, when it differs from argv[0], is checked as a second command
        exe_argv = [exe, *argv[1:]] if exe and shell.program_name(exe) != shell.program_name(argv[0]) else None
        hits, gates, common_gates, _ = self._scan(low)
        gates |= self._common_gates(low, common_gates)
        if shell.is_plain(argv, text) and not self._command_refs(argv) \
                and not (exe_argv and self._command_refs(exe_argv)) \
                and not any(refs for _, _, refs in hits) and not self._regex_indices(text, gates):
            # nothing here starts another command or can match a pattern: what the full parse below finds
            return self._verdict([], [])
        unit = an.Analysis(source=text, kind="shell", lines=[text])
        unit.shell_lines[1] = EXEC
        facts = shell.parse_argv(argv)
        if exe_argv:
            facts.commands.append(shell.Command(exe_argv, "exe"))
        shown = clip(text, 200)  # the evidence of every fact: the command line, cut like any other evidence
        for cmd in facts.commands:
            unit.facts.append(an.Fact("command", tuple(cmd.argv), EXEC, 1, shown, cmd.via))
        for attr, kind in (("pip", "pip"), ("apt", "apt"), ("git", "git"), ("urls", "url")):
            for value in getattr(facts, attr):
                unit.facts.append(an.Fact(kind, value, EXEC, 1, shown))
        for url, filename in facts.downloads:
            unit.facts.append(an.Fact("download", (url, filename), EXEC, 1, shown))
        if facts.python_code:
            sub = an.Analysis(source="", kind="shell")
            for code in facts.python_code:
                an._nested(sub, code, "python", 1, "python -c", EXEC, 1)
            unit.facts.extend(sub.facts)
        matches = self._match(unit, low, None)
        return self._verdict(self._findings(matches), [])

    def check_notebook(self, notebook: str | Path | dict | bytes) -> Verdict:
        """Check every cell of a notebook (a path, JSON text or bytes, or a parsed dict).  Never raises.

        Broken JSON is salvaged or checked as text (the problem is a note);
        a path that cannot be read gives an allow verdict whose ``error`` says why.
        """
        from ..sources import SourceError, read_notebook  # late import: sources imports this module's users

        try:
            units, notes, problem = read_notebook(notebook)
        except SourceError as exc:
            return self._verdict([], [str(exc)], [str(exc)])
        if problem:
            notes.insert(0, f"not a proper notebook: {problem}")
        return self.check_units(units, notes)

    def check_file(self, file: str | Path | bytes, *, name: str | None = None, budget: int = 16 << 20) -> Verdict:
        """Check an executable before or while it runs.  Never raises.

        A ``#!`` script is checked as the code it is.  A binary is checked by
        its name (as a command) and by the ``signature`` strings of the rule
        packs found in its bytes, so a renamed or stripped miner is still
        recognised.  At most ``budget`` bytes are read (head and tail).
        """
        notes: list[str] = []
        if isinstance(file, (str, Path)):
            name = name or str(file)
            try:
                data = read_budgeted(Path(file), budget, notes)
            except (OSError, ValueError) as exc:
                reason = f"cannot read {file}: {exc}"
                return self._verdict(self.check_command([name]).findings if name else [], [reason], [reason])
        else:
            data = bytes(file)
        if data.startswith(b"#!"):
            text = data.decode("utf-8", "replace")
            first = text.split("\n", 1)[0]
            verdict = self.check_code(text, "python" if "python" in first else "shell")
            verdict.notes[:0] = notes
            return verdict
        packed = packer(data)
        if packed:
            notes.append(f"packed executable ({packed})")
        findings = self._findings(self._signature_matches(data, name))
        if name:
            findings += [f for f in self.check_command([name]).findings if f.rule not in {x.rule for x in findings}]
            findings.sort(key=lambda f: (-SEVERITY_RANK[f.severity], f.rule))
        return self._verdict(findings, notes)

    def _signature_matches(self, data: bytes, name: str | None) -> list[_Match]:
        """``signature`` patterns: enough of a rule's strings inside the bytes (one Aho-Corasick pass)."""
        matches: list[_Match] = []
        if not self._signatures:
            return matches
        found: dict[int, dict[int, str]] = {}
        refs_by_id: dict[int, _Ref] = {}
        for _, (needle, refs) in self._sig_automaton.iter(data.lower().decode("latin-1")):
            for ref, index in refs:
                found.setdefault(id(ref), {})[index] = needle
                refs_by_id[id(ref)] = ref
        for key, hits in found.items():
            ref = refs_by_id[key]
            need = ref.spec.get("min") or len(ref.spec["strings"])
            if len(hits) >= need:
                shown = ", ".join(repr(h) for h in list(hits.values())[:4])
                more = f" (+{len(hits) - 4})" if len(hits) > 4 else ""
                evidence = f"{name or 'file'} contains {shown}{more}"
                matches.append(_Match(ref, EXEC, None, 1, clip(evidence, 200), "signature"))
        return matches

    def check_units(self, units: list[tuple[str, str, int | None]], notes: list[str] | None = None) -> Verdict:
        """Check several units as one document: (source, kind, cell) triples.  Never raises."""
        notes = notes if notes is not None else []
        errors: list[str] = []
        matches: list[_Match] = []
        earlier = an.EarlierCells()
        cells: list[tuple[str, int | None]] = []
        read: list[tuple[str, str, int | None]] = []  # the units as checked, for the word model
        any_woke = False
        for source, kind, cell in units:
            source = _valid_unicode(source if isinstance(source, str) else str(source), notes)
            read.append((source, kind, cell))
            if kind == "cell":
                cells.append((source, cell))
            try:
                # a skipped cell is read again by the look-back below if a rarer part shows up anywhere
                found, analysed, woke = self._scan_unit(source, kind, cell, notes, earlier, errors, kind != "cell")
            except Exception as exc:  # noqa: BLE001 - _scan_unit guards its deep part; this is the rest
                errors.append(_failure(exc, f"cell {cell}"))
                found, analysed, woke = self._text_level(source, kind, cell, notes), False, True
            any_woke = any_woke or woke
            matches.extend(found)
            if kind == "cell":
                earlier.add(source, cell, self._multi_matches(found) if analysed else None)
        matches.extend(self._across_cells(cells, matches, errors))
        matches.extend(self._backfill(matches, earlier, errors=errors))
        if any_woke:  # the word model reads programs in which some rule's word occurs
            matches.extend(self._word_matches(read, errors))
        try:
            findings = self._findings(matches)
        except Exception as exc:  # noqa: BLE001 - cannot happen on valid matches; never raise all the same
            errors.append(_failure(exc, "findings"))
            findings = []
        return self._verdict(findings, notes, errors)

    def _across_cells(self, cells: list[tuple[str, int | None]], matches: list[_Match], errors: list[str],
                      current: bool = False) -> list[_Match]:
        """Shapes of the cells read as one program (:mod:`.program`), for rules that no cell matched alone;
        ``current``: only the links the last cell makes (the gate)."""
        if not self._behaviour_refs or len(cells) < 2:
            return []
        try:
            facts = shapes_across_cells(cells, current)
        except Exception as exc:  # noqa: BLE001 - the per-cell reading stands
            errors.append(_failure(exc, "the cells read as one program"))
            return []
        have = {m.ref.rule for m in matches}
        found: list[_Match] = []
        for cell, fact in facts:
            self._match_fact(fact, cell, found)
        return [m for m in found if m.ref.rule not in have]

    def _word_matches(self, units: list[tuple[str, str, int | None]], errors: list[str], current: bool = False,
                      cache: dict[str, frozenset[str]] | None = None) -> list[_Match]:
        """The word model's judgement of the code units read as one program (:mod:`.wordmodel`), as a
        ``words/<category>`` behaviour fact for the packs' ``word-model`` rules.  With ``current`` (the gate:
        the last unit is the cell about to run), only when that cell holds one of the words that weighed most,
        and the finding is put on it: a harmless cell run after a flagged one is not flagged again.  ``cache``
        (the kernel's :class:`Memory`) keeps each recent cell's words, so a cell's text is read once."""
        model = self._word_model
        if model is None or not self._word_rules:
            return []
        try:
            code = [(source, cell) for source, kind, cell in units if kind in READ_KINDS and source]
            if sum(len(source) for source, _ in code) < model.min_chars:
                return []
            judgement = model.judge(program_words(code, cache))
            if judgement is None:
                return []
            places = [(word, *place) for word, _ in judgement.words if (place := first_place(code, word))]
            if current:
                if units[-1][1] not in READ_KINDS or not units[-1][0]:  # code[-1] is then the current cell
                    return []
                here = [(word, *place) for word, _ in judgement.words if (place := first_place(code[-1:], word))]
                if not here:
                    return []
                places = here + [p for p in places if p[0] not in {w for w, _, _ in here}]
            if not places:
                return []
            shown = ", ".join(f"'{w}' ({'' if c is None else f'cell {c}, '}line {n})" for w, c, n in places)
            evidence = clip(f"its words read like {judgement.category} (p={judgement.probability:.2f}): {shown}", 200)
            _, cell, line = places[0]
            found: list[_Match] = []
            fact = an.Fact("behaviour", f"words/{judgement.category}", an.CODE, line, evidence, "word model")
            self._match_fact(fact, cell, found)
            return found
        except Exception as exc:  # noqa: BLE001 - the rules' verdict stands without the model
            errors.append(_failure(exc, "word model"))
            return []

    def _anchors(self, match: _Match) -> bool:
        """Is this a match of the rarest group of a multi-part rule (worth looking for the rest)?"""
        return match.ref.rule in self._multi and match.ref.group == self._chosen[match.ref.rule]

    def _multi_matches(self, matches: list[_Match]) -> list[_Match]:
        return [m for m in matches if m.ref.rule in self._multi]

    def _backfill(self, matches: list[_Match], earlier: an.EarlierCells, window: int | None = None,
                  errors: list[str] | None = None) -> list[_Match]:
        """Parts of half-matched multi-part rules, from earlier cells the prefilter skipped."""
        partial = {m.ref.rule for m in matches if self._anchors(m)}
        if not partial:
            return []
        found: list[_Match] = []
        for entry in earlier.entries[-window:] if window else earlier.entries:
            if entry.matches is None:
                try:
                    unit = an.analyze(entry.source, "cell")
                    entry.matches = self._multi_matches(self._match(unit, entry.source.lower(), entry.cell))
                except Exception as exc:  # noqa: BLE001 - that earlier cell's text-level matches instead
                    if errors is not None:
                        errors.append(_failure(exc, f"earlier cell {entry.cell}"))
                    entry.matches = self._multi_matches(self._text_level(entry.source, "cell", entry.cell, []))
                entry.backfilled = True
            if entry.backfilled:
                found.extend(m for m in entry.matches if m.ref.rule in partial)
        return found

    def rule(self, rule_id: str) -> Rule | None:
        return self.ruleset.rules.get(rule_id)

    # ------------------------------------------------------------------ matching

    def _scan_unit(self, source: str, kind: str, cell: int | None, notes: list[str],
                   earlier: an.EarlierCells | None = None, errors: list[str] | None = None,
                   common: bool = True) -> tuple[list[_Match], bool, bool]:
        """Matches of one unit (its deep analysis only where the prefilter saw something), whether it was
        analysed whole, and whether the prefilter woke for it (the word model reads only such programs).

        ``common``: whether common parts of multi-part rules are wanted from this unit now.  Alone they
        complete no rule; where no earlier part waits for them (a cell checked on its own, a kernel with
        nothing remembered) and the look-back reads a skipped cell again once a rarer part shows up, they
        are not worth the surface reading.

        An unexpected error in the analysis degrades this unit to the
        text-level checks, with a note and an entry in ``errors``; it never
        aborts the check of the other units.
        """
        # the words and patterns are looked for in the text as Python reads its names (ｒｅｑｕｅｓｔｓ is requests);
        # the analysis parses the text as written (a full-width quote inside a string must stay a character)
        text = unicodedata.normalize("NFKC", source) if _COMPAT_LETTERS.search(source) else source
        low = text.lower()
        hits, gates, common_gates, wakes = self._scan(low)
        indices = self._regex_indices(text, gates | self._common_gates(low, common_gates) if common else gates) \
            if self._regexes else []
        launch = earlier is not None and (earlier.cwd and _RUNS_SCRIPT.search(low) or _runs_renamed(low, earlier.renamed))
        # a tool's name glued from short literals flows to wherever it runs: the whole unit is read (no focus)
        glued = "+" in low and self._glued_wakes(low)
        launch = launch or glued
        if kind == "text" and not wakes and an.HIDES_WORDS.search(low):
            launch = True  # a program in another language that decodes or glues its strings: its literals are read
        if not hits and not indices and not launch:
            # (a script run where an earlier cell moved to, e.g. `%cd roop`, or a program an earlier cell renamed,
            # is looked at)
            return [], False, False
        waking = bool(wakes or launch or any(self._wakes(self._regex_refs[i]) for i in indices))
        if not waking and not common:
            return [], False, False  # only common parts of multi-part rules, and nothing waits for them
        if not common and self._regexes:  # woken: the common parts' regexes count now
            indices = sorted(indices + self._regex_indices(text, self._common_gates(low, common_gates), ungated=False))
        regex_hits = list(self._regex_located(text, indices))
        if not waking:
            # only common parts of multi-part rules: matched on the surface reading, and analysed in depth later
            # only if a rarer part shows up (the notebook's or the kernel's look-back)
            starts = _line_starts(low)
            located = [(start, *_locate(starts, start), needle, refs) for start, needle, refs in hits]
            return self._match(an.surface(source, kind), low, cell, located, regex_hits), False, False
        try:
            starts = _line_starts(low)
            located = [(start, *_locate(starts, start), needle, refs) for start, needle, refs in hits]
            focus = {line for _, line, _, _, _ in located} | {line for _, line, _, _ in regex_hits}
            unit = an.analyze(source, kind, focus=None if glued else focus, earlier=earlier)
            matches = self._match(unit, low, cell, located, regex_hits)
            whole = False
            if any(self._anchors(m) for m in matches):
                # half of a multi-part rule: its other parts may sit on lines the focused pass skipped
                unit = an.analyze(source, kind, earlier=earlier)
                matches = self._match(unit, low, cell, located, regex_hits)
                whole = True
        except Exception as exc:  # noqa: BLE001 - degrade this unit, never the whole check
            failure = _failure(exc, "analysis")
            if errors is not None:
                errors.append(failure)
            notes.append(f"{f'cell {cell}: ' if cell is not None else ''}{failure}; text-level checks only")
            return self._text_level(source, kind, cell, notes), True, True
        for note in unit.notes:
            notes.append(f"cell {cell}: {note}" if cell is not None else note)
        # a focused pass read only the lines with hits: a part of a rule anchored in another cell may sit on
        # the others, so the look-back (_backfill) reads such a cell whole, as one it skipped
        return matches, whole, True

    def _glued_wakes(self, low: str) -> bool:
        """Do short literals glued with ``+`` spell a word that wakes the deep analysis (``"ip" + "fs"``)?"""
        for found in itertools.islice(_GLUED.finditer(low), 64):
            word = "".join(_GLUED_PART.findall(found.group(0)))
            if self._scan(word)[3]:
                return True
        return False

    def _text_level(self, source: str, kind: str, cell: int | None, notes: list[str]) -> list[_Match]:
        """Matches of the surface reading; if even that fails, literals and regexes over the raw text."""
        low = source.lower()
        try:
            return self._match(an.surface(source, kind), low, cell)
        except Exception as exc:  # noqa: BLE001 - both matchers are C code over valid Unicode: this holds
            notes.append(f"{_failure(exc, 'surface reading')}; raw text only")
            return self._match(an.Analysis(source=source, kind="text", lines=source.split("\n")), low, cell)

    def _match(self, unit: an.Analysis, low: str, cell: int | None, located=None, regex_hits=None) -> list[_Match]:
        matches: list[_Match] = []
        lines = unit.lines
        if located is None:
            starts = _line_starts(low)
            hits, gates, common_gates, _ = self._scan(low)
            gates |= self._common_gates(low, common_gates)
            located = [(start, *_locate(starts, start), needle, refs) for start, needle, refs in hits]
            regex_hits = list(self._regex_matches(unit.source, gates))
        shown: dict[int, str] = {}  # evidence per line: a long line with many hits is clipped once

        def evidence(line: int, fallback: str) -> str:
            if line not in shown:
                shown[line] = clip(lines[line - 1], 200) if 0 < line <= len(lines) else clip(fallback, 200)
            return shown[line]

        # literal text in the raw source, located so its context is known
        for start, line, col, needle, refs in located:
            if not refs:
                continue
            context = unit.context_at(line, col) if lines else EXEC
            for ref in refs:
                if ref.word and not _on_word_boundary(low, start, start + len(needle), needle):
                    continue
                matches.append(_Match(ref, context, cell, line, evidence(line, needle)))
        # regexes over the raw source
        for ref, line, col, _ in regex_hits or ():
            context = unit.context_at(line, col) if lines else EXEC
            matches.append(_Match(ref, context, cell, line, evidence(line, "")))
        # facts: structured patterns, and literals/regexes over derived text; a unit that maps host names to
        # addresses itself (an /etc/hosts line, docker's --add-host, curl's --resolve) has no private names (only
        # commands' arguments ask, so the text is searched once a command is among the facts)
        private_names = None
        for fact in unit.facts:
            if private_names is None and fact.kind == "command":
                private_names = _MAPS_NAMES.search(low) is None
            self._match_fact(fact, cell, matches, private_names is not False)
        return matches

    # ------------------------------------------------------------------ verdicts (assembled in verdict.py)

    def _findings(self, matches: list[_Match], extra: list[_Match] = ()) -> list[Finding]:
        return assemble_findings(matches, extra, self.rules, self._multi)

    def _verdict(self, findings: list[Finding], notes: list[str], errors: list[str] = ()) -> Verdict:
        return decide(findings, notes, errors, self._rule_by_id, self.version)


def _failure(exc: BaseException, step: str) -> str:
    """One line naming an internal failure and where it happened, for the verdict, the ledger and the log."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    log.warning("nbwarden engine: %s failed: %s: %s%s", step, type(exc).__name__, exc, where,
                exc_info=log.isEnabledFor(logging.DEBUG))
    return clip(f"engine failure in {step}: {type(exc).__name__}: {exc}{where}", 300)

