//! BITFIELD and BITFIELD_RO: https://redis.io/commands/bitfield/

use bytes::Bytes;

use super::field::{self, FieldType, Overflow};
use super::{bit_offset, grow_to_bit};
use crate::commands::args::{self, is};
use crate::commands::ctx::Ctx;
use crate::commands::string_bytes;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;

#[derive(Debug, Clone, Copy)]
enum Action {
    Get,
    Set(i64),
    Incrby(i64),
}

#[derive(Debug, Clone, Copy)]
struct Op {
    action: Action,
    ty: FieldType,
    offset: u64,
    overflow: Overflow,
}

impl Op {
    fn writes(&self) -> bool {
        !matches!(self.action, Action::Get)
    }

    fn last_bit(&self) -> u64 {
        self.offset + u64::from(self.ty.bits) - 1
    }
}

/// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment]
/// [OVERFLOW WRAP|SAT|FAIL]...
pub fn bitfield(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let ops = parse(ctx, &args[2..])?;
    if !ops.iter().any(Op::writes) {
        return read_only(ctx, &args[1], &ops);
    }
    let key = &args[1];
    let last_bit = ops.iter().filter(|op| op.writes()).map(Op::last_bit).max();
    let last_bit = last_bit.unwrap_or(0);
    let replies = string_bytes::edit_or_create(ctx, key, |bytes| {
        grow_to_bit(bytes, last_bit);
        ops.iter().map(|op| run(bytes, op)).collect()
    })?;
    ctx.changed(key);
    ctx.notify(crate::engine::notify::Class::STRING, "setbit", key);
    // Deterministic: the same operations on the same bytes give the same bytes.
    ctx.propagate_verbatim(args);
    Ok(Reply::Array(replies))
}

/// BITFIELD_RO key [GET type offset]...
pub fn bitfield_ro(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let ops = parse(ctx, &args[2..])?;
    if ops.iter().any(Op::writes) {
        return Err(CmdError::err(
            "BITFIELD_RO only supports the GET subcommand",
        ));
    }
    read_only(ctx, &args[1], &ops)
}

fn read_only(ctx: &mut Ctx, key: &[u8], ops: &[Op]) -> Result<Reply, CmdError> {
    let bytes = ctx.read_as(key, |v| v.as_str())?;
    let bytes: &[u8] = bytes.map_or(&[], |b| b);
    let replies = ops
        .iter()
        .map(|op| Reply::Int(field::get(bytes, op.offset, op.ty)))
        .collect();
    Ok(Reply::Array(replies))
}

/// Runs one operation on bytes long enough for it; FAIL's refusals answer nil.
fn run(bytes: &mut [u8], op: &Op) -> Reply {
    let old = field::get(bytes, op.offset, op.ty);
    let (new, reply) = match op.action {
        Action::Get => return Reply::Int(old),
        Action::Set(value) => (field::assign(value, op.ty, op.overflow), Some(old)),
        Action::Incrby(by) => (field::increment(old, by, op.ty, op.overflow), None),
    };
    let Some(new) = new else {
        return Reply::Nil;
    };
    field::put(bytes, op.offset, op.ty, new);
    Reply::Int(reply.unwrap_or(new))
}

/// The operations, checked in order as Redis checks them, before anything runs.
fn parse(ctx: &Ctx, words: &[Bytes]) -> Result<Vec<Op>, CmdError> {
    let (mut ops, mut overflow, mut i) = (Vec::new(), Overflow::default(), 0);
    while i < words.len() {
        let (word, rest) = (&words[i], words.len() - i - 1);
        let action = if is(word, "GET") && rest >= 2 {
            Action::Get
        } else if is(word, "SET") && rest >= 3 {
            Action::Set(0)
        } else if is(word, "INCRBY") && rest >= 3 {
            Action::Incrby(0)
        } else if is(word, "OVERFLOW") && rest >= 1 {
            overflow = Overflow::parse(&words[i + 1])
                .ok_or_else(|| CmdError::err("Invalid OVERFLOW type specified"))?;
            i += 2;
            continue;
        } else {
            return Err(CmdError::Syntax);
        };
        let ty = FieldType::parse(&words[i + 1]).ok_or_else(|| {
            CmdError::err(
                "Invalid bitfield type. Use something like i16 u8. Note that u64 is not \
                 supported but i64 is.",
            )
        })?;
        let offset = bit_offset(ctx, &words[i + 2], Some(ty.bits))?;
        let action = match action {
            Action::Get => Action::Get,
            Action::Set(_) => Action::Set(args::int(&words[i + 3])?),
            Action::Incrby(_) => Action::Incrby(args::int(&words[i + 3])?),
        };
        i += if matches!(action, Action::Get) { 3 } else { 4 };
        ops.push(Op {
            action,
            ty,
            offset,
            overflow,
        });
    }
    Ok(ops)
}
