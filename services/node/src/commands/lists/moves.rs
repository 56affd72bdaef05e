//! LMOVE and RPOPLPUSH: pop from one list, push onto another (or the same) list.

use bytes::Bytes;

use super::{end_name, parse_end, pop_end, push_end};
use crate::commands::ctx::{Class, Ctx};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::Value;

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
pub fn lmove(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let from_left = parse_end(&args[3])?;
    let to_left = parse_end(&args[4])?;
    let moved = move_element(ctx, &args[1], &args[2], from_left, to_left)?;
    Ok(moved.map_or(Reply::Nil, |item| Reply::bulk(&item)))
}

/// RPOPLPUSH source destination: LMOVE source destination RIGHT LEFT.
pub fn rpoplpush(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let moved = move_element(ctx, &args[1], &args[2], false, true)?;
    Ok(moved.map_or(Reply::Nil, |item| Reply::bulk(&item)))
}

/// Moves one element and records `LMOVE src dst <from> <to>`; None if `src` is missing.
/// Like Redis, a destination of another type is refused before anything is popped, and
/// only when there is something to pop. Shared with BLMOVE.
pub(super) fn move_element(
    ctx: &mut Ctx,
    src: &[u8],
    dst: &[u8],
    from_left: bool,
    to_left: bool,
) -> Result<Option<SmallBytes>, CmdError> {
    if ctx.write_as(src, Value::as_list_mut)?.is_none() {
        return Ok(None);
    }
    ctx.write_as(dst, Value::as_list_mut)?;
    let Some(item) = ctx
        .write_as(src, Value::as_list_mut)?
        .and_then(|list| pop_end(list, from_left))
    else {
        return Ok(None);
    };
    let target = ctx.write_or_create(dst, Value::new_list, Value::as_list_mut)?;
    push_end(target, to_left, item.clone());
    ctx.notify(Class::LIST, push_event(to_left), dst);
    ctx.notify(Class::LIST, pop_event(from_left), src);
    // After the push: when src == dst the list is not empty and must stay.
    ctx.drop_if_empty(src);
    ctx.changed(src);
    ctx.changed(dst);
    ctx.propagate_parts(&[b"LMOVE", src, dst, end_name(from_left), end_name(to_left)]);
    Ok(Some(item))
}

/// The events Redis names a move's two halves with.
pub(super) fn push_event(left: bool) -> &'static str {
    if left {
        "lpush"
    } else {
        "rpush"
    }
}

pub(super) fn pop_event(left: bool) -> &'static str {
    if left {
        "lpop"
    } else {
        "rpop"
    }
}
