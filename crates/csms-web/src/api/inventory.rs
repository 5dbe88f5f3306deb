//! `/api/v1` for the inventory area: sites, systems, assets (filtered, cursor-paged), zones
//! (SL-T, SL-A from the zone's 62443-3-3 assessment, the gap per FR with the SR/REs that close
//! it), conduits with their channels, and the zone and conduit diagram as SVG. The rules and
//! computations are the pages' (`pages::inventory`).

use std::collections::{BTreeMap, HashMap};

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use csms_domain::Uuid;
use csms_domain::inventory::{
    Asset, AssetType, Channel, Conduit, Criticality, Direction, Interface, Lifecycle, NewAsset,
    NewConduit, NewSite, NewSystem, NewZone, Site, System, Zone,
};
use csms_domain::org::{FieldError, Organization};
use csms_domain::time::format_canonical;
use csms_domain::zone::SlVector;
use csms_store::inventory::AssetFilter;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::{
    ProblemDto, bad_json, bad_path, bad_query, decode_cursor, encode_cursor, limit, plain_text,
    shown,
};
use crate::authz::Caller;
use crate::pages::inventory::{
    ZoneSecurity, check_zone_unassessed, diagram_svg, svg_download, zone_securities,
};
use crate::routes::{Route, route};
use crate::{AppState, Problem};

// ---------------------------------------------------------------------------------------
// DTOs

/// A site: a plant or location.
#[derive(Serialize, ToSchema)]
pub struct SiteDto {
    pub id: Uuid,
    pub name: String,
    pub location: String,
    pub description: String,
    /// Name this version when changing or deleting.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// All sites of the organization, by name.
#[derive(Serialize, ToSchema)]
pub struct SiteList {
    pub items: Vec<SiteDto>,
}

/// A new site.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSiteDto {
    /// 1 to 200 characters, unique in the organization.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub description: String,
}

/// A change of a site; omitted fields keep their value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SitePatch {
    /// The version you read; a stale one is refused with 409.
    pub version: i64,
    pub name: Option<String>,
    pub location: Option<String>,
    pub description: Option<String>,
}

/// A system: an IACS, or the system under consideration of a risk assessment.
#[derive(Serialize, ToSchema)]
pub struct SystemDto {
    pub id: Uuid,
    pub site_id: Option<Uuid>,
    pub name: String,
    pub description: String,
    /// User name of the member responsible.
    pub owner: Option<String>,
    /// low, medium, high or critical.
    pub criticality: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// All systems of the organization, by name.
#[derive(Serialize, ToSchema)]
pub struct SystemList {
    pub items: Vec<SystemDto>,
}

/// A new system.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSystemDto {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    pub site_id: Option<Uuid>,
    #[serde(default)]
    pub description: String,
    /// User name of a member.
    #[serde(default)]
    pub owner: Option<String>,
    /// low, medium (default), high or critical.
    #[serde(default)]
    pub criticality: Option<String>,
}

/// A change of a system; omitted fields keep their value, `null` clears site and owner.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemPatch {
    pub version: i64,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub site_id: Option<Option<Uuid>>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub owner: Option<Option<String>>,
    pub criticality: Option<String>,
}

/// A network interface of an asset.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct InterfaceDto {
    #[serde(default)]
    pub name: String,
    /// `00:1a:2b:3c:4d:5e`.
    #[serde(default)]
    pub mac: Option<String>,
    /// IPv4 or IPv6, optionally with a prefix length.
    #[serde(default)]
    pub ip: Option<String>,
    /// 1 to 4094.
    #[serde(default)]
    pub vlan: Option<u16>,
    #[serde(default)]
    pub protocols: Vec<String>,
}

/// An asset with its OT attributes.
#[derive(Serialize, ToSchema)]
pub struct AssetDto {
    pub id: Uuid,
    pub asset_tag: String,
    pub name: String,
    /// plc, dcs_controller, safety_system, hmi, engineering_workstation, historian, server,
    /// network_switch, firewall, rtu, ied, remote_io, sensor_actuator or other.
    pub asset_type: String,
    pub vendor: String,
    pub product_family: String,
    pub model: String,
    pub order_number: String,
    pub firmware_version: String,
    pub serial_number: String,
    /// 0, 1, 2, 3, 3.5 (industrial DMZ), 4 or 5.
    pub purdue_level: Option<String>,
    pub location: String,
    pub interfaces: Vec<InterfaceDto>,
    pub protocols: Vec<String>,
    /// low, medium, high or critical.
    pub criticality: String,
    /// User name of the member responsible.
    pub owner: Option<String>,
    pub system_id: Option<Uuid>,
    pub zone_id: Option<Uuid>,
    /// planned, in_operation, maintenance or decommissioned.
    pub lifecycle: String,
    /// The declared capability security level, FR1 to FR7.
    #[schema(min_items = 7, max_items = 7)]
    pub sl_c: Option<Vec<u8>>,
    pub custom: BTreeMap<String, String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// One page of assets in tag order. Pass `next_cursor` as `cursor` for the next page.
#[derive(Serialize, ToSchema)]
pub struct AssetPageDto {
    pub items: Vec<AssetDto>,
    pub next_cursor: Option<String>,
}

/// Asset filters and paging; every filter given narrows the list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssetParams {
    /// Part of the tag, name, vendor, product family, model, order or serial number,
    /// location, or an IP or MAC address (case-insensitive; at most 200 characters).
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub site_id: Option<Uuid>,
    pub system_id: Option<Uuid>,
    pub zone_id: Option<Uuid>,
    /// An asset type (see AssetDto).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub asset_type: Option<String>,
    pub criticality: Option<String>,
    pub lifecycle: Option<String>,
    /// 0, 1, 2, 3, 3.5, 4 or 5 (also L2, DMZ).
    pub purdue_level: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

/// A new asset. Only the tag is required.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct NewAssetDto {
    /// 1 to 100 characters, unique in the organization.
    #[schema(min_length = 1, max_length = 100)]
    pub asset_tag: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub asset_type: Option<String>,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub product_family: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub order_number: String,
    #[serde(default)]
    pub firmware_version: String,
    #[serde(default)]
    pub serial_number: String,
    #[serde(default)]
    pub purdue_level: Option<String>,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub interfaces: Vec<InterfaceDto>,
    #[serde(default)]
    pub protocols: Vec<String>,
    #[serde(default)]
    pub criticality: Option<String>,
    /// User name of a member.
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub system_id: Option<Uuid>,
    #[serde(default)]
    pub zone_id: Option<Uuid>,
    #[serde(default)]
    pub lifecycle: Option<String>,
    /// Seven levels 0 to 4, FR1 to FR7.
    #[serde(default)]
    #[schema(min_items = 7, max_items = 7)]
    pub sl_c: Option<Vec<u8>>,
    #[serde(default)]
    pub custom: BTreeMap<String, String>,
}

/// A change of an asset; omitted fields keep their value, `null` clears the optional ones.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetPatch {
    /// The version you read; a stale one is refused with 409.
    pub version: i64,
    pub asset_tag: Option<String>,
    pub name: Option<String>,
    pub asset_type: Option<String>,
    pub vendor: Option<String>,
    pub product_family: Option<String>,
    pub model: Option<String>,
    pub order_number: Option<String>,
    pub firmware_version: Option<String>,
    pub serial_number: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub purdue_level: Option<Option<String>>,
    pub location: Option<String>,
    pub interfaces: Option<Vec<InterfaceDto>>,
    pub protocols: Option<Vec<String>>,
    pub criticality: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub owner: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub system_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub zone_id: Option<Option<Uuid>>,
    pub lifecycle: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<u8>>)]
    pub sl_c: Option<Option<Vec<u8>>>,
    pub custom: Option<BTreeMap<String, String>>,
}

/// The SL-T/SL-A gap of one foundational requirement.
#[derive(Serialize, ToSchema)]
pub struct FrGapDto {
    /// fr1 to fr7.
    pub fr: String,
    pub target: u8,
    pub achieved: u8,
    /// The SRs/REs of 62443-3-3 that close the gap: those applying at the levels above
    /// `achieved` up to `target` that are not met or not applicable.
    pub closing: Vec<String>,
}

/// A zone with its security levels.
#[derive(Serialize, ToSchema)]
pub struct ZoneDto {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub system_id: Option<Uuid>,
    /// Target security level, FR1 to FR7.
    pub sl_t: Vec<u8>,
    /// SL-T proposed from the zone's worst unmitigated risk, when proposed.
    pub sl_t_proposed: Option<Vec<u8>>,
    /// Why SL-T differs from the proposal.
    pub sl_t_justification: String,
    /// Achieved security level from the zone's 62443-3-3 assessment; null without one.
    pub sl_a: Option<Vec<u8>>,
    /// The assessment SL-A comes from: the latest approved one naming the zone, else the
    /// latest in progress.
    pub assessment_id: Option<Uuid>,
    /// True when that assessment is still in progress (SL-A may change).
    pub provisional: bool,
    /// FRs where SL-A is below SL-T (empty without an assessment).
    pub gap: Vec<FrGapDto>,
    pub asset_count: i64,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// All zones of the organization, by name.
#[derive(Serialize, ToSchema)]
pub struct ZoneList {
    pub items: Vec<ZoneDto>,
}

/// A new zone.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewZoneDto {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub system_id: Option<Uuid>,
    /// Seven levels 0 to 4, FR1 to FR7 (default all 1).
    #[serde(default)]
    #[schema(min_items = 7, max_items = 7)]
    pub sl_t: Option<Vec<u8>>,
}

/// A change of a zone; omitted fields keep their value. SL-T differing from the proposal in
/// any FR needs `sl_t_justification`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZonePatch {
    pub version: i64,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub system_id: Option<Option<Uuid>>,
    #[schema(min_items = 7, max_items = 7)]
    pub sl_t: Option<Vec<u8>>,
    pub sl_t_justification: Option<String>,
}

/// A channel of a conduit.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelDto {
    /// E.g. Modbus/TCP, OPC UA.
    pub protocol: String,
    #[serde(default)]
    pub port: Option<u16>,
    /// one_way (from the conduit's first zone to its second) or two_way (default).
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub description: String,
}

/// A conduit between two zones.
#[derive(Serialize, ToSchema)]
pub struct ConduitDto {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub from_zone_id: Uuid,
    pub to_zone_id: Uuid,
    pub channels: Vec<ChannelDto>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// All conduits of the organization.
#[derive(Serialize, ToSchema)]
pub struct ConduitList {
    pub items: Vec<ConduitDto>,
}

/// A new conduit.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConduitDto {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub from_zone_id: Uuid,
    pub to_zone_id: Uuid,
    #[serde(default)]
    pub channels: Vec<ChannelDto>,
    #[serde(default)]
    pub description: String,
}

/// A change of a conduit; omitted fields keep their value (`channels` replaces them all).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConduitPatch {
    pub version: i64,
    pub name: Option<String>,
    pub from_zone_id: Option<Uuid>,
    pub to_zone_id: Option<Uuid>,
    pub channels: Option<Vec<ChannelDto>>,
    pub description: Option<String>,
}

/// The version of the row to delete.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionParam {
    /// The version you read; a stale one is refused with 409.
    pub version: i64,
}

/// Distinguishes an absent field (`None`) from `null` (`Some(None)`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

// ---------------------------------------------------------------------------------------
// Conversions

fn invalid(f: FieldError) -> Problem {
    csms_store::StoreError::Invalid(f).into()
}

fn sl_vector(field: &'static str, v: &[u8]) -> Result<SlVector, Problem> {
    let arr: [u8; 7] = v.try_into().map_err(|_| {
        invalid(FieldError {
            field,
            message: format!(
                "{} values given; give seven levels 0 to 4, FR1 to FR7, e.g. [3,3,2,2,1,1,3]",
                v.len()
            ),
        })
    })?;
    SlVector::new(arr).map_err(|e| {
        invalid(FieldError {
            field,
            message: e.message,
        })
    })
}

fn named<T>(
    v: Option<&str>,
    parse: fn(&str) -> Result<T, FieldError>,
) -> Result<Option<T>, Problem> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse(v).map(Some).map_err(invalid),
    }
}

fn org(caller: &Caller) -> Result<Organization, Problem> {
    Ok(caller.org()?.0.clone())
}

/// Member user names by id, and ids by user name.
async fn members(
    state: &AppState,
    org_id: Uuid,
) -> Result<(HashMap<Uuid, String>, HashMap<String, Uuid>), Problem> {
    let m = state.store().members(org_id).await?;
    Ok((
        m.iter()
            .map(|m| (m.user.id, m.user.username.clone()))
            .collect(),
        m.iter()
            .map(|m| (m.user.username.clone(), m.user.id))
            .collect(),
    ))
}

fn owner_id(
    field: &'static str,
    name: Option<&str>,
    by_name: &HashMap<String, Uuid>,
) -> Result<Option<Uuid>, Problem> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(None),
        Some(n) => by_name.get(n).copied().map(Some).ok_or_else(|| {
            invalid(FieldError {
                field,
                message: format!(
                    "'{}' is not a member of the organization; use a user name from GET /api/v1/members",
                    shown(n)
                ),
            })
        }),
    }
}

fn id_path(id: Result<Path<Uuid>, PathRejection>, what: &str) -> Result<Uuid, Problem> {
    id.map(|Path(id)| id).map_err(|e| bad_path(e, what))
}

fn site_dto(s: Site) -> SiteDto {
    SiteDto {
        id: s.id,
        name: s.name,
        location: s.location,
        description: s.description,
        version: s.version,
        created_at: format_canonical(s.created_at),
        updated_at: format_canonical(s.updated_at),
    }
}

fn system_dto(s: System, names: &HashMap<Uuid, String>) -> SystemDto {
    SystemDto {
        id: s.id,
        site_id: s.site_id,
        name: s.name,
        description: s.description,
        owner: s.owner_id.and_then(|o| names.get(&o).cloned()),
        criticality: s.criticality.as_str().to_owned(),
        version: s.version,
        created_at: format_canonical(s.created_at),
        updated_at: format_canonical(s.updated_at),
    }
}

fn asset_dto(a: Asset, names: &HashMap<Uuid, String>) -> AssetDto {
    AssetDto {
        id: a.id,
        asset_tag: a.asset_tag,
        name: a.name,
        asset_type: a.asset_type.as_str().to_owned(),
        vendor: a.vendor,
        product_family: a.product_family,
        model: a.model,
        order_number: a.order_number,
        firmware_version: a.firmware_version,
        serial_number: a.serial_number,
        purdue_level: a.purdue_level,
        location: a.location,
        interfaces: a
            .interfaces
            .into_iter()
            .map(|i| InterfaceDto {
                name: i.name,
                mac: i.mac,
                ip: i.ip,
                vlan: i.vlan,
                protocols: i.protocols,
            })
            .collect(),
        protocols: a.protocols,
        criticality: a.criticality.as_str().to_owned(),
        owner: a.owner_id.and_then(|o| names.get(&o).cloned()),
        system_id: a.system_id,
        zone_id: a.zone_id,
        lifecycle: a.lifecycle.as_str().to_owned(),
        sl_c: a.sl_c.map(|v| v.values().to_vec()),
        custom: a.custom,
        version: a.version,
        created_at: format_canonical(a.created_at),
        updated_at: format_canonical(a.updated_at),
    }
}

fn interfaces(v: Vec<InterfaceDto>) -> Vec<Interface> {
    v.into_iter()
        .map(|i| Interface {
            name: i.name,
            mac: i.mac,
            ip: i.ip,
            vlan: i.vlan,
            protocols: i.protocols,
        })
        .collect()
}

fn zone_dto(z: Zone, sec: Option<&ZoneSecurity>, assets: i64) -> ZoneDto {
    ZoneDto {
        id: z.id,
        name: z.name,
        description: z.description,
        system_id: z.system_id,
        sl_t: z.sl_t.values().to_vec(),
        sl_t_proposed: z.sl_t_proposed.map(|v| v.values().to_vec()),
        sl_t_justification: z.sl_t_justification,
        sl_a: sec.and_then(|s| s.sl_a).map(|v| v.values().to_vec()),
        assessment_id: sec
            .and_then(|s| s.assessment.as_ref())
            .map(|a| a.assessment.id),
        provisional: sec
            .and_then(|s| s.assessment.as_ref())
            .is_some_and(|a| a.provisional),
        gap: sec
            .map(|s| {
                s.gaps
                    .iter()
                    .map(|g| FrGapDto {
                        fr: g.fr.as_str().to_owned(),
                        target: g.target,
                        achieved: g.achieved,
                        closing: g.closing.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        asset_count: assets,
        version: z.version,
        created_at: format_canonical(z.created_at),
        updated_at: format_canonical(z.updated_at),
    }
}

fn channel_dto(c: Channel) -> ChannelDto {
    ChannelDto {
        protocol: c.protocol,
        port: c.port,
        direction: Some(c.direction.as_str().to_owned()),
        description: c.description,
    }
}

fn channels(v: Vec<ChannelDto>) -> Result<Vec<Channel>, Problem> {
    v.into_iter()
        .map(|c| {
            Ok(Channel {
                protocol: c.protocol,
                port: c.port,
                direction: named(c.direction.as_deref(), Direction::parse)?.unwrap_or_default(),
                description: c.description,
            })
        })
        .collect()
}

fn conduit_dto(c: Conduit) -> ConduitDto {
    ConduitDto {
        id: c.id,
        name: c.name,
        description: c.description,
        from_zone_id: c.from_zone_id,
        to_zone_id: c.to_zone_id,
        channels: c.channels.into_iter().map(channel_dto).collect(),
        version: c.version,
        created_at: format_canonical(c.created_at),
        updated_at: format_canonical(c.updated_at),
    }
}

fn created<T: Serialize>(path: String, body: T) -> Response {
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&path) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

fn texts(fields: &[(&'static str, &str)]) -> Result<(), Problem> {
    for (f, v) in fields {
        plain_text(f, v)?;
    }
    Ok(())
}

const SITE_EXAMPLE: &str = r#"{"name": "川崎工場", "location": "Kawasaki", "description": ""}"#;
const SYSTEM_EXAMPLE: &str = r#"{"name": "Unit 2 DCS", "site_id": null, "criticality": "high"}"#;
const ASSET_EXAMPLE: &str = r#"{"asset_tag": "PLC-101", "name": "Boiler PLC", "asset_type": "plc", "purdue_level": "1", "sl_c": [2,2,1,1,1,1,2]}"#;
const ZONE_EXAMPLE: &str = r#"{"name": "Control zone", "sl_t": [2,2,2,1,2,1,2]}"#;
const CONDUIT_EXAMPLE: &str = r#"{"name": "DMZ to control", "from_zone_id": "…", "to_zone_id": "…", "channels": [{"protocol": "OPC UA", "port": 4840, "direction": "one_way"}]}"#;

// ---------------------------------------------------------------------------------------
// Sites

/// The organization's sites.
#[utoipa::path(get, path = "/api/v1/sites", tag = "inventory",
    responses((status = 200, body = SiteList),
        (status = 401, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn list_sites(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<SiteList>, Problem> {
    let org = org(&caller)?;
    let items = state
        .store()
        .sites(org.id)
        .await?
        .into_iter()
        .map(site_dto)
        .collect();
    Ok(Json(SiteList { items }))
}

/// Creates a site.
#[utoipa::path(post, path = "/api/v1/sites", tag = "inventory", request_body = NewSiteDto,
    responses((status = 201, body = SiteDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn create_site(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<NewSiteDto>, JsonRejection>,
) -> Result<Response, Problem> {
    let Json(b) = body.map_err(|e| bad_json(e, SITE_EXAMPLE))?;
    texts(&[
        ("name", &b.name),
        ("location", &b.location),
        ("description", &b.description),
    ])?;
    let org = org(&caller)?;
    let s = state
        .store()
        .create_site(
            &caller.actor(),
            org.id,
            NewSite {
                name: b.name,
                location: b.location,
                description: b.description,
            },
        )
        .await?;
    Ok(created(format!("/api/v1/sites/{}", s.id), site_dto(s)))
}

/// One site.
#[utoipa::path(get, path = "/api/v1/sites/{id}", tag = "inventory",
    params(("id" = Uuid, Path, description = "The site's id")),
    responses((status = 200, body = SiteDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn get_site(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<SiteDto>, Problem> {
    let id = id_path(id, "a site id (a UUID from GET /api/v1/sites)")?;
    let org = org(&caller)?;
    Ok(Json(site_dto(state.store().site(org.id, id).await?)))
}

/// Changes a site.
#[utoipa::path(patch, path = "/api/v1/sites/{id}", tag = "inventory", request_body = SitePatch,
    params(("id" = Uuid, Path, description = "The site's id")),
    responses((status = 200, body = SiteDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The version is stale (`current_version`) or the name is taken", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn update_site(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<SitePatch>, JsonRejection>,
) -> Result<Json<SiteDto>, Problem> {
    let id = id_path(id, "a site id (a UUID from GET /api/v1/sites)")?;
    let org = org(&caller)?;
    let cur = state.store().site(org.id, id).await?;
    let Json(b) = body.map_err(|e| bad_json(e, r#"{"version": 1, "name": "川崎工場"}"#))?;
    let new = NewSite {
        name: b.name.unwrap_or(cur.name),
        location: b.location.unwrap_or(cur.location),
        description: b.description.unwrap_or(cur.description),
    };
    texts(&[
        ("name", &new.name),
        ("location", &new.location),
        ("description", &new.description),
    ])?;
    let s = state
        .store()
        .update_site(&caller.actor(), org.id, id, b.version, new)
        .await?;
    Ok(Json(site_dto(s)))
}

/// Deletes a site no system refers to (CSMS manager or admin).
#[utoipa::path(delete, path = "/api/v1/sites/{id}", tag = "inventory",
    params(("id" = Uuid, Path, description = "The site's id"), VersionParam),
    responses((status = 204, description = "Deleted"),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "Stale version, or still in use", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn delete_site(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    v: Result<Query<VersionParam>, QueryRejection>,
) -> Result<StatusCode, Problem> {
    let id = id_path(id, "a site id (a UUID from GET /api/v1/sites)")?;
    let org = org(&caller)?;
    state.store().site(org.id, id).await?;
    let Query(v) = v.map_err(bad_query)?;
    state
        .store()
        .delete_site(&caller.actor(), org.id, id, v.version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------
// Systems

/// The organization's systems.
#[utoipa::path(get, path = "/api/v1/systems", tag = "inventory",
    responses((status = 200, body = SystemList),
        (status = 401, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn list_systems(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<SystemList>, Problem> {
    let org = org(&caller)?;
    let (names, _) = members(&state, org.id).await?;
    let items = state
        .store()
        .systems(org.id)
        .await?
        .into_iter()
        .map(|s| system_dto(s, &names))
        .collect();
    Ok(Json(SystemList { items }))
}

/// Creates a system.
#[utoipa::path(post, path = "/api/v1/systems", tag = "inventory", request_body = NewSystemDto,
    responses((status = 201, body = SystemDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn create_system(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<NewSystemDto>, JsonRejection>,
) -> Result<Response, Problem> {
    let Json(b) = body.map_err(|e| bad_json(e, SYSTEM_EXAMPLE))?;
    texts(&[("name", &b.name), ("description", &b.description)])?;
    let org = org(&caller)?;
    let (names, by_name) = members(&state, org.id).await?;
    let new = NewSystem {
        site_id: b.site_id,
        name: b.name,
        description: b.description,
        owner_id: owner_id("owner", b.owner.as_deref(), &by_name)?,
        criticality: named(b.criticality.as_deref(), Criticality::parse)?.unwrap_or_default(),
    };
    let s = state
        .store()
        .create_system(&caller.actor(), org.id, new)
        .await?;
    Ok(created(
        format!("/api/v1/systems/{}", s.id),
        system_dto(s, &names),
    ))
}

/// One system.
#[utoipa::path(get, path = "/api/v1/systems/{id}", tag = "inventory",
    params(("id" = Uuid, Path, description = "The system's id")),
    responses((status = 200, body = SystemDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn get_system(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<SystemDto>, Problem> {
    let id = id_path(id, "a system id (a UUID from GET /api/v1/systems)")?;
    let org = org(&caller)?;
    let s = state.store().system(org.id, id).await?;
    let (names, _) = members(&state, org.id).await?;
    Ok(Json(system_dto(s, &names)))
}

/// Changes a system.
#[utoipa::path(patch, path = "/api/v1/systems/{id}", tag = "inventory", request_body = SystemPatch,
    params(("id" = Uuid, Path, description = "The system's id")),
    responses((status = 200, body = SystemDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The version is stale (`current_version`) or the name is taken", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn update_system(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<SystemPatch>, JsonRejection>,
) -> Result<Json<SystemDto>, Problem> {
    let id = id_path(id, "a system id (a UUID from GET /api/v1/systems)")?;
    let org = org(&caller)?;
    let cur = state.store().system(org.id, id).await?;
    let Json(b) = body.map_err(|e| bad_json(e, r#"{"version": 1, "criticality": "high"}"#))?;
    let (names, by_name) = members(&state, org.id).await?;
    let new = NewSystem {
        site_id: b.site_id.unwrap_or(cur.site_id),
        name: b.name.unwrap_or(cur.name),
        description: b.description.unwrap_or(cur.description),
        owner_id: match b.owner {
            None => cur.owner_id,
            Some(o) => owner_id("owner", o.as_deref(), &by_name)?,
        },
        criticality: named(b.criticality.as_deref(), Criticality::parse)?
            .unwrap_or(cur.criticality),
    };
    texts(&[("name", &new.name), ("description", &new.description)])?;
    let s = state
        .store()
        .update_system(&caller.actor(), org.id, id, b.version, new)
        .await?;
    Ok(Json(system_dto(s, &names)))
}

/// Deletes a system nothing refers to.
#[utoipa::path(delete, path = "/api/v1/systems/{id}", tag = "inventory",
    params(("id" = Uuid, Path, description = "The system's id"), VersionParam),
    responses((status = 204, description = "Deleted"),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "Stale version, or still in use", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn delete_system(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    v: Result<Query<VersionParam>, QueryRejection>,
) -> Result<StatusCode, Problem> {
    let id = id_path(id, "a system id (a UUID from GET /api/v1/systems)")?;
    let org = org(&caller)?;
    state.store().system(org.id, id).await?;
    let Query(v) = v.map_err(bad_query)?;
    state
        .store()
        .delete_system(&caller.actor(), org.id, id, v.version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------
// Assets

/// The organization's assets in tag order, filtered and paged.
#[utoipa::path(get, path = "/api/v1/assets", tag = "inventory", params(AssetParams),
    responses((status = 200, body = AssetPageDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "A filter value is not valid (`field` names it)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn list_assets(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    p: Result<Query<AssetParams>, QueryRejection>,
) -> Result<Json<AssetPageDto>, Problem> {
    let Query(p) = p.map_err(bad_query)?;
    let limit = limit(p.limit)?;
    let after = p.cursor.as_deref().map(decode_cursor).transpose()?;
    if after
        .as_deref()
        .is_some_and(|a| a.chars().any(char::is_control))
    {
        // Not a tag this API issued (tags hold no control characters).
        return Err(decode_cursor("!").unwrap_err());
    }
    let org = org(&caller)?;
    let filter = AssetFilter {
        q: p.q.filter(|q| !q.trim().is_empty()),
        asset_type: named(p.asset_type.as_deref(), AssetType::parse)?,
        zone_id: p.zone_id,
        system_id: p.system_id,
        site_id: p.site_id,
        criticality: named(p.criticality.as_deref(), Criticality::parse)?,
        lifecycle: named(p.lifecycle.as_deref(), Lifecycle::parse)?,
        purdue_level: p.purdue_level.filter(|l| !l.trim().is_empty()),
        limit,
        after,
    };
    if let Some(q) = &filter.q {
        plain_text("q", q)?;
    }
    let page = state.store().assets(org.id, &filter).await?;
    let (names, _) = members(&state, org.id).await?;
    Ok(Json(AssetPageDto {
        items: page
            .assets
            .into_iter()
            .map(|a| asset_dto(a, &names))
            .collect(),
        next_cursor: page.next.as_deref().map(encode_cursor),
    }))
}

/// Creates an asset.
#[utoipa::path(post, path = "/api/v1/assets", tag = "inventory", request_body = NewAssetDto,
    responses((status = 201, body = AssetDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The tag is taken", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn create_asset(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<NewAssetDto>, JsonRejection>,
) -> Result<Response, Problem> {
    let Json(b) = body.map_err(|e| bad_json(e, ASSET_EXAMPLE))?;
    let org = org(&caller)?;
    let (names, by_name) = members(&state, org.id).await?;
    let new = NewAsset {
        asset_tag: b.asset_tag,
        name: b.name,
        asset_type: named(b.asset_type.as_deref(), AssetType::parse)?.unwrap_or_default(),
        vendor: b.vendor,
        product_family: b.product_family,
        model: b.model,
        order_number: b.order_number,
        firmware_version: b.firmware_version,
        serial_number: b.serial_number,
        purdue_level: b.purdue_level,
        location: b.location,
        interfaces: interfaces(b.interfaces),
        protocols: b.protocols,
        criticality: named(b.criticality.as_deref(), Criticality::parse)?.unwrap_or_default(),
        owner_id: owner_id("owner", b.owner.as_deref(), &by_name)?,
        system_id: b.system_id,
        zone_id: b.zone_id,
        lifecycle: named(b.lifecycle.as_deref(), Lifecycle::parse)?.unwrap_or_default(),
        sl_c: b
            .sl_c
            .as_deref()
            .map(|v| sl_vector("sl_c", v))
            .transpose()?,
        custom: b.custom,
    };
    check_asset_text(&new)?;
    let a = state
        .store()
        .create_asset(&caller.actor(), org.id, new)
        .await?;
    Ok(created(
        format!("/api/v1/assets/{}", a.id),
        asset_dto(a, &names),
    ))
}

/// Refuses NUL characters, which the databases cannot store.
fn check_asset_text(a: &NewAsset) -> Result<(), Problem> {
    let mut all: Vec<(&'static str, &str)> = vec![
        ("asset_tag", &a.asset_tag),
        ("name", &a.name),
        ("vendor", &a.vendor),
        ("product_family", &a.product_family),
        ("model", &a.model),
        ("order_number", &a.order_number),
        ("firmware_version", &a.firmware_version),
        ("serial_number", &a.serial_number),
        ("location", &a.location),
    ];
    if let Some(p) = &a.purdue_level {
        all.push(("purdue_level", p));
    }
    for p in &a.protocols {
        all.push(("protocols", p));
    }
    for i in &a.interfaces {
        all.push(("interfaces", &i.name));
        for p in &i.protocols {
            all.push(("interfaces", p));
        }
        if let Some(m) = &i.mac {
            all.push(("interfaces", m));
        }
        if let Some(ip) = &i.ip {
            all.push(("interfaces", ip));
        }
    }
    for (k, v) in &a.custom {
        all.push(("custom", k));
        all.push(("custom", v));
    }
    texts(&all)
}

/// One asset.
#[utoipa::path(get, path = "/api/v1/assets/{id}", tag = "inventory",
    params(("id" = Uuid, Path, description = "The asset's id")),
    responses((status = 200, body = AssetDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn get_asset(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AssetDto>, Problem> {
    let id = id_path(id, "an asset id (a UUID from GET /api/v1/assets)")?;
    let org = org(&caller)?;
    let a = state.store().asset(org.id, id).await?;
    let (names, _) = members(&state, org.id).await?;
    Ok(Json(asset_dto(a, &names)))
}

/// Changes an asset.
#[utoipa::path(patch, path = "/api/v1/assets/{id}", tag = "inventory", request_body = AssetPatch,
    params(("id" = Uuid, Path, description = "The asset's id")),
    responses((status = 200, body = AssetDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The version is stale (`current_version`) or the tag is taken", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn update_asset(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<AssetPatch>, JsonRejection>,
) -> Result<Json<AssetDto>, Problem> {
    let id = id_path(id, "an asset id (a UUID from GET /api/v1/assets)")?;
    let org = org(&caller)?;
    let cur = state.store().asset(org.id, id).await?;
    let Json(b) =
        body.map_err(|e| bad_json(e, r#"{"version": 3, "firmware_version": "V4.5.2"}"#))?;
    let (names, by_name) = members(&state, org.id).await?;
    let new = NewAsset {
        asset_tag: b.asset_tag.unwrap_or(cur.asset_tag),
        name: b.name.unwrap_or(cur.name),
        asset_type: named(b.asset_type.as_deref(), AssetType::parse)?.unwrap_or(cur.asset_type),
        vendor: b.vendor.unwrap_or(cur.vendor),
        product_family: b.product_family.unwrap_or(cur.product_family),
        model: b.model.unwrap_or(cur.model),
        order_number: b.order_number.unwrap_or(cur.order_number),
        firmware_version: b.firmware_version.unwrap_or(cur.firmware_version),
        serial_number: b.serial_number.unwrap_or(cur.serial_number),
        purdue_level: b.purdue_level.unwrap_or(cur.purdue_level),
        location: b.location.unwrap_or(cur.location),
        interfaces: b.interfaces.map_or(cur.interfaces, interfaces),
        protocols: b.protocols.unwrap_or(cur.protocols),
        criticality: named(b.criticality.as_deref(), Criticality::parse)?
            .unwrap_or(cur.criticality),
        owner_id: match b.owner {
            None => cur.owner_id,
            Some(o) => owner_id("owner", o.as_deref(), &by_name)?,
        },
        system_id: b.system_id.unwrap_or(cur.system_id),
        zone_id: b.zone_id.unwrap_or(cur.zone_id),
        lifecycle: named(b.lifecycle.as_deref(), Lifecycle::parse)?.unwrap_or(cur.lifecycle),
        sl_c: match b.sl_c {
            None => cur.sl_c,
            Some(None) => None,
            Some(Some(v)) => Some(sl_vector("sl_c", &v)?),
        },
        custom: b.custom.unwrap_or(cur.custom),
    };
    check_asset_text(&new)?;
    let a = state
        .store()
        .update_asset(&caller.actor(), org.id, id, b.version, new)
        .await?;
    Ok(Json(asset_dto(a, &names)))
}

/// Deletes an asset.
#[utoipa::path(delete, path = "/api/v1/assets/{id}", tag = "inventory",
    params(("id" = Uuid, Path, description = "The asset's id"), VersionParam),
    responses((status = 204, description = "Deleted"),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "Stale version, or still in use", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn delete_asset(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    v: Result<Query<VersionParam>, QueryRejection>,
) -> Result<StatusCode, Problem> {
    let id = id_path(id, "an asset id (a UUID from GET /api/v1/assets)")?;
    let org = org(&caller)?;
    state.store().asset(org.id, id).await?;
    let Query(v) = v.map_err(bad_query)?;
    state
        .store()
        .delete_asset(&caller.actor(), org.id, id, v.version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------
// Zones

async fn zone_dtos(
    state: &AppState,
    org: &Organization,
    zones: Vec<Zone>,
) -> Result<Vec<ZoneDto>, Problem> {
    let security = zone_securities(state, org, &zones).await?;
    let counts = state.store().zone_asset_counts(org.id).await?;
    Ok(zones
        .into_iter()
        .map(|z| {
            let n = counts.get(&z.id).copied().unwrap_or(0);
            let sec = security.get(&z.id);
            zone_dto(z, sec, n)
        })
        .collect())
}

async fn one_zone(state: &AppState, org: &Organization, z: Zone) -> Result<ZoneDto, Problem> {
    Ok(zone_dtos(state, org, vec![z])
        .await?
        .pop()
        .expect("one zone in, one out"))
}

/// The organization's zones with SL-T, SL-A and the gap.
#[utoipa::path(get, path = "/api/v1/zones", tag = "inventory",
    responses((status = 200, body = ZoneList),
        (status = 401, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn list_zones(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ZoneList>, Problem> {
    let org = org(&caller)?;
    let zones = state.store().zones(org.id).await?;
    Ok(Json(ZoneList {
        items: zone_dtos(&state, &org, zones).await?,
    }))
}

/// Creates a zone.
#[utoipa::path(post, path = "/api/v1/zones", tag = "inventory", request_body = NewZoneDto,
    responses((status = 201, body = ZoneDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn create_zone(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<NewZoneDto>, JsonRejection>,
) -> Result<Response, Problem> {
    let Json(b) = body.map_err(|e| bad_json(e, ZONE_EXAMPLE))?;
    texts(&[("name", &b.name), ("description", &b.description)])?;
    let org = org(&caller)?;
    let new = NewZone {
        name: b.name,
        description: b.description,
        system_id: b.system_id,
        sl_t: match &b.sl_t {
            Some(v) => sl_vector("sl_t", v)?,
            None => SlVector::uniform(1),
        },
        sl_t_proposed: None,
        sl_t_justification: String::new(),
    };
    let z = state
        .store()
        .create_zone(&caller.actor(), org.id, new)
        .await?;
    let id = z.id;
    Ok(created(
        format!("/api/v1/zones/{id}"),
        one_zone(&state, &org, z).await?,
    ))
}

/// One zone with SL-T, SL-A (and the assessment it comes from) and the gap per FR.
#[utoipa::path(get, path = "/api/v1/zones/{id}", tag = "inventory",
    params(("id" = Uuid, Path, description = "The zone's id")),
    responses((status = 200, body = ZoneDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn get_zone(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<ZoneDto>, Problem> {
    let id = id_path(id, "a zone id (a UUID from GET /api/v1/zones)")?;
    let org = org(&caller)?;
    let z = state.store().zone(org.id, id).await?;
    Ok(Json(one_zone(&state, &org, z).await?))
}

/// Changes a zone, SL-T included (with its justification when it differs from the proposal).
#[utoipa::path(patch, path = "/api/v1/zones/{id}", tag = "inventory", request_body = ZonePatch,
    params(("id" = Uuid, Path, description = "The zone's id")),
    responses((status = 200, body = ZoneDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The version is stale (`current_version`) or the name is taken", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "Invalid, e.g. SL-T differs from the proposal without a justification", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn update_zone(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<ZonePatch>, JsonRejection>,
) -> Result<Json<ZoneDto>, Problem> {
    let id = id_path(id, "a zone id (a UUID from GET /api/v1/zones)")?;
    let org = org(&caller)?;
    let cur = state.store().zone(org.id, id).await?;
    let Json(b) = body.map_err(|e| {
        bad_json(
            e,
            r#"{"version": 2, "sl_t": [3,3,2,2,1,1,3], "sl_t_justification": "customer requirement"}"#,
        )
    })?;
    let new = NewZone {
        name: b.name.unwrap_or(cur.name),
        description: b.description.unwrap_or(cur.description),
        system_id: b.system_id.unwrap_or(cur.system_id),
        sl_t: match &b.sl_t {
            Some(v) => sl_vector("sl_t", v)?,
            None => cur.sl_t,
        },
        sl_t_proposed: cur.sl_t_proposed,
        sl_t_justification: b.sl_t_justification.unwrap_or(cur.sl_t_justification),
    };
    texts(&[
        ("name", &new.name),
        ("description", &new.description),
        ("sl_t_justification", &new.sl_t_justification),
    ])?;
    let z = state
        .store()
        .update_zone(&caller.actor(), org.id, id, b.version, new)
        .await?;
    Ok(Json(one_zone(&state, &org, z).await?))
}

/// Deletes a zone that holds no asset, joins no conduit and no assessment names (CSMS
/// manager or admin).
#[utoipa::path(delete, path = "/api/v1/zones/{id}", tag = "inventory",
    params(("id" = Uuid, Path, description = "The zone's id"), VersionParam),
    responses((status = 204, description = "Deleted"),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "Stale version, or still in use (assets, conduits, assessments)", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn delete_zone(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    v: Result<Query<VersionParam>, QueryRejection>,
) -> Result<StatusCode, Problem> {
    let id = id_path(id, "a zone id (a UUID from GET /api/v1/zones)")?;
    let org = org(&caller)?;
    let z = state.store().zone(org.id, id).await?;
    let Query(v) = v.map_err(bad_query)?;
    check_zone_unassessed(&state, org.id, &z).await?;
    state
        .store()
        .delete_zone(&caller.actor(), org.id, id, v.version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The zone and conduit diagram as a standalone SVG file.
#[utoipa::path(get, path = "/api/v1/zones/diagram.svg", tag = "inventory",
    responses((status = 200, description = "The diagram (a download)", body = String, content_type = "image/svg+xml"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn diagram(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, Problem> {
    let org = org(&caller)?;
    let svg = diagram_svg(&state, &org, &caller.tr, None).await?;
    Ok(svg_download(svg, &org.slug))
}

// ---------------------------------------------------------------------------------------
// Conduits

/// The organization's conduits with their channels.
#[utoipa::path(get, path = "/api/v1/conduits", tag = "inventory",
    responses((status = 200, body = ConduitList),
        (status = 401, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn list_conduits(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ConduitList>, Problem> {
    let org = org(&caller)?;
    let items = state
        .store()
        .conduits(org.id)
        .await?
        .into_iter()
        .map(conduit_dto)
        .collect();
    Ok(Json(ConduitList { items }))
}

fn channel_texts(c: &NewConduit) -> Result<(), Problem> {
    let mut all: Vec<(&'static str, &str)> =
        vec![("name", &c.name), ("description", &c.description)];
    for ch in &c.channels {
        all.push(("channels", &ch.protocol));
        all.push(("channels", &ch.description));
    }
    texts(&all)
}

/// Creates a conduit between two zones.
#[utoipa::path(post, path = "/api/v1/conduits", tag = "inventory", request_body = NewConduitDto,
    responses((status = 201, body = ConduitDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn create_conduit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<NewConduitDto>, JsonRejection>,
) -> Result<Response, Problem> {
    let Json(b) = body.map_err(|e| bad_json(e, CONDUIT_EXAMPLE))?;
    let org = org(&caller)?;
    let new = NewConduit {
        name: b.name,
        from_zone_id: b.from_zone_id,
        to_zone_id: b.to_zone_id,
        channels: channels(b.channels)?,
        description: b.description,
    };
    channel_texts(&new)?;
    let c = state
        .store()
        .create_conduit(&caller.actor(), org.id, new)
        .await?;
    Ok(created(
        format!("/api/v1/conduits/{}", c.id),
        conduit_dto(c),
    ))
}

/// One conduit.
#[utoipa::path(get, path = "/api/v1/conduits/{id}", tag = "inventory",
    params(("id" = Uuid, Path, description = "The conduit's id")),
    responses((status = 200, body = ConduitDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn get_conduit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<ConduitDto>, Problem> {
    let id = id_path(id, "a conduit id (a UUID from GET /api/v1/conduits)")?;
    let org = org(&caller)?;
    Ok(Json(conduit_dto(state.store().conduit(org.id, id).await?)))
}

/// Changes a conduit.
#[utoipa::path(patch, path = "/api/v1/conduits/{id}", tag = "inventory", request_body = ConduitPatch,
    params(("id" = Uuid, Path, description = "The conduit's id")),
    responses((status = 200, body = ConduitDto),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The version is stale (`current_version`) or the name is taken", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn update_conduit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<ConduitPatch>, JsonRejection>,
) -> Result<Json<ConduitDto>, Problem> {
    let id = id_path(id, "a conduit id (a UUID from GET /api/v1/conduits)")?;
    let org = org(&caller)?;
    let cur = state.store().conduit(org.id, id).await?;
    let Json(b) = body.map_err(|e| {
        bad_json(
            e,
            r#"{"version": 1, "channels": [{"protocol": "OPC UA", "port": 4840}]}"#,
        )
    })?;
    let new = NewConduit {
        name: b.name.unwrap_or(cur.name),
        from_zone_id: b.from_zone_id.unwrap_or(cur.from_zone_id),
        to_zone_id: b.to_zone_id.unwrap_or(cur.to_zone_id),
        channels: match b.channels {
            Some(c) => channels(c)?,
            None => cur.channels,
        },
        description: b.description.unwrap_or(cur.description),
    };
    channel_texts(&new)?;
    let c = state
        .store()
        .update_conduit(&caller.actor(), org.id, id, b.version, new)
        .await?;
    Ok(Json(conduit_dto(c)))
}

/// Deletes a conduit.
#[utoipa::path(delete, path = "/api/v1/conduits/{id}", tag = "inventory",
    params(("id" = Uuid, Path, description = "The conduit's id"), VersionParam),
    responses((status = 204, description = "Deleted"),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The version is stale", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn delete_conduit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<Uuid>, PathRejection>,
    v: Result<Query<VersionParam>, QueryRejection>,
) -> Result<StatusCode, Problem> {
    let id = id_path(id, "a conduit id (a UUID from GET /api/v1/conduits)")?;
    let org = org(&caller)?;
    state.store().conduit(org.id, id).await?;
    let Query(v) = v.map_err(bad_query)?;
    state
        .store()
        .delete_conduit(&caller.actor(), org.id, id, v.version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------
// OpenAPI and routes

/// The OpenAPI paths and schemas of this area, merged into the API document.
#[derive(OpenApi)]
#[openapi(
    paths(
        list_sites,
        create_site,
        get_site,
        update_site,
        delete_site,
        list_systems,
        create_system,
        get_system,
        update_system,
        delete_system,
        list_assets,
        create_asset,
        get_asset,
        update_asset,
        delete_asset,
        list_zones,
        create_zone,
        get_zone,
        update_zone,
        delete_zone,
        diagram,
        list_conduits,
        create_conduit,
        get_conduit,
        update_conduit,
        delete_conduit,
    ),
    components(schemas(
        SiteDto,
        SiteList,
        NewSiteDto,
        SitePatch,
        SystemDto,
        SystemList,
        NewSystemDto,
        SystemPatch,
        InterfaceDto,
        AssetDto,
        AssetPageDto,
        NewAssetDto,
        AssetPatch,
        FrGapDto,
        ZoneDto,
        ZoneList,
        NewZoneDto,
        ZonePatch,
        ChannelDto,
        ConduitDto,
        ConduitList,
        NewConduitDto,
        ConduitPatch,
    ))
)]
pub struct InventoryApi;

/// The routes of this area's API.
pub(crate) fn routes() -> Vec<Route> {
    vec![
        route!(GET, "/api/v1/sites", OrgRead, get(list_sites)),
        route!(POST, "/api/v1/sites", OrgWrite, post(create_site)),
        route!(GET, "/api/v1/sites/{id}", OrgRead, get(get_site)),
        route!(PATCH, "/api/v1/sites/{id}", OrgWrite, patch(update_site)),
        route!(DELETE, "/api/v1/sites/{id}", OrgManage, delete(delete_site)),
        route!(GET, "/api/v1/systems", OrgRead, get(list_systems)),
        route!(POST, "/api/v1/systems", OrgWrite, post(create_system)),
        route!(GET, "/api/v1/systems/{id}", OrgRead, get(get_system)),
        route!(
            PATCH,
            "/api/v1/systems/{id}",
            OrgWrite,
            patch(update_system)
        ),
        route!(
            DELETE,
            "/api/v1/systems/{id}",
            OrgManage,
            delete(delete_system)
        ),
        route!(GET, "/api/v1/assets", OrgRead, get(list_assets)),
        route!(POST, "/api/v1/assets", OrgWrite, post(create_asset)),
        route!(GET, "/api/v1/assets/{id}", OrgRead, get(get_asset)),
        route!(PATCH, "/api/v1/assets/{id}", OrgWrite, patch(update_asset)),
        route!(
            DELETE,
            "/api/v1/assets/{id}",
            OrgManage,
            delete(delete_asset)
        ),
        route!(GET, "/api/v1/zones", OrgRead, get(list_zones)),
        route!(POST, "/api/v1/zones", OrgWrite, post(create_zone)),
        route!(GET, "/api/v1/zones/diagram.svg", OrgRead, get(diagram)),
        route!(GET, "/api/v1/zones/{id}", OrgRead, get(get_zone)),
        route!(PATCH, "/api/v1/zones/{id}", OrgWrite, patch(update_zone)),
        route!(DELETE, "/api/v1/zones/{id}", OrgManage, delete(delete_zone)),
        route!(GET, "/api/v1/conduits", OrgRead, get(list_conduits)),
        route!(POST, "/api/v1/conduits", OrgWrite, post(create_conduit)),
        route!(GET, "/api/v1/conduits/{id}", OrgRead, get(get_conduit)),
        route!(
            PATCH,
            "/api/v1/conduits/{id}",
            OrgWrite,
            patch(update_conduit)
        ),
        route!(
            DELETE,
            "/api/v1/conduits/{id}",
            OrgManage,
            delete(delete_conduit)
        ),
    ]
}
