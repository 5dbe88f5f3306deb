//! `/api/v1` for importing and exporting assets: handlers, their OpenAPI fragment
//! ([`AssetImportApi`]) and routes. The file layout is described in
//! `csms_report::inventory`; the checks run on the blocking pool (a 50 MB file takes a while).

use std::collections::BTreeMap;

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use csms_domain::Uuid;
use csms_report::inventory::{
    self as inv, Checked, ImportOptions, Lookups, Problem as FileProblem, TagFrom,
};
use csms_store::inventory::{AssetFilter, InventoryNames};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::AppState;
use crate::api::ProblemDto;
use crate::authz::Caller;
use crate::problem::Problem;
use crate::routes::{Route, route};

/// The largest import file (the page and the API).
pub const IMPORT_LIMIT: usize = 50 * 1024 * 1024;
/// How many checked rows a preview shows.
pub const PREVIEW_ROWS: usize = 20;

/// The SHA-256 of a file, in hex (the preview shows it; the apply must send the same).
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// How a check was asked for, as the check token binds it: `tag_from=column;keep_other_columns=false`.
pub(crate) fn options_key(tag_from: TagFrom, keep_other_columns: bool) -> String {
    let t = match tag_from {
        TagFrom::Column => "column",
        TagFrom::Ip => "ip",
    };
    format!("tag_from={t};keep_other_columns={keep_other_columns}")
}

/// The token a check answers and an import sends back: the SHA-256 (hex) over the file's
/// SHA-256 and the options, so an import applies exactly the file and the options checked.
pub(crate) fn check_token(
    file_sha256: &str,
    tag_from: TagFrom,
    keep_other_columns: bool,
) -> String {
    sha256_hex(
        format!(
            "{}\n{}",
            file_sha256.to_ascii_lowercase(),
            options_key(tag_from, keep_other_columns)
        )
        .as_bytes(),
    )
}

/// Options that differ from those checked: (name, value checked, value now).
pub(crate) type OptionChanges = Vec<(&'static str, String, String)>;

/// What differs between the check that answered `token` and this import (same file): the
/// options named with the value checked and the value now, or None when they are the same.
/// `Err(())` when no options make the token (another file was checked, or the token is wrong).
pub(crate) fn options_changed(
    token: &str,
    file_sha256: &str,
    tag_from: TagFrom,
    keep_other_columns: bool,
) -> Result<Option<OptionChanges>, ()> {
    let token = token.trim();
    for t in [TagFrom::Column, TagFrom::Ip] {
        for k in [false, true] {
            if !check_token(file_sha256, t, k).eq_ignore_ascii_case(token) {
                continue;
            }
            let mut changed = Vec::new();
            let name = |t: TagFrom| if t == TagFrom::Ip { "ip" } else { "column" };
            if t != tag_from {
                changed.push(("tag_from", name(t).to_owned(), name(tag_from).to_owned()));
            }
            if k != keep_other_columns {
                changed.push((
                    "keep_other_columns",
                    k.to_string(),
                    keep_other_columns.to_string(),
                ));
            }
            return Ok((!changed.is_empty()).then_some(changed));
        }
    }
    Err(())
}

/// Whether a text is a SHA-256 in hex (only then is it repeated in a message).
pub(crate) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// At most one workbook is checked at a time: a workbook is held whole in memory and
/// unpacked, so checks side by side would multiply the memory a check may take.
static XLSX_CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// Checks an import file against the organization's inventory, on the blocking pool.
pub(crate) async fn check_file(
    state: &AppState,
    org_id: Uuid,
    bytes: Bytes,
    tag_from: TagFrom,
    keep_other_columns: bool,
) -> Result<(Checked, InventoryNames), Problem> {
    let names = state.store().inventory_names(org_id).await?;
    let options = ImportOptions {
        tag_from,
        keep_other_columns,
        max_bytes: IMPORT_LIMIT as u64,
    };
    let xlsx = inv::is_xlsx(&bytes);
    let permit = if xlsx {
        Some(XLSX_CHECKS.acquire().await.map_err(|e| {
            tracing::error!(error = %e, "asset import check gate closed");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Unavailable",
                "the server is not checking workbooks now; try again",
            )
        })?)
    } else {
        None
    };
    let checked = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let map = |v: &[(Uuid, String)]| v.iter().map(|(id, n)| (n.clone(), *id)).collect();
        let taken = |t: &str| names.tags.contains(t);
        let lookups = Lookups {
            systems: map(&names.systems),
            zones: map(&names.zones),
            members: map(&names.members),
            tag_taken: Some(&taken),
        };
        let checked = if xlsx {
            inv::check_xlsx(&bytes, &options, &lookups)
        } else {
            inv::check_csv(&bytes[..], &options, &lookups, None)
        };
        (checked, names)
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "asset import check failed");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the server could not check the file; the error is in the server log",
        )
    })?;
    Ok(checked)
}

/// The names of the organization's systems, zones and members by id (for exports).
pub(crate) fn names_of(n: &InventoryNames) -> inv::Names {
    let map = |v: &[(Uuid, String)]| v.iter().cloned().collect();
    inv::Names {
        owners: map(&n.members),
        systems: map(&n.systems),
        zones: map(&n.zones),
    }
}

/// Every asset of the organization in tag order, read a page at a time.
pub(crate) async fn all_assets(
    state: &AppState,
    org_id: Uuid,
) -> Result<Vec<csms_domain::inventory::Asset>, Problem> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = state
            .store()
            .assets(
                org_id,
                &AssetFilter {
                    limit: 1_000,
                    after: after.take(),
                    ..Default::default()
                },
            )
            .await?;
        out.extend(page.assets);
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

/// An export file as a download: `assets-<org>-<date>.<ext>`.
pub(crate) async fn export_response(
    state: &AppState,
    caller: &Caller,
    xlsx: bool,
    lang: &str,
) -> Result<Response, Problem> {
    let org = caller.org()?.0.clone();
    let assets = all_assets(state, org.id).await?;
    let names = names_of(&state.store().inventory_names(org.id).await?);
    let lang = lang.to_owned();
    let body = tokio::task::spawn_blocking(move || {
        if xlsx {
            inv::inventory_xlsx(&lang, &assets, &names).map_err(|e| e.to_string())
        } else {
            Ok(inv::inventory_csv(&lang, &assets, &names).into_bytes())
        }
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r)
    .map_err(|e| {
        tracing::error!(error = %e, "asset export failed");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the server could not write the export; the error is in the server log",
        )
    })?;
    let date = csms_domain::time::now().date();
    let (ext, ctype) = if xlsx {
        ("xlsx", inv::XLSX_TYPE)
    } else {
        ("csv", "text/csv; charset=utf-8")
    };
    Ok(download(
        body,
        ctype,
        &format!("assets-{}-{date}.{ext}", org.slug),
    ))
}

/// A file download response.
pub(crate) fn download(body: Vec<u8>, content_type: &str, file_name: &str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

// ---------------------------------------------------------------------------------------
// DTOs

/// One problem of an import file.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileProblemDto {
    /// The 1-based line of the CSV file or row of the sheet; 0 for the whole file.
    pub row: u64,
    /// The column header as the file writes it; empty for a whole row or the file.
    pub column: String,
    /// The value (at most 80 characters).
    pub value: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl From<&FileProblem> for FileProblemDto {
    fn from(p: &FileProblem) -> Self {
        FileProblemDto {
            row: p.row,
            column: p.column.clone(),
            value: p.value.clone(),
            message: p.message.clone(),
        }
    }
}

/// What an import file holds (a dry run), or what was stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportPreview {
    /// The SHA-256 of the file (hex): send it back as `sha256` to apply exactly this file.
    pub sha256: String,
    /// The check token (hex): the SHA-256 over the file's SHA-256 and the options checked
    /// (`tag_from`, `keep_other_columns`). Send it back as `check` to import exactly this file
    /// with exactly these options.
    pub check: String,
    /// The options checked: `tag_from=column;keep_other_columns=false`.
    pub options: String,
    /// Rows read (without the header and empty rows).
    pub rows: u64,
    /// Assets ready to import (0 when there are errors).
    pub assets: u64,
    /// Assets stored by this request (0 for a dry run).
    pub stored: u64,
    /// Assets per type (stored name).
    pub by_type: BTreeMap<String, u64>,
    /// The first 200 errors.
    pub errors: Vec<FileProblemDto>,
    /// How many more errors there are.
    pub more_errors: u64,
    /// Values stored differently than written (never block the import).
    pub warnings: Vec<FileProblemDto>,
}

fn preview_of(c: &Checked, sha256: String, options: (TagFrom, bool), stored: u64) -> ImportPreview {
    ImportPreview {
        check: check_token(&sha256, options.0, options.1),
        options: options_key(options.0, options.1),
        sha256,
        rows: c.row_count,
        assets: c.assets.len() as u64,
        stored,
        by_type: c
            .by_type
            .iter()
            .map(|(k, v)| ((*k).to_owned(), *v))
            .collect(),
        errors: c.errors.iter().map(Into::into).collect(),
        more_errors: c.more_errors,
        warnings: c.warnings.iter().map(Into::into).collect(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Check only (`true`), or store when the file has no errors (`false`, the default).
    pub dry_run: Option<bool>,
    /// Where the asset tag comes from: `column` (default) or `ip` (the row's first IP
    /// address, for device lists without asset ids).
    pub tag_from: Option<String>,
    /// Keep columns outside the layout as custom fields instead of refusing the file.
    pub keep_other_columns: Option<bool>,
    /// The SHA-256 a dry run answered: the import is refused (409) when the file differs.
    pub sha256: Option<String>,
    /// The check token a dry run answered: the import is refused (409) when the file or the
    /// options (`tag_from`, `keep_other_columns`) differ from the ones checked.
    pub check: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (default) or `xlsx`.
    pub format: Option<String>,
    /// Header language: `en` (default) or `ja`.
    pub lang: Option<String>,
}

fn bad(detail: impl Into<String>) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "bad-request",
        "Malformed request",
        detail,
    )
}

/// Checks an asset file (CSV in UTF-8, or XLSX) sent as the request body, and imports it
/// unless `dry_run=true`: every asset or, on any error, none. Errors name the row and column.
/// An import adds assets: tags the organization uses already are refused.
#[utoipa::path(post, path = "/api/v1/assets/import", tag = "assets",
    params(ImportParams),
    request_body(description = "The file itself (not a form), at most 50 MB",
        content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, description = "Dry run: what the file holds", body = ImportPreview),
        (status = 201, description = "Imported", body = ImportPreview),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The file or the options differ from the ones previewed (sha256, check)", body = ProblemDto, content_type = "application/problem+json"),
        (status = 413, description = "Larger than 50 MB", body = ProblemDto, content_type = "application/problem+json"),
        (status = 415, description = "Sent as a form; send the file itself", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "The file has errors; `errors` lists them by row and column and nothing was stored", body = ImportPreview, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn import_assets(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: axum::http::HeaderMap,
    p: Result<Query<ImportParams>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let Query(p) = p.map_err(|e| bad(e.body_text()))?;
    let org = caller.org()?.0.clone();
    let tag_from =
        TagFrom::parse(p.tag_from.as_deref().unwrap_or("column")).map_err(|e| bad(e.message))?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/")
        || content_type.starts_with("application/x-www-form-urlencoded")
    {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "send the CSV or XLSX file itself as the body (Content-Type: text/csv or the XLSX type), not as a form",
        ));
    }
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Too large",
                format!(
                    "the file is larger than {} MB; split it into smaller files",
                    IMPORT_LIMIT / (1024 * 1024)
                ),
            )
        } else {
            bad(e.body_text())
        }
    })?;
    let sha256 = sha256_hex(&bytes);
    let keep = p.keep_other_columns.unwrap_or(false);
    let file_changed = |expected: Option<&str>| {
        let expected = match expected.map(str::trim).filter(|e| is_sha256_hex(e)) {
            Some(e) => format!(", expected {}", e.to_ascii_lowercase()),
            None => String::new(),
        };
        Problem::new(
            StatusCode::CONFLICT,
            "file-changed",
            "File changed",
            format!(
                "the file differs from the one checked (SHA-256 {sha256}{expected}); check it again and apply what the new check shows"
            ),
        )
    };
    if let Some(expected) = p.sha256.as_deref()
        && !expected.trim().eq_ignore_ascii_case(&sha256)
    {
        return Err(file_changed(Some(expected)));
    }
    if let Some(token) = p.check.as_deref() {
        match options_changed(token, &sha256, tag_from, keep) {
            Ok(None) => {}
            Ok(Some(changed)) => {
                let what: Vec<String> = changed
                    .iter()
                    .map(|(name, then, now)| format!("{name} (checked with {then}, now {now})"))
                    .collect();
                return Err(Problem::new(
                    StatusCode::CONFLICT,
                    "options-changed",
                    "Options changed",
                    format!(
                        "the options differ from the ones checked: {}; check the file again with these options and apply what the new check shows",
                        what.join(", ")
                    ),
                ));
            }
            Err(()) => return Err(file_changed(None)),
        }
    }
    let (checked, _) = check_file(&state, org.id, bytes, tag_from, keep).await?;
    if !checked.is_ok() {
        let preview = preview_of(&checked, sha256, (tag_from, keep), 0);
        return Err(Problem {
            extra: Some(json!({
                "sha256": preview.sha256,
                "check": preview.check,
                "options": preview.options,
                "rows": preview.rows,
                "assets": 0,
                "stored": 0,
                "by_type": preview.by_type,
                "errors": preview.errors,
                "more_errors": preview.more_errors,
                "warnings": preview.warnings,
            })),
            ..Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-file",
                "The file has errors",
                format!(
                    "{} error(s); nothing was imported. The first: {}",
                    checked.error_count(),
                    checked
                        .errors
                        .first()
                        .map(|e| e.to_string())
                        .unwrap_or_default()
                ),
            )
        });
    }
    if p.dry_run.unwrap_or(false) {
        return Ok(Json(preview_of(&checked, sha256, (tag_from, keep), 0)).into_response());
    }
    let mut preview = preview_of(&checked, sha256.clone(), (tag_from, keep), 0);
    let summary = state
        .store()
        .import_assets_from_file(&caller.actor(), org.id, checked.assets, &sha256)
        .await?;
    preview.stored = summary.count as u64;
    Ok((StatusCode::CREATED, Json(preview)).into_response())
}

/// The organization's whole inventory in the import layout (CSV in UTF-8 with a byte order
/// mark, or XLSX), as a download.
#[utoipa::path(get, path = "/api/v1/assets/export", tag = "assets",
    params(ExportParams),
    responses((status = 200, description = "The file",
            content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn export_assets(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    p: Result<Query<ExportParams>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(p) = p.map_err(|e| bad(e.body_text()))?;
    let xlsx = match p.format.as_deref().unwrap_or("csv") {
        "csv" => false,
        "xlsx" => true,
        other => {
            return Err(bad(format!(
                "format '{}' is not known; use csv or xlsx",
                inv::shown(other)
            )));
        }
    };
    let lang = match p.lang.as_deref().unwrap_or("en") {
        "ja" => "ja",
        "en" => "en",
        other => {
            return Err(bad(format!(
                "lang '{}' is not known; use en or ja",
                inv::shown(other)
            )));
        }
    };
    export_response(&state, &caller, xlsx, lang).await
}

/// The OpenAPI paths and schemas of this area, merged into the API document.
#[derive(OpenApi)]
#[openapi(
    paths(import_assets, export_assets),
    components(schemas(ImportPreview, FileProblemDto))
)]
pub struct AssetImportApi;

/// The routes of this area's API.
pub(crate) fn routes() -> Vec<Route> {
    vec![
        route!(
            POST,
            "/api/v1/assets/import",
            OrgWrite,
            post(import_assets),
            limit = IMPORT_LIMIT
        ),
        route!(GET, "/api/v1/assets/export", OrgRead, get(export_assets)),
    ]
}
