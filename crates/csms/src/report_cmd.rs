//! `csms report …` (being built for issue 6).

use clap::Subcommand;

use crate::config::Settings;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Write the Statement of Applicability.
    Soa,
}

pub async fn run(_settings: &Settings, _cmd: ReportCommand) -> anyhow::Result<()> {
    anyhow::bail!("reports are being built (issue 6)")
}
