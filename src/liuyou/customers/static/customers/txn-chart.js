/* The 12-month transaction chart of the customer 360 page (figures in data-txn-chart). */
window.liuyouCharts.register("data-txn-chart", function (data) {
  "use strict";
  return {
    tooltip: { trigger: "axis" },
    legend: { data: ["入账", "出账"] },
    grid: { left: 60, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: data.months },
    yAxis: { type: "value", name: "元" },
    series: [
      { name: "入账", type: "bar", data: data.credits.map(Number), itemStyle: { color: "#198754" } },
      { name: "出账", type: "bar", data: data.debits.map(Number), itemStyle: { color: "#dc3545" } }
    ]
  };
});
