//! ZUNION, ZINTER, ZDIFF and ZINTERCARD: the set algebra of sorted sets, answered rather
//! than stored (<https://redis.io/commands/zunion/>, <https://redis.io/commands/zintercard/>).
//! Reads: nothing is recorded.

use bytes::Bytes;

use super::combine::{self, Op, Takes};
use super::{resp3, scored_reply};
use crate::commands::ctx::Ctx;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;

/// `ZUNION numkeys key... [WEIGHTS w...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
pub fn zunion(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    answer(ctx, args, "zunion", Op::Union)
}

/// `ZINTER numkeys key... [WEIGHTS w...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
pub fn zinter(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    answer(ctx, args, "zinter", Op::Inter)
}

/// `ZDIFF numkeys key... [WITHSCORES]`
pub fn zdiff(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    answer(ctx, args, "zdiff", Op::Diff)
}

/// `ZINTERCARD numkeys key... [LIMIT limit]`
pub fn zintercard(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let request = combine::parse(ctx, args, 1, "zintercard", Takes::Card)?;
    let count = combine::inter_card(ctx, &request);
    Ok(Reply::Int(i64::try_from(count).unwrap_or(i64::MAX)))
}

/// The result in ascending (score, member) order, as ZRANGE answers it.
fn answer(ctx: &mut Ctx, args: &[Bytes], name: &str, op: Op) -> Result<Reply, CmdError> {
    let takes = if op == Op::Diff {
        Takes::DiffRead
    } else {
        Takes::Read
    };
    let request = combine::parse(ctx, args, 1, name, takes)?;
    let result = combine::compute(ctx, &request, op);
    let items = result.iter().map(|(m, s)| (m.as_slice(), s));
    Ok(scored_reply(items, request.withscores, resp3(ctx)))
}
