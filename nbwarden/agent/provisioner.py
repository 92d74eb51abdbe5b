"""A jupyter_client kernel provisioner that runs each kernel in its own cgroup v2.

Why: per-kernel CPU (and, where the controller is enabled, memory)
accounting, and a clean stop.  ``cgroup.kill`` ends every process in the
group, including children that escaped the kernel's process group with
``setsid`` and survive a plain kernel shutdown.

The kernel enters its cgroup *before* it execs (the launch command is wrapped
in ``sh -c 'echo $$ > CG/cgroup.procs && exec "$@"'``), so there is no window
in which it or a child is outside.  Kernels get ``NBWARDEN_KERNEL_ID`` in
their environment; the agent uses it and the cgroup path for attribution.

Select it with the kernelspec ``metadata.kernel_provisioner.provisioner_name:
nbwarden-cgroup``, ``--KernelProvisionerFactory.default_provisioner_name=nbwarden-cgroup``
or ``JUPYTER_DEFAULT_PROVISIONER_NAME``.  It needs write access to a cgroup
v2 tree (root, or a delegated subtree named with ``NBWARDEN_CGROUP_ROOT``).
Where none is writable it logs a warning and behaves as the local provisioner.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Unicode

GROUP = "nbwarden-kernels"


def cgroup2_mount() -> Path | None:
    """Where cgroup v2 is mounted: /sys/fs/cgroup (pure v2) or /sys/fs/cgroup/unified (hybrid)."""
    try:
        with open("/proc/self/mounts", encoding="utf-8") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 3 and parts[2] == "cgroup2":
                    return Path(parts[1])
    except OSError:
        pass
    return None


def kernel_cgroup_root(root: str | os.PathLike | None = None) -> Path | None:
    base = Path(root) if root else (Path(os.environ["NBWARDEN_CGROUP_ROOT"]) if os.environ.get("NBWARDEN_CGROUP_ROOT")
                                    else cgroup2_mount())
    return None if base is None else base / GROUP


def create_cgroup(root: Path, name: str) -> Path:
    root.mkdir(exist_ok=True)
    for controllers in ("+cpu +memory +pids", "+memory +pids", "+pids"):
        try:  # best effort: on hybrid hosts the controllers stay with v1
            (root.parent / "cgroup.subtree_control").write_text(controllers)
            (root / "cgroup.subtree_control").write_text(controllers)
            break
        except OSError:
            continue
    path = root / name
    path.mkdir(exist_ok=True)
    return path


def cgroup_pids(path: Path) -> list[int]:
    try:
        return [int(x) for x in (path / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def kill_cgroup(path: Path, timeout: float = 5.0) -> bool:
    """Kill every process in the cgroup (``cgroup.kill``, or SIGKILL in a loop on older kernels)."""
    if not path.is_dir():
        return True
    deadline = time.monotonic() + timeout
    killer = path / "cgroup.kill"
    while time.monotonic() < deadline:
        pids = cgroup_pids(path)
        if not pids:
            return True
        if killer.exists():
            try:
                killer.write_text("1")
            except OSError:
                pass
        else:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        time.sleep(0.02)
    return not cgroup_pids(path)


def remove_cgroup(path: Path) -> bool:
    if not path.is_dir():
        return True
    kill_cgroup(path)
    for _ in range(50):
        try:
            path.rmdir()
            return True
        except OSError:
            time.sleep(0.02)
    return False


def cgroup_usage(path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    try:
        for line in (path / "cpu.stat").read_text().splitlines():
            key, _, value = line.partition(" ")
            out[f"cpu.{key}"] = int(value)
    except (OSError, ValueError):
        pass
    for name in ("memory.current", "memory.peak", "pids.current"):
        try:
            out[name] = int((path / name).read_text().strip())
        except (OSError, ValueError):
            pass
    out["pids"] = cgroup_pids(path)
    return out


class CgroupProvisioner(LocalProvisioner):
    """LocalProvisioner + one cgroup v2 per kernel."""

    cgroup_root = Unicode("", config=True, help="cgroup v2 directory under which kernel groups are made "
                                                "(default: the cgroup2 mount, or $NBWARDEN_CGROUP_ROOT)")

    cgroup_path: Path | None = None

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        kwargs = await super().pre_launch(**kwargs)
        env = kwargs.get("env")
        if env is None:
            env = kwargs["env"] = dict(os.environ)
        env["NBWARDEN_KERNEL_ID"] = str(self.kernel_id)
        root = kernel_cgroup_root(self.cgroup_root or None)
        if root is None:
            self.log.warning("nbwarden-cgroup: no cgroup v2 mount; kernel %s runs without its own cgroup",
                             self.kernel_id)
            return kwargs
        try:
            path = create_cgroup(root, str(self.kernel_id))
        except OSError as exc:
            self.log.warning("nbwarden-cgroup: cannot create a cgroup under %s (%s); continuing without", root, exc)
            return kwargs
        self.cgroup_path = path
        env["NBWARDEN_CGROUP"] = str(path)
        kwargs["cmd"] = ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(path), *kwargs["cmd"]]
        return kwargs

    async def cleanup(self, restart: bool = False) -> None:
        if self.cgroup_path is not None:
            remove_cgroup(self.cgroup_path)
            self.cgroup_path = None
        await super().cleanup(restart=restart)

    def usage(self) -> dict[str, Any]:
        return cgroup_usage(self.cgroup_path) if self.cgroup_path else {}

    async def get_provisioner_info(self) -> dict:
        info = await super().get_provisioner_info()
        info["cgroup_path"] = str(self.cgroup_path) if self.cgroup_path else None
        return info

    async def load_provisioner_info(self, provisioner_info: dict) -> None:
        await super().load_provisioner_info(provisioner_info)
        path = provisioner_info.get("cgroup_path")
        self.cgroup_path = Path(path) if path else None
