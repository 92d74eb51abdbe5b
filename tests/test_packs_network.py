"""The network packs (proxy_tunnel, remote_desktop_ssh, web_file_hosting) on whole notebooks and scripts.

Each case is written here, not copied from anywhere: a positive for every class of hosting, proxy and
remote access the packs name, and a look-alike beside it that must stay quiet.  The category checks pin
the policy: what the code does for its users names the verdict, and a tunnel is only secondary evidence.
"""

import pytest

from tests.pack_support import ENGINE, acting, notebook

# ---------------------------------------------------------------------------- hosting beyond web pages

MINECRAFT_NGROK = notebook(
    "!apt-get -qq install -y openjdk-17-jre-headless",
    "%cd /content/drive/MyDrive/world\n!echo 'eula=true' > eula.txt",
    "from pyngrok import ngrok\nngrok.set_auth_token(TOKEN)\nprint(ngrok.connect(25565, 'tcp'))",
    "!java -Xms4G -Xmx10G -jar server.jar nogui",
)
MINECRAFT_PLAYIT = notebook(
    "!wget -q https://github.com/playit-cloud/playit-agent/releases/download/v0.15.0/playit-linux-amd64\n"
    "!chmod +x playit-linux-amd64",
    "!./playit-linux-amd64 & java -Xmx8G -jar purpur-1.20.4-2176.jar --nogui",
)
MINECRAFT_VARIABLES = notebook(
    "jar = {'paper': 'server.jar', 'fabric': 'fabric-server-launch.jar'}[kind]\nflags = '-Xmx6G'",
    "!./cloudflared-linux-amd64 tunnel --url tcp://127.0.0.1:25565 & java $flags -jar $jar nogui",
)
BEDROCK = notebook("!unzip -o bedrock-server.zip -d bds\n%cd bds\n!LD_LIBRARY_PATH=. ./bedrock_server")
VALHEIM = notebook(
    "!./steamcmd.sh +force_install_dir /content/vh +login anonymous +app_update 896660 validate +quit",
    "%cd /content/vh\n!./valheim_server.x86_64 -name friends -port 2456 -world colab -password hunter22 -public 1 &",
)
JELLYFIN_TUNNEL = notebook(
    "!curl -fsSL https://repo.jellyfin.org/install-debuntu.sh | bash",
    "!nohup jellyfin --datadir /content/jf --cachedir /content/jfcache &",
    "!nohup cloudflared tunnel --url http://localhost:8096 > cf.log 2>&1 &",
)
FILEBROWSER_NGROK = notebook(
    "!curl -fsSL https://raw.githubusercontent.com/filebrowser/get/master/get.sh | bash",
    "!filebrowser -r /content/drive/MyDrive -p 8080 --noauth &",
    "!ngrok http 8080 --log=stdout > ngrok.log &",
)
FLASK_SHARE_PORTAL = """
from flask import Flask, request, send_from_directory
import os
portal = Flask(__name__)
ROOT = '/content/drive/MyDrive/share'

@portal.route('/put', methods=['POST'])
def put():
    f = request.files['upload']
    f.save(os.path.join(ROOT, f.filename))
    return 'stored'

@portal.route('/get/<name>')
def get(name):
    return send_from_directory(ROOT, name)

portal.run('0.0.0.0', 8800, threaded=True)
"""


@pytest.mark.parametrize("nb, rule", [
    (MINECRAFT_NGROK, "web_file_hosting.game-server"),
    (MINECRAFT_PLAYIT, "web_file_hosting.game-server"),
    (MINECRAFT_VARIABLES, "web_file_hosting.game-server"),
    (BEDROCK, "web_file_hosting.game-server"),
    (VALHEIM, "web_file_hosting.game-server"),
    (JELLYFIN_TUNNEL, "web_file_hosting.media-server"),
    (FILEBROWSER_NGROK, "web_file_hosting.file-server"),
], ids=["minecraft-ngrok", "minecraft-playit", "minecraft-variables", "bedrock", "valheim", "jellyfin-cloudflared",
        "filebrowser-ngrok"])
def test_hosting_is_named_by_what_is_served(nb, rule):
    verdict = ENGINE.check_notebook(nb)
    assert verdict.action == "block"
    assert verdict.category == "web_file_hosting"  # the tunnel is secondary evidence, never the category
    assert rule in acting(verdict)


def test_file_portal_on_every_interface_is_hosting():
    verdict = ENGINE.check_code(FLASK_SHARE_PORTAL, "python")
    assert verdict.action in ("warn", "block") and verdict.category == "web_file_hosting"


@pytest.mark.parametrize("source", [
    FLASK_SHARE_PORTAL.replace("portal.run('0.0.0.0', 8800, threaded=True)", "portal.run(port=8800)"),
    FLASK_SHARE_PORTAL.replace("portal.run('0.0.0.0', 8800, threaded=True)",
                               "# portal.run('0.0.0.0', 8800)\nportal.run('127.0.0.1', 8800)"),
    # a demo of one's own model that returns its own output on a public bind
    "import torch\nfrom flask import Flask, send_file\napp = Flask(__name__)\nmodel = torch.jit.load('m.pt')\n"
    "@app.route('/render')\ndef render():\n    save_image(model(z), 'r.png')\n    return send_file('r.png')\n"
    "app.run(host='0.0.0.0', port=7000)",
], ids=["localhost", "commented-public-bind", "own-model-demo"])
def test_file_app_look_alikes_are_quiet(source):
    assert ENGINE.check_code(source, "python").action == "allow"


@pytest.mark.parametrize("nb", [
    # Minecraft for reinforcement learning: a client environment, no server, no EULA
    notebook("!pip install minerl", "import gym, minerl\nenv = gym.make('MineRLTreechop-v0')\nobs = env.reset()"),
    # Java tools in bioinformatics and document parsing
    notebook("!java -Xmx4g -jar picard.jar SortSam I=in.bam O=sorted.bam SORT_ORDER=coordinate",
             "!java -jar /content/tika-app.jar --text paper.pdf > paper.txt"),
    # a dataset about game servers
    notebook("import pandas as pd\nlogs = pd.read_csv('minecraft_server_logs.csv')\nlogs.groupby('player').size()"),
    # a client asking a public Minecraft server for its status
    notebook("import socket\nconn = socket.create_connection(('play.example.net', 25565), timeout=5)\n"
             "conn.sendall(handshake_packet)\nreply = conn.recv(65536)"),
    # media work that serves nobody
    notebook("!ffmpeg -i lecture.mp4 -vn -ac 1 -ar 16000 lecture.wav", "!pip install plexapi"),
], ids=["minerl", "java-tools", "server-log-dataset", "server-status-client", "media-processing"])
def test_hosting_look_alikes_are_quiet(nb):
    assert ENGINE.check_notebook(nb).action == "allow"


# ---------------------------------------------------------------------------- ML demos and tunnels

@pytest.mark.parametrize("nb", [
    notebook("import gradio as gr\ndemo = gr.Interface(fn=predict, inputs='image', outputs='label')\n"
             "demo.launch(share=True)"),
    notebook("%load_ext tensorboard", "from pyngrok import ngrok\nprint(ngrok.connect(6006))",
             "%tensorboard --logdir runs"),
    notebook("!wget -q https://bin.equinox.io/c/4VmDzA7iaHb/ngrok-stable-linux-amd64.zip\n"
             "!unzip -o ngrok-stable-linux-amd64.zip"),
], ids=["gradio-share", "tensorboard-ngrok", "ngrok-install-only"])
def test_own_demo_and_tunnel_installs_are_at_most_audit(nb):
    assert ENGINE.check_notebook(nb).action == "allow"


def test_bare_tunnel_still_names_proxy_tunnel():
    verdict = ENGINE.check_notebook(notebook("!./ngrok tcp 4000 --log=stdout > ngrok.log &"))
    assert verdict.action == "warn" and verdict.category == "proxy_tunnel"


@pytest.mark.parametrize("cell", [
    "from pyngrok import ngrok\nngrok.set_auth_token(TOKEN)\nprint(ngrok.connect(5000).public_url)",
    "!cloudflared tunnel --url http://127.0.0.1:8000",
    "!ssh -R 80:localhost:5000 serveo.net",
])
def test_a_web_tunnel_alone_is_recorded_like_a_share_link(cell):
    """Nothing behind it that another rule names: recorded (an audit finding), named for the tunnel, allowed."""
    verdict = ENGINE.check_notebook(notebook(cell))
    assert verdict.action == "allow" and verdict.category == "proxy_tunnel", verdict.findings
    assert {f.severity for f in verdict.findings} == {"audit"}, verdict.findings


@pytest.mark.parametrize("cell,category", [
    ("from pyngrok import ngrok\nprint(ngrok.connect(1080, 'tcp'))", "proxy_tunnel"),
    ("!cloudflared tunnel --url http://localhost:6080 &", "remote_desktop_ssh"),
    ("from pyngrok import ngrok\nprint(ngrok.connect(7681))", "remote_desktop_ssh"),
])
def test_a_raw_tcp_tunnel_or_a_browser_desktop_port_still_warns(cell, category):
    verdict = ENGINE.check_notebook(notebook(cell))
    assert verdict.action == "warn" and verdict.category == category, verdict.findings


# ---------------------------------------------------------------------------- proxy and VPN servers

SHADOWSOCKS_INSTALLER = """#!/usr/bin/env bash
port=8989
pw=$(openssl rand -hex 8)
apt-get -y install python3-pip
pip3 install https://example.net/archive/shadowsocks-master.zip
cat > /etc/shadowsocks.json <<EOF
{
    "server": "0.0.0.0",
    "server_port": ${port},
    "password": "${pw}",
    "method": "chacha20-ietf-poly1305"
}
EOF
chmod +x /etc/init.d/shadowsocks
update-rc.d -f shadowsocks defaults
/etc/init.d/shadowsocks start
"""
V2RAY_CELL = notebook(
    "!wget -q https://github.com/v2fly/v2ray-core/releases/download/v5.12.1/v2ray-linux-64.zip && unzip -o v2ray-linux-64.zip",
    "%%writefile config.json\n{\"inbounds\": [{\"port\": 10000, \"protocol\": \"vless\", "
    "\"settings\": {\"clients\": [{\"id\": \"0e7d3c5b-7a1c-4a55-9d0e-3f1f2b6f9a10\"}], \"decryption\": \"none\"}}]}",
    "!nohup ./v2ray run -c config.json &",
)
PANEL_ONE_LINER = "#!/bin/bash\nbash <(curl -Ls https://raw.githubusercontent.com/mhsanaei/3x-ui/master/install.sh)\n"
WIREGUARD_SERVER = """#!/bin/bash
apt-get install -y wireguard-tools
umask 077
wg genkey | tee server.key | wg pubkey > server.pub
cat > /etc/wireguard/wg0.conf <<EOF
[Interface]
Address = 10.9.0.1/24
ListenPort = 51820
PrivateKey = $(cat server.key)
PostUp = iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE
EOF
sysctl -w net.ipv4.ip_forward=1
install_step "systemctl enable --now wg-quick@wg0"
"""
L2TP_ENTRY = """#!/bin/sh
cat > /etc/ipsec.conf <<EOF
conn l2tp-psk
  authby=secret
  right=%any
  rightsourceip=192.168.42.10-192.168.42.250
EOF
/usr/sbin/ipsec start
exec /usr/sbin/xl2tpd -D -c /etc/xl2tpd/xl2tpd.conf
"""
SSH_VPN = "#!/bin/sh\nsed -i 's/#PermitTunnel no/PermitTunnel yes/' /etc/ssh/sshd_config\nservice ssh restart\n./xray run &\n"


@pytest.mark.parametrize("source, kind, rule", [
    (SHADOWSOCKS_INSTALLER, "shell", "proxy_tunnel.proxy-service"),
    (PANEL_ONE_LINER, "shell", "proxy_tunnel.proxy-software-install"),
    (WIREGUARD_SERVER, "shell", "proxy_tunnel.vpn-server"),
    (L2TP_ENTRY, "shell", "proxy_tunnel.vpn-server"),
    (SSH_VPN, "shell", "proxy_tunnel.ssh-vpn-config"),
], ids=["shadowsocks-installer", "3x-ui-one-liner", "wireguard-server", "l2tp-entrypoint", "permit-tunnel"])
def test_proxy_and_vpn_servers(source, kind, rule):
    verdict = ENGINE.check_code(source, kind)
    assert verdict.action in ("warn", "block") and verdict.category == "proxy_tunnel"
    assert rule in acting(verdict)


def test_v2ray_notebook_is_blocked_as_proxy():
    verdict = ENGINE.check_notebook(V2RAY_CELL)
    assert verdict.action == "block" and verdict.category == "proxy_tunnel"
    assert "proxy_tunnel.proxy-protocol-config" in acting(verdict)


@pytest.mark.parametrize("source, kind", [
    # a WireGuard *client* config: it dials out to a server, it does not listen for peers
    ("%%writefile wg0.conf\n[Interface]\nPrivateKey = KEY\nAddress = 10.9.0.2/32\n\n[Peer]\nPublicKey = P\n"
     "Endpoint = vpn.example.org:51820\nAllowedIPs = 10.9.0.0/24", "cell"),
    ("!systemctl status shadowsocks-libev-server\n!systemctl stop xray", "cell"),
    ("api = {'server_port': 8000, 'workers': 2, 'timeout': 30}", "cell"),
    ("# set PermitTunnel yes on your own VPS, never here\n!grep -i permittunnel /etc/ssh/sshd_config", "cell"),
    ("route = {'method': 'POST', 'path': '/predict'}\nrequests.post(url, json=route)", "cell"),
], ids=["wireguard-client-config", "service-status", "server-port-config", "permit-tunnel-comment", "http-method"])
def test_proxy_look_alikes_are_quiet(source, kind):
    assert ENGINE.check_code(source, kind).action == "allow"


HTTP_PROXY = """
import select, socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Forwarder(BaseHTTPRequestHandler):
    def do_CONNECT(self):
        host, port = self.path.split(':')
        upstream = socket.create_connection((host, int(port)))
        self.send_response(200)
        self.end_headers()
        pipe(self.connection, upstream)

def serve(addr):
    ThreadingHTTPServer(addr, Forwarder).serve_forever()
"""
PARAMIKO_FORWARD = """
import paramiko
ssh = paramiko.SSHClient()
ssh.connect('jump.example.org', username='me', key_filename='id_ed25519')
transport = ssh.get_transport()
channel = transport.open_channel('direct-tcpip', ('intranet.example.org', 443), ('127.0.0.1', 0))
"""


@pytest.mark.parametrize("source, rule", [
    (HTTP_PROXY, "proxy_tunnel.http-proxy-code"),
    (PARAMIKO_FORWARD, "proxy_tunnel.ssh-forward-code"),
], ids=["do-connect-proxy", "paramiko-direct-tcpip"])
def test_proxies_written_in_python(source, rule):
    verdict = ENGINE.check_code(source, "python")
    assert verdict.category == "proxy_tunnel" and rule in acting(verdict)


@pytest.mark.parametrize("source", [
    "class LazyProxy:\n    def __init__(self, target):\n        self._t = target\n"
    "    def __getattr__(self, name):\n        return getattr(self._t, name)",
    "import paramiko\nssh = paramiko.SSHClient()\nssh.connect('hpc.example.edu', username='me')\n"
    "_, out, _ = ssh.exec_command('nvidia-smi')\nprint(out.read().decode())",
    "from http.server import BaseHTTPRequestHandler\nclass Health(BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n        self.send_response(200)\n        self.end_headers()",
], ids=["proxy-design-pattern", "paramiko-client", "plain-handler"])
def test_python_proxy_look_alikes_are_quiet(source):
    assert ENGINE.check_code(source, "python").action == "allow"


# ---------------------------------------------------------------------------- remote access

@pytest.mark.parametrize("source, kind, rule", [
    ("read -p 'Paste the command from the set-up page: ' CMD\nsu - desk -c \"$CMD\"\n"
     "echo 'Then open https://remotedesktop.google.com/access'\n", "shell", "remote_desktop_ssh.crd-host-setup"),
    ("!wget -q https://gist.githubusercontent.com/u/abc/raw/kaggle-ssh-setup.sh\n!bash kaggle-ssh-setup.sh", "cell",
     "remote_desktop_ssh.remote-access-helper-install"),
    ("import paramiko\nclass Door(paramiko.ServerInterface):\n    def check_auth_password(self, u, p):\n"
     "        return paramiko.AUTH_SUCCESSFUL\nt = paramiko.Transport(conn)\nt.add_server_key(k)\n"
     "t.start_server(server=Door())", "python", "remote_desktop_ssh.python-ssh-server"),
], ids=["crd-pasted-command", "downloaded-ssh-script", "paramiko-server"])
def test_remote_access(source, kind, rule):
    verdict = ENGINE.check_code(source, kind)
    assert verdict.category == "remote_desktop_ssh" and rule in acting(verdict)


@pytest.mark.parametrize("source", [
    "print('Chrome Remote Desktop works well from your laptop: https://remotedesktop.google.com/access')",
    "!ssh-keygen -t ed25519 -N '' -f /root/.ssh/id_ed25519\n!cat /root/.ssh/id_ed25519.pub",
    "from pyvirtualdisplay import Display\nDisplay(visible=0, size=(1024, 768)).start()",
], ids=["crd-mention", "ssh-keygen", "virtual-display"])
def test_remote_access_look_alikes_are_quiet(source):
    assert ENGINE.check_code(source).action == "allow"
