"""The scan CLI: formats, exit codes, and survival on large, hostile inputs."""

import codecs
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.corpus import notebook, write_notebooks

NBWARDEN = [sys.executable, "-m", "nbwarden.cli"]
MINER_CELL = "!./xmrig -o stratum+tcp://pool.example:3333 -u WALLET"


def run(*args, stdin=None, cwd=None):
    return subprocess.run([*NBWARDEN, *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=600)


def write_nb(path: Path, cells: list[str], markdown=()) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook(cells, list(markdown))))
    return path


@pytest.fixture
def small_tree(tmp_path):
    write_nb(tmp_path / "bad.ipynb", ["import numpy as np", MINER_CELL])
    write_nb(tmp_path / "ok.ipynb", ["import pandas as pd\npd.DataFrame()"], ["Mining *data*, not coins."])
    (tmp_path / "broken.ipynb").write_text('{"cells": [ {"cell_type": "code", "source": "!xmrig"')
    (tmp_path / "empty.ipynb").write_text("")
    (tmp_path / "blob.ipynb").write_bytes(os.urandom(4096))
    (tmp_path / "script.py").write_text("import os\nos.system('ls')\n")
    (tmp_path / "notes.txt").write_text("xmrig -o stratum+tcp://a:1")  # not code: skipped in directories
    return tmp_path


def test_json_report_shape_and_per_file_errors(small_tree):
    proc = run("scan", str(small_tree), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    files = {Path(f["path"]).name: f for f in report["files"]}
    assert set(files) == {"bad.ipynb", "ok.ipynb", "broken.ipynb", "empty.ipynb", "blob.ipynb", "script.py"}
    bad = files["bad.ipynb"]
    assert bad["verdict"]["action"] == "block" and bad["verdict"]["category"] == "crypto_mining"
    finding = bad["findings"][0]
    assert {"rule", "category", "severity", "evidence", "cell", "line"} <= set(finding)
    assert finding["cell"] == 1 and "xmrig" in finding["evidence"]
    assert files["ok.ipynb"]["verdict"]["action"] == "allow"
    # a truncated notebook still gets text-level checks, with a note saying so
    assert files["broken.ipynb"]["verdict"]["action"] == "block"
    assert "invalid notebook JSON" in files["broken.ipynb"]["error"]
    assert any("salvaged" in n for n in files["broken.ipynb"]["notes"])
    assert "binary" in files["blob.ipynb"]["error"]
    assert "error" in files["empty.ipynb"]
    assert report["summary"]["files"] == 6


def test_exit_codes(small_tree, tmp_path_factory):
    clean = tmp_path_factory.mktemp("clean")
    write_nb(clean / "a.ipynb", ["print('hello')"])
    assert run("scan", str(clean)).returncode == 0
    assert run("scan", str(small_tree)).returncode == 1
    assert run("scan", str(small_tree), "--fail-on", "never").returncode == 0
    assert run("scan", str(small_tree), "--strict").returncode == 2  # some files could not be read
    assert run("scan", str(small_tree / "nope.ipynb")).returncode == 2
    assert run("scan", "--format", "xml", str(clean)).returncode == 2
    warn_only = tmp_path_factory.mktemp("warn")
    (warn_only / "c.py").write_text("# nothing here\nx = 1\n")
    assert run("scan", str(warn_only), "--fail-on", "audit").returncode == 0


def test_globs_and_explicit_data_files(small_tree):
    proc = run("scan", str(small_tree / "*.ipynb"), "--format", "json")
    names = {Path(f["path"]).name for f in json.loads(proc.stdout)["files"]}
    assert "script.py" not in names and "bad.ipynb" in names
    data = run("scan", str(small_tree / "notes.txt"), "--format", "json")
    report = json.loads(data.stdout)
    # inert bytes never block anyone: at most an audit finding
    assert data.returncode == 0
    assert all(f["severity"] == "audit" for f in report["files"][0]["findings"])


def test_sarif_report(small_tree):
    proc = run("scan", str(small_tree), "--format", "sarif")
    doc = json.loads(proc.stdout)
    assert doc["version"] == "2.1.0"
    run0 = doc["runs"][0]
    rules = {r["id"] for r in run0["tool"]["driver"]["rules"]}
    results = run0["results"]
    assert results and all(r["ruleId"] in rules for r in results)
    assert any(r["level"] == "error" for r in results)
    assert results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    assert run0["invocations"][0]["toolExecutionNotifications"]


def test_text_report(small_tree):
    proc = run("scan", str(small_tree))
    assert "BLOCK crypto_mining" in proc.stdout
    assert "ERROR binary data" in proc.stdout
    assert "6 files" in proc.stdout


def test_check_stdin():
    proc = run("check", "-", stdin=MINER_CELL)
    verdict = json.loads(proc.stdout)
    assert proc.returncode == 1 and verdict["action"] == "block"
    proc = run("check", "-", stdin="import torch\nprint(torch.__version__)")
    assert proc.returncode == 0 and json.loads(proc.stdout)["action"] == "allow"
    proc = run("check", "-", "--kind", "shell", stdin="apt-get update\nxmrig -o x\n")
    assert json.loads(proc.stdout)["findings"][0]["line"] == 2


def test_a_shell_kernels_notebook_is_read_as_shell(tmp_path):
    """The same cell is a command under bash_kernel and a syntax error (it never runs) under Python."""
    cell = "export DISPLAY=:1\nx11vnc -forever -nopw -display :1 &"
    for language, expected in (("bash", "BLOCK remote_desktop_ssh"), ("python", "allow: 1")):
        nb = notebook([cell], [])
        nb["metadata"]["kernelspec"] = {"name": language, "display_name": language, "language": language}
        path = tmp_path / f"{language}.ipynb"
        path.write_text(json.dumps(nb))
        proc = run("scan", str(path), "--fail-on", "never")
        assert expected in proc.stdout, (language, proc.stdout)


def test_foreign_commands_are_read_from_literals_in_one_pass():
    from nbwarden.sources import foreign_commands

    cell = 'x <- system2("hashcat", c("-m", "0", "h.txt"))\nrun(`aria2c magnet:?xt=urn:btih:ab`)\nprint("run(1)")'
    assert foreign_commands(cell).splitlines() == ["hashcat -m 0 h.txt", "aria2c magnet:?xt=urn:btih:ab"]
    # calls nested without end before a real one neither hide it nor stall the reading
    nested = 'system("ls")\n' + "run(" * 50_000 + '\nsystem("xmrig -o pool:3333")'
    assert foreign_commands(nested).splitlines() == ["ls", "xmrig -o pool:3333"]


def test_a_command_kept_under_a_name_is_read_where_it_is_run():
    """A literal given to a name once (PHP's $cmd = '…', R's cmd <- "…", Go's cmd := "…"), or quoted again with
    escapeshellcmd, stands for that name inside the call that runs it; a name given two values stands for none."""
    from nbwarden.sources import foreign_commands

    php = ("<?php\n$env = \"HOME=/srv\";\n$add = '/usr/bin/deluge-console add '.$_POST['m'];\n"
           "$safe = escapeshellcmd($add);\nexec($safe, $out);\nexec(\"$env qbittorrent-nox $link 2>&1\");\n")
    assert foreign_commands(php).splitlines() == ["/usr/bin/deluge-console add ", "HOME=/srv qbittorrent-nox $link 2>&1"]
    assert foreign_commands('cmd <- "ls"\ncmd <- "xmrig -o p:3333"\nsystem(cmd)') == ""  # two values: none
    go = 'package main\nimport "os/exec"\nfunc main() {\n\targs := "-d"\n\texec.Command("transmission-daemon", args).Run()\n}'
    assert foreign_commands(go) == "transmission-daemon -d"


@pytest.mark.parametrize("command, verdict", [("qbittorrent-nox", "BLOCK torrent_p2p"), ("ls -la", "allow")])
def test_the_commands_a_php_page_runs_are_checked_as_shell(tmp_path, command, verdict):
    """A program in another language checked as a file: what its exec() calls hand the shell is read as shell
    (a web page that starts a torrent client with the visitor's magnet); a page that lists a folder is allowed."""
    page = tmp_path / "add.php"
    page.write_text(f"<?php\n$cmd = '{command} ' . escapeshellarg($_POST['magnet']);\nexec($cmd, $out);\n"
                    "echo implode(\"\\n\", $out);\n")
    proc = run("scan", str(page), "--fail-on", "never")
    assert (verdict in proc.stdout) if verdict != "allow" else ("BLOCK" not in proc.stdout and "WARN" not in proc.stdout), \
        proc.stdout


def test_an_r_notebooks_system_calls_are_read_as_shell(tmp_path):
    """R hands the shell a string: system("x11vnc …") is a command, print("x11vnc …") is not."""
    for cell, expected in (('system("x11vnc -forever -nopw -display :1 &")', "BLOCK remote_desktop_ssh"),
                           ('print("x11vnc -forever -nopw is not allowed here")', "allow: 1")):
        nb = notebook([cell], [])
        nb["metadata"]["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
        path = tmp_path / "r.ipynb"
        path.write_text(json.dumps(nb))
        proc = run("scan", str(path), "--fail-on", "never")
        assert expected in proc.stdout, (cell, proc.stdout)


def test_check_unreadable_source_is_a_usage_error(tmp_path):
    for source in (tmp_path / "absent.py", tmp_path):  # missing, and a directory
        proc = run("check", str(source))
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert "cannot read" in proc.stderr


def test_rules_commands():
    listing = run("rules", "list")
    assert listing.returncode == 0 and "crypto_mining.miner-program" in listing.stdout
    tested = run("rules", "test")
    assert tested.returncode == 0, tested.stdout[-2000:]
    assert "0 failures" in tested.stdout
    explained = run("rules", "explain", "crypto_mining.miner-program")
    assert "match:" in explained.stdout and "crypto_mining" in explained.stdout
    assert run("rules", "explain", "no.such-rule").returncode == 2


def test_broken_private_pack_is_a_usage_error(tmp_path):
    (tmp_path / "bad.yaml").write_text("pack: site\nversion: 1.0.0\nrules:\n  - id: x.y\n    severity: fatal\n")
    proc = run("scan", "--rules", str(tmp_path), str(tmp_path))
    assert proc.returncode == 2
    assert "bad.yaml" in proc.stderr and "severity" in proc.stderr


def test_eval_reports_precision_and_recall(tmp_path):
    write_nb(tmp_path / "bad" / "crypto_mining" / "a.ipynb", [MINER_CELL])
    write_nb(tmp_path / "bad" / "crypto_mining" / "b.ipynb", ["print('no miner here')"])
    write_nb(tmp_path / "benign" / "crypto_mining" / "c.ipynb", ["import hashlib"])
    proc = run("eval", str(tmp_path), "--json")
    report = json.loads(proc.stdout)
    row = report["categories"]["crypto_mining"]
    assert row["tp"] == 1 and row["fn"] == 1 and row["fp"] == 0
    assert row["precision"] == 1.0 and row["recall"] == 0.5
    assert report["benign_flagged"] == 0
    assert run("eval", str(tmp_path / "bad" / "crypto_mining")).returncode == 2


def _hostile_files(root: Path) -> dict[str, str]:
    """Malformed, empty, binary, deeply nested, oddly encoded and huge files.

    name -> (an error is reported, the verdict expected: None = no verdict at all, "any", or an action)
    """
    root.mkdir(parents=True, exist_ok=True)
    expected = {}
    (root / "truncated.ipynb").write_text('{"cells": [{"cell_type": "code", "source": "import os')
    expected["truncated.ipynb"] = (True, "allow")
    (root / "empty.ipynb").write_bytes(b"")
    expected["empty.ipynb"] = (True, None)
    (root / "binary.ipynb").write_bytes(bytes(range(256)) * 64)
    expected["binary.ipynb"] = (True, None)
    (root / "nested.ipynb").write_text("[" * 100000 + "]" * 100000)
    expected["nested.ipynb"] = (True, "allow")
    (root / "list.ipynb").write_text("[1, 2, 3]")
    expected["list.ipynb"] = (True, "allow")
    (root / "utf16.ipynb").write_bytes(codecs.BOM_UTF16_LE + json.dumps(notebook([MINER_CELL])).encode("utf-16-le"))
    expected["utf16.ipynb"] = (False, "block")
    (root / "latin1.py").write_bytes("# caf\xe9\nimport os\nos.system('xmrig')\n".encode("latin-1"))
    expected["latin1.py"] = (False, "block")
    (root / "giant_cell.ipynb").write_text(json.dumps(notebook(["x = 1\n" * 400000, MINER_CELL])))
    expected["giant_cell.ipynb"] = (False, "block")
    deep_code = "x = " + "(" * 3000 + "1" + ")" * 3000
    (root / "deep_code.py").write_text(deep_code)
    expected["deep_code.py"] = (False, "allow")
    # a 50 MB notebook: a big output image, as real notebooks have
    big = notebook(["import matplotlib.pyplot as plt\nplt.plot([1, 2])", MINER_CELL])
    big["cells"][1]["outputs"] = [{"output_type": "display_data", "metadata": {},
                                   "data": {"image/png": "iVBORw0KGgo" * (50 * 1024 * 1024 // 11)}}]
    (root / "huge.ipynb").write_text(json.dumps(big))
    expected["huge.ipynb"] = (False, "block")
    return expected


def test_ten_thousand_mixed_notebooks(tmp_path):
    """10,000 notebooks, hostile files among them: every file gets a result, nothing crashes."""
    tree = tmp_path / "tree"
    write_notebooks(tree / "realistic", 9990, cells_per_notebook=(2, 6))
    expected = _hostile_files(tree / "hostile")
    report_path = tmp_path / "report.json"
    proc = run("scan", str(tree), "--format", "json", "-o", str(report_path), "--no-progress")
    assert proc.returncode == 1, proc.stderr[-3000:]  # the corpus contains prohibited cells
    report = json.loads(report_path.read_text())
    files = report["files"]
    assert len(files) == 10000
    assert report["summary"]["files"] == 10000
    by_name = {Path(f["path"]).name: f for f in files if "/hostile/" in f["path"]}
    for name, (has_error, action) in expected.items():
        entry = by_name[name]
        assert bool(entry.get("error")) == has_error, entry
        assert "internal error" not in entry.get("error", ""), entry
        if action is None:
            assert "verdict" not in entry, entry
        else:
            assert entry["verdict"]["action"] == action, entry
    assert not any("internal error" in f.get("error", "") for f in files)
    realistic = [f for f in files if "/realistic/" in f["path"]]
    assert all("verdict" in f for f in realistic)
    assert any(f["verdict"]["action"] == "block" for f in realistic)
    strict = run("scan", str(tree / "hostile"), "--strict", "--format", "json")
    assert strict.returncode == 2


# --- files found by content: no suffix, or one that claims nothing ---------------------------------------

NB_MINER = json.dumps(notebook(["import numpy as np", MINER_CELL]))
CONFIG_JSON = json.dumps({"miner": "xmrig", "pool": "stratum+tcp://pool.example:3333", "threads": 4})


@pytest.fixture
def content_tree(tmp_path):
    """Extensionless runners and notebooks beside look-alikes that must stay data (or be skipped)."""
    (tmp_path / "run").write_text("#!/bin/bash\nset -e\ncd \"$(dirname \"$0\")\"\n"
                                  "./xmrig -o stratum+tcp://pool.example:3333 -u WALLET --donate-level 1\n")
    (tmp_path / "start").write_text("#!/usr/bin/env bash\npip install -r requirements.txt\n"
                                    "python train.py --epochs 10 --lr 3e-4 --out checkpoints/\n")
    (tmp_path / "entrypoint").write_text("#!/usr/bin/env python3\nimport subprocess\n"
                                         "subprocess.run(['python', '-m', 'torch.distributed.run', 'train.py'])\n")
    (tmp_path / "analysis").write_text(NB_MINER)  # a notebook saved without .ipynb
    (tmp_path / "config").write_text(CONFIG_JSON)  # JSON, but not a notebook: not even opened past its head
    # JSON with a "cells" key that is not a notebook: the walk finds it, the parse says data
    (tmp_path / "grid").write_text(json.dumps({"cells": [[0, 1], [1, 0]], "note": "xmrig -o stratum+tcp://pool.example:3333"}))
    (tmp_path / "notes.txt").write_text("#!/bin/sh\nxmrig -o stratum+tcp://pool.example:3333\n")  # .txt is data
    (tmp_path / "blob").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 32)
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "Makefile").write_text("all:\n\tpython train.py\n")  # no #! line: never guessed
    (tmp_path / "job.run").write_text("#!/usr/bin/python3.11\nprint('hello')\n")
    # found by name or suffix: a Dockerfile runs its CMD, and Go is code even though it is read as text
    (tmp_path / "Dockerfile").write_text('FROM ubuntu:22.04\nCMD ["python3", \\\n'
                                         '     "run.py", "-s", "face.jpg", "-t", "clip.mp4", "--frame-processor", '
                                         '"face_swapper"]\n')
    (tmp_path / "hello.go").write_text('package main\nimport "net/http"\nfunc main() {\n'
                                       '\thttp.ListenAndServe("127.0.0.1:8080", nil)\n}\n')
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "run").write_text("#!/bin/sh\nxmrig -o stratum+tcp://x:1\n")  # noise: skipped
    if hasattr(os, "mkfifo"):  # a FIFO must neither hang the walk nor the read
        os.mkfifo(tmp_path / "pipe")
        os.mkfifo(tmp_path / "pipe.py")
    return tmp_path


def test_directory_walk_finds_code_by_content(content_tree):
    proc = run("scan", str(content_tree), "--format", "json", "--no-progress")
    assert proc.returncode == 1, proc.stderr
    files = {Path(f["path"]).name: f for f in json.loads(proc.stdout)["files"]}
    expected = {"run", "start", "entrypoint", "analysis", "grid", "job.run", "Dockerfile", "hello.go"}
    assert set(files) - {"pipe.py"} == expected
    assert files["Dockerfile"]["verdict"]["action"] == "block"  # its exec-form CMD, split over two lines
    assert files["hello.go"]["verdict"]["action"] == "allow"
    assert files["run"]["verdict"] == {**files["run"]["verdict"], "action": "block", "category": "crypto_mining"}
    assert "kind from content: shell (#! line)" in files["run"]["notes"]
    assert files["start"]["verdict"]["action"] == "allow"
    assert files["entrypoint"]["verdict"]["action"] == "allow"
    assert "kind from content: python (#! line)" in files["entrypoint"]["notes"]
    nb = files["analysis"]
    assert nb["verdict"]["action"] == "block" and nb["findings"][0]["cell"] == 1
    assert "kind from content: notebook (JSON with cells)" in nb["notes"]
    assert all(f["severity"] == "audit" for f in files["grid"]["findings"])  # data: capped
    assert files["job.run"]["verdict"]["action"] == "allow"
    if "pipe.py" in files:
        assert "not a regular file" in files["pipe.py"]["error"]


def test_named_look_alikes_stay_data(content_tree):
    names = ["config", "grid", "notes.txt", "blob", "Makefile"]
    proc = run("scan", *[str(content_tree / n) for n in names], "--format", "json", "-v")
    assert proc.returncode == 0, proc.stdout
    files = {Path(f["path"]).name: f for f in json.loads(proc.stdout)["files"]}
    assert set(files) == set(names)
    for name in ("config", "grid", "notes.txt"):
        findings = files[name]["findings"]
        assert findings and all(f["severity"] == "audit" for f in findings), name
    assert not any("internal error" in (f.get("error") or "") for f in files.values())
    # --all-files walks everything; the kinds stay as the content says
    every = json.loads(run("scan", str(content_tree), "--all-files", "--format", "json").stdout)
    by_name = {Path(f["path"]).name: f for f in every["files"]}
    assert by_name["notes.txt"]["verdict"]["action"] == "allow" and by_name["run"]["verdict"]["action"] == "block"
    assert by_name["blob"]["verdict"]["action"] == "allow" and "empty" in by_name
    if "pipe" in by_name:
        assert "not a regular file" in by_name["pipe"]["error"]


@pytest.mark.parametrize(("line", "kind"), [
    ("#!/bin/sh", "shell"), ("#!/bin/bash -e", "shell"), ("#!/usr/bin/env bash", "shell"),
    ("#! /usr/bin/env zsh", "shell"), ("#!/bin/dash\r", "shell"), ("#!/bin/busybox sh", "shell"),
    ("#!/usr/bin/env python3", "python"), ("#!/usr/bin/python", "python"), ("#!/opt/py/bin/python3.11 -u", "python"),
    ("#!/usr/bin/env -S python3 -u", "python"), ("#!/usr/bin/env -S uv run --script", "python"),
    ("#!/usr/bin/perl", None), ("#!/usr/bin/env node", None), ("#!/usr/bin/env", None), ("# not a shebang", None),
])
def test_shebang_kind(line, kind):
    from nbwarden.sources import shebang_kind

    assert shebang_kind(line) == kind


def test_a_shebang_missing_its_bang_still_names_the_interpreter():
    """``#/bin/bash`` (a typo that ``bash file`` runs anyway) is a shell script; a comment that starts with a path
    is not a script's first line."""
    from nbwarden.sources import sniff

    assert sniff(b"#/bin/bash\nfunction attack {\n./bin/smurf $ip\n}\n") == "shell"
    assert sniff(b"#/usr/bin/env python3\nimport os\n") == "python"
    assert sniff(b"#/etc/hosts entries we keep\n127.0.0.1 localhost\n") is None


def test_kind_of_suffix_and_content():
    from nbwarden.sources import kind_of

    nb = NB_MINER.encode()
    v3 = json.dumps({"metadata": {}, "nbformat": 3, "worksheets": [{"cells": [{"cell_type": "code", "input": "x"}]}]})
    assert kind_of("", nb) == ("notebook", "kind from content: notebook (JSON with cells)")
    assert kind_of("", v3.encode())[0] == "notebook"
    assert kind_of("", nb[: len(nb) // 2])[0] == "notebook"  # truncated: salvaged as a notebook
    assert kind_of("", CONFIG_JSON.encode())[0] == "data"
    assert kind_of("", b'{"cells": [[0, 1]], "nbformat": "x"}')[0] == "data"
    assert kind_of("", b"import os\nos.system('ls')\n")[0] == "data"  # no #! line: no guessing
    assert kind_of("", b"#!/usr/bin/perl\nprint 1;\n")[0] == "data"
    assert kind_of("", b"#!/bin/sh\n" + bytes(range(256)) * 16)[0] == "data"  # a binary behind a #! line
    assert kind_of(".run", b"#!/bin/sh\necho hi\n") == ("shell", "kind from content: shell (#! line)")
    # a suffix that says code is believed; the #! line only chooses between shell and Python
    assert kind_of(".py", b"#!/bin/sh\nxmrig\n") == ("shell", None)
    assert kind_of(".py", b"#!/usr/bin/env bash\nxmrig\n") == ("shell", None)
    assert kind_of(".py", b"#!/usr/bin/env node\n") == ("python", None)
    assert kind_of(".sh", b"#!/usr/bin/env python3\nimport os\n") == ("python", None)
    assert kind_of(".ipynb", b"#!/bin/sh\n") == ("notebook", None)
    # a suffix that says data is believed too
    assert kind_of(".txt", b"#!/bin/sh\nxmrig -o stratum+tcp://a:1\n")[0] == "data"
    assert kind_of(".json", nb)[0] == "data"
    # notebook JSON saved under a script's name is a notebook; a script that merely starts with a dict is not
    assert kind_of(".py", nb)[0] == "notebook"
    assert kind_of(".py", b'{"lr": 0.1, "cells": 3}\nprint(1)\n')[0] == "python"


def test_a_notebook_saved_as_its_code_is_read_as_a_cell(tmp_path):
    """An .ipynb that holds plain code (exported, pasted) gets the full analysis, not only the text-level checks."""
    from nbwarden.engine import Engine
    from nbwarden.scan import check_file

    engine = Engine()
    bad, good = tmp_path / "swap.ipynb", tmp_path / "plot.ipynb"
    bad.write_text("!git clone https://github.com/s0md3v/roop\n%cd roop\n!python run.py -s face.jpg -t clip.mp4 -o out.mp4\n")
    good.write_text("import matplotlib.pyplot as plt\n%matplotlib inline\nplt.plot([1, 2, 3])\n")
    found = check_file(bad, engine)
    assert found.verdict["action"] in ("warn", "block") and found.verdict["category"] == "deepfake", found.verdict
    assert any("read as the code of one cell" in n for n in found.verdict["notes"])
    assert check_file(good, engine).verdict["action"] == "allow"


def test_salvage_reads_past_a_quote_left_unescaped():
    """A hand-edited notebook with a bare quote inside a source line: the rest of the cell is still read."""
    from nbwarden.sources import salvage_sources

    broken = ('{"cells": [{"cell_type": "code", "source": [\n'
              '    "msg = out.split("Try again")\\n",\n'
              '    "import os\\n",\n'
              '    "os.system(\\"xmrig -o pool:3333\\")"\n'
              '  ]}], "nbformat": 4}')
    (source,) = salvage_sources(broken)
    assert source.splitlines() == ['msg = out.split("Try again")', "import os", 'os.system("xmrig -o pool:3333")']
    # a well-formed list on one line is read string by string, as before
    assert salvage_sources('{"cells": [{"source": ["a = 1\\n", "b = 2"]}], x') == ["a = 1\nb = 2"]
