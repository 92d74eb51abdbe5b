"""One ledger for a whole cluster: write throughput and the hub's queries at scale, SQLite next to PostgreSQL.

Figures only, no pass/fail.  Two parts, each run on a SQLite file and on a
throwaway PostgreSQL cluster (``tests/pg_support.py``, with ``fsync``,
``full_page_writes`` and ``synchronous_commit`` on, as in production):

1. **Writers.**  1, 4 and 16 forked processes call ``Ledger.record_decision``
   for ``--seconds`` each, with the gate's mix (80 % ``allow`` rows, as with
   ``record_allowed``; 15 % ``audit``; 5 % ``block`` with a strike through the
   default ladder), each process for its own users; then 16 processes that all
   strike the same user (the per-user lock at its worst).  Decisions per second
   over the run, and p50 / p99 latency of one call.
2. **Queries at scale.**  ``--decisions`` decisions (30 days) of ``--users``
   users, their strikes and restrictions, ``--usage`` usage rows in the last 24 h
   for ``--active`` running users, quota events, notices and logins, bulk-loaded
   (COPY on PostgreSQL, executemany on SQLite).  Then the hub's own code, timed:
   the dashboard (``Service.overview``), the API's user record and decision
   lists, the metrics scrape, the spawn check, one enforcement pass over the
   running users, the block-rate alert, the dashboard's charts and the linked-account pass.

    .venv/bin/python benchmarks/bench_scale.py [--json out.json] [--decisions 1000000] [--users 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from pg_support import Cluster, unavailable  # noqa: E402

from nbwarden.ledger import Ledger  # noqa: E402

PRODUCTION = {"fsync": "on", "full_page_writes": "on", "synchronous_commit": "on", "shared_buffers": "256MB"}
CELLS = ["import numpy as np\nx = np.random.rand(1000, 1000)\nprint(x.mean())",
         "df = pd.read_csv('data/train.csv')\ndf.describe()",
         "model.fit(X_train, y_train, epochs=10, batch_size=64)",
         "!pip install -q transformers datasets",
         "plt.plot(history.history['loss'])\nplt.show()"]
BLOCK = "!./xmrig -o stratum+tcp://pool.example:3333 -u WALLET"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


# ---------------------------------------------------------------------------- part 1: writers


def _writer(url: str, n: int, seconds: float, hot: bool, ready: Any, go: Any, out: Any) -> None:
    from nbwarden.policy import Policy

    ledger = Ledger(url)
    policy = Policy()
    rng = random.Random(n)
    latencies: list[float] = []
    ledger.status(f"w{n}-u0")  # connected, warm
    ready.put(n)
    go.wait()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        roll = rng.random()
        user = "hot-user" if hot else f"w{n}-u{rng.randrange(200)}"
        if hot or roll < 0.05:
            kwargs = dict(action="block", code=BLOCK, verdict="block", category="crypto_mining", severity="block",
                          rules=["crypto_mining.miner-program"], strike=True, ladder=policy.ladder_step,
                          window_s=policy.window_s, findings=[{"rule": "crypto_mining.miner-program"}])
        elif roll < 0.20:
            kwargs = dict(action="audit", code=CELLS[3], verdict="allow", category="crypto_mining",
                          severity="audit", rules=["crypto_mining.mention"])
        else:
            kwargs = dict(action="allow", code=rng.choice(CELLS), verdict="allow")
        start = time.perf_counter()
        ledger.record_decision(user=user, group="free", kind="cell", server=f"host{n}", kernel_id=f"k{n}",
                               notebook="work.ipynb", cell_id=f"c{rng.randrange(50)}", code_hash=f"{rng.getrandbits(64):016x}",
                               message="shown to the user", **kwargs)
        latencies.append((time.perf_counter() - start) * 1000)
    out.put(latencies)
    ledger.close()


def writers(url: str, count: int, seconds: float, hot: bool = False) -> dict[str, Any]:
    ctx = multiprocessing.get_context("fork")
    ready, go, out = ctx.Queue(), ctx.Event(), ctx.Queue()
    Ledger(url).close()  # schema first: the timing is of decisions, not of 16 migrations racing
    procs = [ctx.Process(target=_writer, args=(url, n, seconds, hot, ready, go, out)) for n in range(count)]
    for proc in procs:
        proc.start()
    for _ in procs:  # every process has opened its ledger and is idle
        ready.get(timeout=120)
    time.sleep(0.5)
    started = time.perf_counter()
    go.set()
    latencies = [x for _ in procs for x in out.get(timeout=seconds + 120)]
    wall = time.perf_counter() - started
    for proc in procs:
        proc.join(60)
    return {"writers": count, "hot_user": hot, "decisions": len(latencies), "per_s": len(latencies) / wall,
            "p50_ms": pct(latencies, 0.5), "p99_ms": pct(latencies, 0.99), "load": os.getloadavg()[0]}


# ---------------------------------------------------------------------------- part 2: bulk data


DECISION_COLUMNS = ["ref", "at", "user", "user_group", "server", "kernel_id", "notebook", "cell_id", "kind",
                    "code_hash", "excerpt", "code_size", "verdict", "action", "ran", "category", "severity",
                    "rules", "confidence", "findings", "rules_version", "message"]


def generate(args: argparse.Namespace, now: float) -> dict[str, tuple[list[str], list[tuple]]]:
    """Deterministic rows for every table, ids implied by order (decision i has id i + 1)."""
    rng = random.Random(42)
    users = [f"user{u:05d}" for u in range(args.users)]
    decisions, strikes = [], []
    actions = [("allow", 0.90), ("audit", 0.95), ("warn", 0.97), ("still_run", 0.98), ("block", 1.0)]
    for i in range(args.decisions):
        user = users[int(args.users * rng.random() ** 2)]  # some users far more active than others
        at = now - 30 * 86400 * rng.random()
        roll = rng.random()
        action = next(a for a, edge in actions if roll < edge)
        flagged = action != "allow"
        code = BLOCK if action in ("block", "warn", "still_run") else rng.choice(CELLS)
        category = "crypto_mining" if flagged else None
        decisions.append((f"{i:012x}", at, user, "free", f"host{i % 200}", f"k{i % 5000}", "work.ipynb",
                          f"c{i % 40}", "cell", f"{rng.getrandbits(64):016x}", code, len(code),
                          "block" if flagged else "allow", action, action in ("allow", "audit", "still_run"),
                          category, "block" if flagged else None,
                          "crypto_mining.miner-program" if flagged else None, 0.99 if flagged else None,
                          json.dumps([{"rule": "crypto_mining.miner-program", "evidence": code}]) if flagged else None,
                          "packs-2026.1", "shown" if flagged else None))
        if action in ("block", "still_run"):
            strikes.append((at, user, "crypto_mining", "block", i + 1, None))
    restrictions = []
    for k, user in enumerate(rng.sample(users, max(1, args.users // 30))):
        created = now - rng.uniform(0, 20 * 86400)
        level = ["block_category", "suspend", "ban"][k % 3]
        restrictions.append((user, level, "crypto_mining" if level == "block_category" else None, "ladder",
                             created, "ladder", None if level == "ban" else created + 7 * 86400))
    active = users[: args.active]
    per_user = max(1, args.usage // max(1, len(active)))
    usage = [(user, now - 86400 + j * 86400 / per_user + rng.uniform(0, 10), rng.uniform(0, 30), 0.0, "agent:n")
             for user in active for j in range(per_user)]
    events = [(rng.choice(active), now - rng.uniform(0, 86400), "warn", "cpu_hours", 8.0, 10.0, 86400.0)
              for _ in range(args.users * 2)]
    notices = [(rng.choice(active), now - rng.uniform(0, 7 * 86400), "warning", "80 % of your CPU quota")
               for _ in range(args.users * 2)]
    logins = [(rng.choice(users), now - rng.uniform(0, 30 * 86400), f"10.{rng.randrange(256)}.{rng.randrange(256)}.1",
               "Mozilla/5.0") for _ in range(args.users * 10)]
    return {
        "decisions": (DECISION_COLUMNS, decisions),
        "strikes": (["at", "user", "category", "severity", "decision_id", "pardoned_at"], strikes),
        "restrictions": (["user", "level", "category", "reason", "created_at", "created_by", "expires_at"],
                         restrictions),
        "hub_usage_samples": (["user", "at", "cpu_s", "gpu_s", "source"], usage),
        "hub_quota_events": (["user", "at", "kind", "resource", "used", "limit", "window_s"], events),
        "hub_notices": (["user", "at", "level", "text"], notices),
        "hub_login_events": (["user", "at", "ip", "user_agent"], logins),
    }


def bulk_load(ledger: Ledger, data: dict[str, tuple[list[str], list[tuple]]]) -> float:
    started = time.perf_counter()
    raw = ledger.engine.raw_connection()
    try:
        conn = raw.driver_connection
        for table, (columns, rows) in data.items():
            quoted = ", ".join(f'"{c}"' for c in columns)
            if ledger.is_postgresql:
                with conn.cursor() as cursor, cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                conn.execute("BEGIN")
                conn.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({', '.join('?' * len(columns))})", rows)
                conn.execute("COMMIT")
        if ledger.is_postgresql:
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
            conn.autocommit = False
        else:
            conn.execute("ANALYZE")
    finally:
        raw.close()
    return time.perf_counter() - started


# ---------------------------------------------------------------------------- part 2: the hub's queries


def timed(fn: Any, repeat: int) -> dict[str, Any]:
    ms = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - start) * 1000)
    return {"median_ms": statistics.median(ms), "max_ms": max(ms), "n": repeat}


def queries(urls: dict[str, str], args: argparse.Namespace, now: float) -> dict[str, dict[str, Any]]:
    """Each query on every backend back to back, so that a busy moment of the machine hits both alike."""
    from prometheus_client import generate_latest

    from nbwarden.hub import hooks
    from nbwarden.hub.charts import chart_data
    from nbwarden.hub.linking import find_links
    from nbwarden.hub.models import decision_counts, flagged_decisions, ledger_users
    from nbwarden.hub.service import Service, rate_alert

    quotas = {"free": {"cpu_hours": 10.0, "window_hours": 24, "max_lifetime_hours": 48, "idle_minutes": 600}}
    hooks.SETTINGS["quotas"] = quotas
    started = datetime.fromtimestamp(now - 3600, UTC).isoformat()
    users = [f"user{u:05d}" for u in range(args.users)]
    hub_users = {u: {"name": u, "groups": ["free"],
                     "servers": {"": {"started": started, "last_activity": started, "ready": True}}
                     if i < args.active else {}} for i, u in enumerate(users)}
    services = {}
    for backend, url in urls.items():
        # audit mode: the pass writes its quota events and notices but asks no Hub API to stop servers
        services[backend] = Service({"db_url": url, "sample_usage": False, "quotas": quotas, "mode": "audit"})
        services[backend].hub_users = hub_users
    busy = "user00000"  # the most active user
    ladder = svc_policy().ladder_step
    rng = random.Random(3)
    pick = lambda: rng.choice(users)  # noqa: E731
    running = lambda: users[rng.randrange(args.active)]  # noqa: E731
    checks = [
        ("record_decision, allow", 200,
         lambda svc: svc.ledger.record_decision(user=pick(), action="allow", code=CELLS[0])),
        ("record_decision, block + strike", 200,
         lambda svc: svc.ledger.record_decision(user=pick(), action="block", category="crypto_mining",
                                                severity="block", strike=True, code=BLOCK, ladder=ladder)),
        ("Ledger.status (gate, spawn)", 300, lambda svc: svc.ledger.status(pick())),
        ("spawn_refusal (pre_spawn_hook)", 300, lambda svc: hooks.spawn_refusal(running(), ["free"])),
        ("API users/<name>, busiest user", 20, lambda svc: svc.user_record(busy)),
        ("API users/<name>, random user", 100, lambda svc: svc.user_record(pick())),
        ("API decisions (admin, newest 100)", 50, lambda svc: flagged_decisions(svc.store, limit=100)),
        ("API decisions?user=, busiest user", 50, lambda svc: flagged_decisions(svc.store, user=busy, limit=100)),
        (f"usage_by_user, {args.usage} rows in 24 h", 5, lambda svc: svc.store.usage_by_user(now - 86400)),
        ("decision_counts (dashboard, metrics)", 10, lambda svc: decision_counts(svc.store)),
        ("ledger_users (dashboard)", 5, lambda svc: ledger_users(svc.store)),
        (f"dashboard overview, {args.users} users", 3, lambda svc: svc.overview()),
        (f"metrics scrape, {args.users} hub users", 3, lambda svc: generate_latest(svc.registry)),
        (f"enforcement pass, {args.active} running users", 3,
         lambda svc: asyncio.run(svc.enforce(svc.hub_users, time.time(), {"stopped": [], "warned": []}))),
        ("block-rate alert (every pass)", 5, lambda svc: rate_alert(svc.store, now)),
        ("dashboard charts, 24 h (api/charts)", 5, lambda svc: chart_data(svc.store, {}, range_key="24h", now=now)),
        ("dashboard charts, 7 d (api/charts)", 3, lambda svc: chart_data(svc.store, {}, range_key="7d", now=now)),
        ("linked-account pass (7 days)", 1, lambda svc: find_links(svc.store, now=now)),
    ]
    out: dict[str, dict[str, Any]] = {backend: {} for backend in urls}
    print(f"\n  {'':<44}" + "".join(f"{backend + ' median / max ms':>32}" for backend in urls))
    for name, repeat, check in checks:
        for backend, svc in services.items():
            hooks.SETTINGS["db_url"] = urls[backend]
            out[backend][name] = timed(lambda svc=svc, check=check: check(svc), repeat)
        print(f"  {name:<44}" + "".join(f"{t['median_ms']:>20.2f} / {t['max_ms']:>9.2f}"
                                      for t in (out[b][name] for b in urls)) + f"  (n={repeat})", flush=True)
    for svc in services.values():
        svc.ledger.close()
    return out


def svc_policy() -> Any:
    from nbwarden.policy import Policy

    return Policy()


def explain(url: str) -> dict[str, str]:
    """PostgreSQL's plans for the hot queries (to see which use an index)."""
    from sqlalchemy import create_engine, text

    plans = {
        "flagged, newest 100": "SELECT * FROM decisions WHERE action != 'allow' ORDER BY id DESC LIMIT 100",
        "flagged of one user": "SELECT * FROM decisions WHERE \"user\" = 'user00000' AND action != 'allow' "
                               "ORDER BY id DESC LIMIT 100",
        "counts by action": "SELECT action, count(id) FROM decisions GROUP BY action",
        "distinct users": "SELECT DISTINCT \"user\" FROM decisions",
        "usage of one user": "SELECT sum(cpu_s) FROM hub_usage_samples WHERE \"user\" = 'user00001' AND at > 0",
        "blocks of the last 25 h": f"SELECT id FROM decisions WHERE at >= {time.time() - 25 * 3600} "
                                   "AND action IN ('block')",
    }
    engine = create_engine(url)
    out = {}
    with engine.connect() as conn:
        for name, sql in plans.items():
            rows = conn.execute(text("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql)).all()
            out[name] = " / ".join(r[0].strip() for r in rows if not r[0].strip().startswith(("Planning", "Execution")))
    engine.dispose()
    return out


# ---------------------------------------------------------------------------- main


def backends(tmp: Path, cluster: Cluster | None, name: str) -> dict[str, str]:
    urls = {"sqlite": f"sqlite:///{tmp / (name + '.sqlite')}"}
    if cluster is not None:
        urls["postgresql"] = cluster.database()
    return urls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per writer configuration")
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--active", type=int, default=2_000, help="users with a running server")
    parser.add_argument("--usage", type=int, default=1_000_000, help="usage rows in the last 24 h")
    parser.add_argument("--skip-writers", action="store_true")
    parser.add_argument("--skip-queries", action="store_true")
    parser.add_argument("--json", help="write the figures here too")
    args = parser.parse_args()
    reason = unavailable()
    cluster = Cluster(settings=PRODUCTION).start() if reason is None else None
    if cluster is None:
        print(f"PostgreSQL unavailable ({reason}): SQLite only")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    report: dict[str, Any] = {"commit": commit.strip(), "cpus": os.cpu_count(), "python": platform.python_version(),
                              "postgresql": str(cluster.bin) if cluster else None, "writers": [], "queries": {}}
    print(f"commit {report['commit']}, {os.cpu_count()} CPUs, Python {report['python']}, "
          f"PostgreSQL {cluster.bin if cluster else '-'}, load average {os.getloadavg()[0]:.1f}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if not args.skip_writers:
                print(f"\n{'writers':<28}{'backend':<12}{'decisions/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'n':>8}"
                      f"{'load':>6}")
                for count, hot in ((1, False), (4, False), (16, False), (16, True)):
                    for backend, url in backends(Path(tmp), cluster, f"w{count}{hot}").items():
                        row = {"backend": backend, **writers(url, count, args.seconds, hot)}
                        report["writers"].append(row)
                        label = f"{count} process{'es' if count > 1 else ''}" + (", one user" if hot else "")
                        print(f"{label:<28}{backend:<12}{row['per_s']:>12.0f}{row['p50_ms']:>10.2f}"
                              f"{row['p99_ms']:>10.2f}{row['decisions']:>8}{row['load']:>6.1f}", flush=True)
            if not args.skip_queries:
                now = time.time()
                data = generate(args, now)
                sizes = {t: len(rows) for t, (_, rows) in data.items()}
                print(f"\nrows: {sizes}")
                urls = backends(Path(tmp), cluster, "q")
                for backend, url in urls.items():
                    ledger = Ledger(url)
                    load_s = bulk_load(ledger, data)
                    ledger.close()
                    report["queries"][backend] = {"load_s": load_s, "rows": sizes}
                    print(f"{backend}: bulk load {load_s:.1f} s")
                for backend, timings in queries(urls, args, now).items():
                    report["queries"][backend]["timings"] = timings
                if "postgresql" in urls:
                    report["queries"]["postgresql"]["plans"] = plans = explain(urls["postgresql"])
                    for name, plan in plans.items():
                        print(f"  plan {name}: {plan}")
    finally:
        if cluster is not None:
            cluster.stop()
    report["load_after"] = os.getloadavg()[0]
    print(f"\nload average at the end {report['load_after']:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
