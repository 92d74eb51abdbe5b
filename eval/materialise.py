#!/usr/bin/env python3
"""Bring the reference set's files into ``eval/data/`` (ignored by git).

The references (``eval/refs/*.tsv``: repo, path, commit, label, category,
reason) name other people's public files.  Those files never enter a commit;
this script copies each one, at its recorded commit, from the first source
that has it:

1. a local git snapshot under ``--mirrors`` (default ``/work/.mirror``, laid
   out as ``owner+name/repo``, which is how this workplace's ``fetch`` leaves
   them), or any bare or normal clone found at ``MIRRORS/owner+name``;
2. with ``--network``, a blobless clone from GitHub into ``eval/.cache/``.

Files land at ``eval/data/<owner>+<name>/<commit[:12]>/<path>``, so two
commits of one repository never collide.  Already materialised files are
skipped.  The exit status is 1 when any reference could not be found.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = ("repo", "path", "commit", "label", "category", "reason")


def read_refs(refs_dir: Path) -> list[dict[str, str]]:
    """Every row of every ``*.tsv`` under ``refs_dir``, with the file it came from."""
    rows = []
    for tsv in sorted(refs_dir.glob("*.tsv")):
        with tsv.open(newline="", encoding="utf-8") as handle:
            for number, row in enumerate(csv.reader(handle, delimiter="\t"), 1):
                if not row or row[0].startswith("#") or row[0] == "repo":
                    continue
                if len(row) != len(COLUMNS):
                    raise SystemExit(f"{tsv}:{number}: expected {len(COLUMNS)} tab-separated columns, got {len(row)}")
                rows.append(dict(zip(COLUMNS, row, strict=True), source=f"{tsv.name}:{number}"))
    return rows


def data_path(data_dir: Path, row: dict[str, str]) -> Path:
    return data_dir / row["repo"].replace("/", "+") / row["commit"][:12] / row["path"]


def _git_dirs(mirrors: Path, repo: str) -> list[Path]:
    base = mirrors / repo.replace("/", "+")
    return [d for d in (base / "repo", base / "repo" / ".git", base, base / ".git") if (d / "objects").is_dir()]


def _show(git_dir: Path, commit: str, path: str) -> bytes | None:
    result = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{commit}:{path}"],
                            capture_output=True, check=False)
    return result.stdout if result.returncode == 0 else None


def _clone(cache: Path, repo: str) -> Path | None:
    target = cache / repo.replace("/", "+")
    if not (target / "objects").is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(["git", "clone", "--bare", "--filter=blob:none", "--quiet",
                                 f"https://github.com/{repo}.git", str(target)], check=False)
        if result.returncode != 0:
            return None
    return target


def materialise(rows: list[dict[str, str]], data_dir: Path, mirrors: Path, network: bool) -> list[dict[str, str]]:
    """Copy each referenced file into ``data_dir``; return the rows that could not be found."""
    missing = []
    cache = HERE / ".cache"
    for row in rows:
        target = data_path(data_dir, row)
        if target.exists():
            continue
        content = None
        for git_dir in _git_dirs(mirrors, row["repo"]):
            content = _show(git_dir, row["commit"], row["path"])
            if content is not None:
                break
        if content is None and network:
            clone = _clone(cache, row["repo"])
            if clone is not None:
                subprocess.run(["git", "--git-dir", str(clone), "fetch", "--quiet", "origin", row["commit"]],
                               check=False, capture_output=True)
                content = _show(clone, row["commit"], row["path"])
        if content is None:
            missing.append(row)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--refs", type=Path, default=HERE / "refs", help="directory of *.tsv references")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="where the files go (ignored by git)")
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"), help="local git snapshots")
    parser.add_argument("--network", action="store_true", help="clone from GitHub what no snapshot has")
    parser.add_argument("--label", action="append", choices=["prohibited", "benign", "ordinary"],
                        help="only references with this label (repeatable; default: all)")
    args = parser.parse_args(argv)
    rows = [row for row in read_refs(args.refs) if not args.label or row["label"] in args.label]
    missing = materialise(rows, args.data, args.mirrors, args.network)
    for row in missing:
        print(f"missing: {row['repo']} {row['commit'][:12]} {row['path']} ({row['source']})", file=sys.stderr)
    print(f"{len(rows) - len(missing)} of {len(rows)} references in {args.data}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
