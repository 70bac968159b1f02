/* ECharts on server-rendered pages without inline script (CSP script-src 'self'): a page
   element carries its figures as JSON in a data- attribute, and a page script registers how
   to turn them into chart options:

     window.liuyouCharts.register("data-txn-chart", function (data) { return {...options}; });

   Each element is drawn once, redrawn on resize, and elements htmx swaps in get theirs too. */
(function () {
  "use strict";

  function draw(el, attr, build) {
    if (el.getAttribute("data-drawn") || typeof window.echarts === "undefined") {
      return;
    }
    var data;
    try {
      data = JSON.parse(el.getAttribute(attr));
    } catch (e) {
      return;
    }
    el.setAttribute("data-drawn", "1");
    var chart = window.echarts.init(el);
    chart.setOption(build(data));
    window.addEventListener("resize", function () {
      chart.resize();
    });
  }

  function register(attr, build) {
    function drawAll(root) {
      var nodes = (root || document).querySelectorAll("[" + attr + "]");
      for (var i = 0; i < nodes.length; i++) {
        draw(nodes[i], attr, build);
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
  }

  window.liuyouCharts = { register: register };
})();
