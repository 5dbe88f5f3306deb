//! The controls register over HTTP: pages and API (issue 6, item 1).

mod common;

use axum::http::{Method, StatusCode, header};
use common::*;
use csms_domain::auth::Role;
use csms_domain::inventory::{AssetType, NewAsset, NewSystem, NewZone};
use csms_domain::soa::{Applicability, ImplStatus, ItemDecision, ReasonKind};
use csms_domain::zone::SlVector;
use serde_json::{Value, json};

struct Seed {
    control_zone: String,
    dmz: String,
    beta_zone: String,
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
    let zone = |name: &str| NewZone {
        name: name.into(),
        system_id: Some(system.id),
        sl_t: SlVector::parse("2,2,1,1,2,1,2").unwrap(),
        ..Default::default()
    };
    let control_zone = store
        .create_zone(&cli(), app.alpha.id, zone("Control"))
        .await
        .unwrap();
    let dmz = store
        .create_zone(&cli(), app.alpha.id, zone("Plant DMZ"))
        .await
        .unwrap();
    store
        .create_asset(
            &cli(),
            app.alpha.id,
            NewAsset {
                asset_tag: "EWS-01".into(),
                asset_type: AssetType::EngineeringWorkstation,
                zone_id: Some(control_zone.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let beta_zone = store
        .create_zone(
            &cli(),
            app.beta.id,
            NewZone {
                name: "Beta cell".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    Seed {
        control_zone: control_zone.id.to_string(),
        dmz: dmz.id.to_string(),
        beta_zone: beta_zone.id.to_string(),
    }
}

fn location(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn control_json(s: &Seed) -> Value {
    json!({
        "title": "Vendor remote access only through the DMZ jump server",
        "description": "MFA and session recording on the jump server",
        "status": "planned",
        "due_date": "2027-03-31",
        "requirements": [{"framework": "jipdec-csms-2010", "node_ref": "5.4.2"}],
        "zone_ids": [s.dmz]
    })
}

/// Whether the form marks the wrapper of the field with `field_id` invalid and shows the
/// error message inside it, next to the field.
fn has_error_next_to(page: &str, field_id: &str) -> bool {
    page.split("class=\"field invalid\"").skip(1).any(|rest| {
        let field = &rest[..rest.find("</div>").unwrap_or(rest.len())];
        field.contains(&format!("id=\"{field_id}\"")) && field.contains("class=\"ctl-field-error\"")
    })
}

#[tokio::test]
async fn the_page_lifecycle_create_edit_stale_delete() {
    let app = app().await;
    let s = seed(&app).await;
    let writer = app.who("kenji", &app.alpha, Some(Role::Contributor)).await;
    let manager = app.who("mgr", &app.alpha, Some(Role::CsmsManager)).await;

    let (st, _, page) = app.get("/o/alpha/controls", Some(&writer)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("id=\"new-control\""));
    let (st, _, form) = app.get("/o/alpha/controls/new", Some(&writer)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(form.contains("Plant DMZ") && form.contains("jipdec-csms-2010"));

    // A planned control without a due date: 422, the error next to the due date field, and
    // what was typed is kept.
    let base = format!(
        "title={}&description=MFA&status=planned&requirements={}&zone_ids={}&zone_ids={}&asset_tags=EWS-01&version=0",
        urlencode("USB ports disabled; media scanned at the kiosk"),
        urlencode("jipdec-csms-2010:5.4.2\niec62443-2-1:SPE 1"),
        s.control_zone,
        s.dmz
    );
    let (st, _, page) = app
        .post_form("/o/alpha/controls", Some(&writer), &base, true)
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has_error_next_to(&page, "due_date"), "{page}");
    assert!(page.contains("USB ports disabled"));
    // An unknown requirement ref is refused naming it.
    let bad_ref = format!("{base}&due_date=2027-03-31").replace(
        &urlencode("iec62443-2-1:SPE 1"),
        &urlencode("jipdec-csms-2010:9.9.9"),
    );
    let (st, _, page) = app
        .post_form("/o/alpha/controls", Some(&writer), &bad_ref, true)
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has_error_next_to(&page, "requirements"));
    assert!(page.contains("9.9.9"), "the message names the unknown ref");
    // An unknown asset tag is named.
    let bad_tag = format!("{base}&due_date=2027-03-31").replace("EWS-01", "NOPE-9");
    let (st, _, page) = app
        .post_form("/o/alpha/controls", Some(&writer), &bad_tag, true)
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("NOPE-9"));
    assert!(
        app.db
            .store
            .controls(app.alpha.id)
            .await
            .unwrap()
            .is_empty()
    );

    // Recorded.
    let good =
        format!("{base}&due_date=2027-03-31").replace(&urlencode("\niec62443-2-1:SPE 1"), "");
    let (st, h, _) = app
        .post_form("/o/alpha/controls", Some(&writer), &good, true)
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let url = location(&h);
    assert!(url.contains("notice=control-created"), "{url}");
    let (st, _, page) = app.get(&url, Some(&writer)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("C-0001") && page.contains("EWS-01"));
    assert!(page.contains("Control") && page.contains("Plant DMZ"));
    assert!(page.contains("jipdec-csms-2010:5.4.2"));
    assert!(
        !page.contains("id=\"control-delete\""),
        "contributors do not delete"
    );
    let path = url.split('?').next().unwrap().to_owned();
    let id: csms_domain::Uuid = path.rsplit('/').next().unwrap().parse().unwrap();

    // The list counts it and filters find it (and not with another zone or status).
    let (_, _, list) = app.get("/o/alpha/controls", Some(&writer)).await;
    assert!(list.contains("data-code=\"C-0001\""));
    let (_, _, list) = app
        .get(
            &format!("/o/alpha/controls?zone_id={}&status=planned", s.dmz),
            Some(&writer),
        )
        .await;
    assert!(list.contains("data-code=\"C-0001\""));
    let (_, _, list) = app
        .get("/o/alpha/controls?status=operating", Some(&writer))
        .await;
    assert!(!list.contains("data-code=\"C-0001\""));
    let (_, _, list) = app
        .get(
            &format!(
                "/o/alpha/controls?requirement={}",
                urlencode("jipdec-csms-2010:5.4.2")
            ),
            Some(&writer),
        )
        .await;
    assert!(list.contains("data-code=\"C-0001\""));
    let (st, _, _) = app
        .get("/o/alpha/controls?status=sometimes", Some(&writer))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    // Both zones show the control (the common set of countermeasures).
    for z in [&s.control_zone, &s.dmz] {
        let zone_id: csms_domain::Uuid = z.parse().unwrap();
        let on_zone = app
            .db
            .store
            .zone_controls(app.alpha.id, zone_id)
            .await
            .unwrap();
        assert_eq!(on_zone.len(), 1);
    }

    // Edit: the form shows it as recorded; saving moves it to operating.
    let (st, _, edit) = app.get(&format!("{path}/edit"), Some(&writer)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(edit.contains(">EWS-01</textarea>"));
    assert!(edit.contains("jipdec-csms-2010:5.4.2</textarea>"));
    let operating = good
        .replace("status=planned", "status=operating")
        .replace("&due_date=2027-03-31", "");
    let (st, h, _) = app
        .post_form(
            &path,
            Some(&writer),
            &operating.replace("version=0", "version=1"),
            true,
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(location(&h).contains("notice=control-saved"));
    let (_, _, page) = app.get(&location(&h), Some(&writer)).await;
    assert!(page.contains(">Operating<"));

    // A stale version: 409 with a clear message, nothing changed.
    let (st, _, page) = app
        .post_form(
            &path,
            Some(&writer),
            &operating
                .replace("version=0", "version=1")
                .replace("USB%20ports", "Changed%20title"),
            true,
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(page.contains("version 2"), "{page}");
    assert!(page.contains("Changed title"), "what was typed is kept");
    assert_eq!(
        app.db
            .store
            .control(app.alpha.id, id)
            .await
            .unwrap()
            .version,
        2
    );

    // Delete: a contributor may not; a manager must confirm; a stale version is refused.
    let (st, _, _) = app
        .post_form(
            &format!("{path}/delete"),
            Some(&writer),
            "version=2&confirm=yes",
            true,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, _, page) = app.get(&path, Some(&manager)).await;
    assert!(page.contains("id=\"confirm-delete\""));
    let (st, _, _) = app
        .post_form(&format!("{path}/delete"), Some(&manager), "version=2", true)
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _, _) = app
        .post_form(
            &format!("{path}/delete"),
            Some(&manager),
            "version=1&confirm=yes",
            true,
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (st, h, _) = app
        .post_form(
            &format!("{path}/delete"),
            Some(&manager),
            "version=2&confirm=yes",
            true,
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(location(&h).contains("notice=control-deleted"));
    let (st, _, _) = app.get(&path, Some(&writer)).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let trail: Vec<String> = app
        .db
        .store
        .trail(
            app.alpha.id,
            &csms_store::trail::TrailQuery {
                entity_kind: Some("control".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(trail.len(), 3, "create, update, delete: {trail:?}");
}

#[tokio::test]
async fn a_control_cited_by_the_soa_is_kept_and_says_why() {
    let app = app().await;
    let s = seed(&app).await;
    let manager = app.who("mgr", &app.alpha, Some(Role::CsmsManager)).await;
    let (st, _, c) = app
        .api(
            Method::POST,
            "/api/v1/controls",
            &manager,
            Some(control_json(&s)),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let id = c["id"].as_str().unwrap().to_owned();
    let store = &app.db.store;
    let draft = store
        .start_soa_draft(&cli(), app.alpha.id, "jipdec-csms-2010", &["5.4.2".into()])
        .await
        .unwrap();
    let item = store.soa_items(app.alpha.id, draft.id).await.unwrap()[0].clone();
    store
        .update_soa_item(
            &cli(),
            app.alpha.id,
            item.id,
            item.version,
            ItemDecision {
                applicability: Applicability::Applicable,
                reasons: vec![ReasonKind::BusinessNeed],
                reason_text: "vendor remote maintenance".into(),
                status: ImplStatus::Planned,
                control_ids: vec![id.parse().unwrap()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // A document linked as evidence of the control.
    let doc = store
        .create_document(
            &cli(),
            app.alpha.id,
            csms_domain::document::NewDocument {
                title: "リモート保守手順書".into(),
                doc_type: csms_domain::document::DocType::Procedure,
                classification: csms_domain::document::default_classifications()[1].clone(),
                owner_id: None,
                review_months: 12,
                retention_months: 36,
            },
        )
        .await
        .unwrap();
    store
        .add_evidence_link(
            &cli(),
            app.alpha.id,
            doc.id,
            &csms_domain::document::EvidenceTarget::Control(id.parse().unwrap()),
        )
        .await
        .unwrap();
    let (_, _, page) = app
        .get(&format!("/o/alpha/controls/{id}"), Some(&manager))
        .await;
    let ev = &page[page.find("id=\"control-evidence\"").unwrap()..];
    assert!(
        ev.contains(&doc.code) && ev.contains("リモート保守手順書"),
        "{ev}"
    );
    assert!(ev.contains(&format!("/o/alpha/documents/{}", doc.id)));
    // The control's page lists the citing item.
    let (_, _, page) = app
        .get(&format!("/o/alpha/controls/{id}"), Some(&manager))
        .await;
    let soa = &page[page.find("id=\"control-soa\"").unwrap()..];
    assert!(soa.contains("5.4.2") && soa.contains("draft"), "{soa}");
    // Deleting through the page and the API is refused naming the item.
    let (st, _, page) = app
        .post_form(
            &format!("/o/alpha/controls/{id}/delete"),
            Some(&manager),
            "version=1&confirm=yes",
            true,
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(page.contains("5.4.2"), "{page}");
    let (st, _, p) = app
        .api(
            Method::DELETE,
            &format!("/api/v1/controls/{id}?version=1"),
            &manager,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(p["detail"].as_str().unwrap().contains("5.4.2"), "{p}");
    assert!(
        store
            .control(app.alpha.id, id.parse().unwrap())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn the_api_lifecycle() {
    let app = app().await;
    let s = seed(&app).await;
    let writer = app.who("kenji", &app.alpha, Some(Role::Contributor)).await;
    let manager = app.who("mgr", &app.alpha, Some(Role::CsmsManager)).await;

    let (st, h, c) = app
        .api(
            Method::POST,
            "/api/v1/controls",
            &writer,
            Some(control_json(&s)),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!(location(&h), format!("/api/v1/controls/{id}"));
    assert_eq!(c["code"], "C-0001");
    assert_eq!(c["version"], 1);
    assert_eq!(c["status"], "planned");
    assert_eq!(c["due_date"], "2027-03-31");
    assert_eq!(c["zone_ids"], json!([s.dmz]));
    assert_eq!(
        c["requirements"],
        json!([{"framework": "jipdec-csms-2010", "node_ref": "5.4.2"}])
    );

    let (st, h, got) = app
        .api(
            Method::GET,
            &format!("/api/v1/controls/{id}"),
            &writer,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(got, c);
    assert_eq!(h.get(header::ETAG).unwrap(), "\"1\"");

    // List with filters.
    let (_, _, list) = app
        .api(Method::GET, "/api/v1/controls", &writer, None)
        .await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id.as_str());
    let (_, _, list) = app
        .api(
            Method::GET,
            &format!("/api/v1/controls?zone_id={}", s.control_zone),
            &writer,
            None,
        )
        .await;
    assert_eq!(list["items"], json!([]));
    assert_eq!(list["total"], 1);
    let (st, _, p) = app
        .api(
            Method::GET,
            "/api/v1/controls?requirement=nocolon",
            &writer,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "requirement");

    // PUT with the version in the body; then with If-Match.
    let mut body = control_json(&s);
    body["status"] = json!("operating");
    body["due_date"] = Value::Null;
    body["zone_ids"] = json!([s.dmz, s.control_zone]);
    body["version"] = json!(1);
    let (st, _, v2) = app
        .api(
            Method::PUT,
            &format!("/api/v1/controls/{id}"),
            &writer,
            Some(body.clone()),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v2}");
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["status"], "operating");
    assert_eq!(v2["zone_ids"].as_array().unwrap().len(), 2);
    // Stale: 409 with the current version.
    let (st, _, p) = app
        .api(
            Method::PUT,
            &format!("/api/v1/controls/{id}"),
            &writer,
            Some(body.clone()),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(p["current_version"], 2);
    // If-Match carries the version when the body has none.
    body.as_object_mut().unwrap().remove("version");
    body["title"] = json!("Jump server with MFA and recording");
    let req = axum::http::Request::builder()
        .method(Method::PUT)
        .uri(format!("/api/v1/controls/{id}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", writer.token.clone().unwrap()),
        )
        .header(header::IF_MATCH, "\"2\"")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let (st, h, text) = app.send(req).await;
    assert_eq!(st, StatusCode::OK, "{text}");
    assert_eq!(h.get(header::ETAG).unwrap(), "\"3\"");
    // Without any version: 400 saying how to give it.
    let (st, _, p) = app
        .api(
            Method::PUT,
            &format!("/api/v1/controls/{id}"),
            &writer,
            Some(body.clone()),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(p["detail"].as_str().unwrap().contains("If-Match"));

    // Delete: a contributor may not; a manager with a stale version gets 409; then 204.
    let (st, _, _) = app
        .api(
            Method::DELETE,
            &format!("/api/v1/controls/{id}?version=3"),
            &writer,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = app
        .api(
            Method::DELETE,
            &format!("/api/v1/controls/{id}?version=2"),
            &manager,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (st, _, _) = app
        .api(
            Method::DELETE,
            &format!("/api/v1/controls/{id}?version=3"),
            &manager,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _, p) = app
        .api(
            Method::GET,
            &format!("/api/v1/controls/{id}"),
            &writer,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{p}");
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let app = app().await;
    let s = seed(&app).await;
    let writer = app.who("kenji", &app.alpha, Some(Role::Contributor)).await;
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"title": "  "}), "title", "title"),
        (json!({"due_date": null}), "due_date", "due date"),
        (json!({"due_date": "31/03/2027"}), "due_date", "YYYY-MM-DD"),
        (json!({"status": "someday"}), "status", "someday"),
        (
            json!({"requirements": [{"framework": "no-such-framework", "node_ref": "1"}]}),
            "requirements",
            "no-such-framework",
        ),
        (
            json!({"requirements": [{"framework": "jipdec-csms-2010", "node_ref": "9.9.9"}]}),
            "requirements",
            "9.9.9",
        ),
        (
            json!({"zone_ids": [s.beta_zone]}),
            "zone_ids",
            "organization",
        ),
        (
            json!({"risk_ids": [csms_domain::Uuid::now_v7().to_string()]}),
            "risk_ids",
            "organization",
        ),
    ];
    for (patch, field, says) in cases {
        let mut body = control_json(&s);
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (st, _, p) = app
            .api(
                Method::POST,
                "/api/v1/controls",
                &writer,
                Some(body.clone()),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {p}");
        assert_eq!(p["field"], field, "{body}: {p}");
        assert!(
            p["detail"].as_str().unwrap().contains(says),
            "{body}: the detail says {says}: {p}"
        );
    }
    // Malformed JSON is 400 with an example.
    let (st, _, p) = app
        .api_raw(
            Method::POST,
            "/api/v1/controls",
            &writer,
            "application/json",
            b"{not json".to_vec(),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{p}");
    assert!(
        app.db
            .store
            .controls(app.alpha.id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn readers_cannot_write_and_other_organizations_do_not_see() {
    let app = app().await;
    let s = seed(&app).await;
    let writer = app.who("kenji", &app.alpha, Some(Role::Contributor)).await;
    let (_, _, c) = app
        .api(
            Method::POST,
            "/api/v1/controls",
            &writer,
            Some(control_json(&s)),
        )
        .await;
    let id = c["id"].as_str().unwrap().to_owned();

    for role in [Role::Viewer, Role::Auditor] {
        let who = app
            .who(&format!("r-{}", role.as_str()), &app.alpha, Some(role))
            .await;
        // Reading is fine.
        let (st, _, page) = app.get("/o/alpha/controls", Some(&who)).await;
        assert_eq!(st, StatusCode::OK);
        assert!(!page.contains("id=\"new-control\""));
        let (st, _, page) = app
            .get(&format!("/o/alpha/controls/{id}"), Some(&who))
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(!page.contains("id=\"edit-control\""));
        let (st, _, _) = app
            .api(Method::GET, &format!("/api/v1/controls/{id}"), &who, None)
            .await;
        assert_eq!(st, StatusCode::OK);
        // Writing is not.
        let (st, _, _) = app.get("/o/alpha/controls/new", Some(&who)).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _, _) = app
            .post_form(
                "/o/alpha/controls",
                Some(&who),
                "title=x&status=operating&version=0",
                true,
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _, _) = app
            .post_form(
                &format!("/o/alpha/controls/{id}"),
                Some(&who),
                "title=x&status=operating&version=1",
                true,
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _, _) = app
            .api(
                Method::POST,
                "/api/v1/controls",
                &who,
                Some(control_json(&s)),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let mut body = control_json(&s);
        body["version"] = json!(1);
        let (st, _, _) = app
            .api(
                Method::PUT,
                &format!("/api/v1/controls/{id}"),
                &who,
                Some(body),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _, _) = app
            .api(
                Method::DELETE,
                &format!("/api/v1/controls/{id}?version=1"),
                &who,
                None,
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }

    // A member of beta (even its manager) gets 404 for alpha's control through beta.
    let beta = app.who("b-mgr", &app.beta, Some(Role::CsmsManager)).await;
    let (st, _, _) = app
        .api(Method::GET, &format!("/api/v1/controls/{id}"), &beta, None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let mut body = control_json(&s);
    body["version"] = json!(1);
    body["zone_ids"] = json!([]);
    let (st, _, _) = app
        .api(
            Method::PUT,
            &format!("/api/v1/controls/{id}"),
            &beta,
            Some(body),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _, _) = app
        .api(
            Method::DELETE,
            &format!("/api/v1/controls/{id}?version=1"),
            &beta,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _, _) = app
        .get(&format!("/o/beta/controls/{id}"), Some(&beta))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _, _) = app
        .get(&format!("/o/beta/controls/{id}/edit"), Some(&beta))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, _, list) = app.api(Method::GET, "/api/v1/controls", &beta, None).await;
    assert_eq!(list["total"], 0);
    // And beta is not a member of alpha: alpha's pages are closed to them.
    let (st, _, _) = app
        .get(&format!("/o/alpha/controls/{id}"), Some(&beta))
        .await;
    assert!(
        st == StatusCode::NOT_FOUND || st == StatusCode::FORBIDDEN,
        "{st}"
    );
    assert_eq!(
        app.db
            .store
            .control(app.alpha.id, id.parse().unwrap())
            .await
            .unwrap()
            .version,
        1
    );
}
