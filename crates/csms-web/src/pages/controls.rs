//! (Being built for issue 6.)

use crate::routes::Route;

/// Message keys this module builds at run time (checked to exist in both languages).
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const DYNAMIC_KEYS: &[&str] = &[];

pub(crate) fn routes() -> Vec<Route> {
    Vec::new()
}
