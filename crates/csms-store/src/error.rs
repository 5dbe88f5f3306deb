//! Storage errors: each says what went wrong and how to fix it.

use csms_domain::org::FieldError;
use csms_domain::trail::TrailBreak;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{kind} {id} was changed by someone else (you edited version {expected}, it is now at version {current}); reload it and apply your change again"
    )]
    Conflict {
        kind: &'static str,
        id: String,
        expected: i64,
        current: i64,
    },
    /// The record is approved or otherwise closed to changes.
    #[error("{0}")]
    Locked(String),
    #[error("{kind} '{id}' does not exist")]
    NotFound { kind: &'static str, id: String },
    #[error("{kind} '{value}' already exists; choose another {field}")]
    Duplicate {
        kind: &'static str,
        field: &'static str,
        value: String,
    },
    #[error("invalid {0}")]
    Invalid(#[from] FieldError),
    #[error(
        "the database has schema version {database} but this csms knows only up to {binary}; it was written by a newer OpenCSMS: run that version or newer"
    )]
    SchemaTooNew { database: i64, binary: i64 },
    #[error(
        "the database schema is at version {database} but this csms needs {binary}; run `csms migrate`"
    )]
    SchemaBehind { database: i64, binary: i64 },
    #[error("trail does not verify: {0}")]
    Trail(#[from] TrailBreak),
    #[error("{0}")]
    Backup(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Maps a unique-constraint violation to [`StoreError::Duplicate`].
    pub(crate) fn unique(
        e: sqlx::Error,
        kind: &'static str,
        field: &'static str,
        value: &str,
    ) -> StoreError {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate {
                kind,
                field,
                value: value.to_owned(),
            },
            _ => StoreError::Database(e),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
