//! The risk register over HTTP: pages and API (issue 5).

mod common;

use axum::http::{Method, StatusCode, header};
use common::*;
use csms_domain::auth::Role;
use csms_domain::inventory::{AssetType, NewAsset, NewSystem, NewZone};
use csms_domain::zone::SlVector;
use serde_json::{Value, json};

struct Seed {
    system: String,
    zone: String,
}

async fn seed(app: &App) -> Seed {
    let store = &app.db.store;
    let system = store
        .create_system(
            &cli(),
            app.alpha.id,
            NewSystem {
                name: "Ethylene DCS".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let zone = store
        .create_zone(
            &cli(),
            app.alpha.id,
            NewZone {
                name: "Control".into(),
                system_id: Some(system.id),
                sl_t: SlVector::parse("2,2,1,1,2,1,2").unwrap(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    store
        .create_asset(
            &cli(),
            app.alpha.id,
            NewAsset {
                asset_tag: "EWS-01".into(),
                asset_type: AssetType::EngineeringWorkstation,
                zone_id: Some(zone.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    Seed {
        system: system.id.to_string(),
        zone: zone.id.to_string(),
    }
}

/// A detailed risk: inherent likelihood 4 × production 4 (critical on the default method),
/// residual 2 × 3 (medium, within the tolerable threshold).
fn risk_json(s: &Seed) -> Value {
    json!({
        "title": "Ransomware on the engineering workstation stops batch control",
        "kind": "detailed",
        "system_id": s.system,
        "zone_ids": [s.zone],
        "threat_source": "criminal group",
        "threat_vector": "phishing, then remote access",
        "inherent": {"likelihood": 4, "consequences": {"production": 4}},
        "treatment": "reduce",
        "planned_controls": "application allow-listing; offline backups",
        "residual": {"likelihood": 2, "consequences": {"production": 3}},
        "review_date": "2027-06-30",
        "triggers": ["system_change", "incident"]
    })
}

fn cell_count(h: &Value, l: u64, c: u64) -> u64 {
    h["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["likelihood"] == l && x["consequence"] == c)
        .unwrap()["count"]
        .as_u64()
        .unwrap()
}

fn with(v: &Value, patch: Value) -> Value {
    let mut v = v.clone();
    for (k, x) in patch.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

fn location(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The `data-count` of a heat map cell in the page's SVG (`inherent` or `residual`).
fn svg_count(page: &str, stage: &str, l: u8, c: u8) -> String {
    let start = page.find(&format!("id=\"heatmap-{stage}\"")).unwrap();
    let svg = &page[start..];
    let svg = &svg[..svg.find("</svg>").unwrap()];
    let needle = format!("data-likelihood=\"{l}\" data-consequence=\"{c}\" data-count=\"");
    let at = svg.find(&needle).unwrap() + needle.len();
    svg[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_register_lifecycle_through_pages_and_api() {
    let app = app().await;
    let s = seed(&app).await;
    let writer = app.who("kenji", &app.alpha, Some(Role::Contributor)).await;
    let manager = app.who("mgr", &app.alpha, Some(Role::CsmsManager)).await;

    let (st, _, page) = app.get("/o/alpha/risks", Some(&writer)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("id=\"new-risk\""));
    assert_eq!(svg_count(&page, "inherent", 4, 4), "0");
    // Two heat maps on one page: their ids stay unique.
    let ids: std::collections::HashSet<&str> = page
        .split(" id=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .filter(|id| id.starts_with("hm-"))
        .collect();
    assert_eq!(page.matches(" id=\"hm-").count(), ids.len(), "{ids:?}");

    // Record a risk through the form, with an asset named by its tag.
    let form = format!(
        "title={}&kind=detailed&system_id={}&zone_ids={}&asset_tags=EWS-01&threat_source=insider\
         &inherent_likelihood=4&inherent_c_production=4&inherent_c_health_safety=2\
         &treatment=reduce&planned_controls=allow-listing\
         &residual_likelihood=2&residual_c_production=3&review_date=2027-06-30&triggers=incident&version=0",
        urlencode("EWS ransomware"),
        s.system,
        s.zone
    );
    let (st, h, _) = app
        .post_form("/o/alpha/risks", Some(&writer), &form, true)
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let risk_url = location(&h);
    assert!(risk_url.contains("notice=risk-created"), "{risk_url}");
    let (st, _, page) = app.get(&risk_url, Some(&writer)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("R-0001") && page.contains("EWS-01") && page.contains("Control"));
    assert!(
        page.contains("id=\"accept-form\""),
        "medium is within the tolerable threshold"
    );
    // The edit form shows the risk as recorded; accepting and then raising the residual
    // level through the form lapses the acceptance.
    let risk_path = risk_url.split('?').next().unwrap().to_owned();
    let (st, _, edit) = app.get(&format!("{risk_path}/edit"), Some(&writer)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(edit.contains(">EWS-01</textarea>"));
    assert!(edit.contains("<option value=\"4\" selected>"));
    let (st, _, _) = app
        .post_form(
            &format!("{risk_path}/accept"),
            Some(&writer),
            "version=1&reason=within+tolerance",
            true,
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let raised = form
        .replace("residual_likelihood=2", "residual_likelihood=3")
        .replace("residual_c_production=3", "residual_c_production=4")
        .replace("version=0", "version=2");
    let (st, h, _) = app
        .post_form(&risk_path, Some(&writer), &raised, true)
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(location(&h).contains("notice=risk-lapsed"));
    let (_, _, page) = app.get(&location(&h), Some(&writer)).await;
    assert!(page.contains(">Open<"));
    assert!(!page.contains("id=\"accept-form\"") && page.contains("id=\"accept-manager-only\""));

    // The heat maps count it, each cell linking to the register filtered to it.
    let (_, _, page) = app.get("/o/alpha/risks", Some(&writer)).await;
    assert_eq!(svg_count(&page, "inherent", 4, 4), "1");
    assert_eq!(svg_count(&page, "residual", 3, 4), "1");
    assert!(page.contains("/o/alpha/risks?cell=inherent:4:4#register"));
    let (_, _, filtered) = app
        .get("/o/alpha/risks?cell=inherent:4:4", Some(&writer))
        .await;
    assert!(filtered.contains("data-code=\"R-0001\""));
    let (_, _, none) = app
        .get("/o/alpha/risks?cell=inherent:1:1", Some(&writer))
        .await;
    assert!(!none.contains("data-code=\"R-0001\""));
    // The export links carry the filter.
    let (_, _, f) = app
        .get("/o/alpha/risks?treatment=reduce&q=EWS", Some(&writer))
        .await;
    let f = f.replace("&#38;", "&").replace("&amp;", "&");
    assert!(f.contains("/o/alpha/risks/export.csv?treatment=reduce&q=EWS"));
    assert!(f.contains("/o/alpha/risks/export.xlsx?treatment=reduce&q=EWS"));
    assert!(f.contains("/o/alpha/risks?treatment=reduce&q=EWS&cell=inherent:4:4#register"));
    // A bad filter names the parameter.
    let (st, _, _) = app.get("/o/alpha/risks?cell=sideways", Some(&writer)).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);

    // The API sees the same register.
    let (st, _, list) = app.api(Method::GET, "/api/v1/risks", &writer, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list["total"], 1);
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(list["items"][0]["level"]["id"], "high");
    assert_eq!(list["items"][0]["inherent"]["level"]["id"], "critical");
    assert_eq!(
        list["items"][0]["inherent"]["driving_categories"],
        json!(["production"])
    );

    // Create, read, change and delete through the API.
    let (st, h, created) = app
        .api(Method::POST, "/api/v1/risks", &writer, Some(risk_json(&s)))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    assert_eq!(created["code"], "R-0002");
    let loc = location(&h);
    let (st, _, got) = app.api(Method::GET, &loc, &writer, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(got["triggers"], json!(["system_change", "incident"]));
    let mut patch = with(
        &risk_json(&s),
        json!({"title": "Ransomware via the vendor VPN"}),
    );
    patch["version"] = json!(1);
    let (st, _, changed) = app.api(Method::PATCH, &loc, &writer, Some(patch)).await;
    assert_eq!(st, StatusCode::OK, "{changed}");
    assert_eq!(changed["version"], 2);
    let (_, _, found) = app
        .api(
            Method::GET,
            "/api/v1/risks?q=vendor%20VPN&sort=code",
            &writer,
            None,
        )
        .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    // A contributor does not delete; a manager does.
    let (st, _, _) = app
        .api(Method::DELETE, &format!("{loc}?version=2"), &writer, None)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = app
        .api(Method::DELETE, &format!("{loc}?version=2"), &manager, None)
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _, _) = app.api(Method::GET, &loc, &writer, None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // An unknown asset tag is named on the form (422), and the input is kept.
    let (st, _, page) = app
        .post_form(
            "/o/alpha/risks",
            Some(&writer),
            &form.replace("EWS-01", "NO-SUCH-TAG"),
            true,
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("NO-SUCH-TAG") && page.contains("EWS ransomware"));
    // A detailed risk without zones or assets names the field.
    let (st, _, p) = app
        .api(
            Method::POST,
            "/api/v1/risks",
            &writer,
            Some(with(&risk_json(&s), json!({"zone_ids": []}))),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "zone_ids");
    // Bad JSON is a 400, never a 5xx.
    let (st, _, _) = app
        .api(
            Method::POST,
            "/api/v1/risks",
            &writer,
            Some(json!({"inherent": {"likelihood": 900}})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _, p) = app
        .api(
            Method::POST,
            "/api/v1/risks",
            &writer,
            Some(with(&risk_json(&s), json!({"title": "a\u{0}b"}))),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    // The first risk is still there.
    let (st, _, _) = app
        .api(Method::GET, &format!("/api/v1/risks/{id}"), &writer, None)
        .await;
    assert_eq!(st, StatusCode::OK);
    app.db.store.verify_trail().await.unwrap();
    app.db.cleanup().await;
}

#[tokio::test]
async fn acceptance_above_the_threshold_needs_a_manager() {
    let app = app().await;
    let s = seed(&app).await;
    let writer = app.who("kenji", &app.alpha, Some(Role::Contributor)).await;
    let manager = app.who("mgr", &app.alpha, Some(Role::CsmsManager)).await;
    // Accepted as it is: the level in force is the inherent critical.
    let accepted_as_is = with(
        &risk_json(&s),
        json!({"treatment": "accept", "residual": null, "planned_controls": ""}),
    );
    let (st, _, r) = app
        .api(Method::POST, "/api/v1/risks", &writer, Some(accepted_as_is))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let id = r["id"].as_str().unwrap().to_owned();
    let accept = format!("/api/v1/risks/{id}/accept");
    let (st, _, p) = app
        .api(
            Method::POST,
            &accept,
            &writer,
            Some(json!({"version": 1, "reason": "cheap enough"})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(p["detail"].as_str().unwrap().contains("tolerable"), "{p}");
    // The page says so too, and offers no accept form to the contributor.
    let (_, _, page) = app
        .get(&format!("/o/alpha/risks/{id}"), Some(&writer))
        .await;
    assert!(page.contains("id=\"accept-manager-only\"") && !page.contains("id=\"accept-form\""));
    let (st, _, page) = app
        .post_form(
            &format!("/o/alpha/risks/{id}/accept"),
            Some(&writer),
            "version=1&reason=cheap",
            true,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(page.contains("tolerable"));
    // A reason is required.
    let (st, _, p) = app
        .api(
            Method::POST,
            &accept,
            &manager,
            Some(json!({"version": 1, "reason": "  "})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "reason");
    // The manager accepts through the page.
    let (_, _, page) = app
        .get(&format!("/o/alpha/risks/{id}"), Some(&manager))
        .await;
    assert!(page.contains("id=\"accept-form\""));
    let (st, h, _) = app
        .post_form(
            &format!("/o/alpha/risks/{id}/accept"),
            Some(&manager),
            "version=1&reason=budgeted+for+FY2027",
            true,
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(location(&h).contains("notice=risk-accepted"));
    let (_, _, r) = app
        .api(Method::GET, &format!("/api/v1/risks/{id}"), &writer, None)
        .await;
    assert_eq!(r["status"], "accepted");
    assert_eq!(r["acceptance"]["above_tolerable"], true);
    assert_eq!(r["acceptance"]["reason"], "budgeted for FY2027");
    // A contributor may not revoke; a manager may.
    let revoke = format!("/api/v1/risks/{id}/acceptance?version=2");
    let (st, _, _) = app.api(Method::DELETE, &revoke, &writer, None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, r) = app.api(Method::DELETE, &revoke, &manager, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(r["status"], "open");
    app.db.cleanup().await;
}

#[tokio::test]
async fn heat_maps_move_and_a_higher_level_clears_the_acceptance() {
    let app = app().await;
    let s = seed(&app).await;
    let writer = app.who("kenji", &app.alpha, Some(Role::Contributor)).await;
    let heat = |stage: &'static str| format!("/api/v1/risks/heatmap?stage={stage}");
    let (_, _, h) = app.api(Method::GET, &heat("inherent"), &writer, None).await;
    assert_eq!(cell_count(&h, 4, 4), 0);
    assert_eq!(h["cells"].as_array().unwrap().len(), 25);

    let (_, _, r) = app
        .api(Method::POST, "/api/v1/risks", &writer, Some(risk_json(&s)))
        .await;
    let id = r["id"].as_str().unwrap().to_owned();
    let (_, _, h) = app.api(Method::GET, &heat("inherent"), &writer, None).await;
    assert_eq!(cell_count(&h, 4, 4), 1);
    let (_, _, h) = app.api(Method::GET, &heat("residual"), &writer, None).await;
    assert_eq!(cell_count(&h, 2, 3), 1);
    // The heat map honours the register's filters.
    let (_, _, h) = app
        .api(
            Method::GET,
            &format!("{}&treatment=avoid", heat("inherent")),
            &writer,
            None,
        )
        .await;
    assert_eq!(cell_count(&h, 4, 4), 0);
    let (st, _, _) = app
        .api(
            Method::GET,
            "/api/v1/risks/heatmap?stage=sideways",
            &writer,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);

    // A contributor accepts the medium residual.
    let (st, _, r) = app
        .api(
            Method::POST,
            &format!("/api/v1/risks/{id}/accept"),
            &writer,
            Some(json!({"version": 1, "reason": "within the tolerable threshold"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["acceptance"]["above_tolerable"], false);

    // Raising the residual to high moves the residual heat map and clears the acceptance.
    let mut patch = with(
        &risk_json(&s),
        json!({"residual": {"likelihood": 3, "consequences": {"production": 4}}}),
    );
    patch["version"] = json!(2);
    let (st, _, r) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/risks/{id}"),
            &writer,
            Some(patch),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["level"]["id"], "high");
    assert!(r["acceptance"].is_null());
    assert_eq!(r["status"], "open");
    let (_, _, h) = app.api(Method::GET, &heat("residual"), &writer, None).await;
    assert_eq!(cell_count(&h, 2, 3), 0);
    assert_eq!(cell_count(&h, 3, 4), 1);
    let (_, _, page) = app.get("/o/alpha/risks", Some(&writer)).await;
    assert_eq!(svg_count(&page, "residual", 3, 4), "1");
    assert_eq!(svg_count(&page, "residual", 2, 3), "0");
    // The trail says the acceptance lapsed.
    let trail = app
        .db
        .store
        .trail(
            app.alpha.id,
            &csms_store::trail::TrailQuery {
                entity_kind: Some("risk".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(trail.iter().any(|t| t.diff.get("note").is_some()));
    app.db.cleanup().await;
}

#[tokio::test]
async fn stale_versions_other_organizations_and_viewers_are_refused() {
    let app = app().await;
    let s = seed(&app).await;
    let writer = app.who("kenji", &app.alpha, Some(Role::Contributor)).await;
    let viewer = app.who("view", &app.alpha, Some(Role::Viewer)).await;
    let stranger = app.who("beta-admin", &app.beta, Some(Role::Admin)).await;
    let (_, _, r) = app
        .api(Method::POST, "/api/v1/risks", &writer, Some(risk_json(&s)))
        .await;
    let id = r["id"].as_str().unwrap().to_owned();

    // Stale version: 409 from the API, and the form page keeps the input.
    let mut patch = with(&risk_json(&s), json!({"title": "first"}));
    patch["version"] = json!(1);
    let (st, _, _) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/risks/{id}"),
            &writer,
            Some(patch.clone()),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _, p) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/risks/{id}"),
            &writer,
            Some(patch),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(p["current_version"], 2);
    let form = format!(
        "title=My+stale+title&kind=detailed&zone_ids={}&threat_source=insider&inherent_likelihood=3&inherent_c_production=3\
         &treatment=reduce&planned_controls=x&residual_likelihood=1&residual_c_production=1&version=1",
        s.zone
    );
    let (st, _, page) = app
        .post_form(&format!("/o/alpha/risks/{id}"), Some(&writer), &form, true)
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(page.contains("My stale title"));
    let (st, _, _) = app
        .api(
            Method::DELETE,
            &format!("/api/v1/risks/{id}?version=1"),
            &app.who("mgr", &app.alpha, Some(Role::CsmsManager)).await,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);

    // Another organization sees nothing of it.
    let (st, _, _) = app
        .api(Method::GET, &format!("/api/v1/risks/{id}"), &stranger, None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, _, list) = app.api(Method::GET, "/api/v1/risks", &stranger, None).await;
    assert_eq!(list["total"], 0);
    let mut patch = risk_json(&s);
    patch["version"] = json!(2);
    let (st, _, _) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/risks/{id}"),
            &stranger,
            Some(patch),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _, _) = app
        .get(&format!("/o/alpha/risks/{id}"), Some(&stranger))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _, _) = app
        .get(&format!("/o/beta/risks/{id}"), Some(&stranger))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // A beta risk cannot name alpha's zone.
    let (st, _, p) = app
        .api(
            Method::POST,
            "/api/v1/risks",
            &stranger,
            Some(risk_json(&s)),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "system_id");

    // A viewer reads but does not write.
    let (st, _, _) = app.get("/o/alpha/risks", Some(&viewer)).await;
    assert_eq!(st, StatusCode::OK);
    let (_, _, page) = app
        .get(&format!("/o/alpha/risks/{id}"), Some(&viewer))
        .await;
    assert!(!page.contains("id=\"edit-risk\"") && !page.contains("id=\"accept-form\""));
    let (st, _, _) = app
        .api(Method::POST, "/api/v1/risks", &viewer, Some(risk_json(&s)))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = app
        .post_form("/o/alpha/risks", Some(&viewer), &form, true)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = app
        .api(
            Method::POST,
            &format!("/api/v1/risks/{id}/accept"),
            &viewer,
            Some(json!({"version": 2, "reason": "x"})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    app.db.cleanup().await;
}

/// The method form as the page posts it, from a method's JSON.
fn method_form(m: &Value, seq: i64, cells: &[Vec<&str>]) -> String {
    let mut f = vec![format!("expected_seq={seq}"), "note=stricter".to_owned()];
    for (p, key) in [("l", "likelihood"), ("c", "consequence")] {
        let steps = m[key]["steps"].as_array().unwrap();
        f.push(format!("{p}_n={}", steps.len()));
        for (i, s) in steps.iter().enumerate() {
            for (suffix, field) in [
                ("ja", "label_ja"),
                ("en", "label_en"),
                ("dja", "description_ja"),
                ("den", "description_en"),
            ] {
                f.push(format!(
                    "{p}_{}_{suffix}={}",
                    i + 1,
                    urlencode(s[field].as_str().unwrap())
                ));
            }
        }
    }
    for (p, key) in [("cat", "categories"), ("lv", "levels")] {
        for (i, c) in m[key].as_array().unwrap().iter().enumerate() {
            f.push(format!("{p}_{i}_id={}", c["id"].as_str().unwrap()));
            f.push(format!(
                "{p}_{i}_ja={}",
                urlencode(c["label_ja"].as_str().unwrap())
            ));
            f.push(format!(
                "{p}_{i}_en={}",
                urlencode(c["label_en"].as_str().unwrap())
            ));
        }
    }
    for (l, row) in cells.iter().enumerate() {
        for (c, id) in row.iter().enumerate() {
            f.push(format!("cell_{}_{}={id}", l + 1, c + 1));
        }
    }
    f.push("tolerable=low".to_owned());
    f.join("&")
}

#[tokio::test]
async fn the_method_page_checks_the_matrix_and_risks_keep_their_labels() {
    let app = app().await;
    let s = seed(&app).await;
    let manager = app.who("mgr", &app.alpha, Some(Role::CsmsManager)).await;
    let writer = app.who("kenji", &app.alpha, Some(Role::Contributor)).await;
    let (_, _, r) = app
        .api(Method::POST, "/api/v1/risks", &writer, Some(risk_json(&s)))
        .await;
    let id = r["id"].as_str().unwrap().to_owned();
    let (st, _, page) = app.get("/o/alpha/risks/method", Some(&writer)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        !page.contains("id=\"method-form\""),
        "only managers edit the method"
    );
    let (_, _, page) = app.get("/o/alpha/risks/method", Some(&manager)).await;
    assert!(page.contains("id=\"method-form\""));
    let (_, _, m) = app
        .api(Method::GET, "/api/v1/risk-method", &manager, None)
        .await;
    assert_eq!(m["seq"], 0);

    // A matrix where likelihood 2 gives a lower level than likelihood 1 is refused, naming the
    // cell, and the input is kept.
    let mut cells: Vec<Vec<&str>> = vec![
        vec!["low", "low", "low", "medium", "high"],
        vec!["low", "low", "medium", "medium", "high"],
        vec!["low", "medium", "medium", "high", "critical"],
        vec!["medium", "medium", "high", "critical", "critical"],
        vec!["medium", "high", "critical", "critical", "critical"],
    ];
    cells[1][3] = "low";
    let (st, _, page) = app
        .post_form(
            "/o/alpha/risks/method",
            Some(&manager),
            &method_form(&m["method"], 0, &cells),
            true,
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("likelihood 2 and consequence 4"),
        "the message names the cell"
    );
    assert!(page.contains("stricter"), "the note is kept");
    // The same through the API.
    let mut bad = m["method"].clone();
    bad["cells"][1][3] = json!(0);
    let (st, _, p) = app
        .api(
            Method::PUT,
            "/api/v1/risk-method",
            &manager,
            Some(json!({"expected_seq": 0, "method": bad})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "cells");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("likelihood 2 and consequence 4")
    );

    // A valid change with renamed levels, saved through the page.
    cells[1][3] = "medium";
    let form = method_form(&m["method"], 0, &cells)
        .replace("lv_2_en=High", "lv_2_en=Serious")
        .replace("lv_1_en=Medium", "lv_1_en=Elevated");
    let (st, h, _) = app
        .post_form("/o/alpha/risks/method", Some(&manager), &form, true)
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{}", location(&h));
    let (_, _, m2) = app
        .api(Method::GET, "/api/v1/risk-method", &manager, None)
        .await;
    assert_eq!(m2["seq"], 1);
    assert_eq!(m2["method"]["tolerable"], 0);
    // A stale expected_seq conflicts.
    let (st, _, _) = app
        .api(
            Method::PUT,
            "/api/v1/risk-method",
            &manager,
            Some(json!({"expected_seq": 0, "method": m["method"]})),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    // A contributor does not change the method.
    let (st, _, _) = app
        .api(
            Method::PUT,
            "/api/v1/risk-method",
            &writer,
            Some(json!({"expected_seq": 1, "method": m["method"]})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // The risk keeps the labels of the method that scored it.
    let (_, _, page) = app
        .get(&format!("/o/alpha/risks/{id}"), Some(&writer))
        .await;
    assert!(page.contains("id=\"earlier-method\""));
    assert!(
        page.contains(">Medium<") && !page.contains(">Elevated<"),
        "old label kept"
    );
    let (_, _, r) = app
        .api(Method::GET, &format!("/api/v1/risks/{id}"), &writer, None)
        .await;
    assert_eq!(r["current_method"], false);
    assert_eq!(r["level"]["label_en"], "Medium");
    // It cannot be accepted until rescored.
    let (st, _, p) = app
        .api(
            Method::POST,
            &format!("/api/v1/risks/{id}/accept"),
            &manager,
            Some(json!({"version": 1, "reason": "ok"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "method");
    // Saving it again rescores it with the new labels.
    let mut patch = risk_json(&s);
    patch["version"] = json!(1);
    let (_, _, r) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/risks/{id}"),
            &writer,
            Some(patch),
        )
        .await;
    assert_eq!(r["current_method"], true);
    assert_eq!(r["level"]["label_en"], "Elevated");
    app.db.cleanup().await;
}

#[tokio::test]
async fn the_dashboard_summarizes_the_register() {
    let app = app().await;
    let s = seed(&app).await;
    let writer = app.who("kenji", &app.alpha, Some(Role::Contributor)).await;
    let (_, _, page) = app.get("/o/alpha/", Some(&writer)).await;
    assert!(page.contains("id=\"risk-summary\""));
    // Critical, accepted as it is (above the threshold, open); and one due for review.
    let as_is = with(
        &risk_json(&s),
        json!({"treatment": "accept", "residual": null, "planned_controls": "", "review_date": "2020-01-31"}),
    );
    let (st, _, _) = app
        .api(Method::POST, "/api/v1/risks", &writer, Some(as_is))
        .await;
    assert_eq!(st, StatusCode::CREATED);
    app.api(Method::POST, "/api/v1/risks", &writer, Some(risk_json(&s)))
        .await;
    let (_, _, page) = app.get("/o/alpha/", Some(&writer)).await;
    let num = |id: &str| {
        let at = page.find(&format!("id=\"{id}\">")).unwrap() + id.len() + 6;
        page[at..].split('<').next().unwrap().to_owned()
    };
    assert_eq!(num("risk-open-above"), "1");
    assert_eq!(num("risk-reviews-due"), "1");
    assert!(page.contains("Critical 1") && page.contains("Medium 1"));
    app.db.cleanup().await;
}
