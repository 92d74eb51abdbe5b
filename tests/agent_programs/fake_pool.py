"""A local stratum pool for the agent tests: python fake_pool.py PORT LOGFILE [SECONDS].

Answers mining.subscribe and mining.authorize and appends each request line to LOGFILE."""

import socket
import sys
import threading
import time

port, logfile = int(sys.argv[1]), sys.argv[2]
limit = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(16)
srv.settimeout(0.5)
end = time.monotonic() + limit


def handle(conn):
    conn.settimeout(5)
    try:
        for _ in range(2):
            data = conn.recv(4096).decode("utf-8", "replace")
            if not data:
                break
            with open(logfile, "a") as fh:
                fh.write(data)
            conn.sendall(b'{"id":1,"result":[["mining.notify","ae6812eb"],"08000002",4],"error":null}\n')
    except OSError:
        pass
    finally:
        conn.close()


open(logfile, "a").close()
while time.monotonic() < end:
    try:
        conn, _ = srv.accept()
    except OSError:
        continue
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
