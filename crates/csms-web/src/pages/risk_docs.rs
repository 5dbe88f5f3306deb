//! Documents built from the risk register and the zones: the register's XLSX and CSV export,
//! a zone's SL-T proposed from its risks (62443-3-2 ZCR 5) and its Cybersecurity Requirements
//! Specification (ZCR 6) as a page and an XLSX document.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use csms_domain::Uuid;
use csms_domain::assessment::Outcome;
use csms_domain::inventory::{Asset, Conduit, NewZone, Zone};
use csms_domain::org::{FieldError, Organization};
use csms_domain::register::{self as reg, Rating, Risk, RiskFilter};
use csms_domain::risk::RiskMethod;
use csms_domain::zone::{Fr, SlVector, propose_target};
use csms_report::table::{Cell, Column, Sheet};
use csms_store::StoreError;
use csms_store::inventory::AssetFilter;
use serde::Deserialize;

pub(crate) use super::download;
use super::org::{org_of, store_error};
use super::risk::{
    Methods, RegisterQuery, fail, kind_label, level_class, level_label, named_assets, pick, today,
    treatment_label, trigger_label, zone_assets,
};
use super::{Ctx, error_page, render};
use crate::AppState;
use crate::authz::{Caller, Perm};
use crate::i18n::Tr;
use crate::routes::{Route, route};

/// Message keys this module builds at run time (checked by the i18n test).
#[cfg(test)]
pub(crate) const DYNAMIC_KEYS: &[&str] = &[
    "crs-direction-both",
    "crs-direction-in",
    "crs-direction-out",
    "crs-req-met",
    "crs-req-not-met",
    "crs-req-not-assessed",
    "crs-req-not-applicable",
    "crs-req-partial",
];

/// The framework whose SR/REs a CRS lists.
const SR_FRAMEWORK: &str = "iec62443-3-3-2013";

pub(crate) fn routes() -> Vec<Route> {
    vec![
        route!(GET, "/o/{org}/risks/export.xlsx", OrgRead, get(export_xlsx)),
        route!(GET, "/o/{org}/risks/export.csv", OrgRead, get(export_csv)),
        route!(GET, "/o/{org}/zones/{id}/propose", OrgRead, get(proposal)),
        route!(
            POST,
            "/o/{org}/zones/{id}/propose",
            OrgWrite,
            post(apply_proposal)
        ),
        route!(GET, "/o/{org}/zones/{id}/crs", OrgRead, get(crs_page)),
        route!(GET, "/o/{org}/zones/{id}/crs.xlsx", OrgRead, get(crs_xlsx)),
    ]
}

pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn date_text(d: Option<time::Date>) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    d.and_then(|d| d.format(format).ok()).unwrap_or_default()
}

fn col(name: String, width: f64, wrap: bool) -> Column {
    Column { name, width, wrap }
}

/// A rating as words: `Likely × Major (Production and availability)`.
fn rating_text(tr: &Tr, m: &RiskMethod, r: &Rating) -> (String, String) {
    let l = m.likelihood.step(r.likelihood).map_or_else(
        || r.likelihood.to_string(),
        |s| format!("{} {}", r.likelihood, pick(tr, &s.label_ja, &s.label_en)),
    );
    let cats: Vec<String> = r
        .consequences
        .iter()
        .map(|(id, v)| {
            let name = m
                .categories
                .iter()
                .find(|c| &c.id == id)
                .map_or(id.as_str(), |c| pick(tr, &c.label_ja, &c.label_en));
            format!("{name} {v}")
        })
        .collect();
    let c = m.consequence.step(r.consequence).map_or_else(
        || r.consequence.to_string(),
        |s| format!("{} {}", r.consequence, pick(tr, &s.label_ja, &s.label_en)),
    );
    (l, format!("{c} ({})", cats.join(", ")))
}

// ---------------------------------------------------------------------------------------
// The register's export

pub(crate) struct Register {
    pub org: Organization,
    risks: Vec<Risk>,
    methods: Methods,
    names: HashMap<Uuid, String>,
    systems: HashMap<Uuid, String>,
    zones: HashMap<Uuid, String>,
    assets: HashMap<Uuid, Asset>,
    filtered: bool,
}

/// The register of the caller's organization, filtered and sorted as `q` says. A bad query is
/// [`StoreError::Invalid`] naming the parameter.
pub(crate) async fn register(
    state: &AppState,
    org: Organization,
    q: &RegisterQuery,
) -> Result<Register, StoreError> {
    let store = state.store();
    let (risks, systems, zones, members) = tokio::try_join!(
        store.risks(org.id),
        store.systems(org.id),
        store.zones(org.id),
        store.members(org.id),
    )?;
    let methods = Methods::load(state, org.id, &risks).await?;
    let assets = named_assets(state, org.id, &risks).await?;
    let (filter, sort) = q.parse(&methods.current.method)?;
    let today = today(&org);
    let za = zone_assets(&filter, &assets);
    let mut risks: Vec<Risk> = risks
        .into_iter()
        .filter(|r| filter.matches(r, &za, today))
        .collect();
    reg::sort(&mut risks, sort);
    Ok(Register {
        filtered: filter != RiskFilter::default(),
        names: members
            .into_iter()
            .map(|m| (m.user.id, m.user.display_name))
            .collect(),
        systems: systems.into_iter().map(|s| (s.id, s.name)).collect(),
        zones: zones.into_iter().map(|z| (z.id, z.name)).collect(),
        org,
        risks,
        methods,
        assets,
    })
}

/// The register as one sheet, in the reader's language.
pub(crate) fn register_sheet(tr: &Tr, r: &Register) -> Sheet {
    let t = |k: &str| tr.t(k);
    let columns = vec![
        col(t("reg-export-code"), 9.0, false),
        col(t("reg-export-title"), 36.0, true),
        col(t("reg-export-kind"), 12.0, false),
        col(t("reg-export-scope"), 30.0, true),
        col(t("reg-export-threat-source"), 22.0, true),
        col(t("reg-export-threat-vector"), 22.0, true),
        col(t("reg-export-vulnerability"), 30.0, true),
        col(t("reg-export-scenario"), 40.0, true),
        col(t("reg-export-existing-controls"), 30.0, true),
        col(t("reg-export-inherent-likelihood"), 14.0, true),
        col(t("reg-export-inherent-consequence"), 24.0, true),
        col(t("reg-export-inherent-level"), 10.0, false),
        col(t("reg-export-treatment"), 10.0, false),
        col(t("reg-export-planned-controls"), 36.0, true),
        col(t("reg-export-residual-likelihood"), 14.0, true),
        col(t("reg-export-residual-consequence"), 24.0, true),
        col(t("reg-export-residual-level"), 10.0, false),
        col(t("reg-export-level"), 10.0, false),
        col(t("reg-export-owner"), 16.0, false),
        col(t("reg-export-due"), 11.0, false),
        col(t("reg-export-review"), 11.0, false),
        col(t("reg-export-triggers"), 24.0, true),
        col(t("reg-export-acceptance"), 36.0, true),
        col(t("reg-export-method"), 16.0, true),
    ];
    let rows = r
        .risks
        .iter()
        .map(|risk| {
            let m = r.methods.of(risk);
            let n = m.levels.len();
            let mut scope: Vec<String> = Vec::new();
            if let Some(s) = risk.system_id.and_then(|s| r.systems.get(&s)) {
                scope.push(s.clone());
            }
            scope.extend(risk.zone_ids.iter().filter_map(|z| r.zones.get(z).cloned()));
            scope.extend(risk.asset_ids.iter().filter_map(|a| {
                r.assets
                    .get(a)
                    .map(|a| format!("{} {}", a.asset_tag, a.name))
            }));
            let (il, ic) = rating_text(tr, m, &risk.inherent);
            let (rl, rc, rlevel) = match &risk.residual {
                Some(res) => {
                    let (l, c) = rating_text(tr, m, res);
                    (l, c, level_cell(tr, m, res.level, n))
                }
                None => (String::new(), String::new(), Cell::Empty),
            };
            let acceptance = risk.acceptance.as_ref().map_or(String::new(), |a| {
                format!("{} {} — {}", a.by_name, tr.datetime(&a.at), a.reason)
            });
            vec![
                Cell::text(&risk.code),
                Cell::text(&risk.title),
                Cell::text(kind_label(tr, risk.kind)),
                Cell::text(scope.join("\n")),
                Cell::text(&risk.threat_source),
                Cell::text(&risk.threat_vector),
                Cell::text(&risk.vulnerability),
                Cell::text(&risk.scenario),
                Cell::text(&risk.existing_controls),
                Cell::text(il),
                Cell::text(ic),
                level_cell(tr, m, risk.inherent.level, n),
                Cell::text(treatment_label(tr, risk.treatment)),
                Cell::text(&risk.planned_controls),
                Cell::text(rl),
                Cell::text(rc),
                rlevel,
                level_cell(tr, m, risk.level(), n),
                Cell::text(
                    risk.owner_id
                        .and_then(|o| r.names.get(&o).cloned())
                        .unwrap_or_default(),
                ),
                Cell::text(date_text(risk.due_date)),
                Cell::text(date_text(risk.review_date)),
                Cell::text(
                    risk.triggers
                        .iter()
                        .map(|t| trigger_label(tr, *t))
                        .chain((!risk.trigger_notes.is_empty()).then(|| risk.trigger_notes.clone()))
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                Cell::text(acceptance),
                Cell::text(if r.methods.is_current(risk) {
                    t("reg-export-method-current")
                } else {
                    format!(
                        "{} {}",
                        t("reg-export-method-earlier"),
                        &risk.method[..12.min(risk.method.len())]
                    )
                }),
            ]
        })
        .collect();
    let method = &r.methods.current.method;
    Sheet {
        name: t("reg-export-register-sheet"),
        title: format!("{} — {}", t("reg-export-register-title"), r.org.name),
        header: vec![
            (t("reg-export-organization"), r.org.name.clone()),
            (
                t("reg-export-generated"),
                tr.datetime(&csms_domain::time::now()),
            ),
            (
                t("reg-export-tolerable"),
                level_label(tr, method, method.tolerable),
            ),
            (
                t("reg-export-count"),
                if r.filtered {
                    tr.t1("reg-export-count-filtered", "count", r.risks.len())
                } else {
                    r.risks.len().to_string()
                },
            ),
        ],
        columns,
        rows,
    }
}

fn level_cell(tr: &Tr, m: &RiskMethod, level: usize, levels: usize) -> Cell {
    csms_report::register::level_cell(&level_label(tr, m, level), level, levels)
}

pub(crate) fn export_name(org: &Organization, what: &str, ext: &str) -> String {
    let date = date_text(Some(today(org)));
    format!("{}-{what}-{date}.{ext}", org.slug)
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<RegisterQuery>,
) -> Response {
    let r = match register(&state, org_of(&caller), &q).await {
        Ok(r) => r,
        Err(e) => return fail(&caller, &e),
    };
    let sheet = register_sheet(&caller.tr, &r);
    let lang = caller.tr.lang.code();
    match tokio::task::spawn_blocking(move || csms_report::register::workbook(&[sheet], lang)).await
    {
        Ok(Ok(bytes)) => download(bytes, XLSX, &export_name(&r.org, "risks", "xlsx")),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "risk register export failed");
            error_page(
                &caller,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-internal-page",
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "risk register export panicked");
            error_page(
                &caller,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-internal-page",
            )
        }
    }
}

pub async fn export_csv(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<RegisterQuery>,
) -> Response {
    let r = match register(&state, org_of(&caller), &q).await {
        Ok(r) => r,
        Err(e) => return fail(&caller, &e),
    };
    let csv = csms_report::table::csv(&register_sheet(&caller.tr, &r));
    download(
        csv.into_bytes(),
        "text/csv; charset=utf-8",
        &export_name(&r.org, "risks", "csv"),
    )
}

// ---------------------------------------------------------------------------------------
// SL-T proposed from risk (ZCR 5)

/// What the proposal rests on.
pub(crate) struct Basis {
    pub zone: Zone,
    pub risks: Vec<Risk>,
    pub method: RiskMethod,
    /// The worst unmitigated (inherent) level index, if the zone has risks.
    pub worst: Option<usize>,
    pub proposal: SlVector,
}

pub(crate) async fn basis(
    state: &AppState,
    org: &Organization,
    zone_id: Uuid,
) -> Result<Basis, StoreError> {
    let store = state.store();
    let (zone, risks, method) = tokio::try_join!(
        store.zone(org.id, zone_id),
        store.zone_risks(org.id, zone_id),
        store.risk_method(org.id),
    )?;
    let method = method.method;
    let rank = reg::worst_unmitigated_rank(&method, &risks);
    let worst = risks.iter().map(|r| r.inherent.level).max();
    let proposal = propose_target(rank, method.levels.len() as u8);
    Ok(Basis {
        zone,
        risks,
        method,
        worst,
        proposal,
    })
}

pub struct FrChoice {
    pub fr: Fr,
    pub label: String,
    pub current: u8,
    pub proposed: u8,
    pub chosen: u8,
}

pub struct RiskLine {
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub level: String,
    pub class: String,
    pub worst: bool,
}

#[derive(Template)]
#[template(path = "sl_proposal.html")]
struct ProposalPage {
    ctx: Ctx,
    org: Organization,
    section: &'static str,
    zone: Zone,
    risks: Vec<RiskLine>,
    worst: String,
    proposal: String,
    frs: Vec<FrChoice>,
    justification: String,
    can_write: bool,
    error: Option<FieldError>,
}

impl ProposalPage {
    fn levels(&self) -> [u8; 5] {
        [0, 1, 2, 3, 4]
    }
}

fn risk_lines(tr: &Tr, b: &Basis) -> Vec<RiskLine> {
    let n = b.method.levels.len();
    let mut risks: Vec<&Risk> = b.risks.iter().collect();
    risks.sort_by(|x, y| {
        y.inherent
            .level
            .cmp(&x.inherent.level)
            .then(x.code.cmp(&y.code))
    });
    risks
        .into_iter()
        .map(|r| RiskLine {
            id: r.id,
            code: r.code.clone(),
            title: r.title.clone(),
            level: level_label(tr, &b.method, r.inherent.level),
            class: level_class(r.inherent.level, n),
            worst: Some(r.inherent.level) == b.worst,
        })
        .collect()
}

async fn proposal_page(
    state: &AppState,
    caller: &Caller,
    b: Basis,
    chosen: Option<SlVector>,
    justification: Option<String>,
    error: Option<(StatusCode, FieldError)>,
) -> Response {
    let org = org_of(caller);
    let tr = &caller.tr;
    let mut ctx = Ctx::new(
        state,
        caller,
        "assets",
        &format!("/o/{}/zones/{}/propose", org.slug, b.zone.id),
    )
    .await;
    let status = match &error {
        Some((s, e)) => {
            ctx.error(tr.t1("error-invalid", "reason", e));
            *s
        }
        None => StatusCode::OK,
    };
    // The form starts from the zone's current SL-T: adopting the proposal is its own button.
    let chosen = chosen.unwrap_or(b.zone.sl_t);
    let frs = Fr::ALL
        .into_iter()
        .map(|fr| FrChoice {
            fr,
            label: if tr.lang.code() == "ja" {
                fr.label_ja().to_owned()
            } else {
                fr.label_en().to_owned()
            },
            current: b.zone.sl_t.get(fr),
            proposed: b.proposal.get(fr),
            chosen: chosen.get(fr),
        })
        .collect();
    let page = ProposalPage {
        risks: risk_lines(tr, &b),
        worst: b
            .worst
            .map(|w| level_label(tr, &b.method, w))
            .unwrap_or_default(),
        proposal: b.proposal.to_string(),
        frs,
        justification: justification.unwrap_or_else(|| b.zone.sl_t_justification.clone()),
        can_write: caller.may(Perm::OrgWrite),
        error: error.map(|(_, e)| e),
        zone: b.zone,
        org,
        section: "zones",
        ctx,
    };
    (status, render(&page)).into_response()
}

pub async fn proposal(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
) -> Response {
    let org = org_of(&caller);
    match basis(&state, &org, id).await {
        Ok(b) => proposal_page(&state, &caller, b, None, None, None).await,
        Err(e) => fail(&caller, &e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProposalForm {
    /// The zone version the form was made from.
    pub version: Option<i64>,
    /// The proposal the user saw (`3,3,3,3,3,3,3`); refused when the risks have moved it.
    pub proposal: Option<String>,
    pub fr1: Option<u8>,
    pub fr2: Option<u8>,
    pub fr3: Option<u8>,
    pub fr4: Option<u8>,
    pub fr5: Option<u8>,
    pub fr6: Option<u8>,
    pub fr7: Option<u8>,
    pub justification: String,
    /// `1`: record the proposal itself for every FR.
    pub adopt: Option<String>,
}

impl ProposalForm {
    fn chosen(&self) -> Option<Result<SlVector, FieldError>> {
        let v = [
            self.fr1?, self.fr2?, self.fr3?, self.fr4?, self.fr5?, self.fr6?, self.fr7?,
        ];
        Some(SlVector::new(v))
    }
}

/// Records the SL-T chosen against the proposal. A post without the chosen levels (the
/// zone page's button) shows the proposal instead; a proposal that moved since the form was
/// shown, or a stale zone version, is refused (409) and the page shows the new state.
pub async fn apply_proposal(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<ProposalForm>,
) -> Response {
    let org = org_of(&caller);
    let b = match basis(&state, &org, id).await {
        Ok(b) => b,
        Err(e) => return fail(&caller, &e),
    };
    let (Some(version), Some(shown)) = (form.version, form.proposal.as_deref()) else {
        return proposal_page(&state, &caller, b, None, None, None).await;
    };
    let adopt = form.adopt.as_deref() == Some("1");
    let chosen = match form.chosen() {
        _ if adopt => SlVector::parse(shown).unwrap_or(b.proposal),
        None => {
            return proposal_page(&state, &caller, b, None, None, None).await;
        }
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            let j = form.justification.clone();
            return proposal_page(
                &state,
                &caller,
                b,
                None,
                Some(j),
                Some((StatusCode::UNPROCESSABLE_ENTITY, e)),
            )
            .await;
        }
    };
    if SlVector::parse(shown).ok() != Some(b.proposal) {
        let e = FieldError {
            field: "proposal",
            message: caller.tr.t1("proposal-moved", "proposal", b.proposal),
        };
        return proposal_page(
            &state,
            &caller,
            b,
            Some(chosen),
            Some(form.justification),
            Some((StatusCode::CONFLICT, e)),
        )
        .await;
    }
    let zone = &b.zone;
    let new = NewZone {
        name: zone.name.clone(),
        description: zone.description.clone(),
        system_id: zone.system_id,
        sl_t: chosen,
        sl_t_proposed: Some(b.proposal),
        sl_t_justification: form.justification.clone(),
    };
    match state
        .store()
        .update_zone(&caller.actor(), org.id, id, version, new)
        .await
    {
        Ok(_) => Redirect::to(&format!("/o/{}/zones/{id}?notice=saved", org.slug)).into_response(),
        Err(StoreError::Invalid(e)) => {
            proposal_page(
                &state,
                &caller,
                b,
                Some(chosen),
                Some(form.justification),
                Some((StatusCode::UNPROCESSABLE_ENTITY, e)),
            )
            .await
        }
        Err(e @ StoreError::Conflict { .. }) => {
            let (_, msg) = store_error(&caller.tr, &e);
            let fresh = match basis(&state, &org, id).await {
                Ok(b) => b,
                Err(e) => return fail(&caller, &e),
            };
            proposal_page(
                &state,
                &caller,
                fresh,
                Some(chosen),
                Some(form.justification),
                Some((
                    StatusCode::CONFLICT,
                    FieldError {
                        field: "version",
                        message: msg,
                    },
                )),
            )
            .await
        }
        Err(e) => fail(&caller, &e),
    }
}

// ---------------------------------------------------------------------------------------
// The Cybersecurity Requirements Specification (ZCR 6)

/// The FR of a 62443-3-3 reference (`SR 3.2 RE 1` → FR 3).
fn fr_of_ref(reference: &str) -> Option<Fr> {
    let rest = reference.strip_prefix("SR ")?;
    let (n, _) = rest.split_once('.')?;
    Fr::from_number(n.parse().ok()?)
}

pub struct ReqLine {
    pub reference: String,
    pub title: String,
    pub from_level: u8,
    /// `met`, `partial`, `not-met`, `not-applicable`, `not-assessed`.
    pub status: &'static str,
    pub status_label: String,
    pub href: String,
}

pub struct FrSection {
    pub fr: Fr,
    pub label: String,
    pub target: u8,
    pub proposed: Option<u8>,
    pub achieved: Option<u8>,
    pub reqs: Vec<ReqLine>,
}

pub struct ConduitLine {
    pub name: String,
    pub other: String,
    pub direction: &'static str,
    pub channels: String,
    pub description: String,
}

pub struct AssetLine {
    pub id: Uuid,
    pub tag: String,
    pub name: String,
    pub kind: String,
    pub product: String,
    pub firmware: String,
    pub purdue: String,
    pub sl_c: String,
    pub below: String,
}

/// Everything a CRS shows.
pub(crate) struct Crs {
    pub org: Organization,
    pub zone: Zone,
    system: String,
    assets: Vec<AssetLine>,
    assets_total: usize,
    conduits: Vec<ConduitLine>,
    frs: Vec<FrSection>,
    risks: Vec<RiskLine>,
    worst: String,
    proposal: String,
    tolerable: String,
    assessment: Option<(Uuid, String, bool)>,
    generated: String,
}

/// At most this many assets are listed in a CRS (the zone's asset list has the rest).
const CRS_ASSETS: i64 = 1_000;

pub(crate) async fn crs(
    state: &AppState,
    caller: &Caller,
    zone_id: Uuid,
) -> Result<Crs, StoreError> {
    let org = org_of(caller);
    let tr = &caller.tr;
    let store = state.store();
    let b = basis(state, &org, zone_id).await?;
    let (zones, conduits, systems) = tokio::try_join!(
        store.zones(org.id),
        store.conduits(org.id),
        store.systems(org.id),
    )?;
    let page = store
        .assets(
            org.id,
            &AssetFilter {
                zone_id: Some(zone_id),
                limit: CRS_ASSETS,
                ..Default::default()
            },
        )
        .await?;
    let assets_total = store
        .zone_asset_counts(org.id)
        .await?
        .get(&zone_id)
        .copied()
        .unwrap_or(0) as usize;
    let zone = b.zone.clone();
    let security = super::inventory::zone_securities(state, &org, std::slice::from_ref(&zone))
        .await?
        .remove(&zone.id);
    let assessment = security
        .as_ref()
        .and_then(|s| s.assessment.as_ref())
        .map(|a| (a.assessment.id, a.assessment.title.clone(), a.provisional));
    let outcomes: HashMap<String, Outcome> = match &assessment {
        Some((aid, ..)) => store
            .results(org.id, *aid)
            .await?
            .into_iter()
            .map(|r| (r.node_ref, r.outcome))
            .collect(),
        None => HashMap::new(),
    };
    let library = state.library().for_org(store, org.id).await?;
    let fw = library.framework(SR_FRAMEWORK).cloned();
    let names: HashMap<Uuid, &str> = zones.iter().map(|z| (z.id, z.name.as_str())).collect();
    let frs = Fr::ALL
        .into_iter()
        .map(|fr| {
            let target = zone.sl_t.get(fr);
            let reqs = fw
                .as_ref()
                .map(|fw| {
                    fw.walk()
                        .into_iter()
                        .enumerate()
                        .filter_map(|(index, (i, _))| {
                            let n = &fw.catalog.nodes[i];
                            let from = n.security_levels.iter().min().copied()?;
                            if !n.assessable || fr_of_ref(&n.reference) != Some(fr) || from > target
                            {
                                return None;
                            }
                            let outcome = assessment.as_ref().map(|_| {
                                outcomes
                                    .get(&n.reference)
                                    .copied()
                                    .unwrap_or(Outcome::NotAssessed)
                            });
                            let status = match outcome {
                                Some(Outcome::Conformant) => "met",
                                Some(Outcome::Partial) => "partial",
                                Some(Outcome::Nonconformant) => "not-met",
                                Some(Outcome::NotApplicable) => "not-applicable",
                                _ => "not-assessed",
                            };
                            Some(ReqLine {
                                reference: n.reference.clone(),
                                title: super::assessment::pick(tr, &n.title).to_owned(),
                                from_level: from,
                                status,
                                status_label: tr.t(&format!("crs-req-{status}")),
                                href: match &assessment {
                                    Some((aid, ..)) => {
                                        format!("/o/{}/assessments/{aid}/work#r-{index}", org.slug)
                                    }
                                    None => format!(
                                        "/o/{}/requirements/{SR_FRAMEWORK}/node?ref={}",
                                        org.slug,
                                        super::inventory::enc(&n.reference)
                                    ),
                                },
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            FrSection {
                fr,
                label: if tr.lang.code() == "ja" {
                    fr.label_ja().to_owned()
                } else {
                    fr.label_en().to_owned()
                },
                target,
                proposed: zone.sl_t_proposed.map(|p| p.get(fr)),
                achieved: security.as_ref().and_then(|s| s.sl_a).map(|a| a.get(fr)),
                reqs,
            }
        })
        .collect();
    let conduits = conduits
        .iter()
        .filter(|c| c.from_zone_id == zone.id || c.to_zone_id == zone.id)
        .map(|c: &Conduit| {
            let outgoing = c.from_zone_id == zone.id;
            let other = if outgoing {
                c.to_zone_id
            } else {
                c.from_zone_id
            };
            let one_way = super::inventory::one_way(c);
            ConduitLine {
                name: c.name.clone(),
                other: names
                    .get(&other)
                    .map_or_else(String::new, |s| (*s).to_owned()),
                direction: match (one_way, outgoing) {
                    (false, _) => "both",
                    (true, true) => "out",
                    (true, false) => "in",
                },
                channels: super::inventory::channel_label(c),
                description: c.description.clone(),
            }
        })
        .collect();
    let assets = page
        .assets
        .iter()
        .map(|a| AssetLine {
            id: a.id,
            tag: a.asset_tag.clone(),
            name: a.name.clone(),
            kind: super::inventory::type_label(tr, a.asset_type),
            product: [
                a.vendor.as_str(),
                a.product_family.as_str(),
                a.model.as_str(),
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
            firmware: a.firmware_version.clone(),
            purdue: a.purdue_level.clone().unwrap_or_default(),
            sl_c: a.sl_c.map(|v| v.to_string()).unwrap_or_default(),
            below: super::inventory::below_target(a.sl_c, zone.sl_t)
                .iter()
                .map(|f| f.code().to_owned())
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    Ok(Crs {
        system: zone
            .system_id
            .and_then(|s| systems.iter().find(|x| x.id == s))
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        assets,
        assets_total,
        conduits,
        frs,
        risks: risk_lines(tr, &b),
        worst: b
            .worst
            .map(|w| level_label(tr, &b.method, w))
            .unwrap_or_default(),
        proposal: b.proposal.to_string(),
        tolerable: level_label(tr, &b.method, b.method.tolerable),
        assessment,
        generated: tr.datetime(&csms_domain::time::now()),
        zone,
        org,
    })
}

#[derive(Template)]
#[template(path = "crs.html")]
struct CrsPage {
    ctx: Ctx,
    org: Organization,
    section: &'static str,
    c: Crs,
    diagram: String,
}

impl CrsPage {
    fn direction_key(&self, d: &str) -> String {
        format!("crs-direction-{d}")
    }

    fn status_class(&self, s: &str) -> &'static str {
        match s {
            "met" => "ok",
            "partial" => "warn",
            "not-met" => "danger",
            _ => "neutral",
        }
    }
}

pub async fn crs_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
) -> Response {
    let c = match crs(&state, &caller, id).await {
        Ok(c) => c,
        Err(e) => return fail(&caller, &e),
    };
    let diagram = super::inventory::diagram_svg(&state, &c.org, &caller.tr, Some(id))
        .await
        .unwrap_or_default();
    let ctx = Ctx::new(
        &state,
        &caller,
        "assets",
        &format!("/o/{}/zones/{id}/crs", c.org.slug),
    )
    .await;
    render(&CrsPage {
        ctx,
        org: c.org.clone(),
        section: "zones",
        c,
        diagram,
    })
}

/// The CRS as a workbook: the zone (identification, boundary, SL), its assets, conduits,
/// requirements and risks, one sheet each.
pub(crate) fn crs_sheets(tr: &Tr, c: &Crs) -> Vec<Sheet> {
    let t = |k: &str| tr.t(k);
    let head = vec![
        (t("reg-export-organization"), c.org.name.clone()),
        (t("crs-zone"), c.zone.name.clone()),
        (t("reg-export-generated"), c.generated.clone()),
    ];
    let sheet = |name: &str, title: String, columns: Vec<Column>, rows: Vec<Vec<Cell>>| Sheet {
        name: name.to_owned(),
        title,
        header: head.clone(),
        columns,
        rows,
    };
    let mut overview = vec![
        vec![Cell::text(t("crs-zone")), Cell::text(&c.zone.name)],
        vec![Cell::text(t("crs-system")), Cell::text(&c.system)],
        vec![
            Cell::text(t("crs-description")),
            Cell::text(&c.zone.description),
        ],
        vec![
            Cell::text(t("crs-sl-t")),
            Cell::text(c.zone.sl_t.labeled(csms_domain::zone::SlKind::Target)),
        ],
        vec![
            Cell::text(t("crs-sl-proposed")),
            Cell::text(
                c.zone
                    .sl_t_proposed
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
            ),
        ],
        vec![
            Cell::text(t("crs-justification")),
            Cell::text(&c.zone.sl_t_justification),
        ],
        vec![Cell::text(t("crs-worst-risk")), Cell::text(&c.worst)],
        vec![Cell::text(t("crs-risk-proposal")), Cell::text(&c.proposal)],
        vec![Cell::text(t("crs-tolerable")), Cell::text(&c.tolerable)],
    ];
    if let Some((_, title, provisional)) = &c.assessment {
        overview.push(vec![
            Cell::text(t("crs-assessment")),
            Cell::text(if *provisional {
                format!("{title} ({})", t("crs-provisional"))
            } else {
                title.clone()
            }),
        ]);
    }
    let frs = c
        .frs
        .iter()
        .flat_map(|f| {
            let fr = format!("{} {}", f.fr.code(), f.label);
            f.reqs.iter().map(move |r| {
                vec![
                    Cell::text(&fr),
                    Cell::Number(f64::from(f.target)),
                    f.achieved
                        .map_or(Cell::Empty, |a| Cell::Number(f64::from(a))),
                    Cell::text(&r.reference),
                    Cell::text(&r.title),
                    Cell::Number(f64::from(r.from_level)),
                    Cell::text(&r.status_label),
                ]
            })
        })
        .collect();
    vec![
        sheet(
            &t("crs-sheet-zone"),
            format!("{} — {}", t("crs-title"), c.zone.name),
            vec![
                col(t("crs-item"), 24.0, false),
                col(t("crs-value"), 80.0, true),
            ],
            overview,
        ),
        sheet(
            &t("crs-sheet-requirements"),
            t("crs-requirements"),
            vec![
                col(t("crs-fr"), 30.0, true),
                col(t("crs-sl-t"), 8.0, false),
                col(t("crs-sl-a"), 8.0, false),
                col(t("crs-reference"), 14.0, false),
                col(t("crs-requirement"), 50.0, true),
                col(t("crs-from-level"), 10.0, false),
                col(t("crs-status"), 14.0, false),
            ],
            frs,
        ),
        sheet(
            &t("crs-sheet-assets"),
            t("crs-assets"),
            vec![
                col(t("crs-asset-tag"), 14.0, false),
                col(t("crs-asset-name"), 30.0, true),
                col(t("crs-asset-type"), 16.0, false),
                col(t("crs-asset-product"), 30.0, true),
                col(t("crs-asset-firmware"), 14.0, false),
                col(t("crs-asset-purdue"), 8.0, false),
                col(t("crs-asset-sl-c"), 16.0, false),
                col(t("crs-asset-below"), 18.0, false),
            ],
            c.assets
                .iter()
                .map(|a| {
                    vec![
                        Cell::text(&a.tag),
                        Cell::text(&a.name),
                        Cell::text(&a.kind),
                        Cell::text(&a.product),
                        Cell::text(&a.firmware),
                        Cell::text(&a.purdue),
                        Cell::text(&a.sl_c),
                        Cell::text(&a.below),
                    ]
                })
                .collect(),
        ),
        sheet(
            &t("crs-sheet-conduits"),
            t("crs-conduits"),
            vec![
                col(t("crs-conduit"), 30.0, true),
                col(t("crs-conduit-other"), 30.0, true),
                col(t("crs-conduit-direction"), 12.0, false),
                col(t("crs-conduit-channels"), 36.0, true),
                col(t("crs-description"), 40.0, true),
            ],
            c.conduits
                .iter()
                .map(|l| {
                    vec![
                        Cell::text(&l.name),
                        Cell::text(&l.other),
                        Cell::text(t(&format!("crs-direction-{}", l.direction))),
                        Cell::text(&l.channels),
                        Cell::text(&l.description),
                    ]
                })
                .collect(),
        ),
        sheet(
            &t("crs-sheet-risks"),
            t("crs-risks"),
            vec![
                col(t("reg-export-code"), 9.0, false),
                col(t("reg-export-title"), 50.0, true),
                col(t("reg-export-inherent-level"), 12.0, false),
            ],
            c.risks
                .iter()
                .map(|r| {
                    vec![
                        Cell::text(&r.code),
                        Cell::text(&r.title),
                        Cell::text(&r.level),
                    ]
                })
                .collect(),
        ),
    ]
}

pub async fn crs_xlsx(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
) -> Response {
    let c = match crs(&state, &caller, id).await {
        Ok(c) => c,
        Err(e) => return fail(&caller, &e),
    };
    let sheets = crs_sheets(&caller.tr, &c);
    let lang = caller.tr.lang.code();
    let name = export_name(&c.org, &format!("crs-{}", &id.to_string()[..8]), "xlsx");
    match tokio::task::spawn_blocking(move || csms_report::register::workbook(&sheets, lang)).await
    {
        Ok(Ok(bytes)) => download(bytes, XLSX, &name),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "CRS export failed");
            error_page(
                &caller,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-internal-page",
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "CRS export panicked");
            error_page(
                &caller,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-internal-page",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fr_of_a_reference() {
        assert_eq!(fr_of_ref("SR 3.2 RE 1"), Fr::from_number(3));
        assert_eq!(fr_of_ref("SR 7.8"), Fr::from_number(7));
        assert_eq!(fr_of_ref("FR 1"), None);
        assert_eq!(fr_of_ref("SR x.1"), None);
    }

    #[test]
    fn a_form_without_every_level_chooses_nothing() {
        let mut f = ProposalForm {
            fr1: Some(3),
            ..Default::default()
        };
        assert!(f.chosen().is_none());
        f = ProposalForm {
            fr1: Some(3),
            fr2: Some(3),
            fr3: Some(2),
            fr4: Some(2),
            fr5: Some(1),
            fr6: Some(1),
            fr7: Some(9),
            ..Default::default()
        };
        assert!(f.chosen().unwrap().is_err());
    }
}
