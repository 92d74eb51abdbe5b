"""Deepfake, crypto-mining and torrent packs: the tools' own runner scripts, command lines built in
variables, voice cloning, Python miners, and the download/seed shape of BitTorrent code, each beside a
look-alike that must stay allowed.  Written here; not copied from any reference file."""


import pytest

from nbwarden.engine import Engine

ENGINE = Engine()


def _notebook(*cells: str) -> dict:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
                  for c in cells],
    }


def _verdict(source, kind="cell"):
    if isinstance(source, dict):
        return ENGINE.check_notebook(source)
    return ENGINE.check_code(source, kind)


def _acts(source, kind="cell"):
    verdict = _verdict(source, kind)
    return verdict.action, verdict.category, sorted({f.rule for f in verdict.findings if f.severity != "audit"})


# ---------------------------------------------------------------------------------------------- deepfake

DEEPFAKE = {
    "roop-style entry point": ("#!/usr/bin/env python3\nfrom roop import core\n\nif __name__ == '__main__':\n"
                               "    core.run()\n", "python"),
    "facefusion fork entry point": ("from facefusion import core\n\nif __name__ == '__main__':\n    core.cli()\n",
                                    "python"),
    "Deep-Live-Cam layout": ("import sys\nfrom modules import core\n\nif __name__ == '__main__':\n    core.run()\n",
                             "python"),
    "faceswap cli": ("from lib.cli import args as cli_args\nfrom lib.cli.args_extract_convert import ConvertArgs\n"
                     "p = cli_args.FullHelpArgumentParser()\nsub = p.add_subparsers()\n"
                     "ConvertArgs(sub, 'convert', 'Swap the face in a video')\n", "python"),
    "simswap runner": ("import torch\nfrom util.reverse2original import reverse2wholeimage\n"
                       "ident = net.netArc(F.interpolate(src, size=(112, 112)))\n"
                       "out = net(None, crop, ident, None, True)\n", "python"),
    "roop command in an f-string": (_notebook(
        "%cd roop",
        "who = 'face_swapper'\nline = f'run.py -s {a} -t {b} -o {c} --frame-processor {who} --keep-audio'\n"
        "!python $line"), None),
    "facefusion model flag": ("%cd /content/ffx\n!python run.py --execution-providers cuda "
                              "--face-swapper-model inswapper_128", "cell"),
    "facefusion installer under another name": ("!git clone https://example.org/x/abc.git\n%cd abc\n"
                                                "!python install.py --onnxruntime cuda --skip-venv", "cell"),
    "fomm demo api": ("from demo import load_checkpoints, make_animation\n"
                      "gen, kp_detector = load_checkpoints('config/vox-256.yaml', 'ckpt.pth.tar')\n"
                      "frames = make_animation(photo, clip, gen, kp_detector, relative=True)", "cell"),
    "wav2lip through ml4a": ("from ml4a.models import wav2lip\nwav2lip.run('person.jpg', 'words.wav', "
                             "output_video='talk.mp4')", "cell"),
    "rvc inference list": ("import subprocess, sys\nargv = [sys.executable, 'tools/infer_cli.py', '--f0up_key', "
                           "str(shift), '--index_path', idx, '--model_name', voice]\nsubprocess.run(argv)", "cell"),
    "rvc pretrained files": ("for name in ['f0G48k.pth', 'f0D48k.pth']:\n    fetch(BASE + name, 'pretrained_v2/' + name)",
                             "cell"),
    "voice tool fork clone": ("!git clone https://github.com/example/Mangio-RVC-Fork rvc", "cell"),
    "so-vits-svc api": ("from inference.infer_tool import Svc\nm = Svc('logs/44k/G_800.pth', 'configs/config.json')\n"
                        "audio = m.slice_inference('raw/in.wav', 'singer', 0, -40, 0, 0.5)", "cell"),
    "zero-shot cloning tts": ("for out in model.inference_zero_shot(script, ref_text, load_wav('boss.wav', 16000)):\n"
                              "    chunks.append(out['tts_speech'])", "cell"),
    "so-vits-svc-fork cli": ("!pip install -q so-vits-svc-fork\n!svc infer -m G_100.pth -c config.json in.wav", "cell"),
    "comfyui reactor node": ("wf['7'] = {'class_type': 'ReActorFaceSwap', 'inputs': {'input_image': ['3', 0]}}\n"
                             "requests.post(URL + '/prompt', json={'prompt': wf})", "cell"),
    "xtts speaker_wav": ("from TTS.api import TTS\nt = TTS('tts_models/multilingual/multi-dataset/xtts_v2')\n"
                         "t.tts_to_file(text=line, speaker_wav='celebrity.wav', language='en', file_path='o.wav')",
                         "cell"),
}


@pytest.mark.parametrize("name", sorted(DEEPFAKE))
def test_deepfake_shapes_are_flagged(name):
    source, kind = DEEPFAKE[name]
    action, category, rules = _acts(source, kind or "cell")
    assert action in {"warn", "block"}, (name, rules)
    assert category == "deepfake", (name, category, rules)


DEEPFAKE_BENIGN = {
    "policy notebook quoting a swap command": (
        "EXAMPLES = '''\n!python run.py -s a.jpg -t b.mp4 --frame-processor face_swapper\n'''\n"
        "print('These cells are blocked here:', EXAMPLES)", "cell"),
    "facefusion upscaling only": ("opts = ['--frame-processors', 'frame_enhancer']\nprint(opts)", "cell"),
    "stock-voice tts": ("from TTS.api import TTS\nt = TTS('tts_models/en/ljspeech/glow-tts')\n"
                        "t.tts_to_file(text='Epoch finished.', file_path='done.wav')", "cell"),
    "bark stock preset": ("from bark import generate_audio\naudio = generate_audio('hi', history_prompt='v2/en_speaker_1')",
                          "cell"),
    "arcface verification": ("emb = arcface(img1)\nemb2 = arcface(img2)\nprint(cosine(emb, emb2))", "cell"),
    "webui modules import": ("from modules import shared, scripts\nclass Script(scripts.Script):\n    pass", "python"),
    "sadtalker checkpoint download only": ("!wget -nc https://github.com/OpenTalker/SadTalker/releases/download/"
                                           "v0.0.2-rc/SadTalker_V0.0.2_512.safetensors -P ckpt", "cell"),
    "built-in speaker tts": ("for out in model.inference_sft('Good morning', 'English Male'):\n    chunks.append(out)",
                             "cell"),
    "pitch tracking": ("import librosa\nf0, vflag, vprob = librosa.pyin(y, fmin=65, fmax=1000)", "cell"),
}


@pytest.mark.parametrize("name", sorted(DEEPFAKE_BENIGN))
def test_deepfake_look_alikes_are_allowed(name):
    source, kind = DEEPFAKE_BENIGN[name]
    action, _, rules = _acts(source, kind)
    assert action == "allow", (name, rules)


# ---------------------------------------------------------------------------------------------- crypto mining

MINING = {
    "python stratum login client": (
        "import socket, json, pyrx\ns = socket.create_connection((HOST, 4444))\n"
        "s.sendall((json.dumps({'id': 1, 'method': 'login', 'params': {'login': ADDR, 'pass': 'w1'}}) + '\\n').encode())\n"
        "job = json.loads(s.makefile().readline())['result']['job']\n"
        "digest = pyrx.get_rx_hash(blob, bytes.fromhex(job['seed_hash']), job['height'])\n", "python"),
    "solo mining against a node": (
        "import requests, pycryptonight\nt = requests.post(NODE + '/json_rpc', json={'method': 'get_block_template', "
        "'params': {'wallet_address': ADDR}}).json()['result']\nnonce = 0\n"
        "h = pycryptonight.cn_slow_hash(pack(t, nonce), 4, 0, t['height'])\n"
        "requests.post(NODE + '/json_rpc', json={'method': 'submit_block', 'params': [pack(t, nonce).hex()]})\n", "python"),
    "gpu miner launcher with payout address": (
        "import subprocess\nserver = 'autolykos.auto.nicehash.com:9200'\nwallet = '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2'\n"
        "proc = subprocess.Popen([path, '--algo', algo, '--server', server, '--user', wallet])\n", "python"),
    "miner started by a shell function": ("%%bash\nsource helpers.sh\nstart_xmrig\n", "cell"),
    "duino-coin in python": ("import socket, hashlib\nc = socket.create_connection((SRV, 2813))\n"
                             "c.send(('JOB,' + NAME + ',MEDIUM').encode())\nprev, goal, diff = c.recv(128).decode().split(',')\n"
                             "n = next(i for i in range(100 * int(diff) + 1) "
                             "if hashlib.sha1((prev + str(i)).encode()).hexdigest() == goal)\nc.send(f'{n},,nb'.encode())", "cell"),
}


@pytest.mark.parametrize("name", sorted(MINING))
def test_mining_shapes_are_flagged(name):
    source, kind = MINING[name]
    action, category, rules = _acts(source, kind)
    assert action == "block", (name, rules)
    assert category == "crypto_mining", (name, category, rules)


MINING_BENIGN = {
    "randomx benchmark": ("import pyrx, time\nstart = time.time()\nfor n in range(50):\n"
                          "    pyrx.get_rx_hash(b'\\0' * 76, b'k', 1)\nprint(50 / (time.time() - start), 'H/s')", "cell"),
    "toy proof of work": ("import hashlib\nnonce = 0\nwhile not hashlib.sha256(f'blk{nonce}'.encode()).hexdigest()"
                          ".startswith('000'):\n    nonce += 1\nprint(nonce)", "cell"),
    "pool statistics api": ("import requests\nr = requests.get('https://api2.nicehash.com/main/api/v2/public/stats/global/current')"
                            "\nprint(r.json())", "cell"),
    "web login json": ("import requests\nrequests.post(URL, json={'method': 'login', 'params': {'user': u, 'password': p}})",
                       "cell"),
    "block explorer nonce": ("import requests\nb = requests.get(API + '/block/' + h).json()\nprint(b['nonce'], b['height'])",
                             "cell"),
    "miner-named variable": ("run_xmrig = False\nif run_xmrig:\n    raise SystemExit('not on this hub')", "cell"),
}


@pytest.mark.parametrize("name", sorted(MINING_BENIGN))
def test_mining_look_alikes_are_allowed(name):
    source, kind = MINING_BENIGN[name]
    action, _, rules = _acts(source, kind)
    assert action == "allow", (name, rules)


# ---------------------------------------------------------------------------------------------- torrents

TORRENT = {
    "magnet added in a later cell": ("opts = {'save_path': '/content/drive/MyDrive/films'}\n"
                                     "handles.append(lt.add_magnet_uri(ses, link, opts))", "cell"),
    "torrent added with a save path": ("p = lt.add_torrent_params()\np.ti = lt.torrent_info(path)\n"
                                       "p.save_path = '/content/out'\nh = ses.add_torrent(p)", "cell"),
    "wait-for-seed loop": ("while True:\n    s = h.status()\n    print(s.progress, s.download_rate, s.num_peers)\n"
                           "    if h.is_seed():\n        break\n    time.sleep(2)", "cell"),
    "aria2c argv built in code": ("import subprocess\nargv = ['aria2c', '--dir', out, '--seed-ratio=0.0', "
                                  "'--enable-dht=true', uri]\nsubprocess.Popen(argv)", "cell"),
    "aria2 rpc add torrent": ("import xmlrpc.client\nrpc = xmlrpc.client.ServerProxy('http://127.0.0.1:6800/rpc')\n"
                              "rpc.aria2.addTorrent(xmlrpc.client.Binary(open('f.torrent', 'rb').read()))", "cell"),
    "bittornado headless client": ("from BitTornado.Client.download_bt1 import BT1Download\n"
                                   "from BitTornado.Network.RawServer import RawServer\n", "python"),
    "cloud-torrent container": ("docker run -d -p 3000:3000 -v /srv/dl:/downloads jpillora/cloud-torrent\n", "shell"),
    "aria2c on a magnet from a form": ("magnet_uri = ''  #@param {type:'string'}\n!aria2c -d /content/dl \"$magnet_uri\"",
                                       "cell"),
    "downloader script on a torrent": ("!./my-torrent-downloader.py /content/a.torrent", "cell"),
}


@pytest.mark.parametrize("name", sorted(TORRENT))
def test_torrent_download_shapes_are_flagged(name):
    source, kind = TORRENT[name]
    action, category, rules = _acts(source, kind)
    assert action == ("warn" if name == "aria2c on a magnet from a form" else "block"), (name, rules)
    assert category == "torrent_p2p", (name, category, rules)


TORRENT_BENIGN = {
    "make a torrent with libtorrent": ("import libtorrent as lt\nfs = lt.file_storage()\nlt.add_files(fs, 'release')\n"
                                       "t = lt.create_torrent(fs)\nt.add_tracker('udp://tracker.example.org:6969/announce')\n"
                                       "lt.set_piece_hashes(t, '.')\nopen('release.torrent', 'wb').write(lt.bencode(t.generate()))",
                                       "python"),
    "list files of a torrent": ("import libtorrent as lt\ninfo = lt.torrent_info('x.torrent')\n"
                                "print([f.path for f in info.files()])", "python"),
    "parse magnet links": ("from urllib.parse import urlparse, parse_qs\n"
                           "link = 'magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&tr=udp://tr.example.org:80/announce'\n"
                           "print(parse_qs(urlparse(link).query))", "python"),
    "rewrite announce url": ("import bencode\nmeta = bencode.bread('a.torrent')\n"
                             "meta['announce'] = 'http://tracker.example.org:6969/announce'\nbencode.bwrite(meta, 'a.torrent')",
                             "python"),
    "transmission housekeeping": ("from transmission_rpc import Client\nc = Client()\n"
                                  "for t in c.get_torrents():\n    if t.is_finished:\n        c.remove_torrent(t.id)",
                                  "python"),
    "magnetic field data with aria2c": ("magnet_field = 3.0\n!aria2c -d data https://example.org/mri.nii.gz", "cell"),
    "aria2c http model download": ("import subprocess\nsubprocess.run(['aria2c', '-x', '16', '-d', 'ckpt', MODEL_URL])",
                                   "cell"),
}


@pytest.mark.parametrize("name", sorted(TORRENT_BENIGN))
def test_torrent_file_handling_is_allowed(name):
    source, kind = TORRENT_BENIGN[name]
    action, _, rules = _acts(source, kind)
    assert action == "allow", (name, rules)
