//! `/api/v1` for the documents built from the register and the zones: the register export,
//! a zone's SL-T proposal from risk (62443-3-2 ZCR 5) and its requirements specification
//! (ZCR 6). The pages' logic ([`crate::pages::risk_docs`]) does the work.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use csms_domain::Uuid;
use csms_domain::inventory::NewZone;
use csms_domain::org::FieldError;
use csms_domain::zone::SlVector;
use csms_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::{ProblemDto, bad_json, bad_path, bad_query};
use crate::authz::Caller;
use crate::pages::risk::RegisterQuery;
use crate::pages::risk_docs::{
    XLSX, basis, crs, crs_sheets, download, export_name, register, register_sheet,
};
use crate::routes::{Route, route};
use crate::{AppState, Problem};

/// The OpenAPI paths and schemas of this area, merged into the API document.
#[derive(OpenApi)]
#[openapi(
    paths(export_register, get_proposal, record_proposal, crs_xlsx),
    components(schemas(ProposalDto, ProposalRiskDto, ProposalInput, ZoneLevelsDto))
)]
pub struct RiskDocsApi;

pub(crate) fn routes() -> Vec<Route> {
    vec![
        route!(GET, "/api/v1/risks/export", OrgRead, get(export_register)),
        route!(
            GET,
            "/api/v1/zones/{id}/proposal",
            OrgRead,
            get(get_proposal)
        ),
        route!(
            POST,
            "/api/v1/zones/{id}/proposal",
            OrgWrite,
            post(record_proposal)
        ),
        route!(GET, "/api/v1/zones/{id}/crs.xlsx", OrgRead, get(crs_xlsx)),
    ]
}

fn zone_path(id: Result<Path<Uuid>, PathRejection>) -> Result<Uuid, Problem> {
    id.map(|Path(id)| id)
        .map_err(|e| bad_path(e, "a zone id (a UUID)"))
}

/// The export's format.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ExportFormat {
    /// `csv` (default) or `xlsx`.
    pub format: Option<String>,
}

async fn export_bytes(
    bytes: impl FnOnce() -> Result<Vec<u8>, csms_report::ReportError> + Send + 'static,
) -> Result<Vec<u8>, Problem> {
    match tokio::task::spawn_blocking(bytes).await {
        Ok(Ok(b)) => Ok(b),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "export failed");
            Err(Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Export failed",
                "the document could not be written; the server log has the reason",
            ))
        }
        Err(e) => {
            tracing::error!(error = %e, "export panicked");
            Err(Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Export failed",
                "the document could not be written; the server log has the reason",
            ))
        }
    }
}

/// The register (filtered and sorted like `GET /api/v1/risks`) as CSV or XLSX, in the
/// caller's language.
#[utoipa::path(get, path = "/api/v1/risks/export", tag = "risks",
    params(ExportFormat, RegisterQuery),
    responses(
        (status = 200, description = "The register as a file (attachment)", content_type = "text/csv"),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "A filter is invalid (`field` names it)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn export_register(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    format: Result<Query<ExportFormat>, QueryRejection>,
    q: Result<Query<RegisterQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(format) = format.map_err(bad_query)?;
    let Query(q) = q.map_err(bad_query)?;
    let org = caller.org()?.0.clone();
    let xlsx = match format.format.as_deref().map(str::trim) {
        None | Some("" | "csv") => false,
        Some("xlsx") => true,
        Some(other) => {
            return Err(StoreError::Invalid(FieldError {
                field: "format",
                message: format!(
                    "'{}' is not an export format; use csv or xlsx",
                    other.chars().take(40).collect::<String>()
                ),
            })
            .into());
        }
    };
    let r = register(&state, org, &q).await?;
    let sheet = register_sheet(&caller.tr, &r);
    if xlsx {
        let lang = caller.tr.lang.code();
        let bytes = export_bytes(move || csms_report::register::workbook(&[sheet], lang)).await?;
        Ok(download(bytes, XLSX, &export_name(&r.org, "risks", "xlsx")))
    } else {
        Ok(download(
            csms_report::table::csv(&sheet).into_bytes(),
            "text/csv; charset=utf-8",
            &export_name(&r.org, "risks", "csv"),
        ))
    }
}

/// A risk behind a zone's proposal.
#[derive(Serialize, ToSchema)]
pub struct ProposalRiskDto {
    pub id: Uuid,
    pub code: String,
    pub title: String,
    /// The inherent (unmitigated) level's index in the current method (0 = lowest).
    pub inherent_level: usize,
    pub inherent_level_id: String,
}

/// The SL-T proposed for a zone from its worst unmitigated risk.
#[derive(Serialize, ToSchema)]
pub struct ProposalDto {
    pub zone_id: Uuid,
    /// The zone's version, to name when recording.
    pub version: i64,
    /// The zone's SL-T now (`3,3,2,2,1,1,3`).
    pub sl_t: String,
    /// The proposal recorded with the zone, if any.
    pub sl_t_proposed: Option<String>,
    /// The proposal from the zone's risks now.
    pub proposal: String,
    /// The worst inherent level's id, when the zone has risks.
    pub worst_level: Option<String>,
    /// The risks naming the zone or one of its assets.
    pub risks: Vec<ProposalRiskDto>,
}

/// Records a zone's SL-T against the proposal from risk.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalInput {
    /// The zone version you read.
    pub version: i64,
    /// The proposal you saw (`4,4,4,4,4,4,4`); refused with 409 if the risks have moved it.
    pub proposal: String,
    /// The SL-T to record (`4,4,3,2,4,2,4`); omit it to adopt the proposal.
    #[serde(default)]
    pub sl_t: Option<String>,
    /// Required when `sl_t` differs from the proposal in some FR.
    #[serde(default)]
    pub justification: String,
}

/// A zone's levels after recording.
#[derive(Serialize, ToSchema)]
pub struct ZoneLevelsDto {
    pub zone_id: Uuid,
    pub version: i64,
    pub sl_t: String,
    pub sl_t_proposed: Option<String>,
    pub sl_t_justification: String,
}

#[utoipa::path(get, path = "/api/v1/zones/{id}/proposal", tag = "zones",
    params(("id" = Uuid, Path, description = "The zone's id")),
    responses((status = 200, body = ProposalDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn get_proposal(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<ProposalDto>, Problem> {
    let id = zone_path(id)?;
    let org = caller.org()?.0.clone();
    let b = basis(&state, &org, id).await?;
    let level_id = |i: usize| {
        b.method
            .levels
            .get(i)
            .map(|l| l.id.clone())
            .unwrap_or_default()
    };
    Ok(Json(ProposalDto {
        zone_id: b.zone.id,
        version: b.zone.version,
        sl_t: b.zone.sl_t.to_string(),
        sl_t_proposed: b.zone.sl_t_proposed.map(|p| p.to_string()),
        proposal: b.proposal.to_string(),
        worst_level: b.worst.map(level_id),
        risks: b
            .risks
            .iter()
            .map(|r| ProposalRiskDto {
                id: r.id,
                code: r.code.clone(),
                title: r.title.clone(),
                inherent_level: r.inherent.level,
                inherent_level_id: level_id(r.inherent.level),
            })
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/zones/{id}/proposal", tag = "zones",
    params(("id" = Uuid, Path, description = "The zone's id")),
    request_body = ProposalInput,
    responses((status = 200, body = ZoneLevelsDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The zone version is stale, or the proposal moved", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "A level or the justification is invalid (`field` names it)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn record_proposal(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<ProposalInput>, JsonRejection>,
) -> Result<Json<ZoneLevelsDto>, Problem> {
    let id = zone_path(id)?;
    let org = caller.org()?.0.clone();
    // The zone first: another organization's zone is not found, whatever the body.
    let b = basis(&state, &org, id).await?;
    let Json(body) = body.map_err(|e| {
        bad_json(
            e,
            r#"{"version": 3, "proposal": "4,4,4,4,4,4,4", "sl_t": "4,4,3,2,4,2,4", "justification": "..."}"#,
        )
    })?;
    let shown = SlVector::parse(&body.proposal).map_err(|e| {
        StoreError::Invalid(FieldError {
            field: "proposal",
            message: e.message,
        })
    })?;
    if shown != b.proposal {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "conflict",
            "The proposal moved",
            format!(
                "the risks of the zone changed: the proposal is now {}; review it and send it again",
                b.proposal
            ),
        ));
    }
    let sl_t = match body.sl_t.as_deref() {
        None => b.proposal,
        Some(s) => SlVector::parse(s).map_err(|e| {
            StoreError::Invalid(FieldError {
                field: "sl_t",
                message: e.message,
            })
        })?,
    };
    let zone = b.zone;
    let stored = state
        .store()
        .update_zone(
            &caller.actor(),
            org.id,
            id,
            body.version,
            NewZone {
                name: zone.name,
                description: zone.description,
                system_id: zone.system_id,
                sl_t,
                sl_t_proposed: Some(b.proposal),
                sl_t_justification: body.justification,
            },
        )
        .await?;
    Ok(Json(ZoneLevelsDto {
        zone_id: stored.id,
        version: stored.version,
        sl_t: stored.sl_t.to_string(),
        sl_t_proposed: stored.sl_t_proposed.map(|p| p.to_string()),
        sl_t_justification: stored.sl_t_justification,
    }))
}

/// The zone's Cybersecurity Requirements Specification as an XLSX workbook, in the caller's
/// language.
#[utoipa::path(get, path = "/api/v1/zones/{id}/crs.xlsx", tag = "zones",
    params(("id" = Uuid, Path, description = "The zone's id")),
    responses(
        (status = 200, description = "The CRS workbook (attachment)", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn crs_xlsx(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Response, Problem> {
    let id = zone_path(id)?;
    let c = crs(&state, &caller, id).await?;
    let sheets = crs_sheets(&caller.tr, &c);
    let lang = caller.tr.lang.code();
    let name = export_name(&c.org, &format!("crs-{}", &id.to_string()[..8]), "xlsx");
    let bytes = export_bytes(move || csms_report::register::workbook(&sheets, lang)).await?;
    Ok(download(bytes, XLSX, &name))
}
