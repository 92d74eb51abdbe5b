# Load a small public dataset that is mirrored on an IPFS HTTP gateway
import io

import pandas as pd
import requests

CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
resp = requests.get(f"https://ipfs.io/ipfs/{CID}", timeout=60)
resp.raise_for_status()
df = pd.read_csv(io.BytesIO(resp.content))
print(df.shape)
