//! The risk register in the database (risks and their zones and assets).
//!
//! A risk is one row of `risks` (its ratings, triggers and acceptance as JSON; the levels as
//! columns to sort and filter on) and its zones and assets in `risk_zones` and `risk_assets`,
//! which name them with the organization, `(org_id, zone_id)`, so that another organization's
//! zone or asset cannot be named and a zone or asset a risk names cannot be deleted.
//!
//! Codes (`R-0001`) come from a per-organization counter (`risk_counters`) incremented in the
//! creating transaction: the upsert locks the counter row on PostgreSQL, so concurrent
//! creates on several instances queue instead of colliding, and a code is never reused after
//! a delete.

use std::collections::{HashMap, HashSet};
use std::fmt::Display;

use csms_domain::org::FieldError;
use csms_domain::register::{Acceptance, Rating, Risk, RiskKind, ScoredRisk, Treatment, Trigger};
use csms_domain::trail::{Actor, Change};
use csms_domain::{Uuid, new_id};
use serde::de::DeserializeOwned;
use sqlx::AssertSqlSafe;
use time::{Date, OffsetDateTime};

use crate::db::{Ts, Tx, on, read};
use crate::{Result, Store, StoreError, trail};

/// Rows per multi-row `INSERT` of links.
const LINK_CHUNK: usize = 100;

const DATE_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

fn unreadable(column: &str, e: impl Display) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("risks.{column} holds a value this version cannot read ({e})").into(),
    ))
}

fn from_json<T: DeserializeOwned>(column: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| unreadable(column, e))
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("risk values serialize to JSON")
}

fn date_text(d: Option<Date>) -> Option<String> {
    d.and_then(|d| d.format(DATE_FORMAT).ok())
}

fn parse_date(column: &str, text: Option<String>) -> Result<Option<Date>> {
    text.filter(|t| !t.is_empty())
        .map(|t| Date::parse(&t, DATE_FORMAT).map_err(|e| unreadable(column, e)))
        .transpose()
}

fn level_i64(level: usize) -> i64 {
    i64::try_from(level).unwrap_or(i64::MAX)
}

fn not_found(id: Uuid) -> StoreError {
    StoreError::NotFound {
        kind: "risk",
        id: id.to_string(),
    }
}

fn conflict(id: Uuid, expected: i64, current: i64) -> StoreError {
    StoreError::Conflict {
        kind: "risk",
        id: id.to_string(),
        expected,
        current,
    }
}

/// The risk columns, in the order of [`Row`]'s risk fields.
const RISK_COLUMNS: &[&str] = &[
    "id",
    "code",
    "title",
    "kind",
    "system_id",
    "threat_source",
    "threat_vector",
    "vulnerability",
    "scenario",
    "existing_controls",
    "inherent",
    "treatment",
    "planned_controls",
    "residual",
    "owner_id",
    "due_date",
    "review_date",
    "triggers",
    "trigger_notes",
    "acceptance",
    "method",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "version",
];

/// One row of the combined query: a risk (`part` 0, `link_id` null) or one of its zones
/// (`part` 1) or assets (`part` 2), where only `risk_id` and `link_id` are set.
#[derive(sqlx::FromRow)]
struct Row {
    part: i64,
    risk_id: Uuid,
    link_id: Option<Uuid>,
    org_id: Option<Uuid>,
    code: Option<String>,
    title: Option<String>,
    kind: Option<String>,
    system_id: Option<Uuid>,
    threat_source: Option<String>,
    threat_vector: Option<String>,
    vulnerability: Option<String>,
    scenario: Option<String>,
    existing_controls: Option<String>,
    inherent: Option<String>,
    treatment: Option<String>,
    planned_controls: Option<String>,
    residual: Option<String>,
    owner_id: Option<Uuid>,
    due_date: Option<String>,
    review_date: Option<String>,
    triggers: Option<String>,
    trigger_notes: Option<String>,
    acceptance: Option<String>,
    method: Option<String>,
    created_at: Option<Ts>,
    created_by: Option<Uuid>,
    updated_at: Option<Ts>,
    updated_by: Option<Uuid>,
    version: Option<i64>,
}

impl Row {
    fn into_risk(self) -> Result<Risk> {
        let missing = |c: &str| unreadable(c, "null");
        let kind = RiskKind::parse(self.kind.as_deref().unwrap_or_default())
            .map_err(|e| unreadable("kind", e.message))?;
        let treatment = Treatment::parse(self.treatment.as_deref().unwrap_or_default())
            .map_err(|e| unreadable("treatment", e.message))?;
        let inherent: Rating = from_json(
            "inherent",
            self.inherent
                .as_deref()
                .ok_or_else(|| missing("inherent"))?,
        )?;
        let residual: Option<Rating> = self
            .residual
            .as_deref()
            .map(|t| from_json("residual", t))
            .transpose()?;
        let triggers: Vec<Trigger> =
            from_json("triggers", self.triggers.as_deref().unwrap_or("[]"))?;
        let acceptance: Option<Acceptance> = self
            .acceptance
            .as_deref()
            .map(|t| from_json("acceptance", t))
            .transpose()?;
        Ok(Risk {
            id: self.risk_id,
            org_id: self.org_id.ok_or_else(|| missing("org_id"))?,
            code: self.code.unwrap_or_default(),
            title: self.title.unwrap_or_default(),
            kind,
            system_id: self.system_id,
            zone_ids: Vec::new(),
            asset_ids: Vec::new(),
            threat_source: self.threat_source.unwrap_or_default(),
            threat_vector: self.threat_vector.unwrap_or_default(),
            vulnerability: self.vulnerability.unwrap_or_default(),
            scenario: self.scenario.unwrap_or_default(),
            existing_controls: self.existing_controls.unwrap_or_default(),
            inherent,
            treatment,
            planned_controls: self.planned_controls.unwrap_or_default(),
            residual,
            owner_id: self.owner_id,
            due_date: parse_date("due_date", self.due_date)?,
            review_date: parse_date("review_date", self.review_date)?,
            triggers,
            trigger_notes: self.trigger_notes.unwrap_or_default(),
            acceptance,
            method: self.method.unwrap_or_default(),
            created_at: self.created_at.ok_or_else(|| missing("created_at"))?.0,
            created_by: self.created_by,
            updated_at: self.updated_at.ok_or_else(|| missing("updated_at"))?.0,
            updated_by: self.updated_by,
            version: self.version.ok_or_else(|| missing("version"))?,
        })
    }
}

/// Assembles the rows of [`fixed_select`] into risks, in code order.
fn assemble(rows: Vec<Row>) -> Result<Vec<Risk>> {
    let mut risks: Vec<Risk> = Vec::new();
    let mut links: Vec<(i64, Uuid, Uuid)> = Vec::new();
    for row in rows {
        match (row.part, row.link_id) {
            (0, _) => risks.push(row.into_risk()?),
            (part, Some(link)) => links.push((part, row.risk_id, link)),
            _ => {}
        }
    }
    let index: HashMap<Uuid, usize> = risks.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    links.sort();
    for (part, risk_id, link) in links {
        if let Some(&i) = index.get(&risk_id) {
            if part == 1 {
                risks[i].zone_ids.push(link);
            } else {
                risks[i].asset_ids.push(link);
            }
        }
    }
    risks.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(risks)
}

/// Checks that every id names a row of `table` in the organization; the error names the field
/// and the first id that does not.
async fn check_ids(
    tx: &mut Tx,
    table: &'static str,
    field: &'static str,
    what: &'static str,
    org_id: Uuid,
    ids: &[Uuid],
) -> Result<()> {
    let mut found: HashSet<Uuid> = HashSet::with_capacity(ids.len());
    for chunk in ids.chunks(LINK_CHUNK) {
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

/// Checks a risk's references: system, zones and assets in the organization, the owner a
/// member of it.
async fn check_refs(tx: &mut Tx, org_id: Uuid, s: &ScoredRisk) -> Result<()> {
    if let Some(system) = s.new.system_id {
        check_ids(tx, "systems", "system_id", "system", org_id, &[system]).await?;
    }
    check_ids(tx, "zones", "zone_ids", "zone", org_id, &s.new.zone_ids).await?;
    check_ids(tx, "assets", "asset_ids", "asset", org_id, &s.new.asset_ids).await?;
    if let Some(owner) = s.new.owner_id {
        let member: Option<i64> = on!(tx, c => sqlx::query_scalar(
            "SELECT CAST(1 AS BIGINT) FROM memberships WHERE org_id = $1 AND user_id = $2"
        ).bind(org_id).bind(owner).fetch_optional(&mut *c).await?);
        if member.is_none() {
            return Err(FieldError {
                field: "owner_id",
                message: "the risk owner must be a member of this organization".into(),
            }
            .into());
        }
    }
    Ok(())
}

/// Replaces the zones and assets of a risk.
async fn write_links(tx: &mut Tx, org_id: Uuid, risk: &Risk, replace: bool) -> Result<()> {
    if replace {
        on!(tx, c => sqlx::query("DELETE FROM risk_zones WHERE org_id = $1 AND risk_id = $2")
            .bind(org_id).bind(risk.id).execute(&mut *c).await?.rows_affected());
        on!(tx, c => sqlx::query("DELETE FROM risk_assets WHERE org_id = $1 AND risk_id = $2")
            .bind(org_id).bind(risk.id).execute(&mut *c).await?.rows_affected());
    }
    for (table, column, ids) in [
        ("risk_zones", "zone_id", &risk.zone_ids),
        ("risk_assets", "asset_id", &risk.asset_ids),
    ] {
        for chunk in ids.chunks(LINK_CHUNK) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("($1, $2, ${})", i + 3))
                .collect();
            let sql = format!(
                "INSERT INTO {table} (org_id, risk_id, {column}) VALUES {}",
                values.join(", ")
            );
            on!(tx, c => {
                let mut q = sqlx::query(AssertSqlSafe(sql)).bind(org_id).bind(risk.id);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(&mut *c).await?.rows_affected()
            });
        }
    }
    Ok(())
}

/// The risk as the store writes it from a scored input.
fn risk_from(
    id: Uuid,
    org_id: Uuid,
    code: String,
    s: ScoredRisk,
    acceptance: Option<Acceptance>,
    at: OffsetDateTime,
    actor: &Actor,
) -> Risk {
    let n = s.new;
    Risk {
        id,
        org_id,
        code,
        title: n.title,
        kind: n.kind,
        system_id: n.system_id,
        zone_ids: n.zone_ids,
        asset_ids: n.asset_ids,
        threat_source: n.threat_source,
        threat_vector: n.threat_vector,
        vulnerability: n.vulnerability,
        scenario: n.scenario,
        existing_controls: n.existing_controls,
        inherent: s.inherent,
        treatment: n.treatment,
        planned_controls: n.planned_controls,
        residual: s.residual,
        owner_id: n.owner_id,
        due_date: n.due_date,
        review_date: n.review_date,
        triggers: n.triggers,
        trigger_notes: n.trigger_notes,
        acceptance,
        method: s.method,
        created_at: at,
        created_by: actor.user_id,
        updated_at: at,
        updated_by: actor.user_id,
        version: 1,
    }
}

impl Store {
    async fn load_risks(
        &self,
        condition: &str,
        org_id: Uuid,
        arg: Option<Uuid>,
    ) -> Result<Vec<Risk>> {
        let sql = fixed_select(condition);
        let rows: Vec<Row> = read!(self, p => {
            let mut q = sqlx::query_as(AssertSqlSafe(sql)).bind(org_id);
            if let Some(a) = arg {
                q = q.bind(a);
            }
            q.fetch_all(p).await?
        });
        assemble(rows)
    }

    async fn risk_in(tx: &mut Tx, org_id: Uuid, id: Uuid) -> Result<Risk> {
        let sql = fixed_select("r.id = $2");
        let rows: Vec<Row> = on!(tx, c => sqlx::query_as(AssertSqlSafe(sql))
            .bind(org_id).bind(id).fetch_all(&mut *c).await?);
        assemble(rows)?.pop().ok_or_else(|| not_found(id))
    }

    /// Every risk of the organization with its zones and assets, in code order (one query).
    pub async fn risks(&self, org_id: Uuid) -> Result<Vec<Risk>> {
        self.load_risks("1 = 1", org_id, None).await
    }

    /// One risk of the organization.
    pub async fn risk(&self, org_id: Uuid, id: Uuid) -> Result<Risk> {
        self.load_risks("r.id = $2", org_id, Some(id))
            .await?
            .pop()
            .ok_or_else(|| not_found(id))
    }

    /// The risks that concern a zone: those naming it or one of its assets, in code order.
    pub async fn zone_risks(&self, org_id: Uuid, zone_id: Uuid) -> Result<Vec<Risk>> {
        self.load_risks(
            "r.id IN (SELECT z.risk_id FROM risk_zones z WHERE z.org_id = $1 AND z.zone_id = $2) \
             OR r.id IN (SELECT ra.risk_id FROM risk_assets ra JOIN assets a ON a.id = ra.asset_id \
             WHERE ra.org_id = $1 AND a.org_id = $1 AND a.zone_id = $2)",
            org_id,
            Some(zone_id),
        )
        .await
    }

    /// Records a risk scored by [`csms_domain::register::validate_risk`], giving it the next
    /// code of the organization.
    pub async fn create_risk(
        &self,
        actor: &Actor,
        org_id: Uuid,
        scored: ScoredRisk,
    ) -> Result<Risk> {
        let mut tx = self.begin().await?;
        check_refs(&mut tx, org_id, &scored).await?;
        let n: i64 = on!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO risk_counters (org_id, last_seq) VALUES ($1, 1) \
             ON CONFLICT (org_id) DO UPDATE SET last_seq = risk_counters.last_seq + 1 RETURNING last_seq"
        ).bind(org_id).fetch_one(&mut *c).await?);
        let now = csms_domain::time::now();
        let risk = risk_from(
            new_id(),
            org_id,
            csms_domain::register::code(n),
            scored,
            None,
            now,
            actor,
        );
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO risks (id, org_id, code, title, kind, system_id, threat_source, threat_vector, vulnerability, scenario, \
             existing_controls, inherent, inherent_level, treatment, planned_controls, residual, residual_level, level, owner_id, \
             due_date, review_date, triggers, trigger_notes, acceptance, method, created_at, created_by, updated_at, updated_by, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, NULL, $24, $25, $26, $25, $26, 1)"
        ).bind(risk.id).bind(org_id).bind(&risk.code).bind(&risk.title).bind(risk.kind.as_str()).bind(risk.system_id)
        .bind(&risk.threat_source).bind(&risk.threat_vector).bind(&risk.vulnerability).bind(&risk.scenario)
        .bind(&risk.existing_controls).bind(to_json(&risk.inherent)).bind(level_i64(risk.inherent.level))
        .bind(risk.treatment.as_str()).bind(&risk.planned_controls)
        .bind(risk.residual.as_ref().map(to_json)).bind(risk.residual.as_ref().map(|r| level_i64(r.level)))
        .bind(level_i64(risk.level())).bind(risk.owner_id)
        .bind(date_text(risk.due_date)).bind(date_text(risk.review_date))
        .bind(to_json(&risk.triggers)).bind(&risk.trigger_notes).bind(&risk.method)
        .bind(Ts(now)).bind(actor.user_id)
        .execute(&mut *c).await?.rows_affected());
        write_links(&mut tx, org_id, &risk, false).await?;
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "create", None, Some(&risk)),
        )
        .await?;
        tx.commit().await?;
        Ok(risk)
    }

    /// Changes a risk; `expected_version` is the version the caller read. An acceptance is kept
    /// only if it survives the change ([`csms_domain::register::acceptance_survives`]);
    /// otherwise it is cleared and the trail record says it lapsed.
    pub async fn update_risk(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
        scored: ScoredRisk,
    ) -> Result<Risk> {
        let mut tx = self.begin().await?;
        let before = Self::risk_in(&mut tx, org_id, id).await?;
        if before.version != expected_version {
            return Err(conflict(id, expected_version, before.version));
        }
        check_refs(&mut tx, org_id, &scored).await?;
        let keep = csms_domain::register::acceptance_survives(&before, &scored);
        let acceptance = if keep {
            before.acceptance.clone()
        } else {
            None
        };
        let lapsed = before.acceptance.is_some() && acceptance.is_none();
        let now = csms_domain::time::now();
        let after = Risk {
            created_at: before.created_at,
            created_by: before.created_by,
            version: before.version + 1,
            ..risk_from(
                id,
                org_id,
                before.code.clone(),
                scored,
                acceptance,
                now,
                actor,
            )
        };
        self.write_risk(&mut tx, &after, expected_version).await?;
        let links_changed = {
            let mut a = before.zone_ids.clone();
            let mut b = after.zone_ids.clone();
            a.sort();
            b.sort();
            let mut c = before.asset_ids.clone();
            let mut d = after.asset_ids.clone();
            c.sort();
            d.sort();
            a != b || c != d
        };
        if links_changed {
            write_links(&mut tx, org_id, &after, true).await?;
        }
        let mut change = Change::of(org_id, "update", Some(&before), Some(&after));
        if lapsed && let Some(obj) = change.diff.as_object_mut() {
            obj.insert(
                "note".into(),
                serde_json::Value::String(
                    "the acceptance lapsed: the change raised the level in force, changed the treatment or rescored the risk with another method; the risk must be accepted again".into(),
                ),
            );
        }
        trail::append(&mut tx, self, actor, change).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Writes every column of a risk (not its links) if it is still at `expected_version`.
    async fn write_risk(&self, tx: &mut Tx, r: &Risk, expected_version: i64) -> Result<()> {
        let changed = on!(tx, c => sqlx::query(
            "UPDATE risks SET title = $1, kind = $2, system_id = $3, threat_source = $4, threat_vector = $5, vulnerability = $6, \
             scenario = $7, existing_controls = $8, inherent = $9, inherent_level = $10, treatment = $11, planned_controls = $12, \
             residual = $13, residual_level = $14, level = $15, owner_id = $16, due_date = $17, review_date = $18, triggers = $19, \
             trigger_notes = $20, acceptance = $21, method = $22, updated_at = $23, updated_by = $24, version = version + 1 \
             WHERE org_id = $25 AND id = $26 AND version = $27"
        ).bind(&r.title).bind(r.kind.as_str()).bind(r.system_id).bind(&r.threat_source).bind(&r.threat_vector)
        .bind(&r.vulnerability).bind(&r.scenario).bind(&r.existing_controls)
        .bind(to_json(&r.inherent)).bind(level_i64(r.inherent.level)).bind(r.treatment.as_str()).bind(&r.planned_controls)
        .bind(r.residual.as_ref().map(to_json)).bind(r.residual.as_ref().map(|x| level_i64(x.level)))
        .bind(level_i64(r.level())).bind(r.owner_id).bind(date_text(r.due_date)).bind(date_text(r.review_date))
        .bind(to_json(&r.triggers)).bind(&r.trigger_notes).bind(r.acceptance.as_ref().map(to_json)).bind(&r.method)
        .bind(Ts(r.updated_at)).bind(r.updated_by).bind(r.org_id).bind(r.id).bind(expected_version)
        .execute(&mut *c).await?.rows_affected());
        if changed != 1 {
            let current: Option<i64> = on!(tx, c => sqlx::query_scalar("SELECT version FROM risks WHERE id = $1")
                .bind(r.id).fetch_optional(&mut *c).await?);
            return Err(conflict(r.id, expected_version, current.unwrap_or(0)));
        }
        Ok(())
    }

    /// Records an acceptance made by [`csms_domain::register::accept`] (which checks the reason
    /// and who may accept at the level in force).
    pub async fn accept_risk(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
        acceptance: Acceptance,
    ) -> Result<Risk> {
        let mut tx = self.begin().await?;
        let before = Self::risk_in(&mut tx, org_id, id).await?;
        if before.version != expected_version {
            return Err(conflict(id, expected_version, before.version));
        }
        if acceptance.level != before.level() {
            return Err(FieldError {
                field: "level",
                message: "the acceptance is for another level than the risk's level in force; reload the risk and accept it again".into(),
            }
            .into());
        }
        let after = Risk {
            acceptance: Some(acceptance),
            updated_at: csms_domain::time::now(),
            updated_by: actor.user_id,
            version: before.version + 1,
            ..before.clone()
        };
        self.write_risk(&mut tx, &after, expected_version).await?;
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "accept", Some(&before), Some(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Withdraws the acceptance of a risk.
    pub async fn revoke_acceptance(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
    ) -> Result<Risk> {
        let mut tx = self.begin().await?;
        let before = Self::risk_in(&mut tx, org_id, id).await?;
        if before.version != expected_version {
            return Err(conflict(id, expected_version, before.version));
        }
        if before.acceptance.is_none() {
            return Err(FieldError {
                field: "acceptance",
                message: format!(
                    "risk {} is not accepted; there is nothing to revoke",
                    before.code
                ),
            }
            .into());
        }
        let after = Risk {
            acceptance: None,
            updated_at: csms_domain::time::now(),
            updated_by: actor.user_id,
            version: before.version + 1,
            ..before.clone()
        };
        self.write_risk(&mut tx, &after, expected_version).await?;
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "revoke_acceptance", Some(&before), Some(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes a risk (its zone and asset links go with it). Its code is not reused.
    pub async fn delete_risk(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let before = Self::risk_in(&mut tx, org_id, id).await?;
        if before.version != expected_version {
            return Err(conflict(id, expected_version, before.version));
        }
        on!(&mut tx, c => sqlx::query("DELETE FROM risk_zones WHERE org_id = $1 AND risk_id = $2")
            .bind(org_id).bind(id).execute(&mut *c).await?.rows_affected());
        on!(&mut tx, c => sqlx::query("DELETE FROM risk_assets WHERE org_id = $1 AND risk_id = $2")
            .bind(org_id).bind(id).execute(&mut *c).await?.rows_affected());
        let n = on!(&mut tx, c => sqlx::query("DELETE FROM risks WHERE org_id = $1 AND id = $2 AND version = $3")
            .bind(org_id).bind(id).bind(expected_version).execute(&mut *c).await?.rows_affected());
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

/// The one query that reads risks with their links: the risks matching `condition` (on the
/// alias `r`, with `$1` the organization) and, in the same result, the zones (`part` 1) and
/// assets (`part` 2) of each. Every branch has `part, risk_id, link_id, org_id` and then the
/// risk columns after `id` (null in the link branches).
fn fixed_select(condition: &str) -> String {
    let rest: Vec<String> = RISK_COLUMNS[1..].iter().map(|c| format!("r.{c}")).collect();
    let nulls: Vec<String> = RISK_COLUMNS[1..]
        .iter()
        .map(|c| format!("NULL AS {c}"))
        .collect();
    let link = |part: i64, table: &str, column: &str| {
        format!(
            "SELECT CAST({part} AS BIGINT) AS part, l.risk_id AS risk_id, l.{column} AS link_id, NULL AS org_id, {} \
             FROM {table} l WHERE l.org_id = $1 AND l.risk_id IN (SELECT r.id FROM risks r WHERE r.org_id = $1 AND ({condition}))",
            nulls.join(", ")
        )
    };
    format!(
        "SELECT CAST(0 AS BIGINT) AS part, r.id AS risk_id, NULL AS link_id, r.org_id AS org_id, {} \
         FROM risks r WHERE r.org_id = $1 AND ({condition}) UNION ALL {} UNION ALL {}",
        rest.join(", "),
        link(1, "risk_zones", "zone_id"),
        link(2, "risk_assets", "asset_id"),
    )
}
