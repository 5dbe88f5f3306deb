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
mod mapping;
mod mapping_check;
mod model;

pub use ciso::Library;
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
pub fn import(file: &str, text: &str, known: &[&Catalog]) -> Result<Library, Vec<Diagnostic>> {
    ciso::import(file, text, known)
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
