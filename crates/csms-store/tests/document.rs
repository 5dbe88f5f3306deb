//! Documents, versions, the approval workflow and evidence links in the store, on SQLite and
//! PostgreSQL (issue 6).

use csms_domain::Uuid;
use csms_domain::auth::Role;
use csms_domain::document::{
    DocType, EvidenceTarget, NewDocument, Transition, VersionStatus, default_classifications,
};
use csms_domain::org::FieldError;
use csms_domain::trail::Actor;
use csms_store::auth::NewUser;
use csms_store::blob::BlobStore;
use csms_store::document::DocumentFilter;
use csms_store::org::NewOrganization;
use csms_store::testing::TestDb;
use csms_store::trail::TrailQuery;
use csms_store::{Store, StoreError};

csms_store::on_both_backends!(
    versions_move_through_the_workflow,
    the_author_cannot_approve,
    a_stale_version_conflicts,
    evidence_links_and_the_index,
    the_classification_scheme_is_the_organizations,
    a_backup_carries_documents,
);

fn cli() -> Actor {
    Actor::system("cli:test")
}

struct Org {
    id: Uuid,
    author: Actor,
    manager: Actor,
}

async fn org(store: &Store, slug: &str) -> Org {
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
    let mut actors = Vec::new();
    for (name, role) in [("suzuki", Role::Contributor), ("yamada", Role::CsmsManager)] {
        let u = store
            .create_user(
                &cli(),
                NewUser {
                    username: format!("{slug}-{name}"),
                    display_name: format!("{name} 様"),
                    email: None,
                    password: "correct horse battery staple".into(),
                    must_change_password: false,
                },
            )
            .await
            .unwrap();
        store
            .set_membership(&cli(), o.id, u.id, role)
            .await
            .unwrap();
        actors.push(Actor::user(u.id, &u.username));
    }
    let manager = actors.pop().unwrap();
    let author = actors.pop().unwrap();
    Org {
        id: o.id,
        author,
        manager,
    }
}

fn policy(title: &str) -> NewDocument {
    NewDocument {
        title: title.into(),
        doc_type: DocType::Policy,
        classification: default_classifications()[1].clone(),
        owner_id: None,
        review_months: 12,
        retention_months: 36,
    }
}

async fn upload(
    store: &Store,
    blobs: &BlobStore,
    o: &Org,
    doc: Uuid,
    body: &str,
) -> csms_domain::document::DocumentVersion {
    let blob = blobs.put(body.as_bytes()).await.unwrap();
    let d = store.document(o.id, doc).await.unwrap();
    store
        .add_document_version(
            &o.author,
            o.id,
            doc,
            d.version,
            &blob,
            "../../方針/CSMS基本方針.txt",
            "初版",
        )
        .await
        .unwrap()
}

async fn step(
    store: &Store,
    o: &Org,
    actor: &Actor,
    doc: Uuid,
    version: Uuid,
    t: Transition,
) -> Result<csms_domain::document::DocumentVersion, StoreError> {
    let d = store.document(o.id, doc).await.unwrap();
    store
        .transition_document_version(actor, o.id, doc, version, d.version, t)
        .await
}

async fn versions_move_through_the_workflow(db: &TestDb) {
    let store = &db.store;
    let blobs = BlobStore::in_memory(1 << 20);
    let o = org(store, "wf").await;
    let doc = store
        .create_document(&o.author, o.id, policy("CSMS基本方針"))
        .await
        .unwrap();
    assert_eq!(doc.code, "POL-0001");
    let v1 = upload(store, &blobs, &o, doc.id, "方針 第1版\n").await;
    assert_eq!(v1.number, 1);
    assert_eq!(v1.status, VersionStatus::Draft);
    assert_eq!(v1.file_name, "CSMS基本方針.txt", "path parts are dropped");
    assert_eq!(v1.content_type, "text/plain");

    // The trail record of the upload names the file's SHA-256.
    let rec = store
        .trail(
            o.id,
            &TrailQuery {
                entity_kind: Some("document_version".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(rec[0].action, "upload");
    assert_eq!(
        rec[0].diff["after"]["sha256"],
        v1.sha256.as_str(),
        "{}",
        rec[0].diff
    );

    // Approving a draft is refused: it must be submitted first.
    let err = step(store, &o, &o.manager, doc.id, v1.id, Transition::Approve)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Locked(ref m) if m.contains("in_review")),
        "{err}"
    );
    step(store, &o, &o.author, doc.id, v1.id, Transition::Submit)
        .await
        .unwrap();
    let v1a = step(store, &o, &o.manager, doc.id, v1.id, Transition::Approve)
        .await
        .unwrap();
    assert_eq!(v1a.status, VersionStatus::Approved);
    assert_eq!(v1a.approved_by, o.manager.user_id);
    let d = store.document(o.id, doc.id).await.unwrap();
    let today = csms_domain::time::now().date();
    assert_eq!(
        d.next_review,
        Some(csms_domain::document::add_months(today, 12))
    );

    // A second version, approved, supersedes the first.
    let v2 = upload(store, &blobs, &o, doc.id, "方針 第2版\n").await;
    assert_eq!(v2.number, 2);
    step(store, &o, &o.author, doc.id, v2.id, Transition::Submit)
        .await
        .unwrap();
    step(store, &o, &o.manager, doc.id, v2.id, Transition::Approve)
        .await
        .unwrap();
    let versions = store.document_versions(o.id, doc.id).await.unwrap();
    assert_eq!(versions[0].status, VersionStatus::Approved);
    assert_eq!(versions[1].status, VersionStatus::Superseded);
    assert!(versions[1].closed_at.is_some());
    assert_eq!(
        versions[1].sha256, v1.sha256,
        "a version's file never changes"
    );
    // A superseded version is final.
    let err = step(store, &o, &o.manager, doc.id, v1.id, Transition::Withdraw)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Locked(_)));

    // Lists filter by type, status and review due.
    let all = store
        .documents(o.id, &DocumentFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].approved.as_ref().unwrap().number, 2);
    let due = store
        .documents(
            o.id,
            &DocumentFilter {
                review_due_on: Some(csms_domain::document::add_months(today, 13)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    let not_yet = store
        .documents(
            o.id,
            &DocumentFilter {
                review_due_on: Some(today),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(not_yet.is_empty());
    let drafts = store
        .documents(
            o.id,
            &DocumentFilter {
                status: Some(VersionStatus::Draft),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(drafts.is_empty());

    // Withdrawing the approved version clears the review date.
    step(store, &o, &o.manager, doc.id, v2.id, Transition::Withdraw)
        .await
        .unwrap();
    assert_eq!(
        store.document(o.id, doc.id).await.unwrap().next_review,
        None
    );
    store.verify_trail().await.unwrap();
}

async fn the_author_cannot_approve(db: &TestDb) {
    let store = &db.store;
    let blobs = BlobStore::in_memory(1 << 20);
    let o = org(store, "own").await;
    let doc = store
        .create_document(&o.manager, o.id, policy("パッチ管理手順書"))
        .await
        .unwrap();
    // The manager uploads the version: the manager may not approve it.
    let blob = blobs.put(b"patch procedure").await.unwrap();
    let v = store
        .add_document_version(&o.manager, o.id, doc.id, doc.version, &blob, "p.txt", "")
        .await
        .unwrap();
    step(store, &o, &o.manager, doc.id, v.id, Transition::Submit)
        .await
        .unwrap();
    let err = step(store, &o, &o.manager, doc.id, v.id, Transition::Approve)
        .await
        .unwrap_err();
    match err {
        StoreError::Locked(m) => assert!(m.contains("cannot approve"), "{m}"),
        other => panic!("expected the author rule, got {other}"),
    }
    let v = store.document_version(o.id, doc.id, v.id).await.unwrap();
    assert_eq!(v.status, VersionStatus::InReview, "nothing changed");
    // Another member (here the contributor, the permission check is the web layer's) may.
    step(store, &o, &o.author, doc.id, v.id, Transition::Approve)
        .await
        .unwrap();
}

async fn a_stale_version_conflicts(db: &TestDb) {
    let store = &db.store;
    let blobs = BlobStore::in_memory(1 << 20);
    let o = org(store, "stale").await;
    let doc = store
        .create_document(&o.author, o.id, policy("インシデント対応手順書"))
        .await
        .unwrap();
    let blob = blobs.put(b"v1").await.unwrap();
    store
        .add_document_version(&o.author, o.id, doc.id, doc.version, &blob, "a.txt", "")
        .await
        .unwrap();
    // The document moved on (version 2): a second upload naming version 1 conflicts.
    let err = store
        .add_document_version(&o.author, o.id, doc.id, doc.version, &blob, "a.txt", "")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                expected: 1,
                current: 2,
                ..
            }
        ),
        "{err}"
    );
    let err = store
        .update_document(&o.author, o.id, doc.id, 1, policy("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }));
    // A document cannot change type.
    let mut p = policy("x");
    p.doc_type = DocType::Record;
    let err = store
        .update_document(&o.author, o.id, doc.id, 2, p)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::Invalid(FieldError {
            field: "doc_type",
            ..
        })
    ));
    // Another organization cannot see it.
    let other = org(store, "other").await;
    assert!(matches!(
        store.document(other.id, doc.id).await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn evidence_links_and_the_index(db: &TestDb) {
    let store = &db.store;
    let blobs = BlobStore::in_memory(1 << 20);
    let o = org(store, "ev").await;
    let doc = store
        .create_document(&o.author, o.id, policy("リスクアセスメント手順書"))
        .await
        .unwrap();
    let req = EvidenceTarget::Requirement {
        framework: "jipdec-csms".into(),
        node_ref: "4.2.3.1".into(),
    };
    let link = store
        .add_evidence_link(&o.author, o.id, doc.id, &req)
        .await
        .unwrap();
    let dup = store
        .add_evidence_link(&o.author, o.id, doc.id, &req)
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Duplicate { .. }), "{dup}");
    // A risk must exist in the organization.
    let err = store
        .add_evidence_link(
            &o.author,
            o.id,
            doc.id,
            &EvidenceTarget::Risk(Uuid::from_u128(9)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Invalid(FieldError {
                field: "target_ref",
                ..
            })
        ),
        "{err}"
    );

    // Evidence without a version yet, then with the draft, then with the approved version.
    let refs = store.evidence_for(o.id, &req).await.unwrap();
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0].version_number, 0);
    assert_eq!(refs[0].status, None);
    let v = upload(store, &blobs, &o, doc.id, "手順\n").await;
    step(store, &o, &o.author, doc.id, v.id, Transition::Submit)
        .await
        .unwrap();
    step(store, &o, &o.manager, doc.id, v.id, Transition::Approve)
        .await
        .unwrap();
    let v2 = upload(store, &blobs, &o, doc.id, "手順 改訂案\n").await;
    let refs = store.evidence_for(o.id, &req).await.unwrap();
    assert_eq!(refs[0].code, doc.code);
    assert_eq!(
        refs[0].version_number, 1,
        "the approved version is in force, not the newer draft"
    );
    assert_eq!(refs[0].status, Some(VersionStatus::Approved));
    assert_eq!(refs[0].sha256, v.sha256);
    assert_ne!(v2.sha256, v.sha256);
    let other = EvidenceTarget::Requirement {
        framework: "jipdec-csms".into(),
        node_ref: "4.2.3.2".into(),
    };
    assert!(store.evidence_for(o.id, &other).await.unwrap().is_empty());
    let of_kind = store.evidence_of_kind(o.id, "requirement").await.unwrap();
    assert_eq!(of_kind.len(), 1);
    assert_eq!(of_kind[0].0, req);

    let index = store.evidence_index(o.id).await.unwrap();
    assert_eq!(index.len(), 1);
    assert_eq!(index[0].sha256, v.sha256);
    assert_eq!(index[0].approved_by, o.manager.user_id);
    assert_eq!(index[0].approved_by_name, "yamada 様");
    assert_eq!(index[0].links, vec![req.clone()]);

    let records = store.blob_records(Some(o.id)).await.unwrap();
    assert_eq!(records.len(), 2);
    assert!(
        records
            .iter()
            .any(|r| r.used_by == vec![format!("{} v1", doc.code)])
    );

    store
        .remove_evidence_link(&o.author, o.id, doc.id, link.id)
        .await
        .unwrap();
    assert!(store.evidence_for(o.id, &req).await.unwrap().is_empty());
    store.verify_trail().await.unwrap();
}

async fn the_classification_scheme_is_the_organizations(db: &TestDb) {
    let store = &db.store;
    let o = org(store, "cls").await;
    let s = store.classification_scheme(o.id).await.unwrap();
    assert_eq!(s.version, 0);
    assert_eq!(s.labels, default_classifications());
    let s = store
        .set_classification_scheme(
            &o.manager,
            o.id,
            0,
            &["極秘".into(), "秘".into(), "社内".into()],
        )
        .await
        .unwrap();
    assert_eq!(s.version, 1);
    let err = store
        .set_classification_scheme(&o.manager, o.id, 0, &["x".into()])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }));
    let err = store
        .create_document(&o.author, o.id, policy("x"))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::Invalid(FieldError {
            field: "classification",
            ..
        })
    ));
    let mut p = policy("教育訓練記録");
    p.classification = "社内".into();
    p.doc_type = DocType::Record;
    let d = store.create_document(&o.author, o.id, p).await.unwrap();
    assert_eq!(d.code, "REC-0001");
}

async fn a_backup_carries_documents(db: &TestDb) {
    let store = &db.store;
    let blobs = BlobStore::in_memory(1 << 20);
    let o = org(store, "bk").await;
    let doc = store
        .create_document(&o.author, o.id, policy("CSMS基本方針"))
        .await
        .unwrap();
    upload(store, &blobs, &o, doc.id, "backup me").await;
    store
        .add_evidence_link(
            &o.author,
            o.id,
            doc.id,
            &EvidenceTarget::SoaItem {
                framework: "jipdec-csms".into(),
                node_ref: "5.1".into(),
            },
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    store.backup_to(&mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    for table in [
        "document_settings",
        "document_counters",
        "blobs",
        "documents",
        "document_versions",
        "document_evidence",
    ] {
        assert!(text.contains(&format!("\"table\":\"{table}\"")), "{table}");
    }
    assert!(text.contains("CSMS基本方針"));
}
