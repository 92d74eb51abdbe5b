"""Terminals: the line being typed is tracked, and checked when Enter is pressed."""

from __future__ import annotations

import json
import time
from typing import Any

from .decide import NbwardenGate, _LineState


class GateTermMixin:
    """Mixed into the terminal websocket handler: checks each command line on Enter."""

    _nbw_gate: NbwardenGate | None = None

    async def get(self, *args: Any, **kwargs: Any) -> None:
        gate = self._nbw_gate
        if gate is not None and gate.enabled:
            from tornado import web

            if gate.terminals == "off":
                raise web.HTTPError(403, "Terminals are turned off on this server.")
            user, group = gate.identity(self)
            denial = gate._deny_if_restricted(user, group, "terminal", None, notebook=f"terminals/{args[0] if args else ''}",
                                              kernel_id=None, cell_id=None, now=time.time(),
                                              t=gate.translator(gate.language_of(self)))
            if denial is not None:
                raise web.HTTPError(403, denial.message)
        return await super().get(*args, **kwargs)  # type: ignore[misc]

    async def on_message(self, message: Any) -> None:
        gate = self._nbw_gate
        if gate is None or not gate.enabled or gate.terminals == "allow":
            return await super().on_message(message)  # type: ignore[misc]
        try:
            command = json.loads(message)
            is_stdin = isinstance(command, list) and len(command) > 1 and command[0] == "stdin" \
                and isinstance(command[1], str)
        except Exception:
            is_stdin = False
        if not is_stdin:
            return await super().on_message(message)  # type: ignore[misc]
        try:
            forward, notices = self._nbw_filter(gate, command[1])
        except Exception:
            gate.log.error("nbwarden: terminal gate error", exc_info=True)
            if gate.fail_mode == "open":
                return await super().on_message(message)  # type: ignore[misc]
            forward, notices = "\x03", ["nbwarden: internal error; the line was not run (fail_mode=closed)."]
        for text in notices:
            body = "\r\n".join(text.splitlines())
            self.send_json_message(["stdout", f"\r\n\x1b[1;31m[nbwarden]\x1b[0m {body}\r\n"])  # type: ignore[attr-defined]
        if forward:
            return await super().on_message(json.dumps(["stdin", forward]))  # type: ignore[misc]
        return None

    def _nbw_filter(self, gate: NbwardenGate, text: str) -> tuple[str, list[str]]:
        """Track the line being typed; on Enter, check it and forward Enter or Ctrl-C."""
        name = getattr(self, "term_name", "") or ""
        state = gate._term_lines.setdefault(name, _LineState())
        out: list[str] = []
        notices: list[str] = []
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if ch == "\x1b":  # escape sequences: arrows, bracketed paste markers
                j = i + 1
                if j < n and text[j] == "[":
                    j += 1
                    while j < n and not ("\x40" <= text[j] <= "\x7e"):
                        j += 1
                seq = text[i:j + 1]
                if seq == "\x1b[200~":
                    state.paste = True
                elif seq == "\x1b[201~":
                    state.paste = False
                else:
                    state.edited = True
                out.append(seq)
                i = j + 1
                continue
            if ch in "\r\n" and not state.paste:
                line = "".join(state.buf)
                state.buf.clear()
                state.edited = False
                if line.strip():
                    user, group = gate.identity(self)
                    result = gate.check_terminal_line(line, terminal=name, user=user, group=group,
                                                      language=gate.language_of(self))
                    if not result.run:
                        out.append("\x03")
                        notices.append(result.message)
                        i += 1
                        continue
                out.append(ch)
            elif ch in "\r\n":  # a newline inside a bracketed paste is part of the line
                state.buf.append("\n")
                out.append(ch)
            elif ch in "\x7f\b":
                if state.buf:
                    state.buf.pop()
                out.append(ch)
            elif ch in "\x03\x15\x04":  # Ctrl-C, Ctrl-U, Ctrl-D discard the line
                state.buf.clear()
                out.append(ch)
            elif ch == "\t" or ord(ch) < 0x20:
                state.edited = True
                out.append(ch)
            else:
                state.buf.append(ch)
                out.append(ch)
            i += 1
        return "".join(out), notices


def _patch_terminal_handlers(serverapp: Any, gate: NbwardenGate) -> int:
    """Swap the terminal websocket handler class in the server's routing table."""
    try:
        from terminado.websocket import TermSocket as BaseTermSocket
    except ImportError:
        return 0
    patched = 0
    for host_rule in getattr(serverapp.web_app.default_router, "rules", []):
        router = getattr(host_rule, "target", None)
        for rule in getattr(router, "rules", []):
            target = getattr(rule, "target", None)
            if isinstance(target, type) and issubclass(target, BaseTermSocket):
                if issubclass(target, GateTermMixin):
                    target._nbw_gate = gate
                else:
                    rule.target = type("Nbwarden" + target.__name__, (GateTermMixin, target), {"_nbw_gate": gate})
                patched += 1
    return patched
