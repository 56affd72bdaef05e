//! The ZRANGE family (<https://redis.io/commands/zrange/>), ZCOUNT and ZLEXCOUNT.
//!
//! Every variant goes through [`Query::parse`], Redis's `zrangeGenericCommand`: the legacy
//! commands (ZRANGEBYSCORE, ZREVRANGE...) are ZRANGE with the kind and direction fixed, so
//! they refuse BYSCORE, BYLEX and REV as syntax errors, as Redis does.

use std::ops::Range;

use bytes::Bytes;

use super::bounds::{LexRange, RankRange, ScoreRange, Span};
use super::{resp3, scored_reply};
use crate::commands::args;
use crate::commands::ctx::Ctx;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::Value;
use crate::engine::zset::ZSet;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Rank,
    Score,
    Lex,
}

/// What a command fixes of a query; `None` lets the options choose.
#[derive(Debug, Clone, Copy)]
pub struct Form {
    pub kind: Option<Kind>,
    pub rev: Option<bool>,
    /// ZRANGESTORE: no WITHSCORES.
    pub store: bool,
}

impl Form {
    const fn fixed(kind: Kind, rev: bool) -> Form {
        Form {
            kind: Some(kind),
            rev: Some(rev),
            store: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum By<'a> {
    Rank(RankRange),
    Score(ScoreRange),
    Lex(LexRange<'a>),
}

/// A parsed range query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Query<'a> {
    by: By<'a>,
    rev: bool,
    pub withscores: bool,
    offset: i64,
    /// Negative: no limit.
    count: i64,
}

impl<'a> Query<'a> {
    /// Parses `min max [options]` starting at `args[at]`, with Redis's errors in its order.
    pub fn parse(args: &'a [Bytes], at: usize, form: Form) -> Result<Self, CmdError> {
        let (mut kind, mut rev) = (form.kind, form.rev);
        let (mut withscores, mut offset, mut count) = (false, 0, -1);
        let mut rest = args.get(at + 2..).unwrap_or_default();
        while let Some((option, tail)) = rest.split_first() {
            rest = tail;
            if !form.store && args::is(option, "WITHSCORES") {
                withscores = true;
            } else if args::is(option, "LIMIT") && tail.len() >= 2 {
                offset = args::int(&tail[0])?;
                count = args::int(&tail[1])?;
                rest = &tail[2..];
            } else if rev.is_none() && args::is(option, "REV") {
                rev = Some(true);
            } else if kind.is_none() && args::is(option, "BYLEX") {
                kind = Some(Kind::Lex);
            } else if kind.is_none() && args::is(option, "BYSCORE") {
                kind = Some(Kind::Score);
            } else {
                return Err(CmdError::Syntax);
            }
        }
        let (kind, rev) = (kind.unwrap_or(Kind::Rank), rev.unwrap_or(false));
        // Redis tells "no LIMIT" by the count's default, so `LIMIT n -1` passes with ranks.
        if count != -1 && kind == Kind::Rank {
            return Err(CmdError::err(
                "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
            ));
        }
        if withscores && kind == Kind::Lex {
            return Err(CmdError::err(
                "syntax error, WITHSCORES not supported in combination with BYLEX",
            ));
        }
        let by = Self::parse_by(args, at, kind, rev)?;
        Ok(Query {
            by,
            rev,
            withscores,
            offset,
            count,
        })
    }

    fn parse_by(args: &'a [Bytes], at: usize, kind: Kind, rev: bool) -> Result<By<'a>, CmdError> {
        let (first, second) = (&args[at][..], &args[at + 1][..]);
        // Reversed score and lex ranges are written `max min`.
        let (min, max) = if rev && kind != Kind::Rank {
            (second, first)
        } else {
            (first, second)
        };
        Ok(match kind {
            Kind::Rank => By::Rank(RankRange::parse(min, max)?),
            Kind::Score => By::Score(ScoreRange::parse(min, max)?),
            Kind::Lex => By::Lex(LexRange::parse(min, max)?),
        })
    }

    /// The selected members, in reply order.
    pub fn select<'z>(&self, zset: &'z ZSet) -> Vec<(&'z SmallBytes, f64)> {
        match &self.by {
            By::Rank(range) => {
                // Ranks of a reversed query count from the highest score.
                let ranks = range.ranks(zset, self.rev);
                self.walk(zset, ranks, 0, -1)
            }
            By::Score(range) => {
                self.walk(zset, range.ranks(zset, self.rev), self.offset, self.count)
            }
            By::Lex(range) => self.walk_lex(zset, range),
        }
    }

    /// Redis's lex walk: from the first member in range, skip `offset` members unchecked,
    /// then take members while they stay in range. With equal scores this is the run of
    /// ranks; with mixed ones (unspecified in Redis) it answers what Redis answers.
    fn walk_lex<'z>(&self, zset: &'z ZSet, range: &LexRange) -> Vec<(&'z SmallBytes, f64)> {
        let ranks = range.ranks(zset, self.rev);
        let (Ok(offset), false) = (usize::try_from(self.offset), ranks.is_empty()) else {
            return Vec::new();
        };
        let take = usize::try_from(self.count).unwrap_or(usize::MAX);
        if self.rev {
            let Some(top) = (ranks.end - 1).checked_sub(offset) else {
                return Vec::new();
            };
            let members = zset.iter_rev_from(top);
            members
                .take_while(|(m, _)| !range.below_min(m))
                .take(take)
                .collect()
        } else {
            let members = zset.iter_from(ranks.start.saturating_add(offset));
            members
                .take_while(|(m, _)| range.within_max(m))
                .take(take)
                .collect()
        }
    }

    /// Members of `ranks` after skipping `offset` (negative: none at all) and taking up to
    /// `count` (negative: all), from the top when reversed. For ranks, `ranks` counts in
    /// the direction of the query.
    fn walk<'z>(
        &self,
        zset: &'z ZSet,
        ranks: Range<usize>,
        offset: i64,
        count: i64,
    ) -> Vec<(&'z SmallBytes, f64)> {
        let Ok(offset) = usize::try_from(offset) else {
            return Vec::new();
        };
        let available = ranks.len().saturating_sub(offset);
        let take = usize::try_from(count).map_or(available, |c| c.min(available));
        if take == 0 {
            return Vec::new();
        }
        let reversed_ranks = matches!(self.by, By::Rank(_));
        match (self.rev, reversed_ranks) {
            (false, _) => zset.iter_from(ranks.start + offset).take(take).collect(),
            (true, false) => zset
                .iter_rev_from(ranks.end - 1 - offset)
                .take(take)
                .collect(),
            (true, true) => {
                let top = zset.len() - 1 - (ranks.start + offset);
                zset.iter_rev_from(top).take(take).collect()
            }
        }
    }
}

/// Runs a range query against `key` and answers its members.
fn range_reply(ctx: &mut Ctx, args: &[Bytes], form: Form) -> Result<Reply, CmdError> {
    let query = Query::parse(args, 2, form)?;
    let resp3 = resp3(ctx);
    let Some(zset) = ctx.read_as(&args[1], Value::as_zset)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let members = query.select(zset);
    let items = members.into_iter().map(|(m, s)| (m.as_slice(), s));
    Ok(scored_reply(items, query.withscores, resp3))
}

/// `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`
pub fn zrange(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let form = Form {
        kind: None,
        rev: None,
        store: false,
    };
    range_reply(ctx, args, form)
}

pub fn zrevrange(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    range_reply(ctx, args, Form::fixed(Kind::Rank, true))
}

pub fn zrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    range_reply(ctx, args, Form::fixed(Kind::Score, false))
}

pub fn zrevrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    range_reply(ctx, args, Form::fixed(Kind::Score, true))
}

pub fn zrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    range_reply(ctx, args, Form::fixed(Kind::Lex, false))
}

pub fn zrevrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    range_reply(ctx, args, Form::fixed(Kind::Lex, true))
}

/// `ZCOUNT key min max`: the range is parsed before the key is looked at, as in Redis.
pub fn zcount(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let range = ScoreRange::parse(&args[2], &args[3])?;
    count_in(ctx, &args[1], &range)
}

pub fn zlexcount(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let range = LexRange::parse(&args[2], &args[3])?;
    count_in(ctx, &args[1], &range)
}

fn count_in(ctx: &mut Ctx, key: &[u8], range: &impl Span) -> Result<Reply, CmdError> {
    let count = ctx
        .read_as(key, Value::as_zset)?
        .map_or(0, |z| range.ranks(z, false).len());
    Ok(Reply::Int(count as i64))
}
