import json
import socket
import hashlib
import struct

HOST, PORT = "solo.ckpool.org", 3333
USER = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh.colab"

sock = socket.create_connection((HOST, PORT))
f = sock.makefile("rw")

def rpc(i, method, params):
    f.write(json.dumps({"id": i, "method": method, "params": params}) + "\n")
    f.flush()
    return json.loads(f.readline())

sub = rpc(1, "mining.subscribe", ["colab-py/0.1"])
rpc(2, "mining.authorize", [USER, "x"])
extranonce1, en2_size = sub["result"][1], sub["result"][2]
while True:
    job = json.loads(f.readline())
    if job.get("method") != "mining.notify":
        continue
    # ... double-SHA256 nonce search over the header, then:
    # rpc(4, "mining.submit", [USER, job_id, en2, ntime, nonce])
