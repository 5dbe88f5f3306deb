//! The Statement of Applicability in the store, on SQLite and PostgreSQL (issue 6): a JIPDEC
//! draft with one item per clause-5 item of the shipped catalog, decisions, approval (refused
//! naming undecided items), immutability of approved versions, new drafts as copies,
//! additional items, the diff, and the trail.

use csms_domain::Uuid;
use csms_domain::control::{ControlStatus, NewControl};
use csms_domain::inventory::NewSystem;
use csms_domain::register::{NewRisk, RatingInput, RiskKind, Treatment, validate_risk};
use csms_domain::risk::RiskMethod;
use csms_domain::soa::{
    Applicability, CandidateNode, DiffKind, ImplStatus, ItemDecision, JIPDEC, NewAdditional,
    ReasonKind, SoaState, candidates, diff,
};
use csms_domain::trail::Actor;
use csms_store::auth::NewUser;
use csms_store::org::NewOrganization;
use csms_store::testing::TestDb;
use csms_store::trail::TrailQuery;
use csms_store::{Store, StoreError};

csms_store::on_both_backends!(
    a_jipdec_statement_is_decided_approved_and_frozen,
    a_new_draft_copies_the_latest_approved_version,
    additional_items_are_the_organizations_own,
    items_stay_in_their_organization,
);

fn cli() -> Actor {
    Actor::system("cli:test")
}

/// One node of the shipped JIPDEC catalog, as far as the statement needs it.
#[derive(Default, Clone)]
struct YamlNode {
    reference: String,
    parent: Option<String>,
    kind: String,
    assessable: bool,
}

fn unquote(v: &str) -> String {
    v.trim().trim_matches('"').trim_matches('\'').to_owned()
}

/// The JIPDEC statement's items, derived from the shipped catalog file with the domain's
/// rule (the store does not depend on the catalog crate, so the file's node list is read
/// line by line: every node starts with `  - ref:` and has its keys at four spaces).
fn jipdec_refs() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../csms-catalog/catalogs/jipdec-csms-2010.yaml"
    );
    let text = std::fs::read_to_string(path).expect("the shipped JIPDEC catalog");
    let mut nodes: Vec<YamlNode> = Vec::new();
    for line in text.lines() {
        if let Some(r) = line.strip_prefix("  - ref: ") {
            nodes.push(YamlNode {
                reference: unquote(r),
                ..YamlNode::default()
            });
        } else if let Some(n) = nodes.last_mut() {
            if let Some(p) = line.strip_prefix("    parent: ") {
                n.parent = Some(unquote(p));
            } else if let Some(k) = line.strip_prefix("    kind: ") {
                n.kind = unquote(k);
            } else if let Some(a) = line.strip_prefix("    assessable: ") {
                n.assessable = a.trim() == "true";
            }
        }
    }
    assert!(nodes.len() > 100, "the catalog lists its nodes");
    let view: Vec<CandidateNode<'_>> = nodes
        .iter()
        .map(|n| CandidateNode {
            reference: &n.reference,
            parent: n.parent.as_deref(),
            kind: &n.kind,
            assessable: n.assessable,
        })
        .collect();
    let refs = candidates(JIPDEC, &view);
    assert!(
        refs.iter().all(|r| r.starts_with("5.")),
        "every candidate is under clause 5: {refs:?}"
    );
    // Every assessable requirement under 5.x is a candidate, and nothing else.
    let expected = nodes
        .iter()
        .filter(|n| {
            n.assessable
                && n.parent
                    .as_deref()
                    .is_some_and(|p| p.starts_with("5.") || p == "5")
        })
        .count();
    assert_eq!(refs.len(), expected);
    refs
}

struct Org {
    id: Uuid,
    manager: Actor,
    risk: Uuid,
    control: Uuid,
}

async fn org(store: &Store, slug: &str) -> Org {
    let o = store
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
        .unwrap();
    let u = store
        .create_user(
            &cli(),
            NewUser {
                username: format!("{slug}-yamada"),
                display_name: "山田 花子".into(),
                email: None,
                password: "correct horse battery staple".into(),
                must_change_password: false,
            },
        )
        .await
        .unwrap();
    let system = store
        .create_system(
            &cli(),
            o.id,
            NewSystem {
                name: "常圧蒸留装置 DCS".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let m = RiskMethod::default_5x5();
    let rating = |l: u8, c: u8| RatingInput {
        likelihood: l,
        consequences: [(m.categories[0].id.clone(), c)].into_iter().collect(),
    };
    let risk = store
        .create_risk(
            &cli(),
            o.id,
            validate_risk(
                &m,
                NewRisk {
                    title: "USB媒体によるマルウェア持ち込み".into(),
                    kind: RiskKind::HighLevel,
                    system_id: Some(system.id),
                    threat_source: "協力会社作業員".into(),
                    threat_vector: "USBメモリ".into(),
                    scenario: "持ち込まれた媒体からHMIが感染し、監視が止まる".into(),
                    inherent: rating(4, 4),
                    treatment: Treatment::Reduce,
                    planned_controls: "可搬媒体の持込み管理".into(),
                    residual: Some(rating(2, 3)),
                    ..NewRisk::default()
                },
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let control = store
        .create_control(
            &cli(),
            o.id,
            NewControl {
                title: "可搬媒体の持込み管理".into(),
                status: ControlStatus::Operating,
                risk_ids: vec![risk.id],
                ..NewControl::default()
            },
        )
        .await
        .unwrap();
    Org {
        id: o.id,
        manager: Actor::user(u.id, &u.username),
        risk: risk.id,
        control: control.id,
    }
}

fn applicable(text: &str) -> ItemDecision {
    ItemDecision {
        applicability: Applicability::Applicable,
        reasons: vec![ReasonKind::BusinessNeed],
        reason_text: text.into(),
        status: ImplStatus::Implemented,
        ..ItemDecision::default()
    }
}

fn excluded(text: &str) -> ItemDecision {
    ItemDecision {
        applicability: Applicability::Excluded,
        exclusion: text.into(),
        ..ItemDecision::default()
    }
}

fn field_of<T: std::fmt::Debug>(r: Result<T, StoreError>) -> (&'static str, String) {
    match r {
        Err(StoreError::Invalid(f)) => (f.field, f.message),
        other => panic!("expected a field error, got {other:?}"),
    }
}

fn is_locked<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    match r {
        Err(StoreError::Locked(m)) => assert!(m.contains("approved"), "{m}"),
        other => panic!("expected Locked, got {other:?}"),
    }
}

/// Decides every item of the version: the first two excluded, the rest applicable.
async fn decide_all(store: &Store, o: &Org, version_id: Uuid) {
    let items = store.soa_items(o.id, version_id).await.unwrap();
    for (n, i) in items.iter().enumerate() {
        let d = if n < 2 {
            excluded("プラント内に無線ネットワークは存在しない")
        } else {
            applicable(&format!("{} は操業継続に必要", i.node_ref))
        };
        store
            .update_soa_item(&cli(), o.id, i.id, i.version, d)
            .await
            .unwrap();
    }
}

async fn a_jipdec_statement_is_decided_approved_and_frozen(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "soa-a").await;
    let refs = jipdec_refs();
    let draft = store
        .start_soa_draft(&cli(), o.id, JIPDEC, &refs)
        .await
        .unwrap();
    assert_eq!(draft.state, SoaState::Draft);
    assert_eq!(draft.number, None);
    assert_eq!(draft.based_on, None);
    // One undecided item per clause-5 item, in the catalog's order.
    let items = store.soa_items(o.id, draft.id).await.unwrap();
    let got: Vec<&str> = items.iter().map(|i| i.node_ref.as_str()).collect();
    assert_eq!(got, refs.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        items
            .iter()
            .all(|i| i.applicability == Applicability::Undecided && !i.additional)
    );
    // A second draft of the same framework is refused.
    assert!(matches!(
        store.start_soa_draft(&cli(), o.id, JIPDEC, &refs).await,
        Err(StoreError::Duplicate { .. })
    ));

    // Decisions: incomplete ones are refused naming the item and the field.
    let first = &items[0];
    let (field, msg) = field_of(
        store
            .update_soa_item(&cli(), o.id, first.id, 1, excluded("  "))
            .await,
    );
    assert_eq!(field, "exclusion");
    assert!(msg.contains(&first.node_ref), "{msg}");
    let (field, _) = field_of(
        store
            .update_soa_item(
                &cli(),
                o.id,
                first.id,
                1,
                ItemDecision {
                    reasons: vec![ReasonKind::RiskTreatment],
                    ..applicable("リスク対応")
                },
            )
            .await,
    );
    assert_eq!(field, "risk_ids");
    // Risk treatment with a risk and a control: the risk is kept as a snapshot.
    let treated = store
        .update_soa_item(
            &cli(),
            o.id,
            first.id,
            1,
            ItemDecision {
                reasons: vec![ReasonKind::RiskTreatment, ReasonKind::LegalContractual],
                risk_ids: vec![o.risk],
                control_ids: vec![o.control],
                ..applicable("顧客契約とリスク R-0001 への対応")
            },
        )
        .await
        .unwrap();
    assert_eq!(treated.version, 2);
    assert_eq!(treated.risks.len(), 1);
    assert_eq!(treated.risks[0].title, "USB媒体によるマルウェア持ち込み");
    assert_eq!(
        store.soa_item(o.id, first.id).await.unwrap().control_ids,
        vec![o.control]
    );
    // A stale version conflicts.
    assert!(matches!(
        store
            .update_soa_item(&cli(), o.id, first.id, 1, applicable("x"))
            .await,
        Err(StoreError::Conflict { current: 2, .. })
    ));

    // Approval is refused while items are undecided, naming them.
    let v = store.soa_version(o.id, draft.id).await.unwrap();
    let (field, msg) = field_of(
        store
            .approve_soa(&o.manager, "山田 花子", o.id, draft.id, v.version, "")
            .await,
    );
    assert_eq!(field, "items");
    assert!(msg.contains(&refs[1]), "{msg}");
    assert!(
        msg.contains(&format!("{} item(s)", refs.len() - 1)),
        "{msg}"
    );

    // Decide everything else, then approve naming the draft's row version.
    let items = store.soa_items(o.id, draft.id).await.unwrap();
    for (n, i) in items.iter().enumerate().skip(1) {
        let d = if n < 3 {
            excluded("プラント内に無線ネットワークは存在しない")
        } else {
            applicable(&format!("{} は操業継続に必要", i.node_ref))
        };
        store
            .update_soa_item(&cli(), o.id, i.id, i.version, d)
            .await
            .unwrap();
    }
    let v = store.soa_version(o.id, draft.id).await.unwrap();
    assert!(
        v.version > draft.version,
        "item changes move the draft's row version on"
    );
    assert!(matches!(
        store
            .approve_soa(&o.manager, "山田 花子", o.id, draft.id, draft.version, "")
            .await,
        Err(StoreError::Conflict { .. })
    ));
    let approved = store
        .approve_soa(
            &o.manager,
            "山田 花子",
            o.id,
            draft.id,
            v.version,
            " マネジメントレビューで承認 ",
        )
        .await
        .unwrap();
    assert_eq!(approved.state, SoaState::Approved);
    assert_eq!(approved.number, Some(1));
    assert_eq!(approved.approved_by, o.manager.user_id);
    assert_eq!(approved.approved_by_name, "山田 花子");
    assert!(approved.approved_at.is_some());
    assert_eq!(approved.note, "マネジメントレビューで承認");
    let stored = store.soa_version(o.id, draft.id).await.unwrap();
    assert_eq!(
        (stored.state, stored.number, stored.approved_by, stored.note),
        (
            SoaState::Approved,
            Some(1),
            o.manager.user_id,
            approved.note.clone()
        )
    );

    // An approved version refuses every write.
    let items = store.soa_items(o.id, draft.id).await.unwrap();
    let before = items.clone();
    let i = &items[5];
    is_locked(
        store
            .update_soa_item(&cli(), o.id, i.id, i.version, excluded("変更"))
            .await,
    );
    is_locked(
        store
            .add_soa_item(
                &cli(),
                o.id,
                draft.id,
                NewAdditional {
                    node_ref: "ORG-1".into(),
                    title: "独自管理策".into(),
                },
            )
            .await,
    );
    is_locked(store.remove_soa_item(&cli(), o.id, i.id, i.version).await);
    is_locked(
        store
            .approve_soa(
                &o.manager,
                "山田 花子",
                o.id,
                draft.id,
                approved.version,
                "",
            )
            .await,
    );
    assert_eq!(store.soa_items(o.id, draft.id).await.unwrap(), before);

    // The trail holds the start, every decision and the approval.
    let trail = store
        .trail(
            o.id,
            &TrailQuery {
                limit: 1000,
                ..TrailQuery::default()
            },
        )
        .await
        .unwrap();
    let count = |kind: &str, action: &str| {
        trail
            .iter()
            .filter(|r| r.entity_kind == kind && r.action == action)
            .count()
    };
    assert_eq!(count("soa_version", "start_draft"), 1);
    assert_eq!(count("soa_item", "update"), refs.len());
    assert_eq!(count("soa_version", "approve"), 1);
    let approval = trail
        .iter()
        .find(|r| r.action == "approve")
        .expect("the approval is in the trail");
    assert_eq!(approval.actor_id, o.manager.user_id);
    assert_eq!(approval.diff["items"]["excluded"], 2);
    assert_eq!(
        approval.diff["items"]["total"],
        serde_json::json!(refs.len())
    );
}

async fn a_new_draft_copies_the_latest_approved_version(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "soa-b").await;
    let refs = jipdec_refs();
    let v1 = store
        .start_soa_draft(&cli(), o.id, JIPDEC, &refs)
        .await
        .unwrap();
    decide_all(store, &o, v1.id).await;
    let row = store.soa_version(o.id, v1.id).await.unwrap();
    store
        .approve_soa(&o.manager, "山田 花子", o.id, v1.id, row.version, "初版")
        .await
        .unwrap();

    let v2 = store
        .start_soa_draft(&cli(), o.id, JIPDEC, &refs)
        .await
        .unwrap();
    assert_eq!(v2.based_on, Some(v1.id));
    let old = store.soa_items(o.id, v1.id).await.unwrap();
    let new = store.soa_items(o.id, v2.id).await.unwrap();
    assert_eq!(new.len(), old.len());
    for (a, b) in old.iter().zip(&new) {
        assert_ne!(a.id, b.id, "the draft has its own items");
        assert_eq!(b.version_id, v2.id);
        assert_eq!(a.decision(), b.decision(), "item {} is copied", a.node_ref);
    }
    assert!(
        diff(&old, &new).is_empty(),
        "a fresh copy differs in nothing"
    );

    // Change the draft: one exclusion becomes applicable, one status moves.
    let (e, s) = (&new[0], &new[10]);
    store
        .update_soa_item(
            &cli(),
            o.id,
            e.id,
            e.version,
            applicable("無線LANを試験導入するため適用"),
        )
        .await
        .unwrap();
    store
        .update_soa_item(
            &cli(),
            o.id,
            s.id,
            s.version,
            ItemDecision {
                status: ImplStatus::Partial,
                ..s.decision()
            },
        )
        .await
        .unwrap();
    let new = store.soa_items(o.id, v2.id).await.unwrap();
    let d = diff(&old, &new);
    let summary: Vec<(&str, DiffKind, Vec<&str>)> = d
        .iter()
        .map(|x| (x.node_ref, x.kind, x.fields.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                e.node_ref.as_str(),
                DiffKind::Changed,
                vec![
                    "applicability",
                    "reasons",
                    "reason_text",
                    "exclusion",
                    "status"
                ]
            ),
            (s.node_ref.as_str(), DiffKind::Changed, vec!["status"]),
        ]
    );
    // The approved version did not move.
    assert_eq!(store.soa_items(o.id, v1.id).await.unwrap(), old);

    // Version list: the draft first, then approved versions newest first.
    let row = store.soa_version(o.id, v2.id).await.unwrap();
    store
        .approve_soa(&o.manager, "山田 花子", o.id, v2.id, row.version, "第2版")
        .await
        .unwrap();
    let v3 = store
        .start_soa_draft(&cli(), o.id, JIPDEC, &refs)
        .await
        .unwrap();
    assert_eq!(v3.based_on, Some(v2.id), "copied from the latest approved");
    let list = store.soa_versions(o.id, Some(JIPDEC)).await.unwrap();
    let numbers: Vec<Option<i64>> = list.iter().map(|v| v.number).collect();
    assert_eq!(numbers, vec![None, Some(2), Some(1)]);
    assert_eq!(
        store.soa_latest_framework(o.id).await.unwrap().as_deref(),
        Some(JIPDEC)
    );
}

async fn additional_items_are_the_organizations_own(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "soa-c").await;
    let refs = jipdec_refs();
    let draft = store
        .start_soa_draft(&cli(), o.id, JIPDEC, &refs)
        .await
        .unwrap();
    let extra = store
        .add_soa_item(
            &cli(),
            o.id,
            draft.id,
            NewAdditional {
                node_ref: " ORG-1 ".into(),
                title: "協力会社作業員の入構時教育".into(),
            },
        )
        .await
        .unwrap();
    assert!(extra.additional);
    assert_eq!(extra.node_ref, "ORG-1");
    assert_eq!(extra.applicability, Applicability::Undecided);
    let items = store.soa_items(o.id, draft.id).await.unwrap();
    assert_eq!(items.len(), refs.len() + 1);
    assert_eq!(items.last().unwrap().id, extra.id, "after the framework's");
    // Its ref must be free and one word; a title is required.
    let (field, _) = field_of(
        store
            .add_soa_item(
                &cli(),
                o.id,
                draft.id,
                NewAdditional {
                    node_ref: refs[0].clone(),
                    title: "重複".into(),
                },
            )
            .await,
    );
    assert_eq!(field, "node_ref");
    let (field, _) = field_of(
        store
            .add_soa_item(
                &cli(),
                o.id,
                draft.id,
                NewAdditional {
                    node_ref: "ORG-2".into(),
                    title: " ".into(),
                },
            )
            .await,
    );
    assert_eq!(field, "title");
    // Framework items are decided, never removed.
    let (field, msg) = field_of(
        store
            .remove_soa_item(&cli(), o.id, items[0].id, items[0].version)
            .await,
    );
    assert_eq!(field, "node_ref");
    assert!(msg.contains("excluded"), "{msg}");
    // An additional item is removed with its version.
    assert!(matches!(
        store.remove_soa_item(&cli(), o.id, extra.id, 7).await,
        Err(StoreError::Conflict { .. })
    ));
    store
        .remove_soa_item(&cli(), o.id, extra.id, extra.version)
        .await
        .unwrap();
    assert!(matches!(
        store.soa_item(o.id, extra.id).await,
        Err(StoreError::NotFound { .. })
    ));
    // Added once more, decided and approved, it is carried into the next draft.
    let extra = store
        .add_soa_item(
            &cli(),
            o.id,
            draft.id,
            NewAdditional {
                node_ref: "ORG-1".into(),
                title: "協力会社作業員の入構時教育".into(),
            },
        )
        .await
        .unwrap();
    decide_all(store, &o, draft.id).await;
    let row = store.soa_version(o.id, draft.id).await.unwrap();
    store
        .approve_soa(&o.manager, "山田 花子", o.id, draft.id, row.version, "")
        .await
        .unwrap();
    let next = store
        .start_soa_draft(&cli(), o.id, JIPDEC, &refs)
        .await
        .unwrap();
    let copied = store.soa_items(o.id, next.id).await.unwrap();
    let org1 = copied
        .iter()
        .find(|i| i.node_ref == "ORG-1")
        .expect("the additional item is copied");
    assert!(org1.additional);
    assert_eq!(org1.title, extra.title);
    // Removing it from the new draft shows in the diff as removed.
    store
        .remove_soa_item(&cli(), o.id, org1.id, org1.version)
        .await
        .unwrap();
    let old = store.soa_items(o.id, draft.id).await.unwrap();
    let new = store.soa_items(o.id, next.id).await.unwrap();
    let d = diff(&old, &new);
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].node_ref, d[0].kind), ("ORG-1", DiffKind::Removed));

    let trail = store
        .trail(
            o.id,
            &TrailQuery {
                entity_kind: Some("soa_item".into()),
                limit: 1000,
                ..TrailQuery::default()
            },
        )
        .await
        .unwrap();
    let actions = |a: &str| trail.iter().filter(|r| r.action == a).count();
    assert_eq!(actions("create"), 2);
    assert_eq!(actions("delete"), 2);
}

async fn items_stay_in_their_organization(db: &TestDb) {
    let store = &db.store;
    let a = org(store, "soa-d").await;
    let b = org(store, "soa-e").await;
    let refs = jipdec_refs();
    let draft = store
        .start_soa_draft(&cli(), a.id, JIPDEC, &refs)
        .await
        .unwrap();
    let item = store.soa_items(a.id, draft.id).await.unwrap()[0].clone();
    // Another organization sees nothing of it.
    assert!(matches!(
        store.soa_version(b.id, draft.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store
            .update_soa_item(&cli(), b.id, item.id, 1, applicable("x"))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store.soa_items(b.id, draft.id).await.unwrap().is_empty());
    // Nor can a decision name another organization's risk or control.
    let (field, msg) = field_of(
        store
            .update_soa_item(
                &cli(),
                a.id,
                item.id,
                1,
                ItemDecision {
                    reasons: vec![ReasonKind::RiskTreatment],
                    risk_ids: vec![b.risk],
                    ..applicable("他組織のリスク")
                },
            )
            .await,
    );
    assert_eq!(field, "risk_ids");
    assert!(msg.contains(&item.node_ref));
    let (field, _) = field_of(
        store
            .update_soa_item(
                &cli(),
                a.id,
                item.id,
                1,
                ItemDecision {
                    control_ids: vec![b.control],
                    ..applicable("他組織の管理策")
                },
            )
            .await,
    );
    assert_eq!(field, "control_ids");
    // A framework with nothing to list is refused.
    let (field, _) = field_of(store.start_soa_draft(&cli(), a.id, "empty", &[]).await);
    assert_eq!(field, "framework");
}
