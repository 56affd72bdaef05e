//! XPENDING (<https://redis.io/commands/xpending/>): the summary of a group's pending
//! entries, or the entries themselves in a range, optionally of one consumer and idle for
//! at least some time.

use bytes::Bytes;

use super::claim::idle_since;
use super::{end_bound, id_reply, nogroup, num, start_bound};
use crate::commands::args::{self, is};
use crate::commands::ctx::Ctx;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::stream::{Group, StreamId};
use crate::engine::value::Value;

/// `XPENDING key group [[IDLE min-idle-time] start end count [consumer]]`
pub fn xpending(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let summary = args.len() == 3;
    if !summary && !(6..=9).contains(&args.len()) {
        return Err(CmdError::Syntax);
    }
    let mut range = None;
    let mut min_idle = 0i64;
    let mut consumer = None;
    if !summary {
        let mut at = 3;
        if is(&args[3], "IDLE") {
            min_idle = args::int(&args[4])?;
            if args.len() < 8 {
                return Err(CmdError::Syntax);
            }
            at += 2;
        }
        let count = args::int(&args[at + 2])?.max(0) as usize;
        let start = start_bound(&args[at])?;
        let end = end_bound(&args[at + 1])?;
        if at + 3 < args.len() {
            consumer = Some(&args[at + 3]);
        }
        range = Some((start, end, count));
    }
    let now = ctx.now;
    let stream = ctx.read_as(&args[1], Value::as_stream)?;
    let Some(group) = stream.and_then(|s| s.groups.get(args[2].as_ref())) else {
        return Err(nogroup(&args[1], &args[2]));
    };
    let Some((start, end, count)) = range else {
        return Ok(pending_summary(group));
    };
    let ids: Vec<StreamId> = match consumer {
        Some(name) => match group.consumers.get(name.as_ref()) {
            Some(c) if start <= end => c.pel.range(start..=end).copied().collect(),
            Some(_) => Vec::new(),
            None => return Ok(Reply::Array(Vec::new())),
        },
        None if start <= end => group.pel.range(start..=end).map(|(id, _)| *id).collect(),
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for id in ids {
        if out.len() == count {
            break;
        }
        let Some(p) = group.pel.get(&id) else {
            continue;
        };
        let idle = idle_since(now, p.delivery_time);
        if min_idle > 0 && idle < min_idle {
            continue;
        }
        out.push(Reply::Array(vec![
            id_reply(id),
            Reply::bulk(&p.consumer),
            Reply::Int(idle.max(0)),
            Reply::Int(p.delivery_count as i64),
        ]));
    }
    Ok(Reply::Array(out))
}

/// `[count, first, last, [[consumer, count]...]]`
fn pending_summary(group: &Group) -> Reply {
    let (Some((first, _)), Some((last, _))) =
        (group.pel.first_key_value(), group.pel.last_key_value())
    else {
        return Reply::Array(vec![Reply::Int(0), Reply::Nil, Reply::Nil, Reply::NilArray]);
    };
    let consumers = group
        .consumers
        .iter()
        .filter(|(_, c)| !c.pel.is_empty())
        .map(|(name, c)| Reply::Array(vec![Reply::bulk(name), Reply::Bulk(num(c.pel.len()))]))
        .collect();
    Reply::Array(vec![
        Reply::Int(group.pel.len() as i64),
        id_reply(*first),
        id_reply(*last),
        Reply::Array(consumers),
    ])
}
