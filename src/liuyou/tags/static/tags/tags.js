/* The tag editor: the rule rows show only for a rule tag. No inline script (CSP). */
(function () {
  "use strict";
  function sync() {
    var editor = document.getElementById("rule-editor");
    var checked = document.querySelector('#tag-form input[name="kind"]:checked');
    if (editor && checked) {
      editor.classList.toggle("ly-rule-hidden", checked.value !== "rule");
    }
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "kind") {
      sync();
    }
  });
  document.addEventListener("DOMContentLoaded", sync);
})();
