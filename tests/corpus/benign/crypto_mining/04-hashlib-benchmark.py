# How fast are the hashlib digests on this runtime? (for choosing a dedup hash)
import hashlib
import os
import time
from multiprocessing import Pool, cpu_count

DATA = os.urandom(64 * 1024 * 1024)
ALGOS = ["md5", "sha1", "sha256", "sha3_256", "blake2b", "blake2s"]


def bench(name, rounds=3):
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        hashlib.new(name, DATA).hexdigest()
        best = min(best, time.perf_counter() - t)
    return name, len(DATA) / best / 1e6


with Pool(min(cpu_count(), len(ALGOS))) as pool:
    for name, mbps in sorted(pool.map(bench, ALGOS), key=lambda r: -r[1]):
        print(f"{name:10s} {mbps:8.1f} MB/s")
