//! ZRANDMEMBER key [count [WITHSCORES]] (<https://redis.io/commands/zrandmember/>).
//!
//! A read: the random choice is never replicated.

use bytes::Bytes;

use super::{resp3, scored_reply};
use crate::commands::args;
use crate::commands::ctx::Ctx;
use crate::commands::sets::pick::{self, Count};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::value::Value;

/// One random member (nil when the key is missing), or members chosen as [`Count`] says:
/// a positive count gives distinct members (the whole set, highest score first, when it
/// asks for as many or more), a negative one that many independent picks. WITHSCORES pairs them with
/// their scores: flat in RESP2, as two-element arrays in RESP3.
pub fn zrandmember(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let key = &args[1];
    let Some(count) = args.get(2) else {
        return one_member(ctx, key);
    };
    let count = pick::signed_count(count)?;
    let withscores = match &args[3..] {
        [] => false,
        [option] if args::is(option, "WITHSCORES") => true,
        _ => return Err(CmdError::Syntax),
    };
    // Redis refuses counts whose doubled reply length would overflow.
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::err("value is out of range"));
    }
    many_members(ctx, key, Count::from_signed(count), withscores)
}

fn one_member(ctx: &mut Ctx, key: &[u8]) -> Result<Reply, CmdError> {
    if ctx.read_as(key, Value::as_zset)?.is_none() {
        return Ok(Reply::Nil);
    }
    let member = pick::value_and_rng(ctx, key).and_then(|(value, rng)| {
        let zset = value.as_zset()?;
        pick::one(rng, zset.iter(), zset.len())
    });
    Ok(member.map_or(Reply::Nil, |(m, _)| Reply::bulk(m)))
}

fn many_members(
    ctx: &mut Ctx,
    key: &[u8],
    count: Count,
    withscores: bool,
) -> Result<Reply, CmdError> {
    if ctx.read_as(key, Value::as_zset)?.is_none() {
        return Ok(Reply::Array(Vec::new()));
    }
    let resp3 = resp3(ctx);
    let Some((value, rng)) = pick::value_and_rng(ctx, key) else {
        return Ok(Reply::Array(Vec::new()));
    };
    let Some(zset) = value.as_zset() else {
        return Ok(Reply::Array(Vec::new()));
    };
    // Asked for as many members as there are or more, Redis 7.0 answers the whole set
    // from the highest score down.
    let picked: Vec<_> = match count {
        Count::Distinct(n) if n >= zset.len() => zset.iter().rev().collect(),
        _ => pick::many(rng, zset.iter(), zset.len(), count),
    };
    let items = picked.into_iter().map(|(m, s)| (m.as_slice(), s));
    Ok(scored_reply(items, withscores, resp3))
}
