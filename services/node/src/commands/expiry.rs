//! Key expiry: EXPIRE and friends, TTL and friends, and the expiry options SET and GETEX
//! share. Every expiry is recorded for replicas as an absolute PEXPIREAT, so a replica that
//! applies the record later expires the key at the same moment.

use bytes::Bytes;

use super::args::{self, is};
use super::ctx::{millis_text, Class, Ctx};
use crate::engine::error::CmdError;
use crate::engine::keyspace::{Millis, PERSISTENT};
use crate::engine::reply::Reply;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expiry {
    /// No expiry option: a write clears any existing TTL.
    #[default]
    None,
    /// KEEPTTL.
    Keep,
    /// PERSIST.
    Persist,
    At(Millis),
}

/// Parses `EX s | PX ms | EXAT s | PXAT ms`; `Ok(None)` if `option` is none of them.
pub fn parse_expiry(
    option: &[u8],
    value: &[u8],
    now: Millis,
    command: &str,
) -> Result<Option<Expiry>, CmdError> {
    let (scale, relative) = if is(option, "EX") {
        (1000, true)
    } else if is(option, "PX") {
        (1, true)
    } else if is(option, "EXAT") {
        (1000, false)
    } else if is(option, "PXAT") {
        (1, false)
    } else {
        return Ok(None);
    };
    let invalid = || CmdError::err(format!("invalid expire time in '{command}' command"));
    let amount = args::int(value)?;
    if amount <= 0 {
        return Err(invalid());
    }
    let at = absolute(amount, scale, relative, now).ok_or_else(invalid)?;
    Ok(Some(Expiry::At(at)))
}

fn absolute(amount: i64, scale: i64, relative: bool, now: Millis) -> Option<Millis> {
    let millis = amount.checked_mul(scale)?;
    let at = if relative {
        millis.checked_add(now as i64)?
    } else {
        millis
    };
    Some(at.max(0) as Millis)
}

/// Applies GETEX's expiry change to an existing key and records it.
pub fn apply(ctx: &mut Ctx, key: &Bytes, expiry: Expiry) {
    let Some(slot) = ctx.find(key) else {
        return;
    };
    match expiry {
        Expiry::At(at) if at <= ctx.now => {
            ctx.delete(key);
            ctx.changed(key);
            ctx.notify(Class::GENERIC, "del", key);
            ctx.propagate_parts(&[b"DEL", key]);
        }
        Expiry::At(at) => {
            ctx.keys().set_expiry(slot, at);
            ctx.changed(key);
            ctx.notify(Class::GENERIC, "expire", key);
            ctx.propagate_parts(&[b"PEXPIREAT", key, &millis_text(at)]);
        }
        Expiry::Persist if ctx.keys().entry(slot).expires_at != PERSISTENT => {
            ctx.keys().set_expiry(slot, PERSISTENT);
            ctx.changed(key);
            ctx.notify(Class::GENERIC, "persist", key);
            ctx.propagate_parts(&[b"PERSIST", key]);
        }
        Expiry::None | Expiry::Keep | Expiry::Persist => {}
    }
}

pub fn expire(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    set_expiry(ctx, args, 1000, true)
}

pub fn pexpire(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    set_expiry(ctx, args, 1, true)
}

pub fn expireat(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    set_expiry(ctx, args, 1000, false)
}

pub fn pexpireat(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    set_expiry(ctx, args, 1, false)
}

#[derive(Default)]
struct Condition {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl Condition {
    fn parse(options: &[Bytes]) -> Result<Condition, CmdError> {
        let mut c = Condition::default();
        for option in options {
            match () {
                _ if is(option, "NX") => c.nx = true,
                _ if is(option, "XX") => c.xx = true,
                _ if is(option, "GT") => c.gt = true,
                _ if is(option, "LT") => c.lt = true,
                _ => {
                    return Err(CmdError::err(format!(
                        "Unsupported option {}",
                        String::from_utf8_lossy(option)
                    )))
                }
            }
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            return Err(CmdError::err(
                "NX and XX, GT or LT options at the same time are not compatible",
            ));
        }
        if c.gt && c.lt {
            return Err(CmdError::err(
                "GT and LT options at the same time are not compatible",
            ));
        }
        Ok(c)
    }

    /// Whether the new expiry may replace `current` (a key without one never expires).
    fn allows(&self, current: Millis, new: Millis) -> bool {
        let persistent = current == PERSISTENT;
        !(self.nx && !persistent
            || self.xx && persistent
            || self.gt && (persistent || new <= current)
            || self.lt && !persistent && new >= current)
    }
}

fn set_expiry(
    ctx: &mut Ctx,
    args: &[Bytes],
    scale: i64,
    relative: bool,
) -> Result<Reply, CmdError> {
    let key = &args[1];
    let amount = args::int(&args[2])?;
    let condition = Condition::parse(&args[3..])?;
    let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
    let at = absolute(amount, scale, relative, ctx.now)
        .ok_or_else(|| CmdError::err(format!("invalid expire time in '{name}' command")))?;
    let Some(slot) = ctx.find(key) else {
        return Ok(Reply::Int(0));
    };
    if !condition.allows(ctx.keys().entry(slot).expires_at, at) {
        return Ok(Reply::Int(0));
    }
    apply(ctx, key, Expiry::At(at));
    Ok(Reply::Int(1))
}

pub fn ttl(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    Ok(remaining(ctx, &args[1], |ms| (ms + 500) / 1000))
}

pub fn pttl(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    Ok(remaining(ctx, &args[1], |ms| ms))
}

fn remaining(ctx: &mut Ctx, key: &[u8], unit: fn(i64) -> i64) -> Reply {
    match expiry_of(ctx, key) {
        None => Reply::Int(-2),
        Some(PERSISTENT) => Reply::Int(-1),
        Some(at) => Reply::Int(unit((at as i64 - ctx.now as i64).max(0))),
    }
}

fn expiry_of(ctx: &mut Ctx, key: &[u8]) -> Option<Millis> {
    let slot = ctx.find_for_read(key)?;
    Some(ctx.keys().entry(slot).expires_at)
}

pub fn expiretime(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    Ok(absolute_reply(ctx, &args[1], 1000))
}

pub fn pexpiretime(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    Ok(absolute_reply(ctx, &args[1], 1))
}

fn absolute_reply(ctx: &mut Ctx, key: &[u8], scale: u64) -> Reply {
    match expiry_of(ctx, key) {
        None => Reply::Int(-2),
        Some(PERSISTENT) => Reply::Int(-1),
        Some(at) => Reply::Int((at / scale) as i64),
    }
}

pub fn persist(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let key = &args[1];
    match expiry_of(ctx, key) {
        None | Some(PERSISTENT) => Ok(Reply::Int(0)),
        Some(_) => {
            apply(ctx, key, Expiry::Persist);
            Ok(Reply::Int(1))
        }
    }
}
