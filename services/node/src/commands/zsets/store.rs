//! Commands that store a sorted set at a destination: ZRANGESTORE, ZUNIONSTORE,
//! ZINTERSTORE and ZDIFFSTORE (<https://redis.io/commands/zunionstore/>).
//!
//! The destination is replaced whatever it held (and loses its expiry), or deleted when the
//! result is empty. The effect is recorded as `DEL dst` then `ZADD dst score member...`.

use bytes::Bytes;

use super::combine::{self, Op, Takes};
use super::range::{Form, Query};
use super::record_zadd;
use crate::commands::ctx::{Class, Ctx};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::value::Value;
use crate::engine::zset::ZSet;

/// `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`
pub fn zrangestore(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let form = Form {
        kind: None,
        rev: None,
        store: true,
    };
    let query = Query::parse(args, 3, form)?;
    let mut result = ZSet::default();
    if let Some(source) = ctx.read_as(&args[2], Value::as_zset)? {
        for (member, score) in query.select(source) {
            result.insert(member, score);
        }
    }
    Ok(store(ctx, &args[1], result, "zrangestore"))
}

/// `ZUNIONSTORE dst numkeys key... [WEIGHTS w...] [AGGREGATE SUM|MIN|MAX]`
pub fn zunionstore(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    combine(ctx, args, "zunionstore", Op::Union)
}

/// `ZINTERSTORE dst numkeys key... [WEIGHTS w...] [AGGREGATE SUM|MIN|MAX]`
pub fn zinterstore(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    combine(ctx, args, "zinterstore", Op::Inter)
}

/// `ZDIFFSTORE dst numkeys key...`
pub fn zdiffstore(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    combine(ctx, args, "zdiffstore", Op::Diff)
}

fn combine(ctx: &mut Ctx, args: &[Bytes], name: &str, op: Op) -> Result<Reply, CmdError> {
    let takes = if op == Op::Diff {
        Takes::DiffStore
    } else {
        Takes::Store
    };
    let request = combine::parse(ctx, args, 2, name, takes)?;
    let result = combine::compute(ctx, &request, op);
    Ok(store(ctx, &args[1], result, name))
}

/// Replaces `dst` with `result` (deleting it when empty) and answers the result's size.
pub(in crate::commands) fn store(ctx: &mut Ctx, dst: &[u8], result: ZSet, event: &str) -> Reply {
    let len = result.len();
    if len == 0 {
        if ctx.delete(dst) {
            ctx.changed(dst);
            ctx.notify(Class::GENERIC, "del", dst);
            ctx.propagate_parts(&[b"DEL", dst]);
        }
        return Reply::Int(0);
    }
    let members: Vec<(Bytes, f64)> = if ctx.recording() {
        result
            .iter()
            .map(|(m, s)| (Bytes::copy_from_slice(m), s))
            .collect()
    } else {
        Vec::new()
    };
    ctx.set_persistent(dst, Value::ZSet(Box::new(result)));
    ctx.changed(dst);
    ctx.notify(Class::ZSET, event, dst);
    ctx.propagate_parts(&[b"DEL", dst]);
    record_zadd(ctx, dst, members.iter().map(|(m, s)| (&m[..], *s)));
    Reply::Int(len as i64)
}
