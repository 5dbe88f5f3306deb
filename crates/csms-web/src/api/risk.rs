//! `/api/v1` for the risk area: the register, acceptance, the heat map counts and the risk
//! method. Handlers, their OpenAPI fragment ([`RiskApi`]) and routes. The rules are the
//! domain's and the register query is the pages' ([`crate::pages::risk`]).

use std::collections::BTreeMap;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use csms_domain::Uuid;
use csms_domain::org::FieldError;
use csms_domain::register::{
    self as reg, NewRisk, RatingInput, Risk, RiskKind, Stage, Treatment, Trigger,
};
use csms_domain::risk::RiskMethod;
use csms_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::{ProblemDto, bad_json, bad_path, bad_query};
use crate::authz::Caller;
use crate::pages::risk::{
    AcceptError, Methods, RegisterQuery, accept_as, named_assets, parse_date, today, zone_assets,
};
use crate::routes::{Route, route};
use crate::{AppState, Problem};

/// The OpenAPI paths and schemas of this area, merged into the API document.
#[derive(OpenApi)]
#[openapi(
    paths(
        list_risks,
        create_risk,
        get_risk,
        patch_risk,
        delete_risk,
        accept_risk,
        revoke_acceptance,
        heatmap,
        get_method,
        put_method
    ),
    components(schemas(
        RiskDto,
        RiskList,
        RatingDto,
        LevelDto,
        AcceptanceDto,
        RiskInput,
        RatingInputDto,
        RiskPatch,
        AcceptDto,
        HeatMapDto,
        HeatCellDto,
        RiskMethodDto,
        RiskMethodUpdate
    ))
)]
pub struct RiskApi;

/// The routes of this area's API.
pub(crate) fn routes() -> Vec<Route> {
    vec![
        route!(GET, "/api/v1/risks", OrgRead, get(list_risks)),
        route!(POST, "/api/v1/risks", OrgWrite, post(create_risk)),
        route!(GET, "/api/v1/risks/heatmap", OrgRead, get(heatmap)),
        route!(GET, "/api/v1/risks/{id}", OrgRead, get(get_risk)),
        route!(PATCH, "/api/v1/risks/{id}", OrgWrite, patch(patch_risk)),
        route!(DELETE, "/api/v1/risks/{id}", OrgManage, delete(delete_risk)),
        route!(
            POST,
            "/api/v1/risks/{id}/accept",
            OrgWrite,
            post(accept_risk)
        ),
        route!(
            DELETE,
            "/api/v1/risks/{id}/acceptance",
            OrgManage,
            delete(revoke_acceptance)
        ),
        route!(GET, "/api/v1/risk-method", OrgRead, get(get_method)),
        route!(PUT, "/api/v1/risk-method", OrgManage, put(put_method)),
    ]
}

// ---------------------------------------------------------------------------------------
// DTOs

/// A level of the method that scored a rating.
#[derive(Serialize, ToSchema)]
pub struct LevelDto {
    /// Index into the scoring method's levels (0 = lowest).
    pub index: usize,
    pub id: String,
    pub label_ja: String,
    pub label_en: String,
}

fn level_dto(m: &RiskMethod, index: usize) -> LevelDto {
    let l = m.levels.get(index);
    LevelDto {
        index,
        id: l.map(|l| l.id.clone()).unwrap_or_default(),
        label_ja: l.map(|l| l.label_ja.clone()).unwrap_or_default(),
        label_en: l.map(|l| l.label_en.clone()).unwrap_or_default(),
    }
}

/// A scored rating.
#[derive(Serialize, ToSchema)]
pub struct RatingDto {
    pub likelihood: u8,
    /// Category id → consequence step.
    pub consequences: BTreeMap<String, u8>,
    /// The consequence used in the matrix (the worst category's).
    pub consequence: u8,
    pub driving_categories: Vec<String>,
    pub level: LevelDto,
}

fn rating_dto(m: &RiskMethod, r: &reg::Rating) -> RatingDto {
    RatingDto {
        likelihood: r.likelihood,
        consequences: r.consequences.clone(),
        consequence: r.consequence,
        driving_categories: r.driving_categories.clone(),
        level: level_dto(m, r.level),
    }
}

/// Who accepted a risk, when and why.
#[derive(Serialize, ToSchema)]
pub struct AcceptanceDto {
    pub by: Uuid,
    pub by_name: String,
    /// RFC 3339.
    pub at: String,
    pub reason: String,
    pub level: LevelDto,
    /// Accepted above the tolerable threshold (by a CSMS manager or an administrator).
    pub above_tolerable: bool,
}

/// A risk of the register.
#[derive(Serialize, ToSchema)]
pub struct RiskDto {
    pub id: Uuid,
    /// `R-0001`: assigned in order, never reused.
    pub code: String,
    pub title: String,
    /// `high_level` or `detailed`.
    pub kind: String,
    pub system_id: Option<Uuid>,
    pub zone_ids: Vec<Uuid>,
    pub asset_ids: Vec<Uuid>,
    pub threat_source: String,
    pub threat_vector: String,
    pub vulnerability: String,
    pub scenario: String,
    pub existing_controls: String,
    pub inherent: RatingDto,
    /// `reduce`, `accept`, `transfer` or `avoid`.
    pub treatment: String,
    pub planned_controls: String,
    pub residual: Option<RatingDto>,
    /// The level in force: residual when rated, else inherent.
    pub level: LevelDto,
    /// `open` or `accepted`.
    pub status: String,
    pub owner_id: Option<Uuid>,
    /// `YYYY-MM-DD`.
    pub due_date: Option<String>,
    pub review_date: Option<String>,
    /// The review date has passed (in the organization's time zone).
    pub review_due: bool,
    pub triggers: Vec<String>,
    pub trigger_notes: String,
    pub acceptance: Option<AcceptanceDto>,
    /// Fingerprint of the method that scored the ratings.
    pub method: String,
    /// False when scored with an earlier method (levels are that method's).
    pub current_method: bool,
    /// Name this version in a change.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

fn date(d: Option<time::Date>) -> Option<String> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    d.and_then(|d| d.format(f).ok())
}

fn risk_dto(methods: &Methods, r: &Risk, today: time::Date) -> RiskDto {
    let m = methods.of(r);
    RiskDto {
        id: r.id,
        code: r.code.clone(),
        title: r.title.clone(),
        kind: r.kind.as_str().to_owned(),
        system_id: r.system_id,
        zone_ids: r.zone_ids.clone(),
        asset_ids: r.asset_ids.clone(),
        threat_source: r.threat_source.clone(),
        threat_vector: r.threat_vector.clone(),
        vulnerability: r.vulnerability.clone(),
        scenario: r.scenario.clone(),
        existing_controls: r.existing_controls.clone(),
        inherent: rating_dto(m, &r.inherent),
        treatment: r.treatment.as_str().to_owned(),
        planned_controls: r.planned_controls.clone(),
        residual: r.residual.as_ref().map(|x| rating_dto(m, x)),
        level: level_dto(m, r.level()),
        status: if r.acceptance.is_some() {
            "accepted"
        } else {
            "open"
        }
        .to_owned(),
        owner_id: r.owner_id,
        due_date: date(r.due_date),
        review_date: date(r.review_date),
        review_due: r.review_due(today),
        triggers: r.triggers.iter().map(|t| t.as_str().to_owned()).collect(),
        trigger_notes: r.trigger_notes.clone(),
        acceptance: r.acceptance.as_ref().map(|a| AcceptanceDto {
            by: a.by,
            by_name: a.by_name.clone(),
            at: csms_domain::time::format_canonical(a.at),
            reason: a.reason.clone(),
            level: level_dto(m, a.level),
            above_tolerable: a.above_tolerable,
        }),
        method: r.method.clone(),
        current_method: methods.is_current(r),
        version: r.version,
        created_at: csms_domain::time::format_canonical(r.created_at),
        updated_at: csms_domain::time::format_canonical(r.updated_at),
    }
}

/// The register, filtered and sorted.
#[derive(Serialize, ToSchema)]
pub struct RiskList {
    pub items: Vec<RiskDto>,
    /// Risks in the register before filtering.
    pub total: usize,
}

/// A rating as entered: a likelihood and one consequence per category rated (at least one).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct RatingInputDto {
    pub likelihood: u8,
    /// Category id → consequence step, e.g. `{"health_safety": 4}`.
    pub consequences: BTreeMap<String, u8>,
}

/// A risk as a client sets it; every field is written.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct RiskInput {
    pub title: String,
    /// `high_level` (names a system) or `detailed` (names zones or assets).
    pub kind: String,
    pub system_id: Option<Uuid>,
    pub zone_ids: Vec<Uuid>,
    pub asset_ids: Vec<Uuid>,
    pub threat_source: String,
    pub threat_vector: String,
    pub vulnerability: String,
    pub scenario: String,
    pub existing_controls: String,
    pub inherent: RatingInputDto,
    /// `reduce`, `accept`, `transfer` or `avoid`.
    pub treatment: String,
    pub planned_controls: String,
    /// Required unless the treatment is `accept`.
    pub residual: Option<RatingInputDto>,
    pub owner_id: Option<Uuid>,
    /// `YYYY-MM-DD`.
    pub due_date: Option<String>,
    pub review_date: Option<String>,
    /// `system_change`, `new_vulnerability`, `threat_change`, `incident`,
    /// `organization_change`, `regulation_change`, `audit_finding`, `other`.
    pub triggers: Vec<String>,
    pub trigger_notes: String,
}

/// A full change of a risk, naming the version it was based on.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RiskPatch {
    /// The version you read; a stale version is refused with 409.
    pub version: i64,
    #[serde(flatten)]
    pub risk: RiskInput,
}

/// An acceptance.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptDto {
    pub version: i64,
    /// Why the risk is acceptable.
    pub reason: String,
}

fn rating_input(r: RatingInputDto) -> RatingInput {
    RatingInput {
        likelihood: r.likelihood,
        consequences: r.consequences,
    }
}

impl RiskInput {
    fn into_new(self) -> Result<NewRisk, FieldError> {
        let kind = if self.kind.trim().is_empty() {
            RiskKind::default()
        } else {
            RiskKind::parse(&self.kind)?
        };
        let treatment = if self.treatment.trim().is_empty() {
            Treatment::default()
        } else {
            Treatment::parse(&self.treatment)?
        };
        let triggers = self
            .triggers
            .iter()
            .map(|t| Trigger::parse(t))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NewRisk {
            title: self.title,
            kind,
            system_id: self.system_id,
            zone_ids: self.zone_ids,
            asset_ids: self.asset_ids,
            threat_source: self.threat_source,
            threat_vector: self.threat_vector,
            vulnerability: self.vulnerability,
            scenario: self.scenario,
            existing_controls: self.existing_controls,
            inherent: rating_input(self.inherent),
            treatment,
            planned_controls: self.planned_controls,
            residual: self.residual.map(rating_input),
            owner_id: self.owner_id,
            due_date: parse_date("due_date", self.due_date.as_deref().unwrap_or(""))?,
            review_date: parse_date("review_date", self.review_date.as_deref().unwrap_or(""))?,
            triggers,
            trigger_notes: self.trigger_notes,
        })
    }
}

/// Counts per heat map cell.
#[derive(Serialize, ToSchema)]
pub struct HeatCellDto {
    pub likelihood: u8,
    pub consequence: u8,
    pub level: LevelDto,
    pub count: usize,
}

/// The heat map of the (filtered) register at a stage over the current method.
#[derive(Serialize, ToSchema)]
pub struct HeatMapDto {
    /// `inherent` or `residual`.
    pub stage: String,
    /// One entry per cell, lowest likelihood first, then by consequence.
    pub cells: Vec<HeatCellDto>,
    /// Risks whose rating lies outside the current method's scales (scored with an earlier one).
    pub outside: usize,
    pub total: usize,
}

/// Heat map parameters: the register's filters plus the stage.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct HeatParams {
    /// `inherent` (default) or `residual`.
    pub stage: Option<String>,
}

/// A version of the organization's risk method.
#[derive(Serialize, ToSchema)]
pub struct RiskMethodDto {
    /// 0 for the built-in default, then 1, 2, …; name it as `expected_seq` to change it.
    pub seq: i64,
    pub fingerprint: String,
    pub note: String,
    /// Scales, categories, levels, the matrix (`cells[likelihood-1][consequence-1]` is a level
    /// index) and the tolerable threshold (a level index).
    #[schema(value_type = Object)]
    pub method: serde_json::Value,
    pub created_at: Option<String>,
}

/// A new version of the risk method.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RiskMethodUpdate {
    /// The `seq` you read; a stale one is refused with 409.
    pub expected_seq: i64,
    #[schema(value_type = Object)]
    pub method: serde_json::Value,
    /// Why it changes.
    #[serde(default)]
    pub note: String,
}

// ---------------------------------------------------------------------------------------
// Handlers

fn invalid(e: FieldError) -> Problem {
    Problem::from(StoreError::Invalid(e))
}

fn risk_path(id: Result<Path<Uuid>, PathRejection>) -> Result<Uuid, Problem> {
    id.map(|Path(id)| id)
        .map_err(|e| bad_path(e, "a risk id (a UUID)"))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct VersionParam {
    /// The version you read.
    pub version: Option<i64>,
}

fn version_of(v: Option<i64>) -> Result<i64, Problem> {
    v.ok_or_else(|| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Malformed request",
            "give the version you read as ?version=N",
        )
    })
}

async fn register(
    state: &AppState,
    org: &csms_domain::org::Organization,
    q: &RegisterQuery,
) -> Result<(Vec<Risk>, Vec<Risk>, Methods, time::Date), Problem> {
    let store = state.store();
    let risks = store.risks(org.id).await?;
    let methods = Methods::load(state, org.id, &risks).await?;
    let (filter, sort) = q.parse(&methods.current.method).map_err(invalid)?;
    let assets = if filter.zone_id.is_some() {
        named_assets(state, org.id, &risks).await?
    } else {
        Default::default()
    };
    let za = zone_assets(&filter, &assets);
    let today = today(org);
    let mut shown: Vec<Risk> = risks
        .iter()
        .filter(|r| filter.matches(r, &za, today))
        .cloned()
        .collect();
    reg::sort(&mut shown, sort);
    Ok((risks, shown, methods, today))
}

#[utoipa::path(get, path = "/api/v1/risks", tag = "risks", params(RegisterQuery),
    responses((status = 200, body = RiskList),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "A filter is invalid (`field` names it)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn list_risks(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    q: Result<Query<RegisterQuery>, QueryRejection>,
) -> Result<Json<RiskList>, Problem> {
    let Query(q) = q.map_err(bad_query)?;
    let org = &caller.org()?.0;
    let (all, shown, methods, today) = register(&state, org, &q).await?;
    Ok(Json(RiskList {
        items: shown.iter().map(|r| risk_dto(&methods, r, today)).collect(),
        total: all.len(),
    }))
}

async fn one(
    state: &AppState,
    org: &csms_domain::org::Organization,
    risk: &Risk,
) -> Result<RiskDto, Problem> {
    let methods = Methods::load(state, org.id, std::slice::from_ref(risk)).await?;
    Ok(risk_dto(&methods, risk, today(org)))
}

async fn scored(
    state: &AppState,
    org_id: Uuid,
    input: RiskInput,
) -> Result<reg::ScoredRisk, Problem> {
    let new = input.into_new().map_err(invalid)?;
    let method = state.store().risk_method(org_id).await?.method;
    reg::validate_risk(&method, new).map_err(invalid)
}

const EXAMPLE: &str = r#"{"title": "Ransomware on the engineering workstation", "kind": "detailed", "zone_ids": ["..."], "threat_source": "criminal group", "inherent": {"likelihood": 4, "consequences": {"production": 5}}, "treatment": "reduce", "planned_controls": "application allow-listing", "residual": {"likelihood": 2, "consequences": {"production": 3}}}"#;

#[utoipa::path(post, path = "/api/v1/risks", tag = "risks", request_body = RiskInput,
    responses((status = 201, description = "Recorded; `Location` is its URL", body = RiskDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid (`field` names it)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn create_risk(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<RiskInput>, JsonRejection>,
) -> Result<Response, Problem> {
    let Json(body) = body.map_err(|e| bad_json(e, EXAMPLE))?;
    let org = caller.org()?.0.clone();
    let s = scored(&state, org.id, body).await?;
    let risk = state
        .store()
        .create_risk(&caller.actor(), org.id, s)
        .await?;
    let dto = one(&state, &org, &risk).await?;
    let mut res = (StatusCode::CREATED, Json(dto)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/risks/{}", risk.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

#[utoipa::path(get, path = "/api/v1/risks/{id}", tag = "risks",
    params(("id" = Uuid, Path, description = "The risk's id")),
    responses((status = 200, body = RiskDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn get_risk(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<RiskDto>, Problem> {
    let id = risk_path(id)?;
    let org = caller.org()?.0.clone();
    let risk = state.store().risk(org.id, id).await?;
    Ok(Json(one(&state, &org, &risk).await?))
}

#[utoipa::path(patch, path = "/api/v1/risks/{id}", tag = "risks",
    params(("id" = Uuid, Path, description = "The risk's id")),
    request_body = RiskPatch,
    responses((status = 200, description = "The changed risk (an acceptance that no longer holds is cleared)", body = RiskDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The version is stale (`current_version`)", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid (`field` names it)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn patch_risk(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<RiskPatch>, JsonRejection>,
) -> Result<Json<RiskDto>, Problem> {
    let id = risk_path(id)?;
    let org = caller.org()?.0.clone();
    // A missing risk is a 404 whatever the body.
    state.store().risk(org.id, id).await?;
    let Json(body) = body.map_err(|e| {
        bad_json(
            e,
            r#"{"version": 1, "title": "...", ...every field of the risk}"#,
        )
    })?;
    let s = scored(&state, org.id, body.risk).await?;
    let risk = state
        .store()
        .update_risk(&caller.actor(), org.id, id, body.version, s)
        .await?;
    Ok(Json(one(&state, &org, &risk).await?))
}

#[utoipa::path(delete, path = "/api/v1/risks/{id}", tag = "risks",
    params(("id" = Uuid, Path, description = "The risk's id"), VersionParam),
    responses((status = 204, description = "Deleted"),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The version is stale", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn delete_risk(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    q: Result<Query<VersionParam>, QueryRejection>,
) -> Result<StatusCode, Problem> {
    let id = risk_path(id)?;
    let org = &caller.org()?.0;
    state.store().risk(org.id, id).await?;
    let Query(q) = q.map_err(bad_query)?;
    let version = version_of(q.version)?;
    state
        .store()
        .delete_risk(&caller.actor(), org.id, id, version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/risks/{id}/accept", tag = "risks",
    params(("id" = Uuid, Path, description = "The risk's id")),
    request_body = AcceptDto,
    responses((status = 200, description = "Accepted at the level in force", body = RiskDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, description = "Above the tolerable threshold only a CSMS manager or an administrator accepts", body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The version is stale", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "No reason, or scored with an earlier method (`field` names it)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn accept_risk(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<AcceptDto>, JsonRejection>,
) -> Result<Json<RiskDto>, Problem> {
    let id = risk_path(id)?;
    let org = caller.org()?.0.clone();
    state.store().risk(org.id, id).await?;
    let Json(body) = body.map_err(|e| {
        bad_json(
            e,
            r#"{"version": 1, "reason": "within the tolerable threshold"}"#,
        )
    })?;
    match accept_as(&state, &caller, org.id, id, body.version, &body.reason).await {
        Ok(r) => Ok(Json(one(&state, &org, &r).await?)),
        Err(AcceptError::Refused(msg)) => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not permitted",
            msg,
        )),
        Err(AcceptError::Store(e)) => Err(e.into()),
    }
}

#[utoipa::path(delete, path = "/api/v1/risks/{id}/acceptance", tag = "risks",
    params(("id" = Uuid, Path, description = "The risk's id"), VersionParam),
    responses((status = 200, description = "The acceptance is withdrawn", body = RiskDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The version is stale", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "The risk is not accepted", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn revoke_acceptance(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    q: Result<Query<VersionParam>, QueryRejection>,
) -> Result<Json<RiskDto>, Problem> {
    let id = risk_path(id)?;
    let org = caller.org()?.0.clone();
    state.store().risk(org.id, id).await?;
    let Query(q) = q.map_err(bad_query)?;
    let version = version_of(q.version)?;
    let r = state
        .store()
        .revoke_acceptance(&caller.actor(), org.id, id, version)
        .await?;
    Ok(Json(one(&state, &org, &r).await?))
}

#[utoipa::path(get, path = "/api/v1/risks/heatmap", tag = "risks", params(HeatParams, RegisterQuery),
    responses((status = 200, body = HeatMapDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "A filter or the stage is invalid", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn heatmap(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    q: Result<Query<RegisterQuery>, QueryRejection>,
    h: Result<Query<HeatParams>, QueryRejection>,
) -> Result<Json<HeatMapDto>, Problem> {
    let Query(q) = q.map_err(bad_query)?;
    let Query(h) = h.map_err(bad_query)?;
    let stage = match h.stage.as_deref().map(str::trim) {
        None | Some("" | "inherent") => Stage::Inherent,
        Some("residual") => Stage::Residual,
        Some(other) => {
            return Err(invalid(FieldError {
                field: "stage",
                message: format!(
                    "'{}' is not a stage; use inherent or residual",
                    other
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(40)
                        .collect::<String>()
                ),
            }));
        }
    };
    let org = &caller.org()?.0;
    let (all, shown, methods, _) = register(&state, org, &q).await?;
    let m = &methods.current.method;
    let counts = reg::heat_counts(m, shown.iter(), stage);
    let mut cells = Vec::new();
    for (li, row) in m.cells.iter().enumerate() {
        for (ci, &level) in row.iter().enumerate() {
            cells.push(HeatCellDto {
                likelihood: li as u8 + 1,
                consequence: ci as u8 + 1,
                level: level_dto(m, level),
                count: counts
                    .counts
                    .get(li)
                    .and_then(|r| r.get(ci))
                    .copied()
                    .unwrap_or(0),
            });
        }
    }
    Ok(Json(HeatMapDto {
        stage: match stage {
            Stage::Inherent => "inherent",
            Stage::Residual => "residual",
        }
        .to_owned(),
        cells,
        outside: counts.outside,
        total: all.len(),
    }))
}

fn method_dto(m: csms_store::risk::StoredRiskMethod) -> RiskMethodDto {
    RiskMethodDto {
        seq: m.seq,
        fingerprint: m.fingerprint,
        note: m.note,
        method: serde_json::to_value(&m.method).unwrap_or_default(),
        created_at: m.created_at.map(csms_domain::time::format_canonical),
    }
}

#[utoipa::path(get, path = "/api/v1/risk-method", tag = "risks",
    responses((status = 200, body = RiskMethodDto),
        (status = 401, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn get_method(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<RiskMethodDto>, Problem> {
    let org = &caller.org()?.0;
    Ok(Json(method_dto(state.store().risk_method(org.id).await?)))
}

#[utoipa::path(put, path = "/api/v1/risk-method", tag = "risks", request_body = RiskMethodUpdate,
    responses((status = 200, description = "The method now in force (unchanged if identical)", body = RiskMethodDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "Another version was set since `expected_seq`", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "The method is invalid (the message names the step, category, level or cell)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn put_method(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<RiskMethodUpdate>, JsonRejection>,
) -> Result<Json<RiskMethodDto>, Problem> {
    let Json(body) = body.map_err(|e| {
        bad_json(e, r#"{"expected_seq": 0, "method": {...as GET /api/v1/risk-method gives it}, "note": "why"}"#)
    })?;
    let method: RiskMethod = serde_json::from_value(body.method).map_err(|e| {
        invalid(FieldError {
            field: "method",
            message: format!(
                "the method is not in the expected form ({e}); start from what GET /api/v1/risk-method returns"
            ),
        })
    })?;
    let org = &caller.org()?.0;
    let m = state
        .store()
        .set_risk_method(
            &caller.actor(),
            org.id,
            body.expected_seq,
            method,
            &body.note,
        )
        .await?;
    Ok(Json(method_dto(m)))
}
