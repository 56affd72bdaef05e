//! Generic key commands: https://redis.io/commands/?group=generic (MOVE in
//! [`move_db`]; SORT has a module of its own, `commands::sort`).

mod encoding;
mod move_db;

use bytes::Bytes;

use super::args::{self, is};
use super::ctx::{Class, Ctx};
use super::scan_args;
use crate::engine::error::{unknown_subcommand, CmdError};
use crate::engine::glob;
use crate::engine::keyspace::PERSISTENT;
use crate::engine::reply::Reply;
use crate::engine::{evict, DATABASES};

pub use self::move_db::move_;

pub fn del(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let mut deleted = Vec::new();
    for key in &args[1..] {
        if ctx.delete(key) {
            ctx.changed(key);
            ctx.notify(Class::GENERIC, "del", key);
            deleted.push(key.clone());
        }
    }
    let count = deleted.len() as i64;
    if !deleted.is_empty() && ctx.recording() {
        deleted.insert(0, Bytes::from_static(b"DEL"));
        ctx.propagate(deleted);
    }
    Ok(Reply::Int(count))
}

pub fn exists(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let count = args[1..]
        .iter()
        .filter(|key| ctx.find_for_read(key).is_some())
        .count();
    Ok(Reply::Int(count as i64))
}

pub fn type_(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let name = match ctx.find_for_read(&args[1]) {
        Some(slot) => ctx.keys().entry(slot).value.type_name(),
        None => "none",
    };
    Ok(Reply::Simple(name))
}

pub fn rename(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    move_key(ctx, &args[1], &args[2], true)?;
    ctx.propagate_verbatim(args);
    Ok(Reply::Ok)
}

pub fn renamenx(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let moved = move_key(ctx, &args[1], &args[2], false)?;
    if moved {
        ctx.propagate_verbatim(args);
    }
    Ok(Reply::Int(i64::from(moved)))
}

/// Renames `from` to `to`, keeping its expiry; false if `to` exists and may not be replaced.
fn move_key(ctx: &mut Ctx, from: &[u8], to: &[u8], replace: bool) -> Result<bool, CmdError> {
    if ctx.find(from).is_none() {
        return Err(CmdError::NoSuchKey);
    }
    if from == to {
        return Ok(replace);
    }
    if ctx.find(to).is_some() && !replace {
        return Ok(false);
    }
    let Some(entry) = ctx.keys().remove(from) else {
        return Err(CmdError::NoSuchKey);
    };
    let slot = ctx.keys().insert(to, entry.value, entry.access);
    ctx.notify(Class::NEW, "new", to);
    ctx.keys().set_expiry(slot, entry.expires_at);
    ctx.changed(from);
    ctx.changed(to);
    ctx.notify(Class::GENERIC, "rename_from", from);
    ctx.notify(Class::GENERIC, "rename_to", to);
    Ok(true)
}

pub fn keys(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let (pattern, now) = (&args[1], ctx.now);
    let all = pattern.as_ref() == b"*";
    let names = ctx
        .keys()
        .iter()
        .filter(|e| e.expires_at == PERSISTENT || e.expires_at > now)
        .filter(|e| all || glob::matches(pattern, &e.key))
        .map(|e| Reply::bulk(&e.key))
        .collect();
    Ok(Reply::Array(names))
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
pub fn scan(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let cursor = scan_args::cursor(&args[1])?;
    let request = scan_args::ScanOptions::parse(&args[2..], true)?;
    let now = ctx.now;
    let (next, slots) = ctx.keys().scan(cursor, request.count);
    let keys = ctx.keys();
    let found = slots
        .into_iter()
        .map(|slot| keys.entry(slot))
        .filter(|e| e.expires_at == PERSISTENT || e.expires_at > now)
        .filter(|e| request.pattern.is_none_or(|p| glob::matches(p, &e.key)))
        .filter(|e| {
            request
                .type_name
                .is_none_or(|t| t.eq_ignore_ascii_case(e.value.type_name().as_bytes()))
        })
        .map(|e| Reply::bulk(&e.key))
        .collect();
    Ok(Reply::Array(vec![
        Reply::Bulk(Bytes::from(next.to_string())),
        Reply::Array(found),
    ]))
}

pub fn randomkey(ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    // Expired keys met on the way are deleted, as Redis does; bounded so an all-expired
    // database still answers.
    for _ in 0..100 {
        let db = ctx.db();
        let Some(slot) = ctx.engine.dbs[db].keys.random_slot(&mut ctx.engine.rng) else {
            return Ok(Reply::Nil);
        };
        let key = Bytes::copy_from_slice(&ctx.keys().entry(slot).key);
        if ctx.find(&key).is_some() {
            return Ok(Reply::Bulk(key));
        }
    }
    Ok(Reply::Nil)
}

pub fn dbsize(ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Ok(Reply::Int(ctx.keys().len() as i64))
}

fn check_flush_mode(args: &[Bytes]) -> Result<(), CmdError> {
    match &args[1..] {
        [] => Ok(()),
        [mode] if is(mode, "ASYNC") || is(mode, "SYNC") => Ok(()),
        _ => Err(CmdError::Syntax),
    }
}

pub fn flushdb(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    check_flush_mode(args)?;
    flush(ctx, ctx.db());
    invalidate_all(ctx);
    ctx.propagate_parts(&[b"FLUSHDB"]);
    Ok(Reply::Ok)
}

pub fn flushall(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    check_flush_mode(args)?;
    (0..DATABASES).for_each(|db| flush(ctx, db));
    invalidate_all(ctx);
    ctx.propagate_parts(&[b"FLUSHALL"]);
    Ok(Reply::Ok)
}

/// Client-side caches hold keys of every database: a flush invalidates them all.
fn invalidate_all(ctx: &mut Ctx) {
    let engine = &mut *ctx.engine;
    engine.tracking.invalidate_all(&engine.clients);
}

fn flush(ctx: &mut Ctx, db: usize) {
    ctx.engine.touch_all_watched(db);
    ctx.engine.stats.dirty += ctx.engine.dbs[db].keys.len() as u64;
    ctx.engine.dbs[db].keys.clear();
}

/// COPY source destination [DB destination-db] [REPLACE]
pub fn copy(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let (source, destination) = (&args[1], &args[2]);
    let (mut target_db, mut replace) = (ctx.db(), false);
    let mut i = 3;
    while i < args.len() {
        if is(&args[i], "REPLACE") {
            replace = true;
        } else if is(&args[i], "DB") && i + 1 < args.len() {
            target_db = db_index(&args[i + 1])?;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if target_db == ctx.db() && source == destination {
        return Err(CmdError::err("source and destination objects are the same"));
    }
    let Some(slot) = ctx.find_for_read(source) else {
        return Ok(Reply::Int(0));
    };
    let entry = ctx.keys().entry(slot);
    let (value, expires_at) = (entry.value.clone(), entry.expires_at);
    let now = ctx.now;
    ctx.engine.expire_if_due(target_db, destination, now);
    let target = &mut ctx.engine.dbs[target_db].keys;
    if target.find(destination).is_some() && !replace {
        return Ok(Reply::Int(0));
    }
    let access = evict::access_stamp(ctx.engine.settings.maxmemory_policy, now);
    let target = &mut ctx.engine.dbs[target_db].keys;
    let slot = target.insert(destination, value, access);
    target.set_expiry(slot, expires_at);
    ctx.engine.notify(Class::NEW, "new", target_db, destination);
    ctx.engine.touch(target_db, destination);
    ctx.engine
        .notify(Class::GENERIC, "copy_to", target_db, destination);
    ctx.propagate_verbatim(args);
    Ok(Reply::Int(1))
}

pub fn touch(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let count = args[1..]
        .iter()
        .filter(|key| ctx.read(key).is_some())
        .count();
    Ok(Reply::Int(count as i64))
}

pub fn db_index(arg: &[u8]) -> Result<usize, CmdError> {
    let index = args::parse_int(arg).ok_or(CmdError::NotInteger)?;
    usize::try_from(index)
        .ok()
        .filter(|&i| i < DATABASES)
        .ok_or(CmdError::DbIndexOutOfRange)
}

pub fn select(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let db = db_index(&args[1])?;
    ctx.session.db = db;
    if let Some(client) = ctx.engine.clients.get_mut(ctx.session.id) {
        client.db = db;
    }
    Ok(Reply::Ok)
}

pub fn swapdb(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    // A non-number names which argument is wrong; a number out of range gets the generic
    // range error, as in Redis.
    let index = |arg: &[u8], which: &str| match args::parse_int(arg) {
        Some(_) => db_index(arg),
        None => Err(CmdError::err(format!("invalid {which} DB index"))),
    };
    let first = index(&args[1], "first")?;
    let second = index(&args[2], "second")?;
    if first != second {
        // A snapshot walks databases by index; moving them under it would mislabel entries.
        crate::engine::replication::snapshot::abort(ctx.engine);
        let dbs = &mut ctx.engine.dbs;
        let first_keys = std::mem::take(&mut dbs[first].keys);
        dbs[first].keys = std::mem::replace(&mut dbs[second].keys, first_keys);
        ctx.engine.touch_all_watched(first);
        ctx.engine.touch_all_watched(second);
        // As in Redis, clients blocked in either database look again.
        ctx.engine.blocking.signal_all(first);
        ctx.engine.blocking.signal_all(second);
        ctx.engine.stats.dirty += 1;
    }
    ctx.propagate_verbatim(args);
    Ok(Reply::Ok)
}

/// OBJECT ENCODING | FREQ | IDLETIME | REFCOUNT key, and OBJECT HELP.
pub fn object(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let sub = &args[1];
    if is(sub, "HELP") {
        return Ok(Reply::Array(
            [
                "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "ENCODING <key>",
                "FREQ <key>",
                "IDLETIME <key>",
                "REFCOUNT <key>",
            ]
            .iter()
            .map(|line| Reply::Status(line.to_string()))
            .collect(),
        ));
    }
    let [_, _, key] = args else {
        return Err(unknown_subcommand(sub, "object"));
    };
    let Some(slot) = ctx.find(key) else {
        return Ok(Reply::Nil);
    };
    let now = ctx.now;
    let db = ctx.db();
    let entry = ctx.engine.dbs[db].keys.entry(slot);
    let reply = if is(sub, "ENCODING") {
        Reply::bulk(encoding::encoding(entry, &ctx.engine.settings).as_bytes())
    } else if is(sub, "REFCOUNT") {
        Reply::Int(1)
    } else if is(sub, "IDLETIME") {
        Reply::Int(i64::from(((now / 1000) as u32).wrapping_sub(entry.access)))
    } else if is(sub, "FREQ") {
        Reply::Int(i64::from(entry.access & 0xff))
    } else {
        return Err(unknown_subcommand(sub, "object"));
    };
    Ok(reply)
}
