//! Stream commands (<https://redis.io/commands/?group=stream>), as Redis 7.0 answers them.
//!
//! Layout: [`add`] (XADD, XTRIM, XDEL, XSETID), [`range`] (XRANGE, XREVRANGE), [`read`]
//! (XREAD, XREADGROUP, and serving their blocked clients), [`groups`] (XGROUP, XACK),
//! [`pending`] (XPENDING), [`claim`] (XCLAIM, XAUTOCLAIM), [`info`] (XINFO); XLEN and
//! what they share are here.
//!
//! Writes record what Redis 7 propagates: XADD with its concrete ID and an approximate trim
//! made exact; the group commands as `XCLAIM key group consumer 0 id TIME t RETRYCOUNT n
//! FORCE JUSTID LASTID id` per pending entry they changed, `XGROUP SETID key group id
//! ENTRIESREAD n` for a moved group, and `XGROUP CREATECONSUMER` for a consumer they made.

mod add;
mod claim;
mod groups;
mod info;
mod pending;
mod range;
mod read;

use bytes::Bytes;

pub use self::add::{xadd, xdel, xsetid, xtrim};
pub use self::claim::{xautoclaim, xclaim};
pub use self::groups::{xack, xgroup};
pub use self::info::xinfo;
pub use self::pending::xpending;
pub use self::range::{xrange, xrevrange};
pub(super) use self::read::serve;
pub use self::read::{xread, xreadgroup};
use super::ctx::Ctx;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::stream::id::INVALID_ID;
use crate::engine::stream::{Fields, Group, Pending, StreamId};
use crate::engine::value::Value;
use crate::engine::Engine;

/// `XLEN key`
pub fn xlen(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let len = ctx
        .read_as(&args[1], Value::as_stream)?
        .map_or(0, |s| s.len());
    Ok(Reply::Int(len as i64))
}

fn invalid_id() -> CmdError {
    CmdError::Line(INVALID_ID.into())
}

/// An ID where `-` and `+` are allowed; a bare `<ms>` takes `missing_seq`.
fn id_arg(arg: &[u8], missing_seq: u64) -> Result<StreamId, CmdError> {
    StreamId::parse(arg, missing_seq).ok_or_else(invalid_id)
}

/// An ID without `-` and `+`.
fn strict_id(arg: &[u8]) -> Result<StreamId, CmdError> {
    StreamId::parse_strict(arg, 0).ok_or_else(invalid_id)
}

/// An interval bound: `(id` excludes the ID (strictly parsed), anything else is [`id_arg`].
fn bound_arg(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), CmdError> {
    if arg.len() > 1 && arg[0] == b'(' {
        let id = StreamId::parse_strict(&arg[1..], missing_seq).ok_or_else(invalid_id)?;
        return Ok((id, true));
    }
    Ok((id_arg(arg, missing_seq)?, false))
}

/// The first ID of an interval, moved past an exclusive bound.
fn start_bound(arg: &[u8]) -> Result<StreamId, CmdError> {
    match bound_arg(arg, 0)? {
        (id, false) => Ok(id),
        (id, true) => id
            .next()
            .ok_or_else(|| CmdError::err("invalid start ID for the interval")),
    }
}

/// The last ID of an interval, moved before an exclusive bound.
fn end_bound(arg: &[u8]) -> Result<StreamId, CmdError> {
    match bound_arg(arg, u64::MAX)? {
        (id, false) => Ok(id),
        (id, true) => id
            .prev()
            .ok_or_else(|| CmdError::err("invalid end ID for the interval")),
    }
}

fn id_reply(id: StreamId) -> Reply {
    Reply::Bulk(id.to_bytes())
}

/// `[id, [field, value...]]`
fn entry_reply(id: StreamId, fields: Fields) -> Reply {
    Reply::Array(vec![id_reply(id), Reply::bulks(fields.iter())])
}

fn nogroup(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::Line(
        format!(
            "NOGROUP No such key '{}' or consumer group '{}'",
            String::from_utf8_lossy(key),
            String::from_utf8_lossy(group)
        )
        .into(),
    )
}

fn text(bytes: &[u8]) -> Bytes {
    Bytes::copy_from_slice(bytes)
}

fn num(value: impl itoa::Integer) -> Bytes {
    text(itoa::Buffer::new().format(value).as_bytes())
}

/// `XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE JUSTID LASTID last`: what
/// Redis propagates for a pending entry that was delivered, claimed or dropped.
fn xclaim_record(key: &[u8], name: &[u8], group: &Group, id: StreamId, p: &Pending) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"XCLAIM"),
        text(key),
        text(name),
        text(&p.consumer),
        Bytes::from_static(b"0"),
        id.to_bytes(),
        Bytes::from_static(b"TIME"),
        num(p.delivery_time),
        Bytes::from_static(b"RETRYCOUNT"),
        num(p.delivery_count),
        Bytes::from_static(b"FORCE"),
        Bytes::from_static(b"JUSTID"),
        Bytes::from_static(b"LASTID"),
        group.last_id.to_bytes(),
    ]
}

/// `XGROUP SETID key group id ENTRIESREAD n`
fn setid_record(key: &[u8], name: &[u8], group: &Group) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"XGROUP"),
        Bytes::from_static(b"SETID"),
        text(key),
        text(name),
        group.last_id.to_bytes(),
        Bytes::from_static(b"ENTRIESREAD"),
        num(group.entries_read.map_or(-1, |r| r as i64)),
    ]
}

/// `XGROUP CREATECONSUMER key group consumer`
fn createconsumer_record(key: &[u8], name: &[u8], consumer: &[u8]) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"XGROUP"),
        Bytes::from_static(b"CREATECONSUMER"),
        text(key),
        text(name),
        text(consumer),
    ]
}

fn propagate_all(engine: &mut Engine, db: usize, records: Vec<Vec<Bytes>>) {
    if engine.records.is_some() {
        records
            .into_iter()
            .for_each(|record| engine.propagate(db, record));
    }
}

#[cfg(test)]
mod tests;
