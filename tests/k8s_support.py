"""Helpers for the Kubernetes deployment tests: the files under deploy/kubernetes, and JupyterHub's
configuration loaded the way Zero to JupyterHub's hub container loads it."""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[1] / "deploy" / "kubernetes"


def documents(name: str) -> list[dict[str, Any]]:
    """The YAML documents of one file under deploy/kubernetes."""
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text(encoding="utf-8")) if d]


def manifests() -> list[tuple[str, dict[str, Any]]]:
    """(file, document) of every Kubernetes object; config.yaml holds Helm values, not objects."""
    return [(p.name, d) for p in sorted(DEPLOY.glob("*.yaml")) if p.name != "config.yaml" for d in documents(p.name)]


def values() -> dict[str, Any]:
    return documents("config.yaml")[0]


def find(name: str, kind: str | None = None) -> dict[str, Any]:
    """The object called ``name`` (of ``kind``) among the manifests."""
    found = [d for _f, d in manifests() if d["metadata"]["name"] == name and (kind is None or d["kind"] == kind)]
    assert len(found) == 1, f"{kind or 'object'} {name}: {len(found)} found"
    return found[0]


def agent_settings() -> dict[str, Any]:
    """The agent's settings as its ConfigMap gives them."""
    return yaml.safe_load(find("nbwarden-agent", "ConfigMap")["data"]["agent.yaml"])


def dockerfile(name: str) -> list[tuple[str, str]]:
    """(instruction, arguments) of ``Dockerfile.<name>``, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in (DEPLOY / f"Dockerfile.{name}").read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#") or (not line.strip() and not pending):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        word, _, rest = pending.strip().partition(" ")
        out.append((word.upper(), re.sub(r"\s+", " ", rest).strip()))
        pending = ""
    return out


# The z2jh helper module (jupyterhub/files/hub/z2jh.py), reading the values from a file instead of
# the chart's mounted Secret: get_config, get_secret_value, set_config_if_not_none.
Z2JH_MODULE = textwrap.dedent('''
    import json, os
    from functools import lru_cache

    import yaml


    @lru_cache
    def _load_config():
        with open(os.environ["Z2JH_VALUES"]) as f:
            return yaml.safe_load(f)


    def get_config(key, default=None):
        value = _load_config()
        for level in key.split("."):
            if not isinstance(value, dict) or level not in value:
                return default
            value = value[level]
        return value


    def get_secret_value(key, default="never-explicitly-set"):
        with open(os.environ["Z2JH_SECRETS"]) as f:
            secrets = json.load(f)
        if key in secrets:
            return secrets[key]
        if default != "never-explicitly-set":
            return default
        raise Exception(f"{key} not found in either k8s Secret!")


    def set_config_if_not_none(cparent, name, key):
        data = get_config(key)
        if data is not None:
            setattr(cparent, name, data)
''')

# The lines of z2jh's jupyterhub_config.py (chart 4.4.0) that read the values config.yaml sets, in the
# same order: the spawner, the user pods' environment, image and volumes, hub.services with their API
# tokens from the chart's Secret, the command, and last hub.extraConfig, exec'd in this namespace.
Z2JH_CONFIG = textwrap.dedent('''
    c = get_config()  # noqa: F821
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
    from z2jh import get_config, get_secret_value, set_config_if_not_none

    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    c.ConfigurableHTTPProxy.should_start = False
    c.JupyterHub.cleanup_servers = False
    c.JupyterHub.hub_bind_url = "http://:8081"
    c.JupyterHub.hub_connect_url = "http://hub:8081"
    c.KubeSpawner.namespace = os.environ.get("POD_NAMESPACE", "default")
    for trait, key in (("uid", "uid"), ("fs_gid", "fsGid"), ("environment", "extraEnv"),
                       ("extra_labels", "extraLabels")):
        set_config_if_not_none(c.KubeSpawner, trait, "singleuser." + key)
    image = get_config("singleuser.image.name")
    if image:
        tag = get_config("singleuser.image.tag")
        c.KubeSpawner.image = f"{image}:{tag}" if tag else image
    volumes = {}
    volume_mounts = {}
    for volume in get_config("singleuser.storage.extraVolumes", default=[]) or []:
        volumes[volume["name"]] = volume
    for idx, volume_mount in enumerate(get_config("singleuser.storage.extraVolumeMounts", default=[]) or []):
        volume_mounts[f"{idx}-{volume_mount['name']}"] = volume_mount
    c.KubeSpawner.volumes = volumes
    c.KubeSpawner.volume_mounts = volume_mounts
    c.JupyterHub.services = []
    c.JupyterHub.load_roles = []
    for key, service in get_config("hub.services", {}).items():
        service.setdefault("name", key)
        service.pop("apiToken", None)
        service["api_token"] = get_secret_value(f"hub.services.{key}.apiToken")
        c.JupyterHub.services.append(service)
    _unspecified = object()
    specified_cmd = get_config("singleuser.cmd", _unspecified)
    if specified_cmd is not _unspecified:
        c.Spawner.cmd = specified_cmd
    set_config_if_not_none(c.Spawner, "default_url", "singleuser.defaultUrl")
    for key, config_py in sorted(get_config("hub.extraConfig", {}).items()):
        exec(config_py)
''')


def write_hub_config(directory: Path, chart_values: dict[str, Any], secrets: dict[str, str]) -> Path:
    """jupyterhub_config.py, z2jh.py and their inputs in ``directory``; returns the config file.

    The environment variables it reads (``Z2JH_VALUES``, ``Z2JH_SECRETS``) are set by the caller
    (``monkeypatch.setenv``), as the chart's mounts are there before the hub starts.
    """
    import json

    (directory / "z2jh.py").write_text(Z2JH_MODULE, encoding="utf-8")
    (directory / "values.yaml").write_text(yaml.safe_dump(chart_values), encoding="utf-8")
    (directory / "secrets.json").write_text(json.dumps(secrets), encoding="utf-8")
    path = directory / "jupyterhub_config.py"
    path.write_text(Z2JH_CONFIG, encoding="utf-8")
    return path


def kubeconfig(directory: Path) -> Path:
    """A kubeconfig KubeSpawner can load; its server is a closed loopback port, never contacted."""
    path = directory / "kubeconfig"
    path.write_text(textwrap.dedent("""
        apiVersion: v1
        kind: Config
        clusters: [{name: none, cluster: {server: "https://127.0.0.1:9"}}]
        users: [{name: none, user: {token: none}}]
        contexts: [{name: none, context: {cluster: none, user: none, namespace: jhub}}]
        current-context: none
    """), encoding="utf-8")
    return path


def z2jh_chart() -> Path | None:
    """An unpacked jupyterhub chart (``helm pull --untar``: values.yaml, values.schema.json, files/hub/), if given."""
    path = os.environ.get("NBWARDEN_Z2JH_CHART")
    return Path(path) if path else None


def helm_merge(base: Any, extra: Any) -> Any:
    """Helm's merge of user values over the chart's: maps deeply, everything else replaced."""
    if isinstance(base, dict) and isinstance(extra, dict):
        out = dict(base)
        for key, value in extra.items():
            out[key] = helm_merge(base[key], value) if key in base else value
        return out
    return extra


def write_chart_hub_config(chart: Path, directory: Path, chart_values: dict[str, Any], secrets: dict[str, str]) -> Path:
    """The chart's own jupyterhub_config.py and z2jh.py, reading what the chart mounts from ``directory/etc``.

    As in the hub pod: the merged values and the secrets where the chart mounts its Secret, the
    resources' names where it mounts its ConfigMap.  Its Kubernetes Services' ports are environment
    variables (``HUB_SERVICE_PORT``, ``PROXY_API_SERVICE_PORT``), set by the caller.
    """
    etc = directory / "etc"
    for sub in ("secret", "config"):
        (etc / sub).mkdir(parents=True)
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    merged = helm_merge(yaml.safe_load((chart / "values.yaml").read_text()), chart_values)
    merged.update({"Chart": {"Name": meta["name"], "Version": meta["version"]},
                   "Release": {"Name": "jhub", "Namespace": "jhub"}})
    (etc / "secret" / "values.yaml").write_text(yaml.safe_dump(merged))
    for key, value in secrets.items():
        (etc / "secret" / key).write_text(value)
    for name in ("hub", "proxy-api", "proxy-public", "user-scheduler", "priority", "image-pull-secret", "singleuser"):
        (etc / "config" / name).write_text(name)
    for name in ("jupyterhub_config.py", "z2jh.py"):
        text = (chart / "files" / "hub" / name).read_text().replace("/usr/local/etc/jupyterhub", str(etc))
        (directory / name).write_text(text)
    return directory / "jupyterhub_config.py"
