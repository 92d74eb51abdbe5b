"""Network use per process, read from /proc: connections, listeners, raw sockets, fan-out.

Each network namespace has its own ``/proc/PID/net/{tcp,tcp6,udp,udp6,raw,raw6}``;
the scanner reads them once per namespace (through one member process) and
maps socket inodes to processes through ``/proc/PID/fd``.  This sees
containers and ``ip netns`` namespaces that ``/proc/net`` (the agent's own
namespace) does not.

What it cannot see, and where the gap is covered instead:

* payloads (stratum JSON-RPC is recognised in the executable's strings by
  :mod:`.classify` and in the sensor's socket events for Python code);
* connections shorter than the scan interval (the rate check is a lower
  bound; Python code is covered exactly by the sensor's ``socket.connect``);
* peers of unconnected UDP sockets, e.g. DHT (we see the bound port).

Thresholds (defaults; see the agent section of README.md for the reasons):
``fanout_destinations`` 24 distinct remote (address, port) pairs per process
within ``window_s`` 60 s, the value mybinder.org settled on after 15 killed
parallel package installers; ``rate_connections`` 300 new connections per
window, far above what pip or a browser opens (pip uses at most ~10–20
parallel connections to one index) and well below a flood.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .classify import AgentFinding, Signatures

TCP_STATES = {"01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1", "05": "FIN_WAIT2",
              "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK", "0A": "LISTEN",
              "0B": "CLOSING"}


@dataclass(slots=True, frozen=True)
class Sock:
    proto: str  # tcp | tcp6 | udp | udp6 | raw | raw6
    local: tuple[str, int]
    remote: tuple[str, int]
    state: str
    uid: int
    inode: int


@dataclass
class NetConfig:
    fanout_destinations: int = 24
    rate_connections: int = 300
    window_s: float = 60.0
    count_private_destinations: bool = True
    listen_unknown_severity: str = "audit"
    listen_known_severity: dict[str, str] = field(default_factory=lambda: {
        "remote_desktop_ssh": "block", "proxy_tunnel": "block", "torrent_p2p": "block",
        "web_file_hosting": "warn"})
    pool_port_severity: str = "warn"
    fanout_severity: str = "block"
    raw_socket_severity: str = "warn"
    udp_sockets_torrent: int = 8  # a process with this many UDP sockets looks like a P2P client


def _hex_addr(text: str) -> tuple[str, int]:
    addr, _, port = text.partition(":")
    raw = bytes.fromhex(addr)
    if len(raw) == 4:
        ip = str(ipaddress.IPv4Address(raw[::-1]))
    else:
        words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
        ip6 = ipaddress.IPv6Address(words)
        ip = str(ip6.ipv4_mapped) if ip6.ipv4_mapped else str(ip6)
    return ip, int(port, 16)


def parse_table(text: str, proto: str) -> list[Sock]:
    out: list[Sock] = []
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 10:
            continue
        try:
            local = _hex_addr(parts[1])
            remote = _hex_addr(parts[2])
            out.append(Sock(proto, local, remote, parts[3].upper(), int(parts[7]), int(parts[9])))
        except (ValueError, IndexError):
            continue
    return out


def read_tables(pid: int | str = "self") -> list[Sock]:
    socks: list[Sock] = []
    for proto in ("tcp", "tcp6", "udp", "udp6", "raw", "raw6"):
        try:
            with open(f"/proc/{pid}/net/{proto}", encoding="ascii", errors="replace") as fh:
                socks += parse_table(fh.read(), proto)
        except OSError:
            continue
    return socks


def socket_inodes(pid: int) -> set[int]:
    out: set[int] = set()
    base = f"/proc/{pid}/fd"
    try:
        names = os.listdir(base)
    except OSError:
        return out
    for name in names:
        try:
            link = os.readlink(f"{base}/{name}")
        except OSError:
            continue
        if link.startswith("socket:["):
            try:
                out.add(int(link[8:-1]))
            except ValueError:
                pass
    return out


def netns_of(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino
    except OSError:
        return None


def is_loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def is_unspecified(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_unspecified
    except ValueError:
        return False


def is_private(ip: str) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
        return addr.is_private or addr.is_loopback or addr.is_link_local
    except ValueError:
        return False


@dataclass
class ProcNet:
    pid: int
    netns: int | None
    sockets: list[Sock] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        listen = [f"{s.proto}:{s.local[0]}:{s.local[1]}" for s in self.sockets
                  if s.state == "0A" or (s.proto.startswith("udp") and s.remote[1] == 0)]
        conns = [f"{s.proto}:{s.remote[0]}:{s.remote[1]}" for s in self.sockets
                 if s.proto.startswith("tcp") and s.state in ("01", "02")]
        return {"listening": listen[:20], "connections": conns[:20], "sockets": len(self.sockets)}


class NetScanner:
    """Scan the sockets of a set of processes and classify what they do on the network."""

    def __init__(self, sigs: Signatures, config: NetConfig | None = None) -> None:
        self.sigs = sigs
        self.cfg = config or NetConfig()
        # pid -> deque of (time, (remote ip, port)) first seen
        self._seen: dict[int, dict[tuple, float]] = {}
        self._history: dict[int, deque] = {}

    def scan(self, pids: list[int]) -> dict[int, ProcNet]:
        """Read the sockets of ``pids`` (one table read per network namespace)."""
        by_ns: dict[int | None, list[int]] = {}
        inodes: dict[int, set[int]] = {}
        for pid in pids:
            ino = socket_inodes(pid)
            if not ino:
                continue
            inodes[pid] = ino
            by_ns.setdefault(netns_of(pid), []).append(pid)
        result: dict[int, ProcNet] = {}
        for ns, members in by_ns.items():
            table: dict[int, Sock] = {}
            for member in members:  # the first readable member speaks for the namespace
                socks = read_tables(member)
                if socks:
                    table = {s.inode: s for s in socks}
                    break
            for pid in members:
                mine = [table[i] for i in inodes[pid] if i in table]
                if mine:
                    result[pid] = ProcNet(pid, ns, mine)
        return result

    def classify(self, net: ProcNet, now: float | None = None) -> list[AgentFinding]:
        now = time.monotonic() if now is None else now
        cfg = self.cfg
        out: list[AgentFinding] = []
        listens: list[Sock] = []
        udp_bound = 0
        raw = []
        pool: list[Sock] = []
        torrent: list[Sock] = []
        seen = self._seen.setdefault(net.pid, {})
        hist = self._history.setdefault(net.pid, deque())
        for s in net.sockets:
            if s.proto.startswith("raw"):
                raw.append(s)
                continue
            if s.proto.startswith("tcp") and s.state == "0A":
                listens.append(s)
                continue
            if s.proto.startswith("udp") and s.remote[1] == 0:
                udp_bound += 1
                if s.local[1] in self.sigs.torrent_ports:
                    torrent.append(s)
                if not is_loopback(s.local[0]) and s.local[1] in self.sigs.listen_ports:
                    listens.append(s)
                continue
            if s.remote[1] == 0:
                continue
            if s.proto.startswith("tcp") and s.state not in ("01", "02", "03"):
                continue
            if s.remote[1] in self.sigs.pool_ports:
                pool.append(s)
            if s.remote[1] in self.sigs.torrent_ports or s.local[1] in self.sigs.torrent_ports:
                torrent.append(s)
            key = (s.remote, s.local[1])
            if key not in seen:
                seen[key] = now
                if cfg.count_private_destinations or not is_private(s.remote[0]):
                    hist.append((now, s.remote))
        while hist and hist[0][0] < now - cfg.window_s:
            hist.popleft()
        for key in [k for k, t in seen.items() if t < now - cfg.window_s]:
            del seen[key]

        for s in listens:
            if is_loopback(s.local[0]):
                continue  # kernel-internal: reachable only from this host/namespace
            category = self.sigs.listen_ports.get(s.local[1])
            if category:
                sev = cfg.listen_known_severity.get(category, "warn")
                out.append(AgentFinding(f"agent.net.listen.{category}", category, sev,
                                        f"{_cat(category)} port {s.local[1]} listening outside the kernel",
                                        f"{s.proto} {s.local[0]}:{s.local[1]}", "network",
                                        {"port": s.local[1], "address": s.local[0]}))
            else:
                out.append(AgentFinding("agent.net.listen.other", "web_file_hosting", cfg.listen_unknown_severity,
                                        "server listening outside the kernel", f"{s.proto} {s.local[0]}:{s.local[1]}",
                                        "network", {"port": s.local[1], "address": s.local[0]}))
        if pool:
            s = pool[0]
            out.append(AgentFinding("agent.net.pool-port", "crypto_mining", cfg.pool_port_severity,
                                    "connection to a mining-pool port", f"{s.remote[0]}:{s.remote[1]}", "network",
                                    {"destinations": sorted({f"{p.remote[0]}:{p.remote[1]}" for p in pool})[:10]}))
        if torrent or udp_bound >= cfg.udp_sockets_torrent:
            evidence = f"{len(torrent)} BitTorrent-port sockets, {udp_bound} UDP sockets"
            sev = "warn" if torrent else "audit"
            out.append(AgentFinding("agent.net.bittorrent", "torrent_p2p", sev,
                                    "BitTorrent/DHT ports or many UDP peers", evidence, "network",
                                    {"udp_sockets": udp_bound, "torrent_sockets": len(torrent)}))
        if raw:
            out.append(AgentFinding("agent.net.raw-socket", "dos_attack", cfg.raw_socket_severity,
                                    "raw socket (packet crafting)", f"{len(raw)} raw sockets", "network"))
        distinct = {r for _, r in hist}
        if len(distinct) > cfg.fanout_destinations:
            out.append(AgentFinding("agent.net.fanout", "dos_attack", cfg.fanout_severity,
                                    f"connections to more than {cfg.fanout_destinations} destinations "
                                    f"in {cfg.window_s:.0f} s", f"{len(distinct)} distinct destinations", "network",
                                    {"destinations": len(distinct)}))
        if len(hist) > cfg.rate_connections:
            out.append(AgentFinding("agent.net.rate", "dos_attack", cfg.fanout_severity,
                                    f"more than {cfg.rate_connections} new connections in {cfg.window_s:.0f} s",
                                    f"{len(hist)} new connections", "network", {"connections": len(hist)}))
        return out

    def forget(self, pid: int) -> None:
        self._seen.pop(pid, None)
        self._history.pop(pid, None)


def _cat(category: str) -> str:
    return category.replace("_", " ")


# ---------------------------------------------------------------------- egress policy

EGRESS_TABLE = "nbwarden"


def egress_ruleset(ports: list[int], uid_range: tuple[int, int] = (1000, 65533), *, allow_loopback: bool = True,
                   dns: bool = True, udp_ports: list[int] | None = None) -> str:
    """An nftables ruleset: user processes (by socket owner uid) may open TCP only to ``ports``.

    Blocked attempts are counted, rejected (the program sees ECONNREFUSED at
    once rather than a timeout), and their (uid, address, port) added to the
    set ``blocked`` with a timeout, which the agent reads and reports.
    """
    lo, hi = uid_range
    tcp = ", ".join(str(p) for p in sorted(set(ports))) or "0"
    udp = sorted(set(udp_ports or []) | ({53} if dns else set()))
    lines = [
        f"table inet {EGRESS_TABLE} {{",
        "  set blocked {",
        "    type uid . ipv4_addr . inet_service; flags dynamic, timeout; timeout 10m; size 65536;",
        "  }",
        "  set blocked6 {",
        "    type uid . ipv6_addr . inet_service; flags dynamic, timeout; timeout 10m; size 65536;",
        "  }",
        "  chain output {",
        "    type filter hook output priority 0; policy accept;",
    ]
    if allow_loopback:
        lines.append('    oifname "lo" accept')
    lines += [
        f"    meta skuid != {lo}-{hi} accept",
        "    ct state established,related accept",
        f"    tcp dport {{ {tcp} }} accept",
    ]
    if udp:
        lines.append(f"    udp dport {{ {', '.join(str(p) for p in udp)} }} accept")
    lines += [
        "    meta nfproto ipv4 meta l4proto { tcp, udp } add @blocked { meta skuid . ip daddr . th dport }",
        "    meta nfproto ipv6 meta l4proto { tcp, udp } add @blocked6 { meta skuid . ip6 daddr . th dport }",
        "    meta l4proto tcp counter reject with tcp reset",
        "    meta l4proto udp counter reject",
        "  }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _nft(args: list[str], netns: str | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    cmd = (["ip", "netns", "exec", netns] if netns else []) + ["nft", *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=10)


def apply_egress(ports: list[int], uid_range: tuple[int, int] = (1000, 65533), *, netns: str | None = None,
                 allow_loopback: bool = True) -> None:
    """Install (or replace) the egress policy table.  Raises RuntimeError with nft's message on failure."""
    remove_egress(netns)
    res = _nft(["-f", "-"], netns, egress_ruleset(ports, uid_range, allow_loopback=allow_loopback))
    if res.returncode != 0:
        raise RuntimeError(f"nft failed: {res.stderr.strip()}")


def remove_egress(netns: str | None = None) -> None:
    _nft(["delete", "table", "inet", EGRESS_TABLE], netns)


def blocked_attempts(netns: str | None = None) -> list[dict[str, Any]]:
    """(uid, address, port) of recent blocked attempts, from the dynamic sets."""
    import json

    out: list[dict[str, Any]] = []
    for name in ("blocked", "blocked6"):
        res = _nft(["-j", "list", "set", "inet", EGRESS_TABLE, name], netns)
        if res.returncode != 0:
            continue
        try:
            data = json.loads(res.stdout)
        except ValueError:
            continue
        for item in data.get("nftables", []):
            for elem in (item.get("set") or {}).get("elem", []) or []:
                val = elem.get("elem", {}).get("val") if isinstance(elem, dict) and "elem" in elem else elem
                concat = val.get("concat") if isinstance(val, dict) else None
                if concat and len(concat) == 3:
                    out.append({"uid": concat[0], "address": concat[1], "port": concat[2]})
    return out
