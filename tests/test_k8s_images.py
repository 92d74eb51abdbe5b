"""The images' install steps, without Docker: the wheel, installed by the Dockerfiles' own RUN lines.

No Docker engine and no registry are reachable where this runs, so the base images cannot be pulled.
Instead the wheel is built (``python -m build``), and for each ``deploy/kubernetes/Dockerfile.*`` its
ARG, ENV, COPY and RUN instructions are replayed in order in a clean virtual environment (its ``bin``
first on PATH, so ``pip``, ``python``, ``jupyter`` and ``nbwarden`` are the image's): the commands
are read from the Dockerfile, so they cannot drift from what is tested.  Then what the image is for is
checked from that environment: the gate extension, the sensor kernelspec and a kernel started from it,
the CLI, the PostgreSQL driver, the hub's templates.  Needs PyPI (the wheel's dependencies).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from k8s_support import dockerfile

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(1200)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)], check=True,
                   capture_output=True, timeout=600)
    (found,) = out.glob("nbwarden-*.whl")
    return found


def test_wheel_carries_every_data_file(wheel):
    """Templates, packs, schemas, migrations: every non-Python file of the package is in the wheel."""
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [str(p.relative_to(ROOT)) for p in (ROOT / "nbwarden").rglob("*")
               if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
               and str(p.relative_to(ROOT)) not in names]
    assert not missing
    assert any(n.endswith("etc/jupyter/jupyter_server_config.d/nbwarden.json") for n in names)


class Image:
    """A clean virtual environment with a Dockerfile's steps applied."""

    def __init__(self, name: str, root: Path, wheel: Path) -> None:
        self.venv = root / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True, timeout=120)
        home = root / "home"
        home.mkdir()
        keep = {k: v for k, v in os.environ.items() if k.startswith("PIP_") or k.lower().endswith("_proxy")}
        self.env = {**keep, "PATH": f"{self.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home),
                    "VIRTUAL_ENV": str(self.venv), "LANG": "C.UTF-8", "NBWARDEN_SENSOR_DIR": str(root / "run")}
        self.ran: list[str] = []
        steps = dockerfile(name)
        assert ("ARG", "WHEELS=/tmp/wheels") in steps
        self.env["WHEELS"] = str(root / "wheels")  # as `docker build --build-arg WHEELS=...` would
        for instruction, args in steps:
            if instruction in ("ARG", "ENV"):
                for key, value in re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", args):
                    self.env.setdefault(key, value.strip('"'))
            elif instruction == "COPY":  # the wheel, from the build context's dist/
                source, target = args.split()
                assert fnmatch.fnmatch(f"dist/{wheel.name}", source), f"COPY {source} does not take the wheel"
                target = Path(re.sub(r"\$\{(\w+)\}", lambda m: self.env[m.group(1)], target))
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy(wheel, target)
            elif instruction == "RUN":
                assert "apt-get" not in args, "an OS-level step: list it here with how it is checked"
                self.run(args)
                self.ran.append(args)
            else:
                assert instruction in ("FROM", "USER", "ENTRYPOINT", "CMD", "WORKDIR", "EXPOSE"), instruction

    def run(self, command: str, timeout: float = 600, expect: int = 0) -> subprocess.CompletedProcess:
        res = subprocess.run(["bash", "-euo", "pipefail", "-c", command], env=self.env, cwd=self.venv.parent,
                             capture_output=True, text=True, timeout=timeout)
        assert res.returncode == expect, f"{command}\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
        return res


def test_singleuser_image(wheel, tmp_path):
    image = Image("singleuser", tmp_path, wheel)
    assert len(image.ran) == 3
    assert not Path(image.env["WHEELS"]).exists()  # the steps clean up after themselves
    # the gate extension is enabled and loads; jupyter-server-proxy too (its route to users' web UIs)
    listing = ANSI.sub("", image.run("jupyter server extension list 2>&1").stdout)
    for ext in ("nbwarden", "jupyter_server_proxy"):
        assert re.search(rf"^\s*{ext} enabled", listing, re.M), listing
        assert re.search(rf"^\s*{ext}( \S+)?\s+OK$", listing, re.M), listing
    # the sensor kernelspec, pointing at the image's Python
    specs = json.loads(image.run("jupyter kernelspec list --json").stdout)["kernelspecs"]
    argv = specs["python3-nbwarden"]["spec"]["argv"]
    assert Path(argv[0]).parent == image.venv / "bin" and argv[1:5] == ["-m", "nbwarden.agent.launcher", "-m",
                                                                        "ipykernel_launcher"]
    # a kernel from it runs code behind the sensor, which vetoes a miner started from the cell
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import json\n"
        "from jupyter_client.manager import start_new_kernel\n"
        "km, kc = start_new_kernel(kernel_name='python3-nbwarden', startup_timeout=120)\n"
        "out = []\n"
        "code = \"import sys, subprocess\\nprint('sensor', 'nbwarden.agent.sensor' in sys.modules)\\n"
        "subprocess.run(['xmrig', '-o', 'stratum+tcp://127.0.0.1:3333'])\"\n"
        "reply = kc.execute_interactive(code, timeout=120, output_hook=lambda m: out.append(m['content']))\n"
        "print(json.dumps([reply['content']['status'], reply['content'].get('ename'), out], default=str))\n"
        "kc.stop_channels()\n"
        "km.shutdown_kernel(now=True)\n")
    res = image.run(f"python {probe}", timeout=300)
    status, ename, outputs = json.loads(res.stdout.strip().splitlines()[-1])
    text = json.dumps(outputs)
    assert "sensor True" in text, text
    assert status == "error" and ename in ("PolicyViolation", "PermissionError"), (status, ename, text)
    # the CLI and its rule packs, and the PostgreSQL driver
    verdict = json.loads(image.run("echo '!xmrig -o stratum+tcp://pool.example:3333' | nbwarden check -",
                                   expect=1).stdout)  # exit 1: a blocked cell
    assert verdict["action"] == "block" and verdict["category"] == "crypto_mining"
    image.run("python -c 'import psycopg'")


def test_agent_image(wheel, tmp_path):
    image = Image("agent", tmp_path, wheel)
    assert image.env["PYTHONDONTWRITEBYTECODE"] == "1"
    status = json.loads(image.run("nbwarden agent status").stdout)
    assert {"proc_connector", "cgroup2", "gpu", "exec_gate"} <= set(status)
    assert "crypto_mining.miner-program" in image.run("nbwarden rules list").stdout
    image.run("python -c 'import psycopg'")
    # the ENTRYPOINT and the DaemonSet's arguments name a command the CLI has
    entry = json.loads(dict(dockerfile("agent"))["ENTRYPOINT"])
    assert entry == ["nbwarden"]
    image.run("nbwarden agent --help >/dev/null")


def test_hub_image(wheel, tmp_path):
    image = Image("hub", tmp_path, wheel)
    # the hooks z2jh's extraConfig imports, the refusal page's template, the PostgreSQL driver
    image.run("python -c 'import psycopg; from pathlib import Path; from nbwarden.hub import hooks; "
              "assert (Path(hooks.TEMPLATES) / \"error.html\").is_file(), hooks.TEMPLATES'")
    # no extras: the base image's JupyterHub is left alone (not installed here, so not pulled in either)
    assert '"jupyterhub"' not in image.run("python -m pip list --format=json").stdout
