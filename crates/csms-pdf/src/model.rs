//! The document model the template typesets. Every text is data: the template prints it as
//! typed.

use serde::Serialize;

/// The language of a document: chooses the fixed words (page, version, draft ...), Typst's
/// line breaking (`ja`: Japanese rules) and hyphenation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    /// `ja` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// `ja` is Japanese; anything else English.
    pub fn from_code(code: &str) -> Lang {
        if code.eq_ignore_ascii_case("ja") {
            Lang::Ja
        } else {
            Lang::En
        }
    }
}

/// Where the document stands: an approved version, a draft, or a live record (e.g. the risk
/// register) printed as of a moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Status {
    /// Approved by `by` at `at` (already formatted for the reader).
    Approved { by: String, at: String },
    /// Not approved: every page says DRAFT.
    Draft,
    /// A live record as of `at` (already formatted), not a versioned approval.
    Current { at: String },
}

/// A report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    pub lang: Lang,
    pub organization: String,
    pub title: String,
    /// Printed on every page, e.g. `SOA-jipdec-csms-2010-v3`; also seeds the PDF's identifier.
    pub document_id: String,
    /// The version as shown (`3`, `2026-11-26`, ...).
    pub version: String,
    pub status: Status,
    /// Further label/value lines of the title block (framework, generated at, ...).
    pub meta: Vec<(String, String)>,
    /// Wide tables read better across the page.
    pub landscape: bool,
    pub sections: Vec<Section>,
}

/// A numbered section with a heading.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

impl Section {
    pub fn new(heading: impl Into<String>) -> Section {
        Section {
            heading: heading.into(),
            blocks: Vec::new(),
        }
    }

    pub fn with(mut self, block: Block) -> Section {
        self.blocks.push(block);
        self
    }
}

/// A piece of a section.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// A sub-heading (not numbered).
    Subheading { text: String },
    /// A paragraph; line breaks in the text are kept.
    Paragraph { text: String },
    /// Label/value lines, labels in bold.
    KeyValues { items: Vec<(String, String)> },
    /// A table whose header row repeats on every page it spans.
    Table(Table),
    /// An SVG picture (e.g. a heat map) with an optional caption.
    Figure(Figure),
}

/// A table.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Table {
    pub columns: Vec<TableColumn>,
    pub rows: Vec<Vec<TableCell>>,
}

/// A column: its header and its share of the width (relative to the other columns).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableColumn {
    pub name: String,
    pub width: f64,
}

/// A cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TableCell {
    Text {
        text: String,
    },
    /// Text on a coloured fill (a risk level, a result), colours as `#rrggbb`.
    Coloured {
        text: String,
        fill: String,
        ink: String,
    },
}

impl TableCell {
    pub fn text(t: impl Into<String>) -> TableCell {
        TableCell::Text { text: t.into() }
    }

    /// A coloured cell from `0xRRGGBB` values.
    pub fn coloured(text: impl Into<String>, fill: u32, ink: u32) -> TableCell {
        TableCell::Coloured {
            text: text.into(),
            fill: format!("#{:06x}", fill & 0xFF_FFFF),
            ink: format!("#{:06x}", ink & 0xFF_FFFF),
        }
    }

    /// The cell's text.
    pub fn as_text(&self) -> &str {
        match self {
            TableCell::Text { text } | TableCell::Coloured { text, .. } => text,
        }
    }
}

/// An SVG picture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// A standalone SVG document.
    pub svg: String,
    pub caption: String,
    /// Width as a share of the text width, 1–100.
    pub width_percent: u8,
}
