//! Demo controls and Statement of Applicability of issue 6: the demo plant's countermeasures
//! (linked to its zones, risks and JIPDEC clause-5 items), a JIPDEC statement with every
//! clause-5 item decided (reasons in our own words; two justified exclusions), approved once by
//! yamada, and a new draft with changes so the diff between the versions shows something.

use std::collections::HashMap;

use anyhow::Context;
use csms_domain::Uuid;
use csms_domain::control::{ControlStatus, NewControl, RequirementLink};
use csms_domain::soa::{
    Applicability, CandidateNode, ImplStatus, ItemDecision, JIPDEC, NewAdditional, ReasonKind,
    candidates, suggested_status,
};
use csms_domain::trail::Actor;
use csms_store::Store;

use crate::demo_plant::Plant;

struct DemoControl {
    title: &'static str,
    description: &'static str,
    status: ControlStatus,
    due: Option<&'static str>,
    requirements: &'static [&'static str],
    /// Demo risks by the start of their title.
    risks: &'static [&'static str],
    zones: &'static [&'static str],
}

const CONTROLS: &[DemoControl] = &[
    DemoControl {
        title: "ジャンプサーバの多要素認証 / Multi-factor authentication on the jump host",
        description: "リモート保守用ジャンプサーバへのログインにワンタイムパスワードを必須とする。保守ベンダーごとに個人アカウントを発行。\nOne-time passwords required on the remote-maintenance jump host; one personal account per vendor engineer.",
        status: ControlStatus::Implemented,
        due: None,
        requirements: &["5.6.3", "5.6.5"],
        risks: &["リモート保守経路"],
        zones: &["dmz"],
    },
    DemoControl {
        title: "リモート保守の作業承認と時間限定接続 / Ticketed, time-limited remote maintenance",
        description: "保守作業は作業票の承認後にのみ VPN を有効化し、終了時に無効化する。無操作 15 分で切断、5 回の認証失敗でロック。\nThe VPN is enabled only for an approved work ticket and disabled afterwards; 15-minute idle disconnect, lock-out after 5 failed logins.",
        status: ControlStatus::Operating,
        due: None,
        requirements: &["5.6.6", "5.6.7", "5.6.8"],
        risks: &["リモート保守経路"],
        zones: &["dmz"],
    },
    DemoControl {
        title: "ゾーン間通信の許可リスト化 / Allow-listed traffic between zones",
        description: "業務系・DMZ・操業管理・制御系の境界ファイアウォールで、通信を許可リスト方式とし、年 2 回ルールを棚卸しする。\nBoundary firewalls between enterprise, DMZ, operations and control pass only allow-listed traffic; rules reviewed twice a year.",
        status: ControlStatus::Operating,
        due: None,
        requirements: &["5.4.1", "5.4.2", "5.4.3"],
        risks: &["プラント全体の制御停止", "リモート保守経路"],
        zones: &["dmz", "operations", "dcs"],
    },
    DemoControl {
        title: "可搬媒体の持込み管理 / Removable media control",
        description: "制御系端末の USB ポートを閉塞し、媒体は検疫端末でのスキャン後に登録媒体でのみ持ち込む。\nUSB ports of control-system computers are blocked; media enter only as registered media after a scan on the quarantine station.",
        status: ControlStatus::Operating,
        due: None,
        requirements: &["5.8.8"],
        risks: &["エンジニアリング端末のランサムウェア"],
        zones: &["dcs", "sis", "utility"],
    },
    DemoControl {
        title: "エンジニアリング端末のアプリケーション許可リスト / Application allow-listing on engineering workstations",
        description: "エンジニアリング端末と操作端末で、登録済みの実行ファイル以外の起動を禁止する。\nOnly registered executables may start on engineering and operator workstations.",
        status: ControlStatus::Implemented,
        due: None,
        requirements: &["5.8.8"],
        risks: &["エンジニアリング端末のランサムウェア"],
        zones: &["dcs"],
    },
    DemoControl {
        title: "制御系のバックアップとオフライン保管 / Control-system backups kept offline",
        description: "DCS・SIS・ヒストリアンの構成とプロジェクトデータを月次で取得し、媒体を施錠保管庫にオフライン保管。年 1 回リストア試験。\nMonthly backups of DCS, SIS and historian configurations and projects, kept offline in a locked cabinet; a yearly restore test.",
        status: ControlStatus::Operating,
        due: None,
        requirements: &["5.1.6", "5.8.9"],
        risks: &["エンジニアリング端末のランサムウェア", "ヒストリアン停止"],
        zones: &["operations", "dcs", "sis"],
    },
    DemoControl {
        title: "SIS 変更時のキースイッチと二者承認 / Key switch and two-person approval for SIS changes",
        description: "SIS の書込みはキースイッチでのみ可能とし、鍵は当直長が管理。変更は計装課長と CSMS 管理責任者の二者承認。\nSIS writes need the key switch held by the shift supervisor; changes need approval by two people.",
        status: ControlStatus::Operating,
        due: None,
        requirements: &["5.7.4", "5.2.7"],
        risks: &["SIS の設定改ざん"],
        zones: &["sis"],
    },
    DemoControl {
        title: "パッチ評価と適用の手順 / Patch evaluation and deployment",
        description: "ベンダーが検証したパッチを月次で評価し、定修又は計画停止に合わせて適用する。適用できない場合は代替策を記録。\nVendor-validated patches are evaluated monthly and applied at planned outages; compensating measures recorded when a patch cannot be applied.",
        status: ControlStatus::Implemented,
        due: None,
        requirements: &["5.8.7"],
        risks: &["冷却水 PLC", "エンジニアリング端末のランサムウェア"],
        zones: &["dmz", "dcs", "utility"],
    },
    DemoControl {
        title: "冷却水 PLC のファームウェア更新 / Cooling-water PLC firmware upgrade",
        description: "既知の脆弱性がある冷却水 PLC のファームウェアを、2027 年春の定修で更新する。\nUpgrade the cooling-water PLC firmware with the known vulnerability at the spring 2027 turnaround.",
        status: ControlStatus::Planned,
        due: Some("2027-04-30"),
        requirements: &["5.8.7"],
        risks: &["冷却水 PLC"],
        zones: &["utility"],
    },
    DemoControl {
        title: "共用アカウントの廃止 / Personal accounts instead of shared ones",
        description: "操作端末以外の共用アカウントを廃止し、個人アカウントとした。退職・異動時は当日中に無効化し、四半期ごとに棚卸し。\nShared accounts replaced by personal ones (except operator consoles); disabled on the day of leaving, reviewed quarterly.",
        status: ControlStatus::Operating,
        due: None,
        requirements: &["5.5.2", "5.5.5", "5.5.6"],
        risks: &[],
        zones: &["operations", "dcs"],
    },
    DemoControl {
        title: "変更管理と MOC の統合 / Change management joined with MOC",
        description: "制御システムの変更は保安の変更管理(MOC)の様式で申請し、サイバーセキュリティ影響の評価欄を必須とする。\nControl-system changes go through the process-safety MOC form, with a mandatory cyber-security impact section.",
        status: ControlStatus::Operating,
        due: None,
        requirements: &["5.8.2", "5.8.3", "5.8.5"],
        risks: &["SIS の設定改ざん"],
        zones: &["dcs", "sis", "utility"],
    },
    DemoControl {
        title: "インシデント対応手順と年次訓練 / Incident response procedure and yearly drill",
        description: "制御系インシデントの初動・連絡・復旧の手順を定め、年 1 回、運転部門と合同で机上訓練を行う。\nFirst response, escalation and recovery steps for control-system incidents; a yearly table-top drill with operations.",
        status: ControlStatus::Operating,
        due: None,
        requirements: &["5.10.1", "5.10.6", "5.10.11"],
        risks: &["プラント全体の制御停止"],
        zones: &[],
    },
    DemoControl {
        title: "計器室・電気室の入退室管理 / Entry control for control and electrical rooms",
        description: "計器室と電気室は IC カードで入室を記録し、協力会社は社員の同行を条件とする。\nControl and electrical rooms log entry by ID card; contractors enter only escorted.",
        status: ControlStatus::Operating,
        due: None,
        requirements: &["5.3.2", "5.3.3"],
        risks: &["SIS の設定改ざん"],
        zones: &["dcs", "sis"],
    },
];

/// The reason for each clause-5 item in words (our own; applicable items).
const REASONS: &[(&str, &str)] = &[
    (
        "5.1.1",
        "EO 系列の停止は 1 日あたりの損失が大きく、顧客への供給契約もあるため、系統ごとに復旧目標時間を定める。",
    ),
    (
        "5.1.2",
        "DCS・SIS・ユーティリティの停止が操業と保安に与える影響を把握し、復旧の優先順位を決めるため。",
    ),
    (
        "5.1.3",
        "24 時間連続操業を維持し、サイバー攻撃による停止からの計画的な復旧を可能にするため。",
    ),
    (
        "5.1.4",
        "復旧には計装課・生産課・ベンダーの協力が必要であり、事前に体制を決めておく必要がある。",
    ),
    (
        "5.1.5",
        "夜間・休日の発生時にも、当直長が誰に何を依頼するかを迷わず判断できるようにするため。",
    ),
    (
        "5.1.6",
        "ランサムウェアやヒストリアン障害からの復旧には、オフラインのバックアップが不可欠である。",
    ),
    (
        "5.1.7",
        "計画が実際に機能することを確認するため。リストア試験は実施済み、全体訓練は 2027 年度に予定。",
    ),
    (
        "5.2.1",
        "就業規則と協力会社との契約にセキュリティ上の義務を明記する必要があるため。",
    ),
    (
        "5.2.2",
        "制御システムの特権を持つ要員は、採用・配属時に経歴と資格を確認する。",
    ),
    (
        "5.2.4",
        "計装課・生産課の職務記述にセキュリティ上の責任を含め、評価の対象とするため。",
    ),
    (
        "5.2.5",
        "全従業員と協力会社作業員に、年 1 回の教育で期待事項を周知する。",
    ),
    (
        "5.2.6",
        "雇用契約と協力会社との業務委託契約に秘密保持とセキュリティ遵守の条項を置くため。",
    ),
    (
        "5.2.7",
        "SIS の変更など重要な操作を一人で完結させないため、二者承認とする。",
    ),
    (
        "5.3.1",
        "高圧ガス保安法に基づく保安管理と、制御システムの物理的保護を一体で運用するため。",
    ),
    (
        "5.3.2",
        "計器室・電気室・サーバ室を物理的境界とし、入室者を限定する。",
    ),
    (
        "5.3.3",
        "協力会社の出入りが多く、計器室への無断立入りが SIS の改ざんにつながるおそれがあるため。",
    ),
    (
        "5.3.4",
        "臨海部に立地し、塩害・浸水・停電から制御機器を保護する必要があるため。",
    ),
    (
        "5.3.5",
        "入退室手順が守られていることを保安巡回で確認するため。",
    ),
    (
        "5.3.6",
        "制御ネットワークの配線と未使用ポートが、不正な接続点とならないようにするため。",
    ),
    (
        "5.3.7",
        "制御機器の保守をベンダーとの保守契約に基づいて計画的に実施するため。",
    ),
    (
        "5.3.8",
        "計器室への夜間の入室を警備室で監視し、異常時に当直長へ通報するため。",
    ),
    (
        "5.3.9",
        "更新で撤去した端末やディスクから構成情報が流出しないよう、廃棄時の消去を記録する。",
    ),
    (
        "5.3.10",
        "定修中に仮設された端末や開放された盤を、通常時と同等に管理するため。",
    ),
    (
        "5.4.1",
        "業務系・DMZ・操業管理・制御系・SIS をゾーンに分け、境界を明確にするため。",
    ),
    (
        "5.4.2",
        "リスクの高い DCS と SIS を業務系から隔離し、リモート保守経路を DMZ で終端するため。",
    ),
    (
        "5.4.3",
        "境界で不要な通信を遮断し、ランサムウェアの横展開を防ぐため。",
    ),
    ("5.5.1", "職務に応じた最小権限をアカウントに反映するため。"),
    (
        "5.5.2",
        "操作と変更の記録を個人に結び付けるため、共用アカウントを廃止した。",
    ),
    (
        "5.5.3",
        "アカウントの発行を所属長と CSMS 管理責任者の承認制とするため。",
    ),
    (
        "5.5.4",
        "アカウントの台帳を維持し、監査時に確認できるようにするため。",
    ),
    (
        "5.5.5",
        "退職・異動者のアカウントが残らないよう、当日中に無効化するため。",
    ),
    (
        "5.5.6",
        "四半期ごとの棚卸しで、不要な権限を見つけて外すため。",
    ),
    (
        "5.5.7",
        "導入時の初期パスワードのまま稼働している機器をなくすため。",
    ),
    (
        "5.5.8",
        "アカウント管理の手順が守られているかを内部監査で確認するため。",
    ),
    (
        "5.6.1",
        "ゾーンごとに必要な認証の強さを決め、過不足のない対策とするため。",
    ),
    (
        "5.6.2",
        "操作端末を除き、すべての端末で利用前に認証を求めるため。",
    ),
    (
        "5.6.3",
        "エンジニアリング端末とジャンプサーバの管理操作には強固な認証が必要である。",
    ),
    (
        "5.6.4",
        "ドメインコントローラとジャンプサーバのログイン記録を定期的に確認するため。",
    ),
    (
        "5.6.5",
        "ベンダーのリモート保守があり、保守アカウントの窃取が重要なリスクであるため。",
    ),
    (
        "5.6.6",
        "リモート保守を作業票に基づく時間限定の接続に限るため。",
    ),
    ("5.6.7", "リモートからの総当たり攻撃を防ぐため。"),
    (
        "5.6.8",
        "放置されたリモートセッションを第三者に使われないようにするため。",
    ),
    (
        "5.6.9",
        "ヒストリアンと OPC UA ゲートウェイ間の通信を、証明書で相互に認証するため。",
    ),
    (
        "5.7.1",
        "誰が何を操作・変更できるかを、職務に基づいて定めるため。",
    ),
    (
        "5.7.2",
        "制御ステーションと SIS への書込みを、論理的な権限とキースイッチの両方で制限するため。",
    ),
    (
        "5.7.3",
        "運転員・計装技術者・ベンダーの役割ごとに権限を割り当てるため。",
    ),
    (
        "5.7.4",
        "SIS の設定変更は安全機能に直結するため、二者の承認を必要とする。",
    ),
    (
        "5.8.2",
        "制御システムへの変更を記録し、承認なしの変更をなくすため。",
    ),
    ("5.8.3", "変更ごとにセキュリティへの影響を評価するため。"),
    (
        "5.8.4",
        "ベンダーによる改造・保守にも当社のセキュリティ要件を適用するため。",
    ),
    (
        "5.8.5",
        "化学プラントとして保安の変更管理(MOC)が既にあり、サイバーの評価を同じ流れに組み込むため。",
    ),
    (
        "5.8.6",
        "保守の手順を年 1 回見直し、設備の更新に追随させるため。",
    ),
    (
        "5.8.7",
        "既知の脆弱性が残る機器があり、停止計画と合わせたパッチ適用が必要なため。",
    ),
    (
        "5.8.8",
        "可搬媒体経由のマルウェア感染が最も起こりやすい侵入経路であるため。",
    ),
    (
        "5.8.9",
        "バックアップから実際に復元できることを確認しておくため。",
    ),
    (
        "5.9.1",
        "制御システムの構成図やパラメータは、顧客との秘密保持契約の対象情報を含むため。",
    ),
    (
        "5.9.2",
        "全社の情報分類(極秘・社外秘・社内限り・公開)を制御系にも適用するため。",
    ),
    (
        "5.9.3",
        "IACS の文書と記録を分類し、取扱いを決めるため。図面類の分類は作業中。",
    ),
    ("5.9.4", "設備の更新に合わせて分類を見直すため。"),
    (
        "5.10.1",
        "制御系インシデントでの初動の遅れが、保安事故につながるおそれがあるため。",
    ),
    (
        "5.10.2",
        "当直長・計装課・協力会社に対応計画を周知するため。",
    ),
    (
        "5.10.3",
        "運転員が画面の異常に気付いたときの報告先を明確にするため。",
    ),
    ("5.10.4", "年 1 回の教育で、報告すべき事象の例を示すため。"),
    (
        "5.10.5",
        "経済産業省への報告や顧客への連絡を、期限内に行うため。",
    ),
    (
        "5.10.6",
        "インシデントを早期に識別し、該当ゾーンを切り離して被害を抑えるため。",
    ),
    ("5.10.7", "未遂の攻撃も記録し、傾向を把握するため。"),
    (
        "5.10.8",
        "原因分析と再発防止のため、対応の経過を記録するため。",
    ),
    (
        "5.10.9",
        "関係部署・ベンダー・JPCERT/CC と必要な情報を共有するため。",
    ),
    (
        "5.10.10",
        "見つかった問題を是正処置として管理し、完了まで追跡するため。",
    ),
    (
        "5.10.11",
        "対応計画の実効性を確認するため、運転部門と合同で訓練を行う。",
    ),
];

/// The items excluded, with their justification (our own words).
const EXCLUSIONS: &[(&str, &str)] = &[
    (
        "5.2.3",
        "雇用後の定期的な身元の再審査は、個人情報保護及び労務上の制約から実施しない。特権を持つ要員については、5.2.7 の職務分離と年 1 回の誓約書の更新で代替する。",
    ),
    (
        "5.8.1",
        "当工場は制御システムを自社で開発しておらず、セキュリティ機能の定義と試験はベンダーの製品開発の範囲である。調達時の仕様書でベンダーに要求し、受入検査で確認する(5.8.4)。",
    ),
];

/// The items whose implementation is not complete at the first approval.
const STATUSES: &[(&str, ImplStatus)] = &[
    ("5.1.7", ImplStatus::Partial),
    ("5.6.3", ImplStatus::Partial),
    ("5.6.4", ImplStatus::Planned),
    ("5.9.3", ImplStatus::Partial),
];

/// The reasons of an item of clause `5.n` besides risk treatment.
fn clause_reasons(node_ref: &str) -> Vec<ReasonKind> {
    let clause = node_ref.split('.').nth(1).unwrap_or_default();
    match clause {
        "2" | "3" | "9" => vec![ReasonKind::LegalContractual],
        "10" => vec![ReasonKind::LegalContractual, ReasonKind::BusinessNeed],
        _ => vec![ReasonKind::BusinessNeed],
    }
}

fn date(s: &str) -> anyhow::Result<time::Date> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, f).with_context(|| format!("demo date {s}"))
}

/// The JIPDEC statement's items from the shipped catalog.
fn jipdec_refs() -> Vec<String> {
    let catalogs = csms_catalog::shipped().unwrap_or_default();
    let Some(c) = catalogs.iter().find(|c| c.framework.id == JIPDEC) else {
        return Vec::new();
    };
    let kinds: Vec<String> = c
        .nodes
        .iter()
        .map(|n| {
            serde_json::to_value(n.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect();
    let nodes: Vec<CandidateNode<'_>> = c
        .nodes
        .iter()
        .zip(&kinds)
        .map(|(n, k)| CandidateNode {
            reference: &n.reference,
            parent: n.parent.as_deref(),
            kind: k,
            assessable: n.assessable,
        })
        .collect();
    candidates(JIPDEC, &nodes)
}

/// Adds this area's demo content to the demo organization: `manager` is the CSMS manager
/// (yamada), `engineer` a contributor (suzuki).
pub async fn add(
    store: &Store,
    manager: &Actor,
    engineer: &Actor,
    org_id: Uuid,
    plant: &Plant,
) -> anyhow::Result<()> {
    let risks = store.risks(org_id).await?;
    let risk_id = |start: &str| -> anyhow::Result<Uuid> {
        risks
            .iter()
            .find(|r| r.title.starts_with(start))
            .map(|r| r.id)
            .with_context(|| format!("demo risk '{start}'"))
    };
    // The controls.
    let mut controls = Vec::new();
    for c in CONTROLS {
        let control = store
            .create_control(
                engineer,
                org_id,
                NewControl {
                    title: c.title.into(),
                    description: c.description.into(),
                    status: c.status,
                    owner_id: manager.user_id,
                    due_date: c.due.map(date).transpose()?,
                    requirements: c
                        .requirements
                        .iter()
                        .map(|r| RequirementLink {
                            framework: JIPDEC.into(),
                            node_ref: (*r).into(),
                        })
                        .collect(),
                    risk_ids: c
                        .risks
                        .iter()
                        .map(|r| risk_id(r))
                        .collect::<anyhow::Result<_>>()?,
                    zone_ids: c
                        .zones
                        .iter()
                        .map(|z| {
                            plant
                                .zones
                                .get(z)
                                .copied()
                                .with_context(|| format!("demo zone {z}"))
                        })
                        .collect::<anyhow::Result<_>>()?,
                    asset_ids: Vec::new(),
                },
            )
            .await?;
        controls.push(control);
    }

    // The statement: every clause-5 item decided by suzuki.
    let refs = jipdec_refs();
    anyhow::ensure!(!refs.is_empty(), "the JIPDEC catalog lists clause-5 items");
    let draft = store
        .start_soa_draft(engineer, org_id, JIPDEC, &refs)
        .await?;
    let reasons: HashMap<&str, &str> = REASONS.iter().copied().collect();
    let exclusions: HashMap<&str, &str> = EXCLUSIONS.iter().copied().collect();
    let statuses: HashMap<&str, ImplStatus> = STATUSES.iter().copied().collect();
    for item in store.soa_items(org_id, draft.id).await? {
        let r = item.node_ref.as_str();
        let d = if let Some(why) = exclusions.get(r) {
            ItemDecision {
                applicability: Applicability::Excluded,
                exclusion: (*why).into(),
                ..ItemDecision::default()
            }
        } else {
            let linked: Vec<&csms_domain::control::Control> = controls
                .iter()
                .filter(|c| {
                    c.requirements
                        .iter()
                        .any(|l| l.framework == JIPDEC && l.node_ref == r)
                })
                .collect();
            let mut risk_ids: Vec<Uuid> = linked
                .iter()
                .flat_map(|c| c.risk_ids.iter().copied())
                .collect();
            risk_ids.sort();
            risk_ids.dedup();
            let mut kinds = clause_reasons(r);
            if !risk_ids.is_empty() {
                kinds.insert(0, ReasonKind::RiskTreatment);
            }
            let status = statuses.get(r).copied().unwrap_or_else(|| {
                if linked.is_empty() {
                    ImplStatus::Implemented
                } else {
                    suggested_status(&linked.iter().map(|c| c.status).collect::<Vec<_>>())
                }
            });
            ItemDecision {
                applicability: Applicability::Applicable,
                reasons: kinds,
                reason_text: reasons
                    .get(r)
                    .copied()
                    .with_context(|| format!("a demo reason for {r}"))?
                    .into(),
                risk_ids,
                exclusion: String::new(),
                status,
                control_ids: linked.iter().map(|c| c.id).collect(),
            }
        };
        store
            .update_soa_item(engineer, org_id, item.id, item.version, d)
            .await?;
    }

    // Approved once by yamada.
    let yamada = store.user_by_username(&manager.label).await?;
    let row = store.soa_version(org_id, draft.id).await?;
    store
        .approve_soa(
            manager,
            &yamada.display_name,
            org_id,
            draft.id,
            row.version,
            "2026 年度第 1 回マネジメントレビューで承認 / Approved at the first management review of FY2026",
        )
        .await?;

    // A new draft: the jump host's MFA is now in place, and the plant adds its own control.
    let next = store
        .start_soa_draft(engineer, org_id, JIPDEC, &refs)
        .await?;
    let items = store.soa_items(org_id, next.id).await?;
    if let Some(i) = items.iter().find(|i| i.node_ref == "5.6.3") {
        store
            .update_soa_item(
                engineer,
                org_id,
                i.id,
                i.version,
                ItemDecision {
                    status: ImplStatus::Implemented,
                    reason_text: "エンジニアリング端末とジャンプサーバの管理操作には強固な認証が必要である。2026 年 10 月にジャンプサーバの多要素認証を導入済み。".into(),
                    ..i.decision()
                },
            )
            .await?;
    }
    let own = store
        .add_soa_item(
            engineer,
            org_id,
            next.id,
            NewAdditional {
                node_ref: "ORG-1".into(),
                title: "協力会社作業員の入構時セキュリティ教育 / Security briefing for contractors at site entry".into(),
            },
        )
        .await?;
    store
        .update_soa_item(
            engineer,
            org_id,
            own.id,
            own.version,
            ItemDecision {
                applicability: Applicability::Applicable,
                reasons: vec![ReasonKind::BusinessNeed, ReasonKind::LegalContractual],
                reason_text: "定修時には 1 日 300 人を超える協力会社作業員が入構するため、入構教育に可搬媒体と計器室入室のルールを加える。".into(),
                status: ImplStatus::Planned,
                control_ids: controls
                    .iter()
                    .filter(|c| c.title.starts_with("可搬媒体") || c.title.starts_with("計器室"))
                    .map(|c| c.id)
                    .collect(),
                ..ItemDecision::default()
            },
        )
        .await?;
    Ok(())
}
