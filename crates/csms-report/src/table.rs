//! Tabular documents: one or more sheets, each a header block (title and label/value lines)
//! followed by a table, written as an XLSX workbook ([`xlsx`]) or, one sheet at a time, as a
//! CSV file ([`csv`]). The risk register and the zone requirements specification are written
//! with it.
//!
//! The same safety rules as the assessment export apply: XLSX texts are string cells (never
//! formulas) cut at Excel's cell limit; CSV texts that a spreadsheet would evaluate get a leading
//! apostrophe; the CSV is UTF-8 with a byte order mark and CRLF line ends (RFC 4180).

use std::borrow::Cow;

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use crate::ReportError;
use crate::assessment::{fit_cell, neutralize, push_line, wrapped_lines};

/// One sheet: a title, label/value lines, then a table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sheet {
    /// At most 31 characters, none of `[]:*?/\` (Excel's rules; checked when writing).
    pub name: String,
    pub title: String,
    /// Label and value lines under the title (organization, generated, ...).
    pub header: Vec<(String, String)>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

/// A column of the table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Column {
    pub name: String,
    /// Width in Excel's character units (a CJK character is about two).
    pub width: f64,
    /// Whether long texts wrap (and make the row taller).
    pub wrap: bool,
}

/// One cell of the table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A text on a coloured fill (e.g. a risk level), fill and font as `0xRRGGBB`.
    Coloured {
        text: String,
        fill: u32,
        font: u32,
    },
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    fn as_text(&self) -> Cow<'_, str> {
        match self {
            Cell::Text(t) | Cell::Coloured { text: t, .. } => Cow::Borrowed(t),
            Cell::Number(n) => Cow::Owned(n.to_string()),
            Cell::Empty => Cow::Borrowed(""),
        }
    }
}

const LINE_HEIGHT: f64 = 15.0;
const MAX_ROW_HEIGHT: f64 = 409.0;

fn xlsx_error<'a>(sheet: &'a str, what: String) -> impl FnOnce(XlsxError) -> ReportError + 'a {
    move |cause| ReportError::Xlsx {
        step: format!("sheet \"{sheet}\", {what}"),
        cause,
    }
}

/// Writes the sheets as one workbook. Each sheet: row 0 the title (bold, larger), rows 1..
/// the header lines (label in column A, value in column B), an empty row, then the column
/// headers (bold, filled, frozen, with an autofilter) and one row per table row. A4 landscape,
/// one page wide, the column headers repeated on every printed page.
///
/// `truncated` is the note put at the end of a text cut at Excel's cell limit.
pub fn xlsx(sheets: &[Sheet], truncated: &str) -> Result<Vec<u8>, ReportError> {
    let mut workbook = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14);
    let label = Format::new().set_bold();
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDE4EE))
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let plain = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Top);
    let wrap = plain.clone().set_text_wrap();
    for sheet in sheets {
        let name = sheet.name.as_str();
        let ws = workbook.add_worksheet();
        ws.set_name(name)
            .map_err(xlsx_error(name, "its name".to_owned()))?;
        ws.write_string_with_format(0, 0, fit_cell(&sheet.title, truncated).as_ref(), &title)
            .map_err(xlsx_error(name, "the title".to_owned()))?;
        for (i, (l, v)) in sheet.header.iter().enumerate() {
            let row = 1 + i as u32;
            ws.write_string_with_format(row, 0, fit_cell(l, truncated).as_ref(), &label)
                .map_err(xlsx_error(name, format!("header row {row}")))?;
            ws.write_string(row, 1, fit_cell(v, truncated).as_ref())
                .map_err(xlsx_error(name, format!("header row {row}")))?;
        }
        let header_row = sheet.header.len() as u32 + 2;
        for (c, col) in sheet.columns.iter().enumerate() {
            let c = c as u16;
            ws.set_column_width(c, col.width)
                .map_err(xlsx_error(name, format!("column {c} width")))?;
            ws.write_string_with_format(
                header_row,
                c,
                fit_cell(&col.name, truncated).as_ref(),
                &head,
            )
            .map_err(xlsx_error(name, format!("column header {c}")))?;
        }
        for (i, cells) in sheet.rows.iter().enumerate() {
            let row = header_row + 1 + i as u32;
            let mut lines = 1;
            for (c, cell) in cells.iter().enumerate().take(sheet.columns.len()) {
                let col = &sheet.columns[c];
                let c16 = c as u16;
                let format = if col.wrap { &wrap } else { &plain };
                let what = || format!("row {row} (0-based), column {}", col.name);
                match cell {
                    Cell::Text(t) => {
                        if !t.is_empty() {
                            ws.write_string_with_format(
                                row,
                                c16,
                                fit_cell(t, truncated).as_ref(),
                                format,
                            )
                            .map_err(xlsx_error(name, what()))?;
                        } else {
                            ws.write_blank(row, c16, format)
                                .map_err(xlsx_error(name, what()))?;
                        }
                    }
                    Cell::Number(n) => {
                        ws.write_number_with_format(row, c16, *n, format)
                            .map_err(xlsx_error(name, what()))?;
                    }
                    Cell::Coloured { text, fill, font } => {
                        let f = format
                            .clone()
                            .set_background_color(Color::RGB(*fill))
                            .set_font_color(Color::RGB(*font))
                            .set_bold();
                        ws.write_string_with_format(
                            row,
                            c16,
                            fit_cell(text, truncated).as_ref(),
                            &f,
                        )
                        .map_err(xlsx_error(name, what()))?;
                    }
                    Cell::Empty => {
                        ws.write_blank(row, c16, format)
                            .map_err(xlsx_error(name, what()))?;
                    }
                }
                if col.wrap {
                    lines = lines.max(wrapped_lines(&cell.as_text(), col.width));
                }
            }
            if lines > 1 {
                ws.set_row_height(row, (lines as f64 * LINE_HEIGHT).min(MAX_ROW_HEIGHT))
                    .map_err(xlsx_error(name, format!("row {row} height")))?;
            }
        }
        if !sheet.columns.is_empty() {
            let last_col = sheet.columns.len() as u16 - 1;
            let last_row = header_row + sheet.rows.len() as u32;
            ws.autofilter(header_row, 0, last_row, last_col)
                .map_err(xlsx_error(name, "the autofilter".to_owned()))?;
            ws.set_freeze_panes(header_row + 1, 0)
                .map_err(xlsx_error(name, "the frozen header".to_owned()))?;
            ws.set_repeat_rows(header_row, header_row)
                .map_err(xlsx_error(name, "the printed header".to_owned()))?;
        }
        ws.set_landscape();
        ws.set_paper_size(9);
        ws.set_print_fit_to_pages(1, 0);
    }
    workbook
        .save_to_buffer()
        .map_err(|cause| ReportError::Xlsx {
            step: "assembling the file".to_owned(),
            cause,
        })
}

/// Writes one sheet's table as CSV: the column headers, then one line per row (the title and
/// header lines are not repeated; they belong to the XLSX).
pub fn csv(sheet: &Sheet) -> String {
    let mut out = String::with_capacity(64 + sheet.rows.len() * 256);
    out.push('\u{FEFF}');
    push_line(&mut out, sheet.columns.iter().map(|c| neutralize(&c.name)));
    for cells in &sheet.rows {
        push_line(
            &mut out,
            (0..sheet.columns.len()).map(|i| match cells.get(i) {
                Some(Cell::Number(n)) => Cow::Owned(n.to_string()),
                Some(c) => Cow::Owned(neutralize(&c.as_text()).into_owned()),
                None => Cow::Borrowed(""),
            }),
        );
    }
    out
}
