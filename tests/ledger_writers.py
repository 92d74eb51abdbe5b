"""Real processes writing to one ledger at once, as a cluster's gates, agents and hub service do.

Each writer is a forked process (the parent builds the rule engine once; the
children share it copy-on-write) with its own :class:`~nbwarden.ledger.Ledger`
connection pool.  It waits on a shared start event, so all of them hit the
database in the same instant, then writes through the same code the layer
itself uses: a gate checks blocked cells with :class:`~nbwarden.gate.NbwardenGate`,
an agent records kills with :class:`~nbwarden.agent.recorder.Recorder`, the hub
records usage, quota events and notices with :class:`~nbwarden.hub.models.HubStore`.

After each write *returned*, the writer appends one JSON line to its own
acknowledgement file (``os.write`` with ``O_APPEND``: the line is in the page
cache before the next write starts, so a SIGKILL loses no acknowledgement).
What the parent reads back from those files is exactly what a user, an agent
or an admin was told.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BLOCK_CELL = "!./xmrig -o stratum+tcp://pool.example:3333"
CATEGORY = "crypto_mining"
# one rung of each kind, far enough apart that every rung is crossed during a burst
LADDER = {f"{CATEGORY}:block": [{"strikes": 3, "restrict": "block_category", "hours": 24},
                                {"strikes": 30, "restrict": "suspend", "hours": 1},
                                {"strikes": 80, "restrict": "ban"}]}


@dataclass
class Writer:
    role: str  # gate | agent | hub
    name: str  # host or node name
    user: str  # whose decisions (gate, agent); hub writers touch many users
    count: int
    ack: Path = field(default=Path())


def _ack(fd: int, data: dict[str, Any]) -> None:
    os.write(fd, (json.dumps(data) + "\n").encode())


def _run(writer: Writer, url: str, engine: Any, start: Any, pause_s: float) -> None:
    fd = os.open(writer.ack, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        step = _setup(writer, url, engine)
        _ack(fd, {"ready": True})
        start.wait(120)
        for i in range(writer.count):
            try:
                data = step(i)
            except Exception as exc:  # a layer must survive its ledger's failures: report, go on
                _ack(fd, {"error": f"{type(exc).__name__}: {exc}"[:500], "i": i})
                time.sleep(0.2)
                continue
            _ack(fd, {"i": i, "t": time.time(), **data})
            if pause_s:
                time.sleep(pause_s)
        _ack(fd, {"done": True, **_final(writer, step)})
    except BaseException:
        _ack(fd, {"crash": traceback.format_exc()[-2000:]})
        raise
    finally:
        os.close(fd)


def _setup(writer: Writer, url: str, engine: Any):
    if writer.role == "gate":
        from traitlets.config import Config

        from nbwarden.gate import NbwardenGate
        from nbwarden.ledger import Ledger

        config = Config()
        config.Policy.ladders = LADDER
        gate = NbwardenGate(config=config, engine=engine, ledger=Ledger(url), user=writer.user, group="free",
                            server_name=writer.name, status_ttl_s=0)

        def step(i: int) -> dict[str, Any]:
            result = gate.check_cell(f"{BLOCK_CELL}  # {writer.name} {i}", kernel_id=f"k-{writer.name}",
                                     notebook="mine.ipynb", user=writer.user, group="free")
            record = result.record
            return {"action": result.action, "ref": record.ref if record else None,
                    "strike": record.strike_count if record else 0,
                    "restriction": record.restriction.level if record and record.restriction else None}

        step.gate = gate  # type: ignore[attr-defined]
        return step
    if writer.role == "agent":
        from nbwarden.agent.recorder import Recorder

        recorder = Recorder(url, None, {"ladders": LADDER})

        def step(i: int) -> dict[str, Any]:
            out = recorder.record({
                "action": "kill", "kind": "process", "user": writer.user, "category": CATEGORY,
                "severity": "block", "verdict": "block", "rules": ["crypto_mining.miner-binary"], "strike": True,
                "cmdline": ["/home/x/train_model", "--node", writer.name, str(i)],
                "evidence": {"node": writer.name, "pid": 1000 + i}})
            if out["via"] != "ledger":
                raise RuntimeError(f"recorded via {out['via']}")
            restriction = out["restriction"]
            return {"action": "block", "ref": out["ref"], "strike": out["strike_count"],
                    "restriction": restriction["level"] if restriction else None}

        return step
    if writer.role == "hub":
        from nbwarden.hub.models import HubStore
        from nbwarden.ledger import Ledger

        store = HubStore(Ledger(url))

        def step(i: int) -> dict[str, Any]:
            users = {f"{writer.name}-u{j}": (1.0, 0.5) for j in range(5)}
            added = store.add_usage(users, source=f"agent:{writer.name}")
            event = store.add_quota_event(f"{writer.name}-u0", "warn", resource="cpu_hours", used=0.8, limit=1.0)
            notice = store.add_notice(f"{writer.name}-u0", f"warning {i}")
            store.ledger.status(writer.user)  # the enforcement pass reads restrictions too
            return {"usage_rows": added, "quota_event": event, "notice": notice}

        return step
    raise ValueError(writer.role)


def _final(writer: Writer, step: Any) -> dict[str, Any]:
    """After the burst: what one more cell gets on each gate (a restriction applies everywhere)."""
    gate = getattr(step, "gate", None)
    if gate is None:
        return {}
    return {"final": gate.check_cell(f"{BLOCK_CELL}  # final {writer.name}", user=writer.user, group="free").action}


def start(writers: list[Writer], url: str, engine: Any, directory: Path, *,
          pause_s: float = 0.0) -> tuple[list[multiprocessing.Process], Any]:
    """Fork one process per writer, wait until all are ready, and release them together."""
    ctx = multiprocessing.get_context("fork")
    go = ctx.Event()
    procs = []
    for n, writer in enumerate(writers):
        writer.ack = directory / f"ack-{n:02d}-{writer.role}-{writer.name}.jsonl"
        proc = ctx.Process(target=_run, args=(writer, url, engine, go, pause_s), daemon=True)
        proc.start()
        procs.append(proc)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready = sum(1 for w in writers if w.ack.exists() and '"ready"' in w.ack.read_text())
        crashed = [w.ack.read_text() for w in writers if w.ack.exists() and '"crash"' in w.ack.read_text()]
        if crashed:
            raise RuntimeError(crashed[0])
        if ready == len(writers):
            break
        time.sleep(0.05)
    go.set()
    return procs, go


def acks(writer: Writer) -> list[dict[str, Any]]:
    lines = writer.ack.read_text().splitlines() if writer.ack.exists() else []
    return [json.loads(line) for line in lines if line.strip()]
