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
        let web = csms_web::WebConfig {
            secure_cookies: file.secure_cookies.unwrap_or(defaults.secure_cookies),
            trust_proxy: file.trust_proxy.unwrap_or(defaults.trust_proxy),
            session_idle: idle,
            session_absolute: absolute,
        };
        Ok(Settings {
            web,
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
