"""The gate in a real jupyter_server with a real ipykernel, driven over the websocket protocols."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("jupyter_server")
pytest.importorskip("ipykernel")
websocket = pytest.importorskip("websocket")

from crashers import CRASHERS, MINER_RULE  # noqa: E402
from gate_support import BLOCK_CELL, V1, JupyterServer, now_stamp, wait_for, write_warn_pack  # noqa: E402

from nbwarden.ledger import Ledger  # noqa: E402

PROTOCOLS = [V1, "legacy"]
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def server(tmp_path_factory, module_ledger_url):
    """One server per backend: every test that uses it runs against SQLite and against PostgreSQL."""
    base = tmp_path_factory.mktemp("gate")
    packs = write_warn_pack(base / "packs")
    srv = JupyterServer(base, db_url=module_ledger_url, gate_config={
        "rules_dirs": [str(packs)], "warn_window_s": 60, "status_ttl_s": 0.2, "max_cell_bytes": 1_000_000,
    }, extra_args=[
        # the ladder is tested on its own (test_policy.py); here strikes must not suspend the test user
        '--Policy.ladders={"default": [{"strikes": 1000, "restrict": "ban"}]}',
    ])
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def kernel(server):
    (server.root / "work").mkdir(exist_ok=True)  # the kernel starts in the notebook's directory
    return server.start_session("work/test.ipynb")


@pytest.fixture(scope="module")
def ledger(server):
    return Ledger(server.db_url)


@pytest.fixture(params=PROTOCOLS)
def client(request, server, kernel):
    c = server.connect(kernel, request.param)
    yield c
    c.close()


def marker(server, name):
    path = server.base / "markers" / name
    path.parent.mkdir(exist_ok=True)
    return path


def write_code(path):
    return f"open({str(path)!r}, 'w').write('ran')"


def test_blocked_cell_never_runs_and_names_the_rule(server, client, ledger):
    mark = marker(server, f"blocked-{client.protocol}")
    result = client.execute(f"{BLOCK_CELL}\n{write_code(mark)}", cell_id=f"cell-{client.protocol}")
    reply = result["reply"]
    assert reply["status"] == "error"
    assert reply["ename"] == "PolicyViolation"
    errors = [m for m in result["outputs"] if m["header"]["msg_type"] == "error"]
    assert len(errors) == 1
    evalue = errors[0]["content"]["evalue"]
    assert "crypto_mining.miner-program" in evalue
    assert "cryptocurrency mining" in evalue and "stratum+tcp://pool.example:3333" in evalue
    assert "crypto_mining.miner-program" in "\n".join(errors[0]["content"]["traceback"])
    time.sleep(0.3)
    assert not mark.exists()
    rows = ledger.decisions(action="block", kind="cell", limit=20)
    row = next(r for r in rows if r["cell_id"] == f"cell-{client.protocol}")
    assert row["user"] == "alice" and row["notebook"] == "work/test.ipynb" and not row["ran"]
    assert "crypto_mining.miner-program" in row["rules"] and row["category"] == "crypto_mining"
    assert row["ref"] in evalue
    # the kernel is fine afterwards
    after = client.execute("print(6 * 7)")
    assert after["reply"]["status"] == "ok" and "42" in after["text"]


def test_blocked_cell_with_text_postgresql_refuses_is_still_blocked_and_recorded(server, client, ledger):
    """A NUL character, a lone surrogate or a 4,000-character cell id once made the ledger write fail (on
    PostgreSQL; the surrogate on SQLite too), and a failed write opened the gate: the miner ran."""
    mark = marker(server, f"nul-{client.protocol}")
    cell_id = f"{client.protocol}-" + "c" * 4000
    result = client.execute(f"{BLOCK_CELL}  # \x00 \ud800\n{write_code(mark)}", cell_id=cell_id)
    assert result["reply"]["status"] == "error" and result["reply"]["ename"] == "PolicyViolation"
    time.sleep(0.3)
    assert not mark.exists()
    row = ledger.decisions(action="block", kind="cell", limit=1)[0]
    assert row["cell_id"] == cell_id[:128] and "\\x00" in row["excerpt"] and row["ref"] in result["text"]


def test_benign_lookalike_runs(server, client, ledger):
    mark = marker(server, f"lookalike-{client.protocol}")
    code = f"# never run xmrig -o stratum+tcp://pool.example:3333 on this hub\n{write_code(mark)}\nprint('fine')"
    result = client.execute(code)
    assert result["reply"]["status"] == "ok", result["text"]
    assert "fine" in result["text"]
    assert mark.read_text() == "ran"
    row = ledger.decisions(limit=1)[0]
    assert row["action"] == "audit" and row["ran"] and row["excerpt"].startswith("# never run xmrig")


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


# jupyter_client cannot serialise a lone surrogate: stock jupyter_server drops such a request before any kernel
# (or the gate's answer) sees it, so only the engine-level tests (test_fuzz.py) carry those inputs
@pytest.mark.parametrize("line", [c for c in CRASHERS if _utf8(c)])
def test_inputs_that_used_to_crash_the_check_never_open_the_gate(server, kernel, ledger, line):
    """A miner cell wrapped with one of the inputs that once made the engine raise (and fail_mode=open run the
    cell unrecorded) is blocked with the miner's rule as the reason."""
    client = server.connect(kernel)
    try:
        mark = marker(server, f"crasher-{CRASHERS.index(line)}")
        result = client.execute(f"{BLOCK_CELL}\n{line}\n{write_code(mark)}", cell_id=f"crasher-{CRASHERS.index(line)}")
        assert result["reply"]["status"] == "error" and result["reply"]["ename"] == "PolicyViolation"
        assert MINER_RULE in result["text"]
        time.sleep(0.2)
        assert not mark.exists()
        row = next(r for r in ledger.decisions(action="block", limit=20) if r["cell_id"] == f"crasher-{CRASHERS.index(line)}")
        assert MINER_RULE in row["rules"] and row["error"] is None  # decided by the full check, no fallback
    finally:
        client.close()


def test_a_missed_deadline_decides_on_the_text_level_check_in_a_real_server(tmp_path):
    """fail_mode=closed with a deadline no check can meet: the miner is blocked by its rule, a look-alike is
    refused as unchecked, and the ledger names the failure and the code's hash."""
    with JupyterServer(tmp_path, gate_config={"fail_mode": "closed", "deadline_ms": 0.001,
                                              "inline_check_bytes": 0}) as srv:
        client = srv.connect(srv.start_session("late.ipynb"))
        ledger = Ledger(srv.db_url)
        try:
            filler = "x = [i * 2 for i in range(10)]\n" * 3000
            blocked = client.execute(f"{filler}{BLOCK_CELL}")
            assert blocked["reply"]["status"] == "error" and MINER_RULE in blocked["text"]
            row = ledger.decisions(action="block", limit=1)[0]
            assert "deadline" in row["error"] and MINER_RULE in row["rules"] and len(row["code_hash"]) == 64
            refused = client.execute(f"{filler}# xmrig is not allowed here\nprint('ran')")
            assert refused["reply"]["status"] == "error" and "fail_mode=closed" in refused["text"]
            assert "ran" not in refused["text"]
        finally:
            client.close()


def test_run_all_stops_at_a_blocked_cell(server, client):
    """Every cell sent with the blocked one is aborted, however long the gate takes to check them (it once
    checked and forwarded a later cell after the kernel had stopped aborting, and that cell ran)."""
    first = marker(server, f"first-{client.protocol}")
    later = [marker(server, f"later-{i}-{client.protocol}") for i in range(4)]
    burst = now_stamp()  # the frontend makes every request of a Run All at once
    ids = [client.execute(write_code(first), wait=False, date=burst), client.execute(BLOCK_CELL, wait=False, date=burst)]
    ids += [client.execute(f"import time\n{write_code(m)}\n" + "x = [i * 2 for i in range(9)]\n" * 400, wait=False,
                           date=burst) for m in later]
    statuses = [client.collect(msg_id)["reply"]["status"] for msg_id in ids]
    assert statuses == ["ok", "error", "aborted", "aborted", "aborted", "aborted"]
    time.sleep(0.3)
    assert first.exists() and not any(m.exists() for m in later)
    # the look-alike: a cell sent once the error has arrived runs
    after = marker(server, f"after-run-all-{client.protocol}")
    assert client.execute(write_code(after))["reply"]["status"] == "ok" and after.exists()


def test_run_all_stops_at_a_blocked_cell_even_without_stop_on_error(server, client):
    """stop_on_error=False (a cell tagged raises-exception) does not let what follows a blocked cell run."""
    later = marker(server, f"no-stop-{client.protocol}")
    burst = now_stamp()
    ids = [client.execute(BLOCK_CELL, stop_on_error=False, wait=False, date=burst),
           client.execute(write_code(later), wait=False, date=burst)]
    statuses = [client.collect(msg_id)["reply"]["status"] for msg_id in ids]
    time.sleep(0.3)
    assert statuses == ["error", "aborted"] and not later.exists()


def test_a_restart_ends_the_aborting(server):
    """A Run All stopped behind a long cell, then the kernel restarted before the blocked cell's error came back:
    the error never comes, and the cells run after the restart must not be aborted for it."""
    (server.root / "work").mkdir(exist_ok=True)
    kernel_id = server.start_session("work/restart.ipynb")
    client = server.connect(kernel_id)
    try:
        burst = now_stamp()
        client.execute("import time\ntime.sleep(60)", wait=False, date=burst)
        client.execute(BLOCK_CELL, wait=False, date=burst)
        time.sleep(1.0)
        status, _ = server.api("POST", f"/api/kernels/{kernel_id}/restart", {})
        assert status == 200
        mark = marker(server, "after-restart")
        deadline = time.monotonic() + 60
        while True:  # the new kernel may still be starting: ask until it answers
            try:
                result = client.execute(write_code(mark), timeout=10)
                break
            except TimeoutError:
                assert time.monotonic() < deadline, "no answer after the restart"
        assert result["reply"]["status"] == "ok" and mark.exists()
    finally:
        client.close()


def test_warned_cell_runs_only_on_the_second_try(server, client, ledger):
    mark = marker(server, f"warned-{client.protocol}")
    code = f"nbwarden_test_share_link = print\n{write_code(mark)}  # {client.protocol}"
    first = client.execute(code)
    assert first["reply"]["status"] == "error" and first["reply"]["ename"] == "PolicyViolation"
    assert "You may be executing code that is disallowed" in first["text"]
    assert "gatetest.share-link" in first["text"] and "Run it again" in first["text"]
    time.sleep(0.3)
    assert not mark.exists()
    second = client.execute(code)
    assert second["reply"]["status"] == "ok", second["text"]
    assert mark.read_text() == "ran"
    rows = ledger.decisions(limit=2)
    assert [r["action"] for r in rows] == ["still_run", "warn"]
    assert rows[0]["code_hash"] == rows[1]["code_hash"] and rows[0]["ran"] and not rows[1]["ran"]
    acks = ledger.acknowledgements("alice")
    assert acks[-1]["warn_decision_id"] == rows[1]["id"] and acks[-1]["decision_id"] == rows[0]["id"]


def test_percent_run_reads_the_file(server, kernel, ledger):
    client = server.connect(kernel)
    try:
        mark = marker(server, "percent-run")
        script = server.root / "work" / "miner.py"
        script.parent.mkdir(exist_ok=True)
        script.write_text(f"import subprocess\n{write_code(mark)}\n"
                          "subprocess.run(['./xmrig', '-o', 'stratum+tcp://pool.example:3333'])\n")
        result = client.execute("x = 1\n%run miner.py")
        assert result["reply"]["status"] == "error" and "%run miner.py" in result["text"]
        time.sleep(0.3)
        assert not mark.exists()
        assert ledger.decisions(limit=1)[0]["action"] == "block"
        # the same file with harmless content runs
        script.write_text(f"{write_code(mark)}\n")
        assert client.execute("%run miner.py")["reply"]["status"] == "ok"
        assert mark.exists()
    finally:
        client.close()


def test_other_messages_pass_through(server, client):
    msg_id = client.send("kernel_info_request", {})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        msg = client.recv(30)
        if msg["parent_header"].get("msg_id") == msg_id and msg["header"]["msg_type"] == "kernel_info_reply":
            assert msg["content"]["language_info"]["name"] == "python"
            break
    else:
        pytest.fail("no kernel_info_reply")
    msg_id = client.send("comm_info_request", {})
    while True:
        msg = client.recv(30)
        if msg["parent_header"].get("msg_id") == msg_id and msg["header"]["msg_type"] == "comm_info_reply":
            assert msg["content"]["status"] == "ok"
            break


def test_giant_binary_and_malformed_input_never_crash_the_server(server, kernel, ledger):
    client = server.connect(kernel)
    try:
        big = "x = 1\n" * 200_000  # 1.2 MB: over max_cell_bytes, fail_mode=open runs it and records why
        assert client.execute(big + "print('big ok')", timeout=120)["reply"]["status"] == "ok"
        row = ledger.decisions(limit=1)[0]
        assert row["error"] and "limit" in row["error"] and row["action"] == "allow"
        binary = client.execute("\x00\xff\ufffd\x01 garbage")
        assert binary["reply"]["status"] == "error"  # the kernel's SyntaxError, not a crash
        client.ws.send_binary(b"\x05\x00\x00\x00not a v1 frame at all")
        client.ws.send_binary(b"")
    finally:
        client.close()
    legacy = server.connect(kernel, "legacy")
    try:
        legacy.ws.send("{not json")
        legacy.ws.send(json.dumps({"channel": "shell", "header": {"msg_type": "execute_request", "msg_id": "m1"},
                                   "content": "a string, not an object"}))
    finally:
        legacy.close()
    assert server.proc.poll() is None
    client = server.connect(kernel)
    try:
        assert client.execute("print('still alive')")["reply"]["status"] == "ok"
    finally:
        client.close()


def _terminal(server):
    status, model = server.api("POST", "/api/terminals", {})
    assert status == 200, (status, model)
    url = f"ws://127.0.0.1:{server.port}/terminals/websocket/{model['name']}"
    ws = websocket.create_connection(url, header=[f"Authorization: token {server.token}"], timeout=30)
    return model["name"], ws


def _read_terminal(ws, until, timeout=15):
    text, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline and until not in text:
        ws.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            msg = json.loads(ws.recv())
        except websocket.WebSocketTimeoutException:
            break
        if msg[0] == "stdout":
            text += msg[1]
    return text


def _await_prompt(ws, tries=10):
    """Press Enter until the shell shows a fresh prompt.  The gate answers a blocked line with Ctrl-C, and
    the terminal driver discards input typed while it delivers that interrupt (no NOFLSH), so keys sent
    at once can be lost; a person typing the next line sees the prompt first."""
    for _ in range(tries):
        ws.send(json.dumps(["stdin", "\r"]))
        text = _read_terminal(ws, "\x00", timeout=1.0)  # everything shown within a second
        if re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).rstrip().endswith(("#", "$")):
            return
    raise AssertionError("the shell shows no prompt")


def test_blocked_terminal_command_never_executes(server, ledger):
    name, ws = _terminal(server)
    try:
        blocked, ok = marker(server, "term-blocked"), marker(server, "term-ok")
        ws.send(json.dumps(["stdin", f"touch {blocked}; ./xmrig -o stratum+tcp://pool.example:3333\r"]))
        shown = _read_terminal(ws, "crypto_mining.")
        assert "[nbwarden]" in shown and "crypto_mining" in shown
        _await_prompt(ws)
        # typed one key at a time, with a correction, as a person would
        for ch in f"touch {ok}x\x7f\r":
            ws.send(json.dumps(["stdin", ch]))
        assert wait_for(ok.exists, 15)
        time.sleep(0.5)
        assert not blocked.exists()
        row = ledger.decisions(kind="terminal", limit=5)
        assert row[-1]["action"] == "block" or any(r["action"] == "block" for r in row)
        assert any(r["notebook"] == f"terminals/{name}" and "xmrig" in r["excerpt"] for r in row)
    finally:
        ws.close()
        server.api("DELETE", f"/api/terminals/{name}")


def test_restricted_user_cannot_start_a_kernel_or_run_a_cell_until_pardoned(server, kernel, ledger):
    cli = [sys.executable, "-m", "nbwarden.cli", "ledger"]
    client = server.connect(kernel)
    mark = marker(server, "restricted")
    try:
        out = subprocess.run([*cli, "restrict", "alice", "--hours", "2", "--reason", "test restriction",
                              "--db", server.db_url], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        time.sleep(0.5)  # status_ttl_s is 0.2 in this server
        status, body = server.api("POST", "/api/sessions", {"path": "other.ipynb", "type": "notebook",
                                                            "name": "other", "kernel": {"name": "python3"}})
        assert status in (403, 500)  # the sessions API reports any kernel start error as 500
        assert body["message"].startswith("Your account is restricted") and "until" in body["message"]
        assert "example.org/acceptable-use/appeal" in body["message"]
        status, body = server.api("POST", "/api/kernels", {"name": "python3"})
        assert status == 403 and body["message"].startswith("Your account is restricted")
        result = client.execute(write_code(mark))
        assert result["reply"]["status"] == "error" and "Your account is restricted" in result["text"]
        assert "test restriction" in result["text"]
        time.sleep(0.3)
        assert not mark.exists()
        status, term = server.api("POST", "/api/terminals", {})
        assert status == 200
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(f"ws://127.0.0.1:{server.port}/terminals/websocket/{term['name']}",
                                        header=[f"Authorization: token {server.token}"], timeout=30)
        assert refused.value.status_code == 403
        server.api("DELETE", f"/api/terminals/{term['name']}")
        denied = ledger.decisions(action="deny", limit=10)
        assert {d["kind"] for d in denied} >= {"kernel_start", "cell", "terminal"}
        out = subprocess.run([*cli, "pardon", "alice", "--db", server.db_url], capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 0 and "1 restriction(s) lifted" in out.stdout
        time.sleep(0.5)
        assert client.execute(write_code(mark))["reply"]["status"] == "ok"
        assert mark.exists()
        status, body = server.api("POST", "/api/kernels", {"name": "python3"})
        assert status == 201
        server.api("DELETE", f"/api/kernels/{body['id']}")
    finally:
        client.close()
        Ledger(server.db_url).pardon("alice")


def test_reply_mode_and_terminals_off(tmp_path):
    """Reply mode (used for non-Python kernels) answers in place of the kernel; terminals can be turned off."""
    with JupyterServer(tmp_path, gate_config={"mode": "reply", "terminals": "off"}) as srv:
        client = srv.connect(srv.start_session("reply.ipynb"))
        try:
            mark = tmp_path / "reply-marker"
            result = client.execute(f"{BLOCK_CELL}\n{write_code(mark)}")
            assert result["reply"]["status"] == "error" and result["reply"]["ename"] == "PolicyViolation"
            assert "crypto_mining.miner-program" in result["text"]
            assert client.execute("print('after')")["reply"]["status"] == "ok"
            assert not mark.exists()
            # Run All: no kernel error aborts the queue here, the gate does
            later = tmp_path / "reply-later"
            burst = now_stamp()
            ids = [client.execute(BLOCK_CELL, wait=False, date=burst), client.execute(write_code(later), wait=False,
                                                                                      date=burst)]
            assert [client.collect(i)["reply"]["status"] for i in ids] == ["error", "aborted"]
            assert client.execute("print('after run all')")["reply"]["status"] == "ok"
            assert not later.exists()
        finally:
            client.close()
        status, _ = srv.api("POST", "/api/terminals", {})
        assert status == 404


def test_shell_kernel_cells_are_read_as_shell(tmp_path):
    """bash_kernel runs `xmrig -o …` with no `!` in front: a shell kernel's cells are checked as shell commands
    (read as Python they were a syntax error, and allowed).  The look-alike asks for the program and runs."""
    with JupyterServer(tmp_path) as srv:
        spec = srv.base / "data" / "kernels" / "bash"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "bash_kernel", "-f", "{connection_file}"],
            "display_name": "Bash", "language": "bash"}))
        client = srv.connect(srv.start_session("shell.ipynb", kernel="bash"))
        try:
            mark = tmp_path / "shell-marker"
            result = client.execute(f"touch {mark}\nxmrig -o stratum+tcp://pool.example:3333 -u WALLET")
            assert result["reply"]["status"] == "error" and "crypto_mining.miner-program" in result["text"]
            ok = tmp_path / "shell-ok"
            result = client.execute(f"command -v xmrig || echo 'no miner here' > {ok}")
            assert result["reply"]["status"] == "ok", result
            assert ok.read_text().strip() == "no miner here" and not mark.exists()
        finally:
            client.close()


def test_gate_that_cannot_start_refuses_code_when_fail_closed(tmp_path):
    bad = tmp_path / "badpack"
    bad.mkdir()
    (bad / "broken.yaml").write_text("pack: broken\nversion: 1\nrules: nope\n")
    with JupyterServer(tmp_path, gate_config={"rules_dirs": [str(bad)], "fail_mode": "closed"}) as srv:
        client = srv.connect(srv.start_session("x.ipynb"))
        try:
            mark = tmp_path / "closed-marker"
            result = client.execute(write_code(mark))
            assert result["reply"]["status"] == "error" and "could not start" in result["text"]
            assert "PackError" in result["text"] and not mark.exists()
        finally:
            client.close()
        assert "nbwarden gate could not start" in srv.log()


def test_enable_command_registers_the_extension(tmp_path):
    # A wheel install puts jupyter-config/nbwarden.json (disabled) into <prefix>/etc/jupyter; jupyter_server
    # 2.x only toggles extensions listed in the directory it writes, so the test lists it the same way.
    shipped = Path(__file__).resolve().parents[1] / "jupyter-config" / "nbwarden.json"
    (tmp_path / "jupyter_server_config.d").mkdir()
    (tmp_path / "jupyter_server_config.d" / "nbwarden.json").write_text(shipped.read_text())
    env = {"JUPYTER_CONFIG_DIR": str(tmp_path), "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
           "HOME": str(tmp_path)}
    jupyter = str(Path(sys.executable).parent / "jupyter")
    listed = subprocess.run([jupyter, "server", "extension", "list"], capture_output=True, text=True, env=env,
                            timeout=120)
    assert "nbwarden disabled" in _plain(listed.stdout + listed.stderr)
    out = subprocess.run([jupyter, "server", "extension", "enable", "--user", "nbwarden"], capture_output=True,
                         text=True, env=env, timeout=120)
    assert out.returncode == 0 and "Validation failed" not in out.stdout + out.stderr, out.stderr
    config = json.loads((tmp_path / "jupyter_server_config.d" / "nbwarden.json").read_text())
    assert config["ServerApp"]["jpserver_extensions"]["nbwarden"] is True
    listed = subprocess.run([jupyter, "server", "extension", "list"], capture_output=True, text=True, env=env,
                            timeout=120)
    text = _plain(listed.stdout + listed.stderr)
    assert "nbwarden enabled" in text and "nbwarden 0.1.0 OK" in text


def _plain(text):
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)
