"""``nbwarden agent``: the thin entry point that reads the configuration and runs the :class:`Agent` (or one
of its one-shot actions: ``status``, ``sweep``, ``kernelspec``)."""

from __future__ import annotations

import json
import os
import sys

import yaml

from . import procconn
from .app import Agent
from .config import AgentConfig, setup_logging
from .resources import Gpu


def main(args) -> int:
    """Entry point for ``nbwarden agent`` (args from :mod:`nbwarden.cli`)."""
    overrides = {"dry_run": True if args.dry_run else None, "mode": args.mode,
                 "metrics_port": args.metrics_port, "decisions_file": args.decisions, "log_file": args.log_file,
                 "ledger_url": args.ledger}
    try:
        cfg = AgentConfig.load(args.config, **overrides)
    except (OSError, ValueError, TypeError, yaml.YAMLError) as exc:
        print(f"nbwarden agent: bad configuration: {exc}", file=sys.stderr)
        return 2
    setup_logging(cfg.log_file)
    if args.action == "kernelspec":
        from .launcher import write_kernelspec

        target = args.target or os.path.join(sys.prefix, "share", "jupyter", "kernels", "python3-nbwarden")
        print(write_kernelspec(target, provisioner="nbwarden-cgroup" if args.provisioner else None))
        return 0
    if args.action == "status":
        ok, why = procconn.available()
        gpu = Gpu()
        from .execgate import available as exec_gate_available
        from .provisioner import cgroup2_mount

        gate_ok, gate_why = exec_gate_available()
        print(json.dumps({"proc_connector": ok, "proc_connector_error": why, "root": os.geteuid() == 0,
                          "cgroup2": str(cgroup2_mount() or ""), "gpu": gpu.available, "gpu_reason": gpu.reason,
                          "exec_gate": gate_ok, "exec_gate_error": gate_why}, indent=1))
        return 0
    agent = Agent(cfg)
    if args.action == "sweep":
        agent.sweep("psutil")
        agent.network_scan()
        for d in agent.decisions:
            print(json.dumps(d, default=str))
        return 0
    agent.start()
    try:
        agent.run(duration=args.duration)
    except KeyboardInterrupt:
        pass
    finally:
        agent.stop()
    return 0
