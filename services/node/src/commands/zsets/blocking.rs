//! BZPOPMIN, BZPOPMAX, ZMPOP and BZMPOP, and the serving of the sorted-set waiters
//! (<https://redis.io/commands/bzpopmin/>, <https://redis.io/commands/zmpop/>).
//!
//! BZPOPMIN answers `[key, member, score]`; ZMPOP and BZMPOP answer
//! `[key, [[member, score]...]]` in both protocols; all answer a null array when nothing
//! was popped. Every pop is recorded as `ZREM key member...` of what it took.

use bytes::Bytes;

use super::remove::{pop_event, record_removal, take_ends};
use super::RECORD_BATCH;
use crate::commands::args;
use crate::commands::blocked::{block, drop_if_empty};
use crate::commands::ctx::{Ctx, Response};
use crate::commands::mpop_args::{self, Mpop};
use crate::engine::blocking::{BlockOp, Waiter};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::Value;
use crate::engine::zset::ZSet;
use crate::engine::Engine;

/// `BZPOPMIN key [key ...] timeout`
pub fn bzpopmin(ctx: &mut Ctx, args: &[Bytes]) -> Result<Response, CmdError> {
    blocking_pop(ctx, args, false)
}

/// `BZPOPMAX key [key ...] timeout`
pub fn bzpopmax(ctx: &mut Ctx, args: &[Bytes]) -> Result<Response, CmdError> {
    blocking_pop(ctx, args, true)
}

/// Pops from the first non-empty key in argument order; a key of another type met first
/// is WRONGTYPE. Inside EXEC it answers a null array at once.
fn blocking_pop(ctx: &mut Ctx, args: &[Bytes], highest: bool) -> Result<Response, CmdError> {
    let (timeout, keys) = args[1..].split_last().ok_or(CmdError::Syntax)?;
    let timeout = args::timeout_ms(timeout)?;
    if let Some((key, popped)) = pop_first(ctx, keys, highest, 1)? {
        return Ok(single_reply(key, &popped).into());
    }
    if ctx.in_exec {
        return Ok(Reply::NilArray.into());
    }
    let op = BlockOp::ZPop {
        highest,
        count: None,
    };
    Ok(block(ctx, keys, op, timeout))
}

/// `ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]`
pub fn zmpop(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let request = mpop_args::parse(args, 1, mpop_args::zset_end)?;
    let popped = pop_request(ctx, &request)?;
    Ok(popped.map_or(Reply::NilArray, |(key, items)| nested_reply(key, &items)))
}

/// `BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]`: the timeout is read after
/// the other arguments, as Redis does.
pub fn bzmpop(ctx: &mut Ctx, args: &[Bytes]) -> Result<Response, CmdError> {
    let request = mpop_args::parse(args, 2, mpop_args::zset_end)?;
    let timeout = args::timeout_ms(&args[1])?;
    if let Some((key, items)) = pop_request(ctx, &request)? {
        return Ok(nested_reply(key, &items).into());
    }
    if ctx.in_exec {
        return Ok(Reply::NilArray.into());
    }
    let op = BlockOp::ZPop {
        highest: request.end,
        count: Some(request.count),
    };
    Ok(block(ctx, request.keys, op, timeout))
}

type Popped<'a> = (&'a [u8], Vec<(SmallBytes, f64)>);

fn pop_request<'a>(ctx: &mut Ctx, request: &Mpop<'a>) -> Result<Option<Popped<'a>>, CmdError> {
    pop_first(ctx, request.keys, request.end, request.count)
}

/// Pops up to `count` members from the first key that holds a sorted set.
fn pop_first<'a>(
    ctx: &mut Ctx,
    keys: &'a [Bytes],
    highest: bool,
    count: usize,
) -> Result<Option<Popped<'a>>, CmdError> {
    for key in keys {
        let Some(zset) = ctx.write_as(key, Value::as_zset_mut)? else {
            continue;
        };
        let popped = take_ends(zset, highest, count);
        record_removal(ctx, key, &popped, pop_event(highest));
        return Ok(Some((key, popped)));
    }
    Ok(None)
}

/// `[key, member, score]`, what BZPOPMIN and BZPOPMAX answer.
fn single_reply(key: &[u8], popped: &[(SmallBytes, f64)]) -> Reply {
    let mut items = vec![Reply::bulk(key)];
    for (member, score) in popped {
        items.extend([Reply::bulk(member), Reply::Double(*score)]);
    }
    Reply::Array(items)
}

/// `[key, [[member, score]...]]`, what ZMPOP and BZMPOP answer.
fn nested_reply(key: &[u8], popped: &[(SmallBytes, f64)]) -> Reply {
    let pairs = popped
        .iter()
        .map(|(m, s)| Reply::Array(vec![Reply::bulk(m), Reply::Double(*s)]))
        .collect();
    Reply::Array(vec![Reply::bulk(key), Reply::Array(pairs)])
}

/// Serves one sorted-set waiter from the (non-empty) set at `key`. The members are taken
/// before the reply is sent and put back if the client went away meanwhile.
pub(in crate::commands) fn serve(engine: &mut Engine, db: usize, key: &[u8], waiter: Waiter) {
    let BlockOp::ZPop { highest, count } = waiter.op else {
        return;
    };
    let Some(zset) = zset_mut(engine, db, key) else {
        return;
    };
    let popped = take_ends(zset, highest, count.unwrap_or(1));
    let reply = match count {
        None => single_reply(key, &popped),
        Some(_) => nested_reply(key, &popped),
    };
    if waiter.reply.send(reply).is_err() {
        if let Some(zset) = zset_mut(engine, db, key) {
            popped.iter().for_each(|(m, s)| {
                zset.insert(m, *s);
            });
        }
        return;
    }
    engine.touch(db, key);
    let event = pop_event(highest);
    engine.notify(crate::engine::notify::Class::ZSET, event, db, key);
    drop_if_empty(engine, db, key);
    if engine.records.is_none() {
        return;
    }
    for batch in popped.chunks(RECORD_BATCH) {
        let members = batch.iter().map(|(m, _)| Bytes::copy_from_slice(m));
        let record = [Bytes::from_static(b"ZREM"), Bytes::copy_from_slice(key)]
            .into_iter()
            .chain(members)
            .collect();
        engine.propagate(db, record);
    }
}

fn zset_mut<'a>(engine: &'a mut Engine, db: usize, key: &[u8]) -> Option<&'a mut ZSet> {
    engine.dbs[db].keys.get_mut(key)?.value.as_zset_mut()
}
