"""Code analysis: what a cell, script or command line would actually do.

The engine matches rules against *facts*.  A fact is one thing the code does
(runs a command, imports a module, installs a package, clones a repository,
downloads a file, mentions a URL) or one piece of text it contains, tagged
with the context it appears in:

* ``exec``  - it runs: a shell command, an import, an argument of
  ``subprocess.run``, code handed to ``exec``;
* ``code``  - it is part of the program but does not obviously run: a string
  constant, an identifier;
* ``inert`` - it never runs: a comment, a markdown cell, a printed message,
  a docstring, data.

IPython syntax (``!cmd``, ``%pip``, ``%%bash``, ``get_ipython().system``) is
turned into shell facts, and simple obfuscation (concatenation, ``join``,
``chr`` lists, reversed strings, base64/hex/rot13 decoding, f-strings of
constants) is folded back into plain strings before matching.  Nothing here
raises on bad input: code that does not parse still yields its shell lines
and text, and a note says why.
One module per concern, imported one way (each imports only those above it; ``nesting`` reaches
:func:`~nbwarden.analysis.unit.analyze` when it runs, for code inside code):

``facts.py``
    :class:`Fact`, :class:`Analysis`, the contexts ``exec``/``code``/``inert``, the shared limits, :func:`clip`.
``folding.py``
    value resolution and decoding: the constant folder and dotted call-target names.
``methods.py``
    the folder's reading of string, bytes and dict methods (``join``, ``decode``, ``format``, ``translate`` ...).
``builtincalls.py``
    the folder's reading of builtins and library functions by name (``chr``, ``map``, ``json.loads`` ...).
``decoders.py``
    the standard library's decoders (base64 and kin, hex, compressors, codecs) on folded bytes; what a blob is.
``literals.py``
    string literals read blind: URLs, and what they decode to on their looks (a mixin of the Python pass).
``rewrites.py``
    statements rewritten as one expression for the folder (short defs, generators, decoder pipelines).
``parsing.py``
    Python source to an AST, Python 2 and broken blocks included.
``nesting.py``
    code found inside code (``exec``, ``python -c``, decoded payloads, ``%%writefile``), analysed and merged.
``commands.py``
    shell facts from a command line or script, ``NAME=value`` variables and ``cd`` launcher facts.
``ipython.py``
    IPython syntax (``!``, ``%``, ``%%``) turned into placeholders and queued shell lines.
``focus.py``
    the focused walk: which statements a pass over a unit with few prefilter hits reads (a mixin of the pass).
``bindings.py``
    what the cell's assignments bind: values, loose command lines, callables held in names, attributes and tables
    (a mixin of the Python pass).
``pythonpass.py``
    Python AST fact extraction: imports, decoded strings, string contexts; which call goes where.
``calls.py``
    the calls that run commands (shell, argv, workers started on them, the cell's own wrappers), downloads and
    written scripts, as facts.
``wrappers.py``
    the cell's own command wrappers (``def sh(c): subprocess.run(c, shell=True)``).
``sites.py``
    parameters of a function or class called once with constants, bound to them (``Boot('M25s...')``); what a
    context manager of the cell yields and what ``argparse`` parses from options the cell declares.
``decorators.py``
    the cell's argument-transforming decorators, applied where the decorated function is called, and its
    registering decorators, written out as the table stores they make.
``surface.py``
    the text-level reading, for units the full analysis cannot read.
``earlier.py``
    the cells that ran before, looked up when needed.
``unit.py``
    :func:`analyze`, the entry point.

This file re-exports the names other modules and the tests use.
"""

from __future__ import annotations

from .calls import ARGV_CALLS, EXEC_CALLS, SHELL_CALLS
from .commands import SHELL_ASSIGN, add_shell
from .earlier import EarlierCell, EarlierCells
from .facts import CODE, CONTEXT_RANK, EXEC, INERT, MAX_DEEP_BYTES, MAX_DEPTH, Analysis, Fact, clip
from .focus import COMPOUND, DECODING_CALLS, MAX_BOUND, MAX_RELATED
from .folding import (
    MAX_FOLD,
    MAX_FOLD_STEPS,
    MAX_FOLD_TOTAL,
    MAX_ITEMS,
    dotted,
)
from .foreign import HIDES_WORDS
from .ipython import (
    ASSIGN_SHELL,
    CELL_MAGIC_INERT,
    CELL_MAGIC_PYTHON,
    CELL_MAGIC_SHELL,
    LINE_MAGIC_SHELL,
    MAGIC_LINE,
    split_ipython,
)
from .literals import B64_RE, HEX_RE, URL_RE
from .naming import DOTTED_NAME, IMPORT_CALLS, NAMESPACE_CALLS
from .nesting import _nested
from .parsing import MAX_BLOCKS
from .pythonpass import DOWNLOAD_CALLS, PRINT_LIKE
from .surface import IMPORT_LINE, MAX_SURFACE_LINE, surface
from .unit import analyze

__all__ = [
    "ARGV_CALLS", "ASSIGN_SHELL", "B64_RE", "CELL_MAGIC_INERT", "CELL_MAGIC_PYTHON", "CELL_MAGIC_SHELL", "CODE",
    "COMPOUND", "CONTEXT_RANK", "DECODING_CALLS", "DOTTED_NAME", "DOWNLOAD_CALLS", "EXEC", "EXEC_CALLS", "HEX_RE", "HIDES_WORDS",
    "IMPORT_CALLS", "IMPORT_LINE", "INERT", "LINE_MAGIC_SHELL", "MAGIC_LINE", "MAX_BLOCKS", "MAX_BOUND",
    "MAX_DEEP_BYTES", "MAX_DEPTH", "MAX_FOLD", "MAX_FOLD_STEPS", "MAX_FOLD_TOTAL", "MAX_ITEMS", "MAX_RELATED",
    "MAX_SURFACE_LINE", "NAMESPACE_CALLS", "PRINT_LIKE", "SHELL_ASSIGN", "SHELL_CALLS", "URL_RE", "Analysis",
    "EarlierCell", "EarlierCells", "Fact", "_nested", "add_shell", "analyze", "clip", "dotted", "split_ipython",
    "surface",
]
