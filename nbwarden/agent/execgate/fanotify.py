"""fanotify through ctypes (no compiler, no kernel headers): :class:`Fanotify` (``fanotify_init`` /
``fanotify_mark``, event parsing, responses), :func:`available` and :func:`mount_point`."""

from __future__ import annotations

import ctypes
import errno
import os
import struct
from dataclasses import dataclass

# <linux/fanotify.h>
FAN_CLOEXEC = 0x01
FAN_NONBLOCK = 0x02
FAN_CLASS_CONTENT = 0x04
FAN_UNLIMITED_QUEUE = 0x10
FAN_OPEN_PERM = 0x00010000
FAN_OPEN_EXEC_PERM = 0x00040000
FAN_Q_OVERFLOW = 0x00004000
FAN_MARK_ADD = 0x01
FAN_MARK_REMOVE = 0x02
FAN_MARK_MOUNT = 0x10
FAN_ALLOW = 0x01
FAN_DENY = 0x02
FAN_NOFD = -1
AT_FDCWD = -100
PR_SET_PDEATHSIG = 1
METADATA = struct.Struct("=IBBHQii")  # event_len, vers, reserved, metadata_len, mask, fd, pid
RESPONSE = struct.Struct("=iI")       # fd, response
O_LARGEFILE = getattr(os, "O_LARGEFILE", 0) or 0o100000


_libc = None


def _lib():
    global _libc
    if _libc is None:
        lib = ctypes.CDLL(None, use_errno=True)
        lib.fanotify_init.argtypes = [ctypes.c_uint, ctypes.c_uint]
        lib.fanotify_init.restype = ctypes.c_int
        lib.fanotify_mark.argtypes = [ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_int, ctypes.c_char_p]
        lib.fanotify_mark.restype = ctypes.c_int
        lib.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        _libc = lib
    return _libc


@dataclass(slots=True)
class Event:
    mask: int
    fd: int
    pid: int


class Fanotify:
    """One fanotify group of class FAN_CLASS_CONTENT (permission events)."""

    def __init__(self, *, nonblock: bool = True) -> None:
        flags = FAN_CLASS_CONTENT | FAN_CLOEXEC | (FAN_NONBLOCK if nonblock else 0)
        fd = _lib().fanotify_init(flags, os.O_RDONLY | O_LARGEFILE | os.O_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"fanotify_init: {os.strerror(err)}")
        self.fd = fd
        self.marked: list[str] = []

    def fileno(self) -> int:
        return self.fd

    def mark(self, path: str, mask: int = FAN_OPEN_EXEC_PERM, *, mount: bool = True) -> None:
        flags = FAN_MARK_ADD | (FAN_MARK_MOUNT if mount else 0)
        if _lib().fanotify_mark(self.fd, flags, mask, AT_FDCWD, os.fsencode(path)) < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"fanotify_mark {path}: {os.strerror(err)}")
        self.marked.append(path)

    def read(self, size: int = 65536) -> list[Event]:
        try:
            buf = os.read(self.fd, size)
        except BlockingIOError:
            return []
        except InterruptedError:
            return []
        out: list[Event] = []
        off = 0
        while off + METADATA.size <= len(buf):
            length, _vers, _res, _mlen, mask, fd, pid = METADATA.unpack_from(buf, off)
            if length < METADATA.size:
                break
            out.append(Event(mask, fd, pid))
            off += length
        return out

    def respond(self, fd: int, allow: bool) -> bool:
        try:
            os.write(self.fd, RESPONSE.pack(fd, FAN_ALLOW if allow else FAN_DENY))
            return True
        except OSError:  # ENOENT: already answered (or the group is closing)
            return False

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # the kernel drops the marks and allows whatever is pending
            self.fd = -1


def available(probe_dir: str | None = None) -> tuple[bool, str]:
    """Can this process get exec permission events?  (ok, reason when not)."""
    try:
        fan = Fanotify()
    except OSError as exc:
        why = {errno.EPERM: "needs CAP_SYS_ADMIN (run the agent as root)",
               errno.ENOSYS: "the kernel has no fanotify",
               errno.EINVAL: "the kernel lacks fanotify permission events"}.get(exc.errno, "")
        return False, f"{exc.strerror or exc}{': ' + why if why else ''}"
    try:
        # an inode mark on a directory: nothing ever execs a directory, so this holds nothing
        fan.mark(probe_dir or os.path.dirname(os.path.abspath(__file__)), FAN_OPEN_EXEC_PERM, mount=False)
        return True, ""
    except OSError as exc:
        why = "the kernel lacks FAN_OPEN_EXEC_PERM (Linux 5.0+, CONFIG_FANOTIFY_ACCESS_PERMISSIONS)" \
            if exc.errno == errno.EINVAL else ""
        return False, f"{exc.strerror or exc}{': ' + why if why else ''}"
    finally:
        fan.close()


def mount_point(path: str) -> str:
    """The mount point that holds ``path`` (longest prefix in /proc/self/mountinfo)."""
    real = os.path.realpath(path)
    best = "/"
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) < 5:
                    continue
                mnt = parts[4].replace("\\040", " ")
                if (real == mnt or real.startswith(mnt.rstrip("/") + "/")) and len(mnt) > len(best):
                    best = mnt
    except OSError:
        pass
    return best
