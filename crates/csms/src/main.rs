//! `csms`: the one OpenCSMS binary.

mod commands;
mod config;
mod demo;
mod demo_plant;
mod keys;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{GlobalArgs, LogFormat, Settings};

/// OpenCSMS: a Cyber Security Management System for industrial automation and control
/// systems, after IEC 62443-2-1 and the JIPDEC CSMS certification criteria.
///
/// Data lives in a SQLite file under the data directory by default, or in PostgreSQL when
/// --database-url postgres://... is given. Every change is recorded in a tamper-evident trail.
#[derive(Debug, Parser)]
#[command(name = "csms", version, propagate_version = true, max_term_width = 100)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the data directory, database, first organization and an admin user.
    Init(commands::InitArgs),
    /// Run the HTTP server.
    Serve(commands::ServeArgs),
    /// Apply pending database migrations.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(commands::UserCommand),
    /// Manage organizations.
    #[command(subcommand)]
    Org(commands::OrgCommand),
    /// Manage API tokens for scripts.
    #[command(subcommand)]
    Token(commands::TokenCommand),
    /// Requirement catalogs: list the shipped ones, check a catalog file.
    #[command(subcommand)]
    Catalog(commands::CatalogCommand),
    /// Check the tamper-evident trail.
    #[command(subcommand)]
    Trail(commands::TrailCommand),
    /// Import and export the asset inventory (CSV, XLSX).
    #[command(subcommand)]
    Assets(commands::AssetsCommand),
    /// Write a consistent backup of the whole database to FILE while the server runs.
    Backup(commands::BackupArgs),
    /// Restore a backup into a new, empty database (SQLite or PostgreSQL).
    Restore(commands::RestoreArgs),
    /// Add the demo organization (a fictional Japanese chemical plant) with sample content.
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::resolve(&cli.global) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    init_logging(&settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&anyhow::anyhow!("cannot start the async runtime: {e}")),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Init(a) => commands::init(&settings, a).await,
            Command::Serve(a) => commands::serve(&settings, a).await,
            Command::Migrate => commands::migrate(&settings).await,
            Command::User(c) => commands::user(&settings, c).await,
            Command::Org(c) => commands::org(&settings, c).await,
            Command::Token(c) => commands::token(&settings, c).await,
            Command::Trail(c) => commands::trail(&settings, c).await,
            Command::Assets(c) => commands::assets(&settings, c).await,
            Command::Catalog(c) => commands::catalog(c),
            Command::Backup(a) => commands::backup(&settings, a).await,
            Command::Restore(a) => commands::restore(&settings, a).await,
            Command::Demo => commands::demo(&settings).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// Prints an error as one line (what, why, how to fix) and returns exit code 1.
fn fail(e: &anyhow::Error) -> ExitCode {
    let text = format!("{e:#}").replace('\n', " ");
    eprintln!("error: {text}");
    ExitCode::from(1)
}

fn init_logging(s: &Settings) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&s.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match s.log_format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Human => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }
}
