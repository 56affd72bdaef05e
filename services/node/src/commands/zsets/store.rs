//! Commands that store a sorted set at a destination: ZRANGESTORE, ZUNIONSTORE and
//! ZINTERSTORE (<https://redis.io/commands/zunionstore/>).
//!
//! The destination is replaced whatever it held (and loses its expiry), or deleted when the
//! result is empty. The effect is recorded as `DEL dst` then `ZADD dst score member...`.

use bytes::Bytes;
use hashbrown::hash_map::Entry;
use hashbrown::HashMap;

use super::range::{Form, Query};
use super::record_zadd;
use crate::commands::args;
use crate::commands::ctx::Ctx;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::value::{Set, Value};
use crate::engine::zset::ZSet;

/// `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`
pub fn zrangestore(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let form = Form {
        kind: None,
        rev: None,
        store: true,
    };
    let query = Query::parse(args, 3, form)?;
    let mut result = ZSet::default();
    if let Some(source) = ctx.read_as(&args[2], Value::as_zset)? {
        for (member, score) in query.select(source) {
            result.insert(member, score);
        }
    }
    Ok(store(ctx, &args[1], result))
}

/// `ZUNIONSTORE dst numkeys key... [WEIGHTS w...] [AGGREGATE SUM|MIN|MAX]`
pub fn zunionstore(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    combine(ctx, args, "zunionstore", union)
}

/// `ZINTERSTORE dst numkeys key... [WEIGHTS w...] [AGGREGATE SUM|MIN|MAX]`
pub fn zinterstore(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    combine(ctx, args, "zinterstore", inter)
}

/// Replaces `dst` with `result` (deleting it when empty) and answers the result's size.
fn store(ctx: &mut Ctx, dst: &[u8], result: ZSet) -> Reply {
    let len = result.len();
    if len == 0 {
        if ctx.delete(dst) {
            ctx.changed(dst);
            ctx.propagate_parts(&[b"DEL", dst]);
        }
        return Reply::Int(0);
    }
    let members: Vec<(Bytes, f64)> = if ctx.recording() {
        result
            .iter()
            .map(|(m, s)| (Bytes::copy_from_slice(m), s))
            .collect()
    } else {
        Vec::new()
    };
    ctx.set_persistent(dst, Value::ZSet(Box::new(result)));
    ctx.changed(dst);
    ctx.propagate_parts(&[b"DEL", dst]);
    record_zadd(ctx, dst, members.iter().map(|(m, s)| (&m[..], *s)));
    Reply::Int(len as i64)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Redis's `zunionInterAggregate`: a sum of `inf` and `-inf` is 0, and a NaN operand
    /// never wins MIN or MAX.
    fn fold(self, target: &mut f64, value: f64) {
        match self {
            Aggregate::Sum => {
                *target += value;
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min if value < *target => *target = value,
            Aggregate::Max if value > *target => *target = value,
            Aggregate::Min | Aggregate::Max => {}
        }
    }
}

/// An input: a sorted set, or a set whose members all score 1.
#[derive(Clone, Copy)]
enum Source<'a> {
    Missing,
    Sorted(&'a ZSet),
    Plain(&'a Set),
}

impl<'a> Source<'a> {
    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::Sorted(z) => z.len(),
            Source::Plain(s) => s.len(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::Sorted(z) => z.score(member),
            Source::Plain(s) => s.contains(member).then_some(1.0),
        }
    }

    fn entries(self) -> Box<dyn Iterator<Item = (&'a [u8], f64)> + 'a> {
        match self {
            Source::Missing => Box::new(std::iter::empty()),
            Source::Sorted(z) => Box::new(z.iter().map(|(m, s)| (m.as_slice(), s))),
            Source::Plain(s) => Box::new(s.iter().map(|m| (m.as_slice(), 1.0))),
        }
    }
}

/// The inputs with their weights, smallest first (Redis's order, which decides the order
/// floating-point sums are taken in).
type Inputs<'a> = Vec<(Source<'a>, f64)>;

fn combine(
    ctx: &mut Ctx,
    args: &[Bytes],
    name: &str,
    op: fn(&Inputs, Aggregate) -> ZSet,
) -> Result<Reply, CmdError> {
    let numkeys = args::int(&args[2])?;
    if numkeys < 1 {
        return Err(CmdError::err(format!(
            "at least 1 input key is needed for '{name}' command"
        )));
    }
    let keys = usize::try_from(numkeys)
        .ok()
        .and_then(|n| args.get(3..3 + n))
        .ok_or(CmdError::Syntax)?;
    check_types(ctx, keys)?;
    let (weights, aggregate) = parse_options(&args[3 + keys.len()..], keys.len())?;
    let db = ctx.db();
    let keyspace = &ctx.engine.dbs[db].keys;
    let mut inputs: Inputs = keys
        .iter()
        .zip(weights)
        .map(|(key, weight)| (source(keyspace.get(key).map(|e| &e.value)), weight))
        .collect();
    inputs.sort_by_key(|(source, _)| source.len());
    let result = op(&inputs, aggregate);
    Ok(store(ctx, &args[1], result))
}

/// Every input must be a sorted set or a set (or missing). Reading them also expires them.
fn check_types(ctx: &mut Ctx, keys: &[Bytes]) -> Result<(), CmdError> {
    for key in keys {
        if let Some(value) = ctx.read(key) {
            if !matches!(value, Value::ZSet(_) | Value::Set(_)) {
                return Err(CmdError::WrongType);
            }
        }
    }
    Ok(())
}

fn source(value: Option<&Value>) -> Source<'_> {
    match value {
        Some(Value::ZSet(z)) => Source::Sorted(z),
        Some(Value::Set(s)) => Source::Plain(s),
        _ => Source::Missing,
    }
}

/// `[WEIGHTS w...] [AGGREGATE SUM|MIN|MAX]`, in any order, repeated or not.
fn parse_options(mut rest: &[Bytes], inputs: usize) -> Result<(Vec<f64>, Aggregate), CmdError> {
    let mut weights = vec![1.0; inputs];
    let mut aggregate = Aggregate::Sum;
    while let Some(option) = rest.first() {
        if args::is(option, "WEIGHTS") && rest.len() > inputs {
            for (weight, arg) in weights.iter_mut().zip(&rest[1..]) {
                *weight = args::parse_float(arg)
                    .ok_or_else(|| CmdError::err("weight value is not a float"))?;
            }
            rest = &rest[1 + inputs..];
        } else if args::is(option, "AGGREGATE") && rest.len() >= 2 {
            aggregate = match rest[1].to_ascii_uppercase().as_slice() {
                b"SUM" => Aggregate::Sum,
                b"MIN" => Aggregate::Min,
                b"MAX" => Aggregate::Max,
                _ => return Err(CmdError::Syntax),
            };
            rest = &rest[2..];
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok((weights, aggregate))
}

/// A weighted score; `0 * inf` counts as 0, as in Redis.
fn weighted(score: f64, weight: f64) -> f64 {
    let value = score * weight;
    if value.is_nan() {
        0.0
    } else {
        value
    }
}

fn union(inputs: &Inputs, aggregate: Aggregate) -> ZSet {
    let mut scores: HashMap<&[u8], f64> = HashMap::new();
    for &(source, weight) in inputs {
        for (member, score) in source.entries() {
            let value = weighted(score, weight);
            match scores.entry(member) {
                Entry::Occupied(mut slot) => aggregate.fold(slot.get_mut(), value),
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
            }
        }
    }
    let mut result = ZSet::default();
    for (member, score) in scores {
        result.insert(member, score);
    }
    result
}

/// Members of the smallest input found in all the others.
fn inter(inputs: &Inputs, aggregate: Aggregate) -> ZSet {
    let mut result = ZSet::default();
    let Some(((smallest, first_weight), others)) = inputs.split_first() else {
        return result;
    };
    'members: for (member, score) in smallest.entries() {
        let mut total = weighted(score, *first_weight);
        for (other, weight) in others {
            let Some(score) = other.score(member) else {
                continue 'members;
            };
            // Redis does not zero a NaN product here: the fold handles it.
            aggregate.fold(&mut total, score * weight);
        }
        result.insert(member, total);
    }
    result
}
