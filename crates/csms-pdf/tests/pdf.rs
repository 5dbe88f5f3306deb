//! The PDF engine end to end: documents typeset with the real fonts, read back with
//! `pdftotext` (poppler-utils), which must give the Japanese text intact.

use std::io::Write;
use std::process::Command;

use csms_pdf::{Block, Document, Figure, Lang, Section, Status, Table, TableCell, TableColumn};
use csms_report::heatmap::{self, HeatMap};

/// The text of a PDF as `pdftotext -layout` reads it (fails the test with how to install
/// poppler-utils when the tool is missing).
fn pdf_text(pdf: &[u8]) -> String {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(pdf).expect("write pdf");
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(f.path())
        .arg("-")
        .output()
        .expect("pdftotext runs (apt-get install poppler-utils)");
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 text")
}

/// Pages counted by `pdfinfo`.
fn pages(pdf: &[u8]) -> usize {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(pdf).expect("write pdf");
    let out = Command::new("pdfinfo")
        .arg(f.path())
        .output()
        .expect("pdfinfo runs (apt-get install poppler-utils)");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo names the page count")
}

fn sample(lang: Lang, status: Status) -> Document {
    Document {
        lang,
        organization: "川崎ケミカル株式会社 川崎工場".to_owned(),
        title: "適用宣言書".to_owned(),
        document_id: "SOA-jipdec-csms-2010-v3".to_owned(),
        version: "3".to_owned(),
        status,
        meta: vec![("フレームワーク".to_owned(), "CSMS 認証基準 (IEC 62443-2-1)".to_owned())],
        landscape: false,
        sections: vec![
            Section::new("概要").with(Block::Paragraph {
                text: "制御システムへの不正アクセスにより、反応器の温度制御が停止するリスクを低減する。\n二行目".to_owned(),
            }),
            Section::new("管理策").with(Block::Table(Table {
                columns: vec![
                    TableColumn { name: "番号".to_owned(), width: 1.0 },
                    TableColumn { name: "管理策".to_owned(), width: 4.0 },
                    TableColumn { name: "適用".to_owned(), width: 1.0 },
                ],
                rows: vec![vec![
                    TableCell::text("5.1.1"),
                    TableCell::text("リモートアクセスの管理"),
                    TableCell::coloured("適用", 0xC6EFCE, 0x006100),
                ]],
            })),
        ],
    }
}

#[test]
fn japanese_text_comes_back_intact_with_page_furniture() {
    let doc = sample(
        Lang::Ja,
        Status::Approved {
            by: "山田 太郎".to_owned(),
            at: "2026-11-26 10:00".to_owned(),
        },
    );
    let pdf = csms_pdf::render(&doc).expect("renders");
    assert!(pdf.starts_with(b"%PDF-"), "a PDF file");
    let text = pdf_text(&pdf);
    for expected in [
        "川崎ケミカル株式会社 川崎工場",
        "適用宣言書",
        "制御システムへの不正アクセスにより、反応器の温度制御が停止するリスクを低減する。",
        "リモートアクセスの管理",
        "SOA-jipdec-csms-2010-v3",
        "承認: 山田 太郎（2026-11-26 10:00）",
        "ページ 1 / 1",
        "文書番号",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert!(
        !text.contains("ドラフト"),
        "an approved document is not a draft"
    );
}

#[test]
fn every_page_carries_id_version_approval_and_page_numbers() {
    let mut doc = sample(Lang::En, Status::Draft);
    doc.title = "Statement of Applicability".to_owned();
    let rows: Vec<Vec<TableCell>> = (1..=150)
        .map(|i| {
            vec![
                TableCell::text(format!("5.{i}")),
                TableCell::text(format!("Control number {i} of the long table")),
                TableCell::text("Applicable"),
            ]
        })
        .collect();
    doc.sections
        .push(Section::new("Items").with(Block::Table(Table {
            columns: vec![
                TableColumn {
                    name: "Ref HEADER".to_owned(),
                    width: 1.0,
                },
                TableColumn {
                    name: "Control".to_owned(),
                    width: 4.0,
                },
                TableColumn {
                    name: "Applicable".to_owned(),
                    width: 1.0,
                },
            ],
            rows,
        })));
    let pdf = csms_pdf::render(&doc).expect("renders");
    let n = pages(&pdf);
    assert!(n >= 3, "150 rows take several pages, got {n}");
    let text = pdf_text(&pdf);
    let per_page: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert_eq!(per_page.len(), n);
    for (i, page) in per_page.iter().enumerate() {
        assert!(
            page.contains("SOA-jipdec-csms-2010-v3"),
            "page {}: {page}",
            i + 1
        );
        assert!(page.contains("Version: 3"), "page {}: {page}", i + 1);
        assert!(
            page.contains("DRAFT (not approved)"),
            "page {}: {page}",
            i + 1
        );
        assert!(
            page.contains(&format!("Page {} / {n}", i + 1)),
            "page {}: {page}",
            i + 1
        );
    }
    // The table's header row repeats on the pages the table spans (all but the first).
    let repeated = per_page.iter().filter(|p| p.contains("Ref HEADER")).count();
    assert!(repeated >= n - 1, "header on {repeated} of {n} pages");
}

#[test]
fn typst_markup_in_user_text_is_printed_literally() {
    let nasty = r#"#set page(fill: red) $x^2$ *bold* _em_ [link] \ // comment <label> @ref #("code") ```raw```"#;
    let mut doc = sample(
        Lang::En,
        Status::Current {
            at: "2026-11-26".to_owned(),
        },
    );
    doc.organization = format!("Org {nasty}");
    doc.title = format!("Title {nasty}");
    doc.meta.push((nasty.to_owned(), nasty.to_owned()));
    doc.sections.push(
        Section::new(nasty)
            .with(Block::Subheading {
                text: nasty.to_owned(),
            })
            .with(Block::Paragraph {
                text: nasty.to_owned(),
            })
            .with(Block::KeyValues {
                items: vec![(nasty.to_owned(), nasty.to_owned())],
            })
            .with(Block::Table(Table {
                columns: vec![TableColumn {
                    name: nasty.to_owned(),
                    width: 1.0,
                }],
                rows: vec![
                    vec![TableCell::text(nasty)],
                    vec![TableCell::coloured(nasty, 0xFF0000, 0)],
                ],
            })),
    );
    let pdf = csms_pdf::render(&doc).expect("user text never breaks the template");
    let text = pdf_text(&pdf);
    // pdftotext may wrap long lines; compare without line breaks.
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let needle: String = nasty.split_whitespace().collect::<Vec<_>>().join(" ");
    let count = flat.matches(&needle).count();
    assert!(
        count >= 8,
        "the text appears literally ({count} times) in:\n{text}"
    );
}

#[test]
fn heat_map_svg_is_embedded_with_its_japanese_labels() {
    let map = HeatMap {
        title: "固有リスク".to_owned(),
        likelihood_label: "発生可能性".to_owned(),
        consequence_label: "影響度".to_owned(),
        likelihood_steps: vec!["低".into(), "中".into(), "高".into()],
        consequence_steps: vec!["軽微".into(), "中程度".into(), "重大".into()],
        levels: vec!["低".into(), "中".into(), "高".into()],
        cells: (0..3)
            .map(|l| {
                (0..3)
                    .map(|c| heatmap::Cell {
                        level: (l + c) / 2,
                        count: l + c,
                        href: None,
                    })
                    .collect()
            })
            .collect(),
    };
    let mut doc = sample(Lang::Ja, Status::Draft);
    doc.sections
        .push(Section::new("リスクマップ").with(Block::Figure(Figure {
            svg: heatmap::render(&map),
            caption: "固有リスクのヒートマップ".to_owned(),
            width_percent: 60,
        })));
    let pdf = csms_pdf::render(&doc).expect("renders");
    let text = pdf_text(&pdf);
    assert!(text.contains("固有リスクのヒートマップ"), "{text}");
    // Typst draws an SVG's text as outlines (not extractable); the map itself must be there.
    let plain = csms_pdf::render(&sample(Lang::Ja, Status::Draft)).expect("renders");
    assert!(
        pdf.len() > plain.len() + 2_000,
        "{} vs {}",
        pdf.len(),
        plain.len()
    );
    assert!(text.contains("ドラフト（未承認）"), "{text}");
}

#[test]
fn missing_fonts_are_named_with_the_package() {
    let dir = tempfile::tempdir().expect("dir");
    let err = csms_pdf::fonts::load_from(dir.path()).expect_err("no fonts there");
    let msg = err.to_string();
    assert!(msg.contains("NotoSansCJK-Regular.ttc"), "{msg}");
    assert!(msg.contains("fonts-noto-cjk"), "{msg}");
    assert!(msg.contains("CSMS_FONT_DIR"), "{msg}");
}

#[test]
fn the_font_is_embedded_as_a_subset() {
    let pdf = csms_pdf::render(&sample(Lang::Ja, Status::Draft)).expect("renders");
    // The TTC is about 19 MB; a subset of the glyphs used keeps a short document small.
    assert!(pdf.len() < 400_000, "{} bytes", pdf.len());
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(&pdf).expect("write");
    let out = Command::new("pdffonts")
        .arg(f.path())
        .output()
        .expect("pdffonts runs");
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(list.contains("NotoSansCJK"), "{list}");
    // Subset fonts carry a six-letter tag: ABCDEF+Name.
    assert!(
        list.lines().skip(2).all(|l| l
            .split_whitespace()
            .next()
            .is_some_and(|n| n.get(6..7) == Some("+"))),
        "{list}"
    );
}
