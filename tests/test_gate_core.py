"""The gate's decisions without a server: warn window, fail modes, messages, ladder, terminals, %run."""

from __future__ import annotations

import time

import pytest
from gate_support import BLOCK_CELL, write_warn_pack
from traitlets.config import Config

from nbwarden.engine import Engine
from nbwarden.gate import GateTermMixin, NbwardenGate
from nbwarden.gate.decide import _run_targets
from nbwarden.gate.websocket import _valid_v1
from nbwarden.ledger import Ledger

WARN_CELL = "nbwarden_test_share_link()"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return Engine(extra_dirs=[write_warn_pack(tmp_path_factory.mktemp("packs"))])


@pytest.fixture
def make_gate(engine, ledger_url):
    gates = []

    def make(engine_=None, **settings):
        config = Config()
        for key, value in settings.pop("policy", {}).items():
            setattr(config.Policy, key, value)
        gate = NbwardenGate(config=config, engine=engine_ or engine,
                            ledger=Ledger(ledger_url), user="alice", group="free",
                            **settings)
        gates.append(gate)
        return gate

    yield make
    for gate in gates:
        gate.close()


def test_benign_cell_runs_and_is_not_recorded(make_gate):
    gate = make_gate()
    result = gate.check_cell("import numpy as np\nprint(np.ones(3))")
    assert result.run and result.action == "allow" and result.record is None
    assert gate.ledger.decisions() == []
    assert make_gate(record_allowed=True).check_cell("print(1)").record is not None


def test_block_message_names_category_rule_evidence_and_urls(make_gate):
    gate = make_gate(policy_url="https://aup.example/policy", appeal_url="https://aup.example/appeal")
    result = gate.check_cell(BLOCK_CELL, kernel_id="k", notebook="n.ipynb", cell_id="c1")
    assert not result.run and result.action == "block"
    text = result.message
    assert "disallowed" in text and "cryptocurrency mining (crypto_mining)" in text
    assert "crypto_mining.miner-program" in text and "./xmrig -o stratum+tcp://pool.example:3333" in text
    assert "https://aup.example/policy" in text and "https://aup.example/appeal" in text
    assert f"Reference {result.record.ref}" in text and "strike 1" in text
    row = gate.ledger.get_decision(result.record.ref)
    assert row["message"] == text and row["kernel_id"] == "k" and row["cell_id"] == "c1"
    assert len(gate.ledger.strikes("alice")) == 1


def test_custom_template_and_a_broken_one(make_gate):
    gate = make_gate(message_template="[{action}] {category}: {rules} ({ref}) {unknown_field}")
    text = gate.check_cell(BLOCK_CELL).message
    assert text.startswith("[block] crypto_mining: crypto_mining.") and "{unknown_field}" in text
    broken = make_gate(message_template="{rules!z}")
    assert "Category:" in broken.check_cell(BLOCK_CELL).message  # the default text instead


def test_warn_window_still_run_and_expiry(make_gate):
    gate = make_gate(warn_window_s=60)
    t0 = 1_000_000.0
    first = gate.check_cell(WARN_CELL, now=t0)
    assert not first.run and first.action == "warn"
    assert "You may be executing code that is disallowed" in first.message and "Still run" in first.message
    other = gate.check_cell(WARN_CELL + "  # edited", now=t0 + 1)
    assert not other.run  # a different cell is a different warning
    second = gate.check_cell(WARN_CELL, now=t0 + 30)
    assert second.run and second.action == "still_run"
    acks = gate.ledger.acknowledgements("alice")
    assert acks[-1]["warn_decision_id"] == first.record.id and acks[-1]["decision_id"] == second.record.id
    assert len(gate.ledger.strikes("alice")) == 1  # the acknowledgement is the strike
    assert gate.check_cell(WARN_CELL, now=t0 + 50).run  # acknowledged: runs within the window
    late = gate.check_cell(WARN_CELL, now=t0 + 200)
    assert not late.run and late.action == "warn"  # the window is over: warned again
    too_late = gate.check_cell(WARN_CELL + " ", now=t0 + 300)
    assert not gate.check_cell(WARN_CELL + " ", now=t0 + 300 + 61).run and not too_late.run


class BrokenEngine(Engine):
    def check_code(self, *args, **kwargs):
        raise RuntimeError("boom")


class SlowEngine(Engine):
    def check_code(self, *args, **kwargs):
        time.sleep(0.5)
        return super().check_code(*args, **kwargs)


@pytest.fixture(scope="module")
def broken_engine(engine):
    return BrokenEngine(engine.ruleset)


@pytest.fixture(scope="module")
def slow_engine(engine):
    return SlowEngine(engine.ruleset)


@pytest.mark.parametrize("language,cell,action", [
    # R hands the shell a string (system, system2), Julia a command literal (run)
    ("R", 'out <- system("x11vnc -forever -nopw -display :1 &", intern = TRUE)', "block"),
    ("R", 'system2("x11vnc", c("-forever", "-nopw", "-display", ":1"))', "block"),
    ("julia", "run(`x11vnc -forever -nopw -display :1`)", "block"),
    ("javascript", "require('child_process').spawn('x11vnc', ['-forever', '-nopw', '-display', ':1'])", "block"),
    # the look-alikes: the program named in a printed string, a plain shell call
    ("R", 'print("x11vnc -forever is what the lab forbids")', "allow"),
    ("R", 'system("nvidia-smi -L", intern = TRUE)', "allow"),
    # an IPython kernel's code is Python: run() there is its own function, not the shell
    ("python", "def run(cmd):\n    return cmd.split()\nrun('x11vnc -forever -nopw')", "allow"),
])
def test_other_kernels_shell_calls_are_read_as_shell(make_gate, language, cell, action):
    result = make_gate().check_cell(cell, kernel_language=language)
    assert result.action == action, (result.action, result.message)


def test_fail_open_runs_and_logs(make_gate, broken_engine):
    gate = make_gate(broken_engine, fail_mode="open")
    result = gate.check_cell("print(1)")
    assert result.run and "boom" in result.error
    row = gate.ledger.decisions()[0]
    assert row["action"] == "allow" and row["ran"] and "RuntimeError: boom" in row["error"]


def test_fail_closed_blocks_with_a_clear_message(make_gate, broken_engine):
    gate = make_gate(broken_engine, fail_mode="closed")
    result = gate.check_cell("print(1)")
    assert not result.run and "could not be checked" in result.message and "fail_mode=closed" in result.message
    assert gate.ledger.decisions()[0]["action"] == "block"


def test_deadline(make_gate, slow_engine):
    gate = make_gate(slow_engine, fail_mode="closed", deadline_ms=100, inline_check_bytes=0)
    start = time.perf_counter()
    result = gate.check_cell("print(1)")
    assert time.perf_counter() - start < 0.45  # did not wait for the slow check
    assert not result.run and "deadline" in result.error
    opened = make_gate(slow_engine, fail_mode="open", deadline_ms=100, inline_check_bytes=0)
    assert opened.check_cell("print(2)").run


def test_a_failed_check_still_blocks_what_the_text_level_check_finds(make_gate, broken_engine):
    """fail_mode=open must not open the gate by itself: the text-level check of the same cell decides first."""
    gate = make_gate(broken_engine, fail_mode="open")
    result = gate.check_cell(f"import os\n{BLOCK_CELL}\n!curl -s https://]x")
    assert not result.run and result.action == "block" and "crypto_mining.miner-program" in result.rules
    assert "crypto_mining.miner-program" in result.message and "boom" in result.error
    row = gate.ledger.get_decision(result.record.ref)
    assert row["action"] == "block" and "RuntimeError: boom" in row["error"] and len(row["code_hash"]) == 64
    # the look-alike: the text-level check finds only an inert mention, so fail_mode=open runs it, recorded
    benign = gate.check_cell("# never run ./xmrig -o stratum+tcp://pool.example:3333\nprint(1)")
    assert benign.run and benign.action == "allow" and "boom" in benign.error
    row = gate.ledger.get_decision(benign.record.ref)
    assert row["error"] and row["code_hash"] and row["ran"]


def test_a_missed_deadline_still_blocks_what_the_text_level_check_finds(make_gate, slow_engine):
    gate = make_gate(slow_engine, fail_mode="open", deadline_ms=100, inline_check_bytes=0)
    result = gate.check_cell(BLOCK_CELL)
    assert not result.run and "crypto_mining.miner-program" in result.rules and "deadline" in result.error
    assert gate.check_cell("print(2)").run


def test_terminal_lines_fall_back_to_the_text_level_check(make_gate, broken_engine):
    gate = make_gate(broken_engine, fail_mode="open")
    blocked = gate.check_terminal_line("curl -s https://]x; ./xmrig -o stratum+tcp://pool.example:3333")
    assert not blocked.run and "crypto_mining.miner-program" in blocked.rules
    assert gate.check_terminal_line("ls -la").run
    closed = make_gate(broken_engine, fail_mode="closed")
    refused = closed.check_terminal_line("ls -la")
    assert not refused.run and "fail_mode=closed" in refused.message


def test_a_degraded_check_is_recorded_and_fail_mode_decides_what_it_did_not_find(make_gate, monkeypatch):
    from nbwarden import analysis

    def broken(*args, **kwargs):
        raise RuntimeError("injected analysis bug")

    monkeypatch.setattr(analysis, "analyze", broken)
    gate = make_gate(fail_mode="closed")
    miner = gate.check_cell(f"{BLOCK_CELL}\nprint(1)")
    assert not miner.run and "crypto_mining.miner-program" in miner.rules and "injected" in miner.error
    lookalike = gate.check_cell("# xmrig is banned here\nprint(1)")
    assert not lookalike.run and "could not be checked" in lookalike.message
    assert "injected analysis bug" in gate.ledger.get_decision(lookalike.record.ref)["error"]
    assert gate.check_cell("print('no rule word at all')").run  # nothing to analyse, nothing failed


def test_giant_binary_and_odd_cells(make_gate):
    closed = make_gate(fail_mode="closed", max_cell_bytes=10_000)
    assert not closed.check_cell("x = 1\n" * 5000).run
    gate = make_gate()
    for cell in ("\x00\x01\xff" * 1000, "(" * 5000, "'''" * 999, "\ud800 lone surrogate", "é" * 50_000,
                 "def f(:\n  pass", ""):
        result = gate.check_cell(cell)
        assert result.action in ("allow", "audit", "warn", "block")
    big = gate.check_cell("print('hello')\n" * 5000 + BLOCK_CELL)  # 75 KB: the worker-thread path
    assert not big.run and big.action == "block"


def test_group_override_through_the_gate(make_gate, monkeypatch):
    gate = make_gate(policy={"group_actions": {"pro": {"crypto_mining": "audit"}}})
    assert not gate.check_cell(BLOCK_CELL, user="u1", group="free").run
    result = gate.check_cell(BLOCK_CELL, user="u2", group="pro")
    assert result.run and result.action == "audit"
    assert gate.ledger.decisions(user="u2")[0]["group"] == "pro"
    monkeypatch.setenv("JUPYTERHUB_USER", "hubuser")
    monkeypatch.setenv("NBWARDEN_GROUP", "pro")
    plain = NbwardenGate(engine=gate.engine, ledger=gate.ledger)
    assert plain.identity() == ("hubuser", "pro")


def test_ladder_suspends_and_pardon_restores(make_gate):
    gate = make_gate(status_ttl_s=0, policy={"ladders": {"default": [{"strikes": 2, "restrict": "suspend",
                                                                       "hours": 24}]}})
    assert gate.check_cell(BLOCK_CELL).action == "block"
    second = gate.check_cell(BLOCK_CELL)
    assert second.record.restriction.level == "suspend" and "execution is suspended until" in second.message
    denied = gate.check_cell("print('harmless')")
    assert not denied.run and denied.action == "deny"
    assert "Your account is restricted" in denied.message and gate.appeal_url in denied.message
    assert not gate.check_kernel_start(path="x.ipynb").run
    assert not gate.check_terminal_line("ls").run
    gate.ledger.pardon("alice")
    assert gate.check_cell("print('harmless')").run and gate.check_kernel_start().run


def test_percent_run_and_user_expressions(make_gate, tmp_path):
    gate = make_gate()
    (tmp_path / "job.py").write_text("import subprocess\nsubprocess.run(['./xmrig', '-o', 'stratum+tcp://p:1'])\n")
    (tmp_path / "fine.py").write_text("print('ok')\n")
    result = gate.check_cell("%run -i job.py --flag", cwd=str(tmp_path))
    assert not result.run and any("%run job.py" in e for e in result.evidence)
    assert gate.check_cell("%run fine.py", cwd=str(tmp_path)).run
    assert gate.check_cell("%run missing.py", cwd=str(tmp_path)).run
    assert make_gate(check_run_files=False).check_cell("%run job.py", cwd=str(tmp_path)).run
    hidden = gate.check_cell("import os", user_expressions={"a": "os.system('./xmrig -o stratum+tcp://pool.example:1')"})
    assert not hidden.run
    assert _run_targets("%run -m pkg.mod\n  %run 'my file.py' a b\n%run -d -i x.ipy") == ["my file.py", "x.ipy"]


class FakeTerm(GateTermMixin):
    """Only the line tracking of the mixin; the tornado handler is exercised in test_gate_server.py."""

    term_name = "7"


def test_terminal_line_tracking(make_gate):
    gate = make_gate()
    term = FakeTerm()
    forward, notices = term._nbw_filter(gate, "ls -l\r")
    assert forward == "ls -l\r" and notices == []
    typed = ""
    for ch in "./xmrig -o stratum+tcp://pool.example:3333":
        out, _ = term._nbw_filter(gate, ch)
        typed += out
    out, notices = term._nbw_filter(gate, "\r")
    assert out == "\x03" and "crypto_mining" in notices[0]
    # backspaces edit the line; Ctrl-U discards it
    out, notices = term._nbw_filter(gate, "./xmrigg\x7f -o stratum+tcp://p:1\x15echo ok\r")
    assert out.endswith("\r") and notices == []
    # a bracketed paste is one command line, run on the Enter after it
    out, notices = term._nbw_filter(gate, "\x1b[200~echo a\r./xmrig -o stratum+tcp://p:1\x1b[201~")
    assert notices == []
    out, notices = term._nbw_filter(gate, "\r")
    assert out == "\x03" and notices
    rows = gate.ledger.decisions(kind="terminal")
    assert rows and rows[0]["notebook"] == "terminals/7"


def test_v1_frame_validation():
    from gate_support import pack_v1

    good = pack_v1("shell", [b"{}", b"{}", b"{}", b"{}"])
    assert _valid_v1(good)
    assert not _valid_v1(b"\x05\x00\x00\x00not a v1 frame at all")
    assert not _valid_v1(b"")
    assert not _valid_v1("text")
    assert not _valid_v1((10**12).to_bytes(8, "little") + b"\x00" * 64)
    corrupt = bytearray(good)
    corrupt[8 * 3: 8 * 4] = (10**6).to_bytes(8, "little")  # an offset past the end
    assert not _valid_v1(bytes(corrupt))
    shrinking = bytearray(good)
    shrinking[8 * 4: 8 * 5] = (20).to_bytes(8, "little")  # offsets must not go backwards
    assert not _valid_v1(bytes(shrinking))
