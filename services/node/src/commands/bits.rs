//! Bitmap commands on string values: https://redis.io/commands/?group=bitmap
//!
//! - [`ops`]: bits, ranges, counts, positions and BITOP over plain bytes.
//! - [`field`]: BITFIELD's integer fields and overflow rules.
//! - [`bitfield`]: BITFIELD and BITFIELD_RO, parsed and run.

mod bitfield;
mod field;
mod ops;
#[cfg(test)]
mod tests;

use bytes::Bytes;

pub use self::bitfield::{bitfield, bitfield_ro};
use self::ops::{BitOp, BitRange, Unit};
use super::args::{self, is};
use super::ctx::{Class, Ctx};
use super::string_bytes;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::Value;

/// A bit offset argument; with `field_bits`, `#n` means the n-th field of that width. Like
/// Redis, offsets whose byte is past proto-max-bulk-len are refused, except from the primary.
fn bit_offset(ctx: &Ctx, arg: &[u8], field_bits: Option<u32>) -> Result<u64, CmdError> {
    let refused = || CmdError::err("bit offset is not an integer or out of range");
    let (digits, scale) = match (arg.strip_prefix(b"#"), field_bits) {
        (Some(digits), Some(bits)) => (digits, i64::from(bits)),
        _ => (arg, 1),
    };
    let offset = args::parse_int(digits)
        .and_then(|n| n.checked_mul(scale))
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(refused)?;
    if !ctx.from_primary && (offset >> 3) >= ctx.engine.settings.proto_max_bulk_len {
        return Err(refused());
    }
    Ok(offset)
}

/// Zero-pads `bytes` so that bit `offset` is inside; whether it grew.
fn grow_to_bit(bytes: &mut Vec<u8>, offset: u64) -> bool {
    let needed = (offset >> 3) as usize + 1;
    let grew = bytes.len() < needed;
    if grew {
        bytes.resize(needed, 0);
    }
    grew
}

fn read_bytes<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c SmallBytes>, CmdError> {
    ctx.read_as(key, Value::as_str)
}

/// SETBIT key offset value
pub fn setbit(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let key = &args[1];
    let offset = bit_offset(ctx, &args[2], None)?;
    let on = match args[3].as_ref() {
        b"0" => false,
        b"1" => true,
        _ => return Err(CmdError::err("bit is not an integer or out of range")),
    };
    let (old, changed) = string_bytes::edit_or_create(ctx, key, |bytes| {
        let grew = grow_to_bit(bytes, offset);
        let old = ops::set_bit(bytes, offset, on);
        (old, grew || old != on)
    })?;
    if changed {
        ctx.changed(key);
        ctx.notify(Class::STRING, "setbit", key);
        ctx.propagate_verbatim(args);
    }
    Ok(Reply::Int(i64::from(old)))
}

/// GETBIT key offset
pub fn getbit(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let offset = bit_offset(ctx, &args[2], None)?;
    let bit = read_bytes(ctx, &args[1])?.is_some_and(|b| ops::get_bit(b, offset));
    Ok(Reply::Int(i64::from(bit)))
}

/// BITCOUNT key [start end [BYTE | BIT]]
pub fn bitcount(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    // Redis looks the key up first: a missing key counts 0 whatever the arguments.
    let Some(bytes) = read_bytes(ctx, &args[1])? else {
        return Ok(Reply::Int(0));
    };
    let range = match &args[2..] {
        [] => BitRange::whole(bytes.len()),
        [start, end, unit @ ..] if unit.len() <= 1 => {
            let (start, end) = (args::int(start)?, args::int(end)?);
            let unit = parse_unit(unit.first())?;
            if start < 0 && end < 0 && start > end {
                return Ok(Reply::Int(0));
            }
            BitRange::resolve(bytes.len(), start, end, unit)
        }
        _ => return Err(CmdError::Syntax),
    };
    let count = range.map_or(0, |range| ops::count(bytes, range));
    Ok(Reply::Int(count as i64))
}

fn parse_unit(arg: Option<&Bytes>) -> Result<Unit, CmdError> {
    match arg {
        None => Ok(Unit::Byte),
        Some(arg) if is(arg, "BYTE") => Ok(Unit::Byte),
        Some(arg) if is(arg, "BIT") => Ok(Unit::Bit),
        Some(_) => Err(CmdError::Syntax),
    }
}

/// BITPOS key bit [start [end [BYTE | BIT]]]
pub fn bitpos(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let bit = match args::int(&args[2])? {
        0 => false,
        1 => true,
        _ => return Err(CmdError::err("The bit argument must be 1 or 0.")),
    };
    // A missing key is an endless run of zeros.
    let Some(bytes) = read_bytes(ctx, &args[1])? else {
        return Ok(Reply::Int(if bit { -1 } else { 0 }));
    };
    let (range, end_given) = match &args[3..] {
        [] => (BitRange::whole(bytes.len()), false),
        [start] => (
            BitRange::resolve(bytes.len(), args::int(start)?, -1, Unit::Byte),
            false,
        ),
        [start, end, unit @ ..] if unit.len() <= 1 => {
            let start = args::int(start)?;
            let unit = parse_unit(unit.first())?;
            let end = args::int(end)?;
            (BitRange::resolve(bytes.len(), start, end, unit), true)
        }
        _ => return Err(CmdError::Syntax),
    };
    let Some(range) = range else {
        return Ok(Reply::Int(-1));
    };
    let found = ops::position(bytes, bit, range).map(|p| p as i64);
    // Looking for a 0 with no end given, the string counts as followed by zeros.
    let past_end = (!bit && !end_given).then_some(range.last as i64 + 1);
    Ok(Reply::Int(found.or(past_end).unwrap_or(-1)))
}

/// BITOP AND | OR | XOR | NOT destkey key [key ...]
pub fn bitop(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let op = [
        ("AND", BitOp::And),
        ("OR", BitOp::Or),
        ("XOR", BitOp::Xor),
        ("NOT", BitOp::Not),
    ]
    .into_iter()
    .find(|(name, _)| is(&args[1], name))
    .map(|(_, op)| op)
    .ok_or(CmdError::Syntax)?;
    if op == BitOp::Not && args.len() != 4 {
        return Err(CmdError::err(
            "BITOP NOT must be called with a single source key.",
        ));
    }
    let mut sources = Vec::with_capacity(args.len() - 3);
    for key in &args[3..] {
        sources.push(
            read_bytes(ctx, key)?
                .map(|b| b.to_vec())
                .unwrap_or_default(),
        );
    }
    let slices: Vec<&[u8]> = sources.iter().map(Vec::as_slice).collect();
    let result = ops::bitop(op, &slices);
    let (dest, len) = (&args[2], result.len());
    let changed = if result.is_empty() {
        ctx.delete(dest)
    } else {
        ctx.set_persistent(dest, Value::Str(SmallBytes::from(result)));
        true
    };
    if changed {
        ctx.changed(dest);
        let (class, event) = match len {
            0 => (Class::GENERIC, "del"),
            _ => (Class::STRING, "set"),
        };
        ctx.notify(class, event, dest);
        ctx.propagate_verbatim(args);
    }
    Ok(Reply::Int(len as i64))
}
