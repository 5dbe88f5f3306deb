//! The Statement of Applicability of 200 items (issue 6 acceptance): its XLSX under 300 ms and
//! its PDF under 2 s. Run with `cargo bench -p csms-pdf --bench soa`.

use criterion::{Criterion, criterion_group, criterion_main};
use csms_pdf::Lang;
use csms_report::soa::{SoaLabels, SoaReport, SoaRow};

fn report(items: usize) -> SoaReport {
    let labels = SoaLabels {
        title: "適用宣言書".into(),
        sheet: "適用宣言書".into(),
        organization: "組織".into(),
        framework: "フレームワーク".into(),
        version: "版".into(),
        status: "状態".into(),
        approved_by: "承認者".into(),
        approved_at: "承認日時".into(),
        note: "承認コメント".into(),
        generated: "出力日時".into(),
        summary: "項目数".into(),
        col_ref: "番号".into(),
        col_title: "管理策".into(),
        col_applicable: "適用".into(),
        col_reasons: "適用の理由".into(),
        col_exclusion: "除外の理由".into(),
        col_status: "実施状況".into(),
        col_controls: "管理策（実施）".into(),
        col_evidence: "証拠".into(),
        truncated: "…（以下省略）".into(),
    };
    let rows = (0..items)
        .map(|i| {
            let applicable = i % 9 != 0;
            SoaRow {
                reference: format!("5.{}.{}", i / 10 + 1, i % 10 + 1),
                title: format!("制御システムへのリモートアクセスの管理と監視（項目 {i}）"),
                additional: i >= items - 5,
                applicable: Some(applicable),
                applicability: if applicable { "適用" } else { "除外" }.into(),
                reasons: if applicable {
                    "リスク: R-0012 リモート保守回線からの不正侵入\n法令・契約: 高圧ガス保安法に基づく保安規程\n事業上の必要: 24時間連続運転の維持".into()
                } else {
                    String::new()
                },
                exclusion: if applicable {
                    String::new()
                } else {
                    "無線 LAN を制御ネットワークに使用していないため対象外".into()
                },
                status: "実施済み".into(),
                controls: "C-0003 リモートアクセスゲートウェイ\nC-0007 多要素認証".into(),
                evidence: "DOC-0004 リモートアクセス手順書 v2".into(),
            }
        })
        .collect();
    SoaReport {
        labels,
        organization: "川崎ケミカル株式会社 川崎工場".into(),
        framework: "CSMS 認証基準 (IEC 62443-2-1)".into(),
        framework_id: "jipdec-csms-2010".into(),
        version: "3".into(),
        version_number: Some(3),
        status: "承認済み".into(),
        approved: true,
        approved_by: "山田 太郎".into(),
        approved_at: "2026-11-26 10:00".into(),
        note: "第3版".into(),
        generated_at: "2026-11-26 10:05".into(),
        document_id: csms_report::soa::document_id("jipdec-csms-2010", Some(3)),
        summary: format!("{items} 項目"),
        rows,
    }
}

fn soa(c: &mut Criterion) {
    let r = report(200);
    // Load the fonts once outside the measurement (a server does it once per process).
    csms_pdf::check_fonts().expect("fonts");
    let mut g = c.benchmark_group("soa-200");
    g.sample_size(10);
    g.bench_function("xlsx", |b| {
        b.iter(|| csms_report::soa::soa_xlsx(&r).expect("xlsx"))
    });
    g.bench_function("pdf", |b| {
        b.iter(|| csms_pdf::render(&csms_pdf::reports::soa(Lang::Ja, &r)).expect("pdf"))
    });
    g.finish();
}

criterion_group!(benches, soa);
criterion_main!(benches);
