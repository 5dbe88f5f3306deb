//! The asset inventory as CSV and XLSX: reading an import file into checked rows (with row and
//! column errors) and writing the inventory out in the same layout.
//!
//! # The asset import file
//!
//! One row per asset under one header row. CSV is UTF-8 (a byte order mark is accepted),
//! RFC 4180 quoting, any line ending; XLSX is read from the sheet named `Assets` or `資産`,
//! else the first sheet. Header names are matched case-insensitively, ignoring spaces, `-`
//! and `_`, in English or Japanese, in any order:
//!
//! | column | also read as | value |
//! |---|---|---|
//! | `asset_tag` (required) | `tag`, `asset_id`, `資産番号`, `資産タグ` | the organization's asset id, unique |
//! | `name` | `asset_name`, `名称`, `資産名` | |
//! | `type` | `asset_type`, `種別`; `device_role` (descriptive roles) | `plc`, `dcs_controller`, `hmi`, … or a common name |
//! | `vendor` | `manufacturer`, `ベンダー`, `メーカー` | |
//! | `product_family` | `製品ファミリ` | |
//! | `model` | `型式`, `モデル` | |
//! | `order_number` | `part_number`, `注文番号`, `品番` | |
//! | `firmware_version` | `firmware`, `ファームウェアバージョン` | |
//! | `serial_number` | `serial`, `シリアル番号`, `製造番号` | |
//! | `purdue_level` | `purdue`, `パーデューレベル` | `0`–`5`, `3.5`, `L2`, `DMZ` |
//! | `location` | `設置場所` | |
//! | `ip` | `ip_address`, `IPアドレス` | one or several, separated by `;` |
//! | `mac` | `mac_address`, `MACアドレス` | one or several, separated by `;` |
//! | `protocols` | `プロトコル`; `protocols_observed` (`snmp/161;https/443`) | separated by `;`, e.g. `Modbus/TCP 502;HTTPS 443` |
//! | `criticality` | `重要度` | `low`, `medium`, `high`, `critical` |
//! | `owner` | `責任者`, `所有者` | a member's user name |
//! | `system` | `システム` | a system's name |
//! | `zone` | `ゾーン` | a zone's name |
//! | `lifecycle` | `ライフサイクル` | `planned`, `in_operation`, `maintenance`, `decommissioned` |
//! | `sl_c` | `SL-C` | seven levels, FR1 to FR7: `3,3,2,2,1,1,3` |
//! | `custom.<key>` | | a custom field named `<key>` |
//!
//! The `n`th address of `ip` and the `n`th of `mac` make the asset's `n`th network interface
//! (an empty entry, as in `;00:1b:1b:12:34:56`, leaves that part out); interface names, VLANs
//! and per-interface protocols are not carried by the file. Empty cells take the defaults
//! (type `other`, criticality `medium`, lifecycle `in_operation`). A text that starts with an
//! apostrophe before `=`, `+`, `-` or `@` loses the apostrophe (the export adds it so that
//! spreadsheets do not run a formula).
//!
//! An import **adds** assets: a tag that the organization already uses is refused and named,
//! like a tag given twice in the file. Any error refuses the whole file. Other columns are
//! refused (naming them and the accepted names) unless the caller keeps them as custom fields
//! ([`ImportOptions::keep_other_columns`]). A file without an `asset_tag` column is refused
//! unless the caller asks for the tag to be taken from the first IP address
//! ([`TagFrom::Ip`]): device lists from network monitoring (such as the 4SICS list) have
//! addresses but no asset ids.
//!
//! Limits: [`MAX_ROWS`] assets, a byte size the caller sets (the page takes 50 MB), rows of at
//! most [`MAX_ROW_BYTES`]. A file holding NUL bytes, no header line, or bytes that are not
//! UTF-8 is refused with the row and byte offset; a file in Shift_JIS (what Excel on Japanese
//! Windows writes as "CSV") is recognized and the message says to save it as "CSV UTF-8".
//! A workbook is read a cell at a time: a cell right of column [`MAX_COLUMNS`] (`IV`) or below
//! row `MAX_ROWS + 1`, or rows out of order, refuse it, naming the cell. Before it is opened,
//! each XML part must unpack to at most [`MAX_XML_PART`] and [`MAX_EXPANSION`] times its packed
//! size (once over 1 MB), all together to at most [`MAX_XML_TOTAL`], the shared texts to at most
//! [`MAX_SHARED_STRINGS_XML`] and [`MAX_SHARED_STRINGS`] entries. Messages quote values cut to
//! 80 characters, control characters escaped ([`shown`]).
//!
//! The export writes exactly this layout (English or Japanese headers, the stored names as
//! values), so an export imports back into an empty organization unchanged.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Read};

use calamine::{DataRef, Reader, Xlsx, open_workbook_from_rs};
use csms_domain::Uuid;
use csms_domain::inventory::{
    Asset, AssetType, Criticality, Interface, Lifecycle, MAX_CUSTOM_KEY, NewAsset, validate_asset,
};
use csms_domain::org::FieldError;
use csms_domain::zone::SlVector;
use rust_xlsxwriter::{Format, FormatBorder, Workbook};

use crate::ReportError;
use crate::assessment::{fit_cell, neutralize, push_line};

/// Most assets one file may hold.
pub const MAX_ROWS: usize = 200_000;
/// Most bytes of one row (a longer one is not an inventory row).
pub const MAX_ROW_BYTES: usize = 1 << 20;
/// Most problems listed; the rest are counted.
pub const MAX_LISTED: usize = 200;
/// Longest value quoted in a problem.
const MAX_QUOTED: usize = 80;
/// How far into a file the header line must end.
const HEADER_WINDOW: usize = 64 * 1024;
/// The MIME type of XLSX files.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// ---------------------------------------------------------------------------------------
// Columns

/// A column of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    AssetTag,
    Name,
    Type,
    /// A descriptive device role (`industrial switch`, `serial console server`) read as the type.
    DeviceRole,
    Vendor,
    ProductFamily,
    Model,
    OrderNumber,
    FirmwareVersion,
    SerialNumber,
    PurdueLevel,
    Location,
    Ip,
    Mac,
    Protocols,
    /// Protocols as a network monitor writes them (`snmp/161;https/443`).
    ProtocolsObserved,
    Criticality,
    Owner,
    System,
    Zone,
    Lifecycle,
    SlC,
}

/// (column, English header, Japanese header, other accepted spellings).
const COLUMNS: &[(Column, &str, &str, &[&str])] = &[
    (
        Column::AssetTag,
        "asset_tag",
        "資産番号",
        &["tag", "asset_id", "資産タグ", "資産ID"],
    ),
    (Column::Name, "name", "名称", &["asset_name", "資産名"]),
    (
        Column::Type,
        "type",
        "種別",
        &["asset_type", "機器種別", "資産種別"],
    ),
    (Column::DeviceRole, "device_role", "機器の役割", &["role"]),
    (
        Column::Vendor,
        "vendor",
        "ベンダー",
        &["manufacturer", "メーカー", "ベンダ", "製造元"],
    ),
    (
        Column::ProductFamily,
        "product_family",
        "製品ファミリ",
        &["製品シリーズ", "シリーズ"],
    ),
    (Column::Model, "model", "型式", &["モデル", "形式"]),
    (
        Column::OrderNumber,
        "order_number",
        "注文番号",
        &["part_number", "order_no", "品番", "発注番号"],
    ),
    (
        Column::FirmwareVersion,
        "firmware_version",
        "ファームウェアバージョン",
        &[
            "firmware",
            "software_version",
            "ファームウェア",
            "バージョン",
        ],
    ),
    (
        Column::SerialNumber,
        "serial_number",
        "シリアル番号",
        &["serial", "serial_no", "製造番号"],
    ),
    (
        Column::PurdueLevel,
        "purdue_level",
        "パーデューレベル",
        &["purdue", "level", "レベル"],
    ),
    (Column::Location, "location", "設置場所", &["場所"]),
    (
        Column::Ip,
        "ip",
        "IPアドレス",
        &["ip_address", "ip_addresses", "ips", "address"],
    ),
    (
        Column::Mac,
        "mac",
        "MACアドレス",
        &["mac_address", "mac_addresses"],
    ),
    (Column::Protocols, "protocols", "プロトコル", &["protocol"]),
    (
        Column::ProtocolsObserved,
        "protocols_observed",
        "観測プロトコル",
        &[],
    ),
    (Column::Criticality, "criticality", "重要度", &[]),
    (
        Column::Owner,
        "owner",
        "責任者",
        &["所有者", "オーナー", "管理者"],
    ),
    (Column::System, "system", "システム", &[]),
    (Column::Zone, "zone", "ゾーン", &[]),
    (
        Column::Lifecycle,
        "lifecycle",
        "ライフサイクル",
        &["status", "state", "状態"],
    ),
    (Column::SlC, "sl_c", "SL-C", &["slc", "sl_capability"]),
];

/// The columns an export writes, in order (custom fields follow).
const EXPORTED: [Column; 20] = [
    Column::AssetTag,
    Column::Name,
    Column::Type,
    Column::Vendor,
    Column::ProductFamily,
    Column::Model,
    Column::OrderNumber,
    Column::FirmwareVersion,
    Column::SerialNumber,
    Column::PurdueLevel,
    Column::Location,
    Column::Ip,
    Column::Mac,
    Column::Protocols,
    Column::Criticality,
    Column::Owner,
    Column::System,
    Column::Zone,
    Column::Lifecycle,
    Column::SlC,
];

impl Column {
    fn entry(self) -> &'static (Column, &'static str, &'static str, &'static [&'static str]) {
        COLUMNS
            .iter()
            .find(|c| c.0 == self)
            .expect("every column is listed")
    }

    /// The English header (the canonical name).
    pub fn key(self) -> &'static str {
        self.entry().1
    }

    /// The header in the reader's language (`ja` or English).
    pub fn header(self, lang: &str) -> &'static str {
        if lang == "ja" {
            self.entry().2
        } else {
            self.entry().1
        }
    }
}

/// The prefix of custom field columns.
pub const CUSTOM_PREFIX: &str = "custom.";

/// Reduces a header to the form it is compared in: lowercase, full-width ASCII as ASCII,
/// without spaces, `-`, `_` and `.`.
fn header_key(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '_' | '.' | '・'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn column_named(header: &str) -> Option<Column> {
    let k = header_key(header);
    COLUMNS.iter().find_map(|(c, en, ja, other)| {
        (header_key(en) == k || header_key(ja) == k || other.iter().any(|o| header_key(o) == k))
            .then_some(*c)
    })
}

/// The custom field a header names (`custom.rack` → `rack`).
fn custom_key(header: &str) -> Option<&str> {
    let t = header.trim();
    let head = t.get(..CUSTOM_PREFIX.len())?;
    head.eq_ignore_ascii_case(CUSTOM_PREFIX)
        .then(|| t[CUSTOM_PREFIX.len()..].trim())
}

/// Every accepted header, for the message about an unknown column.
pub fn accepted_headers() -> String {
    let mut names: Vec<String> = COLUMNS
        .iter()
        .map(|(_, en, ja, _)| format!("{en} ({ja})"))
        .collect();
    names.push(format!("{CUSTOM_PREFIX}<name>"));
    names.join(", ")
}

// ---------------------------------------------------------------------------------------
// Checking

/// Where the asset tag comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TagFrom {
    /// The `asset_tag` column (required).
    #[default]
    Column,
    /// The first IP address of the row (without its prefix length) when the row has no tag.
    Ip,
}

impl TagFrom {
    /// Parses `column` or `ip` (as the CLI, the API and the form write it).
    pub fn parse(s: &str) -> Result<TagFrom, FieldError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "column" | "asset_tag" => Ok(TagFrom::Column),
            "ip" => Ok(TagFrom::Ip),
            _ => Err(FieldError {
                field: "tag_from",
                message: format!(
                    "'{}' is not a tag source; use column (the asset_tag column) or ip (the first IP address)",
                    shown(s)
                ),
            }),
        }
    }
}

/// How a file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOptions {
    pub tag_from: TagFrom,
    /// Keep columns that are not in the layout as custom fields named by their header,
    /// instead of refusing the file.
    pub keep_other_columns: bool,
    /// The largest file accepted, in bytes.
    pub max_bytes: u64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            tag_from: TagFrom::Column,
            keep_other_columns: false,
            max_bytes: 50 * 1024 * 1024,
        }
    }
}

/// What the organization already has, to resolve names and refuse taken tags.
#[derive(Default)]
pub struct Lookups<'a> {
    /// System name → id.
    pub systems: HashMap<String, Uuid>,
    /// Zone name → id.
    pub zones: HashMap<String, Uuid>,
    /// Member user name → user id.
    pub members: HashMap<String, Uuid>,
    /// Whether the organization already has an asset with this tag.
    pub tag_taken: Option<&'a dyn Fn(&str) -> bool>,
}

/// One problem of a file: where it is, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The 1-based line of the CSV file (where the row starts) or row of the sheet; 0 for the
    /// file as a whole.
    pub row: u64,
    /// The header of the column as the file writes it; empty for a whole row or the file.
    pub column: String,
    /// The value (cut to 80 characters).
    pub value: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.row, self.column.is_empty()) {
            (0, true) => write!(f, "{}", self.message),
            (0, false) => write!(f, "column {}: {}", self.column, self.message),
            (r, true) => write!(f, "row {r}: {}", self.message),
            (r, false) => write!(f, "row {r}, column {}: {}", self.column, self.message),
        }
    }
}

/// The checked content of a file.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// The assets, validated and normalized, in file order (complete only without errors).
    pub assets: Vec<NewAsset>,
    /// The file row of each asset.
    pub rows: Vec<u64>,
    /// The headers as the file writes them.
    pub headers: Vec<String>,
    /// The first [`MAX_LISTED`] errors.
    pub errors: Vec<Problem>,
    /// How many more errors there were.
    pub more_errors: u64,
    /// Things stored differently than written (a descriptive role read as a type); never block.
    pub warnings: Vec<Problem>,
    pub more_warnings: u64,
    /// Assets per type (stored name), over the rows without errors.
    pub by_type: BTreeMap<&'static str, u64>,
    /// Rows read (without the header and empty rows).
    pub row_count: u64,
    /// Bytes read.
    pub bytes: u64,
}

impl Checked {
    /// Whether the file may be imported.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty() && self.more_errors == 0 && !self.assets.is_empty()
    }

    /// Every error counted, listed or not.
    pub fn error_count(&self) -> u64 {
        self.errors.len() as u64 + self.more_errors
    }

    fn error(&mut self, p: Problem) {
        if self.errors.len() < MAX_LISTED {
            self.errors.push(p);
        } else {
            self.more_errors += 1;
        }
    }

    fn warning(&mut self, p: Problem) {
        if self.warnings.len() < MAX_LISTED {
            self.warnings.push(p);
        } else {
            self.more_warnings += 1;
        }
    }

    fn fatal(mut self, row: u64, column: &str, value: &str, message: String) -> Checked {
        self.error(problem(row, column, value, message));
        self.assets.clear();
        self.rows.clear();
        self
    }
}

fn quoted(value: &str) -> String {
    if value.chars().count() <= MAX_QUOTED {
        value.to_owned()
    } else {
        let mut s: String = value.chars().take(MAX_QUOTED - 1).collect();
        s.push('…');
        s
    }
}

/// A value as a message quotes it: at most 80 characters (cut with `…`), control
/// characters written as escapes (`\n`, `\u{1b}`). Every message that repeats a value from the
/// file uses this, so a problem never grows with the value.
pub fn shown(value: &str) -> String {
    let cut = value.chars().count() > MAX_QUOTED;
    let keep = if cut { MAX_QUOTED - 1 } else { MAX_QUOTED };
    let mut out = String::with_capacity(value.len().min(MAX_QUOTED * 4));
    for c in value.chars().take(keep) {
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

/// The longest message of a problem (the list of accepted headers is the longest meant).
const MAX_MESSAGE: usize = 2000;

fn problem(row: u64, column: &str, value: &str, message: impl Into<String>) -> Problem {
    let mut message: String = message.into();
    // A message from elsewhere (the domain's checks) may repeat the whole value: quote it cut.
    if !value.is_empty() {
        let short = shown(value);
        if short != value && message.contains(value) {
            message = message.replace(value, &short);
        }
    }
    if message.len() > MAX_MESSAGE {
        let mut cut = MAX_MESSAGE;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push('…');
    }
    Problem {
        row,
        column: shown(column),
        value: quoted(value),
        message,
    }
}

/// Reports progress: bytes read so far and rows checked.
pub type Progress<'p> = &'p mut dyn FnMut(u64, u64);

/// What a column of this file is.
#[derive(Debug, Clone)]
enum Slot {
    Known(Column),
    Custom(String),
}

/// The checked header: the slot of each column.
struct Layout {
    slots: Vec<Slot>,
    headers: Vec<String>,
}

/// Checks the header row. An error here stops the check (the rows cannot be read).
fn layout(headers: &[String], options: &ImportOptions) -> Result<Layout, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut slots = Vec::with_capacity(headers.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim();
        let slot = if let Some(key) = custom_key(h) {
            if key.is_empty() || key.chars().count() > MAX_CUSTOM_KEY {
                problems.push(problem(
                    1,
                    h,
                    h,
                    format!(
                        "name the custom field after '{CUSTOM_PREFIX}' in 1 to {MAX_CUSTOM_KEY} characters"
                    ),
                ));
                continue;
            }
            Slot::Custom(key.to_owned())
        } else if let Some(c) = column_named(h) {
            Slot::Known(c)
        } else if h.is_empty() {
            problems.push(problem(
                1,
                &format!("#{}", i + 1),
                "",
                format!(
                    "column {} has no header; name it (e.g. {CUSTOM_PREFIX}note) or delete the column",
                    i + 1
                ),
            ));
            continue;
        } else if options.keep_other_columns {
            Slot::Custom(h.to_owned())
        } else {
            problems.push(problem(
                1,
                h,
                h,
                format!(
                    "'{}' is not a column of the asset import; rename it to one of {}, prefix it with '{CUSTOM_PREFIX}' to keep it as a custom field, or choose to keep other columns as custom fields",
                    shown(h),
                    accepted_headers()
                ),
            ));
            continue;
        };
        let id = match &slot {
            Slot::Known(Column::DeviceRole) => Column::Type.key().to_owned(),
            Slot::Known(Column::ProtocolsObserved) => Column::Protocols.key().to_owned(),
            Slot::Known(c) => c.key().to_owned(),
            Slot::Custom(k) => format!("{CUSTOM_PREFIX}{k}"),
        };
        if let Some(first) = seen.insert(id.clone(), i) {
            problems.push(problem(
                1,
                h,
                h,
                format!(
                    "'{}' says the same as column {} ('{}'); keep one of them",
                    shown(h),
                    first + 1,
                    shown(headers[first].trim())
                ),
            ));
        }
        slots.push(slot);
    }
    let has_tag = slots
        .iter()
        .any(|s| matches!(s, Slot::Known(Column::AssetTag)));
    if !has_tag && options.tag_from == TagFrom::Column {
        let has_ip = slots.iter().any(|s| matches!(s, Slot::Known(Column::Ip)));
        let hint = if has_ip {
            " (or choose to derive the tag from the IP address)"
        } else {
            ""
        };
        problems.push(problem(
            1,
            "asset_tag",
            "",
            format!("the header has no asset_tag column; add one with each asset's id{hint}"),
        ));
    }
    if problems.is_empty() {
        Ok(Layout {
            slots,
            headers: headers.iter().map(|h| h.trim().to_owned()).collect(),
        })
    } else {
        Err(problems)
    }
}

/// The `'` the export puts before a formula start, taken off again.
fn unneutralized(v: &str) -> &str {
    match v.strip_prefix('\'') {
        Some(rest)
            if rest.starts_with([
                '=', '+', '-', '@', '\t', '\r', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
            ]) =>
        {
            rest
        }
        _ => v,
    }
}

fn normalized(s: &str) -> String {
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

/// Descriptive device roles (as network monitoring tools write them) and the type they are
/// stored as.
const ROLES: &[(&str, AssetType)] = &[
    ("industrial_switch_serial_server", AssetType::NetworkSwitch),
    ("serial_console_server", AssetType::Other),
    ("console_server", AssetType::Other),
    ("serial_server", AssetType::Other),
    ("serial_device_server", AssetType::Other),
    ("terminal_server", AssetType::Other),
    ("remote_i_o_controller", AssetType::RemoteIo),
    ("bus_coupler", AssetType::RemoteIo),
    ("ip_camera", AssetType::Other),
    ("network_camera", AssetType::Other),
    ("camera", AssetType::Other),
    ("modbus_device", AssetType::Other),
    ("modbus_device_gateway", AssetType::Other),
    ("protocol_gateway", AssetType::Other),
    ("gateway", AssetType::Other),
    ("security_appliance", AssetType::Firewall),
    ("router_firewall", AssetType::Firewall),
    ("router", AssetType::Other),
    ("workstation", AssetType::Other),
    ("printer", AssetType::Other),
    ("controller", AssetType::Plc),
];

/// Reads a type: a stored name or common spelling, else a descriptive role (with a warning
/// saying what it became).
fn asset_type(value: &str) -> Result<(AssetType, bool), FieldError> {
    match AssetType::parse(value) {
        Ok(t) => Ok((t, false)),
        Err(e) => {
            let n = normalized(value);
            ROLES
                .iter()
                .find(|(r, _)| *r == n)
                .map(|(_, t)| (*t, true))
                .ok_or(e)
        }
    }
}

/// `snmp/161` → `SNMP 161`; `Modbus/TCP` stays as written.
fn observed_protocol(p: &str) -> String {
    match p.rsplit_once('/') {
        Some((name, port))
            if !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("{} {port}", name.trim().to_uppercase())
        }
        _ => p.trim().to_uppercase(),
    }
}

fn split_list(v: &str) -> Vec<&str> {
    v.split([';', ',', '\n']).map(str::trim).collect()
}

/// A name looked up exactly, then ignoring case when that finds exactly one.
fn find_named(map: &HashMap<String, Uuid>, name: &str) -> Option<Uuid> {
    if let Some(id) = map.get(name) {
        return Some(*id);
    }
    let lower = name.to_lowercase();
    let mut found = map.iter().filter(|(k, _)| k.to_lowercase() == lower);
    match (found.next(), found.next()) {
        (Some((_, id)), None) => Some(*id),
        _ => None,
    }
}

/// The state of a check as rows arrive.
struct Checker<'l> {
    layout: Layout,
    options: ImportOptions,
    lookups: &'l Lookups<'l>,
    out: Checked,
    /// Tag → the row that first gave it.
    tags: HashMap<String, u64>,
    /// Names not found, reported once each (then counted in the first message's row list).
    unknown_refs: HashSet<(Column, String)>,
}

impl<'l> Checker<'l> {
    fn new(layout: Layout, options: ImportOptions, lookups: &'l Lookups<'l>) -> Self {
        let out = Checked {
            headers: layout.headers.clone(),
            ..Default::default()
        };
        Checker {
            layout,
            options,
            lookups,
            out,
            tags: HashMap::new(),
            unknown_refs: HashSet::new(),
        }
    }

    /// Checks one row (fields as text). `row` is its 1-based line or sheet row.
    fn row(&mut self, row: u64, fields: &[Cow<'_, str>]) {
        if fields.iter().all(|f| f.trim().is_empty()) {
            return;
        }
        self.out.row_count += 1;
        if self.out.row_count > MAX_ROWS as u64 {
            if self.out.row_count == MAX_ROWS as u64 + 1 {
                self.out.error(problem(
                    row,
                    "",
                    "",
                    format!(
                        "the file holds more than {MAX_ROWS} assets; split it into files of at most {MAX_ROWS} rows"
                    ),
                ));
            }
            return;
        }
        let width = self.layout.slots.len();
        if fields.len() > width && fields[width..].iter().any(|f| !f.trim().is_empty()) {
            self.out.error(problem(
                row,
                "",
                "",
                format!(
                    "the row has {} fields but the header names {width} columns; quote values that hold commas, or add a header for the extra column",
                    fields.len()
                ),
            ));
            return;
        }
        let errors_before = self.out.error_count();
        let mut a = NewAsset::default();
        let mut ips: Vec<&str> = Vec::new();
        let mut macs: Vec<&str> = Vec::new();
        let mut ip_header = "";
        let mut mac_header = "";
        for (i, slot) in self.layout.slots.iter().enumerate() {
            let Some(raw) = fields.get(i) else { break };
            let value = unneutralized(raw.trim());
            if value.is_empty() {
                continue;
            }
            let header = self.layout.headers[i].as_str();
            let mut bad = |message: String| {
                self.out.error(problem(row, header, value, message));
            };
            let c = match slot {
                Slot::Custom(k) => {
                    a.custom.insert(k.clone(), value.to_owned());
                    continue;
                }
                Slot::Known(c) => *c,
            };
            match c {
                Column::AssetTag => a.asset_tag = value.to_owned(),
                Column::Name => a.name = value.to_owned(),
                Column::Type | Column::DeviceRole => match asset_type(value) {
                    Ok((t, from_role)) => {
                        a.asset_type = t;
                        if from_role {
                            self.out.warning(problem(
                                row,
                                header,
                                value,
                                format!("'{}' is stored as type {t}", shown(value)),
                            ));
                        }
                    }
                    Err(e) => bad(e.message),
                },
                Column::Vendor => a.vendor = value.to_owned(),
                Column::ProductFamily => a.product_family = value.to_owned(),
                Column::Model => a.model = value.to_owned(),
                Column::OrderNumber => a.order_number = value.to_owned(),
                Column::FirmwareVersion => a.firmware_version = value.to_owned(),
                Column::SerialNumber => a.serial_number = value.to_owned(),
                Column::PurdueLevel => a.purdue_level = Some(value.to_owned()),
                Column::Location => a.location = value.to_owned(),
                Column::Ip => {
                    ips = split_list(value);
                    ip_header = header;
                }
                Column::Mac => {
                    macs = split_list(value);
                    mac_header = header;
                }
                Column::Protocols => {
                    a.protocols
                        .extend(split_list(value).into_iter().map(str::to_owned));
                }
                Column::ProtocolsObserved => {
                    a.protocols.extend(
                        split_list(value)
                            .into_iter()
                            .filter(|p| !p.is_empty())
                            .map(observed_protocol),
                    );
                }
                Column::Criticality => match Criticality::parse(value) {
                    Ok(v) => a.criticality = v,
                    Err(e) => bad(e.message),
                },
                Column::Lifecycle => match Lifecycle::parse(value) {
                    Ok(v) => a.lifecycle = v,
                    Err(e) => bad(e.message),
                },
                Column::SlC => match SlVector::parse(value) {
                    Ok(v) => a.sl_c = Some(v),
                    Err(e) => bad(e.message),
                },
                Column::Owner | Column::System | Column::Zone => {
                    let (map, what, how) = match c {
                        Column::Owner => (
                            &self.lookups.members,
                            "a member of the organization",
                            "write the user name of a member, or add the user to the organization first",
                        ),
                        Column::System => (
                            &self.lookups.systems,
                            "a system of the organization",
                            "write the name of an existing system, or create the system first",
                        ),
                        _ => (
                            &self.lookups.zones,
                            "a zone of the organization",
                            "write the name of an existing zone, or create the zone first",
                        ),
                    };
                    match find_named(map, value) {
                        Some(id) => match c {
                            Column::Owner => a.owner_id = Some(id),
                            Column::System => a.system_id = Some(id),
                            _ => a.zone_id = Some(id),
                        },
                        None => {
                            let first = self.unknown_refs.insert((c, value.to_lowercase()));
                            let again = if first { "" } else { " (as on an earlier row)" };
                            bad(format!("'{}' is not {what}{again}; {how}", shown(value)));
                        }
                    }
                }
            }
        }
        // Interfaces: the n-th IP and the n-th MAC together.
        let n = ips.len().max(macs.len());
        for k in 0..n {
            let ip = ips.get(k).copied().filter(|s| !s.is_empty());
            let mac = macs.get(k).copied().filter(|s| !s.is_empty());
            if ip.is_none() && mac.is_none() {
                continue;
            }
            if let Some(ip) = ip
                && let Err(e) = csms_domain::inventory::parse_ip(ip)
            {
                self.out.error(problem(row, ip_header, ip, e.message));
            }
            if let Some(mac) = mac
                && let Err(e) = csms_domain::inventory::parse_mac(mac)
            {
                self.out.error(problem(row, mac_header, mac, e.message));
            }
            a.interfaces.push(Interface {
                ip: ip.map(str::to_owned),
                mac: mac.map(str::to_owned),
                ..Default::default()
            });
        }
        if a.asset_tag.trim().is_empty() && self.options.tag_from == TagFrom::Ip {
            match a.interfaces.iter().find_map(|i| i.ip.as_deref()) {
                Some(ip) => {
                    let ip = ip.split('/').next().unwrap_or(ip).trim();
                    a.asset_tag = csms_domain::inventory::parse_ip(ip).unwrap_or(ip.to_owned());
                }
                None => {
                    self.out.error(problem(
                        row,
                        "ip",
                        "",
                        "the tag is taken from the IP address but the row has none; give the row an IP address or an asset_tag",
                    ));
                    return;
                }
            }
        }
        if self.out.error_count() > errors_before {
            return;
        }
        let tag_header = self
            .layout
            .slots
            .iter()
            .position(|s| matches!(s, Slot::Known(Column::AssetTag)))
            .map(|i| self.layout.headers[i].clone())
            .unwrap_or_else(|| "ip".to_owned());
        let asset = match validate_asset(a) {
            Ok(a) => a,
            Err(e) => {
                let (column, value) = self.column_of(e.field, &tag_header, fields);
                self.out.error(problem(row, &column, &value, e.message));
                return;
            }
        };
        if let Some(first) = self.tags.get(&asset.asset_tag) {
            let first = *first;
            self.out.error(problem(
                row,
                &tag_header,
                &asset.asset_tag,
                format!(
                    "the tag '{}' is also on row {first}; give each asset its own tag",
                    shown(&asset.asset_tag)
                ),
            ));
            return;
        }
        self.tags.insert(asset.asset_tag.clone(), row);
        if let Some(taken) = self.lookups.tag_taken
            && taken(&asset.asset_tag)
        {
            self.out.error(problem(
                row,
                &tag_header,
                &asset.asset_tag,
                format!(
                    "the organization already has an asset tagged '{}'; an import only adds assets: give this one another tag or leave the row out",
                    shown(&asset.asset_tag)
                ),
            ));
            return;
        }
        *self
            .out
            .by_type
            .entry(asset.asset_type.as_str())
            .or_insert(0) += 1;
        if self.out.errors.is_empty() {
            self.out.assets.push(asset);
            self.out.rows.push(row);
        }
    }

    /// The header and value of the column a domain error names.
    fn column_of(
        &self,
        field: &str,
        tag_header: &str,
        fields: &[Cow<'_, str>],
    ) -> (String, String) {
        let wanted: &[Column] = match field {
            "asset_tag" => return (tag_header.to_owned(), String::new()),
            "asset_type" => &[Column::Type, Column::DeviceRole],
            "interfaces" => &[Column::Ip, Column::Mac],
            "protocols" => &[Column::Protocols, Column::ProtocolsObserved],
            "name" => &[Column::Name],
            "vendor" => &[Column::Vendor],
            "product_family" => &[Column::ProductFamily],
            "model" => &[Column::Model],
            "order_number" => &[Column::OrderNumber],
            "firmware_version" => &[Column::FirmwareVersion],
            "serial_number" => &[Column::SerialNumber],
            "purdue_level" => &[Column::PurdueLevel],
            "location" => &[Column::Location],
            _ => &[],
        };
        for (i, s) in self.layout.slots.iter().enumerate() {
            let hit = match s {
                Slot::Known(c) => wanted.contains(c),
                Slot::Custom(_) => field == "custom",
            };
            if hit {
                let v = fields
                    .get(i)
                    .map(|f| f.trim().to_owned())
                    .unwrap_or_default();
                if field != "custom" || !v.is_empty() {
                    return (self.layout.headers[i].clone(), v);
                }
            }
        }
        (field.to_owned(), String::new())
    }

    fn finish(mut self) -> Checked {
        if self.out.row_count == 0 && self.out.errors.is_empty() {
            self.out.error(problem(
                0,
                "",
                "",
                "the file has a header but no assets; add one row per asset under the header",
            ));
        }
        if !self.out.errors.is_empty() || self.out.more_errors > 0 {
            self.out.assets.clear();
            self.out.rows.clear();
        }
        self.out
    }
}

// ---------------------------------------------------------------------------------------
// CSV

/// Counts the bytes read, refuses more than the limit, and reports progress.
struct Counted<'p, R> {
    inner: R,
    read: u64,
    /// Offsets of the line feeds read but not yet passed by the parser (only the recent ones:
    /// older ones are counted in `passed`).
    newlines: std::collections::VecDeque<u64>,
    /// Line feeds so far behind the parser that they are before any record still to come.
    passed: u64,
    max: u64,
    over: bool,
    progress: Option<Progress<'p>>,
    reported: u64,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                self.newlines.push_back(self.read + i as u64);
            }
        }
        self.read += n as u64;
        // The parser is at most its buffer behind what was read, and a record it may still
        // return is at most MAX_ROW_BYTES long (a longer one is refused): a line feed further
        // back than that is before the end of every record to come, so only its count
        // matters. This keeps the queue short however many empty lines a file holds.
        let horizon = self.read.saturating_sub(LINE_HORIZON);
        while self.newlines.front().is_some_and(|o| *o < horizon) {
            self.newlines.pop_front();
            self.passed += 1;
        }
        if self.read > self.max {
            self.over = true;
            return Err(io::Error::other("too large"));
        }
        if let Some(p) = self.progress.as_mut()
            && self.read - self.reported >= 1 << 20
        {
            self.reported = self.read;
            p(self.read, 0);
        }
        Ok(n)
    }
}

/// How far behind the bytes read a line feed must be to be only counted: the parser's
/// buffer, the header window and the longest row, with room to spare.
const LINE_HORIZON: u64 = (CSV_BUFFER + HEADER_WINDOW + MAX_ROW_BYTES) as u64 * 2;
/// The CSV parser's buffer.
const CSV_BUFFER: usize = 256 * 1024;

fn too_large(max: u64) -> String {
    format!(
        "the file is larger than {} MB; split it into smaller files",
        max / (1024 * 1024)
    )
}

/// The first problem of a file that is not text at all, judged from its first bytes.
fn binary_start(head: &[u8]) -> Option<String> {
    if head.starts_with(b"PK\x03\x04") {
        return Some(
            "the file is a ZIP archive (an XLSX workbook?), not CSV; upload it as XLSX".into(),
        );
    }
    if let Some(at) = head.iter().position(|b| *b == 0) {
        return Some(format!(
            "the file holds binary data (a NUL byte at offset {at}), not CSV text; export the device list as CSV (UTF-8) or XLSX"
        ));
    }
    None
}

/// Whether bytes read as Shift_JIS without error and hold non-ASCII text.
fn looks_like_shift_jis(bytes: &[u8]) -> bool {
    !bytes.is_ascii()
        && encoding_rs::SHIFT_JIS
            .decode_without_bom_handling_and_without_replacement(bytes)
            .is_some()
}

/// Reads and checks a CSV file, streaming (memory grows with the assets kept, not with the
/// file). `progress` is told the bytes read and rows checked as it goes.
pub fn check_csv(
    input: impl Read,
    options: &ImportOptions,
    lookups: &Lookups<'_>,
    progress: Option<Progress<'_>>,
) -> Checked {
    let mut input = Counted {
        inner: input,
        read: 0,
        newlines: Default::default(),
        passed: 0,
        max: options.max_bytes,
        over: false,
        progress,
        reported: 0,
    };
    let fail = |message: String| Checked::default().fatal(0, "", "", message);
    // The header must end within the first 64 KiB; read that much to judge the file.
    let mut head = Vec::with_capacity(HEADER_WINDOW);
    if let Err(e) = (&mut input)
        .take(HEADER_WINDOW as u64)
        .read_to_end(&mut head)
    {
        return if input.over {
            fail(too_large(options.max_bytes))
        } else {
            fail(format!("the file could not be read: {e}"))
        };
    }
    if head.is_empty() {
        return fail("the file is empty; give a header row and one row per asset".into());
    }
    if let Some(m) = binary_start(&head) {
        return fail(m);
    }
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    let Some(eol) = body.iter().position(|b| *b == b'\n' || *b == b'\r') else {
        if head.len() == HEADER_WINDOW {
            return fail(format!(
                "no header line in the first {} KiB; this is not an asset list (one header row, then one row per asset)",
                HEADER_WINDOW / 1024
            ));
        }
        // One line only: a header without rows, checked below.
        return check_csv_body(input, head, options, lookups);
    };
    if std::str::from_utf8(&body[..eol]).is_err() {
        let bad = std::str::from_utf8(&body[..eol]).unwrap_err().valid_up_to();
        let offset = bad + (head.len() - body.len());
        let m = if looks_like_shift_jis(&body[..eol]) {
            format!(
                "the header is not UTF-8 (byte offset {offset}); the file looks like Shift_JIS: save it as \"CSV UTF-8\" (in Excel: Save As, CSV UTF-8) and upload it again"
            )
        } else {
            format!(
                "the header is not UTF-8 text (invalid bytes at byte offset {offset}); save the file as CSV in UTF-8"
            )
        };
        return Checked::default().fatal(1, "", "", m);
    }
    check_csv_body(input, head, options, lookups)
}

fn check_csv_body<R: Read>(
    mut input: Counted<'_, R>,
    head: Vec<u8>,
    options: &ImportOptions,
    lookups: &Lookups<'_>,
) -> Checked {
    let bom = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut progress = input.progress.take();
    let source = io::Cursor::new(head).chain(&mut input);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(CSV_BUFFER)
        .from_reader(source);
    let mut record = csv::ByteRecord::new();
    let mut checker: Option<Checker<'_>> = None;
    let mut shift_jis_said = false;
    let mut encoding_errors = Checked::default();
    let mut rows_seen = 0u64;
    let mut line = 1u64;
    loop {
        let start = reader.position().clone();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let over = reader.get_ref().get_ref().1.over;
                let mut c = checker.map(|c| c.out).unwrap_or_default();
                let m = if over {
                    too_large(options.max_bytes)
                } else {
                    format!("the file could not be read as CSV: {e}")
                };
                return c_fatal(&mut c, start.line(), m);
            }
        }
        // The line the record starts on: the line it ends on (one more than the line feeds
        // before its last byte; the parser's own positions lag behind a CRLF) less the line
        // feeds inside its quoted fields.
        let end = reader.position().byte();
        let counted = &mut reader.get_mut().get_mut().1;
        line += std::mem::take(&mut counted.passed);
        while counted
            .newlines
            .front()
            .is_some_and(|n| *n < end.saturating_sub(1))
        {
            counted.newlines.pop_front();
            line += 1;
        }
        let inner = record
            .iter()
            .map(|f| f.iter().filter(|b| **b == b'\n').count() as u64)
            .sum::<u64>();
        let row = line.saturating_sub(inner).max(1);
        // The record's own length (the parser's start position is before any empty lines it
        // skipped, so it is judged by what the record holds).
        let record_start = start.byte();
        if record.as_slice().len() + record.len() > MAX_ROW_BYTES {
            let mut c = checker.map(|c| c.out).unwrap_or_default();
            return c_fatal(
                &mut c,
                row,
                format!(
                    "the row is longer than {} KiB; this is not an asset list row (an unclosed quote?)",
                    MAX_ROW_BYTES / 1024
                ),
            );
        }
        // Text of each field; invalid UTF-8 is reported with its byte offset in the file.
        let mut fields: Vec<Cow<'_, str>> = Vec::with_capacity(record.len());
        let mut bad_encoding = false;
        for (i, f) in record.iter().enumerate() {
            match std::str::from_utf8(f) {
                Ok(s) => fields.push(Cow::Borrowed(s)),
                Err(e) => {
                    bad_encoding = true;
                    let offset = find_offset(&record, i, record_start) + e.valid_up_to() as u64;
                    let column = checker
                        .as_ref()
                        .and_then(|c| c.layout.headers.get(i).cloned())
                        .unwrap_or_else(|| format!("#{}", i + 1));
                    let sjis = !shift_jis_said && looks_like_shift_jis(f);
                    shift_jis_said |= sjis;
                    let m = if sjis {
                        format!(
                            "not UTF-8 (invalid bytes at byte offset {offset}); the file looks like Shift_JIS: save it as \"CSV UTF-8\" (in Excel: Save As, CSV UTF-8) and upload it again"
                        )
                    } else {
                        format!(
                            "not UTF-8 (invalid bytes at byte offset {offset}); correct the text or save the file as CSV in UTF-8"
                        )
                    };
                    let p = problem(row, &column, &String::from_utf8_lossy(f), m);
                    match checker.as_mut() {
                        Some(c) => c.out.error(p),
                        None => encoding_errors.error(p),
                    }
                    fields.push(Cow::Owned(String::new()));
                }
            }
        }
        match checker.as_mut() {
            None => {
                if bad_encoding {
                    return encoding_errors;
                }
                let mut headers: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
                if row == 1
                    && bom == 3
                    && let Some(h) = headers.first_mut()
                {
                    *h = h.trim_start_matches('\u{FEFF}').to_owned();
                }
                if let Some(h) = headers.first_mut() {
                    *h = h.trim_start_matches('\u{FEFF}').to_owned();
                }
                if headers.iter().all(|h| h.trim().is_empty()) {
                    continue;
                }
                match layout(&headers, options) {
                    Ok(l) => {
                        let mut c = Checker::new(l, *options, lookups);
                        c.out.errors.append(&mut encoding_errors.errors);
                        checker = Some(c);
                    }
                    Err(problems) => {
                        let mut out = Checked {
                            headers,
                            ..Default::default()
                        };
                        for p in problems {
                            out.error(p);
                        }
                        return out;
                    }
                }
            }
            Some(c) => {
                if !bad_encoding {
                    c.row(row, &fields);
                } else {
                    c.out.row_count += 1;
                }
                rows_seen += 1;
                if rows_seen.is_multiple_of(1000)
                    && let Some(p) = progress.as_mut()
                {
                    p(end, rows_seen);
                }
                if c.out.row_count > MAX_ROWS as u64 {
                    // Said once in `row`; nothing more to learn from the rest.
                    break;
                }
            }
        }
    }
    let bytes = reader.position().byte();
    if let Some(p) = progress.as_mut() {
        p(bytes, rows_seen);
    }
    match checker {
        Some(c) => {
            let mut out = c.finish();
            out.bytes = bytes;
            out
        }
        None => Checked::default().fatal(
            0,
            "",
            "",
            "the file is empty; give a header row and one row per asset".into(),
        ),
    }
}

/// Stops the check: the reason first, then what the rows said so far.
fn c_fatal(c: &mut Checked, row: u64, message: String) -> Checked {
    let mut out = std::mem::take(c);
    out.errors.insert(0, problem(row, "", "", message));
    if out.errors.len() > MAX_LISTED {
        out.errors.truncate(MAX_LISTED);
        out.more_errors += 1;
    }
    out.assets.clear();
    out.rows.clear();
    out
}

/// The byte offset in the file where field `i` of a record starts (approximately for quoted
/// fields: the opening quote is counted).
fn find_offset(record: &csv::ByteRecord, i: usize, start: u64) -> u64 {
    let before: usize = record.iter().take(i).map(|f| f.len() + 1).sum();
    start + before as u64
}

// ---------------------------------------------------------------------------------------
// XLSX

/// The sheet an import reads: `Assets` or `資産` when there is one, else the first.
fn import_sheet(names: &[String]) -> Option<String> {
    names
        .iter()
        .find(|n| {
            let k = header_key(n);
            k == "assets" || k == "資産"
        })
        .or_else(|| names.first())
        .cloned()
}

/// A cell as the text a CSV file would hold.
fn cell_text<'a>(d: &DataRef<'a>) -> Cow<'a, str> {
    match d {
        DataRef::Empty => Cow::Borrowed(""),
        DataRef::SharedString(s) => Cow::Borrowed(s),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            Cow::Owned(s.clone())
        }
        DataRef::Int(i) => Cow::Owned(i.to_string()),
        DataRef::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                Cow::Owned(format!("{}", *f as i64))
            } else {
                Cow::Owned(f.to_string())
            }
        }
        DataRef::Bool(b) => Cow::Owned(b.to_string()),
        DataRef::DateTime(d) => Cow::Owned(d.to_string()),
        DataRef::Error(e) => Cow::Owned(format!("#{e:?}")),
    }
}

/// Most columns a sheet row may use (cells further right are refused).
pub const MAX_COLUMNS: u32 = 256;

/// The name of a sheet cell from its 0-based row and column (`XFD1048576`).
fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = col as u64 + 1;
    while c > 0 {
        let r = ((c - 1) % 26) as u8;
        letters.push(b'A' + r);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row as u64 + 1)
}

/// Hands a complete sheet row to the checker (the first non-empty row is the header). False
/// when the checker has seen enough rows; an error when the header is refused.
fn flush_row<'l>(
    checker: &mut Option<Checker<'l>>,
    row: u64,
    fields: &mut Vec<Cow<'_, str>>,
    options: &ImportOptions,
    lookups: &'l Lookups<'l>,
) -> Result<bool, Box<Checked>> {
    while fields.last().is_some_and(|f| f.trim().is_empty()) {
        fields.pop();
    }
    if fields.is_empty() {
        return Ok(true);
    }
    match checker.as_mut() {
        None => {
            let headers: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
            match layout(&headers, options) {
                Ok(l) => *checker = Some(Checker::new(l, *options, lookups)),
                Err(problems) => {
                    let mut out = Checked {
                        headers,
                        ..Default::default()
                    };
                    for mut p in problems {
                        p.row = row;
                        out.error(p);
                    }
                    return Err(Box::new(out));
                }
            }
        }
        Some(c) => {
            c.row(row, fields);
            if c.out.row_count > MAX_ROWS as u64 {
                return Ok(false);
            }
        }
    }
    fields.clear();
    Ok(true)
}

/// Checks an XLSX workbook (the whole file in memory, at most `options.max_bytes`). The sheet
/// is read a cell at a time, a row at a time: memory grows with the assets kept, not with the
/// sheet's extent.
pub fn check_xlsx(bytes: &[u8], options: &ImportOptions, lookups: &Lookups<'_>) -> Checked {
    let fail = |m: String| Checked::default().fatal(0, "", "", m);
    if bytes.len() as u64 > options.max_bytes {
        return fail(too_large(options.max_bytes));
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        return fail(
            "the file is not an XLSX workbook; save it from the spreadsheet as Excel Workbook (.xlsx), or upload CSV".into(),
        );
    }
    if let Some(m) = expands_too_far(bytes) {
        return fail(m);
    }
    let mut book: Xlsx<_> = match open_workbook_from_rs(io::Cursor::new(bytes)) {
        Ok(b) => b,
        Err(e) => {
            return fail(format!(
                "the workbook could not be read ({}); save it again as .xlsx",
                shown(&e.to_string())
            ));
        }
    };
    let names = book.sheet_names();
    let Some(sheet) = import_sheet(&names) else {
        return fail("the workbook has no sheet".into());
    };
    let sheet_shown = shown(&sheet);
    let mut cells = match book.worksheet_cells_reader(&sheet) {
        Ok(r) => r,
        Err(e) => {
            return fail(format!(
                "sheet \"{sheet_shown}\" could not be read ({}); save the workbook again as .xlsx",
                shown(&e.to_string())
            ));
        }
    };
    let mut checker: Option<Checker<'_>> = None;
    // The row being assembled: its 0-based index and its cells by column.
    let mut current: Option<u32> = None;
    let mut fields: Vec<Cow<'_, str>> = Vec::new();
    let mut row_bytes = 0usize;
    let max_row = MAX_ROWS as u32 + 1;
    let stop = |checker: Option<Checker<'_>>, row: u64, message: String| {
        let mut c = checker.map(|c| c.out).unwrap_or_default();
        c_fatal(&mut c, row, message)
    };
    loop {
        let cell = match cells.next_cell() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => {
                let row = current.map(|r| r as u64 + 1).unwrap_or(0);
                return stop(
                    checker,
                    row,
                    format!(
                        "sheet \"{sheet_shown}\" could not be read ({}); save the workbook again as .xlsx",
                        shown(&e.to_string())
                    ),
                );
            }
        };
        let value = cell.get_value();
        if matches!(value, DataRef::Empty) {
            continue;
        }
        let (r, c) = cell.get_position();
        let name = cell_name(r, c);
        if c >= MAX_COLUMNS {
            return stop(
                checker,
                r as u64 + 1,
                format!(
                    "sheet \"{sheet_shown}\": cell {name} is beyond column {MAX_COLUMNS}: an asset file has at most {MAX_COLUMNS} columns; delete what is right of column {} and save again",
                    cell_name(0, MAX_COLUMNS - 1).trim_end_matches('1')
                ),
            );
        }
        if r >= max_row {
            return stop(
                checker,
                r as u64 + 1,
                format!(
                    "sheet \"{sheet_shown}\": cell {name} is beyond row {max_row}: an asset file has at most {MAX_ROWS} assets under one header row; split it into smaller files"
                ),
            );
        }
        match current {
            Some(cur) if r < cur => {
                return stop(
                    checker,
                    r as u64 + 1,
                    format!(
                        "sheet \"{sheet_shown}\": cell {name} comes after row {} in the file; the sheet is not in row order: open it in a spreadsheet and save it again as .xlsx",
                        cur as u64 + 1
                    ),
                );
            }
            Some(cur) if r > cur => {
                match flush_row(&mut checker, cur as u64 + 1, &mut fields, options, lookups) {
                    Ok(true) => {}
                    Ok(false) => {
                        current = None;
                        break;
                    }
                    Err(out) => return *out,
                }
                fields.clear();
                row_bytes = 0;
                current = Some(r);
            }
            Some(_) => {}
            None => current = Some(r),
        }
        let text = cell_text(value);
        row_bytes += text.len();
        if row_bytes > MAX_ROW_BYTES {
            return stop(
                checker,
                r as u64 + 1,
                format!(
                    "sheet \"{sheet_shown}\": row {} holds more than {} KiB of text; this is not an asset list row",
                    r as u64 + 1,
                    MAX_ROW_BYTES / 1024
                ),
            );
        }
        let c = c as usize;
        if fields.len() <= c {
            fields.resize(c + 1, Cow::Borrowed(""));
        }
        fields[c] = text;
    }
    if let Some(cur) = current
        && let Err(out) = flush_row(&mut checker, cur as u64 + 1, &mut fields, options, lookups)
    {
        return *out;
    }
    match checker {
        Some(c) => {
            let mut out = c.finish();
            out.bytes = bytes.len() as u64;
            out
        }
        None => fail(format!(
            "sheet \"{sheet_shown}\" is empty; give a header row and one row per asset"
        )),
    }
}

/// How many times its packed size one XML part of a workbook may unpack to, once it is larger
/// than 1 MB (real sheets compress text about 5 to 15 times).
pub const MAX_EXPANSION: u64 = 40;
/// Parts smaller than this may compress any amount.
const RATIO_FLOOR: u64 = 1024 * 1024;
/// The most one XML part may unpack to.
pub const MAX_XML_PART: u64 = 256 * 1024 * 1024;
/// The most all XML parts together may unpack to.
pub const MAX_XML_TOTAL: u64 = 256 * 1024 * 1024;
/// The most the shared strings part may unpack to (the reader keeps all of it in memory).
pub const MAX_SHARED_STRINGS_XML: u64 = 96 * 1024 * 1024;
/// The most shared strings a workbook may hold (declared or counted).
pub const MAX_SHARED_STRINGS: u64 = 2_500_000;

fn mb(n: u64) -> u64 {
    n / (1024 * 1024)
}

/// Counts the `<si>` elements of a shared strings part as it streams by.
#[derive(Default)]
struct SiCounter {
    carry: Vec<u8>,
    count: u64,
    unique: Option<u64>,
    head: Vec<u8>,
}

impl SiCounter {
    fn feed(&mut self, chunk: &[u8]) {
        if self.head.len() < 4096 {
            let take = (4096 - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
            if self.unique.is_none() {
                self.unique = unique_count(&self.head);
            }
        }
        let mut window = std::mem::take(&mut self.carry);
        window.extend_from_slice(&chunk[..chunk.len().min(3)]);
        for data in [&window[..], chunk] {
            self.count += data
                .windows(4)
                .filter(|w| {
                    (w[0] == b'<' || w[0] == b':')
                        && &w[1..3] == b"si"
                        && (w[3] == b'>' || w[3].is_ascii_whitespace() || w[3] == b'/')
                })
                .count() as u64;
        }
        // The last three bytes may start an element the next chunk ends.
        let tail = chunk.len().saturating_sub(3);
        self.carry = chunk[tail..].to_vec();
    }
}

/// The `uniqueCount` the `<sst>` element declares (the reader reserves that many strings).
fn unique_count(head: &[u8]) -> Option<u64> {
    let at = head.windows(11).position(|w| w == b"uniqueCount")?;
    let rest = &head[at + 11..];
    let rest = rest
        .iter()
        .position(|b| b.is_ascii_digit())
        .filter(|p| {
            rest[..*p]
                .iter()
                .all(|b| b.is_ascii_whitespace() || b"='\"".contains(b))
        })
        .map(|p| &rest[p..])?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits > 15 {
        return Some(u64::MAX);
    }
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

/// Refuses a workbook whose XML would unpack to far more than an asset list (a "ZIP bomb"):
/// first from the sizes its directory declares, then by unpacking each XML part without
/// keeping it, stopping at the limit (a part may declare less than it holds). Each part is
/// judged on its own: a large packed entry elsewhere (a picture, padding) raises nothing.
fn expands_too_far(bytes: &[u8]) -> Option<String> {
    let unreadable = |e: &dyn std::fmt::Display| {
        format!(
            "the workbook could not be read ({}); save it again as .xlsx",
            shown(&e.to_string())
        )
    };
    let mut archive = match zip::ZipArchive::new(io::Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => return Some(unreadable(&e)),
    };
    let refuse = |name: &str, size: u64, packed: u64| -> Option<String> {
        let name = shown(name);
        if size > MAX_XML_PART {
            return Some(format!(
                "the workbook part {name} unpacks to {} MB, more than the {} MB an asset list needs; save the asset sheet alone as .xlsx or CSV",
                mb(size),
                mb(MAX_XML_PART)
            ));
        }
        if size > RATIO_FLOOR && size > packed.saturating_mul(MAX_EXPANSION) {
            return Some(format!(
                "the workbook part {name} unpacks to {} MB, {} times its packed size (a list of assets compresses at most {MAX_EXPANSION} times); save the asset sheet alone as .xlsx or CSV",
                mb(size),
                size / packed.max(1)
            ));
        }
        None
    };
    let is_xml = |name: &str| {
        let n = name.to_ascii_lowercase();
        n.ends_with(".xml") || n.ends_with(".rels")
    };
    let is_shared = |name: &str| name.to_ascii_lowercase().ends_with("sharedstrings.xml");
    // From the directory, before anything is unpacked.
    let mut parts = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let Ok(f) = archive.by_index_raw(i) else {
            continue;
        };
        let name = match f.name() {
            Ok(n) => n.into_owned(),
            Err(e) => return Some(unreadable(&e)),
        };
        if !is_xml(&name) {
            continue;
        }
        let (size, packed) = (f.size(), f.compressed_size());
        if let Some(m) = refuse(&name, size, packed) {
            return Some(m);
        }
        if is_shared(&name) && size > MAX_SHARED_STRINGS_XML {
            return Some(shared_too_large(size));
        }
        total = total.saturating_add(size);
        parts.push((i, name, packed));
    }
    if total > MAX_XML_TOTAL {
        return Some(total_too_large(total));
    }
    // By unpacking, counting what comes out.
    let mut total = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    for (i, name, packed) in parts {
        let shared = is_shared(&name);
        let cap = if shared {
            MAX_SHARED_STRINGS_XML
        } else {
            MAX_XML_PART
        };
        let mut f = match archive.by_index(i) {
            Ok(f) => f,
            Err(e) => return Some(unreadable(&e)),
        };
        let mut size = 0u64;
        let mut strings = SiCounter::default();
        loop {
            let n = match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => return Some(unreadable(&e)),
            };
            size += n as u64;
            if shared {
                strings.feed(&buf[..n]);
            }
            if size > cap {
                break;
            }
        }
        if let Some(m) = refuse(&name, size, packed) {
            return Some(m);
        }
        if shared {
            if size > MAX_SHARED_STRINGS_XML {
                return Some(shared_too_large(size));
            }
            let declared = strings.unique.unwrap_or(0);
            if strings.count > MAX_SHARED_STRINGS || declared > MAX_SHARED_STRINGS {
                return Some(format!(
                    "the workbook holds more than {MAX_SHARED_STRINGS} different texts, far more than a list of assets; save the asset sheet alone as .xlsx or CSV"
                ));
            }
        }
        total += size;
        if total > MAX_XML_TOTAL {
            return Some(total_too_large(total));
        }
    }
    None
}

fn shared_too_large(size: u64) -> String {
    format!(
        "the workbook's texts (sharedStrings.xml) unpack to more than {} MB ({} MB or more), far more than a list of assets; save the asset sheet alone as .xlsx or CSV",
        mb(MAX_SHARED_STRINGS_XML),
        mb(size)
    )
}

fn total_too_large(total: u64) -> String {
    format!(
        "the workbook unpacks to {} MB of XML, more than the {} MB a list of assets needs; save the asset sheet alone as .xlsx or CSV",
        mb(total),
        mb(MAX_XML_TOTAL)
    )
}

/// Whether bytes are an XLSX (ZIP) file rather than CSV.
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

// ---------------------------------------------------------------------------------------
// Export

/// Names of the things assets refer to, for the export.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub owners: HashMap<Uuid, String>,
    pub systems: HashMap<Uuid, String>,
    pub zones: HashMap<Uuid, String>,
}

fn joined<'a>(parts: impl Iterator<Item = Option<&'a str>>) -> String {
    let mut v: Vec<&str> = parts.map(|p| p.unwrap_or("")).collect();
    while v.last().is_some_and(|s| s.is_empty()) {
        v.pop();
    }
    v.join(";")
}

/// The exported values of an asset, in [`EXPORTED`] order then the custom keys.
fn values<'a>(a: &'a Asset, names: &'a Names, custom_keys: &[String]) -> Vec<Cow<'a, str>> {
    let name = |map: &'a HashMap<Uuid, String>, id: Option<Uuid>| -> Cow<'a, str> {
        id.and_then(|id| map.get(&id))
            .map(|s| Cow::Borrowed(s.as_str()))
            .unwrap_or(Cow::Borrowed(""))
    };
    let mut v: Vec<Cow<'a, str>> = vec![
        Cow::Borrowed(&a.asset_tag),
        Cow::Borrowed(&a.name),
        Cow::Borrowed(a.asset_type.as_str()),
        Cow::Borrowed(&a.vendor),
        Cow::Borrowed(&a.product_family),
        Cow::Borrowed(&a.model),
        Cow::Borrowed(&a.order_number),
        Cow::Borrowed(&a.firmware_version),
        Cow::Borrowed(&a.serial_number),
        Cow::Borrowed(a.purdue_level.as_deref().unwrap_or("")),
        Cow::Borrowed(&a.location),
        Cow::Owned(joined(a.interfaces.iter().map(|i| i.ip.as_deref()))),
        Cow::Owned(joined(a.interfaces.iter().map(|i| i.mac.as_deref()))),
        Cow::Owned(a.protocols.join(";")),
        Cow::Borrowed(a.criticality.as_str()),
        name(&names.owners, a.owner_id),
        name(&names.systems, a.system_id),
        name(&names.zones, a.zone_id),
        Cow::Borrowed(a.lifecycle.as_str()),
        Cow::Owned(a.sl_c.map(|s| s.to_string()).unwrap_or_default()),
    ];
    for k in custom_keys {
        v.push(
            a.custom
                .get(k)
                .map(|s| Cow::Borrowed(s.as_str()))
                .unwrap_or(Cow::Borrowed("")),
        );
    }
    v
}

/// The header of an export in the reader's language.
pub fn export_headers(lang: &str, custom_keys: &[String]) -> Vec<String> {
    EXPORTED
        .iter()
        .map(|c| c.header(lang).to_owned())
        .chain(custom_keys.iter().map(|k| format!("{CUSTOM_PREFIX}{k}")))
        .collect()
}

/// The custom field names of some assets, sorted (the export's last columns).
pub fn custom_keys<'a>(assets: impl IntoIterator<Item = &'a Asset>) -> Vec<String> {
    let mut keys: std::collections::BTreeSet<&str> = Default::default();
    for a in assets {
        keys.extend(a.custom.keys().map(String::as_str));
    }
    keys.into_iter().map(str::to_owned).collect()
}

/// Writes the inventory as CSV a row at a time: UTF-8 with a byte order mark, CRLF, RFC 4180
/// quoting, formula starts neutralized (see [`crate::assessment::assessment_csv`]).
pub struct CsvExport {
    out: String,
    custom_keys: Vec<String>,
}

impl CsvExport {
    /// Starts the file with its header.
    pub fn new(lang: &str, custom_keys: Vec<String>) -> CsvExport {
        let mut out = String::with_capacity(4096);
        out.push('\u{FEFF}');
        let headers = export_headers(lang, &custom_keys);
        push_line(&mut out, headers.iter().map(|h| neutralize(h)));
        CsvExport { out, custom_keys }
    }

    /// Adds one asset.
    pub fn push(&mut self, a: &Asset, names: &Names) {
        let v = values(a, names, &self.custom_keys);
        push_line(&mut self.out, v.iter().map(|f| neutralize(f)));
    }

    /// The text written so far, leaving the writer empty (to stream a long export).
    pub fn take(&mut self) -> String {
        std::mem::take(&mut self.out)
    }

    /// The rest of the file.
    pub fn finish(self) -> String {
        self.out
    }
}

/// The whole inventory as CSV.
pub fn inventory_csv(lang: &str, assets: &[Asset], names: &Names) -> String {
    let mut w = CsvExport::new(lang, custom_keys(assets));
    for a in assets {
        w.push(a, names);
    }
    w.finish()
}

/// The inventory as an XLSX workbook: one sheet (`資産` or `Assets`), the header frozen, an
/// autofilter over the columns, every value a text cell.
pub fn inventory_xlsx(lang: &str, assets: &[Asset], names: &Names) -> Result<Vec<u8>, ReportError> {
    let keys = custom_keys(assets);
    let headers = export_headers(lang, &keys);
    let sheet = if lang == "ja" { "資産" } else { "Assets" };
    let err = |step: String| move |cause| ReportError::Xlsx { step, cause };
    let truncated = if lang == "ja" {
        "…（切り詰め）"
    } else {
        "… (truncated)"
    };
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet)
        .map_err(err(format!("sheet \"{sheet}\" name")))?;
    let head = Format::new()
        .set_bold()
        .set_background_color(rust_xlsxwriter::Color::RGB(0xDDE4EE))
        .set_border_bottom(FormatBorder::Thin);
    let text = Format::new().set_num_format("@");
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &head)
            .map_err(err(format!("sheet \"{sheet}\", header {h}")))?;
        let width = match c {
            0 | 1 | 3 | 4 | 5 => 22.0,
            11..=13 => 26.0,
            _ => 14.0,
        };
        ws.set_column_width(c as u16, width)
            .map_err(err(format!("sheet \"{sheet}\", width of {h}")))?;
    }
    for (r, a) in assets.iter().enumerate() {
        let row = r as u32 + 1;
        for (c, v) in values(a, names, &keys).iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            ws.write_string_with_format(row, c as u16, fit_cell(v, truncated).as_ref(), &text)
                .map_err(err(format!(
                    "sheet \"{sheet}\", row {row} (0-based), column {}",
                    headers[c]
                )))?;
        }
    }
    ws.set_freeze_panes(1, 0)
        .map_err(err(format!("sheet \"{sheet}\", frozen header")))?;
    let last_col = headers.len().saturating_sub(1) as u16;
    ws.autofilter(0, 0, assets.len() as u32, last_col)
        .map_err(err(format!("sheet \"{sheet}\", autofilter")))?;
    book.save_to_buffer()
        .map_err(err("the workbook file".to_owned()))
}

/// The import template: the header in the reader's language and one example row.
pub fn template_rows(lang: &str) -> (Vec<String>, Vec<&'static str>) {
    let headers = export_headers(lang, &["rack".to_owned()]);
    let example = if lang == "ja" {
        vec![
            "PLC-001",
            "反応器 PLC",
            "plc",
            "Siemens",
            "SIMATIC S7-1500",
            "CPU 1515-2 PN",
            "6ES7 515-2AM02-0AB0",
            "V2.9.4",
            "S C-X4U12345",
            "1",
            "第1工場 制御室 盤A",
            "192.168.10.11",
            "00:1b:1b:12:34:56",
            "S7comm 102;HTTPS 443",
            "high",
            "",
            "",
            "",
            "in_operation",
            "2,2,1,1,1,1,2",
            "A-3",
        ]
    } else {
        vec![
            "PLC-001",
            "Reactor PLC",
            "plc",
            "Siemens",
            "SIMATIC S7-1500",
            "CPU 1515-2 PN",
            "6ES7 515-2AM02-0AB0",
            "V2.9.4",
            "S C-X4U12345",
            "1",
            "Plant 1 control room, cabinet A",
            "192.168.10.11",
            "00:1b:1b:12:34:56",
            "S7comm 102;HTTPS 443",
            "high",
            "",
            "",
            "",
            "in_operation",
            "2,2,1,1,1,1,2",
            "A-3",
        ]
    };
    (headers, example)
}

/// The import template as CSV.
pub fn template_csv(lang: &str) -> String {
    let (headers, example) = template_rows(lang);
    let mut out = String::from("\u{FEFF}");
    push_line(&mut out, headers.iter().map(|h| neutralize(h)));
    push_line(&mut out, example.into_iter().map(neutralize));
    out
}

/// The import template as XLSX.
pub fn template_xlsx(lang: &str) -> Result<Vec<u8>, ReportError> {
    let (headers, example) = template_rows(lang);
    let sheet = if lang == "ja" { "資産" } else { "Assets" };
    let err = |step: &'static str| {
        move |cause| ReportError::Xlsx {
            step: step.to_owned(),
            cause,
        }
    };
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(err("template sheet name"))?;
    let head = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &head)
            .map_err(err("template header"))?;
        ws.set_column_format(c as u16, &text)
            .map_err(err("template column format"))?;
        ws.set_column_width(c as u16, 18.0)
            .map_err(err("template column width"))?;
        ws.write_string_with_format(1, c as u16, example[c], &text)
            .map_err(err("template example row"))?;
    }
    ws.set_freeze_panes(1, 0)
        .map_err(err("template frozen header"))?;
    book.save_to_buffer().map_err(err("template workbook file"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_loosely() {
        assert_eq!(column_named("Asset Tag"), Some(Column::AssetTag));
        assert_eq!(column_named("ASSET-TAG"), Some(Column::AssetTag));
        assert_eq!(column_named("資産番号"), Some(Column::AssetTag));
        assert_eq!(column_named("ＩＰアドレス"), Some(Column::Ip));
        assert_eq!(column_named("IP address"), Some(Column::Ip));
        assert_eq!(column_named("SL-C"), Some(Column::SlC));
        assert_eq!(column_named("firmware"), Some(Column::FirmwareVersion));
        assert_eq!(column_named("device_role"), Some(Column::DeviceRole));
        assert_eq!(column_named("colour"), None);
        assert_eq!(custom_key("Custom.rack"), Some("rack"));
        assert_eq!(custom_key("custom"), None);
        for (c, ..) in COLUMNS {
            assert_eq!(column_named(c.key()), Some(*c));
            assert_eq!(column_named(c.header("ja")), Some(*c));
        }
    }

    #[test]
    fn roles_and_observed_protocols() {
        assert_eq!(
            asset_type("industrial switch").unwrap(),
            (AssetType::NetworkSwitch, false)
        );
        assert_eq!(
            asset_type("remote I/O / controller").unwrap(),
            (AssetType::RemoteIo, true)
        );
        assert_eq!(
            asset_type("serial console server").unwrap(),
            (AssetType::Other, true)
        );
        assert!(asset_type("toaster").is_err());
        assert_eq!(observed_protocol("snmp/161"), "SNMP 161");
        assert_eq!(observed_protocol("dhcp"), "DHCP");
        assert_eq!(observed_protocol("Modbus/TCP"), "MODBUS/TCP");
    }

    #[test]
    fn neutralized_values_read_back() {
        assert_eq!(unneutralized("'=1+2"), "=1+2");
        assert_eq!(unneutralized("'-5"), "-5");
        assert_eq!(unneutralized("'quoted'"), "'quoted'");
        assert_eq!(unneutralized("plain"), "plain");
    }

    #[test]
    fn empty_lines_leave_no_trace_behind_the_parser() {
        let lines = 20_000_000u64;
        let text = vec![b'\n'; lines as usize];
        let mut c = Counted {
            inner: &text[..],
            read: 0,
            newlines: Default::default(),
            passed: 0,
            max: u64::MAX,
            over: false,
            progress: None,
            reported: 0,
        };
        let mut buf = vec![0u8; 256 * 1024];
        let mut most = 0;
        while c.read(&mut buf).unwrap() > 0 {
            most = most.max(c.newlines.len() as u64);
        }
        assert!(most <= LINE_HORIZON + buf.len() as u64, "{most}");
        assert_eq!(c.passed + c.newlines.len() as u64, lines);
    }

    #[test]
    fn shown_values_are_cut_and_escaped() {
        assert_eq!(shown("plain"), "plain");
        assert_eq!(shown("a\nb\u{7}"), "a\\nb\\u{7}");
        let s = shown(&"é".repeat(500));
        assert_eq!(s.chars().count(), MAX_QUOTED);
        assert!(s.ends_with('…'));
        assert_eq!(shown(&"y".repeat(MAX_QUOTED)), "y".repeat(MAX_QUOTED));
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(1_048_575, 16_383), "XFD1048576");
        assert_eq!(cell_name(9, 255), "IV10");
    }

    #[test]
    fn long_values_are_cut_in_problems() {
        let p = problem(3, "name", &"x".repeat(500), "m");
        assert_eq!(p.value.chars().count(), MAX_QUOTED);
        assert_eq!(p.to_string(), "row 3, column name: m");
    }
}
