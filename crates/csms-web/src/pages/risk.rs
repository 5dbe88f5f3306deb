//! The risk register (criteria 4.2.3): the register with its heat maps, filters and sort; the
//! form to record and edit a risk; a risk's page with its acceptance; the risk method page.
//!
//! What the pages and the API share lives here too (the register query, levels and their
//! colours, heat maps, the methods that scored the risks), so the two cannot disagree.

use std::collections::{BTreeMap, HashMap, HashSet};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use csms_domain::Uuid;
use csms_domain::inventory::{Asset, System, Zone};
use csms_domain::org::{FieldError, Organization};
use csms_domain::register::{
    self as reg, NewRisk, RatingInput, Risk, RiskFilter, RiskKind, RiskSort, RiskStatus, Stage,
    Treatment, Trigger,
};
use csms_domain::risk::{Category, Level, RiskMethod, Scale, Step};
use csms_report::heatmap::{self, HeatMap};
use csms_store::StoreError;
use csms_store::auth::Member;
use csms_store::risk::StoredRiskMethod;
use serde::Deserialize;
use time::Date;

use super::org::{org_of, store_error};
use super::{Ctx, error_page, render};
use crate::AppState;
use crate::authz::{Caller, Perm};
use crate::i18n::Tr;
use crate::routes::{Route, route};

/// Message keys this module builds at run time (checked by the i18n test).
#[cfg(test)]
pub(crate) const DYNAMIC_KEYS: &[&str] = &[
    "risk-kind-high-level",
    "risk-kind-detailed",
    "risk-treatment-reduce",
    "risk-treatment-accept",
    "risk-treatment-transfer",
    "risk-treatment-avoid",
    "risk-trigger-system-change",
    "risk-trigger-new-vulnerability",
    "risk-trigger-threat-change",
    "risk-trigger-incident",
    "risk-trigger-organization-change",
    "risk-trigger-regulation-change",
    "risk-trigger-audit-finding",
    "risk-trigger-other",
    "risk-status-open",
    "risk-status-accepted",
    "risk-stage-inherent",
    "risk-stage-residual",
    "risk-sort-level",
    "risk-sort-inherent",
    "risk-sort-due",
    "risk-sort-review",
    "risk-sort-code",
    "risk-sort-title",
    "risk-heatmap-inherent",
    "risk-heatmap-residual",
    "notice-risk-created",
    "notice-risk-saved",
    "notice-risk-accepted",
    "notice-risk-revoked",
    "notice-risk-deleted",
    "notice-risk-lapsed",
    "notice-method-saved",
];

/// The routes of this area's pages.
pub(crate) fn routes() -> Vec<Route> {
    vec![
        route!(GET, "/o/{org}/risks", OrgRead, get(register)),
        route!(POST, "/o/{org}/risks", OrgWrite, post(create)),
        route!(GET, "/o/{org}/risks/new", OrgWrite, get(new_form)),
        route!(GET, "/o/{org}/risks/method", OrgRead, get(method_page)),
        route!(POST, "/o/{org}/risks/method", OrgManage, post(save_method)),
        route!(GET, "/o/{org}/risks/{id}", OrgRead, get(risk_page)),
        route!(POST, "/o/{org}/risks/{id}", OrgWrite, post(update)),
        route!(GET, "/o/{org}/risks/{id}/edit", OrgWrite, get(edit_form)),
        route!(POST, "/o/{org}/risks/{id}/accept", OrgWrite, post(accept)),
        route!(POST, "/o/{org}/risks/{id}/revoke", OrgManage, post(revoke)),
        route!(POST, "/o/{org}/risks/{id}/delete", OrgManage, post(delete)),
    ]
}

// ---------------------------------------------------------------------------------------
// Shared with the API

/// Whether the reader reads Japanese.
fn ja(tr: &Tr) -> bool {
    tr.lang.code() == "ja"
}

/// A bilingual label in the reader's language (the other language when it is empty).
pub(crate) fn pick<'a>(tr: &Tr, label_ja: &'a str, label_en: &'a str) -> &'a str {
    if (ja(tr) && !label_ja.is_empty()) || label_en.is_empty() {
        label_ja
    } else {
        label_en
    }
}

/// A level's label in the reader's language (`?` when the method has no such level).
pub(crate) fn level_label(tr: &Tr, method: &RiskMethod, level: usize) -> String {
    method.levels.get(level).map_or_else(
        || "?".to_owned(),
        |l| pick(tr, &l.label_ja, &l.label_en).to_owned(),
    )
}

/// The colour class of a level (`risk-lvl-0` green … `risk-lvl-5` red), by its position among
/// the method's levels: the same ramp as the heat map.
pub(crate) fn level_class(level: usize, levels: usize) -> String {
    let k = if levels <= 1 {
        0
    } else {
        (level.min(levels - 1) * 5 + (levels - 1) / 2) / (levels - 1)
    };
    format!("risk-lvl-{k}")
}

fn step_label(tr: &Tr, scale: &Scale, value: u8) -> String {
    scale.step(value).map_or_else(
        || value.to_string(),
        |s| pick(tr, &s.label_ja, &s.label_en).to_owned(),
    )
}

pub(crate) fn kind_label(tr: &Tr, k: RiskKind) -> String {
    tr.t(&format!("risk-kind-{}", k.as_str().replace('_', "-")))
}

pub(crate) fn treatment_label(tr: &Tr, t: Treatment) -> String {
    tr.t(&format!("risk-treatment-{}", t.as_str()))
}

pub(crate) fn trigger_label(tr: &Tr, t: Trigger) -> String {
    tr.t(&format!("risk-trigger-{}", t.as_str().replace('_', "-")))
}

fn status_str(s: RiskStatus) -> &'static str {
    match s {
        RiskStatus::Open => "open",
        RiskStatus::Accepted => "accepted",
    }
}

fn stage_str(s: Stage) -> &'static str {
    match s {
        Stage::Inherent => "inherent",
        Stage::Residual => "residual",
    }
}

/// The methods that scored an organization's risks: the current one and any earlier versions
/// still named by a risk.
pub(crate) struct Methods {
    pub current: StoredRiskMethod,
    pub earlier: HashMap<String, RiskMethod>,
}

impl Methods {
    pub(crate) async fn load(
        state: &AppState,
        org_id: Uuid,
        risks: &[Risk],
    ) -> Result<Methods, StoreError> {
        let store = state.store();
        let current = store.risk_method(org_id).await?;
        let mut earlier = HashMap::new();
        for fp in risks.iter().map(|r| r.method.as_str()) {
            if fp == current.fingerprint || earlier.contains_key(fp) {
                continue;
            }
            match store.risk_method_by_fingerprint(org_id, fp).await {
                Ok(m) => {
                    earlier.insert(fp.to_owned(), m.method);
                }
                Err(StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Methods { current, earlier })
    }

    /// The method that scored a risk (the current one if the earlier one is unknown).
    pub(crate) fn of(&self, risk: &Risk) -> &RiskMethod {
        self.earlier
            .get(&risk.method)
            .unwrap_or(&self.current.method)
    }

    pub(crate) fn is_current(&self, risk: &Risk) -> bool {
        risk.method == self.current.fingerprint
    }
}

/// The register's filters and sort as a query string carries them (every value a text, so
/// a filter form's empty fields mean "any").
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct RegisterQuery {
    /// `high_level` or `detailed`.
    pub kind: Option<String>,
    pub system_id: Option<String>,
    /// Risks naming the zone or one of its assets.
    pub zone_id: Option<String>,
    pub asset_id: Option<String>,
    pub owner_id: Option<String>,
    /// `reduce`, `accept`, `transfer` or `avoid`.
    pub treatment: Option<String>,
    /// `open` or `accepted`.
    pub status: Option<String>,
    /// A level id of the current method (`high`): risks at this level in force or above.
    pub min_level: Option<String>,
    /// A heat map cell: `inherent:4:5` (stage, likelihood, consequence).
    pub cell: Option<String>,
    /// `1`: only risks whose review date has passed.
    pub review_due: Option<String>,
    /// Part of the code, title, threat, vulnerability or scenario.
    pub q: Option<String>,
    /// `level` (default), `inherent`, `due`, `review`, `code` or `title`.
    pub sort: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_id(field: &'static str, v: &Option<String>) -> Result<Option<Uuid>, FieldError> {
    given(v)
        .map(|s| {
            Uuid::parse_str(s).map_err(|_| FieldError {
                field,
                message: format!(
                    "'{}' is not an id; use the id of one of the organization's records",
                    shown(s)
                ),
            })
        })
        .transpose()
}

/// A client's text quoted in a message: at most 60 characters, no control characters.
fn shown(v: &str) -> String {
    v.chars().filter(|c| !c.is_control()).take(60).collect()
}

impl RegisterQuery {
    /// The filter and sort, checked against the current method; the error names the parameter.
    pub(crate) fn parse(&self, method: &RiskMethod) -> Result<(RiskFilter, RiskSort), FieldError> {
        let min_level = given(&self.min_level)
            .map(|s| {
                method
                    .levels
                    .iter()
                    .position(|l| l.id == s)
                    .or_else(|| s.parse::<usize>().ok().filter(|i| *i < method.levels.len()))
                    .ok_or_else(|| FieldError {
                        field: "min_level",
                        message: format!(
                            "'{}' is not a level of the risk method; use one of {}",
                            shown(s),
                            method
                                .levels
                                .iter()
                                .map(|l| l.id.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    })
            })
            .transpose()?;
        let cell = given(&self.cell)
            .map(|s| {
                let bad = || FieldError {
                    field: "cell",
                    message: format!(
                        "'{}' is not a heat map cell; write it stage:likelihood:consequence, e.g. inherent:4:5",
                        shown(s)
                    ),
                };
                let mut parts = s.split(':');
                let stage = match parts.next() {
                    Some("inherent") => Stage::Inherent,
                    Some("residual") => Stage::Residual,
                    _ => return Err(bad()),
                };
                let l = parts.next().and_then(|p| p.parse::<u8>().ok()).ok_or_else(bad)?;
                let c = parts.next().and_then(|p| p.parse::<u8>().ok()).ok_or_else(bad)?;
                if parts.next().is_some() {
                    return Err(bad());
                }
                Ok((stage, l, c))
            })
            .transpose()?;
        let status = given(&self.status)
            .map(|s| match s {
                "open" => Ok(RiskStatus::Open),
                "accepted" => Ok(RiskStatus::Accepted),
                other => Err(FieldError {
                    field: "status",
                    message: format!("'{}' is not a status; use open or accepted", shown(other)),
                }),
            })
            .transpose()?;
        let review_due = match given(&self.review_due) {
            None | Some("0" | "false" | "no") => false,
            Some("1" | "true" | "yes" | "on") => true,
            Some(other) => {
                return Err(FieldError {
                    field: "review_due",
                    message: format!("'{}' is not a yes or no; use 1 or 0", shown(other)),
                });
            }
        };
        let filter = RiskFilter {
            kind: given(&self.kind).map(RiskKind::parse).transpose()?,
            system_id: parse_id("system_id", &self.system_id)?,
            zone_id: parse_id("zone_id", &self.zone_id)?,
            asset_id: parse_id("asset_id", &self.asset_id)?,
            owner_id: parse_id("owner_id", &self.owner_id)?,
            treatment: given(&self.treatment).map(Treatment::parse).transpose()?,
            status,
            min_level,
            cell,
            review_due,
            q: given(&self.q).map(str::to_owned),
        };
        let sort = given(&self.sort)
            .map(RiskSort::parse)
            .transpose()?
            .unwrap_or_default();
        Ok((filter, sort))
    }

    fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("kind", &self.kind),
            ("system_id", &self.system_id),
            ("zone_id", &self.zone_id),
            ("asset_id", &self.asset_id),
            ("owner_id", &self.owner_id),
            ("treatment", &self.treatment),
            ("status", &self.status),
            ("min_level", &self.min_level),
            ("cell", &self.cell),
            ("review_due", &self.review_due),
            ("q", &self.q),
            ("sort", &self.sort),
        ]
        .into_iter()
        .filter_map(|(k, v)| given(v).map(|v| (k, v)))
        .collect()
    }

    /// The query string (without `?`), empty without filters.
    pub(crate) fn to_query(&self) -> String {
        self.pairs()
            .into_iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes a query value.
fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What a filter needs beyond the risks: the asset ids of the filtered zone among the assets
/// the risks name (a risk naming one of them concerns the zone).
pub(crate) fn zone_assets(filter: &RiskFilter, assets: &HashMap<Uuid, Asset>) -> Vec<Uuid> {
    match filter.zone_id {
        Some(z) => assets
            .values()
            .filter(|a| a.zone_id == Some(z))
            .map(|a| a.id)
            .collect(),
        None => Vec::new(),
    }
}

/// The assets named by any of the risks, by id (each read once).
pub(crate) async fn named_assets(
    state: &AppState,
    org_id: Uuid,
    risks: &[Risk],
) -> Result<HashMap<Uuid, Asset>, StoreError> {
    let ids: HashSet<Uuid> = risks
        .iter()
        .flat_map(|r| r.asset_ids.iter().copied())
        .collect();
    let mut out = HashMap::with_capacity(ids.len());
    for id in ids {
        match state.store().asset(org_id, id).await {
            Ok(a) => {
                out.insert(id, a);
            }
            Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// A heat map of the risks at a stage over the current method, each cell linking to `href`.
pub(crate) fn heat_map<'a>(
    tr: &Tr,
    method: &RiskMethod,
    risks: impl IntoIterator<Item = &'a Risk>,
    stage: Stage,
    href: impl Fn(u8, u8) -> Option<String>,
) -> (HeatMap, usize) {
    let counts = reg::heat_counts(method, risks, stage);
    let cells = method
        .cells
        .iter()
        .enumerate()
        .map(|(li, row)| {
            row.iter()
                .enumerate()
                .map(|(ci, &level)| heatmap::Cell {
                    level,
                    count: counts
                        .counts
                        .get(li)
                        .and_then(|r| r.get(ci))
                        .copied()
                        .unwrap_or(0),
                    href: href(li as u8 + 1, ci as u8 + 1),
                })
                .collect()
        })
        .collect();
    let steps = |s: &Scale| -> Vec<String> {
        s.steps
            .iter()
            .map(|st| pick(tr, &st.label_ja, &st.label_en).to_owned())
            .collect()
    };
    (
        HeatMap {
            title: tr.t(&format!("risk-heatmap-{}", stage_str(stage))),
            likelihood_label: tr.t("risk-likelihood"),
            consequence_label: tr.t("risk-consequence"),
            likelihood_steps: steps(&method.likelihood),
            consequence_steps: steps(&method.consequence),
            levels: method
                .levels
                .iter()
                .map(|l| pick(tr, &l.label_ja, &l.label_en).to_owned())
                .collect(),
            cells,
        },
        counts.outside,
    )
}

/// Parses `YYYY-MM-DD` (empty: none); the error names the field.
pub(crate) fn parse_date(field: &'static str, v: &str) -> Result<Option<Date>, FieldError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(v, format).map(Some).map_err(|_| FieldError {
        field,
        message: format!(
            "'{}' is not a date; write it YYYY-MM-DD, e.g. 2027-03-31",
            shown(v)
        ),
    })
}

fn date_text(d: Option<Date>) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    d.and_then(|d| d.format(format).ok()).unwrap_or_default()
}

/// Today in the organization's time zone.
pub(crate) fn today(org: &Organization) -> Date {
    let now = csms_domain::time::now();
    jiff::tz::TimeZone::get(&org.timezone)
        .ok()
        .and_then(|tz| {
            let ts = jiff::Timestamp::from_second(now.unix_timestamp()).ok()?;
            let d = ts.to_zoned_datetime(tz).date();
            Date::from_calendar_date(
                i32::from(d.year()),
                time::Month::try_from(d.month() as u8).ok()?,
                d.day() as u8,
            )
            .ok()
        })
        .unwrap_or_else(|| now.date())
}

/// Whether the caller may accept a risk at `level` under `method` (their role in the org).
pub(crate) fn caller_may_accept(caller: &Caller, method: &RiskMethod, level: usize) -> bool {
    caller
        .org
        .as_ref()
        .is_some_and(|(_, role)| method.may_accept(level, *role))
}

/// Records an acceptance by the caller: the domain decides whether they may.
pub(crate) async fn accept_as(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    id: Uuid,
    version: i64,
    reason: &str,
) -> Result<Risk, AcceptError> {
    let store = state.store();
    let risk = store.risk(org_id, id).await?;
    let method = store.risk_method(org_id).await?.method;
    let (user, role) = match (&caller.user, &caller.org) {
        (Some(u), Some((_, role))) => (u, *role),
        _ => return Err(AcceptError::Refused("sign in to accept a risk".into())),
    };
    if risk.version != version {
        return Err(StoreError::Conflict {
            kind: "risk",
            id: id.to_string(),
            expected: version,
            current: risk.version,
        }
        .into());
    }
    let at = csms_domain::time::now();
    let name = if user.display_name.is_empty() {
        user.username.clone()
    } else {
        user.display_name.clone()
    };
    let acceptance =
        reg::accept(&method, &risk, user.id, &name, role, reason, at).map_err(|e| {
            if risk.method == method.fingerprint() && !method.may_accept(risk.level(), role) {
                AcceptError::Refused(e.message)
            } else {
                AcceptError::Store(e.into())
            }
        })?;
    Ok(store
        .accept_risk(&caller.actor(), org_id, id, version, acceptance)
        .await?)
}

/// Why an acceptance was not recorded.
#[derive(Debug)]
pub(crate) enum AcceptError {
    /// The caller's role may not accept at this level (403).
    Refused(String),
    Store(StoreError),
}

impl From<StoreError> for AcceptError {
    fn from(e: StoreError) -> Self {
        AcceptError::Store(e)
    }
}

// ---------------------------------------------------------------------------------------
// The register

/// A risk as a row of the register shows it.
struct RowView {
    id: Uuid,
    code: String,
    title: String,
    kind: String,
    scope: Vec<String>,
    inherent: String,
    inherent_class: String,
    treatment: String,
    residual: Option<(String, String)>,
    level: String,
    level_class: String,
    owner: String,
    due: String,
    overdue: bool,
    review: String,
    review_due: bool,
    accepted: Option<String>,
    earlier_method: bool,
}

struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "risks.html")]
struct RegisterPage {
    ctx: Ctx,
    org: Organization,
    q: RegisterQuery,
    rows: Vec<RowView>,
    total: usize,
    inherent_svg: String,
    residual_svg: String,
    outside: usize,
    can_write: bool,
    export_query: String,
    kinds: Vec<Choice>,
    systems: Vec<Choice>,
    zones: Vec<Choice>,
    assets: Vec<Choice>,
    owners: Vec<Choice>,
    treatments: Vec<Choice>,
    statuses: Vec<Choice>,
    levels: Vec<Choice>,
    sorts: Vec<Choice>,
    filtered: bool,
    cell_label: Option<String>,
}

impl RegisterPage {
    fn is(&self, field: &str, value: &str) -> bool {
        let v = match field {
            "kind" => &self.q.kind,
            "system_id" => &self.q.system_id,
            "zone_id" => &self.q.zone_id,
            "asset_id" => &self.q.asset_id,
            "owner_id" => &self.q.owner_id,
            "treatment" => &self.q.treatment,
            "status" => &self.q.status,
            "min_level" => &self.q.min_level,
            "sort" => &self.q.sort,
            _ => &None,
        };
        given(v) == Some(value)
    }

    fn review_due_checked(&self) -> bool {
        matches!(given(&self.q.review_due), Some("1" | "true" | "yes" | "on"))
    }

    fn q_text(&self) -> &str {
        self.q.q.as_deref().unwrap_or("")
    }

    fn cell_value(&self) -> &str {
        self.q.cell.as_deref().unwrap_or("")
    }
}

fn member_name(m: &Member) -> String {
    if m.user.display_name.is_empty() {
        m.user.username.clone()
    } else {
        m.user.display_name.clone()
    }
}

/// The register with the organization's names resolved.
struct Loaded {
    risks: Vec<Risk>,
    methods: Methods,
    systems: Vec<System>,
    zones: Vec<Zone>,
    assets: HashMap<Uuid, Asset>,
    members: Vec<Member>,
}

async fn load_all(state: &AppState, org_id: Uuid) -> Result<Loaded, StoreError> {
    let store = state.store();
    let (risks, systems, zones, members) = tokio::try_join!(
        store.risks(org_id),
        store.systems(org_id),
        store.zones(org_id),
        store.members(org_id),
    )?;
    let methods = Methods::load(state, org_id, &risks).await?;
    let assets = named_assets(state, org_id, &risks).await?;
    Ok(Loaded {
        risks,
        methods,
        systems,
        zones,
        assets,
        members,
    })
}

/// The error page of a store error (also used by [`super::risk_docs`]).
pub(crate) fn fail(caller: &Caller, e: &StoreError) -> Response {
    let (status, _) = store_error(&caller.tr, e);
    let key = match e {
        StoreError::NotFound { .. } => "error-not-found",
        StoreError::Locked(_) => "error-locked",
        StoreError::Conflict { .. } => "error-conflict-page",
        StoreError::Invalid(_) => "error-invalid-page",
        _ => "error-internal-page",
    };
    error_page(caller, status, key)
}

pub async fn register(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<RegisterQuery>,
    Query(n): Query<super::auth::NoticeQuery>,
) -> Response {
    let org = org_of(&caller);
    let l = match load_all(&state, org.id).await {
        Ok(l) => l,
        Err(e) => return fail(&caller, &e),
    };
    let tr = &caller.tr;
    let method = &l.methods.current.method;
    let mut ctx = Ctx::new(&state, &caller, "risks", &format!("/o/{}/risks", org.slug)).await;
    if n.notice.as_deref() == Some("risk-deleted") {
        ctx.notices.push(super::Notice {
            kind: "ok",
            text: tr.t("notice-risk-deleted"),
        });
    }
    let (status, (filter, sort)) = match q.parse(method) {
        Ok(p) => (StatusCode::OK, p),
        Err(e) => {
            ctx.error(tr.t1("error-invalid", "reason", &e));
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                (RiskFilter::default(), RiskSort::default()),
            )
        }
    };
    let today = today(&org);
    let zone_assets = zone_assets(&filter, &l.assets);
    // The heat maps show the filtered register without the cell filter (a cell narrows the table).
    let without_cell = RiskFilter {
        cell: None,
        ..filter.clone()
    };
    let mapped: Vec<&Risk> = l
        .risks
        .iter()
        .filter(|r| without_cell.matches(r, &zone_assets, today))
        .collect();
    let base = RegisterQuery {
        cell: None,
        ..q.clone()
    };
    let cell_href = |stage: Stage| {
        let base = base.to_query();
        let slug = org.slug.clone();
        move |li: u8, ci: u8| {
            let cell = format!("cell={}:{li}:{ci}", stage_str(stage));
            Some(if base.is_empty() {
                format!("/o/{slug}/risks?{cell}#register")
            } else {
                format!("/o/{slug}/risks?{base}&{cell}#register")
            })
        }
    };
    let (inh, out_i) = heat_map(
        tr,
        method,
        mapped.iter().copied(),
        Stage::Inherent,
        cell_href(Stage::Inherent),
    );
    let (res, out_r) = heat_map(
        tr,
        method,
        mapped.iter().copied(),
        Stage::Residual,
        cell_href(Stage::Residual),
    );
    let mut shown_risks: Vec<Risk> = l
        .risks
        .iter()
        .filter(|r| filter.matches(r, &zone_assets, today))
        .cloned()
        .collect();
    reg::sort(&mut shown_risks, sort);
    let names: HashMap<Uuid, String> = l
        .members
        .iter()
        .map(|m| (m.user.id, member_name(m)))
        .collect();
    let systems: HashMap<Uuid, &str> = l.systems.iter().map(|s| (s.id, s.name.as_str())).collect();
    let zones: HashMap<Uuid, &str> = l.zones.iter().map(|z| (z.id, z.name.as_str())).collect();
    let rows = shown_risks
        .iter()
        .map(|r| {
            let m = l.methods.of(r);
            let n = m.levels.len();
            let mut scope = Vec::new();
            if let Some(s) = r.system_id {
                scope.push(
                    systems
                        .get(&s)
                        .map_or_else(|| s.to_string(), |n| (*n).to_owned()),
                );
            }
            scope.extend(r.zone_ids.iter().map(|z| {
                zones
                    .get(z)
                    .map_or_else(|| z.to_string(), |n| (*n).to_owned())
            }));
            scope.extend(r.asset_ids.iter().map(|a| {
                l.assets
                    .get(a)
                    .map_or_else(|| a.to_string(), |x| x.asset_tag.clone())
            }));
            RowView {
                id: r.id,
                code: r.code.clone(),
                title: r.title.clone(),
                kind: kind_label(tr, r.kind),
                scope,
                inherent: level_label(tr, m, r.inherent.level),
                inherent_class: level_class(r.inherent.level, n),
                treatment: treatment_label(tr, r.treatment),
                residual: r
                    .residual
                    .as_ref()
                    .map(|x| (level_label(tr, m, x.level), level_class(x.level, n))),
                level: level_label(tr, m, r.level()),
                level_class: level_class(r.level(), n),
                owner: r
                    .owner_id
                    .and_then(|o| names.get(&o).cloned())
                    .unwrap_or_default(),
                due: date_text(r.due_date),
                overdue: r.overdue(today),
                review: date_text(r.review_date),
                review_due: r.review_due(today),
                accepted: r
                    .acceptance
                    .as_ref()
                    .map(|a| format!("{} · {}", a.by_name, tr.datetime(&a.at))),
                earlier_method: !l.methods.is_current(r),
            }
        })
        .collect();
    let choice = |value: String, label: String| Choice { value, label };
    let mut assets: Vec<Choice> = l
        .assets
        .values()
        .map(|a| choice(a.id.to_string(), a.asset_tag.clone()))
        .collect();
    assets.sort_by(|a, b| a.label.cmp(&b.label));
    let mut owners: Vec<Choice> = l
        .members
        .iter()
        .map(|m| choice(m.user.id.to_string(), member_name(m)))
        .collect();
    owners.sort_by(|a, b| a.label.cmp(&b.label));
    let cell_label = filter.cell.map(|(stage, li, ci)| {
        format!(
            "{} · {} {} × {} {}",
            tr.t(&format!("risk-stage-{}", stage_str(stage))),
            tr.t("risk-likelihood"),
            step_label(tr, &method.likelihood, li),
            tr.t("risk-consequence"),
            step_label(tr, &method.consequence, ci)
        )
    });
    let page = RegisterPage {
        can_write: caller.may(Perm::OrgWrite),
        export_query: q.to_query(),
        total: l.risks.len(),
        inherent_svg: heatmap::render(&inh),
        residual_svg: heatmap::render(&res),
        outside: out_i.max(out_r),
        kinds: RiskKind::ALL
            .iter()
            .map(|k| choice(k.as_str().to_owned(), kind_label(tr, *k)))
            .collect(),
        systems: l
            .systems
            .iter()
            .map(|s| choice(s.id.to_string(), s.name.clone()))
            .collect(),
        zones: l
            .zones
            .iter()
            .map(|z| choice(z.id.to_string(), z.name.clone()))
            .collect(),
        assets,
        owners,
        treatments: Treatment::ALL
            .iter()
            .map(|t| choice(t.as_str().to_owned(), treatment_label(tr, *t)))
            .collect(),
        statuses: [RiskStatus::Open, RiskStatus::Accepted]
            .iter()
            .map(|s| {
                choice(
                    status_str(*s).to_owned(),
                    tr.t(&format!("risk-status-{}", status_str(*s))),
                )
            })
            .collect(),
        levels: method
            .levels
            .iter()
            .map(|lv| {
                choice(
                    lv.id.clone(),
                    pick(tr, &lv.label_ja, &lv.label_en).to_owned(),
                )
            })
            .collect(),
        sorts: RiskSort::ALL
            .iter()
            .map(|s| {
                choice(
                    s.as_str().to_owned(),
                    tr.t(&format!("risk-sort-{}", s.as_str())),
                )
            })
            .collect(),
        filtered: !q.pairs().iter().all(|(k, _)| *k == "sort"),
        cell_label,
        rows,
        q,
        org,
        ctx,
    };
    (status, render(&page)).into_response()
}

// ---------------------------------------------------------------------------------------
// The form

/// A rating's fields as the form holds them (texts, so a refused form is shown as entered).
#[derive(Debug, Clone, Default)]
struct RatingFields {
    likelihood: String,
    consequences: BTreeMap<String, String>,
}

impl RatingFields {
    fn of(r: &RatingInput) -> Self {
        RatingFields {
            likelihood: r.likelihood.to_string(),
            consequences: r
                .consequences
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
        }
    }

    fn is_empty(&self) -> bool {
        self.likelihood.trim().is_empty() && self.consequences.values().all(|v| v.trim().is_empty())
    }

    fn parse(&self, field: &'static str) -> Result<RatingInput, FieldError> {
        let num = |v: &str| -> Result<u8, FieldError> {
            v.trim().parse::<u8>().map_err(|_| FieldError {
                field,
                message: format!("{field} rating: '{}' is not a step of the scale", shown(v)),
            })
        };
        if self.likelihood.trim().is_empty() {
            return Err(FieldError {
                field,
                message: format!("{field} rating: choose the likelihood"),
            });
        }
        let mut consequences = BTreeMap::new();
        for (k, v) in &self.consequences {
            if !v.trim().is_empty() {
                consequences.insert(k.clone(), num(v)?);
            }
        }
        Ok(RatingInput {
            likelihood: num(&self.likelihood)?,
            consequences,
        })
    }
}

/// The risk form's fields as entered.
#[derive(Debug, Clone, Default)]
struct RiskFields {
    title: String,
    kind: String,
    system_id: String,
    zone_ids: Vec<String>,
    asset_tags: String,
    threat_source: String,
    threat_vector: String,
    vulnerability: String,
    scenario: String,
    existing_controls: String,
    inherent: RatingFields,
    treatment: String,
    planned_controls: String,
    residual: RatingFields,
    owner_id: String,
    due_date: String,
    review_date: String,
    triggers: Vec<String>,
    trigger_notes: String,
    version: i64,
}

impl RiskFields {
    fn from_form(pairs: Vec<(String, String)>) -> RiskFields {
        let mut f = RiskFields::default();
        for (k, v) in pairs {
            match k.as_str() {
                "title" => f.title = v,
                "kind" => f.kind = v,
                "system_id" => f.system_id = v,
                "zone_ids" => f.zone_ids.push(v),
                "asset_tags" => f.asset_tags = v,
                "threat_source" => f.threat_source = v,
                "threat_vector" => f.threat_vector = v,
                "vulnerability" => f.vulnerability = v,
                "scenario" => f.scenario = v,
                "existing_controls" => f.existing_controls = v,
                "inherent_likelihood" => f.inherent.likelihood = v,
                "treatment" => f.treatment = v,
                "planned_controls" => f.planned_controls = v,
                "residual_likelihood" => f.residual.likelihood = v,
                "owner_id" => f.owner_id = v,
                "due_date" => f.due_date = v,
                "review_date" => f.review_date = v,
                "triggers" => f.triggers.push(v),
                "trigger_notes" => f.trigger_notes = v,
                "version" => f.version = v.trim().parse().unwrap_or(0),
                other => {
                    if let Some(cat) = other.strip_prefix("inherent_c_") {
                        f.inherent.consequences.insert(cat.to_owned(), v);
                    } else if let Some(cat) = other.strip_prefix("residual_c_") {
                        f.residual.consequences.insert(cat.to_owned(), v);
                    }
                }
            }
        }
        f
    }

    fn of(r: &Risk, assets: &HashMap<Uuid, Asset>) -> RiskFields {
        RiskFields {
            title: r.title.clone(),
            kind: r.kind.as_str().to_owned(),
            system_id: r.system_id.map(|s| s.to_string()).unwrap_or_default(),
            zone_ids: r.zone_ids.iter().map(Uuid::to_string).collect(),
            asset_tags: r
                .asset_ids
                .iter()
                .map(|a| {
                    assets
                        .get(a)
                        .map_or_else(|| a.to_string(), |x| x.asset_tag.clone())
                })
                .collect::<Vec<_>>()
                .join("\n"),
            threat_source: r.threat_source.clone(),
            threat_vector: r.threat_vector.clone(),
            vulnerability: r.vulnerability.clone(),
            scenario: r.scenario.clone(),
            existing_controls: r.existing_controls.clone(),
            inherent: RatingFields::of(&r.inherent.input()),
            treatment: r.treatment.as_str().to_owned(),
            planned_controls: r.planned_controls.clone(),
            residual: r
                .residual
                .as_ref()
                .map(|x| RatingFields::of(&x.input()))
                .unwrap_or_default(),
            owner_id: r.owner_id.map(|s| s.to_string()).unwrap_or_default(),
            due_date: date_text(r.due_date),
            review_date: date_text(r.review_date),
            triggers: r.triggers.iter().map(|t| t.as_str().to_owned()).collect(),
            trigger_notes: r.trigger_notes.clone(),
            version: r.version,
        }
    }

    /// The risk as entered; asset tags are resolved in the organization (an unknown tag is
    /// named).
    async fn to_new(&self, state: &AppState, org_id: Uuid) -> Result<NewRisk, StoreError> {
        let id = |field: &'static str, v: &str| -> Result<Option<Uuid>, FieldError> {
            parse_id(field, &Some(v.to_owned()))
        };
        let mut zone_ids = Vec::new();
        for z in &self.zone_ids {
            zone_ids.extend(id("zone_ids", z)?);
        }
        let asset_ids = asset_ids_of_tags(state, org_id, &self.asset_tags).await?;
        let mut triggers = Vec::new();
        for t in &self.triggers {
            triggers.push(Trigger::parse(t)?);
        }
        let treatment = Treatment::parse(&self.treatment)?;
        Ok(NewRisk {
            title: self.title.clone(),
            kind: RiskKind::parse(&self.kind)?,
            system_id: id("system_id", &self.system_id)?,
            zone_ids,
            asset_ids,
            threat_source: self.threat_source.clone(),
            threat_vector: self.threat_vector.clone(),
            vulnerability: self.vulnerability.clone(),
            scenario: self.scenario.clone(),
            existing_controls: self.existing_controls.clone(),
            inherent: self.inherent.parse("inherent")?,
            treatment,
            planned_controls: self.planned_controls.clone(),
            residual: if self.residual.is_empty() {
                None
            } else {
                Some(self.residual.parse("residual")?)
            },
            owner_id: id("owner_id", &self.owner_id)?,
            due_date: parse_date("due_date", &self.due_date)?,
            review_date: parse_date("review_date", &self.review_date)?,
            triggers,
            trigger_notes: self.trigger_notes.clone(),
        })
    }
}

struct StepView {
    value: u8,
    label: String,
    help: String,
}

struct CategoryView {
    id: String,
    label: String,
}

#[derive(Template)]
#[template(path = "risk_form.html")]
struct FormPage {
    ctx: Ctx,
    org: Organization,
    /// `None` for a new risk.
    risk: Option<(Uuid, String)>,
    f: RiskFields,
    error_field: String,
    kinds: Vec<Choice>,
    treatments: Vec<Choice>,
    triggers: Vec<Choice>,
    systems: Vec<Choice>,
    zones: Vec<Choice>,
    owners: Vec<Choice>,
    likelihood: Vec<StepView>,
    consequence: Vec<StepView>,
    categories: Vec<CategoryView>,
    rescore_note: bool,
}

impl FormPage {
    fn zone_selected(&self, id: &str) -> bool {
        self.f.zone_ids.iter().any(|z| z == id)
    }

    fn trigger_checked(&self, t: &str) -> bool {
        self.f.triggers.iter().any(|x| x == t)
    }

    fn rating(&self, stage: &str) -> &RatingFields {
        if stage == "residual" {
            &self.f.residual
        } else {
            &self.f.inherent
        }
    }

    fn likelihood_is(&self, stage: &str, v: &u8) -> bool {
        self.rating(stage).likelihood.trim() == v.to_string()
    }

    fn consequence_is(&self, stage: &str, cat: &str, v: &u8) -> bool {
        self.rating(stage)
            .consequences
            .get(cat)
            .is_some_and(|x| x.trim() == v.to_string())
    }

    fn err(&self, field: &str) -> bool {
        self.error_field == field
    }

    fn is_inherent(&self, stage: &str) -> bool {
        stage == "inherent"
    }

    fn action(&self) -> String {
        match &self.risk {
            Some((id, _)) => format!("/o/{}/risks/{id}", self.org.slug),
            None => format!("/o/{}/risks", self.org.slug),
        }
    }
}

fn step_views(tr: &Tr, scale: &Scale) -> Vec<StepView> {
    scale
        .steps
        .iter()
        .map(|s: &Step| StepView {
            value: s.value,
            label: format!("{} {}", s.value, pick(tr, &s.label_ja, &s.label_en)),
            help: pick(tr, &s.description_ja, &s.description_en).to_owned(),
        })
        .collect()
}

async fn form_page(
    state: &AppState,
    caller: &Caller,
    risk: Option<(Uuid, String)>,
    f: RiskFields,
    error: Option<(StatusCode, FieldError)>,
    rescore_note: bool,
) -> Response {
    let org = org_of(caller);
    let store = state.store();
    let loaded = tokio::try_join!(
        store.risk_method(org.id),
        store.systems(org.id),
        store.zones(org.id),
        store.members(org.id),
    );
    let (method, systems, zones, members) = match loaded {
        Ok(x) => x,
        Err(e) => return fail(caller, &e),
    };
    let tr = &caller.tr;
    let path = match &risk {
        Some((id, _)) => format!("/o/{}/risks/{id}/edit", org.slug),
        None => format!("/o/{}/risks/new", org.slug),
    };
    let mut ctx = Ctx::new(state, caller, "risks", &path).await;
    let (status, error_field) = match error {
        Some((status, e)) => {
            ctx.error(tr.t1("error-invalid", "reason", &e));
            (status, e.field.to_owned())
        }
        None => (StatusCode::OK, String::new()),
    };
    let m = &method.method;
    let choice = |value: String, label: String| Choice { value, label };
    let mut owners: Vec<Choice> = members
        .iter()
        .map(|m| choice(m.user.id.to_string(), member_name(m)))
        .collect();
    owners.sort_by(|a, b| a.label.cmp(&b.label));
    let page = FormPage {
        kinds: RiskKind::ALL
            .iter()
            .map(|k| choice(k.as_str().to_owned(), kind_label(tr, *k)))
            .collect(),
        treatments: Treatment::ALL
            .iter()
            .map(|t| choice(t.as_str().to_owned(), treatment_label(tr, *t)))
            .collect(),
        triggers: Trigger::ALL
            .iter()
            .map(|t| choice(t.as_str().to_owned(), trigger_label(tr, *t)))
            .collect(),
        systems: systems
            .iter()
            .map(|s| choice(s.id.to_string(), s.name.clone()))
            .collect(),
        zones: zones
            .iter()
            .map(|z| choice(z.id.to_string(), z.name.clone()))
            .collect(),
        owners,
        likelihood: step_views(tr, &m.likelihood),
        consequence: step_views(tr, &m.consequence),
        categories: m
            .categories
            .iter()
            .map(|c: &Category| CategoryView {
                id: c.id.clone(),
                label: pick(tr, &c.label_ja, &c.label_en).to_owned(),
            })
            .collect(),
        rescore_note,
        error_field,
        risk,
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
    let f = RiskFields {
        kind: RiskKind::Detailed.as_str().to_owned(),
        treatment: Treatment::Reduce.as_str().to_owned(),
        ..Default::default()
    };
    form_page(&state, &caller, None, f, None, false).await
}

/// Validates and scores the form with the current method.
async fn scored(
    state: &AppState,
    org_id: Uuid,
    f: &RiskFields,
) -> Result<reg::ScoredRisk, StoreError> {
    let new = f.to_new(state, org_id).await?;
    let method = state.store().risk_method(org_id).await?.method;
    Ok(reg::validate_risk(&method, new)?)
}

fn field_error(tr: &Tr, e: StoreError) -> Result<(StatusCode, FieldError), StoreError> {
    match e {
        StoreError::Invalid(f) => Ok((StatusCode::UNPROCESSABLE_ENTITY, f)),
        StoreError::Conflict { current, .. } => Ok((
            StatusCode::CONFLICT,
            FieldError {
                field: "version",
                message: tr.t1("risk-conflict", "version", current),
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
    let f = RiskFields::from_form(pairs);
    let result = match scored(&state, org.id, &f).await {
        Ok(s) => state.store().create_risk(&caller.actor(), org.id, s).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => Redirect::to(&format!(
            "/o/{}/risks/{}?notice=risk-created",
            org.slug, r.id
        ))
        .into_response(),
        Err(e) => match field_error(&caller.tr, e) {
            Ok(err) => form_page(&state, &caller, None, f, Some(err), false).await,
            Err(e) => fail(&caller, &e),
        },
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
) -> Response {
    let org = org_of(&caller);
    let store = state.store();
    let risk = match store.risk(org.id, id).await {
        Ok(r) => r,
        Err(e) => return fail(&caller, &e),
    };
    let assets = match named_assets(&state, org.id, std::slice::from_ref(&risk)).await {
        Ok(a) => a,
        Err(e) => return fail(&caller, &e),
    };
    let current = match store.risk_method(org.id).await {
        Ok(m) => m,
        Err(e) => return fail(&caller, &e),
    };
    let rescore = risk.method != current.fingerprint;
    let mut f = RiskFields::of(&risk, &assets);
    if rescore {
        // Ratings of an earlier method are entered again on the current scales.
        let keep = |r: &RatingFields| RatingFields {
            likelihood: r.likelihood.clone(),
            consequences: r
                .consequences
                .iter()
                .filter(|(k, _)| current.method.categories.iter().any(|c| &c.id == *k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        f.inherent = keep(&f.inherent);
        f.residual = keep(&f.residual);
    }
    form_page(
        &state,
        &caller,
        Some((id, risk.code.clone())),
        f,
        None,
        rescore,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let org = org_of(&caller);
    let f = RiskFields::from_form(pairs);
    let before = match state.store().risk(org.id, id).await {
        Ok(r) => r,
        Err(e) => return fail(&caller, &e),
    };
    let result = match scored(&state, org.id, &f).await {
        Ok(s) => {
            state
                .store()
                .update_risk(&caller.actor(), org.id, id, f.version, s)
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => {
            let notice = if before.acceptance.is_some() && r.acceptance.is_none() {
                "risk-lapsed"
            } else {
                "risk-saved"
            };
            Redirect::to(&format!("/o/{}/risks/{id}?notice={notice}", org.slug)).into_response()
        }
        Err(e) => match field_error(&caller.tr, e) {
            Ok(err) => {
                form_page(
                    &state,
                    &caller,
                    Some((id, before.code)),
                    f,
                    Some(err),
                    false,
                )
                .await
            }
            Err(e) => fail(&caller, &e),
        },
    }
}

// ---------------------------------------------------------------------------------------
// A risk

/// One cell of a mini matrix.
struct MiniCell {
    class: String,
    title: String,
    marks: String,
}

struct MatrixView {
    /// Highest likelihood first: (step label, cells).
    rows: Vec<(String, Vec<MiniCell>)>,
    columns: Vec<String>,
    /// Whether ratings are marked on it (a risk's matrix, not the method's).
    marked: bool,
}

fn matrix_view(tr: &Tr, m: &RiskMethod, marks: &[(&str, u8, u8)]) -> MatrixView {
    let n = m.levels.len();
    let rows = m
        .cells
        .iter()
        .enumerate()
        .rev()
        .map(|(li, row)| {
            let cells = row
                .iter()
                .enumerate()
                .map(|(ci, &level)| {
                    let here: Vec<&str> = marks
                        .iter()
                        .filter(|(_, l, c)| usize::from(*l) == li + 1 && usize::from(*c) == ci + 1)
                        .map(|(k, _, _)| *k)
                        .collect();
                    MiniCell {
                        class: level_class(level, n),
                        title: level_label(tr, m, level),
                        marks: here.join(" "),
                    }
                })
                .collect();
            (step_label(tr, &m.likelihood, li as u8 + 1), cells)
        })
        .collect();
    MatrixView {
        marked: !marks.is_empty(),
        rows,
        columns: m
            .consequence
            .steps
            .iter()
            .map(|s| pick(tr, &s.label_ja, &s.label_en).to_owned())
            .collect(),
    }
}

struct RatingView {
    likelihood: String,
    consequences: Vec<(String, String, bool)>,
    level: String,
    class: String,
}

fn rating_view(tr: &Tr, m: &RiskMethod, r: &reg::Rating) -> RatingView {
    RatingView {
        likelihood: format!(
            "{} {}",
            r.likelihood,
            step_label(tr, &m.likelihood, r.likelihood)
        ),
        consequences: m
            .categories
            .iter()
            .filter_map(|c| {
                r.consequences.get(&c.id).map(|v| {
                    (
                        pick(tr, &c.label_ja, &c.label_en).to_owned(),
                        format!("{v} {}", step_label(tr, &m.consequence, *v)),
                        r.driving_categories.contains(&c.id),
                    )
                })
            })
            .collect(),
        level: level_label(tr, m, r.level),
        class: level_class(r.level, m.levels.len()),
    }
}

#[derive(Template)]
#[template(path = "risk.html")]
struct RiskPage {
    ctx: Ctx,
    org: Organization,
    r: Risk,
    kind: String,
    treatment: String,
    system: Option<String>,
    zones: Vec<String>,
    assets: Vec<String>,
    owner: String,
    triggers: Vec<String>,
    inherent: RatingView,
    residual: Option<RatingView>,
    level: String,
    level_class: String,
    matrix: MatrixView,
    earlier_method: bool,
    method_seq: Option<i64>,
    tolerable: String,
    due: String,
    overdue: bool,
    review: String,
    review_due: bool,
    accepted_level: String,
    can_write: bool,
    can_accept: bool,
    can_manage: bool,
    needs_manager: bool,
    reason: String,
    created: String,
    updated: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RiskQuery {
    pub notice: Option<String>,
}

async fn risk_view(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    notice: Option<&str>,
    reason: String,
    error: Option<(StatusCode, String)>,
) -> Response {
    let org = org_of(caller);
    let store = state.store();
    let risk = match store.risk(org.id, id).await {
        Ok(r) => r,
        Err(e) => return fail(caller, &e),
    };
    let loaded = tokio::try_join!(
        store.systems(org.id),
        store.zones(org.id),
        store.members(org.id)
    );
    let (systems, zones, members) = match loaded {
        Ok(x) => x,
        Err(e) => return fail(caller, &e),
    };
    let methods = match Methods::load(state, org.id, std::slice::from_ref(&risk)).await {
        Ok(m) => m,
        Err(e) => return fail(caller, &e),
    };
    let assets = match named_assets(state, org.id, std::slice::from_ref(&risk)).await {
        Ok(a) => a,
        Err(e) => return fail(caller, &e),
    };
    let history = store.risk_method_history(org.id).await.unwrap_or_default();
    let tr = &caller.tr;
    let mut ctx = Ctx::new(
        state,
        caller,
        "risks",
        &format!("/o/{}/risks/{id}", org.slug),
    )
    .await;
    if let Some(n) = notice.filter(|n| n.starts_with("risk-")) {
        let key = format!("notice-{n}");
        if crate::i18n::has_key(tr.lang, &key) {
            ctx.notices.push(super::Notice {
                kind: if n == "risk-lapsed" { "warn" } else { "ok" },
                text: tr.t(&key),
            });
        }
    }
    let status = match error {
        Some((status, msg)) => {
            ctx.error(msg);
            status
        }
        None => StatusCode::OK,
    };
    let m = methods.of(&risk).clone();
    let today = today(&org);
    let names: HashMap<Uuid, String> = members
        .iter()
        .map(|m| (m.user.id, member_name(m)))
        .collect();
    let mut marks = vec![("I", risk.inherent.likelihood, risk.inherent.consequence)];
    if let Some(r) = &risk.residual {
        marks.push(("R", r.likelihood, r.consequence));
    }
    let current = methods.is_current(&risk);
    let level = risk.level();
    let page = RiskPage {
        kind: kind_label(tr, risk.kind),
        treatment: treatment_label(tr, risk.treatment),
        system: risk.system_id.map(|s| {
            systems
                .iter()
                .find(|x| x.id == s)
                .map_or_else(|| s.to_string(), |x| x.name.clone())
        }),
        zones: risk
            .zone_ids
            .iter()
            .map(|z| {
                zones
                    .iter()
                    .find(|x| x.id == *z)
                    .map_or_else(|| z.to_string(), |x| x.name.clone())
            })
            .collect(),
        assets: risk
            .asset_ids
            .iter()
            .map(|a| {
                assets.get(a).map_or_else(
                    || a.to_string(),
                    |x| {
                        if x.name.is_empty() {
                            x.asset_tag.clone()
                        } else {
                            format!("{} ({})", x.asset_tag, x.name)
                        }
                    },
                )
            })
            .collect(),
        owner: risk
            .owner_id
            .and_then(|o| names.get(&o).cloned())
            .unwrap_or_default(),
        triggers: risk
            .triggers
            .iter()
            .map(|t| trigger_label(tr, *t))
            .collect(),
        inherent: rating_view(tr, &m, &risk.inherent),
        residual: risk.residual.as_ref().map(|r| rating_view(tr, &m, r)),
        level: level_label(tr, &m, level),
        level_class: level_class(level, m.levels.len()),
        matrix: matrix_view(tr, &m, &marks),
        earlier_method: !current,
        method_seq: history
            .iter()
            .find(|h| h.fingerprint == risk.method)
            .map(|h| h.seq),
        tolerable: level_label(tr, &m, m.tolerable),
        due: date_text(risk.due_date),
        overdue: risk.overdue(today),
        review: date_text(risk.review_date),
        review_due: risk.review_due(today),
        accepted_level: risk
            .acceptance
            .as_ref()
            .map(|a| level_label(tr, &m, a.level))
            .unwrap_or_default(),
        can_write: caller.may(Perm::OrgWrite),
        can_accept: current && caller.may(Perm::OrgWrite) && caller_may_accept(caller, &m, level),
        can_manage: caller.may(Perm::OrgManage),
        needs_manager: m.needs_manager_acceptance(level),
        reason,
        created: tr.datetime(&risk.created_at),
        updated: tr.datetime(&risk.updated_at),
        r: risk,
        org,
        ctx,
    };
    (status, render(&page)).into_response()
}

pub async fn risk_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Query(q): Query<RiskQuery>,
) -> Response {
    risk_view(
        &state,
        &caller,
        id,
        q.notice.as_deref(),
        String::new(),
        None,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AcceptForm {
    pub version: i64,
    pub reason: String,
}

pub async fn accept(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<AcceptForm>,
) -> Response {
    let org = org_of(&caller);
    match accept_as(&state, &caller, org.id, id, form.version, &form.reason).await {
        Ok(_) => Redirect::to(&format!("/o/{}/risks/{id}?notice=risk-accepted", org.slug))
            .into_response(),
        Err(AcceptError::Refused(msg)) => {
            let msg = caller.tr.t1("risk-accept-refused", "reason", msg);
            risk_view(
                &state,
                &caller,
                id,
                None,
                form.reason,
                Some((StatusCode::FORBIDDEN, msg)),
            )
            .await
        }
        Err(AcceptError::Store(e)) => match &e {
            StoreError::Invalid(_) | StoreError::Conflict { .. } => {
                let err = store_error(&caller.tr, &e);
                risk_view(&state, &caller, id, None, form.reason, Some(err)).await
            }
            _ => fail(&caller, &e),
        },
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VersionForm {
    pub version: i64,
}

pub async fn revoke(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<VersionForm>,
) -> Response {
    let org = org_of(&caller);
    match state
        .store()
        .revoke_acceptance(&caller.actor(), org.id, id, form.version)
        .await
    {
        Ok(_) => {
            Redirect::to(&format!("/o/{}/risks/{id}?notice=risk-revoked", org.slug)).into_response()
        }
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict { .. })) => {
            let err = store_error(&caller.tr, &e);
            risk_view(&state, &caller, id, None, String::new(), Some(err)).await
        }
        Err(e) => fail(&caller, &e),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<VersionForm>,
) -> Response {
    let org = org_of(&caller);
    match state
        .store()
        .delete_risk(&caller.actor(), org.id, id, form.version)
        .await
    {
        Ok(()) => {
            Redirect::to(&format!("/o/{}/risks?notice=risk-deleted", org.slug)).into_response()
        }
        Err(e @ StoreError::Conflict { .. }) => {
            let err = store_error(&caller.tr, &e);
            risk_view(&state, &caller, id, None, String::new(), Some(err)).await
        }
        Err(e) => fail(&caller, &e),
    }
}

// ---------------------------------------------------------------------------------------
// The risk method

/// One step of a scale as the method form holds it.
struct StepRow {
    value: usize,
    label_ja: String,
    label_en: String,
    description_ja: String,
    description_en: String,
}

/// A scale's rows in the method form.
struct ScaleForm {
    prefix: &'static str,
    title: &'static str,
    field: &'static str,
    rows: Vec<StepRow>,
}

/// The categories' or levels' rows in the method form.
struct IdTable {
    prefix: &'static str,
    title: &'static str,
    field: &'static str,
    hint: &'static str,
    rows: Vec<IdRow>,
}

/// A category or level row of the method form (blank rows add one).
struct IdRow {
    id: String,
    label_ja: String,
    label_en: String,
}

struct HistoryRow {
    seq: i64,
    at: String,
    by: String,
    note: String,
    fingerprint: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "risk_method.html")]
struct MethodPage {
    ctx: Ctx,
    org: Organization,
    seq: i64,
    is_default: bool,
    /// The current method, readable.
    matrix: MatrixView,
    likelihood: Vec<StepView>,
    consequence: Vec<StepView>,
    categories: Vec<CategoryView>,
    levels: Vec<(String, String)>,
    tolerable: String,
    above: Vec<String>,
    history: Vec<HistoryRow>,
    can_manage: bool,
    /// The form: what is being edited (the current method, resized, or the refused input).
    expected_seq: i64,
    note: String,
    l_n: usize,
    c_n: usize,
    scales: Vec<ScaleForm>,
    id_tables: Vec<IdTable>,
    level_options: Vec<(String, String)>,
    /// Highest likelihood first: (likelihood, [(consequence, level id)]).
    cell_rows: Vec<(usize, Vec<(usize, String)>)>,
    tolerable_id: String,
    sizes: Vec<usize>,
    error_field: String,
}

impl MethodPage {
    fn err(&self, field: &str) -> bool {
        self.error_field == field
    }
}

fn step_rows(scale: &Scale) -> Vec<StepRow> {
    scale
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| StepRow {
            value: i + 1,
            label_ja: s.label_ja.clone(),
            label_en: s.label_en.clone(),
            description_ja: s.description_ja.clone(),
            description_en: s.description_en.clone(),
        })
        .collect()
}

/// The method with `l` likelihood and `c` consequence steps: new steps are blank, new cells
/// repeat their nearest neighbour (which keeps the matrix monotone).
fn resized(m: &RiskMethod, l: usize, c: usize) -> RiskMethod {
    let resize = |s: &Scale, n: usize| Scale {
        steps: (0..n)
            .map(|i| {
                s.steps.get(i).cloned().unwrap_or(Step {
                    value: (i + 1) as u8,
                    label_ja: String::new(),
                    label_en: String::new(),
                    description_ja: String::new(),
                    description_en: String::new(),
                })
            })
            .collect(),
    };
    let cells = (0..l)
        .map(|li| {
            (0..c)
                .map(|ci| {
                    m.cells
                        .get(li.min(m.cells.len().saturating_sub(1)))
                        .and_then(|row| row.get(ci.min(row.len().saturating_sub(1))))
                        .copied()
                        .unwrap_or(0)
                })
                .collect()
        })
        .collect();
    RiskMethod {
        likelihood: resize(&m.likelihood, l),
        consequence: resize(&m.consequence, c),
        cells,
        ..m.clone()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MethodQuery {
    pub l: Option<usize>,
    pub c: Option<usize>,
    notice: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn method_view(
    state: &AppState,
    caller: &Caller,
    edited: Option<RiskMethod>,
    expected_seq: Option<i64>,
    note: String,
    notice: Option<&str>,
    error: Option<(StatusCode, FieldError)>,
    size: Option<(usize, usize)>,
) -> Response {
    let org = org_of(caller);
    let store = state.store();
    let loaded = tokio::try_join!(
        store.risk_method(org.id),
        store.risk_method_history(org.id),
        store.members(org.id),
    );
    let (current, history, members) = match loaded {
        Ok(x) => x,
        Err(e) => return fail(caller, &e),
    };
    let tr = &caller.tr;
    let mut ctx = Ctx::new(
        state,
        caller,
        "risks",
        &format!("/o/{}/risks/method", org.slug),
    )
    .await;
    if notice == Some("method-saved") {
        ctx.notices.push(super::Notice {
            kind: "ok",
            text: tr.t("notice-method-saved"),
        });
    }
    let (status, error_field) = match error {
        Some((status, e)) => {
            ctx.error(tr.t1("error-invalid", "reason", &e));
            (status, e.field.to_owned())
        }
        None => (StatusCode::OK, String::new()),
    };
    let m = &current.method;
    let names: HashMap<Uuid, String> = members
        .iter()
        .map(|m| (m.user.id, member_name(m)))
        .collect();
    let mut em = edited.unwrap_or_else(|| m.clone());
    if let Some((l, c)) = size {
        let clamp = |n: usize| n.clamp(csms_domain::risk::MIN_STEPS, csms_domain::risk::MAX_STEPS);
        em = resized(&em, clamp(l), clamp(c));
    }
    let blank = || IdRow {
        id: String::new(),
        label_ja: String::new(),
        label_en: String::new(),
    };
    let mut cat_rows: Vec<IdRow> = em
        .categories
        .iter()
        .map(|c| IdRow {
            id: c.id.clone(),
            label_ja: c.label_ja.clone(),
            label_en: c.label_en.clone(),
        })
        .collect();
    cat_rows.extend((0..2).map(|_| blank()));
    let mut level_rows: Vec<IdRow> = em
        .levels
        .iter()
        .map(|l| IdRow {
            id: l.id.clone(),
            label_ja: l.label_ja.clone(),
            label_en: l.label_en.clone(),
        })
        .collect();
    while level_rows.len() < csms_domain::risk::MAX_LEVELS {
        level_rows.push(blank());
    }
    let level_id = |i: usize| em.levels.get(i).map(|l| l.id.clone()).unwrap_or_default();
    let cell_rows = (0..em.likelihood.len())
        .rev()
        .map(|li| {
            (
                li + 1,
                (0..em.consequence.len())
                    .map(|ci| {
                        (
                            ci + 1,
                            em.cells
                                .get(li)
                                .and_then(|r| r.get(ci))
                                .map(|&x| level_id(x))
                                .unwrap_or_default(),
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    let page = MethodPage {
        seq: current.seq,
        is_default: current.id.is_none(),
        matrix: matrix_view(tr, m, &[]),
        likelihood: step_views(tr, &m.likelihood),
        consequence: step_views(tr, &m.consequence),
        categories: m
            .categories
            .iter()
            .map(|c| CategoryView {
                id: c.id.clone(),
                label: pick(tr, &c.label_ja, &c.label_en).to_owned(),
            })
            .collect(),
        levels: level_views(tr, m),
        tolerable: level_label(tr, m, m.tolerable),
        above: m
            .levels
            .iter()
            .skip(m.tolerable + 1)
            .map(|l| pick(tr, &l.label_ja, &l.label_en).to_owned())
            .collect(),
        history: history
            .iter()
            .rev()
            .map(|h| HistoryRow {
                seq: h.seq,
                at: h.created_at.map(|t| tr.datetime(&t)).unwrap_or_default(),
                by: h
                    .created_by
                    .and_then(|u| names.get(&u).cloned())
                    .unwrap_or_default(),
                note: h.note.clone(),
                fingerprint: h.fingerprint.chars().take(12).collect(),
                current: h.seq == current.seq,
            })
            .collect(),
        can_manage: caller.may(Perm::OrgManage),
        expected_seq: expected_seq.unwrap_or(current.seq),
        note,
        l_n: em.likelihood.len(),
        c_n: em.consequence.len(),
        scales: vec![
            ScaleForm {
                prefix: "l",
                title: "risk-likelihood",
                field: "likelihood",
                rows: step_rows(&em.likelihood),
            },
            ScaleForm {
                prefix: "c",
                title: "risk-consequence",
                field: "consequence",
                rows: step_rows(&em.consequence),
            },
        ],
        level_options: em
            .levels
            .iter()
            .map(|l| (l.id.clone(), pick(tr, &l.label_ja, &l.label_en).to_owned()))
            .collect(),
        id_tables: vec![
            IdTable {
                prefix: "cat",
                title: "risk-method-categories",
                field: "categories",
                hint: "risk-method-categories-hint",
                rows: cat_rows,
            },
            IdTable {
                prefix: "lv",
                title: "risk-method-levels",
                field: "levels",
                hint: "risk-method-levels-hint",
                rows: level_rows,
            },
        ],
        cell_rows,
        tolerable_id: level_id(em.tolerable),
        sizes: (csms_domain::risk::MIN_STEPS..=csms_domain::risk::MAX_STEPS).collect(),
        error_field,
        org,
        ctx,
    };
    (status, render(&page)).into_response()
}

pub async fn method_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<MethodQuery>,
) -> Response {
    let size = match (q.l, q.c) {
        (None, None) => None,
        (l, c) => {
            let cur = match state.store().risk_method(org_of(&caller).id).await {
                Ok(m) => m.method,
                Err(e) => return fail(&caller, &e),
            };
            Some((
                l.unwrap_or(cur.likelihood.len()),
                c.unwrap_or(cur.consequence.len()),
            ))
        }
    };
    method_view(
        &state,
        &caller,
        None,
        None,
        String::new(),
        q.notice.as_deref(),
        None,
        size,
    )
    .await
}

/// Reads the method form into a method (kept as entered to show it again) and the first
/// problem the form itself shows (a cell or threshold naming a level not in the list).
fn method_from_form(pairs: &[(String, String)]) -> (RiskMethod, i64, String, Option<FieldError>) {
    let get = |k: &str| -> String {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let count = |k: &str| {
        get(k)
            .parse::<usize>()
            .unwrap_or(0)
            .min(csms_domain::risk::MAX_STEPS)
    };
    let scale = |p: &str, n: usize| Scale {
        steps: (1..=n)
            .map(|i| Step {
                value: i as u8,
                label_ja: get(&format!("{p}_{i}_ja")),
                label_en: get(&format!("{p}_{i}_en")),
                description_ja: get(&format!("{p}_{i}_dja")),
                description_en: get(&format!("{p}_{i}_den")),
            })
            .collect(),
    };
    let (nl, nc) = (count("l_n"), count("c_n"));
    let rows = |p: &str| -> Vec<(String, String, String)> {
        (0..12)
            .map(|k| {
                (
                    get(&format!("{p}_{k}_id")),
                    get(&format!("{p}_{k}_ja")),
                    get(&format!("{p}_{k}_en")),
                )
            })
            .filter(|(id, ja, en)| !(id.is_empty() && ja.is_empty() && en.is_empty()))
            .collect()
    };
    let categories: Vec<Category> = rows("cat")
        .into_iter()
        .map(|(id, label_ja, label_en)| Category {
            id,
            label_ja,
            label_en,
        })
        .collect();
    let levels: Vec<Level> = rows("lv")
        .into_iter()
        .enumerate()
        .map(|(i, (id, label_ja, label_en))| Level {
            id,
            label_ja,
            label_en,
            rank: (i + 1).min(255) as u8,
        })
        .collect();
    let mut problem = None;
    let index = |id: &str| levels.iter().position(|l| l.id == id);
    let cells: Vec<Vec<usize>> = (1..=nl)
        .map(|l| {
            (1..=nc)
                .map(|c| {
                    let id = get(&format!("cell_{l}_{c}"));
                    index(&id).unwrap_or_else(|| {
                        problem.get_or_insert(FieldError {
                            field: "cells",
                            message: format!(
                                "the cell for likelihood {l} and consequence {c} names level '{}', which is not in the list of levels; choose one of the levels for it",
                                shown(&id)
                            ),
                        });
                        0
                    })
                })
                .collect()
        })
        .collect();
    let tol = get("tolerable");
    let tolerable = index(&tol).unwrap_or_else(|| {
        problem.get_or_insert(FieldError {
            field: "tolerable",
            message: format!(
                "the tolerable threshold names level '{}', which is not in the list of levels; choose one of them",
                shown(&tol)
            ),
        });
        0
    });
    let method = RiskMethod {
        likelihood: scale("l", nl),
        consequence: scale("c", nc),
        categories,
        levels,
        cells,
        tolerable,
    };
    let seq = get("expected_seq").parse().unwrap_or(-1);
    (method, seq, get("note"), problem)
}

pub async fn save_method(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let org = org_of(&caller);
    let (method, seq, note, problem) = method_from_form(&pairs);
    let result = match problem {
        Some(p) => Err(StoreError::Invalid(p)),
        None => {
            state
                .store()
                .set_risk_method(&caller.actor(), org.id, seq, method.clone(), &note)
                .await
        }
    };
    match result {
        Ok(_) => Redirect::to(&format!("/o/{}/risks/method?notice=method-saved", org.slug))
            .into_response(),
        Err(e) => match field_error(&caller.tr, e) {
            Ok(err) => {
                method_view(
                    &state,
                    &caller,
                    Some(method),
                    Some(seq),
                    note,
                    None,
                    Some(err),
                    None,
                )
                .await
            }
            Err(e) => fail(&caller, &e),
        },
    }
}

/// Levels a template shows: label and colour class.
pub(crate) fn level_views(tr: &Tr, m: &RiskMethod) -> Vec<(String, String)> {
    m.levels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            (
                pick(tr, &l.label_ja, &l.label_en).to_owned(),
                level_class(i, m.levels.len()),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The dashboard's summary

/// What the organization dashboard shows of the register.
pub(crate) struct RiskSummary {
    pub total: usize,
    /// Level label, colour class and the number of risks at that level in force (highest
    /// first; levels of earlier methods follow under their own labels).
    pub levels: Vec<(String, String, usize)>,
    /// Open (not accepted) risks above the tolerable threshold of their method.
    pub open_above: usize,
    /// Risks whose review date has passed.
    pub reviews_due: usize,
    /// The lowest level above the tolerable threshold (for the link to those risks).
    pub above_level: String,
}

/// The register's summary, or `None` when it cannot be read (the dashboard shows the rest).
pub(crate) async fn summary(state: &AppState, tr: &Tr, org: &Organization) -> Option<RiskSummary> {
    let risks = state.store().risks(org.id).await.ok()?;
    let methods = Methods::load(state, org.id, &risks).await.ok()?;
    let today = today(org);
    let current = &methods.current.method;
    let mut levels: Vec<(String, String, usize)> = current
        .levels
        .iter()
        .enumerate()
        .rev()
        .map(|(i, l)| {
            (
                pick(tr, &l.label_ja, &l.label_en).to_owned(),
                level_class(i, current.levels.len()),
                0,
            )
        })
        .collect();
    let mut open_above = 0;
    let mut reviews_due = 0;
    for r in &risks {
        let m = methods.of(r);
        let label = level_label(tr, m, r.level());
        let class = level_class(r.level(), m.levels.len());
        match levels
            .iter_mut()
            .find(|(l, c, _)| *l == label && *c == class)
        {
            Some(entry) => entry.2 += 1,
            None => levels.push((label, class, 1)),
        }
        if r.acceptance.is_none() && m.needs_manager_acceptance(r.level()) {
            open_above += 1;
        }
        if r.review_due(today) {
            reviews_due += 1;
        }
    }
    Some(RiskSummary {
        total: risks.len(),
        levels,
        open_above,
        reviews_due,
        above_level: current
            .levels
            .get(current.tolerable + 1)
            .map(|l| l.id.clone())
            .unwrap_or_default(),
    })
}

/// Resolves asset tags as a form lists them (one per line, or separated by commas or
/// semicolons) to the ids of the organization's assets; unknown tags are named in one error.
pub(crate) async fn asset_ids_of_tags(
    state: &AppState,
    org_id: Uuid,
    tags: &str,
) -> Result<Vec<Uuid>, StoreError> {
    let mut ids = Vec::new();
    let mut unknown = Vec::new();
    for tag in tags
        .split([',', '\n', '\r', ';'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if tag.chars().any(char::is_control) {
            unknown.push(shown(tag));
            continue;
        }
        match state.store().asset_by_tag(org_id, tag).await {
            Ok(a) => ids.push(a.id),
            Err(StoreError::NotFound { .. }) => unknown.push(shown(tag)),
            Err(e) => return Err(e),
        }
    }
    if !unknown.is_empty() {
        return Err(FieldError {
            field: "asset_ids",
            message: format!(
                "no asset of this organization has the tag {}; check the asset tags (one per line)",
                unknown
                    .iter()
                    .map(|t| format!("'{t}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
        .into());
    }
    Ok(ids)
}
