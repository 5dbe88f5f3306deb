//! Documents, their versions and evidence links in the database.
//!
//! A document is one row of `documents`; each version one row of `document_versions` naming
//! its file by SHA-256 (a row of `blobs`, the content the [`crate::blob`] store holds). A
//! version's file, size, type and name never change; only its workflow status (and who moved
//! it, when) does. Every workflow step names the document's version (the optimistic lock of
//! the document and all its versions) and appends a trail record in its transaction.
//!
//! Evidence links belong to the document (not one version), so a new version keeps them;
//! [`Store::evidence_for`] shows the version in force: the approved one, else the latest.
//! A link to a risk or a control is checked to exist in the organization; requirement and SoA
//! item links name a framework and node ref (checked by the caller against the catalogs);
//! findings are not checked until the audit area records them.
//!
//! Codes (`POL-0001`) come from a per-organization counter (`document_counters`), shared by
//! every type, so codes are never reused.

use std::collections::HashMap;
use std::fmt::Display;

use csms_domain::document::{
    self as dd, ClassificationScheme, DocType, Document, DocumentVersion, EvidenceLink,
    EvidenceRef, EvidenceTarget, NewDocument, Transition, VersionStatus,
};
use csms_domain::org::FieldError;
use csms_domain::trail::{Actor, Change};
use csms_domain::{Uuid, new_id};
use time::{Date, OffsetDateTime};

use crate::backup::{Col, Table};
use crate::blob::StoredBlob;
use crate::db::{Ts, Tx, on, read};
use crate::{Result, Store, StoreError, trail};

/// The tables of this area a backup carries, parents before children.
pub(crate) const BACKUP_TABLES: &[Table] = &[
    Table {
        name: "document_settings",
        key: "org_id",
        columns: &[
            ("org_id", Col::Uuid),
            ("classifications", Col::Text),
            ("updated_at", Col::Time),
            ("updated_by", Col::Uuid),
            ("version", Col::Int),
        ],
    },
    Table {
        name: "document_counters",
        key: "org_id",
        columns: &[("org_id", Col::Uuid), ("last_seq", Col::Int)],
    },
    Table {
        name: "blobs",
        key: "sha256",
        columns: &[
            ("sha256", Col::Text),
            ("size", Col::Int),
            ("content_type", Col::Text),
            ("created_at", Col::Time),
        ],
    },
    Table {
        name: "documents",
        key: "id",
        columns: &[
            ("id", Col::Uuid),
            ("org_id", Col::Uuid),
            ("code", Col::Text),
            ("title", Col::Text),
            ("doc_type", Col::Text),
            ("classification", Col::Text),
            ("owner_id", Col::Uuid),
            ("review_months", Col::Int),
            ("retention_months", Col::Int),
            ("next_review", Col::Text),
            ("created_at", Col::Time),
            ("created_by", Col::Uuid),
            ("updated_at", Col::Time),
            ("updated_by", Col::Uuid),
            ("version", Col::Int),
        ],
    },
    Table {
        name: "document_versions",
        key: "id",
        columns: &[
            ("id", Col::Uuid),
            ("org_id", Col::Uuid),
            ("document_id", Col::Uuid),
            ("number", Col::Int),
            ("status", Col::Text),
            ("sha256", Col::Text),
            ("size", Col::Int),
            ("content_type", Col::Text),
            ("file_name", Col::Text),
            ("note", Col::Text),
            ("created_at", Col::Time),
            ("created_by", Col::Uuid),
            ("submitted_at", Col::Time),
            ("submitted_by", Col::Uuid),
            ("approved_at", Col::Time),
            ("approved_by", Col::Uuid),
            ("closed_at", Col::Time),
            ("closed_by", Col::Uuid),
        ],
    },
    Table {
        name: "document_evidence",
        key: "id",
        columns: &[
            ("id", Col::Uuid),
            ("org_id", Col::Uuid),
            ("document_id", Col::Uuid),
            ("target_kind", Col::Text),
            ("framework", Col::Text),
            ("target_ref", Col::Text),
            ("created_at", Col::Time),
            ("created_by", Col::Uuid),
        ],
    },
];

const DATE_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

fn unreadable(column: &str, e: impl Display) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("documents.{column} holds a value this version cannot read ({e})").into(),
    ))
}

fn date_text(d: Option<Date>) -> Option<String> {
    d.and_then(|d| d.format(DATE_FORMAT).ok())
}

fn parse_date(column: &str, text: Option<String>) -> Result<Option<Date>> {
    text.filter(|t| !t.is_empty())
        .map(|t| Date::parse(&t, DATE_FORMAT).map_err(|e| unreadable(column, e)))
        .transpose()
}

fn not_found(kind: &'static str, id: impl Display) -> StoreError {
    StoreError::NotFound {
        kind,
        id: id.to_string(),
    }
}

fn conflict(id: Uuid, expected: i64, current: i64) -> StoreError {
    StoreError::Conflict {
        kind: "document",
        id: id.to_string(),
        expected,
        current,
    }
}

const DOC_COLUMNS: &str = "id, org_id, code, title, doc_type, classification, owner_id, review_months, retention_months, \
     next_review, created_at, created_by, updated_at, updated_by, version";

#[derive(sqlx::FromRow)]
struct DocRow {
    id: Uuid,
    org_id: Uuid,
    code: String,
    title: String,
    doc_type: String,
    classification: String,
    owner_id: Option<Uuid>,
    review_months: i64,
    retention_months: i64,
    next_review: Option<String>,
    created_at: Ts,
    created_by: Option<Uuid>,
    updated_at: Ts,
    updated_by: Option<Uuid>,
    version: i64,
}

impl DocRow {
    fn into_document(self) -> Result<Document> {
        Ok(Document {
            id: self.id,
            org_id: self.org_id,
            code: self.code,
            title: self.title,
            doc_type: DocType::parse(&self.doc_type)
                .map_err(|e| unreadable("doc_type", e.message))?,
            classification: self.classification,
            owner_id: self.owner_id,
            review_months: self.review_months,
            retention_months: self.retention_months,
            next_review: parse_date("next_review", self.next_review)?,
            created_at: self.created_at.0,
            created_by: self.created_by,
            updated_at: self.updated_at.0,
            updated_by: self.updated_by,
            version: self.version,
        })
    }
}

const VERSION_COLUMNS: &str = "id, org_id, document_id, number, status, sha256, size, content_type, file_name, note, \
     created_at, created_by, submitted_at, submitted_by, approved_at, approved_by, closed_at, closed_by";

#[derive(sqlx::FromRow)]
struct VersionRow {
    id: Uuid,
    org_id: Uuid,
    document_id: Uuid,
    number: i64,
    status: String,
    sha256: String,
    size: i64,
    content_type: String,
    file_name: String,
    note: String,
    created_at: Ts,
    created_by: Option<Uuid>,
    submitted_at: Option<Ts>,
    submitted_by: Option<Uuid>,
    approved_at: Option<Ts>,
    approved_by: Option<Uuid>,
    closed_at: Option<Ts>,
    closed_by: Option<Uuid>,
}

impl VersionRow {
    fn into_version(self) -> Result<DocumentVersion> {
        Ok(DocumentVersion {
            id: self.id,
            org_id: self.org_id,
            document_id: self.document_id,
            number: self.number,
            status: VersionStatus::parse(&self.status)
                .map_err(|e| unreadable("status", e.message))?,
            sha256: self.sha256,
            size: self.size,
            content_type: self.content_type,
            file_name: self.file_name,
            note: self.note,
            created_at: self.created_at.0,
            created_by: self.created_by,
            submitted_at: self.submitted_at.map(|t| t.0),
            submitted_by: self.submitted_by,
            approved_at: self.approved_at.map(|t| t.0),
            approved_by: self.approved_by,
            closed_at: self.closed_at.map(|t| t.0),
            closed_by: self.closed_by,
        })
    }
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    id: Uuid,
    org_id: Uuid,
    document_id: Uuid,
    target_kind: String,
    framework: String,
    target_ref: String,
    created_at: Ts,
    created_by: Option<Uuid>,
}

impl LinkRow {
    fn into_link(self) -> Result<EvidenceLink> {
        Ok(EvidenceLink {
            id: self.id,
            org_id: self.org_id,
            document_id: self.document_id,
            target: EvidenceTarget::from_parts(
                &self.target_kind,
                &self.framework,
                &self.target_ref,
            )
            .map_err(|e| unreadable("document_evidence.target", e.message))?,
            created_at: self.created_at.0,
            created_by: self.created_by,
        })
    }
}

/// A document with the versions that matter on a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSummary {
    pub document: Document,
    /// The highest-numbered version.
    pub latest: Option<DocumentVersion>,
    /// The approved version, if any.
    pub approved: Option<DocumentVersion>,
}

impl DocumentSummary {
    /// The status shown for the document: its latest version's.
    pub fn status(&self) -> Option<VersionStatus> {
        self.latest.as_ref().map(|v| v.status)
    }
}

/// Which documents a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentFilter {
    pub doc_type: Option<DocType>,
    /// Of the latest version.
    pub status: Option<VersionStatus>,
    /// Only those whose periodic review is due on this day.
    pub review_due_on: Option<Date>,
}

impl DocumentFilter {
    pub fn matches(&self, s: &DocumentSummary) -> bool {
        self.doc_type.is_none_or(|t| s.document.doc_type == t)
            && self.status.is_none_or(|st| s.status() == Some(st))
            && self.review_due_on.is_none_or(|d| s.document.review_due(d))
    }
}

/// One approved version in the evidence index of a certification pack.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EvidenceIndexEntry {
    pub document_id: Uuid,
    pub code: String,
    pub title: String,
    pub doc_type: DocType,
    pub classification: String,
    pub version_id: Uuid,
    pub version_number: i64,
    pub file_name: String,
    pub content_type: String,
    pub sha256: String,
    pub size: i64,
    pub approved_by: Option<Uuid>,
    /// The approver's display name now (the trail keeps the id).
    pub approved_by_name: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub approved_at: Option<OffsetDateTime>,
    pub next_review: Option<Date>,
    /// What the document is evidence for, in target order.
    pub links: Vec<EvidenceTarget>,
}

/// A stored attachment as the database knows it, with the versions that name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRecord {
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    /// `POL-0001 v2` for each version naming it (in the organization asked for, or all).
    pub used_by: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct EvidenceRow {
    document_id: Uuid,
    code: String,
    title: String,
    doc_type: String,
    version_id: Option<Uuid>,
    number: Option<i64>,
    status: Option<String>,
    sha256: Option<String>,
    target_kind: String,
    framework: String,
    target_ref: String,
}

impl EvidenceRow {
    fn into_ref(self) -> Result<(EvidenceTarget, EvidenceRef)> {
        let target =
            EvidenceTarget::from_parts(&self.target_kind, &self.framework, &self.target_ref)
                .map_err(|e| unreadable("document_evidence.target", e.message))?;
        Ok((
            target,
            EvidenceRef {
                document_id: self.document_id,
                code: self.code,
                title: self.title,
                doc_type: DocType::parse(&self.doc_type)
                    .map_err(|e| unreadable("doc_type", e.message))?,
                version_number: self.number.unwrap_or(0),
                version_id: self.version_id,
                status: self
                    .status
                    .map(|s| VersionStatus::parse(&s).map_err(|e| unreadable("status", e.message)))
                    .transpose()?,
                sha256: self.sha256.unwrap_or_default(),
            },
        ))
    }
}

/// The evidence query: links matching `condition` (with `$1` the organization) and the version
/// in force of each linked document (approved first, else the highest number).
fn evidence_select(condition: &str) -> String {
    format!(
        "SELECT d.id AS document_id, d.code, d.title, d.doc_type, v.id AS version_id, v.number, v.status, v.sha256, \
         l.target_kind, l.framework, l.target_ref \
         FROM document_evidence l JOIN documents d ON d.org_id = l.org_id AND d.id = l.document_id \
         LEFT JOIN document_versions v ON v.document_id = d.id AND v.id = (\
           SELECT v2.id FROM document_versions v2 WHERE v2.document_id = d.id \
           ORDER BY CASE WHEN v2.status = 'approved' THEN 0 ELSE 1 END, v2.number DESC LIMIT 1) \
         WHERE l.org_id = $1 AND ({condition}) ORDER BY l.target_kind, l.framework, l.target_ref, d.code"
    )
}

impl Store {
    // ----- classification scheme -----

    /// The organization's classification labels (the default scheme, version 0, until set).
    pub async fn classification_scheme(&self, org_id: Uuid) -> Result<ClassificationScheme> {
        let row: Option<(String, i64)> = read!(self, p => sqlx::query_as(
            "SELECT classifications, version FROM document_settings WHERE org_id = $1"
        ).bind(org_id).fetch_optional(p).await?);
        scheme_of(org_id, row)
    }

    /// Replaces the organization's classification labels; `expected_version` is the scheme's
    /// version read (0 for the default). Labels already used by documents stay on them.
    pub async fn set_classification_scheme(
        &self,
        actor: &Actor,
        org_id: Uuid,
        expected_version: i64,
        labels: &[String],
    ) -> Result<ClassificationScheme> {
        let labels = dd::validate_classifications(labels)?;
        let mut tx = self.begin().await?;
        let row: Option<(String, i64)> = on!(&mut tx, c => sqlx::query_as(
            "SELECT classifications, version FROM document_settings WHERE org_id = $1"
        ).bind(org_id).fetch_optional(&mut *c).await?);
        let before = scheme_of(org_id, row)?;
        if before.version != expected_version {
            return Err(StoreError::Conflict {
                kind: "classification scheme",
                id: org_id.to_string(),
                expected: expected_version,
                current: before.version,
            });
        }
        let now = csms_domain::time::now();
        let json = serde_json::to_string(&labels).expect("labels serialize");
        let n = on!(&mut tx, c => sqlx::query(
            "INSERT INTO document_settings (org_id, classifications, updated_at, updated_by, version) VALUES ($1, $2, $3, $4, 1) \
             ON CONFLICT (org_id) DO UPDATE SET classifications = $2, updated_at = $3, updated_by = $4, \
             version = document_settings.version + 1 WHERE document_settings.version = $5"
        ).bind(org_id).bind(&json).bind(Ts(now)).bind(actor.user_id).bind(expected_version)
        .execute(&mut *c).await?.rows_affected());
        if n != 1 {
            return Err(StoreError::Conflict {
                kind: "classification scheme",
                id: org_id.to_string(),
                expected: expected_version,
                current: before.version + 1,
            });
        }
        let after = ClassificationScheme {
            org_id,
            labels,
            version: before.version + 1,
        };
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "update", Some(&before), Some(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    // ----- documents -----

    /// Creates a document (no version yet) with the next code of the organization.
    pub async fn create_document(
        &self,
        actor: &Actor,
        org_id: Uuid,
        new: NewDocument,
    ) -> Result<Document> {
        let mut tx = self.begin().await?;
        let new = check_document(&mut tx, org_id, new).await?;
        let n: i64 = on!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO document_counters (org_id, last_seq) VALUES ($1, 1) \
             ON CONFLICT (org_id) DO UPDATE SET last_seq = document_counters.last_seq + 1 RETURNING last_seq"
        ).bind(org_id).fetch_one(&mut *c).await?);
        let now = csms_domain::time::now();
        let doc = Document {
            id: new_id(),
            org_id,
            code: dd::code(new.doc_type, n),
            title: new.title,
            doc_type: new.doc_type,
            classification: new.classification,
            owner_id: new.owner_id,
            review_months: new.review_months,
            retention_months: new.retention_months,
            next_review: None,
            created_at: now,
            created_by: actor.user_id,
            updated_at: now,
            updated_by: actor.user_id,
            version: 1,
        };
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO documents (id, org_id, code, title, doc_type, classification, owner_id, review_months, retention_months, \
             next_review, created_at, created_by, updated_at, updated_by, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, $11, $10, $11, 1)"
        ).bind(doc.id).bind(org_id).bind(&doc.code).bind(&doc.title).bind(doc.doc_type.as_str())
        .bind(&doc.classification).bind(doc.owner_id).bind(doc.review_months).bind(doc.retention_months)
        .bind(Ts(now)).bind(actor.user_id)
        .execute(&mut *c).await?.rows_affected());
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "create", None, Some(&doc)),
        )
        .await?;
        tx.commit().await?;
        Ok(doc)
    }

    /// Changes a document's fields (not its type, which its code names). A changed review
    /// interval moves the next review date of an approved document.
    pub async fn update_document(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
        new: NewDocument,
    ) -> Result<Document> {
        let mut tx = self.begin().await?;
        let before = doc_in(&mut tx, org_id, id).await?;
        if before.version != expected_version {
            return Err(conflict(id, expected_version, before.version));
        }
        let new = check_document(&mut tx, org_id, new).await?;
        if new.doc_type != before.doc_type {
            return Err(FieldError {
                field: "doc_type",
                message: format!(
                    "{} is a {}; its type is part of its code and cannot change: create a new document instead",
                    before.code,
                    before.doc_type.as_str()
                ),
            }
            .into());
        }
        let approved = versions_in(&mut tx, org_id, id)
            .await?
            .into_iter()
            .find(|v| v.status == VersionStatus::Approved);
        let next_review = if new.review_months != before.review_months {
            approved
                .as_ref()
                .and_then(|v| v.approved_at)
                .filter(|_| new.review_months > 0)
                .map(|at| dd::add_months(at.date(), new.review_months))
        } else {
            before.next_review
        };
        let after = Document {
            title: new.title,
            classification: new.classification,
            owner_id: new.owner_id,
            review_months: new.review_months,
            retention_months: new.retention_months,
            next_review,
            updated_at: csms_domain::time::now(),
            updated_by: actor.user_id,
            version: before.version + 1,
            ..before.clone()
        };
        write_document(&mut tx, &after, expected_version).await?;
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "update", Some(&before), Some(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// One document of the organization.
    pub async fn document(&self, org_id: Uuid, id: Uuid) -> Result<Document> {
        let sql = format!("SELECT {DOC_COLUMNS} FROM documents WHERE org_id = $1 AND id = $2");
        let row: Option<DocRow> = read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(org_id).bind(id).fetch_optional(p).await?);
        row.ok_or_else(|| not_found("document", id))?
            .into_document()
    }

    /// A document by its code (`POL-0001`).
    pub async fn document_by_code(&self, org_id: Uuid, code: &str) -> Result<Document> {
        let sql = format!("SELECT {DOC_COLUMNS} FROM documents WHERE org_id = $1 AND code = $2");
        let row: Option<DocRow> = read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(org_id).bind(code).fetch_optional(p).await?);
        row.ok_or_else(|| not_found("document", code))?
            .into_document()
    }

    /// The organization's documents matching the filter, in code order, with their latest
    /// and approved versions (two queries).
    pub async fn documents(
        &self,
        org_id: Uuid,
        filter: &DocumentFilter,
    ) -> Result<Vec<DocumentSummary>> {
        let sql = format!("SELECT {DOC_COLUMNS} FROM documents WHERE org_id = $1 ORDER BY code");
        let docs: Vec<DocRow> = read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(org_id).fetch_all(p).await?);
        let vsql = format!(
            "SELECT {VERSION_COLUMNS} FROM document_versions WHERE org_id = $1 ORDER BY document_id, number"
        );
        let rows: Vec<VersionRow> = read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(vsql.clone()))
            .bind(org_id).fetch_all(p).await?);
        let mut by_doc: HashMap<Uuid, (Option<DocumentVersion>, Option<DocumentVersion>)> =
            HashMap::new();
        for r in rows {
            let v = r.into_version()?;
            let e = by_doc.entry(v.document_id).or_default();
            if v.status == VersionStatus::Approved {
                e.1 = Some(v.clone());
            }
            e.0 = Some(v);
        }
        let mut out = Vec::with_capacity(docs.len());
        for d in docs {
            let document = d.into_document()?;
            let (latest, approved) = by_doc.remove(&document.id).unwrap_or_default();
            let s = DocumentSummary {
                document,
                latest,
                approved,
            };
            if filter.matches(&s) {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Every version of a document, newest first.
    pub async fn document_versions(
        &self,
        org_id: Uuid,
        document_id: Uuid,
    ) -> Result<Vec<DocumentVersion>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM document_versions WHERE org_id = $1 AND document_id = $2 ORDER BY number DESC"
        );
        let rows: Vec<VersionRow> = read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(org_id).bind(document_id).fetch_all(p).await?);
        rows.into_iter().map(VersionRow::into_version).collect()
    }

    /// One version of a document of the organization.
    pub async fn document_version(
        &self,
        org_id: Uuid,
        document_id: Uuid,
        version_id: Uuid,
    ) -> Result<DocumentVersion> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM document_versions WHERE org_id = $1 AND document_id = $2 AND id = $3"
        );
        let row: Option<VersionRow> = read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(org_id).bind(document_id).bind(version_id).fetch_optional(p).await?);
        row.ok_or_else(|| not_found("document version", version_id))?
            .into_version()
    }

    /// Adds a version (a draft) carrying a file already written to the blob store. The trail
    /// record names the file's SHA-256, size and sniffed type. `expected_version` is the
    /// document's version read.
    #[allow(clippy::too_many_arguments)] // the version's parts, each named
    pub async fn add_document_version(
        &self,
        actor: &Actor,
        org_id: Uuid,
        document_id: Uuid,
        expected_version: i64,
        blob: &StoredBlob,
        file_name: &str,
        note: &str,
    ) -> Result<DocumentVersion> {
        let note = dd::validate_note(note)?;
        if !dd::is_sha256(&blob.sha256) {
            return Err(FieldError {
                field: "file",
                message: "the file's SHA-256 is not a lowercase hex digest".into(),
            }
            .into());
        }
        let mut tx = self.begin().await?;
        let doc = doc_in(&mut tx, org_id, document_id).await?;
        if doc.version != expected_version {
            return Err(conflict(document_id, expected_version, doc.version));
        }
        let number: i64 = on!(&mut tx, c => sqlx::query_scalar(
            "SELECT CAST(COALESCE(MAX(number), 0) + 1 AS BIGINT) FROM document_versions WHERE document_id = $1"
        ).bind(document_id).fetch_one(&mut *c).await?);
        let now = csms_domain::time::now();
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO blobs (sha256, size, content_type, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING"
        ).bind(&blob.sha256).bind(blob.size).bind(&blob.content_type).bind(Ts(now))
        .execute(&mut *c).await?.rows_affected());
        let v = DocumentVersion {
            id: new_id(),
            org_id,
            document_id,
            number,
            status: VersionStatus::Draft,
            sha256: blob.sha256.clone(),
            size: blob.size,
            content_type: blob.content_type.clone(),
            file_name: dd::sanitize_file_name(file_name),
            note,
            created_at: now,
            created_by: actor.user_id,
            submitted_at: None,
            submitted_by: None,
            approved_at: None,
            approved_by: None,
            closed_at: None,
            closed_by: None,
        };
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO document_versions (id, org_id, document_id, number, status, sha256, size, content_type, file_name, note, \
             created_at, created_by) VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $9, $10, $11)"
        ).bind(v.id).bind(org_id).bind(document_id).bind(number).bind(&v.sha256).bind(v.size)
        .bind(&v.content_type).bind(&v.file_name).bind(&v.note).bind(Ts(now)).bind(actor.user_id)
        .execute(&mut *c).await?.rows_affected());
        touch_document(&mut tx, &doc, actor, now, doc.next_review).await?;
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "upload", None, Some(&v)),
        )
        .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Moves a version through the workflow ([`dd::apply`]: the approver is never the author).
    /// Approving supersedes the approved version before it and sets the next review date.
    /// Who may ask (a manager to approve) is the caller's check; the author rule is enforced
    /// here and answered as [`StoreError::Locked`] (HTTP 409) with the rule's message.
    pub async fn transition_document_version(
        &self,
        actor: &Actor,
        org_id: Uuid,
        document_id: Uuid,
        version_id: Uuid,
        expected_version: i64,
        t: Transition,
    ) -> Result<DocumentVersion> {
        let mut tx = self.begin().await?;
        let doc = doc_in(&mut tx, org_id, document_id).await?;
        if doc.version != expected_version {
            return Err(conflict(document_id, expected_version, doc.version));
        }
        let versions = versions_in(&mut tx, org_id, document_id).await?;
        let before = versions
            .iter()
            .find(|v| v.id == version_id)
            .cloned()
            .ok_or_else(|| not_found("document version", version_id))?;
        let status = dd::apply(
            before.number,
            before.status,
            t,
            actor.user_id,
            before.created_by,
        )
        .map_err(|e| StoreError::Locked(e.to_string()))?;
        let now = csms_domain::time::now();
        let mut after = DocumentVersion {
            status,
            ..before.clone()
        };
        let mut next_review = doc.next_review;
        match t {
            Transition::Submit => {
                after.submitted_at = Some(now);
                after.submitted_by = actor.user_id;
            }
            Transition::Return => {
                after.submitted_at = None;
                after.submitted_by = None;
            }
            Transition::Approve => {
                after.approved_at = Some(now);
                after.approved_by = actor.user_id;
                if let Some(old) = versions
                    .iter()
                    .find(|v| v.status == VersionStatus::Approved)
                {
                    let closed = DocumentVersion {
                        status: VersionStatus::Superseded,
                        closed_at: Some(now),
                        closed_by: actor.user_id,
                        ..old.clone()
                    };
                    write_version(&mut tx, &closed).await?;
                    let mut change = Change::of(org_id, "supersede", Some(old), Some(&closed));
                    if let Some(obj) = change.diff.as_object_mut() {
                        obj.insert(
                            "note".into(),
                            serde_json::Value::String(format!(
                                "{} version {} was approved",
                                doc.code, before.number
                            )),
                        );
                    }
                    trail::append(&mut tx, self, actor, change).await?;
                }
                next_review =
                    (doc.review_months > 0).then(|| dd::add_months(now.date(), doc.review_months));
            }
            Transition::Withdraw => {
                after.closed_at = Some(now);
                after.closed_by = actor.user_id;
                if before.status == VersionStatus::Approved {
                    next_review = None;
                }
            }
        }
        write_version(&mut tx, &after).await?;
        let doc_after = touch_document(&mut tx, &doc, actor, now, next_review).await?;
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, t.as_str(), Some(&before), Some(&after)),
        )
        .await?;
        if doc_after.next_review != doc.next_review {
            trail::append(
                &mut tx,
                self,
                actor,
                Change::of(org_id, "schedule_review", Some(&doc), Some(&doc_after)),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    // ----- evidence links -----

    /// Links a document as evidence of a target. A risk or control must exist in the
    /// organization; the same link twice is refused as a duplicate.
    pub async fn add_evidence_link(
        &self,
        actor: &Actor,
        org_id: Uuid,
        document_id: Uuid,
        target: &EvidenceTarget,
    ) -> Result<EvidenceLink> {
        let target =
            EvidenceTarget::from_parts(target.kind(), target.framework(), &target.reference())?;
        let mut tx = self.begin().await?;
        let doc = doc_in(&mut tx, org_id, document_id).await?;
        match &target {
            EvidenceTarget::Risk(id) => check_exists(&mut tx, "risks", "risk", org_id, *id).await?,
            EvidenceTarget::Control(id) => {
                check_exists(&mut tx, "controls", "control", org_id, *id).await?
            }
            _ => {}
        }
        let link = EvidenceLink {
            id: new_id(),
            org_id,
            document_id,
            target: target.clone(),
            created_at: csms_domain::time::now(),
            created_by: actor.user_id,
        };
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO document_evidence (id, org_id, document_id, target_kind, framework, target_ref, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ).bind(link.id).bind(org_id).bind(document_id).bind(target.kind()).bind(target.framework())
        .bind(target.reference()).bind(Ts(link.created_at)).bind(actor.user_id)
        .execute(&mut *c).await
        .map_err(|e| StoreError::unique(e, "evidence link", "target", &format!("{} → {} {}", doc.code, target.kind(), target.reference())))?
        .rows_affected());
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "link", None, Some(&link)),
        )
        .await?;
        tx.commit().await?;
        Ok(link)
    }

    /// Removes an evidence link of a document.
    pub async fn remove_evidence_link(
        &self,
        actor: &Actor,
        org_id: Uuid,
        document_id: Uuid,
        link_id: Uuid,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let row: Option<LinkRow> = on!(&mut tx, c => sqlx::query_as(
            "SELECT id, org_id, document_id, target_kind, framework, target_ref, created_at, created_by \
             FROM document_evidence WHERE org_id = $1 AND document_id = $2 AND id = $3"
        ).bind(org_id).bind(document_id).bind(link_id).fetch_optional(&mut *c).await?);
        let before = row
            .ok_or_else(|| not_found("evidence link", link_id))?
            .into_link()?;
        on!(&mut tx, c => sqlx::query("DELETE FROM document_evidence WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(link_id).execute(&mut *c).await?.rows_affected());
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "unlink", Some(&before), None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The evidence links of a document, in target order.
    pub async fn evidence_links(
        &self,
        org_id: Uuid,
        document_id: Uuid,
    ) -> Result<Vec<EvidenceLink>> {
        let rows: Vec<LinkRow> = read!(self, p => sqlx::query_as(
            "SELECT id, org_id, document_id, target_kind, framework, target_ref, created_at, created_by \
             FROM document_evidence WHERE org_id = $1 AND document_id = $2 ORDER BY target_kind, framework, target_ref"
        ).bind(org_id).bind(document_id).fetch_all(p).await?);
        rows.into_iter().map(LinkRow::into_link).collect()
    }

    /// The documents linked as evidence of one target, in code order, each with its version
    /// in force (the approved one, else the latest).
    pub async fn evidence_for(
        &self,
        org_id: Uuid,
        target: &EvidenceTarget,
    ) -> Result<Vec<EvidenceRef>> {
        let sql = evidence_select("l.target_kind = $2 AND l.framework = $3 AND l.target_ref = $4");
        let rows: Vec<EvidenceRow> = read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(org_id).bind(target.kind()).bind(target.framework()).bind(target.reference())
            .fetch_all(p).await?);
        rows.into_iter()
            .map(|r| r.into_ref().map(|(_, e)| e))
            .collect()
    }

    /// Every evidence link of one kind (`requirement`, `control`, `risk`, `soa_item`,
    /// `finding`) in the organization with its document's version in force, in one query: for
    /// pages that show evidence beside many targets (the SoA, the controls register).
    pub async fn evidence_of_kind(
        &self,
        org_id: Uuid,
        kind: &str,
    ) -> Result<Vec<(EvidenceTarget, EvidenceRef)>> {
        let sql = evidence_select("l.target_kind = $2");
        let rows: Vec<EvidenceRow> = read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(org_id).bind(kind).fetch_all(p).await?);
        rows.into_iter().map(EvidenceRow::into_ref).collect()
    }

    /// The evidence index of a certification pack: every approved version with its document,
    /// approver, file and links, in code order.
    pub async fn evidence_index(&self, org_id: Uuid) -> Result<Vec<EvidenceIndexEntry>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            document_id: Uuid,
            code: String,
            title: String,
            doc_type: String,
            classification: String,
            next_review: Option<String>,
            version_id: Uuid,
            number: i64,
            file_name: String,
            content_type: String,
            sha256: String,
            size: i64,
            approved_by: Option<Uuid>,
            approved_by_name: Option<String>,
            approved_at: Option<Ts>,
        }
        let rows: Vec<Row> = read!(self, p => sqlx::query_as(
            "SELECT d.id AS document_id, d.code, d.title, d.doc_type, d.classification, d.next_review, v.id AS version_id, \
             v.number, v.file_name, v.content_type, v.sha256, v.size, v.approved_by, u.display_name AS approved_by_name, v.approved_at \
             FROM document_versions v JOIN documents d ON d.org_id = v.org_id AND d.id = v.document_id \
             LEFT JOIN users u ON u.id = v.approved_by \
             WHERE v.org_id = $1 AND v.status = 'approved' ORDER BY d.code"
        ).bind(org_id).fetch_all(p).await?);
        let links: Vec<LinkRow> = read!(self, p => sqlx::query_as(
            "SELECT id, org_id, document_id, target_kind, framework, target_ref, created_at, created_by \
             FROM document_evidence WHERE org_id = $1 ORDER BY target_kind, framework, target_ref"
        ).bind(org_id).fetch_all(p).await?);
        let mut by_doc: HashMap<Uuid, Vec<EvidenceTarget>> = HashMap::new();
        for l in links {
            let l = l.into_link()?;
            by_doc.entry(l.document_id).or_default().push(l.target);
        }
        rows.into_iter()
            .map(|r| {
                Ok(EvidenceIndexEntry {
                    links: by_doc.remove(&r.document_id).unwrap_or_default(),
                    document_id: r.document_id,
                    code: r.code,
                    title: r.title,
                    doc_type: DocType::parse(&r.doc_type)
                        .map_err(|e| unreadable("doc_type", e.message))?,
                    classification: r.classification,
                    version_id: r.version_id,
                    version_number: r.number,
                    file_name: r.file_name,
                    content_type: r.content_type,
                    sha256: r.sha256,
                    size: r.size,
                    approved_by: r.approved_by,
                    approved_by_name: r.approved_by_name.unwrap_or_default(),
                    approved_at: r.approved_at.map(|t| t.0),
                    next_review: parse_date("next_review", r.next_review)?,
                })
            })
            .collect()
    }

    /// The stored attachments the database names: those of one organization's versions, or
    /// every one, in SHA-256 order, with the versions that name each.
    pub async fn blob_records(&self, org_id: Option<Uuid>) -> Result<Vec<BlobRecord>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            sha256: String,
            size: i64,
            content_type: String,
            code: Option<String>,
            number: Option<i64>,
        }
        let rows: Vec<Row> = match org_id {
            Some(org) => read!(self, p => sqlx::query_as(
                "SELECT b.sha256, b.size, b.content_type, d.code, v.number FROM blobs b \
                 JOIN document_versions v ON v.sha256 = b.sha256 \
                 JOIN documents d ON d.org_id = v.org_id AND d.id = v.document_id \
                 WHERE v.org_id = $1 ORDER BY b.sha256, d.code, v.number"
            ).bind(org).fetch_all(p).await?),
            None => read!(self, p => sqlx::query_as(
                "SELECT b.sha256, b.size, b.content_type, d.code, v.number FROM blobs b \
                 LEFT JOIN document_versions v ON v.sha256 = b.sha256 \
                 LEFT JOIN documents d ON d.org_id = v.org_id AND d.id = v.document_id \
                 ORDER BY b.sha256, d.code, v.number"
            ).fetch_all(p).await?),
        };
        let mut out: Vec<BlobRecord> = Vec::new();
        for r in rows {
            if out.last().is_none_or(|l| l.sha256 != r.sha256) {
                out.push(BlobRecord {
                    sha256: r.sha256.clone(),
                    size: r.size,
                    content_type: r.content_type,
                    used_by: Vec::new(),
                });
            }
            if let (Some(code), Some(n), Some(last)) = (r.code, r.number, out.last_mut()) {
                last.used_by.push(format!("{code} v{n}"));
            }
        }
        Ok(out)
    }

    /// Whether any version names this content (to tell whether a blob written for a failed
    /// upload may be removed).
    pub async fn blob_in_use(&self, sha256: &str) -> Result<bool> {
        let n: Option<i64> = read!(self, p => sqlx::query_scalar(
            "SELECT CAST(1 AS BIGINT) FROM blobs WHERE sha256 = $1"
        ).bind(sha256).fetch_optional(p).await?);
        Ok(n.is_some())
    }
}

fn scheme_of(org_id: Uuid, row: Option<(String, i64)>) -> Result<ClassificationScheme> {
    Ok(match row {
        Some((json, version)) => ClassificationScheme {
            org_id,
            labels: serde_json::from_str(&json)
                .map_err(|e| unreadable("document_settings.classifications", e))?,
            version,
        },
        None => ClassificationScheme {
            org_id,
            labels: dd::default_classifications(),
            version: 0,
        },
    })
}

/// Validates a document against the organization's scheme and checks its owner is a member.
async fn check_document(tx: &mut Tx, org_id: Uuid, new: NewDocument) -> Result<NewDocument> {
    let row: Option<(String, i64)> = on!(tx, c => sqlx::query_as(
        "SELECT classifications, version FROM document_settings WHERE org_id = $1"
    ).bind(org_id).fetch_optional(&mut *c).await?);
    let scheme = scheme_of(org_id, row)?;
    let new = dd::validate_document(new, &scheme.labels)?;
    if let Some(owner) = new.owner_id {
        let member: Option<i64> = on!(tx, c => sqlx::query_scalar(
            "SELECT CAST(1 AS BIGINT) FROM memberships WHERE org_id = $1 AND user_id = $2"
        ).bind(org_id).bind(owner).fetch_optional(&mut *c).await?);
        if member.is_none() {
            return Err(FieldError {
                field: "owner_id",
                message: "the document owner must be a member of this organization".into(),
            }
            .into());
        }
    }
    Ok(new)
}

async fn check_exists(
    tx: &mut Tx,
    table: &'static str,
    what: &'static str,
    org_id: Uuid,
    id: Uuid,
) -> Result<()> {
    let sql = format!("SELECT CAST(1 AS BIGINT) FROM {table} WHERE org_id = $1 AND id = $2");
    let found: Option<i64> = on!(tx, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(org_id).bind(id).fetch_optional(&mut *c).await?);
    if found.is_none() {
        return Err(FieldError {
            field: "target_ref",
            message: format!("{what} {id} does not exist in this organization; pick one of the organization's own"),
        }
        .into());
    }
    Ok(())
}

async fn doc_in(tx: &mut Tx, org_id: Uuid, id: Uuid) -> Result<Document> {
    let sql = format!("SELECT {DOC_COLUMNS} FROM documents WHERE org_id = $1 AND id = $2");
    let row: Option<DocRow> = on!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(org_id).bind(id).fetch_optional(&mut *c).await?);
    row.ok_or_else(|| not_found("document", id))?
        .into_document()
}

async fn versions_in(tx: &mut Tx, org_id: Uuid, document_id: Uuid) -> Result<Vec<DocumentVersion>> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM document_versions WHERE org_id = $1 AND document_id = $2 ORDER BY number DESC"
    );
    let rows: Vec<VersionRow> = on!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(org_id).bind(document_id).fetch_all(&mut *c).await?);
    rows.into_iter().map(VersionRow::into_version).collect()
}

async fn write_document(tx: &mut Tx, d: &Document, expected_version: i64) -> Result<()> {
    let n = on!(tx, c => sqlx::query(
        "UPDATE documents SET title = $1, classification = $2, owner_id = $3, review_months = $4, retention_months = $5, \
         next_review = $6, updated_at = $7, updated_by = $8, version = version + 1 WHERE org_id = $9 AND id = $10 AND version = $11"
    ).bind(&d.title).bind(&d.classification).bind(d.owner_id).bind(d.review_months).bind(d.retention_months)
    .bind(date_text(d.next_review)).bind(Ts(d.updated_at)).bind(d.updated_by).bind(d.org_id).bind(d.id).bind(expected_version)
    .execute(&mut *c).await?.rows_affected());
    if n != 1 {
        let current: Option<i64> = on!(tx, c => sqlx::query_scalar("SELECT version FROM documents WHERE id = $1")
            .bind(d.id).fetch_optional(&mut *c).await?);
        return Err(conflict(d.id, expected_version, current.unwrap_or(0)));
    }
    Ok(())
}

/// Bumps a document's version (a version was added or moved) and sets its next review.
async fn touch_document(
    tx: &mut Tx,
    doc: &Document,
    actor: &Actor,
    now: OffsetDateTime,
    next_review: Option<Date>,
) -> Result<Document> {
    let after = Document {
        next_review,
        updated_at: now,
        updated_by: actor.user_id,
        version: doc.version + 1,
        ..doc.clone()
    };
    write_document(tx, &after, doc.version).await?;
    Ok(after)
}

/// Writes a version's workflow columns (its file columns never change).
async fn write_version(tx: &mut Tx, v: &DocumentVersion) -> Result<()> {
    on!(tx, c => sqlx::query(
        "UPDATE document_versions SET status = $1, submitted_at = $2, submitted_by = $3, approved_at = $4, approved_by = $5, \
         closed_at = $6, closed_by = $7 WHERE org_id = $8 AND id = $9"
    ).bind(v.status.as_str()).bind(v.submitted_at.map(Ts)).bind(v.submitted_by).bind(v.approved_at.map(Ts))
    .bind(v.approved_by).bind(v.closed_at.map(Ts)).bind(v.closed_by).bind(v.org_id).bind(v.id)
    .execute(&mut *c).await?.rows_affected());
    Ok(())
}
