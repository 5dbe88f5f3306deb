//! Server time of the assessment dashboard: a JIPDEC-criteria assessment (127 requirements)
//! with mixed results and 10,000 evidence links, rendered through the whole router (guard,
//! session, queries, roll-ups, SVG charts, template) on SQLite. Target: under 20 ms.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use criterion::{Criterion, criterion_group, criterion_main};
use csms_domain::assessment::{Outcome, ResultInput};
use csms_domain::auth::Role;
use csms_domain::trail::Actor;
use csms_store::assessment::{NewAssessment, ResultChange};
use csms_store::auth::NewUser;
use csms_store::org::NewOrganization;
use csms_store::testing::TestDb;
use csms_web::{AppState, WebConfig};
use http_body_util::BodyExt;
use tower::ServiceExt;

const EVIDENCE: usize = 10_000;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (db, router, path, cookie) = rt.block_on(async {
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
        let catalog = csms_catalog::shipped()
            .unwrap()
            .into_iter()
            .find(|c| c.framework.id == "jipdec-csms-2010")
            .unwrap();
        let refs: Vec<String> = catalog.assessable().map(|n| n.reference.clone()).collect();
        let a = store
            .create_assessment(
                &actor,
                org.id,
                NewAssessment {
                    framework_id: "jipdec-csms-2010".into(),
                    title: "bench".into(),
                    ..Default::default()
                },
                &refs,
            )
            .await
            .unwrap();
        let outcomes = [
            Outcome::Conformant,
            Outcome::Partial,
            Outcome::Nonconformant,
            Outcome::NotAssessed,
        ];
        let changes = refs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let o = outcomes[i % outcomes.len()];
                ResultChange {
                    node_ref: r.clone(),
                    version: 1,
                    outcome: o,
                    input: ResultInput {
                        outcome: Some(o),
                        notes: "所見".into(),
                        ..Default::default()
                    },
                }
            })
            .collect();
        store
            .set_results(&actor, org.id, a.id, changes)
            .await
            .unwrap();
        for i in 0..EVIDENCE {
            // Three requirements in four get evidence, so the readiness list is not empty.
            let r = &refs[(i % (refs.len() * 3 / 4)) * 4 / 3 % refs.len()];
            store
                .add_evidence(
                    &actor,
                    org.id,
                    a.id,
                    r,
                    &format!("DOC-{i:05}"),
                    "\\\\fs\\csms",
                )
                .await
                .unwrap();
        }
        assert_eq!(
            store
                .evidence_counts(org.id, a.id)
                .await
                .unwrap()
                .values()
                .sum::<i64>(),
            EVIDENCE as i64
        );
        let (_, secret) = store
            .create_session(user.id, time::Duration::hours(8), None, None)
            .await
            .unwrap();
        let router = csms_web::router(AppState::new(store, WebConfig::default()));
        (
            db,
            router,
            format!("/o/bench/assessments/{}", a.id),
            format!("csms_session={secret}"),
        )
    });
    let get = |router: axum::Router, path: String, cookie: String| async move {
        let res = router
            .oneshot(
                Request::get(path)
                    .header(header::COOKIE, cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.into_body().collect().await.unwrap().to_bytes().len()
    };
    let mut g = c.benchmark_group("assessment_dashboard");
    g.sample_size(50).measurement_time(Duration::from_secs(10));
    g.bench_function("jipdec_10k_evidence", |b| {
        b.to_async(&rt)
            .iter(|| get(router.clone(), path.clone(), cookie.clone()))
    });
    g.bench_function("jipdec_10k_evidence_workspace", |b| {
        b.to_async(&rt)
            .iter(|| get(router.clone(), format!("{path}/work"), cookie.clone()))
    });
    g.finish();
    rt.block_on(db.cleanup());
}

criterion_group!(benches, bench);
criterion_main!(benches);
