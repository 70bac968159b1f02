/* The 12-month transaction chart of the customer 360 page. The figures come from the
   element's data-txn-chart attribute (no inline script: CSP script-src 'self'). */
(function () {
  "use strict";

  function draw(el) {
    if (el.getAttribute("data-drawn") || typeof window.echarts === "undefined") {
      return;
    }
    var data;
    try {
      data = JSON.parse(el.getAttribute("data-txn-chart"));
    } catch (e) {
      return;
    }
    el.setAttribute("data-drawn", "1");
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: ["入账", "出账"] },
      grid: { left: 60, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", name: "元" },
      series: [
        { name: "入账", type: "bar", data: data.credits.map(Number), itemStyle: { color: "#198754" } },
        { name: "出账", type: "bar", data: data.debits.map(Number), itemStyle: { color: "#dc3545" } }
      ]
    });
    window.addEventListener("resize", function () {
      chart.resize();
    });
  }

  function drawAll(root) {
    var nodes = (root || document).querySelectorAll("[data-txn-chart]");
    for (var i = 0; i < nodes.length; i++) {
      draw(nodes[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      drawAll(document);
    });
  } else {
    drawAll(document);
  }
  // Content swapped in by htmx gets its chart too.
  document.addEventListener("htmx:load", function (event) {
    drawAll(event.target);
  });
})();
