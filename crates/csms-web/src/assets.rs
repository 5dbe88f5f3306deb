//! Static assets, embedded in the binary: no request ever leaves for a CDN.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/app.css"),
    ),
    (
        "inventory.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/inventory.css"),
    ),
    (
        "import.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/import.css"),
    ),
    (
        "risk.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/risk.css"),
    ),
    (
        "controls.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/controls.css"),
    ),
    (
        "soa.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/soa.css"),
    ),
    (
        "documents.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/documents.css"),
    ),
    (
        "api-docs.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/api-docs.js"),
    ),
    (
        "workspace.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/workspace.js"),
    ),
    (
        "vendor/htmx-2.0.11.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/vendor/htmx-2.0.11.min.js"),
    ),
    (
        "vendor/swagger-ui-5.35.0-bundle.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/vendor/swagger-ui-5.35.0-bundle.js"),
    ),
    (
        "vendor/swagger-ui-5.35.0.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/vendor/swagger-ui-5.35.0.css"),
    ),
];

pub(crate) async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == path) {
        Some((_, mime, bytes)) => {
            let mut res = (*bytes).into_response();
            let h = res.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
            // Vendored files carry their version in the name; our own change with releases.
            let cache = if path.starts_with("vendor/") {
                "public, max-age=31536000, immutable"
            } else {
                "public, max-age=3600"
            };
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            res
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
