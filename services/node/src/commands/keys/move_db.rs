//! MOVE key db (<https://redis.io/commands/move/>): a key, with its expiry, to another
//! database, unless a live key of that name is already there.

use bytes::Bytes;

use crate::commands::args;
use crate::commands::ctx::{Class, Ctx};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::DATABASES;

/// Answers 1 when moved, 0 when the key is missing or the target holds one of that name.
/// Recorded as sent: on a replica with the same data it does the same.
pub fn move_(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let key = &args[1];
    let target = target_db(&args[2])?;
    if target == ctx.db() {
        return Err(CmdError::err("source and destination objects are the same"));
    }
    if ctx.find(key).is_none() {
        return Ok(Reply::Int(0));
    }
    let now = ctx.now;
    ctx.engine.expire_if_due(target, key, now);
    if ctx.engine.dbs[target].keys.find(key).is_some() {
        return Ok(Reply::Int(0));
    }
    let Some(entry) = ctx.keys().remove(key) else {
        return Ok(Reply::Int(0));
    };
    let keys = &mut ctx.engine.dbs[target].keys;
    let slot = keys.insert(key, entry.value, entry.access);
    keys.set_expiry(slot, entry.expires_at);
    ctx.engine.notify(Class::NEW, "new", target, key);
    ctx.changed(key);
    ctx.engine.touch(target, key);
    ctx.notify(Class::GENERIC, "move_from", key);
    ctx.engine.notify(Class::GENERIC, "move_to", target, key);
    ctx.propagate_verbatim(args);
    Ok(Reply::Int(1))
}

/// Redis reads the index as a C int, with its errors for a non-number and for a number
/// outside an int's range, then checks it names a database.
fn target_db(arg: &[u8]) -> Result<usize, CmdError> {
    let index = args::int(arg)?;
    i32::try_from(index).map_err(|_| {
        CmdError::err("value is out of range, value must between -2147483648 and 2147483647")
    })?;
    usize::try_from(index)
        .ok()
        .filter(|&i| i < DATABASES)
        .ok_or(CmdError::DbIndexOutOfRange)
}
