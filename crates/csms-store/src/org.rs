//! Organizations.

use csms_domain::org::{Organization, OrganizationPatch, validate_name, validate_slug};
use csms_domain::trail::{Actor, Change};
use csms_domain::{Uuid, new_id};

use crate::db::{Ts, on, read};
use crate::{Result, Store, StoreError, trail};

#[derive(sqlx::FromRow)]
struct OrgRow {
    id: Uuid,
    slug: String,
    name: String,
    description: String,
    timezone: String,
    created_at: Ts,
    created_by: Option<Uuid>,
    updated_at: Ts,
    updated_by: Option<Uuid>,
    version: i64,
}

impl From<OrgRow> for Organization {
    fn from(r: OrgRow) -> Self {
        Organization {
            id: r.id,
            slug: r.slug,
            name: r.name,
            description: r.description,
            timezone: r.timezone,
            created_at: r.created_at.0,
            created_by: r.created_by,
            updated_at: r.updated_at.0,
            updated_by: r.updated_by,
            version: r.version,
        }
    }
}

/// What is needed to create an organization.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub timezone: String,
}

impl Store {
    /// Creates an organization; its trail chain starts with this record.
    pub async fn create_organization(
        &self,
        actor: &Actor,
        new: NewOrganization,
    ) -> Result<Organization> {
        validate_slug(&new.slug)?;
        validate_name("name", &new.name)?;
        let now = csms_domain::time::now();
        let org = Organization {
            id: new_id(),
            slug: new.slug,
            name: new.name.trim().to_owned(),
            description: new.description,
            timezone: new.timezone,
            created_at: now,
            created_by: actor.user_id,
            updated_at: now,
            updated_by: actor.user_id,
            version: 1,
        };
        let mut tx = self.begin().await?;
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO organizations (id, slug, name, description, timezone, created_at, created_by, updated_at, updated_by, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        )
        .bind(org.id)
        .bind(&org.slug)
        .bind(&org.name)
        .bind(&org.description)
        .bind(&org.timezone)
        .bind(Ts(org.created_at))
        .bind(org.created_by)
        .bind(Ts(org.updated_at))
        .bind(org.updated_by)
        .bind(org.version)
        .execute(&mut *c)
        .await
        .map_err(|e| StoreError::unique(e, "organization", "slug", &org.slug))?.rows_affected());
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org.id, "create", None, Some(&org)),
        )
        .await?;
        tx.commit().await?;
        Ok(org)
    }

    pub async fn organization(&self, id: Uuid) -> Result<Organization> {
        let row: Option<OrgRow> = read!(self, p => sqlx::query_as(
            "SELECT id, slug, name, description, timezone, created_at, created_by, updated_at, updated_by, version \
             FROM organizations WHERE id = $1"
        ).bind(id).fetch_optional(p).await?);
        row.map(Into::into).ok_or_else(|| StoreError::NotFound {
            kind: "organization",
            id: id.to_string(),
        })
    }

    pub async fn organization_by_slug(&self, slug: &str) -> Result<Organization> {
        let row: Option<OrgRow> = read!(self, p => sqlx::query_as(
            "SELECT id, slug, name, description, timezone, created_at, created_by, updated_at, updated_by, version \
             FROM organizations WHERE slug = $1"
        ).bind(slug).fetch_optional(p).await?);
        row.map(Into::into).ok_or_else(|| StoreError::NotFound {
            kind: "organization",
            id: slug.to_owned(),
        })
    }

    pub async fn organizations(&self) -> Result<Vec<Organization>> {
        let rows: Vec<OrgRow> = read!(self, p => sqlx::query_as(
            "SELECT id, slug, name, description, timezone, created_at, created_by, updated_at, updated_by, version \
             FROM organizations ORDER BY slug"
        ).fetch_all(p).await?);
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Updates an organization's profile. `expected_version` is the version the caller read;
    /// if the row has moved on, nothing changes and [`StoreError::Conflict`] is returned.
    pub async fn update_organization(
        &self,
        actor: &Actor,
        id: Uuid,
        expected_version: i64,
        patch: OrganizationPatch,
    ) -> Result<Organization> {
        if let Some(name) = &patch.name {
            validate_name("name", name)?;
        }
        if let Some(tz) = &patch.timezone {
            validate_name("timezone", tz)?;
        }
        let mut tx = self.begin().await?;
        let row: Option<OrgRow> = on!(&mut tx, c => sqlx::query_as(
            "SELECT id, slug, name, description, timezone, created_at, created_by, updated_at, updated_by, version \
             FROM organizations WHERE id = $1"
        ).bind(id).fetch_optional(&mut *c).await?);
        let before: Organization = row
            .ok_or_else(|| StoreError::NotFound {
                kind: "organization",
                id: id.to_string(),
            })?
            .into();
        let conflict = |current| StoreError::Conflict {
            kind: "organization",
            id: id.to_string(),
            expected: expected_version,
            current,
        };
        if before.version != expected_version {
            return Err(conflict(before.version));
        }
        let mut after = before.clone();
        if let Some(v) = patch.name {
            after.name = v.trim().to_owned();
        }
        if let Some(v) = patch.description {
            after.description = v;
        }
        if let Some(v) = patch.timezone {
            after.timezone = v;
        }
        after.updated_at = csms_domain::time::now();
        after.updated_by = actor.user_id;
        after.version = before.version + 1;
        let changed = on!(&mut tx, c => sqlx::query(
            "UPDATE organizations SET name = $1, description = $2, timezone = $3, updated_at = $4, updated_by = $5, version = version + 1 \
             WHERE id = $6 AND version = $7"
        )
        .bind(&after.name)
        .bind(&after.description)
        .bind(&after.timezone)
        .bind(Ts(after.updated_at))
        .bind(after.updated_by)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *c)
        .await?
        .rows_affected());
        if changed != 1 {
            // Another writer committed between our read and our update (PostgreSQL re-checks
            // the version after waiting for its row lock).
            let current: i64 = on!(&mut tx, c => sqlx::query_scalar(
                "SELECT version FROM organizations WHERE id = $1"
            ).bind(id).fetch_one(&mut *c).await?);
            return Err(conflict(current));
        }
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(id, "update", Some(&before), Some(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
