//! OpenCSMS requirement catalogs: the file format (see `FORMAT.md`), its checker, and the
//! catalogs shipped inside the binary.
//!
//! A catalog file is YAML. [`parse`] reads one and checks it; every problem is a
//! [`Diagnostic`] naming the file, the line and what is wrong (duplicate ref, unknown parent,
//! cycle, missing language, bad YAML or indentation, unknown kind, …).
//!
//! A mapping file (format `opencsms-mapping/1`, also in `FORMAT.md`) relates the nodes of one
//! framework to those of another. [`parse_mapping`] reads and checks one on its own;
//! [`check_mapping`] checks its refs against the two catalogs it relates.

mod check;
mod ciso;
mod limits;
mod mapping;
mod mapping_check;
mod model;

use std::sync::OnceLock;

pub use ciso::Library;
pub use limits::{MAX_DEPTH, MAX_DIAGNOSTICS, MAX_NODES};
pub use mapping::{MappingEntry, MappingSet, Provenance, Relationship};
pub use model::{Bilingual, Catalog, Framework, Kind, Level, Node, Reference, Scale};

/// One problem in a catalog file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based line, or 0 when the problem concerns the whole file.
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

/// Reads and checks a catalog file's text. `file` names it in diagnostics.
pub fn parse(file: &str, text: &str) -> Result<Catalog, Vec<Diagnostic>> {
    let raw: model::RawCatalog = read_yaml(file, text)?;
    check::check(file, raw)
}

/// Deserializes YAML, turning a syntax or structure error into one diagnostic with its line.
fn read_yaml<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, Vec<Diagnostic>> {
    serde_saphyr::from_str(text).map_err(|e| {
        let line = e.location().map_or(0, |l| l.line());
        let message = e
            .to_string()
            .lines()
            .next()
            .unwrap_or("not valid YAML")
            .to_owned();
        vec![Diagnostic {
            file: file.to_owned(),
            line,
            message: format!("{message}; check the YAML syntax and indentation (spaces only)"),
        }]
    })
}

/// Reads and checks a mapping file's text on its own: format, ids, both languages of the name
/// (and notes), relationship and provenance values, no pair twice, at least one entry. Whether
/// the refs exist is [`check_mapping`]'s job. `file` names it in diagnostics.
pub fn parse_mapping(file: &str, text: &str) -> Result<MappingSet, Vec<Diagnostic>> {
    let raw: mapping_check::RawMappingFile = read_yaml(file, text)?;
    mapping_check::check(file, raw)
}

/// Checks a parsed mapping set against the catalogs it relates: `source` and `target` are the
/// mapping's frameworks, and every entry's refs name nodes of them. Empty when all is well.
/// The set carries no positions, so the diagnostics have line 0.
pub fn check_mapping(
    file: &str,
    set: &MappingSet,
    source: &Catalog,
    target: &Catalog,
) -> Vec<Diagnostic> {
    mapping_check::check_against(file, set, source, target)
}

/// Reads a CISO Assistant library, or our own catalog (format: opencsms-catalog/1) or mapping
/// (format: opencsms-mapping/1) — detected by content.
///
/// `known` are the frameworks already present (shipped + previously imported); a mapping set
/// resolves its source/target frameworks by `Framework.urn` (or id) among `known` and the
/// frameworks in the same file; a mapping whose framework is absent fails with a
/// [`Diagnostic`] whose message names the missing framework URN and says to import it first.
/// The conversion rules (ids `ciso.…` derived from URNs, refs, kinds, languages,
/// relationships) are documented in `src/ciso.rs`.
///
/// What an organization imports never passes for what OpenCSMS ships: a framework whose id is
/// that of a shipped catalog, or a mapping set whose id is that of a shipped mapping set, is
/// refused; and every mapping set read gets provenance [`Provenance::Imported`], whatever the
/// file states (the stated provenance is kept at the end of its notes, e.g.
/// `(the file states: official)`). The limits of [`MAX_NODES`], [`MAX_DEPTH`] and
/// [`MAX_DIAGNOSTICS`] apply, and text that PostgreSQL cannot store (a NUL character) is
/// refused, named by framework, node and field.
pub fn import(file: &str, text: &str, known: &[&Catalog]) -> Result<Library, Vec<Diagnostic>> {
    let mut lib = check_file(file, text, known)?;
    let (catalog_ids, mapping_ids) = shipped_ids();
    let mut r = limits::Report::new(file);
    for c in &lib.frameworks {
        let id = &c.framework.id;
        if catalog_ids.contains(id) {
            let message = match &c.framework.urn {
                Some(urn) => format!(
                    "framework {urn} gets id '{id}', the id of a catalog shipped with OpenCSMS; \
                     give the framework another URN so that it gets another id"
                ),
                None => format!(
                    "framework id '{id}' is the id of a catalog shipped with OpenCSMS; give the \
                     imported framework another id"
                ),
            };
            r.add(id_line(text, id), message);
        }
    }
    for m in &lib.mappings {
        if mapping_ids.contains(&m.id) {
            r.add(
                id_line(text, &m.id),
                format!(
                    "mapping id '{}' is the id of a mapping set shipped with OpenCSMS; give the \
                     imported mapping another id",
                    m.id
                ),
            );
        }
    }
    if !r.is_empty() {
        return Err(r.finish());
    }
    for m in &mut lib.mappings {
        mark_imported(m);
    }
    Ok(lib)
}

/// Reads a file as [`import`] does, with the same limits and checks, but without the rules
/// that keep an organization's import apart from what OpenCSMS ships (shipped ids refused,
/// provenance set to imported): for checking the project's own catalog and mapping files
/// (`csms catalog check`). Nothing read this way should be stored for an organization.
pub fn check_file(file: &str, text: &str, known: &[&Catalog]) -> Result<Library, Vec<Diagnostic>> {
    let lib = ciso::import(file, text, known)?;
    let nul = limits::nul_anywhere(file, &lib.frameworks, &lib.mappings);
    if nul.is_empty() { Ok(lib) } else { Err(nul) }
}

/// Sets an imported mapping set's provenance to imported, keeping what the file stated in its
/// notes.
fn mark_imported(m: &mut MappingSet) {
    if m.provenance == Provenance::Imported {
        return;
    }
    let stated = m.provenance.as_str();
    let en = format!("(the file states: {stated})");
    let ja = format!("（ファイル上の記載: {stated}）");
    m.notes = Some(match m.notes.take() {
        Some(n) => Bilingual {
            ja: format!("{}{ja}", n.ja),
            en: format!("{} {en}", n.en),
        },
        None => Bilingual { ja, en },
    });
    m.provenance = Provenance::Imported;
}

/// The line of an OpenCSMS file's `id: ID`, or 0 (a CISO Assistant library has none).
fn id_line(text: &str, id: &str) -> u64 {
    text.lines()
        .position(|l| {
            l.trim()
                .strip_prefix("id:")
                .map(|v| v.trim().trim_matches(['"', '\'']))
                == Some(id)
        })
        .map_or(0, |i| i as u64 + 1)
}

/// The ids of the shipped catalogs and of the shipped mapping sets.
fn shipped_ids() -> &'static (Vec<String>, Vec<String>) {
    static IDS: OnceLock<(Vec<String>, Vec<String>)> = OnceLock::new();
    IDS.get_or_init(|| {
        let catalogs = SHIPPED
            .iter()
            .filter_map(|(name, text)| parse(name, text).ok())
            .map(|c| c.framework.id)
            .collect();
        let mappings = SHIPPED_MAPPINGS
            .iter()
            .filter_map(|(name, text)| parse_mapping(name, text).ok())
            .map(|m| m.id)
            .collect();
        (catalogs, mappings)
    })
}

/// The JSON Schema of the catalog format, generated from the types the loader reads. The
/// repository keeps a copy in `crates/csms-catalog/catalog.schema.json` (a test keeps it
/// current; `csms catalog schema` prints it).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(model::RawCatalog);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}

/// The JSON Schema of the mapping format, generated from the types the loader reads. The
/// repository keeps a copy in `crates/csms-catalog/mapping.schema.json` (a test keeps it
/// current).
pub fn mapping_json_schema() -> String {
    let schema = schemars::schema_for!(mapping_check::RawMappingFile);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}

/// The catalogs that ship with OpenCSMS (text written by the project, ja and en).
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "jipdec-csms-2010.yaml",
        include_str!("../catalogs/jipdec-csms-2010.yaml"),
    ),
    (
        "iec62443-2-1-2010.yaml",
        include_str!("../catalogs/iec62443-2-1-2010.yaml"),
    ),
    (
        "iec62443-3-3-2013.yaml",
        include_str!("../catalogs/iec62443-3-3-2013.yaml"),
    ),
    (
        "iec62443-2-1-2024.yaml",
        include_str!("../catalogs/iec62443-2-1-2024.yaml"),
    ),
    (
        "iso27001-2022-annex-a.yaml",
        include_str!("../catalogs/iso27001-2022-annex-a.yaml"),
    ),
    (
        "iso27001-2013-annex-a.yaml",
        include_str!("../catalogs/iso27001-2013-annex-a.yaml"),
    ),
];

/// Parses every shipped catalog. They are checked by the test suite, so an error here means a
/// broken build.
pub fn shipped() -> Result<Vec<Catalog>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in SHIPPED {
        match parse(name, text) {
            Ok(c) => out.push(c),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The mapping sets that ship with OpenCSMS, generated by `scripts/gen-mappings.py` (notes
/// written by the project, ja and en).
pub const SHIPPED_MAPPINGS: &[(&str, &str)] = &[
    (
        "iec62443-2-1-2010--iso27001-2013-annex-a.yaml",
        include_str!("../mappings/iec62443-2-1-2010--iso27001-2013-annex-a.yaml"),
    ),
    (
        "iso27001-2013-annex-a--iso27001-2022-annex-a.yaml",
        include_str!("../mappings/iso27001-2013-annex-a--iso27001-2022-annex-a.yaml"),
    ),
    (
        "iec62443-2-1-2010--iso27001-2022-annex-a.yaml",
        include_str!("../mappings/iec62443-2-1-2010--iso27001-2022-annex-a.yaml"),
    ),
    (
        "iec62443-2-1-2010--iec62443-2-1-2024.yaml",
        include_str!("../mappings/iec62443-2-1-2010--iec62443-2-1-2024.yaml"),
    ),
];

/// Parses every shipped mapping set. They are checked against the shipped catalogs by the test
/// suite, so an error here means a broken build.
pub fn shipped_mappings() -> Result<Vec<MappingSet>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in SHIPPED_MAPPINGS {
        match parse_mapping(name, text) {
            Ok(m) => out.push(m),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
