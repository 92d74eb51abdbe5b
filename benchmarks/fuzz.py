"""Mutation fuzzing of the engine's public checks, seeded from real cells.

``make fuzz`` runs this for a set time (``--seconds``, default 180).  Each
round takes a real cell (the labelled corpus, the rule packs' inline
examples, standard-library code cut into cells, and any notebooks under
``--seeds``, such as the materialised reference set in ``eval/data``),
mutates it the way broken or hostile input looks (brackets, quotes, control
characters, pieces of other cells, truncation, odd URLs, deep nesting,
encodings) and hands it to ``check_code``, ``check_command``,
``check_notebook`` and ``check_file``.  The engine must never raise, and no
step of it should fail either: an exception, or a verdict whose ``error``
says a step failed and the text-level check stood in, is a crash, saved
under ``--out`` with its traceback and input, and counted.  The report gives inputs tried, crashes, distinct crash
signatures and the slowest input.

This is a development tool, not a test: its figures go into BENCHMARKS.md,
and every crash it finds becomes a regression test in ``tests/test_fuzz.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shlex
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import NOTEBOOK_IDIOMS, bad_cells, notebook, stdlib_cells  # noqa: E402
from nbwarden.engine import Engine  # noqa: E402
from nbwarden.sources import cells_of, parse_notebook_text  # noqa: E402

# Fragments that broke parsers before, or that parsers treat specially.
NASTY = ["https://]x", "s://[::-1]", "http://[", "http://[::1", "https://[fe80::1%eth0]/", "git@:", "git+",
         "ftp://%", "http://a:b@c:99999/", "//[", "\\", "\\x", "\\N{", "\\u12", "%%", "%%bash\n", "!", "!{",
         "$(", "${", "`", "<<EOF", "'", '"', "'''", '"""', "#", "\x00", "\x1b[31m", "\r", "\t", "\x0c",
         "\ud800", "\ufeff", "\u202e", "é", "🙂", "[", "]", "(", ")", "{", "}", "\\\n", ";", "&&", "|", ">",
         "b64decode('", "bytes.fromhex('", "exec(", "eval(", "chr(", "[::-1]", "__import__(", "f'{", "{x!r:>{w}}",
         "0x", "1e999", "9" * 400, "lambda:", "\n\n\n", " " * 300, "stratum+tcp://", "xmrig ", "!sudo ",
         "%run ", "%%writefile x.sh\n", "get_ipython().system(", "subprocess.run([", "os.system('"]


class InternalFailure(Exception):
    """A step of the engine raised; the engine degraded to the text-level check and said so in the verdict."""


def seed_cells(extra: list[Path]) -> list[str]:
    """Real cells: the labelled corpus, pack examples, stdlib code, idioms and ``extra`` notebooks."""
    from nbwarden import rules

    cells = bad_cells() + list(NOTEBOOK_IDIOMS) + stdlib_cells(limit_bytes=4000)[:1500]
    for rule in rules.load().rules.values():
        for key in ("match", "no_match"):
            for example in rule.examples.get(key, []):
                if isinstance(example, str):
                    cells.append(example)
                elif isinstance(example, dict) and isinstance(example.get("code"), str):
                    cells.append(example["code"])
    for path in extra:
        for nb in sorted(path.rglob("*.ipynb"))[:3000]:
            try:
                parsed = parse_notebook_text(nb.read_text(encoding="utf-8", errors="replace"))
                found, _ = cells_of(parsed)
            except Exception:  # noqa: BLE001 - a seed that does not load is just not a seed
                continue
            cells += [src for kind, src in found if kind == "code" and 0 < len(src) < 20000]
    return [c for c in cells if c]


MAX_MUTATED = 1 << 22  # characters of one mutated input (4 MiB: past every size limit of the engine)


class Mutator:
    """Small random edits of text, a few at a time."""

    def __init__(self, rng: random.Random, pool: list[str]):
        self.rng = rng
        self.pool = pool

    def mutate(self, text: str) -> str:
        for _ in range(self.rng.choice([1, 1, 2, 3, 5, 8])):
            # (a line repeated 50 times, then again, grows without bound: inputs stay under MAX_MUTATED)
            text = self.rng.choice(self.edits)(self, text)[:MAX_MUTATED]
        return text

    def _pos(self, text: str) -> int:
        return self.rng.randint(0, len(text))

    def insert_nasty(self, text: str) -> str:
        at = self._pos(text)
        return text[:at] + self.rng.choice(NASTY) + text[at:]

    def insert_byte(self, text: str) -> str:
        at = self._pos(text)
        return text[:at] + chr(self.rng.choice([self.rng.randint(0, 31), self.rng.randint(127, 0x2FF),
                                               self.rng.randint(0xD800, 0xDFFF), self.rng.randint(0, 0x10FFFF)])) + text[at:]

    def delete(self, text: str) -> str:
        if not text:
            return text
        at = self._pos(text)
        return text[:at] + text[at + self.rng.randint(1, 40):]

    def truncate(self, text: str) -> str:
        return text[: self._pos(text)]

    def splice(self, text: str) -> str:
        other = self.rng.choice(self.pool)
        a = self.rng.randint(0, len(other))
        piece = other[a : a + self.rng.randint(1, 400)]
        at = self._pos(text)
        return text[:at] + piece + text[at:]

    def duplicate_line(self, text: str) -> str:
        lines = text.split("\n")
        i = self.rng.randrange(len(lines))
        lines.insert(i, lines[i] * self.rng.choice([1, 2, 50]))
        return "\n".join(lines)

    def shell_line(self, text: str) -> str:
        lines = text.split("\n")
        i = self.rng.randrange(len(lines))
        lines[i] = self.rng.choice(["!", "%", "%%bash\n", "x = !", "%sx ", "!sudo "]) + lines[i].lstrip()
        return "\n".join(lines)

    def nest(self, text: str) -> str:
        at = self._pos(text)
        depth = self.rng.choice([10, 100, 1000, 5000])
        opener = self.rng.choice(["(", "[", "{", "f'{", "-", "not ", "lambda: "])
        closer = {"(": ")", "[": "]", "{": "}", "f'{": "}'"}.get(opener, "")
        return text[:at] + opener * depth + "1" + closer * depth + text[at:]

    def swap_case(self, text: str) -> str:
        if not text:
            return text
        a = self._pos(text)
        b = min(len(text), a + 60)
        return text[:a] + text[a:b].swapcase() + text[b:]

    edits = [insert_nasty, insert_nasty, insert_byte, delete, truncate, splice, splice, duplicate_line,
             shell_line, nest, swap_case]


def _argv(text: str, rng: random.Random) -> list[str]:
    line = rng.choice(text.split("\n")) if text else ""
    try:
        argv = shlex.split(line.lstrip("!%")) if len(line) < 16384 else line.split()
    except ValueError:
        argv = line.split()
    return argv or [line]


def _broken_json(nb_text: str, rng: random.Random, mutator: Mutator) -> str:
    roll = rng.random()
    if roll < 0.3:
        return nb_text[: rng.randint(0, len(nb_text))]
    if roll < 0.6:
        return mutator.mutate(nb_text)
    data = json.loads(nb_text)
    choice = rng.choice(["cells-not-list", "source-int", "deep", "no-type", "outputs"])
    if choice == "cells-not-list":
        data["cells"] = {"0": data["cells"]}
    elif choice == "source-int" and data["cells"]:
        data["cells"][0]["source"] = rng.choice([3, None, [1, 2], {"a": "b"}, ["x", None]])
    elif choice == "deep":
        deep: object = "x"
        for _ in range(rng.choice([50, 500, 5000])):
            deep = [deep]
        data["metadata"]["deep"] = deep
    elif choice == "no-type" and data["cells"]:
        data["cells"][0].pop("cell_type", None)
    else:
        data["cells"].append({"cell_type": "code", "source": "!ls", "outputs": [{"text": "\x00" * 100}]})
    return json.dumps(data)


def _save(stem: Path, target: str, payload: object, seconds: float | None, **extra: str) -> None:
    """The input exactly as it was given (``.bin`` bytes, ``.txt`` text, ``.argv.json``), and a description, so
    that the case can be replayed with ``benchmarks/fuzz.py --replay STEM.json``."""
    if isinstance(payload, bytes):
        data, suffix = payload, ".bin"
    elif isinstance(payload, str):
        data, suffix = payload.encode("utf-8", "surrogatepass"), ".txt"
    else:
        data, suffix = json.dumps(payload).encode(), ".argv.json"
    stem.with_suffix(suffix).write_bytes(data)
    stem.with_suffix(".json").write_text(json.dumps({"target": target, "seconds": seconds, "input": stem.name + suffix,
                                                     **extra}, indent=1))


def replay(description: Path) -> dict:
    """Run one saved case again and time it."""
    info = json.loads(description.read_text())
    raw = (description.parent / info["input"]).read_bytes()
    payload: object = raw if info["input"].endswith(".bin") else json.loads(raw) \
        if info["input"].endswith(".argv.json") else raw.decode("utf-8", "surrogatepass")
    engine = Engine()
    start = time.perf_counter()
    target = info["target"]
    if target == "command":
        verdict = engine.check_command(payload)
    elif target == "notebook":
        verdict = engine.check_notebook(payload)
    elif target == "file":
        verdict = engine.check_file(payload)
    else:
        verdict = engine.check_code(payload, "shell" if target == "shell" else "cell")
    return {"case": str(description), "seconds": round(time.perf_counter() - start, 3), "action": verdict.action,
            "error": verdict.error}


def run(seconds: float, seed: int, seeds_dirs: list[Path], out: Path, max_crashes: int = 200,
        slow_s: float = 1.0) -> dict:
    engine = Engine()
    rng = random.Random(seed)
    pool = seed_cells(seeds_dirs)
    mutator = Mutator(rng, pool)
    out.mkdir(parents=True, exist_ok=True)
    tried = 0
    crashes: dict[str, dict] = {}
    crash_count = 0
    slowest = (0.0, "", "")
    slow_saved = 0
    per_target: dict[str, int] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        cell = mutator.mutate(rng.choice(pool))
        target = rng.choice(["code", "code", "code", "shell", "command", "notebook", "notebook", "file"])
        per_target[target] = per_target.get(target, 0) + 1
        payload: object = cell
        if target == "notebook":
            nb_text = json.dumps(notebook(rng.sample(pool, 3) + [cell]))
            try:
                payload = _broken_json(nb_text, rng, mutator) if rng.random() < 0.4 else nb_text
            except RecursionError:  # the mutation nested deeper than json.dumps goes: keep the plain one
                payload = nb_text
            if rng.random() < 0.5:
                payload = payload.encode("utf-8", "surrogatepass")
        elif target == "command":
            payload = _argv(cell, rng)  # prepared outside the timing: shlex itself is slow on giant lines
        elif target == "file":
            payload = rng.choice([b"#!/bin/sh\n", b"#!/usr/bin/env python3\n", b"\x7fELF\x02\x01\x01", b""]) \
                + cell.encode("utf-8", "surrogatepass")
        start = time.perf_counter()
        try:
            if target == "code":
                verdict = engine.check_code(cell, rng.choice(["cell", "cell", "python", "markdown", "text"]))
            elif target == "shell":
                verdict = engine.check_code(cell, "shell")
            elif target == "command":
                verdict = engine.check_command(payload, exe=rng.choice([None, "/usr/bin/python3", payload[0]]))
            elif target == "notebook":
                verdict = engine.check_notebook(payload)
            else:
                verdict = engine.check_file(payload, name=rng.choice(["run", "xmrig", "a b", "", None]))
            if "engine failure" in (verdict.error or ""):
                # the engine caught it and fell back to the text-level check: still a bug to find
                raise InternalFailure(verdict.error)
        except Exception as exc:  # noqa: BLE001 - that is what we are looking for
            crash_count += 1
            if isinstance(exc, InternalFailure):  # "engine failure in STEP: TYPE: message at FILE:LINE"
                signature = str(exc).split(": ", 1)[-1].split(": ", 1)[0] + " at " + str(exc).rsplit(" at ", 1)[-1]
            else:
                frames = traceback.extract_tb(exc.__traceback__)
                where = frames[-1] if frames else None
                signature = f"{type(exc).__name__} at {Path(where.filename).name}:{where.lineno}" if where \
                    else type(exc).__name__
            if signature not in crashes and len(crashes) < max_crashes:
                name = f"crash-{hashlib.sha256(signature.encode()).hexdigest()[:10]}"
                _save(out / name, target, payload, None, signature=signature, traceback=traceback.format_exc())
                crashes[signature] = {"target": target, "file": f"{name}.json"}
        elapsed = time.perf_counter() - start
        tried += 1
        if elapsed > slow_s and slow_saved < 20:
            slow_saved += 1
            _save(out / f"slow-{slow_saved:02d}", target, payload, round(elapsed, 3))
        if elapsed > slowest[0]:
            slowest = (elapsed, target, repr(payload)[:300])
    return {"seconds": seconds, "seed": seed, "seed_cells": len(pool), "inputs": tried, "per_target": per_target,
            "crashes": crash_count, "distinct_crashes": crashes,
            "slowest_s": round(slowest[0], 4), "slowest_target": slowest[1], "slowest_input": slowest[2]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", type=Path, action="append", default=[], help="directories of real notebooks")
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "fuzz")
    parser.add_argument("--replay", type=Path, action="append", default=[], help="run saved cases (their .json) again")
    args = parser.parse_args(argv)
    if args.replay:
        for case in args.replay:
            print(json.dumps(replay(case)))
        return 0
    report = run(args.seconds, args.seed, args.seeds, args.out)
    print(json.dumps(report, indent=1))
    return 1 if report["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
