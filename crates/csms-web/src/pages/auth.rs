//! Sign-in, sign-out, language, and the user's own account.

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use csms_domain::auth::{ACCOUNT_LOCK_THRESHOLD, ADDRESS_LOCK_THRESHOLD};
use csms_domain::trail::Actor;
use serde::Deserialize;
use serde_json::json;

use super::{Ctx, render};
use crate::AppState;
use crate::authz::{Caller, clear_session_cookie, session_cookie};

#[derive(Template)]
#[template(path = "signin.html")]
struct SigninPage {
    ctx: Ctx,
    error: Option<String>,
    username: String,
    next: String,
}

#[derive(Deserialize)]
pub struct SigninQuery {
    next: Option<String>,
    notice: Option<String>,
}

/// Only local paths may be redirect targets (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

pub async fn signin_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<SigninQuery>,
) -> Response {
    if caller.user.is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    let ctx = Ctx::new(&state, &caller, "", "/signin")
        .await
        .with_notice(q.notice.as_deref());
    render(&SigninPage {
        ctx,
        error: None,
        username: String::new(),
        next: safe_next(q.next.as_deref()),
    })
}

#[derive(Deserialize)]
pub struct SigninForm {
    username: String,
    password: String,
    next: Option<String>,
}

pub async fn signin(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Form(form): Form<SigninForm>,
) -> Response {
    let store = state.store();
    let username = form.username.trim().to_lowercase();
    let account_key = format!("user:{username}");
    let address_key = format!("addr:{}", caller.client_ip);
    let next = safe_next(form.next.as_deref());
    let again = |key: &str, status: StatusCode, ctx: Ctx| {
        let error = Some(ctx.t(key));
        (
            status,
            render(&SigninPage {
                ctx,
                error,
                username: username.clone(),
                next: next.clone(),
            }),
        )
            .into_response()
    };
    let ctx = Ctx::new(&state, &caller, "", "/signin").await;

    for key in [&account_key, &address_key] {
        match store.login_locked_until(key).await {
            Ok(Some(_)) => return again("signin-locked", StatusCode::TOO_MANY_REQUESTS, ctx),
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "sign-in throttle lookup failed");
                return again("error-internal", StatusCode::INTERNAL_SERVER_ERROR, ctx);
            }
        }
    }
    let verified = {
        let _permit = state.hashing().acquire().await;
        store.verify_credentials(&username, &form.password).await
    };
    let user = match verified {
        Ok(Some(u)) => u,
        Ok(None) => {
            let locked = store
                .record_login_failure(&account_key, ACCOUNT_LOCK_THRESHOLD)
                .await
                .ok()
                .flatten();
            let _ = store
                .record_login_failure(&address_key, ADDRESS_LOCK_THRESHOLD)
                .await;
            if locked.is_some()
                && let Ok(u) = store.user_by_username(&username).await
            {
                let _ = store
                    .record_user_event(
                        &Actor::system(format!("addr:{}", caller.client_ip)),
                        u.id,
                        "lockout",
                        json!({"address": caller.client_ip}),
                    )
                    .await;
            }
            tracing::info!(username = %username, address = %caller.client_ip, "sign-in failed");
            return again("signin-failed", StatusCode::UNAUTHORIZED, ctx);
        }
        Err(e) => {
            tracing::error!(error = %e, "sign-in failed");
            return again("error-internal", StatusCode::INTERNAL_SERVER_ERROR, ctx);
        }
    };
    let _ = store.clear_login_failures(&account_key).await;
    // A new session every time: a session id planted before sign-in is worthless.
    if let Some(old) = &caller.session {
        let _ = store.delete_session(old.id).await;
    }
    let cookie = match start_session(&state, &caller, user.id, &headers).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot create a session");
            return again("error-internal", StatusCode::INTERNAL_SERVER_ERROR, ctx);
        }
    };
    let _ = store
        .record_user_event(
            &Actor::user(user.id, &user.username),
            user.id,
            "sign_in",
            json!({"address": caller.client_ip}),
        )
        .await;
    let target = if user.must_change_password {
        "/account".to_owned()
    } else {
        next
    };
    let mut res = Redirect::to(&target).into_response();
    res.headers_mut().append(header::SET_COOKIE, cookie);
    res
}

/// Starts a new session for a user in this browser; returns the cookie that carries it.
async fn start_session(
    state: &AppState,
    caller: &Caller,
    user_id: csms_domain::Uuid,
    headers: &HeaderMap,
) -> Result<HeaderValue, csms_store::StoreError> {
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let (_, secret) = state
        .store()
        .create_session(
            user_id,
            state.config().session_absolute,
            Some(&caller.client_ip),
            ua,
        )
        .await?;
    Ok(session_cookie(state.config().secure_cookies, &secret))
}

pub async fn signout(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    if let (Some(s), Some(u)) = (&caller.session, &caller.user) {
        let _ = state.store().delete_session(s.id).await;
        let _ = state
            .store()
            .record_user_event(&caller.actor(), u.id, "sign_out", json!({}))
            .await;
    }
    let mut res = Redirect::to("/signin?notice=signed-out").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        clear_session_cookie(state.config().secure_cookies),
    );
    res
}

#[derive(Deserialize)]
pub struct LangForm {
    lang: String,
    next: Option<String>,
}

/// The header's language switch: saved in the user's settings, or in a cookie before sign-in.
pub async fn set_language(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Form(form): Form<LangForm>,
) -> Response {
    let Some(lang) = crate::i18n::Lang::parse(&form.lang) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if let Some(u) = &caller.user
        && let Err(e) = state
            .store()
            .set_preferences(
                &caller.actor(),
                u.id,
                Some(lang.code().into()),
                u.timezone.clone(),
            )
            .await
    {
        tracing::error!(error = %e, "cannot save the language");
    }
    let mut res = Redirect::to(&safe_next(form.next.as_deref())).into_response();
    let secure = if state.config().secure_cookies {
        "; Secure"
    } else {
        ""
    };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "csms_lang={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
        lang.code()
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    ctx: Ctx,
    username: String,
    must_change: bool,
    locale: String,
    timezone: String,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

async fn account_page(
    state: &AppState,
    caller: &Caller,
    notice: Option<&str>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let Some(user) = &caller.user else {
        return Redirect::to("/signin").into_response();
    };
    let mut ctx = Ctx::new(state, caller, "account", "/account")
        .await
        .with_notice(notice);
    if let Some(e) = error {
        ctx.error(e);
    }
    (
        status,
        render(&AccountPage {
            ctx,
            username: user.username.clone(),
            must_change: user.must_change_password,
            locale: user.locale.clone().unwrap_or_default(),
            timezone: user.timezone.clone().unwrap_or_default(),
        }),
    )
        .into_response()
}

pub async fn account(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    account_page(&state, &caller, q.notice.as_deref(), None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new_password: String,
}

/// Changes the user's own password; every other session of theirs ends, this one is renewed.
pub async fn change_password(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let (Some(user), Some(session)) = (&caller.user, &caller.session) else {
        return Redirect::to("/signin").into_response();
    };
    let store = state.store();
    let ok = {
        let _permit = state.hashing().acquire().await;
        store
            .verify_credentials(&user.username, &form.current)
            .await
    };
    if !matches!(ok, Ok(Some(_))) {
        let msg = caller.tr.t("account-wrong-password");
        return account_page(
            &state,
            &caller,
            None,
            Some(msg),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if form.new_password == form.current {
        let msg = caller.tr.t("account-same-password");
        return account_page(
            &state,
            &caller,
            None,
            Some(msg),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if let Err(e) = store
        .set_password(&caller.actor(), &user.username, form.new_password, false)
        .await
    {
        let msg = match e {
            csms_store::StoreError::Invalid(f) => {
                caller
                    .tr
                    .t1("account-password-invalid", "reason", f.message)
            }
            other => {
                tracing::error!(error = %other, "password change failed");
                caller.tr.t("error-internal")
            }
        };
        return account_page(
            &state,
            &caller,
            None,
            Some(msg),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    // set_password ended every session of the user; give this browser a fresh one.
    let _ = store.delete_session(session.id).await;
    let mut res = Redirect::to("/account?notice=password-changed").into_response();
    match start_session(&state, &caller, user.id, &headers).await {
        Ok(cookie) => {
            res.headers_mut().append(header::SET_COOKIE, cookie);
        }
        // The password is changed; the user signs in again with it.
        Err(e) => tracing::error!(error = %e, "cannot renew the session after a password change"),
    }
    res
}

#[derive(Deserialize)]
pub struct PreferencesForm {
    locale: String,
    timezone: String,
}

pub async fn preferences(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Form(form): Form<PreferencesForm>,
) -> Response {
    let Some(user) = &caller.user else {
        return Redirect::to("/signin").into_response();
    };
    let locale = crate::i18n::Lang::parse(&form.locale).map(|l| l.code().to_owned());
    let tz = form.timezone.trim();
    let timezone = if tz.is_empty() {
        None
    } else if jiff::tz::TimeZone::get(tz).is_ok() {
        Some(tz.to_owned())
    } else {
        let msg = caller.tr.t1("account-timezone-invalid", "zone", tz);
        return account_page(
            &state,
            &caller,
            None,
            Some(msg),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    match state
        .store()
        .set_preferences(&caller.actor(), user.id, locale, timezone)
        .await
    {
        Ok(_) => Redirect::to("/account?notice=saved").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot save preferences");
            let msg = caller.tr.t("error-internal");
            account_page(
                &state,
                &caller,
                None,
                Some(msg),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn redirects_stay_local() {
        assert_eq!(safe_next(Some("/o/x/trail")), "/o/x/trail");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
