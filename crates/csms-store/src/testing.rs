//! Throwaway databases for tests, on both backends (used by this and other crates' tests).
//!
//! PostgreSQL comes from `CSMS_TEST_POSTGRES_URL` (an administrative connection; `scripts/test`
//! sets it, starting a throwaway cluster if needed). Each test gets a database of its own.

use csms_domain::trail::TrailKey;
use sqlx::Connection;

use crate::{Backend, Store, StoreOptions};

/// A fresh, migrated database that is removed when dropped.
pub struct TestDb {
    pub store: Store,
    /// The URL the store was opened with (for raw connections that tamper with it).
    pub url: String,
    pub backend: Backend,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

/// The trail key every test database uses.
pub fn test_key() -> TrailKey {
    TrailKey::from_bytes([0x5a; 32])
}

/// The administrative PostgreSQL URL; panics with instructions when it is not set.
pub fn postgres_admin_url() -> String {
    std::env::var("CSMS_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "PostgreSQL is required for this test: set CSMS_TEST_POSTGRES_URL=postgres://USER@HOST:PORT/postgres, \
             or run scripts/test, which starts a throwaway cluster"
        )
    })
}

/// Creates an empty PostgreSQL database and returns its name and URL.
pub async fn create_postgres_database() -> (String, String) {
    let admin = postgres_admin_url();
    let name = format!("csms_test_{}", uuid_simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to CSMS_TEST_POSTGRES_URL: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create the test database");
    let _ = conn.close().await;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    (name.clone(), format!("{base}/{name}"))
}

fn uuid_simple() -> String {
    csms_domain::new_id().simple().to_string()
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb::sqlite().await,
            Backend::Postgres => TestDb::postgres().await,
        }
    }

    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("csms.db").display());
        let store = Store::open(&StoreOptions::new(url.clone()), test_key())
            .await
            .expect("open the SQLite test database");
        TestDb {
            store,
            url,
            backend: Backend::Sqlite,
            pg_name: None,
            _dir: Some(dir),
        }
    }

    pub async fn postgres() -> TestDb {
        let (name, url) = create_postgres_database().await;
        let store = Store::open(&StoreOptions::new(url.clone()), test_key())
            .await
            .expect("open the PostgreSQL test database");
        TestDb {
            store,
            url,
            backend: Backend::Postgres,
            pg_name: Some(name),
            _dir: None,
        }
    }

    /// Another store on the same database: a second application instance.
    pub async fn second_instance(&self) -> Store {
        Store::open(&StoreOptions::new(self.url.clone()), test_key())
            .await
            .expect("open a second instance")
    }

    /// Runs raw SQL outside the store, as someone with direct database access would.
    pub async fn raw(&self, sql: &str) {
        if let Err(e) = self.try_raw(sql).await {
            panic!("{sql}: {e}");
        }
    }

    /// Like [`TestDb::raw`], returning the database's refusal instead of panicking.
    pub async fn try_raw(&self, sql: &str) -> Result<(), String> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        let r = match self.backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .map_err(|e| e.to_string())?;
                let r = sqlx::raw_sql(sql).execute(&mut c).await.map(|_| ());
                let _ = c.close().await;
                r
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url)
                    .await
                    .map_err(|e| e.to_string())?;
                let r = sqlx::raw_sql(sql).execute(&mut c).await.map(|_| ());
                let _ = c.close().await;
                r
            }
        };
        r.map_err(|e| e.to_string())
    }

    /// Closes the store and drops the PostgreSQL database.
    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some(name) = &self.pg_name
            && let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await;
            let _ = conn.close().await;
        }
    }
}

/// Runs each named `async fn name(db: &TestDb)` of an integration test file twice, as
/// `sqlite::name` and `postgres::name` (CI counts both; see `scripts/test`).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = csms_store::testing::TestDb::new(csms_store::Backend::Sqlite).await;
                    super::$name(&db).await;
                    db.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = csms_store::testing::TestDb::new(csms_store::Backend::Postgres).await;
                    super::$name(&db).await;
                    db.cleanup().await;
                }
            )*
        }
    };
}
