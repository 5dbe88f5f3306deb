//! `/api/v1` for the risk area: handlers, their OpenAPI fragment ([`RiskApi`]) and routes.

use utoipa::OpenApi;

use crate::routes::Route;

/// The OpenAPI paths and schemas of this area, merged into the API document.
#[derive(OpenApi)]
#[openapi()]
pub struct RiskApi;

/// The routes of this area's API.
pub(crate) fn routes() -> Vec<Route> {
    vec![]
}
