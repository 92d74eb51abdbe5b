"""The exec gate: deny a prohibited program before it runs a single instruction.

Linux fanotify permission events (``FAN_OPEN_EXEC_PERM``) make the kernel
hold every exec of a file on a marked mount until a root process answers
allow or deny.  A denied ``execve`` fails with ``EPERM``: the program never
runs, not even for a microsecond, so a renamed miner, a short-lived cracker
or a tunnel that forks into the background at once never gets started.  A
kill after exec (the agent's proc-connector path, cryptnono) always lets the
program run for a while first.

Pieces, top to bottom:

* :class:`Fanotify`: ``fanotify_init`` / ``fanotify_mark`` through ctypes
  (no compiler, no kernel headers), event parsing and responses;
* :class:`Decider`: one executable -> allow / deny / report, using the core
  engine (:meth:`nbwarden.engine.Engine.check_file`: signature patterns of
  the rule packs over the bytes, ``#!`` scripts as code, the name as a
  command), SHA-256 deny and allow lists, system paths, the packer policy;
* :class:`ExecGate`: the event loop.  Cheap decisions (cache hits, system
  paths) are answered in the reading thread; content checks go to worker
  threads.  Every event has a deadline; a watchdog thread answers what is
  still pending when it passes (allow-and-report, or deny with
  ``fail_closed``), and drains the queue itself if the reading thread
  stalls.  Decisions are cached by (device, inode, size, mtime, ctime);
* :class:`GateProcess`: how ``nbwarden agent`` runs the gate: a child
  process (``python -m nbwarden.agent.execgate --child``), so that nothing
  in the agent (the GIL, a slow ledger write, a crash) can hold execs, and
  ``PR_SET_PDEATHSIG`` ends it with the agent.  The child reports decisions
  and heartbeats as JSON lines; the agent records them through its recorder
  (ledger and strike ladder) and tells the kernel's sensor, which writes the
  explanation under the cell.  A child that stops sending heartbeats is
  SIGKILLed and restarted;
* :func:`main`: the gate on its own (``python -m nbwarden.agent.execgate``).

When the fanotify group's file descriptor closes (the gate exits, crashes or
is SIGKILLed) the kernel removes its marks and answers every pending event
with allow, so a dead gate never wedges the host.  A *frozen* gate (SIGSTOP)
would hold execs on its mounts: the agent's heartbeat check kills it.
One module per piece, imported one way (each imports only those above it):

``fanotify.py``
    :class:`Fanotify`, the ``<linux/fanotify.h>`` constants, :func:`available`, :func:`mount_point`.
``messages.py``
    :func:`message`, the sentence a user reads, and the category labels.
``decide.py``
    :class:`GateConfig`, :class:`Decision`, :class:`Decider`, hash files, :func:`read_fd`.
``loop.py``
    :class:`ExecGate`, the event loop, and :class:`Pending` / :class:`Stats`.
``child.py``
    :class:`GateProcess` and :func:`attach`, the agent's side.
``cli.py``
    :func:`main`; ``__main__.py`` runs it for ``python -m nbwarden.agent.execgate``.

This file re-exports the names the agent, the tests and the benchmarks use.
"""

from __future__ import annotations

from .child import GateProcess, attach
from .cli import main
from .decide import (
    DEFAULT_PATHS,
    SYSTEM_PATHS,
    Decider,
    Decision,
    GateConfig,
    load_hash_files,
    read_fd,
)
from .fanotify import (
    AT_FDCWD,
    FAN_ALLOW,
    FAN_CLASS_CONTENT,
    FAN_CLOEXEC,
    FAN_DENY,
    FAN_MARK_ADD,
    FAN_MARK_MOUNT,
    FAN_MARK_REMOVE,
    FAN_NOFD,
    FAN_NONBLOCK,
    FAN_OPEN_EXEC_PERM,
    FAN_OPEN_PERM,
    FAN_Q_OVERFLOW,
    FAN_UNLIMITED_QUEUE,
    METADATA,
    O_LARGEFILE,
    PR_SET_PDEATHSIG,
    RESPONSE,
    Event,
    Fanotify,
    available,
    mount_point,
)
from .loop import ExecGate, Pending, Stats, log
from .messages import CATEGORY_LABEL, message

__all__ = [
    "AT_FDCWD", "CATEGORY_LABEL", "DEFAULT_PATHS", "FAN_ALLOW", "FAN_CLASS_CONTENT", "FAN_CLOEXEC", "FAN_DENY",
    "FAN_MARK_ADD", "FAN_MARK_MOUNT", "FAN_MARK_REMOVE", "FAN_NOFD", "FAN_NONBLOCK", "FAN_OPEN_EXEC_PERM",
    "FAN_OPEN_PERM", "FAN_Q_OVERFLOW", "FAN_UNLIMITED_QUEUE", "METADATA", "O_LARGEFILE", "PR_SET_PDEATHSIG",
    "RESPONSE", "SYSTEM_PATHS", "Decider", "Decision", "Event", "ExecGate", "Fanotify", "GateConfig", "GateProcess",
    "Pending", "Stats", "attach", "available", "load_hash_files", "log", "main", "message", "mount_point", "read_fd",
]
