"""The text passes of :class:`.core.Engine`: one Aho-Corasick pass over a unit's lower-cased text (the literals,
the words that gate regexes, whether the deep analysis wakes), a second pass for the words of common parts when they
count, and the RE2 set passes over the regexes those words open.  :class:`_TextScanning` reads the indexes that
``Engine._compile`` builds (``_automaton``, ``_common_automaton``, ``_regexes`` and their sets)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from .refs import _Ref
from .text import _command_position, _line_starts, _locate, _on_word_boundary, _starts_word
from .triggers import BUILTIN_CALL_TRIGGERS, COMPANIONS

REGEX_MATCHES_PER_UNIT = 4


class _TextScanning:
    """The text passes of :class:`.core.Engine`."""

    def _prefilter(self, low: str) -> bool:
        """Does this text wake the deep analysis (what :meth:`_scan_unit` decides for a unit checked on its own)?"""
        _, gates, _, wakes = self._scan(low)
        return wakes or any(self._wakes(self._regex_refs[i]) for i in self._regex_indices(low, gates))

    def _wakes(self, ref: _Ref) -> bool:
        """Does a match of this pattern justify the deep analysis?  Not when it is a common part of a multi-part
        rule whose rarest part is missing: that part is looked for only when the rarest one shows up."""
        return ref.rule not in self._multi or ref.group == self._chosen[ref.rule]

    def _scan(self, low: str) -> tuple[list[tuple[int, str, tuple[_Ref, ...]]], set[int], set[int], bool]:
        """One Aho-Corasick pass: hits as (start, needle, literal refs), minus bogus triggers; the gate groups whose
        word occurs, those of rarer parts and those of common parts apart; and whether any hit wakes the deep
        analysis."""
        gates: set[int] = set()
        common: set[int] = set()
        if not self._has_needles:
            return [], gates, common, False
        hits = []
        wakes = False
        ascii_text = low.isascii()  # RE2's \b is ASCII: elsewhere a word-start gate wakes on any occurrence
        for end, (needle, refs, gated, wanted, waking, gated_at_start, common_gated, common_at_start) in \
                self._automaton.iter(low):
            start = end - len(needle) + 1
            if gated:
                gates.update(gated)
            if common_gated:
                common.update(common_gated)
            if (gated_at_start or common_at_start) and _starts_word(low, start, ascii_text):
                gates.update(gated_at_start)
                common.update(common_at_start)
            if not wanted:
                continue
            if needle in BUILTIN_CALL_TRIGGERS and start > 0 and (low[start - 1].isalnum() or low[start - 1] in "._"):
                continue  # re.compile(, self.eval( ... are not the builtins
            if not refs and (not _on_word_boundary(low, start, end + 1, needle,
                                                   "" if needle in self._file_words else "_")
                             or needle in self._program_only and not _command_position(low, start, end + 1)):
                continue  # a name inside a longer word ("tor" in "vector", "lt" in "__lt__"), or not a program
            hits.append((start, needle, refs))
            if waking and not wakes and needle in COMPANIONS:
                waking = any(word in low for word in COMPANIONS[needle])
            wakes = wakes or waking
        return hits, gates, common, wakes

    def _common_gates(self, low: str, found: set[int] = frozenset()) -> set[int]:
        """``found`` (the common gates :meth:`_scan` met on words with other roles too) and the groups of common
        parts whose words occur: a second pass over the words that only gate them, made when they count."""
        gates = set(found)
        if self._has_common_words:
            ascii_text = low.isascii()
            for end, (needle, anywhere, at_start) in self._common_automaton.iter(low):
                if anywhere:
                    gates.update(anywhere)
                if at_start and _starts_word(low, end - len(needle) + 1, ascii_text):
                    gates.update(at_start)
        return gates

    def _regex_indices(self, text: str, gates: Iterable[int] = (), ungated: bool = True) -> list[int]:
        """Indices of the regexes that match somewhere in ``text``: the ungated ones in one RE2 set pass, then
        each gate group whose word occurs (``gates``, from :meth:`_scan`) in one set pass of its own."""
        if not self._regexes:
            return []
        # RE2 reads UTF-8: encoded once here, not once per search
        data = text.encode("utf-8", "surrogatepass") if self._uses_re2 else text
        if not ungated:
            found = []
        elif self._regex_set is not None:
            found = [self._ungated[i] for i in self._regex_set.Match(data) or []]
        elif self._uses_re2:
            found = [i for i in self._ungated if self._regexes[i].search(data)]
        elif self._regex_union is not None and self._regex_union.search(text):
            found = list(self._ungated)
        else:
            found = []
        for group in sorted(gates):
            members, one_pass = self._gate_groups[group], self._group_sets[group]
            if one_pass is not None:
                found.extend(members[i] for i in one_pass.Match(data) or [])
            else:
                found.extend(i for i in members if self._regexes[i].search(data))
        return sorted(found)

    def _regex_matches(self, text: str, gates: Iterable[int] = ()) -> Iterable[tuple[_Ref, int, int, str]]:
        if self._regexes:
            yield from self._regex_located(text, self._regex_indices(text, gates))

    def _regex_located(self, text: str, indices: Iterable[int]) -> Iterable[tuple[_Ref, int, int, str]]:
        """The matches of these regexes, each with its line and column."""
        starts = None
        for index in indices:
            # a few matches, not one: the first may sit in a comment above the line that runs
            for m in itertools.islice(self._regexes[index].finditer(text), REGEX_MATCHES_PER_UNIT):
                starts = starts or _line_starts(text)
                line, col = _locate(starts, m.start())
                yield self._regex_refs[index], line, col, m.group(0)
