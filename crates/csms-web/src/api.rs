//! `/api/v1`: the JSON API for scripts, authenticated with API tokens.

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::get;
use axum::{Json, Router};
use csms_domain::auth::{ApiToken, Role, User};
use csms_domain::org::{Organization, OrganizationPatch};
use csms_domain::trail::Actor;
use serde::Deserialize;

use crate::{AppState, Problem};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route(
        "/organization",
        get(get_organization).patch(patch_organization),
    )
}

/// The caller of an API request: a token, its organization and role, and its user.
pub struct ApiCaller {
    pub token: ApiToken,
    pub user: User,
}

impl ApiCaller {
    fn actor(&self) -> Actor {
        Actor::user(self.user.id, &self.user.username)
    }

    fn require(&self, allowed: &[Role]) -> Result<(), Problem> {
        if allowed.contains(&self.token.role) {
            Ok(())
        } else {
            let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
            Err(Problem::forbidden(&names.join(" or ")))
        }
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let secret = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(Problem::unauthorized)?;
        match state.store().authenticate_token(secret.trim()).await? {
            Some((token, user)) => Ok(ApiCaller { token, user }),
            None => Err(Problem::unauthorized()),
        }
    }
}

async fn get_organization(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Organization>, Problem> {
    Ok(Json(state.store().organization(caller.token.org_id).await?))
}

/// A change to the organization's profile, naming the version it was based on.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganizationUpdate {
    version: i64,
    name: Option<String>,
    description: Option<String>,
    timezone: Option<String>,
}

async fn patch_organization(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: Result<Json<OrganizationUpdate>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Organization>, Problem> {
    caller.require(&[Role::Admin])?;
    let Json(body) = body.map_err(|e| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Malformed request",
            format!(
                "{}; send JSON like {{\"version\": 3, \"name\": \"...\"}}",
                e.body_text()
            ),
        )
    })?;
    let org = state
        .store()
        .update_organization(
            &caller.actor(),
            caller.token.org_id,
            body.version,
            OrganizationPatch {
                name: body.name,
                description: body.description,
                timezone: body.timezone,
            },
        )
        .await?;
    Ok(Json(org))
}
