//! Sorted-set commands (<https://redis.io/commands/?group=sorted-set>), as Redis 7.0 answers
//! them.
//!
//! Layout: [`add`] (ZADD, ZINCRBY), [`bounds`] (parsing score, lex and rank ranges),
//! [`range`] (the ZRANGE family, ZCOUNT, ZLEXCOUNT), [`remove`] (ZREM, pops, ZREMRANGEBY*),
//! [`blocking`] (BZPOPMIN, BZPOPMAX, ZMPOP, BZMPOP), [`combine`] (what the set algebra
//! shares), [`algebra`] (ZUNION, ZINTER, ZDIFF, ZINTERCARD), [`store`] (ZRANGESTORE and
//! the STORE forms of the algebra), [`random`] (ZRANDMEMBER); point reads and ZSCAN are
//! here.
//!
//! Writes record their effect with absolute scores: `ZADD key score member` for what was
//! added or changed (INCR, GT and LT included), `ZREM key member...` for what was removed,
//! and `DEL dst` plus `ZADD dst ...` for what a store command wrote. Scores are written as
//! `%.17g` text, which reads back as the same double.

mod add;
mod algebra;
mod blocking;
mod bounds;
mod combine;
mod random;
mod range;
mod remove;
mod store;

use bytes::Bytes;
use rg_resp::encode::format_double;
use rg_resp::Protocol;

pub use self::add::{zadd, zincrby};
pub use self::algebra::{zdiff, zinter, zintercard, zunion};
pub(super) use self::blocking::serve;
pub use self::blocking::{bzmpop, bzpopmax, bzpopmin, zmpop};
pub use self::random::zrandmember;
pub use self::range::{
    zcount, zlexcount, zrange, zrangebylex, zrangebyscore, zrevrange, zrevrangebylex,
    zrevrangebyscore,
};
pub use self::remove::{zpopmax, zpopmin, zrem, zremrangebylex, zremrangebyrank, zremrangebyscore};
/// Replaces a destination with a computed sorted set (GEOSEARCHSTORE shares it).
pub(super) use self::store::store as store_zset;
pub use self::store::{zdiffstore, zinterstore, zrangestore, zunionstore};
use super::ctx::Ctx;
use super::scan_args::{self, ScanOptions};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::value::Value;

/// Members per replication record: one huge write makes several records of bounded size.
const RECORD_BATCH: usize = 1024;

pub fn zscore(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let score = ctx
        .read_as(&args[1], Value::as_zset)?
        .and_then(|z| z.score(&args[2]));
    Ok(score.map_or(Reply::Nil, Reply::Double))
}

pub fn zmscore(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let zset = ctx.read_as(&args[1], Value::as_zset)?;
    let scores = args[2..]
        .iter()
        .map(|m| {
            zset.and_then(|z| z.score(m))
                .map_or(Reply::Nil, Reply::Double)
        })
        .collect();
    Ok(Reply::Array(scores))
}

pub fn zcard(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let len = ctx
        .read_as(&args[1], Value::as_zset)?
        .map_or(0, |z| z.len());
    Ok(Reply::Int(len as i64))
}

pub fn zrank(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let rank = ctx
        .read_as(&args[1], Value::as_zset)?
        .and_then(|z| z.rank(&args[2]));
    Ok(rank.map_or(Reply::Nil, |r| Reply::Int(r as i64)))
}

pub fn zrevrank(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let zset = ctx.read_as(&args[1], Value::as_zset)?;
    let rank = zset.and_then(|z| Some(z.len() - 1 - z.rank(&args[2])?));
    Ok(rank.map_or(Reply::Nil, |r| Reply::Int(r as i64)))
}

/// `ZSCAN key cursor [MATCH pattern] [COUNT count]`: member, score (as bulk text) pairs.
///
/// Sets of up to `scan_args::SMALL` members answer everything at once with cursor 0, as
/// Redis does for its listpack encoding. Larger sets walk members in the order of a fixed
/// hash (see `ZSet::scan`): a full iteration returns each member present from start to end
/// exactly once, even if scores change meanwhile; members added or removed during the
/// iteration may or may not be returned.
pub fn zscan(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let cursor = scan_args::cursor(&args[2])?;
    let Some(zset) = ctx.read_as(&args[1], Value::as_zset)? else {
        return Ok(scan_args::reply(0, Vec::new()));
    };
    let options = ScanOptions::parse(&args[3..], false)?;
    let (next, page) = if zset.len() <= scan_args::SMALL {
        (0, zset.iter().collect())
    } else {
        zset.scan(cursor, options.count)
    };
    let mut items = Vec::new();
    for (member, score) in page.into_iter().filter(|(m, _)| options.matches(m)) {
        items.push(Reply::bulk(member));
        items.push(Reply::Bulk(score_text(score)));
    }
    Ok(scan_args::reply(next, items))
}

fn resp3(ctx: &Ctx) -> bool {
    ctx.session.protocol == Protocol::Resp3
}

/// Members, with their scores if asked: `[m1, s1, m2, s2...]` in RESP2, `[[m1, s1]...]` in
/// RESP3 (as Redis 7 answers ZRANGE ... WITHSCORES).
fn scored_reply<'a>(
    items: impl IntoIterator<Item = (&'a [u8], f64)>,
    withscores: bool,
    resp3: bool,
) -> Reply {
    let mut out = Vec::new();
    for (member, score) in items {
        match (withscores, resp3) {
            (false, _) => out.push(Reply::bulk(member)),
            (true, true) => out.push(Reply::Array(vec![
                Reply::bulk(member),
                Reply::Double(score),
            ])),
            (true, false) => out.extend([Reply::bulk(member), Reply::Double(score)]),
        }
    }
    Reply::Array(out)
}

/// A score as Redis writes it (`%.17g`, `inf`, `-inf`), which parses back exactly.
fn score_text(score: f64) -> Bytes {
    Bytes::from(format_double(score))
}

/// Records `ZADD key score member...` for members given their final scores.
fn record_zadd<'a>(ctx: &mut Ctx, key: &[u8], items: impl IntoIterator<Item = (&'a [u8], f64)>) {
    if ctx.recording() {
        let parts = items
            .into_iter()
            .flat_map(|(member, score)| [score_text(score), Bytes::copy_from_slice(member)]);
        record_batched(ctx, b"ZADD", key, parts, 2 * RECORD_BATCH);
    }
}

/// Records `ZREM key member...`.
fn record_zrem<'a>(ctx: &mut Ctx, key: &[u8], members: impl IntoIterator<Item = &'a [u8]>) {
    if ctx.recording() {
        let parts = members.into_iter().map(Bytes::copy_from_slice);
        record_batched(ctx, b"ZREM", key, parts, RECORD_BATCH);
    }
}

fn record_batched(
    ctx: &mut Ctx,
    command: &'static [u8],
    key: &[u8],
    parts: impl Iterator<Item = Bytes>,
    per_record: usize,
) {
    let head = || vec![Bytes::from_static(command), Bytes::copy_from_slice(key)];
    let mut record = head();
    for part in parts {
        record.push(part);
        if record.len() == 2 + per_record {
            ctx.propagate(std::mem::replace(&mut record, head()));
        }
    }
    if record.len() > 2 {
        ctx.propagate(record);
    }
}

#[cfg(test)]
mod tests;
