//! Server-rendered pages (askama templates, messages from `locales/`).

pub mod assessment;
pub mod asset_import;
pub mod auth;
pub mod catalog;
pub mod controls;
pub mod documents;
pub mod inventory;
pub mod org;
pub mod reports;
pub mod risk;
pub mod risk_docs;
pub mod soa;

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use csms_domain::auth::Role;
use serde_json::json;

use crate::AppState;
use crate::authz::Caller;
use crate::i18n::Tr;

/// An organization as the header and navigation show it.
#[derive(Debug, Clone)]
pub struct OrgView {
    pub slug: String,
    pub name: String,
    pub role: Role,
}

impl OrgView {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// The signed-in user as the header shows them.
#[derive(Debug, Clone)]
pub struct UserView {
    pub username: String,
    pub display_name: String,
}

/// A message at the top of a page.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: &'static str,
    pub text: String,
}

/// An item of the CSMS navigation. Areas not built yet are listed but lead nowhere.
pub struct NavItem {
    pub id: &'static str,
    pub path: &'static str,
    pub label: &'static str,
    pub built: bool,
}

const NAV: &[NavItem] = &[
    NavItem {
        id: "dashboard",
        path: "",
        label: "nav-dashboard",
        built: true,
    },
    NavItem {
        id: "scope",
        path: "scope",
        label: "nav-scope",
        built: false,
    },
    NavItem {
        id: "assets",
        path: "assets",
        label: "nav-assets",
        built: true,
    },
    NavItem {
        id: "risks",
        path: "risks",
        label: "nav-risks",
        built: true,
    },
    NavItem {
        id: "requirements",
        path: "requirements",
        label: "nav-requirements",
        built: true,
    },
    NavItem {
        id: "assessments",
        path: "assessments",
        label: "nav-assessments",
        built: true,
    },
    NavItem {
        id: "controls",
        path: "controls",
        label: "nav-controls",
        built: true,
    },
    NavItem {
        id: "soa",
        path: "soa",
        label: "nav-soa",
        built: true,
    },
    NavItem {
        id: "documents",
        path: "documents",
        label: "nav-documents",
        built: true,
    },
    NavItem {
        id: "audits",
        path: "audits",
        label: "nav-audits",
        built: false,
    },
    NavItem {
        id: "reports",
        path: "reports",
        label: "nav-reports",
        built: true,
    },
    NavItem {
        id: "trail",
        path: "trail",
        label: "nav-trail",
        built: true,
    },
];

/// What every page's layout needs.
pub struct Ctx {
    pub tr: Tr,
    pub user: Option<UserView>,
    pub org: Option<OrgView>,
    pub orgs: Vec<OrgView>,
    pub csrf: String,
    pub nav: &'static str,
    pub path: String,
    pub notices: Vec<Notice>,
}

impl Ctx {
    pub fn t(&self, key: &str) -> String {
        self.tr.t(key)
    }

    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.tr.t1(key, name, value)
    }

    pub fn nav_items(&self) -> &'static [NavItem] {
        NAV
    }

    /// Builds the layout context for a caller.
    pub async fn new(state: &AppState, caller: &Caller, nav: &'static str, path: &str) -> Ctx {
        let mut orgs = Vec::new();
        if let Some(u) = &caller.user {
            let all = state.store().organizations().await.unwrap_or_default();
            let memberships = match &caller.memberships {
                Some(m) => m.clone(),
                None => state.store().memberships_of(u.id).await.unwrap_or_default(),
            };
            for m in memberships {
                if let Some(o) = all.iter().find(|o| o.id == m.org_id) {
                    orgs.push(OrgView {
                        slug: o.slug.clone(),
                        name: o.name.clone(),
                        role: m.role,
                    });
                }
            }
            orgs.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Ctx {
            tr: caller.tr.clone(),
            user: caller.user.as_ref().map(|u| UserView {
                username: u.username.clone(),
                display_name: u.display_name.clone(),
            }),
            org: caller.org.as_ref().map(|(o, r)| OrgView {
                slug: o.slug.clone(),
                name: o.name.clone(),
                role: *r,
            }),
            orgs,
            csrf: caller.csrf().to_owned(),
            nav,
            path: path.to_owned(),
            notices: Vec::new(),
        }
    }

    /// Adds the notice named by a `?notice=` key, if it is one we know.
    pub fn with_notice(mut self, notice: Option<&str>) -> Ctx {
        const KNOWN: &[(&str, &str)] = &[
            ("saved", "ok"),
            ("password-changed", "ok"),
            ("member-added", "ok"),
            ("member-removed", "ok"),
            ("role-changed", "ok"),
            ("token-revoked", "ok"),
            ("assessment-approved", "ok"),
            ("prefill-applied", "ok"),
            ("catalog-imported", "ok"),
            ("wording-saved", "ok"),
            ("signed-out", "info"),
            ("session-expired", "warn"),
        ];
        if let Some((key, kind)) = notice.and_then(|n| KNOWN.iter().find(|(k, _)| *k == n)) {
            self.notices.push(Notice {
                kind,
                text: self.tr.t(&format!("notice-{key}")),
            });
        }
        self
    }

    pub fn error(&mut self, text: String) {
        self.notices.push(Notice {
            kind: "danger",
            text,
        });
    }
}

/// A file to download (`Content-Disposition: attachment`, never cached). `name` is ASCII built
/// by the server (a slug, a date, an id), so it needs no header escaping.
pub(crate) fn download(bytes: Vec<u8>, mime: &'static str, name: &str) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Renders a template as an HTML response.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: Ctx,
    title: String,
    detail: String,
}

/// An error page in the caller's language (no database access: safe in the guard).
pub fn error_page(caller: &Caller, status: StatusCode, key: &str) -> Response {
    let ctx = Ctx {
        tr: caller.tr.clone(),
        user: caller.user.as_ref().map(|u| UserView {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
        }),
        org: None,
        orgs: Vec::new(),
        csrf: caller.csrf().to_owned(),
        nav: "",
        path: "/".into(),
        notices: Vec::new(),
    };
    let page = ErrorPage {
        title: ctx.t(&format!("{key}-title")),
        detail: ctx.t(key),
        ctx,
    };
    (status, render(&page)).into_response()
}

pub async fn not_found(Extension(caller): Extension<Caller>) -> Response {
    error_page(&caller, StatusCode::NOT_FOUND, "error-not-found")
}

/// `/`: the first organization of a signed-in user, else the sign-in page.
pub async fn home(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Response {
    let Some(user) = &caller.user else {
        return Redirect::to("/signin").into_response();
    };
    if user.must_change_password {
        return Redirect::to("/account").into_response();
    }
    let ctx = Ctx::new(&state, &caller, "home", "/").await;
    match ctx.orgs.first() {
        Some(o) => Redirect::to(&format!("/o/{}/", o.slug)).into_response(),
        None => Redirect::to("/account").into_response(),
    }
}

/// Liveness and readiness: whether the database answers, and its schema version.
pub async fn healthz(State(state): State<AppState>) -> Response {
    let store = state.store();
    let status = match store.ping().await {
        Ok(()) => store.schema_status().await,
        Err(e) => Err(e),
    };
    let mut res = match status {
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
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
