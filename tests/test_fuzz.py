"""The engine never raises, always answers in the documented shape, and stays fast on pathological input.

Three kinds of test:

* regressions: every input that ever made a check raise (found by
  ``benchmarks/fuzz.py`` or by hand), each next to a miner line that must
  still be blocked with the miner's rule as the reason;
* property tests with hypothesis over cells, shell lines, notebooks (JSON
  structure and broken JSON), argv lists and executable bytes, including
  mutations of real cells;
* pathological sizes (deep nesting, huge lines, a million newlines, long
  operator chains), each with a miner line that the verdict must still name.

The longer campaign is ``make fuzz``; its figures are in BENCHMARKS.md.
"""

from __future__ import annotations

import json
import random
import time

import pytest
from crashers import CRASHERS, MINER, MINER_RULE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.fuzz import NASTY, Mutator, seed_cells
from nbwarden import analysis
from nbwarden.analysis import CONTEXT_RANK
from nbwarden.engine import ACTIONS, Engine, Verdict
from nbwarden.rules import CATEGORIES, SEVERITY_RANK

FAST = settings(max_examples=150, deadline=5000, suppress_health_check=[HealthCheck.too_slow],
                database=None)


@pytest.fixture(scope="module")
def engine():
    return Engine()


_POOL: list[str] = []


def pool() -> list[str]:
    """Real cells to mutate (the labelled corpus, pack examples, stdlib code), loaded once."""
    if not _POOL:
        _POOL.extend(seed_cells([]))
    return _POOL


def assert_verdict(verdict: Verdict) -> None:
    """The documented shape of a verdict, whatever the input, and no internal failure behind it: the
    fallback to the text-level check is a safety net, not how odd input is meant to be handled."""
    assert isinstance(verdict, Verdict)
    assert "engine failure" not in (verdict.error or ""), verdict.error
    assert verdict.action in ("allow", "warn", "block")
    assert 0.0 <= verdict.confidence <= 1.0
    assert verdict.error is None or isinstance(verdict.error, str)
    assert all(isinstance(note, str) for note in verdict.notes)
    if not verdict.findings:
        assert verdict.action == "allow" and verdict.category is None
    else:
        assert verdict.action == ACTIONS[max((f.severity for f in verdict.findings), key=SEVERITY_RANK.get)]
        assert verdict.category == verdict.findings[0].category
    for finding in verdict.findings:
        assert finding.category in CATEGORIES and finding.severity in SEVERITY_RANK
        assert finding.context in CONTEXT_RANK and isinstance(finding.line, int)
        assert isinstance(finding.evidence, str) and len(finding.evidence) <= 400
    json.loads(verdict.to_json())  # what the gate, the ledger and the CLI write


def blocks_miner(verdict: Verdict) -> bool:
    return verdict.action == "block" and any(f.rule == MINER_RULE for f in verdict.findings)


# ---------------------------------------------------------------------------- regressions

@pytest.mark.parametrize("line", CRASHERS)
def test_inputs_that_used_to_raise_still_get_the_miner_blocked(engine, line):
    verdict = engine.check_code(f"{MINER}\n{line}")
    assert_verdict(verdict)
    assert blocks_miner(verdict), verdict.to_dict()
    assert_verdict(engine.check_code(line))
    assert_verdict(engine.check_code(line, "shell"))


@pytest.mark.parametrize("line", CRASHERS)
def test_crashers_in_notebooks_and_command_lines(engine, line):
    nb = {"cells": [{"cell_type": "code", "source": [MINER, "\n", line]}], "metadata": {}, "nbformat": 4}
    text = json.dumps(nb)
    for form in (nb, text, text.encode("utf-8", "surrogatepass"), text[: len(text) // 2]):
        verdict = engine.check_notebook(form)
        assert_verdict(verdict)
        assert blocks_miner(verdict) or form is not nb and len(form) < len(text), verdict.to_dict()
    argv = line.lstrip("!%").split()
    assert_verdict(engine.check_command(argv))
    assert blocks_miner(engine.check_command(["./xmrig", "-o", "stratum+tcp://p:3333", *argv]))


@pytest.mark.parametrize("value", ["!{\"cells\": []}", "x" * 5000, "a\x00b", "\udcff.ipynb", "/no/such/file.ipynb",
                                   '{"cells": {"0": []}}', '{"cells": [{"source": 3}, 7, null]}', "[" * 10000])
def test_check_notebook_answers_for_anything(engine, value):
    verdict = engine.check_notebook(value)
    assert_verdict(verdict)
    assert verdict.action == "allow"
    if value.startswith("/no/such"):
        assert verdict.error and "cannot read" in verdict.error


def test_lone_surrogate_in_an_earlier_cell_does_not_break_a_later_check(engine):
    """The backfill path used to hand the raw earlier cell to RE2, which cannot encode a lone surrogate."""
    from nbwarden.engine import Memory

    memory = Memory()
    engine.check_code("name = 'inswapper_128.onnx'  # \ud800", memory=memory)
    verdict = engine.check_code(f"import insightface\n{MINER}", memory=memory)
    assert_verdict(verdict)
    assert blocks_miner(verdict)


# ---------------------------------------------------------------------------- a failing step degrades, never aborts


def test_a_failing_analysis_degrades_to_the_text_level_check(engine, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("injected analysis bug")

    monkeypatch.setattr(analysis, "analyze", broken)
    verdict = engine.check_code(f"import os\n{MINER}\nprint('x')")
    assert "engine failure in analysis" in verdict.error
    assert blocks_miner(verdict), verdict.to_dict()
    assert verdict.error and "RuntimeError: injected analysis bug" in verdict.error
    assert any("text-level checks only" in note for note in verdict.notes)
    # the look-alike: the same words in a comment are inert on the text level too
    benign = engine.check_code("import os\n# never run ./xmrig -o stratum+tcp://pool.example:3333\nprint('x')")
    assert benign.action == "allow" and benign.error
    # a notebook: the failing cell degrades, the others are still checked in full
    nb = {"cells": [{"cell_type": "code", "source": "print(1)"}, {"cell_type": "code", "source": MINER}]}
    assert blocks_miner(engine.check_notebook(nb))


def test_a_failing_surface_reading_still_leaves_literals_and_regexes(engine, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("injected")

    monkeypatch.setattr(analysis, "analyze", broken)
    monkeypatch.setattr(analysis, "surface", broken)
    verdict = engine.check_code("pool = 'stratum+tcp://pool.example:3333'\n")
    assert verdict.action == "block" and verdict.error  # the stratum regex still sees the raw text
    assert engine.check_code("print('hello')\n").action == "allow"


def test_a_failing_command_parse_falls_back_to_the_text_level_check(engine, monkeypatch):
    from nbwarden import shell

    def broken(*args, **kwargs):
        raise RuntimeError("injected parser bug")

    monkeypatch.setattr(shell, "parse_argv", broken)
    verdict = engine.check_command(["./xmrig", "-o", "stratum+tcp://pool.example:3333"])
    assert blocks_miner(verdict) and "injected parser bug" in verdict.error
    assert engine.check_command(["ls", "-la", "/tmp"]).action == "allow"


def test_check_text_is_the_text_level_check(engine):
    assert blocks_miner(engine.check_text(f"x = (\n{MINER}\n"))  # no parse needed
    assert engine.check_text("# ./xmrig -o stratum+tcp://pool.example:3333\n").action == "allow"
    assert blocks_miner(engine.check_text("%%bash\n./xmrig -o stratum+tcp://pool.example:3333\n"))
    assert engine.check_text("%%markdown\n./xmrig -o stratum+tcp://pool.example:3333\n").action == "allow"


# ---------------------------------------------------------------------------- pathological sizes

PATHOLOGICAL = {
    "100k nested brackets": "x = " + "(" * 100_000 + "1" + ")" * 100_000,
    "100k unclosed brackets": "[" * 100_000,
    "10 MB line": "x = '" + "a" * (10 << 20) + "'",
    "10 MB line of rule words in a comment": "# " + "pool stratum xmrig " * 550_000,
    "a million newlines": "\n" * 1_000_000,
    "50k chained operators": "x = " + " + ".join(["'a'"] * 50_000),
    "50k chained comparisons": "x = " + " < ".join(["a"] * 50_000),
    "deeply nested f-strings": "x = " + "f'{" * 200 + "1" + "}'" * 200,
    "5k nested calls": "x = " + "f(" * 5_000 + "1" + ")" * 5_000,
    "100k unary operators": "x = " + "-" * 100_000 + "1",
    "100k attribute chain": "x = a" + ".b" * 100_000,
    "200k shell lines": "!echo hi\n" * 200_000,
    "one 500 KB shell word": "!echo " + "a" * 500_000,
    "40k URLs on one wget line": "!wget " + " ".join(f"https://h{i}.example/f{i}.tar.gz" for i in range(40_000)),
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_sizes_get_a_verdict_in_bounded_time(engine, name):
    cell = PATHOLOGICAL[name] + "\n" + MINER + "\n"
    start = time.perf_counter()
    verdict = engine.check_code(cell)
    elapsed = time.perf_counter() - start
    assert_verdict(verdict)
    assert blocks_miner(verdict), (name, verdict.notes)
    # linear work: seconds at most for 10 MB (a quadratic step takes minutes here)
    assert elapsed < 30, (name, elapsed)


def test_a_shell_script_with_a_quote_open_for_megabytes_gets_a_verdict_in_bounded_time(engine):
    """A fuzzed shell script (``benchmarks/fuzz.py``): a quote left open for 2 MB, then a clone that wakes the
    analysis. The ;-separated steps of its lines were built character by character: minutes (now under a second)."""
    script = ('run("x: ' + "lambda: " * 254_000 + '1", 1.0)\n    y = f("z", p)\n'
              "git clone https://github.com/someone/SadTalker.git\n" + MINER + "\n")
    start = time.perf_counter()
    verdict = engine.check_code(script, "shell")
    assert_verdict(verdict)
    assert blocks_miner(verdict), verdict.notes
    assert time.perf_counter() - start < 30


@pytest.mark.parametrize("calls", [10, 40])
def test_a_long_chain_of_calls_of_calls_is_read_in_linear_work(engine, monkeypatch, calls):
    """A fuzzed cell (``benchmarks/fuzz.py``, seed 1214): a list item repeated without commas,
    ``('clf', clf)('clf', clf)...``, is a call of a call of a call.  Reading a callee's name read each level twice
    over (once to inline it, once for its own name): 2**n folds, 7 s for 50 levels.  The work is counted here, not
    timed: long chains are not read through, and the miner beside them is still blocked."""
    from nbwarden.analysis import folding

    folds = {"n": 0}
    fold = folding._Folder.fold

    def counted(self, node, depth=0):
        folds["n"] += 1
        return fold(self, node, depth)

    monkeypatch.setattr(folding._Folder, "fold", counted)
    cell = "pipeline = Pipeline([\n    ('union', pre),\n    " + "('clf', clf)" * calls + "\n])\n" + MINER + "\n"
    verdict = engine.check_code(cell)
    assert_verdict(verdict)
    assert blocks_miner(verdict), verdict.notes
    assert folds["n"] < 20_000, folds["n"]
    assert not any("work limit" in note for note in verdict.notes), verdict.notes


def test_pathological_command_lines_and_files(engine):
    for argv in (["wget"] + ["https://]x"] * 50_000, ["a" * (10 << 20)], [""] * 1000, ["\udcff", "\x00"]):
        start = time.perf_counter()
        assert_verdict(engine.check_command(argv, exe="\udcff"))
        assert time.perf_counter() - start < 30
    for data in (b"\x7fELF" + b"\x00" * (10 << 20), b"#!/bin/sh\n" + b"(" * 1_000_000, b"#!" + b"\xff" * 1000):
        assert_verdict(engine.check_file(data, name="x"))
    deep = '{"cells": [' + "[" * 200_000 + "]" * 200_000 + "]}"
    assert_verdict(engine.check_notebook(deep))


# ---------------------------------------------------------------------------- properties

fragments = st.sampled_from(NASTY + ["\n", " ", "import os", "os.system(", "subprocess.run(", "'", "b'", "=", "+",
                                     "https://", "xmrig", "stratum+tcp://", "!pip install ", "%%bash\n"])
odd_text = st.text(st.characters(codec=None, categories=None), max_size=60)
cells = st.lists(st.one_of(fragments, odd_text), max_size=40).map("".join)


@FAST
@given(cells, st.sampled_from(["cell", "python", "shell", "markdown", "data", "text"]))
def test_any_text_gets_a_verdict(engine, cell, kind):
    assert_verdict(engine.check_code(cell, kind))
    assert_verdict(engine.check_text(cell, kind))


@FAST
@given(st.randoms(use_true_random=False))
def test_mutated_real_cells_get_a_verdict(engine, rng):
    mutator = Mutator(rng, pool())
    cell = mutator.mutate(rng.choice(pool()))
    assert_verdict(engine.check_code(cell))
    assert_verdict(engine.check_code(cell, "shell"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | odd_text | cells,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.sampled_from(
        ["cells", "cell_type", "source", "input", "worksheets", "metadata", "outputs", "code"]) | odd_text,
        children, max_size=5),
    max_leaves=30)
notebook_cells = st.lists(st.fixed_dictionaries(
    {"cell_type": st.sampled_from(["code", "markdown", "raw", "heading", None, 3]),
     "source": st.one_of(cells, st.lists(cells, max_size=5), json_values)}), max_size=8)


@FAST
@given(st.one_of(json_values, notebook_cells.map(lambda c: {"cells": c, "metadata": {}, "nbformat": 4})))
def test_any_notebook_structure_gets_a_verdict(engine, nb):
    assert_verdict(engine.check_notebook(nb) if isinstance(nb, dict) else engine.check_notebook(json.dumps(nb)))


@FAST
@given(notebook_cells, st.randoms(use_true_random=False))
def test_broken_notebook_json_gets_a_verdict(engine, nb_cells, rng):
    text = json.dumps({"cells": nb_cells, "metadata": {}, "nbformat": 4})
    text = Mutator(rng, [text]).mutate(text) if rng.random() < 0.7 else text[: rng.randint(0, len(text))]
    assert_verdict(engine.check_notebook(text))
    assert_verdict(engine.check_notebook(text.encode("utf-8", "surrogatepass")))


@FAST
@given(st.lists(st.one_of(fragments, odd_text), max_size=12), st.one_of(st.none(), odd_text))
def test_any_argv_gets_a_verdict(engine, argv, exe):
    assert_verdict(engine.check_command(argv, exe=exe))


@FAST
@given(st.sampled_from([b"", b"#!/bin/sh\n", b"#!/usr/bin/env python3\n", b"\x7fELF\x02\x01\x01", b"MZ", b"#!"]),
       st.binary(max_size=2048), st.lists(st.sampled_from([b"stratum+tcp://", b"mining.subscribe", b"randomx",
                                                           b"UPX!", b"\x00", b"xmrig"]), max_size=5))
def test_any_executable_bytes_get_a_verdict(engine, head, body, words):
    data = head + body + b"".join(words)
    assert_verdict(engine.check_file(data, name=random.choice(["run", "xmrig", "", "a b"])))


def test_comment_start_is_linear_in_the_line():
    """Found by `make fuzz` (check_file on a mutated script): every # behind an odd quote rescanned the line
    from its start, once per hit on the line.  Now one pass per line, remembered for the line's other hits."""
    from nbwarden.analysis.facts import Analysis, _comment_start

    line = "'" + "# xmrig " * 100_000  # 100k # signs, none a comment (an unclosed quote is open before each)
    start = time.perf_counter()
    assert _comment_start(line, []) == 1 << 30
    assert _comment_start(line, [(0, len(line), "code")]) == 1 << 30
    assert _comment_start("x = '#' + \"#\"  # real", []) == 15  # the look-alike: a real comment is still found
    assert _comment_start("x = '#' # c", [(4, 7, "code")]) == 8
    unit = Analysis(source=line, kind="cell", lines=[line])
    contexts = {unit.context_at(1, col) for col in range(0, len(line), 8)}  # 100k look-ups on one line
    assert contexts == {"code"}
    assert time.perf_counter() - start < 30  # the quadratic version took hours on this line


def test_yaml_settings_whose_aliases_explode_are_not_expanded(engine):
    """The folder reads inline YAML settings (``yaml.safe_load('''...''')``): a "billion laughs" text of nested
    aliases would make a walk of 9**9 nodes; the walk stops at its budget and the cell gets a verdict quickly.
    A small settings text in the same shape is still read (its command is found)."""
    laughs = "a: &a ['xmrig', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x']\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))
    start = time.perf_counter()
    verdict = engine.check_code(f"import yaml, os\ncfg = yaml.safe_load('''{laughs}''')\nos.system(cfg['i'][0])\n")
    assert_verdict(verdict)
    assert time.perf_counter() - start < 30
    small = engine.check_code("import yaml, os\ncfg = yaml.safe_load('''tool: xmrig\npool: pool.example.net:3333\n''')\n"
                              "os.system(cfg['tool'] + ' -o ' + cfg['pool'])\n")
    assert small.action == "block"
