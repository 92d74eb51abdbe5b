#!/usr/bin/env python3
"""Bring the reference set's files into ``eval/data/`` (ignored by git).

The references (``eval/refs/*.tsv``: repo, path, commit, label, category,
reason; read by :mod:`nbwarden.refset`) name other people's public files.  Those files never enter a commit;
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
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the references are read by the package, installed or not

from nbwarden.refset import Ref, RefError, read_refs  # noqa: E402


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


def materialise(refs: list[Ref], data_dir: Path, mirrors: Path, network: bool) -> list[Ref]:
    """Copy each referenced file into ``data_dir``; return the references that could not be found."""
    missing = []
    cache = HERE / ".cache"
    for ref in refs:
        target = ref.data_path(data_dir)
        if target.exists():
            continue
        content = None
        for git_dir in _git_dirs(mirrors, ref.repo):
            content = _show(git_dir, ref.commit, ref.path)
            if content is not None:
                break
        if content is None and network:
            clone = _clone(cache, ref.repo)
            if clone is not None:
                subprocess.run(["git", "--git-dir", str(clone), "fetch", "--quiet", "origin", ref.commit],
                               check=False, capture_output=True)
                content = _show(clone, ref.commit, ref.path)
        if content is None:
            missing.append(ref)
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
    try:
        refs = [ref for ref in read_refs(args.refs) if not args.label or ref.label in args.label]
    except RefError as exc:
        print(f"materialise: {exc}", file=sys.stderr)
        return 2
    missing = materialise(refs, args.data, args.mirrors, args.network)
    for ref in missing:
        print(f"missing: {ref.repo} {ref.commit[:12]} {ref.path} ({ref.source})", file=sys.stderr)
    print(f"{len(refs) - len(missing)} of {len(refs)} references in {args.data}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
