//! Pages of the inventory area: sites and systems, assets (list with filters and keyset
//! paging, page, form), zones (SL-T per FR, SL-A from the zone's 62443-3-3 assessment, the gap
//! and what closes it, assets in the zone), conduits with their channels, and the zone and
//! conduit diagram. The API (`api::inventory`) shares the computations here.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use csms_domain::Uuid;
use csms_domain::assessment::{Assessment, Outcome};
use csms_domain::inventory::{
    Asset, AssetType, Channel, Conduit, Criticality, Direction, Interface, Lifecycle, NewAsset,
    NewConduit, NewSite, NewSystem, NewZone, PURDUE_LEVELS, Site, System, Zone,
};
use csms_domain::org::{FieldError, Organization};
use csms_domain::zone::{Fr, FrGap, Met, RequirementStatus, SlVector, derive_sl_a, gap};
use csms_store::StoreError;
use csms_store::inventory::{AssetFilter, AssetPage};
use csms_store::zone::ZoneAssessment;
use serde::Deserialize;

use super::org::{org_of, store_error};
use super::{Ctx, Notice, error_page, render};
use crate::AppState;
use crate::authz::{Caller, Perm};
use crate::i18n::Tr;
use crate::library::Indexed;
use crate::routes::{Route, route};

/// Message keys this module builds at run time (checked by the i18n test).
#[cfg(test)]
pub(crate) const DYNAMIC_KEYS: &[&str] = &[
    "inv-type-plc",
    "inv-type-dcs_controller",
    "inv-type-safety_system",
    "inv-type-hmi",
    "inv-type-engineering_workstation",
    "inv-type-historian",
    "inv-type-server",
    "inv-type-network_switch",
    "inv-type-firewall",
    "inv-type-rtu",
    "inv-type-ied",
    "inv-type-remote_io",
    "inv-type-sensor_actuator",
    "inv-type-other",
    "inv-crit-low",
    "inv-crit-medium",
    "inv-crit-high",
    "inv-crit-critical",
    "inv-life-planned",
    "inv-life-in_operation",
    "inv-life-maintenance",
    "inv-life-decommissioned",
    "inv-dir-one_way",
    "inv-dir-two_way",
    "inv-purdue-0",
    "inv-purdue-1",
    "inv-purdue-2",
    "inv-purdue-3",
    "inv-purdue-4",
    "inv-purdue-5",
    "inv-purdue-6",
    "inv-notice-saved",
    "inv-notice-deleted",
    "inv-notice-moved",
    "inv-field-asset_tag",
    "inv-field-name",
    "inv-field-asset_type",
    "inv-field-vendor",
    "inv-field-product_family",
    "inv-field-model",
    "inv-field-order_number",
    "inv-field-firmware_version",
    "inv-field-serial_number",
    "inv-field-purdue_level",
    "inv-field-location",
    "inv-field-interfaces",
    "inv-field-protocols",
    "inv-field-criticality",
    "inv-field-owner_id",
    "inv-field-zone_id",
    "inv-field-system_id",
    "inv-field-site_id",
    "inv-field-lifecycle",
    "inv-field-sl_c",
    "inv-field-custom",
    "inv-field-sl",
    "inv-field-sl_t",
    "inv-field-sl_t_justification",
    "inv-field-description",
    "inv-field-channels",
    "inv-field-direction",
    "inv-field-from_zone_id",
    "inv-field-to_zone_id",
    "inv-field-assets",
    "inv-field-version",
    "inv-field-confirm",
    "inv-field-q",
];

// ---------------------------------------------------------------------------------------
// Words

pub(crate) fn type_label(tr: &Tr, t: AssetType) -> String {
    tr.t(&format!("inv-type-{}", t.as_str()))
}

pub(crate) fn criticality_label(tr: &Tr, c: Criticality) -> String {
    tr.t(&format!("inv-crit-{}", c.as_str()))
}

pub(crate) fn lifecycle_label(tr: &Tr, l: Lifecycle) -> String {
    tr.t(&format!("inv-life-{}", l.as_str()))
}

pub(crate) fn direction_label(tr: &Tr, d: Direction) -> String {
    tr.t(&format!("inv-dir-{}", d.as_str()))
}

/// The diagram band of a stored Purdue level: 0, 1, 2, 3, 3.5 (DMZ) → 4, 4 → 5, 5 → 6.
pub(crate) fn purdue_rank(level: &str) -> Option<u8> {
    PURDUE_LEVELS
        .iter()
        .position(|l| *l == level)
        .and_then(|p| u8::try_from(p).ok())
}

/// A value however deeply the templates borrow it (loops and `if let` add references).
trait Val<T> {
    fn val(&self) -> T;
}

macro_rules! val {
    ($($t:ty),*) => {
        $(
            impl Val<$t> for $t {
                fn val(&self) -> $t {
                    *self
                }
            }
            impl Val<$t> for &$t {
                fn val(&self) -> $t {
                    **self
                }
            }
            impl Val<$t> for &&$t {
                fn val(&self) -> $t {
                    ***self
                }
            }
        )*
    };
}

val!(
    Uuid,
    SlVector,
    Fr,
    u8,
    AssetType,
    Criticality,
    Lifecycle,
    Direction,
    Option<Uuid>,
    Option<u8>
);

/// Words and lists the inventory templates share.
trait Labels {
    fn tr(&self) -> &Tr;

    fn types(&self) -> &'static [AssetType] {
        AssetType::ALL
    }
    fn criticalities(&self) -> &'static [Criticality] {
        Criticality::ALL
    }
    fn lifecycles(&self) -> &'static [Lifecycle] {
        Lifecycle::ALL
    }
    fn directions(&self) -> &'static [Direction] {
        Direction::ALL
    }
    fn purdue_levels(&self) -> &'static [&'static str] {
        &PURDUE_LEVELS
    }
    fn frs(&self) -> [Fr; 7] {
        Fr::ALL
    }
    fn sl_values(&self) -> [u8; 5] {
        [0, 1, 2, 3, 4]
    }
    fn tlabel<T: Val<AssetType>>(&self, t: T) -> String {
        type_label(self.tr(), t.val())
    }
    fn clabel<T: Val<Criticality>>(&self, c: T) -> String {
        criticality_label(self.tr(), c.val())
    }
    fn llabel<T: Val<Lifecycle>>(&self, l: T) -> String {
        lifecycle_label(self.tr(), l.val())
    }
    fn dlabel<T: Val<Direction>>(&self, d: T) -> String {
        direction_label(self.tr(), d.val())
    }
    fn plabel(&self, level: &str) -> String {
        purdue_rank(level).map_or_else(
            || level.to_owned(),
            |r| self.tr().t(&format!("inv-purdue-{r}")),
        )
    }
    fn frlabel<F: Val<Fr>>(&self, fr: F) -> String {
        let fr = &fr.val();
        let name = if self.tr().lang.code() == "ja" {
            fr.label_ja()
        } else {
            fr.label_en()
        };
        format!("{} {name}", fr.code())
    }
    fn sl<V: Val<SlVector>>(&self, v: V) -> String {
        v.val().to_string()
    }
    fn sl_at<V: Val<SlVector>, F: Val<Fr>>(&self, v: V, fr: F) -> u8 {
        v.val().get(fr.val())
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
    SitesPage,
    AssetsPage,
    AssetPageView,
    AssetFormPage,
    ZonesPage,
    ZonePage,
    ConduitsPage,
    ConduitFormPage,
    DiagramPage
);

// ---------------------------------------------------------------------------------------
// Forms and errors

/// A submitted form as its name/value pairs, in order (repeated rows keep their order).
#[derive(Debug, Default, Clone)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn version(&self) -> Result<i64, FieldError> {
        self.get("version").trim().parse().map_err(|_| FieldError {
            field: "version",
            message: "the form lacks the version it was read at; reload the page".into(),
        })
    }
}

/// A refused form: the status to answer with, the message and the field it names.
pub struct FormError {
    pub status: StatusCode,
    pub message: String,
    pub field: String,
}

impl FormError {
    fn of(tr: &Tr, e: &StoreError) -> FormError {
        let (status, message) = match e {
            // The store says what holds the row (assets, conduits, assessments) and what to do.
            StoreError::Locked(why) => (StatusCode::CONFLICT, tr.t1("inv-in-use", "reason", why)),
            _ => store_error(tr, e),
        };
        let field = match e {
            StoreError::Invalid(f) => f.field.to_owned(),
            _ => String::new(),
        };
        FormError {
            status,
            message,
            field,
        }
    }

    fn field(tr: &Tr, f: FieldError) -> FormError {
        FormError::of(tr, &StoreError::Invalid(f))
    }
}

/// An optional id from a select: empty is none.
pub(crate) fn opt_id(field: &'static str, v: &str) -> Result<Option<Uuid>, FieldError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(v).map(Some).map_err(|_| FieldError {
        field,
        message: format!(
            "'{}' is not one of the choices; pick one from the list",
            shown(v)
        ),
    })
}

/// A value quoted in a message: at most 60 characters, no control characters.
fn shown(v: &str) -> String {
    let mut out: String = v.chars().filter(|c| !c.is_control()).take(60).collect();
    if v.chars().count() > 60 {
        out.push('…');
    }
    out
}

fn parse_named<T>(
    v: &str,
    parse: fn(&str) -> Result<T, FieldError>,
) -> Result<Option<T>, FieldError> {
    let v = v.trim();
    if v.is_empty() {
        Ok(None)
    } else {
        parse(v).map(Some)
    }
}

/// `key = value` lines (blank lines skipped) as custom fields.
pub(crate) fn parse_custom(text: &str) -> Result<BTreeMap<String, String>, FieldError> {
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(FieldError {
                field: "custom",
                message: format!(
                    "line {} ('{}') lacks '='; write one field per line as key = value",
                    n + 1,
                    shown(line)
                ),
            });
        };
        let k = k.trim().to_owned();
        if out.insert(k.clone(), v.trim().to_owned()).is_some() {
            return Err(FieldError {
                field: "custom",
                message: format!("custom field '{}' is given twice; keep one", shown(&k)),
            });
        }
    }
    Ok(out)
}

pub(crate) fn custom_text(custom: &BTreeMap<String, String>) -> String {
    custom
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A comma- or line-separated list, items trimmed, empty ones dropped.
fn list(v: &str) -> Vec<String> {
    v.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn notice(ctx: &mut Ctx, key: Option<&str>) {
    const KNOWN: &[&str] = &["saved", "deleted", "moved"];
    if let Some(k) = key.filter(|k| KNOWN.contains(k)) {
        ctx.notices.push(Notice {
            kind: "ok",
            text: ctx.tr.t(&format!("inv-notice-{k}")),
        });
    }
}

fn fail(caller: &Caller, e: &StoreError) -> Response {
    let (status, _) = store_error(&caller.tr, e);
    let key = match e {
        StoreError::NotFound { .. } => "error-not-found",
        StoreError::Conflict { .. } => "error-conflict-page",
        StoreError::Locked(_) | StoreError::Invalid(_) | StoreError::Duplicate { .. } => {
            "error-invalid-page"
        }
        _ => "error-internal-page",
    };
    error_page(caller, status, key)
}

/// Fields whose names the messages translate (`inv-field-*`).
const FIELDS: &[&str] = &[
    "asset_tag",
    "name",
    "asset_type",
    "vendor",
    "product_family",
    "model",
    "order_number",
    "firmware_version",
    "serial_number",
    "purdue_level",
    "location",
    "interfaces",
    "protocols",
    "criticality",
    "owner_id",
    "zone_id",
    "system_id",
    "site_id",
    "lifecycle",
    "sl_c",
    "custom",
    "sl",
    "sl_t",
    "sl_t_justification",
    "description",
    "channels",
    "direction",
    "from_zone_id",
    "to_zone_id",
    "assets",
    "version",
    "confirm",
    "q",
];

/// Adds a refused form's message to the page and gives the status to answer with.
fn apply_error(ctx: &mut Ctx, tr: &Tr, error: &Option<FormError>) -> StatusCode {
    match error {
        Some(e) => {
            let text = if FIELDS.contains(&e.field.as_str()) {
                format!("{}: {}", tr.t(&format!("inv-field-{}", e.field)), e.message)
            } else {
                e.message.clone()
            };
            ctx.error(text);
            e.status
        }
        None => StatusCode::OK,
    }
}

fn see(path: String) -> Response {
    Redirect::to(&path).into_response()
}

// ---------------------------------------------------------------------------------------
// Sites and systems

/// A site or system form as typed (kept when refused).
#[derive(Debug, Default, Clone)]
pub struct SiteForm {
    pub id: Option<Uuid>,
    pub name: String,
    pub location: String,
    pub description: String,
}

#[derive(Debug, Default, Clone)]
pub struct SystemForm {
    pub id: Option<Uuid>,
    pub site_id: String,
    pub name: String,
    pub description: String,
    pub owner_id: String,
    pub criticality: String,
}

#[derive(Template)]
#[template(path = "inventory_sites.html")]
struct SitesPage {
    ctx: Ctx,
    org: Organization,
    section: &'static str,
    sites: Vec<Site>,
    systems: Vec<System>,
    members: Vec<(Uuid, String)>,
    can_write: bool,
    can_manage: bool,
    site_form: SiteForm,
    system_form: SystemForm,
    error_field: String,
}

impl SitesPage {
    fn bad(&self, field: &str) -> bool {
        self.error_field == field
    }
    fn site_name<U: Val<Option<Uuid>>>(&self, id: U) -> String {
        id.val()
            .and_then(|id| self.sites.iter().find(|s| s.id == id))
            .map(|s| s.name.clone())
            .unwrap_or_default()
    }
    fn member_name<U: Val<Option<Uuid>>>(&self, id: U) -> String {
        id.val()
            .and_then(|id| self.members.iter().find(|m| m.0 == id))
            .map(|m| m.1.clone())
            .unwrap_or_default()
    }
    fn is<A: Val<Option<Uuid>>, B: Val<Uuid>>(&self, a: A, b: B) -> bool {
        a.val() == Some(b.val())
    }
    fn editing_site<U: Val<Uuid>>(&self, id: U) -> bool {
        self.site_form.id == Some(id.val())
    }
    fn editing_system<U: Val<Uuid>>(&self, id: U) -> bool {
        self.system_form.id == Some(id.val())
    }
}

pub(crate) async fn member_names(state: &AppState, org_id: Uuid) -> Vec<(Uuid, String)> {
    let mut m: Vec<(Uuid, String)> = state
        .store()
        .members(org_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|m| (m.user.id, m.user.display_name))
        .collect();
    m.sort_by(|a, b| a.1.cmp(&b.1));
    m
}

async fn sites_page(
    state: &AppState,
    caller: &Caller,
    notice_key: Option<&str>,
    site_form: SiteForm,
    system_form: SystemForm,
    error: Option<FormError>,
) -> Response {
    let org = org_of(caller);
    let store = state.store();
    let (sites, systems) = match tokio::try_join!(store.sites(org.id), store.systems(org.id)) {
        Ok(v) => v,
        Err(e) => return fail(caller, &e),
    };
    let members = member_names(state, org.id).await;
    let path = format!("/o/{}/sites", org.slug);
    let mut ctx = Ctx::new(state, caller, "assets", &path).await;
    notice(&mut ctx, notice_key);
    let status = apply_error(&mut ctx, &caller.tr, &error);
    let page = SitesPage {
        ctx,
        org,
        section: "sites",
        sites,
        systems,
        members,
        can_write: caller.may(Perm::OrgWrite),
        can_manage: caller.may(Perm::OrgManage),
        site_form,
        system_form,
        error_field: error.map(|e| e.field).unwrap_or_default(),
    };
    (status, render(&page)).into_response()
}

pub async fn sites(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<super::auth::NoticeQuery>,
) -> Response {
    sites_page(
        &state,
        &caller,
        q.notice.as_deref(),
        SiteForm::default(),
        SystemForm::default(),
        None,
    )
    .await
}

fn site_form(f: &Fields, id: Option<Uuid>) -> SiteForm {
    SiteForm {
        id,
        name: f.get("name").to_owned(),
        location: f.get("location").to_owned(),
        description: f.get("description").to_owned(),
    }
}

fn new_site(f: &SiteForm) -> NewSite {
    NewSite {
        name: f.name.clone(),
        location: f.location.clone(),
        description: f.description.clone(),
    }
}

pub async fn create_site(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(f);
    let org = org_of(&caller);
    let form = site_form(&f, None);
    match state
        .store()
        .create_site(&caller.actor(), org.id, new_site(&form))
        .await
    {
        Ok(_) => see(format!("/o/{}/sites?notice=saved", org.slug)),
        Err(e) => {
            let err = FormError::of(&caller.tr, &e);
            sites_page(
                &state,
                &caller,
                None,
                form,
                SystemForm::default(),
                Some(err),
            )
            .await
        }
    }
}

pub async fn update_site(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(f);
    let org = org_of(&caller);
    let form = site_form(&f, Some(id));
    let version = match f.version() {
        Ok(v) => v,
        Err(e) => {
            let err = FormError::field(&caller.tr, e);
            return sites_page(
                &state,
                &caller,
                None,
                form,
                SystemForm::default(),
                Some(err),
            )
            .await;
        }
    };
    match state
        .store()
        .update_site(&caller.actor(), org.id, id, version, new_site(&form))
        .await
    {
        Ok(_) => see(format!("/o/{}/sites?notice=saved", org.slug)),
        Err(StoreError::NotFound { .. }) => {
            error_page(&caller, StatusCode::NOT_FOUND, "error-not-found")
        }
        Err(e) => {
            let err = FormError::of(&caller.tr, &e);
            sites_page(
                &state,
                &caller,
                None,
                form,
                SystemForm::default(),
                Some(err),
            )
            .await
        }
    }
}

pub async fn delete_site(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(f);
    let org = org_of(&caller);
    let version = match f.version() {
        Ok(v) => v,
        Err(e) => return fail(&caller, &StoreError::Invalid(e)),
    };
    match state
        .store()
        .delete_site(&caller.actor(), org.id, id, version)
        .await
    {
        Ok(()) => see(format!("/o/{}/sites?notice=deleted", org.slug)),
        Err(StoreError::NotFound { .. }) => {
            error_page(&caller, StatusCode::NOT_FOUND, "error-not-found")
        }
        Err(e) => {
            let err = FormError::of(&caller.tr, &e);
            sites_page(
                &state,
                &caller,
                None,
                SiteForm::default(),
                SystemForm::default(),
                Some(err),
            )
            .await
        }
    }
}

fn system_form(f: &Fields, id: Option<Uuid>) -> SystemForm {
    SystemForm {
        id,
        site_id: f.get("site_id").to_owned(),
        name: f.get("name").to_owned(),
        description: f.get("description").to_owned(),
        owner_id: f.get("owner_id").to_owned(),
        criticality: f.get("criticality").to_owned(),
    }
}

fn new_system(f: &SystemForm) -> Result<NewSystem, FieldError> {
    Ok(NewSystem {
        site_id: opt_id("site_id", &f.site_id)?,
        name: f.name.clone(),
        description: f.description.clone(),
        owner_id: opt_id("owner_id", &f.owner_id)?,
        criticality: parse_named(&f.criticality, Criticality::parse)?.unwrap_or_default(),
    })
}

pub async fn create_system(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(f);
    let org = org_of(&caller);
    let form = system_form(&f, None);
    let result = match new_system(&form) {
        Ok(new) => {
            state
                .store()
                .create_system(&caller.actor(), org.id, new)
                .await
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => see(format!("/o/{}/sites?notice=saved", org.slug)),
        Err(e) => {
            let err = FormError::of(&caller.tr, &e);
            sites_page(&state, &caller, None, SiteForm::default(), form, Some(err)).await
        }
    }
}

pub async fn update_system(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(f);
    let org = org_of(&caller);
    let form = system_form(&f, Some(id));
    let result = match (f.version(), new_system(&form)) {
        (Ok(v), Ok(new)) => {
            state
                .store()
                .update_system(&caller.actor(), org.id, id, v, new)
                .await
        }
        (Err(e), _) | (_, Err(e)) => Err(e.into()),
    };
    match result {
        Ok(_) => see(format!("/o/{}/sites?notice=saved", org.slug)),
        Err(StoreError::NotFound { kind: "system", .. }) => {
            error_page(&caller, StatusCode::NOT_FOUND, "error-not-found")
        }
        Err(e) => {
            let err = FormError::of(&caller.tr, &e);
            sites_page(&state, &caller, None, SiteForm::default(), form, Some(err)).await
        }
    }
}

pub async fn delete_system(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(f);
    let org = org_of(&caller);
    let version = match f.version() {
        Ok(v) => v,
        Err(e) => return fail(&caller, &StoreError::Invalid(e)),
    };
    match state
        .store()
        .delete_system(&caller.actor(), org.id, id, version)
        .await
    {
        Ok(()) => see(format!("/o/{}/sites?notice=deleted", org.slug)),
        Err(StoreError::NotFound { .. }) => {
            error_page(&caller, StatusCode::NOT_FOUND, "error-not-found")
        }
        Err(e) => {
            let err = FormError::of(&caller.tr, &e);
            sites_page(
                &state,
                &caller,
                None,
                SiteForm::default(),
                SystemForm::default(),
                Some(err),
            )
            .await
        }
    }
}

// ---------------------------------------------------------------------------------------
// Assets

/// Percent-encodes a query value.
pub(crate) fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The asset list's filters as typed in the query string.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AssetQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub site: String,
    #[serde(default)]
    pub system: String,
    #[serde(default)]
    pub zone: String,
    #[serde(default, rename = "type")]
    pub asset_type: String,
    #[serde(default)]
    pub criticality: String,
    #[serde(default)]
    pub lifecycle: String,
    #[serde(default)]
    pub purdue: String,
    #[serde(default)]
    pub after: String,
    #[serde(default)]
    pub notice: Option<String>,
}

impl AssetQuery {
    /// The filters as a query string (without the cursor).
    fn query_string(&self) -> String {
        [
            ("q", &self.q),
            ("site", &self.site),
            ("system", &self.system),
            ("zone", &self.zone),
            ("type", &self.asset_type),
            ("criticality", &self.criticality),
            ("lifecycle", &self.lifecycle),
            ("purdue", &self.purdue),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", enc(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }

    /// The store's filter, or the first invalid value.
    pub(crate) fn filter(&self) -> Result<AssetFilter, FieldError> {
        let q = self.q.trim();
        Ok(AssetFilter {
            q: (!q.is_empty()).then(|| q.to_owned()),
            asset_type: parse_named(&self.asset_type, AssetType::parse)?,
            zone_id: opt_id("zone_id", &self.zone)?,
            system_id: opt_id("system_id", &self.system)?,
            site_id: opt_id("site_id", &self.site)?,
            criticality: parse_named(&self.criticality, Criticality::parse)?,
            lifecycle: parse_named(&self.lifecycle, Lifecycle::parse)?,
            purdue_level: {
                let p = self.purdue.trim();
                (!p.is_empty()).then(|| p.to_owned())
            },
            limit: 50,
            after: {
                let a = self.after.trim();
                if a.chars().any(char::is_control) {
                    return Err(FieldError {
                        field: "after",
                        message: "the page link is damaged; start again from the first page".into(),
                    });
                }
                (!a.is_empty()).then(|| a.to_owned())
            },
        })
    }
}

/// An asset as the list shows it.
pub struct AssetRow {
    pub a: Asset,
    pub zone: String,
    pub system: String,
}

#[derive(Template)]
#[template(path = "inventory_assets.html")]
struct AssetsPage {
    ctx: Ctx,
    org: Organization,
    section: &'static str,
    q: AssetQuery,
    rows: Vec<AssetRow>,
    next: Option<String>,
    total: i64,
    sites: Vec<Site>,
    systems: Vec<System>,
    zones: Vec<Zone>,
    can_write: bool,
}

impl AssetsPage {
    fn sel(&self, value: &str, chosen: &str) -> bool {
        value == chosen.trim()
    }
    fn sel_id<U: Val<Uuid>>(&self, id: U, chosen: &str) -> bool {
        id.val().to_string() == chosen.trim()
    }
    fn filtered(&self) -> bool {
        !self.q.query_string().is_empty()
    }
}

fn names<T>(
    items: &[T],
    id: impl Fn(&T) -> Uuid,
    name: impl Fn(&T) -> &str,
) -> HashMap<Uuid, String> {
    items.iter().map(|t| (id(t), name(t).to_owned())).collect()
}

pub async fn assets(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<AssetQuery>,
) -> Response {
    let org = org_of(&caller);
    let store = state.store();
    let (sites, systems, zones, total) = match tokio::try_join!(
        store.sites(org.id),
        store.systems(org.id),
        store.zones(org.id),
        store.org_asset_count(org.id),
    ) {
        Ok(v) => v,
        Err(e) => return fail(&caller, &e),
    };
    let path = format!("/o/{}/assets", org.slug);
    let mut ctx = Ctx::new(&state, &caller, "assets", &path).await;
    notice(&mut ctx, q.notice.as_deref());
    let (page, status) = match q.filter() {
        Ok(filter) => match store.assets(org.id, &filter).await {
            Ok(p) => (p, StatusCode::OK),
            Err(StoreError::Invalid(f)) => {
                let e = FormError::field(&caller.tr, f);
                let s = apply_error(&mut ctx, &caller.tr, &Some(e));
                (
                    AssetPage {
                        assets: Vec::new(),
                        next: None,
                    },
                    s,
                )
            }
            Err(e) => return fail(&caller, &e),
        },
        Err(f) => {
            let e = FormError::field(&caller.tr, f);
            apply_error(&mut ctx, &caller.tr, &Some(e));
            (
                AssetPage {
                    assets: Vec::new(),
                    next: None,
                },
                StatusCode::BAD_REQUEST,
            )
        }
    };
    let zone_names = names(&zones, |z| z.id, |z| &z.name);
    let system_names = names(&systems, |s| s.id, |s| &s.name);
    let rows = page
        .assets
        .into_iter()
        .map(|a| AssetRow {
            zone: a
                .zone_id
                .and_then(|z| zone_names.get(&z).cloned())
                .unwrap_or_default(),
            system: a
                .system_id
                .and_then(|s| system_names.get(&s).cloned())
                .unwrap_or_default(),
            a,
        })
        .collect();
    let next = page.next.map(|cursor| {
        let qs = q.query_string();
        if qs.is_empty() {
            format!("{path}?after={}", enc(&cursor))
        } else {
            format!("{path}?{qs}&after={}", enc(&cursor))
        }
    });
    let page = AssetsPage {
        ctx,
        org,
        section: "assets",
        q,
        rows,
        next,
        total,
        sites,
        systems,
        zones,
        can_write: caller.may(Perm::OrgWrite),
    };
    (status, render(&page)).into_response()
}

/// FRs where an asset's declared SL-C is below its zone's SL-T.
pub(crate) fn below_target(sl_c: Option<SlVector>, sl_t: SlVector) -> Vec<Fr> {
    match sl_c {
        None => Vec::new(),
        Some(c) => Fr::ALL
            .into_iter()
            .filter(|fr| c.get(*fr) < sl_t.get(*fr))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "inventory_asset.html")]
struct AssetPageView {
    ctx: Ctx,
    org: Organization,
    section: &'static str,
    a: Asset,
    zone: Option<Zone>,
    system: Option<System>,
    owner: String,
    below: Vec<Fr>,
    can_write: bool,
    can_manage: bool,
}

pub async fn asset(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Query(q): Query<super::auth::NoticeQuery>,
) -> Response {
    let org = org_of(&caller);
    let store = state.store();
    let a = match store.asset(org.id, id).await {
        Ok(a) => a,
        Err(e) => return fail(&caller, &e),
    };
    let zone = match a.zone_id {
        Some(z) => store.zone(org.id, z).await.ok(),
        None => None,
    };
    let system = match a.system_id {
        Some(s) => store.system(org.id, s).await.ok(),
        None => None,
    };
    let owner = match a.owner_id {
        Some(o) => member_names(&state, org.id)
            .await
            .into_iter()
            .find(|m| m.0 == o)
            .map(|m| m.1)
            .unwrap_or_default(),
        None => String::new(),
    };
    let below = zone
        .as_ref()
        .map(|z| below_target(a.sl_c, z.sl_t))
        .unwrap_or_default();
    let path = format!("/o/{}/assets/{id}", org.slug);
    let mut ctx = Ctx::new(&state, &caller, "assets", &path).await;
    notice(&mut ctx, q.notice.as_deref());
    render(&AssetPageView {
        ctx,
        org,
        section: "assets",
        a,
        zone,
        system,
        owner,
        below,
        can_write: caller.may(Perm::OrgWrite),
        can_manage: caller.may(Perm::OrgManage),
    })
}

/// One network interface row of the asset form.
#[derive(Debug, Default, Clone)]
pub struct IfRow {
    pub name: String,
    pub mac: String,
    pub ip: String,
    pub vlan: String,
    pub protocols: String,
}

/// The asset form as typed (kept when refused).
#[derive(Debug, Default, Clone)]
pub struct AssetForm {
    pub version: i64,
    pub asset_tag: String,
    pub name: String,
    pub asset_type: String,
    pub vendor: String,
    pub product_family: String,
    pub model: String,
    pub order_number: String,
    pub firmware_version: String,
    pub serial_number: String,
    pub purdue_level: String,
    pub location: String,
    pub interfaces: Vec<IfRow>,
    pub protocols: String,
    pub criticality: String,
    pub owner_id: String,
    pub zone_id: String,
    pub system_id: String,
    pub lifecycle: String,
    pub sl_c: String,
    pub custom: String,
}

impl AssetForm {
    fn of(a: &Asset) -> AssetForm {
        let id = |v: Option<Uuid>| v.map(|v| v.to_string()).unwrap_or_default();
        AssetForm {
            version: a.version,
            asset_tag: a.asset_tag.clone(),
            name: a.name.clone(),
            asset_type: a.asset_type.as_str().to_owned(),
            vendor: a.vendor.clone(),
            product_family: a.product_family.clone(),
            model: a.model.clone(),
            order_number: a.order_number.clone(),
            firmware_version: a.firmware_version.clone(),
            serial_number: a.serial_number.clone(),
            purdue_level: a.purdue_level.clone().unwrap_or_default(),
            location: a.location.clone(),
            interfaces: a
                .interfaces
                .iter()
                .map(|i| IfRow {
                    name: i.name.clone(),
                    mac: i.mac.clone().unwrap_or_default(),
                    ip: i.ip.clone().unwrap_or_default(),
                    vlan: i.vlan.map(|v| v.to_string()).unwrap_or_default(),
                    protocols: i.protocols.join(", "),
                })
                .collect(),
            protocols: a.protocols.join(", "),
            criticality: a.criticality.as_str().to_owned(),
            owner_id: id(a.owner_id),
            zone_id: id(a.zone_id),
            system_id: id(a.system_id),
            lifecycle: a.lifecycle.as_str().to_owned(),
            sl_c: a.sl_c.map(|v| v.to_string()).unwrap_or_default(),
            custom: custom_text(&a.custom),
        }
    }

    fn from_fields(f: &Fields) -> AssetForm {
        let names = f.all("if_name");
        let macs = f.all("if_mac");
        let ips = f.all("if_ip");
        let vlans = f.all("if_vlan");
        let protos = f.all("if_protocols");
        let n = names.len().max(macs.len()).max(ips.len());
        let at = |v: &Vec<&str>, i: usize| v.get(i).copied().unwrap_or("").to_owned();
        let interfaces = (0..n)
            .map(|i| IfRow {
                name: at(&names, i),
                mac: at(&macs, i),
                ip: at(&ips, i),
                vlan: at(&vlans, i),
                protocols: at(&protos, i),
            })
            .filter(|r| {
                [&r.name, &r.mac, &r.ip, &r.vlan, &r.protocols]
                    .iter()
                    .any(|v| !v.trim().is_empty())
            })
            .collect();
        AssetForm {
            version: f.get("version").trim().parse().unwrap_or(0),
            asset_tag: f.get("asset_tag").to_owned(),
            name: f.get("name").to_owned(),
            asset_type: f.get("asset_type").to_owned(),
            vendor: f.get("vendor").to_owned(),
            product_family: f.get("product_family").to_owned(),
            model: f.get("model").to_owned(),
            order_number: f.get("order_number").to_owned(),
            firmware_version: f.get("firmware_version").to_owned(),
            serial_number: f.get("serial_number").to_owned(),
            purdue_level: f.get("purdue_level").to_owned(),
            location: f.get("location").to_owned(),
            interfaces,
            protocols: f.get("protocols").to_owned(),
            criticality: f.get("criticality").to_owned(),
            owner_id: f.get("owner_id").to_owned(),
            zone_id: f.get("zone_id").to_owned(),
            system_id: f.get("system_id").to_owned(),
            lifecycle: f.get("lifecycle").to_owned(),
            sl_c: f.get("sl_c").to_owned(),
            custom: f.get("custom").to_owned(),
        }
    }

    /// The asset to store, or the first field that cannot be read.
    fn to_new(&self) -> Result<NewAsset, FieldError> {
        let interfaces = self
            .interfaces
            .iter()
            .map(|r| {
                let vlan = match r.vlan.trim() {
                    "" => None,
                    v => Some(v.parse::<u16>().map_err(|_| FieldError {
                        field: "interfaces",
                        message: format!("VLAN '{}' is not a VLAN id; use 1 to 4094", shown(v)),
                    })?),
                };
                Ok(Interface {
                    name: r.name.clone(),
                    mac: Some(r.mac.clone()),
                    ip: Some(r.ip.clone()),
                    vlan,
                    protocols: list(&r.protocols),
                })
            })
            .collect::<Result<Vec<_>, FieldError>>()?;
        let sl_c = match self.sl_c.trim() {
            "" => None,
            v => Some(SlVector::parse(v).map_err(|e| FieldError {
                field: "sl_c",
                message: e.message,
            })?),
        };
        Ok(NewAsset {
            asset_tag: self.asset_tag.clone(),
            name: self.name.clone(),
            asset_type: parse_named(&self.asset_type, AssetType::parse)?.unwrap_or_default(),
            vendor: self.vendor.clone(),
            product_family: self.product_family.clone(),
            model: self.model.clone(),
            order_number: self.order_number.clone(),
            firmware_version: self.firmware_version.clone(),
            serial_number: self.serial_number.clone(),
            purdue_level: Some(self.purdue_level.clone()),
            location: self.location.clone(),
            interfaces,
            protocols: list(&self.protocols),
            criticality: parse_named(&self.criticality, Criticality::parse)?.unwrap_or_default(),
            owner_id: opt_id("owner_id", &self.owner_id)?,
            system_id: opt_id("system_id", &self.system_id)?,
            zone_id: opt_id("zone_id", &self.zone_id)?,
            lifecycle: parse_named(&self.lifecycle, Lifecycle::parse)?.unwrap_or_default(),
            sl_c,
            custom: parse_custom(&self.custom)?,
        })
    }
}

#[derive(Template)]
#[template(path = "inventory_asset_form.html")]
struct AssetFormPage {
    ctx: Ctx,
    org: Organization,
    section: &'static str,
    /// The asset edited; none for a new one.
    editing: Option<Uuid>,
    form: AssetForm,
    systems: Vec<System>,
    zones: Vec<Zone>,
    members: Vec<(Uuid, String)>,
    error_field: String,
    /// The version stored now, when the save was refused as stale.
    conflict: Option<i64>,
}

impl AssetFormPage {
    fn sel(&self, value: &str, chosen: &str) -> bool {
        value == chosen.trim()
    }
    fn sel_id<U: Val<Uuid>>(&self, id: U, chosen: &str) -> bool {
        id.val().to_string() == chosen.trim()
    }
    fn bad(&self, field: &str) -> bool {
        self.error_field == field
    }
    /// The interface rows, with two blank ones to add more.
    fn if_rows(&self) -> Vec<IfRow> {
        let mut rows = self.form.interfaces.clone();
        rows.push(IfRow::default());
        rows.push(IfRow::default());
        rows
    }
}

async fn asset_form_page(
    state: &AppState,
    caller: &Caller,
    editing: Option<Uuid>,
    form: AssetForm,
    error: Option<FormError>,
    conflict: Option<i64>,
) -> Response {
    let org = org_of(caller);
    let store = state.store();
    let (systems, zones) = match tokio::try_join!(store.systems(org.id), store.zones(org.id)) {
        Ok(v) => v,
        Err(e) => return fail(caller, &e),
    };
    let members = member_names(state, org.id).await;
    let path = match editing {
        Some(id) => format!("/o/{}/assets/{id}/edit", org.slug),
        None => format!("/o/{}/assets/new", org.slug),
    };
    let mut ctx = Ctx::new(state, caller, "assets", &path).await;
    let status = apply_error(&mut ctx, &caller.tr, &error);
    let page = AssetFormPage {
        ctx,
        org,
        section: "assets",
        editing,
        form,
        systems,
        zones,
        members,
        error_field: error.map(|e| e.field).unwrap_or_default(),
        conflict,
    };
    (status, render(&page)).into_response()
}

#[derive(Debug, Default, Deserialize)]
pub struct NewAssetQuery {
    #[serde(default)]
    pub zone: String,
    #[serde(default)]
    pub system: String,
}

pub async fn new_asset(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<NewAssetQuery>,
) -> Response {
    let form = AssetForm {
        asset_type: AssetType::default().as_str().into(),
        criticality: Criticality::default().as_str().into(),
        lifecycle: Lifecycle::default().as_str().into(),
        zone_id: q.zone,
        system_id: q.system,
        ..Default::default()
    };
    asset_form_page(&state, &caller, None, form, None, None).await
}

pub async fn create_asset(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let org = org_of(&caller);
    let form = AssetForm::from_fields(&Fields(f));
    let result = match form.to_new() {
        Ok(new) => {
            state
                .store()
                .create_asset(&caller.actor(), org.id, new)
                .await
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(a) => see(format!("/o/{}/assets/{}?notice=saved", org.slug, a.id)),
        Err(e) => {
            let err = FormError::of(&caller.tr, &e);
            asset_form_page(&state, &caller, None, form, Some(err), None).await
        }
    }
}

pub async fn edit_asset(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
) -> Response {
    let org = org_of(&caller);
    match state.store().asset(org.id, id).await {
        Ok(a) => asset_form_page(&state, &caller, Some(id), AssetForm::of(&a), None, None).await,
        Err(e) => fail(&caller, &e),
    }
}

pub async fn update_asset(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let org = org_of(&caller);
    let f = Fields(f);
    let mut form = AssetForm::from_fields(&f);
    let result = match (f.version(), form.to_new()) {
        (Ok(v), Ok(new)) => {
            state
                .store()
                .update_asset(&caller.actor(), org.id, id, v, new)
                .await
        }
        (Err(e), _) | (_, Err(e)) => Err(e.into()),
    };
    match result {
        Ok(_) => see(format!("/o/{}/assets/{id}?notice=saved", org.slug)),
        Err(StoreError::NotFound { kind: "asset", .. }) => {
            error_page(&caller, StatusCode::NOT_FOUND, "error-not-found")
        }
        Err(e) => {
            let conflict = match &e {
                StoreError::Conflict { current, .. } => Some(*current),
                _ => None,
            };
            let err = FormError::of(&caller.tr, &e);
            if let Some(current) = conflict {
                // Keep what the user typed; saving again overwrites the newer version on purpose.
                form.version = current;
            }
            asset_form_page(&state, &caller, Some(id), form, Some(err), conflict).await
        }
    }
}

pub async fn delete_asset(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let org = org_of(&caller);
    let f = Fields(f);
    let version = match f.version() {
        Ok(v) => v,
        Err(e) => return fail(&caller, &StoreError::Invalid(e)),
    };
    if f.get("confirm") != "yes" {
        return fail(
            &caller,
            &StoreError::Invalid(FieldError {
                field: "confirm",
                message: "tick the box to confirm the deletion".into(),
            }),
        );
    }
    match state
        .store()
        .delete_asset(&caller.actor(), org.id, id, version)
        .await
    {
        Ok(()) => see(format!("/o/{}/assets?notice=deleted", org.slug)),
        Err(e) => fail(&caller, &e),
    }
}

// ---------------------------------------------------------------------------------------
// Zone security: SL-A from the zone's 62443-3-3 assessment, the gap and what closes it

/// One SR/RE of a zone's assessment, owned.
struct Req {
    fr: Fr,
    reference: String,
    levels: Vec<u8>,
    met: Met,
    /// Position in the framework's tree order (the workspace anchors rows by it).
    index: usize,
}

/// The FR a node belongs to: the nearest ancestor (or itself) written `FR n`; else read from
/// an `SR n.m` reference.
fn fr_of(fw: &Indexed, i: usize) -> Option<Fr> {
    let mut at = Some(i);
    while let Some(n) = at {
        if let Ok(fr) = Fr::parse(&fw.catalog.nodes[n].reference) {
            return Some(fr);
        }
        at = fw.parent_of(n);
    }
    let r = fw.catalog.nodes[i].reference.trim();
    let rest = r.strip_prefix("SR")?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Fr::from_number(digits.parse().ok()?)
}

fn requirements(fw: &Indexed, outcomes: &HashMap<String, Outcome>) -> Vec<Req> {
    let mut out = Vec::new();
    for (index, (i, _)) in fw.walk().into_iter().enumerate() {
        let n = &fw.catalog.nodes[i];
        if !n.assessable || n.security_levels.is_empty() {
            continue;
        }
        let Some(fr) = fr_of(fw, i) else { continue };
        let outcome = outcomes
            .get(&n.reference)
            .copied()
            .unwrap_or(Outcome::NotAssessed);
        out.push(Req {
            fr,
            reference: n.reference.clone(),
            levels: n.security_levels.clone(),
            met: Met::from_outcome(outcome),
            index,
        });
    }
    out
}

/// A requirement that closes part of a gap, with its place in the assessment workspace.
pub struct Closing {
    pub reference: String,
    pub href: String,
}

/// One FR of a zone: target, achieved (when an assessment exists) and what closes the gap.
pub struct FrRow {
    pub fr: Fr,
    pub target: u8,
    pub achieved: Option<u8>,
    pub gap: bool,
    pub closing: Vec<Closing>,
}

/// A zone's security levels as its page and the API show them.
pub struct ZoneSecurity {
    /// The assessment used, if any (provisional when still in progress).
    pub assessment: Option<ZoneAssessment>,
    /// Why the assessment could not be read (its framework left the library).
    pub framework_missing: bool,
    pub sl_a: Option<SlVector>,
    pub gaps: Vec<FrGap>,
    pub rows: Vec<FrRow>,
}

impl ZoneSecurity {
    /// SL-A below SL-T in some FR (false when SL-A is unknown).
    pub fn has_gap(&self) -> bool {
        !self.gaps.is_empty()
    }
}

/// The security of one zone given the assessment picked for it (and its results).
fn zone_security_of(
    slug: &str,
    zone: &Zone,
    picked: Option<ZoneAssessment>,
    fw: Option<&Indexed>,
    outcomes: &HashMap<String, Outcome>,
) -> ZoneSecurity {
    let (sl_a, gaps, index) = match (&picked, fw) {
        (Some(_), Some(fw)) => {
            let reqs = requirements(fw, outcomes);
            let statuses: Vec<RequirementStatus<'_>> = reqs
                .iter()
                .map(|r| RequirementStatus {
                    fr: r.fr,
                    reference: &r.reference,
                    levels: &r.levels,
                    met: r.met,
                })
                .collect();
            let sl_a = derive_sl_a(&statuses);
            let gaps = gap(zone.sl_t, sl_a, &statuses);
            let index: HashMap<String, usize> = reqs
                .iter()
                .map(|r| (r.reference.clone(), r.index))
                .collect();
            (Some(sl_a), gaps, index)
        }
        _ => (None, Vec::new(), HashMap::new()),
    };
    let aid = picked.as_ref().map(|p| p.assessment.id);
    let rows = Fr::ALL
        .into_iter()
        .map(|fr| {
            let g = gaps.iter().find(|g| g.fr == fr);
            FrRow {
                fr,
                target: zone.sl_t.get(fr),
                achieved: sl_a.map(|v| v.get(fr)),
                gap: g.is_some(),
                closing: g
                    .map(|g| {
                        g.closing
                            .iter()
                            .map(|r| Closing {
                                reference: r.clone(),
                                href: match (aid, index.get(r)) {
                                    (Some(a), Some(i)) => {
                                        format!("/o/{slug}/assessments/{a}/work#r-{i}")
                                    }
                                    (Some(a), None) => format!("/o/{slug}/assessments/{a}/work"),
                                    _ => String::new(),
                                },
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    ZoneSecurity {
        framework_missing: picked.is_some() && fw.is_none(),
        assessment: picked,
        sl_a,
        gaps,
        rows,
    }
}

/// The security of every zone given (one query for the assessments, one per assessment used).
pub(crate) async fn zone_securities(
    state: &AppState,
    org: &Organization,
    zones: &[Zone],
) -> Result<HashMap<Uuid, ZoneSecurity>, StoreError> {
    let store = state.store();
    let all: Vec<Assessment> = store.assessments(org.id).await?;
    let mut by_zone: HashMap<Uuid, Vec<Assessment>> = HashMap::new();
    for a in all {
        if let Some(z) = a.zone_id {
            by_zone.entry(z).or_default().push(a);
        }
    }
    let library = if by_zone.is_empty() {
        None
    } else {
        Some(state.library().for_org(store, org.id).await?)
    };
    let mut out = HashMap::new();
    for z in zones {
        let picked = by_zone
            .get(&z.id)
            .and_then(|list| csms_store::zone::pick_zone_assessment(list));
        let fw = match (&picked, &library) {
            (Some(p), Some(l)) => l.framework(&p.assessment.framework_id).cloned(),
            _ => None,
        };
        let outcomes: HashMap<String, Outcome> = match (&picked, &fw) {
            (Some(p), Some(_)) => store
                .results(org.id, p.assessment.id)
                .await?
                .into_iter()
                .map(|r| (r.node_ref, r.outcome))
                .collect(),
            _ => HashMap::new(),
        };
        out.insert(
            z.id,
            zone_security_of(&org.slug, z, picked, fw.as_deref(), &outcomes),
        );
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// The diagram

/// The Purdue level drawn for each zone: the most common level of its assets, ties going to
/// the higher level.
pub(crate) fn zone_layers(counts: &[(Uuid, String, i64)]) -> HashMap<Uuid, u8> {
    let mut best: HashMap<Uuid, (i64, u8)> = HashMap::new();
    for (zone, level, n) in counts {
        let Some(rank) = purdue_rank(level) else {
            continue;
        };
        let e = best.entry(*zone).or_insert((*n, rank));
        if (*n, rank) > *e {
            *e = (*n, rank);
        }
    }
    best.into_iter().map(|(z, (_, r))| (z, r)).collect()
}

/// What a conduit's channels say on the diagram: protocols and ports.
pub(crate) fn channel_label(c: &Conduit) -> String {
    c.channels
        .iter()
        .map(|ch| match ch.port {
            Some(p) => format!("{} {p}", ch.protocol),
            None => ch.protocol.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every channel flows from the conduit's first zone to its second.
pub(crate) fn one_way(c: &Conduit) -> bool {
    !c.channels.is_empty()
        && c.channels
            .iter()
            .all(|ch| ch.direction == Direction::OneWay)
}

/// The organization's zone and conduit diagram as SVG; with `around`, only that zone and its
/// direct neighbours.
pub(crate) async fn diagram_svg(
    state: &AppState,
    org: &Organization,
    tr: &Tr,
    around: Option<Uuid>,
) -> Result<String, StoreError> {
    use csms_report::diagram as d;
    let store = state.store();
    let (zones, conduits, counts, purdue) = tokio::try_join!(
        store.zones(org.id),
        store.conduits(org.id),
        store.zone_asset_counts(org.id),
        store.zone_purdue_counts(org.id),
    )?;
    let (zones, conduits): (Vec<Zone>, Vec<Conduit>) = match around {
        None => (zones, conduits),
        Some(center) => {
            let conduits: Vec<Conduit> = conduits
                .into_iter()
                .filter(|c| c.from_zone_id == center || c.to_zone_id == center)
                .collect();
            let keep: std::collections::HashSet<Uuid> = conduits
                .iter()
                .flat_map(|c| [c.from_zone_id, c.to_zone_id])
                .chain([center])
                .collect();
            (
                zones.into_iter().filter(|z| keep.contains(&z.id)).collect(),
                conduits,
            )
        }
    };
    let security = zone_securities(state, org, &zones).await?;
    let layers = zone_layers(&purdue);
    let diagram = d::Diagram {
        title: match around {
            None => tr.t1("inv-diagram-title", "org", &org.name),
            Some(c) => tr.t1(
                "inv-neighbours-title",
                "zone",
                zones
                    .iter()
                    .find(|z| z.id == c)
                    .map_or("", |z| z.name.as_str()),
            ),
        },
        zones: zones
            .iter()
            .map(|z| {
                let sec = security.get(&z.id);
                let mut lines = vec![format!("SL-T {}", z.sl_t)];
                if let Some(a) = sec.and_then(|s| s.sl_a) {
                    lines.push(format!("SL-A {a}"));
                }
                lines.push(tr.t1(
                    "inv-asset-count",
                    "count",
                    counts.get(&z.id).copied().unwrap_or(0),
                ));
                d::Zone {
                    id: z.id.to_string(),
                    name: z.name.clone(),
                    lines,
                    layer: layers.get(&z.id).copied(),
                    href: Some(format!("/o/{}/zones/{}", org.slug, z.id)),
                    alert: sec.is_some_and(ZoneSecurity::has_gap),
                }
            })
            .collect(),
        conduits: conduits
            .iter()
            .map(|c| d::Conduit {
                id: c.id.to_string(),
                name: c.name.clone(),
                from: c.from_zone_id.to_string(),
                to: c.to_zone_id.to_string(),
                label: channel_label(c),
                one_way: one_way(c),
            })
            .collect(),
        layer_names: (0..=6u8)
            .map(|r| (r, tr.t(&format!("inv-purdue-{r}"))))
            .collect(),
        unknown_layer_name: tr.t("inv-purdue-unknown"),
    };
    Ok(d::render(&diagram))
}

#[derive(Template)]
#[template(path = "inventory_diagram.html")]
struct DiagramPage {
    ctx: Ctx,
    org: Organization,
    section: &'static str,
    svg: String,
}

pub async fn diagram(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let org = org_of(&caller);
    let svg = match diagram_svg(&state, &org, &caller.tr, None).await {
        Ok(s) => s,
        Err(e) => return fail(&caller, &e),
    };
    let path = format!("/o/{}/zones/diagram", org.slug);
    let ctx = Ctx::new(&state, &caller, "assets", &path).await;
    render(&DiagramPage {
        ctx,
        org,
        section: "diagram",
        svg,
    })
}

/// The SVG as a download named after the organization.
pub(crate) fn svg_download(svg: String, slug: &str) -> Response {
    let mut res = svg.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml; charset=utf-8"),
    );
    let safe: String = slug
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"zones-{safe}.svg\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub async fn diagram_download(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let org = org_of(&caller);
    match diagram_svg(&state, &org, &caller.tr, None).await {
        Ok(svg) => svg_download(svg, &org.slug),
        Err(e) => fail(&caller, &e),
    }
}

// ---------------------------------------------------------------------------------------
// Zones

/// The zone form as typed (kept when refused).
#[derive(Debug, Default, Clone)]
pub struct ZoneForm {
    pub version: i64,
    pub name: String,
    pub description: String,
    pub system_id: String,
    pub sl_t: [String; 7],
    pub justification: String,
}

impl ZoneForm {
    fn of(z: &Zone) -> ZoneForm {
        ZoneForm {
            version: z.version,
            name: z.name.clone(),
            description: z.description.clone(),
            system_id: z.system_id.map(|s| s.to_string()).unwrap_or_default(),
            sl_t: z.sl_t.values().map(|v| v.to_string()),
            justification: z.sl_t_justification.clone(),
        }
    }

    fn from_fields(f: &Fields) -> ZoneForm {
        ZoneForm {
            version: f.get("version").trim().parse().unwrap_or(0),
            name: f.get("name").to_owned(),
            description: f.get("description").to_owned(),
            system_id: f.get("system_id").to_owned(),
            sl_t: std::array::from_fn(|i| f.get(&format!("sl_t_{}", i + 1)).to_owned()),
            justification: f.get("sl_t_justification").to_owned(),
        }
    }

    fn sl_t(&self) -> Result<SlVector, FieldError> {
        let mut v = [0u8; 7];
        for (i, s) in self.sl_t.iter().enumerate() {
            let s = s.trim();
            v[i] = if s.is_empty() {
                0
            } else {
                s.parse().map_err(|_| FieldError {
                    field: "sl_t",
                    message: format!(
                        "'{}' for {} is not a security level; use 0 to 4",
                        shown(s),
                        Fr::ALL[i]
                    ),
                })?
            };
        }
        SlVector::new(v).map_err(|e| FieldError {
            field: "sl_t",
            message: e.message,
        })
    }

    fn to_new(&self, proposed: Option<SlVector>) -> Result<NewZone, FieldError> {
        Ok(NewZone {
            name: self.name.clone(),
            description: self.description.clone(),
            system_id: opt_id("system_id", &self.system_id)?,
            sl_t: self.sl_t()?,
            sl_t_proposed: proposed,
            sl_t_justification: self.justification.clone(),
        })
    }

    fn level(&self, fr: &Fr) -> &str {
        self.sl_t[fr.index()].trim()
    }
}

/// A zone as the list shows it.
pub struct ZoneRow {
    pub z: Zone,
    pub system: String,
    pub sec: ZoneSecurity,
    pub assets: i64,
    pub conduits: usize,
}

#[derive(Template)]
#[template(path = "inventory_zones.html")]
struct ZonesPage {
    ctx: Ctx,
    org: Organization,
    section: &'static str,
    rows: Vec<ZoneRow>,
    systems: Vec<System>,
    form: ZoneForm,
    error_field: String,
    can_write: bool,
}

impl ZonesPage {
    fn bad(&self, field: &str) -> bool {
        self.error_field == field
    }
    fn sel_id<U: Val<Uuid>>(&self, id: U, chosen: &str) -> bool {
        id.val().to_string() == chosen.trim()
    }
    fn lv<F: Val<Fr>, V: Val<u8>>(&self, fr: F, v: V) -> bool {
        self.form.level(&fr.val()) == v.val().to_string()
    }
}

async fn zones_page(
    state: &AppState,
    caller: &Caller,
    notice_key: Option<&str>,
    form: ZoneForm,
    error: Option<FormError>,
) -> Response {
    let org = org_of(caller);
    let store = state.store();
    let (zones, systems, conduits, counts) = match tokio::try_join!(
        store.zones(org.id),
        store.systems(org.id),
        store.conduits(org.id),
        store.zone_asset_counts(org.id),
    ) {
        Ok(v) => v,
        Err(e) => return fail(caller, &e),
    };
    let mut security = match zone_securities(state, &org, &zones).await {
        Ok(s) => s,
        Err(e) => return fail(caller, &e),
    };
    let system_names = names(&systems, |s| s.id, |s| &s.name);
    let rows = zones
        .into_iter()
        .filter_map(|z| {
            let sec = security.remove(&z.id)?;
            Some(ZoneRow {
                system: z
                    .system_id
                    .and_then(|s| system_names.get(&s).cloned())
                    .unwrap_or_default(),
                assets: counts.get(&z.id).copied().unwrap_or(0),
                conduits: conduits
                    .iter()
                    .filter(|c| c.from_zone_id == z.id || c.to_zone_id == z.id)
                    .count(),
                sec,
                z,
            })
        })
        .collect();
    let path = format!("/o/{}/zones", org.slug);
    let mut ctx = Ctx::new(state, caller, "assets", &path).await;
    notice(&mut ctx, notice_key);
    let status = apply_error(&mut ctx, &caller.tr, &error);
    let page = ZonesPage {
        ctx,
        org,
        section: "zones",
        rows,
        systems,
        form,
        error_field: error.map(|e| e.field).unwrap_or_default(),
        can_write: caller.may(Perm::OrgWrite),
    };
    (status, render(&page)).into_response()
}

pub async fn zones(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<super::auth::NoticeQuery>,
) -> Response {
    let form = ZoneForm {
        sl_t: std::array::from_fn(|_| "1".to_owned()),
        ..Default::default()
    };
    zones_page(&state, &caller, q.notice.as_deref(), form, None).await
}

pub async fn create_zone(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let org = org_of(&caller);
    let form = ZoneForm::from_fields(&Fields(f));
    let result = match form.to_new(None) {
        Ok(new) => {
            state
                .store()
                .create_zone(&caller.actor(), org.id, new)
                .await
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(z) => see(format!("/o/{}/zones/{}?notice=saved", org.slug, z.id)),
        Err(e) => {
            let err = FormError::of(&caller.tr, &e);
            zones_page(&state, &caller, None, form, Some(err)).await
        }
    }
}

/// An asset in a zone, flagged when its declared SL-C is below the zone's SL-T.
pub struct ZoneAsset {
    pub a: Asset,
    pub below: Vec<Fr>,
}

#[derive(Template)]
#[template(path = "inventory_zone.html")]
struct ZonePage {
    ctx: Ctx,
    org: Organization,
    section: &'static str,
    z: Zone,
    system: String,
    sec: ZoneSecurity,
    assets: Vec<ZoneAsset>,
    more_assets: bool,
    candidates: Vec<Asset>,
    cq: String,
    systems: Vec<System>,
    form: ZoneForm,
    error_field: String,
    conflict: Option<i64>,
    svg: String,
    /// The controls that apply to the zone (the common set of countermeasures, 4.3.4.2.2).
    zone_controls: Vec<crate::pages::controls::ZoneControlView>,
    can_write: bool,
    can_manage: bool,
}

impl ZonePage {
    fn sel_id<U: Val<Uuid>>(&self, id: U, chosen: &str) -> bool {
        id.val().to_string() == chosen.trim()
    }
    fn lv<F: Val<Fr>, V: Val<u8>>(&self, fr: F, v: V) -> bool {
        self.form.level(&fr.val()) == v.val().to_string()
    }
    fn proposed_at<F: Val<Fr>>(&self, fr: F) -> String {
        self.z
            .sl_t_proposed
            .map_or_else(|| "—".to_owned(), |p| p.get(fr.val()).to_string())
    }
    fn differs<F: Val<Fr>>(&self, fr: F) -> bool {
        let fr = fr.val();
        self.z
            .sl_t_proposed
            .is_some_and(|p| p.get(fr) != self.z.sl_t.get(fr))
    }
    fn bad(&self, field: &str) -> bool {
        self.error_field == field
    }
    fn achieved<V: Val<Option<u8>>>(&self, v: V) -> String {
        v.val().map_or_else(|| "—".to_owned(), |v| v.to_string())
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ZoneQuery {
    #[serde(default)]
    pub notice: Option<String>,
    /// Search for assets to add.
    #[serde(default)]
    pub cq: String,
}

/// Assets of a zone shown on its page.
const ZONE_ASSETS: i64 = 500;

#[allow(clippy::too_many_arguments)]
async fn zone_page(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    notice_key: Option<&str>,
    cq: String,
    form: Option<ZoneForm>,
    error: Option<FormError>,
    conflict: Option<i64>,
) -> Response {
    let org = org_of(caller);
    let store = state.store();
    let z = match store.zone(org.id, id).await {
        Ok(z) => z,
        Err(e) => return fail(caller, &e),
    };
    let in_zone = AssetFilter {
        zone_id: Some(id),
        limit: ZONE_ASSETS,
        ..Default::default()
    };
    let (systems, page, controls) = match tokio::try_join!(
        store.systems(org.id),
        store.assets(org.id, &in_zone),
        store.zone_controls(org.id, id)
    ) {
        Ok(v) => v,
        Err(e) => return fail(caller, &e),
    };
    let candidates = if cq.trim().is_empty() {
        Vec::new()
    } else {
        let f = AssetFilter {
            q: Some(cq.trim().to_owned()),
            limit: 200,
            ..Default::default()
        };
        match store.assets(org.id, &f).await {
            Ok(p) => p
                .assets
                .into_iter()
                .filter(|a| a.zone_id != Some(id))
                .take(50)
                .collect(),
            Err(StoreError::Invalid(_)) => Vec::new(),
            Err(e) => return fail(caller, &e),
        }
    };
    let mut sec = match zone_securities(state, &org, std::slice::from_ref(&z)).await {
        Ok(s) => s,
        Err(e) => return fail(caller, &e),
    };
    let sec = sec
        .remove(&id)
        .unwrap_or_else(|| zone_security_of(&org.slug, &z, None, None, &HashMap::new()));
    let svg = match diagram_svg(state, &org, &caller.tr, Some(id)).await {
        Ok(s) => s,
        Err(e) => return fail(caller, &e),
    };
    let system = z
        .system_id
        .and_then(|s| systems.iter().find(|x| x.id == s))
        .map(|s| s.name.clone())
        .unwrap_or_default();
    let assets = page
        .assets
        .into_iter()
        .map(|a| ZoneAsset {
            below: below_target(a.sl_c, z.sl_t),
            a,
        })
        .collect();
    let path = format!("/o/{}/zones/{id}", org.slug);
    let mut ctx = Ctx::new(state, caller, "assets", &path).await;
    notice(&mut ctx, notice_key);
    let status = apply_error(&mut ctx, &caller.tr, &error);
    let page = ZonePage {
        ctx,
        section: "zones",
        system,
        sec,
        assets,
        more_assets: page.next.is_some(),
        candidates,
        cq,
        systems,
        form: form.unwrap_or_else(|| ZoneForm::of(&z)),
        error_field: error.map(|e| e.field).unwrap_or_default(),
        conflict,
        svg,
        zone_controls: crate::pages::controls::zone_views(&caller.tr, &controls, id),
        can_write: caller.may(Perm::OrgWrite),
        can_manage: caller.may(Perm::OrgManage),
        org,
        z,
    };
    (status, render(&page)).into_response()
}

pub async fn zone(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Query(q): Query<ZoneQuery>,
) -> Response {
    zone_page(
        &state,
        &caller,
        id,
        q.notice.as_deref(),
        q.cq,
        None,
        None,
        None,
    )
    .await
}

pub async fn update_zone(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let org = org_of(&caller);
    let f = Fields(f);
    let mut form = ZoneForm::from_fields(&f);
    let current = match state.store().zone(org.id, id).await {
        Ok(z) => z,
        Err(e) => return fail(&caller, &e),
    };
    // The proposal is set by the propose action only; the form keeps the stored one.
    let result = match (f.version(), form.to_new(current.sl_t_proposed)) {
        (Ok(v), Ok(new)) => {
            state
                .store()
                .update_zone(&caller.actor(), org.id, id, v, new)
                .await
        }
        (Err(e), _) | (_, Err(e)) => Err(e.into()),
    };
    match result {
        Ok(_) => see(format!("/o/{}/zones/{id}?notice=saved", org.slug)),
        Err(StoreError::NotFound { kind: "zone", .. }) => {
            error_page(&caller, StatusCode::NOT_FOUND, "error-not-found")
        }
        Err(e) => {
            let conflict = match &e {
                StoreError::Conflict { current, .. } => Some(*current),
                _ => None,
            };
            if let Some(c) = conflict {
                form.version = c;
            }
            let err = FormError::of(&caller.tr, &e);
            zone_page(
                &state,
                &caller,
                id,
                None,
                String::new(),
                Some(form),
                Some(err),
                conflict,
            )
            .await
        }
    }
}

/// Refuses to delete a zone that assessments name, saying which.
pub(crate) async fn check_zone_unassessed(
    state: &AppState,
    org_id: Uuid,
    zone: &Zone,
) -> Result<(), StoreError> {
    let named = state.store().zone_assessments(org_id, zone.id).await?;
    if named.is_empty() {
        return Ok(());
    }
    let titles: Vec<String> = named
        .iter()
        .take(3)
        .map(|a| format!("'{}'", a.title))
        .collect();
    Err(StoreError::Locked(format!(
        "zone '{}' is the scope of {} assessment(s) ({}{}); those assessments keep their results, so the zone stays; change their zone first",
        zone.name,
        named.len(),
        titles.join(", "),
        if named.len() > 3 { ", …" } else { "" }
    )))
}

pub async fn delete_zone(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let org = org_of(&caller);
    let f = Fields(f);
    let version = match f.version() {
        Ok(v) => v,
        Err(e) => return fail(&caller, &StoreError::Invalid(e)),
    };
    let z = match state.store().zone(org.id, id).await {
        Ok(z) => z,
        Err(e) => return fail(&caller, &e),
    };
    let result = match check_zone_unassessed(&state, org.id, &z).await {
        Ok(()) => {
            state
                .store()
                .delete_zone(&caller.actor(), org.id, id, version)
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => see(format!("/o/{}/zones?notice=deleted", org.slug)),
        Err(e) => {
            let err = FormError::of(&caller.tr, &e);
            zone_page(
                &state,
                &caller,
                id,
                None,
                String::new(),
                None,
                Some(err),
                None,
            )
            .await
        }
    }
}

/// `asset` values of the add/remove forms: `id:version`.
fn picked_assets(f: &Fields) -> Result<Vec<(Uuid, i64)>, FieldError> {
    f.all("asset")
        .into_iter()
        .map(|v| {
            let (id, version) = v.split_once(':').unwrap_or((v, ""));
            match (Uuid::parse_str(id.trim()), version.trim().parse::<i64>()) {
                (Ok(id), Ok(version)) => Ok((id, version)),
                _ => Err(FieldError {
                    field: "assets",
                    message: format!(
                        "'{}' is not an asset of the list; reload the page",
                        shown(v)
                    ),
                }),
            }
        })
        .collect()
}

async fn move_assets(state: AppState, caller: Caller, id: Uuid, f: Fields, into: bool) -> Response {
    let org = org_of(&caller);
    let result = match picked_assets(&f) {
        Ok(items) => {
            state
                .store()
                .move_assets(&caller.actor(), org.id, into.then_some(id), &items)
                .await
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => see(format!("/o/{}/zones/{id}?notice=moved", org.slug)),
        Err(StoreError::NotFound { kind: "zone", .. }) => {
            error_page(&caller, StatusCode::NOT_FOUND, "error-not-found")
        }
        Err(e) => {
            let err = FormError::of(&caller.tr, &e);
            let cq = f.get("cq").to_owned();
            zone_page(&state, &caller, id, None, cq, None, Some(err), None).await
        }
    }
}

pub async fn add_zone_assets(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    move_assets(state, caller, id, Fields(f), true).await
}

pub async fn remove_zone_assets(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let org = org_of(&caller);
    // Only assets of this zone leave it.
    let f = Fields(f);
    if let Ok(items) = picked_assets(&f) {
        for (asset, _) in &items {
            match state.store().asset(org.id, *asset).await {
                Ok(a) if a.zone_id == Some(id) => {}
                Ok(_) => {
                    return fail(
                        &caller,
                        &StoreError::Invalid(FieldError {
                            field: "assets",
                            message: "an asset chosen is not in this zone; reload the page".into(),
                        }),
                    );
                }
                Err(e) => return fail(&caller, &e),
            }
        }
    }
    move_assets(state, caller, id, f, false).await
}

// ---------------------------------------------------------------------------------------
// Conduits

/// One channel row of the conduit form.
#[derive(Debug, Default, Clone)]
pub struct ChanRow {
    pub protocol: String,
    pub port: String,
    pub direction: String,
    pub description: String,
}

/// The conduit form as typed (kept when refused).
#[derive(Debug, Default, Clone)]
pub struct ConduitForm {
    pub version: i64,
    pub name: String,
    pub description: String,
    pub from_zone_id: String,
    pub to_zone_id: String,
    pub channels: Vec<ChanRow>,
}

impl ConduitForm {
    fn of(c: &Conduit) -> ConduitForm {
        ConduitForm {
            version: c.version,
            name: c.name.clone(),
            description: c.description.clone(),
            from_zone_id: c.from_zone_id.to_string(),
            to_zone_id: c.to_zone_id.to_string(),
            channels: c
                .channels
                .iter()
                .map(|ch| ChanRow {
                    protocol: ch.protocol.clone(),
                    port: ch.port.map(|p| p.to_string()).unwrap_or_default(),
                    direction: ch.direction.as_str().to_owned(),
                    description: ch.description.clone(),
                })
                .collect(),
        }
    }

    fn from_fields(f: &Fields) -> ConduitForm {
        let protos = f.all("ch_protocol");
        let ports = f.all("ch_port");
        let dirs = f.all("ch_direction");
        let descs = f.all("ch_description");
        let at = |v: &Vec<&str>, i: usize| v.get(i).copied().unwrap_or("").to_owned();
        let channels = (0..protos.len().max(ports.len()))
            .map(|i| ChanRow {
                protocol: at(&protos, i),
                port: at(&ports, i),
                direction: at(&dirs, i),
                description: at(&descs, i),
            })
            .filter(|r| {
                !(r.protocol.trim().is_empty()
                    && r.port.trim().is_empty()
                    && r.description.trim().is_empty())
            })
            .collect();
        ConduitForm {
            version: f.get("version").trim().parse().unwrap_or(0),
            name: f.get("name").to_owned(),
            description: f.get("description").to_owned(),
            from_zone_id: f.get("from_zone_id").to_owned(),
            to_zone_id: f.get("to_zone_id").to_owned(),
            channels,
        }
    }

    fn to_new(&self) -> Result<NewConduit, FieldError> {
        let zone = |field: &'static str, v: &str| {
            opt_id(field, v)?.ok_or_else(|| FieldError {
                field,
                message: "choose a zone".into(),
            })
        };
        let channels = self
            .channels
            .iter()
            .map(|r| {
                let port = match r.port.trim() {
                    "" => None,
                    p => Some(p.parse::<u16>().map_err(|_| FieldError {
                        field: "channels",
                        message: format!(
                            "port '{}' is not a port number; use 0 to 65535",
                            shown(p)
                        ),
                    })?),
                };
                Ok(Channel {
                    protocol: r.protocol.clone(),
                    port,
                    direction: parse_named(&r.direction, Direction::parse)?.unwrap_or_default(),
                    description: r.description.clone(),
                })
            })
            .collect::<Result<Vec<_>, FieldError>>()?;
        Ok(NewConduit {
            name: self.name.clone(),
            from_zone_id: zone("from_zone_id", &self.from_zone_id)?,
            to_zone_id: zone("to_zone_id", &self.to_zone_id)?,
            channels,
            description: self.description.clone(),
        })
    }

    /// The channel rows, with two blank ones to add more.
    fn rows(&self) -> Vec<ChanRow> {
        let blank = ChanRow {
            direction: Direction::default().as_str().to_owned(),
            ..ChanRow::default()
        };
        let mut rows = self.channels.clone();
        rows.push(blank.clone());
        rows.push(blank);
        rows
    }
}

/// A conduit as the list shows it.
pub struct ConduitRow {
    pub c: Conduit,
    pub from: String,
    pub to: String,
    pub label: String,
    pub one_way: bool,
}

#[derive(Template)]
#[template(path = "inventory_conduits.html")]
struct ConduitsPage {
    ctx: Ctx,
    org: Organization,
    section: &'static str,
    rows: Vec<ConduitRow>,
    zones: Vec<Zone>,
    form: ConduitForm,
    error_field: String,
    can_write: bool,
}

impl ConduitsPage {
    fn bad(&self, field: &str) -> bool {
        self.error_field == field
    }
    fn sel_id<U: Val<Uuid>>(&self, id: U, chosen: &str) -> bool {
        id.val().to_string() == chosen.trim()
    }
    fn sel(&self, value: &str, chosen: &str) -> bool {
        value == chosen.trim()
    }
}

async fn conduits_page(
    state: &AppState,
    caller: &Caller,
    notice_key: Option<&str>,
    form: ConduitForm,
    error: Option<FormError>,
) -> Response {
    let org = org_of(caller);
    let store = state.store();
    let (zones, conduits) = match tokio::try_join!(store.zones(org.id), store.conduits(org.id)) {
        Ok(v) => v,
        Err(e) => return fail(caller, &e),
    };
    let zone_names = names(&zones, |z| z.id, |z| &z.name);
    let rows = conduits
        .into_iter()
        .map(|c| ConduitRow {
            from: zone_names.get(&c.from_zone_id).cloned().unwrap_or_default(),
            to: zone_names.get(&c.to_zone_id).cloned().unwrap_or_default(),
            label: channel_label(&c),
            one_way: one_way(&c),
            c,
        })
        .collect();
    let path = format!("/o/{}/conduits", org.slug);
    let mut ctx = Ctx::new(state, caller, "assets", &path).await;
    notice(&mut ctx, notice_key);
    let status = apply_error(&mut ctx, &caller.tr, &error);
    let page = ConduitsPage {
        ctx,
        org,
        section: "conduits",
        rows,
        zones,
        form,
        error_field: error.map(|e| e.field).unwrap_or_default(),
        can_write: caller.may(Perm::OrgWrite),
    };
    (status, render(&page)).into_response()
}

pub async fn conduits(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<super::auth::NoticeQuery>,
) -> Response {
    conduits_page(
        &state,
        &caller,
        q.notice.as_deref(),
        ConduitForm::default(),
        None,
    )
    .await
}

pub async fn create_conduit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let org = org_of(&caller);
    let form = ConduitForm::from_fields(&Fields(f));
    let result = match form.to_new() {
        Ok(new) => {
            state
                .store()
                .create_conduit(&caller.actor(), org.id, new)
                .await
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => see(format!("/o/{}/conduits?notice=saved", org.slug)),
        Err(e) => {
            let err = FormError::of(&caller.tr, &e);
            conduits_page(&state, &caller, None, form, Some(err)).await
        }
    }
}

#[derive(Template)]
#[template(path = "inventory_conduit.html")]
struct ConduitFormPage {
    ctx: Ctx,
    org: Organization,
    section: &'static str,
    c: Conduit,
    zones: Vec<Zone>,
    form: ConduitForm,
    error_field: String,
    conflict: Option<i64>,
    can_write: bool,
    can_manage: bool,
}

impl ConduitFormPage {
    fn bad(&self, field: &str) -> bool {
        self.error_field == field
    }
    fn sel_id<U: Val<Uuid>>(&self, id: U, chosen: &str) -> bool {
        id.val().to_string() == chosen.trim()
    }
    fn sel(&self, value: &str, chosen: &str) -> bool {
        value == chosen.trim()
    }
}

async fn conduit_page(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    notice_key: Option<&str>,
    form: Option<ConduitForm>,
    error: Option<FormError>,
    conflict: Option<i64>,
) -> Response {
    let org = org_of(caller);
    let store = state.store();
    let (c, zones) = match tokio::try_join!(store.conduit(org.id, id), store.zones(org.id)) {
        Ok(v) => v,
        Err(e) => return fail(caller, &e),
    };
    let path = format!("/o/{}/conduits/{id}", org.slug);
    let mut ctx = Ctx::new(state, caller, "assets", &path).await;
    notice(&mut ctx, notice_key);
    let status = apply_error(&mut ctx, &caller.tr, &error);
    let page = ConduitFormPage {
        ctx,
        org,
        section: "conduits",
        form: form.unwrap_or_else(|| ConduitForm::of(&c)),
        c,
        zones,
        error_field: error.map(|e| e.field).unwrap_or_default(),
        conflict,
        can_write: caller.may(Perm::OrgWrite),
        can_manage: caller.may(Perm::OrgManage),
    };
    (status, render(&page)).into_response()
}

pub async fn conduit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Query(q): Query<super::auth::NoticeQuery>,
) -> Response {
    conduit_page(&state, &caller, id, q.notice.as_deref(), None, None, None).await
}

pub async fn update_conduit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let org = org_of(&caller);
    let f = Fields(f);
    let mut form = ConduitForm::from_fields(&f);
    let result = match (f.version(), form.to_new()) {
        (Ok(v), Ok(new)) => {
            state
                .store()
                .update_conduit(&caller.actor(), org.id, id, v, new)
                .await
        }
        (Err(e), _) | (_, Err(e)) => Err(e.into()),
    };
    match result {
        Ok(_) => see(format!("/o/{}/conduits/{id}?notice=saved", org.slug)),
        Err(StoreError::NotFound {
            kind: "conduit", ..
        }) => error_page(&caller, StatusCode::NOT_FOUND, "error-not-found"),
        Err(e) => {
            let conflict = match &e {
                StoreError::Conflict { current, .. } => Some(*current),
                _ => None,
            };
            if let Some(c) = conflict {
                form.version = c;
            }
            let err = FormError::of(&caller.tr, &e);
            conduit_page(&state, &caller, id, None, Some(form), Some(err), conflict).await
        }
    }
}

pub async fn delete_conduit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let org = org_of(&caller);
    let f = Fields(f);
    let version = match f.version() {
        Ok(v) => v,
        Err(e) => return fail(&caller, &StoreError::Invalid(e)),
    };
    match state
        .store()
        .delete_conduit(&caller.actor(), org.id, id, version)
        .await
    {
        Ok(()) => see(format!("/o/{}/conduits?notice=deleted", org.slug)),
        Err(e) => fail(&caller, &e),
    }
}

/// The routes of this area's pages.
pub(crate) fn routes() -> Vec<Route> {
    vec![
        route!(GET, "/o/{org}/sites", OrgRead, get(sites)),
        route!(POST, "/o/{org}/sites", OrgWrite, post(create_site)),
        route!(
            POST,
            "/o/{org}/sites/{id}/edit",
            OrgWrite,
            post(update_site)
        ),
        route!(
            POST,
            "/o/{org}/sites/{id}/delete",
            OrgManage,
            post(delete_site)
        ),
        route!(POST, "/o/{org}/systems", OrgWrite, post(create_system)),
        route!(
            POST,
            "/o/{org}/systems/{id}/edit",
            OrgWrite,
            post(update_system)
        ),
        route!(
            POST,
            "/o/{org}/systems/{id}/delete",
            OrgManage,
            post(delete_system)
        ),
        route!(GET, "/o/{org}/assets", OrgRead, get(assets)),
        route!(POST, "/o/{org}/assets", OrgWrite, post(create_asset)),
        route!(GET, "/o/{org}/assets/new", OrgWrite, get(new_asset)),
        route!(GET, "/o/{org}/assets/{id}", OrgRead, get(asset)),
        route!(GET, "/o/{org}/assets/{id}/edit", OrgWrite, get(edit_asset)),
        route!(
            POST,
            "/o/{org}/assets/{id}/edit",
            OrgWrite,
            post(update_asset)
        ),
        route!(
            POST,
            "/o/{org}/assets/{id}/delete",
            OrgManage,
            post(delete_asset)
        ),
        route!(GET, "/o/{org}/zones", OrgRead, get(zones)),
        route!(POST, "/o/{org}/zones", OrgWrite, post(create_zone)),
        route!(GET, "/o/{org}/zones/diagram", OrgRead, get(diagram)),
        route!(
            GET,
            "/o/{org}/zones/diagram.svg",
            OrgRead,
            get(diagram_download)
        ),
        route!(GET, "/o/{org}/zones/{id}", OrgRead, get(zone)),
        route!(
            POST,
            "/o/{org}/zones/{id}/edit",
            OrgWrite,
            post(update_zone)
        ),
        route!(
            POST,
            "/o/{org}/zones/{id}/delete",
            OrgManage,
            post(delete_zone)
        ),
        route!(
            POST,
            "/o/{org}/zones/{id}/assets",
            OrgWrite,
            post(add_zone_assets)
        ),
        route!(
            POST,
            "/o/{org}/zones/{id}/assets/remove",
            OrgWrite,
            post(remove_zone_assets)
        ),
        route!(GET, "/o/{org}/conduits", OrgRead, get(conduits)),
        route!(POST, "/o/{org}/conduits", OrgWrite, post(create_conduit)),
        route!(GET, "/o/{org}/conduits/{id}", OrgRead, get(conduit)),
        route!(
            POST,
            "/o/{org}/conduits/{id}/edit",
            OrgWrite,
            post(update_conduit)
        ),
        route!(
            POST,
            "/o/{org}/conduits/{id}/delete",
            OrgManage,
            post(delete_conduit)
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purdue_levels_map_to_diagram_bands() {
        let ranks: Vec<Option<u8>> = ["0", "1", "2", "3", "3.5", "4", "5", "6"]
            .iter()
            .map(|l| purdue_rank(l))
            .collect();
        assert_eq!(
            ranks,
            [
                Some(0),
                Some(1),
                Some(2),
                Some(3),
                Some(4),
                Some(5),
                Some(6),
                None
            ]
        );
    }

    #[test]
    fn a_zone_sits_at_its_assets_most_common_level_ties_going_higher() {
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let counts = vec![
            (a, "1".to_owned(), 5),
            (a, "2".to_owned(), 3),
            (b, "2".to_owned(), 4),
            (b, "3.5".to_owned(), 4),
            (b, "0".to_owned(), 1),
            (c, "bogus".to_owned(), 9),
        ];
        let layers = zone_layers(&counts);
        assert_eq!(layers.get(&a), Some(&1));
        assert_eq!(
            layers.get(&b),
            Some(&4),
            "a tie goes to the higher level (3.5)"
        );
        assert_eq!(layers.get(&c), None, "unknown levels are not placed");
    }

    #[test]
    fn conduit_labels_and_direction() {
        let ch = |protocol: &str, port: Option<u16>, direction| Channel {
            protocol: protocol.into(),
            port,
            direction,
            description: String::new(),
        };
        let mut c = Conduit {
            id: Uuid::nil(),
            org_id: Uuid::nil(),
            name: "c".into(),
            from_zone_id: Uuid::nil(),
            to_zone_id: Uuid::nil(),
            channels: vec![
                ch("OPC UA", Some(4840), Direction::OneWay),
                ch("Syslog", None, Direction::OneWay),
            ],
            description: String::new(),
            created_at: csms_domain::time::now(),
            created_by: None,
            updated_at: csms_domain::time::now(),
            updated_by: None,
            version: 1,
        };
        assert_eq!(channel_label(&c), "OPC UA 4840, Syslog");
        assert!(one_way(&c));
        c.channels
            .push(ch("Modbus/TCP", Some(502), Direction::TwoWay));
        assert!(
            !one_way(&c),
            "one two-way channel makes the conduit two-way"
        );
        c.channels.clear();
        assert!(!one_way(&c), "a conduit without channels has no direction");
    }

    #[test]
    fn custom_fields_are_key_value_lines() {
        let m = parse_custom("rack = R2\n\n cabinet=C7 \nnote = a = b").unwrap();
        assert_eq!(m["rack"], "R2");
        assert_eq!(m["cabinet"], "C7");
        assert_eq!(m["note"], "a = b");
        assert_eq!(parse_custom(&custom_text(&m)).unwrap(), m);
        let e = parse_custom("rack R2").unwrap_err();
        assert_eq!(e.field, "custom");
        assert!(parse_custom("a = 1\na = 2").is_err());
    }

    #[test]
    fn below_target_names_the_frs() {
        let t = SlVector::parse("2,2,2,2,2,2,2").unwrap();
        let c = SlVector::parse("2,1,2,2,3,2,0").unwrap();
        assert_eq!(below_target(Some(c), t), vec![Fr::Uc, Fr::Ra]);
        assert!(
            below_target(None, t).is_empty(),
            "undeclared is not flagged"
        );
    }
}
