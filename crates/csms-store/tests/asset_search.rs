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
    short_queries_match_every_substring,
    common_short_queries_page_in_tag_order,
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

    // An import indexes its rows in bulk (SQLite sets the per-row trigger aside meanwhile):
    // afterwards the imported rows are found, and single changes are indexed again.
    store
        .import_assets(
            &cli(),
            o.id,
            vec![
                asset("IMP-1", "Imported pump", "Ebara", Some("10.9.9.1")),
                asset("IMP-2", "Imported valve", "Kitz", None),
            ],
        )
        .await
        .unwrap();
    assert_eq!(search(store, o.id, "imported").await, ["IMP-1", "IMP-2"]);
    assert_eq!(search(store, o.id, "9.1").await, ["IMP-1"]);
    assert_eq!(search(store, o.id, "tz").await, ["IMP-2"]);
    // A refused import leaves the index and its trigger as they were.
    assert!(
        store
            .import_assets(
                &cli(),
                o.id,
                vec![
                    asset("IMP-3", "Gauge", "Nagano Keiki", None),
                    asset("IMP-1", "Duplicate", "Ebara", None),
                ],
            )
            .await
            .is_err()
    );
    assert!(search(store, o.id, "gauge").await.is_empty());
    store
        .create_asset(&cli(), o.id, asset("RTU-8", "Compressor", "Hitachi", None))
        .await
        .unwrap();
    assert_eq!(search(store, o.id, "compressor").await, ["RTU-8"]);
    assert_eq!(search(store, o.id, "hi").await, ["RTU-8"]);
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

/// One- and two-character queries (served on SQLite through the trigram index's term list)
/// find exactly the assets a scan finds: every one- and two-character piece of every searched
/// text, at its start, in its middle and at its very end, and pieces that occur nowhere.
async fn short_queries_match_every_substring(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let texts: Vec<(String, String, String, Option<String>)> = (0..40)
        .map(|i| {
            (
                format!("T{i:02}-{}", ["Qx", "ab", "Ω9", "z"][i % 4]),
                format!(
                    "{} {i}",
                    ["ポンプ", "Reactor", "蒸留塔", "Ζeta", "k"][i % 5]
                ),
                ["Siemens", "Yokogawa", "ABB", "", "Moxa"][i % 5].to_owned(),
                (i % 3 == 0).then(|| format!("10.{i}.0.{}", i * 7 % 256)),
            )
        })
        .collect();
    store
        .import_assets(
            &cli(),
            o.id,
            texts
                .iter()
                .map(|(t, n, v, ip)| asset(t, n, v, ip.as_deref()))
                .collect(),
        )
        .await
        .unwrap();
    let fields = |(t, n, v, ip): &(String, String, String, Option<String>)| {
        let mut f = vec![t.to_lowercase(), n.to_lowercase(), v.to_lowercase()];
        f.extend(ip.clone());
        f
    };
    let mut queries: std::collections::BTreeSet<String> = ["ж", "q!", "9z", "xq", "@"]
        .into_iter()
        .map(String::from)
        .collect();
    for t in &texts {
        for f in fields(t) {
            let chars: Vec<char> = f.chars().collect();
            for w in 1..=2 {
                for piece in chars.windows(w) {
                    queries.insert(piece.iter().collect());
                }
            }
        }
    }
    for q in &queries {
        // The list trims the query.
        let q = q.trim();
        if q.is_empty() {
            continue;
        }
        let mut want: Vec<String> = texts
            .iter()
            .filter(|t| fields(t).iter().any(|f| f.contains(q)))
            .map(|t| t.0.clone())
            .collect();
        want.sort();
        assert_eq!(search(store, o.id, q).await, want, "query {q:?}");
        let upper = q.to_uppercase();
        if upper.chars().count() == q.chars().count() {
            assert_eq!(search(store, o.id, &upper).await, want, "query {upper:?}");
        }
    }
}

/// A short query held by many assets pages in tag order like any other, and a short query
/// combined with another filter keeps both.
async fn common_short_queries_page_in_tag_order(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "kashima").await;
    let mut all: Vec<NewAsset> = (0..2_500)
        .map(|i| NewAsset {
            asset_type: if i % 2 == 0 {
                AssetType::Plc
            } else {
                AssetType::RemoteIo
            },
            ..asset(&format!("P-{i:05}"), &format!("Pump {i}"), "Ebara", None)
        })
        .collect();
    all.push(asset("V-1", "Valve", "Kitz", None));
    store.import_assets(&cli(), o.id, all).await.unwrap();
    let page = |q: &str, after: Option<String>, asset_type: Option<AssetType>| AssetFilter {
        q: Some(q.into()),
        after,
        asset_type,
        limit: 100,
        ..Default::default()
    };
    let first = store.assets(o.id, &page("pu", None, None)).await.unwrap();
    let want: Vec<String> = (0..100).map(|i| format!("P-{i:05}")).collect();
    assert_eq!(
        first
            .assets
            .iter()
            .map(|a| a.asset_tag.clone())
            .collect::<Vec<_>>(),
        want
    );
    let second = store
        .assets(o.id, &page("pu", first.next.clone(), None))
        .await
        .unwrap();
    assert_eq!(second.assets[0].asset_tag, "P-00100");
    let plcs = tags(store, o.id, page("u", None, Some(AssetType::RemoteIo))).await;
    assert_eq!(plcs.len(), 100);
    assert!(plcs.iter().all(|t| t[2..].parse::<u32>().unwrap() % 2 == 1));
    assert_eq!(search(store, o.id, "va").await, ["V-1"]);
    assert_eq!(search(store, o.id, "v").await, ["V-1"]);
    assert!(search(store, o.id, "pv").await.is_empty());
}
