//! Pages of one organization: dashboard, trail, and the administrator's settings.

use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use csms_domain::Uuid;
use csms_domain::auth::Role;
use csms_domain::org::{Organization, OrganizationPatch};
use csms_domain::trail::TrailRecord;
use csms_store::StoreError;
use csms_store::auth::{Member, NewUser, generate_password};
use csms_store::trail::TrailQuery;
use serde::Deserialize;

use super::auth::NoticeQuery;
use super::{Ctx, render};
use crate::AppState;
use crate::authz::Caller;
use crate::i18n::Tr;

/// The organization of an `/o/{org}` request (the guard has resolved it).
pub(crate) fn org_of(caller: &Caller) -> Organization {
    caller
        .org
        .as_ref()
        .map(|(o, _)| o.clone())
        .expect("the guard resolves the organization of /o/{org} routes")
}

/// Adds an error notice to a page's context, with the status to answer with.
fn with_error(mut ctx: Ctx, error: Option<(StatusCode, String)>) -> (Ctx, StatusCode) {
    match error {
        Some((status, msg)) => {
            ctx.error(msg);
            (ctx, status)
        }
        None => (ctx, StatusCode::OK),
    }
}

/// Words a store error for a page.
pub(crate) fn store_error(tr: &Tr, e: &StoreError) -> (StatusCode, String) {
    match e {
        StoreError::Conflict { current, .. } => (
            StatusCode::CONFLICT,
            tr.t1("error-conflict", "version", current),
        ),
        StoreError::Invalid(f) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            tr.t1("error-invalid", "reason", f),
        ),
        StoreError::Duplicate { value, .. } => (
            StatusCode::CONFLICT,
            tr.t1("error-duplicate", "value", value),
        ),
        StoreError::NotFound { id, .. } => {
            (StatusCode::NOT_FOUND, tr.t1("error-missing", "id", id))
        }
        StoreError::Locked(_) => (StatusCode::CONFLICT, tr.t("error-locked")),
        other => {
            tracing::error!(error = %other, "request failed");
            (StatusCode::INTERNAL_SERVER_ERROR, tr.t("error-internal"))
        }
    }
}

/// A trail record as a page lists it.
pub struct RecordView {
    pub seq: i64,
    pub at: time::OffsetDateTime,
    pub actor: String,
    pub entity_kind: String,
    pub entity_id: String,
    pub action: String,
    /// Changed fields: name, value before, value after (shortened for reading).
    pub changes: Vec<(String, String, String)>,
    pub more: usize,
    pub diff: String,
}

const HIDDEN_FIELDS: &[&str] = &["created_at", "created_by", "updated_at", "updated_by"];
const SHOWN_FIELDS: usize = 8;

fn short(v: Option<&serde_json::Value>) -> String {
    let text = match v {
        None => String::new(),
        Some(serde_json::Value::Null) => "—".to_owned(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(80).collect::<String>())
    } else {
        text
    }
}

impl From<TrailRecord> for RecordView {
    fn from(r: TrailRecord) -> Self {
        let empty = serde_json::Map::new();
        let before = r
            .diff
            .get("before")
            .and_then(|v| v.as_object())
            .unwrap_or(&empty);
        let after = r
            .diff
            .get("after")
            .and_then(|v| v.as_object())
            .unwrap_or(&empty);
        let mut fields: Vec<&String> = before.keys().chain(after.keys()).collect();
        fields.sort();
        fields.dedup();
        fields.retain(|f| !HIDDEN_FIELDS.contains(&f.as_str()));
        let mut changes: Vec<(String, String, String)> = fields
            .iter()
            .map(|f| ((*f).clone(), short(before.get(*f)), short(after.get(*f))))
            .collect();
        if let Some(event) = r.diff.get("event").and_then(|v| v.as_object()) {
            for (k, v) in event {
                changes.push((k.clone(), String::new(), short(Some(v))));
            }
        }
        let more = changes.len().saturating_sub(SHOWN_FIELDS);
        changes.truncate(SHOWN_FIELDS);
        RecordView {
            seq: r.seq,
            at: r.at,
            actor: r.actor,
            entity_kind: r.entity_kind,
            entity_id: r.entity_id,
            action: r.action,
            changes,
            more,
            diff: serde_json::to_string_pretty(&r.diff).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    ctx: Ctx,
    org: Organization,
    members: usize,
    recent: Vec<RecordView>,
    /// Assessments in progress, newest first: id, title, share assessed, share conformant.
    assessments: Vec<(Uuid, String, String, String)>,
    risks: Option<super::risk::RiskSummary>,
}

pub async fn dashboard(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let org = org_of(&caller);
    let store = state.store();
    let members = store.members(org.id).await.map(|m| m.len()).unwrap_or(0);
    let recent = store
        .trail(
            org.id,
            &TrailQuery {
                limit: 8,
                ..Default::default()
            },
        )
        .await
        .unwrap_or_default()
        .into_iter()
        .map(RecordView::from)
        .collect();
    let latest = store.latest_progress(org.id).await.unwrap_or_default();
    let assessments = store
        .assessments(org.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|a| a.status == csms_domain::assessment::AssessmentStatus::InProgress)
        .take(5)
        .map(|a| {
            let t = latest.get(&a.id).copied().unwrap_or_default();
            (
                a.id,
                a.title,
                format!("{:.0}%", t.percent_assessed()),
                format!("{:.0}%", t.percent_conformant()),
            )
        })
        .collect();
    let risks = super::risk::summary(&state, &caller.tr, &org).await;
    let path = format!("/o/{}/", org.slug);
    let ctx = Ctx::new(&state, &caller, "dashboard", &path)
        .await
        .with_notice(q.notice.as_deref());
    render(&DashboardPage {
        ctx,
        org,
        members,
        recent,
        assessments,
        risks,
    })
}

#[derive(Template)]
#[template(path = "trail.html")]
struct TrailPage {
    ctx: Ctx,
    verified: Result<u64, String>,
    kinds: Vec<String>,
    filter: TrailFilter,
    records: Vec<RecordView>,
    next_page: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct TrailFilter {
    #[serde(default)]
    pub entity: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    pub before: Option<i64>,
}

/// A calendar date in the reader's zone, as the instant that starts it.
fn day_start(tr: &Tr, date: &str, plus_days: i64) -> Option<time::OffsetDateTime> {
    let d: jiff::civil::Date = date.trim().parse().ok()?;
    let d = d.checked_add(jiff::Span::new().days(plus_days)).ok()?;
    let z = d.to_zoned_datetime(tr.zone.clone()).ok()?;
    time::OffsetDateTime::from_unix_timestamp_nanos(z.timestamp().as_nanosecond()).ok()
}

pub async fn trail(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(filter): Query<TrailFilter>,
    RawQuery(raw): RawQuery,
) -> Response {
    let org = org_of(&caller);
    let store = state.store();
    let verified = state.verify_chain(org.id).await;
    let q = TrailQuery {
        entity_kind: Some(filter.entity.clone()).filter(|s| !s.is_empty()),
        entity_id: None,
        before_seq: filter.before,
        actor: Some(filter.user.trim().to_owned()).filter(|s| !s.is_empty()),
        from: day_start(&caller.tr, &filter.from, 0),
        until: day_start(&caller.tr, &filter.to, 1),
        limit: 50,
    };
    let records: Vec<RecordView> = match store.trail(org.id, &q).await {
        Ok(r) => r.into_iter().map(RecordView::from).collect(),
        Err(e) => {
            let (status, msg) = store_error(&caller.tr, &e);
            return (status, msg).into_response();
        }
    };
    let next_page = (records.len() as i64 == q.limit).then(|| {
        let last = records.last().map_or(0, |r| r.seq);
        let rest: Vec<&str> = raw
            .as_deref()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("before="))
            .collect();
        let mut query = rest.join("&");
        if !query.is_empty() {
            query.push('&');
        }
        format!("/o/{}/trail?{query}before={last}", org.slug)
    });
    let kinds = store.trail_kinds(org.id).await.unwrap_or_default();
    let path = format!("/o/{}/trail", org.slug);
    let ctx = Ctx::new(&state, &caller, "trail", &path).await;
    render(&TrailPage {
        ctx,
        verified,
        kinds,
        filter,
        records,
        next_page,
    })
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    ctx: Ctx,
    org: Organization,
}

pub async fn settings(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let org = org_of(&caller);
    let path = format!("/o/{}/settings", org.slug);
    let ctx = Ctx::new(&state, &caller, "settings", &path)
        .await
        .with_notice(q.notice.as_deref());
    render(&SettingsPage { ctx, org })
}

#[derive(Deserialize)]
pub struct SettingsForm {
    version: i64,
    name: String,
    timezone: String,
    description: String,
}

pub async fn save_settings(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Form(form): Form<SettingsForm>,
) -> Response {
    let org = org_of(&caller);
    if jiff::tz::TimeZone::get(form.timezone.trim()).is_err() {
        let msg = caller
            .tr
            .t1("account-timezone-invalid", "zone", form.timezone.trim());
        return settings_error(&state, &caller, org, StatusCode::UNPROCESSABLE_ENTITY, msg).await;
    }
    let patch = OrganizationPatch {
        name: Some(form.name),
        description: Some(form.description.replace("\r\n", "\n")),
        timezone: Some(form.timezone.trim().to_owned()),
    };
    match state
        .store()
        .update_organization(&caller.actor(), org.id, form.version, patch)
        .await
    {
        Ok(o) => Redirect::to(&format!("/o/{}/settings?notice=saved", o.slug)).into_response(),
        Err(e) => {
            let (status, msg) = store_error(&caller.tr, &e);
            // Show the current state so the user can re-apply their change to it.
            let current = state.store().organization(org.id).await.unwrap_or(org);
            settings_error(&state, &caller, current, status, msg).await
        }
    }
}

async fn settings_error(
    state: &AppState,
    caller: &Caller,
    org: Organization,
    status: StatusCode,
    msg: String,
) -> Response {
    let path = format!("/o/{}/settings", org.slug);
    let mut ctx = Ctx::new(state, caller, "settings", &path).await;
    ctx.error(msg);
    (status, render(&SettingsPage { ctx, org })).into_response()
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    ctx: Ctx,
    org: Organization,
    members: Vec<Member>,
    roles: [Role; 5],
    new_password: Option<String>,
}

async fn members_page(
    state: &AppState,
    caller: &Caller,
    notice: Option<&str>,
    error: Option<(StatusCode, String)>,
    new_password: Option<String>,
) -> Response {
    let org = org_of(caller);
    let members = state.store().members(org.id).await.unwrap_or_default();
    let path = format!("/o/{}/members", org.slug);
    let ctx = Ctx::new(state, caller, "members", &path)
        .await
        .with_notice(notice);
    let (ctx, status) = with_error(ctx, error);
    (
        status,
        render(&MembersPage {
            ctx,
            org,
            members,
            roles: Role::ALL,
            new_password,
        }),
    )
        .into_response()
}

pub async fn members(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    members_page(&state, &caller, q.notice.as_deref(), None, None).await
}

#[derive(Deserialize)]
pub struct AddMemberForm {
    username: String,
    #[serde(default)]
    display_name: String,
    role: String,
}

pub async fn add_member(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Form(form): Form<AddMemberForm>,
) -> Response {
    let org = org_of(&caller);
    let store = state.store();
    let actor = caller.actor();
    let role: Role = match form.role.parse() {
        Ok(r) => r,
        Err(e) => {
            let err = store_error(&caller.tr, &StoreError::Invalid(e));
            return members_page(&state, &caller, None, Some(err), None).await;
        }
    };
    let username = form.username.trim().to_lowercase();
    let mut new_password = None;
    let user = match store.user_by_username(&username).await {
        Ok(u) => u,
        Err(StoreError::NotFound { .. }) if !form.display_name.trim().is_empty() => {
            let password = generate_password();
            match store
                .create_user(
                    &actor,
                    NewUser {
                        username: username.clone(),
                        display_name: form.display_name.clone(),
                        email: None,
                        password: password.clone(),
                        must_change_password: true,
                    },
                )
                .await
            {
                Ok(u) => {
                    new_password = Some(password);
                    u
                }
                Err(e) => {
                    let err = store_error(&caller.tr, &e);
                    return members_page(&state, &caller, None, Some(err), None).await;
                }
            }
        }
        Err(StoreError::NotFound { .. }) => {
            let err = (
                StatusCode::UNPROCESSABLE_ENTITY,
                caller.tr.t1("members-unknown-user", "user", &username),
            );
            return members_page(&state, &caller, None, Some(err), None).await;
        }
        Err(e) => {
            let err = store_error(&caller.tr, &e);
            return members_page(&state, &caller, None, Some(err), None).await;
        }
    };
    if let Err(e) = store.set_membership(&actor, org.id, user.id, role).await {
        let err = store_error(&caller.tr, &e);
        return members_page(&state, &caller, None, Some(err), None).await;
    }
    match new_password {
        // Shown once, in this response only (never in a URL).
        Some(pw) => members_page(&state, &caller, Some("member-added"), None, Some(pw)).await,
        None => {
            Redirect::to(&format!("/o/{}/members?notice=member-added", org.slug)).into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

/// The member named in the path, if they belong to this organization.
async fn member_by_name(state: &AppState, org: &Organization, username: &str) -> Option<Member> {
    state
        .store()
        .members(org.id)
        .await
        .ok()?
        .into_iter()
        .find(|m| m.user.username == username)
}

pub async fn change_role(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, username)): Path<(String, String)>,
    Form(form): Form<RoleForm>,
) -> Response {
    let org = org_of(&caller);
    let Some(member) = member_by_name(&state, &org, &username).await else {
        return super::error_page(&caller, StatusCode::NOT_FOUND, "error-not-found");
    };
    let result = match form.role.parse::<Role>() {
        Ok(role) => state
            .store()
            .set_membership(&caller.actor(), org.id, member.user.id, role)
            .await
            .map(|_| ()),
        Err(e) => Err(StoreError::Invalid(e)),
    };
    match result {
        Ok(()) => {
            Redirect::to(&format!("/o/{}/members?notice=role-changed", org.slug)).into_response()
        }
        Err(e) => {
            let err = store_error(&caller.tr, &e);
            members_page(&state, &caller, None, Some(err), None).await
        }
    }
}

pub async fn remove_member(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, username)): Path<(String, String)>,
) -> Response {
    let org = org_of(&caller);
    let Some(member) = member_by_name(&state, &org, &username).await else {
        return super::error_page(&caller, StatusCode::NOT_FOUND, "error-not-found");
    };
    match state
        .store()
        .remove_membership(&caller.actor(), org.id, member.user.id)
        .await
    {
        Ok(()) => {
            Redirect::to(&format!("/o/{}/members?notice=member-removed", org.slug)).into_response()
        }
        Err(e) => {
            let err = store_error(&caller.tr, &e);
            members_page(&state, &caller, None, Some(err), None).await
        }
    }
}

/// An API token as the tokens page lists it.
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    pub username: String,
    pub role: Role,
    pub expires_at: time::OffsetDateTime,
    pub last_used_at: Option<time::OffsetDateTime>,
    pub state_key: &'static str,
    pub state_class: &'static str,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    ctx: Ctx,
    org: Organization,
    tokens: Vec<TokenView>,
    members: Vec<Member>,
    new_secret: Option<String>,
}

async fn tokens_page(
    state: &AppState,
    caller: &Caller,
    notice: Option<&str>,
    error: Option<(StatusCode, String)>,
    new_secret: Option<String>,
) -> Response {
    let org = org_of(caller);
    let store = state.store();
    let members = store.members(org.id).await.unwrap_or_default();
    let users = store.users().await.unwrap_or_default();
    let now = csms_domain::time::now();
    let tokens = store
        .api_tokens(org.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .rev()
        .map(|t| {
            let (state_key, state_class) = if t.revoked_at.is_some() {
                ("tokens-revoked", "danger")
            } else if !t.is_usable(now) {
                ("tokens-expired", "neutral")
            } else {
                ("tokens-active", "ok")
            };
            TokenView {
                id: t.id,
                username: users
                    .iter()
                    .find(|u| u.id == t.user_id)
                    .map_or_else(|| t.user_id.to_string(), |u| u.username.clone()),
                name: t.name,
                role: t.role,
                expires_at: t.expires_at,
                last_used_at: t.last_used_at,
                state_key,
                state_class,
            }
        })
        .collect();
    let path = format!("/o/{}/tokens", org.slug);
    let ctx = Ctx::new(state, caller, "tokens", &path)
        .await
        .with_notice(notice);
    let (ctx, status) = with_error(ctx, error);
    (
        status,
        render(&TokensPage {
            ctx,
            org,
            tokens,
            members,
            new_secret,
        }),
    )
        .into_response()
}

pub async fn tokens(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    tokens_page(&state, &caller, q.notice.as_deref(), None, None).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
    username: String,
    read_only: Option<String>,
    days: i64,
}

pub async fn create_token(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Form(form): Form<TokenForm>,
) -> Response {
    let org = org_of(&caller);
    if !(1..=3650).contains(&form.days) {
        let err = (
            StatusCode::UNPROCESSABLE_ENTITY,
            caller.tr.t("tokens-days-invalid"),
        );
        return tokens_page(&state, &caller, None, Some(err), None).await;
    }
    let Some(member) = member_by_name(&state, &org, &form.username).await else {
        let err = (
            StatusCode::UNPROCESSABLE_ENTITY,
            caller.tr.t1("members-unknown-user", "user", &form.username),
        );
        return tokens_page(&state, &caller, None, Some(err), None).await;
    };
    let role = if form.read_only.is_some() {
        Role::Viewer
    } else {
        member.role
    };
    let expires = csms_domain::time::now() + time::Duration::days(form.days);
    match state
        .store()
        .create_api_token(
            &caller.actor(),
            org.id,
            member.user.id,
            &form.name,
            role,
            expires,
        )
        .await
    {
        Ok(issued) => tokens_page(&state, &caller, None, None, Some(issued.secret)).await,
        Err(e) => {
            let err = store_error(&caller.tr, &e);
            tokens_page(&state, &caller, None, Some(err), None).await
        }
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
) -> Response {
    let org = org_of(&caller);
    match state
        .store()
        .revoke_api_token(&caller.actor(), org.id, id)
        .await
    {
        Ok(_) => {
            Redirect::to(&format!("/o/{}/tokens?notice=token-revoked", org.slug)).into_response()
        }
        Err(e) => {
            let err = store_error(&caller.tr, &e);
            tokens_page(&state, &caller, None, Some(err), None).await
        }
    }
}
