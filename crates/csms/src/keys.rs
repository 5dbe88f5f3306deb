//! The trail key: loaded from a file (or `CSMS_TRAIL_KEY`), created only for a database that
//! has no trail yet.

use std::io::Write;

use anyhow::{Context, bail};
use csms_domain::trail::TrailKey;
use csms_store::Store;

use crate::config::Settings;

/// Whether a command may create a missing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPolicy {
    CreateIfMissing,
    MustExist,
}

fn read_key(settings: &Settings) -> anyhow::Result<Option<TrailKey>> {
    if let Ok(hex) = std::env::var("CSMS_TRAIL_KEY") {
        return TrailKey::from_hex(&hex)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("CSMS_TRAIL_KEY is not usable: {e}"));
    }
    let path = &settings.trail_key_file;
    match std::fs::read_to_string(path) {
        Ok(text) => TrailKey::from_hex(&text).map(Some).map_err(|e| {
            anyhow::anyhow!(
                "the trail key file {} is not usable: {e}; restore it from your backup",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => {
            Err(e).with_context(|| format!("cannot read the trail key file {}", path.display()))
        }
    }
}

fn write_new_key(settings: &Settings) -> anyhow::Result<TrailKey> {
    let key = TrailKey::from_bytes(csms_store::auth::random_bytes::<32>());
    let path = &settings.trail_key_file;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create the trail key file {}", path.display()))?;
    writeln!(file, "{}", key.to_hex())?;
    file.sync_all()?;
    tracing::info!(path = %path.display(), "created a new trail key; back it up with the database");
    Ok(key)
}

/// Opens the store (applying migrations) with the configured trail key.
pub async fn open_store(settings: &Settings, policy: KeyPolicy) -> anyhow::Result<Store> {
    let options = settings.store_options();
    let key = match read_key(settings)? {
        Some(k) => k,
        None => {
            // A database that already has a trail must never get a fresh key: its records
            // would all fail verification. Look before creating one.
            let probe = Store::connect(&options, TrailKey::from_bytes([0; 32]))
                .await
                .map_err(|e| db_error(settings, e))?;
            let has_trail = probe.has_trail().await.map_err(|e| db_error(settings, e))?;
            probe.close().await;
            if has_trail || policy == KeyPolicy::MustExist {
                bail!(
                    "the trail key file {} is missing{}; copy the trail.key of this installation there, or set --trail-key-file / CSMS_TRAIL_KEY",
                    settings.trail_key_file.display(),
                    if has_trail {
                        " but the database already has a trail"
                    } else {
                        ""
                    }
                );
            }
            write_new_key(settings)?
        }
    };
    Store::open(&options, key)
        .await
        .map_err(|e| db_error(settings, e))
}

/// Words a store error for the command line, naming the database.
pub fn db_error(settings: &Settings, e: csms_store::StoreError) -> anyhow::Error {
    match e {
        csms_store::StoreError::Database(sqlx::Error::Io(_))
        | csms_store::StoreError::Database(sqlx::Error::PoolTimedOut) => anyhow::anyhow!(
            "cannot reach the database {}: {e}; check that it is running and the URL is right",
            settings.database_display()
        ),
        other => anyhow::Error::new(other),
    }
}
