//! Pages for importing and exporting the asset inventory (routes declared in [`routes`]).

use crate::routes::Route;

/// Message keys this module builds at run time (checked by the i18n test).
#[cfg(test)]
pub(crate) const DYNAMIC_KEYS: &[&str] = &[];

/// The routes of this area's pages.
pub(crate) fn routes() -> Vec<Route> {
    vec![]
}
