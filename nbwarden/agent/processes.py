"""What a process is and whose it is: /proc reads, ancestry, kernel, user, cgroup, pod, Python package.

Every reader tolerates processes that vanish between two reads and /proc
files with unexpected content: it returns what it could read and never
raises for a single bad process.
"""

from __future__ import annotations

import os
import pwd
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

PROC = "/proc"
ENV_KEYS = ("JUPYTERHUB_USER", "JUPYTERHUB_SERVER_NAME", "JPY_PARENT_PID", "NBWARDEN_KERNEL_ID",
            "KERNEL_ID", "JUPYTERHUB_CLIENT_ID", "NB_USER", "USER", "LOGNAME")
_CONN_FILE = re.compile(r"kernel-([0-9a-fA-F-]{8,})\.json")
_SITE = re.compile(r"/(?:site|dist)-packages/([A-Za-z0-9_.\-]+)")
KERNEL_MODULES = ("ipykernel_launcher", "ipykernel", "nbwarden.agent.launcher", "xeus", "IRkernel", "ijulia")
_MAX_CMDLINE = 64 << 10
_MAX_ENVIRON = 256 << 10


def _read(path: str, limit: int = 65536) -> bytes | None:
    """One read of a /proc file (the kernel fills it in one go); plain ``os`` calls, because ``open()``
    adds an fstat and a file object to every read and the agent reads three files per exec."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except (OSError, ValueError):
        return None
    try:
        return os.read(fd, limit)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_cmdline_raw(pid: int) -> bytes | None:
    """The NUL-separated command line as the kernel keeps it (the agent's cache key)."""
    return _read(f"{PROC}/{pid}/cmdline", _MAX_CMDLINE)


def split_cmdline(data: bytes) -> list[str]:
    if data.endswith(b"\0"):
        data = data[:-1]
    if not data:
        return []
    parts = data.split(b"\0")
    if len(parts) == 1 and b" " in parts[0]:
        # argv rewritten into one string (setproctitle style)
        parts = parts[0].split(b" ")
    return [p.decode("utf-8", "replace") for p in parts]


def read_cmdline(pid: int) -> list[str] | None:
    data = read_cmdline_raw(pid)
    return None if data is None else split_cmdline(data)


def comm_name(path: str) -> str:
    """The name the kernel gives a process that executes ``path`` (its comm: the base name, at most 15
    bytes)."""
    return os.path.basename(path)[:15]


def file_identity(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """(device, inode, size, mtime, ctime): what the caches of decisions about a file are keyed by.  The ctime
    is there because no user can set it: a rename, a new hard link, or a rewrite whose mtime was put back
    (``touch -d``) all change it."""
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def exe_identity(pid: int) -> tuple[int, int, int, int, int] | None:
    """:func:`file_identity` of the running executable, through ``/proc/PID/exe`` (which follows a renamed or
    deleted file)."""
    try:
        return file_identity(os.stat(f"{PROC}/{pid}/exe"))
    except OSError:
        return None


def read_exe(pid: int) -> str | None:
    try:
        return os.readlink(f"{PROC}/{pid}/exe")
    except OSError:
        return None


def read_comm(pid: int) -> str:
    data = _read(f"{PROC}/{pid}/comm", 64)
    return data.decode("utf-8", "replace").strip() if data else ""


def read_stat(pid: int) -> dict[str, Any] | None:
    """ppid, state, utime+stime (ticks), start time (ticks), session, flags from /proc/PID/stat."""
    data = _read(f"{PROC}/{pid}/stat", 4096)
    if not data:
        return None
    try:
        text = data.decode("utf-8", "replace")
        rparen = text.rindex(")")
        fields = text[rparen + 2:].split()
        return {
            "state": fields[0], "ppid": int(fields[1]), "pgrp": int(fields[2]), "session": int(fields[3]),
            "flags": int(fields[6]), "cpu_ticks": int(fields[11]) + int(fields[12]), "start": int(fields[19]),
            "comm": text[text.index("(") + 1:rparen],
        }
    except (ValueError, IndexError):
        return None


def read_uid(pid: int) -> int | None:
    try:
        return os.stat(f"{PROC}/{pid}").st_uid
    except OSError:
        return None


def read_environ(pid: int, keys: tuple[str, ...] = ENV_KEYS) -> dict[str, str]:
    data = _read(f"{PROC}/{pid}/environ", _MAX_ENVIRON)
    if not data:
        return {}
    out: dict[str, str] = {}
    wanted = set(keys)
    for item in data.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            k = key.decode("utf-8", "replace")
            if k in wanted:
                out[k] = value.decode("utf-8", "replace")
    return out


def read_cgroup(pid: int) -> dict[str, str]:
    """hierarchy name -> path; the v2 entry is under the key ``""``."""
    data = _read(f"{PROC}/{pid}/cgroup", 16384)
    out: dict[str, str] = {}
    if not data:
        return out
    for line in data.decode("utf-8", "replace").splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            out[parts[1]] = parts[2]
    return out


# kubelet's pod cgroups, one path segment: ``kubepods-burstable-pod<uid with _>.slice`` (systemd driver) or
# ``pod<uid>`` under ``kubepods/burstable`` (cgroupfs driver); static pods have a 32-hex uid.  The container
# runtime's scope (``cri-containerd-<id>.scope``, ``crio-<id>.scope``, ``docker-<id>.scope``, or the bare id)
# is the next segment.
_UID = r"[0-9a-f]{8}(?:[-_][0-9a-f]{4}){3}[-_][0-9a-f]{12}|[0-9a-f]{32}"
_POD = re.compile(rf"(?:^|/)(?:kubepods(?:-(burstable|besteffort))?-pod({_UID})\.slice|pod({_UID}))(?=/|$)")
_CONTAINER = re.compile(r"^/(?:(cri-containerd|crio|docker)-)?([0-9a-f]{64})(?:\.scope)?(?=/|$)")
_RUNTIMES = {"cri-containerd": "containerd", "crio": "cri-o", "docker": "docker"}


def pod_of(cgroups: dict[str, str]) -> dict[str, str] | None:
    """The Kubernetes pod of a process from its cgroup paths: uid, container id, QoS class, runtime.

    The cgroup v2 entry is tried first, then the v1 hierarchies.  Paths may be
    relative (``/../../kubepods-...``) when the reader runs in its own cgroup
    namespace, as a DaemonSet container on a cgroup v2 node does; the QoS class
    is then "" when the path no longer shows it.
    """
    for key in sorted(cgroups, key=lambda k: k != ""):
        path = cgroups[key]
        m = _POD.search(path)
        if m is None:
            continue
        if m.group(2):  # systemd driver: the QoS class is in the segment itself
            qos = m.group(1) or "guaranteed"
        else:
            parent = path[:m.start()].rsplit("/", 1)[-1]
            qos = parent if parent in ("burstable", "besteffort") else "guaranteed" if parent == "kubepods" else ""
        pod = {"uid": (m.group(2) or m.group(3)).replace("_", "-"), "qos": qos, "container_id": "", "runtime": ""}
        c = _CONTAINER.match(path[m.end():])
        if c is not None:
            pod["container_id"] = c.group(2)
            pod["runtime"] = _RUNTIMES.get(c.group(1) or "", "")
        return pod
    return None


def is_kernel_thread(pid: int, stat: dict | None = None) -> bool:
    if pid in (0, 2):
        return True
    stat = stat if stat is not None else read_stat(pid)
    if stat is None:
        return False
    return bool(stat["flags"] & 0x00200000) or stat["ppid"] == 2  # PF_KTHREAD


@lru_cache(maxsize=4096)
def user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


@lru_cache(maxsize=2048)
def package_of_path(path: str) -> dict[str, str] | None:
    """``.../site-packages/<pkg>/...`` -> {name, version, path}; the version from the dist-info if found."""
    m = _SITE.search(path)
    if not m:
        return None
    top = m.group(1)
    name = top[:-3] if top.endswith(".py") else top
    site = path[: m.start(1)]
    version = ""
    try:
        for entry in os.listdir(site):
            if not entry.endswith((".dist-info", ".egg-info")):
                continue
            dist = entry.rsplit(".", 1)[0]
            dname, _, dver = dist.partition("-")
            if dname.replace("-", "_").lower() == name.replace("-", "_").lower():
                version = dver
                break
            top_level = Path(site, entry, "top_level.txt")
            if top_level.is_file() and name in top_level.read_text("utf-8", "replace").split():
                version = dver
                name = dname
                break
    except OSError:
        pass
    return {"name": name, "version": version, "path": path}


@dataclass(slots=True)
class Proc:
    """One process as the agent saw it."""

    pid: int
    ppid: int = 0
    uid: int | None = None
    user: str = ""
    cmdline: list[str] = field(default_factory=list)
    exe: str | None = None
    comm: str = ""
    start: int = 0
    cpu_ticks: int = 0
    env: dict[str, str] = field(default_factory=dict)
    cgroup: dict[str, str] = field(default_factory=dict)
    kthread: bool = False

    @property
    def name(self) -> str:
        if self.cmdline:
            return os.path.basename(self.cmdline[0]) or self.comm
        return self.comm

    def brief(self) -> dict[str, Any]:
        return {"pid": self.pid, "name": self.name, "exe": self.exe, "cmdline": self.cmdline[:32], "uid": self.uid}


def snapshot(pid: int, *, full: bool = True) -> Proc | None:
    """Read a process; ``None`` if it is gone.  ``full`` adds environment and cgroup."""
    stat = read_stat(pid)
    if stat is None:
        return None
    proc = Proc(pid=pid, ppid=stat["ppid"], comm=stat["comm"], start=stat["start"], cpu_ticks=stat["cpu_ticks"])
    proc.kthread = is_kernel_thread(pid, stat)
    proc.uid = read_uid(pid)
    proc.user = user_name(proc.uid) if proc.uid is not None else ""
    if proc.kthread:
        return proc
    proc.cmdline = read_cmdline(pid) or []
    proc.exe = read_exe(pid)
    if full:
        proc.env = read_environ(pid)
        proc.cgroup = read_cgroup(pid)
    return proc


def ancestry(pid: int, limit: int = 64) -> list[Proc]:
    """The process and its ancestors, nearest first, up to pid 1 (cycle- and depth-safe)."""
    chain: list[Proc] = []
    seen: set[int] = set()
    while pid > 0 and pid not in seen and len(chain) < limit:
        seen.add(pid)
        proc = snapshot(pid, full=True)
        if proc is None:
            break
        chain.append(proc)
        pid = proc.ppid
    return chain


def kernel_of(chain: list[Proc], cgroup_root: str = "nbwarden-kernels") -> dict[str, Any] | None:
    """The Jupyter kernel this chain runs under: the nearest ancestor that is a kernel process."""
    for proc in chain:
        argv = proc.cmdline
        joined = " ".join(argv[:8])
        kid = proc.env.get("NBWARDEN_KERNEL_ID", "")
        is_kernel = any(mod in joined for mod in KERNEL_MODULES)
        m = _CONN_FILE.search(" ".join(argv))
        if is_kernel or (m and "-f" in argv):
            return {"pid": proc.pid, "kernel_id": (m.group(1) if m else kid), "cmdline": argv[:12],
                    "cgroup": proc.cgroup.get("", "")}
    for proc in chain:
        cg = proc.cgroup.get("", "")
        if f"/{cgroup_root}/" in cg:
            return {"pid": None, "kernel_id": cg.rsplit("/", 1)[-1], "cmdline": [], "cgroup": cg}
    return None


def user_of(chain: list[Proc]) -> tuple[str, str]:
    """(user, how we know): JUPYTERHUB_USER in the nearest environment, else the process owner."""
    for proc in chain:
        for key in ("JUPYTERHUB_USER", "NB_USER"):
            if proc.env.get(key):
                return proc.env[key], f"env {key} of pid {proc.pid}"
    if chain and chain[0].uid is not None:
        return chain[0].user, f"uid {chain[0].uid}"
    return "", "unknown"


def packages_in_chain(chain: list[Proc]) -> list[dict[str, str]]:
    """Python packages named by the executables or scripts of the chain (nearest first)."""
    found: list[dict[str, str]] = []
    seen: set[str] = set()
    for proc in chain:
        for text in [proc.exe or "", *proc.cmdline[:4]]:
            if "-packages/" not in text:
                continue
            pkg = package_of_path(text)
            if pkg and pkg["name"] not in seen:
                seen.add(pkg["name"])
                found.append({**pkg, "pid": proc.pid})
    return found


def describe_chain(chain: list[Proc]) -> list[dict[str, Any]]:
    return [p.brief() for p in chain]


def all_pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir(PROC) if name.isdigit()]
    except OSError:
        return []


def children_map() -> dict[int, list[int]]:
    """ppid -> [pid] for every process now."""
    out: dict[int, list[int]] = {}
    for pid in all_pids():
        stat = read_stat(pid)
        if stat is not None:
            out.setdefault(stat["ppid"], []).append(pid)
    return out


def descendants(pid: int, cmap: dict[int, list[int]] | None = None) -> list[int]:
    cmap = cmap if cmap is not None else children_map()
    out: list[int] = []
    stack = [pid]
    seen = {pid}
    while stack:
        for child in cmap.get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                out.append(child)
                stack.append(child)
    return out
