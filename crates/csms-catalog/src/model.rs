//! The catalog types: as read from YAML (with source positions) and as checked.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

/// A text in both languages.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct Bilingual {
    pub ja: String,
    pub en: String,
}

/// The kind of a catalog node.
#[derive(Debug, Serialize, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Clause,
    Element,
    Requirement,
    Control,
    Enhancement,
}

/// A reference from a node to a node of another framework.
#[derive(Debug, Serialize, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub framework: String,
    #[serde(rename = "ref")]
    pub reference: String,
}

/// One step of a framework's rating scale (maturity or security level).
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct Level {
    pub value: u8,
    pub label: Bilingual,
}

/// A framework's rating scale.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct Scale {
    pub id: String,
    pub levels: Vec<Level>,
}

/// A framework's identity.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct Framework {
    pub id: String,
    pub edition: String,
    pub publisher: String,
    pub name: Bilingual,
    pub scale: Option<Scale>,
    pub notes: Option<Bilingual>,
    /// The identifier of an imported framework in its source (a CISO Assistant URN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urn: Option<String>,
}

/// A node of the framework's tree.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct Node {
    /// The standard's identifier (`4.2.3.1`, `SR 1.1 RE 2`, `A.5.9`).
    pub reference: String,
    pub kind: Kind,
    pub parent: Option<String>,
    pub title: Bilingual,
    pub gist: Bilingual,
    pub guidance: Option<Bilingual>,
    pub assessable: bool,
    pub flags: Vec<String>,
    pub security_levels: Vec<u8>,
    pub references: Vec<Reference>,
    /// The identifier of an imported node in its source (a CISO Assistant URN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urn: Option<String>,
}

/// A checked catalog.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub framework: Framework,
    pub nodes: Vec<Node>,
}

impl Catalog {
    pub fn node(&self, reference: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.reference == reference)
    }

    pub fn assessable(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.assessable)
    }
}

/// A text in Japanese and English (both are required where the text is).
#[derive(Debug, Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Text")]
pub(crate) struct RawText {
    pub ja: Option<String>,
    pub en: Option<String>,
}

/// One level of a rating scale.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Level")]
pub(crate) struct RawLevel {
    pub value: u8,
    pub label: Option<RawText>,
}

/// A rating scale: maturity or security levels.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Scale")]
pub(crate) struct RawScale {
    pub id: String,
    #[schemars(with = "Vec<RawLevel>")]
    pub levels: Vec<Spanned<RawLevel>>,
}

/// The framework a catalog describes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Framework")]
pub(crate) struct RawFramework {
    /// Lowercase letters, digits, '-' and '.'; unique across catalogs.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    pub edition: String,
    pub publisher: String,
    pub name: Option<RawText>,
    pub scale: Option<RawScale>,
    pub notes: Option<RawText>,
}

/// A node of the framework's tree: clause, element, requirement, control or enhancement.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Node")]
pub(crate) struct RawNode {
    #[serde(rename = "ref")]
    pub reference: String,
    pub kind: Kind,
    pub parent: Option<String>,
    pub title: Option<RawText>,
    pub gist: Option<RawText>,
    pub guidance: Option<RawText>,
    #[serde(default)]
    pub assessable: bool,
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(default)]
    pub security_levels: Vec<u8>,
    #[serde(default)]
    pub references: Vec<Reference>,
}

/// An OpenCSMS catalog file (format `opencsms-catalog/1`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Catalog")]
pub(crate) struct RawCatalog {
    /// Always `opencsms-catalog/1`.
    #[schemars(with = "String")]
    pub format: Spanned<String>,
    #[schemars(with = "RawFramework")]
    pub framework: Spanned<RawFramework>,
    #[schemars(with = "Vec<RawNode>")]
    pub nodes: Vec<Spanned<RawNode>>,
}
