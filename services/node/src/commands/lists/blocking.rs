//! BLPOP, BRPOP and BLMOVE, and the serving of the clients they block
//! (<https://redis.io/commands/blpop/>).
//!
//! A blocking command that finds an element answers at once and records the non-blocking
//! form (`LPOP key`, `LMOVE ...`). Otherwise it registers a waiter in `engine.blocking` and
//! returns [`Response::Block`]; a later write signals the key, and [`serve_blocked`] (run by
//! `commands::run` after that write, under the same lock) hands the element to the
//! longest-waiting client.

use bytes::Bytes;
use hashbrown::HashSet;

use super::moves::move_element;
use super::{end_name, pop_end, pop_name, pop_some, push_end};
use crate::commands::args;
use crate::commands::ctx::{Ctx, Response};
use crate::engine::blocking::{BlockOp, Waiter};
use crate::engine::clients::ClientId;
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
    Ok(block(ctx, keys, BlockOp::Pop { left }, timeout))
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
pub fn blmove(ctx: &mut Ctx, args: &[Bytes]) -> Result<Response, CmdError> {
    let from_left = super::parse_end(&args[3])?;
    let to_left = super::parse_end(&args[4])?;
    let timeout = args::timeout_ms(&args[5])?;
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

/// Registers the calling client as waiting on `keys` (each once) and marks it blocked.
fn block(ctx: &mut Ctx, keys: &[Bytes], op: BlockOp, timeout: u64) -> Response {
    let mut seen: HashSet<&[u8]> = HashSet::with_capacity(keys.len());
    let keys: Vec<SmallBytes> = keys
        .iter()
        .filter(|&key| seen.insert(key))
        .map(|key| SmallBytes::new(key))
        .collect();
    let client = ctx.session.id;
    let (waiter, rx) = ctx.engine.blocking.block(client, ctx.db(), keys, op);
    set_blocked(ctx.engine, client, true);
    let deadline = (timeout > 0).then(|| ctx.now.saturating_add(timeout));
    Response::Block {
        waiter,
        rx,
        deadline,
    }
}

fn set_blocked(engine: &mut Engine, client: ClientId, blocked: bool) {
    if let Some(info) = engine.clients.get_mut(client) {
        info.blocked = blocked;
    }
}

/// Serves the clients blocked on keys that writes made ready, longest-waiting first per
/// key, until no key is ready (a served BLMOVE pushes to its destination, which may make
/// that key ready in turn).
///
/// Each served waiter is removed from the registry with `unblock` before its reply is sent
/// and its client's `blocked` flag is cleared. So a connection whose deadline passes and
/// whose `engine.blocking.unblock(waiter)` returns None has been served: its reply is
/// already in its channel. A waiter whose connection has gone (reply receiver dropped) is
/// dropped without taking anything.
pub fn serve_blocked(engine: &mut Engine, now: Millis) {
    loop {
        let ready = engine.blocking.take_ready();
        if ready.is_empty() {
            return;
        }
        for (db, key) in ready {
            serve_key(engine, now, db, &key);
        }
    }
}

fn serve_key(engine: &mut Engine, now: Millis, db: usize, key: &[u8]) {
    engine.expire_if_due(db, key, now);
    while list_mut(engine, db, key).is_some() {
        let Some(waiter) = engine
            .blocking
            .first_waiter(db, key)
            .and_then(|id| engine.blocking.unblock(id))
        else {
            return;
        };
        set_blocked(engine, waiter.client, false);
        if !waiter.reply.is_closed() {
            serve(engine, now, db, key, waiter);
        }
    }
}

/// Hands one element of the (non-empty) list at `key` to `waiter`. The element is taken
/// before the reply is sent and put back if the client went away meanwhile, so nothing is
/// lost and nothing is recorded for a reply nobody received.
fn serve(engine: &mut Engine, now: Millis, db: usize, key: &[u8], waiter: Waiter) {
    match waiter.op {
        BlockOp::Pop { left } => {
            let Some(item) = list_mut(engine, db, key).and_then(|l| pop_end(l, left)) else {
                return;
            };
            let reply = Reply::Array(vec![Reply::bulk(key), Reply::bulk(&item)]);
            if waiter.reply.send(reply).is_err() {
                return put_back(engine, db, key, left, item);
            }
            engine.touch(db, key);
            drop_if_empty(engine, db, key);
            let record = vec![
                Bytes::from_static(pop_name(left)),
                Bytes::copy_from_slice(key),
            ];
            engine.propagate(db, record);
        }
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
                return put_back(engine, db, key, from_left, item);
            }
            push_to(engine, now, db, dst, to_left, item);
            drop_if_empty(engine, db, key);
            engine.touch(db, key);
            engine.touch(db, dst);
            let parts: [&[u8]; 5] = [b"LMOVE", key, dst, end_name(from_left), end_name(to_left)];
            let record = parts.iter().map(|p| Bytes::copy_from_slice(p)).collect();
            engine.propagate(db, record);
        }
    }
}

/// The list stored at `key`, if the key holds a non-empty list.
fn list_mut<'a>(engine: &'a mut Engine, db: usize, key: &[u8]) -> Option<&'a mut List> {
    let entry = engine.dbs[db].keys.get_mut(key)?;
    entry.value.as_list_mut().filter(|list| !list.is_empty())
}

fn put_back(engine: &mut Engine, db: usize, key: &[u8], left: bool, item: SmallBytes) {
    let entry = engine.dbs[db].keys.get_mut(key);
    if let Some(list) = entry.and_then(|e| e.value.as_list_mut()) {
        push_end(list, left, item);
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
    if keys.find(dst).is_none() {
        keys.insert(dst, Value::new_list(), access);
    }
    if let Some(list) = keys.get_mut(dst).and_then(|e| e.value.as_list_mut()) {
        push_end(list, left, item);
    }
}

fn drop_if_empty(engine: &mut Engine, db: usize, key: &[u8]) {
    let keys = &mut engine.dbs[db].keys;
    if keys.get(key).is_some_and(|e| e.value.is_empty_container()) {
        keys.remove(key);
    }
}
