//! Logical backup and restore, portable between SQLite and PostgreSQL.
//!
//! A backup is one file of JSON lines read in one consistent snapshot of the database:
//!
//! ```text
//! {"format":"opencsms-backup","format_version":1,"schema_version":1,"backend":"sqlite","created_at":"..."}
//! {"table":"organizations","columns":["id","slug",...]}
//! {"row":["0192...","kashima-plant",...]}
//! ...
//! {"end":{"rows":{"organizations":1,...},"sha256":"<hex of every byte before this line>"}}
//! ```
//!
//! Attachments follow the tables when the backup is made with the attachment store
//! ([`Store::backup_with`]): for every row of `blobs`, a line `{"blob":"<sha256>","size":N}`
//! and then its bytes as base64 lines `{"chunk":"..."}` (48 KiB each), streamed from the store.
//! They are covered by the closing checksum like every other line, and the closing line counts
//! them (`"blobs": N`). Restore writes each attachment back to the configured store while the
//! file is read and checks that its bytes hash to its name; a backup made without attachments
//! restores the rows only (`csms evidence verify` then lists the missing files).
//!
//! The closing checksum catches a truncated or edited file before anything is restored.
//! Restore goes into an empty database in one transaction and checks, before committing, that
//! every table has the row count the backup declares and that the trail verifies with this
//! installation's key.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use csms_domain::Uuid;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::db::{Ts, Tx, on};
use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Col {
    Uuid,
    Text,
    Int,
    Bool,
    Time,
}

/// A table a backup carries: its name, the column it is ordered by, and its columns.
pub(crate) struct Table {
    pub(crate) name: &'static str,
    pub(crate) key: &'static str,
    pub(crate) columns: &'static [(&'static str, Col)],
}

use Col::*;

/// Every table of the schema, parents before children, in groups: the tables below and those
/// of later areas, which declare theirs in their own module (`BACKUP_TABLES`). A test checks
/// that the tables match the schema, so a new table cannot be left out of backups.
const GROUPS: &[&[Table]] = &[
    CORE,
    crate::control::BACKUP_TABLES,
    crate::soa::BACKUP_TABLES,
    crate::document::BACKUP_TABLES,
];

/// Every table a backup carries, in restore order.
fn tables() -> impl Iterator<Item = &'static Table> {
    GROUPS.iter().flat_map(|g| g.iter())
}

const CORE: &[Table] = &[
    Table {
        name: "organizations",
        key: "id",
        columns: &[
            ("id", Uuid),
            ("slug", Text),
            ("name", Text),
            ("description", Text),
            ("timezone", Text),
            ("created_at", Time),
            ("created_by", Uuid),
            ("updated_at", Time),
            ("updated_by", Uuid),
            ("version", Int),
        ],
    },
    Table {
        name: "users",
        key: "id",
        columns: &[
            ("id", Uuid),
            ("username", Text),
            ("display_name", Text),
            ("email", Text),
            ("password_hash", Text),
            ("locale", Text),
            ("must_change_password", Bool),
            ("disabled_at", Time),
            ("created_at", Time),
            ("created_by", Uuid),
            ("updated_at", Time),
            ("updated_by", Uuid),
            ("version", Int),
            ("timezone", Text),
        ],
    },
    Table {
        name: "memberships",
        key: "id",
        columns: &[
            ("id", Uuid),
            ("org_id", Uuid),
            ("user_id", Uuid),
            ("role", Text),
            ("created_at", Time),
            ("created_by", Uuid),
            ("updated_at", Time),
            ("updated_by", Uuid),
            ("version", Int),
        ],
    },
    Table {
        name: "sessions",
        key: "id",
        columns: &[
            ("id", Uuid),
            ("token_hash", Text),
            ("user_id", Uuid),
            ("org_id", Uuid),
            ("csrf_token", Text),
            ("created_at", Time),
            ("last_seen_at", Time),
            ("expires_at", Time),
            ("client_ip", Text),
            ("user_agent", Text),
            ("rotate", Bool),
        ],
    },
    Table {
        name: "api_tokens",
        key: "id",
        columns: &[
            ("id", Uuid),
            ("org_id", Uuid),
            ("user_id", Uuid),
            ("name", Text),
            ("token_hash", Text),
            ("role", Text),
            ("expires_at", Time),
            ("revoked_at", Time),
            ("last_used_at", Time),
            ("created_at", Time),
            ("created_by", Uuid),
        ],
    },
    Table {
        name: "org_catalogs",
        key: "id",
        columns: &[
            ("id", Uuid),
            ("org_id", Uuid),
            ("kind", Text),
            ("ref_id", Text),
            ("name_ja", Text),
            ("name_en", Text),
            ("source_name", Text),
            ("content", Text),
            ("content_sha256", Text),
            ("node_count", Int),
            ("created_at", Time),
            ("created_by", Uuid),
            ("updated_at", Time),
            ("updated_by", Uuid),
            ("version", Int),
        ],
    },
    Table {
        name: "licensed_wording",
        key: "id",
        columns: &[
            ("id", Uuid),
            ("org_id", Uuid),
            ("framework_id", Text),
            ("node_ref", Text),
            ("lang", Text),
            ("body", Text),
            ("source", Text),
            ("created_at", Time),
            ("created_by", Uuid),
            ("updated_at", Time),
            ("updated_by", Uuid),
            ("version", Int),
        ],
    },
    Table {
        name: "sites",
        key: "id",
        columns: &[
            ("id", Uuid),
            ("org_id", Uuid),
            ("name", Text),
            ("location", Text),
            ("description", Text),
            ("created_at", Time),
            ("created_by", Uuid),
            ("updated_at", Time),
            ("updated_by", Uuid),
            ("version", Int),
        ],
    },
    Table {
        name: "systems",
        key: "id",
        columns: &[
            ("id", Uuid),
            ("org_id", Uuid),
            ("site_id", Uuid),
            ("name", Text),
            ("description", Text),
            ("owner_id", Uuid),
            ("criticality", Text),
            ("created_at", Time),
            ("created_by", Uuid),
            ("updated_at", Time),
            ("updated_by", Uuid),
            ("version", Int),
        ],
    },
    Table {
        name: "zones",
        key: "id",
        columns: &[
            ("id", Uuid),
            ("org_id", Uuid),
            ("name", Text),
            ("description", Text),
            ("system_id", Uuid),
            ("sl_t", Text),
            ("sl_t_proposed", Text),
            ("sl_t_justification", Text),
            ("created_at", Time),
            ("created_by", Uuid),
            ("updated_at", Time),
            ("updated_by", Uuid),
            ("version", Int),
        ],
    },
    Table {
        name: "conduits",
        key: "id",
        columns: &[
            ("id", Uuid),
            ("org_id", Uuid),
            ("name", Text),
            ("from_zone_id", Uuid),
            ("to_zone_id", Uuid),
            ("channels", Text),
            ("description", Text),
            ("created_at", Time),
            ("created_by", Uuid),
            ("updated_at", Time),
            ("updated_by", Uuid),
            ("version", Int),
        ],
    },
    Table {
        name: "assets",
        key: "id",
        columns: &[
            ("id", Uuid),
            ("org_id", Uuid),
            ("asset_tag", Text),
            ("name", Text),
            ("asset_type", Text),
            ("vendor", Text),
            ("product_family", Text),
            ("model", Text),
            ("order_number", Text),
            ("firmware_version", Text),
            ("serial_number", Text),
            ("purdue_level", Text),
            ("location", Text),
            ("interfaces", Text),
            ("search", Text),
            ("protocols", Text),
            ("criticality", Text),
            ("owner_id", Uuid),
            ("system_id", Uuid),
            ("zone_id", Uuid),
            ("lifecycle", Text),
            ("sl_c", Text),
            ("custom", Text),
            ("created_at", Time),
            ("created_by", Uuid),
            ("updated_at", Time),
            ("updated_by", Uuid),
            ("version", Int),
        ],
    },
    Table {
        name: "assessments",
        key: "id",
        columns: &[
            ("id", Uuid),
            ("org_id", Uuid),
            ("framework_id", Text),
            ("title", Text),
            ("scope", Text),
            ("period_start", Text),
            ("period_end", Text),
            ("assessors", Text),
            ("status", Text),
            ("approved_at", Time),
            ("approved_by", Uuid),
            ("approval_note", Text),
            ("created_at", Time),
            ("created_by", Uuid),
            ("updated_at", Time),
            ("updated_by", Uuid),
            ("version", Int),
            ("zone_id", Uuid),
        ],
    },
    Table {
        name: "assessment_results",
        key: "id",
        columns: &[
            ("id", Uuid),
            ("assessment_id", Uuid),
            ("node_ref", Text),
            ("outcome", Text),
            ("maturity", Int),
            ("notes", Text),
            ("owner_id", Uuid),
            ("due_date", Text),
            ("created_at", Time),
            ("created_by", Uuid),
            ("updated_at", Time),
            ("updated_by", Uuid),
            ("version", Int),
        ],
    },
    Table {
        name: "evidence_links",
        key: "id",
        columns: &[
            ("id", Uuid),
            ("assessment_id", Uuid),
            ("node_ref", Text),
            ("label", Text),
            ("location", Text),
            ("created_at", Time),
            ("created_by", Uuid),
        ],
    },
    Table {
        name: "assessment_progress",
        key: "assessment_id, day",
        columns: &[
            ("assessment_id", Uuid),
            ("day", Text),
            ("total", Int),
            ("conformant", Int),
            ("partial", Int),
            ("nonconformant", Int),
            ("not_applicable", Int),
            ("not_assessed", Int),
        ],
    },
    Table {
        name: "risk_methods",
        key: "id",
        columns: &[
            ("id", Uuid),
            ("org_id", Uuid),
            ("seq", Int),
            ("method", Text),
            ("fingerprint", Text),
            ("note", Text),
            ("created_at", Time),
            ("created_by", Uuid),
        ],
    },
    Table {
        name: "risk_counters",
        key: "org_id",
        columns: &[("org_id", Uuid), ("last_seq", Int)],
    },
    Table {
        name: "risks",
        key: "id",
        columns: &[
            ("id", Uuid),
            ("org_id", Uuid),
            ("code", Text),
            ("title", Text),
            ("kind", Text),
            ("system_id", Uuid),
            ("threat_source", Text),
            ("threat_vector", Text),
            ("vulnerability", Text),
            ("scenario", Text),
            ("existing_controls", Text),
            ("inherent", Text),
            ("inherent_level", Int),
            ("treatment", Text),
            ("planned_controls", Text),
            ("residual", Text),
            ("residual_level", Int),
            ("level", Int),
            ("owner_id", Uuid),
            ("due_date", Text),
            ("review_date", Text),
            ("triggers", Text),
            ("trigger_notes", Text),
            ("acceptance", Text),
            ("method", Text),
            ("created_at", Time),
            ("created_by", Uuid),
            ("updated_at", Time),
            ("updated_by", Uuid),
            ("version", Int),
        ],
    },
    Table {
        name: "risk_zones",
        key: "risk_id, zone_id",
        columns: &[("org_id", Uuid), ("risk_id", Uuid), ("zone_id", Uuid)],
    },
    Table {
        name: "risk_assets",
        key: "risk_id, asset_id",
        columns: &[("org_id", Uuid), ("risk_id", Uuid), ("asset_id", Uuid)],
    },
    Table {
        name: "trail",
        key: "chain_id, seq",
        columns: &[
            ("id", Uuid),
            ("chain_id", Uuid),
            ("seq", Int),
            ("at", Time),
            ("actor_id", Uuid),
            ("actor", Text),
            ("entity_kind", Text),
            ("entity_id", Text),
            ("action", Text),
            ("diff", Text),
            ("prev_hash", Text),
            ("hash", Text),
        ],
    },
    Table {
        name: "login_throttle",
        key: "key",
        columns: &[
            ("key", Text),
            ("failures", Int),
            ("window_start", Time),
            ("locked_until", Time),
        ],
    },
    Table {
        name: "trail_heads",
        key: "chain_id",
        columns: &[("chain_id", Uuid), ("seq", Int), ("hash", Text)],
    },
];

/// The names of the tables a backup carries, in restore order.
pub fn table_names() -> Vec<&'static str> {
    tables().map(|t| t.name).collect()
}

/// The columns a backup carries for a table.
pub fn table_columns(table: &str) -> Vec<&'static str> {
    tables()
        .filter(|t| t.name == table)
        .flat_map(|t| t.columns.iter().map(|c| c.0))
        .collect()
}

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub schema_version: i64,
    pub rows: BTreeMap<String, i64>,
}

const PAGE: i64 = 2_000;

/// Raw bytes per attachment line (64 KiB of base64).
const BLOB_CHUNK: usize = 48 * 1024;

/// Completes the attachment being restored: its bytes must hash to its name.
async fn finish_blob(
    blob: Option<(String, Option<crate::blob::BlobWriter>)>,
    line: usize,
) -> Result<()> {
    let Some((sha, Some(w))) = blob else {
        return Ok(());
    };
    let stored = w.finish().await.map_err(|e| {
        StoreError::Backup(format!(
            "cannot restore attachment {sha} (before line {line}): {e}"
        ))
    })?;
    if stored.sha256 != sha {
        return Err(StoreError::Backup(format!(
            "attachment {sha} in the backup hashes to {} (before line {line}); the backup is damaged",
            stored.sha256
        )));
    }
    Ok(())
}

struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> HashingWriter<W> {
    fn line(&mut self, v: &Value) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec(v).expect("JSON values serialize");
        bytes.push(b'\n');
        self.hasher.update(&bytes);
        self.inner.write_all(&bytes)
    }
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Backup(format!("cannot write the backup: {e}"))
}

fn bad(line: usize, what: impl std::fmt::Display) -> StoreError {
    StoreError::Backup(format!(
        "the backup file is not valid at line {line}: {what}; use a file written by `csms backup`, complete and unmodified"
    ))
}

impl Store {
    /// Writes a backup of every table, read in one consistent snapshot while the application
    /// keeps running.
    pub async fn backup_to(&self, out: impl Write) -> Result<BackupSummary> {
        self.backup_with(out, None).await
    }

    /// Writes a backup of every table and, with `blobs`, every attachment the `blobs` table
    /// names (read from the attachment store and checked against its SHA-256).
    pub async fn backup_with(
        &self,
        out: impl Write,
        blobs: Option<&crate::blob::BlobStore>,
    ) -> Result<BackupSummary> {
        let schema_version = self.check_current().await?.database;
        let mut w = HashingWriter {
            inner: std::io::BufWriter::new(out),
            hasher: Sha256::new(),
        };
        w.line(&json!({
            "format": "opencsms-backup",
            "format_version": 1,
            "schema_version": schema_version,
            "backend": self.backend().as_str(),
            "created_at": csms_domain::time::format_canonical(csms_domain::time::now()),
        }))
        .map_err(io)?;
        let mut tx = self.begin_snapshot().await?;
        let mut rows = BTreeMap::new();
        for table in tables() {
            let names: Vec<&str> = table.columns.iter().map(|c| c.0).collect();
            w.line(&json!({"table": table.name, "columns": names}))
                .map_err(io)?;
            let sql = format!(
                "SELECT {} FROM {} ORDER BY {} LIMIT $1 OFFSET $2",
                names.join(", "),
                table.name,
                table.key
            );
            let mut count = 0i64;
            loop {
                let page = export_page(&mut tx, &sql, table, PAGE, count).await?;
                let n = page.len() as i64;
                for row in page {
                    w.line(&json!({ "row": row })).map_err(io)?;
                }
                count += n;
                if n < PAGE {
                    break;
                }
            }
            rows.insert(table.name.to_owned(), count);
        }
        let names: Vec<String> = on!(&mut tx, c => sqlx::query_scalar("SELECT sha256 FROM blobs ORDER BY sha256")
            .fetch_all(&mut *c).await?);
        drop(tx);
        let mut blob_count = 0i64;
        if let Some(store) = blobs {
            use base64::Engine;
            use futures_util::StreamExt;
            for sha in &names {
                let mut stream = store.open(sha).await.map_err(|e| {
                    StoreError::Backup(format!(
                        "cannot back up attachment {sha}: {e}; run `csms evidence verify` and restore the file first"
                    ))
                })?;
                let mut hasher = Sha256::new();
                let mut size = 0u64;
                let mut pending: Vec<u8> = Vec::new();
                let mut chunks: Vec<String> = Vec::new();
                w.line(&json!({"blob": sha})).map_err(io)?;
                while let Some(part) = stream.next().await {
                    let part = part.map_err(|e| {
                        StoreError::Backup(format!("cannot read attachment {sha}: {e}"))
                    })?;
                    hasher.update(&part);
                    size += part.len() as u64;
                    pending.extend_from_slice(&part);
                    while pending.len() >= BLOB_CHUNK {
                        let rest = pending.split_off(BLOB_CHUNK);
                        chunks.push(base64::engine::general_purpose::STANDARD.encode(&pending));
                        pending = rest;
                    }
                    for c in chunks.drain(..) {
                        w.line(&json!({ "chunk": c })).map_err(io)?;
                    }
                }
                if !pending.is_empty() {
                    w.line(&json!({ "chunk": base64::engine::general_purpose::STANDARD.encode(&pending) }))
                        .map_err(io)?;
                }
                if hex::encode(hasher.finalize()) != *sha {
                    return Err(StoreError::Backup(format!(
                        "attachment {sha} was altered in the store ({size} bytes that hash otherwise); run `csms evidence verify`, restore the file, then back up again"
                    )));
                }
                blob_count += 1;
            }
        }
        let digest = hex::encode(w.hasher.clone().finalize());
        let end = json!({"end": {"rows": rows, "blobs": blob_count, "sha256": digest}});
        let mut bytes = serde_json::to_vec(&end).expect("JSON values serialize");
        bytes.push(b'\n');
        w.inner.write_all(&bytes).map_err(io)?;
        w.inner.flush().map_err(io)?;
        Ok(BackupSummary {
            schema_version,
            rows,
        })
    }

    /// Restores a backup into this database, which must be empty (migrated, no rows).
    pub async fn restore_from(&self, input: impl BufRead) -> Result<BackupSummary> {
        self.restore_with(input, None).await
    }

    /// Restores a backup; with `blobs`, the attachments it carries are written back to that
    /// store as the file is read, each checked against its SHA-256.
    pub async fn restore_with(
        &self,
        input: impl BufRead,
        blobs: Option<&crate::blob::BlobStore>,
    ) -> Result<BackupSummary> {
        let status = self.check_current().await?;
        for (table, n) in self.row_counts().await? {
            if n > 0 {
                return Err(StoreError::Backup(format!(
                    "the target database is not empty (table {table} has {n} rows); restore into a new, empty database"
                )));
            }
        }
        // Read and check the whole file before touching the database.
        let mut hasher = Sha256::new();
        let mut lines: Vec<Value> = Vec::new();
        let mut end: Option<Value> = None;
        // The attachment being restored: its name and writer.
        let mut blob: Option<(String, Option<crate::blob::BlobWriter>)> = None;
        let mut blob_count = 0i64;
        for (i, line) in input.lines().enumerate() {
            let line = line.map_err(|e| bad(i + 1, e))?;
            if end.is_some() {
                return Err(bad(i + 1, "text after the closing line"));
            }
            let v: Value = serde_json::from_str(&line).map_err(|e| bad(i + 1, e))?;
            if let Some(e) = v.get("end") {
                end = Some(e.clone());
                finish_blob(blob.take(), i + 1).await?;
                continue;
            }
            hasher.update(line.as_bytes());
            hasher.update(b"\n");
            if let Some(sha) = v.get("blob").and_then(Value::as_str) {
                finish_blob(blob.take(), i + 1).await?;
                if !csms_domain::document::is_sha256(sha) {
                    return Err(bad(i + 1, "an attachment line without a SHA-256"));
                }
                let writer = match blobs {
                    Some(b) => Some(b.writer_with_limit(u64::MAX).await.map_err(|e| {
                        StoreError::Backup(format!("cannot restore attachment {sha}: {e}"))
                    })?),
                    None => None,
                };
                blob = Some((sha.to_owned(), writer));
                blob_count += 1;
            } else if let Some(chunk) = v.get("chunk").and_then(Value::as_str) {
                use base64::Engine;
                let Some((sha, writer)) = blob.as_mut() else {
                    return Err(bad(i + 1, "attachment content before its attachment line"));
                };
                if let Some(w) = writer.as_mut() {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(chunk)
                        .map_err(|e| bad(i + 1, e))?;
                    w.write(&bytes).await.map_err(|e| {
                        StoreError::Backup(format!("cannot restore attachment {sha}: {e}"))
                    })?;
                }
            } else {
                finish_blob(blob.take(), i + 1).await?;
                lines.push(v);
            }
        }
        let end = end.ok_or_else(|| {
            bad(
                lines.len() + 1,
                "the closing line is missing (the file is truncated)",
            )
        })?;
        if end.get("sha256").and_then(Value::as_str) != Some(&hex::encode(hasher.finalize())) {
            return Err(bad(
                lines.len() + 1,
                "the checksum does not match the content (the file was changed or damaged)",
            ));
        }
        let header = lines.first().ok_or_else(|| bad(1, "no header"))?;
        if header.get("format").and_then(Value::as_str) != Some("opencsms-backup")
            || header.get("format_version").and_then(Value::as_i64) != Some(1)
        {
            return Err(bad(1, "not an OpenCSMS backup (format version 1)"));
        }
        let schema_version = header
            .get("schema_version")
            .and_then(Value::as_i64)
            .ok_or_else(|| bad(1, "no schema_version"))?;
        if schema_version != status.database {
            return Err(StoreError::Backup(format!(
                "the backup has schema version {schema_version} but this database has {}; restore with the OpenCSMS version that wrote the backup, then upgrade",
                status.database
            )));
        }
        let declared: BTreeMap<String, i64> =
            serde_json::from_value(end.get("rows").cloned().unwrap_or(Value::Null))
                .map_err(|e| bad(lines.len() + 1, e))?;

        let mut tx = self.begin().await?;
        let mut current: Option<(&Table, String)> = None;
        let mut counts: BTreeMap<String, i64> = BTreeMap::new();
        for (i, v) in lines.iter().enumerate().skip(1) {
            let lineno = i + 1;
            if let Some(name) = v.get("table").and_then(Value::as_str) {
                let table = tables()
                    .find(|t| t.name == name)
                    .ok_or_else(|| bad(lineno, format!("unknown table {name}")))?;
                let cols: Vec<String> =
                    serde_json::from_value(v["columns"].clone()).map_err(|e| bad(lineno, e))?;
                let expected: Vec<&str> = table.columns.iter().map(|c| c.0).collect();
                if cols != expected {
                    return Err(bad(
                        lineno,
                        format!("columns of {name} differ from this schema"),
                    ));
                }
                let placeholders: Vec<String> = (1..=cols.len()).map(|n| format!("${n}")).collect();
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES ({})",
                    table.name,
                    expected.join(", "),
                    placeholders.join(", ")
                );
                counts.insert(name.to_owned(), 0);
                current = Some((table, sql));
            } else if let Some(row) = v.get("row").and_then(Value::as_array) {
                let (table, sql) = current
                    .as_ref()
                    .ok_or_else(|| bad(lineno, "a row before any table"))?;
                import_row(&mut tx, sql, table, row)
                    .await
                    .map_err(|e| bad(lineno, e))?;
                *counts.get_mut(table.name).expect("table counted") += 1;
            } else {
                return Err(bad(lineno, "neither a table nor a row"));
            }
        }
        for table in tables() {
            let got = counts.get(table.name).copied().unwrap_or(0);
            let want = declared.get(table.name).copied().unwrap_or(0);
            if got != want {
                return Err(StoreError::Backup(format!(
                    "table {} has {got} rows in the file but the backup declares {want}; the backup is incomplete",
                    table.name
                )));
            }
        }
        if let Some(want) = end.get("blobs").and_then(Value::as_i64)
            && want != blob_count
        {
            return Err(StoreError::Backup(format!(
                "the file carries {blob_count} attachments but the backup declares {want}; the backup is incomplete"
            )));
        }
        tx.commit().await?;
        if let Err(e) = self.verify_trail().await {
            return Err(StoreError::Backup(format!(
                "the data was restored but its trail does not verify with this installation's trail key ({e}); install the trail key of the installation that made the backup (trail.key)"
            )));
        }
        Ok(BackupSummary {
            schema_version,
            rows: counts,
        })
    }

    /// Number of rows in every table a backup carries.
    pub async fn row_counts(&self) -> Result<BTreeMap<String, i64>> {
        let mut out = BTreeMap::new();
        let mut tx = self.begin_snapshot().await?;
        for t in tables() {
            let sql = format!("SELECT COUNT(*) FROM {}", t.name);
            let n: i64 = on!(&mut tx, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *c).await?);
            out.insert(t.name.to_owned(), n);
        }
        Ok(out)
    }

    /// The names of the application's tables as the database reports them (to check that
    /// backups cover the schema).
    pub async fn schema_tables(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = match &self.db {
            crate::db::Db::Sqlite { reader, .. } => sqlx::query_scalar(
                // Ordinary tables only: a full-text index (a virtual table and its shadow
                // tables) is derived from its content table and rebuilt by its triggers.
                "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
            )
            .fetch_all(reader)
            .await?,
            crate::db::Db::Postgres(pool) => sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'",
            )
            .fetch_all(pool)
            .await?,
        };
        names.sort();
        Ok(names)
    }

    /// The columns of a table as the database reports them, sorted.
    pub async fn schema_columns(&self, table: &str) -> Result<Vec<String>> {
        let mut names: Vec<String> = match &self.db {
            crate::db::Db::Sqlite { reader, .. } => {
                sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
                    .bind(table)
                    .fetch_all(reader)
                    .await?
            }
            crate::db::Db::Postgres(pool) => sqlx::query_scalar(
                "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
            )
            .bind(table)
            .fetch_all(pool)
            .await?,
        };
        names.sort();
        Ok(names)
    }
}

async fn export_page(
    tx: &mut Tx,
    sql: &str,
    table: &Table,
    limit: i64,
    offset: i64,
) -> Result<Vec<Vec<Value>>> {
    on!(tx, c => {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *c)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut values = Vec::with_capacity(table.columns.len());
            for (i, (_, col)) in table.columns.iter().enumerate() {
                values.push(match col {
                    Col::Uuid => json!(row.try_get::<Option<Uuid>, _>(i)?.map(|u| u.to_string())),
                    Col::Text => json!(row.try_get::<Option<String>, _>(i)?),
                    Col::Int => json!(row.try_get::<Option<i64>, _>(i)?),
                    Col::Bool => json!(row.try_get::<Option<bool>, _>(i)?),
                    Col::Time => json!(row
                        .try_get::<Option<Ts>, _>(i)?
                        .map(|t| csms_domain::time::format_canonical(t.0))),
                });
            }
            out.push(values);
        }
        Ok(out)
    })
}

async fn import_row(tx: &mut Tx, sql: &str, table: &Table, row: &[Value]) -> Result<(), String> {
    if row.len() != table.columns.len() {
        return Err(format!(
            "a row of {} has {} values, expected {}",
            table.name,
            row.len(),
            table.columns.len()
        ));
    }
    on!(tx, c => {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        for ((name, col), v) in table.columns.iter().zip(row) {
            let wrong = || format!("column {}.{name} holds {v}, which is not a {col:?}", table.name);
            q = match (col, v) {
                (Col::Uuid, Value::Null) => q.bind(None::<Uuid>),
                (Col::Uuid, Value::String(s)) => q.bind(Some(Uuid::parse_str(s).map_err(|_| wrong())?)),
                (Col::Text, Value::Null) => q.bind(None::<String>),
                (Col::Text, Value::String(s)) => q.bind(Some(s.clone())),
                (Col::Int, Value::Null) => q.bind(None::<i64>),
                (Col::Int, Value::Number(n)) => q.bind(Some(n.as_i64().ok_or_else(wrong)?)),
                (Col::Bool, Value::Null) => q.bind(None::<bool>),
                (Col::Bool, Value::Bool(b)) => q.bind(Some(*b)),
                (Col::Time, Value::Null) => q.bind(None::<Ts>),
                (Col::Time, Value::String(s)) => q.bind(Some(Ts(
                    csms_domain::time::parse_canonical(s).map_err(|_| wrong())?,
                ))),
                _ => return Err(wrong()),
            };
        }
        q.execute(&mut *c).await.map_err(|e| format!("{} row not inserted: {e}", table.name))?;
        Ok(())
    })
}
