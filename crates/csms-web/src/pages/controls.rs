//! The controls (countermeasures) register, criteria 4.3.4.2: the list with its filters and
//! counts, the form to record and edit a control, a control's page with what it addresses
//! (requirements, risks, zones, assets), the Statement of Applicability items that cite it
//! and its evidence; deletion with confirmation.
//!
//! What the pages and the API share lives here too (the filter query, the form's checks
//! against the catalogs), so the two cannot disagree.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use csms_domain::Uuid;
use csms_domain::control::{
    Control, ControlFilter, ControlStatus, NewControl, RequirementLink, validate_control,
};
use csms_domain::document::EvidenceTarget;
use csms_domain::org::{FieldError, Organization};
use csms_store::StoreError;
use csms_store::auth::Member;
use serde::Deserialize;
use time::Date;

use super::org::{org_of, store_error};
use super::risk::{fail, parse_date, today};
use super::{Ctx, Notice, render};
use crate::AppState;
use crate::authz::{Caller, Perm};
use crate::i18n::Tr;
use crate::library::OrgLibrary;
use crate::routes::{Route, route};

/// Message keys this module builds at run time (checked to exist in both languages).
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const DYNAMIC_KEYS: &[&str] = &[
    "control-status-planned",
    "control-status-implemented",
    "control-status-operating",
    "control-status-retired",
    "notice-control-created",
    "notice-control-saved",
    "notice-control-deleted",
    "documents-status-draft",
    "documents-status-in_review",
    "documents-status-approved",
    "documents-status-superseded",
    "documents-status-withdrawn",
];

/// The routes of this area's pages.
pub(crate) fn routes() -> Vec<Route> {
    vec![
        route!(GET, "/o/{org}/controls", OrgRead, get(list)),
        route!(POST, "/o/{org}/controls", OrgWrite, post(create)),
        route!(GET, "/o/{org}/controls/new", OrgWrite, get(new_form)),
        route!(GET, "/o/{org}/controls/{id}", OrgRead, get(control_page)),
        route!(POST, "/o/{org}/controls/{id}", OrgWrite, post(update)),
        route!(GET, "/o/{org}/controls/{id}/edit", OrgWrite, get(edit_form)),
        route!(
            POST,
            "/o/{org}/controls/{id}/delete",
            OrgManage,
            post(delete)
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// Shared with the API

/// A status's label in the reader's language.
pub(crate) fn status_label(tr: &Tr, s: ControlStatus) -> String {
    tr.t(&format!("control-status-{}", s.as_str()))
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A client's text quoted in a message: at most 60 characters, no control characters.
fn shown(v: &str) -> String {
    v.chars().filter(|c| !c.is_control()).take(60).collect()
}

fn parse_id(field: &'static str, v: &str) -> Result<Option<Uuid>, FieldError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(v).map(Some).map_err(|_| FieldError {
        field,
        message: format!(
            "'{}' is not an id; use the id of one of the organization's records",
            shown(v)
        ),
    })
}

/// The list's filters as a query string carries them (every value a text, so a filter form's
/// empty fields mean "any").
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ControlQuery {
    /// `planned`, `implemented`, `operating` or `retired`.
    pub status: Option<String>,
    /// A member's user id.
    pub owner_id: Option<String>,
    /// Controls applied to this zone.
    pub zone_id: Option<String>,
    /// Controls addressing this requirement: `framework:ref`, e.g. `jipdec-csms-2010:5.4.2`.
    pub requirement: Option<String>,
    /// Controls treating this risk.
    pub risk_id: Option<String>,
}

impl ControlQuery {
    /// The filter; the error names the parameter.
    pub(crate) fn parse(&self) -> Result<ControlFilter, FieldError> {
        Ok(ControlFilter {
            status: given(&self.status).map(ControlStatus::parse).transpose()?,
            owner_id: parse_id("owner_id", given(&self.owner_id).unwrap_or(""))?,
            zone_id: parse_id("zone_id", given(&self.zone_id).unwrap_or(""))?,
            requirement: given(&self.requirement)
                .map(RequirementLink::parse)
                .transpose()
                .map_err(|e| FieldError {
                    field: "requirement",
                    message: e.message,
                })?,
            risk_id: parse_id("risk_id", given(&self.risk_id).unwrap_or(""))?,
        })
    }
}

/// Checks that every requirement names a framework of the organization's library and a node
/// of it; the message names the first unknown one.
pub(crate) fn check_requirements(
    lib: &OrgLibrary,
    links: &[RequirementLink],
) -> Result<(), FieldError> {
    for r in links {
        let Some(f) = lib.frameworks.iter().find(|f| f.id() == r.framework) else {
            return Err(FieldError {
                field: "requirements",
                message: format!(
                    "framework '{}' is not in the library; use a framework id from the catalogs page, e.g. jipdec-csms-2010",
                    shown(&r.framework)
                ),
            });
        };
        if f.node(&r.node_ref).is_none() {
            return Err(FieldError {
                field: "requirements",
                message: format!(
                    "framework {} has no requirement '{}'; check the ref in the catalog",
                    r.framework,
                    shown(&r.node_ref)
                ),
            });
        }
    }
    Ok(())
}

/// Validates a control and checks its requirements against the organization's library (the
/// store checks risks, zones, assets and the owner).
pub(crate) async fn checked(
    state: &AppState,
    org_id: Uuid,
    new: NewControl,
) -> Result<NewControl, StoreError> {
    let new = validate_control(new)?;
    if !new.requirements.is_empty() {
        let lib = state.library().for_org(state.store(), org_id).await?;
        check_requirements(&lib, &new.requirements)?;
    }
    Ok(new)
}

fn date_text(d: Option<Date>) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    d.and_then(|d| d.format(format).ok()).unwrap_or_default()
}

fn member_name(m: &Member) -> String {
    if m.user.display_name.is_empty() {
        m.user.username.clone()
    } else {
        m.user.display_name.clone()
    }
}

struct Choice {
    value: String,
    label: String,
}

// ---------------------------------------------------------------------------------------
// The list

struct RowView {
    id: Uuid,
    code: String,
    title: String,
    status: String,
    status_class: &'static str,
    owner: String,
    due: String,
    overdue: bool,
    requirements: Vec<String>,
    zones: Vec<String>,
    risks: usize,
    assets: usize,
}

fn status_class(s: ControlStatus) -> &'static str {
    match s {
        ControlStatus::Planned => "warn",
        ControlStatus::Implemented => "accent",
        ControlStatus::Operating => "ok",
        ControlStatus::Retired => "neutral",
    }
}

#[derive(Template)]
#[template(path = "controls.html")]
struct ListPage {
    ctx: Ctx,
    org: Organization,
    q: ControlQuery,
    rows: Vec<RowView>,
    total: usize,
    /// (status value, label, count) over the whole register.
    counts: Vec<(String, String, usize)>,
    overdue: usize,
    statuses: Vec<Choice>,
    owners: Vec<Choice>,
    zones: Vec<Choice>,
    can_write: bool,
    filtered: bool,
}

impl ListPage {
    fn is(&self, field: &str, value: &str) -> bool {
        let v = match field {
            "status" => &self.q.status,
            "owner_id" => &self.q.owner_id,
            "zone_id" => &self.q.zone_id,
            _ => &None,
        };
        given(v) == Some(value)
    }

    fn requirement_text(&self) -> &str {
        self.q.requirement.as_deref().unwrap_or("")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoticeParam {
    pub notice: Option<String>,
}

fn notice(ctx: &mut Ctx, tr: &Tr, n: Option<&str>) {
    if let Some(key) =
        n.filter(|k| matches!(*k, "control-created" | "control-saved" | "control-deleted"))
    {
        ctx.notices.push(Notice {
            kind: "ok",
            text: tr.t(&format!("notice-{key}")),
        });
    }
}

pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ControlQuery>,
    Query(n): Query<NoticeParam>,
) -> Response {
    let org = org_of(&caller);
    let store = state.store();
    let (controls, zones, members) = match tokio::try_join!(
        store.controls(org.id),
        store.zones(org.id),
        store.members(org.id),
    ) {
        Ok(x) => x,
        Err(e) => return fail(&caller, &e),
    };
    let tr = &caller.tr;
    let mut ctx = Ctx::new(
        &state,
        &caller,
        "controls",
        &format!("/o/{}/controls", org.slug),
    )
    .await;
    notice(&mut ctx, tr, n.notice.as_deref());
    let (status, filter) = match q.parse() {
        Ok(f) => (StatusCode::OK, f),
        Err(e) => {
            ctx.error(tr.t1("error-invalid", "reason", &e));
            (StatusCode::UNPROCESSABLE_ENTITY, ControlFilter::default())
        }
    };
    let today = today(&org);
    let zone_names: HashMap<Uuid, &str> = zones.iter().map(|z| (z.id, z.name.as_str())).collect();
    let names: HashMap<Uuid, String> = members
        .iter()
        .map(|m| (m.user.id, member_name(m)))
        .collect();
    let rows: Vec<RowView> = controls
        .iter()
        .filter(|c| filter.matches(c))
        .map(|c| RowView {
            id: c.id,
            code: c.code.clone(),
            title: c.title.clone(),
            status: status_label(tr, c.status),
            status_class: status_class(c.status),
            owner: c
                .owner_id
                .and_then(|o| names.get(&o).cloned())
                .unwrap_or_default(),
            due: date_text(c.due_date),
            overdue: c.overdue(today),
            requirements: c.requirements.iter().map(|r| r.to_string()).collect(),
            zones: c
                .zone_ids
                .iter()
                .filter_map(|z| zone_names.get(z).map(|n| (*n).to_owned()))
                .collect(),
            risks: c.risk_ids.len(),
            assets: c.asset_ids.len(),
        })
        .collect();
    let counts = ControlStatus::ALL
        .iter()
        .map(|s| {
            (
                s.as_str().to_owned(),
                status_label(tr, *s),
                controls.iter().filter(|c| c.status == *s).count(),
            )
        })
        .collect();
    let mut owners: Vec<Choice> = members
        .iter()
        .map(|m| Choice {
            value: m.user.id.to_string(),
            label: member_name(m),
        })
        .collect();
    owners.sort_by(|a, b| a.label.cmp(&b.label));
    let page = ListPage {
        total: controls.len(),
        overdue: controls.iter().filter(|c| c.overdue(today)).count(),
        counts,
        statuses: ControlStatus::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().to_owned(),
                label: status_label(tr, *s),
            })
            .collect(),
        owners,
        zones: zones
            .iter()
            .map(|z| Choice {
                value: z.id.to_string(),
                label: z.name.clone(),
            })
            .collect(),
        can_write: caller.may(Perm::OrgWrite),
        filtered: !filter.is_empty() || status != StatusCode::OK,
        rows,
        q,
        org,
        ctx,
    };
    (status, render(&page)).into_response()
}

// ---------------------------------------------------------------------------------------
// The form

/// The control form's fields as entered.
#[derive(Debug, Clone, Default)]
struct Fields {
    title: String,
    description: String,
    status: String,
    owner_id: String,
    due_date: String,
    requirements: String,
    risk_ids: Vec<String>,
    zone_ids: Vec<String>,
    asset_tags: String,
    version: i64,
}

impl Fields {
    fn from_form(pairs: Vec<(String, String)>) -> Fields {
        let mut f = Fields::default();
        for (k, v) in pairs {
            match k.as_str() {
                "title" => f.title = v,
                "description" => f.description = v,
                "status" => f.status = v,
                "owner_id" => f.owner_id = v,
                "due_date" => f.due_date = v,
                "requirements" => f.requirements = v,
                "risk_ids" => f.risk_ids.push(v),
                "zone_ids" => f.zone_ids.push(v),
                "asset_tags" => f.asset_tags = v,
                "version" => f.version = v.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
        f
    }

    fn of(c: &Control, tags: &HashMap<Uuid, String>) -> Fields {
        Fields {
            title: c.title.clone(),
            description: c.description.clone(),
            status: c.status.as_str().to_owned(),
            owner_id: c.owner_id.map(|s| s.to_string()).unwrap_or_default(),
            due_date: date_text(c.due_date),
            requirements: c
                .requirements
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            risk_ids: c.risk_ids.iter().map(Uuid::to_string).collect(),
            zone_ids: c.zone_ids.iter().map(Uuid::to_string).collect(),
            asset_tags: c
                .asset_ids
                .iter()
                .map(|a| tags.get(a).cloned().unwrap_or_else(|| a.to_string()))
                .collect::<Vec<_>>()
                .join("\n"),
            version: c.version,
        }
    }

    /// The control as entered; asset tags are resolved in the organization (an unknown tag
    /// is named).
    async fn to_new(&self, state: &AppState, org_id: Uuid) -> Result<NewControl, StoreError> {
        let mut requirements = Vec::new();
        for line in self.requirements.lines().map(str::trim) {
            if !line.is_empty() {
                requirements.push(RequirementLink::parse(line)?);
            }
        }
        let mut risk_ids = Vec::new();
        for r in &self.risk_ids {
            risk_ids.extend(parse_id("risk_ids", r)?);
        }
        let mut zone_ids = Vec::new();
        for z in &self.zone_ids {
            zone_ids.extend(parse_id("zone_ids", z)?);
        }
        let asset_ids = super::risk::asset_ids_of_tags(state, org_id, &self.asset_tags).await?;
        let status = if self.status.trim().is_empty() {
            ControlStatus::default()
        } else {
            ControlStatus::parse(&self.status)?
        };
        Ok(NewControl {
            title: self.title.clone(),
            description: self.description.clone(),
            status,
            owner_id: parse_id("owner_id", &self.owner_id)?,
            due_date: parse_date("due_date", &self.due_date)?,
            requirements,
            risk_ids,
            zone_ids,
            asset_ids,
        })
    }
}

#[derive(Template)]
#[template(path = "controls_form.html")]
struct FormPage {
    ctx: Ctx,
    org: Organization,
    /// `None` for a new control.
    control: Option<(Uuid, String)>,
    f: Fields,
    error_field: String,
    /// The error shown next to the field it names.
    error_message: String,
    statuses: Vec<Choice>,
    owners: Vec<Choice>,
    risks: Vec<Choice>,
    zones: Vec<Choice>,
    frameworks: Vec<String>,
}

impl FormPage {
    fn err(&self, field: &str) -> bool {
        self.error_field == field
    }

    fn zone_selected(&self, id: &str) -> bool {
        self.f.zone_ids.iter().any(|z| z == id)
    }

    fn risk_selected(&self, id: &str) -> bool {
        self.f.risk_ids.iter().any(|z| z == id)
    }

    fn action(&self) -> String {
        match &self.control {
            Some((id, _)) => format!("/o/{}/controls/{id}", self.org.slug),
            None => format!("/o/{}/controls", self.org.slug),
        }
    }

    fn cancel(&self) -> String {
        match &self.control {
            Some((id, _)) => format!("/o/{}/controls/{id}", self.org.slug),
            None => format!("/o/{}/controls", self.org.slug),
        }
    }
}

async fn form_page(
    state: &AppState,
    caller: &Caller,
    control: Option<(Uuid, String)>,
    f: Fields,
    error: Option<(StatusCode, FieldError)>,
) -> Response {
    let org = org_of(caller);
    let store = state.store();
    let (risks, zones, members) = match tokio::try_join!(
        store.risks(org.id),
        store.zones(org.id),
        store.members(org.id),
    ) {
        Ok(x) => x,
        Err(e) => return fail(caller, &e),
    };
    let frameworks = match state.library().for_org(store, org.id).await {
        Ok(lib) => lib.frameworks.iter().map(|f| f.id().to_owned()).collect(),
        Err(e) => return fail(caller, &e),
    };
    let tr = &caller.tr;
    let path = match &control {
        Some((id, _)) => format!("/o/{}/controls/{id}/edit", org.slug),
        None => format!("/o/{}/controls/new", org.slug),
    };
    let mut ctx = Ctx::new(state, caller, "controls", &path).await;
    let (status, error_field, error_message) = match error {
        Some((status, e)) => {
            let text = if status == StatusCode::CONFLICT {
                e.message.clone()
            } else {
                tr.t1("error-invalid", "reason", &e)
            };
            ctx.error(text.clone());
            (status, e.field.to_owned(), text)
        }
        None => (StatusCode::OK, String::new(), String::new()),
    };
    let mut owners: Vec<Choice> = members
        .iter()
        .map(|m| Choice {
            value: m.user.id.to_string(),
            label: member_name(m),
        })
        .collect();
    owners.sort_by(|a, b| a.label.cmp(&b.label));
    let page = FormPage {
        statuses: ControlStatus::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().to_owned(),
                label: status_label(tr, *s),
            })
            .collect(),
        owners,
        risks: risks
            .iter()
            .map(|r| Choice {
                value: r.id.to_string(),
                label: format!("{} {}", r.code, r.title),
            })
            .collect(),
        zones: zones
            .iter()
            .map(|z| Choice {
                value: z.id.to_string(),
                label: z.name.clone(),
            })
            .collect(),
        frameworks,
        error_field,
        error_message,
        control,
        f,
        org,
        ctx,
    };
    (status, render(&page)).into_response()
}

pub async fn new_form(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let f = Fields {
        status: ControlStatus::Planned.as_str().to_owned(),
        ..Default::default()
    };
    form_page(&state, &caller, None, f, None).await
}

/// A form error with the status to answer: 422 for a field, 409 for a stale version.
fn field_error(tr: &Tr, e: StoreError) -> Result<(StatusCode, FieldError), StoreError> {
    match e {
        StoreError::Invalid(f) => Ok((StatusCode::UNPROCESSABLE_ENTITY, f)),
        StoreError::Conflict { current, .. } => Ok((
            StatusCode::CONFLICT,
            FieldError {
                field: "version",
                message: tr.t1("control-conflict", "version", current),
            },
        )),
        other => Err(other),
    }
}

pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let org = org_of(&caller);
    let f = Fields::from_form(pairs);
    let result = match f.to_new(&state, org.id).await {
        Ok(new) => match checked(&state, org.id, new).await {
            Ok(new) => {
                state
                    .store()
                    .create_control(&caller.actor(), org.id, new)
                    .await
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => Redirect::to(&format!(
            "/o/{}/controls/{}?notice=control-created",
            org.slug, c.id
        ))
        .into_response(),
        Err(e) => match field_error(&caller.tr, e) {
            Ok(err) => form_page(&state, &caller, None, f, Some(err)).await,
            Err(e) => fail(&caller, &e),
        },
    }
}

/// Asset tags by id, for the assets a control names.
async fn asset_tags(
    state: &AppState,
    org_id: Uuid,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, StoreError> {
    let mut tags = HashMap::with_capacity(ids.len());
    for id in ids {
        match state.store().asset(org_id, *id).await {
            Ok(a) => {
                tags.insert(*id, a.asset_tag);
            }
            Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(tags)
}

pub async fn edit_form(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
) -> Response {
    let org = org_of(&caller);
    let c = match state.store().control(org.id, id).await {
        Ok(c) => c,
        Err(e) => return fail(&caller, &e),
    };
    let tags = match asset_tags(&state, org.id, &c.asset_ids).await {
        Ok(t) => t,
        Err(e) => return fail(&caller, &e),
    };
    let f = Fields::of(&c, &tags);
    form_page(&state, &caller, Some((id, c.code)), f, None).await
}

pub async fn update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let org = org_of(&caller);
    let f = Fields::from_form(pairs);
    let before = match state.store().control(org.id, id).await {
        Ok(c) => c,
        Err(e) => return fail(&caller, &e),
    };
    let result = match f.to_new(&state, org.id).await {
        Ok(new) => match checked(&state, org.id, new).await {
            Ok(new) => {
                state
                    .store()
                    .update_control(&caller.actor(), org.id, id, f.version, new)
                    .await
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Redirect::to(&format!(
            "/o/{}/controls/{id}?notice=control-saved",
            org.slug
        ))
        .into_response(),
        Err(e) => match field_error(&caller.tr, e) {
            Ok(err) => form_page(&state, &caller, Some((id, before.code)), f, Some(err)).await,
            Err(e) => fail(&caller, &e),
        },
    }
}

// ---------------------------------------------------------------------------------------
// A control

/// A linked requirement as the control's page shows it.
struct ReqView {
    framework: String,
    node_ref: String,
    title: String,
    /// Whether the library still has the node.
    known: bool,
}

/// A Statement of Applicability item citing the control.
struct SoaView {
    framework: String,
    /// "draft" or "v3", in the reader's language.
    version: String,
    node_ref: String,
}

/// A document linked as evidence.
struct EvidenceView {
    id: Uuid,
    code: String,
    title: String,
    version: i64,
    status: String,
    sha256: String,
}

#[derive(Template)]
#[template(path = "controls_show.html")]
struct ShowPage {
    ctx: Ctx,
    org: Organization,
    c: Control,
    status: String,
    status_class: &'static str,
    owner: String,
    due: String,
    overdue: bool,
    requirements: Vec<ReqView>,
    risks: Vec<(Uuid, String, String)>,
    zones: Vec<(Uuid, String)>,
    assets: Vec<(Uuid, String)>,
    soa: Vec<SoaView>,
    evidence: Vec<EvidenceView>,
    can_write: bool,
    can_manage: bool,
    delete_error: bool,
    created: String,
    updated: String,
}

async fn show(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    notice_key: Option<&str>,
    error: Option<(StatusCode, String)>,
) -> Response {
    let org = org_of(caller);
    let store = state.store();
    let c = match store.control(org.id, id).await {
        Ok(c) => c,
        Err(e) => return fail(caller, &e),
    };
    let target = EvidenceTarget::Control(id);
    let loaded = tokio::try_join!(
        store.risks(org.id),
        store.zones(org.id),
        store.members(org.id),
        store.soa_versions(org.id, None),
        store.evidence_for(org.id, &target),
        state.library().for_org(store, org.id),
    );
    let (risks, zones, members, versions, evidence, lib) = match loaded {
        Ok(x) => x,
        Err(e) => return fail(caller, &e),
    };
    let tags = match asset_tags(state, org.id, &c.asset_ids).await {
        Ok(t) => t,
        Err(e) => return fail(caller, &e),
    };
    let tr = &caller.tr;
    let ja = tr.lang.code() == "ja";
    let mut soa = Vec::new();
    for v in &versions {
        let items = match store.soa_items(org.id, v.id).await {
            Ok(i) => i,
            Err(e) => return fail(caller, &e),
        };
        for it in items.iter().filter(|i| i.control_ids.contains(&id)) {
            soa.push(SoaView {
                framework: v.framework.clone(),
                version: match v.number {
                    Some(n) => tr.t1("control-soa-version", "number", n),
                    None => tr.t("control-soa-draft"),
                },
                node_ref: it.node_ref.clone(),
            });
        }
    }
    let requirements = c
        .requirements
        .iter()
        .map(|r| {
            let node = lib
                .frameworks
                .iter()
                .find(|f| f.id() == r.framework)
                .and_then(|f| f.node(&r.node_ref));
            ReqView {
                framework: r.framework.clone(),
                node_ref: r.node_ref.clone(),
                title: node
                    .map(|n| {
                        if ja && !n.title.ja.is_empty() {
                            n.title.ja.clone()
                        } else {
                            n.title.en.clone()
                        }
                    })
                    .unwrap_or_default(),
                known: node.is_some(),
            }
        })
        .collect();
    let mut ctx = Ctx::new(
        state,
        caller,
        "controls",
        &format!("/o/{}/controls/{id}", org.slug),
    )
    .await;
    notice(&mut ctx, tr, notice_key);
    let (status, delete_error) = match error {
        Some((status, text)) => {
            ctx.error(text);
            (status, true)
        }
        None => (StatusCode::OK, false),
    };
    let today = today(&org);
    let page = ShowPage {
        status: status_label(tr, c.status),
        status_class: status_class(c.status),
        owner: c
            .owner_id
            .and_then(|o| members.iter().find(|m| m.user.id == o))
            .map(member_name)
            .unwrap_or_default(),
        due: date_text(c.due_date),
        overdue: c.overdue(today),
        requirements,
        risks: risks
            .iter()
            .filter(|r| c.risk_ids.contains(&r.id))
            .map(|r| (r.id, r.code.clone(), r.title.clone()))
            .collect(),
        zones: zones
            .iter()
            .filter(|z| c.zone_ids.contains(&z.id))
            .map(|z| (z.id, z.name.clone()))
            .collect(),
        assets: c
            .asset_ids
            .iter()
            .filter_map(|a| tags.get(a).map(|t| (*a, t.clone())))
            .collect(),
        soa,
        evidence: evidence
            .into_iter()
            .map(|e| EvidenceView {
                id: e.document_id,
                code: e.code,
                title: e.title,
                version: e.version_number,
                status: e
                    .status
                    .map(|s| tr.t(&format!("documents-status-{}", s.as_str())))
                    .unwrap_or_default(),
                sha256: e.sha256.chars().take(12).collect(),
            })
            .collect(),
        can_write: caller.may(Perm::OrgWrite),
        can_manage: caller.may(Perm::OrgManage),
        delete_error,
        created: tr.datetime(&c.created_at),
        updated: tr.datetime(&c.updated_at),
        c,
        org,
        ctx,
    };
    (status, render(&page)).into_response()
}

pub async fn control_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Query(n): Query<NoticeParam>,
) -> Response {
    show(&state, &caller, id, n.notice.as_deref(), None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    pub version: i64,
    /// The confirmation box: `yes` when ticked.
    pub confirm: String,
}

pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<DeleteForm>,
) -> Response {
    let org = org_of(&caller);
    let tr = &caller.tr;
    if form.confirm != "yes" {
        let msg = tr.t("control-delete-confirm-needed");
        return show(
            &state,
            &caller,
            id,
            None,
            Some((StatusCode::UNPROCESSABLE_ENTITY, msg)),
        )
        .await;
    }
    match state
        .store()
        .delete_control(&caller.actor(), org.id, id, form.version)
        .await
    {
        Ok(()) => Redirect::to(&format!("/o/{}/controls?notice=control-deleted", org.slug))
            .into_response(),
        Err(StoreError::Locked(reason)) => {
            let msg = tr.t1("control-delete-refused", "reason", reason);
            show(&state, &caller, id, None, Some((StatusCode::CONFLICT, msg))).await
        }
        Err(e @ StoreError::Conflict { .. }) => {
            let (status, _) = store_error(tr, &e);
            let current = match &e {
                StoreError::Conflict { current, .. } => *current,
                _ => 0,
            };
            let msg = tr.t1("control-conflict", "version", current);
            show(&state, &caller, id, None, Some((status, msg))).await
        }
        Err(e) => fail(&caller, &e),
    }
}

// ---------------------------------------------------------------------------------------
// On a zone's page

/// A control as a zone's page lists it: the zone's common set of countermeasures
/// (4.3.4.2.2), with how many other zones share each one.
pub(crate) struct ZoneControlView {
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub status: String,
    pub status_class: &'static str,
    /// Other zones the same control applies to.
    pub other_zones: usize,
}

/// The controls of a zone for `templates/controls_zone.html` (the zone page includes it with
/// `zone_controls` set to this and `org`, `ctx` in scope). Callers pass
/// `store.zone_controls(org_id, zone_id)`; retired controls are listed last.
pub(crate) fn zone_views(tr: &Tr, controls: &[Control], zone_id: Uuid) -> Vec<ZoneControlView> {
    let mut views: Vec<(bool, ZoneControlView)> = controls
        .iter()
        .filter(|c| c.zone_ids.contains(&zone_id))
        .map(|c| {
            (
                c.status == ControlStatus::Retired,
                ZoneControlView {
                    id: c.id,
                    code: c.code.clone(),
                    title: c.title.clone(),
                    status: status_label(tr, c.status),
                    status_class: status_class(c.status),
                    other_zones: c.zone_ids.iter().filter(|z| **z != zone_id).count(),
                },
            )
        })
        .collect();
    views.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.code.cmp(&b.1.code)));
    views.into_iter().map(|(_, v)| v).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn control(code: &str, status: ControlStatus, zones: Vec<Uuid>) -> Control {
        Control {
            id: Uuid::now_v7(),
            org_id: Uuid::now_v7(),
            code: code.into(),
            title: format!("{code} title"),
            description: String::new(),
            status,
            owner_id: None,
            due_date: None,
            requirements: vec![],
            risk_ids: vec![],
            zone_ids: zones,
            asset_ids: vec![],
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            created_by: None,
            updated_at: time::OffsetDateTime::UNIX_EPOCH,
            updated_by: None,
            version: 1,
        }
    }

    #[test]
    fn a_zone_lists_its_controls_with_the_zones_sharing_them() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let controls = vec![
            control("C-0001", ControlStatus::Retired, vec![a]),
            control("C-0002", ControlStatus::Operating, vec![a, b, c]),
            control("C-0003", ControlStatus::Planned, vec![b]),
            control("C-0004", ControlStatus::Implemented, vec![a]),
        ];
        let tr = Tr::new(Lang::Ja, None);
        let v = zone_views(&tr, &controls, a);
        let codes: Vec<&str> = v.iter().map(|x| x.code.as_str()).collect();
        assert_eq!(codes, ["C-0002", "C-0004", "C-0001"], "retired last");
        assert_eq!(v[0].other_zones, 2);
        assert_eq!(v[0].status, "運用中");
        assert_eq!(v[1].other_zones, 0);
        assert!(zone_views(&tr, &controls, Uuid::now_v7()).is_empty());
    }
}
