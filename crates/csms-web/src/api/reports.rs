//! `/api/v1` for reports (issue 6): the PDF documents and the certification pack, in the
//! language asked for (`lang=ja|en`, default the token owner's). The pages' logic
//! ([`crate::pages::reports`]) does the work.

use axum::Extension;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use csms_domain::Uuid;
use utoipa::OpenApi;

use super::{ProblemDto, bad_path, bad_query};
use crate::authz::Caller;
use crate::pages::reports::{
    Failure, LangQuery, PDF, assessment_pdf, build_pack, file_name, risks_pdf, scope_document,
    soa_pdf, stream_file, typeset,
};
use crate::pages::risk::RegisterQuery;
use crate::pages::risk_docs::download;
use crate::routes::{Route, route};
use crate::{AppState, Problem};

/// The OpenAPI paths and schemas of this area, merged into the API document.
#[derive(OpenApi)]
#[openapi(paths(
    risks_pdf_api,
    assessment_pdf_api,
    soa_pdf_api,
    scope_pdf_api,
    pack_api
))]
pub struct ReportsApi;

pub(crate) fn routes() -> Vec<Route> {
    vec![
        route!(GET, "/api/v1/risks/export.pdf", OrgRead, get(risks_pdf_api)),
        route!(
            GET,
            "/api/v1/assessments/{id}/export.pdf",
            OrgRead,
            get(assessment_pdf_api)
        ),
        route!(
            GET,
            "/api/v1/soa/versions/{id}/soa.pdf",
            OrgRead,
            get(soa_pdf_api)
        ),
        route!(
            GET,
            "/api/v1/reports/scope.pdf",
            OrgRead,
            get(scope_pdf_api)
        ),
        route!(
            GET,
            "/api/v1/reports/certification-pack",
            OrgRead,
            get(pack_api)
        ),
    ]
}

impl From<Failure> for Problem {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Missing(what) => {
                Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", what)
            }
            Failure::Store(e) => e.into(),
            Failure::Busy => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "Busy",
                "every typesetting slot stayed taken for 30 seconds; try again in a minute",
            ),
            Failure::Failed(e) => {
                tracing::error!(error = %e, "report failed");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Report failed",
                    "the document could not be made; the server log has the reason",
                )
            }
        }
    }
}

fn tr_of(
    caller: &Caller,
    lang: Result<Query<LangQuery>, QueryRejection>,
) -> Result<crate::i18n::Tr, Problem> {
    let Query(lang) = lang.map_err(bad_query)?;
    lang.tr(&caller.tr)
        .map_err(|e| csms_store::StoreError::Invalid(e).into())
}

/// The risk register (filtered and sorted like `GET /api/v1/risks`) as PDF: heat maps, the
/// register table and each risk in full.
#[utoipa::path(get, path = "/api/v1/risks/export.pdf", tag = "reports",
    params(LangQuery, RegisterQuery),
    responses(
        (status = 200, description = "The register as PDF (attachment)", content_type = "application/pdf"),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "A filter or the language is invalid (`field` names it)", body = ProblemDto, content_type = "application/problem+json"),
        (status = 503, description = "Busy typesetting other documents", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn risks_pdf_api(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    lang: Result<Query<LangQuery>, QueryRejection>,
    q: Result<Query<RegisterQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let tr = tr_of(&caller, lang)?;
    let Query(q) = q.map_err(bad_query)?;
    let org = caller.org()?.0.clone();
    let bytes = risks_pdf(&state, &org, &tr, &q).await?;
    Ok(download(bytes, PDF, &file_name(&org, &tr, "risks", "pdf")))
}

/// A conformance assessment as PDF: overview, result counts and the results clause by clause.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/export.pdf", tag = "reports",
    params(("id" = Uuid, Path, description = "The assessment"), LangQuery),
    responses(
        (status = 200, description = "The assessment as PDF (attachment)", content_type = "application/pdf"),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json"),
        (status = 503, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn assessment_pdf_api(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    lang: Result<Query<LangQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let Path(id) = id.map_err(|e| bad_path(e, "an assessment id (a UUID)"))?;
    let tr = tr_of(&caller, lang)?;
    let org = caller.org()?.0.clone();
    let bytes = assessment_pdf(&state, &org, &tr, id).await?;
    Ok(download(
        bytes,
        PDF,
        &format!("assessment-{id}-{}.pdf", tr.lang.code()),
    ))
}

/// A version of the Statement of Applicability as PDF (approved: "approved by … at …" on
/// every page; the draft: DRAFT on every page).
#[utoipa::path(get, path = "/api/v1/soa/versions/{id}/soa.pdf", tag = "reports",
    params(("id" = Uuid, Path, description = "The SoA version"), LangQuery),
    responses(
        (status = 200, description = "The statement as PDF (attachment)", content_type = "application/pdf"),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json"),
        (status = 503, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn soa_pdf_api(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    lang: Result<Query<LangQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let Path(id) = id.map_err(|e| bad_path(e, "an SoA version id (a UUID)"))?;
    let tr = tr_of(&caller, lang)?;
    let org = caller.org()?.0.clone();
    let bytes = soa_pdf(&state, &org, &tr, id).await?;
    Ok(download(bytes, PDF, &file_name(&org, &tr, "soa", "pdf")))
}

/// The scope of the CSMS as PDF: the organization and the sites, systems and zones (SL-T).
#[utoipa::path(get, path = "/api/v1/reports/scope.pdf", tag = "reports",
    params(LangQuery),
    responses(
        (status = 200, description = "The scope as PDF (attachment)", content_type = "application/pdf"),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json"),
        (status = 503, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn scope_pdf_api(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    lang: Result<Query<LangQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let tr = tr_of(&caller, lang)?;
    let org = caller.org()?.0.clone();
    let doc = scope_document(&state, &org, &tr).await?;
    let bytes = typeset(doc).await?;
    Ok(download(bytes, PDF, &file_name(&org, &tr, "scope", "pdf")))
}

/// The certification pack: one ZIP with the scope, the risk assessment, the latest
/// conformance assessment, a 12-month trail extract with its verification, and a manifest of
/// every file's SHA-256. The archive's SHA-256 is in the `Repr-Digest` header.
#[utoipa::path(get, path = "/api/v1/reports/certification-pack", tag = "reports",
    params(LangQuery),
    responses(
        (status = 200, description = "The pack (attachment)", content_type = "application/zip"),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json"),
        (status = 503, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn pack_api(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    lang: Result<Query<LangQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let tr = tr_of(&caller, lang)?;
    let org = caller.org()?.0.clone();
    let (file, size, sha, entries) = build_pack(&state, &org, &tr).await?;
    tracing::info!(
        org = %org.slug,
        actor = %caller.actor().label,
        sha256 = %sha,
        files = entries.len(),
        size,
        "certification pack generated"
    );
    Ok(stream_file(
        file,
        size,
        &sha,
        "application/zip",
        &file_name(&org, &tr, "certification-pack", "zip"),
    ))
}
