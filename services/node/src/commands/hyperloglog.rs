//! HyperLogLog commands: https://redis.io/commands/?group=hyperloglog
//!
//! A HyperLogLog is a string in Redis's own layout, so its bytes are the same as
//! redis-server's after the same commands, and a value copied from redis-server works here.
//!
//! - [`header`]: the 16-byte header, its checks and the cached cardinality.
//! - [`murmur`]: the element hash.
//! - [`dense`] and [`sparse`]: the two register encodings.
//! - [`sketch`]: adding, merging, converting and counting over either encoding.
//! - [`estimate`]: the cardinality estimator.
//! - [`selftest`]: PFSELFTEST's checks.

mod dense;
mod estimate;
mod header;
mod murmur;
mod selftest;
mod sketch;
mod sparse;
#[cfg(test)]
mod tests;

use bytes::Bytes;

use self::header::{Encoding, HllError, HEADER_LEN, REGISTERS};
use super::args::is;
use super::ctx::{Class, Ctx};
use super::string_bytes;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::Value;

impl From<HllError> for CmdError {
    fn from(error: HllError) -> CmdError {
        CmdError::Line(error.to_string().into())
    }
}

/// The HyperLogLog at `key`, checked; None when the key is missing.
fn read<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c [u8]>, CmdError> {
    let Some(bytes) = ctx.read_as(key, Value::as_str)? else {
        return Ok(None);
    };
    header::check(bytes)?;
    Ok(Some(bytes))
}

/// Runs `change` on the HyperLogLog at `key` (which must exist and be valid). On an error
/// the value is left as it was: Redis may keep a half-done change, which would then differ
/// from what a replica holds.
fn edit<R>(
    ctx: &mut Ctx,
    key: &[u8],
    change: impl FnOnce(&mut Vec<u8>) -> Result<R, HllError>,
) -> Result<R, CmdError> {
    let result = string_bytes::edit(ctx, key, |bytes| {
        let before = (header::check(bytes) == Ok(Encoding::Sparse)).then(|| bytes.clone());
        let result = change(bytes);
        if let (Err(_), Some(before)) = (&result, before) {
            *bytes = before;
        }
        result
    })?;
    Ok(result.ok_or(CmdError::NoSuchKey)??)
}

/// `hll-sparse-max-bytes`: how long a sparse string may grow before it turns dense.
fn sparse_max_bytes(ctx: &Ctx) -> usize {
    usize::try_from(ctx.engine.settings.extra.int("hll-sparse-max-bytes")).unwrap_or(0)
}

/// PFADD key [element ...]
pub fn pfadd(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let key = &args[1];
    let created = read(ctx, key)?.is_none();
    let max_bytes = sparse_max_bytes(ctx);
    if created {
        ctx.set_persistent(key, Value::Str(SmallBytes::from(sketch::empty())));
    }
    let updated = edit(ctx, key, |bytes| {
        let mut updated = created;
        for element in &args[2..] {
            updated |= sketch::add_within(bytes, element, max_bytes)?;
        }
        // Even a PFADD that only created the key marks the (zero) count stale, as in Redis.
        if updated {
            header::invalidate_cache(bytes);
        }
        Ok(updated)
    })?;
    if updated {
        ctx.changed(key);
        ctx.notify(Class::STRING, "pfadd", key);
        ctx.propagate_verbatim(args);
    }
    Ok(Reply::Int(i64::from(updated)))
}

/// PFCOUNT key [key ...]
pub fn pfcount(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    if args.len() > 2 {
        return count_union(ctx, &args[1..]);
    }
    let key = &args[1];
    let Some(bytes) = read(ctx, key)? else {
        return Ok(Reply::Int(0));
    };
    if let Some(cached) = header::cached(bytes) {
        return Ok(Reply::Int(cached as i64));
    }
    let count = sketch::count(bytes)?;
    // Redis caches the count in the value and replicates the PFCOUNT. A replica caches only
    // what its primary sends, so that its bytes stay the primary's.
    if !ctx.engine.repl.is_replica() || ctx.from_primary {
        edit(ctx, key, |bytes| {
            header::store_cache(bytes, count);
            Ok(())
        })?;
        ctx.changed(key);
        ctx.propagate_verbatim(args);
    }
    Ok(Reply::Int(count as i64))
}

/// The count of the union of several HyperLogLogs; writes nothing.
fn count_union(ctx: &mut Ctx, keys: &[Bytes]) -> Result<Reply, CmdError> {
    let mut max = Box::new([0u8; REGISTERS]);
    for key in keys {
        if let Some(bytes) = read(ctx, key)? {
            sketch::merge_into(bytes, &mut max)?;
        }
    }
    Ok(Reply::Int(sketch::count_registers(&max) as i64))
}

/// PFMERGE destkey [sourcekey ...]
pub fn pfmerge(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let (mut max, mut dense) = (Box::new([0u8; REGISTERS]), false);
    // The destination is a source too, as in Redis.
    for key in &args[1..] {
        if let Some(bytes) = read(ctx, key)? {
            dense |= header::check(bytes)? == Encoding::Dense;
            sketch::merge_into(bytes, &mut max)?;
        }
    }
    let dest = &args[1];
    let max_bytes = sparse_max_bytes(ctx);
    if ctx.find(dest).is_none() {
        ctx.set_persistent(dest, Value::Str(SmallBytes::from(sketch::empty())));
    }
    edit(ctx, dest, |bytes| {
        if dense {
            sketch::to_dense(bytes)?;
        }
        for (index, &value) in max.iter().enumerate().filter(|(_, &v)| v > 0) {
            sketch::raise_within(bytes, index, value, max_bytes)?;
        }
        header::invalidate_cache(bytes);
        Ok(())
    })?;
    ctx.changed(dest);
    // Redis names a merge's event after PFADD.
    ctx.notify(Class::STRING, "pfadd", dest);
    ctx.propagate_verbatim(args);
    Ok(Reply::Ok)
}

/// PFDEBUG GETREG | DECODE | ENCODING | TODENSE key
pub fn pfdebug(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let (sub, key) = (&args[1], &args[2]);
    let encoding = match read(ctx, key)? {
        Some(bytes) => header::check(bytes)?,
        None => return Err(CmdError::err("The specified key does not exist")),
    };
    let converts = is(sub, "GETREG") || is(sub, "TODENSE");
    if converts && encoding == Encoding::Sparse {
        edit(ctx, key, sketch::to_dense)?;
        ctx.changed(key);
        ctx.propagate_verbatim(args);
    }
    let bytes = read(ctx, key)?.ok_or(CmdError::NoSuchKey)?;
    if is(sub, "GETREG") {
        let registers = sketch::registers(bytes)?;
        return Ok(Reply::Array(
            registers
                .iter()
                .map(|&r| Reply::Int(i64::from(r)))
                .collect(),
        ));
    }
    if is(sub, "TODENSE") {
        return Ok(Reply::Int(i64::from(encoding == Encoding::Sparse)));
    }
    if is(sub, "ENCODING") {
        return Ok(Reply::Status(encoding.name().to_string()));
    }
    if is(sub, "DECODE") {
        if encoding != Encoding::Sparse {
            return Err(CmdError::err("HLL encoding is not sparse"));
        }
        return Ok(Reply::Bulk(sparse::describe(&bytes[HEADER_LEN..]).into()));
    }
    Err(CmdError::err(format!(
        "Unknown PFDEBUG subcommand '{}'",
        String::from_utf8_lossy(sub)
    )))
}

/// PFSELFTEST
pub fn pfselftest(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    selftest::run().map_err(|failure| CmdError::Line(format!("TESTFAILED {failure}").into()))?;
    Ok(Reply::Ok)
}
