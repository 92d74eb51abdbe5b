"""Agent pieces that need neither root nor real programs: parsing, classification, config, recording,
the NVML-absent GPU path, the sensor's veto and its package attribution."""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from agent_support import wait_for

from nbwarden.agent import actions, network, procconn, processes
from nbwarden.agent.app import Agent, AgentConfig
from nbwarden.agent.classify import Assessment, Classifier, Signatures
from nbwarden.agent.recorder import Recorder
from nbwarden.agent.resources import CpuTracker, Gpu


@pytest.fixture(scope="module")
def classifier():
    return Classifier()


def _msg(what: int, body: bytes) -> bytes:
    ev = struct.pack("=IIQ", what, 0, 123456789) + body
    cn = struct.pack("=IIIIHH", 1, 1, 7, 0, len(ev), 0)
    return struct.pack("=IHHII", 16 + len(cn) + len(ev), 3, 0, 0, 0) + cn + ev


def test_procconn_parses_exec_exit_and_skips_bad_data():
    out: list = []
    procconn.parse_into(_msg(procconn.PROC_EVENT_EXEC, struct.pack("=ii", 42, 42)), out)
    procconn.parse_into(_msg(procconn.PROC_EVENT_EXIT, struct.pack("=iiII", 42, 42, 0, 9)), out)
    procconn.parse_into(_msg(procconn.PROC_EVENT_EXEC, struct.pack("=ii", 43, 41)), out)  # a thread: ignored
    procconn.parse_into(b"\xff" * 7, out)  # too short
    procconn.parse_into(struct.pack("=IHHII", 9999, 3, 0, 0, 0) + b"\0" * 40, out)  # length beyond the data
    assert [type(e).__name__ for e in out] == ["Exec", "Exit"]
    assert out[0].pid == 42 and out[0].ts_ns == 123456789


def test_network_table_parsing_and_classification():
    text = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 00000000:08AE 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 1001 1\n"
        "   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 1002 1\n"
        "   2: 0100007F:9C40 0100007F:0D05 01 00000000:00000000 00:00000000 00000000  1000 0 1003 1\n"
        "   3: garbage\n"
    )
    socks = network.parse_table(text, "tcp")
    assert [(s.local, s.state) for s in socks][:2] == [(("0.0.0.0", 2222), "0A"), (("127.0.0.1", 8080), "0A")]
    scanner = network.NetScanner(Signatures())
    found = scanner.classify(network.ProcNet(1, None, socks))
    rules = {f.rule: f for f in found}
    assert rules["agent.net.listen.remote_desktop_ssh"].severity == "block"  # 0.0.0.0:2222
    assert "agent.net.pool-port" in rules  # 127.0.0.1 -> 3333
    assert not any("8080" in f.evidence for f in found)  # loopback listener: kernel-internal, fine


def test_network_fanout_threshold():
    scanner = network.NetScanner(Signatures(), network.NetConfig(fanout_destinations=5))
    socks = [network.Sock("tcp", ("10.0.0.2", 40000 + i), (f"198.51.100.{i}", 443), "01", 1000, i)
             for i in range(5)]
    assert not scanner.classify(network.ProcNet(7, None, socks), now=100.0)
    socks.append(network.Sock("tcp", ("10.0.0.2", 40100), ("198.51.100.77", 443), "01", 1000, 99))
    found = scanner.classify(network.ProcNet(7, None, socks), now=101.0)
    assert [f.rule for f in found] == ["agent.net.fanout"]
    # many connections to ONE destination (parallel downloads) is not fan-out
    scanner2 = network.NetScanner(Signatures(), network.NetConfig(fanout_destinations=5))
    same = [network.Sock("tcp", ("10.0.0.2", 41000 + i), ("198.51.100.9", 443), "01", 1000, i) for i in range(40)]
    assert not scanner2.classify(network.ProcNet(8, None, same), now=100.0)


def test_egress_ruleset_text():
    text = network.egress_ruleset([443, 80, 9418], (1000, 60000))
    assert "meta skuid != 1000-60000 accept" in text
    assert "tcp dport { 80, 443, 9418 } accept" in text
    assert "add @blocked" in text


def test_binary_signature_on_a_file(classifier, tmp_path):
    path = tmp_path / "blob"
    path.write_bytes(os.urandom(3000) + b"...mining.subscribe...mining.authorize...stratum+tcp://x..." + os.urandom(100))
    findings, digest, complete = classifier._scan_file(str(path), path.stat().st_size, str(path))
    assert complete and len(digest) == 64
    assert {f.rule for f in findings} >= {"crypto_mining.stratum-client-binary"}  # a pack signature rule
    assert all(f.source == "binary" for f in findings)
    benign = tmp_path / "benign"
    benign.write_bytes(b"hello world, only one hit: xmrig")
    assert not classifier._scan_file(str(benign), benign.stat().st_size, str(benign))[0]


def test_published_share_link_client_keeps_its_name_findings_but_not_frps_signature(classifier, tmp_path):
    """gradio's share link runs its own build of frp's client: the classifier, like the exec gate, lets that build
    (known by its published SHA-256) carry frp's signature; another frp build with the same strings is found."""
    frpc = tmp_path / "frpc"
    frpc.write_bytes(os.urandom(2000) + b" github.com/fatedier/frp/client frpc.ini login to server success "
                     b"start proxy success " + os.urandom(100))
    findings, digest, _ = classifier._scan_file(str(frpc), frpc.stat().st_size, str(frpc))
    assert "proxy_tunnel.frp-binary" in {f.rule for f in findings}
    assert classifier.share_link_clients  # the shipped list is read by default
    listed = Classifier(classifier.engine, classifier.sigs)
    listed.share_link_clients = {digest: "test-client linux_amd64"}
    kept, _, _ = listed._scan_file(str(frpc), frpc.stat().st_size, str(frpc))
    assert not [f for f in kept if f.source == "binary"]
    assert Classifier(classifier.engine, classifier.sigs, share_link_clients=False).share_link_clients == {}


def test_a_process_that_exec_d_again_is_not_scanned_under_the_first_files_identity(classifier, tmp_path):
    """The identity is read at the exec event and the file scanned later; a wrapper (ip netns exec, env, a shell)
    that has exec'd a miner by then must not have the miner's findings cached under its own identity, or every
    later run of the wrapper would be killed as mining. The miner itself, under its own identity, is found."""
    sleep = shutil.which("sleep")
    miner = tmp_path / "worker"
    miner.write_bytes(Path(sleep).read_bytes() + b"...mining.subscribe...mining.authorize...stratum+tcp://x...")
    miner.chmod(0o755)
    wrapper_identity = processes.file_identity(os.stat(sleep))
    fresh = Classifier(classifier.engine, classifier.sigs)
    p = subprocess.Popen([str(miner), "30"])
    try:
        assert wait_for(lambda: processes.read_exe(p.pid) == str(miner))
        assert fresh.binary_findings(p.pid, sleep, wrapper_identity) == []  # not the file the identity names
        real = subprocess.Popen([sleep, "30"])
        try:
            assert wait_for(lambda: processes.read_exe(real.pid) == os.path.realpath(sleep))
            assert not fresh.binary_findings(real.pid, sleep, processes.exe_identity(real.pid))
        finally:
            real.kill()
            real.wait()
        found = fresh.binary_findings(p.pid, str(miner), processes.exe_identity(p.pid))
        assert {f.rule for f in found} >= {"crypto_mining.stratum-client-binary"}
    finally:
        p.kill()
        p.wait()


def test_name_and_cmdline_classification(classifier):
    # argv[0] lies ("train"), the executable and comm tell the truth
    found = classifier.name_findings(["train", "-m", "0"], "/opt/x/hashcat", comm="hashcat")
    assert found and found[0].category == "password_cracking" and found[0].source == "name"
    assert not classifier.name_findings(["train"], "/usr/bin/python3", comm="python3")
    a = Assessment(classifier.cmdline_findings(["xmrig", "-o", "stratum+tcp://pool.example:3333"], None))
    assert a.action == "block" and a.category == "crypto_mining"
    assert Assessment(classifier.cmdline_findings(["python", "train.py", "--epochs", "3"], None)).action == "allow"


def test_allowed_exec_cache_keys_and_exclusions():
    """Repeated execs are answered from a cache of allowed (command line, executable identity) pairs; a
    changed file misses, and scripts and processes whose name says something else are never cached."""
    c = Classifier()
    sleep_id = (8, 100, 35000, 1, 2)
    c.remember_allowed(b"/bin/sleep\x0030\x00", sleep_id, 1, ["/bin/sleep", "30"], "/usr/bin/sleep", "sleep")
    assert c.known_allowed(b"/bin/sleep\x0030\x00", sleep_id)
    assert not c.known_allowed(b"/bin/sleep\x0031\x00", sleep_id)                # another command line
    assert not c.known_allowed(b"/bin/sleep\x0030\x00", (8, 100, 35000, 1, 3))   # renamed or re-linked (ctime)
    assert not c.known_allowed(b"/bin/sleep\x0030\x00", (8, 100, 40000, 5, 5))   # replaced content
    assert not c.known_allowed(b"/bin/sleep\x0030\x00", None)
    python_id = (8, 200, 6000000, 1, 1)
    c.remember_allowed(b"python3\x00train.py\x00", python_id, 1, ["python3", "train.py"], "/usr/bin/python3.11",
                       "python3")
    assert not c.known_allowed(b"python3\x00train.py\x00", python_id)  # the script can change
    c.remember_allowed(b"python3\x00-c\x00pass\x00", python_id, 1, ["python3", "-c", "pass"],
                       "/usr/bin/python3.11", "python3")
    assert c.known_allowed(b"python3\x00-c\x00pass\x00", python_id)
    c.remember_allowed(b"python3\x00-V\x00", python_id, 1, ["python3", "-V"], "/usr/bin/python3.11", "xmrig")
    assert not c.known_allowed(b"python3\x00-V\x00", python_id)  # run through a symlink named otherwise


def test_processes_package_and_attribution(tmp_path):
    site = tmp_path / "lib" / "python3.11" / "site-packages"
    (site / "ultralytics").mkdir(parents=True)
    (site / "ultralytics-8.3.41.dist-info").mkdir()
    pkg = processes.package_of_path(str(site / "ultralytics" / "utils" / "x.py"))
    assert pkg["name"] == "ultralytics" and pkg["version"] == "8.3.41"
    chain = processes.ancestry(os.getpid())
    assert chain[0].pid == os.getpid() and chain[-1].pid >= 1
    user, how = processes.user_of(chain)
    assert user


def test_guard_never_targets_init_self_or_parents():
    guard = actions.Guard()
    guard.refresh()
    assert guard.protected(processes.snapshot(1) or processes.Proc(pid=1)) == "self-or-init"
    assert guard.protected(processes.snapshot(os.getpid())) == "self-or-init"
    assert guard.protected(processes.snapshot(os.getppid())) == "self-or-init"
    kthread = processes.Proc(pid=99999, kthread=True)
    assert guard.protected(kthread) == "kernel-thread"
    g2 = actions.Guard(allow_paths=("/usr/bin/",), own={1})
    assert g2.protected(processes.Proc(pid=5000, exe="/usr/bin/python3")) == "allow-listed path"


def test_kill_tree_refuses_a_reused_pid():
    p = subprocess.Popen(["sleep", "30"])
    try:
        start = processes.read_stat(p.pid)["start"]
        res = actions.kill_tree(p.pid, start + 1)  # wrong start time: a different process
        assert res.gone and not res.killed and p.poll() is None
        res = actions.kill_tree(p.pid, start)
        assert res.killed == [p.pid]
        assert p.wait(timeout=5) == -9
    finally:
        p.kill()


def test_config_load_and_unknown_keys(tmp_path):
    path = tmp_path / "agent.yaml"
    path.write_text("agent:\n  dry_run: true\n  network: {fanout_destinations: 30}\n")
    cfg = AgentConfig.load(path)
    assert cfg.dry_run and cfg.network["fanout_destinations"] == 30
    path.write_text("dry_rnu: true\n")
    with pytest.raises(ValueError, match="dry_rnu"):
        AgentConfig.load(path)


def test_gpu_absent_is_skipped_cleanly(monkeypatch):
    gpu = Gpu()  # no NVIDIA driver on this machine (or no GPU): must say why and do nothing
    if gpu.available:
        pytest.skip("a GPU is present: the NVML-absent path is exercised below with the module hidden")
    status = gpu.sample()
    assert not status.available and status.reason and status.processes == []
    monkeypatch.setitem(sys.modules, "pynvml", None)  # nvidia-ml-py not installed
    gpu2 = Gpu()
    assert not gpu2.available and "not installed" in gpu2.reason
    assert gpu2.sample().available is False


def test_agent_resource_scan_without_gpu(classifier, tmp_path):
    agent = Agent(AgentConfig(sensor_dir="", gpu=True), classifier=classifier)
    agent.resource_scan()
    agent.resource_scan()
    if agent.gpu is not None and not agent.gpu.available:
        assert agent.gpu_status["available"] is False
    assert isinstance(agent.cpu.rates, dict)


def test_cpu_tracker_flags_only_sustained_use():
    tracker = CpuTracker()
    pid = os.getpid()
    tracker.sample([pid], now=0.0)
    assert tracker.findings(pid) == []
    f = tracker.findings(pid)
    assert all(x.severity == "audit" for x in f)


def test_recorder_jsonl(tmp_path):
    rec = Recorder(None, str(tmp_path / "d.jsonl"))
    out = rec.record({"action": "kill", "user": "alice", "category": "crypto_mining", "rules": ["r"], "pid": 5})
    assert out["via"] == "jsonl"
    line = json.loads((tmp_path / "d.jsonl").read_text())
    assert line["pid"] == 5 and line["ref"] == out["ref"]


def test_recorder_ledger_strikes_users_not_dependencies(tmp_path):
    pytest.importorskip("sqlalchemy")
    try:
        from nbwarden.ledger import Ledger  # noqa: F401
    except ImportError:
        pytest.skip("ledger not available")
    rec = Recorder(f"sqlite:///{tmp_path / 'l.sqlite'}", str(tmp_path / "d.jsonl"))
    if rec.ledger is None:
        pytest.skip(rec.ledger_error)
    base = {"action": "kill", "category": "crypto_mining", "severity": "block", "rules": ["crypto_mining.miner-binary"],
            "cmdline": ["xmrig"], "evidence": {"chain": []}}
    first = rec.record({**base, "user": "bob", "strike": True})
    assert first["via"] == "ledger" and first["strike_count"] == 1
    dep = rec.record({**base, "user": "carol", "strike": False, "attribution": "dependency"})
    assert dep["strike_count"] == 0
    assert rec.ledger.strikes("carol") == []
    assert len(rec.ledger.strikes("bob")) == 1


def _listen(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(0.5)
    return sock


def _drain(sock, until: float = 10.0):
    msgs = []
    deadline = time.monotonic() + until
    while time.monotonic() < deadline:
        try:
            msgs.append(json.loads(sock.recv(65536)))
        except TimeoutError:
            if msgs:
                break
    return msgs


def test_sensor_vetoes_decoded_code_and_blocked_commands(tmp_path):
    sock = _listen(tmp_path / "agent.sock")
    import base64

    payload = base64.b64encode(b"import subprocess\nsubprocess.run(['xmrig','-o','stratum+tcp://p.example:3333'])")
    (tmp_path / "cell.py").write_text(
        "import base64, subprocess, os\n"
        "try:\n"
        f"    exec(base64.b64decode({payload.decode()!r}))\n"
        "except PermissionError as e: print('VETO-EXEC', e)\n"
        "try:\n"
        "    os.system('xmrig -o stratum+tcp://pool.example:3333')\n"
        "except PermissionError as e: print('VETO-SYSTEM')\n"
        "subprocess.run(['true'])\n"
        "open(os.path.join(os.environ['TMPD'], 'inswapper_128.onnx'), 'w').close()\n"
        "print('DONE')\n")
    res = subprocess.run([sys.executable, "-m", "nbwarden.agent.launcher", "--sensor-dir", str(tmp_path), "-m", "cell"],
                         capture_output=True, text=True, timeout=120,
                         # a loaded machine can take longer than the default 3 s to load the rules, and code
                         # that runs before they are there is not checked: that is not what this test is about
                         env={**os.environ, "PYTHONPATH": str(tmp_path), "TMPD": str(tmp_path),
                              "NBWARDEN_SENSOR_ENGINE_WAIT": "90"})
    assert "VETO-EXEC" in res.stdout and "crypto_mining" in res.stdout
    assert "VETO-SYSTEM" in res.stdout and "DONE" in res.stdout, res.stderr
    msgs = _drain(sock)
    kinds = [m["type"] for m in msgs]
    assert kinds[0] == "hello"
    assert any(m["type"] == "compile" and m["vetoed"] for m in msgs)
    assert any(m["type"] == "subprocess" and m.get("shell") and m["vetoed"] for m in msgs)
    assert any(m["type"] == "subprocess" and m["argv"] == ["true"] and not m["vetoed"] for m in msgs)
    assert any(m["type"] == "open" and m["category"] == "deepfake" for m in msgs)


def test_sensor_attributes_subprocess_to_package(tmp_path):
    sock = _listen(tmp_path / "agent.sock")
    site = tmp_path / "site-packages"
    (site / "ultralytics").mkdir(parents=True)
    (site / "ultralytics-8.3.41.dist-info").mkdir()
    (site / "ultralytics" / "__init__.py").write_text(
        "import subprocess\ndef train():\n    subprocess.run(['true', 'worker'])\n")
    (tmp_path / "nb.py").write_text("import ultralytics\nultralytics.train()\n")
    subprocess.run([sys.executable, "-m", "nbwarden.agent.launcher", "--sensor-dir", str(tmp_path), "--no-veto",
                    "-m", "nb"], check=True, timeout=60, env={**os.environ, "PYTHONPATH": f"{tmp_path}:{site}"})
    msgs = [m for m in _drain(sock) if m["type"] == "subprocess"]
    assert any((m.get("package") or {}).get("name") == "ultralytics" and m["package"]["version"] == "8.3.41"
               for m in msgs), msgs


QUIESCE = """
import atexit, json, sys, threading
registered = []
atexit.register = lambda f, *a, **k: registered.append(f) or f
from nbwarden.agent.sensor import Sensor
sensor = Sensor(directory=sys.argv[1], veto=False)
sensor.start()
with sensor._queue_cv:  # a module to check, as an import would queue it
    sensor._queue.append(("import", "xmrig_helper"))
    sensor._queue_cv.notify_all()
worker = next(t for t in threading.enumerate() if t.name == "nbwarden-sensor-worker")
for f in registered:
    f()
worker.join(timeout=5)
print(json.dumps({"engine_ready": sensor.engine_ready.is_set(), "worker_alive": worker.is_alive()}))
"""


def test_at_exit_the_sensor_stops_its_threads_outside_the_engine(tmp_path):
    """A daemon thread that the interpreter's shutdown stops inside RE2's C++ code aborts the process (a kernel
    exited with SIGABRT). At exit the sensor lets the rules finish loading and its worker finish the check it is in;
    the worker then ends, so nothing of the sensor runs while the interpreter finalises. (In a child process: the
    sensor installs an audit hook, which cannot be removed.)"""
    sock = _listen(tmp_path / "agent.sock")
    out = subprocess.run([sys.executable, "-c", QUIESCE, str(tmp_path)], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    sock.close()
    assert out.returncode == 0, out.stderr[-2000:]
    state = json.loads(out.stdout.strip().splitlines()[-1])
    assert state["engine_ready"] and not state["worker_alive"], state


def test_cli_agent_status_and_kernelspec(tmp_path):
    from nbwarden.cli import main

    assert main(["agent", "kernelspec", str(tmp_path / "ks")]) == 0
    spec = json.loads((tmp_path / "ks" / "kernel.json").read_text())
    assert spec["argv"][1:5] == ["-m", "nbwarden.agent.launcher", "-m", "ipykernel_launcher"]
    assert main(["agent", "status"]) == 0


def test_a_failed_engine_step_is_recorded_and_the_text_level_verdict_still_acts(monkeypatch):
    """The engine never raises; when a step fails, the agent still gets the text-level findings (a miner is
    still a miner) plus an audit finding that carries the failure and a hash of the input."""
    from nbwarden import shell

    def broken(*args, **kwargs):
        raise RuntimeError("injected parser bug")

    monkeypatch.setattr(shell, "parse_argv", broken)
    classifier = Classifier()
    found = classifier.cmdline_findings(["./xmrig", "-o", "stratum+tcp://pool.example:3333"], None)
    rules = {f.rule: f for f in found}
    assert "crypto_mining.miner-program" in rules and rules["crypto_mining.miner-program"].severity == "block"
    failure = rules["agent.engine-error"]
    assert failure.severity == "audit" and "injected parser bug" in failure.evidence and "sha256" in failure.evidence
    benign = classifier.cmdline_findings(["python3", "train.py", "--epochs", "3", "--out", "https://]x"], None)
    assert all(f.severity == "audit" for f in benign)  # the look-alike: nothing to act on, the failure is noted
