//! String commands: https://redis.io/commands/?group=string (LCS in [`lcs`]).

mod lcs;

use bytes::Bytes;

use super::args::{self, is};
use super::ctx::{millis_text, Class, Ctx};
use super::expiry::{parse_expiry, Expiry};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::Value;

pub use self::lcs::lcs;

/// The largest string a command may build, like Redis's default proto-max-bulk-len.
const MAX_STRING: usize = 512 * 1024 * 1024;

fn read_string<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c SmallBytes>, CmdError> {
    ctx.read_as(key, Value::as_str)
}

fn string_value(bytes: &[u8]) -> Value {
    Value::Str(SmallBytes::new(bytes))
}

pub fn get(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    Ok(read_string(ctx, &args[1])?.map_or(Reply::Nil, |v| Reply::bulk(v)))
}

/// SET key value [NX | XX] [GET] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL]
pub fn set(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let (key, value) = (&args[1], &args[2]);
    let options = SetOptions::parse(&args[3..], ctx.now)?;
    let old = match options.get {
        true => Some(read_string(ctx, key)?.map(|v| Bytes::copy_from_slice(v))),
        false => None,
    };
    if options.nx || options.xx {
        let exists = ctx.find(key).is_some();
        if (options.nx && exists) || (options.xx && !exists) {
            return Ok(old.map_or(Reply::Nil, bulk_or_nil));
        }
    }
    store(ctx, key, value, options.expiry);
    let reply = old.map_or(Reply::Ok, bulk_or_nil);
    Ok(reply)
}

fn bulk_or_nil(value: Option<Bytes>) -> Reply {
    value.map_or(Reply::Nil, Reply::Bulk)
}

/// Writes a string with SET's expiry rules and records `SET key value [PXAT t | KEEPTTL]`.
fn store(ctx: &mut Ctx, key: &Bytes, value: &Bytes, expiry: Expiry) {
    let slot = match expiry {
        Expiry::Keep => ctx.set(key, string_value(value)),
        _ => ctx.set_persistent(key, string_value(value)),
    };
    if let Expiry::At(at) = expiry {
        ctx.keys().set_expiry(slot, at);
    }
    ctx.changed(key);
    ctx.notify(Class::STRING, "set", key);
    if let Expiry::At(_) = expiry {
        ctx.notify(Class::GENERIC, "expire", key);
    }
    if ctx.recording() {
        let mut record = vec![Bytes::from_static(b"SET"), key.clone(), value.clone()];
        match expiry {
            Expiry::At(at) => record.extend([Bytes::from_static(b"PXAT"), millis_text(at)]),
            Expiry::Keep => record.push(Bytes::from_static(b"KEEPTTL")),
            Expiry::None | Expiry::Persist => {}
        }
        ctx.propagate(record);
    }
}

#[derive(Default)]
struct SetOptions {
    nx: bool,
    xx: bool,
    get: bool,
    expiry: Expiry,
}

impl SetOptions {
    fn parse(options: &[Bytes], now: u64) -> Result<SetOptions, CmdError> {
        let mut parsed = SetOptions::default();
        let mut i = 0;
        while i < options.len() {
            let option = &options[i];
            if is(option, "NX") && !parsed.xx {
                parsed.nx = true;
            } else if is(option, "XX") && !parsed.nx {
                parsed.xx = true;
            } else if is(option, "GET") {
                parsed.get = true;
            } else if is(option, "KEEPTTL") && parsed.expiry == Expiry::None {
                parsed.expiry = Expiry::Keep;
            } else if parsed.expiry == Expiry::None {
                let value = options.get(i + 1).ok_or(CmdError::Syntax)?;
                parsed.expiry = parse_expiry(option, value, now, "set")?.ok_or(CmdError::Syntax)?;
                i += 1;
            } else {
                return Err(CmdError::Syntax);
            }
            i += 1;
        }
        Ok(parsed)
    }
}

pub fn setnx(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    if ctx.find(&args[1]).is_some() {
        return Ok(Reply::Int(0));
    }
    store(ctx, &args[1], &args[2], Expiry::None);
    Ok(Reply::Int(1))
}

pub fn setex(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    set_with_ttl(ctx, args, "EX")
}

pub fn psetex(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    set_with_ttl(ctx, args, "PX")
}

fn set_with_ttl(ctx: &mut Ctx, args: &[Bytes], unit: &str) -> Result<Reply, CmdError> {
    let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
    let expiry = parse_expiry(unit.as_bytes(), &args[2], ctx.now, &name)?;
    store(ctx, &args[1], &args[3], expiry.unwrap_or_default());
    Ok(Reply::Ok)
}

pub fn getset(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let old = read_string(ctx, &args[1])?.map(|v| Bytes::copy_from_slice(v));
    store(ctx, &args[1], &args[2], Expiry::None);
    Ok(bulk_or_nil(old))
}

pub fn getdel(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let Some(old) = read_string(ctx, &args[1])?.map(|v| Bytes::copy_from_slice(v)) else {
        return Ok(Reply::Nil);
    };
    ctx.delete(&args[1]);
    ctx.changed(&args[1]);
    ctx.notify(Class::GENERIC, "del", &args[1]);
    ctx.propagate_parts(&[b"DEL", &args[1]]);
    Ok(Reply::Bulk(old))
}

/// GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST]
pub fn getex(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let expiry = match &args[2..] {
        [] => Expiry::None,
        [option] if is(option, "PERSIST") => Expiry::Persist,
        [option, value] => {
            parse_expiry(option, value, ctx.now, "getex")?.ok_or(CmdError::Syntax)?
        }
        _ => return Err(CmdError::Syntax),
    };
    let key = &args[1];
    let Some(value) = read_string(ctx, key)?.map(|v| Bytes::copy_from_slice(v)) else {
        return Ok(Reply::Nil);
    };
    super::expiry::apply(ctx, key, expiry);
    Ok(Reply::Bulk(value))
}

pub fn mget(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let values = args[1..]
        .iter()
        .map(|key| match ctx.read(key) {
            Some(Value::Str(v)) => Reply::bulk(v),
            _ => Reply::Nil,
        })
        .collect();
    Ok(Reply::Array(values))
}

pub fn mset(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    if args.len().is_multiple_of(2) {
        return Err(CmdError::WrongArity("mset".into()));
    }
    for pair in args[1..].chunks_exact(2) {
        ctx.set_persistent(&pair[0], string_value(&pair[1]));
        ctx.changed(&pair[0]);
        ctx.notify(Class::STRING, "set", &pair[0]);
    }
    ctx.propagate_verbatim(args);
    Ok(Reply::Ok)
}

pub fn msetnx(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    if args.len().is_multiple_of(2) {
        return Err(CmdError::WrongArity("msetnx".into()));
    }
    if args[1..]
        .chunks_exact(2)
        .any(|pair| ctx.find(&pair[0]).is_some())
    {
        return Ok(Reply::Int(0));
    }
    mset(ctx, args)?;
    Ok(Reply::Int(1))
}

pub fn incr(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    increment(ctx, args, 1)
}

pub fn decr(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    increment(ctx, args, -1)
}

pub fn incrby(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    increment(ctx, args, args::int(&args[2])?)
}

pub fn decrby(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let by = args::int(&args[2])?;
    let by = by
        .checked_neg()
        .ok_or_else(|| CmdError::err("decrement would overflow"))?;
    increment(ctx, args, by)
}

fn increment(ctx: &mut Ctx, args: &[Bytes], by: i64) -> Result<Reply, CmdError> {
    let key = &args[1];
    let current = match read_string(ctx, key)? {
        Some(value) => args::parse_int(value).ok_or(CmdError::NotInteger)?,
        None => 0,
    };
    let next = current.checked_add(by).ok_or(CmdError::Overflow)?;
    let text = args::int_bytes(next);
    ctx.set(key, string_value(&text));
    ctx.changed(key);
    ctx.notify(Class::STRING, "incrby", key);
    if ctx.recording() {
        ctx.propagate(vec![
            Bytes::from_static(b"SET"),
            key.clone(),
            text,
            Bytes::from_static(b"KEEPTTL"),
        ]);
    }
    Ok(Reply::Int(next))
}

pub fn incrbyfloat(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let key = &args[1];
    let by = args::float(&args[2])?;
    let current = match read_string(ctx, key)? {
        Some(value) => args::parse_float(value).ok_or(CmdError::NotFloat)?,
        None => 0.0,
    };
    let next = current + by;
    if !next.is_finite() {
        return Err(CmdError::err("increment would produce NaN or Infinity"));
    }
    let text = Bytes::from(args::float_text(next));
    ctx.set(key, string_value(&text));
    ctx.changed(key);
    ctx.notify(Class::STRING, "incrbyfloat", key);
    if ctx.recording() {
        let record = vec![
            Bytes::from_static(b"SET"),
            key.clone(),
            text.clone(),
            Bytes::from_static(b"KEEPTTL"),
        ];
        ctx.propagate(record);
    }
    Ok(Reply::Bulk(text))
}

pub fn append(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let key = &args[1];
    let mut value = read_string(ctx, key)?
        .map(|v| v.to_vec())
        .unwrap_or_default();
    check_size(value.len() + args[2].len())?;
    value.extend_from_slice(&args[2]);
    let len = value.len();
    ctx.set(key, Value::Str(SmallBytes::from(value)));
    ctx.changed(key);
    ctx.notify(Class::STRING, "append", key);
    ctx.propagate_verbatim(args);
    Ok(Reply::Int(len as i64))
}

fn check_size(len: usize) -> Result<(), CmdError> {
    if len > MAX_STRING {
        return Err(CmdError::err(
            "string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    Ok(())
}

pub fn strlen(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    Ok(Reply::Int(
        read_string(ctx, &args[1])?.map_or(0, |v| v.len() as i64),
    ))
}

pub fn getrange(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let (start, end) = (args::int(&args[2])?, args::int(&args[3])?);
    let Some(value) = read_string(ctx, &args[1])? else {
        return Ok(Reply::bulk(b""));
    };
    Ok(Reply::bulk(substring(value, start, end)))
}

/// The bytes from `start` to `end` inclusive, negative indexes counting from the end.
fn substring(value: &[u8], start: i64, end: i64) -> &[u8] {
    let len = value.len() as i64;
    if len == 0 || (start < 0 && end < 0 && start > end) {
        return &[];
    }
    let resolve = |i: i64| if i < 0 { (len + i).max(0) } else { i };
    let (start, end) = (resolve(start), resolve(end).min(len - 1));
    if start > end {
        return &[];
    }
    &value[start as usize..=end as usize]
}

pub fn setrange(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let key = &args[1];
    let offset = args::int(&args[2])?;
    let offset = usize::try_from(offset).map_err(|_| CmdError::err("offset is out of range"))?;
    let patch = &args[3];
    let current = read_string(ctx, key)?.map(|v| v.to_vec());
    if patch.is_empty() {
        return Ok(Reply::Int(current.map_or(0, |v| v.len() as i64)));
    }
    check_size(offset.saturating_add(patch.len()))?;
    let mut value = current.unwrap_or_default();
    if value.len() < offset + patch.len() {
        value.resize(offset + patch.len(), 0);
    }
    value[offset..offset + patch.len()].copy_from_slice(patch);
    let len = value.len();
    ctx.set(key, Value::Str(SmallBytes::from(value)));
    ctx.changed(key);
    ctx.notify(Class::STRING, "setrange", key);
    ctx.propagate_verbatim(args);
    Ok(Reply::Int(len as i64))
}

#[cfg(test)]
#[path = "strings_tests.rs"]
mod tests;
