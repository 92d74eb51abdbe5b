"""Executables as bytes: :func:`read_budgeted` (head and tail of a large file) and :func:`packer`."""

from __future__ import annotations

import os
from pathlib import Path


def read_budgeted(source: Path | int, budget: int, notes: list[str]) -> bytes:
    """The whole file (a path or an open descriptor), or its head and tail when larger than ``budget``."""
    if not isinstance(source, int):
        with Path(source).open("rb") as handle:
            return read_budgeted(handle.fileno(), budget, notes)
    size = os.fstat(source).st_size
    if size > budget:
        notes.append(f"read {budget} of {size} bytes (head and tail)")
        return os.pread(source, budget // 2, 0) + os.pread(source, budget // 2, size - budget // 2)
    chunks, offset = [], 0
    while chunk := os.pread(source, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def packer(data: bytes) -> str | None:
    """Name of the executable packer that compressed this file, if one is recognisable."""
    if data[:4] == b"\x7fELF" or data[:2] == b"MZ":
        window = data[:4096] + data[-4096:]
        if b"UPX!" in window:
            return "UPX"
        if b"MPRESS1" in window:
            return "MPRESS"
    return None
