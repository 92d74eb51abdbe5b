"""The gate: a jupyter_server extension that checks every cell before it runs.

Enable it with ``jupyter server extension enable nbwarden``.  At load time it

* wraps whatever kernel websocket connection class the server uses
  (``ServerApp.kernel_websocket_connection_class``) in :class:`GateMixin`, so
  that every ``execute_request`` a frontend sends is checked before the kernel
  receives it (v1 binary and legacy JSON websocket protocols alike);
* wraps the terminal websocket handler, so that a command line typed into a
  terminal is checked when Enter is pressed (or turns terminals off);
* wraps ``MappingKernelManager.start_kernel``, so that a restricted user's
  kernels refuse to start.

Decisions are made locally and synchronously (``handle_incoming_message`` is
not awaited by tornado) and written to the ledger, committed, before the
frontend gets an answer.

Blocked and warned cells never reach the kernel.  For Python kernels the gate
forwards a statement that raises ``PolicyViolation`` instead of the code
(*rewrite* mode): the kernel then aborts its queue as for any error, so "Run
All" stops at the blocked cell, and the gate replaces the kernel's traceback
with its own message on the way back.  Other kernels get a synthesized error
reply (*reply* mode).

This is the warning layer, not the security boundary: users control their own
kernel.  See the README's threat model.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from ..explain import CATEGORY_LABELS
from .decide import GateResult, NbwardenGate
from .messages import DEFAULT_DENY, DEFAULT_MESSAGE, ENAME, LEADS, V1
from .terminal import GateTermMixin, _patch_terminal_handlers
from .websocket import GateMixin, _reply, _valid_v1, gated_connection_class, peek_execute_request

__all__ = ["CATEGORY_LABELS", "DEFAULT_DENY", "DEFAULT_MESSAGE", "ENAME", "LEADS", "V1", "GateMixin", "GateResult",
           "GateTermMixin", "NbwardenGate", "gated_connection_class", "peek_execute_request"]
# (the package's extension hooks below; the rooms: decide.py decisions, websocket.py kernel messages,
# terminal.py terminals, messages.py the texts users read)




def _kernel_refused(message: str) -> Exception:
    """A 403 whose text is just the message (the sessions API turns any error into 500 + str(error))."""
    from tornado import web

    class KernelRefused(web.HTTPError):
        def __str__(self) -> str:
            return self.log_message or "refused"

    return KernelRefused(403, message.replace("%", "%%"))


def _wrap_start_kernel(serverapp: Any, gate: NbwardenGate) -> None:
    km = serverapp.kernel_manager
    if getattr(km.start_kernel, "_nbwarden", False):
        return
    original = km.start_kernel

    async def start_kernel(*args: Any, **kwargs: Any) -> str:
        if gate.enabled:
            result = gate.check_kernel_start(path=kwargs.get("path"), kernel_name=kwargs.get("kernel_name"),
                                             language=gate.language_of(None))
            if not result.run:
                raise _kernel_refused(result.message)
        from jupyter_core.utils import ensure_async

        return await ensure_async(original(*args, **kwargs))

    start_kernel._nbwarden = True  # type: ignore[attr-defined]
    km.start_kernel = start_kernel


# ---------------------------------------------------------------------------- stats endpoint


def _stats_handler() -> type:
    from jupyter_server.base.handlers import APIHandler
    from tornado import web

    class GateStatsHandler(APIHandler):
        """``GET /api/nbwarden/stats``: counters and timing; ``DELETE`` clears the timing."""

        @web.authenticated
        def get(self) -> None:
            gate = self.settings.get("nbwarden_gate")
            if gate is None:
                raise web.HTTPError(404)
            self.finish(json.dumps(gate.timing()))

        @web.authenticated
        def delete(self) -> None:
            gate = self.settings.get("nbwarden_gate")
            if gate is None:
                raise web.HTTPError(404)
            gate.reset_timing()
            self.set_status(204)
            self.finish()

    return GateStatsHandler


# ---------------------------------------------------------------------------- extension hooks


def _link_jupyter_server_extension(serverapp: Any) -> None:
    """Runs before any extension loads: turning terminals off must happen now."""
    gate_config = serverapp.config.get("NbwardenGate", {})
    if gate_config.get("terminals") == "off" or os.environ.get("NBWARDEN_TERMINALS") == "off":
        serverapp.terminals_enabled = False


class RefuseAllMixin:
    """Installed when the gate could not start and fail_mode is closed: no cell runs, and the user is told why."""

    _nbw_reason = ""

    def handle_incoming_message(self, incoming_msg: Any) -> None:
        parsed = None
        if self.subprotocol != V1 or _valid_v1(incoming_msg):
            try:
                parsed = peek_execute_request(self, incoming_msg)
            except Exception:
                parsed = None
        if parsed is None:
            return super().handle_incoming_message(incoming_msg)  # type: ignore[misc]
        from .. import i18n

        browser = i18n.request_languages(getattr(self, "websocket_handler", None))
        t = i18n.Translator(i18n.negotiate(i18n.jupyterlab_locale(), browser))
        text = t._(LEADS["error"]) + "\n" + t.fmt(
            "The acceptable-use gate of this server could not start ({reason}), and the server is set to refuse "
            "code it cannot check (fail_mode=closed). Tell the operator.", reason=self._nbw_reason)
        _reply(self, parsed, {"ename": ENAME, "evalue": text, "traceback": text.splitlines()})
        return None


def _load_jupyter_server_extension(serverapp: Any) -> None:
    try:
        gate = NbwardenGate(parent=serverapp, log=serverapp.log)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        fail_mode = serverapp.config.get("NbwardenGate", {}).get("fail_mode", "open")
        serverapp.log.critical("nbwarden gate could not start (%s); fail_mode=%s", reason, fail_mode, exc_info=True)
        if fail_mode == "closed":
            settings = serverapp.web_app.settings
            base = settings.get("kernel_websocket_connection_class") or serverapp.kernel_websocket_connection_class
            settings["kernel_websocket_connection_class"] = type(
                "NbwardenRefuseAll" + base.__name__, (RefuseAllMixin, base), {"_nbw_reason": reason[:300]})
            return
        raise
    _install(serverapp, gate)


def _install(serverapp: Any, gate: NbwardenGate) -> None:
    from jupyter_core.paths import jupyter_runtime_dir

    from ..i18n import LANGUAGE_FILE_ENV

    # kernels inherit it: the in-kernel sensor explains vetoes and kills in the language the gate chose
    os.environ.setdefault(LANGUAGE_FILE_ENV, os.path.join(jupyter_runtime_dir(), "nbwarden-language"))
    if os.environ.get("NBWARDEN_TERMINALS") in ("gate", "off", "allow"):
        gate.terminals = os.environ["NBWARDEN_TERMINALS"]
    serverapp.web_app.settings["nbwarden_gate"] = gate
    settings = serverapp.web_app.settings
    base = settings.get("kernel_websocket_connection_class") or serverapp.kernel_websocket_connection_class
    settings["kernel_websocket_connection_class"] = gated_connection_class(base, gate)
    _wrap_start_kernel(serverapp, gate)
    from jupyter_server.utils import url_path_join

    serverapp.web_app.add_handlers(".*$", [(url_path_join(serverapp.base_url, "/api/nbwarden/stats"),
                                            _stats_handler())])
    if gate.terminals != "allow":
        found = _patch_terminal_handlers(serverapp, gate)
        if not found:  # the terminals extension may load after us
            from tornado.ioloop import IOLoop

            IOLoop.current().add_callback(_patch_terminal_handlers, serverapp, gate)
    serverapp.log.info("nbwarden gate: %d rules (%s), ledger %s, fail_mode=%s, terminals=%s",
                       len(gate.engine.rules), gate.engine.version, _safe_url(gate.ledger.url), gate.fail_mode,
                       gate.terminals)


def _safe_url(url: str) -> str:
    return re.sub(r"//[^/@]*@", "//***@", url)
