//! The errors of report rendering.

/// A report could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The XLSX writer refused something (a cell, a sheet setting, the final ZIP).
    ///
    /// `step` says what was being written, e.g. `sheet "評価結果", row 12, column notes`; the
    /// message carries the writer's own reason as well.
    #[error("could not write the XLSX workbook: {step}: {cause}")]
    Xlsx {
        step: String,
        cause: rust_xlsxwriter::XlsxError,
    },
}
