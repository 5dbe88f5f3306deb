//! Pages for documents and evidence: the list (filters by type, status and review due; a new
//! document with its first file), a document's page (versions, workflow buttons, evidence
//! links, a new version, downloads) and the organization's classification scheme.
//!
//! Uploads are multipart forms sent by htmx (the CSRF token travels in its header); the file
//! is streamed into the attachment store by [`crate::api::documents::store_field`], so the
//! limit and the sniffing are the API's.

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use csms_domain::Uuid;
use csms_domain::document::{
    self as dd, DocType, Document, DocumentVersion, NewDocument, Transition, VersionStatus,
};
use csms_domain::org::{FieldError, Organization};
use csms_store::StoreError;
use serde::Deserialize;

use crate::AppState;
use crate::api::documents::{
    DocumentQuery, FORM_OVERHEAD, UPLOAD_ROUTE_LIMIT, blob_problem, check_declared_length,
    date_text, download, human_size, link_target, store_field, summary_of, transition,
};
use crate::authz::{Caller, Perm};
use crate::pages::org::org_of;
use crate::pages::{Ctx, error_page, render};
use crate::routes::{Route, route};

/// Message keys this module builds at run time (checked to exist in both languages).
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const DYNAMIC_KEYS: &[&str] = &[
    "documents-type-policy",
    "documents-type-procedure",
    "documents-type-plan",
    "documents-type-record",
    "documents-status-draft",
    "documents-status-in_review",
    "documents-status-approved",
    "documents-status-superseded",
    "documents-status-withdrawn",
    "documents-action-submit",
    "documents-action-return",
    "documents-action-approve",
    "documents-action-withdraw",
    "documents-kind-requirement",
    "documents-kind-control",
    "documents-kind-risk",
    "documents-kind-soa_item",
    "documents-kind-finding",
    "documents-notice-created",
    "documents-notice-uploaded",
    "documents-notice-moved",
    "documents-notice-linked",
    "documents-notice-unlinked",
    "documents-notice-saved",
];

pub(crate) fn routes() -> Vec<Route> {
    vec![
        route!(GET, "/o/{org}/documents", OrgRead, get(list)),
        route!(
            POST,
            "/o/{org}/documents",
            OrgWrite,
            post(create),
            limit = UPLOAD_ROUTE_LIMIT
        ),
        route!(
            GET,
            "/o/{org}/documents/classifications",
            OrgManage,
            get(classifications)
        ),
        route!(
            POST,
            "/o/{org}/documents/classifications",
            OrgManage,
            post(save_classifications)
        ),
        route!(GET, "/o/{org}/documents/{id}", OrgRead, get(show)),
        route!(
            POST,
            "/o/{org}/documents/{id}/versions",
            OrgWrite,
            post(upload),
            limit = UPLOAD_ROUTE_LIMIT
        ),
        route!(
            POST,
            "/o/{org}/documents/{id}/versions/{vid}/transition",
            OrgWrite,
            post(move_version)
        ),
        route!(
            GET,
            "/o/{org}/documents/{id}/versions/{vid}/file",
            OrgRead,
            get(file)
        ),
        route!(POST, "/o/{org}/documents/{id}/links", OrgWrite, post(link)),
        route!(
            POST,
            "/o/{org}/documents/{id}/links/{link}/remove",
            OrgWrite,
            post(unlink)
        ),
    ]
}

/// An option of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A row of the list.
pub struct Row {
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub doc_type: String,
    pub classification: String,
    pub status: Option<(&'static str, String)>,
    pub approved: Option<i64>,
    pub next_review: String,
    pub review_due: bool,
}

#[derive(Template)]
#[template(path = "documents.html")]
pub struct ListPage {
    pub ctx: Ctx,
    pub org: Organization,
    pub rows: Vec<Row>,
    pub total: usize,
    pub types: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub review_due: bool,
    pub filtered: bool,
    pub can_write: bool,
    pub can_manage: bool,
    pub classifications: Vec<Choice>,
    pub new_types: Vec<Choice>,
    pub limit: String,
    pub form: NewForm,
}

/// What the new-document form holds (kept when it is shown again with an error).
#[derive(Default, Clone)]
pub struct NewForm {
    pub title: String,
    pub doc_type: String,
    pub classification: String,
    pub review_months: String,
    pub retention_months: String,
    pub note: String,
}

/// A version on the document page.
pub struct VersionView {
    pub v: DocumentVersion,
    pub status_label: String,
    pub author: String,
    pub approver: String,
    pub created: String,
    pub approved: String,
    pub size: String,
    pub retain_until: String,
    pub actions: Vec<(&'static str, String, bool)>,
}

/// An evidence link on the document page.
pub struct LinkView {
    pub id: Uuid,
    pub kind: String,
    pub target: String,
    pub href: Option<String>,
}

#[derive(Template)]
#[template(path = "documents_show.html")]
pub struct ShowPage {
    pub ctx: Ctx,
    pub org: Organization,
    pub doc: Document,
    pub doc_type: String,
    pub owner: String,
    pub next_review: String,
    pub review_due: bool,
    pub versions: Vec<VersionView>,
    pub links: Vec<LinkView>,
    pub kinds: Vec<Choice>,
    pub can_write: bool,
    pub limit: String,
}

#[derive(Template)]
#[template(path = "documents_classifications.html")]
pub struct ClassificationsPage {
    pub ctx: Ctx,
    pub org: Organization,
    pub labels: String,
    pub version: i64,
}

fn type_label(ctx: &Ctx, t: DocType) -> String {
    ctx.t(&format!("documents-type-{}", t.as_str()))
}

fn status_label(ctx: &Ctx, s: VersionStatus) -> String {
    ctx.t(&format!("documents-status-{}", s.as_str()))
}

fn status_class(s: VersionStatus) -> &'static str {
    match s {
        VersionStatus::Draft => "neutral",
        VersionStatus::InReview => "warn",
        VersionStatus::Approved => "ok",
        VersionStatus::Superseded | VersionStatus::Withdrawn => "muted",
    }
}

fn notice(ctx: &mut Ctx, key: Option<&str>) {
    const KNOWN: &[&str] = &[
        "created", "uploaded", "moved", "linked", "unlinked", "saved",
    ];
    if let Some(k) = key.and_then(|k| KNOWN.iter().find(|n| **n == k)) {
        ctx.notices.push(crate::pages::Notice {
            kind: "ok",
            text: ctx.t(&format!("documents-notice-{k}")),
        });
    }
}

/// A redirect that htmx follows as a full navigation (`HX-Redirect`), or a 303.
fn go(headers: &HeaderMap, to: &str) -> Response {
    if headers.contains_key("hx-request") {
        let mut res = StatusCode::NO_CONTENT.into_response();
        if let Ok(v) = HeaderValue::from_str(to) {
            res.headers_mut().insert("hx-redirect", v);
        }
        res
    } else {
        Redirect::to(to).into_response()
    }
}

/// List filters as the form sends them (plus the notice).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    #[serde(rename = "type")]
    pub doc_type: Option<String>,
    pub status: Option<String>,
    pub review_due: Option<String>,
    pub notice: Option<String>,
}

async fn list_page(
    state: &AppState,
    caller: &Caller,
    q: &ListQuery,
    status: StatusCode,
    form: NewForm,
    error: Option<String>,
) -> Response {
    let org = org_of(caller);
    let path = format!("/o/{}/documents", org.slug);
    let mut ctx = Ctx::new(state, caller, "documents", &path).await;
    notice(&mut ctx, q.notice.as_deref());
    if let Some(e) = error {
        ctx.error(e);
    }
    let today = crate::pages::risk::today(&org);
    let dq = DocumentQuery {
        doc_type: q.doc_type.clone(),
        status: q.status.clone(),
        review_due: q.review_due.clone(),
    };
    let filter = match dq.filter(today) {
        Ok(f) => f,
        Err(e) => {
            ctx.error(e.message);
            Default::default()
        }
    };
    let store = state.store();
    let (all, scheme) = match (
        store.documents(org.id, &Default::default()).await,
        store.classification_scheme(org.id).await,
    ) {
        (Ok(a), Ok(s)) => (a, s),
        _ => return error_page(caller, StatusCode::INTERNAL_SERVER_ERROR, "error-internal"),
    };
    let rows = all
        .iter()
        .filter(|s| filter.matches(s))
        .map(|s| Row {
            id: s.document.id,
            code: s.document.code.clone(),
            title: s.document.title.clone(),
            doc_type: type_label(&ctx, s.document.doc_type),
            classification: s.document.classification.clone(),
            status: s
                .status()
                .map(|st| (status_class(st), status_label(&ctx, st))),
            approved: s.approved.as_ref().map(|v| v.number),
            next_review: date_text(s.document.next_review).unwrap_or_default(),
            review_due: s.document.review_due(today),
        })
        .collect();
    let cur_type = q.doc_type.clone().unwrap_or_default();
    let cur_status = q.status.clone().unwrap_or_default();
    let types = DocType::ALL
        .iter()
        .map(|t| Choice {
            value: t.as_str().into(),
            label: type_label(&ctx, *t),
            selected: cur_type == t.as_str(),
        })
        .collect();
    let new_types = DocType::ALL
        .iter()
        .map(|t| Choice {
            value: t.as_str().into(),
            label: type_label(&ctx, *t),
            selected: form.doc_type == t.as_str(),
        })
        .collect();
    let statuses = VersionStatus::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str().into(),
            label: status_label(&ctx, *s),
            selected: cur_status == s.as_str(),
        })
        .collect();
    let default_class = scheme.labels.get(1).or(scheme.labels.first()).cloned();
    let classifications = scheme
        .labels
        .iter()
        .map(|l| Choice {
            value: l.clone(),
            label: l.clone(),
            selected: if form.classification.is_empty() {
                Some(l) == default_class.as_ref()
            } else {
                *l == form.classification
            },
        })
        .collect();
    let review_due = filter.review_due_on.is_some();
    let p = ListPage {
        filtered: filter.doc_type.is_some() || filter.status.is_some() || review_due,
        review_due,
        total: all.len(),
        rows,
        types,
        statuses,
        can_write: caller.may(Perm::OrgWrite),
        can_manage: caller.may(Perm::OrgManage),
        classifications,
        new_types,
        limit: human_size(state.blobs().max_bytes()),
        form,
        ctx,
        org,
    };
    (status, render(&p)).into_response()
}

pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> Response {
    list_page(
        &state,
        &caller,
        &q,
        StatusCode::OK,
        NewForm::default(),
        None,
    )
    .await
}

/// Reads a multipart form: text fields into `fields`, the `file` field streamed into the
/// attachment store. The file must come after the fields it depends on (the forms put it last).
async fn read_upload(
    state: &AppState,
    mut mp: Multipart,
    before_file: impl Fn(&[(String, String)]) -> Result<(), FieldError>,
) -> Result<
    (
        Vec<(String, String)>,
        Option<(csms_store::blob::StoredBlob, String)>,
    ),
    (StatusCode, String),
> {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut file = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err((e.status(), e.body_text())),
        };
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            if file.is_some() {
                continue;
            }
            let file_name = field.file_name().unwrap_or("").to_owned();
            if file_name.is_empty() {
                // No file chosen: the browser sends an empty part.
                let _ = field.bytes().await;
                continue;
            }
            before_file(&fields).map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e.message))?;
            let blob = store_field(state, field).await.map_err(|e| {
                let p = blob_problem(e);
                (p.status, p.detail)
            })?;
            file = Some((blob, file_name));
        } else {
            let text = field.text().await.unwrap_or_default();
            fields.push((name, text));
        }
    }
    Ok((fields, file))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

fn months(fields: &[(String, String)], name: &'static str) -> Result<i64, FieldError> {
    let v = field(fields, name);
    if v.is_empty() {
        return Ok(0);
    }
    v.parse().map_err(|_| FieldError {
        field: name,
        message: format!("'{v}' is not a number of months"),
    })
}

fn new_document(fields: &[(String, String)]) -> Result<NewDocument, FieldError> {
    Ok(NewDocument {
        title: field(fields, "title").into(),
        doc_type: DocType::parse(field(fields, "doc_type"))?,
        classification: field(fields, "classification").into(),
        owner_id: None,
        review_months: months(fields, "review_months")?,
        retention_months: months(fields, "retention_months")?,
    })
}

pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    mp: Multipart,
) -> Response {
    let org = org_of(&caller);
    let q = ListQuery::default();
    if let Err(e) = check_declared_length(&state, &headers, FORM_OVERHEAD) {
        let p = blob_problem(e);
        return list_page(
            &state,
            &caller,
            &q,
            p.status,
            NewForm::default(),
            Some(p.detail),
        )
        .await;
    }
    let scheme = match state.store().classification_scheme(org.id).await {
        Ok(s) => s,
        Err(_) => return error_page(&caller, StatusCode::INTERNAL_SERVER_ERROR, "error-internal"),
    };
    // The document's fields are checked before the file is stored: a refused form stores
    // nothing.
    let check = |fields: &[(String, String)]| {
        dd::validate_document(new_document(fields)?, &scheme.labels).map(|_| ())
    };
    let (fields, file) = match read_upload(&state, mp, check).await {
        Ok(r) => r,
        Err((status, msg)) => {
            return list_page(&state, &caller, &q, status, NewForm::default(), Some(msg)).await;
        }
    };
    let form = NewForm {
        title: field(&fields, "title").into(),
        doc_type: field(&fields, "doc_type").into(),
        classification: field(&fields, "classification").into(),
        review_months: field(&fields, "review_months").into(),
        retention_months: field(&fields, "retention_months").into(),
        note: field(&fields, "note").into(),
    };
    let fail = |status: StatusCode, msg: String| {
        let form = form.clone();
        let state = state.clone();
        let caller = caller.clone();
        async move {
            list_page(
                &state,
                &caller,
                &ListQuery::default(),
                status,
                form,
                Some(msg),
            )
            .await
        }
    };
    let new = match new_document(&fields) {
        Ok(n) => n,
        Err(e) => return fail(StatusCode::UNPROCESSABLE_ENTITY, e.message).await,
    };
    let Some((blob, file_name)) = file else {
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            caller.tr.t("documents-file-missing"),
        )
        .await;
    };
    let actor = caller.actor();
    let doc = match state.store().create_document(&actor, org.id, new).await {
        Ok(d) => d,
        Err(e) => return fail(store_status(&e), e.to_string()).await,
    };
    if let Err(e) = state
        .store()
        .add_document_version(
            &actor,
            org.id,
            doc.id,
            doc.version,
            &blob,
            &file_name,
            field(&fields, "note"),
        )
        .await
    {
        return fail(store_status(&e), e.to_string()).await;
    }
    go(
        &headers,
        &format!("/o/{}/documents/{}?notice=created", org.slug, doc.id),
    )
}

fn store_status(e: &StoreError) -> StatusCode {
    match e {
        StoreError::Conflict { .. } | StoreError::Locked(_) | StoreError::Duplicate { .. } => {
            StatusCode::CONFLICT
        }
        StoreError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        StoreError::NotFound { .. } => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

async fn show_page(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    status: StatusCode,
    notice_key: Option<&str>,
    error: Option<String>,
) -> Response {
    let org = org_of(caller);
    let store = state.store();
    let doc = match store.document(org.id, id).await {
        Ok(d) => d,
        Err(StoreError::NotFound { .. }) => {
            return error_page(caller, StatusCode::NOT_FOUND, "error-not-found");
        }
        Err(_) => return error_page(caller, StatusCode::INTERNAL_SERVER_ERROR, "error-internal"),
    };
    let path = format!("/o/{}/documents/{}", org.slug, doc.id);
    let mut ctx = Ctx::new(state, caller, "documents", &path).await;
    notice(&mut ctx, notice_key);
    if let Some(e) = error {
        ctx.error(e);
    }
    let (versions, links, members) = match (
        store.document_versions(org.id, id).await,
        store.evidence_links(org.id, id).await,
        store.members(org.id).await,
    ) {
        (Ok(v), Ok(l), Ok(m)) => (v, l, m),
        _ => return error_page(caller, StatusCode::INTERNAL_SERVER_ERROR, "error-internal"),
    };
    let name_of = |u: Option<Uuid>| -> String {
        u.and_then(|u| members.iter().find(|m| m.user.id == u))
            .map(|m| m.user.display_name.clone())
            .unwrap_or_default()
    };
    let fmt = |t: Option<time::OffsetDateTime>| caller.tr.datetime_opt(&t);
    let can_write = caller.may(Perm::OrgWrite);
    let can_manage = caller.may(Perm::OrgManage);
    let me = caller.user.as_ref().map(|u| u.id);
    let views = versions
        .iter()
        .map(|v| {
            let actions = Transition::ALL
                .iter()
                .filter(|t| {
                    dd::apply(
                        v.number,
                        v.status,
                        **t,
                        Some(Uuid::max()),
                        Some(Uuid::nil()),
                    )
                    .is_ok()
                })
                .filter(|t| can_write && (can_manage || !t.needs_manager(v.status)))
                .map(|t| {
                    let own = *t == Transition::Approve && me.is_some() && me == v.created_by;
                    (
                        t.as_str(),
                        ctx.t(&format!("documents-action-{}", t.as_str())),
                        own,
                    )
                })
                .collect();
            VersionView {
                status_label: status_label(&ctx, v.status),
                author: name_of(v.created_by),
                approver: name_of(v.approved_by),
                created: fmt(Some(v.created_at)),
                approved: fmt(v.approved_at),
                size: human_size(v.size.max(0) as u64),
                retain_until: date_text(v.retain_until(doc.retention_months)).unwrap_or_default(),
                actions,
                v: v.clone(),
            }
        })
        .collect();
    let link_views = links
        .iter()
        .map(|l| {
            let (target, href) = match &l.target {
                dd::EvidenceTarget::Requirement {
                    framework,
                    node_ref,
                }
                | dd::EvidenceTarget::SoaItem {
                    framework,
                    node_ref,
                } => (
                    format!("{framework} {node_ref}"),
                    Some(format!(
                        "/o/{}/requirements/{framework}/{node_ref}",
                        org.slug
                    )),
                ),
                dd::EvidenceTarget::Risk(id) => {
                    (id.to_string(), Some(format!("/o/{}/risks/{id}", org.slug)))
                }
                dd::EvidenceTarget::Control(id) | dd::EvidenceTarget::Finding(id) => {
                    (id.to_string(), None)
                }
            };
            LinkView {
                id: l.id,
                kind: ctx.t(&format!("documents-kind-{}", l.target.kind())),
                target,
                href,
            }
        })
        .collect();
    let kinds = dd::EvidenceTarget::KINDS
        .iter()
        .map(|k| Choice {
            value: (*k).into(),
            label: ctx.t(&format!("documents-kind-{k}")),
            selected: *k == "requirement",
        })
        .collect();
    let today = crate::pages::risk::today(&org);
    let _ = summary_of(doc.clone(), &versions);
    let p = ShowPage {
        doc_type: type_label(&ctx, doc.doc_type),
        owner: name_of(doc.owner_id),
        next_review: date_text(doc.next_review).unwrap_or_default(),
        review_due: doc.review_due(today),
        versions: views,
        links: link_views,
        kinds,
        can_write,
        limit: human_size(state.blobs().max_bytes()),
        doc,
        ctx,
        org,
    };
    (status, render(&p)).into_response()
}

pub async fn show(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let n = q.notice;
    show_page(&state, &caller, id, StatusCode::OK, n.as_deref(), None).await
}

pub async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    headers: HeaderMap,
    mp: Multipart,
) -> Response {
    let org = org_of(&caller);
    if let Err(e) = check_declared_length(&state, &headers, FORM_OVERHEAD) {
        let p = blob_problem(e);
        return show_page(&state, &caller, id, p.status, None, Some(p.detail)).await;
    }
    if let Err(e) = state.store().document(org.id, id).await {
        return show_page(
            &state,
            &caller,
            id,
            store_status(&e),
            None,
            Some(e.to_string()),
        )
        .await;
    }
    let (fields, file) = match read_upload(&state, mp, |_| Ok(())).await {
        Ok(r) => r,
        Err((status, msg)) => return show_page(&state, &caller, id, status, None, Some(msg)).await,
    };
    let Some((blob, file_name)) = file else {
        let msg = caller.tr.t("documents-file-missing");
        return show_page(
            &state,
            &caller,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(msg),
        )
        .await;
    };
    let version: i64 = field(&fields, "version").parse().unwrap_or(0);
    match state
        .store()
        .add_document_version(
            &caller.actor(),
            org.id,
            id,
            version,
            &blob,
            &file_name,
            field(&fields, "note"),
        )
        .await
    {
        Ok(_) => go(
            &headers,
            &format!("/o/{}/documents/{id}?notice=uploaded", org.slug),
        ),
        Err(e) => {
            show_page(
                &state,
                &caller,
                id,
                store_status(&e),
                None,
                Some(e.to_string()),
            )
            .await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MoveForm {
    pub action: String,
    pub version: i64,
}

pub async fn move_version(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id, vid)): Path<(String, Uuid, Uuid)>,
    headers: HeaderMap,
    Form(f): Form<MoveForm>,
) -> Response {
    let org = org_of(&caller);
    let t = match Transition::parse(f.action.trim()) {
        Ok(t) => t,
        Err(e) => {
            return show_page(
                &state,
                &caller,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(e.message),
            )
            .await;
        }
    };
    match transition(&state, &caller, org.id, id, vid, f.version, t).await {
        Ok(_) => go(
            &headers,
            &format!("/o/{}/documents/{id}?notice=moved", org.slug),
        ),
        Err(p) => show_page(&state, &caller, id, p.status, None, Some(p.detail)).await,
    }
}

pub async fn file(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id, vid)): Path<(String, Uuid, Uuid)>,
) -> Response {
    let org = org_of(&caller);
    let v = match state.store().document_version(org.id, id, vid).await {
        Ok(v) => v,
        Err(_) => return error_page(&caller, StatusCode::NOT_FOUND, "error-not-found"),
    };
    match download(&state, &v).await {
        Ok(r) => r,
        Err(e) => {
            let p = blob_problem(e);
            show_page(&state, &caller, id, p.status, None, Some(p.detail)).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    pub kind: String,
    pub framework: String,
    pub target_ref: String,
}

pub async fn link(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    headers: HeaderMap,
    Form(f): Form<LinkForm>,
) -> Response {
    let org = org_of(&caller);
    let target = match link_target(&state, org.id, &f.kind, &f.framework, &f.target_ref).await {
        Ok(t) => t,
        Err(e) => {
            return show_page(
                &state,
                &caller,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(e.message),
            )
            .await;
        }
    };
    match state
        .store()
        .add_evidence_link(&caller.actor(), org.id, id, &target)
        .await
    {
        Ok(_) => go(
            &headers,
            &format!("/o/{}/documents/{id}?notice=linked", org.slug),
        ),
        Err(e) => {
            show_page(
                &state,
                &caller,
                id,
                store_status(&e),
                None,
                Some(e.to_string()),
            )
            .await
        }
    }
}

pub async fn unlink(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id, link)): Path<(String, Uuid, Uuid)>,
    headers: HeaderMap,
) -> Response {
    let org = org_of(&caller);
    match state
        .store()
        .remove_evidence_link(&caller.actor(), org.id, id, link)
        .await
    {
        Ok(_) => go(
            &headers,
            &format!("/o/{}/documents/{id}?notice=unlinked", org.slug),
        ),
        Err(e) => {
            show_page(
                &state,
                &caller,
                id,
                store_status(&e),
                None,
                Some(e.to_string()),
            )
            .await
        }
    }
}

async fn classifications_page(
    state: &AppState,
    caller: &Caller,
    status: StatusCode,
    text: Option<String>,
    error: Option<String>,
    saved: bool,
) -> Response {
    let org = org_of(caller);
    let path = format!("/o/{}/documents/classifications", org.slug);
    let mut ctx = Ctx::new(state, caller, "documents", &path).await;
    if saved {
        notice(&mut ctx, Some("saved"));
    }
    if let Some(e) = error {
        ctx.error(e);
    }
    let scheme = match state.store().classification_scheme(org.id).await {
        Ok(s) => s,
        Err(_) => return error_page(caller, StatusCode::INTERNAL_SERVER_ERROR, "error-internal"),
    };
    let p = ClassificationsPage {
        labels: text.unwrap_or_else(|| scheme.labels.join("\n")),
        version: scheme.version,
        ctx,
        org,
    };
    (status, render(&p)).into_response()
}

pub async fn classifications(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let saved = q.notice.as_deref() == Some("saved");
    classifications_page(&state, &caller, StatusCode::OK, None, None, saved).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ClassificationsForm {
    pub labels: String,
    pub version: i64,
}

pub async fn save_classifications(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Form(f): Form<ClassificationsForm>,
) -> Response {
    let org = org_of(&caller);
    let labels: Vec<String> = f.labels.lines().map(str::to_owned).collect();
    match state
        .store()
        .set_classification_scheme(&caller.actor(), org.id, f.version, &labels)
        .await
    {
        Ok(_) => go(
            &headers,
            &format!("/o/{}/documents/classifications?notice=saved", org.slug),
        ),
        Err(e) => {
            classifications_page(
                &state,
                &caller,
                store_status(&e),
                Some(f.labels),
                Some(e.to_string()),
                false,
            )
            .await
        }
    }
}
