//! What ZUNION, ZINTER, ZDIFF, ZINTERCARD and their STORE forms share: parsing
//! `numkeys key... [options]` and combining the inputs
//! (<https://redis.io/commands/zunion/>, <https://redis.io/commands/zdiff/>).
//!
//! An input is a sorted set, or a set whose members all score 1, or a missing key (empty).

use bytes::Bytes;
use hashbrown::hash_map::Entry;
use hashbrown::HashMap;

use crate::commands::args;
use crate::commands::ctx::Ctx;
use crate::engine::error::CmdError;
use crate::engine::value::{Set, Value};
use crate::engine::zset::ZSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Union,
    Inter,
    Diff,
}

/// Which options a command takes, beside its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Takes {
    /// ZUNION, ZINTER: WEIGHTS, AGGREGATE, WITHSCORES.
    Read,
    /// ZDIFF: WITHSCORES only.
    DiffRead,
    /// ZUNIONSTORE, ZINTERSTORE: WEIGHTS, AGGREGATE.
    Store,
    /// ZDIFFSTORE: none.
    DiffStore,
    /// ZINTERCARD: LIMIT.
    Card,
}

impl Takes {
    fn weighs(self) -> bool {
        matches!(self, Takes::Read | Takes::Store)
    }
}

/// A parsed call: the input keys and what the options said.
#[derive(Debug)]
pub(super) struct Request<'a> {
    pub keys: &'a [Bytes],
    pub weights: Vec<f64>,
    pub aggregate: Aggregate,
    pub withscores: bool,
    /// ZINTERCARD's LIMIT; 0 for none.
    pub limit: usize,
}

/// Parses `args[at..]` (numkeys, keys, options) in Redis's order: the keys' types are
/// checked before the options are read. `name` is the command's, for the numkeys error.
pub(super) fn parse<'a>(
    ctx: &mut Ctx,
    args: &'a [Bytes],
    at: usize,
    name: &str,
    takes: Takes,
) -> Result<Request<'a>, CmdError> {
    let numkeys = args::int(&args[at])?;
    if numkeys < 1 {
        return Err(CmdError::err(format!(
            "at least 1 input key is needed for '{name}' command"
        )));
    }
    let keys = usize::try_from(numkeys)
        .ok()
        .and_then(|n| args.get(at + 1..(at + 1).checked_add(n)?))
        .ok_or(CmdError::Syntax)?;
    check_types(ctx, keys)?;
    let mut request = Request {
        keys,
        weights: vec![1.0; keys.len()],
        aggregate: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    parse_options(&mut request, &args[at + 1 + keys.len()..], takes)?;
    Ok(request)
}

/// The options, in any order, repeated or not, each only where `takes` allows it.
fn parse_options(request: &mut Request, mut rest: &[Bytes], takes: Takes) -> Result<(), CmdError> {
    let inputs = request.keys.len();
    while let Some(option) = rest.first() {
        if takes.weighs() && args::is(option, "WEIGHTS") && rest.len() > inputs {
            for (weight, arg) in request.weights.iter_mut().zip(&rest[1..]) {
                *weight = args::parse_float(arg)
                    .ok_or_else(|| CmdError::err("weight value is not a float"))?;
            }
            rest = &rest[1 + inputs..];
        } else if takes.weighs() && args::is(option, "AGGREGATE") && rest.len() >= 2 {
            request.aggregate = match rest[1].to_ascii_uppercase().as_slice() {
                b"SUM" => Aggregate::Sum,
                b"MIN" => Aggregate::Min,
                b"MAX" => Aggregate::Max,
                _ => return Err(CmdError::Syntax),
            };
            rest = &rest[2..];
        } else if matches!(takes, Takes::Read | Takes::DiffRead) && args::is(option, "WITHSCORES") {
            request.withscores = true;
            rest = &rest[1..];
        } else if takes == Takes::Card && args::is(option, "LIMIT") && rest.len() >= 2 {
            let limit = args::parse_int(&rest[1]).and_then(|n| usize::try_from(n).ok());
            request.limit = limit.ok_or_else(|| CmdError::err("LIMIT can't be negative"))?;
            rest = &rest[2..];
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(())
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

/// The inputs of a parsed request with their weights, in the order `op` takes them:
/// smallest first for union and intersection (Redis's order, which decides the order
/// floating-point sums are taken in), as given for a difference.
fn inputs<'c>(ctx: &'c Ctx, request: &Request, op: Op) -> Inputs<'c> {
    let keyspace = &ctx.engine.dbs[ctx.session.db].keys;
    let mut inputs: Inputs = request
        .keys
        .iter()
        .zip(&request.weights)
        .map(|(key, weight)| (source(keyspace.get(key).map(|e| &e.value)), *weight))
        .collect();
    if op != Op::Diff {
        inputs.sort_by_key(|(source, _)| source.len());
    }
    inputs
}

/// The sorted set a parsed request makes.
pub(super) fn compute(ctx: &Ctx, request: &Request, op: Op) -> ZSet {
    let inputs = inputs(ctx, request, op);
    match op {
        Op::Union => union(&inputs, request.aggregate),
        Op::Inter => inter(&inputs, request.aggregate),
        Op::Diff => diff(&inputs),
    }
}

/// ZINTERCARD: how many members all inputs share, counting no further than a non-zero
/// limit.
pub(super) fn inter_card(ctx: &Ctx, request: &Request) -> usize {
    let inputs = inputs(ctx, request, Op::Inter);
    let Some(((smallest, _), others)) = inputs.split_first() else {
        return 0;
    };
    let limit = if request.limit == 0 {
        usize::MAX
    } else {
        request.limit
    };
    smallest
        .entries()
        .filter(|(member, _)| others.iter().all(|(o, _)| o.score(member).is_some()))
        .take(limit)
        .count()
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Aggregate {
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

type Inputs<'a> = Vec<(Source<'a>, f64)>;

fn source(value: Option<&Value>) -> Source<'_> {
    match value {
        Some(Value::ZSet(z)) => Source::Sorted(z),
        Some(Value::Set(s)) => Source::Plain(s),
        _ => Source::Missing,
    }
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

/// Members of the first input found in none of the others, with the first input's scores.
fn diff(inputs: &Inputs) -> ZSet {
    let mut result = ZSet::default();
    let Some(((first, _), others)) = inputs.split_first() else {
        return result;
    };
    for (member, score) in first.entries() {
        if others.iter().all(|(o, _)| o.score(member).is_none()) {
            result.insert(member, score);
        }
    }
    result
}
