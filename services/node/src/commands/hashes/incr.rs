//! HINCRBY and HINCRBYFLOAT: arithmetic on a field's value, stored back as text.

use bytes::Bytes;

use crate::commands::args;
use crate::commands::ctx::{Class, Ctx};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::Value;

/// HINCRBY key field increment: the new value; a missing field counts as 0.
pub fn hincrby(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let increment = args::int(&args[3])?;
    let updated = update(ctx, &args[1], &args[2], |current| {
        let current = match current {
            None => 0,
            Some(text) => args::parse_int(text)
                .ok_or_else(|| CmdError::err("hash value is not an integer"))?,
        };
        let sum = current.checked_add(increment).ok_or(CmdError::Overflow)?;
        Ok((args::int_bytes(sum), Reply::Int(sum)))
    })?;
    ctx.notify(Class::HASH, "hincrby", &args[1]);
    ctx.propagate_verbatim(args);
    Ok(updated.1)
}

/// HINCRBYFLOAT key field increment: the new value as text. Recorded as
/// `HSET key field <new value>` so replicas store exactly the same text.
pub fn hincrbyfloat(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let increment = args::float(&args[3])?;
    if !increment.is_finite() {
        return Err(CmdError::err("value is NaN or Infinity"));
    }
    let (text, reply) = update(ctx, &args[1], &args[2], |current| {
        let current = match current {
            None => 0.0,
            Some(text) => {
                args::parse_float(text).ok_or_else(|| CmdError::err("hash value is not a float"))?
            }
        };
        let sum = current + increment;
        if !sum.is_finite() {
            return Err(CmdError::err("increment would produce NaN or Infinity"));
        }
        let text = Bytes::from(args::float_text(sum));
        Ok((text.clone(), Reply::Bulk(text)))
    })?;
    ctx.notify(Class::HASH, "hincrbyfloat", &args[1]);
    ctx.propagate_parts(&[b"HSET", &args[1], &args[2], &text]);
    Ok(reply)
}

/// Replaces `field`'s value with what `compute` makes of the current one (None when
/// missing); returns the stored text and the reply. A hash created for a failed
/// computation is removed again.
fn update(
    ctx: &mut Ctx,
    key: &[u8],
    field: &[u8],
    compute: impl FnOnce(Option<&[u8]>) -> Result<(Bytes, Reply), CmdError>,
) -> Result<(Bytes, Reply), CmdError> {
    let hash = ctx.write_or_create(key, Value::new_hash, Value::as_hash_mut)?;
    let outcome = compute(hash.get(field).map(|value| &value[..]));
    match &outcome {
        Ok((text, _)) => {
            hash.insert(SmallBytes::new(field), SmallBytes::new(text));
            ctx.changed(key);
        }
        Err(_) => ctx.discard_if_empty(key),
    }
    outcome
}
