//! Positions in replication histories, and PSYNC2's rule for comparing them across a
//! promotion.
//!
//! An offset alone says nothing: a promoted replica continues the old offset numbering under
//! a new history id, and a node that restarts empty starts a new history at 0. A write is
//! held by a node only when the node's position covers the write's position *in the write's
//! history*: the same history at or past the write's offset, or a history that continues the
//! write's history at least up to that offset.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::ids::{Offset, ReplId};

/// A place in one replication history: stream bytes `..offset` of history `repl_id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Position {
    pub repl_id: ReplId,
    pub offset: Offset,
}

impl Position {
    pub fn new(repl_id: ReplId, offset: Offset) -> Position {
        Position { repl_id, offset }
    }

    /// Whether a node standing here holds `target`, when history `self.repl_id` continues
    /// `continued` (its `master_replid2` and the last offset that belongs to it).
    pub fn covers(&self, continued: Option<&Position>, target: &Position) -> bool {
        if self.repl_id == target.repl_id {
            return self.offset >= target.offset;
        }
        continued.is_some_and(|previous| {
            previous.repl_id == target.repl_id
                && target.offset <= previous.offset
                && target.offset <= self.offset
        })
    }
}

/// Which history continues which, as learned from primaries (each history id is made once,
/// by one promotion, so what it continues never changes). Bounded: the oldest are forgotten.
#[derive(Debug, Clone, Default)]
pub struct Lineage {
    /// (history, the history it continues and up to where), newest last.
    links: VecDeque<(ReplId, Position)>,
}

impl Lineage {
    /// How many histories are remembered; more than any WAIT spans.
    const KEPT: usize = 64;
    /// How many promotions a comparison walks back through.
    const DEPTH: usize = 8;

    /// Notes that history `repl_id` continues `previous`.
    pub fn learn(&mut self, repl_id: &ReplId, previous: Position) {
        if self.links.iter().any(|(id, _)| id == repl_id) {
            return;
        }
        if self.links.len() == Self::KEPT {
            self.links.pop_front();
        }
        self.links.push_back((repl_id.clone(), previous));
    }

    fn continued(&self, repl_id: &ReplId) -> Option<&Position> {
        self.links
            .iter()
            .find(|(id, _)| id == repl_id)
            .map(|(_, previous)| previous)
    }

    /// Whether a node at `position` holds `target`, following promotions back from
    /// `position`'s history towards `target`'s.
    pub fn holds(&self, position: &Position, target: &Position) -> bool {
        let mut at = position.clone();
        for _ in 0..Self::DEPTH {
            let continued = self.continued(&at.repl_id);
            if at.covers(continued, target) {
                return true;
            }
            let Some(previous) = continued else {
                return false;
            };
            // Only the bytes up to the switch belong to the older history.
            at = Position::new(previous.repl_id.clone(), previous.offset.min(at.offset));
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ReplId {
        ReplId::from_bytes([n; 20])
    }

    fn at(n: u8, offset: u64) -> Position {
        Position::new(id(n), Offset(offset))
    }

    #[test]
    fn the_same_history_compares_offsets() {
        let lineage = Lineage::default();
        assert!(lineage.holds(&at(1, 100), &at(1, 100)));
        assert!(!lineage.holds(&at(1, 99), &at(1, 100)));
    }

    #[test]
    fn another_history_holds_nothing_unless_it_continues_the_target() {
        let mut lineage = Lineage::default();
        // History 2 was promoted from history 1 at offset 900.
        assert!(!lineage.holds(&at(2, 5000), &at(1, 800)));
        lineage.learn(&id(2), at(1, 900));
        assert!(lineage.holds(&at(2, 5000), &at(1, 800)));
        assert!(lineage.holds(&at(2, 5000), &at(1, 900)));
        // The old primary took bytes 900..1000 after the switch: nobody in history 2 has them,
        // however far history 2 has gone since (PSYNC2 keeps the offset numbering).
        assert!(!lineage.holds(&at(2, 5000), &at(1, 1000)));
        // A replica of history 2 that has not reached the target yet does not hold it.
        assert!(!lineage.holds(&at(2, 850), &at(1, 880)));
    }

    #[test]
    fn promotions_chain() {
        let mut lineage = Lineage::default();
        lineage.learn(&id(2), at(1, 900));
        lineage.learn(&id(3), at(2, 1500));
        assert!(lineage.holds(&at(3, 2000), &at(1, 900)));
        assert!(!lineage.holds(&at(3, 2000), &at(1, 901)));
        assert!(lineage.holds(&at(3, 2000), &at(2, 1500)));
        assert!(!lineage.holds(&at(3, 2000), &at(2, 1501)));
        // Nothing continues history 3: an older history never holds a newer target.
        assert!(!lineage.holds(&at(1, 9000), &at(3, 100)));
    }

    #[test]
    fn a_cycle_in_bad_input_ends() {
        let mut lineage = Lineage::default();
        lineage.learn(&id(1), at(2, 10));
        lineage.learn(&id(2), at(1, 10));
        assert!(!lineage.holds(&at(1, 5), &at(3, 1)));
    }

    #[test]
    fn the_oldest_links_are_forgotten() {
        let mut lineage = Lineage::default();
        for n in 0..=Lineage::KEPT as u8 {
            lineage.learn(&id(n + 1), at(n, 10));
        }
        assert!(!lineage.holds(&at(1, 10), &at(0, 5)), "forgotten");
        assert!(lineage.holds(&at(2, 10), &at(1, 5)));
    }
}
