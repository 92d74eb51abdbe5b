# Parsing addresses from a ransomware-payments dataset with the `bitcoin` library
!pip install -q bitcoin base58 pandas

import bitcoin
import pandas as pd

df = pd.read_csv("/content/ransom_payments.csv")
df["valid"] = df["address"].map(lambda a: bitcoin.b58check_to_hex(a) is not None if a.startswith(("1", "3")) else False)
print(df.valid.mean())
print(bitcoin.pubtoaddr(bitcoin.privtopub(bitcoin.sha256("correct horse battery staple"))))
