//! `/api/v1` for documents and evidence: documents, versions (uploads as multipart or as the
//! raw body), the approval workflow, evidence links and downloads. The upload and download
//! helpers here serve the pages too ([`crate::pages::documents`]).
//!
//! Uploads are streamed into the attachment store chunk by chunk while hashed and counted;
//! over the configured limit (`attachments.max_bytes`) the upload is aborted and answered 413
//! with nothing stored. The content type is sniffed from the bytes (see
//! [`csms_store::blob::ALLOWED_TYPES`]); the client's type and file name are not trusted (the
//! name is sanitized). Downloads are sent as attachments with `nosniff`.

use axum::body::Body;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use csms_domain::Uuid;
use csms_domain::document::{
    DocType, Document, DocumentVersion, EvidenceLink, EvidenceRef, EvidenceTarget, NewDocument,
    Transition, VersionStatus,
};
use csms_domain::org::FieldError;
use csms_store::StoreError;
use csms_store::blob::{BlobError, StoredBlob};
use csms_store::document::{DocumentFilter, DocumentSummary};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::{ProblemDto, bad_json, bad_path, bad_query};
use crate::authz::{Caller, Perm};
use crate::routes::{Route, route};
use crate::{AppState, Problem};

/// The body limit of upload routes: the configured attachment limit is enforced while the
/// body streams (so it can change without a rebuild); this only bounds what axum would allow.
pub(crate) const UPLOAD_ROUTE_LIMIT: usize = 1 << 40;

/// Room for the multipart framing and the form's other fields around the file.
pub(crate) const FORM_OVERHEAD: u64 = 256 * 1024;

/// The OpenAPI paths and schemas of this area, merged into the API document.
#[derive(OpenApi)]
#[openapi(
    paths(
        list_documents,
        create_document,
        get_document,
        patch_document,
        upload_version,
        transition_version,
        download_version,
        add_link,
        remove_link,
        evidence,
        get_classifications,
        put_classifications
    ),
    components(schemas(
        DocumentDto,
        DocumentList,
        DocumentDetail,
        VersionDto,
        LinkDto,
        EvidenceDto,
        DocumentInput,
        DocumentPatch,
        TransitionInput,
        LinkInput,
        ClassificationsDto,
        ClassificationsInput
    ))
)]
pub struct DocumentsApi;

pub(crate) fn routes() -> Vec<Route> {
    vec![
        route!(GET, "/api/v1/documents", OrgRead, get(list_documents)),
        route!(POST, "/api/v1/documents", OrgWrite, post(create_document)),
        route!(GET, "/api/v1/documents/{id}", OrgRead, get(get_document)),
        route!(
            PATCH,
            "/api/v1/documents/{id}",
            OrgWrite,
            patch(patch_document)
        ),
        route!(
            POST,
            "/api/v1/documents/{id}/versions",
            OrgWrite,
            post(upload_version),
            limit = UPLOAD_ROUTE_LIMIT
        ),
        route!(
            POST,
            "/api/v1/documents/{id}/versions/{vid}/transition",
            OrgWrite,
            post(transition_version)
        ),
        route!(
            GET,
            "/api/v1/documents/{id}/versions/{vid}/file",
            OrgRead,
            get(download_version)
        ),
        route!(
            POST,
            "/api/v1/documents/{id}/links",
            OrgWrite,
            post(add_link)
        ),
        route!(
            DELETE,
            "/api/v1/documents/{id}/links/{link}",
            OrgWrite,
            delete(remove_link)
        ),
        route!(GET, "/api/v1/evidence", OrgRead, get(evidence)),
        route!(
            GET,
            "/api/v1/document-classifications",
            OrgRead,
            get(get_classifications)
        ),
        route!(
            PUT,
            "/api/v1/document-classifications",
            OrgManage,
            put(put_classifications)
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// Uploads and downloads (shared with the pages)

/// Why an upload failed, as a problem.
pub(crate) fn blob_problem(e: BlobError) -> Problem {
    match e {
        BlobError::TooLarge { limit } => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Too large",
            format!(
                "the file is larger than the limit of {} ({limit} bytes); nothing was stored. Split it or ask the administrator to raise attachments.max_bytes",
                human_size(limit)
            ),
        ),
        BlobError::Refused { .. } => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported file type",
            format!("{e}; nothing was stored"),
        ),
        BlobError::Empty => Problem::from(StoreError::Invalid(FieldError {
            field: "file",
            message: "the file is empty; choose a file with content".into(),
        })),
        BlobError::Missing(_) => Problem::new(
            StatusCode::NOT_FOUND,
            "attachment-missing",
            "Attachment missing",
            format!(
                "{e}; the file was lost from the attachment store: restore it from a backup and run `csms evidence verify`"
            ),
        ),
        BlobError::Io(_) => {
            tracing::error!(error = %e, "attachment store failed");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "the attachment store could not complete the request; the error is in the server log",
            )
        }
    }
}

/// `1.5 MB`, `100 MB`.
pub(crate) fn human_size(n: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if n >= 1024 * 1024 {
        let mb = n as f64 / MB;
        if mb.fract() == 0.0 {
            format!("{mb:.0} MB")
        } else {
            format!("{mb:.1} MB")
        }
    } else if n >= 1024 {
        format!("{:.0} KB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}

/// Refuses at once a body whose declared length already exceeds the limit (nothing is read).
pub(crate) fn check_declared_length(
    state: &AppState,
    headers: &HeaderMap,
    overhead: u64,
) -> Result<(), BlobError> {
    let limit = state.blobs().max_bytes();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > limit.saturating_add(overhead) => Err(BlobError::TooLarge { limit }),
        _ => Ok(()),
    }
}

/// Streams one multipart field into the attachment store.
pub(crate) async fn store_field(
    state: &AppState,
    mut field: axum::extract::multipart::Field<'_>,
) -> Result<StoredBlob, BlobError> {
    let mut w = state.blobs().writer().await?;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => w.write(&chunk).await?,
            Ok(None) => break,
            Err(e) => {
                w.abort().await;
                return Err(BlobError::Io(format!(
                    "the upload was interrupted: {}",
                    e.body_text()
                )));
            }
        }
    }
    w.finish().await
}

/// Streams a raw request body into the attachment store.
pub(crate) async fn store_body(state: &AppState, body: Body) -> Result<StoredBlob, BlobError> {
    let mut w = state.blobs().writer().await?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(c) => w.write(&c).await?,
            Err(e) => {
                w.abort().await;
                return Err(BlobError::Io(format!("the upload was interrupted: {e}")));
            }
        }
    }
    w.finish().await
}

/// A version's file as a download: streamed, `attachment` with the sanitized name (RFC 5987
/// `filename*` for any character, an ASCII fallback), the sniffed type and `nosniff`.
pub(crate) async fn download(state: &AppState, v: &DocumentVersion) -> Result<Response, BlobError> {
    let stream = state.blobs().open(&v.sha256).await?;
    let mut res = Body::from_stream(stream).into_response();
    let h = res.headers_mut();
    if let Ok(ct) = HeaderValue::from_str(&v.content_type) {
        h.insert(header::CONTENT_TYPE, ct);
    }
    h.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(v.size.max(0) as u64),
    );
    if let Ok(cd) = HeaderValue::from_str(&content_disposition(&v.file_name)) {
        h.insert(header::CONTENT_DISPOSITION, cd);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(etag) = HeaderValue::from_str(&format!("\"sha256-{}\"", v.sha256)) {
        h.insert(header::ETAG, etag);
    }
    Ok(res)
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266 / 5987).
pub(crate) fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

// ---------------------------------------------------------------------------------------
// DTOs

/// A document with its latest and approved versions.
#[derive(Serialize, ToSchema)]
pub struct DocumentDto {
    pub id: Uuid,
    /// `POL-0001` (policy), `PRO-` (procedure), `PLN-` (plan), `REC-` (record).
    pub code: String,
    pub title: String,
    /// `policy`, `procedure`, `plan` or `record`.
    pub doc_type: String,
    pub classification: String,
    pub owner_id: Option<Uuid>,
    /// Months between periodic reviews (0: none).
    pub review_months: i64,
    /// Months an obsolete version is kept (0: not set).
    pub retention_months: i64,
    /// `YYYY-MM-DD`, set when a version is approved.
    pub next_review: Option<String>,
    pub review_due: bool,
    /// The latest version's status (`draft`, `in_review`, `approved`, `superseded`,
    /// `withdrawn`), null without a version.
    pub status: Option<String>,
    pub latest_version: Option<i64>,
    pub approved_version: Option<i64>,
    /// Name it when changing the document or one of its versions.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// One version of a document.
#[derive(Serialize, ToSchema)]
pub struct VersionDto {
    pub id: Uuid,
    pub number: i64,
    pub status: String,
    pub sha256: String,
    pub size: i64,
    /// Sniffed from the bytes.
    pub content_type: String,
    pub file_name: String,
    pub note: String,
    /// The author.
    pub created_by: Option<Uuid>,
    pub created_at: String,
    pub submitted_by: Option<Uuid>,
    pub submitted_at: Option<String>,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<String>,
    pub closed_by: Option<Uuid>,
    pub closed_at: Option<String>,
    /// `YYYY-MM-DD` until which a superseded or withdrawn version must be kept.
    pub retain_until: Option<String>,
    /// Where to download the file.
    pub download: String,
}

/// An evidence link.
#[derive(Serialize, ToSchema)]
pub struct LinkDto {
    pub id: Uuid,
    /// `requirement`, `control`, `risk`, `soa_item` or `finding`.
    pub kind: String,
    /// The framework of a requirement or SoA item (`jipdec-csms`), empty otherwise.
    pub framework: String,
    /// The node ref (`4.3.2.6`) or the id of the control, risk or finding.
    #[serde(rename = "ref")]
    pub reference: String,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentList {
    pub items: Vec<DocumentDto>,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentDetail {
    #[serde(flatten)]
    pub document: DocumentDto,
    /// Newest first.
    pub versions: Vec<VersionDto>,
    pub links: Vec<LinkDto>,
}

/// A document shown as evidence of a target, with its version in force.
#[derive(Serialize, ToSchema)]
pub struct EvidenceDto {
    pub document_id: Uuid,
    pub code: String,
    pub title: String,
    pub doc_type: String,
    pub version_number: i64,
    pub status: Option<String>,
    pub sha256: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct DocumentInput {
    pub title: String,
    /// `policy`, `procedure`, `plan` or `record`.
    pub doc_type: String,
    /// One of the organization's labels (GET /api/v1/document-classifications).
    pub classification: String,
    pub owner_id: Option<Uuid>,
    pub review_months: i64,
    pub retention_months: i64,
}

impl DocumentInput {
    pub(crate) fn into_new(self) -> Result<NewDocument, FieldError> {
        Ok(NewDocument {
            title: self.title,
            doc_type: DocType::parse(if self.doc_type.is_empty() {
                "policy"
            } else {
                &self.doc_type
            })?,
            classification: self.classification,
            owner_id: self.owner_id,
            review_months: self.review_months,
            retention_months: self.retention_months,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DocumentPatch {
    /// The document's version you read.
    pub version: i64,
    #[serde(flatten)]
    pub document: DocumentInput,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TransitionInput {
    /// `submit`, `return`, `approve` (CSMS manager, never the author) or `withdraw`
    /// (a CSMS manager for an approved version).
    pub action: String,
    /// The document's version you read.
    pub version: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LinkInput {
    /// `requirement`, `control`, `risk`, `soa_item` or `finding`.
    pub kind: String,
    #[serde(default)]
    pub framework: String,
    #[serde(rename = "ref")]
    pub reference: String,
}

#[derive(Serialize, ToSchema)]
pub struct ClassificationsDto {
    pub labels: Vec<String>,
    /// 0 while the default scheme applies; name it to change the scheme.
    pub version: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ClassificationsInput {
    pub labels: Vec<String>,
    pub version: i64,
}

fn ts(t: time::OffsetDateTime) -> String {
    csms_domain::time::format_canonical(t)
}

pub(crate) fn date_text(d: Option<time::Date>) -> Option<String> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    d.and_then(|d| d.format(f).ok())
}

fn document_dto(s: &DocumentSummary, today: time::Date) -> DocumentDto {
    let d = &s.document;
    DocumentDto {
        id: d.id,
        code: d.code.clone(),
        title: d.title.clone(),
        doc_type: d.doc_type.as_str().into(),
        classification: d.classification.clone(),
        owner_id: d.owner_id,
        review_months: d.review_months,
        retention_months: d.retention_months,
        next_review: date_text(d.next_review),
        review_due: d.review_due(today),
        status: s.status().map(|st| st.as_str().into()),
        latest_version: s.latest.as_ref().map(|v| v.number),
        approved_version: s.approved.as_ref().map(|v| v.number),
        version: d.version,
        created_at: ts(d.created_at),
        updated_at: ts(d.updated_at),
    }
}

fn version_dto(d: &Document, v: &DocumentVersion) -> VersionDto {
    VersionDto {
        id: v.id,
        number: v.number,
        status: v.status.as_str().into(),
        sha256: v.sha256.clone(),
        size: v.size,
        content_type: v.content_type.clone(),
        file_name: v.file_name.clone(),
        note: v.note.clone(),
        created_by: v.created_by,
        created_at: ts(v.created_at),
        submitted_by: v.submitted_by,
        submitted_at: v.submitted_at.map(ts),
        approved_by: v.approved_by,
        approved_at: v.approved_at.map(ts),
        closed_by: v.closed_by,
        closed_at: v.closed_at.map(ts),
        retain_until: date_text(v.retain_until(d.retention_months)),
        download: format!("/api/v1/documents/{}/versions/{}/file", d.id, v.id),
    }
}

fn link_dto(l: &EvidenceLink) -> LinkDto {
    LinkDto {
        id: l.id,
        kind: l.target.kind().into(),
        framework: l.target.framework().into(),
        reference: l.target.reference(),
        created_at: ts(l.created_at),
    }
}

fn evidence_dto(e: &EvidenceRef) -> EvidenceDto {
    EvidenceDto {
        document_id: e.document_id,
        code: e.code.clone(),
        title: e.title.clone(),
        doc_type: e.doc_type.as_str().into(),
        version_number: e.version_number,
        status: e.status.map(|s| s.as_str().into()),
        sha256: e.sha256.clone(),
    }
}

pub(crate) fn summary_of(d: Document, versions: &[DocumentVersion]) -> DocumentSummary {
    DocumentSummary {
        latest: versions.iter().max_by_key(|v| v.number).cloned(),
        approved: versions
            .iter()
            .find(|v| v.status == VersionStatus::Approved)
            .cloned(),
        document: d,
    }
}

// ---------------------------------------------------------------------------------------
// Handlers

fn invalid(e: FieldError) -> Problem {
    Problem::from(StoreError::Invalid(e))
}

fn doc_path(p: Result<Path<Uuid>, PathRejection>) -> Result<Uuid, Problem> {
    p.map(|Path(id)| id)
        .map_err(|e| bad_path(e, "a document id (a UUID)"))
}

fn two_ids(p: Result<Path<(Uuid, Uuid)>, PathRejection>) -> Result<(Uuid, Uuid), Problem> {
    p.map(|Path(ids)| ids)
        .map_err(|e| bad_path(e, "a document id and a version or link id (UUIDs)"))
}

/// Filters of the document list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct DocumentQuery {
    /// `policy`, `procedure`, `plan` or `record`.
    #[serde(rename = "type")]
    pub doc_type: Option<String>,
    /// The latest version's status.
    pub status: Option<String>,
    /// Only documents whose periodic review is due (`true`).
    pub review_due: Option<String>,
}

impl DocumentQuery {
    pub(crate) fn filter(&self, today: time::Date) -> Result<DocumentFilter, FieldError> {
        let nonempty = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Ok(DocumentFilter {
            doc_type: nonempty(&self.doc_type)
                .map(|t| DocType::parse(&t))
                .transpose()?,
            status: nonempty(&self.status)
                .map(|s| VersionStatus::parse(&s))
                .transpose()?,
            review_due_on: matches!(self.review_due.as_deref(), Some("true" | "1" | "on"))
                .then_some(today),
        })
    }
}

#[utoipa::path(get, path = "/api/v1/documents", tag = "documents", params(DocumentQuery),
    responses((status = 200, body = DocumentList),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "A filter is invalid (`field` names it)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn list_documents(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    q: Result<Query<DocumentQuery>, QueryRejection>,
) -> Result<Json<DocumentList>, Problem> {
    let Query(q) = q.map_err(bad_query)?;
    let org = &caller.org()?.0;
    let today = crate::pages::risk::today(org);
    let filter = q.filter(today).map_err(invalid)?;
    let docs = state.store().documents(org.id, &filter).await?;
    Ok(Json(DocumentList {
        items: docs.iter().map(|s| document_dto(s, today)).collect(),
    }))
}

const EXAMPLE: &str = r#"{"title": "CSMS基本方針", "doc_type": "policy", "classification": "社内限り / Internal", "review_months": 12, "retention_months": 60}"#;

#[utoipa::path(post, path = "/api/v1/documents", tag = "documents", request_body = DocumentInput,
    responses((status = 201, description = "Created without a version; upload one to .../versions", body = DocumentDetail),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid (`field` names it)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn create_document(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<DocumentInput>, JsonRejection>,
) -> Result<Response, Problem> {
    let Json(body) = body.map_err(|e| bad_json(e, EXAMPLE))?;
    let org = caller.org()?.0.clone();
    let new = body.into_new().map_err(invalid)?;
    let doc = state
        .store()
        .create_document(&caller.actor(), org.id, new)
        .await?;
    let detail = detail(&state, &org, doc.id).await?;
    let mut res = (StatusCode::CREATED, Json(detail)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/documents/{}", doc.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

async fn detail(
    state: &AppState,
    org: &csms_domain::org::Organization,
    id: Uuid,
) -> Result<DocumentDetail, Problem> {
    let store = state.store();
    let doc = store.document(org.id, id).await?;
    let versions = store.document_versions(org.id, id).await?;
    let links = store.evidence_links(org.id, id).await?;
    let today = crate::pages::risk::today(org);
    let vs = versions.iter().map(|v| version_dto(&doc, v)).collect();
    Ok(DocumentDetail {
        document: document_dto(&summary_of(doc, &versions), today),
        versions: vs,
        links: links.iter().map(link_dto).collect(),
    })
}

#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = Uuid, Path, description = "The document's id")),
    responses((status = 200, body = DocumentDetail),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn get_document(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<DocumentDetail>, Problem> {
    let id = doc_path(id)?;
    let org = caller.org()?.0.clone();
    Ok(Json(detail(&state, &org, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = Uuid, Path, description = "The document's id")),
    request_body = DocumentPatch,
    responses((status = 200, body = DocumentDetail),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "Changed since you read it (`current_version`)", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid (`field` names it)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn patch_document(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<DocumentPatch>, JsonRejection>,
) -> Result<Json<DocumentDetail>, Problem> {
    let id = doc_path(id)?;
    let org = caller.org()?.0.clone();
    // A missing document is a 404 whatever the body.
    state.store().document(org.id, id).await?;
    let Json(body) = body.map_err(|e| bad_json(e, EXAMPLE))?;
    let new = body.document.into_new().map_err(invalid)?;
    state
        .store()
        .update_document(&caller.actor(), org.id, id, body.version, new)
        .await?;
    Ok(Json(detail(&state, &org, id).await?))
}

/// Upload parameters (raw body uploads; a multipart form carries them as fields).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The document's version you read.
    pub version: Option<i64>,
    /// The file's name (sanitized: path parts and control characters dropped).
    pub file_name: Option<String>,
    /// What changed in this version.
    pub note: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/documents/{id}/versions", tag = "documents",
    params(("id" = Uuid, Path, description = "The document's id"), UploadParams),
    request_body(content = Vec<u8>, description = "The file itself (any Content-Type but a form), or multipart/form-data with fields `version`, `note` and the file in `file` (its file name is used)", content_type = "application/octet-stream"),
    responses((status = 201, description = "A new draft version; the trail record names its SHA-256", body = VersionDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The document changed since you read it", body = ProblemDto, content_type = "application/problem+json"),
        (status = 413, description = "Larger than the configured limit (attachments.max_bytes, default 100 MB); nothing was stored", body = ProblemDto, content_type = "application/problem+json"),
        (status = 415, description = "The content (sniffed from the bytes) is not an accepted type", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "Empty file or invalid note", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn upload_version(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    q: Result<Query<UploadParams>, QueryRejection>,
    req: Request,
) -> Result<Response, Problem> {
    let id = doc_path(id)?;
    let Query(q) = q.map_err(bad_query)?;
    let org = caller.org()?.0.clone();
    check_declared_length(&state, req.headers(), FORM_OVERHEAD).map_err(blob_problem)?;
    // The document must exist before anything is stored.
    let doc = state.store().document(org.id, id).await?;
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    let (blob, file_name, note, version) = if is_multipart {
        let mut mp = Multipart::from_request(req, &state).await.map_err(|e| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "bad-request",
                "Malformed request",
                e.body_text(),
            )
        })?;
        let mut blob = None;
        let mut file_name = q.file_name.clone().unwrap_or_default();
        let mut note = q.note.clone().unwrap_or_default();
        let mut version = q.version;
        loop {
            let field = match mp.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    return Err(Problem::new(
                        e.status(),
                        "bad-request",
                        "Malformed request",
                        e.body_text(),
                    ));
                }
            };
            match field.name().unwrap_or("") {
                "file" if blob.is_none() => {
                    if let Some(n) = field.file_name() {
                        file_name = n.to_owned();
                    }
                    blob = Some(store_field(&state, field).await.map_err(blob_problem)?);
                }
                "note" => note = field.text().await.unwrap_or_default(),
                "version" => version = field.text().await.ok().and_then(|t| t.trim().parse().ok()),
                _ => {}
            }
        }
        let blob = blob.ok_or_else(|| {
            invalid(FieldError {
                field: "file",
                message: "the form has no `file` field; attach the file as `file`".into(),
            })
        })?;
        (blob, file_name, note, version)
    } else {
        let blob = store_body(&state, req.into_body())
            .await
            .map_err(blob_problem)?;
        (
            blob,
            q.file_name.clone().unwrap_or_default(),
            q.note.clone().unwrap_or_default(),
            q.version,
        )
    };
    let version = version.unwrap_or(doc.version);
    let v = state
        .store()
        .add_document_version(
            &caller.actor(),
            org.id,
            id,
            version,
            &blob,
            &file_name,
            &note,
        )
        .await?;
    let mut res = (StatusCode::CREATED, Json(version_dto(&doc, &v))).into_response();
    if let Ok(h) = HeaderValue::from_str(&format!("/api/v1/documents/{id}/versions/{}/file", v.id))
    {
        res.headers_mut().insert(header::LOCATION, h);
    }
    Ok(res)
}

/// Applies a workflow step for the caller: a manager is needed where [`Transition::needs_manager`]
/// says so (403); the store refuses the author approving their own version (409).
pub(crate) async fn transition(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    doc_id: Uuid,
    version_id: Uuid,
    expected: i64,
    t: Transition,
) -> Result<DocumentVersion, Problem> {
    let v = state
        .store()
        .document_version(org_id, doc_id, version_id)
        .await?;
    if t.needs_manager(v.status) && !caller.may(Perm::OrgManage) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not permitted",
            format!(
                "'{}' of version {} needs a CSMS manager or administrator of the organization",
                t.as_str(),
                v.number
            ),
        ));
    }
    Ok(state
        .store()
        .transition_document_version(&caller.actor(), org_id, doc_id, version_id, expected, t)
        .await?)
}

#[utoipa::path(post, path = "/api/v1/documents/{id}/versions/{vid}/transition", tag = "documents",
    params(("id" = Uuid, Path, description = "The document's id"), ("vid" = Uuid, Path, description = "The version's id")),
    request_body = TransitionInput,
    responses((status = 200, body = VersionDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, description = "Approving (or withdrawing an approved version) needs a CSMS manager", body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "Stale version, a step the status does not allow, or the author approving their own version", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn transition_version(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ids: Result<Path<(Uuid, Uuid)>, PathRejection>,
    body: Result<Json<TransitionInput>, JsonRejection>,
) -> Result<Json<VersionDto>, Problem> {
    let (id, vid) = two_ids(ids)?;
    let org = caller.org()?.0.clone();
    state.store().document_version(org.id, id, vid).await?;
    let Json(body) = body.map_err(|e| bad_json(e, r#"{"action": "approve", "version": 3}"#))?;
    let t = Transition::parse(body.action.trim()).map_err(invalid)?;
    let v = transition(&state, &caller, org.id, id, vid, body.version, t).await?;
    let doc = state.store().document(org.id, id).await?;
    Ok(Json(version_dto(&doc, &v)))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{vid}/file", tag = "documents",
    params(("id" = Uuid, Path, description = "The document's id"), ("vid" = Uuid, Path, description = "The version's id")),
    responses((status = 200, description = "The file, as an attachment", content_type = "application/octet-stream"),
        (status = 400, description = "An id in the path is not a UUID", body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, description = "No such version, or its file is missing from the store", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn download_version(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ids: Result<Path<(Uuid, Uuid)>, PathRejection>,
) -> Result<Response, Problem> {
    let (id, vid) = two_ids(ids)?;
    let org = caller.org()?.0.clone();
    let v = state.store().document_version(org.id, id, vid).await?;
    download(&state, &v).await.map_err(blob_problem)
}

#[utoipa::path(post, path = "/api/v1/documents/{id}/links", tag = "documents",
    params(("id" = Uuid, Path, description = "The document's id")),
    request_body = LinkInput,
    responses((status = 201, body = LinkDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "Already linked", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "Unknown kind, framework or requirement, or a risk or control not in the organization", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn add_link(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<LinkInput>, JsonRejection>,
) -> Result<Response, Problem> {
    let id = doc_path(id)?;
    let org = caller.org()?.0.clone();
    state.store().document(org.id, id).await?;
    let Json(body) = body.map_err(|e| {
        bad_json(
            e,
            r#"{"kind": "requirement", "framework": "jipdec-csms-2010", "ref": "4.3.2.6"}"#,
        )
    })?;
    let target = link_target(&state, org.id, &body.kind, &body.framework, &body.reference)
        .await
        .map_err(invalid)?;
    let link = state
        .store()
        .add_evidence_link(&caller.actor(), org.id, id, &target)
        .await?;
    Ok((StatusCode::CREATED, Json(link_dto(&link))).into_response())
}

/// Checks a link target: requirement and SoA item refs must name a node of a framework the
/// organization sees.
pub(crate) async fn link_target(
    state: &AppState,
    org_id: Uuid,
    kind: &str,
    framework: &str,
    reference: &str,
) -> Result<EvidenceTarget, FieldError> {
    let target = EvidenceTarget::from_parts(kind.trim(), framework, reference)?;
    if let EvidenceTarget::Requirement {
        framework,
        node_ref,
    }
    | EvidenceTarget::SoaItem {
        framework,
        node_ref,
    } = &target
    {
        let lib = state
            .library()
            .for_org(state.store(), org_id)
            .await
            .map_err(|e| FieldError {
                field: "framework",
                message: format!("the organization's catalogs cannot be read: {e}"),
            })?;
        let fw = lib.framework(framework).ok_or_else(|| FieldError {
            field: "framework",
            message: format!(
                "no framework '{framework}' in this organization's library; use an id from the requirement browser, e.g. jipdec-csms-2010"
            ),
        })?;
        if fw.node(node_ref).is_none() {
            return Err(FieldError {
                field: "target_ref",
                message: format!(
                    "{framework} has no requirement '{node_ref}'; use a ref from the requirement browser"
                ),
            });
        }
    }
    Ok(target)
}

#[utoipa::path(delete, path = "/api/v1/documents/{id}/links/{link}", tag = "documents",
    params(("id" = Uuid, Path, description = "The document's id"), ("link" = Uuid, Path, description = "The link's id")),
    responses((status = 204, description = "Removed"),
        (status = 400, description = "An id in the path is not a UUID", body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn remove_link(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ids: Result<Path<(Uuid, Uuid)>, PathRejection>,
) -> Result<StatusCode, Problem> {
    let (id, link) = two_ids(ids)?;
    let org = caller.org()?.0.clone();
    state
        .store()
        .remove_evidence_link(&caller.actor(), org.id, id, link)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A target to list the evidence of.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct EvidenceQuery {
    /// `requirement`, `control`, `risk`, `soa_item` or `finding`.
    pub kind: String,
    pub framework: String,
    /// The node ref or the id.
    #[serde(rename = "ref")]
    pub reference: String,
}

#[utoipa::path(get, path = "/api/v1/evidence", tag = "documents", params(EvidenceQuery),
    responses((status = 200, description = "The linked documents with their version in force", body = Vec<EvidenceDto>),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn evidence(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    q: Result<Query<EvidenceQuery>, QueryRejection>,
) -> Result<Json<Vec<EvidenceDto>>, Problem> {
    let Query(q) = q.map_err(bad_query)?;
    let org = caller.org()?.0.clone();
    let target =
        EvidenceTarget::from_parts(q.kind.trim(), &q.framework, &q.reference).map_err(invalid)?;
    let refs = state.store().evidence_for(org.id, &target).await?;
    Ok(Json(refs.iter().map(evidence_dto).collect()))
}

#[utoipa::path(get, path = "/api/v1/document-classifications", tag = "documents",
    responses((status = 200, body = ClassificationsDto),
        (status = 401, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn get_classifications(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ClassificationsDto>, Problem> {
    let org = caller.org()?.0.clone();
    let s = state.store().classification_scheme(org.id).await?;
    Ok(Json(ClassificationsDto {
        labels: s.labels,
        version: s.version,
    }))
}

#[utoipa::path(put, path = "/api/v1/document-classifications", tag = "documents",
    request_body = ClassificationsInput,
    responses((status = 200, body = ClassificationsDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn put_classifications(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<ClassificationsInput>, JsonRejection>,
) -> Result<Json<ClassificationsDto>, Problem> {
    let Json(body) = body.map_err(|e| {
        bad_json(
            e,
            r#"{"labels": ["極秘", "社外秘", "社内限り", "公開"], "version": 0}"#,
        )
    })?;
    let org = caller.org()?.0.clone();
    let s = state
        .store()
        .set_classification_scheme(&caller.actor(), org.id, body.version, &body.labels)
        .await?;
    Ok(Json(ClassificationsDto {
        labels: s.labels,
        version: s.version,
    }))
}
