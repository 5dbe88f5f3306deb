//! Export of a conformance assessment: an XLSX workbook ([`assessment_xlsx`]) and a CSV file
//! ([`assessment_csv`]).
//!
//! The caller passes an [`AssessmentExport`] whose texts are already in the reader's language;
//! nothing here looks anything up. The same rows feed both formats, in the same column order:
//! clause, reference, title, result, maturity, notes, evidence, owner, due date.
//!
//! Spreadsheet formula injection: the XLSX writer stores every text as a string cell (never a
//! formula), so texts such as `=cmd|'/c calc'!A1` are shown as typed. The CSV has no cell types,
//! so texts that a spreadsheet would read as a formula get a leading apostrophe there (see
//! [`assessment_csv`]).

use std::borrow::Cow;

use csms_domain::assessment::Outcome;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::ReportError;

/// A conformance assessment as exported: texts already in the reader's language.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssessmentExport {
    /// `"ja"` or `"en"`: chooses the sheet names and the fixed labels this crate adds (the
    /// header block's labels, the summary sheet's headers). Anything else is treated as `"en"`.
    pub lang: String,
    /// The assessment's title.
    pub title: String,
    /// The framework's name.
    pub framework: String,
    pub organization: String,
    /// E.g. `"承認済み 2026-11-26 山田"` or `"In progress"`.
    pub status: String,
    pub period: String,
    pub scope: String,
    pub assessors: String,
    /// When the export was made, already formatted for the reader.
    pub generated_at: String,
    /// The localized column headers.
    pub columns: ExportColumns,
    /// One per requirement, in the order to show.
    pub rows: Vec<ExportRow>,
    /// The result counts, e.g. `("適合", 40, 31.5)`.
    pub summary: Vec<SummaryLine>,
}

/// The localized headers of the nine columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportColumns {
    pub clause: String,
    pub reference: String,
    pub title: String,
    pub result: String,
    pub maturity: String,
    pub notes: String,
    pub evidence: String,
    pub owner: String,
    pub due_date: String,
}

/// One requirement and its result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportRow {
    /// The clause or element the requirement sits under (`"4.2.3 リスク特定…"`).
    pub clause: String,
    /// The requirement's reference (`"4.2.3.1"`).
    pub reference: String,
    pub title: String,
    /// The result's label in the reader's language.
    pub result: String,
    /// `conformant`, `partial`, `nonconformant`, `not_applicable` or `not_assessed` (the
    /// domain's [`Outcome::as_str`]); chooses the result cell's colour. Any other value gets no
    /// colour.
    pub result_code: String,
    pub maturity: Option<i64>,
    pub notes: String,
    /// Each item already formatted as `"label — location"`.
    pub evidence: Vec<String>,
    pub owner: String,
    /// Already formatted; empty when there is none.
    pub due_date: String,
}

/// One line of the summary sheet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SummaryLine {
    pub label: String,
    pub count: u32,
    /// A share in percent points (31.5 means 31.5 %), as the domain's roll-ups compute it.
    pub percent: f64,
}

/// The 0-based row of the column headers on the results sheet (row 10 as Excel shows it).
/// Data rows follow immediately: requirement `i` (0-based) is on row `XLSX_HEADER_ROW + 1 + i`.
pub const XLSX_HEADER_ROW: u32 = 9;

/// The number of columns of the results table, in the order of [`ExportColumns`].
pub const COLUMN_COUNT: u16 = 9;

/// Excel's limit on the characters (UTF-16 code units) of one cell.
const EXCEL_CELL_MAX: usize = 32_767;

/// Column widths of the results table, in Excel's character units. A CJK character is about
/// two units wide, and autofit is unreliable for CJK, so the widths are fixed.
const WIDTHS: [f64; COLUMN_COUNT as usize] = [34.0, 12.0, 40.0, 12.0, 9.0, 50.0, 45.0, 14.0, 12.0];

/// The height of one line of 11-point text, in points, and Excel's largest row height.
const LINE_HEIGHT: f64 = 15.0;
const MAX_ROW_HEIGHT: f64 = 409.0;

/// About how many lines `text` takes when wrapped in a column `width` characters wide: each
/// line break starts a line, and a CJK (wide) character counts as two characters. Two
/// characters are kept for the cell's padding and for breaks at word boundaries.
pub(crate) fn wrapped_lines(text: &str, width: f64) -> usize {
    let usable = (width - 2.0).max(1.0);
    text.split('\n')
        .map(|line| {
            let w: usize = line.chars().map(display_width).sum();
            ((w as f64) / usable).ceil().max(1.0) as usize
        })
        .sum()
}

/// The width of a character in Excel's character units: 2 for East Asian wide and full-width
/// characters, 1 otherwise.
fn display_width(c: char) -> usize {
    match u32::from(c) {
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

/// Column keys, used in error messages.
const KEYS: [&str; COLUMN_COUNT as usize] = [
    "clause",
    "reference",
    "title",
    "result",
    "maturity",
    "notes",
    "evidence",
    "owner",
    "due_date",
];

/// The fixed texts this crate adds, per language.
struct Labels {
    results_sheet: &'static str,
    summary_sheet: &'static str,
    framework: &'static str,
    organization: &'static str,
    status: &'static str,
    period: &'static str,
    scope: &'static str,
    assessors: &'static str,
    generated: &'static str,
    summary_label: &'static str,
    summary_count: &'static str,
    summary_percent: &'static str,
    truncated: &'static str,
}

const JA: Labels = Labels {
    results_sheet: "評価結果",
    summary_sheet: "集計",
    framework: "フレームワーク",
    organization: "組織",
    status: "状態",
    period: "評価期間",
    scope: "適用範囲",
    assessors: "評価者",
    generated: "出力日時",
    summary_label: "評価結果",
    summary_count: "件数",
    summary_percent: "割合",
    truncated: "…（Excel のセル上限のため以下省略。CSV には全文があります）",
};

const EN: Labels = Labels {
    results_sheet: "Results",
    summary_sheet: "Summary",
    framework: "Framework",
    organization: "Organization",
    status: "Status",
    period: "Period",
    scope: "Scope",
    assessors: "Assessors",
    generated: "Generated",
    summary_label: "Result",
    summary_count: "Count",
    summary_percent: "Share",
    truncated: "… (cut at Excel's cell limit; the CSV export has the full text)",
};

fn labels(lang: &str) -> &'static Labels {
    if lang == "ja" { &JA } else { &EN }
}

/// The sheet names used for `lang`: (results, summary). `("評価結果", "集計")` for `"ja"`,
/// `("Results", "Summary")` otherwise.
pub fn sheet_names(lang: &str) -> (&'static str, &'static str) {
    let l = labels(lang);
    (l.results_sheet, l.summary_sheet)
}

impl ExportColumns {
    /// The nine headers in column order.
    pub fn in_order(&self) -> [&str; COLUMN_COUNT as usize] {
        [
            &self.clause,
            &self.reference,
            &self.title,
            &self.result,
            &self.maturity,
            &self.notes,
            &self.evidence,
            &self.owner,
            &self.due_date,
        ]
    }
}

/// Fill and font colours of a result cell, by result code: Excel's own "Good", "Neutral" and
/// "Bad" styles for conformant, partial and nonconformant, grey for not applicable, none for
/// not assessed (and for unknown codes).
fn result_colours(code: &str) -> Option<(u32, u32)> {
    match Outcome::parse(code).ok()? {
        Outcome::Conformant => Some((0xC6EFCE, 0x006100)),
        Outcome::Partial => Some((0xFFEB9C, 0x9C5700)),
        Outcome::Nonconformant => Some((0xFFC7CE, 0x9C0006)),
        Outcome::NotApplicable => Some((0xD9D9D9, 0x3F3F3F)),
        Outcome::NotAssessed => None,
    }
}

/// Renders the assessment as an XLSX workbook.
///
/// **Sheet 1**, named `"評価結果"` (ja) or `"Results"` (en):
/// - rows 0–7 (0-based), the header block: row 0 holds the title in column A; rows 1–7 hold a
///   label in column A and its value in column B, in this order: framework, organization,
///   status, period, scope, assessors, generated. Row 8 is empty.
/// - row [`XLSX_HEADER_ROW`] (= **9**, 0-based; Excel's row 10): the nine column headers from
///   [`ExportColumns`], in columns A–I: clause, reference, title, result, maturity, notes,
///   evidence, owner, due date. Bold, filled, with an autofilter over the table; panes are
///   frozen below this row.
/// - rows 10, 11, …: one row per [`ExportRow`], in the given order, with no gap. Texts are
///   string cells; maturity is a number cell (empty when `None`); evidence items are one per
///   line in their cell; the result cell is coloured by `result_code`. Empty texts leave the
///   cell blank. Clause, title, notes and evidence wrap; a row whose wrapped text needs more
///   than one line gets an explicit height estimated from its text (a CJK character counts as
///   two), because not every reader recomputes row heights when it opens the file.
/// - columns have fixed widths chosen for Japanese text (autofit is unreliable for CJK).
/// - printing: A4 landscape, one page wide, the header row repeated on every page.
///
/// **Sheet 2**, named `"集計"` (ja) or `"Summary"` (en): row 0 the headers (result, count,
/// share), then one row per [`SummaryLine`]: label (string), count (number), share (a number
/// between 0 and 1 shown with the `0.0%` format, so 31.5 percent points is stored as 0.315).
///
/// A text longer than Excel's cell limit (32,767 UTF-16 units) is cut there with a note that
/// the CSV has the full text.
///
/// # Errors
/// [`ReportError::Xlsx`] when the writer refuses a cell or cannot assemble the file; the
/// message names the sheet, row and column.
pub fn assessment_xlsx(a: &AssessmentExport) -> Result<Vec<u8>, ReportError> {
    let l = labels(&a.lang);
    let mut workbook = Workbook::new();
    write_results(workbook.add_worksheet(), a, l)?;
    write_summary(workbook.add_worksheet(), a, l)?;
    workbook
        .save_to_buffer()
        .map_err(|cause| ReportError::Xlsx {
            step: "assembling the file".to_owned(),
            cause,
        })
}

/// A worksheet with its name, so that every error says where it happened.
struct Sheet<'a> {
    ws: &'a mut Worksheet,
    name: &'static str,
}

/// The error of a sheet-wide setting; formatted only when it happens.
fn setting<'a>(sheet: &'a str, what: &'a str) -> impl FnOnce(XlsxError) -> ReportError + 'a {
    move |cause| ReportError::Xlsx {
        step: format!("sheet \"{sheet}\", {what}"),
        cause,
    }
}

/// The error of one cell; formatted only when it happens.
fn cell<'a>(sheet: &'a str, row: u32, what: &'a str) -> impl FnOnce(XlsxError) -> ReportError + 'a {
    move |cause| ReportError::Xlsx {
        step: format!("sheet \"{sheet}\", row {row} (0-based), {what}"),
        cause,
    }
}

impl Sheet<'_> {
    /// Writes a text as a string cell (never a formula).
    fn text(
        &mut self,
        row: u32,
        col: u16,
        text: &str,
        format: &Format,
        what: &str,
        l: &Labels,
    ) -> Result<(), ReportError> {
        let text = fit_cell(text, l.truncated);
        self.ws
            .write_string_with_format(row, col, text.as_ref(), format)
            .map_err(cell(self.name, row, what))?;
        Ok(())
    }

    fn number(
        &mut self,
        row: u32,
        col: u16,
        n: f64,
        format: &Format,
        what: &str,
    ) -> Result<(), ReportError> {
        self.ws
            .write_number_with_format(row, col, n, format)
            .map_err(cell(self.name, row, what))?;
        Ok(())
    }
}

/// `text`, cut to Excel's cell limit with `note` at the end when it is longer.
pub(crate) fn fit_cell<'t>(text: &'t str, note: &str) -> Cow<'t, str> {
    if text.len() <= EXCEL_CELL_MAX {
        // UTF-16 units never outnumber UTF-8 bytes.
        return Cow::Borrowed(text);
    }
    if text.encode_utf16().count() <= EXCEL_CELL_MAX {
        return Cow::Borrowed(text);
    }
    let budget = EXCEL_CELL_MAX - note.encode_utf16().count();
    let mut used = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        if used + c.len_utf16() > budget {
            break;
        }
        used += c.len_utf16();
        end = i + c.len_utf8();
    }
    Cow::Owned(format!("{}{note}", &text[..end]))
}

fn write_results(
    ws: &mut Worksheet,
    a: &AssessmentExport,
    l: &'static Labels,
) -> Result<(), ReportError> {
    let name = l.results_sheet;
    let mut s = Sheet { ws, name };
    s.ws.set_name(l.results_sheet)
        .map_err(setting(name, "naming the sheet"))?;

    // Header block.
    let title = Format::new().set_bold().set_font_size(14);
    let label = Format::new().set_bold().set_align(FormatAlign::Top);
    let value = Format::new().set_align(FormatAlign::Top);
    s.text(0, 0, &a.title, &title, "title", l)?;
    let block = [
        (l.framework, &a.framework, "framework"),
        (l.organization, &a.organization, "organization"),
        (l.status, &a.status, "status"),
        (l.period, &a.period, "period"),
        (l.scope, &a.scope, "scope"),
        (l.assessors, &a.assessors, "assessors"),
        (l.generated, &a.generated_at, "generated_at"),
    ];
    for (i, (name, text, key)) in block.into_iter().enumerate() {
        let row = 1 + i as u32;
        s.text(row, 0, name, &label, key, l)?;
        s.text(row, 1, text, &value, key, l)?;
    }

    // Column headers.
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(Color::RGB(0xD9E1F2))
        .set_border(FormatBorder::Thin);
    for (col, text) in a.columns.in_order().into_iter().enumerate() {
        let col = col as u16;
        s.text(XLSX_HEADER_ROW, col, text, &header, KEYS[col as usize], l)?;
        s.ws.set_column_width(col, WIDTHS[col as usize])
            .map_err(setting(name, "setting column widths"))?;
    }

    // Data rows.
    let plain = Format::new()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin);
    let wrap = plain.clone().set_text_wrap();
    let maturity = plain
        .clone()
        .set_align(FormatAlign::Center)
        .set_num_format("0");
    let result_plain = plain.clone().set_align(FormatAlign::Center);
    let result_formats: Vec<(Outcome, Format)> = Outcome::ALL
        .into_iter()
        .filter_map(|o| {
            let (fill, font) = result_colours(o.as_str())?;
            Some((
                o,
                result_plain
                    .clone()
                    .set_background_color(Color::RGB(fill))
                    .set_font_color(Color::RGB(font)),
            ))
        })
        .collect();
    let mut evidence = String::new();
    for (i, r) in a.rows.iter().enumerate() {
        let row = XLSX_HEADER_ROW + 1 + i as u32;
        let result_format = Outcome::parse(&r.result_code)
            .ok()
            .and_then(|o| result_formats.iter().find(|(x, _)| *x == o))
            .map_or(&result_plain, |(_, f)| f);
        evidence.clear();
        for (k, e) in r.evidence.iter().enumerate() {
            if k > 0 {
                evidence.push('\n');
            }
            evidence.push_str(e);
        }
        s.text(row, 0, &r.clause, &wrap, KEYS[0], l)?;
        s.text(row, 1, &r.reference, &plain, KEYS[1], l)?;
        s.text(row, 2, &r.title, &wrap, KEYS[2], l)?;
        s.text(row, 3, &r.result, result_format, KEYS[3], l)?;
        match r.maturity {
            Some(m) => s.number(row, 4, m as f64, &maturity, KEYS[4])?,
            None => s.text(row, 4, "", &maturity, KEYS[4], l)?,
        }
        s.text(row, 5, &r.notes, &wrap, KEYS[5], l)?;
        s.text(row, 6, &evidence, &wrap, KEYS[6], l)?;
        s.text(row, 7, &r.owner, &plain, KEYS[7], l)?;
        s.text(row, 8, &r.due_date, &plain, KEYS[8], l)?;
        let lines = [
            (0, r.clause.as_str()),
            (2, &r.title),
            (5, &r.notes),
            (6, &evidence),
        ]
        .into_iter()
        .map(|(col, text)| wrapped_lines(text, WIDTHS[col]))
        .max()
        .unwrap_or(1);
        if lines > 1 {
            // Not every reader recomputes row heights on load (LibreOffice keeps one line),
            // so set the height from the estimated number of wrapped lines.
            let height = (LINE_HEIGHT * lines as f64).min(MAX_ROW_HEIGHT);
            s.ws.set_row_height(row, height)
                .map_err(cell(name, row, "row height"))?;
        }
    }

    let last_row = XLSX_HEADER_ROW + a.rows.len() as u32;
    s.ws.autofilter(XLSX_HEADER_ROW, 0, last_row, COLUMN_COUNT - 1)
        .map_err(setting(name, "setting the autofilter"))?;
    s.ws.set_freeze_panes(XLSX_HEADER_ROW + 1, 0)
        .map_err(setting(name, "freezing panes"))?;
    // Printing: A4 landscape, one page wide, the column headers on every page.
    s.ws.set_paper_size(9)
        .set_landscape()
        .set_print_fit_to_pages(1, 0);
    s.ws.set_repeat_rows(XLSX_HEADER_ROW, XLSX_HEADER_ROW)
        .map_err(setting(name, "repeating the header row on printed pages"))?;
    Ok(())
}

fn write_summary(
    ws: &mut Worksheet,
    a: &AssessmentExport,
    l: &'static Labels,
) -> Result<(), ReportError> {
    let name = l.summary_sheet;
    let mut s = Sheet { ws, name };
    s.ws.set_name(l.summary_sheet)
        .map_err(setting(name, "naming the sheet"))?;
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xD9E1F2))
        .set_border(FormatBorder::Thin);
    let plain = Format::new().set_border(FormatBorder::Thin);
    let count = plain.clone().set_num_format("0");
    let percent = plain.clone().set_num_format("0.0%");
    for (col, (text, width)) in [
        (l.summary_label, 24.0),
        (l.summary_count, 10.0),
        (l.summary_percent, 10.0),
    ]
    .into_iter()
    .enumerate()
    {
        let col = col as u16;
        s.text(0, col, text, &header, "headers", l)?;
        s.ws.set_column_width(col, width)
            .map_err(setting(name, "setting column widths"))?;
    }
    for (i, line) in a.summary.iter().enumerate() {
        let row = 1 + i as u32;
        s.text(row, 0, &line.label, &plain, "label", l)?;
        s.number(row, 1, f64::from(line.count), &count, "count")?;
        s.number(row, 2, line.percent / 100.0, &percent, "percent")?;
    }
    Ok(())
}

/// Renders the results table as CSV.
///
/// - RFC 4180: fields separated by commas, lines ended by CRLF (also after the last line);
///   a field containing a comma, a double quote, CR or LF is enclosed in double quotes, with
///   its double quotes doubled.
/// - UTF-8 **with a byte order mark** (U+FEFF) at the start: Excel in Japan opens a UTF-8 CSV
///   without a BOM as Shift_JIS and garbles Japanese text; with the BOM it reads UTF-8.
/// - The first line holds the nine column headers of [`ExportColumns`] (clause, reference,
///   title, result, maturity, notes, evidence, owner, due date), then one line per
///   [`ExportRow`]. No header block and no summary.
/// - Maturity is the bare number, or empty. Evidence items are joined with `" | "`.
/// - Formula injection: a text field that starts with `=`, `+`, `-`, `@`, their full-width
///   forms `＝`, `＋`, `－`, `＠` (U+FF1D, U+FF0B, U+FF0D, U+FF20; Excel with a Japanese input
///   method may read them as the ASCII ones), a tab or a CR gets a leading apostrophe
///   (`'=cmd` instead of `=cmd`), so a spreadsheet shows it as text instead of evaluating it.
///   This applies to the column headers too.
pub fn assessment_csv(a: &AssessmentExport) -> String {
    let mut out = String::with_capacity(64 + a.rows.len() * 256);
    out.push('\u{FEFF}');
    push_line(&mut out, a.columns.in_order().into_iter().map(neutralize));
    for r in &a.rows {
        let maturity = r.maturity.map(|m| m.to_string()).unwrap_or_default();
        let evidence = r.evidence.join(" | ");
        let fields = [
            neutralize(&r.clause),
            neutralize(&r.reference),
            neutralize(&r.title),
            neutralize(&r.result),
            Cow::Owned(maturity),
            neutralize(&r.notes),
            neutralize(&evidence),
            neutralize(&r.owner),
            neutralize(&r.due_date),
        ];
        push_line(&mut out, fields.into_iter());
    }
    out
}

/// Prefixes an apostrophe to a text that a spreadsheet would take for a formula: one that
/// starts with `=`, `+`, `-`, `@` (or their full-width forms), a tab or a CR.
pub(crate) fn neutralize(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some(
            '=' | '+' | '-' | '@' | '\t' | '\r' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}' | '\u{FF20}',
        ) => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

pub(crate) fn push_line<'f>(out: &mut String, fields: impl Iterator<Item = Cow<'f, str>>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, &field);
    }
    out.push_str("\r\n");
}

fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        for c in field.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralizes_formula_starts_only() {
        for t in [
            "=1+1",
            "+1",
            "-1",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "＝1+1",
            "＋1",
            "－1",
            "＠SUM(A1)",
            "＝cmd|'/c calc'!A1",
        ] {
            assert_eq!(neutralize(t), format!("'{t}"));
        }
        // Full-width signs elsewhere, and look-alikes that are not the four (U+2212 minus,
        // U+30FC long vowel mark, U+FF1C less-than), are left alone.
        for t in [
            "",
            "a=1",
            "1-2",
            "'x",
            " =x",
            "適合",
            "a＝1",
            "\u{2212}1",
            "ー",
            "＜1",
        ] {
            assert_eq!(neutralize(t), t);
        }
    }

    #[test]
    fn quotes_only_when_needed() {
        let mut s = String::new();
        push_field(&mut s, "plain 日本語");
        assert_eq!(s, "plain 日本語");
        for (input, expected) in [
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("a\nb", "\"a\nb\""),
            ("a\rb", "\"a\rb\""),
        ] {
            let mut s = String::new();
            push_field(&mut s, input);
            assert_eq!(s, expected);
        }
    }

    #[test]
    fn cuts_texts_at_the_excel_cell_limit() {
        let short = "あ".repeat(EXCEL_CELL_MAX);
        assert!(matches!(fit_cell(&short, "…"), Cow::Borrowed(_)));
        // 𠮷 is two UTF-16 units: 20,000 of them exceed the limit.
        let long = "𠮷".repeat(20_000);
        let cut = fit_cell(&long, "…");
        assert!(cut.encode_utf16().count() <= EXCEL_CELL_MAX);
        assert!(cut.ends_with('…'));
        assert!(cut.starts_with("𠮷𠮷"));
    }

    #[test]
    fn every_outcome_but_not_assessed_has_a_colour() {
        for o in Outcome::ALL {
            assert_eq!(
                result_colours(o.as_str()).is_none(),
                o == Outcome::NotAssessed
            );
        }
        assert!(result_colours("bogus").is_none());
    }

    #[test]
    fn estimates_wrapped_lines() {
        assert_eq!(wrapped_lines("", 50.0), 1);
        assert_eq!(wrapped_lines("short", 50.0), 1);
        assert_eq!(wrapped_lines("a\nb\nc", 50.0), 3);
        // 30 wide characters are 60 units: two lines in a 50-wide column (48 usable).
        assert_eq!(wrapped_lines(&"評".repeat(30), 50.0), 2);
        assert_eq!(wrapped_lines(&"a".repeat(48), 50.0), 1);
        assert_eq!(
            wrapped_lines(&"ｱ".repeat(48), 50.0),
            1,
            "half-width kana are narrow"
        );
        assert_eq!(
            wrapped_lines(&"Ａ".repeat(25), 50.0),
            2,
            "full-width Latin is wide"
        );
    }

    #[test]
    fn error_messages_say_what_failed() {
        let e = cell("評価結果", 12, "notes")(XlsxError::MaxStringLengthExceeded).to_string();
        assert!(
            e.starts_with(
                "could not write the XLSX workbook: sheet \"評価結果\", row 12 (0-based), notes: "
            ),
            "{e}"
        );
        let e = setting("Summary", "freezing panes")(XlsxError::RowColumnLimitError).to_string();
        assert!(
            e.starts_with("could not write the XLSX workbook: sheet \"Summary\", freezing panes: "),
            "{e}"
        );
    }
}
