//! (Being built for issue 6.)

use utoipa::OpenApi;

use crate::routes::Route;

/// The OpenAPI paths and schemas of this area, merged into the API document.
#[derive(OpenApi)]
pub struct SoaApi;

pub(crate) fn routes() -> Vec<Route> {
    Vec::new()
}
