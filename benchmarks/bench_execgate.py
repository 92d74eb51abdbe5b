"""Exec gate benchmark: what the fanotify gate adds to an exec, measured side by side in one run.

    sudo .venv/bin/python benchmarks/bench_execgate.py [--execs 3000] [--rounds 3] [--json out.json]

Needs root and fanotify permission events.  Marks only a tmpfs it mounts itself.  Reports (never
pass/fail):

* plain exec latency (``posix_spawn`` + ``waitpid`` of a copy of ``/usr/bin/true``), gate on with a
  warm cache and with a cold one (a new file every exec), median and p99.  "off" is the same exec from
  a second, unmarked tmpfs, alternated exec by exec with "on" while the gate runs, so that both see
  the same machine; a run with no gate process at all is reported beside them;
* the first-time cost of a 10 MB binary (exec latency off vs first exec with the gate vs second);
* a 1,000 exec/s burst: achieved rate, events, answered, timeouts, overload, longest wait of any
  event (from the gate's own counters), events left unanswered.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def summary(values: list[float]) -> dict:
    return {"n": len(values), "median_us": round(statistics.median(values), 1), "p99_us": round(pct(values, 0.99), 1),
            "max_us": round(max(values), 1)}


def exec_us(path: str) -> float:
    t = time.perf_counter_ns()
    pid = os.posix_spawn(path, [path], {})
    os.waitpid(pid, 0)
    return (time.perf_counter_ns() - t) / 1000


class Gate:
    def __init__(self, mount: Path, tmp: Path, *extra: str) -> None:
        self.stats_file = tmp / f"stats-{time.monotonic_ns()}.json"
        self.proc = subprocess.Popen([sys.executable, "-m", "nbwarden.agent.execgate", "--mount", str(mount),
                                      "--stats-file", str(self.stats_file), *extra], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for line in self.proc.stdout:
            if '"ready"' in line:
                break
        else:
            raise RuntimeError("exec gate did not start")
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()

    def stop(self) -> dict:
        self.proc.terminate()
        self.proc.wait(30)
        return json.loads(self.stats_file.read_text())


def copies(src: Path, d: Path, prefix: str, n: int, pad: int = 0) -> list[str]:
    body = src.read_bytes()
    out = []
    for i in range(n):
        p = d / f"{prefix}{i}"
        p.write_bytes(body + (os.urandom(pad) if pad else b"") + f"\0{prefix}{i}".encode())
        p.chmod(0o755)
        out.append(str(p))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--execs", type=int, default=3000, help="execs per mode per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--burst-seconds", type=float, default=3.0)
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--json")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench_execgate: run as root", file=sys.stderr)
        return 2
    from nbwarden.agent.execgate import GateConfig, available

    ok, why = available()
    if not ok:
        print(f"bench_execgate: exec gate unavailable: {why}", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="nbw-bench-gate-"))
    mount, plain = tmp / "m", tmp / "u"
    for d in (mount, plain):
        d.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2g,mode=1777", "tmpfs", str(d)], check=True)
    results: dict = {"machine": {"cpus": os.cpu_count(), "kernel": platform.release(),
                                 "python": platform.python_version()},
                     "deadline_ms": GateConfig().deadline_ms}
    try:
        true = Path(os.path.realpath(shutil.which("true")))
        warm_exe = copies(true, mount, "true", 1)[0]
        off_exe = copies(true, plain, "true", 1)[0]
        n = args.execs
        modes: dict[str, list[float]] = {"no_gate_process": [], "off": [], "on_warm": [], "off_new_file": [],
                                         "on_cold": []}
        paired: dict[str, list[float]] = {"warm": [], "cold": []}

        def alternate(on_paths, off_paths, on_key, off_key, pair_key):
            for i, (a, b) in enumerate(zip(on_paths, off_paths, strict=True)):
                if i % 2:
                    on, off = exec_us(a), exec_us(b)
                else:
                    off, on = exec_us(b), exec_us(a)
                modes[on_key].append(on)
                modes[off_key].append(off)
                paired[pair_key].append(on - off)

        for r in range(args.rounds):
            cold_off = copies(true, plain, f"off{r}_", n)
            cold_on = copies(true, mount, f"on{r}_", n)
            for _ in range(50):
                exec_us(off_exe)
            modes["no_gate_process"] += [exec_us(warm_exe) for _ in range(n)]
            gate = Gate(mount, tmp)
            for _ in range(50):
                exec_us(warm_exe)
            alternate([warm_exe] * n, [off_exe] * n, "on_warm", "off", "warm")
            results.setdefault("gate_side_warm", []).append(gate.stop())
            gate = Gate(mount, tmp)
            alternate(cold_on, cold_off, "on_cold", "off_new_file", "cold")
            results.setdefault("gate_side_cold", []).append(gate.stop())
            for p in cold_off + cold_on:
                os.unlink(p)
        results["exec"] = {k: summary(v) for k, v in modes.items()}
        e = results["exec"]
        results["added"] = {
            "warm_median_us": round(e["on_warm"]["median_us"] - e["off"]["median_us"], 1),
            "warm_p99_us": round(e["on_warm"]["p99_us"] - e["off"]["p99_us"], 1),
            "warm_median_of_pairs_us": round(statistics.median(paired["warm"]), 1),
            "cold_median_us": round(e["on_cold"]["median_us"] - e["off_new_file"]["median_us"], 1),
            "cold_p99_us": round(e["on_cold"]["p99_us"] - e["off_new_file"]["p99_us"], 1),
            "cold_median_of_pairs_us": round(statistics.median(paired["cold"]), 1),
        }

        # a 10 MB binary: the first exec pays for reading and searching it, the second hits the cache
        big_off = copies(true, mount, "bigoff", 5, pad=10 << 20)
        big_on = copies(true, mount, "bigon", 5, pad=10 << 20)
        off_first = [exec_us(p) for p in big_off]
        gate = Gate(mount, tmp)
        first = [exec_us(p) for p in big_on]
        second = [exec_us(p) for p in big_on]
        gate.stop()
        results["binary_10mb"] = {"size_bytes": os.path.getsize(big_on[0]),
                                  "off_median_us": round(statistics.median(off_first), 1),
                                  "first_exec_median_us": round(statistics.median(first), 1),
                                  "first_exec_max_us": round(max(first), 1),
                                  "second_exec_median_us": round(statistics.median(second), 1)}

        # a 1,000 exec/s burst (10% new files) against a fresh gate; its counters say what every event waited
        total = int(args.rate * args.burst_seconds)
        fresh = copies(true, mount, "burst", total // 10)
        gate = Gate(mount, tmp)
        pids: list[int] = []
        done = threading.Event()

        def reap() -> None:
            reaped = 0
            while reaped < total:
                try:
                    os.waitpid(-1, 0)
                    reaped += 1
                except ChildProcessError:
                    if done.is_set():
                        break
                    time.sleep(0.001)

        reaper = threading.Thread(target=reap, daemon=True)
        reaper.start()
        t0 = time.perf_counter()
        for i in range(total):
            target = t0 + i / args.rate
            delay = target - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            path = fresh[i // 10] if i % 10 == 0 else warm_exe
            pids.append(os.posix_spawn(path, [path], {}))
        spawned_s = time.perf_counter() - t0
        done.set()
        reaper.join(60)
        elapsed = time.perf_counter() - t0
        stats = gate.stop()
        results["burst_gate_side"] = stats
        results["burst"] = {"execs": total, "target_rate": args.rate, "achieved_rate": round(total / spawned_s),
                            "all_exited_s": round(elapsed, 2), "events": stats["events"], "answered": stats["answered"],
                            "unanswered": stats["events"] - stats["answered"], "pending_at_exit": stats["pending"],
                            "timeouts": stats["timeouts"], "overload": stats["overload"],
                            "max_wait_ms": round(stats["max_wait_us"] / 1000, 2),
                            "wait_p99_us": stats["wait_p99_us"],
                            "checks": stats["checks"], "cache_hits": stats["cache_hits"]}
    finally:
        for d in (mount, plain):
            subprocess.run(["umount", "-l", str(d)])
        shutil.rmtree(tmp, ignore_errors=True)

    e = results["exec"]
    print(f"exec latency (posix_spawn+waitpid of /usr/bin/true copies on a marked tmpfs), {args.rounds} rounds x {n}")
    print(f"{'mode':<16}{'median µs':>12}{'p99 µs':>12}{'max µs':>12}")
    for k in ("no_gate_process", "off", "on_warm", "off_new_file", "on_cold"):
        print(f"{k:<16}{e[k]['median_us']:>12}{e[k]['p99_us']:>12}{e[k]['max_us']:>12}")
    a = results["added"]
    print(f"added by the gate: warm median {a['warm_median_us']} µs (median of pairs {a['warm_median_of_pairs_us']}),"
          f" p99 {a['warm_p99_us']} µs; cold median {a['cold_median_us']} µs (pairs {a['cold_median_of_pairs_us']}),"
          f" p99 {a['cold_p99_us']} µs")
    for kind in ("warm", "cold"):
        rounds = results[f"gate_side_{kind}"]
        print(f"gate side, {kind}: event held p50 {[r['wait_p50_us'] for r in rounds]} µs, "
              f"p99 {[r['wait_p99_us'] for r in rounds]} µs, max {[r['wait_max_us'] for r in rounds]} µs "
              f"(per round); timeouts {sum(r['timeouts'] for r in rounds)}")
    b = results["binary_10mb"]
    print(f"10 MB binary: off {b['off_median_us']} µs, first exec {b['first_exec_median_us']} µs "
          f"(max {b['first_exec_max_us']}), second {b['second_exec_median_us']} µs")
    u = results["burst"]
    print(f"burst: {u['execs']} execs at {u['achieved_rate']}/s: events {u['events']}, answered {u['answered']}, "
          f"unanswered {u['unanswered']}, timeouts {u['timeouts']}, overload {u['overload']}, "
          f"longest wait {u['max_wait_ms']} ms (deadline {results['deadline_ms']} ms)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
