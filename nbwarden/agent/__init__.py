"""The host agent: runtime detection of prohibited processes, network use and GPU use.

Modules, each named for what it does:

* :mod:`.procconn`: Linux proc connector (netlink) exec/exit events;
* :mod:`.processes`: reading /proc, attribution to user, kernel, cgroup and Python package;
* :mod:`.classify`: command line (core engine), executable name/path, binary content signatures;
* :mod:`.network`: connections and listening sockets per network namespace;
* :mod:`.resources`: CPU per process and user, GPU through NVML when present;
* :mod:`.sensor` / :mod:`.launcher`: the in-kernel audit-hook sensor and the kernel launcher;
* :mod:`.provisioner`: a jupyter_client kernel provisioner that gives each kernel a cgroup v2;
* :mod:`.actions`: kill, interrupt, notify, record;
* :mod:`.execgate`: fanotify exec gate, denies a prohibited program before it runs (its own process);
* :mod:`.recorder`: decisions to the ledger (or JSON lines);
* :mod:`.metrics`: Prometheus metrics;
* :mod:`.app`: configuration and the main loop (``nbwarden agent``).
"""
