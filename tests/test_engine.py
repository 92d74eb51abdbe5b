"""Engine mechanics, on a small private pack so the tests do not move with the public packs."""

import base64
import json
import subprocess
import sys
import textwrap

import pytest

from nbwarden import rules
from nbwarden.engine import Engine, Memory

PACK = """
pack: testpack
version: 0.1.0
category: crypto_mining
rules:
  - id: crypto_mining.t-miner
    severity: block
    description: Runs a test miner.
    references: [test]
    patterns:
      - command: {program: [xmrig, "cpuminer*"]}
    examples: {match: ["!xmrig"], no_match: ["# xmrig"]}
  - id: crypto_mining.t-stratum
    severity: block
    description: Names a stratum pool URL.
    references: [test]
    patterns:
      - regex: "stratum\\\\+tcp://"
    examples: {match: ["u='stratum+tcp://a'"], no_match: ["u='tcp://a'"]}
  - id: password_cracking.t-hashcat
    category: password_cracking
    severity: block
    description: Runs hashcat against hashes.
    references: [test]
    patterns:
      - command: {program: hashcat, not_args: ["-b", "--benchmark"]}
    examples: {match: ["!hashcat -m 0 h.txt w.txt"], no_match: ["!hashcat -b"]}
  - id: deepfake.t-model
    category: deepfake
    severity: warn
    description: Mentions a face-swap model file.
    references: [test]
    patterns:
      - literal: inswapper_128.onnx
      - download: "inswapper_128*.onnx"
    examples: {match: ["m = 'inswapper_128.onnx'"], no_match: ["m = 'buffalo_l'"]}
  - id: deepfake.t-pipeline
    category: deepfake
    severity: block
    description: Swaps faces in a video with insightface and inswapper.
    references: [test]
    all:
      - [{import: insightface}]
      - [{literal: inswapper_128}]
      - [{regex: "VideoWriter|write_videofile"}]
    examples: {match: ["import insightface\\nm='inswapper_128.onnx'\\ncv2.VideoWriter('o.mp4')"], no_match: ["import insightface"]}
  - id: proxy_tunnel.t-ngrok
    category: proxy_tunnel
    severity: warn
    description: Opens an ngrok tunnel.
    references: [test]
    patterns:
      - pip: pyngrok
      - import: pyngrok
      - host: ngrok.io
      - git: ngrok/ngrok-python
    examples: {match: ["!pip install pyngrok"], no_match: ["!pip install requests"]}
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    d = tmp_path_factory.mktemp("pack")
    (d / "test.yaml").write_text(PACK)
    return Engine(rules.load([d], builtin=False))


def rule_ids(verdict, min_severity="audit"):
    order = ["audit", "warn", "block"]
    return {f.rule for f in verdict.findings if order.index(f.severity) >= order.index(min_severity)}


@pytest.mark.parametrize("cell", [
    "!./xmrig -o pool:3333",
    "!sudo nohup ./xmrig &",
    "%%bash\ncd /tmp\n./xmrig --donate-level 1",
    "import subprocess\nsubprocess.Popen(['/opt/xmrig', '-o', 'x'])",
    "import os\nos.system('timeout 100 cpuminer-opt -a yespower')",
    "get_ipython().system('screen -dmS m ./xmrig')",
    "!bash -c 'env A=1 xmrig'",
    "x = !xmrig --version",
    "%%writefile go.sh\n#!/bin/bash\nxmrig -o pool\n",
    "!python3 -c \"import os; os.system('xmrig')\"",
    "%%bash\nD=/opt/xmrig\nstart-stop-daemon --start --background --exec $D -- -o pool:3333",  # init-script style
    "!daemonize -p /run/m.pid /opt/xmrig -o pool:3333",
])
def test_miner_command_forms_are_blocked(engine, cell):
    verdict = engine.check_code(cell)
    assert verdict.action == "block"
    assert "crypto_mining.t-miner" in rule_ids(verdict, "block")
    assert verdict.category == "crypto_mining"


def test_command_runs_its_program_but_command_v_only_asks(engine):
    ran = engine.check_code("%%bash\ncommand ./xmrig -o pool:3333")
    assert "crypto_mining.t-miner" in rule_ids(ran, "block"), ran.to_dict()
    asked = engine.check_code("%%bash\nif command -v xmrig >/dev/null; then echo 'xmrig is installed: remove it'; fi")
    assert asked.action == "allow", asked.to_dict()


@pytest.mark.parametrize("cell,method", [
    ("a = 'xm'\nb = 'rig'\nimport os\nos.system('./' + a + b)", "concat"),
    ("import subprocess\nsubprocess.run([''.join(chr(c) for c in [120, 109, 114, 105, 103])])", "chr"),
    ("p = 'girmx'[::-1]\n!./{p} -o pool", "reversed"),
    ("import base64\nexec(base64.b64decode('aW1wb3J0IG9zOyBvcy5zeXN0ZW0oJ3htcmlnJyk=').decode())", "base64"),
    ("exec(bytes.fromhex('696d706f7274206f733b206f732e73797374656d2827786d7269672729').decode())", "hex"),
    ("import codecs, os\nos.system(codecs.decode('kzevt -b cbby', 'rot13'))", "rot13"),
    ("tool = 'xmrig'\nimport subprocess\nsubprocess.call(f'./{tool} --threads 2', shell=True)", "f-string"),
    ("parts = ['xm', 'rig']\nimport os\nos.execvp(''.join(parts), ['x'])", "join"),
    ("srv = 'xm' + 'rig'\n!{srv} -o pool", "interpolated program"),
    ("__import__('os').system('./xmrig -o pool')", "__import__"),
    ("import importlib\nimportlib.import_module('subprocess').run(['xmrig'])", "import_module"),
    ("import os, base64\nsteps = ['eG1yaWcgLW8gcG9vbDo0NDM=']\nfor s in steps:\n    os.system(base64.b64decode(s).decode())",
     "base64 list decoded in a loop"),
])
def test_obfuscated_miner_is_decoded(engine, cell, method):
    verdict = engine.check_code(cell)
    assert "crypto_mining.t-miner" in rule_ids(verdict, "block"), (method, verdict.to_dict())


@pytest.mark.parametrize("cell", [
    "# run ./xmrig here to mine",
    "print('never run xmrig on this hub')",
    "'''Docstring: xmrig is banned.'''",
    "!mkdir xmrig-notes && ls xmrig-notes",
    "!echo xmrig",
    "xmrig_count = 3",
    "import logging\nlogging.warning('xmrig detected')",
    "!start-stop-daemon --stop --pidfile /run/m.pid --exec /opt/xmrig",  # stops it: starts nothing
])
def test_mentions_are_not_blocked(engine, cell):
    verdict = engine.check_code(cell)
    assert verdict.action == "allow", verdict.to_dict()


def test_literal_in_comment_is_capped_at_audit(engine):
    verdict = engine.check_code("x = 1  # download inswapper_128.onnx later")
    assert verdict.action == "allow"
    findings = [f for f in verdict.findings if f.rule == "deepfake.t-model"]
    assert findings and findings[0].severity == "audit" and findings[0].context == "inert"
    code = engine.check_code("model = 'inswapper_128.onnx'")
    assert code.action == "warn" and code.findings[0].context == "code"


def test_markdown_and_data_are_inert(engine):
    assert engine.check_code("Use `inswapper_128.onnx` and stratum+tcp://x", kind="markdown").action == "allow"
    data = engine.check_code('{"text": "stratum+tcp://pool.example:3333 xmrig"}', kind="data")
    assert data.action == "allow"
    assert all(f.severity == "audit" for f in data.findings) and data.findings


def test_not_args_spares_benchmarks(engine):
    assert engine.check_code("!hashcat -b").action == "allow"
    assert engine.check_code("!hashcat -m 1000 -a 0 ntlm.txt rockyou.txt").action == "block"


def test_evidence_names_cell_line_and_text(engine):
    verdict = engine.check_code("import os\n\nos.system('xmrig -o stratum+tcp://p:1')")
    finding = next(f for f in verdict.findings if f.rule == "crypto_mining.t-miner")
    assert finding.line == 3
    assert "xmrig" in finding.evidence
    assert finding.context == "exec"
    data = verdict.to_dict()
    assert {"rule", "category", "severity", "evidence", "cell", "line"} <= set(data["findings"][0])


def test_weak_signals_combine(engine):
    alone = engine.check_code("import insightface\napp = insightface.app.FaceAnalysis()")
    assert alone.action == "allow"
    combined = engine.check_code(
        "import insightface, cv2\nswapper = insightface.model_zoo.get_model('inswapper_128.onnx')\n"
        "out = cv2.VideoWriter('out.mp4', fourcc, 25, (w, h))")
    assert "deepfake.t-pipeline" in rule_ids(combined, "block")
    finding = next(f for f in combined.findings if f.rule == "deepfake.t-pipeline")
    assert len(finding.parts) == 3


def test_weak_signals_combine_across_cells_with_memory(engine):
    memory = Memory()
    assert engine.check_code("import insightface", memory=memory).action == "allow"
    assert "deepfake.t-pipeline" not in rule_ids(engine.check_code("swap = 'inswapper_128.onnx'", memory=memory))
    last = engine.check_code("writer = cv2.VideoWriter('o.mp4', f, 25, s)", memory=memory)
    assert "deepfake.t-pipeline" in rule_ids(last, "block")
    fresh = engine.check_code("writer = cv2.VideoWriter('o.mp4', f, 25, s)", memory=Memory())
    assert "deepfake.t-pipeline" not in rule_ids(fresh)


# ------------------------------------------------------------------ common parts left to the look-back

SWAP_CELLS = ["writer = cv2.VideoWriter('o.mp4', f, 25, s)", "import insightface",
              "swapper = insightface.model_zoo.get_model('inswapper_128.onnx')"]


def test_common_parts_alone_are_not_read_but_the_look_back_finds_them(engine):
    # the first two cells hold only common parts of the face-swap pipeline: alone they are not worth a reading
    for cell in SWAP_CELLS[:2]:
        assert engine._scan_unit(cell, "cell", 1, [], None, None, common=False) == ([], False, False)
        assert engine.check_code(cell).action == "allow"
    # the rare part last: the kernel's look-back reads the skipped cells again
    memory = Memory()
    verdicts = [engine.check_code(cell, memory=memory) for cell in SWAP_CELLS]
    assert "deepfake.t-pipeline" in rule_ids(verdicts[-1])
    # and a notebook in the same order
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                "cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [],
                           "execution_count": None} for c in SWAP_CELLS]}
    assert "deepfake.t-pipeline" in rule_ids(engine.check_notebook(notebook))


def test_structured_matchers(engine):
    assert "proxy_tunnel.t-ngrok" in rule_ids(engine.check_code("%pip install -q pyngrok==7.0"))
    assert "proxy_tunnel.t-ngrok" in rule_ids(engine.check_code("from pyngrok import ngrok"))
    assert "proxy_tunnel.t-ngrok" in rule_ids(engine.check_code("import requests\nrequests.get('https://abc.ngrok.io/x')"))
    assert "proxy_tunnel.t-ngrok" in rule_ids(engine.check_code("!git clone https://github.com/ngrok/ngrok-python.git"))
    assert "deepfake.t-model" in rule_ids(engine.check_code(
        "from huggingface_hub import hf_hub_download\nhf_hub_download('someone/models', 'inswapper_128_fp16.onnx')"))
    assert engine.check_code("!pip install requests ngrokish").action == "allow"


def test_check_command(engine):
    verdict = engine.check_command(["/tmp/.x/xmrig", "-o", "stratum+tcp://pool:3333"])
    assert verdict.action == "block"
    assert {"crypto_mining.t-miner", "crypto_mining.t-stratum"} <= rule_ids(verdict)
    renamed = engine.check_command(["/tmp/train_model", "--threads", "2"], exe="/tmp/.x/xmrig")
    assert "crypto_mining.t-miner" in rule_ids(renamed)
    assert engine.check_command(["python", "train.py"]).action == "allow"
    assert engine.check_command(["sh", "-c", "cpuminer-avx2 -a x"]).action == "block"


def test_check_notebook_tolerates_broken_cells(engine, tmp_path):
    nb = {"nbformat": 4, "cells": [
        {"cell_type": "markdown", "source": ["Don't run `xmrig`"]},
        {"cell_type": "code", "source": "import os\n"},
        "not a cell",
        {"cell_type": "code", "source": ["!./xmrig ", "-o x"]},
        {"source": "def broken(:\n  pass\n!xmrig"},
    ]}
    verdict = engine.check_notebook(nb)
    assert verdict.action == "block"
    cells = {f.cell for f in verdict.findings if f.rule == "crypto_mining.t-miner"}
    assert cells == {3, 4}
    assert any("not an object" in n for n in verdict.notes)
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    assert engine.check_notebook(path).action == "block"


@pytest.mark.parametrize("source", [
    "\x00\x01\x02binary" * 1000,
    "(" * 5000 + "1" + ")" * 5000,
    "x = " + " + ".join(["'a'"] * 20000),
    "def f(:\n" * 1000,
    "\ud800 broken surrogate",
    "a" * 3_000_000,
    "[" * 200000,
])
def test_hostile_input_never_raises(engine, source):
    verdict = engine.check_code(source)
    assert verdict.action in {"allow", "warn", "block"}


def test_syntax_error_still_gets_text_and_shell_checks(engine):
    verdict = engine.check_code("for x in:\n    pass\n!xmrig -o stratum+tcp://p:1")
    assert verdict.action == "block"
    assert any("syntax error" in n for n in verdict.notes)


def test_percent_line_inside_brackets_is_python_not_a_magic(engine):
    """A string formatting split over lines (`% (a, b)` on its own line) is Python: read as a magic, it broke
    the parse and the cell fell back to block-by-block reading."""
    formatting = 'msg = ("%s runs %s"\n       % (user, job))\nprint(msg)\n'
    benign = engine.check_code(formatting)
    assert benign.action == "allow"
    assert not any("syntax error" in n for n in benign.notes)
    escape = engine.check_code(formatting + "!xmrig -o stratum+tcp://p:1\n")  # after the bracket closes: a shell
    assert escape.action == "block"
    assert not any("syntax error" in n for n in escape.notes)


def test_a_cell_magic_after_comment_lines_is_read_as_the_magic(engine):
    """IPython wants ``%%bash`` on the first line, but deleting one comment makes it run: it is judged as written."""
    verdict = engine.check_code("# start the miner\n\n%%bash\nDIR=/tmp/m\nxmrig -o pool.example.net:3333 -u W")
    assert verdict.action == "block" and verdict.category == "crypto_mining", verdict.to_dict()
    # a comment that only mentions a magic, above ordinary Python, stays Python
    benign = engine.check_code("# %%bash would run the rest as shell\nx = 1 % 2\nprint(x)")
    assert benign.action == "allow" and not any("syntax error" in n for n in benign.notes), benign.to_dict()


def test_private_pack_overrides_and_disables(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "a.yaml").write_text(PACK)
    private = tmp_path / "private"
    private.mkdir()
    (private / "site.yaml").write_text(textwrap.dedent("""
        pack: site
        version: 1.0.0
        disable: [proxy_tunnel.*]
        overrides:
          - {id: deepfake.t-model, severity: block}
        rules:
          - id: crypto_mining.t-miner
            category: crypto_mining
            severity: warn
            description: Our site only warns on this miner.
            references: [internal]
            patterns: [{command: {program: xmrig}}]
            examples: {match: ["!xmrig"], no_match: ["!ls"]}
    """))
    ruleset = rules.load([tmp_path / "base", private], builtin=False)
    engine = Engine(ruleset)
    assert engine.check_code("!xmrig").action == "warn"
    assert engine.check_code("!pip install pyngrok").action == "allow"
    assert engine.check_code("m = 'inswapper_128.onnx'").action == "block"
    assert ruleset.rules["crypto_mining.t-miner"].private


@pytest.mark.parametrize("body,message", [
    ("pack: x\nversion: 1.0.0\nrules:\n  - id: bad id\n", "rule 'bad id'"),
    ("pack: x\nversion: 1.0.0\nrules:\n  - id: a.b\n    severity: high\n", "severity"),
    ("pack: x\nversion: 1\nrules: []\n", "version"),
    ("- just a list", "must be a mapping"),
    ("pack: x\nversion: 1.0.0\nrules: [\n", "invalid YAML"),
])
def test_pack_errors_are_clear(tmp_path, body, message):
    (tmp_path / "p.yaml").write_text(body)
    with pytest.raises(rules.PackError) as info:
        rules.load([tmp_path], builtin=False)
    assert message in str(info.value)
    assert "p.yaml" in str(info.value)


DESCRIBES_PACK = """
pack: t
version: 0.1.0
category: dos_attack
rules:
  - id: dos_attack.t-spammer
    severity: warn
    description: A webhook posted to from an endless loop by a program that calls itself a spammer.
    references: [test]
    all:
      - [{regex: "DiscordWebhook\\\\("}]
      - [{regex: "while True"}]
      - [{regex: "spammer", describes: DESCRIBES}]
    examples: {match: ["hook = DiscordWebhook(u)\\nwhile True:\\n    spammer(hook)"], no_match: ["x = 1"]}
"""


@pytest.mark.parametrize("describes,action", [("true", "warn"), ("false", "allow")])
def test_words_that_describe_the_program_count_in_its_messages(tmp_path, describes, action):
    (tmp_path / "p.yaml").write_text(DESCRIBES_PACK.replace("DESCRIBES", describes))
    engine = Engine(rules.load([tmp_path], builtin=False))
    banner = "print('Webhook spammer')\nhook = DiscordWebhook(url)\nwhile True:\n    hook.execute()"
    assert engine.check_code(banner).action == action
    # the other parts still set the context: all three in comments is never more than a record
    assert engine.check_code("# spammer: DiscordWebhook(url)\n# while True: post").action == "allow"


def test_describes_is_only_for_text_patterns(tmp_path):
    (tmp_path / "p.yaml").write_text(DESCRIBES_PACK.replace('{regex: "spammer", describes: DESCRIBES}',
                                                            "{import: spammer, describes: true}"))
    with pytest.raises(rules.PackError, match="'describes' only applies"):
        rules.load([tmp_path], builtin=False)


def test_a_pack_is_checked_again_whenever_its_text_changes(tmp_path, monkeypatch):
    """Passing packs are remembered by their text's hash, so a restart skips the check; a changed text (here made
    invalid) is checked again and still refused, and a refused text is never remembered."""
    monkeypatch.setenv("NBWARDEN_CACHE_DIR", str(tmp_path / "cache"))
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "p.yaml").write_text(PACK)
    first = rules.load([packs], builtin=False)
    remembered = list((tmp_path / "cache" / "checked-packs").iterdir())
    assert len(remembered) == 1
    assert rules.load([packs], builtin=False).fingerprint() == first.fingerprint()
    (packs / "p.yaml").write_text(PACK.replace("stratum\\\\+tcp://", "stratum(("))
    with pytest.raises(rules.PackError, match="bad regex"):
        rules.load([packs], builtin=False)
    assert list((tmp_path / "cache" / "checked-packs").iterdir()) == remembered


def test_an_unwritable_cache_only_means_checking_again(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("NBWARDEN_CACHE_DIR", str(blocker))
    (tmp_path / "p.yaml").write_text(PACK)
    assert rules.load([tmp_path], builtin=False).rules
    (tmp_path / "p.yaml").write_text(PACK.replace("stratum\\\\+tcp://", "stratum(("))
    with pytest.raises(rules.PackError, match="bad regex"):
        rules.load([tmp_path], builtin=False)


def test_bad_regex_is_reported(tmp_path):
    (tmp_path / "p.yaml").write_text(PACK.replace("stratum\\\\+tcp://", "stratum(("))
    with pytest.raises(rules.PackError, match="bad regex"):
        rules.load([tmp_path], builtin=False)


SIGNATURE_PACK = """
pack: sigs
version: 0.1.0
category: crypto_mining
rules:
  - id: crypto_mining.t-randomx-binary
    severity: block
    description: An executable that carries a RandomX miner's strings.
    references: [test]
    patterns:
      - signature: {strings: ["randomx", "stratum+tcp://", "--donate-level", "mining.subscribe"], min: 2}
    examples:
      match: [{file: "\\u007fELF...RandomX init...--donate-level=1..."}]
      no_match: [{file: "\\u007fELF...libc.so.6...randomx mentioned once..."}]
"""


def test_check_file_signatures_and_scripts(tmp_path):
    (tmp_path / "p.yaml").write_text(SIGNATURE_PACK)
    (tmp_path / "q.yaml").write_text(PACK)
    engine = Engine(rules.load([tmp_path], builtin=False))
    miner = tmp_path / "train_model"
    miner.write_bytes(b"\x7fELF\x02\x01" + b"\x00" * 5000 + b"RandomX dataset init\x00stratum+tcp://%s\x00" + b"\x00" * 100)
    verdict = engine.check_file(miner)
    assert verdict.action == "block"
    assert verdict.findings[0].rule == "crypto_mining.t-randomx-binary"
    assert "randomx" in verdict.findings[0].evidence
    benign = tmp_path / "tool"
    benign.write_bytes(b"\x7fELF\x02\x01" + b"\x00" * 5000 + b"randomx is a word in our docs\x00")
    assert engine.check_file(benign).action == "allow"
    # the name still counts (a binary called xmrig), and so does a shebang script's content
    named = tmp_path / "xmrig"
    named.write_bytes(b"\x7fELF\x02\x01plain")
    assert engine.check_file(named).action == "block"
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\ncd /tmp\nexec ./xmrig -o pool\n")
    assert engine.check_file(script).action == "block"
    # head and tail are read when the file is larger than the budget
    big = tmp_path / "big"
    big.write_bytes(b"\x7fELF" + b"\x00" * (4 << 20) + b"UPX!randomx stratum+tcp://x")
    capped = engine.check_file(big, budget=1 << 20)
    assert capped.action == "block"
    assert any("head and tail" in n for n in capped.notes)
    assert any("UPX" in n for n in capped.notes)


def test_variables_from_earlier_cells_and_shell_scripts(engine):
    nb = {"cells": [{"cell_type": "code", "source": "tool = 'xm' + 'rig'\nurl = 'pool.example:3333'"},
                    {"cell_type": "code", "source": "!./{tool} -o {url}"}]}
    verdict = engine.check_notebook(nb)
    assert "crypto_mining.t-miner" in rule_ids(verdict, "block")
    finding = next(f for f in verdict.findings if f.rule == "crypto_mining.t-miner")
    assert finding.cell == 1 and "⇒" in finding.evidence
    memory = Memory()
    engine.check_code("tool = 'xm' + 'rig'", memory=memory)
    assert engine.check_code("!./{tool} -o x", memory=memory).action == "block"
    assert engine.check_code("!./{tool} -o x").action == "allow"  # unknown without the earlier cell
    script = engine.check_code("BIN=./xm\nNAME=rig\nexport OPTS=-o\n${BIN}$NAME $OPTS pool", kind="shell")
    assert script.action == "block" and script.findings[0].line == 4


def test_memory_forgets_cells_outside_its_window(engine):
    memory = Memory(window=3)
    engine.check_code("import insightface", memory=memory)
    engine.check_code("swap = 'inswapper_128.onnx'", memory=memory)
    for _ in range(3):
        engine.check_code("x = 1", memory=memory)
    late = engine.check_code("writer = cv2.VideoWriter('o.mp4', f, 25, s)", memory=memory)
    assert "deepfake.t-pipeline" not in rule_ids(late)
    memory = Memory(window=3)
    engine.check_code("import insightface", memory=memory)
    engine.check_code("swap = 'inswapper_128.onnx'", memory=memory)
    close = engine.check_code("writer = cv2.VideoWriter('o.mp4', f, 25, s)", memory=memory)
    assert "deepfake.t-pipeline" in rule_ids(close, "block")


def test_engine_without_re2_uses_one_python_union(monkeypatch):
    """The fallback when google-re2 is missing must accept every regex of the packs (inline flags included)."""
    import nbwarden.engine.core as engine_module  # the module whose Engine reads re2

    monkeypatch.setattr(engine_module, "re2", None)
    fallback = Engine()
    assert fallback._regex_set is None and fallback._regex_union is not None
    assert fallback.check_code("pool = 'stratum+tcp://pool.example.com:3333'").action == "block"
    assert fallback.check_code("x = 1").action == "allow"


def _command_cases() -> list[tuple[list[str], str | None]]:
    """Command lines for the plain-command test: every line of the shell corpus, and plain look-alikes."""
    import shlex
    from pathlib import Path

    cases: list[tuple[list[str], str | None]] = [
        (["/bin/sleep", "0.25", "0.00001"], "/usr/bin/sleep"),
        (["ls", "-la", "/home/alice"], None),
        (["xmrig", "-o", "pool.example:3333"], None),
        (["/tmp/train", "--threads", "2"], "/tmp/.cache/xmrig"),
        (["my-tool", "--pool", "stratum+tcp://127.0.0.1:3333"], None),
        (["hping3", "--flood", "--rand-source", "127.0.0.1"], None),
        (["hping3", "-c", "3", "127.0.0.1"], None),
        (["hashcat", "-m", "0", "hashes.txt", "rockyou.txt"], None),
        (["nginx", "-g", "daemon off;"], None),
        (["ssh", "-D", "1080", "-N", "box"], None),
        (["ffmpeg", "-i", "talk.mp4", "-vf", "scale=640:-1", "small.mp4"], None),
        (["faceswap", "train", "-A", "faces_a", "-B", "faces_b"], None),
        (["gcc", "-O2", "-c", "kernel.c"], None),
        (["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv"], None),
    ]
    corpus = Path(__file__).parent / "corpus"
    for path in sorted(corpus.rglob("*.sh")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                argv = shlex.split(line, comments=True)
            except ValueError:
                continue
            if argv:
                cases.append((argv, None))
    return cases


def test_plain_command_lines_get_the_full_parse_verdict(monkeypatch):
    """check_command skips the full parse for plain command lines (no launcher, shell, interpreter,
    package tool or URL); on the public packs its verdicts must equal the full parse's, finding or not."""
    from nbwarden import shell

    engine = Engine()
    cases = _command_cases()

    def summary(argv, exe):
        verdict = engine.check_command(argv, exe=exe)
        return verdict.action, sorted((f.rule, f.severity, f.evidence) for f in verdict.findings)

    plain = [shell.is_plain(argv) for argv, _ in cases]
    fast = [summary(argv, exe) for argv, exe in cases]
    monkeypatch.setattr(shell, "is_plain", lambda argv, joined=None: False)
    full = [summary(argv, exe) for argv, exe in cases]
    assert fast == full
    # both branches were exercised: plain lines with and without findings, and lines that need the parse
    assert sum(plain) >= 10 and not all(plain)
    paired = list(zip(plain, fast, strict=True))
    assert any(p and f[1] for p, f in paired) and any(p and not f[1] for p, f in paired)


TWO_PART_PACK = """
pack: t2
version: 0.1.0
category: deepfake
rules:
  - id: deepfake.t-clone-then-import
    severity: warn
    description: A rare clone in one cell and an import from it in a later, long cell.
    references: [internal]
    all:
      - - git: [/rare-face-tool]
      - - import: [toolpipe.core]
    examples:
      match: ["!git clone https://example.org/x/rare-face-tool\\nimport toolpipe.core"]
      no_match: ["import toolpipe.core"]
  - id: web_file_hosting.t-share
    category: web_file_hosting
    severity: audit
    description: A single-part rule whose hit makes the later cell's analysis a focused one.
    references: [internal]
    patterns: [{regex: "share=True"}]
    examples: {match: ["demo.launch(share=True)"], no_match: ["demo.launch()"]}
"""


@pytest.mark.parametrize("import_line, expected", [("import toolpipe.core", "warn"), ("import toolpipe_core", "allow")])
def test_later_cell_part_found_when_its_cell_was_read_focused(tmp_path, import_line, expected):
    """The rarest part in cell 0, the other on an unrelated line of a later cell that a focused pass read."""
    (tmp_path / "p.yaml").write_text(TWO_PART_PACK)
    engine = Engine(rules.load([tmp_path], builtin=False))
    later = "\n".join([import_line, *[f"x{i} = {i}" for i in range(40)], "demo.launch(share=True)"])
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": "!git clone https://example.org/x/rare-face-tool", "metadata": {},
         "outputs": [], "execution_count": None},
        {"cell_type": "code", "source": later, "metadata": {}, "outputs": [], "execution_count": None}]}
    verdict = engine.check_notebook(json.dumps(nb))
    assert verdict.action == expected, verdict.findings


@pytest.mark.parametrize("line, flagged", [
    ("!screen -dmSL flood hping3 -S --flood -p 80 203.0.113.5", True),  # -dmSL name: flags after the S
    ("!screen -L -dmS f hping3 --flood 203.0.113.5", True),
    ("!screen -Sname -dm ./xmrig -o pool.example:3333", True),
    ("!screen -dmSL train python train.py --epochs 10", False),
    ("!screen -dmS tb tensorboard --logdir runs", False),
])
def test_commands_started_in_screen_sessions_are_checked(line, flagged):
    verdict = Engine().check_code(line)
    assert (verdict.action == "block") is flagged, verdict.findings


@pytest.mark.parametrize("line, flagged", [
    ("!docker run -d --restart always -e X=1 metal3d/xmrig -o pool.example:3333", True),  # the image's program
    ("!docker run --rm --entrypoint=hping3 alpine/net --flood -S 203.0.113.5", True),
    ("!podman run --rm -v $PWD:/w -w /w debian:12 hping3 --flood 203.0.113.5", True),  # a command in the image
    ("!docker run --rm -p 8888:8888 -v $PWD:/home/jovyan jupyter/scipy-notebook", False),
    ("!docker run --rm python:3.11 python -c 'print(1)'", False),
])
def test_what_runs_in_a_container_is_checked(line, flagged):
    verdict = Engine().check_code(line)
    assert (verdict.action == "block") is flagged, verdict.findings


@pytest.mark.parametrize("line, flagged", [
    ("!script -qfc 'upterm host --accept -- bash' /tmp/u.log &", True),  # a terminal recorder's -c, in a cluster
    ("!script --command './xmrig -o pool.example:3333' /dev/null", True),
    ("!script -qfc 'python train.py --epochs 3' train.log", False),
    ("!script session.log", False),
])
def test_commands_run_by_the_terminal_recorder_are_checked(line, flagged):
    verdict = Engine().check_code(line)
    assert (verdict.action == "block") is flagged, verdict.findings


def test_user_code_does_not_print_parser_warnings_into_the_log():
    """A cell with an invalid escape or `1if` makes the parser warn; that warning is about the user's code and
    must not reach the server's log once per cell read. The same parse done plainly does warn (the control)."""
    cell = 'import subprocess\npattern = "\\d+"\ny = 1if True else 2\nsubprocess.run(["hashcat", "--help"])'
    script = ("import ast, sys\nfrom nbwarden.engine import Engine\n"
              "cell = sys.stdin.read()\nEngine().check_code(cell)\nprint('checked', flush=True)\n"
              "if sys.argv[1:] == ['control']:\n    ast.parse(cell)\n")
    flags = ["-W", "default::DeprecationWarning", "-W", "default::SyntaxWarning"]
    quiet = subprocess.run([sys.executable, *flags, "-c", script], input=cell, capture_output=True, text=True,
                           check=True)
    loud = subprocess.run([sys.executable, *flags, "-c", script, "control"], input=cell, capture_output=True,
                          text=True, check=True)
    assert quiet.stdout.strip() == "checked"  # the cell was read deeply (it names a program to run)
    assert "invalid escape sequence" not in quiet.stderr and "invalid decimal literal" not in quiet.stderr
    assert "invalid escape sequence" in loud.stderr


def test_a_huge_command_line_is_shown_cut_like_any_evidence():
    """Found by the fuzz test: a program's argv of hundreds of characters was shown whole as the evidence."""
    verdict = Engine().check_command(["xmrig", "9" * 5000])
    assert verdict.action == "block"
    assert all(len(f.evidence) <= 200 for f in verdict.findings), [len(f.evidence) for f in verdict.findings]
    assert verdict.findings[0].evidence.startswith("xmrig 999")


@pytest.mark.parametrize("script, flagged", [("xmrig", True), ("train.py", False)])
def test_a_program_path_joined_from_an_unknown_folder_keeps_its_name(script, flagged):
    """os.path.join(BASE, 'xmrig'): the folder is unknown at check time, the program's name is not."""
    cell = f"import os, sys\nBASE = sys.argv[1]\nos.system(os.path.join(BASE, 'bin', '{script}') + ' --threads 4')"
    verdict = Engine().check_code(cell)
    assert (verdict.action == "block") is flagged, verdict.findings


def test_a_web_server_in_front_of_the_app_is_judged_by_the_app(tmp_path):
    """A compose service running nginx for a folder of its own is web hosting; the same image in front of the
    project's app (it depends on the app) is a reverse proxy, judged by what the app does."""
    from nbwarden.sources import units_of_file

    engine = Engine()  # the shipped packs

    def verdict(text):
        path = tmp_path / "docker-compose.yml"
        path.write_text(text)
        units, notes, _ = units_of_file(path)
        return engine.check_units(units, notes)

    site = ("services:\n  web:\n    image: nginx:alpine\n    ports:\n      - 80:80\n    volumes:\n"
            "      - ./public:/usr/share/nginx/html:ro\n")
    assert "web_file_hosting.web-server-daemon" in {f.rule for f in verdict(site).findings}
    front = ("services:\n  web:\n    image: nginx:alpine\n    depends_on:\n      - app\n    ports:\n      - 80:80\n"
             "  app:\n    build: .\n    command: gunicorn -b 0.0.0.0:5000 app:app\n")
    assert verdict(front).action == "allow", verdict(front).to_dict()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# values that earlier cells set, read where a later cell runs something (the gate and a scan keep them alike)
EARLIER_VALUE_CELLS = [
    "import base64\nSRC = base64.b64decode({src!r}).decode()",
    "opts = {{'dir': '/content/data', 'split': '4', 'max-connection-per-server': '4'}}",
    "import subprocess\nargv = ['aria2c'] + [f'--{{k}}={{v}}' for k, v in opts.items()] + [SRC]\n"
    "proc = subprocess.Popen(argv)",
]


# a flood whose target one cell sets, whose worker the next defines and whose tasks a third starts
SPREAD_FLOOD = [
    "import asyncio, aiohttp, base64\nURL = base64.b64decode({target!r}).decode()\nCONC = 2 ** 11",
    "async def worker(session, n):\n    for _ in range(n):\n        async with session.get(URL) as r:\n"
    "            await r.read()",
    "async def main():\n    async with aiohttp.ClientSession() as s:\n"
    "        await asyncio.gather(*(worker(s, 500) for _ in range(CONC)))\nawait main()",
]


# a helper whose loop count defaults to a few rounds, defined in one cell and called there or in the next
TIMED_HELPER = [
    "import requests, time\nMIRRORS = {{'a': 'https://pypi.org/simple/pip/', 'b': 'https://mirror.example.org/simple/pip/'}}",
    "def latency(url, n=3):\n    ts = []\n    for _ in range(n):\n"
    "        t = time.time(); requests.get(url, timeout=10); ts.append(time.time() - t)\n    return min(ts)\n{here}",
    "print({later})",
]


# a decoder defined in one cell, a value decoded with it in the next, run in a third
DECODER_CELLS = [
    "def unhex(h):\n    return bytes.fromhex(h).decode()",
    "TOOL = unhex({tool!r})\nPOOL = unhex({pool!r})",
    "import subprocess\nsubprocess.Popen([TOOL, '-o', POOL, '-u', 'W'])",
]


# an archive tried with one guess in a helper cell (with the guesses' generator), the loop in the next cell
CRACKER_CELLS = [
    "import zipfile, itertools, string\nZIP = 'backup.zip'\nSECRET = input('password: ')",
    "def try_pw(zf, member, pw):\n    try:\n        zf.read(member, pwd=pw.encode())\n        return True\n"
    "    except RuntimeError:\n        return False\n"
    "def candidates(longest):\n    for n in range(1, longest + 1):\n"
    "        for t in itertools.product(string.ascii_lowercase, repeat=n):\n            yield ''.join(t)",
    "zf = zipfile.ZipFile(ZIP)\nmember = zf.namelist()[0]\n{driver}",
]


# (what the notebook does, its cells, the category, the values filled in, flagged): each case with its look-alike
ACROSS_CELLS = [
    ("a magnet decoded in one cell, options in another, the client run in a third", EARLIER_VALUE_CELLS,
     "torrent_p2p", {"src": b64("magnet:?xt=urn:btih:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c&dn=data")}, True),
    ("the same cells fetching a file over https", EARLIER_VALUE_CELLS,
     "torrent_p2p", {"src": b64("https://data.example.org/corpus.tar.gz")}, False),
    ("a flood's target, worker and tasks in three cells", SPREAD_FLOOD,
     "dos_attack", {"target": b64("https://shop.example.com/search?q=x")}, True),
    ("the same cells aimed at this machine", SPREAD_FLOOD, "dos_attack", {"target": b64("http://127.0.0.1:8000/health")},
     False),
    ("a helper counted by a parameter, called with ten million", TIMED_HELPER,
     "dos_attack", {"here": "latency(MIRRORS['b'], n=10 ** 7)", "later": "'done'"}, True),
    ("the helper called with its default of 3 in the next cell", TIMED_HELPER,
     "dos_attack", {"here": "", "later": "latency(MIRRORS['b'])"}, False),
    ("a decoder from an earlier cell naming a miner", DECODER_CELLS,
     "crypto_mining", {"tool": b"xmrig".hex(), "pool": b"pool.example.net:3333".hex()}, True),
    ("the decoder naming nvidia-smi", DECODER_CELLS,
     "crypto_mining", {"tool": b"nvidia-smi".hex(), "pool": b"pool.example.net:3333".hex()}, False),
    ("a loop driving an earlier cell's archive try over generated guesses", CRACKER_CELLS, "password_cracking",
     {"driver": "for i, pw in enumerate(candidates(6)):\n    if try_pw(zf, member, pw):\n        print(pw, i)\n"
                "        break"}, True),
    ("the try with the password a person typed", CRACKER_CELLS, "password_cracking",
     {"driver": "for name in zf.namelist():\n    print(name, try_pw(zf, name, SECRET))"}, False),
]


@pytest.mark.parametrize("what, cells, category, values, flagged", ACROSS_CELLS, ids=[c[0] for c in ACROSS_CELLS])
def test_notebooks_are_read_across_cells(what, cells, category, values, flagged):
    """A notebook checked as a file, cell by cell: values, helpers and loops that
    earlier cells left are read where a later cell uses them."""
    engine = Engine()
    cells = [cell.format(**values) for cell in cells]
    verdict = engine.check_units([(cell, "cell", i) for i, cell in enumerate(cells)])
    assert (verdict.action in ("warn", "block") and verdict.category == category) == flagged, verdict.to_dict()
    memory = Memory()  # the gate, cell by cell: some cell is stopped
    verdicts = [engine.check_code(cell, cell=i, memory=memory) for i, cell in enumerate(cells)]
    assert any(v.action in ("warn", "block") and v.category == category for v in verdicts) == flagged
    # a harmless loop run next is not stopped again for the cells before it
    assert engine.check_code("for i in range(3):\n    print(i)", cell=len(cells), memory=memory).action == "allow"


@pytest.mark.parametrize("module, flagged", [
    ("src.rtvc.synthesizer.inference", True),   # SV2TTS vendored under a project's own package
    ("synthesizer.inference", True),
    ("myapp.synthesizers.inference", False),     # another module that merely shares words
])
def test_a_tools_dotted_modules_are_known_under_a_projects_package(module, flagged):
    """A dotted module name of a tool matches from any part of an import (a vendored copy keeps its path), while a
    rule's module under a generic root (modules.core, scripts.inference) still matches only as the root."""
    cell = (f"from {module} import Synthesizer\nfrom {module.replace('synthesizer', 'encoder')} import embed_utterance\n"
            "mels = Synthesizer(ckpt).synthesize_spectrograms([text], [embed_utterance(ref)])")
    shipped = Engine()
    found = {f.rule for f in shipped.check_code(cell).findings}
    assert ("deepfake.sv2tts-cloning" in found) is flagged, found
    # the roop-derived layout (modules.core started with core.run()) under a folder of a generic name is not it
    roop_like = "from {} import core\ncore.run()"
    assert any(f.category == "deepfake" for f in shipped.check_code(roop_like.format("modules")).findings)
    assert not any(f.category == "deepfake" for f in shipped.check_code(roop_like.format("app.modules")).findings)
