//! The risk method of each organization, versioned: setting a method appends a version; old
//! versions stay, so a risk scored under an earlier method reads as it was scored.

use csms_domain::assessment::validate_text;
use csms_domain::risk::RiskMethod;
use csms_domain::trail::{Actor, Audited, Change};
use csms_domain::{Uuid, new_id};
use serde::Serialize;
use time::OffsetDateTime;

use crate::db::{Ts, on, read};
use crate::{Result, Store, StoreError, trail};

/// One version of an organization's risk method.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredRiskMethod {
    /// `None` for the built-in default, before the organization sets its own.
    pub id: Option<Uuid>,
    pub org_id: Uuid,
    /// 1, 2, … for stored versions; 0 for the built-in default.
    pub seq: i64,
    pub fingerprint: String,
    /// Why it was set or changed.
    pub note: String,
    pub method: RiskMethod,
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    pub created_by: Option<Uuid>,
}

impl Audited for StoredRiskMethod {
    const KIND: &'static str = "risk_method";
    fn entity_id(&self) -> String {
        self.id.map(|i| i.to_string()).unwrap_or_default()
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    org_id: Uuid,
    seq: i64,
    method: String,
    fingerprint: String,
    note: String,
    created_at: Ts,
    created_by: Option<Uuid>,
}

impl Row {
    fn into_stored(self) -> Result<StoredRiskMethod> {
        let method: RiskMethod = serde_json::from_str(&self.method).map_err(|e| {
            StoreError::Backup(format!(
                "risk method version {} of organization {} cannot be read: {e}",
                self.seq, self.org_id
            ))
        })?;
        Ok(StoredRiskMethod {
            id: Some(self.id),
            org_id: self.org_id,
            seq: self.seq,
            fingerprint: self.fingerprint,
            note: self.note,
            method,
            created_at: Some(self.created_at.0),
            created_by: self.created_by,
        })
    }
}

const COLUMNS: &str =
    "SELECT id, org_id, seq, method, fingerprint, note, created_at, created_by FROM risk_methods";

fn default_for(org_id: Uuid) -> StoredRiskMethod {
    let method = RiskMethod::default_5x5();
    StoredRiskMethod {
        id: None,
        org_id,
        seq: 0,
        fingerprint: method.fingerprint(),
        note: String::new(),
        method,
        created_at: None,
        created_by: None,
    }
}

impl Store {
    /// The organization's current risk method: its latest version, or the built-in 5×5 default
    /// (seq 0) when it has not set one.
    pub async fn risk_method(&self, org_id: Uuid) -> Result<StoredRiskMethod> {
        let row: Option<Row> = read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{COLUMNS} WHERE org_id = $1 ORDER BY seq DESC LIMIT 1"
        ))).bind(org_id).fetch_optional(p).await?);
        match row {
            Some(r) => r.into_stored(),
            None => Ok(default_for(org_id)),
        }
    }

    /// The version of the organization's risk method with this fingerprint (the default's
    /// fingerprint gives the default), to read a risk as it was scored.
    pub async fn risk_method_by_fingerprint(
        &self,
        org_id: Uuid,
        fingerprint: &str,
    ) -> Result<StoredRiskMethod> {
        let row: Option<Row> = read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{COLUMNS} WHERE org_id = $1 AND fingerprint = $2 ORDER BY seq DESC LIMIT 1"
        ))).bind(org_id).bind(fingerprint).fetch_optional(p).await?);
        match row {
            Some(r) => r.into_stored(),
            None => {
                let d = default_for(org_id);
                if d.fingerprint == fingerprint {
                    Ok(d)
                } else {
                    Err(StoreError::NotFound {
                        kind: "risk method",
                        id: fingerprint.to_owned(),
                    })
                }
            }
        }
    }

    /// Every stored version, oldest first.
    pub async fn risk_method_history(&self, org_id: Uuid) -> Result<Vec<StoredRiskMethod>> {
        let rows: Vec<Row> = read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{COLUMNS} WHERE org_id = $1 ORDER BY seq"
        ))).bind(org_id).fetch_all(p).await?);
        rows.into_iter().map(Row::into_stored).collect()
    }

    /// Sets the organization's risk method as a new version. `expected_seq` is the version the
    /// caller read (0 for the default); if another version was set since, nothing changes and
    /// [`StoreError::Conflict`] is returned. Setting the same method again changes nothing.
    pub async fn set_risk_method(
        &self,
        actor: &Actor,
        org_id: Uuid,
        expected_seq: i64,
        method: RiskMethod,
        note: &str,
    ) -> Result<StoredRiskMethod> {
        method.validate()?;
        validate_text("note", note, 2_000)?;
        let mut tx = self.begin().await?;
        // Lock the organization row so two writers queue (PostgreSQL); SQLite serializes.
        on!(&mut tx, c => sqlx::query("UPDATE organizations SET version = version WHERE id = $1")
            .bind(org_id).execute(&mut *c).await?.rows_affected());
        let current: Option<Row> = on!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{COLUMNS} WHERE org_id = $1 ORDER BY seq DESC LIMIT 1"
        ))).bind(org_id).fetch_optional(&mut *c).await?);
        let before = match current {
            Some(r) => r.into_stored()?,
            None => default_for(org_id),
        };
        if before.seq != expected_seq {
            return Err(StoreError::Conflict {
                kind: "risk method",
                id: org_id.to_string(),
                expected: expected_seq,
                current: before.seq,
            });
        }
        let fingerprint = method.fingerprint();
        if fingerprint == before.fingerprint {
            return Ok(before);
        }
        let now = csms_domain::time::now();
        let after = StoredRiskMethod {
            id: Some(new_id()),
            org_id,
            seq: before.seq + 1,
            fingerprint,
            note: note.trim().to_owned(),
            method,
            created_at: Some(now),
            created_by: actor.user_id,
        };
        let json = serde_json::to_string(&after.method)
            .map_err(|e| StoreError::Backup(format!("the risk method cannot be written: {e}")))?;
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO risk_methods (id, org_id, seq, method, fingerprint, note, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ).bind(after.id).bind(org_id).bind(after.seq).bind(&json).bind(&after.fingerprint)
        .bind(&after.note).bind(Ts(now)).bind(actor.user_id)
        .execute(&mut *c).await?.rows_affected());
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
}
