//! The asset list's free-text search (trigram index on both backends, LIKE for short queries)
//! and its criticality and site filters. Every test runs on SQLite and on PostgreSQL and must
//! give the same answers.

use csms_domain::Uuid;
use csms_domain::inventory::{AssetType, Criticality, Interface, NewAsset, NewSite, NewSystem};
use csms_domain::trail::Actor;
use csms_store::Store;
use csms_store::inventory::AssetFilter;
use csms_store::org::NewOrganization;
use csms_store::testing::TestDb;

use csms_store::on_both_backends;

on_both_backends!(
    search_matches_substrings_case_insensitively,
    search_pages_by_keyset,
    search_follows_updates_and_deletes,
    criticality_and_site_filters,
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

fn asset(tag: &str, name: &str, vendor: &str, ip: Option<&str>) -> NewAsset {
    NewAsset {
        asset_tag: tag.into(),
        name: name.into(),
        vendor: vendor.into(),
        interfaces: ip
            .map(|ip| {
                vec![Interface {
                    ip: Some(ip.into()),
                    ..Default::default()
                }]
            })
            .unwrap_or_default(),
        ..Default::default()
    }
}

async fn tags(store: &Store, org: Uuid, filter: AssetFilter) -> Vec<String> {
    store
        .assets(org, &filter)
        .await
        .unwrap()
        .assets
        .into_iter()
        .map(|a| a.asset_tag)
        .collect()
}

async fn search(store: &Store, org: Uuid, q: &str) -> Vec<String> {
    tags(
        store,
        org,
        AssetFilter {
            q: Some(q.into()),
            limit: 1_000,
            ..Default::default()
        },
    )
    .await
}

async fn search_matches_substrings_case_insensitively(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let other = org(store, "chiba").await;
    store
        .import_assets(
            &cli(),
            o.id,
            vec![
                asset("PLC-001", "反応器 PLC", "Siemens", Some("192.168.10.11")),
                asset("PLC-002", "蒸留塔 PLC", "Siemens", Some("192.168.10.12/24")),
                NewAsset {
                    asset_type: AssetType::Hmi,
                    ..asset("HMI-01", "Operator Station", "Yokogawa", Some("10.0.1.5"))
                },
                asset("FW_01", "Zone firewall 100%", "Fortinet", None),
                asset(
                    "SW-1001",
                    "Boiler feed water pump controller switch",
                    "Hirschmann",
                    Some("fd00::10"),
                ),
            ],
        )
        .await
        .unwrap();
    store
        .import_assets(
            &cli(),
            other.id,
            vec![asset(
                "PLC-001",
                "反応器 PLC",
                "Siemens",
                Some("192.168.10.11"),
            )],
        )
        .await
        .unwrap();

    // Case-insensitive, three characters or more (the trigram index).
    assert_eq!(search(store, o.id, "SIEMENS").await, ["PLC-001", "PLC-002"]);
    assert_eq!(search(store, o.id, "emen").await, ["PLC-001", "PLC-002"]);
    assert_eq!(search(store, o.id, "operator st").await, ["HMI-01"]);
    // Shorter queries (LIKE alone) give the same kind of answer.
    assert_eq!(search(store, o.id, "hM").await, ["HMI-01", "SW-1001"]);
    assert_eq!(search(store, o.id, "sW").await, ["SW-1001"]);
    // Japanese text: three characters through the index, two without.
    assert_eq!(search(store, o.id, "反応器").await, ["PLC-001"]);
    assert_eq!(search(store, o.id, "蒸留").await, ["PLC-002"]);
    assert_eq!(search(store, o.id, "器 PLC").await, ["PLC-001"]);
    // IP fragments (the prefix length is stored with the address).
    assert_eq!(
        search(store, o.id, "192.168.10.").await,
        ["PLC-001", "PLC-002"]
    );
    assert_eq!(search(store, o.id, "10.12/24").await, ["PLC-002"]);
    assert_eq!(search(store, o.id, "fd00::").await, ["SW-1001"]);
    assert_eq!(search(store, o.id, "0.1.5").await, ["HMI-01"]);
    // `%` and `_` are literal characters, never wildcards.
    assert_eq!(search(store, o.id, "100%").await, ["FW_01"]);
    assert_eq!(search(store, o.id, "%").await, ["FW_01"]);
    assert_eq!(search(store, o.id, "w_0").await, ["FW_01"]);
    assert!(search(store, o.id, "_").await == ["FW_01"]);
    assert!(search(store, o.id, "plc_0").await.is_empty());
    // A quote is a character too (FTS5 syntax never leaks through).
    assert!(search(store, o.id, "\"plc").await.is_empty());
    assert!(search(store, o.id, "plc OR hmi").await.is_empty());
    assert!(search(store, o.id, "NEAR(plc").await.is_empty());
    // Long queries (more trigrams than the index is asked for) stay exact.
    assert_eq!(search(store, o.id, "zone firewall 100%").await, ["FW_01"]);
    assert_eq!(
        search(store, o.id, "Boiler feed water pump controller").await,
        ["SW-1001"]
    );
    assert!(
        search(store, o.id, "boiler feed water pump controllers")
            .await
            .is_empty()
    );
    assert!(
        search(store, o.id, "boiler feed pump water controller")
            .await
            .is_empty()
    );
    // Nothing matches across two attributes (they are separate lines).
    assert!(search(store, o.id, "plc siemens").await.is_empty());
    assert!(search(store, o.id, "nothing like it").await.is_empty());
    // The other organization's copy is never found.
    assert_eq!(search(store, other.id, "反応器").await, ["PLC-001"]);
    assert_eq!(search(store, o.id, "plc-001").await, ["PLC-001"]);
    // The query combines with the other filters.
    let others = tags(
        store,
        o.id,
        AssetFilter {
            q: Some("o".into()),
            asset_type: Some(AssetType::Other),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(others, ["FW_01", "SW-1001"]);
}

async fn search_pages_by_keyset(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let assets: Vec<NewAsset> = (0..120)
        .map(|i| {
            let vendor = if i % 3 == 0 { "Mitsubishi" } else { "Omron" };
            asset(
                &format!("A-{i:04}"),
                &format!("ポンプ {i}"),
                vendor,
                Some(&format!("10.1.{}.{}", i / 100, i % 100 + 1)),
            )
        })
        .collect();
    store.import_assets(&cli(), o.id, assets).await.unwrap();
    for q in ["mitsu", "mi"] {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .assets(
                    o.id,
                    &AssetFilter {
                        q: Some(q.into()),
                        limit: 7,
                        after: after.clone(),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            assert!(page.assets.len() <= 7);
            seen.extend(page.assets.into_iter().map(|a| a.asset_tag));
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        let expected: Vec<String> = (0..120)
            .filter(|i| i % 3 == 0)
            .map(|i| format!("A-{i:04}"))
            .collect();
        assert_eq!(seen, expected, "{q}");
    }
}

async fn search_follows_updates_and_deletes(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let a = store
        .create_asset(&cli(), o.id, asset("RTU-7", "Pump station", "ABB", None))
        .await
        .unwrap();
    assert_eq!(search(store, o.id, "pump").await, ["RTU-7"]);
    let a = store
        .update_asset(
            &cli(),
            o.id,
            a.id,
            a.version,
            asset("RTU-7", "Valve station", "ABB", Some("172.16.0.9")),
        )
        .await
        .unwrap();
    assert!(search(store, o.id, "pump").await.is_empty());
    assert_eq!(search(store, o.id, "valve").await, ["RTU-7"]);
    assert_eq!(search(store, o.id, "172.16").await, ["RTU-7"]);
    store
        .delete_asset(&cli(), o.id, a.id, a.version)
        .await
        .unwrap();
    assert!(search(store, o.id, "valve").await.is_empty());
}

async fn criticality_and_site_filters(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let site = |name: &str| NewSite {
        name: name.into(),
        ..Default::default()
    };
    let north = store
        .create_site(&cli(), o.id, site("North"))
        .await
        .unwrap();
    let south = store
        .create_site(&cli(), o.id, site("South"))
        .await
        .unwrap();
    let system = |name: &str, site: Uuid| NewSystem {
        name: name.into(),
        site_id: Some(site),
        ..Default::default()
    };
    let n1 = store
        .create_system(&cli(), o.id, system("Boiler", north.id))
        .await
        .unwrap();
    let n2 = store
        .create_system(&cli(), o.id, system("Turbine", north.id))
        .await
        .unwrap();
    let s1 = store
        .create_system(&cli(), o.id, system("Water", south.id))
        .await
        .unwrap();
    let mk = |tag: &str, c: Criticality, sys: Option<Uuid>| NewAsset {
        criticality: c,
        system_id: sys,
        ..asset(tag, "", "", None)
    };
    store
        .import_assets(
            &cli(),
            o.id,
            vec![
                mk("A1", Criticality::High, Some(n1.id)),
                mk("A2", Criticality::Low, Some(n2.id)),
                mk("A3", Criticality::High, Some(s1.id)),
                mk("A4", Criticality::Critical, None),
            ],
        )
        .await
        .unwrap();
    let f = |criticality, site_id| AssetFilter {
        criticality,
        site_id,
        ..Default::default()
    };
    assert_eq!(
        tags(store, o.id, f(Some(Criticality::High), None)).await,
        ["A1", "A3"]
    );
    assert_eq!(
        tags(store, o.id, f(None, Some(north.id))).await,
        ["A1", "A2"]
    );
    assert_eq!(tags(store, o.id, f(None, Some(south.id))).await, ["A3"]);
    assert_eq!(
        tags(store, o.id, f(Some(Criticality::High), Some(north.id))).await,
        ["A1"]
    );
    assert!(
        tags(store, o.id, f(Some(Criticality::Medium), None))
            .await
            .is_empty()
    );
    // Another organization's site selects nothing here.
    let other = org(store, "chiba").await;
    assert!(
        tags(store, other.id, f(None, Some(north.id)))
            .await
            .is_empty()
    );
}
