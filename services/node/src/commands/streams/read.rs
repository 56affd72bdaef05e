//! XREAD and XREADGROUP (<https://redis.io/commands/xread/>,
//! <https://redis.io/commands/xreadgroup/>), and the serving of their blocked clients.
//!
//! A served XREADGROUP records, per entry it delivered, the XCLAIM that gives the replica
//! the same pending entry, then `XGROUP SETID ... ENTRIESREAD` for the group's new position;
//! a consumer it created is recorded as `XGROUP CREATECONSUMER`. Rereading a consumer's
//! history also records XCLAIMs (Redis propagates nothing there, so its replicas' delivery
//! counts drift; these do not).

use bytes::Bytes;

use super::{
    createconsumer_record, entry_reply, propagate_all, setid_record, strict_id, text, xclaim_record,
};
use crate::commands::args::{self, is};
use crate::commands::blocked::{block, set_blocked};
use crate::commands::ctx::{Ctx, Response};
use crate::engine::blocking::{BlockOp, GroupWait, StreamWait, WaiterId};
use crate::engine::error::CmdError;
use crate::engine::keyspace::Millis;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::stream::{Stream, StreamId};
use crate::engine::value::Value;
use crate::engine::Engine;

/// What a blocked reader gets at most per stream when it gave no COUNT (Redis's
/// `XREAD_BLOCKED_DEFAULT_COUNT`).
const BLOCKED_DEFAULT_COUNT: usize = 1000;

struct ReadArgs<'a> {
    /// 0: no limit.
    count: usize,
    /// Milliseconds, 0 forever; None without BLOCK.
    block: Option<u64>,
    group: Option<(&'a Bytes, &'a Bytes)>,
    noack: bool,
    keys: &'a [Bytes],
    ids: &'a [Bytes],
}

fn parse(args: &[Bytes], group_cmd: bool) -> Result<ReadArgs<'_>, CmdError> {
    let mut out = ReadArgs {
        count: 0,
        block: None,
        group: None,
        noack: false,
        keys: &[],
        ids: &[],
    };
    let mut streams_at = None;
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = &args[i][..];
        if is(opt, "BLOCK") && more > 0 {
            i += 1;
            let ms = args::parse_int(&args[i])
                .ok_or_else(|| CmdError::err("timeout is not an integer or out of range"))?;
            let ms = u64::try_from(ms).map_err(|_| CmdError::err("timeout is negative"))?;
            out.block = Some(ms);
        } else if is(opt, "COUNT") && more > 0 {
            i += 1;
            out.count = args::int(&args[i])?.max(0) as usize;
        } else if is(opt, "STREAMS") && more > 0 {
            let rest = &args[i + 1..];
            if !rest.len().is_multiple_of(2) {
                // Redis words it this way for XREADGROUP too.
                return Err(CmdError::err(
                    "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be \
                     specified.",
                ));
            }
            let (keys, ids) = rest.split_at(rest.len() / 2);
            out.keys = keys;
            out.ids = ids;
            streams_at = Some(i + 1);
            break;
        } else if is(opt, "GROUP") && more >= 2 {
            if !group_cmd {
                return Err(CmdError::err(
                    "The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            out.group = Some((&args[i + 1], &args[i + 2]));
            i += 2;
        } else if is(opt, "NOACK") {
            if !group_cmd {
                return Err(CmdError::err(
                    "The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            out.noack = true;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if streams_at.is_none() {
        return Err(CmdError::Syntax);
    }
    if group_cmd && out.group.is_none() {
        return Err(CmdError::err("Missing GROUP option for XREADGROUP"));
    }
    Ok(out)
}

/// Where a read starts for one stream: after an ID, or (`>`) after the group's last ID.
#[derive(Clone, Copy, PartialEq, Eq)]
enum From {
    After(StreamId),
    New,
}

/// `XREAD [COUNT count] [BLOCK milliseconds] STREAMS key... id...`
pub fn xread(ctx: &mut Ctx, args: &[Bytes]) -> Result<Response, CmdError> {
    read(ctx, args, false)
}

/// `XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS
/// key... id...`
pub fn xreadgroup(ctx: &mut Ctx, args: &[Bytes]) -> Result<Response, CmdError> {
    read(ctx, args, true)
}

fn read(ctx: &mut Ctx, args: &[Bytes], group_cmd: bool) -> Result<Response, CmdError> {
    let parsed = parse(args, group_cmd)?;
    if parsed.block.is_some() && ctx.engine.scripts.running.is_running() {
        return Err(CmdError::err(format!(
            "{} command is not allowed with BLOCK option from scripts",
            String::from_utf8_lossy(&args[0])
        )));
    }
    let mut starts = Vec::with_capacity(parsed.keys.len());
    for (key, id) in parsed.keys.iter().zip(parsed.ids) {
        let stream = ctx.read_as(key, Value::as_stream)?;
        if let Some((group, _)) = parsed.group {
            if !stream.is_some_and(|s| s.groups.contains_key(group.as_ref())) {
                return Err(CmdError::Line(
                    format!(
                        "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with \
                         GROUP option",
                        String::from_utf8_lossy(key),
                        String::from_utf8_lossy(group)
                    )
                    .into(),
                ));
            }
        }
        let start = if id.as_ref() == b"$" {
            if group_cmd {
                return Err(CmdError::err(
                    "The $ ID is meaningless in the context of XREADGROUP: you want to read the \
                     history of this consumer by specifying a proper ID, or use the > ID to get \
                     new messages. The $ ID would just return an empty result set.",
                ));
            }
            From::After(stream.map_or(StreamId::ZERO, |s| s.last_id))
        } else if id.as_ref() == b">" {
            if !group_cmd {
                return Err(CmdError::err(
                    "The > ID can be specified only when calling XREADGROUP using the GROUP \
                     <group> <consumer> option.",
                ));
            }
            From::New
        } else {
            From::After(strict_id(id)?)
        };
        starts.push(start);
    }
    let resp3 = ctx.session.protocol == rg_resp::Protocol::Resp3;
    let mut served = Vec::new();
    let mut records = Vec::new();
    let recording = ctx.recording();
    let now = ctx.now;
    for (key, start) in parsed.keys.iter().zip(&starts) {
        let entries = match parsed.group {
            Some((group, consumer)) => {
                let Some(stream) = ctx.write_as(key, Value::as_stream_mut)? else {
                    continue;
                };
                let read = GroupRead {
                    key,
                    group,
                    consumer,
                    count: parsed.count,
                    noack: parsed.noack,
                    now,
                    recording,
                };
                read_group(stream, &read, *start, &mut records)
            }
            None => {
                let Some(stream) = ctx.read_as(key, Value::as_stream)? else {
                    continue;
                };
                let From::After(after) = *start else {
                    continue;
                };
                read_after(stream, after, parsed.count)
            }
        };
        if let Some(entries) = entries {
            served.push((key.clone(), entries));
        }
    }
    let db = ctx.db();
    propagate_all(ctx.engine, db, records);
    if !served.is_empty() {
        return Ok(streams_reply(served, resp3).into());
    }
    let Some(timeout) = parsed.block else {
        return Ok(Reply::NilArray.into());
    };
    if ctx.in_exec {
        return Ok(Reply::NilArray.into());
    }
    let after = parsed
        .keys
        .iter()
        .zip(&starts)
        .map(|(key, start)| {
            let id = match start {
                From::After(id) => *id,
                From::New => StreamId::MAX,
            };
            (SmallBytes::new(key), id)
        })
        .collect();
    let wait = StreamWait {
        after,
        count: match parsed.count {
            0 => BLOCKED_DEFAULT_COUNT,
            n => n,
        },
        group: parsed.group.map(|(group, consumer)| GroupWait {
            group: SmallBytes::new(group),
            consumer: SmallBytes::new(consumer),
            noack: parsed.noack,
        }),
        resp3,
    };
    Ok(block(
        ctx,
        parsed.keys,
        BlockOp::Stream(Box::new(wait)),
        timeout,
    ))
}

/// `[[key, entries]...]` in RESP2, `{key: entries...}` in RESP3.
fn streams_reply(served: Vec<(Bytes, Vec<Reply>)>, resp3: bool) -> Reply {
    if resp3 {
        return Reply::Map(
            served
                .into_iter()
                .map(|(k, e)| (Reply::Bulk(k), Reply::Array(e)))
                .collect(),
        );
    }
    Reply::Array(
        served
            .into_iter()
            .map(|(k, e)| Reply::Array(vec![Reply::Bulk(k), Reply::Array(e)]))
            .collect(),
    )
}

/// XREAD of one stream: entries above `after`, or None when there are none.
fn read_after(stream: &Stream, after: StreamId, count: usize) -> Option<Vec<Reply>> {
    if stream.last_valid_id() <= after {
        return None;
    }
    let start = after.next()?;
    let limit = if count == 0 { usize::MAX } else { count };
    Some(
        stream
            .range(start, StreamId::MAX)
            .take(limit)
            .map(|(id, f)| entry_reply(id, f))
            .collect(),
    )
}

struct GroupRead<'a> {
    key: &'a [u8],
    group: &'a [u8],
    consumer: &'a [u8],
    /// 0: no limit.
    count: usize,
    noack: bool,
    now: Millis,
    recording: bool,
}

/// XREADGROUP of one stream whose group exists: the consumer's history from an ID, or
/// (`>`) new entries, which become pending unless NOACK. None when `>` finds nothing.
fn read_group(
    stream: &mut Stream,
    read: &GroupRead,
    start: From,
    records: &mut Vec<Vec<Bytes>>,
) -> Option<Vec<Reply>> {
    // The consumer is made (or seen) only when the read is served, as in Redis.
    let last = stream.groups.get(read.group)?.last_id;
    if start == From::New && stream.last_valid_id() <= last {
        return None;
    }
    let group = stream.groups.get_mut(read.group)?;
    if group.touch_consumer(read.consumer, read.now) && read.recording {
        records.push(createconsumer_record(read.key, read.group, read.consumer));
    }
    match start {
        From::After(after) => Some(read_history(stream, read, after, records)),
        From::New => Some(read_new(stream, read, records)),
    }
}

/// New entries after the group's last delivered ID, for `read.consumer`.
fn read_new(stream: &mut Stream, read: &GroupRead, records: &mut Vec<Vec<Bytes>>) -> Vec<Reply> {
    let Some(last) = stream.groups.get(read.group).map(|g| g.last_id) else {
        return Vec::new();
    };
    let Some(start) = last.next() else {
        return Vec::new();
    };
    let limit = if read.count == 0 {
        usize::MAX
    } else {
        read.count
    };
    let entries: Vec<(StreamId, Reply)> = stream
        .range(start, StreamId::MAX)
        .take(limit)
        .map(|(id, f)| (id, entry_reply(id, f)))
        .collect();
    for (id, _) in &entries {
        stream.advance_group(read.group, *id);
        let Some(group) = stream.groups.get_mut(read.group) else {
            break;
        };
        if read.noack {
            continue;
        }
        group.deliver(*id, read.consumer, read.now);
        if read.recording {
            if let Some(pending) = group.pel.get(id) {
                records.push(xclaim_record(read.key, read.group, group, *id, pending));
            }
        }
    }
    if read.recording && !entries.is_empty() {
        if let Some(group) = stream.groups.get(read.group) {
            records.push(setid_record(read.key, read.group, group));
        }
    }
    entries.into_iter().map(|(_, r)| r).collect()
}

/// The consumer's pending entries from `after` on (inclusive, as Redis reads them): each
/// is delivered again; one whose entry was deleted answers `[id, nil]`.
fn read_history(
    stream: &mut Stream,
    read: &GroupRead,
    from: StreamId,
    records: &mut Vec<Vec<Bytes>>,
) -> Vec<Reply> {
    let limit = if read.count == 0 {
        usize::MAX
    } else {
        read.count
    };
    let ids: Vec<StreamId> = stream
        .groups
        .get(read.group)
        .and_then(|g| g.consumers.get(read.consumer))
        .map(|c| c.pel.range(from..).take(limit).copied().collect())
        .unwrap_or_default();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(fields) = stream.get(id) else {
            out.push(Reply::Array(vec![super::id_reply(id), Reply::NilArray]));
            continue;
        };
        out.push(entry_reply(id, fields));
        let Some(group) = stream.groups.get_mut(read.group) else {
            continue;
        };
        let group_ref = &mut *group;
        if let Some(pending) = group_ref.pel.get_mut(&id) {
            pending.delivery_time = read.now;
            pending.delivery_count += 1;
        }
        if read.recording {
            if let Some(pending) = group.pel.get(&id) {
                records.push(xclaim_record(read.key, read.group, group, id, pending));
            }
        }
    }
    out
}

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
