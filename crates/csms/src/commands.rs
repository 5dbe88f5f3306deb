//! The commands. Each prints its result on stdout; errors go up to `main` as one line.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use csms_domain::auth::Role;
use csms_domain::trail::Actor;
use csms_store::Store;
use csms_store::auth::{NewUser, generate_password};
use csms_store::org::NewOrganization;

use crate::config::Settings;
use crate::keys::{KeyPolicy, db_error, open_store};

/// Who is acting when a change comes from the command line.
fn cli_actor() -> Actor {
    let who = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    Actor::system(format!("cli:{who}"))
}

/// A password from stdin (first line), from an environment variable, or generated.
/// Returns the password and whether it was generated (then it is one-time).
fn obtain_password(from_stdin: bool, env_var: &str) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        let pw = line.trim_end_matches(['\r', '\n']).to_owned();
        if pw.is_empty() {
            bail!(
                "no password on standard input; pipe it in, e.g. `printf '%s\\n' \"$PW\" | csms ...`"
            );
        }
        return Ok((pw, false));
    }
    if let Ok(pw) = std::env::var(env_var) {
        return Ok((pw, false));
    }
    Ok((generate_password(), true))
}

async fn org_by_slug(store: &Store, slug: &str) -> anyhow::Result<csms_domain::org::Organization> {
    store.organization_by_slug(slug).await.map_err(|_| {
        anyhow::anyhow!(
            "organization '{slug}' does not exist; `csms org list` shows the organizations"
        )
    })
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Short name of the first organization, used in URLs and commands.
    #[arg(long, default_value = "main")]
    org_slug: String,
    /// Display name of the first organization.
    #[arg(long, default_value = "My organization")]
    org_name: String,
    /// User name of the first administrator.
    #[arg(long, default_value = "admin")]
    admin: String,
    /// Display name of the first administrator.
    #[arg(long, default_value = "Administrator")]
    admin_name: String,
    /// Read the administrator's password from the first line of standard input. Otherwise
    /// CSMS_ADMIN_PASSWORD is used, or a one-time password is generated and printed.
    #[arg(long)]
    password_stdin: bool,
}

pub async fn init(settings: &Settings, a: InitArgs) -> anyhow::Result<()> {
    if !settings.is_postgres() {
        std::fs::create_dir_all(&settings.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                settings.data_dir.display()
            )
        })?;
    }
    let store = open_store(settings, KeyPolicy::CreateIfMissing).await?;
    let existing = store.organizations().await?;
    if !existing.is_empty() {
        bail!(
            "the database {} is already initialized ({} organization(s)); add users with `csms user add` or start it with `csms serve`",
            settings.database_display(),
            existing.len()
        );
    }
    let (password, generated) = obtain_password(a.password_stdin, "CSMS_ADMIN_PASSWORD")?;
    let actor = cli_actor();
    let org = store
        .create_organization(
            &actor,
            NewOrganization {
                slug: a.org_slug,
                name: a.org_name,
                description: String::new(),
                timezone: "Asia/Tokyo".into(),
            },
        )
        .await?;
    let user = store
        .create_user(
            &actor,
            NewUser {
                username: a.admin,
                display_name: a.admin_name,
                email: None,
                password: password.clone(),
                must_change_password: generated,
            },
        )
        .await?;
    store
        .set_membership(&actor, org.id, user.id, Role::Admin)
        .await?;
    store.close().await;
    println!("OpenCSMS is initialized.");
    println!("  database:      {}", settings.database_display());
    println!("  organization:  {} ({})", org.slug, org.name);
    println!("  administrator: {}", user.username);
    if generated {
        println!("  one-time password: {password}");
        println!("    (shown only now; it must be changed at the first sign-in)");
    }
    println!("  trail key:     {}", settings.trail_key_file.display());
    println!(
        "    (back this file up apart from the database: without it the trail cannot be verified)"
    );
    println!("Start the server with: csms serve");
    Ok(())
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on. [default: 127.0.0.1:8080]
    #[arg(long, env = "CSMS_LISTEN", value_name = "ADDR")]
    listen: Option<String>,
    /// Add the demo organization first if it is not there (see `csms demo`).
    #[arg(long)]
    demo: bool,
}

pub async fn serve(settings: &Settings, a: ServeArgs) -> anyhow::Result<()> {
    let store = open_store(settings, KeyPolicy::CreateIfMissing).await?;
    if a.demo {
        crate::demo::ensure(&store, &cli_actor()).await?;
    }
    let listen = a
        .listen
        .or_else(|| settings.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {listen}; choose another address with --listen or CSMS_LISTEN"
            )
        })?;
    let status = store.schema_status().await?;
    tracing::info!(
        address = %listener.local_addr()?,
        database = %settings.database_display(),
        schema_version = status.database,
        attachments = %settings.attachments.display(),
        max_attachment_bytes = settings.attachments.max_bytes,
        "OpenCSMS is listening"
    );
    println!("OpenCSMS is listening on http://{}", listener.local_addr()?);
    let state = csms_web::AppState::new(store.clone(), settings.web.clone());
    csms_web::serve(listener, state, shutdown_signal())
        .await
        .context("the HTTP server stopped")?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let store = Store::connect(
        &settings.store_options(),
        csms_domain::trail::TrailKey::from_bytes([0; 32]),
    )
    .await
    .map_err(|e| db_error(settings, e))?;
    let applied = store.migrate().await.map_err(|e| db_error(settings, e))?;
    let status = store.schema_status().await?;
    store.close().await;
    if applied.is_empty() {
        println!(
            "The database is up to date (schema version {}).",
            status.database
        );
    } else {
        let list: Vec<String> = applied.iter().map(i64::to_string).collect();
        println!(
            "Applied migration(s) {}; the schema is at version {}.",
            list.join(", "),
            status.database
        );
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user and give them a role in an organization.
    Add {
        /// Login name: lowercase letters, digits, '.', '_' or '-'.
        username: String,
        /// The name shown in the UI and in the trail.
        #[arg(long)]
        display_name: String,
        #[arg(long)]
        email: Option<String>,
        /// The organization the user joins.
        #[arg(long, value_name = "SLUG")]
        org: String,
        /// Role in that organization: admin, csms_manager, contributor, auditor or viewer.
        #[arg(long)]
        role: Role,
        /// Read the password from standard input; otherwise CSMS_PASSWORD, or a one-time
        /// password is generated and printed.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (their sessions end).
    Passwd {
        username: String,
        /// Read the password from standard input; otherwise CSMS_PASSWORD, or a one-time
        /// password is generated and printed.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users, with their memberships.
    List {
        /// Only members of this organization.
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
    },
    /// Disable a user: no sign-in, no API tokens; their sessions end.
    Disable { username: String },
    /// Enable a disabled user again.
    Enable { username: String },
}

pub async fn user(settings: &Settings, c: UserCommand) -> anyhow::Result<()> {
    let store = open_store(settings, KeyPolicy::MustExist).await?;
    let actor = cli_actor();
    match c {
        UserCommand::Add {
            username,
            display_name,
            email,
            org,
            role,
            password_stdin,
        } => {
            let org = org_by_slug(&store, &org).await?;
            let (password, generated) = obtain_password(password_stdin, "CSMS_PASSWORD")?;
            let user = store
                .create_user(
                    &actor,
                    NewUser {
                        username,
                        display_name,
                        email,
                        password: password.clone(),
                        must_change_password: generated,
                    },
                )
                .await?;
            store.set_membership(&actor, org.id, user.id, role).await?;
            println!("Created user {} ({role} in {}).", user.username, org.slug);
            if generated {
                println!(
                    "One-time password: {password}  (shown only now; it must be changed at the first sign-in)"
                );
            }
        }
        UserCommand::Passwd {
            username,
            password_stdin,
        } => {
            let (password, generated) = obtain_password(password_stdin, "CSMS_PASSWORD")?;
            store
                .set_password(&actor, &username, password.clone(), generated)
                .await?;
            println!("Password of {username} changed; their sessions have ended.");
            if generated {
                println!(
                    "One-time password: {password}  (shown only now; it must be changed at the first sign-in)"
                );
            }
        }
        UserCommand::List { org } => {
            let orgs = store.organizations().await?;
            let filter = match &org {
                Some(slug) => Some(org_by_slug(&store, slug).await?.id),
                None => None,
            };
            println!("{:<24} {:<28} {:<9} MEMBERSHIPS", "USER", "NAME", "STATE");
            for u in store.users().await? {
                let memberships = store.memberships_of(u.id).await?;
                if let Some(id) = filter
                    && !memberships.iter().any(|m| m.org_id == id)
                {
                    continue;
                }
                let list: Vec<String> = memberships
                    .iter()
                    .map(|m| {
                        let slug = orgs
                            .iter()
                            .find(|o| o.id == m.org_id)
                            .map_or("?", |o| o.slug.as_str());
                        format!("{slug}:{}", m.role)
                    })
                    .collect();
                let state = if u.disabled_at.is_some() {
                    "disabled"
                } else {
                    "active"
                };
                println!(
                    "{:<24} {:<28} {:<9} {}",
                    u.username,
                    u.display_name,
                    state,
                    list.join(" ")
                );
            }
        }
        UserCommand::Disable { username } => {
            store.disable_user(&actor, &username).await?;
            println!(
                "User {username} is disabled; their sessions have ended and their API tokens no longer work."
            );
        }
        UserCommand::Enable { username } => {
            store.enable_user(&actor, &username).await?;
            println!("User {username} is enabled.");
        }
    }
    store.close().await;
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// List organizations.
    List,
    /// Create an organization.
    Add {
        /// Short name: lowercase letters, digits and hyphens.
        slug: String,
        /// Display name.
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        /// IANA time zone for dates.
        #[arg(long, default_value = "Asia/Tokyo")]
        timezone: String,
    },
}

pub async fn org(settings: &Settings, c: OrgCommand) -> anyhow::Result<()> {
    let store = open_store(settings, KeyPolicy::MustExist).await?;
    match c {
        OrgCommand::List => {
            println!("{:<24} {:<8} NAME", "SLUG", "VERSION");
            for o in store.organizations().await? {
                println!("{:<24} {:<8} {}", o.slug, o.version, o.name);
            }
        }
        OrgCommand::Add {
            slug,
            name,
            description,
            timezone,
        } => {
            let o = store
                .create_organization(
                    &cli_actor(),
                    NewOrganization {
                        slug,
                        name,
                        description,
                        timezone,
                    },
                )
                .await?;
            println!("Created organization {} ({}).", o.slug, o.name);
        }
    }
    store.close().await;
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a member; the token is printed once.
    Create {
        #[arg(long, value_name = "SLUG")]
        org: String,
        /// The member the token acts as.
        #[arg(long, value_name = "USERNAME")]
        user: String,
        /// The member's own role, or viewer for a read-only token.
        #[arg(long)]
        role: Role,
        /// What the token is for.
        #[arg(long)]
        name: String,
        /// Days until the token expires (1-3650).
        #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u16).range(1..=3650))]
        expires_in_days: u16,
    },
    /// List an organization's tokens.
    List {
        #[arg(long, value_name = "SLUG")]
        org: String,
    },
    /// Revoke a token.
    Revoke {
        #[arg(long, value_name = "SLUG")]
        org: String,
        /// The token's id, as `csms token list` shows it.
        id: csms_domain::Uuid,
    },
}

pub async fn token(settings: &Settings, c: TokenCommand) -> anyhow::Result<()> {
    let store = open_store(settings, KeyPolicy::MustExist).await?;
    let actor = cli_actor();
    match c {
        TokenCommand::Create {
            org,
            user,
            role,
            name,
            expires_in_days,
        } => {
            let org = org_by_slug(&store, &org).await?;
            let user = store.user_by_username(&user).await?;
            let expires =
                csms_domain::time::now() + time::Duration::days(i64::from(expires_in_days));
            let issued = store
                .create_api_token(&actor, org.id, user.id, &name, role, expires)
                .await?;
            println!("{}", issued.secret);
            if std::io::stdout().is_terminal() {
                eprintln!(
                    "API token {} for {} ({role} in {}), expires {}. Shown only now: store it safely.",
                    issued.token.id,
                    user.username,
                    org.slug,
                    csms_domain::time::format_canonical(issued.token.expires_at)
                );
            }
        }
        TokenCommand::List { org } => {
            let org = org_by_slug(&store, &org).await?;
            println!(
                "{:<36} {:<24} {:<13} {:<8} LAST USED",
                "ID", "NAME", "ROLE", "STATE"
            );
            let now = csms_domain::time::now();
            for t in store.api_tokens(org.id).await? {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else if !t.is_usable(now) {
                    "expired"
                } else {
                    "active"
                };
                let last = t
                    .last_used_at
                    .map_or_else(|| "never".to_owned(), csms_domain::time::format_canonical);
                println!(
                    "{:<36} {:<24} {:<13} {:<8} {last}",
                    t.id,
                    t.name,
                    t.role.as_str(),
                    state
                );
            }
        }
        TokenCommand::Revoke { org, id } => {
            let org = org_by_slug(&store, &org).await?;
            store.revoke_api_token(&actor, org.id, id).await?;
            println!("Token {id} is revoked.");
        }
    }
    store.close().await;
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum TrailCommand {
    /// Walk every chain and check every record's HMAC and link; name the first broken record.
    Verify,
}

pub async fn trail(settings: &Settings, c: TrailCommand) -> anyhow::Result<()> {
    match c {
        TrailCommand::Verify => {
            let store = open_store(settings, KeyPolicy::MustExist).await?;
            let started = std::time::Instant::now();
            let report = store.verify_trail().await.map_err(|e| {
                anyhow::anyhow!("{e}; restore the database from a backup taken before the change and investigate who had write access to it")
            })?;
            store.close().await;
            println!(
                "Trail verified: {} chain(s), {} record(s), all intact ({} ms).",
                report.chains,
                report.records,
                started.elapsed().as_millis()
            );
            Ok(())
        }
    }
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the backup.
    file: PathBuf,
    /// Replace FILE if it exists.
    #[arg(long)]
    force: bool,
}

pub async fn backup(settings: &Settings, a: BackupArgs) -> anyhow::Result<()> {
    if a.file.exists() && !a.force {
        bail!(
            "{} exists; choose another file or pass --force to replace it",
            a.file.display()
        );
    }
    let store = open_store(settings, KeyPolicy::MustExist).await?;
    let partial = a.file.with_extension("partial");
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let summary = match store
        .backup_with(&file, Some(&settings.web.attachments))
        .await
    {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e.into());
        }
    };
    file.sync_all()?;
    std::fs::rename(&partial, &a.file)
        .with_context(|| format!("cannot move the backup to {}", a.file.display()))?;
    store.close().await;
    let total: i64 = summary.rows.values().sum();
    println!(
        "Backup written to {} (schema version {}, {total} rows).",
        a.file.display(),
        summary.schema_version
    );
    for (table, n) in &summary.rows {
        println!("  {table:<16} {n}");
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file written by `csms backup`.
    file: PathBuf,
}

pub async fn restore(settings: &Settings, a: RestoreArgs) -> anyhow::Result<()> {
    let file = std::fs::File::open(&a.file)
        .with_context(|| format!("cannot open the backup {}", a.file.display()))?;
    let store = open_store(settings, KeyPolicy::MustExist).await?;
    let summary = store
        .restore_with(
            std::io::BufReader::new(file),
            Some(&settings.web.attachments),
        )
        .await?;
    store.close().await;
    let total: i64 = summary.rows.values().sum();
    println!(
        "Restored {} into {} ({total} rows); the trail verifies.",
        a.file.display(),
        settings.database_display()
    );
    for (table, n) in &summary.rows {
        println!("  {table:<16} {n}");
    }
    Ok(())
}

pub async fn demo(settings: &Settings) -> anyhow::Result<()> {
    let store = open_store(settings, KeyPolicy::CreateIfMissing).await?;
    crate::demo::ensure(&store, &cli_actor()).await?;
    store.close().await;
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// List the catalogs that ship with OpenCSMS.
    List,
    /// Print the JSON Schema of the catalog format (for editors and other tools).
    Schema,
    /// Check catalog files: OpenCSMS catalogs and mapping sets (see
    /// crates/csms-catalog/FORMAT.md) and CISO Assistant libraries. Every problem is printed as
    /// FILE:LINE: what is wrong. A mapping set is checked against the shipped catalogs and the
    /// frameworks in the files listed before it.
    Check {
        /// Catalog files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

pub fn catalog(c: CatalogCommand) -> anyhow::Result<()> {
    match c {
        CatalogCommand::List => {
            let catalogs = csms_catalog::shipped()
                .map_err(|e| anyhow::anyhow!("a shipped catalog is broken: {}", e[0]))?;
            println!(
                "{:<24} {:<8} {:>6} {:>10}  NAME",
                "ID", "EDITION", "NODES", "ASSESSABLE"
            );
            for c in catalogs {
                println!(
                    "{:<24} {:<8} {:>6} {:>10}  {} / {}",
                    c.framework.id,
                    c.framework.edition,
                    c.nodes.len(),
                    c.assessable().count(),
                    c.framework.name.ja,
                    c.framework.name.en
                );
            }
            let mappings = csms_catalog::shipped_mappings()
                .map_err(|e| anyhow::anyhow!("a shipped mapping set is broken: {}", e[0]))?;
            println!();
            println!(
                "{:<52} {:<11} {:>7}  FROM -> TO",
                "MAPPING", "PROVENANCE", "ENTRIES"
            );
            for m in mappings {
                println!(
                    "{:<52} {:<11} {:>7}  {} -> {}",
                    m.id,
                    m.provenance.as_str(),
                    m.entries.len(),
                    m.source_framework,
                    m.target_framework
                );
            }
            Ok(())
        }
        CatalogCommand::Schema => {
            print!("{}", csms_catalog::json_schema());
            Ok(())
        }
        CatalogCommand::Check { files } => {
            let mut known = csms_catalog::shipped()
                .map_err(|e| anyhow::anyhow!("a shipped catalog is broken: {}", e[0]))?;
            let mut failed = 0;
            for file in &files {
                let name = file.display().to_string();
                let text = match std::fs::read(file) {
                    Ok(bytes) => match String::from_utf8(bytes) {
                        Ok(t) => t,
                        Err(e) => {
                            eprintln!(
                                "{name}: not UTF-8 text (byte {}); save the file as UTF-8",
                                e.utf8_error().valid_up_to()
                            );
                            failed += 1;
                            continue;
                        }
                    },
                    Err(e) => {
                        eprintln!("{name}: cannot read it: {e}");
                        failed += 1;
                        continue;
                    }
                };
                let refs: Vec<&csms_catalog::Catalog> = known.iter().collect();
                match csms_catalog::check_file(&name, &text, &refs) {
                    Ok(lib) => {
                        for c in &lib.frameworks {
                            println!(
                                "{name}: OK, framework {} ({} nodes, {} assessable)",
                                c.framework.id,
                                c.nodes.len(),
                                c.assessable().count()
                            );
                        }
                        for m in &lib.mappings {
                            println!(
                                "{name}: OK, mapping set {} ({} relations, {} -> {})",
                                m.id,
                                m.entries.len(),
                                m.source_framework,
                                m.target_framework
                            );
                        }
                        known.extend(lib.frameworks);
                    }
                    Err(diagnostics) => {
                        failed += 1;
                        for d in diagnostics {
                            eprintln!("{d}");
                        }
                    }
                }
            }
            if failed > 0 {
                bail!(
                    "{failed} of {} catalog file(s) have problems (listed above)",
                    files.len()
                );
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------
// Assets: import and export

#[derive(Debug, Subcommand)]
pub enum AssetsCommand {
    /// Import assets from a CSV or XLSX file: all of them, or none when any row has an error
    /// (the errors are listed with their row and column). The file layout is described in
    /// the import page and `csms_report::inventory`.
    Import {
        /// The CSV (UTF-8) or XLSX file.
        file: PathBuf,
        #[arg(long, value_name = "SLUG")]
        org: String,
        /// Check the file and show what would be imported, without storing anything.
        #[arg(long)]
        dry_run: bool,
        /// Where the asset tag comes from: `column` (the asset_tag column) or `ip` (the first
        /// IP address of the row, for device lists without asset ids).
        #[arg(long, value_name = "column|ip", default_value = "column")]
        tag_from: String,
        /// Keep columns that are not part of the layout as custom fields (named by their
        /// header) instead of refusing the file.
        #[arg(long)]
        keep_other_columns: bool,
        /// The largest file accepted, in MB.
        #[arg(long, value_name = "MB", default_value_t = 200)]
        max_mb: u64,
    },
    /// Export every asset of an organization in the import layout.
    Export {
        #[arg(long, value_name = "SLUG")]
        org: String,
        #[arg(long, value_name = "csv|xlsx", default_value = "csv")]
        format: String,
        /// Header language: en or ja.
        #[arg(long, default_value = "en")]
        lang: String,
        /// Where to write the file.
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
}

/// A progress display on stderr: a bar redrawn in place on a terminal, otherwise a plain line
/// every tenth of the way.
struct ProgressLine {
    what: &'static str,
    total: u64,
    tty: bool,
    shown: u64,
    last_draw: std::time::Instant,
}

impl ProgressLine {
    fn new(what: &'static str, total: u64) -> Self {
        ProgressLine {
            what,
            total: total.max(1),
            tty: std::io::stderr().is_terminal(),
            shown: u64::MAX,
            last_draw: std::time::Instant::now(),
        }
    }

    fn update(&mut self, done: u64, detail: &str) {
        let pct = (done.min(self.total) * 100 / self.total).min(100);
        if self.tty {
            if self.shown == pct && self.last_draw.elapsed().as_millis() < 200 && pct < 100 {
                return;
            }
            let filled = (pct / 4) as usize;
            eprint!(
                "\r{:<8} [{}{}] {pct:>3}%  {detail}\x1b[K",
                self.what,
                "#".repeat(filled),
                ".".repeat(25 - filled)
            );
            self.last_draw = std::time::Instant::now();
        } else if self.shown == u64::MAX || pct / 10 > self.shown / 10 {
            eprintln!("{}: {pct}% {detail}", self.what);
        } else {
            return;
        }
        self.shown = pct;
    }

    fn done(&mut self, detail: &str) {
        self.update(self.total, detail);
        if self.tty {
            eprintln!();
        }
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

fn lookups_of(
    names: &csms_store::inventory::InventoryNames,
) -> csms_report::inventory::Lookups<'_> {
    let map = |v: &[(uuid::Uuid, String)]| v.iter().map(|(id, n)| (n.clone(), *id)).collect();
    csms_report::inventory::Lookups {
        systems: map(&names.systems),
        zones: map(&names.zones),
        members: map(&names.members),
        tag_taken: None,
    }
}

pub async fn assets(settings: &Settings, c: AssetsCommand) -> anyhow::Result<()> {
    use csms_report::inventory::{self as inv, ImportOptions, TagFrom};
    match c {
        AssetsCommand::Import {
            file,
            org,
            dry_run,
            tag_from,
            keep_other_columns,
            max_mb,
        } => {
            let tag_from =
                TagFrom::parse(&tag_from).map_err(|e| anyhow::anyhow!("{}", e.message))?;
            let size = std::fs::metadata(&file)
                .with_context(|| format!("cannot read {}", file.display()))?
                .len();
            let options = ImportOptions {
                tag_from,
                keep_other_columns,
                max_bytes: max_mb.saturating_mul(1024 * 1024),
            };
            let store = open_store(settings, KeyPolicy::MustExist).await?;
            let o = org_by_slug(&store, &org).await?;
            let names = store.inventory_names(o.id).await?;
            let mut lookups = lookups_of(&names);
            let taken = |t: &str| names.tags.contains(t);
            lookups.tag_taken = Some(&taken);
            let mut bar = ProgressLine::new("reading", size);
            let started = std::time::Instant::now();
            let mut head = [0u8; 4];
            let n = std::io::Read::read(
                &mut std::fs::File::open(&file)
                    .with_context(|| format!("cannot open {}", file.display()))?,
                &mut head,
            )?;
            // The file's SHA-256 names exactly which file was checked and imported.
            let file_sha256;
            let checked = if inv::is_xlsx(&head[..n]) {
                let bytes = std::fs::read(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                file_sha256 = csms_domain::inventory::file_sha256(&bytes);
                inv::check_xlsx(&bytes, &options, &lookups)
            } else {
                let f = std::fs::File::open(&file)
                    .with_context(|| format!("cannot open {}", file.display()))?;
                let mut f = csms_domain::inventory::Sha256Reader::new(std::io::BufReader::new(f));
                let mut report = |bytes: u64, rows: u64| {
                    bar.update(
                        bytes,
                        &format!("{} of {}, {rows} rows", megabytes(bytes), megabytes(size)),
                    );
                };
                let checked = inv::check_csv(&mut f, &options, &lookups, Some(&mut report));
                // A good file was read to its end (a refused one is not imported).
                if checked.is_ok() {
                    std::io::copy(&mut f, &mut std::io::sink())
                        .with_context(|| format!("cannot read {}", file.display()))?;
                }
                file_sha256 = f.hex();
                checked
            };
            bar.done(&format!("{} rows checked", checked.row_count));
            if !checked.is_ok() {
                println!("ROW     COLUMN                 VALUE                          PROBLEM");
                for p in &checked.errors {
                    let row = if p.row == 0 {
                        "-".to_owned()
                    } else {
                        p.row.to_string()
                    };
                    println!("{row:<7} {:<22} {:<30} {}", p.column, p.value, p.message);
                }
                if checked.more_errors > 0 {
                    println!("… and {} more errors", checked.more_errors);
                }
                store.close().await;
                bail!(
                    "{}: {} error(s); nothing was imported. Correct the file and import it again",
                    file.display(),
                    checked.error_count()
                );
            }
            for w in &checked.warnings {
                eprintln!("note: {w}");
            }
            let by_type: Vec<String> = checked
                .by_type
                .iter()
                .map(|(t, n)| format!("{t} {n}"))
                .collect();
            if dry_run {
                println!(
                    "{}: {} assets ready to import ({}); nothing stored (--dry-run). File SHA-256 {file_sha256}.",
                    file.display(),
                    checked.assets.len(),
                    by_type.join(", ")
                );
                store.close().await;
                return Ok(());
            }
            let total = checked.assets.len();
            let mut bar = ProgressLine::new("storing", total as u64);
            let mut report =
                |done: usize| bar.update(done as u64, &format!("{done} of {total} assets"));
            let summary = store
                .import_assets_with_progress(
                    &cli_actor(),
                    o.id,
                    checked.assets,
                    Some(&file_sha256),
                    &mut report,
                )
                .await?;
            bar.done(&format!("{total} assets"));
            store.close().await;
            println!(
                "Imported {} assets into {} in {:.1} s ({}); trail record asset_import {}; file SHA-256 {}.",
                summary.count,
                o.slug,
                started.elapsed().as_secs_f64(),
                by_type.join(", "),
                summary.id,
                file_sha256
            );
        }
        AssetsCommand::Export {
            org,
            format,
            lang,
            output,
            force,
        } => {
            if output.exists() && !force {
                bail!(
                    "{} exists; choose another file or pass --force to replace it",
                    output.display()
                );
            }
            let format = format.to_ascii_lowercase();
            if format != "csv" && format != "xlsx" {
                bail!("--format {format} is not known; use csv or xlsx");
            }
            let store = open_store(settings, KeyPolicy::MustExist).await?;
            let o = org_by_slug(&store, &org).await?;
            let all = all_assets(&store, o.id).await?;
            let names = store.inventory_names(o.id).await?;
            let map = |v: &[(uuid::Uuid, String)]| v.iter().cloned().collect();
            let names = inv::Names {
                owners: map(&names.members),
                systems: map(&names.systems),
                zones: map(&names.zones),
            };
            store.close().await;
            let bytes = if format == "csv" {
                inv::inventory_csv(&lang, &all, &names).into_bytes()
            } else {
                inv::inventory_xlsx(&lang, &all, &names)?
            };
            std::fs::write(&output, bytes)
                .with_context(|| format!("cannot write {}", output.display()))?;
            println!("Exported {} assets to {}.", all.len(), output.display());
        }
    }
    Ok(())
}

/// Every asset of the organization, in tag order, read a page at a time.
async fn all_assets(
    store: &Store,
    org_id: uuid::Uuid,
) -> anyhow::Result<Vec<csms_domain::inventory::Asset>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .assets(
                org_id,
                &csms_store::inventory::AssetFilter {
                    limit: 1_000,
                    after: after.take(),
                    ..Default::default()
                },
            )
            .await?;
        out.extend(page.assets);
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}
