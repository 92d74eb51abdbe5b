"""Core benchmark: per-cell latency of check_code next to ast.parse, and bulk scan
throughput next to ripgrep and semgrep, measured side by side in one run.

    make bench            # or: .venv/bin/python benchmarks/bench_core.py [--cells N] [--notebooks N]

Prints Markdown tables (pasted into BENCHMARKS.md) and writes artifacts/bench_core.json.
It never passes or fails on timing.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import cell_mix, real_cells, write_notebooks  # noqa: E402
from nbwarden.analysis.facts import Analysis  # noqa: E402
from nbwarden.analysis.ipython import split_ipython  # noqa: E402
from nbwarden.engine import Engine, scoped  # noqa: E402

try:
    import re2  # noqa: E402
except ImportError:  # pragma: no cover
    re2 = None


PYTHON_RE_BUDGET_S = 60.0  # each Python-re alternative stops after this long (it reports the cells it did)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}"


def parse_time(cell: str) -> float:
    start = time.perf_counter()
    try:
        ast.parse(cell)
    except (SyntaxError, ValueError):
        pass
    return time.perf_counter() - start


def python_of(cell: str) -> str:
    """The cell's Python with IPython lines (``!pip``, ``%cd``) as placeholders: what a kernel would parse.
    A raw ``ast.parse`` of a real cell fails at its first ``!`` line, which would make the baseline look cheap."""
    return split_ipython(cell, Analysis(source=cell, kind="cell"), [])


def latency(engine: Engine, cells: list[str], python_baseline: bool = False) -> dict:
    for cell in cells[:200]:  # warm caches
        engine.check_code(cell)
    parse, check, deep = [], [], []
    for cell in cells:
        t_parse = parse_time(python_of(cell) if python_baseline else cell)
        start = time.perf_counter()
        engine.check_code(cell)
        t_check = time.perf_counter() - start
        parse.append(t_parse)
        check.append(t_check)
        deep.append(engine._prefilter(cell.lower()))

    def row(label: str, index: list[int]) -> dict:
        p = [parse[i] for i in index]
        c = [check[i] for i in index]
        return {"label": label, "cells": len(index), "parse_median_ms": ms(statistics.median(p)),
                "parse_p99_ms": ms(pct(p, 0.99)), "check_median_ms": ms(statistics.median(c)),
                "check_p99_ms": ms(pct(c, 0.99)), "median_ratio": round(statistics.median(c) / statistics.median(p), 2),
                "p99_ratio": round(pct(c, 0.99) / pct(p, 0.99), 2)}

    all_i = list(range(len(cells)))
    small = [i for i in all_i if len(cells[i]) <= 2048]
    large = [i for i in all_i if 2048 < len(cells[i]) <= 10240]
    deep_i = [i for i in all_i if deep[i]]
    rows = [row("all cells", all_i), row("cells <= 2 KB", small), row("cells 2-10 KB", large),
            row("cells that pass the prefilter (deep analysis)", deep_i)]
    return {"rows": rows, "prefilter_pass_share": round(len(deep_i) / len(cells), 3)}


def matcher_choice(engine: Engine, cells: list[str]) -> list[dict]:
    """Why RE2's set and one Aho-Corasick automaton: the alternatives on the same text."""
    regexes = list(engine._regex_texts)
    needles = sorted({v[0] for _, v in engine._automaton.items() if v[3]})
    lows = [c.lower() for c in cells]
    out = []

    def timed(label: str, fn, budget_s: float | None = None) -> None:
        """Time ``fn`` over the cells; with ``budget_s``, stop after that long and report the cells done
        (Python's backtracking ``re`` takes tens of seconds on some cells with bounded ``[\\s\\S]{0,N}``
        gaps, where RE2 is linear)."""
        start = time.perf_counter()
        done = 0
        slowest = 0.0
        for text in lows:
            t0 = time.perf_counter()
            fn(text)
            slowest = max(slowest, time.perf_counter() - t0)
            done += 1
            if budget_s is not None and time.perf_counter() - start > budget_s:
                break
        total = time.perf_counter() - start
        out.append({"matcher": label, "cells": done, "total_ms": round(total * 1000, 1),
                    "per_cell_us": round(total / done * 1e6, 2), "slowest_cell_ms": round(slowest * 1000, 1)})

    timed(f"Aho-Corasick, {len(needles)} literals (pyahocorasick)", lambda t: list(engine._automaton.iter(t)))
    timed(f"Python loop `in` over {len(needles)} literals", lambda t: [n for n in needles if n in t])
    if regexes and re2 is not None:
        options = re2.Options()
        options.case_sensitive = False
        regex_set = re2.Set.SearchSet(options)
        for r in regexes:
            regex_set.Add(r)
        try:
            regex_set.Compile()
        except re2.error:  # past RE2's program size limit: one more reason the engine gates regexes by word
            out.append({"matcher": f"RE2 set, {len(regexes)} regexes (does not compile: over RE2's size limit)",
                        "cells": 0, "total_ms": None, "per_cell_us": None, "slowest_cell_ms": None})
        else:
            timed(f"RE2 set, {len(regexes)} regexes", regex_set.Match)
    if regexes:
        union = re.compile("|".join(scoped(r) for r in regexes), re.I)
        timed(f"Python re, one alternation of {len(regexes)} regexes", union.search, budget_s=PYTHON_RE_BUDGET_S)
        compiled = [re.compile(r, re.I) for r in regexes]
        timed(f"Python re, loop over {len(regexes)} regexes", lambda t: [r.search(t) for r in compiled],
              budget_s=PYTHON_RE_BUDGET_S)
    return out


def engine_literals(engine: Engine) -> list[str]:
    """The words nbwarden's automaton looks for, as one-line literals other tools can take.

    A needle that holds a newline (the decode trigger ``"\\n$"``) would split into two lines of a
    pattern file, one of them empty, and an empty literal matches every line; such needles and any
    whitespace-only one are left out, so every tool searches for the same real words."""
    return sorted({v[0] for _, v in engine._automaton.items() if v[3] and v[0].strip() and "\n" not in v[0]})


def literal_patterns(engine: Engine, path: Path) -> int:
    needles = engine_literals(engine)
    path.write_text("\n".join(needles) + "\n")
    return len(needles)


def semgrep_rules(engine: Engine, path: Path) -> int:
    needles = engine_literals(engine)
    regexes = list(engine._regex_texts)
    either = [{"pattern-regex": "(?i)" + re.escape(n)} for n in needles] + [{"pattern-regex": "(?i)" + r} for r in regexes]
    import yaml

    rule = {"rules": [{"id": "nbwarden-literals", "languages": ["generic"], "severity": "WARNING",
                       "message": "prohibited-activity literal", "pattern-either": either,
                       "paths": {"include": ["*.ipynb"]}}]}
    path.write_text(yaml.safe_dump(rule))
    return len(either)


def timed_command(cmd: list[str], env: dict | None = None, timeout: float = 3600) -> tuple[float, int, str]:
    """Seconds, exit status and stderr's tail; a command stopped at ``timeout`` reports rc None."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, None, f"stopped after {timeout:.0f} s"
    return time.perf_counter() - start, proc.returncode, proc.stderr[-500:]


def bulk(engine: Engine, corpus: Path, label: str, semgrep: str | None, semgrep_notebooks: int = 300,
         semgrep_timeout: float = 3600) -> dict:
    """nbwarden scan, ripgrep and semgrep over the same notebooks, one after the other."""
    tmp = Path(tempfile.mkdtemp(prefix="nbw-bench-"))
    try:
        files = sorted(corpus.rglob("*.ipynb"))
        notebooks, size = len(files), sum(p.stat().st_size for p in files)
        rows = []
        nbw = [str(ROOT / ".venv" / "bin" / "nbwarden") if (ROOT / ".venv/bin/nbwarden").exists() else "nbwarden",
               "scan", str(corpus), "--format", "json", "-o", str(tmp / "report.json"), "--fail-on", "never",
               "--no-progress", "--jobs", str(os.cpu_count() or 2)]
        seconds, code, err = timed_command(nbw)
        rows.append({"tool": "nbwarden scan (full analysis, JSON report)", "seconds": seconds, "rc": code, "err": err})
        pattern_file = tmp / "patterns.txt"
        count = literal_patterns(engine, pattern_file)
        if shutil.which("rg"):
            seconds, code, err = timed_command(["rg", "-F", "-i", "-c", "-f", str(pattern_file), "--glob", "*.ipynb",
                                                str(corpus)])
            rows.append({"tool": f"rg -F -i -f patterns ({count} literals)", "seconds": seconds, "rc": code, "err": err})
        for r in rows:
            r["notebooks"], r["bytes"] = notebooks, size
        if semgrep:
            # semgrep is slow enough that it runs on the first notebooks of the same corpus only;
            # throughput (notebooks/s, MB/s) is what is compared
            subset = tmp / "semgrep-subset"
            subset.mkdir()
            for i, path in enumerate(files[:semgrep_notebooks]):
                shutil.copy(path, subset / f"{i:05d}.ipynb")
            sub_files = list(subset.glob("*.ipynb"))
            sub_size = sum(p.stat().st_size for p in sub_files)
            rules_file = tmp / "semgrep.yaml"
            n_rules = semgrep_rules(engine, rules_file)
            env = dict(os.environ, SEMGREP_SEND_METRICS="off", SEMGREP_ENABLE_VERSION_CHECK="0")
            seconds, code, err = timed_command([semgrep, "scan", "--config", str(rules_file), "--metrics=off",
                                                "--disable-version-check", "--quiet", "--json", "-o",
                                                str(tmp / "semgrep.json"), "--jobs", str(os.cpu_count() or 2),
                                                str(subset)], env, timeout=semgrep_timeout)
            rows.append({"tool": f"semgrep --config ({n_rules} pattern-regex rules, generic)", "seconds": seconds,
                         "rc": code, "err": err, "notebooks": len(sub_files), "bytes": sub_size})
        base = rows[0]["notebooks"] / rows[0]["seconds"]
        for r in rows:
            # a command stopped at its timeout did less than all its notebooks: the figures are upper bounds
            r["upper_bound"] = r["rc"] is None
            r["notebooks_per_s"] = round(r["notebooks"] / r["seconds"], 3)
            r["mb_per_s"] = round(r["bytes"] / 1e6 / r["seconds"], 2)
            r["speed_vs_nbwarden"] = round(r["notebooks_per_s"] / base, 3)
            r["seconds"] = round(r["seconds"], 2)
        return {"corpus": label, "notebooks": notebooks, "megabytes": round(size / 1e6, 1), "rows": rows,
                "sources": sources(corpus)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def sources(corpus: Path) -> list[str]:
    """``owner/name@commit`` of the repositories under a materialised corpus (``owner+name/commit12/...``)."""
    return sorted(f"{d.name.replace('+', '/', 1)}@{c.name}" for d in corpus.iterdir() if d.is_dir() and "+" in d.name
                  for c in d.iterdir() if c.is_dir())


def print_latency(rows: list[dict]) -> None:
    print("| cells | n | ast.parse median | ast.parse p99 | check_code median | check_code p99 | median ratio | p99 ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['label']} | {r['cells']} | {r['parse_median_ms']} ms | {r['parse_p99_ms']} ms | "
              f"{r['check_median_ms']} ms | {r['check_p99_ms']} ms | {r['median_ratio']}x | {r['p99_ratio']}x |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=5000)
    parser.add_argument("--notebooks", type=int, default=5000, help="synthetic notebooks for the bulk scan")
    parser.add_argument("--real", type=Path, help="a directory of real notebooks for a second bulk scan, e.g. the "
                        "ordinary reference set: eval/materialise.py --label ordinary --data artifacts/real-notebooks")
    parser.add_argument("--semgrep-notebooks", type=int, default=300)
    parser.add_argument("--semgrep-timeout", type=float, default=3600,
                        help="stop semgrep after this long; its throughput is then reported as an upper bound")
    parser.add_argument("--semgrep", default=shutil.which("semgrep") or ("/tmp/semgrep-venv/bin/semgrep" if Path("/tmp/semgrep-venv/bin/semgrep").exists() else None))
    args = parser.parse_args()
    engine = Engine()
    cells = cell_mix(args.cells, seed=7)
    result = {"machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}", "rules": len(engine.rules),
              "rules_version": engine.version}
    result["latency"] = latency(engine, cells)
    if args.real:  # code cells of real notebooks, the parse baseline taken on their Python (python_of)
        result["latency_real"] = latency(engine, real_cells(args.real, args.cells), python_baseline=True)
    result["matchers"] = matcher_choice(engine, cells)
    synthetic = Path(tempfile.mkdtemp(prefix="nbw-synthetic-"))
    try:
        write_notebooks(synthetic, args.notebooks)
        result["bulk"] = [bulk(engine, synthetic, "synthetic", args.semgrep, args.semgrep_notebooks,
                               args.semgrep_timeout)]
    finally:
        shutil.rmtree(synthetic, ignore_errors=True)
    if args.real:
        result["bulk"].append(bulk(engine, args.real, f"real ({args.real})", args.semgrep, args.semgrep_notebooks,
                                   args.semgrep_timeout))
    out = ROOT / "artifacts" / "bench_core.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1))

    print(f"## Core ({result['machine']}, {result['rules']} rules)\n")
    print(f"Per-cell latency, {len(cells)} cells; {result['latency']['prefilter_pass_share']:.1%} pass the prefilter.\n")
    print_latency(result["latency"]["rows"])
    if "latency_real" in result:
        real = result["latency_real"]
        print(f"\nPer-cell latency, {real['rows'][0]['cells']} code cells of the real notebooks ({args.real}); "
              f"{real['prefilter_pass_share']:.1%} pass the prefilter; ast.parse of each cell's Python.\n")
        print_latency(real["rows"])
    print(f"\nMatchers over the same cells (Python re stops after {PYTHON_RE_BUDGET_S:.0f} s):\n\n"
          "| matcher | cells | total | per cell | slowest cell |\n|---|---|---|---|---|")
    for r in result["matchers"]:
        if r["total_ms"] is None:
            print(f"| {r['matcher']} | {r['cells']} | — | — | — |")
        else:
            print(f"| {r['matcher']} | {r['cells']} | {r['total_ms']} ms | {r['per_cell_us']} µs | {r['slowest_cell_ms']} ms |")
    for b in result["bulk"]:
        print(f"\nBulk scan, {b['corpus']} notebooks: {b['notebooks']} notebooks, {b['megabytes']} MB, all cores.\n")
        print("| tool | notebooks | seconds | notebooks/s | MB/s | throughput relative to nbwarden |\n|---|---|---|---|---|---|")
        for r in b["rows"]:
            note = "" if r["rc"] in (0, 1) else " (stopped at its timeout: figures are upper bounds)" \
                if r["upper_bound"] else f" (exit {r['rc']})"
            print(f"| {r['tool']}{note} | {r['notebooks']} | {r['seconds']} | {r['notebooks_per_s']} | {r['mb_per_s']} | "
                  f"{r['speed_vs_nbwarden']}x |")
        if b["sources"]:
            print("\nRepositories: " + ", ".join(b["sources"]))


if __name__ == "__main__":
    main()
