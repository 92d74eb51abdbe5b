"""The real-world reference set: references to public files, their labels, the dev/test split, and scoring.

``eval/refs/*.tsv`` lists files by repository, path and commit with a label
(``prohibited``, ``benign`` for hard negatives, ``ordinary`` for the
base-rate set), a category and a reason; ``eval/LABELS.md`` is the policy.
The files are other people's code and live only in an ignored directory
(``eval/materialise.py`` puts them at ``DATA/owner+name/commit12/path``).

The split is by repository, so that the ``test`` half measures repositories
the rules were never tuned on: a hash of :data:`SPLIT_SEED` and the
repository name, fixed once, stable when references are added.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COLUMNS = ("repo", "path", "commit", "label", "category", "reason")
LABELS = ("prohibited", "benign", "ordinary")
SPLIT_SEED = 888155  # drawn once (secrets.randbelow(10**6)) on 2026-12-03; never change it
HALVES = ("dev", "test")
ACTION_RANK = {"allow": 0, "warn": 1, "block": 2}


class RefError(ValueError):
    """A reference file that does not follow the layout; the message names the file and line."""


@dataclass(slots=True)
class Ref:
    repo: str
    path: str
    commit: str
    label: str
    category: str
    reason: str
    source: str  # file:line of the row

    @property
    def half(self) -> str:
        return split_of(self.repo)

    def data_path(self, data_dir: Path) -> Path:
        return data_dir / self.repo.replace("/", "+") / self.commit[:12] / self.path


def split_of(repo: str, seed: int = SPLIT_SEED) -> str:
    """``dev`` or ``test`` for a repository: every file of a repository is on the same side."""
    digest = hashlib.sha256(f"{seed}:{repo.lower()}".encode()).digest()
    return HALVES[digest[0] & 1]


def read_refs(refs_dir: Path) -> list[Ref]:
    """Every reference under ``refs_dir``, each (repo, path) once.

    A file listed twice keeps its strongest label (prohibited, then benign,
    then ordinary: a hard negative that also sits in a course repository is
    measured as a hard negative); a file labelled prohibited in one row and
    not in another is an error.
    """
    refs: dict[tuple[str, str], Ref] = {}
    for tsv in sorted(Path(refs_dir).glob("*.tsv")):
        with tsv.open(newline="", encoding="utf-8") as handle:
            for number, row in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
                if not row or row[0].startswith("#") or row[0] == "repo":
                    continue
                if len(row) != len(COLUMNS):
                    raise RefError(f"{tsv}:{number}: expected {len(COLUMNS)} tab-separated columns, got {len(row)}")
                ref = Ref(*row, source=f"{tsv.name}:{number}")
                if ref.label not in LABELS:
                    raise RefError(f"{tsv}:{number}: unknown label {ref.label!r}")
                key = (ref.repo, ref.path)
                known = refs.get(key)
                if known is None or LABELS.index(ref.label) < LABELS.index(known.label):
                    if known is not None and "prohibited" in (known.label, ref.label):
                        raise RefError(f"{ref.source} and {known.source}: one file labelled both "
                                       f"{known.label} and {ref.label}")
                    refs[key] = ref
                elif "prohibited" in (known.label, ref.label) and known.label != ref.label:
                    raise RefError(f"{ref.source} and {known.source}: one file labelled both {known.label} and "
                                   f"{ref.label}")
    return list(refs.values())


def score(refs: list[Ref], results: dict[str, dict[str, Any] | None], threshold: str = "warn") -> dict[str, Any]:
    """Recall and false positives per half and category.

    ``results`` maps each reference's source to its scan result (the
    ``FileResult.to_dict()`` shape; None when the file was not materialised).
    A prohibited file counts as found when its verdict reaches ``threshold``;
    ``category_right`` counts the found ones whose top category is the label.
    """
    out: dict[str, Any] = {"threshold": threshold, "halves": {}}
    for half in (*HALVES, "all"):
        chosen = [r for r in refs if half == "all" or r.half == half]
        block: dict[str, Any] = {"prohibited": {}, "benign": {}, "ordinary": Counter(), "misses": [],
                                 "false_positives": [], "missing_files": 0}
        for ref in chosen:
            result = results.get(ref.source)
            if result is None:
                block["missing_files"] += 1
                continue
            verdict = result.get("verdict") or {}
            action = verdict.get("action", "allow")
            flagged = ACTION_RANK[action] >= ACTION_RANK[threshold]
            top = verdict.get("category")
            if ref.label == "prohibited":
                row = block["prohibited"].setdefault(ref.category, Counter())
                row["files"] += 1
                row["found"] += flagged
                row["category_right"] += flagged and top == ref.category
                if not flagged:
                    block["misses"].append({"ref": ref.source, "repo": ref.repo, "path": ref.path,
                                            "category": ref.category, "error": result.get("error"),
                                            "notes": verdict.get("notes", [])[:3]})
            elif ref.label == "benign":
                row = block["benign"].setdefault(ref.category, Counter())
                row["files"] += 1
                row["flagged"] += flagged
                if flagged:
                    block["false_positives"].append({"ref": ref.source, "repo": ref.repo, "path": ref.path,
                                                     "looks_like": ref.category, "action": action,
                                                     "predicted": top, "rules": _rules(result)})
            else:
                row = block["ordinary"]
                row["files"] += 1
                row["blocked"] += action == "block"
                row["warned"] += action == "warn"
                if action in ("warn", "block"):
                    block["false_positives"].append({"ref": ref.source, "repo": ref.repo, "path": ref.path,
                                                     "looks_like": "ordinary", "action": action,
                                                     "predicted": top, "rules": _rules(result)})
        prohibited = sum(block["prohibited"].values(), Counter())
        benign = sum(block["benign"].values(), Counter())
        block["totals"] = {
            "prohibited": prohibited["files"], "found": prohibited["found"],
            "recall": _ratio(prohibited["found"], prohibited["files"]),
            "category_right": _ratio(prohibited["category_right"], prohibited["found"]),
            "benign": benign["files"], "benign_flagged": benign["flagged"],
            "benign_fp_rate": _ratio(benign["flagged"], benign["files"]),
            "ordinary": block["ordinary"]["files"], "ordinary_blocked": block["ordinary"]["blocked"],
            "ordinary_warned": block["ordinary"]["warned"],
        }
        block["prohibited"] = {k: dict(v, recall=_ratio(v["found"], v["files"])) for k, v in
                               sorted(block["prohibited"].items())}
        block["benign"] = {k: dict(v) for k, v in sorted(block["benign"].items())}
        block["ordinary"] = dict(block["ordinary"])
        out["halves"][half] = block
    return out


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def _rules(result: dict[str, Any]) -> list[str]:
    """The acting rules of a scan result (``FileResult.to_dict()`` keeps the findings beside the verdict)."""
    findings = result.get("findings") or (result.get("verdict") or {}).get("findings", [])
    return sorted({f["rule"] for f in findings if f["severity"] != "audit"})


def markdown(report: dict[str, Any], show: int = 20) -> str:
    """The report as the tables of EVALUATION.md."""
    lines: list[str] = []
    halves = report["halves"]
    lines += ["| half | prohibited | found | recall | category right | hard negatives | flagged | FP rate | "
              "ordinary | blocked | warned |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for half in (*HALVES, "all"):
        t = halves[half]["totals"]
        lines.append(f"| {half} | {t['prohibited']} | {t['found']} | {_pct(t['recall'])} | {_pct(t['category_right'])} "
                     f"| {t['benign']} | {t['benign_flagged']} | {_pct(t['benign_fp_rate'])} | {t['ordinary']} | "
                     f"{t['ordinary_blocked']} | {t['ordinary_warned']} |")
    categories = sorted({c for h in halves.values() for c in (*h["prohibited"], *h["benign"])})
    lines += ["", "| category | dev: found / files | dev recall | test: found / files | test recall | "
              "dev: category right | test: category right | hard negatives flagged (dev / test) |",
              "|---|---|---|---|---|---|---|---|"]
    for category in categories:
        cells = []
        for half in HALVES:
            row = halves[half]["prohibited"].get(category, {})
            cells += [f"{row.get('found', 0)} / {row.get('files', 0)}", _pct(row.get("recall"))]
        right = [f"{halves[h]['prohibited'].get(category, {}).get('category_right', 0)} / "
                 f"{halves[h]['prohibited'].get(category, {}).get('found', 0)}" for h in HALVES]
        negatives = " / ".join(f"{halves[h]['benign'].get(category, {}).get('flagged', 0)} of "
                               f"{halves[h]['benign'].get(category, {}).get('files', 0)}" for h in HALVES)
        lines.append(f"| {category} | {' | '.join(cells)} | {right[0]} | {right[1]} | {negatives} |")
    for half in HALVES:
        for key, title in (("misses", "missed"), ("false_positives", "false positives")):
            items = halves[half][key]
            if isinstance(items, str):
                lines += ["", f"{half}, {title}: {items}"]
                continue
            lines += ["", f"{half}, {title}: {len(items)}"]
            for item in items[:show]:
                detail = item.get("rules") or item.get("error") or "; ".join(item.get("notes", []))
                lines.append(f"- `{item['repo']}` `{item['path']}` ({item.get('category') or item.get('looks_like')}"
                             f"{', ' + item['action'] if 'action' in item else ''}) {detail or ''}".rstrip())
    lines += ["", f"threshold: {report['threshold']}; rules {report.get('rules_version', '')}; split seed "
              f"{SPLIT_SEED} (by repository)"]
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
