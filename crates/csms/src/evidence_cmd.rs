//! `csms evidence …`: checks of the stored attachments (document files).

use clap::Subcommand;
use csms_store::blob::BlobCheck;

use crate::config::Settings;
use crate::keys::{KeyPolicy, open_store};

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Recompute the SHA-256 of every stored attachment and report any that differ.
    ///
    /// Each attachment the database names is read from the attachment store (streamed) and
    /// hashed: it is ok, missing, or tampered (its bytes hash to something else). Exits with
    /// status 1 if any is missing or tampered.
    Verify {
        /// Only the attachments of this organization's documents.
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
    },
}

pub async fn run(settings: &Settings, cmd: EvidenceCommand) -> anyhow::Result<()> {
    match cmd {
        EvidenceCommand::Verify { org } => verify(settings, org.as_deref()).await,
    }
}

async fn verify(settings: &Settings, org: Option<&str>) -> anyhow::Result<()> {
    let store = open_store(settings, KeyPolicy::MustExist).await?;
    let org_id = match org {
        Some(slug) => Some(
            store
                .organization_by_slug(slug)
                .await
                .map_err(|_| {
                    anyhow::anyhow!("no organization '{slug}'; list them with `csms org list`")
                })?
                .id,
        ),
        None => None,
    };
    let blobs = &settings.web.attachments;
    let records = store.blob_records(org_id).await?;
    store.close().await;
    let (mut ok, mut missing, mut tampered) = (0u64, 0u64, 0u64);
    for r in &records {
        let used = if r.used_by.is_empty() {
            "no document version".to_owned()
        } else {
            r.used_by.join(", ")
        };
        match blobs.check(&r.sha256).await? {
            BlobCheck::Ok => ok += 1,
            BlobCheck::Missing => {
                missing += 1;
                println!(
                    "MISSING   {} ({used}): not in {}",
                    r.sha256,
                    blobs.describe()
                );
            }
            BlobCheck::Tampered { actual, size } => {
                tampered += 1;
                println!(
                    "TAMPERED  {} ({used}): the stored bytes ({size}, recorded {}) hash to {actual}",
                    r.sha256, r.size
                );
            }
        }
    }
    println!(
        "{} attachments checked in {}: {ok} ok, {missing} missing, {tampered} tampered.",
        records.len(),
        blobs.describe()
    );
    if missing + tampered > 0 {
        println!(
            "Restore the files named above from a backup (`csms restore` or the store's own copies)."
        );
        std::process::exit(1);
    }
    Ok(())
}
