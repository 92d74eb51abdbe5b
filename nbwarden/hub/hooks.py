"""What ``jupyterhub_config.py`` imports: spawn refusal, login recording, and :func:`configure`.

::

    from nbwarden.hub.hooks import configure
    configure(c, db_url="postgresql+psycopg://…", mode="enforce")

wires everything: the ``nbwarden`` service (dashboard, user page, API,
metrics, quota reconcile loop), its role and the users' access to it, the
``pre_spawn_hook`` and ``post_auth_hook``, the error template that shows why a
spawn was refused, the gate and the notice extension in every user server,
and (optionally) the host agent as a second managed service.

Restrictions are read from the ledger at every spawn, so a suspension or a
pardon takes effect at once, with no hub restart (``Authenticator.blocked_users``
needs one).
"""

from __future__ import annotations

import html
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from .. import explain, i18n
from ..ledger import Ledger, iso
from ..links import appeal_link, policy_section
from ..rules import CATEGORIES
from .models import HubStore
from .quotas import DEFAULT_QUOTAS, Quotas, describe_refusal

log = logging.getLogger("nbwarden.hub")
TEMPLATES = str(Path(__file__).with_name("templates"))
SERVICE = "nbwarden"
# the demo platform's documented passwords (SharedPasswordAuthenticator wants 32+ characters for admins)
DEMO_PASSWORD = "nbwarden-demo"
ADMIN_PASSWORD = "nbwarden-demo-admin-password-change-me"

# set by configure(); the hooks read them in the hub process
SETTINGS: dict[str, Any] = {
    "db_url": None, "mode": "enforce", "service_url": f"/services/{SERVICE}/",
    "policy_url": f"/services/{SERVICE}/policy", "quotas": DEFAULT_QUOTAS,
    "quota_order": ["admin", "pro", "free"], "default_group": "free",
}
_stores: dict[str, HubStore] = {}
# the c.Policy settings configure() passes to the gates and the service
POLICY_SETTINGS = {"group_actions", "ladders", "strike_window_h", "groups", "default_group"}


def store(db_url: str | None = None) -> HubStore:
    url = db_url or SETTINGS.get("db_url") or os.environ.get("NBWARDEN_DB_URL") or ""
    if url not in _stores:
        _stores[url] = HubStore(Ledger(url or None))
    return _stores[url]


def quotas() -> Quotas:
    return Quotas(groups=SETTINGS["quotas"], order=SETTINGS["quota_order"], default_group=SETTINGS["default_group"])


def _error(text: str, details: dict[str, Any]) -> Exception:
    """A 403 whose reason, end date and appeal link reach the spawn page (template ``error.html``)."""
    from tornado import web

    exc = web.HTTPError(403, "%s", text)
    exc.jupyterhub_message = text  # type: ignore[attr-defined]
    link = details.get("appeal_url")
    words = details.get("words") or {}
    exc.jupyterhub_html_message = (  # type: ignore[attr-defined]
        f"<span class='nbwarden-refusal'>{html.escape(text)}"
        + (f" <a href='{html.escape(link)}'>{html.escape(words.get('details', 'Appeal or see details'))}</a>"
           if link else "") + "</span>")
    exc.nbwarden = details  # type: ignore[attr-defined]
    return exc


def _refusal_words(t: i18n.Translator, kind: str) -> dict[str, str]:
    """The refusal page's words (``error.html``), in the user's language."""
    quota = kind == "quota"
    return {"title": t._("Usage limit reached") if quota else t._("Your account is restricted"),
            "reason": t._("Reason"),
            "until": t._("You can start a server again at") if quota else t._("Until"),
            "appeal": t._("See your usage") if quota else t._("Appeal this decision"),
            "policy": t._("Usage limits of your group") if quota else t._("What the acceptable use policy says"),
            "details": t._("Appeal or see details"), "lang": t.html_lang()}


def spawn_refusal(user: str, groups: list[str], now: float | None = None,
                  lang: str | None = None) -> dict[str, Any] | None:
    """Why ``user`` may not start a server now (None: they may), in ``lang``."""
    now = time.time() if now is None else now
    t = i18n.Translator(lang)
    hub = store()
    appeal = SETTINGS["service_url"]
    restriction = hub.ledger.status(user, now)
    if restriction is not None:
        cause = hub.ledger.decisions_by(ids=[restriction.decision_id]).get(restriction.decision_id) or {}
        category = restriction.category or cause.get("category")
        until = explain.until(t, restriction.expires_at)
        return {"kind": "restricted", "level": restriction.level, "reason": restriction.reason or "-",
                "until": until, "until_ts": restriction.expires_at, "words": _refusal_words(t, "restricted"),
                "appeal_url": appeal_link(appeal, cause.get("ref"), restriction.id),
                "policy_url": policy_section(SETTINGS["policy_url"], category or "strikes"),
                "text": t.fmt("Your account is restricted: {restriction}. Reason: {reason}. You cannot start a "
                              "server until {until}.", restriction=explain.restriction(t, restriction),
                              reason=restriction.reason or "-", until=until)}
    state = quotas().state(hub, user, groups, now)
    if state.exhausted():
        what, when = describe_refusal(state, t)
        hub.add_quota_event(user, "refuse", resource=",".join(state.exhausted()),
                            used=max(state.used_s.values()) / 3600.0, window_s=state.spec.window_s,
                            detail=what, now=now)
        until = iso(when) if when else t._("later")
        return {"kind": "quota", "level": "quota", "reason": what, "until": until, "until_ts": when,
                "appeal_url": appeal, "policy_url": policy_section(SETTINGS["policy_url"], "groups"),
                "words": _refusal_words(t, "quota"),
                "text": t.fmt("Usage limit reached: {what}. You can start a server again at {until}.", what=what,
                              until=until)}
    return None


def _language(spawner: Any) -> str:
    """The language of the browser that asked for the server (JupyterHub keeps its request handler)."""
    return i18n.negotiate(i18n.request_languages(getattr(spawner, "handler", None)), default=SETTINGS.get("language"))


async def pre_spawn_hook(spawner: Any) -> None:
    """Refuse restricted and over-quota users with a 403 that says why, until when, and where to appeal."""
    user = spawner.user.name
    groups = [g.name for g in getattr(spawner.user, "groups", [])]
    try:
        refusal = spawn_refusal(user, groups, lang=_language(spawner))
    except Exception:
        log.exception("nbwarden: spawn check failed for %s", user)
        if SETTINGS.get("fail_closed"):
            raise _error("The acceptable-use service is unavailable; please try again shortly.", {}) from None
        return
    if refusal is None:
        return
    if SETTINGS["mode"] == "audit":
        spawner.log.warning("nbwarden (audit mode): would refuse %s: %s", user, refusal["text"])
        return
    spawner.log.warning("nbwarden: refused a server for %s: %s", user, refusal["text"])
    raise _error(refusal["text"], refusal)


def post_auth_hook(authenticator: Any, handler: Any, authentication: dict[str, Any]) -> dict[str, Any]:
    """Record the login's IP address and user agent (signals for multi-account cases)."""
    if authentication and authentication.get("name"):
        try:
            request = handler.request
            store().add_login(authentication["name"], request.remote_ip, request.headers.get("User-Agent"))
        except Exception:
            log.exception("nbwarden: could not record a login")
    return authentication


def configure(c: Any, *, db_url: str | None = None, mode: str | None = None, service_port: int = 10101,
              public_url: str | None = None, quota_groups: dict[str, dict[str, Any]] | None = None,
              quota_order: list[str] | None = None, default_group: str = "free",
              reconcile_interval_s: float = 30.0, sample_usage: bool = True, agent: bool = False,
              agent_args: list[str] | None = None, singleuser: str | None = None, gate_args: list[str] | None = None,
              admin_groups: list[str] | None = None, link_interval_s: float = 300.0,
              service_log: str | None = None, service_url: str | None = None, service_bind: str | None = None,
              server_db_url: bool = True, allow_root: bool | None = None, policy_url: str | None = None,
              policy: dict[str, Any] | None = None, rules_dirs: list[str] | None = None,
              disable_rules: list[str] | None = None, template_paths: list[str] | None = None,
              language: str | None = None) -> dict[str, Any]:
    """Wire nbwarden into a JupyterHub config object ``c``; returns the service settings.

    ``mode``: ``enforce`` (default, or ``$NBWARDEN_MODE``) refuses spawns, stops servers and lets the gate
    block; ``audit`` only records and notifies (the gate records but never blocks or warns).

    For a hub in a container (Zero to JupyterHub, ``deploy/kubernetes/config.yaml``): ``service_url`` is
    where the proxy reaches the service (``http://hub:10101``; default ``http://127.0.0.1:<service_port>``)
    and ``service_bind`` the address it listens on (``0.0.0.0``); ``server_db_url=False`` leaves the
    ledger URL out of the servers' arguments and environment (they get it from a Secret); ``allow_root``
    adds ``--allow-root`` to the servers' arguments (default: when the hub itself runs as root).  Keys of
    an existing ``nbwarden`` entry in ``c.JupyterHub.services`` that are not set here (``api_token``,
    ``oauth_redirect_uri``...) are kept.

    The acceptable-use policy: ``policy_url`` is where messages, explanations and refusal pages link (with the
    category's section); by default the service's own page, ``/services/nbwarden/policy``, generated from the rule
    packs (``rules_dirs``, ``disable_rules``: the same for the gates and the page), the ``policy`` settings
    (``c.Policy``: ``group_actions``, ``ladders``, ``strike_window_h``, ``groups``, ``default_group``; the gates get
    them as arguments, the service uses the ladder when an appeal is granted) and the quotas.  ``template_paths``:
    directories searched before the service's own templates (``policy_operator.html`` and the others).

    ``language`` (``en``, ``de``, ``zh_CN``; default ``$NBWARDEN_LANGUAGE``, else English): what users read when
    neither their JupyterLab language setting nor their browser names a language nbwarden ships.
    """
    language = i18n.supported(language) or i18n.server_default()
    db_url = db_url or os.environ.get("NBWARDEN_DB_URL") or Ledger(None, migrate=False).url
    mode = mode or os.environ.get("NBWARDEN_MODE", "enforce")
    if mode not in ("enforce", "audit"):
        raise ValueError("mode must be enforce or audit")
    base = (public_url or "").rstrip("/")
    user_page = f"{base}/services/{SERVICE}/"
    policy_link = policy_url or f"{user_page}policy"
    policy = dict(policy or {})
    unknown = sorted(set(policy) - POLICY_SETTINGS)
    if unknown:
        raise ValueError(f"unknown policy setting(s) {unknown}; known: {sorted(POLICY_SETTINGS)}")
    SETTINGS.update(db_url=db_url, mode=mode, service_url=user_page, policy_url=policy_link,
                    quotas=quota_groups or DEFAULT_QUOTAS, quota_order=quota_order or ["admin", "pro", "free"],
                    default_group=default_group, language=language)
    Ledger(db_url)  # create or upgrade the schema once, before any spawn

    settings = {"db_url": db_url, "mode": mode, "quotas": SETTINGS["quotas"], "quota_order": SETTINGS["quota_order"],
                "default_group": default_group, "reconcile_interval_s": reconcile_interval_s,
                "sample_usage": sample_usage, "admin_groups": admin_groups or [], "link_interval_s": link_interval_s,
                "public_url": base, "policy_url": policy_url or "", "policy": policy, "rules_dirs": rules_dirs or [],
                "disable_rules": disable_rules or [], "template_paths": template_paths or [], "language": language}
    command = [sys.executable, "-m", "nbwarden.hub.service"]
    env = {"NBWARDEN_SERVICE_CONFIG": json.dumps(settings), "NBWARDEN_DB_URL": db_url,
           "PYTHONUNBUFFERED": "1"}
    if service_log:
        env["NBWARDEN_SERVICE_LOG"] = service_log
    if service_bind:
        env["NBWARDEN_SERVICE_BIND"] = service_bind
    existing = list(c.JupyterHub.services) if "services" in c.JupyterHub else []
    kept = next((dict(s) for s in existing if s.get("name") == SERVICE), {})
    services = [s for s in existing if s.get("name") != SERVICE]
    services.append({**kept, "name": SERVICE, "url": service_url or f"http://127.0.0.1:{service_port}",
                     "command": command, "environment": env, "display": True, "oauth_no_confirm": True})
    # explanations in the cell: their links, and their language when the user's choice is not known
    links = {"NBWARDEN_POLICY_URL": policy_link, "NBWARDEN_APPEAL_URL": user_page, "NBWARDEN_LANGUAGE": language}
    if agent:
        services.append({"name": f"{SERVICE}-agent", "environment": {"NBWARDEN_DB_URL": db_url, **links},
                         "command": [sys.executable, "-m", "nbwarden.cli", "agent", "run", "--ledger", db_url,
                                     *(agent_args or [])]})
    c.JupyterHub.services = services

    roles = [r for r in (c.JupyterHub.load_roles if "load_roles" in c.JupyterHub else [])
             if r.get("name") not in ("nbwarden-service", "user")]
    roles.append({"name": "nbwarden-service", "services": [SERVICE],
                  "scopes": ["list:users", "read:users", "read:users:activity", "read:servers", "admin:servers",
                             "read:groups", "read:roles:users"]})
    roles.append({"name": "user", "scopes": ["self", f"access:services!service={SERVICE}"]})
    c.JupyterHub.load_roles = roles

    c.Spawner.pre_spawn_hook = pre_spawn_hook
    c.Authenticator.post_auth_hook = post_auth_hook
    paths = list(c.JupyterHub.template_paths) if "template_paths" in c.JupyterHub else []
    c.JupyterHub.template_paths = [TEMPLATES, *[p for p in paths if p != TEMPLATES]]

    # user servers: the gate, the notice extension and jupyter-server-proxy
    c.Spawner.cmd = [singleuser or str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
    extensions = ["nbwarden", "nbwarden.hub.notify", "jupyter_server_proxy"]
    args = [*(f"--ServerApp.jpserver_extensions={name}=True" for name in extensions),
            "--NbwardenGate.record_allowed=True",  # code hashes of every cell: the 'same work' signal
            f"--NbwardenGate.appeal_url={user_page}", f"--NbwardenGate.policy_url={policy_link}",
            *(f"--NbwardenGate.rules_dirs={d}" for d in rules_dirs or []),
            *(f"--NbwardenGate.disable_rules={r}" for r in disable_rules or []),
            *(f"--Policy.{key}={json.dumps(value) if isinstance(value, (dict, list)) else value}"
              for key, value in policy.items())]
    if server_db_url:
        args.append(f"--NbwardenGate.db_url={db_url}")
    if mode == "audit":
        args.append("--Policy.group_actions=" + json.dumps({"*": {"*": "audit", **{k: "audit" for k in CATEGORIES}}}))
    if os.geteuid() == 0 if allow_root is None else allow_root:
        args.append("--allow-root")
    c.Spawner.args = [*args, *(gate_args or [])]
    environment = dict(c.Spawner.environment) if "environment" in c.Spawner else {}
    environment["NBWARDEN_HUB_SERVICE_URL"] = user_page
    environment.update(links)
    if server_db_url:
        environment["NBWARDEN_DB_URL"] = db_url
    if os.environ.get("NBWARDEN_NOTICE_POLL_S"):
        environment["NBWARDEN_NOTICE_POLL_S"] = os.environ["NBWARDEN_NOTICE_POLL_S"]
    c.Spawner.environment = environment
    return settings
