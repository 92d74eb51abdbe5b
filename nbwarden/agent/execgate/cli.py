"""The standalone / child entry point: :func:`main` (``python -m nbwarden.agent.execgate``)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import asdict

from .decide import GateConfig
from .fanotify import PR_SET_PDEATHSIG, _lib, available
from .loop import ExecGate
from .messages import notice


def _set_pdeathsig(parent: int) -> None:
    try:
        _lib().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if parent and os.getppid() != parent:
        os._exit(3)  # the agent died before we got here


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nbwarden.agent.execgate",
                                 description="nbwarden exec gate: deny prohibited programs before they run")
    ap.add_argument("--mount", action="append", default=[], help="mark the mount holding this path (repeatable)")
    ap.add_argument("--audit", action="store_true", help="record what would be denied, deny nothing")
    ap.add_argument("--fail-closed", action="store_true", help="deny on timeout or overload (default allow)")
    ap.add_argument("--deadline-ms", type=float)
    ap.add_argument("--cache-size", type=int)
    ap.add_argument("--workers", type=int)
    ap.add_argument("--deny-hash", action="append", default=[], help="SHA256[:CATEGORY]")
    ap.add_argument("--allow-hash", action="append", default=[])
    ap.add_argument("--allow-path", action="append", default=[])
    ap.add_argument("--hash-file", action="append", default=[])
    ap.add_argument("--rules", action="append", default=[], help="extra rule-pack directory")
    ap.add_argument("--decisions", help="write decisions as JSON lines to this file")
    ap.add_argument("--ledger", help="ledger database URL")
    ap.add_argument("--sensor-dir", help="tell kernels' sensors (k-PID.sock) about denials")
    ap.add_argument("--appeal-url")
    ap.add_argument("--policy-url")
    ap.add_argument("--stats-file", help="write the counters here on exit")
    ap.add_argument("--debug-delay-ms", type=float, help="slow each content check down (tests, benchmarks)")
    ap.add_argument("--check", action="store_true", help="say whether this host supports the gate, then exit")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--parent-pid", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--config-json", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    out_lock = threading.Lock()

    def emit_line(item: dict) -> None:
        line = json.dumps(item, default=str, ensure_ascii=False)
        with out_lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    if args.check:
        ok, why = available()
        emit_line({"type": "check", "available": ok, "reason": why})
        return 0 if ok else 1
    if args.child:
        _set_pdeathsig(args.parent_pid)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="execgate: %(message)s")
    raw = sys.stdin.read() if args.config_json == "-" else args.config_json
    conf = json.loads(raw) if raw else {}
    cfg = GateConfig.from_dict(conf.get("gate"))
    if args.mount:
        cfg.paths, cfg.extra_paths, cfg.notebook_root = list(args.mount), [], ""
    if args.audit:
        cfg.mode = "audit"
    if args.fail_closed:
        cfg.fail_closed = True
    for name in ("deadline_ms", "cache_size", "workers", "debug_delay_ms", "appeal_url", "policy_url"):
        if getattr(args, name) is not None:
            setattr(cfg, name, getattr(args, name))
    for item in args.deny_hash:
        digest, _, category = item.partition(":")
        cfg.deny_hashes[digest.lower()] = category or "policy"
    cfg.allow_hashes += [h.lower() for h in args.allow_hash]
    cfg.allow_paths += args.allow_path
    cfg.hash_files += args.hash_file
    ok, why = available()
    if not ok:
        emit_line({"type": "unavailable", "reason": why})
        return 1
    from ..classify import load_engine

    engine, err = load_engine(conf.get("rules", []) + args.rules, conf.get("disable", []))
    if err:
        emit_line({"type": "error", "error": err})
    recorder = None
    if not args.child and (args.decisions or args.ledger):
        from ..recorder import Recorder

        recorder = Recorder(args.ledger, args.decisions)

    def report(item: dict) -> None:
        if item.get("kind") == "exec":
            if recorder is not None:
                rec = recorder.record(item)
                item["ref"] = rec.get("ref")
                kpid = (item.get("kernel") or {}).get("pid")
                if args.sensor_dir and kpid and item["action"] in ("veto", "would_deny"):
                    from .. import actions

                    item["evidence"]["notified"] = actions.notify_sensor(
                        os.path.join(args.sensor_dir, f"k-{kpid}.sock"),
                        notice(item, item["ref"], cfg.appeal_url, cfg.policy_url), raise_in_cell=False)
            emit_line({"type": "decision", "decision": item})
        else:
            emit_line(item)

    gate = ExecGate(engine, cfg, report=report, own_pids={args.parent_pid} if args.parent_pid else set())
    gate.keep_waits = bool(args.stats_file)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        mounts = gate.start()
    except OSError as exc:
        emit_line({"type": "unavailable", "reason": str(exc)})
        return 1
    emit_line({"type": "ready", "mounts": mounts, "pid": os.getpid(), "mode": cfg.mode,
               "rules_version": gate.decider.rules_version})
    try:
        while not stop.wait(0.5):
            emit_line({"type": "heartbeat", "reader_age_ms": round((time.monotonic() - gate.heartbeat) * 1000, 1),
                       "stats": asdict(gate.stats)})
    finally:
        gate.close()
        if args.stats_file:
            with open(args.stats_file, "w", encoding="utf-8") as fh:
                waits = sorted(gate.waits_us)
                q = {f"wait_{name}_us": waits[min(len(waits) - 1, int(f * len(waits)))] if waits else 0
                     for name, f in (("p50", 0.5), ("p99", 0.99), ("max", 1.0))}
                json.dump({**asdict(gate.stats), **q, "pending": len(gate._pending), "mounts": mounts}, fh)
    return 0
