//! The harness shared by the HTTP test files: an app on a fresh SQLite database with two
//! organizations, callers with sessions and tokens, and request helpers.
#![allow(dead_code)] // each test file uses a different part

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use csms_domain::auth::Role;
use csms_domain::trail::Actor;
use csms_store::Store;
use csms_store::auth::NewUser;
use csms_store::org::NewOrganization;
use csms_store::testing::TestDb;
use csms_web::{AppState, WebConfig};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub const PASSWORD: &str = "a long enough test passphrase";

/// A caller of the matrix: a session (pages) and a token (API) for one role.
pub struct Who {
    pub name: String,
    pub role: Option<Role>,
    pub cookie: Option<String>,
    pub csrf: String,
    pub token: Option<String>,
}

pub struct App {
    pub db: TestDb,
    pub router: Router,
    pub alpha: csms_domain::org::Organization,
    pub beta: csms_domain::org::Organization,
}

pub fn cli() -> Actor {
    Actor::system("cli:test")
}

pub async fn user(store: &Store, name: &str) -> csms_domain::auth::User {
    store
        .create_user(
            &cli(),
            NewUser {
                username: name.into(),
                display_name: format!("{name} さん"),
                email: None,
                password: PASSWORD.into(),
                must_change_password: false,
            },
        )
        .await
        .unwrap()
}

pub async fn org(store: &Store, slug: &str, name: &str) -> csms_domain::org::Organization {
    store
        .create_organization(
            &cli(),
            NewOrganization {
                slug: slug.into(),
                name: name.into(),
                description: format!("{name} secret description"),
                timezone: "Asia/Tokyo".into(),
            },
        )
        .await
        .unwrap()
}

pub async fn app() -> App {
    let db = TestDb::sqlite().await;
    let alpha = org(&db.store, "alpha", "Alpha Refinery").await;
    let beta = org(&db.store, "beta", "Beta Steelworks").await;
    let router = csms_web::router(AppState::new(db.store.clone(), WebConfig::default()));
    App {
        db,
        router,
        alpha,
        beta,
    }
}

impl App {
    pub async fn who(
        &self,
        name: &str,
        org: &csms_domain::org::Organization,
        role: Option<Role>,
    ) -> Who {
        let store = &self.db.store;
        let u = match store.user_by_username(name).await {
            Ok(u) => u,
            Err(_) => user(store, name).await,
        };
        let mut token = None;
        if let Some(r) = role {
            store.set_membership(&cli(), org.id, u.id, r).await.unwrap();
            let later = csms_domain::time::now() + time::Duration::days(1);
            token = Some(
                store
                    .create_api_token(&cli(), org.id, u.id, "matrix", r, later)
                    .await
                    .unwrap()
                    .secret,
            );
        }
        let (session, secret) = store
            .create_session(u.id, time::Duration::hours(1), None, None)
            .await
            .unwrap();
        Who {
            name: name.into(),
            role,
            cookie: Some(format!("csms_session={secret}")),
            csrf: session.csrf_token,
            token,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    pub async fn get(
        &self,
        path: &str,
        who: Option<&Who>,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut req = Request::get(path);
        if let Some(w) = who {
            if path.starts_with("/api/") {
                if let Some(t) = &w.token {
                    req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
                }
            } else if let Some(c) = &w.cookie {
                req = req.header(header::COOKIE, c);
            }
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    pub async fn post_form(
        &self,
        path: &str,
        who: Option<&Who>,
        form: &str,
        with_csrf: bool,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut body = form.to_owned();
        let mut req =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(w) = who {
            if let Some(c) = &w.cookie {
                req = req.header(header::COOKIE, c);
            }
            if with_csrf {
                if !body.is_empty() {
                    body.push('&');
                }
                body.push_str(&format!("_csrf={}", w.csrf));
            }
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }
}

/// A redirect to sign in because the caller is not (or no longer) signed in.
pub fn to_signin(status: StatusCode, headers: &axum::http::HeaderMap) -> bool {
    status == StatusCode::SEE_OTHER
        && headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.starts_with("/signin") && !l.contains("notice=signed-out"))
}

impl App {
    /// A fresh session for an existing caller (sign-out in one request must not affect others).
    pub async fn refresh(&self, who: &mut Who) {
        if who.cookie.is_none() {
            return;
        }
        let u = self.db.store.user_by_username(&who.name).await.unwrap();
        let (session, secret) = self
            .db
            .store
            .create_session(u.id, time::Duration::hours(1), None, None)
            .await
            .unwrap();
        who.cookie = Some(format!("csms_session={secret}"));
        who.csrf = session.csrf_token;
    }
}

impl App {
    pub async fn htmx_post(&self, path: &str, who: &Who, form: &str) -> (StatusCode, String) {
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, who.cookie.clone().unwrap())
            .header("hx-request", "true")
            .header("x-csrf-token", &who.csrf)
            .body(Body::from(form.to_owned()))
            .unwrap();
        let (s, _, body) = self.send(req).await;
        (s, body)
    }
}

impl App {
    /// An API request with the caller's token and a JSON body.
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        who: &Who,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.api_raw(method, path, who, "application/json", body)
            .await
    }

    /// An API request with the caller's token and any body.
    pub async fn api_raw(
        &self,
        method: Method,
        path: &str,
        who: &Who,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
        let mut req = Request::builder().method(method).uri(path);
        if !body.is_empty() {
            req = req.header(header::CONTENT_TYPE, content_type);
        }
        if let Some(t) = &who.token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let (s, h, text) = self.send(req.body(Body::from(body)).unwrap()).await;
        let json = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}"))
        };
        if s.is_client_error() || s.is_server_error() {
            assert_eq!(
                h.get(header::CONTENT_TYPE).unwrap(),
                "application/problem+json",
                "{path}: {text}"
            );
        }
        (s, h, json)
    }
}

pub fn problem_type(body: &serde_json::Value) -> &str {
    body["type"].as_str().unwrap_or("")
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
