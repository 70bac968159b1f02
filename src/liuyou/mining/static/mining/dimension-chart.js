/* The analysis page's bar chart: customers per dimension (figures in data-dimension-chart). */
window.liuyouCharts.register("data-dimension-chart", function (data) {
  "use strict";
  return {
    tooltip: { trigger: "axis" },
    grid: { left: 110, right: 24, top: 16, bottom: 24 },
    xAxis: { type: "value", name: "户" },
    yAxis: { type: "category", data: data.names.slice().reverse() },
    series: [
      { name: "名单客户数", type: "bar", data: data.counts.slice().reverse(), itemStyle: { color: "#0d6efd" } }
    ]
  };
});
