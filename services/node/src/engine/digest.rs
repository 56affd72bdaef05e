//! `DEBUG DIGEST`: one SHA-1 over the whole dataset that does not depend on the order keys
//! were written in, so two replicas holding the same data report the same digest.
//!
//! Each key's digest covers its database, name, type, value and expiry; key digests are
//! combined by XOR, as are the elements of unordered types (sets, hashes).

use sha1::{Digest, Sha1};

use super::keyspace::Entry;
use super::stream::{Stream, StreamId};
use super::value::Value;
use super::Engine;

type Sum = [u8; 20];

pub fn dataset(engine: &Engine) -> String {
    let mut total = [0u8; 20];
    for (index, db) in engine.dbs.iter().enumerate() {
        for entry in db.keys.iter() {
            xor(&mut total, &key_digest(index, entry));
        }
    }
    hex(&total)
}

/// The digest of one key's value alone (`DEBUG DIGEST-VALUE`), or zeros for a missing key.
pub fn value(entry: Option<&Entry>) -> String {
    hex(&entry.map(|e| value_digest(&e.value)).unwrap_or([0; 20]))
}

fn key_digest(db: usize, entry: &Entry) -> Sum {
    let mut hasher = Sha1::new();
    hasher.update((db as u64).to_be_bytes());
    hasher.update((entry.key.len() as u64).to_be_bytes());
    hasher.update(&entry.key[..]);
    hasher.update(value_digest(&entry.value));
    hasher.update(entry.expires_at.to_be_bytes());
    hasher.finalize().into()
}

fn value_digest(value: &Value) -> Sum {
    let mut hasher = Sha1::new();
    hasher.update(value.type_name().as_bytes());
    match value {
        Value::Str(s) => hasher.update(&s[..]),
        Value::List(list) => list.iter().for_each(|item| framed(&mut hasher, item)),
        Value::Set(set) => {
            let mut sum = [0u8; 20];
            set.iter().for_each(|m| xor(&mut sum, &one(&[m])));
            hasher.update(sum);
        }
        Value::Hash(hash) => {
            let mut sum = [0u8; 20];
            hash.iter().for_each(|(f, v)| xor(&mut sum, &one(&[f, v])));
            hasher.update(sum);
        }
        Value::ZSet(zset) => zset.iter().for_each(|(member, score)| {
            framed(&mut hasher, member);
            hasher.update(score.to_bits().to_be_bytes());
        }),
        Value::Stream(stream) => stream_digest(&mut hasher, stream),
    }
    hasher.finalize().into()
}

/// Entries, counters and groups; consumers' seen times are left out (a replica's consumers
/// are seen when the primary's records create them, not when the primary saw them).
fn stream_digest(hasher: &mut Sha1, stream: &Stream) {
    let id = |hasher: &mut Sha1, id: StreamId| {
        hasher.update(id.ms.to_be_bytes());
        hasher.update(id.seq.to_be_bytes());
    };
    for (entry, fields) in stream.iter() {
        id(hasher, entry);
        hasher.update((fields.len() as u64).to_be_bytes());
        fields.iter().for_each(|f| framed(hasher, f));
    }
    id(hasher, stream.last_id);
    id(hasher, stream.max_deleted_id);
    hasher.update(stream.entries_added.to_be_bytes());
    for (name, group) in &stream.groups {
        framed(hasher, name);
        id(hasher, group.last_id);
        hasher.update(group.entries_read.map_or(-1, |r| r as i64).to_be_bytes());
        for (pending, p) in &group.pel {
            id(hasher, *pending);
            framed(hasher, &p.consumer);
            hasher.update(p.delivery_time.to_be_bytes());
            hasher.update(p.delivery_count.to_be_bytes());
        }
        group.consumers.keys().for_each(|c| framed(hasher, c));
    }
}

fn framed(hasher: &mut Sha1, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_be_bytes());
    hasher.update(bytes);
}

fn one(parts: &[&[u8]]) -> Sum {
    let mut hasher = Sha1::new();
    parts.iter().for_each(|part| framed(&mut hasher, part));
    hasher.finalize().into()
}

fn xor(into: &mut Sum, other: &Sum) {
    into.iter_mut().zip(other).for_each(|(a, b)| *a ^= b);
}

/// Lowercase hex, two digits a byte (SHA-1 sums as Redis prints them).
pub fn hex(sum: &[u8]) -> String {
    sum.iter().map(|b| format!("{b:02x}")).collect()
}
