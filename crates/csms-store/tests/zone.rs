//! A 62443-3-3 assessment naming its zone (migration 0008), the assessment that gives a zone
//! its SL-A, and moving assets between zones; on SQLite and PostgreSQL.

use csms_domain::assessment::AssessmentStatus;
use csms_domain::inventory::{AssetType, NewAsset, NewZone};
use csms_domain::org::Organization;
use csms_domain::trail::Actor;
use csms_domain::zone::SlVector;
use csms_store::assessment::{AssessmentPatch, NewAssessment};
use csms_store::org::NewOrganization;
use csms_store::testing::TestDb;
use csms_store::{Backend, Store, StoreError, on_both_backends};

on_both_backends!(
    a_62443_3_3_assessment_names_its_zone,
    other_frameworks_and_other_organizations_zones_are_refused,
    a_zone_named_by_an_assessment_cannot_be_deleted,
    the_approved_assessment_gives_sl_a_else_the_one_in_progress,
    assets_move_into_and_out_of_a_zone_all_or_nothing,
    the_database_keeps_an_assessment_s_zone_in_its_organization,
);

const FW: &str = "iec62443-3-3-2013";

fn cli() -> Actor {
    Actor::system("cli:test")
}

async fn org(store: &Store, slug: &str) -> Organization {
    store
        .create_organization(
            &cli(),
            NewOrganization {
                slug: slug.into(),
                name: format!("{slug} 製油所"),
                description: String::new(),
                timezone: "Asia/Tokyo".into(),
            },
        )
        .await
        .unwrap()
}

async fn zone(store: &Store, org: &Organization, name: &str) -> csms_domain::inventory::Zone {
    store
        .create_zone(
            &cli(),
            org.id,
            NewZone {
                name: name.into(),
                sl_t: SlVector::parse("2,2,2,1,2,1,2").unwrap(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
}

fn refs() -> Vec<String> {
    vec!["SR 1.1".into(), "SR 1.1 RE 1".into()]
}

fn new(framework: &str, title: &str) -> NewAssessment {
    NewAssessment {
        framework_id: framework.into(),
        title: title.into(),
        ..Default::default()
    }
}

async fn a_62443_3_3_assessment_names_its_zone(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let control = zone(store, &o, "制御ゾーン").await;
    let other = zone(store, &o, "DMZ").await;
    let a = store
        .create_zone_assessment(&cli(), o.id, new(FW, "3-3 制御"), Some(control.id), &refs())
        .await
        .unwrap();
    assert_eq!(a.zone_id, Some(control.id));
    let read = store.assessment(o.id, a.id).await.unwrap();
    assert_eq!(
        read.zone_id,
        Some(control.id),
        "the column is stored and read"
    );
    assert_eq!(
        store
            .zone_assessments(o.id, control.id)
            .await
            .unwrap()
            .iter()
            .map(|x| x.id)
            .collect::<Vec<_>>(),
        vec![a.id]
    );
    // The header edit moves it to another zone, then clears it; both in the trail.
    let moved = store
        .update_assessment(
            &cli(),
            o.id,
            a.id,
            a.version,
            AssessmentPatch {
                title: a.title.clone(),
                zone_id: Some(other.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(moved.zone_id, Some(other.id));
    assert!(
        store
            .zone_assessments(o.id, control.id)
            .await
            .unwrap()
            .is_empty()
    );
    let cleared = store
        .update_assessment(
            &cli(),
            o.id,
            a.id,
            moved.version,
            AssessmentPatch {
                title: a.title.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.zone_id, None);
    let trail = store
        .trail(
            o.id,
            &csms_store::trail::TrailQuery {
                entity_id: Some(a.id.to_string()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        trail
            .iter()
            .any(|r| r.diff.to_string().contains(&other.id.to_string())),
        "the zone change is in the trail"
    );
    // The plain constructor keeps working and names no zone.
    let plain = store
        .create_assessment(&cli(), o.id, new(FW, "no zone"), &refs())
        .await
        .unwrap();
    assert_eq!(plain.zone_id, None);
}

async fn other_frameworks_and_other_organizations_zones_are_refused(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let p = org(store, "mizushima").await;
    let mine = zone(store, &o, "Control").await;
    let theirs = zone(store, &p, "Control").await;
    let e = store
        .create_zone_assessment(
            &cli(),
            o.id,
            new("jipdec-csms-2010", "CSMS"),
            Some(mine.id),
            &["4.2.2.1".to_string()],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::Invalid(f) if f.field == "zone_id" && f.message.contains("62443-3-3")),
        "{e}"
    );
    let e = store
        .create_zone_assessment(&cli(), o.id, new(FW, "x"), Some(theirs.id), &refs())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::Invalid(f) if f.field == "zone_id"),
        "{e}"
    );
    assert!(
        store.assessments(o.id).await.unwrap().is_empty(),
        "nothing was created"
    );
    // Editing a CSMS assessment's header cannot give it a zone either.
    let csms = store
        .create_assessment(
            &cli(),
            o.id,
            new("jipdec-csms-2010", "CSMS"),
            &["4.2.2.1".to_string()],
        )
        .await
        .unwrap();
    let e = store
        .update_assessment(
            &cli(),
            o.id,
            csms.id,
            csms.version,
            AssessmentPatch {
                title: "CSMS".into(),
                zone_id: Some(mine.id),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::Invalid(f) if f.field == "zone_id"),
        "{e}"
    );
    assert_eq!(
        store.assessment(o.id, csms.id).await.unwrap().version,
        csms.version
    );
}

async fn a_zone_named_by_an_assessment_cannot_be_deleted(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let z = zone(store, &o, "Control").await;
    store
        .create_zone_assessment(&cli(), o.id, new(FW, "3-3"), Some(z.id), &refs())
        .await
        .unwrap();
    // The database refuses it even if a caller skips the check the pages and API make.
    let e = store.delete_zone(&cli(), o.id, z.id, z.version).await;
    assert!(e.is_err(), "the zone is still named by an assessment");
    assert!(store.zone(o.id, z.id).await.is_ok());
}

async fn the_approved_assessment_gives_sl_a_else_the_one_in_progress(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let z = zone(store, &o, "Control").await;
    assert!(store.zone_assessment(o.id, z.id).await.unwrap().is_none());
    let first = store
        .create_zone_assessment(&cli(), o.id, new(FW, "first"), Some(z.id), &refs())
        .await
        .unwrap();
    let pick = store.zone_assessment(o.id, z.id).await.unwrap().unwrap();
    assert_eq!(pick.assessment.id, first.id);
    assert!(pick.provisional);
    let approved = store
        .approve_assessment(&cli(), o.id, first.id, first.version, "")
        .await
        .unwrap();
    assert_eq!(approved.status, AssessmentStatus::Approved);
    // A newer one in progress does not replace the approved one.
    let second = store
        .create_zone_assessment(&cli(), o.id, new(FW, "second"), Some(z.id), &refs())
        .await
        .unwrap();
    let pick = store.zone_assessment(o.id, z.id).await.unwrap().unwrap();
    assert_eq!(pick.assessment.id, first.id);
    assert!(!pick.provisional);
    let second = store
        .approve_assessment(&cli(), o.id, second.id, second.version, "")
        .await
        .unwrap();
    let pick = store.zone_assessment(o.id, z.id).await.unwrap().unwrap();
    assert_eq!(pick.assessment.id, second.id, "the latest approved one");
}

async fn assets_move_into_and_out_of_a_zone_all_or_nothing(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let p = org(store, "mizushima").await;
    let z = zone(store, &o, "Control").await;
    let mut assets = Vec::new();
    for tag in ["PLC-01", "HMI-01", "EWS-01"] {
        assets.push(
            store
                .create_asset(
                    &cli(),
                    o.id,
                    NewAsset {
                        asset_tag: tag.into(),
                        name: tag.into(),
                        asset_type: AssetType::Plc,
                        ..Default::default()
                    },
                )
                .await
                .unwrap(),
        );
    }
    // One stale version: nothing moves.
    let e = store
        .move_assets(
            &cli(),
            o.id,
            Some(z.id),
            &[(assets[0].id, assets[0].version), (assets[1].id, 99)],
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { current: 1, .. }), "{e}");
    assert_eq!(store.asset(o.id, assets[0].id).await.unwrap().zone_id, None);
    let moved = store
        .move_assets(
            &cli(),
            o.id,
            Some(z.id),
            &[(assets[0].id, 1), (assets[1].id, 1)],
        )
        .await
        .unwrap();
    assert!(
        moved
            .iter()
            .all(|a| a.zone_id == Some(z.id) && a.version == 2)
    );
    assert_eq!(store.zone_asset_counts(o.id).await.unwrap()[&z.id], 2);
    // Out again.
    store
        .move_assets(&cli(), o.id, None, &[(assets[0].id, 2)])
        .await
        .unwrap();
    assert_eq!(store.zone_asset_counts(o.id).await.unwrap()[&z.id], 1);
    // Another organization can neither move these assets nor into its zones.
    let e = store
        .move_assets(&cli(), p.id, None, &[(assets[1].id, 2)])
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
    let e = store
        .move_assets(&cli(), p.id, Some(z.id), &[(assets[2].id, 1)])
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
    assert!(matches!(
        store.move_assets(&cli(), o.id, Some(z.id), &[]).await,
        Err(StoreError::Invalid(_))
    ));
}

fn uuid_literal(db: &TestDb, id: csms_domain::Uuid) -> String {
    match db.backend {
        Backend::Sqlite => format!("X'{}'", id.simple()),
        Backend::Postgres => format!("'{id}'"),
    }
}

/// Someone with direct database access cannot point an assessment at another organization's
/// zone (PostgreSQL's composite key, SQLite's triggers), nor delete a zone an assessment names.
async fn the_database_keeps_an_assessment_s_zone_in_its_organization(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let p = org(store, "mizushima").await;
    let mine = zone(store, &o, "Control").await;
    let theirs = zone(store, &p, "Control").await;
    let a = store
        .create_zone_assessment(&cli(), o.id, new(FW, "3-3"), Some(mine.id), &refs())
        .await
        .unwrap();
    let (aid, theirs_id, mine_id) = (
        uuid_literal(db, a.id),
        uuid_literal(db, theirs.id),
        uuid_literal(db, mine.id),
    );
    let e = db
        .try_raw(&format!(
            "UPDATE assessments SET zone_id = {theirs_id} WHERE id = {aid}"
        ))
        .await
        .unwrap_err();
    assert!(e.to_lowercase().contains("foreign key"), "{e}");
    let e = db
        .try_raw(&format!("DELETE FROM zones WHERE id = {mine_id}"))
        .await
        .unwrap_err();
    assert!(e.to_lowercase().contains("foreign key"), "{e}");
    assert_eq!(
        store.assessment(o.id, a.id).await.unwrap().zone_id,
        Some(mine.id)
    );
}
