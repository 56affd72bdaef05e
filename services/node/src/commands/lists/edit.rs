//! Commands that change a list in place: LSET, LREM, LTRIM, LINSERT. Each is deterministic
//! on the same list, so each records itself verbatim, and only when it changed something.

use bytes::Bytes;

use super::{clamp_range, len_int, position};
use crate::commands::args;
use crate::commands::ctx::{Class, Ctx};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::{List, Value};

/// LSET key index element: `ERR no such key` on a missing key, `ERR index out of range`
/// outside the list (Redis 7.0 looks the key up before parsing the index).
pub fn lset(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let key = &args[1];
    let list = ctx
        .write_as(key, Value::as_list_mut)?
        .ok_or(CmdError::NoSuchKey)?;
    let index = args::int(&args[2])?;
    let slot = position(index, list.len())
        .and_then(|i| list.get_mut(i))
        .ok_or(CmdError::OutOfRange)?;
    *slot = SmallBytes::new(&args[3]);
    ctx.changed(key);
    ctx.notify(Class::LIST, "lset", key);
    ctx.propagate_verbatim(args);
    Ok(Reply::Ok)
}

/// LREM key count element: removes the first `count` matches from the head (count > 0),
/// the last `-count` from the tail (count < 0), or all of them (0).
pub fn lrem(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let count = args::int(&args[2])?;
    let key = &args[1];
    let Some(list) = ctx.write_as(key, Value::as_list_mut)? else {
        return Ok(Reply::Int(0));
    };
    let removed = remove_matches(list, &args[3], count);
    if removed > 0 {
        ctx.changed(key);
        ctx.notify(Class::LIST, "lrem", key);
        ctx.drop_if_empty(key);
        ctx.propagate_verbatim(args);
    }
    Ok(Reply::Int(len_int(removed)))
}

/// Removes LREM's matches in one pass: every match inside the span that ends at the
/// `count`-th match from the chosen end. Returns how many were removed.
fn remove_matches(list: &mut List, element: &[u8], count: i64) -> usize {
    let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let is_match = |item: &SmallBytes| item.as_slice() == element;
    let (low, high) = match count {
        0 => (0, usize::MAX),
        c if c > 0 => {
            let last = list
                .iter()
                .enumerate()
                .filter(|(_, i)| is_match(i))
                .nth(limit - 1);
            (0, last.map_or(usize::MAX, |(at, _)| at))
        }
        _ => {
            let iter = list.iter().enumerate().rev();
            let first = iter.filter(|(_, i)| is_match(i)).nth(limit - 1);
            (first.map_or(0, |(at, _)| at), usize::MAX)
        }
    };
    let before = list.len();
    let mut at = 0;
    list.retain(|item| {
        let keep = !((low..=high).contains(&at) && is_match(item));
        at += 1;
        keep
    });
    before - list.len()
}

/// LTRIM key start stop: keeps only the (clamped) range; an empty range deletes the key.
pub fn ltrim(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let start = args::int(&args[2])?;
    let end = args::int(&args[3])?;
    let key = &args[1];
    let Some(list) = ctx.write_as(key, Value::as_list_mut)? else {
        return Ok(Reply::Ok);
    };
    let before = list.len();
    match clamp_range(start, end, before) {
        Some((first, last)) => {
            list.truncate(last + 1);
            list.drain(..first);
        }
        None => list.clear(),
    }
    let trimmed = list.len() != before;
    // Redis announces LTRIM on an existing list even when it kept everything.
    ctx.notify(Class::LIST, "ltrim", key);
    if trimmed {
        ctx.changed(key);
        ctx.drop_if_empty(key);
        ctx.propagate_verbatim(args);
    }
    Ok(Reply::Ok)
}

/// LINSERT key BEFORE|AFTER pivot element: the new length, 0 for a missing key, -1 when
/// the pivot is not in the list.
pub fn linsert(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let after = if args::is(&args[2], "AFTER") {
        true
    } else if args::is(&args[2], "BEFORE") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let key = &args[1];
    let Some(list) = ctx.write_as(key, Value::as_list_mut)? else {
        return Ok(Reply::Int(0));
    };
    let Some(pivot) = list.iter().position(|i| i.as_slice() == args[3].as_ref()) else {
        return Ok(Reply::Int(-1));
    };
    list.insert(pivot + usize::from(after), SmallBytes::new(&args[4]));
    let len = list.len();
    ctx.changed(key);
    ctx.notify(Class::LIST, "linsert", key);
    ctx.propagate_verbatim(args);
    Ok(Reply::Int(len_int(len)))
}
