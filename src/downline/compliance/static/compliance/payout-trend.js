/* The payout-ratio trend of the indicators page: reads the JSON data block and draws an
   ECharts line with the amber and red thresholds (no inline script: CSP). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("payout-trend");
    var source = document.getElementById("payout-trend-data");
    if (!el || !source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var L = data.labels;
    var chart = echarts.init(el);
    chart.setOption({
      aria: { enabled: true },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "–" : v + " %"; } },
      legend: { bottom: 0 },
      grid: { left: 48, right: 16, top: 24, bottom: 56 },
      xAxis: { type: "category", data: data.periods },
      yAxis: { type: "value", min: 0, axisLabel: { formatter: "{value} %" } },
      series: [
        {
          name: L.series, type: "line", data: data.values, connectNulls: false, symbolSize: 8,
          lineStyle: { width: 3 }, itemStyle: { color: "#0b5cad" },
          markLine: {
            symbol: "none", silent: true,
            data: [
              { name: L.amber, yAxis: data.amber, lineStyle: { color: "#9a5b00", type: "dashed" }, label: { formatter: L.amber + " {c} %" } },
              { name: L.red, yAxis: data.red, lineStyle: { color: "#a3261b", type: "solid" }, label: { formatter: L.red + " {c} %" } }
            ]
          }
        }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.setAttribute("data-ready", "true");
  });
})();
