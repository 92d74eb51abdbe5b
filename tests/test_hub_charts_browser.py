"""The dashboard's charts in headless Chromium, on a real hub whose ledger the test fills first.

Decisions of the last week (a background of flags and allowed cells, then a jump of blocks and kills in the
newest hour) and quota use are recorded before the admin opens the dashboard; the test then reads what
Chart.js drew on each canvas (its datasets, and pixels of each series' colour) and compares it with what it
recorded.  Writes artifacts/hub-charts.png and the README's picture, artifacts/dashboard-charts.png
(``make screenshots`` copies it to docs/; a test never edits a tracked file).
"""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest

from tests.hub_support import ARTIFACTS, CHP, CHROMIUM, CHROMIUM_ARGS, Hub, login

pytest.importorskip("jupyterhub")
playwright_api = pytest.importorskip("playwright.sync_api")

if not CHP.exists() and not shutil.which("configurable-http-proxy"):
    pytest.skip("configurable-http-proxy is not installed (make run / make test installs it)", allow_module_level=True)
if not Path(CHROMIUM).exists():
    pytest.skip("Debian chromium is not installed", allow_module_level=True)

from nbwarden.hub.hooks import ADMIN_PASSWORD  # noqa: E402
from nbwarden.ledger import AGENT_KINDS  # noqa: E402

DOCS_SHOT = ARTIFACTS / "dashboard-charts.png"  # the README's picture: `make screenshots` copies it to docs/
GROUPS = {"free": ["alice", "bob"], "pro": ["carol"], "admin": ["admin"]}
QUOTAS = {"free": {"cpu_hours": 10.0, "gpu_hours": 2.0, "window_hours": 24},
          "pro": {"cpu_hours": 50.0, "gpu_hours": 10.0, "window_hours": 24}, "admin": {}}
USAGE_H = {"alice": (8.5, 0.5), "bob": (2.0, 0.0), "carol": (12.0, 6.0)}  # CPU and GPU hours in the window
CATEGORY_RULES = {"crypto_mining": ["crypto_mining.miner-program", "crypto_mining.stratum-url"],
                  "torrent_p2p": ["torrent_p2p.libtorrent"], "dos_attack": ["dos_attack.flood-loop"],
                  "proxy_tunnel": ["proxy_tunnel.ngrok"]}
OLD_ONLY = "deepfake"  # flags of this category only 3-6 days ago: in the 7 d charts, not in the 24 h ones


def _records(now: float) -> list[dict]:
    rng = random.Random(2026)
    rows = []
    for _ in range(140):  # the week's background, away from the edges of the 24 h range
        at = now - rng.uniform(1.2, 23.5) * 3600 if rng.random() < 0.6 else now - rng.uniform(26, 160) * 3600
        category = rng.choice(list(CATEGORY_RULES))
        action = rng.choice(["allow", "allow", "allow", "audit", "warn", "warn", "still_run", "block", "deny"])
        kind = rng.choice(["cell", "cell", "terminal", "process"]) if action == "block" else "cell"
        rows.append({"user": rng.choice(["alice", "bob", "carol"]), "action": action, "kind": kind, "at": at,
                     "category": None if action in ("allow", "audit") else category,
                     "rules": [] if action in ("allow", "audit") else CATEGORY_RULES[category][:rng.randint(1, 2)]})
    for i in range(8):
        rows.append({"user": "bob", "action": "warn", "kind": "cell", "at": now - (80 + 10 * i) * 3600,
                     "category": OLD_ONLY, "rules": ["deepfake.face-swap"]})
    for i in range(16):  # the jump: a dependency that starts a miner everywhere
        rows.append({"user": ["alice", "bob", "carol"][i % 3], "action": "block", "kind": "process" if i % 2 else "cell",
                     "at": now - 600 - 20 * i, "category": "crypto_mining", "rules": ["crypto_mining.miner-program"]})
    return rows


def _label(row: dict) -> str | None:
    if row["action"] in ("allow", "audit"):
        return None
    return "kill" if row["action"] == "block" and row["kind"] in AGENT_KINDS else row["action"]


def _expected(rows: list[dict], now: float, hours: int) -> dict:
    flags = [r for r in rows if _label(r) and r["at"] >= now - hours * 3600]
    by_action: dict[str, int] = {}
    by_category: dict[str, int] = {}
    stops: dict[str, list[int]] = {}
    rules: dict[str, int] = {}
    for r in flags:
        by_action[_label(r)] = by_action.get(_label(r), 0) + 1
        by_category[r["category"]] = by_category.get(r["category"], 0) + 1
        if _label(r) in ("block", "kill"):
            stops.setdefault(r["category"], [0, 0])[_label(r) == "kill"] += 1
        for rule in r["rules"]:
            rules[rule] = rules.get(rule, 0) + 1
    return {"by_action": by_action, "by_category": by_category, "stops": stops, "rules": rules}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    base = tmp_path_factory.mktemp("charts-hub")
    hub = Hub(base, groups=GROUPS, quotas=QUOTAS, reconcile_s=2.0, link_s=3600.0).start()
    try:
        yield hub
    finally:
        hub.stop_and_keep_log("hub-charts")


@pytest.fixture(scope="module")
def recorded(hub):
    store = hub.ledger()
    now = time.time()
    rows = _records(now)
    for r in rows:
        store.ledger.record_decision(user=r["user"], action=r["action"], kind=r["kind"], category=r["category"],
                                     rules=r["rules"], now=r["at"])
    store.add_usage({u: (c * 3600, g * 3600) for u, (c, g) in USAGE_H.items()}, source="test", now=now - 1800)
    return now, rows


# what Chart.js drew on a canvas: its datasets, and how many pixels carry each bar dataset's own colour
DRAWN = """(testid) => {
  const canvas = document.querySelector(`[data-testid=${testid}]`);
  const chart = Chart.getChart(canvas);
  const ctx = canvas.getContext("2d");
  const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const pixels = (hex) => {
    const [r, g, b] = rgb(hex); let n = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i] === r && px[i + 1] === g && px[i + 2] === b && px[i + 3] === 255) n++;
    return n;
  };
  let painted = 0;
  for (let i = 3; i < px.length; i += 4) if (px[i] > 0) painted++;
  return {labels: chart.data.labels, painted, size: canvas.width * canvas.height,
          datasets: chart.data.datasets.map((d) => ({label: d.label, type: d.type || chart.config.type, data: d.data,
            color: d.backgroundColor || null,
            pixels: d.type === "line" ? null : pixels(d.backgroundColor)}))};
}"""


def _bars(drawn: dict) -> dict[str, int]:
    """Bar datasets by series name (the label is "name (total)") -> the sum of what was drawn."""
    return {d["label"].rsplit(" (", 1)[0]: sum(v or 0 for v in d["data"]) for d in drawn["datasets"] if d["type"] == "bar"}


def _assert_drawn(drawn: dict) -> None:
    assert drawn["painted"] > 0.02 * drawn["size"], "the canvas is (nearly) empty"
    for d in drawn["datasets"]:
        if d["type"] == "bar" and any(d["data"]):
            assert d["pixels"] > 0, f"series {d['label']} ({d['color']}) has no bar on the canvas"


def test_dashboard_charts_draw_the_recorded_flags_and_quota_use(hub, recorded):
    now, rows = recorded
    status, data = hub.service_api("GET", "/charts", "alice")
    assert status == 403  # admins only
    status, data = hub.service_api("GET", "/charts?range=1y", "admin")
    assert status == 400 and "range" in data["message"]
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.set_default_timeout(60_000)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            login(page, hub, "admin", ADMIN_PASSWORD, next_path="/services/nbwarden/admin")
            page.wait_for_url("**/services/nbwarden/admin**")
            charts = page.locator("[data-testid=charts]")
            page.locator("[data-testid=charts][data-rendered='24h']").wait_for()

            # the overview counts flags apart from the cells that ran without one
            want_all = _expected(rows, now, hours=10_000)
            flags_text = page.locator("[data-testid=overview-flags]").inner_text()
            for action, n in want_all["by_action"].items():
                assert f"{action} {n}" in flags_text
            assert "allow" not in flags_text and "audit" not in flags_text
            cells = page.locator("[data-testid=overview-cells]").inner_text()
            assert f"allowed {sum(r['action'] == 'allow' for r in rows)}" in cells
            assert f"audited {sum(r['action'] == 'audit' for r in rows)}" in cells

            want = _expected(rows, now, hours=24)
            by_action = page.evaluate(DRAWN, "chart-by-action")
            _assert_drawn(by_action)
            assert _bars(by_action) == want["by_action"]
            assert [d["label"].rsplit(" (", 1)[0] for d in by_action["datasets"] if d["type"] == "bar"] == \
                [a for a in ("block", "kill", "deny", "warn", "still_run") if a in want["by_action"]]
            lines = [d for d in by_action["datasets"] if d["type"] == "line"]
            assert [d["label"].split(" (")[0] for d in lines] == ["baseline", "alert threshold"]
            assert all(len(d["data"]) == 24 for d in lines) and len(by_action["labels"]) == 24
            # the newest hour's blocks and kills cross the threshold drawn there, as the alert says
            _, alert = hub.service_api("GET", "/alerts", "admin")
            newest = sum(d["data"][-1] for d in by_action["datasets"]
                         if d["type"] == "bar" and d["label"].startswith(("block ", "kill ")))
            assert alert["alert"] and newest == alert["recent"] and newest > lines[1]["data"][-1] == alert["threshold"]

            by_category = page.evaluate(DRAWN, "chart-by-category")
            _assert_drawn(by_category)
            assert _bars(by_category) == want["by_category"] and OLD_ONLY not in _bars(by_category)

            top = page.evaluate(DRAWN, "chart-top-rules")
            _assert_drawn(top)
            ranked = sorted(want["rules"].items(), key=lambda kv: (-kv[1], kv[0]))
            assert top["labels"] == [rule for rule, _ in ranked]
            assert [sum(d["data"][i] for d in top["datasets"]) for i in range(len(ranked))] == [n for _, n in ranked]

            stops = page.evaluate(DRAWN, "chart-stops")
            _assert_drawn(stops)
            drawn_stops = {c: [stops["datasets"][0]["data"][i], stops["datasets"][1]["data"][i]]
                           for i, c in enumerate(stops["labels"])}
            assert drawn_stops == want["stops"]
            assert drawn_stops["crypto_mining"][1] > 0  # the agent's kills are there, apart from the gate's blocks

            quota = page.evaluate(DRAWN, "chart-quota")
            _assert_drawn(quota)
            assert quota["labels"] == [f"{g} ({len(GROUPS[g])}{'' if QUOTAS[g] else ', no limits'})" for g in sorted(GROUPS)]
            for resource, dataset in zip((0, 1), quota["datasets"], strict=True):
                for group, value in zip(sorted(GROUPS), dataset["data"], strict=True):
                    limit = QUOTAS[group].get(("cpu_hours", "gpu_hours")[resource])
                    used = sum(USAGE_H.get(u, (0.0, 0.0))[resource] for u in GROUPS[group])
                    expected = None if limit is None else round(100 * used / (limit * len(GROUPS[group])), 1)
                    assert value == expected, (group, resource)

            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "hub-charts.png"), full_page=True)
            DOCS_SHOT.parent.mkdir(parents=True, exist_ok=True)
            box = page.locator("main").bounding_box()
            bottom = charts.bounding_box()
            page.screenshot(path=str(DOCS_SHOT), full_page=True,
                            clip={"x": box["x"], "y": box["y"], "width": box["width"],
                                  "height": bottom["y"] + bottom["height"] - box["y"] + 8})

            # the 7 d range: 168 hours, and the older category appears
            page.click("[data-testid=chart-range-7d]")
            page.locator("[data-testid=charts][data-rendered='7d']").wait_for()
            want7 = _expected(rows, now, hours=7 * 24)
            week = page.evaluate(DRAWN, "chart-by-category")
            _assert_drawn(week)
            assert len(week["labels"]) == 168 and _bars(week) == want7["by_category"] and OLD_ONLY in _bars(week)
            assert _bars(page.evaluate(DRAWN, "chart-by-action")) == want7["by_action"]
            assert not errors, errors
        finally:
            browser.close()
