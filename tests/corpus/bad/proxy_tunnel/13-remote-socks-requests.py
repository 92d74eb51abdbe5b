import requests

# rotate through purchased residential proxies
PROXIES = [
    "socks5h://u123:pw@gate.resi-proxies.example.net:7000",
    "socks5h://u123:pw@gate.resi-proxies.example.net:7001",
]
for i, url in enumerate(open("urls.txt").read().split()):
    p = PROXIES[i % len(PROXIES)]
    r = requests.get(url, proxies={"http": p, "https": p}, timeout=20)
    print(url, r.status_code)
