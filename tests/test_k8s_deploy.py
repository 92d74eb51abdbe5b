"""The Kubernetes deployment (deploy/kubernetes), validated without a cluster.

* every manifest against the Kubernetes API schemas (kubernetes-validate, strict);
* the agent DaemonSets: capabilities with their reasons, host mounts, GPU scheduling, probe, metrics;
* the agent's ConfigMap as the agent itself loads it, and its metrics endpoint (the liveness probe);
* the user pods' NetworkPolicy egress against the agent's egress policy;
* the z2jh values: their cross-references, and the chart's values schema when a chart is given
  (``NBWARDEN_Z2JH_CHART``: an unpacked jupyterhub chart; skipped otherwise);
* hub.extraConfig executed with KubeSpawner against a real JupyterHub config object, the way z2jh's
  jupyterhub_config.py runs it (its relevant lines always; the chart's own file too when a chart is
  given): the service, roles, hooks, spawner arguments, the user pod KubeSpawner builds from them, and
  the service's quota settings (agents, not the service, sample usage).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import sys
import time
import urllib.request
import uuid

import pytest
import yaml
from k8s_support import (
    DEPLOY,
    agent_settings,
    documents,
    find,
    helm_merge,
    kubeconfig,
    manifests,
    values,
    write_chart_hub_config,
    write_hub_config,
    z2jh_chart,
)

from nbwarden.agent import network
from nbwarden.agent.app import Agent, AgentConfig

kubernetes_validate = pytest.importorskip("kubernetes_validate")
SECRET = documents("secret.example.yaml")[0]
GPU_ONLY = {"runtimeClassName", "nodeSelector", "affinity"}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------- manifests


@pytest.mark.parametrize("version", [kubernetes_validate.latest_version(), "1.28.0"])
def test_every_manifest_validates(version):
    """The newest API the validator knows and the oldest the z2jh 4.x chart supports."""
    found = manifests()
    assert {d["kind"] for _f, d in found} == {"ConfigMap", "DaemonSet", "Secret"}
    for name, doc in found:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{name}: {doc['kind']} {doc['metadata']['name']}: {exc.message} at {list(exc.path)}")


def test_validator_rejects_a_broken_manifest():
    """The validation above can fail: a misspelled field and a wrong type are caught."""
    ds = find("nbwarden-agent", "DaemonSet")
    broken = json.loads(json.dumps(ds))
    broken["spec"]["template"]["spec"]["hostPid"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, kubernetes_validate.latest_version(), strict=True)
    broken = json.loads(json.dumps(ds))
    broken["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "metrics"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, kubernetes_validate.latest_version(), strict=True)


def _pod(ds):
    return ds["spec"]["template"]["spec"]


def test_agent_daemonsets_differ_only_in_gpu_parts():
    cpu, gpu = find("nbwarden-agent", "DaemonSet"), find("nbwarden-agent-gpu", "DaemonSet")
    for ds in (cpu, gpu):  # each selects its own pods only
        assert ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items()
    assert cpu["spec"]["selector"] != gpu["spec"]["selector"]
    a, b = _pod(cpu), _pod(gpu)
    assert {k: v for k, v in a.items() if k not in GPU_ONLY | {"containers", "tolerations"}} == \
        {k: v for k, v in b.items() if k not in GPU_ONLY | {"containers", "tolerations"}}
    ca, cb = a["containers"][0], b["containers"][0]
    assert {k: v for k, v in ca.items() if k != "env"} == {k: v for k, v in cb.items() if k != "env"}
    assert [e for e in cb["env"] if not e["name"].startswith("NVIDIA_")] == ca["env"]
    # GPU nodes: GPU feature discovery's label, the GPU taint, the NVIDIA runtime for NVML, no GPU taken
    assert b["nodeSelector"] == {"nvidia.com/gpu.present": "true"} and b["runtimeClassName"] == "nvidia"
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in b["tolerations"]
    assert {e["name"]: e["value"] for e in cb["env"] if e["name"].startswith("NVIDIA_")} == \
        {"NVIDIA_VISIBLE_DEVICES": "all", "NVIDIA_DRIVER_CAPABILITIES": "utility"}
    assert "nvidia.com/gpu" not in json.dumps(cb["resources"])
    # other nodes: everything without that label, tainted user nodes included
    term = a["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term == [{"matchExpressions": [{"key": "nvidia.com/gpu.present", "operator": "DoesNotExist"}]}]
    assert {"operator": "Exists"} in a["tolerations"] and {"operator": "Exists"} in b["tolerations"]


def test_agent_privileges_are_the_ones_it_needs_with_reasons():
    ds = find("nbwarden-agent", "DaemonSet")
    pod = _pod(ds)
    container = pod["containers"][0]
    sc = container["securityContext"]
    assert pod["hostPID"] is True and pod["automountServiceAccountToken"] is False
    assert "hostNetwork" not in pod  # /proc/PID/net of each process shows its own network namespace
    assert sc["privileged"] is False and sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"]
    assert sc["capabilities"]["drop"] == ["ALL"]
    added = sc["capabilities"]["add"]
    assert sorted(added) == ["DAC_READ_SEARCH", "KILL", "NET_ADMIN", "SYS_PTRACE"]
    text = (DEPLOY / "agent.yaml").read_text()
    for cap in added:  # each one is explained where it is granted
        assert re.search(rf"#\s*{cap}: \S.*\n(\s*#.*\n)*\s*- {cap}\n", text), f"no reason given for {cap}"
    assert "SYS_ADMIN" not in added and agent_settings()["exec_gate"] == "off"  # fanotify only for the exec gate
    assert "NET_ADMIN" in added  # proc connector (and nftables, were egress on)
    # mounts: the sensor socket directory and the cgroup tree from the host, the config, the fallback log
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    vols = {v["name"]: v for v in pod["volumes"]}
    host = {mounts[n]["mountPath"]: vols[n]["hostPath"]["path"] for n in mounts if "hostPath" in vols[n]}
    assert host == {"/run/nbwarden": "/run/nbwarden", "/sys/fs/cgroup": "/sys/fs/cgroup",
                    "/var/lib/nbwarden": "/var/lib/nbwarden"}
    assert mounts["cgroup"].get("readOnly") is True and not mounts["sensor"].get("readOnly")
    settings = agent_settings()
    assert settings["sensor_dir"] == "/run/nbwarden"
    assert settings["decisions_file"].startswith("/var/lib/nbwarden/")
    assert mounts["config"]["mountPath"] + "/agent.yaml" in container["args"]
    # resources, and no CPU limit (throttling would delay kills)
    assert set(container["resources"]["requests"]) == {"cpu", "memory"}
    assert "cpu" not in container["resources"]["limits"]


def test_agent_ledger_secret_metrics_and_probe_agree():
    ds = find("nbwarden-agent", "DaemonSet")
    container = _pod(ds)["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    ref = env["NBWARDEN_DB_URL"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": SECRET["metadata"]["name"], "key": "url"} and "url" in SECRET["stringData"]
    assert "$(NBWARDEN_DB_URL)" in container["args"]  # kubelet expands it from the Secret
    settings = agent_settings()
    port = {p["name"]: p["containerPort"] for p in container["ports"]}["metrics"]
    annotations = ds["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == port == settings["metrics_port"]
    assert settings["metrics_addr"] == "0.0.0.0"  # reachable on the pod IP
    probe = container["livenessProbe"]["httpGet"]
    assert probe["port"] == "metrics" and probe["path"] == annotations["prometheus.io/path"] == "/metrics"


def test_agent_config_loads_and_serves_what_the_probe_asks(tmp_path):
    """The ConfigMap's agent.yaml, as the agent loads it, runs and answers its liveness probe."""
    path = tmp_path / "agent.yaml"
    path.write_text(find("nbwarden-agent", "ConfigMap")["data"]["agent.yaml"])
    cfg = AgentConfig.load(path)  # unknown keys raise
    assert cfg.report_usage is True and cfg.egress["enabled"] is False and cfg.exec_gate == "off"
    port = _free_port()
    agent = Agent(AgentConfig.load(path, metrics_port=port, sensor_dir=str(tmp_path / "run"),
                                   decisions_file=str(tmp_path / "d.jsonl"), ledger_url="",
                                   scope_env={"NBW_TEST_SCOPE": uuid.uuid4().hex}, gpu=False))
    agent.cfg.metrics_addr = "127.0.0.1"  # this host's loopback; the pod listens on its own IP
    agent.start_background()
    try:
        assert agent.ready.wait(60)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            body = response.read().decode()
        assert response.status == 200 and "nbwarden_agent_processes_checked_total" in body
        assert (tmp_path / "run" / "agent.sock").exists()  # the socket user pods mount
    finally:
        agent.stop()


# ---------------------------------------------------------------------- z2jh values


def _egress_to_internet(rule) -> bool:
    for peer in rule.get("to") or [{}]:  # no `to`: any destination
        block = peer.get("ipBlock")
        if block and ipaddress.ip_network(block["cidr"]).prefixlen == 0:
            return True
        if not peer:
            return True
    return False


def test_user_egress_matches_the_agents_egress_policy():
    """TCP to the internet only on the agent's ports; DNS as in its ruleset; no chart rule opening more."""
    netpol = values()["singleuser"]["networkPolicy"]
    assert netpol["enabled"] is True
    allow = netpol["egressAllowRules"]
    assert allow["nonPrivateIPs"] is False and allow["privateIPs"] is False and allow["cloudMetadataServer"] is False
    tcp, udp = set(), set()
    for rule in netpol["egress"]:
        if not _egress_to_internet(rule):
            continue
        for p in rule["ports"]:
            (tcp if p.get("protocol", "TCP") == "TCP" else udp).add(p["port"])
        for peer in rule["to"]:  # private ranges and the metadata server are excluded from "the internet"
            block = ipaddress.ip_network(peer["ipBlock"]["cidr"])
            excluded = [ipaddress.ip_network(e) for e in peer["ipBlock"].get("except", [])]
            if block.version == 4:
                for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.169.254/32"):
                    assert ipaddress.ip_network(net) in excluded
    agent_ports = agent_settings()["egress"]["ports"]
    assert tcp == set(agent_ports)
    ruleset = network.egress_ruleset(agent_ports)
    assert re.search(r"tcp dport \{ ([\d, ]+) \} accept", ruleset).group(1) == ", ".join(map(str, sorted(tcp)))
    assert re.search(r"udp dport \{ ([\d, ]+) \} accept", ruleset).group(1) == "53"
    assert not udp  # DNS goes only to the cluster's resolvers (the chart's dnsPorts* rules), not anywhere
    assert allow["dnsPortsKubeSystemNamespace"] is True
    # what else user pods may reach: the ledger database, on its port only
    others = [r for r in netpol["egress"] if not _egress_to_internet(r)]
    assert [[p["port"] for p in r["ports"]] for r in others] == [[5432]]


def test_values_cross_references():
    """The keys z2jh's jupyterhub_config.py and templates read, and what must agree between files."""
    v = values()
    hub, single = v["hub"], v["singleuser"]
    # the service: its URL's port is the hub Service's extra port, the hub's ingress and the proxy's egress
    url = hub["services"]["nbwarden"]["url"]
    assert re.fullmatch(r"http://hub:\d+", url)
    port = int(url.rsplit(":", 1)[1])
    assert [p["port"] for p in hub["service"]["extraPorts"]] == [port]
    assert [p["targetPort"] for p in hub["service"]["extraPorts"]] == [port]
    assert [p["port"] for r in hub["networkPolicy"]["ingress"] for p in r["ports"]] == [port]
    assert [p["port"] for r in v["proxy"]["chp"]["networkPolicy"]["egress"] for p in r["ports"]] == [port]
    # the ledger URL from the Secret, in the hub and in user servers
    for env in (hub["extraEnv"], single["extraEnv"]):
        assert env["NBWARDEN_DB_URL"]["valueFrom"]["secretKeyRef"] == {"name": SECRET["metadata"]["name"],
                                                                       "key": "url"}
    # user pods reach the node agent's socket directory, read-only
    vol = {x["name"]: x for x in single["storage"]["extraVolumes"]}
    mount = {x["name"]: x for x in single["storage"]["extraVolumeMounts"]}
    agent_dir = {v["name"]: v for v in _pod(find("nbwarden-agent", "DaemonSet"))["volumes"]}["sensor"]
    assert vol["nbwarden-agent"]["hostPath"]["path"] == agent_dir["hostPath"]["path"]
    assert mount["nbwarden-agent"] == {"name": "nbwarden-agent", "mountPath": agent_settings()["sensor_dir"],
                                       "readOnly": True}
    # images are the Dockerfiles' (named in the comments next to them)
    text = (DEPLOY / "config.yaml").read_text()
    for image in ("hub", "singleuser"):
        assert v[image]["image"]["name"].endswith(f"/{image}") and f"Dockerfile.{image}" in text
        assert (DEPLOY / f"Dockerfile.{image}").exists()
    assert single["cmd"] == "jupyterhub-singleuser"
    assert set(hub["extraConfig"]) == {"nbwarden"}


def test_values_against_the_charts_schema():
    """Only with NBWARDEN_Z2JH_CHART (an unpacked jupyterhub chart): the schema Helm itself applies."""
    chart = z2jh_chart()
    if chart is None:
        pytest.skip("set NBWARDEN_Z2JH_CHART to an unpacked jupyterhub chart (values.yaml, values.schema.json)")
    import jsonschema

    schema_file = next(chart / n for n in ("values.schema.json", "values.schema.yaml") if (chart / n).exists())
    schema = yaml.safe_load(schema_file.read_text())
    defaults = yaml.safe_load((chart / "values.yaml").read_text())
    merged = helm_merge(defaults, values())
    jsonschema.validate(merged, schema)
    broken = helm_merge(merged, {"hub": {"service": {"extraPort": []}}})  # and it can fail
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


# ---------------------------------------------------------------------- hub.extraConfig with KubeSpawner


class _User:
    """What KubeSpawner reads of a JupyterHub user."""

    name = escaped_name = "alice"
    id = 7
    url = "/user/alice/"
    server = None
    groups: list = []

    def __init__(self) -> None:
        self.spawners: dict = {}
        self.settings: dict = {}


@pytest.fixture(params=["z2jh-shape", "chart"])
def hub_config(request, tmp_path, monkeypatch):
    """JupyterHub's config after z2jh's jupyterhub_config.py ran config.yaml's values, and the ledger URL.

    ``z2jh-shape``: the chart's config file's relevant lines (k8s_support.Z2JH_CONFIG), always;
    ``chart``: the chart's own jupyterhub_config.py and z2jh.py, when NBWARDEN_Z2JH_CHART gives a chart.
    """
    from jupyterhub.app import JupyterHub

    from nbwarden.hub import hooks

    db_url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    token = uuid.uuid4().hex
    secrets = {"hub.services.nbwarden.apiToken": token}
    if request.param == "chart":
        chart = z2jh_chart()
        if chart is None or not (chart / "files" / "hub" / "jupyterhub_config.py").exists():
            pytest.skip("set NBWARDEN_Z2JH_CHART to an unpacked jupyterhub chart to run its own jupyterhub_config.py")
        pytest.importorskip("pycurl", reason="the chart's jupyterhub_config.py selects tornado's curl client")
        secrets.update({"hub.config.JupyterHub.cookie_secret": uuid.uuid4().hex,
                        "hub.config.CryptKeeper.keys": uuid.uuid4().hex})
        path = write_chart_hub_config(chart, tmp_path, values(), secrets)
        monkeypatch.setenv("HUB_SERVICE_PORT", "8081")
        monkeypatch.setenv("PROXY_API_SERVICE_PORT", "8001")
    else:
        path = write_hub_config(tmp_path, values(), secrets)
        monkeypatch.setenv("Z2JH_VALUES", str(tmp_path / "values.yaml"))
        monkeypatch.setenv("Z2JH_SECRETS", str(tmp_path / "secrets.json"))
    monkeypatch.setenv("NBWARDEN_DB_URL", db_url)  # hub.extraEnv, from the Secret
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig(tmp_path)))
    monkeypatch.setenv("POD_NAMESPACE", "jhub")
    monkeypatch.delitem(sys.modules, "z2jh", raising=False)
    saved = dict(hooks.SETTINGS)
    app = JupyterHub()
    app.load_config_file(str(path))
    yield app.config, db_url, token
    hooks.SETTINGS.clear()
    hooks.SETTINGS.update(saved)
    sys.modules.pop("z2jh", None)
    if request.param == "chart":  # the chart's file selects tornado's curl client process-wide
        from tornado.httpclient import AsyncHTTPClient

        AsyncHTTPClient.configure(None)


def test_extra_config_service_roles_and_hooks(hub_config):
    from nbwarden.hub import hooks

    c, db_url, token = hub_config
    assert c.JupyterHub.spawner_class == "kubespawner.KubeSpawner"
    (service,) = [s for s in c.JupyterHub.services if s["name"] == "nbwarden"]
    assert service["url"] == values()["hub"]["services"]["nbwarden"]["url"]
    assert service["api_token"] == token  # the chart's generated token is kept
    assert service["command"][1:] == ["-m", "nbwarden.hub.service"]
    env = service["environment"]
    assert env["NBWARDEN_SERVICE_BIND"] == "0.0.0.0" and env["NBWARDEN_DB_URL"] == db_url
    settings = json.loads(env["NBWARDEN_SERVICE_CONFIG"])
    assert settings["sample_usage"] is False  # the agents report usage on a cluster
    assert settings["mode"] == "enforce" and settings["quotas"]["free"]["gpu_hours"] == 4
    assert settings["public_url"] == "https://hub.example.org"
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert roles["nbwarden-service"]["services"] == ["nbwarden"]
    assert {"list:users", "admin:servers", "read:groups"} <= set(roles["nbwarden-service"]["scopes"])
    assert "access:services!service=nbwarden" in roles["user"]["scopes"]
    assert c.Spawner.pre_spawn_hook is hooks.pre_spawn_hook
    assert c.Authenticator.post_auth_hook is hooks.post_auth_hook
    assert hooks.TEMPLATES in c.JupyterHub.template_paths
    assert hooks.SETTINGS["db_url"] == db_url  # what the spawn hook reads
    assert c.Spawner.cmd == ["jupyterhub-singleuser"]


def test_extra_config_user_pod(hub_config):
    """The pod KubeSpawner builds: gate settings in the arguments, the ledger URL only from the Secret."""
    from jupyterhub.objects import Hub
    from kubernetes_asyncio.client import ApiClient
    from kubespawner import KubeSpawner

    c, db_url, _token = hub_config

    async def manifest():
        spawner = KubeSpawner(config=c, user=_User(), hub=Hub(), _mock=True)
        spawner.api_token = "user-token"
        return ApiClient().sanitize_for_serialization(await spawner.get_pod_manifest())

    pod = asyncio.run(manifest())
    kubernetes_validate.validate({"apiVersion": "v1", "kind": "Pod", **pod}, kubernetes_validate.latest_version(),
                                 strict=True)
    container = pod["spec"]["containers"][0]
    args = container["args"]
    assert args[0] == "jupyterhub-singleuser"
    for ext in ("nbwarden", "nbwarden.hub.notify", "jupyter_server_proxy"):
        assert f"--ServerApp.jpserver_extensions={ext}=True" in args
    assert "--NbwardenGate.appeal_url=https://hub.example.org/services/nbwarden/" in args
    assert "--KernelSpecManager.allowed_kernelspecs=python3-nbwarden" in args
    assert "--allow-root" not in args
    env = {e["name"]: e for e in container["env"]}
    assert env["JUPYTERHUB_USER"]["value"] == "alice"  # the agent's attribution
    assert env["NBWARDEN_DB_URL"]["valueFrom"]["secretKeyRef"] == {"name": "nbwarden-ledger", "key": "url"}
    assert db_url not in json.dumps(pod)  # the ledger's credentials are not written into the pod spec
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts["/run/nbwarden"]["readOnly"] is True
    assert container["image"] == "registry.example.org/nbwarden/singleuser:0.1.0"

    # the arguments mean what they say to the server that receives them
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_server.serverapp import ServerApp

    from nbwarden.gate import NbwardenGate

    server = ServerApp()
    server.parse_command_line(args[1:])
    assert server.jpserver_extensions == {"nbwarden": True, "nbwarden.hub.notify": True,
                                          "jupyter_server_proxy": True}
    gate = NbwardenGate(config=server.config)
    assert gate.record_allowed is True and gate.terminals == "gate" and gate.db_url == ""
    assert gate.policy_url == "https://hub.example.org/services/nbwarden/policy"  # the platform's own page
    assert KernelSpecManager(config=server.config).allowed_kernelspecs == {"python3-nbwarden"}
    assert server.config.MappingKernelManager.default_kernel_name == "python3-nbwarden"


def test_extra_config_service_leaves_usage_to_the_agents(hub_config, monkeypatch):
    """The service built from those settings has no sampler; quota state comes from agents' rows."""
    from nbwarden.hub.service import Service

    monkeypatch.setenv("JUPYTERHUB_API_URL", f"http://127.0.0.1:{_free_port()}/hub/api")  # nothing listens

    c, _db_url, _token = hub_config
    (service_entry,) = [s for s in c.JupyterHub.services if s["name"] == "nbwarden"]
    service = Service(json.loads(service_entry["environment"]["NBWARDEN_SERVICE_CONFIG"]))
    assert service.sampler is None
    user = f"k8s-{uuid.uuid4().hex[:8]}"
    now = time.time()
    service.store.add_usage({user: (3600.0 * 13, 0.0)}, source="agent:node-1", now=now - 60)
    asyncio.run(service.reconcile(now))  # the hub API is not there: logged, and nothing sampled
    assert service.store.usage_users(now - 3600) == [user]
    assert service.quotas.state(service.store, user, ["free"], now).exhausted() == ["cpu_hours"]


def test_user_configuration_cannot_undo_the_servers_arguments(hub_config, tmp_path):
    """A user's own Jupyter configuration turns the gate off; the arguments win, and only the sensor's kernel runs."""
    from gate_support import JupyterServer
    from jupyterhub.objects import Hub
    from kubespawner import KubeSpawner

    from nbwarden.agent.launcher import write_kernelspec

    c, _db_url, _token = hub_config

    async def arguments():
        return (await KubeSpawner(config=c, user=_User(), hub=Hub(), _mock=True).get_pod_manifest()).spec \
            .containers[0].args

    args = asyncio.run(arguments())
    write_kernelspec(tmp_path / "data" / "kernels" / "python3-nbwarden")
    # gate=False goes into the server's configuration directory, as a user's own setting would
    server = JupyterServer(tmp_path, gate=False, extra_args=args[1:],
                           env={"JUPYTERHUB_USER": "alice", "NBWARDEN_NOTICE_POLL_S": "60"})
    with server:
        user_config = json.loads((tmp_path / "config" / "jupyter_server_config.json").read_text())
        assert user_config["ServerApp"]["jpserver_extensions"]["nbwarden"] is False
        status, _stats = server.api("GET", "/api/nbwarden/stats")
        assert status == 200, server.log()[-3000:]  # the gate is loaded all the same
        status, specs = server.api("GET", "/api/kernelspecs")
        assert status == 200 and set(specs["kernelspecs"]) == {"python3-nbwarden"}  # ipykernel's python3 too
                                                                                    # is installed here
        assert specs["default"] == "python3-nbwarden"
