/* Academy KPI charts: reads the JSON in #academy-kpis and draws ECharts (no inline script). */
(function () {
  "use strict";
  var source = document.getElementById("academy-kpis");
  if (!source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var labels = JSON.parse(document.getElementById("academy-kpi-labels").textContent);
  function bars(id, title, names, series, horizontal) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = echarts.init(el);
    var cat = { type: "category", data: names, axisLabel: { width: 160, overflow: "truncate" } };
    var val = { type: "value" };
    chart.setOption({
      title: { text: title, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: horizontal ? 170 : 56, right: 16, top: 40, bottom: 56 },
      xAxis: horizontal ? val : cat,
      yAxis: horizontal ? cat : val,
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  bars("chart-courses", labels.courses, data.courses.map(function (c) { return c.title; }),
    [{ name: labels.members, type: "bar", data: data.courses.map(function (c) { return c.members; }) }], true);
  bars("chart-tracks", labels.tracks, data.tracks.map(function (c) { return c.title; }),
    [{ name: labels.members, type: "bar", data: data.tracks.map(function (c) { return c.members; }) }], true);
  data.funnels.forEach(function (f, i) {
    bars("chart-funnel-" + i, f.title, f.steps.map(function (s) { return s.title; }), [
      { name: labels.started, type: "bar", data: f.steps.map(function (s) { return s.started; }) },
      { name: labels.completed, type: "bar", data: f.steps.map(function (s) { return s.completed; }) }
    ], true);
  });
  bars("chart-questions", labels.questions, data.questions.map(function (q) { return q.text; }),
    [{ name: "%", type: "bar", data: data.questions.map(function (q) { return q.percent; }) }], true);
  var cohorts = {};
  data.cohorts.forEach(function (c) { cohorts[c.cohort] = cohorts[c.cohort] || {}; cohorts[c.cohort][c.trained ? "t" : "u"] = c; });
  var months = Object.keys(cohorts).sort();
  function pick(key, which) { return months.map(function (m) { return cohorts[m][which] ? cohorts[m][which][key] : null; }); }
  bars("chart-retention", labels.retention, months, [
    { name: labels.trained, type: "line", data: pick("retained", "t") },
    { name: labels.untrained, type: "line", data: pick("retained", "u") }
  ], false);
  bars("chart-pv", labels.pv, months, [
    { name: labels.trained, type: "bar", data: pick("pv_per_member", "t") },
    { name: labels.untrained, type: "bar", data: pick("pv_per_member", "u") }
  ], false);
})();
