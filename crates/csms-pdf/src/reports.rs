//! The documents of `csms-report` laid out as PDF [`Document`]s: the risk register (with its
//! heat maps), a conformance assessment, the Statement of Applicability, and any titled table
//! ([`sheet`]). The callers pass the same data the XLSX exports are written from, so a PDF and
//! its workbook cannot disagree.

use csms_report::assessment::AssessmentExport;
use csms_report::heatmap::{self, HeatMap};
use csms_report::soa::SoaReport;
use csms_report::table::{Cell, Sheet};

use crate::model::{Block, Document, Figure, Lang, Section, Status, Table, TableCell, TableColumn};

/// The fixed words these layouts add, per language.
struct Words {
    overview: &'static str,
    heat_maps: &'static str,
    register: &'static str,
    details: &'static str,
    results: &'static str,
    summary: &'static str,
    count: &'static str,
    share: &'static str,
    items: &'static str,
    additional: &'static str,
    additional_mark: &'static str,
}

const JA: Words = Words {
    overview: "概要",
    heat_maps: "リスクマップ",
    register: "リスク一覧",
    details: "リスクの詳細",
    results: "評価結果",
    summary: "集計",
    count: "件数",
    share: "割合",
    items: "管理策ごとの適用宣言",
    additional: "組織独自の追加管理策",
    additional_mark: "（追加）",
};

const EN: Words = Words {
    overview: "Overview",
    heat_maps: "Heat maps",
    register: "Register",
    details: "Risk details",
    results: "Results",
    summary: "Summary",
    count: "Count",
    share: "Share",
    items: "Statement per control",
    additional: "Additional controls of the organization",
    additional_mark: " (additional)",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
    }
}

fn cell(c: &Cell) -> TableCell {
    match c {
        Cell::Text(t) => TableCell::text(t.clone()),
        Cell::Number(n) => TableCell::text(n.to_string()),
        Cell::Coloured { text, fill, font } => TableCell::coloured(text.clone(), *fill, *font),
        Cell::Empty => TableCell::text(String::new()),
    }
}

/// A row cut or padded to `n` cells (the template lays cells out in order).
fn fit_row(mut row: Vec<TableCell>, n: usize) -> Vec<TableCell> {
    row.truncate(n);
    while row.len() < n {
        row.push(TableCell::text(String::new()));
    }
    row
}

/// A table from columns (name, relative width) and rows, every row made `columns` wide.
pub fn table(columns: Vec<(String, f64)>, rows: Vec<Vec<TableCell>>) -> Table {
    let n = columns.len();
    Table {
        columns: columns
            .into_iter()
            .map(|(name, width)| TableColumn {
                name,
                width: if width.is_finite() && width > 0.0 {
                    width
                } else {
                    1.0
                },
            })
            .collect(),
        rows: rows.into_iter().map(|r| fit_row(r, n)).collect(),
    }
}

/// A sheet's whole table (every column, the sheet's widths).
pub fn sheet_table(sheet: &Sheet) -> Table {
    table(
        sheet
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.width))
            .collect(),
        sheet
            .rows
            .iter()
            .map(|r| r.iter().map(cell).collect())
            .collect(),
    )
}

/// A titled table as a document: the sheet's title, its header lines in the title block, one
/// section with the table. Landscape when it has more than six columns.
pub fn sheet(
    lang: Lang,
    sheet: &Sheet,
    organization: &str,
    document_id: &str,
    version: &str,
    status: Status,
    heading: &str,
) -> Document {
    Document {
        lang,
        organization: organization.to_owned(),
        title: sheet.title.clone(),
        document_id: document_id.to_owned(),
        version: version.to_owned(),
        status,
        meta: sheet.header.clone(),
        landscape: sheet.columns.len() > 6,
        sections: vec![Section::new(heading).with(Block::Table(sheet_table(sheet)))],
    }
}

/// The risk register: the heat maps (inherent, residual), a table of every risk with the
/// title and the short columns (code, kind, levels, treatment, owner, dates), then each risk
/// in full (every non-empty column as label and value).
///
/// `sheet` is the register's sheet as the XLSX export builds it; the register is a live record,
/// so the status is "as of" `as_of`.
pub fn register(
    lang: Lang,
    sheet: &Sheet,
    organization: &str,
    document_id: &str,
    as_of: &str,
    maps: &[&HeatMap],
) -> Document {
    let w = words(lang);
    let mut sections = Vec::new();
    if !maps.is_empty() {
        let mut s = Section::new(w.heat_maps);
        for m in maps {
            s.blocks.push(Block::Figure(Figure {
                svg: heatmap::render(m),
                caption: m.title.clone(),
                width_percent: 70,
            }));
        }
        sections.push(s);
    }
    // The summary keeps the title (column 1) and the columns the workbook does not wrap: the
    // short ones (codes, levels, names, dates).
    let picked: Vec<usize> = sheet
        .columns
        .iter()
        .enumerate()
        .filter(|(i, c)| *i == 1 || !c.wrap)
        .map(|(i, _)| i)
        .collect();
    let summary = table(
        picked
            .iter()
            .map(|&i| {
                let c = &sheet.columns[i];
                (c.name.clone(), if i == 1 { c.width * 2.0 } else { c.width })
            })
            .collect(),
        sheet
            .rows
            .iter()
            .map(|r| {
                picked
                    .iter()
                    .map(|&i| r.get(i).map_or_else(|| TableCell::text(""), cell))
                    .collect()
            })
            .collect(),
    );
    sections.push(Section::new(w.register).with(Block::Table(summary)));
    let mut details = Section::new(w.details);
    for r in &sheet.rows {
        let title = [r.first(), r.get(1)]
            .into_iter()
            .flatten()
            .map(|c| cell(c).as_text().to_owned())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        details.blocks.push(Block::Subheading { text: title });
        let items = sheet
            .columns
            .iter()
            .zip(r.iter())
            .skip(2)
            .map(|(c, v)| (c.name.clone(), cell(v).as_text().to_owned()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        details.blocks.push(Block::KeyValues { items });
    }
    if !sheet.rows.is_empty() {
        sections.push(details);
    }
    Document {
        lang,
        organization: organization.to_owned(),
        title: sheet.title.clone(),
        document_id: document_id.to_owned(),
        version: as_of.to_owned(),
        status: Status::Current {
            at: as_of.to_owned(),
        },
        meta: sheet.header.clone(),
        landscape: true,
        sections,
    }
}

/// A result's colours (fill, text) by the domain's outcome code, as in the XLSX export.
fn result_colours(code: &str) -> Option<(u32, u32)> {
    match code {
        "conformant" => Some((0xC6EFCE, 0x006100)),
        "partial" => Some((0xFFEB9C, 0x9C5700)),
        "nonconformant" => Some((0xFFC7CE, 0x9C0006)),
        "not_applicable" => Some((0xD9D9D9, 0x3F3F3F)),
        _ => None,
    }
}

/// A conformance assessment: the overview (the export's header lines and the result counts),
/// then the results clause by clause.
///
/// `approval` is the assessment's state: `Approved` once approved (it is then locked), else
/// `Draft`.
pub fn assessment(
    a: &AssessmentExport,
    document_id: &str,
    version: &str,
    approval: Status,
) -> Document {
    let lang = Lang::from_code(&a.lang);
    let w = words(lang);
    let (fw, org, st, period, scope, assessors, generated) = if lang == Lang::Ja {
        (
            "フレームワーク",
            "組織",
            "状態",
            "評価期間",
            "適用範囲",
            "評価者",
            "出力日時",
        )
    } else {
        (
            "Framework",
            "Organization",
            "Status",
            "Period",
            "Scope",
            "Assessors",
            "Generated",
        )
    };
    let mut overview = Section::new(w.overview).with(Block::KeyValues {
        items: vec![
            (fw.to_owned(), a.framework.clone()),
            (org.to_owned(), a.organization.clone()),
            (st.to_owned(), a.status.clone()),
            (period.to_owned(), a.period.clone()),
            (scope.to_owned(), a.scope.clone()),
            (assessors.to_owned(), a.assessors.clone()),
            (generated.to_owned(), a.generated_at.clone()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect(),
    });
    overview.blocks.push(Block::Subheading {
        text: w.summary.to_owned(),
    });
    overview.blocks.push(Block::Table(table(
        vec![
            (a.columns.result.clone(), 3.0),
            (w.count.to_owned(), 1.0),
            (w.share.to_owned(), 1.0),
        ],
        a.summary
            .iter()
            .map(|s| {
                vec![
                    TableCell::text(s.label.clone()),
                    TableCell::text(s.count.to_string()),
                    TableCell::text(format!("{:.1} %", s.percent)),
                ]
            })
            .collect(),
    )));
    let c = &a.columns;
    let columns = vec![
        (c.reference.clone(), 1.2),
        (c.title.clone(), 3.5),
        (c.result.clone(), 1.3),
        (c.maturity.clone(), 0.8),
        (c.notes.clone(), 4.0),
        (c.evidence.clone(), 3.0),
        (c.owner.clone(), 1.3),
        (c.due_date.clone(), 1.1),
    ];
    let mut results = Section::new(w.results);
    let mut clause: Option<&str> = None;
    let mut rows: Vec<Vec<TableCell>> = Vec::new();
    let flush = |results: &mut Section, clause: Option<&str>, rows: &mut Vec<Vec<TableCell>>| {
        if rows.is_empty() {
            return;
        }
        if let Some(cl) = clause.filter(|c| !c.is_empty()) {
            results.blocks.push(Block::Subheading {
                text: cl.to_owned(),
            });
        }
        results
            .blocks
            .push(Block::Table(table(columns.clone(), std::mem::take(rows))));
    };
    for r in &a.rows {
        if clause != Some(r.clause.as_str()) {
            flush(&mut results, clause, &mut rows);
            clause = Some(r.clause.as_str());
        }
        let result = match result_colours(&r.result_code) {
            Some((fill, ink)) => TableCell::coloured(r.result.clone(), fill, ink),
            None => TableCell::text(r.result.clone()),
        };
        rows.push(vec![
            TableCell::text(r.reference.clone()),
            TableCell::text(r.title.clone()),
            result,
            TableCell::text(r.maturity.map(|m| m.to_string()).unwrap_or_default()),
            TableCell::text(r.notes.clone()),
            TableCell::text(r.evidence.join("\n")),
            TableCell::text(r.owner.clone()),
            TableCell::text(r.due_date.clone()),
        ]);
    }
    flush(&mut results, clause, &mut rows);
    Document {
        lang,
        organization: a.organization.clone(),
        title: a.title.clone(),
        document_id: document_id.to_owned(),
        version: version.to_owned(),
        status: approval,
        meta: vec![(fw.to_owned(), a.framework.clone())],
        landscape: true,
        sections: vec![overview, results],
    }
}

/// The Statement of Applicability: the header block and the summary, then one row per item
/// (the framework's items, then the organization's additional controls).
pub fn soa(lang: Lang, r: &SoaReport) -> Document {
    let w = words(lang);
    let l = &r.labels;
    let mut overview_items = vec![
        (l.organization.clone(), r.organization.clone()),
        (l.framework.clone(), r.framework.clone()),
        (l.version.clone(), r.version.clone()),
        (l.status.clone(), r.status.clone()),
    ];
    if r.approved {
        overview_items.push((l.approved_by.clone(), r.approved_by.clone()));
        overview_items.push((l.approved_at.clone(), r.approved_at.clone()));
    }
    if !r.note.is_empty() {
        overview_items.push((l.note.clone(), r.note.clone()));
    }
    overview_items.push((l.generated.clone(), r.generated_at.clone()));
    overview_items.push((l.summary.clone(), r.summary.clone()));
    let columns = vec![
        (l.col_ref.clone(), 1.0),
        (l.col_title.clone(), 3.0),
        (l.col_applicable.clone(), 1.1),
        (l.col_reasons.clone(), 3.6),
        (l.col_exclusion.clone(), 2.6),
        (l.col_status.clone(), 1.3),
        (l.col_controls.clone(), 2.4),
        (l.col_evidence.clone(), 2.4),
    ];
    let row = |i: &csms_report::soa::SoaRow| {
        let applicability = match i.applicable {
            Some(true) => TableCell::coloured(i.applicability.clone(), 0xC6EFCE, 0x006100),
            Some(false) => TableCell::coloured(i.applicability.clone(), 0xD9D9D9, 0x3F3F3F),
            None => TableCell::coloured(i.applicability.clone(), 0xFFEB9C, 0x9C5700),
        };
        vec![
            TableCell::text(i.reference.clone()),
            TableCell::text(if i.additional {
                format!("{}{}", i.title, w.additional_mark)
            } else {
                i.title.clone()
            }),
            applicability,
            TableCell::text(i.reasons.clone()),
            TableCell::text(i.exclusion.clone()),
            TableCell::text(i.status.clone()),
            TableCell::text(i.controls.clone()),
            TableCell::text(i.evidence.clone()),
        ]
    };
    let framework_rows: Vec<_> = r.rows.iter().filter(|i| !i.additional).map(row).collect();
    let additional_rows: Vec<_> = r.rows.iter().filter(|i| i.additional).map(row).collect();
    let mut items =
        Section::new(w.items).with(Block::Table(table(columns.clone(), framework_rows)));
    if !additional_rows.is_empty() {
        items.blocks.push(Block::Subheading {
            text: w.additional.to_owned(),
        });
        items
            .blocks
            .push(Block::Table(table(columns, additional_rows)));
    }
    Document {
        lang,
        organization: r.organization.clone(),
        title: l.title.clone(),
        document_id: r.document_id.clone(),
        version: r.version.clone(),
        status: if r.approved {
            Status::Approved {
                by: r.approved_by.clone(),
                at: r.approved_at.clone(),
            }
        } else {
            Status::Draft
        },
        meta: vec![(l.framework.clone(), r.framework.clone())],
        landscape: true,
        sections: vec![
            Section::new(w.overview).with(Block::KeyValues {
                items: overview_items,
            }),
            items,
        ],
    }
}
