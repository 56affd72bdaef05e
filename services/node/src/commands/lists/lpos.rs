//! LPOS key element [RANK rank] [COUNT num] [MAXLEN len]
//! (<https://redis.io/commands/lpos/>).

use bytes::Bytes;

use super::len_int;
use crate::commands::args;
use crate::commands::ctx::Ctx;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::Value;

const RANK_ZERO: &str = "RANK can't be zero: use 1 to start from the first match, 2 from the \
                         second ... or use negative to start from the end of the list";

#[derive(Debug, PartialEq)]
struct Options {
    /// Which match to start from: 1 is the first from the head, -1 the first from the tail.
    rank: i64,
    /// How many positions to answer (0: all); None answers one position, not an array.
    count: Option<u64>,
    /// How many elements to compare at most (0: the whole list).
    maxlen: u64,
}

pub fn lpos(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let options = parse(&args[3..])?;
    let found = match ctx.read_as(&args[1], Value::as_list)? {
        Some(list) if options.rank > 0 => matches(list.iter().enumerate(), &args[2], &options),
        Some(list) => matches(list.iter().enumerate().rev(), &args[2], &options),
        None => Vec::new(),
    };
    let mut found = found.into_iter().map(|at| Reply::Int(len_int(at)));
    Ok(match options.count {
        Some(_) => Reply::Array(found.collect()),
        None => found.next().unwrap_or(Reply::Nil),
    })
}

/// Options are checked one by one as Redis does, so the first bad one decides the error,
/// even when the key does not exist.
fn parse(rest: &[Bytes]) -> Result<Options, CmdError> {
    let mut options = Options {
        rank: 1,
        count: None,
        maxlen: 0,
    };
    for pair in rest.chunks(2) {
        let [name, value] = pair else {
            return Err(CmdError::Syntax);
        };
        if args::is(name, "RANK") {
            options.rank = args::int(value)?;
            if options.rank == 0 {
                return Err(CmdError::err(RANK_ZERO));
            }
        } else if args::is(name, "COUNT") {
            options.count = Some(non_negative(value, "COUNT can't be negative")?);
        } else if args::is(name, "MAXLEN") {
            options.maxlen = non_negative(value, "MAXLEN can't be negative")?;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(options)
}

/// COUNT and MAXLEN: Redis answers `message` for a non-number as well as a negative.
fn non_negative(arg: &[u8], message: &'static str) -> Result<u64, CmdError> {
    args::parse_int(arg)
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| CmdError::err(message))
}

/// The offsets of the wanted matches, walking `items` (offset, element) in search order.
fn matches<'a>(
    items: impl Iterator<Item = (usize, &'a SmallBytes)>,
    element: &[u8],
    options: &Options,
) -> Vec<usize> {
    let as_limit = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let compared = match options.maxlen {
        0 => usize::MAX,
        n => as_limit(n),
    };
    let wanted = match options.count {
        None => 1,
        Some(0) => usize::MAX,
        Some(n) => as_limit(n),
    };
    let skipped = as_limit(options.rank.unsigned_abs() - 1);
    items
        .take(compared)
        .filter(|(_, item)| item.as_slice() == element)
        .skip(skipped)
        .take(wanted)
        .map(|(at, _)| at)
        .collect()
}
