//! SINTER, SUNION, SDIFF, their STORE forms, and SINTERCARD. A missing key reads as an
//! empty set, but every key's type is checked first, as in Redis.

use bytes::Bytes;
use hashbrown::HashSet;

use crate::commands::args;
use crate::commands::ctx::{Class, Ctx};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::{Set, Value};

/// The sets an operation reads, None for a missing key.
type Operands<'s> = [Option<&'s Set>];

/// An operation's result, borrowed from its operands.
type Members<'s> = Vec<&'s [u8]>;

pub fn sinter(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let sets = sets_at(ctx, &args[1..], false)?;
    Ok(set_reply(inter(&sets, usize::MAX)))
}

pub fn sunion(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let sets = sets_at(ctx, &args[1..], false)?;
    Ok(set_reply(union(&sets)))
}

pub fn sdiff(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let sets = sets_at(ctx, &args[1..], false)?;
    Ok(set_reply(diff(&sets)))
}

pub fn sinterstore(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    store(ctx, args, |sets| inter(sets, usize::MAX))
}

pub fn sunionstore(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    store(ctx, args, union)
}

pub fn sdiffstore(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    store(ctx, args, diff)
}

/// SINTERCARD numkeys key... [LIMIT limit]: the intersection's size, counting stops at
/// `limit` (0: no limit).
pub fn sintercard(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let numkeys = args::parse_int(&args[1])
        .filter(|&n| n >= 1)
        .ok_or_else(|| CmdError::err("numkeys should be greater than 0"))?;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    let Some(keys) = args.get(2..).and_then(|rest| rest.get(..numkeys)) else {
        return Err(CmdError::err(
            "Number of keys can't be greater than number of args",
        ));
    };
    let limit = limit_option(&args[2 + numkeys..])?;
    let sets = sets_at(ctx, keys, false)?;
    Ok(Reply::Int(inter(&sets, limit).len() as i64))
}

/// `[LIMIT n]`, repeatable (the last wins); 0 or absent means no limit.
fn limit_option(mut options: &[Bytes]) -> Result<usize, CmdError> {
    let mut limit = usize::MAX;
    while let [name, value, rest @ ..] = options {
        if !args::is(name, "LIMIT") {
            return Err(CmdError::Syntax);
        }
        let given = args::parse_int(value)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| CmdError::err("LIMIT can't be negative"))?;
        limit = if given == 0 { usize::MAX } else { given };
        options = rest;
    }
    if options.is_empty() {
        Ok(limit)
    } else {
        Err(CmdError::Syntax)
    }
}

/// Looks every key up (WRONGTYPE if any is not a set), then borrows the sets.
/// `for_write`: a STORE command's lookup, which does not count keyspace hits and misses.
fn sets_at<'c>(
    ctx: &'c mut Ctx,
    keys: &[Bytes],
    for_write: bool,
) -> Result<Vec<Option<&'c Set>>, CmdError> {
    for key in keys {
        if for_write {
            // A missing source is still a keymiss for Redis.
            ctx.find_for_read(key);
            ctx.write_as(key, Value::as_set_mut)?;
        } else {
            ctx.read_as(key, Value::as_set)?;
        }
    }
    // Every key that was due to expire is gone now, so a plain lookup sees live keys only.
    let live = &ctx.engine.dbs[ctx.session.db].keys;
    Ok(keys
        .iter()
        .map(|key| live.get(key).and_then(|entry| entry.value.as_set()))
        .collect())
}

/// Members in every set, at most `limit` of them.
fn inter<'s>(sets: &Operands<'s>, limit: usize) -> Members<'s> {
    let Some(mut present) = sets.iter().copied().collect::<Option<Vec<&Set>>>() else {
        return Vec::new();
    };
    // Walk the smallest set and probe the others, smallest first to fail fast.
    present.sort_by_key(|set| set.len());
    let Some((smallest, others)) = present.split_first() else {
        return Vec::new();
    };
    smallest
        .iter()
        .filter(|member| others.iter().all(|set| set.contains(&member[..])))
        .take(limit)
        .map(|member| &member[..])
        .collect()
}

fn union<'s>(sets: &Operands<'s>) -> Members<'s> {
    let mut seen: HashSet<&[u8]> = HashSet::new();
    for set in sets.iter().flatten() {
        seen.extend(set.iter().map(|member| &member[..]));
    }
    seen.into_iter().collect()
}

/// Members of the first set in none of the others.
fn diff<'s>(sets: &Operands<'s>) -> Members<'s> {
    let Some((Some(first), others)) = sets.split_first() else {
        return Vec::new();
    };
    first
        .iter()
        .filter(|member| {
            others
                .iter()
                .flatten()
                .all(|set| !set.contains(&member[..]))
        })
        .map(|member| &member[..])
        .collect()
}

fn set_reply(members: Members) -> Reply {
    Reply::Set(members.into_iter().map(Reply::bulk).collect())
}

/// The STORE forms: `args` is `[command, destination, key...]`.
fn store(
    ctx: &mut Ctx,
    args: &[Bytes],
    operation: for<'s> fn(&Operands<'s>) -> Members<'s>,
) -> Result<Reply, CmdError> {
    let result: Set = {
        let sets = sets_at(ctx, &args[2..], true)?;
        operation(&sets).into_iter().map(SmallBytes::new).collect()
    };
    // The event is the command's name: sinterstore, sunionstore, sdiffstore.
    let event = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
    Ok(Reply::Int(replace(ctx, &args[1], result, &event)))
}

/// Overwrites `destination` (of any type; its TTL goes) with `members`, or deletes it when
/// `members` is empty, and records the effect as `DEL destination` (if it existed) then
/// `SADD destination member...`. Returns the new size.
fn replace(ctx: &mut Ctx, destination: &[u8], members: Set, event: &str) -> i64 {
    let existed = ctx.find(destination).is_some();
    if existed {
        ctx.propagate_parts(&[b"DEL", destination]);
    }
    let len = members.len() as i64;
    if members.is_empty() {
        if existed {
            ctx.delete(destination);
            ctx.changed(destination);
            ctx.notify(Class::GENERIC, "del", destination);
        }
        return 0;
    }
    if ctx.recording() {
        let mut record = Vec::with_capacity(members.len() + 2);
        record.push(Bytes::from_static(b"SADD"));
        record.push(Bytes::copy_from_slice(destination));
        record.extend(members.iter().map(|member| Bytes::copy_from_slice(member)));
        ctx.propagate(record);
    }
    ctx.set_persistent(destination, Value::Set(Box::new(members)));
    ctx.changed(destination);
    ctx.notify(Class::SET, event, destination);
    len
}
