//! Reports over HTTP (issue 6): the PDF documents read back with `pdftotext` (poppler-utils)
//! give the Japanese text intact, user text with Typst markup prints literally, and the
//! certification pack holds the listed files with a manifest whose hashes match.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use csms_domain::assessment::{Outcome, ResultInput};
use csms_domain::auth::Role;
use csms_domain::inventory::{NewSite, NewZone};
use csms_domain::register::{NewRisk, RatingInput, RiskKind, Treatment, validate_risk};
use csms_domain::zone::SlVector;
use csms_store::assessment::{NewAssessment, ResultChange};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

mod common;
use common::*;

/// Typst markup characters in user text: must be printed as typed.
const MARKUP: &str = r#"#set page(fill: red) $x$ *b* [l] \ // c <lbl> @ref"#;

/// A request's status, headers and raw body (PDF and ZIP are binary).
async fn fetch(app: &App, path: &str, who: &Who) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut req = Request::get(path);
    if path.starts_with("/api/") {
        req = req.header(
            header::AUTHORIZATION,
            format!("Bearer {}", who.token.clone().unwrap()),
        );
    } else {
        req = req.header(header::COOKIE, who.cookie.clone().unwrap());
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

/// The text of a PDF (`pdftotext`, UTF-8), lines joined by spaces (long titles may wrap).
fn pdf_text(pdf: &[u8]) -> String {
    assert!(
        pdf.starts_with(b"%PDF-"),
        "not a PDF: {:?}",
        &pdf[..pdf.len().min(200)]
    );
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(f.path())
        .arg("-")
        .output()
        .expect("pdftotext runs (apt-get install poppler-utils)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The demo-like content: a site, a zone, two risks (one with markup in its title) and a
/// JIPDEC assessment with one result.
async fn content(app: &App) -> uuid::Uuid {
    let store = &app.db.store;
    let org = app.alpha.id;
    store
        .create_site(
            &cli(),
            org,
            NewSite {
                name: "川崎工場".into(),
                location: "神奈川県川崎市".into(),
                description: "エチレンプラント".into(),
            },
        )
        .await
        .unwrap();
    let zone = store
        .create_zone(
            &cli(),
            org,
            NewZone {
                name: "制御ゾーン".into(),
                description: "DCS と安全計装".into(),
                sl_t: SlVector::new([2, 2, 2, 2, 2, 2, 2]).unwrap(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let method = store.risk_method(org).await.unwrap().method;
    for title in [
        "リモート保守回線からの不正侵入".to_owned(),
        format!("Markup {MARKUP}"),
    ] {
        let scored = validate_risk(
            &method,
            NewRisk {
                title,
                kind: RiskKind::Detailed,
                zone_ids: vec![zone.id],
                threat_source: "犯罪組織".into(),
                inherent: RatingInput {
                    likelihood: 4,
                    consequences: [("production".to_owned(), 4)].into(),
                },
                treatment: Treatment::Accept,
                ..Default::default()
            },
        )
        .unwrap();
        store.create_risk(&cli(), org, scored).await.unwrap();
    }
    let a = store
        .create_assessment(
            &cli(),
            org,
            NewAssessment {
                framework_id: "jipdec-csms-2010".into(),
                title: "2026年度 内部監査".into(),
                scope: "川崎工場".into(),
                ..Default::default()
            },
            &["4.2.3.1".to_string()],
        )
        .await
        .unwrap();
    store
        .set_results(
            &cli(),
            org,
            a.id,
            vec![ResultChange {
                node_ref: "4.2.3.1".into(),
                version: 1,
                outcome: Outcome::Partial,
                input: ResultInput {
                    outcome: Some(Outcome::Partial),
                    notes: format!("手順書は改訂中 {MARKUP}"),
                    ..Default::default()
                },
            }],
        )
        .await
        .unwrap();
    a.id
}

#[tokio::test]
async fn risk_register_pdf_in_japanese_and_english() {
    let app = app().await;
    content(&app).await;
    let viewer = app.who("viewer", &app.alpha, Some(Role::Viewer)).await;

    let (s, h, pdf) = fetch(&app, "/o/alpha/risks/export.pdf?lang=ja", &viewer).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h.get(header::CONTENT_TYPE).unwrap(), "application/pdf");
    let cd = h
        .get(header::CONTENT_DISPOSITION)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        cd.starts_with("attachment;") && cd.contains("alpha-risks-"),
        "{cd}"
    );
    let text = pdf_text(&pdf);
    let f = flat(&text);
    for expected in [
        "Alpha Refinery",
        "リスク台帳",
        "リモート保守回線からの不正侵入",
        "犯罪組織",
        "固有リスク",
        "残留リスク",
        "RR-alpha",
    ] {
        assert!(f.contains(expected), "{expected:?} missing:\n{text}");
    }
    assert!(
        f.contains(&flat(&format!("Markup {MARKUP}"))),
        "markup printed literally:\n{text}"
    );
    assert!(text.contains("ページ 1 /"), "{text}");

    let (s, _, pdf) = fetch(&app, "/o/alpha/risks/export.pdf?lang=en", &viewer).await;
    assert_eq!(s, StatusCode::OK);
    let text = pdf_text(&pdf);
    assert!(text.contains("Risk register"), "{text}");
    assert!(text.contains("Page 1 /"), "{text}");
    // The reader's data stays in its language.
    assert!(text.contains("リモート保守回線からの不正侵入"), "{text}");
}

#[tokio::test]
async fn assessment_pdf_carries_the_results_and_the_draft_mark() {
    let app = app().await;
    let id = content(&app).await;
    let viewer = app.who("viewer", &app.alpha, Some(Role::Viewer)).await;
    let (s, _, pdf) = fetch(
        &app,
        &format!("/o/alpha/assessments/{id}/export.pdf?lang=ja"),
        &viewer,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let text = pdf_text(&pdf);
    let f = flat(&text);
    for expected in [
        "2026年度 内部監査",
        "Alpha Refinery",
        "4.2.3.1",
        "手順書は改訂中",
        "ドラフト（未承認）",
    ] {
        assert!(f.contains(expected), "{expected:?} missing:\n{text}");
    }
    assert!(f.contains(&flat(MARKUP)), "{text}");

    // Unknown assessment: 404; another organization's member cannot read it.
    let (s, _, _) = fetch(
        &app,
        &format!("/o/alpha/assessments/{}/export.pdf", uuid::Uuid::now_v7()),
        &viewer,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let outsider = app.who("outsider", &app.beta, Some(Role::Admin)).await;
    let (s, _, _) = fetch(
        &app,
        &format!("/o/alpha/assessments/{id}/export.pdf"),
        &outsider,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn scope_pdf_lists_sites_and_zones_with_sl_t() {
    let app = app().await;
    content(&app).await;
    let viewer = app.who("viewer", &app.alpha, Some(Role::Viewer)).await;
    let (s, _, pdf) = fetch(&app, "/o/alpha/reports/scope.pdf?lang=ja", &viewer).await;
    assert_eq!(s, StatusCode::OK);
    let f = flat(&pdf_text(&pdf));
    for expected in [
        "CSMS の適用範囲",
        "川崎工場",
        "神奈川県川崎市",
        "制御ゾーン",
        "SCOPE-alpha",
    ] {
        assert!(f.contains(expected), "{expected:?} missing:\n{f}");
    }
}

#[tokio::test]
async fn certification_pack_holds_the_files_and_a_manifest_that_matches() {
    let app = app().await;
    content(&app).await;
    let viewer = app.who("viewer", &app.alpha, Some(Role::Viewer)).await;
    let (s, h, zip) = fetch(
        &app,
        "/o/alpha/reports/certification-pack.zip?lang=ja",
        &viewer,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h.get(header::CONTENT_TYPE).unwrap(), "application/zip");
    assert_eq!(
        h.get(header::CONTENT_LENGTH).unwrap().to_str().unwrap(),
        zip.len().to_string()
    );
    // The archive's digest (RFC 9530) is the SHA-256 of what was sent.
    use base64::Engine;
    let digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&zip));
    assert_eq!(
        h.get("repr-digest").unwrap().to_str().unwrap(),
        format!("sha-256=:{digest}:")
    );

    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut files: HashMap<String, Vec<u8>> = HashMap::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        files.insert(f.name().expect("a UTF-8 entry name").into_owned(), bytes);
    }
    for name in [
        "01-scope/scope.pdf",
        "02-risk-assessment/risk-register.pdf",
        "02-risk-assessment/risk-register.xlsx",
        "03-assessment/assessment.pdf",
        "03-assessment/assessment.xlsx",
        "04-documents/policies-and-procedures.pdf",
        "04-documents/policies-and-procedures.xlsx",
        "05-evidence/evidence-index.csv",
        "05-evidence/evidence-index.xlsx",
        "06-trail/trail-12-months.csv",
        "06-trail/verification.txt",
        "README.txt",
        "manifest.csv",
        "SHA256SUMS",
    ] {
        assert!(
            files.contains_key(name),
            "{name} missing: {:?}",
            files.keys()
        );
    }
    // Every file but the manifests is listed once, with its real SHA-256.
    let sums = String::from_utf8(files["SHA256SUMS"].clone()).unwrap();
    let listed: HashMap<&str, &str> = sums
        .lines()
        .map(|l| {
            let (hash, path) = l.split_once("  ").unwrap();
            (path, hash)
        })
        .collect();
    assert_eq!(listed.len(), files.len() - 2, "{sums}");
    for (path, hash) in &listed {
        let real = hex::encode(Sha256::digest(&files[*path]));
        assert_eq!(*hash, real, "{path}");
    }
    let manifest = String::from_utf8(files["manifest.csv"].clone()).unwrap();
    for (path, hash) in &listed {
        assert!(manifest.contains(&format!("{path},")), "{manifest}");
        assert!(manifest.contains(hash), "{manifest}");
    }
    // The PDFs read back in Japanese.
    let reg = flat(&pdf_text(&files["02-risk-assessment/risk-register.pdf"]));
    assert!(reg.contains("リモート保守回線からの不正侵入"), "{reg}");
    let asm = flat(&pdf_text(&files["03-assessment/assessment.pdf"]));
    assert!(asm.contains("2026年度 内部監査"), "{asm}");
    // The trail extract has the risks' creation and the verification says the chain holds.
    let trail = String::from_utf8(files["06-trail/trail-12-months.csv"].clone()).unwrap();
    assert!(trail.contains("リモート保守回線からの不正侵入"), "{trail}");
    let verification = String::from_utf8(files["06-trail/verification.txt"].clone()).unwrap();
    assert!(verification.contains("検証しました"), "{verification}");
}

#[tokio::test]
async fn reports_page_and_api() {
    let app = app().await;
    let id = content(&app).await;
    let viewer = app.who("viewer", &app.alpha, Some(Role::Viewer)).await;
    let (s, _, page) = app.get("/o/alpha/reports?lang=en", Some(&viewer)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("/o/alpha/reports/certification-pack.zip?lang=en"),
        "{page}"
    );
    assert!(page.contains("/o/alpha/risks/export.pdf?lang=en"));
    assert!(page.contains(&format!("/o/alpha/assessments/{id}/export.pdf?lang=en")));

    let (s, h, pdf) = fetch(&app, "/api/v1/risks/export.pdf?lang=ja", &viewer).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h.get(header::CONTENT_TYPE).unwrap(), "application/pdf");
    assert!(flat(&pdf_text(&pdf)).contains("リモート保守回線からの不正侵入"));
    let (s, _, pdf) = fetch(
        &app,
        &format!("/api/v1/assessments/{id}/export.pdf?lang=en"),
        &viewer,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(flat(&pdf_text(&pdf)).contains("2026年度 内部監査"));
    let (s, h, _) = fetch(&app, "/api/v1/reports/certification-pack?lang=en", &viewer).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h.get(header::CONTENT_TYPE).unwrap(), "application/zip");

    // A language that is not one: 422 naming the field.
    let (s, _, body) = app
        .api(
            axum::http::Method::GET,
            "/api/v1/reports/scope.pdf?lang=fr",
            &viewer,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "lang", "{body}");
}
