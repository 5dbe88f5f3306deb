//! Benchmarks of the store's write path and of trail verification.
//!
//! - `audited_update/*`: one versioned single-row update of an organization, with its trail
//!   record appended in the same transaction (what every edit in the product costs).
//! - `trail_verify_100k/*`: `verify_trail` over 100,000 records.
//!
//! PostgreSQL runs when `CSMS_BENCH_POSTGRES_URL` (or `CSMS_TEST_POSTGRES_URL`) points at an
//! administrative connection; `bench/run` starts a throwaway cluster for it.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use csms_domain::org::OrganizationPatch;
use csms_domain::trail::Actor;
use csms_store::org::NewOrganization;
use csms_store::testing::{create_postgres_database, test_key};
use csms_store::{SqliteDurability, Store, StoreOptions};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn postgres_url() -> Option<String> {
    std::env::var("CSMS_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("CSMS_TEST_POSTGRES_URL"))
        .ok()
}

struct Target {
    name: &'static str,
    store: Store,
    _dir: Option<tempfile::TempDir>,
}

async fn targets() -> Vec<Target> {
    let mut out = Vec::new();
    for (name, durability) in [
        ("sqlite_full", SqliteDurability::Full),
        ("sqlite_normal", SqliteDurability::Normal),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut o = StoreOptions::new(format!(
            "sqlite://{}",
            dir.path().join("bench.db").display()
        ));
        o.sqlite_durability = durability;
        out.push(Target {
            name,
            store: Store::open(&o, test_key()).await.unwrap(),
            _dir: Some(dir),
        });
    }
    if postgres_url().is_some() {
        let (_, url) = create_postgres_database().await;
        out.push(Target {
            name: "postgres",
            store: Store::open(&StoreOptions::new(url), test_key())
                .await
                .unwrap(),
            _dir: None,
        });
    } else {
        eprintln!("PostgreSQL skipped: set CSMS_BENCH_POSTGRES_URL or use bench/run");
    }
    out
}

async fn new_org(store: &Store, slug: &str) -> (csms_domain::Uuid, i64) {
    let o = store
        .create_organization(
            &Actor::system("bench"),
            NewOrganization {
                slug: slug.into(),
                name: "ベンチマーク工場".into(),
                description: String::new(),
                timezone: "Asia/Tokyo".into(),
            },
        )
        .await
        .unwrap();
    (o.id, o.version)
}

fn audited_update(c: &mut Criterion) {
    let rt = runtime();
    let targets = rt.block_on(targets());
    let mut group = c.benchmark_group("audited_update");
    group.throughput(Throughput::Elements(1));
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(8));
    let actor = Actor::system("bench");
    for t in &targets {
        let (id, mut version) = rt.block_on(new_org(&t.store, "upd"));
        let mut n = 0u64;
        group.bench_function(t.name, |b| {
            b.iter(|| {
                n += 1;
                let patch = OrganizationPatch {
                    description: Some(format!("改訂 {n}")),
                    ..Default::default()
                };
                version = rt
                    .block_on(t.store.update_organization(&actor, id, version, patch))
                    .unwrap()
                    .version;
            })
        });
    }
    group.finish();
    for t in targets {
        rt.block_on(t.store.close());
    }
}

fn trail_verify(c: &mut Criterion) {
    const RECORDS: i64 = 100_000;
    let rt = runtime();
    let mut targets = rt.block_on(targets());
    // Verification cost does not depend on durability: keep one SQLite target.
    targets.retain(|t| t.name != "sqlite_full");
    let actor = Actor::system("bench");
    let mut group = c.benchmark_group("trail_verify_100k");
    group.sample_size(10);
    group.throughput(Throughput::Elements(RECORDS as u64));
    for t in &targets {
        rt.block_on(async {
            let (id, mut version) = new_org(&t.store, "verify").await;
            let started = std::time::Instant::now();
            while t.store.trail_len().await.unwrap() < RECORDS {
                for _ in 0..1000 {
                    let patch = OrganizationPatch {
                        description: Some(format!("{version}")),
                        ..Default::default()
                    };
                    version = t
                        .store
                        .update_organization(&actor, id, version, patch)
                        .await
                        .unwrap()
                        .version;
                }
            }
            eprintln!(
                "{}: wrote {} audited updates in {:.1} s",
                t.name,
                t.store.trail_len().await.unwrap(),
                started.elapsed().as_secs_f64()
            );
        });
        group.bench_function(t.name, |b| {
            b.iter(|| rt.block_on(t.store.verify_trail()).unwrap())
        });
    }
    group.finish();
    for t in targets {
        rt.block_on(t.store.close());
    }
}

criterion_group!(benches, audited_update, trail_verify);
criterion_main!(benches);
