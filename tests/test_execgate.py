"""The exec gate (fanotify FAN_OPEN_EXEC_PERM): a prohibited program is denied before it runs.

Decision tests (the core engine over real files) run everywhere.  Gate tests need root and a kernel
with fanotify permission events; they mark only a tmpfs mounted for the test, never a mount the
rest of the machine uses, and they always unmount it and end the gate processes they start.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from nbwarden.agent import execgate
from nbwarden.agent.execgate import Decider, GateConfig
from nbwarden.engine import Engine

PROBE = Path(__file__).parent / "agent_programs" / "gate_probe.c"
IS_ROOT = os.geteuid() == 0
GATE_OK, GATE_WHY = execgate.available() if IS_ROOT else (False, "not root")
needs_gate = pytest.mark.skipif(not GATE_OK, reason=f"exec gate unavailable here: {GATE_WHY}")
# programs that really are what the signatures describe (Debian packages the agent tests install)
# Programs that really are prohibited tools, by the Debian package that ships them (or, for tools installed
# by hand, by name), with the category a correct recognition names.  A machine may have any of them or none:
# the signature test accepts a hit on one of these when its category is right, and fails on any other hit.
PROHIBITED_PACKAGES = {
    "openssh-server": "remote_desktop_ssh", "dropbear-bin": "remote_desktop_ssh", "x11vnc": "remote_desktop_ssh",
    "xrdp": "remote_desktop_ssh", "tigervnc-standalone-server": "remote_desktop_ssh",
    "john": "password_cracking", "hashcat": "password_cracking", "hydra": "password_cracking",
    "medusa": "password_cracking", "ncrack": "password_cracking", "aircrack-ng": "password_cracking",
    "shadowsocks-libev": "proxy_tunnel", "v2ray": "proxy_tunnel", "tor": "proxy_tunnel",
    "wireguard-tools": "proxy_tunnel", "openvpn": "proxy_tunnel",
    "aria2": "torrent_p2p", "transmission-cli": "torrent_p2p", "transmission-daemon": "torrent_p2p",
    "hping3": "dos_attack", "nginx": "web_file_hosting", "nginx-light": "web_file_hosting",
    "nginx-core": "web_file_hosting",
}
PROHIBITED_NAMES = {"ngrok": "proxy_tunnel", "cloudflared": "proxy_tunnel", "xmrig": "crypto_mining"}


def _debian_package(path: str) -> str | None:
    """The package that ships ``path`` (dpkg knows merged-/usr files by either name), or None."""
    for candidate in dict.fromkeys([path, os.path.realpath(path), path.removeprefix("/usr")]):
        result = subprocess.run(["dpkg-query", "-S", candidate], capture_output=True, text=True, check=False)
        if result.returncode == 0 and ":" in result.stdout:
            return result.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


@pytest.fixture(scope="module")
def engine():
    return Engine()


@pytest.fixture(scope="module")
def probes(tmp_path_factory):
    """The probe compiled plain (benign) and with -DMINER (a miner's strings)."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.skip("gcc not installed (scripts/setup-system installs it)")
    d = tmp_path_factory.mktemp("probes")
    out = {}
    for name, flags in (("benign", []), ("miner", ["-DMINER"])):
        out[name] = d / name
        subprocess.run([gcc, "-O1", *flags, "-o", str(out[name]), str(PROBE)], check=True, timeout=60)
    return out


def decide(engine, path: Path | str, **settings) -> execgate.Decision:
    decider = Decider(engine, GateConfig(**settings))
    fd = os.open(path, os.O_RDONLY)
    try:
        return decider.decide(fd, str(path), os.fstat(fd))
    finally:
        os.close(fd)


# ---------------------------------------------------------------------- decisions (no root needed)

def test_renamed_miner_denied_benign_lookalike_allowed(engine, probes, tmp_path):
    miner = tmp_path / "train_model"
    shutil.copy(probes["miner"], miner)
    d = decide(engine, miner)
    assert d.action == "deny" and d.category == "crypto_mining"
    assert "crypto_mining.miner-binary" in d.rules and "crypto_mining.stratum-client-binary" in d.rules
    assert "'mining algorithm'" in d.findings[0]["evidence"] and d.findings[0]["pattern"] == "signature"
    # same shape, same name, nothing to hide (it even says "data mining" and "random seed")
    benign = tmp_path / "train_model2"
    shutil.copy(probes["benign"], benign)
    d = decide(engine, benign)
    assert d.action == "allow" and d.reason == "clean" and not d.rules


def test_hash_lists_and_system_paths(engine, probes, tmp_path):
    miner = tmp_path / "m"
    shutil.copy(probes["miner"], miner)
    import hashlib

    digest = hashlib.sha256(miner.read_bytes()).hexdigest()
    assert decide(engine, miner, allow_hashes=[digest]).reason == "allow-hash"
    true = shutil.which("true")
    real = os.path.realpath(true)
    # a system path is allowed without reading it ...
    assert decide(engine, real).reason == "system-path"
    # ... unless its hash is on the deny list
    true_sha = hashlib.sha256(Path(real).read_bytes()).hexdigest()
    d = decide(engine, real, deny_hashes={true_sha: "crypto_mining"})
    assert d.action == "deny" and d.rules == ["execgate.hash-deny"] and d.category == "crypto_mining"
    # a copy of a system binary outside the system paths gets the full content check, and passes
    copy = tmp_path / "true"
    shutil.copy(real, copy)
    d = decide(engine, copy)
    assert d.action == "allow" and d.reason == "clean"
    # a hash list file: "sha256 category" lines
    hashes = tmp_path / "hashes.txt"
    hashes.write_text(f"# incident 42\n{digest} crypto_mining\n")
    cfg = GateConfig(hash_files=[str(hashes)])
    execgate.load_hash_files(cfg)
    assert cfg.deny_hashes == {digest: "crypto_mining"}


def test_published_share_link_client_allowed_other_frp_builds_denied(engine, tmp_path):
    """gradio's share link runs its own frp client: the cell policy records share links (audit), so the gate must
    not deny that client, while any other build of frp (a tunnel for its own sake) is still denied."""
    from nbwarden.agent.sharelinks import load_share_link_clients

    shipped = load_share_link_clients()
    assert shipped["c791d1f047b41ff5885772fc4bf20b797c6059bbd82abb9e31de15e55d6a57c4"] == "gradio-frpc-0.3 linux_amd64"
    frpc = tmp_path / "frpc_linux_amd64_v0.3"
    frpc.write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 64 + b" github.com/fatedier/frp/client frpc.ini "
                     b"login to server success start proxy success " + os.urandom(2000))
    import hashlib

    digest = hashlib.sha256(frpc.read_bytes()).hexdigest()
    plain = decide(engine, frpc)
    assert plain.action == "deny" and "proxy_tunnel.frp-binary" in plain.rules
    decider = Decider(engine, GateConfig())
    decider.share_link_clients = {**decider.share_link_clients, digest: "test-client linux_amd64"}
    fd = os.open(frpc, os.O_RDONLY)
    try:
        d = decider.decide(fd, str(frpc), os.fstat(fd))
        assert (d.action, d.reason, d.sha256) == ("allow", "share-link-client", digest)
        assert any("test-client" in note for note in d.notes)
        # an operator's deny list wins over the published list
        strict = Decider(engine, GateConfig(deny_hashes={digest: "proxy_tunnel"}))
        strict.share_link_clients = decider.share_link_clients
        assert strict.decide(fd, str(frpc), os.fstat(fd)).action == "deny"
    finally:
        os.close(fd)
    assert Decider(engine, GateConfig(share_link_clients=False)).share_link_clients == {}


def test_packed_binaries_follow_the_policy(engine, tmp_path):
    packed = tmp_path / "packed"
    packed.write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 200 + b"UPX!" + os.urandom(4000))
    plain = tmp_path / "plain"
    plain.write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 200 + os.urandom(4000).replace(b"UPX!", b"....."))
    d = decide(engine, packed)
    assert d.action == "report" and d.packed == "UPX" and d.rules == ["execgate.packed"]
    assert decide(engine, packed, packed="deny").action == "deny"
    assert decide(engine, packed, packed="allow").action == "allow"
    d = decide(engine, plain, packed="deny")
    assert d.action == "allow" and not d.packed


def test_shebang_scripts_are_checked_as_code(engine, tmp_path):
    bad = tmp_path / "run.sh"
    bad.write_text("#!/bin/sh\ncd /tmp && ./xmrig -o stratum+tcp://pool.supportxmr.com:3333 -u 44AFFq5kSiGBoZ4 -k\n")
    d = decide(engine, bad)
    assert d.action == "deny" and d.category == "crypto_mining"
    good = tmp_path / "train.sh"
    good.write_text("#!/bin/sh\npython train.py --epochs 3 --data /data/mining-logs\n")
    assert decide(engine, good).action == "allow"


def test_large_files_are_read_within_the_budget(engine, probes, tmp_path):
    big = tmp_path / "big"
    # miner strings in the head, 3 MiB of noise after: still found with a 1 MiB budget (head and tail)
    big.write_bytes(probes["miner"].read_bytes() + os.urandom(3 << 20))
    d = decide(engine, big, read_budget=1 << 20)
    assert d.action == "deny" and any("head and tail" in n for n in d.notes)
    noise = tmp_path / "noise"
    noise.write_bytes(b"\x7fELF" + os.urandom(3 << 20))
    assert decide(engine, noise, read_budget=1 << 20).action == "allow"


def test_no_debian_binary_matches_a_signature(engine):
    """Every ELF in /usr/bin and /usr/sbin: a block or warn finding is right only on a program that really is a
    prohibited tool (by its package, or its name for hand-installed tools) and only with that tool's category,
    whichever of them this machine happens to have."""
    checked = 0
    wrong = []
    hits: dict[str, list[str]] = {}
    for d in ("/usr/bin", "/usr/sbin"):
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as fh:
                if fh.read(4) != b"\x7fELF":
                    continue
            checked += 1
            verdict = engine.check_file(path)
            found = [f for f in verdict.findings if f.severity in ("block", "warn")]
            if not found:
                continue
            hits[name] = [f.rule for f in found]
            expected = PROHIBITED_PACKAGES.get(_debian_package(path) or "") or PROHIBITED_NAMES.get(name)
            if expected is None or any(f.category != expected for f in found):
                wrong.append((path, _debian_package(path), expected, [(f.rule, f.category) for f in found]))
    assert checked > 100
    assert not wrong, wrong
    # and the real ones are recognised by their contents, not only by their names
    expect = {"sshd": "remote_desktop_ssh.sshd-binary", "john": "password_cracking.john-binary",
              "x11vnc": "remote_desktop_ssh.vnc-server-binary", "ss-server": "proxy_tunnel.shadowsocks-binary"}
    for name, rule in expect.items():
        if shutil.which(name) or os.path.exists(f"/usr/sbin/{name}"):
            assert rule in hits.get(name, []), (name, hits.get(name))


def test_settings_and_message():
    with pytest.raises(ValueError, match="unknown exec gate setting"):
        GateConfig.from_dict({"deadline": 5})
    cfg = GateConfig.from_dict({"notebook_root": "/srv/notebooks", "paths": ["/home"]})
    assert cfg.all_paths() == ["/home", "/srv/notebooks"]
    d = {"action": "veto", "exe": "/home/ana/train_model", "category": "crypto_mining",
         "rules": ["crypto_mining.miner-binary"],
         "evidence": {"top": {"rule": "crypto_mining.miner-binary", "evidence": "train_model contains 'randomx'"}}}
    text = execgate.message(d, "A12", "https://aup.example/appeal")
    for part in ("/home/ana/train_model", "crypto_mining.miner-binary", "'randomx'", "Reference A12",
                 "https://aup.example/appeal", "Not one instruction"):
        assert part in text
    audit = execgate.message({**d, "action": "would_deny"})
    assert "audit mode" in audit and "Not one instruction" not in audit


def test_unavailable_is_said_once_and_the_agent_carries_on(tmp_path):
    """Without CAP_SYS_ADMIN (setpriv as root, or simply not root) the agent logs it once and runs on."""
    script = (
        "import json, sys, time\n"
        "from nbwarden.agent import app, config\n"
        "config.setup_logging()\n"
        "a = app.Agent(config.AgentConfig(exec_gate='on', mode='poll', sensor_dir='', gpu=False, poll_interval_s=0.2))\n"
        "a.start_background()\n"
        "ok = a.ready.wait(60)\n"
        "time.sleep(0.6)\n"
        "print(json.dumps({'ready': ok, 'gate': a.exec_gate is not None, 'alive': a._threads[-1].is_alive()}))\n"
        "a.stop()\n")
    argv = [sys.executable, "-c", script]
    if IS_ROOT:
        if shutil.which("setpriv") is None:
            pytest.skip("setpriv (util-linux) missing")
        argv = ["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin", *argv]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=str(Path(__file__).parent.parent))
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out == {"ready": True, "gate": False, "alive": True}
    said = [line for line in res.stderr.splitlines() if "exec gate unavailable" in line]
    assert len(said) == 1, res.stderr[-2000:]
    assert "CAP_SYS_ADMIN" in said[0]
    check = subprocess.run([*argv[:-2], "-m", "nbwarden.agent.execgate", "--check"], capture_output=True, text=True,
                           timeout=60, cwd=str(Path(__file__).parent.parent))
    assert check.returncode == 1 and json.loads(check.stdout)["available"] is False


# ---------------------------------------------------------------------- the gate on a real kernel (root)

@pytest.fixture
def marked_dir():
    """A tmpfs of our own: marking it can never hold an exec anywhere else on the machine."""
    d = tempfile.mkdtemp(prefix="nbw-gate-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m,mode=1777", "tmpfs", d], check=True, timeout=10)
    try:
        yield Path(d)
    finally:
        subprocess.run(["umount", "-l", d], timeout=10)
        os.rmdir(d)


class GateRun:
    """``python -m nbwarden.agent.execgate`` as a child; ended (and waited for) by close()."""

    def __init__(self, directory: Path, log_dir: Path, *extra: str) -> None:
        self.decisions = log_dir / f"decisions-{uuid.uuid4().hex[:6]}.jsonl"
        self.lines: list[dict] = []
        self.err = open(log_dir / "gate.err", "a")
        self.proc = subprocess.Popen([sys.executable, "-m", "nbwarden.agent.execgate", "--mount", str(directory),
                                      "--decisions", str(self.decisions), *extra],
                                     stdout=subprocess.PIPE, stderr=self.err, text=True)
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()
        deadline = time.monotonic() + 60
        while not any(x.get("type") == "ready" for x in self.lines):
            assert time.monotonic() < deadline and self.proc.poll() is None, "gate did not get ready"
            time.sleep(0.05)
        assert next(x for x in self.lines if x.get("type") == "ready")["mounts"] == [str(directory)]

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                self.lines.append(json.loads(line))
            except ValueError:
                pass

    def recorded(self, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.decisions.exists() and self.decisions.read_text().strip():
                return [json.loads(x) for x in self.decisions.read_text().splitlines()]
            time.sleep(0.05)
        return []

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.err.close()


@pytest.fixture
def gate(marked_dir, tmp_path):
    runs: list[GateRun] = []

    def start(*extra: str) -> GateRun:
        run = GateRun(marked_dir, tmp_path, *extra)
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.close()


def run_probe(exe: Path, marker: Path) -> int | OSError:
    try:
        return subprocess.run([str(exe), str(marker)], timeout=30).returncode
    except OSError as exc:
        return exc


@needs_gate
def test_renamed_miner_fails_with_eperm_and_never_runs(gate, marked_dir, probes, tmp_path):
    g = gate()
    miner = marked_dir / "train_model"
    shutil.copy(probes["miner"], miner)
    result = run_probe(miner, tmp_path / "miner-ran")
    assert isinstance(result, PermissionError) and result.errno == 1, result
    assert not (tmp_path / "miner-ran").exists(), "the miner ran an instruction"
    # from a shell, too (the shell's exec fails; the command cannot start)
    sh = subprocess.run(["sh", "-c", f"{miner} {tmp_path / 'miner-ran-sh'}"], capture_output=True, text=True,
                        timeout=30)
    assert sh.returncode == 126 and "not permitted" in sh.stderr
    assert not (tmp_path / "miner-ran-sh").exists()
    # the benign program of the same shape, on the same mount, runs
    benign = marked_dir / "train_model2"
    shutil.copy(probes["benign"], benign)
    assert run_probe(benign, tmp_path / "benign-ran") == 0 and (tmp_path / "benign-ran").exists()
    recs = g.recorded()
    d = next(r for r in recs if r["exe"] == str(miner))
    assert d["action"] == "veto" and d["kind"] == "exec" and d["category"] == "crypto_mining"
    assert "crypto_mining.miner-binary" in d["rules"] and d["strike"] is True
    assert d["evidence"]["wait_us"] < 1_000_000 and "train_model" in d["message"]
    assert not [r for r in recs if r["exe"] == str(benign)]


@needs_gate
def test_a_file_rewritten_in_place_with_its_mtime_put_back_is_checked_again(gate, marked_dir, probes, tmp_path):
    """The gate caches decisions by file identity. A program allowed once, then overwritten in place by a miner of
    the same size with its modification time restored (touch -d), is the same inode, size and mtime: only the
    ctime, which no user can set, tells it is another file. It must be checked again and refused."""
    g = gate()
    benign, miner = probes["benign"].read_bytes(), probes["miner"].read_bytes()
    size = max(len(benign), len(miner))  # bytes after an ELF's end are never loaded: both run padded
    tool = marked_dir / "render"
    tool.write_bytes(benign.ljust(size, b"\0"))
    tool.chmod(0o755)
    assert run_probe(tool, tmp_path / "first-ran") == 0 and (tmp_path / "first-ran").exists()
    before = tool.stat()
    time.sleep(0.05)  # a ctime tick apart
    with open(tool, "r+b") as handle:
        handle.write(miner.ljust(size, b"\0"))
    os.utime(tool, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = tool.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    result = run_probe(tool, tmp_path / "miner-ran")
    assert isinstance(result, PermissionError), result
    assert not (tmp_path / "miner-ran").exists(), "the rewritten file ran from the cached decision"
    assert any(r["exe"] == str(tool) and r["action"] == "veto" for r in g.recorded())


@needs_gate
def test_real_debian_tools_and_scripts_on_a_marked_mount(gate, marked_dir, tmp_path):
    gate()
    bindir = marked_dir / "bin"
    bindir.mkdir()
    ran = 0
    for tool, args in (("ls", ["/"]), ("gzip", ["--version"]), ("tar", ["--version"]), ("sha256sum", ["/etc/hostname"]),
                       ("openssl", ["version"]), ("git", ["--version"]), ("curl", ["--version"]),
                       ("gcc", ["--version"]), ("python3", ["-c", "print(6*7)"])):
        src = shutil.which(tool)
        if src is None:
            continue
        dst = bindir / tool
        shutil.copy(os.path.realpath(src), dst)
        res = subprocess.run([str(dst), *args], capture_output=True, timeout=60)
        assert res.returncode == 0, (tool, res.stderr[-500:])
        ran += 1
    assert ran >= 4
    good = marked_dir / "train.sh"
    good.write_text(f"#!/bin/sh\necho trained > {tmp_path / 'script-ran'}\n")
    good.chmod(0o755)
    assert subprocess.run([str(good)], timeout=30).returncode == 0 and (tmp_path / "script-ran").exists()
    bad = marked_dir / "setup.sh"
    bad.write_text(f"#!/bin/sh\necho ran > {tmp_path / 'bad-ran'}\n"
                   "./xmrig -o stratum+tcp://pool.supportxmr.com:3333 -u 44AFFq5kSiGBoZ4NMDwYtN18obc8Aem --donate-level 1\n")
    bad.chmod(0o755)
    with pytest.raises(PermissionError):
        subprocess.run([str(bad)], timeout=30)
    assert not (tmp_path / "bad-ran").exists()


@needs_gate
def test_audit_mode_records_and_denies_nothing(gate, marked_dir, probes, tmp_path):
    g = gate("--audit")
    miner = marked_dir / "train_model"
    shutil.copy(probes["miner"], miner)
    assert run_probe(miner, tmp_path / "ran") == 0 and (tmp_path / "ran").exists()
    recs = g.recorded()
    assert recs and recs[0]["action"] == "would_deny" and recs[0]["strike"] is False
    assert "audit mode" in recs[0]["message"]


@needs_gate
def test_deadline_allows_and_reports_or_denies_when_fail_closed(gate, marked_dir, probes, tmp_path):
    g = gate("--debug-delay-ms", "1500", "--deadline-ms", "150")
    benign = marked_dir / "slow_to_check"
    shutil.copy(probes["benign"], benign)
    t0 = time.monotonic()
    assert run_probe(benign, tmp_path / "ran") == 0
    assert time.monotonic() - t0 < 1.2, "the exec waited past the deadline"
    assert (tmp_path / "ran").exists()
    deadline = time.monotonic() + 10
    while not any(x.get("type") == "timeout" for x in g.lines) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(x.get("type") == "timeout" and x["answer"] == "allow" for x in g.lines)
    g.close()
    closed = gate("--debug-delay-ms", "1500", "--deadline-ms", "150", "--fail-closed")
    other = marked_dir / "slow_to_check2"
    shutil.copy(probes["benign"], other)
    with open(other, "ab") as fh:
        fh.write(b"\0new identity")
    t0 = time.monotonic()
    result = run_probe(other, tmp_path / "ran2")
    assert isinstance(result, PermissionError) and time.monotonic() - t0 < 1.2
    assert not (tmp_path / "ran2").exists()
    closed.close()


class AgentRun:
    """``nbwarden agent run`` as a process of its own, with the exec gate on the test's tmpfs only."""

    def __init__(self, directory: Path, tmp: Path, *, debug_delay_ms: float) -> None:
        import yaml

        self.log = tmp / "agent.log"
        cfg = {"exec_gate": "on", "exec_gate_settings": {"paths": [str(directory)], "debug_delay_ms": debug_delay_ms},
               "scope_env": {"NBW_TEST_SCOPE": uuid.uuid4().hex}, "mode": "poll", "poll_interval_s": 5,
               "sensor_dir": str(tmp / "sensor"), "gpu": False, "log_file": str(self.log),
               "decisions_file": str(tmp / "agent.jsonl")}
        (tmp / "agent.yaml").write_text(yaml.safe_dump(cfg))
        self.proc = subprocess.Popen([sys.executable, "-m", "nbwarden.cli", "agent", "run", "--config",
                                      str(tmp / "agent.yaml")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        self.gate_pid = None
        while self.gate_pid is None:
            assert time.monotonic() < deadline and self.proc.poll() is None, "agent's gate did not start"
            time.sleep(0.05)
            for line in (self.log.read_text().splitlines() if self.log.exists() else []):
                if '"exec gate on"' in line:
                    self.gate_pid = json.loads(line)["pid"]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


@needs_gate
@pytest.mark.parametrize("victim", ["gate", "agent"])
def test_sigkill_during_1000_parallel_execs(victim, gate, marked_dir, probes, tmp_path):
    """1,000 execs from the marked mount, in parallel; the gate (or the whole agent, whose gate child
    follows it through PR_SET_PDEATHSIG) is SIGKILLed while they are in flight."""
    agent = None
    if victim == "gate":
        target = gate("--debug-delay-ms", "30").proc
    else:
        agent = AgentRun(marked_dir, tmp_path, debug_delay_ms=30)
        target = agent.proc
    try:
        body = probes["benign"].read_bytes()
        exes = []
        for i in range(200):  # 200 distinct files: cache misses keep events in flight
            exe = marked_dir / f"job{i}"
            exe.write_bytes(body + f"\0{i}".encode())
            exe.chmod(0o755)
            exes.append(exe)
        markers = tmp_path / "markers"
        markers.mkdir()
        done = []

        def one(i: int) -> int:
            rc = subprocess.run([str(exes[i % len(exes)]), str(markers / str(i))], timeout=60).returncode
            done.append(i)
            return rc

        with ThreadPoolExecutor(max_workers=24) as pool:
            futures = [pool.submit(one, i) for i in range(1000)]
            deadline = time.monotonic() + 60
            while len(done) < 60 and time.monotonic() < deadline:
                time.sleep(0.01)
            target.send_signal(signal.SIGKILL)
            at_kill = len(done)
            results = [f.result(timeout=120) for f in futures]
        target.wait(10)
        assert 0 < at_kill < 1000
        assert results == [0] * 1000
        assert len(list(markers.iterdir())) == 1000
        if agent is not None:  # the gate child died with the agent
            deadline = time.monotonic() + 10
            while os.path.exists(f"/proc/{agent.gate_pid}") and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not os.path.exists(f"/proc/{agent.gate_pid}")
        # the mount works without the gate afterwards
        assert run_probe(exes[0], tmp_path / "after") == 0
    finally:
        if agent is not None:
            agent.close()


# ---------------------------------------------------------------------- inside the agent

def _agent(marked_dir, tmp_path, scope, **extra):
    from nbwarden.agent.app import Agent, AgentConfig

    settings = dict(exec_gate="on", exec_gate_settings={"paths": [str(marked_dir)], "deadline_ms": 500},
                    scope_env={"NBW_TEST_SCOPE": scope}, sensor_dir=str(tmp_path / "sensor"), gpu=False,
                    decisions_file=str(tmp_path / "agent.jsonl"), net_interval_s=30, rescan_interval_s=60,
                    resource_interval_s=60)
    settings.update(extra)
    agent = Agent(AgentConfig(**settings))
    agent.start_background()
    assert agent.exec_gate is not None
    assert agent.exec_gate.ready.wait(60), "gate child did not get ready"
    return agent


@needs_gate
def test_agent_gate_records_in_ledger_honours_scope_and_survives_a_frozen_child(marked_dir, probes, tmp_path):
    scope = uuid.uuid4().hex
    db = tmp_path / "ledger.sqlite"
    agent = _agent(marked_dir, tmp_path, scope, ledger_url=f"sqlite:///{db}")
    child = agent.exec_gate.proc
    try:
        miner = marked_dir / "train_model"
        shutil.copy(probes["miner"], miner)
        env = {**os.environ, "NBW_TEST_SCOPE": scope, "JUPYTERHUB_USER": "erin"}
        # through a shell: the agent runs in this test process and spares its own direct children
        res = subprocess.run(["sh", "-c", '"$0" "$1"; exit $?', str(miner), str(tmp_path / "ran")], env=env,
                             capture_output=True, text=True, timeout=30)
        assert res.returncode == 126 and "not permitted" in res.stderr
        assert not (tmp_path / "ran").exists()
        deadline = time.monotonic() + 10
        while not [d for d in agent.decisions if d.get("kind") == "exec"] and time.monotonic() < deadline:
            time.sleep(0.05)
        d = next(d for d in agent.decisions if d.get("kind") == "exec")
        assert d["action"] == "veto" and d["user"] == "erin" and d["recorded_via"] == "ledger" and d["ref"]
        from nbwarden.ledger import Ledger

        rows = Ledger(f"sqlite:///{db}").decisions(user="erin", kind="exec")
        assert rows and rows[0]["action"] == "block" and "crypto_mining.miner-binary" in rows[0]["rules"]
        # a process outside the agent's scope is not the agent's business: the gate lets it run
        other = {k: v for k, v in os.environ.items() if k != "NBW_TEST_SCOPE"}
        assert subprocess.run(["sh", "-c", '"$0" "$1"; exit $?', str(miner), str(tmp_path / "other")], env=other,
                              timeout=30).returncode == 0
        assert (tmp_path / "other").exists()
        # a frozen gate would hold every exec on its mounts: the agent notices the silence and kills it.  The child
        # is the one running now (a loaded machine may have restarted it already: that is the agent's job too)
        assert agent.exec_gate.ready.wait(30)
        child = agent.exec_gate.proc
        kills, restarts = agent.exec_gate.kills, agent.exec_gate.restarts
        agent.exec_gate.stall_kill_s = 1.5
        os.kill(child.pid, signal.SIGSTOP)
        benign = marked_dir / "fresh"
        shutil.copy(probes["benign"], benign)
        t0 = time.monotonic()
        assert subprocess.run([str(benign), str(tmp_path / "fresh")], timeout=30).returncode == 0
        assert time.monotonic() - t0 < 10 and agent.exec_gate.kills == kills + 1
        assert child.wait(10) == -signal.SIGKILL
        deadline = time.monotonic() + 30
        while not (agent.exec_gate.proc.pid != child.pid and agent.exec_gate.ready.is_set()):
            assert time.monotonic() < deadline, "gate was not restarted"
            time.sleep(0.05)
        assert agent.exec_gate.restarts == restarts + 1
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGCONT)
        agent.stop()
    assert agent.exec_gate.proc.poll() is not None


@needs_gate
def test_the_cell_is_told_file_rule_evidence_and_appeal(marked_dir, probes, tmp_path, monkeypatch):
    pytest.importorskip("ipykernel")
    pytest.importorskip("jupyter_client")
    from jupyter_client.manager import KernelManager

    from nbwarden.agent.launcher import write_kernelspec

    scope = uuid.uuid4().hex
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jp"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "rt"))
    monkeypatch.setenv("NBWARDEN_SENSOR_DIR", str(tmp_path / "sensor"))
    monkeypatch.setenv("NBW_TEST_SCOPE", scope)
    monkeypatch.setenv("JUPYTERHUB_USER", "dana")
    write_kernelspec(tmp_path / "jp" / "kernels" / "nbwgate")
    agent = _agent(marked_dir, tmp_path, scope,
                   exec_gate_settings={"paths": [str(marked_dir)], "appeal_url": "https://aup.example/appeal"})
    km = kc = None
    try:
        km = KernelManager(kernel_name="nbwgate")
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        deadline = time.monotonic() + 20
        while not agent.sensors:  # this agent's only kernel
            assert time.monotonic() < deadline, "sensor never said hello"
            time.sleep(0.05)
        miner = marked_dir / "train_model"
        shutil.copy(probes["miner"], miner)
        outputs: list[dict] = []
        reply = kc.execute_interactive(f"import subprocess\nsubprocess.run([{str(miner)!r}, {str(tmp_path / 'x')!r}])",
                                       timeout=60, output_hook=outputs.append)
        cell = reply["parent_header"]["msg_id"]
        deadline = time.monotonic() + 10  # the explanation follows the traceback by a few milliseconds
        while "appeal" not in "".join(m["content"].get("text", "") for m in outputs) and time.monotonic() < deadline:
            try:
                msg = kc.get_iopub_msg(timeout=0.2)
            except Exception:
                continue
            if msg["parent_header"].get("msg_id") == cell:
                outputs.append(msg)
        errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
        text = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
        assert errors and errors[0]["ename"] == "PermissionError", outputs
        for part in (str(miner), "crypto_mining.miner-binary", "mining algorithm", "https://aup.example/appeal", "Reference"):
            assert part.lower() in text.lower(), (part, text)
        assert not (tmp_path / "x").exists()
        d = next(d for d in agent.decisions if d.get("kind") == "exec")
        assert d["kernel"]["pid"] in agent.sensors and d["user"] == "dana"
        assert d["evidence"].get("notified") is True
    finally:
        if kc is not None:
            kc.stop_channels()
        if km is not None and km.has_kernel:
            km.shutdown_kernel(now=True)
        agent.stop()


def test_a_late_check_is_answered_by_the_executables_name(engine, tmp_path):
    """When the full check misses its deadline, the name (the text-level check of an executable) still denies a
    program named like a miner; any other name gets the default answer (fail_closed decides)."""
    # the exec'ing process: a grandchild, so neither it nor its parent is one of the agent's own
    shell = subprocess.Popen(["sh", "-c", "sleep 30 & echo $!; wait"], stdout=subprocess.PIPE, text=True)
    pid = int(shell.stdout.readline())
    try:
        gate = execgate.ExecGate(engine, GateConfig())
        late = execgate.Pending(-1, pid, time.monotonic_ns(), path=str(tmp_path / "xmrig"))
        allow, how, rules = gate._late_answer(late)
        assert not allow and how == "deny:timeout-name" and "crypto_mining.miner-program" in rules
        other = execgate.Pending(-1, pid, time.monotonic_ns(), path=str(tmp_path / "train_model"))
        assert gate._late_answer(other) == (True, "allow:timeout", [])
        closed = execgate.ExecGate(engine, GateConfig(fail_closed=True))
        assert closed._late_answer(other)[:2] == (False, "deny:timeout")
        audit = execgate.ExecGate(engine, GateConfig(mode="audit"))
        assert audit._late_answer(late)[0]  # audit mode never denies
        own = execgate.Pending(-1, os.getpid(), time.monotonic_ns(), path=str(tmp_path / "xmrig"))
        assert gate._late_answer(own)[0]  # the agent's own execs are exempt
    finally:
        os.kill(pid, signal.SIGKILL)
        shell.wait(timeout=10)
