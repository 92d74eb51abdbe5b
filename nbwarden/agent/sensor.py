"""The in-kernel sensor: a PEP 578 audit hook that reports to the agent and can veto.

Installed into a kernel before user code runs (see :mod:`.launcher`).  It
reports, with the cell that caused them:

* imports of modules the rule packs care about (checked once per top-level name, off the hot path);
* file opens whose name is on the watch list (e.g. face-swap model weights);
* socket connects (distinct destinations, capped);
* subprocesses (``subprocess.Popen``, ``os.system``, ``os.exec*``, ``os.posix_spawn``, ``pty.spawn``)
  with the Python package whose code started them, so that a compromised dependency shows as such.

It vetoes (raises ``PermissionError`` in the offending call, the user sees the
rule) when the core engine *blocks*: a subprocess or shell command, or
``compile()`` of dynamically built source (``exec(b64decode(...))``: the
``compile`` event carries the decoded text).

It also listens for notices from the agent: when the agent kills a process
this kernel started, the explanation is written to the cell's stderr and
raised as :class:`PolicyViolation` in the main thread.

The sensor is defence in depth, never trusted: user code can tamper with it
(ctypes, module globals).  The agent sees processes and sockets regardless,
and checks the sender of every report with ``SO_PASSCRED``.
"""

from __future__ import annotations

import atexit
import fnmatch
import json
import os
import re
import socket
import sys
import sysconfig
import threading
import time

DEFAULT_DIR = "/run/nbwarden"
SUBPROCESS_EVENTS = frozenset({"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
                               "pty.spawn"})
WATCHED = frozenset({"import", "open", "socket.connect", "compile", *SUBPROCESS_EVENTS})
INFRA_PACKAGES = frozenset({"ipykernel", "IPython", "tornado", "zmq", "traitlets", "jupyter_client", "jupyter_core",
                            "nbwarden", "debugpy", "comm", "pip", "setuptools", "_pytest", "pytest", "pluggy"})
MAX_DESTINATIONS = 256
# at exit, how long to let the rules finish loading and the worker its check (:meth:`Sensor._quiesce`): a thread
# stopped by the interpreter's shutdown inside RE2's C++ code aborts the whole process ("terminate called without an
# active exception")
EXIT_WAIT_S = 30.0


class PolicyViolation(Exception):
    """Raised in the kernel's main thread when the agent acted on something this kernel started."""


class Sensor:
    def __init__(self, *, directory: str | None = None, veto: bool = True, kernel_id: str = "",
                 engine_wait: float | None = None) -> None:
        self.dir = directory or os.environ.get("NBWARDEN_SENSOR_DIR", DEFAULT_DIR)
        if engine_wait is None:  # how long code may wait for the rules to load before it runs unchecked
            try:
                engine_wait = float(os.environ.get("NBWARDEN_SENSOR_ENGINE_WAIT", "3"))
            except ValueError:
                engine_wait = 3.0
        self.agent_path = os.path.join(self.dir, "agent.sock")
        self.veto = veto
        self.kernel_id = kernel_id
        self.engine_wait = engine_wait
        self.engine = None
        self.engine_ready = threading.Event()
        self.sigs = None
        self._local = threading.local()
        self._imports_seen: set[str] = set()
        self._destinations: set[tuple] = set()
        self._queue: list[tuple[str, str]] = []
        self._queue_cv = threading.Condition()
        self._closing = False
        self._worker_done = threading.Event()
        self.dropped = 0
        self.sent = 0
        self.vetoed = 0
        self._file_re = None
        self._pool_ports: frozenset[int] = frozenset()
        self._stdlib = tuple({sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]})
        self._main_ident = threading.main_thread().ident
        self._out = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._out.setblocking(False)
        self._in: socket.socket | None = None
        self.reply_path = ""

    # ------------------------------------------------------------------ setup

    def start(self) -> None:
        self._guard(True)
        try:
            self._load_signatures()
            self._bind_reply()
            threading.Thread(target=self._load_engine, name="nbwarden-sensor-engine", daemon=True).start()
            threading.Thread(target=self._worker, name="nbwarden-sensor-worker", daemon=True).start()
            atexit.register(self._quiesce)  # runs before the interpreter stops its daemon threads
            if self._in is not None:
                threading.Thread(target=self._listen, name="nbwarden-sensor-notices", daemon=True).start()
            self.send({"type": "hello", "python": sys.executable, "argv": sys.argv[:8], "reply": self.reply_path,
                       "veto": self.veto})
        finally:
            self._guard(False)
        sys.addaudithook(self.hook)

    def _load_signatures(self) -> None:
        from .classify import Signatures

        self.sigs = Signatures()
        globs = [g for lst in self.sigs.files.values() for g in lst]
        if globs:
            self._file_re = re.compile("|".join(fnmatch.translate(g) for g in globs))
        self._pool_ports = frozenset(self.sigs.pool_ports | self.sigs.torrent_ports)

    def _load_engine(self) -> None:
        self._guard(True)
        try:
            from .classify import load_engine

            self.engine, _err = load_engine()
        except Exception:
            self.engine = None
        finally:
            self.engine_ready.set()
            self._guard(False)

    def _bind_reply(self) -> None:
        path = os.path.join(self.dir, f"k-{os.getpid()}.sock")
        try:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(path)
            self._in = sock
            self.reply_path = path
        except OSError:
            self._in = None

    # ------------------------------------------------------------------ the hook

    def _guard(self, on: bool) -> None:
        self._local.busy = on

    def hook(self, event: str, args: tuple) -> None:
        if event not in WATCHED:
            return
        local = self._local
        if getattr(local, "busy", False):
            return
        local.busy = True
        try:
            self._dispatch(event, args)
        except PermissionError:
            raise
        except Exception:
            pass  # never break the user's code because the sensor failed
        finally:
            local.busy = False

    def _dispatch(self, event: str, args: tuple) -> None:
        if event == "open":
            path = args[0]
            if isinstance(path, str) and self._file_re is not None:
                base = os.path.basename(path).lower()
                if self._file_re.match(base):
                    category = self.sigs.file_category(path) if self.sigs else None
                    self.send({"type": "open", "path": path, "mode": str(args[1]), "category": category,
                               **self._where()})
            return
        if event == "import":
            top = str(args[0]).split(".", 1)[0]
            if top and top not in self._imports_seen:
                self._imports_seen.add(top)
                with self._queue_cv:
                    self._queue.append(("import", top))
                    self._queue_cv.notify()
            return
        if event == "socket.connect":
            address = args[1]
            if isinstance(address, tuple) and len(address) >= 2:
                dest = (str(address[0]), int(address[1]))
                if dest not in self._destinations and len(self._destinations) < MAX_DESTINATIONS:
                    self._destinations.add(dest)
                    self.send({"type": "connect", "host": dest[0], "port": dest[1],
                               "pool_port": dest[1] in self._pool_ports, "distinct": len(self._destinations),
                               **self._where()})
            return
        if event in SUBPROCESS_EVENTS:
            argv, shell_text = _argv_of(event, args)
            verdict = self._check(argv, shell_text)
            where = self._where()
            msg = {"type": "subprocess", "event": event, "argv": argv[:64], "shell": shell_text,
                   "time": time.time(), **where}
            if verdict is not None:
                msg["verdict"] = _brief(verdict)
            blocked = verdict is not None and verdict.action == "block" and self.veto
            msg["vetoed"] = blocked
            self.send(msg)
            if blocked:
                self.vetoed += 1
                raise PermissionError(_explain(verdict, "command"))
            return
        if event == "compile":
            source, filename = args[0], args[1]
            # "<>": IPython's own parse of every cell (should_run_async), outside the cell's execution; a
            # veto there escapes ipykernel's handler, and the frontend waits for a reply that never comes
            if (not isinstance(filename, str) or not filename.startswith("<") or filename.startswith("<ipython")
                    or filename == "<>"):
                return
            if isinstance(source, bytes):
                source = source.decode("utf-8", "replace")
            if not isinstance(source, str) or len(source) > 1_000_000:
                return
            engine = self._engine()
            if engine is None:
                return
            verdict = engine.check_code(source, "python")
            if verdict.action == "allow":
                return
            blocked = verdict.action == "block" and self.veto
            self.send({"type": "compile", "filename": filename, "source": source[:400], "verdict": _brief(verdict),
                       "vetoed": blocked, **self._where()})
            if blocked:
                self.vetoed += 1
                raise PermissionError(_explain(verdict, "code"))

    def _engine(self):
        if not self.engine_ready.is_set():
            self.engine_ready.wait(self.engine_wait)
        return self.engine

    def _check(self, argv: list[str], shell_text: str | None):
        engine = self._engine()
        if engine is None:
            return None
        if shell_text is not None:
            return engine.check_code(shell_text, "shell")
        return engine.check_command(argv) if argv else None

    def _where(self) -> dict:
        """The cell (execution count and frame) and the innermost third-party package on the stack."""
        out: dict = {}
        ip = None
        mod = sys.modules.get("IPython")
        if mod is not None:
            try:
                ip = mod.get_ipython()
            except Exception:
                ip = None
        if ip is not None:
            out["cell"] = getattr(ip, "execution_count", None)
        frame = sys._getframe(2)
        package = None
        user_frame = None
        depth = 0
        while frame is not None and depth < 80:
            filename = frame.f_code.co_filename
            if filename.startswith("<ipython-input") or "/ipykernel_" in filename:
                if user_frame is None:
                    user_frame = f"{filename}:{frame.f_lineno}"
            elif package is None and ("site-packages/" in filename or "dist-packages/" in filename):
                from .processes import package_of_path

                pkg = package_of_path(filename)
                if pkg and pkg["name"] not in INFRA_PACKAGES:
                    package = {**pkg, "line": frame.f_lineno, "function": frame.f_code.co_name}
            frame = frame.f_back
            depth += 1
        if package:
            out["package"] = package
        if user_frame:
            out["cell_frame"] = user_frame
        return out

    # ------------------------------------------------------------------ reporting

    def send(self, msg: dict) -> None:
        msg.setdefault("pid", os.getpid())
        msg.setdefault("kernel_id", self.kernel_id)
        try:
            data = json.dumps(msg, default=str).encode()
            self._out.sendto(data[:60000], self.agent_path)
            self.sent += 1
        except OSError:
            self.dropped += 1

    def _worker(self) -> None:
        """Off the hot path: check newly imported top-level modules with the engine."""
        self._guard(True)
        try:
            while True:
                with self._queue_cv:
                    while not self._queue and not self._closing:
                        self._queue_cv.wait()
                    if self._closing:
                        return
                    items, self._queue[:] = list(self._queue), []
                engine = self._engine()
                if engine is None:
                    continue
                for kind, name in items:
                    try:
                        verdict = engine.check_code(f"import {name}\n", "python")
                    except Exception:
                        continue
                    if verdict.action != "allow" or verdict.findings:
                        self.send({"type": kind, "module": name, "verdict": _brief(verdict)})
        finally:
            self._worker_done.set()

    def _quiesce(self) -> None:
        """At exit: let the rules finish loading and the worker finish the check it is in, so that no thread is
        stopped by the interpreter's shutdown inside RE2's C++ code, which aborts the whole process."""
        self.engine_ready.wait(EXIT_WAIT_S)
        with self._queue_cv:
            self._closing = True
            self._queue_cv.notify_all()
        self._worker_done.wait(EXIT_WAIT_S)

    def _listen(self) -> None:
        self._guard(True)
        while True:
            try:
                data = self._in.recv(65536)
                msg = json.loads(data)
            except (OSError, ValueError):
                time.sleep(0.1)
                continue
            if msg.get("type") == "notice":
                self.notify(_notice_text(msg), raise_in_main=bool(msg.get("raise", True)))

    def notify(self, text: str, raise_in_main: bool = True) -> None:
        try:
            sys.stderr.write(f"\n[nbwarden] {text}\n")
            sys.stderr.flush()
        except Exception:
            pass
        if raise_in_main:
            _async_raise(self._main_ident, PolicyViolation)
            self._last_notice = text


def _notice_text(msg: dict) -> str:
    """The agent's explanation in this user's language (its English text when it came without data)."""
    text = str(msg.get("text", ""))
    try:
        from ..explain import for_user

        return for_user(msg.get("explain"), text)
    except Exception:
        return text


def _argv_of(event: str, args: tuple) -> tuple[list[str], str | None]:
    def listify(value) -> list[str]:
        if value is None:
            return []
        if isinstance(value, (str, bytes, os.PathLike)):
            return [os.fsdecode(value)]
        try:
            return [os.fsdecode(v) if isinstance(v, (bytes, os.PathLike)) else str(v) for v in value]
        except TypeError:
            return [str(value)]

    if event == "os.system":
        cmd = args[0]
        return [], os.fsdecode(cmd) if isinstance(cmd, (bytes, str)) else str(cmd)
    if event == "subprocess.Popen":
        executable, argv = args[0], args[1]
        if isinstance(argv, (str, bytes)):
            text = os.fsdecode(argv)
            return [], text
        out = listify(argv)
        if executable is not None and out:
            out = [os.fsdecode(executable), *out[1:]]
        return out, None
    if event in ("os.exec", "os.posix_spawn"):
        return listify(args[1]), None
    if event == "os.spawn":
        return listify(args[2]), None
    if event == "pty.spawn":
        return listify(args[0]), None
    return [], None


def _brief(verdict) -> dict:
    return {"action": verdict.action, "category": verdict.category,
            "rules": [f.rule for f in verdict.findings][:8],
            "evidence": [f.evidence for f in verdict.findings][:4]}


def _explain(verdict, what: str) -> str:
    """The veto's text, in the user's language.  Its links come from the server's environment
    (``NBWARDEN_POLICY_URL``, ``NBWARDEN_APPEAL_URL``; :func:`nbwarden.hub.hooks.configure` sets them), which
    kernels inherit."""
    from ..explain import sensor_veto
    from ..i18n import Translator, user_language

    fields = {"what": what, "category": verdict.category,
              "rules": ", ".join(dict.fromkeys(f.rule for f in verdict.findings[:3])),
              "policy_url": os.environ.get("NBWARDEN_POLICY_URL", ""),
              "appeal_url": os.environ.get("NBWARDEN_APPEAL_URL", "")}
    return sensor_veto(Translator(user_language()), fields)


def _async_raise(thread_ident: int | None, exc_type: type[BaseException]) -> bool:
    if thread_ident is None:
        return False
    try:
        import ctypes

        res = ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_ident), ctypes.py_object(exc_type))
        return res == 1
    except Exception:
        return False


_SENSOR: Sensor | None = None


def install(**kwargs) -> Sensor:
    """Install the sensor once per process; later calls return the same one."""
    global _SENSOR
    if _SENSOR is None:
        _SENSOR = Sensor(**kwargs)
        _SENSOR.start()
    return _SENSOR
