/* The dashboard's charts (templates/_charts.html): fetched from GET api/charts and drawn with the
 * vendored Chart.js.  Drawing only: every figure is computed by nbwarden/hub/charts.py. */
(function () {
  "use strict";
  var section = document.querySelector("[data-testid=charts]");
  if (!section || typeof Chart === "undefined") {
    if (section) section.querySelector("[data-testid=chart-note]").textContent = "Chart.js did not load.";
    return;
  }
  var ACTION_COLORS = {block: "#b00020", kill: "#6a1b9a", deny: "#e65100", warn: "#f2a900", still_run: "#8d6e63"};
  var PALETTE = ["#3b7ddd", "#1b7f3b", "#d1495b", "#edae49", "#00798c", "#8e6c8a", "#66a182", "#2e4057",
                 "#c17c74", "#7f7f7f", "#bc5090", "#58508d"];
  var charts = {};

  function color(name, i) { return ACTION_COLORS[name] || PALETTE[i % PALETTE.length]; }

  function label(iso, range) { return range === "24h" ? iso.slice(11, 16) : iso.slice(5, 10) + " " + iso.slice(11, 16); }

  function draw(key, config) {
    if (charts[key]) charts[key].destroy();
    var canvas = section.querySelector("[data-testid=" + key + "]");
    config.options = Object.assign({animation: false, responsive: true, maintainAspectRatio: false}, config.options);
    charts[key] = new Chart(canvas, config);
  }

  function stacked(extra) {
    return Object.assign({scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true, ticks: {precision: 0}}}}, extra || {});
  }

  function render(data) {
    var labels = data.labels.map(function (iso) { return label(iso, data.range); });
    var bars = function (series) {
      return series.map(function (s, i) {
        return {type: "bar", label: s.name + " (" + s.total + ")", data: s.data, backgroundColor: color(s.name, i), stack: "flags"};
      });
    };
    var lines = [
      {type: "line", label: "baseline (mean per hour, " + data.alert.baseline_h + " h before)", data: data.alert.baseline,
       borderColor: "#555", borderDash: [2, 3], pointRadius: 0, borderWidth: 1.5, stepped: "middle", order: -2, stack: "baseline"},
      {type: "line", label: "alert threshold (" + data.alert.factor + "x baseline, at least " + data.alert.min_count + ")",
       data: data.alert.threshold, borderColor: "#b00020", borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5,
       stepped: "middle", order: -1, stack: "threshold"}
    ];
    draw("chart-by-action", {type: "bar", data: {labels: labels, datasets: bars(data.by_action).concat(lines)}, options: stacked()});
    draw("chart-by-category", {type: "bar", data: {labels: labels, datasets: bars(data.by_category)}, options: stacked()});
    var actions = Object.keys(ACTION_COLORS).filter(function (a) {
      return data.top_rules.some(function (r) { return r.by_action[a]; });
    });
    draw("chart-top-rules", {type: "bar", data: {
      labels: data.top_rules.map(function (r) { return r.rule; }),
      datasets: actions.map(function (a) {
        return {label: a, backgroundColor: color(a), data: data.top_rules.map(function (r) { return r.by_action[a] || 0; })};
      })}, options: stacked({indexAxis: "y", scales: {x: {stacked: true, beginAtZero: true, ticks: {precision: 0}}, y: {stacked: true}}})});
    draw("chart-stops", {type: "bar", data: {
      labels: data.stops.map(function (s) { return s.category; }),
      datasets: [{label: "blocked by the gate", backgroundColor: color("block"), data: data.stops.map(function (s) { return s.block; })},
                 {label: "killed by the agent", backgroundColor: color("kill"), data: data.stops.map(function (s) { return s.kill; })}]},
      options: {scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}});
    var resources = {cpu_hours: "CPU", gpu_hours: "GPU"};
    draw("chart-quota", {type: "bar", data: {
      labels: data.quota.map(function (g) {
        var limited = Object.keys(resources).some(function (r) { return g.resources[r].percent !== null; });
        return g.group + " (" + g.users + (limited ? ")" : ", no limits)");
      }),
      datasets: Object.keys(resources).map(function (r, i) {
        return {label: resources[r] + " % used", backgroundColor: PALETTE[i],
                data: data.quota.map(function (g) { return g.resources[r].percent; })};
      })},
      options: {scales: {y: {beginAtZero: true, suggestedMax: 100, ticks: {callback: function (v) { return v + "%"; }}}},
                plugins: {tooltip: {callbacks: {afterLabel: function (ctx) {
                  var use = data.quota[ctx.dataIndex].resources[Object.keys(resources)[ctx.datasetIndex]];
                  return use.used_hours + " of " + (use.limit_hours === null ? "no limit" : use.limit_hours + " h") +
                         ", " + use.warned + " warned, " + use.exhausted + " used up";
                }}}}}});
    var flags = data.by_action.reduce(function (n, s) { return n + s.total; }, 0);
    section.querySelector("[data-testid=chart-note]").textContent =
      flags + " flags from " + data.labels[0] + " to " + new Date(data.now * 1000).toISOString().slice(0, 19) + "Z";
  }

  function load(range) {
    section.removeAttribute("data-rendered");
    section.querySelectorAll("[data-range]").forEach(function (b) { b.classList.toggle("active", b.dataset.range === range); });
    var xsrf = section.querySelector("input[name=_xsrf]");
    fetch(section.dataset.api + "?range=" + encodeURIComponent(range),
          {credentials: "same-origin", headers: xsrf ? {"X-XSRFToken": xsrf.value} : {}})
      .then(function (r) { if (!r.ok) throw new Error("api/charts answered " + r.status); return r.json(); })
      .then(function (data) { render(data); section.dataset.rendered = range; })
      .catch(function (e) { section.querySelector("[data-testid=chart-note]").textContent = "Charts unavailable: " + e.message; });
  }

  section.querySelectorAll("[data-range]").forEach(function (b) {
    b.addEventListener("click", function () { load(b.dataset.range); });
  });
  load("24h");
}());
