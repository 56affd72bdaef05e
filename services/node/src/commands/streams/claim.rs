//! XCLAIM and XAUTOCLAIM (<https://redis.io/commands/xclaim/>,
//! <https://redis.io/commands/xautoclaim/>).
//!
//! Claims record one `XCLAIM ... FORCE JUSTID LASTID` per entry they changed (or dropped,
//! when its entry was deleted: the replica's XCLAIM drops it too), as Redis does.

use bytes::Bytes;

use super::{
    entry_reply, id_reply, nogroup, propagate_all, setid_record, start_bound, strict_id,
    xclaim_record,
};
use crate::commands::args::{self, is};
use crate::commands::ctx::Ctx;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::stream::{Pending, Stream, StreamId};
use crate::engine::value::Value;

/// Milliseconds from `then` to `now`, negative when `then` is later (a primary's clock).
pub(super) fn idle_since(now: u64, then: u64) -> i64 {
    (now as i128 - then as i128).clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

struct Claim {
    min_idle: u64,
    time: Option<u64>,
    retry_count: Option<u64>,
    force: bool,
    justid: bool,
    last_id: StreamId,
}

/// `XCLAIM key group consumer min-idle-time id... [IDLE ms] [TIME unix-ms] [RETRYCOUNT
/// count] [FORCE] [JUSTID] [LASTID id]`
pub fn xclaim(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let (key, name, consumer) = (&args[1], &args[2], &args[3]);
    let has_group = ctx
        .read_as(key, Value::as_stream)?
        .is_some_and(|s| s.groups.contains_key(name.as_ref()));
    if !has_group {
        return Err(nogroup(key, name));
    }
    let min_idle = args::parse_int(&args[4])
        .ok_or_else(|| CmdError::err("Invalid min-idle-time argument for XCLAIM"))?;
    let now = ctx.now;
    let mut ids = Vec::new();
    let mut j = 5;
    while j < args.len() {
        match StreamId::parse_strict(&args[j], 0) {
            Some(id) => ids.push(id),
            None => break,
        }
        j += 1;
    }
    let mut claim = Claim {
        min_idle: min_idle.max(0) as u64,
        time: None,
        retry_count: None,
        force: false,
        justid: false,
        last_id: StreamId::ZERO,
    };
    let int_option = |arg: &[u8], what: &str| {
        args::parse_int(arg)
            .ok_or_else(|| CmdError::err(format!("Invalid {what} option argument for XCLAIM")))
    };
    while j < args.len() {
        let more = args.len() - 1 - j;
        let opt = &args[j][..];
        if is(opt, "FORCE") {
            claim.force = true;
        } else if is(opt, "JUSTID") {
            claim.justid = true;
        } else if is(opt, "IDLE") && more > 0 {
            j += 1;
            let idle = int_option(&args[j], "IDLE")?;
            claim.time = Some((now as i64).saturating_sub(idle) as u64);
            if idle > now as i64 {
                claim.time = Some(u64::MAX);
            }
        } else if is(opt, "TIME") && more > 0 {
            j += 1;
            let time = int_option(&args[j], "TIME")?;
            claim.time = Some(u64::try_from(time).unwrap_or(u64::MAX));
        } else if is(opt, "RETRYCOUNT") && more > 0 {
            j += 1;
            let count = int_option(&args[j], "RETRYCOUNT")?;
            claim.retry_count = u64::try_from(count).ok();
        } else if is(opt, "LASTID") && more > 0 {
            j += 1;
            claim.last_id = strict_id(&args[j])?;
        } else {
            return Err(CmdError::err(format!(
                "Unrecognized XCLAIM option '{}'",
                String::from_utf8_lossy(opt)
            )));
        }
        j += 1;
    }
    // A bogus time (negative, or in the future) means now, as in Redis; but a replica
    // takes the primary's times as they are, whatever its own clock says.
    let time = claim
        .time
        .filter(|&t| t <= now || (ctx.from_primary && t != u64::MAX))
        .unwrap_or(now);
    let recording = ctx.recording();
    let Some(stream) = ctx.write_as(key, Value::as_stream_mut)? else {
        return Err(nogroup(key, name));
    };
    let mut records = Vec::new();
    let mut moved_last = false;
    if let Some(group) = stream.groups.get_mut(name.as_ref()) {
        if claim.last_id > group.last_id {
            group.last_id = claim.last_id;
            moved_last = true;
        }
    }
    let mut out = Vec::new();
    for id in ids {
        let step = claim_one(stream, name, consumer, id, &claim, time, now);
        match step {
            Step::Skipped => continue,
            Step::Dropped(pending) => {
                if let Some(group) = stream.groups.get(name.as_ref()) {
                    records.push(xclaim_record(key, name, group, id, &pending));
                }
            }
            Step::Claimed => {
                out.push(claimed_reply(stream, id, claim.justid));
                if let Some(group) = stream.groups.get(name.as_ref()) {
                    if let Some(pending) = group.pel.get(&id) {
                        records.push(xclaim_record(key, name, group, id, pending));
                    }
                }
            }
        }
        moved_last = false;
    }
    if moved_last {
        if let Some(group) = stream.groups.get(name.as_ref()) {
            records.push(setid_record(key, name, group));
        }
    }
    if !records.is_empty() {
        ctx.changed(key);
        if recording {
            let db = ctx.db();
            propagate_all(ctx.engine, db, records);
        }
    }
    Ok(Reply::Array(out))
}

enum Step {
    Skipped,
    /// The entry was deleted: its pending entry was dropped.
    Dropped(Pending),
    Claimed,
}

/// Claims one pending entry for `consumer` as XCLAIM does.
fn claim_one(
    stream: &mut Stream,
    name: &[u8],
    consumer: &[u8],
    id: StreamId,
    claim: &Claim,
    time: u64,
    now: u64,
) -> Step {
    let exists = stream.contains(id);
    let Some(group) = stream.groups.get_mut(name) else {
        return Step::Skipped;
    };
    if !exists {
        let pending = group.pel.get(&id).cloned();
        return match pending {
            Some(p) => {
                group.remove_pending(id);
                Step::Dropped(p)
            }
            None => Step::Skipped,
        };
    }
    let existing = group.pel.get(&id).cloned();
    let count = match existing {
        Some(p) => {
            if claim.min_idle > 0 && idle_since(now, p.delivery_time) < claim.min_idle as i64 {
                return Step::Skipped;
            }
            p.delivery_count
        }
        // FORCE makes a pending entry for an entry nobody had (how replicas get them).
        None if claim.force => 1,
        None => return Step::Skipped,
    };
    group.touch_consumer(consumer, now);
    let count = match claim.retry_count {
        Some(n) => n,
        None if !claim.justid => count + 1,
        None => count,
    };
    group.assign(id, consumer, time, count);
    Step::Claimed
}

fn claimed_reply(stream: &Stream, id: StreamId, justid: bool) -> Reply {
    match stream.get(id) {
        Some(fields) if !justid => entry_reply(id, fields),
        _ => id_reply(id),
    }
}

/// `XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]`: `[next
/// cursor, claimed, deleted IDs]`.
pub fn xautoclaim(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let (key, name, consumer) = (&args[1], &args[2], &args[3]);
    let min_idle = args::parse_int(&args[4])
        .ok_or_else(|| CmdError::err("Invalid min-idle-time argument for XAUTOCLAIM"))?
        .max(0);
    let start = start_bound(&args[5])?;
    let mut count = 100usize;
    let mut justid = false;
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if is(&args[j], "COUNT") && more > 0 {
            let max = i64::MAX / 16;
            count = args::parse_int(&args[j + 1])
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| CmdError::err("COUNT must be > 0"))? as usize;
            j += 1;
        } else if is(&args[j], "JUSTID") {
            justid = true;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let now = ctx.now;
    let recording = ctx.recording();
    let stream = ctx.write_as(key, Value::as_stream_mut)?;
    let Some(stream) = stream.filter(|s| s.groups.contains_key(name.as_ref())) else {
        return Err(nogroup(key, name));
    };
    let mut attempts = count.saturating_mul(10);
    let mut claimed = Vec::new();
    let mut deleted = Vec::new();
    let mut records = Vec::new();
    let mut cursor_from = start;
    let mut exhausted = true;
    let claim = Claim {
        min_idle: min_idle as u64,
        time: None,
        retry_count: None,
        force: false,
        justid,
        last_id: StreamId::ZERO,
    };
    while attempts > 0 && count > 0 {
        let next = stream
            .groups
            .get(name.as_ref())
            .and_then(|g| g.pel.range(cursor_from..).next().map(|(id, _)| *id));
        let Some(id) = next else {
            exhausted = true;
            break;
        };
        exhausted = false;
        attempts -= 1;
        cursor_from = match id.next() {
            Some(n) => n,
            None => {
                exhausted = true;
                StreamId::MAX
            }
        };
        match claim_one(stream, name, consumer, id, &claim, now, now) {
            Step::Skipped => {}
            Step::Dropped(pending) => {
                if let Some(group) = stream.groups.get(name.as_ref()) {
                    records.push(xclaim_record(key, name, group, id, &pending));
                }
                deleted.push(id_reply(id));
                count -= 1;
            }
            Step::Claimed => {
                claimed.push(claimed_reply(stream, id, justid));
                if let Some(group) = stream.groups.get(name.as_ref()) {
                    if let Some(pending) = group.pel.get(&id) {
                        records.push(xclaim_record(key, name, group, id, pending));
                    }
                }
                count -= 1;
            }
        }
        if exhausted {
            break;
        }
    }
    let cursor = if exhausted {
        StreamId::ZERO
    } else {
        stream
            .groups
            .get(name.as_ref())
            .and_then(|g| g.pel.range(cursor_from..).next().map(|(id, _)| *id))
            .unwrap_or(StreamId::ZERO)
    };
    if !records.is_empty() {
        ctx.changed(key);
        if recording {
            let db = ctx.db();
            propagate_all(ctx.engine, db, records);
        }
    }
    Ok(Reply::Array(vec![
        id_reply(cursor),
        Reply::Array(claimed),
        Reply::Array(deleted),
    ]))
}
