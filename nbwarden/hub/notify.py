"""User-server extension: show the hub's notices under the running cell, or under the next one.

Enabled next to the gate (``jpserver_extensions={"nbwarden": true,
"nbwarden.hub.notify": true}``; :func:`nbwarden.hub.hooks.configure` does it).
It wraps the kernel websocket connection class (whatever the gate left there)
to remember each connection's last ``execute_request``, and polls the ledger
for new notices for ``$JUPYTERHUB_USER``.  Each notice goes to every open
notebook of the user as an iopub ``stream`` (stderr) message whose parent is
that last request, so every frontend prints it under the running (or last)
cell.  The kernel is not involved: a busy loop does not delay the message.

Notices marked ``next_cell`` (the answer to an appeal) wait for the user instead:
they go under the next cell the user runs, in whichever notebook, and are then
marked delivered in the ledger.  Those not yet delivered when the server starts
(the answer came while it was stopped) are picked up too, up to a week old.

Nothing here changes what runs; the gate decides that.
"""

from __future__ import annotations

import json
import os
import time
import weakref
from typing import Any

V1 = "v1.kernel.websocket.jupyter.org"
NEXT_CELL_MAX_AGE_S = 7 * 86400.0
_connections: weakref.WeakSet = weakref.WeakSet()
_poller: NoticePoller | None = None  # set when the extension loads


class NoticeMixin:
    """Mixed into the kernel websocket connection class."""

    _nbw_last_request: dict[str, Any] | None = None

    async def connect(self) -> Any:  # type: ignore[override]
        result = await super().connect()  # type: ignore[misc]
        _connections.add(self)
        return result

    def handle_incoming_message(self, incoming_msg: Any) -> None:
        try:
            from ..gate import peek_execute_request

            parsed = peek_execute_request(self, incoming_msg)
            if parsed is not None:
                self._nbw_last_request = parsed.header
                _connections.add(self)
        except Exception:
            parsed = None
        result = super().handle_incoming_message(incoming_msg)  # type: ignore[misc]
        if parsed is not None and _poller is not None and _poller.pending:
            _poller.deliver_pending(self)
        return result

    def nbw_send_notice(self, text: str, stream: str = "stderr") -> None:
        """``stream``: ``stderr`` (red in JupyterLab: warnings) or ``stdout`` (good news, an appeal granted)."""
        session = self.session  # type: ignore[attr-defined]
        parent = self._nbw_last_request or {}
        msg = session.msg("stream", {"name": stream, "text": text}, parent=parent)
        if getattr(self, "subprotocol", None) == V1:
            from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

            self.write_message(serialize_msg_to_ws_v1(msg, "iopub", session.pack), binary=True)  # type: ignore[attr-defined]
        else:
            from jupyter_client.jsonutil import json_default

            msg["channel"] = "iopub"
            self.write_message(json.dumps(msg, default=json_default))  # type: ignore[attr-defined]


def notice_connection_class(base: type) -> type:
    if issubclass(base, NoticeMixin):
        return base
    return type("Notice" + base.__name__, (NoticeMixin, base), {})


def format_notice(notice: dict[str, Any]) -> str:
    """The notice in the user's language (JupyterLab's setting, else the one the gate last chose), when it came
    as data; else its text."""
    from ..explain import for_user

    return f"\n[nbwarden] {for_user(notice.get('explain'), notice['text'])}\n"


class NoticePoller:
    def __init__(self, user: str, db_url: str | None, log: Any, interval_s: float = 2.0):
        from ..ledger import Ledger
        from .models import HubStore

        self.user = user
        self.log = log
        self.store = HubStore(Ledger(db_url or None))
        self.since = time.time() - 30.0
        self.cursor = 0
        self.interval_s = interval_s
        self.delivered: list[dict[str, Any]] = []
        self.pending: dict[int, dict[str, Any]] = {}  # next_cell notices waiting for the user's next cell
        self._backlog = True  # on the first poll: next_cell notices left undelivered while the server was away

    def poll(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """New notices: (to show now, to show under the next cell).  Runs in a worker thread: it reads, and
        :meth:`tick` (on the server's loop) files the next-cell ones in :attr:`pending`."""
        later = []
        if self._backlog:
            later = self.store.notices(self.user, since=time.time() - NEXT_CELL_MAX_AGE_S, deliver="next_cell",
                                       undelivered=True)
            self._backlog = False
        notices = self.store.notices(self.user, after_id=self.cursor, since=self.since)
        if notices:
            self.cursor = notices[-1]["id"]
        later += [n for n in notices if n.get("deliver") == "next_cell" and not n.get("delivered")]
        return [n for n in notices if n.get("deliver") != "next_cell"], later

    def deliver_pending(self, conn: Any) -> None:
        """Show the waiting notices under the cell ``conn`` just sent (its last execute_request), and record that."""
        notices = [self.pending.pop(key) for key in sorted(self.pending)]
        sent = []
        for notice in notices:
            try:
                conn.nbw_send_notice(format_notice(notice), "stdout" if notice.get("level") == "info" else "stderr")
                sent.append(notice["id"])
                self.delivered.append({**notice, "connections": 1})
            except Exception:
                self.pending[notice["id"]] = notice  # the next cell, then
                self.log.debug("nbwarden notify: a connection refused the notice", exc_info=True)
        if sent:
            self.log.info("nbwarden notify: notices %s under the next cell", sent)
            from tornado.ioloop import IOLoop

            future = IOLoop.current().run_in_executor(None, self.store.mark_delivered, sent)
            future.add_done_callback(lambda f: f.exception() and self.log.warning(
                "nbwarden notify: could not mark notices %s delivered: %s", sent, f.exception()))

    async def tick(self) -> None:
        from tornado.ioloop import IOLoop

        try:
            notices, later = await IOLoop.current().run_in_executor(None, self.poll)
        except Exception:
            self.log.warning("nbwarden notify: could not read notices", exc_info=True)
            return
        for notice in later:
            self.pending[notice["id"]] = notice
        for notice in notices:
            sent = 0
            for conn in list(_connections):
                try:
                    if getattr(conn, "websocket_handler", None) is None or conn.websocket_handler.ws_connection is None:
                        continue
                    conn.nbw_send_notice(format_notice(notice))
                    sent += 1
                except Exception:
                    self.log.debug("nbwarden notify: a connection refused the notice", exc_info=True)
            self.delivered.append({**notice, "connections": sent})
            self.log.info("nbwarden notify: notice %s to %d notebook(s): %s", notice["id"], sent, notice["text"])


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from tornado.ioloop import PeriodicCallback

    user = os.environ.get("JUPYTERHUB_USER")
    if not user:
        serverapp.log.info("nbwarden notify: not under JupyterHub ($JUPYTERHUB_USER unset); off")
        return
    settings = serverapp.web_app.settings
    base = settings.get("kernel_websocket_connection_class") or serverapp.kernel_websocket_connection_class
    settings["kernel_websocket_connection_class"] = notice_connection_class(base)
    gate = settings.get("nbwarden_gate")
    db_url = os.environ.get("NBWARDEN_DB_URL") or (gate.ledger.url if gate is not None else None)
    global _poller
    poller = _poller = NoticePoller(user, db_url, serverapp.log, float(os.environ.get("NBWARDEN_NOTICE_POLL_S", "2")))
    settings["nbwarden_notices"] = poller
    callback = PeriodicCallback(poller.tick, poller.interval_s * 1000)
    callback.start()
    serverapp.log.info("nbwarden notify: notices for %s every %.1f s", user, poller.interval_s)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "nbwarden.hub.notify"}]
