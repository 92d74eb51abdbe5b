"""Detecting cryptojacking on shared Linux hosts from process and DNS telemetry (course project)."""
import re

import pandas as pd
import psutil

# Process names that commonly indicate miners (from public threat reports)
MINER_NAMES = {"xmrig", "xmr-stak", "minerd", "cpuminer", "ccminer", "ethminer", "t-rex", "lolminer", "nbminer"}
# Pool domains for the egress blocklist
MINING_DOMAINS = ["supportxmr.com", "nanopool.org", "2miners.com", "moneroocean.stream", "unmineable.com",
                  "herominers.com", "hashvault.pro", "c3pool.com", "f2pool.com"]
STRATUM_RE = re.compile(r"stratum\+(tcp|ssl)://", re.I)


def suspicious_processes():
    hits = []
    for p in psutil.process_iter(["pid", "name", "cmdline", "cpu_percent"]):
        name = (p.info["name"] or "").lower()
        cmd = " ".join(p.info["cmdline"] or [])
        if name in MINER_NAMES or STRATUM_RE.search(cmd) or "--donate-level" in cmd:
            hits.append(p.info)
    return pd.DataFrame(hits)


dns = pd.read_csv("/content/telemetry/dns_queries.csv")
dns["pool"] = dns["qname"].str.lower().apply(lambda q: any(q == d or q.endswith("." + d) for d in MINING_DOMAINS))
print(dns.groupby("host")["pool"].sum().sort_values(ascending=False).head(20))
print(suspicious_processes())
