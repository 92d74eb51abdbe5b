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
