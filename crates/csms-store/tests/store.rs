//! The store suite. Every test runs twice, on SQLite and on PostgreSQL (`sqlite::name` and
//! `postgres::name` in the test list).

use csms_domain::assessment::{AssessmentStatus, Outcome, ResultInput};
use csms_domain::auth::Role;
use csms_domain::inventory::{
    Asset, AssetType, Channel, Conduit, Criticality, Direction, Interface, Lifecycle, NewAsset,
    NewConduit, NewSite, NewSystem, NewZone, Site, System, Zone,
};
use csms_domain::org::OrganizationPatch;
use csms_domain::trail::{Actor, TrailBreak};
use csms_domain::zone::SlVector;
use csms_store::assessment::{NewAssessment, NewOrgCatalog, ResultChange, WordingInput};
use csms_store::auth::NewUser;
use csms_store::inventory::AssetFilter;
use csms_store::org::NewOrganization;
use csms_store::testing::TestDb;
use csms_store::{Backend, Store, StoreError};

use csms_store::on_both_backends;

on_both_backends!(
    migrations_are_idempotent_and_versioned,
    a_newer_database_is_refused,
    changes_are_recorded_and_the_trail_verifies,
    a_stale_version_conflicts_and_changes_nothing,
    concurrent_updates_of_one_version_have_one_winner,
    concurrent_instances_cannot_fork_a_chain,
    an_edited_record_is_named,
    a_deleted_record_is_named,
    reordered_records_are_named,
    a_truncated_chain_is_detected,
    a_replaced_chain_end_is_detected,
    the_trail_is_append_only_in_the_database,
    backup_and_restore_keep_everything,
    restore_refuses_a_nonempty_database_and_damaged_files,
    backups_cover_every_table,
    duplicates_and_invalid_input_are_named,
    passwords_and_disabling,
    api_tokens_are_scoped_revocable_and_hashed,
    instants_round_trip_to_the_microsecond,
    incremental_verification_checks_what_was_added,
    an_assessment_records_results_evidence_and_progress,
    an_approved_assessment_is_locked,
    result_edits_conflict_and_batches_are_all_or_nothing,
    imported_catalogs_and_licensed_wording,
    nothing_is_written_into_an_assessment_after_its_approval,
    inventory_changes_are_recorded_and_conflict,
    a_zone_in_use_cannot_be_deleted,
    inventory_is_isolated_between_organizations,
    an_asset_import_is_all_or_nothing,
    the_asset_list_filters_and_pages_by_keyset,
    the_risk_method_is_versioned_and_old_versions_stay_readable,
);

fn cli() -> Actor {
    Actor::system("cli:test")
}

async fn org(store: &Store, slug: &str) -> csms_domain::org::Organization {
    store
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
        .unwrap()
}

async fn user(store: &Store, name: &str) -> csms_domain::auth::User {
    store
        .create_user(
            &cli(),
            NewUser {
                username: name.into(),
                display_name: format!("{name} さん"),
                email: None,
                password: "correct horse battery staple".into(),
                must_change_password: false,
            },
        )
        .await
        .unwrap()
}

/// An organization with a few changes: create + 3 updates = 4 records in its chain.
async fn org_with_history(store: &Store) -> csms_domain::org::Organization {
    let o = org(store, "kashima").await;
    let mut v = o.version;
    for i in 0..3 {
        let patch = OrganizationPatch {
            description: Some(format!("改訂 {i}")),
            ..Default::default()
        };
        v = store
            .update_organization(&cli(), o.id, v, patch)
            .await
            .unwrap()
            .version;
    }
    store.organization(o.id).await.unwrap()
}

fn chain_break(r: Result<csms_store::trail::VerifyReport, StoreError>) -> TrailBreak {
    match r {
        Err(StoreError::Trail(b)) => b,
        other => panic!("expected a trail break, got {other:?}"),
    }
}

/// Lets the test change the trail directly, as someone with database access would.
async fn allow_tampering(db: &TestDb) {
    match db.backend {
        Backend::Sqlite => {
            db.raw("DROP TRIGGER trail_no_update; DROP TRIGGER trail_no_delete;")
                .await
        }
        Backend::Postgres => db.raw("ALTER TABLE trail DISABLE TRIGGER USER").await,
    }
}

fn uuid_literal(db: &TestDb, id: csms_domain::Uuid) -> String {
    match db.backend {
        Backend::Sqlite => format!("X'{}'", id.simple()),
        Backend::Postgres => format!("'{id}'"),
    }
}

async fn migrations_are_idempotent_and_versioned(db: &TestDb) {
    let s = db.store.schema_status().await.unwrap();
    assert_eq!(s.database, s.binary);
    assert!(s.binary >= 1);
    assert!(db.store.migrate().await.unwrap().is_empty());
    db.store.check_current().await.unwrap();
}

async fn a_newer_database_is_refused(db: &TestDb) {
    db.raw(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
         VALUES (99990101000000, 'from the future', CURRENT_TIMESTAMP, TRUE, X'00', 0)"
            .replace("X'00'", if db.backend == Backend::Sqlite { "X'00'" } else { "'\\x00'::bytea" })
            .as_str(),
    )
    .await;
    let e = db.store.migrate().await.unwrap_err();
    assert!(matches!(e, StoreError::SchemaTooNew { .. }), "{e}");
    assert!(e.to_string().contains("newer"), "{e}");
}

async fn changes_are_recorded_and_the_trail_verifies(db: &TestDb) {
    let o = org_with_history(&db.store).await;
    let u = user(&db.store, "yamada").await;
    db.store
        .set_membership(&cli(), o.id, u.id, Role::CsmsManager)
        .await
        .unwrap();
    let report = db.store.verify_trail().await.unwrap();
    assert_eq!(report.chains, 2);
    assert_eq!(report.records, 6);
    let records = db.store.trail(o.id, &Default::default()).await.unwrap();
    assert_eq!(records.len(), 5);
    let newest = &records[0];
    assert_eq!(newest.entity_kind, "membership");
    assert_eq!(newest.action, "create");
    assert_eq!(newest.actor, "cli:test");
    let update = &records[1];
    assert_eq!(update.action, "update");
    assert_eq!(update.diff["before"]["description"], "改訂 1");
    assert_eq!(update.diff["after"]["description"], "改訂 2");
    assert_eq!(update.diff["after"]["version"], 4);
    assert!(
        update.diff["after"].get("name").is_none(),
        "unchanged fields stay out of the diff"
    );
}

async fn a_stale_version_conflicts_and_changes_nothing(db: &TestDb) {
    let o = org(&db.store, "kashima").await;
    let patch = |d: &str| OrganizationPatch {
        description: Some(d.into()),
        ..Default::default()
    };
    let first = db
        .store
        .update_organization(&cli(), o.id, o.version, patch("mine"))
        .await
        .unwrap();
    assert_eq!(first.version, 2);
    let before = db.store.trail_len().await.unwrap();
    let e = db
        .store
        .update_organization(&cli(), o.id, o.version, patch("theirs"))
        .await
        .unwrap_err();
    match &e {
        StoreError::Conflict {
            expected, current, ..
        } => assert_eq!((*expected, *current), (1, 2)),
        other => panic!("expected a conflict, got {other}"),
    }
    assert!(e.to_string().contains("reload"), "{e}");
    let now = db.store.organization(o.id).await.unwrap();
    assert_eq!(now, first, "nothing overwritten");
    assert_eq!(
        db.store.trail_len().await.unwrap(),
        before,
        "no trail record"
    );
}

async fn concurrent_updates_of_one_version_have_one_winner(db: &TestDb) {
    let o = org(&db.store, "kashima").await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .update_organization(
                    &cli(),
                    o.id,
                    1,
                    OrganizationPatch {
                        description: Some(format!("writer {i}")),
                        ..Default::default()
                    },
                )
                .await
        }));
    }
    let mut won = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(org) => won.push(org),
            Err(StoreError::Conflict { .. }) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one writer wins");
    let now = db.store.organization(o.id).await.unwrap();
    assert_eq!(now.version, 2);
    assert_eq!(now.description, won[0].description);
    assert_eq!(db.store.verify_trail().await.unwrap().records, 2);
}

async fn concurrent_instances_cannot_fork_a_chain(db: &TestDb) {
    let o = org(&db.store, "kashima").await;
    // Four application instances, each with its own pool, writing to one chain.
    let mut tasks = Vec::new();
    for i in 0..4 {
        let store = db.second_instance().await;
        tasks.push(tokio::spawn(async move {
            let mut done = 0;
            while done < 10 {
                let current = store.organization(o.id).await.unwrap();
                let r = store
                    .update_organization(
                        &Actor::system(format!("instance-{i}")),
                        o.id,
                        current.version,
                        OrganizationPatch {
                            description: Some(format!("{i}-{done}")),
                            ..Default::default()
                        },
                    )
                    .await;
                match r {
                    Ok(_) => done += 1,
                    Err(StoreError::Conflict { .. }) => {}
                    Err(e) => panic!("unexpected error: {e}"),
                }
            }
            store.close().await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let report = db.store.verify_trail().await.unwrap();
    assert_eq!(report.records, 41);
    assert_eq!(db.store.organization(o.id).await.unwrap().version, 41);
}

async fn an_edited_record_is_named(db: &TestDb) {
    let o = org_with_history(&db.store).await;
    db.store.verify_trail().await.unwrap();
    allow_tampering(db).await;
    db.raw(&format!(
        "UPDATE trail SET diff = '{{\"after\":{{\"description\":\"forged\"}}}}' WHERE chain_id = {} AND seq = 3",
        uuid_literal(db, o.id)
    ))
    .await;
    let b = chain_break(db.store.verify_trail().await);
    assert!(matches!(b, TrailBreak::Altered { seq: 3, .. }), "{b}");
    assert!(b.to_string().contains("record #3"), "{b}");
}

async fn a_deleted_record_is_named(db: &TestDb) {
    let o = org_with_history(&db.store).await;
    allow_tampering(db).await;
    db.raw(&format!(
        "DELETE FROM trail WHERE chain_id = {} AND seq = 2",
        uuid_literal(db, o.id)
    ))
    .await;
    let b = chain_break(db.store.verify_trail().await);
    assert!(
        matches!(
            b,
            TrailBreak::Missing {
                expected_seq: 2,
                found_seq: 3,
                ..
            }
        ),
        "{b}"
    );
    assert!(b.to_string().contains("record #2 is missing"), "{b}");
}

async fn reordered_records_are_named(db: &TestDb) {
    let o = org_with_history(&db.store).await;
    allow_tampering(db).await;
    let chain = uuid_literal(db, o.id);
    db.raw(&format!(
        "UPDATE trail SET seq = -1 WHERE chain_id = {chain} AND seq = 2; \
         UPDATE trail SET seq = 2 WHERE chain_id = {chain} AND seq = 3; \
         UPDATE trail SET seq = 3 WHERE chain_id = {chain} AND seq = -1;"
    ))
    .await;
    let b = chain_break(db.store.verify_trail().await);
    assert!(matches!(b, TrailBreak::Altered { seq: 2, .. }), "{b}");
}

async fn a_truncated_chain_is_detected(db: &TestDb) {
    let o = org_with_history(&db.store).await;
    allow_tampering(db).await;
    db.raw(&format!(
        "DELETE FROM trail WHERE chain_id = {} AND seq = 4",
        uuid_literal(db, o.id)
    ))
    .await;
    let b = chain_break(db.store.verify_trail().await);
    assert!(
        matches!(
            b,
            TrailBreak::Truncated {
                last_seq: 3,
                head_seq: 4,
                ..
            }
        ),
        "{b}"
    );
}

async fn a_replaced_chain_end_is_detected(db: &TestDb) {
    let o = org_with_history(&db.store).await;
    // Whoever lowers the head to hide deleted records must also know the last hash.
    allow_tampering(db).await;
    let chain = uuid_literal(db, o.id);
    db.raw(&format!(
        "DELETE FROM trail WHERE chain_id = {chain} AND seq = 4; \
         UPDATE trail_heads SET seq = 3 WHERE chain_id = {chain};"
    ))
    .await;
    let b = chain_break(db.store.verify_trail().await);
    assert!(
        matches!(b, TrailBreak::HeadMismatch { last_seq: 3, .. }),
        "{b}"
    );
}

async fn the_trail_is_append_only_in_the_database(db: &TestDb) {
    org_with_history(&db.store).await;
    for sql in ["UPDATE trail SET actor = 'x'", "DELETE FROM trail"] {
        let e = db.try_raw(sql).await.unwrap_err();
        assert!(e.contains("append-only"), "{sql}: {e}");
    }
    db.store.verify_trail().await.unwrap();
}

async fn fill(store: &Store) {
    let o = org_with_history(store).await;
    let mut method = csms_domain::risk::RiskMethod::default_5x5();
    method.tolerable = 0;
    store
        .set_risk_method(&cli(), o.id, 0, method, "HSE 委員会で決定")
        .await
        .unwrap();
    let o2 = org(store, "chiba").await;
    for (name, role) in [("yamada", Role::CsmsManager), ("tanaka", Role::Auditor)] {
        let u = user(store, name).await;
        store
            .set_membership(&cli(), o.id, u.id, role)
            .await
            .unwrap();
        store
            .set_membership(&cli(), o2.id, u.id, Role::Viewer)
            .await
            .unwrap();
    }
    let u = store.user_by_username("yamada").await.unwrap();
    store
        .create_api_token(
            &cli(),
            o.id,
            u.id,
            "nightly export",
            Role::Viewer,
            csms_domain::time::now() + time::Duration::days(30),
        )
        .await
        .unwrap();
    store.disable_user(&cli(), "tanaka").await.unwrap();
    // An assessment with a result, evidence and progress; an imported catalog and wording.
    let a = assessment(store, o.id).await;
    store
        .set_result(
            &cli(),
            o.id,
            a.id,
            change("4.2.2.1", 1, Outcome::Conformant, ""),
        )
        .await
        .unwrap();
    store
        .add_evidence(
            &cli(),
            o.id,
            a.id,
            "4.2.2.1",
            "DOC-001 事業上の根拠",
            "\\\\fs\\csms",
        )
        .await
        .unwrap();
    store
        .save_org_catalog(&cli(), o.id, imported("ciso.demo"), false)
        .await
        .unwrap();
    store
        .set_licensed_wording(
            &cli(),
            o.id,
            &[WordingInput {
                framework_id: "jipdec-csms-2010",
                node_ref: "4.2.2.1",
                lang: "ja",
                body: "（ライセンス文言）",
                source: "JIS",
            }],
        )
        .await
        .unwrap();
    // The inventory: a site, a system, two zones, a conduit, assets made one by one and
    // imported, one of them owned by a member.
    let inv = inventory(store, o.id).await;
    store
        .import_assets(
            &cli(),
            o.id,
            vec![
                NewAsset {
                    zone_id: Some(inv.dmz.id),
                    owner_id: Some(u.id),
                    ..new_asset("HIS-001")
                },
                NewAsset {
                    asset_type: AssetType::Firewall,
                    purdue_level: Some("3.5".into()),
                    sl_c: None,
                    ..new_asset("FW-001")
                },
            ],
        )
        .await
        .unwrap();
}

const REFS: [&str; 3] = ["4.2.2.1", "4.2.3.1", "4.2.3.2"];

async fn assessment(
    store: &Store,
    org_id: csms_domain::Uuid,
) -> csms_domain::assessment::Assessment {
    let refs: Vec<String> = REFS.iter().map(|r| r.to_string()).collect();
    store
        .create_assessment(
            &cli(),
            org_id,
            NewAssessment {
                framework_id: "jipdec-csms-2010".into(),
                title: "2026年度 内部評価".into(),
                scope: "本社工場 DCS".into(),
                period_start: Some("2026-04-01".into()),
                period_end: Some("2027-03-31".into()),
                assessors: "山田".into(),
            },
            &refs,
        )
        .await
        .unwrap()
}

fn change(node_ref: &str, version: i64, outcome: Outcome, notes: &str) -> ResultChange {
    ResultChange {
        node_ref: node_ref.into(),
        version,
        outcome,
        input: ResultInput {
            outcome: Some(outcome),
            notes: notes.into(),
            ..Default::default()
        },
    }
}

fn imported(id: &str) -> NewOrgCatalog {
    NewOrgCatalog {
        kind: "framework",
        ref_id: id.into(),
        name_ja: "デモ".into(),
        name_en: "Demo".into(),
        source_name: "demo.yaml".into(),
        content: "{\"nodes\": []}".into(),
        node_count: 0,
    }
}

async fn an_assessment_records_results_evidence_and_progress(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let a = assessment(store, o.id).await;
    let results = store.results(o.id, a.id).await.unwrap();
    assert_eq!(results.len(), 3);
    assert!(
        results
            .iter()
            .all(|r| r.outcome == Outcome::NotAssessed && r.version == 1)
    );
    let r = store
        .set_result(
            &cli(),
            o.id,
            a.id,
            change("4.2.3.1", 1, Outcome::Partial, "手順書が未承認"),
        )
        .await
        .unwrap();
    assert_eq!((r.outcome, r.version), (Outcome::Partial, 2));
    store
        .add_evidence(
            &cli(),
            o.id,
            a.id,
            "4.2.3.1",
            "RA-2026-01 リスク評価報告書",
            "",
        )
        .await
        .unwrap();
    let e = store
        .add_evidence(&cli(), o.id, a.id, "4.2.3.1", "RA-2026-02", "")
        .await
        .unwrap();
    assert_eq!(
        store.evidence_counts(o.id, a.id).await.unwrap()["4.2.3.1"],
        2
    );
    store
        .remove_evidence(&cli(), o.id, a.id, e.id)
        .await
        .unwrap();
    assert_eq!(
        store
            .evidence(o.id, a.id, Some("4.2.3.1"))
            .await
            .unwrap()
            .len(),
        1
    );
    // Unknown requirement and empty label are named.
    let err = store
        .add_evidence(&cli(), o.id, a.id, "9.9.9", "x", "")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("9.9.9"), "{err}");
    let err = store
        .add_evidence(&cli(), o.id, a.id, "4.2.3.1", " ", "")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("label"), "{err}");
    // Not applicable needs a justification.
    let err = store
        .set_result(
            &cli(),
            o.id,
            a.id,
            change("4.2.3.2", 1, Outcome::NotApplicable, ""),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("justification"), "{err}");
    assert_eq!(store.evidence(o.id, a.id, None).await.unwrap().len(), 1);
    let latest = store.latest_progress(o.id).await.unwrap();
    assert_eq!(latest[&a.id].partial, 1);
    let progress = store.progress(o.id, a.id).await.unwrap();
    assert_eq!(progress.len(), 1);
    assert_eq!(progress[0].tally.partial, 1);
    assert_eq!(progress[0].tally.not_assessed, 2);
    // Another organization sees none of it.
    let other = org(store, "sakai").await;
    assert!(store.assessment(other.id, a.id).await.is_err());
    assert!(store.results(other.id, a.id).await.unwrap().is_empty());
    assert!(
        store
            .set_result(
                &cli(),
                other.id,
                a.id,
                change("4.2.3.1", 2, Outcome::Conformant, "")
            )
            .await
            .is_err()
    );
    // Everything is in the trail, which verifies.
    let kinds = store.trail_kinds(o.id).await.unwrap();
    for k in ["assessment", "assessment_result", "evidence_link"] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
    }
    store.verify_trail().await.unwrap();
}

async fn an_approved_assessment_is_locked(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let a = assessment(store, o.id).await;
    let approved = store
        .approve_assessment(&cli(), o.id, a.id, a.version, "経営層レビュー済み")
        .await
        .unwrap();
    assert_eq!(approved.status, AssessmentStatus::Approved);
    assert!(approved.approved_at.is_some());
    let err = store
        .set_result(
            &cli(),
            o.id,
            a.id,
            change("4.2.3.1", 1, Outcome::Conformant, ""),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Locked(_)), "{err}");
    assert!(matches!(
        store
            .add_evidence(&cli(), o.id, a.id, "4.2.3.1", "x", "")
            .await,
        Err(StoreError::Locked(_))
    ));
    assert!(matches!(
        store
            .approve_assessment(&cli(), o.id, a.id, approved.version, "")
            .await,
        Err(StoreError::Locked(_))
    ));
    let r = store.results(o.id, a.id).await.unwrap();
    assert!(r.iter().all(|r| r.outcome == Outcome::NotAssessed));
}

async fn result_edits_conflict_and_batches_are_all_or_nothing(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let a = assessment(store, o.id).await;
    store
        .set_result(
            &cli(),
            o.id,
            a.id,
            change("4.2.2.1", 1, Outcome::Conformant, ""),
        )
        .await
        .unwrap();
    let err = store
        .set_result(
            &cli(),
            o.id,
            a.id,
            change("4.2.2.1", 1, Outcome::Nonconformant, ""),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { current: 2, .. }),
        "{err}"
    );
    // A batch whose last change is stale changes nothing.
    let err = store
        .set_results(
            &cli(),
            o.id,
            a.id,
            vec![
                change("4.2.3.1", 1, Outcome::Conformant, ""),
                change("4.2.2.1", 1, Outcome::Partial, ""),
            ],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    let r = store.results(o.id, a.id).await.unwrap();
    let by: std::collections::HashMap<_, _> = r.iter().map(|r| (r.node_ref.as_str(), r)).collect();
    assert_eq!(by["4.2.3.1"].outcome, Outcome::NotAssessed);
    assert_eq!(by["4.2.2.1"].outcome, Outcome::Conformant);
    // The owner must be a member.
    let stranger = user(store, "stranger").await;
    let mut ch = change("4.2.3.1", 1, Outcome::Conformant, "");
    ch.input.owner_id = Some(stranger.id);
    let err = store.set_result(&cli(), o.id, a.id, ch).await.unwrap_err();
    assert!(err.to_string().contains("member"), "{err}");
}

async fn imported_catalogs_and_licensed_wording(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let first = store
        .save_org_catalog(&cli(), o.id, imported("ciso.demo"), false)
        .await
        .unwrap();
    let err = store
        .save_org_catalog(&cli(), o.id, imported("ciso.demo"), false)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { .. }), "{err}");
    let replaced = store
        .save_org_catalog(&cli(), o.id, imported("ciso.demo"), true)
        .await
        .unwrap();
    assert_eq!((replaced.id, replaced.version), (first.id, 2));
    assert_eq!(store.org_catalogs(o.id).await.unwrap().len(), 1);
    assert!(
        store
            .org_catalog_content(o.id, first.id)
            .await
            .unwrap()
            .contains("nodes")
    );
    let other = org(store, "sakai").await;
    assert!(store.org_catalogs(other.id).await.unwrap().is_empty());
    assert!(store.org_catalog_content(other.id, first.id).await.is_err());
    store
        .set_licensed_wording(
            &cli(),
            o.id,
            &[WordingInput {
                framework_id: "jipdec-csms-2010",
                node_ref: "4.2.3.1",
                lang: "ja",
                body: "公式文言",
                source: "JIS Q 62443",
            }],
        )
        .await
        .unwrap();
    let w = store
        .licensed_wording(o.id, "jipdec-csms-2010")
        .await
        .unwrap();
    assert_eq!(w["4.2.3.1"][0].body, "公式文言");
    assert!(
        store
            .licensed_wording(other.id, "jipdec-csms-2010")
            .await
            .unwrap()
            .is_empty()
    );
    store
        .set_licensed_wording(
            &cli(),
            o.id,
            &[WordingInput {
                framework_id: "jipdec-csms-2010",
                node_ref: "4.2.3.1",
                lang: "ja",
                body: "",
                source: "",
            }],
        )
        .await
        .unwrap();
    // Both languages in one transaction: a bad second item stores neither.
    let long = "x".repeat(20_001);
    let err = store
        .set_licensed_wording(
            &cli(),
            o.id,
            &[
                WordingInput {
                    framework_id: "jipdec-csms-2010",
                    node_ref: "4.2.3.2",
                    lang: "ja",
                    body: "文言",
                    source: "",
                },
                WordingInput {
                    framework_id: "jipdec-csms-2010",
                    node_ref: "4.2.3.2",
                    lang: "en",
                    body: &long,
                    source: "",
                },
            ],
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("body"), "{err}");
    let err = store
        .set_licensed_wording(
            &cli(),
            o.id,
            &[WordingInput {
                framework_id: "jipdec-csms-2010",
                node_ref: "4.2.3.2",
                lang: "ja",
                body: "a\0b",
                source: "",
            }],
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("control character"), "{err}");
    assert!(
        store
            .licensed_wording(o.id, "jipdec-csms-2010")
            .await
            .unwrap()
            .is_empty()
    );
    store.verify_trail().await.unwrap();
}

async fn backup_and_restore_keep_everything(db: &TestDb) {
    fill(&db.store).await;
    let mut bytes = Vec::new();
    let summary = db.store.backup_to(&mut bytes).await.unwrap();
    let counts = db.store.row_counts().await.unwrap();
    assert_eq!(summary.rows, counts);
    // Into both backends, whichever this one is.
    for target in [Backend::Sqlite, Backend::Postgres] {
        let fresh = TestDb::new(target).await;
        let restored = fresh.store.restore_from(&bytes[..]).await.unwrap();
        assert_eq!(restored.rows, counts, "{target:?}");
        assert_eq!(
            fresh.store.row_counts().await.unwrap(),
            counts,
            "{target:?}"
        );
        let report = fresh.store.verify_trail().await.unwrap();
        assert_eq!(report.records as i64, counts["trail"]);
        // The data reads back identically.
        assert_eq!(
            fresh.store.organizations().await.unwrap(),
            db.store.organizations().await.unwrap()
        );
        assert_eq!(
            fresh.store.users().await.unwrap(),
            db.store.users().await.unwrap()
        );
        let (o, o2) = (
            db.store.organization_by_slug("kashima").await.unwrap(),
            fresh.store.organization_by_slug("kashima").await.unwrap(),
        );
        assert_eq!(o.id, o2.id);
        assert_eq!(
            fresh.store.sites(o.id).await.unwrap(),
            db.store.sites(o.id).await.unwrap()
        );
        assert_eq!(
            fresh.store.systems(o.id).await.unwrap(),
            db.store.systems(o.id).await.unwrap()
        );
        assert_eq!(
            fresh.store.zones(o.id).await.unwrap(),
            db.store.zones(o.id).await.unwrap()
        );
        assert_eq!(
            fresh.store.conduits(o.id).await.unwrap(),
            db.store.conduits(o.id).await.unwrap()
        );
        let assets = db
            .store
            .assets(o.id, &AssetFilter::default())
            .await
            .unwrap();
        assert_eq!(assets.assets.len(), 3);
        assert_eq!(
            fresh
                .store
                .assets(o.id, &AssetFilter::default())
                .await
                .unwrap(),
            assets
        );
        // Searching by address works on the restored copy (the derived column came along).
        let found = fresh
            .store
            .assets(
                o.id,
                &AssetFilter {
                    q: Some("00:1B:1B".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(found.assets.len(), 3);
        // And a backup of the restored copy is a backup of the same rows.
        let mut again = Vec::new();
        let s2 = fresh.store.backup_to(&mut again).await.unwrap();
        assert_eq!(s2.rows, counts);
        // The restored database keeps working: new changes extend the same chains.
        let o = fresh.store.organization_by_slug("chiba").await.unwrap();
        fresh
            .store
            .update_organization(
                &cli(),
                o.id,
                o.version,
                OrganizationPatch {
                    name: Some("千葉工場".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        fresh.store.verify_trail().await.unwrap();
        fresh.cleanup().await;
    }
}

async fn restore_refuses_a_nonempty_database_and_damaged_files(db: &TestDb) {
    fill(&db.store).await;
    let mut bytes = Vec::new();
    db.store.backup_to(&mut bytes).await.unwrap();
    let e = db.store.restore_from(&bytes[..]).await.unwrap_err();
    assert!(e.to_string().contains("not empty"), "{e}");

    let fresh = TestDb::new(db.backend).await;
    let text = String::from_utf8(bytes.clone()).unwrap();
    let truncated: String = text.lines().take(5).map(|l| format!("{l}\n")).collect();
    let e = fresh
        .store
        .restore_from(truncated.as_bytes())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("truncated"), "{e}");
    let edited = text.replacen("kashima", "kashimA", 1);
    let e = fresh
        .store
        .restore_from(edited.as_bytes())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("checksum"), "{e}");
    assert!(
        fresh
            .store
            .row_counts()
            .await
            .unwrap()
            .values()
            .all(|n| *n == 0)
    );

    // A different trail key: the data would not verify, so nothing is kept... is reported.
    let other_key = csms_domain::trail::TrailKey::from_bytes([1; 32]);
    let other = Store::open(&csms_store::StoreOptions::new(fresh.url.clone()), other_key)
        .await
        .unwrap();
    let e = other.restore_from(&bytes[..]).await.unwrap_err();
    assert!(e.to_string().contains("trail key"), "{e}");
    other.close().await;
    fresh.cleanup().await;
}

async fn backups_cover_every_table(db: &TestDb) {
    let mut expected: Vec<String> = csms_store::backup::table_names()
        .into_iter()
        .map(String::from)
        .collect();
    expected.sort();
    assert_eq!(db.store.schema_tables().await.unwrap(), expected);
    for table in csms_store::backup::table_names() {
        let mut carried = csms_store::backup::table_columns(table);
        carried.sort();
        assert_eq!(
            db.store.schema_columns(table).await.unwrap(),
            carried,
            "backup columns of {table}"
        );
    }
}

async fn duplicates_and_invalid_input_are_named(db: &TestDb) {
    org(&db.store, "kashima").await;
    let e = db
        .store
        .create_organization(
            &cli(),
            NewOrganization {
                slug: "kashima".into(),
                name: "x".into(),
                description: String::new(),
                timezone: "Asia/Tokyo".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Duplicate { field: "slug", .. }),
        "{e}"
    );
    let e = db
        .store
        .create_organization(
            &cli(),
            NewOrganization {
                slug: "Bad Slug".into(),
                name: "x".into(),
                description: String::new(),
                timezone: "Asia/Tokyo".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("slug"), "{e}");
    user(&db.store, "yamada").await;
    let e = db
        .store
        .create_user(
            &cli(),
            NewUser {
                username: "yamada".into(),
                display_name: "x".into(),
                email: None,
                password: "another long password".into(),
                must_change_password: false,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Duplicate { .. }), "{e}");
    // A failed change leaves no trail behind.
    assert_eq!(db.store.verify_trail().await.unwrap().records, 2);
}

async fn passwords_and_disabling(db: &TestDb) {
    user(&db.store, "yamada").await;
    let ok = db
        .store
        .verify_credentials("yamada", "correct horse battery staple")
        .await
        .unwrap();
    assert_eq!(ok.unwrap().username, "yamada");
    assert!(
        db.store
            .verify_credentials("yamada", "wrong password!!")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.store
            .verify_credentials("nobody", "whatever it is")
            .await
            .unwrap()
            .is_none()
    );
    let e = db
        .store
        .set_password(&cli(), "yamada", "short".into(), false)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("at least 12"), "{e}");
    db.store
        .set_password(&cli(), "yamada", "a brand new passphrase".into(), true)
        .await
        .unwrap();
    assert!(
        db.store
            .verify_credentials("yamada", "a brand new passphrase")
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );
    let records = db
        .store
        .trail(csms_domain::trail::SYSTEM_CHAIN, &Default::default())
        .await
        .unwrap();
    assert_eq!(records[0].action, "password_change");
    let text = records[0].diff.to_string();
    assert!(text.contains("\"password\":\"changed\""), "{text}");
    assert!(!text.contains("argon2"), "no hash in the trail: {text}");
    db.store.disable_user(&cli(), "yamada").await.unwrap();
    assert!(
        db.store
            .verify_credentials("yamada", "a brand new passphrase")
            .await
            .unwrap()
            .is_none()
    );
    db.store.verify_trail().await.unwrap();
}

async fn api_tokens_are_scoped_revocable_and_hashed(db: &TestDb) {
    let o = org(&db.store, "kashima").await;
    let u = user(&db.store, "yamada").await;
    db.store
        .set_membership(&cli(), o.id, u.id, Role::Contributor)
        .await
        .unwrap();
    let later = csms_domain::time::now() + time::Duration::days(1);
    let e = db
        .store
        .create_api_token(&cli(), o.id, u.id, "x", Role::Admin, later)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("own role"), "{e}");
    let issued = db
        .store
        .create_api_token(&cli(), o.id, u.id, "export", Role::Contributor, later)
        .await
        .unwrap();
    assert!(issued.secret.starts_with("csms_"));
    let (t, who) = db
        .store
        .authenticate_token(&issued.secret)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (t.id, t.role, who.id),
        (issued.token.id, Role::Contributor, u.id)
    );
    assert!(
        db.store.api_tokens(o.id).await.unwrap()[0]
            .last_used_at
            .is_some()
    );
    assert!(
        db.store
            .authenticate_token("csms_not-a-token")
            .await
            .unwrap()
            .is_none()
    );
    // The secret is not stored.
    let mut dump = Vec::new();
    db.store.backup_to(&mut dump).await.unwrap();
    assert!(!String::from_utf8(dump).unwrap().contains(&issued.secret));
    // Demoting the member disables a token that carried the old role.
    db.store
        .set_membership(&cli(), o.id, u.id, Role::Viewer)
        .await
        .unwrap();
    assert!(
        db.store
            .authenticate_token(&issued.secret)
            .await
            .unwrap()
            .is_none()
    );
    db.store
        .set_membership(&cli(), o.id, u.id, Role::Contributor)
        .await
        .unwrap();
    db.store
        .revoke_api_token(&cli(), o.id, issued.token.id)
        .await
        .unwrap();
    assert!(
        db.store
            .authenticate_token(&issued.secret)
            .await
            .unwrap()
            .is_none()
    );
    // Expired tokens do not work.
    let past = db
        .store
        .create_api_token(
            &cli(),
            o.id,
            u.id,
            "old",
            Role::Viewer,
            csms_domain::time::now() - time::Duration::seconds(1),
        )
        .await
        .unwrap();
    assert!(
        db.store
            .authenticate_token(&past.secret)
            .await
            .unwrap()
            .is_none()
    );
    // Another organization cannot revoke it.
    let other = org(&db.store, "chiba").await;
    assert!(
        db.store
            .revoke_api_token(&cli(), other.id, past.token.id)
            .await
            .is_err()
    );
    db.store.verify_trail().await.unwrap();
}

async fn instants_round_trip_to_the_microsecond(db: &TestDb) {
    let o = org(&db.store, "kashima").await;
    let back = db.store.organization(o.id).await.unwrap();
    assert_eq!(back.created_at, o.created_at);
    assert_eq!(back.created_at.nanosecond() % 1000, 0);
    let r = &db.store.trail(o.id, &Default::default()).await.unwrap()[0];
    assert_eq!(r.at.offset(), time::UtcOffset::UTC);
}

async fn incremental_verification_checks_what_was_added(db: &TestDb) {
    let o = org_with_history(&db.store).await;
    let point = db.store.verify_chain_since(o.id, None).await.unwrap();
    assert_eq!(point.seq, 4);
    // Nothing new: the head still matches the point.
    assert_eq!(
        db.store
            .verify_chain_since(o.id, Some(&point))
            .await
            .unwrap(),
        point
    );
    let mut v = o.version;
    for i in 0..3 {
        v = db
            .store
            .update_organization(
                &cli(),
                o.id,
                v,
                OrganizationPatch {
                    description: Some(format!("追加 {i}")),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .version;
    }
    let next = db
        .store
        .verify_chain_since(o.id, Some(&point))
        .await
        .unwrap();
    assert_eq!(next.seq, 7);
    // A change to a record after the point is found by the incremental walk.
    allow_tampering(db).await;
    db.raw(&format!(
        "UPDATE trail SET actor = 'x' WHERE chain_id = {} AND seq = 6",
        uuid_literal(db, o.id)
    ))
    .await;
    let e = db
        .store
        .verify_chain_since(o.id, Some(&point))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("record #6"), "{e}");
    // A point that no longer matches the chain (records removed) falls back to a full walk.
    let far = csms_store::trail::ChainPoint {
        seq: 99,
        hash: "00".into(),
    };
    let e = db
        .store
        .verify_chain_since(o.id, Some(&far))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("record #6"), "{e}");
}

/// Writers racing an approval: every write either lands before the approval or is refused.
async fn nothing_is_written_into_an_assessment_after_its_approval(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let refs: Vec<String> = (1..=40).map(|i| format!("R{i}")).collect();
    let a = store
        .create_assessment(
            &cli(),
            o.id,
            NewAssessment {
                framework_id: "test".into(),
                title: "race".into(),
                ..Default::default()
            },
            &refs,
        )
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for r in refs.clone() {
        let s = store.clone();
        let org_id = o.id;
        tasks.push(tokio::spawn(async move {
            let _ = s
                .set_result(&cli(), org_id, a.id, change(&r, 1, Outcome::Conformant, ""))
                .await;
            let _ = s.add_evidence(&cli(), org_id, a.id, &r, "DOC", "").await;
        }));
    }
    let approver = {
        let s = store.clone();
        let org_id = o.id;
        tokio::spawn(async move {
            tokio::task::yield_now().await;
            s.approve_assessment(&cli(), org_id, a.id, 1, "").await
        })
    };
    for t in tasks {
        t.await.unwrap();
    }
    let approved = approver.await.unwrap().unwrap();
    let at = approved.approved_at.unwrap();
    for r in store.results(o.id, a.id).await.unwrap() {
        assert!(
            r.updated_at <= at,
            "{} changed after the approval",
            r.node_ref
        );
    }
    for e in store.evidence(o.id, a.id, None).await.unwrap() {
        assert!(
            e.created_at <= at,
            "evidence for {} added after the approval",
            e.node_ref
        );
    }
    store.verify_trail().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// Inventory, zones and conduits

fn new_asset(tag: &str) -> NewAsset {
    NewAsset {
        asset_tag: tag.into(),
        name: format!("{tag} 反応器 PLC"),
        asset_type: AssetType::Plc,
        vendor: "Siemens".into(),
        product_family: "SIMATIC S7-1200".into(),
        model: "CPU 1212C".into(),
        order_number: "6ES7 212-1BD30-0XB0".into(),
        firmware_version: "V1.0.1".into(),
        serial_number: "SZVA3YU6014773".into(),
        purdue_level: Some("1".into()),
        location: "計装室 盤 A-3".into(),
        interfaces: vec![Interface {
            name: "X1".into(),
            mac: Some("00:1b:1b:12:34:56".into()),
            ip: Some("192.168.88.30".into()),
            vlan: Some(10),
            protocols: vec!["S7comm".into()],
        }],
        protocols: vec!["snmp".into()],
        sl_c: Some(SlVector::uniform(2)),
        custom: std::collections::BTreeMap::from([("rack".into(), "A-3".into())]),
        ..Default::default()
    }
}

fn new_zone(name: &str, system_id: Option<csms_domain::Uuid>) -> NewZone {
    NewZone {
        name: name.into(),
        description: format!("{name} の説明"),
        system_id,
        sl_t: SlVector::parse("2,2,1,1,2,1,2").unwrap(),
        ..Default::default()
    }
}

fn new_conduit(name: &str, from: csms_domain::Uuid, to: csms_domain::Uuid) -> NewConduit {
    NewConduit {
        name: name.into(),
        from_zone_id: from,
        to_zone_id: to,
        channels: vec![
            Channel {
                protocol: "OPC UA".into(),
                port: Some(4840),
                direction: Direction::OneWay,
                description: "ヒストリアンへの複製".into(),
            },
            Channel {
                protocol: "RDP".into(),
                port: Some(3389),
                direction: Direction::TwoWay,
                description: String::new(),
            },
        ],
        description: String::new(),
    }
}

/// A site, a system, two zones joined by a conduit, and an asset in the first zone.
struct Inventory {
    site: Site,
    system: System,
    control: Zone,
    dmz: Zone,
    conduit: Conduit,
    asset: Asset,
}

async fn inventory(store: &Store, org_id: csms_domain::Uuid) -> Inventory {
    let site = store
        .create_site(
            &cli(),
            org_id,
            NewSite {
                name: "鹿島工場".into(),
                location: "茨城県神栖市".into(),
                description: String::new(),
            },
        )
        .await
        .unwrap();
    let system = store
        .create_system(
            &cli(),
            org_id,
            NewSystem {
                site_id: Some(site.id),
                name: "エチレンプラント DCS".into(),
                criticality: Criticality::Critical,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let control = store
        .create_zone(&cli(), org_id, new_zone("Control", Some(system.id)))
        .await
        .unwrap();
    let dmz = store
        .create_zone(&cli(), org_id, new_zone("DMZ", None))
        .await
        .unwrap();
    let conduit = store
        .create_conduit(&cli(), org_id, new_conduit("C1", control.id, dmz.id))
        .await
        .unwrap();
    let asset = store
        .create_asset(
            &cli(),
            org_id,
            NewAsset {
                system_id: Some(system.id),
                zone_id: Some(control.id),
                ..new_asset("PLC-001")
            },
        )
        .await
        .unwrap();
    Inventory {
        site,
        system,
        control,
        dmz,
        conduit,
        asset,
    }
}

fn is_conflict(r: Result<impl std::fmt::Debug, StoreError>, expected_current: i64) {
    match r {
        Err(StoreError::Conflict {
            expected, current, ..
        }) => {
            assert_eq!(expected, 1);
            assert_eq!(current, expected_current);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn invalid_field(r: Result<impl std::fmt::Debug, StoreError>) -> (&'static str, String) {
    match r {
        Err(StoreError::Invalid(f)) => (f.field, f.message),
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn trail_of(
    store: &Store,
    org_id: csms_domain::Uuid,
    kind: &str,
) -> Vec<csms_domain::trail::TrailRecord> {
    store
        .trail(
            org_id,
            &csms_store::trail::TrailQuery {
                entity_kind: Some(kind.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
}

async fn inventory_changes_are_recorded_and_conflict(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let owner = user(store, "yamada").await;
    store
        .set_membership(&cli(), o.id, owner.id, Role::Contributor)
        .await
        .unwrap();
    let inv = inventory(store, o.id).await;

    // Sites.
    let site = store
        .update_site(
            &cli(),
            o.id,
            inv.site.id,
            1,
            NewSite {
                name: "鹿島工場 第二".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(site.version, 2);
    assert_eq!(store.site(o.id, site.id).await.unwrap(), site);
    is_conflict(
        store
            .update_site(
                &cli(),
                o.id,
                site.id,
                1,
                NewSite {
                    name: "古い版".into(),
                    ..Default::default()
                },
            )
            .await,
        2,
    );

    // Systems: the owner must be a member.
    let patch = NewSystem {
        site_id: Some(site.id),
        name: "エチレンプラント DCS".into(),
        owner_id: Some(owner.id),
        criticality: Criticality::High,
        description: "第 1 系列".into(),
    };
    let system = store
        .update_system(&cli(), o.id, inv.system.id, 1, patch.clone())
        .await
        .unwrap();
    assert_eq!(system.criticality, Criticality::High);
    assert_eq!(store.systems(o.id).await.unwrap(), vec![system.clone()]);
    is_conflict(
        store
            .update_system(&cli(), o.id, system.id, 1, patch.clone())
            .await,
        2,
    );
    let stranger = user(store, "stranger").await;
    let (field, _) = invalid_field(
        store
            .update_system(
                &cli(),
                o.id,
                system.id,
                2,
                NewSystem {
                    owner_id: Some(stranger.id),
                    ..patch
                },
            )
            .await,
    );
    assert_eq!(field, "owner_id");

    // Zones: an SL-T away from the proposal needs its justification.
    let proposed = SlVector::uniform(2);
    let chosen = SlVector::parse("3,2,2,2,2,2,2").unwrap();
    let unjustified = NewZone {
        sl_t: chosen,
        sl_t_proposed: Some(proposed),
        ..new_zone("Control", Some(system.id))
    };
    let (field, message) = invalid_field(
        store
            .update_zone(&cli(), o.id, inv.control.id, 1, unjustified.clone())
            .await,
    );
    assert_eq!(field, "sl_t_justification");
    assert!(message.contains("FR 1"), "{message}");
    let zone = store
        .update_zone(
            &cli(),
            o.id,
            inv.control.id,
            1,
            NewZone {
                sl_t_justification: "遠隔保守の経路があるため FR1 を引き上げる".into(),
                ..unjustified.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(zone.sl_t, chosen);
    assert_eq!(zone.overrides().len(), 1);
    assert_eq!(store.zone(o.id, zone.id).await.unwrap(), zone);
    is_conflict(
        store
            .update_zone(&cli(), o.id, zone.id, 1, new_zone("Control", None))
            .await,
        2,
    );
    let e = store
        .create_zone(&cli(), o.id, new_zone("DMZ", None))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Duplicate { .. }), "{e}");

    // Conduits.
    let conduit = store
        .update_conduit(
            &cli(),
            o.id,
            inv.conduit.id,
            1,
            NewConduit {
                description: "DMZ へのデータ複製".into(),
                ..new_conduit("C1", inv.control.id, inv.dmz.id)
            },
        )
        .await
        .unwrap();
    assert_eq!(conduit.channels.len(), 2);
    assert_eq!(conduit.channels[0].direction, Direction::OneWay);
    assert_eq!(store.conduit(o.id, conduit.id).await.unwrap(), conduit);
    assert_eq!(store.conduits(o.id).await.unwrap(), vec![conduit.clone()]);
    is_conflict(
        store
            .update_conduit(
                &cli(),
                o.id,
                conduit.id,
                1,
                new_conduit("C1", inv.dmz.id, inv.control.id),
            )
            .await,
        2,
    );
    let (field, _) = invalid_field(
        store
            .create_conduit(&cli(), o.id, new_conduit("C2", inv.dmz.id, inv.dmz.id))
            .await,
    );
    assert_eq!(field, "to_zone_id");

    // Assets: what is stored reads back the same, by id and by tag.
    let a = &inv.asset;
    assert_eq!(store.asset(o.id, a.id).await.unwrap(), *a);
    assert_eq!(store.asset_by_tag(o.id, "PLC-001").await.unwrap(), *a);
    assert_eq!(a.interfaces[0].mac.as_deref(), Some("00:1b:1b:12:34:56"));
    assert_eq!(a.sl_c, Some(SlVector::uniform(2)));
    let moved = store
        .update_asset(
            &cli(),
            o.id,
            a.id,
            1,
            NewAsset {
                zone_id: Some(inv.dmz.id),
                owner_id: Some(owner.id),
                lifecycle: Lifecycle::Maintenance,
                firmware_version: "V4.2.3".into(),
                ..new_asset("PLC-001")
            },
        )
        .await
        .unwrap();
    assert_eq!(moved.version, 2);
    assert_eq!(moved.created_at, a.created_at);
    assert_eq!(store.asset(o.id, a.id).await.unwrap(), moved);
    is_conflict(
        store
            .update_asset(&cli(), o.id, a.id, 1, new_asset("PLC-001"))
            .await,
        2,
    );
    let e = store
        .create_asset(&cli(), o.id, new_asset("PLC-001"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::Duplicate { field: "asset_tag", value, .. } if value == "PLC-001"),
        "{e}"
    );
    let (field, _) = invalid_field(
        store
            .create_asset(
                &cli(),
                o.id,
                NewAsset {
                    interfaces: vec![Interface {
                        name: "X1".into(),
                        mac: Some("00:1b:1b:12:34".into()),
                        ..Default::default()
                    }],
                    ..new_asset("PLC-002")
                },
            )
            .await,
    );
    assert_eq!(field, "interfaces");
    is_conflict(store.delete_asset(&cli(), o.id, a.id, 1).await, 2);
    store.delete_asset(&cli(), o.id, a.id, 2).await.unwrap();
    assert!(matches!(
        store.asset(o.id, a.id).await,
        Err(StoreError::NotFound { .. })
    ));

    // The trail holds every change, with the diffs of what moved.
    let assets = trail_of(store, o.id, "asset").await;
    let actions: Vec<&str> = assets.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["delete", "update", "create"]);
    assert_eq!(assets[0].diff["before"]["asset_tag"], "PLC-001");
    assert_eq!(assets[1].diff["before"]["lifecycle"], "in_operation");
    assert_eq!(assets[1].diff["after"]["lifecycle"], "maintenance");
    assert_eq!(
        assets[1].diff["after"]["zone_id"],
        inv.dmz.id.to_string().as_str()
    );
    assert_eq!(assets[2].diff["after"]["interfaces"][0]["vlan"], 10);
    let zones = trail_of(store, o.id, "zone").await;
    assert_eq!(zones.len(), 3);
    assert_eq!(zones[0].diff["after"]["sl_t"][0], 3);
    for (kind, n) in [("site", 2), ("system", 2), ("conduit", 2)] {
        assert_eq!(trail_of(store, o.id, kind).await.len(), n, "{kind}");
    }
    store.verify_trail().await.unwrap();
}

async fn a_zone_in_use_cannot_be_deleted(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let inv = inventory(store, o.id).await;
    let second = store
        .create_asset(
            &cli(),
            o.id,
            NewAsset {
                zone_id: Some(inv.control.id),
                ..new_asset("HMI-001")
            },
        )
        .await
        .unwrap();
    let locked = |r: Result<(), StoreError>| match r {
        Err(StoreError::Locked(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let m = locked(store.delete_zone(&cli(), o.id, inv.control.id, 1).await);
    assert!(
        m.contains("'Control'")
            && m.contains("holds 2 assets")
            && m.contains("joined by 1 conduit"),
        "{m}"
    );
    assert!(
        m.contains("move its assets") && m.contains("delete its conduits"),
        "{m}"
    );
    let m = locked(store.delete_zone(&cli(), o.id, inv.dmz.id, 1).await);
    assert!(
        m.contains("joined by 1 conduit") && !m.contains("asset"),
        "{m}"
    );
    let m = locked(store.delete_system(&cli(), o.id, inv.system.id, 1).await);
    assert!(m.contains("1 zone and 1 asset"), "{m}");
    let m = locked(store.delete_site(&cli(), o.id, inv.site.id, 1).await);
    assert!(m.contains("1 system"), "{m}");
    assert_eq!(store.zones(o.id).await.unwrap().len(), 2);
    // Emptied, they go; the stale version of a zone is refused first.
    store
        .delete_conduit(&cli(), o.id, inv.conduit.id, 1)
        .await
        .unwrap();
    for (a, tag) in [(&inv.asset, "PLC-001"), (&second, "HMI-001")] {
        store
            .update_asset(&cli(), o.id, a.id, 1, new_asset(tag))
            .await
            .unwrap();
    }
    let e = store
        .delete_zone(&cli(), o.id, inv.control.id, 0)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Conflict {
                expected: 0,
                current: 1,
                ..
            }
        ),
        "{e}"
    );
    store
        .delete_zone(&cli(), o.id, inv.control.id, 1)
        .await
        .unwrap();
    store
        .delete_zone(&cli(), o.id, inv.dmz.id, 1)
        .await
        .unwrap();
    store
        .delete_system(&cli(), o.id, inv.system.id, 1)
        .await
        .unwrap();
    store
        .delete_site(&cli(), o.id, inv.site.id, 1)
        .await
        .unwrap();
    assert!(store.zones(o.id).await.unwrap().is_empty());
    assert!(store.systems(o.id).await.unwrap().is_empty());
    assert!(store.sites(o.id).await.unwrap().is_empty());
    let zones = trail_of(store, o.id, "zone").await;
    assert_eq!(zones[0].action, "delete");
    assert_eq!(zones[0].diff["before"]["name"], "DMZ");
    assert_eq!(zones[1].diff["before"]["name"], "Control");
    store.verify_trail().await.unwrap();
}

async fn inventory_is_isolated_between_organizations(db: &TestDb) {
    let store = &db.store;
    let a = org(store, "kashima").await;
    let b = org(store, "chiba").await;
    let inv = inventory(store, a.id).await;
    let a_trail = store.trail(a.id, &Default::default()).await.unwrap().len();

    // B sees nothing of A's.
    assert!(store.sites(b.id).await.unwrap().is_empty());
    assert!(store.systems(b.id).await.unwrap().is_empty());
    assert!(store.zones(b.id).await.unwrap().is_empty());
    assert!(store.conduits(b.id).await.unwrap().is_empty());
    assert!(store.zone_asset_counts(b.id).await.unwrap().is_empty());
    let all = store.assets(b.id, &AssetFilter::default()).await.unwrap();
    assert!(all.assets.is_empty() && all.next.is_none());
    let by_zone = AssetFilter {
        zone_id: Some(inv.control.id),
        ..Default::default()
    };
    assert!(
        store
            .assets(b.id, &by_zone)
            .await
            .unwrap()
            .assets
            .is_empty()
    );
    let missing = |r: Result<(), StoreError>, what: &str| {
        assert!(
            matches!(r, Err(StoreError::NotFound { .. })),
            "{what}: {r:?}"
        );
    };
    missing(store.site(b.id, inv.site.id).await.map(|_| ()), "site");
    missing(
        store.system(b.id, inv.system.id).await.map(|_| ()),
        "system",
    );
    missing(store.zone(b.id, inv.control.id).await.map(|_| ()), "zone");
    missing(
        store.conduit(b.id, inv.conduit.id).await.map(|_| ()),
        "conduit",
    );
    missing(store.asset(b.id, inv.asset.id).await.map(|_| ()), "asset");
    missing(store.asset_by_tag(b.id, "PLC-001").await.map(|_| ()), "tag");

    // B changes nothing of A's.
    missing(
        store
            .update_site(
                &cli(),
                b.id,
                inv.site.id,
                1,
                NewSite {
                    name: "x".into(),
                    ..Default::default()
                },
            )
            .await
            .map(|_| ()),
        "update site",
    );
    missing(
        store
            .update_system(
                &cli(),
                b.id,
                inv.system.id,
                1,
                NewSystem {
                    name: "x".into(),
                    ..Default::default()
                },
            )
            .await
            .map(|_| ()),
        "update system",
    );
    missing(
        store
            .update_zone(&cli(), b.id, inv.control.id, 1, new_zone("x", None))
            .await
            .map(|_| ()),
        "update zone",
    );
    missing(
        store
            .update_conduit(
                &cli(),
                b.id,
                inv.conduit.id,
                1,
                new_conduit("x", inv.control.id, inv.dmz.id),
            )
            .await
            .map(|_| ()),
        "update conduit",
    );
    missing(
        store
            .update_asset(&cli(), b.id, inv.asset.id, 1, new_asset("x"))
            .await
            .map(|_| ()),
        "update asset",
    );
    missing(
        store.delete_site(&cli(), b.id, inv.site.id, 1).await,
        "delete site",
    );
    missing(
        store.delete_system(&cli(), b.id, inv.system.id, 1).await,
        "delete system",
    );
    missing(
        store.delete_zone(&cli(), b.id, inv.dmz.id, 1).await,
        "delete zone",
    );
    missing(
        store.delete_conduit(&cli(), b.id, inv.conduit.id, 1).await,
        "delete conduit",
    );
    missing(
        store.delete_asset(&cli(), b.id, inv.asset.id, 1).await,
        "delete asset",
    );

    // Nor may B point at A's rows.
    let field = |r: Result<(), StoreError>| invalid_field(r).0;
    assert_eq!(
        field(
            store
                .create_system(
                    &cli(),
                    b.id,
                    NewSystem {
                        name: "s".into(),
                        site_id: Some(inv.site.id),
                        ..Default::default()
                    }
                )
                .await
                .map(|_| ())
        ),
        "site_id"
    );
    assert_eq!(
        field(
            store
                .create_zone(&cli(), b.id, new_zone("z", Some(inv.system.id)))
                .await
                .map(|_| ())
        ),
        "system_id"
    );
    assert_eq!(
        field(
            store
                .create_conduit(&cli(), b.id, new_conduit("c", inv.control.id, inv.dmz.id))
                .await
                .map(|_| ())
        ),
        "from_zone_id"
    );
    assert_eq!(
        field(
            store
                .create_asset(
                    &cli(),
                    b.id,
                    NewAsset {
                        zone_id: Some(inv.control.id),
                        ..new_asset("B-1")
                    }
                )
                .await
                .map(|_| ())
        ),
        "zone_id"
    );
    let (f, m) = invalid_field(
        store
            .import_assets(
                &cli(),
                b.id,
                vec![
                    new_asset("B-1"),
                    NewAsset {
                        system_id: Some(inv.system.id),
                        ..new_asset("B-2")
                    },
                ],
            )
            .await,
    );
    assert_eq!(f, "system_id");
    assert!(m.contains("asset 2 of the import ('B-2')"), "{m}");

    // The same tags and names are free in another organization.
    let b_inv = inventory(store, b.id).await;
    assert_eq!(b_inv.asset.asset_tag, inv.asset.asset_tag);
    assert_eq!(store.asset(a.id, inv.asset.id).await.unwrap(), inv.asset);
    assert_eq!(
        store.zones(a.id).await.unwrap(),
        vec![inv.control.clone(), inv.dmz.clone()]
    );
    assert_eq!(
        store.trail(a.id, &Default::default()).await.unwrap().len(),
        a_trail
    );
    let page = store.assets(b.id, &AssetFilter::default()).await.unwrap();
    assert_eq!(page.assets, vec![b_inv.asset]);
}

async fn an_asset_import_is_all_or_nothing(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let zone = store
        .create_zone(&cli(), o.id, new_zone("Control", None))
        .await
        .unwrap();
    let batch = |prefix: &str| -> Vec<NewAsset> {
        (1..=1000)
            .map(|i| NewAsset {
                zone_id: (i % 2 == 0).then_some(zone.id),
                asset_type: AssetType::ALL[i % AssetType::ALL.len()],
                ..new_asset(&format!("{prefix}-{i:04}"))
            })
            .collect()
    };
    let stored = |store: &Store| {
        let store = store.clone();
        async move { store.row_counts().await.unwrap()["assets"] }
    };
    let trail_len = store.trail(o.id, &Default::default()).await.unwrap().len();

    // A tag given twice, at rows 10 and 500: nothing is stored.
    let mut dup = batch("PLC");
    dup[499].asset_tag = "PLC-0010".into();
    let (field, message) = invalid_field(store.import_assets(&cli(), o.id, dup).await);
    assert_eq!(field, "asset_tag");
    assert!(
        message.contains("asset 500 of the import ('PLC-0010')") && message.contains("asset 10"),
        "{message}"
    );
    assert_eq!(stored(store).await, 0);

    // A bad address in row 700: nothing is stored either.
    let mut bad = batch("PLC");
    bad[699].interfaces[0].ip = Some("192.168.88.300".into());
    let (field, message) = invalid_field(store.import_assets(&cli(), o.id, bad).await);
    assert_eq!(field, "interfaces");
    assert!(
        message.contains("asset 700 of the import ('PLC-0700')"),
        "{message}"
    );
    assert_eq!(stored(store).await, 0);
    assert_eq!(
        store.trail(o.id, &Default::default()).await.unwrap().len(),
        trail_len
    );
    let (field, _) = invalid_field(store.import_assets(&cli(), o.id, vec![]).await);
    assert_eq!(field, "assets");

    // A good batch goes in whole, with one trail record.
    let summary = store
        .import_assets(&cli(), o.id, batch("PLC"))
        .await
        .unwrap();
    assert_eq!(summary.count, 1000);
    assert_eq!(summary.first_tag, "PLC-0001");
    assert_eq!(summary.last_tag, "PLC-1000");
    assert_eq!(summary.by_type.values().sum::<i64>(), 1000);
    assert_eq!(stored(store).await, 1000);
    let records = store.trail(o.id, &Default::default()).await.unwrap();
    assert_eq!(records.len(), trail_len + 1);
    assert_eq!(records[0].entity_kind, "asset_import");
    assert_eq!(records[0].action, "import");
    assert_eq!(records[0].diff["after"]["count"], 1000);
    assert_eq!(records[0].diff["after"]["first_tag"], "PLC-0001");
    assert_eq!(records[0].diff["after"]["last_tag"], "PLC-1000");
    assert_eq!(store.zone_asset_counts(o.id).await.unwrap()[&zone.id], 500);
    let one = store.asset_by_tag(o.id, "PLC-0042").await.unwrap();
    assert_eq!(one.zone_id, Some(zone.id));
    assert_eq!(one.custom["rack"], "A-3");
    assert_eq!(one.interfaces[0].ip.as_deref(), Some("192.168.88.30"));

    // A second batch that repeats a stored tag in row 500 stores nothing.
    let mut again = batch("HMI");
    again[499].asset_tag = "PLC-0777".into();
    let (field, message) = invalid_field(store.import_assets(&cli(), o.id, again).await);
    assert_eq!(field, "asset_tag");
    assert!(
        message.contains("asset 500 of the import ('PLC-0777')") && message.contains("already has"),
        "{message}"
    );
    assert_eq!(stored(store).await, 1000);
    assert_eq!(
        store.trail(o.id, &Default::default()).await.unwrap().len(),
        trail_len + 1
    );
    store.verify_trail().await.unwrap();
}

/// Which of the generated assets a filter should return, by their number.
type Keep = Box<dyn Fn(usize, &NewAsset) -> bool>;

async fn the_asset_list_filters_and_pages_by_keyset(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let s1 = store
        .create_system(
            &cli(),
            o.id,
            NewSystem {
                name: "DCS".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let s2 = store
        .create_system(
            &cli(),
            o.id,
            NewSystem {
                name: "SIS".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let z1 = store
        .create_zone(&cli(), o.id, new_zone("Control", None))
        .await
        .unwrap();
    let z2 = store
        .create_zone(&cli(), o.id, new_zone("Safety", None))
        .await
        .unwrap();
    const N: usize = 1_037;
    let levels = ["0", "1", "2", "3", "3.5", "4", "5"];
    let lifecycles = Lifecycle::ALL;
    // Imported out of tag order, so that the order of the pages comes from the query.
    let assets: Vec<NewAsset> = (0..N)
        .map(|k| {
            let i = (k * 7919) % N;
            NewAsset {
                asset_tag: format!("A-{i:05}"),
                name: format!("機器 {i}"),
                asset_type: AssetType::ALL[i % AssetType::ALL.len()],
                vendor: if i.is_multiple_of(5) {
                    "Siemens".into()
                } else {
                    "Yokogawa".into()
                },
                purdue_level: Some(levels[i % levels.len()].into()),
                lifecycle: lifecycles[i % lifecycles.len()],
                zone_id: [Some(z1.id), Some(z2.id), None][i % 3],
                system_id: [Some(s1.id), Some(s2.id)][i % 2],
                interfaces: vec![Interface {
                    name: "eth0".into(),
                    ip: Some(format!("10.0.{}.{}", i / 250, i % 250)),
                    ..Default::default()
                }],
                serial_number: if i == 123 {
                    "SN_100%".into()
                } else {
                    format!("SN{i}")
                },
                ..Default::default()
            }
        })
        .collect();
    store
        .import_assets(&cli(), o.id, assets.clone())
        .await
        .unwrap();

    let expected = |keep: &dyn Fn(usize, &NewAsset) -> bool| -> Vec<String> {
        let mut tags: Vec<String> = (0..N)
            .map(|k| (k * 7919) % N)
            .zip(assets.iter())
            .filter(|(i, a)| keep(*i, a))
            .map(|(_, a)| a.asset_tag.clone())
            .collect();
        tags.sort();
        tags
    };
    let walk = |filter: AssetFilter| {
        let store = store.clone();
        async move {
            let mut tags: Vec<String> = Vec::new();
            let mut after = None;
            let mut pages = 0;
            loop {
                let page = store
                    .assets(
                        o.id,
                        &AssetFilter {
                            after: after.clone(),
                            ..filter.clone()
                        },
                    )
                    .await
                    .unwrap();
                pages += 1;
                assert!(page.assets.len() as i64 <= filter.limit.max(1));
                tags.extend(page.assets.iter().map(|a| a.asset_tag.clone()));
                match page.next {
                    Some(n) => {
                        assert_eq!(Some(&n), tags.last(), "the cursor is the last tag");
                        after = Some(n);
                    }
                    None => break,
                }
                assert!(pages <= N + 1, "paging ends");
            }
            tags
        }
    };
    let check = |name: &'static str, filter: AssetFilter, keep: Keep| {
        let want = expected(&*keep);
        async move {
            let got = walk(filter).await;
            let mut unique = got.clone();
            unique.dedup();
            assert_eq!(unique.len(), got.len(), "{name}: every asset once");
            assert_eq!(got, want, "{name}");
            got.len()
        }
    };
    let page = |limit: i64| AssetFilter {
        limit,
        ..Default::default()
    };
    assert_eq!(check("all", page(50), Box::new(|_, _| true)).await, N);
    assert_eq!(
        check("all in pages of 7", page(7), Box::new(|_, _| true)).await,
        N
    );
    assert!(
        check(
            "zone",
            AssetFilter {
                zone_id: Some(z1.id),
                ..page(50)
            },
            Box::new(|i, _| i % 3 == 0)
        )
        .await
            > 300
    );
    // DCS controllers have odd numbers here, as do the assets of system 2.
    let plc = AssetType::DcsController;
    assert!(
        check(
            "system and type",
            AssetFilter {
                system_id: Some(s2.id),
                asset_type: Some(plc),
                ..page(10)
            },
            Box::new(move |i, a| i % 2 == 1 && a.asset_type == plc),
        )
        .await
            > 10
    );
    assert!(
        check(
            "Purdue level as typed",
            AssetFilter {
                purdue_level: Some("L3.5".into()),
                ..page(50)
            },
            Box::new(|i, _| i % 7 == 4),
        )
        .await
            > 100
    );
    check(
        "lifecycle",
        AssetFilter {
            lifecycle: Some(Lifecycle::Maintenance),
            ..page(50)
        },
        Box::new(|i, _| i % 4 == 2),
    )
    .await;
    assert!(
        check(
            "everything at once",
            AssetFilter {
                zone_id: Some(z2.id),
                system_id: Some(s1.id),
                asset_type: Some(AssetType::Server),
                purdue_level: Some("5".into()),
                lifecycle: Some(Lifecycle::ALL[0]),
                ..page(3)
            },
            Box::new(|i, a| {
                i % 3 == 1
                    && i % 2 == 0
                    && a.asset_type == AssetType::Server
                    && i % 7 == 6
                    && i % 4 == 0
            }),
        )
        .await
            > 10
    );
    assert!(
        check(
            "search, case-insensitive",
            AssetFilter {
                q: Some("SIEMENS".into()),
                ..page(50)
            },
            Box::new(|i, _| i % 5 == 0),
        )
        .await
            > 200
    );
    assert_eq!(
        check(
            "search by address",
            AssetFilter {
                q: Some("10.0.3.".into()),
                ..page(50)
            },
            Box::new(|i, _| i / 250 == 3),
        )
        .await,
        250
    );
    assert_eq!(
        check(
            "a % searched as itself",
            AssetFilter {
                q: Some("_100%".into()),
                ..page(50)
            },
            Box::new(|i, _| i == 123),
        )
        .await,
        1
    );
    let e = store
        .assets(
            o.id,
            &AssetFilter {
                purdue_level: Some("6".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Invalid(ref f) if f.field == "purdue_level"),
        "{e}"
    );
    // A page holds whole assets, the same as reading them one by one.
    let first = store.assets(o.id, &page(3)).await.unwrap();
    assert_eq!(first.assets.len(), 3);
    assert_eq!(
        first.assets[0],
        store.asset_by_tag(o.id, "A-00000").await.unwrap()
    );
    assert_eq!(
        store.assets(o.id, &page(0)).await.unwrap().assets.len(),
        50,
        "the default page"
    );
}

async fn the_risk_method_is_versioned_and_old_versions_stay_readable(db: &TestDb) {
    use csms_domain::risk::RiskMethod;
    let store = &db.store;
    let o = org(store, "kashima").await;
    // Before anything is set: the built-in default, version 0.
    let d = store.risk_method(o.id).await.unwrap();
    assert_eq!((d.seq, d.id), (0, None));
    assert_eq!(d.method, RiskMethod::default_5x5());
    // Set a stricter method: version 1, in the trail.
    let mut strict = RiskMethod::default_5x5();
    strict.tolerable = 0;
    let v1 = store
        .set_risk_method(&cli(), o.id, 0, strict.clone(), "許容水準を低に")
        .await
        .unwrap();
    assert_eq!(v1.seq, 1);
    assert_eq!(store.risk_method(o.id).await.unwrap().method, strict);
    // Stale version: a conflict, nothing stored.
    let err = store
        .set_risk_method(&cli(), o.id, 0, RiskMethod::default_5x5(), "")
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { current: 1, .. }),
        "{err}"
    );
    // The same method again changes nothing.
    let same = store
        .set_risk_method(&cli(), o.id, 1, strict.clone(), "again")
        .await
        .unwrap();
    assert_eq!(same.seq, 1);
    // An invalid (non-monotone) method is refused, naming the cell.
    let mut bad = RiskMethod::default_5x5();
    bad.cells[4][4] = 0;
    let err = store
        .set_risk_method(&cli(), o.id, 1, bad, "")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    // Back to the default as version 2; version 1 stays readable by its fingerprint, and so
    // does the built-in default.
    let v2 = store
        .set_risk_method(&cli(), o.id, 1, RiskMethod::default_5x5(), "既定に戻す")
        .await
        .unwrap();
    assert_eq!(v2.seq, 2);
    let old = store
        .risk_method_by_fingerprint(o.id, &v1.fingerprint)
        .await
        .unwrap();
    assert_eq!(old.method, strict);
    assert_eq!(
        store
            .risk_method_by_fingerprint(o.id, &d.fingerprint)
            .await
            .unwrap()
            .method,
        RiskMethod::default_5x5()
    );
    assert!(store.risk_method_by_fingerprint(o.id, "00").await.is_err());
    assert_eq!(store.risk_method_history(o.id).await.unwrap().len(), 2);
    // Another organization still has the default.
    let other = org(store, "sakai").await;
    assert_eq!(store.risk_method(other.id).await.unwrap().seq, 0);
    assert!(
        store
            .trail_kinds(o.id)
            .await
            .unwrap()
            .iter()
            .any(|k| k == "risk_method")
    );
    store.verify_trail().await.unwrap();
}
