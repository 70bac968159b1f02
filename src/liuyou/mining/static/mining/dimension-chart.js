/* The bar chart of the analysis page: customers per dimension. The figures come from the
   element's data-dimension-chart attribute (no inline script: CSP script-src 'self'). */
(function () {
  "use strict";

  function draw(el) {
    if (el.getAttribute("data-drawn") || typeof window.echarts === "undefined") {
      return;
    }
    var data;
    try {
      data = JSON.parse(el.getAttribute("data-dimension-chart"));
    } catch (e) {
      return;
    }
    el.setAttribute("data-drawn", "1");
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 110, right: 24, top: 16, bottom: 24 },
      xAxis: { type: "value", name: "户" },
      yAxis: { type: "category", data: data.names.slice().reverse() },
      series: [{ name: "名单客户数", type: "bar", data: data.counts.slice().reverse(), itemStyle: { color: "#0d6efd" } }]
    });
    window.addEventListener("resize", function () {
      chart.resize();
    });
  }

  function drawAll(root) {
    var nodes = (root || document).querySelectorAll("[data-dimension-chart]");
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
  document.addEventListener("htmx:load", function (event) {
    drawAll(event.target);
  });
})();
