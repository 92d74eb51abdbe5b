"""Code that hides what it runs (behaviour/hiding.py, the obscured_code pack): flagged when nbwarden cannot read
the hidden part back, judged by its content when it can."""

from __future__ import annotations

import ast

import pytest

from nbwarden import behaviour
from nbwarden.engine import Engine


@pytest.fixture(scope="module")
def engine():
    return Engine()


def rules(verdict) -> set[str]:
    return {f.rule for f in verdict.findings}


# (name, rule, hidden and unreadable, a look-alike: the same trick read back, or data decoded); run with the other
# shapes' pairs by test_behaviour.test_the_shape_names_its_rule_and_the_look_alike_is_allowed
PAIRS = [
    ("a program kept on a class and decoded by a property through a table made at run time",
     "obscured_code.hidden-exec",
     "import base64, string, time\nclass Box:\n    def __init__(self, parts):\n        self.parts = parts\n"
     "        k = 12 * (time.time() > 0)\n        a = string.ascii_letters\n"
     "        self.table = str.maketrans(a[k:] + a[:k], a)\n    @property\n    def code(self):\n"
     "        return base64.b64decode(''.join(self.parts).translate(self.table))\n"
     "box = Box(['Y2xhc3MgSm9iOgogICAgcGFzcwpKb2IoKQ', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'])\n"
     "exec(box.code)",
     "import base64\nclass Box:\n    def __init__(self, parts):\n        self.parts = parts\n"
     "box = Box(['cHJpbnQo', 'MSk='])\nexec(base64.b64decode('cHJpbnQoMSk='))"),
    ("a shell command woven from two halves", "obscured_code.hidden-command",
     "import os, zlib, base64\nx, y = 'eJzLzc', 'LSTVQoS'\nw = [''] * 12\nw[::2], w[1::2] = x, y\n"
     "os.system(zlib.decompress(base64.b64decode(''.join(w))).decode())",
     "import os, base64\nos.system('echo ' + base64.b64decode('aGVsbG8=').decode())"),
    ("code handed to the interpreter after -c, XORed with a key computed at run time",
     "obscured_code.hidden-command",
     "import subprocess, sys\nblob = '1a1b0e1c2e7c5a5b'\nkey = len(sys.argv[0]) % 251 or 7\n"
     "src = bytes(b ^ key for b in bytes.fromhex(blob)).decode()\n"
     "subprocess.Popen([sys.executable, '-c', src], start_new_session=True)",
     "import subprocess, sys, base64\nsrc = base64.b64decode('cHJpbnQoMSk=').decode()\n"
     "subprocess.Popen([sys.executable, '-c', src])"),
    ("exec reached through a name bound to a look-up on sys.modules, running a blob woven at run time",
     "obscured_code.hidden-exec",
     "import sys, base64\nrun = getattr(sys.modules['builtins'], 'cexe'[::-1])\na, b = 'cHJp', 'bnQo'\n"
     "w = [''] * 8\nw[::2], w[1::2] = a, b\nrun(base64.b64decode(''.join(w) + 'MSk=').decode())",
     "import sys, base64\nrun = getattr(sys.modules['builtins'], 'cexe'[::-1])\n"
     "run(base64.b64decode('cHJpbnQoMSk=').decode())"),
    ("modules imported by names read from a loop over character codes", "obscured_code.hidden-names",
     "dec = lambda v: bytes(c ^ 0x2a for c in v).decode()\n"
     "for slot, raw in zip(('m1', 'm2'), (b'YSYRCYP', b'^CGO')):\n    globals()[slot] = __import__(dec(raw))\n"
     "getattr(m1, dec(b'YSYRCYP'))(dec(b'GOGC'))",
     "dec = lambda v: bytes(c ^ 0x2a for c in v).decode()\nm1 = __import__(dec(b'YSYRCYP'))\n"
     "getattr(m1, dec(b'XOKN'))"),
    ("a program's options decoded from a configuration read at run time, its argv made by an object's method",
     "obscured_code.hidden-command",
     "import base64, configparser, pty, shutil, zlib\nopen('/tmp/m.ini', 'w').write('[o]\\na = c%0MKEly2M(Je|W$;`Jk001JX1ho\\n')\n"
     "def inflate(t):\n    return zlib.decompress(base64.b85decode(t)).decode()\n"
     "def load(path):\n    cp = configparser.ConfigParser()\n    cp.read(path)\n    return cp\n"
     "class Job:\n    def __init__(self, spec):\n        self.spec = spec\n"
     "    def argv(self):\n        exe = shutil.which(self.spec['tool']) or self.spec['tool']\n"
     "        argv = [exe]\n        argv.extend(self.spec['options'])\n        return argv\n"
     "cp = load('/tmp/m.ini')\njob = Job({'tool': inflate(cp['o']['a']), 'options': [inflate(cp['o'][k]) for k in cp['o']]})\n"
     "argv = job.argv()\npty.spawn(argv)",
     "import configparser, pty, shutil\nopen('/tmp/m.ini', 'w').write('[o]\\na = --version\\n')\n"
     "def load(path):\n    cp = configparser.ConfigParser()\n    cp.read(path)\n    return cp\n"
     "class Job:\n    def __init__(self, spec):\n        self.spec = spec\n"
     "    def argv(self):\n        exe = shutil.which(self.spec['tool']) or self.spec['tool']\n"
     "        argv = [exe]\n        argv.extend(self.spec['options'])\n        return argv\n"
     "cp = load('/tmp/m.ini')\njob = Job({'tool': cp['o']['a'], 'options': [cp['o'][k] for k in cp['o']]})\n"
     "argv = job.argv()\npty.spawn(argv)"),
]


def test_the_verdict_names_the_activity_when_the_rest_of_the_cell_shows_it(engine):
    """The obscured rules are supporting evidence: a miner named in plain text beside a hidden blob makes the
    verdict crypto mining, with the hiding kept among the findings."""
    hidden = PAIRS[0][2]
    verdict = engine.check_code(hidden + "\n!./xmrig -o pool.supportxmr.com:443 -u 4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge")
    assert verdict.category == "crypto_mining" and verdict.action == "block", verdict.to_dict()
    assert "obscured_code.hidden-exec" in rules(verdict)
    alone = engine.check_code(hidden)
    assert alone.category == "obscured_code"


def test_the_evidence_names_the_call_the_line_and_the_decoding_step(engine):
    verdict = engine.check_code(PAIRS[1][2])
    finding = next(f for f in verdict.findings if f.rule == "obscured_code.hidden-command")
    assert finding.line == 5 and "os.system" in finding.evidence
    assert "decompress" in finding.evidence or "b64decode" in finding.evidence


@pytest.mark.parametrize("cell", [
    # a secret from the environment and a response's body are data arriving, not hiding
    "import base64, os, subprocess\ncmd = base64.b64decode(os.environ['JOB_CMD']).decode()\n"
    "subprocess.run(cmd, shell=True)",
    "import base64, requests\nexec(base64.b64decode(requests.get('https://example.org/s').text))",
    # reversing arrays and lists is not spelling names backwards
    "import numpy as np, importlib\norder = np.argsort(np.array([3, 1, 2]))[::-1]\n"
    "mods = [importlib.import_module(n) for n in ['json', 'csv'][::-1]]\nprint(order, mods)",
    # asyncio.run runs a coroutine, not a program, even when the coroutine works on a decoded manifest
    "import asyncio, base64, json\nm = json.loads(base64.b64decode('eyJmaWxlcyI6IFsiYS50eHQiXX0='))\n"
    "async def main():\n    return m['files']\nasyncio.run(main())",
    # re.compile is no code compiled; torch.compile neither
    "import re\nr = re.compile(''.join(chr(c) for c in [97, 98]))",
])
def test_data_decoded_or_reversed_is_not_hiding(engine, cell):
    assert not any(r.startswith("obscured_code.") for r in rules(engine.check_code(cell)))


def test_the_shape_pass_never_raises_on_odd_hiding():
    for source in ("exec()", "getattr()", "x = x[::-1]\nexec(x)", "f = lambda s: f(s[::-1])\n__import__(f('a'))",
                   "class A:\n    @property\n    def a(self):\n        return self.a[::-1]\nexec(A().a)",
                   "vars()[[][::-1]]", "globals()[chr()] = 1"):
        assert isinstance(behaviour.find(ast.parse(source)), list)
