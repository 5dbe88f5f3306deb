//! Who is calling, and may they? One middleware for every route.
//!
//! 1. The route's permission comes from [`crate::routes::table`]; a route missing there is
//!    refused (500), so nothing is reachable by accident.
//! 2. The caller is identified: an API token (`Authorization: Bearer`, API routes only) or a
//!    session cookie (pages), checked for idle and absolute expiry and rotated after a
//!    privilege change.
//! 3. For `/o/{org}/…` the organization is loaded and the caller's membership gives the role;
//!    a non-member gets 404, exactly as for an organization that does not exist. For the API,
//!    the token fixes organization and role.
//! 4. The permission is checked against the role.
//! 5. State-changing requests must come from this site (`Origin`, `Sec-Fetch-Site`) and, with
//!    a session, carry the session's CSRF token (`X-CSRF-Token` header or `_csrf` form field).

use std::net::SocketAddr;

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use csms_domain::auth::{ApiToken, Role, User};
use csms_domain::org::Organization;
use csms_store::session::Session;

use crate::i18n::{Lang, Tr};
use crate::{AppState, Problem};

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Perm {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// Any member of the organization (every role reads).
    OrgRead,
    /// Members who record the CSMS's work: contributors, CSMS managers and administrators.
    OrgWrite,
    /// Members who decide: CSMS managers and administrators (start and approve assessments,
    /// import catalogs, attach licensed wording).
    OrgManage,
    /// The organization's administrators.
    OrgAdmin,
}

impl Perm {
    /// The roles that pass, for routes within an organization.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Perm::Public | Perm::SignedIn => &[],
            Perm::OrgRead => &Role::ALL,
            Perm::OrgWrite => &[Role::Admin, Role::CsmsManager, Role::Contributor],
            Perm::OrgManage => &[Role::Admin, Role::CsmsManager],
            Perm::OrgAdmin => &[Role::Admin],
        }
    }

    fn allows(self, role: Role) -> bool {
        self.roles().contains(&role)
    }
}

/// The identified caller of a request, available to handlers as an extension.
#[derive(Clone)]
pub struct Caller {
    pub user: Option<User>,
    pub session: Option<Session>,
    pub token: Option<ApiToken>,
    /// The organization of the request and the caller's role in it.
    pub org: Option<(Organization, Role)>,
    pub tr: Tr,
    pub client_ip: String,
    /// The user's memberships when the guard already read them (for `/o/{org}` routes), so a
    /// page does not read them a second time.
    pub memberships: Option<Vec<csms_domain::auth::Membership>>,
}

impl Caller {
    /// Whether the caller's role in the request's organization passes `perm` (for showing or
    /// hiding what the guard would refuse).
    pub fn may(&self, perm: Perm) -> bool {
        self.org.as_ref().is_some_and(|(_, r)| perm.allows(*r))
    }

    pub fn actor(&self) -> csms_domain::trail::Actor {
        match &self.user {
            Some(u) => csms_domain::trail::Actor::user(u.id, &u.username),
            None => csms_domain::trail::Actor::system("anonymous"),
        }
    }

    pub fn csrf(&self) -> &str {
        self.session.as_ref().map_or("", |s| s.csrf_token.as_str())
    }

    /// The organization and role; handlers behind `OrgRead`/`OrgAdmin` always have them.
    pub fn org(&self) -> Result<&(Organization, Role), Problem> {
        self.org.as_ref().ok_or_else(Problem::unauthorized)
    }
}

/// The session cookie's name: `__Host-` requires `Secure`, so it is used only over TLS.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-csms_session"
    } else {
        "csms_session"
    }
}

/// The `Set-Cookie` value that stores a session secret.
pub fn session_cookie(secure: bool, secret: &str) -> HeaderValue {
    let name = session_cookie_name(secure);
    let flags = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={secret}; Path=/; HttpOnly; SameSite=Lax{flags}"
    ))
    .expect("session secrets are base64url")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie(secure: bool) -> HeaderValue {
    let name = session_cookie_name(secure);
    let flags = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{flags}"
    ))
    .expect("static cookie")
}

pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// A refusal in the form the client expects: problem JSON for the API, a page otherwise.
fn deny(api: bool, status: StatusCode, caller: &Caller, key: &str) -> Response {
    if api {
        match status {
            StatusCode::UNAUTHORIZED => Problem::unauthorized().into_response(),
            StatusCode::NOT_FOUND => Problem::new(
                status,
                "not-found",
                "Not found",
                "there is no such resource in this organization",
            )
            .into_response(),
            _ => {
                Problem::new(status, "forbidden", "Not permitted", caller.tr.t(key)).into_response()
            }
        }
    } else {
        crate::pages::error_page(caller, status, key)
    }
}

fn client_ip(req: &Request, trust_proxy: bool) -> String {
    if trust_proxy
        && let Some(ip) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
    {
        return ip.trim().to_owned();
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

/// Chooses the language: user setting, then the `csms_lang` cookie, then Accept-Language.
pub fn choose_lang(user: Option<&User>, headers: &HeaderMap) -> Lang {
    user.and_then(|u| u.locale.as_deref())
        .and_then(Lang::parse)
        .or_else(|| cookie(headers, "csms_lang").and_then(Lang::parse))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

/// Whether a state-changing request comes from this site.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                .is_some_and(|o| o == host)
        }
    }
}

const FORM_LIMIT: usize = 1 << 20;

/// The guard: see the module documentation.
/// Routes that answer the same to everyone and never look at the caller: static assets, health
/// and metrics. Their requests do not read, touch or expire the session, so a page's
/// stylesheets fetched in parallel with the page cannot race it (an idle session expiring on a
/// stylesheet request would lose the "session expired" notice of the page itself).
fn identity_free(matched: Option<&str>) -> bool {
    matches!(matched, Some("/assets/{*path}" | "/healthz" | "/metrics"))
}

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let api = is_api(&path);
    let matched = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let perm = match &matched {
        Some(m) => crate::routes::permission(req.method(), m),
        // Unmatched requests reach only the fallback (404).
        None => Some(Perm::Public),
    };
    let store = state.store();
    let config = state.config();
    let ip = client_ip(&req, config.trust_proxy);
    let Some(perm) = perm else {
        tracing::error!(route = ?matched, "route without a declared permission");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };

    // 2. Identify.
    let mut user: Option<User> = None;
    let mut session: Option<Session> = None;
    let mut token: Option<ApiToken> = None;
    let mut set_cookie: Option<HeaderValue> = None;
    let mut expired = false;
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    if api {
        if let Some(secret) = bearer {
            match store.authenticate_token(secret.trim()).await {
                Ok(Some((t, u))) => {
                    token = Some(t);
                    user = Some(u);
                }
                Ok(None) => {}
                Err(e) => return Problem::from(e).into_response(),
            }
        }
    } else if !identity_free(matched.as_deref())
        && let Some(secret) = cookie(req.headers(), session_cookie_name(config.secure_cookies))
    {
        match store.session_by_secret(secret).await {
            Ok(Some(s)) => {
                let now = csms_domain::time::now();
                if s.expires_at <= now || s.last_seen_at + config.session_idle <= now {
                    let _ = store.delete_session(s.id).await;
                    set_cookie = Some(clear_session_cookie(config.secure_cookies));
                    expired = true;
                } else {
                    match store.user(s.user_id).await {
                        Ok(u) if u.disabled_at.is_none() => {
                            if now - s.last_seen_at > time::Duration::minutes(1) {
                                let _ = store.touch_session(s.id, now).await;
                            }
                            user = Some(u);
                            session = Some(s);
                        }
                        _ => {
                            let _ = store.delete_session(s.id).await;
                            set_cookie = Some(clear_session_cookie(config.secure_cookies));
                        }
                    }
                }
            }
            Ok(None) => set_cookie = Some(clear_session_cookie(config.secure_cookies)),
            Err(e) => return Problem::from(e).into_response(),
        }
    }

    let lang = choose_lang(user.as_ref(), req.headers());
    let mut caller = Caller {
        user,
        session,
        token,
        org: None,
        tr: Tr::new(lang, None),
        client_ip: ip,
        memberships: None,
    };

    // 3. Organization and role.
    if let Some(t) = &caller.token {
        match store.organization(t.org_id).await {
            Ok(o) => caller.org = Some((o, t.role)),
            Err(e) => return Problem::from(e).into_response(),
        }
    } else if matched
        .as_deref()
        .is_some_and(|m| m.starts_with("/o/{org}"))
    {
        let slug = path.split('/').nth(2).unwrap_or("");
        if let Some(u) = &caller.user {
            let org = store.organization_by_slug(slug).await.ok();
            let memberships = match &org {
                Some(_) => store.memberships_of(u.id).await.unwrap_or_default(),
                None => Vec::new(),
            };
            let role = org
                .as_ref()
                .and_then(|o| memberships.iter().find(|m| m.org_id == o.id))
                .map(|m| m.role);
            caller.memberships = Some(memberships);
            if let (Some(o), Some(r)) = (org, role) {
                caller.org = Some((o, r));
            } else {
                // Not a member: the organization does not exist for this caller.
                return deny(api, StatusCode::NOT_FOUND, &caller, "error-not-found");
            }
        }
    }
    let zone = caller
        .user
        .as_ref()
        .and_then(|u| u.timezone.clone())
        .or_else(|| caller.org.as_ref().map(|(o, _)| o.timezone.clone()));
    caller.tr = Tr::new(lang, zone.as_deref());

    // 4. Permission.
    if perm != Perm::Public {
        if caller.user.is_none() {
            if api {
                return Problem::unauthorized().into_response();
            }
            let next = format!(
                "/signin?next={}{}",
                urlencode(&path),
                if expired {
                    "&notice=session-expired"
                } else {
                    ""
                }
            );
            let mut res = Redirect::to(&next).into_response();
            if let Some(c) = set_cookie {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            return res;
        }
        if matches!(
            perm,
            Perm::OrgRead | Perm::OrgWrite | Perm::OrgManage | Perm::OrgAdmin
        ) {
            match &caller.org {
                Some((_, role)) if perm.allows(*role) => {}
                Some(_) => return deny(api, StatusCode::FORBIDDEN, &caller, "error-forbidden"),
                None => return deny(api, StatusCode::NOT_FOUND, &caller, "error-not-found"),
            }
        }
    }

    // 5. CSRF.
    let mut req = req;
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        if !same_origin(req.headers()) {
            return deny(api, StatusCode::FORBIDDEN, &caller, "error-csrf");
        }
        if let Some(s) = &caller.session {
            let header_token = req
                .headers()
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let presented = match header_token {
                Some(t) => Some(t),
                None => {
                    let is_form = req
                        .headers()
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
                    if is_form {
                        let (parts, body) = req.into_parts();
                        let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
                            return StatusCode::PAYLOAD_TOO_LARGE.into_response();
                        };
                        let token = form_field(&bytes, "_csrf");
                        req = Request::from_parts(parts, Body::from(bytes));
                        token
                    } else {
                        None
                    }
                }
            };
            if !presented.is_some_and(|t| constant_time_eq(&t, &s.csrf_token)) {
                return deny(api, StatusCode::FORBIDDEN, &caller, "error-csrf");
            }
        }
    }

    // Rotation after a privilege change: same session, new secret and CSRF token.
    if let Some(s) = caller.session.as_mut()
        && s.rotate
        && let Ok((secret, csrf)) = store.rotate_session(s.id).await
    {
        s.csrf_token = csrf;
        s.rotate = false;
        set_cookie = Some(session_cookie(config.secure_cookies, &secret));
    }

    req.extensions_mut().insert(caller);
    let mut res = next.run(req).await;
    if let Some(c) = set_cookie
        && !res.headers().contains_key(header::SET_COOKIE)
    {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// The first value of a field in an urlencoded form body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (urldecode(k) == name).then(|| urldecode(v))
    })
}

fn urldecode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a path for a query parameter.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Security headers for every response. The CSP allows no inline script; the API browser
/// (Swagger UI) alone gets inline styles, which it needs.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let docs = req.uri().path() == "/api/docs";
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let csp = if docs {
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    } else {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    };
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config().secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_and_encoding() {
        assert_eq!(
            form_field(b"a=1&_csrf=x%2By+z&b=2", "_csrf").as_deref(),
            Some("x+y z")
        );
        assert_eq!(form_field(b"a=1", "_csrf"), None);
        assert_eq!(form_field(b"_csrf=%", "_csrf").as_deref(), Some("%"));
        assert_eq!(
            form_field(b"n=%E5%B7%A5%E5%A0%B4", "n").as_deref(),
            Some("工場")
        );
        assert_eq!(urlencode("/o/a b?x"), "/o/a%20b%3Fx");
        assert!(
            constant_time_eq("abc", "abc")
                && !constant_time_eq("abc", "abd")
                && !constant_time_eq("a", "ab")
        );
    }

    #[test]
    fn origin_checks() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("plant.local:8080"));
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://plant.local:8080"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&h));
        h.remove(header::ORIGIN);
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&h));
    }
}
