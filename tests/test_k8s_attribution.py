"""Attribution in Kubernetes pods, with real cgroups named the way kubelet names them.

On a node, each user pod's processes live in
``kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid with _>.slice/cri-containerd-<id>.scope``
(systemd cgroup driver), and KubeSpawner puts ``JUPYTERHUB_USER`` in the container's environment.
These tests create that hierarchy under the host's cgroup v2 mount, move real processes into it, and
check what the agent records: the user, the pod uid and the container id, in its decision and in the
ledger; and that the usage it reports (``report_usage``, the cluster's quota source) reaches the hub's
quota code.  Root only; the cgroups are removed at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from agent_support import Procs, decisions_for, needs_root, proc_connector_ok, wait_for

from nbwarden.agent import processes
from nbwarden.agent.app import Agent, AgentConfig
from nbwarden.agent.provisioner import cgroup2_mount

needs_proc_connector = pytest.mark.skipif(os.geteuid() == 0 and not proc_connector_ok(),
                                          reason="proc connector unavailable")
U = "1f2e3d4c-5b6a-4978-8c9d-0e1f2a3b4c5d"
S = U.replace("-", "_")
C = "0123456789abcdef" * 4


@pytest.mark.parametrize("path, pod", [
    (f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{S}.slice/cri-containerd-{C}.scope",
     {"uid": U, "qos": "burstable", "container_id": C, "runtime": "containerd"}),
    (f"/kubepods.slice/kubepods-pod{S}.slice/crio-{C}.scope",
     {"uid": U, "qos": "guaranteed", "container_id": C, "runtime": "cri-o"}),
    (f"/kubepods/besteffort/pod{U}/{C}", {"uid": U, "qos": "besteffort", "container_id": C, "runtime": ""}),
    (f"/kubepods/pod{U}/{C}", {"uid": U, "qos": "guaranteed", "container_id": C, "runtime": ""}),
    (f"/../../kubepods-burstable-pod{S}.slice/cri-containerd-{C}.scope",
     {"uid": U, "qos": "burstable", "container_id": C, "runtime": "containerd"}),
    (f"/../pod{U}/{C}", {"uid": U, "qos": "", "container_id": C, "runtime": ""}),
    (f"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{S}.slice",
     {"uid": U, "qos": "besteffort", "container_id": "", "runtime": ""}),
    (f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{'e' * 32}.slice/docker-{C}.scope",
     {"uid": "e" * 32, "qos": "burstable", "container_id": C, "runtime": "docker"}),
    ("/user.slice/user-1000.slice/session-2.scope", None),
    (f"/system.slice/mypod{S}.slice", None),
    ("/nbwarden-kernels/3f0c", None),
])
def test_pod_of_kubelet_cgroup_names(path, pod):
    """kubelet's systemd and cgroupfs drivers, the three runtimes, static pods, relative paths, non-pods."""
    assert processes.pod_of({"": path}) == pod


def test_pod_of_prefers_v2_then_reads_v1():
    """Hybrid nodes: the v2 entry first; a v1-only node's pod is found in its named hierarchies."""
    v1 = f"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{S}.slice/docker-{C}.scope"
    assert processes.pod_of({"": "/", "name=systemd": v1})["uid"] == U
    other = "2" * 8 + "-2222-2222-2222-" + "2" * 12
    assert processes.pod_of({"": f"/kubepods/pod{other}/{C}", "name=systemd": v1})["uid"] == other


def _writable_v2() -> Path | None:
    root = cgroup2_mount()
    if root is None or not os.access(root / "cgroup.procs", os.W_OK):
        return None
    return root


class KubeCgroups:
    """Pod and container cgroups with kubelet's systemd-driver names; only what it created is removed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.created: list[Path] = []

    def container(self, qos: str = "burstable") -> tuple[Path, str, str]:
        """(cgroup dir, pod uid, container id) of a new container in a new pod of class ``qos``."""
        uid = str(uuid.uuid4())
        cid = uuid.uuid4().hex + uuid.uuid4().hex
        systemd_uid = uid.replace("-", "_")
        parts = ["kubepods.slice"]
        if qos == "guaranteed":
            parts.append(f"kubepods-pod{systemd_uid}.slice")
        else:
            parts += [f"kubepods-{qos}.slice", f"kubepods-{qos}-pod{systemd_uid}.slice"]
        parts.append(f"cri-containerd-{cid}.scope")
        path = self.root
        for part in parts:
            path = path / part
            if not path.exists():
                path.mkdir()
                self.created.append(path)
        return path, uid, cid

    def close(self) -> None:
        for path in reversed(self.created):
            procs = path / "cgroup.procs"
            for pid in (procs.read_text().split() if procs.exists() else []):
                try:
                    os.kill(int(pid), 9)
                except OSError:
                    pass
            for _ in range(100):  # a killed process leaves its cgroup once it is reaped
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


@pytest.fixture
def kube():
    root = _writable_v2()
    if root is None:
        pytest.skip("no writable cgroup v2 mount (needs root on a host with cgroup v2)")
    k = KubeCgroups(root)
    yield k
    k.close()
    assert not any(p.exists() for p in k.created), "test cgroups left behind"


@pytest.fixture
def scope():
    return uuid.uuid4().hex


@pytest.fixture
def agents():
    started: list[Agent] = []
    yield started
    for agent in started:
        agent.stop()


def in_cgroup(cgroup: Path, *argv: str) -> list[str]:
    """The argv that enters ``cgroup`` and then execs ``argv``, as a container runtime starts a pod's process."""
    return ["sh", "-c", f'echo $$ > {cgroup}/cgroup.procs && exec "$@"', "sh", *argv]


def enter_cgroup(cgroup: Path):
    """A ``preexec_fn`` that moves the child into ``cgroup`` before it execs.

    The child's first exec is then the program itself, so no wrapper whose
    argv names a miner can be killed before it has entered the pod's cgroup.
    """
    def enter() -> None:
        (cgroup / "cgroup.procs").write_text("0")
    return enter


@needs_root
@needs_proc_connector
def test_pod_and_user_of_a_killed_process(kube, scope, agents, tmp_path):
    """A miner in a user pod is killed; the decision and the ledger row name the user, the pod and the container."""
    db = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    agent = Agent(AgentConfig(scope_env={"NBW_TEST_SCOPE": scope}, sensor_dir=str(tmp_path / "sensor"),
                              ledger_url=db, rescan_interval_s=30, resource_interval_s=30, gpu=False))
    agents.append(agent)
    agent.start_background()
    assert agent.ready.wait(60)
    cgroup, pod_uid, container_id = kube.container("burstable")
    miner = tmp_path / "xmrig"  # a long sleep under a miner's name: killed at exec by the name rule
    shutil.copy(shutil.which("sleep"), miner)
    procs = Procs({"NBW_TEST_SCOPE": scope, "JUPYTERHUB_USER": "alice"})
    try:
        p = procs.start([str(miner), "30"], preexec_fn=enter_cgroup(Path(cgroup)))
        assert p.wait(timeout=10) == -9
    finally:
        procs.close()
    d = wait_for(lambda: (decisions_for(agent, p.pid, action="kill") or [None])[0], 10)
    assert d is not None, list(agent.decisions)
    assert d["user"] == "alice" and d["user_source"].startswith("env JUPYTERHUB_USER")
    assert d["pod"] == {"uid": pod_uid, "qos": "burstable", "container_id": container_id, "runtime": "containerd"}
    assert f"kubepods-burstable-pod{pod_uid.replace('-', '_')}.slice" in d["evidence"]["cgroup"][""]

    from nbwarden.ledger import Ledger

    row = Ledger(db).get_decision(d["ref"])
    assert row["user"] == "alice" and row["action"] == "block"
    assert row["server"] == f"pod/{pod_uid}"
    assert row["findings"][0]["pod"]["container_id"] == container_id


@needs_root
def test_pod_seen_from_the_agents_own_cgroup_namespace(kube, tmp_path):
    """A DaemonSet container on a cgroup v2 node has its own cgroup namespace: paths come back relative."""
    user_cg, pod_uid, container_id = kube.container("besteffort")
    agent_cg, _agent_uid, _ = kube.container("burstable")
    user = subprocess.Popen(in_cgroup(user_cg, "sleep", "30"), env={**os.environ, "JUPYTERHUB_USER": "bob"})
    try:
        assert wait_for(lambda: str(user.pid) in (user_cg / "cgroup.procs").read_text().split(), 5)
        probe = ("import json, sys; from nbwarden.agent import processes as p; "
                 "cg = p.read_cgroup(int(sys.argv[1])); print(json.dumps([cg.get(''), p.pod_of(cg)]))")
        out = subprocess.run(in_cgroup(agent_cg, "unshare", "--cgroup", sys.executable, "-c", probe, str(user.pid)),
                             capture_output=True, text=True, timeout=30, cwd=Path(__file__).parents[1])
        if out.returncode != 0 and "unshare" in out.stderr:
            pytest.skip(f"cannot create a cgroup namespace here: {out.stderr.strip()}")
        path, pod = json.loads(out.stdout)
        assert path.startswith("/../"), path  # the namespace is in effect
        assert pod == {"uid": pod_uid, "qos": "besteffort", "container_id": container_id, "runtime": "containerd"}
    finally:
        user.kill()
        user.wait()


@needs_root
@needs_proc_connector
def test_usage_reported_by_the_agent_feeds_the_hub_quotas(kube, scope, agents, tmp_path):
    """On a cluster the agents are the quota source: their samples are what the hub's quota code reads."""
    from nbwarden.hub.models import HubStore
    from nbwarden.hub.quotas import Quotas
    from nbwarden.ledger import Ledger

    db = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    user = f"k8s-{uuid.uuid4().hex[:8]}"  # unique: other suites on this host may run JupyterHub users
    agent = Agent(AgentConfig(scope_env={"NBW_TEST_SCOPE": scope}, sensor_dir=str(tmp_path / "sensor"),
                              ledger_url=db, report_usage=True, rescan_interval_s=30, resource_interval_s=0.5,
                              gpu=False))
    agents.append(agent)
    agent.start_background()
    assert agent.ready.wait(60)
    time.sleep(1.2)  # the sampler's first pass is a baseline; a process started after it counts whole
    cgroup, _pod_uid, _cid = kube.container("guaranteed")
    # 2 s of CPU time, however long the shared machine makes that take; the sampler may miss the last interval
    busy = subprocess.Popen(in_cgroup(cgroup, sys.executable, "-c", "import time\n"
                                      "while time.process_time() < 2.0: pass"),
                            env={**os.environ, "NBW_TEST_SCOPE": scope, "JUPYTERHUB_USER": user})
    assert busy.wait(timeout=60) == 0
    store = HubStore(Ledger(db))
    assert wait_for(lambda: store.usage(user, 0)[0] >= 1.0, 10), store.usage(user, 0)
    with sqlite3.connect(tmp_path / "ledger.sqlite") as con:
        sources = {s for (s,) in con.execute("SELECT DISTINCT source FROM hub_usage_samples WHERE user = ?", (user,))}
    assert sources and all(s.startswith("agent:") for s in sources), sources
    quotas = Quotas(groups={"free": {"cpu_hours": 1.0 / 3600, "window_hours": 1}}, order=["free"])
    state = quotas.state(store, user, ["free"])
    assert state.exhausted() == ["cpu_hours"], state.to_dict()  # 1 CPU-second limit, about 2 s used


@needs_root
@needs_proc_connector
def test_sensor_in_a_pod_reaches_the_agent_through_a_read_only_mount(kube, scope, agents, tmp_path):
    """As config.yaml mounts it: the node's /run/nbwarden read-only in the pod's own mount namespace.

    The kernel's sensor sends to the agent's socket there (sending works on a read-only mount), cannot
    create its reply socket (so no notices come back: README, known gaps), and the agent records the
    sensor's veto with the pod it came from."""
    host_dir = tmp_path / "node-run"
    agent = Agent(AgentConfig(scope_env={"NBW_TEST_SCOPE": scope}, sensor_dir=str(host_dir), rescan_interval_s=30,
                              resource_interval_s=30, gpu=False))
    agents.append(agent)
    agent.start_background()
    assert agent.ready.wait(60)
    pod_dir = Path(tempfile.mkdtemp(prefix="nbw-pod-"))
    cgroup, pod_uid, container_id = kube.container("burstable")
    kernel_id = uuid.uuid4().hex
    # the miner's name only in the environment: the agent reads command lines and scripts, and would kill this
    # process itself before its sensor had anything to veto
    code = (f"import json, os, subprocess, time\nfrom nbwarden.agent.sensor import install\n"
            f"s = install(directory={str(pod_dir)!r}, kernel_id={kernel_id!r})\n"
            "s.engine_ready.wait(120)\n"  # its engine loads in the background (3 s of patience by default)
            "try:\n    subprocess.run([os.environ['MINER'], '-o', os.environ['POOL']])\n"
            "except PermissionError as exc:\n    print('vetoed', exc)\n"
            "time.sleep(0.5)\nprint(json.dumps({'reply': s.reply_path, 'sent': s.sent}))\n")
    pod = f"mount --bind {host_dir} {pod_dir} && mount -o remount,bind,ro {pod_dir} && exec \"$@\""
    try:
        res = subprocess.run(in_cgroup(cgroup, "unshare", "--mount", "--propagation", "private", "sh", "-c", pod, "sh",
                                       sys.executable, "-c", code),
                             env={**os.environ, "NBW_TEST_SCOPE": scope, "JUPYTERHUB_USER": "carol",
                                  "MINER": "xmrig", "POOL": "stratum+tcp://127.0.0.1:3333"},
                             capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[1])
    finally:
        pod_dir.rmdir()
    assert res.returncode == 0, res.stderr[-3000:]
    assert "vetoed nbwarden" in res.stdout
    state = json.loads(res.stdout.strip().splitlines()[-1])
    assert state["reply"] == "" and state["sent"] >= 2  # no reply socket on a read-only mount; hello and the veto
    hello = wait_for(lambda: next((s for s in agent.sensors.values() if s.get("kernel_id") == kernel_id), None), 10)
    assert hello is not None and hello["verified"] is True and hello["reply"] == ""
    d = wait_for(lambda: next((d for d in agent.decisions if d["kind"] == "sensor"
                               and d["kernel"]["kernel_id"] == kernel_id), None), 10)
    assert d is not None and d["action"] == "veto" and d["category"] == "crypto_mining"
    assert d["user"] == "carol"
    assert d["pod"] == {"uid": pod_uid, "qos": "burstable", "container_id": container_id, "runtime": "containerd"}
