"""The demo platform's JupyterHub config (``make run``; ``python -m nbwarden.hub``).

Everything an operator would change is an environment variable:

=============================  ===============================================================
``NBWARDEN_HUB_DIR``           state directory (default ``var/hub``): hub database, cookie
                               secret, ledger, user homes
``NBWARDEN_DB_URL``            the ledger (default ``sqlite:///$NBWARDEN_HUB_DIR/ledger.sqlite``;
                               PostgreSQL: ``postgresql+psycopg://user:pw@host/db``)
``NBWARDEN_HUB_DB_URL``        JupyterHub's own database (default SQLite in the state dir)
``NBWARDEN_MODE``              ``enforce`` (default) or ``audit``: record and notify only
``NBWARDEN_HUB_IP``/``_PORT``  public address (default 127.0.0.1:8000)
``NBWARDEN_AUTH``              ``demo`` (default): shared passwords for the demo users;
                               ``config``: leave ``c.JupyterHub.authenticator_class`` to
                               ``NBWARDEN_HUB_EXTRA_CONFIG`` (e.g. an OAuthenticator)
``NBWARDEN_DEMO_PASSWORD``     users' password (default ``nbwarden-demo``)
``NBWARDEN_ADMIN_PASSWORD``    the admin's password (32+ characters; default below)
``NBWARDEN_DEMO_GROUPS``       JSON ``{"free": ["alice", "bob"], "pro": ["carol"]}``
``NBWARDEN_ADMINS``            comma-separated admin users (default ``admin``)
``NBWARDEN_QUOTAS``            JSON per-group limits (see :mod:`nbwarden.hub.quotas`)
``NBWARDEN_RECONCILE_S``       enforcement interval in seconds (default 30)
``NBWARDEN_AGENT``             ``1`` (default) runs the host agent as a hub-managed service
``NBWARDEN_HUB_EXTRA_CONFIG``  a Python file executed last, with ``c`` in scope
=============================  ===============================================================
"""

import json
import os
import shutil
import socket
import sys
from pathlib import Path

from nbwarden.hub.hooks import ADMIN_PASSWORD, DEMO_PASSWORD, configure

c = get_config()  # type: ignore[name-defined]  # noqa: F821 - provided by JupyterHub


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


state = Path(os.environ.get("NBWARDEN_HUB_DIR", "var/hub")).resolve()
state.mkdir(parents=True, exist_ok=True)
db_url = os.environ.get("NBWARDEN_DB_URL") or f"sqlite:///{state / 'ledger.sqlite'}"
ip = os.environ.get("NBWARDEN_HUB_IP", "127.0.0.1")
port = int(os.environ.get("NBWARDEN_HUB_PORT", "8000"))

c.JupyterHub.ip = ip
c.JupyterHub.port = port
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("NBWARDEN_HUB_API_PORT") or _free_port())
c.JupyterHub.db_url = os.environ.get("NBWARDEN_HUB_DB_URL") or f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('NBWARDEN_PROXY_API_PORT') or _free_port()}"
chp = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "configurable-http-proxy"
if chp.exists():
    c.ConfigurableHTTPProxy.command = [str(chp)]
elif not shutil.which("configurable-http-proxy"):
    sys.exit("configurable-http-proxy not found: run `make run` (it installs it into ./node_modules)")

groups = json.loads(os.environ.get("NBWARDEN_DEMO_GROUPS") or '{"free": ["alice", "bob"], "pro": ["carol"]}')
admins = [a for a in os.environ.get("NBWARDEN_ADMINS", "admin").split(",") if a]
groups.setdefault("admin", [])
groups["admin"] = sorted(set(groups["admin"]) | set(admins))
if os.environ.get("NBWARDEN_AUTH", "demo") == "demo":
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = os.environ.get("NBWARDEN_DEMO_PASSWORD", DEMO_PASSWORD)
    c.SharedPasswordAuthenticator.admin_password = os.environ.get("NBWARDEN_ADMIN_PASSWORD", ADMIN_PASSWORD)
    c.Authenticator.allowed_users = {u for members in groups.values() for u in members}
c.Authenticator.admin_users = set(admins)
c.JupyterHub.load_groups = {name: {"users": members} for name, members in groups.items()}

c.JupyterHub.spawner_class = "simple"  # SimpleLocalProcessSpawner: servers run as the hub's user
c.SimpleLocalProcessSpawner.home_dir_template = str(state / "home" / "{username}")
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 90

quota_groups = json.loads(os.environ["NBWARDEN_QUOTAS"]) if os.environ.get("NBWARDEN_QUOTAS") else None
configure(c, db_url=db_url, mode=os.environ.get("NBWARDEN_MODE", "enforce"),
          service_port=int(os.environ.get("NBWARDEN_SERVICE_PORT") or _free_port()),
          public_url=os.environ.get("NBWARDEN_PUBLIC_URL", f"http://{ip}:{port}"),
          quota_groups=quota_groups, reconcile_interval_s=float(os.environ.get("NBWARDEN_RECONCILE_S", "30")),
          agent=os.environ.get("NBWARDEN_AGENT", "1") == "1",
          link_interval_s=float(os.environ.get("NBWARDEN_LINK_S", "300")),
          service_log=os.environ.get("NBWARDEN_SERVICE_LOG"))

# JupyterLab's news prompt ("Would you like to get notified about official Jupyter news?") is a question the
# demo's users should not have to answer: its servers read a labconfig that disables the announcements plugin
NEWS_PLUGIN = "@jupyterlab/apputils-extension:announcements"
lab_config = state / "jupyter-config"
(lab_config / "labconfig").mkdir(parents=True, exist_ok=True)
(lab_config / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": {NEWS_PLUGIN: True}}))
c.Spawner.environment = {**c.Spawner.environment, "JUPYTER_CONFIG_PATH": str(lab_config)}

extra = os.environ.get("NBWARDEN_HUB_EXTRA_CONFIG")
if extra:
    exec(compile(Path(extra).read_text(), extra, "exec"), {"c": c})
