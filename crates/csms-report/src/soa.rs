//! The Statement of Applicability (適用宣言書) as an XLSX workbook.
//!
//! The caller builds a [`SoaReport`] with every text already in the reader's language (the
//! labels, the applicability words, the status names, who approved and when in the reader's
//! time zone); this module lays it out. The same struct feeds the PDF renderer (in its own
//! crate), so the two documents cannot disagree.
//!
//! Layout: one sheet, a header block (organization, framework, version, status, approved by
//! and at, approval note, generated), then one row per item: ref, title, applicable,
//! inclusion reasons, exclusion justification, implementation status, controls, evidence.

use crate::ReportError;
use crate::table::{self, Cell, Column, Sheet};

/// The words of the document in the reader's language.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SoaLabels {
    /// The document's title, e.g. `Statement of Applicability` / `適用宣言書`.
    pub title: String,
    /// The sheet name (at most 31 characters, none of `[]:*?/\`).
    pub sheet: String,
    pub organization: String,
    pub framework: String,
    pub version: String,
    pub status: String,
    pub approved_by: String,
    pub approved_at: String,
    pub note: String,
    pub generated: String,
    /// The summary line's label (e.g. `Items`), its value is [`SoaReport::summary`].
    pub summary: String,
    pub col_ref: String,
    pub col_title: String,
    pub col_applicable: String,
    pub col_reasons: String,
    pub col_exclusion: String,
    pub col_status: String,
    pub col_controls: String,
    pub col_evidence: String,
    /// The note put at the end of a text cut at Excel's cell limit.
    pub truncated: String,
}

/// One item of the statement, every text in the reader's language.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SoaRow {
    /// The clause or control ref (`5.1.1`, `A.5.9`) or the organization's own ref.
    pub reference: String,
    pub title: String,
    /// Whether the item is one the organization added (not from the framework).
    pub additional: bool,
    /// `Some(true)` applicable, `Some(false)` excluded, `None` not decided yet (a draft).
    pub applicable: Option<bool>,
    /// The applicability as shown (`適用` / `除外` / `Applicable` / `Excluded` / `Undecided`).
    pub applicability: String,
    /// The inclusion reasons: their kinds, linked risks and the text, as lines.
    pub reasons: String,
    /// The exclusion justification (empty for an applicable item).
    pub exclusion: String,
    /// The implementation status as shown.
    pub status: String,
    /// The linked controls, one per line (`C-0003 Remote access gateway`).
    pub controls: String,
    /// The linked evidence, one per line (document code, title, version).
    pub evidence: String,
}

/// A Statement of Applicability as the reader sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SoaReport {
    pub labels: SoaLabels,
    pub organization: String,
    /// The framework's name in the reader's language.
    pub framework: String,
    /// The framework's id (`jipdec-csms-2010`).
    pub framework_id: String,
    /// The version as shown (`3`, or the word for draft).
    pub version: String,
    /// The approved version's number; `None` for the draft.
    pub version_number: Option<i64>,
    /// `Approved` / `承認済み`, or `DRAFT` / `下書き（未承認）`.
    pub status: String,
    /// Whether this is an approved (immutable) version.
    pub approved: bool,
    /// Who approved it (empty for a draft).
    pub approved_by: String,
    /// When, in the reader's time zone (empty for a draft).
    pub approved_at: String,
    /// The approval note.
    pub note: String,
    /// When the document was generated, in the reader's time zone.
    pub generated_at: String,
    /// A document identifier for page footers, e.g. `SOA-jipdec-csms-2010-v3`.
    pub document_id: String,
    /// The summary (`72 items: 66 applicable, 6 excluded`).
    pub summary: String,
    pub rows: Vec<SoaRow>,
}

/// The document identifier of a version: `SOA-<framework>-v<N>`, or `-draft`.
pub fn document_id(framework_id: &str, number: Option<i64>) -> String {
    match number {
        Some(n) => format!("SOA-{framework_id}-v{n}"),
        None => format!("SOA-{framework_id}-draft"),
    }
}

/// The statement as a workbook: one sheet, the header block then one row per item.
pub fn soa_xlsx(report: &SoaReport) -> Result<Vec<u8>, ReportError> {
    let l = &report.labels;
    let mut header = vec![
        (l.organization.clone(), report.organization.clone()),
        (l.framework.clone(), report.framework.clone()),
        (l.version.clone(), report.version.clone()),
        (l.status.clone(), report.status.clone()),
        (l.approved_by.clone(), report.approved_by.clone()),
        (l.approved_at.clone(), report.approved_at.clone()),
    ];
    if !report.note.is_empty() {
        header.push((l.note.clone(), report.note.clone()));
    }
    header.push((l.summary.clone(), report.summary.clone()));
    header.push((l.generated.clone(), report.generated_at.clone()));
    let col = |name: &str, width: f64, wrap: bool| Column {
        name: name.to_owned(),
        width,
        wrap,
    };
    let columns = vec![
        col(&l.col_ref, 10.0, false),
        col(&l.col_title, 36.0, true),
        col(&l.col_applicable, 11.0, false),
        col(&l.col_reasons, 48.0, true),
        col(&l.col_exclusion, 40.0, true),
        col(&l.col_status, 14.0, false),
        col(&l.col_controls, 34.0, true),
        col(&l.col_evidence, 34.0, true),
    ];
    let rows = report
        .rows
        .iter()
        .map(|r| {
            let applicability = match r.applicable {
                Some(true) => Cell::Coloured {
                    text: r.applicability.clone(),
                    fill: 0xDCFCE7,
                    font: 0x14532D,
                },
                Some(false) => Cell::Coloured {
                    text: r.applicability.clone(),
                    fill: 0xE5E7EB,
                    font: 0x1F2937,
                },
                None => Cell::Coloured {
                    text: r.applicability.clone(),
                    fill: 0xFEF3C7,
                    font: 0x78350F,
                },
            };
            vec![
                Cell::text(&r.reference),
                Cell::text(&r.title),
                applicability,
                Cell::text(&r.reasons),
                Cell::text(&r.exclusion),
                Cell::text(&r.status),
                Cell::text(&r.controls),
                Cell::text(&r.evidence),
            ]
        })
        .collect();
    let sheet = Sheet {
        name: if l.sheet.is_empty() {
            "SoA".to_owned()
        } else {
            l.sheet.clone()
        },
        title: format!("{} — {}", l.title, report.framework),
        header,
        columns,
        rows,
    };
    table::xlsx(&[sheet], &l.truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(n: usize) -> SoaReport {
        SoaReport {
            labels: SoaLabels {
                title: "適用宣言書".into(),
                sheet: "適用宣言書".into(),
                organization: "組織".into(),
                col_ref: "項番".into(),
                truncated: "…".into(),
                ..SoaLabels::default()
            },
            organization: "川崎工場".into(),
            framework: "JIPDEC CSMS".into(),
            framework_id: "jipdec-csms-2010".into(),
            version: "1".into(),
            version_number: Some(1),
            status: "承認済み".into(),
            approved: true,
            rows: (0..n)
                .map(|i| SoaRow {
                    reference: format!("5.{}.{}", i / 10 + 1, i % 10 + 1),
                    title: format!("管理策 {i}"),
                    applicable: Some(i % 7 != 0),
                    applicability: if i % 7 != 0 { "適用" } else { "除外" }.into(),
                    reasons: "リスク対応: R-0001".into(),
                    exclusion: if i % 7 == 0 {
                        "無線LANを使用しない".into()
                    } else {
                        String::new()
                    },
                    ..SoaRow::default()
                })
                .collect(),
            ..SoaReport::default()
        }
    }

    #[test]
    fn writes_a_workbook_with_every_row() {
        let bytes = soa_xlsx(&report(72)).expect("workbook");
        // An XLSX is a ZIP file.
        assert_eq!(&bytes[..2], b"PK");
        assert!(bytes.len() > 4000, "{} bytes", bytes.len());
    }

    #[test]
    fn document_ids_name_the_version_or_the_draft() {
        assert_eq!(
            document_id("jipdec-csms-2010", Some(3)),
            "SOA-jipdec-csms-2010-v3"
        );
        assert_eq!(
            document_id("iso27001-2022", None),
            "SOA-iso27001-2022-draft"
        );
    }

    #[test]
    fn two_hundred_items_come_back_row_by_row() {
        // The size the benchmark measures (crates/csms-pdf/benches/soa.rs): every item is a
        // row of its own, in order, with its applicability and justification.
        use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
        let r = report(200);
        let bytes = soa_xlsx(&r).expect("workbook");
        let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx");
        let name = wb.sheet_names()[0].clone();
        let range = wb.worksheet_range(&name).expect("sheet");
        let text = |c: Option<&Data>| c.map(|d| d.to_string()).unwrap_or_default();
        let rows: Vec<Vec<String>> = range
            .rows()
            .filter(|row| text(row.first()).starts_with("5."))
            .map(|row| row.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(rows.len(), 200);
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row[0], r.rows[i].reference, "row {i}");
            assert!(row.contains(&r.rows[i].applicability), "row {i}: {row:?}");
            if !r.rows[i].exclusion.is_empty() {
                assert!(row.contains(&r.rows[i].exclusion), "row {i}: {row:?}");
            }
        }
    }
}
