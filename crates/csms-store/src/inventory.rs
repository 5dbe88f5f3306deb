//! The IACS inventory: sites, systems, assets, zones and conduits, and the import of many
//! assets at once.
//!
//! Every reference (a system's site, an asset's zone, a conduit's zones, an owner) must belong
//! to the same organization; the store checks it to name the field, and the schema's
//! `(org_id, parent_id)` foreign keys refuse it anyway.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Display;

use csms_domain::inventory::{
    Asset, AssetType, Channel, Conduit, Criticality, ImportSummary, Interface, Lifecycle, NewAsset,
    NewConduit, NewSite, NewSystem, NewZone, Site, System, Zone, parse_purdue_level,
    validate_asset, validate_conduit, validate_site, validate_system, validate_zone,
};
use csms_domain::org::FieldError;
use csms_domain::trail::{Actor, Change};
use csms_domain::zone::SlVector;
use csms_domain::{Uuid, new_id};
use serde::de::DeserializeOwned;
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use crate::db::{Ts, Tx, on, read};
use crate::{Result, Store, StoreError, trail};

/// Rows per multi-row `INSERT` of an import (22 parameters each) on PostgreSQL.
const IMPORT_CHUNK: usize = 64;
/// Rows per `INSERT` of an import on SQLite: large, because the search index (FTS5) writes
/// its pending entries to disk at the end of every statement that changes it, and each such
/// write is merged later; 1,000 rows (27,000 parameters, under SQLite's 32,766) make a
/// hundred statements of 100,000 assets. The parameters are anonymous `?` (see
/// `insert_assets`: numbered ones cost the square of their count).
const IMPORT_CHUNK_SQLITE: usize = 1_000;
/// The page size of the asset list when the caller names none, and the largest allowed.
const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 1_000;

// ---------------------------------------------------------------------------------------
// Rows

/// A stored value this build cannot read (someone edited the database by hand).
fn unreadable(column: &str, e: impl Display) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("{column} holds a value this version cannot read ({e})").into(),
    ))
}

fn from_json<T: DeserializeOwned>(column: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| unreadable(column, e))
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("inventory values serialize to JSON")
}

fn sl(column: &str, text: &str) -> Result<SlVector> {
    SlVector::parse(text).map_err(|e| unreadable(column, e))
}

const SITE_COLUMNS: &str = "id, org_id, name, location, description, created_at, created_by, updated_at, updated_by, version";

#[derive(sqlx::FromRow)]
struct SiteRow {
    id: Uuid,
    org_id: Uuid,
    name: String,
    location: String,
    description: String,
    created_at: Ts,
    created_by: Option<Uuid>,
    updated_at: Ts,
    updated_by: Option<Uuid>,
    version: i64,
}

impl From<SiteRow> for Site {
    fn from(r: SiteRow) -> Self {
        Site {
            id: r.id,
            org_id: r.org_id,
            name: r.name,
            location: r.location,
            description: r.description,
            created_at: r.created_at.0,
            created_by: r.created_by,
            updated_at: r.updated_at.0,
            updated_by: r.updated_by,
            version: r.version,
        }
    }
}

const SYSTEM_COLUMNS: &str = "id, org_id, site_id, name, description, owner_id, criticality, created_at, created_by, updated_at, updated_by, version";

#[derive(sqlx::FromRow)]
struct SystemRow {
    id: Uuid,
    org_id: Uuid,
    site_id: Option<Uuid>,
    name: String,
    description: String,
    owner_id: Option<Uuid>,
    criticality: String,
    created_at: Ts,
    created_by: Option<Uuid>,
    updated_at: Ts,
    updated_by: Option<Uuid>,
    version: i64,
}

impl TryFrom<SystemRow> for System {
    type Error = StoreError;
    fn try_from(r: SystemRow) -> Result<Self> {
        Ok(System {
            id: r.id,
            org_id: r.org_id,
            site_id: r.site_id,
            name: r.name,
            description: r.description,
            owner_id: r.owner_id,
            criticality: Criticality::parse(&r.criticality)
                .map_err(|e| unreadable("systems.criticality", e))?,
            created_at: r.created_at.0,
            created_by: r.created_by,
            updated_at: r.updated_at.0,
            updated_by: r.updated_by,
            version: r.version,
        })
    }
}

const ZONE_COLUMNS: &str = "id, org_id, name, description, system_id, sl_t, sl_t_proposed, sl_t_justification, created_at, created_by, updated_at, updated_by, version";

#[derive(sqlx::FromRow)]
struct ZoneRow {
    id: Uuid,
    org_id: Uuid,
    name: String,
    description: String,
    system_id: Option<Uuid>,
    sl_t: String,
    sl_t_proposed: Option<String>,
    sl_t_justification: String,
    created_at: Ts,
    created_by: Option<Uuid>,
    updated_at: Ts,
    updated_by: Option<Uuid>,
    version: i64,
}

impl TryFrom<ZoneRow> for Zone {
    type Error = StoreError;
    fn try_from(r: ZoneRow) -> Result<Self> {
        Ok(Zone {
            id: r.id,
            org_id: r.org_id,
            name: r.name,
            description: r.description,
            system_id: r.system_id,
            sl_t: sl("zones.sl_t", &r.sl_t)?,
            sl_t_proposed: r
                .sl_t_proposed
                .map(|p| sl("zones.sl_t_proposed", &p))
                .transpose()?,
            sl_t_justification: r.sl_t_justification,
            created_at: r.created_at.0,
            created_by: r.created_by,
            updated_at: r.updated_at.0,
            updated_by: r.updated_by,
            version: r.version,
        })
    }
}

const CONDUIT_COLUMNS: &str = "id, org_id, name, from_zone_id, to_zone_id, channels, description, created_at, created_by, updated_at, updated_by, version";

#[derive(sqlx::FromRow)]
struct ConduitRow {
    id: Uuid,
    org_id: Uuid,
    name: String,
    from_zone_id: Uuid,
    to_zone_id: Uuid,
    channels: String,
    description: String,
    created_at: Ts,
    created_by: Option<Uuid>,
    updated_at: Ts,
    updated_by: Option<Uuid>,
    version: i64,
}

impl TryFrom<ConduitRow> for Conduit {
    type Error = StoreError;
    fn try_from(r: ConduitRow) -> Result<Self> {
        Ok(Conduit {
            id: r.id,
            org_id: r.org_id,
            name: r.name,
            from_zone_id: r.from_zone_id,
            to_zone_id: r.to_zone_id,
            channels: from_json::<Vec<Channel>>("conduits.channels", &r.channels)?,
            description: r.description,
            created_at: r.created_at.0,
            created_by: r.created_by,
            updated_at: r.updated_at.0,
            updated_by: r.updated_by,
            version: r.version,
        })
    }
}

const ASSET_COLUMNS: &str = "id, org_id, asset_tag, name, asset_type, vendor, product_family, model, order_number, firmware_version, serial_number, purdue_level, location, interfaces, protocols, criticality, owner_id, system_id, zone_id, lifecycle, sl_c, custom, created_at, created_by, updated_at, updated_by, version";

#[derive(sqlx::FromRow)]
struct AssetRow {
    id: Uuid,
    org_id: Uuid,
    asset_tag: String,
    name: String,
    asset_type: String,
    vendor: String,
    product_family: String,
    model: String,
    order_number: String,
    firmware_version: String,
    serial_number: String,
    purdue_level: Option<String>,
    location: String,
    interfaces: String,
    protocols: String,
    criticality: String,
    owner_id: Option<Uuid>,
    system_id: Option<Uuid>,
    zone_id: Option<Uuid>,
    lifecycle: String,
    sl_c: Option<String>,
    custom: String,
    created_at: Ts,
    created_by: Option<Uuid>,
    updated_at: Ts,
    updated_by: Option<Uuid>,
    version: i64,
}

impl TryFrom<AssetRow> for Asset {
    type Error = StoreError;
    fn try_from(r: AssetRow) -> Result<Self> {
        Ok(Asset {
            id: r.id,
            org_id: r.org_id,
            asset_tag: r.asset_tag,
            name: r.name,
            asset_type: AssetType::parse(&r.asset_type)
                .map_err(|e| unreadable("assets.asset_type", e))?,
            vendor: r.vendor,
            product_family: r.product_family,
            model: r.model,
            order_number: r.order_number,
            firmware_version: r.firmware_version,
            serial_number: r.serial_number,
            purdue_level: r.purdue_level,
            location: r.location,
            interfaces: from_json::<Vec<Interface>>("assets.interfaces", &r.interfaces)?,
            protocols: from_json::<Vec<String>>("assets.protocols", &r.protocols)?,
            criticality: Criticality::parse(&r.criticality)
                .map_err(|e| unreadable("assets.criticality", e))?,
            owner_id: r.owner_id,
            system_id: r.system_id,
            zone_id: r.zone_id,
            lifecycle: Lifecycle::parse(&r.lifecycle)
                .map_err(|e| unreadable("assets.lifecycle", e))?,
            sl_c: r.sl_c.map(|v| sl("assets.sl_c", &v)).transpose()?,
            custom: from_json::<BTreeMap<String, String>>("assets.custom", &r.custom)?,
            created_at: r.created_at.0,
            created_by: r.created_by,
            updated_at: r.updated_at.0,
            updated_by: r.updated_by,
            version: r.version,
        })
    }
}

fn convert<R, T: TryFrom<R, Error = StoreError>>(rows: Vec<R>) -> Result<Vec<T>> {
    rows.into_iter().map(T::try_from).collect()
}

/// What the list's text search matches: the searched attributes and the interfaces' IP and
/// MAC addresses, lowercased here (the same on both backends), one per line so that a search
/// (always one line) never matches across two of them.
fn search_text(a: &NewAsset) -> String {
    let mut parts: Vec<&str> = vec![
        &a.asset_tag,
        &a.name,
        &a.vendor,
        &a.product_family,
        &a.model,
        &a.order_number,
        &a.serial_number,
        &a.location,
    ];
    for i in &a.interfaces {
        parts.extend(i.ip.as_deref());
        parts.extend(i.mac.as_deref());
    }
    parts.retain(|p| !p.is_empty());
    parts.join("\n").to_lowercase()
}

// ---------------------------------------------------------------------------------------
// Shared checks

fn not_found(kind: &'static str, id: Uuid) -> StoreError {
    StoreError::NotFound {
        kind,
        id: id.to_string(),
    }
}

fn conflict(kind: &'static str, id: Uuid, expected: i64, current: i64) -> StoreError {
    StoreError::Conflict {
        kind,
        id: id.to_string(),
        expected,
        current,
    }
}

/// "1 asset", "3 assets".
fn count_of(n: i64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// Checks that a referenced row exists in the organization (`table` is one of ours).
async fn check_in_org(
    tx: &mut Tx,
    table: &'static str,
    field: &'static str,
    what: &'static str,
    org_id: Uuid,
    id: Option<Uuid>,
) -> Result<()> {
    let Some(id) = id else {
        return Ok(());
    };
    let found: Option<i64> = on!(tx, c => sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT CAST(1 AS BIGINT) FROM {table} WHERE org_id = $1 AND id = $2"
    ))).bind(org_id).bind(id).fetch_optional(&mut *c).await?);
    if found.is_none() {
        return Err(FieldError {
            field,
            message: format!(
                "{what} {id} does not exist in this organization; pick one of the organization's own"
            ),
        }
        .into());
    }
    Ok(())
}

/// Checks that an owner is a member of the organization.
async fn check_member(tx: &mut Tx, org_id: Uuid, owner: Option<Uuid>) -> Result<()> {
    let Some(owner) = owner else {
        return Ok(());
    };
    let member: Option<i64> = on!(tx, c => sqlx::query_scalar(
        "SELECT CAST(1 AS BIGINT) FROM memberships WHERE org_id = $1 AND user_id = $2"
    ).bind(org_id).bind(owner).fetch_optional(&mut *c).await?);
    if member.is_none() {
        return Err(FieldError {
            field: "owner_id",
            message: "the owner must be a member of this organization".into(),
        }
        .into());
    }
    Ok(())
}

/// Counts the rows of `table` in the organization matching `condition` (on `$2`).
async fn count_in(
    tx: &mut Tx,
    table: &'static str,
    condition: &'static str,
    org_id: Uuid,
    id: Uuid,
) -> Result<i64> {
    Ok(on!(tx, c => sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM {table} WHERE org_id = $1 AND ({condition})"
    ))).bind(org_id).bind(id).fetch_one(&mut *c).await?))
}

/// Deletes one row of `table` at the version the caller read, in the transaction that checked
/// it: a concurrent change or delete between the check and this statement (PostgreSQL runs
/// READ COMMITTED) makes it match nothing, and the caller gets a conflict instead of deleting a
/// version it never saw. A row still referenced is refused as in use.
async fn delete_at_version(
    tx: &mut Tx,
    table: &'static str,
    kind: &'static str,
    org_id: Uuid,
    id: Uuid,
    expected_version: i64,
    what: String,
) -> Result<()> {
    let deleted = on!(tx, c => sqlx::query(AssertSqlSafe(format!(
        "DELETE FROM {table} WHERE org_id = $1 AND id = $2 AND version = $3"
    )))
    .bind(org_id).bind(id).bind(expected_version)
    .execute(&mut *c).await.map_err(|e| in_use(e, what))?.rows_affected());
    if deleted == 1 {
        return Ok(());
    }
    let current: Option<i64> = on!(tx, c => sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT version FROM {table} WHERE org_id = $1 AND id = $2"
    ))).bind(org_id).bind(id).fetch_optional(&mut *c).await?);
    Err(match current {
        Some(v) => conflict(kind, id, expected_version, v),
        None => StoreError::NotFound {
            kind,
            id: id.to_string(),
        },
    })
}

/// The risks of the register naming a zone, an asset or a system, as a refusal to delete it.
fn named_by_risks(what: &str, n: i64, fix: &str) -> StoreError {
    StoreError::Locked(format!(
        "{what} is named by {} of the risk register; {fix} first",
        count_of(n, "risk")
    ))
}

/// The current version of a row after an update matched nothing.
async fn current_version(tx: &mut Tx, table: &'static str, id: Uuid) -> Result<i64> {
    let v: Option<i64> = on!(tx, c => sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT version FROM {table} WHERE id = $1"
    ))).bind(id).fetch_optional(&mut *c).await?);
    Ok(v.unwrap_or(0))
}

/// A row still referenced when it is deleted (a concurrent writer added a child after the
/// count): refused by the foreign keys; say so instead of a database error.
fn in_use(e: sqlx::Error, what: String) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::Locked(format!(
            "{what} is still in use (something was added to it meanwhile); reload and try again"
        )),
        _ => StoreError::Database(e),
    }
}

// ---------------------------------------------------------------------------------------
// Assets: the list

/// What the asset list shows: every filter given narrows it; one page at a time, in
/// asset-tag order.
#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    /// Part of the tag, name, vendor, product family, model, order or serial number,
    /// location, or an IP or MAC address (case-insensitive).
    pub q: Option<String>,
    pub asset_type: Option<AssetType>,
    pub zone_id: Option<Uuid>,
    pub system_id: Option<Uuid>,
    /// A Purdue level as [`parse_purdue_level`] reads it (`2`, `L2`, `3.5`, `DMZ`).
    pub purdue_level: Option<String>,
    pub lifecycle: Option<Lifecycle>,
    pub criticality: Option<Criticality>,
    /// Assets of the systems of this site.
    pub site_id: Option<Uuid>,
    /// Page size, 1 to 1,000 (0 gives 50).
    pub limit: i64,
    /// The keyset cursor: the tag of the last asset of the previous page ([`AssetPage::next`]).
    pub after: Option<String>,
}

/// The names an asset import resolves and an export writes (see
/// [`Store::inventory_names`]).
#[derive(Debug, Clone, Default)]
pub struct InventoryNames {
    pub systems: Vec<(Uuid, String)>,
    pub zones: Vec<(Uuid, String)>,
    /// Members: user id and user name.
    pub members: Vec<(Uuid, String)>,
    /// The asset tags in use.
    pub tags: std::collections::HashSet<String>,
}

/// One page of the asset list.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetPage {
    pub assets: Vec<Asset>,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
}

enum Arg {
    Id(Uuid),
    Text(String),
    Int(i64),
}

/// The shortest query the trigram index serves as trigrams (SQLite's `assets_fts`,
/// PostgreSQL's `pg_trgm` index). Shorter ones are served on SQLite through the index's term
/// list ([`Store::short_query`]); PostgreSQL answers them with `LIKE` alone, which reads every
/// asset of the organization.
const TRIGRAM: usize = 3;

/// A short query (one or two characters) found in more rows than this (counted per trigram,
/// so an overestimate) is common: the list then reads the assets in tag order and stops at the
/// end of the page, which takes few rows when matches are common — faster than asking the
/// index for every row that holds it.
const SHORT_COMMON_ROWS: i64 = 2_000;

/// A short query with more trigrams than this in the index is treated as common as well.
const SHORT_MAX_TERMS: usize = 64;

/// How a short query is answered (see [`Store::short_query`]).
enum Short {
    /// No indexed text holds it: no asset matches.
    Nowhere,
    /// Many rows hold it: LIKE alone, in tag order, stopping at the end of the page.
    Common,
    /// An index query for the rows holding any of its trigrams.
    In(String),
}

/// Most trigrams of a query looked up in the index (any subset finds a superset of the
/// matches, which the `LIKE` then narrows).
const MAX_TRIGRAMS: usize = 16;

/// A query for the trigram index (`detail=none`, so no phrases): its distinct three-character
/// pieces, each quoted (quotes doubled), joined by AND. The rows found hold every piece; the
/// `LIKE` that follows keeps those that hold the whole query.
fn fts_trigrams(q: &str) -> String {
    let chars: Vec<char> = q.to_lowercase().chars().collect();
    let mut grams: Vec<String> = Vec::new();
    for w in chars.windows(TRIGRAM) {
        let g: String = w.iter().collect();
        if !grams.contains(&g) {
            grams.push(g);
        }
    }
    if grams.len() > MAX_TRIGRAMS {
        // Spread over the query: the first, the last and evenly between.
        let n = grams.len();
        grams = (0..MAX_TRIGRAMS)
            .map(|i| grams[i * (n - 1) / (MAX_TRIGRAMS - 1)].clone())
            .collect();
    }
    grams
        .iter()
        .map(|g| format!("\"{}\"", g.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// Escapes `%`, `_` and `\` for `LIKE … ESCAPE '\'`.
fn like_pattern(q: &str) -> String {
    let mut p = String::with_capacity(q.len() + 2);
    p.push('%');
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

// ---------------------------------------------------------------------------------------
// Assets: inserting

/// Inserts assets (already validated) with one multi-row `INSERT`.
async fn insert_assets(
    tx: &mut Tx,
    org_id: Uuid,
    now: OffsetDateTime,
    actor: &Actor,
    rows: Vec<(Uuid, NewAsset)>,
) -> Result<u64, sqlx::Error> {
    const PER_ROW: usize = 22;
    // SQLite looks a numbered parameter up by a linear search of the statement's names, so
    // binding `$N` costs the square of the parameters; anonymous `?` (bound in order, as
    // here) avoids it. The statement is otherwise the same text on both backends.
    let sqlite = matches!(tx, Tx::Sqlite(_));
    let shared = rows.len() * PER_ROW;
    let mut sql = String::with_capacity(400 + rows.len() * 160);
    sql.push_str(
        "INSERT INTO assets (id, asset_tag, name, asset_type, vendor, product_family, model, order_number, firmware_version, serial_number, \
         purdue_level, location, interfaces, search, protocols, criticality, owner_id, system_id, zone_id, lifecycle, sl_c, custom, \
         org_id, created_at, created_by, updated_at, updated_by, version) VALUES ",
    );
    for i in 0..rows.len() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        if sqlite {
            sql.push_str(&"?, ".repeat(PER_ROW));
            sql.push_str("?, ?, ?, ?, ?, 1)");
            continue;
        }
        for k in 1..=PER_ROW {
            sql.push_str(&format!("${}, ", i * PER_ROW + k));
        }
        let (o, t, b) = (shared + 1, shared + 2, shared + 3);
        sql.push_str(&format!("${o}, ${t}, ${b}, ${t}, ${b}, 1)"));
    }
    sql.push_str(" ON CONFLICT (org_id, asset_tag) DO NOTHING");
    Ok(on!(tx, c => {
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (id, a) in rows {
            let search = search_text(&a);
            let (interfaces, protocols, custom) =
                (to_json(&a.interfaces), to_json(&a.protocols), to_json(&a.custom));
            q = q
                .bind(id)
                .bind(a.asset_tag)
                .bind(a.name)
                .bind(a.asset_type.as_str())
                .bind(a.vendor)
                .bind(a.product_family)
                .bind(a.model)
                .bind(a.order_number)
                .bind(a.firmware_version)
                .bind(a.serial_number)
                .bind(a.purdue_level)
                .bind(a.location)
                .bind(interfaces)
                .bind(search)
                .bind(protocols)
                .bind(a.criticality.as_str())
                .bind(a.owner_id)
                .bind(a.system_id)
                .bind(a.zone_id)
                .bind(a.lifecycle.as_str())
                .bind(a.sl_c.map(|v| v.to_string()))
                .bind(custom);
            if sqlite {
                q = q.bind(org_id).bind(Ts(now)).bind(actor.user_id).bind(Ts(now)).bind(actor.user_id);
            }
        }
        if !sqlite {
            q = q.bind(org_id).bind(Ts(now)).bind(actor.user_id);
        }
        q.execute(&mut *c).await?.rows_affected()
    }))
}

/// SQLite's asset search index during an import: the trigger that indexes each new row is
/// set aside (inside the import's transaction, which holds the only writer, so nobody else
/// inserts meanwhile and a rollback restores it), and the imported rows are indexed with one
/// statement at the end. The trigger is put back exactly as the schema defines it (its text is
/// read from the schema, not repeated here).
struct SearchIndexPause {
    trigger: String,
    org_id: Uuid,
    /// Rows the import adds get rowids above this one.
    after: i64,
}

impl SearchIndexPause {
    async fn start(tx: &mut Tx, org_id: Uuid) -> Result<SearchIndexPause> {
        let Tx::Sqlite(c) = tx else {
            unreachable!("the search index trigger exists on SQLite only")
        };
        let trigger: String = sqlx::query_scalar(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'assets_fts_insert'",
        )
        .fetch_one(&mut **c)
        .await?;
        let after: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(rowid), 0) FROM assets")
            .fetch_one(&mut **c)
            .await?;
        sqlx::query("DROP TRIGGER assets_fts_insert")
            .execute(&mut **c)
            .await?;
        Ok(SearchIndexPause {
            trigger,
            org_id,
            after,
        })
    }

    async fn finish(self, tx: &mut Tx) -> Result<()> {
        let Tx::Sqlite(c) = tx else {
            unreachable!("the search index trigger exists on SQLite only")
        };
        // The same text the trigger indexes (see migration 0012).
        sqlx::query(
            "INSERT INTO assets_fts (rowid, search) SELECT rowid, search || char(10, 10) FROM assets WHERE rowid > $1 AND org_id = $2",
        )
        .bind(self.after)
        .bind(self.org_id)
        .execute(&mut **c)
        .await?;
        sqlx::query(AssertSqlSafe(self.trigger))
            .execute(&mut **c)
            .await?;
        Ok(())
    }
}

fn asset_from(id: Uuid, org_id: Uuid, a: NewAsset, at: OffsetDateTime, actor: &Actor) -> Asset {
    Asset {
        id,
        org_id,
        asset_tag: a.asset_tag,
        name: a.name,
        asset_type: a.asset_type,
        vendor: a.vendor,
        product_family: a.product_family,
        model: a.model,
        order_number: a.order_number,
        firmware_version: a.firmware_version,
        serial_number: a.serial_number,
        purdue_level: a.purdue_level,
        location: a.location,
        interfaces: a.interfaces,
        protocols: a.protocols,
        criticality: a.criticality,
        owner_id: a.owner_id,
        system_id: a.system_id,
        zone_id: a.zone_id,
        lifecycle: a.lifecycle,
        sl_c: a.sl_c,
        custom: a.custom,
        created_at: at,
        created_by: actor.user_id,
        updated_at: at,
        updated_by: actor.user_id,
        version: 1,
    }
}

/// Checks the references of an asset: its system and zone in the organization, its owner a
/// member.
async fn check_asset_refs(tx: &mut Tx, org_id: Uuid, a: &NewAsset) -> Result<()> {
    check_in_org(tx, "systems", "system_id", "system", org_id, a.system_id).await?;
    check_in_org(tx, "zones", "zone_id", "zone", org_id, a.zone_id).await?;
    check_member(tx, org_id, a.owner_id).await
}

/// An error about the asset at `index` of an import, naming its place and tag.
fn in_import(index: usize, tag: &str, e: FieldError) -> StoreError {
    let tag = tag.trim();
    let which = if tag.is_empty() {
        format!("asset {} of the import", index + 1)
    } else {
        format!("asset {} of the import ('{tag}')", index + 1)
    };
    FieldError {
        field: e.field,
        message: format!("{which}: {}", e.message),
    }
    .into()
}

impl Store {
    // -----------------------------------------------------------------------------------
    // Sites

    /// Creates a site.
    pub async fn create_site(&self, actor: &Actor, org_id: Uuid, new: NewSite) -> Result<Site> {
        let new = validate_site(new)?;
        let now = csms_domain::time::now();
        let site = Site {
            id: new_id(),
            org_id,
            name: new.name,
            location: new.location,
            description: new.description,
            created_at: now,
            created_by: actor.user_id,
            updated_at: now,
            updated_by: actor.user_id,
            version: 1,
        };
        let mut tx = self.begin().await?;
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO sites (id, org_id, name, location, description, created_at, created_by, updated_at, updated_by, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $7, 1)"
        ).bind(site.id).bind(org_id).bind(&site.name).bind(&site.location).bind(&site.description)
        .bind(Ts(now)).bind(actor.user_id)
        .execute(&mut *c).await
        .map_err(|e| StoreError::unique(e, "site", "name", &site.name))?.rows_affected());
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "create", None, Some(&site)),
        )
        .await?;
        tx.commit().await?;
        Ok(site)
    }

    /// The organization's sites by name.
    pub async fn sites(&self, org_id: Uuid) -> Result<Vec<Site>> {
        let rows: Vec<SiteRow> = read!(self, p => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {SITE_COLUMNS} FROM sites WHERE org_id = $1 ORDER BY name"
        ))).bind(org_id).fetch_all(p).await?);
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// One site of the organization (another organization's is "not found").
    pub async fn site(&self, org_id: Uuid, id: Uuid) -> Result<Site> {
        let row: Option<SiteRow> = read!(self, p => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {SITE_COLUMNS} FROM sites WHERE org_id = $1 AND id = $2"
        ))).bind(org_id).bind(id).fetch_optional(p).await?);
        row.map(Into::into).ok_or_else(|| not_found("site", id))
    }

    async fn site_in(tx: &mut Tx, org_id: Uuid, id: Uuid) -> Result<Site> {
        let row: Option<SiteRow> = on!(tx, c => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {SITE_COLUMNS} FROM sites WHERE org_id = $1 AND id = $2"
        ))).bind(org_id).bind(id).fetch_optional(&mut *c).await?);
        row.map(Into::into).ok_or_else(|| not_found("site", id))
    }

    /// Changes a site; `expected_version` is the version the caller read.
    pub async fn update_site(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
        new: NewSite,
    ) -> Result<Site> {
        let new = validate_site(new)?;
        let mut tx = self.begin().await?;
        let before = Self::site_in(&mut tx, org_id, id).await?;
        if before.version != expected_version {
            return Err(conflict("site", id, expected_version, before.version));
        }
        let after = Site {
            name: new.name,
            location: new.location,
            description: new.description,
            updated_at: csms_domain::time::now(),
            updated_by: actor.user_id,
            version: before.version + 1,
            ..before.clone()
        };
        let changed = on!(&mut tx, c => sqlx::query(
            "UPDATE sites SET name = $1, location = $2, description = $3, updated_at = $4, updated_by = $5, version = version + 1 \
             WHERE org_id = $6 AND id = $7 AND version = $8"
        ).bind(&after.name).bind(&after.location).bind(&after.description)
        .bind(Ts(after.updated_at)).bind(actor.user_id).bind(org_id).bind(id).bind(expected_version)
        .execute(&mut *c).await
        .map_err(|e| StoreError::unique(e, "site", "name", &after.name))?.rows_affected());
        if changed != 1 {
            let current = current_version(&mut tx, "sites", id).await?;
            return Err(conflict("site", id, expected_version, current));
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

    /// Deletes a site that no system refers to.
    pub async fn delete_site(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let before = Self::site_in(&mut tx, org_id, id).await?;
        if before.version != expected_version {
            return Err(conflict("site", id, expected_version, before.version));
        }
        let systems = count_in(&mut tx, "systems", "site_id = $2", org_id, id).await?;
        if systems > 0 {
            return Err(StoreError::Locked(format!(
                "site '{}' still has {}; move them to another site or delete them first",
                before.name,
                count_of(systems, "system")
            )));
        }
        let what = format!("site '{}'", before.name);
        delete_at_version(&mut tx, "sites", "site", org_id, id, expected_version, what).await?;
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

    // -----------------------------------------------------------------------------------
    // Systems

    /// Creates a system (an IACS or system under consideration).
    pub async fn create_system(
        &self,
        actor: &Actor,
        org_id: Uuid,
        new: NewSystem,
    ) -> Result<System> {
        let new = validate_system(new)?;
        let now = csms_domain::time::now();
        let system = System {
            id: new_id(),
            org_id,
            site_id: new.site_id,
            name: new.name,
            description: new.description,
            owner_id: new.owner_id,
            criticality: new.criticality,
            created_at: now,
            created_by: actor.user_id,
            updated_at: now,
            updated_by: actor.user_id,
            version: 1,
        };
        let mut tx = self.begin().await?;
        check_in_org(&mut tx, "sites", "site_id", "site", org_id, system.site_id).await?;
        check_member(&mut tx, org_id, system.owner_id).await?;
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO systems (id, org_id, site_id, name, description, owner_id, criticality, created_at, created_by, updated_at, updated_by, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $9, 1)"
        ).bind(system.id).bind(org_id).bind(system.site_id).bind(&system.name).bind(&system.description)
        .bind(system.owner_id).bind(system.criticality.as_str()).bind(Ts(now)).bind(actor.user_id)
        .execute(&mut *c).await
        .map_err(|e| StoreError::unique(e, "system", "name", &system.name))?.rows_affected());
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "create", None, Some(&system)),
        )
        .await?;
        tx.commit().await?;
        Ok(system)
    }

    /// The organization's systems by name.
    pub async fn systems(&self, org_id: Uuid) -> Result<Vec<System>> {
        let rows: Vec<SystemRow> = read!(self, p => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {SYSTEM_COLUMNS} FROM systems WHERE org_id = $1 ORDER BY name"
        ))).bind(org_id).fetch_all(p).await?);
        convert(rows)
    }

    /// One system of the organization.
    pub async fn system(&self, org_id: Uuid, id: Uuid) -> Result<System> {
        let row: Option<SystemRow> = read!(self, p => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {SYSTEM_COLUMNS} FROM systems WHERE org_id = $1 AND id = $2"
        ))).bind(org_id).bind(id).fetch_optional(p).await?);
        row.ok_or_else(|| not_found("system", id))?.try_into()
    }

    async fn system_in(tx: &mut Tx, org_id: Uuid, id: Uuid) -> Result<System> {
        let row: Option<SystemRow> = on!(tx, c => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {SYSTEM_COLUMNS} FROM systems WHERE org_id = $1 AND id = $2"
        ))).bind(org_id).bind(id).fetch_optional(&mut *c).await?);
        row.ok_or_else(|| not_found("system", id))?.try_into()
    }

    /// Changes a system; `expected_version` is the version the caller read.
    pub async fn update_system(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
        new: NewSystem,
    ) -> Result<System> {
        let new = validate_system(new)?;
        let mut tx = self.begin().await?;
        let before = Self::system_in(&mut tx, org_id, id).await?;
        if before.version != expected_version {
            return Err(conflict("system", id, expected_version, before.version));
        }
        check_in_org(&mut tx, "sites", "site_id", "site", org_id, new.site_id).await?;
        check_member(&mut tx, org_id, new.owner_id).await?;
        let after = System {
            site_id: new.site_id,
            name: new.name,
            description: new.description,
            owner_id: new.owner_id,
            criticality: new.criticality,
            updated_at: csms_domain::time::now(),
            updated_by: actor.user_id,
            version: before.version + 1,
            ..before.clone()
        };
        let changed = on!(&mut tx, c => sqlx::query(
            "UPDATE systems SET site_id = $1, name = $2, description = $3, owner_id = $4, criticality = $5, updated_at = $6, updated_by = $7, version = version + 1 \
             WHERE org_id = $8 AND id = $9 AND version = $10"
        ).bind(after.site_id).bind(&after.name).bind(&after.description).bind(after.owner_id).bind(after.criticality.as_str())
        .bind(Ts(after.updated_at)).bind(actor.user_id).bind(org_id).bind(id).bind(expected_version)
        .execute(&mut *c).await
        .map_err(|e| StoreError::unique(e, "system", "name", &after.name))?.rows_affected());
        if changed != 1 {
            let current = current_version(&mut tx, "systems", id).await?;
            return Err(conflict("system", id, expected_version, current));
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

    /// Deletes a system that no zone or asset belongs to.
    pub async fn delete_system(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let before = Self::system_in(&mut tx, org_id, id).await?;
        if before.version != expected_version {
            return Err(conflict("system", id, expected_version, before.version));
        }
        let zones = count_in(&mut tx, "zones", "system_id = $2", org_id, id).await?;
        let assets = count_in(&mut tx, "assets", "system_id = $2", org_id, id).await?;
        if zones > 0 || assets > 0 {
            let held: Vec<String> = [(zones, "zone"), (assets, "asset")]
                .into_iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, what)| count_of(n, what))
                .collect();
            return Err(StoreError::Locked(format!(
                "system '{}' still has {}; assign them to another system or to none first",
                before.name,
                held.join(" and ")
            )));
        }
        let what = format!("system '{}'", before.name);
        let risks = count_in(&mut tx, "risks", "system_id = $2", org_id, id).await?;
        if risks > 0 {
            return Err(named_by_risks(
                &what,
                risks,
                "change or delete those high-level risks",
            ));
        }
        delete_at_version(
            &mut tx,
            "systems",
            "system",
            org_id,
            id,
            expected_version,
            what,
        )
        .await?;
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

    // -----------------------------------------------------------------------------------
    // Zones

    /// Creates a zone with its target security level.
    pub async fn create_zone(&self, actor: &Actor, org_id: Uuid, new: NewZone) -> Result<Zone> {
        let new = validate_zone(new)?;
        let now = csms_domain::time::now();
        let zone = Zone {
            id: new_id(),
            org_id,
            name: new.name,
            description: new.description,
            system_id: new.system_id,
            sl_t: new.sl_t,
            sl_t_proposed: new.sl_t_proposed,
            sl_t_justification: new.sl_t_justification,
            created_at: now,
            created_by: actor.user_id,
            updated_at: now,
            updated_by: actor.user_id,
            version: 1,
        };
        let mut tx = self.begin().await?;
        check_in_org(
            &mut tx,
            "systems",
            "system_id",
            "system",
            org_id,
            zone.system_id,
        )
        .await?;
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO zones (id, org_id, name, description, system_id, sl_t, sl_t_proposed, sl_t_justification, created_at, created_by, updated_at, updated_by, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9, $10, 1)"
        ).bind(zone.id).bind(org_id).bind(&zone.name).bind(&zone.description).bind(zone.system_id)
        .bind(zone.sl_t.to_string()).bind(zone.sl_t_proposed.map(|v| v.to_string())).bind(&zone.sl_t_justification)
        .bind(Ts(now)).bind(actor.user_id)
        .execute(&mut *c).await
        .map_err(|e| StoreError::unique(e, "zone", "name", &zone.name))?.rows_affected());
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "create", None, Some(&zone)),
        )
        .await?;
        tx.commit().await?;
        Ok(zone)
    }

    /// The organization's zones by name.
    pub async fn zones(&self, org_id: Uuid) -> Result<Vec<Zone>> {
        let rows: Vec<ZoneRow> = read!(self, p => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ZONE_COLUMNS} FROM zones WHERE org_id = $1 ORDER BY name"
        ))).bind(org_id).fetch_all(p).await?);
        convert(rows)
    }

    /// One zone of the organization.
    pub async fn zone(&self, org_id: Uuid, id: Uuid) -> Result<Zone> {
        let row: Option<ZoneRow> = read!(self, p => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ZONE_COLUMNS} FROM zones WHERE org_id = $1 AND id = $2"
        ))).bind(org_id).bind(id).fetch_optional(p).await?);
        row.ok_or_else(|| not_found("zone", id))?.try_into()
    }

    async fn zone_in(tx: &mut Tx, org_id: Uuid, id: Uuid) -> Result<Zone> {
        let row: Option<ZoneRow> = on!(tx, c => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ZONE_COLUMNS} FROM zones WHERE org_id = $1 AND id = $2"
        ))).bind(org_id).bind(id).fetch_optional(&mut *c).await?);
        row.ok_or_else(|| not_found("zone", id))?.try_into()
    }

    /// Changes a zone; `expected_version` is the version the caller read.
    pub async fn update_zone(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
        new: NewZone,
    ) -> Result<Zone> {
        let new = validate_zone(new)?;
        let mut tx = self.begin().await?;
        let before = Self::zone_in(&mut tx, org_id, id).await?;
        if before.version != expected_version {
            return Err(conflict("zone", id, expected_version, before.version));
        }
        check_in_org(
            &mut tx,
            "systems",
            "system_id",
            "system",
            org_id,
            new.system_id,
        )
        .await?;
        let after = Zone {
            name: new.name,
            description: new.description,
            system_id: new.system_id,
            sl_t: new.sl_t,
            sl_t_proposed: new.sl_t_proposed,
            sl_t_justification: new.sl_t_justification,
            updated_at: csms_domain::time::now(),
            updated_by: actor.user_id,
            version: before.version + 1,
            ..before.clone()
        };
        let changed = on!(&mut tx, c => sqlx::query(
            "UPDATE zones SET name = $1, description = $2, system_id = $3, sl_t = $4, sl_t_proposed = $5, sl_t_justification = $6, \
             updated_at = $7, updated_by = $8, version = version + 1 WHERE org_id = $9 AND id = $10 AND version = $11"
        ).bind(&after.name).bind(&after.description).bind(after.system_id).bind(after.sl_t.to_string())
        .bind(after.sl_t_proposed.map(|v| v.to_string())).bind(&after.sl_t_justification)
        .bind(Ts(after.updated_at)).bind(actor.user_id).bind(org_id).bind(id).bind(expected_version)
        .execute(&mut *c).await
        .map_err(|e| StoreError::unique(e, "zone", "name", &after.name))?.rows_affected());
        if changed != 1 {
            let current = current_version(&mut tx, "zones", id).await?;
            return Err(conflict("zone", id, expected_version, current));
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

    /// Deletes a zone that holds no asset and is no end of a conduit.
    pub async fn delete_zone(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let before = Self::zone_in(&mut tx, org_id, id).await?;
        if before.version != expected_version {
            return Err(conflict("zone", id, expected_version, before.version));
        }
        let assets = count_in(&mut tx, "assets", "zone_id = $2", org_id, id).await?;
        let conduits = count_in(
            &mut tx,
            "conduits",
            "from_zone_id = $2 OR to_zone_id = $2",
            org_id,
            id,
        )
        .await?;
        if assets > 0 || conduits > 0 {
            let mut held = Vec::new();
            let mut fix = Vec::new();
            if assets > 0 {
                held.push(format!("holds {}", count_of(assets, "asset")));
                fix.push("move its assets to another zone");
            }
            if conduits > 0 {
                held.push(format!("is joined by {}", count_of(conduits, "conduit")));
                fix.push("delete its conduits");
            }
            return Err(StoreError::Locked(format!(
                "zone '{}' still {}; {} first",
                before.name,
                held.join(" and "),
                fix.join(" and ")
            )));
        }
        let what = format!("zone '{}'", before.name);
        let risks = count_in(&mut tx, "risk_zones", "zone_id = $2", org_id, id).await?;
        if risks > 0 {
            return Err(named_by_risks(
                &what,
                risks,
                "remove the zone from those risks",
            ));
        }
        delete_at_version(&mut tx, "zones", "zone", org_id, id, expected_version, what).await?;
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

    /// How many assets each zone of the organization holds (zones without any are absent).
    pub async fn zone_asset_counts(&self, org_id: Uuid) -> Result<HashMap<Uuid, i64>> {
        let rows: Vec<(Uuid, i64)> = read!(self, p => sqlx::query_as(
            "SELECT zone_id, COUNT(*) FROM assets WHERE org_id = $1 AND zone_id IS NOT NULL GROUP BY zone_id"
        ).bind(org_id).fetch_all(p).await?);
        Ok(rows.into_iter().collect())
    }

    // -----------------------------------------------------------------------------------
    // Conduits

    /// Creates a conduit between two zones of the organization.
    pub async fn create_conduit(
        &self,
        actor: &Actor,
        org_id: Uuid,
        new: NewConduit,
    ) -> Result<Conduit> {
        let new = validate_conduit(new)?;
        let now = csms_domain::time::now();
        let conduit = Conduit {
            id: new_id(),
            org_id,
            name: new.name,
            from_zone_id: new.from_zone_id,
            to_zone_id: new.to_zone_id,
            channels: new.channels,
            description: new.description,
            created_at: now,
            created_by: actor.user_id,
            updated_at: now,
            updated_by: actor.user_id,
            version: 1,
        };
        let mut tx = self.begin().await?;
        check_in_org(
            &mut tx,
            "zones",
            "from_zone_id",
            "zone",
            org_id,
            Some(conduit.from_zone_id),
        )
        .await?;
        check_in_org(
            &mut tx,
            "zones",
            "to_zone_id",
            "zone",
            org_id,
            Some(conduit.to_zone_id),
        )
        .await?;
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO conduits (id, org_id, name, from_zone_id, to_zone_id, channels, description, created_at, created_by, updated_at, updated_by, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $9, 1)"
        ).bind(conduit.id).bind(org_id).bind(&conduit.name).bind(conduit.from_zone_id).bind(conduit.to_zone_id)
        .bind(to_json(&conduit.channels)).bind(&conduit.description).bind(Ts(now)).bind(actor.user_id)
        .execute(&mut *c).await
        .map_err(|e| StoreError::unique(e, "conduit", "name", &conduit.name))?.rows_affected());
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "create", None, Some(&conduit)),
        )
        .await?;
        tx.commit().await?;
        Ok(conduit)
    }

    /// The organization's conduits by name.
    pub async fn conduits(&self, org_id: Uuid) -> Result<Vec<Conduit>> {
        let rows: Vec<ConduitRow> = read!(self, p => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {CONDUIT_COLUMNS} FROM conduits WHERE org_id = $1 ORDER BY name"
        ))).bind(org_id).fetch_all(p).await?);
        convert(rows)
    }

    /// One conduit of the organization.
    pub async fn conduit(&self, org_id: Uuid, id: Uuid) -> Result<Conduit> {
        let row: Option<ConduitRow> = read!(self, p => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {CONDUIT_COLUMNS} FROM conduits WHERE org_id = $1 AND id = $2"
        ))).bind(org_id).bind(id).fetch_optional(p).await?);
        row.ok_or_else(|| not_found("conduit", id))?.try_into()
    }

    async fn conduit_in(tx: &mut Tx, org_id: Uuid, id: Uuid) -> Result<Conduit> {
        let row: Option<ConduitRow> = on!(tx, c => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {CONDUIT_COLUMNS} FROM conduits WHERE org_id = $1 AND id = $2"
        ))).bind(org_id).bind(id).fetch_optional(&mut *c).await?);
        row.ok_or_else(|| not_found("conduit", id))?.try_into()
    }

    /// Changes a conduit; `expected_version` is the version the caller read.
    pub async fn update_conduit(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
        new: NewConduit,
    ) -> Result<Conduit> {
        let new = validate_conduit(new)?;
        let mut tx = self.begin().await?;
        let before = Self::conduit_in(&mut tx, org_id, id).await?;
        if before.version != expected_version {
            return Err(conflict("conduit", id, expected_version, before.version));
        }
        check_in_org(
            &mut tx,
            "zones",
            "from_zone_id",
            "zone",
            org_id,
            Some(new.from_zone_id),
        )
        .await?;
        check_in_org(
            &mut tx,
            "zones",
            "to_zone_id",
            "zone",
            org_id,
            Some(new.to_zone_id),
        )
        .await?;
        let after = Conduit {
            name: new.name,
            from_zone_id: new.from_zone_id,
            to_zone_id: new.to_zone_id,
            channels: new.channels,
            description: new.description,
            updated_at: csms_domain::time::now(),
            updated_by: actor.user_id,
            version: before.version + 1,
            ..before.clone()
        };
        let changed = on!(&mut tx, c => sqlx::query(
            "UPDATE conduits SET name = $1, from_zone_id = $2, to_zone_id = $3, channels = $4, description = $5, updated_at = $6, updated_by = $7, \
             version = version + 1 WHERE org_id = $8 AND id = $9 AND version = $10"
        ).bind(&after.name).bind(after.from_zone_id).bind(after.to_zone_id).bind(to_json(&after.channels)).bind(&after.description)
        .bind(Ts(after.updated_at)).bind(actor.user_id).bind(org_id).bind(id).bind(expected_version)
        .execute(&mut *c).await
        .map_err(|e| StoreError::unique(e, "conduit", "name", &after.name))?.rows_affected());
        if changed != 1 {
            let current = current_version(&mut tx, "conduits", id).await?;
            return Err(conflict("conduit", id, expected_version, current));
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

    /// Deletes a conduit.
    pub async fn delete_conduit(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let before = Self::conduit_in(&mut tx, org_id, id).await?;
        if before.version != expected_version {
            return Err(conflict("conduit", id, expected_version, before.version));
        }
        let what = format!("conduit '{}'", before.name);
        delete_at_version(
            &mut tx,
            "conduits",
            "conduit",
            org_id,
            id,
            expected_version,
            what,
        )
        .await?;
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

    // -----------------------------------------------------------------------------------
    // Assets

    /// Creates an asset.
    pub async fn create_asset(&self, actor: &Actor, org_id: Uuid, new: NewAsset) -> Result<Asset> {
        let new = validate_asset(new)?;
        let now = csms_domain::time::now();
        let id = new_id();
        let mut tx = self.begin().await?;
        check_asset_refs(&mut tx, org_id, &new).await?;
        if insert_assets(&mut tx, org_id, now, actor, vec![(id, new.clone())]).await? == 0 {
            return Err(StoreError::Duplicate {
                kind: "asset",
                field: "asset_tag",
                value: new.asset_tag,
            });
        }
        let asset = asset_from(id, org_id, new, now, actor);
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "create", None, Some(&asset)),
        )
        .await?;
        tx.commit().await?;
        Ok(asset)
    }

    /// One asset of the organization.
    pub async fn asset(&self, org_id: Uuid, id: Uuid) -> Result<Asset> {
        let row: Option<AssetRow> = read!(self, p => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ASSET_COLUMNS} FROM assets WHERE org_id = $1 AND id = $2"
        ))).bind(org_id).bind(id).fetch_optional(p).await?);
        row.ok_or_else(|| not_found("asset", id))?.try_into()
    }

    /// The asset of the organization with this tag.
    pub async fn asset_by_tag(&self, org_id: Uuid, tag: &str) -> Result<Asset> {
        let row: Option<AssetRow> = read!(self, p => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ASSET_COLUMNS} FROM assets WHERE org_id = $1 AND asset_tag = $2"
        ))).bind(org_id).bind(tag).fetch_optional(p).await?);
        row.ok_or_else(|| StoreError::NotFound {
            kind: "asset",
            id: tag.to_owned(),
        })?
        .try_into()
    }

    async fn asset_in(tx: &mut Tx, org_id: Uuid, id: Uuid) -> Result<Asset> {
        let row: Option<AssetRow> = on!(tx, c => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ASSET_COLUMNS} FROM assets WHERE org_id = $1 AND id = $2"
        ))).bind(org_id).bind(id).fetch_optional(&mut *c).await?);
        row.ok_or_else(|| not_found("asset", id))?.try_into()
    }

    /// Changes an asset (every field is written); `expected_version` is the version the
    /// caller read.
    pub async fn update_asset(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
        new: NewAsset,
    ) -> Result<Asset> {
        let new = validate_asset(new)?;
        let mut tx = self.begin().await?;
        let before = Self::asset_in(&mut tx, org_id, id).await?;
        if before.version != expected_version {
            return Err(conflict("asset", id, expected_version, before.version));
        }
        check_asset_refs(&mut tx, org_id, &new).await?;
        let search = search_text(&new);
        let now = csms_domain::time::now();
        let after = Asset {
            created_at: before.created_at,
            created_by: before.created_by,
            version: before.version + 1,
            ..asset_from(id, org_id, new, now, actor)
        };
        let a = &after;
        let changed = on!(&mut tx, c => sqlx::query(
            "UPDATE assets SET asset_tag = $1, name = $2, asset_type = $3, vendor = $4, product_family = $5, model = $6, order_number = $7, \
             firmware_version = $8, serial_number = $9, purdue_level = $10, location = $11, interfaces = $12, search = $13, protocols = $14, \
             criticality = $15, owner_id = $16, system_id = $17, zone_id = $18, lifecycle = $19, sl_c = $20, custom = $21, \
             updated_at = $22, updated_by = $23, version = version + 1 WHERE org_id = $24 AND id = $25 AND version = $26"
        ).bind(&a.asset_tag).bind(&a.name).bind(a.asset_type.as_str()).bind(&a.vendor).bind(&a.product_family).bind(&a.model)
        .bind(&a.order_number).bind(&a.firmware_version).bind(&a.serial_number).bind(a.purdue_level.as_deref()).bind(&a.location)
        .bind(to_json(&a.interfaces)).bind(&search).bind(to_json(&a.protocols)).bind(a.criticality.as_str())
        .bind(a.owner_id).bind(a.system_id).bind(a.zone_id).bind(a.lifecycle.as_str()).bind(a.sl_c.map(|v| v.to_string()))
        .bind(to_json(&a.custom)).bind(Ts(now)).bind(actor.user_id).bind(org_id).bind(id).bind(expected_version)
        .execute(&mut *c).await
        .map_err(|e| StoreError::unique(e, "asset", "asset_tag", &a.asset_tag))?.rows_affected());
        if changed != 1 {
            let current = current_version(&mut tx, "assets", id).await?;
            return Err(conflict("asset", id, expected_version, current));
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

    /// Deletes an asset. (An asset taken out of service is usually kept as decommissioned.)
    pub async fn delete_asset(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        expected_version: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let before = Self::asset_in(&mut tx, org_id, id).await?;
        if before.version != expected_version {
            return Err(conflict("asset", id, expected_version, before.version));
        }
        let what = format!("asset '{}'", before.asset_tag);
        let risks = count_in(&mut tx, "risk_assets", "asset_id = $2", org_id, id).await?;
        if risks > 0 {
            return Err(named_by_risks(
                &what,
                risks,
                "remove the asset from those risks",
            ));
        }
        delete_at_version(
            &mut tx,
            "assets",
            "asset",
            org_id,
            id,
            expected_version,
            what,
        )
        .await?;
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

    /// What an import or export of the organization's assets refers to: its systems, zones and
    /// members by name, and the tags in use.
    pub async fn inventory_names(&self, org_id: Uuid) -> Result<InventoryNames> {
        let systems = self
            .systems(org_id)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        let zones = self
            .zones(org_id)
            .await?
            .into_iter()
            .map(|z| (z.id, z.name))
            .collect();
        let members = self
            .members(org_id)
            .await?
            .into_iter()
            .map(|m| (m.user.id, m.user.username))
            .collect();
        let tags: Vec<String> = read!(self, p => sqlx::query_scalar(
            "SELECT asset_tag FROM assets WHERE org_id = $1"
        ).bind(org_id).fetch_all(p).await?);
        Ok(InventoryNames {
            systems,
            zones,
            members,
            tags: tags.into_iter().collect(),
        })
    }

    /// One page of the organization's assets in tag order, narrowed by the filter: one query
    /// that pages along the index of the filter used (each ends with the tag).
    pub async fn assets(&self, org_id: Uuid, filter: &AssetFilter) -> Result<AssetPage> {
        let limit = if filter.limit <= 0 {
            DEFAULT_PAGE
        } else {
            filter.limit.min(MAX_PAGE)
        };
        let mut sql = format!("SELECT {ASSET_COLUMNS} FROM assets WHERE org_id = $1");
        let mut args = vec![Arg::Id(org_id)];
        let mut push = |sql: &mut String, condition: &str, arg: Arg| {
            args.push(arg);
            sql.push_str(&condition.replace("$n", &format!("${}", args.len())));
        };
        if let Some(t) = filter.asset_type {
            push(
                &mut sql,
                " AND asset_type = $n",
                Arg::Text(t.as_str().into()),
            );
        }
        if let Some(z) = filter.zone_id {
            push(&mut sql, " AND zone_id = $n", Arg::Id(z));
        }
        if let Some(s) = filter.system_id {
            push(&mut sql, " AND system_id = $n", Arg::Id(s));
        }
        if let Some(l) = filter
            .purdue_level
            .as_deref()
            .filter(|l| !l.trim().is_empty())
        {
            let level = parse_purdue_level(l)?;
            push(&mut sql, " AND purdue_level = $n", Arg::Text(level.into()));
        }
        if let Some(l) = filter.lifecycle {
            push(
                &mut sql,
                " AND lifecycle = $n",
                Arg::Text(l.as_str().into()),
            );
        }
        if let Some(c) = filter.criticality {
            push(
                &mut sql,
                " AND criticality = $n",
                Arg::Text(c.as_str().into()),
            );
        }
        if let Some(s) = filter.site_id {
            push(
                &mut sql,
                " AND system_id IN (SELECT id FROM systems WHERE org_id = $1 AND site_id = $n)",
                Arg::Id(s),
            );
        }
        if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            csms_domain::inventory::validate_line("q", q, 200)?;
            if self.backend() == crate::Backend::Sqlite {
                // The trigram index finds the candidates; the LIKE below keeps the result
                // exactly the substring match PostgreSQL gives.
                let fts = if q.chars().count() >= TRIGRAM {
                    Some(fts_trigrams(q))
                } else {
                    match self.short_query(q).await? {
                        Short::Nowhere => {
                            return Ok(AssetPage {
                                assets: Vec::new(),
                                next: None,
                            });
                        }
                        Short::Common => None,
                        Short::In(terms) => Some(terms),
                    }
                };
                if let Some(fts) = fts {
                    push(
                        &mut sql,
                        " AND rowid IN (SELECT rowid FROM assets_fts WHERE assets_fts MATCH $n)",
                        Arg::Text(fts),
                    );
                }
            }
            push(
                &mut sql,
                " AND search LIKE $n ESCAPE '\\'",
                Arg::Text(like_pattern(q)),
            );
        }
        if let Some(after) = &filter.after {
            push(&mut sql, " AND asset_tag > $n", Arg::Text(after.clone()));
        }
        push(
            &mut sql,
            " ORDER BY asset_tag LIMIT $n",
            Arg::Int(limit + 1),
        );
        let rows: Vec<AssetRow> = read!(self, p => {
            let mut q = sqlx::query_as(AssertSqlSafe(sql));
            for a in &args {
                q = match a {
                    Arg::Id(id) => q.bind(*id),
                    Arg::Text(t) => q.bind(t.as_str()),
                    Arg::Int(i) => q.bind(*i),
                };
            }
            q.fetch_all(p).await?
        });
        let mut assets: Vec<Asset> = convert(rows)?;
        let next = if assets.len() as i64 > limit {
            assets.truncate(limit as usize);
            assets.last().map(|a| a.asset_tag.clone())
        } else {
            None
        };
        Ok(AssetPage { assets, next })
    }

    /// How the trigram index serves a query of one or two characters (SQLite): every
    /// character of an indexed text starts a trigram (the index holds each text followed by
    /// two line breaks), so the rows holding the query are those holding a trigram that starts
    /// with it. The index's term list names those trigrams and how many rows hold each.
    async fn short_query(&self, q: &str) -> Result<Short> {
        let q = q.to_lowercase();
        let upper = format!("{q}\u{10FFFF}");
        let terms: Vec<(String, i64)> = read!(self, p => sqlx::query_as(
            "SELECT term, doc FROM assets_fts_terms WHERE term >= $1 AND term < $2"
        ).bind(&q).bind(&upper).fetch_all(p).await?);
        let rows: i64 = terms.iter().map(|t| t.1).sum();
        Ok(if terms.is_empty() {
            Short::Nowhere
        } else if terms.len() > SHORT_MAX_TERMS || rows > SHORT_COMMON_ROWS {
            Short::Common
        } else {
            Short::In(
                terms
                    .iter()
                    .map(|(t, _)| format!("\"{}\"", t.replace('"', "\"\"")))
                    .collect::<Vec<_>>()
                    .join(" OR "),
            )
        })
    }

    /// Imports assets in one transaction: all of them or, on any error, none. Tags must be
    /// new to the organization and distinct within the import; an error names the asset's
    /// place in the import ("asset 500 of the import", counting from 1 in the given order)
    /// and its tag. The trail gets one `asset_import` record with the
    /// counts (not one record per asset).
    pub async fn import_assets(
        &self,
        actor: &Actor,
        org_id: Uuid,
        assets: Vec<NewAsset>,
    ) -> Result<ImportSummary> {
        self.import_assets_with_progress(actor, org_id, assets, None, &mut |_| {})
            .await
    }

    /// [`Store::import_assets`] of the assets read from a file: the trail record names the
    /// file's SHA-256, so it says exactly which file was imported.
    pub async fn import_assets_from_file(
        &self,
        actor: &Actor,
        org_id: Uuid,
        assets: Vec<NewAsset>,
        file_sha256: &str,
    ) -> Result<ImportSummary> {
        self.import_assets_with_progress(actor, org_id, assets, Some(file_sha256), &mut |_| {})
            .await
    }

    /// [`Store::import_assets`] (of a file, when `file_sha256` is given), telling `progress`
    /// how many assets are inserted so far (the command line draws a progress bar with it).
    pub async fn import_assets_with_progress(
        &self,
        actor: &Actor,
        org_id: Uuid,
        assets: Vec<NewAsset>,
        file_sha256: Option<&str>,
        progress: &mut (dyn FnMut(usize) + Send),
    ) -> Result<ImportSummary> {
        if assets.is_empty() {
            return Err(FieldError {
                field: "assets",
                message: "the import holds no assets; give at least one".into(),
            }
            .into());
        }
        let mut valid = Vec::with_capacity(assets.len());
        for (i, a) in assets.into_iter().enumerate() {
            let tag = a.asset_tag.clone();
            valid.push(validate_asset(a).map_err(|e| in_import(i, &tag, e))?);
        }
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(valid.len());
        for (i, a) in valid.iter().enumerate() {
            if let Some(first) = seen.insert(&a.asset_tag, i) {
                return Err(in_import(
                    i,
                    &a.asset_tag,
                    FieldError {
                        field: "asset_tag",
                        message: format!(
                            "the tag is also given to asset {}; give each asset its own tag",
                            first + 1
                        ),
                    },
                ));
            }
        }
        drop(seen);
        let now = csms_domain::time::now();
        let mut tx = self.begin().await?;
        // Each distinct reference is checked once; an error names the first asset using it.
        let mut checked: BTreeSet<(u8, Uuid)> = BTreeSet::new();
        for (i, a) in valid.iter().enumerate() {
            for (kind, id) in [(0u8, a.system_id), (1, a.zone_id), (2, a.owner_id)] {
                let Some(id) = id else { continue };
                if !checked.insert((kind, id)) {
                    continue;
                }
                let r = match kind {
                    0 => {
                        check_in_org(&mut tx, "systems", "system_id", "system", org_id, Some(id))
                            .await
                    }
                    1 => check_in_org(&mut tx, "zones", "zone_id", "zone", org_id, Some(id)).await,
                    _ => check_member(&mut tx, org_id, Some(id)).await,
                };
                if let Err(StoreError::Invalid(e)) = r {
                    return Err(in_import(i, &a.asset_tag, e));
                }
                r?;
            }
        }
        let sqlite = self.backend() == crate::Backend::Sqlite;
        let per = if sqlite {
            IMPORT_CHUNK_SQLITE
        } else {
            IMPORT_CHUNK
        };
        // SQLite's search index: filled once after the rows rather than by its insert trigger
        // per row (the index writes its pending terms out at every statement, so per-chunk
        // filling costs a segment per chunk and the merging of them all).
        let bulk = if sqlite {
            Some(SearchIndexPause::start(&mut tx, org_id).await?)
        } else {
            None
        };
        // The summary first: the rows are then moved into the statements (bound without
        // copying), keeping only each row's id and tag to name a refused one.
        let total = valid.len();
        let summary = ImportSummary::of(new_id(), &valid).from_file(file_sha256);
        let mut rest = valid.into_iter();
        for c in 0.. {
            let rows: Vec<(Uuid, NewAsset)> =
                rest.by_ref().take(per).map(|a| (new_id(), a)).collect();
            if rows.is_empty() {
                break;
            }
            let names: Vec<(Uuid, String)> = rows
                .iter()
                .map(|(id, a)| (*id, a.asset_tag.clone()))
                .collect();
            let inserted = insert_assets(&mut tx, org_id, now, actor, rows).await?;
            progress(c * per + names.len());
            if inserted != names.len() as u64 {
                // A tag is taken already: name the first (the transaction is rolled back).
                for (k, (id, tag)) in names.iter().enumerate() {
                    let stored: Option<Uuid> = on!(&mut tx, conn => sqlx::query_scalar(
                        "SELECT id FROM assets WHERE org_id = $1 AND asset_tag = $2"
                    ).bind(org_id).bind(tag).fetch_optional(&mut *conn).await?);
                    if stored != Some(*id) {
                        return Err(in_import(
                            c * per + k,
                            tag,
                            FieldError {
                                field: "asset_tag",
                                message: "the organization already has an asset with this tag; give this one another tag or leave it out of the import".into(),
                            },
                        ));
                    }
                }
                return Err(StoreError::Locked(
                    "some assets of the import were not stored; import the file again".into(),
                ));
            }
        }
        if let Some(bulk) = bulk {
            bulk.finish(&mut tx).await?;
        }
        progress(total);
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "import", None, Some(&summary)),
        )
        .await?;
        tx.commit().await?;
        Ok(summary)
    }
}
