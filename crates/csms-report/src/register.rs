//! The risk register and the zone Cybersecurity Requirements Specification as XLSX and CSV.
//!
//! The caller (which knows the reader's language) lays the documents out as [`table::Sheet`]s;
//! this module adds what the documents share: risk-level cells coloured like the heat map, so
//! that a level reads the same on screen, in the workbook and on paper.

use crate::heatmap::level_fill;
use crate::table::{self, Cell};

/// A risk level as a coloured cell: the heat map's fill for level `level` (0-based) of
/// `levels`, with dark or white text for contrast.
pub fn level_cell(label: &str, level: usize, levels: usize) -> Cell {
    let fill = u32::from_str_radix(level_fill(level, levels).trim_start_matches('#'), 16)
        .unwrap_or(0xFFFFFF);
    let (r, g, b) = ((fill >> 16) & 0xFF, (fill >> 8) & 0xFF, fill & 0xFF);
    let luminance = 0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b);
    let font = if luminance > 150.0 {
        0x111827
    } else {
        0xFFFFFF
    };
    Cell::Coloured {
        text: label.to_owned(),
        fill,
        font,
    }
}

/// The register (or a CRS) as a workbook; see [`table::xlsx`].
pub fn workbook(sheets: &[table::Sheet], lang: &str) -> Result<Vec<u8>, crate::ReportError> {
    let truncated = if lang == "ja" {
        "…（Excel のセル上限のため以下省略。CSV には全文があります）"
    } else {
        "… (cut at Excel's cell limit; the CSV export has the full text)"
    };
    table::xlsx(sheets, truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_coloured_from_green_to_red_with_readable_text() {
        let low = level_cell("Low", 0, 4);
        let high = level_cell("Critical", 3, 4);
        let (Cell::Coloured { fill: lf, .. }, Cell::Coloured { fill: hf, font, .. }) = (low, high)
        else {
            panic!("not coloured");
        };
        // Green dominates the low level, red the highest.
        assert!((lf >> 8) & 0xFF > (lf >> 16) & 0xFF, "{lf:06x}");
        assert!((hf >> 16) & 0xFF > (hf >> 8) & 0xFF, "{hf:06x}");
        assert!(font == 0xFFFFFF || font == 0x111827);
    }
}
