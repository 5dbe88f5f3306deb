//! The controls register in the database: `controls` and its links to requirements
//! (`control_requirements`: framework id and node ref), risks, zones and assets.
//!
//! The link tables name risks, zones and assets with the organization, `(org_id, x_id)`, so
//! that another organization's rows cannot be named; deleting a risk, zone or asset drops its
//! control links (the control stays). A control named by an item of a Statement of
//! Applicability (draft or approved) cannot be deleted.
//!
//! Codes (`C-0001`) come from a per-organization counter (`control_counters`) incremented in
//! the creating transaction, as the risk register does.

use std::collections::{HashMap, HashSet};

use csms_domain::control::{Control, ControlStatus, NewControl, RequirementLink};
use csms_domain::org::FieldError;
use csms_domain::trail::{Actor, Change};
use csms_domain::{Uuid, new_id};
use sqlx::AssertSqlSafe;
use time::Date;

use crate::backup::{Col, Table};
use crate::db::{Ts, Tx, on, read};
use crate::{Result, Store, StoreError, trail};

/// The tables of this area a backup carries, parents before children.
pub(crate) const BACKUP_TABLES: &[Table] = &[
    Table {
        name: "control_counters",
        key: "org_id",
        columns: &[("org_id", Col::Uuid), ("last_seq", Col::Int)],
    },
    Table {
        name: "controls",
        key: "id",
        columns: &[
            ("id", Col::Uuid),
            ("org_id", Col::Uuid),
            ("code", Col::Text),
            ("title", Col::Text),
            ("description", Col::Text),
            ("status", Col::Text),
            ("owner_id", Col::Uuid),
            ("due_date", Col::Text),
            ("created_at", Col::Time),
            ("created_by", Col::Uuid),
            ("updated_at", Col::Time),
            ("updated_by", Col::Uuid),
            ("version", Col::Int),
        ],
    },
    Table {
        name: "control_requirements",
        key: "control_id, framework, node_ref",
        columns: &[
            ("org_id", Col::Uuid),
            ("control_id", Col::Uuid),
            ("framework", Col::Text),
            ("node_ref", Col::Text),
        ],
    },
    Table {
        name: "control_risks",
        key: "control_id, risk_id",
        columns: &[
            ("org_id", Col::Uuid),
            ("control_id", Col::Uuid),
            ("risk_id", Col::Uuid),
        ],
    },
    Table {
        name: "control_zones",
        key: "control_id, zone_id",
        columns: &[
            ("org_id", Col::Uuid),
            ("control_id", Col::Uuid),
            ("zone_id", Col::Uuid),
        ],
    },
    Table {
        name: "control_assets",
        key: "control_id, asset_id",
        columns: &[
            ("org_id", Col::Uuid),
            ("control_id", Col::Uuid),
            ("asset_id", Col::Uuid),
        ],
    },
];

/// Rows per multi-row `INSERT` or `IN (...)`.
const CHUNK: usize = 100;

const DATE_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

fn unreadable(column: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("controls.{column} holds a value this version cannot read ({e})").into(),
    ))
}

fn date_text(d: Option<Date>) -> Option<String> {
    d.and_then(|d| d.format(DATE_FORMAT).ok())
}

fn not_found(id: Uuid) -> StoreError {
    StoreError::NotFound {
        kind: "control",
        id: id.to_string(),
    }
}

fn conflict(id: Uuid, expected: i64, current: i64) -> StoreError {
    StoreError::Conflict {
        kind: "control",
        id: id.to_string(),
        expected,
        current,
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    org_id: Uuid,
    code: String,
    title: String,
    description: String,
    status: String,
    owner_id: Option<Uuid>,
    due_date: Option<String>,
    created_at: Ts,
    created_by: Option<Uuid>,
    updated_at: Ts,
    updated_by: Option<Uuid>,
    version: i64,
}

impl Row {
    fn into_control(self) -> Result<Control> {
        let status =
            ControlStatus::parse(&self.status).map_err(|e| unreadable("status", e.message))?;
        let due_date = self
            .due_date
            .filter(|t| !t.is_empty())
            .map(|t| Date::parse(&t, DATE_FORMAT).map_err(|e| unreadable("due_date", e)))
            .transpose()?;
        Ok(Control {
            id: self.id,
            org_id: self.org_id,
            code: self.code,
            title: self.title,
            description: self.description,
            status,
            owner_id: self.owner_id,
            due_date,
            requirements: Vec::new(),
            risk_ids: Vec::new(),
            zone_ids: Vec::new(),
            asset_ids: Vec::new(),
            created_at: self.created_at.0,
            created_by: self.created_by,
            updated_at: self.updated_at.0,
            updated_by: self.updated_by,
            version: self.version,
        })
    }
}

const SELECT: &str = "SELECT id, org_id, code, title, description, status, owner_id, due_date, created_at, created_by, \
     updated_at, updated_by, version FROM controls WHERE org_id = $1";

/// One link row: (control, id) for risks/zones/assets, (control, framework, ref) for
/// requirements.
#[derive(sqlx::FromRow)]
struct IdLink {
    control_id: Uuid,
    link_id: Uuid,
}

#[derive(sqlx::FromRow)]
struct ReqLink {
    control_id: Uuid,
    framework: String,
    node_ref: String,
}

/// The link queries: every link of the organization's controls matching `only` (`1 = 1`,
/// or `control_id = $2`).
fn id_link_sql(table: &str, column: &str, only: &str) -> String {
    format!(
        "SELECT control_id, {column} AS link_id FROM {table} WHERE org_id = $1 AND {only} ORDER BY control_id, {column}"
    )
}

fn attach(
    controls: &mut [Control],
    reqs: Vec<ReqLink>,
    risks: Vec<IdLink>,
    zones: Vec<IdLink>,
    assets: Vec<IdLink>,
) {
    let index: HashMap<Uuid, usize> = controls
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();
    for r in reqs {
        if let Some(&i) = index.get(&r.control_id) {
            controls[i].requirements.push(RequirementLink {
                framework: r.framework,
                node_ref: r.node_ref,
            });
        }
    }
    for (links, which) in [(risks, 0), (zones, 1), (assets, 2)] {
        for l in links {
            if let Some(&i) = index.get(&l.control_id) {
                let c = &mut controls[i];
                match which {
                    0 => c.risk_ids.push(l.link_id),
                    1 => c.zone_ids.push(l.link_id),
                    _ => c.asset_ids.push(l.link_id),
                }
            }
        }
    }
    // The database's text order depends on its collation; the order is Rust's on both.
    for c in controls {
        sort_links(c);
    }
}

/// Checks that every id names a row of `table` in the organization.
async fn check_ids(
    tx: &mut Tx,
    table: &'static str,
    field: &'static str,
    what: &'static str,
    org_id: Uuid,
    ids: &[Uuid],
) -> Result<()> {
    let mut found: HashSet<Uuid> = HashSet::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT id FROM {table} WHERE org_id = $1 AND id IN ({})",
            placeholders.join(", ")
        );
        let got: Vec<Uuid> = on!(tx, c => {
            let mut q = sqlx::query_scalar(AssertSqlSafe(sql)).bind(org_id);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(&mut *c).await?
        });
        found.extend(got);
    }
    if let Some(missing) = ids.iter().find(|id| !found.contains(id)) {
        return Err(FieldError {
            field,
            message: format!(
                "{what} {missing} does not exist in this organization; pick one of the organization's own"
            ),
        }
        .into());
    }
    Ok(())
}

async fn check_refs(tx: &mut Tx, org_id: Uuid, n: &NewControl) -> Result<()> {
    check_ids(tx, "risks", "risk_ids", "risk", org_id, &n.risk_ids).await?;
    check_ids(tx, "zones", "zone_ids", "zone", org_id, &n.zone_ids).await?;
    check_ids(tx, "assets", "asset_ids", "asset", org_id, &n.asset_ids).await?;
    if let Some(owner) = n.owner_id {
        let member: Option<i64> = on!(tx, c => sqlx::query_scalar(
            "SELECT CAST(1 AS BIGINT) FROM memberships WHERE org_id = $1 AND user_id = $2"
        ).bind(org_id).bind(owner).fetch_optional(&mut *c).await?);
        if member.is_none() {
            return Err(FieldError {
                field: "owner_id",
                message: "the control owner must be a member of this organization".into(),
            }
            .into());
        }
    }
    Ok(())
}

/// Writes the links of a control (after deleting the old ones when `replace`).
async fn write_links(tx: &mut Tx, c: &Control, replace: bool) -> Result<()> {
    if replace {
        for table in [
            "control_requirements",
            "control_risks",
            "control_zones",
            "control_assets",
        ] {
            let sql = format!("DELETE FROM {table} WHERE org_id = $1 AND control_id = $2");
            on!(tx, x => sqlx::query(AssertSqlSafe(sql)).bind(c.org_id).bind(c.id)
                .execute(&mut *x).await?.rows_affected());
        }
    }
    for chunk in c.requirements.chunks(CHUNK) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("($1, $2, ${}, ${})", 2 * i + 3, 2 * i + 4))
            .collect();
        let sql = format!(
            "INSERT INTO control_requirements (org_id, control_id, framework, node_ref) VALUES {}",
            values.join(", ")
        );
        on!(tx, x => {
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(c.org_id).bind(c.id);
            for r in chunk {
                q = q.bind(&r.framework).bind(&r.node_ref);
            }
            q.execute(&mut *x).await?.rows_affected()
        });
    }
    for (table, column, ids) in [
        ("control_risks", "risk_id", &c.risk_ids),
        ("control_zones", "zone_id", &c.zone_ids),
        ("control_assets", "asset_id", &c.asset_ids),
    ] {
        for chunk in ids.chunks(CHUNK) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("($1, $2, ${})", i + 3))
                .collect();
            let sql = format!(
                "INSERT INTO {table} (org_id, control_id, {column}) VALUES {}",
                values.join(", ")
            );
            on!(tx, x => {
                let mut q = sqlx::query(AssertSqlSafe(sql)).bind(c.org_id).bind(c.id);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(&mut *x).await?.rows_affected()
            });
        }
    }
    Ok(())
}

/// Puts the links in the order a read returns them (requirements by framework and ref, ids
/// ascending), so that what a write returns equals what a read gives.
fn sort_links(c: &mut Control) {
    c.requirements.sort();
    c.risk_ids.sort();
    c.zone_ids.sort();
    c.asset_ids.sort();
}

fn sorted_links(c: &Control) -> (Vec<RequirementLink>, Vec<Uuid>, Vec<Uuid>, Vec<Uuid>) {
    let mut r = c.requirements.clone();
    let mut a = c.risk_ids.clone();
    let mut b = c.zone_ids.clone();
    let mut d = c.asset_ids.clone();
    r.sort();
    a.sort();
    b.sort();
    d.sort();
    (r, a, b, d)
}

impl Store {
    async fn load_controls(&self, org_id: Uuid, only: Option<Uuid>) -> Result<Vec<Control>> {
        let (cond, link_cond) = match only {
            Some(_) => (" AND id = $2", "control_id = $2"),
            None => ("", "1 = 1"),
        };
        let sql = format!("{SELECT}{cond} ORDER BY code");
        let rows: Vec<Row> = read!(self, p => {
            let mut q = sqlx::query_as(AssertSqlSafe(sql)).bind(org_id);
            if let Some(id) = only { q = q.bind(id); }
            q.fetch_all(p).await?
        });
        let mut controls = rows
            .into_iter()
            .map(Row::into_control)
            .collect::<Result<Vec<_>>>()?;
        if controls.is_empty() {
            return Ok(controls);
        }
        let req_sql = format!(
            "SELECT control_id, framework, node_ref FROM control_requirements WHERE org_id = $1 AND {link_cond} ORDER BY control_id, framework, node_ref"
        );
        let reqs: Vec<ReqLink> = read!(self, p => {
            let mut q = sqlx::query_as(AssertSqlSafe(req_sql)).bind(org_id);
            if let Some(id) = only { q = q.bind(id); }
            q.fetch_all(p).await?
        });
        let mut links: Vec<Vec<IdLink>> = Vec::with_capacity(3);
        for (table, column) in [
            ("control_risks", "risk_id"),
            ("control_zones", "zone_id"),
            ("control_assets", "asset_id"),
        ] {
            let sql = id_link_sql(table, column, link_cond);
            let got: Vec<IdLink> = read!(self, p => {
                let mut q = sqlx::query_as(AssertSqlSafe(sql)).bind(org_id);
                if let Some(id) = only { q = q.bind(id); }
                q.fetch_all(p).await?
            });
            links.push(got);
        }
        let assets = links.pop().unwrap_or_default();
        let zones = links.pop().unwrap_or_default();
        let risks = links.pop().unwrap_or_default();
        attach(&mut controls, reqs, risks, zones, assets);
        Ok(controls)
    }

    /// Every control of the organization with its links, in code order.
    pub async fn controls(&self, org_id: Uuid) -> Result<Vec<Control>> {
        self.load_controls(org_id, None).await
    }

    /// One control of the organization.
    pub async fn control(&self, org_id: Uuid, id: Uuid) -> Result<Control> {
        self.load_controls(org_id, Some(id))
            .await?
            .pop()
            .ok_or_else(|| not_found(id))
    }

    /// The controls that apply to a zone (the zone's common set of countermeasures), in code
    /// order.
    pub async fn zone_controls(&self, org_id: Uuid, zone_id: Uuid) -> Result<Vec<Control>> {
        Ok(self
            .controls(org_id)
            .await?
            .into_iter()
            .filter(|c| c.zone_ids.contains(&zone_id))
            .collect())
    }

    async fn control_in(tx: &mut Tx, org_id: Uuid, id: Uuid) -> Result<Control> {
        let sql = format!("{SELECT} AND id = $2");
        let row: Option<Row> = on!(tx, c => sqlx::query_as(AssertSqlSafe(sql))
            .bind(org_id).bind(id).fetch_optional(&mut *c).await?);
        let mut control = row.ok_or_else(|| not_found(id))?.into_control()?;
        let reqs: Vec<ReqLink> = on!(tx, c => sqlx::query_as(
            "SELECT control_id, framework, node_ref FROM control_requirements WHERE org_id = $1 AND control_id = $2 ORDER BY framework, node_ref"
        ).bind(org_id).bind(id).fetch_all(&mut *c).await?);
        let mut links: Vec<Vec<IdLink>> = Vec::with_capacity(3);
        for (table, column) in [
            ("control_risks", "risk_id"),
            ("control_zones", "zone_id"),
            ("control_assets", "asset_id"),
        ] {
            let sql = id_link_sql(table, column, "control_id = $2");
            let got: Vec<IdLink> = on!(tx, c => sqlx::query_as(AssertSqlSafe(sql))
                .bind(org_id).bind(id).fetch_all(&mut *c).await?);
            links.push(got);
        }
        let assets = links.pop().unwrap_or_default();
        let zones = links.pop().unwrap_or_default();
        let risks = links.pop().unwrap_or_default();
        attach(
            std::slice::from_mut(&mut control),
            reqs,
            risks,
            zones,
            assets,
        );
        Ok(control)
    }

    /// Records a control checked by [`csms_domain::control::validate_control`] (and its
    /// requirement links checked against the catalogs by the caller), giving it the next code.
    pub async fn create_control(
        &self,
        actor: &Actor,
        org_id: Uuid,
        new: NewControl,
    ) -> Result<Control> {
        let mut tx = self.begin().await?;
        check_refs(&mut tx, org_id, &new).await?;
        let n: i64 = on!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO control_counters (org_id, last_seq) VALUES ($1, 1) \
             ON CONFLICT (org_id) DO UPDATE SET last_seq = control_counters.last_seq + 1 RETURNING last_seq"
        ).bind(org_id).fetch_one(&mut *c).await?);
        let now = csms_domain::time::now();
        let mut control = Control {
            id: new_id(),
            org_id,
            code: csms_domain::control::code(n),
            title: new.title,
            description: new.description,
            status: new.status,
            owner_id: new.owner_id,
            due_date: new.due_date,
            requirements: new.requirements,
            risk_ids: new.risk_ids,
            zone_ids: new.zone_ids,
            asset_ids: new.asset_ids,
            created_at: now,
            created_by: actor.user_id,
            updated_at: now,
            updated_by: actor.user_id,
            version: 1,
        };
        sort_links(&mut control);
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO controls (id, org_id, code, title, description, status, owner_id, due_date, created_at, created_by, \
             updated_at, updated_by, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9, $10, 1)"
        ).bind(control.id).bind(org_id).bind(&control.code).bind(&control.title).bind(&control.description)
        .bind(control.status.as_str()).bind(control.owner_id).bind(date_text(control.due_date))
        .bind(Ts(now)).bind(actor.user_id)
        .execute(&mut *c).await?.rows_affected());
        write_links(&mut tx, &control, false).await?;
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "create", None, Some(&control)),
        )
        .await?;
        tx.commit().await?;
        Ok(control)
    }

    /// Changes a control; `expected_version` is the version the caller read.
    pub async fn update_control(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
        new: NewControl,
    ) -> Result<Control> {
        let mut tx = self.begin().await?;
        let before = Self::control_in(&mut tx, org_id, id).await?;
        if before.version != expected_version {
            return Err(conflict(id, expected_version, before.version));
        }
        check_refs(&mut tx, org_id, &new).await?;
        let now = csms_domain::time::now();
        let mut after = Control {
            title: new.title,
            description: new.description,
            status: new.status,
            owner_id: new.owner_id,
            due_date: new.due_date,
            requirements: new.requirements,
            risk_ids: new.risk_ids,
            zone_ids: new.zone_ids,
            asset_ids: new.asset_ids,
            updated_at: now,
            updated_by: actor.user_id,
            version: before.version + 1,
            ..before.clone()
        };
        sort_links(&mut after);
        let changed = on!(&mut tx, c => sqlx::query(
            "UPDATE controls SET title = $1, description = $2, status = $3, owner_id = $4, due_date = $5, updated_at = $6, \
             updated_by = $7, version = version + 1 WHERE org_id = $8 AND id = $9 AND version = $10"
        ).bind(&after.title).bind(&after.description).bind(after.status.as_str()).bind(after.owner_id)
        .bind(date_text(after.due_date)).bind(Ts(now)).bind(actor.user_id).bind(org_id).bind(id).bind(expected_version)
        .execute(&mut *c).await?.rows_affected());
        if changed != 1 {
            return Err(conflict(id, expected_version, before.version + 1));
        }
        if sorted_links(&before) != sorted_links(&after) {
            write_links(&mut tx, &after, true).await?;
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

    /// Deletes a control (its links go with it); refused while an item of a Statement of
    /// Applicability (draft or approved) names it. Its code is not reused.
    pub async fn delete_control(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let before = Self::control_in(&mut tx, org_id, id).await?;
        if before.version != expected_version {
            return Err(conflict(id, expected_version, before.version));
        }
        #[derive(sqlx::FromRow)]
        struct Naming {
            framework: String,
            number: Option<i64>,
            node_ref: String,
        }
        let naming: Vec<Naming> = on!(&mut tx, c => sqlx::query_as(
            "SELECT v.framework AS framework, v.number AS number, i.node_ref AS node_ref \
             FROM soa_item_controls l JOIN soa_items i ON i.id = l.item_id JOIN soa_versions v ON v.id = i.version_id \
             WHERE l.org_id = $1 AND l.control_id = $2 ORDER BY v.framework, v.number, i.position"
        ).bind(org_id).bind(id).fetch_all(&mut *c).await?);
        if !naming.is_empty() {
            let mut places: Vec<String> = Vec::new();
            for n in &naming {
                let version = n
                    .number
                    .map_or_else(|| "draft".to_owned(), |v| format!("approved version {v}"));
                let place = format!("{} {version}", n.framework);
                if !places.contains(&place) {
                    places.push(place);
                }
            }
            let mut items: Vec<&str> = Vec::new();
            for n in &naming {
                if !items.contains(&n.node_ref.as_str()) {
                    items.push(n.node_ref.as_str());
                }
            }
            let approved = naming.iter().any(|n| n.number.is_some());
            let fix = if approved {
                "an approved statement keeps it for the record: set the control's status to retired instead"
            } else {
                "remove it from those items of the draft first"
            };
            return Err(StoreError::Locked(format!(
                "control {} is named by the Statement of Applicability ({}; items {}); {fix}",
                before.code,
                places.join(", "),
                items
                    .iter()
                    .take(10)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
            )));
        }
        for table in [
            "control_requirements",
            "control_risks",
            "control_zones",
            "control_assets",
        ] {
            let sql = format!("DELETE FROM {table} WHERE org_id = $1 AND control_id = $2");
            on!(&mut tx, x => sqlx::query(AssertSqlSafe(sql)).bind(org_id).bind(id)
                .execute(&mut *x).await?.rows_affected());
        }
        let n = on!(&mut tx, c => sqlx::query("DELETE FROM controls WHERE org_id = $1 AND id = $2 AND version = $3")
            .bind(org_id).bind(id).bind(expected_version).execute(&mut *c).await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::Locked(format!(
                    "control {} was just named by a Statement of Applicability item; reload and try again",
                    before.code
                )),
                _ => StoreError::Database(e),
            })?.rows_affected());
        if n != 1 {
            return Err(conflict(id, expected_version, before.version));
        }
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
}
