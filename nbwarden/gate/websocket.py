"""The kernel websocket: every execute_request is checked before the kernel receives it.

The gate wraps whatever connection class the server uses (v1 binary and
legacy JSON protocols alike); blocked cells are rewritten into a statement
that raises ``PolicyViolation`` (Python kernels) or answered in the kernel's
place (others), and the kernel's traceback is replaced by the gate's message
on the way back.  Cells sent behind a stopped one before its error reached the
notebook (Run All) are aborted, as the kernel aborts its queue after an error.
"""

from __future__ import annotations

import datetime
import json
import os
import time
from dataclasses import dataclass
from typing import Any

from .decide import GateResult, NbwardenGate
from .messages import ENAME, LEADS, V1


def _json_default(obj: Any) -> Any:
    from jupyter_client.jsonutil import json_default

    return json_default(obj)


class GateMixin:
    """Mixed into the server's kernel websocket connection class at load time."""

    _nbw_gate: NbwardenGate | None = None
    _nbw_can_rewrite = True  # the base class has ZMQChannelsWebsocketConnection's _on_error hook
    _nbw_stopped: _Stopped | None = None  # the last stopped cell, while later requests may be aborted

    async def prepare(self) -> None:  # type: ignore[override]
        parent = getattr(super(), "prepare", None)
        if parent is not None:
            await parent()
        self._nbw_info = None
        gate = self._nbw_gate
        if gate is None:
            return
        try:
            self._nbw_info = await _connection_info(self, gate)
        except Exception:
            gate.log.warning("nbwarden: could not resolve the notebook of kernel %s", self.kernel_id,
                             exc_info=True)

    def handle_incoming_message(self, incoming_msg: Any) -> None:
        gate = self._nbw_gate
        if gate is None or not gate.enabled or not getattr(self, "channels", True):
            return super().handle_incoming_message(incoming_msg)  # type: ignore[misc]
        start, received = time.perf_counter(), time.time()
        if self.subprotocol == V1 and not _valid_v1(incoming_msg):
            # jupyter_server itself would loop for ages over a bogus offset count: drop it here
            gate.log.warning("nbwarden: dropped a malformed v1 kernel websocket frame")
            return None
        try:
            parsed = peek_execute_request(self, incoming_msg)
        except Exception as exc:
            if gate.fail_mode == "closed":
                gate.log.warning("nbwarden: dropped a malformed kernel message (%s)", exc)
                return None
            return super().handle_incoming_message(incoming_msg)  # type: ignore[misc]
        if parsed is None:
            return super().handle_incoming_message(incoming_msg)  # type: ignore[misc]
        if self._nbw_sent_before_the_error(parsed):
            gate.log.debug("nbwarden: aborted %s, sent before the stopped cell's error reached the notebook",
                           parsed.header.get("msg_id"))
            _abort(self, parsed)
            return None
        try:
            result = self._nbw_check(gate, parsed)
        except Exception as exc:  # the gate itself failed: never take the server down with it
            gate.log.error("nbwarden: gate error", exc_info=True)
            if gate.fail_mode == "open":
                return super().handle_incoming_message(incoming_msg)  # type: ignore[misc]
            t = gate.translator(None)
            result = GateResult(False, "block", t._(LEADS["error"]) + "\n"
                                + t.fmt("Reason: internal error {error}.", error=type(exc).__name__))
        gate.hook_ms.append((time.perf_counter() - start) * 1000)
        gate.check_ms.append(gate._last_check_ms)
        gate._last_check_ms = 0.0
        if result.run:
            return super().handle_incoming_message(incoming_msg)  # type: ignore[misc]
        self._nbw_stop(gate, parsed, result, received)
        return None

    def _nbw_check(self, gate: NbwardenGate, parsed: _Parsed) -> GateResult:
        info = getattr(self, "_nbw_info", None) or {}
        user, group = info.get("user"), info.get("group")
        if not user:
            user, group = gate.identity(getattr(self, "websocket_handler", None))
        content = parsed.content
        code = content.get("code", "")
        if not isinstance(code, str):
            code = json.dumps(code, default=str)
        metadata = parsed.metadata if isinstance(parsed.metadata, dict) else {}
        user_expressions = content.get("user_expressions")
        return gate.check_cell(code, kernel_id=self.kernel_id, notebook=info.get("path"),
                               cell_id=str(metadata.get("cellId") or "") or None, cwd=info.get("cwd"),
                               user_expressions=user_expressions if isinstance(user_expressions, dict) else None,
                               user=user, group=group, kernel_language=info.get("language"),
                               language=gate.language_of(getattr(self, "websocket_handler", None)))

    def _nbw_sent_before_the_error(self, parsed: _Parsed) -> bool:
        """Whether this request was sent before the notebook could see the last stopped cell's error.

        Run All sends every cell at once and relies on the kernel aborting its queue after an error.  The
        gate checks the cells one after the other, so a later cell could reach the kernel after it stopped
        aborting and run.  While the stopped cell's error has not gone out, every request is aborted; after,
        one whose own timestamp (on the notebook's clock, moved to the server's by the stopped request's)
        is earlier than the moment the error went out.  The first request sent later ends the aborting."""
        stopped = self._nbw_stopped
        if stopped is None:
            return False
        if stopped.shown is None:
            # a kernel restarted by the user (on_kernel_restarted hears only of automatic restarts) will never send
            # the error; after PENDING_MAX_S the stopped cell is still queued behind a long one, and the kernel
            # aborts what is queued behind it by itself
            if _kernel_run(self) is stopped.kernel and time.monotonic() - stopped.since < PENDING_MAX_S:
                return True
            self._nbw_stopped = None
            return False
        sent = _sent_at(parsed.header)
        if sent is not None and stopped.offset is not None and sent + stopped.offset <= stopped.shown:
            return True
        self._nbw_stopped = None
        return False

    def _nbw_stop(self, gate: NbwardenGate, parsed: _Parsed, result: GateResult, received: float) -> None:
        error = gate.error_content(result)
        # what was sent behind a stopped cell never runs, even with stop_on_error=False (a cell tagged
        # raises-exception): later cells tend to build on the stopped one
        sent = _sent_at(parsed.header)
        stopped = self._nbw_stopped = _Stopped(str(parsed.header.get("msg_id") or ""),
                                               None if sent is None else received - sent, _kernel_run(self),
                                               time.monotonic())
        info = getattr(self, "_nbw_info", None) or {}
        mode = gate.mode
        if mode == "auto":
            mode = "rewrite" if (info.get("language") or "python") == "python" and self._nbw_can_rewrite else "reply"
        if mode == "rewrite" and self._nbw_can_rewrite:
            msg_id = parsed.header.get("msg_id")
            original = parsed.content.get("code", "")
            content = dict(parsed.content)
            content["code"] = (f"raise type({ENAME!r}, (Exception,), {{}})"
                               f"({result.message[:2000]!r}) from None")
            content["user_expressions"] = {}
            content["stop_on_error"] = True
            if msg_id:
                gate.remember_rewrite(msg_id, original if isinstance(original, str) else "", error)
            super().handle_incoming_message(_repack(self, parsed, content))  # type: ignore[misc]
            return  # the error goes out when the kernel answers the rewritten request (_on_error)
        _reply(self, parsed, error)
        stopped.shown = time.time()

    def _on_error(self, channel: Any, msg: Any, msg_list: Any) -> None:
        parent = super()
        if hasattr(parent, "_on_error"):
            parent._on_error(channel, msg, msg_list)  # type: ignore[misc]
        gate = self._nbw_gate
        if gate is None or channel not in ("iopub", "shell"):
            return
        try:
            stopped = self._nbw_stopped
            if stopped is not None and stopped.shown is None and channel == "shell":
                parent_header = _part(self, msg, msg_list, "parent_header")
                if isinstance(parent_header, dict) and parent_header.get("msg_id") == stopped.msg_id:
                    stopped.shown = time.time()
            if gate._rewritten:
                _fix_outgoing(self, gate, channel, msg, msg_list)
        except Exception:
            gate.log.warning("nbwarden: could not rewrite an outgoing message", exc_info=True)

    def on_kernel_restarted(self) -> None:
        """A restarted kernel answers nothing it was sent before: stop aborting."""
        self._nbw_stopped = None
        parent = getattr(super(), "on_kernel_restarted", None)
        if parent is not None:
            parent()


@dataclass(slots=True)
class _Stopped:
    """A cell the gate stopped, whose error the notebook may not have seen yet."""

    msg_id: str
    offset: float | None  # the server's clock minus the request's timestamp (the way here included)
    kernel: Any  # the kernel process it was sent to (see _kernel_run)
    since: float  # when it was stopped (monotonic clock)
    shown: float | None = None  # when its error went out (server clock); None: not yet


PENDING_MAX_S = 600.0


def _kernel_run(conn: Any) -> Any:
    """What changes when the kernel restarts: its process (a local kernel's), else the provisioner."""
    try:
        provisioner = getattr(getattr(conn, "kernel_manager", None), "provisioner", None)
        return getattr(provisioner, "process", None) or provisioner
    except Exception:  # a kernel gone from the manager: nothing to tell runs apart by, the time cap still holds
        return None


def _sent_at(header: dict[str, Any]) -> float | None:
    """A request's own timestamp (the notebook's clock), in seconds, or None when it has none."""
    value = header.get("date") if isinstance(header, dict) else None
    try:
        if isinstance(value, str):
            value = datetime.datetime.fromisoformat(value)
        if isinstance(value, datetime.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=datetime.UTC)
            return value.timestamp()
    except (ValueError, OverflowError):
        pass
    return None


@dataclass(slots=True)
class _Parsed:
    channel: str
    header: dict[str, Any]
    metadata: Any
    content: dict[str, Any]
    msg_list: list[bytes] | None  # v1
    msg: dict[str, Any] | None  # legacy
    binary: bool = False


def _valid_v1(ws_msg: Any) -> bool:
    """A v1 frame whose offset table is consistent (checked before anything trusts it)."""
    if not isinstance(ws_msg, (bytes, bytearray, memoryview)):
        return False
    size = len(ws_msg)
    if size < 16:
        return False
    count = int.from_bytes(ws_msg[:8], "little")
    if count < 2 or count > 4096 or 8 * (count + 1) > size:
        return False
    previous = 8 * (count + 1)
    for i in range(count):
        offset = int.from_bytes(ws_msg[8 * (i + 1): 8 * (i + 2)], "little")
        if offset < previous or offset > size:
            return False
        previous = offset
    return True


def peek_execute_request(conn: Any, ws_msg: Any) -> _Parsed | None:
    """The execute_request in a websocket message, or None for anything else."""
    session = conn.session
    if conn.subprotocol == V1:
        from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1

        channel, msg_list = deserialize_msg_from_ws_v1(ws_msg)
        if channel != "shell":
            return None
        header = session.unpack(msg_list[0])
        if header.get("msg_type") != "execute_request":
            return None
        content = session.unpack(msg_list[3])
        if not isinstance(content, dict):
            raise ValueError("content is not an object")
        return _Parsed(channel, header, session.unpack(msg_list[2]), content, msg_list, None)
    binary = isinstance(ws_msg, bytes)
    if binary:
        from jupyter_server.services.kernels.connection.base import deserialize_binary_message

        msg = deserialize_binary_message(ws_msg)
    else:
        msg = json.loads(ws_msg)
    channel = msg.get("channel") or "shell"
    if channel != "shell":
        return None
    header = msg.get("header") or {}
    if header.get("msg_type") != "execute_request":
        return None
    content = msg.get("content")
    if not isinstance(content, dict):
        raise ValueError("content is not an object")
    return _Parsed(channel, header, msg.get("metadata"), content, None, msg, binary)


def _repack(conn: Any, parsed: _Parsed, content: dict[str, Any]) -> Any:
    if parsed.msg_list is not None:
        from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

        msg_list = list(parsed.msg_list)
        msg_list[3] = conn.session.pack(content)
        return serialize_msg_to_ws_v1(msg_list, parsed.channel)
    msg = dict(parsed.msg or {})
    msg["content"] = content
    msg["channel"] = parsed.channel
    if parsed.binary:
        from jupyter_server.services.kernels.connection.base import serialize_binary_message

        return serialize_binary_message(msg)
    return json.dumps(msg, default=_json_default)


def _reply(conn: Any, parsed: _Parsed, error: dict[str, Any]) -> None:
    """Answer like a kernel: busy, error, execute_reply(error), idle."""
    session = conn.session
    parent = parsed.header
    reply = {"status": "error", "execution_count": None, **error}
    _write(conn, [
        ("iopub", session.msg("status", {"execution_state": "busy"}, parent=parent)),
        ("iopub", session.msg("error", dict(error), parent=parent)),
        ("shell", session.msg("execute_reply", reply, parent=parent)),
        ("iopub", session.msg("status", {"execution_state": "idle"}, parent=parent)),
    ])


def _abort(conn: Any, parsed: _Parsed) -> None:
    """Answer as a kernel answers a request it aborts after an error: busy, execute_reply(aborted), idle."""
    session = conn.session
    parent = parsed.header
    status = {"status": "aborted"}
    _write(conn, [
        ("iopub", session.msg("status", {"execution_state": "busy"}, parent=parent)),
        ("shell", session.msg("execute_reply", status, parent=parent, metadata=dict(status))),
        ("iopub", session.msg("status", {"execution_state": "idle"}, parent=parent)),
    ])


def _write(conn: Any, messages: list[tuple[str, dict[str, Any]]]) -> None:
    for channel, msg in messages:
        if conn.subprotocol == V1:
            from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

            conn.write_message(serialize_msg_to_ws_v1(msg, channel, conn.session.pack), binary=True)
        else:
            msg["channel"] = channel
            conn.write_message(json.dumps(msg, default=_json_default))


def _part(conn: Any, msg: dict[str, Any], parts: list[bytes], name: str) -> Any:
    """One part of an outgoing kernel message: already parsed (legacy) or still packed (v1)."""
    if conn.subprotocol == V1:
        return conn.session.unpack(parts[("header", "parent_header", "metadata", "content").index(name)])
    return msg.get(name)


def _fix_outgoing(conn: Any, gate: NbwardenGate, channel: str, msg: dict[str, Any], parts: list[bytes]) -> None:
    """Put the gate's message in place of the kernel's traceback for a rewritten request."""
    parent = _part(conn, msg, parts, "parent_header") or {}
    entry = gate._rewritten.get(parent.get("msg_id", "")) if isinstance(parent, dict) else None
    if entry is None:
        return
    _, original, error = entry
    header = _part(conn, msg, parts, "header") or {}
    msg_type = header.get("msg_type")
    if msg_type not in ("error", "execute_reply", "execute_input"):
        return
    content = _part(conn, msg, parts, "content")
    if not isinstance(content, dict):
        return
    if msg_type == "execute_input":
        content["code"] = original
    elif msg_type == "error" or content.get("status") == "error":
        content.update(error)
    else:
        return
    if conn.subprotocol == V1:
        parts[3] = conn.session.pack(content)
    else:
        msg["content"] = content


async def _connection_info(conn: Any, gate: NbwardenGate) -> dict[str, Any]:
    handler = getattr(conn, "websocket_handler", None)
    user, group = gate.identity(handler)
    info: dict[str, Any] = {"user": user, "group": group, "path": None, "cwd": None, "language": None}
    km = conn.kernel_manager
    try:
        spec = km.kernel_spec
        info["language"] = (spec.language or "").lower() if spec is not None else None
    except Exception:
        info["language"] = None
    mkm = getattr(conn, "multi_kernel_manager", None)
    sm = handler.settings.get("session_manager") if handler is not None else None
    if sm is not None:
        for session in await sm.list_sessions():
            if (session.get("kernel") or {}).get("id") == conn.kernel_id:
                info["path"] = session.get("path")
                break
    try:
        if info["path"] and mkm is not None and hasattr(mkm, "cwd_for_path"):
            info["cwd"] = mkm.cwd_for_path(info["path"])
        elif mkm is not None:
            info["cwd"] = os.path.expanduser(mkm.root_dir)
    except Exception:
        pass
    return info


def gated_connection_class(base: type, gate: NbwardenGate) -> type:
    """``type("Nbwarden" + base.__name__, (GateMixin, base), {})`` bound to ``gate``."""
    if issubclass(base, GateMixin):
        base._nbw_gate = gate
        return base
    return type("Nbwarden" + base.__name__, (GateMixin, base),
                {"_nbw_gate": gate, "_nbw_can_rewrite": hasattr(base, "_on_error")})
