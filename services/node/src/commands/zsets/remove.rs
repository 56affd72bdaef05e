//! Removing members: ZREM, ZPOPMIN, ZPOPMAX and ZREMRANGEBY{RANK,SCORE,LEX}. Each records
//! `ZREM key member...` of what it removed, and deletes a set it leaves empty.

use bytes::Bytes;

use super::bounds::{LexRange, RankRange, ScoreRange, Span};
use super::{record_zrem, resp3, scored_reply};
use crate::commands::args;
use crate::commands::ctx::{Class, Ctx};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::Value;
use crate::engine::zset::ZSet;

/// `ZREM key member [member ...]`
pub fn zrem(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let key = &args[1];
    let Some(zset) = ctx.write_as(key, Value::as_zset_mut)? else {
        return Ok(Reply::Int(0));
    };
    let removed: Vec<&[u8]> = args[2..]
        .iter()
        .filter(|member| zset.remove(member).is_some())
        .map(|member| &member[..])
        .collect();
    if !removed.is_empty() {
        ctx.notify(Class::ZSET, "zrem", key);
        ctx.drop_if_empty(key);
        ctx.changed(key);
        record_zrem(ctx, key, removed.iter().copied());
    }
    Ok(Reply::Int(removed.len() as i64))
}

/// `ZPOPMIN key [count]`
pub fn zpopmin(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    pop(ctx, args, false)
}

/// `ZPOPMAX key [count]`
pub fn zpopmax(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    pop(ctx, args, true)
}

fn pop(ctx: &mut Ctx, args: &[Bytes], highest: bool) -> Result<Reply, CmdError> {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = args.get(2).map(|arg| pop_count(arg)).transpose()?;
    let resp3 = resp3(ctx);
    let key = &args[1];
    let Some(zset) = ctx.write_as(key, Value::as_zset_mut)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let popped = take_ends(zset, highest, count.unwrap_or(1));
    let reply = pop_reply(&popped, count.is_some(), resp3);
    record_removal(ctx, key, &popped, pop_event(highest));
    Ok(reply)
}

/// Removes up to `count` members from one end: the lowest scores first, or the highest
/// first when `highest`, in the order they are popped.
pub(super) fn take_ends(zset: &mut ZSet, highest: bool, count: usize) -> Vec<(SmallBytes, f64)> {
    let len = zset.len();
    let take = count.min(len);
    if highest {
        let mut top = zset.drain(len - take, len);
        top.reverse();
        top
    } else {
        zset.drain(0, take)
    }
}

/// A pop count: Redis refuses negative and non-integer counts with one message.
fn pop_count(arg: &[u8]) -> Result<usize, CmdError> {
    args::parse_int(arg)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| CmdError::err("value is out of range, must be positive"))
}

/// With a count, the members with scores (pairs in RESP3); without, a flat
/// `[member, score]` in both protocols, as Redis 7.0 answers.
fn pop_reply(popped: &[(SmallBytes, f64)], counted: bool, resp3: bool) -> Reply {
    let items = popped.iter().map(|(m, s)| (m.as_slice(), *s));
    scored_reply(items, true, resp3 && counted)
}

/// `ZREMRANGEBYRANK key start stop`
pub fn zremrangebyrank(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let range = RankRange::parse(&args[2], &args[3])?;
    remove_span(ctx, &args[1], &range, "zremrangebyrank")
}

/// `ZREMRANGEBYSCORE key min max`
pub fn zremrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let range = ScoreRange::parse(&args[2], &args[3])?;
    remove_span(ctx, &args[1], &range, "zremrangebyscore")
}

/// `ZREMRANGEBYLEX key min max`
pub fn zremrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let range = LexRange::parse(&args[2], &args[3])?;
    remove_span(ctx, &args[1], &range, "zremrangebylex")
}

/// The event of a pop from one end.
pub(super) fn pop_event(highest: bool) -> &'static str {
    if highest {
        "zpopmax"
    } else {
        "zpopmin"
    }
}

/// Removes the members of a range parsed (and so validated) before the key is looked at.
fn remove_span(
    ctx: &mut Ctx,
    key: &[u8],
    range: &impl Span,
    event: &str,
) -> Result<Reply, CmdError> {
    let Some(zset) = ctx.write_as(key, Value::as_zset_mut)? else {
        return Ok(Reply::Int(0));
    };
    let ranks = range.ranks(zset, false);
    let removed = zset.drain(ranks.start, ranks.end);
    record_removal(ctx, key, &removed, event);
    Ok(Reply::Int(removed.len() as i64))
}

/// Deletes the key if emptied, signals and records a removal, if anything was removed.
pub(super) fn record_removal(
    ctx: &mut Ctx,
    key: &[u8],
    removed: &[(SmallBytes, f64)],
    event: &str,
) {
    if removed.is_empty() {
        return;
    }
    ctx.notify(Class::ZSET, event, key);
    ctx.drop_if_empty(key);
    ctx.changed(key);
    record_zrem(ctx, key, removed.iter().map(|(m, _)| m.as_slice()));
}
