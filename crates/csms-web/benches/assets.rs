//! Server time of the filtered asset list at 100,000 assets, through the whole router (guard,
//! session, query, template) on SQLite: by type, by zone, and by free text with many, few and
//! no matches (three characters or more use the trigram index; a two-character query falls
//! back to LIKE and is measured too). Target: under 50 ms each.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{Criterion, criterion_group, criterion_main};
use csms_domain::auth::Role;
use csms_domain::inventory::{AssetType, Interface, NewAsset, NewZone};
use csms_domain::trail::Actor;
use csms_store::auth::NewUser;
use csms_store::org::NewOrganization;
use csms_store::testing::TestDb;
use csms_web::{AppState, WebConfig};
use http_body_util::BodyExt;
use tower::ServiceExt;

const ASSETS: usize = 100_000;
const ZONES: usize = 20;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (db, router, zone, cookie, token) = rt.block_on(async {
        let db = TestDb::sqlite().await;
        let store = db.store.clone();
        let actor = Actor::system("bench");
        let org = store
            .create_organization(
                &actor,
                NewOrganization {
                    slug: "bench".into(),
                    name: "Bench Works".into(),
                    description: String::new(),
                    timezone: "Asia/Tokyo".into(),
                },
            )
            .await
            .unwrap();
        let user = store
            .create_user(
                &actor,
                NewUser {
                    username: "bench".into(),
                    display_name: "Bench".into(),
                    email: None,
                    password: "bench passphrase 1234".into(),
                    must_change_password: false,
                },
            )
            .await
            .unwrap();
        store
            .set_membership(&actor, org.id, user.id, Role::CsmsManager)
            .await
            .unwrap();
        let mut zones = Vec::new();
        for z in 0..ZONES {
            zones.push(
                store
                    .create_zone(
                        &actor,
                        org.id,
                        NewZone {
                            name: format!("Zone {z:02}"),
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap()
                    .id,
            );
        }
        let vendors = [
            ("Siemens", "SIMATIC S7-1500", "CPU 1515-2 PN"),
            ("Yokogawa", "CENTUM VP", "AFV30D"),
            ("Mitsubishi Electric", "MELSEC iQ-R", "R04CPU"),
            ("Rockwell Automation", "ControlLogix", "1756-L83E"),
            ("Moxa", "EDS", "EDS-508A"),
            ("Hirschmann", "EAGLE", "EAGLE40"),
            ("Omron", "NX", "NX102-9000"),
        ];
        let assets: Vec<NewAsset> = (0..ASSETS)
            .map(|i| {
                let (vendor, family, model) = vendors[i % vendors.len()];
                NewAsset {
                    asset_tag: format!("A-{i:06}"),
                    name: format!("反応器 {i} 制御盤"),
                    asset_type: AssetType::ALL[i % AssetType::ALL.len()],
                    vendor: vendor.into(),
                    product_family: family.into(),
                    model: model.into(),
                    serial_number: format!("SN{:010}", i * 7919),
                    location: format!("第{}工場", i % 5 + 1),
                    interfaces: vec![Interface {
                        ip: Some(format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255)),
                        ..Default::default()
                    }],
                    zone_id: Some(zones[i % ZONES]),
                    ..Default::default()
                }
            })
            .collect();
        let t = Instant::now();
        store.import_assets(&actor, org.id, assets).await.unwrap();
        eprintln!("setup: {ASSETS} assets imported in {:?}", t.elapsed());
        let (_, secret) = store
            .create_session(user.id, time::Duration::hours(8), None, None)
            .await
            .unwrap();
        let later = csms_domain::time::now() + time::Duration::days(1);
        let token = store
            .create_api_token(&actor, org.id, user.id, "bench", Role::CsmsManager, later)
            .await
            .unwrap()
            .secret;
        let router = csms_web::router(AppState::new(store, WebConfig::default()));
        (
            db,
            router,
            zones[3],
            format!("csms_session={secret}"),
            format!("Bearer {token}"),
        )
    });
    let get = |router: axum::Router, path: String, auth: (&'static str, String)| async move {
        let res = router
            .oneshot(
                Request::get(&path)
                    .header(auth.0, auth.1)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res.into_body().collect().await.unwrap().to_bytes().len()
    };
    let cases = [
        ("type", "type=plc".to_owned()),
        ("zone", format!("zone={zone}")),
        ("text_many", "q=siemens".to_owned()),
        ("text_few", "q=a-01234".to_owned()),
        ("text_none", "q=zzqx".to_owned()),
        ("text_japanese", "q=反応器 4242".to_owned()),
        ("text_ip", "q=10.1.2.".to_owned()),
        ("text_two_chars", "q=zq".to_owned()),
    ];
    let mut g = c.benchmark_group("asset_list_100k");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    for (name, query) in &cases {
        let query = query
            .replace(' ', "%20")
            .replace("反応器", "%E5%8F%8D%E5%BF%9C%E5%99%A8");
        let page = format!("/o/bench/assets?{query}");
        g.bench_function(format!("page_{name}"), |b| {
            b.to_async(&rt)
                .iter(|| get(router.clone(), page.clone(), ("cookie", cookie.clone())))
        });
        let api = format!("/api/v1/assets?{}", query.replace("zone=", "zone_id="));
        g.bench_function(format!("api_{name}"), |b| {
            b.to_async(&rt).iter(|| {
                get(
                    router.clone(),
                    api.clone(),
                    ("authorization", token.clone()),
                )
            })
        });
    }
    g.finish();
    rt.block_on(db.cleanup());
}

criterion_group!(benches, bench);
criterion_main!(benches);
