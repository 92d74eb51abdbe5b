"""The nbwarden JupyterHub service: dashboard, user page, REST API, metrics, quota enforcement.

Run by JupyterHub as a managed service (:func:`nbwarden.hub.hooks.configure`
adds it); it reads ``JUPYTERHUB_SERVICE_PREFIX``, ``JUPYTERHUB_SERVICE_URL``,
``JUPYTERHUB_API_URL`` and ``JUPYTERHUB_API_TOKEN`` from its environment and
its settings from ``NBWARDEN_SERVICE_CONFIG`` (JSON).  It listens on the
service URL's host, or on ``NBWARDEN_SERVICE_BIND`` when that is set (in the
hub's pod the URL names the Kubernetes Service ``hub``).

Pages (``/services/nbwarden/``):

* ``./`` the user page: the user's decisions, restrictions, strikes, quota use,
  notices, appeals and an appeal form; every decision, strike and restriction has
  an *Appeal* action, and ``?ref=`` / ``?restriction=`` (the gate's messages link
  here with them) fill the form in (:mod:`.records`);
* ``./policy`` the acceptable-use policy, public, generated from the rule packs
  (:mod:`.policy_page`; ``policy_url`` points the links elsewhere);
* ``./admin`` the dashboard (admins): recent decisions with evidence, users with
  strike level, restrictions with pardon and restrict buttons, appeals with the
  decision's evidence and approve/deny and a reason, quotas and usage, linked-account cases, bulk
  pardon, the block-rate alert and metrics;
* ``./metrics`` Prometheus metrics (admins, or anyone with ``metrics_public``).

REST API (``./api/...``, JSON, cookie or ``Authorization: token …``): admins
see and do everything; a user sees only their own records and may file
appeals for themselves.  Everything else answers 403.

Admins are JupyterHub admins and members of ``admin_groups``.

The service also runs the enforcement loop every ``reconcile_interval_s``:
sample usage (when ``sample_usage``), warn users at 80 % of a quota (a notice
the user's server shows in the notebook), stop servers at 100 %, past their
maximum lifetime, idle too long, or whose owner is suspended, through the Hub
REST API; every ``link_interval_s`` it updates linked-account cases; and it
watches the block rate (:func:`nbwarden.hub.alerts.rate_alert`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape
from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.ioloop import IOLoop

from .. import explain, i18n
from ..ledger import LEVELS, Ledger, iso
from ..links import policy_section
from ..policy import Policy
from .actions import file_appeal, perform
from .alerts import rate_alert
from .charts import chart_data, flag_totals
from .linking import LinkConfig, update_cases
from .models import HubStore, decision_counts, flagged_decisions, ledger_users
from .policy_page import load_ruleset, policy_data
from .quotas import RESOURCES, Quotas, UsageSampler, quota_fields
from .records import annotate_appeals, annotate_user, appeal_target

log = logging.getLogger("nbwarden.hub.service")
TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")  # the charts' script and the vendored Chart.js (static/VENDOR.md)


# ---------------------------------------------------------------------------- the service state


class Service:
    def __init__(self, config: dict[str, Any]):
        self.config = config
        self.mode = config.get("mode", "enforce")
        self.ledger = Ledger(config.get("db_url") or None)
        self.store = HubStore(self.ledger)
        self.quotas = Quotas(groups=config.get("quotas") or {}, order=config.get("quota_order") or ["admin", "pro", "free"],
                             default_group=config.get("default_group", "free"))
        self.interval = float(config.get("reconcile_interval_s", 30.0))
        self.link_interval = float(config.get("link_interval_s", 300.0))
        self.link_config = LinkConfig(**(config.get("linking") or {}))
        self.admin_groups = set(config.get("admin_groups") or [])
        self.metrics_public = bool(config.get("metrics_public", False))
        self.sampler = UsageSampler(gpu=True) if config.get("sample_usage", True) else None
        self.api_url = os.environ.get("JUPYTERHUB_API_URL", "http://127.0.0.1:8081/hub/api")
        self.api_token = os.environ.get("JUPYTERHUB_API_TOKEN", "")
        self.prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/nbwarden/")
        # the policy: its ladder decides which rungs a granted appeal lifts; its page is generated (./policy)
        # unless policy_url names the operator's own
        self.policy = Policy(**(config.get("policy") or {}))
        self.policy_url = config.get("policy_url") or url_path_join(self.prefix, "policy")
        self.templates = templates(config.get("template_paths") or [])
        self._policy_page: dict[str, dict[str, Any]] = {}  # by language
        # the pages' language when the browser names none we ship (en, de, zh_CN)
        self.language = i18n.supported(config.get("language")) or i18n.server_default()
        self.hub_users: dict[str, dict[str, Any]] = {}
        self.last_alert: dict[str, Any] = {}
        self.last_reconcile: float | None = None
        self._last_link = 0.0
        self.registry = CollectorRegistry()
        self.m_reconcile = Histogram("nbwarden_hub_reconcile_seconds", "Time of one enforcement pass",
                                     registry=self.registry)
        self.m_stops = Counter("nbwarden_hub_server_stops", "Servers stopped by the hub service",
                               ["reason"], registry=self.registry)
        self.m_warnings = Counter("nbwarden_hub_quota_warnings", "Quota warnings sent", ["resource"],
                                  registry=self.registry)
        self.m_alert = Gauge("nbwarden_block_rate_alert", "1 while blocks and kills jump with no rule change",
                             registry=self.registry)
        self.registry.register(_LedgerCollector(self))

    # -- the Hub API

    async def hub_api(self, method: str, path: str, body: Any = None) -> Any:
        request = HTTPRequest(url_path_join(self.api_url, path), method=method,
                              headers={"Authorization": f"token {self.api_token}", "Content-Type": "application/json"},
                              body=json.dumps(body) if body is not None else (None if method in ("GET", "DELETE") else ""),
                              allow_nonstandard_methods=True, request_timeout=20)
        response = await AsyncHTTPClient().fetch(request)
        return json.loads(response.body) if response.body else None

    async def refresh_users(self) -> dict[str, dict[str, Any]]:
        users = await self.hub_api("GET", "/users")
        self.hub_users = {u["name"]: u for u in users or []}
        return self.hub_users

    async def refresh_users_or_keep(self) -> dict[str, dict[str, Any]]:
        """The Hub's users, or the last known ones when the Hub API does not answer (a page still renders)."""
        try:
            return await self.refresh_users()
        except Exception as exc:  # noqa: BLE001 - any failure of the Hub API: logged, the page goes on
            log.warning("nbwarden: Hub API: %s", exc)
            return self.hub_users

    def groups_of(self, user: str) -> list[str]:
        return list((self.hub_users.get(user) or {}).get("groups") or [])

    async def stop_server(self, user: str, reason: str) -> bool:
        try:
            await self.hub_api("DELETE", f"/users/{quote(user, safe='')}/server")
        except HTTPClientError as exc:
            log.error("nbwarden: could not stop %s's server (%s): %s", user, reason, exc)
            return False
        self.m_stops.labels(reason).inc()
        log.warning("nbwarden: stopped %s's server: %s", user, reason)
        return True

    # -- enforcement

    async def reconcile(self, now: float | None = None) -> dict[str, Any]:
        now = time.time() if now is None else now
        started = time.perf_counter()
        loop = IOLoop.current()
        report: dict[str, Any] = {"stopped": [], "warned": []}
        if self.sampler is not None:
            await loop.run_in_executor(None, self.sampler.sample_and_record, self.store, now)
        try:
            users = await self.refresh_users()
        except Exception as exc:
            log.error("nbwarden: Hub API unavailable: %s", exc)
            users = {}
        await self.enforce(users, now, report)
        if now - self._last_link >= self.link_interval:
            self._last_link = now
            created = await loop.run_in_executor(None, update_cases, self.store, self.link_config, now)
            if created:
                log.warning("nbwarden: new linked-account cases %s", created)
        alert = await loop.run_in_executor(None, rate_alert, self.store, now)
        if alert["alert"] and not self.last_alert.get("alert"):
            log.error("nbwarden: ALERT block/kill rate jumped with no rule change: %s", alert)
        self.last_alert = alert
        self.m_alert.set(1 if alert["alert"] else 0)
        self.last_reconcile = now
        self.m_reconcile.observe(time.perf_counter() - started)
        return report

    async def enforce(self, users: dict[str, dict[str, Any]], now: float, report: dict[str, Any]) -> None:
        """Restrictions, quotas, lifetime and idle time of every running server among ``users`` (Hub API
        models).  The restrictions and the quota use of all of them are read in a few queries up front, not a
        few per user: with thousands of running servers the pass stays a small part of its interval."""
        running = {name: server for name, model in users.items()
                   if (server := (model.get("servers") or {}).get("")) and server.get("started")}
        if not running:
            return
        active = self.ledger.active_restrictions_by_user(now)
        states = self.quotas.states(self.store, {name: users[name].get("groups") or [] for name in running}, now)
        for name, server in running.items():
            restriction = next((r for r in active.get(name, []) if r.blocks_everything()), None)
            await self._enforce_user(name, server, now, report, restriction, states[name])

    async def _enforce_user(self, name: str, server: dict[str, Any], now: float, report: dict[str, Any],
                            restriction: Any, state: Any) -> None:
        enforce = self.mode == "enforce"
        if restriction is not None:
            self._notice(name, "error", now, why="restricted", restriction={
                "level": restriction.level, "category": restriction.category, "expires_at": restriction.expires_at})
            if enforce and await self.stop_server(name, "restricted"):
                report["stopped"].append((name, "restricted"))
            return
        spec = state.spec
        exhausted = state.exhausted()
        if exhausted:
            resource = exhausted[0]
            limit = spec.limit_s(resource) or 0.0
            when = state.frees_at(resource)
            text = self._notice(name, "error", now, why="quota", **quota_fields(state, resource), when=iso(when))
            self.store.add_quota_event(name, "stop" if enforce else "would_stop", resource=resource,
                                       used=state.used_s[resource] / 3600, limit=limit / 3600,
                                       window_s=spec.window_s, detail=text, now=now)
            if enforce and await self.stop_server(name, f"quota_{resource}"):
                report["stopped"].append((name, resource))
            return
        for resource in state.warned():
            already = self.store.quota_events(user=name, kind="warn", since=now - spec.window_s, limit=None)
            if any(e["resource"] == resource for e in already):
                continue
            limit = spec.limit_s(resource) or 0.0
            text = self._notice(name, "warning", now, why="quota_warning", **quota_fields(state, resource),
                                percent=f"{100 * (state.fraction(resource) or 0):.0f}")
            self.store.add_quota_event(name, "warn", resource=resource, used=state.used_s[resource] / 3600,
                                       limit=limit / 3600, window_s=spec.window_s, detail=text, now=now)
            self.m_warnings.labels(resource).inc()
            report["warned"].append((name, resource))
        started = _ts(server.get("started"))
        if spec.max_lifetime_hours is not None and started and now - started > spec.max_lifetime_hours * 3600:
            text = self._notice(name, "error", now, why="lifetime", hours=f"{spec.max_lifetime_hours:g}")
            self.store.add_quota_event(name, "lifetime" if enforce else "would_stop", resource="lifetime",
                                       used=(now - started) / 3600, limit=spec.max_lifetime_hours, detail=text, now=now)
            if enforce and await self.stop_server(name, "lifetime"):
                report["stopped"].append((name, "lifetime"))
            return
        active = _ts(server.get("last_activity")) or started
        if spec.idle_minutes is not None and active and now - active > spec.idle_minutes * 60:
            text = explain.server_stop(i18n.Translator("en"), {"why": "idle", "minutes": f"{spec.idle_minutes:g}"})
            self.store.add_quota_event(name, "idle" if enforce else "would_stop", resource="idle",
                                       used=(now - active) / 60, limit=spec.idle_minutes, detail=text, now=now)
            if enforce and await self.stop_server(name, "idle"):
                report["stopped"].append((name, "idle"))

    def _notice(self, user: str, level: str, now: float, **fields: Any) -> str:
        """A notice about the user's server (:func:`nbwarden.explain.server_stop`), sent as data so that it
        reaches the notebook in the user's language; returns its English text."""
        data = {"kind": "server", "fields": fields}
        text = explain.render(data, i18n.Translator("en"))
        self.store.add_notice(user, text, level, now=now, explain=data)
        return text

    async def loop(self) -> None:
        while True:
            try:
                await self.reconcile()
            except Exception:
                log.exception("nbwarden: enforcement pass failed")
            await asyncio.sleep(self.interval)

    # -- views of the data

    def user_record(self, user: str, now: float | None = None) -> dict[str, Any]:
        now = time.time() if now is None else now
        restrictions = self.ledger.restrictions(user)
        active = [r.to_dict() for r in restrictions if r.active(now)]
        strikes = self.ledger.strikes(user)
        return {
            "user": user,
            "groups": self.groups_of(user),
            "status": "restricted" if self.ledger.status(user, now) else ("limited" if active else "ok"),
            "active_restrictions": active,
            "restrictions": [r.to_dict() for r in restrictions],
            "strikes": strikes,
            "strike_level": _strike_level(strikes),
            "decisions": flagged_decisions(self.store, user=user, limit=100),
            "appeals": self.ledger.appeals(user),
            "quota": self.quotas.state(self.store, user, self.groups_of(user), now).to_dict(),
            "quota_events": self.store.quota_events(user=user, limit=20),
            "notices": self.store.notices(user, since=now - 7 * 86400)[-20:],
        }

    def overview(self, now: float | None = None) -> dict[str, Any]:
        now = time.time() if now is None else now
        names = sorted(set(self.hub_users) | set(ledger_users(self.store)))
        # a few queries for all users at once: one per user made the page take minutes at 10,000 users
        levels = self.ledger.strike_levels()
        active = self.ledger.active_restrictions_by_user(now)
        quotas = self.quotas.states(self.store, {name: self.groups_of(name) for name in names}, now)
        users = []
        for name in names:
            server = ((self.hub_users.get(name) or {}).get("servers") or {}).get("")
            level = levels.get(name, {})
            users.append({"user": name, "groups": self.groups_of(name), "strikes": sum(level.values()),
                          "strike_level": level, "restrictions": [r.to_dict() for r in active.get(name, [])],
                          "quota": quotas[name].to_dict(), "server": bool(server and server.get("ready"))})
        return {
            "users": users,
            "decisions": flagged_decisions(self.store, limit=100),
            "appeals": annotate_appeals(self.ledger, self.ledger.appeals()),
            "cases": self.store.cases(),
            "quota_events": self.store.quota_events(limit=50),
            "logins": self.store.logins(limit=50),
            "alert": self.last_alert or rate_alert(self.store, now),
            "counts": decision_counts(self.store),
            "flags": flag_totals(self.store),
            "mode": self.mode,
            "last_reconcile": iso(self.last_reconcile),
        }

    def user_page(self, user: str, now: float | None = None) -> dict[str, Any]:
        """:meth:`user_record` with what the page's Appeal actions need (:func:`records.annotate_user`)."""
        return annotate_user(self.ledger, self.user_record(user, now), now)

    def policy_page(self, lang: str | None = None) -> dict[str, Any]:
        """The policy page's data in ``lang``, built once: the packs and settings change only with a restart."""
        lang = i18n.supported(lang) or self.language
        if lang not in self._policy_page:
            self._policy_page[lang] = policy_data(load_ruleset(self.config), self.policy, self.quotas,
                                                  mode=self.mode, lang=lang)
        return self._policy_page[lang]

    def decide_appeal(self, appeal_id: int, granted: bool, by: str, response: str) -> dict[str, Any]:
        """Grant or deny with the policy's ladder, and tell the user under their next cell."""
        appeal = self.ledger.decide_appeal(appeal_id, granted, by=by, response=response,
                                           ladder=self.policy.ladder_step, window_s=self.policy.window_s)
        said = {"kind": "appeal", "fields": explain.appeal_fields(appeal)}
        self.store.add_notice(appeal["user"], explain.render(said, i18n.Translator("en")),
                              "info" if granted else "warning", deliver="next_cell", explain=said)
        log.warning("nbwarden: appeal %s of %s %s by %s: %s", appeal_id, appeal["user"], appeal["state"], by,
                    appeal.get("effect"))
        return appeal


def templates(extra_paths: list[str]) -> Environment:
    """The pages' templates: the operator's directories first, then ours (also as ``nbwarden/NAME``, so an
    operator's ``policy.html`` can extend ``nbwarden/policy.html`` and override one block)."""
    ours = FileSystemLoader(str(TEMPLATES))
    env = Environment(loader=ChoiceLoader([*(FileSystemLoader(p) for p in extra_paths), ours,
                                           PrefixLoader({"nbwarden": ours})]),
                      autoescape=select_autoescape(["html"]), extensions=["jinja2.ext.i18n"])
    # English until a page is rendered: each render passes the reader's gettext (:meth:`BaseHandler.render_page`)
    env.install_null_translations()  # type: ignore[attr-defined]
    env.policies["ext.i18n.trimmed"] = True
    env.filters["json"] = lambda v: json.dumps(v, indent=1, default=str, ensure_ascii=False)
    return env


def _strike_level(strikes: list[dict[str, Any]]) -> dict[str, int]:
    level: dict[str, int] = {}
    for s in strikes:
        level[s["category"]] = level.get(s["category"], 0) + 1
    return level


def _ts(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class _LedgerCollector:
    """Gauges read from the ledger at scrape time."""

    def __init__(self, service: Service):
        self.service = service

    def collect(self):
        store = self.service.store
        decisions = GaugeMetricFamily("nbwarden_decisions", "Decisions in the ledger by final action", labels=["action"])
        for action, n in decision_counts(store).items():
            decisions.add_metric([action], n)
        yield decisions
        restrictions = GaugeMetricFamily("nbwarden_restrictions_active", "Active restrictions", labels=["level"])
        active: dict[str, int] = dict.fromkeys(LEVELS, 0)
        for r in self.service.ledger.restrictions(active_only=True):
            active[r.level] = active.get(r.level, 0) + 1
        for level, n in active.items():
            restrictions.add_metric([level], n)
        yield restrictions
        yield GaugeMetricFamily("nbwarden_appeals_open", "Open appeals",
                                value=len(self.service.ledger.appeals(state="open")))
        yield GaugeMetricFamily("nbwarden_link_cases_open", "Open linked-account cases",
                                value=len(store.cases(state="open")))
        usage = GaugeMetricFamily("nbwarden_quota_used_ratio", "Quota use in the window (1 = limit)",
                                  labels=["user", "resource"])
        states = self.service.quotas.states(store, {name: self.service.groups_of(name)
                                                    for name in self.service.hub_users})
        for name, state in states.items():
            for resource in RESOURCES:
                fraction = state.fraction(resource)
                if fraction is not None:
                    usage.add_metric([name, resource], fraction)
        yield usage


# ---------------------------------------------------------------------------- handlers


class BaseHandler(HubOAuthenticated, web.RequestHandler):
    @property
    def svc(self) -> Service:
        return self.settings["nbwarden"]

    def me(self) -> tuple[str, bool]:
        model = self.current_user
        name = model.get("name", "")
        groups = set(model.get("groups") or [])
        return name, bool(model.get("admin")) or bool(groups & self.svc.admin_groups)

    def require_admin(self) -> str:
        name, admin = self.me()
        if not admin:
            raise web.HTTPError(403, f"{name} is not an nbwarden admin")
        return name

    def may_see(self, user: str) -> str:
        name, admin = self.me()
        if user != name and not admin:
            raise web.HTTPError(403, f"{name} may not read another user's records")
        return name

    def records_of(self) -> str | None:
        """The ``?user=`` whose records are asked for: anyone for admins (None = all), else only oneself."""
        name, admin = self.me()
        user = self.get_argument("user", None)
        if admin:
            return user
        self.may_see(user or name)
        return name

    def language(self) -> str:
        """The reader's language: the browser's ``Accept-Language``, else the service's default."""
        return i18n.negotiate(i18n.request_languages(self), default=self.svc.language)

    def render_page(self, template: str, **ns: Any) -> None:
        name, admin = self.me() if self.current_user else ("", False)  # the policy page is public
        base = os.environ.get("JUPYTERHUB_BASE_URL", "/")
        t = i18n.Translator(self.language())
        self.set_header("Content-Language", t.html_lang())
        self.finish(self.svc.templates.get_template(template).render(
            gettext=t.gettext, _=t.gettext, ngettext=t.ngettext, html_lang=t.html_lang(),
            me=name, admin=admin, prefix=self.svc.prefix, xsrf=self.xsrf_form_html(), iso=iso, now=time.time(),
            hub_prefix=base + "hub/", policy_url=self.svc.policy_url,
            policy_section=lambda category: policy_section(self.svc.policy_url, category),
            proxy_route=f"{base}user/{name or '<you>'}/proxy/<port>/", **ns))

    def json_body(self) -> dict[str, Any]:
        if self.request.headers.get("Content-Type", "").startswith("application/json"):
            try:
                data = json.loads(self.request.body or b"{}")
            except ValueError as exc:
                raise web.HTTPError(400, "body is not JSON") from exc
            if not isinstance(data, dict):
                raise web.HTTPError(400, "body must be a JSON object")
            return data
        return {k: self.get_body_argument(k) for k in self.request.body_arguments}


class ApiHandler(BaseHandler):
    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = getattr(exc, "log_message", None) or self._reason
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"status": status_code, "message": message}))

    def send(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, default=str))


class UserPage(BaseHandler):
    @web.authenticated
    async def get(self) -> None:
        name, admin = self.me()
        target = self.get_argument("user", name)
        self.may_see(target)
        if not self.svc.hub_users:
            try:
                await self.svc.refresh_users()
            except Exception:
                pass
        record = self.svc.user_page(target)
        target_form = appeal_target(self.svc.ledger, record, self.get_argument("ref", ""),
                                    self.get_argument("restriction", ""))
        self.render_page("user.html", record=record, target=target_form, flash=self.get_argument("flash", ""))


class PolicyPage(BaseHandler):
    """The acceptable-use policy, for everyone (no login)."""

    def get(self) -> None:
        self.render_page("policy.html", data=self.svc.policy_page(self.language()), flash="")


class ApiPolicy(ApiHandler):
    """The policy page's data as JSON (public, like the page)."""

    def get(self) -> None:
        self.send(self.svc.policy_page(self.language()))


class AppealForm(BaseHandler):
    @web.authenticated
    def post(self) -> None:
        name, _ = self.me()
        text = self.get_body_argument("text", "").strip()
        if not text:
            raise web.HTTPError(400, "an appeal needs a text")
        restriction = self.get_body_argument("restriction_id", "") or None
        ref = self.get_body_argument("decision_ref", "").strip() or None
        appeal_id = file_appeal(self.svc, name, text, restriction, ref)
        self.redirect(f"{self.svc.prefix}?flash=" + quote(f"Appeal {appeal_id} filed") + "#appeal")


class Dashboard(BaseHandler):
    @web.authenticated
    async def get(self) -> None:
        self.require_admin()
        await self.svc.refresh_users_or_keep()
        self.render_page("dashboard.html", data=self.svc.overview(), levels=LEVELS,
                         flash=self.get_argument("flash", ""), metrics_url=f"{self.svc.prefix}metrics")


class DashboardAction(BaseHandler):
    @web.authenticated
    async def post(self) -> None:
        admin = self.require_admin()
        action = self.get_body_argument("action")
        args = {k: self.get_body_argument(k) for k in self.request.body_arguments}
        message = await perform(self.svc, admin, action, args)
        self.redirect(f"{self.svc.prefix}admin?flash=" + quote(message))


class MetricsHandler(BaseHandler):
    def get_current_user(self) -> Any:
        if self.svc.metrics_public:
            return {"name": "prometheus", "admin": True}
        return super().get_current_user()

    async def get(self) -> None:
        if not self.current_user:
            raise web.HTTPError(403, "metrics need an admin token (or metrics_public)")
        if not self.svc.metrics_public:
            self.require_admin()
        self.set_header("Content-Type", "text/plain; version=0.0.4")
        self.finish(generate_latest(self.svc.registry))


# -- API


class ApiMe(ApiHandler):
    @web.authenticated
    def get(self) -> None:
        name, admin = self.me()
        self.send({**self.svc.user_record(name), "admin": admin})


class ApiUsers(ApiHandler):
    @web.authenticated
    async def get(self) -> None:
        self.require_admin()
        await self.svc.refresh_users()
        self.send(self.svc.overview()["users"])


class ApiUser(ApiHandler):
    @web.authenticated
    def get(self, user: str) -> None:
        self.may_see(user)
        self.send(self.svc.user_record(user))


class ApiUserAction(ApiHandler):
    @web.authenticated
    async def post(self, user: str, action: str) -> None:
        admin = self.require_admin()
        body = self.json_body()
        message = await perform(self.svc, admin, action, {**body, "user": user})
        self.send({"message": message, "user": self.svc.user_record(user)})


class ApiDecisions(ApiHandler):
    @web.authenticated
    def get(self) -> None:
        user = self.records_of()
        limit = min(int(self.get_argument("limit", "100")), 1000)
        self.send(flagged_decisions(self.svc.store, user=user, limit=limit))


class ApiAppeals(ApiHandler):
    @web.authenticated
    def get(self) -> None:
        user = self.records_of()
        appeals = self.svc.ledger.appeals(user, state=self.get_argument("state", None))
        self.send(annotate_appeals(self.svc.ledger, appeals))  # each with the decision's evidence

    @web.authenticated
    def post(self) -> None:
        name, admin = self.me()
        body = self.json_body()
        user = str(body.get("user") or name)
        if user != name:
            raise web.HTTPError(403, "appeals are filed by the user themselves")
        if not str(body.get("text") or "").strip():
            raise web.HTTPError(400, "an appeal needs a text")
        appeal_id = file_appeal(self.svc, name, str(body["text"]), body.get("restriction_id"),
                                 body.get("decision_ref") or None)
        self.send(self.svc.ledger.appeals(appeal_id=appeal_id)[0], 201)


class ApiAppeal(ApiHandler):
    @web.authenticated
    async def post(self, appeal_id: str) -> None:
        admin = self.require_admin()
        body = self.json_body()
        granted = body.get("granted")
        action = "approve" if granted in (True, "true", "1", "approve") else "deny"
        message = await perform(self.svc, admin, action, {"appeal_id": appeal_id, "response": body.get("response", "")})
        self.send({"message": message, "appeal": self.svc.ledger.appeals(appeal_id=int(appeal_id))[0]})


class ApiCases(ApiHandler):
    @web.authenticated
    def get(self) -> None:
        self.require_admin()
        self.send(self.svc.store.cases(state=self.get_argument("state", None)))


class ApiCase(ApiHandler):
    @web.authenticated
    async def post(self, case_id: str) -> None:
        admin = self.require_admin()
        body = self.json_body()
        message = await perform(self.svc, admin, "case", {**body, "case_id": case_id})
        self.send({"message": message, "case": self.svc.store.cases(case_id=int(case_id))[0]})


class ApiBulkPardon(ApiHandler):
    @web.authenticated
    async def post(self) -> None:
        admin = self.require_admin()
        body = self.json_body()
        self.send({"message": await perform(self.svc, admin, "bulk_pardon", body)})


class ApiQuotas(ApiHandler):
    @web.authenticated
    async def get(self) -> None:
        name, admin = self.me()
        if not admin:
            self.send([self.svc.user_record(name)["quota"]])
            return
        await self.svc.refresh_users()
        self.send([u["quota"] for u in self.svc.overview()["users"]])


class ApiUsage(ApiHandler):
    """Usage samples from a remote agent: {"source": ..., "samples": {user: [cpu_s, gpu_s]}} (admins)."""

    @web.authenticated
    def post(self) -> None:
        self.require_admin()
        body = self.json_body()
        samples = {str(u): (float(v[0]), float(v[1])) for u, v in (body.get("samples") or {}).items()}
        self.send({"recorded": self.svc.store.add_usage(samples, source=str(body.get("source") or "api"))}, 201)


class ApiAlerts(ApiHandler):
    @web.authenticated
    def get(self) -> None:
        self.require_admin()
        self.send(rate_alert(self.svc.store))


class ApiCharts(ApiHandler):
    """What the dashboard's charts draw (:func:`nbwarden.hub.charts.chart_data`), ``?range=24h|7d`` (admins)."""

    @web.authenticated
    async def get(self) -> None:
        self.require_admin()
        await self.svc.refresh_users_or_keep()
        states = self.svc.quotas.states(self.svc.store, {n: self.svc.groups_of(n) for n in self.svc.hub_users})
        try:
            self.send(chart_data(self.svc.store, states, range_key=self.get_argument("range", "24h")))
        except ValueError as exc:  # an unknown range
            raise web.HTTPError(400, str(exc)) from exc


class ApiReconcile(ApiHandler):
    """Run one enforcement pass now (admins; the loop runs it every interval anyway)."""

    @web.authenticated
    async def post(self) -> None:
        self.require_admin()
        self.send(await self.svc.reconcile())


def make_app(service: Service) -> web.Application:
    prefix = service.prefix
    routes = [
        (prefix, UserPage),
        (url_path_join(prefix, "policy"), PolicyPage),
        (url_path_join(prefix, "api/policy"), ApiPolicy),
        (url_path_join(prefix, "appeal"), AppealForm),
        (url_path_join(prefix, "admin"), Dashboard),
        (url_path_join(prefix, "admin/action"), DashboardAction),
        (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
        (url_path_join(prefix, "metrics"), MetricsHandler),
        (url_path_join(prefix, "api/me"), ApiMe),
        (url_path_join(prefix, "api/users"), ApiUsers),
        (url_path_join(prefix, r"api/users/([^/]+)"), ApiUser),
        (url_path_join(prefix, r"api/users/([^/]+)/(pardon|restrict)"), ApiUserAction),
        (url_path_join(prefix, "api/decisions"), ApiDecisions),
        (url_path_join(prefix, "api/appeals"), ApiAppeals),
        (url_path_join(prefix, r"api/appeals/(\d+)"), ApiAppeal),
        (url_path_join(prefix, "api/cases"), ApiCases),
        (url_path_join(prefix, r"api/cases/(\d+)"), ApiCase),
        (url_path_join(prefix, "api/pardon/bulk"), ApiBulkPardon),
        (url_path_join(prefix, "api/quotas"), ApiQuotas),
        (url_path_join(prefix, "api/usage"), ApiUsage),
        (url_path_join(prefix, "api/alerts"), ApiAlerts),
        (url_path_join(prefix, "api/reconcile"), ApiReconcile),
        (url_path_join(prefix, "api/charts"), ApiCharts),
        (url_path_join(prefix, "static/(.*)"), web.StaticFileHandler, {"path": str(STATIC)}),
    ]
    return web.Application(routes, nbwarden=service, cookie_secret=os.urandom(32))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="[nbwarden-service %(levelname)s %(asctime)s] %(message)s",
                        filename=os.environ.get("NBWARDEN_SERVICE_LOG") or None)
    config = json.loads(os.environ.get("NBWARDEN_SERVICE_CONFIG") or "{}")
    service = Service(config)
    from urllib.parse import urlparse

    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101"))

    async def run() -> None:
        # NBWARDEN_SERVICE_BIND: in a container the URL names a Kubernetes Service, not a local address
        make_app(service).listen(url.port or 80, os.environ.get("NBWARDEN_SERVICE_BIND") or url.hostname or "127.0.0.1")
        log.info("nbwarden service on %s%s (mode %s, reconcile every %.0f s)", url.geturl(), service.prefix,
                 service.mode, service.interval)
        task = asyncio.ensure_future(service.loop())
        try:
            await asyncio.Event().wait()
        finally:
            task.cancel()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
