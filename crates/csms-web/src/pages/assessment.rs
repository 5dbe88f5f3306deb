//! Conformance assessments: list, start, dashboard (roll-ups, charts, readiness), the
//! keyboard-driven workspace, evidence, comparison, pre-fill from another framework through
//! mappings, approval and export.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use csms_domain::Uuid;
use csms_domain::assessment::{
    self as rules, Assessment, AssessmentStatus, EvidenceLink, Gap, Movement, Outcome,
    RequirementResult, ResultInput, Tally,
};
use csms_domain::org::Organization;
use csms_store::StoreError;
use csms_store::assessment::{NewAssessment, ResultChange};
use csms_store::auth::Member;
use serde::Deserialize;

use super::auth::NoticeQuery;
use super::org::{org_of, store_error};
use super::{Ctx, download, error_page, render};
use crate::AppState;
use crate::authz::{Caller, Perm};
use crate::charts;
use crate::i18n::Tr;
use crate::library::{Indexed, OrgLibrary, coverage};
use crate::pages::catalog::node_text_matches;

// ---------------------------------------------------------------------------------------
// Shared pieces

/// The localized name of a result.
pub fn outcome_label(tr: &Tr, o: Outcome) -> String {
    tr.t(&format!("outcome-{}", o.as_str().replace('_', "-")))
}

fn outcome_names(tr: &Tr) -> [String; 5] {
    Outcome::ALL.map(|o| outcome_label(tr, o))
}

/// The text of a bilingual catalog string in the reader's language.
pub fn pick<'a>(tr: &Tr, text: &'a csms_catalog::Bilingual) -> &'a str {
    if tr.lang.code() == "ja" {
        &text.ja
    } else {
        &text.en
    }
}

/// Words and colours the assessment templates share (`self.olabel(o)` and so on).
trait Labels {
    fn tr(&self) -> &Tr;

    fn outcomes(&self) -> [Outcome; 5] {
        Outcome::ALL
    }

    fn olabel<O: std::borrow::Borrow<Outcome>>(&self, o: O) -> String {
        outcome_label(self.tr(), *o.borrow())
    }

    fn oclass<O: std::borrow::Borrow<Outcome>>(&self, o: O) -> &'static str {
        charts::outcome_class(*o.borrow())
    }

    fn count<O: std::borrow::Borrow<Outcome>>(&self, t: &Tally, o: O) -> u32 {
        t.count(*o.borrow())
    }

    fn same<O: std::borrow::Borrow<Outcome>>(&self, a: O, b: &Outcome) -> bool {
        a.borrow() == b
    }

    fn gap_label(&self, g: &Gap) -> String {
        self.tr()
            .t(&format!("gap-{}", g.as_str().replace('_', "-")))
    }

    fn mkey(&self, m: &Movement) -> &'static str {
        movement_key(*m)
    }

    fn mlabel(&self, m: &Movement) -> String {
        self.tr().t(&format!("movement-{}", movement_key(*m)))
    }
}

macro_rules! labels {
    ($($t:ty),*) => {
        $(impl Labels for $t {
            fn tr(&self) -> &Tr {
                &self.ctx.tr
            }
        })*
    };
}

labels!(
    ListPage,
    DashboardPage,
    ReadinessPage,
    WorkPage,
    RowFragment,
    ComparePage,
    PrefillPage
);

fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// An assessment with everything its pages (and the API) need.
pub(crate) struct Loaded {
    pub org: Organization,
    pub assessment: Assessment,
    pub framework: Arc<Indexed>,
    pub library: OrgLibrary,
}

/// Why an assessment could not be loaded.
pub(crate) enum LoadError {
    /// No such assessment in this organization.
    Missing,
    /// The assessment's framework is no longer in the organization's library (its id).
    FrameworkMissing(String),
    Store(StoreError),
}

/// Loads an assessment of `org` with its framework and the organization's library.
pub(crate) async fn load_assessment(
    state: &AppState,
    org: Organization,
    id: Uuid,
) -> Result<Loaded, LoadError> {
    let assessment = match state.store().assessment(org.id, id).await {
        Ok(a) => a,
        Err(StoreError::NotFound { .. }) => return Err(LoadError::Missing),
        Err(e) => return Err(LoadError::Store(e)),
    };
    let library = state
        .library()
        .for_org(state.store(), org.id)
        .await
        .map_err(LoadError::Store)?;
    let Some(framework) = library.framework(&assessment.framework_id).cloned() else {
        return Err(LoadError::FrameworkMissing(assessment.framework_id));
    };
    Ok(Loaded {
        org,
        assessment,
        framework,
        library,
    })
}

async fn load(state: &AppState, caller: &Caller, id: Uuid) -> Result<Loaded, Response> {
    load_assessment(state, org_of(caller), id)
        .await
        .map_err(|e| match e {
            LoadError::Missing => error_page(caller, StatusCode::NOT_FOUND, "error-not-found"),
            LoadError::FrameworkMissing(_) => error_page(
                caller,
                StatusCode::NOT_FOUND,
                "assessment-framework-missing",
            ),
            LoadError::Store(e) => fail(caller, &e),
        })
}

fn fail(caller: &Caller, e: &StoreError) -> Response {
    let (status, _) = store_error(&caller.tr, e);
    error_page(
        caller,
        status,
        if status == StatusCode::NOT_FOUND {
            "error-not-found"
        } else {
            "error-internal-page"
        },
    )
}

/// The results of an assessment by requirement.
pub(crate) fn by_ref(results: Vec<RequirementResult>) -> HashMap<String, RequirementResult> {
    results
        .into_iter()
        .map(|r| (r.node_ref.clone(), r))
        .collect()
}

pub(crate) fn outcomes(results: &HashMap<String, RequirementResult>) -> HashMap<&str, Outcome> {
    results
        .iter()
        .map(|(k, r)| (k.as_str(), r.outcome))
        .collect()
}

/// A group of requirements (the clause or element they sit under) with its tally.
pub struct GroupView {
    pub reference: String,
    pub title: String,
    pub tally: Tally,
}

/// The groups of a framework (the nodes that directly hold assessable requirements), in tree
/// order, as node indices: the dashboard's roll-up by clause.
pub(crate) fn group_nodes(fw: &Indexed) -> Vec<usize> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (i, _) in fw.walk() {
        if !fw.catalog.nodes[i].assessable {
            continue;
        }
        let g = fw.group_of(i).unwrap_or(i);
        if seen.insert(g) {
            out.push(g);
        }
    }
    out
}

fn groups(fw: &Indexed, tr: &Tr, tallies: &[Tally]) -> Vec<GroupView> {
    group_nodes(fw)
        .into_iter()
        .map(|g| {
            let n = &fw.catalog.nodes[g];
            GroupView {
                reference: n.reference.clone(),
                title: pick(tr, &n.title).to_owned(),
                tally: tallies[g],
            }
        })
        .collect()
}

fn percent(v: f64) -> String {
    format!("{v:.0}%")
}

// ---------------------------------------------------------------------------------------
// List and start

/// An assessment as the list shows it.
pub struct ListItem {
    pub a: Assessment,
    pub framework: String,
    pub tally: Option<Tally>,
}

/// A framework one can assess.
pub struct FrameworkChoice {
    pub id: String,
    pub name: String,
    pub assessable: usize,
}

#[derive(Template)]
#[template(path = "assessments.html")]
struct ListPage {
    ctx: Ctx,
    org: Organization,
    items: Vec<ListItem>,
    frameworks: Vec<FrameworkChoice>,
    zones: Vec<ZoneChoice>,
    can_manage: bool,
    form: NewForm,
}

impl ListPage {
    fn zone_selected(&self, id: &Uuid) -> bool {
        self.form.zone_id.trim() == id.to_string()
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NewForm {
    #[serde(default)]
    pub framework_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub period_start: String,
    #[serde(default)]
    pub period_end: String,
    #[serde(default)]
    pub assessors: String,
    /// The zone a 62443-3-3 assessment assesses (a zone id, or empty).
    #[serde(default)]
    pub zone_id: String,
}

/// A zone one can pick as the scope of a 62443-3-3 assessment.
pub struct ZoneChoice {
    pub id: Uuid,
    pub name: String,
}

/// The organization's zones, by name, for the zone select.
async fn zone_choices(state: &AppState, org_id: Uuid) -> Vec<ZoneChoice> {
    let mut zones: Vec<ZoneChoice> = state
        .store()
        .zones(org_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|z| ZoneChoice {
            id: z.id,
            name: z.name,
        })
        .collect();
    zones.sort_by(|a, b| a.name.cmp(&b.name));
    zones
}

/// A zone id typed in a form: empty is none; anything else must be a UUID.
pub(crate) fn zone_field(tr: &Tr, v: &str) -> Result<Option<Uuid>, String> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(v)
        .map(Some)
        .map_err(|_| tr.t("assessment-zone-invalid"))
}

async fn list_page(
    state: &AppState,
    caller: &Caller,
    notice: Option<&str>,
    form: NewForm,
    error: Option<(StatusCode, String)>,
) -> Response {
    let org = org_of(caller);
    let store = state.store();
    let library = match state.library().for_org(store, org.id).await {
        Ok(l) => l,
        Err(e) => return fail(caller, &e),
    };
    let assessments = store.assessments(org.id).await.unwrap_or_default();
    let latest = store.latest_progress(org.id).await.unwrap_or_default();
    let items = assessments
        .into_iter()
        .map(|a| ListItem {
            framework: library.framework(&a.framework_id).map_or_else(
                || a.framework_id.clone(),
                |f| pick(&caller.tr, &f.catalog.framework.name).to_owned(),
            ),
            tally: latest.get(&a.id).copied(),
            a,
        })
        .collect();
    let frameworks = library
        .frameworks
        .iter()
        .map(|f| FrameworkChoice {
            id: f.id().to_owned(),
            name: pick(&caller.tr, &f.catalog.framework.name).to_owned(),
            assessable: f.catalog.assessable().count(),
        })
        .filter(|f| f.assessable > 0)
        .collect();
    let path = format!("/o/{}/assessments", org.slug);
    let mut ctx = Ctx::new(state, caller, "assessments", &path)
        .await
        .with_notice(notice);
    let status = match error {
        Some((s, m)) => {
            ctx.error(m);
            s
        }
        None => StatusCode::OK,
    };
    let zones = zone_choices(state, org.id).await;
    let page = ListPage {
        can_manage: caller.may(Perm::OrgManage),
        zones,
        ctx,
        org,
        items,
        frameworks,
        form,
    };
    (status, render(&page)).into_response()
}

pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    list_page(
        &state,
        &caller,
        q.notice.as_deref(),
        NewForm::default(),
        None,
    )
    .await
}

/// A trimmed text, or `None` when empty.
pub(crate) fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Form(form): Form<NewForm>,
) -> Response {
    let org = org_of(&caller);
    let library = match state.library().for_org(state.store(), org.id).await {
        Ok(l) => l,
        Err(e) => return fail(&caller, &e),
    };
    let Some(fw) = library.framework(&form.framework_id).cloned() else {
        let msg = caller.tr.t("assessment-choose-framework");
        return list_page(
            &state,
            &caller,
            None,
            form,
            Some((StatusCode::UNPROCESSABLE_ENTITY, msg)),
        )
        .await;
    };
    let zone_id = match zone_field(&caller.tr, &form.zone_id) {
        Ok(z) => z,
        Err(msg) => {
            return list_page(
                &state,
                &caller,
                None,
                form,
                Some((StatusCode::UNPROCESSABLE_ENTITY, msg)),
            )
            .await;
        }
    };
    let new = NewAssessment {
        framework_id: fw.id().to_owned(),
        title: form.title.clone(),
        scope: form.scope.clone(),
        period_start: opt(&form.period_start),
        period_end: opt(&form.period_end),
        assessors: form.assessors.clone(),
    };
    match start_assessment(&state, &caller, org.id, &fw, new, zone_id).await {
        Ok(a) => Redirect::to(&format!("/o/{}/assessments/{}", org.slug, a.id)).into_response(),
        Err(e) => {
            let err = store_error(&caller.tr, &e);
            list_page(&state, &caller, None, form, Some(err)).await
        }
    }
}

/// Starts an assessment of `fw` with one "not assessed" result per assessable requirement.
pub(crate) async fn start_assessment(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    fw: &Indexed,
    new: NewAssessment,
    zone_id: Option<Uuid>,
) -> Result<Assessment, StoreError> {
    let new = NewAssessment {
        framework_id: fw.id().to_owned(),
        ..new
    };
    state
        .store()
        .create_zone_assessment(&caller.actor(), org_id, new, zone_id, &fw.assessable_refs())
        .await
}

// ---------------------------------------------------------------------------------------
// Dashboard and readiness

/// A requirement on the readiness list.
pub struct GapItem {
    pub index: usize,
    pub reference: String,
    pub title: String,
    pub gaps: Vec<Gap>,
    pub owner: String,
    pub due_date: String,
}

impl RowView {
    fn maturity_is(&self, v: &&u8) -> bool {
        self.result.maturity == Some(i64::from(**v))
    }

    fn owner_is(&self, u: &&Uuid) -> bool {
        self.result.owner_id == Some(**u)
    }
}

/// A requirement standing between the organization and certification.
pub(crate) struct GapRow<'a> {
    /// Position in the framework's tree order (the workspace anchors rows by it).
    pub index: usize,
    /// The node's index in the catalog.
    pub node: usize,
    pub gaps: Vec<Gap>,
    pub result: Option<&'a RequirementResult>,
}

/// Every assessable requirement with gaps, in tree order.
pub(crate) fn gap_rows<'a>(
    fw: &Indexed,
    results: &'a HashMap<String, RequirementResult>,
    evidence: &HashMap<String, i64>,
) -> Vec<GapRow<'a>> {
    let mut out = Vec::new();
    for (index, (i, _)) in fw.walk().into_iter().enumerate() {
        let n = &fw.catalog.nodes[i];
        if !n.assessable {
            continue;
        }
        let r = results.get(&n.reference);
        let outcome = r.map_or(Outcome::NotAssessed, |r| r.outcome);
        let count = evidence.get(&n.reference).copied().unwrap_or(0);
        let gaps = rules::gaps(outcome, usize::try_from(count).unwrap_or(0));
        if gaps.is_empty() {
            continue;
        }
        out.push(GapRow {
            index,
            node: i,
            gaps,
            result: r,
        });
    }
    out
}

/// Everything between the organization and certification, in tree order.
fn readiness(
    fw: &Indexed,
    tr: &Tr,
    results: &HashMap<String, RequirementResult>,
    evidence: &HashMap<String, i64>,
    members: &HashMap<Uuid, String>,
) -> Vec<GapItem> {
    gap_rows(fw, results, evidence)
        .into_iter()
        .map(|g| {
            let n = &fw.catalog.nodes[g.node];
            GapItem {
                index: g.index,
                reference: n.reference.clone(),
                title: pick(tr, &n.title).to_owned(),
                gaps: g.gaps,
                owner: g
                    .result
                    .and_then(|r| r.owner_id)
                    .and_then(|o| members.get(&o).cloned())
                    .unwrap_or_default(),
                due_date: g
                    .result
                    .and_then(|r| r.due_date.clone())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "assessment.html")]
struct DashboardPage {
    ctx: Ctx,
    org: Organization,
    a: Assessment,
    framework_name: String,
    overall: Tally,
    groups: Vec<GroupView>,
    by_clause_svg: String,
    progress_svg: String,
    gap_counts: Vec<(Gap, usize)>,
    gaps: Vec<GapItem>,
    evidence_total: i64,
    approved_by: String,
    others: Vec<(Uuid, String, bool)>,
    can_manage: bool,
    /// The assessed zone's name, when the assessment names one.
    zone_name: Option<String>,
    /// Zones to pick from (62443-3-3 assessments only).
    zones: Vec<ZoneChoice>,
    assesses_zones: bool,
}

impl DashboardPage {
    fn zone_selected(&self, id: &Uuid) -> bool {
        self.a.zone_id == Some(*id)
    }

    fn pct(&self, v: f64) -> String {
        percent(v)
    }
}

pub async fn dashboard(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let l = match load(&state, &caller, id).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let store = state.store();
    let tr = &caller.tr;
    let (results, evidence, progress, members, all) = match tokio::try_join!(
        store.results(l.org.id, id),
        store.evidence_counts(l.org.id, id),
        store.progress(l.org.id, id),
        store.members(l.org.id),
        store.assessments(l.org.id),
    ) {
        Ok(v) => v,
        Err(e) => return fail(&caller, &e),
    };
    let results = by_ref(results);
    let tree = l.framework.tree();
    let oc = outcomes(&results);
    let tallies = rules::rollup(&tree, &oc);
    let overall = rules::overall(&tree, &oc);
    let groups = groups(&l.framework, tr, &tallies);
    let names = outcome_names(tr);
    let bars: Vec<charts::Bar> = groups
        .iter()
        .map(|g| charts::Bar {
            label: format!("{} {}", g.reference, g.title),
            tally: g.tally,
        })
        .collect();
    let by_clause_svg = charts::stacked_bars(&tr.t("assessment-by-clause"), &bars, &names);
    let points: Vec<(String, Tally)> = progress.into_iter().map(|p| (p.day, p.tally)).collect();
    let progress_svg = charts::progress(
        &tr.t("assessment-progress"),
        &points,
        [
            &tr.t("assessment-assessed"),
            &tr.t("assessment-conformant-share"),
        ],
    );
    let member_names: HashMap<Uuid, String> = members
        .iter()
        .map(|m: &Member| (m.user.id, m.user.display_name.clone()))
        .collect();
    let gaps = readiness(&l.framework, tr, &results, &evidence, &member_names);
    let gap_counts = [
        Gap::Nonconformant,
        Gap::Partial,
        Gap::NotAssessed,
        Gap::NoEvidence,
    ]
    .into_iter()
    .map(|g| (g, gaps.iter().filter(|i| i.gaps.contains(&g)).count()))
    .collect();
    let others = all
        .iter()
        .filter(|o| o.id != id)
        .map(|o| {
            (
                o.id,
                o.title.clone(),
                o.framework_id == l.assessment.framework_id,
            )
        })
        .collect();
    let approved_by = l
        .assessment
        .approved_by
        .and_then(|u| member_names.get(&u).cloned())
        .unwrap_or_default();
    let assesses_zones = rules::assesses_zones(&l.assessment.framework_id);
    let zones = if assesses_zones || l.assessment.zone_id.is_some() {
        zone_choices(&state, l.org.id).await
    } else {
        Vec::new()
    };
    let zone_name = l.assessment.zone_id.map(|z| {
        zones
            .iter()
            .find(|c| c.id == z)
            .map_or_else(|| z.to_string(), |c| c.name.clone())
    });
    let path = format!("/o/{}/assessments/{}", l.org.slug, id);
    let ctx = Ctx::new(&state, &caller, "assessments", &path)
        .await
        .with_notice(q.notice.as_deref());
    render(&DashboardPage {
        zone_name,
        zones,
        assesses_zones,
        framework_name: pick(tr, &l.framework.catalog.framework.name).to_owned(),
        can_manage: caller.may(Perm::OrgManage),
        evidence_total: evidence.values().sum(),
        ctx,
        org: l.org,
        a: l.assessment,
        overall,
        groups,
        by_clause_svg,
        progress_svg,
        gap_counts,
        gaps,
        approved_by,
        others,
    })
}

#[derive(Template)]
#[template(path = "assessment_readiness.html")]
struct ReadinessPage {
    ctx: Ctx,
    org: Organization,
    a: Assessment,
    gaps: Vec<GapItem>,
}

pub async fn readiness_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
) -> Response {
    let l = match load(&state, &caller, id).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let store = state.store();
    let (results, evidence, members) = match tokio::try_join!(
        store.results(l.org.id, id),
        store.evidence_counts(l.org.id, id),
        store.members(l.org.id),
    ) {
        Ok(v) => v,
        Err(e) => return fail(&caller, &e),
    };
    let member_names: HashMap<Uuid, String> = members
        .iter()
        .map(|m| (m.user.id, m.user.display_name.clone()))
        .collect();
    let gaps = readiness(
        &l.framework,
        &caller.tr,
        &by_ref(results),
        &evidence,
        &member_names,
    );
    let path = format!("/o/{}/assessments/{}/readiness", l.org.slug, id);
    let ctx = Ctx::new(&state, &caller, "assessments", &path).await;
    render(&ReadinessPage {
        ctx,
        org: l.org,
        a: l.assessment,
        gaps,
    })
}

// ---------------------------------------------------------------------------------------
// Workspace

/// One requirement in the workspace.
pub struct RowView {
    pub index: usize,
    pub reference: String,
    pub title: String,
    pub gist: String,
    pub guidance: String,
    pub group: String,
    pub unverified: bool,
    pub result: RequirementResult,
    pub evidence: Vec<EvidenceLink>,
    pub error: Option<String>,
}

/// What every row needs besides itself.
pub struct RowEnv {
    pub slug: String,
    pub assessment_id: Uuid,
    pub locked: bool,
    pub can_write: bool,
    pub scale: Vec<(u8, String)>,
    pub members: Vec<(Uuid, String)>,
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "assessment_work.html")]
struct WorkPage {
    ctx: Ctx,
    org: Organization,
    a: Assessment,
    framework_name: String,
    rows: Vec<RowView>,
    env: RowEnv,
    q: WorkQuery,
    shown: usize,
    total: usize,
}

#[derive(Template)]
#[template(path = "assessment_row.html")]
struct RowFragment {
    ctx: Ctx,
    row: RowView,
    env: RowEnv,
}

#[derive(Debug, Default, Deserialize)]
pub struct WorkQuery {
    #[serde(default)]
    pub q: String,
    /// A result to show only (`not_assessed`, …), or empty for all.
    #[serde(default)]
    pub result: String,
}

fn row_env(l: &Loaded, caller: &Caller, members: &[Member]) -> RowEnv {
    let scale = l
        .framework
        .catalog
        .framework
        .scale
        .as_ref()
        .map(|s| {
            s.levels
                .iter()
                .map(|lv| (lv.value, pick(&caller.tr, &lv.label).to_owned()))
                .collect()
        })
        .unwrap_or_default();
    RowEnv {
        slug: l.org.slug.clone(),
        assessment_id: l.assessment.id,
        locked: l.assessment.status == AssessmentStatus::Approved,
        can_write: caller.may(Perm::OrgWrite),
        scale,
        members: members
            .iter()
            .map(|m| (m.user.id, m.user.display_name.clone()))
            .collect(),
        csrf: caller.csrf().to_owned(),
    }
}

fn row_view(
    fw: &Indexed,
    tr: &Tr,
    index: usize,
    node_index: usize,
    result: RequirementResult,
    evidence: Vec<EvidenceLink>,
) -> RowView {
    let n = &fw.catalog.nodes[node_index];
    let group = fw
        .group_of(node_index)
        .map(|g| {
            let g = &fw.catalog.nodes[g];
            format!("{} {}", g.reference, pick(tr, &g.title))
        })
        .unwrap_or_default();
    RowView {
        index,
        reference: n.reference.clone(),
        title: pick(tr, &n.title).to_owned(),
        gist: pick(tr, &n.gist).to_owned(),
        guidance: n
            .guidance
            .as_ref()
            .map(|g| pick(tr, g).to_owned())
            .unwrap_or_default(),
        group,
        unverified: n.flags.iter().any(|f| f == "unverified"),
        result,
        evidence,
        error: None,
    }
}

pub async fn workspace(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Query(q): Query<WorkQuery>,
) -> Response {
    let l = match load(&state, &caller, id).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let store = state.store();
    let (results, evidence, members) = match tokio::try_join!(
        store.results(l.org.id, id),
        store.evidence(l.org.id, id, None),
        store.members(l.org.id),
    ) {
        Ok(v) => v,
        Err(e) => return fail(&caller, &e),
    };
    let mut results = by_ref(results);
    let mut ev: HashMap<String, Vec<EvidenceLink>> = HashMap::new();
    for e in evidence {
        ev.entry(e.node_ref.clone()).or_default().push(e);
    }
    let filter = Outcome::parse(&q.result).ok();
    let mut rows = Vec::new();
    let mut total = 0;
    for (index, (i, _)) in l.framework.walk().into_iter().enumerate() {
        let n = &l.framework.catalog.nodes[i];
        if !n.assessable {
            continue;
        }
        let Some(r) = results.remove(&n.reference) else {
            continue;
        };
        total += 1;
        if filter.is_some_and(|f| f != r.outcome)
            || !(q.q.trim().is_empty()
                || node_text_matches(&l.framework.catalog.nodes[i], q.q.trim()))
        {
            continue;
        }
        let e = ev.remove(&n.reference).unwrap_or_default();
        rows.push(row_view(&l.framework, &caller.tr, index, i, r, e));
    }
    let env = row_env(&l, &caller, &members);
    let path = format!("/o/{}/assessments/{}/work", l.org.slug, id);
    let ctx = Ctx::new(&state, &caller, "assessments", &path).await;
    render(&WorkPage {
        framework_name: pick(&caller.tr, &l.framework.catalog.framework.name).to_owned(),
        shown: rows.len(),
        ctx,
        org: l.org,
        a: l.assessment,
        rows,
        env,
        q,
        total,
    })
}

#[derive(Debug, Deserialize)]
pub struct ResultForm {
    pub node_ref: String,
    pub version: i64,
    pub outcome: String,
    #[serde(default)]
    pub maturity: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub owner_id: String,
    #[serde(default)]
    pub due_date: String,
}

/// Renders one workspace row again (for htmx) after a change or a refused change.
async fn row_response(
    state: &AppState,
    caller: &Caller,
    l: &Loaded,
    node_ref: &str,
    error: Option<(StatusCode, String)>,
) -> Response {
    let store = state.store();
    let (results, evidence, members) = match tokio::try_join!(
        store.results(l.org.id, l.assessment.id),
        store.evidence(l.org.id, l.assessment.id, Some(node_ref)),
        store.members(l.org.id),
    ) {
        Ok(v) => v,
        Err(e) => return fail(caller, &e),
    };
    let Some(result) = results.into_iter().find(|r| r.node_ref == node_ref) else {
        return error_page(caller, StatusCode::NOT_FOUND, "error-not-found");
    };
    let walk = l.framework.walk();
    let Some((index, (node_index, _))) = walk
        .iter()
        .enumerate()
        .find(|(_, (i, _))| l.framework.catalog.nodes[*i].reference == node_ref)
    else {
        return error_page(caller, StatusCode::NOT_FOUND, "error-not-found");
    };
    let mut row = row_view(
        &l.framework,
        &caller.tr,
        index,
        *node_index,
        result,
        evidence,
    );
    let status = match error {
        Some((s, m)) => {
            row.error = Some(m);
            s
        }
        None => StatusCode::OK,
    };
    let env = row_env(l, caller, &members);
    let path = format!("/o/{}/assessments/{}/work", l.org.slug, l.assessment.id);
    let ctx = Ctx::new(state, caller, "assessments", &path).await;
    (status, render(&RowFragment { ctx, row, env })).into_response()
}

fn back_to_row(l: &Loaded, node_ref: &str) -> Response {
    let index = l
        .framework
        .walk()
        .iter()
        .position(|(i, _)| l.framework.catalog.nodes[*i].reference == node_ref)
        .unwrap_or(0);
    Redirect::to(&format!(
        "/o/{}/assessments/{}/work#r-{index}",
        l.org.slug, l.assessment.id
    ))
    .into_response()
}

/// Validates a result against the framework (its maturity scale) and the rules; the error
/// names the field.
pub(crate) fn checked_result(
    fw: &Indexed,
    outcome: &str,
    input: ResultInput,
) -> Result<(Outcome, ResultInput), csms_domain::org::FieldError> {
    let outcome = Outcome::parse(outcome)?;
    let input = ResultInput {
        outcome: Some(outcome),
        ..input
    };
    rules::validate_result(outcome, &input, fw.scale_range())?;
    Ok((outcome, input))
}

/// Validates a result form against the framework; the error names the field.
fn parse_result(
    fw: &Indexed,
    form: &ResultForm,
) -> Result<(Outcome, ResultInput), csms_domain::org::FieldError> {
    // The result first, so a bad one is named before the other fields.
    Outcome::parse(&form.outcome)?;
    let maturity = match form.maturity.trim() {
        "" => None,
        m => Some(m.parse::<i64>().map_err(|_| csms_domain::org::FieldError {
            field: "maturity",
            message: format!("'{m}' is not a maturity level; choose one of the scale"),
        })?),
    };
    let owner_id = match form.owner_id.trim() {
        "" => None,
        o => Some(
            o.parse::<Uuid>()
                .map_err(|_| csms_domain::org::FieldError {
                    field: "owner_id",
                    message: "choose the owner from the list of members".into(),
                })?,
        ),
    };
    checked_result(
        fw,
        &form.outcome,
        ResultInput {
            outcome: None,
            maturity,
            notes: form.notes.clone(),
            owner_id,
            due_date: opt(&form.due_date),
        },
    )
}

pub async fn save_result(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    headers: HeaderMap,
    Form(form): Form<ResultForm>,
) -> Response {
    let l = match load(&state, &caller, id).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let outcome = parse_result(&l.framework, &form).map_err(|f| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            caller.tr.t1("error-invalid", "reason", f),
        )
    });
    let error = match outcome {
        Err(e) => Some(e),
        Ok((outcome, input)) => state
            .store()
            .set_result(
                &caller.actor(),
                l.org.id,
                id,
                ResultChange {
                    node_ref: form.node_ref.clone(),
                    version: form.version,
                    outcome,
                    input,
                },
            )
            .await
            .err()
            .map(|e| store_error(&caller.tr, &e)),
    };
    if is_htmx(&headers) {
        return row_response(&state, &caller, &l, &form.node_ref, error).await;
    }
    match error {
        None => back_to_row(&l, &form.node_ref),
        Some((status, msg)) => {
            let mut res = error_page(&caller, status, "error-invalid-page");
            // Keep the reason visible to a user without htmx.
            res.headers_mut().insert(
                "x-csms-error",
                HeaderValue::from_str(&msg.replace(['\r', '\n'], " "))
                    .unwrap_or(HeaderValue::from_static("invalid")),
            );
            res
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct EvidenceForm {
    pub node_ref: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub location: String,
}

pub async fn add_evidence(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    headers: HeaderMap,
    Form(form): Form<EvidenceForm>,
) -> Response {
    let l = match load(&state, &caller, id).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let error = state
        .store()
        .add_evidence(
            &caller.actor(),
            l.org.id,
            id,
            &form.node_ref,
            &form.label,
            &form.location,
        )
        .await
        .err()
        .map(|e| store_error(&caller.tr, &e));
    if is_htmx(&headers) {
        return row_response(&state, &caller, &l, &form.node_ref, error).await;
    }
    match error {
        None => back_to_row(&l, &form.node_ref),
        Some((status, _)) => error_page(&caller, status, "error-invalid-page"),
    }
}

pub async fn remove_evidence(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id, link)): Path<(String, Uuid, Uuid)>,
    headers: HeaderMap,
) -> Response {
    let l = match load(&state, &caller, id).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let node_ref = state
        .store()
        .evidence(l.org.id, id, None)
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|e| e.id == link)
        .map(|e| e.node_ref);
    let Some(node_ref) = node_ref else {
        return error_page(&caller, StatusCode::NOT_FOUND, "error-not-found");
    };
    let error = state
        .store()
        .remove_evidence(&caller.actor(), l.org.id, id, link)
        .await
        .err()
        .map(|e| store_error(&caller.tr, &e));
    if is_htmx(&headers) {
        return row_response(&state, &caller, &l, &node_ref, error).await;
    }
    match error {
        None => back_to_row(&l, &node_ref),
        Some((status, _)) => error_page(&caller, status, "error-invalid-page"),
    }
}

// ---------------------------------------------------------------------------------------
// Approval

#[derive(Debug, Deserialize)]
pub struct EditForm {
    pub version: i64,
    /// The zone a 62443-3-3 assessment assesses (a zone id, or empty).
    #[serde(default)]
    pub zone_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub period_start: String,
    #[serde(default)]
    pub period_end: String,
    #[serde(default)]
    pub assessors: String,
}

/// The error page for a refused write: not found, locked, changed in the meantime, or invalid.
fn write_error(caller: &Caller, e: &StoreError) -> Response {
    let (status, _) = store_error(&caller.tr, e);
    let key = match e {
        StoreError::NotFound { .. } => "error-not-found",
        StoreError::Locked(_) => "error-locked",
        StoreError::Conflict { .. } => "error-conflict-page",
        _ => "error-invalid-page",
    };
    error_page(caller, status, key)
}

/// Changes the header of an assessment in progress (title, scope, period, assessors).
pub async fn edit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<EditForm>,
) -> Response {
    let org = org_of(&caller);
    let zone_id = match zone_field(&caller.tr, &form.zone_id) {
        Ok(z) => z,
        Err(_) => {
            return error_page(
                &caller,
                StatusCode::UNPROCESSABLE_ENTITY,
                "error-invalid-page",
            );
        }
    };
    let patch = csms_store::assessment::AssessmentPatch {
        title: form.title,
        scope: form.scope,
        period_start: opt(&form.period_start),
        period_end: opt(&form.period_end),
        assessors: form.assessors,
        zone_id,
    };
    match state
        .store()
        .update_assessment(&caller.actor(), org.id, id, form.version, patch)
        .await
    {
        Ok(_) => {
            Redirect::to(&format!("/o/{}/assessments/{id}?notice=saved", org.slug)).into_response()
        }
        Err(e) => write_error(&caller, &e),
    }
}

#[derive(Debug, Deserialize)]
pub struct ApproveForm {
    pub version: i64,
    #[serde(default)]
    pub note: String,
}

pub async fn approve(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<ApproveForm>,
) -> Response {
    let org = org_of(&caller);
    match state
        .store()
        .approve_assessment(&caller.actor(), org.id, id, form.version, &form.note)
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/o/{}/assessments/{id}?notice=assessment-approved",
            org.slug
        ))
        .into_response(),
        Err(e) => write_error(&caller, &e),
    }
}

// ---------------------------------------------------------------------------------------
// Comparison

/// One requirement in a comparison.
pub struct CompareRow {
    pub reference: String,
    pub title: String,
    pub before: Outcome,
    pub after: Outcome,
    pub movement: Movement,
}

#[derive(Template)]
#[template(path = "assessment_compare.html")]
struct ComparePage {
    ctx: Ctx,
    org: Organization,
    a: Assessment,
    b: Assessment,
    rows: Vec<CompareRow>,
    counts: Vec<(Movement, usize)>,
    ta: Tally,
    tb: Tally,
    only_changes: bool,
}

impl ComparePage {
    fn pct(&self, v: f64) -> String {
        percent(v)
    }
}

#[derive(Debug, Deserialize)]
pub struct CompareQuery {
    pub with: Option<Uuid>,
    #[serde(default)]
    pub all: String,
}

pub async fn compare(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Query(q): Query<CompareQuery>,
) -> Response {
    let l = match load(&state, &caller, id).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let Some(other_id) = q.with else {
        return Redirect::to(&format!("/o/{}/assessments/{id}", l.org.slug)).into_response();
    };
    let store = state.store();
    let b = match store.assessment(l.org.id, other_id).await {
        Ok(b) => b,
        Err(_) => return error_page(&caller, StatusCode::NOT_FOUND, "error-not-found"),
    };
    if b.framework_id != l.assessment.framework_id {
        return error_page(
            &caller,
            StatusCode::UNPROCESSABLE_ENTITY,
            "assessment-compare-same",
        );
    }
    // Older first: the comparison reads "from the earlier to the later".
    let (a, b) = if b.created_at < l.assessment.created_at {
        (b, l.assessment.clone())
    } else {
        (l.assessment.clone(), b)
    };
    let (ra, rb) =
        match tokio::try_join!(store.results(l.org.id, a.id), store.results(l.org.id, b.id)) {
            Ok(v) => v,
            Err(e) => return fail(&caller, &e),
        };
    let (ra, rb) = (by_ref(ra), by_ref(rb));
    let tree = l.framework.tree();
    let ta = rules::overall(&tree, &outcomes(&ra));
    let tb = rules::overall(&tree, &outcomes(&rb));
    let only_changes = q.all.is_empty();
    let mut rows = Vec::new();
    let mut counts: HashMap<&'static str, usize> = HashMap::new();
    for (i, _) in l.framework.walk() {
        let n = &l.framework.catalog.nodes[i];
        if !n.assessable {
            continue;
        }
        let before = ra
            .get(&n.reference)
            .map_or(Outcome::NotAssessed, |r| r.outcome);
        let after = rb
            .get(&n.reference)
            .map_or(Outcome::NotAssessed, |r| r.outcome);
        let movement = rules::movement(before, after);
        *counts.entry(movement_key(movement)).or_default() += 1;
        if only_changes && movement == Movement::Same {
            continue;
        }
        rows.push(CompareRow {
            reference: n.reference.clone(),
            title: pick(&caller.tr, &n.title).to_owned(),
            before,
            after,
            movement,
        });
    }
    let counts = [
        Movement::Better,
        Movement::Worse,
        Movement::Changed,
        Movement::Same,
    ]
    .into_iter()
    .map(|m| (m, counts.get(movement_key(m)).copied().unwrap_or(0)))
    .collect();
    let path = format!("/o/{}/assessments/{id}/compare", l.org.slug);
    let ctx = Ctx::new(&state, &caller, "assessments", &path).await;
    render(&ComparePage {
        ctx,
        org: l.org,
        a,
        b,
        rows,
        counts,
        ta,
        tb,
        only_changes,
    })
}

pub fn movement_key(m: Movement) -> &'static str {
    match m {
        Movement::Same => "same",
        Movement::Better => "better",
        Movement::Worse => "worse",
        Movement::Changed => "changed",
    }
}

// ---------------------------------------------------------------------------------------
// Pre-fill from another framework's assessment

/// A mapped requirement of the other assessment behind a proposal.
pub struct SourceView {
    pub reference: String,
    pub outcome: Outcome,
    pub relationship: &'static str,
    pub provenance: &'static str,
    pub basis: String,
    pub via: String,
}

/// A proposed result.
pub struct Proposal {
    pub reference: String,
    pub title: String,
    pub current: Outcome,
    pub version: i64,
    pub proposed: Outcome,
    pub sources: Vec<SourceView>,
}

/// Computes the proposals for `target` from the results of `source` (another framework),
/// through every mapping between them.
async fn proposals(
    state: &AppState,
    caller: &Caller,
    l: &Loaded,
    source: &Assessment,
) -> Result<Vec<Proposal>, StoreError> {
    let store = state.store();
    let (rt, rs) = tokio::try_join!(
        store.results(l.org.id, l.assessment.id),
        store.results(l.org.id, source.id)
    )?;
    let (rt, rs) = (by_ref(rt), by_ref(rs));
    let mut out = Vec::new();
    for (i, _) in l.framework.walk() {
        let n = &l.framework.catalog.nodes[i];
        if !n.assessable {
            continue;
        }
        let Some(current) = rt.get(&n.reference) else {
            continue;
        };
        let relations = l
            .library
            .relations(l.framework.id(), n, Some(&source.framework_id));
        if relations.is_empty() {
            continue;
        }
        let mut sources = Vec::new();
        let mut inputs = Vec::new();
        for rel in relations {
            let outcome = rs
                .get(&rel.reference)
                .map_or(Outcome::NotAssessed, |r| r.outcome);
            inputs.push((outcome, coverage(rel.relationship)));
            sources.push(SourceView {
                reference: rel.reference,
                outcome,
                relationship: rel.relationship.as_str(),
                provenance: rel.provenance,
                basis: rel.basis,
                via: rel.via.unwrap_or_default(),
            });
        }
        let Some(proposed) = rules::propose(&inputs) else {
            continue;
        };
        sources.sort_by(|a, b| a.reference.cmp(&b.reference));
        sources.dedup_by(|a, b| a.reference == b.reference && a.basis == b.basis);
        out.push(Proposal {
            reference: n.reference.clone(),
            title: pick(&caller.tr, &n.title).to_owned(),
            current: current.outcome,
            version: current.version,
            proposed,
            sources,
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "assessment_prefill.html")]
struct PrefillPage {
    ctx: Ctx,
    org: Organization,
    a: Assessment,
    source: Option<Assessment>,
    candidates: Vec<(Uuid, String, String)>,
    proposals: Vec<Proposal>,
    can_manage: bool,
}

#[derive(Debug, Deserialize)]
pub struct PrefillQuery {
    pub from: Option<Uuid>,
}

pub async fn prefill(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Query(q): Query<PrefillQuery>,
) -> Response {
    let l = match load(&state, &caller, id).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let all = state
        .store()
        .assessments(l.org.id)
        .await
        .unwrap_or_default();
    let candidates = all
        .iter()
        .filter(|o| o.id != id && o.framework_id != l.assessment.framework_id)
        .map(|o| {
            let fw = l.library.framework(&o.framework_id).map_or_else(
                || o.framework_id.clone(),
                |f| pick(&caller.tr, &f.catalog.framework.name).to_owned(),
            );
            (o.id, o.title.clone(), fw)
        })
        .collect();
    let source = q
        .from
        .and_then(|f| all.into_iter().find(|o| o.id == f && o.id != id));
    let proposals = match &source {
        Some(s) => match proposals(&state, &caller, &l, s).await {
            Ok(p) => p,
            Err(e) => return fail(&caller, &e),
        },
        None => Vec::new(),
    };
    let path = format!("/o/{}/assessments/{id}/prefill", l.org.slug);
    let ctx = Ctx::new(&state, &caller, "assessments", &path).await;
    render(&PrefillPage {
        can_manage: caller.may(Perm::OrgManage)
            && l.assessment.status == AssessmentStatus::InProgress,
        ctx,
        org: l.org,
        a: l.assessment,
        source,
        candidates,
        proposals,
    })
}

/// Applies the proposals the user ticked (`take` fields naming requirement refs). The
/// proposals are computed again here: the client only chooses which.
pub async fn apply_prefill(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let l = match load(&state, &caller, id).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let from = fields
        .iter()
        .find(|(k, _)| k == "from")
        .and_then(|(_, v)| v.parse::<Uuid>().ok());
    let Some(source) = (match from {
        Some(f) => state.store().assessment(l.org.id, f).await.ok(),
        None => None,
    }) else {
        return error_page(
            &caller,
            StatusCode::UNPROCESSABLE_ENTITY,
            "assessment-prefill-source",
        );
    };
    let take: std::collections::HashSet<&str> = fields
        .iter()
        .filter(|(k, _)| k == "take")
        .map(|(_, v)| v.as_str())
        .collect();
    let versions: HashMap<&str, i64> = fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("v:")?, v.parse().ok()?)))
        .collect();
    let shown: HashMap<&str, &str> = fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("p:")?, v.as_str())))
        .collect();
    let props = match proposals(&state, &caller, &l, &source).await {
        Ok(p) => p,
        Err(e) => return fail(&caller, &e),
    };
    // Every ticked proposal must name the version the user saw and the proposal shown: if
    // either moved on since (a colleague's edit, a change in the other assessment), nothing is
    // applied and the user looks again.
    for p in props.iter().filter(|p| take.contains(p.reference.as_str())) {
        let r = p.reference.as_str();
        if versions.get(r) != Some(&p.version) || shown.get(r) != Some(&p.proposed.as_str()) {
            return error_page(&caller, StatusCode::CONFLICT, "error-conflict-page");
        }
    }
    let results = by_ref(
        state
            .store()
            .results(l.org.id, id)
            .await
            .unwrap_or_default(),
    );
    let changes: Vec<ResultChange> = props
        .into_iter()
        .filter(|p| take.contains(p.reference.as_str()))
        .map(|p| {
            let existing = results.get(&p.reference);
            let basis: Vec<String> = p
                .sources
                .iter()
                .map(|s| {
                    format!(
                        "{} ({}, {}{})",
                        s.reference,
                        s.outcome.as_str(),
                        s.relationship,
                        if s.basis.is_empty() {
                            String::new()
                        } else {
                            format!("; {}", s.basis)
                        }
                    )
                })
                .collect();
            let note = format!(
                "{}: {}",
                caller
                    .tr
                    .t1("assessment-prefill-note", "title", &source.title),
                basis.join(", ")
            );
            let notes = match existing.map(|r| r.notes.trim()).filter(|n| !n.is_empty()) {
                Some(old) => format!("{old}\n{note}"),
                None => note,
            };
            ResultChange {
                version: p.version,
                input: ResultInput {
                    outcome: Some(p.proposed),
                    maturity: existing.and_then(|r| r.maturity),
                    notes,
                    owner_id: existing.and_then(|r| r.owner_id),
                    due_date: existing.and_then(|r| r.due_date.clone()),
                },
                node_ref: p.reference,
                outcome: p.proposed,
            }
        })
        .collect();
    let n = changes.len();
    match state
        .store()
        .set_results(&caller.actor(), l.org.id, id, changes)
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/o/{}/assessments/{id}?notice=prefill-applied&n={n}",
            l.org.slug
        ))
        .into_response(),
        Err(e) => write_error(&caller, &e),
    }
}

// ---------------------------------------------------------------------------------------
// Export

/// The export of an assessment in the reader's language.
async fn export_data(
    state: &AppState,
    caller: &Caller,
    l: &Loaded,
) -> Result<csms_report::assessment::AssessmentExport, StoreError> {
    use csms_report::assessment::{AssessmentExport, ExportColumns, ExportRow, SummaryLine};
    let store = state.store();
    let tr = &caller.tr;
    let (results, evidence, members) = tokio::try_join!(
        store.results(l.org.id, l.assessment.id),
        store.evidence(l.org.id, l.assessment.id, None),
        store.members(l.org.id),
    )?;
    let results = by_ref(results);
    let names: HashMap<Uuid, String> = members
        .iter()
        .map(|m| (m.user.id, m.user.display_name.clone()))
        .collect();
    let mut ev: HashMap<&str, Vec<String>> = HashMap::new();
    for e in &evidence {
        ev.entry(e.node_ref.as_str())
            .or_default()
            .push(if e.location.is_empty() {
                e.label.clone()
            } else {
                format!("{} — {}", e.label, e.location)
            });
    }
    let fw = &l.framework;
    let mut rows = Vec::new();
    for (i, _) in fw.walk() {
        let n = &fw.catalog.nodes[i];
        let Some(r) = n.assessable.then(|| results.get(&n.reference)).flatten() else {
            continue;
        };
        let clause = fw
            .group_of(i)
            .map(|g| {
                let g = &fw.catalog.nodes[g];
                format!("{} {}", g.reference, pick(tr, &g.title))
            })
            .unwrap_or_default();
        rows.push(ExportRow {
            clause,
            reference: n.reference.clone(),
            title: pick(tr, &n.title).to_owned(),
            result: outcome_label(tr, r.outcome),
            result_code: r.outcome.as_str().to_owned(),
            maturity: r.maturity,
            notes: r.notes.clone(),
            evidence: ev.remove(n.reference.as_str()).unwrap_or_default(),
            owner: r
                .owner_id
                .and_then(|o| names.get(&o).cloned())
                .unwrap_or_default(),
            due_date: r.due_date.clone().unwrap_or_default(),
        });
    }
    let tree = fw.tree();
    let overall = rules::overall(&tree, &outcomes(&results));
    let summary = Outcome::ALL
        .iter()
        .map(|o| SummaryLine {
            label: outcome_label(tr, *o),
            count: overall.count(*o),
            percent: if overall.total == 0 {
                0.0
            } else {
                f64::from(overall.count(*o)) * 100.0 / f64::from(overall.total)
            },
        })
        .collect();
    let a = &l.assessment;
    let status = match a.status {
        AssessmentStatus::InProgress => tr.t("assessment-status-in-progress"),
        AssessmentStatus::Approved => format!(
            "{} {} {}",
            tr.t("assessment-status-approved"),
            tr.datetime_opt(&a.approved_at),
            a.approved_by
                .and_then(|u| names.get(&u).cloned())
                .unwrap_or_default()
        ),
    };
    Ok(AssessmentExport {
        lang: tr.lang.code().to_owned(),
        title: a.title.clone(),
        framework: pick(tr, &fw.catalog.framework.name).to_owned(),
        organization: l.org.name.clone(),
        status,
        period: format!(
            "{} – {}",
            a.period_start.clone().unwrap_or_default(),
            a.period_end.clone().unwrap_or_default()
        ),
        scope: a.scope.clone(),
        assessors: a.assessors.clone(),
        generated_at: tr.datetime(&csms_domain::time::now()),
        columns: ExportColumns {
            clause: tr.t("export-clause"),
            reference: tr.t("export-reference"),
            title: tr.t("export-title"),
            result: tr.t("export-result"),
            maturity: tr.t("export-maturity"),
            notes: tr.t("export-notes"),
            evidence: tr.t("export-evidence"),
            owner: tr.t("export-owner"),
            due_date: tr.t("export-due"),
        },
        rows,
        summary,
    })
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
) -> Response {
    let l = match load(&state, &caller, id).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let data = match export_data(&state, &caller, &l).await {
        Ok(d) => d,
        Err(e) => return fail(&caller, &e),
    };
    let bytes =
        match tokio::task::spawn_blocking(move || csms_report::assessment::assessment_xlsx(&data))
            .await
        {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "XLSX export failed");
                return error_page(
                    &caller,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error-internal-page",
                );
            }
            Err(e) => {
                tracing::error!(error = %e, "XLSX export task failed");
                return error_page(
                    &caller,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error-internal-page",
                );
            }
        };
    download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("assessment-{id}.xlsx"),
    )
}

pub async fn export_csv(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
) -> Response {
    let l = match load(&state, &caller, id).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    match export_data(&state, &caller, &l).await {
        Ok(d) => download(
            csms_report::assessment::assessment_csv(&d).into_bytes(),
            "text/csv; charset=utf-8",
            &format!("assessment-{id}.csv"),
        ),
        Err(e) => fail(&caller, &e),
    }
}
