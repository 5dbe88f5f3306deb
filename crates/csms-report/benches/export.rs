//! Export of a 200-requirement assessment, Japanese text: XLSX and CSV.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use csms_report::assessment::{
    AssessmentExport, ExportColumns, ExportRow, SummaryLine, assessment_csv, assessment_xlsx,
};

fn export(rows: usize) -> AssessmentExport {
    let codes = [
        ("適合", "conformant"),
        ("部分適合", "partial"),
        ("不適合", "nonconformant"),
        ("該当なし", "not_applicable"),
        ("未評価", "not_assessed"),
    ];
    AssessmentExport {
        lang: "ja".into(),
        title: "2026年度 CSMS 適合性評価".into(),
        framework: "IEC 62443-2-1:2010".into(),
        organization: "サンプル製作所".into(),
        status: "承認済み 2026-11-26 山田".into(),
        period: "2026-10-01 〜 2026-11-20".into(),
        scope: "本社工場 制御システム".into(),
        assessors: "山田 太郎, 佐藤 花子".into(),
        generated_at: "2026-11-26 16:32".into(),
        columns: ExportColumns {
            clause: "条項".into(),
            reference: "要求事項番号".into(),
            title: "要求事項".into(),
            result: "評価結果".into(),
            maturity: "成熟度".into(),
            notes: "所見".into(),
            evidence: "証跡".into(),
            owner: "担当者".into(),
            due_date: "期限".into(),
        },
        rows: (0..rows)
            .map(|i| {
                let (label, code) = codes[i % codes.len()];
                ExportRow {
                    clause: format!("4.{}.{} リスク特定、分類及び評価", i / 20, i / 5),
                    reference: format!("4.{}.{}.{}", i / 20, i / 5, i % 5),
                    title: "制御システムのリスクを評価し、その結果を文書化する".into(),
                    result: label.into(),
                    result_code: code.into(),
                    maturity: (i % 3 != 0).then_some((i % 5) as i64),
                    notes: "規程は改訂中, 承認待ち。\n担当者曰く \"来月\" とのこと"
                        .repeat(1 + i % 3),
                    evidence: vec![
                        "リスク評価手順書 v2 — 文書管理/CSMS/RA-001".into(),
                        "議事録 2026-09 — SharePoint".into(),
                    ],
                    owner: "山田".into(),
                    due_date: "2027-01-31".into(),
                }
            })
            .collect(),
        summary: codes
            .iter()
            .map(|(label, _)| SummaryLine {
                label: (*label).into(),
                count: (rows / codes.len()) as u32,
                percent: 20.0,
            })
            .collect(),
    }
}

fn bench(c: &mut Criterion) {
    let a = export(200);
    c.bench_function("assessment_xlsx_200_rows", |b| {
        b.iter(|| assessment_xlsx(black_box(&a)).unwrap())
    });
    c.bench_function("assessment_csv_200_rows", |b| {
        b.iter(|| assessment_csv(black_box(&a)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
