//! The assessment export read back: the XLSX with calamine (and its XML for the layout), the
//! CSV with a small RFC 4180 parser.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use csms_report::assessment::{
    AssessmentExport, ExportColumns, ExportRow, SummaryLine, XLSX_HEADER_ROW, assessment_csv,
    assessment_xlsx, sheet_names,
};

const TRICKY_NOTE: &str = "規程は改訂中, 承認待ち。\n担当者曰く \"来月\" とのこと";
const FORMULA_NOTE: &str = "=cmd|' /C calc'!A0";

fn ja_columns() -> ExportColumns {
    ExportColumns {
        clause: "条項".into(),
        reference: "要求事項番号".into(),
        title: "要求事項".into(),
        result: "評価結果".into(),
        maturity: "成熟度".into(),
        notes: "所見".into(),
        evidence: "証跡".into(),
        owner: "担当者".into(),
        due_date: "期限".into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn row(
    reference: &str,
    title: &str,
    result: &str,
    code: &str,
    maturity: Option<i64>,
    notes: &str,
    evidence: &[&str],
    owner: &str,
    due: &str,
) -> ExportRow {
    ExportRow {
        clause: "4.2.3 リスク特定、分類及び評価".into(),
        reference: reference.into(),
        title: title.into(),
        result: result.into(),
        result_code: code.into(),
        maturity,
        notes: notes.into(),
        evidence: evidence.iter().map(|e| e.to_string()).collect(),
        owner: owner.into(),
        due_date: due.into(),
    }
}

fn sample(lang: &str) -> AssessmentExport {
    AssessmentExport {
        lang: lang.into(),
        title: "2026年度 CSMS 適合性評価".into(),
        framework: "IEC 62443-2-1:2010".into(),
        organization: "サンプル製作所".into(),
        status: "承認済み 2026-11-26 山田".into(),
        period: "2026-10-01 〜 2026-11-20".into(),
        scope: "本社工場 制御システム".into(),
        assessors: "山田 太郎, 佐藤 花子".into(),
        generated_at: "2026-11-26 16:32 (JST)".into(),
        columns: ja_columns(),
        rows: vec![
            row(
                "4.2.3.1",
                "リスク評価の手法を定める",
                "適合",
                "conformant",
                Some(3),
                "",
                &[
                    "リスク評価手順書 v2 — 文書管理/CSMS/RA-001",
                    "議事録 2026-09 — SharePoint",
                ],
                "山田",
                "",
            ),
            row(
                "4.2.3.2",
                "システムの高位リスク評価を実施する",
                "部分適合",
                "partial",
                Some(2),
                TRICKY_NOTE,
                &["暫定評価表 — \\\\fs01\\csms\\ra.xlsx"],
                "佐藤",
                "2027-01-31",
            ),
            row(
                "4.2.3.3",
                "詳細リスク評価を実施する",
                "不適合",
                "nonconformant",
                Some(0),
                FORMULA_NOTE,
                &[],
                "-",
                "2027-03-31",
            ),
            row(
                "4.2.3.4",
                "無線ネットワークのリスクを評価する",
                "該当なし",
                "not_applicable",
                None,
                "無線ネットワークは使用していない",
                &[],
                "",
                "",
            ),
            row(
                "4.2.3.5",
                "リスク評価を定期的に見直す",
                "未評価",
                "not_assessed",
                None,
                "",
                &[],
                "",
                "",
            ),
        ],
        summary: vec![
            SummaryLine {
                label: "適合".into(),
                count: 1,
                percent: 31.5,
            },
            SummaryLine {
                label: "部分適合".into(),
                count: 1,
                percent: 20.0,
            },
            SummaryLine {
                label: "不適合".into(),
                count: 1,
                percent: 20.0,
            },
            SummaryLine {
                label: "該当なし".into(),
                count: 1,
                percent: 20.0,
            },
            SummaryLine {
                label: "未評価".into(),
                count: 1,
                percent: 8.5,
            },
        ],
    }
}

fn open(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("calamine opens the workbook")
}

fn text(range: &calamine::Range<Data>, row: u32, col: u32) -> String {
    match range.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        None | Some(Data::Empty) => String::new(),
        Some(other) => panic!("({row}, {col}) is not text: {other:?}"),
    }
}

fn number(range: &calamine::Range<Data>, row: u32, col: u32) -> Option<f64> {
    match range.get_value((row, col)) {
        Some(Data::Float(f)) => Some(*f),
        Some(Data::Int(i)) => Some(*i as f64),
        None | Some(Data::Empty) => None,
        Some(other) => panic!("({row}, {col}) is not a number: {other:?}"),
    }
}

/// One part of the XLSX (a ZIP) as text.
fn part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("the XLSX is a ZIP");
    let mut s = String::new();
    zip.by_name(name)
        .unwrap_or_else(|_| panic!("{name} is in the XLSX"))
        .read_to_string(&mut s)
        .unwrap();
    s
}

#[test]
fn xlsx_sheet_names_follow_the_language() {
    for (lang, names) in [
        ("ja", ["評価結果", "集計"]),
        ("en", ["Results", "Summary"]),
        ("fr", ["Results", "Summary"]),
    ] {
        let bytes = assessment_xlsx(&sample(lang)).unwrap();
        assert_eq!(open(&bytes).sheet_names(), names.to_vec(), "{lang}");
        let (results, summary) = sheet_names(lang);
        assert_eq!([results, summary], names);
    }
}

#[test]
fn xlsx_header_block_and_column_headers() {
    let a = sample("ja");
    let mut wb = open(&assessment_xlsx(&a).unwrap());
    let r = wb.worksheet_range("評価結果").unwrap();
    assert_eq!(text(&r, 0, 0), a.title);
    let block = [
        ("フレームワーク", &a.framework),
        ("組織", &a.organization),
        ("状態", &a.status),
        ("評価期間", &a.period),
        ("適用範囲", &a.scope),
        ("評価者", &a.assessors),
        ("出力日時", &a.generated_at),
    ];
    for (i, (label, value)) in block.into_iter().enumerate() {
        assert_eq!(text(&r, 1 + i as u32, 0), label);
        assert_eq!(&text(&r, 1 + i as u32, 1), value);
    }
    assert_eq!(XLSX_HEADER_ROW, 9);
    for c in 0..9 {
        assert_eq!(
            text(&r, XLSX_HEADER_ROW - 1, c),
            "",
            "the row above the headers is empty"
        );
    }
    let headers: Vec<String> = (0..9).map(|c| text(&r, XLSX_HEADER_ROW, c)).collect();
    assert_eq!(
        headers,
        [
            "条項",
            "要求事項番号",
            "要求事項",
            "評価結果",
            "成熟度",
            "所見",
            "証跡",
            "担当者",
            "期限"
        ]
    );
}

#[test]
fn xlsx_rows_read_back_cell_by_cell() {
    let a = sample("ja");
    let mut wb = open(&assessment_xlsx(&a).unwrap());
    let r = wb.worksheet_range("評価結果").unwrap();
    for (i, row) in a.rows.iter().enumerate() {
        let y = XLSX_HEADER_ROW + 1 + i as u32;
        assert_eq!(text(&r, y, 0), row.clause);
        assert_eq!(text(&r, y, 1), row.reference);
        assert_eq!(text(&r, y, 2), row.title);
        assert_eq!(text(&r, y, 3), row.result);
        assert_eq!(
            number(&r, y, 4),
            row.maturity.map(|m| m as f64),
            "maturity of {}",
            row.reference
        );
        assert_eq!(text(&r, y, 5), row.notes);
        let evidence = text(&r, y, 6);
        let lines: Vec<&str> = if evidence.is_empty() {
            vec![]
        } else {
            evidence.split('\n').collect()
        };
        assert_eq!(lines, row.evidence, "evidence of {}", row.reference);
        assert_eq!(text(&r, y, 7), row.owner);
        assert_eq!(text(&r, y, 8), row.due_date);
    }
    // Nothing after the last row.
    let end = r.end().unwrap();
    assert_eq!(end.0, XLSX_HEADER_ROW + a.rows.len() as u32);
    assert_eq!(end.1, 8);
    // The spot checks the brief names, spelled out.
    let y = XLSX_HEADER_ROW + 1;
    assert_eq!(text(&r, y, 1), "4.2.3.1");
    assert_eq!(text(&r, y, 3), "適合");
    assert_eq!(number(&r, y, 4), Some(3.0));
    assert_eq!(text(&r, y + 1, 5), TRICKY_NOTE);
    assert_eq!(text(&r, y + 4, 3), "未評価");
}

#[test]
fn xlsx_writes_formula_like_text_as_text() {
    let a = sample("ja");
    let bytes = assessment_xlsx(&a).unwrap();
    let mut wb = open(&bytes);
    let r = wb.worksheet_range("評価結果").unwrap();
    let y = XLSX_HEADER_ROW + 3;
    assert_eq!(
        text(&r, y, 5),
        FORMULA_NOTE,
        "stored verbatim, no apostrophe"
    );
    assert_eq!(text(&r, y, 7), "-");
    let formulas = wb.worksheet_formula("評価結果").unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no formula cells"
    );
    let xml = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(
        !xml.contains("<f>") && !xml.contains("<f "),
        "no formula cells in the sheet XML"
    );
}

#[test]
fn xlsx_layout_freeze_autofilter_widths_and_colours() {
    let a = sample("ja");
    let bytes = assessment_xlsx(&a).unwrap();
    let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
    // Panes frozen below the header row (Excel row 10, so the first scrolling row is 11).
    assert!(sheet.contains(r#"topLeftCell="A11""#), "{sheet}");
    assert!(sheet.contains(r#"state="frozen""#));
    // Autofilter over the header and data rows, columns A–I.
    assert!(sheet.contains(r#"<autoFilter ref="A10:I15"/>"#), "{sheet}");
    // Explicit widths, wider for the CJK text columns.
    assert!(sheet.contains("customWidth=\"1\""));
    // Rows whose wrapped cells span two lines are two lines high (not every reader recomputes
    // row heights); one-line rows keep the default height.
    assert!(
        sheet.contains(r#"<row r="11" spans="1:9" ht="30" customHeight="1">"#),
        "{sheet}"
    );
    assert!(
        sheet.contains(r#"<row r="12" spans="1:9" ht="30" customHeight="1">"#),
        "{sheet}"
    );
    assert!(sheet.contains(r#"<row r="15" spans="1:9">"#), "{sheet}");
    let styles = part(&bytes, "xl/styles.xml");
    for fill in ["FFC6EFCE", "FFFFEB9C", "FFFFC7CE", "FFD9D9D9", "FFD9E1F2"] {
        assert!(styles.contains(fill), "fill {fill} in styles.xml");
    }
    assert!(styles.contains("wrapText=\"1\""));
    // The result cells use four distinct coloured styles and the not-assessed one none of them.
    let style_of = |cell: &str| -> String {
        let at = sheet
            .find(&format!("<c r=\"{cell}\""))
            .unwrap_or_else(|| panic!("{cell}"));
        let rest = &sheet[at..];
        let s = rest.find(" s=\"").unwrap() + 4;
        rest[s..s + rest[s..].find('"').unwrap()].to_owned()
    };
    let styles_used: Vec<String> = (11..=15).map(|r| style_of(&format!("D{r}"))).collect();
    let mut distinct = styles_used.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        5,
        "each result code has its own style: {styles_used:?}"
    );
}

#[test]
fn xlsx_summary_sheet() {
    let a = sample("ja");
    let bytes = assessment_xlsx(&a).unwrap();
    let mut wb = open(&bytes);
    let r = wb.worksheet_range("集計").unwrap();
    assert_eq!(
        [text(&r, 0, 0), text(&r, 0, 1), text(&r, 0, 2)],
        ["評価結果", "件数", "割合"]
    );
    for (i, line) in a.summary.iter().enumerate() {
        let y = 1 + i as u32;
        assert_eq!(text(&r, y, 0), line.label);
        assert_eq!(number(&r, y, 1), Some(f64::from(line.count)));
        let share = number(&r, y, 2).unwrap();
        assert!(
            (share - line.percent / 100.0).abs() < 1e-12,
            "{share} for {}",
            line.percent
        );
    }
    assert_eq!(r.end().unwrap().0, a.summary.len() as u32);
    assert!(part(&bytes, "xl/styles.xml").contains(r#"formatCode="0.0%""#));

    let mut en = open(&assessment_xlsx(&sample("en")).unwrap());
    let r = en.worksheet_range("Summary").unwrap();
    assert_eq!(
        [text(&r, 0, 0), text(&r, 0, 1), text(&r, 0, 2)],
        ["Result", "Count", "Share"]
    );
}

#[test]
fn xlsx_with_no_rows_still_has_its_headers() {
    let mut a = sample("en");
    a.rows.clear();
    a.summary.clear();
    let bytes = assessment_xlsx(&a).unwrap();
    let mut wb = open(&bytes);
    let r = wb.worksheet_range("Results").unwrap();
    assert_eq!(text(&r, XLSX_HEADER_ROW, 1), "要求事項番号");
    assert_eq!(r.end().unwrap().0, XLSX_HEADER_ROW);
    assert!(part(&bytes, "xl/worksheets/sheet1.xml").contains(r#"<autoFilter ref="A10:I10"/>"#));
}

#[test]
fn xlsx_cuts_an_oversized_cell_instead_of_failing() {
    let mut a = sample("ja");
    a.rows[0].notes = "長".repeat(40_000);
    let mut wb = open(&assessment_xlsx(&a).unwrap());
    let r = wb.worksheet_range("評価結果").unwrap();
    let notes = text(&r, XLSX_HEADER_ROW + 1, 5);
    assert!(notes.encode_utf16().count() <= 32_767);
    assert!(notes.starts_with("長長長"));
    assert!(notes.ends_with("CSV には全文があります）"));
    assert!(assessment_csv(&a).contains(&"長".repeat(40_000)));
}

/// RFC 4180, strictly: CRLF line ends only, quotes only around whole fields.
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = s.chars().peekable();
    let mut quoted = false;
    let mut at_field_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                    assert!(
                        matches!(chars.peek(), None | Some(',') | Some('\r')),
                        "a closing quote must end the field"
                    );
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                quoted = true;
                at_field_start = false;
            }
            '"' => panic!("a quote inside an unquoted field"),
            ',' => {
                record.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                at_field_start = true;
            }
            '\n' => panic!("a bare LF outside quotes"),
            _ => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    assert!(!quoted, "unterminated quote");
    assert!(
        field.is_empty() && record.is_empty(),
        "the last line must end with CRLF"
    );
    records
}

#[test]
fn csv_has_bom_crlf_and_the_header_line() {
    let a = sample("ja");
    let csv = assessment_csv(&a);
    assert!(csv.as_bytes().starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM");
    assert!(csv.starts_with(
        "\u{FEFF}条項,要求事項番号,要求事項,評価結果,成熟度,所見,証跡,担当者,期限\r\n"
    ));
    assert!(csv.ends_with("\r\n"));
    // Every LF outside the quoted note is preceded by CR.
    let records = parse_csv(csv.strip_prefix('\u{FEFF}').unwrap());
    assert_eq!(records.len(), 1 + a.rows.len());
    assert_eq!(records[0], ja_columns().in_order());
    assert!(records.iter().all(|r| r.len() == 9));
}

#[test]
fn csv_round_trips_every_row() {
    let a = sample("ja");
    let records = parse_csv(assessment_csv(&a).strip_prefix('\u{FEFF}').unwrap());
    for (row, rec) in a.rows.iter().zip(&records[1..]) {
        let formula_like = |s: &str| {
            matches!(
                s.chars().next(),
                Some('=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠')
            )
        };
        let expect = |s: &str| {
            if formula_like(s) {
                format!("'{s}")
            } else {
                s.to_owned()
            }
        };
        assert_eq!(rec[0], expect(&row.clause));
        assert_eq!(rec[1], row.reference);
        assert_eq!(rec[2], row.title);
        assert_eq!(rec[3], row.result);
        assert_eq!(
            rec[4],
            row.maturity.map(|m| m.to_string()).unwrap_or_default()
        );
        assert_eq!(rec[5], expect(&row.notes));
        assert_eq!(rec[6], row.evidence.join(" | "));
        assert_eq!(rec[7], expect(&row.owner));
        assert_eq!(rec[8], row.due_date);
    }
    // The note with a comma, quotes and a newline comes back whole, and was quoted.
    assert_eq!(records[2][5], TRICKY_NOTE);
    assert!(
        assessment_csv(&a)
            .contains("\"規程は改訂中, 承認待ち。\n担当者曰く \"\"来月\"\" とのこと\"")
    );
    assert_eq!(
        records[1][6],
        "リスク評価手順書 v2 — 文書管理/CSMS/RA-001 | 議事録 2026-09 — SharePoint"
    );
    assert_eq!(records[1][4], "3");
    assert_eq!(records[4][4], "", "no maturity, empty field");
}

#[test]
fn csv_neutralizes_formulas() {
    let mut a = sample("ja");
    let records = parse_csv(assessment_csv(&a).strip_prefix('\u{FEFF}').unwrap());
    assert_eq!(records[3][5], format!("'{FORMULA_NOTE}"));
    assert_eq!(records[3][7], "'-");
    for (i, start) in ["=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"]
        .into_iter()
        .enumerate()
    {
        let n = i % a.rows.len();
        a.rows[n].title = format!("{start}1+1");
        let records = parse_csv(assessment_csv(&a).strip_prefix('\u{FEFF}').unwrap());
        assert_eq!(
            records[1 + i % a.rows.len()][2],
            format!("'{start}1+1"),
            "{start:?}"
        );
    }
    // Full-width signs in every text column are neutralized too.
    a.rows[0].clause = "＝HYPERLINK(\"http://x\")".into();
    a.rows[0].reference = "＋1".into();
    a.rows[0].notes = "－1".into();
    a.rows[0].owner = "＠x".into();
    a.rows[0].evidence = vec!["＝1".into(), "b".into()];
    let records = parse_csv(assessment_csv(&a).strip_prefix('\u{FEFF}').unwrap());
    assert_eq!(records[1][0], "'＝HYPERLINK(\"http://x\")");
    assert_eq!(records[1][1], "'＋1");
    assert_eq!(records[1][5], "'－1");
    assert_eq!(records[1][6], "'＝1 | b");
    assert_eq!(records[1][7], "'＠x");
    // Not at the start: left alone.
    a.rows[0].title = "A=B, +1".into();
    a.rows[0].notes = "A＝B".into();
    let records = parse_csv(assessment_csv(&a).strip_prefix('\u{FEFF}').unwrap());
    assert_eq!(records[1][2], "A=B, +1");
    assert_eq!(records[1][5], "A＝B");
}

#[test]
fn csv_neutralizes_the_header_labels() {
    let mut a = sample("ja");
    a.columns.clause = "=cmd|'/c calc'!A1".into();
    a.columns.title = "＋title".into();
    a.columns.due_date = "@due".into();
    a.columns.owner = "\towner".into();
    let records = parse_csv(assessment_csv(&a).strip_prefix('\u{FEFF}').unwrap());
    assert_eq!(records[0][0], "'=cmd|'/c calc'!A1");
    assert_eq!(
        records[0][1],
        ja_columns().reference,
        "ordinary labels unchanged"
    );
    assert_eq!(records[0][2], "'＋title");
    assert_eq!(records[0][7], "'\towner");
    assert_eq!(records[0][8], "'@due");
}
