# Networking 101: what an HTTP request looks like on the wire
import socket

host = "example.com"
with socket.create_connection((host, 80), timeout=10) as s:
    s.sendall(b"GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
    chunks = []
    while True:
        data = s.recv(4096)
        if not data:
            break
        chunks.append(data)
print(b"".join(chunks).split(b"\r\n\r\n", 1)[0].decode())
