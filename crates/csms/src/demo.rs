//! The demo organization: a fictional Japanese chemical plant, so that a newcomer sees the
//! product with realistic content in one command. It grows with each capability.

use csms_domain::auth::Role;
use csms_domain::trail::Actor;
use csms_store::Store;
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
    println!("Demo organization '{DEMO_SLUG}' added: {}", org.name);
    println!("Demo accounts (password for all: {password}):");
    for (username, display_name, role) in PEOPLE {
        println!("  {username:<10} {role:<13} {display_name}");
    }
    Ok(())
}
