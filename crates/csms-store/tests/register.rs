//! The risk register in the store, on SQLite and PostgreSQL (issue 5).

use csms_domain::Uuid;
use csms_domain::auth::Role;
use csms_domain::inventory::{AssetType, NewAsset, NewSystem, NewZone};
use csms_domain::register::{
    NewRisk, RatingInput, RiskKind, ScoredRisk, Treatment, Trigger, accept, validate_risk,
};
use csms_domain::risk::RiskMethod;
use csms_domain::trail::Actor;
use csms_domain::zone::SlVector;
use csms_store::auth::NewUser;
use csms_store::org::NewOrganization;
use csms_store::testing::TestDb;
use csms_store::trail::TrailQuery;
use csms_store::{Store, StoreError};
use time::macros::{date, datetime};

csms_store::on_both_backends!(
    risks_are_recorded_listed_and_changed,
    a_stale_version_conflicts,
    acceptance_is_kept_or_lapses,
    references_stay_in_the_organization,
    named_zones_and_assets_cannot_be_deleted,
    codes_are_sequential_and_never_collide,
    zone_risks_include_the_zone_assets,
    a_backup_carries_the_register,
);

fn cli() -> Actor {
    Actor::system("cli:test")
}

struct Plant {
    org: Uuid,
    system: Uuid,
    control: Uuid,
    dmz: Uuid,
    plc: Uuid,
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
    let control = store
        .create_zone(&cli(), o.id, zone("Control"))
        .await
        .unwrap();
    let dmz = store.create_zone(&cli(), o.id, zone("DMZ")).await.unwrap();
    let plc = store
        .create_asset(
            &cli(),
            o.id,
            NewAsset {
                asset_tag: "PLC-001".into(),
                asset_type: AssetType::Plc,
                zone_id: Some(control.id),
                system_id: Some(system.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    Plant {
        org: o.id,
        system: system.id,
        control: control.id,
        dmz: dmz.id,
        plc: plc.id,
        owner: u.id,
    }
}

fn rating(l: u8, c: u8) -> RatingInput {
    let m = RiskMethod::default_5x5();
    RatingInput {
        likelihood: l,
        consequences: [(m.categories[0].id.clone(), c)].into_iter().collect(),
    }
}

fn new_risk(p: &Plant) -> NewRisk {
    NewRisk {
        title: "Ransomware on the engineering workstation stops batch control".into(),
        kind: RiskKind::Detailed,
        system_id: Some(p.system),
        zone_ids: vec![p.dmz],
        asset_ids: vec![p.plc],
        threat_source: "criminal group".into(),
        threat_vector: "phishing, then remote access".into(),
        scenario: "エンジニアリング端末が暗号化され、バッチ制御が停止する".into(),
        inherent: rating(4, 4),
        treatment: Treatment::Reduce,
        planned_controls: "application allow-listing; offline backups".into(),
        residual: Some(rating(2, 3)),
        owner_id: Some(p.owner),
        due_date: Some(date!(2027 - 03 - 31)),
        review_date: Some(date!(2027 - 06 - 30)),
        triggers: vec![Trigger::SystemChange, Trigger::Incident],
        trigger_notes: "DCS 更新時".into(),
        ..Default::default()
    }
}

fn scored(new: NewRisk) -> ScoredRisk {
    validate_risk(&RiskMethod::default_5x5(), new).unwrap()
}

fn field_of<T: std::fmt::Debug>(r: Result<T, StoreError>) -> &'static str {
    match r {
        Err(StoreError::Invalid(f)) => f.field,
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn trail_actions(store: &Store, org: Uuid) -> Vec<(String, serde_json::Value)> {
    store
        .trail(
            org,
            &TrailQuery {
                entity_kind: Some("risk".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.action, r.diff))
        .collect()
}

async fn risks_are_recorded_listed_and_changed(db: &TestDb) {
    let store = &db.store;
    let p = plant(store, "kashima").await;
    let r = store
        .create_risk(&cli(), p.org, scored(new_risk(&p)))
        .await
        .unwrap();
    assert_eq!(r.code, "R-0001");
    assert_eq!(r.version, 1);
    let read = store.risk(p.org, r.id).await.unwrap();
    assert_eq!(read, r, "a risk reads back as written");
    assert_eq!(read.zone_ids, vec![p.dmz]);
    assert_eq!(read.asset_ids, vec![p.plc]);
    assert_eq!(
        read.triggers,
        vec![Trigger::SystemChange, Trigger::Incident]
    );
    assert_eq!(read.due_date, Some(date!(2027 - 03 - 31)));

    // A high-level risk without links, accepted treatment.
    let high = store
        .create_risk(
            &cli(),
            p.org,
            scored(NewRisk {
                title: "DCS vendor remote access".into(),
                kind: RiskKind::HighLevel,
                zone_ids: vec![],
                asset_ids: vec![],
                treatment: Treatment::Accept,
                residual: None,
                planned_controls: String::new(),
                ..new_risk(&p)
            }),
        )
        .await
        .unwrap();
    let all = store.risks(p.org).await.unwrap();
    assert_eq!(
        all.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(),
        ["R-0001", "R-0002"]
    );
    assert_eq!(all[0], r);
    assert_eq!(all[1], high);
    assert!(all[1].zone_ids.is_empty() && all[1].residual.is_none());

    // Update: new links, new rating.
    let changed = store
        .update_risk(
            &cli(),
            p.org,
            r.id,
            1,
            scored(NewRisk {
                zone_ids: vec![p.control, p.dmz],
                asset_ids: vec![],
                residual: Some(rating(1, 2)),
                ..new_risk(&p)
            }),
        )
        .await
        .unwrap();
    assert_eq!(changed.version, 2);
    assert_eq!(changed.code, "R-0001");
    let read = store.risk(p.org, r.id).await.unwrap();
    assert_eq!(read, changed);
    let mut zones = read.zone_ids.clone();
    zones.sort();
    let mut want = vec![p.control, p.dmz];
    want.sort();
    assert_eq!(zones, want);
    assert!(read.asset_ids.is_empty());

    // Delete.
    store.delete_risk(&cli(), p.org, r.id, 2).await.unwrap();
    assert!(matches!(
        store.risk(p.org, r.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.risks(p.org).await.unwrap().len(), 1);
    let actions: Vec<String> = trail_actions(store, p.org)
        .await
        .into_iter()
        .map(|a| a.0)
        .collect();
    assert_eq!(actions.len(), 4, "{actions:?}");
    for a in ["create", "update", "delete"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    store.verify_trail().await.unwrap();
}

async fn a_stale_version_conflicts(db: &TestDb) {
    let store = &db.store;
    let p = plant(store, "kashima").await;
    let r = store
        .create_risk(&cli(), p.org, scored(new_risk(&p)))
        .await
        .unwrap();
    store
        .update_risk(&cli(), p.org, r.id, 1, scored(new_risk(&p)))
        .await
        .unwrap();
    let stale = store
        .update_risk(
            &cli(),
            p.org,
            r.id,
            1,
            scored(NewRisk {
                title: "changed on a stale copy".into(),
                ..new_risk(&p)
            }),
        )
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
    assert_ne!(
        store.risk(p.org, r.id).await.unwrap().title,
        "changed on a stale copy"
    );
    assert!(matches!(
        store.delete_risk(&cli(), p.org, r.id, 1).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        store.revoke_acceptance(&cli(), p.org, r.id, 1).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.risks(p.org).await.unwrap().len(), 1);
}

async fn acceptance_is_kept_or_lapses(db: &TestDb) {
    let store = &db.store;
    let p = plant(store, "kashima").await;
    let m = RiskMethod::default_5x5();
    let r = store
        .create_risk(&cli(), p.org, scored(new_risk(&p)))
        .await
        .unwrap();
    let at = datetime!(2026-11-26 10:00 UTC);
    let a = accept(&m, &r, p.owner, "山田", Role::CsmsManager, "予算化済み", at).unwrap();
    let accepted = store
        .accept_risk(&cli(), p.org, r.id, 1, a.clone())
        .await
        .unwrap();
    assert_eq!(accepted.acceptance.as_ref(), Some(&a));
    assert_eq!(
        store.risk(p.org, r.id).await.unwrap().acceptance,
        Some(a.clone())
    );

    // An acceptance at a level that is not the level in force is refused.
    let wrong = csms_domain::register::Acceptance {
        level: a.level + 1,
        ..a.clone()
    };
    assert_eq!(
        field_of(store.accept_risk(&cli(), p.org, r.id, 2, wrong).await),
        "level"
    );

    // A change that keeps the level keeps the acceptance.
    let same = store
        .update_risk(
            &cli(),
            p.org,
            r.id,
            2,
            scored(NewRisk {
                scenario: "wording only".into(),
                ..new_risk(&p)
            }),
        )
        .await
        .unwrap();
    assert_eq!(same.acceptance, Some(a.clone()));

    // Raising the residual level clears it, and the trail says so.
    let worse = store
        .update_risk(
            &cli(),
            p.org,
            r.id,
            3,
            scored(NewRisk {
                residual: Some(rating(4, 4)),
                ..new_risk(&p)
            }),
        )
        .await
        .unwrap();
    assert!(worse.acceptance.is_none());
    assert!(store.risk(p.org, r.id).await.unwrap().acceptance.is_none());
    let trail = trail_actions(store, p.org).await;
    // Only the update that cleared it carries the note.
    let noted: Vec<&serde_json::Value> = trail
        .iter()
        .filter(|(a, d)| a == "update" && d.get("note").is_some())
        .map(|(_, d)| d)
        .collect();
    assert_eq!(noted.len(), 1, "{trail:?}");
    assert!(noted[0]["note"].as_str().unwrap().contains("lapsed"));
    assert!(noted[0]["after"]["acceptance"].is_null());
    assert!(noted[0]["before"]["acceptance"].is_object());

    // Accept again, then revoke.
    let a2 = accept(&m, &worse, p.owner, "山田", Role::Admin, "理由", at).unwrap();
    let again = store.accept_risk(&cli(), p.org, r.id, 4, a2).await.unwrap();
    let revoked = store
        .revoke_acceptance(&cli(), p.org, r.id, again.version)
        .await
        .unwrap();
    assert!(revoked.acceptance.is_none());
    assert_eq!(
        field_of(
            store
                .revoke_acceptance(&cli(), p.org, r.id, revoked.version)
                .await
        ),
        "acceptance"
    );
    let actions: Vec<String> = trail_actions(store, p.org)
        .await
        .into_iter()
        .map(|a| a.0)
        .collect();
    assert!(actions.contains(&"accept".to_owned()));
    assert!(actions.contains(&"revoke_acceptance".to_owned()));
    store.verify_trail().await.unwrap();
}

async fn references_stay_in_the_organization(db: &TestDb) {
    let store = &db.store;
    let a = plant(store, "kashima").await;
    let b = plant(store, "chiba").await;
    let r = store
        .create_risk(&cli(), a.org, scored(new_risk(&a)))
        .await
        .unwrap();

    // B sees nothing of A's, and cannot change it.
    assert!(store.risks(b.org).await.unwrap().is_empty());
    assert!(matches!(
        store.risk(b.org, r.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store
            .update_risk(&cli(), b.org, r.id, 1, scored(new_risk(&b)))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete_risk(&cli(), b.org, r.id, 1).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store.zone_risks(b.org, a.dmz).await.unwrap().is_empty());

    // A risk of B cannot name A's system, zone, asset, or a non-member owner.
    let cases = [
        (
            NewRisk {
                system_id: Some(a.system),
                ..new_risk(&b)
            },
            "system_id",
        ),
        (
            NewRisk {
                zone_ids: vec![b.dmz, a.dmz],
                ..new_risk(&b)
            },
            "zone_ids",
        ),
        (
            NewRisk {
                asset_ids: vec![a.plc],
                ..new_risk(&b)
            },
            "asset_ids",
        ),
        (
            NewRisk {
                owner_id: Some(a.owner),
                ..new_risk(&b)
            },
            "owner_id",
        ),
    ];
    for (new, field) in cases {
        assert_eq!(
            field_of(store.create_risk(&cli(), b.org, scored(new.clone())).await),
            field
        );
    }
    assert!(store.risks(b.org).await.unwrap().is_empty());

    // The database refuses it too, without the store's checks.
    let hex = |u: Uuid| u.simple().to_string();
    let sql = match db.backend {
        csms_store::Backend::Sqlite => format!(
            "INSERT INTO risk_zones (org_id, risk_id, zone_id) VALUES (X'{}', X'{}', X'{}')",
            hex(a.org),
            hex(r.id),
            hex(b.dmz)
        ),
        csms_store::Backend::Postgres => format!(
            "INSERT INTO risk_zones (org_id, risk_id, zone_id) VALUES ('{}', '{}', '{}')",
            a.org, r.id, b.dmz
        ),
    };
    let e = db.try_raw(&sql).await.unwrap_err();
    assert!(e.to_lowercase().contains("foreign key"), "{e}");
}

async fn named_zones_and_assets_cannot_be_deleted(db: &TestDb) {
    let store = &db.store;
    let p = plant(store, "kashima").await;
    let r = store
        .create_risk(&cli(), p.org, scored(new_risk(&p)))
        .await
        .unwrap();
    let zone = store.zone(p.org, p.dmz).await.unwrap();
    let e = store
        .delete_zone(&cli(), p.org, p.dmz, zone.version)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::Locked(m) if m.contains("named by 1 risk of the risk register")),
        "{e:?}"
    );
    let asset = store.asset(p.org, p.plc).await.unwrap();
    let e = store
        .delete_asset(&cli(), p.org, p.plc, asset.version)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::Locked(m) if m.contains("remove the asset from those risks")),
        "{e:?}"
    );
    // A stale version conflicts (checked again by the DELETE itself).
    let e = store
        .delete_asset(&cli(), p.org, p.plc, asset.version + 1)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");
    assert!(store.zone(p.org, p.dmz).await.is_ok());
    assert!(store.asset(p.org, p.plc).await.is_ok());
    // Once the risk is gone, they can be.
    store.delete_risk(&cli(), p.org, r.id, 1).await.unwrap();
    store
        .delete_zone(&cli(), p.org, p.dmz, zone.version)
        .await
        .unwrap();
}

async fn codes_are_sequential_and_never_collide(db: &TestDb) {
    let store = &db.store;
    let p = plant(store, "kashima").await;
    let other = db.second_instance().await;
    // Two instances create at once.
    let mut tasks = Vec::new();
    for i in 0..12 {
        let s = if i % 2 == 0 {
            store.clone()
        } else {
            other.clone()
        };
        let new = scored(NewRisk {
            title: format!("scenario {i}"),
            ..new_risk(&p)
        });
        let org = p.org;
        tasks.push(tokio::spawn(async move {
            s.create_risk(&cli(), org, new).await.unwrap().code
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    codes.sort();
    let want: Vec<String> = (1..=12).map(csms_domain::register::code).collect();
    assert_eq!(codes, want);
    // A deleted code is not given again.
    let all = store.risks(p.org).await.unwrap();
    let last = all.last().unwrap();
    store.delete_risk(&cli(), p.org, last.id, 1).await.unwrap();
    let next = store
        .create_risk(&cli(), p.org, scored(new_risk(&p)))
        .await
        .unwrap();
    assert_eq!(next.code, "R-0013");
    // Another organization counts from 1.
    let q = plant(store, "chiba").await;
    let first = store
        .create_risk(&cli(), q.org, scored(new_risk(&q)))
        .await
        .unwrap();
    assert_eq!(first.code, "R-0001");
    other.close().await;
    store.verify_trail().await.unwrap();
}

async fn zone_risks_include_the_zone_assets(db: &TestDb) {
    let store = &db.store;
    let p = plant(store, "kashima").await;
    // Names the DMZ only.
    let dmz = store
        .create_risk(
            &cli(),
            p.org,
            scored(NewRisk {
                asset_ids: vec![],
                ..new_risk(&p)
            }),
        )
        .await
        .unwrap();
    // Names the PLC, which is in the control zone.
    let plc = store
        .create_risk(
            &cli(),
            p.org,
            scored(NewRisk {
                zone_ids: vec![],
                ..new_risk(&p)
            }),
        )
        .await
        .unwrap();
    let control: Vec<String> = store
        .zone_risks(p.org, p.control)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.code)
        .collect();
    assert_eq!(control, [plc.code]);
    let d: Vec<String> = store
        .zone_risks(p.org, p.dmz)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.code)
        .collect();
    assert_eq!(d, [dmz.code]);
    // The risk read through the zone carries all its links.
    assert_eq!(
        store.zone_risks(p.org, p.control).await.unwrap()[0],
        store.risk(p.org, plc.id).await.unwrap()
    );
}

async fn a_backup_carries_the_register(db: &TestDb) {
    let store = &db.store;
    let p = plant(store, "kashima").await;
    let r = store
        .create_risk(&cli(), p.org, scored(new_risk(&p)))
        .await
        .unwrap();
    let m = RiskMethod::default_5x5();
    let a = accept(
        &m,
        &r,
        p.owner,
        "山田",
        Role::Admin,
        "理由",
        datetime!(2026-11-26 10:00 UTC),
    )
    .unwrap();
    store.accept_risk(&cli(), p.org, r.id, 1, a).await.unwrap();
    let before = store.risks(p.org).await.unwrap();
    let mut bytes = Vec::new();
    let summary = store.backup_to(&mut bytes).await.unwrap();
    for t in ["risks", "risk_zones", "risk_assets", "risk_counters"] {
        assert_eq!(summary.rows.get(t), Some(&1), "{t}");
    }
    // Restore into the other backend.
    let other = match db.backend {
        csms_store::Backend::Sqlite => TestDb::postgres().await,
        csms_store::Backend::Postgres => TestDb::sqlite().await,
    };
    other.store.restore_from(&bytes[..]).await.unwrap();
    assert_eq!(other.store.risks(p.org).await.unwrap(), before);
    // The asset search index is rebuilt from the restored assets (not carried in the file).
    let found = other
        .store
        .assets(
            p.org,
            &csms_store::inventory::AssetFilter {
                q: Some("plc-00".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(found.assets.len(), 1);
    // The counter came along: the next code follows.
    let next = other
        .store
        .create_risk(&cli(), p.org, scored(new_risk(&p)))
        .await
        .unwrap();
    assert_eq!(next.code, "R-0002");
    other.cleanup().await;
}
