"""Prometheus metrics of the agent (its own registry, so tests can build several agents)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.checked = Counter("nbwarden_agent_processes_checked", "Processes classified", ["source"], registry=r)
        self.killed = Counter("nbwarden_agent_processes_killed", "Processes killed", ["rule", "category"],
                              registry=r)
        self.spared = Counter("nbwarden_agent_processes_spared", "Processes with findings that were not killed",
                              ["rule", "reason"], registry=r)
        self.reported = Counter("nbwarden_agent_detections", "Detections recorded", ["rule", "category", "action"],
                                registry=r)
        self.lost = Counter("nbwarden_agent_events_lost", "Event losses (netlink overruns, full queues, drops)",
                            ["source"], registry=r)
        self.coalesced = Counter("nbwarden_agent_coalesced_wakeups", "Wake-ups that gathered exec events for "
                                 "netlink_coalesce_ms because execs came faster than netlink_coalesce_rate",
                                 registry=r)
        self.resyncs = Counter("nbwarden_agent_resync_sweeps", "Sweeps run to recover from lost events",
                               registry=r)
        self.errors = Counter("nbwarden_agent_errors", "Errors caught by the agent's handlers", ["where"],
                              registry=r)
        self.sensor_events = Counter("nbwarden_agent_sensor_events", "Reports from in-kernel sensors", ["type"],
                                     registry=r)
        self.egress_blocked = Counter("nbwarden_agent_egress_blocked", "Blocked egress attempts reported",
                                      registry=r)
        self.kill_latency = Histogram("nbwarden_agent_kill_latency_seconds", "From exec (kernel timestamp) to kill",
                                      buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
                                               10, 30, 60, 300), registry=r)
        self.queue = Gauge("nbwarden_agent_queue_depth", "Events waiting to be handled", registry=r)
        self.gpu_memory = Gauge("nbwarden_agent_gpu_memory_bytes", "GPU memory per user", ["user"], registry=r)
        self.cpu = Gauge("nbwarden_agent_cpu_cores", "CPU cores in use per user", ["user"], registry=r)
        self._checked_by: dict[str, Counter] = {}

    def count_checked(self, source: str) -> None:
        """``checked{source}`` += 1 with the labelled child looked up once (this runs on every exec)."""
        child = self._checked_by.get(source)
        if child is None:
            child = self._checked_by[source] = self.checked.labels(source)
        child.inc()

    def serve(self, port: int, addr: str = "127.0.0.1") -> None:
        start_http_server(port, addr=addr, registry=self.registry)

    def value(self, name: str, labels: dict[str, str] | None = None) -> float:
        """A sample's current value (tests and the benchmark read metrics this way)."""
        got = self.registry.get_sample_value(name, labels or {})
        return float(got or 0.0)
