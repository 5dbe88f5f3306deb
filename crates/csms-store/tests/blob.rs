//! The attachment store (issue 6): content addressing, the size limit, sniffing, and hash
//! checks, on the local file system and on object stores (in memory always; S3 when
//! `CSMS_TEST_S3_URL` names an S3-compatible endpoint, e.g. a local `moto_server`).

use std::path::Path;
use std::sync::Arc;

use csms_store::blob::{BlobCheck, BlobError, BlobStore, LocalBlobs, ObjectBlobs, S3Config};

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The same checks on any backend.
async fn exercise(blobs: &BlobStore) {
    // Streamed in chunks; the same content twice is stored once.
    let body: Vec<u8> = "点検記録 2026-11\n".repeat(5000).into_bytes();
    let mut w = blobs.writer().await.unwrap();
    for chunk in body.chunks(7000) {
        w.write(chunk).await.unwrap();
    }
    let a = w.finish().await.unwrap();
    assert!(a.created);
    assert_eq!(a.size as usize, body.len());
    assert_eq!(a.content_type, "text/plain");
    let b = blobs.put(&body).await.unwrap();
    assert_eq!(b.sha256, a.sha256);
    assert!(!b.created, "the same content is stored once");
    assert_eq!(blobs.read_all(&a.sha256).await.unwrap(), body);
    assert_eq!(blobs.check(&a.sha256).await.unwrap(), BlobCheck::Ok);
    assert!(blobs.exists(&a.sha256).await.unwrap());

    // Over the limit: refused while streaming.
    let mut w = blobs.writer().await.unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    let mut refused = None;
    for _ in 0..40 {
        if let Err(e) = w.write(&chunk).await {
            refused = Some(e);
            break;
        }
    }
    assert!(
        matches!(refused, Some(BlobError::TooLarge { limit }) if limit == blobs.max_bytes()),
        "{refused:?}"
    );

    // A refused type and an empty file are not kept.
    let mut w = blobs.writer().await.unwrap();
    w.write(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0>\0")
        .await
        .unwrap();
    assert!(matches!(w.finish().await, Err(BlobError::Refused { .. })));
    let w = blobs.writer().await.unwrap();
    assert!(matches!(w.finish().await, Err(BlobError::Empty)));

    // A PDF is recognized from its bytes.
    let pdf = blobs
        .put(b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
        .await
        .unwrap();
    assert_eq!(pdf.content_type, "application/pdf");

    let missing = "0".repeat(64);
    assert_eq!(blobs.check(&missing).await.unwrap(), BlobCheck::Missing);
    assert!(matches!(
        blobs.open(&missing).await.err(),
        Some(BlobError::Missing(_))
    ));
}

#[tokio::test]
async fn local_files_are_content_addressed_and_nothing_is_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("attachments");
    let blobs = BlobStore::local(&root, 1024 * 1024);
    exercise(&blobs).await;

    // Three contents stored (the text, the PDF and nothing else): no temporary file is left
    // by the refused, oversized and empty uploads, and each file sits at sha256/ab/cd/<hex>.
    let files = files_under(&root);
    let stored: Vec<_> = files
        .iter()
        .filter(|p| p.starts_with(root.join("sha256")))
        .collect();
    assert_eq!(stored.len(), 2, "{files:?}");
    assert!(files_under(&root.join("tmp")).is_empty(), "{files:?}");
    for p in &stored {
        let name = p.file_name().unwrap().to_str().unwrap();
        let rel = p.strip_prefix(&root).unwrap();
        assert_eq!(
            rel,
            Path::new("sha256")
                .join(&name[..2])
                .join(&name[2..4])
                .join(name)
        );
    }

    // Tampering is found.
    let body = b"approved policy text".to_vec();
    let s = blobs.put(&body).await.unwrap();
    let path = LocalBlobs::new(&root).path_of(&s.sha256);
    std::fs::write(&path, b"approved policy text, edited").unwrap();
    assert!(matches!(
        blobs.check(&s.sha256).await.unwrap(),
        BlobCheck::Tampered { size: 28, .. }
    ));
    assert!(blobs.read_all(&s.sha256).await.is_err());
    std::fs::remove_file(&path).unwrap();
    assert_eq!(blobs.check(&s.sha256).await.unwrap(), BlobCheck::Missing);
}

#[tokio::test]
async fn a_dropped_upload_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::local(dir.path(), 1024 * 1024);
    let mut w = blobs.writer().await.unwrap();
    w.write(b"half an upload").await.unwrap();
    assert_eq!(files_under(&dir.path().join("tmp")).len(), 1);
    drop(w); // the client went away
    assert!(files_under(&dir.path().join("tmp")).is_empty());
}

#[tokio::test]
async fn an_in_memory_object_store_behaves_the_same() {
    let blobs = BlobStore::in_memory(1024 * 1024);
    exercise(&blobs).await;
}

#[tokio::test]
async fn an_object_store_keeps_blobs_under_its_prefix() {
    let mem = Arc::new(object_store::memory::InMemory::new());
    let blobs = BlobStore::new(
        Arc::new(ObjectBlobs::new(mem.clone(), "/csms/", "memory://csms")),
        1024,
    );
    let s = blobs.put(b"prefixed").await.unwrap();
    use object_store::ObjectStoreExt;
    let key = object_store::path::Path::from(format!(
        "csms/sha256/{}/{}/{}",
        &s.sha256[..2],
        &s.sha256[2..4],
        s.sha256
    ));
    let got = mem.get(&key).await.unwrap().bytes().await.unwrap();
    assert_eq!(&got[..], b"prefixed");
    // The temporary upload object is gone.
    use futures_util::StreamExt;
    let all: Vec<_> = object_store::ObjectStore::list(&*mem, None)
        .map(|m| m.unwrap().location.to_string())
        .collect()
        .await;
    assert_eq!(all, vec![key.to_string()]);
}

/// Against a real S3-compatible server: `CSMS_TEST_S3_URL=http://127.0.0.1:5000` (moto_server
/// or MinIO; the bucket `csms-test` is created if missing through the S3 API by the server's
/// own auto-create, so create it beforehand).
#[tokio::test]
async fn an_s3_compatible_server() {
    let Ok(url) = std::env::var("CSMS_TEST_S3_URL") else {
        println!(
            "skipped: set CSMS_TEST_S3_URL=http://HOST:PORT to an S3-compatible server with a bucket csms-test"
        );
        return;
    };
    let cfg = S3Config {
        bucket: std::env::var("CSMS_TEST_S3_BUCKET").unwrap_or_else(|_| "csms-test".into()),
        endpoint: url,
        region: "us-east-1".into(),
        access_key_id: "test".into(),
        secret_access_key: "test".into(),
        prefix: format!("run-{}", csms_domain::new_id()),
        allow_http: true,
    };
    let blobs = BlobStore::new(Arc::new(ObjectBlobs::s3(&cfg).unwrap()), 1024 * 1024);
    exercise(&blobs).await;
}
