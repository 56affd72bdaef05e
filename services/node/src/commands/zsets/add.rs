//! ZADD and ZINCRBY (<https://redis.io/commands/zadd/>), which share Redis's
//! `zaddGenericCommand`.

use bytes::Bytes;

use super::record_zadd;
use crate::commands::args;
use crate::commands::ctx::{Class, Ctx};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::value::Value;
use crate::engine::zset::ZSet;

#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

impl Flags {
    /// Reads the options before the first score; returns them and where the scores start.
    fn parse(args: &[Bytes]) -> (Flags, usize) {
        let mut flags = Flags::default();
        let mut at = 2;
        while let Some(arg) = args.get(at) {
            let flag = match arg.to_ascii_uppercase().as_slice() {
                b"NX" => &mut flags.nx,
                b"XX" => &mut flags.xx,
                b"GT" => &mut flags.gt,
                b"LT" => &mut flags.lt,
                b"CH" => &mut flags.ch,
                b"INCR" => &mut flags.incr,
                _ => break,
            };
            *flag = true;
            at += 1;
        }
        (flags, at)
    }

    /// Redis's checks, in its order, once the pair count is known to be whole.
    fn check(&self, pairs: usize) -> Result<(), CmdError> {
        if self.nx && self.xx {
            return Err(CmdError::err(
                "XX and NX options at the same time are not compatible",
            ));
        }
        if (self.nx && (self.gt || self.lt)) || (self.gt && self.lt) {
            return Err(CmdError::err(
                "GT, LT, and/or NX options at the same time are not compatible",
            ));
        }
        if self.incr && pairs > 1 {
            return Err(CmdError::err(
                "INCR option supports a single increment-element pair",
            ));
        }
        Ok(())
    }
}

/// What one score-member pair did.
enum Outcome {
    Added(f64),
    Updated(f64),
    /// Processed but the score stayed the same (INCR by 0, the same score again).
    Unchanged(f64),
    /// Refused by NX, XX, GT or LT.
    Skipped,
}

/// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`
pub fn zadd(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let (flags, first) = Flags::parse(args);
    let rest = args.get(first..).unwrap_or_default();
    if rest.is_empty() || rest.len() % 2 != 0 {
        return Err(CmdError::Syntax);
    }
    flags.check(rest.len() / 2)?;
    let pairs = rest
        .chunks_exact(2)
        .map(|pair| Ok((args::float(&pair[0])?, &pair[1][..])))
        .collect::<Result<Vec<_>, CmdError>>()?;
    add(ctx, &args[1], &pairs, flags)
}

/// `ZINCRBY key increment member`: ZADD INCR without options.
pub fn zincrby(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let increment = args::float(&args[2])?;
    let flags = Flags {
        incr: true,
        ..Flags::default()
    };
    add(ctx, &args[1], &[(increment, &args[3][..])], flags)
}

fn add(ctx: &mut Ctx, key: &[u8], pairs: &[(f64, &[u8])], flags: Flags) -> Result<Reply, CmdError> {
    if flags.xx && ctx.find(key).is_none() {
        // XX never creates the key.
        return Ok(summary_reply(flags, &[], 0, None));
    }
    let zset = ctx.write_or_create(key, Value::new_zset, Value::as_zset_mut)?;
    let applied = apply_all(zset, pairs, flags);
    ctx.discard_if_empty(key);
    let (changed, added, last) = applied?;
    if !changed.is_empty() {
        ctx.changed(key);
        ctx.notify(Class::ZSET, if flags.incr { "zincr" } else { "zadd" }, key);
        record_zadd(
            ctx,
            key,
            changed.iter().map(|&(member, score)| (member, score)),
        );
    }
    Ok(summary_reply(flags, &changed, added, last))
}

/// Applies every pair; returns the pairs that changed the set (with their final scores),
/// how many members were added, and the score of the last pair processed (for INCR).
#[allow(clippy::type_complexity)]
fn apply_all<'a>(
    zset: &mut ZSet,
    pairs: &[(f64, &'a [u8])],
    flags: Flags,
) -> Result<(Vec<(&'a [u8], f64)>, usize, Option<f64>), CmdError> {
    let mut changed = Vec::new();
    let mut added = 0;
    let mut last = None;
    for &(score, member) in pairs {
        match apply(zset, member, score, flags)? {
            Outcome::Added(score) => {
                added += 1;
                changed.push((member, score));
                last = Some(score);
            }
            Outcome::Updated(score) => {
                changed.push((member, score));
                last = Some(score);
            }
            Outcome::Unchanged(score) => last = Some(score),
            Outcome::Skipped => {}
        }
    }
    Ok((changed, added, last))
}

/// Redis's `zsetAdd` for one pair.
fn apply(zset: &mut ZSet, member: &[u8], score: f64, flags: Flags) -> Result<Outcome, CmdError> {
    let Some(current) = zset.score(member) else {
        if flags.xx {
            return Ok(Outcome::Skipped);
        }
        zset.insert(member, score);
        return Ok(Outcome::Added(score));
    };
    if flags.nx {
        return Ok(Outcome::Skipped);
    }
    let score = if flags.incr { current + score } else { score };
    if score.is_nan() {
        return Err(CmdError::err("resulting score is not a number (NaN)"));
    }
    if (flags.lt && score >= current) || (flags.gt && score <= current) {
        return Ok(Outcome::Skipped);
    }
    if score == current {
        return Ok(Outcome::Unchanged(score));
    }
    zset.insert(member, score);
    Ok(Outcome::Updated(score))
}

/// INCR answers the new score (nil when refused); otherwise the count of added members,
/// plus updated ones with CH.
fn summary_reply(flags: Flags, changed: &[(&[u8], f64)], added: usize, last: Option<f64>) -> Reply {
    if flags.incr {
        return last.map_or(Reply::Nil, Reply::Double);
    }
    let count = if flags.ch { changed.len() } else { added };
    Reply::Int(count as i64)
}
