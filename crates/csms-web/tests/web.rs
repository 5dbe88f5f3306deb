//! The web application over HTTP (in process): the route × role matrix, isolation between
//! organizations, CSRF, sessions, sign-in throttling, languages, headers, API and metrics.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use csms_domain::auth::Role;
use csms_web::authz::Perm;

mod common;
use common::*;

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
            .replace("{link}", &csms_domain::new_id().to_string())
            .replace("{framework}", "jipdec-csms-2010")
            .replace("{mapping}", "iso27001-2013-annex-a--iso27001-2022-annex-a")
            .replace("{*path}", "app.css");
        for who in callers.iter_mut() {
            app.refresh(who).await;
            let who = &*who;
            let (status, headers) = if route.method == Method::GET {
                let (s, h, _) = app.get(&path, Some(who)).await;
                (s, h)
            } else if route.method == Method::POST && !path.starts_with("/api/") {
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
    let assessment = app
        .db
        .store
        .create_assessment(
            &cli(),
            app.alpha.id,
            csms_store::assessment::NewAssessment {
                framework_id: "jipdec-csms-2010".into(),
                title: "alpha-only-assessment".into(),
                ..Default::default()
            },
            &["4.2.2.1".to_string()],
        )
        .await
        .unwrap();
    // Alpha-only catalogs (a framework and a mapping set) and an evidence link, through the API.
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            "/api/v1/catalogs?name=cpg.yaml",
            &insider,
            "application/yaml",
            ciso_file("cisa-cpg-2.0.yaml"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            "/api/v1/catalogs?name=alpha-map.yaml",
            &insider,
            "application/yaml",
            ALPHA_MAPPING.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let link = app
        .db
        .store
        .add_evidence(
            &cli(),
            app.alpha.id,
            assessment.id,
            "4.2.2.1",
            "alpha-only-evidence",
            "",
        )
        .await
        .unwrap();
    // Alpha-only inventory and risk, so that every `{id}` route has something to show.
    let store = &app.db.store;
    let site = store
        .create_site(
            &cli(),
            app.alpha.id,
            csms_domain::inventory::NewSite {
                name: "alpha-only-site".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let system = store
        .create_system(
            &cli(),
            app.alpha.id,
            csms_domain::inventory::NewSystem {
                name: "alpha-only-system".into(),
                site_id: Some(site.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let zone = |name: &str| csms_domain::inventory::NewZone {
        name: name.into(),
        sl_t: csms_domain::zone::SlVector::new([2, 2, 2, 2, 2, 2, 2]).unwrap(),
        ..Default::default()
    };
    let zone_a = store
        .create_zone(&cli(), app.alpha.id, zone("alpha-only-zone"))
        .await
        .unwrap();
    let zone_b = store
        .create_zone(&cli(), app.alpha.id, zone("alpha-only-zone-2"))
        .await
        .unwrap();
    let conduit = store
        .create_conduit(
            &cli(),
            app.alpha.id,
            csms_domain::inventory::NewConduit {
                name: "alpha-only-conduit".into(),
                from_zone_id: zone_a.id,
                to_zone_id: zone_b.id,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let asset = store
        .create_asset(
            &cli(),
            app.alpha.id,
            csms_domain::inventory::NewAsset {
                asset_tag: "alpha-only-asset".into(),
                zone_id: Some(zone_a.id),
                system_id: Some(system.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let method = store.risk_method(app.alpha.id).await.unwrap().method;
    let risk = store
        .create_risk(
            &cli(),
            app.alpha.id,
            csms_domain::register::validate_risk(
                &method,
                csms_domain::register::NewRisk {
                    title: "alpha-only-risk".into(),
                    zone_ids: vec![zone_a.id],
                    asset_ids: vec![asset.id],
                    threat_source: "insider".into(),
                    inherent: csms_domain::register::RatingInput {
                        likelihood: 3,
                        consequences: [("production".to_owned(), 3)].into(),
                    },
                    treatment: csms_domain::register::Treatment::Accept,
                    ..Default::default()
                },
            )
            .unwrap(),
        )
        .await
        .unwrap();
    // An alpha-only document with a version and an evidence link.
    let scheme = store.classification_scheme(app.alpha.id).await.unwrap();
    let doc = store
        .create_document(
            &cli(),
            app.alpha.id,
            csms_domain::document::NewDocument {
                title: "alpha-only-document".into(),
                classification: scheme.labels[0].clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // Its file goes through the API (into the application's own attachment store).
    let (st, _, body) = app
        .api_raw(
            Method::POST,
            &format!(
                "/api/v1/documents/{}/versions?version={}&file_name=alpha-only-file.pdf",
                doc.id, doc.version
            ),
            &insider,
            "application/octet-stream",
            b"%PDF-1.4\n% alpha-only-file\n%%EOF\n".to_vec(),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let doc_version_id: csms_domain::Uuid = body["id"].as_str().unwrap().parse().unwrap();
    let doc_link = store
        .add_evidence_link(
            &cli(),
            app.alpha.id,
            doc.id,
            &csms_domain::document::EvidenceTarget::Risk(risk.id),
        )
        .await
        .unwrap();
    // An alpha-only control and a Statement of Applicability draft citing it.
    let control = store
        .create_control(
            &cli(),
            app.alpha.id,
            csms_domain::control::NewControl {
                title: "alpha-only-control".into(),
                status: csms_domain::control::ControlStatus::Implemented,
                zone_ids: vec![zone_a.id],
                risk_ids: vec![risk.id],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let soa = store
        .start_soa_draft(
            &cli(),
            app.alpha.id,
            "jipdec-csms-2010",
            &["5.1.1".to_owned(), "5.1.2".to_owned()],
        )
        .await
        .unwrap();
    let soa_item = store.soa_items(app.alpha.id, soa.id).await.unwrap()[0].clone();
    // The id a route's `{id}` names, by the collection before it.
    let id_for = |p: &str| -> String {
        let before = p.split("/{id}").next().unwrap_or("");
        let id = match before.rsplit('/').next().unwrap_or("") {
            "sites" => site.id,
            "systems" => system.id,
            "zones" => zone_a.id,
            "conduits" => conduit.id,
            "assets" => asset.id,
            "risks" => risk.id,
            "documents" => doc.id,
            "controls" => control.id,
            "items" => soa_item.id,
            "versions" if p.contains("/soa/") => soa.id,
            _ => assessment.id,
        };
        id.to_string()
    };
    let alpha_path = |p: &str| {
        let link_id = if p.contains("/documents/") {
            doc_link.id
        } else {
            link.id
        };
        p.replace("{id}", &id_for(p))
            .replace("{vid}", &doc_version_id.to_string())
            .replace("{link}", &link_id.to_string())
            .replace("{framework}", "ciso.cisa-cpg-2.0")
            .replace("{mapping}", "alpha-only-map")
    };
    let secrets = [
        "alpha-only-marker",
        "Alpha Refinery",
        "insider",
        "alpha-only-assessment",
        "alpha-only-evidence",
        "alpha-only-map",
        "alpha-only-site",
        "alpha-only-system",
        "alpha-only-zone",
        "alpha-only-conduit",
        "alpha-only-asset",
        "alpha-only-risk",
        "alpha-only-document",
        "alpha-only-control",
        "alpha-only-file",
        "ciso.cisa-cpg-2.0",
        &app.alpha.id.to_string(),
        &assessment.id.to_string(),
    ];
    for route in csms_web::routes::table().iter().filter(|r| {
        r.method != Method::GET && r.path.starts_with("/api/v1/") && r.path.contains('{')
    }) {
        // Changes to alpha's things by another organization's administrator: not found.
        let path = alpha_path(route.path);
        let (s, _, body) = app
            .api(
                route.method.clone(),
                &path,
                &outsider,
                Some(serde_json::json!({})),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{} {path}: {body}", route.method);
        let text = body.to_string();
        // What the caller sent may come back; nothing else of alpha's may.
        for secret in secrets.iter().filter(|s| !path.contains(**s)) {
            assert!(!text.contains(secret), "{path} leaks {secret}: {text}");
        }
    }
    let after = app
        .db
        .store
        .assessment(app.alpha.id, assessment.id)
        .await
        .unwrap();
    assert_eq!(after.version, assessment.version, "nothing changed");
    assert_eq!(
        app.db
            .store
            .evidence(app.alpha.id, assessment.id, None)
            .await
            .unwrap()
            .len(),
        1
    );
    for route in csms_web::routes::table()
        .iter()
        .filter(|r| r.method == Method::GET)
    {
        if route.path.starts_with("/api/v1/") && route.path.contains('{') {
            let path = alpha_path(route.path);
            let (s, _, body) = app.get(&path, Some(&outsider)).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{path} from another organization");
            for secret in secrets.iter().filter(|s| !path.contains(**s)) {
                assert!(!body.contains(secret), "{path} leaks {secret}: {body}");
            }
            let (s, _, body) = app.get(&path, Some(&insider)).await;
            assert_eq!(s, StatusCode::OK, "{path} for a member: {body}");
        } else if route.path.starts_with("/o/{org}") {
            let mut path = route
                .path
                .replace("{org}", "alpha")
                .replace("{framework}", "jipdec-csms-2010")
                .replace("{id}", &id_for(route.path))
                .replace("{vid}", &doc_version_id.to_string());
            if path.ends_with("/node") {
                path.push_str("?ref=4.2.2.1");
            }
            let (s, _, body) = app.get(&path, Some(&outsider)).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{path} from another organization");
            assert!(
                !body.contains("alpha-only-marker")
                    && !body.contains("Alpha Refinery")
                    && !body.contains("alpha-only-assessment"),
                "{path}"
            );
            let (s, _, body) = app.get(&path, Some(&insider)).await;
            assert!(
                s.is_success() || s.is_redirection(),
                "{path} for a member: {s}"
            );
            let _ = body;
        } else if route.path == "/api/v1/evidence" {
            // The evidence of alpha's risk: the member sees the document, nobody else does.
            let path = format!("{}?kind=risk&ref={}", route.path, risk.id);
            let (s, _, body) = app.get(&path, Some(&insider)).await;
            assert_eq!(s, StatusCode::OK, "{path}: {body}");
            assert!(body.contains("alpha-only-document"), "{body}");
            let (_, _, body) = app.get(&path, Some(&outsider)).await;
            for secret in secrets {
                assert!(!body.contains(secret), "{path} leaks {secret}: {body}");
            }
        } else if route.path == "/api/v1/soa/diff" {
            // Its versions come in the query: alpha's are not found for another organization.
            let path = format!("{}?from={}&to={}", route.path, soa.id, soa.id);
            let (s, _, body) = app.get(&path, Some(&outsider)).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {body}");
            let (s, _, body) = app.get(&path, Some(&insider)).await;
            assert_eq!(s, StatusCode::OK, "{path}: {body}");
        } else if route.path.starts_with("/api/v1/") {
            let (s, _, body) = app.get(route.path, Some(&outsider)).await;
            assert_eq!(s, StatusCode::OK, "{}", route.path);
            for secret in secrets {
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

// ---- Catalogs and assessments ------------------------------------------------------------

impl App {
    async fn start_assessment(&self, who: &Who, framework: &str, title: &str) -> String {
        let form = format!(
            "framework_id={framework}&title={}&scope=DCS&period_start=2026-04-01&period_end=2027-03-31&assessors=",
            urlencode(title)
        );
        let (s, h, body) = self
            .post_form("/o/alpha/assessments", Some(who), &form, true)
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
        h.get(header::LOCATION)
            .unwrap()
            .to_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned()
    }

    async fn upload(&self, who: &Who, name: &str, bytes: &[u8]) -> (StatusCode, String) {
        let boundary = "----csmsboundary";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{}\r\n",
                who.csrf
            )
            .as_bytes(),
        );
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/yaml\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::post("/o/alpha/requirements/import")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::COOKIE, who.cookie.clone().unwrap())
            .header("x-csrf-token", &who.csrf)
            .body(Body::from(body))
            .unwrap();
        let (s, _, body) = self.send(req).await;
        (s, body)
    }
}

fn ciso_file(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../../shared/data/catalogs/ciso-assistant/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Recording results moves the roll-up and the readiness list; bad input is named; a stale
/// version conflicts; approval locks everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assessment_is_recorded_rolled_up_and_locked() {
    let app = app().await;
    let manager = app
        .who("manager", &app.alpha, Some(Role::CsmsManager))
        .await;
    let contributor = app
        .who("contrib", &app.alpha, Some(Role::Contributor))
        .await;
    let id = app
        .start_assessment(&manager, "jipdec-csms-2010", "2026年度 内部評価")
        .await;
    let base = format!("/o/alpha/assessments/{id}");
    let (s, _, dash) = app.get(&base, Some(&contributor)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(dash.contains("<svg"), "the dashboard draws its charts");
    let not_assessed_before = gap_count(&dash, "not_assessed");
    assert_eq!(
        not_assessed_before, 127,
        "every JIPDEC requirement starts unassessed"
    );
    // Conformant, then evidence: the readiness list loses the requirement.
    let (s, row) = app
        .htmx_post(
            &format!("{base}/results"),
            &contributor,
            "node_ref=4.2.2.1&version=1&outcome=conformant&notes=%E8%A8%BC%E8%B7%A1%E3%81%82%E3%82%8A&maturity=&owner_id=&due_date=2026-12-31",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{row}");
    assert!(
        row.contains("name=\"version\" value=\"2\""),
        "the row comes back at version 2"
    );
    let (_, _, dash) = app.get(&base, Some(&contributor)).await;
    assert_eq!(gap_count(&dash, "not_assessed"), 126);
    assert_eq!(gap_count(&dash, "no_evidence"), 1);
    let (s, row) = app
        .htmx_post(
            &format!("{base}/evidence"),
            &contributor,
            "node_ref=4.2.2.1&label=DOC-001+%E4%BA%8B%E6%A5%AD%E4%B8%8A%E3%81%AE%E6%A0%B9%E6%8B%A0&location=%5C%5Cfs%5Ccsms",
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(row.contains("DOC-001"));
    let (_, _, dash) = app.get(&base, Some(&contributor)).await;
    assert_eq!(gap_count(&dash, "no_evidence"), 0);
    // Not applicable without a justification is refused, in the row, naming the field.
    let (s, row) = app
        .htmx_post(
            &format!("{base}/results"),
            &contributor,
            "node_ref=4.2.3.1&version=1&outcome=not_applicable&notes=",
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(row.contains("justification"), "{row}");
    // A stale version conflicts and changes nothing.
    let (s, _) = app
        .htmx_post(
            &format!("{base}/results"),
            &contributor,
            "node_ref=4.2.2.1&version=1&outcome=nonconformant",
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Maturity on a framework without a scale is refused.
    let (s, _) = app
        .htmx_post(
            &format!("{base}/results"),
            &contributor,
            "node_ref=4.2.3.1&version=1&outcome=partial&maturity=3",
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // The workspace searches both languages.
    let (_, _, work) = app
        .get(&format!("{base}/work?q=risk"), Some(&contributor))
        .await;
    let (_, _, work_ja) = app
        .get(
            &format!("{base}/work?q=%E3%83%AA%E3%82%B9%E3%82%AF"),
            Some(&contributor),
        )
        .await;
    assert!(work.contains("4.2.3.1") && work_ja.contains("4.2.3.1"));
    // Exports.
    let (s, h, csv) = app
        .get(&format!("{base}/export.csv"), Some(&contributor))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    assert!(csv.contains("4.2.2.1") && csv.contains("DOC-001"));
    let (s, h, _) = app
        .get(&format!("{base}/export.xlsx"), Some(&contributor))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    // The header can be edited while in progress; a stale version conflicts.
    let (s, _, _) = app
        .post_form(&format!("{base}/edit"), Some(&manager), "version=1&title=Renamed&scope=DCS+and+SIS&period_start=2026-04-01&period_end=2027-03-31&assessors=", true)
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _, _) = app
        .post_form(
            &format!("{base}/edit"),
            Some(&manager),
            "version=1&title=Again",
            true,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _, _) = app
        .post_form(
            &format!("{base}/edit"),
            Some(&contributor),
            "version=2&title=Mine",
            true,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A contributor cannot approve; a manager can, and then nothing changes any more.
    let (s, _, _) = app
        .post_form(
            &format!("{base}/approve"),
            Some(&contributor),
            "version=1&note=x",
            true,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = app
        .post_form(
            &format!("{base}/approve"),
            Some(&manager),
            "version=2&note=%E7%B5%8C%E5%96%B6%E3%83%AC%E3%83%93%E3%83%A5%E3%83%BC",
            true,
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, row) = app
        .htmx_post(
            &format!("{base}/results"),
            &contributor,
            "node_ref=4.2.2.1&version=2&outcome=nonconformant",
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(row.contains("locked") || row.contains("ロック"), "{row}");
    let (_, _, dash) = app.get(&base, Some(&contributor)).await;
    assert!(dash.contains("id=\"status\""));
    // Every change is in the trail.
    let kinds = app.db.store.trail_kinds(app.alpha.id).await.unwrap();
    for k in ["assessment", "assessment_result", "evidence_link"] {
        assert!(kinds.iter().any(|x| x == k), "{k}");
    }
    app.db.cleanup().await;
}

fn gap_count(page: &str, gap: &str) -> usize {
    let marker = format!("data-gap=\"{gap}\"><span class=\"gap-count\">");
    let at = page.find(&marker).unwrap_or_else(|| panic!("{marker}")) + marker.len();
    page[at..].split('<').next().unwrap().parse().unwrap()
}

/// An ISO/IEC 27001 assessment proposes CSMS results through the shipped mappings; nothing is
/// set until the user applies them, and each applied result names its basis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_27001_assessment_prefills_a_csms_assessment() {
    let app = app().await;
    let manager = app
        .who("manager", &app.alpha, Some(Role::CsmsManager))
        .await;
    let iso = app
        .start_assessment(&manager, "iso27001-2022-annex-a", "ISMS 2026")
        .await;
    // Every 27001:2022 control conformant.
    let iso_id: csms_domain::Uuid = iso.parse().unwrap();
    let results = app.db.store.results(app.alpha.id, iso_id).await.unwrap();
    let changes = results
        .iter()
        .map(|r| csms_store::assessment::ResultChange {
            node_ref: r.node_ref.clone(),
            version: r.version,
            outcome: csms_domain::assessment::Outcome::Conformant,
            input: Default::default(),
        })
        .collect();
    app.db
        .store
        .set_results(&cli(), app.alpha.id, iso_id, changes)
        .await
        .unwrap();
    let csms = app
        .start_assessment(&manager, "jipdec-csms-2010", "CSMS 2026")
        .await;
    let base = format!("/o/alpha/assessments/{csms}");
    let (s, _, page) = app
        .get(&format!("{base}/prefill?from={iso}"), Some(&manager))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"proposals\""), "{page}");
    assert!(
        page.contains("NIST CSF 1.1"),
        "each proposal shows its basis"
    );
    // Showing proposals set nothing.
    let csms_id: csms_domain::Uuid = csms.parse().unwrap();
    let before = app.db.store.results(app.alpha.id, csms_id).await.unwrap();
    assert!(
        before
            .iter()
            .all(|r| r.outcome == csms_domain::assessment::Outcome::NotAssessed)
    );
    // A tick without the version and proposal shown, or with a stale one, applies nothing.
    for form in [
        format!("from={iso}&take=4.2.3.1"),
        format!("from={iso}&take=4.2.3.1&v%3A4.2.3.1=1&p%3A4.2.3.1=conformant"),
    ] {
        let (s, _, _) = app
            .post_form(&format!("{base}/prefill"), Some(&manager), &form, true)
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{form}");
    }
    // Apply one: 4.2.3.1 (risk assessment) relates to 27001 controls by a derived mapping, so
    // the proposal is capped at partial.
    let (s, _, _) = app
        .post_form(
            &format!("{base}/prefill"),
            Some(&manager),
            &format!("from={iso}&take=4.2.3.1&v%3A4.2.3.1=1&p%3A4.2.3.1=partial"),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let after = app.db.store.results(app.alpha.id, csms_id).await.unwrap();
    let r = after.iter().find(|r| r.node_ref == "4.2.3.1").unwrap();
    assert_eq!(r.outcome, csms_domain::assessment::Outcome::Partial);
    assert!(
        r.notes.contains("ISMS 2026") && r.notes.contains("A."),
        "{}",
        r.notes
    );
    let changed = after
        .iter()
        .filter(|r| r.outcome != csms_domain::assessment::Outcome::NotAssessed)
        .count();
    assert_eq!(changed, 1, "only the ticked proposal was applied");
    app.db.cleanup().await;
}

/// Imports of CISO Assistant libraries through the page; errors are one line with file:line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalogs_import_and_browse() {
    let app = app().await;
    let manager = app
        .who("manager", &app.alpha, Some(Role::CsmsManager))
        .await;
    let contributor = app
        .who("contrib", &app.alpha, Some(Role::Contributor))
        .await;
    // A mapping set before its frameworks: refused, naming the framework.
    let (s, body) = app
        .upload(
            &manager,
            "map.yaml",
            &ciso_file("mapping-iso27001-2013-to-iso27001-2022.yaml"),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("iso27001-2013"), "{body}");
    // Garbage: file:line.
    let (s, body) = app
        .upload(
            &manager,
            "bad.yaml",
            b"format: opencsms-catalog/1\nframework: [\n",
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("bad.yaml:"), "{body}");
    // A framework imports and can be browsed and assessed.
    let (s, body) = app
        .upload(&manager, "cpg.yaml", &ciso_file("cisa-cpg-2.0.yaml"))
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let (_, _, list) = app.get("/o/alpha/requirements", Some(&contributor)).await;
    assert!(list.contains("ciso.cisa-cpg-2.0"), "{list}");
    let (s, _, tree) = app
        .get(
            "/o/alpha/requirements/ciso.cisa-cpg-2.0",
            Some(&contributor),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(tree.contains("id=\"tree\""));
    // Importing it again without "replace" is a conflict; a contributor may not import.
    let (s, _) = app
        .upload(&manager, "cpg.yaml", &ciso_file("cisa-cpg-2.0.yaml"))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app
        .upload(&contributor, "cpg.yaml", &ciso_file("cisa-cpg-2.0.yaml"))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The other organization does not see it.
    let outsider = app.who("outsider", &app.beta, Some(Role::Admin)).await;
    let (_, _, body) = app.get("/o/beta/requirements", Some(&outsider)).await;
    assert!(!body.contains("ciso.cisa-cpg-2.0"));
    // Search in both languages, and both side by side.
    let (_, _, en) = app
        .get(
            "/o/alpha/requirements/jipdec-csms-2010?q=risk",
            Some(&contributor),
        )
        .await;
    let (_, _, ja) = app
        .get(
            "/o/alpha/requirements/jipdec-csms-2010?q=%E3%83%AA%E3%82%B9%E3%82%AF&both=1",
            Some(&contributor),
        )
        .await;
    assert!(en.contains("id=\"match-count\"") && ja.contains("id=\"match-count\""));
    assert!(ja.contains("lang=\"en\"") && ja.contains("lang=\"ja\""));
    // Licensed wording: kept per organization, shown to its members only.
    let (s, _, _) = app
        .post_form(
            "/o/alpha/requirements/jipdec-csms-2010/wording",
            Some(&manager),
            "ref=4.2.3.1&ja=%E5%85%AC%E5%BC%8F%E6%96%87%E8%A8%80&en=licensed-marker-42&source=licence+42",
            true,
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, node) = app
        .get(
            "/o/alpha/requirements/jipdec-csms-2010/node?ref=4.2.3.1",
            Some(&contributor),
        )
        .await;
    assert!(node.contains("licensed-marker-42"));
    let (_, _, node) = app
        .get(
            "/o/beta/requirements/jipdec-csms-2010/node?ref=4.2.3.1",
            Some(&outsider),
        )
        .await;
    assert!(!node.contains("licensed-marker-42"));
    app.db.cleanup().await;
}

// ---- API: catalogs and assessments -------------------------------------------------------

/// A mapping set only alpha imports (between two shipped frameworks).
const ALPHA_MAPPING: &str = r#"format: opencsms-mapping/1
mapping:
  id: alpha-only-map
  source: jipdec-csms-2010
  target: iso27001-2022-annex-a
  provenance: indicative
  name:
    ja: "アルファ専用の対応表"
    en: "alpha-only-map"
entries:
  - {source: "4.2.2.1", target: "A.5.1", relationship: related, basis: "alpha judgement"}
"#;

/// The whole life of an assessment through the API: start, record results all or nothing
/// (stale versions, bad fields and unknown refs refused and named), evidence, readiness,
/// approval and the lock; roles and organizations are enforced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_records_an_assessment_all_or_nothing_and_locks_it() {
    let app = app().await;
    let manager = app
        .who("manager", &app.alpha, Some(Role::CsmsManager))
        .await;
    let contributor = app
        .who("contrib", &app.alpha, Some(Role::Contributor))
        .await;
    let viewer = app.who("viewer", &app.alpha, Some(Role::Viewer)).await;
    let outsider = app.who("outsider", &app.beta, Some(Role::Admin)).await;
    let new = serde_json::json!({
        "framework_id": "jipdec-csms-2010",
        "title": "2026年度 内部評価",
        "scope": "DCS",
        "period_start": "2026-04-01",
        "period_end": "2027-03-31",
        "assessors": "山田\nSato"
    });
    // Only managers start assessments; bad input is named.
    let (s, _, _) = app
        .api(
            Method::POST,
            "/api/v1/assessments",
            &contributor,
            Some(new.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, body) = app
        .api(
            Method::POST,
            "/api/v1/assessments",
            &manager,
            Some(serde_json::json!({"framework_id": "no-such", "title": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "framework_id");
    let (s, _, body) = app
        .api(
            Method::POST,
            "/api/v1/assessments",
            &manager,
            Some(serde_json::json!({"framework_id": "jipdec-csms-2010", "title": " "})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "title");
    let (s, _, body) = app
        .api(
            Method::POST,
            "/api/v1/assessments",
            &manager,
            Some(serde_json::json!({"framework_id": 7})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("send JSON like"));
    let (s, h, body) = app
        .api(Method::POST, "/api/v1/assessments", &manager, Some(new))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        h.get(header::LOCATION).unwrap().to_str().unwrap(),
        format!("/api/v1/assessments/{id}")
    );
    assert_eq!(body["status"], "in_progress");
    assert_eq!(body["tally"]["not_assessed"], 127);
    let base = format!("/api/v1/assessments/{id}");

    // Header and roll-ups.
    let (s, _, detail) = app.api(Method::GET, &base, &viewer, None).await;
    assert_eq!(s, StatusCode::OK, "{detail}");
    assert_eq!(detail["assessment"]["title"], "2026年度 内部評価");
    assert_eq!(detail["assessment"]["tally"]["total"], 127);
    assert_eq!(detail["assessment"]["approval"], serde_json::Value::Null);
    let groups = detail["groups"].as_array().unwrap();
    assert!(groups.len() > 5);
    let in_groups: u64 = groups
        .iter()
        .map(|g| g["tally"]["total"].as_u64().unwrap())
        .sum();
    assert_eq!(in_groups, 127, "the groups partition the requirements");
    // Every requirement, in tree order, at version 1.
    let (s, _, results) = app
        .api(Method::GET, &format!("{base}/results"), &viewer, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let items = results["items"].as_array().unwrap();
    assert_eq!(items.len(), 127);
    assert!(
        items
            .iter()
            .all(|r| r["version"] == 1 && r["result"] == "not_assessed")
    );
    let refs: Vec<String> = items
        .iter()
        .map(|r| r["ref"].as_str().unwrap().to_owned())
        .collect();
    let pos = |r: &str| refs.iter().position(|x| x == r).unwrap();
    assert!(pos("4.2.2.1") < pos("4.2.3.1"), "tree order");
    let (_, _, ready) = app
        .api(Method::GET, &format!("{base}/readiness"), &viewer, None)
        .await;
    assert_eq!(ready["counts"]["not_assessed"], 127);

    // Two results at once.
    let patch = |changes: serde_json::Value| Some(serde_json::json!({ "changes": changes }));
    let (s, _, body) = app
        .api(
            Method::PATCH,
            &format!("{base}/results"),
            &contributor,
            patch(serde_json::json!([
                {"ref": "4.2.2.1", "version": 1, "result": "conformant", "notes": "証跡あり",
                 "owner": "manager", "due_date": "2026-12-31"},
                {"ref": "4.2.3.1", "version": 1, "result": "partial"}
            ])),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let changed = body["items"].as_array().unwrap();
    assert_eq!(changed.len(), 2);
    assert_eq!(changed[0]["version"], 2);
    assert_eq!(changed[0]["owner"], "manager");
    assert_eq!(changed[0]["due_date"], "2026-12-31");
    assert_eq!(changed[1]["result"], "partial");
    let (_, _, ready) = app
        .api(Method::GET, &format!("{base}/readiness"), &viewer, None)
        .await;
    assert_eq!(ready["counts"]["not_assessed"], 125);
    assert_eq!(ready["counts"]["partial"], 1);
    assert_eq!(ready["counts"]["no_evidence"], 2);
    let first = &ready["items"][0];
    assert_eq!(first["ref"], "4.2.2.1");
    assert_eq!(first["gaps"], serde_json::json!(["no_evidence"]));
    assert_eq!(first["owner"], "manager");
    assert!(first["title"]["ja"].is_string() && first["title"]["en"].is_string());

    // Evidence: linking shrinks the readiness list; removing a link works.
    let (s, _, link) = app
        .api(
            Method::POST,
            &format!("{base}/evidence"),
            &contributor,
            Some(serde_json::json!({"ref": "4.2.2.1", "label": "DOC-001 事業上の根拠", "location": "\\\\fs\\csms"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{link}");
    assert_eq!(link["created_by"], "contrib");
    let (s, _, extra) = app
        .api(
            Method::POST,
            &format!("{base}/evidence"),
            &contributor,
            Some(serde_json::json!({"ref": "4.2.3.1", "label": "DOC-002"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _, _) = app
        .api(
            Method::DELETE,
            &format!("{base}/evidence/{}", extra["id"].as_str().unwrap()),
            &contributor,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, body) = app
        .api(
            Method::DELETE,
            &format!("{base}/evidence/{}", extra["id"].as_str().unwrap()),
            &contributor,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    let (s, _, body) = app
        .api(
            Method::POST,
            &format!("{base}/evidence"),
            &contributor,
            Some(serde_json::json!({"ref": "9.9.9", "label": "DOC-003"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "ref");
    let (s, _, body) = app
        .api(
            Method::POST,
            &format!("{base}/evidence"),
            &contributor,
            Some(serde_json::json!({"ref": "4.2.3.1", "label": ""})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "label");
    let (_, _, ev) = app
        .api(Method::GET, &format!("{base}/evidence"), &viewer, None)
        .await;
    assert_eq!(ev["items"].as_array().unwrap().len(), 1);
    assert_eq!(ev["items"][0]["ref"], "4.2.2.1");
    let (s, _, _) = app
        .api(
            Method::GET,
            &format!("{base}/evidence?ref=4.2.3.1"),
            &viewer,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, _, ready) = app
        .api(Method::GET, &format!("{base}/readiness"), &viewer, None)
        .await;
    assert_eq!(ready["counts"]["no_evidence"], 1);
    let (_, _, results) = app
        .api(Method::GET, &format!("{base}/results"), &viewer, None)
        .await;
    let r = &results["items"][pos("4.2.2.1")];
    assert_eq!(
        (r["evidence"].as_i64(), r["version"].as_i64()),
        (Some(1), Some(2))
    );

    // Refusals change nothing: a stale version (with the current one), all or nothing.
    let other = refs[10].clone();
    let (s, _, body) = app
        .api(
            Method::PATCH,
            &format!("{base}/results"),
            &contributor,
            patch(serde_json::json!([
                {"ref": other, "version": 1, "result": "conformant"},
                {"ref": "4.2.2.1", "version": 1, "result": "nonconformant"}
            ])),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(problem_type(&body), "urn:opencsms:problem:conflict");
    assert_eq!(body["current_version"], 2);
    assert_eq!(body["ref"], "4.2.2.1");
    let (_, _, results) = app
        .api(Method::GET, &format!("{base}/results"), &viewer, None)
        .await;
    assert_eq!(
        results["items"][10]["version"], 1,
        "the valid change was not applied"
    );
    assert_eq!(results["items"][pos("4.2.2.1")]["result"], "conformant");
    // Not applicable without a justification: named, with the ref.
    let na = refs[20].clone();
    let (s, _, body) = app
        .api(
            Method::PATCH,
            &format!("{base}/results"),
            &contributor,
            patch(serde_json::json!([{"ref": na, "version": 1, "result": "not_applicable"}])),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "notes");
    assert_eq!(body["ref"], na.as_str());
    assert!(body["detail"].as_str().unwrap().contains("justification"));
    // Unknown ref, bad result, maturity without a scale, unknown owner, bad date, twice the same.
    for (change, field) in [
        (
            serde_json::json!({"ref": "9.9.9", "version": 1, "result": "conformant"}),
            "ref",
        ),
        (
            serde_json::json!({"ref": na, "version": 1, "result": "fine"}),
            "result",
        ),
        (
            serde_json::json!({"ref": na, "version": 1, "result": "partial", "maturity": 3}),
            "maturity",
        ),
        (
            serde_json::json!({"ref": na, "version": 1, "result": "partial", "owner": "nobody"}),
            "owner",
        ),
        (
            serde_json::json!({"ref": na, "version": 1, "result": "partial", "owner": "outsider"}),
            "owner",
        ),
        (
            serde_json::json!({"ref": na, "version": 1, "result": "partial", "due_date": "31/12/2026"}),
            "due_date",
        ),
        (
            serde_json::json!({"ref": na, "version": 1, "result": "partial", "notes": "a\u{0}b"}),
            "notes",
        ),
    ] {
        let (s, _, body) = app
            .api(
                Method::PATCH,
                &format!("{base}/results"),
                &contributor,
                patch(serde_json::json!([change])),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{change}: {body}");
        assert_eq!(body["field"], field, "{change}: {body}");
        assert_eq!(body["index"], 0);
    }
    let (s, _, body) = app
        .api(
            Method::PATCH,
            &format!("{base}/results"),
            &contributor,
            patch(serde_json::json!([
                {"ref": na, "version": 1, "result": "partial"},
                {"ref": na, "version": 1, "result": "partial"}
            ])),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (body["field"].as_str(), body["index"].as_i64()),
        (Some("ref"), Some(1))
    );
    let (s, _, body) = app
        .api(
            Method::PATCH,
            &format!("{base}/results"),
            &contributor,
            patch(serde_json::json!([])),
        )
        .await;
    assert_eq!(
        (s, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("changes"))
    );
    let (s, _, body) = app
        .api(
            Method::PATCH,
            &format!("{base}/results"),
            &contributor,
            Some(serde_json::json!({"changes": [{"ref": na, "version": "one", "result": "partial"}]})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    // Omitted fields are kept, null clears.
    let (s, _, body) = app
        .api(
            Method::PATCH,
            &format!("{base}/results"),
            &contributor,
            patch(serde_json::json!([{"ref": "4.2.2.1", "version": 2, "result": "conformant", "due_date": null}])),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let r = &body["items"][0];
    assert_eq!(r["owner"], "manager");
    assert_eq!(r["notes"], "証跡あり");
    assert_eq!(r["due_date"], serde_json::Value::Null);
    assert_eq!(r["version"], 3);

    // Roles and organizations.
    let (s, _, body) = app
        .api(
            Method::PATCH,
            &format!("{base}/results"),
            &viewer,
            patch(serde_json::json!([{"ref": na, "version": 1, "result": "partial"}])),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    for path in [
        base.clone(),
        format!("{base}/results"),
        format!("{base}/readiness"),
        format!("{base}/evidence"),
    ] {
        let (s, _, body) = app.api(Method::GET, &path, &outsider, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(!body.to_string().contains("内部評価"));
    }
    let (s, _, _) = app
        .api(
            Method::PATCH,
            &format!("{base}/results"),
            &outsider,
            patch(serde_json::json!([{"ref": na, "version": 1, "result": "partial"}])),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, _, list) = app
        .api(Method::GET, "/api/v1/assessments", &outsider, None)
        .await;
    assert_eq!(list["items"], serde_json::json!([]));
    let (s, _, body) = app
        .api(Method::GET, "/api/v1/assessments/not-a-uuid", &viewer, None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("assessment id"));

    // The header: managers change it naming the version.
    let header = serde_json::json!({"version": 1, "title": "2026年度 内部評価（改）", "scope": "DCS と SIS", "period_start": "2026-04-01", "period_end": "2027-03-31", "assessors": "山田"});
    let (s, _, _) = app
        .api(Method::PATCH, &base, &contributor, Some(header.clone()))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, body) = app
        .api(Method::PATCH, &base, &manager, Some(header.clone()))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 2);
    let (s, _, _) = app.api(Method::PATCH, &base, &manager, Some(header)).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _, body) = app
        .api(
            Method::PATCH,
            &base,
            &manager,
            Some(serde_json::json!({"version": 2, "title": "x", "period_start": "2026-05-01", "period_end": "2026-04-01"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "period_end");

    // Approval: managers only, naming the version; then everything is locked.
    let (s, _, _) = app
        .api(
            Method::POST,
            &format!("{base}/approve"),
            &contributor,
            Some(serde_json::json!({"version": 2})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, body) = app
        .api(
            Method::POST,
            &format!("{base}/approve"),
            &manager,
            Some(serde_json::json!({"version": 99})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["current_version"], 2);
    let (s, _, body) = app
        .api(
            Method::POST,
            &format!("{base}/approve"),
            &manager,
            Some(serde_json::json!({"version": 2, "note": "経営レビュー"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "approved");
    assert_eq!(body["approval"]["approved_by"], "manager");
    assert_eq!(body["approval"]["note"], "経営レビュー");
    assert_eq!(body["tally"]["conformant"], 1);
    let (s, _, body) = app
        .api(
            Method::PATCH,
            &format!("{base}/results"),
            &contributor,
            patch(serde_json::json!([{"ref": "4.2.2.1", "version": 3, "result": "nonconformant"}])),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(problem_type(&body), "urn:opencsms:problem:locked");
    let (s, _, body) = app
        .api(
            Method::POST,
            &format!("{base}/evidence"),
            &contributor,
            Some(serde_json::json!({"ref": "4.2.3.1", "label": "late"})),
        )
        .await;
    assert_eq!(
        (s, problem_type(&body)),
        (StatusCode::CONFLICT, "urn:opencsms:problem:locked")
    );
    let (s, _, body) = app
        .api(
            Method::DELETE,
            &format!("{base}/evidence/{}", link["id"].as_str().unwrap()),
            &contributor,
            None,
        )
        .await;
    assert_eq!(
        (s, problem_type(&body)),
        (StatusCode::CONFLICT, "urn:opencsms:problem:locked")
    );
    let (s, _, _) = app
        .api(
            Method::POST,
            &format!("{base}/approve"),
            &manager,
            Some(serde_json::json!({"version": 2})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // The list pages with cursors, newest first.
    for i in 0..3 {
        let (s, _, _) = app
            .api(
                Method::POST,
                "/api/v1/assessments",
                &manager,
                Some(serde_json::json!({"framework_id": "iec62443-2-1-2024", "title": format!("later {i}")})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let mut seen = Vec::new();
    let mut url = "/api/v1/assessments?limit=3".to_owned();
    loop {
        let (s, _, page) = app.api(Method::GET, &url, &viewer, None).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        for a in page["items"].as_array().unwrap() {
            seen.push(a["title"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/assessments?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 4);
    assert_eq!(seen.last().unwrap(), "2026年度 内部評価（改）");
    let (s, _, _) = app
        .api(
            Method::GET,
            "/api/v1/assessments?cursor=bm9wZQ",
            &viewer,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Every change is in the trail, by the token's user.
    let kinds = app.db.store.trail_kinds(app.alpha.id).await.unwrap();
    for k in ["assessment", "assessment_result", "evidence_link"] {
        assert!(kinds.iter().any(|x| x == k), "{k}");
    }
    app.db.cleanup().await;
}

/// Catalog imports through the API (YAML as the body), then the frameworks, their nodes with
/// the bilingual search, and the mapping sets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_imports_catalogs_and_lists_frameworks_nodes_and_mappings() {
    let app = app().await;
    let manager = app
        .who("manager", &app.alpha, Some(Role::CsmsManager))
        .await;
    let contributor = app
        .who("contrib", &app.alpha, Some(Role::Contributor))
        .await;
    let outsider = app.who("outsider", &app.beta, Some(Role::Admin)).await;
    let cpg = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/catalogs/ciso-assistant/cisa-cpg-2.0.yaml"
    ))
    .unwrap();
    // A mapping set before its frameworks: refused, naming the missing framework.
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            "/api/v1/catalogs?name=map.yaml",
            &manager,
            "application/yaml",
            ciso_file("mapping-iso27001-2013-to-iso27001-2022.yaml"),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(problem_type(&body), "urn:opencsms:problem:invalid-catalog");
    let errors = body["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e.as_str().unwrap().contains("iso27001-2013")),
        "{body}"
    );
    assert!(
        errors
            .iter()
            .all(|e| e.as_str().unwrap().starts_with("map.yaml"))
    );
    // Garbage: FILE:LINE.
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            "/api/v1/catalogs?name=dir/bad.yaml",
            &manager,
            "text/plain",
            b"format: opencsms-catalog/1\nframework: [\n".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["errors"][0].as_str().unwrap().starts_with("bad.yaml:"),
        "{body}"
    );
    // Empty, not UTF-8, a form instead of the file.
    for (ct, bytes, status) in [
        (
            "application/yaml",
            b"  \n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "application/yaml",
            vec![0xff, 0xfe, 0x00],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "multipart/form-data; boundary=x",
            b"--x--".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ] {
        let (s, _, body) = app
            .api_raw(Method::POST, "/api/v1/catalogs", &manager, ct, bytes)
            .await;
        assert_eq!(s, status, "{ct}: {body}");
    }
    // A contributor may not import.
    let (s, _, _) = app
        .api_raw(
            Method::POST,
            "/api/v1/catalogs",
            &contributor,
            "application/yaml",
            cpg.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The framework imports; again is a duplicate unless replacing.
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            "/api/v1/catalogs?name=cpg.yaml",
            &manager,
            "application/yaml",
            cpg.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let stored = &body["items"][0];
    assert_eq!(stored["kind"], "framework");
    assert_eq!(stored["ref_id"], "ciso.cisa-cpg-2.0");
    assert_eq!(stored["source_file"], "cpg.yaml");
    assert_eq!(stored["version"], 1);
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            "/api/v1/catalogs?name=cpg.yaml",
            &manager,
            "application/yaml",
            cpg.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(!body["errors"].as_array().unwrap().is_empty());
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            "/api/v1/catalogs?name=cpg.yaml&replace=true",
            &manager,
            "application/yaml",
            cpg.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["items"][0]["version"], 2);
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            "/api/v1/catalogs?replace=maybe",
            &manager,
            "application/yaml",
            cpg.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");

    // Frameworks: shipped and imported.
    let (s, _, list) = app
        .api(Method::GET, "/api/v1/frameworks", &contributor, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let items = list["items"].as_array().unwrap();
    let find = |id: &str| items.iter().find(|f| f["id"] == id).cloned().unwrap();
    let imported = find("ciso.cisa-cpg-2.0");
    assert_eq!(imported["origin"], "imported");
    assert_eq!(imported["source_file"], "cpg.yaml");
    assert!(imported["assessable"].as_u64().unwrap() > 0);
    let jipdec = find("jipdec-csms-2010");
    assert_eq!(jipdec["origin"], "shipped");
    assert_eq!(jipdec["assessable"], 127);
    assert!(jipdec["name"]["ja"].is_string() && jipdec["name"]["en"].is_string());
    assert!(
        items.iter().any(|f| f["scale"]["levels"]
            .as_array()
            .is_some_and(|l| !l.is_empty())),
        "some framework has a maturity scale"
    );
    let (_, _, theirs) = app
        .api(Method::GET, "/api/v1/frameworks", &outsider, None)
        .await;
    assert!(!theirs.to_string().contains("ciso.cisa-cpg-2.0"));
    // Nodes in tree order, and the bilingual search.
    let (s, _, nodes) = app
        .api(
            Method::GET,
            "/api/v1/frameworks/ciso.cisa-cpg-2.0/nodes",
            &contributor,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(nodes["count"], imported["nodes"]);
    assert_eq!(nodes["items"][0]["depth"], 0);
    assert_eq!(nodes["items"][0]["parent"], serde_json::Value::Null);
    let (_, _, all) = app
        .api(
            Method::GET,
            "/api/v1/frameworks/jipdec-csms-2010/nodes",
            &contributor,
            None,
        )
        .await;
    let all = all["items"].as_array().unwrap();
    assert_eq!(all.iter().filter(|n| n["assessable"] == true).count(), 127);
    for n in all {
        if let Some(p) = n["parent"].as_str() {
            let at = |r: &str| all.iter().position(|x| x["ref"] == r).unwrap();
            assert!(at(p) < at(n["ref"].as_str().unwrap()), "parents come first");
        }
    }
    for q in ["risk", "RISK", "%E3%83%AA%E3%82%B9%E3%82%AF"] {
        let (s, _, found) = app
            .api(
                Method::GET,
                &format!("/api/v1/frameworks/jipdec-csms-2010/nodes?q={q}"),
                &contributor,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let found = found["items"].as_array().unwrap();
        assert!(found.len() < all.len());
        assert!(found.iter().any(|n| n["ref"] == "4.2.3.1"), "{q}");
    }
    let (s, _, body) = app
        .api(
            Method::GET,
            &format!(
                "/api/v1/frameworks/jipdec-csms-2010/nodes?q={}",
                "x".repeat(500)
            ),
            &contributor,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let (s, _, body) = app
        .api(
            Method::GET,
            "/api/v1/frameworks/no-such/nodes",
            &contributor,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("GET /api/v1/frameworks")
    );
    let (s, _, _) = app
        .api(
            Method::GET,
            "/api/v1/frameworks/ciso.cisa-cpg-2.0/nodes",
            &outsider,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // An imported framework can be assessed.
    let (s, _, body) = app
        .api(
            Method::POST,
            "/api/v1/assessments",
            &manager,
            Some(serde_json::json!({"framework_id": "ciso.cisa-cpg-2.0", "title": "CPG"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["framework_name"]["en"], imported["name"]["en"]);

    // Mapping sets: shipped ones, one with its entries; an imported one.
    let (s, _, maps) = app
        .api(Method::GET, "/api/v1/mappings", &contributor, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let shipped = maps["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "iso27001-2013-annex-a--iso27001-2022-annex-a")
        .cloned()
        .unwrap();
    assert_eq!(shipped["provenance"], "official");
    let (s, _, detail) = app
        .api(
            Method::GET,
            "/api/v1/mappings/iso27001-2013-annex-a--iso27001-2022-annex-a",
            &contributor,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        detail["entries"].as_array().unwrap().len() as u64,
        shipped["entries"].as_u64().unwrap()
    );
    assert!(detail["entries"][0]["relationship"].is_string());
    let (s, _, _) = app
        .api(Method::GET, "/api/v1/mappings/no-such", &contributor, None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            "/api/v1/catalogs?name=alpha-map.yaml",
            &manager,
            "application/yaml",
            ALPHA_MAPPING.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["items"][0]["kind"], "mapping");
    let (s, _, m) = app
        .api(
            Method::GET,
            "/api/v1/mappings/alpha-only-map",
            &contributor,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(m["entries"][0]["basis"], "alpha judgement");
    // Larger than the default 2 MB body limit but within the import's 16 MB: accepted.
    let mut big = ALPHA_MAPPING.to_owned();
    big.push('#');
    big.push_str(&"x".repeat(3 << 20));
    big.push('\n');
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            "/api/v1/catalogs?name=big.yaml&replace=true",
            &manager,
            "application/yaml",
            big.into_bytes(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            "/api/v1/catalogs?name=huge.yaml",
            &manager,
            "application/yaml",
            vec![b'#'; 17 << 20],
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    // A NUL in a name (a YAML escape) is refused before the database sees it.
    let nul = ALPHA_MAPPING
        .replace("alpha-only-map\n", "alpha-nul-map\n")
        .replace("en: \"alpha-only-map\"", "en: \"nul \\0 name\"");
    assert!(nul.contains("\\0"));
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            "/api/v1/catalogs?name=nul.yaml",
            &manager,
            "application/yaml",
            nul.into_bytes(),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("NUL"), "{body}");
    let (s, _, _) = app
        .api(
            Method::GET,
            "/api/v1/mappings/alpha-only-map",
            &outsider,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.db.cleanup().await;
}

/// Whatever a client sends (bad ids, unknown refs, wrong types, huge or NUL-laden strings,
/// no body), the API answers with a problem, never a server error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_answers_bad_input_with_problems_not_server_errors() {
    let app = app().await;
    let admin = app.who("admin", &app.alpha, Some(Role::Admin)).await;
    let a = app
        .db
        .store
        .create_assessment(
            &cli(),
            app.alpha.id,
            csms_store::assessment::NewAssessment {
                framework_id: "jipdec-csms-2010".into(),
                title: "fuzzed".into(),
                ..Default::default()
            },
            &["4.2.2.1".to_string()],
        )
        .await
        .unwrap();
    let huge = "あ".repeat(300_000);
    let ids = [
        a.id.to_string(),
        csms_domain::new_id().to_string(),
        "not-a-uuid".to_owned(),
        "%00".to_owned(),
        "x".repeat(3000),
    ];
    let bodies = [
        None,
        Some("null".to_owned()),
        Some("[]".to_owned()),
        Some("{".to_owned()),
        Some(r#"{"unknown": 1}"#.to_owned()),
        Some(r#"{"changes": "x"}"#.to_owned()),
        Some(r#"{"changes": [{"ref": 1, "version": 1e99, "result": null}]}"#.to_owned()),
        Some(format!(
            r#"{{"changes": [{{"ref": "4.2.2.1", "version": 1, "result": "conformant", "notes": "{huge}"}}]}}"#
        )),
        Some(
            r#"{"framework_id": "jipdec-csms-2010", "title": "t\u0000", "version": 1, "ref": "4.2.2.1\u0000", "label": "l\u0000"}"#
                .to_owned(),
        ),
        Some(format!(
            r#"{{"framework_id": "jipdec-csms-2010", "title": "t", "scope": "{huge}", "version": -9223372036854775808, "note": "{huge}", "ref": "4.2.2.1", "label": "{huge}"}}"#
        )),
    ];
    let mut tried = 0;
    for route in csms_web::routes::table()
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/"))
    {
        for id in &ids {
            let path = route
                .path
                .replace("{id}", id)
                .replace("{link}", id)
                .replace("{framework}", id)
                .replace("{mapping}", id);
            for query in ["", "?limit=0&cursor=%%&q=%00&ref=%00&replace=x&name=%00"] {
                for body in &bodies {
                    let mut req = Request::builder()
                        .method(route.method.clone())
                        .uri(format!("{path}{query}"))
                        .header(
                            header::AUTHORIZATION,
                            format!("Bearer {}", admin.token.clone().unwrap()),
                        );
                    if body.is_some() {
                        req = req.header(header::CONTENT_TYPE, "application/json");
                    }
                    let req = req
                        .body(Body::from(body.clone().unwrap_or_default()))
                        .unwrap();
                    let (s, h, text) = app.send(req).await;
                    assert!(
                        !s.is_server_error(),
                        "{} {path}{query}: {s} {}",
                        route.method,
                        &text[..text.len().min(300)]
                    );
                    if s.is_client_error() {
                        assert_eq!(
                            h.get(header::CONTENT_TYPE).unwrap(),
                            "application/problem+json",
                            "{} {path}{query}: {text}",
                            route.method
                        );
                    }
                    tried += 1;
                }
            }
        }
    }
    assert!(tried > 1000);
    // The trail still verifies and the assessment is still there, unchanged or validly changed.
    assert!(app.db.store.assessment(app.alpha.id, a.id).await.is_ok());
    app.db.cleanup().await;
}
