// The upload can take a while for a large file: say so and prevent a second submit.
(function () {
  "use strict";
  var form = document.getElementById("import-upload-form");
  if (!form) return;
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    if (!button) return;
    button.disabled = true;
    button.textContent = button.getAttribute("data-busy-text") || "正在上传…";
  });
})();
