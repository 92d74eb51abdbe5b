# How fast are common hash functions on this CPU? (for choosing a dedup fingerprint)
import hashlib
import time

import xxhash

blob = bytes(256 * 1024 * 1024)
results = {}
for name, fn in {
    "md5": lambda b: hashlib.md5(b).digest(),
    "sha1": lambda b: hashlib.sha1(b).digest(),
    "sha256": lambda b: hashlib.sha256(b).digest(),
    "blake2b": lambda b: hashlib.blake2b(b).digest(),
    "xxh3_64": lambda b: xxhash.xxh3_64(b).digest(),
}.items():
    t = time.perf_counter()
    fn(blob)
    results[name] = len(blob) / (time.perf_counter() - t) / 1e9
print({k: f"{v:.2f} GB/s" for k, v in results.items()})
