//! The sorted set: members ordered by (score, member), with score lookup by member.
//!
//! Two indexes hold every member: [`Ranked`] keeps (score, member) in order with access by
//! rank in O(log n), and a B-tree maps each member to its score. The B-tree is ordered by a
//! fixed hash of the member first, which gives ZSCAN a cursor that stays valid however the
//! set changes (see [`ZSet::scan`]); ties of the hash fall back to the member's bytes, so
//! colliding members cost one more comparison, never a degenerate structure.

mod members;
mod ranked;

use self::members::Members;
use self::ranked::Ranked;
use super::small_bytes::SmallBytes;

/// A score with the order Redis uses: numeric, with -0 equal to 0. NaN is never stored
/// (commands refuse it), which makes the order total.
#[derive(Debug, Clone, Copy)]
pub struct Score(pub f64);

impl PartialEq for Score {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // `==` first so that -0 and 0 tie (Redis compares with `<`); total_cmp orders the rest.
        if self.0 == other.0 {
            std::cmp::Ordering::Equal
        } else {
            self.0.total_cmp(&other.0)
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ZSet {
    members: Members,
    order: Ranked,
}

impl ZSet {
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.len() == 0
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.members.get(member)
    }

    /// Sets `member`'s score; returns the previous one. A score of -0 is stored as 0, as
    /// Redis's compact encoding of small sets (the one clients almost always see) does.
    pub fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        let score = if score == 0.0 { 0.0 } else { score };
        let old = self.members.insert(member, score);
        if let Some(old) = old {
            // Re-adding a member with its own score (ZADD of an existing member, the common
            // case in a hot set) leaves the order as it is.
            if Score(old) == Score(score) {
                return Some(old);
            }
            self.order.remove(Score(old), member);
        }
        self.order.insert(Score(score), SmallBytes::new(member));
        old
    }

    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let score = self.members.remove(member)?;
        self.order.remove(Score(score), member);
        Some(score)
    }

    /// Members in ascending (score, member) order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&SmallBytes, f64)> {
        self.order.iter().map(entry_view)
    }

    /// Members in ascending order from rank `rank` on.
    pub fn iter_from(&self, rank: usize) -> impl Iterator<Item = (&SmallBytes, f64)> {
        self.order.iter_from(rank).map(entry_view)
    }

    /// Members in descending order from (ascending) rank `rank` down to the lowest.
    pub fn iter_rev_from(&self, rank: usize) -> impl Iterator<Item = (&SmallBytes, f64)> {
        self.order.iter_rev_from(rank).map(entry_view)
    }

    /// `member`'s 0-based rank in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.members.get(member)?;
        self.order.position(Score(score), member)
    }

    /// The number of members before the first for which `below(score, member)` is false;
    /// `below` must hold for a prefix of the ascending order (a lower bound of a range).
    pub fn count_below(&self, below: impl Fn(f64, &[u8]) -> bool) -> usize {
        self.order
            .partition_point(|(score, member)| below(score.0, member))
    }

    /// Removes the members of ascending ranks `start..end`, returning them in order.
    pub fn drain(&mut self, start: usize, end: usize) -> Vec<(SmallBytes, f64)> {
        let removed = self.order.drain(start, end);
        removed
            .into_iter()
            .map(|(score, member)| {
                self.members.remove(&member);
                (member, score.0)
            })
            .collect()
    }

    /// One step of a scan: up to about `count` members from `cursor` on, in the order of a
    /// fixed hash of each member, and the cursor to continue from (0 when done).
    ///
    /// The cursor is the hash to resume at, so a full scan returns every member present
    /// from its start to its end exactly once, whatever is added, removed or rescored
    /// meanwhile; members added or removed during the scan may or may not be returned.
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<(&SmallBytes, f64)>) {
        self.members.scan(cursor, count)
    }
}

fn entry_view((score, member): &(Score, SmallBytes)) -> (&SmallBytes, f64) {
    (member, score.0)
}

#[cfg(test)]
mod tests;
