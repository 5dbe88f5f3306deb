//! The Statement of Applicability (適用宣言書) pages: the statement of the organization's
//! chosen framework (default the JIPDEC criteria's clause 5) with inline editing of each item,
//! additional items, approval, version history, the diff between two versions and the XLSX.
//!
//! What the pages, the API and the report renderers share lives here too: loading a version
//! with its names resolved ([`Loaded`]) and building the [`SoaReport`] the XLSX and the PDF are
//! made from ([`soa_report`]).

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use csms_domain::Uuid;
use csms_domain::control::Control;
use csms_domain::document::{EvidenceRef, EvidenceTarget};
use csms_domain::org::{FieldError, Organization};
use csms_domain::register::Risk;
use csms_domain::soa::{
    self, Applicability, CandidateNode, DiffKind, ImplStatus, ItemDecision, NewAdditional,
    ReasonKind, SoaItem, SoaVersion,
};
use csms_report::soa::{SoaLabels, SoaReport, SoaRow};
use csms_store::StoreError;
use serde::Deserialize;

use super::org::{org_of, store_error};
use super::{Ctx, Notice, error_page, render};
use crate::AppState;
use crate::authz::{Caller, Perm};
use crate::i18n::Tr;
use crate::library::{Indexed, OrgLibrary};
use crate::routes::{Route, route};

/// Message keys this module builds at run time (checked to exist in both languages).
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const DYNAMIC_KEYS: &[&str] = &[
    "soa-applicability-undecided",
    "soa-applicability-applicable",
    "soa-applicability-excluded",
    "soa-status-not-started",
    "soa-status-planned",
    "soa-status-partial",
    "soa-status-implemented",
    "soa-reason-risk-treatment",
    "soa-reason-legal-contractual",
    "soa-reason-business-need",
    "soa-field-title",
    "soa-field-applicability",
    "soa-field-reasons",
    "soa-field-reason-text",
    "soa-field-risks",
    "soa-field-exclusion",
    "soa-field-status",
    "soa-field-controls",
    "soa-diff-added",
    "soa-diff-removed",
    "soa-diff-changed",
    "notice-soa-draft-started",
    "notice-soa-approved",
    "notice-soa-item-added",
    "notice-soa-item-removed",
];

pub(crate) fn routes() -> Vec<Route> {
    vec![
        route!(GET, "/o/{org}/soa", OrgRead, get(soa_page)),
        route!(POST, "/o/{org}/soa/draft", OrgWrite, post(start_draft)),
        route!(GET, "/o/{org}/soa/diff", OrgRead, get(diff_page)),
        route!(POST, "/o/{org}/soa/items", OrgWrite, post(add_item)),
        route!(GET, "/o/{org}/soa/items/{id}", OrgRead, get(item_row)),
        route!(POST, "/o/{org}/soa/items/{id}", OrgWrite, post(save_item)),
        route!(
            GET,
            "/o/{org}/soa/items/{id}/edit",
            OrgWrite,
            get(edit_item)
        ),
        route!(
            POST,
            "/o/{org}/soa/items/{id}/delete",
            OrgWrite,
            post(remove_item)
        ),
        route!(
            POST,
            "/o/{org}/soa/versions/{id}/approve",
            OrgManage,
            post(approve)
        ),
        route!(
            GET,
            "/o/{org}/soa/versions/{id}/soa.xlsx",
            OrgRead,
            get(download_xlsx)
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// Shared with the API and the report renderers

/// Whether the reader reads Japanese.
fn ja(tr: &Tr) -> bool {
    tr.lang.code() == "ja"
}

pub(crate) fn applicability_label(tr: &Tr, a: Applicability) -> String {
    tr.t(&format!("soa-applicability-{}", a.as_str()))
}

pub(crate) fn status_label(tr: &Tr, s: ImplStatus) -> String {
    tr.t(&format!("soa-status-{}", s.as_str().replace('_', "-")))
}

pub(crate) fn reason_label(tr: &Tr, r: ReasonKind) -> String {
    tr.t(&format!("soa-reason-{}", r.as_str().replace('_', "-")))
}

/// The refs a statement for this framework lists (its candidates, in tree order).
pub(crate) fn candidate_refs(f: &Indexed) -> Vec<String> {
    let walk = f.walk();
    let kinds: Vec<String> = f
        .catalog
        .nodes
        .iter()
        .map(|n| {
            serde_json::to_value(n.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect();
    let nodes: Vec<CandidateNode<'_>> = walk
        .iter()
        .map(|&(i, _)| {
            let n = &f.catalog.nodes[i];
            CandidateNode {
                reference: &n.reference,
                parent: n.parent.as_deref(),
                kind: &kinds[i],
                assessable: n.assessable,
            }
        })
        .collect();
    soa::candidates(f.id(), &nodes)
}

/// The frameworks of the organization a statement can be made for: (id, name).
pub(crate) fn eligible_frameworks(tr: &Tr, lib: &OrgLibrary) -> Vec<(String, String)> {
    lib.frameworks
        .iter()
        .filter(|f| !candidate_refs(f).is_empty())
        .map(|f| {
            let n = &f.catalog.framework.name;
            (
                f.id().to_owned(),
                if ja(tr) { n.ja.clone() } else { n.en.clone() },
            )
        })
        .collect()
}

/// A version with everything shown beside its items.
pub(crate) struct Loaded {
    pub version: SoaVersion,
    pub items: Vec<SoaItem>,
    pub framework: Option<Arc<Indexed>>,
    pub controls: HashMap<Uuid, Control>,
    /// Evidence per item ref: documents linked to the SoA item or to the requirement.
    pub evidence: HashMap<String, Vec<EvidenceRef>>,
}

impl Loaded {
    pub(crate) async fn load(
        state: &AppState,
        org_id: Uuid,
        version_id: Uuid,
    ) -> Result<Loaded, StoreError> {
        let store = state.store();
        let version = store.soa_version(org_id, version_id).await?;
        let (items, controls, lib, by_item, by_req) = tokio::try_join!(
            store.soa_items(org_id, version_id),
            store.controls(org_id),
            state.library().for_org(store, org_id),
            store.evidence_of_kind(org_id, "soa_item"),
            store.evidence_of_kind(org_id, "requirement"),
        )?;
        let framework = lib.framework(&version.framework).cloned();
        let mut evidence: HashMap<String, Vec<EvidenceRef>> = HashMap::new();
        for (target, e) in by_item.into_iter().chain(by_req) {
            let (EvidenceTarget::SoaItem {
                framework,
                node_ref,
            }
            | EvidenceTarget::Requirement {
                framework,
                node_ref,
            }) = target
            else {
                continue;
            };
            if framework == version.framework {
                let list = evidence.entry(node_ref).or_default();
                if !list.iter().any(|x| x.document_id == e.document_id) {
                    list.push(e);
                }
            }
        }
        Ok(Loaded {
            version,
            items,
            framework,
            controls: controls.into_iter().map(|c| (c.id, c)).collect(),
            evidence,
        })
    }

    /// The title of an item in the reader's language.
    pub(crate) fn title(&self, tr: &Tr, item: &SoaItem) -> String {
        if item.additional {
            return item.title.clone();
        }
        self.framework
            .as_ref()
            .and_then(|f| f.node(&item.node_ref))
            .map(|n| {
                if ja(tr) {
                    n.title.ja.clone()
                } else {
                    n.title.en.clone()
                }
            })
            .unwrap_or_default()
    }

    pub(crate) fn framework_name(&self, tr: &Tr) -> String {
        self.framework.as_ref().map_or_else(
            || self.version.framework.clone(),
            |f| {
                let n = &f.catalog.framework.name;
                if ja(tr) { n.ja.clone() } else { n.en.clone() }
            },
        )
    }

    fn control_lines(&self, item: &SoaItem) -> Vec<String> {
        let mut lines: Vec<String> = item
            .control_ids
            .iter()
            .filter_map(|id| self.controls.get(id))
            .map(|c| format!("{} {}", c.code, c.title))
            .collect();
        lines.sort();
        lines
    }

    fn evidence_lines(&self, tr: &Tr, item: &SoaItem) -> Vec<String> {
        self.evidence
            .get(&item.node_ref)
            .map(|list| {
                list.iter()
                    .map(|e| {
                        if e.version_number > 0 {
                            format!(
                                "{} {} ({})",
                                e.code,
                                e.title,
                                tr.t1("soa-evidence-version", "number", e.version_number)
                            )
                        } else {
                            format!("{} {}", e.code, e.title)
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn reason_lines(&self, tr: &Tr, item: &SoaItem) -> Vec<String> {
        let mut lines = Vec::new();
        if item.applicability != Applicability::Applicable {
            return lines;
        }
        let kinds: Vec<String> = item.reasons.iter().map(|r| reason_label(tr, *r)).collect();
        if !kinds.is_empty() {
            lines.push(kinds.join(" / "));
        }
        if !item.risks.is_empty() {
            let risks: Vec<String> = item
                .risks
                .iter()
                .map(|r| format!("{} {}", r.code, r.title))
                .collect();
            lines.push(format!("{}: {}", tr.t("soa-risks"), risks.join(", ")));
        }
        if !item.reason_text.is_empty() {
            lines.push(item.reason_text.clone());
        }
        lines
    }

    fn version_label(&self, tr: &Tr) -> String {
        match self.version.number {
            Some(n) => tr.t1("soa-version-n", "number", n),
            None => tr.t("soa-draft"),
        }
    }
}

/// The words of the SoA documents in the reader's language.
pub(crate) fn labels(tr: &Tr) -> SoaLabels {
    SoaLabels {
        title: tr.t("soa-doc-title"),
        sheet: tr.t("soa-doc-sheet"),
        organization: tr.t("soa-doc-organization"),
        framework: tr.t("soa-framework"),
        version: tr.t("soa-version"),
        status: tr.t("soa-doc-status"),
        approved_by: tr.t("soa-approved-by"),
        approved_at: tr.t("soa-approved-at"),
        note: tr.t("soa-note"),
        generated: tr.t("soa-doc-generated"),
        summary: tr.t("soa-doc-summary"),
        col_ref: tr.t("soa-ref"),
        col_title: tr.t("soa-item-title"),
        col_applicable: tr.t("soa-applicability"),
        col_reasons: tr.t("soa-reasons"),
        col_exclusion: tr.t("soa-exclusion"),
        col_status: tr.t("soa-status"),
        col_controls: tr.t("soa-controls"),
        col_evidence: tr.t("soa-evidence"),
        truncated: tr.t("soa-doc-truncated"),
    }
}

/// The statement of one version as a report in the reader's language: what the XLSX and the
/// PDF are rendered from.
pub(crate) async fn soa_report(
    state: &AppState,
    org: &Organization,
    version_id: Uuid,
    tr: &Tr,
) -> Result<SoaReport, StoreError> {
    let l = Loaded::load(state, org.id, version_id).await?;
    Ok(report_of(&l, org, tr))
}

fn report_of(l: &Loaded, org: &Organization, tr: &Tr) -> SoaReport {
    let v = &l.version;
    let rows: Vec<SoaRow> = l
        .items
        .iter()
        .map(|i| SoaRow {
            reference: i.node_ref.clone(),
            title: l.title(tr, i),
            additional: i.additional,
            applicable: match i.applicability {
                Applicability::Applicable => Some(true),
                Applicability::Excluded => Some(false),
                Applicability::Undecided => None,
            },
            applicability: applicability_label(tr, i.applicability),
            reasons: l.reason_lines(tr, i).join("\n"),
            exclusion: i.exclusion.clone(),
            status: if i.applicability == Applicability::Applicable {
                status_label(tr, i.status)
            } else {
                String::new()
            },
            controls: l.control_lines(i).join("\n"),
            evidence: l.evidence_lines(tr, i).join("\n"),
        })
        .collect();
    let applicable = rows.iter().filter(|r| r.applicable == Some(true)).count();
    let excluded = rows.iter().filter(|r| r.applicable == Some(false)).count();
    let mut summary = tr.t1("soa-summary-total", "count", rows.len());
    summary.push_str(&tr.t1("soa-summary-applicable", "count", applicable));
    summary.push_str(&tr.t1("soa-summary-excluded", "count", excluded));
    let undecided = rows.len() - applicable - excluded;
    if undecided > 0 {
        summary.push_str(&tr.t1("soa-summary-undecided", "count", undecided));
    }
    SoaReport {
        labels: labels(tr),
        organization: org.name.clone(),
        framework: l.framework_name(tr),
        framework_id: v.framework.clone(),
        version: l.version_label(tr),
        version_number: v.number,
        status: if v.is_draft() {
            tr.t("soa-state-draft-doc")
        } else {
            tr.t("soa-state-approved")
        },
        approved: !v.is_draft(),
        approved_by: v.approved_by_name.clone(),
        approved_at: v
            .approved_at
            .as_ref()
            .map(|t| tr.datetime(t))
            .unwrap_or_default(),
        note: v.note.clone(),
        generated_at: tr.datetime(&csms_domain::time::now()),
        document_id: csms_report::soa::document_id(&v.framework, v.number),
        summary,
        rows,
    }
}

/// The file name of a version's download.
pub(crate) fn file_name(org: &Organization, v: &SoaVersion, ext: &str) -> String {
    let which = v
        .number
        .map_or_else(|| "draft".to_owned(), |n| format!("v{n}"));
    let framework: String = v
        .framework
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("soa-{}-{framework}-{which}.{ext}", org.slug)
}

/// The framework a page or request names, else the one changed last, else the JIPDEC criteria.
pub(crate) async fn chosen_framework(
    state: &AppState,
    org_id: Uuid,
    asked: Option<&str>,
) -> Result<String, StoreError> {
    if let Some(f) = asked.filter(|f| !f.trim().is_empty()) {
        return Ok(f.trim().to_owned());
    }
    Ok(state
        .store()
        .soa_latest_framework(org_id)
        .await?
        .unwrap_or_else(|| soa::JIPDEC.to_owned()))
}

// ---------------------------------------------------------------------------------------
// Views

pub(crate) struct ItemView {
    id: Uuid,
    version: i64,
    node_ref: String,
    title: String,
    additional: bool,
    applicability: &'static str,
    applicability_label: String,
    reasons: Vec<String>,
    exclusion: String,
    status: String,
    suggested: Option<String>,
    controls: Vec<(Uuid, String)>,
    evidence: Vec<String>,
    decided: bool,
}

fn item_view(tr: &Tr, l: &Loaded, i: &SoaItem) -> ItemView {
    let statuses: Vec<_> = i
        .control_ids
        .iter()
        .filter_map(|id| l.controls.get(id))
        .map(|c| c.status)
        .collect();
    let suggested = soa::suggested_status(&statuses);
    let applicable = i.applicability == Applicability::Applicable;
    let mut controls: Vec<(Uuid, String)> = i
        .control_ids
        .iter()
        .filter_map(|id| l.controls.get(id))
        .map(|c| (c.id, format!("{} {}", c.code, c.title)))
        .collect();
    controls.sort_by(|a, b| a.1.cmp(&b.1));
    ItemView {
        id: i.id,
        version: i.version,
        node_ref: i.node_ref.clone(),
        title: l.title(tr, i),
        additional: i.additional,
        applicability: i.applicability.as_str(),
        applicability_label: applicability_label(tr, i.applicability),
        reasons: l.reason_lines(tr, i),
        exclusion: i.exclusion.clone(),
        status: if applicable {
            status_label(tr, i.status)
        } else {
            String::new()
        },
        suggested: (applicable && !statuses.is_empty() && suggested != i.status)
            .then(|| status_label(tr, suggested)),
        controls,
        evidence: l.evidence_lines(tr, i),
        decided: i.decided(),
    }
}

struct VersionView {
    id: Uuid,
    label: String,
    draft: bool,
    approved_by: String,
    approved_at: String,
    note: String,
    current: bool,
}

struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "soa.html")]
struct SoaPage {
    ctx: Ctx,
    org: Organization,
    framework_id: String,
    framework_name: String,
    frameworks: Vec<Choice>,
    versions: Vec<VersionView>,
    /// The version shown (none yet: the page offers to start one).
    shown: Option<VersionView>,
    shown_version: i64,
    items: Vec<ItemView>,
    editable: bool,
    can_write: bool,
    can_manage: bool,
    has_draft: bool,
    undecided: Vec<String>,
    counts: (usize, usize, usize),
    diff_from: Option<Uuid>,
    diff_to: Option<Uuid>,
    add_error: Option<String>,
}

#[derive(Template)]
#[template(path = "soa_row.html")]
struct RowFragment {
    ctx: Ctx,
    org: Organization,
    i: ItemView,
    editable: bool,
    error: Option<String>,
}

struct Pick {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "soa_edit.html")]
struct EditFragment {
    ctx: Ctx,
    org: Organization,
    i: ItemView,
    applicability: String,
    reasons: Vec<Pick>,
    reason_text: String,
    risks: Vec<Pick>,
    exclusion: String,
    statuses: Vec<Pick>,
    controls: Vec<Pick>,
    error: Option<(String, String)>,
}

impl EditFragment {
    fn err(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|(f, _)| f == field)
    }
}

struct DiffRow {
    node_ref: String,
    title: String,
    kind: &'static str,
    kind_label: String,
    fields: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "soa_diff.html")]
struct DiffPage {
    ctx: Ctx,
    org: Organization,
    framework_id: String,
    versions: Vec<Choice>,
    from: String,
    to: String,
    from_label: String,
    to_label: String,
    rows: Vec<DiffRow>,
}

fn version_view(tr: &Tr, v: &SoaVersion, current: Option<Uuid>) -> VersionView {
    VersionView {
        id: v.id,
        label: match v.number {
            Some(n) => tr.t1("soa-version-n", "number", n),
            None => tr.t("soa-draft"),
        },
        draft: v.is_draft(),
        approved_by: v.approved_by_name.clone(),
        approved_at: v
            .approved_at
            .as_ref()
            .map(|t| tr.datetime(t))
            .unwrap_or_default(),
        note: v.note.clone(),
        current: current == Some(v.id),
    }
}

fn fail(caller: &Caller, e: &StoreError) -> Response {
    let (status, _) = store_error(&caller.tr, e);
    let key = match e {
        StoreError::NotFound { .. } => "error-not-found",
        StoreError::Conflict { .. } => "error-conflict-page",
        StoreError::Invalid(_) => "error-invalid-page",
        StoreError::Locked(_) => "soa-error-locked",
        _ => "error-internal-page",
    };
    error_page(caller, status, key)
}

/// A store error worded for a page notice: the store's own message (it names the item, the
/// version or the undecided items), in the page's language frame.
fn notice_text(tr: &Tr, e: &StoreError) -> (StatusCode, String) {
    match e {
        StoreError::Locked(m) => (StatusCode::CONFLICT, tr.t1("soa-refused", "reason", m)),
        StoreError::Invalid(f) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            tr.t1("error-invalid", "reason", &f.message),
        ),
        other => store_error(tr, other),
    }
}

fn notice(ctx: &mut Ctx, key: Option<&str>) {
    let known = [
        "soa-draft-started",
        "soa-approved",
        "soa-item-added",
        "soa-item-removed",
    ];
    if let Some(k) = key.filter(|k| known.contains(k)) {
        ctx.notices.push(Notice {
            kind: "ok",
            text: ctx.tr.t(&format!("notice-{k}")),
        });
    }
}

#[derive(Deserialize, Default)]
pub struct SoaQuery {
    framework: Option<String>,
    version: Option<String>,
    notice: Option<String>,
}

fn parse_uuid(field: &'static str, v: Option<&str>) -> Result<Option<Uuid>, FieldError> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => Uuid::parse_str(v).map(Some).map_err(|_| FieldError {
            field,
            message: format!("'{}' is not an id", v.chars().take(40).collect::<String>()),
        }),
    }
}

async fn page(
    state: &AppState,
    caller: &Caller,
    framework: Option<&str>,
    version: Option<Uuid>,
    notice_key: Option<&str>,
    error: Option<(StatusCode, String)>,
    add_error: Option<String>,
) -> Response {
    let org = org_of(caller);
    let tr = &caller.tr;
    let store = state.store();
    let framework_id = match chosen_framework(state, org.id, framework).await {
        Ok(f) => f,
        Err(e) => return fail(caller, &e),
    };
    let (versions, lib) = match tokio::try_join!(
        store.soa_versions(org.id, Some(&framework_id)),
        state.library().for_org(store, org.id)
    ) {
        Ok(x) => x,
        Err(e) => return fail(caller, &e),
    };
    let frameworks: Vec<Choice> = eligible_frameworks(tr, &lib)
        .into_iter()
        .map(|(value, label)| Choice { value, label })
        .collect();
    let Some(fw) = lib.framework(&framework_id) else {
        return error_page(caller, StatusCode::NOT_FOUND, "error-not-found");
    };
    let framework_name = {
        let n = &fw.catalog.framework.name;
        if ja(tr) { n.ja.clone() } else { n.en.clone() }
    };
    let shown_id = match version {
        Some(v) if versions.iter().any(|x| x.id == v) => Some(v),
        Some(_) => return error_page(caller, StatusCode::NOT_FOUND, "error-not-found"),
        None => versions.first().map(|v| v.id),
    };
    let mut ctx = Ctx::new(state, caller, "soa", &format!("/o/{}/soa", org.slug)).await;
    notice(&mut ctx, notice_key);
    let status = match error {
        Some((s, m)) => {
            ctx.error(m);
            s
        }
        None => StatusCode::OK,
    };
    let (items, shown, shown_version, editable, undecided) = match shown_id {
        Some(id) => {
            let l = match Loaded::load(state, org.id, id).await {
                Ok(l) => l,
                Err(e) => return fail(caller, &e),
            };
            let views: Vec<ItemView> = l.items.iter().map(|i| item_view(tr, &l, i)).collect();
            let editable = l.version.is_draft() && caller.may(Perm::OrgWrite);
            (
                views,
                Some(version_view(tr, &l.version, None)),
                l.version.version,
                editable,
                soa::approval_problems(&l.items),
            )
        }
        None => (Vec::new(), None, 0, false, Vec::new()),
    };
    let applicable = items
        .iter()
        .filter(|i| i.applicability == "applicable")
        .count();
    let excluded = items
        .iter()
        .filter(|i| i.applicability == "excluded")
        .count();
    let approved: Vec<&SoaVersion> = versions.iter().filter(|v| !v.is_draft()).collect();
    let diff_to = versions.first().map(|v| v.id);
    let diff_from = approved
        .iter()
        .map(|v| v.id)
        .find(|id| Some(*id) != diff_to);
    let p = SoaPage {
        org,
        framework_id,
        framework_name,
        frameworks,
        has_draft: versions.iter().any(SoaVersion::is_draft),
        versions: versions
            .iter()
            .map(|v| version_view(tr, v, shown_id))
            .collect(),
        shown,
        shown_version,
        counts: (items.len(), applicable, excluded),
        items,
        editable,
        can_write: caller.may(Perm::OrgWrite),
        can_manage: caller.may(Perm::OrgManage),
        undecided,
        diff_from,
        diff_to,
        add_error,
        ctx,
    };
    (status, render(&p)).into_response()
}

pub async fn soa_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<SoaQuery>,
) -> Response {
    let version = match parse_uuid("version", q.version.as_deref()) {
        Ok(v) => v,
        Err(_) => return error_page(&caller, StatusCode::NOT_FOUND, "error-not-found"),
    };
    page(
        &state,
        &caller,
        q.framework.as_deref(),
        version,
        q.notice.as_deref(),
        None,
        None,
    )
    .await
}

#[derive(Deserialize)]
pub struct DraftForm {
    framework: String,
}

fn encode(v: &str) -> String {
    crate::authz::urlencode(v)
}

pub async fn start_draft(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Form(form): Form<DraftForm>,
) -> Response {
    let org = org_of(&caller);
    let lib = match state.library().for_org(state.store(), org.id).await {
        Ok(l) => l,
        Err(e) => return fail(&caller, &e),
    };
    let Some(fw) = lib.framework(form.framework.trim()) else {
        let msg = caller.tr.t1(
            "error-invalid",
            "reason",
            format!("framework {} is not in the library", form.framework.trim()),
        );
        return page(
            &state,
            &caller,
            None,
            None,
            None,
            Some((StatusCode::UNPROCESSABLE_ENTITY, msg)),
            None,
        )
        .await;
    };
    let refs = candidate_refs(fw);
    match state
        .store()
        .start_soa_draft(&caller.actor(), org.id, fw.id(), &refs)
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/o/{}/soa?framework={}&notice=soa-draft-started",
            org.slug,
            encode(fw.id())
        ))
        .into_response(),
        Err(e) => {
            let err = notice_text(&caller.tr, &e);
            page(&state, &caller, Some(fw.id()), None, None, Some(err), None).await
        }
    }
}

/// The item and its version, both in the caller's organization.
async fn load_item(
    state: &AppState,
    org_id: Uuid,
    id: Uuid,
) -> Result<(Loaded, usize), StoreError> {
    let item = state.store().soa_item(org_id, id).await?;
    let l = Loaded::load(state, org_id, item.version_id).await?;
    let at = l
        .items
        .iter()
        .position(|i| i.id == id)
        .ok_or(StoreError::NotFound {
            kind: "statement of applicability item",
            id: id.to_string(),
        })?;
    Ok((l, at))
}

async fn row_fragment(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    error: Option<(StatusCode, String)>,
) -> Response {
    let org = org_of(caller);
    let (l, at) = match load_item(state, org.id, id).await {
        Ok(x) => x,
        Err(e) => return fail(caller, &e),
    };
    let ctx = Ctx::new(state, caller, "soa", &format!("/o/{}/soa", org.slug)).await;
    let (status, error) = match error {
        Some((s, m)) => (s, Some(m)),
        None => (StatusCode::OK, None),
    };
    let f = RowFragment {
        i: item_view(&caller.tr, &l, &l.items[at]),
        editable: l.version.is_draft() && caller.may(Perm::OrgWrite),
        error,
        org,
        ctx,
    };
    (status, render(&f)).into_response()
}

pub async fn item_row(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
) -> Response {
    row_fragment(&state, &caller, id, None).await
}

/// The editor of an item, filled from `d` (the item's decision, or what was submitted).
async fn edit_fragment(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    d: Option<ItemDecision>,
    error: Option<(StatusCode, FieldError)>,
) -> Response {
    let org = org_of(caller);
    let tr = &caller.tr;
    let (l, at) = match load_item(state, org.id, id).await {
        Ok(x) => x,
        Err(e) => return fail(caller, &e),
    };
    if !l.version.is_draft() {
        return row_fragment(
            state,
            caller,
            id,
            Some((
                StatusCode::CONFLICT,
                tr.t1("soa-refused", "reason", tr.t("soa-approved-immutable")),
            )),
        )
        .await;
    }
    let risks: Vec<Risk> = match state.store().risks(org.id).await {
        Ok(r) => r,
        Err(e) => return fail(caller, &e),
    };
    let item = &l.items[at];
    let d = d.unwrap_or_else(|| item.decision());
    let mut risk_picks: Vec<Pick> = risks
        .iter()
        .map(|r| Pick {
            value: r.id.to_string(),
            label: format!("{} {}", r.code, r.title),
            selected: d.risk_ids.contains(&r.id),
        })
        .collect();
    // Risks linked earlier and since deleted stay visible (and can be unlinked).
    for r in &item.risks {
        if !risks.iter().any(|x| x.id == r.id) {
            risk_picks.push(Pick {
                value: r.id.to_string(),
                label: format!("{} {}", r.code, r.title),
                selected: d.risk_ids.contains(&r.id),
            });
        }
    }
    let mut controls: Vec<&Control> = l.controls.values().collect();
    controls.sort_by(|a, b| a.code.cmp(&b.code));
    let ctx = Ctx::new(state, caller, "soa", &format!("/o/{}/soa", org.slug)).await;
    let (status, error) = match error {
        Some((s, f)) => (s, Some((f.field.to_owned(), f.message))),
        None => (StatusCode::OK, None),
    };
    let f = EditFragment {
        applicability: d.applicability.as_str().to_owned(),
        reasons: ReasonKind::ALL
            .iter()
            .map(|r| Pick {
                value: r.as_str().to_owned(),
                label: reason_label(tr, *r),
                selected: d.reasons.contains(r),
            })
            .collect(),
        reason_text: d.reason_text.clone(),
        risks: risk_picks,
        exclusion: d.exclusion.clone(),
        statuses: ImplStatus::ALL
            .iter()
            .map(|s| Pick {
                value: s.as_str().to_owned(),
                label: status_label(tr, *s),
                selected: d.status == *s,
            })
            .collect(),
        controls: controls
            .iter()
            .map(|c| Pick {
                value: c.id.to_string(),
                label: format!("{} {}", c.code, c.title),
                selected: d.control_ids.contains(&c.id),
            })
            .collect(),
        i: item_view(tr, &l, item),
        error,
        org,
        ctx,
    };
    (status, render(&f)).into_response()
}

pub async fn edit_item(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
) -> Response {
    edit_fragment(&state, &caller, id, None, None).await
}

/// Reads the item form: `applicability`, `reasons` (repeated), `reason_text`, `risk_ids`
/// (repeated), `exclusion`, `status`, `control_ids` (repeated), `version`.
fn decision_from(pairs: &[(String, String)]) -> Result<(ItemDecision, i64), FieldError> {
    let mut d = ItemDecision::default();
    let mut version = None;
    for (k, v) in pairs {
        match k.as_str() {
            "applicability" => d.applicability = Applicability::parse(v)?,
            "reasons" => d.reasons.push(ReasonKind::parse(v)?),
            "reason_text" => d.reason_text = v.clone(),
            "exclusion" => d.exclusion = v.clone(),
            "status" => d.status = ImplStatus::parse(v)?,
            "risk_ids" if !v.is_empty() => {
                d.risk_ids.push(Uuid::parse_str(v).map_err(|_| FieldError {
                    field: "risk_ids",
                    message: "a linked risk is not an id; reload the page".into(),
                })?)
            }
            "control_ids" if !v.is_empty() => {
                d.control_ids
                    .push(Uuid::parse_str(v).map_err(|_| FieldError {
                        field: "control_ids",
                        message: "a linked control is not an id; reload the page".into(),
                    })?)
            }
            "version" => {
                version = Some(v.trim().parse::<i64>().map_err(|_| FieldError {
                    field: "version",
                    message: "the form lacks the version it was read at; reload the page".into(),
                })?)
            }
            _ => {}
        }
    }
    let version = version.ok_or_else(|| FieldError {
        field: "version",
        message: "the form lacks the version it was read at; reload the page".into(),
    })?;
    Ok((d, version))
}

pub async fn save_item(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let org = org_of(&caller);
    let (d, version) = match decision_from(&pairs) {
        Ok(x) => x,
        Err(f) => {
            return edit_fragment(
                &state,
                &caller,
                id,
                None,
                Some((StatusCode::UNPROCESSABLE_ENTITY, f)),
            )
            .await;
        }
    };
    match state
        .store()
        .update_soa_item(&caller.actor(), org.id, id, version, d.clone())
        .await
    {
        Ok(_) => row_fragment(&state, &caller, id, None).await,
        Err(StoreError::Invalid(f)) => {
            edit_fragment(
                &state,
                &caller,
                id,
                Some(d),
                Some((StatusCode::UNPROCESSABLE_ENTITY, f)),
            )
            .await
        }
        Err(e) => {
            let err = notice_text(&caller.tr, &e);
            row_fragment(&state, &caller, id, Some(err)).await
        }
    }
}

#[derive(Deserialize)]
pub struct AddForm {
    version_id: Uuid,
    #[serde(default)]
    node_ref: String,
    #[serde(default)]
    title: String,
}

pub async fn add_item(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Form(form): Form<AddForm>,
) -> Response {
    let org = org_of(&caller);
    let v = match state.store().soa_version(org.id, form.version_id).await {
        Ok(v) => v,
        Err(e) => return fail(&caller, &e),
    };
    match state
        .store()
        .add_soa_item(
            &caller.actor(),
            org.id,
            v.id,
            NewAdditional {
                node_ref: form.node_ref,
                title: form.title,
            },
        )
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/o/{}/soa?framework={}&notice=soa-item-added",
            org.slug,
            encode(&v.framework)
        ))
        .into_response(),
        Err(e) => {
            let (status, msg) = notice_text(&caller.tr, &e);
            let resp = page(
                &state,
                &caller,
                Some(&v.framework),
                Some(v.id),
                None,
                None,
                Some(msg),
            )
            .await;
            (status, resp).into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct VersionForm {
    version: i64,
    #[serde(default)]
    note: String,
}

pub async fn remove_item(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<VersionForm>,
) -> Response {
    let org = org_of(&caller);
    let item = match state.store().soa_item(org.id, id).await {
        Ok(i) => i,
        Err(e) => return fail(&caller, &e),
    };
    let v = match state.store().soa_version(org.id, item.version_id).await {
        Ok(v) => v,
        Err(e) => return fail(&caller, &e),
    };
    match state
        .store()
        .remove_soa_item(&caller.actor(), org.id, id, form.version)
        .await
    {
        Ok(()) => Redirect::to(&format!(
            "/o/{}/soa?framework={}&notice=soa-item-removed",
            org.slug,
            encode(&v.framework)
        ))
        .into_response(),
        Err(e) => {
            let err = notice_text(&caller.tr, &e);
            page(
                &state,
                &caller,
                Some(&v.framework),
                Some(v.id),
                None,
                Some(err),
                None,
            )
            .await
        }
    }
}

/// The display name of the caller (the approver's name recorded with the version).
pub(crate) fn caller_name(caller: &Caller) -> String {
    caller
        .user
        .as_ref()
        .map(|u| {
            if u.display_name.is_empty() {
                u.username.clone()
            } else {
                u.display_name.clone()
            }
        })
        .unwrap_or_else(|| caller.actor().label)
}

pub async fn approve(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<VersionForm>,
) -> Response {
    let org = org_of(&caller);
    let v = match state.store().soa_version(org.id, id).await {
        Ok(v) => v,
        Err(e) => return fail(&caller, &e),
    };
    match state
        .store()
        .approve_soa(
            &caller.actor(),
            &caller_name(&caller),
            org.id,
            id,
            form.version,
            &form.note,
        )
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/o/{}/soa?framework={}&notice=soa-approved",
            org.slug,
            encode(&v.framework)
        ))
        .into_response(),
        Err(e) => {
            let err = notice_text(&caller.tr, &e);
            page(
                &state,
                &caller,
                Some(&v.framework),
                Some(v.id),
                None,
                Some(err),
                None,
            )
            .await
        }
    }
}

pub async fn download_xlsx(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
) -> Response {
    let org = org_of(&caller);
    let report = match soa_report(&state, &org, id, &caller.tr).await {
        Ok(r) => r,
        Err(e) => return fail(&caller, &e),
    };
    let v = match state.store().soa_version(org.id, id).await {
        Ok(v) => v,
        Err(e) => return fail(&caller, &e),
    };
    // Writing a workbook is CPU work: off the async workers.
    let made = tokio::task::spawn_blocking(move || csms_report::soa::soa_xlsx(&report))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    match made {
        Ok(bytes) => super::download(
            bytes,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &file_name(&org, &v, "xlsx"),
        ),
        Err(e) => {
            tracing::error!(error = %e, "SoA workbook failed");
            error_page(
                &caller,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-internal-page",
            )
        }
    }
}

// ---------------------------------------------------------------------------------------
// The diff

/// A field's value in words, for the diff.
pub(crate) fn field_value(tr: &Tr, l: &Loaded, i: &SoaItem, field: &str) -> String {
    match field {
        "title" => l.title(tr, i),
        "applicability" => applicability_label(tr, i.applicability),
        "reasons" => i
            .reasons
            .iter()
            .map(|r| reason_label(tr, *r))
            .collect::<Vec<_>>()
            .join(" / "),
        "reason_text" => i.reason_text.clone(),
        "risks" => i
            .risks
            .iter()
            .map(|r| r.code.clone())
            .collect::<Vec<_>>()
            .join(", "),
        "exclusion" => i.exclusion.clone(),
        "status" => status_label(tr, i.status),
        "controls" => {
            let mut codes: Vec<String> = i
                .control_ids
                .iter()
                .map(|id| {
                    l.controls
                        .get(id)
                        .map_or_else(|| id.to_string(), |c| c.code.clone())
                })
                .collect();
            codes.sort();
            codes.join(", ")
        }
        _ => String::new(),
    }
}

#[derive(Deserialize, Default)]
pub struct DiffQuery {
    framework: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

pub async fn diff_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<DiffQuery>,
) -> Response {
    let org = org_of(&caller);
    let tr = &caller.tr;
    let (Ok(from), Ok(to)) = (
        parse_uuid("from", q.from.as_deref()),
        parse_uuid("to", q.to.as_deref()),
    ) else {
        return error_page(&caller, StatusCode::NOT_FOUND, "error-not-found");
    };
    let framework_id = match (from, to) {
        (Some(id), _) | (None, Some(id)) => match state.store().soa_version(org.id, id).await {
            Ok(v) => v.framework,
            Err(e) => return fail(&caller, &e),
        },
        _ => match chosen_framework(&state, org.id, q.framework.as_deref()).await {
            Ok(f) => f,
            Err(e) => return fail(&caller, &e),
        },
    };
    let versions = match state
        .store()
        .soa_versions(org.id, Some(&framework_id))
        .await
    {
        Ok(v) => v,
        Err(e) => return fail(&caller, &e),
    };
    let to = to.or_else(|| versions.first().map(|v| v.id));
    let from = from.or_else(|| {
        versions
            .iter()
            .filter(|v| !v.is_draft())
            .map(|v| v.id)
            .find(|id| Some(*id) != to)
    });
    let mut rows = Vec::new();
    let mut labels = (String::new(), String::new());
    if let (Some(a), Some(b)) = (from, to) {
        let (la, lb) = match tokio::try_join!(
            Loaded::load(&state, org.id, a),
            Loaded::load(&state, org.id, b)
        ) {
            Ok(x) => x,
            Err(e) => return fail(&caller, &e),
        };
        if la.version.framework != lb.version.framework {
            return error_page(&caller, StatusCode::NOT_FOUND, "error-not-found");
        }
        labels = (la.version_label(tr), lb.version_label(tr));
        for d in soa::diff(&la.items, &lb.items) {
            let (kind, kind_key) = match d.kind {
                DiffKind::Added => ("added", "soa-diff-added"),
                DiffKind::Removed => ("removed", "soa-diff-removed"),
                DiffKind::Changed => ("changed", "soa-diff-changed"),
            };
            let title = d
                .after
                .map(|i| lb.title(tr, i))
                .or_else(|| d.before.map(|i| la.title(tr, i)))
                .unwrap_or_default();
            let fields = d
                .fields
                .iter()
                .map(|f| {
                    (
                        tr.t(&format!("soa-field-{}", f.replace('_', "-"))),
                        d.before
                            .map(|i| field_value(tr, &la, i, f))
                            .unwrap_or_default(),
                        d.after
                            .map(|i| field_value(tr, &lb, i, f))
                            .unwrap_or_default(),
                    )
                })
                .collect();
            rows.push(DiffRow {
                node_ref: d.node_ref.to_owned(),
                title,
                kind,
                kind_label: tr.t(kind_key),
                fields,
            });
        }
    }
    let ctx = Ctx::new(&state, &caller, "soa", &format!("/o/{}/soa/diff", org.slug)).await;
    let p = DiffPage {
        versions: versions
            .iter()
            .map(|v| Choice {
                value: v.id.to_string(),
                label: version_view(tr, v, None).label,
            })
            .collect(),
        from: from.map(|u| u.to_string()).unwrap_or_default(),
        to: to.map(|u| u.to_string()).unwrap_or_default(),
        from_label: labels.0,
        to_label: labels.1,
        rows,
        framework_id,
        org,
        ctx,
    };
    render(&p)
}
