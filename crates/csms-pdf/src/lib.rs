//! PDF reports, typeset by the Typst engine (kept in its own crate: it is heavy to build).
//!
//! A report is a [`Document`]: a title block (organization, title, document id, version,
//! approval), then sections of paragraphs, label/value blocks, tables and SVG figures. The
//! document is handed to one Typst template (`templates/document.typ`, embedded) **as data**:
//! it is serialized to a Typst dictionary and read through `sys.inputs`, never spliced into
//! markup, so user text such as `#`, `$`, `*`, `[`, `]`, `\`, `//`, `<` or `@` is printed as
//! typed and cannot run as Typst code.
//!
//! Every page carries the organization, the title, the document id and the version in its
//! header, and the approval (or DRAFT) and "page X / Y" in its footer. A draft also gets a
//! faint DRAFT mark across every page. Japanese (`lang: ja`: Japanese line breaking) and
//! English.
//!
//! Fonts: Noto Sans CJK JP Regular and Bold (the Debian package `fonts-noto-cjk`, the static
//! TTC files, face 0 = JP), read once per process from the directory in `CSMS_FONT_DIR`
//! (default [`fonts::DEFAULT_FONT_DIR`]); the PDF embeds only the glyphs used (a subset).
//!
//! Compiling is CPU-bound (tens to hundreds of milliseconds): servers call [`render`] on the
//! blocking pool. Typst errors come back as [`PdfError::Typst`], never as a panic.
//!
//! [`reports`] lays out the documents of `csms-report` (risk register, assessment, SoA,
//! scope) as [`Document`]s.

pub mod fonts;
mod model;
pub mod reports;
mod value;

use std::sync::OnceLock;

use typst_as_lib::TypstEngine;
use typst_layout::PagedDocument;

pub use model::{Block, Document, Figure, Lang, Section, Status, Table, TableCell, TableColumn};

/// Why a PDF could not be made.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PdfError {
    /// The Japanese font is missing or unreadable (message names the path and the package).
    #[error("{0}")]
    Fonts(String),
    /// Typst refused the template or the data (a bug in the template, never user text).
    #[error("typesetting the PDF failed: {0}")]
    Typst(String),
    /// The typeset document could not be written as PDF.
    #[error("writing the PDF failed: {0}")]
    Export(String),
}

/// The template every document is typeset with.
const TEMPLATE: &str = include_str!("../templates/document.typ");
const TEMPLATE_NAME: &str = "document.typ";

/// The engine: the template and the fonts, built once per process.
fn engine() -> Result<&'static TypstEngine, PdfError> {
    static ENGINE: OnceLock<Result<TypstEngine, PdfError>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let fonts = fonts::load()?;
            Ok(TypstEngine::builder()
                .fonts(fonts)
                .with_static_source_file_resolver([(TEMPLATE_NAME, TEMPLATE)])
                .build())
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Checks that the fonts can be loaded (for a server's start-up check or a CLI's early
/// error), without typesetting anything.
pub fn check_fonts() -> Result<(), PdfError> {
    engine().map(|_| ())
}

/// Typesets `doc` and returns the PDF file.
pub fn render(doc: &Document) -> Result<Vec<u8>, PdfError> {
    let engine = engine()?;
    let inputs = value::inputs(doc).map_err(|e| PdfError::Typst(format!("the data: {e}")))?;
    let compiled = engine.compile_with_input::<_, _, PagedDocument>(TEMPLATE_NAME, inputs);
    let document = compiled.output.map_err(|e| PdfError::Typst(describe(&e)))?;
    let options = typst_pdf::PdfOptions {
        ident: typst::foundations::Smart::Custom(doc.document_id.clone()),
        ..Default::default()
    };
    typst_pdf::pdf(&document, &options).map_err(|diags| {
        PdfError::Export(
            diags
                .iter()
                .map(|d| d.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// A readable message of a Typst error: the diagnostics' messages and hints.
fn describe(e: &typst_as_lib::TypstAsLibError) -> String {
    use typst_as_lib::TypstAsLibError as E;
    match e {
        E::TypstSource(diags) => diags
            .iter()
            .map(|d| {
                let mut m = d.message.to_string();
                for h in &d.hints {
                    m.push_str(" (hint: ");
                    m.push_str(h.v.as_str());
                    m.push(')');
                }
                m
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}
