//! List commands (<https://redis.io/commands/?group=list>): pushes and pops at both ends,
//! reads by index and range; the editing commands, LPOS, the moves, the blocking pops and
//! LMPOP/BLMPOP live in the submodules.
//!
//! A list is a `VecDeque` whose front is the LEFT (head) end. A list left empty by a command
//! is deleted, so a stored list is never empty.

mod blocking;
mod edit;
mod lpos;
mod moves;
mod mpop;

#[cfg(test)]
mod blocking_tests;
#[cfg(test)]
mod tests;

use bytes::Bytes;

use super::args;
use super::ctx::{Class, Ctx};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::{List, Value};

pub(super) use self::blocking::serve;
pub use self::blocking::{blmove, blpop, brpop, brpoplpush};
pub use self::edit::{linsert, lrem, lset, ltrim};
pub use self::lpos::lpos;
pub use self::moves::{lmove, rpoplpush};
pub use self::mpop::{blmpop, lmpop};

pub fn lpush(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    push(ctx, args, true, true)
}

pub fn rpush(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    push(ctx, args, false, true)
}

pub fn lpushx(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    push(ctx, args, true, false)
}

pub fn rpushx(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    push(ctx, args, false, false)
}

/// Pushes `args[2..]` one by one, so `LPUSH l a b` leaves `b a`; `create` is false for the
/// X variants, which answer 0 on a missing key.
fn push(ctx: &mut Ctx, args: &[Bytes], left: bool, create: bool) -> Result<Reply, CmdError> {
    let key = &args[1];
    let list = if create {
        ctx.write_or_create(key, Value::new_list, Value::as_list_mut)?
    } else {
        match ctx.write_as(key, Value::as_list_mut)? {
            Some(list) => list,
            None => return Ok(Reply::Int(0)),
        }
    };
    for item in &args[2..] {
        push_end(list, left, SmallBytes::new(item));
    }
    let len = list.len();
    ctx.changed(key);
    ctx.notify(Class::LIST, if left { "lpush" } else { "rpush" }, key);
    ctx.propagate_verbatim(args);
    Ok(Reply::Int(len_int(len)))
}

pub fn lpop(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    pop(ctx, args, true)
}

pub fn rpop(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    pop(ctx, args, false)
}

/// LPOP/RPOP key [count]: a bulk without a count, an array with one (null array if the key
/// is missing, empty array for a count of 0).
fn pop(ctx: &mut Ctx, args: &[Bytes], left: bool) -> Result<Reply, CmdError> {
    // Redis parses the count before looking at the key, with this one message for both
    // non-numbers and negatives.
    let count = match args.get(2) {
        None => None,
        Some(arg) => Some(
            args::parse_int(arg)
                .and_then(|n| u64::try_from(n).ok())
                .ok_or_else(|| CmdError::err("value is out of range, must be positive"))?,
        ),
    };
    let Some(items) = pop_some(ctx, &args[1], left, count)? else {
        return Ok(if count.is_some() {
            Reply::NilArray
        } else {
            Reply::Nil
        });
    };
    if count.is_some() {
        return Ok(Reply::Array(items.iter().map(|i| Reply::bulk(i)).collect()));
    }
    Ok(items.first().map_or(Reply::Nil, |item| Reply::bulk(item)))
}

/// Pops up to `count` elements (one if None) from one end of `key`, deleting the list if it
/// empties, and records `LPOP key [n]` with the number actually popped. None if the key is
/// missing. Shared with BLPOP/BRPOP, which record the count-less form.
pub(super) fn pop_some(
    ctx: &mut Ctx,
    key: &[u8],
    left: bool,
    count: Option<u64>,
) -> Result<Option<Vec<SmallBytes>>, CmdError> {
    let Some(list) = ctx.write_as(key, Value::as_list_mut)? else {
        return Ok(None);
    };
    // `map_while` stops at the end of the list, so a huge count allocates nothing extra.
    let wanted = count.unwrap_or(1);
    let items: Vec<SmallBytes> = (0..wanted).map_while(|_| pop_end(list, left)).collect();
    if items.is_empty() {
        return Ok(Some(items));
    }
    ctx.changed(key);
    ctx.notify(Class::LIST, if left { "lpop" } else { "rpop" }, key);
    ctx.drop_if_empty(key);
    if ctx.recording() {
        let mut record = vec![
            Bytes::from_static(pop_name(left)),
            Bytes::copy_from_slice(key),
        ];
        if count.is_some() {
            record.push(args::int_bytes(len_int(items.len())));
        }
        ctx.propagate(record);
    }
    Ok(Some(items))
}

pub fn lrange(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let start = args::int(&args[2])?;
    let end = args::int(&args[3])?;
    let Some(list) = ctx.read_as(&args[1], Value::as_list)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let items = match clamp_range(start, end, list.len()) {
        Some((first, last)) => list.range(first..=last).map(|i| Reply::bulk(i)).collect(),
        None => Vec::new(),
    };
    Ok(Reply::Array(items))
}

pub fn llen(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let len = ctx
        .read_as(&args[1], Value::as_list)?
        .map_or(0, |l| l.len());
    Ok(Reply::Int(len_int(len)))
}

pub fn lindex(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    // Redis looks the key up before parsing the index: a missing key answers nil even for
    // an index that is not a number.
    let Some(list) = ctx.read_as(&args[1], Value::as_list)? else {
        return Ok(Reply::Nil);
    };
    let index = args::int(&args[2])?;
    let item = position(index, list.len()).and_then(|i| list.get(i));
    Ok(item.map_or(Reply::Nil, |item| Reply::bulk(item)))
}

/// Which end a LEFT/RIGHT argument names: true for LEFT (the head).
pub(super) fn parse_end(arg: &[u8]) -> Result<bool, CmdError> {
    if args::is(arg, "LEFT") {
        Ok(true)
    } else if args::is(arg, "RIGHT") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

pub(super) fn end_name(left: bool) -> &'static [u8] {
    if left {
        b"LEFT"
    } else {
        b"RIGHT"
    }
}

/// The command that pops one element from that end, as replicas receive it.
pub(super) fn pop_name(left: bool) -> &'static [u8] {
    if left {
        b"LPOP"
    } else {
        b"RPOP"
    }
}

pub(super) fn pop_end(list: &mut List, left: bool) -> Option<SmallBytes> {
    if left {
        list.pop_front()
    } else {
        list.pop_back()
    }
}

pub(super) fn push_end(list: &mut List, left: bool, item: SmallBytes) {
    if left {
        list.push_front(item)
    } else {
        list.push_back(item)
    }
}

/// The offset an index names (negative counts from the tail), if it is inside the list.
pub(super) fn position(index: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let index = if index < 0 { len + index } else { index };
    if (0..len).contains(&index) {
        usize::try_from(index).ok()
    } else {
        None
    }
}

/// Redis's clamping of an inclusive `start..=end` pair of indexes (negative ones count from
/// the tail), as offsets; None when the range holds nothing.
pub(super) fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = i64::try_from(len).ok()?;
    // `len + x` cannot overflow: len >= 0 and x < 0.
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let end = if end < 0 { len + end } else { end.min(len - 1) };
    if start > end || start >= len {
        return None;
    }
    Some((usize::try_from(start).ok()?, usize::try_from(end).ok()?))
}

pub(super) fn len_int(len: usize) -> i64 {
    i64::try_from(len).unwrap_or(i64::MAX)
}
