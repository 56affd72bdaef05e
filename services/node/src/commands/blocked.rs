//! Blocking a client on keys and serving it later, for every blocking command
//! (<https://redis.io/commands/blpop/>, <https://redis.io/commands/bzpopmin/>).
//!
//! A blocking command that finds nothing registers a waiter in `engine.blocking` with
//! [`block`] and returns [`Response::Block`]; a later write signals the key, and
//! [`serve_blocked`] (run by `commands::run` after that write, under the same lock) hands
//! what the key holds to its longest-waiting client that wants that type. The family
//! modules do the serving itself: `lists::serve`, `zsets::serve` and `streams::serve`.

use bytes::Bytes;
use hashbrown::HashSet;

use super::ctx::{Ctx, Response};
use super::{lists, streams, zsets};
use crate::engine::blocking::{BlockOp, Wants};
use crate::engine::clients::ClientId;
use crate::engine::keyspace::Millis;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::Value;
use crate::engine::Engine;

/// Registers the calling client as waiting on `keys` (each once) and marks it blocked.
/// `timeout` is in milliseconds, 0 for no limit.
pub(super) fn block(ctx: &mut Ctx, keys: &[Bytes], op: BlockOp, timeout: u64) -> Response {
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

pub(super) fn set_blocked(engine: &mut Engine, client: ClientId, blocked: bool) {
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

/// Serves the waiters on one key while it holds something, skipping (and leaving blocked)
/// those that want another type than the key now holds, as Redis does.
fn serve_key(engine: &mut Engine, now: Millis, db: usize, key: &[u8]) {
    engine.expire_if_due(db, key, now);
    for id in engine.blocking.waiters_on(db, key) {
        // A stream reader is served by new entries, not by the key holding something, and
        // a group reader fails when its key or group goes.
        if engine.blocking.wants(id) == Some(Wants::Stream) {
            streams::serve(engine, now, db, key, id);
            continue;
        }
        let Some(held) = holds(engine, db, key) else {
            continue;
        };
        if engine.blocking.wants(id) != Some(held) {
            continue;
        }
        let Some(waiter) = engine.blocking.unblock(id) else {
            continue;
        };
        set_blocked(engine, waiter.client, false);
        if waiter.reply.is_closed() {
            continue;
        }
        match held {
            Wants::List => lists::serve(engine, now, db, key, waiter),
            Wants::ZSet => zsets::serve(engine, db, key, waiter),
            Wants::Stream => {}
        }
    }
}

/// What a waiter could take from `key`: a non-empty list or sorted set.
fn holds(engine: &Engine, db: usize, key: &[u8]) -> Option<Wants> {
    match &engine.dbs[db].keys.get(key)?.value {
        Value::List(list) if !list.is_empty() => Some(Wants::List),
        Value::ZSet(zset) if !zset.is_empty() => Some(Wants::ZSet),
        _ => None,
    }
}

/// Deletes `key` if serving a waiter left its container empty.
pub(super) fn drop_if_empty(engine: &mut Engine, db: usize, key: &[u8]) {
    let keys = &mut engine.dbs[db].keys;
    if keys.get(key).is_some_and(|e| e.value.is_empty_container()) {
        keys.remove(key);
        engine.notify(crate::engine::notify::Class::GENERIC, "del", db, key);
    }
}
