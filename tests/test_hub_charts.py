"""The dashboard's figures without a browser, the Grafana dashboard against the exported metrics, and
the vendored Chart.js (the drawing itself: tests/test_hub_charts_browser.py)."""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from pathlib import Path

import pytest

from nbwarden.agent.metrics import Metrics
from nbwarden.hub import alerts
from nbwarden.hub.charts import FLAGS, RANGES, UNCATEGORISED, chart_data, flag_totals, quota_by_group
from nbwarden.hub.models import HubStore
from nbwarden.hub.quotas import Quotas
from nbwarden.ledger import AGENT_KINDS, Ledger

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "nbwarden" / "hub" / "static"
GRAFANA = ROOT / "deploy" / "grafana" / "nbwarden.json"
NOW = 1_800_000_000.5
CATEGORIES = ["crypto_mining", "torrent_p2p", "dos_attack", None]
KINDS = ["cell", "cell", "terminal", *AGENT_KINDS]
ACTIONS = ["allow", "allow", "audit", "warn", "still_run", "block", "block", "deny"]


@pytest.fixture()
def store(ledger_url):
    ledger = Ledger(ledger_url)
    yield HubStore(ledger)
    ledger.close()


def _record(store: HubStore, seed: int, n: int, oldest_h: float) -> list[dict]:
    """``n`` decisions at random times in the ``oldest_h`` hours before NOW; returns what was recorded."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        row = {"user": rng.choice("abcdef"), "action": rng.choice(ACTIONS), "kind": rng.choice(KINDS),
               "category": rng.choice(CATEGORIES), "at": NOW - rng.uniform(0, oldest_h * 3600),
               "rules": rng.sample(["r.one", "r.two", "r.three", "r.four"], rng.randint(0, 2))}
        store.ledger.record_decision(user=row["user"], action=row["action"], kind=row["kind"],
                                     category=row["category"], rules=row["rules"], now=row["at"])
        rows.append(row)
    return rows


def _label(row: dict) -> str | None:
    """The test's own statement of what the dashboard counts: flags, an agent's block being a kill."""
    if row["action"] in ("allow", "audit"):
        return None
    return "kill" if row["action"] == "block" and row["kind"] in AGENT_KINDS else row["action"]


@pytest.mark.parametrize("range_key", list(RANGES))
def test_hourly_flags_by_action_and_category_count_every_flag_in_its_hour(store, range_key):
    rows = _record(store, seed=14, n=260, oldest_h=RANGES[range_key] + 30)
    data = chart_data(store, {}, range_key=range_key, now=NOW)
    hours = RANGES[range_key]
    assert data["bucket_s"] == 3600 and len(data["labels"]) == hours
    start = NOW - hours * 3600
    want_action: dict[str, list[int]] = {}
    want_category: dict[str, list[int]] = {}
    for row in rows:
        label = _label(row)
        if label is None or row["at"] < start:
            continue
        hour = math.floor((row["at"] - start) / 3600)
        want_action.setdefault(label, [0] * hours)[hour] += 1
        want_category.setdefault(row["category"] or UNCATEGORISED, [0] * hours)[hour] += 1
    assert {s["name"]: s["data"] for s in data["by_action"]} == want_action
    assert {s["name"]: s["data"] for s in data["by_category"]} == want_category
    assert [s["name"] for s in data["by_action"]] == [a for a in FLAGS if a in want_action]  # stacking order
    # gate blocks against agent kills, per category, over the range
    stops = {s["category"]: (s["block"], s["kill"]) for s in data["stops"]}
    for category in want_category:
        in_range = [r for r in rows if r["at"] >= start and (r["category"] or UNCATEGORISED) == category]
        blocks = sum(_label(r) == "block" for r in in_range)
        kills = sum(_label(r) == "kill" for r in in_range)
        assert stops.get(category, (0, 0)) == (blocks, kills)
    # top rules: flags naming the rule, in the range
    top = {t["rule"]: t["total"] for t in data["top_rules"]}
    for rule in ("r.one", "r.two", "r.three", "r.four"):
        assert top.get(rule, 0) == sum(1 for r in rows if r["at"] >= start and _label(r) and rule in r["rules"])


def test_baseline_and_threshold_lines_are_the_alert_rule_at_every_hour(store):
    rows = _record(store, seed=7, n=160, oldest_h=50)
    # a jump in the newest hour, so the threshold is crossed and the alert is up
    for i in range(12):
        store.ledger.record_decision(user="x", action="block", kind="process", category="crypto_mining",
                                     rules=["r.miner"], now=NOW - 60 - i)
    data = chart_data(store, {}, range_key="24h", now=NOW)
    start = NOW - 24 * 3600
    for i in range(24):
        # rate_alert judged at the end of bucket i has bucket i as its recent window: same baseline, same threshold
        rule = alerts.rate_alert(store, now=start + (i + 1) * 3600)
        assert data["alert"]["baseline"][i] == pytest.approx(rule["baseline_per_window"], abs=1e-3)
        assert data["alert"]["threshold"][i] == pytest.approx(rule["threshold"])
    newest = alerts.rate_alert(store, now=NOW)
    blocks_and_kills = sum(s["data"][-1] for s in data["by_action"] if s["name"] in ("block", "kill"))
    assert blocks_and_kills == newest["recent"] and newest["alert"]
    assert blocks_and_kills > data["alert"]["threshold"][-1]
    assert len(rows) == 160


def test_overview_counts_flags_apart_from_allowed_cells(store):
    rows = _record(store, seed=3, n=120, oldest_h=400)
    want: dict[str, int] = {}
    for row in rows:
        if _label(row):
            want[_label(row)] = want.get(_label(row), 0) + 1
    totals = flag_totals(store)
    assert totals == want and "allow" not in totals and "audit" not in totals
    assert list(totals) == [a for a in FLAGS if a in want]


def test_quota_use_per_group_sums_the_members_against_their_limits(store):
    quotas = Quotas(groups={"free": {"cpu_hours": 2.0, "gpu_hours": 1.0, "window_hours": 24},
                            "pro": {"cpu_hours": 10.0, "window_hours": 24}, "admin": {}},
                    order=["admin", "pro", "free"], default_group="free")
    store.add_usage({"a": (1.8 * 3600, 0.25 * 3600), "b": (0.5 * 3600, 1.2 * 3600), "c": (3 * 3600, 0.0),
                     "root": (40 * 3600, 0.0)}, now=NOW - 100)
    states = quotas.states(store, {"a": ["free"], "b": [], "c": ["pro"], "root": ["admin"]}, now=NOW)
    groups = {g["group"]: g for g in quota_by_group(states)}
    assert set(groups) == {"free", "pro", "admin"} and groups["free"]["users"] == 2
    cpu = groups["free"]["resources"]["cpu_hours"]
    assert cpu["used_hours"] == pytest.approx(2.3) and cpu["limit_hours"] == 4.0
    assert cpu["percent"] == pytest.approx(57.5) and cpu["warned"] == 1 and cpu["exhausted"] == 0
    gpu = groups["free"]["resources"]["gpu_hours"]
    assert gpu["percent"] == pytest.approx(72.5) and gpu["exhausted"] == 1
    assert groups["pro"]["resources"]["gpu_hours"]["percent"] is None  # no GPU limit: nothing to draw
    assert groups["admin"]["resources"]["cpu_hours"] == {"used_hours": 40.0, "limit_hours": None, "warned": 0,
                                                         "exhausted": 0, "percent": None}


def test_chart_range_must_be_known(store):
    with pytest.raises(ValueError):
        chart_data(store, {}, range_key="1y")


# ---------------------------------------------------------------------------- Grafana


def _exported(registry) -> dict[str, str]:
    """Every sample name a registry exposes, whether or not a labelled child exists yet -> its family."""
    suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created"),
                "summary": ("_count", "_sum", "_created"), "gauge": ("",), "info": ("_info",),
                "stateset": ("",), "unknown": ("",)}
    names = {}
    for family in registry.collect():
        for suffix in suffixes[family.type]:
            names[family.name + suffix] = family.name
    return names


def _registries(tmp_path):
    from nbwarden.hub.service import Service

    service = Service({"db_url": f"sqlite:///{tmp_path / 'ledger.sqlite'}", "sample_usage": False})
    return {"hub": service.registry, "agent": Metrics().registry}


def test_grafana_queries_name_only_metrics_the_code_exports(tmp_path):
    exported: dict[str, str] = {}
    for registry in _registries(tmp_path).values():
        exported.update(_exported(registry))
    assert "nbwarden_agent_processes_killed_total" in exported and "nbwarden_decisions" in exported
    dashboard = json.loads(GRAFANA.read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    used: set[str] = set()
    for panel in panels:
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}"
        for target in panel["targets"]:
            named = set(re.findall(r"\b(nbwarden_[a-z0-9_]+)", target["expr"]))
            assert named, f"{panel['title']}: {target['expr']} names no nbwarden metric"
            unknown = named - set(exported)
            assert not unknown, f"{panel['title']}: {sorted(unknown)} are not exported by the hub or the agent"
            used |= {exported[name] for name in named}
    # and every family either registry exports has a panel
    assert set(exported.values()) - used == set()
    assert {v["name"] for v in dashboard["templating"]["list"]} == {"datasource"}


# ---------------------------------------------------------------------------- the vendored library


def test_vendored_chartjs_is_the_documented_release_and_no_page_loads_from_elsewhere():
    vendor = (STATIC / "VENDOR.md").read_text()
    version = re.search(r"\| \[Chart\.js\]\([^)]*\) \| ([0-9.]+) \|", vendor).group(1)
    script = (STATIC / "vendor" / "chart.umd.min.js").read_bytes()
    assert script.startswith(b"/*!\n * Chart.js v" + version.encode() + b"\n")
    assert hashlib.sha256(script).hexdigest() in vendor
    assert "MIT License" in (STATIC / "vendor" / "chart.js.LICENSE.md").read_text()
    templates = ROOT / "nbwarden" / "hub" / "templates"
    for page in templates.glob("*.html"):
        for url in re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", page.read_text()):
            assert not re.match(r"(https?:)?//", url), f"{page.name} loads {url} from elsewhere"
    charts = (templates / "_charts.html").read_text()
    assert "static/vendor/chart.umd.min.js" in charts and "static/charts.js" in charts
