"""SIGKILL the server in the middle of a burst of gated cells: every answered decision is in the ledger."""

from __future__ import annotations

import re
import threading
import time
import uuid

import pytest

pytest.importorskip("jupyter_server")
pytest.importorskip("websocket")

from gate_support import BLOCK_CELL, JupyterServer  # noqa: E402
from pg_support import plain_query  # noqa: E402

from nbwarden.engine import code_hash  # noqa: E402
from nbwarden.ledger import Ledger  # noqa: E402

pytestmark = pytest.mark.timeout(300)
BURST = 400
KILL_AFTER = 20


def test_sigkill_mid_burst_loses_no_answered_decision(tmp_path, ledger_url):
    server = JupyterServer(tmp_path, db_url=ledger_url, extra_args=['--Policy.ladders={"default": [{"strikes": 100000, "restrict": "ban"}]}'])
    server.start()
    try:
        kernel = server.start_session("crash.ipynb")
        client = server.connect(kernel)
        cells: dict[str, str] = {}
        stop = threading.Event()

        def send_burst():  # keeps sending while the server is killed
            for i in range(BURST):
                if stop.is_set():
                    return
                code = f"{BLOCK_CELL}  # burst {i}"
                msg_id = uuid.uuid4().hex
                cells[msg_id] = code
                try:
                    client.send("execute_request", {"code": code, "silent": False, "store_history": True,
                                                    "user_expressions": {}, "allow_stdin": False,
                                                    "stop_on_error": False}, msg_id=msg_id)
                except Exception:
                    return
                time.sleep(0.005)

        sender = threading.Thread(target=send_burst, daemon=True)
        sender.start()
        answered: dict[str, str | None] = {}  # the blocked cells' answers: each has its decision
        deadline = time.monotonic() + 120
        while len(answered) < KILL_AFTER and time.monotonic() < deadline:
            msg = client.recv(60)
            parent = msg.get("parent_header", {}).get("msg_id")
            if msg["header"]["msg_type"] == "execute_reply" and parent in cells:
                # what was sent behind a blocked cell is aborted unchecked: an answer, but no decision
                assert msg["content"]["status"] in ("error", "aborted")
                if msg["content"]["status"] == "aborted":
                    continue
                found = re.search(r"Reference ([0-9a-f]{12})", msg["content"].get("evalue", ""))
                answered[parent] = found.group(1) if found else None
        assert len(answered) >= KILL_AFTER
        server.kill()  # SIGKILL while the rest of the burst is in flight
        stop.set()
        sender.join(10)
        client.ws.close()

        if ledger_url.startswith("sqlite"):
            assert plain_query(ledger_url, "pragma integrity_check") == [("ok",)]
        ledger = Ledger(server.db_url)  # reopens and re-checks the schema after the crash
        rows = {r["ref"]: r for r in ledger.decisions(limit=None)}
        hashes = {r["code_hash"] for r in rows.values()}
        for msg_id, ref in answered.items():
            assert code_hash(cells[msg_id]) in hashes, f"answered decision for {msg_id} lost"
            if ref is not None:
                assert rows[ref]["code_hash"] == code_hash(cells[msg_id]) and rows[ref]["action"] == "block"
        assert any(ref for ref in answered.values())
        assert len(ledger.strikes("alice")) == len(rows)  # decision and strike committed together
        assert len(answered) <= len(rows) < BURST  # killed in the middle of the burst

        # the server comes back on the same ledger and keeps recording
        restarted = JupyterServer(tmp_path, db_url=ledger_url, extra_args=server.extra_args)
        restarted.start()
        try:
            client = restarted.connect(restarted.start_session("again.ipynb"))
            assert client.execute(BLOCK_CELL)["reply"]["status"] == "error"
            client.close()
            assert len(Ledger(restarted.db_url).decisions(limit=None)) == len(rows) + 1
        finally:
            restarted.stop()
    finally:
        server.stop()
