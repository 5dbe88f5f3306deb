//! `csms evidence …` (being built for issue 6).

use clap::Subcommand;

use crate::config::Settings;

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Recompute the SHA-256 of every stored attachment and report any that differ.
    Verify,
}

pub async fn run(_settings: &Settings, _cmd: EvidenceCommand) -> anyhow::Result<()> {
    anyhow::bail!("evidence verification is being built (issue 6)")
}
