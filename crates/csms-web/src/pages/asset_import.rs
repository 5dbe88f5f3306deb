//! Pages for importing and exporting the asset inventory (routes declared in [`routes`]).
//!
//! The import is stateless between its two steps: "Check" uploads the file and shows a
//! preview (counts by type, the first rows as they will be stored, every error by row and
//! column) with the file's SHA-256; "Import" uploads the file again with that SHA-256, and the
//! server refuses (409) a file that differs, so any instance may answer either request.

use askama::Template;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use csms_domain::inventory::NewAsset;
use csms_domain::org::Organization;
use csms_report::inventory::{self as inv, Checked, TagFrom};

use crate::AppState;
use crate::api::asset_import::{
    IMPORT_LIMIT, PREVIEW_ROWS, check_file, check_token, download, export_response,
    options_changed, sha256_hex,
};
use crate::authz::Caller;
use crate::pages::org::org_of;
use crate::pages::{Ctx, render};
use crate::routes::{Route, route};

/// Message keys this module builds at run time (checked by the i18n test).
#[cfg(test)]
pub(crate) const DYNAMIC_KEYS: &[&str] = &[];

/// One checked row as the preview shows it.
pub struct RowView {
    pub row: u64,
    pub tag: String,
    pub name: String,
    pub asset_type: &'static str,
    pub vendor: String,
    pub model: String,
    pub addresses: String,
    pub purdue: String,
}

fn row_view(row: u64, a: &NewAsset) -> RowView {
    RowView {
        row,
        tag: a.asset_tag.clone(),
        name: a.name.clone(),
        asset_type: a.asset_type.as_str(),
        vendor: a.vendor.clone(),
        model: a.model.clone(),
        addresses: a
            .interfaces
            .iter()
            .flat_map(|i| i.ip.iter().chain(i.mac.iter()))
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
        purdue: a.purdue_level.clone().unwrap_or_default(),
    }
}

/// The preview of a checked file.
pub struct PreviewView {
    pub file_name: String,
    pub sha256: String,
    /// The check token: the file and the options checked (sent back by "Import").
    pub check: String,
    pub rows: u64,
    pub assets: usize,
    pub by_type: Vec<(&'static str, u64)>,
    pub first: Vec<RowView>,
    pub errors: Vec<inv::Problem>,
    pub more_errors: u64,
    pub warnings: Vec<inv::Problem>,
    pub more_warnings: u64,
    pub ok: bool,
}

#[derive(Template)]
#[template(path = "asset_import.html")]
pub struct ImportPage {
    pub ctx: Ctx,
    pub org: Organization,
    pub limit_mb: usize,
    pub tag_from_ip: bool,
    pub keep_other: bool,
    pub preview: Option<PreviewView>,
    pub accepted: String,
}

async fn page(
    state: &AppState,
    caller: &Caller,
    status: StatusCode,
    form: (bool, bool),
    preview: Option<PreviewView>,
    error: Option<String>,
) -> Response {
    let org = org_of(caller);
    let path = format!("/o/{}/assets/import", org.slug);
    let mut ctx = Ctx::new(state, caller, "assets", &path).await;
    if let Some(e) = error {
        ctx.error(e);
    }
    let p = ImportPage {
        ctx,
        org,
        limit_mb: IMPORT_LIMIT / (1024 * 1024),
        tag_from_ip: form.0,
        keep_other: form.1,
        preview,
        accepted: inv::accepted_headers(),
    };
    (status, render(&p)).into_response()
}

pub async fn import_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    page(&state, &caller, StatusCode::OK, (false, false), None, None).await
}

/// What the import form sent.
#[derive(Default)]
struct Form {
    file_name: String,
    file: Option<Bytes>,
    tag_from_ip: bool,
    keep_other: bool,
    sha256: String,
    check: String,
    apply: bool,
}

async fn read_form(mut multipart: Multipart) -> Result<Form, (StatusCode, String)> {
    let mut f = Form::default();
    let too_large = |tr_limit: usize| (StatusCode::PAYLOAD_TOO_LARGE, format!("{tr_limit}"));
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                let file_name = field.file_name().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        too_large(IMPORT_LIMIT / (1024 * 1024))
                    } else {
                        (e.status(), e.body_text())
                    }
                })?;
                let text = || String::from_utf8_lossy(&bytes).trim().to_owned();
                match name.as_str() {
                    "file" => {
                        f.file_name = crate::pages::catalog::display_name(&file_name);
                        f.file = Some(bytes.clone());
                    }
                    "tag_from" => f.tag_from_ip = text() == "ip",
                    "keep_other" => f.keep_other = !bytes.is_empty(),
                    "sha256" => f.sha256 = text(),
                    "check" => f.check = text(),
                    "action" => f.apply = text() == "apply",
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(e) => {
                return Err(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large(IMPORT_LIMIT / (1024 * 1024))
                } else {
                    (e.status(), e.body_text())
                });
            }
        }
    }
    Ok(f)
}

fn preview_of(file_name: String, sha256: String, check: String, c: &Checked) -> PreviewView {
    PreviewView {
        file_name,
        sha256,
        check,
        rows: c.row_count,
        assets: c.assets.len(),
        by_type: c.by_type.iter().map(|(k, v)| (*k, *v)).collect(),
        first: c
            .assets
            .iter()
            .zip(&c.rows)
            .take(PREVIEW_ROWS)
            .map(|(a, r)| row_view(*r, a))
            .collect(),
        errors: c.errors.clone(),
        more_errors: c.more_errors,
        warnings: c.warnings.clone(),
        more_warnings: c.more_warnings,
        ok: c.is_ok(),
    }
}

/// Checks an uploaded file and shows the preview, or (with `action=apply` and the SHA-256 of
/// the preview) imports it and goes to the asset list.
pub async fn import(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let tr = &caller.tr;
    let org = org_of(&caller);
    let form = match read_form(multipart).await {
        Ok(f) => f,
        Err((status, reason)) => {
            let msg = if status == StatusCode::PAYLOAD_TOO_LARGE {
                tr.t1(
                    "asset-import-too-large",
                    "limit",
                    IMPORT_LIMIT / (1024 * 1024),
                )
            } else {
                tr.t1("asset-import-unreadable", "reason", reason)
            };
            return page(&state, &caller, status, (false, false), None, Some(msg)).await;
        }
    };
    let flags = (form.tag_from_ip, form.keep_other);
    let Some(bytes) = form.file.filter(|b| !b.is_empty()) else {
        let msg = tr.t("asset-import-no-file");
        return page(
            &state,
            &caller,
            StatusCode::UNPROCESSABLE_ENTITY,
            flags,
            None,
            Some(msg),
        )
        .await;
    };
    if bytes.len() > IMPORT_LIMIT {
        let msg = tr.t1(
            "asset-import-too-large",
            "limit",
            IMPORT_LIMIT / (1024 * 1024),
        );
        return page(
            &state,
            &caller,
            StatusCode::PAYLOAD_TOO_LARGE,
            flags,
            None,
            Some(msg),
        )
        .await;
    }
    let sha256 = sha256_hex(&bytes);
    if form.apply && !form.sha256.eq_ignore_ascii_case(&sha256) {
        let msg = tr.t("asset-import-changed");
        return page(
            &state,
            &caller,
            StatusCode::CONFLICT,
            flags,
            None,
            Some(msg),
        )
        .await;
    }
    let tag_from = if form.tag_from_ip {
        TagFrom::Ip
    } else {
        TagFrom::Column
    };
    if form.apply {
        // The options must be those checked too (the token binds both).
        let msg = match options_changed(&form.check, &sha256, tag_from, form.keep_other) {
            Ok(None) => None,
            Ok(Some(changed)) => {
                let tag = changed.iter().any(|c| c.0 == "tag_from");
                let keep = changed.iter().any(|c| c.0 == "keep_other_columns");
                let what = match (tag, keep) {
                    (true, true) => tr.t("asset-import-option-both"),
                    (true, false) => tr.t("asset-import-option-tag-from"),
                    _ => tr.t("asset-import-option-keep-other"),
                };
                Some(tr.t1("asset-import-options-changed", "what", what))
            }
            Err(()) => Some(tr.t("asset-import-changed")),
        };
        if let Some(msg) = msg {
            return page(
                &state,
                &caller,
                StatusCode::CONFLICT,
                flags,
                None,
                Some(msg),
            )
            .await;
        }
    }
    let checked = match check_file(&state, org.id, bytes, tag_from, form.keep_other).await {
        Ok((c, _)) => c,
        Err(p) => return p.into_response(),
    };
    if !checked.is_ok() || !form.apply {
        let status = if checked.is_ok() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let check = check_token(&sha256, tag_from, form.keep_other);
        let preview = preview_of(form.file_name, sha256, check, &checked);
        return page(&state, &caller, status, flags, Some(preview), None).await;
    }
    let count = checked.assets.len();
    match state
        .store()
        .import_assets_from_file(&caller.actor(), org.id, checked.assets, &sha256)
        .await
    {
        Ok(_) => {
            let to = format!("/o/{}/assets?imported={count}", org.slug);
            if headers.contains_key("hx-request") {
                let mut res = StatusCode::NO_CONTENT.into_response();
                if let Ok(v) = axum::http::HeaderValue::from_str(&to) {
                    res.headers_mut().insert("hx-redirect", v);
                }
                res
            } else {
                Redirect::to(&to).into_response()
            }
        }
        Err(e) => {
            let status = match e {
                csms_store::StoreError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                csms_store::StoreError::Locked(_) | csms_store::StoreError::Duplicate { .. } => {
                    StatusCode::CONFLICT
                }
                _ => {
                    tracing::error!(error = %e, "asset import failed");
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            };
            let msg = tr.t1("asset-import-failed", "reason", e.to_string());
            page(&state, &caller, status, flags, None, Some(msg)).await
        }
    }
}

pub async fn template_csv(Extension(caller): Extension<Caller>) -> Response {
    let lang = caller.tr.lang.code();
    download(
        inv::template_csv(lang).into_bytes(),
        "text/csv; charset=utf-8",
        "asset-import-template.csv",
    )
}

pub async fn template_xlsx(Extension(caller): Extension<Caller>) -> Response {
    let lang = caller.tr.lang.code();
    match inv::template_xlsx(lang) {
        Ok(b) => download(b, inv::XLSX_TYPE, "asset-import-template.xlsx"),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

pub async fn export_csv(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let lang = caller.tr.lang.code();
    export_response(&state, &caller, false, lang)
        .await
        .into_response()
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let lang = caller.tr.lang.code();
    export_response(&state, &caller, true, lang)
        .await
        .into_response()
}

/// The routes of this area's pages.
pub(crate) fn routes() -> Vec<Route> {
    vec![
        route!(GET, "/o/{org}/assets/import", OrgWrite, get(import_page)),
        route!(
            POST,
            "/o/{org}/assets/import",
            OrgWrite,
            post(import),
            limit = IMPORT_LIMIT + 64 * 1024
        ),
        route!(
            GET,
            "/o/{org}/assets/import/template.csv",
            OrgRead,
            get(template_csv)
        ),
        route!(
            GET,
            "/o/{org}/assets/import/template.xlsx",
            OrgRead,
            get(template_xlsx)
        ),
        route!(GET, "/o/{org}/assets/export.csv", OrgRead, get(export_csv)),
        route!(
            GET,
            "/o/{org}/assets/export.xlsx",
            OrgRead,
            get(export_xlsx)
        ),
    ]
}
