// Draws every .chart[data-chart] with Apache ECharts (vendored under /static/vendor/echarts/). The numbers
// are also in the table beside each chart, so the page reads the same without this script.
(function () {
  "use strict";
  function option(spec) {
    if (spec.kind === "funnel") {
      return {
        tooltip: { trigger: "item" },
        series: [{
          type: "funnel", sort: "none", left: "5%", width: "90%", minSize: "8%",
          label: { show: true, position: "inside", formatter: "{b}：{c}" },
          data: spec.labels.map(function (name, i) { return { name: name, value: spec.series[0].values[i] }; })
        }]
      };
    }
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 48 },
      xAxis: { type: "category", data: spec.labels, axisLabel: { interval: 0, rotate: spec.labels.length > 8 ? 40 : 0 } },
      yAxis: { type: "value" },
      series: spec.series.map(function (s) { return { name: s.name, type: spec.kind, data: s.values, smooth: spec.kind === "line" }; })
    };
  }
  function draw() {
    if (!window.echarts) { return; }
    document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(option(JSON.parse(el.dataset.chart)));
      el.classList.add("chart-drawn");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
}());
