//! Configuration: command-line flags over environment variables (`CSMS_*`) over an optional
//! TOML file over built-in defaults.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use csms_store::SqliteDurability;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable lines for a terminal.
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Options every command accepts.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Directory holding the SQLite database, the trail key and (later) attachments.
    /// [default: ./data]
    #[arg(long, env = "CSMS_DATA_DIR", global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Database to use: sqlite://PATH or postgres://USER:PASSWORD@HOST/DB.
    /// [default: sqlite://<data-dir>/csms.db]
    #[arg(
        long,
        env = "CSMS_DATABASE_URL",
        global = true,
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// TOML configuration file. [default: <data-dir>/csms.toml if it exists]
    #[arg(long, env = "CSMS_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// File holding the trail's HMAC key (64 hexadecimal digits). Every instance sharing a
    /// database needs the same key. [default: <data-dir>/trail.key]
    #[arg(long, env = "CSMS_TRAIL_KEY_FILE", global = true, value_name = "FILE")]
    pub trail_key_file: Option<PathBuf>,

    /// Log format. [default: human]
    #[arg(long, env = "CSMS_LOG_FORMAT", global = true, value_enum)]
    pub log_format: Option<LogFormat>,

    /// Log filter, e.g. info, debug, csms_store=debug. [default: info]
    #[arg(long, env = "CSMS_LOG", global = true, value_name = "FILTER")]
    pub log_level: Option<String>,
}

/// The optional TOML file. Every key is optional; unknown keys are an error (typos).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub trail_key_file: Option<PathBuf>,
    pub log_format: Option<LogFormat>,
    pub log_level: Option<String>,
    pub listen: Option<String>,
    pub sqlite_durability: Option<SqliteDurability>,
    pub max_connections: Option<u32>,
    pub secure_cookies: Option<bool>,
    pub trust_proxy: Option<bool>,
    pub session_idle_minutes: Option<u32>,
    pub session_absolute_hours: Option<u32>,
    pub attachments: Option<AttachmentsFile>,
}

/// `[attachments]` in the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentsFile {
    /// Directory of the local store. [default: <data-dir>/attachments]
    pub dir: Option<PathBuf>,
    /// Largest file accepted, in bytes. [default: 104857600 (100 MB)]
    pub max_bytes: Option<u64>,
    /// `[attachments.s3]`: keep attachments in an S3-compatible bucket instead.
    pub s3: Option<csms_store::blob::S3Config>,
}

/// Where attachments are kept (resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentSettings {
    /// The local store's directory (unused when `s3` is set).
    pub dir: PathBuf,
    pub max_bytes: u64,
    pub s3: Option<csms_store::blob::S3Config>,
}

impl AttachmentSettings {
    /// Resolves `[attachments]` and the `CSMS_ATTACHMENTS_*` / `CSMS_S3_*` variables (read
    /// through `env`); the variables win.
    pub fn resolve(
        file: Option<AttachmentsFile>,
        data_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<AttachmentSettings> {
        let file = file.unwrap_or_default();
        let dir = env("CSMS_ATTACHMENTS_DIR")
            .map(PathBuf::from)
            .or(file.dir)
            .unwrap_or_else(|| data_dir.join("attachments"));
        let max_bytes = match env("CSMS_ATTACHMENTS_MAX_BYTES") {
            Some(v) => v.trim().parse::<u64>().map_err(|_| {
                anyhow::anyhow!(
                    "CSMS_ATTACHMENTS_MAX_BYTES is '{v}'; give the largest attachment in bytes, e.g. 104857600 for 100 MB"
                )
            })?,
            None => file
                .max_bytes
                .unwrap_or(csms_store::blob::DEFAULT_MAX_BYTES),
        };
        if max_bytes == 0 {
            bail!("the attachment size limit is 0; set attachments.max_bytes to 1 or more");
        }
        let mut s3 = file.s3;
        if let Some(bucket) = env("CSMS_S3_BUCKET") {
            let c = s3.get_or_insert_with(Default::default);
            c.bucket = bucket;
        }
        if let Some(c) = s3.as_mut() {
            for (var, field) in [
                ("CSMS_S3_ENDPOINT", &mut c.endpoint),
                ("CSMS_S3_REGION", &mut c.region),
                ("CSMS_S3_ACCESS_KEY_ID", &mut c.access_key_id),
                ("CSMS_S3_SECRET_ACCESS_KEY", &mut c.secret_access_key),
                ("CSMS_S3_PREFIX", &mut c.prefix),
            ] {
                if let Some(v) = env(var) {
                    *field = v;
                }
            }
            if let Some(v) = env("CSMS_S3_ALLOW_HTTP") {
                c.allow_http = matches!(v.trim(), "1" | "true" | "yes");
            }
            if c.bucket.trim().is_empty() {
                bail!(
                    "[attachments.s3] has no bucket; set attachments.s3.bucket or CSMS_S3_BUCKET, or remove the section to keep attachments in the data directory"
                );
            }
            if c.endpoint.starts_with("http://") && !c.allow_http {
                bail!(
                    "the S3 endpoint {} is plain HTTP; set attachments.s3.allow_http = true (or CSMS_S3_ALLOW_HTTP=1) to allow it on a closed network",
                    c.endpoint
                );
            }
        }
        Ok(AttachmentSettings { dir, max_bytes, s3 })
    }

    /// The attachment store these settings name.
    pub fn blob_store(&self) -> anyhow::Result<csms_store::blob::BlobStore> {
        Ok(match &self.s3 {
            Some(cfg) => csms_store::blob::BlobStore::new(
                std::sync::Arc::new(csms_store::blob::ObjectBlobs::s3(cfg)?),
                self.max_bytes,
            ),
            None => csms_store::blob::BlobStore::local(&self.dir, self.max_bytes),
        })
    }

    /// Where attachments are, for messages.
    pub fn display(&self) -> String {
        match &self.s3 {
            Some(c) => format!("s3://{}/{}", c.bucket, c.prefix.trim_matches('/')),
            None => self.dir.display().to_string(),
        }
    }
}

/// The attachment store of the settings resolved first in this process (the demo content
/// writes its files there).
static ATTACHMENTS: std::sync::OnceLock<csms_store::blob::BlobStore> = std::sync::OnceLock::new();

/// The attachment store of this process's settings (a local store under `./data` if none were
/// resolved).
pub fn attachments() -> csms_store::blob::BlobStore {
    ATTACHMENTS
        .get_or_init(|| {
            csms_store::blob::BlobStore::local(
                Path::new("data").join("attachments"),
                csms_store::blob::DEFAULT_MAX_BYTES,
            )
        })
        .clone()
}

/// The effective settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub trail_key_file: PathBuf,
    pub log_format: LogFormat,
    pub log_level: String,
    pub listen: Option<String>,
    pub sqlite_durability: SqliteDurability,
    pub max_connections: u32,
    pub web: csms_web::WebConfig,
    pub attachments: AttachmentSettings,
}

impl Settings {
    pub fn resolve(args: &GlobalArgs) -> anyhow::Result<Settings> {
        let default_dir = PathBuf::from("data");
        let probe_dir = args.data_dir.clone().unwrap_or_else(|| default_dir.clone());
        let file = match &args.config {
            Some(path) => Some(read_config(path)?),
            None => {
                let path = probe_dir.join("csms.toml");
                if path.exists() {
                    Some(read_config(&path)?)
                } else {
                    None
                }
            }
        }
        .unwrap_or_default();
        let data_dir = args
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or(default_dir);
        let database_url = args
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("csms.db").display()));
        let trail_key_file = args
            .trail_key_file
            .clone()
            .or(file.trail_key_file)
            .unwrap_or_else(|| data_dir.join("trail.key"));
        let max_connections = file.max_connections.unwrap_or(8);
        if max_connections == 0 {
            bail!("max_connections is 0 in the configuration file; set it to 1 or more");
        }
        let defaults = csms_web::WebConfig::default();
        let idle = file
            .session_idle_minutes
            .map_or(defaults.session_idle, |m| {
                time::Duration::minutes(i64::from(m.max(1)))
            });
        let absolute = file
            .session_absolute_hours
            .map_or(defaults.session_absolute, |h| {
                time::Duration::hours(i64::from(h.max(1)))
            });
        let attachments = AttachmentSettings::resolve(file.attachments, &data_dir, &|k| {
            std::env::var(k).ok().filter(|v| !v.is_empty())
        })?;
        let blobs = attachments.blob_store()?;
        let _ = ATTACHMENTS.set(blobs.clone());
        let web = csms_web::WebConfig {
            secure_cookies: file.secure_cookies.unwrap_or(defaults.secure_cookies),
            trust_proxy: file.trust_proxy.unwrap_or(defaults.trust_proxy),
            session_idle: idle,
            session_absolute: absolute,
            attachments: blobs,
        };
        Ok(Settings {
            web,
            attachments,
            data_dir,
            database_url,
            trail_key_file,
            log_format: args
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Human),
            log_level: args
                .log_level
                .clone()
                .or(file.log_level)
                .unwrap_or_else(|| "info".into()),
            listen: file.listen,
            sqlite_durability: file.sqlite_durability.unwrap_or_default(),
            max_connections,
        })
    }

    pub fn store_options(&self) -> csms_store::StoreOptions {
        let mut o = csms_store::StoreOptions::new(self.database_url.clone());
        o.max_connections = self.max_connections;
        o.sqlite_durability = self.sqlite_durability;
        o
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://")
    }

    /// The database location with any password removed, for messages and logs.
    pub fn database_display(&self) -> String {
        redact_url(&self.database_url)
    }
}

fn read_config(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the configuration file {}; check the path given with --config or CSMS_CONFIG",
            path.display()
        )
    })?;
    toml::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "the configuration file {} is not valid: {}; see README.md, Configuration",
            path.display(),
            e.to_string().replace('\n', " ").trim()
        )
    })
}

/// Removes the password from `scheme://user:password@host/...`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> GlobalArgs {
        GlobalArgs {
            data_dir: None,
            database_url: None,
            config: None,
            trail_key_file: None,
            log_format: None,
            log_level: None,
        }
    }

    #[test]
    fn attachments_default_to_the_data_dir_and_take_s3_from_the_environment() {
        let none = |_: &str| None;
        let a = AttachmentSettings::resolve(None, Path::new("/d"), &none).unwrap();
        assert_eq!(a.dir, PathBuf::from("/d/attachments"));
        assert_eq!(a.max_bytes, 100 * 1024 * 1024);
        assert_eq!(a.s3, None);
        let file: FileConfig =
            toml::from_str("[attachments]\nmax_bytes = 1000\n[attachments.s3]\nbucket = \"b\"\n")
                .unwrap();
        let env = |k: &str| match k {
            "CSMS_S3_ENDPOINT" => Some("http://127.0.0.1:9000".to_owned()),
            "CSMS_S3_ALLOW_HTTP" => Some("1".to_owned()),
            "CSMS_ATTACHMENTS_MAX_BYTES" => Some("2048".to_owned()),
            _ => None,
        };
        let a = AttachmentSettings::resolve(file.attachments, Path::new("/d"), &env).unwrap();
        assert_eq!(a.max_bytes, 2048);
        let s3 = a.s3.clone().unwrap();
        assert_eq!(s3.bucket, "b");
        assert_eq!(s3.endpoint, "http://127.0.0.1:9000");
        assert!(s3.allow_http);
        assert_eq!(a.display(), "s3://b/");
        // Plain HTTP must be allowed explicitly; a zero limit is refused.
        let file: FileConfig =
            toml::from_str("[attachments.s3]\nbucket = \"b\"\nendpoint = \"http://minio:9000\"\n")
                .unwrap();
        let e = AttachmentSettings::resolve(file.attachments, Path::new("/d"), &none).unwrap_err();
        assert!(e.to_string().contains("allow_http"), "{e}");
        let file: FileConfig = toml::from_str("[attachments]\nmax_bytes = 0\n").unwrap();
        assert!(AttachmentSettings::resolve(file.attachments, Path::new("/d"), &none).is_err());
    }

    #[test]
    fn defaults_follow_the_data_dir() {
        let mut a = args();
        a.data_dir = Some("/nonexistent/x".into());
        let s = Settings::resolve(&a).unwrap();
        assert_eq!(s.database_url, "sqlite:///nonexistent/x/csms.db");
        assert_eq!(s.trail_key_file, PathBuf::from("/nonexistent/x/trail.key"));
        assert_eq!(s.log_format, LogFormat::Human);
    }

    #[test]
    fn flags_override_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "database_url = \"postgres://u:secret@h/db\"\nlog_format = \"json\"\nlisten = \"0.0.0.0:9000\"\n",
        )
        .unwrap();
        let mut a = args();
        a.config = Some(path.clone());
        let s = Settings::resolve(&a).unwrap();
        assert_eq!(s.database_url, "postgres://u:secret@h/db");
        assert_eq!(s.database_display(), "postgres://u:***@h/db");
        assert_eq!(s.log_format, LogFormat::Json);
        assert_eq!(s.listen.as_deref(), Some("0.0.0.0:9000"));
        a.database_url = Some("sqlite://x.db".into());
        a.log_format = Some(LogFormat::Human);
        let s = Settings::resolve(&a).unwrap();
        assert_eq!(s.database_url, "sqlite://x.db");
        assert_eq!(s.log_format, LogFormat::Human);
    }

    #[test]
    fn unknown_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "databse_url = \"x\"\n").unwrap();
        let mut a = args();
        a.config = Some(path);
        let e = Settings::resolve(&a).unwrap_err().to_string();
        assert!(e.contains("databse_url"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }
}
