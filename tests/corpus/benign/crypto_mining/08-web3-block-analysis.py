# Who produced Ethereum blocks before the Merge? Decode extraData of PoW blocks.
!pip install -q web3 pandas

import pandas as pd
from web3 import Web3

w3 = Web3(Web3.HTTPProvider("https://ethereum-rpc.publicnode.com"))
rows = []
for n in range(15_530_000, 15_530_200):
    b = w3.eth.get_block(n)
    rows.append({"number": n, "miner": b["miner"], "extra": bytes(b["extraData"]).decode("latin-1"),
                 "difficulty": b["difficulty"]})
df = pd.DataFrame(rows)
# extraData tags such as "ethermine", "f2pool", "2miners" identify the pool that won the block
df["pool"] = df["extra"].str.extract(r"(ethermine|f2pool|2miners|hiveon|nanopool)", expand=False).fillna("other")
print(df["pool"].value_counts(normalize=True))
