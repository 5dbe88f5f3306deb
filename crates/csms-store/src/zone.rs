//! Zone views: what a zone page needs beyond the inventory rows (its 62443-3-3 assessment),
//! and moving assets into or out of a zone several at a time.

use csms_domain::Uuid;
use csms_domain::assessment::{Assessment, AssessmentStatus};
use csms_domain::inventory::{Asset, Zone};
use csms_domain::org::FieldError;
use csms_domain::trail::{Actor, Change};

use crate::db::{Ts, on, read};
use crate::{Result, Store, StoreError, trail};

/// The most assets moved by one request.
pub const MAX_MOVE: usize = 1_000;

/// The 62443-3-3 assessment that gives a zone its SL-A.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneAssessment {
    pub assessment: Assessment,
    /// True when no assessment of the zone is approved yet and this one is still in
    /// progress: its SL-A may change.
    pub provisional: bool,
}

/// Which of a zone's assessments gives its SL-A: the latest approved one, else the latest in
/// progress (provisional); `assessments` newest first, as [`Store::zone_assessments`] gives them.
pub fn pick_zone_assessment(assessments: &[Assessment]) -> Option<ZoneAssessment> {
    let approved = assessments
        .iter()
        .filter(|a| a.status == AssessmentStatus::Approved)
        .max_by_key(|a| (a.approved_at, a.created_at));
    if let Some(a) = approved {
        return Some(ZoneAssessment {
            assessment: a.clone(),
            provisional: false,
        });
    }
    assessments
        .iter()
        .filter(|a| a.status == AssessmentStatus::InProgress)
        .max_by_key(|a| a.created_at)
        .map(|a| ZoneAssessment {
            assessment: a.clone(),
            provisional: true,
        })
}

impl Store {
    /// How many assets the organization has (all of them, whatever a list's filter).
    pub async fn org_asset_count(&self, org_id: Uuid) -> Result<i64> {
        Ok(read!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM assets WHERE org_id = $1"
        ).bind(org_id).fetch_one(p).await?))
    }

    /// How many assets of each zone sit at each Purdue level (assets without a level are not
    /// counted): `(zone, level, count)`.
    pub async fn zone_purdue_counts(&self, org_id: Uuid) -> Result<Vec<(Uuid, String, i64)>> {
        Ok(read!(self, p => sqlx::query_as(
            "SELECT zone_id, purdue_level, COUNT(*) FROM assets \
             WHERE org_id = $1 AND zone_id IS NOT NULL AND purdue_level IS NOT NULL \
             GROUP BY zone_id, purdue_level"
        ).bind(org_id).fetch_all(p).await?))
    }

    /// The assessment giving a zone its SL-A (see [`pick_zone_assessment`]), if any.
    pub async fn zone_assessment(
        &self,
        org_id: Uuid,
        zone_id: Uuid,
    ) -> Result<Option<ZoneAssessment>> {
        Ok(pick_zone_assessment(
            &self.zone_assessments(org_id, zone_id).await?,
        ))
    }

    /// Moves assets into a zone (`zone_id`), or out of any zone (`None`), all or nothing.
    /// Each item names an asset and the version the caller read; a stale version refuses the
    /// whole move with [`StoreError::Conflict`]. Every moved asset gets its own trail record.
    pub async fn move_assets(
        &self,
        actor: &Actor,
        org_id: Uuid,
        zone_id: Option<Uuid>,
        items: &[(Uuid, i64)],
    ) -> Result<Vec<Asset>> {
        if items.is_empty() {
            return Err(FieldError {
                field: "assets",
                message: "no asset was chosen; tick at least one asset".into(),
            }
            .into());
        }
        if items.len() > MAX_MOVE {
            return Err(FieldError {
                field: "assets",
                message: format!(
                    "{} assets were chosen; move at most {MAX_MOVE} at a time",
                    items.len()
                ),
            }
            .into());
        }
        let zone: Option<Zone> = match zone_id {
            Some(z) => Some(self.zone(org_id, z).await?),
            None => None,
        };
        let mut befores = Vec::with_capacity(items.len());
        for (id, _) in items {
            befores.push(self.asset(org_id, *id).await?);
        }
        let now = csms_domain::time::now();
        let mut tx = self.begin().await?;
        if let Some(z) = &zone {
            // The zone may have been deleted since it was read.
            let found: Option<i64> = on!(&mut tx, c => sqlx::query_scalar(
                "SELECT CAST(1 AS BIGINT) FROM zones WHERE org_id = $1 AND id = $2"
            ).bind(org_id).bind(z.id).fetch_optional(&mut *c).await?);
            if found.is_none() {
                return Err(StoreError::NotFound {
                    kind: "zone",
                    id: z.id.to_string(),
                });
            }
        }
        let mut out = Vec::with_capacity(items.len());
        for ((id, expected), before) in items.iter().zip(befores) {
            if before.zone_id == zone_id {
                out.push(before);
                continue;
            }
            let changed = on!(&mut tx, c => sqlx::query(
                "UPDATE assets SET zone_id = $1, updated_at = $2, updated_by = $3, version = version + 1 \
                 WHERE org_id = $4 AND id = $5 AND version = $6"
            ).bind(zone_id).bind(Ts(now)).bind(actor.user_id).bind(org_id).bind(*id).bind(*expected)
            .execute(&mut *c).await?.rows_affected());
            if changed != 1 || before.version != *expected {
                let current: Option<i64> = on!(&mut tx, c => sqlx::query_scalar(
                    "SELECT version FROM assets WHERE org_id = $1 AND id = $2"
                ).bind(org_id).bind(*id).fetch_optional(&mut *c).await?);
                return Err(StoreError::Conflict {
                    kind: "asset",
                    id: id.to_string(),
                    expected: *expected,
                    current: current.unwrap_or(0),
                });
            }
            let after = Asset {
                zone_id,
                updated_at: now,
                updated_by: actor.user_id,
                version: before.version + 1,
                ..before.clone()
            };
            trail::append(
                &mut tx,
                self,
                actor,
                Change::of(org_id, "update", Some(&before), Some(&after)),
            )
            .await?;
            out.push(after);
        }
        tx.commit().await?;
        Ok(out)
    }
}
