//! (Being built for issue 6.)

use crate::backup::Table;

/// The tables of this area a backup carries, parents before children.
pub(crate) const BACKUP_TABLES: &[Table] = &[];
