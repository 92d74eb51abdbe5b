!apt-get install -y -qq tor > /dev/null
!pip install -q "requests[socks]"
get_ipython().system_raw("tor --SocksPort 9050 --ControlPort 9051 &")

import time, requests
time.sleep(15)
session = requests.Session()
session.proxies = {"http": "socks5h://127.0.0.1:9050", "https": "socks5h://127.0.0.1:9050"}
print(session.get("https://check.torproject.org/api/ip").json())
