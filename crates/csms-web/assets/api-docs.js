// Starts Swagger UI on the server's own OpenAPI document. No external requests: the
// validator badge is off and every asset is served by OpenCSMS.
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    tryItOutEnabled: false,
  });
});
