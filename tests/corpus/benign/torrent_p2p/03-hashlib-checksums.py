"""Verify dataset shards after download: chunked SHA-1 / SHA-256 over fixed-size pieces."""
import hashlib
from pathlib import Path

PIECE = 4 * 1024 * 1024  # 4 MiB pieces, like the shard manifest


def piece_hashes(path: Path, piece: int = PIECE) -> list[str]:
    out = []
    with path.open("rb") as f:
        while chunk := f.read(piece):
            out.append(hashlib.sha1(chunk).hexdigest())
    return out


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


manifest = {p.name: file_sha256(p) for p in Path("/content/shards").glob("*.tar")}
bad = [name for name, digest in manifest.items() if digest != expected.get(name)]
print(f"{len(manifest)} shards checked, {len(bad)} mismatches")
