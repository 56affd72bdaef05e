//! A full-sync snapshot: every database as the RESP commands that rebuild it (FLUSHALL, then
//! per key SET / RPUSH / HSET / SADD / ZADD and PEXPIREAT), cut into chunks that fit in a
//! bus message. Containers are written in bounded commands so no single command is huge.
//!
//! The snapshot is taken under the engine lock in one go, which stalls clients for the time
//! it takes to serialize the dataset (about a second per GB); an incremental,
//! point-in-time snapshot is the planned replacement.

use bytes::{Bytes, BytesMut};
use rg_proto::messages::MAX_PAYLOAD;

use super::super::keyspace::{Entry, Millis, PERSISTENT};
use super::super::value::Value;
use super::super::Engine;
use super::write_command;

/// Elements per container command.
const BATCH: usize = 512;

pub fn serialize(engine: &Engine, now: Millis) -> Vec<Bytes> {
    let mut chunks = Vec::new();
    let mut out = BytesMut::new();
    write_command(&mut out, &[b"FLUSHALL"]);
    for (index, db) in engine.dbs.iter().enumerate() {
        if db.keys.is_empty() {
            continue;
        }
        let index_text = index.to_string();
        write_command(&mut out, &[b"SELECT", index_text.as_bytes()]);
        for entry in db.keys.iter() {
            if entry.expires_at != PERSISTENT && entry.expires_at <= now {
                continue;
            }
            write_entry(&mut out, entry);
            if out.len() >= MAX_PAYLOAD {
                chunks.push(out.split().freeze());
            }
        }
    }
    if !out.is_empty() {
        chunks.push(out.freeze());
    }
    chunks
}

fn write_entry(out: &mut BytesMut, entry: &Entry) {
    let key: &[u8] = &entry.key;
    match &entry.value {
        Value::Str(value) => write_command(out, &[b"SET", key, value]),
        Value::List(list) => {
            let items: Vec<&[u8]> = list.iter().map(|e| &e[..]).collect();
            write_batches(out, b"RPUSH", key, &items);
        }
        Value::Set(set) => {
            let items: Vec<&[u8]> = set.iter().map(|m| &m[..]).collect();
            write_batches(out, b"SADD", key, &items);
        }
        Value::Hash(hash) => {
            let items: Vec<&[u8]> = hash.iter().flat_map(|(f, v)| [&f[..], &v[..]]).collect();
            write_batches(out, b"HSET", key, &items);
        }
        Value::ZSet(zset) => {
            let scores: Vec<(String, &[u8])> = zset
                .iter()
                .map(|(m, s)| (rg_resp::encode::format_double(s), &m[..]))
                .collect();
            let items: Vec<&[u8]> = scores
                .iter()
                .flat_map(|(s, m)| [s.as_bytes(), *m])
                .collect();
            write_batches(out, b"ZADD", key, &items);
        }
    }
    if entry.expires_at != PERSISTENT {
        let at = entry.expires_at.to_string();
        write_command(out, &[b"PEXPIREAT", key, at.as_bytes()]);
    }
}

/// `command key items...` in commands of at most BATCH pairs-or-items, keeping pairs whole.
fn write_batches(out: &mut BytesMut, command: &[u8], key: &[u8], items: &[&[u8]]) {
    let per = if matches!(command, b"HSET" | b"ZADD") {
        2 * BATCH
    } else {
        BATCH
    };
    for batch in items.chunks(per) {
        let mut parts: Vec<&[u8]> = Vec::with_capacity(batch.len() + 2);
        parts.push(command);
        parts.push(key);
        parts.extend_from_slice(batch);
        write_command(out, &parts);
    }
}
