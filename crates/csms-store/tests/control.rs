//! The controls register in the store, on SQLite and PostgreSQL (issue 6, item 1).

use csms_domain::Uuid;
use csms_domain::auth::Role;
use csms_domain::control::{ControlStatus, NewControl, RequirementLink, validate_control};
use csms_domain::inventory::{AssetType, NewAsset, NewSystem, NewZone};
use csms_domain::register::{NewRisk, RatingInput, RiskKind, Treatment, validate_risk};
use csms_domain::risk::RiskMethod;
use csms_domain::soa::{Applicability, ImplStatus, ItemDecision, ReasonKind};
use csms_domain::trail::Actor;
use csms_domain::zone::SlVector;
use csms_store::auth::NewUser;
use csms_store::org::NewOrganization;
use csms_store::testing::TestDb;
use csms_store::trail::TrailQuery;
use csms_store::{Store, StoreError};
use time::macros::date;

csms_store::on_both_backends!(
    controls_are_recorded_changed_and_deleted_with_trail,
    a_stale_version_conflicts,
    links_stay_in_the_organization,
    a_common_set_of_countermeasures_applies_to_many_zones,
    a_control_named_by_the_soa_cannot_be_deleted,
    a_planned_control_needs_a_due_date,
    deleting_a_zone_or_risk_drops_only_the_link,
    codes_are_never_reused,
);

fn cli() -> Actor {
    Actor::system("cli:test")
}

struct Plant {
    org: Uuid,
    control_zone: Uuid,
    dmz: Uuid,
    safety: Uuid,
    plc: Uuid,
    risk: Uuid,
    owner: Uuid,
}

async fn plant(store: &Store, slug: &str) -> Plant {
    let o = store
        .create_organization(
            &cli(),
            NewOrganization {
                slug: slug.into(),
                name: format!("{slug} 工場"),
                description: String::new(),
                timezone: "Asia/Tokyo".into(),
            },
        )
        .await
        .unwrap();
    let u = store
        .create_user(
            &cli(),
            NewUser {
                username: format!("{slug}-owner"),
                display_name: "山田 太郎".into(),
                email: None,
                password: "correct horse battery staple".into(),
                must_change_password: false,
            },
        )
        .await
        .unwrap();
    store
        .set_membership(&cli(), o.id, u.id, Role::Contributor)
        .await
        .unwrap();
    let system = store
        .create_system(
            &cli(),
            o.id,
            NewSystem {
                name: "エチレンプラント DCS".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let zone = |name: &str| NewZone {
        name: name.into(),
        system_id: Some(system.id),
        sl_t: SlVector::parse("2,2,1,1,2,1,2").unwrap(),
        ..Default::default()
    };
    let control_zone = store
        .create_zone(&cli(), o.id, zone("Control"))
        .await
        .unwrap();
    let dmz = store.create_zone(&cli(), o.id, zone("DMZ")).await.unwrap();
    let safety = store
        .create_zone(&cli(), o.id, zone("Safety"))
        .await
        .unwrap();
    let plc = store
        .create_asset(
            &cli(),
            o.id,
            NewAsset {
                asset_tag: "PLC-001".into(),
                asset_type: AssetType::Plc,
                zone_id: Some(control_zone.id),
                system_id: Some(system.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let m = RiskMethod::default_5x5();
    let rating = RatingInput {
        likelihood: 4,
        consequences: [(m.categories[0].id.clone(), 4)].into_iter().collect(),
    };
    let risk = store
        .create_risk(
            &cli(),
            o.id,
            validate_risk(
                &m,
                NewRisk {
                    title: "Ransomware through vendor remote access stops the DCS".into(),
                    kind: RiskKind::Detailed,
                    zone_ids: vec![dmz.id],
                    threat_source: "criminal group".into(),
                    inherent: rating,
                    treatment: Treatment::Reduce,
                    planned_controls: "踏み台サーバ経由のリモート保守".into(),
                    residual: Some(RatingInput {
                        likelihood: 2,
                        consequences: [(m.categories[0].id.clone(), 3)].into_iter().collect(),
                    }),
                    ..Default::default()
                },
            )
            .unwrap(),
        )
        .await
        .unwrap();
    Plant {
        org: o.id,
        control_zone: control_zone.id,
        dmz: dmz.id,
        safety: safety.id,
        plc: plc.id,
        risk: risk.id,
        owner: u.id,
    }
}

fn req(s: &str) -> RequirementLink {
    RequirementLink::parse(s).unwrap()
}

fn jump_server(p: &Plant) -> NewControl {
    validate_control(NewControl {
        title: "リモート保守は DMZ の踏み台サーバ経由のみ".into(),
        description:
            "ベンダのリモート保守は DMZ の踏み台サーバを経由し、多要素認証と録画を必須とする。"
                .into(),
        status: ControlStatus::Planned,
        owner_id: Some(p.owner),
        due_date: Some(date!(2027 - 03 - 31)),
        requirements: vec![
            req("jipdec-csms-2010:5.4.2"),
            req("iso27001-2022-annex-a:A.8.20"),
        ],
        risk_ids: vec![p.risk],
        zone_ids: vec![p.dmz],
        asset_ids: vec![p.plc],
    })
    .unwrap()
}

fn field_of<T: std::fmt::Debug>(r: Result<T, StoreError>) -> (&'static str, String) {
    match r {
        Err(StoreError::Invalid(f)) => (f.field, f.message),
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn trail_actions(store: &Store, org: Uuid) -> Vec<(String, serde_json::Value)> {
    store
        .trail(
            org,
            &TrailQuery {
                entity_kind: Some("control".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.action, r.diff))
        .collect()
}

async fn controls_are_recorded_changed_and_deleted_with_trail(db: &TestDb) {
    let store = &db.store;
    let p = plant(store, "kashima").await;
    let c = store
        .create_control(&cli(), p.org, jump_server(&p))
        .await
        .unwrap();
    assert_eq!(c.code, "C-0001");
    assert_eq!(c.version, 1);
    let read = store.control(p.org, c.id).await.unwrap();
    assert_eq!(read, c, "a control reads back as written");
    let mut reqs = read.requirements.clone();
    reqs.sort();
    assert_eq!(
        reqs,
        vec![
            req("iso27001-2022-annex-a:A.8.20"),
            req("jipdec-csms-2010:5.4.2")
        ]
    );
    assert_eq!(read.risk_ids, vec![p.risk]);
    assert_eq!(read.zone_ids, vec![p.dmz]);
    assert_eq!(read.asset_ids, vec![p.plc]);
    assert_eq!(read.due_date, Some(date!(2027 - 03 - 31)));
    assert_eq!(store.controls(p.org).await.unwrap(), vec![c.clone()]);

    // Update: implemented, no due date needed, links replaced.
    let changed = store
        .update_control(
            &cli(),
            p.org,
            c.id,
            1,
            validate_control(NewControl {
                status: ControlStatus::Implemented,
                due_date: None,
                requirements: vec![req("jipdec-csms-2010:5.4.3")],
                zone_ids: vec![p.dmz, p.control_zone],
                asset_ids: vec![],
                ..jump_server(&p)
            })
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(changed.version, 2);
    let read = store.control(p.org, c.id).await.unwrap();
    assert_eq!(read, changed);
    assert_eq!(read.status, ControlStatus::Implemented);
    assert_eq!(read.due_date, None);
    assert_eq!(read.requirements, vec![req("jipdec-csms-2010:5.4.3")]);
    let mut zones = read.zone_ids.clone();
    zones.sort();
    let mut want = vec![p.dmz, p.control_zone];
    want.sort();
    assert_eq!(zones, want);
    assert!(read.asset_ids.is_empty());

    store.delete_control(&cli(), p.org, c.id, 2).await.unwrap();
    assert!(matches!(
        store.control(p.org, c.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store.controls(p.org).await.unwrap().is_empty());

    let trail = trail_actions(store, p.org).await;
    let actions: Vec<&str> = trail.iter().map(|(a, _)| a.as_str()).collect();
    let mut sorted = actions.clone();
    sorted.sort();
    assert_eq!(sorted, ["create", "delete", "update"], "{trail:?}");
    let update = &trail.iter().find(|(a, _)| a == "update").unwrap().1;
    let text = update.to_string();
    assert!(
        text.contains("implemented") && text.contains("5.4.3"),
        "the update's trail record shows what changed: {text}"
    );
}

async fn a_stale_version_conflicts(db: &TestDb) {
    let store = &db.store;
    let p = plant(store, "stale").await;
    let c = store
        .create_control(&cli(), p.org, jump_server(&p))
        .await
        .unwrap();
    store
        .update_control(&cli(), p.org, c.id, 1, jump_server(&p))
        .await
        .unwrap();
    let stale = store
        .update_control(&cli(), p.org, c.id, 1, jump_server(&p))
        .await;
    assert!(
        matches!(
            stale,
            Err(StoreError::Conflict {
                expected: 1,
                current: 2,
                ..
            })
        ),
        "{stale:?}"
    );
    let stale_delete = store.delete_control(&cli(), p.org, c.id, 1).await;
    assert!(
        matches!(stale_delete, Err(StoreError::Conflict { .. })),
        "{stale_delete:?}"
    );
    assert_eq!(store.control(p.org, c.id).await.unwrap().version, 2);
    let missing = store
        .update_control(&cli(), p.org, Uuid::now_v7(), 1, jump_server(&p))
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
}

async fn links_stay_in_the_organization(db: &TestDb) {
    let store = &db.store;
    let p = plant(store, "own").await;
    let other = plant(store, "other").await;
    for (new, field) in [
        (
            NewControl {
                risk_ids: vec![other.risk],
                ..jump_server(&p)
            },
            "risk_ids",
        ),
        (
            NewControl {
                zone_ids: vec![p.dmz, other.dmz],
                ..jump_server(&p)
            },
            "zone_ids",
        ),
        (
            NewControl {
                asset_ids: vec![other.plc],
                ..jump_server(&p)
            },
            "asset_ids",
        ),
        (
            NewControl {
                owner_id: Some(other.owner),
                ..jump_server(&p)
            },
            "owner_id",
        ),
    ] {
        let (got, message) = field_of(store.create_control(&cli(), p.org, new).await);
        assert_eq!(got, field, "{message}");
        assert!(
            message.contains("organization"),
            "the message says why: {message}"
        );
    }
    assert!(
        store.controls(p.org).await.unwrap().is_empty(),
        "nothing is recorded"
    );
    // The same for an update, and the control is unchanged.
    let c = store
        .create_control(&cli(), p.org, jump_server(&p))
        .await
        .unwrap();
    let (got, _) = field_of(
        store
            .update_control(
                &cli(),
                p.org,
                c.id,
                1,
                NewControl {
                    zone_ids: vec![other.safety],
                    ..jump_server(&p)
                },
            )
            .await,
    );
    assert_eq!(got, "zone_ids");
    assert_eq!(store.control(p.org, c.id).await.unwrap(), c);
    // Another organization cannot read, change or delete it.
    assert!(matches!(
        store.control(other.org, c.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store
            .update_control(&cli(), other.org, c.id, 1, jump_server(&other))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete_control(&cli(), other.org, c.id, 1).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store.controls(other.org).await.unwrap().is_empty());
}

async fn a_common_set_of_countermeasures_applies_to_many_zones(db: &TestDb) {
    let store = &db.store;
    let p = plant(store, "common").await;
    // One control applied to the two similar zones, one to the DMZ only.
    let common = store
        .create_control(
            &cli(),
            p.org,
            validate_control(NewControl {
                title: "USB ポートの無効化と持込媒体のウイルス検査".into(),
                status: ControlStatus::Operating,
                due_date: None,
                zone_ids: vec![p.control_zone, p.safety],
                ..jump_server(&p)
            })
            .unwrap(),
        )
        .await
        .unwrap();
    let dmz_only = store
        .create_control(&cli(), p.org, jump_server(&p))
        .await
        .unwrap();
    let ids =
        |v: Vec<csms_domain::control::Control>| v.into_iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.zone_controls(p.org, p.control_zone).await.unwrap()),
        vec![common.id]
    );
    assert_eq!(
        ids(store.zone_controls(p.org, p.safety).await.unwrap()),
        vec![common.id]
    );
    assert_eq!(
        ids(store.zone_controls(p.org, p.dmz).await.unwrap()),
        vec![dmz_only.id]
    );
    // Another organization's zone id shows nothing of this one.
    let other = plant(store, "common2").await;
    assert!(
        store
            .zone_controls(other.org, p.safety)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_control_named_by_the_soa_cannot_be_deleted(db: &TestDb) {
    let store = &db.store;
    let p = plant(store, "soa").await;
    let c = store
        .create_control(&cli(), p.org, jump_server(&p))
        .await
        .unwrap();
    let draft = store
        .start_soa_draft(
            &cli(),
            p.org,
            "jipdec-csms-2010",
            &["5.4.2".to_owned(), "5.4.3".to_owned()],
        )
        .await
        .unwrap();
    let items = store.soa_items(p.org, draft.id).await.unwrap();
    let item = items.iter().find(|i| i.node_ref == "5.4.2").unwrap();
    let linked = store
        .update_soa_item(
            &cli(),
            p.org,
            item.id,
            item.version,
            ItemDecision {
                applicability: Applicability::Applicable,
                reasons: vec![ReasonKind::BusinessNeed],
                reason_text: "ベンダのリモート保守がある".into(),
                status: ImplStatus::Planned,
                control_ids: vec![c.id],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let refused = store.delete_control(&cli(), p.org, c.id, 1).await;
    match refused {
        Err(StoreError::Locked(msg)) => {
            assert!(
                msg.contains("C-0001") && msg.contains("5.4.2") && msg.contains("draft"),
                "the message names the control, the item and the version: {msg}"
            );
        }
        other => panic!("expected the delete to be refused, got {other:?}"),
    }
    assert_eq!(store.control(p.org, c.id).await.unwrap(), c);
    // Once the draft's item no longer names it, the control can go.
    store
        .update_soa_item(
            &cli(),
            p.org,
            linked.id,
            linked.version,
            ItemDecision {
                applicability: Applicability::Applicable,
                reasons: vec![ReasonKind::BusinessNeed],
                reason_text: "ベンダのリモート保守がある".into(),
                status: ImplStatus::Planned,
                control_ids: vec![],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    store.delete_control(&cli(), p.org, c.id, 1).await.unwrap();
    let trail = trail_actions(store, p.org).await;
    assert_eq!(
        trail.iter().filter(|(a, _)| a == "delete").count(),
        1,
        "the refused delete left no trail record"
    );
}

async fn a_planned_control_needs_a_due_date(db: &TestDb) {
    let store = &db.store;
    let p = plant(store, "due").await;
    let e = validate_control(NewControl {
        due_date: None,
        ..jump_server(&p)
    })
    .unwrap_err();
    assert_eq!(e.field, "due_date");
    assert!(e.message.contains("due date"), "{}", e.message);
    // An operating control needs none; changing it back to planned without a date is refused.
    let c = store
        .create_control(
            &cli(),
            p.org,
            validate_control(NewControl {
                status: ControlStatus::Operating,
                due_date: None,
                ..jump_server(&p)
            })
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(c.due_date, None);
    let back = validate_control(NewControl {
        status: ControlStatus::Planned,
        due_date: None,
        ..c.to_new()
    });
    assert_eq!(back.unwrap_err().field, "due_date");
}

async fn deleting_a_zone_or_risk_drops_only_the_link(db: &TestDb) {
    let store = &db.store;
    let p = plant(store, "drop").await;
    let c = store
        .create_control(
            &cli(),
            p.org,
            NewControl {
                zone_ids: vec![p.dmz, p.safety],
                asset_ids: vec![],
                ..jump_server(&p)
            },
        )
        .await
        .unwrap();
    let safety = store.zone(p.org, p.safety).await.unwrap();
    store
        .delete_zone(&cli(), p.org, p.safety, safety.version)
        .await
        .unwrap();
    let risk = store.risk(p.org, p.risk).await.unwrap();
    store
        .delete_risk(&cli(), p.org, p.risk, risk.version)
        .await
        .unwrap();
    let read = store.control(p.org, c.id).await.unwrap();
    assert_eq!(read.zone_ids, vec![p.dmz]);
    assert!(read.risk_ids.is_empty());
    assert_eq!(read.title, c.title);
}

async fn codes_are_never_reused(db: &TestDb) {
    let store = &db.store;
    let p = plant(store, "codes").await;
    let a = store
        .create_control(&cli(), p.org, jump_server(&p))
        .await
        .unwrap();
    let b = store
        .create_control(&cli(), p.org, jump_server(&p))
        .await
        .unwrap();
    store.delete_control(&cli(), p.org, b.id, 1).await.unwrap();
    let c = store
        .create_control(&cli(), p.org, jump_server(&p))
        .await
        .unwrap();
    assert_eq!(
        [a.code.as_str(), b.code.as_str(), c.code.as_str()],
        ["C-0001", "C-0002", "C-0003"]
    );
    // Each organization counts on its own.
    let q = plant(store, "codes2").await;
    let first = store
        .create_control(&cli(), q.org, jump_server(&q))
        .await
        .unwrap();
    assert_eq!(first.code, "C-0001");
}
