//! `/api/v1` for the controls register: list (with the pages' filters), create, read,
//! change (the version read, 409 when stale) and delete. Handlers, their OpenAPI fragment
//! ([`ControlsApi`]) and routes. The checks are the domain's and the pages'
//! ([`crate::pages::controls`]).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use csms_domain::Uuid;
use csms_domain::control::{Control, ControlStatus, NewControl, RequirementLink};
use csms_domain::org::FieldError;
use csms_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::{ProblemDto, bad_json, bad_path, bad_query};
use crate::authz::Caller;
use crate::pages::controls::{ControlQuery, checked};
use crate::pages::risk::{parse_date, today};
use crate::routes::{Route, route};
use crate::{AppState, Problem};

/// The OpenAPI paths and schemas of this area, merged into the API document.
#[derive(OpenApi)]
#[openapi(
    paths(
        list_controls,
        create_control,
        get_control,
        put_control,
        delete_control
    ),
    components(schemas(ControlDto, ControlList, RequirementDto, ControlInput, ControlUpdate))
)]
pub struct ControlsApi;

/// The routes of this area's API.
pub(crate) fn routes() -> Vec<Route> {
    vec![
        route!(GET, "/api/v1/controls", OrgRead, get(list_controls)),
        route!(POST, "/api/v1/controls", OrgWrite, post(create_control)),
        route!(GET, "/api/v1/controls/{id}", OrgRead, get(get_control)),
        route!(PUT, "/api/v1/controls/{id}", OrgWrite, put(put_control)),
        route!(
            DELETE,
            "/api/v1/controls/{id}",
            OrgManage,
            delete(delete_control)
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// DTOs

/// A requirement of a framework.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RequirementDto {
    /// The framework id, e.g. `jipdec-csms-2010`.
    pub framework: String,
    /// The node ref in that framework, e.g. `5.4.2`.
    pub node_ref: String,
}

/// A control of the register.
#[derive(Debug, Serialize, ToSchema)]
pub struct ControlDto {
    pub id: Uuid,
    /// `C-0001`, assigned in order; never reused.
    pub code: String,
    pub title: String,
    pub description: String,
    /// `planned`, `implemented`, `operating` or `retired`.
    pub status: String,
    pub owner_id: Option<Uuid>,
    /// `YYYY-MM-DD`; required while planned.
    pub due_date: Option<String>,
    /// Planned and past its due date in the organization's time zone.
    pub overdue: bool,
    pub requirements: Vec<RequirementDto>,
    pub risk_ids: Vec<Uuid>,
    /// The zones it applies to (a common set of countermeasures names several).
    pub zone_ids: Vec<Uuid>,
    pub asset_ids: Vec<Uuid>,
    /// RFC 3339.
    pub created_at: String,
    pub updated_at: String,
    /// Give it back when changing or deleting the control.
    pub version: i64,
}

/// The controls matching the filters, in code order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ControlList {
    pub items: Vec<ControlDto>,
    /// Controls in the register (before filtering).
    pub total: usize,
}

/// A control as a client sets it; every field is written.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ControlInput {
    pub title: String,
    pub description: String,
    /// `planned` (default), `implemented`, `operating` or `retired`.
    pub status: String,
    /// A member of the organization.
    pub owner_id: Option<Uuid>,
    /// `YYYY-MM-DD`; required for a planned control.
    pub due_date: Option<String>,
    /// Checked against the organization's catalogs.
    pub requirements: Vec<RequirementDto>,
    pub risk_ids: Vec<Uuid>,
    pub zone_ids: Vec<Uuid>,
    pub asset_ids: Vec<Uuid>,
}

/// A full change of a control, naming the version it was based on.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ControlUpdate {
    /// The version you read; a stale version is refused with 409. May instead be given as
    /// an `If-Match` header.
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(flatten)]
    pub control: ControlInput,
}

fn date(d: Option<time::Date>) -> Option<String> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    d.and_then(|d| d.format(f).ok())
}

fn rfc3339(t: &time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn control_dto(c: &Control, today: time::Date) -> ControlDto {
    ControlDto {
        id: c.id,
        code: c.code.clone(),
        title: c.title.clone(),
        description: c.description.clone(),
        status: c.status.as_str().to_owned(),
        owner_id: c.owner_id,
        due_date: date(c.due_date),
        overdue: c.overdue(today),
        requirements: c
            .requirements
            .iter()
            .map(|r| RequirementDto {
                framework: r.framework.clone(),
                node_ref: r.node_ref.clone(),
            })
            .collect(),
        risk_ids: c.risk_ids.clone(),
        zone_ids: c.zone_ids.clone(),
        asset_ids: c.asset_ids.clone(),
        created_at: rfc3339(&c.created_at),
        updated_at: rfc3339(&c.updated_at),
        version: c.version,
    }
}

impl ControlInput {
    fn into_new(self) -> Result<NewControl, FieldError> {
        let status = if self.status.trim().is_empty() {
            ControlStatus::default()
        } else {
            ControlStatus::parse(&self.status)?
        };
        Ok(NewControl {
            title: self.title,
            description: self.description,
            status,
            owner_id: self.owner_id,
            due_date: parse_date("due_date", self.due_date.as_deref().unwrap_or(""))?,
            requirements: self
                .requirements
                .into_iter()
                .map(|r| RequirementLink {
                    framework: r.framework,
                    node_ref: r.node_ref,
                })
                .collect(),
            risk_ids: self.risk_ids,
            zone_ids: self.zone_ids,
            asset_ids: self.asset_ids,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Handlers

fn invalid(e: FieldError) -> Problem {
    Problem::from(StoreError::Invalid(e))
}

fn control_path(id: Result<Path<Uuid>, PathRejection>) -> Result<Uuid, Problem> {
    id.map(|Path(id)| id)
        .map_err(|e| bad_path(e, "a control id (a UUID)"))
}

/// The version from `If-Match` (`"3"`, `3` or `W/"3"`), if given.
fn if_match(headers: &axum::http::HeaderMap) -> Result<Option<i64>, Problem> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "bad-request",
                "Malformed request",
                "If-Match must be the version you read, e.g. If-Match: \"3\"",
            )
        })
}

fn missing_version(how: &str) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "bad-request",
        "Malformed request",
        format!("give the version you read ({how})"),
    )
}

fn with_etag(mut res: Response, version: i64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

const EXAMPLE: &str = r#"{"title": "Vendor remote access only through the DMZ jump server", "status": "planned", "due_date": "2027-03-31", "requirements": [{"framework": "jipdec-csms-2010", "node_ref": "5.4.2"}], "zone_ids": ["..."], "risk_ids": ["..."]}"#;

#[utoipa::path(get, path = "/api/v1/controls", tag = "controls", params(ControlQuery),
    responses((status = 200, body = ControlList),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "A filter is invalid (`field` names it)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn list_controls(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    q: Result<Query<ControlQuery>, QueryRejection>,
) -> Result<Json<ControlList>, Problem> {
    let Query(q) = q.map_err(bad_query)?;
    let org = &caller.org()?.0;
    let filter = q.parse().map_err(invalid)?;
    let all = state.store().controls(org.id).await?;
    let today = today(org);
    Ok(Json(ControlList {
        items: all
            .iter()
            .filter(|c| filter.matches(c))
            .map(|c| control_dto(c, today))
            .collect(),
        total: all.len(),
    }))
}

#[utoipa::path(post, path = "/api/v1/controls", tag = "controls", request_body = ControlInput,
    responses((status = 201, description = "Recorded; `Location` is its URL", body = ControlDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid (`field` names it)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn create_control(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<ControlInput>, JsonRejection>,
) -> Result<Response, Problem> {
    let Json(body) = body.map_err(|e| bad_json(e, EXAMPLE))?;
    let org = caller.org()?.0.clone();
    let new = checked(&state, org.id, body.into_new().map_err(invalid)?).await?;
    let c = state
        .store()
        .create_control(&caller.actor(), org.id, new)
        .await?;
    let mut res = (StatusCode::CREATED, Json(control_dto(&c, today(&org)))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/controls/{}", c.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(with_etag(res, c.version))
}

#[utoipa::path(get, path = "/api/v1/controls/{id}", tag = "controls",
    params(("id" = Uuid, Path, description = "The control's id")),
    responses((status = 200, description = "The control; `ETag` is its version", body = ControlDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn get_control(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Response, Problem> {
    let id = control_path(id)?;
    let org = caller.org()?.0.clone();
    let c = state.store().control(org.id, id).await?;
    Ok(with_etag(
        Json(control_dto(&c, today(&org))).into_response(),
        c.version,
    ))
}

#[utoipa::path(put, path = "/api/v1/controls/{id}", tag = "controls",
    params(("id" = Uuid, Path, description = "The control's id"),
        ("If-Match" = Option<String>, Header, description = "The version you read, when the body has no `version`")),
    request_body = ControlUpdate,
    responses((status = 200, description = "The changed control", body = ControlDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The version is stale (`current_version`)", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid (`field` names it)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn put_control(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    headers: axum::http::HeaderMap,
    body: Result<Json<ControlUpdate>, JsonRejection>,
) -> Result<Response, Problem> {
    let id = control_path(id)?;
    let org = caller.org()?.0.clone();
    // A missing control is a 404 whatever the body.
    state.store().control(org.id, id).await?;
    let Json(body) = body.map_err(|e| {
        bad_json(
            e,
            r#"{"version": 1, "title": "...", ...every field of the control}"#,
        )
    })?;
    let version = match (body.version, if_match(&headers)?) {
        (Some(v), _) | (None, Some(v)) => v,
        (None, None) => {
            return Err(missing_version(
                "\"version\" in the body or an If-Match header",
            ));
        }
    };
    let new = checked(&state, org.id, body.control.into_new().map_err(invalid)?).await?;
    let c = state
        .store()
        .update_control(&caller.actor(), org.id, id, version, new)
        .await?;
    Ok(with_etag(
        Json(control_dto(&c, today(&org))).into_response(),
        c.version,
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct VersionParam {
    /// The version you read (or give it as an `If-Match` header).
    pub version: Option<i64>,
}

#[utoipa::path(delete, path = "/api/v1/controls/{id}", tag = "controls",
    params(("id" = Uuid, Path, description = "The control's id"), VersionParam,
        ("If-Match" = Option<String>, Header, description = "The version you read, instead of `?version=`")),
    responses((status = 204, description = "Deleted"),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The version is stale, or a Statement of Applicability cites the control (the detail names it)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn delete_control(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    headers: axum::http::HeaderMap,
    q: Result<Query<VersionParam>, QueryRejection>,
) -> Result<StatusCode, Problem> {
    let id = control_path(id)?;
    let org = &caller.org()?.0;
    state.store().control(org.id, id).await?;
    let Query(q) = q.map_err(bad_query)?;
    let version = match (q.version, if_match(&headers)?) {
        (Some(v), _) | (None, Some(v)) => v,
        (None, None) => return Err(missing_version("?version=N or an If-Match header")),
    };
    state
        .store()
        .delete_control(&caller.actor(), org.id, id, version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
