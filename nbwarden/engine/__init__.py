"""The detection engine: rules compiled once, code checked many times.

``Engine`` turns every pattern of every enabled rule into entries of a few
fast indexes:

* one Aho-Corasick automaton over all literal text (literals, and the
  trigger words of structured patterns such as program and module names),
  which doubles as the prefilter: a cell in which no trigger word occurs
  and no regex matches is allowed without parsing it;
* one RE2 set (or a Python ``re`` fallback) for all regexes;
* dictionaries for programs, modules, packages and hosts, checked against
  the facts that :mod:`nbwarden.analysis` extracts.

Matches are then grouped by rule.  A rule fires when each of its groups is
matched; its finding takes the weakest context among the groups (a pattern
that only describes the program, ``describes: true``, does not lower it),
and a finding whose evidence only appears in an inert context (a comment, a
printed string, a markdown cell, data) is capped at ``audit``.
One module per concern, imported one way (each imports only those above it):

``verdict.py``
    :class:`Finding`, :class:`Verdict`, the confidence weights and :func:`code_hash`.
``refs.py``
    compiled patterns (``_Ref``), glob sets and matches (``_Match``).
``triggers.py``
    the prefilter's words: triggers of command, import, package and glob patterns, common words, rarest groups.
``args.py``
    the arguments of ``command`` patterns.
``text.py``
    text helpers: line offsets, valid Unicode, word boundaries, regex unions, repository and host names.
``files.py``
    executables read within a budget, packers recognised.
``memory.py``
    :class:`Memory`, partial matches carried from cell to cell.
``program.py``
    :func:`shapes_across_cells`, cells read again as one program when a later cell uses an earlier one's functions.
``matching.py``
    one fact (command, import, package, clone, download, URL, behaviour shape, decoded text) against the indexes.
``core.py``
    :class:`Engine`: compile, check, locate regex hits, verdict.
``examples.py``
    :func:`check_examples`, a rule against its inline examples.

This file re-exports the names other modules and the tests use.
"""

from __future__ import annotations

from .core import Engine, log
from .examples import check_examples, example_verdict
from .files import packer, read_budgeted
from .memory import Memory
from .refs import UNLESS
from .scanning import REGEX_MATCHES_PER_UNIT
from .text import scoped
from .triggers import BUILTIN_CALL_TRIGGERS, COMMON_WORDS, DECODE_TRIGGERS, GENERIC_MODULE_ROOTS, GENERIC_PROGRAM
from .verdict import ACTIONS, CONTEXT_WEIGHT, SEVERITY_WEIGHT, Finding, Verdict, code_hash

__all__ = [
    "ACTIONS", "BUILTIN_CALL_TRIGGERS", "COMMON_WORDS", "CONTEXT_WEIGHT", "DECODE_TRIGGERS", "GENERIC_MODULE_ROOTS",
    "GENERIC_PROGRAM", "REGEX_MATCHES_PER_UNIT", "SEVERITY_WEIGHT", "UNLESS", "Engine", "Finding", "Memory",
    "Verdict", "check_examples", "code_hash", "example_verdict", "log", "packer", "read_budgeted", "scoped",
]
