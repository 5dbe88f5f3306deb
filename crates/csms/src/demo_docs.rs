//! Demo documents of issue 6: approved policies, procedures, a plan and a record of the demo
//! plant, each with a small generated file (plain text, or a minimal valid PDF), written by
//! suzuki, approved by yamada, and linked as evidence to JIPDEC CSMS requirements and to the
//! demo risks.

use csms_domain::Uuid;
use csms_domain::document::{
    DocType, EvidenceTarget, NewDocument, Transition, default_classifications,
};
use csms_domain::trail::Actor;
use csms_store::Store;
use csms_store::blob::BlobStore;

use crate::demo_plant::Plant;

/// The JIPDEC catalog the links name.
const JIPDEC: &str = "jipdec-csms-2010";

struct Doc {
    title: &'static str,
    doc_type: DocType,
    /// Index into the default classification labels.
    class: usize,
    review_months: i64,
    body: &'static str,
    pdf: bool,
    requirements: &'static [&'static str],
    /// Risks linked: the first `n` risks of the register.
    risks: usize,
}

const DOCS: &[Doc] = &[
    Doc {
        title: "CSMS基本方針 / CSMS policy",
        doc_type: DocType::Policy,
        class: 1,
        review_months: 12,
        body: "CSMS基本方針\n\n湊化学株式会社 鹿島工場は、制御システムのセキュリティを操業の安全と安定供給の前提と位置づけ、IEC 62443-2-1 に基づく CSMS を確立し、維持し、継続的に改善する。\n\n1. 経営者は CSMS の責任者として CSMS 管理責任者を任命する。\n2. 制御システムのリスクを定期的に評価し、許容水準を超えるリスクを低減する。\n3. 従業員及び協力会社に必要な教育を行う。\n4. 法令及び顧客との契約上の要求事項を順守する。\n\nCSMS policy of the Kashima plant: control-system security is a precondition of safe operation; the CSMS is established, maintained and improved after IEC 62443-2-1.\n",
        pdf: true,
        requirements: &["4.3.2.6", "4.3.2.6.1", "4.3.2.3.1"],
        risks: 0,
    },
    Doc {
        title: "リスクアセスメント手順書 / Risk assessment procedure",
        doc_type: DocType::Procedure,
        class: 1,
        review_months: 12,
        body: "リスクアセスメント手順書\n\n1. 対象: 鹿島工場の全制御システム(DCS、SIS、エンジニアリング端末、リモート保守経路)。\n2. 実施時期: 年1回及び重大な変更の前。\n3. 手順: 資産の特定、脅威と脆弱性の洗い出し、発生可能性と影響度(5段階)の評価、対策の決定、残留リスクの受容。\n4. 記録: リスク台帳に登録し、CSMS 管理責任者が承認する。\n\nRisk assessment procedure: yearly and before major changes; likelihood and consequence on 5-point scales; results in the risk register.\n",
        pdf: false,
        requirements: &["4.2.3.1", "4.2.3.7", "4.2.3.9"],
        risks: 3,
    },
    Doc {
        title: "インシデント対応手順書 / Incident response procedure",
        doc_type: DocType::Procedure,
        class: 0,
        review_months: 12,
        body: "インシデント対応手順書\n\n1. 検知: 運転員又は監視システムが異常を検知したら当直長に報告する。\n2. 初動: 影響範囲を確認し、必要に応じて該当ゾーンの外部接続を遮断する(SIS は独立して安全側に動作する)。\n3. 連絡: CSMS 管理責任者、制御システムベンダー、必要に応じて JPCERT/CC に連絡する。\n4. 復旧と教訓: 復旧手順に従い、事後レビューで再発防止策を決める。\n\nIncident response: detect, contain (isolate the zone), notify, recover, learn.\n",
        pdf: false,
        requirements: &["4.3.4.5", "4.3.4.5.1"],
        risks: 1,
    },
    Doc {
        title: "パッチ管理手順書 / Patch management procedure",
        doc_type: DocType::Procedure,
        class: 1,
        review_months: 12,
        body: "パッチ管理手順書\n\n1. ベンダーの適合確認済みパッチのみを適用する。\n2. 適用前に検証環境で確認し、定期修理又は計画停止時に適用する。\n3. 適用できない場合は代替対策(アクセス制限、監視強化)をリスク台帳に記録する。\n\nPatch management: vendor-qualified patches only, tested first, applied in planned outages; compensating controls recorded when a patch cannot be applied.\n",
        pdf: false,
        requirements: &["4.3.4.3", "4.3.4.3.7"],
        risks: 2,
    },
    Doc {
        title: "教育訓練記録 2026年度 / Training record FY2026",
        doc_type: DocType::Record,
        class: 1,
        review_months: 0,
        body: "教育訓練記録 2026年度\n\n2026-06-12 CSMS 基礎教育(運転課 24 名、計装課 9 名)\n2026-07-03 USB メモリ取扱い訓練(協力会社 12 名)\n2026-09-18 インシデント対応机上訓練(当直長 6 名、CSMS 事務局 3 名)\n\nTraining record FY2026: basic CSMS training, removable media handling, tabletop incident exercise.\n",
        pdf: false,
        requirements: &["4.3.2.4", "4.3.2.4.1"],
        risks: 0,
    },
];

/// Adds this area's demo content to the demo organization: `manager` is the CSMS manager
/// (yamada), `engineer` a contributor (suzuki).
pub async fn add(
    store: &Store,
    manager: &Actor,
    engineer: &Actor,
    org_id: Uuid,
    plant: &Plant,
) -> anyhow::Result<()> {
    add_to(
        &crate::config::attachments(),
        store,
        manager,
        engineer,
        org_id,
        plant,
    )
    .await
}

/// [`add`] with the attachment store named.
pub async fn add_to(
    blobs: &BlobStore,
    store: &Store,
    manager: &Actor,
    engineer: &Actor,
    org_id: Uuid,
    _plant: &Plant,
) -> anyhow::Result<()> {
    let labels = default_classifications();
    let risks = store.risks(org_id).await?;
    let catalog_refs = known_refs();
    for d in DOCS {
        let doc = store
            .create_document(
                engineer,
                org_id,
                NewDocument {
                    title: d.title.into(),
                    doc_type: d.doc_type,
                    classification: labels[d.class].clone(),
                    owner_id: manager.user_id,
                    review_months: d.review_months,
                    retention_months: 60,
                },
            )
            .await?;
        let (bytes, name) = if d.pdf {
            (tiny_pdf(d.body), format!("{}.pdf", doc.code))
        } else {
            (d.body.as_bytes().to_vec(), format!("{}.txt", doc.code))
        };
        let blob = blobs.put(&bytes).await?;
        let v = store
            .add_document_version(
                engineer,
                org_id,
                doc.id,
                doc.version,
                &blob,
                &name,
                "初版 / first issue",
            )
            .await?;
        let doc = store.document(org_id, doc.id).await?;
        store
            .transition_document_version(
                engineer,
                org_id,
                doc.id,
                v.id,
                doc.version,
                Transition::Submit,
            )
            .await?;
        let doc = store.document(org_id, doc.id).await?;
        store
            .transition_document_version(
                manager,
                org_id,
                doc.id,
                v.id,
                doc.version,
                Transition::Approve,
            )
            .await?;
        for r in d
            .requirements
            .iter()
            .filter(|r| catalog_refs.iter().any(|k| k == *r))
        {
            store
                .add_evidence_link(
                    engineer,
                    org_id,
                    doc.id,
                    &EvidenceTarget::Requirement {
                        framework: JIPDEC.into(),
                        node_ref: (*r).into(),
                    },
                )
                .await?;
        }
        for risk in risks.iter().take(d.risks) {
            store
                .add_evidence_link(engineer, org_id, doc.id, &EvidenceTarget::Risk(risk.id))
                .await?;
        }
    }
    Ok(())
}

/// The refs of the shipped JIPDEC catalog (links are made only to refs that exist).
fn known_refs() -> Vec<String> {
    csms_catalog::shipped()
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.framework.id == JIPDEC)
        .map(|c| c.nodes.into_iter().map(|n| n.reference).collect())
        .unwrap_or_default()
}

/// A minimal valid one-page PDF carrying `text` (ASCII lines of it; the Japanese original is in
/// the text files): enough for a viewer to open and for `pdftotext` to read.
pub fn tiny_pdf(text: &str) -> Vec<u8> {
    let lines: Vec<String> = text
        .lines()
        .filter(|l| l.is_ascii() && !l.trim().is_empty())
        .map(|l| {
            l.replace('\\', "\\\\")
                .replace('(', "\\(")
                .replace(')', "\\)")
        })
        .collect();
    let mut content = String::from("BT /F1 11 Tf 56 780 Td 14 TL\n");
    for l in lines {
        for part in l.as_bytes().chunks(90) {
            content.push_str(&format!("({}) '\n", String::from_utf8_lossy(part)));
        }
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
    ];
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}
