//! Zone views: what a zone page needs beyond the inventory rows (its 62443-3-3 assessment).

use crate::Store;

impl Store {}
