//! `/api/v1`: the JSON API for scripts, authenticated with API tokens, with the same
//! permissions as the pages (declared in [`crate::routes::table`]). The OpenAPI 3.1 document at
//! `/api/openapi.json` is generated from these handlers and types.
//!
//! This module holds the organization, members, trail and tokens, and what every handler
//! shares (problems for bad queries, bodies and paths; cursors); [`catalog`] has frameworks,
//! nodes, mapping sets and imports, [`assessment`] the conformance assessments. Both reuse the
//! pages' logic (`pages::catalog`, `pages::assessment`), so the API and the pages cannot
//! disagree on a rule.

pub mod assessment;
pub mod asset_import;
pub mod catalog;
pub mod controls;
pub mod documents;
pub mod inventory;
pub mod reports;
pub mod risk;
pub mod risk_docs;
pub mod soa;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use base64::Engine;
use csms_domain::Uuid;
use csms_domain::org::OrganizationPatch;
use csms_store::trail::TrailQuery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::authz::Caller;
use crate::{AppState, Problem};

/// An organization's profile.
#[derive(Serialize, ToSchema)]
pub struct OrganizationDto {
    pub id: Uuid,
    /// Short unique name used in URLs.
    pub slug: String,
    pub name: String,
    pub description: String,
    /// IANA time zone of the organization's dates.
    pub timezone: String,
    /// Name this version in an update.
    pub version: i64,
    /// RFC 3339.
    pub created_at: String,
    pub updated_at: String,
}

impl From<csms_domain::org::Organization> for OrganizationDto {
    fn from(o: csms_domain::org::Organization) -> Self {
        OrganizationDto {
            id: o.id,
            slug: o.slug,
            name: o.name,
            description: o.description,
            timezone: o.timezone,
            version: o.version,
            created_at: csms_domain::time::format_canonical(o.created_at),
            updated_at: csms_domain::time::format_canonical(o.updated_at),
        }
    }
}

/// A change to the organization's profile, naming the version it was based on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationUpdate {
    /// The version you read; a stale version is refused with 409.
    pub version: i64,
    pub name: Option<String>,
    pub description: Option<String>,
    pub timezone: Option<String>,
}

/// A member of the organization.
#[derive(Serialize, ToSchema)]
pub struct MemberDto {
    pub username: String,
    pub display_name: String,
    /// admin, csms_manager, contributor, auditor or viewer.
    pub role: String,
    pub disabled: bool,
}

/// A record of the tamper-evident trail.
#[derive(Serialize, ToSchema)]
pub struct TrailRecordDto {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub entity_kind: String,
    pub entity_id: String,
    pub action: String,
    /// `{"before": {...}, "after": {...}}` of the changed fields.
    #[schema(value_type = Object)]
    pub diff: serde_json::Value,
    pub hash: String,
}

/// An API token (the secret is never shown again).
#[derive(Serialize, ToSchema)]
pub struct TokenDto {
    pub id: Uuid,
    pub name: String,
    pub user_id: Uuid,
    pub role: String,
    pub expires_at: String,
    pub revoked: bool,
    pub last_used_at: Option<String>,
}

/// One page of a list. Pass `next_cursor` as `cursor` to get the next page.
#[derive(Serialize, ToSchema)]
pub struct MemberPage {
    pub items: Vec<MemberDto>,
    pub next_cursor: Option<String>,
}

/// One page of trail records, newest first.
#[derive(Serialize, ToSchema)]
pub struct TrailPage {
    pub items: Vec<TrailRecordDto>,
    pub next_cursor: Option<String>,
}

/// An RFC 9457 problem.
#[derive(Serialize, ToSchema)]
pub struct ProblemDto {
    /// Stable identifier: `urn:opencsms:problem:<kind>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
}

/// A text in Japanese and English.
#[derive(Serialize, ToSchema)]
pub struct BilingualText {
    pub ja: String,
    pub en: String,
}

impl From<&csms_catalog::Bilingual> for BilingualText {
    fn from(b: &csms_catalog::Bilingual) -> Self {
        BilingualText {
            ja: b.ja.clone(),
            en: b.en.clone(),
        }
    }
}

/// Paging parameters.
#[derive(Deserialize, IntoParams)]
pub struct PageParams {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

/// Trail filters and paging.
#[derive(Deserialize, IntoParams)]
pub struct TrailParams {
    /// Only this kind of entity (organization, user, membership, api_token, ...).
    pub entity_kind: Option<String>,
    /// Only this entity.
    pub entity_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

fn bad_query(e: QueryRejection) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "bad-request",
        "Malformed request",
        format!(
            "{}; see /api/openapi.json for the parameters",
            e.body_text()
        ),
    )
}

/// A body that is not the JSON asked for: what is wrong, and an example of what is right.
fn bad_json(e: JsonRejection, example: &str) -> Problem {
    let hint = if matches!(e, JsonRejection::MissingJsonContentType(_)) {
        "send it with Content-Type: application/json".to_owned()
    } else {
        format!("send JSON like {example}")
    };
    Problem::new(
        StatusCode::BAD_REQUEST,
        "bad-request",
        "Malformed request",
        format!("{}; {hint}", e.body_text()),
    )
}

/// A path parameter that cannot be what it names (`what`: "an assessment id (a UUID)").
fn bad_path(e: PathRejection, what: &str) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "bad-request",
        "Malformed request",
        format!("{}; the path needs {what}", e.body_text()),
    )
}

/// Refuses text the databases cannot store (PostgreSQL refuses NUL in text).
fn plain_text(field: &'static str, v: &str) -> Result<(), Problem> {
    if v.contains('\0') {
        return Err(Problem {
            extra: Some(serde_json::json!({ "field": field })),
            ..Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "Invalid input",
                format!("invalid {field}: NUL characters are not allowed; remove them"),
            )
        });
    }
    Ok(())
}

/// A client's text quoted in a message: at most 100 characters, without control characters.
fn shown(v: &str) -> String {
    let mut out: String = v.chars().filter(|c| !c.is_control()).take(100).collect();
    if v.chars().count() > 100 {
        out.push('…');
    }
    out
}

fn encode_cursor(v: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v)
}

fn decode_cursor(c: &str) -> Result<String, Problem> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "bad-cursor",
                "Invalid cursor",
                "the cursor is not one this API issued; start again without it",
            )
        })
}

fn limit(l: Option<i64>) -> Result<i64, Problem> {
    match l {
        None => Ok(50),
        Some(n) if (1..=200).contains(&n) => Ok(n),
        Some(n) => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-limit",
            "Invalid limit",
            format!("limit {n} is out of range; use 1 to 200"),
        )),
    }
}

/// The caller's organization.
#[utoipa::path(get, path = "/api/v1/organization", tag = "organization",
    responses((status = 200, body = OrganizationDto), (status = 401, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn get_organization(
    Extension(caller): Extension<Caller>,
) -> Result<Json<OrganizationDto>, Problem> {
    Ok(Json(caller.org()?.0.clone().into()))
}

/// Updates the organization's profile (admin).
#[utoipa::path(patch, path = "/api/v1/organization", tag = "organization",
    request_body = OrganizationUpdate,
    responses((status = 200, body = OrganizationDto), (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"), (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The version is stale; nothing was changed", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn patch_organization(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<OrganizationUpdate>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<OrganizationDto>, Problem> {
    let Json(body) = body.map_err(|e| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Malformed request",
            format!(
                "{}; send JSON like {{\"version\": 3, \"name\": \"...\"}}",
                e.body_text()
            ),
        )
    })?;
    let org = &caller.org()?.0;
    let updated = state
        .store()
        .update_organization(
            &caller.actor(),
            org.id,
            body.version,
            OrganizationPatch {
                name: body.name,
                description: body.description,
                timezone: body.timezone,
            },
        )
        .await?;
    Ok(Json(updated.into()))
}

/// The organization's members, by user name.
#[utoipa::path(get, path = "/api/v1/members", tag = "organization", params(PageParams),
    responses((status = 200, body = MemberPage), (status = 400, body = ProblemDto, content_type = "application/problem+json"), (status = 401, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn list_members(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    p: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<MemberPage>, Problem> {
    let Query(p) = p.map_err(bad_query)?;
    let limit = limit(p.limit)?;
    let after = p.cursor.as_deref().map(decode_cursor).transpose()?;
    let org = &caller.org()?.0;
    let mut members = state.store().members(org.id).await?;
    members.retain(|m| {
        after
            .as_deref()
            .is_none_or(|a| m.user.username.as_str() > a)
    });
    let more = members.len() as i64 > limit;
    members.truncate(limit as usize);
    let next_cursor = more
        .then(|| members.last().map(|m| encode_cursor(&m.user.username)))
        .flatten();
    Ok(Json(MemberPage {
        items: members
            .into_iter()
            .map(|m| MemberDto {
                username: m.user.username,
                display_name: m.user.display_name,
                role: m.role.as_str().into(),
                disabled: m.user.disabled_at.is_some(),
            })
            .collect(),
        next_cursor,
    }))
}

/// The organization's trail, newest first.
#[utoipa::path(get, path = "/api/v1/trail", tag = "trail", params(TrailParams),
    responses((status = 200, body = TrailPage), (status = 400, body = ProblemDto, content_type = "application/problem+json"), (status = 401, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn list_trail(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    p: Result<Query<TrailParams>, QueryRejection>,
) -> Result<Json<TrailPage>, Problem> {
    let Query(p) = p.map_err(bad_query)?;
    let limit = limit(p.limit)?;
    let before_seq = match p.cursor.as_deref().map(decode_cursor).transpose()? {
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| decode_cursor("!").unwrap_err())?,
        ),
        None => None,
    };
    let org = &caller.org()?.0;
    let records = state
        .store()
        .trail(
            org.id,
            &TrailQuery {
                entity_kind: p.entity_kind,
                entity_id: p.entity_id,
                before_seq,
                limit: limit + 1,
                ..Default::default()
            },
        )
        .await?;
    let more = records.len() as i64 > limit;
    let items: Vec<TrailRecordDto> = records
        .into_iter()
        .take(limit as usize)
        .map(|r| TrailRecordDto {
            seq: r.seq,
            at: csms_domain::time::format_canonical(r.at),
            actor: r.actor,
            entity_kind: r.entity_kind,
            entity_id: r.entity_id,
            action: r.action,
            diff: r.diff,
            hash: r.hash,
        })
        .collect();
    let next_cursor = more
        .then(|| items.last().map(|r| encode_cursor(&r.seq.to_string())))
        .flatten();
    Ok(Json(TrailPage { items, next_cursor }))
}

/// The organization's API tokens (admin).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "organization",
    responses((status = 200, body = Vec<TokenDto>), (status = 401, body = ProblemDto, content_type = "application/problem+json"), (status = 403, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<TokenDto>>, Problem> {
    let org = &caller.org()?.0;
    let tokens = state.store().api_tokens(org.id).await?;
    Ok(Json(
        tokens
            .into_iter()
            .map(|t| TokenDto {
                id: t.id,
                name: t.name,
                user_id: t.user_id,
                role: t.role.as_str().into(),
                expires_at: csms_domain::time::format_canonical(t.expires_at),
                revoked: t.revoked_at.is_some(),
                last_used_at: t.last_used_at.map(csms_domain::time::format_canonical),
            })
            .collect(),
    ))
}

struct TokenScheme;

impl utoipa::Modify for TokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token (csms_...) from `csms token create` or the Tokens page",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "OpenCSMS API", description = "The JSON API of OpenCSMS. Errors are RFC 9457 problem details; lists are paged with cursors; updates name the version they are based on."),
    paths(get_organization, patch_organization, list_members, list_trail, list_tokens,
        catalog::list_frameworks, catalog::list_nodes, catalog::list_mappings, catalog::get_mapping,
        catalog::import_catalog,
        assessment::list_assessments, assessment::create_assessment, assessment::get_assessment,
        assessment::update_assessment,
        assessment::list_results, assessment::patch_results, assessment::list_evidence,
        assessment::add_evidence, assessment::remove_evidence, assessment::readiness,
        assessment::approve),
    components(schemas(OrganizationDto, OrganizationUpdate, MemberDto, MemberPage, TrailRecordDto, TrailPage, TokenDto, ProblemDto,
        BilingualText,
        catalog::Origin, catalog::ScaleLevelDto, catalog::ScaleDto, catalog::FrameworkDto, catalog::FrameworkList,
        catalog::NodeKind, catalog::NodeReferenceDto, catalog::NodeDto, catalog::NodeList,
        catalog::Provenance, catalog::Relationship, catalog::MappingDto, catalog::MappingList,
        catalog::MappingEntryDto, catalog::MappingDetail, catalog::StoredCatalogDto, catalog::ImportResult,
        catalog::ImportProblem,
        assessment::TallyDto, assessment::AssessmentState, assessment::ResultValue, assessment::GapKind,
        assessment::ApprovalDto, assessment::AssessmentDto, assessment::AssessmentPage,
        assessment::NewAssessmentDto, assessment::AssessmentUpdate, assessment::GroupTallyDto, assessment::AssessmentDetail,
        assessment::ResultDto, assessment::ResultList, assessment::ResultChangeDto, assessment::ResultPatch,
        assessment::EvidenceDto, assessment::EvidenceList, assessment::NewEvidenceDto,
        assessment::GapItemDto, assessment::GapCounts, assessment::Readiness, assessment::ApproveDto)),
    modifiers(&TokenScheme)
)]
pub struct ApiDoc;

pub async fn openapi_json() -> Response {
    let mut doc = ApiDoc::openapi();
    // Areas keep their own OpenAPI fragments (paths and schemas) beside their handlers.
    doc.merge(inventory::InventoryApi::openapi());
    doc.merge(asset_import::AssetImportApi::openapi());
    doc.merge(risk::RiskApi::openapi());
    doc.merge(risk_docs::RiskDocsApi::openapi());
    doc.merge(controls::ControlsApi::openapi());
    doc.merge(soa::SoaApi::openapi());
    doc.merge(documents::DocumentsApi::openapi());
    doc.merge(reports::ReportsApi::openapi());
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let mut res = Json(doc).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

#[derive(askama::Template)]
#[template(path = "api_docs.html")]
struct DocsPage;

pub async fn docs() -> Response {
    crate::pages::render(&DocsPage)
}
