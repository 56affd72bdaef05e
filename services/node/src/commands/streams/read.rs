//! XREAD and XREADGROUP (<https://redis.io/commands/xread/>,
//! <https://redis.io/commands/xreadgroup/>), and the serving of their blocked clients.
//!
//! A served XREADGROUP records, per entry it delivered, the XCLAIM that gives the replica
//! the same pending entry, then `XGROUP SETID ... ENTRIESREAD` for the group's new position;
//! a consumer it created is recorded as `XGROUP CREATECONSUMER`. Rereading a consumer's
//! history also records XCLAIMs (Redis propagates nothing there, so its replicas' delivery
//! counts drift; these do not).

mod deliver;
mod serve;

use bytes::Bytes;

use self::deliver::{read_after, read_group, GroupRead};
pub(in crate::commands) use self::serve::serve;
use super::{propagate_all, strict_id};
use crate::commands::args::{self, is};
use crate::commands::blocked::block;
use crate::commands::ctx::{Ctx, Response};
use crate::engine::blocking::{BlockOp, GroupWait, StreamWait};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::stream::StreamId;
use crate::engine::value::Value;

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
pub(super) enum From {
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
pub(super) fn streams_reply(served: Vec<(Bytes, Vec<Reply>)>, resp3: bool) -> Reply {
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
