"""Real Jupyter kernels: the cgroup provisioner (accounting, cgroup.kill of escaped children) and the
agent explaining a kill inside the cell that caused it.  Root only (cgroup v2 writes, proc connector)."""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

import pytest
from agent_support import compile_program, needs_root, proc_connector_ok, wait_for

pytest.importorskip("ipykernel")
pytest.importorskip("jupyter_client")

from jupyter_client.manager import KernelManager  # noqa: E402

from nbwarden.agent.app import Agent, AgentConfig  # noqa: E402
from nbwarden.agent.launcher import write_kernelspec  # noqa: E402
from nbwarden.agent.provisioner import cgroup2_mount  # noqa: E402

pytestmark = [needs_root]


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    if cgroup2_mount() is None:
        pytest.skip("no cgroup v2 mount")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jp"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "rt"))
    monkeypatch.setenv("NBWARDEN_SENSOR_DIR", str(tmp_path / "sensor"))
    scope = uuid.uuid4().hex
    monkeypatch.setenv("NBW_TEST_SCOPE", scope)
    monkeypatch.setenv("JUPYTERHUB_USER", "dana")
    write_kernelspec(tmp_path / "jp" / "kernels" / "nbw", provisioner="nbwarden-cgroup")
    managers = []

    def start():
        km = KernelManager(kernel_name="nbw")
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        managers.append((km, kc))
        return km, kc

    start.scope = scope
    yield start
    for km, kc in managers:
        kc.stop_channels()
        if km.has_kernel:
            km.shutdown_kernel(now=True)


def run_cell(kc, code, timeout=30):
    outputs = []
    kc.execute_interactive(code, timeout=timeout, output_hook=outputs.append)
    return outputs


def test_provisioner_accounts_and_kills_escaped_children(kernel):
    km, kc = kernel()
    path = km.provisioner.cgroup_path
    assert path is not None and path.is_dir()
    out = run_cell(kc, "import subprocess, os\n"
                       "p = subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
                       "t = __import__('time').time()\nwhile __import__('time').time() - t < 0.5: pass\n"
                       "print(p.pid, os.environ.get('NBWARDEN_KERNEL_ID'))")
    text = "".join(m["content"].get("text", "") for m in out if m["msg_type"] == "stream")
    child, kid = text.split()
    child = int(child)
    assert kid == km.kernel_id
    assert f"nbwarden-kernels/{km.kernel_id}" in Path(f"/proc/{child}/cgroup").read_text()
    usage = km.provisioner.usage()
    assert usage["cpu.usage_usec"] > 300_000 and child in usage["pids"]
    km.shutdown_kernel(now=False)
    assert wait_for(lambda: not os.path.exists(f"/proc/{child}"), 10), "escaped child survived shutdown"
    assert not path.exists()


def test_kill_is_explained_in_the_cell(kernel, tmp_path):
    if not proc_connector_ok():
        pytest.skip("proc connector unavailable")
    bins = tmp_path / "bins"
    bins.mkdir()
    miner = tmp_path / "fastcache"
    shutil.copy(compile_program("fake_miner", bins), miner)
    agent = Agent(AgentConfig(scope_env={"NBW_TEST_SCOPE": kernel.scope}, sensor_dir=os.environ["NBWARDEN_SENSOR_DIR"],
                              net_interval_s=1, gpu=False))
    agent.start_background()
    try:
        assert agent.ready.wait(60)
        km, kc = kernel()
        assert wait_for(lambda: any(s.get("kernel_id") == km.kernel_id for s in agent.sensors.values()), 15)
        out = run_cell(kc, f"import subprocess\nsubprocess.run([{str(miner)!r}, '-t', '20'])\n"
                           "import time\nfor _ in range(100): time.sleep(0.05)\n")
        errors = [m["content"] for m in out if m["msg_type"] == "error"]
        streams = "".join(m["content"].get("text", "") for m in out if m["msg_type"] == "stream")
        assert errors and errors[0]["ename"] == "PolicyViolation", (out, streams)
        assert "nbwarden stopped process" in streams and "cryptocurrency mining" in streams and "Reference " in streams
        d = next(d for d in agent.decisions if d["action"] == "kill")
        assert d["kernel"]["kernel_id"] == km.kernel_id and d["user"] == "dana"
        assert d["evidence"]["kernel_action"].get("notified") is True
        # the kernel is still usable afterwards
        out = run_cell(kc, "print(6 * 7)")
        assert "42" in json.dumps([m["content"] for m in out])
    finally:
        agent.stop()
    time.sleep(0.1)


def test_cell_naming_a_blocked_program_gets_a_reply(kernel):
    """The cell's own text is the gate's to judge: the sensor vetoes what the cell runs, and the kernel replies
    (IPython compiles every cell once as "<>" to look for top-level await; a veto there left the cell hanging)."""
    _km, kc = kernel()
    reply = kc.execute_interactive("import subprocess\nsubprocess.run(['xmrig', '-o', 'stratum+tcp://127.0.0.1:3333'])",
                                   timeout=30)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "PermissionError"
    assert "crypto_mining" in reply["content"]["evalue"]
    out = run_cell(kc, "print(6 * 7)")
    assert "42" in json.dumps([m["content"] for m in out])
