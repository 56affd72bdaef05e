//! XADD, XTRIM, XDEL and XSETID (<https://redis.io/commands/xadd/>).

use bytes::Bytes;

use super::{id_reply, invalid_id, strict_id, text};
use crate::commands::args::{self, is};
use crate::commands::ctx::Ctx;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::stream::id::Parsed;
use crate::engine::stream::{Stream, StreamId, Trim};
use crate::engine::value::Value;

/// What XADD and XTRIM share: the trim strategy and its options, and XADD's own.
#[derive(Debug, Default)]
struct AddArgs {
    trim: Option<Trim>,
    approx: bool,
    /// 0: no limit.
    limit: u64,
    /// Where the MAXLEN or MINID value is, and where LIMIT's words are.
    trim_at: usize,
    limit_at: Option<usize>,
    no_mkstream: bool,
    /// None: `*`.
    id: Option<Parsed>,
    /// Where the ID argument is (XADD).
    id_at: usize,
}

fn line(text: &'static str) -> CmdError {
    CmdError::Line(text.into())
}

/// Redis's `streamParseAddOrTrimArgsOrReply`.
fn parse(ctx: &Ctx, args: &[Bytes], xadd: bool) -> Result<AddArgs, CmdError> {
    let mut out = AddArgs::default();
    let mut limit_given = false;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = &args[i][..];
        if xadd && opt == b"*" {
            break;
        } else if (is(opt, "maxlen") || is(opt, "minid")) && more > 0 {
            if out.trim.is_some() {
                return Err(line(
                    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            out.approx = false;
            let next = &args[i + 1][..];
            if more >= 2 && next == b"~" {
                out.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            let value = &args[i + 1];
            out.trim = Some(if is(opt, "maxlen") {
                let max = args::int(value)?;
                let max = u64::try_from(max)
                    .map_err(|_| CmdError::err("The MAXLEN argument must be >= 0."))?;
                Trim::MaxLen(max)
            } else {
                Trim::MinId(strict_id(value)?)
            });
            i += 1;
            out.trim_at = i;
        } else if is(opt, "limit") && more > 0 {
            let limit = args::int(&args[i + 1])?;
            out.limit = u64::try_from(limit)
                .map_err(|_| CmdError::err("The LIMIT argument must be >= 0."))?;
            limit_given = true;
            out.limit_at = Some(i);
            i += 1;
        } else if xadd && is(opt, "nomkstream") {
            out.no_mkstream = true;
        } else if xadd {
            let id = StreamId::parse_full(opt, 0, true, true).ok_or_else(invalid_id)?;
            out.id = Some(id);
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    out.id_at = i;
    if out.limit > 0 && out.trim.is_none() {
        return Err(line(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && out.trim.is_none() {
        return Err(line(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if ctx.from_primary {
        // The primary made its trims exact before sending them.
        out.limit = 0;
    } else if limit_given {
        if !out.approx {
            return Err(line(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
    } else if out.approx {
        out.limit = 10_000;
    }
    Ok(out)
}

/// `XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value...`
pub fn xadd(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let parsed = parse(ctx, args, true)?;
    let fields_at = parsed.id_at + 1;
    if args.len() < fields_at + 2 || (args.len() - fields_at) % 2 == 1 {
        return Err(CmdError::WrongArity("xadd".into()));
    }
    if parsed.id == Some(Parsed::Id(StreamId::ZERO)) {
        return Err(CmdError::err(
            "The ID specified in XADD must be greater than 0-0",
        ));
    }
    let key = &args[1];
    let now = ctx.now;
    let stream = if parsed.no_mkstream {
        match ctx.write_as(key, Value::as_stream_mut)? {
            Some(stream) => stream,
            None => return Ok(Reply::Nil),
        }
    } else {
        ctx.write_or_create(key, Value::new_stream, Value::as_stream_mut)?
    };
    if stream.last_id == StreamId::MAX {
        return Err(CmdError::err(
            "The stream has exhausted the last possible ID, unable to add more items",
        ));
    }
    let id = new_id(stream, parsed.id, now)?;
    stream.append(id, &args[fields_at..]);
    if let Some(trim) = parsed.trim {
        stream.trim(trim, parsed.approx, parsed.limit);
    }
    let exact_value = exact_threshold(stream, parsed.trim);
    ctx.changed(key);
    if ctx.recording() {
        let mut record = args.to_vec();
        record[parsed.id_at] = id.to_bytes();
        if parsed.approx {
            record[parsed.trim_at - 1] = Bytes::from_static(b"=");
            record[parsed.trim_at] = exact_value;
            if let Some(at) = parsed.limit_at {
                record.drain(at..at + 2);
            }
        }
        ctx.propagate(record);
    }
    Ok(id_reply(id))
}

/// The ID the new entry gets: `*`, `<ms>-*` or given; it must be above the last one.
fn new_id(stream: &Stream, given: Option<Parsed>, now: u64) -> Result<StreamId, CmdError> {
    let too_small = || {
        CmdError::err(
            "The ID specified in XADD is equal or smaller than the target stream top item",
        )
    };
    let last = stream.last_id;
    let id = match given {
        None => return stream.next_auto_id(now).ok_or_else(too_small),
        Some(Parsed::AutoSeq(ms)) if ms == last.ms => {
            last.next().filter(|n| n.ms == ms).ok_or_else(too_small)?
        }
        Some(Parsed::AutoSeq(ms)) => StreamId::new(ms, 0),
        Some(Parsed::Id(id)) => id,
    };
    if id <= last {
        return Err(too_small());
    }
    Ok(id)
}

/// What an approximate trim left, as the threshold of an exact one that leaves the same:
/// the length for MAXLEN, the first ID for MINID (`streamRewriteTrimArgument`).
fn exact_threshold(stream: &Stream, trim: Option<Trim>) -> Bytes {
    match trim {
        Some(Trim::MinId(_)) => stream
            .first()
            .map_or(StreamId::MAX, |(id, _)| id)
            .to_bytes(),
        _ => super::num(stream.len()),
    }
}

/// `XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]`
pub fn xtrim(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let parsed = parse(ctx, args, false)?;
    let key = &args[1];
    let Some(stream) = ctx.write_as(key, Value::as_stream_mut)? else {
        return Ok(Reply::Int(0));
    };
    let Some(trim) = parsed.trim else {
        return Err(CmdError::Syntax);
    };
    let deleted = stream.trim(trim, parsed.approx, parsed.limit);
    let exact_value = exact_threshold(stream, parsed.trim);
    if deleted > 0 {
        ctx.changed(key);
        if ctx.recording() {
            let strategy: &'static [u8] = match trim {
                Trim::MaxLen(_) => b"MAXLEN",
                Trim::MinId(_) => b"MINID",
            };
            let mut record = vec![
                Bytes::from_static(b"XTRIM"),
                text(key),
                Bytes::from_static(strategy),
                Bytes::from_static(b"="),
            ];
            record.push(if parsed.approx {
                exact_value
            } else {
                args[parsed.trim_at].clone()
            });
            ctx.propagate(record);
        }
    }
    Ok(Reply::Int(deleted as i64))
}

/// `XDEL key id...`
pub fn xdel(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let key = &args[1];
    if ctx.write_as(key, Value::as_stream_mut)?.is_none() {
        return Ok(Reply::Int(0));
    }
    let ids = args[2..]
        .iter()
        .map(|a| strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(stream) = ctx.write_as(key, Value::as_stream_mut)? else {
        return Ok(Reply::Int(0));
    };
    let deleted = ids.into_iter().filter(|&id| stream.delete(id)).count();
    if deleted > 0 {
        ctx.changed(key);
        ctx.propagate_verbatim(args);
    }
    Ok(Reply::Int(deleted as i64))
}

/// `XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]`
pub fn xsetid(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let id = strict_id(&args[2])?;
    let mut entries_added = None;
    let mut max_deleted = StreamId::ZERO;
    let mut i = 3;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if is(&args[i], "ENTRIESADDED") && more > 0 {
            let added = args::int(&args[i + 1])?;
            let added = u64::try_from(added)
                .map_err(|_| CmdError::err("entries_added must be positive"))?;
            entries_added = Some(added);
        } else if is(&args[i], "MAXDELETEDID") && more > 0 {
            max_deleted = strict_id(&args[i + 1])?;
            if id < max_deleted {
                return Err(CmdError::err(
                    "The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let key = &args[1];
    let stream = ctx
        .write_as(key, Value::as_stream_mut)?
        .ok_or(CmdError::NoSuchKey)?;
    if !stream.is_empty() {
        if id < stream.last_valid_id() {
            return Err(CmdError::err(
                "The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added.is_some_and(|added| (stream.len() as u64) > added) {
            return Err(CmdError::err(
                "The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    stream.last_id = id;
    if let Some(added) = entries_added {
        stream.entries_added = added;
    }
    if !max_deleted.is_zero() {
        stream.max_deleted_id = max_deleted;
    }
    ctx.changed(key);
    ctx.propagate_verbatim(args);
    Ok(Reply::Ok)
}
