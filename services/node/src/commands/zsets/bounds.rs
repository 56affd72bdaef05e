//! The ranges sorted-set commands select by: scores (`1`, `(1`, `-inf`, `+inf`), members
//! in lexicographic order (`[a`, `(a`, `-`, `+`), and ranks (`0`, `-1`).

use std::ops::Range;

use crate::commands::args;
use crate::engine::error::CmdError;
use crate::engine::zset::ZSet;

/// Sets up to this size are listpacks in Redis, whose lex ranges are linear scans.
const LISTPACK_MAX: usize = 128;

/// A range of members, selected as a run of ascending ranks.
pub trait Span {
    /// The ascending ranks of the members in the range (empty when none), as a query in
    /// the direction `rev` finds them.
    fn ranks(&self, zset: &ZSet, rev: bool) -> Range<usize>;
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct ScoreBound {
    value: f64,
    exclusive: bool,
}

/// `min max` of ZRANGEBYSCORE, ZCOUNT, ZREMRANGEBYSCORE.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRange {
    min: ScoreBound,
    max: ScoreBound,
}

impl ScoreRange {
    pub fn parse(min: &[u8], max: &[u8]) -> Result<Self, CmdError> {
        let bound =
            |arg| score_bound(arg).ok_or_else(|| CmdError::err("min or max is not a float"));
        Ok(ScoreRange {
            min: bound(min)?,
            max: bound(max)?,
        })
    }

    fn below_min(&self, score: f64) -> bool {
        if self.min.exclusive {
            score <= self.min.value
        } else {
            score < self.min.value
        }
    }

    fn within_max(&self, score: f64) -> bool {
        if self.max.exclusive {
            score < self.max.value
        } else {
            score <= self.max.value
        }
    }
}

impl Span for ScoreRange {
    fn ranks(&self, zset: &ZSet, _rev: bool) -> Range<usize> {
        let start = zset.count_below(|score, _| self.below_min(score));
        let end = zset.count_below(|score, _| self.within_max(score));
        start..end.max(start)
    }
}

/// A bound as Redis's `zslParseRange` reads it with `strtod`: `(` for exclusive, leading
/// spaces allowed, an empty number reading as 0, NaN refused. (Hexadecimal floats, which
/// `strtod` also reads, are not accepted.)
fn score_bound(arg: &[u8]) -> Option<ScoreBound> {
    let (number, exclusive) = match arg.strip_prefix(b"(") {
        Some(rest) => (rest, true),
        None => (arg, false),
    };
    let value = if number.is_empty() {
        0.0
    } else {
        args::parse_float(number.trim_ascii_start())?
    };
    Some(ScoreBound { value, exclusive })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum LexBound<'a> {
    /// `-`: below every member.
    Lowest,
    /// `+`: above every member.
    Highest,
    Inclusive(&'a [u8]),
    Exclusive(&'a [u8]),
}

/// `min max` of ZRANGEBYLEX, ZLEXCOUNT, ZREMRANGEBYLEX. Like Redis, the range compares
/// members only, which is meaningful when all scores are equal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LexRange<'a> {
    min: LexBound<'a>,
    max: LexBound<'a>,
}

impl<'a> LexRange<'a> {
    pub fn parse(min: &'a [u8], max: &'a [u8]) -> Result<Self, CmdError> {
        let bound = |arg| {
            lex_bound(arg).ok_or_else(|| CmdError::err("min or max not valid string range item"))
        };
        Ok(LexRange {
            min: bound(min)?,
            max: bound(max)?,
        })
    }

    pub fn below_min(&self, member: &[u8]) -> bool {
        match self.min {
            LexBound::Lowest => false,
            LexBound::Highest => true,
            LexBound::Inclusive(min) => member < min,
            LexBound::Exclusive(min) => member <= min,
        }
    }

    pub fn within_max(&self, member: &[u8]) -> bool {
        match self.max {
            LexBound::Lowest => false,
            LexBound::Highest => true,
            LexBound::Inclusive(max) => member <= max,
            LexBound::Exclusive(max) => member < max,
        }
    }
}

impl Span for LexRange<'_> {
    /// A lex range is only meaningful when all scores are equal; otherwise Redis answers
    /// what its encoding happens to find, which small sets reproduce here (linear scans, a
    /// reversed query scanning from the end). Large sets are searched, as skiplists are.
    fn ranks(&self, zset: &ZSet, rev: bool) -> Range<usize> {
        if zset.len() <= LISTPACK_MAX {
            return self.scan(zset, rev);
        }
        let start = zset.count_below(|_, member| self.below_min(member));
        let end = zset.count_below(|_, member| self.within_max(member));
        start..end.max(start)
    }
}

impl LexRange<'_> {
    /// Redis's `zzlFirstInLexRange` (or `zzlLastInLexRange` when reversed), then the run of
    /// members from there that stay in range.
    fn scan(&self, zset: &ZSet, rev: bool) -> Range<usize> {
        if !self.may_hold(zset) {
            return 0..0;
        }
        let members: Vec<&[u8]> = zset.iter().map(|(m, _)| m.as_slice()).collect();
        if rev {
            let Some(last) = members.iter().rposition(|m| self.within_max(m)) else {
                return 0..0;
            };
            if self.below_min(members[last]) {
                return 0..0;
            }
            let first = members[..last].iter().rposition(|m| self.below_min(m));
            first.map_or(0, |i| i + 1)..last + 1
        } else {
            let Some(first) = members.iter().position(|m| !self.below_min(m)) else {
                return 0..0;
            };
            if !self.within_max(members[first]) {
                return 0..0;
            }
            let end = members[first..].iter().position(|m| !self.within_max(m));
            first..end.map_or(members.len(), |i| first + i)
        }
    }

    /// Redis's `zzlIsInLexRange`: the bounds are not crossed, the last member is not below
    /// the minimum and the first is not above the maximum.
    fn may_hold(&self, zset: &ZSet) -> bool {
        let (min, max) = (lex_order(self.min), lex_order(self.max));
        let crossed = match (min.0, min.1).cmp(&(max.0, max.1)) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Equal => min.2 || max.2,
            std::cmp::Ordering::Less => false,
        };
        let (Some((first, _)), Some((last, _))) = (zset.iter().next(), zset.iter().next_back())
        else {
            return false;
        };
        !crossed && !self.below_min(last) && self.within_max(first)
    }
}

/// Where a bound sits for Redis's `sdscmplex`, and whether it is exclusive (`-` and `+`
/// count as exclusive).
fn lex_order(bound: LexBound<'_>) -> (u8, &[u8], bool) {
    match bound {
        LexBound::Lowest => (0, &[], true),
        LexBound::Inclusive(text) => (1, text, false),
        LexBound::Exclusive(text) => (1, text, true),
        LexBound::Highest => (2, &[], true),
    }
}

fn lex_bound(arg: &[u8]) -> Option<LexBound<'_>> {
    match arg {
        b"-" => Some(LexBound::Lowest),
        b"+" => Some(LexBound::Highest),
        [b'[', rest @ ..] => Some(LexBound::Inclusive(rest)),
        [b'(', rest @ ..] => Some(LexBound::Exclusive(rest)),
        _ => None,
    }
}

/// `start stop` of ZRANGE and ZREMRANGEBYRANK, negative counting from the end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankRange {
    start: i64,
    stop: i64,
}

impl RankRange {
    pub fn parse(start: &[u8], stop: &[u8]) -> Result<Self, CmdError> {
        Ok(RankRange {
            start: args::int(start)?,
            stop: args::int(stop)?,
        })
    }
}

impl Span for RankRange {
    /// Redis's clamping: negative indexes count from the end, `start` below 0 reads as 0,
    /// `stop` past the end as the last member.
    fn ranks(&self, zset: &ZSet, _rev: bool) -> Range<usize> {
        let len = zset.len() as i64;
        let from_end = |index: i64| {
            if index < 0 {
                index.saturating_add(len)
            } else {
                index
            }
        };
        let start = from_end(self.start).max(0);
        let stop = from_end(self.stop).min(len - 1);
        if start > stop {
            return 0..0;
        }
        start as usize..stop as usize + 1
    }
}
