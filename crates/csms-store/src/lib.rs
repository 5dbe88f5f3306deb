//! OpenCSMS storage: repositories over SQLite (the default, one file) and PostgreSQL (for
//! several stateless application instances on one database).
//!
//! Every mutation runs in one transaction that also appends its trail record, so a change
//! and its record of change are committed together or not at all.

mod db;
mod error;

pub mod assessment;
pub mod auth;
pub mod backup;
pub mod blob;
pub mod control;
pub mod document;
pub mod inventory;
pub mod org;
pub mod register;
pub mod risk;
pub mod session;
pub mod soa;
pub mod trail;
pub mod zone;

#[doc(hidden)]
pub mod testing;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use csms_domain::trail::TrailKey;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use db::Backend;
use db::{Db, Tx, read};
pub use error::{Result, StoreError};

/// The SQLite writer's page cache (negative: KiB), allocated as used. SQLite's default of
/// 2 MiB makes a large transaction (an import of 100,000 assets touches seven indexes)
/// spill pages to the WAL and read them back: measured 11 s against 7.8 s with 64 MiB.
const WRITER_CACHE_KIB: &str = "-65536";

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static PG_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// How SQLite commits reach the disk (WAL mode in both cases; the database is never corrupted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteDurability {
    /// Every commit is flushed to disk (fsync of the WAL) before it is acknowledged: nothing
    /// acknowledged is lost even on power loss. About 40 % slower per write.
    Full,
    /// Commits survive a crash or kill of the process; after a power loss or OS crash the
    /// last commits before the most recent checkpoint may be rolled back. SQLite's usual
    /// setting for WAL mode.
    #[default]
    Normal,
}

impl FromStr for SqliteDurability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "full" => Ok(Self::Full),
            "normal" => Ok(Self::Normal),
            other => Err(format!(
                "unknown SQLite durability '{other}'; use full or normal"
            )),
        }
    }
}

/// Connection settings.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `sqlite://PATH` (or a bare file path) or `postgres://...`.
    pub database_url: String,
    /// Maximum connections in the pool (PostgreSQL) or reader pool (SQLite).
    pub max_connections: u32,
    pub sqlite_durability: SqliteDurability,
}

impl StoreOptions {
    pub fn new(database_url: impl Into<String>) -> Self {
        StoreOptions {
            database_url: database_url.into(),
            max_connections: 8,
            sqlite_durability: SqliteDurability::default(),
        }
    }
}

/// The repository interface: one value shared by every request and command.
#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
    key: TrailKey,
}

/// Schema state of a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaStatus {
    /// Highest migration applied to the database (0 for an empty database).
    pub database: i64,
    /// Highest migration this build knows.
    pub binary: i64,
}

impl Store {
    /// Connects without touching the schema. Creates the SQLite file (and its directory) if
    /// missing.
    pub async fn connect(opts: &StoreOptions, key: TrailKey) -> Result<Store> {
        let url = opts.database_url.as_str();
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let connect = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(connect)
                .await?;
            Db::Postgres(pool)
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            if let Some(dir) = Path::new(path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Backup(format!(
                        "cannot create the database directory {}: {e}",
                        dir.display()
                    ))
                })?;
            }
            let base = SqliteConnectOptions::new()
                .filename(path)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .synchronous(match opts.sqlite_durability {
                    SqliteDurability::Full => SqliteSynchronous::Full,
                    SqliteDurability::Normal => SqliteSynchronous::Normal,
                })
                .pragma("temp_store", "memory");
            // A local file does not drop connections: skip the ping sqlx otherwise sends
            // before handing out each connection (one round trip per transaction saved).
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(
                    base.clone()
                        .create_if_missing(true)
                        .pragma("cache_size", WRITER_CACHE_KIB),
                )
                .await?;
            let reader = SqlitePoolOptions::new()
                .max_connections(opts.max_connections.max(2))
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(base)
                .await?;
            Db::Sqlite { writer, reader }
        };
        Ok(Store { db, key })
    }

    /// Connects, refuses a database written by a newer version, and applies pending
    /// migrations.
    pub async fn open(opts: &StoreOptions, key: TrailKey) -> Result<Store> {
        let store = Store::connect(opts, key).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    pub fn trail_key(&self) -> &TrailKey {
        &self.key
    }

    fn migrator(&self) -> &'static Migrator {
        match self.db {
            Db::Sqlite { .. } => &SQLITE_MIGRATIONS,
            Db::Postgres(_) => &PG_MIGRATIONS,
        }
    }

    /// Highest migration version this build carries.
    pub fn binary_schema_version() -> i64 {
        let sqlite = SQLITE_MIGRATIONS.iter().map(|m| m.version).max();
        let pg = PG_MIGRATIONS.iter().map(|m| m.version).max();
        debug_assert_eq!(sqlite, pg, "both backends carry the same migrations");
        sqlite.unwrap_or(0)
    }

    /// The schema version of the database and of this build.
    pub async fn schema_status(&self) -> Result<SchemaStatus> {
        let exists: bool = match &self.db {
            Db::Sqlite { reader, .. } => sqlx::query_scalar(
                "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            )
            .fetch_one(reader)
            .await?,
            Db::Postgres(pool) => {
                sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                    .fetch_one(pool)
                    .await?
            }
        };
        let database = if exists {
            read!(self, p => sqlx::query_scalar::<_, Option<i64>>(
                "SELECT MAX(version) FROM _sqlx_migrations WHERE success"
            )
            .fetch_one(p)
            .await?)
            .unwrap_or(0)
        } else {
            0
        };
        Ok(SchemaStatus {
            database,
            binary: Store::binary_schema_version(),
        })
    }

    /// Refuses a database whose schema is newer than this build.
    pub async fn check_not_newer(&self) -> Result<SchemaStatus> {
        let s = self.schema_status().await?;
        if s.database > s.binary {
            return Err(StoreError::SchemaTooNew {
                database: s.database,
                binary: s.binary,
            });
        }
        Ok(s)
    }

    /// Refuses to run on a database that is newer or older than this build.
    pub async fn check_current(&self) -> Result<SchemaStatus> {
        let s = self.check_not_newer().await?;
        if s.database < s.binary {
            return Err(StoreError::SchemaBehind {
                database: s.database,
                binary: s.binary,
            });
        }
        Ok(s)
    }

    /// Applies pending migrations; returns the versions applied now.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        let before = self.check_not_newer().await?;
        match &self.db {
            Db::Sqlite { writer, .. } => self.migrator().run(writer).await?,
            Db::Postgres(pool) => self.migrator().run(pool).await?,
        }
        Ok(self
            .migrator()
            .iter()
            .map(|m| m.version)
            .filter(|v| *v > before.database)
            .collect())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        read!(self, p => sqlx::query("SELECT 1").execute(p).await?.rows_affected());
        Ok(())
    }

    /// Starts a write transaction. On SQLite, `BEGIN IMMEDIATE` on the one writer connection
    /// takes the write lock at once, so a second process (a CLI command next to the server)
    /// waits for it instead of failing halfway.
    pub(crate) async fn begin(&self) -> Result<Tx> {
        Ok(match &self.db {
            Db::Sqlite { writer, .. } => Tx::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Pg(pool.begin().await?),
        })
    }

    /// Starts a read-only transaction that sees one consistent snapshot.
    pub(crate) async fn begin_snapshot(&self) -> Result<Tx> {
        Ok(match &self.db {
            Db::Sqlite { reader, .. } => Tx::Sqlite(reader.begin().await?),
            Db::Postgres(pool) => Tx::Pg(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        })
    }

    /// Closes every connection (checkpointing SQLite's WAL).
    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}
