//! HRANDFIELD key [count [WITHVALUES]].

use bytes::Bytes;
use rg_resp::Protocol;

use crate::commands::args;
use crate::commands::ctx::Ctx;
use crate::commands::sets::pick::{self, Count};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::value::Value;

/// One random field (nil when the key is missing), or fields chosen as [`Count`] says;
/// WITHVALUES pairs them with their values: flat in RESP2, as two-element arrays in RESP3.
pub fn hrandfield(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let key = &args[1];
    let Some(count) = args.get(2) else {
        return one_field(ctx, key);
    };
    let count = pick::signed_count(count)?;
    let with_values = match &args[3..] {
        [] => false,
        [option] if args::is(option, "WITHVALUES") => true,
        _ => return Err(CmdError::Syntax),
    };
    // Redis refuses counts whose doubled reply length would overflow.
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::err("value is out of range"));
    }
    many_fields(ctx, key, Count::from_signed(count), with_values)
}

fn one_field(ctx: &mut Ctx, key: &[u8]) -> Result<Reply, CmdError> {
    if ctx.read_as(key, Value::as_hash)?.is_none() {
        return Ok(Reply::Nil);
    }
    let field = pick::value_and_rng(ctx, key).and_then(|(value, rng)| {
        let hash = value.as_hash()?;
        pick::one(rng, hash.keys(), hash.len())
    });
    Ok(field.map_or(Reply::Nil, |f| Reply::bulk(f)))
}

fn many_fields(
    ctx: &mut Ctx,
    key: &[u8],
    count: Count,
    with_values: bool,
) -> Result<Reply, CmdError> {
    if ctx.read_as(key, Value::as_hash)?.is_none() {
        return Ok(Reply::Array(Vec::new()));
    }
    let resp3 = ctx.session.protocol == Protocol::Resp3;
    let Some((value, rng)) = pick::value_and_rng(ctx, key) else {
        return Ok(Reply::Array(Vec::new()));
    };
    let Some(hash) = value.as_hash() else {
        return Ok(Reply::Array(Vec::new()));
    };
    let picked = pick::many(rng, hash.iter(), hash.len(), count);
    let items = match (with_values, resp3) {
        (false, _) => picked.into_iter().map(|(f, _)| Reply::bulk(f)).collect(),
        (true, false) => picked
            .into_iter()
            .flat_map(|(f, v)| [Reply::bulk(f), Reply::bulk(v)])
            .collect(),
        (true, true) => picked
            .into_iter()
            .map(|(f, v)| Reply::Array(vec![Reply::bulk(f), Reply::bulk(v)]))
            .collect(),
    };
    Ok(Reply::Array(items))
}
