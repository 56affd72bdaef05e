//! Set commands (<https://redis.io/commands/?group=set>): a set is a hash set of byte
//! strings; a set left empty is deleted.

mod algebra;
pub(super) mod pick;
mod random;
#[cfg(test)]
mod tests;

use bytes::Bytes;

pub use self::algebra::{sdiff, sdiffstore, sinter, sintercard, sinterstore, sunion, sunionstore};
pub use self::random::{spop, srandmember};
use super::ctx::{Class, Ctx};
use super::scan_args::{self, ScanOptions};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::Value;

/// SADD key member...: the number of members that were not there yet.
pub fn sadd(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let key = &args[1];
    let set = ctx.write_or_create(key, Value::new_set, Value::as_set_mut)?;
    let added = args[2..]
        .iter()
        .filter(|member| set.insert(SmallBytes::new(member)))
        .count();
    if added > 0 {
        ctx.changed(key);
        ctx.notify(Class::SET, "sadd", key);
        ctx.propagate_verbatim(args);
    }
    Ok(Reply::Int(added as i64))
}

/// SREM key member...: the number of members removed.
pub fn srem(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let key = &args[1];
    let Some(set) = ctx.write_as(key, Value::as_set_mut)? else {
        return Ok(Reply::Int(0));
    };
    let removed = args[2..]
        .iter()
        .filter(|member| set.remove(&member[..]))
        .count();
    if removed > 0 {
        ctx.after_removal(key, args, Class::SET, "srem");
    }
    Ok(Reply::Int(removed as i64))
}

/// SMEMBERS key: a RESP3 set.
pub fn smembers(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let members = ctx
        .read_as(&args[1], Value::as_set)?
        .map(|set| set.iter().map(|m| Reply::bulk(m)).collect())
        .unwrap_or_default();
    Ok(Reply::Set(members))
}

pub fn sismember(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let set = ctx.read_as(&args[1], Value::as_set)?;
    let found = set.is_some_and(|set| set.contains(&args[2][..]));
    Ok(Reply::Int(i64::from(found)))
}

/// SMISMEMBER key member...: 1 or 0 for each member.
pub fn smismember(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let set = ctx.read_as(&args[1], Value::as_set)?;
    let answers = args[2..]
        .iter()
        .map(|member| Reply::Int(i64::from(set.is_some_and(|s| s.contains(&member[..])))))
        .collect();
    Ok(Reply::Array(answers))
}

pub fn scard(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let len = ctx
        .read_as(&args[1], Value::as_set)?
        .map_or(0, |set| set.len());
    Ok(Reply::Int(len as i64))
}

/// SMOVE source destination member: 1 if the member moved (or, when source and destination
/// are the same key, is there), 0 otherwise.
pub fn smove(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let (source, destination, member) = (&args[1], &args[2], &args[3][..]);
    // As in Redis: a missing source answers 0 before the destination's type is checked.
    if ctx.write_as(source, Value::as_set_mut)?.is_none() {
        return Ok(Reply::Int(0));
    }
    ctx.write_as(destination, Value::as_set_mut)?;
    if source == destination {
        let found = ctx
            .read_as(source, Value::as_set)?
            .is_some_and(|s| s.contains(member));
        return Ok(Reply::Int(i64::from(found)));
    }
    let removed = ctx
        .write_as(source, Value::as_set_mut)?
        .is_some_and(|set| set.remove(member));
    if !removed {
        return Ok(Reply::Int(0));
    }
    ctx.notify(Class::SET, "srem", source);
    ctx.drop_if_empty(source);
    ctx.changed(source);
    let target = ctx.write_or_create(destination, Value::new_set, Value::as_set_mut)?;
    if target.insert(SmallBytes::new(member)) {
        ctx.changed(destination);
        ctx.notify(Class::SET, "sadd", destination);
    }
    ctx.propagate_verbatim(args);
    Ok(Reply::Int(1))
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]; see [`scan_args`] for the guarantee.
pub fn sscan(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let cursor = scan_args::cursor(&args[2])?;
    let Some(set) = ctx.read_as(&args[1], Value::as_set)? else {
        return Ok(scan_args::reply(0, Vec::new()));
    };
    let options = ScanOptions::parse(&args[3..], false)?;
    let members = set.iter().map(|m| (&m[..], m));
    let (next, page) = scan_args::page(members, set.len(), cursor, options.count);
    let items = page
        .into_iter()
        .filter(|member| options.matches(member))
        .map(|member| Reply::bulk(member))
        .collect();
    Ok(scan_args::reply(next, items))
}
