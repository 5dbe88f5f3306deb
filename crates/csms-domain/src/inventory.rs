//! The IACS inventory (criteria 4.2.3.4) and its zones and conduits (IEC 62443-3-2): sites,
//! systems (the IACS, or the system under consideration), assets with their OT attributes,
//! zones with a target security level, and conduits between zones with their channels.
//!
//! Everything here is pure: types, parsing of the values people type (or import from a
//! spreadsheet) and validation with messages that say how to fix the value. The `validate_*`
//! functions take what a caller entered and return it normalized (trimmed, MAC addresses in
//! lowercase with colons, IP addresses in their canonical form).

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Uuid;
use crate::assessment::validate_text;
use crate::org::FieldError;
use crate::trail::Audited;
use crate::zone::{Fr, SlOverride, SlVector};

/// Longest name of a site, system, zone or conduit.
pub const MAX_NAME: usize = 200;
/// Longest asset tag.
pub const MAX_TAG: usize = 100;
/// Longest one-line attribute (vendor, model, serial number, ...).
pub const MAX_ATTRIBUTE: usize = 200;
/// Longest location.
pub const MAX_LOCATION: usize = 500;
/// Longest description.
pub const MAX_DESCRIPTION: usize = 5_000;
/// Most network interfaces per asset.
pub const MAX_INTERFACES: usize = 64;
/// Most protocols per asset or interface.
pub const MAX_PROTOCOLS: usize = 64;
/// Longest protocol name.
pub const MAX_PROTOCOL: usize = 64;
/// Most custom fields per asset.
pub const MAX_CUSTOM_FIELDS: usize = 50;
/// Longest custom field name.
pub const MAX_CUSTOM_KEY: usize = 64;
/// Longest custom field value.
pub const MAX_CUSTOM_VALUE: usize = 1_000;
/// Most channels per conduit.
pub const MAX_CHANNELS: usize = 100;

/// Reduces a typed value to the form enum names are compared in: lowercase, every run of
/// other characters than letters and digits one `_`, none at either end
/// (`"DCS controller"` → `dcs_controller`, `"Remote I/O"` → `remote_i_o`).
pub(crate) fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// Defines a closed set of values stored by their snake_case name, parsed from that name or
/// from common spellings (compared after [`normalize`]).
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $field:literal, $what:literal, $hint:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in the order they are listed to people.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses the stored name or a common spelling, case-insensitively.
            pub fn parse(s: &str) -> Result<$name, $crate::org::FieldError> {
                let n = $crate::inventory::normalize(s);
                $(
                    if n == $text $(|| n == $alias)* {
                        return Ok($name::$variant);
                    }
                )+
                let names: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                Err($crate::org::FieldError {
                    field: $field,
                    message: format!(
                        concat!("'{}' is not ", $what, "; use one of {}", $hint),
                        s,
                        names.join(", ")
                    ),
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::org::FieldError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }
    };
}

pub(crate) use named_enum;

named_enum! {
    /// What kind of device an asset is.
    AssetType, "asset_type", "an asset type",
    " (common names such as PLC, DCS controller, SIS, HMI, EWS, RTU or remote I/O are accepted too)" {
        Plc = "plc" | "programmable_logic_controller" | "plc_controller",
        DcsController = "dcs_controller" | "dcs" | "distributed_control_system" | "dcs_control_station"
            | "field_control_station" | "fcs",
        SafetySystem = "safety_system" | "sis" | "safety_instrumented_system" | "safety_controller"
            | "safety_plc" | "esd" | "emergency_shutdown_system" | "安全計装システム",
        Hmi = "hmi" | "human_machine_interface" | "operator_station" | "operator_workstation"
            | "operator_panel" | "operator_console" | "scada_hmi",
        EngineeringWorkstation = "engineering_workstation" | "ews" | "engineering_station"
            | "engineering_pc" | "engineering_terminal",
        Historian = "historian" | "data_historian" | "process_historian",
        Server = "server" | "scada_server" | "opc_server" | "application_server" | "サーバ" | "サーバー",
        NetworkSwitch = "network_switch" | "switch" | "industrial_switch" | "ethernet_switch"
            | "managed_switch" | "スイッチ" | "ネットワークスイッチ",
        Firewall = "firewall" | "fw" | "industrial_firewall" | "security_router" | "ngfw"
            | "ファイアウォール",
        Rtu = "rtu" | "remote_terminal_unit",
        Ied = "ied" | "intelligent_electronic_device" | "protection_relay",
        RemoteIo = "remote_io" | "remote_i_o" | "rio" | "io_module" | "i_o_module",
        SensorActuator = "sensor_actuator" | "sensor" | "actuator" | "sensor_or_actuator"
            | "transmitter" | "field_device" | "field_instrument" | "センサ" | "センサー",
        #[default]
        Other = "other" | "その他",
    }
}

named_enum! {
    /// How much the organization depends on a system or an asset.
    Criticality, "criticality", "a criticality", "" {
        Low = "low",
        #[default]
        Medium = "medium" | "moderate",
        High = "high",
        Critical = "critical" | "very_high",
    }
}

named_enum! {
    /// Where an asset is in its life.
    Lifecycle, "lifecycle", "a lifecycle state", "" {
        Planned = "planned",
        #[default]
        InOperation = "in_operation" | "operational" | "in_service" | "active" | "running",
        Maintenance = "maintenance" | "under_maintenance" | "in_maintenance",
        Decommissioned = "decommissioned" | "retired" | "out_of_service" | "disposed",
    }
}

named_enum! {
    /// Which way a channel of a conduit carries data: `one_way` only from the conduit's
    /// first zone to its second (a data diode, a one-way replication), `two_way` both ways.
    Direction, "direction", "a direction", "" {
        OneWay = "one_way" | "unidirectional" | "simplex",
        #[default]
        TwoWay = "two_way" | "bidirectional" | "both" | "duplex",
    }
}

/// The Purdue reference model levels an asset may sit at, as stored; `3.5` is the industrial
/// DMZ between the plant and the enterprise.
pub const PURDUE_LEVELS: [&str; 7] = ["0", "1", "2", "3", "3.5", "4", "5"];

/// Parses a Purdue level: `0` to `5` or `3.5`, also written `L2`, `Level 2` or `DMZ`.
pub fn parse_purdue_level(s: &str) -> Result<&'static str, FieldError> {
    let t = s.trim().to_ascii_lowercase();
    let t = t
        .strip_prefix("level")
        .or_else(|| t.strip_prefix('l'))
        .unwrap_or(&t)
        .trim();
    let t = if matches!(t, "dmz" | "idmz") {
        "3.5"
    } else {
        t
    };
    PURDUE_LEVELS
        .into_iter()
        .find(|l| *l == t)
        .ok_or_else(|| FieldError {
            field: "purdue_level",
            message: format!(
                "'{s}' is not a Purdue level; use 0, 1, 2, 3, 3.5 (the industrial DMZ), 4 or 5"
            ),
        })
}

// ---------------------------------------------------------------------------------------
// Entities

/// A place the organization operates (a plant, a substation, a water works).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Site {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub location: String,
    pub description: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: Option<Uuid>,
    pub version: i64,
}

impl Audited for Site {
    const KIND: &'static str = "site";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

/// What a caller sets on a site; every field is written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct NewSite {
    pub name: String,
    pub location: String,
    pub description: String,
}

/// An IACS, or the system under consideration of a risk assessment (62443-3-2 ZCR 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct System {
    pub id: Uuid,
    pub org_id: Uuid,
    pub site_id: Option<Uuid>,
    pub name: String,
    pub description: String,
    pub owner_id: Option<Uuid>,
    pub criticality: Criticality,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: Option<Uuid>,
    pub version: i64,
}

impl Audited for System {
    const KIND: &'static str = "system";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

/// What a caller sets on a system; every field is written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct NewSystem {
    pub site_id: Option<Uuid>,
    pub name: String,
    pub description: String,
    pub owner_id: Option<Uuid>,
    pub criticality: Criticality,
}

/// A network interface of an asset.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Interface {
    /// The port or adapter name (`X1`, `eth0`, `CP 443-1`); may be empty when an address
    /// identifies it.
    pub name: String,
    /// Six hex pairs, stored lowercase with colons (`00:1b:1b:12:34:56`).
    pub mac: Option<String>,
    /// An IPv4 or IPv6 address, optionally with its prefix length (`192.168.0.10/24`).
    pub ip: Option<String>,
    /// 802.1Q VLAN id, 1 to 4094.
    pub vlan: Option<u16>,
    pub protocols: Vec<String>,
}

/// A device of the IACS with its OT attributes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Asset {
    pub id: Uuid,
    pub org_id: Uuid,
    /// The organization's own asset id, unique within the organization.
    pub asset_tag: String,
    pub name: String,
    pub asset_type: AssetType,
    pub vendor: String,
    pub product_family: String,
    pub model: String,
    pub order_number: String,
    pub firmware_version: String,
    pub serial_number: String,
    /// One of [`PURDUE_LEVELS`].
    pub purdue_level: Option<String>,
    pub location: String,
    pub interfaces: Vec<Interface>,
    pub protocols: Vec<String>,
    pub criticality: Criticality,
    pub owner_id: Option<Uuid>,
    pub system_id: Option<Uuid>,
    pub zone_id: Option<Uuid>,
    pub lifecycle: Lifecycle,
    /// The security-level capability SL-C the vendor declares for the device.
    pub sl_c: Option<SlVector>,
    /// The organization's own attributes (name → value).
    pub custom: BTreeMap<String, String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: Option<Uuid>,
    pub version: i64,
}

impl Audited for Asset {
    const KIND: &'static str = "asset";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

/// What a caller sets on an asset (a form, an API call, one row of an import); every field
/// is written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct NewAsset {
    pub asset_tag: String,
    pub name: String,
    pub asset_type: AssetType,
    pub vendor: String,
    pub product_family: String,
    pub model: String,
    pub order_number: String,
    pub firmware_version: String,
    pub serial_number: String,
    pub purdue_level: Option<String>,
    pub location: String,
    pub interfaces: Vec<Interface>,
    pub protocols: Vec<String>,
    pub criticality: Criticality,
    pub owner_id: Option<Uuid>,
    pub system_id: Option<Uuid>,
    pub zone_id: Option<Uuid>,
    pub lifecycle: Lifecycle,
    pub sl_c: Option<SlVector>,
    pub custom: BTreeMap<String, String>,
}

/// A zone (62443-3-2): assets grouped by shared security requirements, with the target
/// security level SL-T per FR.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Zone {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub description: String,
    pub system_id: Option<Uuid>,
    pub sl_t: SlVector,
    /// The SL-T proposed from the zone's risk (`zone::propose_target`), when one was made.
    pub sl_t_proposed: Option<SlVector>,
    /// Why SL-T differs from the proposal; required when it does.
    pub sl_t_justification: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: Option<Uuid>,
    pub version: i64,
}

impl Audited for Zone {
    const KIND: &'static str = "zone";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

impl Zone {
    /// The FRs whose SL-T differs from the proposal, as overrides (empty without a proposal).
    pub fn overrides(&self) -> Vec<SlOverride> {
        overrides(self.sl_t, self.sl_t_proposed, &self.sl_t_justification)
    }
}

fn overrides(sl_t: SlVector, proposed: Option<SlVector>, why: &str) -> Vec<SlOverride> {
    let Some(p) = proposed else {
        return Vec::new();
    };
    Fr::ALL
        .into_iter()
        .filter(|fr| p.get(*fr) != sl_t.get(*fr))
        .map(|fr| SlOverride {
            fr,
            proposed: p.get(fr),
            chosen: sl_t.get(fr),
            justification: why.to_owned(),
        })
        .collect()
}

/// What a caller sets on a zone; every field is written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct NewZone {
    pub name: String,
    pub description: String,
    pub system_id: Option<Uuid>,
    pub sl_t: SlVector,
    pub sl_t_proposed: Option<SlVector>,
    pub sl_t_justification: String,
}

/// One kind of traffic a conduit carries.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Channel {
    /// `Modbus/TCP`, `OPC UA`, `S7comm`, `HTTPS`, ...
    pub protocol: String,
    /// The TCP or UDP port, when there is one.
    pub port: Option<u16>,
    pub direction: Direction,
    pub description: String,
}

/// A conduit (62443-3-2): the communication channels between two zones.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conduit {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    /// The zone a one-way channel sends from.
    pub from_zone_id: Uuid,
    pub to_zone_id: Uuid,
    pub channels: Vec<Channel>,
    pub description: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: Option<Uuid>,
    pub version: i64,
}

impl Audited for Conduit {
    const KIND: &'static str = "conduit";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

/// What a caller sets on a conduit; every field is written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct NewConduit {
    pub name: String,
    pub from_zone_id: Uuid,
    pub to_zone_id: Uuid,
    pub channels: Vec<Channel>,
    pub description: String,
}

/// What one import of assets stored: the trail records this one image instead of one record
/// per asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Identifies the import in the trail.
    pub id: Uuid,
    pub count: i64,
    /// How many assets of each type (by stored name).
    pub by_type: BTreeMap<String, i64>,
    /// The tag of the first and of the last asset, in import order.
    pub first_tag: String,
    pub last_tag: String,
    /// The SHA-256 (hex) of the file the assets came from, when they came from a file: the
    /// trail names exactly which file was imported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_sha256: Option<String>,
}

impl Audited for ImportSummary {
    const KIND: &'static str = "asset_import";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

impl ImportSummary {
    /// The summary of importing `assets` (in their order).
    pub fn of(id: Uuid, assets: &[NewAsset]) -> ImportSummary {
        let mut by_type = BTreeMap::new();
        for a in assets {
            *by_type.entry(a.asset_type.as_str().to_owned()).or_insert(0) += 1;
        }
        ImportSummary {
            id,
            count: assets.len() as i64,
            by_type,
            first_tag: assets
                .first()
                .map(|a| a.asset_tag.clone())
                .unwrap_or_default(),
            last_tag: assets
                .last()
                .map(|a| a.asset_tag.clone())
                .unwrap_or_default(),
            file_sha256: None,
        }
    }

    /// The same summary naming the file the assets came from (its SHA-256 in hex).
    pub fn from_file(self, sha256: Option<&str>) -> ImportSummary {
        ImportSummary {
            file_sha256: sha256.map(|s| s.to_ascii_lowercase()),
            ..self
        }
    }
}

/// The SHA-256 (hex) of a whole import file, as [`ImportSummary::file_sha256`] names it.
pub fn file_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Reads through to `inner`, hashing every byte that passes: the SHA-256 of a file read as a
/// stream (an import checked a row at a time), for [`ImportSummary::file_sha256`].
pub struct Sha256Reader<R> {
    inner: R,
    hasher: sha2::Sha256,
}

impl<R> Sha256Reader<R> {
    pub fn new(inner: R) -> Self {
        use sha2::Digest;
        Sha256Reader {
            inner,
            hasher: sha2::Sha256::new(),
        }
    }

    /// The SHA-256 (hex) of what was read so far.
    pub fn hex(&self) -> String {
        use sha2::Digest;
        hex::encode(self.hasher.clone().finalize())
    }
}

impl<R: std::io::Read> std::io::Read for Sha256Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------
// Validation

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// Checks a one-line text: at most `max` characters, no line breaks or other control
/// characters.
pub fn validate_line(field: &'static str, value: &str, max: usize) -> Result<(), FieldError> {
    validate_text(field, value, max)?;
    if value.contains(['\n', '\r', '\t']) {
        return Err(err(
            field,
            format!("{field} must be one line; remove the line break or tab"),
        ));
    }
    Ok(())
}

/// Checks a required name: 1 to [`MAX_NAME`] characters on one line. `what` names the thing
/// ("site", "zone") in the message.
fn validate_required_name(field: &'static str, what: &str, value: &str) -> Result<(), FieldError> {
    if value.is_empty() || value.chars().count() > MAX_NAME {
        return Err(err(
            field,
            format!("give the {what} a name of 1 to {MAX_NAME} characters"),
        ));
    }
    validate_line(field, value, MAX_NAME)
}

fn trimmed(s: String) -> String {
    let t = s.trim();
    if t.len() == s.len() { s } else { t.to_owned() }
}

/// Checks a site and returns it trimmed.
pub fn validate_site(new: NewSite) -> Result<NewSite, FieldError> {
    let site = NewSite {
        name: trimmed(new.name),
        location: trimmed(new.location),
        description: new.description,
    };
    validate_required_name("name", "site", &site.name)?;
    validate_line("location", &site.location, MAX_LOCATION)?;
    validate_text("description", &site.description, MAX_DESCRIPTION)?;
    Ok(site)
}

/// Checks a system and returns it trimmed.
pub fn validate_system(new: NewSystem) -> Result<NewSystem, FieldError> {
    let system = NewSystem {
        name: trimmed(new.name),
        ..new
    };
    validate_required_name("name", "system", &system.name)?;
    validate_text("description", &system.description, MAX_DESCRIPTION)?;
    Ok(system)
}

/// A value as an address error quotes it: at most 80 characters (cut with `…`), control
/// characters escaped, so a message never grows with what was sent.
fn quoted_value(s: &str) -> String {
    const MAX: usize = 80;
    let cut = s.chars().count() > MAX;
    let mut out = String::new();
    for c in s.chars().take(if cut { MAX - 1 } else { MAX }) {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    if cut {
        out.push('…');
    }
    out
}

/// Normalizes a MAC address written as six hex pairs separated by `:` or `-`.
pub fn parse_mac(s: &str) -> Result<String, FieldError> {
    let t = s.trim();
    let sep = if t.contains('-') { '-' } else { ':' };
    let parts: Vec<&str> = t.split(sep).collect();
    if parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
    {
        Ok(parts.join(":").to_ascii_lowercase())
    } else {
        Err(err(
            "interfaces",
            format!(
                "'{}' is not a MAC address; write six hex pairs, e.g. 00:1b:1b:12:34:56",
                quoted_value(s)
            ),
        ))
    }
}

/// Normalizes an IPv4 or IPv6 address, optionally followed by `/prefix`.
pub fn parse_ip(s: &str) -> Result<String, FieldError> {
    let t = s.trim();
    let bad = || {
        err(
            "interfaces",
            format!(
                "'{}' is not an IP address; write e.g. 192.168.0.10, 192.168.0.10/24 or fd00::10",
                quoted_value(s)
            ),
        )
    };
    let (addr, prefix) = match t.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (t, None),
    };
    let ip: IpAddr = addr.parse().map_err(|_| bad())?;
    match prefix {
        None => Ok(ip.to_string()),
        Some(p) => {
            let max = if ip.is_ipv4() { 32 } else { 128 };
            match p.parse::<u8>() {
                Ok(n) if n <= max && !p.starts_with('+') => Ok(format!("{ip}/{n}")),
                _ => Err(bad()),
            }
        }
    }
}

/// Checks a list of protocols and returns it trimmed, without empty entries or repeats.
pub fn validate_protocols(
    field: &'static str,
    protocols: Vec<String>,
) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::with_capacity(protocols.len());
    for p in protocols {
        let p = trimmed(p);
        if p.is_empty() || out.contains(&p) {
            continue;
        }
        if p.contains([',', ';']) {
            return Err(err(
                field,
                format!("'{p}' holds several protocols; give one protocol per entry"),
            ));
        }
        if p.chars().count() > MAX_PROTOCOL {
            return Err(err(
                field,
                format!("protocol '{p}' is longer than {MAX_PROTOCOL} characters"),
            ));
        }
        validate_line(field, &p, MAX_PROTOCOL)?;
        out.push(p);
    }
    if out.len() > MAX_PROTOCOLS {
        return Err(err(
            field,
            format!(
                "{} protocols are listed; at most {MAX_PROTOCOLS} are kept per entry",
                out.len()
            ),
        ));
    }
    Ok(out)
}

/// Checks one network interface and returns it normalized.
pub fn validate_interface(i: Interface) -> Result<Interface, FieldError> {
    let name = trimmed(i.name);
    let label = if name.is_empty() {
        String::new()
    } else {
        format!("interface '{name}': ")
    };
    let within = |e: FieldError| err("interfaces", format!("{label}{}", e.message));
    validate_line("interfaces", &name, 100).map_err(|_| {
        err(
            "interfaces",
            "an interface name is one line of at most 100 characters",
        )
    })?;
    let mac = match i.mac.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => Some(parse_mac(m).map_err(within)?),
        None => None,
    };
    let ip = match i.ip.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(a) => Some(parse_ip(a).map_err(within)?),
        None => None,
    };
    if let Some(v) = i.vlan
        && !(1..=4094).contains(&v)
    {
        return Err(within(err(
            "interfaces",
            format!("VLAN {v} is not a VLAN id; use 1 to 4094"),
        )));
    }
    let protocols = validate_protocols("interfaces", i.protocols).map_err(within)?;
    if name.is_empty() && mac.is_none() && ip.is_none() {
        return Err(err(
            "interfaces",
            "an interface needs a name, a MAC address or an IP address",
        ));
    }
    Ok(Interface {
        name,
        mac,
        ip,
        vlan: i.vlan,
        protocols,
    })
}

/// Checks an asset and returns it normalized: text trimmed, the Purdue level in its stored
/// form, addresses canonical, protocols without repeats.
pub fn validate_asset(a: NewAsset) -> Result<NewAsset, FieldError> {
    let asset_tag = trimmed(a.asset_tag);
    if asset_tag.is_empty() || asset_tag.chars().count() > MAX_TAG {
        return Err(err(
            "asset_tag",
            format!(
                "give the asset its tag (the organization's asset id) in 1 to {MAX_TAG} characters"
            ),
        ));
    }
    validate_line("asset_tag", &asset_tag, MAX_TAG)?;
    let name = trimmed(a.name);
    validate_line("name", &name, MAX_NAME)?;
    let vendor = trimmed(a.vendor);
    let product_family = trimmed(a.product_family);
    let model = trimmed(a.model);
    let order_number = trimmed(a.order_number);
    let firmware_version = trimmed(a.firmware_version);
    let serial_number = trimmed(a.serial_number);
    for (field, value) in [
        ("vendor", &vendor),
        ("product_family", &product_family),
        ("model", &model),
        ("order_number", &order_number),
        ("firmware_version", &firmware_version),
        ("serial_number", &serial_number),
    ] {
        validate_line(field, value, MAX_ATTRIBUTE)?;
    }
    let purdue_level = match a.purdue_level.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(l) => Some(parse_purdue_level(l)?.to_owned()),
    };
    let location = trimmed(a.location);
    validate_line("location", &location, MAX_LOCATION)?;
    if a.interfaces.len() > MAX_INTERFACES {
        return Err(err(
            "interfaces",
            format!(
                "{} interfaces are listed; an asset keeps at most {MAX_INTERFACES}",
                a.interfaces.len()
            ),
        ));
    }
    let interfaces = a
        .interfaces
        .into_iter()
        .map(validate_interface)
        .collect::<Result<Vec<_>, _>>()?;
    let protocols = validate_protocols("protocols", a.protocols)?;
    let custom = validate_custom(a.custom)?;
    Ok(NewAsset {
        asset_tag,
        name,
        asset_type: a.asset_type,
        vendor,
        product_family,
        model,
        order_number,
        firmware_version,
        serial_number,
        purdue_level,
        location,
        interfaces,
        protocols,
        criticality: a.criticality,
        owner_id: a.owner_id,
        system_id: a.system_id,
        zone_id: a.zone_id,
        lifecycle: a.lifecycle,
        sl_c: a.sl_c,
        custom,
    })
}

/// Checks an asset's custom fields and returns them with trimmed names and values.
pub fn validate_custom(
    custom: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, FieldError> {
    if custom.len() > MAX_CUSTOM_FIELDS {
        return Err(err(
            "custom",
            format!(
                "{} custom fields are set; an asset keeps at most {MAX_CUSTOM_FIELDS}",
                custom.len()
            ),
        ));
    }
    let mut out = BTreeMap::new();
    for (k, v) in custom {
        let k = trimmed(k);
        if k.is_empty() || k.chars().count() > MAX_CUSTOM_KEY {
            return Err(err(
                "custom",
                format!("name each custom field in 1 to {MAX_CUSTOM_KEY} characters"),
            ));
        }
        validate_line("custom", &k, MAX_CUSTOM_KEY)?;
        let v = trimmed(v);
        if v.chars().count() > MAX_CUSTOM_VALUE {
            return Err(err(
                "custom",
                format!("custom field '{k}' is longer than {MAX_CUSTOM_VALUE} characters"),
            ));
        }
        validate_text("custom", &v, MAX_CUSTOM_VALUE)?;
        if out.insert(k.clone(), v).is_some() {
            return Err(err(
                "custom",
                format!("custom field '{k}' is given twice; keep one"),
            ));
        }
    }
    Ok(out)
}

/// Checks a zone and returns it trimmed. When a proposal is recorded, every FR whose SL-T
/// differs from it needs the justification (the rule of [`SlOverride::validate`]).
pub fn validate_zone(new: NewZone) -> Result<NewZone, FieldError> {
    let zone = NewZone {
        name: trimmed(new.name),
        sl_t_justification: trimmed(new.sl_t_justification),
        ..new
    };
    validate_required_name("name", "zone", &zone.name)?;
    validate_text("description", &zone.description, MAX_DESCRIPTION)?;
    for o in overrides(zone.sl_t, zone.sl_t_proposed, &zone.sl_t_justification) {
        o.validate().map_err(|e| FieldError {
            field: if e.field == "justification" {
                "sl_t_justification"
            } else {
                "sl_t"
            },
            message: e.message,
        })?;
    }
    validate_text("sl_t_justification", &zone.sl_t_justification, 2_000)?;
    Ok(zone)
}

/// Checks one channel and returns it trimmed.
pub fn validate_channel(c: Channel) -> Result<Channel, FieldError> {
    let protocol = trimmed(c.protocol);
    if protocol.is_empty() || protocol.chars().count() > MAX_PROTOCOL {
        return Err(err(
            "channels",
            format!(
                "name each channel's protocol in 1 to {MAX_PROTOCOL} characters (e.g. Modbus/TCP)"
            ),
        ));
    }
    validate_line("channels", &protocol, MAX_PROTOCOL)?;
    if c.port == Some(0) {
        return Err(err(
            "channels",
            format!(
                "port 0 of channel '{protocol}' is not a port; use 1 to 65535 or leave it empty"
            ),
        ));
    }
    let description = trimmed(c.description);
    validate_line("channels", &description, MAX_LOCATION)?;
    Ok(Channel {
        protocol,
        port: c.port,
        direction: c.direction,
        description,
    })
}

/// Checks a conduit and returns it trimmed. A conduit joins two different zones.
pub fn validate_conduit(new: NewConduit) -> Result<NewConduit, FieldError> {
    let name = trimmed(new.name);
    validate_required_name("name", "conduit", &name)?;
    if new.from_zone_id == new.to_zone_id {
        return Err(err(
            "to_zone_id",
            "a conduit joins two different zones; pick another zone at one end",
        ));
    }
    if new.channels.len() > MAX_CHANNELS {
        return Err(err(
            "channels",
            format!(
                "{} channels are listed; a conduit keeps at most {MAX_CHANNELS}",
                new.channels.len()
            ),
        ));
    }
    let channels = new
        .channels
        .into_iter()
        .map(validate_channel)
        .collect::<Result<Vec<_>, _>>()?;
    validate_text("description", &new.description, MAX_DESCRIPTION)?;
    Ok(NewConduit {
        name,
        channels,
        ..new
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_types_parse_from_names_and_common_spellings() {
        for t in AssetType::ALL {
            assert_eq!(AssetType::parse(t.as_str()).unwrap(), *t);
            assert_eq!(AssetType::parse(&t.as_str().to_uppercase()).unwrap(), *t);
            assert_eq!(t.to_string().parse::<AssetType>().unwrap(), *t);
        }
        for (typed, expected) in [
            ("PLC", AssetType::Plc),
            ("DCS controller", AssetType::DcsController),
            ("DCS", AssetType::DcsController),
            ("SIS", AssetType::SafetySystem),
            ("Safety Instrumented System", AssetType::SafetySystem),
            ("HMI", AssetType::Hmi),
            ("Engineering workstation", AssetType::EngineeringWorkstation),
            ("EWS", AssetType::EngineeringWorkstation),
            ("industrial switch", AssetType::NetworkSwitch),
            ("Network-Switch", AssetType::NetworkSwitch),
            ("firewall", AssetType::Firewall),
            ("RTU", AssetType::Rtu),
            ("IED", AssetType::Ied),
            ("Remote I/O", AssetType::RemoteIo),
            ("remote-io", AssetType::RemoteIo),
            ("sensor/actuator", AssetType::SensorActuator),
            ("  Historian ", AssetType::Historian),
            ("サーバ", AssetType::Server),
        ] {
            assert_eq!(AssetType::parse(typed).unwrap(), expected, "{typed}");
        }
        let e = AssetType::parse("toaster").unwrap_err();
        assert_eq!(e.field, "asset_type");
        assert!(e.message.contains("'toaster'"), "{e}");
        for t in AssetType::ALL {
            assert!(e.message.contains(t.as_str()), "{e} lists {t}");
        }
        assert!(AssetType::parse("").is_err());
        assert_eq!(
            serde_json::to_string(&AssetType::DcsController).unwrap(),
            "\"dcs_controller\""
        );
    }

    #[test]
    fn other_enums_parse_case_insensitively() {
        assert_eq!(AssetType::default(), AssetType::Other);
        assert_eq!(Criticality::default(), Criticality::Medium);
        assert_eq!(Lifecycle::default(), Lifecycle::InOperation);
        assert_eq!(Direction::default(), Direction::TwoWay);
        fn serde_names_are_stored_names<T: Serialize + Copy>(
            all: &[T],
            name: fn(T) -> &'static str,
        ) {
            for v in all {
                assert_eq!(serde_json::to_value(v).unwrap(), name(*v));
            }
        }
        serde_names_are_stored_names(AssetType::ALL, AssetType::as_str);
        serde_names_are_stored_names(Criticality::ALL, Criticality::as_str);
        serde_names_are_stored_names(Lifecycle::ALL, Lifecycle::as_str);
        serde_names_are_stored_names(Direction::ALL, Direction::as_str);
        assert_eq!(Criticality::parse("HIGH").unwrap(), Criticality::High);
        assert_eq!(
            Lifecycle::parse("In operation").unwrap(),
            Lifecycle::InOperation
        );
        assert_eq!(
            Lifecycle::parse("retired").unwrap(),
            Lifecycle::Decommissioned
        );
        assert_eq!(Direction::parse("one-way").unwrap(), Direction::OneWay);
        assert_eq!(
            Direction::parse("bidirectional").unwrap(),
            Direction::TwoWay
        );
        let e = Lifecycle::parse("scrapped").unwrap_err();
        assert_eq!(e.field, "lifecycle");
        assert!(
            e.message
                .contains("planned, in_operation, maintenance, decommissioned")
        );
        assert_eq!(
            Criticality::parse("extreme").unwrap_err().field,
            "criticality"
        );
    }

    #[test]
    fn purdue_levels() {
        for (typed, stored) in [
            ("0", "0"),
            ("2", "2"),
            ("L2", "2"),
            ("Level 3", "3"),
            ("level 3.5", "3.5"),
            ("DMZ", "3.5"),
            (" 5 ", "5"),
        ] {
            assert_eq!(parse_purdue_level(typed).unwrap(), stored, "{typed}");
        }
        for bad in ["6", "2.5", "-1", "", "level", "three"] {
            let e = parse_purdue_level(bad).unwrap_err();
            assert_eq!(e.field, "purdue_level");
            assert!(e.message.contains("3.5"), "{e}");
        }
    }

    #[test]
    fn addresses_are_checked_and_normalized() {
        assert_eq!(parse_mac("00-1B-1B-12-34-AB").unwrap(), "00:1b:1b:12:34:ab");
        assert_eq!(parse_mac("00:1b:1b:12:34:ab").unwrap(), "00:1b:1b:12:34:ab");
        for bad in [
            "00:1b:1b:12:34",
            "00:1b:1b:12:34:zz",
            "001b1b1234ab",
            "00:1b-1b:12:34:ab",
        ] {
            let e = parse_mac(bad).unwrap_err();
            assert!(e.message.contains("six hex pairs"), "{bad}: {e}");
        }
        assert_eq!(parse_ip("192.168.0.10").unwrap(), "192.168.0.10");
        assert_eq!(parse_ip(" 192.168.0.10/24 ").unwrap(), "192.168.0.10/24");
        assert_eq!(parse_ip("FD00:0:0::10").unwrap(), "fd00::10");
        assert_eq!(parse_ip("fd00::10/64").unwrap(), "fd00::10/64");
        for bad in [
            "192.168.0.256",
            "192.168.0.1/33",
            "fd00::1/129",
            "plc-01",
            "10.0.0.1/",
            "",
        ] {
            assert!(parse_ip(bad).is_err(), "{bad}");
        }
        // A long or odd value is quoted cut and escaped: the message does not grow with it.
        let long = format!("\u{1b}[31m{}", "9".repeat(100_000));
        for e in [parse_ip(&long).unwrap_err(), parse_mac(&long).unwrap_err()] {
            assert!(e.message.len() < 300, "{}", e.message.len());
            assert!(e.message.starts_with("'\\u{1b}[31m999"), "{}", e.message);
            assert!(e.message.contains("9…'"), "{}", e.message);
        }
    }

    fn asset(tag: &str) -> NewAsset {
        NewAsset {
            asset_tag: tag.into(),
            ..Default::default()
        }
    }

    #[test]
    fn assets_are_normalized() {
        let a = validate_asset(NewAsset {
            asset_tag: "  PLC-001 ".into(),
            name: " 反応器 PLC ".into(),
            vendor: "Siemens ".into(),
            purdue_level: Some("L1".into()),
            interfaces: vec![Interface {
                name: "X1".into(),
                mac: Some("00-1B-1B-12-34-56".into()),
                ip: Some("192.168.88.30".into()),
                vlan: Some(10),
                protocols: vec!["S7comm".into(), " S7comm ".into(), "".into()],
            }],
            protocols: vec!["snmp".into()],
            custom: BTreeMap::from([(" rack ".into(), " A-3 ".into())]),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(a.asset_tag, "PLC-001");
        assert_eq!(a.name, "反応器 PLC");
        assert_eq!(a.vendor, "Siemens");
        assert_eq!(a.purdue_level.as_deref(), Some("1"));
        assert_eq!(a.interfaces[0].mac.as_deref(), Some("00:1b:1b:12:34:56"));
        assert_eq!(a.interfaces[0].protocols, vec!["S7comm"]);
        assert_eq!(a.custom["rack"], "A-3");
        validate_asset(asset("x")).unwrap();
    }

    #[test]
    fn asset_errors_name_the_field() {
        let field = |a: NewAsset| validate_asset(a).unwrap_err().field;
        assert_eq!(field(asset(" ")), "asset_tag");
        assert_eq!(field(asset(&"T".repeat(MAX_TAG + 1))), "asset_tag");
        assert_eq!(field(asset("a\nb")), "asset_tag");
        assert_eq!(
            field(NewAsset {
                vendor: "V\0".into(),
                ..asset("x")
            }),
            "vendor"
        );
        assert_eq!(
            field(NewAsset {
                model: "m".repeat(MAX_ATTRIBUTE + 1),
                ..asset("x")
            }),
            "model"
        );
        assert_eq!(
            field(NewAsset {
                purdue_level: Some("7".into()),
                ..asset("x")
            }),
            "purdue_level"
        );
        let e = validate_asset(NewAsset {
            interfaces: vec![Interface {
                name: "eth0".into(),
                ip: Some("10.0.0.300".into()),
                ..Default::default()
            }],
            ..asset("x")
        })
        .unwrap_err();
        assert_eq!(e.field, "interfaces");
        assert!(
            e.message.contains("interface 'eth0'") && e.message.contains("10.0.0.300"),
            "{e}"
        );
        let e = validate_asset(NewAsset {
            interfaces: vec![Interface {
                name: "eth0".into(),
                vlan: Some(4095),
                ..Default::default()
            }],
            ..asset("x")
        })
        .unwrap_err();
        assert!(e.message.contains("1 to 4094"), "{e}");
        assert!(
            validate_interface(Interface::default()).is_err(),
            "an empty interface says nothing"
        );
        let e = validate_asset(NewAsset {
            protocols: vec!["modbus;dnp3".into()],
            ..asset("x")
        })
        .unwrap_err();
        assert_eq!(e.field, "protocols");
        let e = validate_asset(NewAsset {
            custom: BTreeMap::from([("rack".into(), "A".into()), (" rack".into(), "B".into())]),
            ..asset("x")
        })
        .unwrap_err();
        assert!(e.message.contains("twice"), "{e}");
        let many: BTreeMap<String, String> = (0..=MAX_CUSTOM_FIELDS)
            .map(|i| (format!("k{i}"), String::new()))
            .collect();
        assert_eq!(
            field(NewAsset {
                custom: many,
                ..asset("x")
            }),
            "custom"
        );
    }

    #[test]
    fn sites_and_systems_need_names() {
        assert_eq!(validate_site(NewSite::default()).unwrap_err().field, "name");
        let s = validate_site(NewSite {
            name: " 鹿島工場 ".into(),
            location: "茨城県".into(),
            description: "一行目\n二行目".into(),
        })
        .unwrap();
        assert_eq!(s.name, "鹿島工場");
        let e = validate_system(NewSystem {
            name: "x".repeat(MAX_NAME + 1),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.message.contains("1 to 200"), "{e}");
    }

    #[test]
    fn a_zone_target_off_the_proposal_needs_a_justification() {
        let proposed = SlVector::parse("2,2,2,2,2,2,2").unwrap();
        let chosen = SlVector::parse("2,2,2,2,2,2,3").unwrap();
        let zone = NewZone {
            name: "Control".into(),
            sl_t: chosen,
            sl_t_proposed: Some(proposed),
            ..Default::default()
        };
        let e = validate_zone(zone.clone()).unwrap_err();
        assert_eq!(e.field, "sl_t_justification");
        assert!(e.message.contains("FR 7"), "{e}");
        let ok = validate_zone(NewZone {
            sl_t_justification: " A trip here stops the site. ".into(),
            ..zone.clone()
        })
        .unwrap();
        assert_eq!(ok.sl_t_justification, "A trip here stops the site.");
        // Following the proposal, or making none, needs no justification.
        validate_zone(NewZone {
            sl_t: proposed,
            ..zone.clone()
        })
        .unwrap();
        validate_zone(NewZone {
            sl_t_proposed: None,
            ..zone.clone()
        })
        .unwrap();
        assert_eq!(validate_zone(NewZone::default()).unwrap_err().field, "name");
    }

    #[test]
    fn zone_overrides_list_the_changed_frs() {
        let mut z = Zone {
            id: Uuid::nil(),
            org_id: Uuid::nil(),
            name: "z".into(),
            description: String::new(),
            system_id: None,
            sl_t: SlVector::parse("3,2,2,2,2,2,1").unwrap(),
            sl_t_proposed: Some(SlVector::uniform(2)),
            sl_t_justification: "why".into(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            created_by: None,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            updated_by: None,
            version: 1,
        };
        let o = z.overrides();
        assert_eq!(o.len(), 2);
        assert_eq!((o[0].fr, o[0].proposed, o[0].chosen), (Fr::Iac, 2, 3));
        assert_eq!((o[1].fr, o[1].proposed, o[1].chosen), (Fr::Ra, 2, 1));
        z.sl_t_proposed = None;
        assert!(z.overrides().is_empty());
    }

    #[test]
    fn conduits_join_two_zones_with_valid_channels() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let c = NewConduit {
            name: " DMZ uplink ".into(),
            from_zone_id: a,
            to_zone_id: b,
            channels: vec![Channel {
                protocol: " OPC UA ".into(),
                port: Some(4840),
                direction: Direction::OneWay,
                description: String::new(),
            }],
            description: String::new(),
        };
        let ok = validate_conduit(c.clone()).unwrap();
        assert_eq!(ok.name, "DMZ uplink");
        assert_eq!(ok.channels[0].protocol, "OPC UA");
        let e = validate_conduit(NewConduit {
            to_zone_id: a,
            ..c.clone()
        })
        .unwrap_err();
        assert_eq!(e.field, "to_zone_id");
        let e = validate_conduit(NewConduit {
            channels: vec![Channel {
                port: Some(0),
                ..c.channels[0].clone()
            }],
            ..c.clone()
        })
        .unwrap_err();
        assert_eq!(e.field, "channels");
        let e = validate_conduit(NewConduit {
            channels: vec![Channel::default()],
            ..c
        })
        .unwrap_err();
        assert!(e.message.contains("protocol"), "{e}");
    }

    #[test]
    fn import_summaries_count_by_type() {
        let assets = vec![
            NewAsset {
                asset_type: AssetType::Plc,
                ..asset("B")
            },
            NewAsset {
                asset_type: AssetType::Plc,
                ..asset("A")
            },
            asset("C"),
        ];
        let s = ImportSummary::of(Uuid::nil(), &assets);
        assert_eq!(s.count, 3);
        assert_eq!(s.by_type["plc"], 2);
        assert_eq!(s.by_type["other"], 1);
        assert_eq!((s.first_tag.as_str(), s.last_tag.as_str()), ("B", "C"));
        let v = serde_json::to_value(&s).unwrap();
        assert!(v.get("file_sha256").is_none(), "no file, no field: {v}");
        let sha = "AB".repeat(32);
        let v = serde_json::to_value(s.from_file(Some(&sha))).unwrap();
        assert_eq!(
            v["file_sha256"],
            "ab".repeat(32),
            "the trail names the file"
        );
        let text = b"asset_tag\nPLC-1\n".repeat(10_000);
        let mut r = Sha256Reader::new(&text[..]);
        std::io::copy(&mut r, &mut std::io::sink()).unwrap();
        assert_eq!(r.hex(), file_sha256(&text));
        assert_eq!(
            file_sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn audited_images_serialize_for_the_trail() {
        let a = Asset {
            id: Uuid::nil(),
            org_id: Uuid::nil(),
            asset_tag: "PLC-1".into(),
            name: String::new(),
            asset_type: AssetType::Plc,
            vendor: String::new(),
            product_family: String::new(),
            model: String::new(),
            order_number: String::new(),
            firmware_version: String::new(),
            serial_number: String::new(),
            purdue_level: Some("3.5".into()),
            location: String::new(),
            interfaces: vec![],
            protocols: vec![],
            criticality: Criticality::High,
            owner_id: None,
            system_id: None,
            zone_id: None,
            lifecycle: Lifecycle::InOperation,
            sl_c: Some(SlVector::uniform(2)),
            custom: BTreeMap::new(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            created_by: None,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            updated_by: None,
            version: 1,
        };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["asset_type"], "plc");
        assert_eq!(v["lifecycle"], "in_operation");
        assert_eq!(v["purdue_level"], "3.5", "levels are text, never floats");
        assert_eq!(v["sl_c"], serde_json::json!([2, 2, 2, 2, 2, 2, 2]));
        assert_eq!(<Asset as Audited>::KIND, "asset");
        assert_eq!(<ImportSummary as Audited>::KIND, "asset_import");
    }
}
