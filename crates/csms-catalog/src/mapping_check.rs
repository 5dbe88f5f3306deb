//! The mapping file format (`opencsms-mapping/1`): the types read from YAML (with source
//! positions) and the rules a mapping file must follow.

use std::collections::{HashMap, HashSet};

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::limits::Report;
use crate::model::RawText;
use crate::{Catalog, Diagnostic, MappingEntry, MappingSet, Provenance, Relationship};

pub(crate) const FORMAT: &str = "opencsms-mapping/1";

/// The identity of a mapping set and the two frameworks it relates.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Mapping")]
pub(crate) struct RawMapping {
    /// Lowercase letters, digits, '-' and '.'; unique across mapping sets.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// The framework id of the catalog the entries' `source` refs belong to.
    #[schemars(with = "String")]
    pub source: Spanned<String>,
    /// The framework id of the catalog the entries' `target` refs belong to.
    #[schemars(with = "String")]
    pub target: Spanned<String>,
    /// Where the relations come from.
    #[schemars(with = "Provenance")]
    pub provenance: Spanned<String>,
    pub name: Option<RawText>,
    /// How the relations were obtained and what they do not say.
    pub notes: Option<RawText>,
}

/// One relation: a node of the source framework and a node of the target framework.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Entry")]
pub(crate) struct RawEntry {
    /// Ref of a node in the source catalog.
    pub source: String,
    /// Ref of a node in the target catalog.
    pub target: String,
    /// Read "source is … target".
    #[schemars(with = "Relationship")]
    pub relationship: Spanned<String>,
    /// Why the two are related (for example `NIST CSF 1.1 ID.AM-1`).
    pub basis: Option<String>,
}

/// An OpenCSMS mapping file (format `opencsms-mapping/1`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "MappingFile")]
pub(crate) struct RawMappingFile {
    /// Always `opencsms-mapping/1`.
    #[schemars(with = "String")]
    pub format: Spanned<String>,
    #[schemars(with = "RawMapping")]
    pub mapping: Spanned<RawMapping>,
    #[schemars(with = "Vec<RawEntry>")]
    pub entries: Vec<Spanned<RawEntry>>,
}

impl Report<'_> {
    /// A framework or mapping id, reporting a malformed one.
    fn id(&mut self, what: &str, id: &Spanned<String>) -> String {
        let valid = !id.value.is_empty()
            && id
                .value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !valid {
            self.add(
                line(id),
                format!(
                    "{what} '{}' must use lowercase letters, digits, '-' and '.'",
                    id.value
                ),
            );
        }
        id.value.clone()
    }
}

fn line<T>(s: &Spanned<T>) -> u64 {
    s.defined.line()
}

fn names(all: impl IntoIterator<Item = &'static str>) -> String {
    all.into_iter().collect::<Vec<_>>().join(", ")
}

const PROVENANCES: [Provenance; 4] = [
    Provenance::Official,
    Provenance::Derived,
    Provenance::Indicative,
    Provenance::Imported,
];

pub(crate) fn check(file: &str, raw: RawMappingFile) -> Result<MappingSet, Vec<Diagnostic>> {
    let mut r = Report::new(file);
    if raw.format.value != FORMAT {
        r.add(
            line(&raw.format),
            format!(
                "format is '{}'; this OpenCSMS reads '{FORMAT}'",
                raw.format.value
            ),
        );
    }
    let m_line = line(&raw.mapping);
    let m = raw.mapping.value;
    let id = r.id("mapping id", &m.id);
    let source_framework = r.id("source framework id", &m.source);
    let target_framework = r.id("target framework id", &m.target);
    let provenance = PROVENANCES
        .into_iter()
        .find(|p| p.as_str() == m.provenance.value);
    if provenance.is_none() {
        r.add(
            line(&m.provenance),
            format!(
                "unknown provenance '{}'; use one of {}",
                m.provenance.value,
                names(PROVENANCES.map(Provenance::as_str))
            ),
        );
    }
    let name = r.bilingual(m_line, "the mapping name", m.name.as_ref());
    r.nul_name(m_line, "the mapping name", &name);
    let notes = m
        .notes
        .as_ref()
        .map(|n| r.bilingual(m_line, "the mapping notes", Some(n)));

    let mut first_seen: HashMap<(&str, &str), u64> = HashMap::new();
    let mut entries = Vec::with_capacity(raw.entries.len());
    for e in &raw.entries {
        let l = line(e);
        let v = &e.value;
        let source = v.source.trim();
        let target = v.target.trim();
        let who = format!("entry {source:?} → {target:?}");
        if r.control(l, &who, "source ref", source) || r.control(l, &who, "target ref", target) {
            // The other messages quote the refs; they would break lines.
            continue;
        }
        if source.is_empty() || target.is_empty() {
            r.add(
                l,
                "an entry has an empty source or target; name a ref of each framework",
            );
        } else if let Some(first) = first_seen.get(&(source, target)) {
            r.add(
                l,
                format!(
                    "duplicate entry '{source}' → '{target}' (first at line {first}); \
                     give each pair once and list every basis in it"
                ),
            );
        } else {
            first_seen.insert((source, target), l);
        }
        let relationship = Relationship::ALL
            .into_iter()
            .find(|x| x.as_str() == v.relationship.value);
        if relationship.is_none() {
            r.add(
                line(&v.relationship),
                format!(
                    "entry '{source}' → '{target}' has unknown relationship '{}'; use one of {}",
                    v.relationship.value,
                    names(Relationship::ALL.map(Relationship::as_str))
                ),
            );
        }
        let basis = match v.basis.as_deref().map(str::trim) {
            Some("") => {
                r.add(
                    l,
                    format!("entry '{source}' → '{target}' has an empty basis; say why the two are related or leave it out"),
                );
                None
            }
            other => other.map(str::to_owned),
        };
        entries.push(MappingEntry {
            source: source.to_owned(),
            target: target.to_owned(),
            relationship: relationship.unwrap_or(Relationship::Related),
            basis,
        });
    }
    if raw.entries.is_empty() {
        r.add(0, "the mapping has no entries");
    }
    match provenance {
        Some(provenance) if r.is_empty() => Ok(MappingSet {
            id,
            source_framework,
            target_framework,
            provenance,
            name,
            notes,
            entries,
        }),
        _ => Err(r.finish()),
    }
}

/// The checks that need the two catalogs: the frameworks are the mapping's, and every ref
/// names a node.
pub(crate) fn check_against(
    file: &str,
    set: &MappingSet,
    source: &Catalog,
    target: &Catalog,
) -> Vec<Diagnostic> {
    let mut r = Report::new(file);
    for (side, expected, catalog) in [
        ("source", &set.source_framework, source),
        ("target", &set.target_framework, target),
    ] {
        if *expected != catalog.framework.id {
            r.add(
                0,
                format!(
                    "the mapping's {side} framework is '{expected}' but it was checked against catalog '{}'",
                    catalog.framework.id
                ),
            );
        }
    }
    let source_refs: HashSet<&str> = source.nodes.iter().map(|n| n.reference.as_str()).collect();
    let target_refs: HashSet<&str> = target.nodes.iter().map(|n| n.reference.as_str()).collect();
    for e in &set.entries {
        if !source_refs.contains(e.source.as_str()) {
            r.add(
                0,
                format!(
                    "entry '{}' → '{}': source ref '{}' is not a node of framework '{}'",
                    e.source, e.target, e.source, source.framework.id
                ),
            );
        }
        if !target_refs.contains(e.target.as_str()) {
            r.add(
                0,
                format!(
                    "entry '{}' → '{}': target ref '{}' is not a node of framework '{}'",
                    e.source, e.target, e.target, target.framework.id
                ),
            );
        }
    }
    r.finish()
}
