//! `/api/v1` for the Statement of Applicability (適用宣言書): versions, the draft, deciding
//! items, the organization's additional items, approval, the diff between two versions and
//! the XLSX. The rules are the domain's ([`csms_domain::soa`]), the loading and the report the
//! pages' ([`crate::pages::soa`]), so the API and the pages cannot disagree.
//!
//! An approved version never changes: every write to one answers 409 (`locked`).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use csms_domain::Uuid;
use csms_domain::org::FieldError;
use csms_domain::soa::{
    self, Applicability, DiffKind, ImplStatus, ItemDecision, NewAdditional, ReasonKind, SoaItem,
    SoaVersion,
};
use csms_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::{ProblemDto, bad_json, bad_path, bad_query};
use crate::authz::Caller;
use crate::pages::reports::LangQuery;
use crate::pages::soa::{
    Loaded, caller_name, candidate_refs, chosen_framework, field_value, file_name, soa_report,
};
use crate::routes::{Route, route};
use crate::{AppState, Problem};

/// The OpenAPI paths and schemas of this area, merged into the API document.
#[derive(OpenApi)]
#[openapi(
    paths(
        list_soa,
        start_draft,
        get_version,
        put_item,
        add_item,
        delete_item,
        approve,
        diff,
        version_xlsx
    ),
    components(schemas(
        SoaOverview,
        SoaVersionDto,
        SoaVersionDetail,
        SoaItemDto,
        RiskRefDto,
        DraftInput,
        ItemInput,
        AdditionalInput,
        ApproveInput,
        SoaDiffDto,
        ItemDiffDto,
        FieldChangeDto
    ))
)]
pub struct SoaApi;

pub(crate) fn routes() -> Vec<Route> {
    vec![
        route!(GET, "/api/v1/soa", OrgRead, get(list_soa)),
        route!(POST, "/api/v1/soa/draft", OrgWrite, post(start_draft)),
        route!(GET, "/api/v1/soa/diff", OrgRead, get(diff)),
        route!(GET, "/api/v1/soa/versions/{id}", OrgRead, get(get_version)),
        route!(
            POST,
            "/api/v1/soa/versions/{id}/approve",
            OrgManage,
            post(approve)
        ),
        route!(
            GET,
            "/api/v1/soa/versions/{id}/soa.xlsx",
            OrgRead,
            get(version_xlsx)
        ),
        route!(POST, "/api/v1/soa/items", OrgWrite, post(add_item)),
        route!(PUT, "/api/v1/soa/items/{id}", OrgWrite, put(put_item)),
        route!(
            DELETE,
            "/api/v1/soa/items/{id}",
            OrgWrite,
            delete(delete_item)
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// DTOs

/// A version of a statement.
#[derive(Serialize, ToSchema)]
pub struct SoaVersionDto {
    pub id: Uuid,
    /// The framework id, e.g. `jipdec-csms-2010`.
    pub framework: String,
    /// 1, 2, ... for approved versions; null for the draft.
    pub number: Option<i64>,
    /// `draft` or `approved` (approved versions never change).
    pub state: String,
    pub note: String,
    /// RFC 3339.
    pub approved_at: Option<String>,
    pub approved_by: Option<Uuid>,
    pub approved_by_name: String,
    /// The approved version this draft was copied from.
    pub based_on: Option<Uuid>,
    pub created_at: String,
    pub updated_at: String,
    /// The draft's row version: name it when approving (any item change moves it on).
    pub version: i64,
}

fn version_dto(v: &SoaVersion) -> SoaVersionDto {
    SoaVersionDto {
        id: v.id,
        framework: v.framework.clone(),
        number: v.number,
        state: v.state.as_str().to_owned(),
        note: v.note.clone(),
        approved_at: v.approved_at.map(csms_domain::time::format_canonical),
        approved_by: v.approved_by,
        approved_by_name: v.approved_by_name.clone(),
        based_on: v.based_on,
        created_at: csms_domain::time::format_canonical(v.created_at),
        updated_at: csms_domain::time::format_canonical(v.updated_at),
        version: v.version,
    }
}

/// The statements of a framework: every version (the draft first, then approved versions
/// newest first) and the draft, if one is open.
#[derive(Serialize, ToSchema)]
pub struct SoaOverview {
    pub framework: String,
    pub versions: Vec<SoaVersionDto>,
    pub draft: Option<SoaVersionDto>,
}

/// A risk an item names, as it was when linked.
#[derive(Serialize, ToSchema)]
pub struct RiskRefDto {
    pub id: Uuid,
    pub code: String,
    pub title: String,
}

/// One item of a version.
#[derive(Serialize, ToSchema)]
pub struct SoaItemDto {
    pub id: Uuid,
    pub version_id: Uuid,
    pub position: i64,
    /// The framework's ref (e.g. `5.6.1`), or the organization's own for an additional item.
    pub node_ref: String,
    /// Added by the organization (not from the framework).
    pub additional: bool,
    /// In the caller's language (framework items: the catalog's title).
    pub title: String,
    /// `undecided`, `applicable` or `excluded`.
    pub applicability: String,
    /// `risk_treatment`, `legal_contractual`, `business_need`.
    pub reasons: Vec<String>,
    pub reason_text: String,
    pub risks: Vec<RiskRefDto>,
    /// The justification of an excluded item.
    pub exclusion: String,
    /// `not_started`, `planned`, `partial` or `implemented`.
    pub status: String,
    /// The status the linked controls suggest (a cross-check; never applied by itself).
    pub suggested_status: String,
    pub control_ids: Vec<Uuid>,
    /// Decided as approval needs it.
    pub decided: bool,
    /// Name this version in a change.
    pub version: i64,
    pub updated_at: String,
}

fn item_dto(caller: &Caller, l: &Loaded, i: &SoaItem) -> SoaItemDto {
    let statuses: Vec<_> = i
        .control_ids
        .iter()
        .filter_map(|id| l.controls.get(id))
        .map(|c| c.status)
        .collect();
    SoaItemDto {
        id: i.id,
        version_id: i.version_id,
        position: i.position,
        node_ref: i.node_ref.clone(),
        additional: i.additional,
        title: l.title(&caller.tr, i),
        applicability: i.applicability.as_str().to_owned(),
        reasons: i.reasons.iter().map(|r| r.as_str().to_owned()).collect(),
        reason_text: i.reason_text.clone(),
        risks: i
            .risks
            .iter()
            .map(|r| RiskRefDto {
                id: r.id,
                code: r.code.clone(),
                title: r.title.clone(),
            })
            .collect(),
        exclusion: i.exclusion.clone(),
        status: i.status.as_str().to_owned(),
        suggested_status: soa::suggested_status(&statuses).as_str().to_owned(),
        control_ids: i.control_ids.clone(),
        decided: i.decided(),
        version: i.version,
        updated_at: csms_domain::time::format_canonical(i.updated_at),
    }
}

/// A version with its items in statement order.
#[derive(Serialize, ToSchema)]
pub struct SoaVersionDetail {
    #[serde(flatten)]
    pub version: SoaVersionDto,
    /// The framework's name in the caller's language.
    pub framework_name: String,
    pub items: Vec<SoaItemDto>,
    /// The refs of the items approval still needs decided.
    pub undecided: Vec<String>,
}

/// Which framework to start a draft for.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct DraftInput {
    /// Default: the framework changed last, else `jipdec-csms-2010`.
    pub framework: Option<String>,
}

/// The decision on an item (every field; what is left out is cleared).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ItemInput {
    /// The item version you read; a stale one is refused with 409.
    pub version: Option<i64>,
    /// `undecided`, `applicable` or `excluded`.
    pub applicability: String,
    /// Any of `risk_treatment`, `legal_contractual`, `business_need` (at least one for an
    /// applicable item).
    pub reasons: Vec<String>,
    /// Why the item is included, in words (required for an applicable item).
    pub reason_text: String,
    /// The risks it treats (required with `risk_treatment`).
    pub risk_ids: Vec<Uuid>,
    /// Why it is excluded (required for an excluded item).
    pub exclusion: String,
    /// `not_started`, `planned`, `partial` or `implemented`.
    pub status: String,
    pub control_ids: Vec<Uuid>,
}

/// One of the organization's own controls, added to the draft.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct AdditionalInput {
    /// The draft's id.
    pub version_id: Option<Uuid>,
    /// Its own ref, one word, e.g. `ORG-1`.
    pub node_ref: String,
    pub title: String,
}

/// Approving the draft.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ApproveInput {
    /// The draft's row version you read (`version` of the version); stale: 409.
    pub version: Option<i64>,
    pub note: String,
}

/// A field that differs between two versions.
#[derive(Serialize, ToSchema)]
pub struct FieldChangeDto {
    /// `title`, `applicability`, `reasons`, `reason_text`, `risks`, `exclusion`, `status`,
    /// `controls`.
    pub field: String,
    /// In words, in the caller's language.
    pub before: String,
    pub after: String,
}

/// An item that differs.
#[derive(Serialize, ToSchema)]
pub struct ItemDiffDto {
    pub node_ref: String,
    pub title: String,
    /// `added`, `removed` or `changed`.
    pub kind: String,
    pub fields: Vec<FieldChangeDto>,
}

/// What changed from one version to another.
#[derive(Serialize, ToSchema)]
pub struct SoaDiffDto {
    pub from: SoaVersionDto,
    pub to: SoaVersionDto,
    pub items: Vec<ItemDiffDto>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct FrameworkParam {
    /// The framework id (default: the one changed last, else `jipdec-csms-2010`).
    pub framework: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ItemVersionParam {
    /// The item version you read.
    pub version: Option<i64>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct DiffParams {
    /// The earlier version's id.
    pub from: Option<Uuid>,
    /// The later version's id.
    pub to: Option<Uuid>,
}

// ---------------------------------------------------------------------------------------
// Handlers

fn invalid(e: FieldError) -> Problem {
    Problem::from(StoreError::Invalid(e))
}

fn id_path(id: Result<Path<Uuid>, PathRejection>, what: &str) -> Result<Uuid, Problem> {
    id.map(|Path(id)| id).map_err(|e| bad_path(e, what))
}

fn need_version(v: Option<i64>, how: &str) -> Result<i64, Problem> {
    v.ok_or_else(|| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Malformed request",
            format!("give the version you read as {how}"),
        )
    })
}

async fn detail(state: &AppState, caller: &Caller, id: Uuid) -> Result<SoaVersionDetail, Problem> {
    let org = &caller.org()?.0;
    let l = Loaded::load(state, org.id, id).await?;
    Ok(SoaVersionDetail {
        version: version_dto(&l.version),
        framework_name: l.framework_name(&caller.tr),
        items: l.items.iter().map(|i| item_dto(caller, &l, i)).collect(),
        undecided: soa::approval_problems(&l.items),
    })
}

async fn one_item(state: &AppState, caller: &Caller, id: Uuid) -> Result<SoaItemDto, Problem> {
    let org = &caller.org()?.0;
    let item = state.store().soa_item(org.id, id).await?;
    let l = Loaded::load(state, org.id, item.version_id).await?;
    let i = l
        .items
        .iter()
        .find(|i| i.id == id)
        .ok_or(StoreError::NotFound {
            kind: "statement of applicability item",
            id: id.to_string(),
        })?;
    Ok(item_dto(caller, &l, i))
}

#[utoipa::path(get, path = "/api/v1/soa", tag = "soa", params(FrameworkParam),
    responses((status = 200, body = SoaOverview),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn list_soa(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    q: Result<Query<FrameworkParam>, QueryRejection>,
) -> Result<Json<SoaOverview>, Problem> {
    let Query(q) = q.map_err(bad_query)?;
    let org = &caller.org()?.0;
    let framework = chosen_framework(&state, org.id, q.framework.as_deref()).await?;
    let versions = state.store().soa_versions(org.id, Some(&framework)).await?;
    Ok(Json(SoaOverview {
        draft: versions.iter().find(|v| v.is_draft()).map(version_dto),
        versions: versions.iter().map(version_dto).collect(),
        framework,
    }))
}

#[utoipa::path(post, path = "/api/v1/soa/draft", tag = "soa", request_body = DraftInput,
    responses((status = 201, description = "The draft: a copy of the latest approved version, or one undecided item per candidate of the framework; `Location` is its URL", body = SoaVersionDetail),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "A draft is open already", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "The framework is not in the library or lists nothing", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn start_draft(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<DraftInput>, JsonRejection>,
) -> Result<Response, Problem> {
    let Json(body) = body.map_err(|e| bad_json(e, r#"{"framework": "jipdec-csms-2010"}"#))?;
    let org = caller.org()?.0.clone();
    let framework = chosen_framework(&state, org.id, body.framework.as_deref()).await?;
    let lib = state.library().for_org(state.store(), org.id).await?;
    let Some(fw) = lib.framework(&framework) else {
        return Err(invalid(FieldError {
            field: "framework",
            message: format!(
                "framework {} is not in the organization's library; GET /api/v1/frameworks lists them",
                framework.chars().take(80).collect::<String>()
            ),
        }));
    };
    let refs = candidate_refs(fw);
    let v = state
        .store()
        .start_soa_draft(&caller.actor(), org.id, fw.id(), &refs)
        .await?;
    let dto = detail(&state, &caller, v.id).await?;
    let mut res = (StatusCode::CREATED, Json(dto)).into_response();
    if let Ok(h) = HeaderValue::from_str(&format!("/api/v1/soa/versions/{}", v.id)) {
        res.headers_mut().insert(header::LOCATION, h);
    }
    Ok(res)
}

#[utoipa::path(get, path = "/api/v1/soa/versions/{id}", tag = "soa",
    params(("id" = Uuid, Path, description = "The version's id")),
    responses((status = 200, body = SoaVersionDetail),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn get_version(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<SoaVersionDetail>, Problem> {
    let id = id_path(id, "an SoA version id (a UUID)")?;
    Ok(Json(detail(&state, &caller, id).await?))
}

/// The decision of the input, each value checked (messages name the item and the field).
fn decision_of(node_ref: &str, b: ItemInput) -> Result<ItemDecision, FieldError> {
    let named = |mut e: FieldError| {
        e.message = format!("item {node_ref}: {}", e.message);
        e
    };
    let reasons = b
        .reasons
        .iter()
        .map(|r| ReasonKind::parse(r))
        .collect::<Result<Vec<_>, _>>()
        .map_err(named)?;
    Ok(ItemDecision {
        applicability: Applicability::parse(&b.applicability).map_err(named)?,
        reasons,
        reason_text: b.reason_text,
        risk_ids: b.risk_ids,
        exclusion: b.exclusion,
        status: if b.status.trim().is_empty() {
            ImplStatus::default()
        } else {
            ImplStatus::parse(&b.status).map_err(named)?
        },
        control_ids: b.control_ids,
    })
}

const ITEM_EXAMPLE: &str = r#"{"version": 1, "applicability": "excluded", "exclusion": "no wireless networks in scope"} or {"version": 1, "applicability": "applicable", "reasons": ["business_need"], "reason_text": "...", "status": "implemented", "control_ids": []}"#;

#[utoipa::path(put, path = "/api/v1/soa/items/{id}", tag = "soa",
    params(("id" = Uuid, Path, description = "The item's id")),
    request_body = ItemInput,
    responses((status = 200, description = "The item as decided", body = SoaItemDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The version is approved (`locked`), or the item version is stale (`current_version`)", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "The decision is incomplete; the message names the item, `field` the field", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn put_item(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<ItemInput>, JsonRejection>,
) -> Result<Json<SoaItemDto>, Problem> {
    let id = id_path(id, "an SoA item id (a UUID)")?;
    let org = caller.org()?.0.clone();
    // A missing item is a 404 whatever the body.
    let item = state.store().soa_item(org.id, id).await?;
    let Json(body) = body.map_err(|e| bad_json(e, ITEM_EXAMPLE))?;
    let version = need_version(body.version, r#""version": N in the body"#)?;
    let d = decision_of(&item.node_ref, body).map_err(invalid)?;
    state
        .store()
        .update_soa_item(&caller.actor(), org.id, id, version, d)
        .await?;
    Ok(Json(one_item(&state, &caller, id).await?))
}

#[utoipa::path(post, path = "/api/v1/soa/items", tag = "soa", request_body = AdditionalInput,
    responses((status = 201, description = "Added to the draft, undecided; `Location` is its version's URL", body = SoaItemDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The version is approved", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "The ref is taken or malformed, or the title is missing (`field`)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn add_item(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<AdditionalInput>, JsonRejection>,
) -> Result<Response, Problem> {
    let Json(body) = body.map_err(|e| {
        bad_json(
            e,
            r#"{"version_id": "...", "node_ref": "ORG-1", "title": "..."}"#,
        )
    })?;
    let org = caller.org()?.0.clone();
    let version_id = body.version_id.ok_or_else(|| {
        invalid(FieldError {
            field: "version_id",
            message: "name the draft the item goes into (version_id; GET /api/v1/soa gives it)"
                .into(),
        })
    })?;
    let item = state
        .store()
        .add_soa_item(
            &caller.actor(),
            org.id,
            version_id,
            NewAdditional {
                node_ref: body.node_ref,
                title: body.title,
            },
        )
        .await?;
    let dto = one_item(&state, &caller, item.id).await?;
    let mut res = (StatusCode::CREATED, Json(dto)).into_response();
    if let Ok(h) = HeaderValue::from_str(&format!("/api/v1/soa/versions/{version_id}")) {
        res.headers_mut().insert(header::LOCATION, h);
    }
    Ok(res)
}

#[utoipa::path(delete, path = "/api/v1/soa/items/{id}", tag = "soa",
    params(("id" = Uuid, Path, description = "The additional item's id"), ItemVersionParam),
    responses((status = 204, description = "Removed from the draft"),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The version is approved, or the item version is stale", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "The item comes from the framework (exclude it instead)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn delete_item(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    q: Result<Query<ItemVersionParam>, QueryRejection>,
) -> Result<StatusCode, Problem> {
    let id = id_path(id, "an SoA item id (a UUID)")?;
    let org = &caller.org()?.0;
    state.store().soa_item(org.id, id).await?;
    let Query(q) = q.map_err(bad_query)?;
    let version = need_version(q.version, "?version=N")?;
    state
        .store()
        .remove_soa_item(&caller.actor(), org.id, id, version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/soa/versions/{id}/approve", tag = "soa",
    params(("id" = Uuid, Path, description = "The draft's id")),
    request_body = ApproveInput,
    responses((status = 200, description = "Approved as the next version number (immutable from now on)", body = SoaVersionDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, description = "Only a CSMS manager or an administrator approves", body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "Approved already (`locked`), or the draft changed since `version` (`current_version`)", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "Items are undecided (the message names them; `field` is `items`)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn approve(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<ApproveInput>, JsonRejection>,
) -> Result<Json<SoaVersionDto>, Problem> {
    let id = id_path(id, "an SoA version id (a UUID)")?;
    let org = caller.org()?.0.clone();
    state.store().soa_version(org.id, id).await?;
    let Json(body) =
        body.map_err(|e| bad_json(e, r#"{"version": 7, "note": "management review"}"#))?;
    let version = need_version(body.version, r#""version": N (the draft's) in the body"#)?;
    let v = state
        .store()
        .approve_soa(
            &caller.actor(),
            &caller_name(&caller),
            org.id,
            id,
            version,
            &body.note,
        )
        .await?;
    Ok(Json(version_dto(&v)))
}

#[utoipa::path(get, path = "/api/v1/soa/diff", tag = "soa", params(DiffParams),
    responses((status = 200, body = SoaDiffDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "`from` or `to` is missing, or they belong to different frameworks", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn diff(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    q: Result<Query<DiffParams>, QueryRejection>,
) -> Result<Json<SoaDiffDto>, Problem> {
    let Query(q) = q.map_err(bad_query)?;
    let org = &caller.org()?.0;
    let need = |v: Option<Uuid>, field: &'static str| {
        v.ok_or_else(|| {
            invalid(FieldError {
                field,
                message: format!(
                    "give both versions as ?from=ID&to=ID ({field} is missing; GET /api/v1/soa lists them)"
                ),
            })
        })
    };
    let (from, to) = (need(q.from, "from")?, need(q.to, "to")?);
    let (la, lb) = tokio::try_join!(
        Loaded::load(&state, org.id, from),
        Loaded::load(&state, org.id, to)
    )?;
    if la.version.framework != lb.version.framework {
        return Err(invalid(FieldError {
            field: "to",
            message: format!(
                "the versions belong to different frameworks ({} and {}); compare versions of one statement",
                la.version.framework, lb.version.framework
            ),
        }));
    }
    let tr = &caller.tr;
    let items = soa::diff(&la.items, &lb.items)
        .into_iter()
        .map(|d| ItemDiffDto {
            node_ref: d.node_ref.to_owned(),
            title: d
                .after
                .map(|i| lb.title(tr, i))
                .or_else(|| d.before.map(|i| la.title(tr, i)))
                .unwrap_or_default(),
            kind: match d.kind {
                DiffKind::Added => "added",
                DiffKind::Removed => "removed",
                DiffKind::Changed => "changed",
            }
            .to_owned(),
            fields: d
                .fields
                .iter()
                .map(|f| FieldChangeDto {
                    field: (*f).to_owned(),
                    before: d
                        .before
                        .map(|i| field_value(tr, &la, i, f))
                        .unwrap_or_default(),
                    after: d
                        .after
                        .map(|i| field_value(tr, &lb, i, f))
                        .unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    Ok(Json(SoaDiffDto {
        from: version_dto(&la.version),
        to: version_dto(&lb.version),
        items,
    }))
}

#[utoipa::path(get, path = "/api/v1/soa/versions/{id}/soa.xlsx", tag = "soa",
    params(("id" = Uuid, Path, description = "The version's id"), LangQuery),
    responses(
        (status = 200, description = "The statement as XLSX (attachment): one row per item", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "The language is not ja or en", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn version_xlsx(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    lang: Result<Query<LangQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let id = id_path(id, "an SoA version id (a UUID)")?;
    let Query(lang) = lang.map_err(bad_query)?;
    let tr = lang.tr(&caller.tr).map_err(invalid)?;
    let org = caller.org()?.0.clone();
    let v = state.store().soa_version(org.id, id).await?;
    let report = soa_report(&state, &org, id, &tr).await?;
    // Writing a workbook is CPU work: off the async workers.
    let made = tokio::task::spawn_blocking(move || csms_report::soa::soa_xlsx(&report))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    let bytes = made.map_err(|e| {
        tracing::error!(error = %e, "SoA workbook failed");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Report failed",
            "the workbook could not be made; the server log has the reason",
        )
    })?;
    Ok(crate::pages::download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &file_name(&org, &v, "xlsx"),
    ))
}
