//! The tamper-evident trail: one record per change, HMAC-chained per organization.
//!
//! Each record carries `hash = HMAC-SHA256(key, canonical(envelope))`, where the envelope holds
//! every field of the record (including its chain, sequence number and the previous record's
//! hash) except the hash itself. Changing, deleting, inserting or reordering a record breaks
//! either its own HMAC or the link from its successor, and the key never lives in the database,
//! so whoever can write the database cannot forge a consistent chain.
//!
//! Canonical serialization: JSON with object keys sorted by their UTF-8 bytes, no whitespace,
//! strings escaped as by `serde_json`, integers only (the trail holds no floats), instants in
//! the fixed-width form of [`crate::time::format_canonical`].

use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::Sha256;
use time::OffsetDateTime;
use uuid::Uuid;

/// The chain of changes that belong to no organization (users, which are global).
pub const SYSTEM_CHAIN: Uuid = Uuid::nil();

/// The `prev_hash` of the first record of every chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The signed-in user, if any.
    pub user_id: Option<Uuid>,
    /// A readable name kept even if the user is later renamed: the user name, or
    /// `cli:<os user>` / `system` for changes made outside the web application.
    pub label: String,
}

impl Actor {
    pub fn user(id: Uuid, username: &str) -> Self {
        Actor {
            user_id: Some(id),
            label: username.to_owned(),
        }
    }

    pub fn system(label: impl Into<String>) -> Self {
        Actor {
            user_id: None,
            label: label.into(),
        }
    }
}

/// An entity whose changes are recorded in the trail.
pub trait Audited: Serialize {
    /// The entity kind as written in the trail (`organization`, `user`, ...).
    const KIND: &'static str;
    fn entity_id(&self) -> String;
}

/// A change about to be recorded (the store assigns sequence, time and hashes).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub chain_id: Uuid,
    pub entity_kind: String,
    pub entity_id: String,
    pub action: String,
    pub diff: Value,
}

impl Change {
    /// A change of an audited entity, with the diff between its before and after images.
    pub fn of<T: Audited>(
        chain_id: Uuid,
        action: &str,
        before: Option<&T>,
        after: Option<&T>,
    ) -> Change {
        let entity_id = after.or(before).map(Audited::entity_id).unwrap_or_default();
        let to_value = |t: &T| serde_json::to_value(t).expect("audited types serialize to JSON");
        Change {
            chain_id,
            entity_kind: T::KIND.to_owned(),
            entity_id,
            action: action.to_owned(),
            diff: diff(before.map(to_value).as_ref(), after.map(to_value).as_ref()),
        }
    }
}

/// One stored trail record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrailRecord {
    pub id: Uuid,
    /// The organization whose chain this is, or [`SYSTEM_CHAIN`].
    pub chain_id: Uuid,
    /// Position in the chain, from 1 without gaps.
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor_id: Option<Uuid>,
    pub actor: String,
    pub entity_kind: String,
    pub entity_id: String,
    pub action: String,
    pub diff: Value,
    pub prev_hash: String,
    pub hash: String,
}

/// The secret key of the trail's HMAC. It lives in the data directory or configuration and
/// never in the database.
#[derive(Clone)]
pub struct TrailKey([u8; 32]);

impl std::fmt::Debug for TrailKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrailKey(..)")
    }
}

impl TrailKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        TrailKey(bytes)
    }

    /// Parses 64 hexadecimal digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let bytes = hex::decode(text.trim())
            .map_err(|e| format!("the trail key is not hexadecimal ({e})"))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            format!(
                "the trail key has {} bytes; it must have 32 (64 hexadecimal digits)",
                b.len()
            )
        })?;
        Ok(TrailKey(bytes))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The HMAC of a record: over the canonical serialization of everything but its hash.
    pub fn seal(&self, record: &TrailRecord) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts keys of any length");
        mac.update(&canonical_json(&envelope(record)));
        hex::encode(mac.finalize().into_bytes())
    }

    fn check(&self, record: &TrailRecord) -> bool {
        let Ok(expected) = hex::decode(&record.hash) else {
            return false;
        };
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts keys of any length");
        mac.update(&canonical_json(&envelope(record)));
        mac.verify_slice(&expected).is_ok()
    }
}

fn envelope(r: &TrailRecord) -> Value {
    serde_json::json!({
        "id": r.id.to_string(),
        "chain_id": r.chain_id.to_string(),
        "seq": r.seq,
        "at": crate::time::format_canonical(r.at),
        "actor_id": r.actor_id.map(|u| u.to_string()),
        "actor": r.actor,
        "entity_kind": r.entity_kind,
        "entity_id": r.entity_id,
        "action": r.action,
        "diff": r.diff,
        "prev_hash": r.prev_hash,
    })
}

/// The canonical bytes of a JSON value: keys sorted, no insignificant whitespace.
/// Independent of whether `serde_json` preserves insertion order in this build.
pub fn canonical_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, k).expect("writing to a Vec cannot fail");
                out.push(b':');
                write_canonical(&map[k], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(v, out);
            }
            out.push(b']');
        }
        scalar => serde_json::to_writer(&mut *out, scalar).expect("writing to a Vec cannot fail"),
    }
}

/// The before/after difference of two JSON images.
///
/// - creation: `{"after": <whole image>}`
/// - removal: `{"before": <whole image>}`
/// - update: `{"before": {changed fields}, "after": {changed fields}}` (top-level fields)
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Value {
    let mut out = Map::new();
    match (before, after) {
        (None, None) => {}
        (None, Some(a)) => {
            out.insert("after".into(), a.clone());
        }
        (Some(b), None) => {
            out.insert("before".into(), b.clone());
        }
        (Some(Value::Object(b)), Some(Value::Object(a))) => {
            let mut was = Map::new();
            let mut now = Map::new();
            for (k, av) in a {
                match b.get(k) {
                    Some(bv) if bv == av => {}
                    Some(bv) => {
                        was.insert(k.clone(), bv.clone());
                        now.insert(k.clone(), av.clone());
                    }
                    None => {
                        now.insert(k.clone(), av.clone());
                    }
                }
            }
            for (k, bv) in b {
                if !a.contains_key(k) {
                    was.insert(k.clone(), bv.clone());
                }
            }
            out.insert("before".into(), Value::Object(was));
            out.insert("after".into(), Value::Object(now));
        }
        (Some(b), Some(a)) => {
            if a != b {
                out.insert("before".into(), b.clone());
                out.insert("after".into(), a.clone());
            }
        }
    }
    Value::Object(out)
}

/// Why a chain does not verify, naming the first broken record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrailBreak {
    #[error(
        "chain {chain_id}: record #{expected_seq} is missing (the next stored record is #{found_seq}, id {found_id}); a record was deleted or renumbered"
    )]
    Missing {
        chain_id: Uuid,
        expected_seq: i64,
        found_seq: i64,
        found_id: Uuid,
    },
    #[error(
        "chain {chain_id}: record #{seq} (id {id}) fails its HMAC; its content or position was changed after it was written"
    )]
    Altered { chain_id: Uuid, seq: i64, id: Uuid },
    #[error(
        "chain {chain_id}: record #{seq} (id {id}) does not link to record #{prev_seq}; a record before it was replaced"
    )]
    Unlinked {
        chain_id: Uuid,
        seq: i64,
        id: Uuid,
        prev_seq: i64,
    },
    #[error(
        "chain {chain_id}: the chain ends at record #{last_seq} but its head says #{head_seq}; records at the end were deleted"
    )]
    Truncated {
        chain_id: Uuid,
        last_seq: i64,
        head_seq: i64,
    },
    #[error(
        "chain {chain_id}: the head hash does not match record #{last_seq}; the end of the chain was replaced"
    )]
    HeadMismatch { chain_id: Uuid, last_seq: i64 },
}

/// Walks one chain record by record, in `seq` order.
pub struct ChainVerifier<'k> {
    key: &'k TrailKey,
    chain_id: Uuid,
    next_seq: i64,
    prev_hash: String,
    pub checked: u64,
}

impl<'k> ChainVerifier<'k> {
    pub fn new(key: &'k TrailKey, chain_id: Uuid) -> Self {
        ChainVerifier {
            key,
            chain_id,
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
            checked: 0,
        }
    }

    /// Continues a chain already verified up to record `seq` whose hash is `hash`.
    pub fn resume(key: &'k TrailKey, chain_id: Uuid, seq: i64, hash: &str) -> Self {
        ChainVerifier {
            key,
            chain_id,
            next_seq: seq + 1,
            prev_hash: hash.to_owned(),
            checked: 0,
        }
    }

    /// Checks the next record of the chain.
    pub fn check(&mut self, r: &TrailRecord) -> Result<(), TrailBreak> {
        let chain_id = self.chain_id;
        if r.seq != self.next_seq {
            return Err(TrailBreak::Missing {
                chain_id,
                expected_seq: self.next_seq,
                found_seq: r.seq,
                found_id: r.id,
            });
        }
        if r.chain_id != chain_id || !self.key.check(r) {
            return Err(TrailBreak::Altered {
                chain_id,
                seq: r.seq,
                id: r.id,
            });
        }
        if r.prev_hash != self.prev_hash {
            return Err(TrailBreak::Unlinked {
                chain_id,
                seq: r.seq,
                id: r.id,
                prev_seq: r.seq - 1,
            });
        }
        self.prev_hash.clone_from(&r.hash);
        self.next_seq += 1;
        self.checked += 1;
        Ok(())
    }

    pub fn chain_id(&self) -> Uuid {
        self.chain_id
    }

    /// The sequence number the next record must have.
    pub fn next_seq(&self) -> i64 {
        self.next_seq
    }

    /// Checks the end of the chain against its head (last sequence number and hash).
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<u64, TrailBreak> {
        let last_seq = self.next_seq - 1;
        if last_seq != head_seq {
            return Err(TrailBreak::Truncated {
                chain_id: self.chain_id,
                last_seq,
                head_seq,
            });
        }
        if last_seq > 0 && self.prev_hash != head_hash {
            return Err(TrailBreak::HeadMismatch {
                chain_id: self.chain_id,
                last_seq,
            });
        }
        Ok(self.checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> TrailKey {
        TrailKey::from_bytes([7; 32])
    }

    fn chain(key: &TrailKey, n: usize) -> Vec<TrailRecord> {
        let chain_id = Uuid::from_u128(42);
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n as i64)
            .map(|seq| {
                let mut r = TrailRecord {
                    id: Uuid::from_u128(1000 + seq as u128),
                    chain_id,
                    seq,
                    at: crate::time::parse_canonical("2026-11-26T04:44:19.123456Z").unwrap(),
                    actor_id: None,
                    actor: "cli:root".into(),
                    entity_kind: "organization".into(),
                    entity_id: "x".into(),
                    action: "update".into(),
                    diff: serde_json::json!({"after": {"name": format!("工場 {seq}")}}),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                r.hash = key.seal(&r);
                prev = r.hash.clone();
                r
            })
            .collect()
    }

    fn verify(
        key: &TrailKey,
        records: &[TrailRecord],
        head: (i64, &str),
    ) -> Result<u64, TrailBreak> {
        let mut v = ChainVerifier::new(key, Uuid::from_u128(42));
        for r in records {
            v.check(r)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn intact_chain_verifies() {
        let k = key();
        let c = chain(&k, 5);
        let last = c.last().unwrap().hash.clone();
        assert_eq!(verify(&k, &c, (5, &last)), Ok(5));
        assert_eq!(verify(&k, &[], (0, GENESIS_HASH)), Ok(0));
    }

    #[test]
    fn wrong_key_fails_at_first_record() {
        let c = chain(&key(), 3);
        let last = c.last().unwrap().hash.clone();
        let other = TrailKey::from_bytes([8; 32]);
        assert!(matches!(
            verify(&other, &c, (3, &last)),
            Err(TrailBreak::Altered { seq: 1, .. })
        ));
    }

    #[test]
    fn deletion_reorder_and_truncation_are_named() {
        let k = key();
        let c = chain(&k, 5);
        let last = c.last().unwrap().hash.clone();

        let mut deleted = c.clone();
        deleted.remove(2);
        assert!(matches!(
            verify(&k, &deleted, (5, &last)),
            Err(TrailBreak::Missing {
                expected_seq: 3,
                found_seq: 4,
                ..
            })
        ));

        let mut swapped = c.clone();
        swapped.swap(1, 2);
        (swapped[1].seq, swapped[2].seq) = (2, 3);
        assert!(matches!(
            verify(&k, &swapped, (5, &last)),
            Err(TrailBreak::Altered { seq: 2, .. })
        ));

        assert!(matches!(
            verify(&k, &c[..4], (5, &last)),
            Err(TrailBreak::Truncated {
                last_seq: 4,
                head_seq: 5,
                ..
            })
        ));
    }

    #[test]
    fn canonical_json_sorts_keys_recursively() {
        let v = serde_json::json!({"b": 1, "a": {"d": [true, null], "c": "日本"}});
        assert_eq!(
            String::from_utf8(canonical_json(&v)).unwrap(),
            r#"{"a":{"c":"日本","d":[true,null]},"b":1}"#
        );
    }

    #[test]
    fn diff_shapes() {
        let b = serde_json::json!({"name": "a", "version": 1, "same": 0});
        let a = serde_json::json!({"name": "b", "version": 2, "same": 0});
        assert_eq!(
            diff(Some(&b), Some(&a)),
            serde_json::json!({"before": {"name": "a", "version": 1}, "after": {"name": "b", "version": 2}})
        );
        assert_eq!(diff(None, Some(&a)), serde_json::json!({"after": a}));
        assert_eq!(diff(Some(&b), None), serde_json::json!({"before": b}));
    }

    #[test]
    fn key_hex_round_trip_and_errors() {
        let k = key();
        assert_eq!(
            TrailKey::from_hex(&k.to_hex()).unwrap().to_hex(),
            k.to_hex()
        );
        assert!(TrailKey::from_hex("zz").is_err());
        assert!(TrailKey::from_hex("abcd").unwrap_err().contains("2 bytes"));
        assert_eq!(format!("{k:?}"), "TrailKey(..)");
    }

    proptest! {
        /// Any change to any single field of any record is detected.
        #[test]
        fn any_single_mutation_is_detected(n in 1usize..8, pick in 0usize..64, field in 0u8..8, byte in any::<u8>()) {
            let k = key();
            let mut c = chain(&k, n);
            let last = c.last().unwrap().hash.clone();
            let i = pick % n;
            let r = &mut c[i];
            match field {
                0 => r.actor.push(char::from(byte % 94 + 33)),
                1 => r.entity_id.push(char::from(byte % 94 + 33)),
                2 => r.action.push(char::from(byte % 94 + 33)),
                3 => r.diff = serde_json::json!({"after": {"name": byte}}),
                4 => r.at += time::Duration::microseconds(i64::from(byte) + 1),
                5 => r.actor_id = Some(Uuid::from_u128(u128::from(byte))),
                6 => r.entity_kind.push('x'),
                _ => r.hash = key().seal(&TrailRecord { actor: format!("{}{byte}", r.actor), ..r.clone() }),
            }
            prop_assert!(verify(&k, &c, (n as i64, &last)).is_err());
        }
    }
}
