/*
 * ihanoi API explorer: starts Swagger UI (loaded before this script from the
 * server's own files) on the OpenAPI document the page names. No request
 * leaves this origin: the online validator is off, and a pasted token is kept
 * in this page's memory only (persistAuthorization off), never in storage.
 */
(function () {
  "use strict";

  const root = document.getElementById("explorer");
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.openapi,
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
    displayRequestDuration: true,
    showExtensions: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
