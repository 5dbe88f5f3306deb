//! Reports (issue 6): the PDF documents — the risk register with its heat maps, a
//! conformance assessment, the Statement of Applicability, the scope — and the certification
//! pack, one ZIP with what a certification body asks for at stage 1.
//!
//! Every document is built from the same data as its XLSX export (the register's sheet, the
//! assessment's export, the SoA report), in the language the reader picks (`?lang=ja|en`,
//! default the reader's own). Typesetting is CPU-bound: it runs on the blocking pool, at most
//! [`pdf_slots`] at once, so a burst of downloads queues instead of starving the server; a
//! request that waits longer than [`BUSY_AFTER`] is answered 503.
//!
//! The pack is written to an anonymous temporary file (deleted when closed) and streamed from
//! it, never held whole in memory; its manifest lists every file with its SHA-256 (also as a
//! `SHA256SUMS` file that `sha256sum -c` checks). The archive's own SHA-256 is sent in the
//! `Repr-Digest` header (RFC 9530).

use std::collections::HashMap;
use std::io::{Read, Seek, Write};
use std::sync::LazyLock;
use std::time::Duration;

use askama::Template;
use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use csms_domain::Uuid;
use csms_domain::assessment::{self as rules, AssessmentStatus, Outcome};
use csms_domain::document::DocType;
use csms_domain::org::{FieldError, Organization};
use csms_domain::register::{RiskFilter, Stage};
use csms_pdf::{Block, Document, Lang as PdfLang, Section, Status, TableCell};
use csms_report::assessment::AssessmentExport;
use csms_report::table::{Cell, Column, Sheet};
use csms_store::StoreError;
use csms_store::document::EvidenceIndexEntry;
use csms_store::trail::TrailQuery;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::{Semaphore, SemaphorePermit};
use utoipa::IntoParams;

use super::assessment::{LoadError, by_ref, load_assessment, outcome_label, outcomes, pick};
use super::inventory::criticality_label;
use super::org::{org_of, store_error};
use super::risk::{Methods, RegisterQuery, heat_map, named_assets, today, zone_assets};
use super::risk_docs::{register, register_sheet};
use super::{Ctx, download, error_page, render};
use crate::AppState;
use crate::authz::Caller;
use crate::i18n::{Lang, Tr};
use crate::routes::{Route, route};

/// Message keys this module builds at run time (checked to exist in both languages).
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const DYNAMIC_KEYS: &[&str] = &[
    "reports-pack-file-scope",
    "reports-pack-file-register-pdf",
    "reports-pack-file-register-xlsx",
    "reports-pack-file-assessment-pdf",
    "reports-pack-file-assessment-xlsx",
    "reports-pack-file-trail-csv",
    "reports-pack-file-trail-verification",
    "reports-pack-file-readme",
    "reports-pack-file-policies-pdf",
    "reports-pack-file-policies-xlsx",
    "reports-pack-file-evidence-csv",
    "reports-pack-file-evidence-xlsx",
    "reports-pack-file-soa-pdf",
    "reports-pack-file-soa-xlsx",
    "reports-doctype-policy",
    "reports-doctype-procedure",
    "reports-doctype-plan",
    "reports-doctype-record",
];

pub(crate) const PDF: &str = "application/pdf";
const ZIP: &str = "application/zip";

pub(crate) fn routes() -> Vec<Route> {
    vec![
        route!(GET, "/o/{org}/reports", OrgRead, get(reports_page)),
        route!(
            GET,
            "/o/{org}/risks/export.pdf",
            OrgRead,
            get(risks_pdf_page)
        ),
        route!(
            GET,
            "/o/{org}/assessments/{id}/export.pdf",
            OrgRead,
            get(assessment_pdf_page)
        ),
        route!(
            GET,
            "/o/{org}/soa/versions/{id}/soa.pdf",
            OrgRead,
            get(soa_pdf_page)
        ),
        route!(
            GET,
            "/o/{org}/reports/scope.pdf",
            OrgRead,
            get(scope_pdf_page)
        ),
        route!(
            GET,
            "/o/{org}/reports/certification-pack.zip",
            OrgRead,
            get(pack_page)
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// Shared by the pages, the API and the CLI

/// How long a request waits for a typesetting slot before it is answered 503.
pub(crate) const BUSY_AFTER: Duration = Duration::from_secs(30);

/// How many documents are typeset at once: one per core (at least one).
pub(crate) fn pdf_slots() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

static SLOTS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(pdf_slots()));

/// Why a report could not be made.
#[derive(Debug)]
pub(crate) enum Failure {
    /// What was asked for does not exist (the text says what).
    Missing(String),
    Store(StoreError),
    /// Every typesetting slot stayed taken for [`BUSY_AFTER`].
    Busy,
    /// Typesetting or writing failed (logged; the text is for the log).
    Failed(String),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

impl From<FieldError> for Failure {
    fn from(e: FieldError) -> Self {
        Failure::Store(StoreError::Invalid(e))
    }
}

impl From<LoadError> for Failure {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Missing => Failure::Missing("no such assessment".to_owned()),
            LoadError::FrameworkMissing(f) => Failure::Missing(format!(
                "the assessment's framework {f} is no longer in the organization's library"
            )),
            LoadError::Store(e) => Failure::Store(e),
        }
    }
}

/// Waits for a typesetting slot (at most [`BUSY_AFTER`]).
async fn slot() -> Result<SemaphorePermit<'static>, Failure> {
    match tokio::time::timeout(BUSY_AFTER, SLOTS.acquire()).await {
        Ok(Ok(p)) => Ok(p),
        _ => Err(Failure::Busy),
    }
}

/// Runs `job` on the blocking pool while holding a typesetting slot.
async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, Failure> {
    let permit = slot().await?;
    match tokio::task::spawn_blocking(move || {
        let _permit = permit;
        job()
    })
    .await
    {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Failure::Failed(e)),
        Err(e) => Err(Failure::Failed(format!("the report task failed: {e}"))),
    }
}

/// Typesets a document (see [`blocking`]).
pub(crate) async fn typeset(doc: Document) -> Result<Vec<u8>, Failure> {
    blocking(move || csms_pdf::render(&doc).map_err(|e| e.to_string())).await
}

/// The report language: `ja` or `en`, else the reader's own.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// `ja` or `en` (default: the reader's language).
    pub lang: Option<String>,
}

impl LangQuery {
    /// The translator for the report: the chosen language in the reader's time zone.
    pub(crate) fn tr(&self, reader: &Tr) -> Result<Tr, FieldError> {
        match self.lang.as_deref().map(str::trim) {
            None | Some("") => Ok(reader.clone()),
            Some(code) => match Lang::parse(code) {
                Some(lang) => Ok(Tr::new(lang, Some(&reader.zone_name))),
                None => Err(FieldError {
                    field: "lang",
                    message: format!(
                        "'{}' is not a report language; use ja or en",
                        code.chars().take(20).collect::<String>()
                    ),
                }),
            },
        }
    }
}

fn pdf_lang(tr: &Tr) -> PdfLang {
    PdfLang::from_code(tr.lang.code())
}

fn date_of(tr: &Tr, at: &time::OffsetDateTime) -> String {
    tr.iso_date(at)
}

/// `kawasaki-plant-risks-2026-11-26-ja.pdf`
pub(crate) fn file_name(org: &Organization, tr: &Tr, what: &str, ext: &str) -> String {
    let date = date_of(tr, &csms_domain::time::now());
    format!("{}-{what}-{date}-{}.{ext}", org.slug, tr.lang.code())
}

/// The risk register's sheet (as the XLSX export builds it) and its two heat maps, for the
/// register filtered as `q` says.
pub(crate) async fn register_parts(
    state: &AppState,
    org: &Organization,
    tr: &Tr,
    q: &RegisterQuery,
) -> Result<(Sheet, Vec<csms_report::heatmap::HeatMap>), Failure> {
    let r = register(state, org.clone(), q).await?;
    let sheet = register_sheet(tr, &r);
    // The heat maps: the filtered register without the cell filter, as on the register page.
    let risks = state.store().risks(org.id).await?;
    let methods = Methods::load(state, org.id, &risks).await?;
    let method = &methods.current.method;
    let (filter, _) = q.parse(method)?;
    let assets = named_assets(state, org.id, &risks).await?;
    let za = zone_assets(&filter, &assets);
    let without_cell = RiskFilter {
        cell: None,
        ..filter
    };
    let day = today(org);
    let mapped: Vec<_> = risks
        .iter()
        .filter(|r| without_cell.matches(r, &za, day))
        .collect();
    let maps = [Stage::Inherent, Stage::Residual]
        .into_iter()
        .map(|stage| heat_map(tr, method, mapped.iter().copied(), stage, |_, _| None).0)
        .collect();
    Ok((sheet, maps))
}

/// The register as a PDF document.
pub(crate) fn register_document(
    org: &Organization,
    tr: &Tr,
    sheet: &Sheet,
    maps: &[csms_report::heatmap::HeatMap],
) -> Document {
    let maps: Vec<&_> = maps.iter().collect();
    csms_pdf::reports::register(
        pdf_lang(tr),
        sheet,
        &org.name,
        &format!("RR-{}", org.slug),
        &tr.datetime(&csms_domain::time::now()),
        &maps,
    )
}

/// The register as PDF.
pub(crate) async fn risks_pdf(
    state: &AppState,
    org: &Organization,
    tr: &Tr,
    q: &RegisterQuery,
) -> Result<Vec<u8>, Failure> {
    let (sheet, maps) = register_parts(state, org, tr, q).await?;
    typeset(register_document(org, tr, &sheet, &maps)).await
}

/// An assessment's export in the language of `tr`, with who approved it and when.
///
/// The same rows as the XLSX export (`pages::assessment`); kept here because that module's
/// builder is private to it.
pub(crate) async fn assessment_export(
    state: &AppState,
    org: &Organization,
    tr: &Tr,
    id: Uuid,
) -> Result<(AssessmentExport, Status, i64), Failure> {
    use csms_report::assessment::{ExportColumns, ExportRow, SummaryLine};
    let l = load_assessment(state, org.clone(), id).await?;
    let store = state.store();
    let (results, evidence, members) = tokio::try_join!(
        store.results(l.org.id, l.assessment.id),
        store.evidence(l.org.id, l.assessment.id, None),
        store.members(l.org.id),
    )?;
    let results = by_ref(results);
    let names: HashMap<Uuid, String> = members
        .iter()
        .map(|m| (m.user.id, m.user.display_name.clone()))
        .collect();
    let mut ev: HashMap<&str, Vec<String>> = HashMap::new();
    for e in &evidence {
        ev.entry(e.node_ref.as_str())
            .or_default()
            .push(if e.location.is_empty() {
                e.label.clone()
            } else {
                format!("{} — {}", e.label, e.location)
            });
    }
    let fw = &l.framework;
    let mut rows = Vec::new();
    for (i, _) in fw.walk() {
        let n = &fw.catalog.nodes[i];
        let Some(r) = n.assessable.then(|| results.get(&n.reference)).flatten() else {
            continue;
        };
        let clause = fw
            .group_of(i)
            .map(|g| {
                let g = &fw.catalog.nodes[g];
                format!("{} {}", g.reference, pick(tr, &g.title))
            })
            .unwrap_or_default();
        rows.push(ExportRow {
            clause,
            reference: n.reference.clone(),
            title: pick(tr, &n.title).to_owned(),
            result: outcome_label(tr, r.outcome),
            result_code: r.outcome.as_str().to_owned(),
            maturity: r.maturity,
            notes: r.notes.clone(),
            evidence: ev.remove(n.reference.as_str()).unwrap_or_default(),
            owner: r
                .owner_id
                .and_then(|o| names.get(&o).cloned())
                .unwrap_or_default(),
            due_date: r.due_date.clone().unwrap_or_default(),
        });
    }
    let tree = fw.tree();
    let overall = rules::overall(&tree, &outcomes(&results));
    let summary = Outcome::ALL
        .iter()
        .map(|o| SummaryLine {
            label: outcome_label(tr, *o),
            count: overall.count(*o),
            percent: if overall.total == 0 {
                0.0
            } else {
                f64::from(overall.count(*o)) * 100.0 / f64::from(overall.total)
            },
        })
        .collect();
    let a = &l.assessment;
    let approver = a
        .approved_by
        .and_then(|u| names.get(&u).cloned())
        .unwrap_or_default();
    let (status, approval) = match a.status {
        AssessmentStatus::InProgress => (tr.t("assessment-status-in-progress"), Status::Draft),
        AssessmentStatus::Approved => (
            format!(
                "{} {} {}",
                tr.t("assessment-status-approved"),
                tr.datetime_opt(&a.approved_at),
                approver
            ),
            Status::Approved {
                by: approver.clone(),
                at: tr.datetime_opt(&a.approved_at),
            },
        ),
    };
    let export = AssessmentExport {
        lang: tr.lang.code().to_owned(),
        title: a.title.clone(),
        framework: pick(tr, &fw.catalog.framework.name).to_owned(),
        organization: l.org.name.clone(),
        status,
        period: format!(
            "{} – {}",
            a.period_start.clone().unwrap_or_default(),
            a.period_end.clone().unwrap_or_default()
        ),
        scope: a.scope.clone(),
        assessors: a.assessors.clone(),
        generated_at: tr.datetime(&csms_domain::time::now()),
        columns: ExportColumns {
            clause: tr.t("export-clause"),
            reference: tr.t("export-reference"),
            title: tr.t("export-title"),
            result: tr.t("export-result"),
            maturity: tr.t("export-maturity"),
            notes: tr.t("export-notes"),
            evidence: tr.t("export-evidence"),
            owner: tr.t("export-owner"),
            due_date: tr.t("export-due"),
        },
        rows,
        summary,
    };
    Ok((export, approval, a.version))
}

/// The document id of an assessment: `ASMT-` and the first eight hex digits of its id.
fn assessment_id(id: Uuid) -> String {
    format!("ASMT-{}", &id.simple().to_string()[..8])
}

/// An assessment as PDF.
pub(crate) async fn assessment_pdf(
    state: &AppState,
    org: &Organization,
    tr: &Tr,
    id: Uuid,
) -> Result<Vec<u8>, Failure> {
    let (export, approval, version) = assessment_export(state, org, tr, id).await?;
    let doc =
        csms_pdf::reports::assessment(&export, &assessment_id(id), &version.to_string(), approval);
    typeset(doc).await
}

/// A version of the Statement of Applicability as PDF (the same report as its XLSX).
pub(crate) async fn soa_pdf(
    state: &AppState,
    org: &Organization,
    tr: &Tr,
    version_id: Uuid,
) -> Result<Vec<u8>, Failure> {
    let report = super::soa::soa_report(state, org, version_id, tr).await?;
    typeset(csms_pdf::reports::soa(pdf_lang(tr), &report)).await
}

/// The latest approved version of the statement the organization worked on last.
pub(crate) async fn latest_soa(
    state: &AppState,
    org: &Organization,
) -> Result<Option<Uuid>, Failure> {
    let store = state.store();
    let Some(framework) = store.soa_latest_framework(org.id).await? else {
        return Ok(None);
    };
    Ok(store
        .soa_versions(org.id, Some(&framework))
        .await?
        .into_iter()
        .filter(|v| !v.is_draft())
        .max_by_key(|v| v.number)
        .map(|v| v.id))
}

/// The scope of the CSMS: the organization's profile and the IACS in scope (sites, systems,
/// zones with their SL-T), as a live record.
pub(crate) async fn scope_document(
    state: &AppState,
    org: &Organization,
    tr: &Tr,
) -> Result<Document, Failure> {
    let store = state.store();
    let (sites, systems, zones) = tokio::try_join!(
        store.sites(org.id),
        store.systems(org.id),
        store.zones(org.id),
    )?;
    let t = |k: &str| tr.t(k);
    let site_names: HashMap<Uuid, &str> = sites.iter().map(|s| (s.id, s.name.as_str())).collect();
    let system_names: HashMap<Uuid, &str> =
        systems.iter().map(|s| (s.id, s.name.as_str())).collect();
    let table = |cols: Vec<(String, f64)>, rows: Vec<Vec<String>>| {
        Block::Table(csms_pdf::reports::table(
            cols,
            rows.into_iter()
                .map(|r| r.into_iter().map(TableCell::text).collect())
                .collect(),
        ))
    };
    let profile = Section::new(t("reports-scope-profile")).with(Block::KeyValues {
        items: vec![
            (t("reports-scope-org-name"), org.name.clone()),
            (t("reports-scope-org-description"), org.description.clone()),
            (t("reports-scope-timezone"), org.timezone.clone()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect(),
    });
    let sites_s = Section::new(t("reports-scope-sites")).with(table(
        vec![
            (t("reports-col-name"), 2.0),
            (t("reports-col-location"), 2.0),
            (t("reports-col-description"), 4.0),
        ],
        sites
            .iter()
            .map(|s| vec![s.name.clone(), s.location.clone(), s.description.clone()])
            .collect(),
    ));
    let systems_s = Section::new(t("reports-scope-systems")).with(table(
        vec![
            (t("reports-col-name"), 2.0),
            (t("reports-col-site"), 2.0),
            (t("reports-col-criticality"), 1.2),
            (t("reports-col-description"), 4.0),
        ],
        systems
            .iter()
            .map(|s| {
                vec![
                    s.name.clone(),
                    s.site_id
                        .and_then(|id| site_names.get(&id).map(|n| (*n).to_owned()))
                        .unwrap_or_default(),
                    criticality_label(tr, s.criticality),
                    s.description.clone(),
                ]
            })
            .collect(),
    ));
    let zones_s = Section::new(t("reports-scope-zones")).with(table(
        vec![
            (t("reports-col-name"), 2.0),
            (t("reports-col-system"), 2.0),
            ("SL-T".to_owned(), 1.6),
            (t("reports-col-justification"), 3.0),
            (t("reports-col-description"), 3.0),
        ],
        zones
            .iter()
            .map(|z| {
                vec![
                    z.name.clone(),
                    z.system_id
                        .and_then(|id| system_names.get(&id).map(|n| (*n).to_owned()))
                        .unwrap_or_default(),
                    z.sl_t.to_string(),
                    z.sl_t_justification.clone(),
                    z.description.clone(),
                ]
            })
            .collect(),
    ));
    let now = tr.datetime(&csms_domain::time::now());
    Ok(Document {
        lang: pdf_lang(tr),
        organization: org.name.clone(),
        title: t("reports-scope-title"),
        document_id: format!("SCOPE-{}", org.slug),
        version: org.version.to_string(),
        status: Status::Current { at: now.clone() },
        meta: vec![(t("reports-generated"), now)],
        landscape: false,
        sections: vec![profile, sites_s, systems_s, zones_s],
    })
}

/// Approved documents (every approved version, with its file's SHA-256) as a sheet: all of
/// them (the evidence index) or only the kinds `keep` accepts (the policies and procedures).
pub(crate) fn evidence_sheet(
    tr: &Tr,
    entries: &[EvidenceIndexEntry],
    title: String,
    keep: impl Fn(DocType) -> bool,
) -> Sheet {
    let t = |k: &str| tr.t(k);
    let col = |k: &str, width: f64, wrap: bool| Column {
        name: t(k),
        width,
        wrap,
    };
    let rows = entries
        .iter()
        .filter(|e| keep(e.doc_type))
        .map(|e| {
            vec![
                Cell::text(&e.code),
                Cell::text(&e.title),
                Cell::text(t(&format!("reports-doctype-{}", e.doc_type.as_str()))),
                Cell::text(&e.classification),
                Cell::Number(e.version_number as f64),
                Cell::text(&e.approved_by_name),
                Cell::text(tr.datetime_opt(&e.approved_at)),
                Cell::text(e.next_review.map(|d| d.to_string()).unwrap_or_default()),
                Cell::text(&e.file_name),
                Cell::Number(e.size as f64),
                Cell::text(&e.sha256),
                Cell::text(
                    e.links
                        .iter()
                        .map(|l| {
                            [l.kind(), l.framework(), &l.reference()]
                                .iter()
                                .filter(|p| !p.is_empty())
                                .copied()
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
            ]
        })
        .collect();
    Sheet {
        name: "documents".to_owned(),
        title,
        header: vec![(
            t("reports-generated"),
            tr.datetime(&csms_domain::time::now()),
        )],
        columns: vec![
            col("reports-doc-code", 10.0, false),
            col("reports-doc-title", 34.0, true),
            col("reports-doc-type", 10.0, false),
            col("reports-doc-classification", 12.0, false),
            col("reports-doc-version", 6.0, false),
            col("reports-doc-approved-by", 14.0, false),
            col("reports-doc-approved-at", 17.0, false),
            col("reports-doc-next-review", 11.0, false),
            col("reports-doc-file", 24.0, true),
            col("reports-doc-size", 10.0, false),
            col("reports-doc-sha256", 66.0, false),
            col("reports-doc-links", 30.0, true),
        ],
        rows,
    }
}

// ---------------------------------------------------------------------------------------
// The certification pack

/// One file of the pack as the manifest lists it.
#[derive(Debug, Clone)]
pub(crate) struct PackEntry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
    pub what: String,
}

/// Writes the pack's files into a ZIP in a temporary file, hashing each as it goes.
struct PackWriter {
    zip: zip::ZipWriter<std::fs::File>,
    entries: Vec<PackEntry>,
}

/// Copies `from` into `to`, returning the bytes copied and their SHA-256.
fn copy_hashed(mut from: impl Read, to: &mut impl Write) -> std::io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        let k = from.read(&mut buf)?;
        if k == 0 {
            break;
        }
        hasher.update(&buf[..k]);
        to.write_all(&buf[..k])?;
        n += k as u64;
    }
    Ok((n, hex::encode(hasher.finalize())))
}

impl PackWriter {
    fn new() -> std::io::Result<PackWriter> {
        Ok(PackWriter {
            zip: zip::ZipWriter::new(tempfile_in_tmp()?),
            entries: Vec::new(),
        })
    }

    fn options(path: &str) -> zip::write::SimpleFileOptions {
        // PDF, XLSX and ZIP are compressed already.
        let stored = [".pdf", ".xlsx", ".zip", ".png", ".jpg", ".jpeg", ".docx"]
            .iter()
            .any(|e| path.to_ascii_lowercase().ends_with(e));
        zip::write::SimpleFileOptions::default()
            .compression_method(if stored {
                zip::CompressionMethod::Stored
            } else {
                zip::CompressionMethod::Deflated
            })
            .large_file(true)
    }

    fn add_reader(&mut self, path: &str, what: &str, from: impl Read) -> Result<(), String> {
        self.zip
            .start_file(path, Self::options(path))
            .map_err(|e| format!("adding {path} to the pack: {e}"))?;
        let (size, sha256) =
            copy_hashed(from, &mut self.zip).map_err(|e| format!("writing {path}: {e}"))?;
        self.entries.push(PackEntry {
            path: path.to_owned(),
            size,
            sha256,
            what: what.to_owned(),
        });
        Ok(())
    }

    fn add(&mut self, path: &str, what: &str, bytes: &[u8]) -> Result<(), String> {
        self.add_reader(path, what, bytes)
    }

    /// Adds the manifest (`manifest.csv`, `SHA256SUMS`), closes the archive and returns the
    /// file (at its start), its size, its SHA-256 and the entries.
    fn finish(
        mut self,
        manifest_columns: [String; 4],
    ) -> Result<(std::fs::File, u64, String, Vec<PackEntry>), String> {
        let sheet = Sheet {
            name: "manifest".to_owned(),
            columns: manifest_columns
                .into_iter()
                .map(|name| Column {
                    name,
                    width: 20.0,
                    wrap: false,
                })
                .collect(),
            rows: self
                .entries
                .iter()
                .map(|e| {
                    vec![
                        Cell::text(&e.path),
                        Cell::Number(e.size as f64),
                        Cell::text(&e.sha256),
                        Cell::text(&e.what),
                    ]
                })
                .collect(),
            ..Default::default()
        };
        let sums: String = self
            .entries
            .iter()
            .map(|e| format!("{}  {}\n", e.sha256, e.path))
            .collect();
        let csv = csms_report::table::csv(&sheet);
        let entries = self.entries.clone();
        for (path, body) in [
            ("manifest.csv", csv.as_bytes()),
            ("SHA256SUMS", sums.as_bytes()),
        ] {
            self.zip
                .start_file(path, Self::options(path))
                .map_err(|e| format!("adding {path}: {e}"))?;
            self.zip
                .write_all(body)
                .map_err(|e| format!("writing {path}: {e}"))?;
        }
        let mut file = self
            .zip
            .finish()
            .map_err(|e| format!("closing the archive: {e}"))?;
        file.rewind()
            .map_err(|e| format!("reading the archive: {e}"))?;
        let (size, sha) = copy_hashed(&mut file, &mut std::io::sink())
            .map_err(|e| format!("hashing the archive: {e}"))?;
        file.rewind()
            .map_err(|e| format!("reading the archive: {e}"))?;
        Ok((file, size, sha, entries))
    }
}

/// An anonymous temporary file (removed by the system when closed).
fn tempfile_in_tmp() -> std::io::Result<std::fs::File> {
    tempfile::tempfile()
}

/// The trail of the last `days` days as a sheet (newest first), read a page at a time.
async fn trail_sheet(
    state: &AppState,
    org: &Organization,
    tr: &Tr,
    days: i64,
) -> Result<Sheet, Failure> {
    let since = csms_domain::time::now() - time::Duration::days(days);
    let mut rows = Vec::new();
    let mut before = None;
    loop {
        let page = state
            .store()
            .trail(
                org.id,
                &TrailQuery {
                    before_seq: before,
                    from: Some(since),
                    limit: 1000,
                    ..Default::default()
                },
            )
            .await?;
        let last = page.last().map(|r| r.seq);
        let full = page.len() == 1000;
        for r in page {
            rows.push(vec![
                Cell::Number(r.seq as f64),
                Cell::text(csms_domain::time::format_canonical(r.at)),
                Cell::text(r.actor),
                Cell::text(r.entity_kind),
                Cell::text(r.entity_id),
                Cell::text(r.action),
                Cell::text(
                    String::from_utf8(csms_domain::trail::canonical_json(&r.diff))
                        .unwrap_or_default(),
                ),
                Cell::text(r.prev_hash),
                Cell::text(r.hash),
            ]);
        }
        match (full, last) {
            (true, Some(seq)) => before = Some(seq),
            _ => break,
        }
    }
    let t = |k: &str| tr.t(k);
    let col = |k: &str, width: f64| Column {
        name: t(k),
        width,
        wrap: false,
    };
    Ok(Sheet {
        name: "trail".to_owned(),
        title: t("reports-trail-title"),
        header: vec![],
        columns: vec![
            col("reports-trail-seq", 8.0),
            col("reports-trail-at", 28.0),
            col("reports-trail-actor", 16.0),
            col("reports-trail-kind", 14.0),
            col("reports-trail-entity", 38.0),
            col("reports-trail-action", 12.0),
            col("reports-trail-diff", 60.0),
            col("reports-trail-prev-hash", 66.0),
            col("reports-trail-hash", 66.0),
        ],
        rows,
    })
}

/// Picks the latest conformance assessment: the most recently approved, else the most recent.
pub(crate) async fn latest_assessment(
    state: &AppState,
    org: &Organization,
) -> Result<Option<(Uuid, String)>, Failure> {
    let all = state.store().assessments(org.id).await?;
    let approved = all
        .iter()
        .filter(|a| a.status == AssessmentStatus::Approved)
        .max_by_key(|a| a.approved_at);
    Ok(approved
        .or_else(|| all.first())
        .map(|a| (a.id, a.title.clone())))
}

/// The certification pack, written to a temporary file: returns the open file at its start,
/// its size, its SHA-256 and its entries.
pub(crate) async fn build_pack(
    state: &AppState,
    org: &Organization,
    tr: &Tr,
) -> Result<(std::fs::File, u64, String, Vec<PackEntry>), Failure> {
    let t = |k: &str| tr.t(k);
    let lang = tr.lang.code();
    // Everything is read first, then typeset and written on the blocking pool.
    let (reg_sheet, maps) = register_parts(state, org, tr, &RegisterQuery::default()).await?;
    let scope = scope_document(state, org, tr).await?;
    let soa = match latest_soa(state, org).await? {
        Some(id) => Some(super::soa::soa_report(state, org, id, tr).await?),
        None => None,
    };
    let assessment = match latest_assessment(state, org).await? {
        Some((id, _)) => Some((id, assessment_export(state, org, tr, id).await?)),
        None => None,
    };
    let index = state.store().evidence_index(org.id).await?;
    let policies = evidence_sheet(tr, &index, t("reports-policies-title"), |d| {
        d != DocType::Record
    });
    let evidence = evidence_sheet(tr, &index, t("reports-evidence-title"), |_| true);
    let policies_doc = {
        let mut d = csms_pdf::reports::sheet(
            pdf_lang(tr),
            &policies,
            &org.name,
            &format!("DOCS-{}", org.slug),
            &date_of(tr, &csms_domain::time::now()),
            Status::Current {
                at: tr.datetime(&csms_domain::time::now()),
            },
            &t("reports-policies-title"),
        );
        // The PDF leaves out the file name, size and hash columns (the XLSX and the evidence
        // index have them): the list stays readable on paper.
        if let Some(Block::Table(table)) = d.sections.first_mut().and_then(|s| s.blocks.first_mut())
        {
            let keep = [0usize, 1, 2, 3, 4, 5, 6, 7, 11];
            table.columns = keep.iter().map(|&i| table.columns[i].clone()).collect();
            for row in &mut table.rows {
                *row = keep.iter().map(|&i| row[i].clone()).collect();
            }
        }
        d
    };
    let trail = trail_sheet(state, org, tr, 365).await?;
    let verification = match state.store().verify_chain(org.id).await {
        Ok(n) => tr.t1("reports-trail-verified", "count", n),
        Err(e) => tr.t1("reports-trail-broken", "reason", e),
    };
    let reg_doc = register_document(org, tr, &reg_sheet, &maps);
    let readme_intro = t("reports-pack-readme");
    let missing_assessment = t("reports-pack-no-assessment");
    let missing_soa = t("reports-pack-no-soa");
    let names = [
        t("reports-pack-col-path"),
        t("reports-pack-col-size"),
        t("reports-pack-col-sha256"),
        t("reports-pack-col-content"),
    ];
    let what: HashMap<&str, String> = [
        "scope",
        "register-pdf",
        "register-xlsx",
        "assessment-pdf",
        "assessment-xlsx",
        "trail-csv",
        "trail-verification",
        "readme",
        "policies-pdf",
        "policies-xlsx",
        "evidence-csv",
        "evidence-xlsx",
        "soa-pdf",
        "soa-xlsx",
    ]
    .into_iter()
    .map(|k| (k, t(&format!("reports-pack-file-{k}"))))
    .collect();
    let org_name = org.name.clone();
    let generated = tr.datetime(&csms_domain::time::now());
    let lang = lang.to_owned();
    blocking(move || {
        let mut w = PackWriter::new().map_err(|e| format!("creating the temporary file: {e}"))?;
        let pdf = |d: &Document| csms_pdf::render(d).map_err(|e| e.to_string());
        let mut readme = format!("{org_name}\n{generated}\n\n{readme_intro}\n\n");
        match &soa {
            Some(report) => {
                let doc = csms_pdf::reports::soa(PdfLang::from_code(&lang), report);
                w.add(
                    "00-statement-of-applicability/soa.pdf",
                    &what["soa-pdf"],
                    &pdf(&doc)?,
                )?;
                let x = csms_report::soa::soa_xlsx(report).map_err(|e| e.to_string())?;
                w.add(
                    "00-statement-of-applicability/soa.xlsx",
                    &what["soa-xlsx"],
                    &x,
                )?;
            }
            None => {
                readme.push_str(&missing_soa);
                readme.push('\n');
            }
        }
        w.add("01-scope/scope.pdf", &what["scope"], &pdf(&scope)?)?;
        w.add(
            "02-risk-assessment/risk-register.pdf",
            &what["register-pdf"],
            &pdf(&reg_doc)?,
        )?;
        let xlsx =
            csms_report::register::workbook(&[reg_sheet], &lang).map_err(|e| e.to_string())?;
        w.add(
            "02-risk-assessment/risk-register.xlsx",
            &what["register-xlsx"],
            &xlsx,
        )?;
        match assessment {
            Some((id, (export, approval, version))) => {
                let doc = csms_pdf::reports::assessment(
                    &export,
                    &assessment_id(id),
                    &version.to_string(),
                    approval,
                );
                w.add(
                    "03-assessment/assessment.pdf",
                    &what["assessment-pdf"],
                    &pdf(&doc)?,
                )?;
                let x =
                    csms_report::assessment::assessment_xlsx(&export).map_err(|e| e.to_string())?;
                w.add(
                    "03-assessment/assessment.xlsx",
                    &what["assessment-xlsx"],
                    &x,
                )?;
            }
            None => {
                readme.push_str(&missing_assessment);
                readme.push('\n');
            }
        }
        w.add(
            "04-documents/policies-and-procedures.pdf",
            &what["policies-pdf"],
            &pdf(&policies_doc)?,
        )?;
        let x = csms_report::register::workbook(&[policies], &lang).map_err(|e| e.to_string())?;
        w.add(
            "04-documents/policies-and-procedures.xlsx",
            &what["policies-xlsx"],
            &x,
        )?;
        w.add(
            "05-evidence/evidence-index.csv",
            &what["evidence-csv"],
            csms_report::table::csv(&evidence).as_bytes(),
        )?;
        let x = csms_report::register::workbook(&[evidence], &lang).map_err(|e| e.to_string())?;
        w.add(
            "05-evidence/evidence-index.xlsx",
            &what["evidence-xlsx"],
            &x,
        )?;
        w.add(
            "06-trail/trail-12-months.csv",
            &what["trail-csv"],
            csms_report::table::csv(&trail).as_bytes(),
        )?;
        w.add(
            "06-trail/verification.txt",
            &what["trail-verification"],
            format!("{verification}\n").as_bytes(),
        )?;
        w.add("README.txt", &what["readme"], readme.as_bytes())?;
        w.finish(names)
    })
    .await
}

/// A pack file as a streamed response (64 KiB at a time from the temporary file).
pub(crate) fn stream_file(
    file: std::fs::File,
    size: u64,
    sha256: &str,
    mime: &'static str,
    name: &str,
) -> Response {
    let file = tokio::fs::File::from_std(file);
    let stream = futures_util::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    let mut res = Body::from_stream(stream).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(bytes) = hex::decode(sha256) {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        if let Ok(v) = HeaderValue::from_str(&format!("sha-256=:{b64}:")) {
            h.insert("repr-digest", v);
        }
    }
    res
}

// ---------------------------------------------------------------------------------------
// Pages

/// A failure as an error page.
fn fail_page(caller: &Caller, f: Failure) -> Response {
    match f {
        Failure::Missing(what) => {
            tracing::debug!(what = %what, "report subject missing");
            error_page(caller, StatusCode::NOT_FOUND, "error-not-found")
        }
        Failure::Store(e) => {
            let (status, _) = store_error(&caller.tr, &e);
            error_page(
                caller,
                status,
                match e {
                    StoreError::NotFound { .. } => "error-not-found",
                    StoreError::Invalid(_) => "error-invalid-page",
                    _ => "error-internal-page",
                },
            )
        }
        Failure::Busy => error_page(caller, StatusCode::SERVICE_UNAVAILABLE, "reports-busy"),
        Failure::Failed(e) => {
            tracing::error!(error = %e, "report failed");
            error_page(
                caller,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-internal-page",
            )
        }
    }
}

/// A link of the reports page.
pub struct ReportLink {
    pub id: &'static str,
    pub title: String,
    pub lead: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    ctx: Ctx,
    org: Organization,
    lang: String,
    links: Vec<ReportLink>,
    assessments: Vec<(Uuid, String, bool)>,
    pack_href: String,
}

pub async fn reports_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<LangQuery>,
) -> Response {
    let org = org_of(&caller);
    let tr = &caller.tr;
    let report_tr = q.tr(tr).unwrap_or_else(|_| tr.clone());
    let lang = report_tr.lang.code().to_owned();
    let assessments = match state.store().assessments(org.id).await {
        Ok(a) => a
            .into_iter()
            .map(|a| (a.id, a.title, a.status == AssessmentStatus::Approved))
            .collect(),
        Err(e) => return fail_page(&caller, e.into()),
    };
    let slug = &org.slug;
    let links = vec![
        ReportLink {
            id: "report-risks",
            title: tr.t("reports-risks"),
            lead: tr.t("reports-risks-lead"),
            href: format!("/o/{slug}/risks/export.pdf?lang={lang}"),
        },
        ReportLink {
            id: "report-scope",
            title: tr.t("reports-scope-title"),
            lead: tr.t("reports-scope-lead"),
            href: format!("/o/{slug}/reports/scope.pdf?lang={lang}"),
        },
    ];
    let ctx = Ctx::new(&state, &caller, "reports", &format!("/o/{slug}/reports")).await;
    render(&ReportsPage {
        ctx,
        pack_href: format!("/o/{slug}/reports/certification-pack.zip?lang={lang}"),
        org,
        lang,
        links,
        assessments,
    })
}

pub async fn risks_pdf_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(lang): Query<LangQuery>,
    Query(q): Query<RegisterQuery>,
) -> Response {
    let org = org_of(&caller);
    let tr = match lang.tr(&caller.tr) {
        Ok(t) => t,
        Err(e) => return fail_page(&caller, e.into()),
    };
    match risks_pdf(&state, &org, &tr, &q).await {
        Ok(bytes) => download(bytes, PDF, &file_name(&org, &tr, "risks", "pdf")),
        Err(f) => fail_page(&caller, f),
    }
}

pub async fn assessment_pdf_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Query(lang): Query<LangQuery>,
) -> Response {
    let org = org_of(&caller);
    let tr = match lang.tr(&caller.tr) {
        Ok(t) => t,
        Err(e) => return fail_page(&caller, e.into()),
    };
    match assessment_pdf(&state, &org, &tr, id).await {
        Ok(bytes) => download(
            bytes,
            PDF,
            &format!("assessment-{id}-{}.pdf", tr.lang.code()),
        ),
        Err(f) => fail_page(&caller, f),
    }
}

pub async fn soa_pdf_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, id)): Path<(String, Uuid)>,
    Query(lang): Query<LangQuery>,
) -> Response {
    let org = org_of(&caller);
    let tr = match lang.tr(&caller.tr) {
        Ok(t) => t,
        Err(e) => return fail_page(&caller, e.into()),
    };
    match soa_pdf(&state, &org, &tr, id).await {
        Ok(bytes) => download(bytes, PDF, &file_name(&org, &tr, "soa", "pdf")),
        Err(f) => fail_page(&caller, f),
    }
}

pub async fn scope_pdf_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(lang): Query<LangQuery>,
) -> Response {
    let org = org_of(&caller);
    let tr = match lang.tr(&caller.tr) {
        Ok(t) => t,
        Err(e) => return fail_page(&caller, e.into()),
    };
    let doc = match scope_document(&state, &org, &tr).await {
        Ok(d) => d,
        Err(f) => return fail_page(&caller, f),
    };
    match typeset(doc).await {
        Ok(bytes) => download(bytes, PDF, &file_name(&org, &tr, "scope", "pdf")),
        Err(f) => fail_page(&caller, f),
    }
}

pub async fn pack_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(lang): Query<LangQuery>,
) -> Response {
    let org = org_of(&caller);
    let tr = match lang.tr(&caller.tr) {
        Ok(t) => t,
        Err(e) => return fail_page(&caller, e.into()),
    };
    match build_pack(&state, &org, &tr).await {
        Ok((file, size, sha, entries)) => {
            tracing::info!(
                org = %org.slug,
                actor = %caller.actor().label,
                sha256 = %sha,
                files = entries.len(),
                size,
                "certification pack generated"
            );
            stream_file(
                file,
                size,
                &sha,
                ZIP,
                &file_name(&org, &tr, "certification-pack", "zip"),
            )
        }
        Err(f) => fail_page(&caller, f),
    }
}
