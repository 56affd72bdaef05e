//! BLPOP, BRPOP, BLMOVE and BRPOPLPUSH, and the serving of the list waiters
//! (<https://redis.io/commands/blpop/>).
//!
//! A blocking command that finds an element answers at once and records the non-blocking
//! form (`LPOP key`, `LMOVE ...`). Otherwise it blocks (see `commands::blocked`); [`serve`]
//! hands an element to a waiter once a write made its key ready, and records what it did.

use bytes::Bytes;

use super::moves::{self, move_element};
use super::{end_name, len_int, pop_end, pop_name, pop_some, push_end};
use crate::commands::args;
use crate::commands::blocked::{block, drop_if_empty};
use crate::commands::ctx::{Class, Ctx, Response};
use crate::engine::blocking::{BlockOp, Waiter};
use crate::engine::error::CmdError;
use crate::engine::keyspace::Millis;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::{List, Value};
use crate::engine::Engine;

/// BLPOP key [key ...] timeout
pub fn blpop(ctx: &mut Ctx, args: &[Bytes]) -> Result<Response, CmdError> {
    blocking_pop(ctx, args, true)
}

/// BRPOP key [key ...] timeout
pub fn brpop(ctx: &mut Ctx, args: &[Bytes]) -> Result<Response, CmdError> {
    blocking_pop(ctx, args, false)
}

/// Pops from the first non-empty key, in argument order; a key of another type met before
/// a non-empty one is WRONGTYPE. Inside EXEC it never blocks: it answers a null array.
fn blocking_pop(ctx: &mut Ctx, args: &[Bytes], left: bool) -> Result<Response, CmdError> {
    let (timeout, keys) = args[1..].split_last().ok_or(CmdError::Syntax)?;
    let timeout = args::timeout_ms(timeout)?;
    for key in keys {
        if let Some(items) = pop_some(ctx, key, left, None)? {
            if let Some(item) = items.first() {
                return Ok(Reply::Array(vec![Reply::bulk(key), Reply::bulk(item)]).into());
            }
        }
    }
    if ctx.in_exec {
        return Ok(Reply::NilArray.into());
    }
    let op = BlockOp::Pop { left, count: None };
    Ok(block(ctx, keys, op, timeout))
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
pub fn blmove(ctx: &mut Ctx, args: &[Bytes]) -> Result<Response, CmdError> {
    let from_left = super::parse_end(&args[3])?;
    let to_left = super::parse_end(&args[4])?;
    let timeout = args::timeout_ms(&args[5])?;
    blocking_move(ctx, args, from_left, to_left, timeout)
}

/// BRPOPLPUSH source destination timeout: BLMOVE source destination RIGHT LEFT timeout.
pub fn brpoplpush(ctx: &mut Ctx, args: &[Bytes]) -> Result<Response, CmdError> {
    let timeout = args::timeout_ms(&args[3])?;
    blocking_move(ctx, args, false, true, timeout)
}

fn blocking_move(
    ctx: &mut Ctx,
    args: &[Bytes],
    from_left: bool,
    to_left: bool,
    timeout: u64,
) -> Result<Response, CmdError> {
    if let Some(item) = move_element(ctx, &args[1], &args[2], from_left, to_left)? {
        return Ok(Reply::bulk(&item).into());
    }
    if ctx.in_exec {
        return Ok(Reply::Nil.into());
    }
    let op = BlockOp::Move {
        destination: SmallBytes::new(&args[2]),
        from_left,
        to_left,
    };
    Ok(block(ctx, &args[1..2], op, timeout))
}

/// Serves one list waiter from the (non-empty) list at `key`. The elements are taken
/// before the reply is sent and put back if the client went away meanwhile, so nothing is
/// lost and nothing is recorded for a reply nobody received.
pub(in crate::commands) fn serve(
    engine: &mut Engine,
    now: Millis,
    db: usize,
    key: &[u8],
    waiter: Waiter,
) {
    match waiter.op {
        BlockOp::Pop { left, count } => serve_pop(engine, db, key, left, count, waiter),
        BlockOp::Move {
            ref destination,
            from_left,
            to_left,
        } => {
            let dst = destination.as_slice();
            // As in Redis, a destination of another type fails the waiter with WRONGTYPE
            // and leaves the element for the next one.
            if !destination_is_list(engine, now, db, dst) {
                let _ = waiter.reply.send(Reply::Error(CmdError::WrongType));
                return;
            }
            let Some(item) = list_mut(engine, db, key).and_then(|l| pop_end(l, from_left)) else {
                return;
            };
            if waiter.reply.send(Reply::bulk(&item)).is_err() {
                return put_back(engine, db, key, from_left, vec![item]);
            }
            push_to(engine, now, db, dst, to_left, item);
            engine.notify(Class::LIST, moves::push_event(to_left), db, dst);
            engine.notify(Class::LIST, moves::pop_event(from_left), db, key);
            drop_if_empty(engine, db, key);
            engine.touch(db, key);
            engine.touch(db, dst);
            let parts: [&[u8]; 5] = [b"LMOVE", key, dst, end_name(from_left), end_name(to_left)];
            let record = parts.iter().map(|p| Bytes::copy_from_slice(p)).collect();
            engine.propagate(db, record);
        }
        BlockOp::ZPop { .. } | BlockOp::Stream(_) => {}
    }
}

/// BLPOP/BRPOP (no count: `[key, element]`, recorded as `LPOP key`) or BLMPOP (a count:
/// `[key, [elements]]`, recorded as `LPOP key n` with the number taken).
fn serve_pop(
    engine: &mut Engine,
    db: usize,
    key: &[u8],
    left: bool,
    count: Option<usize>,
    waiter: Waiter,
) {
    let Some(list) = list_mut(engine, db, key) else {
        return;
    };
    let items: Vec<SmallBytes> = (0..count.unwrap_or(1))
        .map_while(|_| pop_end(list, left))
        .collect();
    let reply = match (count, items.first()) {
        (None, Some(item)) => Reply::Array(vec![Reply::bulk(key), Reply::bulk(item)]),
        (Some(_), _) => Reply::Array(vec![
            Reply::bulk(key),
            Reply::bulks(items.iter().map(|i| i.as_slice())),
        ]),
        (None, None) => return,
    };
    if waiter.reply.send(reply).is_err() {
        return put_back(engine, db, key, left, items);
    }
    engine.touch(db, key);
    engine.notify(Class::LIST, moves::pop_event(left), db, key);
    drop_if_empty(engine, db, key);
    let mut record = vec![
        Bytes::from_static(pop_name(left)),
        Bytes::copy_from_slice(key),
    ];
    if count.is_some() {
        record.push(args::int_bytes(len_int(items.len())));
    }
    engine.propagate(db, record);
}

/// The list stored at `key`, if the key holds a non-empty list.
fn list_mut<'a>(engine: &'a mut Engine, db: usize, key: &[u8]) -> Option<&'a mut List> {
    let entry = engine.dbs[db].keys.get_mut(key)?;
    entry.value.as_list_mut().filter(|list| !list.is_empty())
}

/// Puts popped elements back at the end they came from, the last popped first.
fn put_back(engine: &mut Engine, db: usize, key: &[u8], left: bool, items: Vec<SmallBytes>) {
    let entry = engine.dbs[db].keys.get_mut(key);
    if let Some(list) = entry.and_then(|e| e.value.as_list_mut()) {
        for item in items.into_iter().rev() {
            push_end(list, left, item);
        }
    }
}

/// Whether `dst` is missing (after expiry) or holds a list.
fn destination_is_list(engine: &mut Engine, now: Millis, db: usize, dst: &[u8]) -> bool {
    engine.expire_if_due(db, dst, now);
    engine.dbs[db]
        .keys
        .get(dst)
        .is_none_or(|e| e.value.as_list().is_some())
}

/// Pushes onto the list at `dst`, creating it if missing (its type was checked).
fn push_to(engine: &mut Engine, now: Millis, db: usize, dst: &[u8], left: bool, item: SmallBytes) {
    let access = engine.access_stamp(now);
    let keys = &mut engine.dbs[db].keys;
    let created = keys.find(dst).is_none();
    if created {
        keys.insert(dst, Value::new_list(), access);
    }
    if let Some(list) = keys.get_mut(dst).and_then(|e| e.value.as_list_mut()) {
        push_end(list, left, item);
    }
    if created {
        engine.notify(Class::NEW, "new", db, dst);
    }
}
