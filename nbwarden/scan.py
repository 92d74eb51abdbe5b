"""Bulk scanning of files and directories, and the reports it writes.

Files are checked in worker processes (one engine per process, built once),
so a directory of ten thousand notebooks uses every core.  Each file gets
either a verdict or an error; one bad file never stops the scan.
"""

from __future__ import annotations

import glob
import json
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .embedded import kind_of_name
from .engine import Engine, Verdict
from .rules import SEVERITY_RANK
from .sources import CODE_SUFFIXES, OTHER_CODE_SUFFIXES, SNIFFED_SUFFIXES, SourceError, sniff_file, units_of_file

SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".ipynb_checkpoints", ".venv", "venv",
             ".tox", ".mypy_cache", ".pytest_cache", ".ruff_cache"}


@dataclass(slots=True)
class FileResult:
    path: str
    verdict: dict[str, Any] | None = None
    error: str | None = None
    size: int = 0

    @property
    def severity(self) -> str:
        if not self.verdict or not self.verdict["findings"]:
            return "none"
        return max((f["severity"] for f in self.verdict["findings"]), key=SEVERITY_RANK.__getitem__)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path}
        if self.error:
            data["error"] = self.error
        if self.verdict is not None:
            data["verdict"] = {k: self.verdict[k] for k in ("action", "category", "confidence")}
            data["findings"] = self.verdict["findings"]
            data["notes"] = self.verdict["notes"]
        return data


class UsageError(ValueError):
    """Bad command-line input (exit code 2)."""


def is_code(path: Path) -> bool:
    """Does a directory walk check this file?  A code suffix (a Go or C flood tool is code too), a file
    whose name says it runs commands (a Dockerfile, a CI pipeline, a compose file, a Procfile), or no telling
    suffix and code inside.

    Only files whose suffix claims nothing (:data:`SNIFFED_SUFFIXES`) are
    opened, and only their first few KB are read, so the walk stays fast.
    """
    suffix = path.suffix.lower()
    return (suffix in CODE_SUFFIXES or suffix in OTHER_CODE_SUFFIXES or kind_of_name(path) is not None
            or (suffix in SNIFFED_SUFFIXES and sniff_file(path) is not None))


def expand(paths: Iterable[str], include_all: bool = False) -> list[Path]:
    """Files named, found under directories (code only, unless ``include_all``), or matched by globs."""
    found: list[Path] = []
    for raw in paths:
        candidates = [Path(p) for p in glob.glob(raw, recursive=True)] if glob.has_magic(raw) else [Path(raw)]
        if not candidates or not all(p.exists() for p in candidates):
            raise UsageError(f"no such file or directory: {raw}")
        for path in candidates:
            if path.is_dir():
                for root, dirs, files in os.walk(path):
                    dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
                    for name in sorted(files):
                        child = Path(root, name)
                        if include_all or is_code(child):
                            found.append(child)
            else:
                found.append(path)
    seen: set[Path] = set()
    return [p for p in found if not (p in seen or seen.add(p))]


_engine: Engine | None = None


def _init_worker(extra_dirs: list[str], disable: list[str]) -> None:
    global _engine
    _engine = Engine(extra_dirs=extra_dirs, disable=disable)


def check_file(path: Path, engine: Engine) -> FileResult:
    """Check one file; every failure becomes an error on the result."""
    result = FileResult(str(path))
    try:
        result.size = path.stat().st_size
        units, notes, problem = units_of_file(path)
        verdict: Verdict = engine.check_units(units, notes)
        result.verdict = verdict.to_dict()
        result.error = problem
    except SourceError as exc:
        result.error = str(exc)
    except (RecursionError, MemoryError) as exc:
        result.error = f"input too complex to check ({type(exc).__name__})"
    except Exception as exc:  # noqa: BLE001 - a scan must survive any single file
        result.error = f"internal error: {type(exc).__name__}: {exc}"
    return result


def _check_batch(paths: list[str]) -> list[FileResult]:
    assert _engine is not None
    return [check_file(Path(p), _engine) for p in paths]


def _batches(paths: list[Path], size: int) -> Iterator[list[str]]:
    for i in range(0, len(paths), size):
        yield [str(p) for p in paths[i : i + size]]


def run(paths: list[Path], *, jobs: int = 0, extra_dirs: list[str] = (), disable: list[str] = (),
        progress: bool = False) -> list[FileResult]:
    """Check all files, in parallel when there are enough of them."""
    jobs = jobs or os.cpu_count() or 1
    results: list[FileResult] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(paths), unit="file", file=sys.stderr, dynamic_ncols=True)
    if jobs == 1 or len(paths) < 8:
        engine = Engine(extra_dirs=extra_dirs, disable=disable)
        for path in paths:
            results.append(check_file(path, engine))
            if bar:
                bar.update(1)
    else:
        batch = max(1, min(64, len(paths) // (jobs * 8) or 1))
        with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(list(extra_dirs), list(disable))) as pool:
            for chunk in pool.map(_check_batch, _batches(paths, batch)):
                results.extend(chunk)
                if bar:
                    bar.update(len(chunk))
    if bar:
        bar.close()
    results.sort(key=lambda r: r.path)
    return results


def summary(results: list[FileResult]) -> dict[str, Any]:
    actions = Counter(r.verdict["action"] for r in results if r.verdict)
    categories = Counter(r.verdict["category"] for r in results if r.verdict and r.verdict["category"])
    return {
        "files": len(results),
        "errors": sum(1 for r in results if r.error and not r.verdict),
        "actions": dict(actions),
        "categories": dict(categories),
        "findings": sum(len(r.verdict["findings"]) for r in results if r.verdict),
        "bytes": sum(r.size for r in results),
    }


def report_json(results: list[FileResult], engine_version: str) -> str:
    return json.dumps({"tool": "nbwarden", "version": __version__, "rules_version": engine_version,
                       "files": [r.to_dict() for r in results], "summary": summary(results)},
                      ensure_ascii=False, indent=1)


def report_text(results: list[FileResult], min_severity: str = "audit") -> str:
    lines: list[str] = []
    for r in results:
        if r.error and not r.verdict:
            lines.append(f"{r.path}: ERROR {r.error}")
            continue
        assert r.verdict is not None
        shown = [f for f in r.verdict["findings"] if SEVERITY_RANK[f["severity"]] >= SEVERITY_RANK[min_severity]]
        if r.error:
            lines.append(f"{r.path}: note: {r.error}")
        if not shown:
            continue
        lines.append(f"{r.path}: {r.verdict['action'].upper()} {r.verdict['category']} "
                     f"(confidence {r.verdict['confidence']:.2f})")
        for f in shown:
            where = f"cell {f['cell']} line {f['line']}" if f["cell"] is not None else f"line {f['line']}"
            lines.append(f"  {f['severity']:<5} {f['rule']} [{f['category']}] {where} ({f['context']}): {f['evidence']}")
    s = summary(results)
    lines.append(f"{s['files']} files, {s['findings']} findings, {s['errors']} errors; "
                 + ", ".join(f"{k}: {v}" for k, v in sorted(s["actions"].items())))
    return "\n".join(lines)


SARIF_LEVEL = {"block": "error", "warn": "warning", "audit": "note"}


def report_sarif(results: list[FileResult], engine: Engine) -> str:
    """SARIF 2.1.0, so CI systems and code hosts can show the findings inline."""
    used = sorted({f["rule"] for r in results if r.verdict for f in r.verdict["findings"]})
    rules = []
    for rid in used:
        rule = engine.rule(rid)
        rules.append({
            "id": rid,
            "shortDescription": {"text": rule.description if rule else rid},
            "helpUri": rule.references[0] if rule and rule.references and rule.references[0].startswith("http") else None,
            "properties": {"category": rule.category if rule else "", "severity": rule.severity if rule else ""},
            "defaultConfiguration": {"level": SARIF_LEVEL.get(rule.severity if rule else "audit", "note")},
        })
    index = {rid: i for i, rid in enumerate(used)}
    out = []
    notifications = []
    for r in results:
        if r.error:
            notifications.append({"level": "error" if not r.verdict else "note", "message": {"text": r.error},
                                  "locations": [{"physicalLocation": {"artifactLocation": {"uri": r.path}}}]})
        for f in (r.verdict or {}).get("findings", []):
            out.append({
                "ruleId": f["rule"], "ruleIndex": index[f["rule"]], "level": SARIF_LEVEL[f["severity"]],
                "message": {"text": f"{f['description']} Evidence: {f['evidence']}"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": r.path},
                                                    "region": {"startLine": max(1, f["line"])}}}],
                "properties": {"cell": f["cell"], "category": f["category"], "context": f["context"]},
            })
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "nbwarden", "version": __version__, "informationUri": "https://github.com/nbwarden/nbwarden",
                                "rules": rules}},
            "results": out,
            "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
        }],
    }
    return json.dumps(doc, indent=1)


def evaluate(directory: Path, engine: Engine, threshold: str = "warn") -> dict[str, Any]:
    """Precision and recall per category over ``bad/<category>/*`` and ``benign/*/*``.

    A file counts as flagged when its verdict reaches ``threshold``; a
    flagged file is a true positive only if the category is right too.
    """
    bad_dir, benign_dir = directory / "bad", directory / "benign"
    if not bad_dir.is_dir() and not benign_dir.is_dir():
        raise UsageError(f"{directory}: expected bad/<category>/ and benign/<group>/ subdirectories")
    labelled: list[tuple[Path, str | None]] = []
    for sub, label in [(d, d.name) for d in sorted(bad_dir.iterdir()) if d.is_dir()] if bad_dir.is_dir() else []:
        labelled += [(p, label) for p in expand([str(sub)], include_all=True)]
    if benign_dir.is_dir():
        labelled += [(p, None) for p in expand([str(benign_dir)], include_all=True)]
    stats: dict[str, Counter] = {}
    mistakes: list[dict[str, Any]] = []
    errors = 0
    for path, label in labelled:
        result = check_file(path, engine)
        predicted = None
        if result.verdict and SEVERITY_RANK[result.severity] >= SEVERITY_RANK[threshold]:
            predicted = result.verdict["category"]
        if result.error and not result.verdict:
            errors += 1
        if label:
            stats.setdefault(label, Counter())["positives"] += 1
        if predicted:
            stats.setdefault(predicted, Counter())
        if label and predicted == label:
            stats[label]["tp"] += 1
            continue
        if not label and not predicted:
            continue
        if label:
            stats[label]["fn"] += 1
        if predicted:
            stats[predicted]["fp"] += 1
            if label is None:
                stats[predicted]["benign_fp"] += 1
        mistakes.append({"path": str(path), "label": label, "predicted": predicted})
    table = {}
    for category, c in sorted(stats.items()):
        tp, fp, fn = c["tp"], c["fp"], c["fn"]
        table[category] = {
            "positives": c["positives"], "tp": tp, "fp": fp, "fn": fn, "benign_fp": c["benign_fp"],
            "precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "recall": round(tp / (tp + fn), 3) if tp + fn else None,
        }
    benign_total = sum(1 for _, label in labelled if label is None)
    benign_flagged = sum(1 for m in mistakes if m["label"] is None)
    return {"categories": table, "files": len(labelled), "errors": errors, "benign": benign_total,
            "benign_flagged": benign_flagged, "mistakes": mistakes, "threshold": threshold}
