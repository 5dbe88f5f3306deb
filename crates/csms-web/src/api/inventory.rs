//! `/api/v1` for the inventory area: handlers, their OpenAPI fragment ([`InventoryApi`]) and routes.

use utoipa::OpenApi;

use crate::routes::Route;

/// The OpenAPI paths and schemas of this area, merged into the API document.
#[derive(OpenApi)]
#[openapi()]
pub struct InventoryApi;

/// The routes of this area's API.
pub(crate) fn routes() -> Vec<Route> {
    vec![]
}
