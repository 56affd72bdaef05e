//! SPOP and SRANDMEMBER. SPOP records what it removed (`SREM key member...`, or `DEL key`
//! when it emptied the set), so replicas do not repeat the random choice.

use bytes::Bytes;
use rand::rngs::SmallRng;

use super::pick::{self, Count};
use crate::commands::args;
use crate::commands::ctx::{Class, Ctx};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::{Set, Value};

/// SPOP key [count]: one member (nil when missing), or a RESP3 set of up to `count`.
pub fn spop(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    match args {
        [_, key] => pop_one(ctx, key),
        [_, key, count] => {
            let count = args::parse_int(count)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| CmdError::err("value is out of range, must be positive"))?;
            pop_many(ctx, key, count)
        }
        _ => Err(CmdError::Syntax),
    }
}

/// SRANDMEMBER key [count]: one member (nil when missing), or an array chosen as
/// [`Count`] says.
pub fn srandmember(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    match args {
        [_, key] => {
            if ctx.read_as(key, Value::as_set)?.is_none() {
                return Ok(Reply::Nil);
            }
            let picked =
                set_and_rng(ctx, key).and_then(|(set, rng)| pick::one(rng, set.iter(), set.len()));
            Ok(picked.map_or(Reply::Nil, |member| Reply::bulk(member)))
        }
        [_, key, count] => {
            let count = Count::from_signed(pick::signed_count(count)?);
            if ctx.read_as(key, Value::as_set)?.is_none() {
                return Ok(Reply::Array(Vec::new()));
            }
            let picked = set_and_rng(ctx, key)
                .map(|(set, rng)| pick::many(rng, set.iter(), set.len(), count))
                .unwrap_or_default();
            Ok(Reply::Array(
                picked.into_iter().map(|m| Reply::bulk(m)).collect(),
            ))
        }
        _ => Err(CmdError::Syntax),
    }
}

/// The set at `key`, already looked up, with the engine's random generator.
fn set_and_rng<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Option<(&'c mut Set, &'c mut SmallRng)> {
    let (value, rng) = pick::value_and_rng(ctx, key)?;
    Some((value.as_set_mut()?, rng))
}

fn pop_one(ctx: &mut Ctx, key: &[u8]) -> Result<Reply, CmdError> {
    if ctx.write_as(key, Value::as_set_mut)?.is_none() {
        return Ok(Reply::Nil);
    }
    let Some((set, rng)) = set_and_rng(ctx, key) else {
        return Ok(Reply::Nil);
    };
    let Some(member) = pick::one(rng, set.iter(), set.len()).cloned() else {
        return Ok(Reply::Nil);
    };
    set.remove(&member);
    ctx.notify(Class::SET, "spop", key);
    ctx.drop_if_empty(key);
    ctx.changed(key);
    ctx.propagate_parts(&[b"SREM", key, &member]);
    Ok(Reply::bulk(&member))
}

fn pop_many(ctx: &mut Ctx, key: &[u8], count: usize) -> Result<Reply, CmdError> {
    if ctx.write_as(key, Value::as_set_mut)?.is_none() || count == 0 {
        return Ok(Reply::Set(Vec::new()));
    }
    ctx.notify(Class::SET, "spop", key);
    let Some((set, rng)) = set_and_rng(ctx, key) else {
        return Ok(Reply::Set(Vec::new()));
    };
    if count >= set.len() {
        let members = set.iter().map(|m| Reply::bulk(m)).collect();
        ctx.delete(key);
        ctx.changed(key);
        ctx.notify(Class::GENERIC, "del", key);
        ctx.propagate_parts(&[b"DEL", key]);
        return Ok(Reply::Set(members));
    }
    let popped: Vec<SmallBytes> = pick::many(rng, set.iter(), set.len(), Count::Distinct(count))
        .into_iter()
        .cloned()
        .collect();
    for member in &popped {
        set.remove(member);
    }
    ctx.changed(key);
    if ctx.recording() {
        let mut record = vec![Bytes::from_static(b"SREM"), Bytes::copy_from_slice(key)];
        record.extend(popped.iter().map(|m| Bytes::copy_from_slice(m)));
        ctx.propagate(record);
    }
    Ok(Reply::Set(popped.iter().map(|m| Reply::bulk(m)).collect()))
}
