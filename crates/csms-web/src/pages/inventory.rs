//! Pages of the inventory area (routes declared in [`routes`]).

use crate::routes::Route;

/// The routes of this area's pages.
pub(crate) fn routes() -> Vec<Route> {
    vec![]
}
