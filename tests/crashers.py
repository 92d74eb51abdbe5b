"""Inputs that once made the engine raise, shared by the engine's and the gate's regression tests.

Each line broke a check before (``ValueError`` from ``urllib.parse`` or
``ipaddress``, ``UnicodeEncodeError`` in RE2).  Tests put each next to
``MINER`` and expect the miner's rule to decide.
"""

MINER = "!./xmrig -o stratum+tcp://pool.example:3333 -u WALLET"
MINER_RULE = "crypto_mining.miner-program"
CRASHERS = [
    "!curl -s https://]x",
    "%pip install -q 'ultralys://[::-1]tics==8.3.46' supervision",
    "!wget -q https://downt[key.encode(self.keyencodingem__(self, key):",
    "!pip install https://[::1/x.whl",
    "!git clone https://[fe80::1%eth0]/repo.git",
    "subprocess.run(['wget', 'http://[', '-O', 'x'])",
    "x = '\ud800'\n!echo \udcff",
    "out = []\nfor a.b in ['x', 'y']:\n    out.append(a.b)\nfor (p, *q) in [[1, 2, 3]]:\n    out.append(p)\n"
    "import os\nos.system(out[0])",
]
