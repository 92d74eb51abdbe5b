"""Hub costs, measured side by side in one run (no pass/fail).

* the spawn check (``spawn_refusal``: restriction + rolling-window quota) against a bare
  ``Ledger.status`` call, with a realistic usage history;
* one usage-sampler pass over every process of this machine;
* one linked-account pass (``find_links``) over a week of logins and cells.

    .venv/bin/python benchmarks/bench_hub.py [--users 200] [--cells 20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from nbwarden.hub import hooks
from nbwarden.hub.linking import find_links
from nbwarden.hub.models import HubStore
from nbwarden.hub.quotas import UsageSampler
from nbwarden.ledger import Ledger


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(name: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"{name:<44} median {statistics.median(ms):8.3f} ms   p99 {p99:8.3f} ms   (n={len(ms)})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--cells", type=int, default=20)
    parser.add_argument("--samples", type=int, default=2880, help="usage rows per user in the window (30 s for 24 h)")
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'ledger.sqlite'}"
        ledger = Ledger(url)
        store = HubStore(ledger)
        hooks.SETTINGS["db_url"] = url
        now = time.time()
        for i in range(args.samples):
            store.add_usage({"heavy": (rng.uniform(0, 10), 0.0)}, now=now - 86400 + i * 86400 / args.samples)
        ledger.restrict("banned", "suspend", hours=24, reason="bench")
        status = timed(lambda: ledger.status("heavy"), 300)
        spawn = timed(lambda: hooks.spawn_refusal("heavy", ["free"]), 300)
        refused = timed(lambda: hooks.spawn_refusal("banned", ["free"]), 300)
        print(f"spawn check, {args.samples} usage rows in the window (SQLite)")
        print(summary("Ledger.status (baseline)", status))
        print(summary("spawn_refusal, allowed user", spawn))
        print(summary("spawn_refusal, suspended user", refused))
        print(f"{'ratio spawn_refusal / Ledger.status':<44} {statistics.median(spawn) / statistics.median(status):.1f}x")

        sampler = UsageSampler(gpu=False)
        sampler.sample()
        passes = timed(sampler.sample, 20)
        import psutil

        print(f"\nusage sampler over {len(psutil.pids())} processes")
        print(summary("UsageSampler.sample", passes))

        popular = [f"tutorial cell {i}" for i in range(10)]
        week = now - 6 * 86400
        for u in range(args.users):
            user = f"user{u}"
            store.add_login(user, f"10.0.{u % 7}.1", f"browser {u % 5}", now=week + rng.uniform(0, 5 * 86400))
            cells = popular[: rng.randint(0, 10)] + [f"own work {u} {c}" for c in range(args.cells)]
            for c, code in enumerate(cells):
                ledger.record_decision(user=user, action="allow", code_hash=str(hash(code)),
                                       now=week + rng.uniform(0, 5 * 86400) + c)
        links = timed(lambda: find_links(store, now=now), 5)
        print(f"\nlinking over {args.users} users, {args.users * args.cells} own cells + a shared tutorial")
        print(summary("find_links", links))
        print(f"{'cases found among unrelated users':<44} {len(find_links(store, now=now))}")
        ledger.close()


if __name__ == "__main__":
    main()
