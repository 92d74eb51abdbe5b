"""Commands inside Dockerfiles, CI pipelines, Procfiles and expect scripts are checked as the shell they are,
on their own lines, and programs in other languages (Go, JavaScript, C...) as code; look-alike files of the
same kinds stay clean."""

from __future__ import annotations

import pytest

from nbwarden.embedded import commands, kind_of_name
from nbwarden.engine import Engine
from nbwarden.scan import check_file
from nbwarden.sources import kind_of


@pytest.fixture(scope="module")
def engine():
    return Engine()


CASES = [
    # (file name, content, category expected or None for a benign look-alike)
    # BuildKit here-documents: the app a Dockerfile writes is read, and Docker's SDK starts a container with sshd
    ("Dockerfile", "FROM python:3.11-slim\nRUN pip install flask docker\nRUN cat << 'EOF' > panel.py\n"
                   "import docker, random\nfrom flask import Flask\napp = Flask(__name__)\nclient = docker.from_env()\n"
                   "@app.post('/new')\ndef new():\n    c = client.containers.run('debian:12', \"sh -c 'apt-get install -y "
                   "openssh-server && service ssh start && sleep infinity'\", detach=True, ports={'22/tcp': 2200})\n"
                   "    return c.id\napp.run(host='0.0.0.0', port=8000)\nEOF\nCMD [\"python3\", \"panel.py\"]\n",
     "remote_desktop_ssh"),
    ("Dockerfile", "FROM python:3.11-slim\nRUN pip install flask docker\nRUN cat << 'EOF' > runner.py\n"
                   "import docker\nclient = docker.from_env()\nlogs = client.containers.run('pytorch/pytorch:2.3.0-cuda12.1',"
                   " ['python', 'train.py', '--epochs', '3'], remove=True)\nprint(logs.decode())\nEOF\n"
                   "CMD [\"python3\", \"runner.py\"]\n", None),
    ("Dockerfile", "FROM debian:12\nRUN apt-get update && \\\n    apt-get install -y xrdp xfce4\nEXPOSE 3389\n"
                   "CMD [\"/usr/sbin/xrdp\", \"--nodaemon\"]\n", "remote_desktop_ssh"),
    ("Dockerfile", "FROM python:3.11\nRUN pip install --no-cache-dir jupyterlab numpy pandas\nEXPOSE 8888\n"
                   "CMD [\"jupyter\", \"lab\", \"--ip=0.0.0.0\"]\n", None),
    (".gitlab-ci.yml", "mine:\n  image: ubuntu\n  script:\n  - wget https://github.com/xmrig/xmrig/releases/download/"
                       "v6.21.0/xmrig-6.21.0-linux-static-x64.tar.gz\n  - tar xf xmrig-6.21.0-linux-static-x64.tar.gz\n"
                       "  - ./xmrig-6.21.0/xmrig -o gulf.moneroocean.stream:10128 -u 44AFFq5kSiGBoZ4NMDwYt\n",
     "crypto_mining"),
    (".gitlab-ci.yml", "test:\n  image: python:3.11\n  script:\n  - pip install -e .[test]\n  - pytest -q\n", None),
    ("rdp.exp", "#!/usr/bin/expect -f\nspawn sudo apt-get install -y xrdp\nexpect \"Do you want\"\nsend \"y\\r\"\n"
                "spawn sudo service xrdp start\nexpect eof\n", "remote_desktop_ssh"),
    ("deploy.exp", "spawn ssh user@build.example.org\nexpect \"password:\"\nsend \"$env(PASS)\\r\"\n"
                   "send \"make test\\r\"\nexpect eof\n", None),
    ("docker-compose.yml", "services:\n  share:\n    image: python:3.12\n    command:\n      - /bin/bash\n      - -c\n"
                           "      - |\n        cd /srv/files\n        python3 -m http.server 8000\n  tunnel:\n"
                           "    image: ngrok/ngrok:latest\n    command: [\"http\", \"share:8000\"]\n", "web_file_hosting"),
    ("docker-compose.yml", "services:\n  lab:\n    image: jupyter/scipy-notebook\n    ports: ['8888:8888']\n"
                           "  db:\n    image: postgres:16\n    command: [\"postgres\", \"-c\", \"max_connections=50\"]\n", None),
    ("flood.go", "package main\n\nimport (\n\t\"net\"\n\t\"time\"\n)\n\nfunc hit(addr string) {\n"
                 "\tc, err := net.Dial(\"tcp\", addr)\n\tif err == nil {\n\t\tc.Write([]byte(\"GET / HTTP/1.1\\r\\n\\r\\n\"))\n"
                 "\t}\n}\n\nfunc main() {\n\tfor {\n\t\tgo func() { hit(\"203.0.113.9:80\") }()\n"
                 "\t\ttime.Sleep(time.Millisecond)\n\t}\n}\n", "dos_attack"),
    # a comment line inside a continued RUN: Docker drops it and the instruction goes on
    ("Dockerfile", "FROM alpine:3.19\nRUN cd /tmp \\\n# fetch the proxy\n&& wget -q https://example.org/x.tgz \\\n"
                   "# and start it\n&& tar xf x.tgz && ./ss-server -s 0.0.0.0 -p 8388 -k pw -m aes-256-gcm\n",
     "proxy_tunnel"),
    ("Dockerfile", "FROM alpine:3.19\nRUN cd /tmp \\\n# unpack the data\n&& wget -q https://example.org/x.tgz \\\n"
                   "# ss-server -s 0.0.0.0 -p 8388 was the old way\n&& tar xf x.tgz\n", None),
    # an empty line inside a continued RUN: Docker drops it too, and the download after it is part of the RUN
    ("Dockerfile", "FROM ubuntu:22.04\nRUN apt-get update && \\\n\n\tcurl -o bedrock.zip https://example.org/bin-linux/"
                   "bedrock-server-1.21.0.zip && \\\n\n\tunzip bedrock.zip -d /srv/bedrock\nEXPOSE 19132/udp\n",
     "web_file_hosting"),
    ("Dockerfile", "FROM ubuntu:22.04\nRUN apt-get update && \\\n\n\tcurl -o data.zip https://example.org/datasets/"
                   "faces-1.21.0.zip && \\\n\n\tunzip data.zip -d /srv/data\n", None),
    # the base image is the program the container is built around, whatever script starts it
    ("Dockerfile", "FROM jellyfin/jellyfin:latest\nRUN apt-get update && apt-get install -y rclone fuse3\n"
                   "COPY entrypoint.sh /entrypoint.sh\nEXPOSE 8096\nENTRYPOINT [\"/entrypoint.sh\"]\n", "web_file_hosting"),
    ("Dockerfile", "FROM --platform=linux/amd64 nvidia/cuda:12.2.0-runtime-ubuntu22.04 AS base\n"
                   "RUN pip install torch torchvision\nCOPY train.py /app/train.py\nCMD [\"python\", \"/app/train.py\"]\n", None),
    # a CI workflow kept outside .github/workflows is known by its keys
    ("ci/proxy.yml", "on: workflow_dispatch\njobs:\n  p:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n"
                     "          wget -q -O frpc.toml https://example.org/frpc.toml\n          nohup frpc -c frpc.toml &\n"
                     "          ssr-server -p 8388 -k pw &\n          ss-server -s 0.0.0.0 -p 8388 -k pw -m aes-256-gcm\n", "proxy_tunnel"),
    ("ci/tests.yml", "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pip install -e . && pytest -q\n",
     None),
    ("server.go", "package main\n\nimport \"net/http\"\n\nfunc main() {\n\thttp.HandleFunc(\"/\", func(w http.ResponseWriter,"
                  " r *http.Request) { w.Write([]byte(\"ok\")) })\n\tfor {\n\t\tgo func() {}()\n\t\t"
                  "http.Get(\"http://127.0.0.1:8080/health\")\n\t\tbreak\n\t}\n\thttp.ListenAndServe(\":8080\", nil)\n}\n", None),
    # a setup script that writes a compose file in a here-document: the file's images are what starts
    ("setup.sh", "#!/bin/bash\nmkdir -p /srv/share && cd /srv/share\ncat <<EOF > compose.yaml\nservices:\n"
                 "  files:\n    image: filebrowser/filebrowser:latest\n    volumes:\n      - /srv/share:/srv\n"
                 "    ports:\n      - \"8094:80\"\nEOF\ndocker compose up -d\n", "web_file_hosting"),
    ("setup.sh", "#!/bin/bash\nmkdir -p /srv/lab && cd /srv/lab\ncat > compose.yaml <<'EOF'\nservices:\n"
                 "  lab:\n    image: jupyter/scipy-notebook\n    ports: ['127.0.0.1:8888:8888']\n  db:\n"
                 "    image: postgres:16\nEOF\ncat <<EOF > notes.txt\nimage: filebrowser/filebrowser is not run\nEOF\n"
                 "docker compose up -d\n", None),
    # a web server image published on its own serves a site; in front of a service whose port stays inside the
    # compose network (expose:), it is that service's front
    ("docker-compose.yml", "services:\n  site:\n    image: nginx:alpine\n    ports:\n      - 8000:80\n"
                           "    volumes:\n      - ./share:/usr/share/nginx/html\n", "web_file_hosting"),
    ("docker-compose.yml", "services:\n  notebook:\n    build: ./jupyter\n    expose:\n      - 8888\n"
                           "  nginx:\n    build: ./nginx\n    image: nginx\n    ports:\n      - 8000:8000\n", None),
    ("docker-compose.yml", "services:\n  api:\n    build: ./api\n    expose:  # internal only\n      - 12345\n"
                           "  nginx:\n    image: nginx:latest\n    ports:\n      - 80:80\n", None),
    # a compose file's settings are code: a proxy told to listen on every interface runs an open proxy
    ("docker-compose.yml", "services:\n  relay:\n    build: .\n    network_mode: host\n    environment:\n"
                           "      SOCKS5_HOST: \"0.0.0.0\"\n      SOCKS5_PORT: \"1080\"\n", "proxy_tunnel"),
    ("docker-compose.yml", "services:\n  crawler:\n    build: .\n    environment:\n"
                           "      HTTP_PROXY_HOST: proxy.corp.example.org\n      HTTP_PROXY_PORT: \"3128\"\n", None),
    # the same, echoed over several lines (inside bash -c) into the compose file
    ("setup.sh", "#!/bin/bash\nsudo mkdir -p /srv/mc && cd /srv/mc\nsudo bash -c 'echo \"services:\n  mc:\n"
                 "    image: itzg/minecraft-server\n    ports:\n      - 25565:25565\n    environment:\n"
                 "      EULA: \\\"TRUE\\\"\" >> docker-compose.yml'\nsudo docker-compose up -d\n", "web_file_hosting"),
    ("setup.sh", "#!/bin/bash\ncd /srv/lab\necho \"services:\n  lab:\n    image: jupyter/scipy-notebook\n"
                 "    ports: ['127.0.0.1:8888:8888']\" > docker-compose.yml\necho \"image: itzg/minecraft-server\n"
                 "is not run\" > notes.txt\ndocker compose up -d\n", None),
    # a compose fragment (no top-level services:) known by its file name
    ("stack/miner-compose.yml", "  worker:\n    image: metal3d/xmrig:latest\n    restart: unless-stopped\n"
                                "    command: -o pool.supportxmr.com:443 -u 4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge\n",
     "crypto_mining"),
    ("stack/lab-compose.yml", "  lab:\n    image: jupyter/scipy-notebook:latest\n    restart: unless-stopped\n", None),
    # a Dockerfile named with a dash (Dockerfile-cuda) is a Dockerfile: its RUN lines are what the build runs
    ("svc/Dockerfile-cuda", "FROM nvidia/cuda:12.1.0-runtime-ubuntu22.04\nRUN pip install onnxruntime-gpu\n"
                            "RUN wget -q https://example.org/models/inswapper_128.onnx -O /models/inswapper_128.onnx\n"
                            "CMD [\"uvicorn\", \"main:app\", \"--host\", \"0.0.0.0\"]\n", "deepfake"),
    ("svc/Dockerfile-cuda", "FROM nvidia/cuda:12.1.0-runtime-ubuntu22.04\nRUN pip install onnxruntime-gpu\n"
                            "RUN wget -q https://example.org/models/det_10g.onnx -O /models/det_10g.onnx\n"
                            "CMD [\"uvicorn\", \"main:app\", \"--host\", \"127.0.0.1\"]\n", None),
    # a compose file kept as a copy or a template (its suffix says nothing): its services still start what they name
    ("media/docker-compose.orig", "services:\n  media:\n    image: jellyfin/jellyfin\n    ports:\n      - 8096:8096\n",
     "web_file_hosting"),
    # the first compose format: its services are the top-level keys, with no services: above them
    ("seedbox/docker-compose.yml.default", "rtorrent:\n  image: linuxserver/rutorrent\n  ports:\n    - 51413:51413\n",
     "torrent_p2p"),
    ("lab/docker-compose.yml.default", "lab:\n  image: jupyter/scipy-notebook:latest\n  ports:\n    - 127.0.0.1:8888:8888\n",
     None),
    ("lab/docker-compose.yml.example", "services:\n  lab:\n    image: jupyter/scipy-notebook:latest\n"
                                       "    ports: ['127.0.0.1:8888:8888']\n", None),
    # a JavaScript launcher (Pinokio's shell.run, Node's exec) hands its strings to a shell
    ("launcher/install.js", "module.exports = {\n  run: [{\n    method: 'shell.run',\n    params: {\n"
                            "      message: [\n        'git clone https://github.com/someone/roop-unleashed app',\n"
                            "        'pip install -r requirements.txt',\n        `python run.py --execution-provider ${gpu}`\n"
                            "      ]\n    }\n  }]\n}\n", "deepfake"),
    ("launcher/install.js", "module.exports = {\n  run: [{\n    method: 'shell.run',\n    params: {\n"
                            "      message: [\n        'git clone https://github.com/someone/stable-diffusion-webui app',\n"
                            "        'pip install -r requirements.txt',\n        `python launch.py --port ${port}`\n"
                            "      ]\n    }\n  }]\n}\n", None),
    # a service manager's unit runs its ExecStart (systemd) or command (supervisord) later
    ("units/worker.service", "[Unit]\nDescription=worker\n[Service]\nExecStart=/opt/xmrig/xmrig -o pool.example.net:3333 "
                             "-u W\n", "crypto_mining"),
    ("units/lab.service", "[Unit]\nDescription=lab\n[Service]\nExecStart=/usr/bin/jupyter lab --ip 127.0.0.1\n", None),
    ("supervisor/miner.conf", "[program:w]\ncommand=/opt/xmrig/xmrig -o pool.example.net:3333 -u W\n", "crypto_mining"),
    # a server's settings are what it will do: HAProxy in forward-proxy mode, or in front of one's own app
    ("proxy/haproxy.cfg", "frontend out\n    bind *:3128\n    mode http\n    option http_proxy\n"
                          "    default_backend pool\nbackend pool\n    server p1 198.51.100.4:8888\n", "proxy_tunnel"),
    ("proxy/haproxy.cfg", "frontend web\n    bind *:80\n    mode http\n    option forwardfor\n"
                          "    default_backend app\nbackend app\n    server a1 127.0.0.1:8000\n", None),
    ("animate/run.js", "module.exports = async (kernel) => {\n  const cmd = [\n    'python', script,\n"
                       "    '--config', 'config/vox-256.yaml',\n    '--driving_video', kernel.input,\n"
                       "    '--source_image', kernel.params.face,\n    '--checkpoint', 'checkpoints/vox.pth.tar',\n"
                       "    '--relative', '--adapt_scale'\n  ].join(' ')\n  return { run: [{ method: 'shell.run', "
                       "params: { message: cmd } }] }\n}\n", "deepfake"),
    ("animate/run.js", "module.exports = async (kernel) => {\n  const cmd = [\n    'python', script,\n"
                       "    '--config', 'config/anime.yaml',\n    '--input', kernel.input,\n"
                       "    '--checkpoint', 'checkpoints/animegan.pth'\n  ].join(' ')\n  console.log('python demo.py --help')\n"
                       "  return { run: [{ method: 'shell.run', params: { message: cmd } }] }\n}\n", None),
]


@pytest.mark.parametrize("name, text, category", CASES, ids=[f"{c[0]}-{c[2] or 'benign'}" for c in CASES])
def test_embedded_commands_are_checked_as_shell(tmp_path, engine, name, text, category):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    verdict = check_file(path, engine).verdict
    if category is None:
        assert verdict["action"] in ("allow", "audit"), verdict
    else:
        assert verdict["action"] in ("warn", "block") and verdict["category"] == category, verdict


def test_commands_keep_their_lines_and_odd_files_give_none():
    text = "FROM x\n\nRUN a && \\\n  b\nCMD [\"c\", \"d e\"]\n"
    out = commands("dockerfile", text).split("\n")
    assert out[0] == "docker run x" and out[2] == "a && \\" and out[3] == "  b" and out[4] == "c 'd e'" and len(out) == len(text.split("\n"))
    assert commands("pipeline", "key: [unclosed\n  - : :\n\t\x00") == ""
    assert commands("dockerfile", "RUN [\"broken\n") == "[\"broken\n"  # not a list: kept as written
    assert commands("pipeline", "run: [python, '-m', http.server]") == "python -m http.server"
    assert kind_of_name("a/.github/workflows/ci.yml") == "pipeline" and kind_of_name("config.yml") is None
    assert kind_of_name("deploy/docker-compose.prod.yml") == "pipeline" and kind_of_name("composer.json") is None
    assert kind_of_name("docker/Dockerfile.gpu") == "dockerfile" and kind_of_name("notes.txt") is None
    assert kind_of_name("app/Dockerfile-cuda") == "dockerfile" and kind_of_name("base.dockerfile") == "dockerfile"
    assert kind_of_name("docs/dockerfiles.md") is None and kind_of_name("mydockerfile_notes.txt") is None
    assert kind_of_name("pinokio/start.js") == "javascript" and kind_of_name("notes.json") is None
    assert kind_of_name("units/worker.service") == "service" and kind_of_name("nginx/site.conf", "server {}") is None
    assert commands("service", "[Service]\nUser=me\nExecStart=/bin/run x\n").split("\n") == ["", "", "/bin/run x", ""]
    js = "const a = 'hello world'\nexec(`./xmrig -o ${pool} -u ${wallet}`)\nconst b = ['npx', 'serve', dir].join(' ')\n"
    assert commands("javascript", js).split("\n") == ["", "./xmrig -o {pool} -u {wallet}", "npx serve '{dir}'", ""]


def test_programs_in_other_languages_are_code_and_data_stays_data():
    assert kind_of(".go", b"package main") == ("text", None) and kind_of(".js", b"fetch(x)") == ("text", None)
    assert kind_of(".json", b"{}") == ("data", None) and kind_of(".txt", b"xmrig -o pool:3333") == ("data", None)
    assert kind_of(".cfg", b"bind *:3128") == ("text", None) and kind_of(".service", b"[Service]") == ("text", None)


@pytest.mark.parametrize("text, kind", [
    ("apt update\napt install -y apt-transport-https gnupg\napt install -y jellyfin\nsystemctl enable jellyfin\n",
     "shell"),
    ("DIR=/opt/app\ncd $DIR\ngit pull\npip install -r requirements.txt\n", "shell"),
    ("all: build\n\nbuild:\n\tgo build ./...\n\ntest:\n\tgo test ./...\n", "data"),  # a Makefile
    ("Copyright (c) 2024 Someone\n\nPermission is hereby granted, free of charge, to any person\n", "data"),
    ("install the package with pip\nthen run the notebook\n", "data"),  # prose that starts with a command word
])
def test_scripts_without_a_shebang_are_read_as_shell(text, kind):
    assert kind_of("", text.encode())[0] == kind


@pytest.mark.parametrize("name, category", [("flood.go", "dos_attack"), ("server.go", None)])
def test_windows_line_endings_read_like_unix_ones(tmp_path, engine, name, category):
    """A script saved on Windows (CRLF) is the same script: rules that end a line with \\n still see it."""
    text = next(t for n, t, c in CASES if n == name and c == category)
    path = tmp_path / name
    path.write_bytes(text.replace("\n", "\r\n").encode())
    verdict = check_file(path, engine).verdict
    if category is None:
        assert verdict["action"] in ("allow", "audit"), verdict
    else:
        assert verdict["action"] in ("warn", "block") and verdict["category"] == category, verdict


def test_a_lone_command_after_blank_lines_keeps_its_line(tmp_path, engine):
    """A unit whose only command is on its fourth line: the shell text handed on has three blank lines in front,
    and the finding names line 4, not line 1."""
    path = tmp_path / "worker.service"
    path.write_text("[Unit]\nDescription=worker\n[Service]\nExecStart=/opt/xmrig/xmrig -o pool.example.net:3333 -u W\n")
    findings = check_file(path, engine).verdict["findings"]
    assert findings and all(f["line"] == 4 for f in findings if f["severity"] != "audit"), findings
