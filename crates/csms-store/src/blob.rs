//! Attachments, stored content-addressed by SHA-256 behind one trait, [`BlobBackend`]:
//!
//! - [`LocalBlobs`] (the default): files under `<data-dir>/attachments/sha256/ab/cd/<hex>`.
//!   An upload is written to a temporary file in `<root>/tmp` (same file system) while it is
//!   hashed, flushed to disk (fsync), then renamed to its name; the same content twice is
//!   stored once. A temporary file is removed when the upload fails or is dropped half-way.
//! - [`ObjectBlobs`]: an S3-compatible object store through the `object_store` crate (or any
//!   other `ObjectStore`, such as its in-memory one in tests): the upload is streamed as a
//!   multipart upload to `<prefix>/tmp/<uuid>`, then copied to `<prefix>/sha256/ab/cd/<hex>`
//!   and the temporary object deleted. An upload abandoned by a crashed process can leave an
//!   incomplete multipart upload: give the bucket a lifecycle rule that aborts them.
//!
//! [`BlobStore`] wraps a backend and owns the upload rules: bytes are streamed, never
//! buffered whole; their count is checked against a size limit as they arrive (over it, the
//! upload is aborted and nothing is kept); the content type is sniffed from the first bytes and
//! checked against [`ALLOWED_TYPES`] (the client's word is never taken).

use std::fmt::Debug;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Default size limit of one attachment: 100 MB.
pub const DEFAULT_MAX_BYTES: u64 = 100 * 1024 * 1024;

/// How many leading bytes are kept to sniff the content type.
const SNIFF_BYTES: usize = 64 * 1024;

/// Read chunk size when streaming a stored blob.
const READ_CHUNK: usize = 64 * 1024;

/// The content types an attachment may have (sniffed from its bytes): PDF, the common image
/// formats, ZIP and the office formats built on it (OOXML, OpenDocument), legacy Office files
/// (OLE compound documents) and plain text (UTF-8 or another ASCII-compatible encoding such as
/// Shift_JIS: no NUL and no control characters other than tab, line breaks, form feed and
/// escape). Everything else — executables, scripts, HTML, archives other than ZIP — is refused.
pub const ALLOWED_TYPES: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/tiff",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/x-ole-storage",
    "text/plain",
];

/// What went wrong with an attachment.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error(
        "the file is larger than the limit of {limit} bytes; split it or ask the administrator to raise attachments.max_bytes"
    )]
    TooLarge { limit: u64 },
    #[error(
        "the file's content is {detected}, which is not accepted; upload PDF, an image (PNG, JPEG, GIF, WebP, TIFF), an Office or OpenDocument file, ZIP or plain text"
    )]
    Refused { detected: String },
    #[error("the file is empty; choose a file with content")]
    Empty,
    #[error("attachment {0} is not in the attachment store")]
    Missing(String),
    #[error("attachment store: {0}")]
    Io(String),
}

impl From<io::Error> for BlobError {
    fn from(e: io::Error) -> Self {
        BlobError::Io(e.to_string())
    }
}

impl From<object_store::Error> for BlobError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { path, .. } => BlobError::Missing(path),
            e => BlobError::Io(e.to_string()),
        }
    }
}

pub type BlobResult<T> = std::result::Result<T, BlobError>;

/// A boxed future of a blob operation.
pub type BlobFuture<'a, T> = Pin<Box<dyn Future<Output = BlobResult<T>> + Send + 'a>>;

/// A stored blob's bytes, as a stream of chunks.
pub type BlobStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// A place that keeps blobs by their SHA-256.
pub trait BlobBackend: Send + Sync + Debug {
    /// Starts a new upload.
    fn create(&self) -> BlobFuture<'_, Box<dyn BlobSink>>;
    /// Opens a stored blob for reading.
    fn open<'a>(&'a self, sha256: &'a str) -> BlobFuture<'a, BlobStream>;
    /// Whether a blob is stored.
    fn exists<'a>(&'a self, sha256: &'a str) -> BlobFuture<'a, bool>;
    /// Where the blobs are, for messages (`/var/lib/csms/attachments`, `s3://bucket/prefix`).
    fn describe(&self) -> String;
}

/// An upload in progress.
pub trait BlobSink: Send {
    fn write<'a>(&'a mut self, chunk: &'a [u8]) -> BlobFuture<'a, ()>;
    /// Files the upload under `sha256`; answers whether it was new (false: the same content
    /// was already stored, and this copy is dropped).
    fn commit(self: Box<Self>, sha256: String) -> BlobFuture<'static, bool>;
    /// Drops the upload, leaving nothing behind.
    fn abort(self: Box<Self>) -> BlobFuture<'static, ()>;
}

/// The relative key of a blob: `sha256/ab/cd/<hex>`.
pub fn blob_key(sha256: &str) -> String {
    format!("sha256/{}/{}/{sha256}", &sha256[..2], &sha256[2..4])
}

fn check_sha(sha256: &str) -> BlobResult<()> {
    if csms_domain::document::is_sha256(sha256) {
        Ok(())
    } else {
        Err(BlobError::Missing(sha256.chars().take(80).collect()))
    }
}

/// Blobs in a directory of the local file system.
#[derive(Debug, Clone)]
pub struct LocalBlobs {
    root: PathBuf,
}

impl LocalBlobs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalBlobs { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of a blob.
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.root.join(blob_key(sha256))
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }
}

struct LocalSink {
    file: tokio::fs::File,
    /// Removes the file when dropped unless it was renamed into place.
    path: Option<tempfile::TempPath>,
    root: PathBuf,
}

impl BlobBackend for LocalBlobs {
    fn create(&self) -> BlobFuture<'_, Box<dyn BlobSink>> {
        Box::pin(async move {
            let dir = self.tmp_dir();
            tokio::fs::create_dir_all(&dir)
                .await
                .map_err(|e| BlobError::Io(format!("cannot create {}: {e}", dir.display())))?;
            let root = self.root.clone();
            let (file, path) = tokio::task::spawn_blocking(move || {
                tempfile::Builder::new()
                    .prefix("upload-")
                    .tempfile_in(&dir)
                    .map(|t| t.into_parts())
            })
            .await
            .map_err(|e| BlobError::Io(e.to_string()))??;
            Ok(Box::new(LocalSink {
                file: tokio::fs::File::from_std(file),
                path: Some(path),
                root,
            }) as Box<dyn BlobSink>)
        })
    }

    fn open<'a>(&'a self, sha256: &'a str) -> BlobFuture<'a, BlobStream> {
        Box::pin(async move {
            check_sha(sha256)?;
            let path = self.path_of(sha256);
            let file = match tokio::fs::File::open(&path).await {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(BlobError::Missing(sha256.to_owned()));
                }
                Err(e) => return Err(BlobError::Io(format!("{}: {e}", path.display()))),
            };
            let stream = futures_util::stream::try_unfold(file, |mut file| async move {
                let mut buf = vec![0u8; READ_CHUNK];
                let n = file.read(&mut buf).await?;
                if n == 0 {
                    return Ok(None);
                }
                buf.truncate(n);
                Ok(Some((Bytes::from(buf), file)))
            });
            Ok(Box::pin(stream) as BlobStream)
        })
    }

    fn exists<'a>(&'a self, sha256: &'a str) -> BlobFuture<'a, bool> {
        Box::pin(async move {
            check_sha(sha256)?;
            Ok(tokio::fs::try_exists(self.path_of(sha256)).await?)
        })
    }

    fn describe(&self) -> String {
        self.root.display().to_string()
    }
}

impl BlobSink for LocalSink {
    fn write<'a>(&'a mut self, chunk: &'a [u8]) -> BlobFuture<'a, ()> {
        Box::pin(async move { Ok(self.file.write_all(chunk).await?) })
    }

    fn commit(mut self: Box<Self>, sha256: String) -> BlobFuture<'static, bool> {
        Box::pin(async move {
            self.file.flush().await?;
            self.file.sync_all().await?;
            let target = self.root.join(blob_key(&sha256));
            let dir = target
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| self.root.clone());
            tokio::fs::create_dir_all(&dir).await?;
            let temp = self.path.take().expect("a sink is committed once");
            if tokio::fs::try_exists(&target).await? {
                // Same content already stored: the temporary file goes when `temp` drops.
                drop(temp);
                return Ok(false);
            }
            tokio::task::spawn_blocking(move || -> io::Result<()> {
                temp.persist(&target).map_err(|e| e.error)?;
                // The rename itself reaches the disk with the directory's fsync.
                std::fs::File::open(&dir)?.sync_all()
            })
            .await
            .map_err(|e| BlobError::Io(e.to_string()))??;
            Ok(true)
        })
    }

    fn abort(self: Box<Self>) -> BlobFuture<'static, ()> {
        Box::pin(async move {
            let LocalSink { file, path, .. } = *self;
            drop(file);
            if let Some(p) = path {
                tokio::task::spawn_blocking(move || p.close())
                    .await
                    .map_err(|e| BlobError::Io(e.to_string()))??;
            }
            Ok(())
        })
    }
}

/// Blobs in an object store (S3-compatible, or in memory in tests).
#[derive(Debug, Clone)]
pub struct ObjectBlobs {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    label: String,
}

/// Where an S3-compatible bucket is and how to sign in.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    pub bucket: String,
    /// `https://s3.example.internal:9000`; empty for AWS itself.
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Key prefix inside the bucket (`opencsms/`), may be empty.
    pub prefix: String,
    /// Allows `http://` endpoints (MinIO and similar on a closed network).
    pub allow_http: bool,
}

impl ObjectBlobs {
    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str, label: impl Into<String>) -> Self {
        ObjectBlobs {
            store,
            prefix: prefix.trim_matches('/').to_owned(),
            label: label.into(),
        }
    }

    /// An S3-compatible bucket (path-style requests, which MinIO and most on-premises stores
    /// expect).
    pub fn s3(cfg: &S3Config) -> BlobResult<Self> {
        let mut b = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&cfg.bucket)
            .with_allow_http(cfg.allow_http);
        if !cfg.region.is_empty() {
            b = b.with_region(&cfg.region);
        }
        if !cfg.endpoint.is_empty() {
            b = b.with_endpoint(&cfg.endpoint);
        }
        if !cfg.access_key_id.is_empty() {
            b = b
                .with_access_key_id(&cfg.access_key_id)
                .with_secret_access_key(&cfg.secret_access_key);
        }
        let store = b
            .build()
            .map_err(|e| BlobError::Io(format!("the S3 attachment store is misconfigured: {e}")))?;
        let label = format!("s3://{}/{}", cfg.bucket, cfg.prefix.trim_matches('/'));
        Ok(ObjectBlobs::new(Arc::new(store), &cfg.prefix, label))
    }

    fn path(&self, key: &str) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(key)
        } else {
            ObjectPath::from(format!("{}/{key}", self.prefix))
        }
    }
}

struct ObjectSink {
    store: Arc<dyn ObjectStore>,
    upload: WriteMultipart,
    tmp: ObjectPath,
    final_of: Box<dyn Fn(&str) -> ObjectPath + Send>,
}

impl BlobBackend for ObjectBlobs {
    fn create(&self) -> BlobFuture<'_, Box<dyn BlobSink>> {
        Box::pin(async move {
            let tmp = self.path(&format!("tmp/{}", csms_domain::new_id()));
            let upload = self.store.put_multipart(&tmp).await?;
            let me = self.clone();
            Ok(Box::new(ObjectSink {
                store: self.store.clone(),
                upload: WriteMultipart::new(upload),
                tmp,
                final_of: Box::new(move |sha| me.path(&blob_key(sha))),
            }) as Box<dyn BlobSink>)
        })
    }

    fn open<'a>(&'a self, sha256: &'a str) -> BlobFuture<'a, BlobStream> {
        Box::pin(async move {
            check_sha(sha256)?;
            let got = self
                .store
                .get(&self.path(&blob_key(sha256)))
                .await
                .map_err(|e| match e {
                    object_store::Error::NotFound { .. } => BlobError::Missing(sha256.to_owned()),
                    e => BlobError::Io(e.to_string()),
                })?;
            let stream = got
                .into_stream()
                .map(|r| r.map_err(|e| io::Error::other(e.to_string())));
            Ok(Box::pin(stream) as BlobStream)
        })
    }

    fn exists<'a>(&'a self, sha256: &'a str) -> BlobFuture<'a, bool> {
        Box::pin(async move {
            check_sha(sha256)?;
            match self.store.head(&self.path(&blob_key(sha256))).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}

impl BlobSink for ObjectSink {
    fn write<'a>(&'a mut self, chunk: &'a [u8]) -> BlobFuture<'a, ()> {
        Box::pin(async move {
            // At most two parts in flight: memory stays bounded whatever the file's size.
            self.upload.wait_for_capacity(2).await?;
            self.upload.write(chunk);
            Ok(())
        })
    }

    fn commit(self: Box<Self>, sha256: String) -> BlobFuture<'static, bool> {
        Box::pin(async move {
            let ObjectSink {
                store,
                upload,
                tmp,
                final_of,
            } = *self;
            upload.finish().await?;
            let target = final_of(&sha256);
            let created = match store.head(&target).await {
                Ok(_) => false,
                Err(object_store::Error::NotFound { .. }) => {
                    store.copy(&tmp, &target).await?;
                    true
                }
                Err(e) => {
                    let _ = store.delete(&tmp).await;
                    return Err(e.into());
                }
            };
            store.delete(&tmp).await?;
            Ok(created)
        })
    }

    fn abort(self: Box<Self>) -> BlobFuture<'static, ()> {
        Box::pin(async move {
            self.upload.abort().await?;
            Ok(())
        })
    }
}

/// A blob as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    /// False when the same content was already stored.
    pub created: bool,
}

/// The outcome of checking one stored blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobCheck {
    Ok,
    Missing,
    /// The bytes stored hash to `actual` (and count `size`).
    Tampered {
        actual: String,
        size: u64,
    },
}

/// The attachment store of an installation: a backend and the size limit of one upload.
#[derive(Debug, Clone)]
pub struct BlobStore {
    backend: Arc<dyn BlobBackend>,
    max_bytes: u64,
}

impl BlobStore {
    pub fn new(backend: Arc<dyn BlobBackend>, max_bytes: u64) -> Self {
        BlobStore { backend, max_bytes }
    }

    /// Blobs under a local directory.
    pub fn local(root: impl Into<PathBuf>, max_bytes: u64) -> Self {
        Self::new(Arc::new(LocalBlobs::new(root)), max_bytes)
    }

    /// Blobs in the object store's in-memory implementation (tests, throwaway runs).
    pub fn in_memory(max_bytes: u64) -> Self {
        Self::new(
            Arc::new(ObjectBlobs::new(
                Arc::new(object_store::memory::InMemory::new()),
                "",
                "memory://",
            )),
            max_bytes,
        )
    }

    /// The size limit of one upload, in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    pub fn describe(&self) -> String {
        self.backend.describe()
    }

    /// Starts an upload checked against this store's size limit.
    pub async fn writer(&self) -> BlobResult<BlobWriter> {
        self.writer_with_limit(self.max_bytes).await
    }

    /// Starts an upload with another size limit (restoring a backup takes what it carries).
    pub async fn writer_with_limit(&self, limit: u64) -> BlobResult<BlobWriter> {
        Ok(BlobWriter {
            sink: Some(self.backend.create().await?),
            hasher: Sha256::new(),
            size: 0,
            limit,
            head: Vec::new(),
            content_type: None,
        })
    }

    /// Stores bytes held in memory (small generated files: demo content).
    pub async fn put(&self, bytes: &[u8]) -> BlobResult<StoredBlob> {
        let mut w = self.writer().await?;
        for chunk in bytes.chunks(READ_CHUNK) {
            w.write(chunk).await?;
        }
        w.finish().await
    }

    /// Opens a stored blob as a stream of chunks.
    pub async fn open(&self, sha256: &str) -> BlobResult<BlobStream> {
        self.backend.open(sha256).await
    }

    /// Reads a stored blob whole (for callers that need the bytes in memory, such as a
    /// report archive of small policy files); checks its hash.
    pub async fn read_all(&self, sha256: &str) -> BlobResult<Vec<u8>> {
        let mut s = self.open(sha256).await?;
        let mut out = Vec::new();
        while let Some(chunk) = s.next().await {
            out.extend_from_slice(&chunk?);
        }
        let actual = hex::encode(Sha256::digest(&out));
        if actual != sha256 {
            return Err(BlobError::Io(format!(
                "attachment {sha256} was altered in the store (its content hashes to {actual}); run `csms evidence verify`"
            )));
        }
        Ok(out)
    }

    /// Copies a stored blob into a writer (a file, an archive entry), checking its hash.
    pub async fn copy_to<W: tokio::io::AsyncWrite + Unpin>(
        &self,
        sha256: &str,
        out: &mut W,
    ) -> BlobResult<u64> {
        let mut s = self.open(sha256).await?;
        let mut hasher = Sha256::new();
        let mut n = 0u64;
        while let Some(chunk) = s.next().await {
            let chunk = chunk?;
            hasher.update(&chunk);
            n += chunk.len() as u64;
            out.write_all(&chunk).await?;
        }
        let actual = hex::encode(hasher.finalize());
        if actual != sha256 {
            return Err(BlobError::Io(format!(
                "attachment {sha256} was altered in the store (its content hashes to {actual}); run `csms evidence verify`"
            )));
        }
        Ok(n)
    }

    pub async fn exists(&self, sha256: &str) -> BlobResult<bool> {
        self.backend.exists(sha256).await
    }

    /// Recomputes a stored blob's SHA-256 (streamed).
    pub async fn check(&self, sha256: &str) -> BlobResult<BlobCheck> {
        let mut s = match self.open(sha256).await {
            Ok(s) => s,
            Err(BlobError::Missing(_)) => return Ok(BlobCheck::Missing),
            Err(e) => return Err(e),
        };
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = s.next().await {
            let chunk = chunk?;
            size += chunk.len() as u64;
            hasher.update(&chunk);
        }
        let actual = hex::encode(hasher.finalize());
        Ok(if actual == sha256 {
            BlobCheck::Ok
        } else {
            BlobCheck::Tampered { actual, size }
        })
    }
}

/// An upload: bytes are hashed, counted and passed to the backend as they come.
pub struct BlobWriter {
    sink: Option<Box<dyn BlobSink>>,
    hasher: Sha256,
    size: u64,
    limit: u64,
    head: Vec<u8>,
    content_type: Option<&'static str>,
}

impl BlobWriter {
    /// Adds a chunk. Over the size limit, or when the first bytes show a refused type, the
    /// upload is aborted (nothing is kept) and the error returned.
    pub async fn write(&mut self, chunk: &[u8]) -> BlobResult<()> {
        let Some(sink) = self.sink.as_mut() else {
            return Err(BlobError::Io("the upload was already aborted".into()));
        };
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            let limit = self.limit;
            self.abort_inner().await;
            return Err(BlobError::TooLarge { limit });
        }
        if self.head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
            if self.head.len() >= SNIFF_BYTES && self.content_type.is_none() {
                match sniff(&self.head, false) {
                    Ok(t) => self.content_type = Some(t),
                    Err(e) => {
                        self.abort_inner().await;
                        return Err(e);
                    }
                }
            }
        }
        self.hasher.update(chunk);
        if let Err(e) = sink.write(chunk).await {
            self.abort_inner().await;
            return Err(e);
        }
        Ok(())
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Completes the upload: the blob is filed under its SHA-256.
    pub async fn finish(mut self) -> BlobResult<StoredBlob> {
        if self.size == 0 {
            self.abort_inner().await;
            return Err(BlobError::Empty);
        }
        let content_type = match self.content_type {
            Some(t) => t,
            None => match sniff(&self.head, true) {
                Ok(t) => t,
                Err(e) => {
                    self.abort_inner().await;
                    return Err(e);
                }
            },
        };
        let sha256 = hex::encode(std::mem::take(&mut self.hasher).finalize());
        let sink = self
            .sink
            .take()
            .ok_or_else(|| BlobError::Io("the upload was already aborted".into()))?;
        let created = sink.commit(sha256.clone()).await?;
        Ok(StoredBlob {
            sha256,
            size: i64::try_from(self.size).unwrap_or(i64::MAX),
            content_type: content_type.to_owned(),
            created,
        })
    }

    /// Drops the upload; nothing is kept.
    pub async fn abort(mut self) {
        self.abort_inner().await;
    }

    async fn abort_inner(&mut self) {
        if let Some(sink) = self.sink.take()
            && let Err(e) = sink.abort().await
        {
            tracing::warn!(error = %e, "could not remove an aborted upload");
        }
    }
}

/// The content type of a file from its first bytes, if allowed. `complete` says the bytes are
/// the whole file (a text file's last character may then not be cut).
pub fn sniff(head: &[u8], complete: bool) -> BlobResult<&'static str> {
    if let Some(t) = infer::get(head) {
        let mime = t.mime_type();
        return match ALLOWED_TYPES.iter().find(|a| **a == mime) {
            Some(a) => Ok(a),
            None => Err(BlobError::Refused {
                detected: mime.to_owned(),
            }),
        };
    }
    if head.starts_with(b"PK\x03\x04") {
        return Ok("application/zip");
    }
    if looks_like_text(head, complete) {
        // Markup is text too, but a browser would run it: refuse HTML and SVG.
        let lower: Vec<u8> = head.iter().take(1024).map(u8::to_ascii_lowercase).collect();
        let starts = |p: &[u8]| {
            let t = lower.trim_ascii_start();
            t.starts_with(p)
        };
        if starts(b"<!doctype html") || starts(b"<html") || starts(b"<svg") || starts(b"<script") {
            return Err(BlobError::Refused {
                detected: "HTML or SVG markup".into(),
            });
        }
        return Ok("text/plain");
    }
    Err(BlobError::Refused {
        detected: "binary data of an unknown format".into(),
    })
}

fn looks_like_text(head: &[u8], _complete: bool) -> bool {
    !head.is_empty()
        && head
            .iter()
            .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        && head.iter().all(|&b| b != 0x7f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_takes_the_bytes_not_the_name() {
        assert_eq!(
            sniff(b"%PDF-1.4\n%\xe2\xe3", true).unwrap(),
            "application/pdf"
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", true).unwrap(),
            "image/png"
        );
        assert_eq!(sniff("手順書\r\n".as_bytes(), true).unwrap(), "text/plain");
        assert!(matches!(
            sniff(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", true),
            Err(BlobError::Refused { .. })
        ));
        assert!(matches!(
            sniff(b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff", true),
            Err(BlobError::Refused { .. })
        ));
        assert!(matches!(
            sniff(b"  <!DOCTYPE html><script>", true),
            Err(BlobError::Refused { .. })
        ));
        assert!(matches!(
            sniff(b"\0\x01\x02\x03", true),
            Err(BlobError::Refused { .. })
        ));
    }

    #[test]
    fn keys_fan_out_by_the_first_bytes() {
        let sha = "ab".repeat(32);
        assert_eq!(blob_key(&sha), format!("sha256/ab/ab/{sha}"));
    }
}
