//! OpenCSMS HTTP server.
//!
//! This crate stays thin: it parses and authorizes a request, calls the store and domain, and
//! renders JSON (and, from the web-application issue on, pages). Handlers never hold SQL.

mod api;
mod problem;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use csms_store::Store;
use serde_json::json;
use tokio::net::TcpListener;

pub use problem::Problem;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
}

impl AppState {
    pub fn new(store: Store) -> Self {
        AppState {
            inner: Arc::new(Inner { store }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }
}

/// The application's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .nest("/api/v1", api::routes())
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// Liveness and readiness: whether the database answers, and its schema version.
async fn healthz(State(state): State<AppState>) -> Response {
    let store = state.store();
    let status = match store.ping().await {
        Ok(()) => store.schema_status().await,
        Err(e) => Err(e),
    };
    match status {
        Ok(s) => (
            StatusCode::OK,
            axum::Json(json!({
                "status": "ok",
                "database": "reachable",
                "backend": store.backend().as_str(),
                "schema_version": s.database,
                "version": env!("CARGO_PKG_VERSION"),
            })),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({
                    "status": "unavailable",
                    "database": "unreachable",
                    "backend": store.backend().as_str(),
                })),
            )
                .into_response()
        }
    }
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
