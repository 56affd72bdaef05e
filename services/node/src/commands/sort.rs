//! SORT and SORT_RO (<https://redis.io/commands/sort/>): the elements of a list, set or
//! sorted set, ordered by their own value or by keys a BY pattern names, optionally
//! replaced by what GET patterns name, answered or (SORT ... STORE) stored as a list.
//!
//! Ordering follows Redis's `sortCompare`: numbers compare as doubles with ties broken by
//! the elements' bytes; ALPHA compares bytes (Redis uses `strcoll`, which is the same in
//! the C locale); a missing BY key sorts as 0, or first under ALPHA. Elements whose order
//! Redis leaves undefined (equal ALPHA weights) keep their stored order here. A BY pattern
//! without `*` (`BY nosort`) skips sorting: lists and sorted sets keep their order (reversed
//! by DESC), and a set stored with STORE or sorted from a script is sorted ALPHA so that
//! neither the stored list nor the script's effects depend on the set's internal order, as
//! in Redis.
//!
//! A stored result is recorded as `DEL dst` then `RPUSH dst element...`, which replicas
//! apply identically whatever their sets' internal order.

mod pattern;

use std::cmp::Ordering;

use bytes::Bytes;

use super::args;
use super::ctx::{Class, Ctx};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::{List, Value};

/// Elements per `RPUSH` record of a stored result.
const RECORD_BATCH: usize = 1024;

#[derive(Debug, Default)]
struct Options<'a> {
    desc: bool,
    alpha: bool,
    /// LIMIT offset count, as given.
    limit: Option<(i64, i64)>,
    store: Option<&'a [u8]>,
    by: Option<&'a [u8]>,
    gets: Vec<&'a [u8]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Set,
    ZSet,
}

/// `SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
/// [STORE destination]`
pub fn sort(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    run(ctx, args, false)
}

/// `SORT_RO key ...`: SORT without STORE.
pub fn sort_ro(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    run(ctx, args, true)
}

fn run(ctx: &mut Ctx, args: &[Bytes], readonly: bool) -> Result<Reply, CmdError> {
    let mut options = parse(&args[2..], readonly)?;
    let (kind, elements) = load(ctx, &args[1])?;
    let mut sorted = options.by.is_none_or(pattern::sorts);
    let in_script = ctx.engine.scripts.running.is_running();
    if !sorted && kind == Kind::Set && (options.store.is_some() || in_script) {
        (sorted, options.alpha, options.by) = (true, true, None);
    }
    let (start, end) = window(options.limit, elements.len());
    let chosen = if sorted {
        let weighed = weigh(ctx, &options, elements)?;
        order(weighed, &options)
            .into_iter()
            .map(|(e, _)| e)
            .collect()
    } else if kind == Kind::Set || !options.desc {
        elements
    } else {
        elements.into_iter().rev().collect()
    };
    let chosen = chosen.get(start..end).unwrap_or_default();
    let output = project(ctx, &options, chosen);
    match options.store {
        None => Ok(Reply::Array(
            output
                .into_iter()
                .map(|v| v.map_or(Reply::Nil, Reply::Bulk))
                .collect(),
        )),
        Some(dst) => Ok(store(ctx, dst, output)),
    }
}

/// The options, in any order; LIMIT's numbers are checked as they are read.
fn parse(args: &[Bytes], readonly: bool) -> Result<Options<'_>, CmdError> {
    let mut options = Options::default();
    let mut i = 0;
    while i < args.len() {
        let (option, left) = (&args[i], args.len() - i - 1);
        if args::is(option, "ASC") {
            options.desc = false;
        } else if args::is(option, "DESC") {
            options.desc = true;
        } else if args::is(option, "ALPHA") {
            options.alpha = true;
        } else if args::is(option, "LIMIT") && left >= 2 {
            options.limit = Some((args::int(&args[i + 1])?, args::int(&args[i + 2])?));
            i += 2;
        } else if !readonly && args::is(option, "STORE") && left >= 1 {
            options.store = Some(&args[i + 1]);
            i += 1;
        } else if args::is(option, "BY") && left >= 1 {
            options.by = Some(&args[i + 1]);
            i += 1;
        } else if args::is(option, "GET") && left >= 1 {
            options.gets.push(&args[i + 1]);
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    Ok(options)
}

/// The elements in their stored order (a set's is its iteration order); a missing key
/// sorts as an empty list.
fn load(ctx: &mut Ctx, key: &[u8]) -> Result<(Kind, Vec<SmallBytes>), CmdError> {
    Ok(match ctx.read(key) {
        None => (Kind::List, Vec::new()),
        Some(Value::List(list)) => (Kind::List, list.iter().cloned().collect()),
        Some(Value::Set(set)) => (Kind::Set, set.iter().cloned().collect()),
        Some(Value::ZSet(zset)) => (Kind::ZSet, zset.iter().map(|(m, _)| m.clone()).collect()),
        Some(_) => return Err(CmdError::WrongType),
    })
}

/// The half-open range of positions LIMIT selects, clamped as Redis clamps it.
fn window(limit: Option<(i64, i64)>, len: usize) -> (usize, usize) {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let (offset, count) = limit.unwrap_or((0, -1));
    let start = offset.clamp(0, len);
    let count = count.clamp(-1, len);
    let end = if count < 0 { len } else { start + count }.min(len);
    let start = usize::try_from(start).unwrap_or(0);
    (start, usize::try_from(end).unwrap_or(0).max(start))
}

/// What an element sorts by.
#[derive(Debug, Clone, PartialEq)]
enum Weight {
    Number(f64),
    /// ALPHA by a BY pattern: the looked-up value, None when missing.
    Text(Option<Bytes>),
    /// ALPHA without BY: the element itself.
    Itself,
}

fn weigh(
    ctx: &mut Ctx,
    options: &Options,
    elements: Vec<SmallBytes>,
) -> Result<Vec<(SmallBytes, Weight)>, CmdError> {
    let mut unreadable = false;
    let mut weighed = Vec::with_capacity(elements.len());
    for element in elements {
        let by = match options.by {
            Some(by) => pattern::lookup(ctx, by, &element),
            None => Some(Bytes::copy_from_slice(&element)),
        };
        let weight = match (options.alpha, options.by) {
            (true, Some(_)) => Weight::Text(by),
            (true, None) => Weight::Itself,
            (false, _) => Weight::Number(match by {
                None => 0.0,
                Some(text) => pattern::weight(&text).unwrap_or_else(|| {
                    unreadable = true;
                    0.0
                }),
            }),
        };
        weighed.push((element, weight));
    }
    // Redis sorts first and complains after; nothing it would have done is visible.
    if unreadable {
        return Err(CmdError::err(
            "One or more scores can't be converted into double",
        ));
    }
    Ok(weighed)
}

fn order(mut weighed: Vec<(SmallBytes, Weight)>, options: &Options) -> Vec<(SmallBytes, Weight)> {
    weighed.sort_by(|a, b| {
        let ordering = compare(a, b);
        if options.desc {
            ordering.reverse()
        } else {
            ordering
        }
    });
    weighed
}

fn compare((a, wa): &(SmallBytes, Weight), (b, wb): &(SmallBytes, Weight)) -> Ordering {
    match (wa, wb) {
        (Weight::Number(x), Weight::Number(y)) => x
            .partial_cmp(y)
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.as_slice().cmp(b.as_slice())),
        (Weight::Text(x), Weight::Text(y)) => x.cmp(y),
        _ => a.as_slice().cmp(b.as_slice()),
    }
}

/// Each chosen element, or what each GET pattern names for it (None: nothing there).
fn project(ctx: &mut Ctx, options: &Options, chosen: &[SmallBytes]) -> Vec<Option<Bytes>> {
    if options.gets.is_empty() {
        return chosen
            .iter()
            .map(|e| Some(Bytes::copy_from_slice(e)))
            .collect();
    }
    let mut output = Vec::with_capacity(chosen.len() * options.gets.len());
    for element in chosen {
        for get in &options.gets {
            output.push(pattern::lookup(ctx, get, element));
        }
    }
    output
}

/// Replaces `dst` with the output as a list (missing values as empty strings), or
/// deletes it when the output is empty; answers the output's length.
fn store(ctx: &mut Ctx, dst: &[u8], output: Vec<Option<Bytes>>) -> Reply {
    let len = output.len();
    if output.is_empty() {
        if ctx.delete(dst) {
            ctx.changed(dst);
            ctx.notify(Class::GENERIC, "del", dst);
            ctx.propagate_parts(&[b"DEL", dst]);
        }
        return Reply::Int(0);
    }
    let items: Vec<Bytes> = output.into_iter().map(Option::unwrap_or_default).collect();
    let list: List = items.iter().map(|i| SmallBytes::new(i)).collect();
    ctx.set_persistent(dst, Value::List(Box::new(list)));
    ctx.changed(dst);
    ctx.notify(Class::LIST, "sortstore", dst);
    if ctx.recording() {
        ctx.propagate_parts(&[b"DEL", dst]);
        for batch in items.chunks(RECORD_BATCH) {
            let head = [Bytes::from_static(b"RPUSH"), Bytes::copy_from_slice(dst)];
            ctx.propagate(head.into_iter().chain(batch.iter().cloned()).collect());
        }
    }
    Reply::Int(i64::try_from(len).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests;
