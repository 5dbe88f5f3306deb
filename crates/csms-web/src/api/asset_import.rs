//! `/api/v1` for importing and exporting assets: handlers, their OpenAPI fragment
//! ([`AssetImportApi`]) and routes.

use utoipa::OpenApi;

use crate::routes::Route;

/// The OpenAPI paths and schemas of this area, merged into the API document.
#[derive(OpenApi)]
#[openapi()]
pub struct AssetImportApi;

/// The routes of this area's API.
pub(crate) fn routes() -> Vec<Route> {
    vec![]
}
