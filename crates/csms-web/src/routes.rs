//! The one table of routes: path, method, permission and handler. The router is built from it,
//! and the guard looks each request's permission up in it, so a route cannot exist without a
//! declared permission.

use axum::Router;
use axum::http::Method;
use axum::routing::MethodRouter;

use crate::authz::Perm;
use crate::{AppState, api, assets, metrics, pages};

/// One route.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub perm: Perm,
    pub(crate) handler: fn() -> MethodRouter<AppState>,
    /// A request body limit other than axum's default 2 MB (uploads).
    pub(crate) body_limit: Option<usize>,
}

/// `route!(GET, "/o/{org}/x", OrgRead, get(handler))`, optionally followed by
/// `, limit = BYTES` for a route that accepts a larger body. Area modules (pages and API)
/// declare their routes with it in a `routes()` function that [`table`] includes.
macro_rules! route {
    ($method:ident, $path:expr, $perm:ident, $router:ident($handler:path)) => {
        $crate::routes::Route {
            method: ::axum::http::Method::$method,
            path: $path,
            perm: $crate::authz::Perm::$perm,
            handler: || ::axum::routing::$router($handler),
            body_limit: None,
        }
    };
    ($method:ident, $path:expr, $perm:ident, $router:ident($handler:path), limit = $limit:expr) => {
        $crate::routes::Route {
            method: ::axum::http::Method::$method,
            path: $path,
            perm: $crate::authz::Perm::$perm,
            handler: || ::axum::routing::$router($handler),
            body_limit: Some($limit),
        }
    };
}
#[allow(unused_imports)] // used by the area modules once they declare routes
pub(crate) use route;

/// Every route of the application (built once; the guard consults it on every request).
pub fn table() -> &'static [Route] {
    static TABLE: std::sync::LazyLock<Vec<Route>> = std::sync::LazyLock::new(routes);
    &TABLE
}

fn routes() -> Vec<Route> {
    let mut all = core();
    // Areas declare their own routes (each module's `routes()`), so that work on one area does
    // not touch this file.
    all.extend(pages::inventory::routes());
    all.extend(pages::asset_import::routes());
    all.extend(pages::risk::routes());
    all.extend(pages::risk_docs::routes());
    all.extend(api::inventory::routes());
    all.extend(api::asset_import::routes());
    all.extend(api::risk::routes());
    all.extend(api::risk_docs::routes());
    all.extend(pages::controls::routes());
    all.extend(pages::soa::routes());
    all.extend(pages::documents::routes());
    all.extend(pages::reports::routes());
    all.extend(api::controls::routes());
    all.extend(api::soa::routes());
    all.extend(api::documents::routes());
    all.extend(api::reports::routes());
    all
}

fn core() -> Vec<Route> {
    vec![
        route!(GET, "/healthz", Public, get(pages::healthz)),
        route!(GET, "/metrics", Public, get(metrics::metrics)),
        route!(GET, "/assets/{*path}", Public, get(assets::asset)),
        route!(GET, "/", Public, get(pages::home)),
        route!(GET, "/signin", Public, get(pages::auth::signin_page)),
        route!(POST, "/signin", Public, post(pages::auth::signin)),
        route!(POST, "/signout", SignedIn, post(pages::auth::signout)),
        route!(POST, "/lang", Public, post(pages::auth::set_language)),
        route!(GET, "/account", SignedIn, get(pages::auth::account)),
        route!(
            POST,
            "/account/password",
            SignedIn,
            post(pages::auth::change_password)
        ),
        route!(
            POST,
            "/account/preferences",
            SignedIn,
            post(pages::auth::preferences)
        ),
        route!(GET, "/o/{org}/", OrgRead, get(pages::org::dashboard)),
        route!(GET, "/o/{org}/trail", OrgRead, get(pages::org::trail)),
        route!(
            GET,
            "/o/{org}/settings",
            OrgAdmin,
            get(pages::org::settings)
        ),
        route!(
            POST,
            "/o/{org}/settings",
            OrgAdmin,
            post(pages::org::save_settings)
        ),
        route!(GET, "/o/{org}/members", OrgAdmin, get(pages::org::members)),
        route!(
            POST,
            "/o/{org}/members",
            OrgAdmin,
            post(pages::org::add_member)
        ),
        route!(
            POST,
            "/o/{org}/members/{user}/role",
            OrgAdmin,
            post(pages::org::change_role)
        ),
        route!(
            POST,
            "/o/{org}/members/{user}/remove",
            OrgAdmin,
            post(pages::org::remove_member)
        ),
        route!(GET, "/o/{org}/tokens", OrgAdmin, get(pages::org::tokens)),
        route!(
            POST,
            "/o/{org}/tokens",
            OrgAdmin,
            post(pages::org::create_token)
        ),
        route!(
            POST,
            "/o/{org}/tokens/{id}/revoke",
            OrgAdmin,
            post(pages::org::revoke_token)
        ),
        route!(
            GET,
            "/o/{org}/requirements",
            OrgRead,
            get(pages::catalog::frameworks)
        ),
        route!(
            POST,
            "/o/{org}/requirements/import",
            OrgManage,
            post(pages::catalog::import),
            limit = pages::catalog::UPLOAD_LIMIT
        ),
        route!(
            GET,
            "/o/{org}/requirements/{framework}",
            OrgRead,
            get(pages::catalog::browse)
        ),
        route!(
            GET,
            "/o/{org}/requirements/{framework}/node",
            OrgRead,
            get(pages::catalog::node)
        ),
        route!(
            POST,
            "/o/{org}/requirements/{framework}/wording",
            OrgManage,
            post(pages::catalog::save_wording)
        ),
        route!(
            GET,
            "/o/{org}/assessments",
            OrgRead,
            get(pages::assessment::list)
        ),
        route!(
            POST,
            "/o/{org}/assessments",
            OrgManage,
            post(pages::assessment::create)
        ),
        route!(
            GET,
            "/o/{org}/assessments/{id}",
            OrgRead,
            get(pages::assessment::dashboard)
        ),
        route!(
            GET,
            "/o/{org}/assessments/{id}/work",
            OrgRead,
            get(pages::assessment::workspace)
        ),
        route!(
            GET,
            "/o/{org}/assessments/{id}/readiness",
            OrgRead,
            get(pages::assessment::readiness_page)
        ),
        route!(
            GET,
            "/o/{org}/assessments/{id}/compare",
            OrgRead,
            get(pages::assessment::compare)
        ),
        route!(
            GET,
            "/o/{org}/assessments/{id}/prefill",
            OrgRead,
            get(pages::assessment::prefill)
        ),
        route!(
            POST,
            "/o/{org}/assessments/{id}/prefill",
            OrgManage,
            post(pages::assessment::apply_prefill)
        ),
        route!(
            POST,
            "/o/{org}/assessments/{id}/results",
            OrgWrite,
            post(pages::assessment::save_result)
        ),
        route!(
            POST,
            "/o/{org}/assessments/{id}/evidence",
            OrgWrite,
            post(pages::assessment::add_evidence)
        ),
        route!(
            POST,
            "/o/{org}/assessments/{id}/evidence/{link}/remove",
            OrgWrite,
            post(pages::assessment::remove_evidence)
        ),
        route!(
            POST,
            "/o/{org}/assessments/{id}/approve",
            OrgManage,
            post(pages::assessment::approve)
        ),
        route!(
            POST,
            "/o/{org}/assessments/{id}/edit",
            OrgManage,
            post(pages::assessment::edit)
        ),
        route!(
            GET,
            "/o/{org}/assessments/{id}/export.xlsx",
            OrgRead,
            get(pages::assessment::export_xlsx)
        ),
        route!(
            GET,
            "/o/{org}/assessments/{id}/export.csv",
            OrgRead,
            get(pages::assessment::export_csv)
        ),
        route!(GET, "/api/openapi.json", Public, get(api::openapi_json)),
        route!(GET, "/api/docs", Public, get(api::docs)),
        route!(
            GET,
            "/api/v1/organization",
            OrgRead,
            get(api::get_organization)
        ),
        route!(
            PATCH,
            "/api/v1/organization",
            OrgAdmin,
            patch(api::patch_organization)
        ),
        route!(GET, "/api/v1/members", OrgRead, get(api::list_members)),
        route!(GET, "/api/v1/trail", OrgRead, get(api::list_trail)),
        route!(GET, "/api/v1/tokens", OrgAdmin, get(api::list_tokens)),
        route!(
            GET,
            "/api/v1/frameworks",
            OrgRead,
            get(api::catalog::list_frameworks)
        ),
        route!(
            GET,
            "/api/v1/frameworks/{framework}/nodes",
            OrgRead,
            get(api::catalog::list_nodes)
        ),
        route!(
            GET,
            "/api/v1/mappings",
            OrgRead,
            get(api::catalog::list_mappings)
        ),
        route!(
            GET,
            "/api/v1/mappings/{mapping}",
            OrgRead,
            get(api::catalog::get_mapping)
        ),
        route!(
            POST,
            "/api/v1/catalogs",
            OrgManage,
            post(api::catalog::import_catalog),
            limit = pages::catalog::UPLOAD_LIMIT
        ),
        route!(
            GET,
            "/api/v1/assessments",
            OrgRead,
            get(api::assessment::list_assessments)
        ),
        route!(
            POST,
            "/api/v1/assessments",
            OrgManage,
            post(api::assessment::create_assessment)
        ),
        route!(
            GET,
            "/api/v1/assessments/{id}",
            OrgRead,
            get(api::assessment::get_assessment)
        ),
        route!(
            PATCH,
            "/api/v1/assessments/{id}",
            OrgManage,
            patch(api::assessment::update_assessment)
        ),
        route!(
            GET,
            "/api/v1/assessments/{id}/results",
            OrgRead,
            get(api::assessment::list_results)
        ),
        route!(
            PATCH,
            "/api/v1/assessments/{id}/results",
            OrgWrite,
            patch(api::assessment::patch_results)
        ),
        route!(
            GET,
            "/api/v1/assessments/{id}/evidence",
            OrgRead,
            get(api::assessment::list_evidence)
        ),
        route!(
            POST,
            "/api/v1/assessments/{id}/evidence",
            OrgWrite,
            post(api::assessment::add_evidence)
        ),
        route!(
            DELETE,
            "/api/v1/assessments/{id}/evidence/{link}",
            OrgWrite,
            delete(api::assessment::remove_evidence)
        ),
        route!(
            GET,
            "/api/v1/assessments/{id}/readiness",
            OrgRead,
            get(api::assessment::readiness)
        ),
        route!(
            POST,
            "/api/v1/assessments/{id}/approve",
            OrgManage,
            post(api::assessment::approve)
        ),
    ]
}

/// The permission of a matched route. A declared path asked with a method it does not have is
/// public: its router answers 405 without running any handler. A path not in the table has no
/// permission (and is refused).
pub fn permission(method: &Method, path: &str) -> Option<Perm> {
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    let routes = table();
    match routes.iter().find(|r| r.path == path && r.method == method) {
        Some(r) => Some(r.perm),
        None if routes.iter().any(|r| r.path == path) => Some(Perm::Public),
        None => None,
    }
}

pub(crate) fn build(state: AppState) -> Router {
    let mut grouped: Vec<(&'static str, MethodRouter<AppState>)> = Vec::new();
    for r in table() {
        let mut handler = (r.handler)();
        if let Some(limit) = r.body_limit {
            handler = handler.layer(axum::extract::DefaultBodyLimit::max(limit));
        }
        match grouped.iter_mut().find(|(p, _)| *p == r.path) {
            Some((_, existing)) => {
                let merged = std::mem::take(existing).merge(handler);
                *existing = merged;
            }
            None => grouped.push((r.path, handler)),
        }
    }
    let mut router = Router::new();
    for (path, handler) in grouped {
        router = router.route(path, handler);
    }
    router
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::authz::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::authz::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::observe,
        ))
        .with_state(state)
}
