//! Mapping sets: how the nodes of one framework relate to the nodes of another.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Bilingual;

/// How a source node relates to a target node (read "source is … target").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Relationship {
    /// Both ask for the same thing.
    Equal,
    /// Meeting the source meets part of the target.
    Subset,
    /// Meeting the source meets all of the target and more.
    Superset,
    /// They overlap in part.
    Intersect,
    /// They concern the same topic; neither implies the other.
    Related,
}

impl Relationship {
    pub const ALL: [Relationship; 5] = [
        Relationship::Equal,
        Relationship::Subset,
        Relationship::Superset,
        Relationship::Intersect,
        Relationship::Related,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Equal => "equal",
            Relationship::Subset => "subset",
            Relationship::Superset => "superset",
            Relationship::Intersect => "intersect",
            Relationship::Related => "related",
        }
    }

    /// The same relation read from the target's side.
    pub fn inverse(self) -> Relationship {
        match self {
            Relationship::Subset => Relationship::Superset,
            Relationship::Superset => Relationship::Subset,
            other => other,
        }
    }
}

/// Where a mapping set's relations come from, shown beside every use of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Provenance {
    /// Published by the owner of one of the standards.
    Official,
    /// Derived by joining published references (the basis names the join).
    Derived,
    /// A reasoned judgement of the OpenCSMS project; a starting point, not a fact.
    Indicative,
    /// Brought in by an organization (for example from a CISO Assistant library).
    Imported,
}

impl Provenance {
    pub fn as_str(self) -> &'static str {
        match self {
            Provenance::Official => "official",
            Provenance::Derived => "derived",
            Provenance::Indicative => "indicative",
            Provenance::Imported => "imported",
        }
    }
}

/// One relation between a source node and a target node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingEntry {
    /// Ref of the node in the source framework.
    pub source: String,
    /// Ref of the node in the target framework.
    pub target: String,
    pub relationship: Relationship,
    /// Why the two are related (e.g. `NIST CSF 1.1 ID.AM-1`).
    pub basis: Option<String>,
}

/// A checked mapping set between two frameworks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingSet {
    /// Lowercase letters, digits, '-' and '.'; unique across mapping sets.
    pub id: String,
    pub source_framework: String,
    pub target_framework: String,
    pub provenance: Provenance,
    pub name: Bilingual,
    pub notes: Option<Bilingual>,
    pub entries: Vec<MappingEntry>,
}

impl MappingSet {
    /// The entries whose source is `source_ref`.
    pub fn from_source<'a>(
        &'a self,
        source_ref: &'a str,
    ) -> impl Iterator<Item = &'a MappingEntry> {
        self.entries.iter().filter(move |e| e.source == source_ref)
    }
}
