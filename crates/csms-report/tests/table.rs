//! Titled tables read back: the XLSX with calamine, the CSV as text.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use csms_report::register::{level_cell, workbook};
use csms_report::table::{self, Cell, Column, Sheet};

fn sheet() -> Sheet {
    Sheet {
        name: "リスク台帳".into(),
        title: "リスク台帳 / Risk register".into(),
        header: vec![
            ("組織".into(), "みなと化学".into()),
            ("出力日時".into(), "2026-11-26 19:00".into()),
        ],
        columns: vec![
            Column {
                name: "番号".into(),
                width: 10.0,
                wrap: false,
            },
            Column {
                name: "タイトル".into(),
                width: 30.0,
                wrap: true,
            },
            Column {
                name: "レベル".into(),
                width: 10.0,
                wrap: false,
            },
            Column {
                name: "件数".into(),
                width: 8.0,
                wrap: false,
            },
        ],
        rows: vec![
            vec![
                Cell::text("R-0001"),
                Cell::text("=HYPERLINK(\"http://evil\")"),
                level_cell("高", 2, 4),
                Cell::Number(3.0),
            ],
            vec![
                Cell::text("R-0002"),
                Cell::text("エンジニアリング端末のランサムウェア感染\nバッチ制御停止"),
                level_cell("低", 0, 4),
                Cell::Empty,
            ],
        ],
    }
}

#[test]
fn xlsx_has_the_header_block_and_one_row_per_entry() {
    let bytes = workbook(&[sheet()], "ja").unwrap();
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), vec!["リスク台帳".to_owned()]);
    let range = wb.worksheet_range("リスク台帳").unwrap();
    let text = |r: u32, c: u32| match range.get_value((r, c)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Float(f)) => f.to_string(),
        _ => String::new(),
    };
    assert_eq!(text(0, 0), "リスク台帳 / Risk register");
    assert_eq!(text(1, 0), "組織");
    assert_eq!(text(1, 1), "みなと化学");
    // Two header lines, an empty row, then the column headers on row 4.
    assert_eq!(text(4, 0), "番号");
    assert_eq!(text(5, 0), "R-0001");
    // A formula-looking text is stored as a string, not a formula.
    assert_eq!(text(5, 1), "=HYPERLINK(\"http://evil\")");
    assert_eq!(text(5, 2), "高");
    assert_eq!(text(5, 3), "3");
    assert!(text(6, 1).contains("バッチ制御停止"));
    assert_eq!(text(7, 0), "");
}

#[test]
fn a_bad_sheet_name_is_named_in_the_error() {
    let mut s = sheet();
    s.name = "bad/name".into();
    let e = workbook(&[s], "en").unwrap_err().to_string();
    assert!(e.contains("bad/name"), "{e}");
}

#[test]
fn csv_is_utf8_with_bom_crlf_and_neutralized_formulas() {
    let csv = table::csv(&sheet());
    assert!(csv.starts_with('\u{FEFF}'));
    let lines: Vec<&str> = csv.trim_start_matches('\u{FEFF}').split("\r\n").collect();
    assert_eq!(lines[0], "番号,タイトル,レベル,件数");
    assert_eq!(lines[1], "R-0001,\"'=HYPERLINK(\"\"http://evil\"\")\",高,3");
    assert!(lines[2].starts_with("R-0002,\"エンジニアリング端末"));
    assert_eq!(csv.matches("\r\n").count(), 3, "{csv:?}");
}
