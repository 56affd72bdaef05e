//! A stream in a snapshot, as Redis's AOF rewrite writes it (`rewriteStreamObject`): XADD
//! of each entry (or `XADD key MAXLEN 0 0-1 x y` for an empty stream), then per group
//! XGROUP CREATE ... ENTRIESREAD, an `XCLAIM ... FORCE JUSTID` per pending entry and XGROUP
//! CREATECONSUMER for consumers with nothing pending, and XSETID with the counters.
//!
//! Unlike an AOF rewrite (which drops them), pending entries whose stream entry is gone
//! (deleted, or trimmed away) reach the replica as in Redis's RDB: a placeholder entry is
//! added at their ID for XCLAIM to find, then removed the way the original went (XDEL at
//! or below the max deleted ID, an exact XTRIM below the first entry), and XSETID puts the
//! counters back.

use std::collections::BTreeSet;

use bytes::BytesMut;

use super::super::super::stream::{Stream, StreamId};
use super::super::write_command;

/// IDs per XDEL of placeholders.
const BATCH: usize = 512;

pub(super) fn write(out: &mut BytesMut, key: &[u8], stream: &Stream) {
    let dangling: BTreeSet<StreamId> = stream
        .groups
        .values()
        .flat_map(|g| g.pel.keys().copied())
        .filter(|id| !stream.contains(*id))
        .collect();
    if stream.is_empty() && dangling.is_empty() {
        write_command(out, &[b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"]);
    }
    let mut placeholders = dangling.iter().peekable();
    for (id, fields) in stream.iter() {
        while let Some(d) = placeholders.next_if(|d| **d < id) {
            write_placeholder(out, key, *d);
        }
        let id = id.to_string();
        let mut parts: Vec<&[u8]> = vec![b"XADD", key, id.as_bytes()];
        parts.extend(fields.iter());
        write_command(out, &parts);
    }
    placeholders.for_each(|d| write_placeholder(out, key, *d));
    write_groups(out, key, stream);
    remove_placeholders(out, key, stream, &dangling);
    let (last, added, deleted) = (
        stream.last_id.to_string(),
        stream.entries_added.to_string(),
        stream.max_deleted_id.to_string(),
    );
    write_command(
        out,
        &[
            b"XSETID",
            key,
            last.as_bytes(),
            b"ENTRIESADDED",
            added.as_bytes(),
            b"MAXDELETEDID",
            deleted.as_bytes(),
        ],
    );
}

fn write_placeholder(out: &mut BytesMut, key: &[u8], id: StreamId) {
    let id = id.to_string();
    write_command(out, &[b"XADD", key, id.as_bytes(), b"x", b"y"]);
}

/// XDEL for those at or below the max deleted ID (their XDEL set it), an exact trim below
/// the first entry for the trimmed ones (a trim leaves the max deleted ID alone).
fn remove_placeholders(
    out: &mut BytesMut,
    key: &[u8],
    stream: &Stream,
    dangling: &BTreeSet<StreamId>,
) {
    if dangling.is_empty() {
        return;
    }
    let first = stream.first().map(|(id, _)| id);
    let trimmed = |d: &StreamId| *d > stream.max_deleted_id && first.is_none_or(|f| *d < f);
    let deleted: Vec<String> = dangling
        .iter()
        .filter(|d| !trimmed(d))
        .map(StreamId::to_string)
        .collect();
    for batch in deleted.chunks(BATCH) {
        let mut parts: Vec<&[u8]> = vec![b"XDEL", key];
        parts.extend(batch.iter().map(String::as_bytes));
        write_command(out, &parts);
    }
    if dangling.iter().any(trimmed) {
        match first {
            Some(first) => {
                let first = first.to_string();
                write_command(out, &[b"XTRIM", key, b"MINID", b"=", first.as_bytes()]);
            }
            None => write_command(out, &[b"XTRIM", key, b"MAXLEN", b"=", b"0"]),
        }
    }
}

/// XGROUP CREATE, then the XCLAIMs and CREATECONSUMERs of each group.
fn write_groups(out: &mut BytesMut, key: &[u8], stream: &Stream) {
    for (name, group) in &stream.groups {
        let last = group.last_id.to_string();
        let read = group.entries_read.map_or(-1, |r| r as i64).to_string();
        write_command(
            out,
            &[
                b"XGROUP",
                b"CREATE",
                key,
                name,
                last.as_bytes(),
                b"ENTRIESREAD",
                read.as_bytes(),
            ],
        );
        for (consumer_name, consumer) in &group.consumers {
            if consumer.pel.is_empty() {
                write_command(
                    out,
                    &[b"XGROUP", b"CREATECONSUMER", key, name, consumer_name],
                );
                continue;
            }
            for id in &consumer.pel {
                let Some(pending) = group.pel.get(id) else {
                    continue;
                };
                let (id, time, count) = (
                    id.to_string(),
                    pending.delivery_time.to_string(),
                    pending.delivery_count.to_string(),
                );
                write_command(
                    out,
                    &[
                        b"XCLAIM",
                        key,
                        name,
                        consumer_name,
                        b"0",
                        id.as_bytes(),
                        b"TIME",
                        time.as_bytes(),
                        b"RETRYCOUNT",
                        count.as_bytes(),
                        b"JUSTID",
                        b"FORCE",
                    ],
                );
            }
        }
    }
}
