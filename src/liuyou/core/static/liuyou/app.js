/* Liuyou page behaviour. Loaded on every page; no inline scripts exist (CSP script-src 'self'). */
(function () {
  "use strict";

  function cookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) {
        return decodeURIComponent(parts[i].slice(eq + 1));
      }
    }
    return "";
  }

  function csrfToken() {
    var token = cookie("liuyou_csrftoken");
    if (token) {
      return token;
    }
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Show a message in the page's message area (the same place Django messages appear).
  function showAlert(text, level) {
    var box = document.getElementById("ly-messages");
    if (!box) {
      window.alert(text);
      return;
    }
    var div = document.createElement("div");
    div.className = "alert alert-" + (level || "danger") + " alert-dismissible fade show";
    div.setAttribute("role", "alert");
    div.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "关闭");
    div.appendChild(close);
    box.appendChild(div);
    div.scrollIntoView({ block: "nearest" });
  }

  // Every HTMX request carries the CSRF token; Django rejects state changes without it.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });

  // Error answers to HTMX requests are JSON {"detail": ..., "request_id": ...}; htmx does not
  // swap them, so show the Chinese message instead of failing silently.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = "操作失败（" + xhr.status + "），请稍后重试。";
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && body.detail) {
        text = typeof body.detail === "string" ? body.detail : text;
        if (body.request_id) {
          text += "（请求号：" + body.request_id + "）";
        }
      }
    } catch (ignored) {
      /* not JSON: keep the generic message */
    }
    showAlert(text, "danger");
  });

  document.addEventListener("htmx:sendError", function () {
    showAlert("网络连接失败，请检查网络后重试。", "warning");
  });

  // <form data-confirm="确定停用该用户？">: ask before submitting (no inline onsubmit allowed).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute ? form.getAttribute("data-confirm") : null;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // <select data-autosubmit> / <input data-autosubmit>: submit the filter form on change.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      if (el.form.requestSubmit) {
        el.form.requestSubmit();
      } else {
        el.form.submit();
      }
    }
  });

  window.liuyou = { showAlert: showAlert, csrfToken: csrfToken };
})();
