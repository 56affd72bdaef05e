//! The sorted set: members ordered by (score, member), with score lookup by member.

use std::collections::BTreeSet;

use hashbrown::HashMap;

use super::small_bytes::SmallBytes;

/// A score with the total order Redis uses; NaN is never stored (commands refuse it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score(pub f64);

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[derive(Debug, Clone, Default)]
pub struct ZSet {
    scores: HashMap<SmallBytes, f64>,
    order: BTreeSet<(Score, SmallBytes)>,
}

impl ZSet {
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }

    /// Sets `member`'s score; returns the previous one.
    pub fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        let member = SmallBytes::new(member);
        let old = self.scores.insert(member.clone(), score);
        if let Some(old) = old {
            self.order.remove(&(Score(old), member.clone()));
        }
        self.order.insert((Score(score), member));
        old
    }

    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (member, score) = self.scores.remove_entry(member)?;
        self.order.remove(&(Score(score), member));
        Some(score)
    }

    /// Members in ascending (score, member) order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&SmallBytes, f64)> {
        self.order.iter().map(|(score, member)| (member, score.0))
    }
}
