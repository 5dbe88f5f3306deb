//! The asset import page and API: a preview with row and column errors, an all-or-nothing
//! apply that refuses a changed file, limits and permissions, and the exports.

mod common;
use common::*;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use csms_domain::auth::Role;

const GOOD: &str = "asset_tag,name,type,ip\r\nPLC-1,反応器 PLC,plc,192.168.10.11\r\nHMI-1,Operator,hmi,192.168.10.20\r\n";
const BAD: &str = "asset_tag,name,type\nPLC-1,a,plc\nPLC-2,b,toaster\nPLC-1,c,hmi\n";

fn multipart(who: &Who, file: &[u8], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----csmsboundary";
    let mut body = Vec::new();
    let mut field = |name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    field("_csrf", &who.csrf);
    for (k, v) in fields {
        field(k, v);
    }
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"assets.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    app: &App,
    org: &str,
    who: &Who,
    file: &[u8],
    fields: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, String) {
    let (ctype, body) = multipart(who, file, fields);
    let req = Request::post(format!("/o/{org}/assets/import"))
        .header(header::CONTENT_TYPE, ctype)
        .header(header::COOKIE, who.cookie.clone().unwrap())
        .header("x-csrf-token", &who.csrf)
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

async fn count(store: &csms_store::Store) -> usize {
    let alpha = store.organization_by_slug("alpha").await.unwrap();
    store
        .assets(
            alpha.id,
            &csms_store::inventory::AssetFilter {
                limit: 1_000,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .assets
        .len()
}

/// The check token the preview carries (the file and the options checked).
fn check_in(page: &str) -> String {
    let at = page
        .find("name=\"check\" value=\"")
        .expect("the preview carries the check token");
    page[at + 20..at + 20 + 64].to_owned()
}

fn sha_in(page: &str) -> String {
    let at = page
        .find("name=\"sha256\" value=\"")
        .expect("the preview carries the SHA-256");
    page[at + 21..at + 21 + 64].to_owned()
}

#[tokio::test]
async fn the_page_previews_errors_and_applies_all_or_nothing() {
    let app = app().await;
    let store = &app.db.store;
    let writer = app.who("suzuki", &app.alpha, Some(Role::Contributor)).await;
    let (s, _, page) = app.get("/o/alpha/assets/import", Some(&writer)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("template.csv") && page.contains("export.xlsx"));
    let trail_before = store
        .trail(app.alpha.id, &Default::default())
        .await
        .unwrap()
        .len();

    // A bad file: the errors by row and column, no apply button, nothing stored.
    let (s, _, page) = upload(
        &app,
        "alpha",
        &writer,
        BAD.as_bytes(),
        &[("action", "check")],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"import-errors\""), "{page}");
    assert!(
        page.contains("<td class=\"num\">3</td><td class=\"mono\">type</td>"),
        "{page}"
    );
    assert!(page.contains("toaster"));
    assert!(page.contains("also on row 2"));
    assert!(!page.contains("id=\"apply\""));
    // Applying it anyway (with its own hash) stores nothing either.
    let sha = sha_in(&page);
    let check = check_in(&page);
    let (s, _, _) = upload(
        &app,
        "alpha",
        &writer,
        BAD.as_bytes(),
        &[("action", "apply"), ("sha256", &sha), ("check", &check)],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(store).await, 0);
    assert_eq!(
        store
            .trail(app.alpha.id, &Default::default())
            .await
            .unwrap()
            .len(),
        trail_before
    );

    // A good file: the preview, then a changed file is refused, then the same file applies.
    let (s, _, page) = upload(
        &app,
        "alpha",
        &writer,
        GOOD.as_bytes(),
        &[("action", "check")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"apply\""), "{page}");
    assert!(page.contains("反応器 PLC") && page.contains("192.168.10.20"));
    let sha = sha_in(&page);
    let check = check_in(&page);
    let changed = GOOD.replace("HMI-1", "HMI-2");
    let (s, _, _) = upload(
        &app,
        "alpha",
        &writer,
        changed.as_bytes(),
        &[("action", "apply"), ("sha256", &sha), ("check", &check)],
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(count(store).await, 0);
    // The same file with other options than those checked: refused, naming the option.
    let (s, _, page) = upload(
        &app,
        "alpha",
        &writer,
        GOOD.as_bytes(),
        &[
            ("action", "apply"),
            ("sha256", &sha),
            ("check", &check),
            ("tag_from", "ip"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        page.contains("The options changed since the check (where the asset tag comes from)"),
        "{page}"
    );
    let (s, _, page) = upload(
        &app,
        "alpha",
        &writer,
        GOOD.as_bytes(),
        &[
            ("action", "apply"),
            ("sha256", &sha),
            ("check", &check),
            ("keep_other", "1"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        page.contains("keeping other columns as custom fields"),
        "{page}"
    );
    // Without the token (the options unknown): refused as well.
    let (s, _, _) = upload(
        &app,
        "alpha",
        &writer,
        GOOD.as_bytes(),
        &[("action", "apply"), ("sha256", &sha)],
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(count(store).await, 0);
    let (s, h, _) = upload(
        &app,
        "alpha",
        &writer,
        GOOD.as_bytes(),
        &[("action", "apply"), ("sha256", &sha), ("check", &check)],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{h:?}");
    assert_eq!(
        h.get(header::LOCATION).unwrap(),
        "/o/alpha/assets?imported=2"
    );
    assert_eq!(count(store).await, 2);
    assert_eq!(
        store
            .trail(app.alpha.id, &Default::default())
            .await
            .unwrap()
            .len(),
        trail_before + 1,
        "one asset_import record"
    );
    // The same file again: every tag is taken, named by row.
    let (s, _, page) = upload(
        &app,
        "alpha",
        &writer,
        GOOD.as_bytes(),
        &[("action", "check")],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("already has an asset"), "{page}");

    // Exports: the whole inventory as a download, readable back.
    let (s, h, csv) = app.get("/o/alpha/assets/export.csv", Some(&writer)).await;
    assert_eq!(s, StatusCode::OK);
    let cd = h
        .get(header::CONTENT_DISPOSITION)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        cd.starts_with("attachment; filename=\"assets-alpha-"),
        "{cd}"
    );
    assert!(
        csv.starts_with('\u{FEFF}') && csv.contains("PLC-1,反応器 PLC,plc"),
        "{csv}"
    );
    let (s, h, _) = app
        .get("/o/alpha/assets/import/template.xlsx", Some(&writer))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h.get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
}

#[tokio::test]
async fn limits_and_permissions() {
    let app = app().await;
    let writer = app.who("suzuki", &app.alpha, Some(Role::Contributor)).await;
    let viewer = app.who("kato", &app.alpha, Some(Role::Viewer)).await;
    let outsider = app.who("sato", &app.beta, Some(Role::Admin)).await;
    // Over 50 MB: 413 on the page and the API, nothing stored.
    let big = vec![b'a'; 51 * 1024 * 1024];
    let (s, _, _) = upload(&app, "alpha", &writer, &big, &[("action", "check")]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            "/api/v1/assets/import",
            &writer,
            "text/csv",
            big,
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    // A viewer may export but not import; another organization's member sees nothing.
    let (s, _, _) = app.get("/o/alpha/assets/import", Some(&viewer)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = upload(
        &app,
        "alpha",
        &viewer,
        GOOD.as_bytes(),
        &[("action", "check")],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = app.get("/o/alpha/assets/export.csv", Some(&viewer)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = app.get("/o/alpha/assets/import", Some(&outsider)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = app.get("/o/alpha/assets/export.csv", Some(&outsider)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = app
        .api_raw(
            Method::POST,
            "/api/v1/assets/import",
            &viewer,
            "text/csv",
            GOOD.into(),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(count(&app.db.store).await, 0);
}

#[tokio::test]
async fn the_api_checks_imports_and_exports() {
    let app = app().await;
    let writer = app.who("suzuki", &app.alpha, Some(Role::Contributor)).await;
    let path = "/api/v1/assets/import?dry_run=true";
    let (s, _, body) = app
        .api_raw(Method::POST, path, &writer, "text/csv", BAD.into())
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem_type(&body), "urn:opencsms:problem:invalid-file");
    assert_eq!(body["errors"][0]["row"], 3);
    assert_eq!(body["errors"][0]["column"], "type");
    let (s, _, body) = app
        .api_raw(Method::POST, path, &writer, "text/csv", GOOD.into())
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["assets"], 2);
    assert_eq!(body["stored"], 0);
    let sha = body["sha256"].as_str().unwrap().to_owned();
    assert_eq!(count(&app.db.store).await, 0);
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            "/api/v1/assets/import?sha256=00",
            &writer,
            "text/csv",
            GOOD.into(),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    // Only a SHA-256 is repeated back: anything else sent as one is not echoed.
    let junk = "z".repeat(4000);
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            &format!("/api/v1/assets/import?sha256={junk}"),
            &writer,
            "text/csv",
            GOOD.into(),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(!detail.contains("zzz") && detail.len() < 300, "{detail}");
    let other = "0".repeat(64);
    let (_, _, body) = app
        .api_raw(
            Method::POST,
            &format!("/api/v1/assets/import?sha256={other}"),
            &writer,
            "text/csv",
            GOOD.into(),
        )
        .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("expected {other}")),
        "{body}"
    );
    // The options are bound too: the token of a check with other options is refused.
    let (_, _, checked) = app
        .api_raw(Method::POST, path, &writer, "text/csv", GOOD.into())
        .await;
    let check = checked["check"].as_str().unwrap().to_owned();
    assert_eq!(
        checked["options"],
        "tag_from=column;keep_other_columns=false"
    );
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            &format!("/api/v1/assets/import?keep_other_columns=true&check={check}"),
            &writer,
            "text/csv",
            GOOD.into(),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(problem_type(&body), "urn:opencsms:problem:options-changed");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("keep_other_columns (checked with false, now true)"),
        "{body}"
    );
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            &format!("/api/v1/assets/import?check={check}"),
            &writer,
            "text/csv",
            GOOD.replace("HMI-1", "HMI-9").into(),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(problem_type(&body), "urn:opencsms:problem:file-changed");
    assert_eq!(count(&app.db.store).await, 0);
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            &format!("/api/v1/assets/import?dry_run=false&sha256={sha}&check={check}"),
            &writer,
            "text/csv",
            GOOD.into(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["stored"], 2);
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            "/api/v1/assets/import?tag_from=mac",
            &writer,
            "text/csv",
            GOOD.into(),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let (s, h, text) = app
        .get("/api/v1/assets/export?format=csv", Some(&writer))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h.get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(text.contains("HMI-1"));
    let (s, _, _) = app
        .get("/api/v1/assets/export?format=pdf", Some(&writer))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Garbage never answers 5xx.
    for body in [
        vec![0u8; 1000],
        b"PK\x03\x04junk".to_vec(),
        vec![0xff; 10],
        Vec::new(),
    ] {
        let (s, _, _) = app
            .api_raw(Method::POST, path, &writer, "text/csv", body)
            .await;
        assert!(s.is_client_error(), "{s}");
    }
}

#[tokio::test]
async fn long_values_do_not_grow_the_answer() {
    // Values of 200 KB each: every message quotes them cut (the answer was hundreds
    // of megabytes for a 48 MB file).
    let app = app().await;
    let writer = app.who("suzuki", &app.alpha, Some(Role::Contributor)).await;
    let big = "\u{1b}".repeat(200 * 1024);
    let mut file = String::from("asset_tag,owner,ip,mac,type\n");
    for i in 0..20 {
        file.push_str(&format!("PLC-{i},{big},{big},{big},{big}\n"));
    }
    let (s, _, body) = app
        .api_raw(
            Method::POST,
            "/api/v1/assets/import?dry_run=true",
            &writer,
            "text/csv",
            file.into(),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let size = body.to_string().len();
    assert!(size < 256 * 1024, "{size} bytes");
    assert!(body["errors"].as_array().unwrap().len() >= 60, "{body}");
}

#[tokio::test]
async fn workbooks_are_checked_one_at_a_time_and_each_is_answered() {
    // Checks of workbooks wait for one another (one unpacked at a time) and each releases its
    // turn: side by side and after one another, every request is answered.
    let app = app().await;
    let writer = app.who("suzuki", &app.alpha, Some(Role::Contributor)).await;
    let book = csms_report::inventory::template_xlsx("en").unwrap();
    let path = "/api/v1/assets/import?dry_run=true";
    let send = || {
        app.api_raw(
            Method::POST,
            path,
            &writer,
            csms_report::inventory::XLSX_TYPE,
            book.clone(),
        )
    };
    let all = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        let (a, b, c) = tokio::join!(send(), send(), send());
        let d = send().await;
        [a, b, c, d]
    })
    .await
    .expect("every check is answered");
    for (s, _, body) in all {
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["assets"], 1);
    }
}
