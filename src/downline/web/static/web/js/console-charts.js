/* Console overview charts: reads the JSON of [data-source] and draws ECharts (no inline script). */
(function () {
  "use strict";
  function line(el, title, periods, series) {
    var chart = echarts.init(el);
    chart.setOption({
      title: { text: title, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 56, right: 16, top: 40, bottom: 48 },
      xAxis: { type: "category", data: periods },
      yAxis: { type: "value" },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function draw(root, data) {
    var L = data.labels, p = data.periods;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var kind = el.getAttribute("data-chart");
      if (kind === "money") {
        line(el, L.revenue + " / " + L.paid + " (" + data.currency + ")", p, [
          { name: L.revenue, type: "bar", data: data.revenue },
          { name: L.paid, type: "bar", data: data.paid }
        ]);
      } else if (kind === "cv") {
        line(el, L.cv, p, [{ name: L.cv, type: "line", data: data.cv }]);
      } else if (kind === "people") {
        line(el, L.active + " / " + L["new"], p, [
          { name: L.active, type: "line", data: data.active },
          { name: L["new"], type: "bar", data: data["new"] }
        ]);
      } else if (kind === "ratios") {
        line(el, L.retention + " / " + L.payout_ratio, p, [
          { name: L.retention, type: "line", data: data.retention },
          { name: L.payout_ratio, type: "line", data: data.payout_ratio }
        ]);
      } else if (kind === "ranks") {
        line(el, L.ranks + (data.ranks.period ? " · " + data.ranks.period : ""), data.ranks.names, [
          { name: L.ranks, type: "bar", data: data.ranks.counts }
        ]);
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("console-charts");
    if (!root || typeof echarts === "undefined") { return; }
    fetch(root.getAttribute("data-source"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { draw(root, data); root.setAttribute("data-ready", "true"); });
  });
})();
