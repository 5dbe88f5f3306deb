//! The risk register's exports, the SL-T proposed from risk (62443-3-2 ZCR 5) and a zone's
//! Cybersecurity Requirements Specification (ZCR 6), over HTTP.

use axum::http::{StatusCode, header};
use csms_domain::assessment::{Outcome, ResultInput};
use csms_domain::auth::Role;
use csms_domain::inventory::{AssetType, NewAsset, NewZone, Zone};
use csms_domain::register::{NewRisk, RatingInput, RiskKind, Treatment, validate_risk};
use csms_domain::zone::SlVector;
use csms_store::assessment::{NewAssessment, ResultChange};

mod common;
use common::*;

/// A zone with one asset, and a risk of the zone at the given inherent rating.
async fn zone_with_risk(app: &App, name: &str, likelihood: u8, consequence: u8) -> Zone {
    let store = &app.db.store;
    let org = app.alpha.id;
    let zone = store
        .create_zone(
            &cli(),
            org,
            NewZone {
                name: name.into(),
                description: format!("{name} の説明"),
                sl_t: SlVector::new([2, 2, 2, 2, 2, 2, 2]).unwrap(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    store
        .create_asset(
            &cli(),
            org,
            NewAsset {
                asset_tag: format!("{name}-PLC"),
                name: "反応器 PLC".into(),
                asset_type: AssetType::Plc,
                zone_id: Some(zone.id),
                sl_c: Some(SlVector::new([1, 1, 1, 1, 1, 1, 1]).unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let method = store.risk_method(org).await.unwrap().method;
    let scored = validate_risk(
        &method,
        NewRisk {
            title: format!("=cmd|' /C calc'!A0 {name}"),
            kind: RiskKind::Detailed,
            zone_ids: vec![zone.id],
            threat_source: "犯罪組織".into(),
            inherent: RatingInput {
                likelihood,
                consequences: [("production".to_owned(), consequence)].into(),
            },
            treatment: Treatment::Accept,
            ..Default::default()
        },
    )
    .unwrap();
    store.create_risk(&cli(), org, scored).await.unwrap();
    zone
}

/// A file from the API with the caller's token: status and headers.
async fn download(app: &App, path: &str, who: &Who) -> (StatusCode, axum::http::HeaderMap, String) {
    let req = axum::http::Request::get(path)
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", who.token.clone().unwrap()),
        )
        .body(axum::body::Body::empty())
        .unwrap();
    app.send(req).await
}

fn field<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let rest = &page[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest[open..].find('<').unwrap();
    &rest[open..open + close]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_register_exports_as_filtered() {
    let app = app().await;
    let viewer = app.who("viewer", &app.alpha, Some(Role::Viewer)).await;
    let outsider = app.who("outsider", &app.beta, Some(Role::Admin)).await;
    let a = zone_with_risk(&app, "ZA", 4, 5).await;
    zone_with_risk(&app, "ZB", 1, 1).await;

    let (s, h, csv) = app.get("/o/alpha/risks/export.csv", Some(&viewer)).await;
    assert_eq!(s, StatusCode::OK, "{csv}");
    assert!(
        h[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"alpha-risks-")
    );
    assert!(csv.starts_with('\u{FEFF}'));
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{csv}");
    // Sorted by level: the critical risk first; its formula-like title neutralized.
    assert!(lines[1].starts_with("R-0001,'=cmd"), "{}", lines[1]);
    assert!(lines[1].contains("ZA"));

    let (s, _, csv) = app
        .get(
            &format!("/o/alpha/risks/export.csv?zone_id={}", a.id),
            Some(&viewer),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(csv.split("\r\n").filter(|l| !l.is_empty()).count(), 2);

    let (s, _, _) = app
        .get(
            "/o/alpha/risks/export.csv?min_level=nonsense",
            Some(&viewer),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let (s, h, body) = app.get("/o/alpha/risks/export.xlsx", Some(&viewer)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        h[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(body.starts_with("PK"));

    let (s, _, body) = app.get("/o/alpha/risks/export.csv", Some(&outsider)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!body.contains("ZA"));
    app.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sl_t_is_recorded_against_the_proposal_from_risk() {
    let app = app().await;
    let writer = app.who("writer", &app.alpha, Some(Role::Contributor)).await;
    let viewer = app.who("viewer", &app.alpha, Some(Role::Viewer)).await;
    // Likely × catastrophic in the default 5×5: critical, the highest level → SL 4.
    let zone = zone_with_risk(&app, "ZC", 4, 5).await;
    let path = format!("/o/alpha/zones/{}/propose", zone.id);

    let (s, _, page) = app.get(&path, Some(&viewer)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(field(&page, "proposal-vector"), "SL-T(4,4,4,4,4,4,4)");
    assert!(
        !page.contains("id=\"proposal-adopt\""),
        "a viewer cannot record"
    );
    let (s, _, _) = app.post_form(&path, Some(&viewer), "", true).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The zone page's button posts only the version: the proposal is shown.
    let (s, _, page) = app.post_form(&path, Some(&writer), "version=1", true).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"proposal-adopt\""));

    // Differing from the proposal without a reason is refused, naming the justification.
    let levels = "fr1=4&fr2=4&fr3=3&fr4=2&fr5=4&fr6=2&fr7=4";
    let (s, _, page) = app
        .post_form(
            &path,
            Some(&writer),
            &format!("version=1&proposal=4,4,4,4,4,4,4&{levels}&justification="),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let stored = app.db.store.zone(app.alpha.id, zone.id).await.unwrap();
    assert_eq!(stored.version, 1, "nothing stored");

    // A proposal that moved since the page was shown is refused.
    let (s, _, _) = app
        .post_form(
            &path,
            Some(&writer),
            &format!("version=1&proposal=3,3,3,3,3,3,3&{levels}&justification=x"),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    let (s, _, _) = app
        .post_form(
            &path,
            Some(&writer),
            &format!(
                "version=1&proposal=4,4,4,4,4,4,4&{levels}&justification={}",
                urlencode("FR3/FR4/FR6 は制御機能の冗長化で補う")
            ),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let stored = app.db.store.zone(app.alpha.id, zone.id).await.unwrap();
    assert_eq!(stored.sl_t.to_string(), "4,4,3,2,4,2,4");
    assert_eq!(
        stored.sl_t_proposed.map(|p| p.to_string()).as_deref(),
        Some("4,4,4,4,4,4,4")
    );
    assert_eq!(stored.overrides().len(), 3);

    // A stale version conflicts; adopting the proposal sets every FR to it.
    let (s, _, _) = app
        .post_form(
            &path,
            Some(&writer),
            "version=1&proposal=4,4,4,4,4,4,4&adopt=1&justification=",
            true,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _, _) = app
        .post_form(
            &path,
            Some(&writer),
            "version=2&proposal=4,4,4,4,4,4,4&adopt=1&justification=",
            true,
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let stored = app.db.store.zone(app.alpha.id, zone.id).await.unwrap();
    assert_eq!(stored.sl_t.to_string(), "4,4,4,4,4,4,4");
    assert!(stored.overrides().is_empty());
    app.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zone_crs_lists_what_applies_at_its_sl_t() {
    let app = app().await;
    let viewer = app.who("viewer", &app.alpha, Some(Role::Viewer)).await;
    let outsider = app.who("outsider", &app.beta, Some(Role::Admin)).await;
    let zone = zone_with_risk(&app, "ZD", 2, 2).await;
    let path = format!("/o/alpha/zones/{}/crs", zone.id);

    // Without an assessment: the requirements at SL-T 2, not assessed.
    let (s, _, page) = app.get(&path, Some(&viewer)).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("data-ref=\"SR 1.1\""));
    assert!(
        page.contains("data-ref=\"SR 1.1 RE 1\""),
        "applies from SL 2"
    );
    assert!(
        !page.contains("data-ref=\"SR 1.1 RE 2\""),
        "applies from SL 3"
    );
    assert!(page.contains("ZD-PLC"));

    // With the zone's 62443-3-3 assessment: statuses come from its results.
    let store = &app.db.store;
    let a = store
        .create_zone_assessment(
            &cli(),
            app.alpha.id,
            NewAssessment {
                framework_id: "iec62443-3-3-2013".into(),
                title: "ZD SL 評価".into(),
                ..Default::default()
            },
            Some(zone.id),
            &["SR 1.1".to_string(), "SR 1.1 RE 1".to_string()],
        )
        .await
        .unwrap();
    store
        .set_results(
            &cli(),
            app.alpha.id,
            a.id,
            vec![ResultChange {
                node_ref: "SR 1.1".into(),
                version: 1,
                outcome: Outcome::Conformant,
                input: ResultInput {
                    outcome: Some(Outcome::Conformant),
                    ..Default::default()
                },
            }],
        )
        .await
        .unwrap();
    let (_, _, page) = app.get(&path, Some(&viewer)).await;
    let row = |r: &str| {
        let start = page.find(&format!("data-ref=\"{r}\"")).unwrap();
        page[start..start + page[start..].find("</tr>").unwrap()].to_owned()
    };
    assert!(row("SR 1.1").contains("badge ok"), "{}", row("SR 1.1"));
    assert!(row("SR 1.1 RE 1").contains("badge neutral"));
    assert!(page.contains("ZD SL 評価"));

    let (s, h, body) = app.get(&format!("{path}.xlsx"), Some(&viewer)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.starts_with("PK"));
    assert!(
        h[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("alpha-crs-")
    );

    let (s, _, body) = app.get(&path, Some(&outsider)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!body.contains("ZD"));
    app.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_exports_proposes_and_records() {
    use axum::http::Method;
    let app = app().await;
    let writer = app.who("writer", &app.alpha, Some(Role::Contributor)).await;
    let viewer = app.who("viewer", &app.alpha, Some(Role::Viewer)).await;
    let outsider = app.who("outsider", &app.beta, Some(Role::Admin)).await;
    let zone = zone_with_risk(&app, "ZE", 4, 5).await;

    let (s, h, _) = download(&app, "/api/v1/risks/export?format=xlsx", &viewer).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .ends_with(".xlsx\"")
    );
    let (s, _, body) = app
        .api(
            Method::GET,
            "/api/v1/risks/export?format=pdf",
            &viewer,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let path = format!("/api/v1/zones/{}/proposal", zone.id);
    let (s, _, p) = app.api(Method::GET, &path, &viewer, None).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["proposal"], "4,4,4,4,4,4,4");
    assert_eq!(p["worst_level"], "critical");
    assert_eq!(p["risks"].as_array().unwrap().len(), 1);

    let body = |proposal: &str, sl_t: Option<&str>, why: &str| {
        let mut b = serde_json::json!({"version": 1, "proposal": proposal, "justification": why});
        if let Some(s) = sl_t {
            b["sl_t"] = s.into();
        }
        Some(b)
    };
    let (s, _, _) = app
        .api(
            Method::POST,
            &path,
            &viewer,
            body("4,4,4,4,4,4,4", None, ""),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, e) = app
        .api(
            Method::POST,
            &path,
            &writer,
            body("1,1,1,1,1,1,1", None, ""),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let (s, _, e) = app
        .api(
            Method::POST,
            &path,
            &writer,
            body("4,4,4,4,4,4,4", Some("4,4,4,4,4,4,9"), ""),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, _, e) = app
        .api(
            Method::POST,
            &path,
            &writer,
            body("4,4,4,4,4,4,4", Some("3,4,4,4,4,4,4"), ""),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, _, z) = app
        .api(
            Method::POST,
            &path,
            &writer,
            body("4,4,4,4,4,4,4", None, ""),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{z}");
    assert_eq!(z["sl_t"], "4,4,4,4,4,4,4");
    assert_eq!(z["version"], 2);

    let (s, _, _) = app.api(Method::GET, &path, &outsider, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = download(
        &app,
        &format!("/api/v1/zones/{}/crs.xlsx", zone.id),
        &viewer,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    app.db.cleanup().await;
}
