//! Appending to and verifying the tamper-evident trail.

use csms_domain::trail::{Actor, ChainVerifier, Change, GENESIS_HASH, TrailRecord};
use csms_domain::{Uuid, new_id};

use crate::db::{Ts, Tx, on, read};
use crate::{Result, Store};

#[derive(sqlx::FromRow)]
struct TrailRow {
    id: Uuid,
    chain_id: Uuid,
    seq: i64,
    at: Ts,
    actor_id: Option<Uuid>,
    actor: String,
    entity_kind: String,
    entity_id: String,
    action: String,
    diff: String,
    prev_hash: String,
    hash: String,
}

impl TrailRow {
    fn into_record(self) -> TrailRecord {
        // A diff that no longer parses was tampered with; keep its text so the HMAC check
        // fails on it and names the record, instead of aborting the walk.
        let diff = serde_json::from_str(&self.diff)
            .unwrap_or_else(|_| serde_json::Value::String(self.diff.clone()));
        TrailRecord {
            id: self.id,
            chain_id: self.chain_id,
            seq: self.seq,
            at: self.at.0,
            actor_id: self.actor_id,
            actor: self.actor,
            entity_kind: self.entity_kind,
            entity_id: self.entity_id,
            action: self.action,
            diff,
            prev_hash: self.prev_hash,
            hash: self.hash,
        }
    }
}

/// Appends a record to its chain inside the caller's transaction.
///
/// The `UPDATE ... RETURNING` on the chain's head row both allocates the next sequence number
/// and, on PostgreSQL, holds that row's lock until commit: a concurrent writer on the same
/// chain (another app instance) waits, then reads the new head. Chains cannot fork, and the
/// `UNIQUE (chain_id, seq)` constraint backs that up. On SQLite the single writer serializes.
/// A trigger (migration 0003) sets the head's hash from the inserted record.
pub(crate) async fn append(
    tx: &mut Tx,
    store: &Store,
    actor: &Actor,
    change: Change,
) -> Result<TrailRecord> {
    let at = csms_domain::time::now();
    let chain_id = change.chain_id;
    let (seq, prev_hash) = on!(tx, c => {
        let mut head: Option<(i64, String)> = sqlx::query_as(
            "UPDATE trail_heads SET seq = seq + 1 WHERE chain_id = $1 RETURNING seq, hash",
        )
        .bind(chain_id)
        .fetch_optional(&mut *c)
        .await?;
        if head.is_none() {
            sqlx::query(
                "INSERT INTO trail_heads (chain_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (chain_id) DO NOTHING",
            )
            .bind(chain_id)
            .bind(GENESIS_HASH)
            .execute(&mut *c)
            .await?;
            head = sqlx::query_as(
                "UPDATE trail_heads SET seq = seq + 1 WHERE chain_id = $1 RETURNING seq, hash",
            )
            .bind(chain_id)
            .fetch_optional(&mut *c)
            .await?;
        }
        head.expect("the chain head exists after insert")
    });
    let mut record = TrailRecord {
        id: new_id(),
        chain_id,
        seq,
        at,
        actor_id: actor.user_id,
        actor: actor.label.clone(),
        entity_kind: change.entity_kind,
        entity_id: change.entity_id,
        action: change.action,
        diff: change.diff,
        prev_hash,
        hash: String::new(),
    };
    record.hash = store.key.seal(&record);
    let diff_text = String::from_utf8(csms_domain::trail::canonical_json(&record.diff))
        .expect("canonical JSON is UTF-8");
    on!(tx, c => {
        sqlx::query(
            "INSERT INTO trail (id, chain_id, seq, at, actor_id, actor, entity_kind, entity_id, action, diff, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(record.id)
        .bind(record.chain_id)
        .bind(record.seq)
        .bind(Ts(record.at))
        .bind(record.actor_id)
        .bind(&record.actor)
        .bind(&record.entity_kind)
        .bind(&record.entity_id)
        .bind(&record.action)
        .bind(&diff_text)
        .bind(&record.prev_hash)
        .bind(&record.hash)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(record)
}

/// A verified point of a chain: its last record's number and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainPoint {
    pub seq: i64,
    pub hash: String,
}

/// The result of walking every chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub chains: u64,
    pub records: u64,
}

/// Filters for reading the trail.
#[derive(Debug, Clone)]
pub struct TrailQuery {
    pub entity_kind: Option<String>,
    pub entity_id: Option<String>,
    /// Only records with `seq` below this (for paging backwards).
    pub before_seq: Option<i64>,
    /// Only records by this actor (user name or label).
    pub actor: Option<String>,
    /// Only records at or after this instant.
    pub from: Option<time::OffsetDateTime>,
    /// Only records before this instant.
    pub until: Option<time::OffsetDateTime>,
    /// At most this many records (1 to 1000).
    pub limit: i64,
}

impl Default for TrailQuery {
    fn default() -> Self {
        TrailQuery {
            entity_kind: None,
            entity_id: None,
            before_seq: None,
            actor: None,
            from: None,
            until: None,
            limit: 100,
        }
    }
}

const VERIFY_PAGE: i64 = 5_000;

impl Store {
    /// Walks every chain in one consistent snapshot and checks each record's HMAC, its link to
    /// the previous record and the chain's head. Stops at the first broken record and names it.
    pub async fn verify_trail(&self) -> Result<VerifyReport> {
        let mut tx = self.begin_snapshot().await?;
        let heads: Vec<(Uuid, i64, String)> = on!(&mut tx, c => sqlx::query_as(
            "SELECT chain_id, seq, hash FROM trail_heads ORDER BY chain_id"
        ).fetch_all(&mut *c).await?);
        // A chain whose head row was deleted still has records: verify it against an empty head.
        let chains: Vec<Uuid> = on!(&mut tx, c => sqlx::query_scalar(
            "SELECT DISTINCT chain_id FROM trail ORDER BY chain_id"
        ).fetch_all(&mut *c).await?);
        let mut all: Vec<(Uuid, i64, String)> = heads;
        for chain in chains {
            if !all.iter().any(|(h, _, _)| *h == chain) {
                all.push((chain, 0, GENESIS_HASH.to_owned()));
            }
        }
        let mut report = VerifyReport {
            chains: 0,
            records: 0,
        };
        for (chain_id, head_seq, head_hash) in all {
            report.records += self
                .verify_chain_in(&mut tx, chain_id, head_seq, &head_hash)
                .await?;
            report.chains += 1;
        }
        Ok(report)
    }

    /// Verifies one chain (an organization's, or the system chain); returns its length.
    pub async fn verify_chain(&self, chain_id: Uuid) -> Result<u64> {
        Ok(self.verify_chain_since(chain_id, None).await?.seq as u64)
    }

    /// Verifies a chain, or only the records after a point already verified (`since`), and
    /// returns the new verified point (the head). Whoever keeps the point must still verify
    /// the whole chain now and then: records before it are not read again.
    pub async fn verify_chain_since(
        &self,
        chain_id: Uuid,
        since: Option<&ChainPoint>,
    ) -> Result<ChainPoint> {
        let mut tx = self.begin_snapshot().await?;
        let head: Option<(i64, String)> = on!(&mut tx, c => sqlx::query_as(
            "SELECT seq, hash FROM trail_heads WHERE chain_id = $1"
        ).bind(chain_id).fetch_optional(&mut *c).await?);
        let (seq, hash) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
        let verifier = match since {
            Some(p) if p.seq <= seq => ChainVerifier::resume(&self.key, chain_id, p.seq, &p.hash),
            _ => ChainVerifier::new(&self.key, chain_id),
        };
        self.run_verifier(&mut tx, verifier, seq, &hash).await?;
        Ok(ChainPoint { seq, hash })
    }

    async fn verify_chain_in(
        &self,
        tx: &mut Tx,
        chain_id: Uuid,
        head_seq: i64,
        head_hash: &str,
    ) -> Result<u64> {
        let verifier = ChainVerifier::new(&self.key, chain_id);
        self.run_verifier(tx, verifier, head_seq, head_hash).await
    }

    async fn run_verifier(
        &self,
        tx: &mut Tx,
        mut verifier: ChainVerifier<'_>,
        head_seq: i64,
        head_hash: &str,
    ) -> Result<u64> {
        let chain_id = verifier.chain_id();
        let mut after = verifier.next_seq() - 1;
        loop {
            let rows: Vec<TrailRow> = on!(&mut *tx, c => sqlx::query_as(
                "SELECT id, chain_id, seq, at, actor_id, actor, entity_kind, entity_id, action, diff, prev_hash, hash \
                 FROM trail WHERE chain_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
            )
            .bind(chain_id)
            .bind(after)
            .bind(VERIFY_PAGE)
            .fetch_all(&mut *c)
            .await?);
            let n = rows.len() as i64;
            for row in rows {
                after = row.seq;
                verifier.check(&row.into_record())?;
            }
            if n < VERIFY_PAGE {
                break;
            }
        }
        Ok(verifier.finish(head_seq, head_hash)?)
    }

    /// The entity kinds that occur in a chain.
    pub async fn trail_kinds(&self, chain_id: Uuid) -> Result<Vec<String>> {
        Ok(read!(self, p => sqlx::query_scalar(
            "SELECT DISTINCT entity_kind FROM trail WHERE chain_id = $1 ORDER BY entity_kind"
        ).bind(chain_id).fetch_all(p).await?))
    }

    /// Reads one chain's records, newest first.
    pub async fn trail(&self, chain_id: Uuid, q: &TrailQuery) -> Result<Vec<TrailRecord>> {
        let limit = q.limit.clamp(1, 1000);
        let rows: Vec<TrailRow> = read!(self, p => sqlx::query_as(
            "SELECT id, chain_id, seq, at, actor_id, actor, entity_kind, entity_id, action, diff, prev_hash, hash \
             FROM trail WHERE chain_id = $1 \
             AND ($2 IS NULL OR entity_kind = $2) AND ($3 IS NULL OR entity_id = $3) \
             AND ($4 IS NULL OR seq < $4) AND ($6 IS NULL OR actor = $6) \
             AND ($7 IS NULL OR at >= $7) AND ($8 IS NULL OR at < $8) ORDER BY seq DESC LIMIT $5"
        )
        .bind(chain_id)
        .bind(q.entity_kind.as_deref())
        .bind(q.entity_id.as_deref())
        .bind(q.before_seq)
        .bind(limit)
        .bind(q.actor.as_deref())
        .bind(q.from.map(Ts))
        .bind(q.until.map(Ts))
        .fetch_all(p)
        .await?);
        Ok(rows.into_iter().map(TrailRow::into_record).collect())
    }

    /// Number of records in all chains.
    pub async fn trail_len(&self) -> Result<i64> {
        Ok(read!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM trail").fetch_one(p).await?))
    }

    /// Whether any trail record exists (a new key must not be generated then).
    pub async fn has_trail(&self) -> Result<bool> {
        let status = self.schema_status().await?;
        if status.database == 0 {
            return Ok(false);
        }
        Ok(self.trail_len().await? > 0)
    }
}
