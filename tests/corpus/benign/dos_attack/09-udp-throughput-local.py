# UDP throughput between two processes on this runtime (bounded: 10k datagrams)
import os
import socket
import threading
import time

ADDR = ("127.0.0.1", 9999)
N, SIZE = 10_000, 1024
received = 0


def server():
    global received
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(ADDR)
    s.settimeout(2)
    try:
        while True:
            s.recvfrom(2048)
            received += 1
    except socket.timeout:
        pass


t = threading.Thread(target=server)
t.start()
time.sleep(0.2)
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
start = time.perf_counter()
for _ in range(N):
    c.sendto(os.urandom(SIZE), ADDR)
elapsed = time.perf_counter() - start
t.join()
print(f"sent {N} in {elapsed:.3f}s, received {received} ({received / N:.1%})")
