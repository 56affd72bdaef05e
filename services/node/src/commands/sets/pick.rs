//! Random picks from hash-based containers (sets and hashes), which have no random access:
//! each pick walks the container's iterator, so a pick costs O(len) at worst.

use rand::rngs::SmallRng;
use rand::seq::{index, SliceRandom};
use rand::Rng;

use crate::commands::args;
use crate::commands::ctx::Ctx;
use crate::engine::error::CmdError;
use crate::engine::value::Value;
use crate::engine::Engine;

/// The value at `key` beside the engine's random generator. The caller has already looked
/// the key up (which expires it if due and checks its type).
pub(in crate::commands) fn value_and_rng<'c>(
    ctx: &'c mut Ctx,
    key: &[u8],
) -> Option<(&'c mut Value, &'c mut SmallRng)> {
    let db = ctx.session.db;
    let Engine { dbs, rng, .. } = &mut *ctx.engine;
    dbs[db]
        .keys
        .get_mut(key)
        .map(|entry| (&mut entry.value, rng))
}

/// SRANDMEMBER's and HRANDFIELD's count: any integer but `i64::MIN`, whose magnitude has
/// no positive counterpart.
pub(in crate::commands) fn signed_count(arg: &[u8]) -> Result<i64, CmdError> {
    match args::int(arg)? {
        i64::MIN => Err(CmdError::err(
            "value is out of range, value must between -9223372036854775807 and \
             9223372036854775807",
        )),
        count => Ok(count),
    }
}

/// How a random-member command's COUNT argument reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::commands) enum Count {
    /// A positive count: that many distinct members at most.
    Distinct(usize),
    /// A negative count: exactly that many members, possibly repeated.
    Repeated(usize),
}

impl Count {
    /// Reads a count already range-checked by the caller (never `i64::MIN`).
    pub(in crate::commands) fn from_signed(count: i64) -> Count {
        let magnitude = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
        if count >= 0 {
            Count::Distinct(magnitude)
        } else {
            Count::Repeated(magnitude)
        }
    }
}

/// One uniformly chosen item of `items`, which yields `len` items.
pub(in crate::commands) fn one<I: Iterator>(
    rng: &mut impl Rng,
    mut items: I,
    len: usize,
) -> Option<I::Item> {
    if len == 0 {
        return None;
    }
    items.nth(rng.gen_range(0..len))
}

/// Items chosen as `count` asks: distinct ones in random order (all of them when the
/// count reaches `len`), or a repeated count of independent picks.
pub(in crate::commands) fn many<I>(
    rng: &mut impl Rng,
    items: I,
    len: usize,
    count: Count,
) -> Vec<I::Item>
where
    I: Iterator,
    I::Item: Clone,
{
    match count {
        Count::Distinct(count) if count >= len => items.collect(),
        Count::Distinct(count) => distinct(rng, items, len, count),
        Count::Repeated(count) => repeated(rng, items, count),
    }
}

/// `count` distinct items out of `len` (`count < len`), in random order.
fn distinct<I: Iterator>(
    rng: &mut impl Rng,
    mut items: I,
    len: usize,
    count: usize,
) -> Vec<I::Item> {
    let mut picks = index::sample(rng, len, count).into_vec();
    picks.sort_unstable();
    let mut chosen = Vec::with_capacity(picks.len());
    let mut next = 0;
    for pick in picks {
        // `nth` skips the items between the previous pick and this one.
        if let Some(item) = items.nth(pick - next) {
            chosen.push(item);
        }
        next = pick + 1;
    }
    chosen.shuffle(rng);
    chosen
}

/// `count` independent uniform picks.
fn repeated<I>(rng: &mut impl Rng, items: I, count: usize) -> Vec<I::Item>
where
    I: Iterator,
    I::Item: Clone,
{
    let all: Vec<I::Item> = items.collect();
    if all.is_empty() {
        return Vec::new();
    }
    // The reply grows with what was asked for; nothing is reserved up front for a huge count.
    let mut chosen = Vec::with_capacity(count.min(4096));
    for _ in 0..count {
        chosen.push(all[rng.gen_range(0..all.len())].clone());
    }
    chosen
}

#[cfg(test)]
mod tests {
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn counts_read_their_sign() {
        assert_eq!(Count::from_signed(3), Count::Distinct(3));
        assert_eq!(Count::from_signed(-3), Count::Repeated(3));
        assert_eq!(
            Count::from_signed(-i64::MAX),
            Count::Repeated(i64::MAX as usize)
        );
    }

    #[test]
    fn distinct_picks_are_distinct_and_bounded() {
        let mut rng = SmallRng::seed_from_u64(7);
        let items: Vec<u32> = (0..100).collect();
        let mut picked = many(&mut rng, items.iter(), 100, Count::Distinct(30));
        assert_eq!(picked.len(), 30);
        picked.sort();
        picked.dedup();
        assert_eq!(picked.len(), 30);
        assert_eq!(
            many(&mut rng, items.iter(), 100, Count::Distinct(500)).len(),
            100
        );
        assert!(many(&mut rng, items.iter(), 100, Count::Distinct(0)).is_empty());
    }

    #[test]
    fn repeated_picks_come_from_the_items() {
        let mut rng = SmallRng::seed_from_u64(7);
        let items = [1, 2];
        let picked = many(&mut rng, items.iter(), 2, Count::Repeated(50));
        assert_eq!(picked.len(), 50);
        assert!(picked.iter().all(|p| items.contains(p)));
        assert!(many(&mut rng, [0u8; 0].iter(), 0, Count::Repeated(5)).is_empty());
        assert_eq!(one(&mut rng, [0u8; 0].iter(), 0), None);
        assert!(one(&mut rng, items.iter(), 2).is_some());
    }
}
