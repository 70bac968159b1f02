/* Starts Swagger UI on the API docs page. Settings come from the body's data- attributes, so
   the page needs no inline script (CSP script-src 'self'). Session calls made with "Try it out"
   carry the CSRF token; calls with an API key do not need it. */
(function () {
  "use strict";
  var body = document.body;
  var config = JSON.parse(body.dataset.swaggerSettings || "{}");
  var csrfToken = body.dataset.csrfToken || "";
  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
  if (csrfToken) {
    config.requestInterceptor = function (req) {
      req.headers["X-CSRFToken"] = csrfToken;
      return req;
    };
  }
  window.liuyouSwaggerUI = SwaggerUIBundle(config);
})();
