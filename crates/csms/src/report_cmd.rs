//! `csms report …`: the server's reports written as files (the same builders as the
//! downloads), for a scheduled job or a machine without a browser.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use csms_web::export::{Format, Report, write_report};
use csms_web::i18n::Lang;
use uuid::Uuid;

use crate::config::Settings;
use crate::keys::{KeyPolicy, open_store};

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The Statement of Applicability (適用宣言書), XLSX or PDF.
    Soa {
        #[command(flatten)]
        common: Common,
        /// The approved version's number; default: the latest approved (else the draft).
        #[arg(long = "number", value_name = "N")]
        number: Option<i64>,
        #[arg(long, value_enum, default_value_t = FileFormat::Xlsx)]
        format: FileFormat,
    },
    /// The risk register with its heat maps, XLSX or PDF.
    Risks {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum, default_value_t = FileFormat::Xlsx)]
        format: FileFormat,
    },
    /// A conformance assessment, XLSX or PDF.
    Assessment {
        #[command(flatten)]
        common: Common,
        /// The assessment's id; default: the latest approved (else the latest).
        #[arg(long, value_name = "UUID")]
        id: Option<Uuid>,
        #[arg(long, value_enum, default_value_t = FileFormat::Xlsx)]
        format: FileFormat,
    },
    /// The scope of the CSMS (sites, systems, zones with SL-T) as PDF.
    Scope {
        #[command(flatten)]
        common: Common,
    },
    /// The certification pack (ZIP): SoA, scope, risk register, latest assessment, policies
    /// and procedures, evidence index with SHA-256, trail extract, manifest and SHA256SUMS.
    Pack {
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, Args)]
pub struct Common {
    /// The organization (its slug).
    #[arg(long, value_name = "SLUG")]
    org: String,
    /// The report's language.
    #[arg(long, value_enum, default_value_t = Language::Ja)]
    lang: Language,
    /// Where to write: a file, or a directory for the report's usual name
    /// (e.g. `kawasaki-plant-soa-2026-11-26-ja.xlsx`).
    #[arg(long, short, value_name = "PATH", default_value = ".")]
    output: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FileFormat {
    Xlsx,
    Pdf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Language {
    Ja,
    En,
}

pub async fn run(settings: &Settings, cmd: ReportCommand) -> anyhow::Result<()> {
    let fmt = |f: FileFormat| match f {
        FileFormat::Xlsx => Format::Xlsx,
        FileFormat::Pdf => Format::Pdf,
    };
    let (common, report, format) = match cmd {
        ReportCommand::Soa {
            common,
            number,
            format,
        } => (common, Report::Soa { version: number }, fmt(format)),
        ReportCommand::Risks { common, format } => (common, Report::Risks, fmt(format)),
        ReportCommand::Assessment { common, id, format } => {
            (common, Report::Assessment { id }, fmt(format))
        }
        ReportCommand::Scope { common } => (common, Report::Scope, Format::Pdf),
        ReportCommand::Pack { common } => (common, Report::Pack, Format::Zip),
    };
    let lang = match common.lang {
        Language::Ja => Lang::Ja,
        Language::En => Lang::En,
    };
    let store = open_store(settings, KeyPolicy::MustExist).await?;
    let state = csms_web::AppState::new(store.clone(), settings.web.clone());
    let result = write_report(&state, &common.org, report, format, lang, &common.output).await;
    store.close().await;
    let w = result.map_err(anyhow::Error::msg)?;
    println!(
        "wrote {} ({} bytes, SHA-256 {})",
        w.path.display(),
        w.size,
        w.sha256
    );
    Ok(())
}
