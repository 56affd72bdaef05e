//! LMPOP and BLMPOP: pop up to a count of elements from the first non-empty of several
//! lists (<https://redis.io/commands/lmpop/>, <https://redis.io/commands/blmpop/>).
//!
//! The reply is `[key, [element...]]`, a null array when every list is empty; the effect
//! is recorded as `LPOP key n` (or `RPOP`) with the number actually popped.

use bytes::Bytes;

use super::pop_some;
use crate::commands::args;
use crate::commands::blocked::block;
use crate::commands::ctx::{Ctx, Response};
use crate::commands::mpop_args::{self, Mpop};
use crate::engine::blocking::BlockOp;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;

/// `LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]`
pub fn lmpop(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let request = mpop_args::parse(args, 1, mpop_args::list_end)?;
    Ok(pop_first(ctx, &request)?.unwrap_or(Reply::NilArray))
}

/// `BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]`: the timeout is read
/// after the other arguments, as Redis does. Inside EXEC it answers a null array at once.
pub fn blmpop(ctx: &mut Ctx, args: &[Bytes]) -> Result<Response, CmdError> {
    let request = mpop_args::parse(args, 2, mpop_args::list_end)?;
    let timeout = args::timeout_ms(&args[1])?;
    if let Some(reply) = pop_first(ctx, &request)? {
        return Ok(reply.into());
    }
    if ctx.in_exec {
        return Ok(Reply::NilArray.into());
    }
    let op = BlockOp::Pop {
        left: request.end,
        count: Some(request.count),
    };
    Ok(block(ctx, request.keys, op, timeout))
}

/// Pops from the first key holding a list; a key of another type met first is WRONGTYPE.
fn pop_first(ctx: &mut Ctx, request: &Mpop) -> Result<Option<Reply>, CmdError> {
    let count = Some(request.count as u64);
    for key in request.keys {
        let Some(items) = pop_some(ctx, key, request.end, count)? else {
            continue;
        };
        let items = Reply::bulks(items.iter().map(|i| i.as_slice()));
        return Ok(Some(Reply::Array(vec![Reply::bulk(key), items])));
    }
    Ok(None)
}
