//! `/api/v1` for conformance assessments: start, read (roll-ups, results, readiness), record
//! results all-or-nothing, evidence links and approval. The rules are the pages' (shared
//! through `pages::assessment`).

use std::collections::{HashMap, HashSet};

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use csms_domain::Uuid;
use csms_domain::assessment::{
    self as rules, Assessment, AssessmentStatus, EvidenceLink, Gap, Outcome, RequirementResult,
    ResultInput, Tally,
};
use csms_domain::time::format_canonical;
use csms_store::StoreError;
use csms_store::assessment::{NewAssessment, ResultChange};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    BilingualText, PageParams, ProblemDto, bad_json, bad_path, bad_query, decode_cursor,
    encode_cursor, limit, plain_text, shown,
};
use crate::authz::Caller;
use crate::library::Indexed;
use crate::pages::assessment::{
    LoadError, Loaded, by_ref, checked_result, gap_rows, group_nodes, load_assessment, opt,
    outcomes, start_assessment,
};
use crate::{AppState, Problem};

// ---------------------------------------------------------------------------------------
// DTOs

/// Counts of results, and the shares that matter.
#[derive(Serialize, ToSchema)]
pub struct TallyDto {
    /// Assessable requirements counted.
    pub total: u32,
    pub conformant: u32,
    pub partial: u32,
    pub nonconformant: u32,
    pub not_applicable: u32,
    pub not_assessed: u32,
    /// Conformant share of the applicable requirements (all but not applicable), 0 to 100.
    pub percent_conformant: f64,
    /// Share of requirements with a result other than not assessed, 0 to 100.
    pub percent_assessed: f64,
}

impl From<Tally> for TallyDto {
    fn from(t: Tally) -> Self {
        TallyDto {
            total: t.total,
            conformant: t.conformant,
            partial: t.partial,
            nonconformant: t.nonconformant,
            not_applicable: t.not_applicable,
            not_assessed: t.not_assessed,
            percent_conformant: t.percent_conformant(),
            percent_assessed: t.percent_assessed(),
        }
    }
}

/// Where an assessment is in its life.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentState {
    /// Results may be recorded.
    InProgress,
    /// Approved: locked, nothing changes any more.
    Approved,
}

/// The result of a requirement.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResultValue {
    NotAssessed,
    Conformant,
    Partial,
    Nonconformant,
    /// Needs its justification in `notes`.
    NotApplicable,
}

impl From<Outcome> for ResultValue {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::NotAssessed => ResultValue::NotAssessed,
            Outcome::Conformant => ResultValue::Conformant,
            Outcome::Partial => ResultValue::Partial,
            Outcome::Nonconformant => ResultValue::Nonconformant,
            Outcome::NotApplicable => ResultValue::NotApplicable,
        }
    }
}

/// Why a requirement stands between the organization and certification.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GapKind {
    /// Not met: a nonconformity an auditor would raise.
    Nonconformant,
    /// Met in part.
    Partial,
    /// No result yet.
    NotAssessed,
    /// Rated conformant or partial without any evidence linked.
    NoEvidence,
}

/// Who approved an assessment, when, and what they noted.
#[derive(Serialize, ToSchema)]
pub struct ApprovalDto {
    /// RFC 3339.
    pub approved_at: Option<String>,
    /// User name of the approver (null when no longer a member).
    pub approved_by: Option<String>,
    pub note: String,
}

/// A conformance assessment of one framework.
#[derive(Serialize, ToSchema)]
pub struct AssessmentDto {
    pub id: Uuid,
    pub framework_id: String,
    /// Null when the framework is no longer in the organization's library.
    pub framework_name: Option<BilingualText>,
    pub title: String,
    pub scope: String,
    /// `YYYY-MM-DD`.
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    /// Who assesses, one name per line.
    pub assessors: String,
    /// The zone a 62443-3-3 assessment assesses (its results give the zone's SL-A).
    pub zone_id: Option<Uuid>,
    pub status: AssessmentState,
    /// Null until approved.
    pub approval: Option<ApprovalDto>,
    /// The overall tally (in lists: as of the latest recorded change).
    pub tally: TallyDto,
    /// Name this version when approving.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// One page of assessments, newest first. Pass `next_cursor` as `cursor` for the next page.
#[derive(Serialize, ToSchema)]
pub struct AssessmentPage {
    pub items: Vec<AssessmentDto>,
    pub next_cursor: Option<String>,
}

/// A new assessment.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssessmentDto {
    /// A framework id from GET /api/v1/frameworks with assessable requirements.
    pub framework_id: String,
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[serde(default)]
    pub scope: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(format = Date)]
    pub period_start: Option<String>,
    /// `YYYY-MM-DD`, not before `period_start`.
    #[serde(default)]
    #[schema(format = Date)]
    pub period_end: Option<String>,
    /// Who assesses, one name per line.
    #[serde(default)]
    pub assessors: String,
    /// The zone assessed (GET /api/v1/zones); only for IEC 62443-3-3 frameworks.
    #[serde(default)]
    pub zone_id: Option<Uuid>,
}

/// The tally of one group (the clause or element requirements sit under), as on the dashboard.
#[derive(Serialize, ToSchema)]
pub struct GroupTallyDto {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: BilingualText,
    pub tally: TallyDto,
}

/// An assessment with its roll-ups.
#[derive(Serialize, ToSchema)]
pub struct AssessmentDetail {
    pub assessment: AssessmentDto,
    /// Per group, in tree order.
    pub groups: Vec<GroupTallyDto>,
    /// Evidence links in the whole assessment.
    pub evidence: i64,
}

/// The result of one requirement.
#[derive(Serialize, ToSchema)]
pub struct ResultDto {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: BilingualText,
    pub result: ResultValue,
    /// On the framework's maturity scale, if it has one.
    pub maturity: Option<i64>,
    /// Observations; for not applicable, the justification.
    pub notes: String,
    /// User name of the member responsible.
    pub owner: Option<String>,
    /// `YYYY-MM-DD`.
    pub due_date: Option<String>,
    /// Name this version when changing the result.
    pub version: i64,
    /// Number of evidence links.
    pub evidence: i64,
    pub updated_at: String,
}

/// Results in tree order.
#[derive(Serialize, ToSchema)]
pub struct ResultList {
    pub items: Vec<ResultDto>,
}

/// A change of one result. Omitted fields keep their value; `null` clears maturity, owner and
/// due date.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultChangeDto {
    /// The requirement (`ref` from GET .../results).
    #[serde(rename = "ref")]
    pub reference: String,
    /// The version you read; a stale version is refused with 409 and nothing is changed.
    pub version: i64,
    #[schema(value_type = ResultValue)]
    pub result: String,
    /// On the framework's maturity scale (frameworks without a scale take none).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub maturity: Option<Option<i64>>,
    /// Up to 10,000 characters; required for not_applicable.
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    /// User name of a member of the organization.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub owner: Option<Option<String>>,
    /// `YYYY-MM-DD`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = Date)]
    pub due_date: Option<Option<String>>,
}

/// Changes applied together: all of them or none.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultPatch {
    /// 1 to 5,000 changes, each requirement at most once.
    #[schema(min_items = 1, max_items = 5000)]
    pub changes: Vec<ResultChangeDto>,
}

/// Distinguishes an absent field (`None`) from `null` (`Some(None)`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A link to the evidence behind a result (a document number, a path, a record elsewhere).
#[derive(Serialize, ToSchema)]
pub struct EvidenceDto {
    pub id: Uuid,
    #[serde(rename = "ref")]
    pub reference: String,
    pub label: String,
    pub location: String,
    pub created_at: String,
    /// User name of who linked it.
    pub created_by: Option<String>,
}

/// Evidence links, by requirement.
#[derive(Serialize, ToSchema)]
pub struct EvidenceList {
    pub items: Vec<EvidenceDto>,
}

/// Evidence to link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvidenceDto {
    /// The requirement.
    #[serde(rename = "ref")]
    pub reference: String,
    /// 1 to 300 characters, e.g. a document number and title.
    #[schema(min_length = 1, max_length = 300)]
    pub label: String,
    /// Where it is: up to 2,000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub location: String,
}

/// Evidence filter.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvidenceParams {
    /// Only the evidence of this requirement.
    #[serde(rename = "ref")]
    #[param(rename = "ref")]
    pub reference: Option<String>,
}

/// A requirement with gaps.
#[derive(Serialize, ToSchema)]
pub struct GapItemDto {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: BilingualText,
    pub gaps: Vec<GapKind>,
    /// User name of the member responsible.
    pub owner: Option<String>,
    pub due_date: Option<String>,
}

/// How many requirements have each gap.
#[derive(Serialize, ToSchema)]
pub struct GapCounts {
    pub nonconformant: usize,
    pub partial: usize,
    pub not_assessed: usize,
    pub no_evidence: usize,
}

/// Everything between the organization and certification, in tree order.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    pub counts: GapCounts,
    pub items: Vec<GapItemDto>,
}

/// A change of an assessment's header while it is in progress; every field is written.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentUpdate {
    /// The assessment's version you read; a stale one is refused with 409.
    pub version: i64,
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[serde(default)]
    pub scope: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(format = Date)]
    pub period_start: Option<String>,
    /// `YYYY-MM-DD`, not before `period_start`.
    #[serde(default)]
    #[schema(format = Date)]
    pub period_end: Option<String>,
    /// Who assesses, one name per line.
    #[serde(default)]
    pub assessors: String,
    /// The zone assessed (GET /api/v1/zones); only for IEC 62443-3-3 frameworks. Omitted or
    /// null: none.
    #[serde(default)]
    pub zone_id: Option<Uuid>,
}

/// An approval, naming the version of the assessment approved.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveDto {
    /// The assessment's version you read; a stale one is refused with 409.
    pub version: i64,
    /// E.g. where it was reviewed.
    #[serde(default)]
    pub note: String,
}

// ---------------------------------------------------------------------------------------
// Shared

fn assessment_path(id: Result<Path<Uuid>, PathRejection>) -> Result<Uuid, Problem> {
    id.map(|Path(id)| id)
        .map_err(|e| bad_path(e, "an assessment id (a UUID from GET /api/v1/assessments)"))
}

async fn load(state: &AppState, caller: &Caller, id: Uuid) -> Result<Loaded, Problem> {
    let org = caller.org()?.0.clone();
    load_assessment(state, org, id).await.map_err(|e| match e {
        LoadError::Missing => Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            format!(
                "there is no assessment {id} in this organization; list them with GET /api/v1/assessments"
            ),
        ),
        LoadError::FrameworkMissing(f) => Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            format!(
                "the framework '{f}' of assessment {id} is no longer in this organization's library; import it again"
            ),
        ),
        LoadError::Store(e) => e.into(),
    })
}

/// User names of the organization's members by id.
async fn usernames(state: &AppState, org_id: Uuid) -> Result<HashMap<Uuid, String>, Problem> {
    Ok(state
        .store()
        .members(org_id)
        .await?
        .into_iter()
        .map(|m| (m.user.id, m.user.username))
        .collect())
}

fn assessment_dto(
    a: &Assessment,
    fw: Option<&Indexed>,
    names: &HashMap<Uuid, String>,
    tally: Tally,
) -> AssessmentDto {
    AssessmentDto {
        id: a.id,
        framework_id: a.framework_id.clone(),
        framework_name: fw.map(|f| (&f.catalog.framework.name).into()),
        title: a.title.clone(),
        scope: a.scope.clone(),
        period_start: a.period_start.clone(),
        period_end: a.period_end.clone(),
        assessors: a.assessors.clone(),
        zone_id: a.zone_id,
        status: match a.status {
            AssessmentStatus::InProgress => AssessmentState::InProgress,
            AssessmentStatus::Approved => AssessmentState::Approved,
        },
        approval: (a.status == AssessmentStatus::Approved).then(|| ApprovalDto {
            approved_at: a.approved_at.map(format_canonical),
            approved_by: a.approved_by.and_then(|u| names.get(&u).cloned()),
            note: a.approval_note.clone(),
        }),
        tally: tally.into(),
        version: a.version,
        created_at: format_canonical(a.created_at),
        updated_at: format_canonical(a.updated_at),
    }
}

fn result_dto(
    fw: &Indexed,
    r: &RequirementResult,
    names: &HashMap<Uuid, String>,
    evidence: &HashMap<String, i64>,
) -> ResultDto {
    let title = fw
        .node(&r.node_ref)
        .map(|n| (&n.title).into())
        .unwrap_or_else(|| BilingualText {
            ja: String::new(),
            en: String::new(),
        });
    ResultDto {
        reference: r.node_ref.clone(),
        title,
        result: r.outcome.into(),
        maturity: r.maturity,
        notes: r.notes.clone(),
        owner: r.owner_id.and_then(|o| names.get(&o).cloned()),
        due_date: r.due_date.clone(),
        version: r.version,
        evidence: evidence.get(&r.node_ref).copied().unwrap_or(0),
        updated_at: format_canonical(r.updated_at),
    }
}

fn evidence_dto(e: EvidenceLink, names: &HashMap<Uuid, String>) -> EvidenceDto {
    EvidenceDto {
        id: e.id,
        reference: e.node_ref,
        label: e.label,
        location: e.location,
        created_at: format_canonical(e.created_at),
        created_by: e.created_by.and_then(|u| names.get(&u).cloned()),
    }
}

fn locked(a: &Assessment) -> Problem {
    let at = a.approved_at.map(format_canonical).unwrap_or_default();
    StoreError::Locked(format!(
        "assessment '{}' was approved at {at} and is locked; start a new assessment to record changes",
        a.title
    ))
    .into()
}

/// A refused change of a result, naming the field, the requirement and its place in the list.
fn invalid_change(index: usize, reference: &str, field: &str, message: &str) -> Problem {
    Problem {
        extra: Some(serde_json::json!({ "field": field, "ref": reference, "index": index })),
        ..Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "Invalid input",
            format!(
                "changes[{index}] (ref '{}'): invalid {field}: {message}",
                shown(reference)
            ),
        )
    }
}

fn invalid_field(field: &str, message: String) -> Problem {
    Problem {
        extra: Some(serde_json::json!({ "field": field })),
        ..Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "Invalid input",
            format!("invalid {field}: {message}"),
        )
    }
}

fn unknown_ref(reference: &str) -> String {
    format!(
        "'{}' is not a requirement of this assessment; the refs are listed by GET /api/v1/assessments/{{id}}/results",
        shown(reference)
    )
}

// ---------------------------------------------------------------------------------------
// Handlers

/// The organization's assessments, newest first.
#[utoipa::path(get, path = "/api/v1/assessments", tag = "assessments", params(PageParams),
    responses((status = 200, body = AssessmentPage),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn list_assessments(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    p: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<AssessmentPage>, Problem> {
    let Query(p) = p.map_err(bad_query)?;
    let limit = usize::try_from(limit(p.limit)?).unwrap_or(50);
    let after = p.cursor.as_deref().map(decode_cursor).transpose()?;
    let org = &caller.org()?.0;
    let store = state.store();
    let (all, latest, members, lib) = tokio::try_join!(
        store.assessments(org.id),
        store.latest_progress(org.id),
        store.members(org.id),
        state.library().for_org(store, org.id),
    )?;
    let names: HashMap<Uuid, String> = members
        .into_iter()
        .map(|m| (m.user.id, m.user.username))
        .collect();
    let start = match after {
        None => 0,
        Some(a) => {
            all.iter()
                .position(|x| x.id.to_string() == a)
                .ok_or_else(|| decode_cursor("!").unwrap_err())?
                + 1
        }
    };
    let page: Vec<&Assessment> = all.iter().skip(start).take(limit).collect();
    let next_cursor = (start + limit < all.len())
        .then(|| page.last().map(|a| encode_cursor(&a.id.to_string())))
        .flatten();
    Ok(Json(AssessmentPage {
        items: page
            .into_iter()
            .map(|a| {
                let fw = lib.framework(&a.framework_id).map(AsRef::as_ref);
                assessment_dto(
                    a,
                    fw,
                    &names,
                    latest.get(&a.id).copied().unwrap_or_default(),
                )
            })
            .collect(),
        next_cursor,
    }))
}

/// Starts an assessment of a framework: one not-assessed result per assessable requirement.
#[utoipa::path(post, path = "/api/v1/assessments", tag = "assessments",
    request_body = NewAssessmentDto,
    responses((status = 201, description = "Started; `Location` is its URL", body = AssessmentDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid (`field` names it)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn create_assessment(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<NewAssessmentDto>, JsonRejection>,
) -> Result<Response, Problem> {
    let Json(body) = body.map_err(|e| {
        bad_json(
            e,
            r#"{"framework_id": "jipdec-csms-2010", "title": "FY2026 internal assessment", "period_start": "2026-04-01", "period_end": "2027-03-31"}"#,
        )
    })?;
    for (field, v) in [
        ("title", &body.title),
        ("scope", &body.scope),
        ("assessors", &body.assessors),
    ] {
        plain_text(field, v)?;
    }
    let org = caller.org()?.0.clone();
    let lib = state.library().for_org(state.store(), org.id).await?;
    let Some(fw) = lib.framework(&body.framework_id) else {
        return Err(invalid_field(
            "framework_id",
            format!(
                "there is no framework '{}' in this organization; choose one from GET /api/v1/frameworks",
                shown(&body.framework_id)
            ),
        ));
    };
    let new = NewAssessment {
        framework_id: fw.id().to_owned(),
        title: body.title,
        scope: body.scope,
        period_start: body.period_start.as_deref().and_then(opt),
        period_end: body.period_end.as_deref().and_then(opt),
        assessors: body.assessors.clone(),
    };
    let a = start_assessment(&state, &caller, org.id, fw, new, body.zone_id).await?;
    let tree = fw.tree();
    let tally = rules::overall(&tree, &HashMap::new());
    let names = usernames(&state, org.id).await?;
    let mut res = (
        StatusCode::CREATED,
        Json(assessment_dto(&a, Some(fw), &names, tally)),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/assessments/{}", a.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// An assessment: header, status, approval, the overall tally and the tally of each group.
#[utoipa::path(get, path = "/api/v1/assessments/{id}", tag = "assessments",
    params(("id" = Uuid, Path, description = "The assessment's id")),
    responses((status = 200, body = AssessmentDetail),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn get_assessment(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AssessmentDetail>, Problem> {
    let id = assessment_path(id)?;
    let l = load(&state, &caller, id).await?;
    let store = state.store();
    let (results, evidence) = tokio::try_join!(
        store.results(l.org.id, id),
        store.evidence_counts(l.org.id, id),
    )?;
    let names = usernames(&state, l.org.id).await?;
    let results = by_ref(results);
    let tree = l.framework.tree();
    let oc = outcomes(&results);
    let tallies = rules::rollup(&tree, &oc);
    let overall = rules::overall(&tree, &oc);
    let groups = group_nodes(&l.framework)
        .into_iter()
        .map(|g| {
            let n = &l.framework.catalog.nodes[g];
            GroupTallyDto {
                reference: n.reference.clone(),
                title: (&n.title).into(),
                tally: tallies[g].into(),
            }
        })
        .collect();
    Ok(Json(AssessmentDetail {
        assessment: assessment_dto(&l.assessment, Some(&l.framework), &names, overall),
        groups,
        evidence: evidence.values().sum(),
    }))
}

/// Every assessable requirement of an assessment with its result, in tree order.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/results", tag = "assessments",
    params(("id" = Uuid, Path, description = "The assessment's id")),
    responses((status = 200, body = ResultList),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn list_results(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<ResultList>, Problem> {
    let id = assessment_path(id)?;
    let l = load(&state, &caller, id).await?;
    let store = state.store();
    let (results, evidence) = tokio::try_join!(
        store.results(l.org.id, id),
        store.evidence_counts(l.org.id, id),
    )?;
    let names = usernames(&state, l.org.id).await?;
    let results = by_ref(results);
    let items = l
        .framework
        .assessable_refs()
        .iter()
        .filter_map(|r| results.get(r))
        .map(|r| result_dto(&l.framework, r, &names, &evidence))
        .collect();
    Ok(Json(ResultList { items }))
}

/// Records results: every change is checked, then all are applied together or none is.
#[utoipa::path(patch, path = "/api/v1/assessments/{id}/results", tag = "assessments",
    params(("id" = Uuid, Path, description = "The assessment's id")),
    request_body = ResultPatch,
    responses((status = 200, description = "The changed results", body = ResultList),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "A version is stale (`current_version`), or the assessment is approved and locked; nothing was changed", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "A change is invalid (`field`, `ref` and `index` name it); nothing was changed", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn patch_results(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<ResultPatch>, JsonRejection>,
) -> Result<Json<ResultList>, Problem> {
    let id = assessment_path(id)?;
    let l = load(&state, &caller, id).await?;
    let Json(body) = body.map_err(|e| {
        bad_json(
            e,
            r#"{"changes": [{"ref": "4.2.3.1", "version": 1, "result": "conformant", "notes": "..."}]}"#,
        )
    })?;
    if l.assessment.status == AssessmentStatus::Approved {
        return Err(locked(&l.assessment));
    }
    if body.changes.is_empty() || body.changes.len() > 5000 {
        return Err(invalid_field(
            "changes",
            format!(
                "send 1 to 5,000 changes (got {}); split larger updates",
                body.changes.len()
            ),
        ));
    }
    let store = state.store();
    let (results, members) =
        tokio::try_join!(store.results(l.org.id, id), store.members(l.org.id))?;
    let results = by_ref(results);
    let by_name: HashMap<&str, Uuid> = members
        .iter()
        .map(|m| (m.user.username.as_str(), m.user.id))
        .collect();
    let mut seen = HashSet::new();
    let mut changes = Vec::with_capacity(body.changes.len());
    for (index, ch) in body.changes.iter().enumerate() {
        let reference = ch.reference.as_str();
        let Some(current) = results.get(reference) else {
            return Err(invalid_change(
                index,
                reference,
                "ref",
                &unknown_ref(reference),
            ));
        };
        if !seen.insert(reference) {
            return Err(invalid_change(
                index,
                reference,
                "ref",
                "the requirement appears twice; send one change per requirement",
            ));
        }
        if let Some(n) = &ch.notes
            && n.contains('\0')
        {
            return Err(invalid_change(
                index,
                reference,
                "notes",
                "NUL characters are not allowed",
            ));
        }
        let owner_id = match &ch.owner {
            None => current.owner_id,
            Some(None) => None,
            Some(Some(u)) if u.trim().is_empty() => None,
            Some(Some(u)) => Some(*by_name.get(u.trim()).ok_or_else(|| {
                invalid_change(
                    index,
                    reference,
                    "owner",
                    &format!(
                        "'{}' is not a member of this organization; use a user name from GET /api/v1/members",
                        shown(u)
                    ),
                )
            })?),
        };
        let due_date = match &ch.due_date {
            None => current.due_date.clone(),
            Some(d) => d.as_deref().and_then(opt),
        };
        let input = ResultInput {
            outcome: None,
            maturity: ch.maturity.unwrap_or(current.maturity),
            notes: ch.notes.clone().unwrap_or_else(|| current.notes.clone()),
            owner_id,
            due_date,
        };
        let (outcome, input) = checked_result(&l.framework, &ch.result, input).map_err(|f| {
            let field = if f.field == "owner_id" {
                "owner"
            } else {
                f.field
            };
            invalid_change(index, reference, field, &f.message)
        })?;
        changes.push(ResultChange {
            node_ref: reference.to_owned(),
            version: ch.version,
            outcome,
            input,
        });
    }
    let saved = store
        .set_results(&caller.actor(), l.org.id, id, changes)
        .await
        .map_err(|e| {
            let reference = match &e {
                StoreError::Conflict { id, .. } => Some(id.clone()),
                _ => None,
            };
            let mut p = Problem::from(e);
            if let (Some(r), Some(serde_json::Value::Object(extra))) = (reference, p.extra.as_mut())
            {
                extra.insert("ref".into(), r.into());
            }
            p
        })?;
    let evidence = store.evidence_counts(l.org.id, id).await?;
    let names: HashMap<Uuid, String> = members
        .into_iter()
        .map(|m| (m.user.id, m.user.username))
        .collect();
    Ok(Json(ResultList {
        items: saved
            .iter()
            .map(|r| result_dto(&l.framework, r, &names, &evidence))
            .collect(),
    }))
}

/// The evidence links of an assessment (optionally of one requirement).
#[utoipa::path(get, path = "/api/v1/assessments/{id}/evidence", tag = "assessments",
    params(("id" = Uuid, Path, description = "The assessment's id"), EvidenceParams),
    responses((status = 200, body = EvidenceList),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, description = "No such assessment, or no such requirement in it", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn list_evidence(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    p: Result<Query<EvidenceParams>, QueryRejection>,
) -> Result<Json<EvidenceList>, Problem> {
    let id = assessment_path(id)?;
    let Query(p) = p.map_err(bad_query)?;
    let l = load(&state, &caller, id).await?;
    if let Some(r) = &p.reference
        && l.framework.node(r).is_none_or(|n| !n.assessable)
    {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            unknown_ref(r),
        ));
    }
    let links = state
        .store()
        .evidence(l.org.id, id, p.reference.as_deref())
        .await?;
    let names = usernames(&state, l.org.id).await?;
    Ok(Json(EvidenceList {
        items: links.into_iter().map(|e| evidence_dto(e, &names)).collect(),
    }))
}

/// Links evidence to a requirement.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/evidence", tag = "assessments",
    params(("id" = Uuid, Path, description = "The assessment's id")),
    request_body = NewEvidenceDto,
    responses((status = 201, description = "Linked", body = EvidenceDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The assessment is approved and locked", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid (`field` names it)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn add_evidence(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<NewEvidenceDto>, JsonRejection>,
) -> Result<Response, Problem> {
    let id = assessment_path(id)?;
    let l = load(&state, &caller, id).await?;
    let Json(body) = body.map_err(|e| {
        bad_json(
            e,
            r#"{"ref": "4.2.3.1", "label": "DOC-001 Risk assessment procedure", "location": "\\\\fs\\csms"}"#,
        )
    })?;
    if l.framework
        .node(&body.reference)
        .is_none_or(|n| !n.assessable)
    {
        return Err(invalid_field("ref", unknown_ref(&body.reference)));
    }
    plain_text("label", &body.label)?;
    plain_text("location", &body.location)?;
    let link = state
        .store()
        .add_evidence(
            &caller.actor(),
            l.org.id,
            id,
            &body.reference,
            &body.label,
            &body.location,
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound { .. } => invalid_field("ref", unknown_ref(&body.reference)),
            e => e.into(),
        })?;
    let names = usernames(&state, l.org.id).await?;
    Ok((StatusCode::CREATED, Json(evidence_dto(link, &names))).into_response())
}

/// Removes an evidence link.
#[utoipa::path(delete, path = "/api/v1/assessments/{id}/evidence/{link}", tag = "assessments",
    params(("id" = Uuid, Path, description = "The assessment's id"),
        ("link" = Uuid, Path, description = "The evidence link's id")),
    responses((status = 204, description = "Removed"),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The assessment is approved and locked", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn remove_evidence(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ids: Result<Path<(Uuid, Uuid)>, PathRejection>,
) -> Result<StatusCode, Problem> {
    let Path((id, link)) = ids.map_err(|e| {
        bad_path(
            e,
            "an assessment id and an evidence link id (UUIDs from GET /api/v1/assessments/{id}/evidence)",
        )
    })?;
    let l = load(&state, &caller, id).await?;
    state
        .store()
        .remove_evidence(&caller.actor(), l.org.id, id, link)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The readiness list: every requirement with gaps (nonconformant, partial, not assessed,
/// conformant or partial without evidence), in tree order.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/readiness", tag = "assessments",
    params(("id" = Uuid, Path, description = "The assessment's id")),
    responses((status = 200, body = Readiness),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn readiness(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<Readiness>, Problem> {
    let id = assessment_path(id)?;
    let l = load(&state, &caller, id).await?;
    let store = state.store();
    let (results, evidence) = tokio::try_join!(
        store.results(l.org.id, id),
        store.evidence_counts(l.org.id, id),
    )?;
    let names = usernames(&state, l.org.id).await?;
    let results = by_ref(results);
    let rows = gap_rows(&l.framework, &results, &evidence);
    let count = |g: Gap| rows.iter().filter(|r| r.gaps.contains(&g)).count();
    let counts = GapCounts {
        nonconformant: count(Gap::Nonconformant),
        partial: count(Gap::Partial),
        not_assessed: count(Gap::NotAssessed),
        no_evidence: count(Gap::NoEvidence),
    };
    let items = rows
        .iter()
        .map(|g| {
            let n = &l.framework.catalog.nodes[g.node];
            GapItemDto {
                reference: n.reference.clone(),
                title: (&n.title).into(),
                gaps: g
                    .gaps
                    .iter()
                    .map(|g| match g {
                        Gap::Nonconformant => GapKind::Nonconformant,
                        Gap::Partial => GapKind::Partial,
                        Gap::NotAssessed => GapKind::NotAssessed,
                        Gap::NoEvidence => GapKind::NoEvidence,
                    })
                    .collect(),
                owner: g
                    .result
                    .and_then(|r| r.owner_id)
                    .and_then(|o| names.get(&o).cloned()),
                due_date: g.result.and_then(|r| r.due_date.clone()),
            }
        })
        .collect();
    Ok(Json(Readiness { counts, items }))
}

/// Changes the header of an assessment in progress (title, scope, period, assessors).
#[utoipa::path(patch, path = "/api/v1/assessments/{id}", tag = "assessments",
    params(("id" = Uuid, Path, description = "The assessment's id")),
    request_body = AssessmentUpdate,
    responses((status = 200, description = "Changed", body = AssessmentDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The version is stale (`current_version`), or the assessment is approved", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn update_assessment(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<AssessmentUpdate>, JsonRejection>,
) -> Result<Json<AssessmentDto>, Problem> {
    let id = assessment_path(id)?;
    let l = load(&state, &caller, id).await?;
    let Json(body) = body.map_err(|e| {
        bad_json(
            e,
            r#"{"version": 3, "title": "CSMS 2026", "scope": "Unit 2 DCS", "period_start": "2026-04-01", "period_end": "2027-03-31", "assessors": "Yamada"}"#,
        )
    })?;
    let a = state
        .store()
        .update_assessment(
            &caller.actor(),
            l.org.id,
            id,
            body.version,
            csms_store::assessment::AssessmentPatch {
                title: body.title,
                scope: body.scope,
                period_start: body.period_start.filter(|d| !d.trim().is_empty()),
                period_end: body.period_end.filter(|d| !d.trim().is_empty()),
                assessors: body.assessors,
                zone_id: body.zone_id,
            },
        )
        .await?;
    let results = by_ref(state.store().results(l.org.id, id).await?);
    let tally = rules::overall(&l.framework.tree(), &outcomes(&results));
    let names = usernames(&state, l.org.id).await?;
    Ok(Json(assessment_dto(&a, Some(&l.framework), &names, tally)))
}

/// Approves an assessment: from then on nothing in it changes.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/approve", tag = "assessments",
    params(("id" = Uuid, Path, description = "The assessment's id")),
    request_body = ApproveDto,
    responses((status = 200, description = "Approved", body = AssessmentDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The version is stale (`current_version`), or it is already approved", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn approve(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<ApproveDto>, JsonRejection>,
) -> Result<Json<AssessmentDto>, Problem> {
    let id = assessment_path(id)?;
    let l = load(&state, &caller, id).await?;
    let Json(body) = body.map_err(|e| {
        bad_json(
            e,
            r#"{"version": 7, "note": "Reviewed by the CSMS committee"}"#,
        )
    })?;
    plain_text("note", &body.note)?;
    let a = state
        .store()
        .approve_assessment(&caller.actor(), l.org.id, id, body.version, &body.note)
        .await?;
    let results = by_ref(state.store().results(l.org.id, id).await?);
    let tally = rules::overall(&l.framework.tree(), &outcomes(&results));
    let names = usernames(&state, l.org.id).await?;
    Ok(Json(assessment_dto(&a, Some(&l.framework), &names, tally)))
}
