//! The web application over HTTP (in process): the route × role matrix, isolation between
//! organizations, CSRF, sessions, sign-in throttling, languages, headers, API and metrics.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use csms_domain::auth::Role;
use csms_domain::trail::Actor;
use csms_store::Store;
use csms_store::auth::NewUser;
use csms_store::org::NewOrganization;
use csms_store::testing::TestDb;
use csms_web::authz::Perm;
use csms_web::{AppState, WebConfig};
use http_body_util::BodyExt;
use tower::ServiceExt;

const PASSWORD: &str = "a long enough test passphrase";

/// A caller of the matrix: a session (pages) and a token (API) for one role.
struct Who {
    name: String,
    role: Option<Role>,
    cookie: Option<String>,
    csrf: String,
    token: Option<String>,
}

struct App {
    db: TestDb,
    router: Router,
    alpha: csms_domain::org::Organization,
    beta: csms_domain::org::Organization,
}

fn cli() -> Actor {
    Actor::system("cli:test")
}

async fn user(store: &Store, name: &str) -> csms_domain::auth::User {
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

async fn org(store: &Store, slug: &str, name: &str) -> csms_domain::org::Organization {
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

async fn app() -> App {
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
    async fn who(
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

    async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    async fn get(
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

    async fn post_form(
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
fn to_signin(status: StatusCode, headers: &axum::http::HeaderMap) -> bool {
    status == StatusCode::SEE_OTHER
        && headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.starts_with("/signin") && !l.contains("notice=signed-out"))
}

impl App {
    /// A fresh session for an existing caller (sign-out in one request must not affect others).
    async fn refresh(&self, who: &mut Who) {
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

/// Every route × every role: allowed or denied exactly as its declared permission says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_role_matrix() {
    let app = app().await;
    let target = user(&app.db.store, "target").await;
    app.db
        .store
        .set_membership(&cli(), app.alpha.id, target.id, Role::Viewer)
        .await
        .unwrap();
    let anonymous = Who {
        name: "anonymous".into(),
        role: None,
        cookie: None,
        csrf: String::new(),
        token: None,
    };
    let mut callers = vec![anonymous];
    // Admin last: its allowed requests change data (roles, members) the others rely on.
    for role in [
        Role::Viewer,
        Role::Auditor,
        Role::Contributor,
        Role::CsmsManager,
        Role::Admin,
    ] {
        callers.push(
            app.who(
                &format!("as-{}", role.as_str().replace('_', "-")),
                &app.alpha,
                Some(role),
            )
            .await,
        );
    }
    let table = csms_web::routes::table();
    assert!(table.len() >= 25);
    let mut checked = 0;
    for route in table {
        assert_eq!(
            csms_web::routes::permission(&route.method, route.path),
            Some(route.perm),
            "{} {} has its permission in the table",
            route.method,
            route.path
        );
        let path = route
            .path
            .replace("{org}", "alpha")
            .replace("{user}", "target")
            .replace("{id}", &csms_domain::new_id().to_string())
            .replace("{*path}", "app.css");
        for who in callers.iter_mut() {
            app.refresh(who).await;
            let who = &*who;
            let (status, headers) = if route.method == Method::GET {
                let (s, h, _) = app.get(&path, Some(who)).await;
                (s, h)
            } else if route.method == Method::POST {
                let (s, h, _) = app.post_form(&path, Some(who), "", true).await;
                (s, h)
            } else {
                let mut req = Request::builder()
                    .method(route.method.clone())
                    .uri(&path)
                    .header(header::CONTENT_TYPE, "application/json");
                if let Some(t) = &who.token {
                    req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
                }
                let (s, h, _) = app.send(req.body(Body::from("{}")).unwrap()).await;
                (s, h)
            };
            // Public routes may send anyone to sign in (that is where `/` leads strangers).
            let denied = status == StatusCode::UNAUTHORIZED
                || status == StatusCode::FORBIDDEN
                || (route.perm != Perm::Public
                    && (to_signin(status, &headers)
                        || (status == StatusCode::NOT_FOUND
                            && route.path.starts_with("/o/{org}")
                            && who.role.is_none())));
            let allowed = match (route.perm, who.role) {
                (Perm::Public, _) => true,
                (Perm::SignedIn, _) => who.cookie.is_some(),
                (p, Some(r)) => p.roles().contains(&r),
                (_, None) => false,
            };
            assert_eq!(
                !denied, allowed,
                "{} {} as {}: status {status}",
                route.method, route.path, who.name
            );
            checked += 1;
        }
    }
    assert_eq!(checked, table.len() * callers.len());
    // A method a path does not have is 405 for everyone, before any handler runs.
    let req = Request::builder()
        .method("TRACE")
        .uri("/api/v1/members")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(req).await.0, StatusCode::METHOD_NOT_ALLOWED);
    let req = Request::builder()
        .method("DELETE")
        .uri("/o/alpha/settings")
        .header(header::COOKIE, callers[5].cookie.clone().unwrap())
        .header("x-csrf-token", &callers[5].csrf)
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(req).await.0, StatusCode::METHOD_NOT_ALLOWED);
    // A path outside the table is not found, for everyone.
    let (s, _, _) = app.get("/o/alpha/undeclared", Some(&callers[5])).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.db.cleanup().await;
}

/// Every read route of one organization, tried by a member of another: nothing is visible.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizations_are_isolated() {
    let app = app().await;
    let insider = app.who("insider", &app.alpha, Some(Role::Admin)).await;
    let outsider = app.who("outsider", &app.beta, Some(Role::Admin)).await;
    // Some alpha content to find.
    app.db
        .store
        .update_organization(
            &cli(),
            app.alpha.id,
            1,
            csms_domain::org::OrganizationPatch {
                description: Some("alpha-only-marker".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for route in csms_web::routes::table()
        .iter()
        .filter(|r| r.method == Method::GET)
    {
        if route.path.starts_with("/o/{org}") {
            let path = route.path.replace("{org}", "alpha");
            let (s, _, body) = app.get(&path, Some(&outsider)).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{path} from another organization");
            assert!(
                !body.contains("alpha-only-marker") && !body.contains("Alpha Refinery"),
                "{path}"
            );
            let (s, _, body) = app.get(&path, Some(&insider)).await;
            assert_eq!(s, StatusCode::OK, "{path} for a member");
            let _ = body;
        } else if route.path.starts_with("/api/v1/") {
            let (s, _, body) = app.get(route.path, Some(&outsider)).await;
            assert_eq!(s, StatusCode::OK, "{}", route.path);
            for secret in [
                "alpha-only-marker",
                "Alpha Refinery",
                "insider",
                &app.alpha.id.to_string(),
            ] {
                assert!(
                    !body.contains(secret),
                    "{} leaks {secret}: {body}",
                    route.path
                );
            }
        }
    }
    // The dashboard of one's own organization shows its own data.
    let (_, _, body) = app.get("/o/beta/", Some(&outsider)).await;
    assert!(body.contains("Beta Steelworks"));
    app.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_cross_site_forms_are_refused() {
    let app = app().await;
    let admin = app.who("admin", &app.alpha, Some(Role::Admin)).await;
    let form = "version=1&name=Forged&timezone=Asia%2FTokyo&description=x";
    let (s, _, _) = app
        .post_form("/o/alpha/settings", Some(&admin), form, false)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "no token");
    let wrong = Who {
        csrf: "not-the-token".into(),
        ..app.who("admin", &app.alpha, Some(Role::Admin)).await
    };
    let (s, _, _) = app
        .post_form("/o/alpha/settings", Some(&wrong), form, true)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "wrong token");
    let req = Request::post("/o/alpha/settings")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, admin.cookie.clone().unwrap())
        .header(header::ORIGIN, "https://evil.example")
        .header(header::HOST, "plant.local")
        .body(Body::from(format!("{form}&_csrf={}", admin.csrf)))
        .unwrap();
    let (s, _, _) = app.send(req).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "cross-origin");
    assert_eq!(
        app.db.store.organization(app.alpha.id).await.unwrap().name,
        "Alpha Refinery"
    );
    // With the token, from the same site: saved.
    let (s, h, _) = app
        .post_form("/o/alpha/settings", Some(&admin), form, true)
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{h:?}");
    assert_eq!(
        app.db.store.organization(app.alpha.id).await.unwrap().name,
        "Forged"
    );
    // htmx requests carry the token in a header.
    let req = Request::post("/o/alpha/settings")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, admin.cookie.clone().unwrap())
        .header("x-csrf-token", &admin.csrf)
        .body(Body::from(
            "version=2&name=Via%20htmx&timezone=Asia%2FTokyo&description=x",
        ))
        .unwrap();
    let (s, _, _) = app.send(req).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    app.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_form_shows_a_conflict_and_keeps_the_other_change() {
    let app = app().await;
    let admin = app.who("admin", &app.alpha, Some(Role::Admin)).await;
    let (s, _, _) = app
        .post_form(
            "/o/alpha/settings",
            Some(&admin),
            "version=1&name=First&timezone=Asia%2FTokyo&description=a",
            true,
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _, body) = app
        .post_form(
            "/o/alpha/settings",
            Some(&admin),
            "version=1&name=Second&timezone=Asia%2FTokyo&description=b",
            true,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        body.contains("version 2") && body.contains("value=\"First\""),
        "{body}"
    );
    assert_eq!(
        app.db.store.organization(app.alpha.id).await.unwrap().name,
        "First"
    );
    app.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_wrong_password_lockout_and_sign_out() {
    let app = app().await;
    let u = user(&app.db.store, "yamada").await;
    app.db
        .store
        .set_membership(&cli(), app.alpha.id, u.id, Role::Viewer)
        .await
        .unwrap();
    let (s, _, body) = app
        .post_form(
            "/signin",
            None,
            "username=yamada&password=wrong-password-here",
            false,
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(body.contains("signin-error"));
    let good = format!("username=yamada&password={}", PASSWORD.replace(' ', "+"));
    let (s, h, _) = app.post_form("/signin", None, &good, false).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let cookie = h
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("csms_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session_cookie = cookie.split(';').next().unwrap().to_owned();
    let req = Request::get("/o/alpha/")
        .header(header::COOKIE, &session_cookie)
        .body(Body::empty())
        .unwrap();
    let (s, _, _) = app.send(req).await;
    assert_eq!(s, StatusCode::OK);
    // Five failures lock the account, even for the right password.
    for _ in 0..5 {
        app.post_form(
            "/signin",
            None,
            "username=yamada&password=wrong-password-here",
            false,
        )
        .await;
    }
    let (s, _, _) = app.post_form("/signin", None, &good, false).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // Sign-out ends the session on the server.
    let (_, _, page) = app
        .send(
            Request::get("/account")
                .header(header::COOKIE, &session_cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let csrf = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let req = Request::post("/signout")
        .header(header::COOKIE, &session_cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("_csrf={csrf}")))
        .unwrap();
    let (s, h, _) = app.send(req).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        h.get(header::LOCATION).unwrap(),
        "/signin?notice=signed-out"
    );
    let (s, h, _) = app
        .send(
            Request::get("/o/alpha/")
                .header(header::COOKIE, &session_cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(to_signin(s, &h), "the old cookie no longer works");
    let trail = app
        .db
        .store
        .trail(csms_domain::trail::SYSTEM_CHAIN, &Default::default())
        .await
        .unwrap();
    for action in ["sign_in", "sign_out", "lockout"] {
        assert!(
            trail.iter().any(|r| r.action == action),
            "{action} is in the trail"
        );
    }
    app.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_and_rotate_on_privilege_change() {
    let app = app().await;
    let who = app.who("suzuki", &app.alpha, Some(Role::Viewer)).await;
    // Idle past the limit: the next request is sent to sign in again.
    app.db
        .raw("UPDATE sessions SET last_seen_at = '2020-01-01T00:00:00.000000Z'")
        .await;
    let (s, h, _) = app.get("/o/alpha/", Some(&who)).await;
    assert!(to_signin(s, &h));
    assert!(
        h.get(header::LOCATION)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("session-expired")
    );
    // A role change gives the session a new id at its next request.
    let who = app.who("suzuki", &app.alpha, Some(Role::Viewer)).await;
    let u = app.db.store.user_by_username("suzuki").await.unwrap();
    app.db
        .store
        .set_membership(&cli(), app.alpha.id, u.id, Role::Contributor)
        .await
        .unwrap();
    let (s, h, _) = app.get("/o/alpha/", Some(&who)).await;
    assert_eq!(s, StatusCode::OK);
    let rotated = h
        .get(header::SET_COOKIE)
        .expect("a new session cookie")
        .to_str()
        .unwrap();
    assert!(
        rotated.starts_with("csms_session=") && !rotated.contains(who.cookie.as_deref().unwrap())
    );
    let (s, h, _) = app.get("/o/alpha/", Some(&who)).await;
    assert!(to_signin(s, &h), "the old id is gone");
    app.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_from_setting_cookie_or_browser() {
    let app = app().await;
    let req = |lang: &str, cookie: Option<&str>| {
        let mut r = Request::get("/signin").header(header::ACCEPT_LANGUAGE, lang);
        if let Some(c) = cookie {
            r = r.header(header::COOKIE, c);
        }
        r.body(Body::empty()).unwrap()
    };
    let (_, _, body) = app.send(req("ja-JP,ja;q=0.9", None)).await;
    assert!(body.contains("<html lang=\"ja\">") && body.contains("サインイン"));
    let (_, _, body) = app.send(req("en-US", None)).await;
    assert!(body.contains("<html lang=\"en\">") && body.contains("Sign in"));
    let (_, _, body) = app.send(req("en-US", Some("csms_lang=ja"))).await;
    assert!(body.contains("<html lang=\"ja\">"));
    // A signed-in user's setting wins; the header switch saves it.
    let who = app.who("tanaka", &app.alpha, Some(Role::Auditor)).await;
    let (s, h, _) = app
        .post_form("/lang", Some(&who), "lang=ja&next=/account", true)
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(
        h.get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("csms_lang=ja")
    );
    let (_, _, body) = app.get("/account", Some(&who)).await;
    assert!(
        body.contains("<html lang=\"ja\">") && body.contains("アカウント"),
        "{body}"
    );
    app.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_request_ids_metrics_and_openapi() {
    let app = app().await;
    let (s, h, _) = app.get("/healthz", None).await;
    assert_eq!(s, StatusCode::OK);
    let csp = h
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
            && csp.contains("frame-ancestors 'none'")
    );
    assert_eq!(h.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
    assert!(h.get("x-request-id").is_some());
    assert!(
        h.get(header::STRICT_TRANSPORT_SECURITY).is_none(),
        "no HSTS without TLS"
    );
    let (_, _, metrics) = app.get("/metrics", None).await;
    assert!(
        metrics.contains(
            "csms_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    assert!(metrics.contains(
        "csms_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"+Inf\"} 1"
    ));
    let (s, _, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/organization",
        "/api/v1/members",
        "/api/v1/trail",
        "/api/v1/tokens",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    // Every API route of the table is in the document.
    for r in csms_web::routes::table()
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/"))
    {
        let op = r.method.as_str().to_lowercase();
        assert!(
            doc["paths"][r.path].get(&op).is_some(),
            "{} {} documented",
            r.method,
            r.path
        );
    }
    let (s, h, body) = app.get("/api/docs", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        body.contains("/assets/vendor/swagger-ui")
            && !body.contains("http://")
            && !body.contains("https://")
    );
    assert!(
        h.get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    app.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_pages_with_cursors_and_problem_details() {
    let app = app().await;
    let admin = app.who("admin", &app.alpha, Some(Role::Admin)).await;
    for i in 0..7 {
        app.who(&format!("member{i}"), &app.alpha, Some(Role::Viewer))
            .await;
    }
    let mut seen = Vec::new();
    let mut url = "/api/v1/members?limit=3".to_owned();
    loop {
        let (s, _, body) = app.get(&url, Some(&admin)).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let page: serde_json::Value = serde_json::from_str(&body).unwrap();
        for m in page["items"].as_array().unwrap() {
            seen.push(m["username"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/members?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 8);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
    let (s, h, body) = app.get("/api/v1/members?limit=0", Some(&admin)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        h.get(header::CONTENT_TYPE).unwrap(),
        "application/problem+json"
    );
    assert!(body.contains("urn:opencsms:problem:bad-limit"));
    let (s, _, body) = app.get("/api/v1/trail?cursor=%%%", Some(&admin)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let (s, _, body) = app.get("/api/v1/trail?limit=2", Some(&admin)).await;
    assert_eq!(s, StatusCode::OK);
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    let first = page["items"][0]["seq"].as_i64().unwrap();
    let c = page["next_cursor"].as_str().unwrap();
    let (_, _, body) = app
        .get(&format!("/api/v1/trail?limit=2&cursor={c}"), Some(&admin))
        .await;
    let next: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(next["items"][0]["seq"].as_i64().unwrap(), first - 2);
    // A session cookie does not authenticate the API (no ambient credentials there).
    let req = Request::get("/api/v1/organization")
        .header(header::COOKIE, admin.cookie.clone().unwrap())
        .body(Body::empty())
        .unwrap();
    let (s, _, _) = app.send(req).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.db.cleanup().await;
}
