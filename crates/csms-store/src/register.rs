//! The risk register in the database (risks and their zones and assets).

use crate::Store;

impl Store {}
