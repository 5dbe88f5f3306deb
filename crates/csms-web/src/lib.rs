//! OpenCSMS HTTP server: the bilingual web UI, the JSON API and their security.
//!
//! This crate stays thin: it parses and authorizes a request, calls the store and the domain,
//! and renders a page or JSON. Every route is declared once, with its permission, in
//! [`routes::table`]; one middleware ([`authz::guard`]) identifies the caller, enforces the
//! permission and checks CSRF before any handler runs.

mod api;
mod assets;
pub mod authz;
mod charts;
pub mod export;
pub mod i18n;
pub mod library;
mod metrics;
mod pages;
mod problem;
pub mod routes;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use csms_store::Store;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

pub use metrics::Metrics;
pub use problem::Problem;

/// Web settings.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Cookies are marked `Secure` (and named `__Host-…`), and HSTS is sent: set when users
    /// reach OpenCSMS over HTTPS (usually through a TLS-terminating proxy).
    pub secure_cookies: bool,
    /// A session ends after this long without a request.
    pub session_idle: time::Duration,
    /// A session ends this long after sign-in, whatever the activity.
    pub session_absolute: time::Duration,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
    /// Where attachments (document files) are kept and the size limit of one upload. The
    /// default keeps them in memory (tests and throwaway runs); `csms serve` sets the
    /// configured store (the data directory, or an S3-compatible bucket).
    pub attachments: csms_store::blob::BlobStore,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            session_idle: time::Duration::minutes(30),
            session_absolute: time::Duration::hours(12),
            trust_proxy: false,
            attachments: csms_store::blob::BlobStore::in_memory(
                csms_store::blob::DEFAULT_MAX_BYTES,
            ),
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: WebConfig,
    metrics: Metrics,
    /// The shipped catalogs and a cache of imported ones.
    library: library::Library,
    /// Password hashing is CPU-heavy: at most this many at once, so a flood of sign-in
    /// attempts cannot starve everything else.
    hashing: Semaphore,
    /// The last verified point of each organization's chain, and when the whole chain was
    /// last verified (see [`AppState::verify_chain`]).
    verified: std::sync::Mutex<
        std::collections::HashMap<
            csms_domain::Uuid,
            (csms_store::trail::ChainPoint, std::time::Instant),
        >,
    >,
}

/// How long the trail page trusts a full verification and only checks the records after it.
const FULL_VERIFY_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

impl AppState {
    pub fn new(store: Store, config: WebConfig) -> Self {
        let permits = std::thread::available_parallelism().map_or(2, |n| n.get());
        AppState {
            inner: Arc::new(Inner {
                store,
                config,
                metrics: Metrics::default(),
                library: library::Library::shipped(),
                hashing: Semaphore::new(permits),
                verified: Default::default(),
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &WebConfig {
        &self.inner.config
    }

    /// The attachment store.
    pub fn blobs(&self) -> &csms_store::blob::BlobStore {
        &self.inner.config.attachments
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    pub fn library(&self) -> &library::Library {
        &self.inner.library
    }

    pub(crate) fn hashing(&self) -> &Semaphore {
        &self.inner.hashing
    }

    /// Verifies an organization's chain for the trail page: the whole chain at most every ten
    /// minutes, in between only the records added since (a page view stays fast however long
    /// the chain grows; `csms trail verify` always walks everything). Returns the chain's length.
    pub async fn verify_chain(&self, chain_id: csms_domain::Uuid) -> Result<u64, String> {
        let cached = self
            .inner
            .verified
            .lock()
            .ok()
            .and_then(|m| m.get(&chain_id).cloned())
            .filter(|(_, full_at)| full_at.elapsed() < FULL_VERIFY_EVERY);
        let result = self
            .store()
            .verify_chain_since(chain_id, cached.as_ref().map(|(p, _)| p))
            .await;
        let mut map = match self.inner.verified.lock() {
            Ok(m) => m,
            Err(_) => return result.map(|p| p.seq as u64).map_err(|e| e.to_string()),
        };
        match result {
            Ok(point) => {
                let full_at = cached.map_or_else(std::time::Instant::now, |(_, at)| at);
                let seq = point.seq as u64;
                map.insert(chain_id, (point, full_at));
                Ok(seq)
            }
            Err(e) => {
                map.remove(&chain_id);
                Err(e.to_string())
            }
        }
    }
}

/// The application: every route of [`routes::table`] behind the guard, metrics and headers.
pub fn router(state: AppState) -> Router {
    routes::build(state)
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = tokio::spawn(sweep_sessions(state.clone()));
    let result = axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    sweeper.abort();
    result
}

/// Removes expired sessions every ten minutes.
async fn sweep_sessions(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        let now = csms_domain::time::now();
        match state
            .store()
            .delete_expired_sessions(now, state.config().session_idle)
            .await
        {
            Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
        }
    }
}
