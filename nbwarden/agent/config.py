"""The agent's configuration (:class:`AgentConfig`, from YAML with command-line overrides) and its logging:
one JSON object a line, so that a log shipper can read every event the agent emits."""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger("nbwarden.agent")


@dataclass
class AgentConfig:
    """Every setting, with its default.  YAML keys are the field names."""

    dry_run: bool = False
    mode: str = "auto"                   # auto | netlink | poll
    poll_interval_s: float = 1.0         # sweep interval when polling (no proc connector)
    rescan_interval_s: float = 60.0      # sweep interval with the proc connector (argv rewrites, old processes)
    net_interval_s: float = 2.0
    resource_interval_s: float = 10.0
    queue_size: int = 20000              # batches of events
    inline_events: bool = True           # handle exec events in the netlink thread (lowest latency and CPU)
    netlink_coalesce_ms: float = 40.0    # under load, gather events this long per wake-up (0: never; see reader)
    netlink_coalesce_rate: float = 50.0  # execs/s (over the last half second) from which the reader coalesces
    netlink_rcvbuf: int = 8 << 20
    netlink_exec_only: bool = True       # kernel-side filter (6.6+): exec events only; exits are cleaned by sweeps
    # what to do, by the strongest finding's severity; categories override
    on_block: str = "kill"               # kill | report
    on_warn: str = "report"              # kill | report
    category_actions: dict[str, str] = field(default_factory=dict)
    kernel_action: str = "notify"        # none | notify | interrupt | shutdown
    strike_dependencies: bool = False    # strike a user for what a third-party package started?
    # who is a user: processes with uid >= min_uid, or under a kernel, or with JUPYTERHUB_USER
    min_uid: int = 1000
    scope_env: dict[str, str] = field(default_factory=dict)  # only processes whose chain has these env values
    allow_users: list[str] = field(default_factory=list)
    allow_uids: list[int] = field(default_factory=list)
    allow_paths: list[str] = field(default_factory=lambda: ["/usr/lib/systemd/", "/lib/systemd/"])
    allow_names: list[str] = field(default_factory=list)
    # detection data
    rules: list[str] = field(default_factory=list)           # extra rule-pack directories
    disable: list[str] = field(default_factory=list)
    signature_files: list[str] = field(default_factory=list)
    binary_read_budget: int = 64 << 20
    network: dict[str, Any] = field(default_factory=dict)    # NetConfig fields
    resources: dict[str, Any] = field(default_factory=dict)  # ResourceConfig fields
    gpu: bool = True
    report_usage: bool = False           # write per-user CPU/GPU seconds to the ledger (hub quotas; nbwarden.hub.quotas)
    egress: dict[str, Any] = field(default_factory=dict)     # {enabled, ports, uid_range, allow_loopback, netns}
    # pre-exec gate (fanotify, see the execgate package): auto = on where available (and the agent is not scoped)
    exec_gate: str = "auto"              # auto | on | off | audit
    exec_gate_settings: dict[str, Any] = field(default_factory=dict)  # execgate.GateConfig fields
    # outputs
    sensor_dir: str = "/run/nbwarden"
    ledger_url: str = ""
    # what explanations in the cell link to (the hub's policy page and user page; nbwarden.links)
    policy_url: str = field(default_factory=lambda: os.environ.get("NBWARDEN_POLICY_URL", ""))
    appeal_url: str = field(default_factory=lambda: os.environ.get("NBWARDEN_APPEAL_URL", ""))
    policy: dict[str, Any] = field(default_factory=dict)
    decisions_file: str = ""
    log_file: str = ""
    metrics_port: int = 0
    metrics_addr: str = "127.0.0.1"

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, **overrides: Any) -> AgentConfig:
        data: dict[str, Any] = {}
        if path:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
            data = raw.get("agent", raw)
        data.update({k: v for k, v in overrides.items() if v is not None})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown agent setting(s): {', '.join(unknown)}")
        return cls(**data)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {"ts": round(record.created, 3), "level": record.levelname.lower(), "msg": record.getMessage()}
        extra = getattr(record, "data", None)
        if extra:
            data.update(extra)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


def setup_logging(path: str = "", level: int = logging.INFO) -> None:
    handler: logging.Handler = logging.FileHandler(path) if path else logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


def emit(msg: str, level: int = logging.INFO, **data: Any) -> None:
    log.log(level, msg, extra={"data": data})
