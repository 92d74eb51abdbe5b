# Monero network share by pool, from public pool statistics APIs (read-only).
import requests
import pandas as pd

stats = {
    "supportxmr": requests.get("https://supportxmr.com/api/pool/stats", timeout=10).json()["pool_statistics"]["hashRate"],
    "nanopool": requests.get("https://api.nanopool.org/v1/xmr/pool/hashrate", timeout=10).json()["data"],
}
net = requests.get("https://localmonero.co/blocks/api/get_stats", timeout=10).json()["hashrate"]
share = pd.Series(stats) / net
print(share.sort_values(ascending=False))
