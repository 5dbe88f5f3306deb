//! The Statement of Applicability in the database: `soa_versions` (one draft per organization
//! and framework, approved versions numbered 1, 2, ...), `soa_items` (one per item of a
//! version) and `soa_item_controls`.
//!
//! **Approved versions are immutable.** Every write to an item first moves the draft's row on
//! with `UPDATE soa_versions ... WHERE id = $1 AND state = 'draft'` in the same transaction:
//! nothing matches once the version is approved, and the write is refused with
//! [`StoreError::Locked`] (HTTP 409). On PostgreSQL that update also holds the version row's
//! lock until commit, so an item change and an approval cannot interleave; the approval names
//! the draft's row version it saw, so it approves exactly what the approver looked at.

use std::collections::{HashMap, HashSet};

use csms_domain::org::FieldError;
use csms_domain::soa::{
    Applicability, ImplStatus, ItemDecision, NewAdditional, ReasonKind, RiskRef, SoaItem, SoaState,
    SoaVersion, approval_problems, approval_refusal, validate_additional, validate_decision,
    validate_note,
};
use csms_domain::trail::{Actor, Change};
use csms_domain::{Uuid, new_id};
use sqlx::AssertSqlSafe;

use crate::backup::{Col, Table};
use crate::db::{Ts, Tx, on, read};
use crate::{Result, Store, StoreError, trail};

/// The tables of this area a backup carries, parents before children.
pub(crate) const BACKUP_TABLES: &[Table] = &[
    Table {
        name: "soa_versions",
        // Drafts are copied from approved versions (`based_on`): ids are UUIDv7, so id
        // order restores a version before the draft copied from it.
        key: "id",
        columns: &[
            ("id", Col::Uuid),
            ("org_id", Col::Uuid),
            ("framework", Col::Text),
            ("number", Col::Int),
            ("state", Col::Text),
            ("note", Col::Text),
            ("approved_at", Col::Time),
            ("approved_by", Col::Uuid),
            ("approved_by_name", Col::Text),
            ("based_on", Col::Uuid),
            ("created_at", Col::Time),
            ("created_by", Col::Uuid),
            ("updated_at", Col::Time),
            ("updated_by", Col::Uuid),
            ("version", Col::Int),
        ],
    },
    Table {
        name: "soa_items",
        key: "id",
        columns: &[
            ("id", Col::Uuid),
            ("org_id", Col::Uuid),
            ("version_id", Col::Uuid),
            ("position", Col::Int),
            ("node_ref", Col::Text),
            ("additional", Col::Bool),
            ("title", Col::Text),
            ("applicability", Col::Text),
            ("reasons", Col::Text),
            ("reason_text", Col::Text),
            ("risks", Col::Text),
            ("exclusion", Col::Text),
            ("status", Col::Text),
            ("updated_at", Col::Time),
            ("updated_by", Col::Uuid),
            ("version", Col::Int),
        ],
    },
    Table {
        name: "soa_item_controls",
        key: "item_id, control_id",
        columns: &[
            ("org_id", Col::Uuid),
            ("item_id", Col::Uuid),
            ("control_id", Col::Uuid),
        ],
    },
];

/// Rows per multi-row `INSERT` or `IN (...)`.
const CHUNK: usize = 100;

fn unreadable(column: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("soa.{column} holds a value this version cannot read ({e})").into(),
    ))
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("SoA values serialize to JSON")
}

fn version_not_found(id: Uuid) -> StoreError {
    StoreError::NotFound {
        kind: "statement of applicability version",
        id: id.to_string(),
    }
}

fn item_not_found(id: Uuid) -> StoreError {
    StoreError::NotFound {
        kind: "statement of applicability item",
        id: id.to_string(),
    }
}

/// The refusal of a write to an approved version.
fn approved_locked(v: &SoaVersion) -> StoreError {
    StoreError::Locked(format!(
        "version {} of the Statement of Applicability for {} was approved{} and cannot be changed; start a new draft (a copy of the latest approved version) and change that",
        v.number.unwrap_or_default(),
        v.framework,
        if v.approved_by_name.is_empty() {
            String::new()
        } else {
            format!(" by {}", v.approved_by_name)
        }
    ))
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    id: Uuid,
    org_id: Uuid,
    framework: String,
    number: Option<i64>,
    state: String,
    note: String,
    approved_at: Option<Ts>,
    approved_by: Option<Uuid>,
    approved_by_name: String,
    based_on: Option<Uuid>,
    created_at: Ts,
    created_by: Option<Uuid>,
    updated_at: Ts,
    updated_by: Option<Uuid>,
    version: i64,
}

impl VersionRow {
    fn into_version(self) -> Result<SoaVersion> {
        Ok(SoaVersion {
            id: self.id,
            org_id: self.org_id,
            framework: self.framework,
            number: self.number,
            state: SoaState::parse(&self.state).map_err(|e| unreadable("state", e.message))?,
            note: self.note,
            approved_at: self.approved_at.map(|t| t.0),
            approved_by: self.approved_by,
            approved_by_name: self.approved_by_name,
            based_on: self.based_on,
            created_at: self.created_at.0,
            created_by: self.created_by,
            updated_at: self.updated_at.0,
            updated_by: self.updated_by,
            version: self.version,
        })
    }
}

const VERSION_SELECT: &str = "SELECT id, org_id, framework, number, state, note, approved_at, approved_by, approved_by_name, \
     based_on, created_at, created_by, updated_at, updated_by, version FROM soa_versions WHERE org_id = $1";

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: Uuid,
    org_id: Uuid,
    version_id: Uuid,
    position: i64,
    node_ref: String,
    additional: bool,
    title: String,
    applicability: String,
    reasons: String,
    reason_text: String,
    risks: String,
    exclusion: String,
    status: String,
    updated_at: Ts,
    updated_by: Option<Uuid>,
    version: i64,
}

impl ItemRow {
    fn into_item(self) -> Result<SoaItem> {
        let reasons: Vec<ReasonKind> =
            serde_json::from_str(&self.reasons).map_err(|e| unreadable("reasons", e))?;
        let risks: Vec<RiskRef> =
            serde_json::from_str(&self.risks).map_err(|e| unreadable("risks", e))?;
        Ok(SoaItem {
            id: self.id,
            org_id: self.org_id,
            version_id: self.version_id,
            position: self.position,
            node_ref: self.node_ref,
            additional: self.additional,
            title: self.title,
            applicability: Applicability::parse(&self.applicability)
                .map_err(|e| unreadable("applicability", e.message))?,
            reasons,
            reason_text: self.reason_text,
            risks,
            exclusion: self.exclusion,
            status: ImplStatus::parse(&self.status).map_err(|e| unreadable("status", e.message))?,
            control_ids: Vec::new(),
            updated_at: self.updated_at.0,
            updated_by: self.updated_by,
            version: self.version,
        })
    }
}

const ITEM_SELECT: &str = "SELECT id, org_id, version_id, position, node_ref, additional, title, applicability, reasons, \
     reason_text, risks, exclusion, status, updated_at, updated_by, version FROM soa_items WHERE org_id = $1";

#[derive(sqlx::FromRow)]
struct ItemControl {
    item_id: Uuid,
    control_id: Uuid,
}

#[derive(sqlx::FromRow)]
struct RiskRow {
    id: Uuid,
    code: String,
    title: String,
}

fn attach_controls(items: &mut [SoaItem], links: Vec<ItemControl>) {
    let index: HashMap<Uuid, usize> = items.iter().enumerate().map(|(i, x)| (x.id, i)).collect();
    for l in links {
        if let Some(&i) = index.get(&l.item_id) {
            items[i].control_ids.push(l.control_id);
        }
    }
}

/// Inserts items (with their control links) into a version.
async fn insert_items(tx: &mut Tx, items: &[SoaItem]) -> Result<()> {
    for chunk in items.chunks(CHUNK) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = i * 15;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, 1)",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8,
                    b + 9,
                    b + 10,
                    b + 11,
                    b + 12,
                    b + 13,
                    b + 14,
                    b + 15
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO soa_items (id, org_id, version_id, position, node_ref, additional, title, applicability, reasons, \
             reason_text, risks, exclusion, status, updated_at, updated_by, version) VALUES {}",
            values.join(", ")
        );
        on!(tx, c => {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for it in chunk {
                q = q.bind(it.id).bind(it.org_id).bind(it.version_id).bind(it.position).bind(&it.node_ref)
                    .bind(it.additional).bind(&it.title).bind(it.applicability.as_str()).bind(to_json(&it.reasons))
                    .bind(&it.reason_text).bind(to_json(&it.risks)).bind(&it.exclusion).bind(it.status.as_str())
                    .bind(Ts(it.updated_at)).bind(it.updated_by);
            }
            q.execute(&mut *c).await?.rows_affected()
        });
    }
    let links: Vec<(Uuid, Uuid, Uuid)> = items
        .iter()
        .flat_map(|it| it.control_ids.iter().map(move |c| (it.org_id, it.id, *c)))
        .collect();
    write_control_links(tx, &links).await
}

async fn write_control_links(tx: &mut Tx, links: &[(Uuid, Uuid, Uuid)]) -> Result<()> {
    for chunk in links.chunks(CHUNK) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO soa_item_controls (org_id, item_id, control_id) VALUES {}",
            values.join(", ")
        );
        on!(tx, c => {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (o, i, ctl) in chunk {
                q = q.bind(*o).bind(*i).bind(*ctl);
            }
            q.execute(&mut *c).await?.rows_affected()
        });
    }
    Ok(())
}

async fn version_in(tx: &mut Tx, org_id: Uuid, id: Uuid) -> Result<SoaVersion> {
    let sql = format!("{VERSION_SELECT} AND id = $2");
    let row: Option<VersionRow> = on!(tx, c => sqlx::query_as(AssertSqlSafe(sql))
        .bind(org_id).bind(id).fetch_optional(&mut *c).await?);
    row.ok_or_else(|| version_not_found(id))?.into_version()
}

async fn items_in(tx: &mut Tx, org_id: Uuid, version_id: Uuid) -> Result<Vec<SoaItem>> {
    let sql = format!("{ITEM_SELECT} AND version_id = $2 ORDER BY position, node_ref");
    let rows: Vec<ItemRow> = on!(tx, c => sqlx::query_as(AssertSqlSafe(sql))
        .bind(org_id).bind(version_id).fetch_all(&mut *c).await?);
    let mut items = rows
        .into_iter()
        .map(ItemRow::into_item)
        .collect::<Result<Vec<_>>>()?;
    let links: Vec<ItemControl> = on!(tx, c => sqlx::query_as(
        "SELECT l.item_id AS item_id, l.control_id AS control_id FROM soa_item_controls l JOIN soa_items i ON i.id = l.item_id \
         WHERE l.org_id = $1 AND i.version_id = $2 ORDER BY l.item_id, l.control_id"
    ).bind(org_id).bind(version_id).fetch_all(&mut *c).await?);
    attach_controls(&mut items, links);
    Ok(items)
}

async fn item_in(tx: &mut Tx, org_id: Uuid, id: Uuid) -> Result<SoaItem> {
    let sql = format!("{ITEM_SELECT} AND id = $2");
    let row: Option<ItemRow> = on!(tx, c => sqlx::query_as(AssertSqlSafe(sql))
        .bind(org_id).bind(id).fetch_optional(&mut *c).await?);
    let mut item = row.ok_or_else(|| item_not_found(id))?.into_item()?;
    let links: Vec<ItemControl> = on!(tx, c => sqlx::query_as(
        "SELECT item_id, control_id FROM soa_item_controls WHERE org_id = $1 AND item_id = $2 ORDER BY control_id"
    ).bind(org_id).bind(id).fetch_all(&mut *c).await?);
    attach_controls(std::slice::from_mut(&mut item), links);
    Ok(item)
}

/// Moves the draft's row on (the lock of every item write): refuses with
/// [`StoreError::Locked`] when the version is approved.
async fn touch_draft(tx: &mut Tx, actor: &Actor, v: &SoaVersion) -> Result<()> {
    let n = on!(tx, c => sqlx::query(
        "UPDATE soa_versions SET version = version + 1, updated_at = $1, updated_by = $2 \
         WHERE org_id = $3 AND id = $4 AND state = 'draft'"
    ).bind(Ts(csms_domain::time::now())).bind(actor.user_id).bind(v.org_id).bind(v.id)
    .execute(&mut *c).await?.rows_affected());
    if n != 1 {
        let now = version_in(tx, v.org_id, v.id).await?;
        return Err(approved_locked(&now));
    }
    Ok(())
}

/// The risks as snapshots (id, code, title), in code order; an id not in the organization is
/// refused naming the item.
async fn risk_refs(tx: &mut Tx, org_id: Uuid, item: &str, ids: &[Uuid]) -> Result<Vec<RiskRef>> {
    let mut found: Vec<RiskRef> = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT id, code, title FROM risks WHERE org_id = $1 AND id IN ({})",
            placeholders.join(", ")
        );
        let rows: Vec<RiskRow> = on!(tx, c => {
            let mut q = sqlx::query_as(AssertSqlSafe(sql)).bind(org_id);
            for id in chunk { q = q.bind(*id); }
            q.fetch_all(&mut *c).await?
        });
        found.extend(rows.into_iter().map(|r| RiskRef {
            id: r.id,
            code: r.code,
            title: r.title,
        }));
    }
    let have: HashSet<Uuid> = found.iter().map(|r| r.id).collect();
    if let Some(missing) = ids.iter().find(|id| !have.contains(id)) {
        return Err(FieldError {
            field: "risk_ids",
            message: format!(
                "item {item}: risk {missing} does not exist in this organization; pick one of the register"
            ),
        }
        .into());
    }
    found.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(found)
}

async fn check_controls(tx: &mut Tx, org_id: Uuid, item: &str, ids: &[Uuid]) -> Result<()> {
    let mut found: HashSet<Uuid> = HashSet::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT id FROM controls WHERE org_id = $1 AND id IN ({})",
            placeholders.join(", ")
        );
        let got: Vec<Uuid> = on!(tx, c => {
            let mut q = sqlx::query_scalar(AssertSqlSafe(sql)).bind(org_id);
            for id in chunk { q = q.bind(*id); }
            q.fetch_all(&mut *c).await?
        });
        found.extend(got);
    }
    if let Some(missing) = ids.iter().find(|id| !found.contains(id)) {
        return Err(FieldError {
            field: "control_ids",
            message: format!(
                "item {item}: control {missing} does not exist in this organization; pick one of the controls register"
            ),
        }
        .into());
    }
    Ok(())
}

impl Store {
    /// Every version of the organization's statements for `framework` (every framework when
    /// `None`): the draft first, then approved versions newest first.
    pub async fn soa_versions(
        &self,
        org_id: Uuid,
        framework: Option<&str>,
    ) -> Result<Vec<SoaVersion>> {
        let sql = format!(
            "{VERSION_SELECT}{} ORDER BY framework, CASE WHEN state = 'draft' THEN 0 ELSE 1 END, number DESC",
            if framework.is_some() {
                " AND framework = $2"
            } else {
                ""
            }
        );
        let rows: Vec<VersionRow> = read!(self, p => {
            let mut q = sqlx::query_as(AssertSqlSafe(sql)).bind(org_id);
            if let Some(f) = framework { q = q.bind(f); }
            q.fetch_all(p).await?
        });
        rows.into_iter().map(VersionRow::into_version).collect()
    }

    /// One version of the organization's statements.
    pub async fn soa_version(&self, org_id: Uuid, id: Uuid) -> Result<SoaVersion> {
        let sql = format!("{VERSION_SELECT} AND id = $2");
        let row: Option<VersionRow> = read!(self, p => sqlx::query_as(AssertSqlSafe(sql))
            .bind(org_id).bind(id).fetch_optional(p).await?);
        row.ok_or_else(|| version_not_found(id))?.into_version()
    }

    /// The framework of the statement changed last (the one the SoA page opens), if any.
    pub async fn soa_latest_framework(&self, org_id: Uuid) -> Result<Option<String>> {
        Ok(read!(self, p => sqlx::query_scalar(
            "SELECT framework FROM soa_versions WHERE org_id = $1 ORDER BY updated_at DESC LIMIT 1"
        ).bind(org_id).fetch_optional(p).await?))
    }

    /// The items of a version in statement order, each with its controls.
    pub async fn soa_items(&self, org_id: Uuid, version_id: Uuid) -> Result<Vec<SoaItem>> {
        let sql = format!("{ITEM_SELECT} AND version_id = $2 ORDER BY position, node_ref");
        let rows: Vec<ItemRow> = read!(self, p => sqlx::query_as(AssertSqlSafe(sql))
            .bind(org_id).bind(version_id).fetch_all(p).await?);
        let mut items = rows
            .into_iter()
            .map(ItemRow::into_item)
            .collect::<Result<Vec<_>>>()?;
        let links: Vec<ItemControl> = read!(self, p => sqlx::query_as(
            "SELECT l.item_id AS item_id, l.control_id AS control_id FROM soa_item_controls l JOIN soa_items i ON i.id = l.item_id \
             WHERE l.org_id = $1 AND i.version_id = $2 ORDER BY l.item_id, l.control_id"
        ).bind(org_id).bind(version_id).fetch_all(p).await?);
        attach_controls(&mut items, links);
        Ok(items)
    }

    /// One item.
    pub async fn soa_item(&self, org_id: Uuid, id: Uuid) -> Result<SoaItem> {
        let sql = format!("{ITEM_SELECT} AND id = $2");
        let row: Option<ItemRow> = read!(self, p => sqlx::query_as(AssertSqlSafe(sql))
            .bind(org_id).bind(id).fetch_optional(p).await?);
        let mut item = row.ok_or_else(|| item_not_found(id))?.into_item()?;
        let links: Vec<ItemControl> = read!(self, p => sqlx::query_as(
            "SELECT item_id, control_id FROM soa_item_controls WHERE org_id = $1 AND item_id = $2 ORDER BY control_id"
        ).bind(org_id).bind(id).fetch_all(p).await?);
        attach_controls(std::slice::from_mut(&mut item), links);
        Ok(item)
    }

    /// Starts the draft of the organization's statement for `framework`: a copy of the latest
    /// approved version (with `candidates` it lacks added as undecided items), or, without
    /// one, one undecided item per candidate (the framework's refs, from
    /// [`csms_domain::soa::candidates`]). Refused when a draft exists already.
    pub async fn start_soa_draft(
        &self,
        actor: &Actor,
        org_id: Uuid,
        framework: &str,
        candidates: &[String],
    ) -> Result<SoaVersion> {
        if candidates.is_empty() {
            return Err(FieldError {
                field: "framework",
                message: format!(
                    "framework {framework} has no controls or requirements a statement can list; choose another"
                ),
            }
            .into());
        }
        let mut tx = self.begin().await?;
        let existing: Option<Uuid> = on!(&mut tx, c => sqlx::query_scalar(
            "SELECT id FROM soa_versions WHERE org_id = $1 AND framework = $2 AND state = 'draft'"
        ).bind(org_id).bind(framework).fetch_optional(&mut *c).await?);
        if existing.is_some() {
            return Err(StoreError::Duplicate {
                kind: "statement of applicability draft",
                field: "framework",
                value: framework.to_owned(),
            });
        }
        let latest: Option<Uuid> = on!(&mut tx, c => sqlx::query_scalar(
            "SELECT id FROM soa_versions WHERE org_id = $1 AND framework = $2 AND state = 'approved' ORDER BY number DESC LIMIT 1"
        ).bind(org_id).bind(framework).fetch_optional(&mut *c).await?);
        let now = csms_domain::time::now();
        let draft = SoaVersion {
            id: new_id(),
            org_id,
            framework: framework.to_owned(),
            number: None,
            state: SoaState::Draft,
            note: String::new(),
            approved_at: None,
            approved_by: None,
            approved_by_name: String::new(),
            based_on: latest,
            created_at: now,
            created_by: actor.user_id,
            updated_at: now,
            updated_by: actor.user_id,
            version: 1,
        };
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO soa_versions (id, org_id, framework, number, state, note, approved_at, approved_by, approved_by_name, \
             based_on, created_at, created_by, updated_at, updated_by, version) \
             VALUES ($1, $2, $3, NULL, 'draft', '', NULL, NULL, '', $4, $5, $6, $5, $6, 1)"
        ).bind(draft.id).bind(org_id).bind(framework).bind(latest).bind(Ts(now)).bind(actor.user_id)
        .execute(&mut *c).await.map_err(|e| StoreError::unique(e, "statement of applicability draft", "framework", framework))?
        .rows_affected());
        let mut items: Vec<SoaItem> = match latest {
            Some(v) => items_in(&mut tx, org_id, v).await?,
            None => Vec::new(),
        };
        let have: HashSet<String> = items.iter().map(|i| i.node_ref.clone()).collect();
        let mut position = items.iter().map(|i| i.position).max().unwrap_or(0);
        for r in candidates {
            if !have.contains(r) {
                position += 1;
                items.push(SoaItem {
                    id: Uuid::nil(),
                    org_id,
                    version_id: draft.id,
                    position,
                    node_ref: r.clone(),
                    additional: false,
                    title: String::new(),
                    applicability: Applicability::Undecided,
                    reasons: Vec::new(),
                    reason_text: String::new(),
                    risks: Vec::new(),
                    exclusion: String::new(),
                    status: ImplStatus::NotStarted,
                    control_ids: Vec::new(),
                    updated_at: now,
                    updated_by: actor.user_id,
                    version: 1,
                });
            }
        }
        for it in &mut items {
            it.id = new_id();
            it.version_id = draft.id;
            it.updated_at = now;
            it.updated_by = actor.user_id;
            it.version = 1;
        }
        insert_items(&mut tx, &items).await?;
        let mut change = Change::of(org_id, "start_draft", None, Some(&draft));
        if let Some(obj) = change.diff.as_object_mut() {
            obj.insert("items".into(), serde_json::json!(items.len()));
        }
        trail::append(&mut tx, self, actor, change).await?;
        tx.commit().await?;
        Ok(draft)
    }

    /// Records the decision on an item of the draft; `expected_version` is the item version
    /// the caller read. Checked with [`validate_decision`] (every message names the item);
    /// refused with [`StoreError::Locked`] when the version is approved. The linked risks are
    /// kept as snapshots (code and title as they are now).
    pub async fn update_soa_item(
        &self,
        actor: &Actor,
        org_id: Uuid,
        item_id: Uuid,
        expected_version: i64,
        decision: ItemDecision,
    ) -> Result<SoaItem> {
        let mut tx = self.begin().await?;
        let before = item_in(&mut tx, org_id, item_id).await?;
        let v = version_in(&mut tx, org_id, before.version_id).await?;
        touch_draft(&mut tx, actor, &v).await?;
        if before.version != expected_version {
            return Err(StoreError::Conflict {
                kind: "statement of applicability item",
                id: before.node_ref.clone(),
                expected: expected_version,
                current: before.version,
            });
        }
        let d = validate_decision(&before.node_ref, decision)?;
        let risks = risk_refs(&mut tx, org_id, &before.node_ref, &d.risk_ids).await?;
        check_controls(&mut tx, org_id, &before.node_ref, &d.control_ids).await?;
        let after = SoaItem {
            applicability: d.applicability,
            reasons: d.reasons,
            reason_text: d.reason_text,
            risks,
            exclusion: d.exclusion,
            status: d.status,
            control_ids: d.control_ids,
            updated_at: csms_domain::time::now(),
            updated_by: actor.user_id,
            version: before.version + 1,
            ..before.clone()
        };
        let n = on!(&mut tx, c => sqlx::query(
            "UPDATE soa_items SET applicability = $1, reasons = $2, reason_text = $3, risks = $4, exclusion = $5, status = $6, \
             updated_at = $7, updated_by = $8, version = version + 1 WHERE org_id = $9 AND id = $10 AND version = $11"
        ).bind(after.applicability.as_str()).bind(to_json(&after.reasons)).bind(&after.reason_text).bind(to_json(&after.risks))
        .bind(&after.exclusion).bind(after.status.as_str()).bind(Ts(after.updated_at)).bind(actor.user_id)
        .bind(org_id).bind(item_id).bind(expected_version)
        .execute(&mut *c).await?.rows_affected());
        if n != 1 {
            return Err(StoreError::Conflict {
                kind: "statement of applicability item",
                id: before.node_ref.clone(),
                expected: expected_version,
                current: before.version + 1,
            });
        }
        let mut old = before.control_ids.clone();
        let mut new = after.control_ids.clone();
        old.sort();
        new.sort();
        if old != new {
            on!(&mut tx, c => sqlx::query("DELETE FROM soa_item_controls WHERE org_id = $1 AND item_id = $2")
                .bind(org_id).bind(item_id).execute(&mut *c).await?.rows_affected());
            let links: Vec<(Uuid, Uuid, Uuid)> = after
                .control_ids
                .iter()
                .map(|c| (org_id, item_id, *c))
                .collect();
            write_control_links(&mut tx, &links).await?;
        }
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

    /// Adds one of the organization's own controls to the draft (after the framework's items).
    pub async fn add_soa_item(
        &self,
        actor: &Actor,
        org_id: Uuid,
        version_id: Uuid,
        new: NewAdditional,
    ) -> Result<SoaItem> {
        let mut tx = self.begin().await?;
        let v = version_in(&mut tx, org_id, version_id).await?;
        touch_draft(&mut tx, actor, &v).await?;
        let items = items_in(&mut tx, org_id, version_id).await?;
        let refs: Vec<&str> = items.iter().map(|i| i.node_ref.as_str()).collect();
        let a = validate_additional(new, &refs)?;
        let now = csms_domain::time::now();
        let item = SoaItem {
            id: new_id(),
            org_id,
            version_id,
            position: items.iter().map(|i| i.position).max().unwrap_or(0) + 1,
            node_ref: a.node_ref,
            additional: true,
            title: a.title,
            applicability: Applicability::Undecided,
            reasons: Vec::new(),
            reason_text: String::new(),
            risks: Vec::new(),
            exclusion: String::new(),
            status: ImplStatus::NotStarted,
            control_ids: Vec::new(),
            updated_at: now,
            updated_by: actor.user_id,
            version: 1,
        };
        insert_items(&mut tx, std::slice::from_ref(&item)).await?;
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "create", None, Some(&item)),
        )
        .await?;
        tx.commit().await?;
        Ok(item)
    }

    /// Removes one of the organization's own items from the draft (the framework's items are
    /// decided, not removed).
    pub async fn remove_soa_item(
        &self,
        actor: &Actor,
        org_id: Uuid,
        item_id: Uuid,
        expected_version: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let before = item_in(&mut tx, org_id, item_id).await?;
        let v = version_in(&mut tx, org_id, before.version_id).await?;
        touch_draft(&mut tx, actor, &v).await?;
        if before.version != expected_version {
            return Err(StoreError::Conflict {
                kind: "statement of applicability item",
                id: before.node_ref.clone(),
                expected: expected_version,
                current: before.version,
            });
        }
        if !before.additional {
            return Err(FieldError {
                field: "node_ref",
                message: format!(
                    "item {} comes from the framework and stays in the statement; mark it excluded with a justification instead",
                    before.node_ref
                ),
            }
            .into());
        }
        on!(&mut tx, c => sqlx::query("DELETE FROM soa_item_controls WHERE org_id = $1 AND item_id = $2")
            .bind(org_id).bind(item_id).execute(&mut *c).await?.rows_affected());
        on!(&mut tx, c => sqlx::query("DELETE FROM soa_items WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(item_id).execute(&mut *c).await?.rows_affected());
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "delete", Some(&before), None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Approves the draft as the next version number: `expected_version` is the draft's row
    /// version the approver saw (any item change since moves it on: 409). Refused, naming
    /// them, while items are undecided. The caller checks the approver's role.
    pub async fn approve_soa(
        &self,
        actor: &Actor,
        approver_name: &str,
        org_id: Uuid,
        version_id: Uuid,
        expected_version: i64,
        note: &str,
    ) -> Result<SoaVersion> {
        let note = validate_note(note)?;
        let mut tx = self.begin().await?;
        let before = version_in(&mut tx, org_id, version_id).await?;
        if !before.is_draft() {
            return Err(approved_locked(&before));
        }
        if before.version != expected_version {
            return Err(StoreError::Conflict {
                kind: "statement of applicability draft",
                id: before.framework.clone(),
                expected: expected_version,
                current: before.version,
            });
        }
        let items = items_in(&mut tx, org_id, version_id).await?;
        let undecided = approval_problems(&items);
        if !undecided.is_empty() {
            return Err(FieldError {
                field: "items",
                message: approval_refusal(&undecided),
            }
            .into());
        }
        let last: Option<i64> = on!(&mut tx, c => sqlx::query_scalar(
            "SELECT MAX(number) FROM soa_versions WHERE org_id = $1 AND framework = $2"
        ).bind(org_id).bind(&before.framework).fetch_one(&mut *c).await?);
        let now = csms_domain::time::now();
        let after = SoaVersion {
            number: Some(last.unwrap_or(0) + 1),
            state: SoaState::Approved,
            note,
            approved_at: Some(now),
            approved_by: actor.user_id,
            approved_by_name: approver_name.to_owned(),
            updated_at: now,
            updated_by: actor.user_id,
            version: before.version + 1,
            ..before.clone()
        };
        let n = on!(&mut tx, c => sqlx::query(
            "UPDATE soa_versions SET number = $1, state = 'approved', note = $2, approved_at = $3, approved_by = $4, \
             approved_by_name = $5, updated_at = $3, updated_by = $4, version = version + 1 \
             WHERE org_id = $6 AND id = $7 AND version = $8 AND state = 'draft'"
        ).bind(after.number).bind(&after.note).bind(Ts(now)).bind(actor.user_id).bind(approver_name)
        .bind(org_id).bind(version_id).bind(expected_version)
        .execute(&mut *c).await.map_err(|e| StoreError::unique(e, "statement of applicability version", "number", &after.number.unwrap_or_default().to_string()))?
        .rows_affected());
        if n != 1 {
            let now = version_in(&mut tx, org_id, version_id).await?;
            return Err(if now.is_draft() {
                StoreError::Conflict {
                    kind: "statement of applicability draft",
                    id: before.framework.clone(),
                    expected: expected_version,
                    current: now.version,
                }
            } else {
                approved_locked(&now)
            });
        }
        let mut change = Change::of(org_id, "approve", Some(&before), Some(&after));
        if let Some(obj) = change.diff.as_object_mut() {
            let applicable = items
                .iter()
                .filter(|i| i.applicability == Applicability::Applicable)
                .count();
            obj.insert(
                "items".into(),
                serde_json::json!({ "total": items.len(), "applicable": applicable, "excluded": items.len() - applicable }),
            );
        }
        trail::append(&mut tx, self, actor, change).await?;
        tx.commit().await?;
        Ok(after)
    }
}
