//! A full-sync snapshot: every database as the RESP commands that rebuild it (FLUSHALL, then
//! per key SET / RPUSH / HSET / SADD / ZADD / XADD... and PEXPIREAT), cut into chunks that fit in a
//! bus message. Containers are written in bounded commands so no single command is huge.
//!
//! The snapshot is point-in-time without stopping writes: each keyspace serializes an entry
//! either when its walk reaches it or just before the entry's first change after the start,
//! whichever comes first (see `Keyspace::start_snapshot`). Writes made after the start reach
//! the replica through the stream instead.

use bytes::{Bytes, BytesMut};
use rg_proto::messages::MAX_PAYLOAD;

use super::super::keyspace::{Entry, Millis, PERSISTENT};
use super::super::value::Value;
use super::super::Engine;
use super::write_command;

mod stream;

/// Elements per container command.
const BATCH: usize = 512;

/// Starts a point-in-time snapshot of every database, as of the stream's current offset
/// (the caller captures pending writes first). The next stream command carries a SELECT, so
/// a replica that loads the snapshot and then follows the stream lands in the right database.
pub fn start(engine: &mut Engine, now: Millis) {
    for db in &mut engine.dbs {
        db.keys.start_snapshot(now);
    }
    engine.repl.forget_stream_db();
}

/// The next chunk of the running snapshot (the first starts with FLUSHALL); `true` with the
/// last one. Each call serializes at most about one chunk, so the engine lock is held for
/// a bounded time and clients keep being served between chunks.
pub fn next_chunk(engine: &mut Engine, first: bool) -> (Bytes, bool) {
    next_chunk_of(engine, first, MAX_PAYLOAD)
}

/// [`next_chunk`] with chunks of about `size` bytes.
pub fn next_chunk_of(engine: &mut Engine, first: bool, size: usize) -> (Bytes, bool) {
    let mut out = BytesMut::new();
    if first {
        write_command(&mut out, &[b"FLUSHALL"]);
        write_scripts(engine, &mut out, size / 2);
    }
    let mut all_done = true;
    for (index, db) in engine.dbs.iter_mut().enumerate() {
        if !db.keys.snapshot_active() {
            continue;
        }
        let room = size.saturating_sub(out.len());
        let done = room > 0 && db.keys.snapshot_step(room);
        let bytes = db.keys.take_snapshot_output();
        if !bytes.is_empty() {
            let index_text = index.to_string();
            write_command(&mut out, &[b"SELECT", index_text.as_bytes()]);
            out.extend_from_slice(&bytes);
        }
        if done {
            db.keys.finish_snapshot();
        } else {
            all_done = false;
        }
    }
    (out.freeze(), all_done)
}

/// The functions (as Redis's RDB carries them) and the script cache, so that EVALSHA finds
/// on the replica what it found here (Redis's replicas lack scripts after a full sync;
/// rgroup's readers run EVALSHA_RO). At most `room` bytes of them: the first chunk must
/// still fit in a bus message.
fn write_scripts(engine: &Engine, out: &mut BytesMut, room: usize) {
    write_command(out, &[b"SCRIPT", b"FLUSH"]);
    let mut left_out = 0;
    for body in engine.scripts.bodies() {
        if out.len() + body.len() > room {
            left_out += 1;
            continue;
        }
        write_command(out, &[b"SCRIPT", b"LOAD", body]);
    }
    write_command(out, &[b"FUNCTION", b"FLUSH"]);
    for library in engine.scripts.libraries.libraries.values() {
        if out.len() + library.code.len() > room {
            left_out += 1;
            continue;
        }
        write_command(out, &[b"FUNCTION", b"LOAD", b"REPLACE", &library.code]);
    }
    if left_out > 0 {
        tracing::warn!(
            left_out,
            "scripts or libraries too large for the snapshot's first chunk were not sent"
        );
    }
}

/// Abandons a running snapshot (its replica went away, or SWAPDB moved databases under it).
pub fn abort(engine: &mut Engine) {
    for db in &mut engine.dbs {
        db.keys.finish_snapshot();
    }
}

pub fn active(engine: &Engine) -> bool {
    engine.dbs.iter().any(|db| db.keys.snapshot_active())
}

pub fn write_entry(out: &mut BytesMut, entry: &Entry) {
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
        Value::Stream(stream) => stream::write(out, key, stream),
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
