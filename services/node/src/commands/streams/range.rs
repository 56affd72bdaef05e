//! XRANGE and XREVRANGE (<https://redis.io/commands/xrange/>).

use bytes::Bytes;

use super::{end_bound, entry_reply, start_bound};
use crate::commands::args::{self, is};
use crate::commands::ctx::Ctx;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::value::Value;

/// `XRANGE key start end [COUNT count]`
pub fn xrange(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    range(ctx, args, false)
}

/// `XREVRANGE key end start [COUNT count]`
pub fn xrevrange(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    range(ctx, args, true)
}

fn range(ctx: &mut Ctx, args: &[Bytes], rev: bool) -> Result<Reply, CmdError> {
    let (start_arg, end_arg) = if rev {
        (&args[3], &args[2])
    } else {
        (&args[2], &args[3])
    };
    let start = start_bound(start_arg)?;
    let end = end_bound(end_arg)?;
    let mut count: Option<usize> = None;
    let mut i = 4;
    while i < args.len() {
        if is(&args[i], "COUNT") && i + 1 < args.len() {
            count = Some(args::int(&args[i + 1])?.max(0) as usize);
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let Some(stream) = ctx.read_as(&args[1], Value::as_stream)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    if count == Some(0) {
        return Ok(Reply::NilArray);
    }
    let limit = count.unwrap_or(usize::MAX);
    let entries: Vec<Reply> = if rev {
        stream
            .range_rev(start, end)
            .take(limit)
            .map(|(id, f)| entry_reply(id, f))
            .collect()
    } else {
        stream
            .range(start, end)
            .take(limit)
            .map(|(id, f)| entry_reply(id, f))
            .collect()
    };
    Ok(Reply::Array(entries))
}
