//! The demo organization: a fictional Japanese chemical plant, so that a newcomer sees the
//! product with realistic content in one command. It grows with each capability.

use csms_domain::Uuid;
use csms_domain::assessment::{Outcome, ResultInput};
use csms_domain::auth::Role;
use csms_domain::trail::Actor;
use csms_store::Store;
use csms_store::assessment::{NewAssessment, ResultChange};
use csms_store::auth::{NewUser, generate_password};
use csms_store::org::NewOrganization;

pub const DEMO_SLUG: &str = "minato-chemical";

const DESCRIPTION: &str = "みなと化学株式会社 川崎工場（架空のデモ組織）。エチレン誘導品を製造する連続プロセスのプラントで、\
CSMS の適用範囲は製造部の制御システム群：エチレンオキサイド系列の DCS（分散制御システム）、独立した SIS（安全計装システム）、\
ユーティリティ設備（ボイラー・冷却水・受電）の PLC 群、出荷設備のバッチ制御、およびプラント情報管理システム（ヒストリアン）と\
リモート保守用の DMZ。可用性と安全（HSE）を最優先とする。\n\
Minato Chemical Co., Ltd., Kawasaki Works (a fictional demo organization): a continuous-process plant making ethylene \
derivatives. The CSMS scope is the production division's control systems: the ethylene oxide unit's DCS, an independent \
safety instrumented system (SIS), the utility PLCs (boilers, cooling water, power receiving), the shipping batch control, \
and the plant historian with a remote-maintenance DMZ. Availability and health, safety and environment come first.";

/// People of the demo plant and their roles.
const PEOPLE: &[(&str, &str, Role)] = &[
    ("sato", "佐藤 美咲（システム管理者）", Role::Admin),
    ("yamada", "山田 健一（CSMS 責任者）", Role::CsmsManager),
    ("suzuki", "鈴木 大輔（計装エンジニア）", Role::Contributor),
    ("tanaka", "田中 由紀（内部監査員）", Role::Auditor),
    ("kobayashi", "小林 翔（製造課 閲覧者）", Role::Viewer),
];

/// Adds the demo organization and its people if the demo is not there yet.
pub async fn ensure(store: &Store, actor: &Actor) -> anyhow::Result<()> {
    if store.organization_by_slug(DEMO_SLUG).await.is_ok() {
        println!(
            "The demo organization '{DEMO_SLUG}' is already there; reset a demo password with `csms user passwd NAME`."
        );
        return Ok(());
    }
    let org = store
        .create_organization(
            actor,
            NewOrganization {
                slug: DEMO_SLUG.into(),
                name: "みなと化学 川崎工場（デモ） / Minato Chemical Kawasaki Works (demo)".into(),
                description: DESCRIPTION.into(),
                timezone: "Asia/Tokyo".into(),
            },
        )
        .await?;
    // One password for all demo accounts, generated here and shown once: a demo on a real
    // network must not come with a password anyone can read in the source.
    let password = generate_password();
    for (username, display_name, role) in PEOPLE {
        let user = match store.user_by_username(username).await {
            Ok(u) => u,
            Err(_) => {
                store
                    .create_user(
                        actor,
                        NewUser {
                            username: (*username).into(),
                            display_name: (*display_name).into(),
                            email: Some(format!("{username}@minato-chemical.example")),
                            password: password.clone(),
                            must_change_password: false,
                        },
                    )
                    .await?
            }
        };
        store.set_membership(actor, org.id, user.id, *role).await?;
    }
    let yamada = store.user_by_username("yamada").await?;
    let suzuki = store.user_by_username("suzuki").await?;
    let manager = Actor::user(yamada.id, &yamada.username);
    let engineer = Actor::user(suzuki.id, &suzuki.username);
    let plant = crate::demo_plant::add(store, &manager, org.id, yamada.id).await?;
    assessments(store, org.id).await?;
    crate::demo_plant::zone_assessment(store, &engineer, org.id, &plant, suzuki.id).await?;
    crate::demo_plant::risks(store, &manager, &engineer, org.id, &plant, suzuki.id).await?;
    println!("Demo organization '{DEMO_SLUG}' added: {}", org.name);
    println!("Demo accounts (password for all: {password}):");
    for (username, display_name, role) in PEOPLE {
        println!("  {username:<10} {role:<13} {display_name}");
    }
    Ok(())
}

/// A JIPDEC result of the demo: requirement, result, notes (ja), evidence (document, where).
type DemoResult = (
    &'static str,
    Outcome,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The first CSMS self-assessment of the plant, part-way through: the risk analysis is
/// largely done, policies exist, several detailed controls are open.
const CSMS_RESULTS: &[DemoResult] = &[
    (
        "4.2.2.1",
        Outcome::Conformant,
        "事業上の根拠を経営会議（2026-04）で承認。EO 系列停止時の損失と HSE 影響を定量化済み。",
        &[(
            "CSMS-BR-001 CSMS 事業上の根拠",
            "文書管理システム / CSMS / 01_方針",
        )],
    ),
    (
        "4.2.3.1",
        Outcome::Conformant,
        "リスク評価手法を全社リスクマネジメント規程と整合させて制定。",
        &[(
            "CSMS-PRC-010 リスクアセスメント手順書 第2版",
            "文書管理システム / CSMS / 02_手順",
        )],
    ),
    (
        "4.2.3.3",
        Outcome::Conformant,
        "上位レベルのリスク評価を DCS・SIS・ユーティリティ PLC・出荷バッチ・ヒストリアンについて実施。",
        &[(
            "RA-2026-01 上位レベルリスク評価報告書",
            "文書管理システム / CSMS / 04_記録",
        )],
    ),
    (
        "4.2.3.4",
        Outcome::Partial,
        "DCS と SIS の台帳は完成。ユーティリティ PLC のファームウェア版数が未収集（第3四半期に現地調査予定）。",
        &[(
            "INV-2026 IACS 資産台帳（暫定版）",
            "\\\\kawasaki-fs01\\csms\\inventory",
        )],
    ),
    (
        "4.2.3.5",
        Outcome::Conformant,
        "ネットワーク構成図（Purdue レベル 0〜3.5）を作成し、DMZ 経由のリモート保守経路を明記。",
        &[(
            "NW-DIAG-2026-03 制御ネットワーク構成図",
            "文書管理システム / CSMS / 03_図面",
        )],
    ),
    (
        "4.2.3.9",
        Outcome::Partial,
        "詳細リスク評価は EO 系列ゾーンのみ完了。ユーティリティゾーンは 2027 年 1 月までに実施。",
        &[],
    ),
    (
        "4.2.3.10",
        Outcome::Nonconformant,
        "再評価の周期と契機（設備更新、重大インシデント、脅威情報）が規定されていない。",
        &[],
    ),
    (
        "4.3.2.2.1",
        Outcome::Conformant,
        "適用範囲を製造部の制御システム群と定義（CSMS マニュアル 2 章）。",
        &[(
            "CSMS-MAN-001 CSMS マニュアル",
            "文書管理システム / CSMS / 01_方針",
        )],
    ),
    (
        "4.3.2.3.1",
        Outcome::Conformant,
        "工場長がサイバーセキュリティ方針に署名し、年度予算を確保。",
        &[(
            "CSMS-POL-001 制御システム サイバーセキュリティ方針",
            "文書管理システム / CSMS / 01_方針",
        )],
    ),
    (
        "4.3.2.3.2",
        Outcome::Conformant,
        "CSMS 委員会（製造・計装・情報システム・安全環境）を設置。",
        &[(
            "議事録 CSMS 委員会 第1回",
            "文書管理システム / CSMS / 04_記録",
        )],
    ),
    (
        "4.3.2.4.1",
        Outcome::Partial,
        "教育計画は作成済み。協力会社の計装保守員向け教育が未実施。",
        &[(
            "TRN-2026 CSMS 教育計画",
            "文書管理システム / CSMS / 05_教育",
        )],
    ),
    (
        "4.3.2.6.1",
        Outcome::Conformant,
        "方針は ISMS の情報セキュリティ方針と整合させ、可用性と安全を優先する旨を明記。",
        &[(
            "CSMS-POL-001 制御システム サイバーセキュリティ方針",
            "文書管理システム / CSMS / 01_方針",
        )],
    ),
    (
        "4.3.2.6.5",
        Outcome::Conformant,
        "許容リスク水準を 5×5 マトリクスの「中」以下と定め、HSE 影響が「重大」以上は受容不可とした。",
        &[],
    ),
    (
        "5.1.3",
        Outcome::Partial,
        "DCS の事業継続計画はあるが、SIS とユーティリティの復旧手順が未整備。",
        &[(
            "BCP-PLANT-2025 工場 BCP",
            "文書管理システム / 安全環境 / BCP",
        )],
    ),
    (
        "5.3.3",
        Outcome::Conformant,
        "計器室・電気室は IC カードと入退室記録で管理。",
        &[("入退室記録 2026 年度", "入退室管理システム")],
    ),
    (
        "5.4.1",
        Outcome::Conformant,
        "制御ネットワークを情報系からファイアウォールで分離し、DMZ を設置。",
        &[(
            "NW-DIAG-2026-03 制御ネットワーク構成図",
            "文書管理システム / CSMS / 03_図面",
        )],
    ),
    (
        "5.5.7",
        Outcome::Nonconformant,
        "ユーティリティ PLC の一部で保守用の初期パスワードが残存（点検で検出）。",
        &[],
    ),
    (
        "5.6.5",
        Outcome::Partial,
        "リモート保守は DMZ 経由・申請制だが、多要素認証は未導入。",
        &[(
            "CSMS-PRC-030 リモート保守手順",
            "文書管理システム / CSMS / 02_手順",
        )],
    ),
    (
        "5.8.7",
        Outcome::Partial,
        "パッチ適用はベンダー検証済みのもののみ年 2 回の定修時に実施。評価手順が文書化されていない。",
        &[],
    ),
    (
        "5.8.8",
        Outcome::Conformant,
        "ホワイトリスト型のマルウェア対策を EWS と HMI に導入。USB 媒体は検疫端末で検査。",
        &[(
            "CSMS-PRC-031 可搬媒体管理手順",
            "文書管理システム / CSMS / 02_手順",
        )],
    ),
    (
        "5.10.1",
        Outcome::Conformant,
        "インシデント対応計画を制定し、CSIRT と製造の連絡体制を明記。",
        &[(
            "CSMS-PRC-050 インシデント対応手順",
            "文書管理システム / CSMS / 02_手順",
        )],
    ),
    (
        "5.10.11",
        Outcome::Nonconformant,
        "インシデント対応訓練が未実施。",
        &[],
    ),
];

/// ISO/IEC 27001:2022 controls the company-wide ISMS judged not applicable or only partly met.
const ISMS_EXCEPTIONS: &[(&str, Outcome, &str)] = &[
    (
        "A.5.23",
        Outcome::Partial,
        "クラウドサービス利用の規程は改訂中。",
    ),
    (
        "A.7.4",
        Outcome::Partial,
        "物理的セキュリティの監視は本社のみ。工場は 2026 年度に導入予定。",
    ),
    (
        "A.8.28",
        Outcome::NotApplicable,
        "自社でソフトウェア開発を行わないため適用除外（情報システム部の判断、2025-03）。",
    ),
];

/// Adds two assessments: an approved ISMS assessment (ISO/IEC 27001:2022 Annex A) and the
/// first CSMS self-assessment against the JIPDEC criteria, in progress, with evidence.
async fn assessments(store: &Store, org_id: Uuid) -> anyhow::Result<()> {
    let catalogs = csms_catalog::shipped()
        .map_err(|e| anyhow::anyhow!("a shipped catalog is broken: {}", e[0]))?;
    let refs = |id: &str| -> Vec<String> {
        catalogs
            .iter()
            .find(|c| c.framework.id == id)
            .map(|c| c.assessable().map(|n| n.reference.clone()).collect())
            .unwrap_or_default()
    };
    let y = store.user_by_username("yamada").await?;
    let s = store.user_by_username("suzuki").await?;
    let (yamada_id, yamada) = (y.id, Actor::user(y.id, &y.username));
    let (suzuki_id, suzuki) = (s.id, Actor::user(s.id, &s.username));

    // The company-wide ISMS assessment, approved last year.
    let iso_refs = refs("iso27001-2022-annex-a");
    let isms = store
        .create_assessment(
            &yamada,
            org_id,
            NewAssessment {
                framework_id: "iso27001-2022-annex-a".into(),
                title: "ISMS 内部監査 2025（全社） / ISMS internal audit 2025".into(),
                scope: "全社 ISMS（本社・川崎工場の情報系）".into(),
                period_start: Some("2025-04-01".into()),
                period_end: Some("2026-03-31".into()),
                assessors: "情報システム部 内部監査チーム".into(),
            },
            &iso_refs,
        )
        .await?;
    let changes = iso_refs
        .iter()
        .map(|r| {
            let (outcome, notes) = ISMS_EXCEPTIONS
                .iter()
                .find(|(x, _, _)| x == r)
                .map_or((Outcome::Conformant, ""), |(_, o, n)| (*o, *n));
            ResultChange {
                node_ref: r.clone(),
                version: 1,
                outcome,
                input: ResultInput {
                    outcome: Some(outcome),
                    notes: notes.into(),
                    ..Default::default()
                },
            }
        })
        .collect();
    store.set_results(&yamada, org_id, isms.id, changes).await?;
    for r in &iso_refs {
        if !ISMS_EXCEPTIONS
            .iter()
            .any(|(x, o, _)| x == r && *o == Outcome::NotApplicable)
        {
            store
                .add_evidence(
                    &yamada,
                    org_id,
                    isms.id,
                    r,
                    "ISMS 内部監査報告書 2025",
                    "文書管理システム / ISMS / 監査",
                )
                .await?;
        }
    }
    store
        .approve_assessment(
            &yamada,
            org_id,
            isms.id,
            isms.version,
            "2026-04 マネジメントレビューで承認",
        )
        .await?;

    // The first CSMS self-assessment, in progress.
    let csms = store
        .create_assessment(
            &yamada,
            org_id,
            NewAssessment {
                framework_id: "jipdec-csms-2010".into(),
                title: "CSMS 認証準備 初回自己評価 2026 / CSMS readiness self-assessment 2026".into(),
                scope: "製造部 制御システム群（EO 系列 DCS、SIS、ユーティリティ PLC、出荷バッチ、ヒストリアン、保守 DMZ）".into(),
                period_start: Some("2026-04-01".into()),
                period_end: Some("2027-03-31".into()),
                assessors: "山田 健一（CSMS 責任者）\n鈴木 大輔（計装エンジニア）".into(),
            },
            &refs("jipdec-csms-2010"),
        )
        .await?;
    let changes = CSMS_RESULTS
        .iter()
        .map(|(r, o, notes, _)| ResultChange {
            node_ref: (*r).into(),
            version: 1,
            outcome: *o,
            input: ResultInput {
                outcome: Some(*o),
                notes: (*notes).into(),
                owner_id: Some(if r.starts_with('5') {
                    suzuki_id
                } else {
                    yamada_id
                }),
                due_date: (*o != Outcome::Conformant).then(|| "2027-01-31".to_owned()),
                ..Default::default()
            },
        })
        .collect();
    store.set_results(&suzuki, org_id, csms.id, changes).await?;
    for (r, _, _, evidence) in CSMS_RESULTS {
        for (label, location) in *evidence {
            store
                .add_evidence(&suzuki, org_id, csms.id, r, label, location)
                .await?;
        }
    }
    Ok(())
}
