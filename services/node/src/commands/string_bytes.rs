//! Changing a string value's bytes where they are, for the commands that edit a few bits of a
//! possibly large value (SETBIT, BITFIELD, PFADD): the value is moved out, edited and moved
//! back, never copied.

use crate::commands::ctx::Ctx;
use crate::engine::error::CmdError;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::Value;

/// Runs `change` on the bytes of the string at `key`: `Ok(None)` if the key is missing,
/// WRONGTYPE if it holds another type. The key keeps its expiry.
pub fn edit<R>(
    ctx: &mut Ctx,
    key: &[u8],
    change: impl FnOnce(&mut Vec<u8>) -> R,
) -> Result<Option<R>, CmdError> {
    let Some(value) = ctx.write(key) else {
        return Ok(None);
    };
    let Value::Str(stored) = value else {
        return Err(CmdError::WrongType);
    };
    let mut bytes = std::mem::replace(stored, SmallBytes::new(b"")).into_vec();
    let result = change(&mut bytes);
    *stored = SmallBytes::from(bytes);
    Ok(Some(result))
}

/// Like [`edit`], creating the key as an empty string first when it is missing.
pub fn edit_or_create<R>(
    ctx: &mut Ctx,
    key: &[u8],
    change: impl FnOnce(&mut Vec<u8>) -> R,
) -> Result<R, CmdError> {
    if ctx.find(key).is_none() {
        ctx.set_persistent(key, Value::Str(SmallBytes::new(b"")));
    }
    edit(ctx, key, change)?.ok_or(CmdError::NoSuchKey)
}
