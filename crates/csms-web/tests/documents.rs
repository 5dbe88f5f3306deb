//! Documents and evidence over HTTP (issue 6): uploads (limit, sniffing, names, dedup),
//! downloads, the workflow rules, evidence links, and the pages.

mod common;

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use csms_domain::auth::Role;
use csms_store::blob::BlobStore;
use csms_web::{AppState, WebConfig};
use serde_json::json;

const LIMIT: u64 = 64 * 1024;

/// The test application with attachments on the local disk under `dir`, limited to 64 KiB.
async fn app_with_disk(dir: &Path) -> App {
    let a = app().await;
    let config = WebConfig {
        attachments: BlobStore::local(dir, LIMIT),
        ..WebConfig::default()
    };
    App {
        router: csms_web::router(AppState::new(a.db.store.clone(), config)),
        ..a
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

async fn new_doc(app: &App, who: &Who, title: &str) -> (String, i64) {
    let (s, h, body) = app
        .api(
            Method::POST,
            "/api/v1/documents",
            who,
            Some(json!({"title": title, "doc_type": "procedure", "classification": "社内限り / Internal", "review_months": 12})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert!(h.get(header::LOCATION).is_some());
    assert!(body["code"].as_str().unwrap().starts_with("PRO-"), "{body}");
    (
        body["id"].as_str().unwrap().to_owned(),
        body["version"].as_i64().unwrap(),
    )
}

async fn upload_raw(
    app: &App,
    who: &Who,
    id: &str,
    version: i64,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, serde_json::Value) {
    let path = format!(
        "/api/v1/documents/{id}/versions?version={version}&file_name={}",
        urlencode(name)
    );
    let (s, _, body) = app
        .api_raw(Method::POST, &path, who, "application/octet-stream", bytes)
        .await;
    (s, body)
}

#[tokio::test]
async fn uploads_are_limited_sniffed_named_safely_and_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_disk(dir.path()).await;
    let store = &app.db.store;
    let suzuki = app.who("suzuki", &app.alpha, Some(Role::Contributor)).await;
    let (id, v0) = new_doc(&app, &suzuki, "パッチ管理手順書").await;

    // Oversized: 413, and nothing stored: no version row, no blob row, no file, no temp file.
    let (s, body) = upload_raw(
        &app,
        &suzuki,
        &id,
        v0,
        "big.txt",
        vec![b'x'; LIMIT as usize + 1],
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(problem_type(&body), "urn:opencsms:problem:too-large");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("nothing was stored")
    );
    assert!(
        files_under(dir.path()).is_empty(),
        "{:?}",
        files_under(dir.path())
    );
    let counts = store.row_counts().await.unwrap();
    assert_eq!(counts["document_versions"], 0);
    assert_eq!(counts["blobs"], 0);
    // The same through a multipart form, streamed (no Content-Length to refuse it early).
    let boundary = "XyZ";
    let mut mp = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"version\"\r\n\r\n{v0}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\nContent-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    mp.extend(vec![b'y'; LIMIT as usize * 2]);
    mp.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let req = Request::post(format!("/api/v1/documents/{id}/versions"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", suzuki.token.as_ref().unwrap()),
        )
        .body(Body::from_stream(futures_util::stream::iter(
            mp.chunks(8192)
                .map(|c| Ok::<_, std::io::Error>(axum::body::Bytes::copy_from_slice(c)))
                .collect::<Vec<_>>(),
        )))
        .unwrap();
    let (s, _, text) = app.send(req).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    assert!(files_under(dir.path()).is_empty());
    assert_eq!(store.row_counts().await.unwrap()["document_versions"], 0);

    // An executable is refused whatever its name and declared type.
    let (s, body) = upload_raw(
        &app,
        &suzuki,
        &id,
        v0,
        "manual.pdf",
        b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert!(files_under(&dir.path().join("sha256")).is_empty());

    // A path-traversal name is neutralized; the type comes from the bytes.
    let pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
    let (s, v1) = upload_raw(
        &app,
        &suzuki,
        &id,
        v0,
        "../../../etc/passwd\u{0}.txt",
        pdf.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v1}");
    assert_eq!(v1["file_name"], "passwd_.txt");
    assert_eq!(v1["content_type"], "application/pdf");
    assert_eq!(v1["status"], "draft");
    let sha = v1["sha256"].as_str().unwrap().to_owned();
    let stored = files_under(&dir.path().join("sha256"));
    assert_eq!(
        stored,
        vec![
            dir.path()
                .join("sha256")
                .join(&sha[..2])
                .join(&sha[2..4])
                .join(&sha)
        ]
    );
    assert!(!dir.path().join("etc").exists());

    // The same content again (a second version): stored once.
    let (s, v2) = upload_raw(&app, &suzuki, &id, v0 + 1, "again.pdf", pdf.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v2}");
    assert_eq!(v2["sha256"], sha.as_str());
    assert_eq!(v2["number"], 2);
    assert_eq!(files_under(&dir.path().join("sha256")).len(), 1);
    assert_eq!(store.row_counts().await.unwrap()["blobs"], 1);
    // A stale version is refused.
    let (s, body) = upload_raw(&app, &suzuki, &id, v0, "late.txt", b"late".to_vec()).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");

    // The download is an attachment with a safe name, the sniffed type and nosniff.
    let (s, h, got) = app
        .get(
            &format!(
                "/api/v1/documents/{id}/versions/{}/file",
                v1["id"].as_str().unwrap()
            ),
            Some(&suzuki),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got.as_bytes(), &pdf[..]);
    assert_eq!(h[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let cd = h[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        cd.starts_with("attachment; filename=\"passwd_.txt\"; filename*=UTF-8''passwd_.txt"),
        "{cd}"
    );

    // Another organization cannot read it.
    let other = app.who("intruder", &app.beta, Some(Role::Admin)).await;
    let (s, _, _) = app
        .get(
            &format!(
                "/api/v1/documents/{id}/versions/{}/file",
                v1["id"].as_str().unwrap()
            ),
            Some(&other),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The trail record of the upload names the SHA-256.
    let trail = store
        .trail(
            app.alpha.id,
            &csms_store::trail::TrailQuery {
                entity_kind: Some("document_version".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        trail
            .iter()
            .any(|r| r.action == "upload" && r.diff["after"]["sha256"] == sha.as_str())
    );
}

#[tokio::test]
async fn the_author_cannot_approve_and_approval_needs_a_manager() {
    let app = app().await;
    let suzuki = app.who("suzuki", &app.alpha, Some(Role::Contributor)).await;
    let yamada = app.who("yamada", &app.alpha, Some(Role::CsmsManager)).await;
    let sato = app.who("sato", &app.alpha, Some(Role::CsmsManager)).await;
    let (id, v0) = new_doc(&app, &yamada, "インシデント対応手順書").await;
    let (s, v) = upload_raw(
        &app,
        &yamada,
        &id,
        v0,
        "手順書.txt",
        "手順\n".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let vid = v["id"].as_str().unwrap().to_owned();
    let step = |who: &'static str, action: &'static str, version: i64| {
        let who = match who {
            "suzuki" => &suzuki,
            "yamada" => &yamada,
            _ => &sato,
        };
        let app = &app;
        let path = format!("/api/v1/documents/{id}/versions/{vid}/transition");
        async move {
            app.api(
                Method::POST,
                &path,
                who,
                Some(json!({"action": action, "version": version})),
            )
            .await
        }
    };
    let (s, _, b) = step("yamada", "submit", v0 + 1).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // A contributor may not approve: 403.
    let (s, _, b) = step("suzuki", "approve", v0 + 2).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    // The author may not approve their own version, even as a manager: 409 with the rule.
    let (s, _, b) = step("yamada", "approve", v0 + 2).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert!(
        b["detail"].as_str().unwrap().contains("cannot approve"),
        "{b}"
    );
    // Another manager may.
    let (s, _, b) = step("sato", "approve", v0 + 2).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "approved");
    // The document now has a review date a year ahead.
    let (_, _, d) = app
        .api(
            Method::GET,
            &format!("/api/v1/documents/{id}"),
            &suzuki,
            None,
        )
        .await;
    assert_eq!(d["approved_version"], 1);
    assert!(d["next_review"].is_string());
    // A stale version conflicts.
    let (s, _, _) = step("sato", "withdraw", v0).await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn evidence_links_are_checked_and_listed() {
    let app = app().await;
    let suzuki = app.who("suzuki", &app.alpha, Some(Role::Contributor)).await;
    let (id, _) = new_doc(&app, &suzuki, "リスクアセスメント手順書").await;
    let link = |body: serde_json::Value| {
        let app = &app;
        let suzuki = &suzuki;
        let path = format!("/api/v1/documents/{id}/links");
        async move { app.api(Method::POST, &path, suzuki, Some(body)).await }
    };
    let (s, _, l) =
        link(json!({"kind": "requirement", "framework": "jipdec-csms-2010", "ref": "4.3.2.6"}))
            .await;
    assert_eq!(s, StatusCode::CREATED, "{l}");
    let (s, _, b) =
        link(json!({"kind": "requirement", "framework": "jipdec-csms-2010", "ref": "4.3.2.6"}))
            .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    let (s, _, b) =
        link(json!({"kind": "requirement", "framework": "jipdec-csms-2010", "ref": "9.9.9"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["field"], "target_ref");
    let (s, _, b) = link(json!({"kind": "risk", "ref": "R-0001"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, _, ev) = app
        .api(
            Method::GET,
            "/api/v1/evidence?kind=requirement&framework=jipdec-csms-2010&ref=4.3.2.6",
            &suzuki,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ev.as_array().unwrap().len(), 1);
    assert_eq!(ev[0]["version_number"], 0);
    let (s, _, _) = app
        .api(
            Method::DELETE,
            &format!("/api/v1/documents/{id}/links/{}", l["id"].as_str().unwrap()),
            &suzuki,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn pages_create_a_document_with_its_file_and_show_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_disk(dir.path()).await;
    let suzuki = app.who("suzuki", &app.alpha, Some(Role::Contributor)).await;
    let (s, _, html) = app.get("/o/alpha/documents", Some(&suzuki)).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("new-document-form"));

    let boundary = "B0und";
    let part = |name: &str, value: &str| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
    };
    let mut body = String::new();
    for (n, v) in [
        ("title", "CSMS基本方針"),
        ("doc_type", "policy"),
        ("classification", "社内限り / Internal"),
        ("review_months", "12"),
        ("retention_months", "60"),
        ("note", "初版"),
    ] {
        body.push_str(&part(n, v));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"..\\\\..\\\\方針.txt\"\r\nContent-Type: application/x-msdownload\r\n\r\nCSMS 基本方針 本文\r\n--{boundary}--\r\n"
    ));
    let req = Request::post("/o/alpha/documents")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::COOKIE, suzuki.cookie.clone().unwrap())
        .header("hx-request", "true")
        .header("x-csrf-token", &suzuki.csrf)
        .body(Body::from(body))
        .unwrap();
    let (s, h, text) = app.send(req).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{text}");
    let to = h["hx-redirect"].to_str().unwrap().to_owned();
    let (s, _, html) = app.get(&to, Some(&suzuki)).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("POL-0001"));
    assert!(html.contains("方針.txt"), "{html}");
    assert!(html.contains("text/plain"));
    // A contributor sees submit, not approve.
    assert!(html.contains("value=\"submit\""));
    assert!(!html.contains("value=\"approve\""));
    let (s, _, list) = app
        .get("/o/alpha/documents?type=policy", Some(&suzuki))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains("CSMS基本方針"));
    let (_, _, list) = app
        .get("/o/alpha/documents?type=record", Some(&suzuki))
        .await;
    assert!(!list.contains("CSMS基本方針"));
}
