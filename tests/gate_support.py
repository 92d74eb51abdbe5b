"""A real jupyter_server with the gate, and a small kernel-protocol client, for the gate tests.

Nothing here mocks Jupyter: the server is ``python -m jupyter_server`` on
127.0.0.1 with a free port, the kernel is a real ipykernel, and the client
speaks the websocket protocols (v1 binary and legacy JSON) itself.  Every wait
is bounded and :meth:`JupyterServer.stop` kills the server, its kernels and
its terminals even after a SIGKILL.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import websocket  # websocket-client
from http_support import json_request

V1 = "v1.kernel.websocket.jupyter.org"
BLOCK_CELL = "!./xmrig -o stratum+tcp://pool.example:3333"

WARN_PACK = """\
pack: gatetest
version: 1.0.0
category: web_file_hosting
description: A private pack for the gate tests.
rules:
  - id: gatetest.share-link
    severity: warn
    description: Publishes a public share link for a local web UI.
    references: ["https://example.org/gate-tests"]
    patterns:
      - literal: nbwarden_test_share_link
    examples:
      match: ["nbwarden_test_share_link()"]
      no_match: ["print(1)"]
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_warn_pack(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "gatetest.yaml").write_text(WARN_PACK)
    return directory



def now_stamp() -> str:
    """A message header's date, as Jupyter clients write it."""
    return datetime.datetime.now(datetime.UTC).isoformat()

class JupyterServer:
    """``python -m jupyter_server`` in temp dirs, optionally with the gate enabled."""

    def __init__(self, base: Path, *, gate: bool = True, gate_config: dict[str, Any] | None = None,
                 env: dict[str, str] | None = None, extra_args: list[str] | None = None, lab: bool = False,
                 db_url: str | None = None):
        self.base = Path(base)
        self.root = self.base / "root"
        self.runtime = self.base / "runtime"
        self.db_url = db_url or f"sqlite:///{self.base / 'ledger.sqlite'}"
        self.port = free_port()
        self.token = uuid.uuid4().hex
        self.gate = gate
        self.gate_config = gate_config or {}
        self.env = env or {}
        self.extra_args = extra_args or []
        self.lab = lab
        self.proc: subprocess.Popen | None = None
        self.log_path = self.base / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> JupyterServer:
        for d in (self.root, self.runtime, self.base / "config", self.base / "data"):
            d.mkdir(parents=True, exist_ok=True)
        config: dict[str, Any] = {
            "ServerApp": {"jpserver_extensions": {"nbwarden": self.gate, "jupyterlab": self.lab,
                                                  "notebook": False, "jupyter_lsp": False,
                                                  "notebook_shim": False, "nbclassic": False}},
            "NbwardenGate": {"db_url": self.db_url, **self.gate_config},
        }
        (self.base / "config" / "jupyter_server_config.json").write_text(json.dumps(config))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NBWARDEN"))}
        env.update({
            "JUPYTER_CONFIG_DIR": str(self.base / "config"), "JUPYTER_DATA_DIR": str(self.base / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.runtime), "JUPYTER_PLATFORM_DIRS": "1",
            "JUPYTERHUB_USER": "alice", "PYTHONUNBUFFERED": "1", "HOME": str(self.base),
            "SHELL": "/bin/bash",
        })
        env.update(self.env)
        args = [sys.executable, "-m", "jupyter_server" if not self.lab else "jupyterlab",
                "--no-browser", f"--port={self.port}", "--ServerApp.port_retries=0", "--ip=127.0.0.1",
                f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
                "--ServerApp.disable_check_xsrf=True", *self.extra_args]
        if os.getuid() == 0:
            args.append("--allow-root")
        self.log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(args, stdout=self.log_file, stderr=subprocess.STDOUT, env=env,
                                     cwd=self.base, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter server exited {self.proc.returncode}:\n{self.log()[-4000:]}")
            try:
                status, _ = self.api("GET", "/api/status", timeout=2)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"jupyter server did not start in {timeout} s:\n{self.log()[-4000:]}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def api(self, method: str, path: str, body: Any = None, timeout: float = 30) -> tuple[int, Any]:
        return json_request(self.url + path, method, body, self.token, timeout)

    def start_session(self, path: str = "test.ipynb", kernel: str = "python3") -> str:
        status, model = self.api("POST", "/api/sessions", {"path": path, "type": "notebook", "name": path,
                                                            "kernel": {"name": kernel}})
        assert status == 201, (status, model)
        return model["kernel"]["id"]

    def connect(self, kernel_id: str, protocol: str = V1, headers: list[str] | None = None) -> KernelClient:
        return KernelClient(self, kernel_id, protocol, headers=headers)

    def kill(self) -> None:
        """SIGKILL the server, as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        _kill_matching(str(self.runtime))  # kernels started in their own session
        _kill_matching(str(self.base))
        if getattr(self, "log_file", None):
            self.log_file.close()

    def __enter__(self) -> JupyterServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _kill_matching(needle: str) -> None:
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = b""
            if needle not in cmdline:
                environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in cmdline or needle.encode() in environ:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


# ---------------------------------------------------------------------------- protocol


def pack_v1(channel: str, parts: list[bytes]) -> bytes:
    chan = channel.encode()
    offsets = [8 * (1 + 1 + len(parts) + 1)]
    offsets.append(offsets[-1] + len(chan))
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    head = len(offsets).to_bytes(8, "little") + b"".join(o.to_bytes(8, "little") for o in offsets)
    return head + chan + b"".join(parts)


def unpack_v1(data: bytes) -> dict[str, Any]:
    count = int.from_bytes(data[:8], "little")
    offsets = [int.from_bytes(data[8 * (i + 1): 8 * (i + 2)], "little") for i in range(count)]
    channel = data[offsets[0]:offsets[1]].decode()
    parts = [data[offsets[i]:offsets[i + 1]] for i in range(1, count - 1)]
    msg = {k: json.loads(parts[i]) for i, k in enumerate(("header", "parent_header", "metadata", "content"))}
    msg["channel"] = channel
    return msg


class KernelClient:
    """Just enough of the kernel websocket protocol to run cells and read the answers."""

    def __init__(self, server: JupyterServer, kernel_id: str, protocol: str = V1, timeout: float = 60,
                 headers: list[str] | None = None):
        self.protocol = protocol
        self.session = uuid.uuid4().hex
        url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?session_id={self.session}"
        self.ws = websocket.create_connection(url, header=[f"Authorization: token {server.token}", *(headers or [])],
                                              subprotocols=[V1] if protocol == V1 else None, timeout=timeout)
        self.timeout = timeout
        self.inbox: dict[str, list[dict[str, Any]]] = {}  # messages that arrived while waiting for another request

    def close(self) -> None:
        self.ws.close()

    def send(self, msg_type: str, content: dict[str, Any], channel: str = "shell",
             metadata: dict[str, Any] | None = None, msg_id: str | None = None, date: str | None = None) -> str:
        """``date``: the header's timestamp, now by default; a Run All stamps its requests with the moment the
        frontend made them all (one turn of JupyterLab's event loop), which a loaded test machine would spread."""
        msg_id = msg_id or uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": msg_type, "username": "test", "session": self.session,
                  "date": date or now_stamp(), "version": "5.3"}
        if self.protocol == V1:
            parts = [json.dumps(x).encode() for x in (header, {}, metadata or {}, content)]
            self.ws.send_binary(pack_v1(channel, parts))
        else:
            self.ws.send(json.dumps({"header": header, "parent_header": {}, "metadata": metadata or {},
                                     "content": content, "channel": channel, "buffers": []}))
        return msg_id

    def recv(self, timeout: float | None = None) -> dict[str, Any]:
        self.ws.settimeout(timeout or self.timeout)
        data = self.ws.recv()
        if isinstance(data, bytes):
            return unpack_v1(data)
        return json.loads(data)

    def execute(self, code: str, *, stop_on_error: bool = True, cell_id: str | None = None,
                wait: bool = True, timeout: float | None = None, date: str | None = None,
                **content: Any) -> str | dict[str, Any]:
        msg_id = self.send("execute_request", {"code": code, "silent": False, "store_history": True,
                                               "user_expressions": {}, "allow_stdin": False,
                                               "stop_on_error": stop_on_error, **content},
                           metadata={"cellId": cell_id} if cell_id else None, date=date)
        return self.collect(msg_id, timeout) if wait else msg_id

    def collect(self, msg_id: str, timeout: float | None = None) -> dict[str, Any]:
        """Messages for one request until its reply and idle status have both arrived."""
        deadline = time.monotonic() + (timeout or self.timeout)
        reply, outputs, idle = None, [], False
        waiting = self.inbox.pop(msg_id, [])  # shell and iopub interleave: later requests' messages come early
        while not (reply is not None and idle):
            if waiting:
                msg = waiting.pop(0)
            elif time.monotonic() < deadline:
                try:
                    msg = self.recv(max(0.1, deadline - time.monotonic()))
                except websocket.WebSocketTimeoutException:
                    break
            else:
                break
            parent = msg.get("parent_header", {}).get("msg_id")
            if parent != msg_id:
                if parent:
                    self.inbox.setdefault(parent, []).append(msg)
                continue
            kind = msg["header"]["msg_type"]
            if kind == "execute_reply":
                reply = msg["content"]
            elif kind == "status":
                idle = msg["content"].get("execution_state") == "idle"
            elif kind in ("stream", "error", "execute_result", "display_data"):
                outputs.append(msg)
        if reply is None or not idle:
            raise TimeoutError(f"no complete answer to {msg_id}")
        return {"reply": reply, "outputs": outputs, "text": _outputs_text(outputs)}


def _outputs_text(outputs: list[dict[str, Any]]) -> str:
    chunks = []
    for msg in outputs:
        content = msg["content"]
        if msg["header"]["msg_type"] == "stream":
            chunks.append(content.get("text", ""))
        elif msg["header"]["msg_type"] == "error":
            chunks.append(f"{content.get('ename')}: {content.get('evalue')}")
        else:
            chunks.append(json.dumps(content.get("data", {})))
    return "".join(chunks)


def wait_for(predicate: Any, timeout: float = 10.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
