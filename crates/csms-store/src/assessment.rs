//! Imported catalogs, licensed wording, conformance assessments, their results, evidence links
//! and progress.

use std::collections::HashMap;

use csms_domain::assessment::{
    Assessment, AssessmentStatus, EvidenceLink, Outcome, RequirementResult, ResultInput, Tally,
    validate_ref, validate_text,
};
use csms_domain::org::FieldError;
use csms_domain::trail::{Actor, Audited, Change};
use csms_domain::{Uuid, new_id};
use serde::Serialize;
use time::OffsetDateTime;

use crate::db::{Ts, Tx, on, read};
use crate::{Result, Store, StoreError, trail};

// ---------------------------------------------------------------------------------------
// Imported catalogs

/// A framework or mapping set an organization imported (without its content).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct OrgCatalog {
    pub id: Uuid,
    pub org_id: Uuid,
    /// `framework` or `mapping`.
    pub kind: String,
    /// The framework or mapping-set id.
    pub ref_id: String,
    pub name_ja: String,
    pub name_en: String,
    /// The file it came from.
    pub source_name: String,
    pub content_sha256: String,
    pub node_count: i64,
    #[sqlx(try_from = "Ts")]
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    pub version: i64,
}

impl Audited for OrgCatalog {
    const KIND: &'static str = "catalog";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

impl From<Ts> for OffsetDateTime {
    fn from(t: Ts) -> Self {
        t.0
    }
}

/// What is stored for an imported framework or mapping set.
#[derive(Debug, Clone)]
pub struct NewOrgCatalog {
    pub kind: &'static str,
    pub ref_id: String,
    pub name_ja: String,
    pub name_en: String,
    pub source_name: String,
    /// The checked catalog or mapping set as JSON.
    pub content: String,
    pub node_count: i64,
}

const CATALOG_COLUMNS: &str = "id, org_id, kind, ref_id, name_ja, name_en, source_name, content_sha256, node_count, created_at, created_by, version";

impl Store {
    /// Stores an imported framework or mapping set. One with the same id is replaced only when
    /// `replace` is set (its version goes up); otherwise the import is refused as a duplicate.
    pub async fn save_org_catalog(
        &self,
        actor: &Actor,
        org_id: Uuid,
        new: NewOrgCatalog,
        replace: bool,
    ) -> Result<OrgCatalog> {
        let mut saved = self
            .save_org_catalogs(actor, org_id, vec![new], replace)
            .await?;
        Ok(saved.remove(0))
    }

    /// Stores everything one imported file holds, in one transaction: all or nothing.
    pub async fn save_org_catalogs(
        &self,
        actor: &Actor,
        org_id: Uuid,
        items: Vec<NewOrgCatalog>,
        replace: bool,
    ) -> Result<Vec<OrgCatalog>> {
        let mut tx = self.begin().await?;
        let mut out = Vec::with_capacity(items.len());
        for new in items {
            out.push(
                self.save_one_catalog(&mut tx, actor, org_id, new, replace)
                    .await?,
            );
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn save_one_catalog(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        org_id: Uuid,
        new: NewOrgCatalog,
        replace: bool,
    ) -> Result<OrgCatalog> {
        let sha = crate::auth::secret_hash(&new.content);
        let now = csms_domain::time::now();
        let existing: Option<OrgCatalog> = on!(&mut *tx, c => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CATALOG_COLUMNS} FROM org_catalogs WHERE org_id = $1 AND kind = $2 AND ref_id = $3"
        ))).bind(org_id).bind(new.kind).bind(&new.ref_id).fetch_optional(&mut *c).await?);
        let saved = match existing {
            Some(_) if !replace => {
                return Err(StoreError::Duplicate {
                    kind: if new.kind == "framework" {
                        "framework"
                    } else {
                        "mapping set"
                    },
                    field: "id (import with \"replace\" to load a new version)",
                    value: new.ref_id,
                });
            }
            Some(before) => {
                if new.kind == "framework" {
                    // Approved results must keep the catalog they were made with.
                    let approved: i64 = on!(&mut *tx, c => sqlx::query_scalar(
                        "SELECT COUNT(*) FROM assessments WHERE org_id = $1 AND framework_id = $2 AND status = 'approved'"
                    ).bind(org_id).bind(&new.ref_id).fetch_one(&mut *c).await?);
                    if approved > 0 {
                        return Err(StoreError::Locked(format!(
                            "framework '{}' is used by {approved} approved assessment(s), which must keep the catalog they were made with; import the new version under another id",
                            new.ref_id
                        )));
                    }
                }
                let after = OrgCatalog {
                    name_ja: new.name_ja,
                    name_en: new.name_en,
                    source_name: new.source_name,
                    content_sha256: sha,
                    node_count: new.node_count,
                    version: before.version + 1,
                    ..before.clone()
                };
                on!(&mut *tx, c => sqlx::query(
                    "UPDATE org_catalogs SET name_ja = $1, name_en = $2, source_name = $3, content = $4, content_sha256 = $5, node_count = $6, updated_at = $7, updated_by = $8, version = version + 1 WHERE id = $9"
                ).bind(&after.name_ja).bind(&after.name_en).bind(&after.source_name).bind(&new.content)
                .bind(&after.content_sha256).bind(after.node_count).bind(Ts(now)).bind(actor.user_id).bind(after.id)
                .execute(&mut *c).await?.rows_affected());
                trail::append(
                    tx,
                    self,
                    actor,
                    Change::of(org_id, "replace", Some(&before), Some(&after)),
                )
                .await?;
                after
            }
            None => {
                let row = OrgCatalog {
                    id: new_id(),
                    org_id,
                    kind: new.kind.to_owned(),
                    ref_id: new.ref_id,
                    name_ja: new.name_ja,
                    name_en: new.name_en,
                    source_name: new.source_name,
                    content_sha256: sha,
                    node_count: new.node_count,
                    created_at: now,
                    created_by: actor.user_id,
                    version: 1,
                };
                on!(&mut *tx, c => sqlx::query(
                    "INSERT INTO org_catalogs (id, org_id, kind, ref_id, name_ja, name_en, source_name, content, content_sha256, node_count, created_at, created_by, updated_at, updated_by, version) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $11, $12, 1)"
                ).bind(row.id).bind(org_id).bind(&row.kind).bind(&row.ref_id).bind(&row.name_ja).bind(&row.name_en)
                .bind(&row.source_name).bind(&new.content).bind(&row.content_sha256).bind(row.node_count)
                .bind(Ts(now)).bind(actor.user_id)
                .execute(&mut *c).await
                .map_err(|e| StoreError::unique(e, "catalog", "id", &row.ref_id))?.rows_affected());
                trail::append(
                    tx,
                    self,
                    actor,
                    Change::of(org_id, "import", None, Some(&row)),
                )
                .await?;
                row
            }
        };
        Ok(saved)
    }

    /// The frameworks and mapping sets an organization imported.
    pub async fn org_catalogs(&self, org_id: Uuid) -> Result<Vec<OrgCatalog>> {
        Ok(read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CATALOG_COLUMNS} FROM org_catalogs WHERE org_id = $1 ORDER BY kind, ref_id"
        ))).bind(org_id).fetch_all(p).await?))
    }

    /// The stored JSON of an imported framework or mapping set.
    pub async fn org_catalog_content(&self, org_id: Uuid, id: Uuid) -> Result<String> {
        let content: Option<String> = read!(self, p => sqlx::query_scalar(
            "SELECT content FROM org_catalogs WHERE org_id = $1 AND id = $2"
        ).bind(org_id).bind(id).fetch_optional(p).await?);
        content.ok_or_else(|| StoreError::NotFound {
            kind: "imported catalog",
            id: id.to_string(),
        })
    }

    // -----------------------------------------------------------------------------------
    // Licensed wording

    /// The licensed wording an organization attached to nodes of a framework: node ref →
    /// (language → text).
    pub async fn licensed_wording(
        &self,
        org_id: Uuid,
        framework_id: &str,
    ) -> Result<HashMap<String, Vec<LicensedWording>>> {
        let rows: Vec<LicensedWording> = read!(self, p => sqlx::query_as(
            "SELECT id, framework_id, node_ref, lang, body, source, version FROM licensed_wording \
             WHERE org_id = $1 AND framework_id = $2 ORDER BY node_ref, lang"
        ).bind(org_id).bind(framework_id).fetch_all(p).await?);
        let mut out: HashMap<String, Vec<LicensedWording>> = HashMap::new();
        for r in rows {
            out.entry(r.node_ref.clone()).or_default().push(r);
        }
        Ok(out)
    }

    /// Sets (or, with an empty body, removes) the licensed wording of nodes, each in one
    /// language, in one transaction: all or nothing.
    pub async fn set_licensed_wording(
        &self,
        actor: &Actor,
        org_id: Uuid,
        items: &[WordingInput<'_>],
    ) -> Result<()> {
        for w in items {
            if w.lang != "ja" && w.lang != "en" {
                return Err(FieldError {
                    field: "lang",
                    message: format!("'{}' is not a language; use ja or en", w.lang),
                }
                .into());
            }
            validate_ref(w.node_ref)?;
            validate_text("body", w.body, 20_000)?;
            validate_text("source", w.source, 300)?;
        }
        let now = csms_domain::time::now();
        let mut tx = self.begin().await?;
        for w in items {
            self.set_one_wording(&mut tx, actor, org_id, now, w).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn set_one_wording(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        org_id: Uuid,
        now: OffsetDateTime,
        w: &WordingInput<'_>,
    ) -> Result<()> {
        let WordingInput {
            framework_id,
            node_ref,
            lang,
            body,
            source,
        } = *w;
        let before: Option<LicensedWording> = on!(&mut *tx, c => sqlx::query_as(
            "SELECT id, framework_id, node_ref, lang, body, source, version FROM licensed_wording \
             WHERE org_id = $1 AND framework_id = $2 AND node_ref = $3 AND lang = $4"
        ).bind(org_id).bind(framework_id).bind(node_ref).bind(lang).fetch_optional(&mut *c).await?);
        let body = body.trim();
        match (&before, body.is_empty()) {
            (None, true) => return Ok(()),
            (Some(b), true) => {
                on!(&mut *tx, c => sqlx::query("DELETE FROM licensed_wording WHERE id = $1").bind(b.id).execute(&mut *c).await?.rows_affected());
                trail::append(tx, self, actor, Change::of(org_id, "delete", Some(b), None)).await?;
            }
            (Some(b), false) => {
                let after = LicensedWording {
                    body: body.to_owned(),
                    source: source.to_owned(),
                    version: b.version + 1,
                    ..b.clone()
                };
                on!(&mut *tx, c => sqlx::query(
                    "UPDATE licensed_wording SET body = $1, source = $2, updated_at = $3, updated_by = $4, version = version + 1 WHERE id = $5"
                ).bind(&after.body).bind(&after.source).bind(Ts(now)).bind(actor.user_id).bind(b.id).execute(&mut *c).await?.rows_affected());
                trail::append(
                    tx,
                    self,
                    actor,
                    Change::of(org_id, "update", Some(b), Some(&after)),
                )
                .await?;
            }
            (None, false) => {
                let row = LicensedWording {
                    id: new_id(),
                    framework_id: framework_id.to_owned(),
                    node_ref: node_ref.to_owned(),
                    lang: lang.to_owned(),
                    body: body.to_owned(),
                    source: source.to_owned(),
                    version: 1,
                };
                on!(&mut *tx, c => sqlx::query(
                    "INSERT INTO licensed_wording (id, org_id, framework_id, node_ref, lang, body, source, created_at, created_by, updated_at, updated_by, version) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $9, 1)"
                ).bind(row.id).bind(org_id).bind(&row.framework_id).bind(&row.node_ref).bind(&row.lang).bind(&row.body).bind(&row.source)
                .bind(Ts(now)).bind(actor.user_id).execute(&mut *c).await?.rows_affected());
                trail::append(
                    tx,
                    self,
                    actor,
                    Change::of(org_id, "create", None, Some(&row)),
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// The licensed wording of one node in one language, as a caller sets it.
#[derive(Debug, Clone, Copy)]
pub struct WordingInput<'a> {
    pub framework_id: &'a str,
    pub node_ref: &'a str,
    pub lang: &'a str,
    /// The text; empty removes it.
    pub body: &'a str,
    /// Where it comes from (edition, licence reference).
    pub source: &'a str,
}

/// Official wording of a node held under an organization's licence.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct LicensedWording {
    pub id: Uuid,
    pub framework_id: String,
    pub node_ref: String,
    pub lang: String,
    pub body: String,
    /// Where it comes from (edition, licence reference).
    pub source: String,
    pub version: i64,
}

impl Audited for LicensedWording {
    const KIND: &'static str = "licensed_wording";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

// ---------------------------------------------------------------------------------------
// Assessments

/// What is needed to start an assessment.
#[derive(Debug, Clone, Default)]
pub struct NewAssessment {
    pub framework_id: String,
    pub title: String,
    pub scope: String,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub assessors: String,
}

/// Header fields of an assessment a caller may change while it is in progress.
#[derive(Debug, Clone, Default)]
pub struct AssessmentPatch {
    pub title: String,
    pub scope: String,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub assessors: String,
    /// The zone a 62443-3-3 assessment assesses (other frameworks take none).
    pub zone_id: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct AssessmentRow {
    id: Uuid,
    org_id: Uuid,
    framework_id: String,
    title: String,
    scope: String,
    period_start: Option<String>,
    period_end: Option<String>,
    assessors: String,
    zone_id: Option<Uuid>,
    status: String,
    approved_at: Option<Ts>,
    approved_by: Option<Uuid>,
    approval_note: String,
    created_at: Ts,
    created_by: Option<Uuid>,
    updated_at: Ts,
    updated_by: Option<Uuid>,
    version: i64,
}

impl From<AssessmentRow> for Assessment {
    fn from(r: AssessmentRow) -> Self {
        Assessment {
            id: r.id,
            org_id: r.org_id,
            framework_id: r.framework_id,
            title: r.title,
            scope: r.scope,
            period_start: r.period_start,
            period_end: r.period_end,
            assessors: r.assessors,
            zone_id: r.zone_id,
            status: AssessmentStatus::parse(&r.status),
            approved_at: r.approved_at.map(|t| t.0),
            approved_by: r.approved_by,
            approval_note: r.approval_note,
            created_at: r.created_at.0,
            created_by: r.created_by,
            updated_at: r.updated_at.0,
            updated_by: r.updated_by,
            version: r.version,
        }
    }
}

const ASSESSMENT_COLUMNS: &str = "id, org_id, framework_id, title, scope, period_start, period_end, assessors, zone_id, status, approved_at, approved_by, approval_note, created_at, created_by, updated_at, updated_by, version";

#[derive(sqlx::FromRow)]
struct ResultRow {
    id: Uuid,
    assessment_id: Uuid,
    node_ref: String,
    outcome: String,
    maturity: Option<i64>,
    notes: String,
    owner_id: Option<Uuid>,
    due_date: Option<String>,
    updated_at: Ts,
    updated_by: Option<Uuid>,
    version: i64,
}

impl From<ResultRow> for RequirementResult {
    fn from(r: ResultRow) -> Self {
        RequirementResult {
            id: r.id,
            assessment_id: r.assessment_id,
            node_ref: r.node_ref,
            outcome: Outcome::parse(&r.outcome).unwrap_or(Outcome::NotAssessed),
            maturity: r.maturity,
            notes: r.notes,
            owner_id: r.owner_id,
            due_date: r.due_date,
            updated_at: r.updated_at.0,
            updated_by: r.updated_by,
            version: r.version,
        }
    }
}

const RESULT_COLUMNS: &str = "id, assessment_id, node_ref, outcome, maturity, notes, owner_id, due_date, updated_at, updated_by, version";

#[derive(sqlx::FromRow)]
struct EvidenceRow {
    id: Uuid,
    assessment_id: Uuid,
    node_ref: String,
    label: String,
    location: String,
    created_at: Ts,
    created_by: Option<Uuid>,
}

impl From<EvidenceRow> for EvidenceLink {
    fn from(r: EvidenceRow) -> Self {
        EvidenceLink {
            id: r.id,
            assessment_id: r.assessment_id,
            node_ref: r.node_ref,
            label: r.label,
            location: r.location,
            created_at: r.created_at.0,
            created_by: r.created_by,
        }
    }
}

/// One change of a result, as applied by [`Store::set_results`].
#[derive(Debug, Clone)]
pub struct ResultChange {
    pub node_ref: String,
    /// The version the caller read.
    pub version: i64,
    pub outcome: Outcome,
    pub input: ResultInput,
}

/// The tally of an assessment on one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgressPoint {
    pub day: String,
    pub tally: Tally,
}

fn not_found(id: Uuid) -> StoreError {
    StoreError::NotFound {
        kind: "assessment",
        id: id.to_string(),
    }
}

/// Checks that a zone an assessment names belongs to the organization.
async fn check_zone(tx: &mut Tx, org_id: Uuid, zone_id: Option<Uuid>) -> Result<()> {
    let Some(zone_id) = zone_id else {
        return Ok(());
    };
    let n: i64 = on!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM zones WHERE org_id = $1 AND id = $2"
    ).bind(org_id).bind(zone_id).fetch_one(&mut *c).await?);
    if n == 0 {
        return Err(FieldError {
            field: "zone_id",
            message: format!(
                "there is no zone {zone_id} in this organization; choose one of the organization's zones"
            ),
        }
        .into());
    }
    Ok(())
}

impl Store {
    /// Starts an assessment with one "not assessed" result per assessable requirement.
    pub async fn create_assessment(
        &self,
        actor: &Actor,
        org_id: Uuid,
        new: NewAssessment,
        assessable_refs: &[String],
    ) -> Result<Assessment> {
        self.create_zone_assessment(actor, org_id, new, None, assessable_refs)
            .await
    }

    /// Starts an assessment like [`Store::create_assessment`], of the zone `zone_id` when given
    /// (only a 62443-3-3 assessment may name one, and the zone must be the organization's).
    pub async fn create_zone_assessment(
        &self,
        actor: &Actor,
        org_id: Uuid,
        new: NewAssessment,
        zone_id: Option<Uuid>,
        assessable_refs: &[String],
    ) -> Result<Assessment> {
        csms_domain::assessment::check_zone_scope(&new.framework_id, zone_id)?;
        csms_domain::assessment::validate_header(
            &new.title,
            new.period_start.as_deref(),
            new.period_end.as_deref(),
        )?;
        validate_text("scope", &new.scope, 5_000)?;
        validate_text("assessors", &new.assessors, 2_000)?;
        for r in assessable_refs {
            validate_ref(r)?;
        }
        if assessable_refs.is_empty() {
            return Err(FieldError {
                field: "framework_id",
                message: format!(
                    "framework '{}' has no assessable requirements",
                    new.framework_id
                ),
            }
            .into());
        }
        let now = csms_domain::time::now();
        let a = Assessment {
            id: new_id(),
            org_id,
            framework_id: new.framework_id,
            title: new.title.trim().to_owned(),
            scope: new.scope,
            period_start: new.period_start,
            period_end: new.period_end,
            assessors: new.assessors,
            zone_id,
            status: AssessmentStatus::InProgress,
            approved_at: None,
            approved_by: None,
            approval_note: String::new(),
            created_at: now,
            created_by: actor.user_id,
            updated_at: now,
            updated_by: actor.user_id,
            version: 1,
        };
        let mut tx = self.begin().await?;
        check_zone(&mut tx, org_id, zone_id).await?;
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO assessments (id, org_id, framework_id, title, scope, period_start, period_end, assessors, zone_id, status, approval_note, created_at, created_by, updated_at, updated_by, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $11, 'in_progress', '', $9, $10, $9, $10, 1)"
        ).bind(a.id).bind(org_id).bind(&a.framework_id).bind(&a.title).bind(&a.scope)
        .bind(&a.period_start).bind(&a.period_end).bind(&a.assessors).bind(Ts(now)).bind(actor.user_id).bind(zone_id)
        .execute(&mut *c).await?.rows_affected());
        for chunk in assessable_refs.chunks(100) {
            let mut sql = String::from(
                "INSERT INTO assessment_results (id, assessment_id, node_ref, outcome, notes, created_at, created_by, updated_at, updated_by, version) VALUES ",
            );
            for i in 0..chunk.len() {
                let b = i * 3;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, 'not_assessed', '', ${}, ${}, ${}, ${}, 1)",
                    b + 1,
                    b + 2,
                    b + 3,
                    chunk.len() * 3 + 1,
                    chunk.len() * 3 + 2,
                    chunk.len() * 3 + 1,
                    chunk.len() * 3 + 2
                ));
            }
            on!(&mut tx, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for r in chunk {
                    q = q.bind(new_id()).bind(a.id).bind(r);
                }
                q.bind(Ts(now)).bind(actor.user_id).execute(&mut *c).await?.rows_affected()
            });
        }
        snapshot_progress(&mut tx, a.id).await?;
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "create", None, Some(&a)),
        )
        .await?;
        tx.commit().await?;
        Ok(a)
    }

    /// An organization's assessments, newest first.
    pub async fn assessments(&self, org_id: Uuid) -> Result<Vec<Assessment>> {
        let rows: Vec<AssessmentRow> = read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ASSESSMENT_COLUMNS} FROM assessments WHERE org_id = $1 ORDER BY created_at DESC"
        ))).bind(org_id).fetch_all(p).await?);
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The assessments of a zone (those naming it as their scope), newest first.
    pub async fn zone_assessments(&self, org_id: Uuid, zone_id: Uuid) -> Result<Vec<Assessment>> {
        let rows: Vec<AssessmentRow> = read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ASSESSMENT_COLUMNS} FROM assessments WHERE org_id = $1 AND zone_id = $2 ORDER BY created_at DESC"
        ))).bind(org_id).bind(zone_id).fetch_all(p).await?);
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// One assessment of an organization (another organization's is "not found").
    pub async fn assessment(&self, org_id: Uuid, id: Uuid) -> Result<Assessment> {
        let row: Option<AssessmentRow> = read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ASSESSMENT_COLUMNS} FROM assessments WHERE org_id = $1 AND id = $2"
        ))).bind(org_id).bind(id).fetch_optional(p).await?);
        row.map(Into::into).ok_or_else(|| not_found(id))
    }

    /// Changes an assessment's header while it is in progress.
    pub async fn update_assessment(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
        patch: AssessmentPatch,
    ) -> Result<Assessment> {
        csms_domain::assessment::validate_header(
            &patch.title,
            patch.period_start.as_deref(),
            patch.period_end.as_deref(),
        )?;
        validate_text("scope", &patch.scope, 5_000)?;
        validate_text("assessors", &patch.assessors, 2_000)?;
        let mut tx = self.begin().await?;
        let before = open_assessment(&mut tx, org_id, id).await?;
        check_version("assessment", id, expected_version, before.version)?;
        csms_domain::assessment::check_zone_scope(&before.framework_id, patch.zone_id)?;
        check_zone(&mut tx, org_id, patch.zone_id).await?;
        let after = Assessment {
            zone_id: patch.zone_id,
            title: patch.title.trim().to_owned(),
            scope: patch.scope,
            period_start: patch.period_start,
            period_end: patch.period_end,
            assessors: patch.assessors,
            updated_at: csms_domain::time::now(),
            updated_by: actor.user_id,
            version: before.version + 1,
            ..before.clone()
        };
        let changed = on!(&mut tx, c => sqlx::query(
            "UPDATE assessments SET title = $1, scope = $2, period_start = $3, period_end = $4, assessors = $5, updated_at = $6, updated_by = $7, version = version + 1, zone_id = $10 \
             WHERE id = $8 AND version = $9"
        ).bind(&after.title).bind(&after.scope).bind(&after.period_start).bind(&after.period_end).bind(&after.assessors)
        .bind(Ts(after.updated_at)).bind(actor.user_id).bind(id).bind(expected_version).bind(after.zone_id)
        .execute(&mut *c).await?.rows_affected());
        if changed != 1 {
            return Err(StoreError::Conflict {
                kind: "assessment",
                id: id.to_string(),
                expected: expected_version,
                current: expected_version + 1,
            });
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

    /// Approves an assessment: from now on nothing in it changes.
    pub async fn approve_assessment(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
        note: &str,
    ) -> Result<Assessment> {
        validate_text("note", note, 2_000)?;
        let mut tx = self.begin().await?;
        let before = open_assessment(&mut tx, org_id, id).await?;
        check_version("assessment", id, expected_version, before.version)?;
        let now = csms_domain::time::now();
        let after = Assessment {
            status: AssessmentStatus::Approved,
            approved_at: Some(now),
            approved_by: actor.user_id,
            approval_note: note.trim().to_owned(),
            updated_at: now,
            updated_by: actor.user_id,
            version: before.version + 1,
            ..before.clone()
        };
        let changed = on!(&mut tx, c => sqlx::query(
            "UPDATE assessments SET status = 'approved', approved_at = $1, approved_by = $2, approval_note = $3, updated_at = $1, updated_by = $2, version = version + 1 \
             WHERE id = $4 AND version = $5 AND status = 'in_progress'"
        ).bind(Ts(now)).bind(actor.user_id).bind(&after.approval_note).bind(id).bind(expected_version)
        .execute(&mut *c).await?.rows_affected());
        if changed != 1 {
            return Err(StoreError::Conflict {
                kind: "assessment",
                id: id.to_string(),
                expected: expected_version,
                current: expected_version + 1,
            });
        }
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "approve", Some(&before), Some(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Every result of an assessment, in no particular order.
    pub async fn results(
        &self,
        org_id: Uuid,
        assessment_id: Uuid,
    ) -> Result<Vec<RequirementResult>> {
        let rows: Vec<ResultRow> = read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT r.{} FROM assessment_results r JOIN assessments a ON a.id = r.assessment_id \
             WHERE a.org_id = $1 AND r.assessment_id = $2",
            RESULT_COLUMNS.replace(", ", ", r.")
        ))).bind(org_id).bind(assessment_id).fetch_all(p).await?);
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Records the result of one requirement (validated by the caller against the framework's
    /// scale with `domain::assessment::validate_result`).
    pub async fn set_result(
        &self,
        actor: &Actor,
        org_id: Uuid,
        assessment_id: Uuid,
        change: ResultChange,
    ) -> Result<RequirementResult> {
        let mut out = self
            .set_results(actor, org_id, assessment_id, vec![change])
            .await?;
        Ok(out.remove(0))
    }

    /// Records several results in one transaction: all or none.
    pub async fn set_results(
        &self,
        actor: &Actor,
        org_id: Uuid,
        assessment_id: Uuid,
        changes: Vec<ResultChange>,
    ) -> Result<Vec<RequirementResult>> {
        let mut tx = self.begin().await?;
        open_assessment(&mut tx, org_id, assessment_id).await?;
        let mut out = Vec::with_capacity(changes.len());
        for ch in changes {
            validate_ref(&ch.node_ref)?;
            csms_domain::assessment::validate_result(ch.outcome, &ch.input, None).or_else(|e| {
                // The scale was checked by the caller; only the other rules matter here.
                if e.field == "maturity" {
                    Ok(())
                } else {
                    Err(e)
                }
            })?;
            let row: Option<ResultRow> = on!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {RESULT_COLUMNS} FROM assessment_results WHERE assessment_id = $1 AND node_ref = $2"
            ))).bind(assessment_id).bind(&ch.node_ref).fetch_optional(&mut *c).await?);
            let before: RequirementResult = row
                .ok_or_else(|| StoreError::NotFound {
                    kind: "requirement in this assessment",
                    id: ch.node_ref.clone(),
                })?
                .into();
            let conflict = |current| StoreError::Conflict {
                kind: "result",
                id: ch.node_ref.clone(),
                expected: ch.version,
                current,
            };
            if before.version != ch.version {
                return Err(conflict(before.version));
            }
            let after = RequirementResult {
                outcome: ch.outcome,
                maturity: ch.input.maturity,
                notes: ch.input.notes.trim().to_owned(),
                owner_id: ch.input.owner_id,
                due_date: ch.input.due_date.clone().filter(|d| !d.is_empty()),
                updated_at: csms_domain::time::now(),
                updated_by: actor.user_id,
                version: before.version + 1,
                ..before.clone()
            };
            if let Some(owner) = after.owner_id {
                let member: Option<i64> = on!(&mut tx, c => sqlx::query_scalar(
                    "SELECT CAST(1 AS BIGINT) FROM memberships WHERE org_id = $1 AND user_id = $2"
                ).bind(org_id).bind(owner).fetch_optional(&mut *c).await?);
                if member.is_none() {
                    return Err(FieldError {
                        field: "owner_id",
                        message: "the owner must be a member of this organization".into(),
                    }
                    .into());
                }
            }
            let changed = on!(&mut tx, c => sqlx::query(
                "UPDATE assessment_results SET outcome = $1, maturity = $2, notes = $3, owner_id = $4, due_date = $5, updated_at = $6, updated_by = $7, version = version + 1 \
                 WHERE id = $8 AND version = $9"
            ).bind(after.outcome.as_str()).bind(after.maturity).bind(&after.notes).bind(after.owner_id).bind(&after.due_date)
            .bind(Ts(after.updated_at)).bind(actor.user_id).bind(before.id).bind(ch.version)
            .execute(&mut *c).await?.rows_affected());
            if changed != 1 {
                return Err(conflict(ch.version + 1));
            }
            if before != after {
                trail::append(
                    &mut tx,
                    self,
                    actor,
                    Change::of(org_id, "update", Some(&before), Some(&after)),
                )
                .await?;
            }
            out.push(after);
        }
        snapshot_progress(&mut tx, assessment_id).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Links evidence to a requirement of an assessment.
    pub async fn add_evidence(
        &self,
        actor: &Actor,
        org_id: Uuid,
        assessment_id: Uuid,
        node_ref: &str,
        label: &str,
        location: &str,
    ) -> Result<EvidenceLink> {
        let label = label.trim();
        validate_ref(node_ref)?;
        validate_text("label", label, 300)?;
        validate_text("location", location, 2_000)?;
        if label.is_empty() || label.chars().count() > 300 {
            return Err(FieldError {
                field: "label",
                message:
                    "name the evidence in 1 to 300 characters (e.g. a document number and title)"
                        .into(),
            }
            .into());
        }
        if location.chars().count() > 2000 {
            return Err(FieldError {
                field: "location",
                message: "the location is limited to 2,000 characters".into(),
            }
            .into());
        }
        let mut tx = self.begin().await?;
        open_assessment(&mut tx, org_id, assessment_id).await?;
        let exists: Option<i64> = on!(&mut tx, c => sqlx::query_scalar(
            "SELECT CAST(1 AS BIGINT) FROM assessment_results WHERE assessment_id = $1 AND node_ref = $2"
        ).bind(assessment_id).bind(node_ref).fetch_optional(&mut *c).await?);
        if exists.is_none() {
            return Err(StoreError::NotFound {
                kind: "requirement in this assessment",
                id: node_ref.to_owned(),
            });
        }
        let link = EvidenceLink {
            id: new_id(),
            assessment_id,
            node_ref: node_ref.to_owned(),
            label: label.to_owned(),
            location: location.trim().to_owned(),
            created_at: csms_domain::time::now(),
            created_by: actor.user_id,
        };
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO evidence_links (id, assessment_id, node_ref, label, location, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ).bind(link.id).bind(assessment_id).bind(&link.node_ref).bind(&link.label).bind(&link.location)
        .bind(Ts(link.created_at)).bind(actor.user_id).execute(&mut *c).await?.rows_affected());
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "create", None, Some(&link)),
        )
        .await?;
        tx.commit().await?;
        Ok(link)
    }

    /// Removes an evidence link.
    pub async fn remove_evidence(
        &self,
        actor: &Actor,
        org_id: Uuid,
        assessment_id: Uuid,
        id: Uuid,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        open_assessment(&mut tx, org_id, assessment_id).await?;
        let row: Option<EvidenceRow> = on!(&mut tx, c => sqlx::query_as(
            "SELECT id, assessment_id, node_ref, label, location, created_at, created_by FROM evidence_links WHERE id = $1 AND assessment_id = $2"
        ).bind(id).bind(assessment_id).fetch_optional(&mut *c).await?);
        let before: EvidenceLink = row
            .ok_or_else(|| StoreError::NotFound {
                kind: "evidence link",
                id: id.to_string(),
            })?
            .into();
        on!(&mut tx, c => sqlx::query("DELETE FROM evidence_links WHERE id = $1").bind(id).execute(&mut *c).await?.rows_affected());
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

    /// The evidence links of an assessment, optionally of one requirement.
    pub async fn evidence(
        &self,
        org_id: Uuid,
        assessment_id: Uuid,
        node_ref: Option<&str>,
    ) -> Result<Vec<EvidenceLink>> {
        let rows: Vec<EvidenceRow> = read!(self, p => sqlx::query_as(
            "SELECT e.id, e.assessment_id, e.node_ref, e.label, e.location, e.created_at, e.created_by \
             FROM evidence_links e JOIN assessments a ON a.id = e.assessment_id \
             WHERE a.org_id = $1 AND e.assessment_id = $2 AND ($3 IS NULL OR e.node_ref = $3) \
             ORDER BY e.node_ref, e.created_at"
        ).bind(org_id).bind(assessment_id).bind(node_ref).fetch_all(p).await?);
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// How many evidence links each requirement of an assessment has.
    pub async fn evidence_counts(
        &self,
        org_id: Uuid,
        assessment_id: Uuid,
    ) -> Result<HashMap<String, i64>> {
        let rows: Vec<(String, i64)> = read!(self, p => sqlx::query_as(
            "SELECT e.node_ref, COUNT(*) FROM evidence_links e JOIN assessments a ON a.id = e.assessment_id \
             WHERE a.org_id = $1 AND e.assessment_id = $2 GROUP BY e.node_ref"
        ).bind(org_id).bind(assessment_id).fetch_all(p).await?);
        Ok(rows.into_iter().collect())
    }

    /// The latest tally of each assessment of an organization.
    pub async fn latest_progress(&self, org_id: Uuid) -> Result<HashMap<Uuid, Tally>> {
        #[allow(clippy::type_complexity)]
        let rows: Vec<(Uuid, String, i64, i64, i64, i64, i64, i64)> = read!(self, p => sqlx::query_as(
            "SELECT g.assessment_id, g.day, g.total, g.conformant, g.partial, g.nonconformant, g.not_applicable, g.not_assessed \
             FROM assessment_progress g JOIN assessments a ON a.id = g.assessment_id \
             WHERE a.org_id = $1 ORDER BY g.day"
        ).bind(org_id).fetch_all(p).await?);
        let n = |v: i64| u32::try_from(v).unwrap_or(0);
        Ok(rows
            .into_iter()
            .map(|(id, _, total, c, p, nc, na, ns)| {
                (
                    id,
                    Tally {
                        total: n(total),
                        conformant: n(c),
                        partial: n(p),
                        nonconformant: n(nc),
                        not_applicable: n(na),
                        not_assessed: n(ns),
                    },
                )
            })
            .collect())
    }

    /// The daily tallies of an assessment, oldest first.
    pub async fn progress(&self, org_id: Uuid, assessment_id: Uuid) -> Result<Vec<ProgressPoint>> {
        #[allow(clippy::type_complexity)]
        let rows: Vec<(String, i64, i64, i64, i64, i64, i64)> = read!(self, p => sqlx::query_as(
            "SELECT g.day, g.total, g.conformant, g.partial, g.nonconformant, g.not_applicable, g.not_assessed \
             FROM assessment_progress g JOIN assessments a ON a.id = g.assessment_id \
             WHERE a.org_id = $1 AND g.assessment_id = $2 ORDER BY g.day"
        ).bind(org_id).bind(assessment_id).fetch_all(p).await?);
        let n = |v: i64| u32::try_from(v).unwrap_or(0);
        Ok(rows
            .into_iter()
            .map(|(day, total, c, p, nc, na, ns)| ProgressPoint {
                day,
                tally: Tally {
                    total: n(total),
                    conformant: n(c),
                    partial: n(p),
                    nonconformant: n(nc),
                    not_applicable: n(na),
                    not_assessed: n(ns),
                },
            })
            .collect())
    }
}

/// Reads an assessment in a write transaction and refuses to go on when it is approved.
///
/// The assessment row is locked first (an `UPDATE` that changes nothing): on PostgreSQL a write
/// and a concurrent approval then queue on the row instead of both committing, so nothing is
/// ever written into an approved assessment. (SQLite's single writer serializes anyway.)
async fn open_assessment(tx: &mut Tx, org_id: Uuid, id: Uuid) -> Result<Assessment> {
    on!(tx, c => sqlx::query(
        "UPDATE assessments SET version = version WHERE org_id = $1 AND id = $2"
    ).bind(org_id).bind(id).execute(&mut *c).await?.rows_affected());
    let row: Option<AssessmentRow> = on!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ASSESSMENT_COLUMNS} FROM assessments WHERE org_id = $1 AND id = $2"
    ))).bind(org_id).bind(id).fetch_optional(&mut *c).await?);
    let a: Assessment = row.map(Into::into).ok_or_else(|| not_found(id))?;
    if a.status == AssessmentStatus::Approved {
        let at = a
            .approved_at
            .map(csms_domain::time::format_canonical)
            .unwrap_or_default();
        return Err(StoreError::Locked(format!(
            "assessment '{}' was approved at {at} and is locked; start a new assessment to record changes",
            a.title
        )));
    }
    Ok(a)
}

fn check_version(kind: &'static str, id: Uuid, expected: i64, current: i64) -> Result<()> {
    if expected == current {
        Ok(())
    } else {
        Err(StoreError::Conflict {
            kind,
            id: id.to_string(),
            expected,
            current,
        })
    }
}

/// Records today's tally of an assessment (UTC day), replacing an earlier one of the same day.
async fn snapshot_progress(tx: &mut Tx, assessment_id: Uuid) -> Result<()> {
    let counts: Vec<(String, i64)> = on!(tx, c => sqlx::query_as(
        "SELECT outcome, COUNT(*) FROM assessment_results WHERE assessment_id = $1 GROUP BY outcome"
    ).bind(assessment_id).fetch_all(&mut *c).await?);
    let mut t = Tally::default();
    for (o, n) in counts {
        let o = Outcome::parse(&o).unwrap_or(Outcome::NotAssessed);
        t.add_many(o, u32::try_from(n).unwrap_or(0));
    }
    let now = csms_domain::time::now();
    let day = format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    );
    on!(tx, c => sqlx::query(
        "INSERT INTO assessment_progress (assessment_id, day, total, conformant, partial, nonconformant, not_applicable, not_assessed) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (assessment_id, day) DO UPDATE SET total = excluded.total, conformant = excluded.conformant, partial = excluded.partial, \
         nonconformant = excluded.nonconformant, not_applicable = excluded.not_applicable, not_assessed = excluded.not_assessed"
    ).bind(assessment_id).bind(day).bind(i64::from(t.total)).bind(i64::from(t.conformant)).bind(i64::from(t.partial))
    .bind(i64::from(t.nonconformant)).bind(i64::from(t.not_applicable)).bind(i64::from(t.not_assessed))
    .execute(&mut *c).await?.rows_affected());
    Ok(())
}
