//! Reports as files, for the command line (`csms report …`): the same builders as the pages'
//! downloads, so a report written by the CLI is byte-for-byte what the server would send for
//! the same data, language and day.

use std::io::Write;
use std::path::{Path, PathBuf};

use csms_domain::Uuid;
use csms_domain::org::Organization;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::i18n::{Lang, Tr};
use crate::pages::reports::{self, Failure};
use crate::pages::risk::RegisterQuery;

/// Which report to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// The Statement of Applicability: a version by number, else the latest approved one
    /// (else the draft, marked as such).
    Soa { version: Option<i64> },
    /// The whole risk register.
    Risks,
    /// A conformance assessment: by id, else the latest (approved first).
    Assessment { id: Option<Uuid> },
    /// The scope of the CSMS (PDF only).
    Scope,
    /// The certification pack (ZIP only).
    Pack,
}

/// The file format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Pdf,
    Zip,
}

impl Format {
    fn ext(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Pdf => "pdf",
            Format::Zip => "zip",
        }
    }
}

/// A report written to disk.
#[derive(Debug)]
pub struct Written {
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
}

/// Writes `report` of the organization `org_slug` in `format` and `lang` to `out` (a file,
/// or a directory to put the report's usual file name in). The file appears complete or not
/// at all: it is written beside its place and renamed.
pub async fn write_report(
    state: &AppState,
    org_slug: &str,
    report: Report,
    format: Format,
    lang: Lang,
    out: &Path,
) -> Result<Written, String> {
    let org = state
        .store()
        .organization_by_slug(org_slug)
        .await
        .map_err(|_| format!("no organization '{org_slug}'; list them with `csms org list`"))?;
    let tr = Tr::new(lang, Some(&org.timezone));
    let (bytes, what) = build(state, &org, &tr, report, format)
        .await
        .map_err(explain)?;
    let path = if out.is_dir() {
        out.join(reports::file_name(&org, &tr, what, format.ext()))
    } else {
        out.to_path_buf()
    };
    let size = bytes.len() as u64;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)
        .map_err(|e| format!("cannot write into {}: {e}", dir.display()))?;
    tmp.write_all(&bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    tmp.persist(&path)
        .map_err(|e| format!("cannot write {}: {}", path.display(), e.error))?;
    Ok(Written { path, size, sha256 })
}

async fn build(
    state: &AppState,
    org: &Organization,
    tr: &Tr,
    report: Report,
    format: Format,
) -> Result<(Vec<u8>, &'static str), Failure> {
    let wrong = |what: &str, formats: &str| {
        Failure::Missing(format!(
            "the {what} is written as {formats}, not {}",
            format.ext().to_uppercase()
        ))
    };
    match (report, format) {
        (Report::Soa { version }, Format::Xlsx | Format::Pdf) => {
            let id = soa_version(state, org, version).await?;
            let bytes = if format == Format::Pdf {
                reports::soa_pdf(state, org, tr, id).await?
            } else {
                let r = crate::pages::soa::soa_report(state, org, id, tr).await?;
                blocking(move || csms_report::soa::soa_xlsx(&r)).await?
            };
            Ok((bytes, "soa"))
        }
        (Report::Soa { .. }, _) => Err(wrong("Statement of Applicability", "XLSX or PDF")),
        (Report::Risks, Format::Pdf) => Ok((
            reports::risks_pdf(state, org, tr, &RegisterQuery::default()).await?,
            "risks",
        )),
        (Report::Risks, Format::Xlsx) => {
            let (sheet, _) =
                reports::register_parts(state, org, tr, &RegisterQuery::default()).await?;
            let lang = tr.lang.code();
            let bytes = blocking(move || csms_report::register::workbook(&[sheet], lang)).await?;
            Ok((bytes, "risks"))
        }
        (Report::Risks, Format::Zip) => Err(wrong("risk register", "XLSX or PDF")),
        (Report::Assessment { id }, Format::Xlsx | Format::Pdf) => {
            let id = match id {
                Some(id) => id,
                None => {
                    reports::latest_assessment(state, org)
                        .await?
                        .ok_or_else(|| {
                            Failure::Missing(format!("{} has no conformance assessment", org.slug))
                        })?
                        .0
                }
            };
            let bytes = if format == Format::Pdf {
                reports::assessment_pdf(state, org, tr, id).await?
            } else {
                let (export, _, _) = reports::assessment_export(state, org, tr, id).await?;
                blocking(move || csms_report::assessment::assessment_xlsx(&export)).await?
            };
            Ok((bytes, "assessment"))
        }
        (Report::Assessment { .. }, Format::Zip) => {
            Err(wrong("conformance assessment", "XLSX or PDF"))
        }
        (Report::Scope, Format::Pdf) => {
            let doc = reports::scope_document(state, org, tr).await?;
            Ok((reports::typeset(doc).await?, "scope"))
        }
        (Report::Scope, _) => Err(wrong("scope", "PDF")),
        (Report::Pack, Format::Zip) => {
            let (mut file, _, _, _) = reports::build_pack(state, org, tr).await?;
            let bytes = tokio::task::spawn_blocking(move || {
                let mut b = Vec::new();
                std::io::Read::read_to_end(&mut file, &mut b).map(|_| b)
            })
            .await
            .map_err(|e| Failure::Failed(e.to_string()))?
            .map_err(|e| Failure::Failed(format!("reading the pack back: {e}")))?;
            Ok((bytes, "certification-pack"))
        }
        (Report::Pack, _) => Err(wrong("certification pack", "ZIP")),
    }
}

/// The version id of SoA version `number` (or the latest approved, else the draft) of the
/// statement the organization worked on last.
async fn soa_version(
    state: &AppState,
    org: &Organization,
    number: Option<i64>,
) -> Result<Uuid, Failure> {
    let store = state.store();
    let none = || {
        Failure::Missing(format!(
            "{} has no Statement of Applicability yet",
            org.slug
        ))
    };
    let framework = store.soa_latest_framework(org.id).await?.ok_or_else(none)?;
    let versions = store.soa_versions(org.id, Some(&framework)).await?;
    let found = match number {
        Some(n) => versions
            .iter()
            .find(|v| v.number == Some(n))
            .ok_or_else(|| {
                let known: Vec<String> = versions
                    .iter()
                    .filter_map(|v| v.number.map(|n| n.to_string()))
                    .collect();
                Failure::Missing(format!(
                    "the Statement of Applicability has no version {n} (approved versions: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ))
            })?,
        None => versions
            .iter()
            .filter(|v| v.number.is_some())
            .max_by_key(|v| v.number)
            .or_else(|| versions.iter().find(|v| v.number.is_none()))
            .ok_or_else(none)?,
    };
    Ok(found.id)
}

async fn blocking<E: std::fmt::Display + Send + 'static>(
    f: impl FnOnce() -> Result<Vec<u8>, E> + Send + 'static,
) -> Result<Vec<u8>, Failure> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Failure::Failed(e.to_string()))?
        .map_err(|e| Failure::Failed(e.to_string()))
}

fn explain(f: Failure) -> String {
    match f {
        Failure::Missing(what) => what,
        Failure::Store(e) => e.to_string(),
        Failure::Busy => "every typesetting slot stayed busy; try again".to_owned(),
        Failure::Failed(e) => format!("the report could not be made: {e}"),
    }
}
