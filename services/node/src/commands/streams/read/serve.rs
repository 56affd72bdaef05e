//! Serving a blocked XREAD or XREADGROUP when its key changes: new entries for it, or
//! (for a group reader) Redis's error when the key or the group is gone.

use super::super::{createconsumer_record, propagate_all, text};
use super::deliver::{read_after, read_new, GroupRead};
use super::streams_reply;
use crate::commands::blocked::set_blocked;
use crate::engine::blocking::{BlockOp, WaiterId};
use crate::engine::error::CmdError;
use crate::engine::keyspace::Millis;
use crate::engine::reply::Reply;
use crate::engine::Engine;

/// Serves one blocked XREAD or XREADGROUP from `key` if it has entries the reader wants;
/// a group reader whose key or group is gone gets an error, as in Redis.
pub(in crate::commands) fn serve(
    engine: &mut Engine,
    now: Millis,
    db: usize,
    key: &[u8],
    waiter: WaiterId,
) {
    let Some(BlockOp::Stream(wait)) = engine.blocking.op(waiter).cloned() else {
        return;
    };
    let stream = engine.dbs[db]
        .keys
        .get(key)
        .and_then(|e| e.value.as_stream());
    let after = match (&wait.group, stream) {
        (Some(_), None) => {
            return fail(engine, waiter, "UNBLOCKED the stream key no longer exists")
        }
        (Some(g), Some(s)) => match s.groups.get(g.group.as_slice()) {
            Some(group) => group.last_id,
            None => {
                return fail(
                    engine,
                    waiter,
                    "NOGROUP the consumer group this client was blocked on no longer exists",
                )
            }
        },
        (None, None) => return,
        (None, Some(_)) => match wait.after.iter().find(|(k, _)| k.as_slice() == key) {
            Some((_, id)) => *id,
            None => return,
        },
    };
    if stream.is_none_or(|s| s.last_id <= after) {
        return;
    }
    let Some(waiter) = engine.blocking.unblock(waiter) else {
        return;
    };
    set_blocked(engine, waiter.client, false);
    if waiter.reply.is_closed() {
        return;
    }
    let recording = engine.records.is_some();
    let mut records = Vec::new();
    let Some(stream) = engine.dbs[db]
        .keys
        .get_mut(key)
        .and_then(|e| e.value.as_stream_mut())
    else {
        return;
    };
    let entries = match &wait.group {
        Some(g) => {
            let read = GroupRead {
                key,
                group: &g.group,
                consumer: &g.consumer,
                count: wait.count,
                noack: g.noack,
                now,
                recording,
            };
            if let Some(group) = stream.groups.get_mut(g.group.as_slice()) {
                if group.touch_consumer(&g.consumer, now) && recording {
                    records.push(createconsumer_record(key, &g.group, &g.consumer));
                }
            }
            read_new(stream, &read, &mut records)
        }
        None => read_after(stream, after, wait.count).unwrap_or_default(),
    };
    let reply = streams_reply(vec![(text(key), entries)], wait.resp3);
    // The group's state changed whether or not the client is still there to read it.
    let _ = waiter.reply.send(reply);
    propagate_all(engine, db, records);
}

fn fail(engine: &mut Engine, waiter: WaiterId, line: &'static str) {
    let Some(waiter) = engine.blocking.unblock(waiter) else {
        return;
    };
    set_blocked(engine, waiter.client, false);
    let _ = waiter.reply.send(Reply::Error(CmdError::Line(line.into())));
}
