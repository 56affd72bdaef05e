//! Hash commands (<https://redis.io/commands/?group=hash>): a hash maps fields to values,
//! both byte strings; a hash left empty is deleted.

mod incr;
mod random;
#[cfg(test)]
mod tests;

use bytes::Bytes;

pub use self::incr::{hincrby, hincrbyfloat};
pub use self::random::hrandfield;
use super::args;
use super::ctx::{Class, Ctx};
use super::scan_args::{self, ScanOptions};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::{Hash, Value};

/// HSET key field value [field value ...]: the number of new fields. HMSET, dispatched
/// here too, answers OK instead.
pub fn hset(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let is_hmset = args::is(&args[0], "HMSET");
    if args.len() % 2 == 1 {
        let name = if is_hmset { "hmset" } else { "hset" };
        return Err(CmdError::WrongArity(name.to_string()));
    }
    let key = &args[1];
    let hash = ctx.write_or_create(key, Value::new_hash, Value::as_hash_mut)?;
    let created = args[2..]
        .chunks_exact(2)
        .filter(|pair| {
            hash.insert(SmallBytes::new(&pair[0]), SmallBytes::new(&pair[1]))
                .is_none()
        })
        .count();
    // Redis counts HSET as a write even when no value changed.
    ctx.changed(key);
    ctx.notify(Class::HASH, "hset", key);
    ctx.propagate_verbatim(args);
    Ok(if is_hmset {
        Reply::Ok
    } else {
        Reply::Int(created as i64)
    })
}

/// HSETNX key field value: 1 if the field was set, 0 if it already existed.
pub fn hsetnx(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let (key, field, value) = (&args[1], &args[2][..], &args[3][..]);
    let hash = ctx.write_or_create(key, Value::new_hash, Value::as_hash_mut)?;
    if hash.contains_key(field) {
        return Ok(Reply::Int(0));
    }
    hash.insert(SmallBytes::new(field), SmallBytes::new(value));
    ctx.changed(key);
    ctx.notify(Class::HASH, "hset", key);
    ctx.propagate_verbatim(args);
    Ok(Reply::Int(1))
}

pub fn hget(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let value = ctx
        .read_as(&args[1], Value::as_hash)?
        .and_then(|h| h.get(&args[2][..]));
    Ok(value.map_or(Reply::Nil, |v| Reply::bulk(v)))
}

/// HMGET key field...: each field's value or nil.
pub fn hmget(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let hash = ctx.read_as(&args[1], Value::as_hash)?;
    let values = args[2..]
        .iter()
        .map(|field| match hash.and_then(|h| h.get(&field[..])) {
            Some(value) => Reply::bulk(value),
            None => Reply::Nil,
        })
        .collect();
    Ok(Reply::Array(values))
}

/// HDEL key field...: the number of fields removed.
pub fn hdel(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let key = &args[1];
    let Some(hash) = ctx.write_as(key, Value::as_hash_mut)? else {
        return Ok(Reply::Int(0));
    };
    let removed = args[2..]
        .iter()
        .filter(|field| hash.remove(&field[..]).is_some())
        .count();
    if removed > 0 {
        ctx.after_removal(key, args, Class::HASH, "hdel");
    }
    Ok(Reply::Int(removed as i64))
}

/// HGETALL key: a map in RESP3, field-value pairs in RESP2.
pub fn hgetall(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let pairs = read_hash(ctx, &args[1], |hash| {
        hash.iter()
            .map(|(f, v)| (Reply::bulk(f), Reply::bulk(v)))
            .collect()
    })?;
    Ok(Reply::Map(pairs))
}

pub fn hkeys(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let fields = read_hash(ctx, &args[1], |hash| {
        hash.keys().map(|f| Reply::bulk(f)).collect()
    })?;
    Ok(Reply::Array(fields))
}

pub fn hvals(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let values = read_hash(ctx, &args[1], |hash| {
        hash.values().map(|v| Reply::bulk(v)).collect()
    })?;
    Ok(Reply::Array(values))
}

pub fn hlen(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let len = ctx
        .read_as(&args[1], Value::as_hash)?
        .map_or(0, |h| h.len());
    Ok(Reply::Int(len as i64))
}

pub fn hexists(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let hash = ctx.read_as(&args[1], Value::as_hash)?;
    Ok(Reply::Int(i64::from(
        hash.is_some_and(|h| h.contains_key(&args[2][..])),
    )))
}

/// HSTRLEN key field: the value's length, 0 when missing.
pub fn hstrlen(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let value = ctx
        .read_as(&args[1], Value::as_hash)?
        .and_then(|h| h.get(&args[2][..]));
    Ok(Reply::Int(value.map_or(0, |v| v.len() as i64)))
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]: fields and values, flat, with MATCH
/// applied to fields; see [`scan_args`] for the guarantee.
pub fn hscan(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let cursor = scan_args::cursor(&args[2])?;
    let Some(hash) = ctx.read_as(&args[1], Value::as_hash)? else {
        return Ok(scan_args::reply(0, Vec::new()));
    };
    let options = ScanOptions::parse(&args[3..], false)?;
    let pairs = hash
        .iter()
        .map(|(field, value)| (&field[..], (field, value)));
    let (next, page) = scan_args::page(pairs, hash.len(), cursor, options.count);
    let items = page
        .into_iter()
        .filter(|(field, _)| options.matches(field))
        .flat_map(|(field, value)| [Reply::bulk(field), Reply::bulk(value)])
        .collect();
    Ok(scan_args::reply(next, items))
}

/// Builds a reply from the hash at `key`; a missing key reads as an empty hash.
fn read_hash<T: Default>(
    ctx: &mut Ctx,
    key: &[u8],
    build: impl FnOnce(&Hash) -> T,
) -> Result<T, CmdError> {
    Ok(ctx
        .read_as(key, Value::as_hash)?
        .map(build)
        .unwrap_or_default())
}
