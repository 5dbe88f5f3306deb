//! The Statement of Applicability over HTTP: pages and API (issue 6). An approved version
//! answers every change with 409; approval with undecided items is 422 naming them and needs
//! a CSMS manager or an administrator; another organization sees nothing (404); the diff; and
//! the acceptance test: the XLSX downloaded over HTTP and read back with openpyxl.

mod common;

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use csms_domain::auth::Role;
use csms_domain::soa::{CandidateNode, JIPDEC, candidates};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The JIPDEC statement's items, from the shipped catalog and the domain's rule.
fn jipdec_refs() -> Vec<String> {
    let catalogs = csms_catalog::shipped().expect("the shipped catalogs parse");
    let c = catalogs
        .iter()
        .find(|c| c.framework.id == JIPDEC)
        .expect("the JIPDEC catalog ships");
    let kinds: Vec<String> = c
        .nodes
        .iter()
        .map(|n| {
            serde_json::to_value(n.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect();
    let nodes: Vec<CandidateNode<'_>> = c
        .nodes
        .iter()
        .zip(&kinds)
        .map(|(n, k)| CandidateNode {
            reference: &n.reference,
            parent: n.parent.as_deref(),
            kind: k,
            assessable: n.assessable,
        })
        .collect();
    let refs = candidates(JIPDEC, &nodes);
    assert!(refs.len() > 50, "clause 5 has its detailed controls");
    assert!(refs.iter().all(|r| r.starts_with("5.")));
    refs
}

/// The decision the tests make on the n-th item: every seventh excluded (with a
/// justification), the others applicable for a legal obligation or a business need.
fn decision(n: usize, node_ref: &str, version: i64) -> Value {
    if n % 7 == 3 {
        json!({"version": version, "applicability": "excluded",
               "exclusion": format!("{node_ref}: 当工場には無線ネットワーク及び遠隔保守の接続がないため除外")})
    } else if n.is_multiple_of(2) {
        json!({"version": version, "applicability": "applicable",
               "reasons": ["legal_contractual"],
               "reason_text": format!("{node_ref}: 高圧ガス保安法に基づく保安管理のため"),
               "status": "implemented"})
    } else {
        json!({"version": version, "applicability": "applicable",
               "reasons": ["business_need"],
               "reason_text": format!("{node_ref}: 24時間連続操業を維持するため"),
               "status": "partial"})
    }
}

/// A GET with the caller's token, the body as bytes.
async fn download(
    app: &App,
    path: &str,
    who: &Who,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut req = Request::get(path);
    if path.starts_with("/api/") {
        req = req.header(
            header::AUTHORIZATION,
            format!("Bearer {}", who.token.as_ref().unwrap()),
        );
    } else {
        req = req.header(header::COOKIE, who.cookie.as_ref().unwrap());
    }
    let res = app
        .router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, body)
}

/// Reads a workbook's first sheet with openpyxl: every row as a list of cell texts.
fn read_xlsx(bytes: &[u8]) -> Vec<Vec<String>> {
    let python = std::env::var("CSMS_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("soa.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let script = r#"
import json, sys
try:
    import openpyxl
except ImportError:
    sys.stderr.write("openpyxl is not installed for this python\n")
    sys.exit(3)
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
rows = [["" if c is None else str(c) for c in row] for row in ws.iter_rows(values_only=True)]
sys.stdout.write(json.dumps(rows, ensure_ascii=False))
"#;
    let out = std::process::Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {python} ({e}); set CSMS_TEST_PYTHON to a python with openpyxl: \
                 python3 -m venv $HOME/.cache/opencsms-venv && $HOME/.cache/opencsms-venv/bin/pip install openpyxl==3.1.5"
            )
        });
    assert!(
        out.status.success(),
        "openpyxl could not read the workbook with {python}: {}\nInstall it: python3 -m venv $HOME/.cache/opencsms-venv && \
         $HOME/.cache/opencsms-venv/bin/pip install openpyxl==3.1.5, then run with CSMS_TEST_PYTHON=$HOME/.cache/opencsms-venv/bin/python",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the reader prints JSON")
}

#[tokio::test]
async fn the_api_decides_approves_and_then_refuses_every_change() {
    let app = app().await;
    let writer = app.who("suzuki", &app.alpha, Some(Role::Contributor)).await;
    let manager = app.who("yamada", &app.alpha, Some(Role::CsmsManager)).await;
    let outsider = app.who("tanaka", &app.beta, Some(Role::Admin)).await;
    let refs = jipdec_refs();

    let (st, _, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(st, StatusCode::OK);
    let doc: Value = serde_json::from_str(&doc).unwrap();
    for path in [
        "/api/v1/soa",
        "/api/v1/soa/draft",
        "/api/v1/soa/diff",
        "/api/v1/soa/items",
        "/api/v1/soa/items/{id}",
        "/api/v1/soa/versions/{id}",
        "/api/v1/soa/versions/{id}/approve",
        "/api/v1/soa/versions/{id}/soa.xlsx",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }

    let (st, _, list) = app.api(Method::GET, "/api/v1/soa", &writer, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list["framework"], JIPDEC);
    assert!(list["draft"].is_null());

    // A draft: one undecided item per clause-5 item, in the catalog's order.
    let (st, h, draft) = app
        .api(Method::POST, "/api/v1/soa/draft", &writer, Some(json!({})))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{draft}");
    let v1 = draft["id"].as_str().unwrap().to_owned();
    assert_eq!(
        h.get(header::LOCATION).unwrap(),
        &format!("/api/v1/soa/versions/{v1}")
    );
    assert_eq!(draft["state"], "draft");
    let items = draft["items"].as_array().unwrap();
    let got: Vec<&str> = items
        .iter()
        .map(|i| i["node_ref"].as_str().unwrap())
        .collect();
    assert_eq!(got, refs.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(draft["undecided"].as_array().unwrap().len(), refs.len());
    assert!(items.iter().all(|i| i["applicability"] == "undecided"));
    assert!(
        !items[0]["title"].as_str().unwrap().is_empty(),
        "framework items carry the catalog's title"
    );
    let (st, _, again) = app
        .api(Method::POST, "/api/v1/soa/draft", &writer, Some(json!({})))
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{again}");

    // Incomplete decisions are 422 naming the item and the field.
    let first = &items[0];
    let first_id = first["id"].as_str().unwrap().to_owned();
    let first_ref = first["node_ref"].as_str().unwrap().to_owned();
    let (st, _, p) = app
        .api(
            Method::PUT,
            &format!("/api/v1/soa/items/{first_id}"),
            &writer,
            Some(json!({"version": 1, "applicability": "excluded", "exclusion": " "})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "exclusion");
    assert!(p["detail"].as_str().unwrap().contains(&first_ref), "{p}");
    let (st, _, p) = app
        .api(
            Method::PUT,
            &format!("/api/v1/soa/items/{first_id}"),
            &writer,
            Some(json!({"version": 1, "applicability": "maybe"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "applicability");
    let (st, _, _) = app
        .api(
            Method::PUT,
            &format!("/api/v1/soa/items/{first_id}"),
            &writer,
            Some(json!({"applicability": "excluded", "exclusion": "x"})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "the version is required");

    // Approval with undecided items: 422 naming them.
    let (_, _, v) = app
        .api(
            Method::GET,
            &format!("/api/v1/soa/versions/{v1}"),
            &writer,
            None,
        )
        .await;
    let (st, _, p) = app
        .api(
            Method::POST,
            &format!("/api/v1/soa/versions/{v1}/approve"),
            &manager,
            Some(json!({"version": v["version"], "note": ""})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "items");
    assert!(p["detail"].as_str().unwrap().contains(&first_ref), "{p}");

    // Decide every item.
    for (n, item) in items.iter().enumerate() {
        let r = item["node_ref"].as_str().unwrap();
        let (st, _, got) = app
            .api(
                Method::PUT,
                &format!("/api/v1/soa/items/{}", item["id"].as_str().unwrap()),
                &writer,
                Some(decision(n, r, 1)),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{r}: {got}");
        assert_eq!(got["version"], 2);
        assert_eq!(got["decided"], true);
    }
    // A stale item version conflicts.
    let (st, _, p) = app
        .api(
            Method::PUT,
            &format!("/api/v1/soa/items/{first_id}"),
            &writer,
            Some(decision(0, &first_ref, 1)),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(p["current_version"], 2);

    // An additional item, then removed again.
    let (st, _, extra) = app
        .api(
            Method::POST,
            "/api/v1/soa/items",
            &writer,
            Some(json!({"version_id": v1, "node_ref": "ORG-1", "title": "協力会社の入構時教育"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{extra}");
    assert_eq!(extra["additional"], true);
    let extra_id = extra["id"].as_str().unwrap();
    let (st, _, p) = app
        .api(
            Method::POST,
            "/api/v1/soa/items",
            &writer,
            Some(json!({"version_id": v1, "node_ref": first_ref, "title": "x"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "node_ref");
    let (st, _, _) = app
        .api(
            Method::DELETE,
            &format!("/api/v1/soa/items/{first_id}?version=2"),
            &writer,
            None,
        )
        .await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "framework items are excluded, not removed"
    );
    let (st, _, _) = app
        .api(
            Method::DELETE,
            &format!("/api/v1/soa/items/{extra_id}?version=1"),
            &writer,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);

    // Approval needs OrgManage: a contributor gets 403.
    let (_, _, v) = app
        .api(
            Method::GET,
            &format!("/api/v1/soa/versions/{v1}"),
            &writer,
            None,
        )
        .await;
    assert!(v["undecided"].as_array().unwrap().is_empty(), "{v}");
    let approve = json!({"version": v["version"], "note": "2026年度マネジメントレビューで承認"});
    let (st, _, _) = app
        .api(
            Method::POST,
            &format!("/api/v1/soa/versions/{v1}/approve"),
            &writer,
            Some(approve.clone()),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Another organization sees nothing of it.
    for path in [
        format!("/api/v1/soa/versions/{v1}"),
        format!("/api/v1/soa/versions/{v1}/soa.xlsx"),
    ] {
        let (st, _, _) = app.api(Method::GET, &path, &outsider, None).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}");
    }
    let (st, _, _) = app
        .api(
            Method::POST,
            &format!("/api/v1/soa/versions/{v1}/approve"),
            &outsider,
            Some(approve.clone()),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _, _) = app
        .api(
            Method::PUT,
            &format!("/api/v1/soa/items/{first_id}"),
            &outsider,
            Some(decision(0, &first_ref, 2)),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // A stale draft version conflicts; the current one approves.
    let (st, _, _) = app
        .api(
            Method::POST,
            &format!("/api/v1/soa/versions/{v1}/approve"),
            &manager,
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (st, _, approved) = app
        .api(
            Method::POST,
            &format!("/api/v1/soa/versions/{v1}/approve"),
            &manager,
            Some(approve.clone()),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{approved}");
    assert_eq!(approved["state"], "approved");
    assert_eq!(approved["number"], 1);
    assert_eq!(approved["approved_by_name"], "yamada さん");
    assert!(approved["approved_at"].is_string());

    // Acceptance: any change to the approved version answers 409.
    let second = items[1]["id"].as_str().unwrap();
    let refusals = [
        (
            Method::PUT,
            format!("/api/v1/soa/items/{second}"),
            Some(decision(3, "x", 2)),
        ),
        (
            Method::POST,
            "/api/v1/soa/items".to_owned(),
            Some(json!({"version_id": v1, "node_ref": "ORG-9", "title": "後から追加"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/soa/items/{second}?version=2"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/soa/versions/{v1}/approve"),
            Some(json!({"version": approved["version"]})),
        ),
    ];
    for (method, path, body) in refusals {
        let (st, _, p) = app.api(method.clone(), &path, &manager, body).await;
        assert_eq!(st, StatusCode::CONFLICT, "{method} {path}: {p}");
        assert_eq!(problem_type(&p), "urn:opencsms:problem:locked", "{p}");
        assert!(p["detail"].as_str().unwrap().contains("approved"), "{p}");
    }
    // The page refuses too (the htmx editor's save).
    let (st, body) = app
        .htmx_post(
            &format!("/o/alpha/soa/items/{second}"),
            &manager,
            "applicability=excluded&exclusion=x&version=2",
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");

    // The acceptance test: the XLSX over HTTP, read back by openpyxl, one row per item.
    let (st, h, bytes) = download(
        &app,
        &format!("/api/v1/soa/versions/{v1}/soa.xlsx?lang=ja"),
        &writer,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        h.get(header::CONTENT_TYPE).unwrap(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        h.get(header::CONTENT_DISPOSITION)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("soa-alpha-jipdec-csms-2010-v1.xlsx")
    );
    let rows = read_xlsx(&bytes);
    let head = rows
        .iter()
        .position(|r| r.first().is_some_and(|c| c == "項番"))
        .expect("the table's header row");
    assert_eq!(rows[head][2], "適用可否");
    let body: Vec<&Vec<String>> = rows[head + 1..]
        .iter()
        .filter(|r| r.iter().any(|c| !c.is_empty()))
        .collect();
    assert_eq!(body.len(), refs.len(), "one row per clause-5 item");
    let by_ref: HashMap<&str, &Vec<String>> = body.iter().map(|r| (r[0].as_str(), *r)).collect();
    for (n, r) in refs.iter().enumerate() {
        let row = by_ref
            .get(r.as_str())
            .unwrap_or_else(|| panic!("{r} has a row"));
        assert!(!row[1].is_empty(), "{r} has its title");
        if n % 7 == 3 {
            assert_eq!(row[2], "除外", "{r}");
            assert_eq!(
                row[4],
                format!("{r}: 当工場には無線ネットワーク及び遠隔保守の接続がないため除外")
            );
            assert_eq!(row[3], "", "{r}: an exclusion has no reasons");
        } else if n.is_multiple_of(2) {
            assert_eq!(row[2], "適用", "{r}");
            assert!(row[3].contains("法令・契約上の義務"), "{r}: {}", row[3]);
            assert!(
                row[3].contains(&format!("{r}: 高圧ガス保安法に基づく保安管理のため")),
                "{r}: {}",
                row[3]
            );
            assert_eq!(row[4], "");
            assert_eq!(row[5], "実施済み", "{r}");
        } else {
            assert_eq!(row[2], "適用", "{r}");
            assert!(row[3].contains("事業上の必要性"), "{r}: {}", row[3]);
            assert!(row[3].contains("24時間連続操業を維持するため"), "{r}");
        }
    }
    assert!(
        rows[..head]
            .iter()
            .any(|r| r.iter().any(|c| c.contains("yamada さん"))),
        "the header names the approver"
    );
    // The page download is the same workbook.
    let (st, h, _) = download(
        &app,
        &format!("/o/alpha/soa/versions/{v1}/soa.xlsx"),
        &writer,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        h.get(header::CONTENT_DISPOSITION)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );

    // A new draft copies version 1; a change shows in the diff (API and page).
    let (st, _, d2) = app
        .api(Method::POST, "/api/v1/soa/draft", &writer, Some(json!({})))
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let v2 = d2["id"].as_str().unwrap().to_owned();
    assert_eq!(d2["based_on"], v1.as_str());
    assert!(d2["undecided"].as_array().unwrap().is_empty());
    let changed = &d2["items"][3];
    let changed_ref = changed["node_ref"].as_str().unwrap().to_owned();
    let (st, _, _) = app
        .api(
            Method::PUT,
            &format!("/api/v1/soa/items/{}", changed["id"].as_str().unwrap()),
            &writer,
            Some(json!({"version": changed["version"], "applicability": "applicable",
                        "reasons": ["business_need"], "reason_text": "無線計装の導入計画に合わせて適用",
                        "status": "planned"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _, diff) = app
        .api(
            Method::GET,
            &format!("/api/v1/soa/diff?from={v1}&to={v2}"),
            &writer,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{diff}");
    let changes = diff["items"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{diff}");
    assert_eq!(changes[0]["node_ref"], changed_ref.as_str());
    assert_eq!(changes[0]["kind"], "changed");
    let fields: Vec<&str> = changes[0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"applicability") && fields.contains(&"exclusion"));
    let (st, _, p) = app
        .api(
            Method::GET,
            &format!("/api/v1/soa/diff?from={v1}"),
            &writer,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "to");
    let (st, _, page) = app
        .get(
            &format!("/o/alpha/soa/diff?from={v1}&to={v2}"),
            Some(&writer),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains(&format!("data-ref=\"{changed_ref}\"")),
        "{page}"
    );
    assert!(page.contains("無線計装の導入計画に合わせて適用"));
    let (st, _, list) = app.api(Method::GET, "/api/v1/soa", &writer, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list["draft"]["id"], v2.as_str());
    assert_eq!(list["versions"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_pages_decide_items_and_approve() {
    let app = app().await;
    let writer = app.who("suzuki", &app.alpha, Some(Role::Contributor)).await;
    let manager = app.who("yamada", &app.alpha, Some(Role::CsmsManager)).await;
    let outsider = app.who("tanaka", &app.beta, Some(Role::Admin)).await;
    let refs = jipdec_refs();

    let (st, _, page) = app.get("/o/alpha/soa", Some(&writer)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("id=\"soa-start-draft\""), "{page}");
    let (st, h, _) = app
        .post_form(
            "/o/alpha/soa/draft",
            Some(&writer),
            &format!("framework={JIPDEC}"),
            true,
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(
        h.get(header::LOCATION)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("notice=soa-draft-started")
    );
    let (st, _, page) = app.get("/o/alpha/soa", Some(&writer)).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(page.matches("class=\"soa-row ").count(), refs.len());

    let (_, _, overview) = app.api(Method::GET, "/api/v1/soa", &writer, None).await;
    let v1 = overview["draft"]["id"].as_str().unwrap().to_owned();
    let (_, _, detail) = app
        .api(
            Method::GET,
            &format!("/api/v1/soa/versions/{v1}"),
            &writer,
            None,
        )
        .await;
    let items = detail["items"].as_array().unwrap();
    let first = items[0]["id"].as_str().unwrap();
    let first_ref = items[0]["node_ref"].as_str().unwrap();

    // The editor, then an exclusion without justification: 422 naming the item.
    let (st, _, editor) = app
        .get(&format!("/o/alpha/soa/items/{first}/edit"), Some(&writer))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(editor.contains("name=\"exclusion\""));
    let (st, body) = app
        .htmx_post(
            &format!("/o/alpha/soa/items/{first}"),
            &writer,
            "applicability=excluded&exclusion=&status=not_started&version=1",
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains(first_ref), "{body}");
    assert!(body.contains("field-error"), "{body}");
    let why = "当工場には無線LANが存在しないため除外";
    let (st, body) = app
        .htmx_post(
            &format!("/o/alpha/soa/items/{first}"),
            &writer,
            &format!(
                "applicability=excluded&exclusion={}&status=not_started&version=1",
                urlencode(why)
            ),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(
        body.contains(why) && body.contains("soa-row soa-excluded"),
        "{body}"
    );

    // The approve button appears only when every item is decided; a contributor gets 403.
    let (_, _, page) = app.get("/o/alpha/soa", Some(&manager)).await;
    assert!(page.contains("id=\"soa-undecided\""));
    assert!(
        page.contains(&format!(
            "class=\"soa-undecided-refs\"> {} ",
            items[1]["node_ref"].as_str().unwrap()
        )),
        "the page names undecided items"
    );
    assert!(!page.contains("id=\"soa-approve\""));
    for (n, item) in items.iter().enumerate().skip(1) {
        let r = item["node_ref"].as_str().unwrap();
        let (st, _, got) = app
            .api(
                Method::PUT,
                &format!("/api/v1/soa/items/{}", item["id"].as_str().unwrap()),
                &writer,
                Some(decision(n, r, 1)),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{got}");
    }
    let (_, _, detail) = app
        .api(
            Method::GET,
            &format!("/api/v1/soa/versions/{v1}"),
            &writer,
            None,
        )
        .await;
    let row_version = detail["version"].as_i64().unwrap();
    let (_, _, page) = app.get("/o/alpha/soa", Some(&manager)).await;
    assert!(page.contains("id=\"soa-approve\""), "{page}");
    let form = format!("version={row_version}&note={}", urlencode("初版"));
    let (st, _, _) = app
        .post_form(
            &format!("/o/alpha/soa/versions/{v1}/approve"),
            Some(&writer),
            &form,
            true,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = app
        .post_form(
            &format!("/o/alpha/soa/versions/{v1}/approve"),
            Some(&outsider),
            &form,
            true,
        )
        .await;
    assert!(
        st == StatusCode::NOT_FOUND || st == StatusCode::FORBIDDEN,
        "another organization's member: {st}"
    );
    let (st, h, _) = app
        .post_form(
            &format!("/o/alpha/soa/versions/{v1}/approve"),
            Some(&manager),
            &form,
            true,
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(
        h.get(header::LOCATION)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("notice=soa-approved")
    );
    let (st, _, page) = app.get("/o/alpha/soa", Some(&manager)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("初版"));
    assert!(
        !page.contains("hx-get=\"/o/alpha/soa/items/"),
        "no editing an approved version"
    );
    // The approved version refuses the page's writes with 409.
    let (st, _) = app
        .htmx_post(
            &format!("/o/alpha/soa/items/{first}"),
            &manager,
            "applicability=applicable&reasons=business_need&reason_text=x&status=planned&version=2",
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (st, _, _) = app
        .get(&format!("/o/alpha/soa/items/{first}/edit"), Some(&manager))
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (st, _, _) = app
        .post_form(
            &format!("/o/alpha/soa/versions/{v1}/approve"),
            Some(&manager),
            &form,
            true,
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    // Another organization's member does not see the statement.
    let (st, _, _) = app
        .get(&format!("/o/alpha/soa/items/{first}"), Some(&outsider))
        .await;
    assert!(
        st == StatusCode::NOT_FOUND || st == StatusCode::FORBIDDEN,
        "{st}"
    );
    let (st, _, page) = app
        .get(&format!("/o/beta/soa?version={v1}"), Some(&outsider))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{page}");
}
